//! End-to-end co-simulation of the board top: the host protocol driver speaks the UART at the
//! bit level to the Verilated `board_top` (preset `sim`, 8 clocks a bit), runs PE passes,
//! encoder streams and decoder streams (valid and malformed) through it, and checks every
//! result against the golden models.
//!
//! Replay a failure with the seed it prints: `EDGERTL_SEED=<seed> EDGERTL_TRACE=1 cargo test
//! --release -p edgertl-tests --test board <name>`.

use edgertl_hdl::board::{cmd, resp, BoardConfig};
use edgertl_hdl::pe::{PassConfig, PeConfig};
use edgertl_sim::board::host::{
    check_decode, check_pass, check_stream, malformed_stream, run_check, BoardHost, CheckPlan, Transport, MALFORMATIONS,
};
use edgertl_sim::board::uart::SimUart;
use edgertl_sim::harness::{Dut, Lockstep, RustHdl, Stimulus};
use edgertl_sim::pe::driver::PassData;
use edgertl_sim::pe::model::PeModel;
use edgertl_sim::rlc::model::{encode, pack};
use edgertl_sim::verilated::board_top;

fn sim_clocks_per_bit() -> u32 {
    BoardConfig::preset("sim").unwrap().clocks_per_bit()
}

fn board(test: &str, seed: u64) -> BoardHost<SimUart<board_top::Model>> {
    BoardHost::new(SimUart::new(board_top::Model::for_test(test, seed), sim_clocks_per_bit()))
}

#[test]
fn pe_passes_and_compressor_streams_over_the_uart_match_the_golden_models() {
    let test = "pe_passes_and_compressor_streams_over_the_uart_match_the_golden_models";
    let mut stim = Stimulus::from_env();
    let hint = stim.replay_hint(test);
    let mut host = board(test, stim.seed);
    let started = std::time::Instant::now();
    // A fixed pass first (every stream, a zero to gate, U < S), then random ones.
    let fixed = PassData {
        cfg: PassConfig { s: 3, u: 2, p: 2, q: 2, e: 2, shift: 1 },
        filters: (0..12).map(|k| k as i16 * 37 - 200).collect(),
        ifmap: vec![5, -3, 0, 7, 1000, -1000, 2, 0, 9, 9],
        psum_in: vec![1, -1, 300, -300],
    };
    let plan = CheckPlan { passes: 40, streams: 30, decodes: 30, malformed: 2 * MALFORMATIONS.len() };
    let result = run_check(&mut host, &mut stim.rng, &[fixed], plan);
    if result.is_err() {
        host.link.pins.dut.flush_trace();
    }
    let sum = result.unwrap_or_else(|e| panic!("{e}\n{hint}"));
    assert!(sum.refused < sum.passes, "{hint}");
    assert_eq!((sum.decodes, sum.malformed), (plan.decodes, plan.malformed), "{hint}");
    // Five of the seven ways to break a stream always give one the decoder must flag (a
    // flipped bit may leave a valid stream, a word after the end always does); the check above
    // held each to the model either way.
    assert!(sum.flagged >= 5 * 2, "{} of {} malformed streams flagged\n{hint}", sum.flagged, sum.malformed);
    assert_eq!(host.link.framing_errors(), 0, "{hint}");
    eprintln!(
        "{sum} over the UART: {} cycles in {:.1?} (seed {})",
        host.link.pins.cycles(),
        started.elapsed(),
        stim.seed
    );
}

#[test]
fn protocol_edges_unknown_commands_reset_and_receive_errors() {
    let test = "protocol_edges_unknown_commands_reset_and_receive_errors";
    let stim = Stimulus::from_env();
    let mut host = board(test, stim.seed);
    // An unknown command is refused with a NAK, and the bridge listens again.
    host.link.send(&[0x00]).unwrap();
    assert_eq!(host.link.recv(1).unwrap(), [resp::NAK]);
    host.ping().unwrap();
    // A status byte of an idle board.
    assert_eq!(host.status().unwrap(), resp::STATUS_TAG);
    // A byte sent while the bridge is not listening (here: during the 100 cycles after a
    // configuration) is a receive error, until `Z`, which also resets the busy PE.
    host.link.send(&[cmd::PE_CONFIG, 1, 1, 1, 1, 1, 0, cmd::PING]).unwrap();
    let s = host.link.recv(1).unwrap()[0];
    assert_eq!(s, resp::STATUS_TAG | resp::STATUS_RX_ERROR | resp::STATUS_PE_BUSY, "status {s:#04x}");
    host.reset().unwrap();
    assert_eq!(host.status().unwrap(), resp::STATUS_TAG);
    // A refused configuration reads cfg_error, and the next legal pass runs.
    let hw = PeConfig::eyeriss_v1();
    let mut model = PeModel::new(hw.clone());
    let bad = PassData { cfg: PassConfig { s: 7, u: 1, p: 1, q: 2, e: 1, shift: 0 }, filters: vec![], ifmap: vec![], psum_in: vec![] };
    let got = host.run_pass(&bad).unwrap();
    assert!(got.refused);
    check_pass(&mut model, &bad, &got).unwrap();
    let good = PassData { cfg: PassConfig { s: 1, u: 1, p: 1, q: 1, e: 1, shift: 0 }, filters: vec![3], ifmap: vec![-4], psum_in: vec![10] };
    let got = host.run_pass(&good).unwrap();
    assert_eq!(got.psum_out, [-2]);
    check_pass(&mut model, &good, &got).unwrap();
    // The heartbeat, busy, error and activity LEDs are registered outputs; activity toggled.
    let _ = host.link.leds();
    // An unknown command and a count of zero on the decoder's write answer as the others do.
    host.link.send(&[cmd::DEC_WORDS, 0]).unwrap();
    assert_eq!(host.link.recv(1).unwrap(), [resp::STATUS_TAG]);
}

#[test]
fn decoder_error_kinds_dropped_words_and_restarts_match_the_golden_model() {
    let test = "decoder_error_kinds_dropped_words_and_restarts_match_the_golden_model";
    let mut stim = Stimulus::from_env();
    let hint = stim.replay_hint(test);
    let mut host = board(test, stim.seed);
    let values: Vec<i16> = vec![7, 0, 0, -3, 0, 0, 0, 0, 1, 2, 3, 0, 4];
    let words = encode(&values);
    assert!(words.len() >= 2);
    let mut no_term = words.clone();
    *no_term.last_mut().unwrap() &= !(1 << 63);
    let mut early = words.clone();
    early[0] |= 1 << 63;
    let mut garbage = words.clone();
    garbage.extend([u64::MAX, 0x1234]);
    // (words, N, done, error_kind): each outcome of the decoder, on the board as in the model.
    let n = values.len();
    let cases: [(&str, &[u64], usize, bool, u8); 8] = [
        ("valid", &words, n, true, 0),
        ("N = 0, the terminal word", &[pack([(0, 0); 3], true)], 0, true, 0),
        ("N too small", &words, n - 2, true, 1),
        ("N too large", &words, n + 3, true, 2),
        ("a term bit too early", &early, n, true, 2),
        ("no term bit", &no_term, n, true, 3),
        ("words after the end (dropped)", &garbage, n, true, 0),
        ("truncated: waits for words", &words[..words.len() - 1], n, false, 0),
    ];
    for (what, words, n, done, kind) in cases {
        let got = host.decode(words, n).unwrap_or_else(|e| panic!("{what}: {e}\n{hint}"));
        check_decode(words, n, &got).unwrap_or_else(|e| panic!("{what}: {e}\n{hint}"));
        assert_eq!((got.done, got.error_kind), (done, kind), "{what}\n{hint}");
    }
    // The last stream left the decoder busy: the next `D` restarts it.
    let got = host.decode(&words, n).unwrap();
    assert_eq!((got.values.as_slice(), got.done, got.error_kind), (values.as_slice(), true, 0), "{hint}");
    // An encoder stream abandoned half-way: the next `N` restarts the encoder.
    for bytes in [&[cmd::ENC_START, 10, 0][..], &[cmd::ENC_VALUES, 2, 1, 0, 2, 0]] {
        host.link.send(bytes).unwrap();
        assert_eq!(host.link.recv(1).unwrap(), [resp::STATUS_TAG | resp::STATUS_ENC_BUSY], "{hint}");
    }
    let again = [5, 0, 0, 6];
    check_stream(&again, &host.encode(&again).unwrap()).unwrap_or_else(|e| panic!("{e}\n{hint}"));
    // Every way of breaking a stream, with random streams.
    for k in 0..2 * MALFORMATIONS.len() {
        let (words, n) = malformed_stream(k, &mut stim.rng);
        let got = host.decode(&words, n).unwrap_or_else(|e| panic!("{}: {e}\n{hint}", MALFORMATIONS[k % 7]));
        check_decode(&words, n, &got).unwrap_or_else(|e| panic!("{}: {e}\n{hint}", MALFORMATIONS[k % 7]));
    }
    // The error LED shows the last stream's error until the next one starts.
    let bad = host.decode(&words, n - 1).unwrap();
    assert_eq!(bad.error_kind, 1);
    host.link.idle(4);
    assert_eq!(host.link.leds() & 0b0100, 0b0100, "{hint}");
    assert_eq!(host.link.framing_errors(), 0, "{hint}");
}

#[test]
fn rust_hdl_simulator_agrees_with_verilated_board_cycle_by_cycle() {
    // The same UART traffic through both RTL simulators, every output compared every cycle.
    // rust-hdl's simulator is slow: a ping, a status, one tiny pass and one short stream.
    let test = "rust_hdl_simulator_agrees_with_verilated_board_cycle_by_cycle";
    let stim = Stimulus::from_env();
    let both = Lockstep::new(
        board_top::Model::for_test(test, stim.seed),
        RustHdl::new("board_top").expect("the board has a rust-hdl simulator"),
        board_top::OUTPUTS,
        stim.replay_hint(test),
    );
    let mut host = BoardHost::new(SimUart::new(both, sim_clocks_per_bit()));
    host.ping().unwrap();
    let hw = PeConfig::eyeriss_v1();
    let mut model = PeModel::new(hw);
    let pass = PassData { cfg: PassConfig { s: 2, u: 1, p: 1, q: 1, e: 1, shift: 0 }, filters: vec![2, -3], ifmap: vec![5, 7], psum_in: vec![1] };
    let got = host.run_pass(&pass).unwrap();
    check_pass(&mut model, &pass, &got).unwrap();
    let values = [0, 0, 9];
    let words = host.encode(&values).unwrap();
    check_stream(&values, &words).unwrap();
    let got = host.decode(&words, values.len()).unwrap();
    check_decode(&words, values.len(), &got).unwrap();
    let got = host.decode(&words, 2).unwrap();
    check_decode(&words, 2, &got).unwrap();
    eprintln!("{} cycles in lockstep", host.link.pins.cycles());
}
