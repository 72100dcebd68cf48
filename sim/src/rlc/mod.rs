//! The run-length compressor (Eyeriss RLC of feature maps): golden encoder and decoder
//! ([`model`]), the `.rlc` and `.npy` files ([`file`](mod@file)), the co-simulation drivers
//! ([`driver`]), the Verilated units as plain functions ([`rtl`]) and the readers' fuzzer
//! ([`fuzz`]).
pub mod driver;
pub mod file;
pub mod fuzz;
pub mod model;
pub mod rtl;
