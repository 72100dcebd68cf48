//! Co-simulation speed of the PE, side by side on one stimulus:
//!
//! 1. Verilator with the test driver and the golden model in the loop (as the tests run it),
//!    recording every cycle's inputs;
//! 2. Verilator alone, replaying the recorded inputs;
//! 3. rust-hdl's simulator alone, replaying a prefix of the same inputs.
//!
//! Replays are checked to give the recorded outputs. Run: `cargo bench -p edgertl-sim`
//! (`EDGERTL_BENCH_CYCLES` sets the stimulus length, default 5 000 000).

use edgertl_hdl::pe::PeConfig;
use edgertl_sim::harness::{replay, Dut, Recorder, RustHdl, Stimulus};
use edgertl_sim::pe::driver::{random_pass, PeDriver, Traffic};
use edgertl_sim::pe::model::PeModel;
use edgertl_sim::verilated::eyeriss_pe::{Model, INPUTS, OUTPUTS};
use std::time::Instant;

fn main() {
    let cycles: u64 = std::env::var("EDGERTL_BENCH_CYCLES").ok().and_then(|s| s.parse().ok()).unwrap_or(5_000_000);
    let hw = PeConfig::eyeriss_v1();
    let mut stim = Stimulus::with_seed(2016);
    let (n_in, n_out) = (INPUTS.len(), OUTPUTS.len());

    // 1. Driver + golden model in the loop.
    let t = Instant::now();
    let mut pe = PeDriver::new(Recorder::new(Model::new()));
    let mut model = PeModel::new(hw.clone());
    while pe.pins.cycles() < cycles {
        let pass = random_pass(&mut stim.rng, &hw, 40);
        let got = pe.run_pass(&pass, &hw, Traffic::random(&mut stim.rng), &mut stim.rng).expect("pass runs");
        if let Ok(want) = model.run_pass(&pass.cfg, &pass.filters, &pass.ifmap, &pass.psum_in) {
            assert_eq!(want, got.psum_out, "the PE disagrees with the model");
        }
    }
    let with_model = t.elapsed().as_secs_f64();
    let recorded = pe.pins.cycles();
    let Recorder { inputs, outputs, .. } = pe.pins.dut;

    // 2. Verilator alone on the same inputs: the best of three runs (the machine is shared).
    let mut verilator = f64::MAX;
    for _ in 0..3 {
        let mut v = Model::new();
        let t = Instant::now();
        let out = replay(&mut v, &inputs, n_in, n_out);
        verilator = verilator.min(t.elapsed().as_secs_f64());
        assert_eq!(out, outputs, "the replay through Verilator diverged");
    }

    // 3. rust-hdl's simulator on a prefix (it is thousands of times slower).
    let prefix = (recorded as usize).min(20_000);
    let mut r = RustHdl::new("eyeriss_pe").unwrap();
    let t = Instant::now();
    let out = replay(&mut r as &mut dyn Dut, &inputs[..prefix * n_in], n_in, n_out);
    let rust_hdl = t.elapsed().as_secs_f64();
    assert_eq!(out, outputs[..prefix * n_out], "rust-hdl's simulator diverged from Verilator");

    let rate = |c: u64, s: f64| c as f64 / s;
    let v_rate = rate(recorded, verilator);
    println!("PE co-simulation speed (one stimulus, seed 2016, {recorded} cycles)");
    println!("{:<40} {:>12} {:>16} {:>14}", "backend", "cycles", "cycles/s", "vs Verilator");
    for (name, c, s) in [
        ("Verilator alone", recorded, verilator),
        ("Verilator + driver + golden model", recorded, with_model),
        ("rust-hdl simulator alone", prefix as u64, rust_hdl),
    ] {
        println!("{:<40} {:>12} {:>16.0} {:>13.4}x", name, c, rate(c, s), rate(c, s) / v_rate);
    }
    println!("target: >= 15 000 000 cycles/s through Verilator: {}", if v_rate >= 15e6 { "met" } else { "NOT met" });
}
