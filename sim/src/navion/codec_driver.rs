//! Drives the `navion_codec` unit (Verilated, its netlist or rust-hdl's simulator: any
//! [`Dut`]) frame by frame: pixels in with camera-side idle, block words out with
//! back-pressure, block words loaded, blocks read back by address, and checks everything
//! against the golden model ([`super::codec`]).

use super::codec::{decode_block, Compressed};
use super::Frame;
use crate::harness::{Dut, Handshake, Pins, Stimulus};
use crate::verilated::navion_codec::{inp, out, INPUTS, OUTPUTS};
use edgertl_hdl::navion::codec::CodecConfig;
use rand::Rng;

/// Handshake profiles: the camera (`idle`: it holds a pixel back), the `out` sink (`stall`),
/// the block reader's requests (`idle`) and its responses' sink (`stall`).
#[derive(Clone, Copy, Debug)]
pub struct Traffic {
    pub camera: Handshake,
    pub out: Handshake,
    pub reads: Handshake,
}

impl Traffic {
    pub const FULL_SPEED: Traffic = Traffic { camera: Handshake::NONE, out: Handshake::NONE, reads: Handshake::NONE };

    pub fn random(rng: &mut impl Rng) -> Self {
        Self { camera: Handshake::random(rng), out: Handshake::random(rng), reads: Handshake::random(rng) }
    }
}

/// One block read back: its word, its 16 decoded pixels (raster order in the block) and
/// whether the address was outside the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    pub word: u32,
    pub pixels: [u8; 16],
    pub err: bool,
}

impl Block {
    /// What the unit must answer for block `addr` of `c` (the golden model).
    pub fn expected(c: &Compressed, addr: u32) -> Block {
        let (bw, bh) = c.blocks();
        if (addr as usize) < bw * bh {
            let word = c.word(addr as usize);
            Block { word, pixels: decode_block(word), err: false }
        } else {
            Block { word: 0, pixels: [0; 16], err: true }
        }
    }
}

/// What one encoded frame gave.
#[derive(Clone, Debug, Default)]
pub struct Encoded {
    /// (word, address, last) in the order they came out.
    pub words: Vec<(u32, u32, bool)>,
    /// Reads issued during the frame: (address, response).
    pub reads: Vec<(u32, Block)>,
    /// Cycles from the first pixel offered to the last word out.
    pub cycles: u64,
    /// Cycles the camera offered a pixel and `in_ready` was low.
    pub stalls: u64,
}

/// Cycles a frame may take: generous, so that a stuck unit fails instead of hanging.
fn budget(items: usize) -> u64 {
    2_000 + 40 * items as u64
}

/// The codec under test.
pub struct CodecDriver<D: Dut> {
    /// The unit's pins: its [`Dut`], cycles run, reset.
    pub pins: Pins<D>,
}

impl<D: Dut> CodecDriver<D> {
    /// Takes a codec and resets it.
    pub fn new(dut: D) -> Self {
        let mut pins = Pins::new(dut, INPUTS, OUTPUTS);
        pins.reset();
        Self { pins }
    }

    /// Offers a W x H frame (`load`: as block words); `Ok(true)` when the unit takes it,
    /// `Ok(false)` when it refuses it (`error`), `Err` when it misbehaves.
    pub fn start(&mut self, width: u32, height: u32, load: bool) -> Result<bool, String> {
        let p = &mut self.pins;
        let limit = p.cycles() + budget(0);
        while p.get(out::CFG_READY) == 0 {
            p.idle(1);
            if p.cycles() > limit {
                return Err("the codec never became idle (cfg_ready low)".into());
            }
        }
        p.idle(0);
        p.set(inp::CFG_VALID, 1);
        p.set(inp::CFG_WIDTH, u64::from(width) & 0x7ff);
        p.set(inp::CFG_HEIGHT, u64::from(height) & 0x7ff);
        p.set(inp::CFG_LOAD, load as u64);
        p.tick();
        p.idle(0);
        // The check takes a few cycles: then the unit takes the frame (busy, no error, ready
        // for pixels or words) or refuses it (idle, error).
        for _ in 0..8 {
            p.tick();
            let taking = p.get(out::IN_READY) == 1 || p.get(out::LD_READY) == 1;
            match (p.get(out::BUSY), p.get(out::ERROR), p.get(out::CFG_READY), taking) {
                (1, 0, 0, true) => return Ok(true),
                (0, 1, 1, false) => return Ok(false),
                (1, _, 0, false) => continue,
                (b, e, r, t) => {
                    return Err(format!("checking a {width} x {height} frame: busy {b}, error {e}, cfg_ready {r}, ready for data {t}"))
                }
            }
        }
        Err(format!("the codec did not decide on a {width} x {height} frame in 8 cycles"))
    }

    /// Streams `frame`'s pixels (the frame already taken by [`start`](Self::start)), collecting
    /// its words; meanwhile, with `read_rate` the chance a cycle, reads random blocks already
    /// out (and now and then an address past the frame's `blocks`).
    pub fn stream(&mut self, frame: &Frame, traffic: Traffic, read_rate: f64, rng: &mut impl Rng) -> Result<Encoded, String> {
        let blocks = (frame.width() / 4) * (frame.height() / 4);
        let pixels = frame.pixels();
        let p = &mut self.pins;
        let start = p.cycles();
        let limit = start + budget(pixels.len() + blocks);
        let mut e = Encoded::default();
        let mut sent = 0;
        let mut asked: std::collections::VecDeque<u32> = Default::default();
        loop {
            let o = p.outputs();
            // Done when every pixel is in, every word out and every read answered (checked
            // before anything is taken this cycle: a word taken here moves at the next edge).
            if sent == pixels.len() && o[out::BUSY] == 0 && o[out::OUT_VALID] == 0 && asked.is_empty() {
                e.cycles = p.cycles() - start;
                p.idle(0);
                return Ok(e);
            }
            // Sinks: words out, block responses.
            let out_ready = traffic.out.accept(rng);
            if out_ready && o[out::OUT_VALID] == 1 {
                e.words.push((o[out::OUT_DATA] as u32, o[out::OUT_ADDR] as u32, o[out::OUT_LAST] == 1));
            }
            let blk_ready = traffic.reads.accept(rng);
            if blk_ready && o[out::BLK_VALID] == 1 {
                let addr = asked.pop_front().ok_or("a block response nobody asked for")?;
                e.reads.push((addr, block_of(o)));
            }
            // Sources: pixels, reads of blocks already out.
            let offer = sent < pixels.len() && traffic.camera.offer(rng);
            let in_moves = offer && o[out::IN_READY] == 1;
            e.stalls += (offer && !in_moves) as u64;
            let read = if sent < pixels.len() && read_rate > 0.0 && rng.gen_bool(read_rate) && traffic.reads.offer(rng) {
                if !e.words.is_empty() && rng.gen_bool(0.9) {
                    Some(e.words[rng.gen_range(0..e.words.len())].1)
                } else {
                    Some(rng.gen_range(blocks as u32..=(blocks as u32 + 3)))
                }
            } else {
                None
            };
            let rd_moves = read.is_some() && o[out::RD_READY] == 1;
            let i = p.inputs_mut();
            i[inp::IN_VALID] = offer as u64;
            i[inp::IN_DATA] = if offer { u64::from(pixels[sent]) } else { 0 };
            i[inp::OUT_READY] = out_ready as u64;
            i[inp::RD_VALID] = read.is_some() as u64;
            i[inp::RD_ADDR] = u64::from(read.unwrap_or(0)) & 0xffff;
            i[inp::BLK_READY] = blk_ready as u64;
            p.tick();
            sent += in_moves as usize;
            if rd_moves {
                asked.push_back(read.unwrap_or(0));
            }
            if p.cycles() > limit {
                return Err(format!(
                    "the codec did not finish the frame: {sent} of {} pixels taken, {} of {blocks} words out",
                    pixels.len(),
                    e.words.len()
                ));
            }
        }
    }

    /// Encodes a frame: [`start`](Self::start) then [`stream`](Self::stream); `Ok(None)` when
    /// the unit refuses the size.
    pub fn encode(&mut self, frame: &Frame, traffic: Traffic, read_rate: f64, rng: &mut impl Rng) -> Result<Option<Encoded>, String> {
        if !self.start(frame.width() as u32, frame.height() as u32, false)? {
            return Ok(None);
        }
        self.stream(frame, traffic, read_rate, rng).map(Some)
    }

    /// Loads a W x H frame's block words into the frame memory; `Ok(false)` when refused.
    pub fn load(&mut self, width: u32, height: u32, words: &[u32], idle: Handshake, rng: &mut impl Rng) -> Result<bool, String> {
        if !self.start(width, height, true)? {
            return Ok(false);
        }
        let p = &mut self.pins;
        let limit = p.cycles() + budget(words.len());
        let mut sent = 0;
        while sent < words.len() || p.get(out::BUSY) == 1 {
            let offer = sent < words.len() && idle.offer(rng);
            let moves = offer && p.get(out::LD_READY) == 1;
            p.set(inp::LD_VALID, offer as u64);
            p.set(inp::LD_DATA, if offer { u64::from(words[sent]) & 0x3ff_ffff } else { 0 });
            p.tick();
            sent += moves as usize;
            if p.cycles() > limit {
                return Err(format!("the codec did not finish loading: {sent} of {} words taken", words.len()));
            }
        }
        p.idle(0);
        if sent != words.len() {
            return Err(format!("the codec finished loading after {sent} of {} words", words.len()));
        }
        Ok(true)
    }

    /// Reads blocks by address, in order; the responses in the same order.
    pub fn read(&mut self, addrs: &[u32], traffic: Traffic, rng: &mut impl Rng) -> Result<Vec<Block>, String> {
        let p = &mut self.pins;
        let limit = p.cycles() + budget(addrs.len());
        let (mut sent, mut got) = (0, Vec::with_capacity(addrs.len()));
        while got.len() < addrs.len() {
            let o = p.outputs();
            let blk_ready = traffic.reads.accept(rng);
            if blk_ready && o[out::BLK_VALID] == 1 {
                got.push(block_of(o));
            }
            let offer = sent < addrs.len() && traffic.reads.offer(rng);
            let moves = offer && o[out::RD_READY] == 1;
            let i = p.inputs_mut();
            i[inp::RD_VALID] = offer as u64;
            i[inp::RD_ADDR] = if offer { u64::from(addrs[sent]) & 0xffff } else { 0 };
            i[inp::BLK_READY] = blk_ready as u64;
            p.tick();
            sent += moves as usize;
            if p.cycles() > limit {
                return Err(format!("the block reader did not answer: {} of {} reads answered", got.len(), addrs.len()));
            }
        }
        p.idle(0);
        Ok(got)
    }
}

fn block_of(o: &[u64]) -> Block {
    let (lo, hi) = (o[out::BLK_LO], o[out::BLK_HI]);
    Block {
        word: o[out::BLK_WORD] as u32,
        pixels: std::array::from_fn(|i| (if i < 8 { lo >> (8 * i) } else { hi >> (8 * (i - 8)) }) as u8),
        err: o[out::BLK_ERR] == 1,
    }
}

/// The frames the tests and the coverage stimulus use: adversarial patterns and random
/// pixels, W x H (multiples of 4).
pub fn pattern(kind: usize, width: usize, height: usize, rng: &mut impl Rng) -> (&'static str, Frame) {
    match kind % 8 {
        0 => ("black", Frame::from_fn(width, height, |_, _| 0)),
        1 => ("white", Frame::from_fn(width, height, |_, _| 255)),
        2 => ("checkerboard", Frame::from_fn(width, height, |x, y| if (x + y) % 2 == 0 { 255 } else { 0 })),
        3 => {
            let (bx, by) = (rng.gen_range(0..width), rng.gen_range(0..height));
            ("single bright pixel", Frame::from_fn(width, height, |x, y| if (x, y) == (bx, by) { 255 } else { 0 }))
        }
        4 => ("ramp", Frame::from_fn(width, height, |x, y| ((x * 7 + y * 3) % 256) as u8)),
        5 => {
            let base: u8 = rng.gen_range(0..240);
            ("near-flat", Frame::from_fn(width, height, |_, _| base + rng.gen_range(0..16)))
        }
        _ => ("random", Frame::from_fn(width, height, |_, _| rng.gen())),
    }
}

/// A random size the preset takes: W a multiple of 4 up to its widest, (W/4)(H/4) blocks
/// within its memory and at most `max_blocks`.
pub fn random_size(cfg: &CodecConfig, max_blocks: u32, rng: &mut impl Rng) -> (u32, u32) {
    let bw = rng.gen_range(1..=(cfg.max_width / 4).min(max_blocks));
    let bh = rng.gen_range(1..=(cfg.frame_blocks.min(max_blocks) / bw).max(1));
    (4 * bw, 4 * bh)
}

/// Sizes the unit must refuse, for a preset.
pub fn bad_sizes(cfg: &CodecConfig) -> Vec<(u32, u32)> {
    let tall = 4 * (cfg.frame_blocks / (cfg.max_width / 4) + 1);
    vec![(0, 8), (8, 0), (6, 8), (8, 6), (cfg.max_width + 4, 4), (cfg.max_width, tall.min(2044)), (2047, 2047)]
}

/// Checks one encoded frame against the golden model: the words, their addresses and the
/// last mark, and the reads made meanwhile.
pub fn check_encoded(frame: &Frame, e: &Encoded) -> Result<Compressed, String> {
    let c = Compressed::encode(frame).map_err(|err| err.to_string())?;
    let (bw, bh) = c.blocks();
    let n = bw * bh;
    if e.words.len() != n {
        return Err(format!("{} words out for {n} blocks", e.words.len()));
    }
    for (k, &(word, addr, last)) in e.words.iter().enumerate() {
        if (word, addr as usize, last) != (c.word(k), k, k + 1 == n) {
            return Err(format!(
                "block {k} (bx {}, by {}): the unit gave word {word:#09x} at {addr} (last {last}), the model {:#09x}",
                k % bw,
                k / bw,
                c.word(k)
            ));
        }
    }
    check_reads(&c, &e.reads)?;
    Ok(c)
}

/// Checks block reads against the golden model.
pub fn check_reads(c: &Compressed, reads: &[(u32, Block)]) -> Result<(), String> {
    for &(addr, got) in reads {
        let want = Block::expected(c, addr);
        if got != want {
            return Err(format!("read of block {addr}: the unit gave {got:?}, the model {want:?}"));
        }
    }
    Ok(())
}

/// The codec's random test stimulus on any model of a preset (the registry's `stimulus`,
/// what `edgertl cover` runs): frames of every pattern and random sizes with random traffic
/// and reads meanwhile, refused sizes, loaded frames read back in full, every word and block
/// checked against the golden model.
pub fn stimulus(dut: &mut dyn Dut, preset: &str, stim: &mut Stimulus) -> Result<u64, String> {
    let cfg = CodecConfig::preset(preset).map_err(|e| e.to_string())?;
    let mut d = CodecDriver::new(dut);
    let rng = &mut stim.rng;
    // Reads before any frame: every address is outside.
    let got = d.read(&[0, 1, 65535], Traffic::FULL_SPEED, rng)?;
    if got.iter().any(|b| !b.err) {
        return Err("a read before any frame was not refused".into());
    }
    for k in 0..24 {
        let (w, h) = random_size(&cfg, 400, rng);
        let (name, frame) = pattern(k, w as usize, h as usize, rng);
        let traffic = if k % 3 == 0 { Traffic::FULL_SPEED } else { Traffic::random(rng) };
        let e = d.encode(&frame, traffic, 0.2, rng)?.ok_or_else(|| format!("{w} x {h} refused"))?;
        let c = check_encoded(&frame, &e).map_err(|err| format!("frame {k} ({name}, {w} x {h}): {err}"))?;
        if k % 4 == 0 {
            // A size the unit refuses: the memory keeps this frame.
            let bad = bad_sizes(&cfg);
            let (bw, bh) = bad[rng.gen_range(0..bad.len())];
            if d.start(bw, bh, false)? {
                return Err(format!("a {bw} x {bh} frame was taken"));
            }
            let n = (w / 4) * (h / 4);
            let addrs: Vec<u32> = (0..16).map(|_| rng.gen_range(0..n + 4)).collect();
            let got = d.read(&addrs, Traffic::random(rng), rng)?;
            check_reads(&c, &addrs.iter().copied().zip(got).collect::<Vec<_>>())?;
        }
        if k % 6 == 5 {
            // The frame's words loaded back (as from a file), then every block read.
            let words: Vec<u32> = e.words.iter().map(|w| w.0).collect();
            if !d.load(w, h, &words, Traffic::random(rng).camera, rng)? {
                return Err(format!("loading a {w} x {h} frame was refused"));
            }
            let addrs: Vec<u32> = (0..words.len() as u32 + 2).collect();
            let got = d.read(&addrs, Traffic::random(rng), rng)?;
            check_reads(&c, &addrs.iter().copied().zip(got).collect::<Vec<_>>())?;
        }
    }
    Ok(d.pins.cycles())
}
