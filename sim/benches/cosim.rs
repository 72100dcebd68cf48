//! Co-simulation speed of the PE, side by side on one stimulus:
//!
//! 1. Verilator with the test driver and the golden model in the loop (as the tests run it);
//! 2. Verilator alone, replaying the same stimulus's recorded inputs in batches (one FFI call
//!    per 4096 cycles: `Dut::run`), each batch's outputs checked against the recording in a
//!    reused buffer (a replay into one fresh vector of every cycle's outputs measured page
//!    faults more than Verilator);
//! 3. Verilator alone, replaying them one FFI call a cycle (`Dut::tick`);
//! 4. rust-hdl's simulator alone, replaying a prefix of the same inputs.
//!
//! Then the 12 x 14 array (`eyeriss_array` `eyeriss_v1`), replaying in batches a recorded
//! row-stationary pass (CONV3-5's 3 x 13 set replicated 4 times, 156 PEs active, buses at
//! full speed), in array cycles/s and PE cycles/s (x 168) beside 168 x the PE's batched speed
//! from the same run.
//!
//! Last, the Navion frame codec (`navion_codec` `navion`) on the 752 x 480 test photograph
//! in pixels/s: the driver streaming the frame with the golden model checking every word
//! (what `edgertl run codec encode --rtl` does), and Verilator alone replaying it in batches.
//!
//! Then the Navion corner detector (`navion_detector`): a frame through the Verilated model at
//! full speed with its driver (pixels/s, the score monitor and corners collected), and the same
//! cycles replayed in batches; on a 752 x 480 frame when the `navion` preset is Verilated
//! (`EDGERTL_SIM_PRESETS=navion_detector:navion`), else on the `small` preset's 160 x 120.
//!
//! `EDGERTL_BENCH_ONLY=model|batched|tick` runs one of the three Verilator measurements once,
//! for `valgrind --tool=callgrind` (`scripts/bench/callgrind.sh`); `EDGERTL_BENCH_ONLY=codec`
//! runs the codec's measurement alone, `detector` the detector's, `navion` both.
//!
//! The stimulus is recorded in an untimed run first (same seed, so the timed run 1 drives the
//! same cycles); replays are checked to give the recorded outputs. Run: `cargo bench -p
//! edgertl-sim` (`EDGERTL_BENCH_CYCLES` sets the stimulus length, default 5 000 000).

use edgertl_hdl::array::ArrayConfig;
use edgertl_hdl::pe::PeConfig;
use edgertl_sim::array::driver::{ArrayDriver, BusTraffic};
use edgertl_sim::array::rs::RsLayer;
use edgertl_sim::harness::{replay_check, Dut, Recorder, RustHdl, Stimulus};
use edgertl_sim::pe::driver::{random_pass, PeDriver, Traffic};
use edgertl_sim::pe::model::PeModel;
use edgertl_sim::verilated::eyeriss_pe::{Model, INPUTS, OUTPUTS};
use std::time::Instant;

/// The tests' loop: random passes with random traffic, every psum checked against the model,
/// until `cycles`. Returns the driver (its DUT holds what it recorded, if anything).
fn driver_and_model<D: Dut>(dut: D, cycles: u64) -> PeDriver<D> {
    let hw = PeConfig::eyeriss_v1();
    let mut stim = Stimulus::with_seed(2016);
    let mut pe = PeDriver::new(dut);
    let mut model = PeModel::new(hw.clone());
    while pe.pins.cycles() < cycles {
        let pass = random_pass(&mut stim.rng, &hw, 40);
        let got = pe.run_pass(&pass, &hw, Traffic::random(&mut stim.rng), &mut stim.rng).expect("pass runs");
        if let Ok(want) = model.run_pass(&pass.cfg, &pass.filters, &pass.ifmap, &pass.psum_in) {
            assert_eq!(want, got.psum_out, "the PE disagrees with the model");
        }
    }
    pe
}

/// How long `f` takes, in seconds, and what it returns.
fn timed<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t = Instant::now();
    let v = f();
    (t.elapsed().as_secs_f64(), v)
}

fn main() {
    // The Navion units alone: no PE stimulus to record first.
    match std::env::var("EDGERTL_BENCH_ONLY").ok().as_deref() {
        Some("codec") => return codec(),
        Some("detector") => return detector(),
        Some("navion") => {
            codec();
            return detector();
        }
        _ => {}
    }
    let cycles: u64 = std::env::var("EDGERTL_BENCH_CYCLES").ok().and_then(|s| s.parse().ok()).unwrap_or(5_000_000);
    let (n_in, n_out) = (INPUTS.len(), OUTPUTS.len());

    // The stimulus, recorded (untimed: recording costs memory traffic the tests do not pay).
    let recorded_run = driver_and_model(Recorder::new(Model::new()), cycles);
    let recorded = recorded_run.pins.cycles();
    let Recorder { inputs, outputs, .. } = recorded_run.pins.dut;

    // Each measurement is the best of three, the three kinds taking turns (the machine is
    // shared: interleaving keeps a burst of load elsewhere from favouring one of them).
    // `EDGERTL_BENCH_ONLY=model|batched|tick` runs one kind once, `none` only records (for
    // callgrind: the difference is the kind's cost).
    let only = std::env::var("EDGERTL_BENCH_ONLY").ok();
    let rounds = if only.is_some() { 1 } else { 3 };
    let wants = |k: &str| only.as_deref().is_none_or(|o| o == k);
    let (mut with_model, mut batched, mut per_tick) = (f64::NAN, f64::NAN, f64::NAN);
    let min = |a: f64, b: f64| if a.is_nan() { b } else { a.min(b) };
    for _ in 0..rounds {
        if wants("model") {
            let (t, pe) = timed(|| driver_and_model(Model::new(), cycles));
            assert_eq!(pe.pins.cycles(), recorded, "the timed run drove other cycles than the recorded one");
            with_model = min(with_model, t);
        }
        if wants("batched") {
            let (t, r) = timed(|| replay_check(&mut Model::new(), &inputs, &outputs, n_in, n_out, 4096));
            assert_eq!(r, Ok(()), "the batched replay through Verilator diverged");
            batched = min(batched, t);
        }
        if wants("tick") {
            let (t, r) = timed(|| replay_check(&mut Model::new(), &inputs, &outputs, n_in, n_out, 1));
            assert_eq!(r, Ok(()), "the per-cycle replay through Verilator diverged");
            per_tick = min(per_tick, t);
        }
    }
    if only.is_some() {
        println!("cycles {recorded}");
        return;
    }

    // rust-hdl's simulator on a prefix (it is hundreds of times slower).
    let prefix = (recorded as usize).min(20_000);
    let mut r = RustHdl::new("eyeriss_pe").unwrap();
    let t = Instant::now();
    let r = replay_check(&mut r, &inputs[..prefix * n_in], &outputs[..prefix * n_out], n_in, n_out, 1);
    let rust_hdl = t.elapsed().as_secs_f64();
    assert_eq!(r, Ok(()), "rust-hdl's simulator diverged from Verilator");

    let rate = |c: u64, s: f64| c as f64 / s;
    let v_rate = rate(recorded, batched);
    println!("PE co-simulation speed (one stimulus, seed 2016, {recorded} cycles; best of 3)");
    println!("{:<44} {:>12} {:>16} {:>14}", "backend", "cycles", "cycles/s", "vs Verilator");
    for (name, c, s) in [
        ("Verilator alone (batched, Dut::run)", recorded, batched),
        ("Verilator alone (one call a cycle)", recorded, per_tick),
        ("Verilator + driver + golden model", recorded, with_model),
        ("rust-hdl simulator alone", prefix as u64, rust_hdl),
    ] {
        println!("{:<44} {:>12} {:>16.0} {:>13.4}x", name, c, rate(c, s), rate(c, s) / v_rate);
    }
    array(v_rate);
    codec();
    detector();
    let loop_ratio = rate(recorded, with_model) / v_rate;
    println!(
        "target: >= 15 000 000 cycles/s through Verilator: {}; driver + model >= 0.5x of it: {}",
        if v_rate >= 15e6 { "met" } else { "NOT met" },
        if loop_ratio >= 0.5 { "met" } else { "NOT met" }
    );
}

/// The 12 x 14 array on a recorded row-stationary pass, beside 168 PEs at `pe_rate` each.
fn array(pe_rate: f64) {
    use edgertl_sim::verilated::eyeriss_array as arr;
    let hw = ArrayConfig::eyeriss_v1();
    let mut stim = Stimulus::with_seed(2016);
    let layer = RsLayer::random(&mut stim.rng, 2, 4, 4, 3, 3, 1, 13, 13);
    let mut d = ArrayDriver::new(Recorder::new(arr::Model::new()), &hw);
    d.write_ids(&layer.ids(&hw));
    let (mut passes, mut macs) = (0, 0u64);
    while d.pins.cycles() < 100_000 {
        let got = d.run_pass(&layer.pass(), &layer.traffic(), BusTraffic::FULL_SPEED, &mut stim.rng).expect("the pass runs");
        assert_eq!(layer.gather(&got.out).expect("every output"), layer.reference(), "the array disagrees with the reference");
        passes += 1;
        macs = got.pe_counters.iter().flatten().map(|c| c.macs as u64).sum();
    }
    let cycles = d.pins.cycles();
    let Recorder { inputs, outputs, .. } = d.pins.dut;
    let (n_in, n_out) = (arr::INPUTS.len(), arr::OUTPUTS.len());
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let (t, r) = timed(|| replay_check(&mut arr::Model::new(), &inputs, &outputs, n_in, n_out, 4096));
        assert_eq!(r, Ok(()), "the batched replay of the array diverged");
        best = best.min(t);
    }
    let rate = cycles as f64 / best;
    println!();
    println!(
        "12 x 14 array (eyeriss_v1), {passes} row-stationary passes (3 x 13 x 4 replicas, 156 PEs active), {cycles} cycles, {macs} MACs ({:.1}% of 156 PEs' slots)",
        100.0 * macs as f64 / (156.0 * cycles as f64)
    );
    println!("{:<44} {:>16} {:>16}", "", "array cycles/s", "PE cycles/s");
    println!("{:<44} {:>16.0} {:>16.0}", "Verilated array (batched)", rate, rate * 168.0);
    println!("{:<44} {:>16.0} {:>16.0}", "168 x the PE alone (batched, above)", pe_rate / 168.0, pe_rate);
    println!("array / (168 x PE): {:.2}x", rate * 168.0 / pe_rate);
}

/// The frame codec on the 752 x 480 photograph: pixels/s with the driver and the golden model,
/// and Verilator alone replaying the recorded frame in batches (best of 3 each).
fn codec() {
    use edgertl_sim::navion::codec_driver::{check_encoded, CodecDriver, Traffic};
    use edgertl_sim::verilated::navion_codec as nc;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/navion/coffee_752x480.png");
    let frame = edgertl_sim::navion::image::read_png(&path).expect("the test photograph");
    let pixels = (frame.width() * frame.height()) as f64;
    let mut stim = Stimulus::with_seed(13);
    let run = |dut: &mut dyn Dut, rng: &mut rand::rngs::StdRng| {
        let mut d = CodecDriver::new(dut);
        let e = d.encode(&frame, Traffic::FULL_SPEED, 0.0, rng).expect("the frame runs").expect("the frame is taken");
        check_encoded(&frame, &e).expect("the codec agrees with the golden model");
        (d.pins.cycles(), e.stalls)
    };
    let mut rec = Recorder::new(nc::Model::new());
    let (cycles, stalls) = run(&mut rec, &mut stim.rng);
    assert_eq!(stalls, 0, "the camera was stalled at full speed");
    let (n_in, n_out) = (nc::INPUTS.len(), nc::OUTPUTS.len());
    let (mut with_model, mut batched) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..3 {
        let (t, _) = timed(|| run(&mut nc::Model::new(), &mut stim.rng));
        with_model = with_model.min(t);
        let (t, r) = timed(|| replay_check(&mut nc::Model::new(), &rec.inputs, &rec.outputs, n_in, n_out, 4096));
        assert_eq!(r, Ok(()), "the batched codec replay diverged");
        batched = batched.min(t);
    }
    println!("Navion codec (navion_codec navion) on the 752 x 480 photograph: {cycles} cycles for {pixels} pixels, no stall");
    println!("{:<44} {:>16} {:>16}", "backend", "pixels/s", "cycles/s");
    for (name, s) in [("Verilator + driver + golden model", with_model), ("Verilator alone (batched, Dut::run)", batched)] {
        println!("{:<44} {:>16.0} {:>16.0}", name, pixels / s, cycles as f64 / s);
    }
}

/// The corner detector on one frame at full speed: pixels/s through its driver and batched.
fn detector() {
    use edgertl_sim::navion::detector::{self, DetectorConfig};
    use edgertl_sim::navion::driver::{DetectorDriver, Traffic};
    use edgertl_sim::navion::Frame;
    use edgertl_sim::verilated::navion_detector as det;
    let preset = if edgertl_sim::verilated::entry("navion_detector", Some("navion")).is_ok() { "navion" } else { "small" };
    let cfg = DetectorConfig::preset(preset).unwrap();
    let (w, h) = (cfg.max_width as usize, if preset == "navion" { 480 } else { 120 });
    let mut stim = Stimulus::with_seed(13);
    // A textured frame: noise over a ramp, corners everywhere.
    let frame = Frame::from_fn(w, h, |x, y| ((x * 3 + y * 2) % 200) as u8 + rand::Rng::gen_range(&mut stim.rng, 0..50u8));
    let golden = detector::detect(&frame, &cfg).unwrap();
    let new_model = || edgertl_sim::verilated::model("navion_detector", Some(preset), edgertl_sim::harness::Variant::Fast).unwrap();
    let mut best = f64::INFINITY;
    let mut recorded = None;
    for round in 0..3 {
        let mut m = new_model();
        let (t, hw) = if round == 0 {
            let mut d = DetectorDriver::new(Recorder::new(&mut *m), cfg.clone());
            let r = timed(|| d.detect(&frame, cfg.threshold, Traffic::FULL_SPEED, &mut stim.rng).unwrap());
            let Recorder { inputs, outputs, .. } = d.pins.dut;
            recorded = Some((inputs, outputs));
            r
        } else {
            let mut d = DetectorDriver::new(&mut *m, cfg.clone());
            timed(|| d.detect(&frame, cfg.threshold, Traffic::FULL_SPEED, &mut stim.rng).unwrap())
        };
        assert_eq!((hw.scores.as_slice(), hw.corners.as_slice()), (golden.scores.as_slice(), golden.corners.as_slice()), "the detector disagrees with the golden model");
        if round > 0 {
            best = best.min(t);
        }
    }
    let (inputs, outputs) = recorded.unwrap();
    let (n_in, n_out) = (det::INPUTS.len(), det::OUTPUTS.len());
    let cycles = inputs.len() / n_in;
    let mut batched = f64::INFINITY;
    for _ in 0..3 {
        let mut m = new_model();
        let (t, r) = timed(|| replay_check(&mut *m, &inputs, &outputs, n_in, n_out, 4096));
        assert_eq!(r, Ok(()), "the batched replay of the detector diverged");
        batched = batched.min(t);
    }
    let px = (w * h) as f64;
    println!();
    println!("navion_detector ({preset}), one {w} x {h} frame at full speed: {cycles} cycles (reset and flush included), {} corners", golden.corners.len());
    println!("{:<44} {:>16} {:>16}", "", "pixels/s", "cycles/s");
    println!("{:<44} {:>16.0} {:>16.0}", "Verilated detector + driver", px / best, cycles as f64 / best);
    println!("{:<44} {:>16.0} {:>16.0}", "Verilated detector alone (batched)", px / batched, cycles as f64 / batched);
}
