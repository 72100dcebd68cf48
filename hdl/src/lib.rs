//! edgertl's hardware units and the emission pass that turns them into Verilog.
//!
//! Every unit is described with rust-hdl inside its own module (`pe`, ...). Nothing of rust-hdl
//! leaks out of this crate: callers see [`units`], [`emit`], which returns an [`Emitted`]
//! (Verilog text, port list, config, content hash), and [`RtlSim`], a cycle-stepped handle on
//! rust-hdl's own simulator for the same description.
//!
//! Main types:
//! - [`Unit`] and [`UNITS`]: the registry of units: name, summary, presets (those Verilated
//!   for co-simulation among them), configuration, emission, rust-hdl's simulator and the
//!   stimulus `edgertl cover` runs.
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

/// One hardware unit: everything the command line, the Verilator harness, coverage and the
/// budgets test need to know about it. Every unit is one entry of [`UNITS`]; nothing else
/// names units one by one.
///
/// The emitter and rust-hdl's simulator sit behind plain function pointers, so no rust-hdl
/// type leaves this crate.
#[derive(Clone, Copy)]
pub struct Unit {
    /// The unit's name: its Verilog top module and its file name.
    pub name: &'static str,
    /// One line on what the unit is.
    pub summary: &'static str,
    /// Hardware presets; the first is the default.
    pub presets: &'static [&'static str],
    /// Presets the harness Verilates for co-simulation (the default first; `edgertl-sim`'s
    /// build script adds any that `EDGERTL_SIM_PRESETS` asks for).
    pub simulated: &'static [&'static str],
    /// Whether the harness also Verilates Yosys' gate-level netlist of the default preset (when
    /// `edgertl-sim`'s feature `netlist` is on: the tests turn it on).
    pub netlist: bool,
    /// The Rust type of the unit's hardware configuration (serialised as JSON in the
    /// manifest and the banner).
    pub config_type: &'static str,
    /// Path, inside `edgertl-sim`, of the function that runs the unit's random test stimulus
    /// on any model of a preset, checked against the golden model:
    /// `fn(&mut dyn Dut, preset: &str, &mut Stimulus) -> Result<u64, String>` (cycles run).
    /// `edgertl cover` runs it on the coverage model. The build script writes this path into
    /// generated code, so a wrong path fails to compile.
    pub stimulus: &'static str,
    config: fn(&str) -> Result<serde_json::Value, EmitError>,
    emit: fn(&str) -> Result<Emitted, EmitError>,
    rust_hdl_sim: fn(&str) -> Result<Box<dyn RtlSim>, EmitError>,
}

impl std::fmt::Debug for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unit").field("name", &self.name).field("presets", &self.presets).finish_non_exhaustive()
    }
}

impl Unit {
    pub fn default_preset(&self) -> &'static str {
        self.presets[0]
    }

    /// The preset by name (`None`: the default); an unknown one is an error listing the known.
    pub fn preset(&self, preset: Option<&str>) -> Result<&'static str, EmitError> {
        let name = preset.unwrap_or(self.default_preset());
        self.presets.iter().copied().find(|p| *p == name).ok_or_else(|| EmitError::UnknownPreset {
            unit: self.name.into(),
            preset: name.into(),
            known: self.presets.join(", "),
        })
    }

    /// The hardware configuration of a preset, as JSON (a `config_type`).
    pub fn config(&self, preset: Option<&str>) -> Result<serde_json::Value, EmitError> {
        (self.config)(self.preset(preset)?)
    }

    /// The unit's Verilog for a preset.
    pub fn emit(&self, preset: Option<&str>) -> Result<Emitted, EmitError> {
        (self.emit)(self.preset(preset)?)
    }

    /// rust-hdl's simulator of a preset, with the emitted port order.
    pub fn rust_hdl_sim(&self, preset: Option<&str>) -> Result<Box<dyn RtlSim>, EmitError> {
        (self.rust_hdl_sim)(self.preset(preset)?)
    }
}

/// A preset's configuration as JSON, for a [`Unit`]'s `config` field.
pub(crate) fn config_json<C: serde::Serialize>(config: Result<C, EmitError>) -> Result<serde_json::Value, EmitError> {
    Ok(serde_json::to_value(config?).expect("configurations serialize"))
}

/// Every unit edgertl has: the one registry. Adding a unit is its folders (`hdl/src/<unit>/`,
/// `sim/src/<unit>/`, `tests/<unit>.rs`), its `UNIT` entry here and its budgets.
pub static UNITS: &[Unit] = &[pe::UNIT, rlc::ENCODER, rlc::DECODER, glb::UNIT, board::UNIT];

/// Every unit edgertl can emit ([`UNITS`]).
pub fn units() -> &'static [Unit] {
    UNITS
}

/// Looks a unit up by name; the error lists the known ones.
pub fn unit(name: &str) -> Result<&'static Unit, EmitError> {
    UNITS.iter().find(|u| u.name == name).ok_or_else(|| EmitError::UnknownUnit {
        name: name.to_string(),
        known: UNITS.iter().map(|u| u.name).collect::<Vec<_>>().join(", "),
    })
}

/// Emits a unit's Verilog for one of its presets (`None`: the default preset).
pub fn emit(unit_name: &str, preset: Option<&str>) -> Result<Emitted, EmitError> {
    unit(unit_name)?.emit(preset)
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
    unit(unit_name)?.rust_hdl_sim(preset)
}
