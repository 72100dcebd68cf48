//! `edgertl run corners` and `edgertl run codec` as a user runs them (issue 13, §4): the files
//! they write agree with the golden models in `edgertl_sim::navion` on the real test images,
//! and bad input (not a PNG, 16-bit, empty, too wide, a truncated .nfc, `--rtl` of a preset
//! this build does not Verilate or of a grid the hardware is not built for) is a clear error
//! that writes nothing; `--rtl` (the Verilated units) writes the golden model's files byte for
//! byte.

mod common;
use common::*;
use edgertl_sim::navion::codec::{self, Compressed};
use edgertl_sim::navion::detector::{self, DetectorConfig};
use edgertl_sim::navion::{image as nimage, Frame};
use image::ImageEncoder;
use std::path::{Path, PathBuf};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A committed test image (tests/data/navion/, see its README).
fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/navion").join(name)
}

/// Every file in `dir`: nothing written, no temporary left, after a failed run.
fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

#[test]
fn corners_writes_what_the_golden_model_finds() {
    let d = tempfile::tempdir().unwrap();
    let (json, npy, png) = (d.path().join("c.json"), d.path().join("s.npy"), d.path().join("o.png"));
    for (name, preset) in [("camera_160x120.png", "small"), ("brick_160x120.png", "small"), ("coffee_752x480.png", "navion")] {
        let input = data(name);
        let r = edgertl(&["run", "corners", "--in", s(&input), "--preset", preset, "--out", s(&json), "--score", s(&npy), "--overlay", s(&png)]);
        assert_eq!(code(&r), 0, "{}", stderr(&r));
        let frame = nimage::read_png(&input).unwrap();
        let cfg = DetectorConfig::preset(preset).unwrap();
        let expect = detector::detect(&frame, &cfg).unwrap();
        assert!(stdout(&r).contains(&format!("{} candidates, {} corners kept", expect.candidates, expect.corners.len())), "{}", stdout(&r));
        // A real photograph has corners in most cells, never more than K a cell.
        assert!(expect.corners.len() > (cfg.grid_x * cfg.grid_y * cfg.per_cell / 2) as usize, "{name}: {}", expect.corners.len());
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        assert_eq!((v["width"].as_u64(), v["height"].as_u64()), (Some(frame.width() as u64), Some(frame.height() as u64)));
        let got: Vec<(u64, u64, u64)> = v["corners"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["x"].as_u64().unwrap(), c["y"].as_u64().unwrap(), c["score"].as_u64().unwrap()))
            .collect();
        let want: Vec<(u64, u64, u64)> = expect.corners.iter().map(|c| (c.x.into(), c.y.into(), c.score.into())).collect();
        assert_eq!(got, want, "{name}");
        let npy_bytes = std::fs::read(&npy).unwrap();
        let scores = npyz::NpyFile::new(&npy_bytes[..]).unwrap();
        assert_eq!(scores.shape(), [frame.height() as u64, frame.width() as u64]);
        let scores: Vec<i32> = scores.into_vec().unwrap();
        assert!(scores.iter().zip(&expect.scores).all(|(&a, &b)| a as u32 == b));
        let overlay = image::open(&png).unwrap();
        assert!(overlay.width() >= 640 && (overlay.width() as usize).is_multiple_of(frame.width()), "{}", overlay.width());
    }
}

#[test]
fn corners_rtl_writes_the_same_files_as_the_golden_model() {
    // The Verilated `navion_detector` (preset small) against the golden run, byte for byte.
    let d = tempfile::tempdir().unwrap();
    for (name, threshold) in [("camera_160x120.png", "4096"), ("brick_160x120.png", "0")] {
        let input = data(name);
        let mut bytes = Vec::new();
        for rtl in [false, true] {
            let (json, npy, png) = (d.path().join(format!("c{rtl}.json")), d.path().join(format!("s{rtl}.npy")), d.path().join(format!("o{rtl}.png")));
            let mut args = vec!["run", "corners", "--in", s(&input), "--preset", "small", "--threshold", threshold, "--out", s(&json), "--score", s(&npy), "--overlay", s(&png)];
            if rtl {
                args.push("--rtl");
            }
            let r = edgertl(&args);
            assert_eq!(code(&r), 0, "{name} rtl {rtl}: {}", stderr(&r));
            assert!(stdout(&r).contains(if rtl { "Verilated navion_detector" } else { "golden model" }), "{}", stdout(&r));
            bytes.push([&json, &npy, &png].map(|p| std::fs::read(p).unwrap()));
        }
        assert!(bytes[0] == bytes[1], "{name}: --rtl wrote other files than the golden model");
    }
}

#[test]
fn corners_flags_override_the_preset_and_colour_is_turned_to_gray() {
    let d = tempfile::tempdir().unwrap();
    // A colour PNG whose gray (BT.601) is camera_64x48.
    let gray = nimage::read_png(&data("camera_64x48.png")).unwrap();
    let rgb: Vec<u8> = gray.pixels().iter().flat_map(|&p| [p, p, p]).collect();
    let colour = d.path().join("colour.png");
    let mut bytes = Vec::new();
    image::codecs::png::PngEncoder::new(&mut bytes).write_image(&rgb, 64, 48, image::ExtendedColorType::Rgb8).unwrap();
    std::fs::write(&colour, bytes).unwrap();
    let json = d.path().join("c.json");
    let r = edgertl(&["run", "corners", "--in", s(&colour), "--grid", "2x3", "--per-cell", "2", "--threshold", "1000", "--out", s(&json)]);
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    assert!(stdout(&r).contains("grid 2x3, K 2, T 1000"), "{}", stdout(&r));
    let cfg = DetectorConfig { grid_x: 2, grid_y: 3, per_cell: 2, threshold: 1000, ..DetectorConfig::navion() };
    let expect = detector::detect(&gray, &cfg).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(v["corners"].as_array().unwrap().len(), expect.corners.len());
    assert_eq!(expect.corners.len(), 12, "6 cells of 2 on a real photograph");
}

#[test]
fn corners_refuses_bad_input_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let json = d.path().join("c.json");
    let text = d.path().join("not.png");
    std::fs::write(&text, "hello").unwrap();
    let empty = d.path().join("empty.png");
    std::fs::write(&empty, "").unwrap();
    let sixteen = d.path().join("sixteen.png");
    let mut bytes = Vec::new();
    image::codecs::png::PngEncoder::new(&mut bytes).write_image(&[0u8; 32], 4, 4, image::ExtendedColorType::L16).unwrap();
    std::fs::write(&sixteen, bytes).unwrap();
    let cam = data("camera_160x120.png");
    let coffee = data("coffee_752x480.png");
    let missing = d.path().join("missing.png");
    let cam64 = data("camera_64x48.png");
    let cases: Vec<(Vec<&str>, &str, i32)> = vec![
        (vec!["--in", s(&text)], "not a PNG file", 1),
        (vec!["--in", s(&empty)], "not a PNG file", 1),
        (vec!["--in", s(&sixteen)], "16-bit PNG", 1),
        (vec!["--in", s(&coffee), "--preset", "small"], "wider than the 160 pixels", 1),
        (vec!["--in", s(&cam), "--preset", "huge"], "invalid value 'huge'", 2),
        (vec!["--in", s(&cam), "--grid", "8by6"], "is not a grid", 2),
        (vec!["--in", s(&cam), "--grid", "0x6"], "is not a grid", 2),
        (vec!["--in", s(&cam), "--per-cell", "0"], "corners per cell (K) is 0", 1),
        (vec!["--in", s(&cam), "--threshold", "99999999"], "threshold (T)", 1),
        (vec!["--in", s(&cam64), "--grid", "64x64"], "does not fit", 1),
        (vec!["--in", s(&cam), "--rtl"], "is not Verilated by this build", 1),
        (vec!["--in", s(&cam), "--preset", "small", "--rtl", "--grid", "2x2"], "--rtl cannot run a 2x2 grid", 1),
        (vec!["--in", s(&coffee), "--preset", "small", "--rtl"], "wider than the 160 pixels", 1),
        (vec!["--in", s(&missing)], "cannot read", 1),
    ];
    for (args, message, exit) in cases {
        let mut full = vec!["run", "corners", "--out", s(&json)];
        full.extend(&args);
        let r = edgertl(&full);
        assert_eq!(code(&r), exit, "{args:?}: {}", stderr(&r));
        assert!(stderr(&r).contains(message), "{args:?}: {}", stderr(&r));
        assert!(!json.exists(), "{args:?}");
    }
    // The input itself as an output, and one output named twice.
    let r = edgertl(&["run", "corners", "--in", s(&text), "--overlay", s(&text)]);
    assert_eq!(code(&r), 1);
    let copy = d.path().join("cam.png");
    std::fs::copy(&cam, &copy).unwrap();
    let r = edgertl(&["run", "corners", "--in", s(&copy), "--overlay", s(&copy)]);
    assert!(code(&r) == 1 && stderr(&r).contains("same file as the input"), "{}", stderr(&r));
    let r = edgertl(&["run", "corners", "--in", s(&cam), "--out", s(&json), "--score", s(&json)]);
    assert!(code(&r) == 1 && stderr(&r).contains("named as two outputs"), "{}", stderr(&r));
    assert_eq!(files(d.path()), ["cam.png", "empty.png", "not.png", "sixteen.png"]);
}

#[test]
fn codec_round_trip_on_real_images() {
    let d = tempfile::tempdir().unwrap();
    let (nfc, back) = (d.path().join("f.nfc"), d.path().join("d.png"));
    for name in ["camera_160x120.png", "brick_160x120.png", "coffee_752x480.png"] {
        let input = data(name);
        let r = edgertl(&["run", "codec", "encode", "--in", s(&input), "--out", s(&nfc)]);
        assert_eq!(code(&r), 0, "{}", stderr(&r));
        let frame = nimage::read_png(&input).unwrap();
        let c = Compressed::encode(&frame).unwrap();
        assert_eq!(std::fs::read(&nfc).unwrap(), c.to_nfc(), "{name}");
        let blocks = frame.width() * frame.height() / 16;
        assert_eq!(c.nfc_len(), 8 + (blocks * 26).div_ceil(8));
        let psnr = codec::psnr(&frame, &c.decode());
        let out = stdout(&r);
        assert!(out.contains(&format!("PSNR {psnr:.2} dB")), "{out}");
        assert!(out.contains(&format!("ratio {:.3}:1", (frame.width() * frame.height()) as f64 / c.nfc_len() as f64)), "{out}");
        // 26 bits for 16 pixels of 8: a little under 4.92 with the header; real photographs
        // keep a usable picture.
        assert!(psnr > 20.0, "{name}: {psnr}");
        let r = edgertl(&["run", "codec", "decode", "--in", s(&nfc), "--out", s(&back), "--reference", s(&input)]);
        assert_eq!(code(&r), 0, "{}", stderr(&r));
        assert!(stdout(&r).contains(&format!("PSNR {psnr:.2} dB")), "{}", stdout(&r));
        assert_eq!(nimage::read_png(&back).unwrap(), c.decode());
    }
}

#[test]
fn codec_rtl_gives_the_golden_files_byte_for_byte() {
    // `--rtl` runs the Verilated navion_codec unit: the same .nfc and the same PNG.
    let d = tempfile::tempdir().unwrap();
    let (gold_nfc, rtl_nfc) = (d.path().join("g.nfc"), d.path().join("r.nfc"));
    let (gold_png, rtl_png) = (d.path().join("g.png"), d.path().join("r.png"));
    for name in ["camera_64x48.png", "brick_160x120.png", "coffee_752x480.png"] {
        let input = data(name);
        let r = edgertl(&["run", "codec", "encode", "--in", s(&input), "--out", s(&gold_nfc)]);
        assert_eq!(code(&r), 0, "{}", stderr(&r));
        let r = edgertl(&["run", "codec", "encode", "--in", s(&input), "--out", s(&rtl_nfc), "--rtl"]);
        assert_eq!(code(&r), 0, "{}", stderr(&r));
        assert!(stdout(&r).contains("with the Verilated navion_codec unit"), "{}", stdout(&r));
        assert_eq!(std::fs::read(&rtl_nfc).unwrap(), std::fs::read(&gold_nfc).unwrap(), "{name}: .nfc");
        let r = edgertl(&["run", "codec", "decode", "--in", s(&gold_nfc), "--out", s(&gold_png)]);
        assert_eq!(code(&r), 0, "{}", stderr(&r));
        let r = edgertl(&["run", "codec", "decode", "--in", s(&gold_nfc), "--out", s(&rtl_png), "--rtl", "--reference", s(&input)]);
        assert_eq!(code(&r), 0, "{}", stderr(&r));
        assert!(stdout(&r).contains("with the Verilated navion_codec unit") && stdout(&r).contains("PSNR"), "{}", stdout(&r));
        assert_eq!(std::fs::read(&rtl_png).unwrap(), std::fs::read(&gold_png).unwrap(), "{name}: decoded PNG");
    }
}

#[test]
fn codec_refuses_bad_input_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let odd = d.path().join("odd.png");
    let mut bytes = Vec::new();
    nimage::write_png_gray(&mut bytes, &Frame::from_fn(66, 48, |x, _| x as u8)).unwrap();
    std::fs::write(&odd, bytes).unwrap();
    let out = d.path().join("out.nfc");
    let r = edgertl(&["run", "codec", "encode", "--in", s(&odd), "--out", s(&out)]);
    assert_eq!(code(&r), 1);
    assert!(stderr(&r).contains("66 x 48") && stderr(&r).contains("multiples of 4"), "{}", stderr(&r));
    let r = edgertl(&["run", "codec", "encode", "--in", s(&odd), "--out", s(&out), "--rtl"]);
    assert!(code(&r) == 1 && stderr(&r).contains("multiples of 4"), "{}", stderr(&r));
    // Wider than the hardware's 1024 pixels: the golden model takes it, --rtl says why not.
    let wide = d.path().join("wide.png");
    let mut bytes = Vec::new();
    nimage::write_png_gray(&mut bytes, &Frame::from_fn(1028, 4, |x, _| x as u8)).unwrap();
    std::fs::write(&wide, bytes).unwrap();
    let r = edgertl(&["run", "codec", "encode", "--in", s(&wide), "--out", s(&out), "--rtl"]);
    assert!(code(&r) == 1 && stderr(&r).contains("navion_codec") && stderr(&r).contains("at most 1024"), "{}", stderr(&r));
    std::fs::remove_file(&wide).unwrap();
    assert!(!out.exists());
    // A truncated file, a bad magic, bytes left over.
    let good = Compressed::encode(&Frame::from_fn(8, 8, |x, y| (x * 31 + y * 5) as u8)).unwrap().to_nfc();
    let png = d.path().join("d.png");
    for (bytes, message) in [
        (good[..good.len() - 2].to_vec(), "truncated"),
        (good[..5].to_vec(), "truncated header"),
        ([b"NFC2".as_slice(), &good[4..]].concat(), "not an .nfc file"),
        ([good.as_slice(), &[0]].concat(), "bytes after the last block"),
    ] {
        let bad = d.path().join("bad.nfc");
        std::fs::write(&bad, bytes).unwrap();
        let r = edgertl(&["run", "codec", "decode", "--in", s(&bad), "--out", s(&png)]);
        assert_eq!(code(&r), 1, "{message}");
        assert!(stderr(&r).contains(&format!("{}: ", bad.display())) && stderr(&r).contains(message), "{}", stderr(&r));
        assert!(!png.exists());
    }
    let r = edgertl(&["run", "codec", "decode", "--in", s(&d.path().join("bad.nfc")), "--out", s(&png), "--rtl"]);
    assert!(code(&r) == 1 && stderr(&r).contains("bytes after the last block"), "{}", stderr(&r));
    assert!(!png.exists());
    // A reference of another size.
    let nfc = d.path().join("ok.nfc");
    std::fs::write(&nfc, &good).unwrap();
    let r = edgertl(&["run", "codec", "decode", "--in", s(&nfc), "--out", s(&png), "--reference", s(&odd)]);
    assert!(code(&r) == 1 && stderr(&r).contains("the reference is 66 x 48"), "{}", stderr(&r));
    assert_eq!(files(d.path()), ["bad.nfc", "odd.png", "ok.nfc"]);
}
