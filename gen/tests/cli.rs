//! The `edgertl` binary as a user runs it: output files, bounded inputs, exit codes, paths with
//! spaces (issue 8). These live beside the binary because only its own package's tests get
//! its path from Cargo (`CARGO_BIN_EXE_edgertl`); the library-level checks are in
//! `tests/io.rs`. Each test names the line of the issue it reproduces.

mod common;
use common::*;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A small int16 `.npy` (version 1.0, `<i2`).
fn npy(path: &Path, values: &[i16]) {
    let mut w = Vec::new();
    edgertl_sim::rlc::file::write_npy_i16(&mut w, values).unwrap();
    std::fs::write(path, w).unwrap();
}

/// A temporary directory holding a small `x.npy`.
fn dir_with_input() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("x.npy");
    npy(&input, &[1, 0, 0, 2]);
    (d, input)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n.ends_with(".tmp"))
        .collect()
}

// "`--out /dev/null` as root replaced the device with a regular file": a FIFO, a directory
// (and so a device) are refused, left as they are, exit 1.
#[test]
fn special_files_are_never_replaced() {
    let (d, input) = dir_with_input();
    let fifo = d.path().join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let dir = d.path().join("adir");
    std::fs::create_dir(&dir).unwrap();
    for (out, kind) in [(&fifo, "FIFO"), (&dir, "directory")] {
        let r = edgertl(&["rlc", "encode", "--in", s(&input), "--out", s(out)]);
        assert_eq!(code(&r), 1, "{}", stderr(&r));
        assert!(stderr(&r).contains(&format!("it is a {kind}, not a regular file")), "{}", stderr(&r));
    }
    // `--out /dev/stdout` with stdout a pipe (a link of our own to it, so that a regression
    // replaces that link, not the machine's /dev/stdout).
    let stdout_link = d.path().join("stdout");
    std::os::unix::fs::symlink("/dev/stdout", &stdout_link).unwrap();
    let r = edgertl(&["rlc", "encode", "--in", s(&input), "--out", s(&stdout_link)]);
    assert_eq!(code(&r), 1, "{}", stderr(&r));
    assert!(stderr(&r).contains("it is a FIFO") && stderr(&r).contains("`-` for standard output"), "{}", stderr(&r));
    assert!(std::fs::symlink_metadata(&stdout_link).unwrap().file_type().is_symlink());
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(std::fs::symlink_metadata(&dir).unwrap().is_dir());
    assert!(temporaries(d.path()).is_empty());
}

// "`--out /dev/stdout` replaced the symlink": a symlink to a regular file stays a symlink,
// its target is replaced; `-` is standard output.
#[test]
fn symlinks_are_followed_and_dash_is_stdout() {
    let (d, input) = dir_with_input();
    let target = d.path().join("target.rlc");
    std::fs::write(&target, b"old").unwrap();
    let link = d.path().join("link.rlc");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let r = edgertl(&["rlc", "encode", "--in", s(&input), "--out", s(&link)]);
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(&std::fs::read(&target).unwrap()[..4], b"RLC1");
    let r = edgertl(&["rlc", "encode", "--in", s(&input), "--out", "-"]);
    assert_eq!(code(&r), 0, "{}", stderr(&r));
    assert_eq!(r.stdout, std::fs::read(&target).unwrap(), "stdout holds the .rlc file");
}

// "a read-only file is silently replaced, and `--out` equal to `--in` destroys the input".
#[test]
fn read_only_files_and_the_input_itself_are_refused() {
    let (d, input) = dir_with_input();
    let before = std::fs::read(&input).unwrap();
    let other_name = d.path().join("hard.npy");
    std::fs::hard_link(&input, &other_name).unwrap();
    for out in [&input, &other_name] {
        let r = edgertl(&["rlc", "encode", "--in", s(&input), "--out", s(out)]);
        assert_eq!(code(&r), 1, "{}", stderr(&r));
        assert!(stderr(&r).contains("same file as the input"), "{}", stderr(&r));
    }
    assert_eq!(std::fs::read(&input).unwrap(), before);
    let ro = d.path().join("ro.rlc");
    std::fs::write(&ro, b"keep").unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o444)).unwrap();
    let r = edgertl(&["rlc", "encode", "--in", s(&input), "--out", s(&ro)]);
    assert_eq!(code(&r), 1, "{}", stderr(&r));
    assert!(stderr(&r).contains("read-only"), "{}", stderr(&r));
    assert_eq!(std::fs::read(&ro).unwrap(), b"keep");
}

// "Interrupted runs (SIGTERM, Ctrl-C) leave hidden partial temporaries": a SIGTERM during a
// long encode leaves neither the output nor a temporary, and exits 130.
#[test]
fn an_interrupted_run_leaves_no_temporary() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("big.npy");
    npy(&input, &(0..20_000_000).map(|i| (i % 5) as i16).collect::<Vec<_>>());
    let out = d.path().join("big.rlc");
    let mut child = Command::new(env!("CARGO_BIN_EXE_edgertl"))
        .args(["rlc", "encode", "--rtl", "--in", s(&input), "--out", s(&out)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The temporary exists from before the encoding starts.
    let started = Instant::now();
    while temporaries(d.path()).is_empty() {
        assert!(started.elapsed() < Duration::from_secs(30), "no temporary appeared");
        assert!(child.try_wait().unwrap().is_none(), "the encode finished before it could be interrupted");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap().success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{status:?}");
    assert!(temporaries(d.path()).is_empty(), "{:?}", temporaries(d.path()));
    assert!(!out.exists());
}

// "10 parallel `edgertl verilog glb` runs with different presets into one directory left a
// `.v` and `.json` from different presets": the pair is always one preset's.
#[test]
fn parallel_verilog_runs_leave_matching_pairs() {
    let d = tempfile::tempdir().unwrap();
    for _round in 0..3 {
        let children: Vec<_> = ["eyeriss_v1", "tiny", "synth4"]
            .iter()
            .cycle()
            .take(10)
            .map(|p| {
                Command::new(env!("CARGO_BIN_EXE_edgertl"))
                    .args(["verilog", "glb", "--preset", p, "-o", s(d.path())])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
        }
        let v = std::fs::read_to_string(d.path().join("glb.v")).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.path().join("glb.json")).unwrap()).unwrap();
        let hash = json["hash"].as_str().unwrap();
        assert!(v.lines().take(12).any(|l| l.contains(hash)), "glb.v's banner does not carry glb.json's hash {hash}");
        assert!(temporaries(d.path()).is_empty());
    }
}

// "`board run --sim --passes 4294967295` and `rlc report --len 4294967295` abort trying to
// allocate hundreds of GB": counts past their documented limits are usage errors (exit 2).
#[test]
fn counts_beyond_their_limits_are_usage_errors() {
    for args in [
        &["board", "run", "--sim", "--passes", "4294967295"][..],
        &["board", "run", "--sim", "--streams", "1000001"],
        &["board", "run", "--sim", "--decodes", "1000001"],
        &["board", "run", "--sim", "--malformed", "99999999999"],
        &["rlc", "report", "--len", "4294967295"],
        &["rlc", "report", "--len", "10000001"],
    ] {
        let r = edgertl(args);
        assert_eq!(code(&r), 2, "{args:?}: {}", stderr(&r));
    }
}

// "`edgertl cover` into a directory it cannot write runs the whole simulation, then aborts
// (exit 134)": it fails at once, exit 1, with a message.
#[test]
fn cover_checks_its_directory_before_simulating() {
    let started = Instant::now();
    // Not writable even by root.
    let r = edgertl(&["cover", "glb", "-d", "/proc/self"]);
    assert_eq!(code(&r), 1, "{}", stderr(&r));
    assert!(stderr(&r).contains("cannot write into /proc/self"), "{}", stderr(&r));
    assert!(started.elapsed() < Duration::from_secs(20), "it simulated first: {:?}", started.elapsed());
}

// "`edgertl lint` and `build --rtl-only` into a path with a space fail falsely".
#[test]
fn paths_with_spaces_and_non_ascii_work() {
    let d = tempfile::tempdir().unwrap();
    let dir: PathBuf = d.path().join("with space").join("ünïcødé dir");
    let r = edgertl(&["lint", "rlc_encoder", "--dir", s(&dir)]);
    assert_eq!(code(&r), 0, "{}{}", String::from_utf8_lossy(&r.stdout), stderr(&r));
    let r = edgertl(&["build", "--rtl-only", "-o", s(&dir.join("rtl out"))]);
    assert_eq!(code(&r), 0, "{}{}", String::from_utf8_lossy(&r.stdout), stderr(&r));
    assert!(dir.join("rtl out/board_top.v").is_file());
    // Yosys cannot take one: synth refuses it before any run.
    let r = edgertl(&["synth", "--all", "--dir", s(&dir)]);
    assert_eq!(code(&r), 1, "{}", stderr(&r));
    assert_eq!(stderr(&r).matches("has a space in its path").count(), 1, "{}", stderr(&r));
}

// "`synth --freq 0`, `NaN` or `-5` are accepted; `board run` without `--port` or `--sim`
// exits 1 where `--help` promises 2 for bad usage".
#[test]
fn bad_usage_exits_2() {
    for freq in ["0", "NaN", "-5", "inf", "1e9", "fast"] {
        let r = edgertl(&["synth", "rlc_encoder", "--pnr", "--freq", freq]);
        assert_eq!(code(&r), 2, "--freq {freq}: {}", stderr(&r));
    }
    // `synth --preset`: an unknown preset is refused before any tool runs; it needs a unit.
    let r = edgertl(&["synth", "fsmi", "--preset", "huge", "-t", "ecp5-85k", "--pnr"]);
    assert_eq!(code(&r), 2, "{}", stderr(&r));
    assert!(stderr(&r).contains("huge") && stderr(&r).contains("paper"), "{}", stderr(&r));
    let r = edgertl(&["synth", "--all", "--preset", "small"]);
    assert_eq!(code(&r), 2, "{}", stderr(&r));
    let r = edgertl(&["board", "run"]);
    assert_eq!(code(&r), 2, "{}", stderr(&r));
    assert!(stderr(&r).contains("--port") && stderr(&r).contains("--sim"), "{}", stderr(&r));
}

// "`rlc decode --rtl` reports a different word count from the golden run when words follow
// the term word".
#[test]
fn rtl_and_golden_decodes_report_the_same_word_count() {
    let d = tempfile::tempdir().unwrap();
    let values: Vec<i16> = vec![3, 0, 0, 0, 7, 0, 1];
    let mut words = edgertl_sim::rlc::model::encode(&values);
    let used = words.len();
    words.extend([0x1234, 0x5678, 0x9abc, 0xdef0]);
    let input = d.path().join("x.rlc");
    let mut bytes = Vec::new();
    edgertl_sim::rlc::file::write_rlc(&mut bytes, values.len(), &words).unwrap();
    std::fs::write(&input, bytes).unwrap();
    let mut outputs = Vec::new();
    for rtl in [false, true] {
        let out = d.path().join(format!("x{rtl}.npy"));
        let mut args = vec!["rlc", "decode", "--in", s(&input), "--out", s(&out)];
        if rtl {
            args.push("--rtl");
        }
        let r = edgertl(&args);
        assert_eq!(code(&r), 0, "{}", stderr(&r));
        let said = String::from_utf8_lossy(&r.stdout).into_owned();
        assert!(said.contains(&format!("decoded {used} word(s)")), "rtl {rtl}: {said}");
        outputs.push(std::fs::read(&out).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
}

// A build without the coverage models says how to get them (and does not simulate).
#[test]
fn cover_without_coverage_models_says_how_to_build_them() {
    if cfg!(feature = "cover") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let r = edgertl(&["cover", "rlc_encoder", "-d", d.path().to_str().unwrap()]);
    assert_eq!(code(&r), 1, "{}", stderr(&r));
    assert!(stderr(&r).contains("--features cover"), "{}", stderr(&r));
}
