//! `navion_detector`: Navion's streaming Shi-Tomasi corner detector (issue 13, §1-3), bit-exact
//! with the golden model `edgertl_sim::navion::detector::detect`.
//!
//! Pixels stream in at one a clock; every pixel's score streams out of a monitor port; the
//! corners kept per grid cell stream out as (x, y, score) words, then an end-of-frame word.
//! The score, the candidates and the selection are issue 13's §1-2, exactly as the golden
//! model defines them (`DetectorConfig` below is the single configuration of both).
//!
//! ```text
//!  pixel ─► S0 ─► V1 ─► H1 ─► P1 ─► P2 ─► V2 ─► H2 ─► Q1 ─► Q2 ─► Q3 ─► Q4 ─► isqrt x25 ─► S ─► NMS ─► FIFO ─► top-K ─► corners
//!          count  │2 rows│     |g|   g·g   │2 rows│    a+c   squares  D      2 bits/step      │2 rows│   (BRAM)  list+RAM
//!                 └pixels┘                 └products┘                                        └scores┘
//! ```
//!
//! # Ports
//! - `in_valid`/`in_ready`/`in_data` (8 bits): pixels in raster order. `width` (11 bits, 2 ..=
//!   the preset's `max_width`), `height` (16 bits, 2 ..= 65532) and `threshold` (25 bits) are
//!   read with a frame's first pixel and held by the unit for the frame; the frame must also
//!   have at least `grid_x` columns and `grid_y` rows (the driver checks all of this: values
//!   outside give wrong corners, never a hang).
//! - `out_valid`/`out_ready` with `out_x` (10), `out_y` (16), `out_score` (25), `out_eof`:
//!   the kept corners, cell by cell in raster order of the cells, each cell's by descending
//!   score (ties: the earlier pixel first), the order of `detect`; then one word with
//!   `out_eof` set whose `out_score` is the frame's candidate count (x, y zero).
//! - `score_valid`/`score_data` (25): a monitor of the score stream, one pulse per pixel in
//!   raster order, no back-pressure (the tests and `edgertl run corners --rtl --score` read it).
//! - `rst`: synchronous, active high; clears every register (not the RAMs' contents).
//!
//! Every output is a register or a function of registers only.
//!
//! # Timing
//! One pixel a clock, sustained: `in_ready` stays high through a frame while the candidate
//! FIFO has room (it falls only when the top-K engine is more than `FD - 4` candidates behind,
//! which the tests never saw on photographs or adversarial frames at full speed). After a
//! frame's last pixel the unit takes no pixel for 3 rows + about 70 cycles (vertical
//! blanking): it feeds itself three virtual rows to push the reflected bottom rows through
//! the two vertical stages, then waits until the NMS has the frame's last score. The corners
//! of a row of cells come out once the scores pass into the next row of cells (or at the
//! end of the frame); the end-of-frame word follows the last corner.
//!
//! # The pipeline and the borders (BORDER_REFLECT_101)
//! Every stage carries a valid bit and the (x, y) of its item; the whole pipeline up to the
//! candidate FIFO moves on one enable (`en`, a register: the FIFO has room).
//! - **S0** counts (x, y) of the pixels, then of three virtual rows y = H, H+1, H+2 (pixel 0).
//! - **V1** (vertical Sobel taps) reads rows y-1 and y-2 from two line buffers of pixels
//!   (block RAM, read when the item enters S0's register, used the next move) and, for centre
//!   row y-1, computes the column sums `vs = top + 2 mid + bot` (10 bits, <= 1020) and
//!   `vd = bot - top` (11-bit two's complement). Reflection: centre row 0 takes row 1 (the
//!   arriving row) as `top`; centre row H-1 (arriving: the virtual row H) takes row H-2 (the
//!   older line buffer) as `bot`.
//! - **H1** holds the two previous columns and emits column x-1 when column x arrives, or the
//!   row's last column W-1 when column 0 of the next row arrives: left of column 0 is column 1
//!   (the arriving one), right of column W-1 is column W-2 (the older held one). `gx = vs(r) -
//!   vs(l)`, `gy = vd(l) + 2 vd(c) + vd(r)`, 11-bit two's complement.
//! - **P1/P2**: `|gx|`, `|gy|` (10 bits) and the sign of gx·gy; the products gx², gx·gy, gy²
//!   (10 x 10 bits, 20-bit magnitudes) in three multipliers.
//! - **V2/H2**: the same two stages over products (line words of 61 bits: gx² 20, gx·gy 21
//!   two's complement, gy² 20): column sums (22 / 23 / 22 bits), then box sums a, b, c (24 /
//!   25 two's complement / 24 bits). H2 passes on only rows < H.
//! - **Q1-Q4**: `a + c` (25 bits), `|a - c|` and `|b|` (24 bits each, both < 2^24), their
//!   squares from 16 x 16 pieces (`v = h 2^16 + l`: h², h·l, l², three multipliers each), and
//!   `D = (a - c)² + 4 b²` (50-bit register; D <= (a + c)² < 2^49).
//! - **isqrt**: 25 digit steps, two bits of D each, registered (restoring digit-by-digit:
//!   `rem = 4 rem + next two bits; if rem >= 4 root + 1 { rem -= 4 root + 1; root = 2 root + 1 }
//!   else { root = 2 root }`); the remainder needs 28 bits (it stays <= 2 root < 2^26 between
//!   steps), the root 25. Then `S = (a + c) - root` (25 bits).
//! - **NMS** counts the scores' (x, y) and their cells (x·GX/W by an accumulator that adds GX
//!   per pixel and subtracts W on overflow, the same down the rows), keeps two rows of scores in
//!   block RAM and a 3 x 3 window, and tests its centre (x-1, y-1): inside 2 ..= W-3, 2 ..= H-3
//!   (no border reflection is needed: every neighbour of a candidate is in the frame), S >= T,
//!   strictly above the 4 neighbours before it, at least the 4 after. A candidate (or, after
//!   the frame's last score, an end-of-frame mark) goes into the candidate FIFO.
//!
//! # The per-cell top-K
//! Candidates arrive in raster order, so within a cell in arrival order; two in a row are never
//! neighbours, so at most one every other pixel. The FIFO (block RAM, `FD` words) decouples
//! the pipeline from the engine, which holds:
//! - one **working list** of K entries in registers (valid, score, x, y), sorted best first.
//!   Inserting is one cycle: each entry compares with the candidate (`beats`: empty, or a
//!   lower score; an equal score stays ahead, being the earlier pixel) and takes its
//!   neighbour's value or the candidate's; the last falls off.
//! - the lists of the **current row of cells** in a block RAM of GX x 2^KB slots (`KB` =
//!   [`slot_bits`]`(K)`, the cell's slots at `cell << KB`), and a `touched` bit per cell.
//!   When a candidate of another cell comes, the engine swaps lists in K + 1 cycles: entry k
//!   of the working list is written back while entry k of the new cell's list (read a cycle
//!   earlier; empty when the cell is untouched) shifts in.
//! - when a candidate of the next row of cells (or the end of the frame) comes, the working
//!   list is written back and every touched cell's list is read out in order (two cycles a
//!   slot, stopping at a cell's first empty slot) into a 4-word output FIFO; then `touched` is
//!   cleared. The end of the frame then writes the end-of-frame word.
//!
//! Work per row of W pixels is at most W/2 inserts + GX (K + 1) swap cycles, and a row of cells
//! reads out in at most 2 GX K cycles: the FIFO absorbs the bursts (the navion preset: 376 +
//! 312 of 752 cycles a row at worst). A FIFO that fills stalls the pixels, never loses one.
//!
//! # Widths (all unsigned but where two's complement is said)
//!
//! | value            | bits | why                                  |
//! |------------------|------|--------------------------------------|
//! | pixel            | 8    |                                      |
//! | vs (1 2 1 sums)  | 10   | <= 4 x 255 = 1020                    |
//! | vd, gx, gy       | 11 s | -1020 ..= 1020                       |
//! | gx², gy², abs(gx·gy) | 20 | <= 1020² = 1 040 400 < 2^20          |
//! | gx·gy            | 21 s |                                      |
//! | column sums      | 22 / 23 s | <= 3 x 1020²                    |
//! | a, c             | 24   | <= 9 x 1020² = 9 363 600 < 2^24      |
//! | b                | 25 s | -9 363 600 ..= 9 363 600             |
//! | a + c            | 25   | <= 18 727 200 < 2^25                 |
//! | abs(a - c), abs(b) | 24 | <= 9 363 600                         |
//! | D                | 50 (49 used) | <= (a + c)² < 2^49           |
//! | isqrt remainder  | 28   | < 4 (2 root) + 4 <= 2^27 + 3         |
//! | root, S          | 25   | root <= a + c; 0 <= S <= 2 min(a, c) |
//! | x / y            | 10 / 16 | W <= 1024; y counts to H + 2     |
//! | cell x / y       | 6 / 6 | GX, GY <= 64                        |
//! | candidate count  | 25   | <= W H / 2 < 2^25 for W <= 1024, H <= 65532 |
//!
//! The golden model's module doc proves the bounds (Cauchy-Schwarz gives D <= (a + c)²).
//!
//! # Presets
//! `small` (160 wide, 4 x 3 cells, K 8: the Verilated, tested and synthesised one) and
//! `navion` (752 wide, EuRoC, 8 x 6 cells, K 38). Generic parameters per preset: line
//! buffers of `max_width` words, a cell RAM of GX · 2^KB words, a candidate FIFO of 256
//! (small) or 1024 (navion) words.

mod rtl;
mod topk;

use crate::{EmitError, Emitted, RtlSim, Unit};
use serde::{Deserialize, Serialize};

pub const UNIT: Unit = Unit {
    name: "navion_detector",
    summary: "Navion streaming corner detector: pixels in, Shi-Tomasi scores, NMS, per-cell top-K corners out",
    presets: &["small", "navion"],
    simulated: &["small"],
    synth_preset: "small",
    netlist: true,
    config_type: "DetectorConfig",
    stimulus: "navion::driver::stimulus",
    config: |p| crate::config_json(DetectorConfig::preset(p).map_err(|e| preset_error(p, e))),
    emit,
    rust_hdl_sim,
};

fn preset_error(preset: &str, _e: DetectorError) -> EmitError {
    EmitError::UnknownPreset { unit: UNIT.name.into(), preset: preset.into(), known: UNIT.presets.join(", ") }
}

/// Which generated type a preset is: one concrete detector per supported shape, the generic
/// parameters being (line-buffer address bits, words; cell-list RAM address bits, words;
/// candidate FIFO address bits, words).
macro_rules! with_detector {
    ($preset:expr, |$cfg:ident, $t:ident| $body:expr) => {{
        let $cfg = DetectorConfig::preset($preset).map_err(|e| preset_error($preset, e))?;
        match $preset {
            "small" => {
                type $t = rtl::NavionDetector<8, 160, 5, 32, 8, 256>;
                $body
            }
            "navion" => {
                type $t = rtl::NavionDetector<10, 752, 9, 512, 10, 1024>;
                $body
            }
            _ => Err(preset_error($preset, DetectorError::UnknownPreset($preset.into()))),
        }
    }};
}

fn emit(preset: &str) -> Result<Emitted, EmitError> {
    with_detector!(preset, |cfg, T| {
        let config = serde_json::to_value(&cfg).expect("config serializes");
        crate::emit::emit_block(&T::built(&cfg), UNIT.name, preset, config)
    })
}

fn rust_hdl_sim(preset: &str) -> Result<Box<dyn RtlSim>, EmitError> {
    with_detector!(preset, |cfg, T| Ok(Box::new(crate::sim::Stepper::new(T::built(&cfg))) as Box<dyn RtlSim>))
}

/// Bits of a cell list's slot index: the smallest power of two that holds K entries.
pub fn slot_bits(per_cell: u32) -> u32 {
    32 - (per_cell.max(2) - 1).leading_zeros()
}

/// The largest |gx| or |gy|: 4 * 255.
pub const MAX_GRADIENT: i32 = 1020;
/// The largest box sum a or c: 9 * 1020².
pub const MAX_BOX: u32 = 9 * (MAX_GRADIENT * MAX_GRADIENT) as u32;
/// The largest score: 2 * [`MAX_BOX`].
pub const MAX_SCORE: u32 = 2 * MAX_BOX;
/// The widest frame a detector can be built for (issue 13, §3).
pub const MAX_WIDTH: u32 = 1024;
/// The most cells along each side of the grid, and the most corners a cell keeps.
pub const MAX_GRID: u32 = 64;
pub const MAX_PER_CELL: u32 = 64;
/// The tallest frame the hardware takes: its row counter has 16 bits and counts three rows
/// past the frame while it flushes (module doc).
pub const MAX_HEIGHT: u32 = 65532;

/// The detector's configuration: the frame size it is built for and the selection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetectorConfig {
    /// The widest frame, pixels (the line buffers' length), 2 ..= 1024.
    pub max_width: u32,
    /// The frame height the preset is made for (frames of any height 2 ..= [`MAX_HEIGHT`] are taken).
    pub height: u32,
    /// Cells across the frame (GX), 1 ..= 64.
    pub grid_x: u32,
    /// Cells down the frame (GY), 1 ..= 64.
    pub grid_y: u32,
    /// Corners kept per cell (K), 1 ..= 64.
    pub per_cell: u32,
    /// The least score of a candidate (T), 0 ..= [`MAX_SCORE`].
    pub threshold: u32,
}

/// A configuration or a frame the detector cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetectorError {
    #[error("unknown detector preset `{0}` (known: navion, small)")]
    UnknownPreset(String),
    #[error("{what} is {value}, outside {min} ..= {max}")]
    OutOfRange { what: &'static str, value: u64, min: u64, max: u64 },
    #[error("the frame is {width} x {height} pixels; the detector needs at least 2 x 2")]
    TooSmall { width: usize, height: usize },
    #[error("the frame is {width} pixels wide, wider than the {max_width} pixels the detector is built for (its line buffers)")]
    TooWide { width: usize, max_width: u32 },
    #[error("the frame is {height} rows tall, taller than the {max_height} rows the detector counts")]
    TooTall { height: usize, max_height: u32 },
    #[error("a grid of {grid_x} x {grid_y} cells does not fit a {width} x {height} frame (at most one cell per pixel each way)")]
    GridTooFine { grid_x: u32, grid_y: u32, width: usize, height: usize },
}

impl DetectorConfig {
    /// The presets' names, the default first.
    pub const PRESETS: &'static [&'static str] = &["navion", "small"];

    /// Navion's camera (EuRoC, 752 x 480): 8 x 6 cells, 38 corners each (1824 at the most).
    pub fn navion() -> Self {
        DetectorConfig { max_width: 752, height: 480, grid_x: 8, grid_y: 6, per_cell: 38, threshold: 4096 }
    }

    /// Test frames up to 160 x 120: 4 x 3 cells, 8 corners each.
    pub fn small() -> Self {
        DetectorConfig { max_width: 160, height: 120, grid_x: 4, grid_y: 3, per_cell: 8, threshold: 4096 }
    }

    /// A preset by name.
    pub fn preset(name: &str) -> Result<Self, DetectorError> {
        match name {
            "navion" => Ok(Self::navion()),
            "small" => Ok(Self::small()),
            _ => Err(DetectorError::UnknownPreset(name.into())),
        }
    }

    /// Every field within its range.
    pub fn validate(&self) -> Result<(), DetectorError> {
        let checks: [(&'static str, u32, u32, u32); 6] = [
            ("the detector's width (max_width)", self.max_width, 2, MAX_WIDTH),
            ("the detector's height", self.height, 2, MAX_HEIGHT),
            ("the grid's cells across (GX)", self.grid_x, 1, MAX_GRID),
            ("the grid's cells down (GY)", self.grid_y, 1, MAX_GRID),
            ("the corners per cell (K)", self.per_cell, 1, MAX_PER_CELL),
            ("the threshold (T)", self.threshold, 0, MAX_SCORE),
        ];
        for (what, value, min, max) in checks {
            if !(min..=max).contains(&value) {
                return Err(DetectorError::OutOfRange { what, value: value.into(), min: min.into(), max: max.into() });
            }
        }
        Ok(())
    }

    /// The configuration is valid and a `width` x `height` frame fits it.
    pub fn check_frame(&self, width: usize, height: usize) -> Result<(), DetectorError> {
        self.validate()?;
        if width < 2 || height < 2 {
            return Err(DetectorError::TooSmall { width, height });
        }
        if width > self.max_width as usize {
            return Err(DetectorError::TooWide { width, max_width: self.max_width });
        }
        if height > MAX_HEIGHT as usize {
            return Err(DetectorError::TooTall { height, max_height: MAX_HEIGHT });
        }
        if self.grid_x as usize > width || self.grid_y as usize > height {
            return Err(DetectorError::GridTooFine { grid_x: self.grid_x, grid_y: self.grid_y, width, height });
        }
        Ok(())
    }

    /// The cell of pixel (x, y) in a `width` x `height` frame, as (cx, cy).
    pub fn cell(&self, x: usize, y: usize, width: usize, height: usize) -> (usize, usize) {
        (
            (x as u64 * u64::from(self.grid_x) / width as u64) as usize,
            (y as u64 * u64::from(self.grid_y) / height as u64) as usize,
        )
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    /// Writes each preset's Verilog to `$EDGERTL_DUMP_DIR` when set (a quick look without the
    /// harness); always checks that emission succeeds.
    #[test]
    fn every_preset_emits() {
        for p in UNIT.presets {
            let e = UNIT.emit(Some(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
            if let Some(dir) = std::env::var_os("EDGERTL_DUMP_DIR") {
                std::fs::write(std::path::Path::new(&dir).join(format!("navion_detector_{p}.v")), &e.verilog).unwrap();
            }
        }
    }
}
