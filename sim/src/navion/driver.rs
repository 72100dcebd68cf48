//! Drives frames through the corner detector [`Dut`] (Verilated or rust-hdl's simulator), with
//! random camera idle on the pixel input and back-pressure on the corner output, and collects
//! the score monitor, the corners and the end-of-frame word.

use super::detector::{self, Corner, DetectorConfig};
use super::Frame;
use crate::harness::{Dut, Handshake, Pins, Stimulus};
use crate::verilated::navion_detector::{inp, out, INPUTS, OUTPUTS};
use rand::Rng;

/// Handshake profiles of the camera (pixels in) and of the corner consumer (out).
#[derive(Clone, Copy, Debug)]
pub struct Traffic {
    pub camera: Handshake,
    pub output: Handshake,
}

impl Traffic {
    pub const FULL_SPEED: Traffic = Traffic { camera: Handshake::NONE, output: Handshake::NONE };

    pub fn random(rng: &mut impl Rng) -> Self {
        Self { camera: Handshake::random(rng), output: Handshake::random(rng) }
    }
}

/// What the detector put out for one frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HwDetection {
    /// The score monitor: S of every pixel, raster order.
    pub scores: Vec<u32>,
    /// The corners, in the order they came out.
    pub corners: Vec<Corner>,
    /// The candidate count of the end-of-frame word.
    pub candidates: usize,
    /// Cycles from the first pixel offered to the end-of-frame word.
    pub cycles: u64,
    /// Cycles in which the camera offered a pixel and the detector did not take it.
    pub camera_stalls: u64,
}

/// The detector under test.
pub struct DetectorDriver<D: Dut> {
    /// The detector's pins: its [`Dut`], cycles run, reset.
    pub pins: Pins<D>,
    /// The hardware configuration of the preset driven (its grid, K and widest frame).
    pub cfg: DetectorConfig,
}

impl<D: Dut> DetectorDriver<D> {
    /// Takes a detector built for `cfg` and resets it.
    pub fn new(dut: D, cfg: DetectorConfig) -> Self {
        let mut pins = Pins::new(dut, INPUTS, OUTPUTS);
        pins.reset();
        Self { pins, cfg }
    }

    /// Runs one frame with threshold `threshold`; the detector's output, or why it misbehaved.
    /// A frame the preset cannot take is an error before any cycle runs.
    pub fn detect(&mut self, frame: &Frame, threshold: u32, traffic: Traffic, rng: &mut impl Rng) -> Result<HwDetection, String> {
        let (w, h) = (frame.width(), frame.height());
        self.cfg.check_frame(w, h).map_err(|e| e.to_string())?;
        if threshold > detector::MAX_SCORE {
            return Err(format!("the threshold {threshold} is above the largest score {}", detector::MAX_SCORE));
        }
        let pixels = frame.pixels();
        let p = &mut self.pins;
        let start = p.cycles();
        let limit = start + 20_000 + 40 * (w * (h + 4)) as u64;
        let mut hw = HwDetection { scores: Vec::with_capacity(w * h), corners: Vec::new(), candidates: 0, cycles: 0, camera_stalls: 0 };
        let mut sent = 0;
        {
            let i = p.inputs_mut();
            i[inp::WIDTH] = w as u64;
            i[inp::HEIGHT] = h as u64;
            i[inp::THRESHOLD] = u64::from(threshold);
        }
        loop {
            let o = p.outputs();
            if o[out::SCORE_VALID] == 1 {
                if hw.scores.len() == w * h {
                    return Err(format!("the score monitor gave more than the frame's {} scores", w * h));
                }
                hw.scores.push(o[out::SCORE_DATA] as u32);
            }
            let out_ready = traffic.output.accept(rng);
            if out_ready && o[out::OUT_VALID] == 1 {
                if o[out::OUT_EOF] == 1 {
                    hw.candidates = o[out::OUT_SCORE] as usize;
                    hw.cycles = p.cycles() - start;
                    // The pixel input is idle again and no more scores are due.
                    p.set(inp::OUT_READY, 1);
                    p.tick();
                    p.set(inp::OUT_READY, 0);
                    return Ok(hw);
                }
                hw.corners.push(Corner { x: o[out::OUT_X] as u32, y: o[out::OUT_Y] as u32, score: o[out::OUT_SCORE] as u32 });
            }
            let offer = sent < pixels.len() && traffic.camera.offer(rng);
            let moves = offer && o[out::IN_READY] == 1;
            hw.camera_stalls += u64::from(offer && !moves);
            let i = p.inputs_mut();
            i[inp::IN_VALID] = offer as u64;
            i[inp::IN_DATA] = if offer { u64::from(pixels[sent]) } else { 0 };
            i[inp::OUT_READY] = out_ready as u64;
            p.tick();
            sent += moves as usize;
            if p.cycles() > limit {
                return Err(format!(
                    "the detector did not finish the {w} x {h} frame: {sent} pixels taken, {} scores, {} corners out",
                    hw.scores.len(),
                    hw.corners.len()
                ));
            }
        }
    }
}

/// Compares a hardware detection with the golden model's, naming the first difference.
pub fn compare(frame: &Frame, cfg: &DetectorConfig, hw: &HwDetection) -> Result<(), String> {
    let want = detector::detect(frame, cfg).map_err(|e| e.to_string())?;
    let w = frame.width();
    if hw.scores != want.scores {
        let k = hw.scores.iter().zip(&want.scores).position(|(a, b)| a != b).unwrap_or(hw.scores.len().min(want.scores.len()));
        let at = |v: &[u32]| v.get(k).map_or("none".to_string(), |s| s.to_string());
        return Err(format!(
            "{} x {}: score of ({}, {}) is {} in the RTL and {} in the model ({} vs {} scores)",
            w,
            frame.height(),
            k % w,
            k / w,
            at(&hw.scores),
            at(&want.scores),
            hw.scores.len(),
            want.scores.len()
        ));
    }
    if hw.candidates != want.candidates {
        return Err(format!("{} candidates in the RTL, {} in the model", hw.candidates, want.candidates));
    }
    if hw.corners != want.corners {
        let k = hw.corners.iter().zip(&want.corners).position(|(a, b)| a != b).unwrap_or(hw.corners.len().min(want.corners.len()));
        return Err(format!(
            "corner {k} is {:?} in the RTL and {:?} in the model ({} vs {} corners)",
            hw.corners.get(k),
            want.corners.get(k),
            hw.corners.len(),
            want.corners.len()
        ));
    }
    Ok(())
}

/// Frames made to break a detector: flat, extreme, periodic, isolated, random, and of widths
/// that are not multiples of the grid. All fit the `small` preset (up to 160 wide).
pub fn adversarial_frames(rng: &mut impl Rng) -> Vec<(String, Frame)> {
    let mut frames = vec![
        ("black".to_string(), Frame::from_fn(37, 19, |_, _| 0)),
        ("white".to_string(), Frame::from_fn(41, 13, |_, _| 255)),
        ("checkerboard 1".to_string(), Frame::from_fn(30, 20, |x, y| if (x + y) % 2 == 0 { 255 } else { 0 })),
        ("checkerboard 3".to_string(), Frame::from_fn(45, 23, |x, y| if (x / 3 + y / 3) % 2 == 0 { 255 } else { 0 })),
        ("checkerboard 8".to_string(), Frame::from_fn(101, 40, |x, y| if (x / 8 + y / 8) % 2 == 0 { 255 } else { 0 })),
        ("bright pixels".to_string(), Frame::from_fn(53, 31, |x, y| if (x % 11 == 5 && y % 7 == 3) || (x, y) == (2, 2) { 255 } else { 0 })),
        ("edge pixels".to_string(), Frame::from_fn(9, 8, |x, y| if x == 0 || y == 7 || (x, y) == (8, 0) { 255 } else { 0 })),
        ("diagonal".to_string(), Frame::from_fn(25, 17, |x, y| if x > y { 255 } else { 0 })),
        ("ties".to_string(), Frame::from_fn(33, 27, |x, y| if x % 6 == 3 && y % 6 == 3 { 200 } else { 0 })),
        ("4 x 3 xor".to_string(), Frame::from_fn(4, 3, |x, y| ((x * 255) ^ (y * 255)) as u8)),
        ("smallest".to_string(), Frame::from_fn(4, 3, |x, y| (x * 60 + y * 90) as u8)),
        ("widest".to_string(), Frame::from_fn(160, 6, |x, y| ((x * 37 + y * 101) % 256) as u8)),
    ];
    for i in 0..4 {
        let (w, h) = (rng.gen_range(4..70), rng.gen_range(3..30));
        frames.push((format!("random {w} x {h} #{i}"), Frame::from_fn(w, h, |_, _| rng.gen())));
    }
    frames
}

/// The detector's random test stimulus on any model of a preset (the registry's `stimulus`,
/// what `edgertl cover` runs): adversarial and random frames under random traffic, every
/// score, the candidate count and every corner checked against the golden model.
pub fn stimulus(dut: &mut dyn Dut, preset: &str, stim: &mut Stimulus) -> Result<u64, String> {
    let cfg = DetectorConfig::preset(preset).map_err(|e| e.to_string())?;
    let mut drv = DetectorDriver::new(dut, cfg.clone());
    let frames = adversarial_frames(&mut stim.rng);
    for (k, (name, f)) in frames.iter().enumerate() {
        let traffic = if k % 3 == 0 { Traffic::FULL_SPEED } else { Traffic::random(&mut stim.rng) };
        let t = if k % 4 == 1 { 0 } else { cfg.threshold };
        let hw = drv.detect(f, t, traffic, &mut stim.rng)?;
        let golden = DetectorConfig { threshold: t, ..cfg.clone() };
        compare(f, &golden, &hw).map_err(|e| format!("frame `{name}`: {e}"))?;
    }
    Ok(drv.pins.cycles())
}
