//! `edgertl run frontend`: a sequence of PNG frames through Navion's front-end as the chip runs
//! it (issue 14, §4): the corner detector on each incoming 8-bit frame, the codec storing it in
//! the frame memory, and the tracker following the corners of frame k from the decoded frame k
//! into the decoded frame k + 1.
//!
//! `edgertl run frontend --frames DIR [--out DIR] [--preset P] [--raw] [--rtl]`
//!
//! - DIR holds the frames, PNG files of one size (W and H multiples of 4 for the codec), taken
//!   in the order of their names; anything else in it (another file, a folder) is an error, as
//!   are an empty folder, a single frame and frames of different sizes.
//! - `--preset navion|small` sets the detector's and the tracker's presets together.
//! - Per frame it prints a line: the corners found, how many of the previous frame's corners
//!   were tracked into it and lost (weak, left the frame), and the cycles: the detector and the
//!   codec take one pixel a clock from the camera (W x H each, side by side), the tracker's come
//!   from its measured formula (a point 3 + L (W + 64) + n (W + 42) cycles for n iterations,
//!   the RTL's own timing: `hdl/src/navion/tracker`); with `--rtl` all three are counted on
//!   the units.
//! - `--out DIR` (created when missing; not the frames' folder): per frame `<name>.corners.json`
//!   (`edgertl run corners`'s shape), and from the second frame on `<name>.tracks.json` (`edgertl
//!   run track`'s shape: the previous frame's corners into this one) and `<name>.flow.png` (the
//!   decoded frame with the flow drawn); the first frame's `<name>.flow.png` shows its corners.
//!   Written together at the end: nothing is written when anything fails.
//! - `--rtl` runs the three Verilated units: `navion_detector` and `navion_tracker` of the preset
//!   (the `small` ones are built by default: frames up to 64 x 48 for the tracker) and
//!   `navion_codec` (preset `navion`); the same files.
//!
//! A progress bar over the frames shows on a terminal.

use crate::run_navion::corners_json;
use crate::run_track::{flow_overlay, tracks_json};
use anyhow::{bail, Context, Result};
use clap::Args;
use edgertl::output::{check_writable_dir, OutputSet};
use edgertl_sim::navion::codec::Compressed;
use edgertl_sim::navion::detector::{self, Detection, DetectorConfig};
use edgertl_sim::navion::tracker::{self, Input, Loss, Track, TrackerConfig, FRAC};
use edgertl_sim::navion::{image, tracker_rtl, Frame};
use std::path::{Path, PathBuf};

/// `edgertl run frontend`.
#[derive(Args, Debug)]
pub struct FrontendArgs {
    /// The folder of frames: PNG files of one size, in the order of their names.
    #[arg(long, value_name = "DIR")]
    frames: PathBuf,
    /// Where to write each frame's corners, tracks and overlay (created when missing).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The detector's and the tracker's preset: navion (8x6 cells, K 38; 3 levels, 15 x 15,
    /// 30 iterations) or small (4x3 cells, K 8; 2 levels, 7 x 7, 10 iterations).
    #[arg(long, value_name = "NAME", default_value = "navion",
          value_parser = clap::builder::PossibleValuesParser::new(TrackerConfig::PRESETS))]
    preset: String,
    /// Track on the 8-bit frames rather than the codec's decoded frames.
    #[arg(long)]
    raw: bool,
    /// Run the Verilated detector, codec and tracker instead of the golden models (the same
    /// files; the tracker's cycles counted on it).
    #[arg(long)]
    rtl: bool,
}

/// The frames of `dir` by name, checked (module doc).
fn frame_paths(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot read the folder {}", dir.display()))?;
    let mut paths = Vec::new();
    for e in entries {
        let e = e.with_context(|| format!("cannot read the folder {}", dir.display()))?;
        let path = e.path();
        let png = path.extension().is_some_and(|x| x.eq_ignore_ascii_case("png"));
        if !png || !path.is_file() {
            bail!(
                "{} is not a PNG frame: the folder of frames must hold only the frames (PNG files, taken in the order of their names)",
                path.display()
            );
        }
        paths.push(path);
    }
    paths.sort();
    match paths.len() {
        0 => bail!("{} holds no frames: put the sequence's PNG frames there", dir.display()),
        1 => bail!("{} holds one frame: the tracker needs a sequence of two or more", dir.display()),
        _ => Ok(paths),
    }
}

/// The tracker's cycles for these tracks by its timing formula (module doc).
pub fn formula_cycles(cfg: &TrackerConfig, tracks: &[Track]) -> u64 {
    tracks.iter().map(|t| edgertl_hdl::navion::tracker::point_clocks(cfg.window, cfg.levels, t.iterations)).sum()
}

fn png(img: &image::Rgb) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    image::write_png_rgb(&mut bytes, img)?;
    Ok(bytes)
}

/// One frame through the front-end: its corners, the frame the tracker reads, and the
/// detector's and the codec's cycles (counted on the RTL with `rtl`, else a pixel a clock).
fn stage(frame: &Frame, dcfg: &DetectorConfig, preset: &str, raw: bool, rtl: bool) -> Result<(Detection, Frame, String)> {
    let pixels = frame.width() * frame.height();
    if !rtl {
        let d = detector::detect(frame, dcfg)?;
        let stored = if raw { frame.clone() } else { tracker::input_frame(frame, Input::Codec)? };
        return Ok((d, stored, format!("detector and codec {pixels} (a pixel a clock)")));
    }
    let (d, dc) = edgertl_sim::navion::rtl::detect_counted(frame, preset, dcfg).map_err(anyhow::Error::msg)?;
    let (c, cc) = edgertl_sim::navion::codec_rtl::encode_counted(frame).map_err(anyhow::Error::msg)?;
    let stored = if raw { frame.clone() } else { c.decode() };
    Ok((d, stored, format!("detector {dc}, codec {cc} (counted on the RTL; {pixels} pixels)")))
}

pub fn frontend(args: FrontendArgs) -> Result<()> {
    let dcfg = DetectorConfig::preset(&args.preset)?;
    let tcfg = TrackerConfig::preset(&args.preset)?;
    let paths = frame_paths(&args.frames)?;
    let mut frames = Vec::with_capacity(paths.len());
    for p in &paths {
        let f = image::read_png(p)?;
        if let Some((first, f0)) = paths.first().zip(frames.first()) {
            let f0: &Frame = f0;
            if (f.width(), f.height()) != (f0.width(), f0.height()) {
                bail!(
                    "the frames differ in size: {} is {} x {}, {} is {} x {}",
                    first.display(),
                    f0.width(),
                    f0.height(),
                    p.display(),
                    f.width(),
                    f.height()
                );
            }
        }
        frames.push(f);
    }
    let (w, h) = (frames[0].width(), frames[0].height());
    dcfg.check_frame(w, h).with_context(|| format!("the corner detector (preset {})", args.preset))?;
    if !args.raw {
        Compressed::encode(&frames[0])
            .with_context(|| format!("{}: the codec stores frames whose sides are multiples of 4; --raw tracks the 8-bit frames", paths[0].display()))?;
    }
    if args.rtl {
        tracker_rtl::pick(w, h, &tcfg).map_err(|e| anyhow::anyhow!("--rtl: {e}"))?;
    }
    if let Some(out) = &args.out {
        let same = |a: &Path, b: &Path| matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b);
        if same(out, &args.frames) {
            bail!("--out {} is the folder of frames: pick another (the overlays are PNG files)", out.display());
        }
        check_writable_dir(out)?;
    }
    let model = if args.rtl { "Verilated navion_detector, navion_codec and navion_tracker" } else { "golden models" };
    println!(
        "{}: {} frames of {w} x {h}, preset {} (grid {}x{}, K {}; {} levels, {}x{} window, {} iterations), tracking on {} frames, {model}",
        args.frames.display(),
        frames.len(),
        args.preset,
        dcfg.grid_x,
        dcfg.grid_y,
        dcfg.per_cell,
        tcfg.levels,
        tcfg.window,
        tcfg.window,
        tcfg.iterations,
        if args.raw { "8-bit" } else { "codec" }
    );
    let bar = indicatif::ProgressBar::new(frames.len() as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} frames, {eta} left") {
        bar.set_style(style);
    }
    let mut set = args.out.as_ref().map(|_| OutputSet::new());
    let mut prev: Option<(Detection, Frame)> = None;
    let (mut all_tracked, mut all_lost, mut all_cycles) = (0usize, 0usize, 0u64);
    for (k, (path, frame)) in paths.iter().zip(&frames).enumerate() {
        let shown = path.display().to_string();
        let (d, stored, front) = stage(frame, &dcfg, &args.preset, args.raw, args.rtl).with_context(|| shown.clone())?;
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let mut line = format!("frame {}/{} {}: {} corners", k + 1, frames.len(), stem, d.corners.len());
        let mut overlay = None;
        let mut tracks_text = None;
        if let Some((pd, pstored)) = &prev {
            let pts: Vec<(i32, i32)> = pd.corners.iter().map(|c| ((c.x as i32) << FRAC, (c.y as i32) << FRAC)).collect();
            let (tracks, cycles, how) = if args.rtl {
                let r = tracker_rtl::track(&tcfg, pstored, &stored, &pts).map_err(|e| anyhow::anyhow!("{shown}: --rtl: {e}"))?;
                (r.tracks, r.cycles, "counted on the RTL")
            } else {
                let t = tracker::track(&tcfg, pstored, &stored, &pts).with_context(|| shown.clone())?;
                let c = formula_cycles(&tcfg, &t);
                (t, c, "formula")
            };
            let lost = |l: Loss| tracks.iter().filter(|t| t.lost == Some(l)).count();
            let tracked = tracks.iter().filter(|t| t.lost.is_none()).count();
            all_tracked += tracked;
            all_lost += tracks.len() - tracked;
            all_cycles += cycles;
            line += &format!(
                "; {} of the previous frame's tracked, {} lost ({} weak, {} left the frame); cycles: {front}, tracker {cycles} ({how})",
                tracked,
                tracks.len() - tracked,
                lost(Loss::Weak),
                lost(Loss::Left),
            );
            if set.is_some() {
                tracks_text = Some(tracks_json(&tracks, w, h, if args.raw { Input::Raw } else { Input::Codec }));
                overlay = Some(png(&flow_overlay(&stored, &tracks))?);
            }
        } else {
            line += &format!("; cycles: {front}");
            if set.is_some() {
                overlay = Some(png(&image::overlay(frame, &d.corners, &dcfg))?);
            }
        }
        if let (Some(set), Some(out)) = (&mut set, &args.out) {
            set.add(out.join(format!("{stem}.corners.json")), corners_json(&d))?;
            if let Some(t) = tracks_text {
                set.add(out.join(format!("{stem}.tracks.json")), t)?;
            }
            if let Some(o) = overlay {
                set.add(out.join(format!("{stem}.flow.png")), o)?;
            }
        }
        bar.suspend(|| println!("  {line}"));
        bar.inc(1);
        prev = Some((d, stored));
    }
    bar.finish_and_clear();
    let pairs = frames.len() - 1;
    println!(
        "  {pairs} frame pairs: {all_tracked} points tracked, {all_lost} lost; tracker {all_cycles} cycles ({:.0} a frame)",
        all_cycles as f64 / pairs as f64
    );
    if let Some(set) = set {
        let written = set.commit()?;
        println!("  wrote {} files in {}", written.len(), args.out.as_ref().expect("with a set").display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_formula_is_the_units_timing() {
        let cfg = TrackerConfig::small();
        let t = Track { x0: 0, y0: 0, x1: 0, y1: 0, lost: None, iterations: 9 };
        // 2 levels of 7 + 64, 9 iterations of 7 + 42, 3 for the point.
        assert_eq!(formula_cycles(&cfg, &[t, t]), 2 * (3 + 2 * 71 + 9 * 49));
    }
}
