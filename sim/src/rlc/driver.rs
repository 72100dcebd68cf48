//! Drives streams through the encoder and decoder [`Dut`]s (Verilated or rust-hdl's
//! simulator), with random idle on the input and back-pressure on the output.

use crate::harness::{Dut, Handshake, Pins};
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

/// Cycles a stream may take: generous, so that a stuck unit fails instead of hanging.
fn budget(items: usize) -> u64 {
    10_000 + 200 * items as u64
}

/// The encoder under test.
pub struct EncoderDriver<D: Dut> {
    /// The encoder's pins: its [`Dut`], cycles run, reset.
    pub pins: Pins<D>,
}

impl<D: Dut> EncoderDriver<D> {
    /// Takes an encoder and resets it.
    pub fn new(dut: D) -> Self {
        let mut pins = Pins::new(dut, enc::INPUTS, enc::OUTPUTS);
        pins.reset();
        Self { pins }
    }

    /// Encodes one stream; the words in order, or why the encoder misbehaved.
    pub fn encode(&mut self, values: &[i16], traffic: Traffic, rng: &mut impl Rng) -> Result<Vec<u64>, String> {
        use enc::{inp, out};
        let p = &mut self.pins;
        let limit = p.cycles() + budget(values.len());
        let (mut configured, mut sent, mut words) = (false, 0, Vec::new());
        loop {
            let o = p.outputs();
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
            let i = p.inputs_mut();
            i[inp::CFG_VALID] = !configured as u64;
            i[inp::CFG_N] = values.len() as u64;
            i[inp::IN_VALID] = offer as u64;
            i[inp::IN_DATA] = if offer { values[sent] as u16 as u64 } else { 0 };
            i[inp::OUT_READY] = out_ready as u64;
            p.tick();
            configured |= cfg_moves;
            sent += in_moves as usize;
            if p.cycles() > limit {
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
    /// The decoder's pins: its [`Dut`], cycles run, and reset (to free a decoder still
    /// waiting for words after a stream).
    pub pins: Pins<D>,
}

impl<D: Dut> DecoderDriver<D> {
    /// Takes a decoder and resets it.
    pub fn new(dut: D) -> Self {
        let mut pins = Pins::new(dut, dec::INPUTS, dec::OUTPUTS);
        pins.reset();
        Self { pins }
    }

    /// Decodes one stream of `n` values. A decoder still waiting for words once all are sent
    /// (and it has been idle a while) is reported with `done: false`.
    pub fn decode(&mut self, words: &[u64], n: usize, traffic: Traffic, rng: &mut impl Rng) -> Result<HwDecoded, String> {
        use dec::{inp, out};
        let p = &mut self.pins;
        if p.get(out::CFG_READY) == 0 {
            return Err("the decoder is not idle at the start of a stream".into());
        }
        let words_before = p.get(out::WORDS_IN);
        let limit = p.cycles() + budget(n + 3 * words.len());
        let (mut configured, mut sent, mut values, mut quiet) = (false, 0, Vec::new(), 0);
        loop {
            let o = p.outputs();
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
            let i = p.inputs_mut();
            i[inp::CFG_VALID] = !configured as u64;
            i[inp::CFG_N] = n as u64;
            i[inp::IN_VALID] = offer as u64;
            i[inp::IN_DATA] = if offer { words[sent] } else { 0 };
            i[inp::OUT_READY] = out_ready as u64;
            p.tick();
            // The configuration is taken on the first edge: the decoder was idle.
            configured = true;
            sent += in_moves as usize;
            if p.cycles() > limit {
                return Err(format!("the decoder did not finish: {sent} of {} words taken, {} values out", words.len(), values.len()));
            }
        }
    }
}

/// A random stream: a random length (0 to thousands, often not a multiple of 3), a random
/// sparsity from 0 to 100%, and sometimes long zero runs around the 31/32 boundary.
pub fn random_stream(rng: &mut impl Rng) -> Vec<i16> {
    let len = match rng.gen_range(0..10) {
        0 => rng.gen_range(0..4),
        1..=6 => rng.gen_range(0..300),
        _ => rng.gen_range(300..4000),
    };
    let sparsity = [0.0, 0.1, 0.5, 0.8, 0.95, 1.0][rng.gen_range(0..6)];
    let mut v: Vec<i16> = (0..len)
        .map(|_| if rng.gen_bool(sparsity) { 0 } else { rng.gen_range(i16::MIN..=i16::MAX) })
        .collect();
    if len > 70 && rng.gen_bool(0.3) {
        let run = [30, 31, 32, 33, 62, 63, 64, 65][rng.gen_range(0..8)];
        let at = rng.gen_range(0..len - run);
        v[at..at + run].iter_mut().for_each(|x| *x = 0);
    }
    v
}

/// A valid stream broken in one of the ways a real one breaks.
pub fn malformed(rng: &mut impl Rng) -> (Vec<u64>, usize) {
    let v = random_stream(rng);
    let mut words = super::model::encode(&v);
    let mut n = v.len();
    let last = words.len() - 1;
    match rng.gen_range(0..7) {
        0 => n = n.saturating_sub(rng.gen_range(1..5)),  // N too small: extra values
        1 => n += rng.gen_range(1..5),                   // N too large: term too early
        2 => words[last] &= !(1 << 63),                  // no term bit
        3 if last > 0 => words[rng.gen_range(0..last)] |= 1 << 63, // a term bit too early
        4 => words.truncate(rng.gen_range(0..words.len())), // the stream stops
        5 => {
            let k = rng.gen_range(0..words.len());
            words[k] ^= 1 << rng.gen_range(0..64); // a flipped bit
        }
        _ => words.push(rng.gen()),                      // garbage after the end
    }
    (words, n)
}

fn stimulus_traffic(k: usize, stim: &mut crate::harness::Stimulus) -> Traffic {
    if k.is_multiple_of(4) { Traffic::FULL_SPEED } else { Traffic::random(&mut stim.rng) }
}

/// The encoder's random test stimulus on any model of it (the registry's `stimulus`, what
/// `edgertl cover` runs): 300 random streams, every word checked against the golden model.
pub fn encoder_stimulus(dut: &mut dyn Dut, _preset: &str, stim: &mut crate::harness::Stimulus) -> Result<u64, String> {
    let mut enc = EncoderDriver::new(dut);
    for k in 0..300 {
        let v = random_stream(&mut stim.rng);
        let traffic = stimulus_traffic(k, stim);
        let words = enc.encode(&v, traffic, &mut stim.rng)?;
        if words != crate::rlc::model::encode(&v) {
            return Err(format!("stream {k}: the encoder's words differ from the golden model's"));
        }
    }
    Ok(enc.pins.cycles())
}

/// The decoder's random test stimulus on any model of it: 300 well-formed streams, then random
/// words and malformed streams, every value checked against the golden model.
pub fn decoder_stimulus(dut: &mut dyn Dut, _preset: &str, stim: &mut crate::harness::Stimulus) -> Result<u64, String> {
    use rand::Rng;
    let mut dec = DecoderDriver::new(dut);
    for k in 0..900 {
        let (words, n) = if k < 300 {
            let v = random_stream(&mut stim.rng);
            let n = v.len();
            (crate::rlc::model::encode(&v), n)
        } else if k % 3 == 0 {
            let len = stim.rng.gen_range(0..8);
            ((0..len).map(|_| stim.rng.gen()).collect(), stim.rng.gen_range(0..200))
        } else {
            malformed(&mut stim.rng)
        };
        let traffic = stimulus_traffic(k, stim);
        let hw = dec.decode(&words, n, traffic, &mut stim.rng)?;
        if hw.values != crate::rlc::model::decode(&words, n).values {
            return Err(format!("stream {k}: the decoder's values differ from the golden model's"));
        }
        if !hw.done {
            dec.pins.reset();
        }
    }
    Ok(dec.pins.cycles())
}
