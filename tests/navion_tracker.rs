//! Co-simulation of the Navion tracker: the Verilated `small` preset (on-chip frame memory)
//! and `navion` preset (Navion's 3 levels and 15 x 15 window, frames through the memory port,
//! served by the driver with random latency and stalls) against the golden model
//! `edgertl_sim::navion::tracker::track`, bit for bit (position, status, iterations of every
//! point), on frame pairs of known motion and a photograph pair, with random points (near and
//! on the borders, outside), random idle and back-pressure; against rust-hdl's own
//! simulator, cycle by cycle; and Yosys' gate-level netlist of `tiny` (the synthesis preset:
//! 32 x 16 frames, 2 levels, 5 x 5) against its RTL and the model.
//!
//! Replay a failure with the seed it prints: `EDGERTL_SEED=<seed> EDGERTL_TRACE=1 cargo test
//! --release -p edgertl-tests --test navion_tracker <name>`.

use edgertl_sim::harness::{Handshake, Lockstep, RustHdl, Stimulus};
use edgertl_sim::navion::motion;
use edgertl_sim::navion::tracker::{input_frame, Input, TrackerConfig};
use edgertl_sim::navion::tracker_driver::{compare, random_points, test_pair, MemoryPort, TrackerDriver, Traffic};
use edgertl_sim::verilated::navion_tracker;
use edgertl_hdl::navion::tracker::{point_clocks, TrackerHwConfig};
use edgertl_tests::check;
use rand::Rng;

#[test]
fn random_points_match_the_model_under_traffic() {
    let mut stim = Stimulus::from_env();
    let test = "random_points_match_the_model_under_traffic";
    let hint = stim.replay_hint(test);
    let mut drv = TrackerDriver::new(navion_tracker::Model::for_test(test, stim.seed), TrackerHwConfig::small());
    let mut points_total = 0;
    for k in 0..6 {
        let (w, h) = if k == 0 { (64, 48) } else { (stim.rng.gen_range(8..65), stim.rng.gen_range(6..49)) };
        let (dx, dy) = (stim.rng.gen_range(-6.0..6.0), stim.rng.gen_range(-6.0..6.0));
        let (a, b) = test_pair(w, h, dx, dy, &mut stim.rng);
        let cfg = TrackerConfig {
            levels: stim.rng.gen_range(1..=2),
            iterations: [10, 1, 30, 5, 10, 10][k],
            epsilon: [2, 0, 2, 40, 256, 2][k],
            min_eigen: [105, 105, 0, 105, 3000, 105][k],
            ..TrackerConfig::small()
        };
        drv.load(&cfg, &a, &b, Handshake::random(&mut stim.rng), &mut stim.rng).unwrap_or_else(|e| panic!("{e}\n{hint}"));
        let pts = random_points(w, h, 25, &mut stim.rng);
        let traffic = if k == 0 { Traffic::FULL_SPEED } else { Traffic::random(&mut stim.rng) };
        let t = drv.track(&cfg, &pts, traffic, &mut stim.rng).unwrap_or_else(|e| panic!("{e}\n{hint}"));
        check(compare(&cfg, &a, &b, &pts, &t.tracks).map_err(|e| format!("pair {k} ({w} x {h}, {cfg:?}): {e}")), &hint);
        points_total += pts.len();
    }
    eprintln!("{points_total} points bit-exact");
}

#[test]
fn cycles_per_feature_on_a_moving_texture() {
    let mut stim = Stimulus::from_env();
    let mut drv = TrackerDriver::new(navion_tracker::Model::new(), TrackerHwConfig::small());
    let cfg = TrackerConfig::small();
    let (a, b) = test_pair(64, 48, 2.7, -1.9, &mut stim.rng);
    drv.load(&cfg, &a, &b, Handshake::NONE, &mut stim.rng).unwrap();
    // Interior points on a grid (the detector's corners would be; none near a border).
    let pts: Vec<(i32, i32)> = (0..5).flat_map(|j| (0..7).map(move |i| ((8 + 8 * i) << 8 | 77, (8 + 8 * j) << 8 | 133))).collect();
    let t = drv.track(&cfg, &pts, Traffic::FULL_SPEED, &mut stim.rng).unwrap();
    compare(&cfg, &a, &b, &pts, &t.tracks).unwrap();
    let its: u32 = t.tracks.iter().map(|t| t.iterations).sum();
    let per = t.cycles as f64 / pts.len() as f64;
    eprintln!(
        "{} points, {} iterations ({:.2} a point), {} cycles: {per:.1} cycles a feature ({:.1} a point-iteration)",
        pts.len(),
        its,
        f64::from(its) / pts.len() as f64,
        t.cycles,
        t.cycles as f64 / f64::from(its)
    );
    assert!(t.tracks.iter().filter(|t| t.lost.is_none()).count() >= pts.len() * 3 / 4);
    let formula: u64 = t.tracks.iter().map(|t| point_clocks(cfg.window, cfg.levels, t.iterations)).sum();
    assert_eq!(t.cycles, formula, "the unit's cycles are its timing formula's (hdl/src/navion/tracker, \"Timing\")");
}

#[test]
fn frames_the_preset_cannot_take_are_errors() {
    let mut stim = Stimulus::from_env();
    let mut drv = TrackerDriver::new(navion_tracker::Model::new(), TrackerHwConfig::small());
    let (a, b) = test_pair(65, 10, 1.0, 1.0, &mut stim.rng);
    let err = drv.load(&TrackerConfig::small(), &a, &b, Handshake::NONE, &mut stim.rng).unwrap_err();
    assert!(err.contains("1 ..= 64"), "{err}");
    let (a, b) = test_pair(20, 10, 1.0, 1.0, &mut stim.rng);
    let err = drv.load(&TrackerConfig { window: 9, ..TrackerConfig::small() }, &a, &b, Handshake::NONE, &mut stim.rng).unwrap_err();
    assert!(err.contains("7 x 7 window"), "{err}");
    let err = drv.load(&TrackerConfig { levels: 3, ..TrackerConfig::small() }, &a, &b, Handshake::NONE, &mut stim.rng).unwrap_err();
    assert!(err.contains("levels"), "{err}");
    assert!(drv.track(&TrackerConfig::small(), &[(0, 0)], Traffic::FULL_SPEED, &mut stim.rng).unwrap_err().contains("no frames"));
}

#[test]
fn rust_hdl_simulator_agrees_with_verilated_tracker_cycle_by_cycle() {
    let mut stim = Stimulus::from_env();
    let hint = stim.replay_hint("rust_hdl_simulator_agrees_with_verilated_tracker_cycle_by_cycle");
    let dut = Lockstep::new(navion_tracker::Model::new(), RustHdl::preset("navion_tracker", Some("small")).unwrap(), navion_tracker::OUTPUTS, hint.clone());
    let mut drv = TrackerDriver::new(dut, TrackerHwConfig::small());
    let cfg = TrackerConfig { iterations: 3, ..TrackerConfig::small() };
    let (a, b) = test_pair(16, 12, 1.3, -0.7, &mut stim.rng);
    drv.load(&cfg, &a, &b, Handshake::NONE, &mut stim.rng).unwrap();
    let pts = [(7 << 8 | 40, 6 << 8 | 200), (0, 11 << 8), (-5, 3 << 8)];
    let t = drv.track(&cfg, &pts, Traffic::random(&mut stim.rng), &mut stim.rng).unwrap();
    check(compare(&cfg, &a, &b, &pts, &t.tracks), &hint);
    eprintln!("{} cycles in lockstep", drv.pins.cycles());
}

#[test]
fn synthesized_netlist_of_tiny_agrees_with_rtl_and_model() {
    // Yosys' generic netlist of the `tiny` preset (the synthesis preset: 32 x 16 frames, 2
    // levels, 5 x 5) in lockstep with its RTL, every output every cycle, and every tracked
    // point against the golden model: random points (near, on and outside the borders) on a
    // full-size pair of 2 levels and a smaller one of 1, random load idle, random idle and
    // back-pressure. The netlist runs far slower than the RTL: few points and iterations.
    let mut stim = Stimulus::from_env();
    let test = "synthesized_netlist_of_tiny_agrees_with_rtl_and_model";
    let hint = stim.replay_hint(test);
    let dut = Lockstep::new(
        navion_tracker::tiny::Model::for_test(test, stim.seed),
        navion_tracker::tiny::Model::netlist().expect("the tests build the netlist of `tiny`"),
        navion_tracker::tiny::OUTPUTS,
        hint.clone(),
    );
    let hw = TrackerHwConfig::tiny();
    let mut drv = TrackerDriver::new(dut, hw.clone());
    let mut points_total = 0;
    for k in 0..2 {
        let (w, h, levels) = if k == 0 { (32, 16, 2) } else { (stim.rng.gen_range(6..32), stim.rng.gen_range(4..16), 1) };
        let (dx, dy) = (stim.rng.gen_range(-3.0..3.0), stim.rng.gen_range(-3.0..3.0));
        let (a, b) = test_pair(w, h, dx, dy, &mut stim.rng);
        let cfg = TrackerConfig { levels, window: hw.window, iterations: [10, 4][k], epsilon: [2, 0][k], ..TrackerConfig::small() };
        drv.load(&cfg, &a, &b, Handshake::random(&mut stim.rng), &mut stim.rng).unwrap_or_else(|e| panic!("{e}\n{hint}"));
        let pts = random_points(w, h, 12, &mut stim.rng);
        let t = drv.track(&cfg, &pts, Traffic::random(&mut stim.rng), &mut stim.rng).unwrap_or_else(|e| panic!("{e}\n{hint}"));
        check(compare(&cfg, &a, &b, &pts, &t.tracks).map_err(|e| format!("pair {k} ({w} x {h}, {cfg:?}): {e}")), &hint);
        points_total += pts.len();
    }
    eprintln!("{points_total} points, {} cycles in lockstep with the netlist", drv.pins.cycles());
}

#[test]
fn navion_port_random_points_match_the_model_under_memory_latency() {
    let mut stim = Stimulus::from_env();
    let test = "navion_port_random_points_match_the_model_under_memory_latency";
    let hint = stim.replay_hint(test);
    let mut drv = TrackerDriver::new(navion_tracker::navion::Model::for_test(test, stim.seed), TrackerHwConfig::navion());
    let mut points_total = 0;
    for k in 0..4 {
        let (w, h) = if k == 0 { (128, 96) } else { (stim.rng.gen_range(12..129), stim.rng.gen_range(8..97)) };
        let (dx, dy) = (stim.rng.gen_range(-9.0..9.0), stim.rng.gen_range(-9.0..9.0));
        let (a, b) = test_pair(w, h, dx, dy, &mut stim.rng);
        let cfg = TrackerConfig {
            levels: if k == 0 { 3 } else { stim.rng.gen_range(1..=3) },
            iterations: [30, 1, 10, 7][k],
            epsilon: [2, 0, 40, 2][k],
            min_eigen: [105, 0, 105, 3000][k],
            ..TrackerConfig::navion()
        };
        drv.load(&cfg, &a, &b, Handshake::NONE, &mut stim.rng).unwrap_or_else(|e| panic!("{e}\n{hint}"));
        drv.memory = if k == 0 { MemoryPort::FAST } else { MemoryPort::random(&mut stim.rng) };
        let pts = random_points(w, h, 20, &mut stim.rng);
        let traffic = if k == 0 { Traffic::FULL_SPEED } else { Traffic::random(&mut stim.rng) };
        let t = drv.track(&cfg, &pts, traffic, &mut stim.rng).unwrap_or_else(|e| panic!("{e}\n{hint}"));
        check(compare(&cfg, &a, &b, &pts, &t.tracks).map_err(|e| format!("pair {k} ({w} x {h}, {cfg:?}, {:?}): {e}", drv.memory)), &hint);
        points_total += pts.len();
    }
    eprintln!("{points_total} points bit-exact through the memory port");
}

/// Cycles a feature of the `navion` preset on a photograph pair of known motion (the
/// accuracy sequences' coffee pair, a 12-pixel move, on the codec's frames as Navion tracks),
/// from the detector's corners, with a memory answering the next cycle and 8 cycles later.
#[test]
fn navion_cycles_per_feature_on_a_photograph_pair() {
    let mut stim = Stimulus::from_env();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/navion");
    let src = motion::sources(&dir).unwrap().into_iter().find(|s| s.name == "coffee").unwrap();
    let m = motion::motions(101)[4];
    let p = motion::pair(&src, &m);
    let (a, b) = (input_frame(&p.a, Input::Codec).unwrap(), input_frame(&p.b, Input::Codec).unwrap());
    let cfg = TrackerConfig::navion();
    let pts: Vec<(i32, i32)> = p.points.iter().take(200).map(|&(x, y)| ((x as i32) << 8, (y as i32) << 8)).collect();
    let mut drv = TrackerDriver::new(navion_tracker::navion::Model::new(), TrackerHwConfig::navion());
    drv.load(&cfg, &a, &b, Handshake::NONE, &mut stim.rng).unwrap();
    for latency in [1, 8] {
        drv.memory = MemoryPort { latency, jitter: 0, stall: 0.0 };
        let t = drv.track(&cfg, &pts, Traffic::FULL_SPEED, &mut stim.rng).unwrap();
        compare(&cfg, &a, &b, &pts, &t.tracks).unwrap();
        let its: u32 = t.tracks.iter().map(|t| t.iterations).sum();
        let tracked = t.tracks.iter().filter(|t| t.lost.is_none()).count();
        let per = t.cycles as f64 / pts.len() as f64;
        eprintln!(
            "{} ({} x {}, {}): {} points ({tracked} tracked), memory latency {latency}: {} iterations ({:.2} a point), {} cycles, {} row requests: {per:.1} cycles a feature; 200 features a frame take {:.0} cycles",
            p.source, a.width(), a.height(), m.describe(), pts.len(), its, f64::from(its) / pts.len() as f64, t.cycles, t.requests, 200.0 * per
        );
        assert!(tracked >= pts.len() * 3 / 4, "{tracked} of {} tracked", pts.len());
    }
}

#[test]
fn rust_hdl_simulator_agrees_with_verilated_navion_port_cycle_by_cycle() {
    let mut stim = Stimulus::from_env();
    let hint = stim.replay_hint("rust_hdl_simulator_agrees_with_verilated_navion_port_cycle_by_cycle");
    let dut = Lockstep::new(
        navion_tracker::navion::Model::new(),
        RustHdl::preset("navion_tracker", Some("navion")).unwrap(),
        navion_tracker::navion::OUTPUTS,
        hint.clone(),
    );
    let mut drv = TrackerDriver::new(dut, TrackerHwConfig::navion());
    let cfg = TrackerConfig { levels: 2, iterations: 2, ..TrackerConfig::navion() };
    let (a, b) = test_pair(40, 20, 1.3, -0.7, &mut stim.rng);
    drv.load(&cfg, &a, &b, Handshake::NONE, &mut stim.rng).unwrap();
    drv.memory = MemoryPort { latency: 3, jitter: 2, stall: 0.3 };
    let pts = [(17 << 8 | 40, 9 << 8 | 200), (1 << 8, 19 << 8)];
    let t = drv.track(&cfg, &pts, Traffic::random(&mut stim.rng), &mut stim.rng).unwrap();
    check(compare(&cfg, &a, &b, &pts, &t.tracks), &hint);
    eprintln!("{} cycles in lockstep", drv.pins.cycles());
}
