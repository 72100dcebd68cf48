//! The Eyeriss v1 processing element (PE).
//!
//! One PE of the 12 x 14 Eyeriss array: 16-bit fixed point, a 224-word filter spad (SRAM),
//! a 12-word ifmap spad and a 24-word psum spad (registers), a 6-stage MAC pipeline and
//! zero gating. It runs the row-stationary 1-D primitive with `p` filters and `q` channels
//! interleaved in the spads:
//!
//! ```text
//! psum[f][e] = psum_in[f][e] + sum over c < q, s < S of trunc(w[f][c][s] * x[c][e*U + s])
//! trunc(v) = low 16 bits of (v >> shift)    (arithmetic shift of the 32-bit product)
//! ```
//!
//! Psum accumulation **wraps** (16-bit two's complement), as a plain adder does; nothing
//! saturates.
//!
//! ```text
//!            cfg ──► ┌──────────────── eyeriss_pe ─────────────────┐
//!  filt  ─► [fifo] ─►│ filter spad 224x16 ──┐                       │
//!  ifmap ─► [fifo] ─►│ ifmap spad 12x16 ────┼─► x*w ─► >>shift ─► + ├─► [fifo] ─► psum_out
//!  psum_in ► [fifo] ─►│ psum spad 24x16 ◄────┴────── stage 6 ◄──────┘│
//!                    └──────────────────────────────────────────────┘
//! ```
//!
//! # A pass, as transactions
//! 1. **Config**: while `cfg_ready`, raise `cfg_valid` with `cfg_s` (S, filter width),
//!    `cfg_u` (U, stride), `cfg_p`, `cfg_q`, `cfg_e` (number of outputs E) and `cfg_shift`.
//!    Legal: 1 <= S <= 12, 1 <= U <= 12, 1 <= p <= 24, 1 <= q <= 12, E >= 1, p*q*S <= 224,
//!    q*S <= 12. An illegal configuration is refused: `cfg_error` rises (and stays up until
//!    the next accepted configuration or reset), the PE stays idle and consumes no data.
//!    Checking p*q*S takes q + p + 1 cycles (it is done by repeated addition, not a
//!    multiplier).
//! 2. **Filters**: p*q*S words on `filt`, in the order `w[f][c][s]` with s fastest:
//!    word `(f*q + c)*S + s`. They stay in the filter spad for the whole pass.
//! 3. For each output e in 0..E:
//!    - **ifmap**: column-major, channel fastest: word `w*q + c` is `x[c][w]`. Output 0 takes
//!      columns 0..S (q*S words); every later output takes the next U columns (q*U words).
//!      The ifmap spad is a sliding window: columns enter at the top and shift down, so a
//!      stride U > S simply shifts the unused columns through;
//!    - **MAC**: p*q*S cycles, one MAC slot a cycle, in the order f, c, s (s fastest), into
//!      psum spad entries that start the output at zero;
//!    - **psum_in / psum_out**: for f = 0..p-1, one psum_in word is taken and the PE's own
//!      sum plus that word goes out on psum_out (one word a cycle while both streams flow);
//!      the spad entry is cleared as it leaves.
//!
//!    The psum_in word is added on the way out, not loaded first, as the chip's PE adds the
//!    psum from the PE below to its own: in an array, the PEs of a column all compute their
//!    rows at once and only the additions ripple up the column, so a multicast ifmap word is
//!    taken by every PE it reaches at about the same time (a PE that waited for the psum from
//!    below before taking its ifmaps would hold up the bus and, with a 4-word FIFO, could
//!    deadlock it).
//!
//! # Pipeline and zero gating
//! Eyeriss v1 describes three stages (spad access, multiply, accumulate). Here the multiply
//! and the accumulate get more, so that the multiplier runs from register to register (a DSP
//! block where the family has one) and the PE passes 60 MHz on an iCE40-HX8K and 120 MHz on an
//! ECP5 after place and route (README, "Synthesis with numbers"):
//! 1. reads the ifmap spad and, unless the ifmap value is zero, the filter spad (block RAM);
//! 2. registers both operands;
//! 3. multiplies (unsigned 16 x 16 -> 32) and, beside it, computes the sign correction;
//! 4. applies the correction: the signed product;
//! 5. shifts and truncates it, and reads the psum it will add to (or takes it from stage 6
//!    when the slot ahead accumulates into the same psum: forwarding);
//! 6. accumulates into the psum spad (add and write).
//!
//! A zero ifmap value *gates* the slot: no filter-spad read, the operand and product
//! registers hold still, no psum read or write; the slot still takes its cycle. The three
//! extra stages cost three cycles of drain per output (before psum_out), not throughput: one
//! MAC slot a cycle.
//!
//! # Counters (32-bit, wrap, cleared only by `rst`)
//! `macs` (MACs done), `macs_gated` (slots gated by a zero), `filt_spad_reads` (one per MAC
//! done), `filt_spad_writes` (one per filter word), `ifmap_spad_reads` (one per slot, gated or
//! not), `ifmap_spad_writes` (one per ifmap word), `psum_spad_reads` (one per MAC done, one per
//! psum_out word), `psum_spad_writes` (one per MAC done, one per psum_out word: the clear).
//!
//! # Ports and timing
//! Streams are `<name>_valid` / `<name>_ready` / `<name>_data`; a word moves on a rising
//! `clk` edge where valid and ready are both high. Every output is a register or a function
//! of registers only (no input-to-output path), so a driver may decide this cycle's inputs
//! from the outputs it saw after the last edge. `rst` is synchronous, active high, and clears
//! all state but the filter spad's SRAM contents (every filter word is written before it is
//! read in a pass). Each FIFO holds 4 words.

mod rtl;

/// The PE's rust-hdl block, for designs that instantiate it (the board top).
pub(crate) use rtl::{build as build_rtl, EyerissPe};

use crate::{EmitError, Emitted, RtlSim, Unit};
use serde::{Deserialize, Serialize};

pub const UNIT: Unit = Unit {
    name: "eyeriss_pe",
    summary:
        "Eyeriss v1 processing element: row-stationary 1-D conv, 224/12/24-word spads, zero gating",
    presets: &["eyeriss_v1"],
    simulated: &["eyeriss_v1"],
    synth_preset: "eyeriss_v1",
    netlist: true,
    config_type: "PeConfig",
    stimulus: "pe::driver::stimulus",
    config: |p| crate::config_json(PeConfig::preset(p)),
    emit,
    rust_hdl_sim,
};

/// The PE's hardware configuration (fixed at generation time).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeConfig {
    /// Bits per ifmap, filter and psum word.
    pub data_bits: u32,
    /// Filter spad words (SRAM).
    pub filter_spad_words: u32,
    /// Ifmap spad words (registers).
    pub ifmap_spad_words: u32,
    /// Psum spad words (registers).
    pub psum_spad_words: u32,
    /// Words each input and output FIFO holds.
    pub fifo_depth: u32,
}

impl PeConfig {
    /// Eyeriss v1 as published (JSSC 2017).
    pub fn eyeriss_v1() -> Self {
        Self {
            data_bits: 16,
            filter_spad_words: 224,
            ifmap_spad_words: 12,
            psum_spad_words: 24,
            fifo_depth: 4,
        }
    }

    pub fn preset(name: &str) -> Result<Self, EmitError> {
        match name {
            "eyeriss_v1" => Ok(Self::eyeriss_v1()),
            _ => Err(EmitError::UnknownPreset {
                unit: UNIT.name.into(),
                preset: name.into(),
                known: UNIT.presets.join(", "),
            }),
        }
    }
}

/// Width of each configuration port, in bits.
pub mod cfg_bits {
    pub const S: u32 = 4;
    pub const U: u32 = 4;
    pub const P: u32 = 5;
    pub const Q: u32 = 4;
    pub const E: u32 = 8;
    pub const SHIFT: u32 = 5;
}

/// The configuration of one pass, as driven on the `cfg_*` ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassConfig {
    /// Filter width S.
    pub s: u32,
    /// Stride U.
    pub u: u32,
    /// Filters interleaved in the spads.
    pub p: u32,
    /// Channels interleaved in the spads.
    pub q: u32,
    /// Outputs (psum columns) this pass computes.
    pub e: u32,
    /// Right shift applied to the 32-bit product before it is cut to 16 bits.
    pub shift: u32,
}

impl PassConfig {
    /// Checks the configuration against the PE's limits, saying what is wrong.
    pub fn validate(&self, hw: &PeConfig) -> Result<(), String> {
        let field = |name: &str, v: u32, lo: u32, hi: u32| {
            if v < lo || v > hi {
                Err(format!("{name} = {v} is outside {lo}..={hi}"))
            } else {
                Ok(())
            }
        };
        field("S (filter width)", self.s, 1, hw.ifmap_spad_words)?;
        field("U (stride)", self.u, 1, 12)?;
        field("p (filters)", self.p, 1, hw.psum_spad_words)?;
        field("q (channels)", self.q, 1, hw.ifmap_spad_words)?;
        field("E (outputs)", self.e, 1, (1 << cfg_bits::E) - 1)?;
        field("shift", self.shift, 0, (1 << cfg_bits::SHIFT) - 1)?;
        if self.q * self.s > hw.ifmap_spad_words {
            return Err(format!(
                "q*S = {} does not fit the {}-word ifmap spad",
                self.q * self.s,
                hw.ifmap_spad_words
            ));
        }
        if self.p * self.q * self.s > hw.filter_spad_words {
            return Err(format!(
                "p*q*S = {} does not fit the {}-word filter spad",
                self.p * self.q * self.s,
                hw.filter_spad_words
            ));
        }
        Ok(())
    }

    /// Ifmap words one pass consumes: q * ((E-1)*U + S).
    pub fn ifmap_words(&self) -> usize {
        (self.q * ((self.e - 1) * self.u + self.s)) as usize
    }

    /// Filter words one pass consumes: p*q*S.
    pub fn filter_words(&self) -> usize {
        (self.p * self.q * self.s) as usize
    }
}

fn emit(preset: &str) -> Result<Emitted, EmitError> {
    let hw = PeConfig::preset(preset)?;
    let uut = rtl::build(&hw);
    crate::emit::emit_block(
        &uut,
        UNIT.name,
        preset,
        serde_json::to_value(&hw).expect("config serializes"),
    )
}

fn rust_hdl_sim(preset: &str) -> Result<Box<dyn RtlSim>, EmitError> {
    let hw = PeConfig::preset(preset)?;
    Ok(Box::new(crate::sim::Stepper::new(rtl::build(&hw))))
}
