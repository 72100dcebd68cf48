//! The tracker's rust-hdl description (see the parent module for its behaviour, timing and
//! widths).
//!
//! [`TrackerCore`] is the tracker behind its memory port, generic over `SB`, the bits of a
//! response segment; the window's lanes are the lengths of the lane vectors (built from the
//! configuration's W). The presets' top levels (an on-chip frame memory serving the port, or
//! the port as the unit's own) are in `top.rs`.

#![allow(unused_parens)]

use super::lanes::{ColLane, WinLane};
use crate::widgets::Reg;
use rust_hdl::prelude::*;

/// The Navion pyramidal Lucas-Kanade tracker, reading pyramid rows through its memory port.
#[derive(LogicBlock)]
pub struct TrackerCore<const SB: usize> {
    /// Clock; everything happens on its rising edge.
    pub clk: Signal<In, Clock>,
    /// Synchronous active-high reset (the memories keep their contents).
    pub rst: Signal<In, Bit>,
    /// Level 0's width and height in pixels; the levels to use (1 ..= the preset's); the most
    /// iterations a level; epsilon (1/256 px); t = floor(T sum w), the golden model's `threshold`. Held while a point is tracked.
    pub width: Signal<In, Bits<11>>,
    pub height: Signal<In, Bits<11>>,
    pub levels: Signal<In, Bits<2>>,
    pub iterations: Signal<In, Bits<5>>,
    pub epsilon: Signal<In, Bits<9>>,
    pub t_min: Signal<In, Bits<28>>,
    /// The memory port: a request for a row segment (level, frame A = 0 / B = 1, the row of
    /// the level, the first column / 8; only `col` 0 when `seg_cols` is off), the responses in
    /// request order, pixel i of the segment in bits 8i..8i+7; always taken.
    pub mem_req_valid: Signal<Out, Bit>,
    pub mem_req_ready: Signal<In, Bit>,
    pub mem_req_level: Signal<Out, Bits<2>>,
    pub mem_req_frame: Signal<Out, Bit>,
    pub mem_req_row: Signal<Out, Bits<11>>,
    pub mem_req_col: Signal<Out, Bits<8>>,
    pub mem_rsp_valid: Signal<In, Bit>,
    pub mem_rsp_ready: Signal<Out, Bit>,
    pub mem_rsp_data: Signal<In, Bits<SB>>,
    /// Points in: level-0 position, 1/256 pixel, 24-bit two's complement.
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_x: Signal<In, Bits<24>>,
    pub in_y: Signal<In, Bits<24>>,
    /// Tracked points out: position (24-bit two's complement, 1/256 pixel), status (0
    /// tracked, 1 lost weak, 2 lost left), iterations summed over the levels.
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_x: Signal<Out, Bits<24>>,
    pub out_y: Signal<Out, Bits<24>>,
    pub out_status: Signal<Out, Bits<2>>,
    pub out_iters: Signal<Out, Bits<7>>,

    // ---- Lanes ----
    col_lane: Vec<ColLane>,
    win: Vec<WinLane>,

    // ---- Control ----
    st: Reg<Bits<5>>,
    x0: Reg<Bits<24>>,
    y0: Reg<Bits<24>>,
    lvl: Reg<Bits<2>>,
    ax: Reg<Bits<24>>,
    ay: Reg<Bits<24>>,
    gx: Reg<Bits<24>>,
    gy: Reg<Bits<24>>,
    px: Reg<Bits<24>>,
    py: Reg<Bits<24>>,
    its: Reg<Bits<7>>,
    n: Reg<Bits<5>>,
    outcome: Reg<Bits<2>>,
    out_full: Reg<Bit>,
    o_x: Reg<Bits<24>>,
    o_y: Reg<Bits<24>>,
    o_status: Reg<Bits<2>>,
    o_iters: Reg<Bits<7>>,

    // ---- Window pass ----
    pass_run: Reg<Bit>,
    pass_it: Reg<Bit>,
    q: Reg<Bits<5>>,
    rq: Reg<Bits<5>>,
    s2_v: Reg<Bit>,
    s2_q: Reg<Bits<5>>,
    p2: Vec<Reg<Bits<8>>>,
    s3_v: Reg<Bit>,
    s3_q: Reg<Bits<5>>,
    s4_v: Reg<Bit>,
    s4_e: Reg<Bits<5>>,
    s5_v: Reg<Bit>,
    s5_j: Reg<Bits<5>>,
    s6_v: Reg<Bit>,
    s6_last: Reg<Bit>,
    /// The S6 row is outside the window's inner square: its row sums are halved.
    s6_wrow: Reg<Bit>,
    s7_v: Reg<Bit>,
    s7_last: Reg<Bit>,
    r7a: Reg<Bits<32>>,
    r7b: Reg<Bits<32>>,
    r7c: Reg<Bits<32>>,
    acc0: Reg<Bits<36>>,
    acc1: Reg<Bits<36>>,
    acc2: Reg<Bits<36>>,
    pass_end: Reg<Bit>,

    // ---- Solver ----
    job: Reg<Bits<4>>,
    mi: Reg<Bits<2>>,
    mj: Reg<Bit>,
    acc: Reg<Bits<80>>,
    s: Reg<Bits<5>>,
    sxx: Reg<Bits<16>>,
    syy: Reg<Bits<16>>,
    sxy_m: Reg<Bits<16>>,
    sxy_n: Reg<Bit>,
    det: Reg<Bits<32>>,
    e: Reg<Bits<6>>,
    drem: Reg<Bits<34>>,
    dq: Reg<Bits<19>>,
    dcnt: Reg<Bits<5>>,
    bx_m: Reg<Bits<26>>,
    bx_n: Reg<Bit>,
    by_m: Reg<Bits<26>>,
    by_n: Reg<Bit>,
    nx_m: Reg<Bits<42>>,
    nx_n: Reg<Bit>,
    ny_m: Reg<Bits<42>>,
    ny_n: Reg<Bit>,
    dx: Reg<Bits<24>>,
    dxm: Reg<Bits<19>>,
    // The solver's pipeline registers: the product (shifted into place) and its sign, a
    // cycle before it is added (`mq_v`: it is one); the run's return state past the drain;
    // acc >> k (its low 24 bits, sign, saturation) and |acc| (low 42 bits, sign), registered
    // from acc every cycle; the states whose results those registers hold (`cap_*`).
    mq: Reg<Bits<80>>,
    mq_neg: Reg<Bit>,
    mq_v: Reg<Bit>,
    jret: Reg<Bits<5>>,
    vq_lo: Reg<Bits<24>>,
    vq_neg: Reg<Bit>,
    vq_sat: Reg<Bit>,
    amq: Reg<Bits<42>>,
    amq_n: Reg<Bit>,
    cap_nx: Reg<Bit>,
    cap_ny: Reg<Bit>,
    cap_sx: Reg<Bit>,

    // ---- State names ----
    st_idle: Constant<Bits<5>>,
    st_start: Constant<Bits<5>>,
    st_level: Constant<Bits<5>>,
    st_patch: Constant<Bits<5>>,
    st_test: Constant<Bits<5>>,
    st_run: Constant<Bits<5>>,
    st_test_done: Constant<Bits<5>>,
    st_det: Constant<Bits<5>>,
    st_det_done: Constant<Bits<5>>,
    st_div: Constant<Bits<5>>,
    st_iter: Constant<Bits<5>>,
    st_iter_wait: Constant<Bits<5>>,
    st_bshift: Constant<Bits<5>>,
    st_nx_done: Constant<Bits<5>>,
    st_ny_done: Constant<Bits<5>>,
    st_sx_done: Constant<Bits<5>>,
    st_sy_done: Constant<Bits<5>>,
    st_sy_step: Constant<Bits<5>>,
    st_drain: Constant<Bits<5>>,
    st_final: Constant<Bits<5>>,
    st_level_end: Constant<Bits<5>>,
    st_div_init: Constant<Bits<5>>,

    // ---- Constants ----
    seg_cols: Constant<Bit>,
    seven11: Constant<Bits<11>>,
    hp1: Constant<Bits<11>>,
    q_last: Constant<Bits<5>>,
    j_last: Constant<Bits<5>>,
    /// The inner square's first and last window rows (h - r, h + r).
    j_in_lo: Constant<Bits<5>>,
    j_in_hi: Constant<Bits<5>>,
    msb32: Constant<Bits<32>>,
    lane_k: Vec<Constant<Bits<11>>>,
    lane_k8: Vec<Constant<Bits<8>>>,
    blc: Vec<Constant<Bits<6>>>,
    top1: Vec<Constant<Bits<34>>>,
    step_sat: Constant<Bits<19>>,
    sat_p24: Constant<Bits<24>>,
    sat_n24: Constant<Bits<24>>,
    ones62: Constant<Bits<62>>,
    zero61: Constant<Bits<61>>,
    zero18: Constant<Bits<18>>,
    one42: Constant<Bits<42>>,
    one80: Constant<Bits<80>>,
    one36: Constant<Bits<36>>,
    one24: Constant<Bits<24>>,
    one19: Constant<Bits<19>>,
    one11: Constant<Bits<11>>,
    one7: Constant<Bits<7>>,
    c16: Constant<Bits<7>>,
    c9: Constant<Bits<7>>,
    sext32: Constant<Bits<36>>,

    // ---- Combinational ----
    s1_v: Signal<Local, Bit>,
    req_go: Signal<Local, Bit>,
    take_in: Signal<Local, Bit>,
    w1: Signal<Local, Bits<11>>,
    w2: Signal<Local, Bits<11>>,
    h1: Signal<Local, Bits<11>>,
    h2: Signal<Local, Bits<11>>,
    wl_m1: Signal<Local, Bits<11>>,
    hl_m1: Signal<Local, Bits<11>>,
    in_frame: Signal<Local, Bit>,
    in_level: Signal<Local, Bit>,
    pos_x: Signal<Local, Bits<24>>,
    pos_y: Signal<Local, Bits<24>>,
    pix: Signal<Local, Bits<11>>,
    piy: Signal<Local, Bits<11>>,
    fx: Signal<Local, Bits<8>>,
    fy: Signal<Local, Bits<8>>,
    ry: Signal<Local, Bits<11>>,
    row: Signal<Local, Bits<11>>,
    ck: Vec<Signal<Local, Bits<11>>>,
    col: Vec<Signal<Local, Bits<11>>>,
    unused_lane: Vec<Signal<Local, Bits<SB>>>,
    c0: Signal<Local, Bits<11>>,
    c0_neg: Signal<Local, Bit>,
    c0_m: Signal<Local, Bits<11>>,
    c0_s: Signal<Local, Bits<11>>,
    unused_c0_s: Signal<Local, Bits<11>>,
    seg: Signal<Local, Bits<8>>,
    off: Signal<Local, Bits<11>>,
    win_row: Signal<Local, Bits<SB>>,
    p_first: Signal<Local, Bits<8>>,
    r_sel: Signal<Local, Bits<11>>,
    unused_r_sel: Signal<Local, Bits<11>>,
    r_sel5: Signal<Local, Bits<5>>,
    r_word: Signal<Local, Bits<SB>>,
    unused_r_word: Signal<Local, Bits<SB>>,
    p_last: Signal<Local, Bits<8>>,
    j4: Signal<Local, Bits<4>>,
    e_m2: Signal<Local, Bits<5>>,
    unused_e_m2: Signal<Local, Bits<5>>,
    unused_pos: Signal<Local, Bits<24>>,
    bl_m16: Signal<Local, Bits<6>>,
    unused_bl: Signal<Local, Bits<6>>,
    tot_a: Signal<Local, Bits<32>>,
    tot_b: Signal<Local, Bits<32>>,
    tot_c: Signal<Local, Bits<32>>,
    j5: Signal<Local, Bits<4>>,
    sum_a: Vec<Signal<Local, Bits<32>>>,
    sum_b: Vec<Signal<Local, Bits<32>>>,
    sum_c: Vec<Signal<Local, Bits<32>>>,
    gxx: Signal<Local, Bits<32>>,
    gyy: Signal<Local, Bits<32>>,
    gxy_n: Signal<Local, Bit>,
    gxy_m: Signal<Local, Bits<36>>,
    unused_acc: Signal<Local, Bits<36>>,
    gm: Signal<Local, Bits<32>>,
    bl_g: Signal<Local, Bits<6>>,
    s_new: Signal<Local, Bits<5>>,
    sh_xx: Signal<Local, Bits<32>>,
    sh_yy: Signal<Local, Bits<32>>,
    sh_xy: Signal<Local, Bits<36>>,
    unused_sh: Signal<Local, Bits<36>>,
    unused_shx: Signal<Local, Bits<32>>,
    unused_shy: Signal<Local, Bits<32>>,
    strong_ok: Signal<Local, Bit>,
    bl_d: Signal<Local, Bits<6>>,
    top_d: Signal<Local, Bits<34>>,
    dtry: Signal<Local, Bits<34>>,
    bshx: Signal<Local, Bits<36>>,
    bshy: Signal<Local, Bits<36>>,
    bmx: Signal<Local, Bits<36>>,
    bmy: Signal<Local, Bits<36>>,
    unused_bm: Signal<Local, Bits<36>>,
    xval: Signal<Local, Bits<48>>,
    yval: Signal<Local, Bits<32>>,
    jneg: Signal<Local, Bit>,
    jnx: Signal<Local, Bits<2>>,
    jlast: Signal<Local, Bit>,
    jnext: Signal<Local, Bits<5>>,
    xp: Signal<Local, Bits<16>>,
    yp: Signal<Local, Bits<16>>,
    mprod: Signal<Local, Bits<32>>,
    msh: Signal<Local, Bits<7>>,
    mext: Signal<Local, Bits<80>>,
    acc_mag: Signal<Local, Bits<42>>,
    kshift: Signal<Local, Bits<7>>,
    kshift_m1: Signal<Local, Bits<7>>,
    w0_m1: Signal<Local, Bits<11>>,
    h0_m1: Signal<Local, Bits<11>>,
    preload: Signal<Local, Bits<80>>,
    vsh: Signal<Local, Bits<80>>,
    unused_vsh: Signal<Local, Bits<80>>,
    v_hi0: Signal<Local, Bit>,
    v_lo0: Signal<Local, Bit>,
    v_ones: Signal<Local, Bit>,
    vsat: Signal<Local, Bit>,
    vneg_lo: Signal<Local, Bits<24>>,
    dmag: Signal<Local, Bits<19>>,
    dstep: Signal<Local, Bits<24>>,
    conv: Signal<Local, Bit>,
}

/// The window's inner square, |i|, |j| <= r (weight 1; outer rows and columns weigh 1/2
/// each): r = (h + 1) / 2, the golden model's `tracker::inner_radius`.
fn inner_radius(h: usize) -> usize {
    h.div_ceil(2)
}

/// A vector of `n` default items.
fn lanes<T: Default>(n: usize) -> Vec<T> {
    (0..n).map(|_| T::default()).collect()
}

impl<const SB: usize> TrackerCore<SB> {
    /// A tracker with a W x W window (W lanes); `seg_cols`: segments start at any multiple of
    /// 8 columns (else a segment is a whole row: `mem_req_col` is 0).
    pub(crate) fn built(window: usize, seg_cols: bool) -> Self {
        assert!((SB / 8).is_power_of_two() && SB >= 256, "a segment is a power of two pixels, 32 or more");
        let w = window;
        let h = w / 2;
        let st = |k: u64| Constant::new(bits::<5>(k));
        let mut uut = TrackerCore {
            clk: Default::default(),
            rst: Default::default(),
            width: Default::default(),
            height: Default::default(),
            levels: Default::default(),
            iterations: Default::default(),
            epsilon: Default::default(),
            t_min: Default::default(),
            mem_req_valid: Default::default(),
            mem_req_ready: Default::default(),
            mem_req_level: Default::default(),
            mem_req_frame: Default::default(),
            mem_req_row: Default::default(),
            mem_req_col: Default::default(),
            mem_rsp_valid: Default::default(),
            mem_rsp_ready: Default::default(),
            mem_rsp_data: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            in_x: Default::default(),
            in_y: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            out_x: Default::default(),
            out_y: Default::default(),
            out_status: Default::default(),
            out_iters: Default::default(),
            col_lane: lanes(w + 2),
            win: lanes(w),
            st: Default::default(),
            x0: Default::default(),
            y0: Default::default(),
            lvl: Default::default(),
            ax: Default::default(),
            ay: Default::default(),
            gx: Default::default(),
            gy: Default::default(),
            px: Default::default(),
            py: Default::default(),
            its: Default::default(),
            n: Default::default(),
            outcome: Default::default(),
            out_full: Default::default(),
            o_x: Default::default(),
            o_y: Default::default(),
            o_status: Default::default(),
            o_iters: Default::default(),
            pass_run: Default::default(),
            pass_it: Default::default(),
            q: Default::default(),
            rq: Default::default(),
            s2_v: Default::default(),
            s2_q: Default::default(),
            p2: lanes(w + 3),
            s3_v: Default::default(),
            s3_q: Default::default(),
            s4_v: Default::default(),
            s4_e: Default::default(),
            s5_v: Default::default(),
            s5_j: Default::default(),
            s6_v: Default::default(),
            s6_last: Default::default(),
            s6_wrow: Default::default(),
            s7_v: Default::default(),
            s7_last: Default::default(),
            r7a: Default::default(),
            r7b: Default::default(),
            r7c: Default::default(),
            acc0: Default::default(),
            acc1: Default::default(),
            acc2: Default::default(),
            pass_end: Default::default(),
            job: Default::default(),
            mi: Default::default(),
            mj: Default::default(),
            acc: Default::default(),
            s: Default::default(),
            sxx: Default::default(),
            syy: Default::default(),
            sxy_m: Default::default(),
            sxy_n: Default::default(),
            det: Default::default(),
            e: Default::default(),
            drem: Default::default(),
            dq: Default::default(),
            dcnt: Default::default(),
            bx_m: Default::default(),
            bx_n: Default::default(),
            by_m: Default::default(),
            by_n: Default::default(),
            nx_m: Default::default(),
            nx_n: Default::default(),
            ny_m: Default::default(),
            ny_n: Default::default(),
            dx: Default::default(),
            dxm: Default::default(),
            mq: Default::default(),
            mq_neg: Default::default(),
            mq_v: Default::default(),
            jret: Default::default(),
            vq_lo: Default::default(),
            vq_neg: Default::default(),
            vq_sat: Default::default(),
            amq: Default::default(),
            amq_n: Default::default(),
            cap_nx: Default::default(),
            cap_ny: Default::default(),
            cap_sx: Default::default(),
            st_idle: st(0),
            st_start: st(1),
            st_level: st(2),
            st_patch: st(3),
            st_test: st(4),
            st_run: st(5),
            st_test_done: st(6),
            st_det: st(7),
            st_det_done: st(8),
            st_div: st(9),
            st_iter: st(10),
            st_iter_wait: st(11),
            st_bshift: st(12),
            st_nx_done: st(13),
            st_ny_done: st(14),
            st_sx_done: st(15),
            st_sy_done: st(16),
            st_sy_step: st(17),
            st_drain: st(21),
            st_final: st(18),
            st_level_end: st(19),
            st_div_init: st(20),
            seg_cols: Constant::new(seg_cols),
            seven11: Constant::new(bits(7)),
            hp1: Constant::new(bits((h + 1) as u64)),
            q_last: Constant::new(bits((w + 2) as u64)),
            j_last: Constant::new(bits((w - 1) as u64)),
            j_in_lo: Constant::new(bits((h - inner_radius(h)) as u64)),
            j_in_hi: Constant::new(bits((h + inner_radius(h)) as u64)),
            msb32: Constant::new(bits(1u64 << 31)),
            lane_k: (0..w + 3).map(|k| Constant::new(bits(k as u64))).collect(),
            lane_k8: (0..w + 3).map(|k| Constant::new(bits(8 * k as u64))).collect(),
            blc: (0..32).map(|k| Constant::new(bits((k + 1) as u64))).collect(),
            top1: (0..32).map(|k| Constant::new(bits(1u64 << k))).collect(),
            step_sat: Constant::new(bits(1u64 << 18)),
            sat_p24: Constant::new(bits(1u64 << 18)),
            sat_n24: Constant::new(bits((1u64 << 24) - (1u64 << 18))),
            ones62: Constant::new(bits((1u64 << 62) - 1)),
            zero61: Constant::new(bits(0)),
            zero18: Constant::new(bits(0)),
            one42: Constant::new(bits(1)),
            one80: Constant::new(bits(1)),
            one36: Constant::new(bits(1)),
            one24: Constant::new(bits(1)),
            one19: Constant::new(bits(1)),
            one11: Constant::new(bits(1)),
            one7: Constant::new(bits(1)),
            c16: Constant::new(bits(16)),
            c9: Constant::new(bits(9)),
            sext32: Constant::new(bits(0xF_0000_0000)),
            s1_v: Default::default(),
            req_go: Default::default(),
            take_in: Default::default(),
            w1: Default::default(),
            w2: Default::default(),
            h1: Default::default(),
            h2: Default::default(),
            wl_m1: Default::default(),
            hl_m1: Default::default(),
            in_frame: Default::default(),
            in_level: Default::default(),
            pos_x: Default::default(),
            pos_y: Default::default(),
            pix: Default::default(),
            piy: Default::default(),
            fx: Default::default(),
            fy: Default::default(),
            ry: Default::default(),
            row: Default::default(),
            ck: lanes(w + 3),
            col: lanes(w + 3),
            unused_lane: lanes(w + 3),
            c0: Default::default(),
            c0_neg: Default::default(),
            c0_m: Default::default(),
            c0_s: Default::default(),
            unused_c0_s: Default::default(),
            seg: Default::default(),
            off: Default::default(),
            win_row: Default::default(),
            p_first: Default::default(),
            r_sel: Default::default(),
            unused_r_sel: Default::default(),
            r_sel5: Default::default(),
            r_word: Default::default(),
            unused_r_word: Default::default(),
            p_last: Default::default(),
            j4: Default::default(),
            e_m2: Default::default(),
            unused_e_m2: Default::default(),
            unused_pos: Default::default(),
            bl_m16: Default::default(),
            unused_bl: Default::default(),
            tot_a: Default::default(),
            tot_b: Default::default(),
            tot_c: Default::default(),
            j5: Default::default(),
            sum_a: lanes(w),
            sum_b: lanes(w),
            sum_c: lanes(w),
            gxx: Default::default(),
            gyy: Default::default(),
            gxy_n: Default::default(),
            gxy_m: Default::default(),
            unused_acc: Default::default(),
            gm: Default::default(),
            bl_g: Default::default(),
            s_new: Default::default(),
            sh_xx: Default::default(),
            sh_yy: Default::default(),
            sh_xy: Default::default(),
            unused_sh: Default::default(),
            unused_shx: Default::default(),
            unused_shy: Default::default(),
            strong_ok: Default::default(),
            bl_d: Default::default(),
            top_d: Default::default(),
            dtry: Default::default(),
            bshx: Default::default(),
            bshy: Default::default(),
            bmx: Default::default(),
            bmy: Default::default(),
            unused_bm: Default::default(),
            xval: Default::default(),
            yval: Default::default(),
            jneg: Default::default(),
            jnx: Default::default(),
            jlast: Default::default(),
            jnext: Default::default(),
            xp: Default::default(),
            yp: Default::default(),
            mprod: Default::default(),
            msh: Default::default(),
            mext: Default::default(),
            acc_mag: Default::default(),
            kshift: Default::default(),
            kshift_m1: Default::default(),
            w0_m1: Default::default(),
            h0_m1: Default::default(),
            preload: Default::default(),
            vsh: Default::default(),
            unused_vsh: Default::default(),
            v_hi0: Default::default(),
            v_lo0: Default::default(),
            v_ones: Default::default(),
            vsat: Default::default(),
            vneg_lo: Default::default(),
            dmag: Default::default(),
            dstep: Default::default(),
            conv: Default::default(),
        };
        for (m, lane) in uut.win.iter_mut().enumerate() {
            lane.wcol = Constant::new(m.abs_diff(h) > inner_radius(h));
        }
        uut.connect_all();
        uut
    }
}

impl<const SB: usize> Logic for TrackerCore<SB> {
    #[allow(clippy::collapsible_if)] // one `if` a state: the description reads as the state machine
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clk, st, x0, y0, lvl, ax, ay, gx, gy, px, py, its, n, outcome, out_full, o_x, o_y, o_status,
            o_iters, pass_run, pass_it, q, rq, s2_v, s2_q, s3_v, s3_q, s4_v, s4_e, s5_v, s5_j, s6_v, s6_last, s6_wrow,
            s7_v, s7_last, r7a, r7b, r7c, acc0, acc1, acc2, pass_end, job, mi, mj, acc, s, sxx, syy, sxy_m, sxy_n,
            det, e, drem, dq, dcnt, bx_m, bx_n, by_m, by_n, nx_m, nx_n, ny_m, ny_n, dx, dxm, mq, mq_neg, mq_v, jret, vq_lo, vq_neg, vq_sat, amq, amq_n, cap_nx, cap_ny, cap_sx
        );
        self.st.rst.next = self.rst.val();
        self.x0.rst.next = self.rst.val();
        self.y0.rst.next = self.rst.val();
        self.lvl.rst.next = self.rst.val();
        self.ax.rst.next = self.rst.val();
        self.ay.rst.next = self.rst.val();
        self.gx.rst.next = self.rst.val();
        self.gy.rst.next = self.rst.val();
        self.px.rst.next = self.rst.val();
        self.py.rst.next = self.rst.val();
        self.its.rst.next = self.rst.val();
        self.n.rst.next = self.rst.val();
        self.outcome.rst.next = self.rst.val();
        self.out_full.rst.next = self.rst.val();
        self.o_x.rst.next = self.rst.val();
        self.o_y.rst.next = self.rst.val();
        self.o_status.rst.next = self.rst.val();
        self.o_iters.rst.next = self.rst.val();
        self.pass_run.rst.next = self.rst.val();
        self.pass_it.rst.next = self.rst.val();
        self.q.rst.next = self.rst.val();
        self.rq.rst.next = self.rst.val();
        self.s2_v.rst.next = self.rst.val();
        self.s2_q.rst.next = self.rst.val();
        self.s3_v.rst.next = self.rst.val();
        self.s3_q.rst.next = self.rst.val();
        self.s4_v.rst.next = self.rst.val();
        self.s4_e.rst.next = self.rst.val();
        self.s5_v.rst.next = self.rst.val();
        self.s5_j.rst.next = self.rst.val();
        self.s6_v.rst.next = self.rst.val();
        self.s6_last.rst.next = self.rst.val();
        self.s6_wrow.rst.next = self.rst.val();
        self.s7_v.rst.next = self.rst.val();
        self.s7_last.rst.next = self.rst.val();
        self.r7a.rst.next = self.rst.val();
        self.r7b.rst.next = self.rst.val();
        self.r7c.rst.next = self.rst.val();
        self.acc0.rst.next = self.rst.val();
        self.acc1.rst.next = self.rst.val();
        self.acc2.rst.next = self.rst.val();
        self.pass_end.rst.next = self.rst.val();
        self.job.rst.next = self.rst.val();
        self.mi.rst.next = self.rst.val();
        self.mj.rst.next = self.rst.val();
        self.acc.rst.next = self.rst.val();
        self.s.rst.next = self.rst.val();
        self.sxx.rst.next = self.rst.val();
        self.syy.rst.next = self.rst.val();
        self.sxy_m.rst.next = self.rst.val();
        self.sxy_n.rst.next = self.rst.val();
        self.det.rst.next = self.rst.val();
        self.e.rst.next = self.rst.val();
        self.drem.rst.next = self.rst.val();
        self.dq.rst.next = self.rst.val();
        self.dcnt.rst.next = self.rst.val();
        self.bx_m.rst.next = self.rst.val();
        self.bx_n.rst.next = self.rst.val();
        self.by_m.rst.next = self.rst.val();
        self.by_n.rst.next = self.rst.val();
        self.nx_m.rst.next = self.rst.val();
        self.nx_n.rst.next = self.rst.val();
        self.ny_m.rst.next = self.rst.val();
        self.ny_n.rst.next = self.rst.val();
        self.dx.rst.next = self.rst.val();
        self.dxm.rst.next = self.rst.val();
        self.mq.rst.next = self.rst.val();
        self.mq_neg.rst.next = self.rst.val();
        self.mq_v.rst.next = self.rst.val();
        self.jret.rst.next = self.rst.val();
        self.vq_lo.rst.next = self.rst.val();
        self.vq_neg.rst.next = self.rst.val();
        self.vq_sat.rst.next = self.rst.val();
        self.amq.rst.next = self.rst.val();
        self.amq_n.rst.next = self.rst.val();
        self.cap_nx.rst.next = self.rst.val();
        self.cap_ny.rst.next = self.rst.val();
        self.cap_sx.rst.next = self.rst.val();
        for k in 0..self.p2.len() {
            self.p2[k].clock.next = self.clk.val();
            self.p2[k].rst.next = self.rst.val();
            self.p2[k].d.next = self.p2[k].q.val();
        }
        for k in 0..self.col_lane.len() {
            self.col_lane[k].clk.next = self.clk.val();
            self.col_lane[k].rst.next = self.rst.val();
        }
        for m in 0..self.win.len() {
            self.win[m].clk.next = self.clk.val();
            self.win[m].rst.next = self.rst.val();
        }

        // ---- Handshakes and outputs, from registers ----
        self.in_ready.next = (self.st.q.val() == self.st_idle.val()) & !self.out_full.q.val();
        self.out_valid.next = self.out_full.q.val();
        self.out_x.next = self.o_x.q.val();
        self.out_y.next = self.o_y.q.val();
        self.out_status.next = self.o_status.q.val();
        self.out_iters.next = self.o_iters.q.val();
        self.take_in.next = self.in_valid.val() & (self.st.q.val() == self.st_idle.val()) & !self.out_full.q.val();
        if self.out_full.q.val() & self.out_ready.val() {
            self.out_full.d.next = false;
        }

        // ---- The levels: sizes, the current one's last pixel ----
        self.w1.next = (self.width.val() + self.one11.val()) >> 1;
        self.w2.next = (self.w1.val() + self.one11.val()) >> 1;
        self.h1.next = (self.height.val() + self.one11.val()) >> 1;
        self.h2.next = (self.h1.val() + self.one11.val()) >> 1;
        self.w0_m1.next = self.width.val() - self.one11.val();
        self.h0_m1.next = self.height.val() - self.one11.val();
        self.wl_m1.next = self.width.val() - 1;
        self.hl_m1.next = self.height.val() - 1;
        if self.lvl.q.val() == 1 {
            self.wl_m1.next = self.w1.val() - 1;
            self.hl_m1.next = self.h1.val() - 1;
        }
        if self.lvl.q.val() == 2 {
            self.wl_m1.next = self.w2.val() - 1;
            self.hl_m1.next = self.h2.val() - 1;
        }
        self.in_frame.next = !self.x0.q.val().get_bit(23)
            & !self.y0.q.val().get_bit(23)
            & (self.x0.q.val() <= (bit_cast::<24, 11>(self.w0_m1.val()) << 8))
            & (self.y0.q.val() <= (bit_cast::<24, 11>(self.h0_m1.val()) << 8));
        self.in_level.next = !self.px.q.val().get_bit(23)
            & !self.py.q.val().get_bit(23)
            & (self.px.q.val() <= (bit_cast::<24, 11>(self.wl_m1.val()) << 8))
            & (self.py.q.val() <= (bit_cast::<24, 11>(self.hl_m1.val()) << 8));

        // ---- Window pass: row reads ----
        self.pos_x.next = self.ax.q.val();
        self.pos_y.next = self.ay.q.val();
        if self.pass_it.q.val() {
            self.pos_x.next = self.px.q.val();
            self.pos_y.next = self.py.q.val();
        }
        self.unused_pos.next = self.pos_x.val() ^ self.pos_y.val();
        self.pix.next = self.pos_x.val().get_bits::<11>(8);
        self.piy.next = self.pos_y.val().get_bits::<11>(8);
        self.fx.next = self.pos_x.val().get_bits::<8>(0);
        self.fy.next = self.pos_y.val().get_bits::<8>(0);
        self.ry.next = self.piy.val() + bit_cast::<11, 5>(self.q.q.val());
        self.row.next = self.ry.val() - self.hp1.val();
        if self.ry.val() < self.hp1.val() {
            self.row.next = 0.into();
        } else if (self.ry.val() - self.hp1.val()) > self.hl_m1.val() {
            self.row.next = self.hl_m1.val();
        }
        // The segment's first column / 8 (see S1 below).
        self.c0.next = self.pix.val() - self.hp1.val();
        self.c0_neg.next = self.pix.val() < self.hp1.val();
        self.c0_m.next = self.hp1.val() - self.pix.val();
        self.c0_s.next = self.c0.val() >> 3;
        self.unused_c0_s.next = self.c0_s.val();
        self.seg.next = 0.into();
        self.off.next = self.c0.val();
        if self.seg_cols.val() & !self.c0_neg.val() {
            self.seg.next = self.c0_s.val().get_bits::<8>(0);
            self.off.next = self.c0.val() & self.seven11.val();
        }

        // A request a clock while the pass has rows to ask for; the responses come back in
        // order, one row each, into S1.
        self.mem_req_valid.next = self.pass_run.q.val();
        self.mem_req_level.next = self.lvl.q.val();
        self.mem_req_frame.next = self.pass_it.q.val();
        self.mem_req_row.next = self.row.val();
        self.mem_req_col.next = self.seg.val();
        self.mem_rsp_ready.next = true;
        self.req_go.next = self.pass_run.q.val() & self.mem_req_ready.val();
        if self.req_go.val() {
            self.q.d.next = self.q.q.val() + 1;
            if self.q.q.val() == self.q_last.val() {
                self.pass_run.d.next = false;
            }
        }
        self.s1_v.next = self.mem_rsp_valid.val();
        if self.s1_v.val() {
            self.rq.d.next = self.rq.q.val() + 1;
        }

        // ---- S1 -> S2: the row's pixel lanes, columns clamped to the level ----
        // The segment holds columns 8 seg ..; one shift brings column c0 = pix - h - 1 (the
        // leftmost lane's) to byte 0 (a left shift when c0 < 0: then seg = 0); lane k takes
        // byte k of it, or the level's first pixel (column < 0: byte 0 of the segment) or its
        // last (column > Wl - 1: byte Wl - 1 - c0 of the shifted row, below W + 3 whenever a
        // lane clamps there).
        self.win_row.next = self.mem_rsp_data.val() >> (bit_cast::<16, 11>(self.off.val()) << 3);
        if self.c0_neg.val() {
            self.win_row.next = self.mem_rsp_data.val() << (bit_cast::<16, 11>(self.c0_m.val()) << 3);
        }
        self.p_first.next = self.mem_rsp_data.val().get_bits::<8>(0);
        self.r_sel.next = (self.wl_m1.val() + self.hp1.val()) - self.pix.val();
        self.unused_r_sel.next = self.r_sel.val();
        self.r_sel5.next = self.r_sel.val().get_bits::<5>(0);
        self.r_word.next = self.win_row.val() >> (bit_cast::<8, 5>(self.r_sel5.val()) << 3);
        self.unused_r_word.next = self.r_word.val();
        self.p_last.next = self.r_word.val().get_bits::<8>(0);
        for k in 0..self.ck.len() {
            self.ck[k].next = self.pix.val() + self.lane_k[k].val();
            self.col[k].next = self.ck[k].val() - self.hp1.val();
            self.unused_lane[k].next = self.win_row.val() >> self.lane_k8[k].val();
            if self.s1_v.val() {
                self.p2[k].d.next = self.unused_lane[k].val().get_bits::<8>(0);
                if self.ck[k].val() < self.hp1.val() {
                    self.p2[k].d.next = self.p_first.val();
                } else if self.col[k].val() > self.wl_m1.val() {
                    self.p2[k].d.next = self.p_last.val();
                }
            }
        }
        self.s2_v.d.next = self.s1_v.val();
        self.s2_q.d.next = self.rq.q.val();

        // ---- S2 -> S3 -> S4: the column lanes' interpolation ----
        self.s3_v.d.next = self.s2_v.q.val();
        self.s3_q.d.next = self.s2_q.q.val();
        self.s4_v.d.next = self.s3_v.q.val() & (self.s3_q.q.val() != 0);
        self.s4_e.d.next = self.s3_q.q.val() - 1;
        for k in 0..self.col_lane.len() {
            self.col_lane[k].p.next = self.p2[k].q.val();
            self.col_lane[k].pn.next = self.p2[k + 1].q.val();
            self.col_lane[k].fx.next = self.fx.val();
            self.col_lane[k].fy.next = self.fy.val();
            self.col_lane[k].ld_h.next = self.s2_v.q.val();
            self.col_lane[k].ld_e.next = self.s3_v.q.val() & (self.s3_q.q.val() != 0);
        }

        // ---- S4 -> S5 -> S6: the window lanes ----
        self.s5_v.d.next = self.s4_v.q.val() & (self.s4_e.q.val() >= 2);
        self.s5_j.d.next = self.s4_e.q.val() - 2;
        self.s6_v.d.next = self.s5_v.q.val();
        self.s6_last.d.next = self.s5_v.q.val() & (self.s5_j.q.val() == self.j_last.val());
        self.s6_wrow.d.next = (self.s5_j.q.val() < self.j_in_lo.val()) | (self.s5_j.q.val() > self.j_in_hi.val());
        self.e_m2.next = self.s4_e.q.val() - 2;
        self.j4.next = self.e_m2.val().get_bits::<4>(0);
        self.unused_e_m2.next = self.e_m2.val();
        self.j5.next = self.s5_j.q.val().get_bits::<4>(0);
        for m in 0..self.win.len() {
            self.win[m].la.next = self.col_lane[m].ea_o.val();
            self.win[m].lb.next = self.col_lane[m].eb_o.val();
            self.win[m].lc.next = self.col_lane[m].ec_o.val();
            self.win[m].ca.next = self.col_lane[m + 1].ea_o.val();
            self.win[m].cb.next = self.col_lane[m + 1].eb_o.val();
            self.win[m].cc.next = self.col_lane[m + 1].ec_o.val();
            self.win[m].ra.next = self.col_lane[m + 2].ea_o.val();
            self.win[m].rb.next = self.col_lane[m + 2].eb_o.val();
            self.win[m].rc.next = self.col_lane[m + 2].ec_o.val();
            self.win[m].ld5.next = self.s4_v.q.val() & (self.s4_e.q.val() >= 2);
            self.win[m].ld6.next = self.s5_v.q.val();
            self.win[m].it.next = self.pass_it.q.val();
            self.win[m].waddr.next = self.j5.val();
            self.win[m].we.next = self.s5_v.q.val() & !self.pass_it.q.val();
            self.win[m].raddr.next = self.j4.val();
            self.win[m].re.next = self.s4_v.q.val() & (self.s4_e.q.val() >= 2) & self.pass_it.q.val();
        }

        // ---- S6 -> S7: the row sums ----
        self.s7_v.d.next = self.s6_v.q.val();
        self.s7_last.d.next = self.s6_last.q.val();
        for m in 0..self.win.len() {
            self.sum_a[m].next = self.win[m].sa.val();
            self.sum_b[m].next = self.win[m].sb.val();
            self.sum_c[m].next = self.win[m].sc.val();
        }
        for m in 0..(self.win.len() - 1) {
            self.sum_a[m + 1].next = self.sum_a[m].val() + self.win[m + 1].sa.val();
            self.sum_b[m + 1].next = self.sum_b[m].val() + self.win[m + 1].sb.val();
            self.sum_c[m + 1].next = self.sum_c[m].val() + self.win[m + 1].sc.val();
            // The last assignment is the chain's end.
            self.tot_a.next = self.sum_a[m + 1].val();
            self.tot_b.next = self.sum_b[m + 1].val();
            self.tot_c.next = self.sum_c[m + 1].val();
        }
        if self.s6_v.q.val() {
            self.r7a.d.next = self.tot_a.val();
            self.r7b.d.next = self.tot_b.val();
            self.r7c.d.next = self.tot_c.val();
            // The row's weight: an outer row's sums halved (arithmetic shift).
            if self.s6_wrow.q.val() {
                self.r7a.d.next = (self.tot_a.val() >> 1) | (self.tot_a.val() & self.msb32.val());
                self.r7b.d.next = (self.tot_b.val() >> 1) | (self.tot_b.val() & self.msb32.val());
                self.r7c.d.next = (self.tot_c.val() >> 1) | (self.tot_c.val() & self.msb32.val());
            }
        }

        // ---- S7: accumulate (36-bit two's complement) ----
        if self.s7_v.q.val() {
            self.acc0.d.next = self.acc0.q.val() + bit_cast::<36, 32>(self.r7a.q.val());
            if self.r7a.q.val().get_bit(31) {
                self.acc0.d.next = self.acc0.q.val() + (bit_cast::<36, 32>(self.r7a.q.val()) | self.sext32.val());
            }
            self.acc1.d.next = self.acc1.q.val() + bit_cast::<36, 32>(self.r7b.q.val());
            if self.r7b.q.val().get_bit(31) {
                self.acc1.d.next = self.acc1.q.val() + (bit_cast::<36, 32>(self.r7b.q.val()) | self.sext32.val());
            }
            self.acc2.d.next = self.acc2.q.val() + bit_cast::<36, 32>(self.r7c.q.val());
            if self.r7c.q.val().get_bit(31) {
                self.acc2.d.next = self.acc2.q.val() + (bit_cast::<36, 32>(self.r7c.q.val()) | self.sext32.val());
            }
        }
        self.pass_end.d.next = self.s7_v.q.val() & self.s7_last.q.val();

        // ---- The structure tensor and its scaling (from the A pass's sums) ----
        self.gxx.next = self.acc0.q.val().get_bits::<32>(0);
        self.gyy.next = self.acc2.q.val().get_bits::<32>(0);
        self.gxy_n.next = self.acc1.q.val().get_bit(35);
        self.gxy_m.next = self.acc1.q.val();
        if self.acc1.q.val().get_bit(35) {
            self.gxy_m.next = (!self.acc1.q.val()) + self.one36.val();
        }
        self.unused_acc.next = self.acc2.q.val() ^ self.acc0.q.val() ^ self.gxy_m.val();
        self.gm.next = self.gxx.val();
        if self.gyy.val() > self.gxx.val() {
            self.gm.next = self.gyy.val();
        }
        self.bl_g.next = 0.into();
        for i in 0..32 {
            if self.gm.val().get_bit(i) {
                self.bl_g.next = self.blc[i].val();
            }
        }
        self.bl_m16.next = self.bl_g.val() - 16;
        self.unused_bl.next = self.bl_m16.val();
        self.s_new.next = 0.into();
        if self.bl_g.val() > 16 {
            self.s_new.next = self.bl_m16.val().get_bits::<5>(0);
        }
        self.sh_xx.next = self.gxx.val() >> self.s_new.val();
        self.sh_yy.next = self.gyy.val() >> self.s_new.val();
        self.sh_xy.next = self.gxy_m.val() >> self.s_new.val();
        self.unused_sh.next = self.sh_xy.val();
        self.unused_shx.next = self.sh_xx.val();
        self.unused_shy.next = self.sh_yy.val();
        self.strong_ok.next = !self.acc.q.val().get_bit(79)
            & ((bit_cast::<34, 28>(self.t_min.val()) << 1)
                <= (bit_cast::<34, 32>(self.gxx.val()) + bit_cast::<34, 32>(self.gyy.val())));

        // ---- det' and the divider's first remainder: its top bit ----
        self.bl_d.next = 0.into();
        self.top_d.next = 0.into();
        for i in 0..32 {
            if self.det.q.val().get_bit(i) {
                self.bl_d.next = self.blc[i].val();
                self.top_d.next = self.top1[i].val();
            }
        }
        self.dtry.next = self.drem.q.val() - bit_cast::<34, 32>(self.det.q.val());

        // ---- b' = b >> s (arithmetic), as sign and magnitude ----
        self.bshx.next = self.acc0.q.val() >> self.s.q.val();
        if self.acc0.q.val().get_bit(35) {
            self.bshx.next = !((!self.acc0.q.val()) >> self.s.q.val());
        }
        self.bshy.next = self.acc1.q.val() >> self.s.q.val();
        if self.acc1.q.val().get_bit(35) {
            self.bshy.next = !((!self.acc1.q.val()) >> self.s.q.val());
        }
        self.bmx.next = self.bshx.val();
        if self.bshx.val().get_bit(35) {
            self.bmx.next = (!self.bshx.val()) + self.one36.val();
        }
        self.bmy.next = self.bshy.val();
        if self.bshy.val().get_bit(35) {
            self.bmy.next = (!self.bshy.val()) + self.one36.val();
        }
        self.unused_bm.next = self.bmx.val() ^ self.bmy.val();

        // ---- The solver's jobs: one product X * Y into acc, 16 x 16 bits a cycle ----
        self.xval.next = 0.into();
        self.yval.next = 0.into();
        self.jneg.next = false;
        self.jnx.next = 1.into();
        self.jlast.next = false;
        self.jnext.next = self.st_run.val();
        if self.job.q.val() == 0 {
            // + t t
            self.xval.next = bit_cast::<48, 28>(self.t_min.val());
            self.yval.next = bit_cast::<32, 28>(self.t_min.val());
        }
        if self.job.q.val() == 1 {
            // - gxx t
            self.xval.next = bit_cast::<48, 32>(self.gxx.val());
            self.yval.next = bit_cast::<32, 28>(self.t_min.val());
            self.jneg.next = true;
        }
        if self.job.q.val() == 2 {
            // - gyy t
            self.xval.next = bit_cast::<48, 32>(self.gyy.val());
            self.yval.next = bit_cast::<32, 28>(self.t_min.val());
            self.jneg.next = true;
        }
        if self.job.q.val() == 3 {
            // + gxx gyy
            self.xval.next = bit_cast::<48, 32>(self.gxx.val());
            self.yval.next = self.gyy.val();
        }
        if self.job.q.val() == 4 {
            // - gxy^2: the test's polynomial is complete
            self.xval.next = bit_cast::<48, 36>(self.gxy_m.val());
            self.yval.next = self.gxy_m.val().get_bits::<32>(0);
            self.jneg.next = true;
            self.jlast.next = true;
            self.jnext.next = self.st_test_done.val();
        }
        if self.job.q.val() == 5 {
            // + gxx' gyy'
            self.xval.next = bit_cast::<48, 16>(self.sxx.q.val());
            self.yval.next = bit_cast::<32, 16>(self.syy.q.val());
            self.jnx.next = 0.into();
        }
        if self.job.q.val() == 6 {
            // - gxy'^2: det'
            self.xval.next = bit_cast::<48, 16>(self.sxy_m.q.val());
            self.yval.next = bit_cast::<32, 16>(self.sxy_m.q.val());
            self.jneg.next = true;
            self.jnx.next = 0.into();
            self.jlast.next = true;
            self.jnext.next = self.st_det_done.val();
        }
        if self.job.q.val() == 7 {
            // nx = gyy' bx' ...
            self.xval.next = bit_cast::<48, 16>(self.syy.q.val());
            self.yval.next = bit_cast::<32, 26>(self.bx_m.q.val());
            self.jneg.next = self.bx_n.q.val();
            self.jnx.next = 0.into();
        }
        if self.job.q.val() == 8 {
            // ... - gxy' by'
            self.xval.next = bit_cast::<48, 16>(self.sxy_m.q.val());
            self.yval.next = bit_cast::<32, 26>(self.by_m.q.val());
            self.jneg.next = !(self.sxy_n.q.val() ^ self.by_n.q.val());
            self.jnx.next = 0.into();
            self.jlast.next = true;
            self.jnext.next = self.st_nx_done.val();
        }
        if self.job.q.val() == 9 {
            // ny = gxx' by' ...
            self.xval.next = bit_cast::<48, 16>(self.sxx.q.val());
            self.yval.next = bit_cast::<32, 26>(self.by_m.q.val());
            self.jneg.next = self.by_n.q.val();
            self.jnx.next = 0.into();
        }
        if self.job.q.val() == 10 {
            // ... - gxy' bx'
            self.xval.next = bit_cast::<48, 16>(self.sxy_m.q.val());
            self.yval.next = bit_cast::<32, 26>(self.bx_m.q.val());
            self.jneg.next = !(self.sxy_n.q.val() ^ self.bx_n.q.val());
            self.jnx.next = 0.into();
            self.jlast.next = true;
            self.jnext.next = self.st_ny_done.val();
        }
        if self.job.q.val() == 11 {
            // 2^(k-1) + nx inv
            self.xval.next = bit_cast::<48, 42>(self.nx_m.q.val());
            self.yval.next = bit_cast::<32, 19>(self.dq.q.val());
            self.jneg.next = self.nx_n.q.val();
            self.jnx.next = 2.into();
            self.jlast.next = true;
            self.jnext.next = self.st_sx_done.val();
        }
        if self.job.q.val() == 12 {
            // 2^(k-1) + ny inv
            self.xval.next = bit_cast::<48, 42>(self.ny_m.q.val());
            self.yval.next = bit_cast::<32, 19>(self.dq.q.val());
            self.jneg.next = self.ny_n.q.val();
            self.jnx.next = 2.into();
            self.jlast.next = true;
            self.jnext.next = self.st_sy_done.val();
        }
        self.xp.next = self.xval.val().get_bits::<16>(0);
        if self.mi.q.val() == 1 {
            self.xp.next = self.xval.val().get_bits::<16>(16);
        }
        if self.mi.q.val() == 2 {
            self.xp.next = self.xval.val().get_bits::<16>(32);
        }
        self.yp.next = self.yval.val().get_bits::<16>(0);
        if self.mj.q.val() {
            self.yp.next = self.yval.val().get_bits::<16>(16);
        }
        self.mprod.next = self.xp.val() * self.yp.val();
        self.msh.next = bit_cast::<7, 2>(self.mi.q.val()) << 4;
        if self.mj.q.val() {
            self.msh.next = (bit_cast::<7, 2>(self.mi.q.val()) << 4) + self.c16.val();
        }
        self.mext.next = bit_cast::<80, 32>(self.mprod.val()) << self.msh.val();
        // The product is added a cycle later (a run ends with a drain cycle that adds its last).
        self.mq.d.next = self.mext.val();
        self.mq_neg.d.next = self.jneg.val();
        self.mq_v.d.next = self.st.q.val() == self.st_run.val();
        if self.mq_v.q.val() {
            if self.mq_neg.q.val() {
                self.acc.d.next = self.acc.q.val() - self.mq.q.val();
            } else {
                self.acc.d.next = self.acc.q.val() + self.mq.q.val();
            }
        }
        // |acc|'s low 42 bits (nx, ny), registered: the state after nx_done / ny_done takes them.
        self.acc_mag.next = self.acc.q.val().get_bits::<42>(0);
        if self.acc.q.val().get_bit(79) {
            self.acc_mag.next = (!self.acc.q.val().get_bits::<42>(0)) + self.one42.val();
        }
        self.amq.d.next = self.acc_mag.val();
        self.amq_n.d.next = self.acc.q.val().get_bit(79);

        // ---- The step: -(acc >> k) (arithmetic), saturated to +-2^18 ----
        // Registered in two halves: v = acc >> k's low 24 bits, sign and saturation (|v| > 2^18:
        // v >= 0 with a bit above 18 set or bit 18 and a lower one; v < 0 not all ones from bit
        // 18 up); then the step from them, -v or -+2^18, and its magnitude.
        self.kshift.next = bit_cast::<7, 6>(self.e.q.val()) + self.c9.val();
        self.kshift_m1.next = self.kshift.val() - self.one7.val();
        self.preload.next = self.one80.val() << self.kshift_m1.val();
        self.vsh.next = self.acc.q.val() >> self.kshift.val();
        if self.acc.q.val().get_bit(79) {
            self.vsh.next = !((!self.acc.q.val()) >> self.kshift.val());
        }
        self.unused_vsh.next = self.vsh.val();
        self.v_hi0.next = self.vsh.val().get_bits::<61>(19) == self.zero61.val();
        self.v_lo0.next = self.vsh.val().get_bits::<18>(0) == self.zero18.val();
        self.v_ones.next = self.vsh.val().get_bits::<62>(18) == self.ones62.val();
        self.vsat.next = !self.v_ones.val();
        if !self.vsh.val().get_bit(79) {
            self.vsat.next = !self.v_hi0.val() | (self.vsh.val().get_bit(18) & !self.v_lo0.val());
        }
        self.vq_lo.d.next = self.vsh.val().get_bits::<24>(0);
        self.vq_neg.d.next = self.vsh.val().get_bit(79);
        self.vq_sat.d.next = self.vsat.val();
        self.vneg_lo.next = (!self.vq_lo.q.val()) + self.one24.val();
        self.dmag.next = self.vq_lo.q.val().get_bits::<19>(0);
        if self.vq_neg.q.val() {
            self.dmag.next = self.vneg_lo.val().get_bits::<19>(0);
        }
        self.dstep.next = self.vneg_lo.val();
        if self.vq_sat.q.val() {
            self.dmag.next = self.step_sat.val();
            self.dstep.next = self.sat_n24.val();
            if self.vq_neg.q.val() {
                self.dstep.next = self.sat_p24.val();
            }
        }
        self.conv.next = (self.dxm.q.val() <= bit_cast::<19, 9>(self.epsilon.val()))
            & (self.dmag.val() <= bit_cast::<19, 9>(self.epsilon.val()));
        self.cap_nx.d.next = self.st.q.val() == self.st_nx_done.val();
        self.cap_ny.d.next = self.st.q.val() == self.st_ny_done.val();
        self.cap_sx.d.next = self.st.q.val() == self.st_sx_done.val();
        if self.cap_nx.q.val() {
            self.nx_m.d.next = self.amq.q.val();
            self.nx_n.d.next = self.amq_n.q.val();
        }
        if self.cap_ny.q.val() {
            self.ny_m.d.next = self.amq.q.val();
            self.ny_n.d.next = self.amq_n.q.val();
        }
        if self.cap_sx.q.val() {
            self.dx.d.next = self.dstep.val();
            self.dxm.d.next = self.dmag.val();
        }

        // ---- The sequence ----
        if self.st.q.val() == self.st_idle.val() {
            if self.take_in.val() {
                self.x0.d.next = self.in_x.val();
                self.y0.d.next = self.in_y.val();
                self.st.d.next = self.st_start.val();
            }
        }
        if self.st.q.val() == self.st_start.val() {
            if self.in_frame.val() {
                self.lvl.d.next = self.levels.val() - 1;
                self.gx.d.next = 0.into();
                self.gy.d.next = 0.into();
                self.its.d.next = 0.into();
                self.st.d.next = self.st_level.val();
            } else {
                self.o_x.d.next = self.x0.q.val();
                self.o_y.d.next = self.y0.q.val();
                self.o_status.d.next = 2.into();
                self.o_iters.d.next = 0.into();
                self.out_full.d.next = true;
                self.st.d.next = self.st_idle.val();
            }
        }
        if self.st.q.val() == self.st_level.val() {
            // The level's A position and start; the A pass.
            self.ax.d.next = self.x0.q.val() >> self.lvl.q.val();
            self.ay.d.next = self.y0.q.val() >> self.lvl.q.val();
            self.px.d.next = (self.x0.q.val() >> self.lvl.q.val()) + self.gx.q.val();
            self.py.d.next = (self.y0.q.val() >> self.lvl.q.val()) + self.gy.q.val();
            self.pass_run.d.next = true;
            self.pass_it.d.next = false;
            self.q.d.next = 0.into();
            self.rq.d.next = 0.into();
            self.acc0.d.next = 0.into();
            self.acc1.d.next = 0.into();
            self.acc2.d.next = 0.into();
            self.st.d.next = self.st_patch.val();
        }
        if self.st.q.val() == self.st_patch.val() {
            if self.pass_end.q.val() {
                self.st.d.next = self.st_test.val();
            }
        }
        if self.st.q.val() == self.st_test.val() {
            self.acc.d.next = 0.into();
            self.job.d.next = 0.into();
            self.mi.d.next = 0.into();
            self.mj.d.next = false;
            self.st.d.next = self.st_run.val();
        }
        if self.st.q.val() == self.st_run.val() {
            if self.mj.q.val() {
                self.mj.d.next = false;
                if self.mi.q.val() == self.jnx.val() {
                    self.mi.d.next = 0.into();
                    self.job.d.next = self.job.q.val() + 1;
                    if self.jlast.val() {
                        self.jret.d.next = self.jnext.val();
                        self.st.d.next = self.st_drain.val();
                    }
                } else {
                    self.mi.d.next = self.mi.q.val() + 1;
                }
            } else {
                self.mj.d.next = true;
            }
        }
        if self.st.q.val() == self.st_drain.val() {
            self.st.d.next = self.jret.q.val();
        }
        if self.st.q.val() == self.st_test_done.val() {
            if self.strong_ok.val() {
                self.s.d.next = self.s_new.val();
                self.sxx.d.next = self.sh_xx.val().get_bits::<16>(0);
                self.syy.d.next = self.sh_yy.val().get_bits::<16>(0);
                self.sxy_m.d.next = self.sh_xy.val().get_bits::<16>(0);
                self.sxy_n.d.next = self.gxy_n.val();
                self.st.d.next = self.st_det.val();
            } else {
                self.outcome.d.next = 1.into();
                self.st.d.next = self.st_level_end.val();
            }
        }
        if self.st.q.val() == self.st_det.val() {
            self.acc.d.next = 0.into();
            self.job.d.next = 5.into();
            self.mi.d.next = 0.into();
            self.mj.d.next = false;
            self.st.d.next = self.st_run.val();
        }
        if self.st.q.val() == self.st_det_done.val() {
            self.det.d.next = self.acc.q.val().get_bits::<32>(0);
            if self.acc.q.val().get_bit(79) | (self.acc.q.val() == 0) {
                self.outcome.d.next = 1.into();
                self.st.d.next = self.st_level_end.val();
            } else {
                self.st.d.next = self.st_div_init.val();
            }
        }
        if self.st.q.val() == self.st_div_init.val() {
            self.e.d.next = self.bl_d.val();
            self.drem.d.next = self.top_d.val();
            self.dq.d.next = 0.into();
            self.dcnt.d.next = 0.into();
            self.st.d.next = self.st_div.val();
        }
        if self.st.q.val() == self.st_div.val() {
            // One quotient bit a cycle, 19 of them: inv = floor(2^(e+17) / det').
            if self.drem.q.val() >= bit_cast::<34, 32>(self.det.q.val()) {
                self.drem.d.next = self.dtry.val() << 1;
                self.dq.d.next = (self.dq.q.val() << 1) | self.one19.val();
            } else {
                self.drem.d.next = self.drem.q.val() << 1;
                self.dq.d.next = self.dq.q.val() << 1;
            }
            self.dcnt.d.next = self.dcnt.q.val() + 1;
            if self.dcnt.q.val() == 18 {
                self.n.d.next = 0.into();
                self.st.d.next = self.st_iter.val();
            }
        }
        if self.st.q.val() == self.st_iter.val() {
            if self.in_level.val() {
                self.its.d.next = self.its.q.val() + 1;
                self.n.d.next = self.n.q.val() + 1;
                self.pass_run.d.next = true;
                self.pass_it.d.next = true;
                self.q.d.next = 0.into();
                self.rq.d.next = 0.into();
                self.acc0.d.next = 0.into();
                self.acc1.d.next = 0.into();
                self.acc2.d.next = 0.into();
                self.st.d.next = self.st_iter_wait.val();
            } else {
                self.outcome.d.next = 2.into();
                self.st.d.next = self.st_level_end.val();
            }
        }
        if self.st.q.val() == self.st_iter_wait.val() {
            if self.pass_end.q.val() {
                self.st.d.next = self.st_bshift.val();
            }
        }
        if self.st.q.val() == self.st_bshift.val() {
            self.bx_m.d.next = self.bmx.val().get_bits::<26>(0);
            self.bx_n.d.next = self.bshx.val().get_bit(35);
            self.by_m.d.next = self.bmy.val().get_bits::<26>(0);
            self.by_n.d.next = self.bshy.val().get_bit(35);
            self.acc.d.next = 0.into();
            self.job.d.next = 7.into();
            self.mi.d.next = 0.into();
            self.mj.d.next = false;
            self.st.d.next = self.st_run.val();
        }
        if self.st.q.val() == self.st_nx_done.val() {
            self.acc.d.next = 0.into();
            self.st.d.next = self.st_run.val();
        }
        if self.st.q.val() == self.st_ny_done.val() {
            self.acc.d.next = self.preload.val();
            self.st.d.next = self.st_run.val();
        }
        if self.st.q.val() == self.st_sx_done.val() {
            self.acc.d.next = self.preload.val();
            self.st.d.next = self.st_run.val();
        }
        if self.st.q.val() == self.st_sy_done.val() {
            // The step's registers take acc this cycle.
            self.st.d.next = self.st_sy_step.val();
        }
        if self.st.q.val() == self.st_sy_step.val() {
            self.px.d.next = self.px.q.val() + self.dx.q.val();
            self.py.d.next = self.py.q.val() + self.dstep.val();
            if self.conv.val() | (self.n.q.val() == self.iterations.val()) {
                self.st.d.next = self.st_final.val();
            } else {
                self.st.d.next = self.st_iter.val();
            }
        }
        if self.st.q.val() == self.st_final.val() {
            self.outcome.d.next = 0.into();
            if !self.in_level.val() {
                self.outcome.d.next = 2.into();
            }
            self.st.d.next = self.st_level_end.val();
        }
        if self.st.q.val() == self.st_level_end.val() {
            if self.lvl.q.val() == 0 {
                self.o_x.d.next = self.px.q.val();
                self.o_y.d.next = self.py.q.val();
                self.o_status.d.next = self.outcome.q.val();
                self.o_iters.d.next = self.its.q.val();
                self.out_full.d.next = true;
                self.st.d.next = self.st_idle.val();
            } else {
                self.gx.d.next = (self.px.q.val() - self.ax.q.val()) << 1;
                self.gy.d.next = (self.py.q.val() - self.ay.q.val()) << 1;
                self.lvl.d.next = self.lvl.q.val() - 1;
                self.st.d.next = self.st_level.val();
            }
        }
    }
}
