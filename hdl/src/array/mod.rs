//! The Eyeriss PE array and its network on chip (unit `eyeriss_array`).
//!
//! R x C processing elements (`eyeriss_pe`, unchanged but for where its psum_in goes: see
//! that unit) with the chip's three global input networks (filter, ifmap, psum), its global
//! output network and its local psum links:
//!
//! ```text
//!            filt/ifmap/psum word + (row, col) tag
//!                          │
//!                   [Y-bus register]──────── row ID compare per row (X-bus controller)
//!                          │
//!        ┌──── X-bus r ────┼──────────────┐   column ID compare per PE
//!        ▼                 ▼              ▼
//!   PE(r,0) ◄─link─ ... PE(r,c) ◄── link ── PE(r+1,c)  (psum from the PE below, if selected)
//!        │                 │
//!        └──── psums leaving a column ────► output network register ──► out (row, col, data)
//! ```
//!
//! Rows are numbered from the top (row 0) down; the local link carries a psum from PE
//! (r+1, c) up to PE (r, c).
//!
//! # IDs (set per layer through the ID port)
//! A word-wide port, not a scan chain: `id_valid` with `id_kind`, `id_row`, `id_col` and
//! `id_data` writes one 16-bit register a cycle (any time; the IDs in force are those of the
//! last edge). Reset clears them all: every PE is disabled.
//! - **Row word** (`id_kind` = 1, row `id_row`): bits 0-3 the row's filter ID, 4-7 its ifmap
//!   ID, 8-11 its psum ID (the X-bus multicast controllers compare a word's row tag with
//!   them).
//! - **PE word** (`id_kind` = 0, PE (`id_row`, `id_col`)): bits 0-3 the PE's filter column ID,
//!   4-8 its ifmap column ID (5 bits, as in the chip: ifmap rows go to diagonals, up to 24
//!   of them on 12 x 14), 9-12 its psum column ID, bit 13 `link` (take psum_in from the PE
//!   below instead of the psum bus; ignored in the bottom row), bit 14 `enable`.
//!
//! The configuration state is R row words of 12 bits and R*C PE words of 15 bits: 2,664 bits
//! for `eyeriss_v1` (written as 180 words), 201 for `small` (15 words), 66 for `tiny`
//! (6 words). The chip used a 1,794-bit scan chain for all of its layer configuration.
//!
//! # Input networks
//! A word on `filt_*`, `ifmap_*` or `psum_*` (valid/ready, tag `row` + `col`, 16-bit data)
//! enters the bus register when it is empty or emptying (`*_ready` is a function of that
//! register and of the PEs' FIFOs only). The next cycle it is delivered to every
//! *destination*: every enabled PE whose row's ID equals the row tag and whose own column ID
//! equals the column tag (for the psum bus, only PEs that do not take their psum_in from
//! the link). It moves only when every destination's FIFO has room; then each destination
//! takes it on the same edge (delivery takes one cycle). A word with no destination moves
//! at once and reaches nobody. So: unicast is a unique (row, col) ID pair; a row multicast is
//! one row ID on one row and the same column ID on several of its PEs; a column multicast the
//! same row ID on several rows; a broadcast one ID everywhere.
//!
//! **Bus width.** 16 bits (one word and its tag) on all three input buses, where the chip
//! has 64 bits for filters and psums. The PE's FIFOs take one word a cycle and the PE uses at
//! most one filter word a cycle, so a 64-bit bus would need a 4-word write side in every PE's
//! FIFOs (168 x 2 FIFOs four times as wide) and buys bandwidth only when consecutive words
//! go to different PEs. With row-stationary multicast a filter word reaches a whole row at
//! once, and a pass's filter load (p*q*S words per PE) is 1/E of its MAC time; the mapper's
//! cycle estimate accounts for the narrower bus. (Recorded for the accelerator issue, which
//! can widen it if its measured load time says so.)
//!
//! # Output network and local links
//! A PE's psums go up its link when the PE above has `link` set, otherwise out of the
//! column to the output network. The output network has one register: each cycle it is
//! empty or emptying, it takes one waiting psum, by fixed priority: the last column (highest
//! index) with one, and in a column the lowest PE (highest row). `out_row` and `out_col` say
//! which PE it left from. PE order is by priority, but each PE's psums come out in its order.
//!
//! # Passes
//! `pass_valid` with `pass_s` .. `pass_shift` (the PE's `cfg_*`) goes to every enabled PE at
//! once, when all of them are idle (`pass_ready`). `cfg_error`: an enabled PE refused it.
//! `busy`: a PE is busy. `active_pes`: the number of enabled PEs (disabled PEs never get a
//! word or a configuration, so they stay idle: their registers hold, the clock-enable a
//! gated PE has).
//!
//! # Counters (32-bit, wrap, cleared by `rst`)
//! `filt_words`, `ifmap_words`, `psum_words`: words moved on each input bus (a word reaching 7
//! PEs counts once); `filt_deliveries`, `ifmap_deliveries`, `psum_deliveries`: PE FIFO writes
//! they made (7 for that word); `out_words`: psums out of the array; `link_transfers`: psums
//! moved over the local links. Each PE's own counters (`eyeriss_pe`) through the select port:
//! drive `sel_row`, `sel_col`; two edges later `sel_*` show that PE's counters as they were
//! two edges before (a registered mux in the column, another at the top).
//!
//! Every output is a register or a function of registers only.

mod rtl;

pub(crate) use rtl::EyerissArray;

use crate::pe::PeConfig;
use crate::{EmitError, Emitted, RtlSim, Unit};
use serde::{Deserialize, Serialize};

pub const UNIT: Unit = Unit {
    name: "eyeriss_array",
    summary: "Eyeriss PE array: R x C PEs, tagged multicast input networks, output network, psum links",
    presets: &["eyeriss_v1", "small", "tiny"],
    simulated: &["eyeriss_v1", "small", "tiny"],
    synth_preset: "tiny",
    netlist: true,
    config_type: "ArrayConfig",
    stimulus: "array::driver::stimulus",
    config: |p| crate::config_json(ArrayConfig::preset(p)),
    emit,
    rust_hdl_sim,
};

/// Bit positions in a PE's ID word.
pub mod id_bits {
    pub const FILT_COL: u32 = 0;
    pub const IFMAP_COL: u32 = 4;
    pub const PSUM_COL: u32 = 9;
    pub const LINK: u32 = 13;
    pub const ENABLE: u32 = 14;
    /// Bit positions in a row's ID word.
    pub const ROW_FILT: u32 = 0;
    pub const ROW_IFMAP: u32 = 4;
    pub const ROW_PSUM: u32 = 8;
}

/// The array's hardware configuration (fixed at generation time).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrayConfig {
    /// PE rows (1..=16).
    pub rows: u32,
    /// PE columns (1..=16).
    pub cols: u32,
    /// Every PE's configuration.
    pub pe: PeConfig,
}

impl ArrayConfig {
    /// Eyeriss v1: 12 x 14.
    pub fn eyeriss_v1() -> Self {
        Self { rows: 12, cols: 14, pe: PeConfig::eyeriss_v1() }
    }

    /// 3 x 4, for tests and FPGAs.
    pub fn small() -> Self {
        Self { rows: 3, cols: 4, pe: PeConfig::eyeriss_v1() }
    }

    /// 2 x 2, the smallest array with links, multicast and an output choice.
    pub fn tiny() -> Self {
        Self { rows: 2, cols: 2, pe: PeConfig::eyeriss_v1() }
    }

    pub fn preset(name: &str) -> Result<Self, EmitError> {
        match name {
            "eyeriss_v1" => Ok(Self::eyeriss_v1()),
            "small" => Ok(Self::small()),
            "tiny" => Ok(Self::tiny()),
            _ => Err(EmitError::UnknownPreset {
                unit: UNIT.name.into(),
                preset: name.into(),
                known: UNIT.presets.join(", "),
            }),
        }
    }

    /// Checks the shape against what the description supports (4-bit row and column tags).
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=16).contains(&self.rows) || !(1..=16).contains(&self.cols) {
            return Err(format!("{} x {} PEs: rows and columns must be 1..=16 (4-bit IDs)", self.rows, self.cols));
        }
        if self.pe != PeConfig::eyeriss_v1() {
            return Err("the array is built of the eyeriss_v1 PE only".into());
        }
        Ok(())
    }

    /// Bits of ID state a layer sets: R row words of 12 bits and R*C PE words of 15.
    pub fn id_bits(&self) -> u32 {
        self.rows * 12 + self.rows * self.cols * 15
    }
}

/// One PE's IDs and settings, as the ID port's PE word.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeIds {
    pub enable: bool,
    /// Take psum_in from the PE below (over the local link) instead of the psum bus.
    pub link: bool,
    pub filt_col: u8,
    pub ifmap_col: u8,
    pub psum_col: u8,
}

impl PeIds {
    pub fn word(&self) -> u16 {
        (self.filt_col as u16 & 0xf) << id_bits::FILT_COL
            | (self.ifmap_col as u16 & 0x1f) << id_bits::IFMAP_COL
            | (self.psum_col as u16 & 0xf) << id_bits::PSUM_COL
            | (self.link as u16) << id_bits::LINK
            | (self.enable as u16) << id_bits::ENABLE
    }
}

/// One row's IDs, as the ID port's row word.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowIds {
    pub filt: u8,
    pub ifmap: u8,
    pub psum: u8,
}

impl RowIds {
    pub fn word(&self) -> u16 {
        (self.filt as u16 & 0xf) << id_bits::ROW_FILT
            | (self.ifmap as u16 & 0xf) << id_bits::ROW_IFMAP
            | (self.psum as u16 & 0xf) << id_bits::ROW_PSUM
    }
}

fn built(preset: &str) -> Result<rtl::EyerissArray, EmitError> {
    let hw = ArrayConfig::preset(preset)?;
    hw.validate().map_err(|reason| EmitError::InvalidConfig { unit: UNIT.name.into(), reason })?;
    Ok(rtl::EyerissArray::built(&hw))
}

fn emit(preset: &str) -> Result<Emitted, EmitError> {
    let hw = ArrayConfig::preset(preset)?;
    let config = serde_json::to_value(&hw).expect("config serializes");
    // The top and each column compute their buses' `ready` and take the `go` made from it:
    // their combinational logic is split a variable a block, so Verilator sees no false loop.
    crate::emit::emit_block_split(&built(preset)?, UNIT.name, preset, config, &["top", "column"])
}

fn rust_hdl_sim(preset: &str) -> Result<Box<dyn RtlSim>, EmitError> {
    Ok(Box::new(crate::sim::Stepper::new(built(preset)?)))
}
