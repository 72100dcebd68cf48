//! Drives streams through the encoder and decoder [`Dut`]s (Verilated or rust-hdl's
//! simulator), with random idle on the input and back-pressure on the output.

use crate::harness::{Dut, Handshake};
use crate::verilated::{rlc_decoder as dec, rlc_encoder as enc};
use rand::Rng;

/// Handshake profiles of a stream unit's input (source) and output (sink).
#[derive(Clone, Copy, Debug)]
pub struct Traffic {
    pub input: Handshake,
    pub output: Handshake,
}

impl Traffic {
    pub const FULL_SPEED: Traffic = Traffic { input: Handshake::NONE, output: Handshake::NONE };

    pub fn random(rng: &mut impl Rng) -> Self {
        Self { input: Handshake::random(rng), output: Handshake::random(rng) }
    }
}

/// A stream unit under test, with its port slices.
struct Ports<D: Dut> {
    dut: D,
    inputs: Vec<u64>,
    outputs: Vec<u64>,
    cycles: u64,
}

impl<D: Dut> Ports<D> {
    fn new(dut: D, n_in: usize, n_out: usize, rst: usize) -> Self {
        let mut p = Self { dut, inputs: vec![0; n_in], outputs: vec![0; n_out], cycles: 0 };
        p.reset(rst);
        p
    }

    fn reset(&mut self, rst: usize) {
        self.inputs.iter_mut().for_each(|v| *v = 0);
        self.inputs[rst] = 1;
        self.tick();
        self.tick();
        self.inputs[rst] = 0;
    }

    fn tick(&mut self) {
        self.dut.tick(&self.inputs, &mut self.outputs);
        self.cycles += 1;
    }
}

/// Cycles a stream may take: generous, so that a stuck unit fails instead of hanging.
fn budget(items: usize) -> u64 {
    10_000 + 200 * items as u64
}

/// The encoder under test.
pub struct EncoderDriver<D: Dut> {
    p: Ports<D>,
}

impl<D: Dut> EncoderDriver<D> {
    pub fn new(dut: D) -> Self {
        Self { p: Ports::new(dut, enc::INPUTS.len(), enc::OUTPUTS.len(), enc::inp::RST) }
    }

    pub fn cycles(&self) -> u64 {
        self.p.cycles
    }

    /// Encodes one stream; the words in order, or why the encoder misbehaved.
    pub fn encode(&mut self, values: &[i16], traffic: Traffic, rng: &mut impl Rng) -> Result<Vec<u64>, String> {
        use enc::{inp, out};
        let p = &mut self.p;
        let limit = p.cycles + budget(values.len());
        let (mut configured, mut sent, mut words) = (false, 0, Vec::new());
        loop {
            let o = &p.outputs;
            let out_ready = traffic.output.accept(rng);
            if out_ready && o[out::OUT_VALID] == 1 {
                words.push(o[out::OUT_DATA]);
            }
            let cfg_moves = !configured && o[out::CFG_READY] == 1;
            let offer = configured && sent < values.len() && traffic.input.offer(rng);
            let in_moves = offer && o[out::IN_READY] == 1;
            if configured && sent == values.len() && o[out::BUSY] == 0 && o[out::OUT_VALID] == 0 {
                return Ok(words);
            }
            let i = &mut p.inputs;
            i[inp::CFG_VALID] = !configured as u64;
            i[inp::CFG_N] = values.len() as u64;
            i[inp::IN_VALID] = offer as u64;
            i[inp::IN_DATA] = if offer { values[sent] as u16 as u64 } else { 0 };
            i[inp::OUT_READY] = out_ready as u64;
            p.tick();
            configured |= cfg_moves;
            sent += in_moves as usize;
            if p.cycles > limit {
                return Err(format!("the encoder did not finish: {sent} of {} values taken, {} words out", values.len(), words.len()));
            }
        }
    }
}

/// What the decoder did with one stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HwDecoded {
    pub values: Vec<i16>,
    /// `done` rose (the stream ended, well or not); false: it still waits for words.
    pub done: bool,
    /// `error_kind`: 0 none, 1 extra values, 2 early term, 3 missing term.
    pub error_kind: u8,
    /// Words the decoder took.
    pub words_taken: usize,
}

/// The decoder under test.
pub struct DecoderDriver<D: Dut> {
    p: Ports<D>,
}

impl<D: Dut> DecoderDriver<D> {
    pub fn new(dut: D) -> Self {
        Self { p: Ports::new(dut, dec::INPUTS.len(), dec::OUTPUTS.len(), dec::inp::RST) }
    }

    pub fn cycles(&self) -> u64 {
        self.p.cycles
    }

    /// Resets the decoder (after a stream it is still waiting on).
    pub fn reset(&mut self) {
        self.p.reset(dec::inp::RST);
    }

    /// Decodes one stream of `n` values. A decoder still waiting for words once all are sent
    /// (and it has been idle a while) is reported with `done: false`.
    pub fn decode(&mut self, words: &[u64], n: usize, traffic: Traffic, rng: &mut impl Rng) -> Result<HwDecoded, String> {
        use dec::{inp, out};
        let p = &mut self.p;
        if p.outputs[out::CFG_READY] == 0 {
            return Err("the decoder is not idle at the start of a stream".into());
        }
        let words_before = p.outputs[out::WORDS_IN];
        let limit = p.cycles + budget(n + 3 * words.len());
        let (mut configured, mut sent, mut values, mut quiet) = (false, 0, Vec::new(), 0);
        loop {
            let o = &p.outputs;
            let out_ready = traffic.output.accept(rng);
            if out_ready && o[out::OUT_VALID] == 1 {
                values.push(o[out::OUT_DATA] as u16 as i16);
                if values.len() > n {
                    return Err(format!("the decoder wrote more than N = {n} values"));
                }
            }
            let offer = configured && sent < words.len() && traffic.input.offer(rng);
            let in_moves = offer && o[out::IN_READY] == 1;
            let finished = configured && o[out::DONE] == 1 && o[out::OUT_VALID] == 0;
            // Every word sent and nothing moving for a while: it waits for words that never come.
            quiet = if configured && sent == words.len() && o[out::OUT_VALID] == 0 { quiet + 1 } else { 0 };
            if finished || quiet > 64 {
                return Ok(HwDecoded {
                    values,
                    done: finished,
                    error_kind: o[out::ERROR_KIND] as u8,
                    words_taken: (o[out::WORDS_IN] - words_before) as usize,
                });
            }
            let i = &mut p.inputs;
            i[inp::CFG_VALID] = !configured as u64;
            i[inp::CFG_N] = n as u64;
            i[inp::IN_VALID] = offer as u64;
            i[inp::IN_DATA] = if offer { words[sent] } else { 0 };
            i[inp::OUT_READY] = out_ready as u64;
            p.tick();
            // The configuration is taken on the first edge: the decoder was idle.
            configured = true;
            sent += in_moves as usize;
            if p.cycles > limit {
                return Err(format!("the decoder did not finish: {sent} of {} words taken, {} values out", words.len(), values.len()));
            }
        }
    }
}
