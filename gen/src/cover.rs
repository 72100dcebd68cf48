//! `edgertl cover <unit>`: line and toggle coverage of a unit's Verilog under its random
//! co-simulation.
//!
//! The unit runs as `verilated::<unit>::Model::cover()` (the RTL Verilated with
//! `--coverage-line --coverage-toggle`, built by `edgertl-sim`'s build.rs beside the fast
//! model) through the same driver and random stimulus as its co-simulation tests, every
//! transaction checked against the golden model. The counts go to `<DIR>/<unit>.dat`;
//! `verilator_coverage --annotate` writes the annotated Verilog to `<DIR>/annotated/`, and
//! this module summarises the data file: line % (Verilator's line and branch points), toggle %
//! and every emitted Verilog line with a point never hit.

use anyhow::{bail, Result};
use edgertl::output::Output;
use edgertl_hdl::pe::PeConfig;
use edgertl_hdl::glb::GlbConfig;
use edgertl_sim::board::host::{run_check, BoardHost, CheckPlan};
use edgertl_sim::board::uart::SimUart;
use edgertl_sim::glb::driver::GlbDriver;
use edgertl_sim::glb::model::GlbModel;
use edgertl_sim::harness::{Lockstep, Stimulus};
use edgertl_sim::pe::driver::{random_pass, PassData, PeDriver, Traffic};
use edgertl_sim::pe::model::PeModel;
use edgertl_sim::rlc::driver::{self as rlc, DecoderDriver, EncoderDriver};
use edgertl_sim::rlc::model;
use edgertl_sim::verilated::{board_top, eyeriss_pe, glb, rlc_decoder, rlc_encoder};
use rand::Rng;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Coverage of one unit's Verilog.
#[derive(Debug, Default)]
pub struct Coverage {
    /// Line (and branch) points hit, and their total.
    pub lines: (usize, usize),
    /// Toggle points hit, and their total.
    pub toggles: (usize, usize),
    /// Verilog lines with a line or branch point never hit: line number, how many points.
    pub uncovered: Vec<(u32, usize)>,
}

fn percent((hit, total): (usize, usize)) -> f64 {
    if total == 0 { 100.0 } else { 100.0 * hit as f64 / total as f64 }
}

impl Coverage {
    pub fn line_percent(&self) -> f64 {
        percent(self.lines)
    }
    pub fn toggle_percent(&self) -> f64 {
        percent(self.toggles)
    }

    /// Reads a `coverage.dat`: one `C '<key/value pairs>' <count>` per point, keys separated by
    /// \x01 and values by \x02; `page` tells the kind (`v_line/...`, `v_branch/...`,
    /// `v_toggle/...`), `l` the line. Points of one line in a module instantiated several times
    /// are merged (hit if hit in any instance), as `verilator_coverage --annotate` does.
    pub fn parse(dat: &str) -> Self {
        // (kind is toggle, line, comment, column) -> hit
        let mut points: BTreeMap<(bool, u32, String, String), bool> = BTreeMap::new();
        for rec in dat.lines().filter_map(|l| l.strip_prefix("C '")) {
            let Some((keys, count)) = rec.rsplit_once("' ") else { continue };
            let count: u64 = count.trim().parse().unwrap_or(0);
            let mut page = "";
            let (mut line, mut comment, mut column) = (0u32, String::new(), String::new());
            for kv in keys.split('\x01').filter(|kv| !kv.is_empty()) {
                let (k, v) = kv.split_once('\x02').unwrap_or((kv, ""));
                match k {
                    "page" => page = v,
                    "l" => line = v.parse().unwrap_or(0),
                    "o" => comment = v.to_string(),
                    "n" => column = v.to_string(),
                    _ => {}
                }
            }
            let toggle = page.starts_with("v_toggle");
            *points.entry((toggle, line, comment, column)).or_default() |= count > 0;
        }
        let mut c = Coverage::default();
        let mut missed: BTreeMap<u32, usize> = BTreeMap::new();
        for ((toggle, line, _, _), hit) in points {
            let slot = if toggle { &mut c.toggles } else { &mut c.lines };
            slot.1 += 1;
            slot.0 += hit as usize;
            if !toggle && !hit {
                *missed.entry(line).or_default() += 1;
            }
        }
        c.uncovered = missed.into_iter().collect();
        c
    }
}

/// Runs `unit`'s random co-simulation on its coverage model (checked against the golden
/// model), writes `<dir>/<unit>.dat` and returns the data file's path and the cycles run.
pub fn simulate(unit: &str, stim: &mut Stimulus, dir: &Path) -> Result<(PathBuf, u64)> {
    // An unwritable directory fails here, not after the simulation (Verilator's coverage
    // writer aborts the process when it cannot open its file).
    edgertl::output::check_writable_dir(dir)?;
    let dat = dir.join(format!("{unit}.dat"));
    let out = Output::create(&dat, &[])?;
    let tmp = out.tmp_path().to_path_buf();
    let cycles = match unit {
        "eyeriss_pe" => {
            let mut pe = PeDriver::new(eyeriss_pe::Model::cover());
            pe_stimulus(&mut pe, stim).map_err(anyhow::Error::msg)?;
            pe.pins.dut.write_coverage(&tmp)?;
            pe.pins.cycles()
        }
        "rlc_encoder" => {
            let mut enc = EncoderDriver::new(rlc_encoder::Model::cover());
            for k in 0..300 {
                let v = rlc::random_stream(&mut stim.rng);
                let traffic = rlc_traffic(k, stim);
                let words = enc.encode(&v, traffic, &mut stim.rng).map_err(anyhow::Error::msg)?;
                if words != model::encode(&v) {
                    bail!("stream {k}: the encoder's words differ from the golden model's");
                }
            }
            enc.pins.dut.write_coverage(&tmp)?;
            enc.pins.cycles()
        }
        "rlc_decoder" => {
            let mut dec = DecoderDriver::new(rlc_decoder::Model::cover());
            for k in 0..900 {
                let (words, n) = if k < 300 {
                    let v = rlc::random_stream(&mut stim.rng);
                    let n = v.len();
                    (model::encode(&v), n)
                } else if k % 3 == 0 {
                    let len = stim.rng.gen_range(0..8);
                    ((0..len).map(|_| stim.rng.gen()).collect(), stim.rng.gen_range(0..200))
                } else {
                    rlc::malformed(&mut stim.rng)
                };
                let traffic = rlc_traffic(k, stim);
                let hw = dec.decode(&words, n, traffic, &mut stim.rng).map_err(anyhow::Error::msg)?;
                if hw.values != model::decode(&words, n).values {
                    bail!("stream {k}: the decoder's values differ from the golden model's");
                }
                if !hw.done {
                    dec.pins.reset();
                }
            }
            dec.pins.dut.write_coverage(&tmp)?;
            dec.pins.cycles()
        }
        "glb" => {
            // The tests' recipe: bursts of random traffic (reads, writes, re-assignments,
            // swaps, resets), every output compared with the golden model every cycle.
            let hw = GlbConfig::eyeriss_v1();
            let both = Lockstep::new(glb::Model::cover(), GlbModel::new(&hw), glb::OUTPUTS, format!("seed {}", stim.seed));
            let mut d = GlbDriver::new(both, &hw);
            while d.pins.cycles() < 1_000_000 {
                d.run_random(20_000, &mut stim.rng).map_err(anyhow::Error::msg)?;
            }
            d.pins.dut.a.write_coverage(&tmp)?;
            d.pins.cycles()
        }
        "board_top" => {
            // The board test's check over the bit-level UART: random PE passes, encoder
            // streams, valid and malformed decoder streams, each held to the golden models.
            let cpb = edgertl_hdl::board::BoardConfig::preset("sim")?.clocks_per_bit();
            let mut host = BoardHost::new(SimUart::new(board_top::Model::cover(), cpb));
            let plan = CheckPlan { passes: 40, streams: 30, decodes: 30, malformed: 21 };
            run_check(&mut host, &mut stim.rng, &[], plan).map_err(anyhow::Error::msg)?;
            host.link.pins.dut.write_coverage(&tmp)?;
            host.link.pins.cycles()
        }
        other => bail!("`{other}` has no coverage stimulus yet"),
    };
    out.commit()?;
    Ok((dat, cycles))
}

fn rlc_traffic(k: usize, stim: &mut Stimulus) -> rlc::Traffic {
    if k.is_multiple_of(4) { rlc::Traffic::FULL_SPEED } else { rlc::Traffic::random(&mut stim.rng) }
}

/// The PE tests' stimulus: a pass starved of data and a reset in the middle of it, then random
/// passes (about one in ten refused) with random traffic for 1.2 million cycles.
fn pe_stimulus(pe: &mut PeDriver<eyeriss_pe::Model>, stim: &mut Stimulus) -> Result<(), String> {
    let hw = PeConfig::eyeriss_v1();
    let mut model = PeModel::new(hw.clone());
    let mut starved = random_pass(&mut stim.rng, &hw, 4);
    while starved.cfg.validate(&hw).is_err() {
        starved = random_pass(&mut stim.rng, &hw, 4);
    }
    let starved = PassData { filters: vec![], ifmap: vec![], psum_in: vec![], ..starved };
    if pe.run_pass(&starved, &hw, Traffic::FULL_SPEED, &mut stim.rng).is_ok() {
        return Err("a pass without data finished".into());
    }
    pe.pins.reset();
    let mut passes = 0;
    while pe.pins.cycles() < 1_200_000 {
        let pass = random_pass(&mut stim.rng, &hw, 40);
        let traffic = if stim.rng.gen_bool(0.2) { Traffic::FULL_SPEED } else { Traffic::random(&mut stim.rng) };
        let got = pe.run_pass(&pass, &hw, traffic, &mut stim.rng)?;
        let agrees = match model.run_pass(&pass.cfg, &pass.filters, &pass.ifmap, &pass.psum_in) {
            Ok(psums) => !got.refused && psums == got.psum_out,
            Err(_) => got.refused && got.psum_out.is_empty(),
        };
        if !agrees || got.counters != model.counters {
            return Err(format!("pass {passes} ({:?}) differs from the golden model", pass.cfg));
        }
        passes += 1;
    }
    Ok(())
}

/// `verilator_coverage --annotate <dir> <dat>`: the Verilog with every point's count.
pub fn annotate(dat: &Path, dir: &Path) -> Result<()> {
    let out = Command::new("verilator_coverage")
        .arg("--annotate")
        .arg(dir)
        .arg("--annotate-all")
        .arg(dat)
        .output()
        .map_err(|_| anyhow::anyhow!("verilator_coverage not found: run scripts/setup.sh"))?;
    if !out.status.success() {
        bail!("verilator_coverage failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}
