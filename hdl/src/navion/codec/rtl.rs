//! The codec's rust-hdl description (see the parent module for its behaviour and timing).
//!
//! Generic over its memories: `LA` address bits and `LD` words of each line-buffer row (the
//! widest frame); the frame memory of `MD` words (blocks) is `NB` banks of `BD` words, `BA`
//! address bits each (block address a is word `a mod 2^BA` of bank `a >> BA`). Every port
//! has the same width in every shape, so one driver serves every preset.
//!
//! The 16 pixels of the block being gathered sit in `lane[4 r + c]` (row r, column c), each a
//! 6-bit register holding a 5-bit pixel (the spare bit makes `2 p` a plain shift). A column
//! enters at c = 3 and the others move one column left, so after four columns the block is
//! in place.

// A comparison assigned on its own is written in parentheses: the emitter sizes the literal
// of a parenthesised comparison (`(yr == 2'h3)`), not of a bare one.
#![allow(unused_parens)]

use crate::widgets::{Fifo, Reg, Sram};
use crate::RtlSim;
use rust_hdl::prelude::*;

/// The Navion frame codec: encoder, frame memory and block reader.
#[derive(LogicBlock)]
pub struct NavionCodec<const LA: usize, const LD: usize, const BA: usize, const BD: usize, const NB: usize, const MD: usize> {
    /// Clock; everything happens on its rising edge.
    pub clk: Signal<In, Clock>,
    /// Synchronous active-high reset (the memories keep their contents).
    pub rst: Signal<In, Bit>,
    /// A frame is offered: its size and whether it comes as block words (`cfg_load`).
    pub cfg_valid: Signal<In, Bit>,
    /// Idle: a frame may start.
    pub cfg_ready: Signal<Out, Bit>,
    /// W, pixels (a nonzero multiple of 4, at most the preset's widest).
    pub cfg_width: Signal<In, Bits<11>>,
    /// H, pixels (a nonzero multiple of 4; (W/4)(H/4) at most the frame memory's blocks).
    pub cfg_height: Signal<In, Bits<11>>,
    /// 1: the frame comes as block words on `ld` (stored as they are), 0: as pixels on `in`.
    pub cfg_load: Signal<In, Bit>,
    /// A frame is being checked, taken or written.
    pub busy: Signal<Out, Bit>,
    /// The last frame offered was refused (its size); cleared by the next one taken.
    pub error: Signal<Out, Bit>,
    /// Pixels in, raster order, 8-bit gray.
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_data: Signal<In, Bits<8>>,
    /// Block words in (a frame loaded into the memory), raster block order.
    pub ld_valid: Signal<In, Bit>,
    pub ld_ready: Signal<Out, Bit>,
    pub ld_data: Signal<In, Bits<26>>,
    /// Encoded block words out, raster block order, with their address; `out_last` on the
    /// frame's last block.
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_data: Signal<Out, Bits<26>>,
    pub out_addr: Signal<Out, Bits<16>>,
    pub out_last: Signal<Out, Bit>,
    /// Block reads: block `rd_addr` (raster order) of the frame in memory.
    pub rd_valid: Signal<In, Bit>,
    pub rd_ready: Signal<Out, Bit>,
    pub rd_addr: Signal<In, Bits<16>>,
    /// Read responses in request order: the word, its 16 decoded 8-bit pixels (pixel i of the
    /// block in bits 8i..8i+7 of `blk_lo` for i < 8, of `blk_hi` for i >= 8), and `blk_err`
    /// for an address outside the frame (everything else 0).
    pub blk_valid: Signal<Out, Bit>,
    pub blk_ready: Signal<In, Bit>,
    pub blk_word: Signal<Out, Bits<26>>,
    pub blk_lo: Signal<Out, Bits<64>>,
    pub blk_hi: Signal<Out, Bits<64>>,
    pub blk_err: Signal<Out, Bit>,

    // Memories: three line-buffer rows of 5-bit pixels and the frame memory of 26-bit words.
    line0: Sram<Bits<5>, LA, LD>,
    line1: Sram<Bits<5>, LA, LD>,
    line2: Sram<Bits<5>, LA, LD>,
    // The frame memory: NB banks (one per 2^BA blocks), each read into its own register.
    banks: Vec<Sram<Bits<26>, BA, BD>>,
    // {last[42], addr[41:26], word[25:0]} and {err[26], word[25:0]}.
    out_fifo: Fifo<Bits<43>>,
    blk_fifo: Fifo<Bits<27>>,

    // The frame: offered size, check, state, counters.
    req_w: Reg<Bits<11>>,
    req_h: Reg<Bits<11>>,
    req_load: Reg<Bit>,
    checking: Reg<Bit>,
    // The check's steps: the product and the simple conditions, then the verdict.
    chk2: Reg<Bit>,
    chk3: Reg<Bit>,
    prod_q: Reg<Bits<32>>,
    shape_ok: Reg<Bit>,
    size_ok_q: Reg<Bit>,
    err: Reg<Bit>,
    taking: Reg<Bit>,
    running: Reg<Bit>,
    loading: Reg<Bit>,
    nblocks: Reg<Bits<16>>,
    last_blk: Reg<Bits<16>>,
    w_m1: Reg<Bits<10>>,
    h_m1: Reg<Bits<11>>,
    x: Reg<Bits<10>>,
    y: Reg<Bits<11>>,
    wr_addr: Reg<Bits<16>>,
    // Blocks taken (their last pixel) and not yet out: at most the output FIFO's 4.
    pending: Reg<Bits<3>>,
    // Encoder pipeline: s1 the line buffer read, s2 the column, s3 its min and max.
    s1_valid: Reg<Bit>,
    s1_first: Reg<Bit>,
    s1_last: Reg<Bit>,
    s1_end: Reg<Bit>,
    s1_p3: Reg<Bits<5>>,
    s2_valid: Reg<Bit>,
    s2_first: Reg<Bit>,
    s2_last: Reg<Bit>,
    s2_end: Reg<Bit>,
    s2_col: Reg<Bits<24>>,
    s3_valid: Reg<Bit>,
    s3_first: Reg<Bit>,
    s3_last: Reg<Bit>,
    s3_end: Reg<Bit>,
    s3_col: Reg<Bits<24>>,
    s3_min: Reg<Bits<6>>,
    s3_max: Reg<Bits<6>>,
    // The block being gathered, its running min and max; s4: a whole block is there.
    lane: Vec<Reg<Bits<6>>>,
    acc_min: Reg<Bits<6>>,
    acc_max: Reg<Bits<6>>,
    s4_valid: Reg<Bit>,
    s4_end: Reg<Bit>,
    // s5: a word written into the frame memory (encoded or loaded) and, encoded, the FIFO.
    s5_we: Reg<Bit>,
    s5_push: Reg<Bit>,
    s5_end: Reg<Bit>,
    s5_addr: Reg<Bits<16>>,
    s5_word: Reg<Bits<26>>,
    s5_entry: Reg<Bits<43>>,
    // Block reader: the read issued last cycle, and responses issued but not yet taken.
    d1_valid: Reg<Bit>,
    d1_err: Reg<Bit>,
    d2_valid: Reg<Bit>,
    d2_err: Reg<Bit>,
    d1_bank: Reg<Bits<4>>,
    d2_bank: Reg<Bits<4>>,
    bank_q: Vec<Reg<Bits<26>>>,
    rd_pending: Reg<Bits<3>>,

    // Combinational helpers.
    px5: Signal<Local, Bits<5>>,
    xc: Signal<Local, Bits<2>>,
    wlo: Signal<Local, Bits<2>>,
    hlo: Signal<Local, Bits<2>>,
    yr: Signal<Local, Bits<2>>,
    bw11: Signal<Local, Bits<11>>,
    bh11: Signal<Local, Bits<11>>,
    prod16: Signal<Local, Bits<16>>,
    w10: Signal<Local, Bits<10>>,
    dp1: Signal<Local, Bits<6>>,
    th5: Signal<Local, Bits<5>>,
    r_mn8w: Signal<Local, Bits<8>>,
    r_hi8w: Signal<Local, Bits<8>>,
    r_x8: Signal<Local, Bits<8>>,
    r_b64: Signal<Local, Bits<64>>,
    r_bhi64: Signal<Local, Bits<64>>,
    unused_in: Signal<Local, Bits<8>>,
    unused_dp1: Signal<Local, Bits<6>>,
    unused_room: Signal<Local, Bit>,
    bytebit: Vec<Constant<Bits<64>>>,
    row3: Signal<Local, Bit>,
    completes: Signal<Local, Bit>,
    take_px: Signal<Local, Bit>,
    take_ld: Signal<Local, Bit>,
    take_rd: Signal<Local, Bit>,
    out_pop: Signal<Local, Bit>,
    blk_pop: Signal<Local, Bit>,
    in_range: Signal<Local, Bit>,
    wr_bank: Signal<Local, Bits<16>>,
    rd_bank: Signal<Local, Bits<16>>,
    rd_word: Signal<Local, Bits<26>>,
    bw16: Signal<Local, Bits<16>>,
    bh16: Signal<Local, Bits<16>>,
    product: Signal<Local, Bits<32>>,
    size_ok: Signal<Local, Bit>,
    c0: Signal<Local, Bits<6>>,
    c1: Signal<Local, Bits<6>>,
    c2: Signal<Local, Bits<6>>,
    c3: Signal<Local, Bits<6>>,
    min01: Signal<Local, Bits<6>>,
    min23: Signal<Local, Bits<6>>,
    max01: Signal<Local, Bits<6>>,
    max23: Signal<Local, Bits<6>>,
    n_min: Signal<Local, Bits<6>>,
    n_max: Signal<Local, Bits<6>>,
    mn5: Signal<Local, Bits<5>>,
    sum6: Signal<Local, Bits<6>>,
    gbit: Vec<Signal<Local, Bits<16>>>,
    pbits: Signal<Local, Bits<16>>,
    word: Signal<Local, Bits<26>>,
    out_entry: Signal<Local, Bits<43>>,
    // The response at the head of the block FIFO, decoded.
    r_word: Signal<Local, Bits<26>>,
    r_mn: Signal<Local, Bits<5>>,
    r_th: Signal<Local, Bits<5>>,
    r_bits: Signal<Local, Bits<16>>,
    r_hi6: Signal<Local, Bits<6>>,
    r_hi: Signal<Local, Bits<5>>,
    r_mn8: Signal<Local, Bits<8>>,
    r_hi8: Signal<Local, Bits<8>>,
    r_mn64: Signal<Local, Bits<64>>,
    r_diff64: Signal<Local, Bits<64>>,
    r_rep_mn: Signal<Local, Bits<64>>,
    r_rep_diff: Signal<Local, Bits<64>>,
    r_spread_lo: Signal<Local, Bits<64>>,
    r_spread_hi: Signal<Local, Bits<64>>,
    onehot: Vec<Constant<Bits<16>>>,
    max_width: Constant<Bits<11>>,
    max_blocks: Constant<Bits<32>>,
    bank_shift: Constant<Bits<16>>,
    err_flag: Constant<Bits<27>>,
    last_flag: Constant<Bits<43>>,
}

impl<const LA: usize, const LD: usize, const BA: usize, const BD: usize, const NB: usize, const MD: usize> NavionCodec<LA, LD, BA, BD, NB, MD> {
    fn new() -> Self {
        assert!(NB * BD >= MD && NB <= 16 && BD <= 1 << BA, "the frame memory's banks must hold its blocks");
        Self {
            clk: Default::default(),
            rst: Default::default(),
            cfg_valid: Default::default(),
            cfg_ready: Default::default(),
            cfg_width: Default::default(),
            cfg_height: Default::default(),
            cfg_load: Default::default(),
            busy: Default::default(),
            error: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            in_data: Default::default(),
            ld_valid: Default::default(),
            ld_ready: Default::default(),
            ld_data: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            out_data: Default::default(),
            out_addr: Default::default(),
            out_last: Default::default(),
            rd_valid: Default::default(),
            rd_ready: Default::default(),
            rd_addr: Default::default(),
            blk_valid: Default::default(),
            blk_ready: Default::default(),
            blk_word: Default::default(),
            blk_lo: Default::default(),
            blk_hi: Default::default(),
            blk_err: Default::default(),
            line0: Default::default(),
            line1: Default::default(),
            line2: Default::default(),
            banks: (0..NB).map(|_| Default::default()).collect(),
            out_fifo: Default::default(),
            blk_fifo: Default::default(),
            req_w: Default::default(),
            req_h: Default::default(),
            req_load: Default::default(),
            checking: Default::default(),
            chk2: Default::default(),
            chk3: Default::default(),
            prod_q: Default::default(),
            shape_ok: Default::default(),
            size_ok_q: Default::default(),
            err: Default::default(),
            taking: Default::default(),
            running: Default::default(),
            loading: Default::default(),
            nblocks: Default::default(),
            last_blk: Default::default(),
            w_m1: Default::default(),
            h_m1: Default::default(),
            x: Default::default(),
            y: Default::default(),
            wr_addr: Default::default(),
            pending: Default::default(),
            s1_valid: Default::default(),
            s1_first: Default::default(),
            s1_last: Default::default(),
            s1_end: Default::default(),
            s1_p3: Default::default(),
            s2_valid: Default::default(),
            s2_first: Default::default(),
            s2_last: Default::default(),
            s2_end: Default::default(),
            s2_col: Default::default(),
            s3_valid: Default::default(),
            s3_first: Default::default(),
            s3_last: Default::default(),
            s3_end: Default::default(),
            s3_col: Default::default(),
            s3_min: Default::default(),
            s3_max: Default::default(),
            lane: (0..16).map(|_| Default::default()).collect(),
            acc_min: Default::default(),
            acc_max: Default::default(),
            s4_valid: Default::default(),
            s4_end: Default::default(),
            s5_we: Default::default(),
            s5_push: Default::default(),
            s5_end: Default::default(),
            s5_addr: Default::default(),
            s5_word: Default::default(),
            s5_entry: Default::default(),
            d1_valid: Default::default(),
            d1_err: Default::default(),
            d2_valid: Default::default(),
            d2_err: Default::default(),
            d1_bank: Default::default(),
            d2_bank: Default::default(),
            bank_q: (0..NB).map(|_| Default::default()).collect(),
            rd_pending: Default::default(),
            px5: Default::default(),
            xc: Default::default(),
            wlo: Default::default(),
            hlo: Default::default(),
            yr: Default::default(),
            bw11: Default::default(),
            bh11: Default::default(),
            prod16: Default::default(),
            w10: Default::default(),
            dp1: Default::default(),
            th5: Default::default(),
            r_mn8w: Default::default(),
            r_hi8w: Default::default(),
            r_x8: Default::default(),
            r_b64: Default::default(),
            r_bhi64: Default::default(),
            unused_in: Default::default(),
            unused_dp1: Default::default(),
            unused_room: Default::default(),
            bytebit: (0..8).map(|k| Constant::new(bits(1u64 << (8 * k)))).collect(),
            row3: Default::default(),
            completes: Default::default(),
            take_px: Default::default(),
            take_ld: Default::default(),
            take_rd: Default::default(),
            out_pop: Default::default(),
            blk_pop: Default::default(),
            in_range: Default::default(),
            wr_bank: Default::default(),
            rd_bank: Default::default(),
            rd_word: Default::default(),
            bw16: Default::default(),
            bh16: Default::default(),
            product: Default::default(),
            size_ok: Default::default(),
            c0: Default::default(),
            c1: Default::default(),
            c2: Default::default(),
            c3: Default::default(),
            min01: Default::default(),
            min23: Default::default(),
            max01: Default::default(),
            max23: Default::default(),
            n_min: Default::default(),
            n_max: Default::default(),
            mn5: Default::default(),
            sum6: Default::default(),
            gbit: (0..16).map(|_| Default::default()).collect(),
            pbits: Default::default(),
            word: Default::default(),
            out_entry: Default::default(),
            r_word: Default::default(),
            r_mn: Default::default(),
            r_th: Default::default(),
            r_bits: Default::default(),
            r_hi6: Default::default(),
            r_hi: Default::default(),
            r_mn8: Default::default(),
            r_hi8: Default::default(),
            r_mn64: Default::default(),
            r_diff64: Default::default(),
            r_rep_mn: Default::default(),
            r_rep_diff: Default::default(),
            r_spread_lo: Default::default(),
            r_spread_hi: Default::default(),
            onehot: (0..16).map(|k| Constant::new(bits(1u64 << k))).collect(),
            max_width: Constant::new(bits(LD as u64)),
            max_blocks: Constant::new(bits(MD as u64)),
            bank_shift: Constant::new(bits(BA as u64)),
            err_flag: Constant::new(bits(1 << 26)),
            last_flag: Constant::new(bits(1 << 42)),
        }
    }

    /// The codec of this shape, connected and ready to emit or simulate.
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

impl<const LA: usize, const LD: usize, const BA: usize, const BD: usize, const NB: usize, const MD: usize> Logic for NavionCodec<LA, LD, BA, BD, NB, MD> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clk, req_w, req_h, req_load, checking, err, taking, running, loading, nblocks, last_blk, w_m1,
            h_m1, x, y, wr_addr, pending, s1_valid, s1_first, s1_last, s1_end, s1_p3, s2_valid, s2_first,
            s2_last, s2_end, s2_col, s3_valid, s3_first, s3_last, s3_end, s3_col, s3_min, s3_max, acc_min,
            acc_max, s4_valid, s4_end, d1_valid, d1_err, rd_pending, chk2, chk3, prod_q, shape_ok, size_ok_q, s5_we, s5_push,
            s5_end, s5_addr, s5_word, s5_entry, d2_valid, d2_err, d1_bank, d2_bank
        );
        self.chk2.rst.next = self.rst.val();
        self.chk3.rst.next = self.rst.val();
        self.prod_q.rst.next = self.rst.val();
        self.shape_ok.rst.next = self.rst.val();
        self.size_ok_q.rst.next = self.rst.val();
        self.s5_we.rst.next = self.rst.val();
        self.s5_push.rst.next = self.rst.val();
        self.s5_end.rst.next = self.rst.val();
        self.s5_addr.rst.next = self.rst.val();
        self.s5_word.rst.next = self.rst.val();
        self.s5_entry.rst.next = self.rst.val();
        self.d2_valid.rst.next = self.rst.val();
        self.d2_err.rst.next = self.rst.val();
        self.d1_bank.rst.next = self.rst.val();
        self.d2_bank.rst.next = self.rst.val();
        self.req_w.rst.next = self.rst.val();
        self.req_h.rst.next = self.rst.val();
        self.req_load.rst.next = self.rst.val();
        self.checking.rst.next = self.rst.val();
        self.err.rst.next = self.rst.val();
        self.taking.rst.next = self.rst.val();
        self.running.rst.next = self.rst.val();
        self.loading.rst.next = self.rst.val();
        self.nblocks.rst.next = self.rst.val();
        self.last_blk.rst.next = self.rst.val();
        self.w_m1.rst.next = self.rst.val();
        self.h_m1.rst.next = self.rst.val();
        self.x.rst.next = self.rst.val();
        self.y.rst.next = self.rst.val();
        self.wr_addr.rst.next = self.rst.val();
        self.pending.rst.next = self.rst.val();
        self.s1_valid.rst.next = self.rst.val();
        self.s1_first.rst.next = self.rst.val();
        self.s1_last.rst.next = self.rst.val();
        self.s1_end.rst.next = self.rst.val();
        self.s1_p3.rst.next = self.rst.val();
        self.s2_valid.rst.next = self.rst.val();
        self.s2_first.rst.next = self.rst.val();
        self.s2_last.rst.next = self.rst.val();
        self.s2_end.rst.next = self.rst.val();
        self.s2_col.rst.next = self.rst.val();
        self.s3_valid.rst.next = self.rst.val();
        self.s3_first.rst.next = self.rst.val();
        self.s3_last.rst.next = self.rst.val();
        self.s3_end.rst.next = self.rst.val();
        self.s3_col.rst.next = self.rst.val();
        self.s3_min.rst.next = self.rst.val();
        self.s3_max.rst.next = self.rst.val();
        self.acc_min.rst.next = self.rst.val();
        self.acc_max.rst.next = self.rst.val();
        self.s4_valid.rst.next = self.rst.val();
        self.s4_end.rst.next = self.rst.val();
        self.d1_valid.rst.next = self.rst.val();
        self.d1_err.rst.next = self.rst.val();
        self.rd_pending.rst.next = self.rst.val();
        for k in 0..16 {
            self.lane[k].clock.next = self.clk.val();
            self.lane[k].rst.next = self.rst.val();
            self.lane[k].d.next = self.lane[k].q.val();
        }
        self.line0.clk.next = self.clk.val();
        self.line1.clk.next = self.clk.val();
        self.line2.clk.next = self.clk.val();
        for i in 0..NB {
            self.banks[i].clk.next = self.clk.val();
            self.bank_q[i].clock.next = self.clk.val();
            self.bank_q[i].rst.next = self.rst.val();
            self.bank_q[i].d.next = self.banks[i].rdata.val();
        }
        self.out_fifo.clk.next = self.clk.val();
        self.out_fifo.rst.next = self.rst.val();
        self.blk_fifo.clk.next = self.clk.val();
        self.blk_fifo.rst.next = self.rst.val();

        // Status and handshakes, all from registers.
        self.cfg_ready.next = !self.checking.q.val() & !self.chk2.q.val() & !self.chk3.q.val() & !self.running.q.val();
        self.busy.next = self.checking.q.val() | self.chk2.q.val() | self.chk3.q.val() | self.running.q.val();
        self.error.next = self.err.q.val();
        self.xc.next = self.x.q.val().get_bits::<2>(0);
        self.yr.next = self.y.q.val().get_bits::<2>(0);
        self.row3.next = (self.yr.val() == 3);
        self.completes.next = self.row3.val() & (self.xc.val() == 3);
        self.unused_room.next = self.out_fifo.in_ready.val() & self.blk_fifo.in_ready.val();
        // A block's last pixel waits while 4 blocks are pending (the output FIFO's depth).
        self.in_ready.next =
            self.taking.q.val() & !self.loading.q.val() & !(self.completes.val() & self.pending.q.val().get_bit(2));
        self.ld_ready.next = self.taking.q.val() & self.loading.q.val();
        self.rd_ready.next = !self.rd_pending.q.val().get_bit(2);
        self.take_px.next = self.in_valid.val()
            & self.taking.q.val()
            & !self.loading.q.val()
            & !(self.completes.val() & self.pending.q.val().get_bit(2));
        self.take_ld.next = self.ld_valid.val() & self.taking.q.val() & self.loading.q.val();
        self.take_rd.next = self.rd_valid.val() & !self.rd_pending.q.val().get_bit(2);

        // A frame offered: its size is latched, then checked the next cycle.
        self.bw11.next = self.req_w.q.val() >> 2;
        self.bh11.next = self.req_h.q.val() >> 2;
        self.bw16.next = bit_cast::<16, 11>(self.bw11.val());
        self.bh16.next = bit_cast::<16, 11>(self.bh11.val());
        self.w10.next = self.req_w.q.val().get_bits::<10>(0);
        self.product.next = self.bw16.val() * self.bh16.val();
        self.wlo.next = self.req_w.q.val().get_bits::<2>(0);
        self.hlo.next = self.req_h.q.val().get_bits::<2>(0);
        self.size_ok.next = self.shape_ok.q.val() & (self.prod_q.q.val() <= self.max_blocks.val());
        self.prod16.next = self.prod_q.q.val().get_bits::<16>(0);
        if !self.checking.q.val() & !self.chk2.q.val() & !self.chk3.q.val() & !self.running.q.val() & self.cfg_valid.val() {
            self.req_w.d.next = self.cfg_width.val();
            self.req_h.d.next = self.cfg_height.val();
            self.req_load.d.next = self.cfg_load.val();
            self.checking.d.next = true;
        }
        // Checked in three steps (registered, for the clock): the product and the shape, the
        // verdict, then the frame starts or is refused.
        self.chk2.d.next = self.checking.q.val();
        self.chk3.d.next = self.chk2.q.val();
        if self.checking.q.val() {
            self.checking.d.next = false;
            self.prod_q.d.next = self.product.val();
            self.shape_ok.d.next = (self.wlo.val() == 0)
                & (self.hlo.val() == 0)
                & self.bw16.val().any()
                & self.bh16.val().any()
                & (self.req_w.q.val() <= self.max_width.val());
        }
        if self.chk2.q.val() {
            self.size_ok_q.d.next = self.size_ok.val();
        }
        if self.chk3.q.val() {
            self.err.d.next = !self.size_ok_q.q.val();
            if self.size_ok_q.q.val() {
                self.taking.d.next = true;
                self.running.d.next = true;
                self.loading.d.next = self.req_load.q.val();
                self.nblocks.d.next = self.prod16.val();
                self.last_blk.d.next = self.prod16.val() - 1;
                self.w_m1.d.next = self.w10.val() - 1;
                self.h_m1.d.next = self.req_h.q.val() - 1;
                self.x.d.next = 0.into();
                self.y.d.next = 0.into();
                self.wr_addr.d.next = 0.into();
            }
        }

        // Pixels: rows 0-2 of a block row go into the line buffer, row 3 reads the column.
        self.px5.next = self.in_data.val().get_bits::<5>(3);
        self.unused_in.next = self.in_data.val();
        self.line0.raddr.next = self.x.q.val().get_bits::<LA>(0);
        self.line1.raddr.next = self.x.q.val().get_bits::<LA>(0);
        self.line2.raddr.next = self.x.q.val().get_bits::<LA>(0);
        self.line0.waddr.next = self.x.q.val().get_bits::<LA>(0);
        self.line1.waddr.next = self.x.q.val().get_bits::<LA>(0);
        self.line2.waddr.next = self.x.q.val().get_bits::<LA>(0);
        self.line0.wdata.next = self.px5.val();
        self.line1.wdata.next = self.px5.val();
        self.line2.wdata.next = self.px5.val();
        self.line0.we.next = self.take_px.val() & (self.yr.val() == 0);
        self.line1.we.next = self.take_px.val() & (self.yr.val() == 1);
        self.line2.we.next = self.take_px.val() & (self.yr.val() == 2);
        self.line0.re.next = self.take_px.val() & self.row3.val();
        self.line1.re.next = self.take_px.val() & self.row3.val();
        self.line2.re.next = self.take_px.val() & self.row3.val();
        self.s1_valid.d.next = self.take_px.val() & self.row3.val();
        if self.take_px.val() {
            self.s1_p3.d.next = self.px5.val();
            self.s1_first.d.next = (self.xc.val() == 0);
            self.s1_last.d.next = (self.xc.val() == 3);
            self.s1_end.d.next = (self.x.q.val() == self.w_m1.q.val()) & (self.y.q.val() == self.h_m1.q.val());
            if self.x.q.val() == self.w_m1.q.val() {
                self.x.d.next = 0.into();
                self.y.d.next = self.y.q.val() + 1;
                if self.y.q.val() == self.h_m1.q.val() {
                    self.taking.d.next = false;
                }
            } else {
                self.x.d.next = self.x.q.val() + 1;
            }
        }

        // s2: the column (rows 0-2 from the line buffer, row 3 the pixel), registered.
        self.s2_valid.d.next = self.s1_valid.q.val();
        self.s2_first.d.next = self.s1_first.q.val();
        self.s2_last.d.next = self.s1_last.q.val();
        self.s2_end.d.next = self.s1_end.q.val();
        self.s2_col.d.next = bit_cast::<24, 5>(self.line0.rdata.val())
            | (bit_cast::<24, 5>(self.line1.rdata.val()) << 6)
            | (bit_cast::<24, 5>(self.line2.rdata.val()) << 12)
            | (bit_cast::<24, 5>(self.s1_p3.q.val()) << 18);

        // s3: the column's min and max.
        self.c0.next = self.s2_col.q.val().get_bits::<6>(0);
        self.c1.next = self.s2_col.q.val().get_bits::<6>(6);
        self.c2.next = self.s2_col.q.val().get_bits::<6>(12);
        self.c3.next = self.s2_col.q.val().get_bits::<6>(18);
        self.min01.next = self.c0.val();
        if self.c1.val() < self.c0.val() {
            self.min01.next = self.c1.val();
        }
        self.min23.next = self.c2.val();
        if self.c3.val() < self.c2.val() {
            self.min23.next = self.c3.val();
        }
        self.max01.next = self.c0.val();
        if self.c1.val() > self.c0.val() {
            self.max01.next = self.c1.val();
        }
        self.max23.next = self.c2.val();
        if self.c3.val() > self.c2.val() {
            self.max23.next = self.c3.val();
        }
        self.s3_valid.d.next = self.s2_valid.q.val();
        self.s3_first.d.next = self.s2_first.q.val();
        self.s3_last.d.next = self.s2_last.q.val();
        self.s3_end.d.next = self.s2_end.q.val();
        self.s3_col.d.next = self.s2_col.q.val();
        self.s3_min.d.next = self.min01.val();
        if self.min23.val() < self.min01.val() {
            self.s3_min.d.next = self.min23.val();
        }
        self.s3_max.d.next = self.max01.val();
        if self.max23.val() > self.max01.val() {
            self.s3_max.d.next = self.max23.val();
        }

        // Gather: the column enters the block at c = 3, the block's min and max follow.
        self.n_min.next = self.s3_min.q.val();
        if !self.s3_first.q.val() & (self.acc_min.q.val() < self.s3_min.q.val()) {
            self.n_min.next = self.acc_min.q.val();
        }
        self.n_max.next = self.s3_max.q.val();
        if !self.s3_first.q.val() & (self.acc_max.q.val() > self.s3_max.q.val()) {
            self.n_max.next = self.acc_max.q.val();
        }
        self.s4_valid.d.next = self.s3_valid.q.val() & self.s3_last.q.val();
        self.s4_end.d.next = self.s3_valid.q.val() & self.s3_last.q.val() & self.s3_end.q.val();
        if self.s3_valid.q.val() {
            self.acc_min.d.next = self.n_min.val();
            self.acc_max.d.next = self.n_max.val();
            self.lane[0].d.next = self.lane[1].q.val();
            self.lane[1].d.next = self.lane[2].q.val();
            self.lane[2].d.next = self.lane[3].q.val();
            self.lane[3].d.next = self.s3_col.q.val().get_bits::<6>(0);
            self.lane[4].d.next = self.lane[5].q.val();
            self.lane[5].d.next = self.lane[6].q.val();
            self.lane[6].d.next = self.lane[7].q.val();
            self.lane[7].d.next = self.s3_col.q.val().get_bits::<6>(6);
            self.lane[8].d.next = self.lane[9].q.val();
            self.lane[9].d.next = self.lane[10].q.val();
            self.lane[10].d.next = self.lane[11].q.val();
            self.lane[11].d.next = self.s3_col.q.val().get_bits::<6>(12);
            self.lane[12].d.next = self.lane[13].q.val();
            self.lane[13].d.next = self.lane[14].q.val();
            self.lane[14].d.next = self.lane[15].q.val();
            self.lane[15].d.next = self.s3_col.q.val().get_bits::<6>(18);
        }

        // s4: the word. th = (mx - mn + 1) >> 1 and, for th > 0 (mx > mn),
        // p - mn >= th  <=>  2 (p - mn) >= mx - mn  <=>  2 p >= mx + mn.
        self.sum6.next = self.acc_max.q.val() + self.acc_min.q.val();
        self.dp1.next = self.acc_max.q.val() - self.acc_min.q.val() + 1;
        self.th5.next = self.dp1.val().get_bits::<5>(1);
        self.unused_dp1.next = self.dp1.val();
        self.mn5.next = self.acc_min.q.val().get_bits::<5>(0);
        for k in 0..16 {
            self.gbit[k].next = 0.into();
            if (self.lane[k].q.val() << 1) >= self.sum6.val() {
                self.gbit[k].next = self.onehot[k].val();
            }
        }
        self.pbits.next = 0.into();
        if self.acc_max.q.val() != self.acc_min.q.val() {
            self.pbits.next = self.gbit[0].val()
                | self.gbit[1].val()
                | self.gbit[2].val()
                | self.gbit[3].val()
                | self.gbit[4].val()
                | self.gbit[5].val()
                | self.gbit[6].val()
                | self.gbit[7].val()
                | self.gbit[8].val()
                | self.gbit[9].val()
                | self.gbit[10].val()
                | self.gbit[11].val()
                | self.gbit[12].val()
                | self.gbit[13].val()
                | self.gbit[14].val()
                | self.gbit[15].val();
        }
        self.word.next = bit_cast::<26, 5>(self.mn5.val())
            | (bit_cast::<26, 5>(self.th5.val()) << 5)
            | (bit_cast::<26, 16>(self.pbits.val()) << 10);
        self.out_entry.next = bit_cast::<43, 26>(self.word.val()) | (bit_cast::<43, 16>(self.wr_addr.q.val()) << 26);
        if self.s4_end.q.val() {
            self.out_entry.next =
                bit_cast::<43, 26>(self.word.val()) | (bit_cast::<43, 16>(self.wr_addr.q.val()) << 26) | self.last_flag.val();
        }

        // s5: the frame memory written (encoded blocks or loaded words, in raster block order)
        // and the word pushed, from registers; the frame ends with its last word written.
        self.s5_we.d.next = self.s4_valid.q.val() | self.take_ld.val();
        self.s5_push.d.next = self.s4_valid.q.val();
        self.s5_end.d.next = self.s4_end.q.val() | (self.take_ld.val() & (self.wr_addr.q.val() == self.last_blk.q.val()));
        self.s5_addr.d.next = self.wr_addr.q.val();
        self.s5_word.d.next = self.word.val();
        if self.loading.q.val() {
            self.s5_word.d.next = self.ld_data.val();
        }
        self.s5_entry.d.next = self.out_entry.val();
        self.wr_bank.next = self.s5_addr.q.val() >> self.bank_shift.val();
        for i in 0..NB {
            self.banks[i].waddr.next = self.s5_addr.q.val().get_bits::<BA>(0);
            self.banks[i].wdata.next = self.s5_word.q.val();
            self.banks[i].we.next = self.s5_we.q.val() & (self.wr_bank.val().index() == i);
        }
        self.out_fifo.in_valid.next = self.s5_push.q.val();
        self.out_fifo.in_data.next = self.s5_entry.q.val();
        if self.s4_valid.q.val() | self.take_ld.val() {
            self.wr_addr.d.next = self.wr_addr.q.val() + 1;
        }
        if self.s5_end.q.val() {
            self.running.d.next = false;
        }
        if self.take_ld.val() & (self.wr_addr.q.val() == self.last_blk.q.val()) {
            self.taking.d.next = false;
        }

        // Encoded words out.
        self.out_valid.next = self.out_fifo.out_valid.val();
        self.out_data.next = self.out_fifo.out_data.val().get_bits::<26>(0);
        self.out_addr.next = self.out_fifo.out_data.val().get_bits::<16>(26);
        self.out_last.next = self.out_fifo.out_data.val().get_bit(42);
        self.out_fifo.out_ready.next = self.out_ready.val();
        self.out_pop.next = self.out_ready.val() & self.out_fifo.out_valid.val();
        if self.take_px.val() & self.completes.val() & !self.out_pop.val() {
            self.pending.d.next = self.pending.q.val() + 1;
        }
        if self.out_pop.val() & !(self.take_px.val() & self.completes.val()) {
            self.pending.d.next = self.pending.q.val() - 1;
        }

        // Block reads: the addressed bank is read the cycle a request is taken (d0), its word
        // registered at the bank's output (d1, every bank into its own register: no
        // multiplexer between a block RAM and a register), then the bank picked and the word
        // pushed into the response FIFO (d2).
        self.in_range.next = self.rd_addr.val() < self.nblocks.q.val();
        self.rd_bank.next = self.rd_addr.val() >> self.bank_shift.val();
        for i in 0..NB {
            self.banks[i].raddr.next = self.rd_addr.val().get_bits::<BA>(0);
            self.banks[i].re.next = self.take_rd.val() & self.in_range.val() & (self.rd_bank.val().index() == i);
        }
        self.d1_valid.d.next = self.take_rd.val();
        self.d1_err.d.next = !self.in_range.val();
        self.d1_bank.d.next = self.rd_bank.val().get_bits::<4>(0);
        self.d2_valid.d.next = self.d1_valid.q.val();
        self.d2_err.d.next = self.d1_err.q.val();
        self.d2_bank.d.next = self.d1_bank.q.val();
        self.rd_word.next = self.bank_q[0].q.val();
        for i in 0..NB {
            if self.d2_bank.q.val().index() == i {
                self.rd_word.next = self.bank_q[i].q.val();
            }
        }
        self.blk_fifo.in_valid.next = self.d2_valid.q.val();
        self.blk_fifo.in_data.next = bit_cast::<27, 26>(self.rd_word.val());
        if self.d2_err.q.val() {
            self.blk_fifo.in_data.next = self.err_flag.val();
        }
        self.blk_fifo.out_ready.next = self.blk_ready.val();
        self.blk_pop.next = self.blk_ready.val() & self.blk_fifo.out_valid.val();
        if self.take_rd.val() & !self.blk_pop.val() {
            self.rd_pending.d.next = self.rd_pending.q.val() + 1;
        }
        if self.blk_pop.val() & !self.take_rd.val() {
            self.rd_pending.d.next = self.rd_pending.q.val() - 1;
        }

        // The response at the head, decoded: q5 = bit ? min(31, mn + 2 th) : mn, shown as
        // (q5 << 3) | (q5 >> 2). Each byte lane takes mn8 ^ (bit ? mn8 ^ hi8 : 0).
        self.blk_valid.next = self.blk_fifo.out_valid.val();
        self.blk_err.next = self.blk_fifo.out_data.val().get_bit(26);
        self.r_word.next = self.blk_fifo.out_data.val().get_bits::<26>(0);
        self.blk_word.next = self.r_word.val();
        self.r_mn.next = self.r_word.val().get_bits::<5>(0);
        self.r_th.next = self.r_word.val().get_bits::<5>(5);
        self.r_bits.next = self.r_word.val().get_bits::<16>(10);
        self.r_hi6.next = bit_cast::<6, 5>(self.r_mn.val()) + (bit_cast::<6, 5>(self.r_th.val()) << 1);
        self.r_hi.next = self.r_hi6.val().get_bits::<5>(0);
        if self.r_hi6.val().get_bit(5) {
            self.r_hi.next = 31.into();
        }
        self.r_mn8w.next = bit_cast::<8, 5>(self.r_mn.val());
        self.r_hi8w.next = bit_cast::<8, 5>(self.r_hi.val());
        self.r_mn8.next = (self.r_mn8w.val() << 3) | (self.r_mn8w.val() >> 2);
        self.r_hi8.next = (self.r_hi8w.val() << 3) | (self.r_hi8w.val() >> 2);
        self.r_x8.next = self.r_mn8.val() ^ self.r_hi8.val();
        self.r_mn64.next = bit_cast::<64, 8>(self.r_mn8.val());
        self.r_diff64.next = bit_cast::<64, 8>(self.r_x8.val());
        self.r_rep_mn.next = self.r_mn64.val()
            | (self.r_mn64.val() << 8)
            | (self.r_mn64.val() << 16)
            | (self.r_mn64.val() << 24)
            | (self.r_mn64.val() << 32)
            | (self.r_mn64.val() << 40)
            | (self.r_mn64.val() << 48)
            | (self.r_mn64.val() << 56);
        self.r_rep_diff.next = self.r_diff64.val()
            | (self.r_diff64.val() << 8)
            | (self.r_diff64.val() << 16)
            | (self.r_diff64.val() << 24)
            | (self.r_diff64.val() << 32)
            | (self.r_diff64.val() << 40)
            | (self.r_diff64.val() << 48)
            | (self.r_diff64.val() << 56);
        // Pixel bit i to a whole byte: one in the byte's low bit, times 255 ((s << 8) - s).
        self.r_b64.next = bit_cast::<64, 16>(self.r_bits.val());
        self.r_bhi64.next = self.r_b64.val() >> 8;
        self.r_spread_lo.next = (self.r_b64.val() & self.bytebit[0].val())
            | ((self.r_b64.val() << 7) & self.bytebit[1].val())
            | ((self.r_b64.val() << 14) & self.bytebit[2].val())
            | ((self.r_b64.val() << 21) & self.bytebit[3].val())
            | ((self.r_b64.val() << 28) & self.bytebit[4].val())
            | ((self.r_b64.val() << 35) & self.bytebit[5].val())
            | ((self.r_b64.val() << 42) & self.bytebit[6].val())
            | ((self.r_b64.val() << 49) & self.bytebit[7].val());
        self.r_spread_hi.next = (self.r_bhi64.val() & self.bytebit[0].val())
            | ((self.r_bhi64.val() << 7) & self.bytebit[1].val())
            | ((self.r_bhi64.val() << 14) & self.bytebit[2].val())
            | ((self.r_bhi64.val() << 21) & self.bytebit[3].val())
            | ((self.r_bhi64.val() << 28) & self.bytebit[4].val())
            | ((self.r_bhi64.val() << 35) & self.bytebit[5].val())
            | ((self.r_bhi64.val() << 42) & self.bytebit[6].val())
            | ((self.r_bhi64.val() << 49) & self.bytebit[7].val());
        self.blk_lo.next = self.r_rep_mn.val()
            ^ (self.r_rep_diff.val() & ((self.r_spread_lo.val() << 8) - self.r_spread_lo.val()));
        self.blk_hi.next = self.r_rep_mn.val()
            ^ (self.r_rep_diff.val() & ((self.r_spread_hi.val() << 8) - self.r_spread_hi.val()));
    }
}

crate::sim::sim_ports!(
    [const LA: usize, const LD: usize, const BA: usize, const BD: usize, const NB: usize, const MD: usize] NavionCodec<LA, LD, BA, BD, NB, MD>,
    clock: clk,
    inputs: [
        rst, cfg_valid, cfg_width, cfg_height, cfg_load, in_valid, in_data, ld_valid, ld_data, out_ready,
        rd_valid, rd_addr, blk_ready,
    ],
    outputs: [
        cfg_ready, busy, error, in_ready, ld_ready, out_valid, out_data, out_addr, out_last, rd_ready,
        blk_valid, blk_word, blk_lo, blk_hi, blk_err,
    ]
);
