//! Library side of the `edgertl` command-line tool: the code that drives the external hardware
//! tools, shared with the test crate so that tests run exactly the checks `edgertl lint` runs.
//!
//! - [`output`]: the one way edgertl writes an output file (atomic, checked, cleaned up on
//!   errors and Ctrl-C), and pairs of files that belong together.
//! - [`tools`]: finding Verilator, Icarus Verilog and Yosys, and the three lint checks.
//! - [`synth`]: Yosys synthesis and nextpnr place and route per FPGA target, typed reports and
//!   the resource and timing budgets (`budgets.toml`).

pub mod output;
pub mod synth;
pub mod tools;
