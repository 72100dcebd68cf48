//! From a rust-hdl block to Verilog a hardware engineer would accept.
//!
//! rust-hdl writes one module per *instance*, `$` in names, the top called `top`, every
//! register as a module of its own and 32-bit literals everywhere. This pass (see
//! [`netlist`]) rewrites that text into:
//!
//! - registers inlined into their parent as `always @(posedge clk)` blocks with the
//!   synchronous active-high reset `rst` the [`crate::widgets::Reg`] widget carries;
//! - rust-hdl's one `always @(*)` block per module split in two: what leaves the module (its
//!   outputs, its children's inputs) stays combinational; the registers' next state (`_d`)
//!   moves into the clocked process, so that a simulator computes it once a clock edge
//!   rather than each time an input or a register changes (Verilator re-evaluated the whole
//!   input-dependent part on every `eval`);
//! - one module per *distinct* block: structurally identical modules are merged and named
//!   `<unit>_<block>` after the common suffix of their instance names;
//! - the top named after the unit, no `$` anywhere, literals sized to what they meet;
//! - a banner (tool, version, unit, preset, config, content hash; do not edit).
//!
//! Every failure is an [`EmitError`], never a panic: rust-hdl's own checks run first and its
//! generator runs under `catch_unwind`.

mod netlist;

pub(crate) use netlist::REG_MARKER;

use rust_hdl::core::check_error::check_all;
use rust_hdl::core::prelude::Block;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Why emission failed.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    #[error("unknown unit `{name}`; known units: {known}")]
    UnknownUnit { name: String, known: String },
    #[error("unit `{unit}` has no preset `{preset}`; its presets: {known}")]
    UnknownPreset { unit: String, preset: String, known: String },
    #[error("invalid configuration for `{unit}`: {reason}")]
    InvalidConfig { unit: String, reason: String },
    #[error("rust-hdl rejected the description of `{unit}`: {reason}")]
    RustHdl { unit: String, reason: String },
    #[error("cannot clean up the Verilog of `{unit}`: {reason}")]
    Netlist { unit: String, reason: String },
}

/// Direction of a top-level port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PortDir {
    In,
    Out,
}

/// One port of an emitted unit's top module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Port {
    pub name: String,
    pub dir: PortDir,
    /// Width in bits.
    pub width: u32,
}

/// A unit's emitted Verilog and everything a harness or a manifest needs to know about it.
#[derive(Clone, Debug, Serialize)]
pub struct Emitted {
    pub unit: String,
    pub preset: String,
    /// The hardware configuration, as JSON.
    pub config: serde_json::Value,
    /// Top-level ports in declaration order.
    pub ports: Vec<Port>,
    /// Module names, the top first.
    pub modules: Vec<String>,
    /// SHA-256 of the Verilog below the banner, hex.
    pub hash: String,
    /// The whole file, banner included.
    #[serde(skip)]
    pub verilog: String,
}

impl Emitted {
    /// The JSON manifest written next to the Verilog: ports, widths, config, hash.
    pub fn manifest(&self) -> String {
        serde_json::to_string_pretty(self).expect("an Emitted always serializes")
    }

    /// Inputs in port order, the clock left out (the harness drives it).
    pub fn data_inputs(&self) -> impl Iterator<Item = &Port> {
        self.ports.iter().filter(|p| p.dir == PortDir::In && p.name != "clk")
    }

    pub fn outputs(&self) -> impl Iterator<Item = &Port> {
        self.ports.iter().filter(|p| p.dir == PortDir::Out)
    }
}

/// For the tests of blocks that are not units yet (the accelerator's engines): emits `uut` as
/// module `module`, checks that the module is there and that no rust-hdl name (`$`) is left,
/// at the instances' ports either, and writes `$EDGERTL_BLOCK_V/<module>.v` when that folder
/// is set, for a manual `verilator --lint-only -Wall` until the unit's own lint covers it.
#[cfg(test)]
pub(crate) fn emit_block_for_test<B: Block>(uut: &B, module: &str, split_comb: &[&str]) -> String {
    let e = emit_block_split(uut, module, "test", serde_json::json!({}), split_comb).unwrap();
    assert!(e.verilog.contains(&format!("module {module}")), "no module {module}");
    assert!(!e.verilog.contains('$'), "{module}: a `$` in the Verilog");
    if let Ok(dir) = std::env::var("EDGERTL_BLOCK_V") {
        std::fs::write(format!("{dir}/{module}.v"), &e.verilog).unwrap();
    }
    e.verilog
}

/// Emits a connected rust-hdl block as the unit `unit`.
pub(crate) fn emit_block<B: Block>(
    uut: &B,
    unit: &str,
    preset: &str,
    config: serde_json::Value,
) -> Result<Emitted, EmitError> {
    emit_block_split(uut, unit, preset, config, &[])
}

/// [`emit_block`], with the combinational logic of the blocks named in `split_comb` (field
/// names; `top` for the unit) split into one `always @(*)` per variable (see
/// `netlist::split_comb_by_variable`).
pub(crate) fn emit_block_split<B: Block>(
    uut: &B,
    unit: &str,
    preset: &str,
    config: serde_json::Value,
    split_comb: &[&str],
) -> Result<Emitted, EmitError> {
    let rust_hdl_err = |reason: String| EmitError::RustHdl { unit: unit.to_string(), reason };
    check_all(uut).map_err(|e| rust_hdl_err(format!("{e:?}")))?;
    let raw = quiet_catch_unwind(|| rust_hdl::core::prelude::generate_verilog_unchecked(uut))
        .map_err(rust_hdl_err)?;
    let clean = netlist::clean(&raw, unit, split_comb).map_err(|reason| EmitError::Netlist {
        unit: unit.to_string(),
        reason,
    })?;
    let hash = hex(&sha256(clean.body.as_bytes()));
    let config_line = serde_json::to_string(&config).expect("config serializes");
    let banner = format!(
        "// Generated by edgertl {version}: do not edit; regenerate with `edgertl verilog {unit} --preset {preset}`.\n\
         // unit:   {unit}\n\
         // preset: {preset}\n\
         // config: {config_line}\n\
         // hash:   sha256:{hash}\n",
        version = env!("CARGO_PKG_VERSION"),
    );
    Ok(Emitted {
        unit: unit.to_string(),
        preset: preset.to_string(),
        config,
        ports: clean.ports,
        modules: clean.modules,
        hash,
        verilog: format!("{banner}\n{}", clean.body),
    })
}

/// SHA-256 of `bytes` (the content hash in the banner is this, over the body).
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `f`, turning a panic into an error message without printing rust-hdl's panic report.
fn quiet_catch_unwind<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    use std::sync::Mutex;
    static HOOK: Mutex<()> = Mutex::new(());
    let _guard = HOOK.lock().unwrap_or_else(|e| e.into_inner());
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    result.map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "rust-hdl panicked while writing Verilog".to_string())
    })
}
