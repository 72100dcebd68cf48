//! The per-cell top-K selection (see the parent module): a candidate FIFO in block RAM, one
//! working list of K entries in registers (sorted, the best first), the lists of the current
//! row of cells in a block RAM, and the read-out of a row of cells.

use super::DetectorConfig;
use crate::widgets::{Fifo, Reg, Sram};
use rust_hdl::prelude::*;

// The engine's states (`st`): 0 run (insert the FIFO's head or decide), 1 pre-read of a
// cell's list, 2 swap (write back one list while the other comes in), 3 and 4 read-out of a
// row of cells (read a slot, push it out), 5 the end-of-frame word.

/// Candidates in, corners out. `CA`/`CD`: the cell-list RAM's address bits and words (GX
/// cells of 2^KB slots); `FA`/`FD`: the candidate FIFO's.
#[derive(LogicBlock)]
pub struct TopK<const CA: usize, const CD: usize, const FA: usize, const FD: usize> {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    /// A candidate or the end of a frame (bit 63) from the NMS.
    pub push: Signal<In, Bit>,
    pub push_data: Signal<In, Bits<64>>,
    /// The FIFO has room for the pipeline (registered; 4 words of slack).
    pub room: Signal<Out, Bit>,
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_eof: Signal<Out, Bit>,
    pub out_x: Signal<Out, Bits<10>>,
    pub out_y: Signal<Out, Bits<16>>,
    pub out_score: Signal<Out, Bits<25>>,

    fmem: Sram<Bits<64>, FA, FD>,
    wptr: Reg<Bits<16>>,
    rptr: Reg<Bits<16>>,
    head_v: Reg<Bit>,
    full_q: Reg<Bit>,
    fill: Signal<Local, Bits<16>>,
    pop: Signal<Local, Bit>,
    fre: Signal<Local, Bit>,
    head: Signal<Local, Bits<64>>,
    h_entry: Signal<Local, Bits<52>>,
    h_cx: Signal<Local, Bits<6>>,
    h_cy: Signal<Local, Bits<6>>,
    cmem: Sram<Bits<52>, CA, CD>,
    e: Vec<Reg<Bits<52>>>,
    beats: Vec<Signal<Local, Bit>>,
    shift_src: Vec<Signal<Local, Bits<52>>>,
    incoming: Signal<Local, Bits<52>>,
    st: Reg<Bits<3>>,
    loaded: Reg<Bit>,
    row_active: Reg<Bit>,
    cur_cx: Reg<Bits<6>>,
    cur_cy: Reg<Bits<6>>,
    new_cx: Reg<Bits<6>>,
    nload: Reg<Bit>,
    k: Reg<Bits<7>>,
    ro_c: Reg<Bits<6>>,
    to_ro: Reg<Bit>,
    ro_eof: Reg<Bit>,
    touched: Reg<Bits<64>>,
    cnt: Reg<Bits<25>>,
    ro_valid: Signal<Local, Bit>,
    ro_next: Signal<Local, Bit>,
    out_fifo: Fifo<Bits<52>>,
    k_last: Constant<Bits<7>>,
    gx_last: Constant<Bits<6>>,
    kb: Constant<Bits<CA>>,
    limit: Constant<Bits<16>>,
    body_mask: Constant<Bits<52>>,
    eof_bit: Constant<Bits<52>>,
    one64: Constant<Bits<64>>,
    k_next: Signal<Local, Bits<7>>,
    unused_k_next: Signal<Local, Bits<7>>,
    h_score: Signal<Local, Bits<25>>,
    unused_head: Signal<Local, Bits<64>>,
}

impl<const CA: usize, const CD: usize, const FA: usize, const FD: usize> TopK<CA, CD, FA, FD> {
    pub fn new(cfg: &DetectorConfig) -> Self {
        let k = cfg.per_cell as usize;
        Self {
            clk: Default::default(),
            rst: Default::default(),
            push: Default::default(),
            push_data: Default::default(),
            room: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            out_eof: Default::default(),
            out_x: Default::default(),
            out_y: Default::default(),
            out_score: Default::default(),
            fmem: Default::default(),
            wptr: Default::default(),
            rptr: Default::default(),
            head_v: Default::default(),
            full_q: Default::default(),
            fill: Default::default(),
            pop: Default::default(),
            fre: Default::default(),
            head: Default::default(),
            h_entry: Default::default(),
            h_cx: Default::default(),
            h_cy: Default::default(),
            cmem: Default::default(),
            e: (0..k).map(|_| Reg::default()).collect(),
            beats: (0..k).map(|_| Signal::default()).collect(),
            shift_src: (0..k).map(|_| Signal::default()).collect(),
            incoming: Default::default(),
            st: Default::default(),
            loaded: Default::default(),
            row_active: Default::default(),
            cur_cx: Default::default(),
            cur_cy: Default::default(),
            new_cx: Default::default(),
            nload: Default::default(),
            k: Default::default(),
            ro_c: Default::default(),
            to_ro: Default::default(),
            ro_eof: Default::default(),
            touched: Default::default(),
            cnt: Default::default(),
            ro_valid: Default::default(),
            ro_next: Default::default(),
            out_fifo: Default::default(),
            k_last: Constant::new(bits(u64::from(cfg.per_cell - 1))),
            gx_last: Constant::new(bits(u64::from(cfg.grid_x - 1))),
            kb: Constant::new(bits(u64::from(super::slot_bits(cfg.per_cell)))),
            limit: Constant::new(bits(FD as u64 - 4)),
            body_mask: Constant::new(bits((1u64 << 51) - 1)),
            eof_bit: Constant::new(bits(1u64 << 51)),
            one64: Constant::new(bits(1)),
            k_next: Default::default(),
            unused_k_next: Default::default(),
            h_score: Default::default(),
            unused_head: Default::default(),
        }
    }
}

impl<const CA: usize, const CD: usize, const FA: usize, const FD: usize> Logic for TopK<CA, CD, FA, FD> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clk, wptr, rptr, head_v, full_q, st, loaded, row_active, cur_cx, cur_cy, new_cx, nload, k, ro_c,
            to_ro, ro_eof, touched, cnt
        );
        self.wptr.rst.next = self.rst.val();
        self.rptr.rst.next = self.rst.val();
        self.head_v.rst.next = self.rst.val();
        self.full_q.rst.next = self.rst.val();
        self.st.rst.next = self.rst.val();
        self.loaded.rst.next = self.rst.val();
        self.row_active.rst.next = self.rst.val();
        self.cur_cx.rst.next = self.rst.val();
        self.cur_cy.rst.next = self.rst.val();
        self.new_cx.rst.next = self.rst.val();
        self.nload.rst.next = self.rst.val();
        self.k.rst.next = self.rst.val();
        self.ro_c.rst.next = self.rst.val();
        self.to_ro.rst.next = self.rst.val();
        self.ro_eof.rst.next = self.rst.val();
        self.touched.rst.next = self.rst.val();
        self.cnt.rst.next = self.rst.val();
        self.fmem.clk.next = self.clk.val();
        self.cmem.clk.next = self.clk.val();
        self.out_fifo.clk.next = self.clk.val();
        self.out_fifo.rst.next = self.rst.val();
        for i in 0..self.e.len() {
            self.e[i].clock.next = self.clk.val();
            self.e[i].rst.next = self.rst.val();
            self.e[i].d.next = self.e[i].q.val();
        }

        // ---- Candidate FIFO: the head is the RAM's read register while `head_v` ----
        self.fill.next = self.wptr.q.val() - self.rptr.q.val();
        // Registered as `full` so that it resets to "room".
        self.full_q.d.next = self.fill.val() >= self.limit.val();
        self.room.next = !self.full_q.q.val();
        self.fmem.waddr.next = bit_cast::<FA, 16>(self.wptr.q.val());
        self.fmem.wdata.next = self.push_data.val();
        self.fmem.we.next = self.push.val();
        if self.push.val() {
            self.wptr.d.next = self.wptr.q.val() + 1;
        }
        self.head.next = self.fmem.rdata.val();
        self.unused_head.next = self.head.val();
        self.h_score.next = self.head.val().get_bits::<25>(0);
        self.h_entry.next = self.head.val().get_bits::<52>(0) | self.eof_bit.val();
        self.h_cx.next = self.head.val().get_bits::<6>(51);
        self.h_cy.next = self.head.val().get_bits::<6>(57);

        // ---- The working list: where the head would go, and the list shifted by one ----
        self.incoming.next = 0.into();
        if self.nload.q.val() {
            self.incoming.next = self.cmem.rdata.val();
        }
        for i in 0..self.e.len() {
            self.beats[i].next =
                !self.e[i].q.val().get_bit(51) | (self.h_score.val() > self.e[i].q.val().get_bits::<25>(0));
            self.shift_src[i].next = self.incoming.val();
        }
        for i in 0..(self.e.len() - 1) {
            self.shift_src[i].next = self.e[i + 1].q.val();
        }

        self.pop.next = false;
        self.cmem.re.next = false;
        self.cmem.we.next = false;
        self.k_next.next = self.k.q.val() + 1;
        self.unused_k_next.next = self.k_next.val();
        self.cmem.raddr.next = (bit_cast::<CA, 6>(self.new_cx.q.val()) << self.kb.val()) | bit_cast::<CA, 7>(self.k_next.val());
        self.cmem.waddr.next = (bit_cast::<CA, 6>(self.cur_cx.q.val()) << self.kb.val()) | bit_cast::<CA, 7>(self.k.q.val());
        self.cmem.wdata.next = self.e[0].q.val();
        self.out_fifo.in_valid.next = false;
        self.out_fifo.in_data.next = self.cmem.rdata.val() & self.body_mask.val();
        self.ro_valid.next = self.cmem.rdata.val().get_bit(51) & self.touched.q.val().get_bit(self.ro_c.q.val().index());
        self.ro_next.next = false;

        if (self.st.q.val() == 0) & self.head_v.q.val() {
            if self.head.val().get_bit(63) | (self.row_active.q.val() & (self.h_cy.val() != self.cur_cy.q.val())) {
                // The row of cells is over: write the list back, then read every cell out.
                self.ro_eof.d.next = self.head.val().get_bit(63);
                self.ro_c.d.next = 0.into();
                self.k.d.next = 0.into();
                if self.loaded.q.val() {
                    self.st.d.next = 1.into();
                    self.to_ro.d.next = true;
                    self.nload.d.next = false;
                } else {
                    self.st.d.next = 3.into();
                }
            } else if !self.loaded.q.val() | (self.h_cx.val() != self.cur_cx.q.val()) {
                // Another cell: swap its list in.
                self.st.d.next = 1.into();
                self.to_ro.d.next = false;
                self.new_cx.d.next = self.h_cx.val();
                self.nload.d.next = self.touched.q.val().get_bit(self.h_cx.val().index());
                self.cur_cy.d.next = self.h_cy.val();
                self.row_active.d.next = true;
            } else {
                // Insert: entries the head beats move down one place.
                self.pop.next = true;
                self.cnt.d.next = self.cnt.q.val() + 1;
                if self.beats[0].val() {
                    self.e[0].d.next = self.h_entry.val();
                }
                for i in 0..(self.e.len() - 1) {
                    if self.beats[i + 1].val() {
                        if self.beats[i].val() {
                            self.e[i + 1].d.next = self.e[i].q.val();
                        } else {
                            self.e[i + 1].d.next = self.h_entry.val();
                        }
                    }
                }
            }
        }
        if self.st.q.val() == 1 {
            self.cmem.re.next = true;
            self.cmem.raddr.next = bit_cast::<CA, 6>(self.new_cx.q.val()) << self.kb.val();
            self.k.d.next = 0.into();
            self.st.d.next = 2.into();
        }
        if self.st.q.val() == 2 {
            // Entry k of the old cell goes out while entry k of the new one comes in.
            self.cmem.we.next = self.loaded.q.val();
            self.cmem.re.next = true;
            for i in 0..self.e.len() {
                self.e[i].d.next = self.shift_src[i].val();
            }
            self.k.d.next = self.k.q.val() + 1;
            if self.k.q.val() == self.k_last.val() {
                if self.loaded.q.val() {
                    self.touched.d.next = self.touched.q.val() | (self.one64.val() << self.cur_cx.q.val());
                }
                if self.to_ro.q.val() {
                    self.loaded.d.next = false;
                    self.st.d.next = 3.into();
                    self.k.d.next = 0.into();
                } else {
                    self.loaded.d.next = true;
                    self.cur_cx.d.next = self.new_cx.q.val();
                    self.st.d.next = 0.into();
                }
            }
        }
        if self.st.q.val() == 3 {
            self.cmem.re.next = true;
            self.cmem.raddr.next = (bit_cast::<CA, 6>(self.ro_c.q.val()) << self.kb.val()) | bit_cast::<CA, 7>(self.k.q.val());
            self.st.d.next = 4.into();
        }
        if self.st.q.val() == 4 {
            if self.ro_valid.val() {
                self.out_fifo.in_valid.next = true;
                if self.out_fifo.in_ready.val() {
                    self.ro_next.next = true;
                }
            } else {
                self.ro_next.next = true;
            }
        }
        if self.ro_next.val() {
            self.st.d.next = 3.into();
            self.k.d.next = self.k.q.val() + 1;
            if !self.ro_valid.val() | (self.k.q.val() == self.k_last.val()) {
                self.k.d.next = 0.into();
                self.ro_c.d.next = self.ro_c.q.val() + 1;
                if self.ro_c.q.val() == self.gx_last.val() {
                    self.touched.d.next = 0.into();
                    self.row_active.d.next = false;
                    if self.ro_eof.q.val() {
                        self.st.d.next = 5.into();
                    } else {
                        self.st.d.next = 0.into();
                    }
                }
            }
        }
        if self.st.q.val() == 5 {
            self.out_fifo.in_valid.next = true;
            self.out_fifo.in_data.next = self.eof_bit.val() | bit_cast::<52, 25>(self.cnt.q.val());
            if self.out_fifo.in_ready.val() {
                self.pop.next = true;
                self.cnt.d.next = 0.into();
                self.st.d.next = 0.into();
            }
        }

        // The FIFO's read side: a new head as the old one goes.
        self.fmem.raddr.next = bit_cast::<FA, 16>(self.rptr.q.val());
        self.fre.next = (!self.head_v.q.val() | self.pop.val()) & (self.wptr.q.val() != self.rptr.q.val());
        self.fmem.re.next = self.fre.val();
        if self.fre.val() {
            self.rptr.d.next = self.rptr.q.val() + 1;
            self.head_v.d.next = true;
        } else if self.pop.val() {
            self.head_v.d.next = false;
        }

        self.out_fifo.out_ready.next = self.out_ready.val();
        self.out_valid.next = self.out_fifo.out_valid.val();
        self.out_eof.next = self.out_fifo.out_data.val().get_bit(51);
        self.out_score.next = self.out_fifo.out_data.val().get_bits::<25>(0);
        self.out_x.next = self.out_fifo.out_data.val().get_bits::<10>(25);
        self.out_y.next = self.out_fifo.out_data.val().get_bits::<16>(35);
    }
}
