//! Co-simulation of the global buffer: the Verilated RTL against the cycle-accurate golden
//! model, every output every cycle, under random traffic; rust-hdl's simulator against both;
//! directed checks of wrong-kind accesses and conflict arbitration; and a Yosys proof that
//! the banks become block RAM.
//!
//! Replay a failure with the seed it prints: `EDGERTL_SEED=<seed> EDGERTL_TRACE=1 cargo test
//! --release -p edgertl-tests --test glb <name>` (the trace file is named in the message).

use edgertl_hdl::glb::GlbConfig;
use edgertl_sim::glb::driver::GlbDriver;
use edgertl_sim::glb::model::GlbModel;
use edgertl_sim::harness::{Dut, Lockstep, RustHdl, Stimulus};
use edgertl_sim::verilated::glb::{self, inp, out};
use edgertl_tests::check;

/// Random traffic in bursts of `burst` cycles (each drained) through `dut` until `cycles`.
fn random_traffic<D: Dut>(dut: D, hw: &GlbConfig, stim: &mut Stimulus, test: &str, cycles: u64, burst: u64) -> GlbDriver<D> {
    let hint = stim.replay_hint(test);
    let mut d = GlbDriver::new(dut, hw);
    while d.pins.cycles() < cycles {
        let r = d.run_random(burst, &mut stim.rng);
        if r.is_err() {
            d.pins.dut.flush_trace();
        }
        check(r, &hint);
    }
    let t = d.tally;
    eprintln!("{test}: {} cycles, {t:?} (seed {})", d.pins.cycles(), stim.seed);
    // The run meant something: every kind of traffic happened.
    assert!(t.writes > cycles / 20 && t.reads > cycles / 20 && t.filt_reads > cycles / 20, "{t:?}");
    if cycles >= 100_000 {
        // Rare events (a swap, a re-assignment, a refusal, a conflict) all happen in a long run.
        assert!(t.swaps > 10 && t.configs > 10 && t.refused_responses > 10, "{t:?}");
        // Over the whole run: a reset (a rare event itself) clears the counters.
        let conflicts = t.conflicts_before_resets + d.pins.get(out::BANK_CONFLICTS);
        let stalls = t.stalls_before_resets + d.pins.get(out::STALL_CYCLES);
        assert!(conflicts > 0 && stalls > 0, "no conflicts or stalls over the run: {conflicts}, {stalls}");
    }
    d
}

fn model_lockstep<D: Dut>(dut: D, hw: &GlbConfig, hint: String) -> Lockstep<D, GlbModel> {
    Lockstep::new(dut, GlbModel::new(hw), glb::OUTPUTS, hint)
}

#[test]
fn verilated_glb_matches_model_cycle_by_cycle_over_a_million_cycles() {
    let test = "verilated_glb_matches_model_cycle_by_cycle_over_a_million_cycles";
    let hw = GlbConfig::eyeriss_v1();
    let mut stim = Stimulus::from_env();
    let both = model_lockstep(glb::Model::for_test(test, stim.seed), &hw, stim.replay_hint(test));
    random_traffic(both, &hw, &mut stim, test, 1_000_000, 20_000);
}

#[test]
fn rust_hdl_simulator_agrees_with_verilated_glb_and_model() {
    // rust-hdl's simulator is slow: a short run, all three in lockstep.
    let test = "rust_hdl_simulator_agrees_with_verilated_glb_and_model";
    let hw = GlbConfig::eyeriss_v1();
    let mut stim = Stimulus::from_env();
    let hint = stim.replay_hint(test);
    let rtl = Lockstep::new(
        glb::Model::for_test(test, stim.seed),
        RustHdl::new("glb").expect("the GLB has a rust-hdl simulator"),
        glb::OUTPUTS,
        hint.clone(),
    );
    random_traffic(model_lockstep(rtl, &hw, hint), &hw, &mut stim, test, 10_000, 2_500);
}

#[test]
fn tiny_preset_verilated_matches_model_cycle_by_cycle() {
    // The registry marks `tiny` simulated, so the harness Verilates it beside the default: its
    // own Verilog (4 banks of 16 words) against the model, every output every cycle.
    let test = "tiny_preset_verilated_matches_model_cycle_by_cycle";
    let hw = GlbConfig::tiny();
    let mut stim = Stimulus::from_env();
    let both = model_lockstep(glb::tiny::Model::for_test(test, stim.seed), &hw, stim.replay_hint(test));
    random_traffic(both, &hw, &mut stim, test, 300_000, 5_000);
}

#[test]
fn tiny_preset_rust_hdl_simulator_agrees_with_verilated_tiny_and_model() {
    let test = "tiny_preset_rust_hdl_simulator_agrees_with_verilated_tiny_and_model";
    let hw = GlbConfig::tiny();
    let mut stim = Stimulus::from_env();
    let hint = stim.replay_hint(test);
    let rtl = Lockstep::new(
        glb::tiny::Model::for_test(test, stim.seed),
        RustHdl::preset("glb", Some("tiny")).unwrap(),
        glb::tiny::OUTPUTS,
        hint.clone(),
    );
    random_traffic(model_lockstep(rtl, &hw, hint), &hw, &mut stim, test, 20_000, 5_000);
}

/// A directed driver on the Verilated GLB, with the model in lockstep.
fn directed(test: &str) -> (GlbDriver<Lockstep<glb::Model, GlbModel>>, String) {
    let hw = GlbConfig::eyeriss_v1();
    let stim = Stimulus::from_env();
    let hint = stim.replay_hint(test);
    (GlbDriver::new(model_lockstep(glb::Model::for_test(test, stim.seed), &hw, hint.clone()), &hw), hint)
}

/// Offers a write and/or a read in the same cycle, then runs until both are gone and the
/// read's response is back; returns (data, err) of the response.
fn write_and_read(d: &mut GlbDriver<Lockstep<glb::Model, GlbModel>>, wr: Option<(u64, u64, bool, u64)>, rd: Option<(u64, u64, bool)>) -> Option<(u64, bool)> {
    write_lanes_and_read(d, wr.map(|(b, a, p, v)| (b, a, p, v, 0xf)), rd)
}

/// [`write_and_read`] with the write's lane mask.
fn write_lanes_and_read(d: &mut GlbDriver<Lockstep<glb::Model, GlbModel>>, wr: Option<(u64, u64, bool, u64, u64)>, rd: Option<(u64, u64, bool)>) -> Option<(u64, bool)> {
    if let Some((bank, addr, psum, data, lanes)) = wr {
        for (p, v) in [(inp::WR_VALID, 1), (inp::WR_BANK, bank), (inp::WR_ADDR, addr), (inp::WR_PSUM, psum as u64), (inp::WR_DATA, data), (inp::WR_MASK, lanes)] {
            d.pins.set(p, v);
        }
    }
    if let Some((bank, addr, psum)) = rd {
        for (p, v) in [(inp::RD_VALID, 1), (inp::RD_BANK, bank), (inp::RD_ADDR, addr), (inp::RD_PSUM, psum as u64)] {
            d.pins.set(p, v);
        }
    }
    assert!(d.pins.get(out::WR_READY) == 1 && d.pins.get(out::RD_READY) == 1);
    d.pins.tick(); // both taken at this edge
    d.pins.set(inp::WR_VALID, 0);
    d.pins.set(inp::RD_VALID, 0);
    d.pins.set(inp::RD_RESP_READY, 1);
    let mut resp = None;
    for _ in 0..8 {
        if d.pins.get(out::RD_RESP_VALID) == 1 {
            resp = Some((d.pins.get(out::RD_RESP_DATA), d.pins.get(out::RD_RESP_ERR) == 1));
        }
        d.pins.tick();
    }
    d.pins.set(inp::RD_RESP_READY, 0);
    resp
}

// A write changes only the 16-bit lanes its mask names (the accelerator writes single words
// of a 64-bit GLB word): a whole word, then two lanes, then none, read back each time.
#[test]
fn lane_masks_write_only_their_lanes() {
    let (mut d, hint) = directed("lane_masks_write_only_their_lanes");
    let w = 0x1111_2222_3333_4444;
    for (data, lanes, want) in [(w, 0xf, w), (0xaaaa_bbbb_cccc_dddd, 0b0110, 0x1111_bbbb_cccc_4444), (0, 0, 0x1111_bbbb_cccc_4444), (0x5555_0000_0000_0000, 0b1000, 0x5555_bbbb_cccc_4444)] {
        assert_eq!(write_lanes_and_read(&mut d, Some((3, 9, false, data, lanes)), None), None);
        assert_eq!(write_and_read(&mut d, None, Some((3, 9, false))), Some((want, false)), "lanes {lanes:04b}; {hint}");
    }
    assert_eq!(d.bank_counters(3), (4, 4), "a masked write is a write; {hint}");
}

#[test]
fn wrong_kind_accesses_are_refused_and_counted() {
    let (mut d, hint) = directed("wrong_kind_accesses_are_refused_and_counted");
    // Banks 1 and 24 hold psums, the rest ifmaps.
    d.pins.set(inp::CFG_VALID, 1);
    d.pins.set(inp::CFG_PSUM_BANKS, (1 << 1) | (1 << 24));
    d.pins.tick();
    d.pins.set(inp::CFG_VALID, 0);
    assert_eq!(d.pins.get(out::PSUM_BANKS), (1 << 1) | (1 << 24), "{hint}");
    // Right kind: written and read back.
    assert_eq!(write_and_read(&mut d, Some((1, 7, true, 0xdead_beef)), None), None);
    assert_eq!(write_and_read(&mut d, None, Some((1, 7, true))), Some((0xdead_beef, false)), "{hint}");
    // Wrong kind: the write is dropped, the read answered with err and data 0.
    assert_eq!(write_and_read(&mut d, Some((1, 7, false, 0x1234)), None), None);
    assert_eq!(d.pins.get(out::BAD_ACCESSES), 1, "{hint}");
    assert_eq!(write_and_read(&mut d, None, Some((1, 7, false))), Some((0, true)), "{hint}");
    assert_eq!(write_and_read(&mut d, None, Some((1, 7, true))), Some((0xdead_beef, false)), "the refused write landed; {hint}");
    // Out of range (bank 30 of 25), both at once: two refusals in one cycle.
    assert_eq!(write_and_read(&mut d, Some((30, 0, false, 5)), Some((30, 0, false))), Some((0, true)), "{hint}");
    assert_eq!(d.pins.get(out::BAD_ACCESSES), 4, "{hint}");
    assert_eq!(d.bank_counters(1), (2, 1), "bank 1 (reads, writes); {hint}");
    assert_eq!(d.pins.get(out::BANK_CONFLICTS), 0, "a refused request takes no bank cycle");
    // Re-assign bank 1 to ifmaps: the same psum read is now refused.
    d.pins.set(inp::CFG_VALID, 1);
    d.pins.set(inp::CFG_PSUM_BANKS, 1 << 24);
    d.pins.tick();
    d.pins.set(inp::CFG_VALID, 0);
    assert_eq!(write_and_read(&mut d, None, Some((1, 7, true))), Some((0, true)), "{hint}");
    assert_eq!(write_and_read(&mut d, None, Some((1, 7, false))), Some((0xdead_beef, false)), "{hint}");
}

#[test]
fn conflicts_stall_the_loser_and_the_winner_alternates() {
    let (mut d, hint) = directed("conflicts_stall_the_loser_and_the_winner_alternates");
    assert_eq!(write_and_read(&mut d, Some((3, 2, false, 100)), None), None);
    // Conflict 1: the write wins, the read waits a cycle and sees the new word.
    assert_eq!(write_and_read(&mut d, Some((3, 2, false, 200)), Some((3, 2, false))), Some((200, false)), "{hint}");
    assert_eq!((d.pins.get(out::BANK_CONFLICTS), d.pins.get(out::STALL_CYCLES)), (1, 1), "{hint}");
    // Conflict 2: the read wins and sees the word before the write.
    assert_eq!(write_and_read(&mut d, Some((3, 2, false, 300)), Some((3, 2, false))), Some((200, false)), "{hint}");
    assert_eq!((d.pins.get(out::BANK_CONFLICTS), d.pins.get(out::STALL_CYCLES)), (2, 2), "{hint}");
    // Different banks: no conflict, both in one cycle.
    assert_eq!(write_and_read(&mut d, Some((4, 2, false, 400)), Some((3, 2, false))), Some((300, false)), "{hint}");
    assert_eq!((d.pins.get(out::BANK_CONFLICTS), d.pins.get(out::STALL_CYCLES)), (2, 2), "{hint}");
    assert_eq!(d.bank_counters(3), (3, 3), "{hint}");
    assert_eq!(d.bank_counters(4), (0, 1), "{hint}");
    // Reset clears the counters, not the SRAM.
    d.reset();
    assert_eq!(d.bank_counters(3), (0, 0), "{hint}");
    assert_eq!(write_and_read(&mut d, None, Some((3, 2, false))), Some((300, false)), "{hint}");
}

#[test]
fn filter_double_buffer_swaps_after_pending_requests() {
    let (mut d, hint) = directed("filter_double_buffer_swaps_after_pending_requests");
    let fw = |d: &mut GlbDriver<_>, addr: u64, data: u64| {
        d.pins.set(inp::FILT_WR_VALID, 1);
        d.pins.set(inp::FILT_WR_ADDR, addr);
        d.pins.set(inp::FILT_WR_DATA, data);
        d.pins.set(inp::FILT_WR_MASK, 0xf);
        d.pins.tick();
        d.pins.set(inp::FILT_WR_VALID, 0);
    };
    let fr = |d: &mut GlbDriver<Lockstep<glb::Model, GlbModel>>, addr: u64| -> u64 {
        d.pins.set(inp::FILT_RD_VALID, 1);
        d.pins.set(inp::FILT_RD_ADDR, addr);
        d.pins.tick();
        d.pins.set(inp::FILT_RD_VALID, 0);
        d.pins.set(inp::FILT_RD_RESP_READY, 1);
        while d.pins.get(out::FILT_RD_RESP_VALID) == 0 {
            d.pins.tick();
        }
        let v = d.pins.get(out::FILT_RD_RESP_DATA);
        d.pins.tick();
        d.pins.set(inp::FILT_RD_RESP_READY, 0);
        v
    };
    assert_eq!(d.pins.get(out::FILT_ACTIVE), 0);
    fw(&mut d, 5, 55); // into bank 1, loading
    // The swap is offered while the write is still queued: it waits for it.
    d.pins.set(inp::FILT_SWAP_VALID, 1);
    assert_eq!(d.pins.get(out::FILT_SWAP_READY), 0, "{hint}");
    while d.pins.get(out::FILT_SWAP_READY) == 0 {
        d.pins.tick();
    }
    d.pins.tick();
    d.pins.set(inp::FILT_SWAP_VALID, 0);
    assert_eq!(d.pins.get(out::FILT_ACTIVE), 1, "{hint}");
    fw(&mut d, 5, 66); // into bank 0, now loading
    assert_eq!(fr(&mut d, 5), 55, "the array reads the bank loaded before the swap; {hint}");
    assert_eq!((d.pins.get(out::FILT_READS), d.pins.get(out::FILT_WRITES)), (1, 2), "{hint}");
}


#[test]
fn config_validation_explains_what_is_wrong() {
    let bad = GlbConfig { banks: 40, ..GlbConfig::eyeriss_v1() };
    assert!(bad.validate().unwrap_err().contains("banks = 40"));
    let bad = GlbConfig { words_per_bank: 300, ..GlbConfig::eyeriss_v1() };
    assert!(bad.validate().unwrap_err().contains("power of two"));
    let bad = GlbConfig { filter_banks: 3, ..GlbConfig::eyeriss_v1() };
    assert!(bad.validate().unwrap_err().contains("double buffer"));
    assert!(GlbConfig::eyeriss_v1().validate().is_ok() && GlbConfig::tiny().validate().is_ok());
}

/// Cell counts of a flattened design from Yosys's `stat`.
fn cell_counts(stat: &str) -> std::collections::BTreeMap<String, u64> {
    stat.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (cell, n) = (w.next()?, w.next()?);
            (w.next().is_none() && !cell.ends_with(':')).then(|| Some((cell.to_string(), n.parse().ok()?)))?
        })
        .collect()
}

#[test]
fn banks_synthesize_to_block_ram_on_ice40_ecp5_and_xilinx() {
    // The `synth4` preset: Eyeriss v1's 512 x 64 banks, 4 of them plus the 2 filter banks, so
    // that the three syntheses take seconds (eyeriss_v1 itself takes about a minute each).
    let e = edgertl_hdl::emit("glb", Some("synth4")).unwrap();
    let hw = GlbConfig::synth4();
    let srams = (hw.banks + hw.filter_banks) as u64;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("glb.v");
    std::fs::write(&file, &e.verilog).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/yosys/infer_bram.sh");
    // Per family: block RAM cells and how many of them one 512 x 64 bank needs (in
    // RAMB36E1 equivalents on Xilinx: a RAMB18E1 counts half), and its flip-flop cells.
    type Family<'a> = (&'a str, &'a [(&'a str, f64)], &'a [&'a str]);
    let families: [Family; 3] = [
        ("ice40", &[("SB_RAM40_4K", 1.0 / 8.0)], &["SB_DFF", "SB_DFFE", "SB_DFFSR", "SB_DFFESR", "SB_DFFR", "SB_DFFER", "SB_DFFS", "SB_DFFES", "SB_DFFSS", "SB_DFFESS"]),
        ("ecp5", &[("DP16KD", 1.0 / 2.0)], &["TRELLIS_FF"]),
        ("xilinx", &[("RAMB36E1", 1.0), ("RAMB18E1", 0.5)], &["FDRE", "FDSE", "FDCE", "FDPE"]),
    ];
    let runs: Vec<_> = families
        .iter()
        .map(|(family, ..)| {
            let (script, file) = (script.clone(), file.clone());
            let family = family.to_string();
            std::thread::spawn(move || {
                let t = std::time::Instant::now();
                let o = std::process::Command::new("sh").arg(&script).arg(&file).arg("glb").arg(&family).output().expect("yosys runs");
                assert!(o.status.success(), "{family}: yosys failed:\n{}", String::from_utf8_lossy(&o.stderr));
                (String::from_utf8_lossy(&o.stdout).into_owned(), t.elapsed())
            })
        })
        .collect();
    for ((family, rams, ffs), run) in families.iter().zip(runs) {
        let (stat, took) = run.join().unwrap();
        let cells = cell_counts(&stat);
        let banks_in_bram: f64 = rams.iter().map(|(c, per_bank)| *cells.get(*c).unwrap_or(&0) as f64 * per_bank).sum();
        let flops: u64 = ffs.iter().map(|c| cells.get(*c).copied().unwrap_or(0)).sum();
        eprintln!("{family}: {:?} -> {banks_in_bram} banks' worth of block RAM, {flops} flip-flops ({took:.1?})", rams.iter().map(|(c, _)| (c, cells.get(*c))).collect::<Vec<_>>());
        assert!(banks_in_bram >= srams as f64, "{family}: only {banks_in_bram} of {srams} banks became block RAM:\n{stat}");
        // One bank in flip-flops would be 32768 of them; the control logic needs a few thousand.
        let bank_bits = hw.words_per_bank as u64 * hw.word_bits as u64;
        assert!(flops < bank_bits / 4, "{family}: {flops} flip-flops: a bank went to registers:\n{stat}");
        assert!(!cells.keys().any(|c| c.contains("$mem")), "{family}: an unmapped memory is left:\n{stat}");
    }
}
