//! The Navion tracker's accuracy on real photographs moved by known motions (issue 14, §3):
//! the table of the fixed-point model and its f64 reference, on 8-bit frames and on the
//! codec's frames, with and without smoothing, pooled over every pair
//! (see `edgertl_sim::navion::motion` for the sequences and the resampler).
//!
//! `cargo run --release -p edgertl-sim --example track_report [-- --quick] [--pairs DIR]
//! [--iterations]`
//!
//! First the iterations per feature of the presets' configuration (3 levels, 15 x 15, 30
//! iterations) measured on every pair, 8-bit and codec frames: their distribution and the
//! tracker's cycles a frame of 200 features by the unit's timing (a point 3 + L (W + 64) +
//! n (W + 42) cycles, `hdl/src/navion/tracker`); `--iterations` stops after it.
//!
//! `--pairs DIR` also writes every pair (A.png, B.png and the points with their true
//! positions, `pairs.json`) for `scripts/navion/opencv_track.py`, which runs OpenCV's
//! calcOpticalFlowPyrLK on the same points.
use edgertl_sim::navion::image::write_png_gray;
use edgertl_sim::navion::motion::{accuracy_pairs, evaluate, Accuracy, Pair};
use edgertl_sim::navion::tracker::{Input, TrackerConfig};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn row(frames: &str, model: &str, smooth: bool, a: &Accuracy, iterations: Option<f64>) {
    println!(
        "| {frames:<6} | {model:<11} | {:<7} | {:>6} | {:>5.2}% | {:>6.3} | {:>6.3} | {:>6.1}% | {} |",
        if smooth { "3x3/5x5" } else { "off" },
        a.points(),
        100.0 * a.lost_fraction(),
        a.median(),
        a.p95(),
        100.0 * a.within(1.0),
        iterations.map(|i| format!("{i:>5.1}")).unwrap_or_else(|| "    -".into()),
    );
}

/// The tracker's cycles for a point of `n` iterations (summed over the levels): the unit's
/// measured timing (`hdl/src/navion/tracker`, "Timing").
fn point_cycles(cfg: &TrackerConfig, n: f64) -> f64 {
    use edgertl_hdl::navion::tracker::{ITERATION_CLOCKS, LEVEL_CLOCKS};
    let w = f64::from(cfg.window);
    3.0 + f64::from(cfg.levels) * (w + LEVEL_CLOCKS as f64) + n * (w + ITERATION_CLOCKS as f64)
}

/// The iterations per feature on every pair (tracked or lost: the unit spends them all) and
/// what they cost a frame of 200 features.
fn iterations_section(all: &[Pair], cfg: &TrackerConfig) -> Result<(), Box<dyn std::error::Error>> {
    const FEATURES: f64 = 200.0;
    const FPS: f64 = 171.0;
    println!(
        "\nIterations per feature (summed over the levels), {} levels, {} x {}, at most {} a level, epsilon {}/256 px; \
         cycles a frame of {FEATURES} features = {FEATURES} x (3 + {} x {} + n x {}), and the clock 171 frames/s needs:\n",
        cfg.levels, cfg.window, cfg.window, cfg.iterations, cfg.epsilon, cfg.levels, u64::from(cfg.window) + edgertl_hdl::navion::tracker::LEVEL_CLOCKS, u64::from(cfg.window) + edgertl_hdl::navion::tracker::ITERATION_CLOCKS
    );
    println!("| frames | points | mean | median | p95 | p99 | max | at the mean: cycles a frame, MHz | at p95: cycles, MHz | at the max: cycles, MHz |");
    println!("|--------|--------|------|--------|-----|-----|-----|----------------------------------|---------------------|-------------------------|");
    for (input, name) in [(Input::Raw, "8-bit"), (Input::Codec, "codec")] {
        let mut its = evaluate(all, cfg, input, false)?.per_point;
        // Each pair's mean (a frame's 200 features cost their mean): the worst pair.
        let mut at = 0;
        let mut worst = (0.0f64, String::new());
        for p in all {
            let n = p.points.len();
            let m = its[at..at + n].iter().map(|&i| f64::from(i)).sum::<f64>() / n.max(1) as f64;
            if m > worst.0 {
                worst = (m, format!("{} {}", p.source, p.motion.describe()));
            }
            at += n;
        }
        its.sort_unstable();
        let n = its.len().max(1);
        let q = |p: f64| f64::from(its[((p * n as f64).ceil() as usize).clamp(1, n) - 1]);
        let mean = its.iter().map(|&i| f64::from(i)).sum::<f64>() / n as f64;
        let frame = |i: f64| FEATURES * point_cycles(cfg, i);
        let cell = |i: f64| format!("{:.0}, {:.1}", frame(i), frame(i) * FPS / 1e6);
        println!(
            "| {name:<6} | {:>6} | {mean:.2} | {} | {} | {} | {} | {} | {} | {} |",
            its.len(),
            q(0.5),
            q(0.95),
            q(0.99),
            q(1.0),
            cell(mean),
            cell(q(0.95)),
            cell(q(1.0))
        );
        let mut hist = vec![0usize; (cfg.levels * cfg.iterations) as usize + 1];
        for &i in &its {
            hist[i as usize] += 1;
        }
        let shown: Vec<String> = hist.iter().enumerate().filter(|(_, &c)| c > 0).map(|(i, c)| format!("{i}: {c}")).collect();
        eprintln!("  {name}: points by iterations: {}", shown.join(", "));
        println!(
            "  {name}: the worst pair's mean, {:.2} iterations ({}): {:.0} cycles a frame of 200, {:.1} MHz",
            worst.0,
            worst.1,
            frame(worst.0),
            frame(worst.0) * FPS / 1e6
        );
    }
    Ok(())
}

fn write_pairs(dir: &Path, all: &[Pair]) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let mut list = Vec::new();
    for (i, p) in all.iter().enumerate() {
        let (a, b) = (format!("{i:03}_a.png"), format!("{i:03}_b.png"));
        write_png_gray(std::fs::File::create(dir.join(&a))?, &p.a)?;
        write_png_gray(std::fs::File::create(dir.join(&b))?, &p.b)?;
        list.push(serde_json::json!({
            "source": p.source, "motion": p.motion.describe(), "a": a, "b": b,
            "points": p.points, "truth": p.truth,
        }));
    }
    std::fs::write(dir.join("pairs.json"), serde_json::to_string(&list)?)?;
    println!("wrote {} pairs to {}", all.len(), dir.display());
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only_iterations = args.iter().any(|a| a == "--iterations");
    let pairs_dir = args.iter().position(|a| a == "--pairs").and_then(|i| args.get(i + 1)).map(PathBuf::from);
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/navion");
    let t = Instant::now();
    let all = accuracy_pairs(&data, quick.then_some(6))?;
    let points: usize = all.iter().map(|p| p.points.len()).sum();
    println!("{} pairs, {points} corners tracked (made in {:.1} s)", all.len(), t.elapsed().as_secs_f64());
    if let Some(dir) = &pairs_dir {
        write_pairs(dir, &all)?;
    }
    let base = TrackerConfig::navion();
    iterations_section(&all, &base)?;
    if only_iterations {
        return Ok(());
    }
    println!(
        "\nTracker: {} levels, {} x {} window, {} iterations, epsilon {}/256 px, T {}; errors of the points tracked whose true position stays {} px inside\n",
        base.levels,
        base.window,
        base.window,
        base.iterations,
        base.epsilon,
        base.min_eigen,
        base.window / 2 + 1
    );
    println!("| frames | model       | smooth  | points | lost   | median | p95    | <= 1 px | iterations |");
    println!("|--------|-------------|---------|--------|--------|--------|--------|---------|------------|");
    for (input, name) in [(Input::Raw, "8-bit"), (Input::Codec, "codec")] {
        for smooth in [false, true] {
            let cfg = TrackerConfig { smooth, ..base.clone() };
            let t = Instant::now();
            let e = evaluate(&all, &cfg, input, true)?;
            let its = e.iterations as f64 / all.iter().map(|p| p.points.len()).sum::<usize>().max(1) as f64;
            row(name, "fixed point", smooth, &e.fixed, Some(its));
            row(name, "f64", smooth, &e.reference, None);
            eprintln!(
                "  {name} smooth {smooth}: fixed vs f64 on {} points tracked by both: mean {:.4} px, max {:.3} px ({:.1} s)",
                e.tracked,
                e.mean_gap,
                e.max_gap,
                t.elapsed().as_secs_f64()
            );
        }
    }
    // Per kind of motion, the presets' configuration.
    println!("\nPer kind of motion (fixed point, smoothing on):\n");
    println!("| motion      | pairs | 8-bit median | 8-bit p95 | codec median | codec p95 | codec <= 1 px |");
    println!("|-------------|-------|--------------|-----------|--------------|-----------|---------------|");
    for kind in ["translation", "rotation", "scale", "mix"] {
        let some: Vec<Pair> = all.iter().filter(|p| p.motion.kind() == kind).cloned().collect();
        let r = evaluate(&some, &base, Input::Raw, false)?.fixed;
        let c = evaluate(&some, &base, Input::Codec, false)?.fixed;
        println!(
            "| {kind:<11} | {:>5} | {:>12.3} | {:>9.3} | {:>12.3} | {:>9.3} | {:>12.1}% |",
            some.len(),
            r.median(),
            r.p95(),
            c.median(),
            c.p95(),
            100.0 * c.within(1.0)
        );
    }
    Ok(())
}
