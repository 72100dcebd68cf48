//! Drives passes through any PE [`Dut`] (Verilated or rust-hdl's simulator) cycle by cycle,
//! with random idle and back-pressure on every stream, and collects what comes out.

use super::model::Counters;
use crate::harness::{Dut, Handshake, Pins};
use crate::verilated::eyeriss_pe::{inp, out, INPUTS, OUTPUTS};
use edgertl_hdl::pe::{PassConfig, PeConfig};
use rand::Rng;
use std::collections::VecDeque;

/// One pass's configuration and input streams (layouts: see `edgertl_hdl::pe`).
#[derive(Clone, Debug)]
pub struct PassData {
    pub cfg: PassConfig,
    pub filters: Vec<i16>,
    pub ifmap: Vec<i16>,
    pub psum_in: Vec<i16>,
}

/// What the PE did in one pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassResult {
    /// `cfg_error` after the pass: the configuration was refused.
    pub refused: bool,
    pub psum_out: Vec<i16>,
    /// The PE's counters after the pass (cumulative since reset).
    pub counters: Counters,
    /// Cycles from offering the configuration to the PE being idle again.
    pub cycles: u64,
}

/// Handshake profiles of the four streams: filter, ifmap, psum_in (sources), psum_out (sink).
#[derive(Clone, Copy, Debug)]
pub struct Traffic {
    pub filt: Handshake,
    pub ifmap: Handshake,
    pub psum_in: Handshake,
    pub psum_out: Handshake,
}

impl Traffic {
    pub const FULL_SPEED: Traffic =
        Traffic { filt: Handshake::NONE, ifmap: Handshake::NONE, psum_in: Handshake::NONE, psum_out: Handshake::NONE };

    pub fn random(rng: &mut impl Rng) -> Self {
        Self {
            filt: Handshake::random(rng),
            ifmap: Handshake::random(rng),
            psum_in: Handshake::random(rng),
            psum_out: Handshake::random(rng),
        }
    }
}

/// A PE under test, reset and idle.
pub struct PeDriver<D: Dut> {
    /// The PE's pins: its [`Dut`], cycles run, reset (after which the PE is idle) and idle
    /// cycles (to abandon a pass half-way).
    pub pins: Pins<D>,
}

fn as_word(v: i16) -> u64 {
    v as u16 as u64
}

impl<D: Dut> PeDriver<D> {
    /// Takes a DUT and resets it (two cycles with `rst` high).
    pub fn new(dut: D) -> Self {
        let mut pins = Pins::new(dut, INPUTS, OUTPUTS);
        pins.reset();
        Self { pins }
    }

    /// The PE's counters after the last edge (cumulative since reset).
    pub fn counters(&self) -> Counters {
        let o = self.pins.outputs();
        Counters {
            macs: o[out::MACS] as u32,
            macs_gated: o[out::MACS_GATED] as u32,
            filt_spad_reads: o[out::FILT_SPAD_READS] as u32,
            filt_spad_writes: o[out::FILT_SPAD_WRITES] as u32,
            ifmap_spad_reads: o[out::IFMAP_SPAD_READS] as u32,
            ifmap_spad_writes: o[out::IFMAP_SPAD_WRITES] as u32,
            psum_spad_reads: o[out::PSUM_SPAD_READS] as u32,
            psum_spad_writes: o[out::PSUM_SPAD_WRITES] as u32,
        }
    }

    /// Runs one pass. A configuration `hw` refuses gets no data (the PE must take none).
    /// Errors (never hangs) when the PE does not finish within a generous cycle budget.
    pub fn run_pass(
        &mut self,
        pass: &PassData,
        hw: &PeConfig,
        traffic: Traffic,
        rng: &mut impl Rng,
    ) -> Result<PassResult, String> {
        let start = self.pins.cycles();
        let valid = pass.cfg.validate(hw).is_ok();
        let mut filt: VecDeque<i16> = if valid { pass.filters.iter().copied().collect() } else { VecDeque::new() };
        let mut ifmap: VecDeque<i16> = if valid { pass.ifmap.iter().copied().collect() } else { VecDeque::new() };
        let mut psum_in: VecDeque<i16> = if valid { pass.psum_in.iter().copied().collect() } else { VecDeque::new() };
        let mut psum_out = Vec::new();
        let c = pass.cfg;
        let work = (c.e as u64) * (c.p as u64 * c.q as u64 * c.s as u64 + 2 * c.p as u64 + c.q as u64 * c.s.max(c.u) as u64 + 8)
            + pass.filters.len() as u64
            + 64;
        let budget = 2_000 + 40 * work;

        if self.pins.get(out::CFG_READY) == 0 {
            return Err("the PE is not idle at the start of a pass".into());
        }
        let i = self.pins.inputs_mut();
        i[inp::CFG_VALID] = 1;
        i[inp::CFG_S] = c.s as u64;
        i[inp::CFG_U] = c.u as u64;
        i[inp::CFG_P] = c.p as u64;
        i[inp::CFG_Q] = c.q as u64;
        i[inp::CFG_E] = c.e as u64;
        i[inp::CFG_SHIFT] = c.shift as u64;
        loop {
            // Decide this cycle's inputs from the outputs seen after the last edge.
            let offer = |q: &VecDeque<i16>, hs: &Handshake, rng: &mut dyn rand::RngCore| -> (u64, u64) {
                match q.front() {
                    Some(&v) if hs.offer(&mut RngWrap(rng)) => (1, as_word(v)),
                    _ => (0, 0),
                }
            };
            let (fv, fd) = offer(&filt, &traffic.filt, rng);
            let (iv, id) = offer(&ifmap, &traffic.ifmap, rng);
            let (pv, pd) = offer(&psum_in, &traffic.psum_in, rng);
            let out_ready = traffic.psum_out.accept(rng) as u64;
            let o = self.pins.outputs();
            let (f_moves, i_moves, p_moves) =
                (fv == 1 && o[out::FILT_READY] == 1, iv == 1 && o[out::IFMAP_READY] == 1, pv == 1 && o[out::PSUM_IN_READY] == 1);
            if out_ready == 1 && o[out::PSUM_OUT_VALID] == 1 {
                psum_out.push(o[out::PSUM_OUT_DATA] as u16 as i16);
            }
            let i = self.pins.inputs_mut();
            (i[inp::FILT_VALID], i[inp::FILT_DATA]) = (fv, fd);
            (i[inp::IFMAP_VALID], i[inp::IFMAP_DATA]) = (iv, id);
            (i[inp::PSUM_IN_VALID], i[inp::PSUM_IN_DATA]) = (pv, pd);
            i[inp::PSUM_OUT_READY] = out_ready;
            self.pins.tick();
            self.pins.set(inp::CFG_VALID, 0);
            if f_moves {
                filt.pop_front();
            }
            if i_moves {
                ifmap.pop_front();
            }
            if p_moves {
                psum_in.pop_front();
            }
            let done = self.pins.get(out::CFG_READY) == 1;
            // Words still in the output FIFO after the PE went idle are drained below.
            if done {
                break;
            }
            if self.pins.cycles() - start > budget {
                return Err(format!(
                    "the PE did not finish within {budget} cycles (left: {} filter, {} ifmap, {} psum_in words; {} psums out)",
                    filt.len(),
                    ifmap.len(),
                    psum_in.len(),
                    psum_out.len()
                ));
            }
        }
        // Drain the output FIFO (it holds at most its depth).
        let expected_out = if valid { (c.e * c.p) as usize } else { 0 };
        let mut drain = 0;
        while psum_out.len() < expected_out && drain < 10_000 {
            let out_ready = traffic.psum_out.accept(rng) as u64;
            if out_ready == 1 && self.pins.get(out::PSUM_OUT_VALID) == 1 {
                psum_out.push(self.pins.get(out::PSUM_OUT_DATA) as u16 as i16);
            }
            self.pins.set(inp::PSUM_OUT_READY, out_ready);
            self.pins.tick();
            drain += 1;
        }
        self.pins.set(inp::PSUM_OUT_READY, 0);
        if !filt.is_empty() || !ifmap.is_empty() || !psum_in.is_empty() {
            return Err(format!(
                "the PE went idle with words left: {} filter, {} ifmap, {} psum_in",
                filt.len(),
                ifmap.len(),
                psum_in.len()
            ));
        }
        if self.pins.get(out::PSUM_OUT_VALID) == 1 {
            return Err("the PE produced more psums than the pass asks for".into());
        }
        Ok(PassResult {
            refused: self.pins.get(out::CFG_ERROR) == 1,
            psum_out,
            counters: self.counters(),
            cycles: self.pins.cycles() - start,
        })
    }
}

/// Lets a `&mut dyn RngCore` be used where `impl Rng` is asked for.
struct RngWrap<'a>(&'a mut dyn rand::RngCore);

impl rand::RngCore for RngWrap<'_> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.0.try_fill_bytes(dest)
    }
}

/// A random pass for `hw`: mostly legal configurations (about one in ten refused), data with a
/// random sparsity, extremes included so that products wrap and shifts matter.
pub fn random_pass(rng: &mut impl Rng, hw: &PeConfig, max_e: u32) -> PassData {
    let cfg = loop {
        let q = rng.gen_range(1..=hw.ifmap_spad_words);
        let s = rng.gen_range(1..=hw.ifmap_spad_words / q);
        let p_max = (hw.filter_spad_words / (q * s)).min(hw.psum_spad_words);
        let mut cfg = PassConfig {
            s,
            u: rng.gen_range(1..=12),
            p: rng.gen_range(1..=p_max),
            q,
            e: rng.gen_range(1..=max_e),
            shift: [0, 1, 4, 8, 12, 15, 16, 31][rng.gen_range(0..8)],
        };
        if rng.gen_bool(0.1) {
            // Break one limit.
            match rng.gen_range(0..6) {
                0 => cfg.s = 0,
                1 => cfg.q = rng.gen_range(2..=12).max(hw.ifmap_spad_words / cfg.s + 1).min(15),
                2 => cfg.p = rng.gen_range(hw.psum_spad_words + 1..=31),
                3 => cfg.u = [0, 13, 15][rng.gen_range(0..3)],
                4 => cfg.e = 0,
                _ => cfg.p = 0,
            }
            if cfg.validate(hw).is_ok() {
                continue;
            }
        }
        break cfg;
    };
    let sparsity: f64 = [0.0, 0.3, 0.6, 0.9, 1.0][rng.gen_range(0..5)];
    let word = |rng: &mut dyn rand::RngCore, zeros: f64| -> i16 {
        let mut r = RngWrap(rng);
        if zeros > 0.0 && r.gen_bool(zeros) {
            return 0;
        }
        match r.gen_range(0..10) {
            0 => [i16::MIN, i16::MAX, -1, 1][r.gen_range(0..4)],
            1..=4 => r.gen_range(-16..=16),
            _ => r.gen(),
        }
    };
    let legal = cfg.validate(hw).is_ok();
    let (nf, ni, np) = if legal { (cfg.filter_words(), cfg.ifmap_words(), (cfg.e * cfg.p) as usize) } else { (0, 0, 0) };
    PassData {
        cfg,
        filters: (0..nf).map(|_| word(rng, 0.05)).collect(),
        ifmap: (0..ni).map(|_| word(rng, sparsity)).collect(),
        psum_in: (0..np).map(|_| word(rng, 0.1)).collect(),
    }
}

/// The PE's random test stimulus on any model of it (the unit's `stimulus` in the registry,
/// what `edgertl cover` runs): a pass starved of data and a reset in the middle of it, then
/// random passes (about one in ten refused) with random traffic for 1.2 million cycles, every
/// psum and counter checked against the golden model. Returns the cycles run.
pub fn stimulus(dut: &mut dyn Dut, preset: &str, stim: &mut crate::harness::Stimulus) -> Result<u64, String> {
    let hw = PeConfig::preset(preset).map_err(|e| e.to_string())?;
    let mut pe = PeDriver::new(dut);
    let mut model = super::model::PeModel::new(hw.clone());
    let mut starved = random_pass(&mut stim.rng, &hw, 4);
    while starved.cfg.validate(&hw).is_err() {
        starved = random_pass(&mut stim.rng, &hw, 4);
    }
    let starved = PassData { filters: vec![], ifmap: vec![], psum_in: vec![], ..starved };
    if pe.run_pass(&starved, &hw, Traffic::FULL_SPEED, &mut stim.rng).is_ok() {
        return Err("a pass without data finished".into());
    }
    pe.pins.reset();
    let mut passes = 0;
    while pe.pins.cycles() < 1_200_000 {
        let pass = random_pass(&mut stim.rng, &hw, 40);
        let traffic = if stim.rng.gen_bool(0.2) { Traffic::FULL_SPEED } else { Traffic::random(&mut stim.rng) };
        let got = pe.run_pass(&pass, &hw, traffic, &mut stim.rng)?;
        let agrees = match model.run_pass(&pass.cfg, &pass.filters, &pass.ifmap, &pass.psum_in) {
            Ok(psums) => !got.refused && psums == got.psum_out,
            Err(_) => got.refused && got.psum_out.is_empty(),
        };
        if !agrees || got.counters != model.counters {
            return Err(format!("pass {passes} ({:?}) differs from the golden model", pass.cfg));
        }
        passes += 1;
    }
    Ok(pe.pins.cycles())
}
