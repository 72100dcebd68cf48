//! The transfer engines: run the `Load` and `Store` commands of the layer program
//! (`edgertl_sim::eyeriss::program`) between DRAM and the accelerator's buffers.
//!
//! Both are built on [`XferWalk`]: a [`LoopWalker`] with three lanes (0 the DRAM word
//! address `dram(i)`, 1 the buffer word address `buf(i)`, 2 the operand of a skip range) and
//! the range itself. Index vectors where the range is on and does not hold are passed over
//! (they move nothing); the others come out one a cycle. Addresses count 16-bit words.
//!
//! # The DRAM link
//! DRAM is 64 bits wide: a *beat* holds the four words `4b .. 4b+3`, word `4b + k` in bits
//! `16k .. 16k+15` (lane k). An engine asks for beats, not words:
//! - [`LoadEngine`] reads the beat of each word it moves, except when the word is in the beat
//!   it asked for last (in this command): then it takes the word from that beat again. A load
//!   of contiguous words reads a quarter as many beats as it moves words.
//! - [`StoreEngine`] gathers the words it moves into a pending beat with a lane mask while
//!   they fall into the same beat, and writes the beat (only its masked lanes) when the next
//!   word falls elsewhere, or when the command's last word has arrived.
//!
//! # Configuration (both engines)
//! `cfg_we`, `cfg_addr` (7 bits), `cfg_data` (32), while the engine is idle: addresses 0-63
//! the walker's descriptor (lane f's jump for loop k at `8*f + k`, its base at `8*f + 6`,
//! loop k's count at `56 + k`), 64 / 65 the range's `lo` / `hi` (it holds when
//! `lo <= v < hi`, computed as `(v - lo) < (hi - lo)` unsigned), 66 the mode: bit 0 the range
//! is on, bit 1 the filter buffer (load) or ReLU (store), bits 2-3 the data type (0 ifmap,
//! 1 filter, 2 psum; for the parent's counters), bit 4 the DRAM side is a run-length coded
//! stream; 67 its N (values), 68 its beat. `start` runs the command (ignored while busy);
//! `idle`: no walk, no word in flight, no pending beat, no stream under way.
//!
//! # Coded commands (mode bit 4)
//! The DRAM side is a stream at beat `b`: a length beat (L, bits 31-0), then L coded words
//! (the parent's module docs). [`LoadEngine`] reads them into an instantiated `rlc_decoder`
//! and writes its N values to the walk's buffer addresses; [`StoreEngine`] puts the N words
//! it reads through an `rlc_encoder`, writes the coded words from beat `b + 1` and then L at
//! beat `b`. The load reports a malformed stream (`rlc_error`, `rlc_kind`), passes over the
//! rest of its walk and drops what DRAM still sends: it always comes back to idle.
//!
//! # Ports
//! - Load: `mem_rd_valid` / `mem_rd_ready` / `mem_rd_beat` (30 bits): beat reads;
//!   `mem_resp_valid` / `mem_resp_ready` / `mem_resp_data` (64): their data, in order;
//!   `wr_valid` / `wr_ready` / `wr_addr` (32, the parent truncates) / `wr_data` (16): buffer
//!   writes, in index order; `filter`: the command writes the filter buffer; `kind`.
//! - Store: `rd_valid` / `rd_ready` / `rd_addr` (32) and `rd_resp_valid` / `rd_resp_ready` /
//!   `rd_resp_data` (16): GLB reads, answered in order after any latency; `mem_wr_valid` /
//!   `mem_wr_ready` / `mem_wr_beat` (30) / `mem_wr_data` (64) / `mem_wr_mask` (4, a bit per
//!   lane): beat writes; `kind`.
//!
//! Requests (`mem_rd_*`, `rd_*`) are functions of registers only; the words out pass their
//! response's valid through.

use super::walker::LoopWalker;
use crate::rlc::{RlcDecoder, RlcEncoder};
use crate::widgets::{Fifo, Reg};
use rust_hdl::prelude::*;

/// The walker's lane width: DRAM word addresses need all 32 bits.
pub const LANE_BITS: usize = 32;

/// Configuration addresses of the engines' own registers (after the walker's 64).
pub mod cfg {
    pub const LO: u64 = 64;
    pub const HI: u64 = 65;
    pub const MODE: u64 = 66;
    /// Values of a coded command's stream (N, the words it moves).
    pub const VALUES: u64 = 67;
    /// Beat of a coded command's stream (its length beat; the coded words follow).
    pub const STREAM: u64 = 68;
    /// Mode bits.
    pub const RANGE_ON: u64 = 1;
    pub const FILTER_OR_RELU: u64 = 2;
    pub const KIND_SHIFT: u64 = 2;
    pub const CODED: u64 = 16;
}

/// Blocks whose combinational logic a parent must have emitted a variable a block
/// (`emit::emit_block_split`): the walk's `valid` and addresses come from registers, its
/// `ready` from the engine's logic that reads them, which Verilator would take for a loop
/// through one `always` block.
pub const SPLIT_COMB: &[&str] = &["walk"];

/// The walk of a transfer: the index vectors that move a word, with their addresses.
#[derive(LogicBlock)]
pub struct XferWalk {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    pub cfg_we: Signal<In, Bit>,
    pub cfg_addr: Signal<In, Bits<7>>,
    pub cfg_data: Signal<In, Bits<32>>,
    pub start: Signal<In, Bit>,
    /// A word to move: its DRAM and buffer word addresses.
    pub valid: Signal<Out, Bit>,
    pub ready: Signal<In, Bit>,
    pub dram_addr: Signal<Out, Bits<32>>,
    pub buf_addr: Signal<Out, Bits<32>>,
    /// The walk is under way (words or passed-over index vectors left).
    pub busy: Signal<Out, Bit>,
    /// Mode bit 1 (filter buffer / ReLU) and the data type.
    pub flag: Signal<Out, Bit>,
    pub kind: Signal<Out, Bits<2>>,
    /// Mode bit 4: the DRAM side is a run-length coded stream of `values` values at beat
    /// `stream`.
    pub coded: Signal<Out, Bit>,
    pub values: Signal<Out, Bits<32>>,
    pub stream: Signal<Out, Bits<30>>,
    walker: LoopWalker<LANE_BITS>,
    lo: Reg<Bits<32>>,
    hi: Reg<Bits<32>>,
    mode: Reg<Bits<5>>,
    n: Reg<Bits<32>>,
    beat: Reg<Bits<30>>,
    skipped: Signal<Local, Bit>,
    cfg_reg: Signal<Local, Bits<6>>,
    cfg_own: Signal<Local, Bit>,
}

impl Default for XferWalk {
    fn default() -> Self {
        Self {
            clk: Default::default(),
            rst: Default::default(),
            cfg_we: Default::default(),
            cfg_addr: Default::default(),
            cfg_data: Default::default(),
            start: Default::default(),
            valid: Default::default(),
            ready: Default::default(),
            dram_addr: Default::default(),
            buf_addr: Default::default(),
            busy: Default::default(),
            flag: Default::default(),
            kind: Default::default(),
            coded: Default::default(),
            values: Default::default(),
            stream: Default::default(),
            walker: LoopWalker::new(3),
            lo: Default::default(),
            hi: Default::default(),
            mode: Default::default(),
            n: Default::default(),
            beat: Default::default(),
            skipped: Default::default(),
            cfg_reg: Default::default(),
            cfg_own: Default::default(),
        }
    }
}

impl Logic for XferWalk {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clk, lo, hi, mode, n, beat);
        self.lo.rst.next = self.rst.val();
        self.hi.rst.next = self.rst.val();
        self.mode.rst.next = self.rst.val();
        self.n.rst.next = self.rst.val();
        self.beat.rst.next = self.rst.val();
        self.walker.clk.next = self.clk.val();
        self.walker.rst.next = self.rst.val();
        self.cfg_own.next = self.cfg_we.val() & self.cfg_addr.val().get_bit(6) & !self.walker.valid.val();
        self.walker.cfg_we.next = self.cfg_we.val() & !self.cfg_addr.val().get_bit(6);
        self.cfg_reg.next = self.cfg_addr.val().get_bits::<6>(0);
        self.walker.cfg_addr.next = self.cfg_reg.val();
        self.walker.cfg_data.next = self.cfg_data.val();
        self.walker.start.next = self.start.val();
        if self.cfg_own.val() & (self.cfg_reg.val() == 0) {
            self.lo.d.next = self.cfg_data.val();
        }
        if self.cfg_own.val() & (self.cfg_reg.val() == 1) {
            self.hi.d.next = self.cfg_data.val();
        }
        if self.cfg_own.val() & (self.cfg_reg.val() == 2) {
            self.mode.d.next = self.cfg_data.val().get_bits::<5>(0);
        }
        if self.cfg_own.val() & (self.cfg_reg.val() == 3) {
            self.n.d.next = self.cfg_data.val();
        }
        if self.cfg_own.val() & (self.cfg_reg.val() == 4) {
            self.beat.d.next = self.cfg_data.val().get_bits::<30>(0);
        }
        self.skipped.next = self.mode.q.val().get_bit(0)
            & ((self.walker.value[2].val() - self.lo.q.val()) >= (self.hi.q.val() - self.lo.q.val()));
        self.valid.next = self.walker.valid.val() & !self.skipped.val();
        self.walker.ready.next = self.skipped.val() | self.ready.val();
        self.dram_addr.next = self.walker.value[0].val();
        self.buf_addr.next = self.walker.value[1].val();
        self.busy.next = self.walker.valid.val();
        self.flag.next = self.mode.q.val().get_bit(1);
        self.kind.next = self.mode.q.val().get_bits::<2>(2);
        self.coded.next = self.mode.q.val().get_bit(4);
        self.values.next = self.n.q.val();
        self.stream.next = self.beat.q.val();
    }
}

/// The load engine: DRAM beats in, buffer words out (see the module docs).
#[derive(LogicBlock)]
pub struct LoadEngine {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    pub cfg_we: Signal<In, Bit>,
    pub cfg_addr: Signal<In, Bits<7>>,
    pub cfg_data: Signal<In, Bits<32>>,
    pub start: Signal<In, Bit>,
    pub idle: Signal<Out, Bit>,
    pub mem_rd_valid: Signal<Out, Bit>,
    pub mem_rd_ready: Signal<In, Bit>,
    pub mem_rd_beat: Signal<Out, Bits<30>>,
    pub mem_resp_valid: Signal<In, Bit>,
    pub mem_resp_ready: Signal<Out, Bit>,
    pub mem_resp_data: Signal<In, Bits<64>>,
    pub wr_valid: Signal<Out, Bit>,
    pub wr_ready: Signal<In, Bit>,
    pub wr_addr: Signal<Out, Bits<32>>,
    pub wr_data: Signal<Out, Bits<16>>,
    pub filter: Signal<Out, Bit>,
    pub kind: Signal<Out, Bits<2>>,
    /// The command is coded, and a beat of its stream (the length beat included) was taken
    /// (one edge late: a register, for the parent's counters).
    pub coded: Signal<Out, Bit>,
    pub coded_beat: Signal<Out, Bit>,
    /// The decoder's verdict on the last coded stream (held until the next coded command):
    /// malformed, and why (1 extra values, 2 early term or truncated, 3 missing term); the
    /// stream's beat.
    pub rlc_error: Signal<Out, Bit>,
    pub rlc_kind: Signal<Out, Bits<2>>,
    /// The last coded stream ran out of beats before the decoder finished (truncated).
    pub rlc_truncated: Signal<Out, Bit>,
    pub stream: Signal<Out, Bits<30>>,
    walk: XferWalk,
    /// The order FIFO: bits 0-31 the buffer address, 32-33 the lane, 34 a new beat (its data
    /// is the next response; otherwise the word is in `held`).
    order: Fifo<Bits<35>>,
    /// The beat asked for last in this command, and whether there is one.
    last_beat: Reg<Bits<30>>,
    have_beat: Reg<Bit>,
    /// The data of the last beat taken from DRAM.
    held: Reg<Bits<64>>,
    /// A coded command: its decoder (17-bit counts: a command moves at most 2^16 words).
    dec: RlcDecoder<17, 18>,
    /// A coded command is under way; its length beat is still to come, and was asked for.
    c_on: Reg<Bit>,
    c_hdr: Reg<Bit>,
    c_asked: Reg<Bit>,
    /// The next beat of the stream to ask for, and how many are left to ask for.
    c_next: Reg<Bits<30>>,
    c_left: Reg<Bits<32>>,
    /// Beats asked for and not yet taken (at most 4: the link's limit).
    c_flight: Reg<Bits<3>>,
    beat_q: Reg<Bit>,
    c_trunc: Reg<Bit>,
    beat: Signal<Local, Bits<30>>,
    lane: Signal<Local, Bits<2>>,
    same: Signal<Local, Bit>,
    accept: Signal<Local, Bit>,
    new_bit: Signal<Local, Bits<1>>,
    head_new: Signal<Local, Bit>,
    head_lane: Signal<Local, Bits<2>>,
    head_beat: Signal<Local, Bits<64>>,
    moves: Signal<Local, Bit>,
    raw_wr: Signal<Local, Bit>,
    c_go: Signal<Local, Bit>,
    c_req: Signal<Local, Bit>,
    c_acc: Signal<Local, Bit>,
    c_take: Signal<Local, Bit>,
    c_close: Signal<Local, Bit>,
    c_drain: Signal<Local, Bit>,
    unused_hdr: Signal<Local, Bits<64>>,
    unused_dec: Signal<Local, Bits<32>>,
    unused_dec_n: Signal<Local, Bits<32>>,
    /// The decoder takes a length only when idle; the load engine starts a stream only after the last one's `done`.
    unused_dec_ready: Signal<Local, Bit>,
    /// The word fed to the decoder after a truncated stream: three (31, 1) pairs, no term.
    term_word: Constant<Bits<64>>,
}

impl Default for LoadEngine {
    fn default() -> Self {
        Self {
            clk: Default::default(),
            rst: Default::default(),
            cfg_we: Default::default(),
            cfg_addr: Default::default(),
            cfg_data: Default::default(),
            start: Default::default(),
            idle: Default::default(),
            mem_rd_valid: Default::default(),
            mem_rd_ready: Default::default(),
            mem_rd_beat: Default::default(),
            mem_resp_valid: Default::default(),
            mem_resp_ready: Default::default(),
            mem_resp_data: Default::default(),
            wr_valid: Default::default(),
            wr_ready: Default::default(),
            wr_addr: Default::default(),
            wr_data: Default::default(),
            filter: Default::default(),
            kind: Default::default(),
            coded: Default::default(),
            coded_beat: Default::default(),
            rlc_error: Default::default(),
            rlc_kind: Default::default(),
            rlc_truncated: Default::default(),
            stream: Default::default(),
            walk: Default::default(),
            order: Default::default(),
            last_beat: Default::default(),
            have_beat: Default::default(),
            held: Default::default(),
            dec: crate::rlc::build_decoder(),
            c_on: Default::default(),
            c_hdr: Default::default(),
            c_asked: Default::default(),
            c_next: Default::default(),
            c_left: Default::default(),
            c_flight: Default::default(),
            beat_q: Default::default(),
            c_trunc: Default::default(),
            beat: Default::default(),
            lane: Default::default(),
            same: Default::default(),
            accept: Default::default(),
            new_bit: Default::default(),
            head_new: Default::default(),
            head_lane: Default::default(),
            head_beat: Default::default(),
            moves: Default::default(),
            raw_wr: Default::default(),
            c_go: Default::default(),
            c_req: Default::default(),
            c_acc: Default::default(),
            c_take: Default::default(),
            c_close: Default::default(),
            c_drain: Default::default(),
            unused_hdr: Default::default(),
            unused_dec: Default::default(),
            unused_dec_n: Default::default(),
            unused_dec_ready: Default::default(),
            term_word: Constant::new(bits(63 | (63 << 21) | (63 << 42))),
        }
    }
}

impl Logic for LoadEngine {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clk, last_beat, have_beat, held, c_on, c_hdr, c_asked, c_next, c_left, c_flight, beat_q, c_trunc);
        self.c_trunc.rst.next = self.rst.val();
        self.beat_q.rst.next = self.rst.val();
        self.last_beat.rst.next = self.rst.val();
        self.have_beat.rst.next = self.rst.val();
        self.held.rst.next = self.rst.val();
        self.c_on.rst.next = self.rst.val();
        self.c_hdr.rst.next = self.rst.val();
        self.c_asked.rst.next = self.rst.val();
        self.c_next.rst.next = self.rst.val();
        self.c_left.rst.next = self.rst.val();
        self.c_flight.rst.next = self.rst.val();
        self.walk.clk.next = self.clk.val();
        self.walk.rst.next = self.rst.val();
        self.order.clk.next = self.clk.val();
        self.order.rst.next = self.rst.val();
        self.dec.clk.next = self.clk.val();
        self.dec.rst.next = self.rst.val();
        self.walk.cfg_we.next = self.cfg_we.val();
        self.walk.cfg_addr.next = self.cfg_addr.val();
        self.walk.cfg_data.next = self.cfg_data.val();
        self.walk.start.next = self.start.val();
        self.filter.next = self.walk.flag.val();
        self.kind.next = self.walk.kind.val();
        self.coded.next = self.walk.coded.val();
        self.stream.next = self.walk.stream.val();
        self.rlc_error.next = self.dec.error.val();
        self.rlc_kind.next = self.dec.error_kind.val();
        self.rlc_truncated.next = self.c_trunc.q.val();
        self.unused_dec.next = self.dec.words_in.val() ^ self.dec.values_out.val();
        self.unused_dec_ready.next = self.dec.cfg_ready.val();
        // A new command forgets the last beat (DRAM may have changed since).
        if self.start.val() & !self.walk.busy.val() {
            self.have_beat.d.next = false;
        }
        // Raw: the current word's beat is read unless it is the beat asked for last.
        self.beat.next = self.walk.dram_addr.val().get_bits::<30>(2);
        self.lane.next = self.walk.dram_addr.val().get_bits::<2>(0);
        self.same.next = self.have_beat.q.val() & (self.beat.val() == self.last_beat.q.val());
        self.mem_rd_valid.next = self.walk.valid.val() & self.order.in_ready.val() & !self.same.val() & !self.walk.coded.val();
        self.mem_rd_beat.next = self.beat.val();
        self.accept.next = self.walk.valid.val()
            & self.order.in_ready.val()
            & (self.same.val() | self.mem_rd_ready.val())
            & !self.walk.coded.val();
        self.walk.ready.next = self.accept.val();
        if self.accept.val() & !self.same.val() {
            self.last_beat.d.next = self.beat.val();
            self.have_beat.d.next = true;
        }
        self.new_bit.next = 0.into();
        if !self.same.val() {
            self.new_bit.next = 1.into();
        }
        self.order.in_valid.next = self.accept.val();
        self.order.in_data.next = bit_cast::<35, 32>(self.walk.buf_addr.val())
            | (bit_cast::<35, 2>(self.lane.val()) << 32)
            | (bit_cast::<35, 1>(self.new_bit.val()) << 34);
        // The head word: from the next response (a new beat) or from the held one.
        self.head_new.next = self.order.out_data.val().get_bit(34);
        self.head_lane.next = self.order.out_data.val().get_bits::<2>(32);
        self.head_beat.next = self.held.q.val();
        if self.head_new.val() {
            self.head_beat.next = self.mem_resp_data.val();
        }
        self.raw_wr.next = self.order.out_valid.val() & (!self.head_new.val() | self.mem_resp_valid.val());
        self.wr_valid.next = self.raw_wr.val();
        self.wr_addr.next = self.order.out_data.val().get_bits::<32>(0);
        self.wr_data.next = self.head_beat.val().get_bits::<16>(0);
        if self.head_lane.val() == 1 {
            self.wr_data.next = self.head_beat.val().get_bits::<16>(16);
        }
        if self.head_lane.val() == 2 {
            self.wr_data.next = self.head_beat.val().get_bits::<16>(32);
        }
        if self.head_lane.val() == 3 {
            self.wr_data.next = self.head_beat.val().get_bits::<16>(48);
        }
        self.moves.next = self.raw_wr.val() & self.wr_ready.val();
        self.order.out_ready.next = self.moves.val();
        self.mem_resp_ready.next = self.order.out_valid.val() & self.head_new.val() & self.wr_ready.val();
        if self.moves.val() & self.head_new.val() {
            self.held.d.next = self.mem_resp_data.val();
        }

        // Coded: the stream's length beat, then that many beats into the decoder while it
        // runs; its values go to the walk's buffer addresses in order.
        self.c_go.next = self.start.val() & !self.walk.busy.val() & !self.c_on.q.val() & self.walk.coded.val();
        self.dec.cfg_valid.next = self.c_go.val();
        self.dec.cfg_n.next = self.walk.values.val().get_bits::<17>(0);
        self.unused_dec_n.next = self.walk.values.val();
        self.c_req.next = self.c_on.q.val()
            & ((self.c_hdr.q.val() & !self.c_asked.q.val())
                | (!self.c_hdr.q.val() & self.c_left.q.val().any() & self.dec.busy.val()));
        // A finished decoder with no value left: what remains of the walk (a malformed
        // stream's words) is passed over.
        self.c_drain.next = self.c_on.q.val() & self.dec.done.val() & !self.dec.out_valid.val();
        self.dec.in_valid.next = false;
        self.dec.in_data.next = self.mem_resp_data.val();
        self.unused_hdr.next = self.mem_resp_data.val();
        if self.walk.coded.val() {
            self.mem_rd_valid.next = self.c_req.val();
            self.mem_rd_beat.next = self.c_next.q.val();
            // The length beat, a stream beat into the decoder, or a beat the decoder no longer
            // takes (it has finished): dropped.
            self.mem_resp_ready.next = true;
            if !self.c_hdr.q.val() & self.dec.busy.val() {
                self.mem_resp_ready.next = self.dec.in_ready.val();
                self.dec.in_valid.next = self.mem_resp_valid.val();
            }
            // Every beat given and the decoder still waits: the stream was cut short. Words of
            // three (31, 1) pairs and no term follow until the decoder stops, which it does
            // with an error (never a success: no term), within N / 96 + 1 words.
            if self.c_on.q.val() & !self.c_hdr.q.val() & !self.c_left.q.val().any() & (self.c_flight.q.val() == 0) & self.dec.busy.val() {
                self.dec.in_valid.next = true;
                self.dec.in_data.next = self.term_word.val();
                self.c_trunc.d.next = true;
            }
            self.wr_valid.next = self.walk.valid.val() & self.dec.out_valid.val();
            self.wr_addr.next = self.walk.buf_addr.val();
            self.wr_data.next = self.dec.out_data.val();
            self.walk.ready.next = (self.dec.out_valid.val() & self.wr_ready.val()) | self.c_drain.val();
        }
        self.dec.out_ready.next = self.walk.coded.val() & self.walk.valid.val() & self.wr_ready.val();
        self.c_acc.next = self.walk.coded.val() & self.c_req.val() & self.mem_rd_ready.val();
        self.c_take.next = self.walk.coded.val() & self.c_on.q.val() & self.mem_resp_valid.val() & self.mem_resp_ready.val();
        self.beat_q.d.next = self.c_take.val();
        self.coded_beat.next = self.beat_q.q.val();
        if self.c_acc.val() {
            self.c_next.d.next = self.c_next.q.val() + 1;
            if self.c_hdr.q.val() {
                self.c_asked.d.next = true;
            } else {
                self.c_left.d.next = self.c_left.q.val() - 1;
            }
        }
        if self.c_take.val() & self.c_hdr.q.val() {
            self.c_hdr.d.next = false;
            self.c_left.d.next = self.mem_resp_data.val().get_bits::<32>(0);
        }
        if self.c_acc.val() & !self.c_take.val() {
            self.c_flight.d.next = self.c_flight.q.val() + 1;
        }
        if !self.c_acc.val() & self.c_take.val() {
            self.c_flight.d.next = self.c_flight.q.val() - 1;
        }
        self.c_close.next = self.c_drain.val() & !self.walk.busy.val() & (self.c_flight.q.val() == 0) & !self.c_acc.val();
        if self.c_close.val() {
            self.c_on.d.next = false;
        }
        if self.c_go.val() {
            self.c_on.d.next = true;
            self.c_hdr.d.next = true;
            self.c_asked.d.next = false;
            self.c_trunc.d.next = false;
            self.c_next.d.next = self.walk.stream.val();
        }
        self.idle.next = !self.walk.busy.val() & !self.order.out_valid.val() & !self.c_on.q.val();
    }
}

/// The store engine: buffer words in, DRAM beats out (see the module docs).
#[derive(LogicBlock)]
pub struct StoreEngine {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    pub cfg_we: Signal<In, Bit>,
    pub cfg_addr: Signal<In, Bits<7>>,
    pub cfg_data: Signal<In, Bits<32>>,
    pub start: Signal<In, Bit>,
    pub idle: Signal<Out, Bit>,
    pub rd_valid: Signal<Out, Bit>,
    pub rd_ready: Signal<In, Bit>,
    pub rd_addr: Signal<Out, Bits<32>>,
    pub rd_resp_valid: Signal<In, Bit>,
    pub rd_resp_ready: Signal<Out, Bit>,
    pub rd_resp_data: Signal<In, Bits<16>>,
    pub mem_wr_valid: Signal<Out, Bit>,
    pub mem_wr_ready: Signal<In, Bit>,
    pub mem_wr_beat: Signal<Out, Bits<30>>,
    pub mem_wr_data: Signal<Out, Bits<64>>,
    pub mem_wr_mask: Signal<Out, Bits<4>>,
    pub kind: Signal<Out, Bits<2>>,
    /// The command is coded, and a beat of its stream (the length beat included) was written
    /// (one edge late: a register, for the parent's counters).
    pub coded: Signal<Out, Bit>,
    pub coded_beat: Signal<Out, Bit>,
    walk: XferWalk,
    /// The order FIFO: the DRAM word address of each read in flight.
    order: Fifo<Bits<32>>,
    /// The pending beat: whether there is one, its address, data and lane mask.
    pend: Reg<Bit>,
    pend_beat: Reg<Bits<30>>,
    pend_data: Reg<Bits<64>>,
    pend_mask: Reg<Bits<4>>,
    /// A coded command: its encoder, the length beat still to write, the next word's beat and
    /// the words written.
    enc: RlcEncoder,
    s_hdr: Reg<Bit>,
    s_next: Reg<Bits<30>>,
    s_count: Reg<Bits<32>>,
    beat_q: Reg<Bit>,
    head_beat: Signal<Local, Bits<30>>,
    head_lane: Signal<Local, Bits<2>>,
    /// The head word after ReLU, in its lane of a beat, and that lane's mask bit.
    word: Signal<Local, Bits<16>>,
    word_beat: Signal<Local, Bits<64>>,
    keep: Signal<Local, Bits<64>>,
    lane_bit: Signal<Local, Bits<4>>,
    merge: Signal<Local, Bit>,
    flush: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
    s_go: Signal<Local, Bit>,
    s_last: Signal<Local, Bit>,
    s_wr: Signal<Local, Bit>,
    unused_enc: Signal<Local, Bits<32>>,
    /// The encoder takes a length only when idle; the store engine starts a stream only after the last one's length beat.
    unused_enc_ready: Signal<Local, Bit>,
}

impl Default for StoreEngine {
    fn default() -> Self {
        Self {
            clk: Default::default(),
            rst: Default::default(),
            cfg_we: Default::default(),
            cfg_addr: Default::default(),
            cfg_data: Default::default(),
            start: Default::default(),
            idle: Default::default(),
            rd_valid: Default::default(),
            rd_ready: Default::default(),
            rd_addr: Default::default(),
            rd_resp_valid: Default::default(),
            rd_resp_ready: Default::default(),
            rd_resp_data: Default::default(),
            mem_wr_valid: Default::default(),
            mem_wr_ready: Default::default(),
            mem_wr_beat: Default::default(),
            mem_wr_data: Default::default(),
            mem_wr_mask: Default::default(),
            kind: Default::default(),
            coded: Default::default(),
            coded_beat: Default::default(),
            walk: Default::default(),
            order: Default::default(),
            pend: Default::default(),
            pend_beat: Default::default(),
            pend_data: Default::default(),
            pend_mask: Default::default(),
            enc: crate::rlc::build_encoder(),
            s_hdr: Default::default(),
            s_next: Default::default(),
            s_count: Default::default(),
            beat_q: Default::default(),
            head_beat: Default::default(),
            head_lane: Default::default(),
            word: Default::default(),
            word_beat: Default::default(),
            keep: Default::default(),
            lane_bit: Default::default(),
            merge: Default::default(),
            flush: Default::default(),
            take: Default::default(),
            s_go: Default::default(),
            s_last: Default::default(),
            s_wr: Default::default(),
            unused_enc: Default::default(),
            unused_enc_ready: Default::default(),
        }
    }
}

impl Logic for StoreEngine {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clk, pend, pend_beat, pend_data, pend_mask, s_hdr, s_next, s_count, beat_q);
        self.beat_q.rst.next = self.rst.val();
        self.pend.rst.next = self.rst.val();
        self.pend_beat.rst.next = self.rst.val();
        self.pend_data.rst.next = self.rst.val();
        self.pend_mask.rst.next = self.rst.val();
        self.s_hdr.rst.next = self.rst.val();
        self.s_next.rst.next = self.rst.val();
        self.s_count.rst.next = self.rst.val();
        self.walk.clk.next = self.clk.val();
        self.walk.rst.next = self.rst.val();
        self.order.clk.next = self.clk.val();
        self.order.rst.next = self.rst.val();
        self.enc.clk.next = self.clk.val();
        self.enc.rst.next = self.rst.val();
        self.walk.cfg_we.next = self.cfg_we.val();
        self.walk.cfg_addr.next = self.cfg_addr.val();
        self.walk.cfg_data.next = self.cfg_data.val();
        self.walk.start.next = self.start.val();
        self.kind.next = self.walk.kind.val();
        self.coded.next = self.walk.coded.val();
        self.unused_enc.next = self.enc.words_out.val();
        self.unused_enc_ready.next = self.enc.cfg_ready.val();
        // Reads go out in index order, each word's DRAM address into the order FIFO.
        self.rd_valid.next = self.walk.valid.val() & self.order.in_ready.val();
        self.rd_addr.next = self.walk.buf_addr.val();
        self.walk.ready.next = self.order.in_ready.val() & self.rd_ready.val();
        self.order.in_valid.next = self.walk.valid.val() & self.rd_ready.val();
        self.order.in_data.next = self.walk.dram_addr.val();
        // The head word, through ReLU (a negative psum becomes 0).
        self.head_beat.next = self.order.out_data.val().get_bits::<30>(2);
        self.head_lane.next = self.order.out_data.val().get_bits::<2>(0);
        self.word.next = self.rd_resp_data.val();
        if self.walk.flag.val() & self.rd_resp_data.val().get_bit(15) {
            self.word.next = 0.into();
        }
        self.word_beat.next = bit_cast::<64, 16>(self.word.val());
        self.keep.next = 0xFFFF_FFFF_FFFF_0000_u64.into();
        self.lane_bit.next = 1.into();
        if self.head_lane.val() == 1 {
            self.word_beat.next = bit_cast::<64, 16>(self.word.val()) << 16;
            self.keep.next = 0xFFFF_FFFF_0000_FFFF_u64.into();
            self.lane_bit.next = 2.into();
        }
        if self.head_lane.val() == 2 {
            self.word_beat.next = bit_cast::<64, 16>(self.word.val()) << 32;
            self.keep.next = 0xFFFF_0000_FFFF_FFFF_u64.into();
            self.lane_bit.next = 4.into();
        }
        if self.head_lane.val() == 3 {
            self.word_beat.next = bit_cast::<64, 16>(self.word.val()) << 48;
            self.keep.next = 0x0000_FFFF_FFFF_FFFF_u64.into();
            self.lane_bit.next = 8.into();
        }
        // The pending beat goes out when the head word falls elsewhere, or when no word is
        // left to come; the head word joins it, or starts the next one.
        self.merge.next = self.pend.q.val() & (self.head_beat.val() == self.pend_beat.q.val());
        self.flush.next = self.pend.q.val()
            & ((self.order.out_valid.val() & self.rd_resp_valid.val() & !self.merge.val())
                | (!self.order.out_valid.val() & !self.walk.busy.val()));
        self.mem_wr_valid.next = self.flush.val();
        self.mem_wr_beat.next = self.pend_beat.q.val();
        self.mem_wr_data.next = self.pend_data.q.val();
        self.mem_wr_mask.next = self.pend_mask.q.val();
        self.take.next = self.order.out_valid.val()
            & self.rd_resp_valid.val()
            & (self.merge.val() | !self.pend.q.val() | self.mem_wr_ready.val());
        // Coded: the words go through the encoder; its coded words are written to the beats
        // after the stream's first, and once it has finished, the first beat gets their number.
        self.s_go.next = self.start.val() & !self.walk.busy.val() & !self.s_hdr.q.val() & self.walk.coded.val();
        self.enc.cfg_valid.next = self.s_go.val();
        self.enc.cfg_n.next = self.walk.values.val();
        self.enc.in_valid.next = self.walk.coded.val() & self.order.out_valid.val() & self.rd_resp_valid.val();
        self.enc.in_data.next = self.word.val();
        self.enc.out_ready.next = self.walk.coded.val() & self.mem_wr_ready.val();
        self.s_last.next = self.s_hdr.q.val() & !self.enc.busy.val() & !self.enc.out_valid.val() & !self.walk.busy.val() & !self.order.out_valid.val();
        if self.walk.coded.val() {
            self.take.next = self.order.out_valid.val() & self.rd_resp_valid.val() & self.enc.in_ready.val();
            self.mem_wr_valid.next = self.enc.out_valid.val() | self.s_last.val();
            self.mem_wr_beat.next = self.s_next.q.val();
            self.mem_wr_data.next = self.enc.out_data.val();
            self.mem_wr_mask.next = 15.into();
            if !self.enc.out_valid.val() {
                self.mem_wr_beat.next = self.walk.stream.val();
                self.mem_wr_data.next = bit_cast::<64, 32>(self.s_count.q.val());
            }
        }
        self.s_wr.next = self.walk.coded.val() & self.mem_wr_valid.val() & self.mem_wr_ready.val();
        self.beat_q.d.next = self.s_wr.val();
        self.coded_beat.next = self.beat_q.q.val();
        if self.s_wr.val() & self.enc.out_valid.val() {
            self.s_next.d.next = self.s_next.q.val() + 1;
            self.s_count.d.next = self.s_count.q.val() + 1;
        }
        if self.s_wr.val() & !self.enc.out_valid.val() {
            self.s_hdr.d.next = false;
        }
        if self.s_go.val() {
            self.s_hdr.d.next = true;
            self.s_next.d.next = self.walk.stream.val() + 1;
            self.s_count.d.next = 0.into();
        }
        self.rd_resp_ready.next = self.take.val();
        self.order.out_ready.next = self.take.val();
        if self.flush.val() & self.mem_wr_ready.val() & !self.walk.coded.val() {
            self.pend.d.next = false;
        }
        if self.take.val() & !self.walk.coded.val() {
            self.pend.d.next = true;
            self.pend_beat.d.next = self.head_beat.val();
            if self.merge.val() {
                self.pend_data.d.next = (self.pend_data.q.val() & self.keep.val()) | self.word_beat.val();
                self.pend_mask.d.next = self.pend_mask.q.val() | self.lane_bit.val();
            } else {
                self.pend_data.d.next = self.word_beat.val();
                self.pend_mask.d.next = self.lane_bit.val();
            }
        }
        self.idle.next = !self.walk.busy.val()
            & !self.order.out_valid.val()
            & !self.pend.q.val()
            & !self.s_hdr.q.val()
            & !self.enc.busy.val()
            & !self.enc.out_valid.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use std::collections::VecDeque;

    use crate::sim::settle;

    /// A random transfer: loop counts, lanes (DRAM, buffer, skip operand), the range, mode.
    struct Case {
        counts: [u32; 6],
        lanes: [(i64, [i64; 6]); 3],
        range: (i64, i64),
        mode: u64,
    }

    fn lin(lane: &(i64, [i64; 6]), idx: &[u32; 6]) -> i64 {
        lane.0 + (0..6).map(|k| lane.1[k] * idx[k] as i64).sum::<i64>()
    }

    /// The (DRAM, buffer) word addresses the program's semantics move, in order.
    fn reference(c: &Case) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        if c.counts.contains(&0) {
            return out;
        }
        let mut idx = [0u32; 6];
        loop {
            let v = lin(&c.lanes[2], &idx);
            if c.mode & cfg::RANGE_ON == 0 || (c.range.0..c.range.1).contains(&v) {
                out.push((lin(&c.lanes[0], &idx) as usize, lin(&c.lanes[1], &idx) as usize));
            }
            let mut k = 6;
            loop {
                if k == 0 {
                    return out;
                }
                k -= 1;
                idx[k] += 1;
                if idx[k] < c.counts[k] {
                    break;
                }
                idx[k] = 0;
            }
        }
    }

    /// Beats the engines must move for `moves`: one each time the beat changes.
    fn beats(moves: &[(usize, usize)]) -> u64 {
        let mut last = None;
        moves.iter().filter(|&&(d, _)| last.replace(d / 4) != Some(d / 4)).count() as u64
    }

    fn random_case(rng: &mut impl Rng, kind_bits: u64) -> Case {
        let mut counts: [u32; 6] = std::array::from_fn(|_| if rng.gen_bool(0.02) { 0 } else { rng.gen_range(1..=3) });
        // Contiguous inner runs half the time (the beat coalescing), scattered words else.
        let contiguous = rng.gen_bool(0.5);
        let inner = if contiguous { 1 } else { rng.gen_range(-9..10) };
        if contiguous && counts[5] != 0 {
            counts[5] = rng.gen_range(4..=9);
        }
        let mut dram = (2048 + rng.gen_range(0..4), std::array::from_fn(|_| rng.gen_range(-40..40)));
        dram.1[5] = inner;
        let buf = (2048, std::array::from_fn(|_| rng.gen_range(-40..40)));
        let skip = (rng.gen_range(-8..8), std::array::from_fn(|_| rng.gen_range(-3..4)));
        let lo = rng.gen_range(-6..4);
        Case { counts, lanes: [dram, buf, skip], range: (lo, lo + rng.gen_range(0..8)), mode: rng.gen_range(0..4) | kind_bits }
    }

    fn configure<T: Block>(uut: &mut T, port: impl Fn(&mut T) -> (&mut Signal<In, Bit>, &mut Signal<In, Bits<7>>, &mut Signal<In, Bits<32>>), c: &Case, tick: impl Fn(&mut T)) {
        let mut writes: Vec<(u64, u64)> = c.counts.iter().enumerate().map(|(k, &n)| (56 + k as u64, n as u64)).collect();
        for (f, (b, s)) in c.lanes.iter().enumerate() {
            writes.push((8 * f as u64 + 6, *b as u32 as u64));
            for (k, j) in super::super::walker::jumps(&c.counts, s).iter().enumerate() {
                writes.push((8 * f as u64 + k as u64, u64::from(*j)));
            }
        }
        writes.extend([(cfg::LO, c.range.0 as u32 as u64), (cfg::HI, c.range.1 as u32 as u64), (cfg::MODE, c.mode)]);
        for (a, d) in writes {
            let (we, addr, data) = port(uut);
            we.next = true;
            addr.next = bits(a);
            data.next = bits(d);
            tick(uut);
        }
        port(uut).0.next = false;
    }

    fn beat_of(mem: &[u16], b: usize) -> u64 {
        (0..4).map(|k| (mem[4 * b + k] as u64) << (16 * k)).sum()
    }

    // Random loads (skip ranges, empty nests, contiguous and scattered words) against the
    // program's semantics, DRAM answering after 1 to 6 cycles, random back-pressure on both
    // sides: every buffer write in order with its word, the filter flag, and exactly one beat
    // read per change of beat.
    #[test]
    fn loads_like_the_program() {
        let tick = |u: &mut LoadEngine| crate::sim::clock_edge(u, |u| &mut u.clk);
        let mut rng = rand::rngs::StdRng::seed_from_u64(21);
        let mem: Vec<u16> = (0..8192).map(|_| rng.gen()).collect();
        let mut uut = LoadEngine::default();
        uut.connect_all();
        let (mut words, mut total_beats) = (0, 0);
        for case in 0..40 {
            let c = random_case(&mut rng, 4 * (case % 3));
            uut.rst.next = true;
            tick(&mut uut);
            uut.rst.next = false;
            configure(&mut uut, |u| (&mut u.cfg_we, &mut u.cfg_addr, &mut u.cfg_data), &c, tick);
            uut.start.next = true;
            tick(&mut uut);
            uut.start.next = false;
            let want: Vec<(usize, u16)> = reference(&c).iter().map(|&(d, b)| (b, mem[d])).collect();
            let want_beats = beats(&reference(&c));
            let mut flight: VecDeque<(u64, u64)> = VecDeque::new();
            let (mut got, mut reads) = (Vec::new(), 0u64);
            let iterations: u64 = c.counts.iter().map(|&n| n as u64).product();
            for cycle in 0..16 * iterations + 30 {
                settle(&mut uut);
                let rd_ready = rng.gen_bool(0.7);
                let wr_ready = rng.gen_bool(0.7);
                uut.mem_rd_ready.next = rd_ready;
                uut.wr_ready.next = wr_ready;
                let resp = flight.front().filter(|(t, _)| *t <= cycle).map(|&(_, d)| d);
                uut.mem_resp_valid.next = resp.is_some();
                uut.mem_resp_data.next = bits(resp.unwrap_or(0xdead_beef_dead_beef));
                settle(&mut uut);
                if uut.mem_rd_valid.val() && rd_ready {
                    reads += 1;
                    let b = uut.mem_rd_beat.val().to_u64() as usize;
                    flight.push_back((cycle + rng.gen_range(1..=6), beat_of(&mem, b)));
                }
                if uut.mem_resp_ready.val() && resp.is_some() {
                    flight.pop_front();
                }
                if uut.wr_valid.val() && wr_ready {
                    got.push((uut.wr_addr.val().to_u64() as usize, uut.wr_data.val().to_u64() as u16));
                }
                tick(&mut uut);
            }
            settle(&mut uut);
            assert!(uut.idle.val(), "case {case}: not idle");
            assert_eq!(got, want, "case {case}");
            assert_eq!(reads, want_beats, "case {case}: beats read");
            assert!(flight.is_empty(), "case {case}: a response was not taken");
            assert_eq!(uut.filter.val(), c.mode & cfg::FILTER_OR_RELU != 0, "case {case}: filter flag");
            assert_eq!(uut.kind.val().to_u64(), case % 3, "case {case}: kind");
            words += want.len();
            total_beats += want_beats;
        }
        assert!(words > 300 && (total_beats as usize) < words * 3 / 4, "thin cases: {words} words, {total_beats} beats");
    }

    // Random stores against the program's semantics (ReLU on and off), the GLB answering
    // after 1 to 4 cycles, random back-pressure: DRAM ends as the program's, every beat write
    // carries only the lanes written, and one beat write per run of words in one beat.
    #[test]
    fn stores_like_the_program() {
        let tick = |u: &mut StoreEngine| crate::sim::clock_edge(u, |u| &mut u.clk);
        let mut rng = rand::rngs::StdRng::seed_from_u64(22);
        let glb: Vec<u16> = (0..8192).map(|_| rng.gen()).collect();
        let mut uut = StoreEngine::default();
        uut.connect_all();
        let (mut words, mut total_beats) = (0, 0);
        for case in 0..40 {
            let c = random_case(&mut rng, 8);
            uut.rst.next = true;
            tick(&mut uut);
            uut.rst.next = false;
            configure(&mut uut, |u| (&mut u.cfg_we, &mut u.cfg_addr, &mut u.cfg_data), &c, tick);
            uut.start.next = true;
            tick(&mut uut);
            uut.start.next = false;
            let relu = c.mode & cfg::FILTER_OR_RELU != 0;
            let moves = reference(&c);
            let mut want: Vec<u16> = vec![0x5a5a; 8192];
            let mut dram = want.clone();
            for &(d, b) in &moves {
                want[d] = if relu && glb[b] & 0x8000 != 0 { 0 } else { glb[b] };
            }
            let want_beats = beats(&moves);
            let mut flight: VecDeque<(u64, u16)> = VecDeque::new();
            let mut writes = 0u64;
            let iterations: u64 = c.counts.iter().map(|&n| n as u64).product();
            for cycle in 0..16 * iterations + 30 {
                settle(&mut uut);
                let rd_ready = rng.gen_bool(0.8);
                let wr_ready = rng.gen_bool(0.6);
                uut.rd_ready.next = rd_ready;
                uut.mem_wr_ready.next = wr_ready;
                let resp = flight.front().filter(|(t, _)| *t <= cycle).map(|&(_, d)| d);
                uut.rd_resp_valid.next = resp.is_some();
                uut.rd_resp_data.next = bits(resp.unwrap_or(0xdead) as u64);
                settle(&mut uut);
                if uut.rd_valid.val() && rd_ready {
                    let a = uut.rd_addr.val().to_u64() as usize;
                    flight.push_back((cycle + rng.gen_range(1..=4), glb[a]));
                }
                if uut.rd_resp_ready.val() && resp.is_some() {
                    flight.pop_front();
                }
                if uut.mem_wr_valid.val() && wr_ready {
                    writes += 1;
                    let (b, data, mask) = (uut.mem_wr_beat.val().to_u64() as usize, uut.mem_wr_data.val().to_u64(), uut.mem_wr_mask.val().to_u64());
                    assert!(mask != 0, "case {case}: a beat written with no lane");
                    for k in 0..4 {
                        if mask >> k & 1 != 0 {
                            dram[4 * b + k] = (data >> (16 * k)) as u16;
                        }
                    }
                }
                tick(&mut uut);
            }
            settle(&mut uut);
            assert!(uut.idle.val(), "case {case}: not idle");
            assert!(dram == want, "case {case}: DRAM differs");
            assert_eq!(writes, want_beats, "case {case}: beats written");
            assert_eq!(uut.kind.val().to_u64(), 2, "case {case}: kind");
            words += moves.len();
            total_beats += want_beats;
        }
        assert!(words > 300 && (total_beats as usize) < words * 3 / 4, "thin cases: {words} words, {total_beats} beats");
    }

    #[test]
    fn emits() {
        let mut load = LoadEngine::default();
        load.connect_all();
        crate::emit::emit_block_for_test(&load, "load_engine", SPLIT_COMB);
        let mut store = StoreEngine::default();
        store.connect_all();
        crate::emit::emit_block_for_test(&store, "store_engine", SPLIT_COMB);
    }
}
