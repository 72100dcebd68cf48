//! Drives the PE array ([`Dut`]: Verilated or rust-hdl's simulator) cycle by cycle: ID writes,
//! a pass, the three input buses with random idle, the output network with random
//! back-pressure; and the random scenarios the tests and `edgertl cover` run.

use super::model::{ArrayCounters, ArrayIds, ArrayModel, ArrayPass, Bus, Traffic, Word};
use crate::harness::{Dut, Handshake, Pins};
use crate::pe::model::Counters;
use crate::verilated::eyeriss_array::{inp, out, INPUTS, OUTPUTS};
use edgertl_hdl::array::{ArrayConfig, PeIds, RowIds};
use edgertl_hdl::pe::PassConfig;
use rand::seq::SliceRandom;
use rand::Rng;
use std::collections::{BTreeMap, VecDeque};

/// Handshake profiles of the three input buses (sources) and the output network (sink).
#[derive(Clone, Copy, Debug)]
pub struct BusTraffic {
    pub filt: Handshake,
    pub ifmap: Handshake,
    pub psum: Handshake,
    pub out: Handshake,
}

impl BusTraffic {
    pub const FULL_SPEED: BusTraffic =
        BusTraffic { filt: Handshake::NONE, ifmap: Handshake::NONE, psum: Handshake::NONE, out: Handshake::NONE };

    pub fn random(rng: &mut impl Rng) -> Self {
        Self { filt: Handshake::random(rng), ifmap: Handshake::random(rng), psum: Handshake::random(rng), out: Handshake::random(rng) }
    }
}

/// An array under test, reset, every PE disabled.
pub struct ArrayDriver<D: Dut> {
    pub pins: Pins<D>,
    hw: ArrayConfig,
}

impl<D: Dut> ArrayDriver<D> {
    pub fn new(dut: D, hw: &ArrayConfig) -> Self {
        let mut pins = Pins::new(dut, INPUTS, OUTPUTS);
        pins.reset();
        Self { pins, hw: hw.clone() }
    }

    /// Writes every row's and PE's IDs through the ID port, one word a cycle.
    pub fn write_ids(&mut self, ids: &ArrayIds) {
        let mut write = |kind: u64, r: usize, c: usize, word: u16| {
            let i = self.pins.inputs_mut();
            (i[inp::ID_VALID], i[inp::ID_KIND], i[inp::ID_ROW], i[inp::ID_COL], i[inp::ID_DATA]) = (1, kind, r as u64, c as u64, word as u64);
            self.pins.tick();
        };
        for (r, row) in ids.rows.iter().enumerate() {
            write(1, r, 0, row.word());
        }
        for (r, row) in ids.pes.iter().enumerate() {
            for (c, pe) in row.iter().enumerate() {
                write(0, r, c, pe.word());
            }
        }
        self.pins.set(inp::ID_VALID, 0);
    }

    /// The array's counters after the last edge.
    pub fn counters(&self) -> ArrayCounters {
        let o = self.pins.outputs();
        ArrayCounters {
            filt_words: o[out::FILT_WORDS] as u32,
            filt_deliveries: o[out::FILT_DELIVERIES] as u32,
            ifmap_words: o[out::IFMAP_WORDS] as u32,
            ifmap_deliveries: o[out::IFMAP_DELIVERIES] as u32,
            psum_words: o[out::PSUM_WORDS] as u32,
            psum_deliveries: o[out::PSUM_DELIVERIES] as u32,
            out_words: o[out::OUT_WORDS] as u32,
            link_transfers: o[out::LINK_TRANSFERS] as u32,
            active_pes: o[out::ACTIVE_PES] as u32,
        }
    }

    /// PE (r, c)'s counters through the select port (two cycles).
    pub fn pe_counters(&mut self, r: usize, c: usize) -> Counters {
        self.pins.set(inp::SEL_ROW, r as u64);
        self.pins.set(inp::SEL_COL, c as u64);
        self.pins.tick();
        self.pins.tick();
        Counters::from_select(self.pins.outputs(), out::SEL_MACS)
    }

    /// Runs one pass: the configuration, then the buses until every word moved, every PE is
    /// idle and the output network is empty. Errors (never hangs) past a cycle budget.
    pub fn run_pass(&mut self, pass: &PassConfig, traffic: &Traffic, hs: BusTraffic, rng: &mut impl Rng) -> Result<ArrayPass, String> {
        let start = self.pins.cycles();
        let budget = 20_000
            + 60 * (traffic.filt.len() + traffic.ifmap.len() + traffic.psum.len()) as u64
            + 40 * (pass.e * pass.p * pass.q * pass.s) as u64 * self.hw.rows as u64;
        while self.pins.get(out::PASS_READY) == 0 {
            self.pins.tick();
            if self.pins.cycles() - start > budget {
                return Err("the array never became ready for a pass".into());
            }
        }
        let i = self.pins.inputs_mut();
        (i[inp::PASS_VALID], i[inp::PASS_S], i[inp::PASS_U], i[inp::PASS_P], i[inp::PASS_Q], i[inp::PASS_E], i[inp::PASS_SHIFT]) =
            (1, pass.s as u64, pass.u as u64, pass.p as u64, pass.q as u64, pass.e as u64, pass.shift as u64);
        self.pins.tick();
        self.pins.set(inp::PASS_VALID, 0);
        let mut queues: [VecDeque<Word>; 3] =
            [traffic.filt.iter().copied().collect(), traffic.ifmap.iter().copied().collect(), traffic.psum.iter().copied().collect()];
        const BUS: [(usize, usize, usize, usize, usize); 3] = [
            (inp::FILT_VALID, inp::FILT_ROW, inp::FILT_COL, inp::FILT_DATA, out::FILT_READY),
            (inp::IFMAP_VALID, inp::IFMAP_ROW, inp::IFMAP_COL, inp::IFMAP_DATA, out::IFMAP_READY),
            (inp::PSUM_VALID, inp::PSUM_ROW, inp::PSUM_COL, inp::PSUM_DATA, out::PSUM_READY),
        ];
        let profiles = [hs.filt, hs.ifmap, hs.psum];
        let mut outs: BTreeMap<(u8, u8), Vec<i16>> = BTreeMap::new();
        let mut quiet = 0;
        loop {
            let mut moved = [false; 3];
            for (k, &(valid, row, col, data, ready)) in BUS.iter().enumerate() {
                let offer = queues[k].front().copied().filter(|_| profiles[k].offer(rng));
                let ready_now = self.pins.get(ready) == 1;
                let i = self.pins.inputs_mut();
                match offer {
                    Some(w) => {
                        (i[valid], i[row], i[col], i[data]) = (1, w.row as u64, w.col as u64, w.data as u16 as u64);
                        moved[k] = ready_now;
                    }
                    None => i[valid] = 0,
                }
            }
            let take = hs.out.accept(rng);
            if take && self.pins.get(out::OUT_VALID) == 1 {
                let key = (self.pins.get(out::OUT_ROW) as u8, self.pins.get(out::OUT_COL) as u8);
                outs.entry(key).or_default().push(self.pins.get(out::OUT_DATA) as u16 as i16);
            }
            self.pins.set(inp::OUT_READY, take as u64);
            self.pins.tick();
            for k in 0..3 {
                if moved[k] {
                    queues[k].pop_front();
                }
            }
            let settled = queues.iter().all(|q| q.is_empty())
                && self.pins.get(out::BUSY) == 0
                && self.pins.get(out::OUT_VALID) == 0;
            quiet = if settled { quiet + 1 } else { 0 };
            // A few quiet cycles: the last words in the bus registers, the PEs' output registers
            // and the output network have moved.
            if quiet >= 8 {
                break;
            }
            if self.pins.cycles() - start > budget {
                return Err(format!(
                    "the pass did not finish within {budget} cycles (left: {} filter, {} ifmap, {} psum words; busy {})",
                    queues[0].len(),
                    queues[1].len(),
                    queues[2].len(),
                    self.pins.get(out::BUSY)
                ));
            }
        }
        for &(valid, ..) in &BUS {
            self.pins.set(valid, 0);
        }
        self.pins.set(inp::OUT_READY, 0);
        let counters = self.counters();
        let (rows, cols) = (self.hw.rows as usize, self.hw.cols as usize);
        let pe_counters = (0..rows).map(|r| (0..cols).map(|c| self.pe_counters(r, c)).collect()).collect();
        Ok(ArrayPass { out: outs, counters, pe_counters })
    }
}

/// A random ID assignment for one bus: unicast, row multicast, column multicast, broadcast or
/// random small IDs (arbitrary groups).
fn random_pattern(rng: &mut impl Rng, rows: usize, cols: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    match rng.gen_range(0..5) {
        0 => ((0..rows as u8).collect(), vec![(0..cols as u8).collect(); rows]),
        1 => ((0..rows as u8).collect(), vec![vec![0; cols]; rows]),
        2 => (vec![0; rows], vec![(0..cols as u8).collect(); rows]),
        3 => (vec![0; rows], vec![vec![0; cols]; rows]),
        _ => ((0..rows).map(|_| rng.gen_range(0..3)).collect(), (0..rows).map(|_| (0..cols).map(|_| rng.gen_range(0..3)).collect()).collect()),
    }
}

/// A random scenario: IDs (random patterns per bus, random enables and links), a small pass
/// and its traffic, words with tags that reach nobody mixed in.
pub fn random_scenario(hw: &ArrayConfig, rng: &mut impl Rng) -> (ArrayIds, PassConfig, Traffic) {
    let (rows, cols) = (hw.rows as usize, hw.cols as usize);
    let mut ids = ArrayIds::disabled(hw);
    let (fr, fc) = random_pattern(rng, rows, cols);
    let (ir, ic) = random_pattern(rng, rows, cols);
    let (pr, pc) = random_pattern(rng, rows, cols);
    for r in 0..rows {
        ids.rows[r] = RowIds { filt: fr[r], ifmap: ir[r], psum: pr[r] };
        for c in 0..cols {
            ids.pes[r][c] = PeIds { enable: rng.gen_bool(0.75), link: false, filt_col: fc[r][c], ifmap_col: ic[r][c], psum_col: pc[r][c] };
        }
    }
    if ids.active() == 0 {
        ids.pes[rng.gen_range(0..rows)][rng.gen_range(0..cols)].enable = true;
    }
    for r in 0..rows.saturating_sub(1) {
        for c in 0..cols {
            if ids.pes[r][c].enable && ids.pes[r + 1][c].enable && rng.gen_bool(0.4) {
                ids.pes[r][c].link = true;
            }
        }
    }
    let s = rng.gen_range(1..=3);
    let q = rng.gen_range(1..=2);
    let pass = PassConfig { s, u: rng.gen_range(1..=3), p: rng.gen_range(1..=3), q, e: rng.gen_range(1..=3), shift: rng.gen_range(0..=4) };
    let mut model = ArrayModel::new(hw);
    model.ids = ids.clone();
    // The groups each bus's tags reach (one word stream per group).
    let groups = |bus: Bus, tag_of: &dyn Fn(usize, usize) -> (u8, u8)| -> Vec<(u8, u8)> {
        let mut g: Vec<(u8, u8)> = Vec::new();
        for r in 0..rows {
            for c in 0..cols {
                let t = tag_of(r, c);
                if !model.destinations(bus, &Word { row: t.0, col: t.1, data: 0 }).is_empty() && !g.contains(&t) {
                    g.push(t);
                }
            }
        }
        g
    };
    let fg = groups(Bus::Filter, &|r, c| (fr[r], fc[r][c]));
    let ig = groups(Bus::Ifmap, &|r, c| (ir[r], ic[r][c]));
    let pg = groups(Bus::Psum, &|r, c| (pr[r], pc[r][c]));
    let val = |rng: &mut dyn rand::RngCore| -> i16 { if rng.gen_bool(0.25) { 0 } else { rng.gen() } };
    let mut t = Traffic::default();
    // Tags that reach nobody, mixed in.
    let stray = |rng: &mut dyn rand::RngCore, bus: Bus| -> Option<Word> {
        let w = Word { row: rng.gen_range(0..16), col: rng.gen_range(0..if bus == Bus::Ifmap { 32 } else { 16 }), data: rng.gen() };
        model.destinations(bus, &w).is_empty().then_some(w)
    };
    for &g in &fg {
        for _ in 0..pass.filter_words() {
            t.filt.push(Word { row: g.0, col: g.1, data: val(rng) });
            if rng.gen_bool(0.05) {
                t.filt.extend(stray(rng, Bus::Filter));
            }
        }
    }
    // Ifmap and psum words output by output (every PE's words for output e before any for
    // e + 1), so that no PE waiting for a psum holds up a word another PE needs first.
    for e in 0..pass.e as usize {
        let n = (pass.q * if e == 0 { pass.s } else { pass.u }) as usize;
        let mut order = ig.clone();
        order.shuffle(rng);
        for &g in &order {
            for _ in 0..n {
                t.ifmap.push(Word { row: g.0, col: g.1, data: val(rng) });
                if rng.gen_bool(0.05) {
                    t.ifmap.extend(stray(rng, Bus::Ifmap));
                }
            }
        }
        let mut order = pg.clone();
        order.shuffle(rng);
        for &g in &order {
            for _ in 0..pass.p {
                t.psum.push(Word { row: g.0, col: g.1, data: rng.gen() });
                if rng.gen_bool(0.05) {
                    t.psum.extend(stray(rng, Bus::Psum));
                }
            }
        }
    }
    (ids, pass, t)
}

/// Runs `n` random scenarios on `dut` and its golden model side by side (reset between them),
/// comparing every psum out (per PE, in order), every array counter and every PE's counters.
pub fn check_random(dut: &mut dyn Dut, hw: &ArrayConfig, n: usize, rng: &mut impl Rng) -> Result<u64, String> {
    let mut d = ArrayDriver::new(dut, hw);
    for k in 0..n {
        d.pins.reset();
        let mut model = ArrayModel::new(hw);
        let (ids, pass, traffic) = random_scenario(hw, rng);
        model.ids = ids.clone();
        let want = model.run(&pass, &traffic).map_err(|e| format!("scenario {k}: the model refused it: {e}"))?;
        d.write_ids(&ids);
        let got = d.run_pass(&pass, &traffic, BusTraffic::random(rng), rng).map_err(|e| format!("scenario {k} ({pass:?}): {e}"))?;
        compare(&want, &got).map_err(|e| format!("scenario {k} ({pass:?}, ids {ids:?}): {e}"))?;
    }
    Ok(d.pins.cycles())
}

/// The first difference between the model's pass and the RTL's, in words.
pub fn compare(want: &ArrayPass, got: &ArrayPass) -> Result<(), String> {
    for (pe, w) in &want.out {
        let g = got.out.get(pe).map(|v| v.as_slice()).unwrap_or(&[]);
        if let Some(k) = (0..w.len().max(g.len())).find(|&k| w.get(k) != g.get(k)) {
            return Err(format!("psum {k} out of PE {pe:?}: RTL {:?}, model {:?}", g.get(k), w.get(k)));
        }
    }
    if let Some(pe) = got.out.keys().find(|pe| !want.out.contains_key(pe)) {
        return Err(format!("PE {pe:?} sent {} psums out; the model says none", got.out[pe].len()));
    }
    if want.counters != got.counters {
        return Err(format!("array counters: RTL {:?}, model {:?}", got.counters, want.counters));
    }
    for (r, (wr, gr)) in want.pe_counters.iter().zip(&got.pe_counters).enumerate() {
        for (c, (w, g)) in wr.iter().zip(gr).enumerate() {
            if w != g {
                return Err(format!("PE ({r}, {c}) counters: RTL {g:?}, model {w:?}"));
            }
        }
    }
    Ok(())
}

/// `edgertl cover`'s stimulus: random scenarios against the golden model.
pub fn stimulus(dut: &mut dyn Dut, preset: &str, stim: &mut crate::harness::Stimulus) -> Result<u64, String> {
    let hw = ArrayConfig::preset(preset).map_err(|e| e.to_string())?;
    check_random(dut, &hw, 40, &mut stim.rng)
}
