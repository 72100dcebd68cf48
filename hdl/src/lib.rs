//! edgertl's hardware units and the emission pass that turns them into Verilog.
//!
//! Every unit is described with rust-hdl inside its own module (`pe`, ...). Nothing of rust-hdl
//! leaks out of this crate: callers see [`units`], [`emit`], which returns an [`Emitted`]
//! (Verilog text, port list, config, content hash), and [`RtlSim`], a cycle-stepped handle on
//! rust-hdl's own simulator for the same description.
//!
//! Main types:
//! - [`UnitInfo`]: a unit's name, summary and hardware presets.
//! - [`Emitted`] / [`Port`]: the product of emission; the Verilator harness in `edgertl-sim`
//!   generates its shim from the port list.
//! - [`emit::EmitError`]: every way emission can fail, as a value (rust-hdl itself panics).
//! - [`pe::PeConfig`] / [`pe::PassConfig`]: the processing element's hardware and per-pass
//!   configuration.
//! - [`glb::GlbConfig`]: the global buffer's hardware configuration.

pub mod board;
pub mod emit;
pub mod glb;
pub mod pe;
pub mod rlc;
mod sim;
mod widgets;

pub use emit::{EmitError, Emitted, Port, PortDir};

/// What `edgertl list` shows about a unit.
#[derive(Clone, Debug)]
pub struct UnitInfo {
    /// The unit's name: its Verilog top module and its file name.
    pub name: &'static str,
    /// One line on what the unit is.
    pub summary: &'static str,
    /// Hardware presets; the first is the default.
    pub presets: &'static [&'static str],
}

impl UnitInfo {
    pub fn default_preset(&self) -> &'static str {
        self.presets[0]
    }
}

/// Every unit edgertl can emit.
pub fn units() -> Vec<UnitInfo> {
    vec![pe::INFO, rlc::ENCODER_INFO, rlc::DECODER_INFO, glb::INFO, board::INFO]
}

/// Looks a unit up by name; the error lists the known ones.
pub fn unit(name: &str) -> Result<UnitInfo, EmitError> {
    units()
        .into_iter()
        .find(|u| u.name == name)
        .ok_or_else(|| EmitError::UnknownUnit {
            name: name.to_string(),
            known: units().iter().map(|u| u.name).collect::<Vec<_>>().join(", "),
        })
}

/// Emits a unit's Verilog for one of its presets (`None`: the default preset).
pub fn emit(unit_name: &str, preset: Option<&str>) -> Result<Emitted, EmitError> {
    let info = unit(unit_name)?;
    let preset = preset.unwrap_or(info.default_preset());
    match info.name {
        "eyeriss_pe" => pe::emit(preset),
        "rlc_encoder" => rlc::emit_encoder(preset),
        "rlc_decoder" => rlc::emit_decoder(preset),
        "glb" => glb::emit(preset),
        "board_top" => board::emit(preset),
        _ => unreachable!("every unit in units() is matched here"),
    }
}

/// A cycle-stepped handle on rust-hdl's own simulator of a unit, with the same port order as
/// the emitted Verilog (inputs and outputs in [`Emitted::ports`] order, the clock left out).
pub trait RtlSim {
    /// Input port names, in the order of `tick`'s input slice.
    fn inputs(&self) -> &'static [&'static str];
    /// Output port names, in the order of `tick`'s output slice.
    fn outputs(&self) -> &'static [&'static str];
    /// Applies `inputs` (one value per input port but `clk`), runs one rising clock edge and
    /// writes the outputs seen after it.
    fn tick(&mut self, inputs: &[u64], outputs: &mut [u64]);
}

/// rust-hdl's simulator for a unit and preset.
pub fn rust_hdl_sim(unit_name: &str, preset: Option<&str>) -> Result<Box<dyn RtlSim>, EmitError> {
    let info = unit(unit_name)?;
    let preset = preset.unwrap_or(info.default_preset());
    match info.name {
        "eyeriss_pe" => pe::rust_hdl_sim(preset),
        "rlc_encoder" => rlc::encoder_sim(preset),
        "rlc_decoder" => rlc::decoder_sim(preset),
        "glb" => glb::rust_hdl_sim(preset),
        "board_top" => board::rust_hdl_sim(preset),
        _ => unreachable!("every unit in units() is matched here"),
    }
}
