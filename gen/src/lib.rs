//! Library side of the `edgertl` command-line tool: the code that drives the external hardware
//! tools, shared with the test crate so that tests run exactly the checks `edgertl lint` runs.
//!
//! - [`tools`]: finding Verilator, Icarus Verilog and Yosys, and the three lint checks.
//! - [`synth`]: Yosys synthesis and nextpnr place and route per FPGA target, typed reports and
//!   the resource and timing budgets (`budgets.toml`).

pub mod synth;
pub mod tools;
