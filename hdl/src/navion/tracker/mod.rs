//! `navion_tracker`: Navion's pyramidal Lucas-Kanade feature tracker (issue 14, §2), bit-exact
//! with the golden model `edgertl_sim::navion::tracker::track`.
//!
//! The two frames' pyramid levels (already built and smoothed, as the golden model's
//! `tracker::levels` gives them) are read a row segment at a time through a memory port:
//! presets `small` and `tiny` serve it from an on-chip frame memory the host loads row by
//! row (`ld_*`); preset `navion` makes the port the unit's own, for a frame memory outside it
//! (both frames' pyramids of 752 x 480 do not fit on chip). Points go in, tracked points come
//! out, one point in the unit at a time.
//!
//! ```text
//!            ┌────────── window pass: one pixel row a clock, W + 3 pixel lanes ──────────┐
//!  memory ──► row ─► S1 lanes ─► S2 H = bilinear x ─► S3 E = bilinear y ─► S4 I, Scharr ─► S5 products ─► S6 row sums ─► S7 sums
//!  port      seg.    (clamped)    (W+2 lanes)         (W+2 lanes, 3 rows)   (W lanes)      (3 a lane)      (adder chain)   G or b
//!                                                                           │ patch RAM (A pass writes, B passes read)
//!  solver: one 16 x 16 multiplier, 80-bit accumulator, jobs of 16-bit pieces; a 19-step divider
//! ```
//!
//! # Ports
//! - `width`, `height` (11 bits): level 0's size, 1 ..= the preset's `max_width` x
//!   `max_height`; `levels` (2 bits, 1 ..= `max_levels`), `iterations` (5 bits, 1 ..= 30),
//!   `epsilon` (9 bits, 1/256 pixel, 0 ..= 256), `t_min` (28 bits, t = floor(T sum w), the
//!   window's weights summed, of the golden model's threshold T: its `tracker::threshold`). Static: held while a point is in the unit (the driver does).
//! - `small` and `tiny` only: `ld_valid`/`ld_ready`, `ld_addr` (RA bits), `ld_data` (64),
//!   `ld_last`: the frame memory load. A row word holds `max_width` pixels (pixel i in bits
//!   8i..8i+7); it comes as `max_width / 8` beats of 8 pixels, the first beat the leftmost, and is written at
//!   `ld_addr` with the beat that has `ld_last`. Rows: frame A's level 0 at 0 ..= H0 - 1,
//!   level 1 at H0 ..= H0 + H1 - 1 (and level 2 after it); frame B the same from
//!   `2^(RA - 1)`. Level l + 1 is `ceil(Wl / 2) x ceil(Hl / 2)` (`pyrDown`'s size). Taken
//!   only while the unit is idle (no point in it, no result waiting); a load beat has
//!   priority over a point. The on-chip memory answers each memory port request (below,
//!   whole rows: `mem_req_col` is 0) the next clock.
//! - `navion` only, the memory port. Request: `mem_req_valid`/`mem_req_ready`,
//!   `mem_req_level` (2 bits, 0 = the frame), `mem_req_frame` (1 bit: 0 = A, 1 = B),
//!   `mem_req_row` (11 bits: the row of that level, always 0 ..= Hl - 1), `mem_req_col` (8
//!   bits: the segment's first column / 8, always 8 col <= Wl - 1). Response:
//!   `mem_rsp_valid`/`mem_rsp_ready`, `mem_rsp_d0` .. `mem_rsp_d3` (64 bits each): the
//!   32-pixel segment of columns 8 col ..= 8 col + 31, pixel 8k + i in bits 8i..8i+7 of
//!   `mem_rsp_d<k>`; pixels past the level's last column may be anything (the unit does not
//!   use them). Responses come in request order, with any latency (1 clock or more after
//!   the request is taken) and any gaps; `mem_rsp_ready` is always 1 (the unit never has
//!   more requests out than it takes responses for). A window pass asks for its W + 3 rows,
//!   a request a clock while `mem_req_ready`, all with the same `mem_req_col`: columns c0 =
//!   x - h - 1 ..= c0 + W + 2 (x the integer position) lie within the segment that starts
//!   at 8 floor(max(c0, 0) / 8), as 7 + W + 3 <= 32. A memory of four 64-bit banks, column
//!   words interleaved (word j of a row in bank j mod 4), serves any such segment in one
//!   access.
//! - `in_valid`/`in_ready`, `in_x`, `in_y` (24-bit two's complement, 1/256 pixel): a point
//!   of level 0.
//! - `out_valid`/`out_ready`, `out_x`, `out_y` (24-bit two's complement, 1/256 pixel),
//!   `out_status` (0 tracked, 1 lost: weak, 2 lost: left the frame), `out_iters` (7 bits,
//!   the iterations summed over the levels): the result, held until taken. A new point is
//!   taken only once the result is taken.
//! - `rst`: synchronous, active high; clears every register (not the memories).
//!
//! Every output is a register or a function of registers only.
//!
//! # What it computes
//! The golden model's `track_point` exactly (see `edgertl_sim::navion::tracker` for the
//! algorithm and its widths): per level from the coarsest, an A pass builds the patch (I, Ix,
//! Iy of the W x W window at a_l) and G; the solver tests lambda_min(G) (exactly, by the
//! characteristic polynomial), scales G to 16 bits, computes det' and `inv`; then per
//! iteration a B pass at p gives b, and the solver the step.
//!
//! # The window pass
//! A pass reads W + 3 pixel rows (offsets -h-1 ..= h+2 around the integer position, h = W/2,
//! rows clamped to the level) one a clock. Each row segment gives W + 3 pixel lanes (columns
//! clamped to the level, as the model reads): one shift of the segment brings column c0 to
//! byte 0 (a left shift by -c0 bytes when c0 < 0), lane k takes its byte k, or the level's
//! first pixel (byte 0 of the segment) when c0 + k < 0, or its last when c0 + k > Wl - 1
//! (byte Wl - 1 - c0 of the shifted segment, below W + 3 whenever a lane clamps); lane k of the
//! horizontal stage computes `H = 256 p_k + fx (p_(k+1) - p_k)` (exact, 16 bits), the
//! vertical stage `E = 256 H(r) + fy (H(r+1) - H(r))` (exact bilinear sum, scale 2^16, 24
//! bits) for the W + 2 columns -h-1 ..= h+1. With three E rows the S4 stage gives, for the W
//! window columns, `I = round_shift(E, 11)` and Scharr x, y of the E values rounded by 16 bits
//! (Scharr and bilinear interpolation are both linear and both read clamped pixels, so this is
//! the model's bilinear of Scharr, bit for bit). The A pass writes (I, Ix, Iy) of each window
//! row into the patch RAM (one RAM a lane, W words of 39 bits) and sums Ix², IxIy, Iy²; a B
//! pass reads the row back a clock ahead and sums (J - I) Ix, (J - I) Iy. Products are formed
//! as magnitudes (13 x 13 bits) and signed afterwards; the row sums are 32-bit, the sums
//! 36-bit two's complement.
//!
//! The window is weighted (weighted least squares, the golden model's "Window weights"): a
//! column or row outside the inner square |i|, |j| <= r = ceil(h / 2) weighs 1/2. A lane of
//! an outer column halves its products' magnitudes (truncated) before signing them; the lane's
//! column is fixed when the unit is built, so this is wiring. An outer row's row sums are
//! halved (arithmetic shift) on their way to the accumulators: three 32-bit multiplexers.
//!
//! # The solver
//! One 16 x 16 multiplier and an 80-bit two's complement accumulator run jobs `acc += ±X Y`
//! (X up to three 16-bit pieces, Y two; one piece pair a clock): the test polynomial
//! `t² - gxx t - gyy t + gxx gyy - gxy²` (5 jobs, 20 clocks), det' (2 jobs, 4 clocks), nx, ny
//! (2 jobs each, 4 clocks each), and per component `2^(k-1) + n inv` (6 clocks), from which the
//! step is `-(acc >> k)` (arithmetic shift, k = e + 9) saturated to ±2^18. The inverse of det'
//! is a restoring division, one quotient bit a clock (19 clocks a level).
//!
//! The solver is pipelined for the clock (the unit's critical path was the step, 112 logic
//! levels: acc's shift, an 80-bit magnitude and compare, the negation and the position add):
//! the product, shifted into place, is registered and added to acc a clock later, so a run
//! (a sequence of jobs ending in a result) ends with one drain clock; acc >> k is registered
//! as its low 24 bits, sign and saturation flag (|v| > 2^18 read from the bits: v >= 0 with a
//! bit above 18 set, or bit 18 and a lower one; v < 0 not all ones from bit 18 up), and the
//! step is -v or ∓2^18 from those (24 bits), a clock later; |acc| (42 bits, for nx and ny) is
//! registered the same way. The x step and nx, ny are taken the clock after their result
//! (while the next run goes on); the y step has a state of its own before the position add.
//!
//! # Timing
//! With a memory answering the next clock (the on-chip one): a pass takes W + 11 clocks (W + 3
//! reads, 7 pipeline stages, one to see the sums); a memory latency of d clocks adds d - 1
//! to every pass, stalls and gaps add their clocks. A level
//! costs W + 64 clocks (its A pass, the test's 20 solver clocks, det', the divider's 19, a
//! drain clock after each of its 2 solver runs and the state steps), an iteration W + 42 (its
//! B pass, 20 solver clocks for nx, ny and the two steps, a drain clock after each of its 4
//! runs, one for the registered step, the state steps); a point 3 more: [`point_clocks`]. The
//! tests check it exactly (`small`, 2 levels, a grid of points under no back-pressure).
//!
//! # Widths
//! As the golden model's table; in the unit: pixel lanes 8, H 16, E 24, I and J 13 unsigned,
//! Ix, Iy 13 two's complement, products 28 two's complement, row sums 32, sums 36, G
//! 32/33, G' 16, det' 32, inv 19, b' 26 + sign, nx, ny 42 + sign, accumulator 80, positions
//! and flows 24 two's complement, steps 19 + sign, memory row addresses 11 (level bases).
//!
//! # Presets
//! - `small`: 64 x 48 frames, 2 levels, W = 7 (7 lanes), on-chip: 512-bit row words (a
//!   segment is a whole row), 2 x 128 rows (200 words used).
//! - `tiny`: 32 x 16 frames, 2 levels, W = 5 (5 lanes), on-chip: 256-bit row words (the
//!   narrowest segment the core takes, a whole row), 2 x 32 rows (56 words used). The
//!   synthesis preset, whose Yosys netlist the tests co-simulate (`small`'s takes minutes to
//!   build); the synthesis budgets are `small`'s. The smallest unit with every path of
//!   `small`: two levels, clamps on every side, and outer rows and columns of the weighted
//!   window (W = 3 is all inner square, r = h = 1: its row test `j < h - r` compares with 0,
//!   which Verilator's lint rejects).
//! - `navion`: Navion's 752 x 480 frames, 3 levels, W = 15 (15 lanes), the memory port with
//!   32-pixel segments. The unit itself works on any frame up to 2047 x 2047 (11-bit sizes);
//!   752 x 480 is what the driver checks. Tested on smaller frames through the same port.

mod lanes;
mod rtl;
mod top;

use crate::{EmitError, Emitted, RtlSim, Unit};
use serde::{Deserialize, Serialize};

pub const UNIT: Unit = Unit {
    name: "navion_tracker",
    summary: "Navion pyramidal Lucas-Kanade tracker: pyramid levels in on-chip memory, points in, tracked points out",
    presets: &["small", "navion", "tiny"],
    simulated: &["small", "navion", "tiny"],
    // The netlist co-simulation's: the generic netlist of `small` (2.1 MB of Verilog, 40
    // multipliers as gates) took 80 s of Yosys, 38 s of Verilator and over 7 minutes of C++ on
    // the shared 2-core machine, 2026-12-01, too slow for CI. `tiny`'s is still 2.2 MB, 96,779
    // gates (the core's 29k are fixed; 5 window lanes of 9.5k, 7 column lanes of 2.9k): CPU
    // time Yosys 35 s, Verilator 22 s, C++ 166 s at `-O1` and 74 s at `-O0`, which the netlists
    // now use (`sim/build.rs`) (2026-12-02). The synthesis budgets name
    // `small` (budgets.toml).
    synth_preset: "tiny",
    netlist: true,
    config_type: "TrackerHwConfig",
    stimulus: "navion::tracker_driver::stimulus",
    config: |p| crate::config_json(TrackerHwConfig::preset(p).map_err(|_| preset_error(p))),
    emit,
    rust_hdl_sim,
};

/// The unit's clocks for one point of `iterations` iterations (summed over its levels) over
/// `levels` levels with a `window` x `window` window, with the memory answering the next
/// clock and the result taken at once (module doc, "Timing"): the clocks from the point taken
/// to the next point taken.
pub fn point_clocks(window: u32, levels: u32, iterations: u32) -> u64 {
    let w = u64::from(window);
    3 + u64::from(levels) * (w + LEVEL_CLOCKS) + u64::from(iterations) * (w + ITERATION_CLOCKS)
}

/// A level's clocks beyond W (its A pass, the eigenvalue test, det', the divider).
pub const LEVEL_CLOCKS: u64 = 64;
/// An iteration's clocks beyond W (its B pass, nx, ny and the two steps).
pub const ITERATION_CLOCKS: u64 = 42;

fn preset_error(preset: &str) -> EmitError {
    EmitError::UnknownPreset { unit: UNIT.name.into(), preset: preset.into(), known: UNIT.presets.join(", ") }
}

/// The widest frame the tracker can be built for, and the window's limit.
pub const MAX_WIDTH: u32 = 1024;
pub const MAX_WINDOW: u32 = 15;

/// The tracker's hardware configuration: the frame memory's shape and the window (the lanes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackerHwConfig {
    /// Level 0's widest frame, pixels (a row word), a multiple of 8.
    pub max_width: u32,
    /// Level 0's tallest frame, rows.
    pub max_height: u32,
    /// The most pyramid levels, 1 ..= 3.
    pub max_levels: u32,
    /// The window's side W (odd, 3 ..= 15): the lanes.
    pub window: u32,
    /// The frames are read through the memory port (32-pixel segments) from a memory outside
    /// the unit; else they sit in the unit's on-chip frame memory, loaded through `ld_*`.
    #[serde(default)]
    pub port: bool,
}

/// A configuration or a frame the tracker unit cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackerHwError {
    #[error("unknown tracker preset `{0}` (known: small, navion, tiny)")]
    UnknownPreset(String),
    #[error("the frame is {width} x {height} pixels; the tracker unit takes 1 ..= {max_width} x 1 ..= {max_height}")]
    BadFrame { width: usize, height: usize, max_width: u32, max_height: u32 },
    #[error("the unit is built for a {hw} x {hw} window, not {asked} x {asked}")]
    Window { hw: u32, asked: u32 },
    #[error("the unit tracks over 1 ..= {max} levels, not {asked}")]
    Levels { max: u32, asked: u32 },
}

impl TrackerHwConfig {
    pub const PRESETS: &'static [&'static str] = &["small", "navion", "tiny"];

    /// Test frames up to 64 x 48, 2 levels, a 7 x 7 window (the golden model's `small`), in
    /// the on-chip frame memory.
    pub fn small() -> Self {
        TrackerHwConfig { max_width: 64, max_height: 48, max_levels: 2, window: 7, port: false }
    }

    /// Navion's frames, 752 x 480, 3 levels, a 15 x 15 window (the golden model's `navion`),
    /// read through the memory port.
    pub fn navion() -> Self {
        TrackerHwConfig { max_width: 752, max_height: 480, max_levels: 3, window: 15, port: true }
    }

    /// The smallest unit with every path: frames up to 32 x 16 (one 256-bit row word, the
    /// narrowest segment the core takes), 2 levels, a 5 x 5 window (5 lanes: the smallest
    /// with outer rows and columns), on-chip. The netlist co-simulation's preset
    /// (`synth_preset`).
    pub fn tiny() -> Self {
        TrackerHwConfig { max_width: 32, max_height: 16, max_levels: 2, window: 5, port: false }
    }

    pub fn preset(name: &str) -> Result<Self, TrackerHwError> {
        match name {
            "small" => Ok(Self::small()),
            "navion" => Ok(Self::navion()),
            "tiny" => Ok(Self::tiny()),
            _ => Err(TrackerHwError::UnknownPreset(name.into())),
        }
    }

    /// Frame memory rows a frame's levels take: H0 + H1 + ...
    pub fn rows(height: usize, levels: u32) -> usize {
        let mut h = height;
        let mut rows = 0;
        for _ in 0..levels {
            rows += h;
            h = h.div_ceil(2);
        }
        rows
    }

    /// The frame memory row where frame B starts: the power of two at or above the rows of
    /// the tallest frame's levels (the top address bit picks the frame).
    pub fn frame_b_row(&self) -> usize {
        Self::rows(self.max_height as usize, self.max_levels).next_power_of_two()
    }

    /// A frame, window and level count this unit takes.
    pub fn check(&self, width: usize, height: usize, window: u32, levels: u32) -> Result<(), TrackerHwError> {
        if width == 0 || height == 0 || width > self.max_width as usize || height > self.max_height as usize {
            return Err(TrackerHwError::BadFrame { width, height, max_width: self.max_width, max_height: self.max_height });
        }
        if window != self.window {
            return Err(TrackerHwError::Window { hw: self.window, asked: window });
        }
        if levels == 0 || levels > self.max_levels {
            return Err(TrackerHwError::Levels { max: self.max_levels, asked: levels });
        }
        Ok(())
    }
}

/// The memory shape of a preset: row word bits, address bits, words.
macro_rules! with_tracker {
    ($preset:expr, |$cfg:ident, $t:ident| $body:expr) => {{
        let $cfg = TrackerHwConfig::preset($preset).map_err(|_| preset_error($preset))?;
        match $preset {
            "small" => {
                type $t = top::NavionTracker<512, 8, 200>;
                $body
            }
            "navion" => {
                type $t = top::NavionTrackerPort;
                $body
            }
            "tiny" => {
                type $t = top::NavionTracker<256, 6, 56>;
                $body
            }
            _ => Err(preset_error($preset)),
        }
    }};
}

fn emit(preset: &str) -> Result<Emitted, EmitError> {
    with_tracker!(preset, |cfg, T| {
        let config = serde_json::to_value(&cfg).expect("config serializes");
        crate::emit::emit_block(&T::built(cfg.window as usize), UNIT.name, preset, config)
    })
}

fn rust_hdl_sim(preset: &str) -> Result<Box<dyn RtlSim>, EmitError> {
    with_tracker!(preset, |cfg, T| Ok(Box::new(crate::sim::Stepper::new(T::built(cfg.window as usize))) as Box<dyn RtlSim>))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_emits() {
        for p in UNIT.presets {
            let e = UNIT.emit(Some(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
            if let Some(dir) = std::env::var_os("EDGERTL_DUMP_DIR") {
                std::fs::write(std::path::Path::new(&dir).join(format!("navion_tracker_{p}.v")), &e.verilog).unwrap();
            }
        }
        let c = TrackerHwConfig::small();
        assert_eq!(TrackerHwConfig::rows(48, 2), 72);
        assert_eq!(c.frame_b_row(), 128, "the small preset's RA = 8, RD = 200");
        assert!(c.check(64, 48, 7, 2).is_ok());
        assert!(c.check(65, 48, 7, 2).unwrap_err().to_string().contains("64 x 1 ..= 48"));
        assert!(c.check(64, 48, 9, 2).is_err());
        assert!(c.check(64, 48, 7, 3).is_err());
        assert!(TrackerHwConfig::preset("big").is_err());
        let t = TrackerHwConfig::tiny();
        assert_eq!(TrackerHwConfig::rows(16, 2), 24);
        assert_eq!(t.frame_b_row(), 32, "the tiny preset's RA = 6, RD = 56");
        assert!(t.check(32, 16, 5, 2).is_ok());
        assert!(t.check(32, 17, 5, 2).unwrap_err().to_string().contains("32 x 1 ..= 16"));
        assert!(t.check(32, 16, 3, 2).unwrap_err().to_string().contains("5 x 5 window"));
        let n = TrackerHwConfig::navion();
        assert!(n.check(752, 480, 15, 3).is_ok());
        assert!(n.check(753, 480, 15, 3).is_err());
        assert!(n.check(752, 480, 7, 3).is_err());
    }
}
