//! `edgertl run track`: Navion's pyramidal Lucas-Kanade tracker on two PNG frames (issue 14,
//! §4), with the golden model of `edgertl_sim::navion::tracker`.
//!
//! `edgertl run track --prev A.png --next B.png [--points P.json] [--preset P] [--levels L]
//! [--window W] [--iters N] [--raw] [--rtl] --out T.json [--overlay O.png]`
//!
//! - Without `--points` the corner detector (preset `navion`) runs on A and its corners are
//!   tracked. P.json has the shape of `edgertl run corners`'s output: `{"corners": [{"x": ..,
//!   "y": ..}, ...]}` (other fields ignored; x and y may be decimals, rounded to 1/256 pixel).
//! - By default both frames go through the frame codec first (Navion tracks on its compressed
//!   frame memory; W and H multiples of 4); `--raw` tracks the 8-bit frames.
//! - T.json: `{"width": .., "height": .., "frames": "codec"|"raw", "tracks": [{"x0": .., "y0": ..,
//!   "x1": .., "y1": .., "status": "tracked"|"lost", "iterations": ..}, ...]}`, one track a line,
//!   in the points' order; positions in pixels, exact decimals of the model's 1/256-pixel fixed
//!   point; `iterations` summed over the levels.
//! - O.png: frame B scaled up to 640 pixels or more, each tracked point's flow drawn from its
//!   start (a yellow line to a green dot where it ended), lost points as red crosses at their start.
//!
//! `--rtl` runs the Verilated `navion_tracker` instead of the golden model, with a
//! byte-identical T.json ([`edgertl_sim::navion::tracker_rtl`]): the first hardware preset of
//! the registry that takes the frames, the window and the levels (`small`: frames up to
//! 64 x 48, 1 or 2 levels, 7 x 7, `--preset small` on a crop; `navion`: up to 752 x 480, 1 to 3
//! levels, 15 x 15, its pyramid rows served through the unit's memory port); anything else is
//! an error naming every preset's limits. Its summary adds the cycles the unit took. Outputs go
//! through [`edgertl::output`], checked before any work is done.

use anyhow::{bail, Context, Result};
use clap::Args;
use edgertl::output::Output;
use edgertl_sim::navion::detector::{self, DetectorConfig};
use edgertl_sim::navion::image::{self, Rgb, OVERLAY_SIDE};
use edgertl_sim::navion::tracker::{self, Input, Loss, Track, TrackerConfig};
use edgertl_sim::navion::tracker_rtl;
use edgertl_sim::navion::Frame;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `edgertl run track`.
#[derive(Args, Debug)]
pub struct TrackArgs {
    /// Frame A, a PNG (8-bit; colour is turned to gray with BT.601's weights).
    #[arg(long, value_name = "A.png")]
    prev: PathBuf,
    /// Frame B, a PNG of A's size.
    #[arg(long, value_name = "B.png")]
    next: PathBuf,
    /// The points to track, JSON like `edgertl run corners --out`; the detector's corners
    /// of A when left out.
    #[arg(long, value_name = "P.json")]
    points: Option<PathBuf>,
    /// The tracker preset: navion (3 levels, 15x15, 30 iterations) or small (2 levels, 7x7,
    /// 10 iterations); both smooth level 0 with the 3x3 binomial and the coarser levels with
    /// the 5x5 before the derivatives.
    #[arg(long, value_name = "NAME", default_value = "navion",
          value_parser = clap::builder::PossibleValuesParser::new(TrackerConfig::PRESETS))]
    preset: String,
    /// Pyramid levels, 1 to 3; the preset's when left out.
    #[arg(long, value_name = "L")]
    levels: Option<u32>,
    /// The window's side, odd, 3 to 15; the preset's when left out.
    #[arg(long, value_name = "W")]
    window: Option<u32>,
    /// The most iterations per level, 1 to 30; the preset's when left out.
    #[arg(long, value_name = "N")]
    iters: Option<u32>,
    /// Track the 8-bit frames rather than the codec's decoded frames.
    #[arg(long)]
    raw: bool,
    /// Run the Verilated navion_tracker instead of the golden model: the same T.json, and the
    /// cycles it took. Its presets fix the largest frame, the levels and the window (`small`:
    /// up to 64 x 48, 1 or 2 levels, 7 x 7: `--preset small` on frames that small).
    #[arg(long)]
    rtl: bool,
    /// The tracks as JSON.
    #[arg(long, value_name = "T.json")]
    out: PathBuf,
    /// Frame B with the flow of every point drawn (scaled up to 640 pixels or more).
    #[arg(long, value_name = "O.png")]
    overlay: Option<PathBuf>,
}

/// Points from P.json's `corners`, in 1/256 pixel; every problem named.
pub fn parse_points(text: &str, path: &Path, width: usize, height: usize) -> Result<Vec<(i32, i32)>> {
    let shown = path.display();
    let v: serde_json::Value =
        serde_json::from_str(text).with_context(|| format!("{shown}: not valid JSON"))?;
    let Some(list) = v.get("corners").and_then(|c| c.as_array()) else {
        bail!("{shown}: no \"corners\" list (expected {{\"corners\": [{{\"x\": .., \"y\": ..}}, ...]}}, as `edgertl run corners --out` writes)");
    };
    list.iter()
        .enumerate()
        .map(|(i, c)| {
            let coord = |k: &str| -> Result<f64> {
                let x = c.get(k).and_then(|x| x.as_f64()).with_context(|| format!("{shown}: corner {i} has no number \"{k}\": {c}"))?;
                Ok(x)
            };
            let (x, y) = (coord("x")?, coord("y")?);
            if !(0.0..=(width - 1) as f64).contains(&x) || !(0.0..=(height - 1) as f64).contains(&y) {
                bail!("{shown}: corner {i} (x {x}, y {y}) is outside the {width} x {height} frame");
            }
            Ok((tracker::to_fixed(x), tracker::to_fixed(y)))
        })
        .collect()
}

/// A fixed-point position as JSON: its exact decimal (1/256 is a finite decimal).
fn px(v: i32) -> serde_json::Value {
    serde_json::json!(tracker::to_pixels(v))
}

/// T.json (module doc).
pub fn tracks_json(tracks: &[Track], width: usize, height: usize, input: Input) -> String {
    let lines: Vec<String> = tracks
        .iter()
        .map(|t| {
            let status = if t.lost.is_some() { "lost" } else { "tracked" };
            format!(
                "    {{\"x0\": {}, \"y0\": {}, \"x1\": {}, \"y1\": {}, \"status\": \"{status}\", \"iterations\": {}}}",
                px(t.x0),
                px(t.y0),
                px(t.x1),
                px(t.y1),
                t.iterations
            )
        })
        .collect();
    let list = if lines.is_empty() { "[]".to_string() } else { format!("[\n{}\n  ]", lines.join(",\n")) };
    let frames = if input == Input::Raw { "raw" } else { "codec" };
    format!("{{\n  \"width\": {width},\n  \"height\": {height},\n  \"frames\": \"{frames}\",\n  \"tracks\": {list}\n}}\n")
}

/// Frame `f` scaled up with every track's flow drawn (module doc).
pub fn flow_overlay(f: &Frame, tracks: &[Track]) -> Rgb {
    let (w, h) = (f.width(), f.height());
    let s = OVERLAY_SIDE.div_ceil(w.max(h).max(1)).max(1);
    let mut img = Rgb { width: w * s, height: h * s, data: Vec::with_capacity(3 * w * h * s * s) };
    for y in 0..h * s {
        for x in 0..w * s {
            let p = f.at(x / s, y / s) / 4 * 3;
            img.data.extend_from_slice(&[p, p, p]);
        }
    }
    let put = |img: &mut Rgb, x: f64, y: f64, c: [u8; 3]| {
        let (x, y) = (x.round() as i64, y.round() as i64);
        if x >= 0 && y >= 0 && (x as usize) < img.width && (y as usize) < img.height {
            let i = 3 * (y as usize * img.width + x as usize);
            img.data[i..i + 3].copy_from_slice(&c);
        }
    };
    // Pixel (x, y)'s centre in the picture.
    let at = |v: i32| (tracker::to_pixels(v) + 0.5) * s as f64;
    for t in tracks {
        let (x0, y0) = (at(t.x0), at(t.y0));
        if t.lost.is_some() {
            for d in -4..=4 {
                let d = f64::from(d);
                put(&mut img, x0 + d, y0 + d, [255, 40, 40]);
                put(&mut img, x0 + d, y0 - d, [255, 40, 40]);
            }
            continue;
        }
        let (x1, y1) = (at(t.x1), at(t.y1));
        let steps = ((x1 - x0).abs().max((y1 - y0).abs()) * 2.0).ceil().max(1.0) as usize;
        for k in 0..=steps {
            let a = k as f64 / steps as f64;
            put(&mut img, x0 + a * (x1 - x0), y0 + a * (y1 - y0), [255, 220, 0]);
        }
        for dy in -2..=2 {
            for dx in -2..=2 {
                if dx * dx + dy * dy <= 5 {
                    put(&mut img, x1 + f64::from(dx), y1 + f64::from(dy), [0, 255, 60]);
                }
            }
        }
    }
    img
}

pub fn track(args: TrackArgs) -> Result<()> {
    let mut cfg = TrackerConfig::preset(&args.preset)?;
    cfg.levels = args.levels.unwrap_or(cfg.levels);
    cfg.window = args.window.unwrap_or(cfg.window);
    cfg.iterations = args.iters.unwrap_or(cfg.iterations);
    cfg.validate()?;
    let a = image::read_png(&args.prev)?;
    let b = image::read_png(&args.next)?;
    if (a.width(), a.height()) != (b.width(), b.height()) {
        bail!(
            "the frames differ in size: {} is {} x {}, {} is {} x {}",
            args.prev.display(),
            a.width(),
            a.height(),
            args.next.display(),
            b.width(),
            b.height()
        );
    }
    if args.rtl {
        tracker_rtl::pick(a.width(), a.height(), &cfg).map_err(|e| anyhow::anyhow!("--rtl: {e}"))?;
    }
    let points = match &args.points {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
            parse_points(&text, p, a.width(), a.height())?
        }
        None => {
            let d = detector::detect(&a, &DetectorConfig::navion())
                .with_context(|| format!("the corner detector on {}", args.prev.display()))?;
            d.corners.iter().map(|c| ((c.x as i32) << tracker::FRAC, (c.y as i32) << tracker::FRAC)).collect()
        }
    };
    let mut inputs: Vec<&Path> = vec![&args.prev, &args.next];
    inputs.extend(args.points.as_deref());
    if args.overlay.as_ref() == Some(&args.out) {
        bail!("{} is named as two outputs", args.out.display());
    }
    let mut out = Output::create(&args.out, &inputs)?;
    let mut overlay = args.overlay.as_ref().map(|p| Output::create(p, &inputs)).transpose()?;
    let input = if args.raw { Input::Raw } else { Input::Codec };
    let frame = |f: &Frame| {
        tracker::input_frame(f, input).context("the frames must be stored by the codec (width and height multiples of 4); --raw tracks the 8-bit frames")
    };
    let (fa, fb) = (frame(&a)?, frame(&b)?);
    let (tracks, hw) = if args.rtl {
        let r = tracker_rtl::track(&cfg, &fa, &fb, &points).map_err(|e| anyhow::anyhow!("--rtl: {e}"))?;
        (r.tracks.clone(), Some(r))
    } else {
        (tracker::track(&cfg, &fa, &fb, &points)?, None)
    };
    let shown = out.path().display().to_string();
    out.write_all(tracks_json(&tracks, a.width(), a.height(), input).as_bytes())
        .with_context(|| format!("cannot write {shown}"))?;
    if let Some(o) = &mut overlay {
        let mut png = Vec::new();
        image::write_png_rgb(&mut png, &flow_overlay(&fb, &tracks))?;
        let shown = o.path().display().to_string();
        o.write_all(&png).with_context(|| format!("cannot write {shown}"))?;
    }
    let lost = |l: Loss| tracks.iter().filter(|t| t.lost == Some(l)).count();
    let tracked = tracks.iter().filter(|t| t.lost.is_none()).count();
    let iterations: u64 = tracks.iter().map(|t| u64::from(t.iterations)).sum();
    println!(
        "{} -> {}: {} x {}, {} frames, {} levels, {}x{} window, {} iterations a level, {}",
        args.prev.display(),
        args.next.display(),
        a.width(),
        a.height(),
        if args.raw { "8-bit" } else { "codec" },
        cfg.levels,
        cfg.window,
        cfg.window,
        cfg.iterations,
        match &hw {
            Some(r) => format!("Verilated navion_tracker (preset {})", r.preset),
            None => "golden model".to_string(),
        }
    );
    println!(
        "  {} points ({}): {tracked} tracked, {} lost ({} weak, {} left the frame), {:.1} iterations a point",
        tracks.len(),
        if args.points.is_some() { "from the points file" } else { "the detector's corners of A" },
        tracks.len() - tracked,
        lost(Loss::Weak),
        lost(Loss::Left),
        iterations as f64 / tracks.len().max(1) as f64
    );
    if let Some(r) = &hw {
        let load = if r.load_cycles == 0 {
            "its pyramid rows served through the memory port".to_string()
        } else {
            format!("after {} cycles loading both frames' levels", r.load_cycles)
        };
        println!(
            "  navion_tracker: {} cycles for {} points ({:.1} a point), {load}",
            r.cycles,
            tracks.len(),
            r.cycles as f64 / tracks.len().max(1) as f64,
        );
    }
    println!("  wrote {}", out.commit()?.display());
    if let Some(o) = overlay {
        println!("  wrote {}", o.commit()?.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_parse_or_say_what_is_wrong() {
        let p = Path::new("p.json");
        let ok = parse_points(r#"{"width": 9, "corners": [{"x": 1, "y": 2, "score": 5}, {"x": 3.5, "y": 0.25}]}"#, p, 10, 10).unwrap();
        assert_eq!(ok, [(256, 512), (896, 64)]);
        let err = |t: &str| format!("{:#}", parse_points(t, p, 10, 10).unwrap_err());
        assert!(err("{").contains("not valid JSON"));
        assert!(err("[]").contains("no \"corners\" list"));
        assert!(err(r#"{"corners": [{"x": 1}]}"#).contains("corner 0 has no number \"y\""));
        assert!(err(r#"{"corners": [{"x": "1", "y": 1}]}"#).contains("corner 0 has no number \"x\""));
        assert!(err(r#"{"corners": [{"x": 1, "y": 1}, {"x": 10, "y": 1}]}"#).contains("corner 1 (x 10, y 1) is outside the 10 x 10 frame"));
        assert!(err(r#"{"corners": [{"x": -0.5, "y": 1}]}"#).contains("outside"));
    }

    #[test]
    fn tracks_json_is_exact_decimals() {
        let t = Track { x0: 256, y0: 512, x1: 257, y1: -3, lost: None, iterations: 7 };
        let l = Track { lost: Some(Loss::Weak), ..t };
        let text = tracks_json(&[t, l], 4, 4, Input::Codec);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["tracks"][0]["x1"].as_f64(), Some(1.00390625));
        assert_eq!(v["tracks"][0]["y1"].as_f64(), Some(-0.01171875));
        assert_eq!(v["tracks"][0]["status"], "tracked");
        assert_eq!(v["tracks"][1]["status"], "lost");
        assert_eq!(v["frames"], "codec");
        assert!(tracks_json(&[], 4, 4, Input::Raw).contains("\"tracks\": []"));
    }
}
