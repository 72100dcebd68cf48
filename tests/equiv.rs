//! Formal equivalence between each unit's RTL and Yosys' generic `synth` netlist of it, with
//! memories mapped to flip-flops (`Model::netlist()` co-simulates the same synthesis with
//! memories kept): `scripts/yosys/netlist_full.ys` then `scripts/yosys/equiv.ys` (equiv_make, equiv_simple, equiv_induct, equiv_status), and the
//! count of unproven `$equiv` cells pinned per unit, so that any drift shows.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// A Yosys script from `scripts/yosys/` with its `{name}`s substituted.
fn script(name: &str, vars: &[(&str, &str)]) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/yosys").join(name);
    let mut s = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for (k, v) in vars {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

fn yosys(dir: &Path, name: &str, text: &str) -> String {
    let ys = dir.join(name);
    let log = dir.join(format!("{name}.log"));
    std::fs::write(&ys, text).unwrap();
    let out = Command::new("yosys").arg("-q").arg("-l").arg(&log).arg("-s").arg(&ys).output().expect("yosys: run scripts/setup.sh");
    assert!(out.status.success(), "yosys {name} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    std::fs::read_to_string(&log).unwrap()
}

/// Synthesizes `unit` as build.rs does and checks it against its RTL; returns (proven,
/// unproven) `$equiv` cells.
fn equiv(unit: &str, seq: u32, induct: bool) -> (usize, usize) {
    let start = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let e = edgertl_hdl::emit(unit, None).unwrap();
    let rtl = dir.path().join(format!("{unit}.v"));
    let netlist = dir.path().join(format!("{unit}_netlist.v"));
    std::fs::write(&rtl, &e.verilog).unwrap();
    let (rtl_s, net_s) = (rtl.display().to_string(), netlist.display().to_string());
    let vars = [("rtl", rtl_s.as_str()), ("netlist", net_s.as_str()), ("top", unit), ("seq", &seq.to_string()), ("induct", if induct { "equiv_induct" } else { "#" })];
    yosys(dir.path(), "netlist_full.ys", &script("netlist_full.ys", &vars));
    let log = yosys(dir.path(), "equiv.ys", &script("equiv.ys", &vars));
    // "Found N $equiv cells in equiv:" then "Of those cells P are proven and U are unproven."
    let status = log.lines().find(|l| l.contains("Of those cells")).unwrap_or_else(|| panic!("{unit}: no equiv_status summary"));
    let nums: Vec<usize> = status.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    let unproven: Vec<&str> = log.lines().filter(|l| l.trim_start().starts_with("Unproven $equiv")).collect();
    eprintln!("{unit}: {} proven, {} unproven $equiv cells in {:.1} s", nums[0], nums[1], start.elapsed().as_secs_f64());
    for u in &unproven {
        eprintln!("  {}", u.trim());
    }
    (nums[0], nums[1])
}

#[test]
fn encoder_netlist_is_equivalent_to_its_rtl() {
    let (proven, unproven) = equiv("rlc_encoder", 5, true);
    assert!(proven > 1000, "too few $equiv cells to mean anything ({proven})");
    assert_eq!(unproven, 0, "every register, next state and output of the encoder's netlist is proven equal to the RTL's");
}

#[test]
fn decoder_netlist_is_equivalent_to_its_rtl_but_one_next_state_bit() {
    // `running_d` (the next `running_q`) stays unproven: induction of depth 5 from an arbitrary
    // state does not rule out the unreachable states in which gold and gate differ (depth 12
    // does not finish in minutes); co-simulation covers it from reset.
    let (proven, unproven) = equiv("rlc_decoder", 5, true);
    assert!(proven > 1000, "too few $equiv cells to mean anything ({proven})");
    assert_eq!(unproven, 1, "the decoder's unproven $equiv cells changed: see the list above");
}

// The PE: not proven here. With memories mapped, its 224 x 16 filter spad (3584 flip-flops and
// a 3584-to-16 read multiplexer) and 16 x 16 multiplier make even `equiv_simple -seq 1` run for
// more than fifteen minutes on the current PE; its netlist is checked by co-simulation
// (tests/pe.rs, `synthesized_netlist_agrees_with_rtl_and_model`) until a proof that keeps the
// spad as a memory on both sides (or proves it by parts) replaces it.
