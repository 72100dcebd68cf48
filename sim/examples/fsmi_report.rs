//! The FSMI golden models' numbers (issue 15): the fixed-point model's error against the
//! `f64` reference on whole office maps, and the banks' conflicts, diagonal against
//! row-major, on the chip's workload (200 x 200 cells, 60 beams, range 100).
//!
//! `cargo run --release -p edgertl-sim --example fsmi_report [--quick]`
use edgertl_sim::fsmi::banks::{map_conflicts, pose_conflicts, pose_conflicts_with, Assignment, BankConfig, Banking, ConflictStats};
use edgertl_sim::fsmi::fixed::{compare, FixedModel};
use edgertl_sim::fsmi::map::OccMap;
use edgertl_sim::fsmi::mi::FsmiConfig;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::args().any(|a| a == "--quick");
    let (h, w) = if quick { (80, 80) } else { (200, 200) };
    let cfg = FsmiConfig::paper();
    let model = FixedModel::new(&cfg)?;
    println!("fixed vs f64, {h} x {w} offices, {} beams, range {} cells, f tables at 2^-{}", cfg.beams, cfg.range, model.f_frac());
    let poses: Vec<_> = (0..h).flat_map(|r| (0..w).map(move |c| (r, c))).collect();
    for (seed, explored) in [(1, 0.3), (2, 0.5), (3, 0.8)] {
        let map = OccMap::office(h, w, explored, seed);
        let t = Instant::now();
        let st = compare(&model, &map, &poses)?;
        println!(
            "  seed {seed} explored {explored}: {} poses, max rel {:.2e}, mean rel {:.2e} (poses >= 0.1 nats), max abs {:.2e} nats, outside tolerance {} ({:.1} s both models)",
            st.poses,
            st.max_rel,
            st.mean_rel,
            st.max_abs,
            st.outside,
            t.elapsed().as_secs_f64()
        );
    }
    // The integer traversal against f64's: beams whose cells differ (near-corner passes).
    let (mut beams, mut differ) = (0u64, 0u64);
    for &(r, c) in poses.iter().filter(|&&(r, c)| r % 3 == 0 && c % 3 == 0) {
        for b in 0..cfg.beams {
            let fl: Vec<_> = edgertl_sim::fsmi::beam::cells(h, w, r, c, b, cfg.beams, cfg.range).into_iter().map(|(r, c, _)| (r, c)).collect();
            beams += 1;
            differ += (fl != model.cells(h, w, r, c, b)) as u64;
        }
    }
    println!("  traversal: {differ} of {beams} beams (every 9th pose) visit other cells in fixed point than in f64");
    println!("bank conflicts, 16 cores, 16 banks, {h} x {w}, lockstep:");
    let sub: Vec<_> = poses.iter().copied().filter(|&(r, c)| r % 5 == 2 && c % 5 == 2).collect();
    for assignment in [Assignment::Spread, Assignment::Contiguous] {
        print!("  {assignment:?}: skew sweep on every 25th pose, stalls per step:");
        for skew in 0..16 {
            let mut st = ConflictStats::default();
            for &(r, c) in &sub {
                st.add(&pose_conflicts_with(&model, 16, 16, assignment, |r, c| (c + skew * r) % 16, h, w, r, c));
            }
            print!(" {skew}:{:.3}", st.stalls as f64 / st.steps as f64);
        }
        println!();
        let blocks = BankConfig { banking: Banking::RowBlocks, assignment, ..BankConfig::chip() };
        let mut st = ConflictStats::default();
        for &(r, c) in &sub {
            st.add(&pose_conflicts(&model, &blocks, h, w, r, c));
        }
        println!("    row blocks {:.3}", st.stalls as f64 / st.steps as f64);
    }
    let mut wide = ConflictStats::default();
    for &(r, c) in &sub {
        wide.add(&pose_conflicts(&model, &BankConfig { banks: 32, banking: Banking::Diagonal { skew: 6 }, ..BankConfig::chip() }, h, w, r, c));
    }
    println!("  32 banks, diagonal skew 6, every 25th pose: {:.3} stalls per step", wide.stalls as f64 / wide.steps as f64);
    println!("  every pose, neighbouring beams together:");
    for (name, banking) in [("diagonal (skew 1)", Banking::Diagonal { skew: 1 }), ("diagonal (skew 6)", Banking::Diagonal { skew: 6 }), ("row-major (address mod 16)", Banking::RowMajor), ("row blocks", Banking::RowBlocks)] {
        let t = Instant::now();
        let st = map_conflicts(&model, &BankConfig { banking, ..BankConfig::chip() }, h, w)?;
        println!(
            "  {name}: {} steps, {} reads, {} stall cycles ({:.1}% of the steps), {} steps with a conflict, {} cycles ({:.1} s)",
            st.steps,
            st.reads,
            st.stalls,
            100.0 * st.stalls as f64 / st.steps as f64,
            st.conflicted_steps,
            st.cycles(),
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
