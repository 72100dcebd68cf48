//! The feed engine: runs a `Feed` command of the layer program (`edgertl_sim::eyeriss::program`)
//! and puts its words onto one of the array's input buses.
//!
//! A [`LoopWalker`] with five lanes gives, for every index vector `i` of the command's loop
//! nest: lane 0 the buffer address `buf(i)`, lane 1 the row tag `row(i)`, lane 2 the column
//! tag `col(i)`, lanes 3 and 4 the operands of up to two range predicates. For each `i`:
//! - **skip**: an enabled range of kind *skip* that does not hold: nothing is sent;
//! - **zero**: the command's `zero` flag, or an enabled range of kind *pad* that does not
//!   hold: a zero word is sent and the buffer is **not read** (zero padding costs no read);
//! - otherwise the buffer word at `buf(i)` is read and sent.
//!
//! Words leave in index order, tagged `(row(i), col(i))`, however long the buffer takes to
//! answer: an order FIFO holds each sent word's tag and whether it is a zero, and a word that
//! waits for its read response waits at the FIFO's head (reads are answered in order). The
//! FIFO is 4 deep, so at most 4 words are in flight: one word a cycle when the buffer answers
//! within 3 cycles of the request (the GLB does: request FIFO, bank, response FIFO).
//!
//! # Ports
//! - `cfg_we`, `cfg_addr` (7 bits), `cfg_data` (32): while idle, addresses 0-63 are the
//!   walker's descriptor (lane f's jump for loop k at `8*f + k`, its base at `8*f + 6`, loop
//!   k's count at `56 + k`); 64/65 range 0's `lo`/`hi`, 66/67 range 1's, 68 the mode: bit 0
//!   `zero`, bit 1 range 0 enabled, bit 2 range 0 is *skip* (else *pad*), bits 3/4 the same
//!   for range 1. A range holds when `lo <= v < hi` (32-bit two's complement, `lo <= hi`,
//!   `hi - lo < 2^31`), computed without signed logic as `(v - lo) < (hi - lo)` unsigned.
//! - `start`: runs the command (ignored while busy). `idle`: no walk and no word in flight.
//! - `rd_valid` / `rd_ready` / `rd_addr` (32 bits, the parent truncates): buffer reads.
//!   `rd_resp_valid` / `rd_resp_ready` / `rd_resp_data` (16): their responses, in order.
//! - `out_valid` / `out_ready`, `out_row` (4), `out_col` (5), `out_data` (16): the bus word.
//!
//! `out_*` and `rd_resp_ready` are functions of registers and of `out_ready` / `rd_resp_*`
//! (a word waiting for its response passes it through), `rd_valid` and `rd_addr` of
//! registers only.

use super::walker::LoopWalker;
use crate::widgets::{Fifo, Reg};
use rust_hdl::prelude::*;

/// The walker's lane width: buffer addresses (0..2^16), tags and range operands, as signed
/// 17-bit values (`edgertl_sim::eyeriss::binary` refuses a command whose lanes leave it).
pub const LANE_BITS: usize = 17;

/// Configuration addresses of the feed engine's own registers (after the walker's 64).
pub mod cfg {
    pub const RANGE_LO: [u64; 2] = [64, 66];
    pub const RANGE_HI: [u64; 2] = [65, 67];
    pub const MODE: u64 = 68;
    /// Mode bits.
    pub const ZERO: u64 = 1;
    pub const RANGE_ON: [u64; 2] = [2, 8];
    pub const RANGE_SKIP: [u64; 2] = [4, 16];
}

/// The feed engine (see the module docs).
#[derive(LogicBlock)]
pub struct FeedEngine {
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
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_row: Signal<Out, Bits<4>>,
    pub out_col: Signal<Out, Bits<5>>,
    pub out_data: Signal<Out, Bits<16>>,
    /// Sticky until `rst`: a word was sent with a tag that does not fit its field (a row tag
    /// outside 0-15 or a column tag outside 0-31: a malformed command).
    pub tag_error: Signal<Out, Bit>,
    walker: LoopWalker<LANE_BITS>,
    /// The order FIFO: bits 0-3 the row tag, 4-8 the column tag, 9 a zero word.
    order: Fifo<Bits<10>>,
    lo: Vec<Reg<Bits<32>>>,
    hi: Vec<Reg<Bits<32>>>,
    mode: Reg<Bits<5>>,
    bad_tag: Reg<Bit>,
    /// Per range: it holds for the current index vector.
    holds: Vec<Signal<Local, Bit>>,
    skipped: Signal<Local, Bit>,
    padded: Signal<Local, Bit>,
    /// The current index vector's word can enter the order FIFO (and its read the buffer).
    accept: Signal<Local, Bit>,
    head_zero: Signal<Local, Bit>,
    zero_bit: Signal<Local, Bits<1>>,
    row_tag: Signal<Local, Bits<4>>,
    row_high: Signal<Local, Bits<28>>,
    col_high: Signal<Local, Bits<27>>,
    col_tag: Signal<Local, Bits<5>>,
    cfg_reg: Signal<Local, Bits<6>>,
    cfg_own: Signal<Local, Bit>,
}

impl Default for FeedEngine {
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
            out_valid: Default::default(),
            out_ready: Default::default(),
            out_row: Default::default(),
            out_col: Default::default(),
            out_data: Default::default(),
            tag_error: Default::default(),
            walker: LoopWalker::new(5),
            order: Default::default(),
            lo: (0..2).map(|_| Default::default()).collect(),
            hi: (0..2).map(|_| Default::default()).collect(),
            mode: Default::default(),
            bad_tag: Default::default(),
            holds: (0..2).map(|_| Default::default()).collect(),
            skipped: Default::default(),
            padded: Default::default(),
            accept: Default::default(),
            head_zero: Default::default(),
            zero_bit: Default::default(),
            row_tag: Default::default(),
            row_high: Default::default(),
            col_high: Default::default(),
            col_tag: Default::default(),
            cfg_reg: Default::default(),
            cfg_own: Default::default(),
        }
    }
}

impl Logic for FeedEngine {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clk, mode, bad_tag);
        self.mode.rst.next = self.rst.val();
        self.bad_tag.rst.next = self.rst.val();
        self.tag_error.next = self.bad_tag.q.val();
        self.walker.clk.next = self.clk.val();
        self.walker.rst.next = self.rst.val();
        self.order.clk.next = self.clk.val();
        self.order.rst.next = self.rst.val();
        // Configuration: the walker's descriptor below 64, the engine's registers above.
        self.cfg_own.next = self.cfg_we.val()
            & self.cfg_addr.val().get_bit(6)
            & !self.walker.valid.val()
            & !self.order.out_valid.val();
        self.walker.cfg_we.next = self.cfg_we.val() & !self.cfg_addr.val().get_bit(6);
        self.cfg_reg.next = self.cfg_addr.val().get_bits::<6>(0);
        self.walker.cfg_addr.next = self.cfg_reg.val();
        self.walker.cfg_data.next = self.cfg_data.val();
        self.walker.start.next = self.start.val();
        if self.cfg_own.val() & (self.cfg_reg.val() == 4) {
            self.mode.d.next = self.cfg_data.val().get_bits::<5>(0);
        }
        for r in 0..2 {
            self.lo[r].clock.next = self.clk.val();
            self.lo[r].rst.next = self.rst.val();
            self.lo[r].d.next = self.lo[r].q.val();
            self.hi[r].clock.next = self.clk.val();
            self.hi[r].rst.next = self.rst.val();
            self.hi[r].d.next = self.hi[r].q.val();
            self.holds[r].next = (self.walker.value[r + 3].val() - self.lo[r].q.val())
                < (self.hi[r].q.val() - self.lo[r].q.val());
        }
        if self.cfg_own.val() & (self.cfg_reg.val() == 0) {
            self.lo[0].d.next = self.cfg_data.val();
        }
        if self.cfg_own.val() & (self.cfg_reg.val() == 1) {
            self.hi[0].d.next = self.cfg_data.val();
        }
        if self.cfg_own.val() & (self.cfg_reg.val() == 2) {
            self.lo[1].d.next = self.cfg_data.val();
        }
        if self.cfg_own.val() & (self.cfg_reg.val() == 3) {
            self.hi[1].d.next = self.cfg_data.val();
        }
        // The current index vector: skipped, a zero, or a read.
        self.skipped.next = (self.mode.q.val().get_bit(1)
            & self.mode.q.val().get_bit(2)
            & !self.holds[0].val())
            | (self.mode.q.val().get_bit(3) & self.mode.q.val().get_bit(4) & !self.holds[1].val());
        self.padded.next = self.mode.q.val().get_bit(0)
            | (self.mode.q.val().get_bit(1) & !self.mode.q.val().get_bit(2) & !self.holds[0].val())
            | (self.mode.q.val().get_bit(3) & !self.mode.q.val().get_bit(4) & !self.holds[1].val());
        self.accept.next = self.walker.valid.val()
            & !self.skipped.val()
            & self.order.in_ready.val()
            & (self.padded.val() | self.rd_ready.val());
        self.walker.ready.next = self.skipped.val() | self.accept.val();
        self.row_high.next = self.walker.value[1].val().get_bits::<28>(4);
        self.col_high.next = self.walker.value[2].val().get_bits::<27>(5);
        if self.accept.val() & ((self.row_high.val() != 0) | (self.col_high.val() != 0)) {
            self.bad_tag.d.next = true;
        }
        self.rd_valid.next = self.walker.valid.val()
            & !self.skipped.val()
            & !self.padded.val()
            & self.order.in_ready.val();
        self.rd_addr.next = self.walker.value[0].val();
        self.order.in_valid.next = self.accept.val();
        self.zero_bit.next = 0.into();
        if self.padded.val() {
            self.zero_bit.next = 1.into();
        }
        self.row_tag.next = self.walker.value[1].val().get_bits::<4>(0);
        self.col_tag.next = self.walker.value[2].val().get_bits::<5>(0);
        self.order.in_data.next = bit_cast::<10, 4>(self.row_tag.val())
            | (bit_cast::<10, 5>(self.col_tag.val()) << 4)
            | (bit_cast::<10, 1>(self.zero_bit.val()) << 9);
        // The head word: a zero leaves at once, a read when its response is there.
        self.head_zero.next = self.order.out_data.val().get_bit(9);
        self.out_valid.next =
            self.order.out_valid.val() & (self.head_zero.val() | self.rd_resp_valid.val());
        self.out_row.next = self.order.out_data.val().get_bits::<4>(0);
        self.out_col.next = self.order.out_data.val().get_bits::<5>(4);
        self.out_data.next = 0.into();
        if !self.head_zero.val() {
            self.out_data.next = self.rd_resp_data.val();
        }
        self.order.out_ready.next = self.out_ready.val() & self.out_valid.val();
        self.rd_resp_ready.next =
            self.out_ready.val() & self.order.out_valid.val() & !self.head_zero.val();
        self.idle.next = !self.walker.valid.val() & !self.order.out_valid.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use std::collections::VecDeque;

    use crate::sim::settle;

    fn tick(uut: &mut FeedEngine) {
        crate::sim::clock_edge(uut, |u| &mut u.clk);
    }

    struct Case {
        counts: [u32; 6],
        /// buf, row, col, range 0, range 1: base and strides.
        lanes: [(i64, [i64; 6]); 5],
        ranges: [(i64, i64); 2],
        mode: u64,
    }

    fn lin(lane: &(i64, [i64; 6]), idx: &[u32; 6]) -> i64 {
        lane.0 + (0..6).map(|k| lane.1[k] * idx[k] as i64).sum::<i64>()
    }

    /// The reference (`program::Cmd::Feed`'s semantics): the words sent, the reads made, and
    /// whether a sent word's tag did not fit.
    fn reference(c: &Case, mem: &[u16]) -> (Vec<(u32, u32, u16)>, u64, bool) {
        let (mut out, mut reads, mut bad) = (Vec::new(), 0, false);
        if c.counts.contains(&0) {
            return (out, reads, bad);
        }
        let mut idx = [0u32; 6];
        loop {
            let holds =
                |r: usize| (c.ranges[r].0..c.ranges[r].1).contains(&lin(&c.lanes[3 + r], &idx));
            let on = |r: usize| c.mode & cfg::RANGE_ON[r] != 0;
            let skip = |r: usize| c.mode & cfg::RANGE_SKIP[r] != 0;
            if !(0..2).any(|r| on(r) && skip(r) && !holds(r)) {
                let zero =
                    c.mode & cfg::ZERO != 0 || (0..2).any(|r| on(r) && !skip(r) && !holds(r));
                let data = if zero {
                    0
                } else {
                    reads += 1;
                    mem[lin(&c.lanes[0], &idx) as usize]
                };
                let (row, col) = (lin(&c.lanes[1], &idx), lin(&c.lanes[2], &idx));
                bad |= !(0..16).contains(&row) || !(0..32).contains(&col);
                out.push(((row & 15) as u32, (col & 31) as u32, data));
            }
            let mut k = 6;
            loop {
                if k == 0 {
                    return (out, reads, bad);
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

    fn random_case(rng: &mut impl Rng) -> Case {
        let counts: [u32; 6] = std::array::from_fn(|_| {
            if rng.gen_bool(0.02) {
                0
            } else {
                rng.gen_range(1..=3)
            }
        });
        // The buffer address stays in 0..4096: a base in the middle, small strides.
        let mut lanes: [(i64, [i64; 6]); 5] = std::array::from_fn(|_| {
            (
                rng.gen_range(-8..8),
                std::array::from_fn(|_| rng.gen_range(-3..4)),
            )
        });
        lanes[0] = (2048, std::array::from_fn(|_| rng.gen_range(-40..40)));
        let ranges = std::array::from_fn(|_| {
            let lo = rng.gen_range(-6..4);
            (lo, lo + rng.gen_range(0..8))
        });
        Case {
            counts,
            lanes,
            ranges,
            mode: rng.gen_range(0..32),
        }
    }

    // Random feeds (pad and skip ranges, zero commands, empty nests) against the reference,
    // with a buffer that answers after 1 to 4 cycles and random back-pressure on both sides:
    // every word, its tags and its order, and exactly the reference's reads.
    #[test]
    fn feeds_like_the_program() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(12);
        let mem: Vec<u16> = (0..4096).map(|_| rng.gen()).collect();
        let mut uut = FeedEngine::default();
        uut.connect_all();
        let (mut total_words, mut total_reads, mut total_bad) = (0, 0, 0);
        for case in 0..30 {
            let c = random_case(&mut rng);
            uut.rst.next = true;
            tick(&mut uut);
            uut.rst.next = false;
            let mut writes: Vec<(u64, u64)> = c
                .counts
                .iter()
                .enumerate()
                .map(|(k, &n)| (56 + k as u64, n as u64))
                .collect();
            for (f, (b, s)) in c.lanes.iter().enumerate() {
                writes.push((8 * f as u64 + 6, *b as u32 as u64));
                for (k, j) in super::super::walker::jumps(&c.counts, s).iter().enumerate() {
                    writes.push((8 * f as u64 + k as u64, u64::from(*j)));
                }
            }
            for r in 0..2 {
                writes.push((cfg::RANGE_LO[r], c.ranges[r].0 as u32 as u64));
                writes.push((cfg::RANGE_HI[r], c.ranges[r].1 as u32 as u64));
            }
            writes.push((cfg::MODE, c.mode));
            for (a, d) in writes {
                uut.cfg_we.next = true;
                uut.cfg_addr.next = bits(a);
                uut.cfg_data.next = bits(d);
                tick(&mut uut);
            }
            uut.cfg_we.next = false;
            uut.start.next = true;
            tick(&mut uut);
            uut.start.next = false;
            let (want, want_reads, want_bad) = reference(&c, &mem);
            // The buffer: reads in flight with the cycle they answer.
            let mut flight: VecDeque<(u64, u16)> = VecDeque::new();
            let (mut got, mut reads) = (Vec::new(), 0u64);
            let iterations: u64 = c.counts.iter().map(|&n| n as u64).product();
            for cycle in 0..12 * iterations + 20 {
                settle(&mut uut);
                let rd_ready = rng.gen_bool(0.8);
                let out_ready = rng.gen_bool(0.7);
                uut.rd_ready.next = rd_ready;
                uut.out_ready.next = out_ready;
                let resp = flight.front().filter(|(t, _)| *t <= cycle).map(|&(_, d)| d);
                uut.rd_resp_valid.next = resp.is_some();
                uut.rd_resp_data.next = bits(resp.unwrap_or(0xdead) as u64);
                settle(&mut uut);
                if uut.rd_valid.val() && rd_ready {
                    reads += 1;
                    let a = uut.rd_addr.val().to_u64() as usize;
                    flight.push_back((cycle + rng.gen_range(1..=4), mem[a]));
                }
                if uut.rd_resp_ready.val() && resp.is_some() {
                    flight.pop_front();
                }
                if uut.out_valid.val() && out_ready {
                    got.push((
                        uut.out_row.val().to_u64() as u32,
                        uut.out_col.val().to_u64() as u32,
                        uut.out_data.val().to_u64() as u16,
                    ));
                }
                tick(&mut uut);
            }
            settle(&mut uut);
            assert!(uut.idle.val(), "case {case}: not idle");
            assert_eq!(got, want, "case {case}");
            assert_eq!(reads, want_reads, "case {case}: reads");
            assert!(flight.is_empty(), "case {case}: a response was not taken");
            assert_eq!(uut.tag_error.val(), want_bad, "case {case}: tag error");
            total_bad += usize::from(want_bad);
            total_words += want.len();
            total_reads += want_reads;
        }
        assert!(
            total_words > 200 && total_reads > 50,
            "the cases are too thin: {total_words} words, {total_reads} reads"
        );
        assert!(
            (5..25).contains(&total_bad),
            "{total_bad} of 30 cases with a bad tag"
        );
    }

    #[test]
    fn emits() {
        let mut uut = FeedEngine::default();
        uut.connect_all();
        crate::emit::emit_block_for_test(&uut, "feed_engine", &[]);
    }
}
