//! The run-length compressor (Eyeriss RLC of feature maps): golden encoder and decoder
//! ([`model`]), the `.rlc` and `.npy` files ([`file`](mod@file)), the co-simulation drivers
//! ([`driver`]) and the Verilated units as plain functions ([`rtl`]).
pub mod driver;
pub mod file;
pub mod model;
pub mod rtl;
