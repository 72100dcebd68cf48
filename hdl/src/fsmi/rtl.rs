//! The FSMI unit's rust-hdl description (see the parent module for its behaviour).
//!
//! Two blocks: [`MiCore`] walks one beam (traversal, its request to the banks, the MI
//! pipeline with its tables and accumulator) and [`Fsmi`] holds the banks, the arbiter, the
//! load port, the pose state machine and the counters. Generic over the shape: `C` cores
//! (`LC` = log2 C), `NB` banks (`BB` = log2 NB), maps up to 2^`M` x 2^`M` cells (`XB` = M + 1
//! bits a coordinate, so that stepping off either edge is an unsigned compare), `AB` = 2M - BB
//! bits of a bank address (`DEPTH` = 2^AB words), `BTB` bits of a core's beam-table index
//! (`BTD` = 2^BTB beams a core).

use crate::widgets::{Reg, Sram};
use crate::RtlSim;
use rust_hdl::prelude::*;

/// One MI core: the traversal of its beam and the MI of the cells it reads.
#[derive(LogicBlock)]
pub struct MiCore<const XB: usize, const BB: usize, const AB: usize, const BTB: usize, const BTD: usize> {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    /// Table load: entry `tbl_waddr` (a code) = {f_emp, f_occ, occ}, 16 bits each.
    pub tbl_we: Signal<In, Bit>,
    pub tbl_waddr: Signal<In, Bits<8>>,
    pub tbl_wdata: Signal<In, Bits<48>>,
    /// Beam-table load: entry `bt_waddr` of the x (`bx_we`) or y (`by_we`) table =
    /// {negative step, delta U12.20}.
    pub bx_we: Signal<In, Bit>,
    pub by_we: Signal<In, Bit>,
    pub bt_waddr: Signal<In, Bits<BTB>>,
    pub bt_wdata: Signal<In, Bits<33>>,
    /// Read beam-table entry `bt_raddr` (the next round's beam); `init` on the next cycle.
    pub bt_re: Signal<In, Bit>,
    pub bt_raddr: Signal<In, Bits<BTB>>,
    /// Start the beam read last cycle from the pose; `beam_ok`: the beam exists (< B).
    pub init: Signal<In, Bit>,
    pub beam_ok: Signal<In, Bit>,
    /// The pose's cell and its bank.
    pub pose_x: Signal<In, Bits<XB>>,
    pub pose_y: Signal<In, Bits<XB>>,
    pub pose_bank: Signal<In, Bits<BB>>,
    /// Map size (cells), range (U12.20), the bank step of a row (skew), the product's shift.
    pub map_w: Signal<In, Bits<XB>>,
    pub map_h: Signal<In, Bits<XB>>,
    pub range: Signal<In, Bits<32>>,
    pub skew: Signal<In, Bits<BB>>,
    pub shift: Signal<In, Bits<6>>,
    /// The arbiter serves this core's request this cycle; every request of the step is served.
    pub grant: Signal<In, Bit>,
    pub step_done: Signal<In, Bit>,
    /// The code read for this core (the output register of the bank `gbank` names, three
    /// cycles after the grant).
    pub code: Signal<In, Bits<8>>,
    /// Clear the accumulator (a new pose); shift `acc_in` into it (the sum at the pose's end).
    pub clear: Signal<In, Bit>,
    pub sum_shift: Signal<In, Bit>,
    pub acc_in: Signal<In, Bits<64>>,
    /// A cell to read this step, not yet served: its bank and address in the bank.
    pub req: Signal<Out, Bit>,
    pub bank: Signal<Out, Bits<BB>>,
    pub addr: Signal<Out, Bits<AB>>,
    /// The beam has not ended.
    pub live: Signal<Out, Bit>,
    /// The cell this core moves to at the step's end (its bank and address) and whether it
    /// will ask for it (`nact`: the beam goes on); the arbiter registers their pairwise
    /// comparisons for the next step.
    pub nbank: Signal<Out, Bits<BB>>,
    pub naddr: Signal<Out, Bits<AB>>,
    pub nact: Signal<Out, Bit>,
    /// The bank of the grant three cycles ago (its output register holds this core's code now).
    pub gbank: Signal<Out, Bits<BB>>,
    /// The MI pipeline holds a cell.
    pub busy: Signal<Out, Bit>,
    /// The MI of the cells read since `clear`, U.32 nats.
    pub acc: Signal<Out, Bits<64>>,

    tables: Sram<Bits<48>, 8, 256>,
    beam_x: Sram<Bits<33>, BTB, BTD>,
    beam_y: Sram<Bits<33>, BTB, BTD>,
    // Traversal: the current cell (the start cell after `init`), boundary distances, bank.
    x: Reg<Bits<XB>>,
    y: Reg<Bits<XB>>,
    tx: Reg<Bits<32>>,
    ty: Reg<Bits<32>>,
    bk: Reg<Bits<BB>>,
    live_q: Reg<Bit>,
    cand_q: Reg<Bit>,
    granted_q: Reg<Bit>,
    first_q: Reg<Bit>,
    // The bank side's two stages, tracked here (`va`: the grant's address is in its bank's
    // address register, `vd`: the code is in its bank's output register; `g*`: that bank).
    va: Reg<Bit>,
    fa: Reg<Bit>,
    ga: Reg<Bits<BB>>,
    vd: Reg<Bit>,
    fd: Reg<Bit>,
    gd: Reg<Bits<BB>>,
    // MI pipeline (`v<k>`: stage k holds a cell, `f<k>`: a beam's first): 1 the code in,
    // 2 its table entry read, 3 the entry out, 4 V and S, 5 P, 6 partial products, 7 their
    // sum, 8 the term, 9 the accumulator.
    v1: Reg<Bit>,
    f1: Reg<Bit>,
    gbank_q: Reg<Bits<BB>>,
    code_q: Reg<Bits<8>>,
    v2: Reg<Bit>,
    f2: Reg<Bit>,
    v3: Reg<Bit>,
    f3: Reg<Bit>,
    occn_q: Reg<Bits<16>>,
    fo_q: Reg<Bits<16>>,
    fe_q: Reg<Bits<16>>,
    v4: Reg<Bit>,
    f4: Reg<Bit>,
    vis: Reg<Bits<24>>,
    vold: Reg<Bits<24>>,
    s: Reg<Bits<32>>,
    c5: Reg<Bits<32>>,
    v5: Reg<Bit>,
    p6: Reg<Bits<24>>,
    c6: Reg<Bits<32>>,
    v6: Reg<Bit>,
    pp0: Reg<Bits<32>>,
    pp1: Reg<Bits<32>>,
    pp2: Reg<Bits<32>>,
    pp3: Reg<Bits<32>>,
    v7: Reg<Bit>,
    sum_q: Reg<Bits<64>>,
    v8: Reg<Bit>,
    term: Reg<Bits<64>>,
    v9: Reg<Bit>,
    acc_q: Reg<Bits<64>>,
    // Combinational.
    dx: Signal<Local, Bits<32>>,
    dy: Signal<Local, Bits<32>>,
    xl: Signal<Local, Bit>,
    nx: Signal<Local, Bits<XB>>,
    ny: Signal<Local, Bits<XB>>,
    alive: Signal<Local, Bit>,
    tx_in: Signal<Local, Bit>,
    ty_in: Signal<Local, Bit>,
    nbk: Signal<Local, Bits<BB>>,
    nya: Signal<Local, Bits<AB>>,
    nxa: Signal<Local, Bits<AB>>,
    nxs: Signal<Local, Bits<XB>>,
    ya: Signal<Local, Bits<AB>>,
    xa: Signal<Local, Bits<AB>>,
    xs: Signal<Local, Bits<XB>>,
    vl: Signal<Local, Bits<16>>,
    vh: Signal<Local, Bits<8>>,
    vh16: Signal<Local, Bits<16>>,
    m_rh: Signal<Local, Bits<16>>,
    m_rh24: Signal<Local, Bits<24>>,
    m_hi24: Signal<Local, Bits<24>>,
    pl: Signal<Local, Bits<16>>,
    ph: Signal<Local, Bits<8>>,
    ph16: Signal<Local, Bits<16>>,
    cl: Signal<Local, Bits<16>>,
    ch: Signal<Local, Bits<16>>,
    tbl_occn: Signal<Local, Bits<16>>,
    vin: Signal<Local, Bits<24>>,
    sin: Signal<Local, Bits<32>>,
    m_lo: Signal<Local, Bits<32>>,
    m_hi: Signal<Local, Bits<32>>,
    m_rnd: Signal<Local, Bits<32>>,
    unused_m_hi: Signal<Local, Bits<32>>,
    unused_m_rnd: Signal<Local, Bits<32>>,
    vnext: Signal<Local, Bits<24>>,
    lb: Constant<Bits<8>>,
    bb: Constant<Bits<8>>,
    round_down: Constant<Bits<32>>,
    vis_one: Constant<Bits<24>>,
    seven: Constant<Bits<8>>,
    zero16: Constant<Bits<16>>,
    f_mask: Constant<Bits<48>>,
}

impl<const XB: usize, const BB: usize, const AB: usize, const BTB: usize, const BTD: usize> MiCore<XB, BB, AB, BTB, BTD> {
    fn new() -> Self {
        // XB = M + 1 and AB = 2M - BB: the address is {y[M-1:0], x[M-1:BB]}.
        let m = XB - 1;
        assert!(AB == 2 * m - BB && BTD == 1 << BTB);
        Self {
            clk: Default::default(),
            rst: Default::default(),
            tbl_we: Default::default(),
            tbl_waddr: Default::default(),
            tbl_wdata: Default::default(),
            bx_we: Default::default(),
            by_we: Default::default(),
            bt_waddr: Default::default(),
            bt_wdata: Default::default(),
            bt_re: Default::default(),
            bt_raddr: Default::default(),
            init: Default::default(),
            beam_ok: Default::default(),
            pose_x: Default::default(),
            pose_y: Default::default(),
            pose_bank: Default::default(),
            map_w: Default::default(),
            map_h: Default::default(),
            range: Default::default(),
            skew: Default::default(),
            shift: Default::default(),
            grant: Default::default(),
            step_done: Default::default(),
            code: Default::default(),
            clear: Default::default(),
            sum_shift: Default::default(),
            acc_in: Default::default(),
            req: Default::default(),
            bank: Default::default(),
            addr: Default::default(),
            live: Default::default(),
            nbank: Default::default(),
            naddr: Default::default(),
            nact: Default::default(),
            gbank: Default::default(),
            busy: Default::default(),
            acc: Default::default(),
            tables: Default::default(),
            beam_x: Default::default(),
            beam_y: Default::default(),
            x: Default::default(),
            y: Default::default(),
            tx: Default::default(),
            ty: Default::default(),
            bk: Default::default(),
            live_q: Default::default(),
            cand_q: Default::default(),
            granted_q: Default::default(),
            first_q: Default::default(),
            va: Default::default(),
            fa: Default::default(),
            ga: Default::default(),
            vd: Default::default(),
            fd: Default::default(),
            gd: Default::default(),
            v1: Default::default(),
            f1: Default::default(),
            gbank_q: Default::default(),
            code_q: Default::default(),
            v2: Default::default(),
            f2: Default::default(),
            v3: Default::default(),
            f3: Default::default(),
            occn_q: Default::default(),
            fo_q: Default::default(),
            fe_q: Default::default(),
            v4: Default::default(),
            f4: Default::default(),
            vis: Default::default(),
            vold: Default::default(),
            s: Default::default(),
            c5: Default::default(),
            v5: Default::default(),
            p6: Default::default(),
            c6: Default::default(),
            v6: Default::default(),
            pp0: Default::default(),
            pp1: Default::default(),
            pp2: Default::default(),
            pp3: Default::default(),
            v7: Default::default(),
            sum_q: Default::default(),
            v8: Default::default(),
            term: Default::default(),
            v9: Default::default(),
            acc_q: Default::default(),
            dx: Default::default(),
            dy: Default::default(),
            xl: Default::default(),
            nx: Default::default(),
            ny: Default::default(),
            alive: Default::default(),
            tx_in: Default::default(),
            ty_in: Default::default(),
            nbk: Default::default(),
            nya: Default::default(),
            nxa: Default::default(),
            nxs: Default::default(),
            ya: Default::default(),
            xa: Default::default(),
            xs: Default::default(),
            vl: Default::default(),
            vh: Default::default(),
            vh16: Default::default(),
            m_rh: Default::default(),
            m_rh24: Default::default(),
            m_hi24: Default::default(),
            pl: Default::default(),
            ph: Default::default(),
            ph16: Default::default(),
            cl: Default::default(),
            ch: Default::default(),
            tbl_occn: Default::default(),
            vin: Default::default(),
            sin: Default::default(),
            m_lo: Default::default(),
            m_hi: Default::default(),
            m_rnd: Default::default(),
            unused_m_hi: Default::default(),
            unused_m_rnd: Default::default(),
            vnext: Default::default(),
            lb: Constant::new(bits((m - BB) as u64)),
            bb: Constant::new(bits(BB as u64)),
            round_down: Constant::new(bits((1 << 15) - 1)),
            vis_one: Constant::new(bits(1 << 23)),
            seven: Constant::new(bits(7)),
            zero16: Constant::new(bits(0)),
            f_mask: Constant::new(bits(0xffff_ffff_0000)),
        }
    }
}

impl<const XB: usize, const BB: usize, const AB: usize, const BTB: usize, const BTD: usize> Logic for MiCore<XB, BB, AB, BTB, BTD> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clk, x, y, tx, ty, bk, live_q, cand_q, granted_q, first_q, va, fa, ga, vd, fd, gd, v1, f1, gbank_q,
            code_q, v2, f2, v3, f3, occn_q, fo_q, fe_q, v4, f4, vis, vold, s, c5, v5, p6, c6, v6, pp0, pp1, pp2, pp3, v7,
            sum_q, v8, term, v9, acc_q
        );
        self.x.rst.next = self.rst.val();
        self.y.rst.next = self.rst.val();
        self.tx.rst.next = self.rst.val();
        self.ty.rst.next = self.rst.val();
        self.bk.rst.next = self.rst.val();
        self.live_q.rst.next = self.rst.val();
        self.cand_q.rst.next = self.rst.val();
        self.granted_q.rst.next = self.rst.val();
        self.first_q.rst.next = self.rst.val();
        self.va.rst.next = self.rst.val();
        self.fa.rst.next = self.rst.val();
        self.ga.rst.next = self.rst.val();
        self.vd.rst.next = self.rst.val();
        self.fd.rst.next = self.rst.val();
        self.gd.rst.next = self.rst.val();
        self.v1.rst.next = self.rst.val();
        self.f1.rst.next = self.rst.val();
        self.gbank_q.rst.next = self.rst.val();
        self.code_q.rst.next = self.rst.val();
        self.v2.rst.next = self.rst.val();
        self.f2.rst.next = self.rst.val();
        self.v3.rst.next = self.rst.val();
        self.f3.rst.next = self.rst.val();
        self.occn_q.rst.next = self.rst.val();
        self.fo_q.rst.next = self.rst.val();
        self.fe_q.rst.next = self.rst.val();
        self.v4.rst.next = self.rst.val();
        self.f4.rst.next = self.rst.val();
        self.vis.rst.next = self.rst.val();
        self.vold.rst.next = self.rst.val();
        self.s.rst.next = self.rst.val();
        self.c5.rst.next = self.rst.val();
        self.v5.rst.next = self.rst.val();
        self.p6.rst.next = self.rst.val();
        self.c6.rst.next = self.rst.val();
        self.v6.rst.next = self.rst.val();
        self.pp0.rst.next = self.rst.val();
        self.pp1.rst.next = self.rst.val();
        self.pp2.rst.next = self.rst.val();
        self.pp3.rst.next = self.rst.val();
        self.v7.rst.next = self.rst.val();
        self.sum_q.rst.next = self.rst.val();
        self.v8.rst.next = self.rst.val();
        self.term.rst.next = self.rst.val();
        self.v9.rst.next = self.rst.val();
        self.acc_q.rst.next = self.rst.val();
        self.tables.clk.next = self.clk.val();
        self.beam_x.clk.next = self.clk.val();
        self.beam_y.clk.next = self.clk.val();

        // Tables and beam tables: written through the load port, read by the pipeline and at
        // each round's start.
        self.tables.we.next = self.tbl_we.val();
        self.tables.waddr.next = self.tbl_waddr.val();
        // The table keeps occn = 2^16 - occ (occ is 257..=65279 for the codes 1..=254), the
        // factor of V' in stage 4.
        self.tbl_occn.next = self.zero16.val() - self.tbl_wdata.val().get_bits::<16>(0);
        self.tables.wdata.next = (self.tbl_wdata.val() & self.f_mask.val()) | bit_cast::<48, 16>(self.tbl_occn.val());
        self.beam_x.we.next = self.bx_we.val();
        self.beam_y.we.next = self.by_we.val();
        self.beam_x.waddr.next = self.bt_waddr.val();
        self.beam_y.waddr.next = self.bt_waddr.val();
        self.beam_x.wdata.next = self.bt_wdata.val();
        self.beam_y.wdata.next = self.bt_wdata.val();
        self.beam_x.re.next = self.bt_re.val();
        self.beam_y.re.next = self.bt_re.val();
        self.beam_x.raddr.next = self.bt_raddr.val();
        self.beam_y.raddr.next = self.bt_raddr.val();
        self.dx.next = self.beam_x.rdata.val().get_bits::<32>(0);
        self.dy.next = self.beam_y.rdata.val().get_bits::<32>(0);

        // The next cell (Amanatides-Woo): step in x when t_x < t_y, else in y. The beam ends
        // when the step starts at t >= range or leaves the map (x - 1 at 0 wraps to 2^XB - 1,
        // which is >= W like x + 1 at W - 1).
        self.xl.next = self.tx.q.val() < self.ty.q.val();
        self.nx.next = self.x.q.val();
        self.ny.next = self.y.q.val();
        if self.xl.val() {
            if self.beam_x.rdata.val().get_bit(32) {
                self.nx.next = self.x.q.val() - 1;
            } else {
                self.nx.next = self.x.q.val() + 1;
            }
        } else if self.beam_y.rdata.val().get_bit(32) {
            self.ny.next = self.y.q.val() - 1;
        } else {
            self.ny.next = self.y.q.val() + 1;
        }
        // Both range compares in parallel, the step's direction picks one (t is t_x or t_y).
        self.tx_in.next = self.tx.q.val() < self.range.val();
        self.ty_in.next = self.ty.q.val() < self.range.val();
        self.alive.next = self.ty_in.val() & (self.nx.val() < self.map_w.val()) & (self.ny.val() < self.map_h.val());
        if self.xl.val() {
            self.alive.next = self.tx_in.val() & (self.nx.val() < self.map_w.val()) & (self.ny.val() < self.map_h.val());
        }
        // The next cell's bank: a step in x moves one bank, a step in y `skew` banks.
        if self.xl.val() {
            if self.beam_x.rdata.val().get_bit(32) {
                self.nbk.next = self.bk.q.val() - 1;
            } else {
                self.nbk.next = self.bk.q.val() + 1;
            }
        } else if self.beam_y.rdata.val().get_bit(32) {
            self.nbk.next = self.bk.q.val() - self.skew.val();
        } else {
            self.nbk.next = self.bk.q.val() + self.skew.val();
        }
        self.nya.next = bit_cast::<AB, XB>(self.ny.val()) << self.lb.val();
        self.nxs.next = self.nx.val() >> self.bb.val();
        self.nxa.next = bit_cast::<AB, XB>(self.nxs.val());
        self.nbank.next = self.nbk.val();
        self.naddr.next = self.nya.val() | self.nxa.val();
        self.nact.next = self.live_q.q.val() & self.alive.val();

        // The current cell's bank and its address in the bank, {y[M-1:0], x[M-1:BB]}.
        self.ya.next = bit_cast::<AB, XB>(self.y.q.val()) << self.lb.val();
        self.xs.next = self.x.q.val() >> self.bb.val();
        self.xa.next = bit_cast::<AB, XB>(self.xs.val());
        self.addr.next = self.ya.val() | self.xa.val();
        self.bank.next = self.bk.q.val();
        self.req.next = self.live_q.q.val() & self.cand_q.q.val() & !self.granted_q.q.val();
        self.live.next = self.live_q.q.val();

        if self.grant.val() {
            self.granted_q.d.next = true;
            self.first_q.d.next = false;
        }
        if self.init.val() {
            self.x.d.next = self.pose_x.val();
            self.y.d.next = self.pose_y.val();
            self.bk.d.next = self.pose_bank.val();
            self.tx.d.next = self.dx.val() >> 1;
            self.ty.d.next = self.dy.val() >> 1;
            self.live_q.d.next = self.beam_ok.val();
            self.cand_q.d.next = false;
            self.granted_q.d.next = false;
            self.first_q.d.next = true;
        } else if self.step_done.val() & self.live_q.q.val() {
            self.x.d.next = self.nx.val();
            self.y.d.next = self.ny.val();
            self.bk.d.next = self.nbk.val();
            if self.xl.val() {
                self.tx.d.next = self.tx.q.val() + self.dx.val();
            } else {
                self.ty.d.next = self.ty.q.val() + self.dy.val();
            }
            self.live_q.d.next = self.alive.val();
            self.cand_q.d.next = self.alive.val();
            self.granted_q.d.next = false;
        }

        // The bank side: the cycle after the grant the address is in the bank's address
        // register, the next its code is read, the next it is in the bank's output register,
        // which stage 1 selects by `gbank` (the bank of the grant three cycles ago).
        self.va.d.next = self.grant.val();
        self.fa.d.next = self.first_q.q.val();
        self.ga.d.next = self.ga.q.val();
        if self.grant.val() {
            self.ga.d.next = self.bk.q.val();
        }
        self.vd.d.next = self.va.q.val();
        self.fd.d.next = self.fa.q.val();
        self.gd.d.next = self.ga.q.val();

        // Stage 1: the code arrives (from the output register of the grant's bank); register it.
        self.v1.d.next = self.vd.q.val();
        self.f1.d.next = self.fd.q.val();
        self.gbank_q.d.next = self.gd.q.val();
        self.gbank.next = self.gbank_q.q.val();
        if self.v1.q.val() {
            self.code_q.d.next = self.code.val();
        }
        self.v2.d.next = self.v1.q.val();
        self.f2.d.next = self.f1.q.val();

        // Stage 2: read the code's table entry.
        self.tables.raddr.next = self.code_q.q.val();
        self.tables.re.next = self.v2.q.val();
        self.v3.d.next = self.v2.q.val();
        self.f3.d.next = self.f2.q.val();

        // Stage 3: the entry into registers: occn = 2^16 - occ (the table holds it), f_occ, f_emp.
        if self.v3.q.val() {
            self.occn_q.d.next = self.tables.rdata.val().get_bits::<16>(0);
            self.fo_q.d.next = self.tables.rdata.val().get_bits::<16>(16);
            self.fe_q.d.next = self.tables.rdata.val().get_bits::<16>(32);
        }
        self.v4.d.next = self.v3.q.val();
        self.f4.d.next = self.f3.q.val();

        // Stage 4, the one loop: V' = V - round(V occ / 2^16) = (V occn + 2^15 - 1) >> 16, as
        // two 16 x 16 products of V (the register) and occn; a beam's first cell starts from
        // V = 1 (2^23), whose V' is occn << 7, and S = 0. C = f_occ + S, S += f_emp.
        self.vl.next = self.vis.q.val().get_bits::<16>(0);
        self.vh.next = self.vis.q.val().get_bits::<8>(16);
        self.vh16.next = bit_cast::<16, 8>(self.vh.val());
        self.m_lo.next = self.vl.val() * self.occn_q.q.val();
        self.m_hi.next = self.vh16.val() * self.occn_q.q.val();
        self.m_rnd.next = self.m_lo.val() + self.round_down.val();
        self.unused_m_hi.next = self.m_hi.val();
        self.unused_m_rnd.next = self.m_rnd.val();
        self.m_rh.next = self.m_rnd.val().get_bits::<16>(16);
        self.m_rh24.next = bit_cast::<24, 16>(self.m_rh.val());
        self.m_hi24.next = self.m_hi.val().get_bits::<24>(0);
        self.vnext.next = self.m_hi24.val() + self.m_rh24.val();
        self.vin.next = self.vis.q.val();
        self.sin.next = self.s.q.val();
        if self.f4.q.val() {
            self.vnext.next = bit_cast::<24, 16>(self.occn_q.q.val()) << self.seven.val();
            self.vin.next = self.vis_one.val();
            self.sin.next = 0.into();
        }
        self.v5.d.next = self.v4.q.val();
        if self.v4.q.val() {
            self.vis.d.next = self.vnext.val();
            self.vold.d.next = self.vin.val();
            self.s.d.next = self.sin.val() + bit_cast::<32, 16>(self.fe_q.q.val());
            self.c5.d.next = self.sin.val() + bit_cast::<32, 16>(self.fo_q.q.val());
        }

        // Stage 5: P = V - V' (U0.23; vis holds this cell's V' while it is in stage 5).
        self.v6.d.next = self.v5.q.val();
        if self.v5.q.val() {
            self.p6.d.next = self.vold.q.val() - self.vis.q.val();
            self.c6.d.next = self.c5.q.val();
        }

        // Stage 6: P C as four 16 x 16 products (P < 2^24, C < 2^28).
        self.v7.d.next = self.v6.q.val();
        self.pl.next = self.p6.q.val().get_bits::<16>(0);
        self.ph.next = self.p6.q.val().get_bits::<8>(16);
        self.ph16.next = bit_cast::<16, 8>(self.ph.val());
        self.cl.next = self.c6.q.val().get_bits::<16>(0);
        self.ch.next = self.c6.q.val().get_bits::<16>(16);
        self.pp0.d.next = self.pl.val() * self.cl.val();
        self.pp1.d.next = self.pl.val() * self.ch.val();
        self.pp2.d.next = self.ph16.val() * self.cl.val();
        self.pp3.d.next = self.ph16.val() * self.ch.val();

        // Stage 7: P C (below 2^52).
        self.v8.d.next = self.v7.q.val();
        self.sum_q.d.next = bit_cast::<64, 32>(self.pp0.q.val())
            + ((bit_cast::<64, 32>(self.pp1.q.val()) + bit_cast::<64, 32>(self.pp2.q.val())) << 16)
            + (bit_cast::<64, 32>(self.pp3.q.val()) << 32);

        // Stage 8: the term, (P C) >> shift, U.32 nats.
        self.v9.d.next = self.v8.q.val();
        self.term.d.next = self.sum_q.q.val() >> self.shift.val();

        // Stage 9: accumulate.
        if self.v9.q.val() {
            self.acc_q.d.next = self.acc_q.q.val() + self.term.q.val();
        }
        if self.clear.val() {
            self.acc_q.d.next = 0.into();
        }
        if self.sum_shift.val() {
            self.acc_q.d.next = self.acc_in.val();
        }
        self.acc.next = self.acc_q.q.val();
        self.busy.next = self.va.q.val()
            | self.vd.q.val()
            | self.v1.q.val()
            | self.v2.q.val()
            | self.v3.q.val()
            | self.v4.q.val()
            | self.v5.q.val()
            | self.v6.q.val()
            | self.v7.q.val()
            | self.v8.q.val()
            | self.v9.q.val();
    }
}

// The pose state machine's states (literals in the description: `#[hdl_gen]` takes names
// for signals): 0 IDLE, 1 LOAD, 2 INIT, 3 RUN, 4 DRAIN, 5 SUM, 6 DONE.

/// The FSMI unit.
#[derive(LogicBlock)]
pub struct Fsmi<
    const C: usize,
    const LC: usize,
    const NB: usize,
    const BB: usize,
    const M: usize,
    const XB: usize,
    const AB: usize,
    const DEPTH: usize,
    const BTB: usize,
    const BTD: usize,
> {
    /// Clock; everything happens on its rising edge.
    pub clk: Signal<In, Clock>,
    /// Synchronous active-high reset (the map, tables and beam tables are kept).
    pub rst: Signal<In, Bit>,
    /// Load port: a word of kind `ld_kind` at `ld_addr` (see the module documentation).
    pub ld_valid: Signal<In, Bit>,
    pub ld_ready: Signal<Out, Bit>,
    pub ld_kind: Signal<In, Bits<3>>,
    pub ld_addr: Signal<In, Bits<16>>,
    pub ld_data: Signal<In, Bits<64>>,
    /// A pose: the cell (row, col).
    pub pose_valid: Signal<In, Bit>,
    pub pose_ready: Signal<Out, Bit>,
    pub pose_row: Signal<In, Bits<8>>,
    pub pose_col: Signal<In, Bits<8>>,
    /// The pose's result: MI (U.32 nats), cycles, lockstep steps, stall cycles, steps with a
    /// conflict; `res_error`: the pose was outside the map (every other field 0).
    pub res_valid: Signal<Out, Bit>,
    pub res_ready: Signal<In, Bit>,
    pub res_error: Signal<Out, Bit>,
    pub res_mi: Signal<Out, Bits<64>>,
    pub res_cycles: Signal<Out, Bits<32>>,
    pub res_steps: Signal<Out, Bits<32>>,
    pub res_stalls: Signal<Out, Bits<32>>,
    pub res_conflicts: Signal<Out, Bits<32>>,

    cores: Vec<MiCore<XB, BB, AB, BTB, BTD>>,
    banks: Vec<Sram<Bits<8>, AB, DEPTH>>,
    state: Reg<Bits<3>>,
    map_w: Reg<Bits<XB>>,
    map_h: Reg<Bits<XB>>,
    range: Reg<Bits<32>>,
    beams: Reg<Bits<16>>,
    skew: Reg<Bits<BB>>,
    shift: Reg<Bits<6>>,
    row: Reg<Bits<8>>,
    col: Reg<Bits<8>>,
    pose_bank: Reg<Bits<BB>>,
    round: Reg<Bits<16>>,
    sum_left: Reg<Bits<8>>,
    total: Reg<Bits<64>>,
    n_cycles: Reg<Bits<32>>,
    n_steps: Reg<Bits<32>>,
    n_stalls: Reg<Bits<32>>,
    n_conf: Reg<Bits<32>>,
    stalled: Reg<Bit>,
    error: Reg<Bit>,
    /// The arbiter's pairwise state of a step, registered at the previous step's end: bit d
    /// of `lose[c]` is set when core d's cell is in core c's bank but another cell, and d is
    /// above every core going to c's cell (so d's cell is served first while d asks).
    lose: Vec<Reg<Bits<C>>>,
    /// Each bank's address register (the address its grants ask for, read the next cycle;
    /// `bre`: a grant asked) and output register (the code read, for the cores' multiplexers).
    baddr: Vec<Reg<Bits<AB>>>,
    bre: Vec<Reg<Bit>>,
    bdo: Vec<Reg<Bits<8>>>,
    // Combinational.
    ld_go: Signal<Local, Bit>,
    ld_row: Signal<Local, Bits<M>>,
    ld_col: Signal<Local, Bits<M>>,
    ld_bank: Signal<Local, Bits<BB>>,
    ld_cs: Signal<Local, Bits<M>>,
    pose_bank_c: Signal<Local, Bits<BB>>,
    ld_waddr: Signal<Local, Bits<AB>>,
    ld_mul: Vec<Signal<Local, Bits<BB>>>,
    pose_mul: Vec<Signal<Local, Bits<BB>>>,
    base_next: Signal<Local, Bits<16>>,
    round_next: Signal<Local, Bits<16>>,
    ld_entry: Signal<Local, Bits<16>>,
    pose_x: Signal<Local, Bits<XB>>,
    pose_y: Signal<Local, Bits<XB>>,
    any_live: Signal<Local, Bit>,
    any_req: Signal<Local, Bit>,
    any_busy: Signal<Local, Bit>,
    step_done: Signal<Local, Bit>,
    sel_v: Vec<Signal<Local, Bit>>,
    sel_a: Vec<Signal<Local, Bits<AB>>>,
    grant: Vec<Signal<Local, Bit>>,
    step_run: Signal<Local, Bit>,
    reqv: Signal<Local, Bits<C>>,
    same_cell: Vec<Signal<Local, Bits<C>>>,
    other_cell: Vec<Signal<Local, Bits<C>>>,
    next_lose: Vec<Signal<Local, Bits<C>>>,
    one_hot: Vec<Constant<Bits<C>>>,
    above: Vec<Constant<Bits<C>>>,
    core_no: Vec<Constant<Bits<16>>>,
    row_bit: Vec<Constant<Bits<8>>>,
    lc: Constant<Bits<8>>,
    lb: Constant<Bits<8>>,
    bb: Constant<Bits<8>>,
    btd: Constant<Bits<16>>,
    last_core: Constant<Bits<8>>,
    st_idle: Constant<Bits<3>>,
    st_load: Constant<Bits<3>>,
    st_init: Constant<Bits<3>>,
    st_run: Constant<Bits<3>>,
    st_drain: Constant<Bits<3>>,
    st_sum: Constant<Bits<3>>,
    st_done: Constant<Bits<3>>,
    unused_ld_data: Signal<Local, Bits<64>>,
    unused_ld_entry: Signal<Local, Bits<16>>,
}

impl<
        const C: usize,
        const LC: usize,
        const NB: usize,
        const BB: usize,
        const M: usize,
        const XB: usize,
        const AB: usize,
        const DEPTH: usize,
        const BTB: usize,
        const BTD: usize,
    > Fsmi<C, LC, NB, BB, M, XB, AB, DEPTH, BTB, BTD>
{
    fn new() -> Self {
        assert!(C == 1 << LC && NB == 1 << BB && XB == M + 1 && AB == 2 * M - BB && DEPTH == 1 << AB && BTD == 1 << BTB);
        assert!((1..=8).contains(&M) && BB < M && C <= 64);
        Self {
            clk: Default::default(),
            rst: Default::default(),
            ld_valid: Default::default(),
            ld_ready: Default::default(),
            ld_kind: Default::default(),
            ld_addr: Default::default(),
            ld_data: Default::default(),
            pose_valid: Default::default(),
            pose_ready: Default::default(),
            pose_row: Default::default(),
            pose_col: Default::default(),
            res_valid: Default::default(),
            res_ready: Default::default(),
            res_error: Default::default(),
            res_mi: Default::default(),
            res_cycles: Default::default(),
            res_steps: Default::default(),
            res_stalls: Default::default(),
            res_conflicts: Default::default(),
            cores: (0..C).map(|_| MiCore::new()).collect(),
            banks: (0..NB).map(|_| Sram::default()).collect(),
            state: Default::default(),
            map_w: Default::default(),
            map_h: Default::default(),
            range: Default::default(),
            beams: Default::default(),
            skew: Default::default(),
            shift: Default::default(),
            row: Default::default(),
            col: Default::default(),
            pose_bank: Default::default(),
            round: Default::default(),
            sum_left: Default::default(),
            total: Default::default(),
            n_cycles: Default::default(),
            n_steps: Default::default(),
            n_stalls: Default::default(),
            n_conf: Default::default(),
            stalled: Default::default(),
            error: Default::default(),
            lose: (0..C).map(|_| Reg::default()).collect(),
            baddr: (0..NB).map(|_| Reg::default()).collect(),
            bre: (0..NB).map(|_| Reg::default()).collect(),
            bdo: (0..NB).map(|_| Reg::default()).collect(),
            ld_go: Default::default(),
            ld_row: Default::default(),
            ld_col: Default::default(),
            ld_bank: Default::default(),
            ld_cs: Default::default(),
            pose_bank_c: Default::default(),
            ld_waddr: Default::default(),
            ld_mul: (0..BB + 1).map(|_| Signal::default()).collect(),
            pose_mul: (0..BB + 1).map(|_| Signal::default()).collect(),
            base_next: Default::default(),
            round_next: Default::default(),
            ld_entry: Default::default(),
            pose_x: Default::default(),
            pose_y: Default::default(),
            any_live: Default::default(),
            any_req: Default::default(),
            any_busy: Default::default(),
            step_done: Default::default(),
            sel_v: (0..NB).map(|_| Signal::default()).collect(),
            sel_a: (0..NB).map(|_| Signal::default()).collect(),
            grant: (0..C).map(|_| Signal::default()).collect(),
            step_run: Default::default(),
            reqv: Default::default(),
            same_cell: (0..C).map(|_| Signal::default()).collect(),
            other_cell: (0..C).map(|_| Signal::default()).collect(),
            next_lose: (0..C).map(|_| Signal::default()).collect(),
            one_hot: (0..C).map(|c| Constant::new(bits(1u64 << c))).collect(),
            // Bit e of above[d]: e > d (C <= 64).
            above: (0..C).map(|d| Constant::new(bits((d + 1..C).fold(0u64, |m, e| m | 1 << e)))).collect(),
            core_no: (0..C).map(|c| Constant::new(bits(c as u64))).collect(),
            row_bit: (0..BB).map(|i| Constant::new(bits(i as u64))).collect(),
            lc: Constant::new(bits(LC as u64)),
            lb: Constant::new(bits((M - BB) as u64)),
            bb: Constant::new(bits(BB as u64)),
            btd: Constant::new(bits(BTD as u64)),
            last_core: Constant::new(bits((C - 1) as u64)),
            st_idle: Constant::new(bits(0)),
            st_load: Constant::new(bits(1)),
            st_init: Constant::new(bits(2)),
            st_run: Constant::new(bits(3)),
            st_drain: Constant::new(bits(4)),
            st_sum: Constant::new(bits(5)),
            st_done: Constant::new(bits(6)),
            unused_ld_data: Default::default(),
            unused_ld_entry: Default::default(),
        }
    }

    /// The unit of this shape, connected and ready to emit or simulate.
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

impl<
        const C: usize,
        const LC: usize,
        const NB: usize,
        const BB: usize,
        const M: usize,
        const XB: usize,
        const AB: usize,
        const DEPTH: usize,
        const BTB: usize,
        const BTD: usize,
    > Logic for Fsmi<C, LC, NB, BB, M, XB, AB, DEPTH, BTB, BTD>
{
    #[allow(clippy::collapsible_if)] // one `if` a state: the description reads as the state machine
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clk, state, map_w, map_h, range, beams, skew, shift, row, col, pose_bank, round, sum_left, total,
            n_cycles, n_steps, n_stalls, n_conf, stalled, error
        );
        self.state.rst.next = self.rst.val();
        self.map_w.rst.next = self.rst.val();
        self.map_h.rst.next = self.rst.val();
        self.range.rst.next = self.rst.val();
        self.beams.rst.next = self.rst.val();
        self.skew.rst.next = self.rst.val();
        self.shift.rst.next = self.rst.val();
        self.row.rst.next = self.rst.val();
        self.col.rst.next = self.rst.val();
        self.pose_bank.rst.next = self.rst.val();
        self.round.rst.next = self.rst.val();
        self.sum_left.rst.next = self.rst.val();
        self.total.rst.next = self.rst.val();
        self.n_cycles.rst.next = self.rst.val();
        self.n_steps.rst.next = self.rst.val();
        self.n_stalls.rst.next = self.rst.val();
        self.n_conf.rst.next = self.rst.val();
        self.stalled.rst.next = self.rst.val();
        self.error.rst.next = self.rst.val();

        // Handshakes: loads and poses are taken while idle, the result shown when done.
        self.ld_ready.next = self.state.q.val() == self.st_idle.val();
        self.pose_ready.next = self.state.q.val() == self.st_idle.val();
        self.res_valid.next = self.state.q.val() == self.st_done.val();
        self.res_error.next = self.error.q.val();
        self.res_mi.next = self.total.q.val();
        self.res_cycles.next = self.n_cycles.q.val();
        self.res_steps.next = self.n_steps.q.val();
        self.res_stalls.next = self.n_stalls.q.val();
        self.res_conflicts.next = self.n_conf.q.val();

        // Load port. A map cell's bank is (col + skew row) mod NB, its address {row, col >> BB}.
        self.ld_go.next = self.ld_valid.val() & (self.state.q.val() == self.st_idle.val());
        self.ld_row.next = self.ld_addr.val().get_bits::<M>(8);
        self.ld_col.next = self.ld_addr.val().get_bits::<M>(0);
        self.ld_mul[0].next = self.ld_col.val().get_bits::<BB>(0);
        self.pose_mul[0].next = self.pose_col.val().get_bits::<BB>(0);
        self.ld_bank.next = self.ld_mul[0].val();
        self.pose_bank_c.next = self.pose_mul[0].val();
        for i in 0..BB {
            self.ld_mul[i + 1].next = self.ld_mul[i].val();
            if self.ld_row.val().get_bit(i) {
                self.ld_mul[i + 1].next = self.ld_mul[i].val() + (self.skew.q.val() << self.row_bit[i].val());
            }
            self.pose_mul[i + 1].next = self.pose_mul[i].val();
            if self.pose_row.val().get_bit(i) {
                self.pose_mul[i + 1].next = self.pose_mul[i].val() + (self.skew.q.val() << self.row_bit[i].val());
            }
            self.ld_bank.next = self.ld_mul[i + 1].val();
            self.pose_bank_c.next = self.pose_mul[i + 1].val();
        }
        self.ld_cs.next = self.ld_col.val() >> self.bb.val();
        self.ld_waddr.next = (bit_cast::<AB, M>(self.ld_row.val()) << self.lb.val()) | bit_cast::<AB, M>(self.ld_cs.val());
        if self.ld_go.val() & (self.ld_kind.val() == 4) {
            self.range.d.next = self.ld_data.val().get_bits::<32>(0);
            self.map_h.d.next = self.ld_data.val().get_bits::<XB>(32);
            self.map_w.d.next = self.ld_data.val().get_bits::<XB>(48);
        }
        if self.ld_go.val() & (self.ld_kind.val() == 5) {
            self.beams.d.next = self.ld_data.val().get_bits::<16>(0);
            self.skew.d.next = self.ld_data.val().get_bits::<BB>(16);
            self.shift.d.next = self.ld_data.val().get_bits::<6>(24);
        }
        for b in 0..NB {
            self.banks[b].clk.next = self.clk.val();
            self.banks[b].we.next = self.ld_go.val() & (self.ld_kind.val() == 0) & (self.ld_bank.val().index() == b);
            self.banks[b].waddr.next = self.ld_waddr.val();
            self.banks[b].wdata.next = self.ld_data.val().get_bits::<8>(0);
        }

        // The arbiter: each bank serves one address a cycle, that of its highest-numbered
        // requester; every core asking for that address (the same cell) is served with it.
        // Cores going to the same cell ask together and are served together, so core c waits
        // exactly while some core d of `lose[c]` (same bank, another cell, above all of c's
        // cell's cores) still asks. `lose` is computed from the cores' next cells during a
        // step and registered at its end: a grant is a few gates from registers.
        for c in 0..C {
            self.same_cell[c].next = 0.into();
            self.other_cell[c].next = 0.into();
            for e in 0..C {
                if self.cores[c].nbank.val() == self.cores[e].nbank.val() {
                    if self.cores[c].naddr.val() == self.cores[e].naddr.val() {
                        if self.cores[e].nact.val() {
                            self.same_cell[c].next = self.same_cell[c].val() | self.one_hot[e].val();
                        }
                    } else {
                        self.other_cell[c].next = self.other_cell[c].val() | self.one_hot[e].val();
                    }
                }
            }
            self.next_lose[c].next = 0.into();
            for d in 0..C {
                if self.other_cell[c].val().get_bit(d) & !(self.same_cell[c].val() & self.above[d].val()).any() {
                    self.next_lose[c].next = self.next_lose[c].val() | self.one_hot[d].val();
                }
            }
        }
        self.reqv.next = 0.into();
        for c in 0..C {
            if self.cores[c].req.val() {
                self.reqv.next = self.reqv.val() | self.one_hot[c].val();
            }
        }
        self.step_done.next = true;
        self.any_live.next = false;
        self.any_req.next = false;
        self.any_busy.next = false;
        for c in 0..C {
            self.grant[c].next = self.cores[c].req.val() & !(self.reqv.val() & self.lose[c].q.val()).any();
            if self.cores[c].req.val() & !self.grant[c].val() {
                self.step_done.next = false;
            }
            if self.cores[c].live.val() {
                self.any_live.next = true;
            }
            if self.cores[c].req.val() {
                self.any_req.next = true;
            }
            if self.cores[c].busy.val() {
                self.any_busy.next = true;
            }
        }
        self.step_run.next = self.step_done.val() & (self.state.q.val() == self.st_run.val());
        for c in 0..C {
            self.lose[c].clock.next = self.clk.val();
            self.lose[c].rst.next = self.rst.val();
            self.lose[c].d.next = self.lose[c].q.val();
            if self.step_run.val() {
                self.lose[c].d.next = self.next_lose[c].val();
            }
        }
        // Each bank registers the address of the cores it serves (all the same cell), reads it
        // the next cycle and registers the code the cycle after: neither the grant's address
        // selection nor the cores' code multiplexers share a cycle with the block RAM.
        for b in 0..NB {
            self.sel_v[b].next = false;
            self.sel_a[b].next = 0.into();
            for c in 0..C {
                if self.grant[c].val() & (self.cores[c].bank.val().index() == b) {
                    self.sel_v[b].next = true;
                    self.sel_a[b].next = self.sel_a[b].val() | self.cores[c].addr.val();
                }
            }
            self.baddr[b].clock.next = self.clk.val();
            self.baddr[b].rst.next = self.rst.val();
            self.baddr[b].d.next = self.sel_a[b].val();
            self.bre[b].clock.next = self.clk.val();
            self.bre[b].rst.next = self.rst.val();
            self.bre[b].d.next = self.sel_v[b].val();
            self.banks[b].re.next = self.bre[b].q.val();
            self.banks[b].raddr.next = self.baddr[b].q.val();
            self.bdo[b].clock.next = self.clk.val();
            self.bdo[b].rst.next = self.rst.val();
            self.bdo[b].d.next = self.banks[b].rdata.val();
        }

        // The cores: shared inputs, their grants, their codes (the bank each was served by).
        self.round_next.next = self.round.q.val() + 1;
        self.base_next.next = self.round_next.val() << self.lc.val();
        self.ld_entry.next = self.ld_addr.val() >> self.lc.val();
        self.unused_ld_entry.next = self.ld_entry.val();
        self.unused_ld_data.next = self.ld_data.val();
        self.pose_x.next = bit_cast::<XB, 8>(self.col.q.val());
        self.pose_y.next = bit_cast::<XB, 8>(self.row.q.val());
        for c in 0..C {
            self.cores[c].clk.next = self.clk.val();
            self.cores[c].rst.next = self.rst.val();
            self.cores[c].tbl_we.next = self.ld_go.val() & (self.ld_kind.val() == 1);
            self.cores[c].tbl_waddr.next = self.ld_addr.val().get_bits::<8>(0);
            self.cores[c].tbl_wdata.next = self.ld_data.val().get_bits::<48>(0);
            self.cores[c].bx_we.next = self.ld_go.val() & (self.ld_kind.val() == 2) & (self.ld_addr.val().get_bits::<LC>(0).index() == c);
            self.cores[c].by_we.next = self.ld_go.val() & (self.ld_kind.val() == 3) & (self.ld_addr.val().get_bits::<LC>(0).index() == c);
            self.cores[c].bt_waddr.next = self.ld_entry.val().get_bits::<BTB>(0);
            self.cores[c].bt_wdata.next = self.ld_data.val().get_bits::<33>(0);
            self.cores[c].bt_re.next = false;
            self.cores[c].bt_raddr.next = self.round.q.val().get_bits::<BTB>(0);
            self.cores[c].init.next = self.state.q.val() == self.st_init.val();
            self.cores[c].beam_ok.next = ((self.round.q.val() << self.lc.val()) | self.core_no[c].val()) < self.beams.q.val();
            self.cores[c].pose_x.next = self.pose_x.val();
            self.cores[c].pose_y.next = self.pose_y.val();
            self.cores[c].pose_bank.next = self.pose_bank.q.val();
            self.cores[c].map_w.next = self.map_w.q.val();
            self.cores[c].map_h.next = self.map_h.q.val();
            self.cores[c].range.next = self.range.q.val();
            self.cores[c].skew.next = self.skew.q.val();
            self.cores[c].shift.next = self.shift.q.val();
            self.cores[c].grant.next = self.grant[c].val() & (self.state.q.val() == self.st_run.val());
            self.cores[c].step_done.next = self.step_run.val();
            self.cores[c].code.next = self.bdo[0].q.val();
            for b in 0..NB {
                if self.cores[c].gbank.val().index() == b {
                    self.cores[c].code.next = self.bdo[b].q.val();
                }
            }
            self.cores[c].clear.next = false;
            self.cores[c].sum_shift.next = self.state.q.val() == self.st_sum.val();
            self.cores[c].acc_in.next = 0.into();
        }
        for c in 0..(C - 1) {
            self.cores[c].acc_in.next = self.cores[c + 1].acc.val();
        }

        // The pose state machine.
        if self.state.q.val() != self.st_idle.val() {
            if self.state.q.val() != self.st_done.val() {
                self.n_cycles.d.next = self.n_cycles.q.val() + 1;
            }
        }
        if self.state.q.val() == self.st_idle.val() {
            if self.pose_valid.val() {
                self.row.d.next = self.pose_row.val();
                self.col.d.next = self.pose_col.val();
                self.pose_bank.d.next = self.pose_bank_c.val();
                self.round.d.next = 0.into();
                self.total.d.next = 0.into();
                self.n_cycles.d.next = 0.into();
                self.n_steps.d.next = 0.into();
                self.n_stalls.d.next = 0.into();
                self.n_conf.d.next = 0.into();
                self.stalled.d.next = false;
                self.error.d.next = false;
                for c in 0..C {
                    self.cores[c].clear.next = true;
                }
                if (bit_cast::<16, 8>(self.pose_row.val()) < bit_cast::<16, XB>(self.map_h.q.val())) & (bit_cast::<16, 8>(self.pose_col.val()) < bit_cast::<16, XB>(self.map_w.q.val())) {
                    self.state.d.next = self.st_load.val();
                } else {
                    self.error.d.next = true;
                    self.state.d.next = self.st_done.val();
                }
            }
        }
        if self.state.q.val() == self.st_load.val() {
            for c in 0..C {
                self.cores[c].bt_re.next = true;
            }
            self.state.d.next = self.st_init.val();
        }
        if self.state.q.val() == self.st_init.val() {
            self.state.d.next = self.st_run.val();
        }
        if self.state.q.val() == self.st_run.val() {
            if self.any_req.val() {
                if self.step_done.val() {
                    self.n_steps.d.next = self.n_steps.q.val() + 1;
                    self.stalled.d.next = false;
                    if self.stalled.q.val() {
                        self.n_conf.d.next = self.n_conf.q.val() + 1;
                    }
                } else {
                    self.n_stalls.d.next = self.n_stalls.q.val() + 1;
                    self.stalled.d.next = true;
                }
            }
            if !self.any_live.val() {
                // The round is over: read the next round's beams, or finish.
                self.round.d.next = self.round.q.val() + 1;
                if (self.base_next.val() < self.beams.q.val()) & (self.round_next.val() < self.btd.val()) {
                    for c in 0..C {
                        self.cores[c].bt_re.next = true;
                        self.cores[c].bt_raddr.next = self.round_next.val().get_bits::<BTB>(0);
                    }
                    self.state.d.next = self.st_init.val();
                } else {
                    self.state.d.next = self.st_drain.val();
                }
            }
        }
        if self.state.q.val() == self.st_drain.val() {
            if !self.any_busy.val() {
                self.sum_left.d.next = self.last_core.val();
                self.state.d.next = self.st_sum.val();
            }
        }
        if self.state.q.val() == self.st_sum.val() {
            // The accumulators shift towards core 0, whose value is added each cycle.
            self.total.d.next = self.total.q.val() + self.cores[0].acc.val();
            self.sum_left.d.next = self.sum_left.q.val() - 1;
            if self.sum_left.q.val() == 0 {
                self.state.d.next = self.st_done.val();
            }
        }
        if self.state.q.val() == self.st_done.val() {
            if self.res_ready.val() {
                self.state.d.next = self.st_idle.val();
            }
        }
    }
}

crate::sim::sim_ports!(
    [
        const C: usize,
        const LC: usize,
        const NB: usize,
        const BB: usize,
        const M: usize,
        const XB: usize,
        const AB: usize,
        const DEPTH: usize,
        const BTB: usize,
        const BTD: usize,
    ] Fsmi<C, LC, NB, BB, M, XB, AB, DEPTH, BTB, BTD>,
    clock: clk,
    inputs: [rst, ld_valid, ld_kind, ld_addr, ld_data, pose_valid, pose_row, pose_col, res_ready],
    outputs: [
        ld_ready, pose_ready, res_valid, res_error, res_mi, res_cycles, res_steps, res_stalls,
        res_conflicts,
    ]
);
