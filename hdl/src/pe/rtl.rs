//! The PE's rust-hdl description (see the parent module for its behaviour).

use super::PeConfig;
use crate::widgets::{Fifo, Reg, RegFile, Sram};
use rust_hdl::prelude::*;

/// The Eyeriss v1 processing element.
#[derive(LogicBlock)]
pub struct EyerissPe {
    /// Clock; everything happens on its rising edge.
    pub clk: Signal<In, Clock>,
    /// Synchronous active-high reset.
    pub rst: Signal<In, Bit>,
    /// A pass configuration is offered (taken when `cfg_ready`).
    pub cfg_valid: Signal<In, Bit>,
    /// The PE is idle and takes a configuration.
    pub cfg_ready: Signal<Out, Bit>,
    /// S, filter width (1-12).
    pub cfg_s: Signal<In, Bits<4>>,
    /// U, stride (1-12).
    pub cfg_u: Signal<In, Bits<4>>,
    /// p, filters interleaved (1-24).
    pub cfg_p: Signal<In, Bits<5>>,
    /// q, channels interleaved (1-12).
    pub cfg_q: Signal<In, Bits<4>>,
    /// E, outputs in this pass (1-255).
    pub cfg_e: Signal<In, Bits<8>>,
    /// Right shift of the 32-bit product before it is cut to 16 bits.
    pub cfg_shift: Signal<In, Bits<5>>,
    /// The last configuration offered was refused.
    pub cfg_error: Signal<Out, Bit>,
    /// A pass is running.
    pub busy: Signal<Out, Bit>,
    /// Filter words in.
    pub filt_valid: Signal<In, Bit>,
    pub filt_ready: Signal<Out, Bit>,
    pub filt_data: Signal<In, Bits<16>>,
    /// Ifmap words in.
    pub ifmap_valid: Signal<In, Bit>,
    pub ifmap_ready: Signal<Out, Bit>,
    pub ifmap_data: Signal<In, Bits<16>>,
    /// Partial sums in (from the PE below in the column).
    pub psum_in_valid: Signal<In, Bit>,
    pub psum_in_ready: Signal<Out, Bit>,
    pub psum_in_data: Signal<In, Bits<16>>,
    /// Partial sums out.
    pub psum_out_valid: Signal<Out, Bit>,
    pub psum_out_ready: Signal<In, Bit>,
    pub psum_out_data: Signal<Out, Bits<16>>,
    /// MACs done.
    pub macs: Signal<Out, Bits<32>>,
    /// MAC slots skipped because the ifmap value was zero.
    pub macs_gated: Signal<Out, Bits<32>>,
    /// Filter spad reads.
    pub filt_spad_reads: Signal<Out, Bits<32>>,
    /// Filter spad writes.
    pub filt_spad_writes: Signal<Out, Bits<32>>,
    /// Ifmap spad reads.
    pub ifmap_spad_reads: Signal<Out, Bits<32>>,
    /// Ifmap spad writes.
    pub ifmap_spad_writes: Signal<Out, Bits<32>>,
    /// Psum spad reads.
    pub psum_spad_reads: Signal<Out, Bits<32>>,
    /// Psum spad writes.
    pub psum_spad_writes: Signal<Out, Bits<32>>,

    filt_fifo: Fifo<Bits<16>>,
    ifmap_fifo: Fifo<Bits<16>>,
    psum_in_fifo: Fifo<Bits<16>>,
    psum_out_fifo: Fifo<Bits<16>>,
    filt_spad: Sram<Bits<16>, 8, 224>,
    ifmap_spad: [Reg<Bits<16>>; 12],
    // Beside the ifmap spad words, bit i says whether word i is non-zero (set as the word is
    // written and shifted with it), so that the zero-gating decision is a 1-bit select (a mux
    // tree) rather than a 16-bit compare after the 12-way word mux.
    ifmap_nz: Reg<Bits<16>>,
    psum_spad: RegFile<Bits<16>, 5, 24>,

    state: Reg<Bits<4>>,
    err: Reg<Bit>,
    // The pass configuration, mostly kept as "minus one" for loop-end compares.
    s_m1: Reg<Bits<4>>,
    u_m1: Reg<Bits<4>>,
    q_cfg: Reg<Bits<4>>,
    q_m1: Reg<Bits<4>>,
    p_m1: Reg<Bits<5>>,
    e_m1: Reg<Bits<8>>,
    shift: Reg<Bits<5>>,
    s_cfg: Reg<Bits<4>>,
    // The p*q*S check by repeated addition.
    chk_i: Reg<Bits<5>>,
    qs: Reg<Bits<8>>,
    pqs: Reg<Bits<12>>,
    qs_m1: Reg<Bits<4>>,
    nfilt_m1: Reg<Bits<8>>,
    // q*S and the running p*q*S are within the spads (registered as the sums grow).
    fits: Reg<Bit>,
    // Loop counters.
    f_idx: Reg<Bits<5>>,
    c_idx: Reg<Bits<4>>,
    col: Reg<Bits<4>>,
    ifidx: Reg<Bits<4>>,
    faddr: Reg<Bits<8>>,
    e_idx: Reg<Bits<8>>,
    // MAC pipeline, named by the stage that writes them: stage 1 (spad read issued), stage 2
    // (operands), stage 3 (raw product and sign correction), stage 4 (signed product), stage 5
    // (scaled product and the psum it adds to).
    s1_valid: Reg<Bit>,
    s1_gated: Reg<Bit>,
    s1_f: Reg<Bits<5>>,
    s1_x: Reg<Bits<16>>,
    s2_valid: Reg<Bit>,
    s2_gated: Reg<Bit>,
    s2_f: Reg<Bits<5>>,
    s2_x: Reg<Bits<16>>,
    s2_w: Reg<Bits<16>>,
    s3_valid: Reg<Bit>,
    s3_gated: Reg<Bit>,
    s3_f: Reg<Bits<5>>,
    s3_mul: Reg<Bits<32>>,
    s3_corr: Reg<Bits<16>>,
    s4_valid: Reg<Bit>,
    s4_gated: Reg<Bit>,
    s4_f: Reg<Bits<5>>,
    s4_prod: Reg<Bits<32>>,
    s5_valid: Reg<Bit>,
    s5_gated: Reg<Bit>,
    s5_f: Reg<Bits<5>>,
    s5_val: Reg<Bits<16>>,
    // The psum the stage-5 slot accumulates into, read a stage early, and whether it must be
    // forwarded from the accumulate stage instead (the slot ahead writes the same psum).
    s5_psum: Reg<Bits<16>>,
    fwd: Reg<Bit>,
    // A psum that went out: its spad entry is cleared the next cycle, so that every output
    // starts from zero.
    ld_valid: Reg<Bit>,
    ld_f: Reg<Bits<5>>,
    // The psum going out: the PE's sum and the psum_in word, registered apart and added on
    // the way into the output FIFO (the spad's read mux and the adder in one cycle, or the
    // adder and the FIFO's write, missed 120 MHz on the ECP5).
    ob_valid: Reg<Bit>,
    ob_sum: Reg<Bits<16>>,
    ob_in: Reg<Bits<16>>,
    ob_free: Signal<Local, Bit>,
    // The psum spad's read address, registered a cycle ahead.
    psum_raddr: Reg<Bits<5>>,
    // Counters.
    n_macs: Reg<Bits<32>>,
    n_gated: Reg<Bits<32>>,
    n_fr: Reg<Bits<32>>,
    n_fw: Reg<Bits<32>>,
    n_ir: Reg<Bits<32>>,
    n_iw: Reg<Bits<32>>,
    n_pr: Reg<Bits<32>>,
    n_pw: Reg<Bits<32>>,
    // Combinational helpers.
    range_ok: Signal<Local, Bit>,
    pqs_next: Signal<Local, Bits<12>>,
    qs_wide: Signal<Local, Bits<12>>,
    s_wide: Signal<Local, Bits<8>>,
    q_m1_wide: Signal<Local, Bits<5>>,
    cols_m1: Signal<Local, Bits<4>>,
    x_sel: Signal<Local, Bits<16>>,
    x_zero: Signal<Local, Bit>,
    nz_at: Signal<Local, Bits<16>>,
    nz_lt: Signal<Local, Bits<16>>,
    nz_le: Signal<Local, Bits<16>>,
    nz_ins: Signal<Local, Bits<16>>,
    mul_u: Signal<Local, Bits<32>>,
    corr_a: Signal<Local, Bits<16>>,
    corr_b: Signal<Local, Bits<16>>,
    corr: Signal<Local, Bits<16>>,
    corr_wide: Signal<Local, Bits<32>>,
    prod: Signal<Local, Bits<32>>,
    prod_ext: Signal<Local, Bits<48>>,
    shifted: Signal<Local, Bits<48>>,
    trunc: Signal<Local, Bits<16>>,
    unused_shift_hi: Signal<Local, Bits<32>>,
    pqs_lo: Signal<Local, Bits<8>>,
    qs_lo: Signal<Local, Bits<4>>,
    psum_sel: Signal<Local, Bits<16>>,
    psum_sum: Signal<Local, Bits<16>>,
    out_sel: Signal<Local, Bits<16>>,
    // Constants.
    st_idle: Constant<Bits<4>>,
    st_check_qs: Constant<Bits<4>>,
    st_check_pqs: Constant<Bits<4>>,
    st_load_filt: Constant<Bits<4>>,
    st_load_ifmap: Constant<Bits<4>>,
    st_mac: Constant<Bits<4>>,
    st_drain: Constant<Bits<4>>,
    st_out: Constant<Bits<4>>,
    st_check_end: Constant<Bits<4>>,
    max_s: Constant<Bits<4>>,
    max_u: Constant<Bits<4>>,
    max_p: Constant<Bits<5>>,
    max_q: Constant<Bits<4>>,
    max_qs: Constant<Bits<8>>,
    max_pqs: Constant<Bits<12>>,
    sign_ext: Constant<Bits<48>>,
    one16: Constant<Bits<16>>,
}

/// Builds the PE for a hardware configuration, connected and ready to emit or simulate.
pub(crate) fn build(hw: &PeConfig) -> EyerissPe {
    let mut uut = EyerissPe::new(hw);
    uut.connect_all();
    uut
}

impl EyerissPe {
    fn new(hw: &PeConfig) -> Self {
        Self {
            clk: Default::default(),
            rst: Default::default(),
            cfg_valid: Default::default(),
            cfg_ready: Default::default(),
            cfg_s: Default::default(),
            cfg_u: Default::default(),
            cfg_p: Default::default(),
            cfg_q: Default::default(),
            cfg_e: Default::default(),
            cfg_shift: Default::default(),
            cfg_error: Default::default(),
            busy: Default::default(),
            filt_valid: Default::default(),
            filt_ready: Default::default(),
            filt_data: Default::default(),
            ifmap_valid: Default::default(),
            ifmap_ready: Default::default(),
            ifmap_data: Default::default(),
            psum_in_valid: Default::default(),
            psum_in_ready: Default::default(),
            psum_in_data: Default::default(),
            psum_out_valid: Default::default(),
            psum_out_ready: Default::default(),
            psum_out_data: Default::default(),
            macs: Default::default(),
            macs_gated: Default::default(),
            filt_spad_reads: Default::default(),
            filt_spad_writes: Default::default(),
            ifmap_spad_reads: Default::default(),
            ifmap_spad_writes: Default::default(),
            psum_spad_reads: Default::default(),
            psum_spad_writes: Default::default(),
            filt_fifo: Default::default(),
            ifmap_fifo: Default::default(),
            psum_in_fifo: Default::default(),
            psum_out_fifo: Default::default(),
            filt_spad: Default::default(),
            ifmap_spad: Default::default(),
            ifmap_nz: Default::default(),
            psum_spad: Default::default(),
            state: Default::default(),
            err: Default::default(),
            s_m1: Default::default(),
            u_m1: Default::default(),
            q_cfg: Default::default(),
            q_m1: Default::default(),
            p_m1: Default::default(),
            e_m1: Default::default(),
            shift: Default::default(),
            s_cfg: Default::default(),
            chk_i: Default::default(),
            qs: Default::default(),
            pqs: Default::default(),
            qs_m1: Default::default(),
            nfilt_m1: Default::default(),
            fits: Default::default(),
            f_idx: Default::default(),
            c_idx: Default::default(),
            col: Default::default(),
            ifidx: Default::default(),
            faddr: Default::default(),
            e_idx: Default::default(),
            s1_valid: Default::default(),
            s1_gated: Default::default(),
            s1_f: Default::default(),
            s1_x: Default::default(),
            s2_valid: Default::default(),
            s2_gated: Default::default(),
            s2_f: Default::default(),
            s2_x: Default::default(),
            s2_w: Default::default(),
            s3_valid: Default::default(),
            s3_gated: Default::default(),
            s3_f: Default::default(),
            s3_mul: Default::default(),
            s3_corr: Default::default(),
            s4_valid: Default::default(),
            s4_gated: Default::default(),
            s4_f: Default::default(),
            s4_prod: Default::default(),
            s5_valid: Default::default(),
            s5_gated: Default::default(),
            s5_f: Default::default(),
            s5_val: Default::default(),
            s5_psum: Default::default(),
            fwd: Default::default(),
            ld_valid: Default::default(),
            ld_f: Default::default(),
            ob_valid: Default::default(),
            ob_sum: Default::default(),
            ob_in: Default::default(),
            ob_free: Default::default(),
            psum_raddr: Default::default(),
            n_macs: Default::default(),
            n_gated: Default::default(),
            n_fr: Default::default(),
            n_fw: Default::default(),
            n_ir: Default::default(),
            n_iw: Default::default(),
            n_pr: Default::default(),
            n_pw: Default::default(),
            range_ok: Default::default(),
            pqs_next: Default::default(),
            qs_wide: Default::default(),
            s_wide: Default::default(),
            q_m1_wide: Default::default(),
            cols_m1: Default::default(),
            x_sel: Default::default(),
            x_zero: Default::default(),
            nz_at: Default::default(),
            nz_lt: Default::default(),
            nz_le: Default::default(),
            nz_ins: Default::default(),
            mul_u: Default::default(),
            corr_a: Default::default(),
            corr_b: Default::default(),
            corr: Default::default(),
            corr_wide: Default::default(),
            prod: Default::default(),
            prod_ext: Default::default(),
            shifted: Default::default(),
            trunc: Default::default(),
            unused_shift_hi: Default::default(),
            pqs_lo: Default::default(),
            qs_lo: Default::default(),
            psum_sel: Default::default(),
            psum_sum: Default::default(),
            out_sel: Default::default(),
            st_idle: Constant::new(bits(0)),
            st_check_qs: Constant::new(bits(1)),
            st_check_pqs: Constant::new(bits(2)),
            st_load_filt: Constant::new(bits(3)),
            st_load_ifmap: Constant::new(bits(5)),
            st_mac: Constant::new(bits(6)),
            st_drain: Constant::new(bits(7)),
            st_out: Constant::new(bits(8)),
            st_check_end: Constant::new(bits(9)),
            max_s: Constant::new(bits(hw.ifmap_spad_words as u64)),
            max_u: Constant::new(bits(12)),
            max_p: Constant::new(bits(hw.psum_spad_words as u64)),
            max_q: Constant::new(bits(hw.ifmap_spad_words as u64)),
            max_qs: Constant::new(bits(hw.ifmap_spad_words as u64)),
            max_pqs: Constant::new(bits(hw.filter_spad_words as u64)),
            sign_ext: Constant::new(bits(0xffff_0000_0000)),
            one16: Constant::new(bits(1)),
        }
    }
}

// The state machine reads best as `if state == X { if condition { .. } }`.
#[allow(clippy::collapsible_if)]
impl Logic for EyerissPe {
    #[hdl_gen]
    fn update(&mut self) {
        // Clock, reset and hold for every register.
        dff_setup!(
            self, clk, state, err, s_m1, u_m1, q_cfg, q_m1, p_m1, e_m1, shift, s_cfg, chk_i, qs,
            pqs, qs_m1, nfilt_m1, fits, ifmap_nz, f_idx, c_idx, col, ifidx, faddr, e_idx, s1_valid,
            s1_gated, s1_f, s1_x, s2_valid, s2_gated, s2_f, s2_x, s2_w, s3_valid, s3_gated, s3_f,
            s3_mul, s3_corr, s4_valid, s4_gated, s4_f, s4_prod, s5_valid, s5_gated, s5_f, s5_val,
            s5_psum, fwd, ld_valid, ld_f, ob_valid, ob_sum, ob_in, psum_raddr, n_macs, n_gated, n_fr, n_fw, n_ir,
            n_iw, n_pr, n_pw
        );
        self.state.rst.next = self.rst.val();
        self.err.rst.next = self.rst.val();
        self.s_m1.rst.next = self.rst.val();
        self.u_m1.rst.next = self.rst.val();
        self.q_cfg.rst.next = self.rst.val();
        self.q_m1.rst.next = self.rst.val();
        self.p_m1.rst.next = self.rst.val();
        self.e_m1.rst.next = self.rst.val();
        self.shift.rst.next = self.rst.val();
        self.s_cfg.rst.next = self.rst.val();
        self.chk_i.rst.next = self.rst.val();
        self.qs.rst.next = self.rst.val();
        self.pqs.rst.next = self.rst.val();
        self.qs_m1.rst.next = self.rst.val();
        self.nfilt_m1.rst.next = self.rst.val();
        self.fits.rst.next = self.rst.val();
        self.ifmap_nz.rst.next = self.rst.val();
        self.f_idx.rst.next = self.rst.val();
        self.c_idx.rst.next = self.rst.val();
        self.col.rst.next = self.rst.val();
        self.ifidx.rst.next = self.rst.val();
        self.faddr.rst.next = self.rst.val();
        self.e_idx.rst.next = self.rst.val();
        self.s1_valid.rst.next = self.rst.val();
        self.s1_gated.rst.next = self.rst.val();
        self.s1_f.rst.next = self.rst.val();
        self.s1_x.rst.next = self.rst.val();
        self.s2_valid.rst.next = self.rst.val();
        self.s2_gated.rst.next = self.rst.val();
        self.s2_f.rst.next = self.rst.val();
        self.s2_x.rst.next = self.rst.val();
        self.s2_w.rst.next = self.rst.val();
        self.s3_valid.rst.next = self.rst.val();
        self.s3_gated.rst.next = self.rst.val();
        self.s3_f.rst.next = self.rst.val();
        self.s3_mul.rst.next = self.rst.val();
        self.s3_corr.rst.next = self.rst.val();
        self.s4_valid.rst.next = self.rst.val();
        self.s4_gated.rst.next = self.rst.val();
        self.s4_f.rst.next = self.rst.val();
        self.s4_prod.rst.next = self.rst.val();
        self.s5_valid.rst.next = self.rst.val();
        self.s5_gated.rst.next = self.rst.val();
        self.s5_f.rst.next = self.rst.val();
        self.s5_val.rst.next = self.rst.val();
        self.s5_psum.rst.next = self.rst.val();
        self.fwd.rst.next = self.rst.val();
        self.ld_valid.rst.next = self.rst.val();
        self.ld_f.rst.next = self.rst.val();
        self.ob_valid.rst.next = self.rst.val();
        self.ob_sum.rst.next = self.rst.val();
        self.ob_in.rst.next = self.rst.val();
        self.psum_raddr.rst.next = self.rst.val();
        self.n_macs.rst.next = self.rst.val();
        self.n_gated.rst.next = self.rst.val();
        self.n_fr.rst.next = self.rst.val();
        self.n_fw.rst.next = self.rst.val();
        self.n_ir.rst.next = self.rst.val();
        self.n_iw.rst.next = self.rst.val();
        self.n_pr.rst.next = self.rst.val();
        self.n_pw.rst.next = self.rst.val();
        for i in 0..12 {
            self.ifmap_spad[i].clock.next = self.clk.val();
            self.ifmap_spad[i].rst.next = self.rst.val();
            self.ifmap_spad[i].d.next = self.ifmap_spad[i].q.val();
        }
        self.psum_spad.clk.next = self.clk.val();
        self.psum_spad.rst.next = self.rst.val();
        self.filt_fifo.clk.next = self.clk.val();
        self.ifmap_fifo.clk.next = self.clk.val();
        self.psum_in_fifo.clk.next = self.clk.val();
        self.psum_out_fifo.clk.next = self.clk.val();
        self.filt_spad.clk.next = self.clk.val();
        self.filt_fifo.rst.next = self.rst.val();
        self.ifmap_fifo.rst.next = self.rst.val();
        self.psum_in_fifo.rst.next = self.rst.val();
        self.psum_out_fifo.rst.next = self.rst.val();

        // Stream ports and FIFOs; each state below takes the words it needs.
        self.filt_fifo.in_valid.next = self.filt_valid.val();
        self.filt_fifo.in_data.next = self.filt_data.val();
        self.filt_ready.next = self.filt_fifo.in_ready.val();
        self.filt_fifo.out_ready.next = false;
        self.ifmap_fifo.in_valid.next = self.ifmap_valid.val();
        self.ifmap_fifo.in_data.next = self.ifmap_data.val();
        self.ifmap_ready.next = self.ifmap_fifo.in_ready.val();
        self.ifmap_fifo.out_ready.next = false;
        self.psum_in_fifo.in_valid.next = self.psum_in_valid.val();
        self.psum_in_fifo.in_data.next = self.psum_in_data.val();
        self.psum_in_ready.next = self.psum_in_fifo.in_ready.val();
        self.psum_in_fifo.out_ready.next = false;
        self.psum_out_valid.next = self.psum_out_fifo.out_valid.val();
        self.psum_out_data.next = self.psum_out_fifo.out_data.val();
        self.psum_out_fifo.out_ready.next = self.psum_out_ready.val();

        // Status and counters.
        self.cfg_ready.next = self.state.q.val() == self.st_idle.val();
        self.busy.next = self.state.q.val() != self.st_idle.val();
        self.cfg_error.next = self.err.q.val();
        self.macs.next = self.n_macs.q.val();
        self.macs_gated.next = self.n_gated.q.val();
        self.filt_spad_reads.next = self.n_fr.q.val();
        self.filt_spad_writes.next = self.n_fw.q.val();
        self.ifmap_spad_reads.next = self.n_ir.q.val();
        self.ifmap_spad_writes.next = self.n_iw.q.val();
        self.psum_spad_reads.next = self.n_pr.q.val();
        self.psum_spad_writes.next = self.n_pw.q.val();

        // Filter spad: written while loading, read (unless gated) in stage 1.
        self.filt_spad.waddr.next = self.faddr.q.val();
        self.filt_spad.wdata.next = self.filt_fifo.out_data.val();
        self.filt_spad.we.next = false;
        self.filt_spad.raddr.next = self.faddr.q.val();
        self.filt_spad.re.next = false;
        self.psum_spad.we.next = false;

        // Muxes: the ifmap word of this slot, the psum being accumulated, the psum going out.
        self.x_sel.next = self.ifmap_spad[0].q.val();
        for i in 0..12 {
            if self.ifidx.q.val().index() == i {
                self.x_sel.next = self.ifmap_spad[i].q.val();
            }
        }
        self.x_zero.next = !self.ifmap_nz.q.val().get_bit(self.ifidx.q.val().index());
        // The psum spad's read port serves stage 5 while it holds a MAC, its write port the
        // accumulate stage; when the pipeline is empty they serve the psum going out and the
        // clearing of its entry (a cycle after it left). Registers pick the user and drive the
        // write port, so no state decoding sits on these paths.
        self.psum_spad.raddr.next = self.psum_raddr.q.val();
        self.psum_spad.waddr.next = self.s5_f.q.val();
        if !self.s5_valid.q.val() {
            self.psum_spad.waddr.next = self.ld_f.q.val();
        }
        self.ld_valid.d.next = false;
        self.ld_f.d.next = self.f_idx.q.val();
        if self.ld_valid.q.val() {
            self.psum_spad.we.next = true;
        }
        // A psum goes out as the PE's own sum plus the psum_in word (from the PE below or the
        // buffer): both into the output registers, added on the way into the FIFO.
        self.out_sel.next = self.psum_spad.rdata.val();
        self.psum_out_fifo.in_valid.next = self.ob_valid.q.val();
        self.psum_out_fifo.in_data.next = self.ob_sum.q.val() + self.ob_in.q.val();
        self.ob_free.next = !self.ob_valid.q.val() | self.psum_out_fifo.in_ready.val();
        if self.psum_out_fifo.in_ready.val() {
            self.ob_valid.d.next = false;
        }

        // A slot's valid, gate and psum index move down the pipeline with it; a gated slot's
        // data registers hold still (zero gating).
        self.s2_valid.d.next = self.s1_valid.q.val();
        self.s2_gated.d.next = self.s1_gated.q.val();
        self.s2_f.d.next = self.s1_f.q.val();
        self.s3_valid.d.next = self.s2_valid.q.val();
        self.s3_gated.d.next = self.s2_gated.q.val();
        self.s3_f.d.next = self.s2_f.q.val();
        self.s4_valid.d.next = self.s3_valid.q.val();
        self.s4_gated.d.next = self.s3_gated.q.val();
        self.s4_f.d.next = self.s3_f.q.val();
        self.s5_valid.d.next = self.s4_valid.q.val();
        self.s5_gated.d.next = self.s4_gated.q.val();
        self.s5_f.d.next = self.s4_f.q.val();

        // Stage 2: the operands, straight from the spads into registers (the filter spad's
        // block RAM output and the ifmap word), so that the multiplier starts from registers.
        if self.s1_valid.q.val() & !self.s1_gated.q.val() {
            self.s2_x.d.next = self.s1_x.q.val();
            self.s2_w.d.next = self.filt_spad.rdata.val();
        }

        // Stage 3: an unsigned 16 x 16 multiply from register to register (a DSP block where
        // the family has one), and beside it the correction that makes it signed: the signed
        // product is the unsigned one minus 2^16 * ((x<0 ? w : 0) + (w<0 ? x : 0)), mod 2^32.
        self.mul_u.next = self.s2_x.q.val() * self.s2_w.q.val();
        self.corr_a.next = 0.into();
        self.corr_b.next = 0.into();
        if self.s2_x.q.val().get_bit(15) {
            self.corr_a.next = self.s2_w.q.val();
        }
        if self.s2_w.q.val().get_bit(15) {
            self.corr_b.next = self.s2_x.q.val();
        }
        self.corr.next = self.corr_a.val() + self.corr_b.val();
        if self.s2_valid.q.val() & !self.s2_gated.q.val() {
            self.s3_mul.d.next = self.mul_u.val();
            self.s3_corr.d.next = self.corr.val();
        }

        // Stage 4: the signed product.
        self.corr_wide.next = bit_cast::<32, 16>(self.s3_corr.q.val());
        self.prod.next = self.s3_mul.q.val() - (self.corr_wide.val() << 16);
        if self.s3_valid.q.val() & !self.s3_gated.q.val() {
            self.s4_prod.d.next = self.prod.val();
        }

        // Stage 5: the per-layer scaling (an arithmetic right shift of the 32-bit product, as a
        // logical shift of its sign extension to 48 bits), cut to 16 bits.
        self.prod_ext.next = bit_cast::<48, 32>(self.s4_prod.q.val());
        if self.s4_prod.q.val().get_bit(31) {
            self.prod_ext.next = bit_cast::<48, 32>(self.s4_prod.q.val()) | self.sign_ext.val();
        }
        self.shifted.next = self.prod_ext.val() >> self.shift.q.val();
        self.trunc.next = self.shifted.val().get_bits::<16>(0);
        // The bits the cut drops (named `unused_*`, the lint convention for dropped bits).
        self.unused_shift_hi.next = self.shifted.val().get_bits::<32>(16);
        self.psum_sum.next = self.s5_psum.q.val() + self.s5_val.q.val();
        // Beside it, the psum this slot adds to: read from the spad, or, when the slot ahead
        // (now in stage 6) writes the same psum this cycle, taken from its sum (forwarding).
        self.psum_sel.next = self.psum_spad.rdata.val();
        if self.fwd.q.val() {
            self.psum_sel.next = self.psum_sum.val();
        }
        if self.s4_valid.q.val() & !self.s4_gated.q.val() {
            self.s5_val.d.next = self.trunc.val();
            self.s5_psum.d.next = self.psum_sel.val();
        }
        self.fwd.d.next = self.s3_valid.q.val()
            & self.s4_valid.q.val()
            & !self.s4_gated.q.val()
            & (self.s3_f.q.val() == self.s4_f.q.val());

        // Stage 6: accumulate into the psum spad (wrapping); the sum is written below.
        self.psum_spad.wdata.next = self.psum_sum.val();
        if !self.s5_valid.q.val() {
            self.psum_spad.wdata.next = 0.into();
        }
        if self.s5_valid.q.val() & !self.s5_gated.q.val() {
            self.psum_spad.we.next = true;
            self.n_macs.d.next = self.n_macs.q.val() + 1;
            self.n_pr.d.next = self.n_pr.q.val() + 1;
            self.n_pw.d.next = self.n_pw.q.val() + 1;
        }
        if self.s5_valid.q.val() & self.s5_gated.q.val() {
            self.n_gated.d.next = self.n_gated.q.val() + 1;
        }

        // Stage 1 issues only in MAC.
        self.s1_valid.d.next = false;

        // Configuration checks.
        self.range_ok.next = self.cfg_s.val().any()
            & (self.cfg_s.val() <= self.max_s.val())
            & self.cfg_u.val().any()
            & (self.cfg_u.val() <= self.max_u.val())
            & self.cfg_p.val().any()
            & (self.cfg_p.val() <= self.max_p.val())
            & self.cfg_q.val().any()
            & (self.cfg_q.val() <= self.max_q.val())
            & self.cfg_e.val().any();
        self.s_wide.next = bit_cast::<8, 4>(self.s_cfg.q.val());
        self.qs_wide.next = bit_cast::<12, 8>(self.qs.q.val());
        self.q_m1_wide.next = bit_cast::<5, 4>(self.q_m1.q.val());
        self.pqs_next.next = self.pqs.q.val() + self.qs_wide.val();
        self.pqs_lo.next = self.pqs.q.val().get_bits::<8>(0);
        self.qs_lo.next = self.qs.q.val().get_bits::<4>(0);
        self.cols_m1.next = self.u_m1.q.val();
        if !self.e_idx.q.val().any() {
            self.cols_m1.next = self.s_m1.q.val();
        }

        if self.state.q.val() == self.st_idle.val() {
            if self.cfg_valid.val() {
                self.s_cfg.d.next = self.cfg_s.val();
                self.s_m1.d.next = self.cfg_s.val() - 1;
                self.u_m1.d.next = self.cfg_u.val() - 1;
                self.q_cfg.d.next = self.cfg_q.val();
                self.q_m1.d.next = self.cfg_q.val() - 1;
                self.p_m1.d.next = self.cfg_p.val() - 1;
                self.e_m1.d.next = self.cfg_e.val() - 1;
                self.shift.d.next = self.cfg_shift.val();
                self.chk_i.d.next = 0.into();
                self.qs.d.next = 0.into();
                self.err.d.next = !self.range_ok.val();
                if self.range_ok.val() {
                    self.state.d.next = self.st_check_qs.val();
                }
            }
        }
        if self.state.q.val() == self.st_check_qs.val() {
            self.qs.d.next = self.qs.q.val() + self.s_wide.val();
            self.chk_i.d.next = self.chk_i.q.val() + 1;
            if self.chk_i.q.val() == self.q_m1_wide.val() {
                self.chk_i.d.next = 0.into();
                self.pqs.d.next = 0.into();
                self.state.d.next = self.st_check_pqs.val();
            }
        }
        if self.state.q.val() == self.st_check_pqs.val() {
            self.pqs.d.next = self.pqs_next.val();
            self.fits.d.next = (self.qs.q.val() <= self.max_qs.val())
                & (self.pqs_next.val() <= self.max_pqs.val());
            self.chk_i.d.next = self.chk_i.q.val() + 1;
            if self.chk_i.q.val() == self.p_m1.q.val() {
                self.state.d.next = self.st_check_end.val();
            }
        }
        // The limits, compared beside the last addition, decide a cycle later.
        if self.state.q.val() == self.st_check_end.val() {
            if self.fits.q.val() {
                self.nfilt_m1.d.next = self.pqs_lo.val() - 1;
                self.qs_m1.d.next = self.qs_lo.val() - 1;
                self.faddr.d.next = 0.into();
                self.state.d.next = self.st_load_filt.val();
            } else {
                self.err.d.next = true;
                self.state.d.next = self.st_idle.val();
            }
        }
        if self.state.q.val() == self.st_load_filt.val() {
            self.filt_fifo.out_ready.next = true;
            if self.filt_fifo.out_valid.val() {
                self.filt_spad.we.next = true;
                self.n_fw.d.next = self.n_fw.q.val() + 1;
                self.faddr.d.next = self.faddr.q.val() + 1;
                if self.faddr.q.val() == self.nfilt_m1.q.val() {
                    self.f_idx.d.next = 0.into();
                    self.e_idx.d.next = 0.into();
                    self.c_idx.d.next = 0.into();
                    self.col.d.next = 0.into();
                    self.state.d.next = self.st_load_ifmap.val();
                }
            }
        }
        // Masks for the zero flags' window shift: bit qs - 1, the bits below it, both.
        self.nz_at.next = self.one16.val() << self.qs_m1.q.val();
        self.nz_lt.next = self.nz_at.val() - 1;
        self.nz_le.next = self.nz_lt.val() | self.nz_at.val();
        self.nz_ins.next = 0.into();
        if self.ifmap_fifo.out_data.val().any() {
            self.nz_ins.next = self.nz_at.val();
        }
        if self.state.q.val() == self.st_load_ifmap.val() {
            self.ifmap_fifo.out_ready.next = true;
            if self.ifmap_fifo.out_valid.val() {
                // The window shifts down one word; the new word enters at the top (qs - 1).
                for i in 0..11 {
                    if self.qs_m1.q.val().index() > i {
                        self.ifmap_spad[i].d.next = self.ifmap_spad[i + 1].q.val();
                    }
                }
                for i in 0..12 {
                    if self.qs_m1.q.val().index() == i {
                        self.ifmap_spad[i].d.next = self.ifmap_fifo.out_data.val();
                    }
                }
                // The zero flags shift the same way: bits below qs - 1 take the bit above them,
                // bit qs - 1 the new word's flag, the bits above hold.
                self.ifmap_nz.d.next = (self.ifmap_nz.q.val() & !self.nz_le.val())
                    | ((self.ifmap_nz.q.val() >> 1) & self.nz_lt.val())
                    | self.nz_ins.val();
                self.n_iw.d.next = self.n_iw.q.val() + 1;
                self.c_idx.d.next = self.c_idx.q.val() + 1;
                if self.c_idx.q.val() == self.q_m1.q.val() {
                    self.c_idx.d.next = 0.into();
                    self.col.d.next = self.col.q.val() + 1;
                    if self.col.q.val() == self.cols_m1.val() {
                        self.col.d.next = 0.into();
                        self.f_idx.d.next = 0.into();
                        self.ifidx.d.next = 0.into();
                        self.faddr.d.next = 0.into();
                        self.state.d.next = self.st_mac.val();
                    }
                }
            }
        }
        if self.state.q.val() == self.st_mac.val() {
            // Stage 1: one slot a cycle; a zero ifmap word gates the filter read.
            self.filt_spad.re.next = !self.x_zero.val();
            self.s1_valid.d.next = true;
            self.s1_gated.d.next = self.x_zero.val();
            self.s1_f.d.next = self.f_idx.q.val();
            self.s1_x.d.next = self.x_sel.val();
            self.n_ir.d.next = self.n_ir.q.val() + 1;
            if !self.x_zero.val() {
                self.n_fr.d.next = self.n_fr.q.val() + 1;
            }
            self.faddr.d.next = self.faddr.q.val() + 1;
            self.col.d.next = self.col.q.val() + 1;
            self.ifidx.d.next = self.ifidx.q.val() + self.q_cfg.q.val();
            if self.col.q.val() == self.s_m1.q.val() {
                self.col.d.next = 0.into();
                self.c_idx.d.next = self.c_idx.q.val() + 1;
                self.ifidx.d.next = self.c_idx.q.val() + 1;
                if self.c_idx.q.val() == self.q_m1.q.val() {
                    self.c_idx.d.next = 0.into();
                    self.ifidx.d.next = 0.into();
                    self.f_idx.d.next = self.f_idx.q.val() + 1;
                    if self.f_idx.q.val() == self.p_m1.q.val() {
                        self.f_idx.d.next = 0.into();
                        self.state.d.next = self.st_drain.val();
                    }
                }
            }
        }
        if self.state.q.val() == self.st_drain.val() {
            if !(self.s1_valid.q.val()
                | self.s2_valid.q.val()
                | self.s3_valid.q.val()
                | self.s4_valid.q.val()
                | self.s5_valid.q.val())
            {
                self.state.d.next = self.st_out.val();
            }
        }
        if self.state.q.val() == self.st_out.val() {
            // Each psum leaves with its psum_in word added; its spad entry is then cleared.
            self.psum_in_fifo.out_ready.next = self.ob_free.val();
            if self.psum_in_fifo.out_valid.val() & self.ob_free.val() {
                self.ob_valid.d.next = true;
                self.ob_sum.d.next = self.out_sel.val();
                self.ob_in.d.next = self.psum_in_fifo.out_data.val();
                self.ld_valid.d.next = true;
                self.n_pr.d.next = self.n_pr.q.val() + 1;
                self.n_pw.d.next = self.n_pw.q.val() + 1;
                self.f_idx.d.next = self.f_idx.q.val() + 1;
                if self.f_idx.q.val() == self.p_m1.q.val() {
                    self.f_idx.d.next = 0.into();
                    self.e_idx.d.next = self.e_idx.q.val() + 1;
                    self.state.d.next = self.st_load_ifmap.val();
                    if self.e_idx.q.val() == self.e_m1.q.val() {
                        self.state.d.next = self.st_idle.val();
                    }
                }
            }
        }

        // Next cycle's psum read: stage 5's psum if a MAC moves into stage 5, else the psum at
        // f_idx (the one going out). Registered here so no multiplexer precedes the read.
        self.psum_raddr.d.next = self.f_idx.d.val();
        if self.s3_valid.q.val() {
            self.psum_raddr.d.next = self.s3_f.q.val();
        }
    }
}

crate::sim::sim_ports!(
    EyerissPe,
    clock: clk,
    inputs: [
        rst, cfg_valid, cfg_s, cfg_u, cfg_p, cfg_q, cfg_e, cfg_shift, filt_valid, filt_data,
        ifmap_valid, ifmap_data, psum_in_valid, psum_in_data, psum_out_ready,
    ],
    outputs: [
        cfg_ready, cfg_error, busy, filt_ready, ifmap_ready, psum_in_ready, psum_out_valid,
        psum_out_data, macs, macs_gated, filt_spad_reads, filt_spad_writes, ifmap_spad_reads,
        ifmap_spad_writes, psum_spad_reads, psum_spad_writes,
    ]
);
