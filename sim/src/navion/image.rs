//! PNG files to 8-bit gray [`Frame`]s and back, and the corner overlay, with the `image` crate.
//!
//! **Reading** ([`read_png`], [`parse_png`]): 8-bit PNGs of every colour type. Gray is taken
//! as it is; colour is turned to gray with ITU-R BT.601's weights in OpenCV's 14-bit fixed
//! point (`cvtColor(..., COLOR_RGB2GRAY)`, so that OpenCV sees the same frame):
//!
//! ```text
//!   Y = (4899 R + 9617 G + 1868 B + 8192) >> 14        (4899 + 9617 + 1868 = 2^14)
//! ```
//!
//! Alpha is ignored (the colour under it is taken). Palette and 1-, 2- and 4-bit gray images are
//! expanded to 8 bits first. Refused with a clear [`ImageError`]: a file that is not a PNG, a
//! corrupt PNG, a 16-bit PNG (convert it to 8 bits: this project's frames are 8-bit camera
//! pixels), an empty image, and one wider or taller than [`MAX_SIDE`].
//!
//! **Writing** ([`write_png_gray`], [`write_png_rgb`]) goes to any [`Write`]: files go through
//! `edgertl::output`. [`overlay`] draws corners on a frame as a person wants to see them:
//! the frame scaled up (nearest neighbour) until its long side is 640 pixels or more, the
//! grid's cells outlined in blue, each corner a green ring with a dark rim (seen on white and
//! on black) around its pixel, which is painted red.

use super::Frame;
use super::detector::{Corner, DetectorConfig};
use image::{ColorType, DynamicImage, ExtendedColorType, ImageDecoder, ImageEncoder, ImageFormat, ImageReader};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

/// The widest and tallest frame read.
pub const MAX_SIDE: u32 = 16384;

/// The PNG signature.
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// Why a PNG cannot be read; the message names the file.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("cannot read {}: {cause}", path.display())]
    Io { path: PathBuf, cause: std::io::Error },
    #[error("{}: not a PNG file (it does not start with the PNG signature)", path.display())]
    NotPng { path: PathBuf },
    #[error("{}: not a valid PNG: {message}", path.display())]
    Corrupt { path: PathBuf, message: String },
    #[error("{}: a 16-bit PNG ({color}); only 8-bit PNGs are taken (convert it, e.g. `convert in.png -depth 8 out.png`)", path.display())]
    SixteenBit { path: PathBuf, color: String },
    #[error("{}: the image is empty ({width} x {height} pixels)", path.display())]
    Empty { path: PathBuf, width: u32, height: u32 },
    #[error("{}: the image is {width} x {height} pixels, larger than the {MAX_SIDE} x {MAX_SIDE} taken", path.display())]
    TooLarge { path: PathBuf, width: u32, height: u32 },
}

/// Gray from 8-bit RGB (module doc).
pub fn gray(r: u8, g: u8, b: u8) -> u8 {
    ((4899 * u32::from(r) + 9617 * u32::from(g) + 1868 * u32::from(b) + 8192) >> 14) as u8
}

/// Reads a PNG file as an 8-bit gray frame.
pub fn read_png(path: &Path) -> Result<Frame, ImageError> {
    let bytes = std::fs::read(path).map_err(|cause| ImageError::Io { path: path.into(), cause })?;
    parse_png(&bytes, path)
}

/// Decodes PNG bytes as an 8-bit gray frame; `path` is for the messages.
pub fn parse_png(bytes: &[u8], path: &Path) -> Result<Frame, ImageError> {
    let path_buf = || path.to_path_buf();
    let corrupt = |e: image::ImageError| ImageError::Corrupt { path: path_buf(), message: e.to_string() };
    if !bytes.starts_with(&PNG_SIGNATURE) {
        return Err(ImageError::NotPng { path: path_buf() });
    }
    // The size from IHDR first (the first chunk, by the PNG standard), so that an empty or an
    // oversized image gets its own message rather than the decoder's.
    if bytes.len() >= 24 && &bytes[12..16] == b"IHDR" {
        let width = u32::from_be_bytes(bytes[16..20].try_into().expect("4 bytes"));
        let height = u32::from_be_bytes(bytes[20..24].try_into().expect("4 bytes"));
        if width == 0 || height == 0 {
            return Err(ImageError::Empty { path: path_buf(), width, height });
        }
        if width > MAX_SIDE || height > MAX_SIDE {
            return Err(ImageError::TooLarge { path: path_buf(), width, height });
        }
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), ImageFormat::Png);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    reader.limits(limits);
    let decoder = reader.into_decoder().map_err(corrupt)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(ImageError::Empty { path: path_buf(), width, height });
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(ImageError::TooLarge { path: path_buf(), width, height });
    }
    let color = decoder.color_type();
    if matches!(color, ColorType::L16 | ColorType::La16 | ColorType::Rgb16 | ColorType::Rgba16) {
        return Err(ImageError::SixteenBit { path: path_buf(), color: format!("{color:?}") });
    }
    let image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    let pixels: Vec<u8> = match image {
        DynamicImage::ImageLuma8(img) => img.into_raw(),
        DynamicImage::ImageLumaA8(img) => img.pixels().map(|p| p.0[0]).collect(),
        DynamicImage::ImageRgb8(img) => img.pixels().map(|p| gray(p.0[0], p.0[1], p.0[2])).collect(),
        DynamicImage::ImageRgba8(img) => img.pixels().map(|p| gray(p.0[0], p.0[1], p.0[2])).collect(),
        other => {
            return Err(ImageError::Corrupt { path: path_buf(), message: format!("unexpected pixel type {:?}", other.color()) })
        }
    };
    Ok(Frame::new(width as usize, height as usize, pixels).expect("the decoder's size"))
}

/// Writes a frame as an 8-bit gray PNG.
pub fn write_png_gray<W: Write>(out: W, frame: &Frame) -> image::ImageResult<()> {
    image::codecs::png::PngEncoder::new(out).write_image(
        frame.pixels(),
        frame.width() as u32,
        frame.height() as u32,
        ExtendedColorType::L8,
    )
}

/// An RGB picture, 3 bytes a pixel in raster order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rgb {
    pub width: usize,
    pub height: usize,
    pub data: Vec<u8>,
}

impl Rgb {
    fn put(&mut self, x: i64, y: i64, colour: [u8; 3]) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            let i = 3 * (y as usize * self.width + x as usize);
            self.data[i..i + 3].copy_from_slice(&colour);
        }
    }

    fn blend(&mut self, x: usize, y: usize, colour: [u8; 3]) {
        let i = 3 * (y * self.width + x);
        for (c, k) in self.data[i..i + 3].iter_mut().zip(colour) {
            *c = ((u16::from(*c) + u16::from(k)) / 2) as u8;
        }
    }
}

/// Writes an RGB picture as a PNG.
pub fn write_png_rgb<W: Write>(out: W, img: &Rgb) -> image::ImageResult<()> {
    image::codecs::png::PngEncoder::new(out).write_image(&img.data, img.width as u32, img.height as u32, ExtendedColorType::Rgb8)
}

/// The long side an overlay is scaled up to, at least.
pub const OVERLAY_SIDE: usize = 640;

/// The frame with its grid and corners drawn on it (module doc); `grid` is `cfg`'s.
pub fn overlay(frame: &Frame, corners: &[Corner], cfg: &DetectorConfig) -> Rgb {
    let (w, h) = (frame.width(), frame.height());
    let s = OVERLAY_SIDE.div_ceil(w.max(h).max(1)).max(1);
    let mut img = Rgb { width: w * s, height: h * s, data: Vec::with_capacity(9 * w * h * s * s) };
    for y in 0..h * s {
        for x in 0..w * s {
            let p = frame.at(x / s, y / s);
            img.data.extend_from_slice(&[p, p, p]);
        }
    }
    // Cell borders: the first pixel of each cell (x * GX / W changes) gets a blue edge.
    const BLUE: [u8; 3] = [40, 110, 255];
    for y in 0..h * s {
        for x in 0..w * s {
            let (px, py) = (x / s, y / s);
            let (cx, cy) = cfg.cell(px, py, w, h);
            let left = px > 0 && x % s == 0 && cfg.cell(px - 1, py, w, h).0 != cx;
            let top = py > 0 && y % s == 0 && cfg.cell(px, py - 1, w, h).1 != cy;
            if left || top {
                img.blend(x, y, BLUE);
            }
        }
    }
    // Rings: radius 5 output pixels (at least the pixel's own size), green on a dark rim.
    let r = 5.0f64.max(s as f64 * 0.9);
    let reach = (r + 2.0).ceil() as i64;
    for c in corners {
        let (cx, cy) = ((c.x as usize * s) as f64 + s as f64 / 2.0, (c.y as usize * s) as f64 + s as f64 / 2.0);
        for dy in -reach..=reach {
            for dx in -reach..=reach {
                let (x, y) = (cx.floor() as i64 + dx, cy.floor() as i64 + dy);
                let d = ((x as f64 + 0.5 - cx).powi(2) + (y as f64 + 0.5 - cy).powi(2)).sqrt();
                if (r - 0.75..=r + 0.75).contains(&d) {
                    img.put(x, y, [0, 255, 60]);
                } else if (r - 1.75..r - 0.75).contains(&d) || (r + 0.75..=r + 1.75).contains(&d) {
                    img.put(x, y, [0, 0, 0]);
                }
            }
        }
        for y in 0..s {
            for x in 0..s {
                img.put((c.x as usize * s + x) as i64, (c.y as usize * s + y) as i64, [255, 30, 30]);
            }
        }
    }
    img
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_of(width: u32, height: u32, color: ExtendedColorType, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out).write_image(data, width, height, color).unwrap();
        out
    }

    fn parse(bytes: &[u8]) -> Result<Frame, ImageError> {
        parse_png(bytes, Path::new("t.png"))
    }

    #[test]
    fn gray_and_colour_pngs_read_as_the_documented_gray() {
        let f = Frame::from_fn(5, 3, |x, y| (x * 50 + y) as u8);
        let mut bytes = Vec::new();
        write_png_gray(&mut bytes, &f).unwrap();
        assert_eq!(parse(&bytes).unwrap(), f);
        // Colour: the BT.601 weights; white stays 255, pure primaries are their weight.
        let rgb = [255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 200, 30, 0, 0, 0];
        let got = parse(&png_of(3, 2, ExtendedColorType::Rgb8, &rgb)).unwrap();
        assert_eq!(got.pixels(), [255, 76, 150, 29, 124, 0]);
        for (i, px) in rgb.chunks(3).enumerate() {
            let expect = 0.299 * f64::from(px[0]) + 0.587 * f64::from(px[1]) + 0.114 * f64::from(px[2]);
            assert!((f64::from(got.pixels()[i]) - expect).abs() <= 0.5 + 1e-9, "{px:?}");
        }
        // Alpha is ignored.
        let rgba = [10, 200, 30, 0, 255, 255, 255, 7];
        assert_eq!(parse(&png_of(2, 1, ExtendedColorType::Rgba8, &rgba)).unwrap().pixels(), [124, 255]);
        let la = [9, 0, 200, 255];
        assert_eq!(parse(&png_of(2, 1, ExtendedColorType::La8, &la)).unwrap().pixels(), [9, 200]);
    }

    #[test]
    fn bad_pngs_are_clear_errors() {
        let msg = |r: Result<Frame, ImageError>| r.unwrap_err().to_string();
        assert!(msg(parse(b"")).contains("not a PNG file"));
        assert!(msg(parse(b"GIF89a........")).contains("not a PNG file"));
        let good = png_of(4, 4, ExtendedColorType::L8, &[7; 16]);
        assert!(msg(parse(&good[..good.len() / 2])).contains("t.png: not a valid PNG"));
        let sixteen = png_of(2, 2, ExtendedColorType::L16, &[0; 8]);
        assert!(msg(parse(&sixteen)).contains("16-bit PNG"));
        let sixteen_rgb = png_of(1, 1, ExtendedColorType::Rgb16, &[0; 6]);
        assert!(msg(parse(&sixteen_rgb)).contains("16-bit PNG"));
        // An empty image: a valid header with a width of 0 (the encoder will not write one).
        let with_width = |width: u32| {
            let mut png = good.clone();
            png[16..20].copy_from_slice(&width.to_be_bytes());
            // IHDR's CRC covers its type and data, bytes 12..29.
            let crc = crc32fast::hash(&png[12..29]);
            png[29..33].copy_from_slice(&crc.to_be_bytes());
            png
        };
        let empty = with_width(0);
        let m = msg(parse(&empty));
        assert!(m.contains("empty"), "{m}");
        // Too large: the header says 20000 x 4 (the data is never read).
        let big = with_width(20000);
        assert!(msg(parse(&big)).contains("larger than"), "{}", msg(parse(&big)));
    }

    #[test]
    fn mutated_pngs_never_panic() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        let pixels: Vec<u8> = (0..16 * 12 * 3).map(|_| rng.gen()).collect();
        let good = png_of(16, 12, ExtendedColorType::Rgb8, &pixels);
        for _ in 0..1000 {
            let mut bytes = good.clone();
            if rng.gen_bool(0.3) {
                bytes.truncate(rng.gen_range(0..good.len()));
            } else {
                let i = rng.gen_range(0..bytes.len());
                bytes[i] = rng.gen();
            }
            // Ok (a flip the CRC-free parts allow) or a clear error; never a panic.
            if let Ok(f) = parse(&bytes) {
                assert!(f.width() > 0 && f.height() > 0);
            }
        }
    }

    #[test]
    fn the_overlay_marks_every_corner() {
        let f = Frame::from_fn(64, 48, |_, _| 128);
        let corners = [Corner { x: 10, y: 10, score: 1 }, Corner { x: 50, y: 30, score: 2 }];
        let img = overlay(&f, &corners, &DetectorConfig::small());
        // Scaled by 10 to 640 x 480.
        assert_eq!((img.width, img.height), (640, 480));
        let at = |x: usize, y: usize| &img.data[3 * (y * img.width + x)..3 * (y * img.width + x) + 3];
        for c in corners {
            let (x, y) = (c.x as usize * 10 + 5, c.y as usize * 10 + 5);
            assert_eq!(at(x, y), [255, 30, 30]);
            // The ring, r = 9 output pixels, to the right.
            assert_eq!(at(x + 9, y), [0, 255, 60]);
        }
        // Far from every corner and cell border the frame is as it was.
        assert_eq!(at(300, 50), [128, 128, 128]);
        let mut bytes = Vec::new();
        write_png_rgb(&mut bytes, &img).unwrap();
        assert!(bytes.starts_with(&PNG_SIGNATURE));
    }
}
