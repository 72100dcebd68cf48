//! `edgertl board`: the board top (`board_top`) on a real board.
//!
//! - `edgertl board build <board> [-o DIR]`: emits `board_top` with the board's preset,
//!   synthesizes it with Yosys (`synth_ice40`), places and routes it with nextpnr-ice40
//!   against `constraints/<board>.pcf` at the board's clock, packs it with icepack into
//!   `DIR/<board>.bin` (default `build/board`) and checks timing again with icetime. Prints
//!   the utilization and the Fmax against the board clock; fails when timing is not met.
//! - `edgertl board run (--port DEV | --sim) [--passes N] [--streams N] [--seed S]`: the board
//!   check of `edgertl_sim::board::host::run_check` (random PE passes and encoder streams,
//!   each checked against the golden models), over a serial port (115200 8N1) or over the
//!   Verilated board at the bit level.

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use edgertl_sim::board::host::{run_check, BoardHost, Transport};
use edgertl_sim::board::uart::SimUart;
use rand::SeedableRng;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

#[derive(Subcommand, Debug)]
pub enum BoardCommand {
    /// Synthesize, place and route board_top for a board; write <DIR>/<BOARD>.bin.
    ///
    /// Boards: icebreaker (iCE40UP5K-SG48), hx8k (iCE40HX8K-CT256 breakout). Needs yosys,
    /// nextpnr-ice40, icepack and icetime (scripts/setup.sh). Logs go to <DIR>/<BOARD>/.
    Build {
        /// icebreaker or hx8k.
        board: String,
        /// Directory to write into.
        #[arg(short = 'o', long = "out-dir", value_name = "DIR", default_value = "build/board")]
        out_dir: PathBuf,
    },
    /// Run PE passes and encoder streams on a board and check them against the golden models.
    ///
    /// With --port, on a board programmed with `edgertl board build` (115200 baud 8N1; the
    /// iCEBreaker's and the HX8K breakout's UART is the FTDI's second interface,
    /// /dev/ttyUSB1 on Linux). With --sim, on the Verilated board_top (preset sim) instead.
    Run {
        /// Serial device of the board's UART.
        #[arg(long, value_name = "DEV", conflicts_with = "sim")]
        port: Option<PathBuf>,
        /// Run on the co-simulated board instead of hardware.
        #[arg(long)]
        sim: bool,
        /// Random PE passes.
        #[arg(long, default_value_t = 20)]
        passes: usize,
        /// Random encoder streams.
        #[arg(long, default_value_t = 10)]
        streams: usize,
        /// Seed of the random passes and streams (random when left out).
        #[arg(long)]
        seed: Option<u64>,
    },
}

pub fn run(command: BoardCommand) -> Result<()> {
    match command {
        BoardCommand::Build { board, out_dir } => build(&board, &out_dir),
        BoardCommand::Run { port, sim, passes, streams, seed } => {
            let seed = seed.unwrap_or_else(rand::random);
            match (port, sim) {
                (Some(port), false) => {
                    let link = SerialLink::open(&port)?;
                    check(BoardHost::new(link), &format!("the board on {}", port.display()), passes, streams, seed)
                }
                (None, true) => {
                    let cpb = edgertl_hdl::board::BoardConfig::preset("sim")?.clocks_per_bit();
                    let link = SimUart::new(edgertl_sim::verilated::board_top::Model::new(), cpb);
                    check(BoardHost::new(link), "the co-simulated board", passes, streams, seed)
                }
                _ => bail!("say where the board is: --port /dev/ttyUSB1 (hardware) or --sim (co-simulation)"),
            }
        }
    }
}

fn check<T: Transport>(mut host: BoardHost<T>, what: &str, passes: usize, streams: usize, seed: u64) -> Result<()> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let started = std::time::Instant::now();
    let sum = run_check(&mut host, &mut rng, &[], passes, streams)
        .map_err(|e| anyhow::anyhow!("{what}: {e} (seed {seed}; replay with --seed {seed})"))?;
    println!(
        "{what}: {} PE passes ({} refused as the model refuses) and {} encoder streams ({} values) match the golden models in {:.1?} (seed {seed})",
        sum.passes,
        sum.refused,
        sum.streams,
        sum.values,
        started.elapsed()
    );
    Ok(())
}

/// A serial port at 115200 8N1 as a byte [`Transport`].
struct SerialLink {
    port: Box<dyn serialport::SerialPort>,
    name: String,
}

impl SerialLink {
    fn open(path: &Path) -> Result<Self> {
        let name = path.display().to_string();
        let port = serialport::new(&name, 115_200)
            .data_bits(serialport::DataBits::Eight)
            .parity(serialport::Parity::None)
            .stop_bits(serialport::StopBits::One)
            .flow_control(serialport::FlowControl::None)
            .timeout(Duration::from_secs(2))
            .open()
            .with_context(|| {
                format!("cannot open {name}: is the board plugged in and programmed (`edgertl board build`, then iceprog)? On Linux its UART is usually /dev/ttyUSB1")
            })?;
        let _ = port.clear(serialport::ClearBuffer::All);
        Ok(Self { port, name })
    }
}

impl Transport for SerialLink {
    fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.port.write_all(bytes).and_then(|_| self.port.flush()).map_err(|e| format!("{}: write: {e}", self.name))
    }

    fn recv(&mut self, n: usize) -> Result<Vec<u8>, String> {
        let mut buf = vec![0; n];
        self.port.read_exact(&mut buf).map_err(|e| {
            format!("{}: no answer ({e}); is board_top on the board? press its reset button and retry", self.name)
        })?;
        Ok(buf)
    }
}

/// A board the flow knows: its nextpnr device and package, and icetime's names for them.
struct Board {
    name: &'static str,
    nextpnr: &'static [&'static str],
    icetime_device: &'static str,
    icetime_package: &'static str,
}

const BOARDS: &[Board] = &[
    Board { name: "icebreaker", nextpnr: &["--up5k", "--package", "sg48"], icetime_device: "up5k", icetime_package: "sg48" },
    Board { name: "hx8k", nextpnr: &["--hx8k", "--package", "ct256"], icetime_device: "hx8k", icetime_package: "ct256" },
];

/// `constraints/` of this repository: from the working directory, or next to the sources.
fn constraints_dir() -> PathBuf {
    let here = PathBuf::from("constraints");
    if here.is_dir() {
        here
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../constraints")
    }
}

fn tool(program: &str) -> Result<PathBuf> {
    edgertl::tools::find_on_path(program).ok_or_else(|| anyhow::anyhow!("{program} not found: run scripts/setup.sh"))
}

fn run_logged(cmd: &mut Command, log: &Path, what: &str) -> Result<String> {
    let out = cmd.output().with_context(|| format!("cannot start {what}"))?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    std::fs::write(log, &text).with_context(|| format!("cannot write {}", log.display()))?;
    if !out.status.success() {
        let tail: Vec<&str> = text.lines().rev().take(15).collect::<Vec<_>>().into_iter().rev().collect();
        bail!("{what} failed (log: {}):\n{}", log.display(), tail.join("\n"));
    }
    Ok(text)
}

fn build(board: &str, out_dir: &Path) -> Result<()> {
    let b = BOARDS.iter().find(|b| b.name == board).ok_or_else(|| {
        anyhow::anyhow!(
            "no bitstream flow for board `{board}`; boards: {}",
            BOARDS.iter().map(|b| b.name).collect::<Vec<_>>().join(", ")
        )
    })?;
    let cfg = edgertl_hdl::board::BoardConfig::preset(board)?;
    let (yosys, nextpnr, icepack, icetime) = (tool("yosys")?, tool("nextpnr-ice40")?, tool("icepack")?, tool("icetime")?);
    let pcf = constraints_dir().join(format!("{board}.pcf"));
    if !pcf.is_file() {
        bail!("constraint file {} is missing", pcf.display());
    }
    let work = out_dir.join(board);
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    let emitted = edgertl_hdl::emit("board_top", Some(board))?;
    let v = work.join("board_top.v");
    std::fs::write(&v, &emitted.verilog)?;
    let json = work.join("board_top.json");
    let asc = work.join("board_top.asc");
    let bin = out_dir.join(format!("{board}.bin"));
    let mhz = cfg.clk_hz as f64 / 1e6;
    eprintln!("yosys synth_ice40 ...");
    run_logged(
        Command::new(&yosys).arg("-q").arg("-p").arg(format!("synth_ice40 -top board_top -json {}", json.display())).arg(&v),
        &work.join("yosys.log"),
        "yosys",
    )?;
    eprintln!("nextpnr-ice40 {} at {mhz} MHz ...", b.nextpnr.join(" "));
    let pnr = run_logged(
        Command::new(&nextpnr)
            .args(b.nextpnr)
            .arg("--pcf")
            .arg(&pcf)
            .arg("--freq")
            .arg(format!("{mhz}"))
            .arg("--json")
            .arg(&json)
            .arg("--asc")
            .arg(&asc),
        &work.join("nextpnr.log"),
        "nextpnr-ice40",
    )?;
    run_logged(Command::new(&icepack).arg(&asc).arg(&bin), &work.join("icepack.log"), "icepack")?;
    // icetime is a second opinion on timing; some packagings of it ship without its chip
    // database, so a failure to run it is reported, not fatal (nextpnr's check is the gate).
    let icetime_log = run_logged(
        Command::new(&icetime)
            .args(["-d", b.icetime_device, "-P", b.icetime_package, "-c", &format!("{mhz}"), "-t"])
            .arg("-p")
            .arg(&pcf)
            .arg(&asc),
        &work.join("icetime.log"),
        "icetime",
    )
    .unwrap_or_else(|e| format!("Total path delay: not run ({})", e.to_string().lines().last().unwrap_or("")));
    // The utilization and Fmax lines of nextpnr's last report (after routing).
    let util: Vec<String> = ["ICESTORM_LC:", "ICESTORM_RAM:", "SB_IO:", "ICESTORM_DSP:"]
        .iter()
        .filter_map(|k| pnr.lines().rev().find(|l| l.contains(k)).map(|l| l.trim_start_matches("Info:").trim().to_string()))
        .collect();
    let fmax = pnr
        .lines()
        .rev()
        .find(|l| l.contains("Max frequency for clock"))
        .map(|l| l.trim_start_matches("Info:").trim().to_string())
        .unwrap_or_else(|| "no Fmax line in nextpnr's log".into());
    let icetime_line = icetime_log.lines().find(|l| l.contains("Total path delay")).unwrap_or("").trim().to_string();
    let report = format!(
        "board_top on {board}: {}\n  {}\n  Fmax (nextpnr): {fmax}\n  icetime: {icetime_line}\n  board clock: {mhz} MHz, {} clocks a UART bit\n",
        bin.display(),
        util.join("\n  "),
        cfg.clocks_per_bit()
    );
    std::fs::write(out_dir.join(format!("{board}.report.txt")), &report)?;
    print!("{report}");
    if fmax.contains("FAIL") || !fmax.contains("PASS") {
        bail!("timing not met at {mhz} MHz: {fmax}");
    }
    Ok(())
}
