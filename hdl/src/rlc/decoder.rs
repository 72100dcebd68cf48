//! The run-length decoder's rust-hdl description (see the parent module for its behaviour).

use crate::widgets::{Fifo, Reg};
use rust_hdl::prelude::*;

/// The Eyeriss run-length decoder, counting values in `W` bits (`W1` = `W` + 1: the width of
/// the overflow check). The `rlc_decoder` unit counts in 32 bits ([`RlcDecoderUnit`]); a design
/// that never asks for more values (the board top: N is a u16) may count in fewer, which
/// shortens the decoder's longest path (count + run + 1 compared with N).
#[derive(LogicBlock)]
pub struct RlcDecoder<const W: usize, const W1: usize> {
    /// Clock; everything happens on its rising edge.
    pub clk: Signal<In, Clock>,
    /// Synchronous active-high reset.
    pub rst: Signal<In, Bit>,
    /// A stream length is offered (taken when `cfg_ready`).
    pub cfg_valid: Signal<In, Bit>,
    /// Idle: a stream may start.
    pub cfg_ready: Signal<Out, Bit>,
    /// N, the number of values the stream holds.
    pub cfg_n: Signal<In, Bits<W>>,
    /// Coded words in.
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_data: Signal<In, Bits<64>>,
    /// Values out.
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_data: Signal<Out, Bits<16>>,
    /// A stream is being decoded.
    pub busy: Signal<Out, Bit>,
    /// The last stream is finished (well or not); cleared by the next configuration.
    pub done: Signal<Out, Bit>,
    /// The last stream was malformed.
    pub error: Signal<Out, Bit>,
    /// Why: 1 extra values, 2 early term, 3 missing term (0 when no error).
    pub error_kind: Signal<Out, Bits<2>>,
    /// Words taken since reset.
    pub words_in: Signal<Out, Bits<32>>,
    /// Values written since reset.
    pub values_out: Signal<Out, Bits<32>>,

    in_fifo: Fifo<Bits<64>>,
    out_fifo: Fifo<Bits<16>>,
    running: Reg<Bit>,
    n: Reg<Bits<W>>,
    produced: Reg<Bits<W>>,
    slot: Reg<Bits<2>>,
    zeros: Reg<Bits<5>>,
    done_r: Reg<Bit>,
    kind: Reg<Bits<2>>,
    n_words: Reg<Bits<32>>,
    n_values: Reg<Bits<32>>,
    head: Signal<Local, Bits<64>>,
    pair: Signal<Local, Bits<21>>,
    run: Signal<Local, Bits<5>>,
    level: Signal<Local, Bits<16>>,
    produced_wide: Signal<Local, Bits<W1>>,
    run_wide: Signal<Local, Bits<W1>>,
    n_wide: Signal<Local, Bits<W1>>,
    need: Signal<Local, Bits<W1>>,
    produced_next: Signal<Local, Bits<W>>,
    push: Signal<Local, Bit>,
    advance: Signal<Local, Bit>,
    end_of_word: Signal<Local, Bit>,
    err_extra: Signal<Local, Bit>,
    err_early: Signal<Local, Bit>,
    err_missing: Signal<Local, Bit>,
    finish: Signal<Local, Bit>,
    in_fifo_rst: Signal<Local, Bit>,
    kind_extra: Constant<Bits<2>>,
    kind_early: Constant<Bits<2>>,
    kind_missing: Constant<Bits<2>>,
}

/// The decoder of the `rlc_decoder` unit: 32-bit counts.
pub(crate) type RlcDecoderUnit = RlcDecoder<32, 33>;

pub(crate) fn build<const W: usize, const W1: usize>() -> RlcDecoder<W, W1> {
    assert!(W1 == W + 1 && (6..=32).contains(&W), "a decoder counts in 6 to 32 bits, its check in one more");
    let mut uut = RlcDecoder {
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
        done: Default::default(),
        error: Default::default(),
        error_kind: Default::default(),
        words_in: Default::default(),
        values_out: Default::default(),
        in_fifo: Default::default(),
        out_fifo: Default::default(),
        running: Default::default(),
        n: Default::default(),
        produced: Default::default(),
        slot: Default::default(),
        zeros: Default::default(),
        done_r: Default::default(),
        kind: Default::default(),
        n_words: Default::default(),
        n_values: Default::default(),
        head: Default::default(),
        pair: Default::default(),
        run: Default::default(),
        level: Default::default(),
        produced_wide: Default::default(),
        run_wide: Default::default(),
        n_wide: Default::default(),
        need: Default::default(),
        produced_next: Default::default(),
        push: Default::default(),
        advance: Default::default(),
        end_of_word: Default::default(),
        err_extra: Default::default(),
        err_early: Default::default(),
        err_missing: Default::default(),
        finish: Default::default(),
        in_fifo_rst: Default::default(),
        kind_extra: Constant::new(bits(1)),
        kind_early: Constant::new(bits(2)),
        kind_missing: Constant::new(bits(3)),
    };
    uut.connect_all();
    uut
}

impl<const W: usize, const W1: usize> Logic for RlcDecoder<W, W1> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clk, running, n, produced, slot, zeros, done_r, kind, n_words, n_values);
        self.running.rst.next = self.rst.val();
        self.n.rst.next = self.rst.val();
        self.produced.rst.next = self.rst.val();
        self.slot.rst.next = self.rst.val();
        self.zeros.rst.next = self.rst.val();
        self.done_r.rst.next = self.rst.val();
        self.kind.rst.next = self.rst.val();
        self.n_words.rst.next = self.rst.val();
        self.n_values.rst.next = self.rst.val();
        self.in_fifo.clk.next = self.clk.val();
        self.out_fifo.clk.next = self.clk.val();
        self.out_fifo.rst.next = self.rst.val();

        // Streams and status.
        self.in_fifo.in_valid.next = self.in_valid.val() & self.running.q.val();
        self.in_fifo.in_data.next = self.in_data.val();
        self.in_ready.next = self.running.q.val() & self.in_fifo.in_ready.val();
        self.out_valid.next = self.out_fifo.out_valid.val();
        self.out_data.next = self.out_fifo.out_data.val();
        self.out_fifo.out_ready.next = self.out_ready.val();
        self.cfg_ready.next = !self.running.q.val();
        self.busy.next = self.running.q.val();
        self.done.next = self.done_r.q.val();
        self.error.next = self.kind.q.val().any();
        self.error_kind.next = self.kind.q.val();
        self.words_in.next = self.n_words.q.val();
        self.values_out.next = self.n_values.q.val();
        if self.in_valid.val() & self.running.q.val() & self.in_fifo.in_ready.val() {
            self.n_words.d.next = self.n_words.q.val() + 1;
        }

        // The current pair of the word at the head of the input FIFO.
        self.head.next = self.in_fifo.out_data.val();
        self.pair.next = self.head.val().get_bits::<21>(0);
        if self.slot.q.val() == 1 {
            self.pair.next = self.head.val().get_bits::<21>(21);
        }
        if self.slot.q.val() == 2 {
            self.pair.next = self.head.val().get_bits::<21>(42);
        }
        self.run.next = self.pair.val().get_bits::<5>(0);
        self.level.next = self.pair.val().get_bits::<16>(5);
        self.produced_wide.next = bit_cast::<W1, W>(self.produced.q.val());
        self.run_wide.next = bit_cast::<W1, 5>(self.run.val());
        self.n_wide.next = bit_cast::<W1, W>(self.n.q.val());
        self.need.next = self.produced_wide.val() + self.run_wide.val() + 1;

        // One step: skip padding, flag an overflowing pair, or write one value.
        self.push.next = false;
        self.advance.next = false;
        self.err_extra.next = false;
        self.out_fifo.in_valid.next = false;
        self.out_fifo.in_data.next = self.level.val();
        if self.running.q.val() & self.in_fifo.out_valid.val() {
            if self.produced.q.val() == self.n.q.val() {
                if self.pair.val().any() {
                    self.err_extra.next = true;
                } else {
                    self.advance.next = true;
                }
            } else if !self.zeros.q.val().any() & (self.need.val() > self.n_wide.val()) {
                self.err_extra.next = true;
            } else if self.out_fifo.in_ready.val() {
                self.push.next = true;
                self.out_fifo.in_valid.next = true;
                if self.zeros.q.val() < self.run.val() {
                    self.out_fifo.in_data.next = 0.into();
                    self.zeros.d.next = self.zeros.q.val() + 1;
                } else {
                    self.zeros.d.next = 0.into();
                    self.advance.next = true;
                }
            }
        }
        self.produced_next.next = self.produced.q.val();
        if self.push.val() {
            self.produced_next.next = self.produced.q.val() + 1;
            self.n_values.d.next = self.n_values.q.val() + 1;
        }
        self.produced.d.next = self.produced_next.val();

        // End of a pair, end of a word and its checks.
        self.end_of_word.next = self.advance.val() & (self.slot.q.val() == 2);
        if self.advance.val() {
            self.slot.d.next = self.slot.q.val() + 1;
            if self.slot.q.val() == 2 {
                self.slot.d.next = 0.into();
            }
        }
        self.in_fifo.out_ready.next = self.end_of_word.val();
        self.err_early.next = self.end_of_word.val() & self.head.val().get_bit(63) & (self.produced_next.val() < self.n.q.val());
        self.err_missing.next = self.end_of_word.val() & !self.head.val().get_bit(63) & (self.produced_next.val() == self.n.q.val());
        self.finish.next = self.err_extra.val() | (self.end_of_word.val() & self.head.val().get_bit(63)) | self.err_missing.val();
        if self.finish.val() {
            self.running.d.next = false;
            self.done_r.d.next = true;
            if self.err_extra.val() {
                self.kind.d.next = self.kind_extra.val();
            }
            if self.err_early.val() {
                self.kind.d.next = self.kind_early.val();
            }
            if self.err_missing.val() {
                self.kind.d.next = self.kind_missing.val();
            }
        }
        // Whatever is left of a finished stream is dropped.
        self.in_fifo_rst.next = self.rst.val() | self.finish.val();
        self.in_fifo.rst.next = self.in_fifo_rst.val();

        if !self.running.q.val() & self.cfg_valid.val() {
            self.running.d.next = true;
            self.n.d.next = self.cfg_n.val();
            self.produced.d.next = 0.into();
            self.slot.d.next = 0.into();
            self.zeros.d.next = 0.into();
            self.done_r.d.next = false;
            self.kind.d.next = 0.into();
        }
    }
}

crate::sim::sim_ports!(
    [const W: usize, const W1: usize] RlcDecoder<W, W1>,
    clock: clk,
    inputs: [rst, cfg_valid, cfg_n, in_valid, in_data, out_ready],
    outputs: [cfg_ready, in_ready, out_valid, out_data, busy, done, error, error_kind, words_in, values_out]
);
