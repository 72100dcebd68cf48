//! `edgertl run track` as a user runs it (issue 14, §4): the tracks it writes are the golden
//! model's on a real photograph moved by a known motion, with the detector's corners or a
//! points file, on codec or 8-bit frames; bad input is a clear error that writes nothing.

mod common;
use common::*;
use edgertl_sim::navion::detector::{self, DetectorConfig};
use edgertl_sim::navion::image as nimage;
use edgertl_sim::navion::motion::{render, Motion};
use edgertl_sim::navion::tracker::{self, Input, TrackerConfig, FRAC};
use edgertl_sim::navion::Frame;
use std::path::{Path, PathBuf};

fn write_png(path: &Path, f: &Frame) {
    nimage::write_png_gray(std::fs::File::create(path).unwrap(), f).unwrap();
}

/// Frames A and B, `w` x `h` views of the camera photograph, B moved by `m`.
fn views(dir: &Path, w: usize, h: usize, m: Motion) -> (PathBuf, PathBuf, Frame, Frame) {
    let src = nimage::read_png(&data("camera_512x512.png")).unwrap();
    let (a, b) = (render(&src, w, h, &Motion::translation(0.0, 0.0)), render(&src, w, h, &m));
    let (pa, pb) = (dir.join("a.png"), dir.join("b.png"));
    write_png(&pa, &a);
    write_png(&pb, &b);
    (pa, pb, a, b)
}

/// Frames A and B (camera, 160 x 120) with B moved by 3.4, -2.2 pixels and 1 degree.
fn pair(dir: &Path) -> (PathBuf, PathBuf, Frame, Frame, Motion) {
    let m = Motion { tx: 3.4, ty: -2.2, degrees: 1.0, scale: 1.0 };
    let (pa, pb, a, b) = views(dir, 160, 120, m);
    (pa, pb, a, b, m)
}

/// Frames A and B: a 64 x 48 view of the camera photograph, B moved by 2.6, -1.7 pixels and
/// half a degree (what the `small` hardware preset takes).
fn small_pair(dir: &Path) -> (PathBuf, PathBuf) {
    let (pa, pb, _, _) = views(dir, 64, 48, Motion { tx: 2.6, ty: -1.7, degrees: 0.5, scale: 1.0 });
    (pa, pb)
}

/// T.json's tracks as (x0, y0, x1, y1, status, iterations).
fn read_tracks(path: &Path) -> Vec<(f64, f64, f64, f64, String, u64)> {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["x0"].as_f64().unwrap(),
                t["y0"].as_f64().unwrap(),
                t["x1"].as_f64().unwrap(),
                t["y1"].as_f64().unwrap(),
                t["status"].as_str().unwrap().to_string(),
                t["iterations"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn expected(cfg: &TrackerConfig, a: &Frame, b: &Frame, input: Input, pts: &[(i32, i32)]) -> Vec<(f64, f64, f64, f64, String, u64)> {
    let (fa, fb) = (tracker::input_frame(a, input).unwrap(), tracker::input_frame(b, input).unwrap());
    tracker::track(cfg, &fa, &fb, pts)
        .unwrap()
        .iter()
        .map(|t| {
            let p = tracker::to_pixels;
            let status = if t.lost.is_some() { "lost" } else { "tracked" };
            (p(t.x0), p(t.y0), p(t.x1), p(t.y1), status.to_string(), t.iterations.into())
        })
        .collect()
}

#[test]
fn track_writes_what_the_golden_model_finds() {
    let d = tempfile::tempdir().unwrap();
    let (pa, pb, a, b, m) = pair(d.path());
    let (json, png) = (d.path().join("t.json"), d.path().join("o.png"));
    // The detector's corners, codec frames, the navion preset.
    let r = edgertl(&["run", "track", "--prev", s(&pa), "--next", s(&pb), "--out", s(&json), "--overlay", s(&png)]);
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    let corners = detector::detect(&a, &DetectorConfig::navion()).unwrap().corners;
    let pts: Vec<(i32, i32)> = corners.iter().map(|c| ((c.x as i32) << FRAC, (c.y as i32) << FRAC)).collect();
    let want = expected(&TrackerConfig::navion(), &a, &b, Input::Codec, &pts);
    let got = read_tracks(&json);
    assert_eq!(got, want);
    assert!(stdout(&r).contains(&format!("{} points (the detector's corners of A)", pts.len())), "{}", stdout(&r));
    // Most points are found within a pixel of where the motion took them.
    let near = got
        .iter()
        .filter(|t| {
            let (x, y) = m.apply(160, 120, t.0, t.1);
            t.4 == "tracked" && (t.2 - x).hypot(t.3 - y) < 1.0
        })
        .count();
    assert!(near * 10 >= got.len() * 8, "{near} of {} within 1 px", got.len());
    let overlay = image::open(&png).unwrap();
    assert_eq!((overlay.width(), overlay.height()), (640, 480));

    // A points file from `run corners`, 8-bit frames, the flags over the preset.
    let pj = d.path().join("p.json");
    let r = edgertl(&["run", "corners", "--in", s(&pa), "--out", s(&pj)]);
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    let r = edgertl(&[
        "run", "track", "--prev", s(&pa), "--next", s(&pb), "--points", s(&pj), "--raw", "--levels", "2", "--window", "7",
        "--iters", "5", "--out", s(&json),
    ]);
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    assert!(stdout(&r).contains("8-bit frames, 2 levels, 7x7 window, 5 iterations"), "{}", stdout(&r));
    let cfg = TrackerConfig { levels: 2, window: 7, iterations: 5, ..TrackerConfig::navion() };
    assert_eq!(read_tracks(&json), expected(&cfg, &a, &b, Input::Raw, &pts));
    // Decimal points are taken, rounded to 1/256.
    std::fs::write(&pj, r#"{"corners": [{"x": 80.3, "y": 60.7}, {"x": 0, "y": 0}]}"#).unwrap();
    let r = edgertl(&["run", "track", "--prev", s(&pa), "--next", s(&pb), "--points", s(&pj), "--out", s(&json)]);
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    let pts = [(tracker::to_fixed(80.3), tracker::to_fixed(60.7)), (0, 0)];
    assert_eq!(read_tracks(&json), expected(&TrackerConfig::navion(), &a, &b, Input::Codec, &pts));
}

#[test]
fn track_refuses_bad_input_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let (pa, pb, a, _, _) = pair(d.path());
    let small = d.path().join("small.png");
    write_png(&small, &Frame::from_fn(80, 60, |x, y| a.at(x, y)));
    let odd = d.path().join("odd.png");
    write_png(&odd, &Frame::from_fn(158, 118, |x, y| a.at(x, y)));
    let odd2 = d.path().join("odd2.png");
    write_png(&odd2, &Frame::from_fn(158, 118, |x, y| a.at(x + 1, y)));
    let text = d.path().join("bad.json");
    std::fs::write(&text, "{\"corners\": [").unwrap();
    let nolist = d.path().join("nolist.json");
    std::fs::write(&nolist, "{\"points\": []}").unwrap();
    let outside = d.path().join("outside.json");
    std::fs::write(&outside, r#"{"corners": [{"x": 160, "y": 3}]}"#).unwrap();
    let json = d.path().join("t.json");
    let missing = d.path().join("missing.json");
    let cases: Vec<(Vec<&str>, &str, i32)> = vec![
        (vec!["--next", s(&small)], "the frames differ in size", 1),
        (vec!["--next", s(&pb), "--window", "14"], "must be odd", 1),
        (vec!["--next", s(&pb), "--window", "17"], "the window (W) is 17, outside 3 ..= 15", 1),
        (vec!["--next", s(&pb), "--levels", "4"], "levels (L) is 4", 1),
        (vec!["--next", s(&pb), "--iters", "0"], "iterations per level (N) is 0", 1),
        (vec!["--next", s(&pb), "--points", s(&text)], "bad.json: not valid JSON", 1),
        (vec!["--next", s(&pb), "--points", s(&nolist)], "no \"corners\" list", 1),
        (vec!["--next", s(&pb), "--points", s(&outside)], "corner 0 (x 160, y 3) is outside the 160 x 120 frame", 1),
        (vec!["--next", s(&pb), "--points", s(&missing)], "cannot read", 1),
        (vec!["--next", s(&pb), "--rtl", "--window", "13"], "no navion_tracker hardware preset takes 160 x 120 frames with 3 levels and a 13 x 13 window", 1),
        (vec!["--next", s(&pb), "--rtl", "--preset", "small"], "`small` takes frames up to 64 x 48, 1 to 2 levels and a 7 x 7 window", 1),
        (vec!["--next", s(&pb), "--preset", "huge"], "invalid value 'huge'", 2),
        (vec!["--next", s(&text)], "not a PNG file", 1),
    ];
    for (args, message, exit) in cases {
        let mut full = vec!["run", "track", "--prev", s(&pa), "--out", s(&json)];
        full.extend(&args);
        let r = edgertl(&full);
        assert_eq!(code(&r), exit, "{args:?}: {}", stderr(&r));
        assert!(stderr(&r).contains(message), "{args:?}: {}", stderr(&r));
        assert!(!json.exists(), "{args:?}");
    }
    // Sides not multiples of 4: the codec cannot store the frames; --raw tracks them.
    let r = edgertl(&["run", "track", "--prev", s(&odd), "--next", s(&odd2), "--out", s(&json)]);
    assert_eq!(code(&r), 1);
    assert!(stderr(&r).contains("multiples of 4") && stderr(&r).contains("--raw"), "{}", stderr(&r));
    assert!(!json.exists());
    let r = edgertl(&["run", "track", "--prev", s(&odd), "--next", s(&odd2), "--out", s(&json), "--raw"]);
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    std::fs::remove_file(&json).unwrap();
    // Outputs: the input itself, and one file named twice; --out is required.
    let r = edgertl(&["run", "track", "--prev", s(&pa), "--next", s(&pb), "--out", s(&pb)]);
    assert!(code(&r) == 1 && stderr(&r).contains("same file as the input"), "{}", stderr(&r));
    let r = edgertl(&["run", "track", "--prev", s(&pa), "--next", s(&pb), "--out", s(&json), "--overlay", s(&json)]);
    assert!(code(&r) == 1 && stderr(&r).contains("named as two outputs"), "{}", stderr(&r));
    let r = edgertl(&["run", "track", "--prev", s(&pa), "--next", s(&pb)]);
    assert_eq!(code(&r), 2, "{}", stderr(&r));
    assert_eq!(
        files(d.path()),
        ["a.png", "b.png", "bad.json", "nolist.json", "odd.png", "odd2.png", "outside.json", "small.png"]
    );
}

/// `--rtl` runs the Verilated `navion_tracker` (preset `small`) and writes the very bytes the
/// golden model does, on codec and on 8-bit frames, with the detector's corners and with a
/// points file near the borders; its summary gives the cycles.
#[test]
fn track_rtl_writes_the_golden_models_bytes() {
    let d = tempfile::tempdir().unwrap();
    let (pa, pb) = small_pair(d.path());
    let (golden, rtl) = (d.path().join("golden.json"), d.path().join("rtl.json"));
    let pj = d.path().join("p.json");
    std::fs::write(&pj, r#"{"corners": [{"x": 0, "y": 0}, {"x": 63, "y": 47}, {"x": 2.5, "y": 30.25}, {"x": 31.7, "y": 1}, {"x": 40, "y": 20}]}"#).unwrap();
    let runs: [&[&str]; 3] = [&[], &["--raw", "--iters", "30", "--levels", "1"], &["--points", s(&pj)]];
    for extra in runs {
        let mut args = vec!["run", "track", "--prev", s(&pa), "--next", s(&pb), "--preset", "small"];
        args.extend(extra);
        let r = edgertl(&[&args[..], &["--out", s(&golden)]].concat());
        assert_eq!(code(&r), 0, "{extra:?}: {}", stderr(&r));
        let r = edgertl(&[&args[..], &["--out", s(&rtl), "--rtl"]].concat());
        assert_eq!(code(&r), 0, "{extra:?}: {}", stderr(&r));
        let out = stdout(&r);
        eprint!("{out}");
        assert!(out.contains("Verilated navion_tracker (preset small)"), "{out}");
        let cycles: u64 = out.split("navion_tracker: ").nth(1).and_then(|t| t.split(' ').next()).and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("{out}"));
        let tracks = read_tracks(&rtl);
        let tracked = tracks.iter().filter(|t| t.4 == "tracked").count();
        // The detector's corners mostly tracked; the points file's near the borders leave.
        let most = if extra.is_empty() || extra[0] == "--raw" { tracked * 4 >= tracks.len() * 3 } else { tracked == 2 };
        assert!(tracks.len() >= 5 && most, "{extra:?}: {tracks:?}");
        assert!(cycles > 100 * tracks.len() as u64, "{out}");
        assert_eq!(String::from_utf8(std::fs::read(&rtl).unwrap()).unwrap(), String::from_utf8(std::fs::read(&golden).unwrap()).unwrap(), "{extra:?}");
    }
    // Navion's configuration (3 levels, 15 x 15) on a 160 x 120 photograph pair runs on the
    // `navion` preset, its pyramid rows served through the memory port: the same bytes too.
    let (pa, pb, ..) = pair(d.path());
    let args = ["run", "track", "--prev", s(&pa), "--next", s(&pb)];
    let r = edgertl(&[&args[..], &["--out", s(&golden)]].concat());
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    let r = edgertl(&[&args[..], &["--out", s(&rtl), "--rtl"]].concat());
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    let out = stdout(&r);
    eprint!("{out}");
    assert!(out.contains("Verilated navion_tracker (preset navion)"), "{out}");
    assert!(read_tracks(&rtl).len() >= 20, "{out}");
    assert_eq!(String::from_utf8(std::fs::read(&rtl).unwrap()).unwrap(), String::from_utf8(std::fs::read(&golden).unwrap()).unwrap(), "navion preset");
}
