//! The loop walker: the address generator every engine of the accelerator is built on.
//!
//! It walks a nest of [`LOOPS`] counted loops (outermost first, last fastest) and gives, for
//! each index vector, the value of `lanes` affine functions `base + sum(i[k] * stride[k])`
//! (32-bit two's complement, wrapping): an engine's addresses, tags and predicate operands
//! (`edgertl_sim::eyeriss::program`'s `Loops` and `Lin`).
//!
//! No multiplier and one adder a lane: each lane keeps one accumulator, the current value.
//! A step advances the innermost level `k` that is not at its last index and restarts every
//! level inside it, so the value moves by the lane's *jump* for level `k`,
//! `jump[k] = stride[k] - sum((n[m] - 1) * stride[m], m > k)` (wrapping). The program encoder
//! computes the jumps ([`jumps`]); the hardware adds the advancing level's jump (a mux of six
//! registers and one 32-bit adder a lane).
//!
//! # Ports
//! - `cfg_we`, `cfg_addr`, `cfg_data`: write one descriptor register while idle: address
//!   `8*f + k` (k 0-5) is lane f's jump for loop k, `8*f + 6` its base, `56 + k` loop k's
//!   count (low 16 bits; 0 means the nest is empty; an unused outer loop has count 1, and a
//!   level of count 1 never advances: its jumps are never used).
//! - `start`: starts a walk at the first index vector (ignored while busy).
//! - `valid` / `ready`: the current index vector (valid while busy); it moves on when both
//!   are high; after the final one `valid` falls. `value[f]` (32): lane f's value for it.
//!
//! One index vector a cycle while `ready` stays high. Every output is a register.
//!
//! # Registers
//! Shared: 6 counts and 6 indices (16 bits each), `busy`. Per lane: the base, 6 jumps and the
//! accumulator (8 x 32 bits).

use crate::widgets::Reg;
use rust_hdl::prelude::*;

/// Loop levels.
pub const LOOPS: usize = 6;

/// A lane's jumps for a nest of `counts` and the lane's `strides` (32-bit wrapping, as the
/// walker adds them): `jump[k] = stride[k] - sum((counts[m] - 1) * stride[m], m > k)`.
/// Levels of count 0 or 1 never advance; their jump is computed all the same.
pub fn jumps(counts: &[u32; LOOPS], strides: &[i64; LOOPS]) -> [u32; LOOPS] {
    let mut out = [0u32; LOOPS];
    // The sum of (n[m] - 1) * stride[m] over the levels inside k, modulo 2^32.
    let mut inner = 0u32;
    for k in (0..LOOPS).rev() {
        let stride = strides[k] as u32;
        out[k] = stride.wrapping_sub(inner);
        inner = inner.wrapping_add(counts[k].wrapping_sub(1).wrapping_mul(stride));
    }
    out
}

/// The inverse of [`jumps`] (modulo 2^32, as signed 32-bit strides) for the levels that can
/// advance, in a nest that is not empty; a level of count 0 or 1 gets stride 0 (its stride
/// does not matter).
pub fn strides(counts: &[u32; LOOPS], jumps: &[u32; LOOPS]) -> [i64; LOOPS] {
    let mut out = [0i64; LOOPS];
    let mut inner = 0u32;
    for k in (0..LOOPS).rev() {
        if counts[k] > 1 {
            let stride = jumps[k].wrapping_add(inner);
            out[k] = i64::from(stride as i32);
            inner = inner.wrapping_add((counts[k] - 1).wrapping_mul(stride));
        }
    }
    out
}

/// The walker: the loop counters and the lanes' registers, each lane `W` bits (17..=32).
#[derive(LogicBlock)]
pub struct LoopWalker<const W: usize> {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    pub cfg_we: Signal<In, Bit>,
    pub cfg_addr: Signal<In, Bits<6>>,
    pub cfg_data: Signal<In, Bits<32>>,
    /// `cfg_data` whole: lanes narrower than 32 bits drop its top bits (the lint convention
    /// for bits a cut drops).
    unused_cfg: Signal<Local, Bits<32>>,
    pub start: Signal<In, Bit>,
    pub valid: Signal<Out, Bit>,
    pub ready: Signal<In, Bit>,
    /// The current index vector is the final one.
    last: Signal<Local, Bit>,
    /// Lane f's value for the current index vector.
    pub value: Vec<Signal<Out, Bits<32>>>,
    count: Vec<Reg<Bits<16>>>,
    index: Vec<Reg<Bits<16>>>,
    inc: Vec<Signal<Local, Bits<16>>>,
    busy: Reg<Bit>,
    /// Per lane: the base and the accumulator; per lane and level (`f*6 + k`): the jump.
    base: Vec<Reg<Bits<W>>>,
    acc: Vec<Reg<Bits<W>>>,
    jump: Vec<Reg<Bits<W>>>,
    /// Per lane: the advancing level's jump (0 when none advances).
    chosen: Vec<Signal<Local, Bits<W>>>,
    /// Per lane: the accumulator sign-extended to 32 bits.
    ext: Vec<SignExtend<W>>,
    /// Per level: at its last index; every level inside it at its last; advances.
    at_end: Vec<Signal<Local, Bit>>,
    inner_done: Vec<Signal<Local, Bit>>,
    adv: Vec<Signal<Local, Bit>>,
    restart: Vec<Signal<Local, Bit>>,
    empty: Signal<Local, Bit>,
    step: Signal<Local, Bit>,
    go: Signal<Local, Bit>,
    cfg_ok: Signal<Local, Bit>,
    /// `cfg_addr` split: the lane (7: the counts) and the register within it.
    cfg_lane: Signal<Local, Bits<3>>,
    cfg_reg: Signal<Local, Bits<3>>,
}

impl<const W: usize> LoopWalker<W> {
    /// A walker with `lanes` affine functions (1..=6).
    pub fn new(lanes: usize) -> Self {
        assert!((1..=6).contains(&lanes), "a walker has 1 to 6 lanes");
        assert!((17..=32).contains(&W), "a walker's lanes have 17 to 32 bits");
        fn v<T: Default>(n: usize) -> Vec<T> {
            (0..n).map(|_| T::default()).collect()
        }
        Self {
            clk: Default::default(),
            rst: Default::default(),
            cfg_we: Default::default(),
            cfg_addr: Default::default(),
            cfg_data: Default::default(),
            unused_cfg: Default::default(),
            start: Default::default(),
            valid: Default::default(),
            ready: Default::default(),
            last: Default::default(),
            value: v(lanes),
            count: v(LOOPS),
            index: v(LOOPS),
            inc: v(LOOPS),
            busy: Default::default(),
            base: v(lanes),
            acc: v(lanes),
            jump: v(lanes * LOOPS),
            chosen: v(lanes),
            ext: (0..lanes).map(|_| SignExtend::default()).collect(),
            at_end: v(LOOPS),
            inner_done: v(LOOPS),
            adv: v(LOOPS),
            restart: v(LOOPS),
            empty: Default::default(),
            step: Default::default(),
            go: Default::default(),
            cfg_ok: Default::default(),
            cfg_lane: Default::default(),
            cfg_reg: Default::default(),
        }
    }
}

impl<const W: usize> Logic for LoopWalker<W> {
    #[hdl_gen]
    fn update(&mut self) {
        self.busy.clock.next = self.clk.val();
        self.busy.rst.next = self.rst.val();
        self.go.next = self.start.val() & !self.busy.q.val();
        self.step.next = self.busy.q.val() & self.ready.val();
        self.cfg_ok.next = self.cfg_we.val() & !self.busy.q.val();
        self.unused_cfg.next = self.cfg_data.val();
        self.cfg_lane.next = self.cfg_addr.val().get_bits::<3>(3);
        self.cfg_reg.next = self.cfg_addr.val().get_bits::<3>(0);
        self.empty.next = false;
        for k in 0..6 {
            self.count[k].clock.next = self.clk.val();
            self.count[k].rst.next = self.rst.val();
            self.count[k].d.next = self.count[k].q.val();
            if self.cfg_ok.val() & self.cfg_lane.val().all() & (self.cfg_reg.val().index() == k) {
                self.count[k].d.next = self.cfg_data.val().get_bits::<16>(0);
            }
            if !self.count[k].q.val().any() {
                self.empty.next = true;
            }
            self.inc[k].next = self.index[k].q.val() + 1;
            self.at_end[k].next = self.inc[k].val() == self.count[k].q.val();
        }
        // Level k advances when it is not at its end and every level inside it is; the
        // levels inside it restart.
        self.inner_done[5].next = true;
        for k in 0..5 {
            self.inner_done[4 - k].next = self.inner_done[5 - k].val() & self.at_end[5 - k].val();
        }
        for k in 0..6 {
            self.adv[k].next = self.step.val() & self.inner_done[k].val() & !self.at_end[k].val();
            self.restart[k].next = self.step.val() & self.inner_done[k].val() & self.at_end[k].val();
        }
        self.last.next = self.busy.q.val() & self.inner_done[0].val() & self.at_end[0].val();
        self.valid.next = self.busy.q.val();
        self.busy.d.next = self.busy.q.val();
        if self.go.val() {
            self.busy.d.next = !self.empty.val();
        } else if self.step.val() & self.last.val() {
            self.busy.d.next = false;
        }
        for k in 0..6 {
            self.index[k].clock.next = self.clk.val();
            self.index[k].rst.next = self.rst.val();
            self.index[k].d.next = self.index[k].q.val();
            if self.go.val() | self.restart[k].val() {
                self.index[k].d.next = 0.into();
            } else if self.adv[k].val() {
                self.index[k].d.next = self.inc[k].val();
            }
        }
        for f in 0..self.base.len() {
            self.base[f].clock.next = self.clk.val();
            self.base[f].rst.next = self.rst.val();
            self.base[f].d.next = self.base[f].q.val();
            if self.cfg_ok.val() & (self.cfg_lane.val().index() == f) & (self.cfg_reg.val().index() == 6) {
                self.base[f].d.next = self.cfg_data.val().get_bits::<W>(0);
            }
            // At most one level advances: its jump (none on the final step: the walk ends).
            self.chosen[f].next = 0.into();
            for k in 0..6 {
                self.jump[f * 6 + k].clock.next = self.clk.val();
                self.jump[f * 6 + k].rst.next = self.rst.val();
                self.jump[f * 6 + k].d.next = self.jump[f * 6 + k].q.val();
                if self.cfg_ok.val() & (self.cfg_lane.val().index() == f) & (self.cfg_reg.val().index() == k) {
                    self.jump[f * 6 + k].d.next = self.cfg_data.val().get_bits::<W>(0);
                }
                if self.adv[k].val() {
                    self.chosen[f].next = self.jump[f * 6 + k].q.val();
                }
            }
            self.acc[f].clock.next = self.clk.val();
            self.acc[f].rst.next = self.rst.val();
            self.acc[f].d.next = self.acc[f].q.val() + self.chosen[f].val();
            if self.go.val() {
                self.acc[f].d.next = self.base[f].q.val();
            }
            // The lane's value, sign-extended to 32 bits.
            self.ext[f].a.next = self.acc[f].q.val();
            self.value[f].next = self.ext[f].y.val();
        }
    }
}

/// A `W`-bit two's complement value sign-extended to 32 bits (no signed logic: the bits
/// above `W` are ones when the value is at or above `2^(W-1)`).
#[derive(LogicBlock)]
pub struct SignExtend<const W: usize> {
    pub a: Signal<In, Bits<W>>,
    pub y: Signal<Out, Bits<32>>,
    /// `2^(W-1)`, and the bits above `W` (none when `W` is 32).
    sign: Constant<Bits<W>>,
    high: Constant<Bits<32>>,
}

impl<const W: usize> Default for SignExtend<W> {
    fn default() -> Self {
        Self {
            a: Default::default(),
            y: Default::default(),
            sign: Constant::new(Bits::<W>::from(1u64 << (W - 1))),
            high: Constant::new(Bits::<32>::from((u64::from(u32::MAX) << W) & u64::from(u32::MAX))),
        }
    }
}

impl<const W: usize> Logic for SignExtend<W> {
    #[hdl_gen]
    fn update(&mut self) {
        self.y.next = bit_cast::<32, W>(self.a.val());
        if self.a.val() >= self.sign.val() {
            self.y.next = bit_cast::<32, W>(self.a.val()) | self.high.val();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::sim::settle;

    fn tick<const W: usize>(uut: &mut LoopWalker<W>) {
        crate::sim::clock_edge(uut, |u| &mut u.clk);
    }

    /// The reference: every index vector of `counts`, last loop fastest.
    fn reference(counts: &[u32; 6], lanes: &[(i64, [i64; 6])]) -> Vec<Vec<u32>> {
        let mut out = Vec::new();
        if counts.contains(&0) {
            return out;
        }
        let mut idx = [0u32; 6];
        loop {
            out.push(lanes.iter().map(|(b, s)| (b + (0..6).map(|k| s[k] * idx[k] as i64).sum::<i64>()) as u32).collect());
            let mut k = 6;
            loop {
                if k == 0 {
                    return out;
                }
                k -= 1;
                idx[k] += 1;
                if idx[k] < counts[k] {
                    break;
                }
                idx[k] = 0;
            }
        }
    }

    // Random nests (empty ones, unit loops, negative strides) walked with random
    // back-pressure: every value of every lane, in order, and nothing after the final one.
    // 32-bit lanes wrap (huge strides now and then: their jumps wrap too); 17-bit lanes give
    // their values sign-extended (values from -65536 to 65535).
    #[test]
    fn walks_like_the_reference() {
        walk_cases::<32>(60, 7);
        walk_cases::<17>(40, 8);
    }

    fn walk_cases<const W: usize>(cases: usize, seed: u64) {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut uut = LoopWalker::<W>::new(3);
        uut.connect_all();
        uut.rst.next = true;
        tick(&mut uut);
        uut.rst.next = false;
        for case in 0..cases {
            let counts: [u32; 6] = std::array::from_fn(|_| if rng.gen_bool(0.03) { 0 } else { rng.gen_range(1..=3) });
            let lanes: Vec<(i64, [i64; 6])> =
                (0..3)
                .map(|_| {
                    // Mostly small strides; now and then huge ones, whose jumps wrap.
                    let big = W == 32 && rng.gen_bool(0.15);
                    let stride = |rng: &mut rand::rngs::StdRng| if big { rng.gen_range(-(1i64 << 31)..(1i64 << 31)) } else { rng.gen_range(-50..50) };
                    // 17 bits: a base near either end of the range, the values stay in it.
                    let base = if W < 32 && rng.gen_bool(0.3) { [-65536 + 600, 65535 - 600][rng.gen_range(0..2)] } else { rng.gen_range(-1000..1000) };
                    (base, std::array::from_fn(|_| stride(&mut rng)))
                })
                .collect();
            let mut writes: Vec<(u64, u64)> = counts.iter().enumerate().map(|(k, &c)| (56 + k as u64, c as u64)).collect();
            for (f, (b, s)) in lanes.iter().enumerate() {
                writes.push((8 * f as u64 + 6, *b as u32 as u64));
                for (k, j) in jumps(&counts, s).iter().enumerate() {
                    writes.push((8 * f as u64 + k as u64, u64::from(*j)));
                }
                let back = strides(&counts, &jumps(&counts, s));
                for k in 0..6 {
                    assert!(counts.contains(&0) || counts[k] <= 1 || back[k] == s[k], "case {case}: stride {k} read back");
                }
            }
            for (a, d) in writes {
                uut.cfg_we.next = true;
                uut.cfg_addr.next = bits(a);
                uut.cfg_data.next = bits(d);
                tick(&mut uut);
            }
            uut.cfg_we.next = false;
            uut.start.next = true;
            uut.ready.next = false;
            tick(&mut uut);
            uut.start.next = false;
            let want = reference(&counts, &lanes);
            let mut got = Vec::new();
            for _ in 0..10 * want.len() + 5 {
                settle(&mut uut);
                let ready = rng.gen_bool(0.7);
                uut.ready.next = ready;
                if uut.valid.val() && ready {
                    got.push(uut.value.iter().map(|v| v.val().to_u64() as u32).collect::<Vec<u32>>());
                }
                tick(&mut uut);
            }
            assert!(!uut.valid.val(), "case {case}: still busy");
            assert_eq!(got, want, "{W} bits, case {case}: {counts:?}");
        }
    }

    // The walker emits as Verilog (the lint of the accelerator's top will cover it once the
    // unit is registered; `EDGERTL_BLOCK_V=dir` writes it out for a manual lint).
    #[test]
    fn emits() {
        let mut uut = LoopWalker::<17>::new(3);
        uut.connect_all();
        crate::emit::emit_block_for_test(&uut, "loop_walker", &[]);
    }
}
