//! How AlexNet CONV1-5's mappings fare with the layer compiler on the `eyeriss_v1` hardware:
//! per layer, the mapper's candidates, those the compiler compiles, the refused ones counted
//! by the first limit they break and by the limit they break alone (what lifting it would
//! give), and the best compiled mapping's energy and cycle estimate against the mapper's
//! unrestricted choice. Dense data (the energies are the model's without zero gating).
//!
//! `cargo run --release -p edgertl-sim --example alexnet_census [-- BATCH]` (default 1).

use edgertl_hdl::eyeriss::EyerissConfig;
use edgertl_sim::eyeriss::counts::DataStats;
use edgertl_sim::eyeriss::driver::{best_compiled, buffers, candidates, census, choose, hardware};
use edgertl_sim::eyeriss::program::compile;
use rayon::prelude::*;
use std::time::Instant;
use edgertl_sim::eyeriss::layer::alexnet;
use edgertl_sim::eyeriss::mapper::search;

fn main() -> Result<(), String> {
    let batch: usize = std::env::args().nth(1).map_or(Ok(1), |s| s.parse()).map_err(|e| format!("batch: {e}"))?;
    let hw = EyerissConfig::eyeriss_v1();
    let mh = hardware(&hw);
    let data = DataStats::dense();
    for layer in alexnet(batch, 8) {
        let s = search(&layer, &mh, &data).map_err(|e| e.to_string())?;
        let c = census(&hw, &layer, &data);
        let (ce, cc) = (s.chosen.energy.total, s.chosen.counts.cycles.total);
        let le = s.least_energy.energy.total;
        println!("{} (batch {batch}): {} array mappings, {} with a buffer plan, {} compiled", layer.name, c.mappings, c.evaluated, c.compiled);
        println!("  mapper's choice: energy {ce:.4e}, {cc} cycles; its least energy {le:.4e}");
        match c.best {
            Some((e, cyc)) => println!("  least-energy compiled: energy {e:.4e} ({:+.1}%), {cyc} cycles ({:+.1}%)", 100.0 * (e / ce - 1.0), 100.0 * (cyc as f64 / cc as f64 - 1.0)),
            None => println!("  compiled: none"),
        }
        if let Some((e, cyc)) = c.chosen {
            println!("  chosen compiled: energy {e:.4e} ({:+.1}%), {cyc} cycles ({:+.1}%) (the mapper's rule: least energy within 10% of the fastest)", 100.0 * (e / ce - 1.0), 100.0 * (cyc as f64 / cc as f64 - 1.0));
        }
        // The choice two ways: compiling every candidate, and compiling only what it rests on.
        // (Each program dropped once compiled: CONV2's 1,293 at once take over 24 GB.)
        let t = Instant::now();
        let (rows, cols, bufs) = (mh.rows, mh.cols, buffers(&hw));
        let ok: Vec<_> = candidates(&hw, &layer, &data).into_par_iter().filter(|e| compile(&layer, &e.mapping, rows, cols, &bufs).is_ok()).collect();
        let every = choose(ok.iter()).map(|k| ok[k].mapping.clone());
        let (t_all, t) = (t.elapsed().as_secs_f64(), Instant::now());
        let lazy = best_compiled(&hw, &layer, &data).map(|(e, _)| e.mapping);
        let t_lazy = t.elapsed().as_secs_f64();
        println!("  choosing: {t_all:.2} s compiling every candidate, {t_lazy:.2} s with best_compiled ({:.0}x){}", t_all / t_lazy, if every == lazy { "; same mapping" } else { "; DIFFERENT mappings" });
        let mut first: Vec<_> = c.first.iter().collect();
        first.sort_by(|a, b| b.1.cmp(a.1));
        for (why, n) in first {
            println!("  refused first by {n:6}: {why}");
        }
        for (why, (n, e, cyc)) in &c.only {
            println!("  breaking only    {n:6}: {why}: best energy {e:.4e} ({:+.1}%), {cyc} cycles", 100.0 * (e / ce - 1.0));
        }
    }
    Ok(())
}
