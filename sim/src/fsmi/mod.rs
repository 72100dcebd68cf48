//! The mutual-information unit's golden models (issue 15, FSMI), plain Rust, and the driver of
//! its RTL (`edgertl_hdl::fsmi`):
//!
//! - [`map`]: the occupancy map ([`map::OccMap`], 8-bit codes `q` with `o = q / 255`) and
//!   seeded generators of realistic maps (rooms and corridors, partly explored, unknown 0.5).
//! - [`beam`]: the beams' directions and the Amanatides-Woo traversal in `f64`.
//! - [`mi`]: the `f64` reference, MI per beam, per pose and the whole surface, configured by
//!   [`mi::FsmiConfig`] (presets `paper` and `small`).
//! - [`fixed`]: the fixed-point golden model the RTL will match bit for bit: integer
//!   traversal, lookup tables and accumulators with their widths ([`fixed::FixedModel`]).
//! - [`file`](mod@file): maps from `.npy` and PNG (ROS map images), the surface to `.npy` and its heat
//!   map to PNG.
//! - [`banks`]: the map's memory banks (diagonal against row-major) and the conflicts of 16
//!   cores walking their beams in lockstep.
//! - [`driver`]: the unit's cycle driver (generic over the harness `Dut`), the checks of a
//!   pose's result against the models, the test stimulus and the surface on the Verilated unit.
//!
//! Facts and formulas: `shared/spec/fsmi.md` and issue 15 §1.
pub mod banks;
pub mod driver;
pub mod beam;
pub mod file;
pub mod fixed;
pub mod map;
pub mod mi;

/// What the FSMI models refuse: bad maps, poses and configurations.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FsmiError {
    #[error("the map is empty ({height} x {width} cells)")]
    EmptyMap { height: usize, width: usize },
    #[error("a {height} x {width} map has {expected} cells, not {found}")]
    SizeMismatch { height: usize, width: usize, expected: usize, found: usize },
    #[error("cell (row {row}, col {col}) has occupancy {value}, not a probability in [0, 1]")]
    BadProbability { row: usize, col: usize, value: f64 },
    #[error("pose (row {row}, col {col}) is outside the {height} x {width} map")]
    PoseOutside { row: usize, col: usize, height: usize, width: usize },
    #[error("{what} is {value}, outside {min} ..= {max}")]
    OutOfRange { what: &'static str, value: f64, min: f64, max: f64 },
    #[error("unknown FSMI preset `{0}` (known: paper, small)")]
    UnknownPreset(String),
}

/// `mi(row, col)` of each of `poses` on the map, in their order (rayon over poses), after
/// checking every pose is on the map; `progress(poses done)` every 64 poses. Both models'
/// `poses_mi`.
pub(crate) fn map_poses<T: Send>(map: &map::OccMap, poses: &[(usize, usize)], progress: &(dyn Fn(usize) + Sync), mi: impl Fn(usize, usize) -> T + Sync) -> Result<Vec<T>, FsmiError> {
    use rayon::prelude::*;
    for &(r, c) in poses {
        map.check_pose(r, c)?;
    }
    let done = std::sync::atomic::AtomicUsize::new(0);
    Ok(poses
        .par_iter()
        .enumerate()
        .map(|(i, &(r, c))| {
            if i % 64 == 63 {
                progress(done.fetch_add(64, std::sync::atomic::Ordering::Relaxed) + 64);
            }
            mi(r, c)
        })
        .collect())
}
