//! `edgertl run mi`: the mutual-information surface of a whole occupancy map (issue 15), with
//! the golden models of `edgertl_sim::fsmi`.
//!
//! `edgertl run mi (--map M.npy|M.png | --demo) [--preset P] [--beams B] [--range R] [--d-occ D]
//! [--d-emp D] [--model fixed|f64] --out S.npy [--heatmap H.png]`: M is a `.npy` of shape
//! (H, W), float occupancy in [0, 1] or uint8 codes, or a PNG (a ROS map image: black
//! occupied, white free, gray unknown). S.npy is the float32 MI of every cell in nats, shape
//! (H, W); H.png the heat map over the map with the best next pose ringed. `--demo` takes a
//! built-in partly explored office of 200 x 200 cells instead of M. The fixed-point
//! model (the default) is the one the hardware will match bit for bit; `--model f64` the
//! reference. `--rtl` is refused until the hardware unit exists. Outputs go through
//! [`edgertl::output`], checked before any work; nothing is written when anything fails.
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use edgertl::output::Output;
use edgertl_sim::fsmi::file::{best_pose, read_map, write_heatmap_png, write_surface_npy};
use edgertl_sim::fsmi::banks::Banking;
use edgertl_sim::fsmi::driver::rtl_surface;
use edgertl_sim::fsmi::fixed::{to_nats, FixedModel};
use edgertl_sim::fsmi::map::OccMap;
use edgertl_sim::fsmi::mi::{self, FsmiConfig};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// Which golden model computes the surface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Model {
    /// The fixed-point model (lookup tables, integer traversal), as the hardware.
    Fixed,
    /// The f64 reference.
    F64,
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
    /// The model computing the surface.
    #[arg(long, value_enum, default_value = "fixed")]
    model: Model,
    /// The MI surface, a float32 .npy of shape (H, W), nats.
    #[arg(long, value_name = "S.npy")]
    out: PathBuf,
    /// The heat map over the map, the best next pose ringed.
    #[arg(long, value_name = "H.png")]
    heatmap: Option<PathBuf>,
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

pub fn mi(args: MiArgs) -> Result<()> {
    let mut cfg = FsmiConfig::preset(&args.preset)?;
    cfg.beams = args.beams.unwrap_or(cfg.beams);
    cfg.range = args.range.unwrap_or(cfg.range);
    cfg.d_occ = args.d_occ.unwrap_or(cfg.d_occ);
    cfg.d_emp = args.d_emp.unwrap_or(cfg.d_emp);
    cfg.validate()?;
    if args.heatmap.as_ref() == Some(&args.out) {
        bail!("{} is named as two outputs", args.out.display());
    }
    let inputs: Vec<&std::path::Path> = args.map.iter().map(PathBuf::as_path).collect();
    let mut out = Output::create(&args.out, &inputs)?;
    let mut heat = args.heatmap.as_ref().map(|p| Output::create(p, &inputs)).transpose()?;
    let (map, name) = match &args.map {
        Some(path) => (read_map(path)?, path.display().to_string()),
        None => (OccMap::office(200, 200, 0.5, 1), "the demo office".to_string()),
    };
    let started = Instant::now();
    let mut hw_line = None;
    let surface: Vec<f64> = if args.rtl {
        let model = FixedModel::new(&cfg)?;
        let hw = edgertl_hdl::fsmi::FsmiHwConfig::paper();
        if map.height() > hw.max_side() as usize || map.width() > hw.max_side() as usize || cfg.beams > hw.max_beams() as usize {
            bail!(
                "--rtl: the fsmi unit (preset paper) takes maps up to {0} x {0} and {1} beams; this run has {2} x {3} and {4}",
                hw.max_side(),
                hw.max_beams(),
                map.height(),
                map.width(),
                cfg.beams
            );
        }
        let banking = match args.banking {
            BankPattern::Diagonal => Banking::Diagonal { skew: hw.skew as usize },
            BankPattern::RowMajor => Banking::RowMajor,
        };
        let n = (map.height() * map.width()) as u64;
        let bar = indicatif::ProgressBar::new(n);
        if n < 2000 {
            bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        let (s, t) = rtl_surface(&map, &model, banking, args.threads as usize, &|done| bar.set_position(done as u64)).map_err(anyhow::Error::msg)?;
        bar.finish_and_clear();
        hw_line = Some(format!(
            "  fsmi (paper, 16 cores, {:?} banks): {} cycles ({} lockstep steps, {} stall cycles, {} steps with a conflict); {} cycles simulated",
            args.banking, t.cycles, t.steps, t.stalls, t.conflicts, t.simulated
        ));
        s.into_iter().map(to_nats).collect()
    } else {
        match args.model {
            Model::Fixed => FixedModel::new(&cfg)?.surface(&map).into_iter().map(to_nats).collect(),
            Model::F64 => mi::surface(&map, &cfg)?,
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let (h, w) = (map.height(), map.width());
    let shown = out.path().display().to_string();
    write_surface_npy(&mut out, h, w, &surface).with_context(|| format!("cannot write {shown}"))?;
    if let Some(heat) = &mut heat {
        let mut png = Vec::new();
        write_heatmap_png(&mut png, &map, &surface).map_err(anyhow::Error::msg)?;
        let shown = heat.path().display().to_string();
        heat.write_all(&png).with_context(|| format!("cannot write {shown}"))?;
    }
    let (br, bc) = best_pose(w, &surface).expect("a map has a cell");
    println!(
        "{}: {h} x {w} cells, {} beams, range {} cells, d_occ {}, d_emp {:.4}, {} model: surface in {seconds:.2} s; best pose row {br}, col {bc}: {:.6} nats",
        name,
        cfg.beams,
        cfg.range,
        cfg.d_occ,
        cfg.d_emp,
        if args.rtl { "Verilated fsmi".to_string() } else { format!("{:?}", args.model) },
        surface[br * w + bc]
    );
    if let Some(line) = hw_line {
        println!("{line}");
    }
    println!("  wrote {}", out.commit()?.display());
    if let Some(heat) = heat {
        println!("  wrote {}", heat.commit()?.display());
    }
    Ok(())
}
