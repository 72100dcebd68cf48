//! Eyeriss v1 at the level of whole layers, in plain Rust (no RTL):
//!
//! - [`layer`]: [`layer::LayerShape`], a conv layer's shape, its presets (AlexNet CONV1-5,
//!   MobileNet layers) and the chip's shape limits.
//! - [`golden`]: the golden conv layer with the PE's arithmetic ([`golden::conv`]).
//! - [`mapper`]: the row-stationary mapper ([`mapper::search`]) on a [`mapper::Hardware`].
//! - [`counts`]: the analytical counts of a mapped layer; [`energy`]: the ISCA 2016 model.
//! - [`program`]: the accelerator's layer program (commands to its engines) and the compiler
//!   from a mapped layer; [`machine`]: that program executed on word memories and the array
//!   model, bit-exact with [`golden`] and counting exactly what [`counts`] predicts;
//!   [`streams`]: the run-length coded streams of coded loads and stores.
//! - [`report`]: one layer run end to end ([`report::run_layer`]) and its report, beside
//!   the chip's figures.
//! - [`dataflow`]: RS against weight stationary, output stationary and no local reuse
//!   (ISCA 2016) under the same energy model.
//! - [`tensor`]: n-dimensional int16 `.npy` files.
//! - [`driver`]: the `eyeriss` unit (RTL) driven through a DRAM model: a layer program run
//!   from DRAM to DRAM, its counters read back.
//! - [`timing`]: the cycle model of that unit (what `run conv --rtl` compares its cycles with).
pub mod binary;
pub mod counts;
pub mod dataflow;
pub mod driver;
pub mod energy;
pub mod golden;
pub mod layer;
pub mod machine;
pub mod mapper;
pub mod program;
pub mod report;
pub mod streams;
pub mod tensor;
pub mod timing;
