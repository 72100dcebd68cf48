//! The GLB's rust-hdl description (see the parent module for its behaviour).
//!
//! Generic over its shape: `NB` banks with `BA` bank-index bits, `WA` word-address bits and
//! `DEPTH` words per bank. Request headers travel through 16-bit FIFOs packed as
//! `{psum[15], bank[9 +: BA], addr[0 +: WA]}`.

use crate::widgets::{Fifo, LaneSram, Reg, StepCheck};
use crate::RtlSim;
use rust_hdl::prelude::*;

/// Where the bank index and the psum flag sit in a packed request header (the description
/// below writes them as the literals 9 and 15: `#[hdl_gen]` takes names for signals).
const HDR_BANK_AT: usize = 9;
const HDR_PSUM_AT: usize = 15;

/// The global buffer.
#[derive(LogicBlock)]
pub struct Glb<const NB: usize, const BA: usize, const WA: usize, const DEPTH: usize> {
    /// Clock; everything happens on its rising edge.
    pub clk: Signal<In, Clock>,
    /// Synchronous active-high reset.
    pub rst: Signal<In, Bit>,
    /// Load `cfg_psum_banks` into the bank-assignment mask.
    pub cfg_valid: Signal<In, Bit>,
    /// Bit k set: bank k holds psums, clear: ifmaps.
    pub cfg_psum_banks: Signal<In, Bits<NB>>,
    /// The bank-assignment mask in force.
    pub psum_banks: Signal<Out, Bits<NB>>,
    /// Write requests.
    pub wr_valid: Signal<In, Bit>,
    pub wr_ready: Signal<Out, Bit>,
    pub wr_bank: Signal<In, Bits<BA>>,
    pub wr_addr: Signal<In, Bits<WA>>,
    pub wr_psum: Signal<In, Bit>,
    pub wr_data: Signal<In, Bits<64>>,
    /// A bit per 16-bit lane of `wr_data`: only those lanes are written.
    pub wr_mask: Signal<In, Bits<4>>,
    /// Read requests.
    pub rd_valid: Signal<In, Bit>,
    pub rd_ready: Signal<Out, Bit>,
    pub rd_bank: Signal<In, Bits<BA>>,
    pub rd_addr: Signal<In, Bits<WA>>,
    pub rd_psum: Signal<In, Bit>,
    /// Read responses, in request order; `err`: the read was refused (data 0).
    pub rd_resp_valid: Signal<Out, Bit>,
    pub rd_resp_ready: Signal<In, Bit>,
    pub rd_resp_data: Signal<Out, Bits<64>>,
    pub rd_resp_err: Signal<Out, Bit>,
    /// Filter writes into the loading filter bank.
    pub filt_wr_valid: Signal<In, Bit>,
    pub filt_wr_ready: Signal<Out, Bit>,
    pub filt_wr_addr: Signal<In, Bits<WA>>,
    pub filt_wr_data: Signal<In, Bits<64>>,
    pub filt_wr_mask: Signal<In, Bits<4>>,
    /// Filter reads from the active filter bank.
    pub filt_rd_valid: Signal<In, Bit>,
    pub filt_rd_ready: Signal<Out, Bit>,
    pub filt_rd_addr: Signal<In, Bits<WA>>,
    pub filt_rd_resp_valid: Signal<Out, Bit>,
    pub filt_rd_resp_ready: Signal<In, Bit>,
    pub filt_rd_resp_data: Signal<Out, Bits<64>>,
    /// Swap the active and loading filter banks.
    pub filt_swap_valid: Signal<In, Bit>,
    pub filt_swap_ready: Signal<Out, Bit>,
    /// The filter bank being read (0 or 1).
    pub filt_active: Signal<Out, Bit>,
    /// The bank whose counters `bank_reads` / `bank_writes` show after the next edge.
    pub cnt_sel: Signal<In, Bits<BA>>,
    pub bank_reads: Signal<Out, Bits<32>>,
    pub bank_writes: Signal<Out, Bits<32>>,
    /// Filter-bank reads and writes (both banks).
    pub filt_reads: Signal<Out, Bits<32>>,
    pub filt_writes: Signal<Out, Bits<32>>,
    /// Cycles with a write and a read to the same bank.
    pub bank_conflicts: Signal<Out, Bits<32>>,
    /// Cycles with a request at a FIFO head that could not execute.
    pub stall_cycles: Signal<Out, Bits<32>>,
    /// Refused requests (wrong kind or bank out of range).
    pub bad_accesses: Signal<Out, Bits<32>>,
    /// No request waits in a FIFO and no read response is outstanding: every request
    /// accepted so far has executed and every response has been taken.
    pub quiet: Signal<Out, Bit>,

    banks: [LaneSram<WA, DEPTH>; NB],
    filt_banks: [LaneSram<WA, DEPTH>; 2],
    wr_hdr_fifo: Fifo<Bits<16>>,
    /// Data (bits 0-63) and lane mask (64-67).
    wr_data_fifo: Fifo<Bits<68>>,
    rd_hdr_fifo: Fifo<Bits<16>>,
    rd_resp_fifo: Fifo<Bits<64>>,
    rd_err_fifo: Fifo<Bit>,
    fw_hdr_fifo: Fifo<Bits<16>>,
    fw_data_fifo: Fifo<Bits<68>>,
    fr_hdr_fifo: Fifo<Bits<16>>,
    fr_resp_fifo: Fifo<Bits<64>>,

    mask: Reg<Bits<NB>>,
    active: Reg<Bit>,
    prio_rd: Reg<Bit>,
    // Outstanding responses (issued, not yet taken), at most 4 each.
    rd_out: Reg<Bits<3>>,
    fr_out: Reg<Bits<3>>,
    // The read issued last cycle, whose data the bank shows now.
    s1_valid: Reg<Bit>,
    s1_err: Reg<Bit>,
    s1_bank: Reg<Bits<BA>>,
    fs1_valid: Reg<Bit>,
    fs1_bank: Reg<Bit>,
    // Counters.
    n_reads: [Reg<Bits<32>>; NB],
    n_writes: [Reg<Bits<32>>; NB],
    sel_reads: Reg<Bits<32>>,
    sel_writes: Reg<Bits<32>>,
    n_fr: Reg<Bits<32>>,
    n_fw: Reg<Bits<32>>,
    n_conf: Reg<Bits<32>>,
    n_stall: Reg<Bits<32>>,
    n_bad: Reg<Bits<32>>,
    // Combinational helpers.
    wr_a16: Signal<Local, Bits<16>>,
    wr_b16: Signal<Local, Bits<16>>,
    rd_a16: Signal<Local, Bits<16>>,
    rd_b16: Signal<Local, Bits<16>>,
    wh: Signal<Local, Bits<16>>,
    rh: Signal<Local, Bits<16>>,
    fwh: Signal<Local, Bits<16>>,
    frh: Signal<Local, Bits<16>>,
    unused_wh: Signal<Local, Bits<16>>,
    unused_rh: Signal<Local, Bits<16>>,
    unused_fwh: Signal<Local, Bits<16>>,
    unused_frh: Signal<Local, Bits<16>>,
    wh_addr: Signal<Local, Bits<WA>>,
    wh_bank: Signal<Local, Bits<BA>>,
    rh_addr: Signal<Local, Bits<WA>>,
    rh_bank: Signal<Local, Bits<BA>>,
    wr_kind: Signal<Local, Bit>,
    rd_kind: Signal<Local, Bit>,
    wr_inrange: Signal<Local, Bit>,
    rd_inrange: Signal<Local, Bit>,
    wr_ok: Signal<Local, Bit>,
    rd_ok: Signal<Local, Bit>,
    rd_can: Signal<Local, Bit>,
    conflict: Signal<Local, Bit>,
    wr_go: Signal<Local, Bit>,
    rd_go: Signal<Local, Bit>,
    wr_bad: Signal<Local, Bit>,
    rd_bad: Signal<Local, Bit>,
    rd_pop: Signal<Local, Bit>,
    fw_go: Signal<Local, Bit>,
    fr_go: Signal<Local, Bit>,
    fr_pop: Signal<Local, Bit>,
    swap_go: Signal<Local, Bit>,
    rdata_sel: Signal<Local, Bits<64>>,
    /// Checks (in simulation) that each dropped twin flag equals the one used.
    twin_check: [StepCheck; 6],
    unused_room_flag: Signal<Local, Bit>,
    // Constants.
    psum_flag: Constant<Bits<16>>,
}

impl<const NB: usize, const BA: usize, const WA: usize, const DEPTH: usize> Glb<NB, BA, WA, DEPTH> {
    pub(crate) fn new() -> Self {
        assert!(NB <= 1 << BA && BA <= HDR_PSUM_AT - HDR_BANK_AT && WA <= HDR_BANK_AT && DEPTH == 1 << WA);
        Self {
            clk: Default::default(),
            rst: Default::default(),
            cfg_valid: Default::default(),
            cfg_psum_banks: Default::default(),
            psum_banks: Default::default(),
            wr_valid: Default::default(),
            wr_ready: Default::default(),
            wr_bank: Default::default(),
            wr_addr: Default::default(),
            wr_psum: Default::default(),
            wr_data: Default::default(),
            wr_mask: Default::default(),
            rd_valid: Default::default(),
            rd_ready: Default::default(),
            rd_bank: Default::default(),
            rd_addr: Default::default(),
            rd_psum: Default::default(),
            rd_resp_valid: Default::default(),
            rd_resp_ready: Default::default(),
            rd_resp_data: Default::default(),
            rd_resp_err: Default::default(),
            filt_wr_valid: Default::default(),
            filt_wr_ready: Default::default(),
            filt_wr_addr: Default::default(),
            filt_wr_data: Default::default(),
            filt_wr_mask: Default::default(),
            filt_rd_valid: Default::default(),
            filt_rd_ready: Default::default(),
            filt_rd_addr: Default::default(),
            filt_rd_resp_valid: Default::default(),
            filt_rd_resp_ready: Default::default(),
            filt_rd_resp_data: Default::default(),
            filt_swap_valid: Default::default(),
            filt_swap_ready: Default::default(),
            filt_active: Default::default(),
            cnt_sel: Default::default(),
            bank_reads: Default::default(),
            bank_writes: Default::default(),
            filt_reads: Default::default(),
            filt_writes: Default::default(),
            bank_conflicts: Default::default(),
            stall_cycles: Default::default(),
            bad_accesses: Default::default(),
            quiet: Default::default(),
            banks: std::array::from_fn(|_| Default::default()),
            filt_banks: std::array::from_fn(|_| Default::default()),
            wr_hdr_fifo: Default::default(),
            wr_data_fifo: Default::default(),
            rd_hdr_fifo: Default::default(),
            rd_resp_fifo: Default::default(),
            rd_err_fifo: Default::default(),
            fw_hdr_fifo: Default::default(),
            fw_data_fifo: Default::default(),
            fr_hdr_fifo: Default::default(),
            fr_resp_fifo: Default::default(),
            mask: Default::default(),
            active: Default::default(),
            prio_rd: Default::default(),
            rd_out: Default::default(),
            fr_out: Default::default(),
            s1_valid: Default::default(),
            s1_err: Default::default(),
            s1_bank: Default::default(),
            fs1_valid: Default::default(),
            fs1_bank: Default::default(),
            n_reads: std::array::from_fn(|_| Default::default()),
            n_writes: std::array::from_fn(|_| Default::default()),
            sel_reads: Default::default(),
            sel_writes: Default::default(),
            n_fr: Default::default(),
            n_fw: Default::default(),
            n_conf: Default::default(),
            n_stall: Default::default(),
            n_bad: Default::default(),
            wr_a16: Default::default(),
            wr_b16: Default::default(),
            rd_a16: Default::default(),
            rd_b16: Default::default(),
            wh: Default::default(),
            rh: Default::default(),
            fwh: Default::default(),
            frh: Default::default(),
            unused_wh: Default::default(),
            unused_rh: Default::default(),
            unused_fwh: Default::default(),
            unused_frh: Default::default(),
            wh_addr: Default::default(),
            wh_bank: Default::default(),
            rh_addr: Default::default(),
            rh_bank: Default::default(),
            wr_kind: Default::default(),
            rd_kind: Default::default(),
            wr_inrange: Default::default(),
            rd_inrange: Default::default(),
            wr_ok: Default::default(),
            rd_ok: Default::default(),
            rd_can: Default::default(),
            conflict: Default::default(),
            wr_go: Default::default(),
            rd_go: Default::default(),
            wr_bad: Default::default(),
            rd_bad: Default::default(),
            rd_pop: Default::default(),
            fw_go: Default::default(),
            fr_go: Default::default(),
            fr_pop: Default::default(),
            swap_go: Default::default(),
            rdata_sel: Default::default(),
            twin_check: Default::default(),
            unused_room_flag: Default::default(),
            psum_flag: Constant::new(bits(1 << HDR_PSUM_AT)),
        }
    }

    /// The GLB of this shape, connected and ready to emit or simulate.
    pub(crate) fn built() -> Self {
        let mut uut = Self::new();
        uut.connect_all();
        uut
    }

    /// rust-hdl's simulator of this shape.
    pub(crate) fn rust_hdl_sim() -> Box<dyn RtlSim> {
        Box::new(crate::sim::Stepper::new(Self::built()))
    }
}

impl<const NB: usize, const BA: usize, const WA: usize, const DEPTH: usize> Logic for Glb<NB, BA, WA, DEPTH> {
    #[hdl_gen]
    fn update(&mut self) {
        // Clock, reset and hold for every register.
        dff_setup!(
            self, clk, mask, active, prio_rd, rd_out, fr_out, s1_valid, s1_err, s1_bank, fs1_valid, fs1_bank,
            sel_reads, sel_writes, n_fr, n_fw, n_conf, n_stall, n_bad
        );
        self.mask.rst.next = self.rst.val();
        self.active.rst.next = self.rst.val();
        self.prio_rd.rst.next = self.rst.val();
        self.rd_out.rst.next = self.rst.val();
        self.fr_out.rst.next = self.rst.val();
        self.s1_valid.rst.next = self.rst.val();
        self.s1_err.rst.next = self.rst.val();
        self.s1_bank.rst.next = self.rst.val();
        self.fs1_valid.rst.next = self.rst.val();
        self.fs1_bank.rst.next = self.rst.val();
        self.sel_reads.rst.next = self.rst.val();
        self.sel_writes.rst.next = self.rst.val();
        self.n_fr.rst.next = self.rst.val();
        self.n_fw.rst.next = self.rst.val();
        self.n_conf.rst.next = self.rst.val();
        self.n_stall.rst.next = self.rst.val();
        self.n_bad.rst.next = self.rst.val();
        for i in 0..NB {
            self.n_reads[i].clock.next = self.clk.val();
            self.n_reads[i].rst.next = self.rst.val();
            self.n_reads[i].d.next = self.n_reads[i].q.val();
            self.n_writes[i].clock.next = self.clk.val();
            self.n_writes[i].rst.next = self.rst.val();
            self.n_writes[i].d.next = self.n_writes[i].q.val();
            self.banks[i].clk.next = self.clk.val();
        }
        self.filt_banks[0].clk.next = self.clk.val();
        self.filt_banks[1].clk.next = self.clk.val();
        self.wr_hdr_fifo.clk.next = self.clk.val();
        self.wr_data_fifo.clk.next = self.clk.val();
        self.rd_hdr_fifo.clk.next = self.clk.val();
        self.rd_resp_fifo.clk.next = self.clk.val();
        self.rd_err_fifo.clk.next = self.clk.val();
        self.fw_hdr_fifo.clk.next = self.clk.val();
        self.fw_data_fifo.clk.next = self.clk.val();
        self.fr_hdr_fifo.clk.next = self.clk.val();
        self.fr_resp_fifo.clk.next = self.clk.val();
        self.wr_hdr_fifo.rst.next = self.rst.val();
        self.wr_data_fifo.rst.next = self.rst.val();
        self.rd_hdr_fifo.rst.next = self.rst.val();
        self.rd_resp_fifo.rst.next = self.rst.val();
        self.rd_err_fifo.rst.next = self.rst.val();
        self.fw_hdr_fifo.rst.next = self.rst.val();
        self.fw_data_fifo.rst.next = self.rst.val();
        self.fr_hdr_fifo.rst.next = self.rst.val();
        self.fr_resp_fifo.rst.next = self.rst.val();

        // Configuration and status.
        if self.cfg_valid.val() {
            self.mask.d.next = self.cfg_psum_banks.val();
        }
        self.psum_banks.next = self.mask.q.val();
        self.filt_active.next = self.active.q.val();

        // Request FIFOs: headers packed as {psum, bank, addr}, data beside them. The header and
        // data FIFOs of a port move together, so their fill levels are always equal.
        self.wr_a16.next = bit_cast::<16, WA>(self.wr_addr.val());
        self.wr_b16.next = bit_cast::<16, BA>(self.wr_bank.val()) << 9;
        self.wr_hdr_fifo.in_data.next = self.wr_a16.val() | self.wr_b16.val();
        if self.wr_psum.val() {
            self.wr_hdr_fifo.in_data.next = self.wr_a16.val() | self.wr_b16.val() | self.psum_flag.val();
        }
        self.wr_hdr_fifo.in_valid.next = self.wr_valid.val();
        self.wr_data_fifo.in_valid.next = self.wr_valid.val();
        self.wr_data_fifo.in_data.next = bit_cast::<68, 64>(self.wr_data.val()) | (bit_cast::<68, 4>(self.wr_mask.val()) << 64);
        self.wr_ready.next = self.wr_hdr_fifo.in_ready.val();
        self.rd_a16.next = bit_cast::<16, WA>(self.rd_addr.val());
        self.rd_b16.next = bit_cast::<16, BA>(self.rd_bank.val()) << 9;
        self.rd_hdr_fifo.in_data.next = self.rd_a16.val() | self.rd_b16.val();
        if self.rd_psum.val() {
            self.rd_hdr_fifo.in_data.next = self.rd_a16.val() | self.rd_b16.val() | self.psum_flag.val();
        }
        self.rd_hdr_fifo.in_valid.next = self.rd_valid.val();
        self.rd_ready.next = self.rd_hdr_fifo.in_ready.val();
        self.fw_hdr_fifo.in_data.next = bit_cast::<16, WA>(self.filt_wr_addr.val());
        self.fw_hdr_fifo.in_valid.next = self.filt_wr_valid.val();
        self.fw_data_fifo.in_data.next = bit_cast::<68, 64>(self.filt_wr_data.val()) | (bit_cast::<68, 4>(self.filt_wr_mask.val()) << 64);
        self.fw_data_fifo.in_valid.next = self.filt_wr_valid.val();
        self.filt_wr_ready.next = self.fw_hdr_fifo.in_ready.val();
        self.fr_hdr_fifo.in_data.next = bit_cast::<16, WA>(self.filt_rd_addr.val());
        self.fr_hdr_fifo.in_valid.next = self.filt_rd_valid.val();
        self.filt_rd_ready.next = self.fr_hdr_fifo.in_ready.val();

        // A port's twin FIFOs (header and data, response data and error) have one depth and are
        // pushed and popped on the same cycles, so their counts and flags stay equal: the
        // second one's flags say nothing new and only feed `twin_check`, which checks that
        // assumption every cycle in simulation (rust-hdl's and Verilator's). The filter read
        // response FIFO always has room (at most 4 reads are in flight): its in_ready is unused.
        for i in 0..6 {
            self.twin_check[i].clk.next = self.clk.val();
            self.twin_check[i].rst.next = self.rst.val();
        }
        self.twin_check[0].a.next = self.wr_hdr_fifo.in_ready.val();
        self.twin_check[0].b.next = self.wr_data_fifo.in_ready.val();
        self.twin_check[1].a.next = self.wr_hdr_fifo.out_valid.val();
        self.twin_check[1].b.next = self.wr_data_fifo.out_valid.val();
        self.twin_check[2].a.next = self.rd_resp_fifo.in_ready.val();
        self.twin_check[2].b.next = self.rd_err_fifo.in_ready.val();
        self.twin_check[3].a.next = self.rd_resp_fifo.out_valid.val();
        self.twin_check[3].b.next = self.rd_err_fifo.out_valid.val();
        self.twin_check[4].a.next = self.fw_hdr_fifo.in_ready.val();
        self.twin_check[4].b.next = self.fw_data_fifo.in_ready.val();
        self.twin_check[5].a.next = self.fw_hdr_fifo.out_valid.val();
        self.twin_check[5].b.next = self.fw_data_fifo.out_valid.val();
        self.unused_room_flag.next = self.fr_resp_fifo.in_ready.val();

        // Response FIFOs.
        self.rd_resp_valid.next = self.rd_resp_fifo.out_valid.val();
        self.rd_resp_data.next = self.rd_resp_fifo.out_data.val();
        self.rd_resp_err.next = self.rd_err_fifo.out_data.val();
        self.rd_resp_fifo.out_ready.next = self.rd_resp_ready.val();
        self.rd_err_fifo.out_ready.next = self.rd_resp_ready.val();
        self.rd_pop.next = self.rd_resp_ready.val() & self.rd_resp_fifo.out_valid.val();
        self.filt_rd_resp_valid.next = self.fr_resp_fifo.out_valid.val();
        self.filt_rd_resp_data.next = self.fr_resp_fifo.out_data.val();
        self.fr_resp_fifo.out_ready.next = self.filt_rd_resp_ready.val();
        self.fr_pop.next = self.filt_rd_resp_ready.val() & self.fr_resp_fifo.out_valid.val();

        // The heads, unpacked; the header bits a shape does not use are dropped (`unused_*`).
        self.wh.next = self.wr_hdr_fifo.out_data.val();
        self.rh.next = self.rd_hdr_fifo.out_data.val();
        self.fwh.next = self.fw_hdr_fifo.out_data.val();
        self.frh.next = self.fr_hdr_fifo.out_data.val();
        self.unused_wh.next = self.wh.val();
        self.unused_rh.next = self.rh.val();
        self.unused_fwh.next = self.fwh.val();
        self.unused_frh.next = self.frh.val();
        self.wh_addr.next = self.wh.val().get_bits::<WA>(0);
        self.wh_bank.next = self.wh.val().get_bits::<BA>(9);
        self.rh_addr.next = self.rh.val().get_bits::<WA>(0);
        self.rh_bank.next = self.rh.val().get_bits::<BA>(9);

        // Kind check against the mask in force; a bank index out of range is refused too.
        self.wr_kind.next = false;
        self.rd_kind.next = false;
        self.wr_inrange.next = false;
        self.rd_inrange.next = false;
        for i in 0..NB {
            if self.wh_bank.val().index() == i {
                self.wr_inrange.next = true;
                self.wr_kind.next = self.mask.q.val().get_bit(i);
            }
            if self.rh_bank.val().index() == i {
                self.rd_inrange.next = true;
                self.rd_kind.next = self.mask.q.val().get_bit(i);
            }
        }
        self.wr_ok.next = self.wr_inrange.val() & (self.wr_kind.val() == self.wh.val().get_bit(15));
        self.rd_ok.next = self.rd_inrange.val() & (self.rd_kind.val() == self.rh.val().get_bit(15));

        // Arbitration: a read needs a free response slot; a write and a read that both take the
        // same bank conflict, and the winner alternates.
        self.rd_can.next = self.rd_hdr_fifo.out_valid.val() & !self.rd_out.q.val().get_bit(2);
        self.conflict.next = self.wr_hdr_fifo.out_valid.val()
            & self.wr_ok.val()
            & self.rd_can.val()
            & self.rd_ok.val()
            & (self.wh_bank.val() == self.rh_bank.val());
        self.wr_go.next = self.wr_hdr_fifo.out_valid.val() & !(self.conflict.val() & self.prio_rd.q.val());
        self.rd_go.next = self.rd_can.val() & !(self.conflict.val() & !self.prio_rd.q.val());
        if self.conflict.val() {
            self.prio_rd.d.next = !self.prio_rd.q.val();
            self.n_conf.d.next = self.n_conf.q.val() + 1;
        }
        self.wr_hdr_fifo.out_ready.next = self.wr_go.val();
        self.wr_data_fifo.out_ready.next = self.wr_go.val();
        self.rd_hdr_fifo.out_ready.next = self.rd_go.val();
        self.wr_bad.next = self.wr_go.val() & !self.wr_ok.val();
        self.rd_bad.next = self.rd_go.val() & !self.rd_ok.val();

        // The banks: one access a cycle each, guaranteed by the arbitration above.
        for i in 0..NB {
            self.banks[i].waddr.next = self.wh_addr.val();
            self.banks[i].wdata.next = self.wr_data_fifo.out_data.val().get_bits::<64>(0);
            self.banks[i].wmask.next = self.wr_data_fifo.out_data.val().get_bits::<4>(64);
            self.banks[i].raddr.next = self.rh_addr.val();
            self.banks[i].we.next = false;
            self.banks[i].re.next = false;
            if self.wr_go.val() & self.wr_ok.val() & (self.wh_bank.val().index() == i) {
                self.banks[i].we.next = true;
                self.n_writes[i].d.next = self.n_writes[i].q.val() + 1;
            }
            if self.rd_go.val() & self.rd_ok.val() & (self.rh_bank.val().index() == i) {
                self.banks[i].re.next = true;
                self.n_reads[i].d.next = self.n_reads[i].q.val() + 1;
            }
        }

        // Read pipeline: the data of last cycle's read goes into the response FIFO.
        self.s1_valid.d.next = self.rd_go.val();
        self.s1_err.d.next = !self.rd_ok.val();
        self.s1_bank.d.next = self.rh_bank.val();
        self.rdata_sel.next = self.banks[0].rdata.val();
        for i in 0..NB {
            if self.s1_bank.q.val().index() == i {
                self.rdata_sel.next = self.banks[i].rdata.val();
            }
        }
        self.rd_resp_fifo.in_valid.next = self.s1_valid.q.val();
        self.rd_err_fifo.in_valid.next = self.s1_valid.q.val();
        self.rd_err_fifo.in_data.next = self.s1_err.q.val();
        self.rd_resp_fifo.in_data.next = self.rdata_sel.val();
        if self.s1_err.q.val() {
            self.rd_resp_fifo.in_data.next = 0.into();
        }
        if self.rd_go.val() & !self.rd_pop.val() {
            self.rd_out.d.next = self.rd_out.q.val() + 1;
        }
        if !self.rd_go.val() & self.rd_pop.val() {
            self.rd_out.d.next = self.rd_out.q.val() - 1;
        }

        // Filter double buffer: writes go to the loading bank, reads to the active one, so the
        // two never meet in one bank. A swap waits for both filter request FIFOs to drain.
        self.fw_go.next = self.fw_hdr_fifo.out_valid.val();
        self.fr_go.next = self.fr_hdr_fifo.out_valid.val() & !self.fr_out.q.val().get_bit(2);
        self.fw_hdr_fifo.out_ready.next = self.fw_go.val();
        self.fw_data_fifo.out_ready.next = self.fw_go.val();
        self.fr_hdr_fifo.out_ready.next = self.fr_go.val();
        for i in 0..2 {
            self.filt_banks[i].waddr.next = self.fwh.val().get_bits::<WA>(0);
            self.filt_banks[i].wdata.next = self.fw_data_fifo.out_data.val().get_bits::<64>(0);
            self.filt_banks[i].wmask.next = self.fw_data_fifo.out_data.val().get_bits::<4>(64);
            self.filt_banks[i].raddr.next = self.frh.val().get_bits::<WA>(0);
        }
        self.filt_banks[0].we.next = self.fw_go.val() & self.active.q.val();
        self.filt_banks[1].we.next = self.fw_go.val() & !self.active.q.val();
        self.filt_banks[0].re.next = self.fr_go.val() & !self.active.q.val();
        self.filt_banks[1].re.next = self.fr_go.val() & self.active.q.val();
        if self.fw_go.val() {
            self.n_fw.d.next = self.n_fw.q.val() + 1;
        }
        if self.fr_go.val() {
            self.n_fr.d.next = self.n_fr.q.val() + 1;
        }
        self.fs1_valid.d.next = self.fr_go.val();
        self.fs1_bank.d.next = self.active.q.val();
        self.fr_resp_fifo.in_valid.next = self.fs1_valid.q.val();
        self.fr_resp_fifo.in_data.next = self.filt_banks[0].rdata.val();
        if self.fs1_bank.q.val() {
            self.fr_resp_fifo.in_data.next = self.filt_banks[1].rdata.val();
        }
        if self.fr_go.val() & !self.fr_pop.val() {
            self.fr_out.d.next = self.fr_out.q.val() + 1;
        }
        if !self.fr_go.val() & self.fr_pop.val() {
            self.fr_out.d.next = self.fr_out.q.val() - 1;
        }
        self.filt_swap_ready.next = !self.fw_hdr_fifo.out_valid.val() & !self.fr_hdr_fifo.out_valid.val();
        self.swap_go.next = self.filt_swap_valid.val() & !self.fw_hdr_fifo.out_valid.val() & !self.fr_hdr_fifo.out_valid.val();
        if self.swap_go.val() {
            self.active.d.next = !self.active.q.val();
        }

        // Counters.
        if (self.wr_hdr_fifo.out_valid.val() & !self.wr_go.val())
            | (self.rd_hdr_fifo.out_valid.val() & !self.rd_go.val())
            | (self.fr_hdr_fifo.out_valid.val() & !self.fr_go.val())
        {
            self.n_stall.d.next = self.n_stall.q.val() + 1;
        }
        if self.wr_bad.val() & !self.rd_bad.val() {
            self.n_bad.d.next = self.n_bad.q.val() + 1;
        }
        if !self.wr_bad.val() & self.rd_bad.val() {
            self.n_bad.d.next = self.n_bad.q.val() + 1;
        }
        if self.wr_bad.val() & self.rd_bad.val() {
            self.n_bad.d.next = self.n_bad.q.val() + 2;
        }
        self.sel_reads.d.next = 0.into();
        self.sel_writes.d.next = 0.into();
        for i in 0..NB {
            if self.cnt_sel.val().index() == i {
                self.sel_reads.d.next = self.n_reads[i].q.val();
                self.sel_writes.d.next = self.n_writes[i].q.val();
            }
        }
        self.bank_reads.next = self.sel_reads.q.val();
        self.bank_writes.next = self.sel_writes.q.val();
        self.filt_reads.next = self.n_fr.q.val();
        self.filt_writes.next = self.n_fw.q.val();
        self.bank_conflicts.next = self.n_conf.q.val();
        self.stall_cycles.next = self.n_stall.q.val();
        self.bad_accesses.next = self.n_bad.q.val();
        self.quiet.next = !self.wr_hdr_fifo.out_valid.val()
            & !self.rd_hdr_fifo.out_valid.val()
            & !self.fw_hdr_fifo.out_valid.val()
            & !self.fr_hdr_fifo.out_valid.val()
            & (self.rd_out.q.val() == 0)
            & (self.fr_out.q.val() == 0);
    }
}

crate::sim::sim_ports!(
    [const NB: usize, const BA: usize, const WA: usize, const DEPTH: usize] Glb<NB, BA, WA, DEPTH>,
    clock: clk,
    inputs: [
        rst, cfg_valid, cfg_psum_banks, wr_valid, wr_bank, wr_addr, wr_psum, wr_data, wr_mask, rd_valid,
        rd_bank, rd_addr, rd_psum, rd_resp_ready, filt_wr_valid, filt_wr_addr, filt_wr_data, filt_wr_mask,
        filt_rd_valid, filt_rd_addr, filt_rd_resp_ready, filt_swap_valid, cnt_sel,
    ],
    outputs: [
        psum_banks, wr_ready, rd_ready, rd_resp_valid, rd_resp_data, rd_resp_err, filt_wr_ready,
        filt_rd_ready, filt_rd_resp_valid, filt_rd_resp_data, filt_swap_ready, filt_active,
        bank_reads, bank_writes, filt_reads, filt_writes, bank_conflicts, stall_cycles,
        bad_accesses, quiet,
    ]
);
