//! Drives the FSMI unit ([`Dut`]: Verilated, rust-hdl's simulator, its netlist, or a
//! [`crate::harness::Lockstep`] of them): loads a map, the tables and the beams of a
//! [`FixedModel`] through the load port, runs poses and reads their results, with random idle
//! on the load and pose ports and random back-pressure on the result. [`check_pose`] holds a
//! result to the golden models: the MI bit for bit against [`FixedModel::pose_mi`], the steps,
//! stalls and conflicts against [`banks::pose_conflicts`], the cycles against
//! [`expected_cycles`].

use super::banks::{self, Assignment, BankConfig, Banking, ConflictStats};
use super::fixed::FixedModel;
use super::map::{OccMap, UNKNOWN};
use super::mi::FsmiConfig;
use crate::harness::{Dut, Handshake, Pins, Stimulus};
use crate::verilated::fsmi::{inp, out, INPUTS, OUTPUTS};
use edgertl_hdl::fsmi::FsmiHwConfig;
use rand::Rng;

/// The load port's word kinds (see `edgertl_hdl::fsmi`).
const LD_MAP: u64 = 0;
const LD_TABLE: u64 = 1;
const LD_BEAM_X: u64 = 2;
const LD_BEAM_Y: u64 = 3;
const LD_GEOMETRY: u64 = 4;
const LD_PARAMS: u64 = 5;

/// One pose's result as the unit gives it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoseResult {
    /// MI, U.32 nats.
    pub mi: u64,
    pub cycles: u64,
    pub steps: u64,
    pub stalls: u64,
    pub conflicts: u64,
    /// The pose was outside the map.
    pub error: bool,
}

/// Handshake profiles of the load, pose and result streams.
#[derive(Clone, Copy, Debug)]
pub struct Traffic {
    pub load: Handshake,
    pub pose: Handshake,
    pub result: Handshake,
}

impl Traffic {
    pub const FULL_SPEED: Traffic = Traffic { load: Handshake::NONE, pose: Handshake::NONE, result: Handshake::NONE };

    pub fn random(rng: &mut impl Rng) -> Self {
        Self { load: Handshake::random(rng), pose: Handshake::random(rng), result: Handshake::random(rng) }
    }
}

/// The skew register's value for a banking on a `width`-column map: the diagonal's skew, or
/// W mod banks for row-major (the same bank function). Row blocks are not a pattern the unit has.
pub fn skew_of(banking: Banking, banks: usize, width: usize) -> Result<usize, String> {
    match banking {
        Banking::Diagonal { skew } => Ok(skew % banks),
        Banking::RowMajor => Ok(width % banks),
        Banking::RowBlocks => Err("the unit banks by (col + skew row) mod banks: row blocks are the model's only".into()),
    }
}

/// The bank model of the unit's arbitration for a hardware configuration and banking.
pub fn bank_config(hw: &FsmiHwConfig, banking: Banking) -> BankConfig {
    BankConfig { cores: hw.cores as usize, banks: hw.banks as usize, banking, assignment: Assignment::Contiguous }
}

/// The stages from a grant to the accumulator (`edgertl_hdl::fsmi`): the bank's address and
/// output registers, then each core's 9-stage MI pipeline; a cell read in a round's last step
/// leaves the pipeline this many cycles after the round's end.
pub const PIPELINE_STAGES: u64 = 11;

/// The cycles a pose in the map takes, from the bank model's steps and stalls: the first beam
/// read, 3 a round (start, the traversal's first step, the end), the steps and stalls, the
/// MI pipeline's drain after the last round and C cycles of sum. The drain: the
/// [`PIPELINE_STAGES`]-stage pipeline empties that many cycles after the round's end when the
/// last round read a cell, 3 fewer for each round since (each takes 3 cycles), and at least
/// 1 cycle; `rounds_since_read` is the number of rounds after the last one that read a cell
/// (`None`: no round read one).
pub fn expected_cycles(hw: &FsmiHwConfig, beams: usize, st: &ConflictStats, rounds_since_read: Option<usize>) -> u64 {
    let rounds = beams.div_ceil(hw.cores as usize) as u64;
    let drain = match rounds_since_read {
        Some(k) => PIPELINE_STAGES.saturating_sub(3 * k as u64).max(1),
        None => 1,
    };
    1 + 3 * rounds + st.steps + st.stalls + drain + hw.cores as u64
}

/// The rounds of pose (row, col) after the last one that reads a cell (`None`: none reads).
pub fn rounds_since_read(model: &FixedModel, cores: usize, height: usize, width: usize, row: usize, col: usize) -> Option<usize> {
    let beams = model.config().beams;
    let rounds = beams.div_ceil(cores);
    (0..rounds).rev().find(|&r| (r * cores..((r + 1) * cores).min(beams)).any(|b| !model.cells(height, width, row, col, b).is_empty())).map(|r| rounds - 1 - r)
}

/// Compares a result with the golden models; the error says what differs.
pub fn check_pose(hw: &FsmiHwConfig, model: &FixedModel, banking: Banking, map: &OccMap, row: usize, col: usize, got: &PoseResult) -> Result<(), String> {
    let (h, w) = (map.height(), map.width());
    if row >= h || col >= w {
        let want = PoseResult { error: true, cycles: 0, ..PoseResult::default() };
        return if *got == want { Ok(()) } else { Err(format!("pose ({row}, {col}) is outside the {h} x {w} map: got {got:?}")) };
    }
    let mi = model.pose_mi(map, row, col).map_err(|e| e.to_string())?;
    let st = banks::pose_conflicts(model, &bank_config(hw, banking), h, w, row, col);
    let cycles = expected_cycles(hw, model.config().beams, &st, rounds_since_read(model, hw.cores as usize, h, w, row, col));
    let want = PoseResult { mi, cycles, steps: st.steps, stalls: st.stalls, conflicts: st.conflicted_steps, error: false };
    if *got == want {
        Ok(())
    } else {
        Err(format!("pose ({row}, {col}) of a {h} x {w} map, {banking:?}: the unit gives {got:?}, the models {want:?}"))
    }
}

/// Cycles a pose may take before the driver gives up: the unit is stuck.
fn pose_budget(hw: &FsmiHwConfig, beams: usize, range: f64) -> u64 {
    let rounds = beams.div_ceil(hw.cores as usize) as u64;
    100 + hw.cores as u64 + rounds * (8 + 4 * (range as u64 + 2) * hw.cores as u64)
}

/// The FSMI unit under test.
pub struct FsmiDriver<D: Dut> {
    /// The unit's pins: its [`Dut`], cycles run, reset.
    pub pins: Pins<D>,
    hw: FsmiHwConfig,
    beams: usize,
    range: f64,
}

impl<D: Dut> FsmiDriver<D> {
    /// Takes a unit of hardware configuration `hw` and resets it.
    pub fn new(dut: D, hw: &FsmiHwConfig) -> Self {
        let mut pins = Pins::new(dut, INPUTS, OUTPUTS);
        pins.reset();
        Self { pins, hw: hw.clone(), beams: 0, range: 0.0 }
    }

    pub fn hw(&self) -> &FsmiHwConfig {
        &self.hw
    }

    /// Whether the unit can take this map size and configuration; the error says why not.
    pub fn fits(&self, height: usize, width: usize, cfg: &FsmiConfig) -> Result<(), String> {
        let side = self.hw.max_side() as usize;
        if height > side || width > side {
            return Err(format!("a {height} x {width} map is larger than the unit's {side} x {side}"));
        }
        if cfg.beams > self.hw.max_beams() as usize {
            return Err(format!("{} beams are more than the unit's {}", cfg.beams, self.hw.max_beams()));
        }
        Ok(())
    }

    /// One word through the load port.
    fn load_word(&mut self, kind: u64, addr: u64, data: u64, traffic: &Traffic, rng: &mut impl Rng) -> Result<(), String> {
        let limit = self.pins.cycles() + 10_000;
        loop {
            let offer = traffic.load.offer(rng);
            let moves = offer && self.pins.get(out::LD_READY) == 1;
            let i = self.pins.inputs_mut();
            i[inp::LD_VALID] = offer as u64;
            i[inp::LD_KIND] = kind;
            i[inp::LD_ADDR] = addr;
            i[inp::LD_DATA] = data;
            self.pins.tick();
            if moves {
                self.pins.set(inp::LD_VALID, 0);
                return Ok(());
            }
            if self.pins.cycles() > limit {
                return Err("the load port is not ready".into());
            }
        }
    }

    /// Loads the model's tables and beams, its range and the skew of `banking` for a
    /// `height` x `width` map.
    pub fn configure(&mut self, model: &FixedModel, banking: Banking, height: usize, width: usize, traffic: &Traffic, rng: &mut impl Rng) -> Result<(), String> {
        let cfg = model.config();
        self.fits(height, width, cfg)?;
        let skew = skew_of(banking, self.hw.banks as usize, width)?;
        let (occ, fo, fe) = model.tables();
        for q in 0..256 {
            let word = occ[q] as u64 | (fo[q] as u64) << 16 | (fe[q] as u64) << 32;
            self.load_word(LD_TABLE, q as u64, word, traffic, rng)?;
        }
        for (b, beam) in model.beams().iter().enumerate() {
            self.load_word(LD_BEAM_X, b as u64, beam.delta_x as u64 | ((beam.step_x < 0) as u64) << 32, traffic, rng)?;
            self.load_word(LD_BEAM_Y, b as u64, beam.delta_y as u64 | ((beam.step_y < 0) as u64) << 32, traffic, rng)?;
        }
        let geometry = model.range_fixed() as u64 | (height as u64) << 32 | (width as u64) << 48;
        self.load_word(LD_GEOMETRY, 0, geometry, traffic, rng)?;
        let params = cfg.beams as u64 | (skew as u64) << 16 | (model.product_shift() as u64) << 24;
        self.load_word(LD_PARAMS, 0, params, traffic, rng)?;
        self.beams = cfg.beams;
        self.range = cfg.range;
        Ok(())
    }

    /// Loads a map's cells (raster order), after [`configure`](Self::configure): the skew it
    /// loads decides each cell's bank, so a new banking needs the map loaded again.
    pub fn load_map(&mut self, map: &OccMap, traffic: &Traffic, rng: &mut impl Rng) -> Result<(), String> {
        let side = self.hw.max_side() as usize;
        if map.height() > side || map.width() > side {
            return Err(format!("a {} x {} map is larger than the unit's {side} x {side}", map.height(), map.width()));
        }
        if self.beams == 0 {
            return Err("configure the unit before loading a map: the skew decides each cell's bank".into());
        }
        for r in 0..map.height() {
            for c in 0..map.width() {
                self.load_word(LD_MAP, (r as u64) << 8 | c as u64, map.code(r, c) as u64, traffic, rng)?;
            }
        }
        Ok(())
    }

    /// Reads the result on the port (`res_valid` is high) and takes it (one edge with
    /// `res_ready`).
    fn take_result(&mut self) -> PoseResult {
        let o = self.pins.outputs();
        let r = PoseResult {
            mi: o[out::RES_MI],
            cycles: o[out::RES_CYCLES],
            steps: o[out::RES_STEPS],
            stalls: o[out::RES_STALLS],
            conflicts: o[out::RES_CONFLICTS],
            error: o[out::RES_ERROR] == 1,
        };
        self.pins.set(inp::RES_READY, 1);
        self.pins.tick();
        self.pins.set(inp::RES_READY, 0);
        r
    }

    /// Runs one pose (row, col < 256) and returns its result.
    pub fn pose(&mut self, row: usize, col: usize, traffic: &Traffic, rng: &mut impl Rng) -> Result<PoseResult, String> {
        if row > 255 || col > 255 {
            return Err(format!("pose ({row}, {col}) does not fit the pose port (8 bits)"));
        }
        let limit = self.pins.cycles() + pose_budget(&self.hw, self.beams.max(1), self.range);
        let mut sent = false;
        loop {
            let o = self.pins.outputs();
            let take = traffic.result.accept(rng);
            if sent && take && o[out::RES_VALID] == 1 {
                return Ok(self.take_result());
            }
            let offer = !sent && traffic.pose.offer(rng);
            let moves = offer && o[out::POSE_READY] == 1;
            let i = self.pins.inputs_mut();
            i[inp::POSE_VALID] = offer as u64;
            i[inp::POSE_ROW] = row as u64;
            i[inp::POSE_COL] = col as u64;
            i[inp::RES_READY] = 0;
            self.pins.tick();
            if moves {
                sent = true;
                self.pins.set(inp::POSE_VALID, 0);
            }
            if self.pins.cycles() > limit {
                return Err(format!("pose ({row}, {col}) did not finish (sent: {sent})"));
            }
        }
    }
}

/// A random map of `height` x `width` for the tests: an office, or uniform noise, or
/// unknown with a few walls.
pub fn random_map(height: usize, width: usize, rng: &mut impl Rng) -> OccMap {
    match rng.gen_range(0..3) {
        0 => OccMap::office(height.max(8), width.max(8), rng.gen_range(0.0..1.0), rng.gen()),
        1 => OccMap::from_codes(height, width, (0..height * width).map(|_| rng.gen_range(1..=254)).collect()).expect("a map"),
        _ => OccMap::from_codes(height, width, (0..height * width).map(|_| if rng.gen_bool(0.1) { 240 } else { UNKNOWN }).collect()).expect("a map"),
    }
}

/// Random poses of a map: its corners and edges, cells inside, now and then one outside.
pub fn random_poses(height: usize, width: usize, n: usize, rng: &mut impl Rng) -> Vec<(usize, usize)> {
    let mut v = vec![(0, 0), (height - 1, width - 1), (0, width - 1), (height - 1, 0)];
    while v.len() < n {
        v.push(match rng.gen_range(0..6) {
            0 => (0, rng.gen_range(0..width)),
            1 => (rng.gen_range(0..height), width - 1),
            2 => (height + rng.gen_range(0..3), rng.gen_range(0..width)),
            _ => (rng.gen_range(0..height), rng.gen_range(0..width)),
        });
    }
    v.truncate(n);
    v
}

/// A random configuration the `hw` unit takes on a map of `side` cells: axis and diagonal
/// beams (B a multiple of 4 or 8), ranges up to the map and beyond.
pub fn random_config(hw: &FsmiHwConfig, side: usize, rng: &mut impl Rng) -> FsmiConfig {
    let max = hw.max_beams() as usize;
    let beams = [1, 2, 4, 8, 6, hw.cores as usize * 2 + 1, 16, max.min(60), max][rng.gen_range(0..9)].min(max);
    let range = [0.4, 1.0, 3.7, side as f64 / 2.0, side as f64 * 1.5][rng.gen_range(0..5)];
    let (d_occ, d_emp) = if rng.gen_bool(0.7) { (1.5, 1.0 / 1.5) } else { (rng.gen_range(1.1..4.0), rng.gen_range(0.2..0.95)) };
    FsmiConfig { beams, range, d_occ, d_emp }
}

/// Random maps, configurations, bankings and poses through a unit of `preset`, every result
/// checked against the golden models: the test stimulus `edgertl cover` runs. Returns the
/// cycles run.
pub fn stimulus(dut: &mut dyn Dut, preset: &str, stim: &mut Stimulus) -> Result<u64, String> {
    let hw = FsmiHwConfig::preset(preset).map_err(|e| e.to_string())?;
    let mut d = FsmiDriver::new(dut, &hw);
    let side = (hw.max_side() as usize).min(24);
    for scenario in 0..12 {
        let rng = &mut stim.rng;
        let (h, w) = (rng.gen_range(1..=side), rng.gen_range(1..=side));
        let map = random_map(h, w, rng);
        let (h, w) = (map.height().min(side), map.width().min(side));
        let map = OccMap::from_codes(h, w, (0..h * w).map(|i| map.code(i / w, i % w)).collect()).map_err(|e| e.to_string())?;
        let cfg = random_config(&hw, side, rng);
        let model = FixedModel::new(&cfg).map_err(|e| e.to_string())?;
        let banking = if rng.gen_bool(0.5) { Banking::Diagonal { skew: hw.skew as usize } } else { Banking::RowMajor };
        let traffic = if scenario % 3 == 0 { Traffic::FULL_SPEED } else { Traffic::random(rng) };
        if scenario == 5 {
            // A reset clears the registers (configuration included), not the memories.
            d.pins.reset();
        }
        d.configure(&model, banking, h, w, &traffic, rng)?;
        d.load_map(&map, &traffic, rng)?;
        for (r, c) in random_poses(h, w, 6, rng) {
            let got = d.pose(r, c, &traffic, rng)?;
            check_pose(&hw, &model, banking, &map, r, c, &got).map_err(|e| format!("seed {}: {e}", stim.seed))?;
        }
    }
    Ok(d.pins.cycles())
}

impl<D: Dut> FsmiDriver<D> {
    /// [`pose`](Self::pose) at full speed, the wait in batches of `batch` cycles (one FFI call
    /// each): the unit holds its result until taken, so the cycles past it change nothing but
    /// the wall time. For long runs (`edgertl run mi --rtl`).
    pub fn pose_batched(&mut self, row: usize, col: usize, batch: u64) -> Result<PoseResult, String> {
        if row > 255 || col > 255 {
            return Err(format!("pose ({row}, {col}) does not fit the pose port (8 bits)"));
        }
        let limit = self.pins.cycles() + pose_budget(&self.hw, self.beams.max(1), self.range) + batch;
        while self.pins.get(out::POSE_READY) == 0 {
            self.pins.tick();
            if self.pins.cycles() > limit {
                return Err("the unit does not take a pose".into());
            }
        }
        let i = self.pins.inputs_mut();
        i[inp::POSE_VALID] = 1;
        i[inp::POSE_ROW] = row as u64;
        i[inp::POSE_COL] = col as u64;
        i[inp::RES_READY] = 0;
        self.pins.tick();
        self.pins.set(inp::POSE_VALID, 0);
        while self.pins.get(out::RES_VALID) == 0 {
            self.pins.hold(batch);
            if self.pins.cycles() > limit {
                return Err(format!("pose ({row}, {col}) did not finish"));
            }
        }
        Ok(self.take_result())
    }
}

/// The totals of a surface run on the unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SurfaceTotals {
    /// The unit's cycles, summed over the poses (`res_cycles`).
    pub cycles: u64,
    pub steps: u64,
    pub stalls: u64,
    pub conflicts: u64,
    /// Cycles simulated, loads and waits included.
    pub simulated: u64,
}

/// The MI surface of `map` (U.32 nats, raster order) on the Verilated `paper` preset (16
/// cores, maps up to 256 x 256): [`rtl_poses`] over every cell.
pub fn rtl_surface(map: &OccMap, model: &FixedModel, banking: Banking, threads: usize, progress: &(dyn Fn(usize) + Sync)) -> Result<(Vec<u64>, SurfaceTotals), String> {
    let w = map.width();
    let poses: Vec<(usize, usize)> = (0..map.height() * w).map(|i| (i / w, i % w)).collect();
    rtl_poses(map, model, banking, threads, &poses, progress)
}

/// The MI of each of `poses` (U.32 nats, in their order) on the Verilated `paper` preset,
/// `threads` models side by side, each loaded with the map and given a share of the poses;
/// `progress(poses done)` every 64 poses. A pose outside the map is an error before any work.
pub fn rtl_poses(map: &OccMap, model: &FixedModel, banking: Banking, threads: usize, poses: &[(usize, usize)], progress: &(dyn Fn(usize) + Sync)) -> Result<(Vec<u64>, SurfaceTotals), String> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let hw = FsmiHwConfig::paper();
    let (h, w) = (map.height(), map.width());
    for &(r, c) in poses {
        map.check_pose(r, c).map_err(|e| e.to_string())?;
    }
    let n = poses.len();
    if n == 0 {
        return Ok((Vec::new(), SurfaceTotals::default()));
    }
    let threads = threads.clamp(1, 16).min(n);
    let done = AtomicUsize::new(0);
    let chunk = n.div_ceil(threads);
    let parts: Vec<Result<(Vec<u64>, SurfaceTotals), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = poses
            .chunks(chunk)
            .map(|share| {
                let (done, hw) = (&done, &hw);
                s.spawn(move || -> Result<(Vec<u64>, SurfaceTotals), String> {
                    let mut d = FsmiDriver::new(crate::verilated::fsmi::Model::new(), hw);
                    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
                    d.configure(model, banking, h, w, &Traffic::FULL_SPEED, &mut rng)?;
                    d.load_map(map, &Traffic::FULL_SPEED, &mut rng)?;
                    let mut out = Vec::with_capacity(share.len());
                    let mut tot = SurfaceTotals::default();
                    for (i, &(r, c)) in share.iter().enumerate() {
                        let got = d.pose_batched(r, c, 16)?;
                        out.push(got.mi);
                        tot.cycles += got.cycles;
                        tot.steps += got.steps;
                        tot.stalls += got.stalls;
                        tot.conflicts += got.conflicts;
                        if i % 64 == 63 {
                            progress(done.fetch_add(64, Ordering::Relaxed) + 64);
                        }
                    }
                    tot.simulated = d.pins.cycles();
                    Ok((out, tot))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a simulation thread panicked".into()))).collect()
    });
    let mut mis = Vec::with_capacity(n);
    let mut tot = SurfaceTotals::default();
    for p in parts {
        let (v, t) = p?;
        mis.extend(v);
        tot.cycles += t.cycles;
        tot.steps += t.steps;
        tot.stalls += t.stalls;
        tot.conflicts += t.conflicts;
        tot.simulated += t.simulated;
    }
    Ok((mis, tot))
}
