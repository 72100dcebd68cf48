//! Output files and tool runs that never lose data (issue 8), at the library level: the one
//! output writer (`edgertl::output`) and the lint tools' scratch files. The command-line
//! checks (exit codes, limits, signals, parallel runs) are in `gen/tests/cli.rs`.

use edgertl::output::{self, Output, OutputSet};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;

// "The temporary file's name is predictable (`.NAME.PID.tmp`), opened without `O_EXCL` and
// following symlinks": a symlink planted at the old predictable name is not followed.
#[test]
fn a_planted_symlink_at_the_old_temporary_name_is_not_followed() {
    let d = tempfile::tempdir().unwrap();
    let victim = d.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    let planted = d.path().join(format!(".out.rlc.{}.tmp", std::process::id()));
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    let out = d.path().join("out.rlc");
    let mut o = Output::create(&out, &[]).unwrap();
    assert_ne!(o.tmp_path(), planted.as_path());
    o.write_all(b"data").unwrap();
    o.commit().unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert_eq!(std::fs::read(&out).unwrap(), b"data");
}

// Two outputs never share a temporary, and an error drops it.
#[test]
fn temporaries_are_unique_and_removed_on_error() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("x.json");
    let a = Output::create(&out, &[]).unwrap();
    let b = Output::create(&out, &[]).unwrap();
    assert_ne!(a.tmp_path(), b.tmp_path());
    let (ta, tb) = (a.tmp_path().to_path_buf(), b.tmp_path().to_path_buf());
    drop(a);
    drop(b);
    assert!(!ta.exists() && !tb.exists());
    // A pair with a bad member writes neither.
    let mut set = OutputSet::new();
    set.add(d.path().join("a.v"), "v").unwrap();
    assert!(set.add(d.path().join("no/such/dir/a.json"), "j").is_err());
    drop(set);
    assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
}

// "`edgertl lint` as root turns `/dev/null` from mode 666 into 755": Icarus gets a scratch
// file, and /dev/null keeps its mode.
#[test]
fn lint_never_writes_to_dev_null() {
    let before = std::fs::metadata("/dev/null").unwrap().permissions().mode();
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("t.v");
    output::write(&file, "module t (input wire a, output wire y);\n    assign y = a;\nendmodule\n").unwrap();
    let tools = edgertl::tools::Tools::find().expect("verilator, iverilog and yosys: run scripts/setup.sh");
    let reports = tools.lint(&file, "t", Some(d.path())).unwrap();
    for r in &reports {
        assert!(r.passed, "{}: {}", r.command, r.detail.join("\n"));
        assert!(!r.command.contains("/dev/null"), "{}", r.command);
    }
    assert_eq!(std::fs::metadata("/dev/null").unwrap().permissions().mode(), before);
}
