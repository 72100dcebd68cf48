//! Cycle-accurate golden model of the global buffer (`edgertl_hdl::glb`; that module's doc is
//! the specification), in plain Rust.
//!
//! [`GlbModel`] implements [`Dut`] with the unit's port order, so it runs in
//! [`crate::harness::Lockstep`] against the RTL and every output is compared every cycle:
//! request `ready`s, every read response (data and error flag), the filter double buffer, the
//! bank mask and all counters. It models the machine at the level the spec defines it: 4-word
//! FIFOs on every port, one access per bank and cycle, the round-robin conflict winner, reads
//! issued only while fewer than 4 responses are outstanding, responses one cycle after the
//! read. SRAM contents start at zero and, as in the hardware, survive `rst`.

use crate::harness::Dut;
use crate::verilated::glb::{inp, out};
use edgertl_hdl::glb::{bank_addr_bits, GlbConfig};

/// A 4-word FIFO as the hardware builds it: a slot ring whose head slot is visible even when
/// empty (the response data ports show it), all slots cleared by reset.
#[derive(Clone, Debug, Default)]
struct Ring<T: Copy + Default> {
    slots: [T; 4],
    wptr: usize,
    rptr: usize,
    count: usize,
}

impl<T: Copy + Default> Ring<T> {
    fn ready(&self) -> bool {
        self.count < 4
    }
    fn valid(&self) -> bool {
        self.count > 0
    }
    fn head(&self) -> T {
        self.slots[self.rptr]
    }
    /// One clock edge: push when offered and not full, pop when taken and not empty.
    fn step(&mut self, push: Option<T>, pop: bool) {
        let push = push.filter(|_| self.ready());
        let pop = pop && self.valid();
        if let Some(v) = push {
            self.slots[self.wptr] = v;
            self.wptr = (self.wptr + 1) % 4;
        }
        if pop {
            self.rptr = (self.rptr + 1) % 4;
        }
        self.count = self.count + push.is_some() as usize - pop as usize;
    }
}

/// A request header: bank, word, psum (true) or ifmap traffic.
#[derive(Clone, Copy, Debug, Default)]
struct Req {
    bank: usize,
    addr: usize,
    psum: bool,
}

/// Everything `rst` clears.
#[derive(Clone, Debug, Default)]
struct Regs {
    mask: u64,
    active: bool,
    prio_rd: bool,
    rd_out: u32,
    fr_out: u32,
    s1_valid: bool,
    s1_err: bool,
    s1_bank: usize,
    fs1_valid: bool,
    fs1_bank: usize,
    wr_hdr: Ring<Req>,
    /// Data and lane mask.
    wr_data: Ring<(u64, u64)>,
    rd_hdr: Ring<Req>,
    rd_resp: Ring<u64>,
    rd_err: Ring<bool>,
    fw_hdr: Ring<usize>,
    fw_data: Ring<(u64, u64)>,
    fr_hdr: Ring<usize>,
    fr_resp: Ring<u64>,
    reads: Vec<u32>,
    writes: Vec<u32>,
    sel_reads: u32,
    sel_writes: u32,
    filt_reads: u32,
    filt_writes: u32,
    conflicts: u32,
    stalls: u32,
    bad: u32,
}

/// The global buffer, cycle by cycle.
#[derive(Clone, Debug)]
pub struct GlbModel {
    hw: GlbConfig,
    /// Ifmap/psum banks, then their read registers (an SRAM's output holds until the next read).
    banks: Vec<Vec<u64>>,
    rdata: Vec<u64>,
    filt: [Vec<u64>; 2],
    filt_rdata: [u64; 2],
    r: Regs,
}

/// Writes the lanes of `(data, lane mask)` into `word`.
fn merge(word: &mut u64, (data, lanes): (u64, u64)) {
    for k in 0..4 {
        if lanes >> k & 1 != 0 {
            let lane = 0xffffu64 << (16 * k);
            *word = (*word & !lane) | (data & lane);
        }
    }
}

fn mask(bits: u32) -> u64 {
    if bits >= 64 { u64::MAX } else { (1 << bits) - 1 }
}

impl GlbModel {
    /// A GLB fresh out of reset, its SRAMs zero.
    pub fn new(hw: &GlbConfig) -> Self {
        hw.validate().expect("a valid GLB configuration");
        let (nb, words) = (hw.banks as usize, hw.words_per_bank as usize);
        Self {
            hw: hw.clone(),
            banks: vec![vec![0; words]; nb],
            rdata: vec![0; nb],
            filt: [vec![0; words], vec![0; words]],
            filt_rdata: [0; 2],
            r: Regs { reads: vec![0; nb], writes: vec![0; nb], ..Default::default() },
        }
    }

    /// The word bank `bank` holds at `addr` (for tests).
    pub fn peek(&self, bank: usize, addr: usize) -> u64 {
        self.banks[bank][addr]
    }

    fn outputs(&self, o: &mut [u64]) {
        let r = &self.r;
        o[out::PSUM_BANKS] = r.mask;
        o[out::WR_READY] = r.wr_hdr.ready() as u64;
        o[out::RD_READY] = r.rd_hdr.ready() as u64;
        o[out::RD_RESP_VALID] = r.rd_resp.valid() as u64;
        o[out::RD_RESP_DATA] = r.rd_resp.head();
        o[out::RD_RESP_ERR] = r.rd_err.head() as u64;
        o[out::FILT_WR_READY] = r.fw_hdr.ready() as u64;
        o[out::FILT_RD_READY] = r.fr_hdr.ready() as u64;
        o[out::FILT_RD_RESP_VALID] = r.fr_resp.valid() as u64;
        o[out::FILT_RD_RESP_DATA] = r.fr_resp.head();
        o[out::FILT_SWAP_READY] = (!r.fw_hdr.valid() && !r.fr_hdr.valid()) as u64;
        o[out::FILT_ACTIVE] = r.active as u64;
        o[out::BANK_READS] = r.sel_reads as u64;
        o[out::BANK_WRITES] = r.sel_writes as u64;
        o[out::FILT_READS] = r.filt_reads as u64;
        o[out::FILT_WRITES] = r.filt_writes as u64;
        o[out::BANK_CONFLICTS] = r.conflicts as u64;
        o[out::STALL_CYCLES] = r.stalls as u64;
        o[out::BAD_ACCESSES] = r.bad as u64;
        o[out::QUIET] = (!r.wr_hdr.valid() && !r.rd_hdr.valid() && !r.fw_hdr.valid() && !r.fr_hdr.valid() && r.rd_out == 0 && r.fr_out == 0) as u64;
    }
}

impl Dut for GlbModel {
    fn tick(&mut self, i: &[u64], o: &mut [u64]) {
        let nb = self.hw.banks as usize;
        let ba = bank_addr_bits(self.hw.banks);
        let wa = self.hw.word_addr_bits();
        let bank_of = |v: u64| (v & mask(ba)) as usize;
        let addr_of = |v: u64| (v & mask(wa)) as usize;
        let bit = |k: usize| i[k] & 1 != 0;
        let r = &mut self.r;

        // The heads and the kind check against the mask in force.
        let (wv, wh, wd) = (r.wr_hdr.valid(), r.wr_hdr.head(), r.wr_data.head());
        let (rv, rh) = (r.rd_hdr.valid(), r.rd_hdr.head());
        let ok = |q: &Req| q.bank < nb && ((r.mask >> q.bank) & 1 == 1) == q.psum;
        let (wr_ok, rd_ok) = (ok(&wh), ok(&rh));
        let rd_can = rv && r.rd_out < 4;
        let conflict = wv && wr_ok && rd_can && rd_ok && wh.bank == rh.bank;
        // On a conflict the round robin's favourite goes, the other stalls.
        let wr_go = wv && (!conflict || !r.prio_rd);
        let rd_go = rd_can && (!conflict || r.prio_rd);
        let (wr_bad, rd_bad) = (wr_go && !wr_ok, rd_go && !rd_ok);
        let fw_go = r.fw_hdr.valid();
        let fr_go = r.fr_hdr.valid() && r.fr_out < 4;
        let swap_go = bit(inp::FILT_SWAP_VALID) && !r.fw_hdr.valid() && !r.fr_hdr.valid();
        let stall = (wv && !wr_go) || (rv && !rd_go) || (r.fr_hdr.valid() && !fr_go);

        // Responses of last cycle's reads, from the SRAM outputs as they were.
        let rd_resp_push = r.s1_valid.then(|| if r.s1_err { 0 } else { self.rdata.get(r.s1_bank).copied().unwrap_or(self.rdata[0]) });
        let fr_resp_push = r.fs1_valid.then(|| self.filt_rdata[r.fs1_bank]);
        let sel = bank_of(i[inp::CNT_SEL]);
        let (sel_reads, sel_writes) = if sel < nb { (r.reads[sel], r.writes[sel]) } else { (0, 0) };

        // The SRAMs (they act even in a reset cycle: reset clears registers, not memories).
        if rd_go && rd_ok {
            self.rdata[rh.bank] = self.banks[rh.bank][rh.addr];
            r.reads[rh.bank] = r.reads[rh.bank].wrapping_add(1);
        }
        if wr_go && wr_ok {
            merge(&mut self.banks[wh.bank][wh.addr], wd);
            r.writes[wh.bank] = r.writes[wh.bank].wrapping_add(1);
        }
        let (active, loading) = (r.active as usize, !r.active as usize);
        if fr_go {
            self.filt_rdata[active] = self.filt[active][r.fr_hdr.head()];
            r.filt_reads = r.filt_reads.wrapping_add(1);
        }
        if fw_go {
            merge(&mut self.filt[loading][r.fw_hdr.head()], r.fw_data.head());
            r.filt_writes = r.filt_writes.wrapping_add(1);
        }

        if bit(inp::RST) {
            *r = Regs { reads: vec![0; nb], writes: vec![0; nb], ..Default::default() };
        } else {
            let rd_pop = bit(inp::RD_RESP_READY) && r.rd_resp.valid();
            let fr_pop = bit(inp::FILT_RD_RESP_READY) && r.fr_resp.valid();
            r.rd_out = r.rd_out + rd_go as u32 - rd_pop as u32;
            r.fr_out = r.fr_out + fr_go as u32 - fr_pop as u32;
            let wr = bit(inp::WR_VALID).then(|| {
                (Req { bank: bank_of(i[inp::WR_BANK]), addr: addr_of(i[inp::WR_ADDR]), psum: bit(inp::WR_PSUM) }, (i[inp::WR_DATA], i[inp::WR_MASK]))
            });
            r.wr_hdr.step(wr.map(|w| w.0), wr_go);
            r.wr_data.step(wr.map(|w| w.1), wr_go);
            let rd = bit(inp::RD_VALID)
                .then(|| Req { bank: bank_of(i[inp::RD_BANK]), addr: addr_of(i[inp::RD_ADDR]), psum: bit(inp::RD_PSUM) });
            r.rd_hdr.step(rd, rd_go);
            r.rd_resp.step(rd_resp_push, bit(inp::RD_RESP_READY));
            r.rd_err.step(rd_resp_push.map(|_| r.s1_err), bit(inp::RD_RESP_READY));
            let fw = bit(inp::FILT_WR_VALID);
            r.fw_hdr.step(fw.then(|| addr_of(i[inp::FILT_WR_ADDR])), fw_go);
            r.fw_data.step(fw.then_some((i[inp::FILT_WR_DATA], i[inp::FILT_WR_MASK])), fw_go);
            r.fr_hdr.step(bit(inp::FILT_RD_VALID).then(|| addr_of(i[inp::FILT_RD_ADDR])), fr_go);
            r.fr_resp.step(fr_resp_push, bit(inp::FILT_RD_RESP_READY));
            r.s1_valid = rd_go;
            r.s1_err = !rd_ok;
            r.s1_bank = rh.bank;
            r.fs1_valid = fr_go;
            r.fs1_bank = active;
            if swap_go {
                r.active = !r.active;
            }
            if conflict {
                r.prio_rd = !r.prio_rd;
                r.conflicts = r.conflicts.wrapping_add(1);
            }
            if stall {
                r.stalls = r.stalls.wrapping_add(1);
            }
            r.bad = r.bad.wrapping_add(wr_bad as u32 + rd_bad as u32);
            r.sel_reads = sel_reads;
            r.sel_writes = sel_writes;
            if bit(inp::CFG_VALID) {
                r.mask = i[inp::CFG_PSUM_BANKS] & mask(self.hw.banks);
            }
        }
        self.outputs(o);
    }
}
