//! Writes one unit's emitted Verilog without building the simulator crate (no Verilator):
//! `cargo run --release -p edgertl-hdl --example emit -- eyeriss_pe [PRESET] > eyeriss_pe.v`.
//! The micro-benchmark `scripts/bench/pe_loop.sh` uses it.

fn main() {
    let mut args = std::env::args().skip(1);
    let unit = args.next().unwrap_or_else(|| "eyeriss_pe".to_string());
    let preset = args.next();
    match edgertl_hdl::emit(&unit, preset.as_deref()) {
        Ok(e) => print!("{}", e.verilog),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
