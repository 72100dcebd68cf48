//! What every test of the `edgertl` binary needs: running it and reading what it said.
#![allow(dead_code)]

use std::process::{Command, Output, Stdio};

/// Runs the binary with `args`, stdin closed.
pub fn edgertl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edgertl")).args(args).stdin(Stdio::null()).output().expect("edgertl runs")
}

/// Its exit code (-1 when a signal ended it).
pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A path as the &str an argument list takes.
pub fn s(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

/// A committed Navion test image (tests/data/navion/, see its README).
pub fn data(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/navion").join(name)
}

/// Every file in `dir`, sorted: nothing written, no temporary left, after a failed run.
pub fn files(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}
