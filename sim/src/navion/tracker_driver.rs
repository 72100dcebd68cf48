//! Drives the `navion_tracker` unit (any [`Dut`]: Verilated, rust-hdl's simulator, the
//! coverage model): loads two frames' levels into its frame memory (or, for a preset with the
//! memory port, keeps them and serves the port's requests with a [`MemoryPort`]'s latency
//! and stalls), feeds points with random idle, takes the results under random
//! back-pressure, and checks them against the golden model [`super::tracker::track`] bit for
//! bit.

use super::tracker::{self, Loss, Track, TrackerConfig};
use super::Frame;
use crate::harness::{Dut, Handshake, Pins, Ports, Stimulus};
use crate::verilated::navion_tracker::{navion as port_preset, small as chip_preset};
use edgertl_hdl::navion::tracker::TrackerHwConfig;
use rand::Rng;
use std::collections::VecDeque;

/// How the driver serves a port preset's memory port: a response `latency` cycles (1 or
/// more) after its request is taken, plus up to `jitter` random cycles (responses stay in
/// order), and the request refused with probability `stall` a cycle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MemoryPort {
    pub latency: u32,
    pub jitter: u32,
    pub stall: f64,
}

impl MemoryPort {
    /// A response the next cycle, every request taken (what the on-chip memory does).
    pub const FAST: MemoryPort = MemoryPort { latency: 1, jitter: 0, stall: 0.0 };

    pub fn random(rng: &mut impl Rng) -> Self {
        MemoryPort { latency: rng.gen_range(1..=12), jitter: rng.gen_range(0..=6), stall: rng.gen_range(0.0..0.5) }
    }
}

/// The unit's port indices (by name: the two kinds of presets have different ports).
struct Idx {
    width: usize,
    height: usize,
    levels: usize,
    iterations: usize,
    epsilon: usize,
    t_min: usize,
    in_valid: usize,
    in_x: usize,
    in_y: usize,
    out_ready: usize,
    in_ready: usize,
    out_valid: usize,
    out_x: usize,
    out_y: usize,
    out_status: usize,
    out_iters: usize,
    load: Option<LoadIdx>,
    port: Option<PortIdx>,
}

struct LoadIdx {
    valid: usize,
    addr: usize,
    data: usize,
    last: usize,
    ready: usize,
}

struct PortIdx {
    req_ready: usize,
    rsp_valid: usize,
    rsp_d: [usize; 4],
    req_valid: usize,
    req_level: usize,
    req_frame: usize,
    req_row: usize,
    req_col: usize,
    rsp_ready: usize,
}

fn at(ports: Ports, name: &str) -> usize {
    ports.iter().position(|&(n, _)| n == name).unwrap_or_else(|| panic!("the tracker has no port `{name}`"))
}

impl Idx {
    fn new(i: Ports, o: Ports, port: bool) -> Self {
        Idx {
            width: at(i, "width"),
            height: at(i, "height"),
            levels: at(i, "levels"),
            iterations: at(i, "iterations"),
            epsilon: at(i, "epsilon"),
            t_min: at(i, "t_min"),
            in_valid: at(i, "in_valid"),
            in_x: at(i, "in_x"),
            in_y: at(i, "in_y"),
            out_ready: at(i, "out_ready"),
            in_ready: at(o, "in_ready"),
            out_valid: at(o, "out_valid"),
            out_x: at(o, "out_x"),
            out_y: at(o, "out_y"),
            out_status: at(o, "out_status"),
            out_iters: at(o, "out_iters"),
            load: (!port).then(|| LoadIdx {
                valid: at(i, "ld_valid"),
                addr: at(i, "ld_addr"),
                data: at(i, "ld_data"),
                last: at(i, "ld_last"),
                ready: at(o, "ld_ready"),
            }),
            port: port.then(|| PortIdx {
                req_ready: at(i, "mem_req_ready"),
                rsp_valid: at(i, "mem_rsp_valid"),
                rsp_d: [at(i, "mem_rsp_d0"), at(i, "mem_rsp_d1"), at(i, "mem_rsp_d2"), at(i, "mem_rsp_d3")],
                req_valid: at(o, "mem_req_valid"),
                req_level: at(o, "mem_req_level"),
                req_frame: at(o, "mem_req_frame"),
                req_row: at(o, "mem_req_row"),
                req_col: at(o, "mem_req_col"),
                rsp_ready: at(o, "mem_rsp_ready"),
            }),
        }
    }
}

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
    /// Memory port requests (row segments) served (0 for an on-chip preset).
    pub requests: u64,
}

/// The tracker under test, with the frames it holds.
pub struct TrackerDriver<D: Dut> {
    pub pins: Pins<D>,
    pub hw: TrackerHwConfig,
    /// How the memory port is served (port presets).
    pub memory: MemoryPort,
    idx: Idx,
    /// The loaded frames' level-0 size and levels (the golden `levels` of A and B).
    loaded: Option<(usize, usize, u32)>,
    /// A port preset's frames: the levels of A and of B.
    held: Vec<Vec<Frame>>,
}

/// A 24-bit two's complement port value as an `i32`.
fn signed24(v: u64) -> i32 {
    ((v as u32) << 8) as i32 >> 8
}

impl<D: Dut> TrackerDriver<D> {
    pub fn new(dut: D, hw: TrackerHwConfig) -> Self {
        let (i, o) = if hw.port { (port_preset::INPUTS, port_preset::OUTPUTS) } else { (chip_preset::INPUTS, chip_preset::OUTPUTS) };
        let mut pins = Pins::new(dut, i, o);
        pins.reset();
        let idx = Idx::new(i, o, hw.port);
        Self { pins, hw, memory: MemoryPort::FAST, idx, loaded: None, held: Vec::new() }
    }

    /// Loads frames A and B (their levels as `cfg` makes them: pyramid and smoothing) into
    /// the frame memory, a beat of 8 pixels at a time, with random idle (a port preset: keeps
    /// them for the memory port, no cycles).
    pub fn load(&mut self, cfg: &TrackerConfig, a: &Frame, b: &Frame, idle: Handshake, rng: &mut impl Rng) -> Result<(), String> {
        cfg.validate().map_err(|e| e.to_string())?;
        if (a.width(), a.height()) != (b.width(), b.height()) {
            return Err(format!("the frames differ in size: {} x {} and {} x {}", a.width(), a.height(), b.width(), b.height()));
        }
        self.hw.check(a.width(), a.height(), cfg.window, cfg.levels).map_err(|e| e.to_string())?;
        let Some(ld) = &self.idx.load else {
            self.held = vec![tracker::levels(a, cfg), tracker::levels(b, cfg)];
            self.loaded = Some((a.width(), a.height(), cfg.levels));
            return Ok(());
        };
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
                            let ready = self.pins.get(ld.ready) == 1;
                            let i = self.pins.inputs_mut();
                            i[ld.valid] = offer as u64;
                            i[ld.addr] = (base + y) as u64;
                            i[ld.data] = word;
                            i[ld.last] = (beat + 1 == beats) as u64;
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
        self.pins.set(ld.valid, 0);
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
            let x = &self.idx;
            let i = self.pins.inputs_mut();
            i[x.width] = w as u64;
            i[x.height] = h as u64;
            i[x.levels] = u64::from(cfg.levels);
            i[x.iterations] = u64::from(cfg.iterations);
            i[x.epsilon] = u64::from(cfg.epsilon);
            i[x.t_min] = crate::navion::tracker::threshold(cfg) as u64;
        }
        let start = self.pins.cycles();
        let mem = self.memory;
        let per_point = (200 + u64::from(cfg.levels) * (u64::from(cfg.iterations) + 1) * 200) * (1 + u64::from(mem.latency + mem.jitter) / 8) * if mem.stall > 0.0 { 4 } else { 1 };
        let limit = start + 100 + per_point * points.len() as u64 * 4;
        let mut hw = HwTracks { tracks: Vec::with_capacity(points.len()), cycles: 0, busy: 0, requests: 0 };
        let (mut sent, mut in_unit) = (0usize, false);
        // Responses due: (the cycle from which it is offered, the segment's four words).
        let mut due: VecDeque<(u64, [u64; 4])> = VecDeque::new();
        while hw.tracks.len() < points.len() {
            let now = self.pins.cycles();
            let mut rsp_taken = false;
            if let Some(p) = &self.idx.port {
                let o = self.pins.outputs();
                let take = !rng.gen_bool(mem.stall);
                if take && o[p.req_valid] == 1 {
                    let seg = segment(&self.held, o[p.req_level], o[p.req_frame], o[p.req_row], o[p.req_col], rng)
                        .map_err(|e| format!("request {}: {e}", hw.requests))?;
                    let after = now + u64::from(mem.latency) + rng.gen_range(0..=u64::from(mem.jitter));
                    let at = due.back().map_or(after, |d| after.max(d.0 + 1));
                    due.push_back((at, seg));
                    hw.requests += 1;
                }
                let offer = due.front().filter(|d| d.0 <= now).map(|d| d.1);
                rsp_taken = offer.is_some() && o[p.rsp_ready] == 1;
                let i = self.pins.inputs_mut();
                i[p.req_ready] = take as u64;
                i[p.rsp_valid] = offer.is_some() as u64;
                for (k, &d) in p.rsp_d.iter().enumerate() {
                    i[d] = offer.map_or(0, |w| w[k]);
                }
            }
            let x = &self.idx;
            let o = self.pins.outputs();
            let take = traffic.results.accept(rng);
            if take && o[x.out_valid] == 1 {
                let k = hw.tracks.len();
                let lost = match o[x.out_status] {
                    0 => None,
                    1 => Some(Loss::Weak),
                    2 => Some(Loss::Left),
                    s => return Err(format!("point {k}: status {s}")),
                };
                hw.tracks.push(Track {
                    x0: points[k].0,
                    y0: points[k].1,
                    x1: signed24(o[x.out_x]),
                    y1: signed24(o[x.out_y]),
                    lost,
                    iterations: o[x.out_iters] as u32,
                });
                in_unit = false;
            }
            let offer = sent < points.len() && traffic.points.offer(rng);
            let moves = offer && o[x.in_ready] == 1;
            hw.busy += u64::from(in_unit && o[x.out_valid] == 0);
            let (in_valid, in_x, in_y, out_ready) = (x.in_valid, x.in_x, x.in_y, x.out_ready);
            let i = self.pins.inputs_mut();
            i[in_valid] = offer as u64;
            i[in_x] = if offer { points[sent].0 as u64 & 0xFF_FFFF } else { 0 };
            i[in_y] = if offer { points[sent].1 as u64 & 0xFF_FFFF } else { 0 };
            i[out_ready] = take as u64;
            self.pins.tick();
            if rsp_taken {
                due.pop_front();
            }
            if moves {
                sent += 1;
                in_unit = true;
            }
            if self.pins.cycles() > limit {
                return Err(format!("the tracker stopped: {sent} points taken, {} results out", hw.tracks.len()));
            }
        }
        if !due.is_empty() {
            return Err(format!("{} memory responses left over after the last result", due.len()));
        }
        let (in_valid, out_ready) = (self.idx.in_valid, self.idx.out_ready);
        let i = self.pins.inputs_mut();
        i[in_valid] = 0;
        i[out_ready] = 0;
        if let Some(p) = &self.idx.port {
            let (a, b) = (p.req_ready, p.rsp_valid);
            self.pins.set(a, 0);
            self.pins.set(b, 0);
        }
        hw.cycles = self.pins.cycles() - start;
        Ok(hw)
    }
}

/// The 32-pixel segment a memory port request asks for: row `row` of level `level` of frame
/// A (0) or B (1), columns 8 `col` ..; columns past the level's last are random bytes (the
/// unit must not use them). A request outside the levels is an error.
fn segment(held: &[Vec<Frame>], level: u64, frame: u64, row: u64, col: u64, rng: &mut impl Rng) -> Result<[u64; 4], String> {
    let lv = held.get(frame as usize).and_then(|f| f.get(level as usize)).ok_or(format!("level {level} of frame {frame} is not loaded"))?;
    let (row, c0) = (row as usize, 8 * col as usize);
    if row >= lv.height() || c0 >= lv.width() {
        return Err(format!("row {row}, column {c0} is outside level {level} ({} x {})", lv.width(), lv.height()));
    }
    let mut seg = [0u64; 4];
    for (i, w) in seg.iter_mut().enumerate() {
        for j in 0..8 {
            let x = c0 + 8 * i + j;
            let p = if x < lv.width() { lv.at(x, row) } else { rng.gen() };
            *w |= u64::from(p) << (8 * j);
        }
    }
    Ok(seg)
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
    if hw.port {
        return port_stimulus(dut, hw, stim);
    }
    let mut drv = TrackerDriver::new(dut, hw.clone());
    // The preset's largest frame first, then smaller ones (`tiny`: 32 x 16 and below).
    let cases = if hw.max_width >= 64 {
        [(64, 48, 2.3, -1.6, 2), (40, 30, -4.4, 3.1, 1), (33, 17, 0.6, 0.2, 2)]
    } else {
        [(32, 16, 2.3, -1.6, 2), (20, 12, -2.4, 1.1, 1), (17, 9, 0.6, 0.2, 2)]
    };
    for (k, &(w, h, dx, dy, levels)) in cases.iter().enumerate() {
        let (a, b) = test_pair(w, h, dx, dy, &mut stim.rng);
        let cfg = TrackerConfig { levels, window: hw.window, epsilon: [2, 0, 16][k], min_eigen: [105, 105, 4000][k], ..TrackerConfig::small() };
        drv.load(&cfg, &a, &b, Handshake { idle: 0.3, stall: 0.0 }, &mut stim.rng)?;
        let pts = random_points(w, h, 12, &mut stim.rng);
        let traffic = if k == 0 { Traffic::FULL_SPEED } else { Traffic::random(&mut stim.rng) };
        let t = drv.track(&cfg, &pts, traffic, &mut stim.rng)?;
        compare(&cfg, &a, &b, &pts, &t.tracks).map_err(|e| format!("case {k} ({w} x {h}): {e}"))?;
    }
    Ok(drv.pins.cycles())
}

/// The stimulus of a port preset (Navion's 3 levels and 15 x 15 window): pairs of known
/// motion with random points, under random traffic and memory latency, every result checked.
fn port_stimulus(dut: &mut dyn Dut, hw: TrackerHwConfig, stim: &mut Stimulus) -> Result<u64, String> {
    let mut drv = TrackerDriver::new(dut, hw);
    let cases = [(96, 64, 5.3, -2.6, 3), (40, 30, -4.4, 3.1, 2), (23, 17, 0.6, 0.2, 1)];
    for (k, &(w, h, dx, dy, levels)) in cases.iter().enumerate() {
        let (a, b) = test_pair(w, h, dx, dy, &mut stim.rng);
        let cfg = TrackerConfig { levels, iterations: [30, 10, 5][k], epsilon: [2, 0, 16][k], min_eigen: [105, 105, 4000][k], ..TrackerConfig::navion() };
        drv.load(&cfg, &a, &b, Handshake::NONE, &mut stim.rng)?;
        drv.memory = if k == 0 { MemoryPort::FAST } else { MemoryPort::random(&mut stim.rng) };
        let pts = random_points(w, h, 10, &mut stim.rng);
        let traffic = if k == 0 { Traffic::FULL_SPEED } else { Traffic::random(&mut stim.rng) };
        let t = drv.track(&cfg, &pts, traffic, &mut stim.rng)?;
        compare(&cfg, &a, &b, &pts, &t.tracks).map_err(|e| format!("case {k} ({w} x {h}): {e}"))?;
    }
    Ok(drv.pins.cycles())
}
