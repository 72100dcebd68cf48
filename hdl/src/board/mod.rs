//! `board_top`: the PE and the run-length encoder and decoder behind a UART, for a real board.
//!
//! A host talks to the board over the board's USB-UART at 115200 baud, 8N1 (8 data bits, no
//! parity, one stop bit, least significant bit first). The board top holds a UART receiver
//! and transmitter ([`uart`]), a byte-protocol bridge, one `eyeriss_pe`, one `rlc_encoder`
//! and one `rlc_decoder` (the same rust-hdl descriptions as the units of those names), a
//! power-on reset and four status LEDs.
//!
//! # Presets
//!
//! | preset | clock | clocks a bit | `rst` | for |
//! |---|---|---|---|---|
//! | `sim` (default) | 921.6 kHz | 8 | active high | Verilator co-simulation: a UART bit is 8 cycles |
//! | `icebreaker` | 12 MHz | 104 (115384 baud, +0.16%) | active low (BTN_N) | iCEBreaker, `constraints/icebreaker.pcf` |
//! | `hx8k` | 12 MHz | 104 | active low (T1, pull-up) | iCE40-HX8K breakout, `constraints/hx8k.pcf` |
//! | `ulx3s` | 25 MHz | 217 (115207 baud, +0.01%) | active high (FIRE1) | ULX3S (ECP5), `constraints/ulx3s.lpf` |
//! | `arty_a7_35` | 100 MHz | 868 (115207 baud, +0.01%) | active low (RESET) | Arty A7-35T, `constraints/arty_a7_35.xdc` (Vivado) |
//!
//! The divider is the board clock over the baud rate, rounded; the `sim` preset is the same
//! hardware with a clock 8 times the baud rate, so that a co-simulated byte takes 80 cycles
//! instead of 1042.
//!
//! # Ports
//!
//! `clk`; `rst`, the reset button with the preset's polarity, synchronized by two flops and
//! stretched by a power-on counter (the design also resets itself for 8 cycles after
//! configuration); `uart_rx` (host to board), `uart_tx` (board to host), both idle high;
//! `led[3:0]`: heartbeat (bit 23 of a free-running counter), PE busy, error (PE `cfg_error`,
//! a malformed decoder stream, or a receive error), byte activity (toggles on every byte
//! received). Every output is a register.
//!
//! # Protocol
//!
//! Strictly request and response: the host sends one command with its payload and waits
//! for the whole response before the next command. Multi-byte numbers are little-endian;
//! PE words, encoder values and decoder values are 16-bit two's complement; coded words are
//! 64 bits (the `rlc` layout).
//!
//! | command | payload | response |
//! |---|---|---|
//! | `P` 0x50 ping | – | `e` 0x65 |
//! | `?` 0x3F status | – | status byte |
//! | `Z` 0x5A reset the PE, the encoder and the decoder, clear the receive error | – | `e` 0x65 |
//! | `C` 0x43 PE pass configuration | S, U, p, q, E, shift (one byte each) | status byte, 100 cycles after the PE took it (its checks are done by then) |
//! | `F` 0x46 filter words | n (1 byte), n words | status byte once the PE took all n |
//! | `I` 0x49 ifmap words | n, n words | status byte |
//! | `S` 0x53 psum_in words | n, n words | status byte |
//! | `O` 0x4F read psum_out words | n | the n words (2n bytes), as the PE produces them |
//! | `M` 0x4D counters | – | `macs` (u32) then `macs_gated` (u32) |
//! | `N` 0x4E encoder: start a stream of N values | N (u16) | status byte |
//! | `V` 0x56 encoder values | n, n values | status byte |
//! | `W` 0x57 encoder words so far | – | for each word in the encoder's output FIFO: 0x01 then the 64-bit word (8 bytes); then 0x00 |
//! | `D` 0x44 decoder: start a stream of N values | N (u16) | status byte |
//! | `U` 0x55 decoder words | n, n coded words (8 bytes each) | status byte |
//! | `R` 0x52 decoder values so far | – | for each value the decoder gives until it waits for words or is done: 0x01 then the value (2 bytes); then the decoder state byte |
//! | anything else | – | NAK 0x15 |
//!
//! A count n of zero moves nothing (writes still answer with the status byte; `O` 0 answers
//! nothing).
//!
//! **Status byte**: `0xA0 | enc_busy << 3 | rx_error << 2 | pe_busy << 1 | pe_cfg_error`.
//! After `C`, a legal configuration reads `0xA2` (busy, waiting for filters), a refused one
//! `0xA1`. `rx_error` is sticky until `Z` or reset: a byte arrived while the bridge was not
//! listening (the host did not wait for a response, or a stream stalled) or a stop bit was
//! low.
//!
//! **Decoder state byte** (ends every `R` response; never 0x01):
//! `0xD0 | busy << 3 | done << 2 | error_kind`, with the decoder's outputs of those names:
//! `done` once the stream has ended, well or not; `error_kind` 0 none, 1 extra values, 2 early
//! term, 3 missing term. A stream that still waits for words reads `0xD8`, one that decoded
//! well `0xD4`, a malformed one `0xD5`-`0xD7`.
//!
//! **A PE pass** (layouts as in `eyeriss_pe`): `C`; `F` with the p*q*S filter words (at most
//! 224, one command); then for each output e: `I` with its ifmap words (q*S for e = 0, q*U
//! after), then its p psum_in words in groups of at most 4, each `S` followed by `O` with the
//! group's size (the PE adds each psum_in word to its sum as the psum leaves, into a 4-word
//! output FIFO). Words a pass does not ask for stall the
//! bridge (the PE does not take them): the host keeps to the pass's layout.
//!
//! **An encoder stream**: `N` with N, then the values in `V` commands of at most 6 values,
//! each followed by `W` to collect the words they completed (6 values complete at most 3
//! words, which the encoder's 4-word output FIFO holds, so it never stalls a `V`). For N = 0
//! the terminal word is ready after `N`: collect it with `W`.
//!
//! **A decoder stream**: `D` with N, then the coded words in `U` commands of at most 4 words,
//! each followed by `R` to collect the values they gave and the decoder's state (the
//! decoder's 4-word input FIFO takes 4 words whatever they hold, so a `U` of 4 never stalls;
//! `R` reads until the decoder has nothing more to give, i.e. it waits for words or is done).
//! Once the stream has ended (`done`: its term word, or an error) the decoder takes no more
//! words and `U` drops them; the stream's outcome is the last `R`'s state byte. A stream
//! that runs out of words stays busy (`0xD8`): the hardware waits for more.
//!
//! `N` and `D` restart their compressor when it is still busy with a stream the host
//! abandoned (they reset it and then configure it), so a new stream always starts.
//!
//! The host side of this protocol is `edgertl_sim::board::host`.

mod rtl;
mod uart;

pub use rtl::BoardTop;

use crate::{EmitError, Emitted, RtlSim, Unit};
use serde::{Deserialize, Serialize};

pub const UNIT: Unit = Unit {
    name: "board_top",
    summary: "UART bridge (115200 8N1) in front of the PE and the RLC encoder and decoder, for the iCEBreaker, HX8K, ULX3S and Arty boards",
    presets: &["sim", "icebreaker", "hx8k", "ulx3s", "arty_a7_35"],
    simulated: &["sim"],
    synth_preset: "sim",
    netlist: false,
    config_type: "BoardConfig",
    stimulus: "board::host::stimulus",
    config: |p| Ok(config_json(&BoardConfig::preset(p)?)),
    emit,
    rust_hdl_sim,
};

/// Command bytes of the protocol (see the module documentation).
pub mod cmd {
    pub const PING: u8 = b'P';
    pub const STATUS: u8 = b'?';
    pub const RESET: u8 = b'Z';
    pub const PE_CONFIG: u8 = b'C';
    pub const PE_FILTERS: u8 = b'F';
    pub const PE_IFMAP: u8 = b'I';
    pub const PE_PSUM_IN: u8 = b'S';
    pub const PE_PSUM_OUT: u8 = b'O';
    pub const PE_COUNTERS: u8 = b'M';
    pub const ENC_START: u8 = b'N';
    pub const ENC_VALUES: u8 = b'V';
    pub const ENC_WORDS: u8 = b'W';
    pub const DEC_START: u8 = b'D';
    pub const DEC_WORDS: u8 = b'U';
    pub const DEC_VALUES: u8 = b'R';
}

/// Response bytes of the protocol.
pub mod resp {
    /// The answer to `P` and `Z`.
    pub const PING: u8 = b'e';
    /// An unknown command.
    pub const NAK: u8 = 0x15;
    /// Before each word of a `W` response (0x00 ends it) and each value of an `R` response
    /// (the decoder state byte ends it).
    pub const WORD_FOLLOWS: u8 = 0x01;
    /// The high nibble of every status byte.
    pub const STATUS_TAG: u8 = 0xA0;
    pub const STATUS_PE_CFG_ERROR: u8 = 1;
    pub const STATUS_PE_BUSY: u8 = 2;
    pub const STATUS_RX_ERROR: u8 = 4;
    pub const STATUS_ENC_BUSY: u8 = 8;
    /// The high nibble of the decoder state byte (the end of an `R` response).
    pub const DEC_TAG: u8 = 0xD0;
    pub const DEC_BUSY: u8 = 8;
    pub const DEC_DONE: u8 = 4;
    /// The low two bits: the decoder's `error_kind`.
    pub const DEC_ERROR_KIND: u8 = 3;
}

/// Most values one `V` command may carry (see the module documentation).
pub const ENC_CHUNK: usize = 6;

/// Most coded words one `U` command may carry (see the module documentation).
pub const DEC_CHUNK: usize = 4;

/// A board: its clock, the UART's baud rate, and the polarity of its button and LEDs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardConfig {
    /// The board's name (the preset).
    pub board: String,
    /// The clock `clk` runs at, in Hz.
    pub clk_hz: u32,
    /// UART baud rate.
    pub baud: u32,
    /// `rst` is low when the button is pressed.
    pub rst_active_low: bool,
    /// Bit k set: `led[k]` lights when driven low.
    pub led_active_low: u8,
}

impl BoardConfig {
    pub fn preset(name: &str) -> Result<Self, EmitError> {
        let b = |clk_hz, rst_active_low, led_active_low| Self {
            board: name.to_string(),
            clk_hz,
            baud: 115_200,
            rst_active_low,
            led_active_low,
        };
        match name {
            "sim" => Ok(b(921_600, false, 0)),
            "icebreaker" => Ok(b(12_000_000, true, 0b0011)),
            "hx8k" => Ok(b(12_000_000, true, 0)),
            "ulx3s" => Ok(b(25_000_000, false, 0)),
            "arty_a7_35" => Ok(b(100_000_000, true, 0)),
            _ => Err(EmitError::UnknownPreset {
                unit: UNIT.name.into(),
                preset: name.into(),
                known: UNIT.presets.join(", "),
            }),
        }
    }

    /// Clock cycles a UART bit: the clock over the baud rate, rounded.
    pub fn clocks_per_bit(&self) -> u32 {
        (self.clk_hz + self.baud / 2) / self.baud
    }

    fn validate(&self) -> Result<(), EmitError> {
        let cpb = self.clocks_per_bit();
        if !(4..=65_535).contains(&cpb) {
            return Err(EmitError::InvalidConfig {
                unit: UNIT.name.into(),
                reason: format!("{cpb} clocks a bit: the UART needs 4 to 65535"),
            });
        }
        Ok(())
    }
}

fn config_json(cfg: &BoardConfig) -> serde_json::Value {
    let mut v = serde_json::to_value(cfg).expect("config serializes");
    v["clocks_per_bit"] = cfg.clocks_per_bit().into();
    v
}

fn emit(preset: &str) -> Result<Emitted, EmitError> {
    let cfg = BoardConfig::preset(preset)?;
    cfg.validate()?;
    crate::emit::emit_block(&rtl::build(&cfg), UNIT.name, preset, config_json(&cfg))
}

fn rust_hdl_sim(preset: &str) -> Result<Box<dyn RtlSim>, EmitError> {
    let cfg = BoardConfig::preset(preset)?;
    cfg.validate()?;
    Ok(Box::new(crate::sim::Stepper::new(rtl::build(&cfg))))
}
