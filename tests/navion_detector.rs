//! Co-simulation of the Navion corner detector: the Verilated `small` preset against the golden
//! model `edgertl_sim::navion::detector::detect`, frame by frame (every pixel's score from the
//! score monitor, the candidate count, every corner in order), on the CC0 photographs in
//! `tests/data/navion/`, on adversarial and random frames, with camera idle and output
//! back-pressure; and against rust-hdl's own simulator, cycle by cycle.
//!
//! Replay a failure with the seed it prints: `EDGERTL_SEED=<seed> EDGERTL_TRACE=1 cargo test
//! --release -p edgertl-tests --test navion_detector <name>`.

use edgertl_sim::harness::{Lockstep, RustHdl, Stimulus};
use edgertl_sim::navion::detector::DetectorConfig;
use edgertl_sim::navion::driver::{adversarial_frames, compare, DetectorDriver, Traffic};
use edgertl_sim::navion::{image, Frame};
use edgertl_sim::verilated::navion_detector;
use edgertl_tests::check;
use rand::Rng;
use std::path::Path;

fn photo(name: &str) -> Frame {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/navion").join(name);
    image::read_png(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn photographs_match_the_model_at_full_speed_and_under_traffic() {
    let mut stim = Stimulus::from_env();
    let test = "photographs_match_the_model_at_full_speed_and_under_traffic";
    let hint = stim.replay_hint(test);
    let cfg = DetectorConfig::small();
    let mut drv = DetectorDriver::new(navion_detector::Model::for_test(test, stim.seed), cfg.clone());
    for (name, traffic) in [
        ("camera_160x120.png", Traffic::FULL_SPEED),
        ("brick_160x120.png", Traffic::random(&mut stim.rng)),
        ("camera_64x48.png", Traffic::random(&mut stim.rng)),
    ] {
        let f = photo(name);
        let hw = drv.detect(&f, cfg.threshold, traffic, &mut stim.rng).unwrap_or_else(|e| panic!("{name}: {e}\n{hint}"));
        check(compare(&f, &cfg, &hw).map_err(|e| format!("{name}: {e}")), &hint);
        assert!(!hw.corners.is_empty(), "{name}: a photograph has corners");
        if traffic.camera.idle == 0.0 && traffic.output.stall == 0.0 {
            // One pixel a clock: the camera is never held back within a frame.
            assert_eq!(hw.camera_stalls, 0, "{name}: the detector stalled the camera");
        }
        eprintln!("{name}: {} corners of {} candidates in {} cycles ({traffic:?})", hw.corners.len(), hw.candidates, hw.cycles);
    }
}

#[test]
fn adversarial_and_random_frames_match_the_model() {
    let mut stim = Stimulus::from_env();
    let test = "adversarial_and_random_frames_match_the_model";
    let hint = stim.replay_hint(test);
    let small = DetectorConfig::small();
    let mut drv = DetectorDriver::new(navion_detector::Model::for_test(test, stim.seed), small.clone());
    let mut frames = adversarial_frames(&mut stim.rng);
    for i in 0..12 {
        // Widths and heights not multiples of the grid, coarse levels for ties.
        let (w, h) = (stim.rng.gen_range(4..161), stim.rng.gen_range(3..50));
        let levels = [2u32, 4, 256][i % 3];
        frames.push((format!("random {w} x {h}, {levels} levels"), Frame::from_fn(w, h, |_, _| (stim.rng.gen_range(0..levels) * 255 / (levels - 1)) as u8)));
    }
    for (k, (name, f)) in frames.iter().enumerate() {
        let traffic = if k % 3 == 0 { Traffic::FULL_SPEED } else { Traffic::random(&mut stim.rng) };
        let t = [small.threshold, 0, 1 << 16][k % 3];
        let hw = drv.detect(f, t, traffic, &mut stim.rng).unwrap_or_else(|e| panic!("{name}: {e}\n{hint}"));
        let cfg = DetectorConfig { threshold: t, ..small.clone() };
        check(compare(f, &cfg, &hw).map_err(|e| format!("frame `{name}` (T = {t}, {traffic:?}): {e}")), &hint);
    }
}

#[test]
fn frames_the_preset_cannot_take_are_errors() {
    let mut stim = Stimulus::from_env();
    let mut drv = DetectorDriver::new(navion_detector::Model::new(), DetectorConfig::small());
    let wide = Frame::from_fn(161, 8, |_, _| 0);
    let err = drv.detect(&wide, 0, Traffic::FULL_SPEED, &mut stim.rng).unwrap_err();
    assert!(err.contains("wider than the 160"), "{err}");
    let narrow = Frame::from_fn(3, 8, |_, _| 0);
    assert!(drv.detect(&narrow, 0, Traffic::FULL_SPEED, &mut stim.rng).is_err());
    // Nothing ran: the detector still works.
    let f = Frame::from_fn(20, 10, |x, y| ((x * 13) ^ (y * 29)) as u8);
    let hw = drv.detect(&f, 0, Traffic::FULL_SPEED, &mut stim.rng).unwrap();
    compare(&f, &DetectorConfig { threshold: 0, ..DetectorConfig::small() }, &hw).unwrap();
}

#[test]
fn rust_hdl_simulator_agrees_with_verilated_detector_cycle_by_cycle() {
    let mut stim = Stimulus::from_env();
    let hint = stim.replay_hint("rust_hdl_simulator_agrees_with_verilated_detector_cycle_by_cycle");
    let cfg = DetectorConfig::small();
    let dut = Lockstep::new(navion_detector::Model::new(), RustHdl::preset("navion_detector", Some("small")).unwrap(), navion_detector::OUTPUTS, hint.clone());
    let mut drv = DetectorDriver::new(dut, cfg.clone());
    for (w, h) in [(12, 9), (7, 5)] {
        let f = Frame::from_fn(w, h, |_, _| stim.rng.gen());
        let traffic = Traffic::random(&mut stim.rng);
        let hw = drv.detect(&f, 0, traffic, &mut stim.rng).unwrap();
        check(compare(&f, &DetectorConfig { threshold: 0, ..cfg.clone() }, &hw), &hint);
    }
    eprintln!("{} cycles in lockstep", drv.pins.cycles());
}


#[test]
fn synthesized_netlist_agrees_with_rtl_and_model() {
    // Yosys' generic netlist of the `small` preset, every output every cycle against the RTL,
    // and every score and corner against the golden model: a photograph crop and random
    // frames under random camera idle and back-pressure.
    let mut stim = Stimulus::from_env();
    let test = "synthesized_netlist_agrees_with_rtl_and_model";
    let hint = stim.replay_hint(test);
    let cfg = DetectorConfig::small();
    let dut = Lockstep::new(
        navion_detector::Model::for_test(test, stim.seed),
        navion_detector::Model::netlist().expect("the tests build the netlist"),
        navion_detector::OUTPUTS,
        hint.clone(),
    );
    let mut drv = DetectorDriver::new(dut, cfg.clone());
    let camera = photo("camera_160x120.png");
    let crop = Frame::from_fn(48, 32, |x, y| camera.at(x + 40, y + 30));
    let frames = [crop, Frame::from_fn(21, 13, |_, _| stim.rng.gen()), Frame::from_fn(9, 7, |_, _| stim.rng.gen())];
    for f in &frames {
        let traffic = Traffic::random(&mut stim.rng);
        let hw = drv.detect(f, 0, traffic, &mut stim.rng).unwrap();
        check(compare(f, &DetectorConfig { threshold: 0, ..cfg.clone() }, &hw), &hint);
    }
    eprintln!("{} cycles in lockstep with the netlist", drv.pins.cycles());
}
