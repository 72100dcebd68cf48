//! The shape of one convolution layer ([`LayerShape`]), its presets (AlexNet CONV1-5 as
//! Eyeriss ran them, a few MobileNet layers) and its checks: [`LayerShape::validate`] (a
//! shape that makes sense at all) and [`LayerShape::check_chip`] (a shape the Eyeriss v1 chip
//! runs: filter height 1-12, width 1-32, 1-1024 filters and channels, stride 1, 2 or 4).
//!
//! Tensors are in C order: ifmap `(N, C, H, W)`, filters `(M, C/G, R, S)`, ofmap
//! `(N, M, E, F)`, with `E = (H + 2 pad - R) / U + 1` and likewise `F`.

use serde::{Deserialize, Serialize};

/// One convolution layer: batch, channels, filters, groups, sizes, stride, padding, the PE's
/// product shift and an optional ReLU.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerShape {
    /// Name for reports (`CONV1`).
    pub name: String,
    /// Batch size N (images).
    pub n: usize,
    /// Input channels C.
    pub c: usize,
    /// Filters (output channels) M.
    pub m: usize,
    /// Groups G: filter `m` sees channels `(m / (M/G)) * C/G ..` only (G = C = M: depthwise).
    pub groups: usize,
    /// Ifmap height H.
    pub h: usize,
    /// Ifmap width W.
    pub w: usize,
    /// Filter height R.
    pub r: usize,
    /// Filter width S.
    pub s: usize,
    /// Stride U (vertical and horizontal).
    pub u: usize,
    /// Zero padding on each side.
    pub pad: usize,
    /// ReLU after the whole sum.
    pub relu: bool,
    /// Arithmetic right shift of each 32-bit product before it is cut to 16 bits.
    pub shift: u32,
    /// The ifmap is read from DRAM run-length coded (decoded on its way into the buffer), and
    /// the output written run-length coded (after ReLU): selectable per layer, off by default
    /// (a network's first layer reads raw input: [`coded`]).
    #[serde(default)]
    pub rlc_in: bool,
    #[serde(default)]
    pub rlc_out: bool,
}

/// The most words a tensor may hold (512 MiB of int16): larger shapes are refused rather
/// than left to fail allocating.
pub const MAX_TENSOR_WORDS: u64 = 1 << 28;

/// The largest product shift the PE takes (its 5-bit shift field).
pub const MAX_SHIFT: u32 = 31;

/// A shape that cannot be run, with the limit it breaks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("layer {layer}: {message}")]
pub struct LayerError {
    pub layer: String,
    pub message: String,
}

impl LayerShape {
    /// A layer with the given sizes: no padding, stride 1, one group, no ReLU, shift 0.
    #[allow(clippy::too_many_arguments)]
    pub fn new(name: &str, n: usize, c: usize, m: usize, h: usize, w: usize, r: usize, s: usize) -> Self {
        LayerShape { name: name.into(), n, c, m, groups: 1, h, w, r, s, u: 1, pad: 0, relu: false, shift: 0, rlc_in: false, rlc_out: false }
    }

    /// Output height E.
    pub fn e(&self) -> usize {
        (self.h + 2 * self.pad - self.r) / self.u + 1
    }

    /// Output width F.
    pub fn f(&self) -> usize {
        (self.w + 2 * self.pad - self.s) / self.u + 1
    }

    /// Channels each filter sees (C/G).
    pub fn c_per_group(&self) -> usize {
        self.c / self.groups
    }

    /// Filters per group (M/G).
    pub fn m_per_group(&self) -> usize {
        self.m / self.groups
    }

    /// Multiply-accumulates of the whole layer (padding positions included).
    pub fn macs(&self) -> u64 {
        [self.n, self.m, self.e(), self.f(), self.c_per_group(), self.r, self.s]
            .iter()
            .map(|&d| d as u64)
            .product()
    }

    /// Words of each tensor: ifmap, filters, ofmap.
    pub fn ifmap_words(&self) -> u64 {
        (self.n * self.c * self.h * self.w) as u64
    }
    pub fn filter_words(&self) -> u64 {
        (self.m * self.c_per_group() * self.r * self.s) as u64
    }
    pub fn ofmap_words(&self) -> u64 {
        (self.n * self.m * self.e() * self.f()) as u64
    }

    fn err(&self, message: String) -> LayerError {
        LayerError { layer: self.name.clone(), message }
    }

    /// Checks that the shape makes sense: every size at least 1, groups dividing C and M, the
    /// filter within the padded ifmap, the shift at most [`MAX_SHIFT`].
    pub fn validate(&self) -> Result<(), LayerError> {
        for (what, v) in [
            ("N (batch)", self.n),
            ("C (channels)", self.c),
            ("M (filters)", self.m),
            ("groups", self.groups),
            ("H (ifmap height)", self.h),
            ("W (ifmap width)", self.w),
            ("R (filter height)", self.r),
            ("S (filter width)", self.s),
            ("U (stride)", self.u),
        ] {
            if v == 0 {
                return Err(self.err(format!("{what} is 0; it must be at least 1")));
            }
        }
        if !self.c.is_multiple_of(self.groups) || !self.m.is_multiple_of(self.groups) {
            return Err(self.err(format!(
                "{} groups do not divide C = {} and M = {}",
                self.groups, self.c, self.m
            )));
        }
        if self.r > self.h + 2 * self.pad || self.s > self.w + 2 * self.pad {
            return Err(self.err(format!(
                "the {}x{} filter is larger than the {}x{} ifmap with padding {}",
                self.r, self.s, self.h, self.w, self.pad
            )));
        }
        if self.shift > MAX_SHIFT {
            return Err(self.err(format!("shift {} is over the PE's {MAX_SHIFT}", self.shift)));
        }
        let biggest = self.ifmap_words().max(self.ofmap_words()).max(self.filter_words());
        if biggest > MAX_TENSOR_WORDS {
            return Err(self.err(format!("a tensor of {biggest} words is over the limit of {MAX_TENSOR_WORDS}")));
        }
        Ok(())
    }

    /// Checks the shape against what the Eyeriss v1 chip supports (JSSC 2017): filter height R
    /// 1-12, width S 1-32, 1-1024 filters, 1-1024 channels, horizontal stride 1-12 and
    /// vertical stride 1, 2 or 4 (one stride here, so 1, 2 or 4). The message names the limit.
    pub fn check_chip(&self) -> Result<(), LayerError> {
        self.validate()?;
        let limit = |what: &str, v: usize, hi: usize| {
            if v > hi {
                Err(self.err(format!("{what} = {v} is over the chip's limit of {hi}")))
            } else {
                Ok(())
            }
        };
        limit("filter height R", self.r, 12)?;
        limit("filter width S", self.s, 32)?;
        limit("filters M", self.m, 1024)?;
        limit("channels C", self.c, 1024)?;
        limit("horizontal stride U", self.u, 12)?;
        if ![1, 2, 4].contains(&self.u) {
            return Err(self.err(format!(
                "vertical stride U = {} is not one the chip supports (1, 2 or 4)",
                self.u
            )));
        }
        Ok(())
    }
}

/// The original AlexNet's CONV1-CONV5 as Eyeriss ran them (227 x 227 input, CONV2, CONV4 and
/// CONV5 in two groups), batch `n`, ReLU after each, shift `shift`.
pub fn alexnet(n: usize, shift: u32) -> Vec<LayerShape> {
    networks(n, shift, &[
        ("CONV1", 3, 96, 1, 227, 11, 4, 0),
        ("CONV2", 96, 256, 2, 27, 5, 1, 2),
        ("CONV3", 256, 384, 1, 13, 3, 1, 1),
        ("CONV4", 384, 384, 2, 13, 3, 1, 1),
        ("CONV5", 384, 256, 2, 13, 3, 1, 1),
    ])
}

/// A network's layers with run-length coding on as the chip ran them: every output written
/// coded, every ifmap but the first layer's (the raw input image) read coded.
pub fn coded(mut layers: Vec<LayerShape>) -> Vec<LayerShape> {
    for (k, l) in layers.iter_mut().enumerate() {
        l.rlc_in = k > 0;
        l.rlc_out = true;
    }
    layers
}

/// Which AlexNet layer (0 for CONV1 ..) `layer` is, by name and shape (batch, ReLU and
/// shift aside).
pub fn alexnet_index(layer: &LayerShape) -> Option<usize> {
    alexnet(layer.n, layer.shift)
        .iter()
        .position(|a| LayerShape { relu: layer.relu, rlc_in: layer.rlc_in, rlc_out: layer.rlc_out, ..a.clone() } == *layer)
}

/// One row of a network table: name, C, M, groups, H (= W), R (= S), U, pad.
type Row = (&'static str, usize, usize, usize, usize, usize, usize, usize);

/// Square layers from a network table, batch `n`, ReLU after each.
fn networks(n: usize, shift: u32, rows: &[Row]) -> Vec<LayerShape> {
    rows.iter()
        .map(|&(name, c, m, groups, hw, rs, u, pad)| LayerShape {
            name: name.into(),
            n,
            c,
            m,
            groups,
            h: hw,
            w: hw,
            r: rs,
            s: rs,
            u,
            pad,
            relu: true,
            shift,
            rlc_in: false,
            rlc_out: false,
        })
        .collect()
}

/// A few MobileNet v1 layers (224 x 224 input), batch `n`: the first 3 x 3 convolution, the
/// first 3 x 3 depthwise and 1 x 1 pointwise pair, and a pair at 14 x 14 with 512 channels.
/// Compact layers like these are where row stationary on a fixed array loses utilization.
pub fn mobilenet(n: usize, shift: u32) -> Vec<LayerShape> {
    networks(n, shift, &[
        ("MB-CONV1", 3, 32, 1, 224, 3, 2, 1),
        ("MB-DW2", 32, 32, 32, 112, 3, 1, 1),
        ("MB-PW2", 32, 64, 1, 112, 1, 1, 0),
        ("MB-DW8", 512, 512, 512, 14, 3, 1, 1),
        ("MB-PW8", 512, 512, 1, 14, 1, 1, 0),
    ])
}

/// A preset network by name: `alexnet` or `mobilenet`.
pub fn preset(name: &str, n: usize, shift: u32) -> Result<Vec<LayerShape>, String> {
    match name {
        "alexnet" => Ok(alexnet(n, shift)),
        "mobilenet" => Ok(mobilenet(n, shift)),
        _ => Err(format!("unknown network `{name}` (known: alexnet, mobilenet)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The MACs the chip reports per image (JSSC 2017): 105.4, 223.9, 149.5, 112.1, 74.8 M.
    #[test]
    fn alexnet_macs_and_sizes() {
        let layers = alexnet(1, 0);
        let macs: Vec<u64> = layers.iter().map(LayerShape::macs).collect();
        assert_eq!(macs, [105_415_200, 223_948_800, 149_520_384, 112_140_288, 74_760_192]);
        let out: Vec<(usize, usize)> = layers.iter().map(|l| (l.e(), l.f())).collect();
        assert_eq!(out, [(55, 55), (27, 27), (13, 13), (13, 13), (13, 13)]);
        for l in &layers {
            l.check_chip().unwrap();
        }
        for l in mobilenet(1, 0) {
            l.check_chip().unwrap();
        }
    }

    #[test]
    fn limits_are_named() {
        let base = alexnet(1, 0)[2].clone();
        let cases: Vec<(LayerShape, &str)> = vec![
            (LayerShape { r: 13, h: 20, ..base.clone() }, "filter height R = 13 is over the chip's limit of 12"),
            (LayerShape { s: 33, w: 40, ..base.clone() }, "filter width S = 33"),
            (LayerShape { m: 1025, groups: 1, ..base.clone() }, "filters M = 1025"),
            (LayerShape { c: 1030, ..base.clone() }, "channels C = 1030"),
            (LayerShape { u: 3, ..base.clone() }, "vertical stride U = 3"),
            (LayerShape { u: 0, ..base.clone() }, "U (stride) is 0"),
            (LayerShape { groups: 5, ..base.clone() }, "5 groups do not divide"),
            (LayerShape { r: 16, s: 16, ..base.clone() }, "larger than the 13x13 ifmap"),
            (LayerShape { shift: 32, ..base.clone() }, "shift 32"),
            (LayerShape { n: 1 << 20, ..base.clone() }, "words is over the limit of 268435456"),
        ];
        for (shape, text) in cases {
            let err = shape.check_chip().expect_err(text).to_string();
            assert!(err.contains(text) && err.starts_with("layer CONV3: "), "{err} (wanted {text})");
        }
    }
}
