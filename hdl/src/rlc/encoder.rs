//! The run-length encoder's rust-hdl description (see the parent module for its behaviour).

use crate::widgets::{Fifo, Reg};
use rust_hdl::prelude::*;

/// The Eyeriss run-length encoder.
#[derive(LogicBlock)]
pub struct RlcEncoder {
    /// Clock; everything happens on its rising edge.
    pub clk: Signal<In, Clock>,
    /// Synchronous active-high reset.
    pub rst: Signal<In, Bit>,
    /// A stream length is offered (taken when `cfg_ready`).
    pub cfg_valid: Signal<In, Bit>,
    /// Idle, with room for a word: a stream may start.
    pub cfg_ready: Signal<Out, Bit>,
    /// N, the number of values in the stream.
    pub cfg_n: Signal<In, Bits<32>>,
    /// Values in.
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_data: Signal<In, Bits<16>>,
    /// Coded words out.
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_data: Signal<Out, Bits<64>>,
    /// A stream is being encoded.
    pub busy: Signal<Out, Bit>,
    /// Words written since reset.
    pub words_out: Signal<Out, Bits<32>>,

    out_fifo: Fifo<Bits<64>>,
    running: Reg<Bit>,
    remaining: Reg<Bits<32>>,
    run: Reg<Bits<5>>,
    slot: Reg<Bits<2>>,
    acc: Reg<Bits<64>>,
    n_words: Reg<Bits<32>>,
    take: Signal<Local, Bit>,
    last: Signal<Local, Bit>,
    emit: Signal<Local, Bit>,
    run_wide: Signal<Local, Bits<21>>,
    level_wide: Signal<Local, Bits<21>>,
    pair: Signal<Local, Bits<21>>,
    pair_wide: Signal<Local, Bits<64>>,
    placed: Signal<Local, Bits<64>>,
    max_run: Constant<Bits<5>>,
    term: Constant<Bits<64>>,
}

pub(crate) fn build() -> RlcEncoder {
    let mut uut = RlcEncoder {
        clk: Default::default(),
        rst: Default::default(),
        cfg_valid: Default::default(),
        cfg_ready: Default::default(),
        cfg_n: Default::default(),
        in_valid: Default::default(),
        in_ready: Default::default(),
        in_data: Default::default(),
        out_valid: Default::default(),
        out_ready: Default::default(),
        out_data: Default::default(),
        busy: Default::default(),
        words_out: Default::default(),
        out_fifo: Default::default(),
        running: Default::default(),
        remaining: Default::default(),
        run: Default::default(),
        slot: Default::default(),
        acc: Default::default(),
        n_words: Default::default(),
        take: Default::default(),
        last: Default::default(),
        emit: Default::default(),
        run_wide: Default::default(),
        level_wide: Default::default(),
        pair: Default::default(),
        pair_wide: Default::default(),
        placed: Default::default(),
        max_run: Constant::new(bits(31)),
        term: Constant::new(bits(1 << 63)),
    };
    uut.connect_all();
    uut
}

impl Logic for RlcEncoder {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clk, running, remaining, run, slot, acc, n_words);
        self.running.rst.next = self.rst.val();
        self.remaining.rst.next = self.rst.val();
        self.run.rst.next = self.rst.val();
        self.slot.rst.next = self.rst.val();
        self.acc.rst.next = self.rst.val();
        self.n_words.rst.next = self.rst.val();
        self.out_fifo.clk.next = self.clk.val();
        self.out_fifo.rst.next = self.rst.val();

        self.out_valid.next = self.out_fifo.out_valid.val();
        self.out_data.next = self.out_fifo.out_data.val();
        self.out_fifo.out_ready.next = self.out_ready.val();
        self.out_fifo.in_valid.next = false;
        self.out_fifo.in_data.next = self.term.val();
        self.words_out.next = self.n_words.q.val();
        self.busy.next = self.running.q.val();
        self.cfg_ready.next = !self.running.q.val() & self.out_fifo.in_ready.val();
        // A value is taken only when a word it may complete has room.
        self.in_ready.next = self.running.q.val() & self.out_fifo.in_ready.val();

        // Configuration: N = 0 is one terminal word with no pair used.
        if !self.running.q.val() & self.cfg_valid.val() & self.out_fifo.in_ready.val() {
            if self.cfg_n.val().any() {
                self.running.d.next = true;
                self.remaining.d.next = self.cfg_n.val();
                self.run.d.next = 0.into();
                self.slot.d.next = 0.into();
                self.acc.d.next = 0.into();
            } else {
                self.out_fifo.in_valid.next = true;
                self.n_words.d.next = self.n_words.q.val() + 1;
            }
        }

        // The pair a value would emit, placed in its slot of the word being built.
        self.take.next = self.running.q.val() & self.in_valid.val() & self.out_fifo.in_ready.val();
        self.last.next = self.remaining.q.val() == 1;
        self.emit.next = self.last.val() | self.in_data.val().any() | (self.run.q.val() == self.max_run.val());
        self.run_wide.next = bit_cast::<21, 5>(self.run.q.val());
        self.level_wide.next = bit_cast::<21, 16>(self.in_data.val());
        self.pair.next = self.run_wide.val() | (self.level_wide.val() << 5);
        self.pair_wide.next = bit_cast::<64, 21>(self.pair.val());
        self.placed.next = self.acc.q.val() | self.pair_wide.val();
        if self.slot.q.val() == 1 {
            self.placed.next = self.acc.q.val() | (self.pair_wide.val() << 21);
        }
        if self.slot.q.val() == 2 {
            self.placed.next = self.acc.q.val() | (self.pair_wide.val() << 42);
        }

        if self.take.val() {
            self.remaining.d.next = self.remaining.q.val() - 1;
            if self.last.val() {
                self.running.d.next = false;
            }
            if self.emit.val() {
                self.run.d.next = 0.into();
                self.slot.d.next = self.slot.q.val() + 1;
                self.acc.d.next = self.placed.val();
                if (self.slot.q.val() == 2) | self.last.val() {
                    self.out_fifo.in_valid.next = true;
                    self.out_fifo.in_data.next = self.placed.val();
                    if self.last.val() {
                        self.out_fifo.in_data.next = self.placed.val() | self.term.val();
                    }
                    self.n_words.d.next = self.n_words.q.val() + 1;
                    self.slot.d.next = 0.into();
                    self.acc.d.next = 0.into();
                }
            } else {
                self.run.d.next = self.run.q.val() + 1;
            }
        }
    }
}

crate::sim::sim_ports!(
    RlcEncoder,
    clock: clk,
    inputs: [rst, cfg_valid, cfg_n, in_valid, in_data, out_ready],
    outputs: [cfg_ready, in_ready, out_valid, out_data, busy, words_out]
);
