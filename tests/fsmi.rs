//! Co-simulation of the FSMI unit (issue 15): the Verilated `small` preset against the golden
//! models pose by pose (the MI bit for bit against the fixed-point model, the steps, stalls and
//! conflicts against the bank model, the cycles against the formula), on random maps and
//! poses (corners, edges, outside the map), beams along the axes and the diagonals, diagonal
//! and row-major banking, random idle and back-pressure; rust-hdl's simulator and Yosys'
//! netlist in lockstep with the RTL; and the chip's `paper` preset on a 200 x 200 office.
//!
//! Replay a failure with the seed it prints: `EDGERTL_SEED=<seed> EDGERTL_TRACE=1 cargo test
//! --release -p edgertl-tests --test fsmi <name>`.

use edgertl_hdl::fsmi::FsmiHwConfig;
use edgertl_sim::fsmi::banks::Banking;
use edgertl_sim::fsmi::driver::{check_pose, random_config, random_map, random_poses, FsmiDriver, PoseResult, Traffic};
use edgertl_sim::fsmi::fixed::FixedModel;
use edgertl_sim::fsmi::map::OccMap;
use edgertl_sim::fsmi::mi::FsmiConfig;
use edgertl_sim::harness::{Dut, Lockstep, RustHdl, Stimulus};
use edgertl_sim::verilated::fsmi;
use edgertl_tests::check;
use rand::Rng;

/// `scenarios` random scenarios through a `small` unit: a map, a configuration (the listed
/// beam counts first: B = 1 and 3 have a beam along -x, 2 along +-y, 4 the four diagonals),
/// a banking, then `poses` poses each, every result against the golden models. Returns
/// the results' totals (stalls, conflicts) and the cycles run.
fn small_against_models(dut: impl Dut, stim: &mut Stimulus, test: &str, scenarios: usize, poses: usize) -> (u64, u64, u64) {
    let hint = stim.replay_hint(test);
    let hw = FsmiHwConfig::small();
    let mut d = FsmiDriver::new(dut, &hw);
    let side = hw.max_side() as usize;
    let (mut stalls, mut conflicts) = (0, 0);
    for k in 0..scenarios {
        let rng = &mut stim.rng;
        let mut cfg = random_config(&hw, side, rng);
        if let Some(&b) = [1, 2, 3, 4].get(k) {
            cfg.beams = b;
            cfg.range = side as f64 * 2.0;
        }
        let (h, w) = if k == 4 { (side, side) } else { (rng.gen_range(1..=side), rng.gen_range(1..=side)) };
        let map = random_map(h, w, rng);
        let map = OccMap::from_codes(h, w, (0..h * w).map(|i| map.code(i / w % map.height(), i % w % map.width())).collect()).unwrap();
        let model = FixedModel::new(&cfg).unwrap();
        let banking = if k % 2 == 0 { Banking::Diagonal { skew: hw.skew as usize } } else { Banking::RowMajor };
        let traffic = if k % 3 == 0 { Traffic::FULL_SPEED } else { Traffic::random(rng) };
        check(d.configure(&model, banking, h, w, &traffic, rng), &hint);
        check(d.load_map(&map, &traffic, rng), &hint);
        for (r, c) in random_poses(h, w, poses, rng) {
            let got = d.pose(r, c, &traffic, rng);
            check(got.and_then(|g| check_pose(&hw, &model, banking, &map, r, c, &g).map(|()| g)).map(|g| {
                stalls += g.stalls;
                conflicts += g.conflicts;
            }).map_err(|e| format!("scenario {k} ({cfg:?}): {e}")), &hint);
        }
    }
    (stalls, conflicts, d.pins.cycles())
}

#[test]
fn small_matches_the_golden_models() {
    let mut stim = Stimulus::from_env();
    let test = "small_matches_the_golden_models";
    let (stalls, conflicts, cycles) = small_against_models(fsmi::small::Model::for_test(test, stim.seed), &mut stim, test, 24, 12);
    assert!(stalls > 0 && conflicts > 0, "no conflict exercised (seed {})", stim.seed);
    eprintln!("{cycles} cycles, {stalls} stalls in {conflicts} conflicted steps (seed {})", stim.seed);
}

#[test]
fn rust_hdl_simulator_agrees_with_verilated_small_cycle_by_cycle() {
    let mut stim = Stimulus::from_env();
    let test = "rust_hdl_simulator_agrees_with_verilated_small_cycle_by_cycle";
    let hint = stim.replay_hint(test);
    let both = Lockstep::new(fsmi::small::Model::new(), RustHdl::preset("fsmi", Some("small")).unwrap(), fsmi::small::OUTPUTS, hint.clone());
    let hw = FsmiHwConfig::small();
    let mut d = FsmiDriver::new(both, &hw);
    let rng = &mut stim.rng;
    let cfg = FsmiConfig { beams: 8, range: 6.0, ..FsmiConfig::paper() };
    let model = FixedModel::new(&cfg).unwrap();
    let map = random_map(8, 8, rng);
    let traffic = Traffic::random(rng);
    d.configure(&model, Banking::Diagonal { skew: 2 }, map.height(), map.width(), &traffic, rng).unwrap();
    d.load_map(&map, &traffic, rng).unwrap();
    for (r, c) in random_poses(map.height(), map.width(), 5, rng) {
        let got = d.pose(r, c, &traffic, rng).unwrap();
        check(check_pose(&hw, &model, Banking::Diagonal { skew: 2 }, &map, r, c, &got), &hint);
    }
    eprintln!("{} cycles in lockstep ({hint})", d.pins.cycles());
}

#[test]
fn synthesized_netlist_agrees_with_rtl_and_model() {
    let mut stim = Stimulus::from_env();
    let test = "synthesized_netlist_agrees_with_rtl_and_model";
    let both = Lockstep::new(fsmi::small::Model::new(), fsmi::small::Model::netlist().expect("the tests build the netlist"), fsmi::small::OUTPUTS, stim.replay_hint(test));
    let (stalls, conflicts, cycles) = small_against_models(both, &mut stim, test, 6, 6);
    eprintln!("{cycles} cycles in lockstep, {stalls} stalls, {conflicts} conflicts (seed {})", stim.seed);
}

#[test]
fn paper_preset_on_a_200_by_200_office() {
    // The chip's workload on the 16-core unit: 60 beams, range 100, a sample of poses of the
    // demo office (corners, edges, inside), diagonal banking then row-major on the same poses.
    let mut stim = Stimulus::from_env();
    let test = "paper_preset_on_a_200_by_200_office";
    let hint = stim.replay_hint(test);
    let hw = FsmiHwConfig::paper();
    let mut d = FsmiDriver::new(fsmi::Model::for_test(test, stim.seed), &hw);
    let map = OccMap::office(200, 200, 0.5, 1);
    let model = FixedModel::new(&FsmiConfig::paper()).unwrap();
    let rng = &mut stim.rng;
    let poses = random_poses(200, 200, 8, rng);
    let mut totals = Vec::new();
    for banking in [Banking::Diagonal { skew: 6 }, Banking::RowMajor] {
        // The skew decides each cell's bank: the map loads after it.
        check(d.configure(&model, banking, 200, 200, &Traffic::FULL_SPEED, rng), &hint);
        d.load_map(&map, &Traffic::FULL_SPEED, rng).unwrap();
        let mut sum = PoseResult::default();
        for &(r, c) in &poses {
            let got = d.pose(r, c, &Traffic::FULL_SPEED, rng).unwrap();
            check(check_pose(&hw, &model, banking, &map, r, c, &got), &hint);
            sum.cycles += got.cycles;
            sum.stalls += got.stalls;
            sum.steps += got.steps;
        }
        totals.push((banking, sum));
    }
    eprintln!("{totals:?} (seed {})", stim.seed);
}

#[test]
fn oversized_maps_and_configurations_are_refused() {
    let hw = FsmiHwConfig::small();
    let mut d = FsmiDriver::new(fsmi::small::Model::new(), &hw);
    let mut rng = rand::thread_rng();
    let big = OccMap::uniform(40, 10, 0.5).unwrap();
    assert!(d.load_map(&OccMap::uniform(4, 4, 0.5).unwrap(), &Traffic::FULL_SPEED, &mut rng).unwrap_err().contains("configure"));
    assert!(d.load_map(&big, &Traffic::FULL_SPEED, &mut rng).unwrap_err().contains("larger than the unit's 32 x 32"));
    let many = FixedModel::new(&FsmiConfig { beams: 65, ..FsmiConfig::small() }).unwrap();
    let e = d.configure(&many, Banking::RowMajor, 8, 8, &Traffic::FULL_SPEED, &mut rng).unwrap_err();
    assert!(e.contains("65 beams are more than the unit's 64"), "{e}");
    let e = d.configure(&many, Banking::RowBlocks, 8, 8, &Traffic::FULL_SPEED, &mut rng).unwrap_err();
    assert!(e.contains("beams"), "{e}");
}
