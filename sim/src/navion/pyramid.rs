//! Image pyramids for the tracker: OpenCV's `pyrDown`, bit for bit, and the binomial smoothing
//! the tracker may apply to a level before its derivatives.
//!
//! # `pyrDown` (issue 14, §1)
//!
//! Level l + 1 of a pyramid is [`pyr_down`] of level l: a `W x H` level gives one of
//! `((W + 1) / 2) x ((H + 1) / 2)` pixels (OpenCV's default size), pixel (x, y) of which is the
//! 5 x 5 binomial `[1 4 6 4 1]` outer product (sum 256) centred on pixel (2x, 2y), rounded:
//!
//! ```text
//!   out(x, y) = (sum_{i,j in -2..=2} k(i) k(j) in(r(2x + i), r(2y + j)) + 128) >> 8,   k = [1 4 6 4 1]
//! ```
//!
//! with `r` OpenCV's `BORDER_REFLECT_101` (index -1 reads 1, -2 reads 2, W reads W - 2, W + 1
//! reads W - 3). The sum is at most 256 * 255 < 2^16: 16 bits unsigned, the output 8 bits.
//! A side of 1 pixel reflects onto itself. The test `pyr_down_matches_opencv` checks frames
//! of even and odd sizes against values OpenCV 4 computed (`tests/data/navion/pyrdown.json`,
//! made by `scripts/navion/opencv_pyrdown.py`).
//!
//! # Smoothing ([`smooth5`], [`smooth3`])
//!
//! [`smooth5`] is the same 5 x 5 kernel without the decimation (every pixel kept, the same
//! rounding and border; the hardware reuses the pyramid's filter); [`smooth3`] the 3 x 3
//! binomial `[1 2 1]` outer product / 16, `(sum + 8) >> 4` (sum <= 16 * 255 < 2^12), the same
//! border. The tracker's `smooth` option applies [`smooth3`] to level 0 and [`smooth5`] to the
//! coarser levels of both frames before anything reads them (see [`super::tracker`] for why).

use super::Frame;

/// The 1-D binomial kernel; its outer product sums to 256.
pub const KERNEL: [u32; 5] = [1, 4, 6, 4, 1];

/// OpenCV's `BORDER_REFLECT_101` for an index in -n ..= 2n - 2 (any index when n = 1).
pub fn reflect101(i: i64, n: usize) -> usize {
    let n = n as i64;
    if n == 1 {
        return 0;
    }
    let mut i = i;
    // Repeats for indices more than one reflection away (only on sides under 3 pixels).
    loop {
        if i < 0 {
            i = -i;
        } else if i >= n {
            i = 2 * n - 2 - i;
        } else {
            return i as usize;
        }
    }
}

/// The 5 x 5 binomial at (cx, cy) of `f`, rounded to 8 bits.
fn binomial_at(f: &Frame, cx: i64, cy: i64) -> u8 {
    let (w, h) = (f.width(), f.height());
    let mut sum = 0u32;
    for (j, kj) in KERNEL.iter().enumerate() {
        let y = reflect101(cy + j as i64 - 2, h);
        for (i, ki) in KERNEL.iter().enumerate() {
            let x = reflect101(cx + i as i64 - 2, w);
            sum += ki * kj * u32::from(f.at(x, y));
        }
    }
    ((sum + 128) >> 8) as u8
}

/// OpenCV's `pyrDown` (module doc); the size of the result is `((W + 1) / 2, (H + 1) / 2)`.
pub fn pyr_down(f: &Frame) -> Frame {
    let (w, h) = (f.width().div_ceil(2), f.height().div_ceil(2));
    Frame::from_fn(w, h, |x, y| binomial_at(f, 2 * x as i64, 2 * y as i64))
}

/// The 5 x 5 binomial of every pixel, rounded to 8 bits (module doc).
pub fn smooth5(f: &Frame) -> Frame {
    Frame::from_fn(f.width(), f.height(), |x, y| binomial_at(f, x as i64, y as i64))
}

/// The 3 x 3 binomial of every pixel, rounded to 8 bits (module doc).
pub fn smooth3(f: &Frame) -> Frame {
    const K3: [u32; 3] = [1, 2, 1];
    let (w, h) = (f.width(), f.height());
    Frame::from_fn(w, h, |x, y| {
        let mut sum = 0u32;
        for (j, kj) in K3.iter().enumerate() {
            let yy = reflect101(y as i64 + j as i64 - 1, h);
            for (i, ki) in K3.iter().enumerate() {
                sum += ki * kj * u32::from(f.at(reflect101(x as i64 + i as i64 - 1, w), yy));
            }
        }
        ((sum + 8) >> 4) as u8
    })
}

/// Levels 0 ..= levels - 1: the frame, then `pyr_down` of each level.
pub fn pyramid(f: &Frame, levels: usize) -> Vec<Frame> {
    let mut v = vec![f.clone()];
    while v.len() < levels {
        let next = pyr_down(v.last().expect("one level at least"));
        v.push(next);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Case {
        width: usize,
        height: usize,
        input: Vec<u8>,
        out_width: usize,
        out_height: usize,
        output: Vec<u8>,
    }

    #[test]
    fn pyr_down_matches_opencv() {
        let cases: Vec<Case> = serde_json::from_str(include_str!("../../../tests/data/navion/pyrdown.json")).unwrap();
        assert!(cases.len() >= 4);
        for c in cases {
            let f = Frame::new(c.width, c.height, c.input).unwrap();
            let d = pyr_down(&f);
            assert_eq!((d.width(), d.height()), (c.out_width, c.out_height), "{} x {}", c.width, c.height);
            assert_eq!(d.pixels(), c.output, "{} x {}", c.width, c.height);
        }
    }

    #[test]
    fn pyr_down_by_hand() {
        // Flat stays flat; a single bright pixel at (2, 2) of a 5 x 5 frame gives 36 * 255 / 256
        // = 35.86 -> 36 at (1, 1), and its reflections elsewhere.
        let flat = Frame::from_fn(7, 5, |_, _| 77);
        assert_eq!(pyr_down(&flat), Frame::from_fn(4, 3, |_, _| 77));
        let dot = Frame::from_fn(5, 5, |x, y| if (x, y) == (2, 2) { 255 } else { 0 });
        let d = pyr_down(&dot);
        assert_eq!((d.width(), d.height()), (3, 3));
        assert_eq!(d.at(1, 1), 36);
        // (0, 0) sees (2, 2) at offset (+2, +2) with weight 1 * 1, and its three reflections
        // (rows and columns -2 read 2): 4 * 255 / 256 = 3.98 -> 4.
        assert_eq!(d.at(0, 0), 4);
        // (1, 0): centre (2, 0); (2, 2) at offset (0, +2) with weight 6, and its reflection
        // at offset (0, -2) (row -2 reads row 2) with weight 6 again: 12 * 255 / 256 -> 12.
        assert_eq!(d.at(1, 0), 12);
        assert_eq!(reflect101(-1, 5), 1);
        assert_eq!(reflect101(5, 5), 3);
        assert_eq!(reflect101(6, 5), 2);
        assert_eq!(reflect101(-2, 2), 0);
        assert_eq!(reflect101(3, 2), 1);
        // Odd sizes: 1 x 1 and 3 x 1 shrink to 1 x 1 and 2 x 1.
        assert_eq!(pyr_down(&Frame::from_fn(1, 1, |_, _| 9)).pixels(), [9]);
        assert_eq!(pyr_down(&Frame::from_fn(3, 1, |x, _| (x * 100) as u8)).width(), 2);
    }

    #[test]
    fn pyramid_sizes_and_smoothing() {
        let f = Frame::from_fn(160, 120, |x, y| ((x * 7 + y * 3) % 256) as u8);
        let p = pyramid(&f, 3);
        let sizes: Vec<_> = p.iter().map(|l| (l.width(), l.height())).collect();
        assert_eq!(sizes, [(160, 120), (80, 60), (40, 30)]);
        let odd = pyramid(&Frame::from_fn(75, 49, |_, _| 0), 3);
        assert_eq!((odd[2].width(), odd[2].height()), (19, 13));
        // smooth5 keeps the size; on a horizontal ramp away from the borders it changes nothing.
        let ramp = Frame::from_fn(20, 10, |x, _| (x * 10) as u8);
        let s = smooth5(&ramp);
        assert_eq!((s.width(), s.height()), (20, 10));
        assert!((2..18).all(|x| s.at(x, 5) == ramp.at(x, 5)));
        let s3 = smooth3(&ramp);
        assert!((1..19).all(|x| s3.at(x, 5) == ramp.at(x, 5)));
        // A bright pixel: 4/16 of it stays, 2/16 to each side, 1/16 diagonally; at the border
        // (0, y) reads (1, y) twice (reflection).
        let dot = smooth3(&Frame::from_fn(5, 5, |x, y| if (x, y) == (2, 2) { 160 } else { 0 }));
        assert_eq!([dot.at(2, 2), dot.at(1, 2), dot.at(1, 1), dot.at(0, 0)], [40, 20, 10, 0]);
        let edge = smooth3(&Frame::from_fn(5, 5, |x, y| if (x, y) == (1, 2) { 160 } else { 0 }));
        assert_eq!(edge.at(0, 2), 40);
    }
}
