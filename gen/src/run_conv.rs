//! `edgertl run conv` and `edgertl run alexnet`: whole conv layers on the golden model,
//! mapped by the row-stationary mapper and costed by the ISCA 2016 energy model (see
//! [`edgertl_sim::eyeriss`]).
//!
//! - `run conv --ifmap X.npy --weights W.npy [--bias B.npy] [--stride U] [--pad P]
//!   [--groups G] [--shift SH] [--relu] --out Y.npy [--report R.json]`: X int16 (N, C, H, W)
//!   or (C, H, W), W int16 (M, C/G, R, S), B int16 (M,); Y int16 (N, M, E, F), 3-D when X
//!   was. The report holds the mapping and the analytical counts. `--rtl [--preset P]
//!   [--rlc-in] [--rlc-out]` runs it on the Verilated accelerator too, the ifmap read and the
//!   ofmap written run-length coded when asked.
//! - `run alexnet [--batch N] [--seed S] [--report R.json] [--chart C.svg]`: random data
//!   through AlexNet CONV1-5 (the golden layer chained through ReLU and max pooling, so the
//!   ifmaps of CONV2-5 carry the zeros ReLU makes); a table per layer beside the chip's
//!   figures, the report and an SVG chart of energy per layer and level.
//! - `run alexnet --rtl [--dram chip|ideal] [--layers L,L] [--uncoded]`: the same layers
//!   through the Verilated 12 x 14 accelerator (`eyeriss` `eyeriss_v1`) too, run-length coded
//!   as the chip ran them (every output, every ifmap but CONV1's) unless `--uncoded`, one after the other, each checked bit-exact
//!   against the golden layer and count by count against the mapper; a second table of the
//!   RTL's figures beside the mapper's and the chip's, an `rtl` section in the report and the
//!   RTL's bars in the chart. A layer the layer compiler cannot map gets a row saying why.
//!
//! Bad input (a wrong dtype or rank, channels that do not match, a file that is not .npy) is
//! an error naming the file; outputs are checked before any work and written together
//! through [`edgertl::output`], so a failed run leaves no output.

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use edgertl::output::{Output, OutputSet};
use edgertl_sim::eyeriss::dataflow::{self, Comparison};
use edgertl_sim::eyeriss::energy::Energy;
use edgertl_sim::eyeriss::layer::{self, LayerShape};
use edgertl_sim::eyeriss::mapper::Hardware;
use edgertl_sim::eyeriss::report::{run_layer, LayerReport};
use edgertl_sim::eyeriss::tensor::{read_npy_i16_nd, write_npy_i16_nd, Tensor};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The array and its buffers (the chip's by default).
#[derive(Args, Debug)]
pub struct HwArgs {
    /// PE array as ROWSxCOLS (the chip: 12x14).
    #[arg(long, value_name = "ROWSxCOLS", default_value = "12x14", value_parser = parse_array)]
    array: (usize, usize),
    /// Ifmap and psum buffer, kB in 4 kB banks (the chip: 100; its 8 kB filter buffer is apart).
    #[arg(long, value_name = "KB", default_value_t = 100, value_parser = parse_buffer)]
    buffer_kb: u64,
    /// DRAM link clock, MHz (the chip: 60, against its 200 MHz core).
    #[arg(long, value_name = "MHZ", default_value_t = 60.0, value_parser = parse_link)]
    link_mhz: f64,
}

impl HwArgs {
    fn hardware(&self) -> Result<Hardware> {
        let (rows, cols) = self.array;
        let hw = Hardware::with_array(rows, cols, self.buffer_kb as usize).map_err(anyhow::Error::msg)?;
        Ok(Hardware { link_mhz: self.link_mhz, ..hw })
    }
}

/// `--array 12x14`: rows and columns, each 1 to 64.
fn parse_array(text: &str) -> std::result::Result<(usize, usize), String> {
    let bad = || format!("`{text}` is not ROWSxCOLS with each from 1 to 64 (the chip: 12x14)");
    let (r, c) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    let (r, c): (usize, usize) = (r.trim().parse().map_err(|_| bad())?, c.trim().parse().map_err(|_| bad())?);
    if (1..=64).contains(&r) && (1..=64).contains(&c) {
        Ok((r, c))
    } else {
        Err(bad())
    }
}

/// `--buffer-kb`: whole 4 kB banks, 4 to 65536 kB.
fn parse_buffer(text: &str) -> std::result::Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(kb) if (4..=65536).contains(&kb) && kb % 4 == 0 => Ok(kb),
        _ => Err(format!("`{text}` is not a buffer of whole 4 kB banks from 4 to 65536 kB")),
    }
}

/// `--link-mhz`: a finite clock from 1 to 1000 MHz.
fn parse_link(text: &str) -> std::result::Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (1.0..=1000.0).contains(&v) => Ok(v),
        _ => Err(format!("`{text}` is not a clock from 1 to 1000 MHz")),
    }
}

/// `edgertl run conv`.
#[derive(Args, Debug)]
pub struct ConvArgs {
    /// The ifmap: int16 .npy of shape (N, C, H, W) or (C, H, W).
    #[arg(long, value_name = "X.npy")]
    ifmap: PathBuf,
    /// The filters: int16 .npy of shape (M, C/G, R, S).
    #[arg(long, value_name = "W.npy")]
    weights: PathBuf,
    /// The bias, the psums' initial values: int16 .npy of shape (M,).
    #[arg(long, value_name = "B.npy")]
    bias: Option<PathBuf>,
    /// Stride U (vertical and horizontal; the chip takes 1, 2 or 4).
    #[arg(long, value_name = "U", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=12))]
    stride: u64,
    /// Zero padding on each side.
    #[arg(long, value_name = "P", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=64))]
    pad: u64,
    /// Groups G (the filters of group g see channels g*C/G..(g+1)*C/G).
    #[arg(long, value_name = "G", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1024))]
    groups: u64,
    /// Arithmetic right shift of each 32-bit product before it is cut to 16 bits.
    #[arg(long, value_name = "SH", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=31))]
    shift: u32,
    /// ReLU after the whole sum.
    #[arg(long)]
    relu: bool,
    /// The ofmap to write: int16 .npy (N, M, E, F), or (M, E, F) when the ifmap was 3-D.
    #[arg(long, value_name = "Y.npy")]
    out: PathBuf,
    /// A JSON report: the mapping and the analytical counts.
    #[arg(long, value_name = "R.json")]
    report: Option<PathBuf>,
    /// Run the layer through the Verilated accelerator (`eyeriss`, from DRAM to DRAM) too: the
    /// ofmap written is the RTL's (checked identical to the golden layer's) and the report
    /// holds its counters beside the mapper's. The hardware is then the preset's.
    #[arg(long)]
    rtl: bool,
    /// With --rtl: the accelerator's preset (Verilated ones: small, eyeriss_v1).
    #[arg(long, value_name = "P", default_value = "small", requires = "rtl")]
    preset: String,
    /// With --rtl: DRAM timing, `chip` (200 MHz core, 60 MHz 64-bit link, 100 ns) or `ideal` (a
    /// beat a cycle after one cycle).
    #[arg(long, value_enum, default_value = "chip", requires = "rtl")]
    dram: DramArg,
    /// With --rtl: the ifmap is read from DRAM run-length coded (the host codes it; the unit
    /// decodes it on its way into the buffer).
    #[arg(long, requires = "rtl")]
    rlc_in: bool,
    /// With --rtl: the ofmap is written to DRAM run-length coded (after ReLU; the host decodes it).
    #[arg(long, requires = "rtl")]
    rlc_out: bool,
    #[command(flatten)]
    hw: HwArgs,
}

/// `--dram`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DramArg {
    Chip,
    Ideal,
}

/// The RTL's run of a layer, in the report (`run conv --rtl`).
#[derive(Serialize)]
struct RtlReport {
    preset: String,
    dram: String,
    /// The mapping run (the best one the layer compiler supports) and the mapper's figures for it.
    mapping: edgertl_sim::eyeriss::mapper::Mapping,
    cycles: u64,
    /// The mapper's chip-style estimate, and the cycle model of this unit
    /// (`edgertl_sim::eyeriss::timing`) with the RTL's difference from it (0.05: 5% more).
    /// The cycle model runs for `run conv` only (`run alexnet` would step 168 PEs for
    /// millions of cycles a layer beside the RTL), and only on uncoded layers: it does not
    /// time run-length coded transfers yet.
    estimate_cycles: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    model_cycles: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model_error: Option<f64>,
    passes: u64,
    macs: u64,
    macs_gated: u64,
    active_pes: u32,
    glb_reads: u64,
    glb_writes: u64,
    dram_reads: u64,
    dram_writes: u64,
    dram_beats_read: u64,
    dram_beats_written: u64,
    program_words: u64,
    glb_conflicts: u64,
    glb_stalls: u64,
    /// The ISCA 2016 model's energy of the mapping run (its counts are the RTL's, checked).
    energy: edgertl_sim::eyeriss::energy::Energy,
    /// The unit's performance counters: cycles where each thing happened (they overlap).
    cycle_breakdown: std::collections::BTreeMap<String, u64>,
    wall_s: f64,
    /// The Verilated model's speed: RTL cycles over the wall time of the RTL's run.
    cycles_per_s: f64,
    /// Where the wall time went: choosing the mapping, the golden layer, the program's
    /// machine, the RTL, the checks.
    times: edgertl_sim::eyeriss::driver::StepTimes,
}

/// `edgertl run alexnet`.
#[derive(Args, Debug)]
pub struct AlexnetArgs {
    /// Images (the chip's figures are at batch 4).
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=16))]
    batch: u64,
    /// Seed of the random data and weights.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// The JSON report.
    #[arg(long, value_name = "R.json", default_value = "build/run/alexnet.json")]
    report: PathBuf,
    /// The SVG chart of energy per layer and level (default: beside the report, .svg).
    #[arg(long, value_name = "C.svg")]
    chart: Option<PathBuf>,
    /// Run each layer through the Verilated 12 x 14 accelerator (`eyeriss` eyeriss_v1) too,
    /// checked bit-exact against the golden layer; images one after the other (one a pass).
    #[arg(long)]
    rtl: bool,
    /// With --rtl: DRAM timing, `chip` (200 MHz core, 60 MHz 64-bit link, 100 ns) or `ideal`.
    #[arg(long, value_enum, default_value = "chip", requires = "rtl")]
    dram: DramArg,
    /// With --rtl: the layers to run through the RTL, comma-separated, as 1-5 or CONV1-CONV5
    /// (`--layers 3,5`; default: all five). Every layer still runs on the golden model, which
    /// makes the next layer's ifmap.
    #[arg(long, value_name = "L,L", value_delimiter = ',', value_parser = parse_layer, requires = "rtl")]
    layers: Vec<usize>,
    /// With --rtl: move every tensor to and from DRAM raw. By default the layers run as the
    /// chip ran them: every output written run-length coded, every ifmap but CONV1's read coded.
    #[arg(long, requires = "rtl")]
    uncoded: bool,
    #[command(flatten)]
    hw: HwArgs,
}

/// An AlexNet layer as `3` or `CONV3` (any case): its index, 0 for CONV1.
fn parse_layer(text: &str) -> std::result::Result<usize, String> {
    let t = text.trim().to_ascii_uppercase();
    let digits = t.strip_prefix("CONV").unwrap_or(&t);
    match digits.parse::<usize>() {
        Ok(k @ 1..=5) => Ok(k - 1),
        _ => Err(format!("`{text}` is not an AlexNet conv layer: give 1 to 5 or CONV1 to CONV5")),
    }
}

/// The report file: the hardware and one entry per layer.
#[derive(Serialize)]
struct Report<'a> {
    hardware: &'a Hardware,
    /// How the data were made (`run alexnet`) or where they came from (`run conv`).
    data: String,
    layers: &'a [LayerReport],
    /// `run alexnet`: RS against WS, OS and NLR on the ISCA 2016 budget (batch 16).
    #[serde(skip_serializing_if = "Option::is_none")]
    dataflows: Option<Comparison>,
    /// `run conv --rtl`: the RTL's run; `run alexnet --rtl`: one per layer ([`AlexnetRtl`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    rtl: Option<serde_json::Value>,
}

/// Checks that each output can be written (and is none of the inputs, and no two are the
/// same) before any work; the probes leave nothing behind. `create_dirs`: make missing
/// directories (for default paths such as `build/run/`).
fn check_outputs(outputs: &[&Path], inputs: &[&Path], create_dirs: bool) -> Result<()> {
    for (i, out) in outputs.iter().enumerate() {
        if outputs[..i].contains(out) {
            bail!("{} is named for two outputs", out.display());
        }
        if let Some(dir) = out.parent().filter(|d| create_dirs && !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        drop(Output::create(out, inputs)?);
    }
    Ok(())
}

/// A tensor's dimensions as a shape, each at least 1, or an error naming the file.
fn dims(path: &Path, t: &Tensor, what: &str, ranks: &[usize]) -> Result<Vec<usize>> {
    if !ranks.contains(&t.shape.len()) {
        bail!(
            "{}: the {what} must be {}-D; this array is {}-D (shape {:?})",
            path.display(),
            ranks.iter().map(ToString::to_string).collect::<Vec<_>>().join("-D or "),
            t.shape.len(),
            t.shape
        );
    }
    if t.shape.contains(&0) {
        bail!("{}: the {what} has an empty dimension (shape {:?})", path.display(), t.shape);
    }
    Ok(t.shape.clone())
}

pub fn conv(a: ConvArgs) -> Result<()> {
    let unit = match a.rtl {
        false => None,
        true => {
            let unit = rtl_preset(&a.preset, a.dram)?;
            if a.hw.array != (12, 14) || a.hw.buffer_kb != 100 || a.hw.link_mhz != 60.0 {
                bail!("--array, --buffer-kb and --link-mhz describe the analytical model's hardware; with --rtl the hardware is the preset's (--preset {})", a.preset);
            }
            if a.bias.is_some() {
                bail!("--bias is not supported with --rtl (the accelerator's first channel pass starts from zero psums): leave it out, or run without --rtl");
            }
            Some(unit)
        }
    };
    let hw = match &unit {
        Some(u) => edgertl_sim::eyeriss::driver::hardware(&u.hw),
        None => a.hw.hardware()?,
    };
    let mut inputs: Vec<&Path> = vec![&a.ifmap, &a.weights];
    inputs.extend(a.bias.as_deref());
    let mut outputs: Vec<&Path> = vec![&a.out];
    outputs.extend(a.report.as_deref());
    check_outputs(&outputs, &inputs, false)?;

    let x = read_npy_i16_nd(&a.ifmap)?;
    let w = read_npy_i16_nd(&a.weights)?;
    let xd = dims(&a.ifmap, &x, "ifmap (N, C, H, W) or (C, H, W)", &[4, 3])?;
    let wd = dims(&a.weights, &w, "weights (M, C/G, R, S)", &[4])?;
    let (n, c, h, wi) = match xd[..] {
        [n, c, h, w] => (n, c, h, w),
        [c, h, w] => (1, c, h, w),
        _ => unreachable!("ranks checked"),
    };
    let (m, cg, r, s) = (wd[0], wd[1], wd[2], wd[3]);
    let groups = a.groups as usize;
    if cg * groups != c {
        bail!(
            "{}: the weights take {cg} channel(s) per group x {groups} group(s) = {}, but the ifmap {} has {c}",
            a.weights.display(),
            cg * groups,
            a.ifmap.display()
        );
    }
    if m % groups != 0 {
        bail!("{}: {m} filters do not split into {groups} groups", a.weights.display());
    }
    let bias = match &a.bias {
        Some(path) => {
            let b = read_npy_i16_nd(path)?;
            let bd = dims(path, &b, "bias (M,)", &[1])?;
            if bd[0] != m {
                bail!("{}: the bias has {} values, the weights {} have {m} filters", path.display(), bd[0], a.weights.display());
            }
            Some(b.values)
        }
        None => None,
    };
    let layer = LayerShape {
        name: "conv".into(),
        n,
        c,
        m,
        groups,
        h,
        w: wi,
        r,
        s,
        u: a.stride as usize,
        pad: a.pad as usize,
        relu: a.relu,
        shift: a.shift,
        rlc_in: a.rlc_in,
        rlc_out: a.rlc_out,
    };
    let what = || format!("the layer of {} on {}", a.weights.display(), a.ifmap.display());
    layer.check_chip().with_context(what)?;
    if layer.macs() > MAX_MACS {
        bail!(
            "the layer takes {} MACs, over the limit of {MAX_MACS} (about a minute of the golden layer): split the batch",
            layer.macs()
        );
    }
    let run = run_layer(&layer, &hw, &x.values, &w.values, bias.as_deref(), false).with_context(what)?;
    let rtl = match unit {
        Some(mut u) => {
            let bar = ProgressBar::new(1).with_style(words_style());
            bar.set_message(format!("on the Verilated `eyeriss` {}", a.preset));
            let (rep, ofmap) = run_conv_rtl(&mut u, &layer, &x.values, &w.values, &bar, true)
                .map_err(anyhow::Error::msg)
                .with_context(what)?;
            bar.finish_and_clear();
            if ofmap != run.ofmap {
                bail!("internal error: the RTL's ofmap differs from the golden layer's");
            }
            Some(rep)
        }
        None => None,
    };
    let out_shape: Vec<usize> = if xd.len() == 3 {
        vec![m, layer.e(), layer.f()]
    } else {
        vec![n, m, layer.e(), layer.f()]
    };
    let mut npy = Vec::new();
    write_npy_i16_nd(&mut npy, &out_shape, &run.ofmap)?;
    let mut set = OutputSet::new();
    set.add(&a.out, npy)?;
    let rep = &run.report;
    if let Some(path) = &a.report {
        let data = format!("ifmap {}, weights {}", a.ifmap.display(), a.weights.display());
        let rtl = rtl.as_ref().map(serde_json::to_value).transpose()?;
        let report = Report { hardware: &hw, data, layers: std::slice::from_ref(rep), dataflows: None, rtl };
        set.add(path, serde_json::to_string_pretty(&report)? + "\n")?;
    }
    let written = set.commit()?;
    let mp = &rep.mapping;
    println!(
        "conv: ({n}, {c}, {h}, {wi}) * ({m}, {cg}, {r}, {s}), stride {}, pad {}, groups {groups}, shift {}{} -> {:?}",
        a.stride,
        a.pad,
        a.shift,
        if a.relu { ", ReLU" } else { "" },
        out_shape
    );
    println!(
        "  {} MACs ({:.1}% gated by zero ifmaps); mapping: PE set {} x {} in strips {} wide, {} at once, r = {}, t = {}, p = {}, q = {}, n = {}{}; {} active PEs, {} passes",
        rep.macs,
        100.0 * rep.zero_macs as f64 / rep.macs as f64,
        mp.pe_set.0,
        mp.pe_set.1,
        mp.array.strip,
        mp.array.fold,
        mp.array.r,
        mp.array.t,
        mp.array.p,
        mp.array.q,
        mp.array.n,
        [
            (mp.array.s_fold > 1).then(|| format!(", filter rows in {} pieces", mp.array.s_fold)),
            (mp.array.g_rep > 1).then(|| format!(", {} groups side by side", mp.array.g_rep)),
        ]
        .into_iter()
        .flatten()
        .collect::<String>(),
        rep.active_pes,
        rep.passes
    );
    println!(
        "  {} cycles ({:.3} ms at {} MHz); GLB {} reads, {} writes; DRAM {} reads, {} writes (words); energy {:.4e} MAC units ({:.2} per MAC)",
        rep.cycles, rep.latency_ms, hw.core_mhz, rep.glb_reads, rep.glb_writes, rep.dram_reads, rep.dram_writes, rep.energy.total, rep.energy_per_mac
    );
    if let Some(r) = &rtl {
        print_rtl(r, rep);
    }
    for path in written {
        println!("  wrote {}", path.display());
    }
    Ok(())
}

/// A Verilated preset of the accelerator: its configuration and its model.
type EyerissModel = Box<dyn edgertl_sim::harness::Dut>;

/// A Verilated preset of the accelerator, ready to run layers with its DRAM timing.
struct RtlUnit {
    preset: String,
    hw: edgertl_hdl::eyeriss::EyerissConfig,
    model: EyerissModel,
    dram: DramArg,
}

fn rtl_preset(preset: &str, dram: DramArg) -> Result<RtlUnit> {
    use edgertl_sim::verilated::eyeriss;
    let hw = edgertl_hdl::eyeriss::EyerissConfig::preset(preset).map_err(|e| anyhow::anyhow!("{e}"))?;
    let model: EyerissModel = match preset {
        "small" => Box::new(eyeriss::small::Model::new()),
        "eyeriss_v1" => Box::new(eyeriss::eyeriss_v1::Model::new()),
        other => bail!(
            "the `eyeriss` preset `{other}` is not Verilated in this build (Verilated: {}); the others are emitted only (`edgertl emit eyeriss --preset {other}`)",
            edgertl_hdl::eyeriss::UNIT.simulated.join(", ")
        ),
    };
    Ok(RtlUnit { preset: preset.to_string(), hw, model, dram })
}

/// The progress bar of a run on the RTL: program words executed.
fn words_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix}{bar:30} {pos}/{len} program words {msg} ({elapsed})").expect("a valid template")
}

/// The layer through the Verilated accelerator, its progress on `bar`: its report and ofmap.
fn run_conv_rtl(
    unit: &mut RtlUnit,
    layer: &LayerShape,
    ifmap: &[i16],
    weights: &[i16],
    bar: &ProgressBar,
    with_model: bool,
) -> std::result::Result<(RtlReport, Vec<i16>), edgertl_sim::eyeriss::driver::RtlError> {
    use edgertl_sim::eyeriss::driver::{run_rtl, DramTiming, EyerissDriver, Step};
    let dram = unit.dram;
    let timing = match dram {
        DramArg::Chip => DramTiming::CHIP,
        DramArg::Ideal => DramTiming::IDEAL,
    };
    let b = bar.clone();
    let mut rtl_started: Option<std::time::Instant> = None;
    let mut d = EyerissDriver::new(&mut *unit.model, &unit.hw).with_progress(Box::new(move |step| match step {
        Step::Mapping => b.set_message("choosing the mapping (compiling the candidates the choice rests on)"),
        Step::Reference => b.set_message("the golden layer and the program's machine"),
        Step::Rtl { words, total, cycles } => {
            let t0 = *rtl_started.get_or_insert_with(std::time::Instant::now);
            b.set_length(total);
            b.set_position(words);
            let rate = cycles as f64 / t0.elapsed().as_secs_f64().max(1e-3);
            b.set_message(format!("{:.2} M cycles, {:.1} k cycles/s", cycles as f64 / 1e6, rate / 1e3));
        }
        Step::Check => b.set_message("reading the counters back and checking"),
    }));
    let started = std::time::Instant::now();
    let c = run_rtl(&mut d, layer, ifmap, weights, timing)?;
    let wall_s = started.elapsed().as_secs_f64();
    // The cycle model times raw transfers only (a coded one's beats come from its data).
    let model = match with_model && !layer.rlc_in && !layer.rlc_out {
        true => Some(edgertl_sim::eyeriss::timing::estimate(&c.program, &unit.hw, timing).map_err(edgertl_sim::eyeriss::driver::RtlError::Failed)?),
        false => None,
    };
    let k = &c.run.counts;
    let m = &k.machine;
    let report = RtlReport {
        preset: unit.preset.clone(),
        dram: format!("{dram:?}").to_lowercase(),
        mapping: c.eval.mapping.clone(),
        cycles: k.cycles,
        estimate_cycles: c.eval.counts.cycles.total,
        model_cycles: model.as_ref().map(|m| m.cycles),
        model_error: model.as_ref().map(|m| m.error(k.cycles)),
        passes: m.passes,
        macs: u64::from(m.pe.macs),
        macs_gated: u64::from(m.pe.macs_gated),
        active_pes: m.active_pes,
        glb_reads: m.glb.reads(),
        glb_writes: m.glb.writes(),
        dram_reads: m.dram.reads(),
        dram_writes: m.dram.writes(),
        dram_beats_read: k.dram_beats_read,
        dram_beats_written: k.dram_beats_written,
        program_words: k.program_words,
        glb_conflicts: k.glb_conflicts,
        glb_stalls: k.glb_stalls,
        energy: c.eval.energy.clone(),
        cycle_breakdown: edgertl_hdl::eyeriss::counters::PERF_NAMES.iter().zip(k.perf).map(|(n, v)| (n.to_string(), v)).collect(),
        wall_s,
        cycles_per_s: k.cycles as f64 / c.times.rtl_s.max(1e-9),
        times: c.times,
    };
    let ofmap = c.run.dram[c.program.dram.ofmap as usize..].to_vec();
    Ok((report, ofmap))
}

/// The RTL's counters beside the mapper's for the mapping it ran.
fn print_rtl(r: &RtlReport, rep: &LayerReport) {
    let a = &r.mapping.array;
    println!(
        "  RTL (`eyeriss` {}, {} DRAM, {:.1} s): mapping strips {} wide, {} at once, r = {}, t = {}, p = {}, q = {} (the layer compiler's best){}",
        r.preset,
        r.dram,
        r.wall_s,
        a.strip,
        a.fold,
        a.r,
        a.t,
        a.p,
        a.q,
        if r.mapping == rep.mapping { "" } else { "; the mapper's choice above is not supported by the compiler" }
    );
    let model = match (r.model_cycles, r.model_error) {
        (Some(c), Some(e)) => format!("the unit's cycle model {c}, {:+.1}%", 100.0 * e),
        _ => "the unit's cycle model does not time coded transfers".into(),
    };
    println!(
        "  RTL: {} cycles ({model}; the mapper's chip-style estimate for this mapping {}, {:+.1}%), {} passes, {} MACs ({} gated), {} active PEs",
        r.cycles,
        r.estimate_cycles,
        100.0 * (r.cycles as f64 / r.estimate_cycles as f64 - 1.0),
        r.passes,
        r.macs,
        r.macs_gated,
        r.active_pes
    );
    println!(
        "  RTL: GLB {} reads, {} writes; DRAM {} reads, {} writes (words; the mapper's for this mapping, coded transfers sized from the data: equal, checked), {} program words, {} GLB bank conflicts",
        r.glb_reads, r.glb_writes, r.dram_reads, r.dram_writes, r.program_words, r.glb_conflicts
    );
    let t = &r.times;
    println!(
        "  RTL wall time {:.1} s: choosing the mapping {:.1} s, golden layer {:.1} s, machine {:.1} s, RTL {:.1} s ({:.1} k cycles/s), checks {:.1} s",
        r.wall_s,
        t.mapping_s,
        t.golden_s,
        t.machine_s,
        t.rtl_s,
        r.cycles_per_s / 1e3,
        t.check_s
    );
    println!(
        "  RTL cycles by activity (they overlap): {}",
        edgertl_hdl::eyeriss::counters::PERF_NAMES
            .iter()
            .map(|n| format!("{n} {}", r.cycle_breakdown[*n]))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// The most MACs `run conv` takes on (about a minute of the golden layer on two cores).
pub const MAX_MACS: u64 = 1 << 36;

/// The product shift of the random AlexNet run: 8-bit-range data and weights, so that the
/// products of CONV1 keep their top bits.
const ALEXNET_SHIFT: u32 = 8;

/// 3 x 3 max pooling, stride 2, of an (N, C, H, W) fmap (AlexNet after CONV1 and CONV2).
fn max_pool(x: &[i16], n: usize, c: usize, h: usize, w: usize) -> (Vec<i16>, usize, usize) {
    let (ho, wo) = ((h - 3) / 2 + 1, (w - 3) / 2 + 1);
    let mut out = Vec::with_capacity(n * c * ho * wo);
    for plane in x.chunks_exact(h * w).take(n * c) {
        for i in 0..ho {
            for j in 0..wo {
                let v = (0..3).flat_map(|di| (0..3).map(move |dj| (di, dj)));
                out.push(v.map(|(di, dj)| plane[(2 * i + di) * w + 2 * j + dj]).max().unwrap_or(0));
            }
        }
    }
    (out, ho, wo)
}

pub fn alexnet(a: AlexnetArgs) -> Result<()> {
    let mut unit = match a.rtl {
        false => None,
        true => {
            if a.hw.array != (12, 14) || a.hw.buffer_kb != 100 || a.hw.link_mhz != 60.0 {
                bail!("--array, --buffer-kb and --link-mhz describe the analytical model's hardware; with --rtl the hardware is the Verilated chip's (eyeriss_v1)");
            }
            Some(rtl_preset(RTL_PRESET, a.dram)?)
        }
    };
    let hw = a.hw.hardware()?;
    let chart = a.chart.clone().unwrap_or_else(|| a.report.with_extension("svg"));
    check_outputs(&[&chart, &a.report], &[], true)?;
    let n = a.batch as usize;
    let layers = match a.rtl && !a.uncoded {
        true => layer::coded(layer::alexnet(n, ALEXNET_SHIFT)),
        false => layer::alexnet(n, ALEXNET_SHIFT),
    };
    let mut rng = StdRng::seed_from_u64(a.seed);
    let first = &layers[0];
    // An image: 8-bit pixels, hardly a zero.
    let mut x: Vec<i16> = (0..first.ifmap_words()).map(|_| rng.gen_range(0..=255)).collect();
    let (mut h, mut w) = (first.h, first.w);
    let bar = ProgressBar::new(layers.len() as u64)
        .with_style(ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} ({elapsed})").expect("a valid template"));
    let mut reports = Vec::new();
    let mut rtl_rows = Vec::new();
    let started = std::time::Instant::now();
    for (i, l) in layers.iter().enumerate() {
        bar.set_message(format!("{}: golden layer and mapping", l.name));
        if (h, w) != (l.h, l.w) {
            bail!("internal error: {} expects {}x{}, the previous layer gives {h}x{w}", l.name, l.h, l.w);
        }
        let weights: Vec<i16> = (0..l.filter_words()).map(|_| rng.gen_range(-127..=127)).collect();
        let run = run_layer(l, &hw, &x, &weights, None, i == 0)?;
        if let Some(u) = unit.as_mut().filter(|_| a.layers.is_empty() || a.layers.contains(&i)) {
            bar.set_message(format!("{}: on the Verilated `eyeriss` {RTL_PRESET}", l.name));
            let words = ProgressBar::new(1).with_style(words_style()).with_prefix(format!("{} ", l.name));
            let row = rtl_layer(u, l, &x, &weights, &run, &words)?;
            words.finish_and_clear();
            // The layer's row now, not after the whole network (a run takes minutes a layer).
            bar.suspend(|| {
                if rtl_rows.is_empty() {
                    print_rtl_header(n, u);
                    print_row(&RTL_HEADERS.map(String::from), &RTL_WIDTHS);
                }
                print_row(&rtl_row(&row), &RTL_WIDTHS);
            });
            rtl_rows.push(row);
        }
        // AlexNet pools after CONV1, CONV2 (and CONV5); the next ifmap is this ofmap.
        (x, h, w) = if i < 2 { max_pool(&run.ofmap, n, l.m, l.e(), l.f()) } else { (run.ofmap, l.e(), l.f()) };
        reports.push(run.report);
        bar.inc(1);
    }
    bar.set_message("dataflow comparison (batch 16)");
    let dataflows = dataflow::compare(&layer::alexnet(16, ALEXNET_SHIFT))?;
    bar.finish_and_clear();
    if !rtl_rows.is_empty() {
        println!();
    }
    print_table(&reports);
    let rtl = match &unit {
        Some(u) => {
            let r = AlexnetRtl::new(u, n, !a.uncoded, rtl_rows, started.elapsed().as_secs_f64());
            print_rtl_table(&r);
            Some(r)
        }
        None => None,
    };
    print_dataflows(&dataflows);
    // The RTL's bars by layer (`--layers` may have run a few).
    let rtl_energy: Option<Vec<Option<Energy>>> = rtl
        .as_ref()
        .map(|r| layers.iter().map(|l| r.layers.iter().find(|x| x.name == l.name).and_then(|x| x.run.as_ref()).map(|x| x.energy.clone())).collect());
    let svg = energy_chart(&reports, rtl_energy.as_deref())?;
    let data = format!(
        "seed {}: CONV1's ifmap uniform 0..=255 (8-bit pixels), weights uniform -127..=127, shift {ALEXNET_SHIFT}, no bias; \
         CONV2-5 take the previous ofmap after ReLU (and 3x3/2 max pooling after CONV1 and CONV2), so their zeros are ReLU's",
        a.seed
    );
    let rtl = rtl.as_ref().map(serde_json::to_value).transpose()?;
    let report = Report { hardware: &hw, data, layers: &reports, dataflows: Some(dataflows), rtl };
    let mut set = OutputSet::new();
    set.add(&chart, svg)?;
    set.add(&a.report, serde_json::to_string_pretty(&report)? + "\n")?;
    for path in set.commit()? {
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// The accelerator preset `run alexnet --rtl` runs: the chip's 12 x 14 array and buffers.
const RTL_PRESET: &str = "eyeriss_v1";

/// One AlexNet layer through the RTL: its run, or why it did not run.
#[derive(Serialize)]
struct RtlLayer {
    name: String,
    /// The RTL's run (`None`: the layer compiler cannot map the layer yet: `refused` says why).
    run: Option<RtlReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refused: Option<String>,
    /// The mapper's own choice on the chip's model (`run alexnet`'s table): cycles, energy.
    mapper_cycles: u64,
    mapper_energy: f64,
    mapper_active_pes: usize,
    /// The chip's processing latency at 200 MHz as cycles, scaled from batch 4 to the batch run.
    chip_cycles: Option<u64>,
    chip_active_pes: Option<usize>,
}

/// `run alexnet --rtl`'s section of the report.
#[derive(Serialize)]
struct AlexnetRtl {
    preset: String,
    dram: String,
    batch: usize,
    /// How the batch runs on the RTL.
    batching: String,
    layers: Vec<RtlLayer>,
    /// Over the layers that ran: cycles, MACs (gated ones included), DRAM words.
    cycles: u64,
    macs: u64,
    dram_words: u64,
    /// DRAM words (16-bit; a coded transfer counts each 64-bit beat of its stream, the length
    /// beat included, as four) per MAC.
    dram_words_per_mac: f64,
    /// Whether the layers moved their tensors run-length coded (as the chip: every output,
    /// every ifmap but CONV1's).
    coded: bool,
    /// The whole command, golden layers and mapping included.
    wall_s: f64,
}

impl AlexnetRtl {
    fn new(u: &RtlUnit, batch: usize, coded: bool, layers: Vec<RtlLayer>, wall_s: f64) -> Self {
        let ran = || layers.iter().filter_map(|l| l.run.as_ref());
        let cycles = ran().map(|r| r.cycles).sum();
        let macs = ran().map(|r| r.macs + r.macs_gated).sum();
        let dram_words = ran().map(|r| r.dram_reads + r.dram_writes).sum::<u64>();
        AlexnetRtl {
            preset: u.preset.clone(),
            dram: format!("{:?}", u.dram).to_lowercase(),
            batch,
            batching: if batch > 1 {
                format!("the {batch} images one after the other within each layer's program (one image a pass: the layer compiler takes n = 1)")
            } else {
                "one image".into()
            },
            cycles,
            macs,
            dram_words,
            dram_words_per_mac: dram_words as f64 / macs.max(1) as f64,
            coded,
            layers,
            wall_s,
        }
    }
}

/// `layer` through the RTL (the mapper's and the chip's figures beside it); a layer that no
/// supported mapping fits is a row saying why, a run that fails its checks an error.
fn rtl_layer(u: &mut RtlUnit, l: &LayerShape, ifmap: &[i16], weights: &[i16], golden: &edgertl_sim::eyeriss::report::LayerRun, bar: &ProgressBar) -> Result<RtlLayer> {
    use edgertl_sim::eyeriss::driver::RtlError;
    let (run, refused) = match run_conv_rtl(u, l, ifmap, weights, bar, false) {
        Ok((rep, ofmap)) => {
            if ofmap != golden.ofmap {
                bail!("internal error: {}: the RTL's ofmap differs from the golden layer's", l.name);
            }
            (Some(rep), None)
        }
        Err(RtlError::Unsupported(why)) => (None, Some(why)),
        Err(RtlError::Failed(why)) => bail!("{} on the RTL: {why}", l.name),
    };
    let chip = layer::alexnet_index(l).map(|i| edgertl_sim::eyeriss::report::CHIP_ALEXNET[i]);
    let r = &golden.report;
    Ok(RtlLayer {
        name: l.name.clone(),
        run,
        refused,
        mapper_cycles: r.cycles,
        mapper_energy: r.energy.total,
        mapper_active_pes: r.active_pes,
        chip_cycles: chip.map(|c| (c.latency_ms * 200e3 * l.n as f64 / 4.0).round() as u64),
        chip_active_pes: chip.map(|c| c.active_pes),
    })
}

/// The columns of the RTL's table (`run alexnet --rtl`).
const RTL_HEADERS: [&str; 12] = [
    "layer", "mapping run", "active PEs", "cycles M", "ms @200MHz", "vs estimate", "GLB Mwords", "DRAM Mwords", "DRAM/MAC", "energy/MAC", "k cycles/s", "wall s",
];

/// Column widths of the rows printed as each layer finishes (the final table fits its own).
const RTL_WIDTHS: [usize; 12] = [5, 30, 14, 19, 17, 11, 10, 11, 8, 12, 10, 6];

/// One layer's row of the RTL's table: the RTL's figures [the mapper's choice; the chip's].
fn rtl_row(l: &RtlLayer) -> Vec<String> {
    let m = |v: f64| format!("{:.2}", v / 1e6);
    match &l.run {
        Some(x) => {
            let a = &x.mapping.array;
            let macs = (x.macs + x.macs_gated).max(1) as f64;
            vec![
                l.name.clone(),
                format!("strip {} fold {} r{} t{} p{} q{}", a.strip, a.fold, a.r, a.t, a.p, a.q),
                format!("{} [{}; {}]", x.active_pes, l.mapper_active_pes, l.chip_active_pes.map_or("-".into(), |c| c.to_string())),
                format!("{} [{}; {}]", m(x.cycles as f64), m(l.mapper_cycles as f64), l.chip_cycles.map_or("-".into(), |c| m(c as f64))),
                format!("{:.2} [{}]", x.cycles as f64 / 200e3, l.chip_cycles.map_or("-".into(), |c| format!("{:.2}", c as f64 / 200e3))),
                format!("{:+.0}%", 100.0 * (x.cycles as f64 / x.estimate_cycles as f64 - 1.0)),
                m((x.glb_reads + x.glb_writes) as f64),
                m((x.dram_reads + x.dram_writes) as f64),
                format!("{:.4}", (x.dram_reads + x.dram_writes) as f64 / macs),
                format!("{:.2} [{:.2}]", x.energy.total / macs, l.mapper_energy / macs),
                format!("{:.1}", x.cycles_per_s / 1e3),
                format!("{:.0}", x.wall_s),
            ]
        }
        None => vec![l.name.clone(), format!("not run: {}", l.refused.as_deref().unwrap_or("?"))],
    }
}

/// A table row, each cell padded to its column's width.
fn print_row(cells: &[String], widths: &[usize]) {
    let cells: Vec<String> = cells.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
    println!("{}", cells.join("  ").trim_end());
}

fn print_rtl_header(batch: usize, u: &RtlUnit) {
    println!(
        "On the Verilated `eyeriss` {} ({} DRAM, batch {batch}); [mapper's choice; chip] beside the RTL's figures, each layer as it finishes:",
        u.preset,
        format!("{:?}", u.dram).to_lowercase()
    );
}

/// The RTL's figures per layer beside the mapper's (its choice on the chip's model) and the
/// chip's.
fn print_rtl_table(r: &AlexnetRtl) {
    println!();
    println!(
        "On the Verilated `eyeriss` {} ({} DRAM, batch {}: {}); [mapper's choice; chip] beside the RTL's figures:",
        r.preset, r.dram, r.batch, r.batching
    );
    let rows: Vec<Vec<String>> = r.layers.iter().map(rtl_row).collect();
    let widths: Vec<usize> = (0..RTL_HEADERS.len())
        .map(|i| rows.iter().filter(|r| r.len() == RTL_HEADERS.len()).map(|r| r[i].len()).chain([RTL_HEADERS[i].len()]).max().unwrap_or(0))
        .collect();
    print_row(&RTL_HEADERS.map(String::from), &widths);
    print_row(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>(), &widths);
    for row in &rows {
        print_row(row, &widths);
    }
    println!(
        "layers run: {:.2} M cycles ({:.1} ms at 200 MHz), DRAM {:.4} words/MAC ({}; the chip: 0.0029 coded); wall time {:.0} s",
        r.cycles as f64 / 1e6,
        r.cycles as f64 / 200e3,
        r.dram_words_per_mac,
        if r.coded { "run-length coded as the chip: every output, every ifmap but CONV1's" } else { "raw: --uncoded" },
        r.wall_s
    );
    println!("cycles: the RTL's from `go` to `done` (DRAM included); [the mapper's estimate for its own choice; the chip's processing latency at 200 MHz, scaled to the batch]; vs estimate: against the mapper's estimate for the mapping run.");
    println!("GLB and DRAM words, energy: the RTL's counts (equal to the mapper's for the mapping run, checked; a coded transfer's DRAM words to its stream's, sized from the data); energy/MAC under the ISCA 2016 model [the mapper's choice].");
    println!("k cycles/s: the Verilated model's speed; wall s: the layer's whole run on the RTL (mapping, golden layer, machine, RTL, checks).");
}

/// Model figure with the chip's beside it in brackets, where the chip has one.
fn beside(model: String, chip: Option<String>) -> String {
    match chip {
        Some(c) => format!("{model} [{c}]"),
        None => model,
    }
}

fn print_table(reports: &[LayerReport]) {
    let headers = [
        "layer", "MACs M", "zero %", "active PEs", "mapping", "latency ms", "total ms", "GLB MB", "DRAM MB", "DRAM RLC MB",
        "energy/MAC",
    ];
    let mb = |words: f64| format!("{:.2}", words * 2e-6);
    let rows: Vec<Vec<String>> = reports
        .iter()
        .map(|r| {
            let chip = r.chip;
            let m = &r.mapping.array;
            vec![
                r.name.clone(),
                beside(format!("{:.1}", r.macs as f64 / 1e6), chip.map(|c| format!("{:.1}", c.macs_m))),
                format!("{:.0}", 100.0 * r.zero_macs as f64 / r.macs as f64),
                beside(r.active_pes.to_string(), chip.map(|c| c.active_pes.to_string())),
                format!("r{} t{} p{} q{} n{}", m.r, m.t, m.p, m.q, m.n)
                    + &if m.g_rep > 1 { format!(" g{}", m.g_rep) } else { String::new() },
                beside(format!("{:.1}", r.latency_ms), chip.map(|c| format!("{:.1}", c.latency_ms))),
                beside(
                    format!("{:.1}-{:.1}", r.total_latency_ms, r.serial_latency_ms),
                    chip.map(|c| format!("{:.1}", c.total_latency_ms)),
                ),
                beside(mb((r.glb_reads + r.glb_writes) as f64), chip.map(|c| format!("{:.1}", c.glb_mb))),
                beside(mb((r.dram_reads + r.dram_writes) as f64), chip.map(|c| format!("{:.1}", c.dram_mb))),
                beside(mb(r.dram_reads_rlc + r.dram_writes_rlc), chip.map(|c| format!("{:.1}", c.dram_rlc_mb))),
                format!("{:.2}", r.energy_per_mac),
            ]
        })
        .collect();
    let widths: Vec<usize> =
        (0..headers.len()).map(|i| rows.iter().map(|r| r[i].len()).chain([headers[i].len()]).max().unwrap_or(0)).collect();
    let line = |cells: Vec<&str>| {
        let cells: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        println!("{}", cells.join("  ").trim_end());
    };
    line(headers.to_vec());
    line(widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().iter().map(String::as_str).collect());
    for r in &rows {
        line(r.iter().map(String::as_str).collect());
    }
    if reports.iter().any(|r| r.chip.is_some()) {
        println!("[chip]: Eyeriss at batch 4 (JSSC 2017; processing latency at 200 MHz; DRAM before coding read from the ISSCC 2016 chart).");
        println!("total ms: with the DRAM link moving the coded traffic, overlapped with computing - not overlapped.");
    }
    println!("zero %: MACs whose ifmap is zero (gated); energy/MAC: ISCA 2016 model (DRAM 200, GLB 6, NoC 2, spad 1, MAC 1).");
}

fn print_dataflows(c: &Comparison) {
    println!();
    println!(
        "Dataflows on one budget (256 PEs, 512 B register file each, 128 kB buffer, batch {}, dense data): energy per MAC",
        c.batch
    );
    let mut header = format!("{:<8}", "layer");
    for d in &c.dataflows {
        header.push_str(&format!("{d:>8}"));
    }
    println!("{header}");
    for l in &c.layers {
        let mut row = format!("{:<8}", l.name);
        for v in &l.per_mac {
            row.push_str(&format!("{v:>8.2}"));
        }
        println!("{row}");
    }
    let mut row = format!("{:<8}", "all");
    for v in &c.per_mac {
        row.push_str(&format!("{v:>8.2}"));
    }
    println!("{row}");
    let mut row = format!("{:<8}", "vs RS");
    for v in &c.vs_rs {
        row.push_str(&format!("{:>7.2}x", v));
    }
    println!("{row}");
    println!("(ISCA 2016 reports RS 1.4-2.5x ahead; the baselines here get RS's DRAM traffic, see edgertl_sim::eyeriss::dataflow.)");
}

/// An SVG bar chart: each layer's energy stacked by level; with `rtl` (`run alexnet --rtl`),
/// the energy of the mapping the RTL ran beside it, lighter (none for a layer not run).
fn energy_chart(reports: &[LayerReport], rtl: Option<&[Option<Energy>]>) -> Result<String> {
    use plotters::prelude::*;
    type Level = (&'static str, fn(&Energy) -> f64, RGBColor);
    let levels: [Level; 5] = [
        ("MAC", |e| e.mac, RGBColor(120, 120, 120)),
        ("spad", |e| e.spad, RGBColor(76, 114, 176)),
        ("NoC", |e| e.noc, RGBColor(85, 168, 104)),
        ("GLB", |e| e.glb, RGBColor(221, 132, 82)),
        ("DRAM", |e| e.dram, RGBColor(196, 78, 82)),
    ];
    let rtl_bars: Vec<(usize, &Energy)> = rtl.unwrap_or(&[]).iter().enumerate().filter_map(|(i, e)| e.as_ref().map(|e| (i, e))).collect();
    let top = reports.iter().map(|r| r.energy.total).chain(rtl_bars.iter().map(|(_, e)| e.total)).fold(0.0, f64::max) / 1e9 * 1.1;
    // Bars' margins in pixels within a layer's segment (about 125 pixels wide): one bar, or
    // the model's on the left and the RTL's on the right.
    let (model_margins, rtl_margins) = if rtl.is_some() { ((10, 64), (64, 10)) } else { ((12, 12), (12, 12)) };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 440)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow::anyhow!("chart: {e}"))?;
        let caption = if rtl.is_some() {
            "Energy per layer and level (ISCA 2016 model): mapper | RTL's mapping"
        } else {
            "Energy per layer and level (ISCA 2016 model)"
        };
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            // A segmented range includes its end: segments 0..=last, one per layer.
            .build_cartesian_2d((0..reports.len().saturating_sub(1)).into_segmented(), 0.0..top.max(1e-9))
            .map_err(|e| anyhow::anyhow!("chart: {e}"))?;
        let names: Vec<String> = reports.iter().map(|r| r.name.clone()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc("energy (10^9 MAC units)")
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .draw()
            .map_err(|e| anyhow::anyhow!("chart: {e}"))?;
        let bar = |i: usize, e: &Energy, li: usize, style: ShapeStyle, (left, right): (u32, u32)| {
            let below: f64 = levels[..li].iter().map(|(_, v, _)| v(e)).sum::<f64>() / 1e9;
            let mut bar = Rectangle::new([(SegmentValue::Exact(i), below), (SegmentValue::Exact(i + 1), below + levels[li].1(e) / 1e9)], style);
            bar.set_margin(0, 0, left, right);
            bar
        };
        for (li, (label, _, color)) in levels.iter().enumerate() {
            let bars = reports.iter().enumerate().map(|(i, r)| bar(i, &r.energy, li, color.filled(), model_margins));
            let color = *color;
            chart
                .draw_series(bars)
                .map_err(|e| anyhow::anyhow!("chart: {e}"))?
                .label(*label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
            chart
                .draw_series(rtl_bars.iter().map(|&(i, e)| bar(i, e, li, color.mix(0.5).filled(), rtl_margins)))
                .map_err(|e| anyhow::anyhow!("chart: {e}"))?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| anyhow::anyhow!("chart: {e}"))?;
        root.present().map_err(|e| anyhow::anyhow!("chart: {e}"))?;
    }
    Ok(svg)
}
