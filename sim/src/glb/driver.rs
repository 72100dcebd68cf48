//! Drives random traffic through any GLB [`Dut`] (Verilated, rust-hdl's simulator, the golden
//! model, or a [`crate::harness::Lockstep`] of them) cycle by cycle: reads, writes (hot banks
//! for conflicts, now and then the wrong kind or a bank out of range), bank re-assignment,
//! filter writes, reads and double-buffer swaps, random idle on every request port and random
//! back-pressure on both response streams. Requests follow valid/ready: once offered, a
//! request stays on its port unchanged until it is taken.

use crate::harness::{Dut, Handshake, Pins};
use crate::verilated::glb::{inp, out, INPUTS, OUTPUTS};
use edgertl_hdl::glb::{bank_addr_bits, GlbConfig};
use rand::Rng;

/// What went through the GLB (cumulative since the driver was made).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub writes: u64,
    pub reads: u64,
    pub responses: u64,
    pub refused_responses: u64,
    pub filt_writes: u64,
    pub filt_reads: u64,
    pub filt_responses: u64,
    pub swaps: u64,
    pub configs: u64,
    pub resets: u64,
    /// The GLB's `bank_conflicts` and `stall_cycles` counters as they stood before each reset
    /// (a reset clears them): add the counters' current values for the whole run's.
    pub conflicts_before_resets: u64,
    pub stalls_before_resets: u64,
}

/// Handshake profiles of the streams; re-drawn every phase.
#[derive(Clone, Copy, Debug)]
struct Profile {
    wr: Handshake,
    rd: Handshake,
    resp: Handshake,
    fw: Handshake,
    fr: Handshake,
    fresp: Handshake,
    /// Probability that a request goes to one of two hot banks (conflicts).
    hot: f64,
}

impl Profile {
    fn random(rng: &mut impl Rng) -> Self {
        Self {
            wr: Handshake::random(rng),
            rd: Handshake::random(rng),
            resp: Handshake::random(rng),
            fw: Handshake::random(rng),
            fr: Handshake::random(rng),
            fresp: Handshake::random(rng),
            hot: [0.0, 0.5, 0.95][rng.gen_range(0..3)],
        }
    }
}

/// A GLB under test, with random traffic.
pub struct GlbDriver<D: Dut> {
    /// The GLB's pins: its [`Dut`], cycles run, and every port for directed tests. Reset
    /// through [`GlbDriver::reset`], which also settles the tally.
    pub pins: Pins<D>,
    hw: GlbConfig,
    pub tally: Tally,
    /// The mask the driver last configured (requests mostly follow it).
    mask: u64,
    hot: [u64; 2],
}

impl<D: Dut> GlbDriver<D> {
    /// Takes a DUT and resets it (two cycles with `rst` high).
    pub fn new(dut: D, hw: &GlbConfig) -> Self {
        let mut d = Self {
            pins: Pins::new(dut, INPUTS, OUTPUTS),
            hw: hw.clone(),
            tally: Tally::default(),
            mask: 0,
            hot: [0, 1 % hw.banks as u64],
        };
        d.reset();
        d
    }

    /// Holds `rst` high for two cycles with every port quiet; requests offered and responses
    /// outstanding are abandoned.
    pub fn reset(&mut self) {
        self.tally.conflicts_before_resets += self.pins.get(out::BANK_CONFLICTS);
        self.tally.stalls_before_resets += self.pins.get(out::STALL_CYCLES);
        self.pins.reset();
        self.mask = 0;
        // Reads in flight are abandoned with the reset.
        self.tally.responses = self.tally.reads;
        self.tally.filt_responses = self.tally.filt_reads;
    }

    /// The read and write counters of bank `k` (two cycles: select, then read out).
    pub fn bank_counters(&mut self, k: u64) -> (u32, u32) {
        let quiet: Vec<usize> = vec![inp::WR_VALID, inp::RD_VALID, inp::FILT_WR_VALID, inp::FILT_RD_VALID, inp::CFG_VALID, inp::FILT_SWAP_VALID];
        for p in quiet {
            self.pins.set(p, 0);
        }
        self.pins.set(inp::CNT_SEL, k);
        self.pins.tick();
        self.pins.tick();
        (self.pins.get(out::BANK_READS) as u32, self.pins.get(out::BANK_WRITES) as u32)
    }

    fn bank(&self, rng: &mut impl Rng, hot: f64) -> u64 {
        let nb = self.hw.banks as u64;
        if rng.gen_bool(0.01) {
            rng.gen_range(0..1u64 << bank_addr_bits(self.hw.banks)) // maybe out of range
        } else if hot > 0.0 && rng.gen_bool(hot) {
            self.hot[rng.gen_range(0..2)]
        } else {
            rng.gen_range(0..nb)
        }
    }

    fn addr(&self, rng: &mut impl Rng) -> u64 {
        // Half the traffic in a few words, so reads often find what was written.
        let words = self.hw.words_per_bank as u64;
        if rng.gen_bool(0.5) { rng.gen_range(0..words.min(4)) } else { rng.gen_range(0..words) }
    }

    /// The psum flag of a request to `bank`: mostly the right kind, sometimes not.
    fn kind(&self, rng: &mut impl Rng, bank: u64) -> u64 {
        let right = if bank < 64 { (self.mask >> bank) & 1 } else { 0 };
        if rng.gen_bool(0.03) { right ^ 1 } else { right }
    }

    /// Runs `cycles` cycles of random traffic, then drains: every accepted read gets its
    /// response. Errors when the drain does not finish (a lost response or a hang).
    pub fn run_random(&mut self, cycles: u64, rng: &mut impl Rng) -> Result<(), String> {
        let mut p = Profile::random(rng);
        let end = self.pins.cycles() + cycles;
        while self.pins.cycles() < end {
            if rng.gen_bool(0.0005) {
                p = Profile::random(rng);
                self.hot = [rng.gen_range(0..self.hw.banks as u64), rng.gen_range(0..self.hw.banks as u64)];
            }
            if rng.gen_bool(0.00002) {
                self.reset();
                self.tally.resets += 1;
                continue;
            }
            self.step(&p, rng, true);
        }
        self.drain(rng, &p)
    }

    /// Stops offering requests and takes responses until every read has been answered.
    fn drain(&mut self, rng: &mut impl Rng, p: &Profile) -> Result<(), String> {
        for _ in 0..10_000 {
            if self.outstanding() == (0, 0) && [inp::WR_VALID, inp::RD_VALID, inp::FILT_WR_VALID, inp::FILT_RD_VALID].iter().all(|&k| self.pins.input(k) == 0) {
                return Ok(());
            }
            self.step(p, rng, false);
        }
        Err(format!("the GLB did not drain: {:?} responses outstanding ({:?})", self.outstanding(), self.tally))
    }

    fn outstanding(&self) -> (u64, u64) {
        (self.tally.reads - self.tally.responses, self.tally.filt_reads - self.tally.filt_responses)
    }

    /// One cycle: this cycle's inputs decided from the outputs seen after the last edge.
    fn step(&mut self, p: &Profile, rng: &mut impl Rng, offer_new: bool) {
        let o = self.pins.outputs().to_vec();
        self.pins.set(inp::CFG_VALID, 0);
        if offer_new {
            if self.pins.input(inp::WR_VALID) == 0 && p.wr.offer(rng) {
                let bank = self.bank(rng, p.hot);
                let (addr, psum) = (self.addr(rng), self.kind(rng, bank));
                let i = self.pins.inputs_mut();
                (i[inp::WR_VALID], i[inp::WR_BANK], i[inp::WR_ADDR], i[inp::WR_PSUM], i[inp::WR_DATA]) = (1, bank, addr, psum, rng.gen());
                i[inp::WR_MASK] = lanes(rng);
            }
            if self.pins.input(inp::RD_VALID) == 0 && p.rd.offer(rng) {
                let bank = self.bank(rng, p.hot);
                let (addr, psum) = (self.addr(rng), self.kind(rng, bank));
                let i = self.pins.inputs_mut();
                (i[inp::RD_VALID], i[inp::RD_BANK], i[inp::RD_ADDR], i[inp::RD_PSUM]) = (1, bank, addr, psum);
            }
            if self.pins.input(inp::FILT_WR_VALID) == 0 && p.fw.offer(rng) {
                let addr = self.addr(rng);
                let i = self.pins.inputs_mut();
                (i[inp::FILT_WR_VALID], i[inp::FILT_WR_ADDR], i[inp::FILT_WR_DATA]) = (1, addr, rng.gen());
                i[inp::FILT_WR_MASK] = lanes(rng);
            }
            if self.pins.input(inp::FILT_RD_VALID) == 0 && p.fr.offer(rng) {
                let addr = self.addr(rng);
                let i = self.pins.inputs_mut();
                (i[inp::FILT_RD_VALID], i[inp::FILT_RD_ADDR]) = (1, addr);
            }
            if self.pins.input(inp::FILT_SWAP_VALID) == 0 && rng.gen_bool(0.002) {
                self.pins.set(inp::FILT_SWAP_VALID, 1);
            }
            if rng.gen_bool(0.001) {
                self.mask = rng.gen::<u64>() & ((1u64 << self.hw.banks) - 1);
                self.pins.set(inp::CFG_VALID, 1);
                self.pins.set(inp::CFG_PSUM_BANKS, self.mask);
                self.tally.configs += 1;
            }
        }
        let i = self.pins.inputs_mut();
        i[inp::RD_RESP_READY] = p.resp.accept(rng) as u64;
        i[inp::FILT_RD_RESP_READY] = p.fresp.accept(rng) as u64;
        i[inp::CNT_SEL] = rng.gen_range(0..1u64 << bank_addr_bits(self.hw.banks));
        // What moves at this edge, judged from the outputs seen before it.
        let moves = |v: usize, r: usize| i[v] == 1 && o[r] == 1;
        let (wr, rd, fw, fr, sw) = (
            moves(inp::WR_VALID, out::WR_READY),
            moves(inp::RD_VALID, out::RD_READY),
            moves(inp::FILT_WR_VALID, out::FILT_WR_READY),
            moves(inp::FILT_RD_VALID, out::FILT_RD_READY),
            moves(inp::FILT_SWAP_VALID, out::FILT_SWAP_READY),
        );
        let resp = i[inp::RD_RESP_READY] == 1 && o[out::RD_RESP_VALID] == 1;
        let fresp = i[inp::FILT_RD_RESP_READY] == 1 && o[out::FILT_RD_RESP_VALID] == 1;
        self.pins.tick();
        let t = &mut self.tally;
        let i = self.pins.inputs_mut();
        for (moved, port, count) in [
            (wr, inp::WR_VALID, &mut t.writes),
            (rd, inp::RD_VALID, &mut t.reads),
            (fw, inp::FILT_WR_VALID, &mut t.filt_writes),
            (fr, inp::FILT_RD_VALID, &mut t.filt_reads),
            (sw, inp::FILT_SWAP_VALID, &mut t.swaps),
        ] {
            if moved {
                i[port] = 0;
                *count += 1;
            }
        }
        if resp {
            t.responses += 1;
            t.refused_responses += o[out::RD_RESP_ERR];
        }
        if fresp {
            t.filt_responses += 1;
        }
    }
}

/// The GLB's random test stimulus on any model of a preset (the registry's `stimulus`, what
/// `edgertl cover` runs): bursts of random traffic (reads, writes, re-assignments, swaps,
/// resets) for a million cycles, every output compared with the cycle-accurate golden model
/// every cycle.
pub fn stimulus(dut: &mut dyn Dut, preset: &str, stim: &mut crate::harness::Stimulus) -> Result<u64, String> {
    let hw = GlbConfig::preset(preset).map_err(|e| e.to_string())?;
    let both = crate::harness::Lockstep::new(dut, super::model::GlbModel::new(&hw), OUTPUTS, format!("seed {}", stim.seed));
    let mut d = GlbDriver::new(both, &hw);
    // Lockstep panics on the first difference; the panic becomes this stimulus's error.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> Result<(), String> {
        while d.pins.cycles() < 1_000_000 {
            d.run_random(20_000, &mut stim.rng)?;
        }
        Ok(())
    }));
    match result {
        Ok(r) => r.map(|()| d.pins.cycles()),
        Err(payload) => Err(payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "the GLB differs from its golden model".into())),
    }
}

/// A write's lane mask: whole words half the time (the array's psum and ifmap traffic),
/// otherwise any lanes, none included.
fn lanes(rng: &mut impl Rng) -> u64 {
    if rng.gen_bool(0.5) { 0xf } else { rng.gen_range(0..16) }
}
