//! `edgertl run conv` and `edgertl run alexnet` as a user runs them (issue 11): the ofmap
//! against a reference convolution written here, the report's fields, and bad input refused
//! with the file named and nothing written.

mod common;
use common::*;
use edgertl_sim::eyeriss::tensor::{read_npy_i16_nd, write_npy_i16_nd};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};

fn npy(path: &Path, shape: &[usize], values: &[i16]) {
    let mut bytes = Vec::new();
    write_npy_i16_nd(&mut bytes, shape, values).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every file in `dir`, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// A reference convolution, written for this test: int64 sums of the 16-bit-cut shifted
/// products, cut to 16 bits at the end. Shapes: x (N, C, H, W), w (M, C/G, R, S).
#[allow(clippy::too_many_arguments)]
fn reference(
    x: &[i16],
    (n, c, h, wd): (usize, usize, usize, usize),
    w: &[i16],
    (m, r, sz): (usize, usize, usize),
    bias: &[i16],
    (u, pad, g, shift, relu): (usize, usize, usize, u32, bool),
) -> Vec<i16> {
    let (cg, mg) = (c / g, m / g);
    let e = (h + 2 * pad - r) / u + 1;
    let f = (wd + 2 * pad - sz) / u + 1;
    let mut y = Vec::new();
    for img in 0..n {
        for k in 0..m {
            for oy in 0..e {
                for ox in 0..f {
                    let mut acc = i64::from(bias[k]);
                    for ci in 0..cg {
                        for ky in 0..r {
                            for kx in 0..sz {
                                let iy = (oy * u + ky) as isize - pad as isize;
                                let ix = (ox * u + kx) as isize - pad as isize;
                                if iy < 0 || ix < 0 || iy >= h as isize || ix >= wd as isize {
                                    continue;
                                }
                                let ch = (k / mg) * cg + ci;
                                let xv = x[((img * c + ch) * h + iy as usize) * wd + ix as usize];
                                let wv = w[((k * cg + ci) * r + ky) * sz + kx];
                                acc += i64::from(((i32::from(xv) * i32::from(wv)) >> shift) as i16);
                            }
                        }
                    }
                    let v = acc as i16;
                    y.push(if relu { v.max(0) } else { v });
                }
            }
        }
    }
    y
}

// "`edgertl run conv` matches an independent reference convolution on random layers
// (grouped, strided, padded)", 4-D and 3-D, with the report's fields.
#[test]
fn run_conv_matches_a_reference_on_random_layers() {
    let d = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    // (N or 0 for a 3-D ifmap, C, M, G, H, W, R, S, U, pad, shift, relu)
    let cases = [
        (2, 4, 6, 2, 9, 11, 3, 3, 2, 1, 4, true),
        (0, 3, 4, 1, 12, 10, 5, 4, 1, 2, 0, false),
        (1, 6, 6, 3, 7, 7, 3, 3, 4, 1, 7, true),
        // A filter wider than the ifmap spad: the mapper cuts its rows into pieces.
        (1, 2, 3, 1, 6, 30, 2, 20, 1, 0, 2, false),
    ];
    for (i, &(n, c, m, g, h, w, r, sz, u, pad, shift, relu)) in cases.iter().enumerate() {
        let n1 = n.max(1);
        let x: Vec<i16> = (0..n1 * c * h * w).map(|_| if rng.gen_bool(0.3) { 0 } else { rng.gen() }).collect();
        let wt: Vec<i16> = (0..m * (c / g) * r * sz).map(|_| rng.gen()).collect();
        let b: Vec<i16> = (0..m).map(|_| rng.gen()).collect();
        let (xp, wp, bp) = (d.path().join(format!("x{i}.npy")), d.path().join(format!("w{i}.npy")), d.path().join(format!("b{i}.npy")));
        let (yp, rp) = (d.path().join(format!("y{i}.npy")), d.path().join(format!("r{i}.json")));
        let xshape = if n == 0 { vec![c, h, w] } else { vec![n, c, h, w] };
        npy(&xp, &xshape, &x);
        npy(&wp, &[m, c / g, r, sz], &wt);
        npy(&bp, &[m], &b);
        let (us, ps, gs, ss) = (u.to_string(), pad.to_string(), g.to_string(), shift.to_string());
        let mut args = vec![
            "run", "conv", "--ifmap", s(&xp), "--weights", s(&wp), "--bias", s(&bp), "--stride", &us, "--pad", &ps,
            "--groups", &gs, "--shift", &ss, "--out", s(&yp), "--report", s(&rp),
        ];
        if relu {
            args.push("--relu");
        }
        let out = edgertl(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let y = read_npy_i16_nd(&yp).unwrap();
        let want = reference(&x, (n1, c, h, w), &wt, (m, r, sz), &b, (u, pad, g, shift, relu));
        let (e, f) = ((h + 2 * pad - r) / u + 1, (w + 2 * pad - sz) / u + 1);
        let want_shape = if n == 0 { vec![m, e, f] } else { vec![n, m, e, f] };
        assert_eq!(y.shape, want_shape, "case {i}");
        assert_eq!(y.values, want, "case {i}");
        let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&rp).unwrap()).unwrap();
        let layer = &report["layers"][0];
        for key in ["name", "macs", "active_pes", "passes", "cycles", "glb_reads", "glb_writes", "dram_reads", "dram_writes"] {
            assert!(layer[key].is_string() || layer[key].as_u64().is_some_and(|v| v > 0), "{key}: {layer}");
        }
        for key in ["dram", "glb", "noc", "spad", "mac"] {
            assert!(layer["energy"][key].as_f64().is_some_and(|v| v > 0.0), "energy.{key}: {layer}");
        }
        let macs = (n1 * m * e * f * (c / g) * r * sz) as u64;
        assert_eq!(layer["macs"].as_u64(), Some(macs), "case {i}");
    }
}

// `run conv --rtl`: the layer through the Verilated accelerator (`eyeriss` small) writes the
// same ofmap as the golden run, and its report holds the RTL's counters beside the mapper's;
// what the accelerator cannot do is refused with what to do instead.
#[test]
fn run_conv_rtl_writes_the_golden_ofmap_with_the_rtls_counters() {
    let d = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(11);
    let (c, m, h, w) = (2, 4, 7, 6);
    let x: Vec<i16> = (0..c * h * w).map(|_| if rng.gen_bool(0.3) { 0 } else { rng.gen_range(-200..200) }).collect();
    let wt: Vec<i16> = (0..m * c * 9).map(|_| rng.gen_range(-200..200)).collect();
    let (xp, wp, yp, rp) = (d.path().join("x.npy"), d.path().join("w.npy"), d.path().join("y.npy"), d.path().join("r.json"));
    npy(&xp, &[c, h, w], &x);
    npy(&wp, &[m, c, 3, 3], &wt);
    let args = ["run", "conv", "--ifmap", s(&xp), "--weights", s(&wp), "--pad", "1", "--shift", "2", "--relu", "--out", s(&yp), "--report", s(&rp), "--rtl"];
    let out = edgertl(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let y = read_npy_i16_nd(&yp).unwrap();
    assert_eq!(y.values, reference(&x, (1, c, h, w), &wt, (m, 3, 3), &[0; 4], (1, 1, 1, 2, true)));
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&rp).unwrap()).unwrap();
    let rtl = &report["rtl"];
    assert_eq!(rtl["preset"], "small");
    assert_eq!(rtl["macs"].as_u64().unwrap() + rtl["macs_gated"].as_u64().unwrap(), (m * h * w * c * 9) as u64, "{rtl}");
    for key in ["cycles", "estimate_cycles", "model_cycles", "passes", "glb_reads", "dram_reads", "dram_writes", "program_words"] {
        assert!(rtl[key].as_u64().is_some_and(|v| v > 0), "{key}: {rtl}");
    }
    // The cycle model of the unit (tests/eyeriss_timing.rs bounds it at 5%).
    assert!(rtl["model_error"].as_f64().is_some_and(|e| e.abs() <= 0.05), "{rtl}");
    assert_eq!((report["hardware"]["rows"].as_u64(), report["hardware"]["cols"].as_u64()), (Some(3), Some(4)));
    // The same layer on the chip's 12 x 14 array.
    let mut v1 = args.to_vec();
    v1.extend(["--preset", "eyeriss_v1", "--dram", "ideal"]);
    let out = edgertl(&v1);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(read_npy_i16_nd(&yp).unwrap().values, y.values);
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&rp).unwrap()).unwrap();
    assert_eq!((report["rtl"]["preset"].as_str(), report["hardware"]["rows"].as_u64(), report["hardware"]["cols"].as_u64()), (Some("eyeriss_v1"), Some(12), Some(14)));
    // Run-length coded in and out: the same ofmap (the host decodes the unit's stream); the
    // DRAM traffic is the coded streams', not the raw words'.
    let mut coded = args.to_vec();
    coded.extend(["--rlc-in", "--rlc-out"]);
    let out = edgertl(&coded);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(read_npy_i16_nd(&yp).unwrap().values, y.values);
    let coded_report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&rp).unwrap()).unwrap();
    let dram = |r: &serde_json::Value| (r["dram_reads"].as_u64().unwrap(), r["dram_writes"].as_u64().unwrap());
    let (raw, rlc) = (dram(rtl), dram(&coded_report["rtl"]));
    assert!(raw.0 != rlc.0 && raw.1 != rlc.1, "coded DRAM words {rlc:?}, raw {raw:?}");
    // The cycle model does not time coded transfers: no figure rather than a wrong one.
    assert!(coded_report["rtl"]["model_cycles"].is_null(), "{}", coded_report["rtl"]);
    // Bad requests: nothing is written.
    std::fs::remove_file(&yp).unwrap();
    std::fs::remove_file(&rp).unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&["--preset", "tiny"], "is not Verilated in this build"),
        (&["--preset", "huge"], "has no preset `huge`"),
        (&["--array", "6x8"], "with --rtl the hardware is the preset's"),
        (&["--bias", s(&xp)], "--bias is not supported with --rtl"),
    ];
    for (extra, message) in cases {
        let mut a = args.to_vec();
        a.extend(extra);
        let out = edgertl(&a);
        assert_eq!(out.status.code(), Some(1), "{a:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{a:?}: wanted {message:?} in {}", stderr(&out));
        assert!(!yp.exists() && !rp.exists(), "{a:?} wrote a file");
    }
    let out = edgertl(&["run", "conv", "--ifmap", s(&xp), "--weights", s(&wp), "--out", s(&yp), "--preset", "small"]);
    assert_eq!(out.status.code(), Some(2), "--preset without --rtl: {}", stderr(&out));
    let out = edgertl(&["run", "conv", "--ifmap", s(&xp), "--weights", s(&wp), "--out", s(&yp), "--rlc-in"]);
    assert_eq!(out.status.code(), Some(2), "--rlc-in without --rtl: {}", stderr(&out));
}

/// Small valid inputs in a fresh directory: x (1, 4, 8, 8), w (6, 2, 3, 3), b (6,).
fn valid_inputs() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let (x, w, b) = (d.path().join("x.npy"), d.path().join("w.npy"), d.path().join("b.npy"));
    npy(&x, &[1, 4, 8, 8], &[1; 256]);
    npy(&w, &[6, 2, 3, 3], &[1; 108]);
    npy(&b, &[6], &[0; 6]);
    (d, x, w, b)
}

// "Bad input (a wrong dtype or rank, channels that do not match, a stride of 0, a file that
// is not .npy) is a clear error naming the file and the problem; no partial output file."
#[test]
fn run_conv_refuses_bad_input_naming_the_file() {
    let (d, x, w, b) = valid_inputs();
    let y = d.path().join("y.npy");
    let rep = d.path().join("r.json");
    let text = d.path().join("notes.txt");
    std::fs::write(&text, "not an array\n").unwrap();
    let float = d.path().join("f.npy");
    let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4, 8, 8), }";
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    bytes.extend(vec![0u8; 4 * 256]);
    std::fs::write(&float, bytes).unwrap();
    let flat = d.path().join("flat.npy");
    npy(&flat, &[256], &[1; 256]);
    let w3 = d.path().join("w3.npy");
    npy(&w3, &[6, 3, 3, 3], &[1; 162]);
    let big = d.path().join("big.npy");
    npy(&big, &[6, 2, 9, 9], &[1; 972]);
    let b5 = d.path().join("b5.npy");
    npy(&b5, &[5], &[0; 5]);
    let before = files(d.path());
    let cases: Vec<(Vec<&str>, i32, String)> = vec![
        (vec!["--ifmap", s(&float)], 1, format!("{}: dtype '<f4' is not int16", float.display())),
        (vec!["--ifmap", s(&flat)], 1, format!("{}: the ifmap (N, C, H, W) or (C, H, W) must be 4-D or 3-D; this array is 1-D", flat.display())),
        (vec!["--ifmap", s(&text)], 1, format!("{}: not a valid .npy file", text.display())),
        (vec!["--weights", s(&w3)], 1, format!("{}: the weights take 3 channel(s) per group x 2 group(s) = 6, but the ifmap", w3.display())),
        (vec!["--bias", s(&b5)], 1, format!("{}: the bias has 5 values", b5.display())),
        (vec!["--stride", "0"], 2, "0 is not in 1..=12".to_string()),
        (vec!["--array", "12x0"], 2, "`12x0` is not ROWSxCOLS".to_string()),
        (vec!["--buffer-kb", "6"], 2, "`6` is not a buffer of whole 4 kB banks".to_string()),
        (vec!["--array", "2x14"], 1, "no mapping fits the 2 x 14 array".to_string()),
        (vec!["--pad", "0", "--weights", s(&big)], 1, "the 9x9 filter is larger than the 8x8 ifmap with padding 0".to_string()),
        (
            vec!["--stride", "3"],
            1,
            format!("the layer of {} on {}: layer conv: vertical stride U = 3 is not one the chip supports", w.display(), x.display()),
        ),
        (vec!["--weights", s(&x)], 1, format!("{}: the weights take 4 channel(s) per group", x.display())),
    ];
    for (change, code, message) in cases {
        let mut args = vec![
            "run", "conv", "--ifmap", s(&x), "--weights", s(&w), "--bias", s(&b), "--groups", "2", "--out", s(&y),
            "--report", s(&rep),
        ];
        for pair in change.chunks(2) {
            match args.iter().position(|a| *a == pair[0]) {
                Some(i) => args[i + 1] = pair[1],
                None => args.extend(pair),
            }
        }
        let out = edgertl(&args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(&message), "{args:?}: wanted {message:?} in {}", stderr(&out));
        assert_eq!(files(d.path()), before, "{args:?} left a file behind");
    }
    // A directory that does not exist is not made up.
    let nowhere = d.path().join("no-such-dir").join("y.npy");
    let out = edgertl(&["run", "conv", "--ifmap", s(&x), "--weights", s(&w), "--groups", "2", "--out", s(&nowhere)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot write"), "{}", stderr(&out));
    assert!(!d.path().join("no-such-dir").exists());
    // The ofmap over an input is refused before any work.
    let out = edgertl(&["run", "conv", "--ifmap", s(&x), "--weights", s(&w), "--groups", "2", "--out", s(&x)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(read_npy_i16_nd(&x).unwrap().values, vec![1; 256]);
    // The valid run writes both files.
    let out = edgertl(&["run", "conv", "--ifmap", s(&x), "--weights", s(&w), "--groups", "2", "--out", s(&y), "--report", s(&rep)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(y.exists() && rep.exists());
    // Another array and buffer: the report says which, and no chip figures apply.
    let out = edgertl(&[
        "run", "conv", "--ifmap", s(&x), "--weights", s(&w), "--groups", "2", "--out", s(&y), "--report", s(&rep),
        "--array", "6x8", "--buffer-kb", "32", "--link-mhz", "100",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&rep).unwrap()).unwrap();
    assert_eq!((report["hardware"]["rows"].as_u64(), report["hardware"]["cols"].as_u64()), (Some(6), Some(8)));
    assert_eq!(report["hardware"]["glb_banks"].as_u64(), Some(8));
    assert!(report["layers"][0]["active_pes"].as_u64().unwrap() <= 48);
}

// `run alexnet --rtl` is a benchmark (minutes), not a test: here only what it refuses, before
// any work and without writing a file.
#[test]
fn run_alexnet_rtl_refuses_what_it_cannot_run() {
    let d = tempfile::tempdir().unwrap();
    let rep = d.path().join("a.json");
    let out = edgertl(&["run", "alexnet", "--rtl", "--array", "6x8", "--report", s(&rep)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("with --rtl the hardware is the Verilated chip's"), "{}", stderr(&out));
    let out = edgertl(&["run", "alexnet", "--dram", "ideal", "--report", s(&rep)]);
    assert_eq!(out.status.code(), Some(2), "--dram without --rtl: {}", stderr(&out));
    let out = edgertl(&["run", "alexnet", "--layers", "3", "--report", s(&rep)]);
    assert_eq!(out.status.code(), Some(2), "--layers without --rtl: {}", stderr(&out));
    for bad in ["6", "CONV0", "fc1", ""] {
        let out = edgertl(&["run", "alexnet", "--rtl", "--layers", bad, "--report", s(&rep)]);
        assert_eq!(out.status.code(), Some(2), "--layers {bad}: {}", stderr(&out));
        assert!(stderr(&out).contains("is not an AlexNet conv layer: give 1 to 5 or CONV1 to CONV5"), "--layers {bad}: {}", stderr(&out));
    }
    assert!(files(d.path()).is_empty(), "{:?}", files(d.path()));
}

// `run alexnet` at batch 1: every layer in the report with its fields, the chart beside it.
#[test]
fn run_alexnet_writes_the_report_and_the_chart() {
    let d = tempfile::tempdir().unwrap();
    let rep = d.path().join("a.json");
    let out = edgertl(&["run", "alexnet", "--batch", "1", "--report", s(&rep)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("CONV5") && stdout.contains("energy/MAC"), "{stdout}");
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&rep).unwrap()).unwrap();
    let layers = report["layers"].as_array().unwrap();
    let names: Vec<&str> = layers.iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["CONV1", "CONV2", "CONV3", "CONV4", "CONV5"]);
    // ReLU's zeros reach CONV2-5's ifmaps and are gated.
    for l in &layers[1..] {
        let zeros = l["zero_macs"].as_u64().unwrap() as f64 / l["macs"].as_u64().unwrap() as f64;
        assert!(zeros > 0.2, "{}: {zeros}", l["name"]);
    }
    // The dataflow comparison: RS ahead of the three others overall.
    let vs: Vec<f64> = report["dataflows"]["vs_rs"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(vs.len(), 4);
    assert!(vs[0] == 1.0 && vs[1..].iter().all(|&v| v > 1.0), "{vs:?}");
    assert!(stdout.contains("vs RS"), "{stdout}");
    let svg = std::fs::read_to_string(d.path().join("a.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("CONV3") && svg.contains("DRAM"), "{svg}");
}
