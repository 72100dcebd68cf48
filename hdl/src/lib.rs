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

pub mod array;
pub mod board;
pub mod emit;
pub mod eyeriss;
pub mod fsmi;
pub mod glb;
pub mod navion;
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
    /// The preset `budgets.toml` holds and `edgertl synth` synthesises: the default preset,
    /// unless that is too big for every listed FPGA and for a test's time (the 12 x 14 array).
    pub synth_preset: &'static str,
    /// Whether the harness also Verilates Yosys' gate-level netlist of `synth_preset` (when
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
pub static UNITS: &[Unit] = &[
    pe::UNIT,
    rlc::ENCODER,
    rlc::DECODER,
    glb::UNIT,
    array::UNIT,
    eyeriss::UNIT,
    board::UNIT,
    navion::codec::UNIT,
    navion::detector::UNIT,
    navion::tracker::UNIT,
    fsmi::UNIT,
];

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

/// The (unit, preset) pairs the harness Verilates: every unit's `simulated` presets, plus
/// those `extra` names (the build script passes `EDGERTL_SIM_PRESETS`): comma-separated
/// `unit:preset`, or `unit` for all of a unit's presets. In registry order, each pair once; an
/// unknown unit or preset is an error that lists the known ones.
pub fn simulated_presets(extra: Option<&str>) -> Result<Vec<(&'static Unit, &'static str)>, EmitError> {
    let mut wanted: Vec<(&'static str, &'static str)> = Vec::new();
    for u in UNITS {
        wanted.extend(u.simulated.iter().map(|p| (u.name, *p)));
    }
    for item in extra.unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, preset) = match item.split_once(':') {
            Some((n, p)) => (n.trim(), Some(p.trim())),
            None => (item, None),
        };
        let u = unit(name)?;
        match preset {
            Some(p) => wanted.push((u.name, u.preset(Some(p))?)),
            None => wanted.extend(u.presets.iter().map(|p| (u.name, *p))),
        }
    }
    let mut out: Vec<(&'static Unit, &'static str)> = Vec::new();
    for u in UNITS {
        for p in u.presets {
            if wanted.contains(&(u.name, *p)) {
                out.push((u, *p));
            }
        }
    }
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[(&Unit, &str)]) -> Vec<String> {
        v.iter().map(|(u, p)| format!("{}:{p}", u.name)).collect()
    }

    #[test]
    fn the_registry_is_consistent() {
        for u in UNITS {
            assert_eq!(u.simulated.first(), Some(&u.default_preset()), "{}: the default preset is simulated first", u.name);
            for p in u.simulated {
                assert!(u.presets.contains(p), "{}: simulated preset {p} is not a preset", u.name);
            }
            assert_eq!(UNITS.iter().filter(|v| v.name == u.name).count(), 1, "{} is registered once", u.name);
            // The netlist is of the synthesis preset, which must be Verilated.
            assert!(u.simulated.contains(&u.synth_preset), "{}: the synthesis preset {} is not simulated", u.name, u.synth_preset);
        }
    }

    #[test]
    fn simulated_presets_add_what_the_setting_names() {
        let base = names(&simulated_presets(None).unwrap());
        assert!(base.contains(&"glb:tiny".to_string()) && !base.contains(&"glb:synth4".to_string()), "{base:?}");
        let more = names(&simulated_presets(Some(" glb:synth4 , board_top")).unwrap());
        assert!(more.contains(&"glb:synth4".to_string()) && more.contains(&"board_top:ulx3s".to_string()), "{more:?}");
        assert_eq!(more.iter().filter(|n| *n == "glb:tiny").count(), 1, "each pair once");
        assert!(matches!(simulated_presets(Some("glb:huge")), Err(EmitError::UnknownPreset { .. })));
        assert!(matches!(simulated_presets(Some("gpu")), Err(EmitError::UnknownUnit { .. })));
    }
}
