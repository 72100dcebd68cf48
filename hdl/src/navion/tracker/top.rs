//! The presets' top levels around [`TrackerCore`]: [`NavionTracker`] holds both frames'
//! levels in an on-chip memory of row words (loaded through `ld_*`) that serves the core's
//! memory port a row a clock; [`NavionTrackerPort`] makes the memory port the unit's own, its
//! 256-bit response in four 64-bit ports.

#![allow(unused_parens)]

use super::rtl::TrackerCore;
use crate::widgets::{Reg, Sram};
use rust_hdl::prelude::*;

/// The tracker with an on-chip frame memory: `RB` bits a row word (8 per pixel of the widest
/// level 0), `RA` address bits (the top one picks frame A or B), `RD` words.
#[derive(LogicBlock)]
pub struct NavionTracker<const RB: usize, const RA: usize, const RD: usize> {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    pub width: Signal<In, Bits<11>>,
    pub height: Signal<In, Bits<11>>,
    pub levels: Signal<In, Bits<2>>,
    pub iterations: Signal<In, Bits<5>>,
    pub epsilon: Signal<In, Bits<9>>,
    pub t_min: Signal<In, Bits<28>>,
    /// Frame memory rows in: 8 pixels a beat (pixel i in bits 8i..8i+7), a row word written
    /// at `ld_addr` with the beat that has `ld_last`. Taken while no point is in the unit.
    pub ld_valid: Signal<In, Bit>,
    pub ld_ready: Signal<Out, Bit>,
    pub ld_addr: Signal<In, Bits<RA>>,
    pub ld_data: Signal<In, Bits<64>>,
    pub ld_last: Signal<In, Bit>,
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_x: Signal<In, Bits<24>>,
    pub in_y: Signal<In, Bits<24>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_x: Signal<Out, Bits<24>>,
    pub out_y: Signal<Out, Bits<24>>,
    pub out_status: Signal<Out, Bits<2>>,
    pub out_iters: Signal<Out, Bits<7>>,
    core: TrackerCore<RB>,
    frames: Sram<Bits<RB>, RA, RD>,
    rowbuf: Reg<Bits<RB>>,
    rsp_v: Reg<Bit>,
    ld_shift: Constant<Bits<16>>,
    frame_b: Constant<Bits<RA>>,
    one11: Constant<Bits<11>>,
    ld_word: Signal<Local, Bits<RB>>,
    take_ld: Signal<Local, Bit>,
    h1: Signal<Local, Bits<11>>,
    base: Signal<Local, Bits<11>>,
    row_addr: Signal<Local, Bits<11>>,
    unused_row_addr: Signal<Local, Bits<11>>,
    unused_col: Signal<Local, Bits<8>>,
    unused_rsp_ready: Signal<Local, Bit>,
}

impl<const RB: usize, const RA: usize, const RD: usize> NavionTracker<RB, RA, RD> {
    /// The unit with a W x W window.
    pub(crate) fn built(window: usize) -> Self {
        let mut uut = NavionTracker {
            clk: Default::default(),
            rst: Default::default(),
            width: Default::default(),
            height: Default::default(),
            levels: Default::default(),
            iterations: Default::default(),
            epsilon: Default::default(),
            t_min: Default::default(),
            ld_valid: Default::default(),
            ld_ready: Default::default(),
            ld_addr: Default::default(),
            ld_data: Default::default(),
            ld_last: Default::default(),
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
            core: TrackerCore::built(window, false),
            frames: Default::default(),
            rowbuf: Default::default(),
            rsp_v: Default::default(),
            ld_shift: Constant::new(bits((RB - 64) as u64)),
            frame_b: Constant::new(bits(1u64 << (RA - 1))),
            one11: Constant::new(bits(1)),
            ld_word: Default::default(),
            take_ld: Default::default(),
            h1: Default::default(),
            base: Default::default(),
            row_addr: Default::default(),
            unused_row_addr: Default::default(),
            unused_col: Default::default(),
            unused_rsp_ready: Default::default(),
        };
        uut.connect_all();
        uut
    }
}

impl<const RB: usize, const RA: usize, const RD: usize> Logic for NavionTracker<RB, RA, RD> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clk, rowbuf, rsp_v);
        self.rowbuf.rst.next = self.rst.val();
        self.rsp_v.rst.next = self.rst.val();
        self.frames.clk.next = self.clk.val();
        self.core.clk.next = self.clk.val();
        self.core.rst.next = self.rst.val();
        self.core.width.next = self.width.val();
        self.core.height.next = self.height.val();
        self.core.levels.next = self.levels.val();
        self.core.iterations.next = self.iterations.val();
        self.core.epsilon.next = self.epsilon.val();
        self.core.t_min.next = self.t_min.val();

        // Points and results; a load beat has priority over a point.
        self.core.in_valid.next = self.in_valid.val() & !self.ld_valid.val();
        self.core.in_x.next = self.in_x.val();
        self.core.in_y.next = self.in_y.val();
        self.in_ready.next = self.core.in_ready.val();
        self.ld_ready.next = self.core.in_ready.val();
        self.core.out_ready.next = self.out_ready.val();
        self.out_valid.next = self.core.out_valid.val();
        self.out_x.next = self.core.out_x.val();
        self.out_y.next = self.core.out_y.val();
        self.out_status.next = self.core.out_status.val();
        self.out_iters.next = self.core.out_iters.val();

        // ---- Frame memory load: a row word gathered 8 pixels a beat ----
        self.take_ld.next = self.ld_valid.val() & self.core.in_ready.val();
        self.ld_word.next = (self.rowbuf.q.val() >> 64) | (bit_cast::<RB, 64>(self.ld_data.val()) << self.ld_shift.val());
        if self.take_ld.val() {
            self.rowbuf.d.next = self.ld_word.val();
        }
        self.frames.waddr.next = self.ld_addr.val();
        self.frames.wdata.next = self.ld_word.val();
        self.frames.we.next = self.take_ld.val() & self.ld_last.val();

        // ---- The core's memory port: a whole row a request, the response a clock later ----
        self.h1.next = (self.height.val() + self.one11.val()) >> 1;
        self.base.next = 0.into();
        if self.core.mem_req_level.val() == 1 {
            self.base.next = self.height.val();
        }
        if self.core.mem_req_level.val() == 2 {
            self.base.next = self.height.val() + self.h1.val();
        }
        self.row_addr.next = self.base.val() + self.core.mem_req_row.val();
        self.unused_row_addr.next = self.row_addr.val();
        self.frames.raddr.next = bit_cast::<RA, 11>(self.row_addr.val());
        if self.core.mem_req_frame.val() {
            self.frames.raddr.next = bit_cast::<RA, 11>(self.row_addr.val()) | self.frame_b.val();
        }
        self.frames.re.next = self.core.mem_req_valid.val();
        self.core.mem_req_ready.next = true;
        self.rsp_v.d.next = self.core.mem_req_valid.val();
        self.core.mem_rsp_valid.next = self.rsp_v.q.val();
        self.core.mem_rsp_data.next = self.frames.rdata.val();
        self.unused_col.next = self.core.mem_req_col.val();
        self.unused_rsp_ready.next = self.core.mem_rsp_ready.val();
    }
}

crate::sim::sim_ports!(
    [const RB: usize, const RA: usize, const RD: usize] NavionTracker<RB, RA, RD>,
    clock: clk,
    inputs: [
        rst, width, height, levels, iterations, epsilon, t_min, ld_valid, ld_addr, ld_data, ld_last, in_valid, in_x,
        in_y, out_ready
    ],
    outputs: [ld_ready, in_ready, out_valid, out_x, out_y, out_status, out_iters]
);

/// The tracker reading its frames through the memory port: 32-pixel segments at any multiple
/// of 8 columns, pixel 8k + i of a segment in bits 8i..8i+7 of `mem_rsp_d<k>`.
#[derive(LogicBlock)]
pub struct NavionTrackerPort {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    pub width: Signal<In, Bits<11>>,
    pub height: Signal<In, Bits<11>>,
    pub levels: Signal<In, Bits<2>>,
    pub iterations: Signal<In, Bits<5>>,
    pub epsilon: Signal<In, Bits<9>>,
    pub t_min: Signal<In, Bits<28>>,
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_x: Signal<In, Bits<24>>,
    pub in_y: Signal<In, Bits<24>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_x: Signal<Out, Bits<24>>,
    pub out_y: Signal<Out, Bits<24>>,
    pub out_status: Signal<Out, Bits<2>>,
    pub out_iters: Signal<Out, Bits<7>>,
    pub mem_req_valid: Signal<Out, Bit>,
    pub mem_req_ready: Signal<In, Bit>,
    pub mem_req_level: Signal<Out, Bits<2>>,
    pub mem_req_frame: Signal<Out, Bit>,
    pub mem_req_row: Signal<Out, Bits<11>>,
    pub mem_req_col: Signal<Out, Bits<8>>,
    pub mem_rsp_valid: Signal<In, Bit>,
    pub mem_rsp_ready: Signal<Out, Bit>,
    pub mem_rsp_d0: Signal<In, Bits<64>>,
    pub mem_rsp_d1: Signal<In, Bits<64>>,
    pub mem_rsp_d2: Signal<In, Bits<64>>,
    pub mem_rsp_d3: Signal<In, Bits<64>>,
    core: TrackerCore<256>,
}

impl NavionTrackerPort {
    /// The unit with a W x W window.
    pub(crate) fn built(window: usize) -> Self {
        let mut uut = NavionTrackerPort {
            clk: Default::default(),
            rst: Default::default(),
            width: Default::default(),
            height: Default::default(),
            levels: Default::default(),
            iterations: Default::default(),
            epsilon: Default::default(),
            t_min: Default::default(),
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
            mem_req_valid: Default::default(),
            mem_req_ready: Default::default(),
            mem_req_level: Default::default(),
            mem_req_frame: Default::default(),
            mem_req_row: Default::default(),
            mem_req_col: Default::default(),
            mem_rsp_valid: Default::default(),
            mem_rsp_ready: Default::default(),
            mem_rsp_d0: Default::default(),
            mem_rsp_d1: Default::default(),
            mem_rsp_d2: Default::default(),
            mem_rsp_d3: Default::default(),
            core: TrackerCore::built(window, true),
        };
        uut.connect_all();
        uut
    }
}

impl Logic for NavionTrackerPort {
    #[hdl_gen]
    fn update(&mut self) {
        self.core.clk.next = self.clk.val();
        self.core.rst.next = self.rst.val();
        self.core.width.next = self.width.val();
        self.core.height.next = self.height.val();
        self.core.levels.next = self.levels.val();
        self.core.iterations.next = self.iterations.val();
        self.core.epsilon.next = self.epsilon.val();
        self.core.t_min.next = self.t_min.val();
        self.core.in_valid.next = self.in_valid.val();
        self.core.in_x.next = self.in_x.val();
        self.core.in_y.next = self.in_y.val();
        self.in_ready.next = self.core.in_ready.val();
        self.core.out_ready.next = self.out_ready.val();
        self.out_valid.next = self.core.out_valid.val();
        self.out_x.next = self.core.out_x.val();
        self.out_y.next = self.core.out_y.val();
        self.out_status.next = self.core.out_status.val();
        self.out_iters.next = self.core.out_iters.val();
        self.mem_req_valid.next = self.core.mem_req_valid.val();
        self.core.mem_req_ready.next = self.mem_req_ready.val();
        self.mem_req_level.next = self.core.mem_req_level.val();
        self.mem_req_frame.next = self.core.mem_req_frame.val();
        self.mem_req_row.next = self.core.mem_req_row.val();
        self.mem_req_col.next = self.core.mem_req_col.val();
        self.core.mem_rsp_valid.next = self.mem_rsp_valid.val();
        self.mem_rsp_ready.next = self.core.mem_rsp_ready.val();
        self.core.mem_rsp_data.next = bit_cast::<256, 64>(self.mem_rsp_d0.val())
            | (bit_cast::<256, 64>(self.mem_rsp_d1.val()) << 64)
            | (bit_cast::<256, 64>(self.mem_rsp_d2.val()) << 128)
            | (bit_cast::<256, 64>(self.mem_rsp_d3.val()) << 192);
    }
}

crate::sim::sim_ports!(
    [] NavionTrackerPort,
    clock: clk,
    inputs: [
        rst, width, height, levels, iterations, epsilon, t_min, in_valid, in_x, in_y, out_ready, mem_req_ready,
        mem_rsp_valid, mem_rsp_d0, mem_rsp_d1, mem_rsp_d2, mem_rsp_d3
    ],
    outputs: [in_ready, out_valid, out_x, out_y, out_status, out_iters, mem_req_valid, mem_req_level, mem_req_frame, mem_req_row, mem_req_col, mem_rsp_ready]
);
