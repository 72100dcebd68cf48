//! Writes a unit's Verilog to a file (a quick look without building the simulator crate):
//! `cargo run --release -p edgertl-hdl --example emit_unit -- <unit> <preset> <out.v>`.
fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let [unit, preset, out] = a.as_slice() else {
        eprintln!("usage: emit_unit <unit> <preset> <out.v>");
        std::process::exit(2);
    };
    match edgertl_hdl::emit(unit, Some(preset)) {
        Ok(e) => std::fs::write(out, e.verilog).unwrap_or_else(|err| {
            eprintln!("{out}: {err}");
            std::process::exit(1)
        }),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
