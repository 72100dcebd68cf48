//! `edgertl run frontend` as a user runs it (issue 14, §4): a 3-frame sequence of a real
//! photograph moving through the detector, the codec and the tracker; the files it writes are
//! the golden models' (the corners of frame k tracked from the decoded frame k into the decoded
//! frame k + 1), `--rtl` writes the same bytes, and bad folders are clear errors that write
//! nothing.

mod common;
use common::*;
use edgertl_sim::navion::detector::{self, DetectorConfig};
use edgertl_sim::navion::image as nimage;
use edgertl_sim::navion::motion::{render, Motion};
use edgertl_sim::navion::tracker::{self, Input, TrackerConfig, FRAC};
use edgertl_sim::navion::Frame;
use std::path::Path;

fn write_png(path: &Path, f: &Frame) {
    nimage::write_png_gray(std::fs::File::create(path).unwrap(), f).unwrap();
}

/// Three views of the camera photograph, w x h, each moved a little more.
fn sequence(dir: &Path, w: usize, h: usize) -> Vec<Frame> {
    std::fs::create_dir_all(dir).unwrap();
    let src = nimage::read_png(&data("camera_512x512.png")).unwrap();
    let moves = [Motion::translation(0.0, 0.0), Motion::translation(1.6, -0.9), Motion { tx: 3.1, ty: -2.2, degrees: 0.5, scale: 1.0 }];
    moves
        .iter()
        .enumerate()
        .map(|(k, m)| {
            let f = render(&src, w, h, m);
            write_png(&dir.join(format!("f{k}.png")), &f);
            f
        })
        .collect()
}

fn read(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

#[test]
fn frontend_tracks_each_frames_corners_into_the_next() {
    let d = tempfile::tempdir().unwrap();
    let (dir, out) = (d.path().join("frames"), d.path().join("out"));
    let frames = sequence(&dir, 96, 64);
    let r = edgertl(&["run", "frontend", "--frames", s(&dir), "--out", s(&out)]);
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    let text = stdout(&r);
    eprint!("{text}");
    let cfg = TrackerConfig::navion();
    for k in 0..3 {
        let corners = detector::detect(&frames[k], &DetectorConfig::navion()).unwrap().corners;
        let c = read(&out.join(format!("f{k}.corners.json")));
        assert_eq!(c["corners"].as_array().unwrap().len(), corners.len());
        assert_eq!((c["corners"][0]["x"].as_u64(), c["corners"][0]["y"].as_u64()), (Some(corners[0].x.into()), Some(corners[0].y.into())));
        assert!(text.contains(&format!("frame {}/3 f{k}: {} corners", k + 1, corners.len())), "{text}");
        assert!(out.join(format!("f{k}.flow.png")).exists());
        if k == 0 {
            assert!(!out.join("f0.tracks.json").exists());
            continue;
        }
        // The previous frame's corners, from its decoded frame into this one's.
        let prev = detector::detect(&frames[k - 1], &DetectorConfig::navion()).unwrap().corners;
        let pts: Vec<(i32, i32)> = prev.iter().map(|c| ((c.x as i32) << FRAC, (c.y as i32) << FRAC)).collect();
        let (a, b) = (tracker::input_frame(&frames[k - 1], Input::Codec).unwrap(), tracker::input_frame(&frames[k], Input::Codec).unwrap());
        let want = tracker::track(&cfg, &a, &b, &pts).unwrap();
        let t = read(&out.join(format!("f{k}.tracks.json")));
        let got = t["tracks"].as_array().unwrap();
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g["x1"].as_f64(), Some(tracker::to_pixels(w.x1)));
            assert_eq!(g["y1"].as_f64(), Some(tracker::to_pixels(w.y1)));
            assert_eq!(g["iterations"].as_u64(), Some(w.iterations.into()));
            assert_eq!(g["status"], if w.lost.is_none() { "tracked" } else { "lost" });
        }
        let tracked = want.iter().filter(|t| t.lost.is_none()).count();
        assert!(tracked * 10 >= want.len() * 8, "{tracked} of {}", want.len());
        // The unit's timing (its module doc): 3 + L (W + 64) + iterations (W + 42), W = 15, L = 3.
        let cycles: u64 = want.iter().map(|t| 3 + 3 * 79 + u64::from(t.iterations) * 57).sum();
        assert!(
            text.contains(&format!("{tracked} of the previous frame's tracked, {} lost", want.len() - tracked))
                && text.contains(&format!("detector and codec 6144 (a pixel a clock), tracker {cycles} (formula)")),
            "{text}"
        );
    }
    assert!(text.contains("wrote 8 files"), "{text}");
}

/// `--rtl` (the Verilated detector, codec and tracker of the `small` preset) writes the golden
/// models' bytes, every file, and counts the tracker's cycles on it: the formula's.
#[test]
fn frontend_rtl_writes_the_golden_models_bytes() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("frames");
    sequence(&dir, 64, 48);
    let (golden, rtl) = (d.path().join("golden"), d.path().join("rtl"));
    let r = edgertl(&["run", "frontend", "--frames", s(&dir), "--preset", "small", "--out", s(&golden)]);
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    // The tracker's cycles a frame: by the formula here, counted on the RTL below.
    let cycles = |text: &str| -> Vec<u64> {
        text.split(", tracker ").skip(1).map(|t| t.split(' ').next().unwrap().parse().unwrap()).collect()
    };
    let formula = cycles(&stdout(&r));
    assert_eq!(formula.len(), 2, "{}", stdout(&r));
    let r = edgertl(&["run", "frontend", "--frames", s(&dir), "--preset", "small", "--out", s(&rtl), "--rtl"]);
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    eprint!("{}", stdout(&r));
    assert!(stdout(&r).contains("(counted on the RTL)"), "{}", stdout(&r));
    assert_eq!(stdout(&r).matches("(counted on the RTL; 3072 pixels)").count(), 3, "{}", stdout(&r));
    eprintln!("tracker cycles a frame: formula {formula:?}, counted {:?}", cycles(&stdout(&r)));
    assert_eq!(cycles(&stdout(&r)), formula, "the formula is the unit's timing, lost points too");
    let names = files(&golden);
    assert_eq!(names.len(), 8, "{names:?}");
    assert_eq!(files(&rtl), names);
    for n in &names {
        assert!(std::fs::read(golden.join(n)).unwrap() == std::fs::read(rtl.join(n)).unwrap(), "{n} differs");
    }
}

#[test]
fn frontend_refuses_bad_folders_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    let empty = d.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let one = d.path().join("one");
    std::fs::create_dir(&one).unwrap();
    write_png(&one.join("a.png"), &Frame::from_fn(64, 48, |x, y| (x * y) as u8));
    let mixed = d.path().join("mixed");
    sequence(&mixed, 64, 48);
    write_png(&mixed.join("f3.png"), &Frame::from_fn(60, 48, |x, y| (x * y) as u8));
    let other = d.path().join("other");
    sequence(&other, 64, 48);
    std::fs::write(other.join("notes.txt"), "hello").unwrap();
    let odd = d.path().join("odd");
    sequence(&odd, 62, 48);
    let good = d.path().join("good");
    sequence(&good, 64, 48);
    let missing = d.path().join("missing");
    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["--frames", s(&empty)], format!("{} holds no frames", empty.display())),
        (vec!["--frames", s(&one)], "holds one frame: the tracker needs a sequence of two or more".into()),
        (vec!["--frames", s(&mixed)], "the frames differ in size".into()),
        (vec!["--frames", s(&mixed)], "f3.png is 60 x 48".into()),
        (vec!["--frames", s(&other)], "notes.txt is not a PNG frame".into()),
        (vec!["--frames", s(&odd)], "multiples of 4; --raw tracks the 8-bit frames".into()),
        (vec!["--frames", s(&missing)], "cannot read the folder".into()),
        // Navion's configuration: the tracker's `navion` preset takes it, the detector's
        // `navion` preset is not Verilated by default.
        (vec!["--frames", s(&good), "--rtl"], "`navion_detector` preset `navion` is not Verilated by this build".into()),
    ];
    for (args, message) in cases {
        let mut full = vec!["run", "frontend", "--out", s(&out)];
        full.extend(&args);
        let r = edgertl(&full);
        assert_eq!(code(&r), 1, "{args:?}: {}", stderr(&r));
        assert!(stderr(&r).contains(&message), "{args:?}: {}", stderr(&r));
        assert!(!out.exists() || files(&out).is_empty(), "{args:?}");
    }
    let r = edgertl(&["run", "frontend", "--frames", s(&good), "--out", s(&good)]);
    assert!(code(&r) == 1 && stderr(&r).contains("is the folder of frames"), "{}", stderr(&r));
    assert_eq!(files(&good), ["f0.png", "f1.png", "f2.png"]);
    // --raw takes sides that are not multiples of 4.
    let r = edgertl(&["run", "frontend", "--frames", s(&odd), "--raw"]);
    assert_eq!(code(&r), 0, "{}", stderr(&r));
}
