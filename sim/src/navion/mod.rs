//! Navion's vision front-end (issue 13), golden models in plain Rust:
//!
//! - [`detector`]: the Shi-Tomasi corner score of every pixel (Sobel gradients, 3 x 3 box
//!   sums, an exact integer square root) and the corners kept on a grid, K per cell
//!   ([`detector::DetectorConfig`], presets `navion` and `small`; [`detector::detect`]).
//! - [`codec`]: the frame memory format, 26 bits per 4 x 4 block (encoder, decoder, any block
//!   by address) and the `.nfc` file; [`codec_driver`] drives the `navion_codec` unit (any
//!   `Dut`) against it, [`codec_rtl`] runs the Verilated unit on whole frames (`--rtl`).
//! - [`pyramid`], [`tracker`], [`motion`] (issue 14): OpenCV's pyrDown, the fixed-point pyramidal
//!   Lucas-Kanade tracker with its f64 reference, and test sequences of known motion;
//!   [`tracker_driver`] drives the `navion_tracker` unit, [`tracker_rtl`] runs the Verilated
//!   unit of the preset that fits (`--rtl`).
//! - [`image`](mod@image): PNG files to an 8-bit gray [`Frame`] and back, and the corner overlay.
//!
//! Both models work on a [`Frame`], 8-bit gray pixels in raster order. They are the
//! reference the hardware units will be co-simulated against, bit for bit.
pub mod codec;
pub mod codec_driver;
pub mod codec_rtl;
pub mod detector;
pub mod driver;
pub mod rtl;
pub mod image;
pub mod motion;
pub mod pyramid;
pub mod tracker;
pub mod tracker_driver;
pub mod tracker_rtl;

/// An 8-bit grayscale frame, pixels in raster order (row 0 first, left to right).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

/// A frame whose pixel count does not match its size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {width} x {height} frame has {expected} pixels, not {found}")]
pub struct FrameSizeError {
    pub width: usize,
    pub height: usize,
    pub expected: usize,
    pub found: usize,
}

impl Frame {
    /// A frame of `width` x `height` pixels given in raster order.
    pub fn new(width: usize, height: usize, pixels: Vec<u8>) -> Result<Frame, FrameSizeError> {
        let expected = width.saturating_mul(height);
        if pixels.len() != expected {
            return Err(FrameSizeError { width, height, expected, found: pixels.len() });
        }
        Ok(Frame { width, height, pixels })
    }

    /// A frame whose pixel (x, y) is `f(x, y)`.
    pub fn from_fn(width: usize, height: usize, mut f: impl FnMut(usize, usize) -> u8) -> Frame {
        let pixels = (0..height).flat_map(|y| (0..width).map(move |x| (x, y))).map(|(x, y)| f(x, y)).collect();
        Frame { width, height, pixels }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// The pixels in raster order.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// Pixel (x, y); panics outside the frame.
    pub fn at(&self, x: usize, y: usize) -> u8 {
        assert!(x < self.width && y < self.height, "pixel ({x}, {y}) outside a {} x {} frame", self.width, self.height);
        self.pixels[y * self.width + x]
    }
}
