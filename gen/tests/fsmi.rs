//! `edgertl run mi` as a user runs it (issue 15, §4): the poses' MI it prints and writes as
//! JSON and the surface it writes are the golden models' on generated office maps (.npy of
//! floats or codes, PNG), and bad input (NaN, a probability outside [0, 1], an empty map, a
//! pose outside the map or malformed, B = 0, a map or B too big for `--rtl`) is a clear error
//! that writes nothing; `--rtl` (the Verilated unit) gives the golden model's numbers.

mod common;
use common::*;
use edgertl_sim::fsmi::fixed::{to_nats, FixedModel};
use edgertl_sim::fsmi::map::OccMap;
use edgertl_sim::fsmi::mi::{self, FsmiConfig};
use npyz::WriterBuilder;
use std::path::Path;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn write_npy<T: npyz::Serialize + npyz::AutoSerialize + Copy>(path: &Path, shape: &[u64], data: &[T]) {
    let mut out = Vec::new();
    let mut w = npyz::WriteOptions::new().default_dtype().shape(shape).writer(&mut out).begin_nd().unwrap();
    for &x in data {
        w.push(&x).unwrap();
    }
    w.finish().unwrap();
    std::fs::write(path, out).unwrap();
}

fn read_surface(path: &Path) -> (Vec<u64>, Vec<f32>) {
    let bytes = std::fs::read(path).unwrap();
    let f = npyz::NpyFile::new(&bytes[..]).unwrap();
    (f.shape().to_vec(), f.into_vec().unwrap())
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

#[test]
fn the_surface_is_the_golden_models() {
    let d = tempfile::tempdir().unwrap();
    let map = OccMap::office(30, 40, 0.5, 5);
    let codes = d.path().join("codes.npy");
    write_npy(&codes, &[30, 40], map.codes());
    let floats = d.path().join("floats.npy");
    write_npy(&floats, &[30, 40], &map.codes().iter().map(|&q| q as f32 / 255.0).collect::<Vec<_>>());
    let (out, heat) = (d.path().join("s.npy"), d.path().join("h.png"));
    let cfg = FsmiConfig::small();
    let fixed: Vec<f32> = FixedModel::new(&cfg).unwrap().surface(&map).into_iter().map(|v| to_nats(v) as f32).collect();
    // `--heatmap` is the old name of `--png`.
    for (input, png_flag, flag) in [(&codes, "--png", "--surface"), (&floats, "--heatmap", "--model=fixed")] {
        let r = edgertl(&["run", "mi", "--map", s(input), flag, "--preset", "small", "--out", s(&out), png_flag, s(&heat)]);
        assert_eq!(code(&r), 0, "{}", stderr(&r));
        assert!(stdout(&r).contains("30 x 40 cells, 16 beams, range 32 cells"), "{}", stdout(&r));
        let (shape, got) = read_surface(&out);
        assert_eq!(shape, [30, 40]);
        assert_eq!(got, fixed, "{}", input.display());
        let png = image::open(&heat).unwrap();
        assert_eq!((png.width(), png.height()), (40 * 12, 30 * 12));
    }
    // The f64 reference, with the flags over the preset.
    let r = edgertl(&["run", "mi", "--map", s(&codes), "--model", "f64", "--beams", "8", "--range", "12.5", "--d-occ", "2", "--d-emp", "0.4", "--out", s(&out)]);
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    let want = mi::surface(&map, &FsmiConfig { beams: 8, range: 12.5, d_occ: 2.0, d_emp: 0.4 }).unwrap();
    let (_, got) = read_surface(&out);
    assert_eq!(got, want.iter().map(|&v| v as f32).collect::<Vec<_>>());
}

#[test]
fn the_demo_office() {
    let d = tempfile::tempdir().unwrap();
    let (out, heat) = (d.path().join("s.npy"), d.path().join("h.png"));
    let r = edgertl(&["run", "mi", "--demo", "--surface", "--preset", "small", "--out", s(&out), "--png", s(&heat)]);
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    assert!(stdout(&r).contains("the demo office: 200 x 200 cells"), "{}", stdout(&r));
    let (shape, got) = read_surface(&out);
    assert_eq!(shape, [200, 200]);
    let map = OccMap::office(200, 200, 0.5, 1);
    let m = FixedModel::new(&FsmiConfig::small()).unwrap();
    for (r, c) in [(0, 0), (100, 100), (199, 57)] {
        assert_eq!(got[r * 200 + c], to_nats(m.pose_mi(&map, r, c).unwrap()) as f32);
    }
    let r = edgertl(&["run", "mi", "--out", s(&out)]);
    assert_eq!(code(&r), 2, "{}", stderr(&r));
    assert!(stderr(&r).contains("--map"), "{}", stderr(&r));
}

#[test]
fn a_ros_map_image() {
    let d = tempfile::tempdir().unwrap();
    // White free space, a black wall across, gray unknown beyond it.
    let (h, w) = (20u32, 24u32);
    let pixels: Vec<u8> = (0..h * w).map(|i| match i / w { 0..=9 => 255, 10 => 0, _ => 205 }).collect();
    let png = d.path().join("map.png");
    image::save_buffer(&png, &pixels, w, h, image::ExtendedColorType::L8).unwrap();
    let out = d.path().join("s.npy");
    let r = edgertl(&["run", "mi", "--map", s(&png), "--preset", "small", "--out", s(&out)]);
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    let (_, got) = read_surface(&out);
    // The wall hides the unknown: next to the unknown the MI is high, in the free room low.
    let at = |r: u32, c: u32| got[(r * w + c) as usize];
    assert!(at(15, 12) > 10.0 * at(3, 12), "{} vs {}", at(15, 12), at(3, 12));
}

#[test]
fn bad_input_is_a_clear_error_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let nan = d.path().join("nan.npy");
    write_npy(&nan, &[2, 2], &[0.5f64, 0.5, f64::NAN, 0.5]);
    let high = d.path().join("high.npy");
    write_npy(&high, &[2, 2], &[0.5f32, 1.25, 0.5, 0.5]);
    let empty = d.path().join("empty.npy");
    write_npy(&empty, &[0, 4], &[] as &[f64]);
    let flat = d.path().join("flat.npy");
    write_npy(&flat, &[4], &[0.5f64; 4]);
    let good = d.path().join("good.npy");
    write_npy(&good, &[3, 3], &[0.5f64; 9]);
    let text = d.path().join("text.npy");
    std::fs::write(&text, "hello").unwrap();
    let out = d.path().join("s.npy");
    let missing = d.path().join("missing.npy");
    let cases: Vec<(Vec<&str>, &str, i32)> = vec![
        (vec!["--map", s(&nan)], "(row 1, col 0) has occupancy NaN", 1),
        (vec!["--map", s(&high)], "(row 0, col 1) has occupancy 1.25, not a probability in [0, 1]", 1),
        (vec!["--map", s(&empty)], "the map is empty", 1),
        (vec!["--map", s(&flat)], "not (H, W)", 1),
        (vec!["--map", s(&text)], "not a .npy map", 1),
        (vec!["--map", s(&missing)], "missing.npy", 1),
        (vec!["--map", s(&good), "--beams", "0"], "the beams per pose (B) is 0", 1),
        (vec!["--map", s(&good), "--range=-3"], "the range (R, cells) is -3", 1),
        (vec!["--map", s(&good), "--d-occ", "NaN"], "d_occ", 1),
        (vec!["--map", s(&good), "--preset", "huge"], "invalid value 'huge'", 2),
        (vec!["--map", s(&good), "--rtl", "--beams", "600"], "takes maps up to 256 x 256 and 512 beams", 1),
        (vec!["--map", s(&good), "--pose", "0,0", "--beams", "0"], "the beams per pose (B) is 0", 1),
        (vec!["--map", s(&good), "--banking", "row-major"], "--rtl", 2),
        (vec!["--map", s(&good), "--png", s(&out)], "named as two outputs", 1),
        (vec!["--map", s(&good), "--pose", "1,1", "3,0"], "--pose 3,0: pose (row 3, col 0) is outside the 3 x 3 map", 1),
        (vec!["--map", s(&good), "--pose", "0,3", "--rtl"], "--pose 0,3: pose (row 0, col 3) is outside the 3 x 3 map", 1),
        (vec!["--map", s(&good), "--pose", "1;1"], "`1;1` is not a pose ROW,COL", 2),
        (vec!["--map", s(&good), "--pose=-1,2"], "`-1,2` is not a pose ROW,COL", 2),
        (vec!["--map", s(&good), "--pose", "1,1", "--surface"], "cannot be used with", 2),
        (vec!["--map", s(&good), "--pose", "1,1", "--png", "p.png"], "cannot be used with", 2),
        (vec!["--map", s(&nan), "--pose", "0,0"], "has occupancy NaN", 1),
    ];
    let before = files(d.path());
    for (args, message, exit) in cases {
        let mut full = vec!["run", "mi", "--out", s(&out)];
        full.extend(&args);
        let r = edgertl(&full);
        assert_eq!(code(&r), exit, "{args:?}: {}", stderr(&r));
        assert!(stderr(&r).contains(message), "{args:?}: {}", stderr(&r));
        assert!(!stderr(&r).contains("internal error"), "{args:?}: {}", stderr(&r));
        assert_eq!(files(d.path()), before, "{args:?}");
    }
    // The output may not be the map itself.
    let r = edgertl(&["run", "mi", "--map", s(&good), "--out", s(&good)]);
    assert_eq!(code(&r), 1, "{}", stderr(&r));
}

#[test]
fn rtl_gives_the_golden_surface() {
    // The Verilated 16-core unit, both bank patterns, against the fixed-point model: equal
    // surfaces, and the unit's cycles and stalls printed.
    let d = tempfile::tempdir().unwrap();
    let map = OccMap::office(24, 30, 0.5, 3);
    let codes = d.path().join("codes.npy");
    write_npy(&codes, &[24, 30], map.codes());
    let out = d.path().join("s.npy");
    let fixed: Vec<f32> = FixedModel::new(&FsmiConfig::small()).unwrap().surface(&map).into_iter().map(|v| to_nats(v) as f32).collect();
    for banking in ["diagonal", "row-major"] {
        let r = edgertl(&["run", "mi", "--map", s(&codes), "--preset", "small", "--rtl", "--banking", banking, "--out", s(&out)]);
        assert_eq!(code(&r), 0, "{}", stderr(&r));
        assert!(stdout(&r).contains("Verilated fsmi model") && stdout(&r).contains("stall cycles"), "{}", stdout(&r));
        let (shape, got) = read_surface(&out);
        assert_eq!(shape, [24, 30]);
        assert_eq!(got, fixed, "{banking}");
    }
    // Poses through the unit: the same JSON, number for number, as the golden model's.
    let (gold, hw) = (d.path().join("gold.json"), d.path().join("hw.json"));
    let poses = ["0,0", "23,29", "0,29", "11,14", "23,0"];
    let run = |extra: &[&str], json: &Path| {
        let mut a = vec!["run", "mi", "--map", s(&codes), "--preset", "small", "--out", s(json), "--pose"];
        a.extend(poses);
        a.extend(extra);
        let r = edgertl(&a);
        assert_eq!(code(&r), 0, "{}", stderr(&r));
        stdout(&r)
    };
    run(&[], &gold);
    let text = run(&["--rtl", "--threads", "2"], &hw);
    assert!(text.contains("stall cycles"), "{text}");
    assert_eq!(std::fs::read_to_string(&hw).unwrap(), std::fs::read_to_string(&gold).unwrap());
    assert_eq!(read_poses(&hw).len(), 5);
}

fn read_poses(path: &Path) -> Vec<(u64, u64, f64)> {
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let poses = v["poses"].as_array().unwrap_or_else(|| panic!("no poses list: {v}"));
    poses.iter().map(|p| (p["row"].as_u64().unwrap(), p["col"].as_u64().unwrap(), p["mi"].as_f64().unwrap())).collect()
}

#[test]
fn poses_print_their_mi_and_write_json() {
    // Corners, an edge, the inside, a repeat; `--pose` repeated and listed; both models.
    let d = tempfile::tempdir().unwrap();
    let map = OccMap::office(30, 40, 0.5, 5);
    let codes = d.path().join("codes.npy");
    write_npy(&codes, &[30, 40], map.codes());
    let out = d.path().join("p.json");
    let poses = [(0usize, 0usize), (29, 39), (0, 17), (12, 20), (12, 20)];
    let cfg = FsmiConfig::small();
    let fixed = FixedModel::new(&cfg).unwrap();
    let r = edgertl(&["run", "mi", "--map", s(&codes), "--preset", "small", "--pose", "0,0", "29,39", "--pose", "0,17", "--pose", "12,20", "12,20", "--out", s(&out)]);
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    let text = stdout(&r);
    assert!(text.contains("30 x 40 cells, 16 beams, range 32 cells") && text.contains("5 poses"), "{text}");
    let got = read_poses(&out);
    assert_eq!(got.len(), poses.len());
    for (&(r, c), &(gr, gc, mi)) in poses.iter().zip(&got) {
        let want = to_nats(fixed.pose_mi(&map, r, c).unwrap());
        assert_eq!((gr, gc, mi), (r as u64, c as u64, want));
        assert!(text.contains(&format!("row {r}, col {c}: {want:.6} nats")), "{text}");
    }
    let r = edgertl(&["run", "mi", "--map", s(&codes), "--model", "f64", "--pose", "12,20", "--pose", "0,39", "--out", s(&out)]);
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    let paper = FsmiConfig::paper();
    let want: Vec<(u64, u64, f64)> = [(12, 20), (0, 39)].iter().map(|&(r, c)| (r as u64, c as u64, mi::pose_mi(&map, r, c, &paper).unwrap())).collect();
    assert_eq!(read_poses(&out), want);
    // Without --out: printed only.
    let r = edgertl(&["run", "mi", "--demo", "--preset", "small", "--pose", "100,100"]);
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    let demo = OccMap::office(200, 200, 0.5, 1);
    assert!(stdout(&r).contains(&format!("row 100, col 100: {:.6} nats", to_nats(fixed.pose_mi(&demo, 100, 100).unwrap()))), "{}", stdout(&r));
}
