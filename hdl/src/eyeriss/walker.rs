//! The loop walker: the address generator every engine of the accelerator is built on.
//!
//! It walks a nest of [`LOOPS`] counted loops (outermost first, last fastest) and gives, for
//! each index vector, the value of `lanes` affine functions `base + sum(i[k] * stride[k])`
//! (32-bit two's complement, wrapping): an engine's addresses, tags and predicate operands
//! (`edgertl_sim::eyeriss::program`'s `Loops` and `Lin`). No multiplier: each lane keeps one
//! running sum per loop level, `v[k] = base + sum(i[m] * stride[m], m <= k)`; when level `k`
//! advances, `v[k] += stride[k]` and every inner level restarts from the new `v[k]`.
//!
//! # Ports
//! - `cfg_we`, `cfg_addr`, `cfg_data`: write one descriptor register while idle: address
//!   `8*f + k` (k 0-5) is lane f's stride for loop k, `8*f + 6` its base, `56 + k` loop k's
//!   count (low 16 bits; 0 means the nest is empty; an unused outer loop has count 1).
//! - `start`: starts a walk at the first index vector (ignored while busy).
//! - `valid` / `ready`: the current index vector (valid while busy); it moves on when both
//!   are high; after the final one `valid` falls. `value[f]`: lane f's value for it.
//!
//! One index vector a cycle while `ready` stays high. Every output is a register.

use crate::widgets::Reg;
use rust_hdl::prelude::*;

/// Loop levels.
pub const LOOPS: usize = 6;

/// The walker: the loop counters and the lanes' registers.
#[derive(LogicBlock)]
pub struct LoopWalker {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    pub cfg_we: Signal<In, Bit>,
    pub cfg_addr: Signal<In, Bits<6>>,
    pub cfg_data: Signal<In, Bits<32>>,
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
    /// Per lane: the base; per lane and level (`f*6 + k`): the stride and the running sum.
    base: Vec<Reg<Bits<32>>>,
    stride: Vec<Reg<Bits<32>>>,
    sum: Vec<Reg<Bits<32>>>,
    next_sum: Vec<Signal<Local, Bits<32>>>,
    /// Per lane: the advancing level's new running sum.
    carried: Vec<Signal<Local, Bits<32>>>,
    /// Per level: at its last index; every level inside it at its last; advances; restarts.
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

impl LoopWalker {
    /// A walker with `lanes` affine functions (1..=6).
    pub fn new(lanes: usize) -> Self {
        assert!((1..=6).contains(&lanes), "a walker has 1 to 6 lanes");
        fn v<T: Default>(n: usize) -> Vec<T> {
            (0..n).map(|_| T::default()).collect()
        }
        Self {
            clk: Default::default(),
            rst: Default::default(),
            cfg_we: Default::default(),
            cfg_addr: Default::default(),
            cfg_data: Default::default(),
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
            stride: v(lanes * LOOPS),
            sum: v(lanes * LOOPS),
            next_sum: v(lanes * LOOPS),
            carried: v(lanes),
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

impl Logic for LoopWalker {
    #[hdl_gen]
    fn update(&mut self) {
        self.busy.clock.next = self.clk.val();
        self.busy.rst.next = self.rst.val();
        self.go.next = self.start.val() & !self.busy.q.val();
        self.step.next = self.busy.q.val() & self.ready.val();
        self.cfg_ok.next = self.cfg_we.val() & !self.busy.q.val();
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
                self.base[f].d.next = self.cfg_data.val();
            }
            self.carried[f].next = 0.into();
            for k in 0..6 {
                self.stride[f * 6 + k].clock.next = self.clk.val();
                self.stride[f * 6 + k].rst.next = self.rst.val();
                self.stride[f * 6 + k].d.next = self.stride[f * 6 + k].q.val();
                if self.cfg_ok.val() & (self.cfg_lane.val().index() == f) & (self.cfg_reg.val().index() == k) {
                    self.stride[f * 6 + k].d.next = self.cfg_data.val();
                }
                self.next_sum[f * 6 + k].next = self.sum[f * 6 + k].q.val() + self.stride[f * 6 + k].q.val();
                if self.adv[k].val() {
                    self.carried[f].next = self.next_sum[f * 6 + k].val();
                }
            }
            for k in 0..6 {
                self.sum[f * 6 + k].clock.next = self.clk.val();
                self.sum[f * 6 + k].rst.next = self.rst.val();
                self.sum[f * 6 + k].d.next = self.sum[f * 6 + k].q.val();
                if self.go.val() {
                    self.sum[f * 6 + k].d.next = self.base[f].q.val();
                } else if self.adv[k].val() {
                    self.sum[f * 6 + k].d.next = self.next_sum[f * 6 + k].val();
                } else if self.restart[k].val() {
                    self.sum[f * 6 + k].d.next = self.carried[f].val();
                }
            }
            self.value[f].next = self.sum[f * 6 + 5].q.val();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::sim::settle;

    fn tick(uut: &mut LoopWalker) {
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
    #[test]
    fn walks_like_the_reference() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut uut = LoopWalker::new(3);
        uut.connect_all();
        uut.rst.next = true;
        tick(&mut uut);
        uut.rst.next = false;
        for case in 0..40 {
            let counts: [u32; 6] = std::array::from_fn(|_| if rng.gen_bool(0.03) { 0 } else { rng.gen_range(1..=3) });
            let lanes: Vec<(i64, [i64; 6])> =
                (0..3).map(|_| (rng.gen_range(-1000..1000), std::array::from_fn(|_| rng.gen_range(-50..50)))).collect();
            let mut writes: Vec<(u64, u64)> = counts.iter().enumerate().map(|(k, &c)| (56 + k as u64, c as u64)).collect();
            for (f, (b, s)) in lanes.iter().enumerate() {
                writes.push((8 * f as u64 + 6, *b as u32 as u64));
                for (k, v) in s.iter().enumerate() {
                    writes.push((8 * f as u64 + k as u64, *v as u32 as u64));
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
            assert_eq!(got, want, "case {case}: {counts:?}");
        }
    }

    // The walker emits as Verilog (the lint of the accelerator's top will cover it once the
    // unit is registered; `EDGERTL_BLOCK_V=dir` writes it out for a manual lint).
    #[test]
    fn emits() {
        let mut uut = LoopWalker::new(3);
        uut.connect_all();
        crate::emit::emit_block_for_test(&uut, "loop_walker", &[]);
    }
}
