//! The feature tracker run on its Verilated RTL (`navion_tracker`) at full speed: what
//! `edgertl run track --rtl` and `edgertl run frontend --rtl` use.
//!
//! The unit is built for a window, a most levels and a largest frame (its preset: the
//! registry's `navion_tracker` presets, [`edgertl_hdl::navion::tracker::UNIT`]); the
//! iterations, epsilon and threshold are ports, so any of those run. [`pick`] takes the first
//! preset of the registry's list that fits the frames and the configuration, so a preset added
//! there (and Verilated) is used with no change here; none fitting is an error naming every
//! preset's limits and what to do.

use super::tracker::{Track, TrackerConfig};
use super::tracker_driver::{TrackerDriver, Traffic};
use super::Frame;
use crate::harness::{Handshake, Variant};
use edgertl_hdl::navion::tracker::{TrackerHwConfig, UNIT};
use rand::SeedableRng;

/// What the unit gave, and what it took.
#[derive(Clone, Debug)]
pub struct RtlTracks {
    pub tracks: Vec<Track>,
    /// The hardware preset that ran.
    pub preset: &'static str,
    /// Cycles to load both frames' levels into the frame memory (8 pixels a beat).
    pub load_cycles: u64,
    /// Cycles from the first point offered to the last result taken (full speed).
    pub cycles: u64,
}

/// The first preset of the registry that takes `width` x `height` frames with `cfg`'s window
/// and levels, or an error that names each preset's limits and what to do.
pub fn pick(width: usize, height: usize, cfg: &TrackerConfig) -> Result<(&'static str, TrackerHwConfig), String> {
    let mut limits = Vec::new();
    for &name in UNIT.presets {
        let hw = TrackerHwConfig::preset(name).map_err(|e| e.to_string())?;
        if hw.check(width, height, cfg.window, cfg.levels).is_ok() {
            return Ok((name, hw));
        }
        limits.push(format!(
            "`{name}` takes frames up to {} x {}, 1 to {} levels and a {} x {} window",
            hw.max_width, hw.max_height, hw.max_levels, hw.window, hw.window
        ));
    }
    Err(format!(
        "no navion_tracker hardware preset takes {width} x {height} frames with {} levels and a {} x {} window: {}. \
         Crop the frames to fit and pick a configuration a preset has (--preset small, or --window and --levels), \
         or leave out --rtl to run the golden model",
        cfg.levels,
        cfg.window,
        cfg.window,
        limits.join("; ")
    ))
}

/// Tracks `points` (level-0 pixels, 1/256) from frame `a` to frame `b` (the frames the
/// tracker reads: codec-decoded or 8-bit) with `cfg` on the Verilated unit of the preset
/// [`pick`] chooses: the golden model's [`super::tracker::track`], bit for bit.
pub fn track(cfg: &TrackerConfig, a: &Frame, b: &Frame, points: &[(i32, i32)]) -> Result<RtlTracks, String> {
    cfg.validate().map_err(|e| e.to_string())?;
    if (a.width(), a.height()) != (b.width(), b.height()) {
        return Err(format!("the frames differ in size: {} x {} and {} x {}", a.width(), a.height(), b.width(), b.height()));
    }
    let (preset, hw) = pick(a.width(), a.height(), cfg)?;
    let mut model = crate::verilated::model(UNIT.name, Some(preset), Variant::Fast)?;
    let mut drv = TrackerDriver::new(&mut *model, hw);
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let start = drv.pins.cycles();
    drv.load(cfg, a, b, Handshake::NONE, &mut rng)?;
    let load_cycles = drv.pins.cycles() - start;
    let t = drv.track(cfg, points, Traffic::FULL_SPEED, &mut rng)?;
    Ok(RtlTracks { tracks: t.tracks, preset, load_cycles, cycles: t.cycles })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preset_that_fits_or_an_error_that_says_why() {
        let small = TrackerConfig::small();
        assert_eq!(pick(64, 48, &small).unwrap().0, "small");
        assert_eq!(pick(8, 4, &TrackerConfig { levels: 1, ..small.clone() }).unwrap().0, "small");
        let e = pick(160, 120, &small).unwrap_err();
        assert!(e.contains("160 x 120 frames with 2 levels and a 7 x 7 window"), "{e}");
        assert!(e.contains("`small` takes frames up to 64 x 48, 1 to 2 levels and a 7 x 7 window"), "{e}");
        assert!(e.contains("Crop the frames") && e.contains("leave out --rtl"), "{e}");
        // The memory-port preset takes Navion's configuration up to 752 x 480.
        assert_eq!(pick(64, 48, &TrackerConfig::navion()).unwrap().0, "navion");
        assert_eq!(pick(752, 480, &TrackerConfig::navion()).unwrap().0, "navion");
        let e = pick(800, 480, &TrackerConfig::navion()).unwrap_err();
        assert!(e.contains("`navion` takes frames up to 752 x 480, 1 to 3 levels and a 15 x 15 window"), "{e}");
        assert!(pick(64, 48, &TrackerConfig { levels: 3, ..small.clone() }).unwrap_err().contains("with 3 levels and a 7 x 7 window"));
        assert!(pick(64, 48, &TrackerConfig { window: 9, ..small.clone() }).is_err());
        assert!(pick(64, 49, &small).is_err() && pick(0, 48, &small).is_err());
        // The netlist's preset takes its 5 x 5 window on frames up to 32 x 16.
        let tiny = TrackerConfig { window: 5, ..small.clone() };
        assert_eq!(pick(32, 16, &tiny).unwrap().0, "tiny");
        assert!(pick(33, 16, &tiny).unwrap_err().contains("`tiny` takes frames up to 32 x 16, 1 to 2 levels and a 5 x 5 window"));
    }
}
