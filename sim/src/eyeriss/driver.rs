//! Drives the `eyeriss` unit ([`Dut`]: Verilated or rust-hdl's simulator): its layer program
//! and the layer's tensors in a DRAM model on its memory port, a run from `go` to `done`, and
//! every counter read back.
//!
//! # The DRAM model
//! One 64-bit beat (four 16-bit words) per request. The chip's DRAM link ran at 60 MHz beside a
//! 200 MHz core; the model keeps the core's clock and grants the link `link` beats every `core`
//! core cycles (a token bucket: `link` tokens a cycle, `core` a beat, at most one beat of
//! credit saved), reads and writes alike. A read's data comes back `latency` core cycles after
//! its request, in order. `DramTiming::CHIP` is 200 : 60 with 20 core cycles (100 ns) of
//! latency; `DramTiming::random` adds random stalls on both sides for the tests.

use super::binary::encode;
use super::counts::{DataStats, Rw, RwPerType};
use super::golden;
use super::layer::LayerShape;
use super::machine::{Machine, MachineCounts};
use super::mapper::{array_mappings, evaluate, Evaluated, Hardware, SPEED_SLACK};
use super::program::{compile, limits, supported, Buffers, Cmd, Program};
use super::streams;
use edgertl_hdl::array::ArrayConfig;
use crate::harness::{Dut, Handshake, Pins};
use crate::pe::model::Counters;
use crate::verilated::eyeriss::{inp, out, INPUTS, OUTPUTS};
use edgertl_hdl::eyeriss::counters as cnt;
use edgertl_hdl::eyeriss::EyerissConfig;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

/// The DRAM's timing as the unit's clock sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DramTiming {
    /// Core cycles and link beats: `link` beats every `core` cycles (at most one a cycle).
    pub core: u32,
    pub link: u32,
    /// Core cycles from a read's request to its data.
    pub latency: u64,
    /// Random refusals of a request, and random delays of a response (0: none).
    pub req_stall: f64,
    pub resp_stall: f64,
}

impl DramTiming {
    /// The chip's link: 200 MHz core, 60 MHz 64-bit link, 100 ns.
    pub const CHIP: DramTiming = DramTiming { core: 200, link: 60, latency: 20, req_stall: 0.0, resp_stall: 0.0 };
    /// A beat every cycle after 1 cycle: the array's own speed, for cycle comparisons.
    pub const IDEAL: DramTiming = DramTiming { core: 1, link: 1, latency: 1, req_stall: 0.0, resp_stall: 0.0 };

    pub fn random(rng: &mut impl Rng) -> DramTiming {
        let hs = Handshake::random(rng);
        let (core, link) = [(1, 1), (200, 60), (3, 1)][rng.gen_range(0..3)];
        DramTiming { core, link, latency: rng.gen_range(1..30), req_stall: hs.stall, resp_stall: hs.idle }
    }
}

/// Memory outside the unit: 64-bit beats.
pub struct Dram {
    pub beats: Vec<u64>,
    timing: DramTiming,
    tokens: u64,
    /// Reads in flight: (cycle the data is due, beat).
    pending: VecDeque<(u64, u64)>,
    pub reads: u64,
    pub writes: u64,
}

impl Dram {
    pub fn new(beats: Vec<u64>, timing: DramTiming) -> Dram {
        Dram { beats, timing, tokens: u64::from(timing.core), pending: VecDeque::new(), reads: 0, writes: 0 }
    }

    /// 16-bit word `w`.
    pub fn word(&self, w: usize) -> i16 {
        (self.beats[w / 4] >> (16 * (w % 4))) as u16 as i16
    }

    /// Sets this cycle's inputs from the unit's outputs after the last edge; returns whether a
    /// request and a response move at the coming edge (the caller then calls [`Dram::edge`]).
    fn drive<D: Dut>(&mut self, pins: &mut Pins<D>, rng: &mut impl Rng) -> Result<(), String> {
        let now = pins.cycles();
        let t = self.timing;
        let ready = self.tokens >= u64::from(t.core) && !(t.req_stall > 0.0 && rng.gen_bool(t.req_stall));
        pins.set(inp::DRAM_REQ_READY, ready as u64);
        let resp = self.pending.front().is_some_and(|&(due, _)| due <= now) && !(t.resp_stall > 0.0 && rng.gen_bool(t.resp_stall));
        pins.set(inp::DRAM_RESP_VALID, resp as u64);
        let data = if resp {
            let beat = self.pending.front().unwrap().1 as usize;
            *self.beats.get(beat).ok_or_else(|| format!("the unit read DRAM beat {beat}, outside its {} beats", self.beats.len()))?
        } else {
            0
        };
        pins.set(inp::DRAM_RESP_DATA, data);
        Ok(())
    }

    /// What moved at the edge just taken, from the outputs before it.
    fn edge(&mut self, before: &[u64], inputs: &[u64], now: u64) -> Result<(), String> {
        let t = self.timing;
        self.tokens = (self.tokens + u64::from(t.link)).min(2 * u64::from(t.core));
        if inputs[inp::DRAM_REQ_READY] == 1 && before[out::DRAM_REQ_VALID] == 1 {
            self.tokens -= u64::from(t.core);
            let beat = before[out::DRAM_REQ_BEAT] as usize;
            if before[out::DRAM_REQ_WRITE] == 1 {
                let slot = self.beats.get_mut(beat).ok_or_else(|| format!("the unit wrote DRAM beat {beat}, outside its beats"))?;
                let (data, mask) = (before[out::DRAM_REQ_DATA], before[out::DRAM_REQ_MASK]);
                for lane in 0..4 {
                    if mask >> lane & 1 == 1 {
                        let m = 0xffffu64 << (16 * lane);
                        *slot = (*slot & !m) | (data & m);
                    }
                }
                self.writes += 1;
            } else {
                self.pending.push_back((now + t.latency, beat as u64));
                self.reads += 1;
            }
        }
        if inputs[inp::DRAM_RESP_VALID] == 1 && before[out::DRAM_RESP_READY] == 1 {
            self.pending.pop_front();
        }
        Ok(())
    }
}

/// `fault` bit 4: a coded load's stream is malformed.
const RLC_FAULT: u64 = 1 << 4;

/// The coded load of `program` whose stream is at `beat`: `load k (command c, ...)`.
fn coded_load_at(program: &Program, beat: u64) -> Option<String> {
    program
        .cmds
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c, Cmd::Load { .. }))
        .enumerate()
        .find_map(|(k, (c, cmd))| match cmd {
            Cmd::Load { kind, coded: Some(s), .. } if s.beat % (1 << 29) == beat => Some(format!("load {k} of the program (command {c}: a coded {kind:?} load of {} words)", s.values)),
            _ => None,
        })
}

/// Everything a run measured: the unit's counters, in the machine's terms where it has them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RtlCounts {
    pub cycles: u64,
    pub program_words: u64,
    pub dram_beats_read: u64,
    pub dram_beats_written: u64,
    pub glb_conflicts: u64,
    pub glb_stalls: u64,
    /// The performance counters ([`edgertl_hdl::eyeriss::counters::PERF_NAMES`]): cycles.
    pub perf: [u64; 8],
    /// The counters the machine keeps too (the same struct, so one `assert_eq!` compares them).
    pub machine: MachineCounts,
}

/// The mapper's view of a configuration (its buffers and array).
pub fn hardware(hw: &EyerissConfig) -> Hardware {
    Hardware {
        rows: hw.array.rows as usize,
        cols: hw.array.cols as usize,
        glb_banks: hw.glb.banks as usize,
        bank_words: hw.bank_words() as usize,
        filter_buffer_words: hw.filter_words() as usize,
        ..Hardware::eyeriss_v1()
    }
}

/// The buffers a program compiled for `hw` may use.
pub fn buffers(hw: &EyerissConfig) -> Buffers {
    Buffers { glb_words: hw.glb_words(), filter_words: hw.filter_words(), bank_words: hw.bank_words() }
}

/// One layer program run on the unit.
#[derive(Debug)]
pub struct Run {
    /// DRAM after the run, in 16-bit words (the layer's tensors; the program after them).
    pub dram: Vec<i16>,
    pub counts: RtlCounts,
}

/// Where a checked run is: called at the start of each step of [`run_rtl`] / [`run_checked`]
/// and every [`PROGRESS_CYCLES`] cycles of the RTL's run (for a progress bar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Choosing the mapping ([`best_compiled`]: the supported mappings evaluated, those the
    /// choice rests on compiled).
    Mapping,
    /// The golden layer and the program's machine (the references the run is checked against).
    Reference,
    /// The RTL running: program words executed so far, the program's length, cycles since `go`.
    Rtl { words: u64, total: u64, cycles: u64 },
    /// Reading the counters back and comparing.
    Check,
}

/// Called with each [`Step`] of a run.
pub type Progress = Box<dyn FnMut(Step)>;

/// Wall time of each step of a checked run, seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct StepTimes {
    /// Counting the ifmap's zero MACs and [`best_compiled`] (0 when the caller chose the mapping).
    pub mapping_s: f64,
    /// The golden layer.
    pub golden_s: f64,
    /// The program's machine ([`Machine::run`]).
    pub machine_s: f64,
    /// The RTL from `go` to `done`, counters read back.
    pub rtl_s: f64,
    /// The comparisons.
    pub check_s: f64,
}

/// How often a run reports its progress.
pub const PROGRESS_CYCLES: u64 = 1 << 16;

/// The unit under test, reset.
pub struct EyerissDriver<D: Dut> {
    pub pins: Pins<D>,
    hw: EyerissConfig,
    progress: Option<Progress>,
}

impl<D: Dut> EyerissDriver<D> {
    pub fn new(dut: D, hw: &EyerissConfig) -> Self {
        let mut pins = Pins::new(dut, INPUTS, OUTPUTS);
        pins.reset();
        Self { pins, hw: hw.clone(), progress: None }
    }

    /// Reports the progress of every run from now on (for a progress bar).
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    fn step(&mut self, step: Step) {
        if let Some(p) = self.progress.as_mut() {
            p(step);
        }
    }

    /// Runs `program` with `dram` (the layer's words, [`super::program::DramLayout`]) in a DRAM
    /// of `timing`: the program's words go after the data, the unit runs until `done`, and
    /// every counter is read back. Errors (never hangs) on `error`, a fault, or `budget` cycles.
    /// A malformed coded stream stops the run: the error names the program's load and the
    /// decoder's error kind.
    pub fn run(&mut self, program: &Program, dram: &[i16], timing: DramTiming, budget: u64, rng: &mut impl Rng) -> Result<Run, String> {
        self.run_inner(&encode(program)?.words, dram, timing, budget, rng, Some(program))
    }

    /// [`EyerissDriver::run`] on a program already encoded (or corrupted, in the tests).
    pub fn run_words(&mut self, words: &[u64], dram: &[i16], timing: DramTiming, budget: u64, rng: &mut impl Rng) -> Result<Run, String> {
        self.run_inner(words, dram, timing, budget, rng, None)
    }

    fn run_inner(&mut self, words: &[u64], dram: &[i16], timing: DramTiming, budget: u64, rng: &mut impl Rng, program: Option<&Program>) -> Result<Run, String> {
        let data_beats = dram.len().div_ceil(4);
        // The program at a beat of its own after the data (a random gap: any address works).
        let prog_beat = data_beats + rng.gen_range(0..4);
        // The sequencer fetches up to 4 words ahead: 4 beats after the end word are read and dropped.
        let mut beats = vec![0u64; prog_beat + words.len() + 4];
        for (w, &v) in dram.iter().enumerate() {
            beats[w / 4] |= u64::from(v as u16) << (16 * (w % 4));
        }
        beats[prog_beat..][..words.len()].copy_from_slice(words);
        let mut mem = Dram::new(beats, timing);
        self.pins.reset();
        let start = self.pins.cycles();
        self.pins.set(inp::PROG_BEAT, prog_beat as u64);
        self.pins.set(inp::GO, 1);
        let mut before = vec![0u64; OUTPUTS.len()];
        let mut ins = vec![0u64; INPUTS.len()];
        loop {
            mem.drive(&mut self.pins, rng)?;
            before.copy_from_slice(self.pins.outputs());
            let now = self.pins.cycles();
            ins.copy_from_slice(self.pins.inputs_mut());
            self.pins.tick();
            self.pins.set(inp::GO, 0);
            mem.edge(&before, &ins, now)?;
            let o = self.pins.outputs();
            if o[out::FAULT] & !RLC_FAULT != 0 {
                return Err(format!("fault {:#x} (bit 0 a GLB access refused, 1 a pass refused, 2 an unknown PE, 3 a feed tag, 4 a malformed coded stream) after {} cycles", o[out::FAULT], self.pins.cycles() - start));
            }
            // A malformed coded stream: the unit stops the run itself (waited for, within the
            // budget), then counter 31 says which stream and why.
            if o[out::ERROR] == 1 && o[out::FAULT] & RLC_FAULT != 0 && o[out::BUSY] == 0 {
                let cycles = self.pins.cycles() - start;
                let v = self.counter(cnt::RLC_FAULT);
                let (beat, truncated, kind) = (v >> 3, v >> 2 & 1 == 1, v & 3);
                let load = program.and_then(|p| coded_load_at(p, beat)).unwrap_or_else(|| "a coded load".into());
                return Err(format!(
                    "{load}: its run-length coded stream at DRAM beat {beat} is malformed{}, the decoder's error kind {kind} ({}); the unit stopped the run after {cycles} cycles",
                    if truncated { " (its beats ran out before the decoder finished: truncated, or cut where the decoder had not yet read it)" } else { "" },
                    super::streams::kind_name(kind)
                ));
            }
            if o[out::ERROR] == 1 && o[out::FAULT] & RLC_FAULT == 0 {
                return Err(format!("the sequencer stopped on a bad program word after {} words", o[out::WORDS]));
            }
            if o[out::DONE] == 1 {
                break;
            }
            if let Some(p) = self.progress.as_mut().filter(|_| now.is_multiple_of(PROGRESS_CYCLES)) {
                p(Step::Rtl { words: o[out::WORDS], total: words.len() as u64, cycles: now - start });
            }
            if self.pins.cycles() - start > budget {
                return Err(format!(
                    "no `done` after {budget} cycles ({} program words of {} executed)",
                    o[out::WORDS],
                    words.len()
                ));
            }
        }
        self.pins.set(inp::DRAM_REQ_READY, 0);
        self.pins.set(inp::DRAM_RESP_VALID, 0);
        let counts = self.counters();
        let dram = (0..dram.len()).map(|w| mem.word(w)).collect();
        Ok(Run { dram, counts })
    }

    /// Counter `k` of the map ([`edgertl_hdl::eyeriss::counters`]).
    pub fn counter(&mut self, k: u64) -> u64 {
        self.pins.set(inp::CNT_SEL, k);
        self.pins.tick();
        self.pins.get(out::CNT_VALUE)
    }

    /// PE (r, c)'s counters through the select port (two cycles).
    pub fn pe_counters(&mut self, r: usize, c: usize) -> Counters {
        self.pins.set(inp::SEL_ROW, r as u64);
        self.pins.set(inp::SEL_COL, c as u64);
        self.pins.tick();
        self.pins.tick();
        Counters::from_select(self.pins.outputs(), out::SEL_MACS)
    }

    /// Every counter after a run.
    pub fn counters(&mut self) -> RtlCounts {
        let per = |base: u64, me: &mut Self| [0, 1, 2].map(|k| me.counter(base + k));
        let (dr, dw, gr, gw) = (per(cnt::DRAM_READS, self), per(cnt::DRAM_WRITES, self), per(cnt::GLB_READS, self), per(cnt::GLB_WRITES, self));
        let rw = |r: [u64; 3], w: [u64; 3]| RwPerType {
            ifmap: Rw { reads: r[0], writes: w[0] },
            filter: Rw { reads: r[1], writes: w[1] },
            psum: Rw { reads: r[2], writes: w[2] },
        };
        let a: Vec<u64> = (0..8).map(|k| self.counter(cnt::ARRAY + k)).collect();
        let mut pe = Counters::default();
        for r in 0..self.hw.array.rows as usize {
            for c in 0..self.hw.array.cols as usize {
                pe = pe.wrapping_add(&self.pe_counters(r, c));
            }
        }
        let machine = MachineCounts {
            passes: self.counter(cnt::PASSES),
            dram: rw(dr, dw),
            glb: rw(gr, gw),
            bus_filter_words: a[0],
            filter_deliveries: a[1],
            bus_ifmap_words: a[2],
            ifmap_deliveries: a[3],
            bus_psum_words: a[4],
            psum_deliveries: a[5],
            out_words: a[6],
            link_transfers: a[7],
            pe,
            active_pes: self.counter(cnt::ACTIVE_PES) as u32,
        };
        RtlCounts {
            cycles: self.counter(cnt::CYCLES),
            program_words: self.counter(cnt::PROGRAM_WORDS),
            dram_beats_read: self.counter(cnt::DRAM_BEATS_READ),
            dram_beats_written: self.counter(cnt::DRAM_BEATS_WRITTEN),
            glb_conflicts: self.counter(cnt::GLB_CONFLICTS),
            glb_stalls: self.counter(cnt::GLB_STALLS),
            perf: std::array::from_fn(|k| self.counter(cnt::PERF + k as u64)),
            machine,
        }
    }
}

/// The unit's test stimulus (what `edgertl cover` runs): random small layers under random
/// mappings and DRAM timing, each output checked against the golden layer and every counter
/// against the program's machine.
pub fn stimulus(dut: &mut dyn Dut, preset: &str, stim: &mut crate::harness::Stimulus) -> Result<u64, String> {
    let hw = EyerissConfig::preset(preset).map_err(|e| e.to_string())?;
    let mut d = EyerissDriver::new(dut, &hw);
    for _ in 0..6 {
        let layer = random_layer(&mut stim.rng);
        check_layer(&mut d, &layer, &mut stim.rng)?;
    }
    Ok(d.pins.cycles())
}

/// A random small layer (padding, strides, groups, ReLU, channel and filter tiles).
pub fn random_layer(rng: &mut impl Rng) -> LayerShape {
    let r = rng.gen_range(1..=3);
    let s = rng.gen_range(1..=3);
    let groups = [1, 1, 2][rng.gen_range(0..3)];
    let c = groups * rng.gen_range(1..=3);
    let m = groups * rng.gen_range(1..=4);
    let mut l = LayerShape::new("rand", 1, m, c, rng.gen_range(r.max(4)..=9), rng.gen_range(s.max(4)..=9), r, s);
    l.groups = groups;
    l.u = rng.gen_range(1..=2);
    l.pad = rng.gen_range(0..=1.min(r - 1));
    l.relu = rng.gen_bool(0.5);
    l.shift = rng.gen_range(0..4);
    l
}

/// Every mapping of `layer` the compiler supports on `hw`, evaluated with `data` and compiled.
pub fn compiled_mappings(hw: &EyerissConfig, layer: &LayerShape, data: &DataStats) -> Vec<(Evaluated, Program)> {
    let mh = hardware(hw);
    let (rows, cols) = (mh.rows, mh.cols);
    let bufs = buffers(hw);
    array_mappings(layer, &mh)
        .into_iter()
        .filter(|m| supported(layer, m, rows, cols).is_ok())
        .filter_map(|m| evaluate(layer, &mh, m, data))
        .filter_map(|ev| compile(layer, &ev.mapping, rows, cols, &bufs).ok().map(|p| (ev, p)))
        .collect()
}

/// How a layer's mappings fare with the layer compiler on `hw` (what `run alexnet --rtl` says
/// of a layer it cannot run, and what tells which compiler limit matters most).
#[derive(Clone, Debug, Default)]
pub struct Census {
    /// Array mappings the spads and the array allow ([`array_mappings`]).
    pub mappings: usize,
    /// Of them, those with a buffer plan that fits (the mapper's candidates).
    pub evaluated: usize,
    /// Those the compiler compiles.
    pub compiled: usize,
    /// Per limit (its message with the numbers left out): mappings refused by it first, and
    /// mappings that break it alone (they would compile, buffers permitting, were it lifted),
    /// with the least energy and the cycles of those.
    pub first: BTreeMap<String, usize>,
    pub only: BTreeMap<String, (usize, f64, u64)>,
    /// The least-energy compiled mapping's energy and cycle estimate (`None`: none compiles).
    pub best: Option<(f64, u64)>,
    /// The compiled mapping [`best_compiled`] runs ([`choose`]): its energy and cycle estimate.
    pub chosen: Option<(f64, u64)>,
}

impl Census {
    /// The reasons, most mappings first: `count x reason`.
    pub fn reasons(&self) -> String {
        let mut v: Vec<(&String, &usize)> = self.first.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1));
        v.iter().map(|(r, n)| format!("{n} x {r}")).collect::<Vec<_>>().join("; ")
    }
}

/// A limit's message with its numbers replaced by `#`, so that mappings group by limit.
fn limit_kind(why: &str) -> String {
    let mut out = String::new();
    for ch in why.chars() {
        if ch.is_ascii_digit() {
            if !out.ends_with('#') {
                out.push('#');
            }
        } else {
            out.push(ch);
        }
    }
    out
}

/// The [`Census`] of `layer` on `hw` with `data`.
pub fn census(hw: &EyerissConfig, layer: &LayerShape, data: &DataStats) -> Census {
    let mh = hardware(hw);
    let bufs = buffers(hw);
    let all = array_mappings(layer, &mh);
    let per: Vec<(Evaluated, Vec<String>, Result<(), String>)> = all
        .par_iter()
        .filter_map(|m| evaluate(layer, &mh, *m, data))
        .map(|ev| {
            let broken = limits(layer, &ev.mapping.array, mh.rows, mh.cols);
            let compiled = if broken.is_empty() {
                compile(layer, &ev.mapping, mh.rows, mh.cols, &bufs).map(|_| ()).map_err(|e| e.why)
            } else {
                Err(broken[0].clone())
            };
            (ev, broken, compiled)
        })
        .collect();
    let mut c = Census { mappings: all.len(), evaluated: per.len(), ..Census::default() };
    let ok: Vec<&Evaluated> = per.iter().filter(|(_, _, r)| r.is_ok()).map(|(e, _, _)| e).collect();
    c.chosen = choose(ok.iter().copied()).map(|k| (ok[k].energy.total, ok[k].counts.cycles.total));
    for (ev, broken, compiled) in &per {
        let (energy, cycles) = (ev.energy.total, ev.counts.cycles.total);
        match compiled {
            Ok(()) => {
                c.compiled += 1;
                if c.best.is_none_or(|(e, _)| energy < e) {
                    c.best = Some((energy, cycles));
                }
            }
            Err(why) => *c.first.entry(limit_kind(why)).or_default() += 1,
        }
        if let [only] = &broken[..] {
            let o = c.only.entry(limit_kind(only)).or_insert((0, f64::INFINITY, 0));
            o.0 += 1;
            if energy < o.1 {
                (o.1, o.2) = (energy, cycles);
            }
        }
    }
    c
}

/// A layer run on the unit and checked.
#[derive(Debug)]
pub struct CheckedRun {
    pub run: Run,
    /// The mapper's evaluation of the mapping run (its counts, its cycle estimate).
    pub eval: Evaluated,
    pub program: Program,
    /// Where the wall time went.
    pub times: StepTimes,
}

/// Runs `layer` compiled as `program` (mapped as `eval`) on the unit with the program's machine
/// beside it: the output bit-exact with the golden layer, the counters equal to the machine's
/// and to the mapper's analytical counts; an error says which word or counter differs.
pub fn run_checked<D: Dut>(
    d: &mut EyerissDriver<D>,
    layer: &LayerShape,
    ifmap: &[i16],
    weights: &[i16],
    (eval, program): (Evaluated, Program),
    timing: DramTiming,
    rng: &mut impl Rng,
) -> Result<CheckedRun, String> {
    let hw = d.hw.clone();
    let mut times = StepTimes::default();
    let t = Instant::now();
    d.step(Step::Reference);
    let want = golden::conv(layer, ifmap, weights, None).map_err(|e| e.to_string())?;
    times.golden_s = t.elapsed().as_secs_f64();
    let mut dram = vec![0i16; program.dram.words as usize];
    dram[..ifmap.len()].copy_from_slice(ifmap);
    dram[program.dram.filters as usize..][..weights.len()].copy_from_slice(weights);
    // Coded loads read their words coded by the host; coded stores' DRAM words come from the
    // data too (the golden output, coded), in place of the mapper's raw words.
    let (ofmap, tensors) = (program.dram.ofmap as usize, program.dram.tensors as usize);
    let mut outputs = dram.clone();
    outputs[ofmap..tensors].copy_from_slice(&want);
    let expected_dram = streams::coded_dram_words(&program, &eval.counts.dram, &dram, &outputs)?;
    streams::code_inputs(&program, &mut dram)?;
    let arr = ArrayConfig { rows: hw.array.rows, cols: hw.array.cols, pe: hw.array.pe.clone() };
    let mut m = Machine::new(&arr, dram.clone(), &buffers(&hw));
    let t = Instant::now();
    m.run(&program).map_err(|e| format!("the machine: {e}"))?;
    streams::decode_outputs(&program, &mut m.dram).map_err(|e| format!("the machine: {e}"))?;
    times.machine_s = t.elapsed().as_secs_f64();
    let what = format!("{layer:?} mapped {:?} {:?}", eval.mapping.array, eval.mapping.plan);
    let budget = 200_000 + 400 * (eval.counts.macs + 50 * (program.dram.words + program.cmds.len() as u64));
    let t = Instant::now();
    let mut run = d.run(&program, &dram, timing, budget, rng).map_err(|e| format!("{what}, DRAM {timing:?}: {e}"))?;
    times.rtl_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    d.step(Step::Check);
    // The output as the host reads it: coded stores' streams decoded into place; DRAM beyond
    // the tensors (the streams) left out.
    streams::decode_outputs(&program, &mut run.dram).map_err(|e| format!("{what}: the RTL's output: {e}"))?;
    run.dram.truncate(tensors);
    if run.dram[ofmap..] != want[..] {
        let bad: Vec<usize> = (0..want.len()).filter(|&k| run.dram[ofmap + k] != want[k]).collect();
        let (e, f) = (layer.e(), layer.f());
        let at = |k: usize| format!("(n {}, m {}, y {}, x {}): RTL {}, golden {}, machine {}", k / (layer.m * e * f), k / (e * f) % layer.m, k / f % e, k % f, run.dram[ofmap + k], want[k], m.dram[ofmap + k]);
        return Err(format!(
            "{what}: {} of {} output words differ from the golden layer; first {}",
            bad.len(),
            want.len(),
            bad.iter().take(48).map(|&k| at(k)).collect::<Vec<_>>().join("; ")
        ));
    }
    if run.counts.machine != m.counts {
        return Err(format!("{what}: the RTL's counters differ from the machine's:\n  RTL     {:?}\n  machine {:?}", run.counts.machine, m.counts));
    }
    // The performance counters count cycles of the run: none exceeds it, and the array is busy
    // at least as long as its busiest share of the MAC slots takes.
    let k = &run.counts;
    let slots = u64::from(k.machine.pe.macs) + u64::from(k.machine.pe.macs_gated);
    if k.perf.iter().any(|&c| c > k.cycles) || k.perf[0] < slots / u64::from(k.machine.active_pes.max(1)) {
        return Err(format!("{what}: the performance counters {:?} do not fit a run of {} cycles and {slots} MAC slots on {} PEs", k.perf, k.cycles, k.machine.active_pes));
    }
    if run.counts.machine.dram != expected_dram {
        return Err(format!(
            "{what}: the RTL's DRAM words differ from the mapper's (coded transfers sized from the data):\n  RTL     {:?}\n  mapper  {expected_dram:?}",
            run.counts.machine.dram
        ));
    }
    let diffs = super::machine::differences(&run.counts.machine, &eval.counts);
    if !diffs.is_empty() {
        return Err(format!("{what}: the RTL's counters differ from the mapper's: {}", diffs.join("; ")));
    }
    times.check_s = t.elapsed().as_secs_f64();
    Ok(CheckedRun { run, eval, program, times })
}

/// Random layer data: ifmap words (a fifth of them zero) and weights.
pub fn random_data(layer: &LayerShape, rng: &mut impl Rng) -> (Vec<i16>, Vec<i16>) {
    let ifmap = (0..layer.ifmap_words()).map(|_| if rng.gen_bool(0.2) { 0 } else { rng.gen_range(-300..300) }).collect();
    let weights = (0..layer.filter_words()).map(|_| rng.gen_range(-300..300)).collect();
    (ifmap, weights)
}

/// The mapping [`run_rtl`] runs: of those the compiler supports, the one the mapper's
/// [`super::mapper::search`] would choose among them ([`choose`]); `None` when none fits.
///
/// Compiles only what the choice looks at: the rule ([`choose_why`]) runs over the candidates
/// not yet known to fail; when the chosen one or a candidate the rule's bounds rest on (the
/// fastest, a whole-PE-set one within the slack, the fastest of the pool) does not compile,
/// it is dropped and the rule runs again. Once all of them compile, the choice is the one made
/// over the compiled candidates alone: the bounds are met by compiled candidates, so they are
/// the same over that subset, and the chosen one is the least there too (ties go to the first
/// in the same order). CONV2 has 2,764 candidates; compiling each took most of the choice.
///
/// Only the chosen program is kept: a large layer's programs all at once take gigabytes
/// (`run alexnet --rtl` ran out of 24 GB on CONV2's 1,293 when they were kept).
pub fn best_compiled(hw: &EyerissConfig, layer: &LayerShape, data: &DataStats) -> Option<(Evaluated, Program)> {
    let mh = hardware(hw);
    let (rows, cols) = (mh.rows, mh.cols);
    let bufs = buffers(hw);
    choose_compiled(candidates(hw, layer, data), |ev| compile(layer, &ev.mapping, rows, cols, &bufs).ok())
}

/// The mapper's candidates for `layer` on `hw` that pass the compiler's quick checks
/// ([`supported`]), evaluated with `data` (not compiled).
pub fn candidates(hw: &EyerissConfig, layer: &LayerShape, data: &DataStats) -> Vec<Evaluated> {
    let mh = hardware(hw);
    array_mappings(layer, &mh)
        .into_par_iter()
        .filter(|m| supported(layer, m, mh.rows, mh.cols).is_ok())
        .filter_map(|m| evaluate(layer, &mh, m, data))
        .collect()
}

/// [`choose`] over the candidates that `compile` compiles, compiling only those the choice
/// rests on ([`best_compiled`]): the chosen candidate and its program.
pub fn choose_compiled<P>(mut cands: Vec<Evaluated>, compile: impl Fn(&Evaluated) -> Option<P>) -> Option<(Evaluated, P)> {
    // Candidates known to compile (with the program) or not.
    let mut compiled: BTreeMap<usize, Option<P>> = BTreeMap::new();
    'choose: loop {
        let live: Vec<usize> = (0..cands.len()).filter(|k| !matches!(compiled.get(k), Some(None))).collect();
        let (chosen, bounds) = choose_why(live.iter().map(|&k| &cands[k]))?;
        for k in bounds.into_iter().chain([chosen]).map(|i| live[i]) {
            if compiled.entry(k).or_insert_with(|| compile(&cands[k])).is_none() {
                continue 'choose;
            }
        }
        let k = live[chosen];
        let program = compiled.remove(&k).flatten()?;
        return Some((cands.swap_remove(k), program));
    }
}

/// The mapper's rule ([`super::mapper::search`]) over `cands`: whole PE sets (one E step) when
/// one is within [`SPEED_SLACK`] of the fastest; then the least energy within that slack of
/// the fastest of those, fewer cycles and passes between equals. The index chosen.
pub fn choose<'a>(cands: impl Iterator<Item = &'a Evaluated>) -> Option<usize> {
    choose_why(cands).map(|(k, _)| k)
}

/// [`choose`], with the candidates its bounds rest on: the fastest, the first whole PE set
/// within the slack of it (when there is one), the fastest of the pool.
pub fn choose_why<'a>(cands: impl Iterator<Item = &'a Evaluated>) -> Option<(usize, Vec<usize>)> {
    let all: Vec<&Evaluated> = cands.collect();
    let slack = |c: u64| (c as f64 * (1.0 + SPEED_SLACK)).floor() as u64;
    let fastest = (0..all.len()).min_by_key(|&k| all[k].counts.cycles.compute)?;
    let limit = slack(all[fastest].counts.cycles.compute);
    let whole = (0..all.len()).find(|&k| all[k].mapping.e_steps == 1 && all[k].counts.cycles.compute <= limit);
    let pool: Vec<usize> = (0..all.len()).filter(|&k| whole.is_none() || all[k].mapping.e_steps == 1).collect();
    let pool_fastest = pool.iter().copied().min_by_key(|&k| all[k].counts.cycles.compute)?;
    let limit = slack(all[pool_fastest].counts.cycles.compute);
    let chosen = pool.into_iter().filter(|&k| all[k].counts.cycles.compute <= limit).min_by(|&a, &b| {
        let key = |e: &Evaluated| (e.energy.total, e.counts.cycles.compute, e.counts.passes);
        let (ka, kb) = (key(all[a]), key(all[b]));
        ka.0.total_cmp(&kb.0).then(ka.1.cmp(&kb.1)).then(ka.2.cmp(&kb.2))
    })?;
    Some((chosen, [Some(fastest), whole, Some(pool_fastest)].into_iter().flatten().collect()))
}

/// Why no mapping of `layer` compiles for `hw`: the mappings refused per limit ([`census`]).
pub fn refusal(hw: &EyerissConfig, layer: &LayerShape, data: &DataStats) -> String {
    let c = census(hw, layer, data);
    format!(
        "no mapping of the layer that fits the {} x {} array and its buffers is supported by the layer compiler; of {} mapping(s) with a buffer plan, refused: {}",
        hw.array.rows,
        hw.array.cols,
        c.evaluated,
        if c.first.is_empty() { "none (no mapping has a buffer plan)".to_string() } else { c.reasons() }
    )
}

/// Why [`run_rtl`] did not give a checked run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RtlError {
    /// No mapping of the layer compiles for the unit ([`refusal`]'s reasons): nothing ran.
    #[error("{0}")]
    Unsupported(String),
    /// The run failed or differs from the golden layer, the machine or the mapper.
    #[error("{0}")]
    Failed(String),
}

/// A layer on the unit the way a user runs it (`edgertl run conv --rtl`, `run alexnet --rtl`):
/// the best mapping the compiler supports, `timing` DRAM, checked against the golden layer and
/// the machine.
pub fn run_rtl<D: Dut>(d: &mut EyerissDriver<D>, layer: &LayerShape, ifmap: &[i16], weights: &[i16], timing: DramTiming) -> Result<CheckedRun, RtlError> {
    let t = Instant::now();
    d.step(Step::Mapping);
    let data = DataStats { zero_macs: golden::zero_macs(layer, ifmap), ..DataStats::dense() };
    let hw = d.hw.clone();
    let chosen = best_compiled(&hw, layer, &data).ok_or_else(|| RtlError::Unsupported(refusal(&hw, layer, &data)))?;
    let mapping_s = t.elapsed().as_secs_f64();
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let mut c = run_checked(d, layer, ifmap, weights, chosen, timing, &mut rng).map_err(RtlError::Failed)?;
    c.times.mapping_s = mapping_s;
    Ok(c)
}

/// [`run_checked`] on random data under a random supported mapping and random DRAM timing, or
/// `Ok(None)` when no mapping fits.
pub fn check_layer<D: Dut>(d: &mut EyerissDriver<D>, layer: &LayerShape, rng: &mut impl Rng) -> Result<Option<CheckedRun>, String> {
    let (ifmap, weights) = random_data(layer, rng);
    let data = DataStats { zero_macs: golden::zero_macs(layer, &ifmap), ..DataStats::dense() };
    let mut progs = compiled_mappings(&d.hw, layer, &data);
    if progs.is_empty() {
        return Ok(None);
    }
    let chosen = progs.swap_remove(rng.gen_range(0..progs.len()));
    let timing = DramTiming::random(rng);
    run_checked(d, layer, &ifmap, &weights, chosen, timing, rng).map(Some)
}
