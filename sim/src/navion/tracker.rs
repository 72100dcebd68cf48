//! The Navion feature tracker's golden model: pyramidal Lucas-Kanade optical flow in fixed
//! point, designed for a hardware unit with parallel lanes (issue 14), and an `f64` reference
//! of the same algorithm to measure the fixed point's own error.
//!
//! # What it computes
//!
//! Frames A and B (by default both the codec's decoded frames, [`Input::Codec`]; 8-bit frames
//! with [`Input::Raw`]) each give a pyramid of L levels ([`super::pyramid::pyr_down`], OpenCV's,
//! bit-exact); with `smooth` (on in the presets) level 0 of both pyramids then goes
//! through the 3 x 3 binomial ([`super::pyramid::smooth3`]) and the coarser levels through
//! the 5 x 5 one ([`super::pyramid::smooth5`]) before anything reads them. A point a (level-0 pixels, F = 8
//! fractional bits) is tracked coarse to fine: at level l its A position is `a >> l`
//! (arithmetic shift of the fixed-point value), the flow g starts at 0 on the coarsest level and
//! doubles from one level to the next (`g_{l-1} = 2 (p_l - a_l)`). At one level:
//!
//! ```text
//!  A patch (once per level), for the W x W window pixels k = (i, j), i, j in -h ..= h, h = W/2:
//!    I(k)  = bilinear of the level at a_l + k,                  5 fractional bits
//!    Ix(k) = bilinear of Scharr_x of the level at a_l + k,      integer   (Iy the same)
//!    G     = [gxx gxy; gxy gyy] = sum_k w(k) [Ix Ix, Ix Iy; Ix Iy, Iy Iy]   (weights below)
//!    lambda_min(G) < T sum_k w(k): at level 0 the point is lost (weak), at a coarser level the
//!    level is skipped (the flow goes on as it is), as OpenCV does.
//!  iterations n = 1 ..= N, from p = a_l + g:
//!    p outside the level (x < 0 or x > w_l - 1, y likewise): at level 0 the point is lost
//!    (left the frame), at a coarser level the level ends here.
//!    J(k)  = bilinear of B's level at p + k,  5 fractional bits
//!    b     = sum_k w(k) (J(k) - I(k)) [Ix(k), Iy(k)]
//!    d     = -G^-1 b (pixels: the 32 of Scharr and of I's fraction cancel); p += d
//!    stop when |dx| <= eps and |dy| <= eps (max norm, no multiplier), eps in 1/256 pixel.
//!  After the last iteration p is checked once more against the level (level 0: lost).
//! ```
//!
//! **Window weights** (weighted least squares, as the standard LK formulation allows):
//! `w(i, j) = w(i) w(j)` with `w(i) = 1` for `|i| <= r = ceil(h / 2)` (the inner square:
//! 9 x 9 of 15 x 15, 5 x 5 of 7 x 7) and 1/2 outside it. Exactly, as the hardware does it
//! with shifts: a product of an outer column has its magnitude halved (truncated, the lanes
//! form magnitudes), and the sum of a window row over its columns is halved by an arithmetic
//! shift (floor) when the row is outer; the rows' sums are then added. The threshold's
//! `T sum_k w(k)` is `t = floor(T (2 S)^2 / 4)`, 2 S = 2 (2 r + 1) + (W - 2 r - 1) (W = 15:
//! t = 144 T; [`threshold`]). Why (measured): the tail of the error is rotations, where the
//! window's corners move away from the centre's motion; the weights favour the centre
//! (section "Window weights" below).
//!
//! Scharr: `Sx = [-3 0 3; -10 0 10; -3 0 3]` (correlation), `Sy` its transpose, unnormalized
//! as OpenCV's. Every read outside a level (window near a border, the Scharr and bilinear
//! neighbours) takes the nearest pixel of the level (**clamp to edge**: the hardware clamps
//! the address). Bilinear weights come from the position's 8 fractional bits fx, fy:
//! `v = sum (256 - fx | fx) (256 - fy | fy) p`, exact (scale 2^16), then rounded:
//! `round_shift(v, k) = (v + 2^(k-1)) >> k` (arithmetic shift, halves up).
//!
//! The step, with G scaled to 16 bits by a shared exponent s (a block floating point that
//! leaves G^-1 b unchanged) and the inverse of the determinant taken once per level:
//!
//! ```text
//!  s    = max(0, bitlen(max(gxx, gyy)) - 16)
//!  g'   = gxx >> s, gyy >> s, sign(gxy) (|gxy| >> s)        det' = gxx' gyy' - gxy'^2
//!  det' <= 0: weak (as the minimum eigenvalue test)           e = bitlen(det')
//!  inv  = floor(2^(e + 17) / det')                             (2^17 <= inv <= 2^18)
//!  b'   = b >> s                                               (arithmetic)
//!  nx   = gyy' bx' - gxy' by'     ny = gxx' by' - gxy' bx'
//!  dx   = -round_shift(nx inv, e + 17 - F)  saturated to +-2^18 (1024 pixels), dy the same
//! ```
//!
//! since `d = -adj(G') b' / det'` pixels (Scharr is 32 times the gradient, and J - I has 5
//! fractional bits: the two factors 32 cancel), `1 / det' = inv / 2^(e + 17)`, and 2^F turns
//! pixels into 1/256. The error of `inv` (relative 2^-17) changes only the step's
//! length, never where the iteration stops (b = 0 there, computed exactly).
//!
//! The minimum eigenvalue test is exact, with no square root: lambda_min >= t ([`threshold`]) iff
//! `2 t <= gxx + gyy` and `t^2 - (gxx + gyy) t + det >= 0` (the characteristic polynomial at
//! t), det = gxx gyy - gxy^2 >= 0. The default T = 105 is OpenCV's `minEigThreshold` 1e-4
//! (which divides lambda_min by W^2 and by 2^20, here by the weights' sum): 1e-4 * 2^20 = 104.9.
//!
//! # Widths (frames up to [`MAX_SIDE`] = 1024 pixels, W <= 15; why nothing overflows)
//!
//! | value            | range                                    | width            |
//! |------------------|------------------------------------------|------------------|
//! | pixel            | 0 ..= 255                                | 8 bits unsigned  |
//! | Scharr Sx, Sy    | -4080 ..= 4080 (16 * 255)                | 13 bits signed   |
//! | fx, fy           | 0 ..= 255; weights 256 - f, f: 0 ..= 256 | 9 bits unsigned  |
//! | pixel bilinear v | 0 ..= 255 * 2^16 (weights sum to 2^16)   | 24 bits unsigned |
//! | I, J             | 0 ..= 8160 (255 * 32)                    | 13 bits unsigned |
//! | Scharr bilinear  | -4080 * 2^16 ..= 4080 * 2^16             | 29 bits signed   |
//! | Ix, Iy           | -4080 ..= 4080                           | 13 bits signed   |
//! | J - I            | -8160 ..= 8160                           | 14 bits signed   |
//! | (J - I) Ix       | -33 292 800 ..= 33 292 800 < 2^25         | 26 bits signed   |
//! | bx, by           | W^2 terms: < 225 * 2^25 < 2^33            | 34 bits signed   |
//! | Ix^2, Ix Iy      | 0 ..= 16 646 400 < 2^24 (signed for IxIy) | 24 u / 25 s bits |
//! | gxx, gyy         | < 225 * 2^24 < 2^32                      | 32 bits unsigned |
//! | gxy              | abs(gxy) <= sqrt(gxx gyy) < 2^32         | 33 bits signed   |
//! | det = gxx gyy - gxy^2 | 0 ..= 2^64 (Cauchy-Schwarz: >= 0)    | 64 bits unsigned |
//! | t = floor(T sum w) | T <= 2^20, sum w <= 225: < 2^28        | 28 bits unsigned |
//! | t^2 - tr t + det | > -2^61, < 2^65                          | 66 bits signed   |
//! | s                | 0 ..= 16                                 | 5 bits           |
//! | gxx', gyy'       | < 2^16                                   | 16 bits unsigned |
//! | gxy'             | abs < 2^16                               | 17 bits signed   |
//! | det'             | < 2^32                                   | 32 bits (> 0)    |
//! | inv              | 2^17 ..= 2^18                            | 19 bits unsigned |
//! | bx', by'         | abs < 2^25 (below)                       | 26 bits signed   |
//! | nx, ny           | abs < 2 * 2^16 * 2^25 = 2^42             | 43 bits signed   |
//! | nx inv           | abs < 2^60                               | 61 bits signed   |
//! | step dx, dy      | +-2^18 (saturated), 1/256 px             | 19 bits signed   |
//! | positions, flow  | abs < 2^23 (below), 1/256 px             | 24 bits signed   |
//!
//! The weights are at most 1 and the shifts only shrink magnitudes, so every weighted product,
//! row sum, G and b stays within the unweighted bounds of the table (the sums need no extra bit).
//!
//! Why b' fits: by Cauchy-Schwarz `|bx| <= sqrt(sum w (J - I)^2) sqrt(sum w Ix^2) + 15 <= 15 *
//! 8160 * sqrt(gxx + 240) + 15 < 2^17 * 2^(8 + s/2)` because `gxx < 2^(16 + s)` (the choice of
//! s; the 225 truncations and 15 row shifts each lose less than 1, hence `gxx + 240` and the
//! 15, covered by 15 * 8160 < 0.94 * 2^17), so `|bx >> s| < 2^(25 - s/2) <= 2^25`. Positions: within a level p stays inside the level (< 1024 * 256 = 2^18) but for
//! the last step (<= 2^18), so `|p| < 2^19`; a flow handed down is `2 (p - a) < 2^21`, and a
//! point outside a coarser level takes no step there: over three levels `|p|, |g| < 2^23`.
//!
//! # The hardware this is made for
//!
//! Per point and level the A patch is read once ((W + 3) x (W + 3) pixels with the Scharr and
//! bilinear neighbours) and G, its test and `inv` are computed once (one serial divider and a
//! wide multiplier, shared). Each iteration reads B's (W + 1) x (W + 1) pixels around p: with
//! W lanes, one window row a cycle, each lane does one bilinear (two 8 x 9 and one 16 x 9
//! multiplies, one weight set for all lanes), one 14 x 13 product pair and feeds an adder tree
//! of 26-bit terms into the 34-bit sums; W + 1 cycles an iteration plus the solver (six
//! multiplies, pipelined). The `iterations` of a [`Track`] count the iterations summed over
//! the levels: the unit's cycles follow from them.
//!
//! # Smoothing (measured, `cargo run --release -p edgertl-sim --example track_report`)
//!
//! The codec keeps one bit a pixel in a 4 x 4 block: its frames are blocky, and LK on them
//! converges less well. Pooled over 48 pairs of real photographs (43 203 points, see
//! [`super::motion`]; measured on a first version of the pairs whose 8 long translations were
//! whole pixels, which made them easier: the final pairs' table is in the README),
//! median / 95th percentile error / share within 1 px:
//!
//! | smoothing                               | 8-bit frames           | codec frames          |
//! |-----------------------------------------|------------------------|-----------------------|
//! | none                                    | 0.037 / 0.305 / 97.5%  | 0.126 / 1.165 / 94.5% |
//! | 5x5 on every level                      | 0.034 / 0.251 / 98.7%  | 0.182 / 1.030 / 94.7% |
//! | 5x5 twice on every level                | 0.040 / 0.272 / 98.7%  | 0.225 / 1.343 / 92.1% |
//! | 5x5 on level 0 only                     | 0.035 / 0.302 / 97.8%  | 0.188 / 1.238 / 93.7% |
//! | 3x3 on level 0 only                     | 0.032 / 0.293 / 97.7%  | 0.156 / 1.080 / 94.7% |
//! | 3x3 on every level                      | 0.031 / 0.247 / 98.5%  | 0.153 / 0.921 / 95.5% |
//! | 3x3 on levels 1-2 only                  | 0.036 / 0.261 / 98.3%  | 0.123 / 0.972 / 95.1% |
//! | 5x5 on levels 1-2 only                  | 0.036 / 0.260 / 98.3%  | 0.122 / 0.965 / 95.2% |
//! | **3x3 on level 0, 5x5 on levels 1-2**   | 0.031 / 0.241 / 98.6%  | 0.152 / 0.893 / 95.7% |
//! | OpenCV 5.0 calcOpticalFlowPyrLK, none   | 0.035 / 0.241 / 98.6%  | 0.121 / 0.861 / 95.8% |
//!
//! Smoothing the coarse levels is what helps the tails (the coarse estimate lands in the fine
//! level's basin more often); a little smoothing at level 0 helps the tails more, a lot of it
//! costs precision. The last fixed-point row is the presets' (`smooth: true`); on the final
//! pairs, uniform window, it gave 0.043 / 0.263 / 98.5% (8-bit) and 0.218 / 0.968 / 95.2% (codec);
//! with the window weights (below) 0.042 / 0.242 / 98.7% and 0.231 / 1.033 / 94.8%, against
//! OpenCV's 0.049 / 0.271 / 98.6% and 0.176 / 0.974 / 95.2%. An iteration
//! rule like OpenCV's (halve the step and stop when a step undoes the previous one) changed
//! nothing measurable and is left out.
//!
//! # Window weights (measured, `cargo run --release -p edgertl-sim --example track_weights`)
//!
//! With uniform weights the 8-bit 95th percentile was 0.263 px (f64 reference 0.262), over
//! the 0.25 target; its tail is the rotations. Weights that favour the window's centre, tried
//! in the f64 reference (3 levels, 15 x 15, the presets' smoothing; weights as listed, at
//! least 1, and the threshold T W^2 except where noted "T sum w"), 48 pairs, median / p95 /
//! within 1 px / lost:
//!
//! | weights (w(i), \|i\| = 0 ..= 7, or the square's) | 8-bit frames                  | codec frames                  |
//! |------------------------------------------------|-------------------------------|-------------------------------|
//! | uniform (before)                               | 0.043 / 0.262 / 98.5% / 0.98% | 0.218 / 0.970 / 95.2% / 1.07% |
//! | inner 13 x 13 x 2                              | 0.043 / 0.255 / 98.5% / 0.97% | 0.225 / 1.010 / 94.9% / 1.07% |
//! | inner 11 x 11 x 2                              | 0.043 / 0.249 / 98.6% / 0.96% | 0.227 / 1.014 / 94.9% / 1.01% |
//! | inner 11 x 11 x 2, T sum w                     | 0.043 / 0.250 / 98.6% / 0.95% | 0.227 / 1.015 / 94.9% / 1.01% |
//! | inner 9 x 9 x 2                                | 0.042 / 0.247 / 98.7% / 0.96% | 0.227 / 1.004 / 95.0% / 1.01% |
//! | inner 11 x 11 x 4                              | 0.044 / 0.240 / 98.7% / 1.04% | 0.241 / 1.115 / 94.2% / 1.11% |
//! | inner 9 x 9 x 4                                | 0.044 / 0.239 / 98.7% / 1.01% | 0.246 / 1.146 / 94.0% / 1.07% |
//! | inner 7 x 7 x 4                                | 0.044 / 0.239 / 98.7% / 0.96% | 0.246 / 1.144 / 94.0% / 1.02% |
//! | 7 x 7 x 4, 11 x 11 x 2, 1                      | 0.043 / 0.237 / 98.7% / 0.96% | 0.239 / 1.094 / 94.4% / 1.02% |
//! | separable [2 2 2 2 1 1 1 1]                    | 0.042 / 0.240 / 98.7% / 0.92% | 0.232 / 1.046 / 94.6% / 0.96% |
//! | **separable [2 2 2 2 2 1 1 1]** (the model's)  | 0.042 / 0.241 / 98.7% / 0.93% | 0.231 / 1.034 / 94.8% / 1.01% |
//! | separable [2 2 2 2 2 2 1 1]                    | 0.043 / 0.246 / 98.6% / 0.94% | 0.228 / 1.030 / 94.8% / 0.99% |
//! | separable [4 4 4 2 2 2 1 1]                    | 0.044 / 0.228 / 98.8% / 0.97% | 0.250 / 1.208 / 93.6% / 1.03% |
//! | separable [4 4 4 4 2 2 1 1]                    | 0.043 / 0.232 / 98.8% / 1.01% | 0.250 / 1.212 / 93.6% / 1.05% |
//! | separable [4 4 4 4 4 2 2 1]                    | 0.043 / 0.234 / 98.8% / 1.03% | 0.241 / 1.115 / 94.2% / 1.07% |
//! | [2 2 2 2 2 1 1 1] on level 0 only              | 0.042 / 0.242 / 98.7% / 1.01% | 0.231 / 1.041 / 94.7% / 1.06% |
//! | [2 2 2 2 2 1 1 1] on levels 1-2 only           | 0.043 / 0.263 / 98.5% / 0.91% | 0.218 / 0.967 / 95.2% / 1.00% |
//! | inner 9 x 9 x 2 on level 0 only                | 0.042 / 0.248 / 98.6% / 1.01% | 0.227 / 1.012 / 94.9% / 1.04% |
//! | [4 4 4 2 2 2 1 1] on levels 1-2, [2 .. 1] on 0 | 0.042 / 0.238 / 98.7% / 0.97% | 0.231 / 1.061 / 94.6% / 1.01% |
//! | Gaussian sigma 4 (not shifts)                  | 0.043 / 0.240 / 98.5% / 1.03% | 0.246 / 1.184 / 93.8% / 1.08% |
//! | Gaussian sigma 5 (not shifts)                  | 0.042 / 0.240 / 98.7% / 0.98% | 0.231 / 1.046 / 94.7% / 1.01% |
//!
//! Only the finest level's weighting matters (coarse-only changes nothing). Stronger centre
//! weights shrink the 8-bit tail further but cost the codec frames (their blocky 4 x 4 cells
//! need the wide window's averaging): the chosen profile (weight 1/2 per axis outside the
//! inner 9 x 9, the same on every level, so the hardware needs one rule) keeps the codec
//! median at 0.231 (target 0.25) and 94.8% within 1 px (target 90%). Whether the threshold
//! counts W^2 or the weights' sum changes nothing measurable.
//!
//! # The f64 reference
//!
//! [`track_f64`] runs the same algorithm on the same level images (the same pyramids, smoothing
//! and clamped reads, the same stop, loss and step-saturation rules) in `f64` with exact
//! positions: the difference between the two is the fixed point's own error.

use super::codec::{CodecError, Compressed};
use super::pyramid;
use super::Frame;
use serde::{Deserialize, Serialize};

/// Fractional bits of every position, flow and step (1/256 pixel).
pub const FRAC: u32 = 8;
/// 1.0 pixel in fixed point.
pub const ONE: i32 = 1 << FRAC;
/// The widest and tallest frame tracked.
pub const MAX_SIDE: usize = 1024;
/// The most levels, the widest window, the most iterations a level (Navion's).
pub const MAX_LEVELS: u32 = 3;
pub const MAX_WINDOW: u32 = 15;
pub const MAX_ITERATIONS: u32 = 30;
/// The largest minimum-eigenvalue threshold T.
pub const MAX_MIN_EIGEN: u32 = 1 << 20;
/// A step saturates at 1024 pixels.
pub const MAX_STEP: i64 = 1 << 18;

/// The tracker's configuration: the same struct sets the golden model, the f64 reference
/// and (later) the hardware unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackerConfig {
    /// Pyramid levels L, 1 ..= 3.
    pub levels: u32,
    /// The window's side W, odd, 3 ..= 15.
    pub window: u32,
    /// The most iterations per level N, 1 ..= 30.
    pub iterations: u32,
    /// Stop a level when both components of a step are at most this, 1/256 pixel, 0 ..= 256.
    pub epsilon: u32,
    /// A point is lost (a level skipped) when lambda_min(G) < T sum w (the window's weights
    /// summed, [`threshold`]); T in 0 ..= 2^20.
    pub min_eigen: u32,
    /// Smooth the levels of both frames before anything reads them: level 0 by the 3 x 3
    /// binomial, the coarser ones by the 5 x 5 (module doc, "Smoothing").
    pub smooth: bool,
}

/// A configuration, frames or points the tracker cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackerError {
    #[error("unknown tracker preset `{0}` (known: navion, small)")]
    UnknownPreset(String),
    #[error("{what} is {value}, outside {min} ..= {max}")]
    OutOfRange { what: &'static str, value: u64, min: u64, max: u64 },
    #[error("the window is {0} pixels wide: it must be odd (a centre pixel)")]
    EvenWindow(u32),
    #[error("the frames differ in size: A is {aw} x {ah}, B is {bw} x {bh}")]
    SizesDiffer { aw: usize, ah: usize, bw: usize, bh: usize },
    #[error("the frame is {width} x {height} pixels; the tracker takes 1 to {MAX_SIDE} each way")]
    BadFrame { width: usize, height: usize },
    #[error("the codec cannot store the frames: {0}")]
    Codec(#[from] CodecError),
}

impl TrackerConfig {
    /// The presets' names, the default first.
    pub const PRESETS: &'static [&'static str] = &["navion", "small"];

    /// Navion's tracker: 3 levels, 15 x 15, 30 iterations, OpenCV's threshold, smoothing on.
    pub fn navion() -> Self {
        TrackerConfig { levels: 3, window: 15, iterations: 30, epsilon: 2, min_eigen: 105, smooth: true }
    }

    /// A small unit for tests: 2 levels, 7 x 7, 10 iterations.
    pub fn small() -> Self {
        TrackerConfig { levels: 2, window: 7, iterations: 10, epsilon: 2, min_eigen: 105, smooth: true }
    }

    /// A preset by name.
    pub fn preset(name: &str) -> Result<Self, TrackerError> {
        match name {
            "navion" => Ok(Self::navion()),
            "small" => Ok(Self::small()),
            _ => Err(TrackerError::UnknownPreset(name.into())),
        }
    }

    /// Every field within its range, the window odd.
    pub fn validate(&self) -> Result<(), TrackerError> {
        let checks: [(&'static str, u32, u32, u32); 5] = [
            ("the pyramid's levels (L)", self.levels, 1, MAX_LEVELS),
            ("the window (W)", self.window, 3, MAX_WINDOW),
            ("the iterations per level (N)", self.iterations, 1, MAX_ITERATIONS),
            ("epsilon (1/256 pixel)", self.epsilon, 0, 256),
            ("the minimum-eigenvalue threshold (T)", self.min_eigen, 0, MAX_MIN_EIGEN),
        ];
        for (what, value, min, max) in checks {
            if !(min..=max).contains(&value) {
                return Err(TrackerError::OutOfRange { what, value: value.into(), min: min.into(), max: max.into() });
            }
        }
        if self.window.is_multiple_of(2) {
            return Err(TrackerError::EvenWindow(self.window));
        }
        Ok(())
    }
}

/// Which frames the tracker reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// The codec's decoded frames, as Navion's compressed frame memory holds them (the default).
    Codec,
    /// The 8-bit frames.
    Raw,
}

/// The frame the tracker sees for an input frame: itself, or its codec round trip.
pub fn input_frame(f: &Frame, input: Input) -> Result<Frame, TrackerError> {
    Ok(match input {
        Input::Raw => f.clone(),
        Input::Codec => Compressed::encode(f)?.decode(),
    })
}

/// Why a point is lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Loss {
    /// The window's structure tensor is too weak at level 0 (or degenerate).
    Weak,
    /// The point left the frame at level 0 (or started outside it).
    Left,
}

/// A tracked point: where it started and ended (level-0 pixels, 1/256), how, in how many
/// iterations (summed over the levels).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Track {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
    pub lost: Option<Loss>,
    pub iterations: u32,
}

/// The f64 reference's track.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrackF64 {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
    pub lost: Option<Loss>,
    pub iterations: u32,
}

/// A position in pixels to fixed point, rounded to the nearest 1/256.
pub fn to_fixed(v: f64) -> i32 {
    (v * f64::from(ONE)).round() as i32
}

/// A fixed-point position in pixels.
pub fn to_pixels(v: i32) -> f64 {
    f64::from(v) / f64::from(ONE)
}

/// The levels the tracker reads from a frame: its pyramid, smoothed when asked (3 x 3 on
/// level 0, 5 x 5 on the others).
pub fn levels(f: &Frame, cfg: &TrackerConfig) -> Vec<Frame> {
    let p = pyramid::pyramid(f, cfg.levels as usize);
    if cfg.smooth {
        p.iter().enumerate().map(|(l, f)| if l == 0 { pyramid::smooth3(f) } else { pyramid::smooth5(f) }).collect()
    } else {
        p
    }
}

fn check(cfg: &TrackerConfig, a: &Frame, b: &Frame) -> Result<(), TrackerError> {
    cfg.validate()?;
    if (a.width(), a.height()) != (b.width(), b.height()) {
        return Err(TrackerError::SizesDiffer { aw: a.width(), ah: a.height(), bw: b.width(), bh: b.height() });
    }
    let (w, h) = (a.width(), a.height());
    if !(1..=MAX_SIDE).contains(&w) || !(1..=MAX_SIDE).contains(&h) {
        return Err(TrackerError::BadFrame { width: w, height: h });
    }
    Ok(())
}

/// Tracks `points` (level-0 pixels, 1/256) from `a` to `b` with the fixed-point model; the
/// frames are taken as given (see [`input_frame`]).
pub fn track(cfg: &TrackerConfig, a: &Frame, b: &Frame, points: &[(i32, i32)]) -> Result<Vec<Track>, TrackerError> {
    check(cfg, a, b)?;
    let (la, lb) = (levels(a, cfg), levels(b, cfg));
    Ok(points.iter().map(|&(x, y)| track_point(cfg, &la, &lb, x, y)).collect())
}

/// Tracks `points` on levels the caller made (`la`, `lb`: level 0 first, `cfg.levels` of
/// each, as the hardware takes any levels the host loads): [`track`] is this on [`levels`].
pub fn track_on_levels(cfg: &TrackerConfig, la: &[Frame], lb: &[Frame], points: &[(i32, i32)]) -> Result<Vec<Track>, TrackerError> {
    let need = cfg.levels as usize;
    for given in [la.len(), lb.len()] {
        if given < need || la.is_empty() {
            return Err(TrackerError::OutOfRange { what: "the levels given", value: given as u64, min: need as u64, max: MAX_LEVELS.into() });
        }
    }
    check(cfg, &la[0], &lb[0])?;
    Ok(points.iter().map(|&(x, y)| track_point(cfg, la, lb, x, y)).collect())
}

/// Tracks `points` (pixels) with the f64 reference on the same levels as [`track`].
pub fn track_f64(cfg: &TrackerConfig, a: &Frame, b: &Frame, points: &[(f64, f64)]) -> Result<Vec<TrackF64>, TrackerError> {
    check(cfg, a, b)?;
    let (la, lb) = (levels(a, cfg), levels(b, cfg));
    Ok(points.iter().map(|&(x, y)| track_point_f64(cfg, &la, &lb, x, y)).collect())
}

/// The level's pixel at (x, y), clamped to the edge.
fn px(f: &Frame, x: i64, y: i64) -> i64 {
    let xc = x.clamp(0, f.width() as i64 - 1) as usize;
    let yc = y.clamp(0, f.height() as i64 - 1) as usize;
    i64::from(f.at(xc, yc))
}

/// Scharr x and y at pixel (x, y), clamped reads.
fn scharr(f: &Frame, x: i64, y: i64) -> (i64, i64) {
    let p = |dx: i64, dy: i64| px(f, x + dx, y + dy);
    let sx = 3 * (p(1, -1) - p(-1, -1)) + 10 * (p(1, 0) - p(-1, 0)) + 3 * (p(1, 1) - p(-1, 1));
    let sy = 3 * (p(-1, 1) - p(-1, -1)) + 10 * (p(0, 1) - p(0, -1)) + 3 * (p(1, 1) - p(1, -1));
    (sx, sy)
}

/// `(v + 2^(k-1)) >> k`, arithmetic: v / 2^k rounded, halves up.
pub fn round_shift(v: i64, k: u32) -> i64 {
    (v + (1 << (k - 1))) >> k
}

/// The exact bilinear sum (scale 2^16) of `value` around integer (x, y) with fractions fx, fy.
fn bilinear(value: impl Fn(i64, i64) -> i64, x: i64, y: i64, fx: i64, fy: i64) -> i64 {
    let row = |yy: i64| (256 - fx) * value(x, yy) + fx * value(x + 1, yy);
    (256 - fy) * row(y) + fy * row(y + 1)
}

fn bit_length(v: u64) -> u32 {
    64 - v.leading_zeros()
}

/// Inside the level: 0 <= x <= (w - 1) * 256, likewise y.
fn inside(f: &Frame, x: i64, y: i64) -> bool {
    (0..=(f.width() as i64 - 1) << FRAC).contains(&x) && (0..=(f.height() as i64 - 1) << FRAC).contains(&y)
}

/// lambda_min(G) >= t, exactly (module doc).
pub fn strong_enough(gxx: i64, gxy: i64, gyy: i64, t: i64) -> bool {
    let (gxx, gxy, gyy, t) = (i128::from(gxx), i128::from(gxy), i128::from(gyy), i128::from(t));
    let tr = gxx + gyy;
    let det = gxx * gyy - gxy * gxy;
    2 * t <= tr && t * t - tr * t + det >= 0
}

/// One level's outcome.
enum Level {
    /// Iterated: the final position.
    Done { x: i64, y: i64 },
    /// The tensor is too weak: the level is skipped.
    Weak,
    /// The position left the level: where it was.
    Left { x: i64, y: i64 },
}

fn track_point(cfg: &TrackerConfig, la: &[Frame], lb: &[Frame], x0: i32, y0: i32) -> Track {
    let mut t = Track { x0, y0, x1: x0, y1: y0, lost: None, iterations: 0 };
    if !inside(&la[0], x0.into(), y0.into()) {
        t.lost = Some(Loss::Left);
        return t;
    }
    let (mut gx, mut gy) = (0i64, 0i64);
    for l in (0..cfg.levels as usize).rev() {
        let (ax, ay) = (i64::from(x0) >> l, i64::from(y0) >> l);
        let (outcome, its) = track_level(cfg, &la[l], &lb[l], ax, ay, ax + gx, ay + gy);
        t.iterations += its;
        let (x, y) = match outcome {
            Level::Done { x, y } => (x, y),
            Level::Weak if l == 0 => {
                t.lost = Some(Loss::Weak);
                (ax + gx, ay + gy)
            }
            Level::Weak => (ax + gx, ay + gy),
            Level::Left { x, y } => {
                if l == 0 {
                    t.lost = Some(Loss::Left);
                }
                (x, y)
            }
        };
        if l == 0 {
            (t.x1, t.y1) = (x as i32, y as i32);
        } else {
            (gx, gy) = (2 * (x - ax), 2 * (y - ay));
        }
    }
    t
}

/// One level of the fixed-point model from A position (ax, ay) and start (x, y): the outcome
/// and the iterations run.
fn track_level(cfg: &TrackerConfig, a: &Frame, b: &Frame, ax: i64, ay: i64, mut x: i64, mut y: i64) -> (Level, u32) {
    let h = i64::from(cfg.window / 2);
    let (ix, iy, fx, fy) = (ax >> FRAC, ay >> FRAC, ax & 255, ay & 255);
    let n = (cfg.window * cfg.window) as usize;
    let (mut pi, mut pdx, mut pdy) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut gxx, mut gxy, mut gyy) = (0i64, 0i64, 0i64);
    for j in -h..=h {
        let (mut rxx, mut rxy, mut ryy) = (0i64, 0i64, 0i64);
        for i in -h..=h {
            let (u, v) = (ix + i, iy + j);
            let val = round_shift(bilinear(|x, y| px(a, x, y), u, v, fx, fy), 2 * FRAC - 5);
            let dx = round_shift(bilinear(|x, y| scharr(a, x, y).0, u, v, fx, fy), 2 * FRAC);
            let dy = round_shift(bilinear(|x, y| scharr(a, x, y).1, u, v, fx, fy), 2 * FRAC);
            let c = outer(cfg.window, i);
            rxx += column_weight(dx * dx, c);
            rxy += column_weight(dx * dy, c);
            ryy += column_weight(dy * dy, c);
            pi.push(val);
            pdx.push(dx);
            pdy.push(dy);
        }
        let r = u32::from(outer(cfg.window, j));
        gxx += rxx >> r;
        gxy += rxy >> r;
        gyy += ryy >> r;
    }
    let t = threshold(cfg);
    if !strong_enough(gxx, gxy, gyy, t) {
        return (Level::Weak, 0);
    }
    let s = bit_length(gxx.max(gyy) as u64).saturating_sub(16);
    let (sxx, syy) = (gxx >> s, gyy >> s);
    let sxy = gxy.signum() * (gxy.abs() >> s);
    let det = sxx * syy - sxy * sxy;
    if det <= 0 {
        return (Level::Weak, 0);
    }
    let (e, inv) = reciprocal(det);
    // The widths of the module doc, checked as the model runs.
    assert!(gxx < 1 << 32 && gyy < 1 << 32 && gxy.abs() < 1 << 32 && s <= 16, "G ({gxx}, {gxy}, {gyy})");
    assert!(sxx < 1 << 16 && syy < 1 << 16 && sxy.abs() < 1 << 16 && det < 1 << 32, "G' ({sxx}, {sxy}, {syy})");
    let eps = i64::from(cfg.epsilon);
    let mut its = 0;
    for _ in 0..cfg.iterations {
        if !inside(b, x, y) {
            return (Level::Left { x, y }, its);
        }
        its += 1;
        let (jx, jy, gfx, gfy) = (x >> FRAC, y >> FRAC, x & 255, y & 255);
        let (mut bx, mut by) = (0i64, 0i64);
        let mut k = 0;
        for j in -h..=h {
            let (mut rx, mut ry) = (0i64, 0i64);
            for i in -h..=h {
                let val = round_shift(bilinear(|x, y| px(b, x, y), jx + i, jy + j, gfx, gfy), 2 * FRAC - 5);
                let diff = val - pi[k];
                let c = outer(cfg.window, i);
                rx += column_weight(diff * pdx[k], c);
                ry += column_weight(diff * pdy[k], c);
                k += 1;
            }
            let r = u32::from(outer(cfg.window, j));
            bx += rx >> r;
            by += ry >> r;
        }
        assert!(bx.abs() < 1 << 33 && by.abs() < 1 << 33, "b ({bx}, {by})");
        let (bx, by) = (bx >> s, by >> s);
        assert!(bx.abs() <= 1 << 25 && by.abs() <= 1 << 25, "b' ({bx}, {by}), s {s}");
        let nx = i128::from(syy * bx - sxy * by);
        let ny = i128::from(sxx * by - sxy * bx);
        assert!(nx.abs() < 1 << 42 && ny.abs() < 1 << 42, "n ({nx}, {ny})");
        let shift = e + 17 - FRAC;
        let step = |n: i128| -> i64 {
            let v = (n * i128::from(inv) + (1i128 << (shift - 1))) >> shift;
            (-v).clamp(-i128::from(MAX_STEP), i128::from(MAX_STEP)) as i64
        };
        let (dx, dy) = (step(nx), step(ny));
        x += dx;
        y += dy;
        assert!(x.abs() < 1 << 23 && y.abs() < 1 << 23, "position ({x}, {y})");
        if dx.abs() <= eps && dy.abs() <= eps {
            break;
        }

    }
    if !inside(b, x, y) {
        return (Level::Left { x, y }, its);
    }
    (Level::Done { x, y }, its)
}

/// The half side r of the window's inner square (|i|, |j| <= r weigh 1): `ceil(h / 2)`, h =
/// W / 2 (W = 15: r = 4, the inner 9 x 9; W = 7: r = 2).
pub fn inner_radius(window: u32) -> i64 {
    (i64::from(window / 2) + 1) / 2
}

/// Offset i (a column or a row of the window) is outside the inner square: weight 1/2.
pub fn outer(window: u32, i: i64) -> bool {
    i.abs() > inner_radius(window)
}

/// A product of an outer column: its magnitude halved, truncated (the lanes' magnitudes).
fn column_weight(p: i64, outer: bool) -> i64 {
    if outer {
        p.signum() * (p.abs() >> 1)
    } else {
        p
    }
}

/// The window's weights summed, times 4 (an integer): `(2 S)^2` with `2 S = 2 (2 r + 1) + (W
/// - 2 r - 1)` twice the weights of one row or column.
pub fn weight_sum_x4(window: u32) -> i64 {
    let r = inner_radius(window);
    let s2 = 2 * (2 * r + 1) + (i64::from(window) - 2 * r - 1);
    s2 * s2
}

/// The minimum-eigenvalue bound t = floor(T sum_k w_k) the unit's `t_min` port takes (W = 15:
/// 144 T; at most 2^20 * 225 < 2^28).
pub fn threshold(cfg: &TrackerConfig) -> i64 {
    (i64::from(cfg.min_eigen) * weight_sum_x4(cfg.window)) >> 2
}

/// det' > 0 as `(e, inv)`: e = bitlen(det'), inv = floor(2^(e + 17) / det'), 2^17 ..= 2^18
/// (2^17 exactly when det' is just under 2^e with e >= 18: 2^17 / (2^e - 1) < 1).
fn reciprocal(det: i64) -> (u32, i64) {
    let e = bit_length(det as u64);
    let inv = (1i64 << (e + 17)) / det;
    assert!((1 << 17..=1 << 18).contains(&inv), "inv {inv}");
    (e, inv)
}

fn track_point_f64(cfg: &TrackerConfig, la: &[Frame], lb: &[Frame], x0: f64, y0: f64) -> TrackF64 {
    let w = |i: i64| if outer(cfg.window, i) { 0.5 } else { 1.0 };
    track_point_f64_weighted(cfg, la, lb, x0, y0, &|_, i, j| w(i) * w(j), weight_sum_x4(cfg.window) as f64 / 4.0)
}

/// The f64 reference with a window weight `weight(l, i, j)` (level l, i, j in -h ..= h) and the
/// threshold's count `n` (lambda_min >= T n): for trying weightings (`track_weights`).
pub fn track_f64_weighted(cfg: &TrackerConfig, la: &[Frame], lb: &[Frame], points: &[(f64, f64)], weight: &(dyn Fn(usize, i64, i64) -> f64 + Sync), n: f64) -> Vec<TrackF64> {
    points.iter().map(|&(x, y)| track_point_f64_weighted(cfg, la, lb, x, y, weight, n)).collect()
}

fn track_point_f64_weighted(cfg: &TrackerConfig, la: &[Frame], lb: &[Frame], x0: f64, y0: f64, weight: &dyn Fn(usize, i64, i64) -> f64, n: f64) -> TrackF64 {
    let mut t = TrackF64 { x0, y0, x1: x0, y1: y0, lost: None, iterations: 0 };
    let inside_f = |f: &Frame, x: f64, y: f64| (0.0..=(f.width() - 1) as f64).contains(&x) && (0.0..=(f.height() - 1) as f64).contains(&y);
    if !inside_f(&la[0], x0, y0) {
        t.lost = Some(Loss::Left);
        return t;
    }
    let (mut gx, mut gy) = (0.0, 0.0);
    for l in (0..cfg.levels as usize).rev() {
        let scale = f64::from(1u32 << l);
        let (ax, ay) = (x0 / scale, y0 / scale);
        let (a, b) = (&la[l], &lb[l]);
        let h = i64::from(cfg.window / 2);
        let sample = |value: &dyn Fn(i64, i64) -> f64, x: f64, y: f64| {
            let (ix, iy) = (x.floor(), y.floor());
            let (fx, fy) = (x - ix, y - iy);
            let (ix, iy) = (ix as i64, iy as i64);
            (1.0 - fy) * ((1.0 - fx) * value(ix, iy) + fx * value(ix + 1, iy))
                + fy * ((1.0 - fx) * value(ix, iy + 1) + fx * value(ix + 1, iy + 1))
        };
        let pa = |x: i64, y: i64| px(a, x, y) as f64;
        let sxa = |x: i64, y: i64| scharr(a, x, y).0 as f64;
        let sya = |x: i64, y: i64| scharr(a, x, y).1 as f64;
        let pb = |x: i64, y: i64| px(b, x, y) as f64;
        let mut patch = Vec::new();
        let (mut gxx, mut gxy, mut gyy) = (0.0, 0.0, 0.0);
        for j in -h..=h {
            for i in -h..=h {
                let (u, v) = (ax + i as f64, ay + j as f64);
                let (ix, iy) = (sample(&sxa, u, v), sample(&sya, u, v));
                let wk = weight(l, i, j);
                gxx += wk * ix * ix;
                gxy += wk * ix * iy;
                gyy += wk * iy * iy;
                patch.push((sample(&pa, u, v), wk * ix, wk * iy));
            }
        }
        let lmin = ((gxx + gyy) - ((gxx - gyy) * (gxx - gyy) + 4.0 * gxy * gxy).sqrt()) / 2.0;
        let det = gxx * gyy - gxy * gxy;
        let (mut x, mut y) = (ax + gx, ay + gy);
        let mut left = false;
        if lmin >= f64::from(cfg.min_eigen) * n && det > 0.0 {
            let eps = f64::from(cfg.epsilon) / f64::from(ONE);
            let max_step = MAX_STEP as f64 / f64::from(ONE);
            for _ in 0..cfg.iterations {
                if !inside_f(b, x, y) {
                    left = true;
                    break;
                }
                t.iterations += 1;
                let (mut bx, mut by) = (0.0, 0.0);
                let mut k = 0;
                for j in -h..=h {
                    for i in -h..=h {
                        let diff = sample(&pb, x + i as f64, y + j as f64) - patch[k].0;
                        bx += diff * patch[k].1;
                        by += diff * patch[k].2;
                        k += 1;
                    }
                }
                // Scharr is 32 times the gradient; the fixed point's 5 fractional bits of I
                // and J make up for it there, here the factor is explicit.
                let dx = (-32.0 * (gyy * bx - gxy * by) / det).clamp(-max_step, max_step);
                let dy = (-32.0 * (gxx * by - gxy * bx) / det).clamp(-max_step, max_step);
                x += dx;
                y += dy;
                if dx.abs() <= eps && dy.abs() <= eps {
                    break;
                }
            }
            left |= !inside_f(b, x, y);
            if l == 0 && left {
                t.lost = Some(Loss::Left);
            }
        } else if l == 0 {
            t.lost = Some(Loss::Weak);
        }
        if l == 0 {
            (t.x1, t.y1) = (x, y);
        } else {
            (gx, gy) = (2.0 * (x - ax), 2.0 * (y - ay));
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// A smooth textured frame shifted by (dx, dy) pixels (sums of sines: exact sub-pixel motion).
    fn texture(w: usize, h: usize, dx: f64, dy: f64) -> Frame {
        Frame::from_fn(w, h, |x, y| {
            let (u, v) = (x as f64 - dx, y as f64 - dy);
            let s = (u * 0.31).sin() + (v * 0.23).sin() + (u * 0.11 + v * 0.17).sin() + ((u - v) * 0.07).cos();
            (128.0 + 30.0 * s).round().clamp(0.0, 255.0) as u8
        })
    }

    #[test]
    fn configs_validate_with_clear_errors() {
        for name in TrackerConfig::PRESETS {
            TrackerConfig::preset(name).unwrap().validate().unwrap();
        }
        assert!(TrackerConfig::preset("big").unwrap_err().to_string().contains("unknown tracker preset `big`"));
        let bad = |f: fn(&mut TrackerConfig)| {
            let mut c = TrackerConfig::navion();
            f(&mut c);
            c.validate().unwrap_err().to_string()
        };
        assert_eq!(bad(|c| c.window = 14), "the window is 14 pixels wide: it must be odd (a centre pixel)");
        assert!(bad(|c| c.window = 17).contains("the window (W) is 17, outside 3 ..= 15"));
        assert!(bad(|c| c.levels = 0).contains("levels (L) is 0"));
        assert!(bad(|c| c.levels = 4).contains("levels (L) is 4"));
        assert!(bad(|c| c.iterations = 31).contains("iterations per level (N) is 31"));
        assert!(bad(|c| c.min_eigen = MAX_MIN_EIGEN + 1).contains("threshold (T)"));
        let (a, b) = (texture(32, 32, 0.0, 0.0), texture(32, 28, 0.0, 0.0));
        let e = track(&TrackerConfig::small(), &a, &b, &[]).unwrap_err();
        assert_eq!(e.to_string(), "the frames differ in size: A is 32 x 32, B is 32 x 28");
        let wide = Frame::from_fn(1025, 2, |_, _| 0);
        assert!(matches!(track(&TrackerConfig::small(), &wide, &wide, &[]), Err(TrackerError::BadFrame { .. })));
        assert!(matches!(input_frame(&Frame::from_fn(6, 4, |_, _| 0), Input::Codec), Err(TrackerError::Codec(_))));
    }

    #[test]
    fn known_shifts_are_found_to_a_fraction_of_a_pixel() {
        let cfg = TrackerConfig { smooth: false, ..TrackerConfig::navion() };
        let a = texture(96, 96, 0.0, 0.0);
        for (dx, dy) in [(0.0, 0.0), (0.5, -0.25), (3.3, 1.7), (-6.6, 4.2), (9.1, -8.4)] {
            let b = texture(96, 96, dx, dy);
            let pts = [(48 << FRAC, 48 << FRAC), (40 << FRAC, 52 << FRAC)];
            let tr = track(&cfg, &a, &b, &pts).unwrap();
            let f = track_f64(&cfg, &a, &b, &[(48.0, 48.0), (40.0, 52.0)]).unwrap();
            for (t, r) in tr.iter().zip(&f) {
                assert_eq!(t.lost, None, "({dx}, {dy})");
                let (ex, ey) = (to_pixels(t.x1) - to_pixels(t.x0) - dx, to_pixels(t.y1) - to_pixels(t.y0) - dy);
                assert!(ex.abs() < 0.05 && ey.abs() < 0.05, "({dx}, {dy}): error ({ex:.3}, {ey:.3})");
                // The fixed point within a few 1/256 of the f64 reference.
                assert!((to_pixels(t.x1) - r.x1).abs() < 0.02 && (to_pixels(t.y1) - r.y1).abs() < 0.02, "{t:?} {r:?}");
                assert!(t.iterations >= 1 && t.iterations <= cfg.levels * cfg.iterations);
            }
        }
    }

    #[test]
    fn flat_frames_lose_points_as_weak_and_borders_as_left() {
        let cfg = TrackerConfig::navion();
        let flat = Frame::from_fn(64, 64, |_, _| 100);
        let t = track(&cfg, &flat, &flat, &[(32 << FRAC, 32 << FRAC)]).unwrap();
        assert_eq!((t[0].lost, t[0].iterations), (Some(Loss::Weak), 0));
        assert_eq!((t[0].x1, t[0].y1), (32 << FRAC, 32 << FRAC));
        // A start outside the frame is lost at once.
        let a = texture(64, 64, 0.0, 0.0);
        let t = track(&cfg, &a, &a, &[(-1, 5 << FRAC), (64 << FRAC, 0)]).unwrap();
        assert!(t.iter().all(|t| t.lost == Some(Loss::Left) && t.iterations == 0));
        // A texture moved 6 pixels to the left: a point at x = 2 follows it out of the frame.
        let b = texture(64, 64, -6.0, 0.0);
        let t = track(&cfg, &a, &b, &[(2 << FRAC, 32 << FRAC), (32 << FRAC, 32 << FRAC)]).unwrap();
        assert_eq!(t[0].lost, Some(Loss::Left), "{:?}", t[0]);
        assert_eq!(t[1].lost, None);
        assert!((to_pixels(t[1].x1) - 26.0).abs() < 0.1, "{:?}", t[1]);
    }

    #[test]
    fn the_eigenvalue_test_is_exact() {
        let mut rng = StdRng::seed_from_u64(14);
        for _ in 0..20000 {
            let gxx: i64 = rng.gen_range(0..1 << 32);
            let gyy: i64 = rng.gen_range(0..1 << 32);
            let lim = ((gxx as f64) * (gyy as f64)).sqrt() as i64;
            let gxy: i64 = rng.gen_range(-lim..=lim);
            let t: i64 = if rng.gen_bool(0.5) { rng.gen_range(0..1 << 28) } else { rng.gen_range(0..1 << 33) };
            let (a, b, c) = (gxx as f64, gxy as f64, gyy as f64);
            let lmin = ((a + c) - ((a - c).powi(2) + 4.0 * b * b).sqrt()) / 2.0;
            // Away from the boundary (f64's own rounding) the answers agree.
            if (lmin - t as f64).abs() > 1e-6 * (a + c + 1.0) {
                assert_eq!(strong_enough(gxx, gxy, gyy, t), lmin >= t as f64, "{gxx} {gxy} {gyy} {t}");
            }
        }
        // Exactly at the boundary: G = diag(5, 9), t = 5 passes, t = 6 fails.
        assert!(strong_enough(5, 0, 9, 5));
        assert!(!strong_enough(5, 0, 9, 6));
    }

    #[test]
    fn the_reciprocal_spans_2_17_to_2_18() {
        // A det' just under a power of two from 2^18 up gives 2^17 exactly (a 3x3 smoothing
        // of every level met one on the photographs); a power of two gives 2^18.
        assert_eq!(reciprocal((1 << 18) - 1), (18, 1 << 17));
        assert_eq!(reciprocal((1 << 31) - 1), (31, 1 << 17));
        assert_eq!(reciprocal((1 << 17) - 1), (17, (1 << 17) + 1));
        for e in 1..32 {
            assert_eq!(reciprocal(1 << (e - 1)), (e, 1 << 18));
        }
        assert_eq!(reciprocal(1), (1, 1 << 18));
    }

    #[test]
    fn widths_hold_on_adversarial_frames() {
        // 0/255 checkerboards and random extremes: the model asserts the widths of G, det',
        // inv, b, b', nx, ny and the positions as it runs (see `track_level`).
        let mut rng = StdRng::seed_from_u64(3);
        let cfg = TrackerConfig { smooth: false, min_eigen: 0, ..TrackerConfig::navion() };
        let frames = [
            Frame::from_fn(40, 40, |x, y| if (x + y) % 2 == 0 { 255 } else { 0 }),
            Frame::from_fn(40, 40, |x, _| if x % 2 == 0 { 255 } else { 0 }),
            Frame::from_fn(40, 40, |_, _| if rng.gen_bool(0.5) { 255 } else { 0 }),
        ];
        for a in &frames {
            for b in &frames {
                let pts: Vec<(i32, i32)> = (0..20).map(|_| (rng.gen_range(0..39 << FRAC), rng.gen_range(0..39 << FRAC))).collect();
                for t in track(&cfg, a, b, &pts).unwrap() {
                    assert!(t.x1.abs() < 1 << 23 && t.y1.abs() < 1 << 23);
                }
            }
        }
    }

    #[test]
    fn codec_frames_track_too() {
        let a = texture(96, 96, 0.0, 0.0);
        let b = texture(96, 96, 2.5, -1.25);
        let cfg = TrackerConfig::navion();
        let (ca, cb) = (input_frame(&a, Input::Codec).unwrap(), input_frame(&b, Input::Codec).unwrap());
        assert_ne!(ca, a);
        let t = track(&cfg, &ca, &cb, &[(48 << FRAC, 48 << FRAC)]).unwrap();
        let (ex, ey) = (to_pixels(t[0].x1) - 50.5, to_pixels(t[0].y1) - 46.75);
        assert!(ex.abs() < 0.3 && ey.abs() < 0.3, "({ex}, {ey})");
    }
}
