//! Window weightings for the tracker (issue 14, §3: the 8-bit 95th percentile), tried in the
//! f64 reference on the presets' levels (3 levels, 15 x 15, smoothing on), both frame kinds.
//! Same pairs and pooling as `track_report`.
//!
//! `cargo run --release -p edgertl-sim --example track_weights [-- --quick] [--only NAME]`
use edgertl_sim::navion::motion::{accuracy_pairs, Accuracy, Pair};
use edgertl_sim::navion::tracker::{input_frame, levels, track_f64_weighted, Input, TrackerConfig};
use rayon::prelude::*;
use std::path::Path;
use std::time::Instant;

type Weight = Box<dyn Fn(usize, i64, i64) -> f64 + Sync>;

/// Inner square of half-side `r` (|i|, |j| <= r) weighs `w`, the rest 1.
fn inner(r: i64, w: f64) -> Weight {
    Box::new(move |_, i, j| if i.abs() <= r && j.abs() <= r { w } else { 1.0 })
}

/// Separable: the profile p(|i|) p(|j|).
fn sep(p: &'static [f64]) -> Weight {
    Box::new(move |_, i, j| p[i.unsigned_abs() as usize] * p[j.unsigned_abs() as usize])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).cloned();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/navion");
    let all = accuracy_pairs(&data, quick.then_some(6))?;
    let cfg = TrackerConfig::navion();
    let s2: &'static [f64] = &[2.0, 2.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0];
    let lv = |f: Weight, levels: &'static [usize]| -> Weight { Box::new(move |l, i, j| if levels.contains(&l) { f(l, i, j) } else { 1.0 }) };
    let variants: Vec<(&str, Weight, bool)> = vec![
        ("sep [2 2 2 2 2 1 1 1] on level 0 only", lv(sep(s2), &[0]), false),
        ("sep [2 2 2 2 2 1 1 1] on levels 1-2 only", lv(sep(s2), &[1, 2]), false),
        ("inner 9x9 x2 on level 0 only", lv(inner(4, 2.0), &[0]), false),
        ("inner 9x9 x2 on levels 1-2 only", lv(inner(4, 2.0), &[1, 2]), false),
        ("sep [4 4 4 2 2 2 1 1] on levels 1-2, sep [2 2 2 2 2 1 1 1] on level 0", Box::new(move |l, i, j| if l == 0 { sep(s2)(l, i, j) } else { sep(&[4.0, 4.0, 4.0, 2.0, 2.0, 2.0, 1.0, 1.0])(l, i, j) }), false),
        ("sep [2 2 2 2 1 1 1 1]", sep(&[2.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0]), false),
        ("inner 11x11 x2, 9x9 x4 -> sep [2 2 2 2 2 2 1 1] x [..]", sep(&[2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.0, 1.0]), false),
        ("uniform (the presets)", Box::new(|_, _, _| 1.0), false),
        ("inner 11x11 x2", inner(5, 2.0), false),
        ("inner 11x11 x2, T on sum w", inner(5, 2.0), true),
        ("inner 9x9 x2", inner(4, 2.0), false),
        ("inner 13x13 x2", inner(6, 2.0), false),
        ("inner 11x11 x4", inner(5, 4.0), false),
        ("inner 9x9 x4", inner(4, 4.0), false),
        ("inner 7x7 x4", inner(3, 4.0), false),
        ("3 tiers: 7x7 x4, 11x11 x2, 1", Box::new(|_, i: i64, j: i64| { let m = i.abs().max(j.abs()); if m <= 3 { 4.0 } else if m <= 5 { 2.0 } else { 1.0 } }), false),
        ("sep [4 4 4 4 2 2 1 1] (centre first)", sep(&[4.0, 4.0, 4.0, 4.0, 2.0, 2.0, 1.0, 1.0]), false),
        ("sep [2 2 2 2 2 1 1 1]", sep(&[2.0, 2.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0]), false),
        ("sep [2 2 2 2 2 2 1 1]", sep(&[2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.0, 1.0]), false),
        ("sep [4 4 4 2 2 2 1 1]", sep(&[4.0, 4.0, 4.0, 2.0, 2.0, 2.0, 1.0, 1.0]), false),
        ("sep [4 4 4 4 4 2 2 1]", sep(&[4.0, 4.0, 4.0, 4.0, 4.0, 2.0, 2.0, 1.0]), false),
        ("gaussian sigma 4 (not shifts)", Box::new(|_, i: i64, j: i64| (-((i * i + j * j) as f64) / 32.0).exp()), false),
        ("gaussian sigma 5 (not shifts)", Box::new(|_, i: i64, j: i64| (-((i * i + j * j) as f64) / 50.0).exp()), false),
    ];
    println!("{} pairs; f64 reference, {} levels, {} x {}, smoothing on\n", all.len(), cfg.levels, cfg.window, cfg.window);
    println!("| weighting | 8-bit median | 8-bit p95 | 8-bit <= 1 px | 8-bit lost | codec median | codec p95 | codec <= 1 px | codec lost |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let h = i64::from(cfg.window / 2);
    for (name, w, t_on_sum) in &variants {
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let t = Instant::now();
        let wk = |l: usize, i: i64, j: i64| w(l, i, j);
        let sum: f64 = (-h..=h).flat_map(|j| (-h..=h).map(move |i| (i, j))).map(|(i, j)| wk(0, i, j)).sum();
        let n = if *t_on_sum { sum } else { f64::from(cfg.window * cfg.window) };
        let mut cells = Vec::new();
        for input in [Input::Raw, Input::Codec] {
            let a = run(&all, &cfg, input, &wk, n)?;
            cells.push(format!("{:.3} | {:.3} | {:.1}% | {:.2}%", a.median(), a.p95(), 100.0 * a.within(1.0), 100.0 * a.lost_fraction()));
        }
        println!("| {name} | {} |", cells.join(" | "));
        eprintln!("  ({:.1} s)", t.elapsed().as_secs_f64());
    }
    Ok(())
}

fn run(all: &[Pair], cfg: &TrackerConfig, input: Input, w: &(dyn Fn(usize, i64, i64) -> f64 + Sync), n: f64) -> Result<Accuracy, Box<dyn std::error::Error>> {
    let per: Vec<Accuracy> = all
        .par_iter()
        .map(|p| {
            let (a, b) = (input_frame(&p.a, input).unwrap(), input_frame(&p.b, input).unwrap());
            let (la, lb) = (levels(&a, cfg), levels(&b, cfg));
            let pts: Vec<(f64, f64)> = p.points.iter().map(|&(x, y)| (x.into(), y.into())).collect();
            let margin = f64::from(cfg.window / 2 + 1);
            let mut acc = Accuracy::default();
            for (r, &truth) in track_f64_weighted(cfg, &la, &lb, &pts, w, n).iter().zip(&p.truth) {
                acc.add(truth, a.width(), a.height(), margin, r.lost.is_none().then_some((r.x1, r.y1)));
            }
            acc
        })
        .collect();
    let mut acc = Accuracy::default();
    for p in &per {
        acc.merge(p);
    }
    Ok(acc)
}
