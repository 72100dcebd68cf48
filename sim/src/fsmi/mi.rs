//! The `f64` reference of issue 15 §1: the mutual information between the map and the
//! noise-free range scan at a pose, in nats.
//!
//! Per beam, over its cells j = 1..n: `r_j = o_j / (1 - o_j)`;
//! `P(e_j) = o_j prod_{l<j} (1 - o_l)`; `f(r, d) = ln((r + 1)/(r + 1/d)) - ln(d)/(r d + 1)`;
//! `C_j = f(r_j, d_occ) + sum_{l<j} f(r_l, d_emp)`; `MI = sum_j P(e_j) C_j`. A pose's MI is the
//! sum over its B beams; the surface is the MI of every cell.
use super::beam;
use super::map::{prob, OccMap};
use super::FsmiError;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The most beams a pose, and the longest range in cells (the fixed point's widths rest on it).
pub const MAX_BEAMS: usize = 1024;
pub const MAX_RANGE: f64 = 1024.0;

/// What the MI is computed with; the same struct configures both models.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FsmiConfig {
    /// Beams per pose (B), 1 ..= 1024.
    pub beams: usize,
    /// The sensor's range R in cells, (0, 1024]: a cell is on a beam when entered below it.
    pub range: f64,
    /// The odds update of a hit, (1, 100].
    pub d_occ: f64,
    /// The odds update of a pass, [0.01, 1).
    pub d_emp: f64,
}

impl FsmiConfig {
    /// The presets' names, the default first.
    pub const PRESETS: &'static [&'static str] = &["paper", "small"];

    /// The chip's workload: 60 beams, 100 cells (10 m at 0.1 m), the authors' d = 1.5.
    pub fn paper() -> Self {
        FsmiConfig { beams: 60, range: 100.0, d_occ: 1.5, d_emp: 1.0 / 1.5 }
    }

    /// Tests and small FPGAs: 16 beams, 32 cells.
    pub fn small() -> Self {
        FsmiConfig { beams: 16, range: 32.0, ..Self::paper() }
    }

    /// A preset by name.
    pub fn preset(name: &str) -> Result<Self, FsmiError> {
        match name {
            "paper" => Ok(Self::paper()),
            "small" => Ok(Self::small()),
            _ => Err(FsmiError::UnknownPreset(name.into())),
        }
    }

    /// Every field within its range (NaN is outside every range).
    pub fn validate(&self) -> Result<(), FsmiError> {
        let checks: [(&'static str, f64, f64, f64, bool); 4] = [
            ("the beams per pose (B)", self.beams as f64, 1.0, MAX_BEAMS as f64, true),
            ("the range (R, cells)", self.range, 0.0, MAX_RANGE, false),
            ("the hit's odds update (d_occ)", self.d_occ, 1.0, 100.0, false),
            ("the pass's odds update (d_emp)", self.d_emp, 0.01, 1.0, true),
        ];
        for (i, (what, value, min, max, _)) in checks.iter().enumerate() {
            // B and d_emp's least value are inclusive, R's and d_occ's least and d_emp's
            // greatest exclusive.
            let ok = match i {
                0 => (*min..=*max).contains(value),
                1 | 2 => *value > *min && *value <= *max,
                _ => *value >= *min && *value < *max,
            };
            if !ok {
                return Err(FsmiError::OutOfRange { what, value: *value, min: *min, max: *max });
            }
        }
        Ok(())
    }
}

/// `f(r, d) = ln((r + 1)/(r + 1/d)) - ln(d)/(r d + 1)`: the KL divergence of the cell's
/// occupancy after an update by `d` from before it, >= 0.
pub fn f(r: f64, d: f64) -> f64 {
    ((r + 1.0) / (r + 1.0 / d)).ln() - d.ln() / (r * d + 1.0)
}

/// The MI of one beam over its cells' codes, in order.
pub fn beam_mi(codes: impl IntoIterator<Item = u8>, cfg: &FsmiConfig) -> f64 {
    let (mut mi, mut pass, mut empty_sum) = (0.0, 1.0, 0.0);
    for q in codes {
        let o = prob(q);
        let r = o / (1.0 - o);
        let p = o * pass;
        mi += p * (f(r, cfg.d_occ) + empty_sum);
        empty_sum += f(r, cfg.d_emp);
        pass *= 1.0 - o;
    }
    mi
}

/// The MI of beam `b` at pose (row, col); the pose must be on the map.
pub fn beam_at(map: &OccMap, row: usize, col: usize, b: usize, cfg: &FsmiConfig) -> f64 {
    let cells = beam::cells(map.height(), map.width(), row, col, b, cfg.beams, cfg.range);
    beam_mi(cells.into_iter().map(|(r, c, _)| map.code(r, c)), cfg)
}

/// The MI of the pose (row, col): the sum over its beams.
pub fn pose_mi(map: &OccMap, row: usize, col: usize, cfg: &FsmiConfig) -> Result<f64, FsmiError> {
    cfg.validate()?;
    map.check_pose(row, col)?;
    Ok((0..cfg.beams).map(|b| beam_at(map, row, col, b, cfg)).sum())
}

/// The MI of every cell, in raster order (rayon over rows).
pub fn surface(map: &OccMap, cfg: &FsmiConfig) -> Result<Vec<f64>, FsmiError> {
    cfg.validate()?;
    let w = map.width();
    Ok((0..map.height() * w).into_par_iter().map(|i| (0..cfg.beams).map(|b| beam_at(map, i / w, i % w, b, cfg)).sum()).collect())
}

/// The MI of each of `poses` (row, col) in nats, in their order (rayon over poses);
/// `progress(poses done)` every 64 poses. A pose outside the map is an error, before any work.
pub fn poses_mi(map: &OccMap, poses: &[(usize, usize)], cfg: &FsmiConfig, progress: &(dyn Fn(usize) + Sync)) -> Result<Vec<f64>, FsmiError> {
    cfg.validate()?;
    super::map_poses(map, poses, progress, |r, c| (0..cfg.beams).map(|b| beam_at(map, r, c, b, cfg)).sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsmi::map::quantize;

    #[test]
    fn f_is_a_kl_divergence() {
        for q in 1..=254u8 {
            let o = prob(q);
            let r = o / (1.0 - o);
            for d in [1.5, 1.0 / 1.5, 3.0, 0.2] {
                // KL(Bern(o') || Bern(o)) with o' the updated probability, r' = r d.
                let o2 = r * d / (1.0 + r * d);
                let kl = o2 * (o2 / o).ln() + (1.0 - o2) * ((1.0 - o2) / (1.0 - o)).ln();
                assert!((f(r, d) - kl).abs() < 1e-12, "q {q} d {d}: {} vs {kl}", f(r, d));
                assert!(f(r, d) >= -1e-15);
            }
            assert!(f(r, 1.5) < 0.0206 && f(r, 1.0 / 1.5) < 0.0206);
            assert_eq!(f(r, 1.0), 0.0);
        }
    }

    #[test]
    fn hand_worked_beams() {
        let cfg = FsmiConfig::paper();
        // One cell of probability o: MI = o f(r, d_occ).
        assert!((beam_mi([128], &cfg) - (128.0 / 255.0) * f(128.0 / 127.0, 1.5)).abs() < 1e-15);
        // Two unknown cells: o f(r, 1.5) + (1 - o) o (f(r, 1.5) + f(r, 1/1.5)).
        let o = 128.0 / 255.0;
        let r = o / (1.0 - o);
        let want = o * f(r, 1.5) + (1.0 - o) * o * (f(r, 1.5) + f(r, 1.0 / 1.5));
        assert!((beam_mi([128, 128], &cfg) - want).abs() < 1e-15);
        // By hand at o = 0.5 exactly (r = 1): f(1, 1.5) = ln(2 / (5/3)) - ln 1.5 / 2.5.
        let f1 = (1.2f64).ln() - (1.5f64).ln() / 2.5;
        assert!((f(1.0, 1.5) - f1).abs() < 1e-15);
        assert!((f1 - 0.020_136).abs() < 1e-6, "{f1}");
        // An empty beam tells nothing.
        assert_eq!(beam_mi([], &cfg), 0.0);
    }

    #[test]
    fn a_known_map_tells_little_and_a_wall_ends_the_beam() {
        let cfg = FsmiConfig::small();
        // Cells at code 1 are as known as free space gets: a tiny MI, 1% of the unknown's.
        let free = OccMap::from_codes(40, 40, vec![1; 1600]).unwrap();
        let unknown = OccMap::uniform(40, 40, 0.5).unwrap();
        let (mf, mu) = (pose_mi(&free, 20, 20, &cfg).unwrap(), pose_mi(&unknown, 20, 20, &cfg).unwrap());
        assert!(mf < 0.01 && mf * 100.0 < mu, "free {mf} unknown {mu}");
        // Behind a wall of code 254 a beam passes with probability 1/255: unknown space
        // there adds about 1/255 of what it adds in the open.
        let mut walled = free.clone();
        let mut walled_unknown = free.clone();
        for r in 0..40usize {
            for c in 0..40usize {
                if r.abs_diff(20).max(c.abs_diff(20)) == 5 {
                    walled.set(r, c, 1.0);
                    walled_unknown.set(r, c, 1.0);
                } else if r.abs_diff(20).max(c.abs_diff(20)) > 5 {
                    walled_unknown.set(r, c, 0.5);
                }
            }
        }
        let (a, b) = (pose_mi(&walled, 20, 20, &cfg).unwrap(), pose_mi(&walled_unknown, 20, 20, &cfg).unwrap());
        assert!(b >= a && b - a < mu / 200.0, "{a} vs {b} (open {mu})");
        // A beam of more cells never has less MI (each term is >= 0).
        let mut prev = 0.0;
        for n in 0..30 {
            let mi = beam_mi(std::iter::repeat_n(quantize(0.3), n), &cfg);
            assert!(mi >= prev);
            prev = mi;
        }
    }

    #[test]
    fn mirror_symmetry() {
        // A map mirrored left-right has the mirrored surface: for an even B, beam b's
        // mirror image (theta -> pi - theta) is beam B/2 - 1 - b, and the corner ties go to y
        // on both sides.
        let cfg = FsmiConfig { beams: 12, range: 9.0, ..FsmiConfig::paper() };
        let map = OccMap::office(24, 30, 0.6, 3);
        let (h, w) = (map.height(), map.width());
        let mirrored = OccMap::from_codes(h, w, (0..h * w).map(|i| map.code(i / w, w - 1 - i % w)).collect()).unwrap();
        let (s, m) = (surface(&map, &cfg).unwrap(), surface(&mirrored, &cfg).unwrap());
        for (i, si) in s.iter().enumerate() {
            let j = (i / w) * w + (w - 1 - i % w);
            assert!((si - m[j]).abs() < 1e-12 * si.max(1.0), "cell {i}: {si} vs {}", m[j]);
        }
        // Rotating the map a half turn maps beam b to b + B/2.
        let rotated = OccMap::from_codes(h, w, map.codes().iter().rev().copied().collect()).unwrap();
        let r = surface(&rotated, &cfg).unwrap();
        for (si, ri) in s.iter().zip(r.iter().rev()) {
            assert!((si - ri).abs() < 1e-12 * si.max(1.0));
        }
    }

    #[test]
    fn configs_validate() {
        assert!(FsmiConfig::paper().validate().is_ok() && FsmiConfig::small().validate().is_ok());
        assert_eq!(FsmiConfig::preset("small"), Ok(FsmiConfig::small()));
        assert_eq!(FsmiConfig::preset("big"), Err(FsmiError::UnknownPreset("big".into())));
        for bad in [
            FsmiConfig { beams: 0, ..FsmiConfig::paper() },
            FsmiConfig { beams: 1025, ..FsmiConfig::paper() },
            FsmiConfig { range: 0.0, ..FsmiConfig::paper() },
            FsmiConfig { range: f64::NAN, ..FsmiConfig::paper() },
            FsmiConfig { range: 2000.0, ..FsmiConfig::paper() },
            FsmiConfig { d_occ: 1.0, ..FsmiConfig::paper() },
            FsmiConfig { d_emp: 1.0, ..FsmiConfig::paper() },
            FsmiConfig { d_emp: f64::NAN, ..FsmiConfig::paper() },
        ] {
            assert!(matches!(bad.validate(), Err(FsmiError::OutOfRange { .. })), "{bad:?}");
        }
        let map = OccMap::uniform(4, 4, 0.5).unwrap();
        assert!(matches!(pose_mi(&map, 0, 4, &FsmiConfig::paper()), Err(FsmiError::PoseOutside { .. })));
        assert!(matches!(surface(&map, &FsmiConfig { beams: 0, ..FsmiConfig::paper() }), Err(FsmiError::OutOfRange { .. })));
    }
}
