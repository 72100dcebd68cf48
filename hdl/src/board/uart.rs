//! The UART receiver and transmitter of `board_top`: 8N1, `clocks_per_bit` clock cycles a
//! bit, fixed at generation time by the board preset.
//!
//! Both keep the line *inverted* in their registers, so that the reset value (zero) is the
//! idle line (high): after reset the receiver sees no start bit and the transmitter drives
//! the line high.

use crate::widgets::Reg;
use rust_hdl::prelude::*;

/// 8N1 receiver: a two-flop synchronizer, start-bit detection, a sample in the middle of each
/// bit. `valid` is high for one cycle with the byte in `data`; a byte whose stop bit is low
/// is dropped with `frame_err` high for one cycle instead.
#[derive(LogicBlock)]
pub struct UartRx {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    /// The serial line (idle high).
    pub rx: Signal<In, Bit>,
    pub valid: Signal<Out, Bit>,
    pub data: Signal<Out, Bits<8>>,
    pub frame_err: Signal<Out, Bit>,
    s1_n: Reg<Bit>,
    s2_n: Reg<Bit>,
    busy: Reg<Bit>,
    cnt: Reg<Bits<16>>,
    idx: Reg<Bits<4>>,
    sh: Reg<Bits<8>>,
    data_r: Reg<Bits<8>>,
    valid_r: Reg<Bit>,
    ferr_r: Reg<Bit>,
    half_m1: Constant<Bits<16>>,
    full_m1: Constant<Bits<16>>,
    top_bit: Constant<Bits<8>>,
    last_idx: Constant<Bits<4>>,
}

impl UartRx {
    pub(crate) fn new(clocks_per_bit: u32) -> Self {
        Self {
            clk: Default::default(),
            rst: Default::default(),
            rx: Default::default(),
            valid: Default::default(),
            data: Default::default(),
            frame_err: Default::default(),
            s1_n: Default::default(),
            s2_n: Default::default(),
            busy: Default::default(),
            cnt: Default::default(),
            idx: Default::default(),
            sh: Default::default(),
            data_r: Default::default(),
            valid_r: Default::default(),
            ferr_r: Default::default(),
            half_m1: Constant::new(bits((clocks_per_bit / 2 - 1) as u64)),
            full_m1: Constant::new(bits((clocks_per_bit - 1) as u64)),
            top_bit: Constant::new(bits(0x80)),
            last_idx: Constant::new(bits(9)),
        }
    }
}

impl Logic for UartRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clk, s1_n, s2_n, busy, cnt, idx, sh, data_r, valid_r, ferr_r);
        self.s1_n.rst.next = self.rst.val();
        self.s2_n.rst.next = self.rst.val();
        self.busy.rst.next = self.rst.val();
        self.cnt.rst.next = self.rst.val();
        self.idx.rst.next = self.rst.val();
        self.sh.rst.next = self.rst.val();
        self.data_r.rst.next = self.rst.val();
        self.valid_r.rst.next = self.rst.val();
        self.ferr_r.rst.next = self.rst.val();
        self.valid.next = self.valid_r.q.val();
        self.data.next = self.data_r.q.val();
        self.frame_err.next = self.ferr_r.q.val();

        self.s1_n.d.next = !self.rx.val();
        self.s2_n.d.next = self.s1_n.q.val();
        self.valid_r.d.next = false;
        self.ferr_r.d.next = false;
        if !self.busy.q.val() {
            // A low line is a start bit: sample its middle, half a bit from now.
            if self.s2_n.q.val() {
                self.busy.d.next = true;
                self.cnt.d.next = self.half_m1.val();
                self.idx.d.next = 0.into();
            }
        } else if self.cnt.q.val().any() {
            self.cnt.d.next = self.cnt.q.val() - 1;
        } else {
            self.cnt.d.next = self.full_m1.val();
            if !self.idx.q.val().any() {
                // The middle of the start bit: a high line was a glitch.
                if self.s2_n.q.val() {
                    self.idx.d.next = self.idx.q.val() + 1;
                } else {
                    self.busy.d.next = false;
                }
            } else if self.idx.q.val() == self.last_idx.val() {
                // The middle of the stop bit.
                self.busy.d.next = false;
                if self.s2_n.q.val() {
                    self.ferr_r.d.next = true;
                } else {
                    self.valid_r.d.next = true;
                    self.data_r.d.next = self.sh.q.val();
                }
            } else {
                // A data bit, least significant first.
                self.sh.d.next = self.sh.q.val() >> 1;
                if !self.s2_n.q.val() {
                    self.sh.d.next = (self.sh.q.val() >> 1) | self.top_bit.val();
                }
                self.idx.d.next = self.idx.q.val() + 1;
            }
        }
    }
}

/// 8N1 transmitter: `start` (while not `busy`) sends `data`; `busy` until the end of the
/// stop bit.
#[derive(LogicBlock)]
pub struct UartTx {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    pub start: Signal<In, Bit>,
    pub data: Signal<In, Bits<8>>,
    pub busy: Signal<Out, Bit>,
    /// The serial line (idle high).
    pub tx: Signal<Out, Bit>,
    busy_r: Reg<Bit>,
    line_n: Reg<Bit>,
    sh: Reg<Bits<9>>,
    left: Reg<Bits<4>>,
    cnt: Reg<Bits<16>>,
    frame: Signal<Local, Bits<9>>,
    stop_bit: Constant<Bits<9>>,
    full_m1: Constant<Bits<16>>,
    n_bits: Constant<Bits<4>>,
}

impl UartTx {
    pub(crate) fn new(clocks_per_bit: u32) -> Self {
        Self {
            clk: Default::default(),
            rst: Default::default(),
            start: Default::default(),
            data: Default::default(),
            busy: Default::default(),
            tx: Default::default(),
            busy_r: Default::default(),
            line_n: Default::default(),
            sh: Default::default(),
            left: Default::default(),
            cnt: Default::default(),
            frame: Default::default(),
            stop_bit: Constant::new(bits(0x100)),
            full_m1: Constant::new(bits((clocks_per_bit - 1) as u64)),
            n_bits: Constant::new(bits(9)),
        }
    }
}

impl Logic for UartTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clk, busy_r, line_n, sh, left, cnt);
        self.busy_r.rst.next = self.rst.val();
        self.line_n.rst.next = self.rst.val();
        self.sh.rst.next = self.rst.val();
        self.left.rst.next = self.rst.val();
        self.cnt.rst.next = self.rst.val();
        self.busy.next = self.busy_r.q.val();
        self.tx.next = !self.line_n.q.val();

        // Data bits then the stop bit (a one), least significant first.
        self.frame.next = bit_cast::<9, 8>(self.data.val()) | self.stop_bit.val();
        if !self.busy_r.q.val() {
            if self.start.val() {
                self.busy_r.d.next = true;
                self.line_n.d.next = true;
                self.sh.d.next = self.frame.val();
                self.left.d.next = self.n_bits.val();
                self.cnt.d.next = self.full_m1.val();
            }
        } else if self.cnt.q.val().any() {
            self.cnt.d.next = self.cnt.q.val() - 1;
        } else {
            self.cnt.d.next = self.full_m1.val();
            if self.left.q.val().any() {
                self.line_n.d.next = !self.sh.q.val().get_bit(0);
                self.sh.d.next = self.sh.q.val() >> 1;
                self.left.d.next = self.left.q.val() - 1;
            } else {
                self.busy_r.d.next = false;
            }
        }
    }
}
