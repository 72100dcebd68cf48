//! The occupancy map: H x W cells, each an 8-bit code `q = round(o * 255)` clamped to
//! 1 ..= 254, standing for the occupancy probability `o = q / 255` (the codes 0 and 255 would
//! make the odds 0 or infinite). Both models read codes only, so they see the same map.
//!
//! [`OccMap::office`] generates the realistic maps of the issue: an office of rooms and
//! corridors (walls with doors, furniture), explored from a start cell outward until a
//! fraction of it is known; known walls high, known free space low, the frontier uncertain,
//! the rest unknown at 0.5. Seeded: the same seed gives the same map.
use super::FsmiError;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;

/// The least and the greatest code a cell holds.
pub const MIN_CODE: u8 = 1;
pub const MAX_CODE: u8 = 254;
/// The code of unknown space, `round(0.5 * 255)`.
pub const UNKNOWN: u8 = 128;

/// An occupancy map of 8-bit codes in raster order (row 0 first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OccMap {
    height: usize,
    width: usize,
    codes: Vec<u8>,
}

/// The code of probability `o` (in [0, 1]): `round(o * 255)` clamped to 1 ..= 254.
pub fn quantize(o: f64) -> u8 {
    ((o * 255.0).round().clamp(MIN_CODE as f64, MAX_CODE as f64)) as u8
}

/// The probability a code stands for, `q / 255`.
pub fn prob(q: u8) -> f64 {
    q as f64 / 255.0
}

impl OccMap {
    fn check_size(height: usize, width: usize, found: usize) -> Result<(), FsmiError> {
        if height == 0 || width == 0 {
            return Err(FsmiError::EmptyMap { height, width });
        }
        let expected = height.saturating_mul(width);
        if found != expected {
            return Err(FsmiError::SizeMismatch { height, width, expected, found });
        }
        Ok(())
    }

    /// A map from codes in raster order; codes 0 and 255 are clamped to 1 and 254.
    pub fn from_codes(height: usize, width: usize, codes: Vec<u8>) -> Result<OccMap, FsmiError> {
        Self::check_size(height, width, codes.len())?;
        let codes = codes.into_iter().map(|q| q.clamp(MIN_CODE, MAX_CODE)).collect();
        Ok(OccMap { height, width, codes })
    }

    /// A map from occupancy probabilities in raster order; NaN or a value outside [0, 1] is
    /// refused, naming the cell.
    pub fn from_probs(height: usize, width: usize, probs: &[f64]) -> Result<OccMap, FsmiError> {
        Self::check_size(height, width, probs.len())?;
        if let Some((i, &value)) = probs.iter().enumerate().find(|(_, o)| !(0.0..=1.0).contains(*o)) {
            return Err(FsmiError::BadProbability { row: i / width, col: i % width, value });
        }
        Ok(OccMap { height, width, codes: probs.iter().map(|&o| quantize(o)).collect() })
    }

    /// A map whose every cell has probability `o` (clamped as a code).
    pub fn uniform(height: usize, width: usize, o: f64) -> Result<OccMap, FsmiError> {
        Self::from_probs(height, width, &vec![o; height.saturating_mul(width)])
    }

    pub fn height(&self) -> usize {
        self.height
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// The codes in raster order.
    pub fn codes(&self) -> &[u8] {
        &self.codes
    }

    /// The code of cell (row, col); panics outside the map.
    pub fn code(&self, row: usize, col: usize) -> u8 {
        assert!(row < self.height && col < self.width, "cell ({row}, {col}) outside a {} x {} map", self.height, self.width);
        self.codes[row * self.width + col]
    }

    /// The probability of cell (row, col), `q / 255`.
    pub fn prob(&self, row: usize, col: usize) -> f64 {
        prob(self.code(row, col))
    }

    /// Sets cell (row, col) to probability `o` (quantized); panics outside the map.
    pub fn set(&mut self, row: usize, col: usize, o: f64) {
        assert!(row < self.height && col < self.width, "cell ({row}, {col}) outside a {} x {} map", self.height, self.width);
        self.codes[row * self.width + col] = quantize(o);
    }

    /// The pose (row, col) is a cell of the map.
    pub fn check_pose(&self, row: usize, col: usize) -> Result<(), FsmiError> {
        if row >= self.height || col >= self.width {
            return Err(FsmiError::PoseOutside { row, col, height: self.height, width: self.width });
        }
        Ok(())
    }

    /// A partly explored office, `height` x `width` cells (each at least 8), from `seed`;
    /// `explored` (0 ..= 1) is the fraction of the free space the robot has seen.
    pub fn office(height: usize, width: usize, explored: f64, seed: u64) -> OccMap {
        let (h, w) = (height.max(8), width.max(8));
        let mut rng = StdRng::seed_from_u64(seed);
        let wall = office_walls(h, w, &mut rng);
        // Explore the free space breadth first from a free cell near the middle.
        let free: Vec<usize> = (0..h * w).filter(|&i| !wall[i]).collect();
        let mid = (h / 2) * w + w / 2;
        let start = *free.iter().min_by_key(|&&i| (i as isize - mid as isize).unsigned_abs()).unwrap_or(&mid);
        let budget = ((free.len() as f64) * explored.clamp(0.0, 1.0)) as usize;
        let mut seen = vec![false; h * w];
        let mut queue = VecDeque::from([start]);
        let mut reached = vec![false; h * w];
        reached[start] = true;
        let mut count = 0;
        while let Some(i) = queue.pop_front() {
            if count >= budget {
                break;
            }
            count += 1;
            // The robot sees the cells around the ones it reaches, walls included.
            let (r, c) = ((i / w) as isize, (i % w) as isize);
            for dr in -2..=2 {
                for dc in -2..=2 {
                    let (rr, cc) = (r + dr, c + dc);
                    if rr >= 0 && cc >= 0 && (rr as usize) < h && (cc as usize) < w {
                        seen[rr as usize * w + cc as usize] = true;
                    }
                }
            }
            for (dr, dc) in [(0, 1), (1, 0), (0, -1), (-1, 0)] {
                let (rr, cc) = (r + dr, c + dc);
                if rr >= 0 && cc >= 0 && (rr as usize) < h && (cc as usize) < w {
                    let j = rr as usize * w + cc as usize;
                    if !wall[j] && !reached[j] {
                        reached[j] = true;
                        queue.push_back(j);
                    }
                }
            }
        }
        let mut codes = vec![UNKNOWN; h * w];
        for i in 0..h * w {
            if !seen[i] {
                continue;
            }
            let (r, c) = (i / w, i % w);
            let frontier = [(0isize, 1isize), (1, 0), (0, -1), (-1, 0)].iter().any(|&(dr, dc)| {
                let (rr, cc) = (r as isize + dr, c as isize + dc);
                rr >= 0 && cc >= 0 && (rr as usize) < h && (cc as usize) < w && !seen[rr as usize * w + cc as usize]
            });
            let o = if frontier {
                rng.gen_range(0.3..0.7)
            } else if wall[i] {
                rng.gen_range(0.75..0.97)
            } else {
                rng.gen_range(0.02..0.2)
            };
            codes[i] = quantize(o);
        }
        OccMap { height: h, width: w, codes }
    }
}

/// The office's walls: an outer wall, rooms by recursive division (each wall with a door),
/// and a few pieces of furniture.
fn office_walls(h: usize, w: usize, rng: &mut StdRng) -> Vec<bool> {
    let mut wall = vec![false; h * w];
    for r in 0..h {
        wall[r * w] = true;
        wall[r * w + w - 1] = true;
    }
    for c in 0..w {
        wall[c] = true;
        wall[(h - 1) * w + c] = true;
    }
    // Rooms inside (r0, c0) .. (r1, c1), exclusive bounds, split while both sides stay >= 10.
    let mut stack = vec![(1usize, 1usize, h - 1, w - 1)];
    while let Some((r0, c0, r1, c1)) = stack.pop() {
        let (rh, rw) = (r1 - r0, c1 - c0);
        let split_rows = rh >= rw;
        let (len, other) = if split_rows { (rh, rw) } else { (rw, rh) };
        if len < 22 || other < 8 {
            // A room: perhaps a table.
            if rh >= 11 && rw >= 11 && rng.gen_bool(0.6) {
                let (th, tw) = (rng.gen_range(2..4), rng.gen_range(2..5));
                let tr = rng.gen_range(r0 + 3..r1 - 3 - th + 1);
                let tc = rng.gen_range(c0 + 3..c1 - 3 - tw + 1);
                for r in tr..tr + th {
                    for c in tc..tc + tw {
                        wall[r * w + c] = true;
                    }
                }
            }
            continue;
        }
        let at = rng.gen_range(10..len - 10);
        let door = rng.gen_range(1..other - 5);
        let door_w = rng.gen_range(3..6);
        if split_rows {
            let r = r0 + at;
            for c in c0..c1 {
                if !(c0 + door..c0 + door + door_w).contains(&c) {
                    wall[r * w + c] = true;
                }
            }
            stack.push((r0, c0, r, c1));
            stack.push((r + 1, c0, r1, c1));
        } else {
            let c = c0 + at;
            for r in r0..r1 {
                if !(r0 + door..r0 + door + door_w).contains(&r) {
                    wall[r * w + c] = true;
                }
            }
            stack.push((r0, c0, r1, c));
            stack.push((r0, c + 1, r1, c1));
        }
    }
    wall
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_quantize_and_clamp() {
        assert_eq!(quantize(0.0), 1);
        assert_eq!(quantize(1.0), 254);
        assert_eq!(quantize(0.5), 128);
        assert_eq!(quantize(100.0 / 255.0), 100);
        let m = OccMap::from_codes(1, 3, vec![0, 7, 255]).unwrap();
        assert_eq!(m.codes(), &[1, 7, 254]);
        assert_eq!(m.prob(0, 1), 7.0 / 255.0);
    }

    #[test]
    fn bad_maps_are_refused() {
        assert_eq!(OccMap::from_probs(0, 3, &[]), Err(FsmiError::EmptyMap { height: 0, width: 3 }));
        assert!(matches!(OccMap::from_probs(2, 2, &[0.5; 3]), Err(FsmiError::SizeMismatch { expected: 4, found: 3, .. })));
        assert!(matches!(OccMap::from_probs(1, 3, &[0.5, f64::NAN, 0.5]), Err(FsmiError::BadProbability { row: 0, col: 1, .. })));
        assert!(matches!(OccMap::from_probs(2, 2, &[0.5, 0.5, 0.5, 1.5]), Err(FsmiError::BadProbability { row: 1, col: 1, .. })));
        assert!(matches!(OccMap::from_probs(1, 1, &[-0.1]), Err(FsmiError::BadProbability { .. })));
        let m = OccMap::uniform(3, 4, 0.5).unwrap();
        assert_eq!(m.check_pose(3, 0), Err(FsmiError::PoseOutside { row: 3, col: 0, height: 3, width: 4 }));
        assert!(m.check_pose(2, 3).is_ok());
    }

    #[test]
    fn offices_are_seeded_and_partly_explored() {
        let a = OccMap::office(120, 160, 0.5, 7);
        assert_eq!(a, OccMap::office(120, 160, 0.5, 7));
        assert_ne!(a, OccMap::office(120, 160, 0.5, 8));
        let n = a.codes().len() as f64;
        let frac = |p: &dyn Fn(u8) -> bool| a.codes().iter().filter(|&&q| p(q)).count() as f64 / n;
        let unknown = frac(&|q| q == UNKNOWN);
        let free = frac(&|q| q < 60);
        let occupied = frac(&|q| q > 180);
        assert!((0.2..0.8).contains(&unknown), "unknown {unknown}");
        assert!(free > 0.15, "free {free}");
        assert!(occupied > 0.01, "occupied {occupied}");
        // Nothing is seen when nothing is explored, everything but closed rooms when all is.
        assert!(OccMap::office(60, 60, 0.0, 1).codes().iter().all(|&q| q == UNKNOWN));
        assert!(frac(&|q| q == UNKNOWN) > OccMap::office(120, 160, 1.0, 7).codes().iter().filter(|&&q| q == UNKNOWN).count() as f64 / n);
    }
}
