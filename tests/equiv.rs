//! Formal equivalence between each unit's RTL and Yosys' generic `synth` netlist of it, with
//! memories mapped to flip-flops (`Model::netlist()` co-simulates the same synthesis with
//! memories kept): `scripts/yosys/netlist_full.ys` then `scripts/yosys/equiv.ys` (equiv_make,
//! equiv_simple, equiv_induct, equiv_status). Every unit must leave no `$equiv` cell unproven.
//!
//! Why none, rather than a pinned count: an unproven cell is not a gap of its own. equiv_make
//! makes the readers of each paired signal, in the RTL and in the netlist alike, read its
//! `$equiv` cell, which the SAT passes take as the RTL's value, and equiv_induct assumes every
//! cell in the cycles before the one it proves, those it then fails to prove included. So each
//! cell is proven assuming all the others, and one cell that is false makes the rest prove
//! nothing about the states in which it is false. (The decoder once had one, `running_d`, false
//! in every cycle it decodes without finishing; a netlist with its zero-run counter broken
//! mid-stream still gave the same one unproven cell.)
//!
//! The RTL side gets synth's flip-flop optimisation first (equiv.ys says why and what that
//! rewrites), so the registers, outputs and the signals both sides name are compared; induction
//! of depth 1 (`-seq 1`) proves all three units (equiv_simple's cones stop at the flip-flops in
//! Yosys 0.23, so a deeper `-seq` there adds nothing).
//!
//! Multipliers are black boxes in every proof (`scripts/yosys/mul_blackbox.ys`), and a proof may
//! black-box submodules too: what is proven is the logic around them, for any behaviour of them
//! (each black box's inputs are proven equal on both sides, its outputs are shared). Each test
//! says what it trusts and where that is checked instead.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// `scripts/yosys/` (canonical: Yosys' `script` command takes the path unquoted).
fn scripts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/yosys");
    dir.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

/// A Yosys script from `scripts/yosys/` with its `{name}`s substituted.
fn script(name: &str, vars: &[(&str, &str)]) -> String {
    let path = scripts().join(name);
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

/// What equiv_status and equiv_make reported.
struct Status {
    proven: usize,
    unproven: usize,
    /// Black-box instances equiv_make paired (gold's and gate's of the same name).
    paired: Vec<String>,
}

/// Synthesizes `unit` with netlist_full.ys and checks it against its RTL, the submodules in
/// `boxes` being black boxes on both sides; prints the counts, the black boxes and every
/// unproven cell.
fn equiv(unit: &str, seq: u32, induct: bool, boxes: &[&str]) -> Status {
    let start = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let e = edgertl_hdl::emit(unit, None).unwrap();
    let rtl = dir.path().join(format!("{unit}.v"));
    let netlist = dir.path().join(format!("{unit}_netlist.v"));
    std::fs::write(&rtl, &e.verilog).unwrap();
    let (rtl_s, net_s, scripts_s) = (rtl.display().to_string(), netlist.display().to_string(), scripts().display().to_string());
    let boxes_cmd = if boxes.is_empty() { "# no submodule black boxes".to_string() } else { format!("blackbox {}", boxes.join(" ")) };
    let vars = [
        ("rtl", rtl_s.as_str()),
        ("netlist", net_s.as_str()),
        ("scripts", scripts_s.as_str()),
        ("top", unit),
        ("seq", &seq.to_string()),
        ("induct", if induct { "equiv_induct" } else { "#" }),
        ("boxes", &boxes_cmd),
    ];
    yosys(dir.path(), "netlist_full.ys", &script("netlist_full.ys", &vars));
    let log = yosys(dir.path(), "equiv.ys", &script("equiv.ys", &vars));
    // "Found N $equiv cells in equiv:" then "Of those cells P are proven and U are unproven."
    let status = log.lines().find(|l| l.contains("Of those cells")).unwrap_or_else(|| panic!("{unit}: no equiv_status summary"));
    let nums: Vec<usize> = status.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    let unproven: Vec<&str> = log.lines().filter(|l| l.trim_start().starts_with("Unproven $equiv")).collect();
    // "Presumably equivalent cells: X_gold X_gate (TYPE) -> X": only black boxes are paired.
    let paired: Vec<String> = log
        .lines()
        .filter_map(|l| l.strip_prefix("Presumably equivalent cells: "))
        .map(|l| l.split_once(" -> ").map_or(l, |(_, name)| name).to_string())
        .collect();
    // A black box left unpaired would be two unrelated cells whose outputs the SAT passes leave
    // free (Yosys warns "No SAT model available for cell X_gold"): whatever depends on them
    // would prove nothing.
    let unpaired: Vec<&str> = log
        .lines()
        .filter(|l| l.starts_with("Warning: No SAT model available for cell "))
        .filter(|l| l.contains("_gold (") || l.contains("_gate ("))
        .collect();
    assert!(unpaired.is_empty(), "{unit}: black boxes equiv_make did not pair:\n{}", unpaired.join("\n"));
    eprintln!("{unit}: {} proven, {} unproven $equiv cells in {:.1} s", nums[0], nums[1], start.elapsed().as_secs_f64());
    if !paired.is_empty() {
        eprintln!("  black boxes (inputs proven, outputs shared): {}", paired.join(", "));
    }
    for u in &unproven {
        eprintln!("  {}", u.trim());
    }
    Status { proven: nums[0], unproven: nums[1], paired }
}

/// The run-length encoder, completely (1302 `$equiv` cells today): no black box.
#[test]
fn encoder_netlist_is_equivalent_to_its_rtl() {
    let s = equiv("rlc_encoder", 1, true, &[]);
    assert!(s.proven > 1000, "too few $equiv cells to mean anything ({})", s.proven);
    assert_eq!(s.unproven, 0, "every register, next state and output of the encoder's netlist is proven equal to the RTL's");
}

/// The run-length decoder (32-bit counts), completely (1449 `$equiv` cells today): no black
/// box. Its `running_d` is the signal equiv.ys's note on opt_dff is about: without that
/// rewrite on the RTL side it stayed unproven, and the other cells were then proven only
/// assuming the decoder idle or finishing in the cycles before (see the module's doc).
#[test]
fn decoder_netlist_is_equivalent_to_its_rtl() {
    let s = equiv("rlc_decoder", 1, true, &[]);
    assert!(s.proven > 1000, "too few $equiv cells to mean anything ({})", s.proven);
    assert_eq!(s.unproven, 0, "every register, next state and output of the decoder's netlist is proven equal to the RTL's");
}

/// The PE, proven by parts (3174 `$equiv` cells today). Proven: every signal that the RTL and
/// the netlist both name (registers, next states, outputs) is equal on both sides: state
/// machine, configuration check, loop counters, the MAC pipeline's registers, the multiplier's
/// operands, the product's sign correction, shift and accumulation, the ifmap registers, the
/// psum spad and the four FIFOs with their flip-flops, all counters; combinational logic by
/// equiv_simple, registers by one step of induction.
///
/// Trusted, black boxes on both sides:
/// - the 16 x 16 multiplier(s) (every `$mul`, mul_blackbox.ys): SAT does not prove a
///   gate-level multiplier in useful time. The proof shows that the netlist feeds each one the
///   RTL's operands and uses its product as the RTL does; the netlist proven keeps them out of
///   synthesis (which would otherwise merge the product and its correction into one `$macc`).
/// - the filter spad (`eyeriss_pe_filt_spad`, a 224 x 16 SRAM): its 3584 flip-flops under
///   induction take minutes. The proof shows that the netlist drives its ports as the RTL does
///   and uses its read data as the RTL does; only memory_map's flip-flops and read multiplexer
///   for it are not proven (a netlist only this proof uses: co-simulation and the FPGA flows
///   keep it a memory).
///
/// Both are checked instead by co-simulation (tests/pe.rs,
/// `synthesized_netlist_agrees_with_rtl_and_model`): synth's netlist with its multiplier and
/// the spad as a memory, in lockstep with the RTL and against the golden model.
///
/// Nothing here names a register (the black boxes are every `$mul` and one submodule) and one
/// step of induction (`-seq 1`) suffices, so the proof follows changes to the MAC pipeline's
/// depth. If a change leaves cells unproven, the test prints them: find out why (a pinned
/// count would not do, see the module's doc).
#[test]
fn pe_netlist_is_equivalent_to_its_rtl_around_multiplier_and_filter_spad() {
    let s = equiv("eyeriss_pe", 1, true, &["eyeriss_pe_filt_spad"]);
    assert!(s.proven > 1000, "too few $equiv cells to mean anything ({})", s.proven);
    assert!(s.paired.iter().any(|b| b.starts_with("edgertl_mul_")), "no multiplier black box paired: {:?}", s.paired);
    assert!(s.paired.iter().any(|b| b == "filt_spad"), "the filter spad's black box was not paired: {:?}", s.paired);
    assert_eq!(s.unproven, 0, "the PE's unproven $equiv cells changed: see the list above");
}
