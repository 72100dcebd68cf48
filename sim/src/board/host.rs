//! The host side of `board_top`'s byte protocol (specified in `edgertl_hdl::board`), over any
//! byte [`Transport`]: a simulated board ([`super::uart::SimUart`]) or a serial port
//! (`edgertl board run --port`). [`BoardHost`] runs PE passes and encoder streams and
//! [`check_pass`] / [`check_stream`] hold them to the golden models.

use crate::pe::driver::{random_pass, PassData};
use crate::pe::model::{PassError, PeModel};
use edgertl_hdl::board::{cmd, resp, ENC_CHUNK};
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

    /// `Z`: resets the PE and the encoder and clears the receive error.
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

    /// Writes words to a stream (`F`, `I`, `S`, `V`) in commands of at most 255.
    fn write_words(&mut self, command: u8, words: &[i16], what: &str) -> Result<(), String> {
        for chunk in words.chunks(255) {
            let mut bytes = vec![command, chunk.len() as u8];
            bytes.extend(words_le(chunk));
            self.link.send(&bytes)?;
            self.status_of(what)?;
        }
        Ok(())
    }

    /// `M`: the PE's `macs` and `macs_gated`.
    pub fn counters(&mut self) -> Result<(u32, u32), String> {
        self.link.send(&[cmd::PE_COUNTERS])?;
        let b = self.link.recv(8).map_err(|e| format!("counters: {e}"))?;
        Ok((u32::from_le_bytes([b[0], b[1], b[2], b[3]]), u32::from_le_bytes([b[4], b[5], b[6], b[7]])))
    }

    /// One PE pass, in the layouts of `edgertl_hdl::pe`; a refused configuration gets no data.
    pub fn run_pass(&mut self, pass: &PassData) -> Result<BoardPass, String> {
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
            let psum_in = pass.psum_in.get(e * p..(e + 1) * p).ok_or("too few psum_in words for the pass")?;
            self.write_words(cmd::PE_PSUM_IN, psum_in, "psum_in")?;
            let n = q * if e == 0 { s_w } else { u };
            let ifmap = pass.ifmap.get(at..at + n).ok_or("too few ifmap words for the pass")?;
            at += n;
            self.write_words(cmd::PE_IFMAP, ifmap, "ifmap")?;
            self.link.send(&[cmd::PE_PSUM_OUT, p as u8])?;
            let b = self.link.recv(2 * p).map_err(|err| format!("psum_out of output {e}: {err}"))?;
            psum_out.extend(b.chunks(2).map(|w| i16::from_le_bytes([w[0], w[1]])));
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
        self.link.send(&[cmd::ENC_WORDS])?;
        loop {
            match self.one("encoder words")? {
                0 => return Ok(()),
                resp::WORD_FOLLOWS => {
                    let b = self.link.recv(8).map_err(|e| format!("encoder word: {e}"))?;
                    words.push(u64::from_le_bytes(b.try_into().expect("8 bytes")));
                }
                b => return Err(format!("encoder words: expected 0x01 or 0x00, got {b:#04x}")),
            }
        }
    }

    /// Encodes a stream on the board's `rlc_encoder`: `N`, then `V` and `W` in chunks.
    pub fn encode(&mut self, values: &[i16]) -> Result<Vec<u64>, String> {
        let n = u16::try_from(values.len()).map_err(|_| format!("{} values: the protocol carries at most 65535", values.len()))?;
        let mut bytes = vec![cmd::ENC_START];
        bytes.extend(n.to_le_bytes());
        self.link.send(&bytes)?;
        self.status_of("encoder start")?;
        let mut words = Vec::new();
        for chunk in values.chunks(ENC_CHUNK) {
            self.write_words(cmd::ENC_VALUES, chunk, "encoder values")?;
            self.collect_words(&mut words)?;
        }
        // The terminal word (N = 0, or one the last chunk's settle time did not cover).
        self.collect_words(&mut words)?;
        let s = self.status()?;
        if s & (resp::STATUS_ENC_BUSY | resp::STATUS_RX_ERROR) != 0 {
            return Err(format!("after the stream: status {s:#04x} (the encoder should be idle and no byte lost)"));
        }
        Ok(words)
    }
}

/// Does the board's pass agree with the golden model (psums, refusal, `macs`, `macs_gated`)?
pub fn check_pass(model: &mut PeModel, pass: &PassData, got: &BoardPass) -> Result<(), String> {
    match model.run_pass(&pass.cfg, &pass.filters, &pass.ifmap, &pass.psum_in) {
        Err(PassError::Config(_)) if got.refused => {}
        Err(e) => return Err(format!("{:?}: the model says `{e}`, the board did not refuse", pass.cfg)),
        Ok(_) if got.refused => return Err(format!("{:?}: the board refused a legal configuration", pass.cfg)),
        Ok(want) => {
            if let Some(k) = (0..want.len().max(got.psum_out.len())).find(|&k| want.get(k) != got.psum_out.get(k)) {
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
    let want = crate::rlc::model::encode(values);
    if got != want.as_slice() {
        let k = (0..want.len().max(got.len())).find(|&k| want.get(k) != got.get(k)).unwrap_or(0);
        return Err(format!(
            "{} values: word {k} is {:x?} on the board, {:x?} in the model ({} vs {} words)",
            values.len(),
            got.get(k),
            want.get(k),
            got.len(),
            want.len()
        ));
    }
    let back = crate::rlc::model::decode(got, values.len());
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

/// What [`run_check`] did.
#[derive(Clone, Debug, Default)]
pub struct CheckSummary {
    pub passes: usize,
    pub refused: usize,
    pub streams: usize,
    pub values: usize,
}

/// The board check: resets the board, then runs `passes` (random PE passes, E at most 3,
/// about one in ten configurations illegal) and `streams` (random encoder streams), each
/// held to the golden models. The same check runs on a simulated board (`tests/board.rs`,
/// `edgertl board run --sim`) and on hardware (`edgertl board run --port`).
pub fn run_check<T: Transport>(
    host: &mut BoardHost<T>,
    rng: &mut impl Rng,
    passes: &[PassData],
    random_passes: usize,
    streams: usize,
) -> Result<CheckSummary, String> {
    let hw = PeConfig::eyeriss_v1();
    host.ping()?;
    host.reset()?;
    let mut model = PeModel::new(hw.clone());
    let mut sum = CheckSummary::default();
    let randoms: Vec<PassData> = (0..random_passes).map(|_| random_pass(rng, &hw, 3)).collect();
    for (k, pass) in passes.iter().chain(&randoms).enumerate() {
        let got = host.run_pass(pass).map_err(|e| format!("pass {k} ({:?}): {e}", pass.cfg))?;
        check_pass(&mut model, pass, &got).map_err(|e| format!("pass {k}: {e}"))?;
        sum.passes += 1;
        sum.refused += got.refused as usize;
    }
    for k in 0..streams {
        let values = random_stream(rng);
        let words = host.encode(&values).map_err(|e| format!("stream {k} ({} values): {e}", values.len()))?;
        check_stream(&values, &words).map_err(|e| format!("stream {k}: {e}"))?;
        sum.streams += 1;
        sum.values += values.len();
    }
    Ok(sum)
}
