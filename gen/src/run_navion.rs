//! `edgertl run corners` and `edgertl run codec`: Navion's corner detector and frame codec on
//! files (issue 13, §4), with the golden models of `edgertl_sim::navion`.
//!
//! - `edgertl run corners --in F.png [--preset P] [--grid GXxGY] [--per-cell K] [--threshold T]
//!   [--out C.json] [--score S.npy] [--overlay O.png]`: C.json is `{"width": W, "height": H,
//!   "corners": [{"x": .., "y": .., "score": ..}, ...]}` (cells in raster order, then by
//!   descending score); S.npy the int32 score of every pixel, shape (H, W); O.png the frame
//!   with its grid and corners drawn.
//! - `edgertl run codec encode --in F.png --out F.nfc`, `edgertl run codec decode --in F.nfc
//!   --out D.png [--reference F.png]`: the 26-bit-per-block frame format; both print the
//!   compression ratio, encode the PSNR of the decoded frame against its input (decode against
//!   `--reference`).
//!
//! `--rtl` runs the Verilated hardware instead of the golden model, with byte-identical files:
//! for `codec`, the `navion_codec` unit (preset `navion`: frames up to 1024 wide, at most
//! 752 x 480's 22560 blocks; `edgertl_sim::navion::codec_rtl`); for `corners`, the
//! `navion_detector` (the `small` preset is Verilated by every build; `navion` with
//! `EDGERTL_SIM_PRESETS=navion_detector:navion`). Every output goes through
//! [`edgertl::output`], checked before any work is done; nothing is written when anything
//! fails.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use edgertl::output::Output;
use edgertl_sim::navion::codec::{self, Compressed};
use edgertl_sim::navion::detector::{self, DetectorConfig};
use edgertl_sim::navion::{image, Frame};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `edgertl run corners`.
#[derive(Args, Debug)]
pub struct CornersArgs {
    /// The frame, a PNG (8-bit; colour is turned to gray with BT.601's weights).
    #[arg(long = "in", value_name = "F.png")]
    input: PathBuf,
    /// The detector preset: navion (frames up to 752 pixels wide, 8x6 cells, K 38, T 4096)
    /// or small (up to 160 wide, 4x3 cells, K 8, T 4096); any height.
    #[arg(long, value_name = "NAME", default_value = "navion",
          value_parser = clap::builder::PossibleValuesParser::new(DetectorConfig::PRESETS))]
    preset: String,
    /// The grid, GXxGY cells (e.g. 8x6), each 1 to 64; the preset's when left out.
    #[arg(long, value_name = "GXxGY", value_parser = parse_grid)]
    grid: Option<(u32, u32)>,
    /// Corners kept per cell (K), 1 to 64; the preset's when left out.
    #[arg(long, value_name = "K")]
    per_cell: Option<u32>,
    /// The least score of a corner (T); the preset's when left out.
    #[arg(long, value_name = "T")]
    threshold: Option<u32>,
    /// The corners as JSON.
    #[arg(long, value_name = "C.json")]
    out: Option<PathBuf>,
    /// The score of every pixel as an int32 .npy array of shape (H, W).
    #[arg(long, value_name = "S.npy")]
    score: Option<PathBuf>,
    /// The frame with its grid and corners drawn (scaled up to 640 pixels or more).
    #[arg(long, value_name = "O.png")]
    overlay: Option<PathBuf>,
    /// Run the Verilated hardware (`navion_detector` of the preset) instead of the golden
    /// model: the same files. The grid and K are the preset's; T is any.
    #[arg(long)]
    rtl: bool,
}

/// `edgertl run codec`.
#[derive(Subcommand, Debug)]
pub enum CodecCommand {
    /// Compress a PNG frame (W and H multiples of 4) into an .nfc file; prints the compression
    /// ratio and the PSNR of the decoded frame against the input.
    Encode {
        /// The frame, a PNG (8-bit; colour is turned to gray).
        #[arg(long = "in", value_name = "F.png")]
        input: PathBuf,
        /// The .nfc file to write.
        #[arg(long, value_name = "F.nfc")]
        out: PathBuf,
        /// Run the Verilated navion_codec unit instead of the golden model (frames up to 1024
        /// wide, at most 22560 4 x 4 blocks).
        #[arg(long)]
        rtl: bool,
    },
    /// Decompress an .nfc file into a gray PNG; prints the compression ratio (and the PSNR
    /// against --reference).
    Decode {
        /// The .nfc file.
        #[arg(long = "in", value_name = "F.nfc")]
        input: PathBuf,
        /// The PNG to write.
        #[arg(long, value_name = "D.png")]
        out: PathBuf,
        /// The original frame, to print the PSNR of the decoded one against it.
        #[arg(long, value_name = "F.png")]
        reference: Option<PathBuf>,
        /// Run the Verilated navion_codec unit instead of the golden model: the blocks are
        /// loaded into its frame memory and read back decoded (frames up to 1024 wide, at most
        /// 22560 4 x 4 blocks).
        #[arg(long)]
        rtl: bool,
    },
}

/// `--grid GXxGY`.
fn parse_grid(text: &str) -> std::result::Result<(u32, u32), String> {
    let bad = || format!("`{text}` is not a grid: write GXxGY, e.g. 8x6, each from 1 to {}", detector::MAX_GRID);
    let (x, y) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    let gx: u32 = x.trim().parse().map_err(|_| bad())?;
    let gy: u32 = y.trim().parse().map_err(|_| bad())?;
    if !(1..=detector::MAX_GRID).contains(&gx) || !(1..=detector::MAX_GRID).contains(&gy) {
        return Err(bad());
    }
    Ok((gx, gy))
}

/// Starts the outputs given, each checked against the input and the others, before any work.
fn outputs(input: &Path, paths: &[Option<&PathBuf>]) -> Result<Vec<Option<Output>>> {
    let given: Vec<&PathBuf> = paths.iter().flatten().copied().collect();
    for (i, p) in given.iter().enumerate() {
        if given[..i].contains(p) {
            bail!("{} is named as two outputs", p.display());
        }
    }
    paths.iter().map(|p| p.map(|p| Output::create(p, &[input])).transpose()).collect()
}

fn write_all(out: &mut Output, bytes: &[u8]) -> Result<()> {
    let shown = out.path().display().to_string();
    out.write_all(bytes).with_context(|| format!("cannot write {shown}"))
}

pub fn corners(args: CornersArgs) -> Result<()> {
    let mut cfg = DetectorConfig::preset(&args.preset)?;
    if let Some((gx, gy)) = args.grid {
        (cfg.grid_x, cfg.grid_y) = (gx, gy);
    }
    cfg.per_cell = args.per_cell.unwrap_or(cfg.per_cell);
    cfg.threshold = args.threshold.unwrap_or(cfg.threshold);
    cfg.validate()?;
    let frame = image::read_png(&args.input)?;
    let mut outs = outputs(&args.input, &[args.out.as_ref(), args.score.as_ref(), args.overlay.as_ref()])?;
    let d = if args.rtl {
        edgertl_sim::navion::rtl::detect(&frame, &args.preset, &cfg)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("{}", args.input.display()))?
    } else {
        detector::detect(&frame, &cfg).with_context(|| format!("{}", args.input.display()))?
    };
    if let Some(out) = &mut outs[0] {
        write_all(out, corners_json(&d).as_bytes())?;
    }
    if let Some(out) = &mut outs[1] {
        let shown = out.path().display().to_string();
        detector::write_scores_npy(&mut *out, &d).with_context(|| format!("cannot write {shown}"))?;
    }
    if let Some(out) = &mut outs[2] {
        let mut png = Vec::new();
        image::write_png_rgb(&mut png, &image::overlay(&frame, &d.corners, &cfg))?;
        write_all(out, &png)?;
    }
    println!(
        "{}: {} x {}, preset {} (grid {}x{}, K {}, T {}), {}: {} candidates, {} corners kept",
        args.input.display(),
        d.width,
        d.height,
        args.preset,
        cfg.grid_x,
        cfg.grid_y,
        cfg.per_cell,
        cfg.threshold,
        if args.rtl { "Verilated navion_detector" } else { "golden model" },
        d.candidates,
        d.corners.len()
    );
    for out in outs.into_iter().flatten() {
        println!("  wrote {}", out.commit()?.display());
    }
    Ok(())
}

/// C.json: the size, then one corner a line.
pub fn corners_json(d: &detector::Detection) -> String {
    let corners: Vec<String> = d
        .corners
        .iter()
        .map(|c| format!("    {}", serde_json::json!({"x": c.x, "y": c.y, "score": c.score})))
        .collect();
    let list = if corners.is_empty() { "[]".to_string() } else { format!("[\n{}\n  ]", corners.join(",\n")) };
    format!("{{\n  \"width\": {},\n  \"height\": {},\n  \"corners\": {list}\n}}\n", d.width, d.height)
}

pub fn codec(command: CodecCommand) -> Result<()> {
    match command {
        CodecCommand::Encode { input, out, rtl } => encode(&input, &out, rtl),
        CodecCommand::Decode { input, out, reference, rtl } => decode(&input, &out, reference.as_deref(), rtl),
    }
}

/// The ratio line: raw 8-bit pixels against the file, and against the blocks alone.
fn ratio_text(c: &Compressed) -> String {
    let raw = c.width() * c.height();
    let (bw, bh) = c.blocks();
    format!(
        "{raw} bytes of 8-bit pixels in {} bytes of .nfc: ratio {:.3}:1 ({} bits a 4 x 4 block, {:.3}:1 for the blocks alone)",
        c.nfc_len(),
        raw as f64 / c.nfc_len() as f64,
        codec::BLOCK_BITS,
        (raw * 8) as f64 / (bw * bh * codec::BLOCK_BITS) as f64,
    )
}

fn psnr_text(reference: &Frame, decoded: &Frame) -> String {
    let db = |p: f64| if p.is_finite() { format!("{p:.2} dB") } else { "infinite (no error)".to_string() };
    // The 5-bit cut alone, for scale: what no 5-bit format can beat.
    let cut = Frame::from_fn(reference.width(), reference.height(), |x, y| {
        let q5 = reference.at(x, y) >> 3;
        (q5 << 3) | (q5 >> 2)
    });
    format!(
        "PSNR {} against the 8-bit input (the 5-bit cut alone: {})",
        db(codec::psnr(reference, decoded)),
        db(codec::psnr(reference, &cut))
    )
}

/// Which model ran, for the report.
fn model_name(rtl: bool) -> &'static str {
    if rtl {
        "the Verilated navion_codec unit"
    } else {
        "the golden model"
    }
}

fn encode(input: &Path, out: &Path, rtl: bool) -> Result<()> {
    let frame = image::read_png(input)?;
    let mut sink = Output::create(out, &[input])?;
    let c = Compressed::encode(&frame).with_context(|| format!("{}", input.display()))?;
    let c = if rtl {
        edgertl_sim::navion::codec_rtl::encode(&frame).map_err(|e| anyhow::anyhow!("{}: {e}", input.display()))?
    } else {
        c
    };
    codec::write_nfc(&mut sink, &c).with_context(|| format!("cannot write {}", out.display()))?;
    let wrote = sink.commit()?;
    let (bw, bh) = c.blocks();
    println!("encoded {} ({} x {}, {} blocks) with {}", input.display(), c.width(), c.height(), bw * bh, model_name(rtl));
    println!("  {}", ratio_text(&c));
    println!("  {}", psnr_text(&frame, &c.decode()));
    println!("  wrote {}", wrote.display());
    Ok(())
}

fn decode(input: &Path, out: &Path, reference: Option<&Path>, rtl: bool) -> Result<()> {
    let c = codec::read_nfc(input)?;
    let reference_path = reference;
    let reference = reference_path.map(image::read_png).transpose()?;
    if let Some(r) = &reference {
        if (r.width(), r.height()) != (c.width(), c.height()) {
            bail!(
                "the reference is {} x {}, the .nfc frame {} x {}",
                r.width(),
                r.height(),
                c.width(),
                c.height()
            );
        }
    }
    let inputs: Vec<&Path> = std::iter::once(input).chain(reference_path).collect();
    let mut sink = Output::create(out, &inputs)?;
    let decoded = if rtl {
        edgertl_sim::navion::codec_rtl::decode(&c).map_err(|e| anyhow::anyhow!("{}: {e}", input.display()))?
    } else {
        c.decode()
    };
    image::write_png_gray(&mut sink, &decoded).with_context(|| format!("cannot write {}", out.display()))?;
    let wrote = sink.commit()?;
    println!("decoded {} ({} x {}) with {}", input.display(), c.width(), c.height(), model_name(rtl));
    println!("  {}", ratio_text(&c));
    if let Some(r) = &reference {
        println!("  {}", psnr_text(r, &decoded));
    }
    println!("  wrote {}", wrote.display());
    Ok(())
}
