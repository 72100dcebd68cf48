//! Co-simulation of the Navion frame codec (`navion_codec`): the Verilated unit against the
//! golden model (`edgertl_sim::navion::codec`) word by word and block by block, on the real
//! CC0 photographs of `tests/data/navion/`, on adversarial and random frames, with camera-side
//! idle, output back-pressure and block reads meanwhile; and against rust-hdl's own simulator
//! and Yosys' gate-level netlist, cycle by cycle.
//!
//! Replay a failure with the seed it prints: `EDGERTL_SEED=<seed> EDGERTL_TRACE=1 cargo test
//! --release -p edgertl-tests --test navion_codec <name>`.

use edgertl_hdl::navion::codec::CodecConfig;
use edgertl_sim::harness::{Dut, Handshake, Lockstep, RustHdl, Stimulus};
use edgertl_sim::navion::codec::Compressed;
use edgertl_sim::navion::codec_driver::{self as drv, check_encoded, check_reads, pattern, CodecDriver, Traffic};
use edgertl_sim::navion::{image, Frame};
use edgertl_sim::verilated::navion_codec;
use edgertl_tests::check;
use rand::Rng;
use std::path::Path;

fn photo(name: &str) -> Frame {
    image::read_png(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/navion").join(name)).unwrap()
}

/// Encodes `frame` with `traffic` and reads meanwhile, checks it, then reads every block back
/// (and a few past the end) and checks those too. Returns the run.
fn encode_and_read_back<D: Dut>(d: &mut CodecDriver<D>, frame: &Frame, traffic: Traffic, rng: &mut impl Rng, what: &str) -> Result<drv::Encoded, String> {
    let e = d.encode(frame, traffic, 0.05, rng)?.ok_or_else(|| format!("{what}: the frame was refused"))?;
    let c = check_encoded(frame, &e).map_err(|err| format!("{what}: {err}"))?;
    let n = e.words.len() as u32;
    let addrs: Vec<u32> = (0..n + 3).collect();
    let got = d.read(&addrs, traffic, rng)?;
    check_reads(&c, &addrs.iter().copied().zip(got).collect::<Vec<_>>()).map_err(|err| format!("{what}: {err}"))?;
    Ok(e)
}

#[test]
fn real_photographs_encode_and_read_back_bit_exact() {
    let mut stim = Stimulus::from_env();
    let test = "real_photographs_encode_and_read_back_bit_exact";
    let hint = stim.replay_hint(test);
    let mut d = CodecDriver::new(navion_codec::Model::for_test(test, stim.seed));
    for name in ["camera_64x48.png", "camera_160x120.png", "brick_160x120.png", "coffee_752x480.png"] {
        let frame = photo(name);
        // The full-size frame at full speed: one pixel a clock, never stalled.
        let t = std::time::Instant::now();
        let e = encode_and_read_back(&mut d, &frame, Traffic::FULL_SPEED, &mut stim.rng, name);
        let seconds = t.elapsed().as_secs_f64();
        let e = e.unwrap_or_else(|err| panic!("{err}\n{hint}"));
        let pixels = (frame.width() * frame.height()) as u64;
        // Co-simulation speed: the frame in, every word and every block read checked.
        eprintln!("{name}: {:.0} pixels/s co-simulated (driver, reads, golden checks)", pixels as f64 / seconds);
        assert_eq!(e.stalls, 0, "{name}: the camera was stalled {} times at full speed", e.stalls);
        assert!(e.cycles <= pixels + 8, "{name}: {} cycles for {pixels} pixels", e.cycles);
        eprintln!("{name}: {pixels} pixels in {} cycles, {} reads meanwhile", e.cycles, e.reads.len());
        // Again with idle and back-pressure (smaller frames only: the large one at full speed).
        if frame.width() <= 160 {
            let traffic = Traffic::random(&mut stim.rng);
            let e = encode_and_read_back(&mut d, &frame, traffic, &mut stim.rng, name);
            check(e.map(|_| ()).map_err(|err| format!("{err} ({traffic:?})")), &hint);
        }
    }
}

/// Patterns at random sizes with random traffic on one preset; refused sizes meanwhile.
fn adversarial(dut: impl Dut, preset: &str, stim: &mut Stimulus, hint: &str) {
    let cfg = CodecConfig::preset(preset).unwrap();
    let mut d = CodecDriver::new(dut);
    let mut stalled = 0;
    for k in 0..40 {
        let (w, h) = if k < 8 { (cfg.max_width.min(64), 12) } else { drv::random_size(&cfg, 300, &mut stim.rng) };
        let (name, frame) = pattern(k, w as usize, h as usize, &mut stim.rng);
        let traffic = if k % 4 == 0 { Traffic::FULL_SPEED } else { Traffic::random(&mut stim.rng) };
        let e = encode_and_read_back(&mut d, &frame, traffic, &mut stim.rng, &format!("{preset} frame {k}: {name} {w} x {h}"));
        let e = e.unwrap_or_else(|err| panic!("{err}\n{hint}"));
        stalled += (e.stalls > 0) as u32;
        if k % 5 == 0 {
            // Every size the unit must refuse is refused, and the memory keeps the frame.
            let c = Compressed::encode(&frame).unwrap();
            for (bw, bh) in drv::bad_sizes(&cfg) {
                assert!(!d.start(bw, bh, k % 2 == 0).unwrap(), "{preset}: a {bw} x {bh} frame was taken\n{hint}");
            }
            let addrs: Vec<u32> = (0..8).map(|_| stim.rng.gen_range(0..(w / 4) * (h / 4) + 2)).collect();
            let got = d.read(&addrs, Traffic::random(&mut stim.rng), &mut stim.rng).unwrap();
            check(check_reads(&c, &addrs.iter().copied().zip(got).collect::<Vec<_>>()), hint);
        }
    }
    // Heavy back-pressure on `out` must have held the camera back now and then.
    assert!(stalled > 0, "{preset}: the camera was never stalled\n{hint}");
}

#[test]
fn adversarial_and_random_frames_on_both_presets() {
    let mut stim = Stimulus::from_env();
    let test = "adversarial_and_random_frames_on_both_presets";
    let hint = stim.replay_hint(test);
    adversarial(navion_codec::small::Model::new(), "small", &mut stim, &hint);
    adversarial(navion_codec::Model::for_test(test, stim.seed), "navion", &mut stim, &hint);
}

#[test]
fn widest_frames_and_loaded_frames() {
    // 1024 pixels wide (the navion preset's widest), and frames loaded as words (an .nfc).
    let mut stim = Stimulus::from_env();
    let hint = stim.replay_hint("widest_frames_and_loaded_frames");
    let mut d = CodecDriver::new(navion_codec::Model::new());
    for kind in [6, 2, 3] {
        let (name, frame) = pattern(kind, 1024, 12, &mut stim.rng);
        let e = encode_and_read_back(&mut d, &frame, Traffic::random(&mut stim.rng), &mut stim.rng, name);
        let e = e.unwrap_or_else(|err| panic!("{err}\n{hint}"));
        // Loaded back with idle gaps, then read: the same blocks.
        let words: Vec<u32> = e.words.iter().map(|w| w.0).collect();
        let c = Compressed::encode(&frame).unwrap();
        assert!(d.load(1024, 12, &words, Handshake { idle: 0.5, stall: 0.0 }, &mut stim.rng).unwrap());
        let addrs: Vec<u32> = (0..words.len() as u32 + 1).rev().collect();
        let got = d.read(&addrs, Traffic::random(&mut stim.rng), &mut stim.rng).unwrap();
        check(check_reads(&c, &addrs.iter().copied().zip(got).collect::<Vec<_>>()), &hint);
    }
}

#[test]
fn the_cover_stimulus_passes_on_both_presets() {
    for (preset, dut) in [("navion", &mut navion_codec::Model::new() as &mut dyn Dut), ("small", &mut navion_codec::small::Model::new())] {
        let mut stim = Stimulus::from_env();
        let cycles = drv::stimulus(dut, preset, &mut stim).unwrap_or_else(|e| panic!("{preset}: {e} (seed {})", stim.seed));
        eprintln!("{preset}: {cycles} cycles");
    }
}

#[test]
fn every_preset_has_the_same_ports() {
    // One driver for every preset.
    assert_eq!(navion_codec::small::INPUTS, navion_codec::INPUTS);
    assert_eq!(navion_codec::small::OUTPUTS, navion_codec::OUTPUTS);
}

/// A short mixed run for the lockstep checks: small frames, a refused size, a load, reads.
fn short_run<D: Dut>(dut: D, stim: &mut Stimulus, hint: &str) -> u64 {
    let mut d = CodecDriver::new(dut);
    for k in 0..4 {
        let (w, h) = [(16, 8), (64, 12), (8, 4), (32, 16)][k];
        let (name, frame) = pattern(k + 4 * (stim.rng.gen::<usize>() % 2), w, h, &mut stim.rng);
        let traffic = if k == 0 { Traffic::FULL_SPEED } else { Traffic::random(&mut stim.rng) };
        let e = encode_and_read_back(&mut d, &frame, traffic, &mut stim.rng, name).unwrap_or_else(|err| panic!("{err}\n{hint}"));
        if k == 2 {
            assert!(!d.start(6, 4, false).unwrap());
            let words: Vec<u32> = e.words.iter().map(|w| w.0).collect();
            assert!(d.load(w as u32, h as u32, &words, Handshake::NONE, &mut stim.rng).unwrap());
        }
    }
    d.pins.cycles()
}

#[test]
fn rust_hdl_simulator_agrees_with_verilated_codec_cycle_by_cycle() {
    let mut stim = Stimulus::from_env();
    let hint = stim.replay_hint("rust_hdl_simulator_agrees_with_verilated_codec_cycle_by_cycle");
    let both = Lockstep::new(
        navion_codec::small::Model::new(),
        RustHdl::preset("navion_codec", Some("small")).unwrap(),
        navion_codec::small::OUTPUTS,
        hint.clone(),
    );
    let cycles = short_run(both, &mut stim, &hint);
    eprintln!("{cycles} cycles in lockstep");
}

#[test]
fn synthesized_netlist_agrees_with_rtl_and_model() {
    // Yosys' generic netlist of the `navion` preset (its memories kept as memories), every
    // output every cycle against the RTL, and every word and block against the golden model.
    let mut stim = Stimulus::from_env();
    let test = "synthesized_netlist_agrees_with_rtl_and_model";
    let hint = stim.replay_hint(test);
    let both = Lockstep::new(
        navion_codec::Model::for_test(test, stim.seed),
        navion_codec::Model::netlist().expect("the tests build the netlist"),
        navion_codec::OUTPUTS,
        hint.clone(),
    );
    let cycles = short_run(both, &mut stim, &hint);
    eprintln!("{cycles} cycles in lockstep with the netlist");
}

#[test]
fn rtl_functions_match_the_model() {
    // What `edgertl run codec encode|decode --rtl` runs.
    let frame = photo("camera_160x120.png");
    let c = edgertl_sim::navion::codec_rtl::encode(&frame).unwrap();
    let golden = Compressed::encode(&frame).unwrap();
    assert_eq!(c.to_nfc(), golden.to_nfc());
    assert_eq!(edgertl_sim::navion::codec_rtl::decode(&golden).unwrap(), golden.decode());
    // Too wide for the navion preset: a clear error.
    let wide = Frame::from_fn(1028, 4, |x, _| x as u8);
    let err = edgertl_sim::navion::codec_rtl::encode(&wide).unwrap_err();
    assert!(err.contains("at most 1024"), "{err}");
}
