//! The cycle model of the `eyeriss` unit (`edgertl_sim::eyeriss::timing`) against the cycles
//! the Verilated `small` preset takes: the README's `run conv --rtl` layer under the mapping it
//! runs, then 10 random layers (the RTL tests' generator) under random supported mappings,
//! each run on ideal DRAM and on the chip's (200 : 60 MHz, 100 ns), every run checked
//! bit-exact with the golden layer and the machine's counters (`run_checked`, as in
//! `tests/eyeriss.rs`). The model must be within 5% of the RTL's cycles on every run; the
//! distribution of the difference is printed (`--nocapture`).

use edgertl_hdl::eyeriss::counters::PERF_NAMES;
use edgertl_hdl::eyeriss::EyerissConfig;
use edgertl_sim::eyeriss::counts::DataStats;
use edgertl_sim::eyeriss::driver::{best_compiled, compiled_mappings, random_data, random_layer, run_checked, DramTiming, EyerissDriver};
use edgertl_sim::eyeriss::golden;
use edgertl_sim::eyeriss::layer::LayerShape;
use edgertl_sim::eyeriss::timing::estimate;
use edgertl_sim::harness::Stimulus;
use edgertl_sim::verilated::eyeriss;
use rand::Rng;

/// The bound on |RTL / model - 1|.
const BOUND: f64 = 0.05;

#[test]
fn the_cycle_model_is_within_5_percent_of_the_rtl() {
    let test = "the_cycle_model_is_within_5_percent_of_the_rtl";
    let mut stim = Stimulus::from_env();
    let hw = EyerissConfig::small();
    let mut d = EyerissDriver::new(eyeriss::small::Model::for_test(test, stim.seed), &hw);
    // `run conv --rtl`'s example layer (the README's), then random ones.
    let mut conv = LayerShape::new("conv", 1, 8, 4, 16, 16, 3, 3);
    conv.pad = 1;
    let mut all = vec![conv];
    all.extend((0..10).map(|_| random_layer(&mut stim.rng)));
    let mut errors: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut bad = Vec::new();
    for (n, layer) in all.iter().enumerate() {
        let (ifmap, weights) = random_data(layer, &mut stim.rng);
        let data = DataStats { zero_macs: golden::zero_macs(layer, &ifmap), ..DataStats::dense() };
        let mut progs = compiled_mappings(&hw, layer, &data);
        if progs.is_empty() {
            println!("{}: no mapping fits the small preset", layer.name);
            continue;
        }
        // The example layer under the mapping `run conv --rtl` runs, the others under a random one.
        let chosen = if n == 0 {
            best_compiled(&hw, layer, &data).expect("a mapping")
        } else {
            progs.swap_remove(stim.rng.gen_range(0..progs.len()))
        };
        for (k, timing) in [DramTiming::IDEAL, DramTiming::CHIP].into_iter().enumerate() {
            let model = estimate(&chosen.1, &hw, timing).unwrap_or_else(|e| panic!("{e}\n{}", stim.replay_hint(test)));
            let c = run_checked(&mut d, layer, &ifmap, &weights, chosen.clone(), timing, &mut stim.rng)
                .unwrap_or_else(|e| panic!("{e}\n{}", stim.replay_hint(test)));
            let rtl = c.run.counts.cycles;
            let err = model.error(rtl);
            errors[k].push(err);
            let dram = ["ideal", "chip"][k];
            println!(
                "{} {:?} {dram}: RTL {rtl}, model {} ({:+.1}%), mapper {}; RTL {} {:?}, GLB conflicts {}; model array {} feeds {} load {} store {}, GLB conflicts {}",
                layer.name,
                (layer.m, layer.c, layer.h, layer.w, layer.r, layer.s, layer.u, layer.pad, layer.groups),
                model.cycles,
                100.0 * err,
                chosen.0.counts.cycles.total,
                PERF_NAMES[..4].join("/"),
                &c.run.counts.perf[..4],
                c.run.counts.glb_conflicts,
                model.array_busy,
                model.feeds_busy,
                model.load_busy,
                model.store_busy,
                model.glb_conflicts,
            );
            if err.abs() > BOUND {
                bad.push(format!("{} ({dram} DRAM, mapping {:?}): RTL {rtl}, model {}", layer.name, chosen.0.mapping.array, model.cycles));
            }
        }
    }
    for (k, e) in errors.iter_mut().enumerate() {
        e.sort_by(f64::total_cmp);
        if let (Some(lo), Some(hi)) = (e.first(), e.last()) {
            println!(
                "{} DRAM: RTL against the model over {} runs: min {:+.1}%, median {:+.1}%, max {:+.1}%",
                ["ideal", "chip"][k],
                e.len(),
                100.0 * lo,
                100.0 * e[e.len() / 2],
                100.0 * hi
            );
        }
    }
    assert!(errors[0].len() >= 8, "only {} layers had a mapping", errors[0].len());
    assert!(bad.is_empty(), "outside {}%:\n{}\n{}", 100.0 * BOUND, bad.join("\n"), stim.replay_hint(test));
}
