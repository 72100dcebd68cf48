//! Eyeriss v1 at the level of whole layers, in plain Rust (no RTL):
//!
//! - [`layer`]: [`layer::LayerShape`], a conv layer's shape, its presets (AlexNet CONV1-5,
//!   MobileNet layers) and the chip's shape limits.
//! - [`golden`]: the golden conv layer with the PE's arithmetic ([`golden::conv`]).
pub mod golden;
pub mod layer;
