//! The Navion frame codec's golden model: frames stored at 26 bits per 4 x 4 block, and the
//! `.nfc` file that holds one.
//!
//! # The block (issue 13, §3)
//!
//! Pixels are cut to 5 bits (`p5 = p >> 3`) and the frame is split into 4 x 4 blocks (W and H
//! multiples of 4). Per block:
//!
//! ```text
//!  mn = min p5      th = (max p5 - mn + 1) >> 1      bit(p) = th > 0 && p5 - mn >= th
//!  decoded: q5 = bit ? min(31, mn + 2 th) : mn,  shown as 8 bits: (q5 << 3) | (q5 >> 2)
//!
//!  bit  25 ............................ 10 | 9 .. 5 | 4 .. 0
//!       pixel bits, raster order in block |   th    |   mn
//!       (bit 10 + 4 r + c: row r, column c)
//! ```
//!
//! th is at most 16 and fits its 5 bits. The encoder makes only **canonical** blocks:
//! th = 0 with no pixel bit set, or th > 0 with at least one bit set (the maximum) and one
//! clear (the minimum) and mn + 2 th <= 32 (the maximum, mn + 2 th - 1 or mn + 2 th, is at most
//! 31). [`check_block`] tells a canonical block from one no encoder makes; [`decode_block`]
//! decodes any 26-bit word (the `min(31, ..)` saturates).
//!
//! # The frame memory and the `.nfc` file (issue 13, §4)
//!
//! Blocks go in raster order (block k = by * W/4 + bx) into one little-endian bit stream:
//! block k in stream bits 26k ..= 26k + 25, stream bit j in bit j mod 8 of byte j div 8,
//! padded with zeros to a whole byte. [`Compressed`] holds that stream as the frame memory
//! does, and decodes any block by its address from it ([`Compressed::block`]). The file is
//! the 4 bytes `NFC1`, W and H as little-endian u16, then the stream. [`parse_nfc`] refuses a
//! bad magic, a short header, a size of zero or not a multiple of 4, a stream of the wrong
//! length (truncated, or with bytes left over), padding bits that are not zero and any block
//! that is not canonical, each with its own message; [`read_nfc`] names the file.

use super::Frame;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Bits per 4 x 4 block.
pub const BLOCK_BITS: usize = 26;
/// The first 4 bytes of an `.nfc` file.
pub const NFC_MAGIC: [u8; 4] = *b"NFC1";
/// Bytes before the stream: the magic, W and H.
pub const NFC_HEADER_BYTES: usize = 8;
/// The largest side a `.nfc` file can hold: the largest multiple of 4 in a u16.
pub const MAX_SIDE: usize = 65532;

/// A frame the codec cannot take, or a block address outside it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("the frame is {width} x {height} pixels: the codec needs a width and a height that are nonzero multiples of 4 (4 x 4 blocks)")]
    NotBlocks { width: usize, height: usize },
    #[error("the frame is {width} x {height} pixels: the codec takes at most {MAX_SIDE} each way (the .nfc header holds 16-bit sizes)")]
    TooLarge { width: usize, height: usize },
    #[error("block ({bx}, {by}) is outside the frame's {blocks_x} x {blocks_y} blocks")]
    NoSuchBlock { bx: usize, by: usize, blocks_x: usize, blocks_y: usize },
}

/// Why an `.nfc` file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum NfcError {
    #[error("cannot read {}: {cause}", path.display())]
    Io { path: PathBuf, cause: std::io::Error },
    /// A malformed file: what is wrong, and the file when known.
    #[error("{}{message}", path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
    Malformed { path: Option<PathBuf>, message: String },
}

/// The 5-bit fields of a block: (mn, th, pixel bits).
pub fn fields(word: u32) -> (u32, u32, u32) {
    (word & 0x1f, (word >> 5) & 0x1f, (word >> 10) & 0xffff)
}

/// Encodes one block, 16 pixels in raster order within the block, into its 26-bit word.
pub fn encode_block(pixels: &[u8; 16]) -> u32 {
    let p5 = pixels.map(|p| u32::from(p >> 3));
    let mn = *p5.iter().min().expect("16 pixels");
    let mx = *p5.iter().max().expect("16 pixels");
    let th = (mx - mn + 1) >> 1;
    let bits = p5
        .iter()
        .enumerate()
        .filter(|&(_, &p)| th > 0 && p - mn >= th)
        .fold(0u32, |acc, (i, _)| acc | 1 << i);
    mn | th << 5 | bits << 10
}

/// Decodes one 26-bit word (any: bits above 25 are ignored) into 16 8-bit pixels, raster order.
pub fn decode_block(word: u32) -> [u8; 16] {
    let (mn, th, bits) = fields(word);
    let high = (mn + 2 * th).min(31);
    std::array::from_fn(|i| {
        let q5 = if bits >> i & 1 == 1 { high } else { mn };
        ((q5 << 3) | (q5 >> 2)) as u8
    })
}

/// `Ok` for a canonical block (module doc), else why no encoder makes it.
pub fn check_block(word: u32) -> Result<(), String> {
    let (mn, th, bits) = fields(word);
    if word >> BLOCK_BITS != 0 {
        return Err(format!("the word {word:#x} has more than {BLOCK_BITS} bits"));
    }
    match th {
        0 if bits != 0 => Err(format!("th = 0 but pixel bits {bits:#06x} are set")),
        0 => Ok(()),
        _ if mn + 2 * th > 32 => Err(format!("mn = {mn} and th = {th}: the block's maximum would be above 31")),
        _ if bits == 0 => Err(format!("th = {th} but no pixel bit is set (the maximum has its bit)")),
        _ if bits == 0xffff => Err(format!("th = {th} but every pixel bit is set (the minimum has none)")),
        _ => Ok(()),
    }
}

/// A compressed frame: its size and the packed stream of blocks, the frame memory's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compressed {
    width: usize,
    height: usize,
    stream: Vec<u8>,
}

/// The bytes a stream of `blocks` blocks takes.
pub fn stream_bytes(blocks: usize) -> usize {
    (blocks * BLOCK_BITS).div_ceil(8)
}

impl Compressed {
    /// Encodes a frame; its width and height must be nonzero multiples of 4, at most
    /// [`MAX_SIDE`].
    pub fn encode(frame: &Frame) -> Result<Compressed, CodecError> {
        let (width, height) = (frame.width(), frame.height());
        check_size(width, height)?;
        let (bw, bh) = (width / 4, height / 4);
        let mut stream = vec![0u8; stream_bytes(bw * bh)];
        for by in 0..bh {
            for bx in 0..bw {
                let block = std::array::from_fn(|i| frame.at(4 * bx + i % 4, 4 * by + i / 4));
                put_bits(&mut stream, (by * bw + bx) * BLOCK_BITS, encode_block(&block));
            }
        }
        Ok(Compressed { width, height, stream })
    }

    /// A frame from its block words in raster order (what the hardware encoder gives); the
    /// size must be one the codec takes, every word canonical ([`check_block`]), one a block.
    pub fn from_words(width: usize, height: usize, words: &[u32]) -> Result<Compressed, String> {
        check_size(width, height).map_err(|e| e.to_string())?;
        let n = (width / 4) * (height / 4);
        if words.len() != n {
            return Err(format!("a {width} x {height} frame has {n} blocks, not {}", words.len()));
        }
        let mut stream = vec![0u8; stream_bytes(n)];
        for (k, &w) in words.iter().enumerate() {
            check_block(w).map_err(|why| format!("block {k}: {why}"))?;
            put_bits(&mut stream, k * BLOCK_BITS, w);
        }
        Ok(Compressed { width, height, stream })
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// Blocks across and down.
    pub fn blocks(&self) -> (usize, usize) {
        (self.width / 4, self.height / 4)
    }

    /// The packed stream (the `.nfc` file after its header).
    pub fn stream(&self) -> &[u8] {
        &self.stream
    }

    /// The 26-bit word of block k (raster order), read from the stream.
    pub fn word(&self, k: usize) -> u32 {
        get_bits(&self.stream, k * BLOCK_BITS)
    }

    /// Block (bx, by) decoded, 16 pixels in raster order within the block: what the tracker
    /// reads for a patch.
    pub fn block(&self, bx: usize, by: usize) -> Result<[u8; 16], CodecError> {
        let (blocks_x, blocks_y) = self.blocks();
        if bx >= blocks_x || by >= blocks_y {
            return Err(CodecError::NoSuchBlock { bx, by, blocks_x, blocks_y });
        }
        Ok(decode_block(self.word(by * blocks_x + bx)))
    }

    /// Block k (raster order of blocks, the frame memory's address) decoded.
    pub fn block_at(&self, k: usize) -> Result<[u8; 16], CodecError> {
        let (blocks_x, blocks_y) = self.blocks();
        if k >= blocks_x * blocks_y {
            return Err(CodecError::NoSuchBlock { bx: k % blocks_x, by: k / blocks_x, blocks_x, blocks_y });
        }
        Ok(decode_block(self.word(k)))
    }

    /// The whole frame decoded.
    pub fn decode(&self) -> Frame {
        let (bw, bh) = self.blocks();
        let mut pixels = vec![0u8; self.width * self.height];
        for k in 0..bw * bh {
            let (bx, by) = (k % bw, k / bw);
            for (i, p) in decode_block(self.word(k)).into_iter().enumerate() {
                pixels[(4 * by + i / 4) * self.width + 4 * bx + i % 4] = p;
            }
        }
        Frame::new(self.width, self.height, pixels).expect("the size was checked")
    }

    /// The `.nfc` file's bytes.
    pub fn to_nfc(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(NFC_HEADER_BYTES + self.stream.len());
        out.extend_from_slice(&NFC_MAGIC);
        out.extend_from_slice(&(self.width as u16).to_le_bytes());
        out.extend_from_slice(&(self.height as u16).to_le_bytes());
        out.extend_from_slice(&self.stream);
        out
    }

    /// The `.nfc` file's size in bytes.
    pub fn nfc_len(&self) -> usize {
        NFC_HEADER_BYTES + self.stream.len()
    }
}

fn check_size(width: usize, height: usize) -> Result<(), CodecError> {
    if width == 0 || height == 0 || !width.is_multiple_of(4) || !height.is_multiple_of(4) {
        return Err(CodecError::NotBlocks { width, height });
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(CodecError::TooLarge { width, height });
    }
    Ok(())
}

/// Writes the 26 bits of `word` at stream bit `at` (the bits there are zero).
fn put_bits(stream: &mut [u8], at: usize, word: u32) {
    for i in 0..BLOCK_BITS {
        let j = at + i;
        stream[j / 8] |= ((word >> i & 1) as u8) << (j % 8);
    }
}

/// The 26 bits at stream bit `at`.
fn get_bits(stream: &[u8], at: usize) -> u32 {
    (0..BLOCK_BITS).fold(0, |word, i| {
        let j = at + i;
        word | u32::from(stream[j / 8] >> (j % 8) & 1) << i
    })
}

/// Writes `c` as an `.nfc` file to any writer (files go through `edgertl::output`).
pub fn write_nfc<W: Write>(mut out: W, c: &Compressed) -> std::io::Result<()> {
    out.write_all(&c.to_nfc())?;
    out.flush()
}

/// Reads an `.nfc` file; every error names it.
pub fn read_nfc(path: &Path) -> Result<Compressed, NfcError> {
    let bytes = std::fs::read(path).map_err(|cause| NfcError::Io { path: path.into(), cause })?;
    parse_nfc(&bytes).map_err(|e| match e {
        NfcError::Malformed { message, .. } => NfcError::Malformed { path: Some(path.into()), message },
        other => other,
    })
}

/// Parses an `.nfc` file's bytes (module doc for what is refused).
pub fn parse_nfc(bytes: &[u8]) -> Result<Compressed, NfcError> {
    let bad = |message: String| NfcError::Malformed { path: None, message };
    if bytes.len() < NFC_MAGIC.len() || bytes[..4] != NFC_MAGIC {
        let found: String = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
        return Err(bad(format!("not an .nfc file (expected the magic \"NFC1\", found [{found}])")));
    }
    if bytes.len() < NFC_HEADER_BYTES {
        return Err(bad(format!(
            "truncated header: the file has {} byte(s), an .nfc file starts with {NFC_HEADER_BYTES} (\"NFC1\", width, height)",
            bytes.len()
        )));
    }
    let width = usize::from(u16::from_le_bytes([bytes[4], bytes[5]]));
    let height = usize::from(u16::from_le_bytes([bytes[6], bytes[7]]));
    check_size(width, height).map_err(|e| bad(format!("bad header: {e}")))?;
    let blocks = (width / 4) * (height / 4);
    let expected = stream_bytes(blocks);
    let stream = &bytes[NFC_HEADER_BYTES..];
    if stream.len() != expected {
        let what = if stream.len() < expected { "truncated" } else { "bytes after the last block" };
        return Err(bad(format!(
            "a {width} x {height} frame has {blocks} block(s), {expected} byte(s) of stream, but the file holds {} ({what})",
            stream.len()
        )));
    }
    let used = blocks * BLOCK_BITS;
    if !used.is_multiple_of(8) && stream[expected - 1] >> (used % 8) != 0 {
        return Err(bad(format!("the padding bits after the last block are not zero (last byte {:#04x})", stream[expected - 1])));
    }
    let c = Compressed { width, height, stream: stream.to_vec() };
    for k in 0..blocks {
        check_block(c.word(k)).map_err(|why| {
            bad(format!("block {k} (bx {}, by {}) is not one the encoder makes: {why}", k % (width / 4), k / (width / 4)))
        })?;
    }
    Ok(c)
}

/// Peak signal-to-noise ratio of `b` against `a`, dB (8-bit peak 255); infinite when equal.
/// Panics when the frames' sizes differ.
pub fn psnr(a: &Frame, b: &Frame) -> f64 {
    assert_eq!((a.width(), a.height()), (b.width(), b.height()), "PSNR of frames of different sizes");
    let n = a.pixels().len().max(1) as f64;
    let se: u64 = a.pixels().iter().zip(b.pixels()).map(|(&p, &q)| u64::from(p.abs_diff(q)).pow(2)).sum();
    if se == 0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64 * 255.0 / (se as f64 / n)).log10()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// The spec read pixel by pixel, with no blocks as arrays: the decoded 8-bit pixel (x, y).
    fn reference_pixel(f: &Frame, x: usize, y: usize) -> u8 {
        let (x0, y0) = (x - x % 4, y - y % 4);
        let mut lo = 31;
        let mut hi = 0;
        for yy in y0..y0 + 4 {
            for xx in x0..x0 + 4 {
                lo = lo.min(f.at(xx, yy) / 8);
                hi = hi.max(f.at(xx, yy) / 8);
            }
        }
        let th = (hi - lo + 1) >> 1;
        let p = f.at(x, y) / 8;
        let q = if th > 0 && p - lo >= th { std::cmp::min(31, lo + 2 * th) } else { lo };
        q * 8 + q / 4
    }

    fn frames() -> Vec<(String, Frame)> {
        let mut rng = StdRng::seed_from_u64(5);
        let mut v = vec![
            ("black".into(), Frame::from_fn(8, 8, |_, _| 0)),
            ("white".into(), Frame::from_fn(8, 8, |_, _| 255)),
            ("checkerboard".into(), Frame::from_fn(12, 8, |x, y| if (x + y) % 2 == 0 { 255 } else { 0 })),
            ("bright pixel".into(), Frame::from_fn(8, 4, |x, y| if (x, y) == (5, 2) { 255 } else { 0 })),
            ("ramp".into(), Frame::from_fn(256, 4, |x, _| x as u8)),
            ("near-flat".into(), Frame::from_fn(16, 8, |x, y| 100 + ((x + y) % 2) as u8 * 7)),
        ];
        for i in 0..20 {
            let (w, h) = (4 * rng.gen_range(1..12), 4 * rng.gen_range(1..12));
            v.push((format!("random #{i}"), Frame::from_fn(w, h, |_, _| rng.gen())));
        }
        v
    }

    #[test]
    fn decoding_matches_the_pixel_by_pixel_reference() {
        for (name, f) in frames() {
            let c = Compressed::encode(&f).unwrap();
            let d = c.decode();
            for y in 0..f.height() {
                for x in 0..f.width() {
                    assert_eq!(d.at(x, y), reference_pixel(&f, x, y), "{name} ({x}, {y})");
                }
            }
            // Every block the encoder makes is canonical, and the file round-trips.
            for k in 0..(f.width() / 4) * (f.height() / 4) {
                check_block(c.word(k)).unwrap();
            }
            assert_eq!(parse_nfc(&c.to_nfc()).unwrap(), c, "{name}");
        }
    }

    #[test]
    fn the_bit_layout_is_the_documented_one() {
        // One block, all black but its last pixel white: mn 0, max 31, th 16, bit 15 set.
        let f = Frame::from_fn(4, 4, |x, y| if (x, y) == (3, 3) { 255 } else { 0 });
        let c = Compressed::encode(&f).unwrap();
        assert_eq!(c.word(0), 16 << 5 | 1 << 25);
        // 26 bits in 4 bytes: 0x0200_0200 little-endian, the top 6 bits of byte 3 padding.
        assert_eq!(c.to_nfc(), [b'N', b'F', b'C', b'1', 4, 0, 4, 0, 0x00, 0x02, 0x00, 0x02]);
        assert_eq!(c.decode().pixels()[15], 255);
        assert!(c.decode().pixels()[..15].iter().all(|&p| p == 0));
        // Two blocks: the second starts at stream bit 26, byte 3 bit 2. Its mn is 31 (white).
        let f = Frame::from_fn(8, 4, |x, _| if x >= 4 { 255 } else { 0 });
        let c = Compressed::encode(&f).unwrap();
        assert_eq!((c.word(0), c.word(1)), (0, 31));
        assert_eq!(c.stream(), [0, 0, 0, 31 << 2, 0, 0, 0]);
        assert_eq!(c.nfc_len(), 8 + 7);
    }

    #[test]
    fn any_block_decodes_by_address() {
        let mut rng = StdRng::seed_from_u64(6);
        let f = Frame::from_fn(40, 24, |_, _| rng.gen());
        let c = Compressed::encode(&f).unwrap();
        let d = c.decode();
        for by in 0..6 {
            for bx in 0..10 {
                let block = c.block(bx, by).unwrap();
                assert_eq!(c.block_at(by * 10 + bx).unwrap(), block);
                for (i, &p) in block.iter().enumerate() {
                    assert_eq!(p, d.at(4 * bx + i % 4, 4 * by + i / 4));
                }
            }
        }
        assert_eq!(c.block(10, 0), Err(CodecError::NoSuchBlock { bx: 10, by: 0, blocks_x: 10, blocks_y: 6 }));
        assert!(c.block(0, 6).is_err());
        assert_eq!(c.block_at(60), Err(CodecError::NoSuchBlock { bx: 0, by: 6, blocks_x: 10, blocks_y: 6 }));
    }

    #[test]
    fn every_canonical_block_is_one_the_encoder_makes() {
        // For every mn and th and random bit patterns, a block of pixels that has them.
        let mut rng = StdRng::seed_from_u64(7);
        for mn in 0..32u32 {
            for th in 0..=16u32 {
                for _ in 0..20 {
                    let bits: u32 = if th == 0 { 0 } else { rng.gen_range(1..0xffff) };
                    let word = mn | th << 5 | bits << 10;
                    if check_block(word).is_err() {
                        assert!(th > 0 && mn + 2 * th > 32);
                        continue;
                    }
                    // Clear pixels at mn; set pixels at mn + 2 th - 1 (the maximum), one at least.
                    let pixels: [u8; 16] = std::array::from_fn(|i| {
                        let p5 = if bits >> i & 1 == 1 { mn + 2 * th - 1 } else { mn };
                        (p5 << 3) as u8 | rng.gen_range(0..8)
                    });
                    assert_eq!(encode_block(&pixels), word);
                }
            }
        }
        assert!(check_block(1 << 26).is_err());
        assert!(check_block(1 << 10).is_err(), "bits with th = 0");
        assert!(check_block(4 << 5).is_err(), "th without bits");
        assert!(check_block(4 << 5 | 0xffff << 10).is_err(), "every bit set");
        assert!(check_block(20 | 7 << 5 | 1 << 10).is_err(), "maximum above 31");
    }

    #[test]
    fn bad_frames_and_files_are_errors() {
        for (w, h) in [(0, 0), (6, 4), (4, 6), (0, 4)] {
            let f = Frame::from_fn(w, h, |_, _| 0);
            assert_eq!(Compressed::encode(&f), Err(CodecError::NotBlocks { width: w, height: h }));
        }
        assert!(matches!(Compressed::encode(&Frame::from_fn(65536, 4, |_, _| 0)), Err(CodecError::TooLarge { .. })));
        let good = Compressed::encode(&Frame::from_fn(8, 4, |x, _| (x * 30) as u8)).unwrap().to_nfc();
        let message = |bytes: &[u8]| parse_nfc(bytes).unwrap_err().to_string();
        assert!(message(b"").contains("not an .nfc file"));
        assert!(message(b"PNG\x89xxxx").contains("not an .nfc file"));
        assert!(message(&good[..6]).contains("truncated header"));
        assert!(message(&good[..good.len() - 1]).contains("truncated"));
        let mut longer = good.clone();
        longer.push(0);
        assert!(message(&longer).contains("bytes after the last block"));
        let mut odd = good.clone();
        odd[4] = 6;
        assert!(message(&odd).contains("multiples of 4"));
        let mut zero = good.clone();
        zero[6] = 0;
        assert!(message(&zero).contains("multiples of 4"));
        let mut pad = good.clone();
        *pad.last_mut().unwrap() |= 0x80;
        assert!(message(&pad).contains("padding"));
        let mut noncanonical = good.clone();
        // Block 0's bits 10..=25 cleared while th stays: th > 0 and no pixel bit.
        let c = parse_nfc(&good).unwrap();
        let (_, th0, _) = fields(c.word(0));
        assert!(th0 > 0);
        noncanonical[9] &= 0x03;
        noncanonical[10] = 0;
        noncanonical[11] &= !0x03;
        assert!(message(&noncanonical).contains("block 0 (bx 0, by 0) is not one the encoder makes"), "{}", message(&noncanonical));
    }

    #[test]
    fn mutated_files_never_panic_and_what_parses_round_trips() {
        let mut rng = StdRng::seed_from_u64(8);
        let good = Compressed::encode(&Frame::from_fn(12, 8, |_, _| rng.gen())).unwrap().to_nfc();
        let (mut ok, mut refused) = (0, 0);
        for _ in 0..5000 {
            let mut bytes = good.clone();
            match rng.gen_range(0..4) {
                0 => bytes.truncate(rng.gen_range(0..good.len())),
                1 => bytes.extend((0..rng.gen_range(1..4)).map(|_| rng.gen::<u8>())),
                _ => {
                    for _ in 0..rng.gen_range(1..3) {
                        let i = rng.gen_range(0..bytes.len());
                        bytes[i] ^= 1 << rng.gen_range(0..8);
                    }
                }
            }
            match parse_nfc(&bytes) {
                Ok(c) => {
                    ok += 1;
                    assert_eq!(c.to_nfc(), bytes);
                }
                Err(e) => {
                    refused += 1;
                    assert!(!e.to_string().is_empty());
                }
            }
        }
        // Both outcomes happen: some flips make another canonical block.
        assert!(ok > 0 && refused > 0, "{ok} parsed, {refused} refused");
    }

    #[test]
    fn psnr_of_equal_and_different_frames() {
        let a = Frame::from_fn(4, 4, |_, _| 10);
        assert_eq!(psnr(&a, &a), f64::INFINITY);
        let b = Frame::from_fn(4, 4, |_, _| 11);
        // MSE 1: 20 log10(255).
        assert!((psnr(&a, &b) - 48.1308).abs() < 1e-3);
    }
}
