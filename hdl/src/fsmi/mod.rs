//! FSMI: the Shannon mutual information between an occupancy map and the range scan a robot
//! would take at a pose (issue 15; Zhang et al. ICRA 2019, Li et al. RSS 2019). The map sits in
//! on-chip memory split into banks; `C` MI cores walk one beam each, in lockstep, and the pose's
//! MI comes out with its cycle count. Bit for bit the fixed-point golden model
//! `edgertl_sim::fsmi::fixed::FixedModel`; the bank conflicts are those of
//! `edgertl_sim::fsmi::banks::pose_conflicts`.
//!
//! ```text
//!  ld (kind, addr, data) ─┬─► map banks 0..NB-1 (8-bit codes) ◄── arbiter ◄── req (bank, addr) ─┐
//!                         ├─► every core's tables (occ, f_occ, f_emp)     └──► code ──► core c ─┤ x C
//!                         ├─► core (b mod C)'s beam tables (entry b / C)                        │
//!                         └─► registers (H, W, range, B, skew, shift)       acc ─► sum ─► res ◄─┘
//!  pose (row, col) ──► state machine: rounds of C beams ──► res (MI, cycles, steps, stalls, conflicts)
//! ```
//!
//! # Ports and timing
//! Streams are `<name>_valid` / `<name>_ready` / `<name>_*`: a word moves on a rising `clk`
//! edge where valid and ready are both high. Every output is a function of registers only.
//! `rst` is synchronous, active high; it clears every register but keeps the map, the tables
//! and the beam tables (memories: every word is written through `ld` before a pose reads it).
//!
//! - `ld_valid` / `ld_ready` / `ld_kind` (3 bits) / `ld_addr` (16) / `ld_data` (64): taken
//!   while the unit is idle (`ld_ready`, as `pose_ready`). Kinds:
//!   - 0 map cell: `ld_addr` = {row[15:8], col[7:0]}, `ld_data[7:0]` its code (1..=254).
//!   - 1 table entry: `ld_addr[7:0]` = the code q, `ld_data[47:0]` = {f_emp[q], f_occ[q],
//!     occ[q]}, 16 bits each (written into every core's copy).
//!   - 2 / 3 beam x / y: `ld_addr` = the beam b (core b mod C, entry b / C), `ld_data[32:0]` =
//!     {step negative, delta U12.20}.
//!   - 4 geometry: `ld_data` = {W[63:48], H[47:32], range U12.20 [31:0]}.
//!   - 5 parameters: `ld_data` = {shift[29:24], skew[16 +: log2 NB], beams B[15:0]}, where
//!     shift = 23 + f_frac - 32 (the product's cut to U.32 nats) and skew is the bank step of
//!     a row (below). Kinds 6 and 7 are ignored.
//! - `pose_valid` / `pose_ready` / `pose_row` (8) / `pose_col` (8): a pose; taken while idle.
//! - `res_valid` / `res_ready` / `res_mi` (64, U.32 nats) / `res_cycles` (32) / `res_steps`
//!   (32) / `res_stalls` (32) / `res_conflicts` (32) / `res_error`: the pose's result, shown
//!   until taken. `res_error`: the pose was outside the H x W map (the other fields 0, one
//!   cycle of work). The fields keep their values after the handshake until the next pose.
//!
//! # The computation (per core, as `FixedModel`)
//! A pose's B beams go in rounds of C: round r gives core c beam r C + c (neighbouring beams
//! together, `Assignment::Contiguous`). At a round's start a core reads its beam's entry and
//! starts from the pose's cell with t_x = delta_x >> 1, t_y = delta_y >> 1 (U12.20, 32 bits).
//! Each step it moves one cell (x when t_x < t_y, else y; the beam ends when the step starts
//! at t >= range or leaves the map) and reads that cell's code: granted in cycle t, the cell's
//! address is in its bank's address register at t + 1, the bank reads it (the code at t + 2)
//! and registers the code in its output register (t + 3; see the arbiter below). Per code q,
//! in a 9-stage pipeline (every stage registered; the only loop is stage 4's V): 1 the code
//! (from the output register of the bank of the grant, a 1-of-NB multiplexer) into a register; 2 its table entry read; 3 the entry into registers:
//! occn[q] = 2^16 - occ[q] (U0.16: the table stores occn, the load port takes occ), f_occ[q]
//! and f_emp[q] (16 bits at 2^-f_frac nats); 4 V' = (V occn + 2^15 - 1) >> 16, which is
//! V - round(V occ / 2^16), with V (U1.23, 24 bits, 1.0 at a beam's first cell, where V' =
//! occn << 7) times occn as two 16 x 16 products, C = f_occ + S (S: the sum of f_emp so far,
//! below 2^27, in 32 bits), S += f_emp; 5 P = V - V'; 6 P C (below 2^52) as four 16 x 16
//! products; 7 their 64-bit sum; 8 the term, shifted right by `shift`; 9 the 64-bit
//! accumulator. After the last round and the pipelines' drain, the C accumulators shift
//! into one 64-bit sum, C cycles. Codes 0 and 255 are not map codes (their occn would wrap).
//!
//! # Banks and the arbiter
//! NB single-port banks of 2^(2M - log2 NB) 8-bit words; maps up to 2^M x 2^M. Cell (row, col)
//! is in bank `(col + skew row) mod NB` at address {row[M-1:0], col[M-1:log2 NB]} (unique: in
//! a row, the bank fixes col mod NB). The skew is a register: the diagonal pattern of
//! `edgertl_sim::fsmi::banks` (`Banking::Diagonal { skew }`, 6 for 16 or 32 banks) or row-major,
//! `(row W + col) mod NB`, which is the same function with skew = W mod NB (the word's address
//! in its bank differs from a row-major memory's, not its bank, so the conflicts are
//! row-major's). The cores walk in lockstep: in a step every live core asks for its cell; each
//! cycle each bank serves one address (its highest-numbered requester's) and every core asking
//! for that address (the same cell) is served with it; the step ends in the cycle its last
//! request is served, and every core then moves on. Each bank registers the address it
//! serves (an OR of its granted cores' addresses) and reads it the next cycle; its code goes
//! through the bank's output register to the cores: the grant's address selection, the block
//! RAM and the cores' code multiplexers are each in a cycle of their own (the data arrive
//! later, the grants and steps are the same cycle for cycle). The arbiter is registered: while a step
//! runs, each core's next cell (bank, address, whether its beam goes on) is compared with every
//! other core's, and at the step's end a C x C matrix `lose` is registered (bit d of row c:
//! core d's next cell is in c's bank but another cell, and d is above every core going to c's
//! cell). A core is granted while it asks and no core of its row asks: a grant is an AND-OR of
//! registers, and the comparisons are off the grant's path. A step of a round takes as many cycles as
//! its busiest bank has distinct cells: the cycles beyond one are **stalls**, a step with one
//! is a **conflict** (`res_stalls`, `res_conflicts`, `res_steps` count them per pose, as
//! `banks::pose_conflicts`).
//!
//! # Cycles
//! A pose takes 1 (read the first beams) + per round 3 (start, first step of the traversal,
//! end) + its steps and stalls, then the pipeline's drain (11 cycles after a last round that
//! read a cell: the bank's 2 registers and the 9 stages; a round since takes 3 of them, at
//! least 1 cycle) and C cycles of sum: `res_cycles` counts every cycle from the pose's edge to
//! the result's (`edgertl_sim::fsmi::driver::expected_cycles` is the formula the tests hold
//! it to).
//!
//! # Widths
//! Coordinates M + 1 bits (stepping off either edge wraps above W), bank index log2 NB, bank
//! address (and each bank's address register) 2M - log2 NB, codes (a bank's output register)
//! 8, distances and range 32 (U12.20), beams 16 (at most C 2^beam_bits), V, V' and P 24, occn and the f entries 16, S and C 32, products 32 each, their sum, the
//! term and accumulators 64, counters 32.

mod rtl;

use crate::{EmitError, Emitted, RtlSim, Unit};
use serde::{Deserialize, Serialize};

pub const UNIT: Unit = Unit {
    name: "fsmi",
    summary: "FSMI mutual information: banked occupancy map (diagonal banks), C beam cores in lockstep, MI per pose",
    presets: &["paper", "small"],
    simulated: &["paper", "small"],
    synth_preset: "small",
    netlist: true,
    config_type: "FsmiHwConfig",
    stimulus: "fsmi::driver::stimulus",
    config: |p| crate::config_json(FsmiHwConfig::preset(p)),
    emit,
    rust_hdl_sim,
};

/// The FSMI unit's hardware configuration (fixed at generation time).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsmiHwConfig {
    /// MI cores walking a beam each (a power of two, 1..=64).
    pub cores: u32,
    /// Map banks (a power of two, 2..=64, fewer than 2^map_bits).
    pub banks: u32,
    /// The largest map is 2^map_bits x 2^map_bits cells (1..=8).
    pub map_bits: u32,
    /// Each core holds 2^beam_bits beams: B <= cores 2^beam_bits.
    pub beam_bits: u32,
    /// The diagonal pattern's skew the drivers load by default (row-major: W mod banks).
    pub skew: u32,
}

impl FsmiHwConfig {
    /// The chip's shape (RSS 2019: 16 cores, maps up to 256 x 256 for the 200 x 200 office,
    /// 32 beams a core, 512 a pose) with 32 banks instead of its 16 (the same 32 block RAMs of
    /// 2,048 bytes on an ECP5; half the stalls), skew 6.
    pub fn paper() -> Self {
        Self { cores: 16, banks: 32, map_bits: 8, beam_bits: 5, skew: 6 }
    }

    /// Tests and small FPGAs: 4 cores, 4 banks, maps up to 32 x 32, 64 beams, skew 2.
    pub fn small() -> Self {
        Self { cores: 4, banks: 4, map_bits: 5, beam_bits: 4, skew: 2 }
    }

    pub fn preset(name: &str) -> Result<Self, EmitError> {
        match name {
            "paper" => Ok(Self::paper()),
            "small" => Ok(Self::small()),
            _ => Err(EmitError::UnknownPreset { unit: UNIT.name.into(), preset: name.into(), known: UNIT.presets.join(", ") }),
        }
    }

    /// The most beams a pose can have.
    pub fn max_beams(&self) -> u32 {
        self.cores << self.beam_bits
    }

    /// The largest map side, in cells.
    pub fn max_side(&self) -> u32 {
        1 << self.map_bits
    }

    /// Checks the configuration against what the description supports, saying what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if !self.cores.is_power_of_two() || self.cores > 64 {
            return Err(format!("cores = {} is not a power of two in 1..=64", self.cores));
        }
        if !self.banks.is_power_of_two() || !(2..=64).contains(&self.banks) {
            return Err(format!("banks = {} is not a power of two in 2..=64", self.banks));
        }
        if !(1..=8).contains(&self.map_bits) || self.banks >= 1 << self.map_bits {
            return Err(format!("map_bits = {} is outside 1..=8 or leaves fewer columns than banks ({})", self.map_bits, self.banks));
        }
        if !(1..=10).contains(&self.beam_bits) {
            return Err(format!("beam_bits = {} is outside 1..=10", self.beam_bits));
        }
        if self.skew >= self.banks {
            return Err(format!("skew = {} is not below the banks ({})", self.skew, self.banks));
        }
        Ok(())
    }
}

/// Which generated type a configuration is: one concrete `Fsmi` per supported shape.
macro_rules! with_fsmi {
    ($hw:expr, $preset:expr, |$t:ident| $body:expr) => {{
        let hw: &FsmiHwConfig = $hw;
        hw.validate().map_err(|reason| EmitError::InvalidConfig { unit: UNIT.name.into(), reason })?;
        match (hw.cores, hw.banks, hw.map_bits, hw.beam_bits) {
            (16, 32, 8, 5) => {
                type $t = rtl::Fsmi<16, 4, 32, 5, 8, 9, 11, 2048, 5, 32>;
                $body
            }
            (4, 4, 5, 4) => {
                type $t = rtl::Fsmi<4, 2, 4, 2, 5, 6, 8, 256, 4, 16>;
                $body
            }
            _ => Err(EmitError::InvalidConfig {
                unit: UNIT.name.into(),
                reason: format!(
                    "no generated shape for {} cores, {} banks, map_bits {}, beam_bits {} (preset `{}`)",
                    hw.cores, hw.banks, hw.map_bits, hw.beam_bits, $preset
                ),
            }),
        }
    }};
}

fn emit(preset: &str) -> Result<Emitted, EmitError> {
    let hw = FsmiHwConfig::preset(preset)?;
    let config = serde_json::to_value(&hw).expect("config serializes");
    // The cores' combinational logic is split a variable a block: their next cell (read by
    // the arbiter) does not depend on the step's end (which the arbiter drives), but one
    // block for both is a false loop to Verilator.
    with_fsmi!(&hw, preset, |T| crate::emit::emit_block_split(&T::built(), UNIT.name, preset, config, &["cores"]))
}

fn rust_hdl_sim(preset: &str) -> Result<Box<dyn RtlSim>, EmitError> {
    let hw = FsmiHwConfig::preset(preset)?;
    with_fsmi!(&hw, preset, |T| Ok(T::rust_hdl_sim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_validate_and_bad_configs_say_why() {
        for p in UNIT.presets {
            FsmiHwConfig::preset(p).unwrap().validate().unwrap();
        }
        let bad = FsmiHwConfig { cores: 3, ..FsmiHwConfig::small() };
        assert!(bad.validate().unwrap_err().contains("cores = 3"));
        let bad = FsmiHwConfig { banks: 64, map_bits: 5, ..FsmiHwConfig::small() };
        assert!(bad.validate().unwrap_err().contains("map_bits"));
        let bad = FsmiHwConfig { skew: 4, ..FsmiHwConfig::small() };
        assert!(bad.validate().unwrap_err().contains("skew"));
        assert!(matches!(FsmiHwConfig::preset("huge"), Err(EmitError::UnknownPreset { .. })));
        assert_eq!(FsmiHwConfig::paper().max_beams(), 512);
    }
}
