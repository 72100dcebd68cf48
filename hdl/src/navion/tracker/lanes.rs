//! The window pass's lanes (see the parent module): a column lane interpolates one column of
//! the window, horizontally then vertically, and keeps its last three rows; a window lane
//! turns three rows of three columns into I (or J) and the Scharr derivatives, keeps the
//! patch row in its RAM and forms the products of the sums.

#![allow(unused_parens)]

use crate::widgets::{Reg, Sram};
use rust_hdl::prelude::*;

/// One column of the bilinear interpolation: `H = 256 p + fx (pn - p)` of a pixel row, then
/// `E = 256 H(r-1) + fy (H(r) - H(r-1))`; `ea` is the newest E row, `ec` the oldest of three.
#[derive(LogicBlock, Default)]
pub struct ColLane {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    /// This column's pixel and the next column's, of the row in the pixel stage.
    pub p: Signal<In, Bits<8>>,
    pub pn: Signal<In, Bits<8>>,
    pub fx: Signal<In, Bits<8>>,
    pub fy: Signal<In, Bits<8>>,
    /// Take the pixel row's H; take an E row.
    pub ld_h: Signal<In, Bit>,
    pub ld_e: Signal<In, Bit>,
    pub ea_o: Signal<Out, Bits<24>>,
    pub eb_o: Signal<Out, Bits<24>>,
    pub ec_o: Signal<Out, Bits<24>>,
    h: Reg<Bits<16>>,
    hp: Reg<Bits<16>>,
    ea: Reg<Bits<24>>,
    eb: Reg<Bits<24>>,
    ec: Reg<Bits<24>>,
    hd: Signal<Local, Bits<8>>,
    hprod: Signal<Local, Bits<32>>,
    unused_hprod: Signal<Local, Bits<32>>,
    ed: Signal<Local, Bits<16>>,
    eprod: Signal<Local, Bits<32>>,
    unused_eprod: Signal<Local, Bits<32>>,
}

impl Logic for ColLane {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clk, h, hp, ea, eb, ec);
        self.h.rst.next = self.rst.val();
        self.hp.rst.next = self.rst.val();
        self.ea.rst.next = self.rst.val();
        self.eb.rst.next = self.rst.val();
        self.ec.rst.next = self.rst.val();
        self.ea_o.next = self.ea.q.val();
        self.eb_o.next = self.eb.q.val();
        self.ec_o.next = self.ec.q.val();
        self.hd.next = self.pn.val() - self.p.val();
        if self.pn.val() < self.p.val() {
            self.hd.next = self.p.val() - self.pn.val();
        }
        self.hprod.next = bit_cast::<16, 8>(self.fx.val()) * bit_cast::<16, 8>(self.hd.val());
        self.unused_hprod.next = self.hprod.val();
        if self.ld_h.val() {
            self.hp.d.next = self.h.q.val();
            self.h.d.next = (bit_cast::<16, 8>(self.p.val()) << 8) + self.hprod.val().get_bits::<16>(0);
            if self.pn.val() < self.p.val() {
                self.h.d.next = (bit_cast::<16, 8>(self.p.val()) << 8) - self.hprod.val().get_bits::<16>(0);
            }
        }
        self.ed.next = self.h.q.val() - self.hp.q.val();
        if self.h.q.val() < self.hp.q.val() {
            self.ed.next = self.hp.q.val() - self.h.q.val();
        }
        self.eprod.next = bit_cast::<16, 8>(self.fy.val()) * self.ed.val();
        self.unused_eprod.next = self.eprod.val();
        if self.ld_e.val() {
            self.ec.d.next = self.eb.q.val();
            self.eb.d.next = self.ea.q.val();
            self.ea.d.next = (bit_cast::<24, 16>(self.hp.q.val()) << 8) + self.eprod.val().get_bits::<24>(0);
            if self.h.q.val() < self.hp.q.val() {
                self.ea.d.next = (bit_cast::<24, 16>(self.hp.q.val()) << 8) - self.eprod.val().get_bits::<24>(0);
            }
        }
    }
}

/// One window column: from the E rows of its column and its two neighbours, `I =
/// round_shift(E, 11)` and Scharr x, y rounded by 16 bits (S5); the patch RAM (written in the
/// A pass, read a clock ahead in the B passes); the products (S6), signed, 32-bit two's
/// complement: A pass Ix², Ix Iy, Iy²; B pass (J - I) Ix, (J - I) Iy, 0. A lane of an outer
/// column (`wcol`, the window's column weight 1/2, fixed when the unit is built) halves the
/// products' magnitudes (truncated) before signing them.
#[derive(LogicBlock)]
pub struct WinLane {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    /// E rows (a newest = bottom, b centre, c top) of the left, centre and right columns.
    pub la: Signal<In, Bits<24>>,
    pub lb: Signal<In, Bits<24>>,
    pub lc: Signal<In, Bits<24>>,
    pub ca: Signal<In, Bits<24>>,
    pub cb: Signal<In, Bits<24>>,
    pub cc: Signal<In, Bits<24>>,
    pub ra: Signal<In, Bits<24>>,
    pub rb: Signal<In, Bits<24>>,
    pub rc: Signal<In, Bits<24>>,
    /// Take a window row (S5); take its products (S6); a B pass.
    pub ld5: Signal<In, Bit>,
    pub ld6: Signal<In, Bit>,
    pub it: Signal<In, Bit>,
    pub waddr: Signal<In, Bits<4>>,
    pub we: Signal<In, Bit>,
    pub raddr: Signal<In, Bits<4>>,
    pub re: Signal<In, Bit>,
    pub sa: Signal<Out, Bits<32>>,
    pub sb: Signal<Out, Bits<32>>,
    pub sc: Signal<Out, Bits<32>>,
    /// This lane's column is outside the window's inner square: weight 1/2.
    pub(super) wcol: Constant<Bit>,
    patch: Sram<Bits<39>, 4, 16>,
    i5: Reg<Bits<13>>,
    ix5: Reg<Bits<13>>,
    iy5: Reg<Bits<13>>,
    m6a: Reg<Bits<32>>,
    m6b: Reg<Bits<32>>,
    m6c: Reg<Bits<32>>,
    ival: Signal<Local, Bits<25>>,
    unused_ival: Signal<Local, Bits<25>>,
    sx_o: Signal<Local, Bits<30>>,
    sx_c: Signal<Local, Bits<30>>,
    sy_o: Signal<Local, Bits<30>>,
    sy_c: Signal<Local, Bits<30>>,
    sxs: Signal<Local, Bits<30>>,
    sys: Signal<Local, Bits<30>>,
    unused_sxs: Signal<Local, Bits<30>>,
    unused_sys: Signal<Local, Bits<30>>,
    pa_i: Signal<Local, Bits<13>>,
    pa_x: Signal<Local, Bits<13>>,
    pa_y: Signal<Local, Bits<13>>,
    dd: Signal<Local, Bits<14>>,
    dneg: Signal<Local, Bits<14>>,
    unused_d: Signal<Local, Bits<14>>,
    am: Signal<Local, Bits<13>>,
    xm: Signal<Local, Bits<13>>,
    ym: Signal<Local, Bits<13>>,
    ma: Signal<Local, Bits<32>>,
    mb: Signal<Local, Bits<32>>,
    mc: Signal<Local, Bits<32>>,
    mwa: Signal<Local, Bits<32>>,
    mwb: Signal<Local, Bits<32>>,
    mwc: Signal<Local, Bits<32>>,
    one13: Constant<Bits<13>>,
    one14: Constant<Bits<14>>,
    one32: Constant<Bits<32>>,
    half11: Constant<Bits<25>>,
    half16: Constant<Bits<30>>,
}

impl Default for WinLane {
    fn default() -> Self {
        WinLane {
            clk: Default::default(),
            rst: Default::default(),
            la: Default::default(),
            lb: Default::default(),
            lc: Default::default(),
            ca: Default::default(),
            cb: Default::default(),
            cc: Default::default(),
            ra: Default::default(),
            rb: Default::default(),
            rc: Default::default(),
            ld5: Default::default(),
            ld6: Default::default(),
            it: Default::default(),
            waddr: Default::default(),
            we: Default::default(),
            raddr: Default::default(),
            re: Default::default(),
            sa: Default::default(),
            sb: Default::default(),
            sc: Default::default(),
            wcol: Constant::new(false),
            patch: Default::default(),
            i5: Default::default(),
            ix5: Default::default(),
            iy5: Default::default(),
            m6a: Default::default(),
            m6b: Default::default(),
            m6c: Default::default(),
            ival: Default::default(),
            unused_ival: Default::default(),
            sx_o: Default::default(),
            sx_c: Default::default(),
            sy_o: Default::default(),
            sy_c: Default::default(),
            sxs: Default::default(),
            sys: Default::default(),
            unused_sxs: Default::default(),
            unused_sys: Default::default(),
            pa_i: Default::default(),
            pa_x: Default::default(),
            pa_y: Default::default(),
            dd: Default::default(),
            dneg: Default::default(),
            unused_d: Default::default(),
            am: Default::default(),
            xm: Default::default(),
            ym: Default::default(),
            ma: Default::default(),
            mb: Default::default(),
            mc: Default::default(),
            mwa: Default::default(),
            mwb: Default::default(),
            mwc: Default::default(),
            one13: Constant::new(bits(1)),
            one14: Constant::new(bits(1)),
            one32: Constant::new(bits(1)),
            half11: Constant::new(bits(1 << 10)),
            half16: Constant::new(bits(1 << 15)),
        }
    }
}

impl Logic for WinLane {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clk, i5, ix5, iy5, m6a, m6b, m6c);
        self.i5.rst.next = self.rst.val();
        self.ix5.rst.next = self.rst.val();
        self.iy5.rst.next = self.rst.val();
        self.m6a.rst.next = self.rst.val();
        self.m6b.rst.next = self.rst.val();
        self.m6c.rst.next = self.rst.val();
        self.patch.clk.next = self.clk.val();
        self.sa.next = self.m6a.q.val();
        self.sb.next = self.m6b.q.val();
        self.sc.next = self.m6c.q.val();

        // S4 -> S5: I (J), Scharr x = 3 (right - left) top and bottom + 10 centre, Scharr y
        // = 3 (bottom - top) left and right + 10 centre.
        self.ival.next = bit_cast::<25, 24>(self.cb.val()) + self.half11.val();
        self.unused_ival.next = self.ival.val();
        self.sx_o.next = (bit_cast::<30, 24>(self.rc.val()) - bit_cast::<30, 24>(self.lc.val()))
            + (bit_cast::<30, 24>(self.ra.val()) - bit_cast::<30, 24>(self.la.val()));
        self.sx_c.next = bit_cast::<30, 24>(self.rb.val()) - bit_cast::<30, 24>(self.lb.val());
        self.sy_o.next = (bit_cast::<30, 24>(self.la.val()) - bit_cast::<30, 24>(self.lc.val()))
            + (bit_cast::<30, 24>(self.ra.val()) - bit_cast::<30, 24>(self.rc.val()));
        self.sy_c.next = bit_cast::<30, 24>(self.ca.val()) - bit_cast::<30, 24>(self.cc.val());
        self.sxs.next =
            self.sx_o.val() + (self.sx_o.val() << 1) + (self.sx_c.val() << 3) + (self.sx_c.val() << 1) + self.half16.val();
        self.sys.next =
            self.sy_o.val() + (self.sy_o.val() << 1) + (self.sy_c.val() << 3) + (self.sy_c.val() << 1) + self.half16.val();
        self.unused_sxs.next = self.sxs.val();
        self.unused_sys.next = self.sys.val();
        if self.ld5.val() {
            self.i5.d.next = self.ival.val().get_bits::<13>(11);
            self.ix5.d.next = self.sxs.val().get_bits::<13>(16);
            self.iy5.d.next = self.sys.val().get_bits::<13>(16);
        }

        // The patch row.
        self.patch.waddr.next = self.waddr.val();
        self.patch.wdata.next = bit_cast::<39, 13>(self.i5.q.val())
            | (bit_cast::<39, 13>(self.ix5.q.val()) << 13)
            | (bit_cast::<39, 13>(self.iy5.q.val()) << 26);
        self.patch.we.next = self.we.val();
        self.patch.raddr.next = self.raddr.val();
        self.patch.re.next = self.re.val();

        // S5 -> S6: products of magnitudes, then signed.
        self.pa_i.next = self.patch.rdata.val().get_bits::<13>(0);
        self.pa_x.next = self.patch.rdata.val().get_bits::<13>(13);
        self.pa_y.next = self.patch.rdata.val().get_bits::<13>(26);
        if !self.it.val() {
            self.pa_x.next = self.ix5.q.val();
            self.pa_y.next = self.iy5.q.val();
        }
        self.xm.next = self.pa_x.val();
        if self.pa_x.val().get_bit(12) {
            self.xm.next = (!self.pa_x.val()) + self.one13.val();
        }
        self.ym.next = self.pa_y.val();
        if self.pa_y.val().get_bit(12) {
            self.ym.next = (!self.pa_y.val()) + self.one13.val();
        }
        self.dd.next = bit_cast::<14, 13>(self.i5.q.val()) - bit_cast::<14, 13>(self.pa_i.val());
        self.dneg.next = (!self.dd.val()) + self.one14.val();
        self.unused_d.next = self.dd.val() ^ self.dneg.val();
        self.am.next = self.dd.val().get_bits::<13>(0);
        if self.dd.val().get_bit(13) {
            self.am.next = self.dneg.val().get_bits::<13>(0);
        }
        if !self.it.val() {
            self.am.next = self.xm.val();
        }
        self.ma.next = bit_cast::<16, 13>(self.am.val()) * bit_cast::<16, 13>(self.xm.val());
        self.mb.next = bit_cast::<16, 13>(self.am.val()) * bit_cast::<16, 13>(self.ym.val());
        self.mc.next = bit_cast::<16, 13>(self.ym.val()) * bit_cast::<16, 13>(self.ym.val());
        // The column's weight: an outer column's magnitudes halved (a constant: wiring).
        self.mwa.next = self.ma.val();
        self.mwb.next = self.mb.val();
        self.mwc.next = self.mc.val();
        if self.wcol.val() {
            self.mwa.next = self.ma.val() >> 1;
            self.mwb.next = self.mb.val() >> 1;
            self.mwc.next = self.mc.val() >> 1;
        }
        if self.ld6.val() {
            self.m6a.d.next = self.mwa.val();
            self.m6b.d.next = self.mwb.val();
            self.m6c.d.next = self.mwc.val();
            if self.it.val() {
                self.m6c.d.next = 0.into();
                if self.dd.val().get_bit(13) ^ self.pa_x.val().get_bit(12) {
                    self.m6a.d.next = (!self.mwa.val()) + self.one32.val();
                }
                if self.dd.val().get_bit(13) ^ self.pa_y.val().get_bit(12) {
                    self.m6b.d.next = (!self.mwb.val()) + self.one32.val();
                }
            } else if self.pa_x.val().get_bit(12) ^ self.pa_y.val().get_bit(12) {
                self.m6b.d.next = (!self.mwb.val()) + self.one32.val();
            }
        }
    }
}
