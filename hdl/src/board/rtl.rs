//! `board_top`'s rust-hdl description (see the parent module for the protocol).

use super::uart::{UartRx, UartTx};
use super::BoardConfig;
use crate::pe::{EyerissPe, PeConfig};
use crate::rlc::RlcEncoder;
use crate::widgets::Reg;
use rust_hdl::prelude::*;

/// The UART bridge in front of the PE and the run-length encoder.
#[derive(LogicBlock)]
pub struct BoardTop {
    /// The board clock.
    pub clk: Signal<In, Clock>,
    /// The reset button, with the polarity the preset declares (synchronized inside).
    pub rst: Signal<In, Bit>,
    /// Serial data from the host (idle high).
    pub uart_rx: Signal<In, Bit>,
    /// Serial data to the host (idle high).
    pub uart_tx: Signal<Out, Bit>,
    /// Status LEDs (polarity per preset): heartbeat, PE busy, error, byte activity.
    pub led: Signal<Out, Bits<4>>,

    pe: EyerissPe,
    enc: RlcEncoder,
    urx: UartRx,
    utx: UartTx,

    // Reset: button synchronizer and power-on counter.
    btn_s1: Reg<Bit>,
    btn_s2: Reg<Bit>,
    por: Reg<Bits<4>>,
    soft: Reg<Bit>,
    // The bridge.
    state: Reg<Bits<4>>,
    cmd: Reg<Bits<8>>,
    need: Reg<Bits<3>>,
    count: Reg<Bits<8>>,
    wait: Reg<Bits<7>>,
    ibuf: Reg<Bits<48>>,
    obuf: Reg<Bits<64>>,
    ocnt: Reg<Bits<4>>,
    rx_err: Reg<Bit>,
    hb: Reg<Bits<24>>,
    act: Reg<Bit>,
    led_r: Reg<Bits<4>>,

    btn: Signal<Local, Bit>,
    no_rst: Signal<Local, Bit>,
    sys_rst: Signal<Local, Bit>,
    unit_rst: Signal<Local, Bit>,
    byte_in: Signal<Local, Bit>,
    rx_wide: Signal<Local, Bits<48>>,
    word: Signal<Local, Bits<16>>,
    status: Signal<Local, Bits<8>>,
    status_wide: Signal<Local, Bits<64>>,
    psum_wide: Signal<Local, Bits<64>>,
    macs_lo: Signal<Local, Bits<64>>,
    macs_hi: Signal<Local, Bits<64>>,
    push_ready: Signal<Local, Bit>,
    tx_go: Signal<Local, Bit>,
    led_v: Signal<Local, Bits<4>>,
    unused_ibuf: Signal<Local, Bits<48>>,
    unused_pe: Signal<Local, Bits<32>>,

    rst_active_low: Constant<Bit>,
    led_mask: Constant<Bits<4>>,
    // States.
    st_idle: Constant<Bits<4>>,
    st_args: Constant<Bits<4>>,
    st_word_rx: Constant<Bits<4>>,
    st_word_push: Constant<Bits<4>>,
    st_cfg_offer: Constant<Bits<4>>,
    st_cfg_wait: Constant<Bits<4>>,
    st_enc_cfg: Constant<Bits<4>>,
    st_read: Constant<Bits<4>>,
    st_settle: Constant<Bits<4>>,
    st_drain: Constant<Bits<4>>,
    st_resp: Constant<Bits<4>>,
    st_drain_word: Constant<Bits<4>>,
    // Command bytes.
    c_ping: Constant<Bits<8>>,
    c_status: Constant<Bits<8>>,
    c_reset: Constant<Bits<8>>,
    c_cfg: Constant<Bits<8>>,
    c_filt: Constant<Bits<8>>,
    c_ifmap: Constant<Bits<8>>,
    c_psum: Constant<Bits<8>>,
    c_out: Constant<Bits<8>>,
    c_counters: Constant<Bits<8>>,
    c_enc_n: Constant<Bits<8>>,
    c_enc_v: Constant<Bits<8>>,
    c_enc_w: Constant<Bits<8>>,
    // Responses.
    r_ping: Constant<Bits<64>>,
    r_nak: Constant<Bits<64>>,
    r_frame: Constant<Bits<64>>,
    s_cfg_err: Constant<Bits<8>>,
    s_pe_busy: Constant<Bits<8>>,
    s_rx_err: Constant<Bits<8>>,
    s_enc_busy: Constant<Bits<8>>,
    l0: Constant<Bits<4>>,
    l1: Constant<Bits<4>>,
    l2: Constant<Bits<4>>,
    l3: Constant<Bits<4>>,
    status_tag: Constant<Bits<8>>,
    cfg_wait: Constant<Bits<7>>,
    settle_wait: Constant<Bits<7>>,
}

/// Builds the board top for a board configuration, connected and ready to emit or simulate.
pub(crate) fn build(board: &BoardConfig) -> BoardTop {
    let c = |v: u8| Constant::new(bits(v as u64));
    let st = |v: u64| Constant::new(bits(v));
    let mut uut = BoardTop {
        clk: Default::default(),
        rst: Default::default(),
        uart_rx: Default::default(),
        uart_tx: Default::default(),
        led: Default::default(),
        pe: crate::pe::build_rtl(&PeConfig::eyeriss_v1()),
        enc: crate::rlc::build_encoder(),
        urx: UartRx::new(board.clocks_per_bit()),
        utx: UartTx::new(board.clocks_per_bit()),
        btn_s1: Default::default(),
        btn_s2: Default::default(),
        por: Default::default(),
        soft: Default::default(),
        state: Default::default(),
        cmd: Default::default(),
        need: Default::default(),
        count: Default::default(),
        wait: Default::default(),
        ibuf: Default::default(),
        obuf: Default::default(),
        ocnt: Default::default(),
        rx_err: Default::default(),
        hb: Default::default(),
        act: Default::default(),
        led_r: Default::default(),
        btn: Default::default(),
        no_rst: Default::default(),
        sys_rst: Default::default(),
        unit_rst: Default::default(),
        byte_in: Default::default(),
        rx_wide: Default::default(),
        word: Default::default(),
        status: Default::default(),
        status_wide: Default::default(),
        psum_wide: Default::default(),
        macs_lo: Default::default(),
        macs_hi: Default::default(),
        push_ready: Default::default(),
        tx_go: Default::default(),
        led_v: Default::default(),
        unused_ibuf: Default::default(),
        unused_pe: Default::default(),
        rst_active_low: Constant::new(board.rst_active_low),
        led_mask: Constant::new(bits(board.led_active_low as u64)),
        st_idle: st(0),
        st_args: st(1),
        st_word_rx: st(2),
        st_word_push: st(3),
        st_cfg_offer: st(4),
        st_cfg_wait: st(5),
        st_enc_cfg: st(6),
        st_read: st(7),
        st_settle: st(8),
        st_drain: st(9),
        st_resp: st(10),
        st_drain_word: st(11),
        c_ping: c(super::cmd::PING),
        c_status: c(super::cmd::STATUS),
        c_reset: c(super::cmd::RESET),
        c_cfg: c(super::cmd::PE_CONFIG),
        c_filt: c(super::cmd::PE_FILTERS),
        c_ifmap: c(super::cmd::PE_IFMAP),
        c_psum: c(super::cmd::PE_PSUM_IN),
        c_out: c(super::cmd::PE_PSUM_OUT),
        c_counters: c(super::cmd::PE_COUNTERS),
        c_enc_n: c(super::cmd::ENC_START),
        c_enc_v: c(super::cmd::ENC_VALUES),
        c_enc_w: c(super::cmd::ENC_WORDS),
        r_ping: Constant::new(bits(super::resp::PING as u64)),
        r_nak: Constant::new(bits(super::resp::NAK as u64)),
        r_frame: Constant::new(bits(super::resp::WORD_FOLLOWS as u64)),
        status_tag: c(super::resp::STATUS_TAG),
        s_cfg_err: c(super::resp::STATUS_PE_CFG_ERROR),
        s_pe_busy: c(super::resp::STATUS_PE_BUSY),
        s_rx_err: c(super::resp::STATUS_RX_ERROR),
        s_enc_busy: c(super::resp::STATUS_ENC_BUSY),
        l0: Constant::new(bits(1)),
        l1: Constant::new(bits(2)),
        l2: Constant::new(bits(4)),
        l3: Constant::new(bits(8)),
        cfg_wait: Constant::new(bits(100)),
        settle_wait: Constant::new(bits(16)),
    };
    uut.connect_all();
    uut
}

// The bridge reads best as `if state == X { if event { .. } }`.
#[allow(clippy::collapsible_if)]
impl Logic for BoardTop {
    #[hdl_gen]
    fn update(&mut self) {
        // Reset: the button (any polarity) through two flops; the power-on counter holds the
        // design in reset for 8 cycles after configuration or a press.
        dff_setup!(
            self, clk, btn_s1, btn_s2, por, soft, state, cmd, need, count, wait, ibuf, obuf, ocnt,
            rx_err, hb, act, led_r
        );
        self.no_rst.next = false;
        self.btn.next = self.rst.val() ^ self.rst_active_low.val();
        self.btn_s1.rst.next = self.no_rst.val();
        self.btn_s2.rst.next = self.no_rst.val();
        self.btn_s1.d.next = self.btn.val();
        self.btn_s2.d.next = self.btn_s1.q.val();
        self.por.rst.next = self.btn_s2.q.val();
        if !self.por.q.val().get_bit(3) {
            self.por.d.next = self.por.q.val() + 1;
        }
        self.sys_rst.next = !self.por.q.val().get_bit(3);
        self.unit_rst.next = self.sys_rst.val() | self.soft.q.val();
        self.soft.rst.next = self.sys_rst.val();
        self.state.rst.next = self.sys_rst.val();
        self.cmd.rst.next = self.sys_rst.val();
        self.need.rst.next = self.sys_rst.val();
        self.count.rst.next = self.sys_rst.val();
        self.wait.rst.next = self.sys_rst.val();
        self.ibuf.rst.next = self.sys_rst.val();
        self.obuf.rst.next = self.sys_rst.val();
        self.ocnt.rst.next = self.sys_rst.val();
        self.rx_err.rst.next = self.sys_rst.val();
        self.hb.rst.next = self.sys_rst.val();
        self.act.rst.next = self.sys_rst.val();
        self.led_r.rst.next = self.sys_rst.val();
        self.pe.clk.next = self.clk.val();
        self.pe.rst.next = self.unit_rst.val();
        self.enc.clk.next = self.clk.val();
        self.enc.rst.next = self.unit_rst.val();
        self.urx.clk.next = self.clk.val();
        self.urx.rst.next = self.sys_rst.val();
        self.utx.clk.next = self.clk.val();
        self.utx.rst.next = self.sys_rst.val();

        // Serial lines.
        self.urx.rx.next = self.uart_rx.val();
        self.uart_tx.next = self.utx.tx.val();
        self.byte_in.next = self.urx.valid.val();
        self.rx_wide.next = bit_cast::<48, 8>(self.urx.data.val());
        self.word.next = self.ibuf.q.val().get_bits::<16>(32);
        self.soft.d.next = false;

        // Status: 0xA0 | enc busy << 3 | rx error << 2 | PE busy << 1 | PE cfg_error.
        self.status.next = self.status_tag.val();
        if self.pe.cfg_error.val() {
            self.status.next = self.status.val() | self.s_cfg_err.val();
        }
        if self.pe.busy.val() {
            self.status.next = self.status.val() | self.s_pe_busy.val();
        }
        if self.rx_err.q.val() {
            self.status.next = self.status.val() | self.s_rx_err.val();
        }
        if self.enc.busy.val() {
            self.status.next = self.status.val() | self.s_enc_busy.val();
        }
        self.status_wide.next = bit_cast::<64, 8>(self.status.val());
        self.psum_wide.next = bit_cast::<64, 16>(self.pe.psum_out_data.val());
        self.macs_lo.next = bit_cast::<64, 32>(self.pe.macs.val());
        self.macs_hi.next = bit_cast::<64, 32>(self.pe.macs_gated.val()) << 32;

        // The output buffer: its low byte goes out whenever the transmitter is free.
        self.tx_go.next = self.ocnt.q.val().any() & !self.utx.busy.val();
        self.utx.start.next = self.tx_go.val();
        self.utx.data.next = self.obuf.q.val().get_bits::<8>(0);
        if self.tx_go.val() {
            self.obuf.d.next = self.obuf.q.val() >> 8;
            self.ocnt.d.next = self.ocnt.q.val() - 1;
        }

        // Unit ports, quiet unless a state below drives them.
        self.pe.cfg_valid.next = false;
        self.pe.cfg_s.next = self.ibuf.q.val().get_bits::<4>(0);
        self.pe.cfg_u.next = self.ibuf.q.val().get_bits::<4>(8);
        self.pe.cfg_p.next = self.ibuf.q.val().get_bits::<5>(16);
        self.pe.cfg_q.next = self.ibuf.q.val().get_bits::<4>(24);
        self.pe.cfg_e.next = self.ibuf.q.val().get_bits::<8>(32);
        self.pe.cfg_shift.next = self.ibuf.q.val().get_bits::<5>(40);
        self.pe.filt_valid.next = false;
        self.pe.filt_data.next = self.word.val();
        self.pe.ifmap_valid.next = false;
        self.pe.ifmap_data.next = self.word.val();
        self.pe.psum_in_valid.next = false;
        self.pe.psum_in_data.next = self.word.val();
        self.pe.psum_out_ready.next = false;
        self.enc.cfg_valid.next = false;
        self.enc.cfg_n.next = bit_cast::<32, 16>(self.word.val());
        self.enc.in_valid.next = false;
        self.enc.in_data.next = self.word.val();
        self.enc.out_ready.next = false;
        self.push_ready.next = false;
        if self.cmd.q.val() == self.c_filt.val() {
            self.push_ready.next = self.pe.filt_ready.val();
        }
        if self.cmd.q.val() == self.c_ifmap.val() {
            self.push_ready.next = self.pe.ifmap_ready.val();
        }
        if self.cmd.q.val() == self.c_psum.val() {
            self.push_ready.next = self.pe.psum_in_ready.val();
        }
        if self.cmd.q.val() == self.c_enc_v.val() {
            self.push_ready.next = self.enc.in_ready.val();
        }
        // Counters the protocol does not report (named for lint: deliberately unused).
        self.unused_pe.next = self.pe.filt_spad_reads.val()
            ^ self.pe.filt_spad_writes.val()
            ^ self.pe.ifmap_spad_reads.val()
            ^ self.pe.ifmap_spad_writes.val()
            ^ self.pe.psum_spad_reads.val()
            ^ self.pe.psum_spad_writes.val()
            ^ self.enc.words_out.val();
        self.unused_ibuf.next = self.ibuf.q.val();

        // A byte that arrives while the bridge is not listening, or a broken frame, is an
        // error the status reports until reset.
        if self.urx.frame_err.val() {
            self.rx_err.d.next = true;
        }
        if self.byte_in.val()
            & (self.state.q.val() != self.st_idle.val())
            & (self.state.q.val() != self.st_args.val())
            & (self.state.q.val() != self.st_word_rx.val())
        {
            self.rx_err.d.next = true;
        }
        if self.byte_in.val() {
            self.act.d.next = !self.act.q.val();
        }

        // The command interpreter.
        if self.state.q.val() == self.st_idle.val() {
            if self.byte_in.val() {
                self.cmd.d.next = self.urx.data.val();
                self.obuf.d.next = self.r_nak.val();
                self.ocnt.d.next = 1.into();
                self.state.d.next = self.st_resp.val();
                if self.urx.data.val() == self.c_ping.val() {
                    self.obuf.d.next = self.r_ping.val();
                }
                if self.urx.data.val() == self.c_status.val() {
                    self.obuf.d.next = self.status_wide.val();
                }
                if self.urx.data.val() == self.c_reset.val() {
                    self.soft.d.next = true;
                    self.rx_err.d.next = false;
                    self.obuf.d.next = self.r_ping.val();
                }
                if self.urx.data.val() == self.c_counters.val() {
                    self.obuf.d.next = self.macs_lo.val() | self.macs_hi.val();
                    self.ocnt.d.next = 8.into();
                }
                if self.urx.data.val() == self.c_cfg.val() {
                    self.ocnt.d.next = 0.into();
                    self.need.d.next = 6.into();
                    self.state.d.next = self.st_args.val();
                }
                if self.urx.data.val() == self.c_enc_n.val() {
                    self.ocnt.d.next = 0.into();
                    self.need.d.next = 2.into();
                    self.state.d.next = self.st_args.val();
                }
                if (self.urx.data.val() == self.c_filt.val())
                    | (self.urx.data.val() == self.c_ifmap.val())
                    | (self.urx.data.val() == self.c_psum.val())
                    | (self.urx.data.val() == self.c_enc_v.val())
                    | (self.urx.data.val() == self.c_out.val())
                {
                    self.ocnt.d.next = 0.into();
                    self.need.d.next = 1.into();
                    self.state.d.next = self.st_args.val();
                }
                if self.urx.data.val() == self.c_enc_w.val() {
                    self.ocnt.d.next = 0.into();
                    self.wait.d.next = self.settle_wait.val();
                    self.state.d.next = self.st_settle.val();
                }
            }
        }
        if self.state.q.val() == self.st_args.val() {
            if self.byte_in.val() {
                self.ibuf.d.next = (self.ibuf.q.val() >> 8) | (self.rx_wide.val() << 40);
                self.need.d.next = self.need.q.val() - 1;
                if self.need.q.val() == 1 {
                    self.count.d.next = self.urx.data.val();
                    if self.cmd.q.val() == self.c_cfg.val() {
                        self.state.d.next = self.st_cfg_offer.val();
                    } else if self.cmd.q.val() == self.c_enc_n.val() {
                        self.state.d.next = self.st_enc_cfg.val();
                    } else if !self.urx.data.val().any() {
                        // A count of zero: nothing to move; writes still answer.
                        self.state.d.next = self.st_resp.val();
                        if self.cmd.q.val() != self.c_out.val() {
                            self.obuf.d.next = self.status_wide.val();
                            self.ocnt.d.next = 1.into();
                        }
                    } else if self.cmd.q.val() == self.c_out.val() {
                        self.state.d.next = self.st_read.val();
                    } else {
                        self.need.d.next = 2.into();
                        self.state.d.next = self.st_word_rx.val();
                    }
                }
            }
        }
        if self.state.q.val() == self.st_word_rx.val() {
            if self.byte_in.val() {
                self.ibuf.d.next = (self.ibuf.q.val() >> 8) | (self.rx_wide.val() << 40);
                self.need.d.next = self.need.q.val() - 1;
                if self.need.q.val() == 1 {
                    self.state.d.next = self.st_word_push.val();
                }
            }
        }
        if self.state.q.val() == self.st_word_push.val() {
            if self.cmd.q.val() == self.c_filt.val() {
                self.pe.filt_valid.next = true;
            }
            if self.cmd.q.val() == self.c_ifmap.val() {
                self.pe.ifmap_valid.next = true;
            }
            if self.cmd.q.val() == self.c_psum.val() {
                self.pe.psum_in_valid.next = true;
            }
            if self.cmd.q.val() == self.c_enc_v.val() {
                self.enc.in_valid.next = true;
            }
            if self.push_ready.val() {
                self.count.d.next = self.count.q.val() - 1;
                self.need.d.next = 2.into();
                self.state.d.next = self.st_word_rx.val();
                if self.count.q.val() == 1 {
                    self.obuf.d.next = self.status_wide.val();
                    self.ocnt.d.next = 1.into();
                    self.state.d.next = self.st_resp.val();
                }
            }
        }
        if self.state.q.val() == self.st_cfg_offer.val() {
            self.pe.cfg_valid.next = true;
            if self.pe.cfg_ready.val() {
                self.wait.d.next = self.cfg_wait.val();
                self.state.d.next = self.st_cfg_wait.val();
            }
        }
        if self.state.q.val() == self.st_cfg_wait.val() {
            self.wait.d.next = self.wait.q.val() - 1;
            if !self.wait.q.val().any() {
                self.obuf.d.next = self.status_wide.val();
                self.ocnt.d.next = 1.into();
                self.state.d.next = self.st_resp.val();
            }
        }
        if self.state.q.val() == self.st_enc_cfg.val() {
            self.enc.cfg_valid.next = true;
            if self.enc.cfg_ready.val() {
                self.wait.d.next = self.settle_wait.val();
                self.state.d.next = self.st_cfg_wait.val();
            }
        }
        if self.state.q.val() == self.st_read.val() {
            if !self.ocnt.q.val().any() & self.pe.psum_out_valid.val() {
                self.pe.psum_out_ready.next = true;
                self.obuf.d.next = self.psum_wide.val();
                self.ocnt.d.next = 2.into();
                self.count.d.next = self.count.q.val() - 1;
                if self.count.q.val() == 1 {
                    self.state.d.next = self.st_resp.val();
                }
            }
        }
        if self.state.q.val() == self.st_settle.val() {
            self.wait.d.next = self.wait.q.val() - 1;
            if !self.wait.q.val().any() {
                self.state.d.next = self.st_drain.val();
            }
        }
        if self.state.q.val() == self.st_drain.val() {
            if !self.ocnt.q.val().any() {
                if self.enc.out_valid.val() {
                    // A word follows: its marker, then (next state) the word.
                    self.obuf.d.next = self.r_frame.val();
                    self.ocnt.d.next = 1.into();
                    self.state.d.next = self.st_drain_word.val();
                } else {
                    self.obuf.d.next = 0.into();
                    self.ocnt.d.next = 1.into();
                    self.state.d.next = self.st_resp.val();
                }
            }
        }
        if self.state.q.val() == self.st_drain_word.val() {
            if !self.ocnt.q.val().any() {
                self.enc.out_ready.next = true;
                self.obuf.d.next = self.enc.out_data.val();
                self.ocnt.d.next = 8.into();
                self.state.d.next = self.st_drain.val();
            }
        }
        if self.state.q.val() == self.st_resp.val() {
            if !self.ocnt.q.val().any() {
                self.state.d.next = self.st_idle.val();
            }
        }

        // LEDs: heartbeat, PE busy, error, activity; registered, polarity per board.
        self.hb.d.next = self.hb.q.val() + 1;
        self.led_v.next = 0.into();
        if self.hb.q.val().get_bit(23) {
            self.led_v.next = self.led_v.val() | self.l0.val();
        }
        if self.pe.busy.val() {
            self.led_v.next = self.led_v.val() | self.l1.val();
        }
        if self.pe.cfg_error.val() | self.rx_err.q.val() {
            self.led_v.next = self.led_v.val() | self.l2.val();
        }
        if self.act.q.val() {
            self.led_v.next = self.led_v.val() | self.l3.val();
        }
        self.led_r.d.next = self.led_v.val() ^ self.led_mask.val();
        self.led.next = self.led_r.q.val();
    }
}

crate::sim::sim_ports!(
    BoardTop,
    clock: clk,
    inputs: [rst, uart_rx],
    outputs: [uart_tx, led]
);
