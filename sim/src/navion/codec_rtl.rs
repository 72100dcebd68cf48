//! The frame codec run on its Verilated RTL (`navion_codec`, preset `navion`), at full speed:
//! what `edgertl run codec encode|decode --rtl` uses.
//!
//! Encoding streams the frame's pixels into the unit and packs the words it gives; decoding
//! loads the file's words into the unit's frame memory (`cfg_load`) and reads every block
//! back by its address, decoded by the unit.

use super::codec::Compressed;
use super::codec_driver::{CodecDriver, Traffic};
use super::Frame;
use crate::verilated::navion_codec;
use edgertl_hdl::navion::codec::CodecConfig;
use rand::SeedableRng;

/// Why the unit cannot take a frame of this size (`navion` preset), in words a user reads.
fn check(width: usize, height: usize) -> Result<(), String> {
    let cfg = CodecConfig::navion();
    let (w, h) = (u32::try_from(width).unwrap_or(u32::MAX), u32::try_from(height).unwrap_or(u32::MAX));
    cfg.check_frame(w, h).map_err(|why| format!("the navion_codec hardware (preset navion) cannot take this frame: {why}"))
}

/// Encodes `frame` on the Verilated unit.
pub fn encode(frame: &Frame) -> Result<Compressed, String> {
    encode_counted(frame).map(|(c, _)| c)
}

/// Encodes `frame` on the Verilated unit: the frame and the cycles from its first pixel
/// offered to its last word out.
pub fn encode_counted(frame: &Frame) -> Result<(Compressed, u64), String> {
    check(frame.width(), frame.height())?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let mut d = CodecDriver::new(navion_codec::Model::new());
    let e = d
        .encode(frame, Traffic::FULL_SPEED, 0.0, &mut rng)?
        .ok_or_else(|| format!("the unit refused the {} x {} frame", frame.width(), frame.height()))?;
    let words: Vec<u32> = e.words.iter().map(|w| w.0).collect();
    for (k, &(_, addr, last)) in e.words.iter().enumerate() {
        if addr as usize != k || last != (k + 1 == words.len()) {
            return Err(format!("word {k} came out with address {addr} (last {last})"));
        }
    }
    let c = Compressed::from_words(frame.width(), frame.height(), &words).map_err(|e| format!("the unit's words: {e}"))?;
    Ok((c, e.cycles))
}

/// Decodes `c` on the Verilated unit: its words loaded into the frame memory, every block
/// read back.
pub fn decode(c: &Compressed) -> Result<Frame, String> {
    check(c.width(), c.height())?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let mut d = CodecDriver::new(navion_codec::Model::new());
    let (bw, bh) = c.blocks();
    let words: Vec<u32> = (0..bw * bh).map(|k| c.word(k)).collect();
    if !d.load(c.width() as u32, c.height() as u32, &words, crate::harness::Handshake::NONE, &mut rng)? {
        return Err(format!("the unit refused the {} x {} frame", c.width(), c.height()));
    }
    let addrs: Vec<u32> = (0..words.len() as u32).collect();
    let blocks = d.read(&addrs, Traffic::FULL_SPEED, &mut rng)?;
    let mut pixels = vec![0u8; c.width() * c.height()];
    for (k, b) in blocks.iter().enumerate() {
        if b.err || b.word != words[k] {
            return Err(format!("block {k} read back as {b:?}, word {:#x} loaded", words[k]));
        }
        let (bx, by) = (k % bw, k / bw);
        for (i, &p) in b.pixels.iter().enumerate() {
            pixels[(4 * by + i / 4) * c.width() + 4 * bx + i % 4] = p;
        }
    }
    Frame::new(c.width(), c.height(), pixels).map_err(|e| e.to_string())
}
