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
