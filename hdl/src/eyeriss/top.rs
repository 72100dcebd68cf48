//! The `eyeriss` unit's top: the global buffer, the PE array and the controller's engines,
//! wired as the module docs of [`super`] describe.

use super::ctrl::Sequencer;
use super::drain::DrainEngine;
use super::feed::FeedEngine;
use super::link::DramLink;
use super::xfer::{LoadEngine, StoreEngine};
use crate::array::{ArrayConfig, EyerissArray};
use crate::glb::Glb;
use crate::widgets::{Fifo, Reg};
use rust_hdl::prelude::*;

/// Counters of the top's own (the rest of the counter map reads children's counters).
const OWN_COUNTERS: usize = 16;
/// Performance counters (cycles), at `cnt_sel` 32 and up.
const PERF_COUNTERS: usize = 8;

/// The accelerator: `NB` GLB banks of `DEPTH` (= 2^`WA`) 64-bit words, `BA` bank-index bits.
#[derive(LogicBlock)]
pub struct Eyeriss<const NB: usize, const BA: usize, const WA: usize, const DEPTH: usize> {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    /// Run the program at DRAM beat `prog_beat`.
    pub go: Signal<In, Bit>,
    pub prog_beat: Signal<In, Bits<30>>,
    pub busy: Signal<Out, Bit>,
    pub done: Signal<Out, Bit>,
    pub error: Signal<Out, Bit>,
    /// Program words executed.
    pub words: Signal<Out, Bits<32>>,
    /// Sticky faults: 0 a GLB access refused, 1 the array refused a pass, 2 a psum from an
    /// unknown PE, 3 a feed tag out of range, 4 a coded load's stream is malformed (the run
    /// stops with `error`; counter 31 says which stream and why).
    pub fault: Signal<Out, Bits<5>>,
    /// The DRAM port.
    pub dram_req_valid: Signal<Out, Bit>,
    pub dram_req_ready: Signal<In, Bit>,
    pub dram_req_write: Signal<Out, Bit>,
    pub dram_req_beat: Signal<Out, Bits<30>>,
    pub dram_req_data: Signal<Out, Bits<64>>,
    pub dram_req_mask: Signal<Out, Bits<4>>,
    pub dram_resp_valid: Signal<In, Bit>,
    pub dram_resp_ready: Signal<Out, Bit>,
    pub dram_resp_data: Signal<In, Bits<64>>,
    /// Counter `cnt_sel`'s value, one edge later.
    pub cnt_sel: Signal<In, Bits<6>>,
    pub cnt_value: Signal<Out, Bits<32>>,
    /// PE (`sel_row`, `sel_col`)'s counters, two edges later (the array's select port).
    pub sel_row: Signal<In, Bits<4>>,
    pub sel_col: Signal<In, Bits<4>>,
    pub sel_macs: Signal<Out, Bits<32>>,
    pub sel_macs_gated: Signal<Out, Bits<32>>,
    pub sel_filt_spad_reads: Signal<Out, Bits<32>>,
    pub sel_filt_spad_writes: Signal<Out, Bits<32>>,
    pub sel_ifmap_spad_reads: Signal<Out, Bits<32>>,
    pub sel_ifmap_spad_writes: Signal<Out, Bits<32>>,
    pub sel_psum_spad_reads: Signal<Out, Bits<32>>,
    pub sel_psum_spad_writes: Signal<Out, Bits<32>>,
    /// GLB bank `bank_sel`'s reads and writes (64-bit words), one edge later.
    pub bank_sel: Signal<In, Bits<BA>>,
    pub bank_reads: Signal<Out, Bits<32>>,
    pub bank_writes: Signal<Out, Bits<32>>,
    /// The GLB's psum bank mask and active filter bank.
    pub psum_banks: Signal<Out, Bits<NB>>,
    pub filt_active: Signal<Out, Bit>,

    seq: Sequencer,
    link: DramLink,
    load: LoadEngine,
    store: StoreEngine,
    feed_f: FeedEngine,
    feed_i: FeedEngine,
    feed_p: FeedEngine,
    drain: DrainEngine,
    array: EyerissArray,
    glb: Glb<NB, BA, WA, DEPTH>,
    /// Per GLB read in flight: who asked (bits 0-1: 0 the store, 1 the ifmap feed, 2 the psum
    /// feed) and the word's lane (bits 2-3).
    rd_tags: Fifo<Bits<4>>,
    /// Each reader's responses, so that one reader's back-pressure never holds another's.
    resp_st: Fifo<Bits<16>>,
    resp_fi: Fifo<Bits<16>>,
    resp_fp: Fifo<Bits<16>>,
    /// The lane of each filter read in flight.
    filt_lanes: Fifo<Bits<2>>,
    /// The psum feed was granted the read port last (round robin between the two feeds).
    fp_last: Reg<Bit>,
    /// A load or store started and may still be moving words.
    xfer_on: Reg<Bit>,
    /// Cycles (up to 15) since a PE was busy or a psum was on the output network.
    calm: Reg<Bits<4>>,
    cfg_fault: Reg<Bit>,
    rd_fault: Reg<Bit>,
    rlc_fault: Reg<Bit>,
    own: Vec<Reg<Bits<32>>>,
    perf: Vec<Reg<Bits<32>>>,
    pinc: Vec<Signal<Local, Bit>>,
    max_active: Reg<Bits<8>>,
    cnt_q: Reg<Bits<32>>,
    // Combinational.
    wr_act: Signal<Local, Bit>,
    st_act: Signal<Local, Bit>,
    quiet: Signal<Local, Bit>,
    settled: Signal<Local, Bit>,
    idle_b: Vec<Signal<Local, Bits<1>>>,
    idle_v: Signal<Local, Bits<9>>,
    inc: Vec<Signal<Local, Bit>>,
    g_st: Signal<Local, Bit>,
    g_fi: Signal<Local, Bit>,
    g_fp: Signal<Local, Bit>,
    can_rd: Signal<Local, Bit>,
    rd_go: Signal<Local, Bit>,
    rd_a: Signal<Local, Bits<32>>,
    rd_sh: Signal<Local, Bits<32>>,
    w_sh: Signal<Local, Bits<32>>,
    rd_who: Signal<Local, Bits<2>>,
    resp_who: Signal<Local, Bits<2>>,
    resp_lane: Signal<Local, Bits<2>>,
    resp_word: Signal<Local, Bits<16>>,
    resp_take: Signal<Local, Bit>,
    filt_lane: Signal<Local, Bits<2>>,
    dr_w: Signal<Local, Bit>,
    ld_glb: Signal<Local, Bit>,
    ld_go: Signal<Local, Bit>,
    st_go: Signal<Local, Bit>,
    w_a: Signal<Local, Bits<32>>,
    w_d: Signal<Local, Bits<16>>,
    w_mask: Signal<Local, Bits<4>>,
    lw_mask: Signal<Local, Bits<4>>,
    w_d64: Signal<Local, Bits<64>>,
    lw_d64: Signal<Local, Bits<64>>,
    fault_b: Vec<Signal<Local, Bits<1>>>,
    rd_lane: Signal<Local, Bits<2>>,
    rlc_trunc_b: Signal<Local, Bits<1>>,
    rlc_beat: Signal<Local, Bits<29>>,
    unused_rlc_beat: Signal<Local, Bits<30>>,
    w_lane: Signal<Local, Bits<2>>,
    lw_lane: Signal<Local, Bits<2>>,
    unused_fa: Signal<Local, Bits<32>>,
    unused_rd_sh: Signal<Local, Bits<32>>,
    unused_w_sh: Signal<Local, Bits<32>>,
    unused_fcol: Signal<Local, Bits<5>>,
    unused_pcol: Signal<Local, Bits<5>>,
    /// `WA + 2`: where a 16-bit word address's bank index starts.
    bank_at: Constant<Bits<32>>,
}

impl<const NB: usize, const BA: usize, const WA: usize, const DEPTH: usize> Eyeriss<NB, BA, WA, DEPTH> {
    pub(crate) fn new(array: &ArrayConfig) -> Self {
        let (rows, cols) = (array.rows as usize, array.cols as usize);
        Self {
            clk: Default::default(),
            rst: Default::default(),
            go: Default::default(),
            prog_beat: Default::default(),
            busy: Default::default(),
            done: Default::default(),
            error: Default::default(),
            words: Default::default(),
            fault: Default::default(),
            dram_req_valid: Default::default(),
            dram_req_ready: Default::default(),
            dram_req_write: Default::default(),
            dram_req_beat: Default::default(),
            dram_req_data: Default::default(),
            dram_req_mask: Default::default(),
            dram_resp_valid: Default::default(),
            dram_resp_ready: Default::default(),
            dram_resp_data: Default::default(),
            cnt_sel: Default::default(),
            cnt_value: Default::default(),
            sel_row: Default::default(),
            sel_col: Default::default(),
            sel_macs: Default::default(),
            sel_macs_gated: Default::default(),
            sel_filt_spad_reads: Default::default(),
            sel_filt_spad_writes: Default::default(),
            sel_ifmap_spad_reads: Default::default(),
            sel_ifmap_spad_writes: Default::default(),
            sel_psum_spad_reads: Default::default(),
            sel_psum_spad_writes: Default::default(),
            bank_sel: Default::default(),
            bank_reads: Default::default(),
            bank_writes: Default::default(),
            psum_banks: Default::default(),
            filt_active: Default::default(),
            seq: Default::default(),
            link: Default::default(),
            load: Default::default(),
            store: Default::default(),
            feed_f: Default::default(),
            feed_i: Default::default(),
            feed_p: Default::default(),
            drain: DrainEngine::new(rows, cols),
            array: EyerissArray::new(array),
            glb: Glb::new(),
            rd_tags: Default::default(),
            resp_st: Default::default(),
            resp_fi: Default::default(),
            resp_fp: Default::default(),
            filt_lanes: Default::default(),
            fp_last: Default::default(),
            xfer_on: Default::default(),
            calm: Default::default(),
            cfg_fault: Default::default(),
            rd_fault: Default::default(),
            rlc_fault: Default::default(),
            own: (0..OWN_COUNTERS).map(|_| Default::default()).collect(),
            perf: (0..PERF_COUNTERS).map(|_| Default::default()).collect(),
            pinc: (0..PERF_COUNTERS).map(|_| Default::default()).collect(),
            max_active: Default::default(),
            cnt_q: Default::default(),
            wr_act: Default::default(),
            st_act: Default::default(),
            quiet: Default::default(),
            settled: Default::default(),
            idle_b: (0..9).map(|_| Default::default()).collect(),
            idle_v: Default::default(),
            inc: (0..OWN_COUNTERS).map(|_| Default::default()).collect(),
            g_st: Default::default(),
            g_fi: Default::default(),
            g_fp: Default::default(),
            can_rd: Default::default(),
            rd_go: Default::default(),
            rd_a: Default::default(),
            rd_sh: Default::default(),
            w_sh: Default::default(),
            rd_who: Default::default(),
            resp_who: Default::default(),
            resp_lane: Default::default(),
            resp_word: Default::default(),
            resp_take: Default::default(),
            filt_lane: Default::default(),
            dr_w: Default::default(),
            ld_glb: Default::default(),
            ld_go: Default::default(),
            st_go: Default::default(),
            w_a: Default::default(),
            w_d: Default::default(),
            w_mask: Default::default(),
            lw_mask: Default::default(),
            w_d64: Default::default(),
            lw_d64: Default::default(),
            fault_b: (0..5).map(|_| Default::default()).collect(),
            rd_lane: Default::default(),
            rlc_trunc_b: Default::default(),
            rlc_beat: Default::default(),
            unused_rlc_beat: Default::default(),
            w_lane: Default::default(),
            lw_lane: Default::default(),
            unused_fa: Default::default(),
            unused_rd_sh: Default::default(),
            unused_w_sh: Default::default(),
            unused_fcol: Default::default(),
            unused_pcol: Default::default(),
            bank_at: Constant::new(bits((WA + 2) as u64)),
        }
    }

    /// The accelerator of this shape, connected and ready to emit or simulate.
    pub(crate) fn built(array: &ArrayConfig) -> Self {
        let mut uut = Self::new(array);
        uut.connect_all();
        uut
    }
}

impl<const NB: usize, const BA: usize, const WA: usize, const DEPTH: usize> Logic for Eyeriss<NB, BA, WA, DEPTH> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clk, fp_last, xfer_on, calm, cfg_fault, rd_fault, rlc_fault, max_active, cnt_q);
        self.fp_last.rst.next = self.rst.val();
        self.xfer_on.rst.next = self.rst.val();
        self.calm.rst.next = self.rst.val();
        self.cfg_fault.rst.next = self.rst.val();
        self.rd_fault.rst.next = self.rst.val();
        self.rlc_fault.rst.next = self.rst.val();
        self.max_active.rst.next = self.rst.val();
        self.cnt_q.rst.next = self.rst.val();
        for i in 0..self.own.len() {
            self.own[i].clock.next = self.clk.val();
            self.own[i].rst.next = self.rst.val();
            self.own[i].d.next = self.own[i].q.val();
        }
        for i in 0..self.perf.len() {
            self.perf[i].clock.next = self.clk.val();
            self.perf[i].rst.next = self.rst.val();
            self.perf[i].d.next = self.perf[i].q.val();
        }
        // Clock and reset of every child.
        self.seq.clk.next = self.clk.val();
        self.seq.rst.next = self.rst.val();
        self.link.clk.next = self.clk.val();
        self.link.rst.next = self.rst.val();
        self.load.clk.next = self.clk.val();
        self.load.rst.next = self.rst.val();
        self.store.clk.next = self.clk.val();
        self.store.rst.next = self.rst.val();
        self.feed_f.clk.next = self.clk.val();
        self.feed_f.rst.next = self.rst.val();
        self.feed_i.clk.next = self.clk.val();
        self.feed_i.rst.next = self.rst.val();
        self.feed_p.clk.next = self.clk.val();
        self.feed_p.rst.next = self.rst.val();
        self.drain.clk.next = self.clk.val();
        self.drain.rst.next = self.rst.val();
        self.array.clk.next = self.clk.val();
        self.array.rst.next = self.rst.val();
        self.glb.clk.next = self.clk.val();
        self.glb.rst.next = self.rst.val();
        self.rd_tags.clk.next = self.clk.val();
        self.rd_tags.rst.next = self.rst.val();
        self.resp_st.clk.next = self.clk.val();
        self.resp_st.rst.next = self.rst.val();
        self.resp_fi.clk.next = self.clk.val();
        self.resp_fi.rst.next = self.rst.val();
        self.resp_fp.clk.next = self.clk.val();
        self.resp_fp.rst.next = self.rst.val();
        self.filt_lanes.clk.next = self.clk.val();
        self.filt_lanes.rst.next = self.rst.val();

        // The sequencer and its run.
        self.seq.go.next = self.go.val();
        self.seq.prog_beat.next = self.prog_beat.val();
        self.busy.next = self.seq.busy.val();
        self.done.next = self.seq.done.val();
        self.error.next = self.seq.error.val();
        self.words.next = self.seq.words.val();

        // Each engine's idle bit as the sequencer sees it. Loads and stores run alone (every
        // engine idle, the array idle, the GLB empty), and the feeds wait for them: the program
        // moves data in and out between passes, and a pass reads what the loads wrote.
        // A PE's `busy` falls when it has issued its last MAC, a few cycles before that MAC's
        // psum leaves it: the array counts as settled once neither a busy PE nor a psum on the
        // output network has been seen for 15 cycles (the PE's pipeline, its output FIFO and
        // the output network register are 8; a psum waiting for the network keeps `out_valid`
        // or another PE's psum high).
        if self.array.busy.val() | self.array.out_valid.val() {
            self.calm.d.next = 0.into();
        } else if self.calm.q.val() != 15 {
            self.calm.d.next = self.calm.q.val() + 1;
        }
        self.settled.next = (self.calm.q.val() == 15) & !self.array.busy.val() & !self.array.out_valid.val();
        self.quiet.next = self.load.idle.val()
            & self.store.idle.val()
            & self.feed_f.idle.val()
            & self.feed_i.idle.val()
            & self.feed_p.idle.val()
            & self.settled.val()
            & self.glb.quiet.val();
        for t in 0..9 {
            self.idle_b[t].next = 0.into();
        }
        if self.quiet.val() & self.glb.filt_swap_ready.val() {
            self.idle_b[0].next = 1.into();
        }
        if self.quiet.val() {
            self.idle_b[1].next = 1.into();
            self.idle_b[2].next = 1.into();
        }
        if self.feed_f.idle.val() & !self.xfer_on.q.val() {
            self.idle_b[3].next = 1.into();
        }
        if self.feed_i.idle.val() & !self.xfer_on.q.val() {
            self.idle_b[4].next = 1.into();
        }
        if self.feed_p.idle.val() & !self.xfer_on.q.val() {
            self.idle_b[5].next = 1.into();
        }
        // Drain pointers come after their pass's configuration and before its feeds: no psum
        // moves then.
        self.idle_b[6].next = 1.into();
        if self.settled.val() {
            self.idle_b[7].next = 1.into();
        }
        if self.array.pass_ready.val() {
            self.idle_b[8].next = 1.into();
        }
        self.idle_v.next = bit_cast::<9, 1>(self.idle_b[0].val())
            | (bit_cast::<9, 1>(self.idle_b[1].val()) << 1)
            | (bit_cast::<9, 1>(self.idle_b[2].val()) << 2)
            | (bit_cast::<9, 1>(self.idle_b[3].val()) << 3)
            | (bit_cast::<9, 1>(self.idle_b[4].val()) << 4)
            | (bit_cast::<9, 1>(self.idle_b[5].val()) << 5)
            | (bit_cast::<9, 1>(self.idle_b[6].val()) << 6)
            | (bit_cast::<9, 1>(self.idle_b[7].val()) << 7)
            | (bit_cast::<9, 1>(self.idle_b[8].val()) << 8);
        self.seq.idle.next = self.idle_v.val();

        // The sequencer's actions, decoded by target.
        self.wr_act.next = self.seq.act_valid.val() & !self.seq.act_start.val();
        self.st_act.next = self.seq.act_valid.val() & self.seq.act_start.val();
        self.load.cfg_we.next = self.wr_act.val() & (self.seq.act_target.val() == 1);
        self.load.start.next = self.st_act.val() & (self.seq.act_target.val() == 1);
        self.load.cfg_addr.next = self.seq.act_addr.val().get_bits::<7>(0);
        self.load.cfg_data.next = self.seq.act_data.val();
        self.store.cfg_we.next = self.wr_act.val() & (self.seq.act_target.val() == 2);
        self.store.start.next = self.st_act.val() & (self.seq.act_target.val() == 2);
        self.store.cfg_addr.next = self.seq.act_addr.val().get_bits::<7>(0);
        self.store.cfg_data.next = self.seq.act_data.val();
        self.feed_f.cfg_we.next = self.wr_act.val() & (self.seq.act_target.val() == 3);
        self.feed_f.start.next = self.st_act.val() & (self.seq.act_target.val() == 3);
        self.feed_f.cfg_addr.next = self.seq.act_addr.val().get_bits::<7>(0);
        self.feed_f.cfg_data.next = self.seq.act_data.val();
        self.feed_i.cfg_we.next = self.wr_act.val() & (self.seq.act_target.val() == 4);
        self.feed_i.start.next = self.st_act.val() & (self.seq.act_target.val() == 4);
        self.feed_i.cfg_addr.next = self.seq.act_addr.val().get_bits::<7>(0);
        self.feed_i.cfg_data.next = self.seq.act_data.val();
        self.feed_p.cfg_we.next = self.wr_act.val() & (self.seq.act_target.val() == 5);
        self.feed_p.start.next = self.st_act.val() & (self.seq.act_target.val() == 5);
        self.feed_p.cfg_addr.next = self.seq.act_addr.val().get_bits::<7>(0);
        self.feed_p.cfg_data.next = self.seq.act_data.val();
        self.drain.ptr_we.next = self.wr_act.val() & (self.seq.act_target.val() == 6);
        self.drain.ptr_row.next = self.seq.act_addr.val().get_bits::<4>(4);
        self.drain.ptr_col.next = self.seq.act_addr.val().get_bits::<4>(0);
        self.drain.ptr_addr.next = self.seq.act_data.val().get_bits::<16>(0);
        self.array.id_valid.next = self.wr_act.val() & (self.seq.act_target.val() == 7);
        self.array.id_kind.next = self.seq.act_addr.val().get_bit(8);
        self.array.id_row.next = self.seq.act_addr.val().get_bits::<4>(4);
        if self.seq.act_addr.val().get_bit(8) {
            self.array.id_row.next = self.seq.act_addr.val().get_bits::<4>(0);
        }
        self.array.id_col.next = self.seq.act_addr.val().get_bits::<4>(0);
        self.array.id_data.next = self.seq.act_data.val().get_bits::<16>(0);
        self.array.pass_valid.next = self.st_act.val() & (self.seq.act_target.val() == 8);
        self.array.pass_s.next = self.seq.act_data.val().get_bits::<4>(0);
        self.array.pass_u.next = self.seq.act_data.val().get_bits::<4>(4);
        self.array.pass_p.next = self.seq.act_data.val().get_bits::<5>(8);
        self.array.pass_q.next = self.seq.act_data.val().get_bits::<4>(13);
        self.array.pass_e.next = self.seq.act_data.val().get_bits::<8>(17);
        self.array.pass_shift.next = self.seq.act_data.val().get_bits::<5>(25);
        // The controller's own registers: 0 the psum bank mask, 1 swap the filter banks.
        self.glb.cfg_valid.next = self.wr_act.val() & (self.seq.act_target.val() == 0) & (self.seq.act_addr.val() == 0);
        self.glb.cfg_psum_banks.next = self.seq.act_data.val().get_bits::<NB>(0);
        self.glb.filt_swap_valid.next = self.wr_act.val() & (self.seq.act_target.val() == 0) & (self.seq.act_addr.val() == 1);
        // A transfer is on from its start until both engines are idle and the GLB is empty.
        if self.load.idle.val() & self.store.idle.val() & self.glb.quiet.val() {
            self.xfer_on.d.next = false;
        }
        if self.load.start.val() | self.store.start.val() {
            self.xfer_on.d.next = true;
        }

        // The DRAM link: the sequencer's and the load engine's reads, the store's writes.
        self.link.seq_rd_valid.next = self.seq.mem_rd_valid.val();
        self.seq.mem_rd_ready.next = self.link.seq_rd_ready.val();
        self.link.seq_rd_beat.next = self.seq.mem_rd_beat.val();
        self.seq.mem_resp_valid.next = self.link.seq_resp_valid.val();
        self.link.seq_resp_ready.next = self.seq.mem_resp_ready.val();
        self.seq.mem_resp_data.next = self.link.resp_data.val();
        self.link.ld_rd_valid.next = self.load.mem_rd_valid.val();
        self.load.mem_rd_ready.next = self.link.ld_rd_ready.val();
        self.link.ld_rd_beat.next = self.load.mem_rd_beat.val();
        self.load.mem_resp_valid.next = self.link.ld_resp_valid.val();
        self.link.ld_resp_ready.next = self.load.mem_resp_ready.val();
        self.load.mem_resp_data.next = self.link.resp_data.val();
        self.link.st_wr_valid.next = self.store.mem_wr_valid.val();
        self.store.mem_wr_ready.next = self.link.st_wr_ready.val();
        self.link.st_wr_beat.next = self.store.mem_wr_beat.val();
        self.link.st_wr_data.next = self.store.mem_wr_data.val();
        self.link.st_wr_mask.next = self.store.mem_wr_mask.val();
        self.dram_req_valid.next = self.link.dram_req_valid.val();
        self.link.dram_req_ready.next = self.dram_req_ready.val();
        self.dram_req_write.next = self.link.dram_req_write.val();
        self.dram_req_beat.next = self.link.dram_req_beat.val();
        self.dram_req_data.next = self.link.dram_req_data.val();
        self.dram_req_mask.next = self.link.dram_req_mask.val();
        self.link.dram_resp_valid.next = self.dram_resp_valid.val();
        self.dram_resp_ready.next = self.link.dram_resp_ready.val();
        self.link.dram_resp_data.next = self.dram_resp_data.val();

        // The GLB's read port: the store and the ifmap and psum feeds (the feeds by turns, the
        // store when neither asks). At most 4 reads in flight, each answered into its reader's
        // own FIFO, which has room for it: a reader has at most 4 words in flight.
        self.g_fi.next = false;
        self.g_fp.next = false;
        self.g_st.next = false;
        if self.feed_i.rd_valid.val() & self.feed_p.rd_valid.val() {
            if self.fp_last.q.val() {
                self.g_fi.next = true;
            } else {
                self.g_fp.next = true;
            }
        } else if self.feed_i.rd_valid.val() {
            self.g_fi.next = true;
        } else if self.feed_p.rd_valid.val() {
            self.g_fp.next = true;
        } else if self.store.rd_valid.val() {
            self.g_st.next = true;
        }
        self.rd_a.next = self.store.rd_addr.val();
        self.rd_who.next = 0.into();
        if self.g_fi.val() {
            self.rd_a.next = self.feed_i.rd_addr.val();
            self.rd_who.next = 1.into();
        }
        if self.g_fp.val() {
            self.rd_a.next = self.feed_p.rd_addr.val();
            self.rd_who.next = 2.into();
        }
        self.can_rd.next = self.glb.rd_ready.val() & self.rd_tags.in_ready.val();
        self.rd_go.next = self.can_rd.val() & (self.g_fi.val() | self.g_fp.val() | self.g_st.val());
        self.glb.rd_valid.next = (self.g_fi.val() | self.g_fp.val() | self.g_st.val()) & self.rd_tags.in_ready.val();
        self.glb.rd_addr.next = self.rd_a.val().get_bits::<WA>(2);
        self.rd_sh.next = self.rd_a.val() >> self.bank_at.val();
        self.glb.rd_bank.next = self.rd_sh.val().get_bits::<BA>(0);
        self.unused_rd_sh.next = self.rd_sh.val();
        self.glb.rd_psum.next = self.g_fp.val() | (self.g_st.val() & (self.store.kind.val() == 2));
        self.feed_i.rd_ready.next = self.g_fi.val() & self.can_rd.val();
        self.feed_p.rd_ready.next = self.g_fp.val() & self.can_rd.val();
        self.store.rd_ready.next = self.g_st.val() & self.can_rd.val();
        if self.rd_go.val() & (self.g_fi.val() | self.g_fp.val()) {
            self.fp_last.d.next = self.g_fp.val();
        }
        self.rd_tags.in_valid.next = self.rd_go.val();
        self.rd_lane.next = self.rd_a.val().get_bits::<2>(0);
        self.rd_tags.in_data.next = bit_cast::<4, 2>(self.rd_who.val()) | (bit_cast::<4, 2>(self.rd_lane.val()) << 2);
        // Responses: the tag FIFO's head says whose and which lane.
        self.resp_who.next = self.rd_tags.out_data.val().get_bits::<2>(0);
        self.resp_lane.next = self.rd_tags.out_data.val().get_bits::<2>(2);
        self.resp_word.next = self.glb.rd_resp_data.val().get_bits::<16>(0);
        if self.resp_lane.val() == 1 {
            self.resp_word.next = self.glb.rd_resp_data.val().get_bits::<16>(16);
        }
        if self.resp_lane.val() == 2 {
            self.resp_word.next = self.glb.rd_resp_data.val().get_bits::<16>(32);
        }
        if self.resp_lane.val() == 3 {
            self.resp_word.next = self.glb.rd_resp_data.val().get_bits::<16>(48);
        }
        self.glb.rd_resp_ready.next = ((self.resp_who.val() == 0) & self.resp_st.in_ready.val())
            | ((self.resp_who.val() == 1) & self.resp_fi.in_ready.val())
            | ((self.resp_who.val() == 2) & self.resp_fp.in_ready.val());
        self.resp_take.next = self.glb.rd_resp_valid.val() & self.rd_tags.out_valid.val() & self.glb.rd_resp_ready.val();
        self.rd_tags.out_ready.next = self.resp_take.val();
        self.resp_st.in_valid.next = self.resp_take.val() & (self.resp_who.val() == 0);
        self.resp_fi.in_valid.next = self.resp_take.val() & (self.resp_who.val() == 1);
        self.resp_fp.in_valid.next = self.resp_take.val() & (self.resp_who.val() == 2);
        self.resp_st.in_data.next = self.resp_word.val();
        self.resp_fi.in_data.next = self.resp_word.val();
        self.resp_fp.in_data.next = self.resp_word.val();
        self.store.rd_resp_valid.next = self.resp_st.out_valid.val();
        self.store.rd_resp_data.next = self.resp_st.out_data.val();
        self.resp_st.out_ready.next = self.store.rd_resp_ready.val();
        self.feed_i.rd_resp_valid.next = self.resp_fi.out_valid.val();
        self.feed_i.rd_resp_data.next = self.resp_fi.out_data.val();
        self.resp_fi.out_ready.next = self.feed_i.rd_resp_ready.val();
        self.feed_p.rd_resp_valid.next = self.resp_fp.out_valid.val();
        self.feed_p.rd_resp_data.next = self.resp_fp.out_data.val();
        self.resp_fp.out_ready.next = self.feed_p.rd_resp_ready.val();

        // The filter buffer's read port: the filter feed only.
        self.glb.filt_rd_valid.next = self.feed_f.rd_valid.val() & self.filt_lanes.in_ready.val();
        self.glb.filt_rd_addr.next = self.feed_f.rd_addr.val().get_bits::<WA>(2);
        self.feed_f.rd_ready.next = self.glb.filt_rd_ready.val() & self.filt_lanes.in_ready.val();
        self.filt_lanes.in_valid.next = self.feed_f.rd_valid.val() & self.glb.filt_rd_ready.val() & self.filt_lanes.in_ready.val();
        self.filt_lanes.in_data.next = self.feed_f.rd_addr.val().get_bits::<2>(0);
        self.filt_lane.next = self.filt_lanes.out_data.val();
        self.feed_f.rd_resp_data.next = self.glb.filt_rd_resp_data.val().get_bits::<16>(0);
        if self.filt_lane.val() == 1 {
            self.feed_f.rd_resp_data.next = self.glb.filt_rd_resp_data.val().get_bits::<16>(16);
        }
        if self.filt_lane.val() == 2 {
            self.feed_f.rd_resp_data.next = self.glb.filt_rd_resp_data.val().get_bits::<16>(32);
        }
        if self.filt_lane.val() == 3 {
            self.feed_f.rd_resp_data.next = self.glb.filt_rd_resp_data.val().get_bits::<16>(48);
        }
        self.feed_f.rd_resp_valid.next = self.glb.filt_rd_resp_valid.val() & self.filt_lanes.out_valid.val();
        self.glb.filt_rd_resp_ready.next = self.feed_f.rd_resp_ready.val() & self.filt_lanes.out_valid.val();
        self.filt_lanes.out_ready.next = self.glb.filt_rd_resp_valid.val() & self.feed_f.rd_resp_ready.val();
        self.unused_fa.next = self.feed_f.rd_addr.val();

        // The GLB's write port: the drain first, the load's GLB words otherwise. A 16-bit word
        // goes to its lane of a 64-bit word, with only that lane's mask bit set.
        self.dr_w.next = self.drain.wr_valid.val();
        self.ld_glb.next = self.load.wr_valid.val() & !self.load.filter.val();
        self.w_a.next = self.load.wr_addr.val();
        self.w_d.next = self.load.wr_data.val();
        if self.dr_w.val() {
            self.w_a.next = bit_cast::<32, 16>(self.drain.wr_addr.val());
            self.w_d.next = self.drain.wr_data.val();
        }
        self.w_lane.next = self.w_a.val().get_bits::<2>(0);
        self.w_mask.next = 1.into();
        if self.w_lane.val() == 1 {
            self.w_mask.next = 2.into();
        }
        if self.w_lane.val() == 2 {
            self.w_mask.next = 4.into();
        }
        if self.w_lane.val() == 3 {
            self.w_mask.next = 8.into();
        }
        self.w_d64.next = bit_cast::<64, 16>(self.w_d.val())
            | (bit_cast::<64, 16>(self.w_d.val()) << 16)
            | (bit_cast::<64, 16>(self.w_d.val()) << 32)
            | (bit_cast::<64, 16>(self.w_d.val()) << 48);
        self.glb.wr_valid.next = self.dr_w.val() | self.ld_glb.val();
        self.glb.wr_addr.next = self.w_a.val().get_bits::<WA>(2);
        self.w_sh.next = self.w_a.val() >> self.bank_at.val();
        self.glb.wr_bank.next = self.w_sh.val().get_bits::<BA>(0);
        self.unused_w_sh.next = self.w_sh.val();
        self.glb.wr_psum.next = self.dr_w.val() | (self.load.kind.val() == 2);
        self.glb.wr_data.next = self.w_d64.val();
        self.glb.wr_mask.next = self.w_mask.val();
        self.drain.wr_ready.next = self.glb.wr_ready.val();
        // The load's filter words go to the loading filter bank.
        self.lw_lane.next = self.load.wr_addr.val().get_bits::<2>(0);
        self.lw_mask.next = 1.into();
        if self.lw_lane.val() == 1 {
            self.lw_mask.next = 2.into();
        }
        if self.lw_lane.val() == 2 {
            self.lw_mask.next = 4.into();
        }
        if self.lw_lane.val() == 3 {
            self.lw_mask.next = 8.into();
        }
        self.lw_d64.next = bit_cast::<64, 16>(self.load.wr_data.val())
            | (bit_cast::<64, 16>(self.load.wr_data.val()) << 16)
            | (bit_cast::<64, 16>(self.load.wr_data.val()) << 32)
            | (bit_cast::<64, 16>(self.load.wr_data.val()) << 48);
        self.glb.filt_wr_valid.next = self.load.wr_valid.val() & self.load.filter.val();
        self.glb.filt_wr_addr.next = self.load.wr_addr.val().get_bits::<WA>(2);
        self.glb.filt_wr_data.next = self.lw_d64.val();
        self.glb.filt_wr_mask.next = self.lw_mask.val();
        self.load.wr_ready.next = self.glb.wr_ready.val() & !self.dr_w.val();
        if self.load.filter.val() {
            self.load.wr_ready.next = self.glb.filt_wr_ready.val();
        }

        // The array's input networks and its output network into the drain.
        self.array.filt_valid.next = self.feed_f.out_valid.val();
        self.feed_f.out_ready.next = self.array.filt_ready.val();
        self.array.filt_row.next = self.feed_f.out_row.val();
        self.array.filt_col.next = self.feed_f.out_col.val().get_bits::<4>(0);
        self.unused_fcol.next = self.feed_f.out_col.val();
        self.array.filt_data.next = self.feed_f.out_data.val();
        self.array.ifmap_valid.next = self.feed_i.out_valid.val();
        self.feed_i.out_ready.next = self.array.ifmap_ready.val();
        self.array.ifmap_row.next = self.feed_i.out_row.val();
        self.array.ifmap_col.next = self.feed_i.out_col.val();
        self.array.ifmap_data.next = self.feed_i.out_data.val();
        self.array.psum_valid.next = self.feed_p.out_valid.val();
        self.feed_p.out_ready.next = self.array.psum_ready.val();
        self.array.psum_row.next = self.feed_p.out_row.val();
        self.array.psum_col.next = self.feed_p.out_col.val().get_bits::<4>(0);
        self.unused_pcol.next = self.feed_p.out_col.val();
        self.array.psum_data.next = self.feed_p.out_data.val();
        self.drain.in_valid.next = self.array.out_valid.val();
        self.array.out_ready.next = self.drain.in_ready.val();
        self.drain.in_row.next = self.array.out_row.val();
        self.drain.in_col.next = self.array.out_col.val();
        self.drain.in_data.next = self.array.out_data.val();
        self.array.sel_row.next = self.sel_row.val();
        self.array.sel_col.next = self.sel_col.val();
        self.sel_macs.next = self.array.sel_macs.val();
        self.sel_macs_gated.next = self.array.sel_macs_gated.val();
        self.sel_filt_spad_reads.next = self.array.sel_filt_spad_reads.val();
        self.sel_filt_spad_writes.next = self.array.sel_filt_spad_writes.val();
        self.sel_ifmap_spad_reads.next = self.array.sel_ifmap_spad_reads.val();
        self.sel_ifmap_spad_writes.next = self.array.sel_ifmap_spad_writes.val();
        self.sel_psum_spad_reads.next = self.array.sel_psum_spad_reads.val();
        self.sel_psum_spad_writes.next = self.array.sel_psum_spad_writes.val();

        // Faults (sticky).
        if self.array.cfg_error.val() {
            self.cfg_fault.d.next = true;
        }
        if self.resp_take.val() & self.glb.rd_resp_err.val() {
            self.rd_fault.d.next = true;
        }
        if self.load.rlc_error.val() {
            self.rlc_fault.d.next = true;
        }
        self.seq.abort.next = self.rlc_fault.q.val();
        self.rlc_beat.next = self.load.stream.val().get_bits::<29>(0);
        self.unused_rlc_beat.next = self.load.stream.val();
        self.rlc_trunc_b.next = 0.into();
        if self.load.rlc_truncated.val() {
            self.rlc_trunc_b.next = 1.into();
        }
        for k in 0..5 {
            self.fault_b[k].next = 0.into();
        }
        if (self.glb.bad_accesses.val() != 0) | self.rd_fault.q.val() {
            self.fault_b[0].next = 1.into();
        }
        if self.cfg_fault.q.val() {
            self.fault_b[1].next = 1.into();
        }
        if self.drain.bad_pe.val() {
            self.fault_b[2].next = 1.into();
        }
        if self.feed_f.tag_error.val() | self.feed_i.tag_error.val() | self.feed_p.tag_error.val() {
            self.fault_b[3].next = 1.into();
        }
        if self.rlc_fault.q.val() {
            self.fault_b[4].next = 1.into();
        }
        self.fault.next = bit_cast::<5, 1>(self.fault_b[0].val())
            | (bit_cast::<5, 1>(self.fault_b[1].val()) << 1)
            | (bit_cast::<5, 1>(self.fault_b[2].val()) << 2)
            | (bit_cast::<5, 1>(self.fault_b[3].val()) << 3)
            | (bit_cast::<5, 1>(self.fault_b[4].val()) << 4);
        self.psum_banks.next = self.glb.psum_banks.val();
        self.filt_active.next = self.glb.filt_active.val();
        self.glb.cnt_sel.next = self.bank_sel.val();
        self.bank_reads.next = self.glb.bank_reads.val();
        self.bank_writes.next = self.glb.bank_writes.val();

        // Counters, in 16-bit words (the map is in the module docs).
        self.ld_go.next = self.load.wr_valid.val() & self.load.wr_ready.val();
        self.st_go.next = self.g_st.val() & self.rd_go.val();
        self.inc[0].next = self.seq.busy.val();
        self.inc[1].next = self.array.pass_valid.val() & self.array.pass_ready.val();
        self.inc[2].next = false;
        self.inc[3].next = false;
        // DRAM words: a raw transfer's words; a coded one's beats, four words each.
        self.inc[4].next = self.ld_go.val() & (self.load.kind.val() == 0) & !self.load.coded.val();
        self.inc[5].next = self.ld_go.val() & (self.load.kind.val() == 1) & !self.load.coded.val();
        self.inc[6].next = self.ld_go.val() & (self.load.kind.val() == 2) & !self.load.coded.val();
        self.inc[7].next = self.st_go.val() & (self.store.kind.val() == 0) & !self.store.coded.val();
        self.inc[8].next = self.st_go.val() & (self.store.kind.val() == 1) & !self.store.coded.val();
        self.inc[9].next = self.st_go.val() & (self.store.kind.val() == 2) & !self.store.coded.val();
        self.inc[10].next = (self.g_fi.val() & self.rd_go.val()) | (self.st_go.val() & (self.store.kind.val() == 0));
        self.inc[11].next = (self.feed_f.rd_valid.val() & self.feed_f.rd_ready.val()) | (self.st_go.val() & (self.store.kind.val() == 1));
        self.inc[12].next = (self.g_fp.val() & self.rd_go.val()) | (self.st_go.val() & (self.store.kind.val() == 2));
        self.inc[13].next = self.ld_go.val() & (self.load.kind.val() == 0);
        self.inc[14].next = self.ld_go.val() & (self.load.kind.val() == 1);
        self.inc[15].next = (self.dr_w.val() & self.glb.wr_ready.val()) | (self.ld_go.val() & (self.load.kind.val() == 2));
        for i in 0..self.own.len() {
            if self.inc[i].val() {
                self.own[i].d.next = self.own[i].q.val() + 1;
            }
        }
        if self.load.coded_beat.val() & (self.load.kind.val() == 0) {
            self.own[4].d.next = self.own[4].q.val() + 4;
        }
        if self.load.coded_beat.val() & (self.load.kind.val() == 1) {
            self.own[5].d.next = self.own[5].q.val() + 4;
        }
        if self.load.coded_beat.val() & (self.load.kind.val() == 2) {
            self.own[6].d.next = self.own[6].q.val() + 4;
        }
        if self.store.coded_beat.val() & (self.store.kind.val() == 0) {
            self.own[7].d.next = self.own[7].q.val() + 4;
        }
        if self.store.coded_beat.val() & (self.store.kind.val() == 1) {
            self.own[8].d.next = self.own[8].q.val() + 4;
        }
        if self.store.coded_beat.val() & (self.store.kind.val() == 2) {
            self.own[9].d.next = self.own[9].q.val() + 4;
        }
        // Where the cycles go (counted while busy).
        self.pinc[0].next = self.seq.busy.val() & self.array.busy.val();
        self.pinc[1].next = self.seq.busy.val() & !(self.feed_f.idle.val() & self.feed_i.idle.val() & self.feed_p.idle.val());
        self.pinc[2].next = self.seq.busy.val() & !self.load.idle.val();
        self.pinc[3].next = self.seq.busy.val() & !self.store.idle.val();
        self.pinc[4].next = self.seq.starved.val();
        self.pinc[5].next = self.seq.blocked.val();
        self.pinc[6].next = self.seq.syncing.val();
        self.pinc[7].next = self.seq.busy.val() & !self.array.busy.val() & !self.settled.val();
        for i in 0..self.perf.len() {
            if self.pinc[i].val() {
                self.perf[i].d.next = self.perf[i].q.val() + 1;
            }
        }
        if self.array.active_pes.val() > self.max_active.q.val() {
            self.max_active.d.next = self.array.active_pes.val();
        }
        self.cnt_q.d.next = 0.into();
        for i in 0..self.own.len() {
            if self.cnt_sel.val().index() == i {
                self.cnt_q.d.next = self.own[i].q.val();
            }
        }
        if self.cnt_sel.val() == 2 {
            self.cnt_q.d.next = self.link.rd_beats.val();
        }
        if self.cnt_sel.val() == 3 {
            self.cnt_q.d.next = self.link.wr_beats.val();
        }
        if self.cnt_sel.val() == 16 {
            self.cnt_q.d.next = self.array.filt_words.val();
        }
        if self.cnt_sel.val() == 17 {
            self.cnt_q.d.next = self.array.filt_deliveries.val();
        }
        if self.cnt_sel.val() == 18 {
            self.cnt_q.d.next = self.array.ifmap_words.val();
        }
        if self.cnt_sel.val() == 19 {
            self.cnt_q.d.next = self.array.ifmap_deliveries.val();
        }
        if self.cnt_sel.val() == 20 {
            self.cnt_q.d.next = self.array.psum_words.val();
        }
        if self.cnt_sel.val() == 21 {
            self.cnt_q.d.next = self.array.psum_deliveries.val();
        }
        if self.cnt_sel.val() == 22 {
            self.cnt_q.d.next = self.array.out_words.val();
        }
        if self.cnt_sel.val() == 23 {
            self.cnt_q.d.next = self.array.link_transfers.val();
        }
        if self.cnt_sel.val() == 24 {
            self.cnt_q.d.next = bit_cast::<32, 8>(self.max_active.q.val());
        }
        if self.cnt_sel.val() == 25 {
            self.cnt_q.d.next = self.glb.bank_conflicts.val();
        }
        if self.cnt_sel.val() == 26 {
            self.cnt_q.d.next = self.glb.stall_cycles.val();
        }
        if self.cnt_sel.val() == 27 {
            self.cnt_q.d.next = self.glb.bad_accesses.val();
        }
        if self.cnt_sel.val() == 28 {
            self.cnt_q.d.next = self.seq.words.val();
        }
        if self.cnt_sel.val() == 29 {
            self.cnt_q.d.next = self.glb.filt_reads.val();
        }
        if self.cnt_sel.val() == 30 {
            self.cnt_q.d.next = self.glb.filt_writes.val();
        }
        if self.cnt_sel.val() == 31 {
            self.cnt_q.d.next = (bit_cast::<32, 29>(self.rlc_beat.val()) << 3)
                | (bit_cast::<32, 1>(self.rlc_trunc_b.val()) << 2)
                | bit_cast::<32, 2>(self.load.rlc_kind.val());
        }
        for i in 0..self.perf.len() {
            if self.cnt_sel.val().get_bit(5) & !self.cnt_sel.val().get_bit(4) & !self.cnt_sel.val().get_bit(3) & (self.cnt_sel.val().get_bits::<3>(0).index() == i) {
                self.cnt_q.d.next = self.perf[i].q.val();
            }
        }
        self.cnt_value.next = self.cnt_q.q.val();
    }
}

crate::sim::sim_ports!(
    [const NB: usize, const BA: usize, const WA: usize, const DEPTH: usize] Eyeriss<NB, BA, WA, DEPTH>,
    clock: clk,
    inputs: [rst, go, prog_beat, dram_req_ready, dram_resp_valid, dram_resp_data, cnt_sel, sel_row, sel_col, bank_sel],
    outputs: [
        busy, done, error, words, fault, dram_req_valid, dram_req_write, dram_req_beat, dram_req_data,
        dram_req_mask, dram_resp_ready, cnt_value, sel_macs, sel_macs_gated, sel_filt_spad_reads,
        sel_filt_spad_writes, sel_ifmap_spad_reads, sel_ifmap_spad_writes, sel_psum_spad_reads,
        sel_psum_spad_writes, bank_reads, bank_writes, psum_banks, filt_active,
    ]
);
