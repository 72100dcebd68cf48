//! `edgertl cover <unit>`: line and toggle coverage of a unit's Verilog under its random
//! co-simulation.
//!
//! The unit runs as its coverage model (the RTL Verilated with `--coverage-line
//! --coverage-toggle`, built by `edgertl-sim`'s build.rs when the feature `cover` is on)
//! through the stimulus its registry entry names (`edgertl_hdl::Unit::stimulus`, beside the
//! unit's driver in `edgertl-sim`), every transaction checked against the golden model. The counts go to `<DIR>/<unit>.dat`;
//! `verilator_coverage --annotate` writes the annotated Verilog to `<DIR>/annotated/`, and
//! this module summarises the data file: line % (Verilator's line and branch points), toggle %
//! and every emitted Verilog line with a point never hit.

use anyhow::{bail, Result};
use edgertl::output::Output;
use edgertl_sim::harness::{Stimulus, Variant};
use edgertl_sim::verilated;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Coverage of one unit's Verilog.
#[derive(Debug, Default)]
pub struct Coverage {
    /// Line (and branch) points hit, and their total.
    pub lines: (usize, usize),
    /// Toggle points hit, and their total.
    pub toggles: (usize, usize),
    /// Verilog lines with a line or branch point never hit: line number, how many points.
    pub uncovered: Vec<(u32, usize)>,
}

fn percent((hit, total): (usize, usize)) -> f64 {
    if total == 0 { 100.0 } else { 100.0 * hit as f64 / total as f64 }
}

impl Coverage {
    pub fn line_percent(&self) -> f64 {
        percent(self.lines)
    }
    pub fn toggle_percent(&self) -> f64 {
        percent(self.toggles)
    }

    /// Reads a `coverage.dat`: one `C '<key/value pairs>' <count>` per point, keys separated by
    /// \x01 and values by \x02; `page` tells the kind (`v_line/...`, `v_branch/...`,
    /// `v_toggle/...`), `l` the line. Points of one line in a module instantiated several times
    /// are merged (hit if hit in any instance), as `verilator_coverage --annotate` does.
    pub fn parse(dat: &str) -> Self {
        // (kind is toggle, line, comment, column) -> hit
        let mut points: BTreeMap<(bool, u32, String, String), bool> = BTreeMap::new();
        for rec in dat.lines().filter_map(|l| l.strip_prefix("C '")) {
            let Some((keys, count)) = rec.rsplit_once("' ") else { continue };
            let count: u64 = count.trim().parse().unwrap_or(0);
            let mut page = "";
            let (mut line, mut comment, mut column) = (0u32, String::new(), String::new());
            for kv in keys.split('\x01').filter(|kv| !kv.is_empty()) {
                let (k, v) = kv.split_once('\x02').unwrap_or((kv, ""));
                match k {
                    "page" => page = v,
                    "l" => line = v.parse().unwrap_or(0),
                    "o" => comment = v.to_string(),
                    "n" => column = v.to_string(),
                    _ => {}
                }
            }
            let toggle = page.starts_with("v_toggle");
            *points.entry((toggle, line, comment, column)).or_default() |= count > 0;
        }
        let mut c = Coverage::default();
        let mut missed: BTreeMap<u32, usize> = BTreeMap::new();
        for ((toggle, line, _, _), hit) in points {
            let slot = if toggle { &mut c.toggles } else { &mut c.lines };
            slot.1 += 1;
            slot.0 += hit as usize;
            if !toggle && !hit {
                *missed.entry(line).or_default() += 1;
            }
        }
        c.uncovered = missed.into_iter().collect();
        c
    }
}

/// Runs `unit`'s random test stimulus (from the registry, checked against the golden model)
/// on the coverage model of `preset`, writes `<dir>/<unit>.dat` (through the output writer)
/// and returns the data file's path and the cycles run.
pub fn simulate(unit: &str, preset: Option<&str>, stim: &mut Stimulus, dir: &Path) -> Result<(PathBuf, u64)> {
    let entry = verilated::entry(unit, preset).map_err(anyhow::Error::msg)?;
    // An unwritable directory fails here, not after the simulation (Verilator's coverage
    // writer aborts the process when it cannot open its file).
    edgertl::output::check_writable_dir(dir)?;
    let mut model = (entry.model)(Variant::Cover)?;
    let dat = dir.join(format!("{}.dat", entry.unit));
    let out = Output::create(&dat, &[])?;
    let cycles = (entry.stimulus)(&mut *model, entry.preset, stim).map_err(anyhow::Error::msg)?;
    model.write_coverage(out.tmp_path())?;
    out.commit()?;
    Ok((dat, cycles))
}

/// `verilator_coverage --annotate <dir> <dat>`: the Verilog with every point's count.
pub fn annotate(dat: &Path, dir: &Path) -> Result<()> {
    let out = Command::new("verilator_coverage")
        .arg("--annotate")
        .arg(dir)
        .arg("--annotate-all")
        .arg(dat)
        .output()
        .map_err(|_| anyhow::anyhow!("verilator_coverage not found: run scripts/setup.sh"))?;
    if !out.status.success() {
        bail!("verilator_coverage failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}
