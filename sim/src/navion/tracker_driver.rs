//! Drives the `navion_tracker` unit (any [`Dut`]: Verilated, rust-hdl's simulator, the
//! coverage model): loads two frames' levels into its frame memory, feeds points with random
//! idle, takes the results under random back-pressure, and checks them against the golden
//! model [`super::tracker::track`] bit for bit.

use super::tracker::{self, Loss, Track, TrackerConfig};
use super::Frame;
use crate::harness::{Dut, Handshake, Pins, Stimulus};
use crate::verilated::navion_tracker::{inp, out, INPUTS, OUTPUTS};
use edgertl_hdl::navion::tracker::TrackerHwConfig;
use rand::Rng;

/// Handshake profiles of the point source and the result sink (and the load's idle).
#[derive(Clone, Copy, Debug)]
pub struct Traffic {
    pub points: Handshake,
    pub results: Handshake,
}

impl Traffic {
    pub const FULL_SPEED: Traffic = Traffic { points: Handshake::NONE, results: Handshake::NONE };

    pub fn random(rng: &mut impl Rng) -> Self {
        Self { points: Handshake::random(rng), results: Handshake::random(rng) }
    }
}

/// What the unit gave for a list of points.
#[derive(Clone, Debug)]
pub struct HwTracks {
    pub tracks: Vec<Track>,
    /// Cycles from the first point offered to the last result taken.
    pub cycles: u64,
    /// Cycles the unit worked on points (result not yet out), summed: the unit's own time.
    pub busy: u64,
}

/// The tracker under test, with the frames it holds.
pub struct TrackerDriver<D: Dut> {
    pub pins: Pins<D>,
    pub hw: TrackerHwConfig,
    /// The loaded frames' level-0 size and levels (the golden `levels` of A and B).
    loaded: Option<(usize, usize, u32)>,
}

/// A 24-bit two's complement port value as an `i32`.
fn signed24(v: u64) -> i32 {
    ((v as u32) << 8) as i32 >> 8
}

impl<D: Dut> TrackerDriver<D> {
    pub fn new(dut: D, hw: TrackerHwConfig) -> Self {
        let mut pins = Pins::new(dut, INPUTS, OUTPUTS);
        pins.reset();
        Self { pins, hw, loaded: None }
    }

    /// Loads frames A and B (their levels as `cfg` makes them: pyramid and smoothing) into
    /// the frame memory, a beat of 8 pixels at a time, with random idle.
    pub fn load(&mut self, cfg: &TrackerConfig, a: &Frame, b: &Frame, idle: Handshake, rng: &mut impl Rng) -> Result<(), String> {
        cfg.validate().map_err(|e| e.to_string())?;
        if (a.width(), a.height()) != (b.width(), b.height()) {
            return Err(format!("the frames differ in size: {} x {} and {} x {}", a.width(), a.height(), b.width(), b.height()));
        }
        self.hw.check(a.width(), a.height(), cfg.window, cfg.levels).map_err(|e| e.to_string())?;
        let beats = self.hw.max_width as usize / 8;
        let b_row = self.hw.frame_b_row();
        let limit = self.pins.cycles() + 1000 + 40 * (beats * 2 * b_row) as u64;
        for (f, frame) in [a, b].into_iter().enumerate() {
            let mut base = f * b_row;
            for level in tracker::levels(frame, cfg) {
                for y in 0..level.height() {
                    for beat in 0..beats {
                        let mut word = 0u64;
                        for i in 0..8 {
                            let x = beat * 8 + i;
                            if x < level.width() {
                                word |= u64::from(level.at(x, y)) << (8 * i);
                            }
                        }
                        loop {
                            let offer = idle.offer(rng);
                            let ready = self.pins.get(out::LD_READY) == 1;
                            let i = self.pins.inputs_mut();
                            i[inp::LD_VALID] = offer as u64;
                            i[inp::LD_ADDR] = (base + y) as u64;
                            i[inp::LD_DATA] = word;
                            i[inp::LD_LAST] = (beat + 1 == beats) as u64;
                            self.pins.tick();
                            if offer && ready {
                                break;
                            }
                            if self.pins.cycles() > limit {
                                return Err("the tracker did not take the frame load".into());
                            }
                        }
                    }
                }
                base += level.height();
            }
        }
        self.pins.set(inp::LD_VALID, 0);
        self.loaded = Some((a.width(), a.height(), cfg.levels));
        Ok(())
    }

    /// Tracks `points` (level-0 pixels, 1/256) on the loaded frames with `cfg` (its window
    /// and levels those the frames were loaded for).
    pub fn track(&mut self, cfg: &TrackerConfig, points: &[(i32, i32)], traffic: Traffic, rng: &mut impl Rng) -> Result<HwTracks, String> {
        cfg.validate().map_err(|e| e.to_string())?;
        let (w, h, levels) = self.loaded.ok_or("no frames loaded")?;
        if levels != cfg.levels {
            return Err(format!("the frames were loaded for {levels} levels, not {}", cfg.levels));
        }
        if let Some(p) = points.iter().find(|p| !(-(1 << 23)..1 << 23).contains(&p.0) || !(-(1 << 23)..1 << 23).contains(&p.1)) {
            return Err(format!("the point {p:?} is outside the 24-bit position range"));
        }
        {
            let i = self.pins.inputs_mut();
            i[inp::WIDTH] = w as u64;
            i[inp::HEIGHT] = h as u64;
            i[inp::LEVELS] = u64::from(cfg.levels);
            i[inp::ITERATIONS] = u64::from(cfg.iterations);
            i[inp::EPSILON] = u64::from(cfg.epsilon);
            i[inp::T_MIN] = u64::from(cfg.min_eigen) * u64::from(cfg.window * cfg.window);
        }
        let start = self.pins.cycles();
        let per_point = 200 + u64::from(cfg.levels) * (u64::from(cfg.iterations) + 1) * 200;
        let limit = start + 100 + per_point * points.len() as u64 * 4;
        let mut hw = HwTracks { tracks: Vec::with_capacity(points.len()), cycles: 0, busy: 0 };
        let (mut sent, mut in_unit) = (0usize, false);
        while hw.tracks.len() < points.len() {
            let o = self.pins.outputs();
            let take = traffic.results.accept(rng);
            if take && o[out::OUT_VALID] == 1 {
                let k = hw.tracks.len();
                let lost = match o[out::OUT_STATUS] {
                    0 => None,
                    1 => Some(Loss::Weak),
                    2 => Some(Loss::Left),
                    s => return Err(format!("point {k}: status {s}")),
                };
                hw.tracks.push(Track {
                    x0: points[k].0,
                    y0: points[k].1,
                    x1: signed24(o[out::OUT_X]),
                    y1: signed24(o[out::OUT_Y]),
                    lost,
                    iterations: o[out::OUT_ITERS] as u32,
                });
                in_unit = false;
            }
            let offer = sent < points.len() && traffic.points.offer(rng);
            let moves = offer && o[out::IN_READY] == 1;
            hw.busy += u64::from(in_unit && o[out::OUT_VALID] == 0);
            let i = self.pins.inputs_mut();
            i[inp::IN_VALID] = offer as u64;
            i[inp::IN_X] = if offer { points[sent].0 as u64 & 0xFF_FFFF } else { 0 };
            i[inp::IN_Y] = if offer { points[sent].1 as u64 & 0xFF_FFFF } else { 0 };
            i[inp::OUT_READY] = take as u64;
            self.pins.tick();
            if moves {
                sent += 1;
                in_unit = true;
            }
            if self.pins.cycles() > limit {
                return Err(format!("the tracker stopped: {sent} points taken, {} results out", hw.tracks.len()));
            }
        }
        let i = self.pins.inputs_mut();
        i[inp::IN_VALID] = 0;
        i[inp::OUT_READY] = 0;
        hw.cycles = self.pins.cycles() - start;
        Ok(hw)
    }
}

/// Compares the unit's tracks with the golden model's, naming the first difference.
pub fn compare(cfg: &TrackerConfig, a: &Frame, b: &Frame, points: &[(i32, i32)], hw: &[Track]) -> Result<(), String> {
    let want = tracker::track(cfg, a, b, points).map_err(|e| e.to_string())?;
    if want.len() != hw.len() {
        return Err(format!("{} tracks from the RTL, {} from the model", hw.len(), want.len()));
    }
    for (k, (h, w)) in hw.iter().zip(&want).enumerate() {
        if h != w {
            return Err(format!("point {k}: RTL {h:?}, model {w:?}"));
        }
    }
    Ok(())
}

/// A textured test frame moved by (dx, dy) pixels (sums of sines: exact sub-pixel motion),
/// with a flat patch (weak points) and noise.
pub fn test_pair(w: usize, h: usize, dx: f64, dy: f64, rng: &mut impl Rng) -> (Frame, Frame) {
    let tex = |u: f64, v: f64| {
        let s = (u * 0.31).sin() + (v * 0.23).sin() + (u * 0.11 + v * 0.17).sin() + ((u - v) * 0.07).cos() + (u * 0.9).sin() * (v * 0.7).cos();
        128.0 + 24.0 * s
    };
    let flat = |x: usize, y: usize| x < w / 4 && y > 3 * h / 4;
    let mut noise = || rng.gen_range(-3.0..3.0);
    let mut make = |sx: f64, sy: f64| {
        let px: Vec<u8> = (0..w * h)
            .map(|k| {
                let (x, y) = (k % w, k / w);
                if flat(x, y) {
                    90
                } else {
                    (tex(x as f64 - sx, y as f64 - sy) + noise()).round().clamp(0.0, 255.0) as u8
                }
            })
            .collect();
        Frame::new(w, h, px).expect("sized")
    };
    let a = make(0.0, 0.0);
    let b = make(dx, dy);
    (a, b)
}

/// Random points: mostly inside, many near the borders, some on them and some outside.
pub fn random_points(w: usize, h: usize, n: usize, rng: &mut impl Rng) -> Vec<(i32, i32)> {
    let (wf, hf) = ((w as i32) << 8, (h as i32) << 8);
    (0..n)
        .map(|_| match rng.gen_range(0..10) {
            0 => (rng.gen_range(-600..wf + 600), rng.gen_range(-600..hf + 600)),
            1 | 2 => (rng.gen_range(0..4 << 8), rng.gen_range(0..hf - 255)),
            3 => (rng.gen_range(wf - (4 << 8)..wf - 255), rng.gen_range(0..hf - 255)),
            4 => (rng.gen_range(0..wf - 255), rng.gen_range(hf - (4 << 8)..hf - 255)),
            5 => ((w as i32 - 1) << 8, rng.gen_range(0..hf - 255)),
            _ => (rng.gen_range(0..wf - 255), rng.gen_range(0..hf - 255)),
        })
        .collect()
}

/// The tracker's random test stimulus on any model of a preset (the registry's `stimulus`,
/// what `edgertl cover` runs): frame pairs of known motion, random points (borders too),
/// random traffic, configurations of 1 and 2 levels, every result checked.
pub fn stimulus(dut: &mut dyn Dut, preset: &str, stim: &mut Stimulus) -> Result<u64, String> {
    let hw = TrackerHwConfig::preset(preset).map_err(|e| e.to_string())?;
    let mut drv = TrackerDriver::new(dut, hw.clone());
    let cases = [(64, 48, 2.3, -1.6, 2), (40, 30, -4.4, 3.1, 1), (33, 17, 0.6, 0.2, 2)];
    for (k, &(w, h, dx, dy, levels)) in cases.iter().enumerate() {
        let (a, b) = test_pair(w, h, dx, dy, &mut stim.rng);
        let cfg = TrackerConfig { levels, epsilon: [2, 0, 16][k], min_eigen: [105, 105, 4000][k], ..TrackerConfig::small() };
        drv.load(&cfg, &a, &b, Handshake { idle: 0.3, stall: 0.0 }, &mut stim.rng)?;
        let pts = random_points(w, h, 12, &mut stim.rng);
        let traffic = if k == 0 { Traffic::FULL_SPEED } else { Traffic::random(&mut stim.rng) };
        let t = drv.track(&cfg, &pts, traffic, &mut stim.rng)?;
        compare(&cfg, &a, &b, &pts, &t.tracks).map_err(|e| format!("case {k} ({w} x {h}): {e}"))?;
    }
    Ok(drv.pins.cycles())
}
