//! The Navion corner detector's golden model: the Shi-Tomasi score of every pixel, the
//! candidates (local maxima over a threshold) and the corners kept on a grid, K per cell.
//!
//! # The score (issue 13, §1)
//!
//! For an 8-bit frame I of W x H pixels (W, H >= 2), every neighbourhood that leaves the frame
//! reads by reflection without repeating the edge (OpenCV's `BORDER_REFLECT_101`: index -1
//! reads 1, index W reads W - 2), both in the image and in the gradient-product images:
//!
//! ```text
//!  gx = I (*) [-1 0 1; -2 0 2; -1 0 1]      gy = I (*) [-1 -2 -1; 0 0 0; 1 2 1]   (correlation)
//!  a  = box3(gx*gx)   b = box3(gx*gy)   c = box3(gy*gy)                       (unnormalized)
//!  D  = (a - c)^2 + 4 b^2
//!  S  = (a + c) - isqrt(D)                                           (isqrt: floor of sqrt)
//! ```
//!
//! S is twice the smaller eigenvalue of the structure tensor [a b; b c], rounded up (a + c is
//! an integer and isqrt rounds down): `S = ceil(2 * lambda_min)`.
//!
//! # Widths (every 8-bit image; the hardware's and this model's)
//!
//! | value     | range                                   | width              | here |
//! |-----------|-----------------------------------------|--------------------|------|
//! | I         | 0 ..= 255                               | 8 bits unsigned    | u8   |
//! | gx, gy    | -1020 ..= 1020 (4 * 255 each side)      | 11 bits signed     | i16  |
//! | gx², gy²  | 0 ..= 1 040 400 (1020²) < 2^20           | 20 bits unsigned   | u32  |
//! | gx*gy     | -1 040 400 ..= 1 040 400                 | 21 bits signed     | i32  |
//! | a, c      | 0 ..= 9 363 600 (9 * 1020²) < 2^24       | 24 bits unsigned   | u32  |
//! | b         | -9 363 600 ..= 9 363 600                 | 25 bits signed     | i32  |
//! | a + c     | 0 ..= 18 727 200 < 2^25                  | 25 bits unsigned   | u32  |
//! | a - c     | -9 363 600 ..= 9 363 600                 | 25 bits signed     | i32  |
//! | D         | 0 ..= (a + c)² <= 350 708 019 840 000 < 2^49 | 49 bits unsigned | u64  |
//! | isqrt(D)  | 0 ..= a + c < 2^25                       | 25 bits unsigned   | u32  |
//! | S         | 0 ..= 2 min(a, c) <= 18 727 200 < 2^25   | 25 bits unsigned   | u32  |
//!
//! Why: a 3 x 3 Sobel row has weights summing to 4 in absolute value, so |gx| <= 4 * 255. The
//! box sums add nine products. The bound on D is Cauchy-Schwarz: a, b, c are sums over the
//! same nine (reflected) positions, so b² <= a c and D = (a - c)² + 4 b² <= (a - c)² + 4 a c =
//! (a + c)². Hence isqrt(D) <= a + c, S >= 0, and since D >= (a - c)², S <= (a + c) - |a - c|
//! = 2 min(a, c). S fits an int32 (the `.npy` score file) with room to spare. The test
//! `no_overflow_on_adversarial_frames` checks every intermediate against these bounds, and
//! the score against an i128 reference, on frames built to push them (0/255 extremes).
//!
//! # The corners (issue 13, §2)
//!
//! A **candidate** is a pixel at least 2 pixels from every border (2 <= x <= W - 3 and
//! 2 <= y <= H - 3: its 5 x 5 neighbourhood lies in the frame) whose score is strictly
//! greater than its 4 neighbours before it in raster order (up-left, up, up-right, left),
//! greater than or equal to the 4 after it (right, down-left, down, down-right), and at least
//! the threshold T. The frame is split into GX x GY **cells**: pixel (x, y) is in cell
//! (x * GX / W, y * GY / H), integer division. Each cell keeps its K candidates of the highest
//! score, ties going to the earlier pixel in raster order. [`detect`] lists the kept corners
//! cell by cell in raster order of the cells, within a cell by descending score (ties: earlier
//! pixel first), the order a per-cell top-K list in hardware holds them.
//!
//! # Defaults
//!
//! `navion` (the EuRoC camera, 752 x 480): a grid of 8 x 6 cells (94 x 80 pixels each) and
//! K = 38 keep at most 48 * 38 = 1824 corners a frame, the number of candidates the Navion chip
//! kept (it tracked up to 200 of them). T = 4096 drops the weak maxima of sensor noise and
//! of edges and shading (strong in one direction only): lambda_min is the least, over unit
//! directions u, of the sum over the window of (gx ux + gy uy)², so S >= 4096 asks that the
//! Sobel response in every direction be at least 15 in RMS over the nine pixels (2048 / 9 =
//! 15.1²), a change of about 2 grey levels a pixel (a ramp of g levels a pixel gives 8g). On the 752 x 480 test photograph
//! (`tests/data/navion/coffee_752x480.png`) the preset finds 7657 candidates and keeps 1713
//! (T = 0: 17770 candidates, 1824 kept; T = 65536: 1036 and 699).
//! `small` (160 x 120, for tests): 4 x 3 cells of 40 x 40 pixels, K = 8, the same T (on the
//! 160 x 120 test photographs: 473 candidates in `camera`, 290 in `brick`, 96 kept in each).

use super::Frame;
use serde::{Deserialize, Serialize};

pub use edgertl_hdl::navion::detector::{DetectorConfig, DetectorError, MAX_BOX, MAX_GRADIENT, MAX_GRID, MAX_HEIGHT, MAX_PER_CELL, MAX_SCORE, MAX_WIDTH};

/// A kept corner: its pixel and its score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Corner {
    pub x: u32,
    pub y: u32,
    pub score: u32,
}

/// The structure tensor's parts at every pixel, raster order, at their hardware widths.
#[derive(Clone, Debug)]
pub struct Structure {
    pub width: usize,
    pub height: usize,
    pub gx: Vec<i16>,
    pub gy: Vec<i16>,
    pub a: Vec<u32>,
    pub b: Vec<i32>,
    pub c: Vec<u32>,
}

/// Index `i` (one step outside at most) reflected into 0..n, n >= 2 (BORDER_REFLECT_101).
fn reflect(i: isize, n: usize) -> usize {
    if i < 0 {
        i.unsigned_abs()
    } else if i as usize >= n {
        2 * n - 2 - i as usize
    } else {
        i as usize
    }
}

/// The 3 x 3 neighbourhood of (x, y) as [row dy][column dx], reflected at the borders.
fn neighbours<T: Copy>(v: &[T], width: usize, height: usize, x: usize, y: usize) -> [[T; 3]; 3] {
    std::array::from_fn(|dy| {
        let row = reflect(y as isize + dy as isize - 1, height) * width;
        std::array::from_fn(|dx| v[row + reflect(x as isize + dx as isize - 1, width)])
    })
}

/// The gradients and box sums of a frame (see the module doc for the widths). Panics on a
/// frame smaller than 2 x 2, which has no reflection; [`detect`] refuses those with an error.
pub fn structure(frame: &Frame) -> Structure {
    let (w, h) = (frame.width(), frame.height());
    assert!(w >= 2 && h >= 2, "the structure tensor needs a frame of at least 2 x 2");
    let pixels = frame.pixels();
    let mut gx = Vec::with_capacity(w * h);
    let mut gy = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let n = neighbours(pixels, w, h, x, y).map(|row| row.map(i16::from));
            gx.push((n[0][2] - n[0][0]) + 2 * (n[1][2] - n[1][0]) + (n[2][2] - n[2][0]));
            gy.push((n[2][0] - n[0][0]) + 2 * (n[2][1] - n[0][1]) + (n[2][2] - n[0][2]));
        }
    }
    let xx: Vec<u32> = gx.iter().map(|&g| (i32::from(g) * i32::from(g)) as u32).collect();
    let xy: Vec<i32> = gx.iter().zip(&gy).map(|(&p, &q)| i32::from(p) * i32::from(q)).collect();
    let yy: Vec<u32> = gy.iter().map(|&g| (i32::from(g) * i32::from(g)) as u32).collect();
    let mut a = Vec::with_capacity(w * h);
    let mut b = Vec::with_capacity(w * h);
    let mut c = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            a.push(neighbours(&xx, w, h, x, y).iter().flatten().sum::<u32>());
            b.push(neighbours(&xy, w, h, x, y).iter().flatten().sum::<i32>());
            c.push(neighbours(&yy, w, h, x, y).iter().flatten().sum::<u32>());
        }
    }
    Structure { width: w, height: h, gx, gy, a, b, c }
}

/// The score from the box sums: (a + c) - isqrt((a - c)² + 4 b²).
pub fn score_of(a: u32, b: i32, c: u32) -> u32 {
    let diff = i64::from(a) - i64::from(c);
    let d = (diff * diff) as u64 + 4 * (i64::from(b) * i64::from(b)) as u64;
    // D <= (a + c)² (module doc), so the root fits the 25 bits of a + c and S >= 0.
    (a + c) - d.isqrt() as u32
}

/// The score S of every pixel, raster order. Panics on a frame smaller than 2 x 2 (see
/// [`structure`]).
pub fn scores(frame: &Frame) -> Vec<u32> {
    let s = structure(frame);
    (0..s.a.len()).map(|i| score_of(s.a[i], s.b[i], s.c[i])).collect()
}

/// Whether (x, y) is a candidate (module doc) under threshold `t`.
pub fn is_candidate(scores: &[u32], width: usize, height: usize, x: usize, y: usize, t: u32) -> bool {
    if x < 2 || y < 2 || x + 2 >= width || y + 2 >= height {
        return false;
    }
    let at = |dx: isize, dy: isize| scores[(y as isize + dy) as usize * width + (x as isize + dx) as usize];
    let s = at(0, 0);
    let before = [at(-1, -1), at(0, -1), at(1, -1), at(-1, 0)];
    let after = [at(1, 0), at(-1, 1), at(0, 1), at(1, 1)];
    s >= t && before.iter().all(|&n| s > n) && after.iter().all(|&n| s >= n)
}

/// Every candidate under threshold `t`, raster order.
pub fn candidates(scores: &[u32], width: usize, height: usize, t: u32) -> Vec<Corner> {
    let mut out = Vec::new();
    for y in 0..height {
        for x in 0..width {
            if is_candidate(scores, width, height, x, y, t) {
                out.push(Corner { x: x as u32, y: y as u32, score: scores[y * width + x] });
            }
        }
    }
    out
}

/// The corners each cell keeps of `candidates` (given in raster order), in the order of
/// the module doc: cells in raster order, then descending score, ties the earlier pixel.
pub fn select(candidates: &[Corner], cfg: &DetectorConfig, width: usize, height: usize) -> Vec<Corner> {
    let (gx, gy) = (cfg.grid_x as usize, cfg.grid_y as usize);
    let mut cells: Vec<Vec<Corner>> = vec![Vec::new(); gx * gy];
    for &cand in candidates {
        let (cx, cy) = cfg.cell(cand.x as usize, cand.y as usize, width, height);
        cells[cy * gx + cx].push(cand);
    }
    let mut kept = Vec::new();
    for mut cell in cells {
        // A stable sort keeps raster order among equal scores.
        cell.sort_by_key(|c| std::cmp::Reverse(c.score));
        kept.extend(cell.into_iter().take(cfg.per_cell as usize));
    }
    kept
}

/// What the detector finds in a frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detection {
    pub width: usize,
    pub height: usize,
    /// S of every pixel, raster order.
    pub scores: Vec<u32>,
    /// How many candidates the frame has, before the per-cell selection.
    pub candidates: usize,
    /// The corners kept (module doc for the order).
    pub corners: Vec<Corner>,
}

/// Scores `frame` and selects its corners under `cfg`; an error when the frame does not fit.
pub fn detect(frame: &Frame, cfg: &DetectorConfig) -> Result<Detection, DetectorError> {
    let (w, h) = (frame.width(), frame.height());
    cfg.check_frame(w, h)?;
    let scores = scores(frame);
    let cands = candidates(&scores, w, h, cfg.threshold);
    let corners = select(&cands, cfg, w, h);
    Ok(Detection { width: w, height: h, scores, candidates: cands.len(), corners })
}

/// Writes the scores of a detection as a `.npy` array of int32, shape (H, W), C order (any
/// [`std::io::Write`]: files go through `edgertl::output`). Every score fits (< 2^25).
pub fn write_scores_npy<W: std::io::Write>(out: W, d: &Detection) -> std::io::Result<()> {
    use npyz::WriterBuilder;
    let mut out = std::io::BufWriter::new(out);
    let mut writer = npyz::WriteOptions::new()
        .default_dtype()
        .shape(&[d.height as u64, d.width as u64])
        .writer(&mut out)
        .begin_nd()?;
    writer.extend(d.scores.iter().map(|&s| s as i32))?;
    writer.finish()?;
    std::io::Write::flush(&mut out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    // ---- Independent references, written the plain way ----

    /// Mirror an index of any offset into 0..n (n >= 2) the way OpenCV's BORDER_REFLECT_101
    /// does, by folding the period 2n - 2.
    fn mirror(i: i64, n: i64) -> usize {
        let period = 2 * n - 2;
        let m = i.rem_euclid(period);
        (if m < n { m } else { period - m }) as usize
    }

    /// The pixel, the gradients and the box sums in i128, straight from their definitions.
    fn reference_parts(f: &Frame, x: usize, y: usize) -> (i128, i128, i128) {
        let (w, h) = (f.width() as i64, f.height() as i64);
        let px = |x: i64, y: i64| i128::from(f.at(mirror(x, w), mirror(y, h)));
        let kx = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]];
        let grad = |x: i64, y: i64| {
            let (mut gx, mut gy) = (0i128, 0i128);
            for (r, row) in kx.iter().enumerate() {
                for (col, &k) in row.iter().enumerate() {
                    let (dx, dy) = (col as i64 - 1, r as i64 - 1);
                    gx += k * px(x + dx, y + dy);
                    // The transpose: weight k at (row, col) becomes the weight at (col, row).
                    gy += k * px(x + dy, y + dx);
                }
            }
            (gx, gy)
        };
        let (mut a, mut b, mut c) = (0, 0, 0);
        for dy in -1..=1 {
            for dx in -1..=1 {
                let (xx, yy) = (mirror(x as i64 + dx, w) as i64, mirror(y as i64 + dy, h) as i64);
                let (gx, gy) = grad(xx, yy);
                a += gx * gx;
                b += gx * gy;
                c += gy * gy;
            }
        }
        (a, b, c)
    }

    /// The score from i128 parts with a square root found by bisection.
    fn reference_score(f: &Frame, x: usize, y: usize) -> i128 {
        let (a, b, c) = reference_parts(f, x, y);
        let d = (a - c) * (a - c) + 4 * b * b;
        let (mut lo, mut hi) = (0i128, 1i128 << 40);
        while lo < hi {
            let mid = (lo + hi + 1) / 2;
            if mid * mid <= d {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        (a + c) - lo
    }

    fn random_frame(rng: &mut StdRng, w: usize, h: usize) -> Frame {
        Frame::from_fn(w, h, |_, _| rng.gen())
    }

    /// Frames made to push the intermediates: 0/255 patterns of every kind.
    fn adversarial_frames() -> Vec<(String, Frame)> {
        let mut rng = StdRng::seed_from_u64(13);
        let mut frames = vec![
            ("black".to_string(), Frame::from_fn(9, 7, |_, _| 0)),
            ("white".to_string(), Frame::from_fn(9, 7, |_, _| 255)),
            ("checkerboard 1".to_string(), Frame::from_fn(12, 10, |x, y| if (x + y) % 2 == 0 { 255 } else { 0 })),
            ("checkerboard 2".to_string(), Frame::from_fn(12, 10, |x, y| if (x / 2 + y / 2) % 2 == 0 { 255 } else { 0 })),
            ("checkerboard 3".to_string(), Frame::from_fn(13, 11, |x, y| if (x / 3 + y / 3) % 2 == 0 { 255 } else { 0 })),
            ("stripes".to_string(), Frame::from_fn(12, 10, |x, _| if x % 4 < 2 { 255 } else { 0 })),
            ("diagonal step".to_string(), Frame::from_fn(12, 10, |x, y| if x > y { 255 } else { 0 })),
            ("quadrant".to_string(), Frame::from_fn(12, 10, |x, y| if x >= 6 && y >= 5 { 255 } else { 0 })),
            ("bright pixel".to_string(), Frame::from_fn(11, 9, |x, y| if (x, y) == (5, 4) { 255 } else { 0 })),
            ("2 x 2".to_string(), Frame::from_fn(2, 2, |x, y| ((x * 255) ^ (y * 255)) as u8)),
            ("2 x 5".to_string(), Frame::from_fn(2, 5, |x, y| if (x + y) % 2 == 0 { 255 } else { 0 })),
        ];
        for i in 0..24 {
            let (w, h) = (rng.gen_range(2..14), rng.gen_range(2..14));
            frames.push((format!("random 0/255 #{i}"), Frame::from_fn(w, h, |_, _| if rng.gen() { 255 } else { 0 })));
        }
        frames
    }

    #[test]
    fn scores_match_the_i128_reference_on_random_and_adversarial_frames() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut frames = adversarial_frames();
        for i in 0..20 {
            let (w, h) = (rng.gen_range(2..20), rng.gen_range(2..20));
            frames.push((format!("random #{i}"), random_frame(&mut rng, w, h)));
        }
        for (name, f) in &frames {
            let s = scores(f);
            for y in 0..f.height() {
                for x in 0..f.width() {
                    assert_eq!(i128::from(s[y * f.width() + x]), reference_score(f, x, y), "{name}: ({x}, {y})");
                }
            }
        }
    }

    #[test]
    fn no_overflow_on_adversarial_frames() {
        let mut seen_max = (0i32, 0u32, 0i32, 0u32);
        for (name, f) in adversarial_frames() {
            let st = structure(&f);
            for i in 0..st.a.len() {
                let (x, y) = (i % f.width(), i / f.width());
                let (a, b, c) = reference_parts(&f, x, y);
                // The model's narrow values are the exact ones: nothing wrapped.
                assert_eq!((i128::from(st.a[i]), i128::from(st.b[i]), i128::from(st.c[i])), (a, b, c), "{name} ({x}, {y})");
                assert!(i32::from(st.gx[i]).abs() <= MAX_GRADIENT && i32::from(st.gy[i]).abs() <= MAX_GRADIENT);
                assert!(st.a[i] <= MAX_BOX && st.c[i] <= MAX_BOX && st.b[i].unsigned_abs() <= MAX_BOX);
                // Cauchy-Schwarz, the reason D fits 49 bits and S >= 0.
                assert!(b * b <= a * c, "{name} ({x}, {y})");
                let d = (a - c) * (a - c) + 4 * b * b;
                assert!(d <= (a + c) * (a + c) && d < 1 << 49);
                let s = score_of(st.a[i], st.b[i], st.c[i]);
                assert!(s <= 2 * st.a[i].min(st.c[i]) && s <= MAX_SCORE);
                seen_max.0 = seen_max.0.max(i32::from(st.gx[i]).abs());
                seen_max.1 = seen_max.1.max(st.a[i]);
                seen_max.2 = seen_max.2.max(st.b[i].abs());
                seen_max.3 = seen_max.3.max(s);
            }
        }
        // The frames do reach the gradient's bound (a step of 255 under the whole kernel), so
        // the table's widths are needed, not just sufficient.
        assert_eq!(seen_max.0, MAX_GRADIENT);
        assert!(seen_max.1 > MAX_BOX / 2, "{seen_max:?}");
    }

    #[test]
    fn score_is_twice_the_smaller_eigenvalue_rounded_up() {
        // Against a floating-point eigenvalue of [a b; b c] from the trace and determinant.
        let mut rng = StdRng::seed_from_u64(2);
        for _ in 0..20 {
            let f = random_frame(&mut rng, 16, 12);
            let st = structure(&f);
            for i in 0..st.a.len() {
                let (a, b, c) = (f64::from(st.a[i]), f64::from(st.b[i]), f64::from(st.c[i]));
                let (tr, det) = (a + c, a * c - b * b);
                let lambda_min = tr / 2.0 - ((tr / 2.0).powi(2) - det).max(0.0).sqrt();
                let s = f64::from(score_of(st.a[i], st.b[i], st.c[i]));
                let two = 2.0 * lambda_min;
                // ceil(2 lambda): within one of it, never below (up to float rounding).
                assert!(s >= two - 1e-3 * (1.0 + two.abs()) && s < two + 1.0 + 1e-3 * (1.0 + two.abs()), "S {s}, 2 lambda {two}");
            }
        }
    }

    #[test]
    fn flat_frames_score_zero_and_have_no_candidates() {
        for v in [0u8, 255] {
            let f = Frame::from_fn(20, 16, |_, _| v);
            let d = detect(&f, &DetectorConfig { threshold: 0, ..DetectorConfig::small() }).unwrap();
            assert!(d.scores.iter().all(|&s| s == 0));
            // S >= T holds everywhere, but no pixel is strictly above its earlier neighbours.
            assert_eq!(d.candidates, 0);
        }
    }

    #[test]
    fn a_bright_pixel_is_one_corner() {
        let f = Frame::from_fn(21, 17, |x, y| if (x, y) == (10, 8) { 255 } else { 0 });
        let d = detect(&f, &DetectorConfig { grid_x: 1, grid_y: 1, per_cell: 5, ..DetectorConfig::small() }).unwrap();
        assert_eq!(d.corners.len(), 1, "{:?}", d.corners);
        assert_eq!((d.corners[0].x, d.corners[0].y), (10, 8));
        assert_eq!(d.corners[0].score, d.scores.iter().copied().max().unwrap());
    }

    #[test]
    fn a_white_square_has_its_four_corners() {
        let f = Frame::from_fn(40, 30, |x, y| if (10..30).contains(&x) && (8..22).contains(&y) { 255 } else { 0 });
        let d = detect(&f, &DetectorConfig { grid_x: 2, grid_y: 2, per_cell: 1, ..DetectorConfig::small() }).unwrap();
        let mut at: Vec<(u32, u32)> = d.corners.iter().map(|c| (c.x, c.y)).collect();
        at.sort();
        // The score peaks on the diagonal through each corner, one pixel apart at most.
        for ((x, y), (ex, ey)) in at.iter().zip([(10, 8), (10, 21), (29, 8), (29, 21)]) {
            assert!(x.abs_diff(ex) <= 1 && y.abs_diff(ey) <= 1, "{at:?}");
        }
    }

    /// Brute-force candidates: all 8 neighbours visited one by one.
    fn reference_candidates(s: &[u32], w: usize, h: usize, t: u32) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for y in 2..h.saturating_sub(2) {
            for x in 2..w.saturating_sub(2) {
                let v = s[y * w + x];
                let mut ok = v >= t;
                for (dx, dy) in [(-1i64, -1i64), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)] {
                    let n = s[(y as i64 + dy) as usize * w + (x as i64 + dx) as usize];
                    let earlier = dy < 0 || (dy == 0 && dx < 0);
                    ok &= if earlier { v > n } else { v >= n };
                }
                if ok {
                    out.push((x, y));
                }
            }
        }
        out
    }

    /// Brute-force top-K: a candidate is kept when fewer than K in its cell beat it.
    fn reference_kept(s: &[u32], w: usize, h: usize, cfg: &DetectorConfig) -> Vec<(usize, usize)> {
        let cands = reference_candidates(s, w, h, cfg.threshold);
        let cell = |x: usize, y: usize| (x * cfg.grid_x as usize / w, y * cfg.grid_y as usize / h);
        let mut kept: Vec<(usize, usize)> = cands
            .iter()
            .copied()
            .filter(|&(x, y)| {
                let v = s[y * w + x];
                let beaten_by = cands
                    .iter()
                    .filter(|&&(x2, y2)| {
                        let v2 = s[y2 * w + x2];
                        cell(x2, y2) == cell(x, y) && (v2 > v || (v2 == v && (y2, x2) < (y, x)))
                    })
                    .count();
                beaten_by < cfg.per_cell as usize
            })
            .collect();
        // The documented order: cell raster, score down, raster.
        kept.sort_by_key(|&(x, y)| {
            let (cx, cy) = cell(x, y);
            (cy, cx, std::cmp::Reverse(s[y * w + x]), y, x)
        });
        kept
    }

    #[test]
    fn selection_matches_brute_force() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut frames = adversarial_frames();
        for i in 0..30 {
            // Widths and heights not multiples of the grid, and coarse values for ties.
            let (w, h) = (rng.gen_range(5..50), rng.gen_range(5..40));
            // Two levels, four levels, or any value.
            let f = match i % 3 {
                0 => Frame::from_fn(w, h, |_, _| if rng.gen() { 255 } else { 0 }),
                1 => Frame::from_fn(w, h, |_, _| 85 * rng.gen_range(0..4u8)),
                _ => random_frame(&mut rng, w, h),
            };
            frames.push((format!("random #{i}"), f));
        }
        for (name, f) in &frames {
            let (w, h) = (f.width(), f.height());
            let s = scores(f);
            for (gx, gy, k, t) in [(1, 1, 1, 0), (3, 2, 2, 0), (4, 3, 3, 100), (5, 4, 64, 1)] {
                let cfg = DetectorConfig { max_width: 64, height: 64, grid_x: gx, grid_y: gy, per_cell: k, threshold: t };
                if cfg.check_frame(w, h).is_err() {
                    continue;
                }
                let d = detect(f, &cfg).unwrap();
                assert_eq!(d.candidates, reference_candidates(&s, w, h, t).len(), "{name}");
                let got: Vec<(usize, usize)> = d.corners.iter().map(|c| (c.x as usize, c.y as usize)).collect();
                assert_eq!(got, reference_kept(&s, w, h, &cfg), "{name} grid {gx}x{gy} K {k} T {t}");
                assert!(d.corners.iter().all(|c| c.score == s[c.y as usize * w + c.x as usize] && c.score >= t));
            }
        }
    }

    #[test]
    fn ties_go_to_the_earlier_pixel() {
        // Isolated bright pixels of equal score: K = 2 keeps the first two in raster order.
        let spots = [(18, 4), (6, 10), (12, 10), (6, 16)];
        let f = Frame::from_fn(25, 21, |x, y| if spots.contains(&(x, y)) { 200 } else { 0 });
        let cfg = DetectorConfig { grid_x: 1, grid_y: 1, per_cell: 2, ..DetectorConfig::small() };
        let d = detect(&f, &cfg).unwrap();
        assert_eq!(d.candidates, 4);
        let got: Vec<(u32, u32)> = d.corners.iter().map(|c| (c.x, c.y)).collect();
        assert_eq!(got, [(18, 4), (6, 10)]);
    }

    #[test]
    fn cells_follow_the_integer_division() {
        let cfg = DetectorConfig { grid_x: 3, grid_y: 2, ..DetectorConfig::small() };
        // W = 10: x = 0..=3 cell 0, 4..=6 cell 1, 7..=9 cell 2 (x * 3 / 10).
        let cx: Vec<usize> = (0..10).map(|x| cfg.cell(x, 0, 10, 5).0).collect();
        assert_eq!(cx, [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
        let cy: Vec<usize> = (0..5).map(|y| cfg.cell(0, y, 10, 5).1).collect();
        assert_eq!(cy, [0, 0, 0, 1, 1]);
    }

    #[test]
    fn bad_configurations_and_frames_are_errors() {
        assert!(DetectorConfig::preset("navion").unwrap().validate().is_ok());
        assert!(DetectorConfig::preset("small").unwrap().validate().is_ok());
        assert_eq!(DetectorConfig::preset("big"), Err(DetectorError::UnknownPreset("big".into())));
        let small = DetectorConfig::small();
        assert!(matches!(DetectorConfig { per_cell: 0, ..small.clone() }.validate(), Err(DetectorError::OutOfRange { .. })));
        assert!(matches!(DetectorConfig { grid_x: 65, ..small.clone() }.validate(), Err(DetectorError::OutOfRange { .. })));
        assert!(matches!(DetectorConfig { max_width: 2000, ..small.clone() }.validate(), Err(DetectorError::OutOfRange { .. })));
        assert!(matches!(DetectorConfig { threshold: MAX_SCORE + 1, ..small.clone() }.validate(), Err(DetectorError::OutOfRange { .. })));
        let wide = Frame::from_fn(161, 4, |_, _| 0);
        assert_eq!(detect(&wide, &small), Err(DetectorError::TooWide { width: 161, max_width: 160 }));
        let thin = Frame::from_fn(1, 40, |_, _| 0);
        assert!(matches!(detect(&thin, &small), Err(DetectorError::TooSmall { .. })));
        let empty = Frame::new(0, 0, vec![]).unwrap();
        assert!(matches!(detect(&empty, &small), Err(DetectorError::TooSmall { .. })));
        let narrow = Frame::from_fn(3, 40, |_, _| 0);
        assert!(matches!(detect(&narrow, &small), Err(DetectorError::GridTooFine { .. })));
        // Any height is taken.
        let tall = Frame::from_fn(8, 2000, |x, y| ((x * 37 + y * 11) % 256) as u8);
        assert!(detect(&tall, &small).is_ok());
    }

    #[test]
    fn scores_npy_is_int32_h_by_w() {
        let f = Frame::from_fn(7, 5, |x, y| (x * 40 + y * 7) as u8);
        let d = detect(&f, &DetectorConfig { grid_x: 1, grid_y: 1, ..DetectorConfig::small() }).unwrap();
        let mut bytes = Vec::new();
        write_scores_npy(&mut bytes, &d).unwrap();
        let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
        assert_eq!(npy.shape(), [5, 7]);
        assert_eq!(npy.dtype(), npyz::DType::Plain("<i4".parse().unwrap()));
        let back: Vec<i32> = npy.into_vec().unwrap();
        assert_eq!(back, d.scores.iter().map(|&s| s as i32).collect::<Vec<_>>());
    }

    #[test]
    fn navion_keeps_at_most_1824() {
        let cfg = DetectorConfig::navion();
        assert_eq!(cfg.grid_x * cfg.grid_y * cfg.per_cell, 1824);
        let mut rng = StdRng::seed_from_u64(4);
        let f = random_frame(&mut rng, 752, 480);
        let d = detect(&f, &cfg).unwrap();
        // Noise has local maxima everywhere: every cell fills.
        assert_eq!(d.corners.len(), 1824);
        assert!(d.candidates > 1824);
    }
}
