//! `edgertl run mi`: the mutual information of poses of an occupancy map, or of every cell
//! (the surface), with the golden models of `edgertl_sim::fsmi` or the Verilated `fsmi` unit
//! (issue 15, §4).
//!
//! `edgertl run mi (--map M.npy|M.png | --demo) (--pose ROW,COL ... | --surface) [--preset P]
//! [--beams B] [--range R] [--d-occ D] [--d-emp D] [--model fixed|f64] [--rtl] [--out F]
//! [--png H.png]`:
//!
//! - M is a `.npy` of shape (H, W), float occupancy in [0, 1] or uint8 codes, or a PNG (a
//!   ROS map image: black occupied, white free, gray unknown). `--demo` takes a built-in
//!   partly explored office of 200 x 200 cells instead.
//! - `--pose ROW,COL` (repeated, or several after one `--pose`): prints each pose's MI in
//!   nats; `--out F` writes them as JSON, `{"poses": [{"row": .., "col": .., "mi": ..}]}`.
//! - `--surface` (the default without `--pose`): the MI of every cell; `--out F` writes it as a
//!   float32 `.npy` (H, W), nats, and `--png H.png` (alias `--heatmap`) the heat map over the
//!   map with the best next pose ringed.
//!
//! The fixed-point model (the default) is the one the hardware matches bit for bit, so
//! `--rtl` (the Verilated 16-core unit, preset `paper`) gives the same numbers; `--model f64`
//! is the reference. A progress bar shows on a terminal for runs of 2,000 poses or more.
//! Outputs go through [`edgertl::output`], checked before any work; nothing is written when
//! anything fails.
use anyhow::{bail, Context, Result};
use clap::{ArgAction, Args, ValueEnum};
use edgertl::output::Output;
use edgertl_sim::fsmi::banks::Banking;
use edgertl_sim::fsmi::driver::{rtl_poses, SurfaceTotals};
use edgertl_sim::fsmi::file::{best_pose, read_map, write_heatmap_png, write_surface_npy};
use edgertl_sim::fsmi::fixed::{to_nats, FixedModel};
use edgertl_sim::fsmi::map::OccMap;
use edgertl_sim::fsmi::mi::{self, FsmiConfig};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// Which golden model computes the MI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Model {
    /// The fixed-point model (lookup tables, integer traversal), as the hardware.
    Fixed,
    /// The f64 reference.
    F64,
}

/// `ROW,COL` on the command line.
fn parse_pose(text: &str) -> Result<(usize, usize), String> {
    let bad = || format!("`{text}` is not a pose ROW,COL (two cell indices from 0, such as 12,40)");
    let (r, c) = text.split_once(',').ok_or_else(bad)?;
    Ok((r.trim().parse().map_err(|_| bad())?, c.trim().parse().map_err(|_| bad())?))
}

/// `edgertl run mi`.
#[derive(Args, Debug)]
pub struct MiArgs {
    /// The occupancy map: .npy (H, W) of float occupancy in [0, 1] or uint8 codes, or a PNG
    /// (black occupied, white free, gray unknown).
    #[arg(long, value_name = "M.npy|M.png", required_unless_present = "demo", conflicts_with = "demo")]
    map: Option<PathBuf>,
    /// A built-in map instead of --map: a partly explored office, 200 x 200 cells (20 m at
    /// 0.1 m), half of its free space seen.
    #[arg(long)]
    demo: bool,
    /// Poses (row, col from 0) whose MI to print (and write as JSON to --out); repeat the
    /// flag or list several after it.
    #[arg(long, value_name = "ROW,COL", num_args = 1.., action = ArgAction::Append, value_parser = parse_pose, conflicts_with = "surface")]
    pose: Vec<(usize, usize)>,
    /// The MI of every cell (the default without --pose): --out gets a float32 .npy (H, W),
    /// --png the heat map.
    #[arg(long)]
    surface: bool,
    /// The preset: paper (60 beams, range 100 cells, d_occ 1.5, d_emp 1/1.5) or small (16
    /// beams, range 32 cells).
    #[arg(long, value_name = "NAME", default_value = "paper",
          value_parser = clap::builder::PossibleValuesParser::new(FsmiConfig::PRESETS))]
    preset: String,
    /// Beams per pose (B), 1 to 1024; the preset's when left out.
    #[arg(long, value_name = "B")]
    beams: Option<usize>,
    /// The sensor's range in cells (R), above 0 and at most 1024; the preset's when left out.
    #[arg(long, value_name = "R")]
    range: Option<f64>,
    /// The odds update of a hit, above 1; the preset's when left out.
    #[arg(long, value_name = "D")]
    d_occ: Option<f64>,
    /// The odds update of a pass, below 1; the preset's when left out.
    #[arg(long, value_name = "D")]
    d_emp: Option<f64>,
    /// The model computing the MI.
    #[arg(long, value_enum, default_value = "fixed")]
    model: Model,
    /// With --pose: the poses' MI as JSON; with --surface: the surface, a float32 .npy of
    /// shape (H, W), nats.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// With --surface: the heat map over the map, the best next pose ringed (PNG).
    #[arg(long, value_name = "H.png", alias = "heatmap", conflicts_with = "pose")]
    png: Option<PathBuf>,
    /// Run the Verilated hardware unit (`fsmi`, preset `paper`) instead of the golden model.
    #[arg(long, conflicts_with = "model")]
    rtl: bool,
    /// With --rtl: the map's bank pattern, diagonal (skew 6) or row-major.
    #[arg(long, value_enum, default_value = "diagonal", requires = "rtl")]
    banking: BankPattern,
    /// With --rtl: simulation threads (each runs a model of its own, loaded with the map).
    #[arg(long, value_name = "N", default_value_t = 2, requires = "rtl", value_parser = clap::value_parser!(u32).range(1..=16))]
    threads: u32,
}

/// The bank pattern of `--rtl`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BankPattern {
    Diagonal,
    RowMajor,
}

/// A progress bar over `n` poses, drawn on a terminal for long runs only.
fn progress_bar(n: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(n as u64);
    if n < 2000 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    } else if let Ok(style) = indicatif::ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} poses, {eta} left") {
        bar.set_style(style);
    }
    bar
}

pub fn mi(args: MiArgs) -> Result<()> {
    let mut cfg = FsmiConfig::preset(&args.preset)?;
    cfg.beams = args.beams.unwrap_or(cfg.beams);
    cfg.range = args.range.unwrap_or(cfg.range);
    cfg.d_occ = args.d_occ.unwrap_or(cfg.d_occ);
    cfg.d_emp = args.d_emp.unwrap_or(cfg.d_emp);
    cfg.validate()?;
    if args.out.is_some() && args.png == args.out {
        bail!("{} is named as two outputs", args.png.as_ref().expect("some").display());
    }
    let inputs: Vec<&std::path::Path> = args.map.iter().map(PathBuf::as_path).collect();
    let mut out = args.out.as_ref().map(|p| Output::create(p, &inputs)).transpose()?;
    let mut heat = args.png.as_ref().map(|p| Output::create(p, &inputs)).transpose()?;
    let (map, name) = match &args.map {
        Some(path) => (read_map(path)?, path.display().to_string()),
        None => (OccMap::office(200, 200, 0.5, 1), "the demo office".to_string()),
    };
    let (h, w) = (map.height(), map.width());
    for &(r, c) in &args.pose {
        map.check_pose(r, c).with_context(|| format!("--pose {r},{c}"))?;
    }
    let surface = args.pose.is_empty();
    let poses: Vec<(usize, usize)> = if surface { (0..h * w).map(|i| (i / w, i % w)).collect() } else { args.pose.clone() };
    let started = Instant::now();
    let bar = progress_bar(poses.len());
    let progress = |done: usize| bar.set_position(done as u64);
    let mut totals: Option<SurfaceTotals> = None;
    let values: Vec<f64> = if args.rtl {
        let model = FixedModel::new(&cfg)?;
        let hw = edgertl_hdl::fsmi::FsmiHwConfig::paper();
        if h > hw.max_side() as usize || w > hw.max_side() as usize || cfg.beams > hw.max_beams() as usize {
            bail!(
                "--rtl: the fsmi unit (preset paper) takes maps up to {0} x {0} and {1} beams; this run has {h} x {w} and {2}",
                hw.max_side(),
                hw.max_beams(),
                cfg.beams
            );
        }
        let banking = match args.banking {
            BankPattern::Diagonal => Banking::Diagonal { skew: hw.skew as usize },
            BankPattern::RowMajor => Banking::RowMajor,
        };
        let (v, t) = rtl_poses(&map, &model, banking, args.threads as usize, &poses, &progress).map_err(anyhow::Error::msg)?;
        totals = Some(t);
        v.into_iter().map(to_nats).collect()
    } else {
        match args.model {
            Model::Fixed => FixedModel::new(&cfg)?.poses_mi(&map, &poses, &progress)?.into_iter().map(to_nats).collect(),
            Model::F64 => mi::poses_mi(&map, &poses, &cfg, &progress)?,
        }
    };
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let source = if args.rtl { "Verilated fsmi".to_string() } else { format!("{:?}", args.model) };
    let setting = format!("{} beams, range {} cells, d_occ {}, d_emp {:.4}, {source} model", cfg.beams, cfg.range, cfg.d_occ, cfg.d_emp);
    if surface {
        if let Some(out) = &mut out {
            let shown = out.path().display().to_string();
            write_surface_npy(out, h, w, &values).with_context(|| format!("cannot write {shown}"))?;
        }
        if let Some(heat) = &mut heat {
            let mut png = Vec::new();
            write_heatmap_png(&mut png, &map, &values).map_err(anyhow::Error::msg)?;
            let shown = heat.path().display().to_string();
            heat.write_all(&png).with_context(|| format!("cannot write {shown}"))?;
        }
        let (br, bc) = best_pose(w, &values).expect("a map has a cell");
        println!(
            "{name}: {h} x {w} cells, {setting}: surface in {seconds:.2} s; best pose row {br}, col {bc}: {:.6} nats",
            values[br * w + bc]
        );
    } else {
        println!("{name}: {h} x {w} cells, {setting}: {} poses in {seconds:.2} s", poses.len());
        for (&(r, c), v) in poses.iter().zip(&values) {
            println!("  row {r}, col {c}: {v:.6} nats");
        }
        if let Some(out) = &mut out {
            let list: Vec<serde_json::Value> = poses.iter().zip(&values).map(|(&(r, c), &v)| serde_json::json!({"row": r, "col": c, "mi": v})).collect();
            let text = serde_json::to_string_pretty(&serde_json::json!({ "poses": list }))?;
            let shown = out.path().display().to_string();
            writeln!(out, "{text}").with_context(|| format!("cannot write {shown}"))?;
        }
    }
    if let Some(t) = totals {
        println!(
            "  fsmi (paper, 16 cores, {:?} banks): {} cycles ({} lockstep steps, {} stall cycles, {} steps with a conflict); {} cycles simulated",
            args.banking, t.cycles, t.steps, t.stalls, t.conflicts, t.simulated
        );
    }
    if let Some(out) = out {
        println!("  wrote {}", out.commit()?.display());
    }
    if let Some(heat) = heat {
        println!("  wrote {}", heat.commit()?.display());
    }
    Ok(())
}
