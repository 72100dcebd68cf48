//! The open hardware tools edgertl drives (Verilator, Icarus Verilog, Yosys): finding them on
//! `PATH` and running the lint checks on an emitted Verilog file.
//!
//! Every check returns a [`CheckReport`] (pass or fail, plus the tool's first offending lines)
//! inside an [`anyhow::Result`]: `Err` means the check could not run at all (tool missing,
//! cannot spawn, cannot read its log), never that the Verilog is bad.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! let tools = edgertl::tools::Tools::find()?; // "verilator not found: run scripts/setup.sh"
//! let reports = tools.lint(std::path::Path::new("build/rtl/eyeriss_pe.v"), "eyeriss_pe", None)?;
//! assert!(reports.iter().all(|r| r.passed));
//! # Ok(())
//! # }
//! ```

use anyhow::{bail, Context, Result};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How many offending lines a failed check keeps.
pub const MAX_DETAIL_LINES: usize = 12;

/// One of the external tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Verilator,
    Iverilog,
    Yosys,
}

impl Tool {
    pub const ALL: [Tool; 3] = [Tool::Verilator, Tool::Iverilog, Tool::Yosys];

    /// The executable's name.
    pub fn program(self) -> &'static str {
        match self {
            Tool::Verilator => "verilator",
            Tool::Iverilog => "iverilog",
            Tool::Yosys => "yosys",
        }
    }

    /// Finds the tool on `PATH`; the error says how to install it.
    pub fn find(self) -> Result<PathBuf> {
        find_on_path(self.program())
            .ok_or_else(|| anyhow::anyhow!("{} not found: run scripts/setup.sh", self.program()))
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.program())
    }
}

/// Looks an executable up in `PATH`, like `command -v`.
pub fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// The outcome of one check on one file.
#[derive(Clone, Debug)]
pub struct CheckReport {
    /// The tool that ran the check.
    pub tool: Tool,
    /// The command line, for the user to rerun by hand.
    pub command: String,
    pub passed: bool,
    /// On failure: why, then the tool's first offending lines (at most [`MAX_DETAIL_LINES`]).
    pub detail: Vec<String>,
    /// Where the tool's full log is, when it wrote one.
    pub log: Option<PathBuf>,
}

impl CheckReport {
    pub fn verdict(&self) -> &'static str {
        if self.passed {
            "PASS"
        } else {
            "FAIL"
        }
    }
}

/// The three tools, found on `PATH`.
#[derive(Clone, Debug)]
pub struct Tools {
    pub verilator: PathBuf,
    pub iverilog: PathBuf,
    pub yosys: PathBuf,
}

impl Tools {
    /// Finds all three tools; fails on the first one missing.
    pub fn find() -> Result<Self> {
        Ok(Self {
            verilator: Tool::Verilator.find()?,
            iverilog: Tool::Iverilog.find()?,
            yosys: Tool::Yosys.find()?,
        })
    }

    /// Runs the three checks on `file`, whose top module is `top`. `log_dir` receives Yosys's
    /// log (the file's directory when `None`).
    pub fn lint(&self, file: &Path, top: &str, log_dir: Option<&Path>) -> Result<Vec<CheckReport>> {
        let log_dir = log_dir
            .map(Path::to_path_buf)
            .or_else(|| file.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."));
        let yosys_log = log_dir.join(format!("{top}.yosys.log"));
        Ok(vec![
            verilator_lint(&self.verilator, file, top)?,
            iverilog_check(&self.iverilog, file, top)?,
            yosys_check(&self.yosys, file, top, &yosys_log)?,
        ])
    }
}

/// Check 1: `verilator --lint-only -Wall --top-module <top> <file>` prints no `%Warning` or
/// `%Error` and exits 0.
///
/// Verilator's `verilator` wrapper passes its arguments on through a shell command line, so a
/// path with a space becomes two files: it runs in the file's directory on the bare file name.
pub fn verilator_lint(verilator: &Path, file: &Path, top: &str) -> Result<CheckReport> {
    let name = file
        .file_name()
        .ok_or_else(|| anyhow::anyhow!("{}: not a file name", file.display()))?;
    if name.to_string_lossy().contains(|c: char| c.is_whitespace() || "'\"$`\\".contains(c)) {
        bail!(
            "{}: Verilator cannot take a file name with a space or a quote; rename it",
            file.display()
        );
    }
    let dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut cmd = Command::new(verilator);
    cmd.current_dir(dir)
        .args(["--lint-only", "-Wall", "--top-module", top])
        .arg(name);
    let run = run(Tool::Verilator, &mut cmd)?;
    let offending: Vec<&str> = run
        .lines()
        .filter(|l| l.starts_with("%Warning") || l.starts_with("%Error"))
        .collect();
    let mut detail = Vec::new();
    if !offending.is_empty() {
        detail.push(format!("{} warning/error line(s):", offending.len()));
        detail.extend(offending.iter().map(|l| l.to_string()));
    } else if !run.success {
        detail.push(format!("verilator exited with {}:", run.status));
        detail.extend(run.lines().map(str::to_string));
    }
    let mut r = report(Tool::Verilator, &cmd, detail, None);
    r.command = format!("cd {} && {}", shell_quote(&dir.to_string_lossy()), r.command);
    Ok(r)
}

/// Check 2: `iverilog -g2012 -s <top> -o <scratch> <file>` succeeds. The compiled output goes
/// to a scratch file in a temporary directory, removed afterwards: never to `/dev/null`, which
/// Icarus would mark executable.
pub fn iverilog_check(iverilog: &Path, file: &Path, top: &str) -> Result<CheckReport> {
    let scratch = tempfile::Builder::new()
        .prefix("edgertl-iverilog.")
        .tempdir()
        .context("cannot create a scratch directory for iverilog")?;
    let mut cmd = Command::new(iverilog);
    cmd.args(["-g2012", "-s", top, "-o"])
        .arg(scratch.path().join(format!("{top}.vvp")))
        .arg(file);
    let run = run(Tool::Iverilog, &mut cmd)?;
    let mut detail = Vec::new();
    if !run.success {
        detail.push(format!("iverilog exited with {}:", run.status));
        detail.extend(run.lines().map(str::to_string));
    }
    Ok(report(Tool::Iverilog, &cmd, detail, None))
}

/// Check 3: `yosys -q -l <log> -p "read_verilog <file>; hierarchy -check -top <top>; proc;
/// check -assert"` succeeds and its log reports no inferred latch.
pub fn yosys_check(yosys: &Path, file: &Path, top: &str, log: &Path) -> Result<CheckReport> {
    if let Some(dir) = log.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // Yosys's script language splits on spaces and `;`: quote the file name (which then must
    // not hold a quote itself).
    if file.to_string_lossy().contains('"') {
        bail!("{}: Yosys cannot read a path with a double quote; rename it", file.display());
    }
    let script = format!(
        "read_verilog \"{}\"; hierarchy -check -top {top}; proc; check -assert",
        file.display()
    );
    let mut cmd = Command::new(yosys);
    cmd.arg("-q").arg("-l").arg(log).arg("-p").arg(&script);
    let run = run(Tool::Yosys, &mut cmd)?;
    let log_text = std::fs::read_to_string(log)
        .with_context(|| format!("cannot read yosys's log {}", log.display()))?;
    let latches = latch_lines(&log_text);
    let mut detail = Vec::new();
    if !run.success {
        detail.push(format!("yosys exited with {}:", run.status));
        let mut lines: Vec<&str> = run.lines().collect();
        if lines.is_empty() {
            // `-q` keeps only warnings and errors on the console; fall back on the log's tail.
            let all: Vec<&str> = log_text.lines().filter(|l| !l.trim().is_empty()).collect();
            lines = all[all.len().saturating_sub(MAX_DETAIL_LINES)..].to_vec();
        } else {
            let errors: Vec<&str> = lines
                .iter()
                .copied()
                .filter(|l| l.contains("ERROR") || l.contains("Warning"))
                .collect();
            if !errors.is_empty() {
                lines = errors;
            }
        }
        detail.extend(lines.into_iter().map(str::to_string));
    }
    if !latches.is_empty() {
        detail.push(format!("{} latch(es) inferred by proc:", latches.len()));
        detail.extend(latches);
    }
    Ok(report(Tool::Yosys, &cmd, detail, Some(log.to_path_buf())))
}

/// The lines of a Yosys log, within the output of `proc`, that report an inferred latch.
///
/// `proc_dlatch` says `No latch inferred for signal ...` for every clean signal and
/// `Latch inferred for signal ...` for a latch; its own banner mentions latches too.
pub fn latch_lines(log: &str) -> Vec<String> {
    let mut in_proc = false;
    let mut found = Vec::new();
    for line in log.lines() {
        if let Some(pass) = executing_pass(line) {
            // `proc` runs sub-passes `proc_clean`, `proc_dlatch`, ...: all `PROC*`.
            in_proc = pass == "PROC" || pass.starts_with("PROC_");
            continue;
        }
        let lower = line.to_ascii_lowercase();
        if in_proc && lower.contains("latch inferred") && !lower.contains("no latch inferred") {
            found.push(line.trim().to_string());
        }
    }
    found
}

/// `3.8. Executing PROC_DLATCH pass (...)` -> `PROC_DLATCH`.
fn executing_pass(line: &str) -> Option<&str> {
    let rest = line.split_once(". Executing ")?.1;
    let head = line.split_once(". Executing ")?.0;
    if !head.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    rest.split_whitespace().next()
}

/// A finished tool run.
struct Run {
    success: bool,
    status: String,
    /// stderr then stdout.
    output: String,
}

impl Run {
    fn lines(&self) -> impl Iterator<Item = &str> {
        self.output.lines().filter(|l| !l.trim().is_empty())
    }
}

fn run(tool: Tool, cmd: &mut Command) -> Result<Run> {
    let out = cmd.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            anyhow::anyhow!("{tool} not found: run scripts/setup.sh")
        } else {
            anyhow::Error::new(e).context(format!("cannot run {}", command_line(cmd)))
        }
    })?;
    let mut output = String::from_utf8_lossy(&out.stderr).into_owned();
    if !output.is_empty() && !output.ends_with('\n') {
        output.push('\n');
    }
    output.push_str(&String::from_utf8_lossy(&out.stdout));
    let status = match out.status.code() {
        Some(code) => format!("exit code {code}"),
        None => "a signal".to_string(),
    };
    if out.status.code().is_none() && !out.status.success() {
        bail!("{} was killed by a signal", command_line(cmd));
    }
    Ok(Run {
        success: out.status.success(),
        status,
        output,
    })
}

fn report(tool: Tool, cmd: &Command, mut detail: Vec<String>, log: Option<PathBuf>) -> CheckReport {
    let passed = detail.is_empty();
    if detail.len() > MAX_DETAIL_LINES {
        let more = detail.len() - MAX_DETAIL_LINES;
        detail.truncate(MAX_DETAIL_LINES);
        detail.push(format!("... ({more} more line(s))"));
    }
    CheckReport {
        tool,
        command: command_line(cmd),
        passed,
        detail,
        log,
    }
}

/// A command as a shell would take it (program name only, arguments quoted when needed).
pub fn command_line(cmd: &Command) -> String {
    let program = Path::new(cmd.get_program())
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    std::iter::once(program)
        .chain(cmd.get_args().map(|a| shell_quote(&a.to_string_lossy())))
        .collect::<Vec<_>>()
        .join(" ")
}

fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:+,@".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latch_lines_ignores_clean_signals_and_banners() {
        let log = "\
3. Executing PROC pass (convert processes to netlists).
3.8. Executing PROC_DLATCH pass (convert process syncs to latches).
No latch inferred for signal `\\ok.\\q' from process `\\ok.$proc$latch.v:2$1'.
Latch inferred for signal `\\latchy.\\q' from process `\\latchy.$proc$latch.v:2$1': $auto$x
4. Executing CHECK pass (checking for obvious problems).
Latch inferred for signal outside proc
";
        assert_eq!(
            latch_lines(log),
            vec!["Latch inferred for signal `\\latchy.\\q' from process `\\latchy.$proc$latch.v:2$1': $auto$x"]
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("build/rtl/a.v"), "build/rtl/a.v");
        assert_eq!(
            shell_quote("read_verilog a.v; proc"),
            "'read_verilog a.v; proc'"
        );
        assert!(find_on_path("definitely-not-a-tool-edgertl").is_none());
    }
}
