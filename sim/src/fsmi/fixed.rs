//! The fixed-point golden model: the computation the RTL will do, in integers it can match
//! bit for bit. One beam, one cell a step:
//!
//! ```text
//!  code q ──► occ[q] (U0.16) ──┐
//!        ├──► f_occ[q] ─────┐  ▼
//!        └──► f_emp[q] ─┐   │  P = (V * occ[q] + 2^15) >> 16     (V: U1.23, P: U0.23)
//!                       │   ▼  V = V - P                          (V starts at 1.0 = 2^23)
//!                       │   C = f_occ[q] + S                      (U.k, < 2^28)
//!                       ▼   MI += (P * C) >> (23 + k - 32)        (U.32 nats, 64 bits)
//!                  S += f_emp[q]                                  (U.k, < 2^27)
//! ```
//!
//! - **Traversal.** Distances are U12.20 (`u32`). Each beam has a ROM entry: its step signs
//!   and `delta_x = round(2^20 / |dx|)`, `delta_y` likewise, clamped to 2^31 (never reached
//!   within a range of at most 1024 cells; an axis beam's zero component gives 2^31). The
//!   next-boundary distances start at `delta >> 1` and grow by `delta`; x steps when
//!   `t_x < t_y`, else y, exactly as the `f64` rule; a cell is on the beam when entered at
//!   `t < round(R * 2^20)`. A 45-degree beam has `delta_x == delta_y`, so its corner ties fall
//!   to y as in the `f64` model.
//! - **Tables** (256 entries, indexed by the code; 0 and 255 never occur): `occ[q] =
//!   round(q 2^16 / 255)`; `f_occ[q] = round(f(r_q, d_occ) 2^k)` and `f_emp[q]` likewise,
//!   16 bits each, with k the largest scale at which both tables' greatest entry fits 16
//!   bits. At d = 1.5, f < 0.0206 nats, so k = 21 (an entry's step is 2^-21 = 4.8e-7 nats):
//!   a table scaled for values near 1 would hold f in a handful of steps.
//! - **Accumulators.** `S` (sum of `f_emp` along the beam) holds at most 2^11 cells of
//!   < 2^16 each: 27 bits; `C`: 28 bits; the product `P * C`: 51 bits, truncated to U.32
//!   nats; the beam's and the pose's sums: 64 bits (a pose's MI is < 2^15 nats).
//!
//! **Where the error comes from** (against the `f64` model, measured in the tests and by
//! `examples/fsmi_report.rs`): mostly the f tables' rounding, at most 2^-(k+1) an entry;
//! it adds up along the beam in `S` and does not average out, since the cells of a room
//! share few codes. A beam of n cells carries at most about n 2^-(k+1) in its `C`, against
//! a `C` of n times the typical f: a relative error of about 2^-(k+1) / f, 1e-5 for unknown
//! cells, 1e-3 for the best-known ones (whose terms are themselves tiny). Then the
//! occupancy table (2^-17 absolute, 1e-5 relative at 0.5), V's rounding (2^-24 a step), the
//! products' truncation (2^-32 a cell), and the traversal: an integer delta can order a step
//! differently from `f64` when the beam passes within about 2^-20 of a cell corner, which
//! swaps one cell of the beam (rare; counted in the tests).
//!
//! Measured (`examples/fsmi_report.rs`, every pose of three 200 x 200 offices explored 30%,
//! 50% and 80%, 60 beams, range 100): at most 3.5e-5 relative (poses of 0.1 nats or more),
//! 1.4e-5 on average, at most 4.4e-5 nats absolute; no pose outside the tolerance; and no
//! beam of 269,340 whose cells differ from the `f64` traversal's. The widths leave room: f
//! tables at 2^-10 instead of 2^-21 miss the 1% (a test shows it).
use super::beam;
use super::map::OccMap;
use super::mi::{f, FsmiConfig};
use super::FsmiError;
use rayon::prelude::*;

/// Fraction bits of the traversal's distances (U12.20).
pub const DIST_FRAC: u32 = 20;
/// The clamp of a beam's delta: beyond any range (2^31 = 2048 cells).
pub const DELTA_MAX: u32 = 1 << 31;
/// Fraction bits of the occupancy table and of the visibility V (U1.23) and P (U0.23).
pub const OCC_FRAC: u32 = 16;
pub const VIS_FRAC: u32 = 23;
/// Fraction bits of the MI accumulators: nats = value / 2^32.
pub const MI_FRAC: u32 = 32;

/// One beam's ROM entry: step signs and the distance between boundaries (U12.20).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedBeam {
    pub step_x: i8,
    pub step_y: i8,
    pub delta_x: u32,
    pub delta_y: u32,
}

/// The fixed-point model of one configuration: its tables and beam ROM.
#[derive(Clone, Debug)]
pub struct FixedModel {
    cfg: FsmiConfig,
    f_frac: u32,
    range: u32,
    occ: [u16; 256],
    f_occ: [u16; 256],
    f_emp: [u16; 256],
    beams: Vec<FixedBeam>,
}

/// A pose's or a beam's MI in nats from the accumulator's U.32.
pub fn to_nats(mi: u64) -> f64 {
    mi as f64 / (1u64 << MI_FRAC) as f64
}

fn odds(q: usize) -> f64 {
    q as f64 / (255 - q) as f64
}

impl FixedModel {
    /// The model of `cfg` with the f tables at their finest 16-bit scale.
    pub fn new(cfg: &FsmiConfig) -> Result<FixedModel, FsmiError> {
        cfg.validate()?;
        let max_f = (1..255).map(|q| f(odds(q), cfg.d_occ).max(f(odds(q), cfg.d_emp))).fold(0.0, f64::max);
        // The largest k with max_f 2^k rounding to at most 2^16 - 1.
        let k = (0..=30u32).rev().find(|&k| (max_f * (1u64 << k) as f64).round() < 65536.0).unwrap_or(0);
        Self::with_f_frac(cfg, k)
    }

    /// The model with the f tables scaled by 2^`f_frac` (9 ..= 30; entries must fit 16 bits).
    pub fn with_f_frac(cfg: &FsmiConfig, f_frac: u32) -> Result<FixedModel, FsmiError> {
        cfg.validate()?;
        if !(9..=30).contains(&f_frac) {
            return Err(FsmiError::OutOfRange { what: "the f tables' fraction bits", value: f_frac as f64, min: 9.0, max: 30.0 });
        }
        let scale = (1u64 << f_frac) as f64;
        let table = |d: f64| -> Result<[u16; 256], FsmiError> {
            let mut t = [0u16; 256];
            for (q, entry) in t.iter_mut().enumerate().take(255).skip(1) {
                let v = (f(odds(q), d).max(0.0) * scale).round();
                if v > u16::MAX as f64 {
                    return Err(FsmiError::OutOfRange { what: "an f table entry (the odds update is too strong for the scale)", value: v, min: 0.0, max: u16::MAX as f64 });
                }
                *entry = v as u16;
            }
            Ok(t)
        };
        let (f_occ, f_emp) = (table(cfg.d_occ)?, table(cfg.d_emp)?);
        let mut occ = [0u16; 256];
        for (q, entry) in occ.iter_mut().enumerate().take(255).skip(1) {
            *entry = ((q as u64 * (1 << OCC_FRAC) + 127) / 255) as u16;
        }
        let beams = (0..cfg.beams)
            .map(|b| {
                let (dx, dy) = beam::direction(b, cfg.beams);
                let delta = |d: f64| -> u32 {
                    let v = (1u64 << DIST_FRAC) as f64 / d.abs();
                    if v >= DELTA_MAX as f64 { DELTA_MAX } else { v.round() as u32 }
                };
                FixedBeam { step_x: if dx < 0.0 { -1 } else { 1 }, step_y: if dy < 0.0 { -1 } else { 1 }, delta_x: delta(dx), delta_y: delta(dy) }
            })
            .collect();
        let range = (cfg.range * (1u64 << DIST_FRAC) as f64).round() as u32;
        Ok(FixedModel { cfg: cfg.clone(), f_frac, range, occ, f_occ, f_emp, beams })
    }

    pub fn config(&self) -> &FsmiConfig {
        &self.cfg
    }

    /// The f tables' scale: an entry is nats * 2^`f_frac`.
    pub fn f_frac(&self) -> u32 {
        self.f_frac
    }

    /// The tables (occupancy U0.16, f_occ, f_emp) as the RTL's ROMs hold them.
    pub fn tables(&self) -> (&[u16; 256], &[u16; 256], &[u16; 256]) {
        (&self.occ, &self.f_occ, &self.f_emp)
    }

    /// The beam ROM.
    pub fn beams(&self) -> &[FixedBeam] {
        &self.beams
    }

    /// The range as the traversal compares it, U12.20.
    pub fn range_fixed(&self) -> u32 {
        self.range
    }

    /// The right shift that cuts a product P C (U0.23 times 2^-f_frac) to U.32 nats.
    pub fn product_shift(&self) -> u32 {
        VIS_FRAC + self.f_frac - MI_FRAC
    }

    /// The cells beam `b` visits from pose (row, col) of a `height` x `width` map, in order.
    pub fn cells(&self, height: usize, width: usize, row: usize, col: usize, b: usize) -> Vec<(usize, usize)> {
        let beam = self.beams[b];
        let (mut x, mut y) = (col as isize, row as isize);
        let (mut tx, mut ty) = (beam.delta_x >> 1, beam.delta_y >> 1);
        let mut out = Vec::new();
        loop {
            let t = tx.min(ty);
            if t >= self.range {
                return out;
            }
            // t < range <= 2^30 and delta <= 2^31: the sums stay below 2^32.
            if tx < ty {
                x += beam.step_x as isize;
                tx += beam.delta_x;
            } else {
                y += beam.step_y as isize;
                ty += beam.delta_y;
            }
            if x < 0 || y < 0 || x as usize >= width || y as usize >= height {
                return out;
            }
            out.push((y as usize, x as usize));
        }
    }

    /// One beam's MI (U.32 nats) over its cells' codes, in order.
    pub fn beam_mi(&self, codes: impl IntoIterator<Item = u8>) -> u64 {
        let shift = self.product_shift();
        let (mut v, mut s, mut mi) = (1u64 << VIS_FRAC, 0u64, 0u64);
        for q in codes {
            let q = q as usize;
            let p = (v * self.occ[q] as u64 + (1 << (OCC_FRAC - 1))) >> OCC_FRAC;
            v -= p;
            let c = self.f_occ[q] as u64 + s;
            mi += (p * c) >> shift;
            s += self.f_emp[q] as u64;
        }
        mi
    }

    fn pose_unchecked(&self, map: &OccMap, row: usize, col: usize) -> u64 {
        (0..self.cfg.beams).map(|b| self.beam_mi(self.cells(map.height(), map.width(), row, col, b).into_iter().map(|(r, c)| map.code(r, c)))).sum()
    }

    /// The MI of the pose (row, col), U.32 nats.
    pub fn pose_mi(&self, map: &OccMap, row: usize, col: usize) -> Result<u64, FsmiError> {
        map.check_pose(row, col)?;
        Ok(self.pose_unchecked(map, row, col))
    }

    /// The MI of every cell in raster order, U.32 nats (rayon over cells).
    pub fn surface(&self, map: &OccMap) -> Vec<u64> {
        let w = map.width();
        (0..map.height() * w).into_par_iter().map(|i| self.pose_unchecked(map, i / w, i % w)).collect()
    }

    /// The MI of each of `poses` (row, col), U.32 nats, in their order (rayon over poses);
    /// `progress(poses done)` every 64 poses. A pose outside the map is an error, before any
    /// work.
    pub fn poses_mi(&self, map: &OccMap, poses: &[(usize, usize)], progress: &(dyn Fn(usize) + Sync)) -> Result<Vec<u64>, FsmiError> {
        super::map_poses(map, poses, progress, |r, c| self.pose_unchecked(map, r, c))
    }
}

/// The error statistics of the fixed model against `f64` over a set of poses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ErrorStats {
    pub poses: usize,
    /// The greatest |fixed - f64| / f64 over the poses whose MI is >= 0.1 nats.
    pub max_rel: f64,
    pub mean_rel: f64,
    /// The greatest |fixed - f64| in nats over all poses.
    pub max_abs: f64,
    /// Poses outside the issue's tolerance: 1%, or 0.001 nats where that is larger.
    pub outside: usize,
}

/// The fixed model against `f64` on the given poses of `map`.
pub fn compare(model: &FixedModel, map: &OccMap, poses: &[(usize, usize)]) -> Result<ErrorStats, FsmiError> {
    let cfg = model.config();
    let pairs: Vec<(f64, f64)> = poses
        .par_iter()
        .map(|&(r, c)| Ok((to_nats(model.pose_mi(map, r, c)?), super::mi::pose_mi(map, r, c, cfg)?)))
        .collect::<Result<_, FsmiError>>()?;
    let mut st = ErrorStats { poses: pairs.len(), ..ErrorStats::default() };
    let mut rel_n = 0;
    for (fx, fl) in pairs {
        let err = (fx - fl).abs();
        st.max_abs = st.max_abs.max(err);
        if err > (0.01 * fl).max(0.001) {
            st.outside += 1;
        }
        if fl >= 0.1 {
            st.max_rel = st.max_rel.max(err / fl);
            st.mean_rel += err / fl;
            rel_n += 1;
        }
    }
    st.mean_rel /= rel_n.max(1) as f64;
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsmi::map::quantize;

    fn grid(h: usize, w: usize, stride: usize) -> Vec<(usize, usize)> {
        (0..h).step_by(stride).flat_map(|r| (0..w).step_by(stride).map(move |c| (r, c))).collect()
    }

    #[test]
    fn tables_are_scaled_for_f() {
        let m = FixedModel::new(&FsmiConfig::paper()).unwrap();
        assert_eq!(m.f_frac(), 21);
        let (occ, fo, fe) = m.tables();
        assert_eq!((occ[1], occ[128], occ[254]), (257, 32897, 65279));
        let top = fo.iter().chain(fe.iter()).max().copied().unwrap();
        assert!(top > 32768, "the scale leaves the top bit unused: {top}");
        // Every entry within half a step of f.
        for q in 1..255 {
            let r = odds(q);
            assert!((fo[q] as f64 - f(r, 1.5) * 2f64.powi(21)).abs() <= 0.5);
            assert!((fe[q] as f64 - f(r, 1.0 / 1.5) * 2f64.powi(21)).abs() <= 0.5);
        }
        // A strong update gets a coarser scale; a scale too fine for it is refused.
        let strong = FsmiConfig { d_occ: 50.0, d_emp: 0.02, ..FsmiConfig::paper() };
        assert!(FixedModel::new(&strong).unwrap().f_frac() < 16);
        assert!(matches!(FixedModel::with_f_frac(&strong, 21), Err(FsmiError::OutOfRange { .. })));
        assert!(matches!(FixedModel::with_f_frac(&FsmiConfig::paper(), 31), Err(FsmiError::OutOfRange { .. })));
    }

    #[test]
    fn hand_worked_fixed_beam() {
        let m = FixedModel::new(&FsmiConfig::paper()).unwrap();
        let (_, fo, fe) = m.tables();
        // One unknown cell: P = round(2^23 * 32897 / 2^16) = 4210816, C = f_occ[128].
        let p1 = (((1u64 << 23) * 32897) + (1 << 15)) >> 16;
        assert_eq!(p1, 4_210_816);
        assert_eq!(m.beam_mi([128]), (p1 * fo[128] as u64) >> 12);
        // Two: the second sees V = 2^23 - P1 and C = f_occ + f_emp of the first.
        let v = (1u64 << 23) - p1;
        let p2 = (v * 32897 + (1 << 15)) >> 16;
        assert_eq!(m.beam_mi([128, 128]), ((p1 * fo[128] as u64) >> 12) + ((p2 * (fo[128] as u64 + fe[128] as u64)) >> 12));
        assert_eq!(m.beam_mi([]), 0);
    }

    #[test]
    fn traversal_matches_f64_but_near_corners() {
        let (h, w) = (61, 61);
        let mut beams_total = 0;
        let mut differ = 0;
        for cfg in [FsmiConfig::paper(), FsmiConfig { beams: 64, range: 30.0, ..FsmiConfig::paper() }, FsmiConfig { beams: 90, range: 30.0, ..FsmiConfig::paper() }] {
            let m = FixedModel::new(&cfg).unwrap();
            for &(r, c) in &[(30, 30), (0, 0), (60, 60), (0, 45), (17, 60)] {
                for b in 0..cfg.beams {
                    let fl: Vec<_> = beam::cells(h, w, r, c, b, cfg.beams, cfg.range).into_iter().map(|(r, c, _)| (r, c)).collect();
                    let fx = m.cells(h, w, r, c, b);
                    beams_total += 1;
                    if fl != fx {
                        differ += 1;
                    }
                    // Axis and 45-degree beams agree exactly.
                    let (_, mm) = beam::quadrant(b, cfg.beams);
                    if mm == 0 || 2 * mm == cfg.beams {
                        assert_eq!(fl, fx, "beam {b} of {}", cfg.beams);
                    }
                }
            }
        }
        assert!(differ * 100 <= beams_total, "{differ} of {beams_total} beams differ");
    }

    #[test]
    fn fixed_is_within_the_tolerance_on_offices() {
        let small = FsmiConfig::small();
        let m = FixedModel::new(&small).unwrap();
        for seed in 0..3 {
            let map = OccMap::office(64, 64, 0.3 + 0.2 * seed as f64, seed);
            let st = compare(&m, &map, &grid(64, 64, 1)).unwrap();
            assert_eq!(st.outside, 0, "seed {seed}: {st:?}");
            assert!(st.max_rel < 1e-3, "seed {seed}: {st:?}");
        }
        let paper = FixedModel::new(&FsmiConfig::paper()).unwrap();
        let map = OccMap::office(120, 150, 0.5, 9);
        let st = compare(&paper, &map, &grid(120, 150, 9)).unwrap();
        assert_eq!(st.outside, 0, "{st:?}");
        assert!(st.max_rel < 1e-3, "{st:?}");
        // Fully known maps (the MI tiny): the absolute bound.
        let known = OccMap::from_codes(40, 40, (0..1600).map(|i| if i % 40 == 0 || i % 7 == 3 { quantize(0.95) } else { quantize(0.03) }).collect()).unwrap();
        let st = compare(&paper, &known, &grid(40, 40, 3)).unwrap();
        assert_eq!(st.outside, 0, "{st:?}");
    }

    #[test]
    fn a_coarse_table_scale_misses_the_tolerance() {
        // The tolerance test can fail: f tables in steps of 2^-10 nats (k = 10, 1e-3 against
        // f < 0.02), as if f reached 64 nats, put poses outside 1%.
        let cfg = FsmiConfig::small();
        let coarse = FixedModel::with_f_frac(&cfg, 10).unwrap();
        let map = OccMap::office(64, 64, 0.5, 1);
        let st = compare(&coarse, &map, &grid(64, 64, 2)).unwrap();
        assert!(st.outside > 0, "{st:?}");
    }

    #[test]
    fn the_surface_is_the_poses() {
        let m = FixedModel::new(&FsmiConfig::small()).unwrap();
        let map = OccMap::office(20, 24, 0.5, 4);
        let s = m.surface(&map);
        for &(r, c) in &[(0, 0), (19, 23), (7, 11)] {
            assert_eq!(s[r * 24 + c], m.pose_mi(&map, r, c).unwrap());
        }
        assert!(matches!(m.pose_mi(&map, 20, 0), Err(FsmiError::PoseOutside { .. })));
        let poses = [(19, 23), (0, 0), (7, 11)];
        assert_eq!(m.poses_mi(&map, &poses, &|_| ()).unwrap(), poses.map(|(r, c)| s[r * 24 + c]));
        assert!(matches!(m.poses_mi(&map, &[(0, 0), (3, 24)], &|_| ()), Err(FsmiError::PoseOutside { .. })));
    }
}
