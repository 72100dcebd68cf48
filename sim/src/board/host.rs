//! The host side of `board_top`'s byte protocol (specified in `edgertl_hdl::board`), over any
//! byte [`Transport`]: a simulated board ([`super::uart::SimUart`]) or a serial port
//! (`edgertl board run --port`). [`BoardHost`] runs PE passes, encoder streams and decoder
//! streams, and [`check_pass`] / [`check_stream`] / [`check_decode`] hold them to the golden
//! models.

use crate::pe::driver::{random_pass, PassData};
use crate::pe::model::{PassError, PeModel};
use crate::rlc::model as rlc;
use edgertl_hdl::board::{cmd, resp, DEC_CHUNK, ENC_CHUNK};
use edgertl_hdl::pe::PeConfig;
use rand::Rng;

/// Bytes to and from a board.
pub trait Transport {
    /// Sends every byte.
    fn send(&mut self, bytes: &[u8]) -> Result<(), String>;
    /// Receives exactly `n` bytes, or fails (time-out, closed port) saying why.
    fn recv(&mut self, n: usize) -> Result<Vec<u8>, String>;
}

/// What the board did in one PE pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardPass {
    /// The PE refused the configuration (`cfg_error`).
    pub refused: bool,
    pub psum_out: Vec<i16>,
    /// The PE's `macs` and `macs_gated` counters after the pass (cumulative since reset).
    pub macs: u32,
    pub macs_gated: u32,
}

/// What the board's decoder did with one stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardDecoded {
    /// Every value it wrote.
    pub values: Vec<i16>,
    /// The stream ended (its term word, or an error); false: it still waits for words.
    pub done: bool,
    /// `error_kind`: 0 none, 1 extra values, 2 early term, 3 missing term.
    pub error_kind: u8,
}

/// The first index where two sequences differ (one ending early counts), if any.
fn first_difference<T: PartialEq>(a: &[T], b: &[T]) -> Option<usize> {
    (0..a.len().max(b.len())).find(|&k| a.get(k) != b.get(k))
}

/// The protocol driver.
pub struct BoardHost<T: Transport> {
    pub link: T,
}

fn words_le(words: &[i16]) -> impl Iterator<Item = u8> + '_ {
    words.iter().flat_map(|w| w.to_le_bytes())
}

impl<T: Transport> BoardHost<T> {
    pub fn new(link: T) -> Self {
        Self { link }
    }

    fn one(&mut self, what: &str) -> Result<u8, String> {
        self.link.recv(1).map(|b| b[0]).map_err(|e| format!("{what}: {e}"))
    }

    /// A status byte that must carry the tag and no receive error.
    fn status_of(&mut self, what: &str) -> Result<u8, String> {
        let s = self.one(what)?;
        if s & 0xF0 != resp::STATUS_TAG {
            return Err(format!("{what}: expected a status byte (0xAx), got {s:#04x}"));
        }
        if s & resp::STATUS_RX_ERROR != 0 {
            return Err(format!("{what}: the board reports a receive error (status {s:#04x}): bytes were lost"));
        }
        Ok(s)
    }

    /// `P`: is a board there, speaking this protocol?
    pub fn ping(&mut self) -> Result<(), String> {
        self.link.send(&[cmd::PING])?;
        match self.one("ping")? {
            resp::PING => Ok(()),
            b => Err(format!("ping: expected {:#04x}, got {b:#04x} (another design on the board, or the wrong baud rate?)", resp::PING)),
        }
    }

    /// `Z`: resets the PE, the encoder and the decoder and clears the receive error.
    pub fn reset(&mut self) -> Result<(), String> {
        self.link.send(&[cmd::RESET])?;
        match self.one("reset")? {
            resp::PING => Ok(()),
            b => Err(format!("reset: expected {:#04x}, got {b:#04x}", resp::PING)),
        }
    }

    /// `?`: the status byte.
    pub fn status(&mut self) -> Result<u8, String> {
        self.link.send(&[cmd::STATUS])?;
        self.one("status")
    }

    /// One write command (`F`, `I`, `S`, `V`, `U`): its count of items (at most 255), their
    /// bytes, and the status byte it answers with.
    fn write_items(&mut self, command: u8, count: usize, payload: impl IntoIterator<Item = u8>, what: &str) -> Result<u8, String> {
        let count = u8::try_from(count).map_err(|_| format!("{what}: {count} items, a command carries at most 255"))?;
        let mut bytes = vec![command, count];
        bytes.extend(payload);
        self.link.send(&bytes)?;
        self.status_of(what)
    }

    /// Writes 16-bit words to a stream (`F`, `I`, `S`, `V`) in commands of at most 255.
    fn write_words(&mut self, command: u8, words: &[i16], what: &str) -> Result<(), String> {
        for chunk in words.chunks(255) {
            self.write_items(command, chunk.len(), words_le(chunk), what)?;
        }
        Ok(())
    }

    /// `N` or `D`: starts a stream of `n` values on the encoder or the decoder.
    fn start_stream(&mut self, command: u8, n: usize, what: &str) -> Result<(), String> {
        let n = u16::try_from(n).map_err(|_| format!("{what}: {n} values, the protocol carries at most 65535"))?;
        let mut bytes = vec![command];
        bytes.extend(n.to_le_bytes());
        self.link.send(&bytes)?;
        self.status_of(what).map(|_| ())
    }

    /// `W` or `R`: reads the items a compressor's output FIFO holds (each after the 0x01
    /// marker, `item_bytes` long) into `item`, and returns the byte that ends the response.
    fn drain(&mut self, command: u8, item_bytes: usize, what: &str, mut item: impl FnMut(&[u8])) -> Result<u8, String> {
        self.link.send(&[command])?;
        loop {
            match self.one(what)? {
                resp::WORD_FOLLOWS => item(&self.link.recv(item_bytes).map_err(|e| format!("{what}: {e}"))?),
                end => return Ok(end),
            }
        }
    }

    /// `M`: the PE's `macs` and `macs_gated`.
    pub fn counters(&mut self) -> Result<(u32, u32), String> {
        self.link.send(&[cmd::PE_COUNTERS])?;
        let b = self.link.recv(8).map_err(|e| format!("counters: {e}"))?;
        Ok((u32::from_le_bytes([b[0], b[1], b[2], b[3]]), u32::from_le_bytes([b[4], b[5], b[6], b[7]])))
    }

    /// One PE pass, in the layouts of `edgertl_hdl::pe`; a refused configuration gets no data.
    pub fn run_pass(&mut self, pass: &PassData) -> Result<BoardPass, String> {
        /// psum_in words per `S` command: what the PE's output FIFO holds.
        const PSUM_GROUP: usize = 4;
        let c = pass.cfg;
        let field = |v: u32| u8::try_from(v).map_err(|_| format!("{c:?}: a field does not fit the protocol's byte"));
        let bytes = [cmd::PE_CONFIG, field(c.s)?, field(c.u)?, field(c.p)?, field(c.q)?, field(c.e)?, field(c.shift)?];
        self.link.send(&bytes)?;
        let s = self.status_of("config")?;
        if s & resp::STATUS_PE_CFG_ERROR != 0 {
            let (macs, macs_gated) = self.counters()?;
            return Ok(BoardPass { refused: true, psum_out: vec![], macs, macs_gated });
        }
        if s & resp::STATUS_PE_BUSY == 0 {
            return Err(format!("config: the PE neither refused nor started the pass (status {s:#04x})"));
        }
        self.write_words(cmd::PE_FILTERS, &pass.filters, "filters")?;
        let (p, q, s_w, u) = (c.p as usize, c.q as usize, c.s as usize, c.u as usize);
        let mut at = 0;
        let mut psum_out = Vec::with_capacity(p * c.e as usize);
        for e in 0..c.e as usize {
            let n = q * if e == 0 { s_w } else { u };
            let ifmap = pass.ifmap.get(at..at + n).ok_or("too few ifmap words for the pass")?;
            at += n;
            self.write_words(cmd::PE_IFMAP, ifmap, "ifmap")?;
            // The PE adds each psum_in word to its sum on the way out: psum_in in groups that
            // the 4-word output FIFO holds, each group's psums read before the next.
            let psum_in = pass.psum_in.get(e * p..(e + 1) * p).ok_or("too few psum_in words for the pass")?;
            for group in psum_in.chunks(PSUM_GROUP) {
                self.write_words(cmd::PE_PSUM_IN, group, "psum_in")?;
                self.link.send(&[cmd::PE_PSUM_OUT, group.len() as u8])?;
                let b = self.link.recv(2 * group.len()).map_err(|err| format!("psum_out of output {e}: {err}"))?;
                psum_out.extend(b.chunks(2).map(|w| i16::from_le_bytes([w[0], w[1]])));
            }
        }
        let (macs, macs_gated) = self.counters()?;
        let s = self.status()?;
        if s & (resp::STATUS_PE_BUSY | resp::STATUS_RX_ERROR) != 0 {
            return Err(format!("after the pass: status {s:#04x} (the PE should be idle and no byte lost)"));
        }
        Ok(BoardPass { refused: false, psum_out, macs, macs_gated })
    }

    /// `W`: the words the encoder has completed.
    fn collect_words(&mut self, words: &mut Vec<u64>) -> Result<(), String> {
        let end = self.drain(cmd::ENC_WORDS, 8, "encoder words", |b| {
            words.push(u64::from_le_bytes(b.try_into().expect("8 bytes")));
        })?;
        match end {
            0 => Ok(()),
            b => Err(format!("encoder words: expected 0x01 or 0x00, got {b:#04x}")),
        }
    }

    /// `R`: the values the decoder has written; returns its state byte.
    fn collect_values(&mut self, values: &mut Vec<i16>) -> Result<u8, String> {
        let end = self.drain(cmd::DEC_VALUES, 2, "decoder values", |b| values.push(i16::from_le_bytes([b[0], b[1]])))?;
        if end & 0xF0 != resp::DEC_TAG {
            return Err(format!("decoder values: expected 0x01 or a decoder state byte (0xDx), got {end:#04x}"));
        }
        Ok(end)
    }

    /// The status after a stream: the compressor idle (`busy` the status bit it must not
    /// show) and no byte lost.
    fn idle_after(&mut self, busy: u8, what: &str) -> Result<(), String> {
        let s = self.status()?;
        if s & (busy | resp::STATUS_RX_ERROR) != 0 {
            return Err(format!("after the {what}: status {s:#04x} (no byte may be lost{})", if busy != 0 { ", the unit should be idle" } else { "" }));
        }
        Ok(())
    }

    /// Encodes a stream on the board's `rlc_encoder`: `N`, then `V` and `W` in chunks.
    pub fn encode(&mut self, values: &[i16]) -> Result<Vec<u64>, String> {
        self.start_stream(cmd::ENC_START, values.len(), "encoder start")?;
        let mut words = Vec::new();
        for chunk in values.chunks(ENC_CHUNK) {
            self.write_words(cmd::ENC_VALUES, chunk, "encoder values")?;
            self.collect_words(&mut words)?;
        }
        // The terminal word (N = 0, or one the last chunk's settle time did not cover).
        self.collect_words(&mut words)?;
        self.idle_after(resp::STATUS_ENC_BUSY, "encoder stream")?;
        Ok(words)
    }

    /// Decodes a stream of `n` values on the board's `rlc_decoder`: `D`, then `U` and `R` in
    /// chunks; every word is sent, also after the stream has ended (the board drops them).
    pub fn decode(&mut self, words: &[u64], n: usize) -> Result<BoardDecoded, String> {
        self.start_stream(cmd::DEC_START, n, "decoder start")?;
        let mut values = Vec::new();
        let mut state = 0;
        for chunk in words.chunks(DEC_CHUNK) {
            self.write_items(cmd::DEC_WORDS, chunk.len(), chunk.iter().flat_map(|w| w.to_le_bytes()), "decoder words")?;
            state = self.collect_values(&mut values)?;
        }
        if words.is_empty() {
            state = self.collect_values(&mut values)?;
        }
        self.idle_after(0, "decoder stream")?;
        Ok(BoardDecoded {
            values,
            done: state & resp::DEC_DONE != 0,
            error_kind: state & resp::DEC_ERROR_KIND,
        })
    }
}

/// Does the board's pass agree with the golden model (psums, refusal, `macs`, `macs_gated`)?
pub fn check_pass(model: &mut PeModel, pass: &PassData, got: &BoardPass) -> Result<(), String> {
    match model.run_pass(&pass.cfg, &pass.filters, &pass.ifmap, &pass.psum_in) {
        Err(PassError::Config(_)) if got.refused => {}
        Err(e) => return Err(format!("{:?}: the model says `{e}`, the board did not refuse", pass.cfg)),
        Ok(_) if got.refused => return Err(format!("{:?}: the board refused a legal configuration", pass.cfg)),
        Ok(want) => {
            if let Some(k) = first_difference(&want, &got.psum_out) {
                return Err(format!(
                    "{:?}: psum_out[{k}] is {:?} on the board, {:?} in the model",
                    pass.cfg,
                    got.psum_out.get(k),
                    want.get(k)
                ));
            }
        }
    }
    let want = (model.counters.macs, model.counters.macs_gated);
    if (got.macs, got.macs_gated) != want {
        return Err(format!("{:?}: (macs, macs_gated) = {:?} on the board, {want:?} in the model", pass.cfg, (got.macs, got.macs_gated)));
    }
    Ok(())
}

/// Does the board's encoding agree with the golden model, and decode back to the values?
pub fn check_stream(values: &[i16], got: &[u64]) -> Result<(), String> {
    let want = rlc::encode(values);
    if let Some(k) = first_difference(&want, got) {
        return Err(format!(
            "{} values: word {k} is {:x?} on the board, {:x?} in the model ({} vs {} words)",
            values.len(),
            got.get(k),
            want.get(k),
            got.len(),
            want.len()
        ));
    }
    let back = rlc::decode(got, values.len());
    if back.values != values || back.error.is_some() {
        return Err(format!("{} values: the board's words do not decode back to them", values.len()));
    }
    Ok(())
}

/// A random feature-map stream for the encoder: 0 to 100 values, sparse or dense, with runs
/// past 31 zeros and the extreme values.
pub fn random_stream(rng: &mut impl Rng) -> Vec<i16> {
    let n = [0, 1, 2, 3, 5, 6, 7, 40, 100][rng.gen_range(0..9)];
    let zeros: f64 = [0.0, 0.5, 0.9, 1.0][rng.gen_range(0..4)];
    (0..n)
        .map(|_| {
            if rng.gen_bool(zeros) {
                0
            } else if rng.gen_range(0..4) == 0 {
                [i16::MIN, i16::MAX, -1, 1][rng.gen_range(0..4)]
            } else {
                rng.gen()
            }
        })
        .collect()
}

/// Does the board's decoder agree with the golden model: the same values, and the same
/// outcome (decoded, the same error kind, or still waiting for words when the words ran out)?
pub fn check_decode(words: &[u64], n: usize, got: &BoardDecoded) -> Result<(), String> {
    let want = rlc::decode(words, n);
    let what = || format!("{} words, N = {n}", words.len());
    if let Some(k) = first_difference(&want.values, &got.values) {
        return Err(format!(
            "{}: value {k} is {:?} on the board, {:?} in the model ({} vs {} values)",
            what(),
            got.values.get(k),
            want.values.get(k),
            got.values.len(),
            want.values.len()
        ));
    }
    // The hardware's view of the model's outcome: Truncated is a decoder still waiting.
    let (done, kind) = match want.error.map(|e| e.kind_code()) {
        None => (true, 0),
        Some(Some(kind)) => (true, kind),
        Some(None) => (false, 0),
    };
    if (got.done, got.error_kind) != (done, kind) {
        let model = want.error.map_or("no error".to_string(), |e| e.to_string());
        return Err(format!(
            "{}: the board's decoder ends with done = {}, error_kind = {}; the model says {model} (done = {done}, error_kind = {kind})",
            what(),
            got.done,
            got.error_kind
        ));
    }
    Ok(())
}

/// The ways [`malformed_stream`] breaks a valid stream. The first five always give a stream
/// the decoder must flag (an error kind, or still waiting for words); a flipped bit may, and a
/// word after the end never does (the decoder reads no word after the term word).
pub const MALFORMATIONS: [&str; 7] = [
    "N too small (extra values)",
    "N too large (early term)",
    "no term bit (missing term)",
    "a term bit too early",
    "the last word missing (truncated)",
    "a flipped bit",
    "a word after the end",
];

/// A short valid stream (at least 4 pairs, so at least two words) broken in the way
/// `MALFORMATIONS[way % 7]` names; returns the words and the N the host announces.
pub fn malformed_stream(way: usize, rng: &mut impl Rng) -> (Vec<u64>, usize) {
    let mut values = random_stream(rng);
    values.extend((0..4).map(|_| rng.gen_range(1..=i16::MAX)));
    let mut words = rlc::encode(&values);
    let (mut n, last) = (values.len(), words.len() - 1);
    match way % MALFORMATIONS.len() {
        0 => n -= rng.gen_range(1..=4),
        // More than the (at most two) padding pairs of the last word, which would otherwise
        // decode as zeros.
        1 => n += rng.gen_range(3..=6),
        2 => words[last] &= !(1 << 63),
        3 => words[rng.gen_range(0..last)] |= 1 << 63,
        4 => {
            words.pop();
        }
        5 => words[rng.gen_range(0..=last)] ^= 1 << rng.gen_range(0..64),
        _ => words.push(rng.gen()),
    }
    (words, n)
}

/// What [`run_check`] runs: random PE passes, encoder streams, valid decoder streams and
/// malformed decoder streams.
#[derive(Clone, Copy, Debug, Default)]
pub struct CheckPlan {
    pub passes: usize,
    pub streams: usize,
    pub decodes: usize,
    pub malformed: usize,
}

/// What [`run_check`] did.
#[derive(Clone, Debug, Default)]
pub struct CheckSummary {
    pub passes: usize,
    pub refused: usize,
    /// Encoder streams and their values.
    pub streams: usize,
    pub values: usize,
    /// Valid decoder streams and their values.
    pub decodes: usize,
    pub decoded_values: usize,
    /// Malformed decoder streams, and how many of them the board (like the model) flagged:
    /// an error kind, or still waiting for words.
    pub malformed: usize,
    pub flagged: usize,
}

impl std::fmt::Display for CheckSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} PE passes ({} refused as the model refuses), {} encoder streams ({} values), {} decoder streams ({} values) and {} malformed ones ({} flagged as the model flags them)",
            self.passes,
            self.refused,
            self.streams,
            self.values,
            self.decodes,
            self.decoded_values,
            self.malformed,
            self.flagged
        )
    }
}

/// The board check: resets the board, then runs the fixed `passes` and the plan's random
/// PE passes (E at most 3, about one in ten configurations illegal), encoder streams, valid
/// decoder streams (the model's encoding of random streams) and malformed decoder streams
/// (every way of [`MALFORMATIONS`] in turn), each held to the golden models. The same check
/// runs on a simulated board (`tests/board.rs`, `edgertl board run --sim`) and on hardware
/// (`edgertl board run --port`).
pub fn run_check<T: Transport>(
    host: &mut BoardHost<T>,
    rng: &mut impl Rng,
    passes: &[PassData],
    plan: CheckPlan,
) -> Result<CheckSummary, String> {
    run_check_with_progress(host, rng, passes, plan, &mut |_: &CheckSummary| {})
}

/// [`run_check`], calling `progress` with the counts so far after every pass and stream
/// (`edgertl board run` prints a line from it every few seconds).
pub fn run_check_with_progress<T: Transport>(
    host: &mut BoardHost<T>,
    rng: &mut impl Rng,
    passes: &[PassData],
    plan: CheckPlan,
    progress: &mut dyn FnMut(&CheckSummary),
) -> Result<CheckSummary, String> {
    let hw = PeConfig::eyeriss_v1();
    host.ping()?;
    host.reset()?;
    let mut model = PeModel::new(hw.clone());
    let mut sum = CheckSummary::default();
    // Passes and streams are made one at a time (memory does not grow with the plan); the
    // board's answers take no randomness, so a seed draws the same ones in the same order.
    let randoms = (0..plan.passes).map(|_| random_pass(rng, &hw, 3));
    for (k, pass) in passes.iter().cloned().chain(randoms).enumerate() {
        let got = host.run_pass(&pass).map_err(|e| format!("pass {k} ({:?}): {e}", pass.cfg))?;
        check_pass(&mut model, &pass, &got).map_err(|e| format!("pass {k}: {e}"))?;
        sum.passes += 1;
        sum.refused += got.refused as usize;
        progress(&sum);
    }
    for k in 0..plan.streams {
        let values = random_stream(rng);
        let words = host.encode(&values).map_err(|e| format!("stream {k} ({} values): {e}", values.len()))?;
        check_stream(&values, &words).map_err(|e| format!("stream {k}: {e}"))?;
        sum.streams += 1;
        sum.values += values.len();
        progress(&sum);
    }
    for k in 0..plan.decodes + plan.malformed {
        let (what, words, n) = if k < plan.decodes {
            let values = random_stream(rng);
            (format!("decoder stream {k}"), rlc::encode(&values), values.len())
        } else {
            let m = k - plan.decodes;
            let (words, n) = malformed_stream(m, rng);
            (format!("malformed stream {m} ({})", MALFORMATIONS[m % MALFORMATIONS.len()]), words, n)
        };
        let got = host.decode(&words, n).map_err(|e| format!("{what}: {e}"))?;
        check_decode(&words, n, &got).map_err(|e| format!("{what}: {e}"))?;
        if k < plan.decodes {
            sum.decodes += 1;
            sum.decoded_values += got.values.len();
        } else {
            sum.malformed += 1;
            sum.flagged += (!got.done || got.error_kind != 0) as usize;
        }
        progress(&sum);
    }
    Ok(sum)
}

/// The board top's test stimulus on any model of a preset (the registry's `stimulus`, what
/// `edgertl cover` runs): the board check over the bit-level UART, random PE passes, encoder
/// streams, valid and malformed decoder streams, each held to the golden models.
pub fn stimulus(dut: &mut dyn crate::harness::Dut, preset: &str, stim: &mut crate::harness::Stimulus) -> Result<u64, String> {
    let cpb = edgertl_hdl::board::BoardConfig::preset(preset).map_err(|e| e.to_string())?.clocks_per_bit();
    let mut host = BoardHost::new(crate::board::uart::SimUart::new(dut, cpb));
    let plan = CheckPlan { passes: 40, streams: 30, decodes: 30, malformed: 21 };
    run_check(&mut host, &mut stim.rng, &[], plan)?;
    Ok(host.link.pins.cycles())
}
