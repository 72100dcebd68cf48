//! The Eyeriss global buffer (GLB): banked on-chip SRAM for ifmaps and psums, plus a
//! double-buffered filter store.
//!
//! - `banks` banks of `words_per_bank` x 64 bit (Eyeriss v1: 25 x 512 x 64, 100 kB) hold
//!   ifmaps and psums. Each bank is given **wholly** to ifmaps or to psums by the per-bank
//!   mask `psum_banks` (bit k set: bank k holds psums), loaded from `cfg_psum_banks` on a
//!   cycle with `cfg_valid` (reset: every bank holds ifmaps).
//! - 2 filter banks of `words_per_bank` x 64 bit (Eyeriss v1: 8 kB) form a double buffer:
//!   the array reads the *active* bank (`filt_active`) while the next pass's filters load
//!   into the other one; `filt_swap` exchanges the two.
//!
//! ```text
//!                      ┌──────────────────────────── glb ─────────────────────────────┐
//!  wr (bank,addr,psum,data) ─► [fifo] ─┐                                               │
//!                                      ├─► arbiter ─► bank 0 .. bank NB-1 ─┐           │
//!  rd (bank,addr,psum) ─────► [fifo] ─┘   (kind check: psum_banks mask)    └─► [fifo] ─┼─► rd_resp (data, err)
//!  filt_wr (addr,data) ─────► [fifo] ─► loading filter bank  ┐  filt_swap ◄──           │
//!  filt_rd (addr) ──────────► [fifo] ─► active filter bank  ─┴────────────────► [fifo] ─┼─► filt_rd_resp (data)
//!                      └───────────────────────────────────────────────────────────────┘
//! ```
//!
//! # Ports and timing
//! Streams are `<name>_valid` / `<name>_ready` / `<name>_data` (plus `_bank`, `_addr`,
//! `_psum` request fields); a request moves on a rising `clk` edge where valid and ready are
//! both high. Every request port and every response stream goes through a 4-word FIFO, so
//! **every output is a register or a function of registers only** (no input-to-output path):
//! a driver may decide this cycle's inputs from the outputs seen after the last edge.
//! `rst` is synchronous, active high, and clears all state but the SRAM contents.
//!
//! - `wr`: write `wr_data` to word `wr_addr` of bank `wr_bank`, only the 16-bit lanes whose
//!   bit is set in `wr_mask` (bit k: bits `16k .. 16k+15`; the accelerator writes single
//!   16-bit words); `wr_psum` says whether the request is psum (1) or ifmap (0) traffic. A
//!   write with an empty mask still takes its bank cycle and counts as a write.
//! - `rd`: read word `rd_addr` of bank `rd_bank` (`rd_psum` as for `wr`). Every accepted read
//!   gets exactly one response on `rd_resp` (`rd_resp_data`, `rd_resp_err`), in request order.
//! - `filt_wr`: write `filt_wr_data` to word `filt_wr_addr` of the *loading* filter bank,
//!   the lanes of `filt_wr_mask` only.
//! - `filt_rd`: read word `filt_rd_addr` of the *active* filter bank; one response each on
//!   `filt_rd_resp`, in order.
//! - `filt_swap`: exchange the active and loading filter banks. `filt_swap_ready` is high only
//!   while both filter request FIFOs are empty, so every filter request accepted before the swap
//!   has executed against the old assignment, and every request accepted at the swap's edge or
//!   later executes against the new one. Responses already in flight are unaffected.
//! - `cfg_valid` / `cfg_psum_banks`: always accepted; the mask takes effect at that edge.
//!   Requests are checked against the mask in force when they *execute* (leave their FIFO),
//!   not when they were accepted.
//!
//! A request executes when it is at the head of its FIFO. Each bank is a single-port SRAM:
//! **one access per cycle**. A read executes one cycle and its data enters the response FIFO
//! the next; a read executes only while fewer than 4 responses are outstanding (issued, not yet
//! taken by the consumer), so the response FIFO never overflows and back-pressure on `rd_resp`
//! stalls reads, never loses them. Full throughput: one write and one read to different banks,
//! one filter write and one filter read, every cycle.
//!
//! # Wrong-kind and out-of-range accesses
//! A request whose `_psum` bit differs from the bank's mask bit, or whose bank is `>= banks`,
//! is **refused**: it leaves its FIFO as usual but does not touch any SRAM; a refused write is
//! dropped, a refused read still gets its response, with `rd_resp_err = 1` and data 0. Each
//! refused request counts once in `bad_accesses`. A refused request takes no bank cycle, so it
//! never conflicts.
//!
//! # Bank conflicts (arbitration policy)
//! When the write head and the read head are both able to execute (kind accepted; for the read,
//! a response slot free) and name the **same bank**, that is a *conflict*: one of them wins,
//! the other stays at the head of its FIFO for the next cycle (its port's `_ready` falls once
//! its FIFO fills). The winner alternates (round-robin between the two ports): the first
//! conflict after reset goes to the write, the next to the read, and so on. `bank_conflicts`
//! counts conflict cycles.
//!
//! # Counters (32-bit, wrap, cleared only by `rst`)
//! - Per bank reads and writes (executed accesses only): drive `cnt_sel` = k; after the next
//!   edge `bank_reads` / `bank_writes` show bank k's counts as they were before that edge
//!   (registered read-out port, so 25 banks do not need 50 counter ports). `cnt_sel >= banks`
//!   reads 0.
//! - `filt_reads`, `filt_writes`: filter-bank accesses, both banks together.
//! - `bank_conflicts`: cycles with a bank conflict (above).
//! - `stall_cycles`: cycles in which at least one request at the head of a FIFO (write, read or
//!   filter read) could not execute: it lost a conflict, or a read waited for a response slot.
//! - `bad_accesses`: refused requests (wrong kind or bank out of range).

mod rtl;

pub(crate) use rtl::Glb;

use crate::{EmitError, Emitted, RtlSim, Unit};
use serde::{Deserialize, Serialize};

pub const UNIT: Unit = Unit {
    name: "glb",
    summary: "Eyeriss global buffer: banked ifmap/psum SRAM with per-bank assignment, double-buffered filter banks",
    presets: &["eyeriss_v1", "tiny", "synth4"],
    simulated: &["eyeriss_v1", "tiny"],
    synth_preset: "eyeriss_v1",
    netlist: false,
    config_type: "GlbConfig",
    stimulus: "glb::driver::stimulus",
    config: |p| crate::config_json(GlbConfig::preset(p)),
    emit,
    rust_hdl_sim,
};

/// The GLB's hardware configuration (fixed at generation time).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlbConfig {
    /// Ifmap/psum banks (1..=32).
    pub banks: u32,
    /// Words in each bank, ifmap/psum and filter alike (a power of two, 2..=512).
    pub words_per_bank: u32,
    /// Bits per word (64).
    pub word_bits: u32,
    /// Filter banks (2: a double buffer).
    pub filter_banks: u32,
}

/// Bits of the bank index on the request ports (`wr_bank`, `rd_bank`, `cnt_sel`).
pub fn bank_addr_bits(banks: u32) -> u32 {
    (32 - (banks.max(2) - 1).leading_zeros()).max(1)
}

impl GlbConfig {
    /// Eyeriss v1 as published (JSSC 2017): 25 banks of 512 x 64 bit, 2 filter banks.
    pub fn eyeriss_v1() -> Self {
        Self { banks: 25, words_per_bank: 512, word_bits: 64, filter_banks: 2 }
    }

    /// A small GLB for fast tests: 4 banks of 16 x 64 bit, 2 filter banks.
    pub fn tiny() -> Self {
        Self { banks: 4, words_per_bank: 16, word_bits: 64, filter_banks: 2 }
    }

    /// Eyeriss v1's bank shape (512 x 64) with only 4 ifmap/psum banks: the same block RAMs
    /// per bank with a fraction of the control logic, so that synthesis tests run fast.
    pub fn synth4() -> Self {
        Self { banks: 4, words_per_bank: 512, word_bits: 64, filter_banks: 2 }
    }

    pub fn preset(name: &str) -> Result<Self, EmitError> {
        match name {
            "eyeriss_v1" => Ok(Self::eyeriss_v1()),
            "tiny" => Ok(Self::tiny()),
            "synth4" => Ok(Self::synth4()),
            _ => Err(EmitError::UnknownPreset {
                unit: UNIT.name.into(),
                preset: name.into(),
                known: UNIT.presets.join(", "),
            }),
        }
    }

    /// Bits of a word address.
    pub fn word_addr_bits(&self) -> u32 {
        self.words_per_bank.trailing_zeros()
    }

    /// Checks the configuration against what the description supports, saying what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=32).contains(&self.banks) {
            return Err(format!("banks = {} is outside 1..=32 (the bank index is at most 5 bits)", self.banks));
        }
        if !self.words_per_bank.is_power_of_two() || !(2..=512).contains(&self.words_per_bank) {
            return Err(format!("words_per_bank = {} is not a power of two in 2..=512", self.words_per_bank));
        }
        if self.word_bits != 64 {
            return Err(format!("word_bits = {} is not supported (only 64)", self.word_bits));
        }
        if self.filter_banks != 2 {
            return Err(format!("filter_banks = {} is not supported (2: a double buffer)", self.filter_banks));
        }
        Ok(())
    }
}

/// Which generated type a configuration is: one concrete [`Glb`] per supported shape.
macro_rules! with_glb {
    ($hw:expr, $preset:expr, |$t:ident| $body:expr) => {{
        let hw: &GlbConfig = $hw;
        hw.validate().map_err(|reason| EmitError::InvalidConfig { unit: UNIT.name.into(), reason })?;
        match (hw.banks, hw.words_per_bank) {
            (25, 512) => {
                type $t = Glb<25, 5, 9, 512>;
                $body
            }
            (4, 16) => {
                type $t = Glb<4, 2, 4, 16>;
                $body
            }
            (4, 512) => {
                type $t = Glb<4, 2, 9, 512>;
                $body
            }
            _ => Err(EmitError::InvalidConfig {
                unit: UNIT.name.into(),
                reason: format!("no generated shape for {} banks of {} words (preset `{}`)", hw.banks, hw.words_per_bank, $preset),
            }),
        }
    }};
}

fn emit(preset: &str) -> Result<Emitted, EmitError> {
    let hw = GlbConfig::preset(preset)?;
    let config = serde_json::to_value(&hw).expect("config serializes");
    with_glb!(&hw, preset, |T| crate::emit::emit_block(&T::built(), UNIT.name, preset, config))
}

fn rust_hdl_sim(preset: &str) -> Result<Box<dyn RtlSim>, EmitError> {
    let hw = GlbConfig::preset(preset)?;
    with_glb!(&hw, preset, |T| Ok(T::rust_hdl_sim()))
}
