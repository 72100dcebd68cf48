//! The corner detector run on its Verilated RTL at full speed: what `edgertl run corners
//! --rtl` uses. The hardware preset fixes the grid, K and the widest frame; the threshold is a
//! port, so any T runs.

use super::detector::{Detection, DetectorConfig};
use super::driver::{DetectorDriver, Traffic};
use super::Frame;
use crate::harness::Variant;
use rand::SeedableRng;

/// Detects the corners of `frame` on the Verilated `navion_detector` of `preset`, with the
/// selection `cfg` (its grid and K must be the preset's; its threshold may be any).
pub fn detect(frame: &Frame, preset: &str, cfg: &DetectorConfig) -> Result<Detection, String> {
    detect_counted(frame, preset, cfg).map(|(d, _)| d)
}

/// [`detect`], with the cycles from the frame's first pixel offered to its end-of-frame word.
pub fn detect_counted(frame: &Frame, preset: &str, cfg: &DetectorConfig) -> Result<(Detection, u64), String> {
    let hw_cfg = DetectorConfig::preset(preset).map_err(|e| e.to_string())?;
    if (cfg.grid_x, cfg.grid_y, cfg.per_cell) != (hw_cfg.grid_x, hw_cfg.grid_y, hw_cfg.per_cell) {
        return Err(format!(
            "the hardware preset `{preset}` is built for a {}x{} grid and K = {}: --rtl cannot run a {}x{} grid with K = {} \
             (leave out --grid and --per-cell, or run the golden model without --rtl)",
            hw_cfg.grid_x, hw_cfg.grid_y, hw_cfg.per_cell, cfg.grid_x, cfg.grid_y, cfg.per_cell
        ));
    }
    hw_cfg.check_frame(frame.width(), frame.height()).map_err(|e| e.to_string())?;
    let mut model = crate::verilated::model("navion_detector", Some(preset), Variant::Fast)?;
    let mut drv = DetectorDriver::new(&mut *model, hw_cfg);
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let hw = drv.detect(frame, cfg.threshold, Traffic::FULL_SPEED, &mut rng)?;
    let d = Detection { width: frame.width(), height: frame.height(), scores: hw.scores, candidates: hw.candidates, corners: hw.corners };
    Ok((d, hw.cycles))
}
