//! A host UART at the bit level on a simulated `board_top`: drives its `uart_rx` pin and
//! samples its `uart_tx` pin cycle by cycle through the generic [`Dut`] interface, as the
//! FTDI chip on a board does. It is a [`Transport`], so the protocol driver runs unchanged
//! on it and on a real serial port.

use super::host::Transport;
use crate::harness::{Dut, Pins};
use crate::verilated::board_top::{inp, out, INPUTS, OUTPUTS};
use std::collections::VecDeque;

/// The host end of the serial line of a simulated board.
pub struct SimUart<D: Dut> {
    /// The board's pins: its [`Dut`] and cycles run. Drive them through the [`Transport`]: the
    /// host's receiver samples `uart_tx` after every cycle but the two of [`Self::reset`]'s
    /// button press (the line idles high during it).
    pub pins: Pins<D>,
    /// Clock cycles a bit (the `sim` preset: 8).
    pub clocks_per_bit: u32,
    received: VecDeque<u8>,
    rx: HostRx,
    /// Cycles `recv` waits for a byte before giving up.
    pub timeout_cycles: u64,
}

/// The host's receiver: samples the board's `uart_tx` in the middle of each bit.
#[derive(Default)]
struct HostRx {
    busy: bool,
    countdown: u32,
    bit: u32,
    shift: u8,
    framing_errors: u32,
}

impl<D: Dut> SimUart<D> {
    /// Takes a board and resets it (`rst` high for two cycles, then the power-on reset runs
    /// out); the line is idle high.
    pub fn new(dut: D, clocks_per_bit: u32) -> Self {
        assert!(clocks_per_bit >= 4, "the UART needs at least 4 clocks a bit");
        let mut s = Self {
            pins: Pins::new(dut, INPUTS, OUTPUTS).with_rest(inp::UART_RX, 1),
            clocks_per_bit,
            received: VecDeque::new(),
            rx: HostRx::default(),
            timeout_cycles: 400_000,
        };
        s.reset();
        s
    }

    /// Presses the reset button (the `sim` preset: active high) for two cycles with the line
    /// idle, then waits for the board's reset stretch to end.
    pub fn reset(&mut self) {
        self.pins.reset();
        self.idle(32);
        self.received.clear();
    }

    /// The LEDs after the last cycle.
    pub fn leds(&self) -> u8 {
        self.pins.get(out::LED) as u8
    }

    /// Stop bits the host saw low (each a byte lost).
    pub fn framing_errors(&self) -> u32 {
        self.rx.framing_errors
    }

    /// One cycle, the host's receiver sampling the board's `uart_tx` after it.
    fn tick(&mut self) {
        self.pins.tick();
        let line = self.pins.get(out::UART_TX) & 1 == 1;
        let cpb = self.clocks_per_bit;
        let r = &mut self.rx;
        if !r.busy {
            if !line {
                // A start bit: its middle is half a bit away.
                r.busy = true;
                r.bit = 0;
                r.countdown = cpb / 2 - 1;
            }
        } else if r.countdown > 0 {
            r.countdown -= 1;
        } else {
            r.countdown = cpb - 1;
            match r.bit {
                0 if line => r.busy = false, // a glitch, not a start bit
                0 => r.bit = 1,
                1..=8 => {
                    r.shift = (r.shift >> 1) | if line { 0x80 } else { 0 };
                    r.bit += 1;
                }
                _ => {
                    r.busy = false;
                    if line {
                        self.received.push_back(r.shift);
                    } else {
                        r.framing_errors += 1;
                    }
                }
            }
        }
    }

    /// Runs `n` cycles with the line idle.
    pub fn idle(&mut self, n: u64) {
        for _ in 0..n {
            self.tick();
        }
    }
}

impl<D: Dut> Transport for SimUart<D> {
    fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        for &b in bytes {
            // Start bit, 8 data bits (LSB first), stop bit.
            let frame = (0..10).map(|k| match k {
                0 => 0,
                9 => 1,
                k => (b >> (k - 1)) & 1,
            });
            for level in frame {
                self.pins.set(inp::UART_RX, level as u64);
                for _ in 0..self.clocks_per_bit {
                    self.tick();
                }
            }
        }
        self.pins.set(inp::UART_RX, 1);
        Ok(())
    }

    fn recv(&mut self, n: usize) -> Result<Vec<u8>, String> {
        let deadline = self.pins.cycles() + self.timeout_cycles;
        while self.received.len() < n {
            if self.pins.cycles() > deadline {
                return Err(format!(
                    "no answer from the simulated board: {} of {n} bytes in {} cycles",
                    self.received.len(),
                    self.timeout_cycles
                ));
            }
            self.tick();
        }
        Ok(self.received.drain(..n).collect())
    }
}
