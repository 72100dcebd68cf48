//! The PE array (`eyeriss_array`): random IDs and traffic against the transaction-level golden
//! model on the Verilated `tiny` and `small` presets, rust-hdl's simulator in lockstep with
//! the Verilated `tiny`, and row-stationary passes computing whole small convolutions
//! (`small` and the full 12 x 14 `eyeriss_v1`) checked against the reference convolution.

use edgertl_hdl::array::ArrayConfig;
use edgertl_sim::array::driver::{check_random, ArrayDriver, BusTraffic};
use edgertl_sim::array::model::ArrayModel;
use edgertl_sim::array::rs::RsLayer;
use edgertl_sim::harness::{Dut, Lockstep, RustHdl, Stimulus};
use edgertl_sim::verilated::eyeriss_array;

/// `n` random scenarios on `dut` against the golden model, from the test's own seed (the one
/// its trace is named after).
fn random(dut: &mut dyn Dut, preset: &str, n: usize, stim: &mut Stimulus, test: &str) {
    let hw = ArrayConfig::preset(preset).unwrap();
    if let Err(e) = check_random(dut, &hw, n, &mut stim.rng) {
        panic!("{e}\n{}", stim.replay_hint(test));
    }
}

#[test]
fn tiny_random_ids_and_traffic_match_the_model() {
    let test = "tiny_random_ids_and_traffic_match_the_model";
    let mut stim = Stimulus::from_env();
    random(&mut eyeriss_array::tiny::Model::for_test(test, stim.seed), "tiny", 150, &mut stim, test);
}

#[test]
fn small_random_ids_and_traffic_match_the_model() {
    let test = "small_random_ids_and_traffic_match_the_model";
    let mut stim = Stimulus::from_env();
    random(&mut eyeriss_array::small::Model::for_test(test, stim.seed), "small", 80, &mut stim, test);
}

#[test]
fn rust_hdl_simulator_agrees_with_verilated_tiny() {
    let test = "rust_hdl_simulator_agrees_with_verilated_tiny";
    let mut stim = Stimulus::from_env();
    let mut both = Lockstep::new(
        eyeriss_array::tiny::Model::for_test(test, stim.seed),
        RustHdl::preset("eyeriss_array", Some("tiny")).unwrap(),
        eyeriss_array::OUTPUTS,
        stim.replay_hint(test),
    );
    random(&mut both, "tiny", 6, &mut stim, test);
}

/// Maps `layer` onto the array, runs its pass and checks every output element against the
/// reference convolution and every counter against the golden model.
fn rs_pass(dut: &mut dyn Dut, preset: &str, layer: &RsLayer, stim: &mut Stimulus, test: &str) -> u64 {
    let hw = ArrayConfig::preset(preset).unwrap();
    layer.fits(&hw).unwrap();
    let ids = layer.ids(&hw);
    let traffic = layer.traffic();
    let mut model = ArrayModel::new(&hw);
    model.ids = ids.clone();
    let want = model.run(&layer.pass(), &traffic).unwrap();
    let mut d = ArrayDriver::new(dut, &hw);
    d.write_ids(&ids);
    let start = d.pins.cycles();
    let got = d
        .run_pass(&layer.pass(), &traffic, BusTraffic::random(&mut stim.rng), &mut stim.rng)
        .unwrap_or_else(|e| panic!("{layer:?}: {e}\n{}", stim.replay_hint(test)));
    let cycles = d.pins.cycles() - start;
    let y = layer.gather(&got.out).unwrap_or_else(|e| panic!("{e}\n{}", stim.replay_hint(test)));
    let reference = layer.reference();
    if let Some(k) = (0..y.len()).find(|&k| y[k] != reference[k]) {
        let (ew, eh) = (layer.ew, layer.eh);
        panic!(
            "output y[{}][{}][{}] is {}, the reference convolution says {} ({} x {} filters, stride {})\n{}",
            k / (ew * eh),
            k / ew % eh,
            k % ew,
            y[k],
            reference[k],
            layer.r,
            layer.s,
            layer.u,
            stim.replay_hint(test)
        );
    }
    if let Err(e) = edgertl_sim::array::driver::compare(&want, &got) {
        panic!("{e}\n{}", stim.replay_hint(test));
    }
    assert_eq!(got.counters.active_pes as usize, layer.t * layer.r * layer.eh);
    cycles
}

#[test]
fn row_stationary_convolutions_on_small_are_bit_exact() {
    let test = "row_stationary_convolutions_on_small_are_bit_exact";
    let mut stim = Stimulus::from_env();
    let mut dut = eyeriss_array::small::Model::for_test(test, stim.seed);
    // (channels, filters, replicas, R, S, stride, output rows, output columns)
    let shapes = [
        (1, 2, 1, 3, 3, 1, 4, 5),
        (2, 3, 1, 3, 3, 2, 4, 4),
        (1, 2, 1, 2, 5, 4, 3, 3),
        (3, 4, 1, 2, 4, 1, 4, 6),
        (1, 1, 3, 1, 1, 1, 4, 3),
        (2, 2, 1, 3, 2, 4, 2, 2),
    ];
    for (c, p, t, r, s, u, eh, ew) in shapes {
        let layer = RsLayer::random(&mut stim.rng, c, p, t, r, s, u, eh, ew);
        rs_pass(&mut dut, "small", &layer, &mut stim, test);
    }
}

#[test]
fn eyeriss_v1_runs_a_3_by_13_set_replicated_4_times() {
    // CONV3-5's PE set on the chip: 3 x 13, four replicas, 156 PEs active.
    let test = "eyeriss_v1_runs_a_3_by_13_set_replicated_4_times";
    let mut stim = Stimulus::from_env();
    let mut dut = eyeriss_array::Model::for_test(test, stim.seed);
    let layer = RsLayer::random(&mut stim.rng, 2, 4, 4, 3, 3, 1, 13, 13);
    let cycles = rs_pass(&mut dut, "eyeriss_v1", &layer, &mut stim, test);
    let slots = layer.t * layer.p * layer.c * layer.r * layer.s * layer.eh * layer.ew;
    eprintln!("eyeriss_v1: 156 PEs, {slots} MAC slots in {cycles} cycles");
}

#[test]
fn synthesized_netlist_of_tiny_agrees_with_rtl_and_model() {
    // Yosys' generic `synth` netlist of `tiny` in lockstep with its RTL, every output every
    // cycle, while random scenarios are checked against the golden model.
    let test = "synthesized_netlist_of_tiny_agrees_with_rtl_and_model";
    let mut stim = Stimulus::from_env();
    let mut both = Lockstep::new(
        eyeriss_array::tiny::Model::for_test(test, stim.seed),
        eyeriss_array::tiny::Model::netlist().expect("the tests build the netlist"),
        eyeriss_array::OUTPUTS,
        stim.replay_hint(test),
    );
    random(&mut both, "tiny", 20, &mut stim, test);
}
