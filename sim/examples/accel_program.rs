//! AlexNet's layers through the accelerator's layer program, at the level of the machine
//! model: each layer compiled from the least-energy mapping the compiler supports on the
//! 12 x 14 array, run on random data, checked bit-exact against the golden layer and count by
//! count against the mapper; prints the program's size (commands, and the 64-bit words the
//! controller fetches: `eyeriss::binary`, read back and run again to the same result) and the
//! machine's speed.
//!
//! `cargo run --release -p edgertl-sim --example accel_program [-- BATCH]` (default 1).

use edgertl_hdl::array::ArrayConfig;
use edgertl_sim::eyeriss::counts::DataStats;
use edgertl_sim::eyeriss::golden;
use edgertl_sim::eyeriss::layer::alexnet;
use edgertl_sim::eyeriss::machine::Machine;
use edgertl_sim::eyeriss::mapper::{array_mappings, evaluate, Hardware};
use edgertl_sim::eyeriss::binary::{decode, encode};
use edgertl_sim::eyeriss::program::{compile, supported, Buffers, Cmd, Program};
use rand::{Rng, SeedableRng};
use std::time::Instant;

fn main() -> Result<(), String> {
    let batch: usize = std::env::args().nth(1).map_or(Ok(1), |s| s.parse()).map_err(|e| format!("batch: {e}"))?;
    let hw = Hardware::eyeriss_v1();
    let arr = ArrayConfig::eyeriss_v1();
    // The chip's buffers in 16-bit words: 100 kB of ifmap/psum banks (25 of 4 kB), the 8 kB filter
    // buffer (two banks of 4 kB).
    let buffers = Buffers { glb_words: 51_200, filter_words: 2048, bank_words: 2048 };
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    println!("layer  mapping                 passes  commands  feeds  program words  kbit  outputs  counts   MMAC/s");
    for mut layer in alexnet(batch, 8) {
        layer.relu = true;
        let ifmap: Vec<i16> = (0..layer.ifmap_words()).map(|_| if rng.gen_bool(0.4) { 0 } else { rng.gen_range(0..256) }).collect();
        let weights: Vec<i16> = (0..layer.filter_words()).map(|_| rng.gen_range(-127..128)).collect();
        let data = DataStats { zero_macs: golden::zero_macs(&layer, &ifmap), ..DataStats::dense() };
        let best = array_mappings(&layer, &hw)
            .into_iter()
            .filter(|m| supported(&layer, m, 12, 14).is_ok())
            .filter_map(|m| evaluate(&layer, &hw, m, &data))
            .filter(|e| compile(&layer, &e.mapping, 12, 14, &buffers).is_ok())
            .min_by(|a, b| a.energy.total.total_cmp(&b.energy.total));
        let Some(ev) = best else {
            println!("{:<6} no mapping the compiler supports fits", layer.name);
            continue;
        };
        let prog = compile(&layer, &ev.mapping, 12, 14, &buffers).map_err(|e| e.to_string())?;
        let mut dram = vec![0i16; prog.dram.words as usize];
        dram[..ifmap.len()].copy_from_slice(&ifmap);
        dram[prog.dram.filters as usize..][..weights.len()].copy_from_slice(&weights);
        let dram0 = dram.clone();
        let mut m = Machine::new(&arr, dram, &buffers);
        let t0 = Instant::now();
        m.run(&prog)?;
        let secs = t0.elapsed().as_secs_f64();
        let want = golden::conv(&layer, &ifmap, &weights, None).map_err(|e| e.to_string())?;
        let exact = m.dram[prog.dram.ofmap as usize..] == want[..];
        let c = &ev.counts;
        let mc = &m.counts;
        let same = mc.dram == c.dram && mc.glb == c.glb && u64::from(mc.pe.macs) == c.macs - c.zero_macs && mc.passes == c.passes;
        let a = ev.mapping.array;
        // The program as the controller fetches it, read back and run: the same layer.
        let words = encode(&prog)?;
        let back = Program { cmds: decode(&words.words, 12, 14)?, ..prog.clone() };
        let mut m2 = Machine::new(&arr, dram0, &buffers);
        m2.run(&back)?;
        if m2.dram != m.dram || m2.counts != m.counts {
            return Err(format!("{}: the program read back from its words runs differently", layer.name));
        }
        let feeds = prog.cmds.iter().filter(|c| matches!(c, Cmd::Feed { .. })).count();
        println!(
            "{:<6} r{} t{} p{} q{} strip {} fold {}  {:>6}  {:>8}  {:>5}  {:>13}  {:>4}  {:<7}  {:<7}  {:>6.1}",
            layer.name,
            a.r,
            a.t,
            a.p,
            a.q,
            a.strip,
            a.fold,
            prog.passes,
            prog.cmds.len(),
            feeds,
            words.words.len(),
            words.bits() / 1000,
            if exact { "exact" } else { "WRONG" },
            if same { "equal" } else { "DIFFER" },
            layer.macs() as f64 / secs / 1e6
        );
        if !exact || !same {
            return Err(format!("{}: the machine disagrees with the golden layer or the mapper", layer.name));
        }
    }
    Ok(())
}
