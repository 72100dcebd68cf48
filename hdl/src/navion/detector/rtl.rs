//! The detector's rust-hdl description (see the parent module for its behaviour): the input
//! stage, the Sobel and box-sum line-buffer stages, the score pipeline with its isqrt steps,
//! and the non-maximum suppression that pushes candidates into [`TopK`].

use super::topk::TopK;
use super::DetectorConfig;
use crate::widgets::{Reg, Sram};
use rust_hdl::prelude::*;

/// One digit of the integer square root (two bits of D a step), pipelined: registered, held
/// while `en` is low.
#[derive(LogicBlock)]
pub struct IsqrtStep {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    pub en: Signal<In, Bit>,
    pub in_v: Signal<In, Bit>,
    /// The remainder so far (D's consumed bits minus root²), 28 bits.
    pub in_rem: Signal<In, Bits<28>>,
    /// The root so far, 25 bits.
    pub in_root: Signal<In, Bits<25>>,
    /// D's bits not yet consumed, the next two on top.
    pub in_d: Signal<In, Bits<50>>,
    /// a + c, carried to the end.
    pub in_s: Signal<In, Bits<25>>,
    pub out_v: Signal<Out, Bit>,
    pub out_rem: Signal<Out, Bits<28>>,
    pub out_root: Signal<Out, Bits<25>>,
    pub out_d: Signal<Out, Bits<50>>,
    pub out_s: Signal<Out, Bits<25>>,
    v: Reg<Bit>,
    rem: Reg<Bits<28>>,
    root: Reg<Bits<25>>,
    d: Reg<Bits<50>>,
    s: Reg<Bits<25>>,
    rem2: Signal<Local, Bits<28>>,
    trial: Signal<Local, Bits<28>>,
    top2: Signal<Local, Bits<2>>,
    one28: Constant<Bits<28>>,
    one25: Constant<Bits<25>>,
}

impl Logic for IsqrtStep {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clk, v, rem, root, d, s);
        self.v.rst.next = self.rst.val();
        self.rem.rst.next = self.rst.val();
        self.root.rst.next = self.rst.val();
        self.d.rst.next = self.rst.val();
        self.s.rst.next = self.rst.val();
        self.out_v.next = self.v.q.val();
        self.out_rem.next = self.rem.q.val();
        self.out_root.next = self.root.q.val();
        self.out_d.next = self.d.q.val();
        self.out_s.next = self.s.q.val();
        self.top2.next = self.in_d.val().get_bits::<2>(48);
        self.rem2.next = (self.in_rem.val() << 2) | bit_cast::<28, 2>(self.top2.val());
        self.trial.next = (bit_cast::<28, 25>(self.in_root.val()) << 2) | self.one28.val();
        if self.en.val() {
            self.v.d.next = self.in_v.val();
            self.s.d.next = self.in_s.val();
            self.d.d.next = self.in_d.val() << 2;
            if self.rem2.val() >= self.trial.val() {
                self.rem.d.next = self.rem2.val() - self.trial.val();
                self.root.d.next = (self.in_root.val() << 1) | self.one25.val();
            } else {
                self.rem.d.next = self.rem2.val();
                self.root.d.next = self.in_root.val() << 1;
            }
        }
    }
}

impl Default for IsqrtStep {
    fn default() -> Self {
        Self {
            clk: Default::default(),
            rst: Default::default(),
            en: Default::default(),
            in_v: Default::default(),
            in_rem: Default::default(),
            in_root: Default::default(),
            in_d: Default::default(),
            in_s: Default::default(),
            out_v: Default::default(),
            out_rem: Default::default(),
            out_root: Default::default(),
            out_d: Default::default(),
            out_s: Default::default(),
            v: Default::default(),
            rem: Default::default(),
            root: Default::default(),
            d: Default::default(),
            s: Default::default(),
            rem2: Default::default(),
            trial: Default::default(),
            top2: Default::default(),
            one28: Constant::new(bits(1)),
            one25: Constant::new(bits(1)),
        }
    }
}

/// Steps of the square root: D < 2^50, two bits a step.
pub const ISQRT_STEPS: usize = 25;

// The input stage's states (`st`): 0 idle (waits for a frame's first pixel), 1 receiving
// pixels, 2 flushing (three virtual rows), 3 draining (until the NMS has the frame's last score).

/// The detector. `LA`/`LD`: line-buffer address bits and words (the widest frame); `CA`/`CD`,
/// `FA`/`FD`: the cell-list RAM's and the candidate FIFO's (see [`TopK`]).
#[derive(LogicBlock)]
pub struct NavionDetector<const LA: usize, const LD: usize, const CA: usize, const CD: usize, const FA: usize, const FD: usize> {
    /// Clock; everything happens on its rising edge.
    pub clk: Signal<In, Clock>,
    /// Synchronous active-high reset.
    pub rst: Signal<In, Bit>,
    /// Pixels in, raster order (a pixel moves when valid and ready are both high).
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    /// An 8-bit gray pixel.
    pub in_data: Signal<In, Bits<8>>,
    /// The frame's width in pixels (2 ..= the preset's widest), read with its first pixel.
    pub width: Signal<In, Bits<11>>,
    /// The frame's height in rows (2 ..= 65532), read with its first pixel.
    pub height: Signal<In, Bits<16>>,
    /// The least score of a candidate (T), read with the frame's first pixel.
    pub threshold: Signal<In, Bits<25>>,
    /// Corners out: (x, y, score) words, cell by cell, then one word with `out_eof` set whose
    /// `out_score` is the frame's candidate count.
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_eof: Signal<Out, Bit>,
    pub out_x: Signal<Out, Bits<10>>,
    pub out_y: Signal<Out, Bits<16>>,
    pub out_score: Signal<Out, Bits<25>>,
    /// The score of every pixel in raster order, one cycle each (a monitor: no back-pressure).
    pub score_valid: Signal<Out, Bit>,
    pub score_data: Signal<Out, Bits<25>>,

    topk: TopK<CA, CD, FA, FD>,
    // ---- input stage ----
    st: Reg<Bits<2>>,
    ix: Reg<Bits<10>>,
    iy: Reg<Bits<16>>,
    w_q: Reg<Bits<11>>,
    h_q: Reg<Bits<16>>,
    t_q: Reg<Bits<25>>,
    done_q: Reg<Bit>,
    drain: Reg<Bits<5>>,
    s0_v: Reg<Bit>,
    s0_pix: Reg<Bits<8>>,
    s0_x: Reg<Bits<10>>,
    s0_y: Reg<Bits<16>>,
    wcur: Signal<Local, Bits<11>>,
    hcur: Signal<Local, Bits<16>>,
    en: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
    fire: Signal<Local, Bit>,
    x_end: Signal<Local, Bit>,
    // ---- V1: vertical Sobel taps over pixel rows ----
    lb1: Sram<Bits<8>, LA, LD>,
    lb2: Sram<Bits<8>, LA, LD>,
    v1_top: Signal<Local, Bits<8>>,
    v1_bot: Signal<Local, Bits<8>>,
    v1_v: Reg<Bit>,
    v1_vs: Reg<Bits<10>>,
    v1_vd: Reg<Bits<11>>,
    v1_x: Reg<Bits<10>>,
    v1_y: Reg<Bits<16>>,
    // ---- H1: horizontal Sobel taps ----
    h1w0_vs: Reg<Bits<10>>,
    h1w0_vd: Reg<Bits<11>>,
    h1w1_vs: Reg<Bits<10>>,
    h1w1_vd: Reg<Bits<11>>,
    h1_lvs: Signal<Local, Bits<10>>,
    h1_lvd: Signal<Local, Bits<11>>,
    h1_rvs: Signal<Local, Bits<10>>,
    h1_rvd: Signal<Local, Bits<11>>,
    h1_v: Reg<Bit>,
    h1_gx: Reg<Bits<11>>,
    h1_gy: Reg<Bits<11>>,
    h1_x: Reg<Bits<10>>,
    h1_y: Reg<Bits<16>>,
    // ---- P1: magnitudes; P2: products ----
    p1_v: Reg<Bit>,
    p1_ax: Reg<Bits<10>>,
    p1_ay: Reg<Bits<10>>,
    p1_neg: Reg<Bit>,
    p1_x: Reg<Bits<10>>,
    p1_y: Reg<Bits<16>>,
    p2_v: Reg<Bit>,
    p2_xx: Reg<Bits<20>>,
    p2_xy: Reg<Bits<20>>,
    p2_neg: Reg<Bit>,
    p2_yy: Reg<Bits<20>>,
    p2_x: Reg<Bits<10>>,
    p2_y: Reg<Bits<16>>,
    m_xx: Signal<Local, Bits<32>>,
    m_xy: Signal<Local, Bits<32>>,
    m_yy: Signal<Local, Bits<32>>,
    // ---- V2: vertical box sums over product rows ----
    mb1: Sram<Bits<61>, LA, LD>,
    mb2: Sram<Bits<61>, LA, LD>,
    v2_cur: Signal<Local, Bits<61>>,
    v2_xy: Signal<Local, Bits<21>>,
    v2_top: Signal<Local, Bits<61>>,
    v2_bot: Signal<Local, Bits<61>>,
    v2_tb: Signal<Local, Bits<23>>,
    v2_mb: Signal<Local, Bits<23>>,
    v2_bb: Signal<Local, Bits<23>>,
    v2_v: Reg<Bit>,
    v2_a: Reg<Bits<22>>,
    v2_b: Reg<Bits<23>>,
    v2_c: Reg<Bits<22>>,
    v2_x: Reg<Bits<10>>,
    v2_y: Reg<Bits<16>>,
    // ---- H2: horizontal box sums ----
    h2w0_a: Reg<Bits<22>>,
    h2w0_b: Reg<Bits<23>>,
    h2w0_c: Reg<Bits<22>>,
    h2w1_a: Reg<Bits<22>>,
    h2w1_b: Reg<Bits<23>>,
    h2w1_c: Reg<Bits<22>>,
    h2_la: Signal<Local, Bits<22>>,
    h2_lb: Signal<Local, Bits<23>>,
    h2_lc: Signal<Local, Bits<22>>,
    h2_ra: Signal<Local, Bits<22>>,
    h2_rb: Signal<Local, Bits<23>>,
    h2_rc: Signal<Local, Bits<22>>,
    h2_bsum: Signal<Local, Bits<23>>,
    h2_oy: Signal<Local, Bits<16>>,
    h2_v: Reg<Bit>,
    h2_a: Reg<Bits<24>>,
    h2_b: Reg<Bits<25>>,
    h2_c: Reg<Bits<24>>,
    // ---- Q1-Q4: a + c, |a - c|, |b|, their squares, D ----
    q1_diff: Signal<Local, Bits<25>>,
    neg_gx: Signal<Local, Bits<10>>,
    neg_gy: Signal<Local, Bits<10>>,
    q1_v: Reg<Bit>,
    q1_s: Reg<Bits<25>>,
    q1_ad: Reg<Bits<24>>,
    q1_ab: Reg<Bits<24>>,
    q2_v: Reg<Bit>,
    q2_s: Reg<Bits<25>>,
    q2_dhh: Reg<Bits<32>>,
    q2_dhl: Reg<Bits<32>>,
    q2_dll: Reg<Bits<32>>,
    q2_bhh: Reg<Bits<32>>,
    q2_bhl: Reg<Bits<32>>,
    q2_bll: Reg<Bits<32>>,
    m_dhh: Signal<Local, Bits<32>>,
    m_dhl: Signal<Local, Bits<32>>,
    m_bhh: Signal<Local, Bits<32>>,
    m_bhl: Signal<Local, Bits<32>>,
    q3_v: Reg<Bit>,
    q3_s: Reg<Bits<25>>,
    q3_sd: Reg<Bits<50>>,
    q3_sb: Reg<Bits<50>>,
    q4_v: Reg<Bit>,
    q4_s: Reg<Bits<25>>,
    q4_d: Reg<Bits<50>>,
    sq: Vec<IsqrtStep>,
    score: Signal<Local, Bits<25>>,
    last_v: Signal<Local, Bit>,
    tap_v: Reg<Bit>,
    tap_s: Reg<Bits<25>>,
    // ---- NMS: position and cell counters, score rows, 3 x 3 window ----
    nx: Reg<Bits<10>>,
    ny: Reg<Bits<16>>,
    ncx: Reg<Bits<6>>,
    ncy: Reg<Bits<6>>,
    accx: Reg<Bits<11>>,
    accy: Reg<Bits<16>>,
    pcx: Reg<Bits<6>>,
    pcy: Reg<Bits<6>>,
    accx_n: Signal<Local, Bits<11>>,
    accy_n: Signal<Local, Bits<16>>,
    n_last: Signal<Local, Bit>,
    sa: Sram<Bits<25>, LA, LD>,
    sb: Sram<Bits<25>, LA, LD>,
    sc_v: Reg<Bit>,
    sc_s: Reg<Bits<25>>,
    sc_x: Reg<Bits<10>>,
    sc_y: Reg<Bits<16>>,
    sc_cx: Reg<Bits<6>>,
    sc_cy: Reg<Bits<6>>,
    win: Vec<Reg<Bits<25>>>,
    wv: Reg<Bit>,
    wx: Reg<Bits<10>>,
    wy: Reg<Bits<16>>,
    wcx: Reg<Bits<6>>,
    wcy: Reg<Bits<6>>,
    in_core: Signal<Local, Bit>,
    is_max: Signal<Local, Bit>,
    w_last: Signal<Local, Bit>,
    cand_x: Signal<Local, Bits<10>>,
    cand_y: Signal<Local, Bits<16>>,
    gx_c: Constant<Bits<11>>,
    gy_c: Constant<Bits<16>>,
    eof_word: Constant<Bits<64>>,
    ix11: Signal<Local, Bits<11>>,
    ix_next: Signal<Local, Bits<11>>,
    iy_next: Signal<Local, Bits<16>>,
    h_plus2: Signal<Local, Bits<16>>,
    w10: Signal<Local, Bits<10>>,
    w_minus1: Signal<Local, Bits<10>>,
    gx10: Signal<Local, Bits<10>>,
    gy10: Signal<Local, Bits<10>>,
    unused_mxx: Signal<Local, Bits<32>>,
    unused_mxy: Signal<Local, Bits<32>>,
    unused_myy: Signal<Local, Bits<32>>,
    xy21: Signal<Local, Bits<21>>,
    t_xy21: Signal<Local, Bits<21>>,
    m_xy21: Signal<Local, Bits<21>>,
    b_xy21: Signal<Local, Bits<21>>,
    t_xx: Signal<Local, Bits<20>>,
    m_xx20: Signal<Local, Bits<20>>,
    b_xx: Signal<Local, Bits<20>>,
    t_yy: Signal<Local, Bits<20>>,
    m_yy20: Signal<Local, Bits<20>>,
    b_yy: Signal<Local, Bits<20>>,
    diff24: Signal<Local, Bits<24>>,
    b24: Signal<Local, Bits<24>>,
    ndiff24: Signal<Local, Bits<24>>,
    nb24: Signal<Local, Bits<24>>,
    adh: Signal<Local, Bits<8>>,
    adl: Signal<Local, Bits<16>>,
    abh: Signal<Local, Bits<8>>,
    abl: Signal<Local, Bits<16>>,
    nx11: Signal<Local, Bits<11>>,
    nx_next: Signal<Local, Bits<11>>,
    ny_next: Signal<Local, Bits<16>>,
    n_row_end: Signal<Local, Bit>,
    wx11: Signal<Local, Bits<11>>,
    wx_p1: Signal<Local, Bits<11>>,
    wx_p2: Signal<Local, Bits<11>>,
    wy_p1: Signal<Local, Bits<16>>,
    wy_p2: Signal<Local, Bits<16>>,
    zero10: Constant<Bits<10>>,
    zero21: Constant<Bits<21>>,
    zero24: Constant<Bits<24>>,
    unused_sq_rem: Signal<Local, Bits<28>>,
    unused_sq_d: Signal<Local, Bits<50>>,
    sext23: Constant<Bits<23>>,
    sext25: Constant<Bits<25>>,
}

impl<const LA: usize, const LD: usize, const CA: usize, const CD: usize, const FA: usize, const FD: usize>
    NavionDetector<LA, LD, CA, CD, FA, FD>
{
    /// The detector for a configuration, connected.
    pub fn built(cfg: &DetectorConfig) -> Self {
        let mut uut = Self {
            clk: Default::default(),
            rst: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            in_data: Default::default(),
            width: Default::default(),
            height: Default::default(),
            threshold: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            out_eof: Default::default(),
            out_x: Default::default(),
            out_y: Default::default(),
            out_score: Default::default(),
            score_valid: Default::default(),
            score_data: Default::default(),
            topk: TopK::new(cfg),
            st: Default::default(),
            ix: Default::default(),
            iy: Default::default(),
            w_q: Default::default(),
            h_q: Default::default(),
            t_q: Default::default(),
            done_q: Default::default(),
            drain: Default::default(),
            s0_v: Default::default(),
            s0_pix: Default::default(),
            s0_x: Default::default(),
            s0_y: Default::default(),
            wcur: Default::default(),
            hcur: Default::default(),
            en: Default::default(),
            take: Default::default(),
            fire: Default::default(),
            x_end: Default::default(),
            lb1: Default::default(),
            lb2: Default::default(),
            v1_top: Default::default(),
            v1_bot: Default::default(),
            v1_v: Default::default(),
            v1_vs: Default::default(),
            v1_vd: Default::default(),
            v1_x: Default::default(),
            v1_y: Default::default(),
            h1w0_vs: Default::default(),
            h1w0_vd: Default::default(),
            h1w1_vs: Default::default(),
            h1w1_vd: Default::default(),
            h1_lvs: Default::default(),
            h1_lvd: Default::default(),
            h1_rvs: Default::default(),
            h1_rvd: Default::default(),
            h1_v: Default::default(),
            h1_gx: Default::default(),
            h1_gy: Default::default(),
            h1_x: Default::default(),
            h1_y: Default::default(),
            p1_v: Default::default(),
            p1_ax: Default::default(),
            p1_ay: Default::default(),
            p1_neg: Default::default(),
            p1_x: Default::default(),
            p1_y: Default::default(),
            p2_v: Default::default(),
            p2_xx: Default::default(),
            p2_xy: Default::default(),
            p2_neg: Default::default(),
            p2_yy: Default::default(),
            p2_x: Default::default(),
            p2_y: Default::default(),
            m_xx: Default::default(),
            m_xy: Default::default(),
            m_yy: Default::default(),
            mb1: Default::default(),
            mb2: Default::default(),
            v2_cur: Default::default(),
            v2_xy: Default::default(),
            v2_top: Default::default(),
            v2_bot: Default::default(),
            v2_tb: Default::default(),
            v2_mb: Default::default(),
            v2_bb: Default::default(),
            v2_v: Default::default(),
            v2_a: Default::default(),
            v2_b: Default::default(),
            v2_c: Default::default(),
            v2_x: Default::default(),
            v2_y: Default::default(),
            h2w0_a: Default::default(),
            h2w0_b: Default::default(),
            h2w0_c: Default::default(),
            h2w1_a: Default::default(),
            h2w1_b: Default::default(),
            h2w1_c: Default::default(),
            h2_la: Default::default(),
            h2_lb: Default::default(),
            h2_lc: Default::default(),
            h2_ra: Default::default(),
            h2_rb: Default::default(),
            h2_rc: Default::default(),
            h2_bsum: Default::default(),
            h2_oy: Default::default(),
            h2_v: Default::default(),
            h2_a: Default::default(),
            h2_b: Default::default(),
            h2_c: Default::default(),
            q1_diff: Default::default(),
            neg_gx: Default::default(),
            neg_gy: Default::default(),
            q1_v: Default::default(),
            q1_s: Default::default(),
            q1_ad: Default::default(),
            q1_ab: Default::default(),
            q2_v: Default::default(),
            q2_s: Default::default(),
            q2_dhh: Default::default(),
            q2_dhl: Default::default(),
            q2_dll: Default::default(),
            q2_bhh: Default::default(),
            q2_bhl: Default::default(),
            q2_bll: Default::default(),
            m_dhh: Default::default(),
            m_dhl: Default::default(),
            m_bhh: Default::default(),
            m_bhl: Default::default(),
            q3_v: Default::default(),
            q3_s: Default::default(),
            q3_sd: Default::default(),
            q3_sb: Default::default(),
            q4_v: Default::default(),
            q4_s: Default::default(),
            q4_d: Default::default(),
            sq: (0..ISQRT_STEPS).map(|_| IsqrtStep::default()).collect(),
            score: Default::default(),
            last_v: Default::default(),
            tap_v: Default::default(),
            tap_s: Default::default(),
            nx: Default::default(),
            ny: Default::default(),
            ncx: Default::default(),
            ncy: Default::default(),
            accx: Default::default(),
            accy: Default::default(),
            pcx: Default::default(),
            pcy: Default::default(),
            accx_n: Default::default(),
            accy_n: Default::default(),
            n_last: Default::default(),
            sa: Default::default(),
            sb: Default::default(),
            sc_v: Default::default(),
            sc_s: Default::default(),
            sc_x: Default::default(),
            sc_y: Default::default(),
            sc_cx: Default::default(),
            sc_cy: Default::default(),
            win: (0..9).map(|_| Reg::default()).collect(),
            wv: Default::default(),
            wx: Default::default(),
            wy: Default::default(),
            wcx: Default::default(),
            wcy: Default::default(),
            in_core: Default::default(),
            is_max: Default::default(),
            w_last: Default::default(),
            cand_x: Default::default(),
            cand_y: Default::default(),
            gx_c: Constant::new(bits(u64::from(cfg.grid_x))),
            gy_c: Constant::new(bits(u64::from(cfg.grid_y))),
            eof_word: Constant::new(bits(1u64 << 63)),
            ix11: Default::default(),
            ix_next: Default::default(),
            iy_next: Default::default(),
            h_plus2: Default::default(),
            w10: Default::default(),
            w_minus1: Default::default(),
            gx10: Default::default(),
            gy10: Default::default(),
            unused_mxx: Default::default(),
            unused_mxy: Default::default(),
            unused_myy: Default::default(),
            xy21: Default::default(),
            t_xy21: Default::default(),
            m_xy21: Default::default(),
            b_xy21: Default::default(),
            t_xx: Default::default(),
            m_xx20: Default::default(),
            b_xx: Default::default(),
            t_yy: Default::default(),
            m_yy20: Default::default(),
            b_yy: Default::default(),
            diff24: Default::default(),
            b24: Default::default(),
            ndiff24: Default::default(),
            nb24: Default::default(),
            adh: Default::default(),
            adl: Default::default(),
            abh: Default::default(),
            abl: Default::default(),
            nx11: Default::default(),
            nx_next: Default::default(),
            ny_next: Default::default(),
            n_row_end: Default::default(),
            wx11: Default::default(),
            wx_p1: Default::default(),
            wx_p2: Default::default(),
            wy_p1: Default::default(),
            wy_p2: Default::default(),
            zero10: Constant::new(bits(0)),
            zero21: Constant::new(bits(0)),
            zero24: Constant::new(bits(0)),
            unused_sq_rem: Default::default(),
            unused_sq_d: Default::default(),
            sext23: Constant::new(bits(0x60_0000)),
            sext25: Constant::new(bits(0x180_0000)),
        };
        uut.connect_all();
        uut
    }
}

impl<const LA: usize, const LD: usize, const CA: usize, const CD: usize, const FA: usize, const FD: usize> Logic
    for NavionDetector<LA, LD, CA, CD, FA, FD>
{
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clk, st, ix, iy, w_q, h_q, t_q, done_q, drain, s0_v, s0_pix, s0_x, s0_y, v1_v, v1_vs, v1_vd, v1_x,
            v1_y, h1w0_vs, h1w0_vd, h1w1_vs, h1w1_vd, h1_v, h1_gx, h1_gy, h1_x, h1_y, p1_v, p1_ax, p1_ay, p1_neg,
            p1_x, p1_y, p2_v, p2_xx, p2_xy, p2_neg, p2_yy, p2_x, p2_y, v2_v, v2_a, v2_b, v2_c, v2_x, v2_y, h2w0_a,
            h2w0_b, h2w0_c, h2w1_a, h2w1_b, h2w1_c, h2_v, h2_a, h2_b, h2_c, q1_v, q1_s, q1_ad, q1_ab, q2_v, q2_s,
            q2_dhh, q2_dhl, q2_dll, q2_bhh, q2_bhl, q2_bll, q3_v, q3_s, q3_sd, q3_sb, q4_v, q4_s, q4_d, tap_v,
            tap_s, nx, ny, ncx, ncy, accx, accy, pcx, pcy, sc_v, sc_s, sc_x, sc_y, sc_cx, sc_cy, wv, wx, wy, wcx,
            wcy
        );
        self.st.rst.next = self.rst.val();
        self.ix.rst.next = self.rst.val();
        self.iy.rst.next = self.rst.val();
        self.w_q.rst.next = self.rst.val();
        self.h_q.rst.next = self.rst.val();
        self.t_q.rst.next = self.rst.val();
        self.done_q.rst.next = self.rst.val();
        self.drain.rst.next = self.rst.val();
        self.s0_v.rst.next = self.rst.val();
        self.s0_pix.rst.next = self.rst.val();
        self.s0_x.rst.next = self.rst.val();
        self.s0_y.rst.next = self.rst.val();
        self.v1_v.rst.next = self.rst.val();
        self.v1_vs.rst.next = self.rst.val();
        self.v1_vd.rst.next = self.rst.val();
        self.v1_x.rst.next = self.rst.val();
        self.v1_y.rst.next = self.rst.val();
        self.h1w0_vs.rst.next = self.rst.val();
        self.h1w0_vd.rst.next = self.rst.val();
        self.h1w1_vs.rst.next = self.rst.val();
        self.h1w1_vd.rst.next = self.rst.val();
        self.h1_v.rst.next = self.rst.val();
        self.h1_gx.rst.next = self.rst.val();
        self.h1_gy.rst.next = self.rst.val();
        self.h1_x.rst.next = self.rst.val();
        self.h1_y.rst.next = self.rst.val();
        self.p1_v.rst.next = self.rst.val();
        self.p1_ax.rst.next = self.rst.val();
        self.p1_ay.rst.next = self.rst.val();
        self.p1_neg.rst.next = self.rst.val();
        self.p1_x.rst.next = self.rst.val();
        self.p1_y.rst.next = self.rst.val();
        self.p2_v.rst.next = self.rst.val();
        self.p2_xx.rst.next = self.rst.val();
        self.p2_xy.rst.next = self.rst.val();
        self.p2_neg.rst.next = self.rst.val();
        self.p2_yy.rst.next = self.rst.val();
        self.p2_x.rst.next = self.rst.val();
        self.p2_y.rst.next = self.rst.val();
        self.v2_v.rst.next = self.rst.val();
        self.v2_a.rst.next = self.rst.val();
        self.v2_b.rst.next = self.rst.val();
        self.v2_c.rst.next = self.rst.val();
        self.v2_x.rst.next = self.rst.val();
        self.v2_y.rst.next = self.rst.val();
        self.h2w0_a.rst.next = self.rst.val();
        self.h2w0_b.rst.next = self.rst.val();
        self.h2w0_c.rst.next = self.rst.val();
        self.h2w1_a.rst.next = self.rst.val();
        self.h2w1_b.rst.next = self.rst.val();
        self.h2w1_c.rst.next = self.rst.val();
        self.h2_v.rst.next = self.rst.val();
        self.h2_a.rst.next = self.rst.val();
        self.h2_b.rst.next = self.rst.val();
        self.h2_c.rst.next = self.rst.val();
        self.q1_v.rst.next = self.rst.val();
        self.q1_s.rst.next = self.rst.val();
        self.q1_ad.rst.next = self.rst.val();
        self.q1_ab.rst.next = self.rst.val();
        self.q2_v.rst.next = self.rst.val();
        self.q2_s.rst.next = self.rst.val();
        self.q2_dhh.rst.next = self.rst.val();
        self.q2_dhl.rst.next = self.rst.val();
        self.q2_dll.rst.next = self.rst.val();
        self.q2_bhh.rst.next = self.rst.val();
        self.q2_bhl.rst.next = self.rst.val();
        self.q2_bll.rst.next = self.rst.val();
        self.q3_v.rst.next = self.rst.val();
        self.q3_s.rst.next = self.rst.val();
        self.q3_sd.rst.next = self.rst.val();
        self.q3_sb.rst.next = self.rst.val();
        self.q4_v.rst.next = self.rst.val();
        self.q4_s.rst.next = self.rst.val();
        self.q4_d.rst.next = self.rst.val();
        self.tap_v.rst.next = self.rst.val();
        self.tap_s.rst.next = self.rst.val();
        self.nx.rst.next = self.rst.val();
        self.ny.rst.next = self.rst.val();
        self.ncx.rst.next = self.rst.val();
        self.ncy.rst.next = self.rst.val();
        self.accx.rst.next = self.rst.val();
        self.accy.rst.next = self.rst.val();
        self.pcx.rst.next = self.rst.val();
        self.pcy.rst.next = self.rst.val();
        self.sc_v.rst.next = self.rst.val();
        self.sc_s.rst.next = self.rst.val();
        self.sc_x.rst.next = self.rst.val();
        self.sc_y.rst.next = self.rst.val();
        self.sc_cx.rst.next = self.rst.val();
        self.sc_cy.rst.next = self.rst.val();
        self.wv.rst.next = self.rst.val();
        self.wx.rst.next = self.rst.val();
        self.wy.rst.next = self.rst.val();
        self.wcx.rst.next = self.rst.val();
        self.wcy.rst.next = self.rst.val();
        for k in 0..9 {
            self.win[k].clock.next = self.clk.val();
            self.win[k].rst.next = self.rst.val();
            self.win[k].d.next = self.win[k].q.val();
        }
        self.lb1.clk.next = self.clk.val();
        self.lb2.clk.next = self.clk.val();
        self.mb1.clk.next = self.clk.val();
        self.mb2.clk.next = self.clk.val();
        self.sa.clk.next = self.clk.val();
        self.sb.clk.next = self.clk.val();
        self.topk.clk.next = self.clk.val();
        self.topk.rst.next = self.rst.val();

        // The pipeline moves when the candidate FIFO has room (a register in TopK).
        self.en.next = self.topk.room.val();

        // ---- Input stage: real pixels, then three virtual rows, then a drain ----
        self.wcur.next = self.w_q.q.val();
        self.hcur.next = self.h_q.q.val();
        if self.st.q.val() == 0 {
            self.wcur.next = self.width.val();
            self.hcur.next = self.height.val();
        }
        self.in_ready.next = self.en.val() & ((self.st.q.val() == 0) | (self.st.q.val() == 1));
        self.take.next = self.in_valid.val() & self.in_ready.val();
        self.fire.next = self.take.val() | (self.en.val() & (self.st.q.val() == 2));
        self.ix11.next = bit_cast::<11, 10>(self.ix.q.val());
        self.ix_next.next = self.ix11.val() + 1;
        self.x_end.next = self.ix_next.val() == self.wcur.val();
        self.iy_next.next = self.iy.q.val() + 1;
        self.h_plus2.next = self.h_q.q.val() + 2;
        self.w10.next = bit_cast::<10, 11>(self.w_q.q.val());
        self.w_minus1.next = self.w10.val() - 1;
        if self.en.val() {
            self.s0_v.d.next = false;
        }
        if self.fire.val() {
            self.s0_v.d.next = true;
            self.s0_pix.d.next = 0.into();
            if self.take.val() {
                self.s0_pix.d.next = self.in_data.val();
            }
            self.s0_x.d.next = self.ix.q.val();
            self.s0_y.d.next = self.iy.q.val();
            if self.x_end.val() {
                self.ix.d.next = 0.into();
                self.iy.d.next = self.iy.q.val() + 1;
            } else {
                self.ix.d.next = self.ix.q.val() + 1;
            }
        }
        if self.take.val() & (self.st.q.val() == 0) {
            self.w_q.d.next = self.width.val();
            self.h_q.d.next = self.height.val();
            self.t_q.d.next = self.threshold.val();
            self.st.d.next = 1.into();
        }
        if self.take.val() & self.x_end.val() & (self.iy_next.val() == self.hcur.val()) {
            self.st.d.next = 2.into();
        }
        // The virtual rows end at row H+2, or as soon as the NMS has the frame's last score.
        if (self.st.q.val() == 2) & (self.done_q.q.val() | (self.fire.val() & self.x_end.val() & (self.iy.q.val() == self.h_plus2.val()))) {
            self.st.d.next = 3.into();
            self.ix.d.next = 0.into();
            self.iy.d.next = 0.into();
            self.drain.d.next = 0.into();
        }
        // Eight moves empty S0 to H2 of virtual rows before a new frame's width and height.
        if self.en.val() & (self.st.q.val() == 3) & (self.drain.q.val() != 8) {
            self.drain.d.next = self.drain.q.val() + 1;
        }
        if (self.st.q.val() == 3) & (self.drain.q.val() == 8) & self.done_q.q.val() {
            self.st.d.next = 0.into();
            self.done_q.d.next = false;
        }

        // ---- V1: rows y-2, y-1 from the line buffers, row y arriving; centre row y-1 ----
        self.lb1.raddr.next = bit_cast::<LA, 10>(self.ix.q.val());
        self.lb2.raddr.next = bit_cast::<LA, 10>(self.ix.q.val());
        self.lb1.re.next = self.fire.val();
        self.lb2.re.next = self.fire.val();
        self.lb1.waddr.next = bit_cast::<LA, 10>(self.s0_x.q.val());
        self.lb2.waddr.next = bit_cast::<LA, 10>(self.s0_x.q.val());
        self.lb1.wdata.next = self.s0_pix.q.val();
        self.lb2.wdata.next = self.lb1.rdata.val();
        self.lb1.we.next = self.en.val() & self.s0_v.q.val();
        self.lb2.we.next = self.en.val() & self.s0_v.q.val();
        // Reflect 101: centre row 0 reads row 1 above, centre row H-1 reads row H-2 below.
        self.v1_top.next = self.lb2.rdata.val();
        if self.s0_y.q.val() == 1 {
            self.v1_top.next = self.s0_pix.q.val();
        }
        self.v1_bot.next = self.s0_pix.q.val();
        if self.s0_y.q.val() == self.h_q.q.val() {
            self.v1_bot.next = self.lb2.rdata.val();
        }
        if self.en.val() {
            self.v1_v.d.next = self.s0_v.q.val() & self.s0_y.q.val().any();
            self.v1_vs.d.next = bit_cast::<10, 8>(self.v1_top.val())
                + (bit_cast::<10, 8>(self.lb1.rdata.val()) << 1)
                + bit_cast::<10, 8>(self.v1_bot.val());
            self.v1_vd.d.next = bit_cast::<11, 8>(self.v1_bot.val()) - bit_cast::<11, 8>(self.v1_top.val());
            self.v1_x.d.next = self.s0_x.q.val();
            self.v1_y.d.next = self.s0_y.q.val() - 1;
        }

        // ---- H1: column x arriving, columns x-2, x-1 held; emits column x-1 (or the row's
        // last column when the next row starts), reflecting at both ends ----
        self.h1_lvs.next = self.h1w0_vs.q.val();
        self.h1_lvd.next = self.h1w0_vd.q.val();
        self.h1_rvs.next = self.v1_vs.q.val();
        self.h1_rvd.next = self.v1_vd.q.val();
        if self.v1_x.q.val() == 1 {
            self.h1_lvs.next = self.v1_vs.q.val();
            self.h1_lvd.next = self.v1_vd.q.val();
        }
        if !self.v1_x.q.val().any() {
            self.h1_rvs.next = self.h1w0_vs.q.val();
            self.h1_rvd.next = self.h1w0_vd.q.val();
        }
        if self.en.val() {
            self.h1_v.d.next = self.v1_v.q.val() & (self.v1_x.q.val().any() | self.v1_y.q.val().any());
            self.h1_gx.d.next = bit_cast::<11, 10>(self.h1_rvs.val()) - bit_cast::<11, 10>(self.h1_lvs.val());
            self.h1_gy.d.next = self.h1_lvd.val() + (self.h1w1_vd.q.val() << 1) + self.h1_rvd.val();
            if self.v1_x.q.val().any() {
                self.h1_x.d.next = self.v1_x.q.val() - 1;
                self.h1_y.d.next = self.v1_y.q.val();
            } else {
                self.h1_x.d.next = self.w_minus1.val();
                self.h1_y.d.next = self.v1_y.q.val() - 1;
            }
            if self.v1_v.q.val() {
                self.h1w0_vs.d.next = self.h1w1_vs.q.val();
                self.h1w0_vd.d.next = self.h1w1_vd.q.val();
                self.h1w1_vs.d.next = self.v1_vs.q.val();
                self.h1w1_vd.d.next = self.v1_vd.q.val();
            }
        }

        // ---- P1: |gx|, |gy| and the sign of gx*gy; P2: the three products ----
        self.gx10.next = self.h1_gx.q.val().get_bits::<10>(0);
        self.gy10.next = self.h1_gy.q.val().get_bits::<10>(0);
        self.neg_gx.next = self.zero10.val() - self.gx10.val();
        self.neg_gy.next = self.zero10.val() - self.gy10.val();
        if self.en.val() {
            self.p1_v.d.next = self.h1_v.q.val();
            self.p1_x.d.next = self.h1_x.q.val();
            self.p1_y.d.next = self.h1_y.q.val();
            self.p1_neg.d.next = self.h1_gx.q.val().get_bit(10) ^ self.h1_gy.q.val().get_bit(10);
            self.p1_ax.d.next = self.h1_gx.q.val().get_bits::<10>(0);
            if self.h1_gx.q.val().get_bit(10) {
                self.p1_ax.d.next = self.neg_gx.val();
            }
            self.p1_ay.d.next = self.h1_gy.q.val().get_bits::<10>(0);
            if self.h1_gy.q.val().get_bit(10) {
                self.p1_ay.d.next = self.neg_gy.val();
            }
        }
        self.m_xx.next = bit_cast::<16, 10>(self.p1_ax.q.val()) * bit_cast::<16, 10>(self.p1_ax.q.val());
        self.m_xy.next = bit_cast::<16, 10>(self.p1_ax.q.val()) * bit_cast::<16, 10>(self.p1_ay.q.val());
        self.m_yy.next = bit_cast::<16, 10>(self.p1_ay.q.val()) * bit_cast::<16, 10>(self.p1_ay.q.val());
        self.unused_mxx.next = self.m_xx.val();
        self.unused_mxy.next = self.m_xy.val();
        self.unused_myy.next = self.m_yy.val();
        if self.en.val() {
            self.p2_v.d.next = self.p1_v.q.val();
            self.p2_x.d.next = self.p1_x.q.val();
            self.p2_y.d.next = self.p1_y.q.val();
            self.p2_neg.d.next = self.p1_neg.q.val();
            self.p2_xx.d.next = self.m_xx.val().get_bits::<20>(0);
            self.p2_xy.d.next = self.m_xy.val().get_bits::<20>(0);
            self.p2_yy.d.next = self.m_yy.val().get_bits::<20>(0);
        }

        // ---- V2: product rows; a line word is xx (bits 0-19), xy (20-40, two's
        // complement), yy (41-60) ----
        self.xy21.next = bit_cast::<21, 20>(self.p2_xy.q.val());
        self.v2_xy.next = self.xy21.val();
        if self.p2_neg.q.val() {
            self.v2_xy.next = self.zero21.val() - self.xy21.val();
        }
        self.v2_cur.next = bit_cast::<61, 20>(self.p2_xx.q.val())
            | (bit_cast::<61, 21>(self.v2_xy.val()) << 20)
            | (bit_cast::<61, 20>(self.p2_yy.q.val()) << 41);
        self.mb1.raddr.next = bit_cast::<LA, 10>(self.p1_x.q.val());
        self.mb2.raddr.next = bit_cast::<LA, 10>(self.p1_x.q.val());
        self.mb1.re.next = self.en.val() & self.p1_v.q.val();
        self.mb2.re.next = self.en.val() & self.p1_v.q.val();
        self.mb1.waddr.next = bit_cast::<LA, 10>(self.p2_x.q.val());
        self.mb2.waddr.next = bit_cast::<LA, 10>(self.p2_x.q.val());
        self.mb1.wdata.next = self.v2_cur.val();
        self.mb2.wdata.next = self.mb1.rdata.val();
        self.mb1.we.next = self.en.val() & self.p2_v.q.val();
        self.mb2.we.next = self.en.val() & self.p2_v.q.val();
        self.v2_top.next = self.mb2.rdata.val();
        if self.p2_y.q.val() == 1 {
            self.v2_top.next = self.v2_cur.val();
        }
        self.v2_bot.next = self.v2_cur.val();
        if self.p2_y.q.val() == self.h_q.q.val() {
            self.v2_bot.next = self.mb2.rdata.val();
        }
        // xy sign-extended from 21 to 23 bits.
        self.t_xy21.next = self.v2_top.val().get_bits::<21>(20);
        self.t_xx.next = self.v2_top.val().get_bits::<20>(0);
        self.t_yy.next = self.v2_top.val().get_bits::<20>(41);
        self.v2_tb.next = bit_cast::<23, 21>(self.t_xy21.val());
        if self.v2_top.val().get_bit(40) {
            self.v2_tb.next = bit_cast::<23, 21>(self.t_xy21.val()) | self.sext23.val();
        }
        self.m_xy21.next = self.mb1.rdata.val().get_bits::<21>(20);
        self.m_xx20.next = self.mb1.rdata.val().get_bits::<20>(0);
        self.m_yy20.next = self.mb1.rdata.val().get_bits::<20>(41);
        self.v2_mb.next = bit_cast::<23, 21>(self.m_xy21.val());
        if self.mb1.rdata.val().get_bit(40) {
            self.v2_mb.next = bit_cast::<23, 21>(self.m_xy21.val()) | self.sext23.val();
        }
        self.b_xy21.next = self.v2_bot.val().get_bits::<21>(20);
        self.b_xx.next = self.v2_bot.val().get_bits::<20>(0);
        self.b_yy.next = self.v2_bot.val().get_bits::<20>(41);
        self.v2_bb.next = bit_cast::<23, 21>(self.b_xy21.val());
        if self.v2_bot.val().get_bit(40) {
            self.v2_bb.next = bit_cast::<23, 21>(self.b_xy21.val()) | self.sext23.val();
        }
        if self.en.val() {
            self.v2_v.d.next = self.p2_v.q.val() & self.p2_y.q.val().any();
            self.v2_a.d.next =
                bit_cast::<22, 20>(self.t_xx.val()) + bit_cast::<22, 20>(self.m_xx20.val()) + bit_cast::<22, 20>(self.b_xx.val());
            self.v2_b.d.next = self.v2_tb.val() + self.v2_mb.val() + self.v2_bb.val();
            self.v2_c.d.next =
                bit_cast::<22, 20>(self.t_yy.val()) + bit_cast::<22, 20>(self.m_yy20.val()) + bit_cast::<22, 20>(self.b_yy.val());
            self.v2_x.d.next = self.p2_x.q.val();
            self.v2_y.d.next = self.p2_y.q.val() - 1;
        }

        // ---- H2: horizontal box sums, reflected as in H1; only rows < H go on ----
        self.h2_la.next = self.h2w0_a.q.val();
        self.h2_lb.next = self.h2w0_b.q.val();
        self.h2_lc.next = self.h2w0_c.q.val();
        self.h2_ra.next = self.v2_a.q.val();
        self.h2_rb.next = self.v2_b.q.val();
        self.h2_rc.next = self.v2_c.q.val();
        if self.v2_x.q.val() == 1 {
            self.h2_la.next = self.v2_a.q.val();
            self.h2_lb.next = self.v2_b.q.val();
            self.h2_lc.next = self.v2_c.q.val();
        }
        if !self.v2_x.q.val().any() {
            self.h2_ra.next = self.h2w0_a.q.val();
            self.h2_rb.next = self.h2w0_b.q.val();
            self.h2_rc.next = self.h2w0_c.q.val();
        }
        self.h2_oy.next = self.v2_y.q.val();
        if !self.v2_x.q.val().any() {
            self.h2_oy.next = self.v2_y.q.val() - 1;
        }
        self.h2_bsum.next = self.h2_lb.val() + self.h2w1_b.q.val() + self.h2_rb.val();
        if self.en.val() {
            self.h2_v.d.next = self.v2_v.q.val()
                & (self.v2_x.q.val().any() | self.v2_y.q.val().any())
                & (self.h2_oy.val() < self.h_q.q.val());
            self.h2_a.d.next = bit_cast::<24, 22>(self.h2_la.val())
                + bit_cast::<24, 22>(self.h2w1_a.q.val())
                + bit_cast::<24, 22>(self.h2_ra.val());
            self.h2_b.d.next = bit_cast::<25, 23>(self.h2_bsum.val());
            if self.h2_bsum.val().get_bit(22) {
                self.h2_b.d.next = bit_cast::<25, 23>(self.h2_bsum.val()) | self.sext25.val();
            }
            self.h2_c.d.next = bit_cast::<24, 22>(self.h2_lc.val())
                + bit_cast::<24, 22>(self.h2w1_c.q.val())
                + bit_cast::<24, 22>(self.h2_rc.val());
            if self.v2_v.q.val() {
                self.h2w0_a.d.next = self.h2w1_a.q.val();
                self.h2w0_b.d.next = self.h2w1_b.q.val();
                self.h2w0_c.d.next = self.h2w1_c.q.val();
                self.h2w1_a.d.next = self.v2_a.q.val();
                self.h2w1_b.d.next = self.v2_b.q.val();
                self.h2w1_c.d.next = self.v2_c.q.val();
            }
        }

        // ---- Q1: a + c, |a - c|, |b| ----
        self.q1_diff.next = bit_cast::<25, 24>(self.h2_a.q.val()) - bit_cast::<25, 24>(self.h2_c.q.val());
        self.diff24.next = self.q1_diff.val().get_bits::<24>(0);
        self.b24.next = self.h2_b.q.val().get_bits::<24>(0);
        // |v| < 2^24, so -v mod 2^24 is |v| for a negative v.
        self.ndiff24.next = self.zero24.val() - self.diff24.val();
        self.nb24.next = self.zero24.val() - self.b24.val();
        if self.en.val() {
            self.q1_v.d.next = self.h2_v.q.val();
            self.q1_s.d.next = bit_cast::<25, 24>(self.h2_a.q.val()) + bit_cast::<25, 24>(self.h2_c.q.val());
            self.q1_ad.d.next = self.diff24.val();
            if self.q1_diff.val().get_bit(24) {
                self.q1_ad.d.next = self.ndiff24.val();
            }
            self.q1_ab.d.next = self.b24.val();
            if self.h2_b.q.val().get_bit(24) {
                self.q1_ab.d.next = self.nb24.val();
            }
        }
        // ---- Q2: squares in 16 x 16 pieces: v = h 2^16 + l, v² = h² 2^32 + 2hl 2^16 + l² ----
        self.adh.next = self.q1_ad.q.val().get_bits::<8>(16);
        self.adl.next = self.q1_ad.q.val().get_bits::<16>(0);
        self.abh.next = self.q1_ab.q.val().get_bits::<8>(16);
        self.abl.next = self.q1_ab.q.val().get_bits::<16>(0);
        self.m_dhh.next = bit_cast::<16, 8>(self.adh.val()) * bit_cast::<16, 8>(self.adh.val());
        self.m_dhl.next = bit_cast::<16, 8>(self.adh.val()) * self.adl.val();
        self.m_bhh.next = bit_cast::<16, 8>(self.abh.val()) * bit_cast::<16, 8>(self.abh.val());
        self.m_bhl.next = bit_cast::<16, 8>(self.abh.val()) * self.abl.val();
        if self.en.val() {
            self.q2_v.d.next = self.q1_v.q.val();
            self.q2_s.d.next = self.q1_s.q.val();
            self.q2_dhh.d.next = self.m_dhh.val();
            self.q2_dhl.d.next = self.m_dhl.val();
            self.q2_dll.d.next = self.adl.val() * self.adl.val();
            self.q2_bhh.d.next = self.m_bhh.val();
            self.q2_bhl.d.next = self.m_bhl.val();
            self.q2_bll.d.next = self.abl.val() * self.abl.val();
        }
        // ---- Q3: the two squares; Q4: D = (a - c)² + 4 b² ----
        if self.en.val() {
            self.q3_v.d.next = self.q2_v.q.val();
            self.q3_s.d.next = self.q2_s.q.val();
            self.q3_sd.d.next = (bit_cast::<50, 32>(self.q2_dhh.q.val()) << 32)
                + (bit_cast::<50, 32>(self.q2_dhl.q.val()) << 17)
                + bit_cast::<50, 32>(self.q2_dll.q.val());
            self.q3_sb.d.next = (bit_cast::<50, 32>(self.q2_bhh.q.val()) << 32)
                + (bit_cast::<50, 32>(self.q2_bhl.q.val()) << 17)
                + bit_cast::<50, 32>(self.q2_bll.q.val());
            self.q4_v.d.next = self.q3_v.q.val();
            self.q4_s.d.next = self.q3_s.q.val();
            self.q4_d.d.next = self.q3_sd.q.val() + (self.q3_sb.q.val() << 2);
        }
        // ---- The square root, 25 steps ----
        for i in 0..self.sq.len() {
            self.sq[i].clk.next = self.clk.val();
            self.sq[i].rst.next = self.rst.val();
            self.sq[i].en.next = self.en.val();
        }
        self.sq[0].in_v.next = self.q4_v.q.val();
        self.sq[0].in_rem.next = 0.into();
        self.sq[0].in_root.next = 0.into();
        self.sq[0].in_d.next = self.q4_d.q.val();
        self.sq[0].in_s.next = self.q4_s.q.val();
        for i in 0..(self.sq.len() - 1) {
            self.sq[i + 1].in_v.next = self.sq[i].out_v.val();
            self.sq[i + 1].in_rem.next = self.sq[i].out_rem.val();
            self.sq[i + 1].in_root.next = self.sq[i].out_root.val();
            self.sq[i + 1].in_d.next = self.sq[i].out_d.val();
            self.sq[i + 1].in_s.next = self.sq[i].out_s.val();
        }
        self.last_v.next = self.sq[24].out_v.val();
        self.unused_sq_rem.next = self.sq[24].out_rem.val();
        self.unused_sq_d.next = self.sq[24].out_d.val();
        self.score.next = self.sq[24].out_s.val() - self.sq[24].out_root.val();
        if self.en.val() {
            self.tap_v.d.next = self.last_v.val();
            self.tap_s.d.next = self.score.val();
        }
        self.score_valid.next = self.tap_v.q.val();
        self.score_data.next = self.tap_s.q.val();

        // ---- NMS arrival: the score's position and the cells of the pixel before it ----
        self.accx_n.next = self.accx.q.val() + self.gx_c.val();
        self.accy_n.next = self.accy.q.val() + self.gy_c.val();
        self.nx11.next = bit_cast::<11, 10>(self.nx.q.val());
        self.nx_next.next = self.nx11.val() + 1;
        self.ny_next.next = self.ny.q.val() + 1;
        self.n_row_end.next = self.nx_next.val() == self.w_q.q.val();
        self.n_last.next = self.n_row_end.val() & (self.ny_next.val() == self.h_q.q.val());
        self.sa.raddr.next = bit_cast::<LA, 10>(self.nx.q.val());
        self.sb.raddr.next = bit_cast::<LA, 10>(self.nx.q.val());
        self.sa.re.next = self.en.val() & self.last_v.val();
        self.sb.re.next = self.en.val() & self.last_v.val();
        if self.en.val() {
            self.sc_v.d.next = self.last_v.val();
        }
        if self.en.val() & self.last_v.val() {
            self.sc_s.d.next = self.score.val();
            self.sc_x.d.next = self.nx.q.val();
            self.sc_y.d.next = self.ny.q.val();
            self.sc_cx.d.next = self.pcx.q.val();
            self.sc_cy.d.next = self.pcy.q.val();
            self.pcx.d.next = self.ncx.q.val();
            if self.n_row_end.val() {
                self.nx.d.next = 0.into();
                self.ncx.d.next = 0.into();
                self.accx.d.next = 0.into();
                self.pcy.d.next = self.ncy.q.val();
                if self.ny_next.val() == self.h_q.q.val() {
                    self.ny.d.next = 0.into();
                    self.ncy.d.next = 0.into();
                    self.accy.d.next = 0.into();
                } else {
                    self.ny.d.next = self.ny.q.val() + 1;
                    self.accy.d.next = self.accy_n.val();
                    if self.accy_n.val() >= self.h_q.q.val() {
                        self.accy.d.next = self.accy_n.val() - self.h_q.q.val();
                        self.ncy.d.next = self.ncy.q.val() + 1;
                    }
                }
            } else {
                self.nx.d.next = self.nx.q.val() + 1;
                self.accx.d.next = self.accx_n.val();
                if self.accx_n.val() >= self.w_q.q.val() {
                    self.accx.d.next = self.accx_n.val() - self.w_q.q.val();
                    self.ncx.d.next = self.ncx.q.val() + 1;
                }
            }
            if self.n_last.val() {
                self.done_q.d.next = true;
            }
        }
        // ---- NMS window: rows y-2 (0), y-1 (1), y (2), columns x-2 (0), x-1 (1), x (2) ----
        self.sa.waddr.next = bit_cast::<LA, 10>(self.sc_x.q.val());
        self.sb.waddr.next = bit_cast::<LA, 10>(self.sc_x.q.val());
        self.sa.wdata.next = self.sc_s.q.val();
        self.sb.wdata.next = self.sa.rdata.val();
        self.sa.we.next = self.en.val() & self.sc_v.q.val();
        self.sb.we.next = self.en.val() & self.sc_v.q.val();
        if self.en.val() {
            self.wv.d.next = self.sc_v.q.val();
        }
        if self.en.val() & self.sc_v.q.val() {
            self.wx.d.next = self.sc_x.q.val();
            self.wy.d.next = self.sc_y.q.val();
            self.wcx.d.next = self.sc_cx.q.val();
            self.wcy.d.next = self.sc_cy.q.val();
            self.win[0].d.next = self.win[1].q.val();
            self.win[1].d.next = self.win[2].q.val();
            self.win[2].d.next = self.sb.rdata.val();
            self.win[3].d.next = self.win[4].q.val();
            self.win[4].d.next = self.win[5].q.val();
            self.win[5].d.next = self.sa.rdata.val();
            self.win[6].d.next = self.win[7].q.val();
            self.win[7].d.next = self.win[8].q.val();
            self.win[8].d.next = self.sc_s.q.val();
        }
        // ---- NMS test on the window's centre (x-1, y-1) ----
        self.wx11.next = bit_cast::<11, 10>(self.wx.q.val());
        self.wx_p1.next = self.wx11.val() + 1;
        self.wx_p2.next = self.wx11.val() + 2;
        self.wy_p1.next = self.wy.q.val() + 1;
        self.wy_p2.next = self.wy.q.val() + 2;
        self.in_core.next = (self.wx.q.val() >= 3)
            & (self.wx_p2.val() <= self.w_q.q.val())
            & (self.wy.q.val() >= 3)
            & (self.wy_p2.val() <= self.h_q.q.val());
        self.is_max.next = (self.win[4].q.val() >= self.t_q.q.val())
            & (self.win[4].q.val() > self.win[0].q.val())
            & (self.win[4].q.val() > self.win[1].q.val())
            & (self.win[4].q.val() > self.win[2].q.val())
            & (self.win[4].q.val() > self.win[3].q.val())
            & (self.win[4].q.val() >= self.win[5].q.val())
            & (self.win[4].q.val() >= self.win[6].q.val())
            & (self.win[4].q.val() >= self.win[7].q.val())
            & (self.win[4].q.val() >= self.win[8].q.val());
        self.w_last.next = (self.wx_p1.val() == self.w_q.q.val()) & (self.wy_p1.val() == self.h_q.q.val());
        self.cand_x.next = self.wx.q.val() - 1;
        self.cand_y.next = self.wy.q.val() - 1;
        // FIFO word: score 0-24, x 25-34, y 35-50, cell x 51-56, cell y 57-62, end of frame 63.
        self.topk.push.next = self.en.val() & self.wv.q.val() & ((self.in_core.val() & self.is_max.val()) | self.w_last.val());
        self.topk.push_data.next = bit_cast::<64, 25>(self.win[4].q.val())
            | (bit_cast::<64, 10>(self.cand_x.val()) << 25)
            | (bit_cast::<64, 16>(self.cand_y.val()) << 35)
            | (bit_cast::<64, 6>(self.wcx.q.val()) << 51)
            | (bit_cast::<64, 6>(self.wcy.q.val()) << 57);
        if self.w_last.val() {
            self.topk.push_data.next = self.eof_word.val();
        }

        // ---- Corners out ----
        self.topk.out_ready.next = self.out_ready.val();
        self.out_valid.next = self.topk.out_valid.val();
        self.out_eof.next = self.topk.out_eof.val();
        self.out_x.next = self.topk.out_x.val();
        self.out_y.next = self.topk.out_y.val();
        self.out_score.next = self.topk.out_score.val();
    }
}

crate::sim::sim_ports!(
    [const LA: usize, const LD: usize, const CA: usize, const CD: usize, const FA: usize, const FD: usize]
    NavionDetector<LA, LD, CA, CD, FA, FD>,
    clock: clk,
    inputs: [rst, in_valid, in_data, width, height, threshold, out_ready],
    outputs: [in_ready, out_valid, out_eof, out_x, out_y, out_score, score_valid, score_data]
);
