//! The Eyeriss run-length compressor: `rlc_encoder` and `rlc_decoder`.
//!
//! Feature maps are mostly zeros after ReLU. Eyeriss stores them run-length coded: a pair
//! (run, level) is `run` zeros (0-31) followed by the value `level` (16 bits, which may itself
//! be zero: 40 zeros then 7 is (31, 0), (8, 7)); three pairs fill a 64-bit word:
//!
//! ```text
//!  63   62      47 46   42 41      26 25   21 20       5 4     0
//! ┌────┬──────────┬───────┬──────────┬───────┬──────────┬───────┐
//! │term│ level 2  │ run 2 │ level 1  │ run 1 │ level 0  │ run 0 │
//! └────┴──────────┴───────┴──────────┴───────┴──────────┴───────┘
//! ```
//!
//! `term` is 1 on the last word of a stream, whose unused pairs are (0, 0); a stream of N = 0
//! values is that one word with no pair used.
//!
//! **Encoder.** Configure N (`cfg_valid`/`cfg_ready`/`cfg_n`), then N values on `in`; words
//! come out on `out`. Rule (bit-exact with `edgertl_sim::rlc::model::encode`): for each value
//! v, the last one always emits (run, v); otherwise a zero extends the run while it is below
//! 31, and anything else emits (run, v) and restarts the run. It takes one value a cycle while
//! its 4-word output FIFO has room.
//!
//! **Decoder.** Configure N, then the words on `in`; values come out on `out`, one a cycle
//! while its 4-value output FIFO has room. Checks, in order, for each pair: once N values are
//! out, a pair other than the (0, 0) padding is an error (`error_kind` 1, extra values); a
//! pair that would take the count past N is an error (1) and emits nothing; after each word,
//! a `term` with fewer than N values is an error (2, early term) and N values without `term`
//! is an error (3, missing term). On finishing, well or not, the decoder goes idle with `done`
//! (and `error`, `error_kind`) set until the next configuration, drops any word left in its
//! input FIFO and takes no more: it never hangs on a bad stream and never writes past N.
//!
//! Both units: every output depends on registered state only; `rst` is synchronous, active
//! high, and clears everything.

mod decoder;
mod encoder;

/// The encoder's and the decoder's rust-hdl blocks, for designs that instantiate them (the
/// board top).
pub(crate) use decoder::{build as build_decoder, RlcDecoder};
pub(crate) use encoder::{build as build_encoder, RlcEncoder};

use crate::{EmitError, Emitted, RtlSim, Unit};
use serde::{Deserialize, Serialize};

pub const ENCODER: Unit = Unit {
    name: "rlc_encoder",
    summary: "Eyeriss run-length encoder: 16-bit values in, 64-bit words of three (run, level) pairs out",
    presets: &["eyeriss_v1"],
    simulated: &["eyeriss_v1"],
    synth_preset: "eyeriss_v1",
    netlist: true,
    config_type: "RlcConfig",
    stimulus: "rlc::driver::encoder_stimulus",
    config: |p| crate::config_json(RlcConfig::preset(&ENCODER, p)),
    emit: emit_encoder,
    rust_hdl_sim: encoder_sim,
};

pub const DECODER: Unit = Unit {
    name: "rlc_decoder",
    summary: "Eyeriss run-length decoder: 64-bit words in, N values out, malformed streams flagged",
    presets: &["eyeriss_v1"],
    simulated: &["eyeriss_v1"],
    synth_preset: "eyeriss_v1",
    netlist: true,
    config_type: "RlcConfig",
    stimulus: "rlc::driver::decoder_stimulus",
    config: |p| crate::config_json(RlcConfig::preset(&DECODER, p)),
    emit: emit_decoder,
    rust_hdl_sim: decoder_sim,
};

/// The compressor's format (fixed by Eyeriss; a preset names it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RlcConfig {
    /// Bits of a run field.
    pub run_bits: u32,
    /// Bits of a level (a value).
    pub level_bits: u32,
    /// Pairs per word.
    pub pairs_per_word: u32,
    /// Entries of each FIFO.
    pub fifo_depth: u32,
}

impl RlcConfig {
    pub fn eyeriss_v1() -> Self {
        Self { run_bits: 5, level_bits: 16, pairs_per_word: 3, fifo_depth: 4 }
    }

    pub fn preset(unit: &Unit, name: &str) -> Result<Self, EmitError> {
        match name {
            "eyeriss_v1" => Ok(Self::eyeriss_v1()),
            _ => Err(EmitError::UnknownPreset {
                unit: unit.name.into(),
                preset: name.into(),
                known: unit.presets.join(", "),
            }),
        }
    }
}

fn config_json(cfg: &RlcConfig) -> serde_json::Value {
    serde_json::to_value(cfg).expect("config serializes")
}

fn emit_encoder(preset: &str) -> Result<Emitted, EmitError> {
    let cfg = RlcConfig::preset(&ENCODER, preset)?;
    crate::emit::emit_block(&encoder::build(), ENCODER.name, preset, config_json(&cfg))
}

fn emit_decoder(preset: &str) -> Result<Emitted, EmitError> {
    let cfg = RlcConfig::preset(&DECODER, preset)?;
    let unit: decoder::RlcDecoderUnit = decoder::build();
    crate::emit::emit_block(&unit, DECODER.name, preset, config_json(&cfg))
}

fn encoder_sim(preset: &str) -> Result<Box<dyn RtlSim>, EmitError> {
    RlcConfig::preset(&ENCODER, preset)?;
    Ok(Box::new(crate::sim::Stepper::new(encoder::build())))
}

fn decoder_sim(preset: &str) -> Result<Box<dyn RtlSim>, EmitError> {
    RlcConfig::preset(&DECODER, preset)?;
    Ok(Box::new(crate::sim::Stepper::<decoder::RlcDecoderUnit>::new(decoder::build())))
}
