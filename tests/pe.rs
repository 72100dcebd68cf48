//! Co-simulation of the Eyeriss PE: the Verilated RTL against the golden model, transaction
//! by transaction, and against rust-hdl's own simulator and Yosys' gate-level netlist, cycle
//! by cycle.
//!
//! Replay a failure with the seed it prints: `EDGERTL_SEED=<seed> EDGERTL_TRACE=1 cargo test
//! --release -p edgertl-tests --test pe <name>` (the trace file is named in the message).

use edgertl_hdl::pe::{PassConfig, PeConfig};
use edgertl_sim::harness::{Dut, Lockstep, RustHdl, Stimulus};
use edgertl_sim::pe::driver::{random_pass, PassData, PassResult, PeDriver, Traffic};
use edgertl_sim::pe::model::{PassError, PeModel};
use edgertl_sim::verilated::eyeriss_pe;
use edgertl_tests::check;
use rand::Rng;

/// Does the PE's pass agree with the golden model's? Returns the difference, if any.
fn compare(model: &mut PeModel, pass: &PassData, got: &PassResult) -> Result<(), String> {
    let want = model.run_pass(&pass.cfg, &pass.filters, &pass.ifmap, &pass.psum_in);
    match want {
        Err(PassError::Config(reason)) if got.refused => {
            if got.psum_out.is_empty() { Ok(()) } else { Err(format!("refused config ({reason}) still produced psums")) }
        }
        Err(e) => Err(format!("{:?}: model says `{e}`, the PE did not refuse", pass.cfg)),
        Ok(_) if got.refused => Err(format!("{:?}: the PE refused a legal configuration", pass.cfg)),
        Ok(psums) => {
            if let Some(k) = (0..psums.len().max(got.psum_out.len())).find(|&k| psums.get(k) != got.psum_out.get(k)) {
                return Err(format!(
                    "{:?}: psum_out[{k}] (e={}, f={}) is {:?}, the model says {:?} ({} vs {} words)",
                    pass.cfg,
                    k / pass.cfg.p as usize,
                    k % pass.cfg.p as usize,
                    got.psum_out.get(k),
                    psums.get(k),
                    got.psum_out.len(),
                    psums.len()
                ));
            }
            Ok(())
        }
    }
    .and_then(|_| {
        if got.counters == model.counters {
            Ok(())
        } else {
            Err(format!("{:?}: counters differ:\n  PE:    {:?}\n  model: {:?}", pass.cfg, got.counters, model.counters))
        }
    })
}

/// Random passes with random traffic through `dut` until `min_cycles` have run, every pass
/// checked against the golden model. Returns the cycles run.
fn run_against_model(dut: impl Dut, stim: &mut Stimulus, test: &str, min_cycles: u64, max_e: u32, min_passes: u32) -> u64 {
    let hw = PeConfig::eyeriss_v1();
    let hint = stim.replay_hint(test);
    let mut pe = PeDriver::new(dut);
    let mut model = PeModel::new(hw.clone());
    let mut passes = 0;
    while pe.pins.cycles() < min_cycles {
        let pass = random_pass(&mut stim.rng, &hw, max_e);
        let traffic = if stim.rng.gen_bool(0.2) { Traffic::FULL_SPEED } else { Traffic::random(&mut stim.rng) };
        let got = pe.run_pass(&pass, &hw, traffic, &mut stim.rng);
        let result = got.and_then(|got| compare(&mut model, &pass, &got));
        if result.is_err() {
            pe.pins.dut.flush_trace();
        }
        check(result.map_err(|e| format!("pass {passes}: {e}")), &hint);
        passes += 1;
    }
    assert!(passes >= min_passes, "too few passes to mean anything ({passes})");
    pe.pins.cycles()
}

#[test]
fn verilated_pe_matches_model_over_a_million_cycles() {
    let mut stim = Stimulus::from_env();
    let test = "verilated_pe_matches_model_over_a_million_cycles";
    let cycles = run_against_model(eyeriss_pe::Model::for_test(test, stim.seed), &mut stim, test, 1_200_000, 40, 100);
    eprintln!("{cycles} cycles checked (seed {})", stim.seed);
}

#[test]
fn rust_hdl_simulator_agrees_with_verilated_pe_cycle_by_cycle() {
    // The same stimulus through both RTL simulators, every output compared every cycle, and
    // the passes against the golden model too. rust-hdl's simulator is slow: a shorter run.
    let mut stim = Stimulus::from_env();
    let hint = stim.replay_hint("rust_hdl_simulator_agrees_with_verilated_pe_cycle_by_cycle");
    let both = Lockstep::new(
        eyeriss_pe::Model::for_test("rust_hdl_simulator_agrees_with_verilated_pe_cycle_by_cycle", stim.seed),
        RustHdl::new("eyeriss_pe").expect("the PE has a rust-hdl simulator"),
        eyeriss_pe::OUTPUTS,
        hint,
    );
    let cycles = run_against_model(both, &mut stim, "rust_hdl_simulator_agrees_with_verilated_pe_cycle_by_cycle", 30_000, 3, 20);
    eprintln!("{cycles} cycles in lockstep (seed {})", stim.seed);
}

#[test]
fn synthesized_netlist_agrees_with_rtl_and_model() {
    // Yosys' generic `synth` netlist (`Model::netlist()`, scripts/yosys/netlist.ys) in lockstep
    // with the RTL, every output every cycle, and every pass against the golden model: what
    // synthesis makes of the PE still computes the same. Gate level is ~50x slower: 100k cycles.
    let mut stim = Stimulus::from_env();
    let test = "synthesized_netlist_agrees_with_rtl_and_model";
    let hint = stim.replay_hint(test);
    let both = Lockstep::new(eyeriss_pe::Model::for_test(test, stim.seed), eyeriss_pe::Model::netlist().expect("the tests build the netlist"), eyeriss_pe::OUTPUTS, hint);
    let cycles = run_against_model(both, &mut stim, test, 100_000, 12, 30);
    eprintln!("{cycles} cycles, netlist in lockstep with the RTL (seed {})", stim.seed);
}

#[test]
fn refused_configurations_take_no_data_and_the_next_pass_runs() {
    let hw = PeConfig::eyeriss_v1();
    let mut stim = Stimulus::from_env();
    let hint = stim.replay_hint("refused_configurations_take_no_data_and_the_next_pass_runs");
    let mut pe = PeDriver::new(eyeriss_pe::Model::new());
    let mut model = PeModel::new(hw.clone());
    let good = PassConfig { s: 3, u: 1, p: 4, q: 2, e: 5, shift: 2 };
    let bad = [
        PassConfig { s: 0, ..good },
        PassConfig { u: 0, ..good },
        PassConfig { u: 13, ..good },
        PassConfig { p: 0, ..good },
        PassConfig { p: 25, ..good },
        PassConfig { q: 0, ..good },
        PassConfig { q: 13, ..good },
        PassConfig { e: 0, ..good },
        PassConfig { s: 7, q: 2, ..good },              // q*S = 14 > 12
        PassConfig { s: 12, q: 1, p: 19, ..good },      // p*q*S = 228 > 224
        PassConfig { s: 5, q: 2, p: 23, ..good },       // p*q*S = 230
    ];
    for cfg in bad {
        let pass = PassData { cfg, filters: vec![], ifmap: vec![], psum_in: vec![] };
        let got = pe.run_pass(&pass, &hw, Traffic::FULL_SPEED, &mut stim.rng).unwrap();
        assert!(got.refused, "{cfg:?} was not refused");
        check(compare(&mut model, &pass, &got), &hint);
        // And a legal pass right after it runs and clears the error flag.
        let mut pass = random_pass(&mut stim.rng, &hw, 4);
        pass.cfg = good;
        let mut ok = random_pass(&mut stim.rng, &hw, 4);
        while ok.cfg.validate(&hw).is_err() {
            ok = random_pass(&mut stim.rng, &hw, 4);
        }
        let got = pe.run_pass(&ok, &hw, Traffic::random(&mut stim.rng), &mut stim.rng).unwrap();
        assert!(!got.refused);
        check(compare(&mut model, &ok, &got), &hint);
    }
}

#[test]
fn reset_in_the_middle_of_a_pass_returns_to_idle_with_zero_counters() {
    let hw = PeConfig::eyeriss_v1();
    let mut stim = Stimulus::from_env();
    let hint = stim.replay_hint("reset_in_the_middle_of_a_pass_returns_to_idle_with_zero_counters");
    let mut pe = PeDriver::new(eyeriss_pe::Model::new());
    let pass = PassData {
        cfg: PassConfig { s: 3, u: 1, p: 8, q: 4, e: 6, shift: 0 },
        filters: (0..96).map(|k| k as i16 - 40).collect(),
        ifmap: (0..4 * 8).map(|k| (k % 7) as i16).collect(),
        psum_in: vec![1; 48],
    };
    // Only the configuration and no data: the PE waits in the filter load, busy.
    let starved = PassData { filters: vec![], ifmap: vec![], psum_in: vec![], ..pass.clone() };
    assert!(pe.run_pass(&starved, &hw, Traffic::FULL_SPEED, &mut stim.rng).is_err());
    pe.pins.reset();
    assert_eq!(pe.counters(), Default::default(), "{hint}");
    let mut model = PeModel::new(hw.clone());
    let got = pe.run_pass(&pass, &hw, Traffic::FULL_SPEED, &mut stim.rng).unwrap();
    check(compare(&mut model, &pass, &got), &hint);
    // Half-way through a pass this time (with data): counters are non-zero, then cleared.
    pe.pins.idle(0);
    pe.pins.reset();
    assert_eq!(pe.counters(), Default::default(), "{hint}");
}
