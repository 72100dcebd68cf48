//! Co-simulation of the run-length compressor: the Verilated encoder and decoder against the
//! golden model, stream by stream (valid streams, malformed ones, random words), and against
//! rust-hdl's own simulator and Yosys' gate-level netlists, cycle by cycle.
//!
//! Replay a failure with the seed it prints: `EDGERTL_SEED=<seed> EDGERTL_TRACE=1 cargo test
//! --release -p edgertl-tests --test rlc <name>`.

use edgertl_sim::harness::{Dut, Lockstep, RustHdl, Stimulus};
use edgertl_sim::rlc::driver::{malformed, random_stream, DecoderDriver, EncoderDriver, HwDecoded, Traffic};
use edgertl_sim::rlc::model::{self, RlcError};
use edgertl_sim::verilated::{rlc_decoder, rlc_encoder};
use edgertl_tests::check;
use rand::Rng;

/// Does the decoder's stream agree with the golden decoder's?
fn compare_decode(words: &[u64], n: usize, hw: &HwDecoded) -> Result<(), String> {
    let want = model::decode(words, n);
    let what = || format!("N = {n}, {} words", words.len());
    if hw.values != want.values {
        let k = hw.values.iter().zip(&want.values).position(|(a, b)| a != b).unwrap_or(hw.values.len().min(want.values.len()));
        return Err(format!(
            "{}: values differ from index {k} ({} written, the model says {})",
            what(),
            hw.values.len(),
            want.values.len()
        ));
    }
    match want.error {
        // The decoder may have taken words past the end into its input FIFO (dropped at the end).
        None if hw.done && hw.error_kind == 0 && (want.words_used..=want.words_used + 4).contains(&hw.words_taken) => Ok(()),
        Some(RlcError::Truncated { .. }) if !hw.done => Ok(()),
        Some(e) if hw.done && e.kind_code() == Some(hw.error_kind) => Ok(()),
        _ => Err(format!("{}: the model says {:?}, the decoder {hw:?}", what(), want.error)),
    }
}

/// `streams` random streams with random traffic through an encoder, every word checked
/// against the golden model. Returns the cycles run.
fn encoder_against_model(dut: impl Dut, stim: &mut Stimulus, test: &str, streams: usize) -> u64 {
    let hint = stim.replay_hint(test);
    let mut enc = EncoderDriver::new(dut);
    for k in 0..streams {
        let v = random_stream(&mut stim.rng);
        let traffic = if k % 4 == 0 { Traffic::FULL_SPEED } else { Traffic::random(&mut stim.rng) };
        let got = enc.encode(&v, traffic, &mut stim.rng);
        let result = got.and_then(|w| {
            let want = model::encode(&v);
            if w == want {
                Ok(())
            } else {
                let at = w.iter().zip(&want).position(|(a, b)| a != b);
                Err(format!("stream {k} ({} values): words differ at {at:?} ({} vs {} words)", v.len(), w.len(), want.len()))
            }
        });
        check(result, &hint);
    }
    enc.pins.cycles()
}

/// `streams` valid random streams through a decoder, checked against the golden decoder.
fn decoder_against_model(dut: impl Dut, stim: &mut Stimulus, test: &str, streams: usize) -> u64 {
    let hint = stim.replay_hint(test);
    let mut dec = DecoderDriver::new(dut);
    for k in 0..streams {
        let v = random_stream(&mut stim.rng);
        let words = model::encode(&v);
        let traffic = if k % 4 == 0 { Traffic::FULL_SPEED } else { Traffic::random(&mut stim.rng) };
        let hw = dec.decode(&words, v.len(), traffic, &mut stim.rng);
        check(hw.and_then(|hw| compare_decode(&words, v.len(), &hw)).map_err(|e| format!("stream {k}: {e}")), &hint);
    }
    dec.pins.cycles()
}

#[test]
fn encoder_matches_model() {
    let mut stim = Stimulus::from_env();
    let test = "encoder_matches_model";
    let cycles = encoder_against_model(rlc_encoder::Model::for_test(test, stim.seed), &mut stim, test, 300);
    eprintln!("{cycles} cycles (seed {})", stim.seed);
}

#[test]
fn decoder_matches_model_on_valid_streams() {
    let mut stim = Stimulus::from_env();
    let test = "decoder_matches_model_on_valid_streams";
    let cycles = decoder_against_model(rlc_decoder::Model::for_test(test, stim.seed), &mut stim, test, 300);
    eprintln!("{cycles} cycles (seed {})", stim.seed);
}

/// `cases` malformed streams and random words through a decoder, checked against the golden
/// decoder; returns how many streams ended with each `error_kind` (0: none or still waiting).
fn malformed_against_model(dut: impl Dut, stim: &mut Stimulus, test: &str, cases: usize) -> [usize; 4] {
    let hint = stim.replay_hint(test);
    let mut dec = DecoderDriver::new(dut);
    let mut errors = [0usize; 4];
    for k in 0..cases {
        let (words, n) = if k % 3 == 0 {
            // Fuzz: random words, a random N.
            let len = stim.rng.gen_range(0..8);
            let words: Vec<u64> = (0..len).map(|_| stim.rng.gen()).collect();
            (words, stim.rng.gen_range(0..200))
        } else {
            malformed(&mut stim.rng)
        };
        let traffic = Traffic::random(&mut stim.rng);
        let hw = dec.decode(&words, n, traffic, &mut stim.rng);
        let result = hw.and_then(|hw| {
            errors[if hw.done { hw.error_kind as usize } else { 0 }] += 1;
            if !hw.done {
                dec.pins.reset(); // it waits for words that never come: a reset frees it
            }
            compare_decode(&words, n, &hw)
        });
        check(result.map_err(|e| format!("case {k}: {e}")), &hint);
    }
    errors
}

#[test]
fn decoder_matches_model_on_malformed_streams_and_random_words() {
    let mut stim = Stimulus::from_env();
    let test = "decoder_matches_model_on_malformed_streams_and_random_words";
    let errors = malformed_against_model(rlc_decoder::Model::for_test(test, stim.seed), &mut stim, test, 600);
    // Every kind of error was exercised.
    assert!(errors[1..].iter().all(|&c| c > 0), "error kinds seen: {errors:?}");
}

#[test]
fn synthesized_netlists_agree_with_rtl_and_model() {
    // Yosys' generic `synth` netlists of both units (`Model::netlist()`,
    // scripts/yosys/netlist.ys) in lockstep with the RTL, every output every cycle, and every
    // stream against the golden model: a few dozen streams of each kind.
    let mut stim = Stimulus::from_env();
    let test = "synthesized_netlists_agree_with_rtl_and_model";
    let hint = stim.replay_hint(test);
    let enc = Lockstep::new(rlc_encoder::Model::for_test(test, stim.seed), rlc_encoder::Model::netlist().expect("the tests build the netlist"), rlc_encoder::OUTPUTS, hint.clone());
    let enc_cycles = encoder_against_model(enc, &mut stim, test, 40);
    let dec = Lockstep::new(rlc_decoder::Model::new(), rlc_decoder::Model::netlist().expect("the tests build the netlist"), rlc_decoder::OUTPUTS, hint.clone());
    let dec_cycles = decoder_against_model(dec, &mut stim, test, 40);
    let dec = Lockstep::new(rlc_decoder::Model::new(), rlc_decoder::Model::netlist().expect("the tests build the netlist"), rlc_decoder::OUTPUTS, hint);
    let errors = malformed_against_model(dec, &mut stim, test, 60);
    eprintln!("{enc_cycles} encoder + {dec_cycles} decoder cycles, 60 malformed cases {errors:?} (seed {})", stim.seed);
}

#[test]
fn rust_hdl_simulator_agrees_with_verilated_compressor_cycle_by_cycle() {
    let mut stim = Stimulus::from_env();
    let hint = stim.replay_hint("rust_hdl_simulator_agrees_with_verilated_compressor_cycle_by_cycle");
    let mut enc = EncoderDriver::new(Lockstep::new(
        rlc_encoder::Model::new(),
        RustHdl::new("rlc_encoder").unwrap(),
        rlc_encoder::OUTPUTS,
        hint.clone(),
    ));
    let mut dec = DecoderDriver::new(Lockstep::new(
        rlc_decoder::Model::new(),
        RustHdl::new("rlc_decoder").unwrap(),
        rlc_decoder::OUTPUTS,
        hint.clone(),
    ));
    for _ in 0..12 {
        let mut v = random_stream(&mut stim.rng);
        v.truncate(400);
        let traffic = Traffic::random(&mut stim.rng);
        let words = enc.encode(&v, traffic, &mut stim.rng).unwrap();
        assert_eq!(words, model::encode(&v), "{hint}");
        let (words, n) = if stim.rng.gen_bool(0.5) { (words, v.len()) } else { malformed(&mut stim.rng) };
        let hw = dec.decode(&words, n, traffic, &mut stim.rng).unwrap();
        check(compare_decode(&words, n, &hw), &hint);
        if !hw.done {
            dec.pins.reset();
        }
    }
    eprintln!("{} + {} cycles in lockstep", enc.pins.cycles(), dec.pins.cycles());
}

#[test]
fn rtl_functions_match_the_model() {
    // What `edgertl rlc encode/decode --rtl` runs.
    let mut stim = Stimulus::from_env();
    let v = random_stream(&mut stim.rng);
    let words = edgertl_sim::rlc::rtl::encode(&v).unwrap();
    assert_eq!(words, model::encode(&v));
    assert_eq!(edgertl_sim::rlc::rtl::decode(&words, v.len()).unwrap().values, v);
    // N + 1 to + 3 may still decode (the last word's (0, 0) padding reads as zeros); + 4 cannot.
    let err = edgertl_sim::rlc::rtl::decode(&words, v.len() + 4).unwrap_err();
    assert!(err.contains("early term"), "{err}");
}
