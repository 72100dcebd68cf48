//! `navion_codec`: Navion's frame codec (issue 13, §3): an encoder that takes camera pixels at
//! one a clock and stores the frame compressed, 26 bits a 4 x 4 block, in a frame memory on
//! chip, and a block reader that returns any block of it, decoded, by its address (what the
//! tracker reads patches with). One unit: the encoder and the reader share the frame memory.
//!
//! # The format (bit-exact with `edgertl_sim::navion::codec`)
//! Pixels are cut to 5 bits (`p5 = p >> 3`). Per 4 x 4 block: `mn` = min p5,
//! `th = (max - mn + 1) >> 1`, and bit i (pixel i in raster order within the block) set when
//! `th > 0` and `p5 - mn >= th`. Word: `mn` in bits 0-4, `th` in 5-9, the pixel bits in 10-25.
//! Decoded pixel: `q5 = bit ? min(31, mn + 2 th) : mn`, shown as the 8 bits
//! `(q5 << 3) | (q5 >> 2)`.
//!
//! ```text
//!             ┌────────────────────────────── navion_codec ─────────────────────────────┐
//!  in (8 b) ──┼─► p>>3 ─┬─► line rows 0,1,2 (Sram, max_width x 5 b each)                 │
//!             │         └─ row 3: column of 4 ─► min/max ─► gather 4 columns ─► word ─┬──┼─► out (word, addr, last)
//!  ld (26 b) ─┼────────────────────────────────────────────────────────────────────►─┤  │
//!             │                              frame memory (NB Sram banks, 26 b) ◄────┘  │
//!  rd (addr) ─┼─► bounds check ─► bank read ─► [reg per bank] ─► mux ─► [fifo] ─► decode ─┼─► blk (word, 16 pixels, err)
//!             └──────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! # Ports and timing
//! Streams are `<name>_valid` / `<name>_ready` / `<name>_<field>`; a word moves on a rising
//! `clk` edge where valid and ready are both high. Every output is a register or a function of
//! registers only (no input-to-output path). `rst` is synchronous, active high, and clears all
//! state but the memories' contents. Port widths are the same in every preset.
//!
//! - `cfg` (`cfg_width`, `cfg_height`: 11 bits each; `cfg_load`): a frame, taken while
//!   `cfg_ready` (idle). The size is checked in the 3 cycles after: W and H nonzero multiples of 4,
//!   W at most the preset's `max_width`, (W/4)(H/4) blocks at most the memory's
//!   `frame_blocks`. A bad size is refused: `error` rises (until the next frame is taken), the
//!   unit goes back to idle and the memory keeps the last frame. A good one clears `error`,
//!   and the unit takes the frame:
//! - `in` (`in_data`, 8 bits): with `cfg_load` = 0, W x H pixels in raster order. `in_ready`
//!   stays high for every pixel of the frame but one whose block would be a fifth one pending
//!   (taken and not yet out on `out`): with `out` flowing, **one pixel a clock, never
//!   stalled**; held back, the encoder still takes the pixels of rows 0-2 of a block row and
//!   waits at the last pixel of a block.
//! - `out` (`out_data` 26 bits, `out_addr` 16, `out_last`): the frame's block words in raster
//!   block order (block k = by W/4 + bx, its address), `out_last` on the last one. A block's
//!   word is in the frame memory when it is offered on `out`.
//! - `ld` (`ld_data`, 26 bits): with `cfg_load` = 1, the frame's (W/4)(H/4) block words in
//!   raster order, written into the memory as they are, one a clock (`ld_ready` high while the
//!   frame lasts): a frame kept elsewhere (an `.nfc` file) made readable.
//! - `rd` (`rd_addr`, 16 bits) and `blk`: read block `rd_addr` of the frame in memory (the
//!   last one taken; during a frame, the new one's size): its word on `blk_word` and its 16
//!   pixels decoded, pixel i in bits 8i..8i+7 of `blk_lo` (i < 8) or of `blk_hi` (i - 8).
//!   An address at or past the frame's block count gets `blk_err` with everything else 0.
//!   One read a clock; responses in order, each 3 cycles after its request at the earliest;
//!   at most 4 outstanding (issued, not yet taken), `rd_ready` low at 4.
//!   A read returns the word in memory when it executes: during an encoding, a block already
//!   out on `out` reads as the new frame's, a block not yet encoded as the previous frame's.
//! - `busy`: a frame is being checked, taken or written. `cfg_ready` rises again once the
//!   frame's last word is in memory.
//!
//! Latency: the last pixel of a block to its word on `out`, 7 cycles. The encoder's pipeline:
//! the pixel and the line-buffer read (s1), the column registered (s2), its min and max (s3),
//! the column gathered into the block with the block's running min and max (s4), the word
//! computed from them (using `2 p >= mx + mn` for `p - mn >= th`) and registered (s5), then
//! written into the memory and the output FIFO at once. A read: the request and the read of
//! the addressed bank, the word registered at that bank's output, then the bank picked and
//! the word pushed into the response FIFO. Every step is a register for the clock: the
//! `navion` preset's goal is 100 MHz on the ECP5 (a register behind each bank keeps the block
//! RAMs' slow clock-to-output apart from the banks' multiplexer: 84.9 MHz with the multiplexer
//! between the block RAMs and one register, see `budgets.toml`).
//!
//! # Widths
//! Pixels 8 bits, p5 and mn and max 5, th at most 16 (5 bits), `mx + mn` 6 bits, `2 p` 6
//! bits, `mn + 2 th` 6 bits (saturated to 31), a word 26. Counters: x 10 bits, y 11, block
//! addresses 16, (W/4)(H/4) checked as a 9 x 9-bit product (18 bits).
//!
//! # Memories (documented choice)
//! Both memories are inside the unit, `Sram`s that synthesis maps to block RAM:
//! - the line buffer, three rows of `max_width` x 5 bits (the fourth row of a block row is the
//!   pixel arriving): `navion` 3 x 1024 x 5 bits (1.9 kB; Navion's 752-pixel rows took 1.4 kB),
//!   `small` 3 x 64 x 5;
//! - the frame memory, one frame of `frame_blocks` x 26 bits: `navion` 22560 blocks (752 x 480,
//!   73.3 kB) in 12 banks of 2048 words (blocks 2048 k ..= 2048 k + 2047 in bank k; 36 of the
//!   ECP5-25k's 56 DP16KD), each bank read into a 26-bit register of its own; `small` 192
//!   (64 x 48, 624 B) in one bank. One frame only: a
//!   tracker reading the previous frame while the next is encoded needs two (a second memory,
//!   or the ECP5-85k). The iCE40s' block RAM (128 kbit on the HX8K) does not hold a `navion`
//!   frame: there the budgets hold `small`.

mod rtl;

use crate::{EmitError, Emitted, RtlSim, Unit};
use serde::{Deserialize, Serialize};

pub const UNIT: Unit = Unit {
    name: "navion_codec",
    summary: "Navion frame codec: pixels in at one a clock, 26-bit 4 x 4 blocks into an on-chip frame memory and out, any block read back decoded",
    presets: &["navion", "small"],
    simulated: &["navion", "small"],
    synth_preset: "navion",
    netlist: true,
    config_type: "CodecConfig",
    stimulus: "navion::codec_driver::stimulus",
    config: |p| crate::config_json(CodecConfig::preset(p)),
    emit,
    rust_hdl_sim,
};

/// The codec's hardware configuration (fixed at generation time; the frame size is per frame).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodecConfig {
    /// The widest frame, pixels: the depth of each line-buffer row (a multiple of 4, 4..=1024).
    pub max_width: u32,
    /// Blocks the frame memory holds (1..=32768): a W x H frame fits when (W/4)(H/4) does.
    pub frame_blocks: u32,
}

/// The widest frame any preset may take (the 11-bit `cfg_width`, the 10-bit column counter).
pub const MAX_WIDTH: u32 = 1024;
/// The most blocks a frame memory may hold (16-bit block addresses, 15-bit memory address).
pub const MAX_FRAME_BLOCKS: u32 = 32768;

impl CodecConfig {
    /// Frames up to 1024 wide; the memory holds one 752 x 480 frame (EuRoC's camera), or any
    /// frame of as many blocks or fewer.
    pub fn navion() -> Self {
        Self { max_width: 1024, frame_blocks: (752 / 4) * (480 / 4) }
    }

    /// For tests: frames up to 64 wide, the memory one 64 x 48 frame.
    pub fn small() -> Self {
        Self { max_width: 64, frame_blocks: (64 / 4) * (48 / 4) }
    }

    /// Names of the presets, in the registry's order.
    pub const PRESETS: &'static [&'static str] = &["navion", "small"];

    pub fn preset(name: &str) -> Result<Self, EmitError> {
        match name {
            "navion" => Ok(Self::navion()),
            "small" => Ok(Self::small()),
            _ => Err(EmitError::UnknownPreset {
                unit: UNIT.name.into(),
                preset: name.into(),
                known: UNIT.presets.join(", "),
            }),
        }
    }

    /// Checks the configuration against what the description supports, saying what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_width == 0 || !self.max_width.is_multiple_of(4) || self.max_width > MAX_WIDTH {
            return Err(format!("max_width = {} is not a multiple of 4 in 4..={MAX_WIDTH}", self.max_width));
        }
        if self.frame_blocks == 0 || self.frame_blocks > MAX_FRAME_BLOCKS {
            return Err(format!("frame_blocks = {} is outside 1..={MAX_FRAME_BLOCKS}", self.frame_blocks));
        }
        Ok(())
    }

    /// Why a W x H frame is refused (`error`), or `Ok` when the unit takes it.
    pub fn check_frame(&self, width: u32, height: u32) -> Result<(), String> {
        if width == 0 || height == 0 || !width.is_multiple_of(4) || !height.is_multiple_of(4) {
            return Err(format!("the frame is {width} x {height}: W and H must be nonzero multiples of 4"));
        }
        if width > self.max_width {
            return Err(format!("the frame is {width} pixels wide: the codec takes at most {}", self.max_width));
        }
        if height >= 1 << 11 {
            return Err(format!("the frame is {height} pixels high: the codec takes at most 2044"));
        }
        let blocks = (width / 4) * (height / 4);
        if blocks > self.frame_blocks {
            return Err(format!(
                "the {width} x {height} frame has {blocks} blocks: the frame memory holds {}",
                self.frame_blocks
            ));
        }
        Ok(())
    }
}

/// Which generated type a configuration is: one concrete codec per supported shape.
macro_rules! with_codec {
    ($hw:expr, $preset:expr, |$t:ident| $body:expr) => {{
        let hw: &CodecConfig = $hw;
        hw.validate().map_err(|reason| EmitError::InvalidConfig { unit: UNIT.name.into(), reason })?;
        match (hw.max_width, hw.frame_blocks) {
            (1024, 22560) => {
                type $t = rtl::NavionCodec<10, 1024, 11, 2048, 12, 22560>;
                $body
            }
            (64, 192) => {
                type $t = rtl::NavionCodec<6, 64, 8, 192, 1, 192>;
                $body
            }
            _ => Err(EmitError::InvalidConfig {
                unit: UNIT.name.into(),
                reason: format!(
                    "no generated shape for max_width {} and {} frame blocks (preset `{}`)",
                    hw.max_width, hw.frame_blocks, $preset
                ),
            }),
        }
    }};
}

fn emit(preset: &str) -> Result<Emitted, EmitError> {
    let hw = CodecConfig::preset(preset)?;
    let config = serde_json::to_value(&hw).expect("config serializes");
    with_codec!(&hw, preset, |T| crate::emit::emit_block(&T::built(), UNIT.name, preset, config))
}

fn rust_hdl_sim(preset: &str) -> Result<Box<dyn RtlSim>, EmitError> {
    let hw = CodecConfig::preset(preset)?;
    with_codec!(&hw, preset, |T| Ok(T::rust_hdl_sim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_validate_and_frames_are_checked() {
        for p in CodecConfig::PRESETS {
            CodecConfig::preset(p).unwrap().validate().unwrap();
        }
        let n = CodecConfig::navion();
        assert!(n.check_frame(752, 480).is_ok());
        assert!(n.check_frame(1024, 352).is_ok(), "22528 blocks fit 22560");
        assert!(n.check_frame(1024, 356).unwrap_err().contains("frame memory"));
        assert!(n.check_frame(1028, 4).unwrap_err().contains("at most 1024"));
        assert!(n.check_frame(6, 4).unwrap_err().contains("multiples of 4"));
        assert!(n.check_frame(0, 4).is_err());
        assert!(CodecConfig { max_width: 1028, frame_blocks: 1 }.validate().is_err());
        assert!(CodecConfig { max_width: 64, frame_blocks: 0 }.validate().is_err());
        assert!(CodecConfig::preset("huge").is_err());
    }
}

