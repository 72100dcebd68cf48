//! `board_top`'s rust-hdl description (see the parent module for the protocol).

use super::uart::{UartRx, UartTx};
use super::BoardConfig;
use crate::pe::{EyerissPe, PeConfig};
use crate::rlc::{RlcDecoder, RlcEncoder};
use crate::widgets::Reg;
use rust_hdl::prelude::*;

/// The UART bridge in front of the PE and the run-length encoder and decoder.
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
    /// Counts in 16 bits: the protocol's N is a u16.
    dec: RlcDecoder<16, 17>,
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
    need: Reg<Bits<4>>,
    count: Reg<Bits<8>>,
    wait: Reg<Bits<7>>,
    // The byte buffer: bytes received shift in at the top (the payload of a command ends up
    // in its high bytes), bytes to send go out at the bottom. The protocol never does both
    // at once, so one register serves both directions.
    buf: Reg<Bits<64>>,
    ocnt: Reg<Bits<4>>,
    rx_err: Reg<Bit>,
    hb: Reg<Bits<24>>,
    act: Reg<Bit>,
    led_r: Reg<Bits<4>>,

    btn: Signal<Local, Bit>,
    no_rst: Signal<Local, Bit>,
    sys_rst: Signal<Local, Bit>,
    unit_rst: Signal<Local, Bit>,
    enc_rst: Signal<Local, Bit>,
    dec_rst: Signal<Local, Bit>,
    restart: Signal<Local, Bit>,
    byte_in: Signal<Local, Bit>,
    rx_top: Signal<Local, Bits<64>>,
    shifted: Signal<Local, Bits<64>>,
    word: Signal<Local, Bits<16>>,
    to_enc: Signal<Local, Bit>,
    item_bytes: Signal<Local, Bits<4>>,
    stream_ready: Signal<Local, Bit>,
    drain_valid: Signal<Local, Bit>,
    drain_end: Signal<Local, Bits<64>>,
    dec_state: Signal<Local, Bits<8>>,
    value_wide: Signal<Local, Bits<64>>,
    status: Signal<Local, Bits<8>>,
    status_wide: Signal<Local, Bits<64>>,
    psum_wide: Signal<Local, Bits<64>>,
    macs_lo: Signal<Local, Bits<64>>,
    macs_hi: Signal<Local, Bits<64>>,
    push_ready: Signal<Local, Bit>,
    tx_go: Signal<Local, Bit>,
    led_v: Signal<Local, Bits<4>>,
    unused_buf: Signal<Local, Bits<16>>,
    unused_counters: Signal<Local, Bits<32>>,

    rst_active_low: Constant<Bit>,
    led_mask: Constant<Bits<4>>,
    // States.
    st_idle: Constant<Bits<4>>,
    st_args: Constant<Bits<4>>,
    st_word_rx: Constant<Bits<4>>,
    st_word_push: Constant<Bits<4>>,
    st_cfg_offer: Constant<Bits<4>>,
    st_cfg_wait: Constant<Bits<4>>,
    st_stream_cfg: Constant<Bits<4>>,
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
    c_dec_n: Constant<Bits<8>>,
    c_dec_u: Constant<Bits<8>>,
    c_dec_r: Constant<Bits<8>>,
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
    dec_tag: Constant<Bits<8>>,
    d_busy: Constant<Bits<8>>,
    d_done: Constant<Bits<8>>,
    word_bytes: Constant<Bits<4>>,
    value_bytes: Constant<Bits<4>>,
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
        dec: crate::rlc::build_decoder(),
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
        buf: Default::default(),
        ocnt: Default::default(),
        rx_err: Default::default(),
        hb: Default::default(),
        act: Default::default(),
        led_r: Default::default(),
        btn: Default::default(),
        no_rst: Default::default(),
        sys_rst: Default::default(),
        unit_rst: Default::default(),
        enc_rst: Default::default(),
        dec_rst: Default::default(),
        restart: Default::default(),
        byte_in: Default::default(),
        rx_top: Default::default(),
        shifted: Default::default(),
        word: Default::default(),
        to_enc: Default::default(),
        item_bytes: Default::default(),
        stream_ready: Default::default(),
        drain_valid: Default::default(),
        drain_end: Default::default(),
        dec_state: Default::default(),
        value_wide: Default::default(),
        status: Default::default(),
        status_wide: Default::default(),
        psum_wide: Default::default(),
        macs_lo: Default::default(),
        macs_hi: Default::default(),
        push_ready: Default::default(),
        tx_go: Default::default(),
        led_v: Default::default(),
        unused_buf: Default::default(),
        unused_counters: Default::default(),
        rst_active_low: Constant::new(board.rst_active_low),
        led_mask: Constant::new(bits(board.led_active_low as u64)),
        st_idle: st(0),
        st_args: st(1),
        st_word_rx: st(2),
        st_word_push: st(3),
        st_cfg_offer: st(4),
        st_cfg_wait: st(5),
        st_stream_cfg: st(6),
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
        c_dec_n: c(super::cmd::DEC_START),
        c_dec_u: c(super::cmd::DEC_WORDS),
        c_dec_r: c(super::cmd::DEC_VALUES),
        r_ping: Constant::new(bits(super::resp::PING as u64)),
        r_nak: Constant::new(bits(super::resp::NAK as u64)),
        r_frame: Constant::new(bits(super::resp::WORD_FOLLOWS as u64)),
        status_tag: c(super::resp::STATUS_TAG),
        dec_tag: c(super::resp::DEC_TAG),
        d_busy: c(super::resp::DEC_BUSY),
        d_done: c(super::resp::DEC_DONE),
        word_bytes: Constant::new(bits(8)),
        value_bytes: Constant::new(bits(2)),
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
        // Reset: the button (any polarity) through two flops, which have no reset of their own
        // (`no_rst`: the emitter writes them without one); the power-on counter holds the
        // design in reset for 8 cycles after configuration (it starts at 0: the emitter gives
        // `por*` registers an `initial` zero, as FPGA flip-flops power up) or a press.
        dff_setup!(
            self, clk, btn_s1, btn_s2, por, soft, state, cmd, need, count, wait, buf, ocnt, rx_err,
            hb, act, led_r
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
        self.buf.rst.next = self.sys_rst.val();
        self.ocnt.rst.next = self.sys_rst.val();
        self.rx_err.rst.next = self.sys_rst.val();
        self.hb.rst.next = self.sys_rst.val();
        self.act.rst.next = self.sys_rst.val();
        self.led_r.rst.next = self.sys_rst.val();
        self.pe.clk.next = self.clk.val();
        self.pe.rst.next = self.unit_rst.val();
        self.enc.clk.next = self.clk.val();
        self.dec.clk.next = self.clk.val();
        self.urx.clk.next = self.clk.val();
        self.urx.rst.next = self.sys_rst.val();
        self.utx.clk.next = self.clk.val();
        self.utx.rst.next = self.sys_rst.val();

        // Serial lines. A byte received shifts into the top of the buffer.
        self.urx.rx.next = self.uart_rx.val();
        self.uart_tx.next = self.utx.tx.val();
        self.byte_in.next = self.urx.valid.val();
        self.rx_top.next = bit_cast::<64, 8>(self.urx.data.val()) << 56;
        self.shifted.next = (self.buf.q.val() >> 8) | self.rx_top.val();
        self.word.next = self.buf.q.val().get_bits::<16>(48);
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
        // The decoder's state: 0xD0 | busy << 3 | done << 2 | error_kind.
        self.dec_state.next = self.dec_tag.val() | bit_cast::<8, 2>(self.dec.error_kind.val());
        if self.dec.busy.val() {
            self.dec_state.next = self.dec_state.val() | self.d_busy.val();
        }
        if self.dec.done.val() {
            self.dec_state.next = self.dec_state.val() | self.d_done.val();
        }
        self.psum_wide.next = bit_cast::<64, 16>(self.pe.psum_out_data.val());
        self.value_wide.next = bit_cast::<64, 16>(self.dec.out_data.val());
        self.macs_lo.next = bit_cast::<64, 32>(self.pe.macs.val());
        self.macs_hi.next = bit_cast::<64, 32>(self.pe.macs_gated.val()) << 32;

        // The buffer's low byte goes out whenever the transmitter is free.
        self.tx_go.next = self.ocnt.q.val().any() & !self.utx.busy.val();
        self.utx.start.next = self.tx_go.val();
        self.utx.data.next = self.buf.q.val().get_bits::<8>(0);
        if self.tx_go.val() {
            self.buf.d.next = self.shifted.val();
            self.ocnt.d.next = self.ocnt.q.val() - 1;
        }

        // Unit ports, quiet unless a state below drives them. A payload of k bytes sits in
        // the top k bytes of the buffer: the PE configuration's six from bit 16, a word or a
        // count N in bits 63:48, a coded word in all 64.
        self.pe.cfg_valid.next = false;
        self.pe.cfg_s.next = self.buf.q.val().get_bits::<4>(16);
        self.pe.cfg_u.next = self.buf.q.val().get_bits::<4>(24);
        self.pe.cfg_p.next = self.buf.q.val().get_bits::<5>(32);
        self.pe.cfg_q.next = self.buf.q.val().get_bits::<4>(40);
        self.pe.cfg_e.next = self.buf.q.val().get_bits::<8>(48);
        self.pe.cfg_shift.next = self.buf.q.val().get_bits::<5>(56);
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
        self.dec.cfg_valid.next = false;
        self.dec.cfg_n.next = self.word.val();
        self.dec.in_valid.next = false;
        self.dec.in_data.next = self.buf.q.val();
        self.dec.out_ready.next = false;
        // Which compressor a stream command (N/V/W or D/U/R) is for, and what moves.
        self.to_enc.next = (self.cmd.q.val() == self.c_enc_n.val())
            | (self.cmd.q.val() == self.c_enc_v.val())
            | (self.cmd.q.val() == self.c_enc_w.val());
        self.item_bytes.next = self.value_bytes.val();
        if self.cmd.q.val() == self.c_dec_u.val() {
            self.item_bytes.next = self.word_bytes.val();
        }
        self.stream_ready.next = self.dec.cfg_ready.val();
        self.drain_valid.next = self.dec.out_valid.val();
        self.drain_end.next = bit_cast::<64, 8>(self.dec_state.val());
        if self.to_enc.val() {
            self.stream_ready.next = self.enc.cfg_ready.val();
            self.drain_valid.next = self.enc.out_valid.val();
            self.drain_end.next = 0.into();
        }
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
        if self.cmd.q.val() == self.c_dec_u.val() {
            // A decoder that has finished takes no more words: they are dropped.
            self.push_ready.next = self.dec.in_ready.val() | !self.dec.busy.val();
        }
        // `N` or `D` finding its compressor busy with a stream (one the host abandoned)
        // restarts it: the stream command never waits forever.
        self.restart.next = (self.state.q.val() == self.st_stream_cfg.val()) & !self.stream_ready.val();
        self.enc_rst.next = self.unit_rst.val() | (self.restart.val() & self.to_enc.val());
        self.dec_rst.next = self.unit_rst.val() | (self.restart.val() & !self.to_enc.val());
        self.enc.rst.next = self.enc_rst.val();
        self.dec.rst.next = self.dec_rst.val();
        // Counters and bits the protocol does not report (named for lint: deliberately unused).
        self.unused_counters.next = self.pe.filt_spad_reads.val()
            ^ self.pe.filt_spad_writes.val()
            ^ self.pe.ifmap_spad_reads.val()
            ^ self.pe.ifmap_spad_writes.val()
            ^ self.pe.psum_spad_reads.val()
            ^ self.pe.psum_spad_writes.val()
            ^ self.enc.words_out.val()
            ^ self.dec.words_in.val()
            ^ self.dec.values_out.val();
        self.unused_buf.next = self.buf.q.val().get_bits::<16>(0);

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
                self.buf.d.next = self.r_nak.val();
                self.ocnt.d.next = 1.into();
                self.state.d.next = self.st_resp.val();
                if self.urx.data.val() == self.c_ping.val() {
                    self.buf.d.next = self.r_ping.val();
                }
                if self.urx.data.val() == self.c_status.val() {
                    self.buf.d.next = self.status_wide.val();
                }
                if self.urx.data.val() == self.c_reset.val() {
                    self.soft.d.next = true;
                    self.rx_err.d.next = false;
                    self.buf.d.next = self.r_ping.val();
                }
                if self.urx.data.val() == self.c_counters.val() {
                    self.buf.d.next = self.macs_lo.val() | self.macs_hi.val();
                    self.ocnt.d.next = 8.into();
                }
                if self.urx.data.val() == self.c_cfg.val() {
                    self.ocnt.d.next = 0.into();
                    self.need.d.next = 6.into();
                    self.state.d.next = self.st_args.val();
                }
                if (self.urx.data.val() == self.c_enc_n.val()) | (self.urx.data.val() == self.c_dec_n.val()) {
                    self.ocnt.d.next = 0.into();
                    self.need.d.next = 2.into();
                    self.state.d.next = self.st_args.val();
                }
                if (self.urx.data.val() == self.c_filt.val())
                    | (self.urx.data.val() == self.c_ifmap.val())
                    | (self.urx.data.val() == self.c_psum.val())
                    | (self.urx.data.val() == self.c_enc_v.val())
                    | (self.urx.data.val() == self.c_dec_u.val())
                    | (self.urx.data.val() == self.c_out.val())
                {
                    self.ocnt.d.next = 0.into();
                    self.need.d.next = 1.into();
                    self.state.d.next = self.st_args.val();
                }
                if (self.urx.data.val() == self.c_enc_w.val()) | (self.urx.data.val() == self.c_dec_r.val()) {
                    self.ocnt.d.next = 0.into();
                    self.wait.d.next = self.settle_wait.val();
                    self.state.d.next = self.st_settle.val();
                }
            }
        }
        // Payload bytes: the arguments, then (for writes) the items, each `item_bytes` long.
        if (self.state.q.val() == self.st_args.val()) | (self.state.q.val() == self.st_word_rx.val()) {
            if self.byte_in.val() {
                self.buf.d.next = self.shifted.val();
                self.need.d.next = self.need.q.val() - 1;
            }
        }
        if self.state.q.val() == self.st_args.val() {
            if self.byte_in.val() & (self.need.q.val() == 1) {
                self.count.d.next = self.urx.data.val();
                if self.cmd.q.val() == self.c_cfg.val() {
                    self.state.d.next = self.st_cfg_offer.val();
                } else if (self.cmd.q.val() == self.c_enc_n.val()) | (self.cmd.q.val() == self.c_dec_n.val()) {
                    self.state.d.next = self.st_stream_cfg.val();
                } else if !self.urx.data.val().any() {
                    // A count of zero: nothing to move; writes still answer.
                    self.state.d.next = self.st_resp.val();
                    if self.cmd.q.val() != self.c_out.val() {
                        self.buf.d.next = self.status_wide.val();
                        self.ocnt.d.next = 1.into();
                    }
                } else if self.cmd.q.val() == self.c_out.val() {
                    self.state.d.next = self.st_read.val();
                } else {
                    self.need.d.next = self.item_bytes.val();
                    self.state.d.next = self.st_word_rx.val();
                }
            }
        }
        if self.state.q.val() == self.st_word_rx.val() {
            if self.byte_in.val() & (self.need.q.val() == 1) {
                self.state.d.next = self.st_word_push.val();
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
            if self.cmd.q.val() == self.c_dec_u.val() {
                self.dec.in_valid.next = true;
            }
            if self.push_ready.val() {
                self.count.d.next = self.count.q.val() - 1;
                self.need.d.next = self.item_bytes.val();
                self.state.d.next = self.st_word_rx.val();
                if self.count.q.val() == 1 {
                    self.buf.d.next = self.status_wide.val();
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
                self.buf.d.next = self.status_wide.val();
                self.ocnt.d.next = 1.into();
                self.state.d.next = self.st_resp.val();
            }
        }
        if self.state.q.val() == self.st_stream_cfg.val() {
            // N or D: offered to the compressor, which restarts if it is not idle.
            if self.to_enc.val() {
                self.enc.cfg_valid.next = true;
            } else {
                self.dec.cfg_valid.next = true;
            }
            if self.stream_ready.val() {
                self.wait.d.next = self.settle_wait.val();
                self.state.d.next = self.st_cfg_wait.val();
            }
        }
        if self.state.q.val() == self.st_read.val() {
            if !self.ocnt.q.val().any() & self.pe.psum_out_valid.val() {
                self.pe.psum_out_ready.next = true;
                self.buf.d.next = self.psum_wide.val();
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
        // W and R: what the compressor's output FIFO holds, each item after a marker.
        if self.state.q.val() == self.st_drain.val() {
            if !self.ocnt.q.val().any() {
                self.ocnt.d.next = 1.into();
                if self.drain_valid.val() {
                    // An item follows: its marker, then (next state) the item.
                    self.buf.d.next = self.r_frame.val();
                    self.state.d.next = self.st_drain_word.val();
                } else {
                    self.buf.d.next = self.drain_end.val();
                    self.state.d.next = self.st_resp.val();
                }
            }
        }
        if self.state.q.val() == self.st_drain_word.val() {
            if !self.ocnt.q.val().any() {
                self.state.d.next = self.st_drain.val();
                if self.to_enc.val() {
                    self.enc.out_ready.next = true;
                    self.buf.d.next = self.enc.out_data.val();
                    self.ocnt.d.next = 8.into();
                } else {
                    self.dec.out_ready.next = true;
                    self.buf.d.next = self.value_wide.val();
                    self.ocnt.d.next = 2.into();
                }
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
        if self.pe.cfg_error.val() | self.dec.error.val() | self.rx_err.q.val() {
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
