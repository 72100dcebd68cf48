//! The row-stationary mapper: how a conv layer runs on an Eyeriss-style array, chosen by
//! least energy under the ISCA 2016 model ([`super::energy`]).
//!
//! **Array level** ([`ArrayMapping`]): the logical PE set is R x E (filter rows by ofmap
//! rows). E is cut into strips `strip` columns wide (strip-mining when E is wider than the
//! array); `fold` strips run at once in different R-row bands (CONV2's 5 x 27 as 5 x 14 +
//! 5 x 13); `t` sets with different filters and `r` sets with different channels sit side by
//! side (`r` sets stacked in one column so the psum links add their sums), and `g_rep` groups
//! of a grouped layer side by side. Each PE holds `p` filters and `q` channels of one filter
//! row: the spads need p*q*S filter words, q*S ifmap words, p psums; a filter row wider than
//! the ifmap spad is cut into `s_fold` pieces. A pass loads the filters into the spads and
//! streams `n` images' ifmap rows.
//!
//! **Buffer level** ([`DramPlan`]): the passes loop over images (by `n`), filters (by `p t`),
//! channels (by `q r`) and E steps (by `fold` strips) in the plan's `order`; each data type is
//! kept in the global buffer over the loops inside its `keep` level, which sets its DRAM
//! traffic (a type refetched under a loop it does not depend on pays that loop's trips) and
//! its footprint: ifmaps and psums share the 25 banks of 2048 words, filters go through the
//! 4096-word filter buffer.
//!
//! [`search`] tries every legal array mapping (spad limits, array size, buffer capacity) with
//! its cheapest plan and keeps the one of least energy (fewest cycles between equals) among
//! those within [`SPEED_SLACK`] of the fastest, whole PE sets first as on the chip.
//! [`chip_mapping`] gives the mappings the chip used for AlexNet (JSSC 2017), so that the
//! report can show both.

use super::counts::{self, Counts, DataStats};
use super::energy::{Costs, Energy};
use super::layer::{LayerError, LayerShape};
use edgertl_hdl::pe::PeConfig;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The array, its buffers and its clocks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hardware {
    /// PE rows and columns.
    pub rows: usize,
    pub cols: usize,
    /// Each PE's spads.
    pub pe: PeConfig,
    /// Global buffer banks for ifmaps and psums (each given wholly to one of them).
    pub glb_banks: usize,
    /// 16-bit words per bank.
    pub bank_words: usize,
    /// 16-bit words of the filter buffer.
    pub filter_buffer_words: usize,
    /// Words a cycle on the filter and psum networks (64 bits) and the ifmap network (16).
    pub filter_bus_words: usize,
    pub psum_bus_words: usize,
    pub ifmap_bus_words: usize,
    /// Core and DRAM link clocks, and the link's width.
    pub core_mhz: f64,
    pub link_mhz: f64,
    pub link_bits: u32,
    /// Normalized access costs.
    pub costs: Costs,
}

impl Hardware {
    /// Eyeriss v1 (JSSC 2017): 12 x 14 PEs, 100 kB of ifmap/psum buffer in 25 banks plus the
    /// 8 kB filter buffer (108 kB), 200 MHz core, 60 MHz 64-bit DRAM link.
    pub fn eyeriss_v1() -> Self {
        Hardware {
            rows: 12,
            cols: 14,
            pe: PeConfig::eyeriss_v1(),
            glb_banks: 25,
            bank_words: 2048,
            filter_buffer_words: 4096,
            filter_bus_words: 4,
            psum_bus_words: 4,
            ifmap_bus_words: 1,
            core_mhz: 200.0,
            link_mhz: 60.0,
            link_bits: 64,
            costs: Costs::isca2016(),
        }
    }

    /// Another array and ifmap/psum buffer size (kB, in 4 kB banks), the rest as the chip.
    pub fn with_array(rows: usize, cols: usize, buffer_kb: usize) -> Result<Self, String> {
        if rows == 0 || cols == 0 {
            return Err(format!("a {rows} x {cols} array has no PE"));
        }
        if buffer_kb < 4 || !buffer_kb.is_multiple_of(4) {
            return Err(format!("a buffer of {buffer_kb} kB is not a whole number (at least 1) of 4 kB banks"));
        }
        Ok(Hardware { rows, cols, glb_banks: buffer_kb / 4, ..Hardware::eyeriss_v1() })
    }

    pub fn pes(&self) -> usize {
        self.rows * self.cols
    }
}

/// How one pass uses the array (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrayMapping {
    /// Columns of a strip of ofmap rows.
    pub strip: usize,
    /// Strips placed at once (folded into different row bands).
    pub fold: usize,
    /// Sets with different channels (accumulated through the psum links).
    pub r: usize,
    /// Sets with different filters.
    pub t: usize,
    /// Filters, channels per PE.
    pub p: usize,
    pub q: usize,
    /// Images per pass.
    pub n: usize,
    /// Pieces a filter row is cut into when it is wider than the ifmap spad (1 otherwise):
    /// each piece runs as a pass of its own and the pieces' psums add up like channels'.
    pub s_fold: usize,
    /// Groups side by side, each set with its own filters and channels (a depthwise layer's
    /// one-channel sets fill the array this way).
    pub g_rep: usize,
}

/// The four loops over passes.
pub const DIMS: [&str; 4] = ["N", "M", "C", "E"];
const N: usize = 0;
const M: usize = 1;
const C: usize = 2;
const E: usize = 3;

/// The loops each data type depends on: ifmap (N, C, E), filter (M, C), psum (N, M, E).
const RELEVANT: [[bool; 4]; 3] = [[true, false, true, true], [false, true, true, false], [true, true, false, true]];

/// The order of the pass loops and what the global buffer keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DramPlan {
    /// Loops from outermost to innermost, as indices into [`DIMS`].
    pub order: [usize; 4],
    /// Per data type (ifmap, filter, psum): the loops at positions `keep..` are held whole in
    /// the buffer (4: one pass's tile only).
    pub keep: [usize; 3],
}

/// A chosen mapping and what it implies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mapping {
    pub array: ArrayMapping,
    pub plan: DramPlan,
    /// The loop order spelled out, outermost first (`M N E C`).
    pub order: String,
    /// Logical PE set R x E.
    pub pe_set: (usize, usize),
    /// Strips of E (strip-mining), E steps (strips taken `fold` at a time).
    pub strips: usize,
    pub e_steps: usize,
    /// PEs busy in a full pass, and averaged over the passes weighted by their cycles.
    pub active_pes: usize,
    pub active_pes_avg: f64,
    /// Passes (all groups).
    pub passes: u64,
    /// Buffer banks given to ifmaps and psums, and filter buffer words used.
    pub ifmap_banks: usize,
    pub psum_banks: usize,
    pub filter_buffer_words: usize,
}

/// Why no mapping exists.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error(transparent)]
    Layer(#[from] LayerError),
    #[error("layer {layer}: no mapping fits the {rows} x {cols} array and its buffers: {why}")]
    NoMapping { layer: String, rows: usize, cols: usize, why: String },
}

/// A mapping with its counts and energy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluated {
    pub mapping: Mapping,
    pub counts: Counts,
    pub energy: Energy,
}

/// The buffer footprints of a plan, in words: ifmap, filter, psum (for the groups side by
/// side).
fn footprints(g: &counts::Geometry, plan: &DramPlan) -> [u64; 3] {
    let mut out = [0u64; 3];
    for (x, foot) in out.iter_mut().enumerate() {
        let whole = |d: usize| plan.order.iter().position(|&o| o == d).unwrap() >= plan.keep[x];
        let ext = |d: usize| if whole(d) { g.full[d] } else { g.tile[d] };
        *foot = match x {
            0 => {
                let rows = if whole(E) { g.layer_h } else { g.max_rows };
                ext(N) * ext(C) * rows * g.layer_w
            }
            1 => ext(M) * ext(C) * g.rs,
            _ => ext(N) * ext(M) * (if whole(E) { g.full_e } else { g.max_outputs }) * g.layer_f,
        } as u64
            * g.g_rep as u64;
    }
    out
}

/// How many times each data type is fetched from DRAM as a whole, under a plan.
pub fn refetch(g: &counts::Geometry, plan: &DramPlan) -> [u64; 3] {
    let mut out = [1u64; 3];
    for (x, f) in out.iter_mut().enumerate() {
        let innermost = (0..plan.keep[x]).rev().find(|&i| RELEVANT[x][plan.order[i]]);
        if let Some(j) = innermost {
            *f = (0..=j)
                .filter(|&i| !RELEVANT[x][plan.order[i]])
                .map(|i| g.trips[plan.order[i]])
                .product();
        }
    }
    out
}

/// Every loop order, and for each data type the keep levels worth trying (a level just above
/// a loop the type does not depend on, or only the pass's tile).
pub fn plans() -> Vec<DramPlan> {
    let mut orders = Vec::new();
    for a in 0..4 {
        for b in 0..4 {
            for c in 0..4 {
                for d in 0..4 {
                    let o = [a, b, c, d];
                    if (0..4).all(|x| o.contains(&x)) {
                        orders.push(o);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for order in orders {
        let levels = |x: usize| -> Vec<usize> {
            let mut l: Vec<usize> = (0..4).filter(|&i| !RELEVANT[x][order[i]]).collect();
            l.push(4);
            l
        };
        for &ki in &levels(0) {
            for &kf in &levels(1) {
                for &kp in &levels(2) {
                    out.push(DramPlan { order, keep: [ki, kf, kp] });
                }
            }
        }
    }
    out
}

/// The cheapest plan (fewest DRAM words) that fits the buffers, with its footprints.
fn best_plan(g: &counts::Geometry, hw: &Hardware, plans: &[DramPlan]) -> Option<(DramPlan, [u64; 3])> {
    let bank = hw.bank_words as u64;
    plans
        .iter()
        .filter_map(|plan| {
            let foot = footprints(g, plan);
            let banks = foot[0].div_ceil(bank) + foot[2].div_ceil(bank);
            if banks > hw.glb_banks as u64 || foot[1] > hw.filter_buffer_words as u64 {
                return None;
            }
            let d = g.dram(plan);
            Some((d.reads() + d.writes(), *plan, foot))
        })
        .min_by_key(|(words, _, _)| *words)
        .map(|(_, plan, foot)| (plan, foot))
}

/// Every array mapping the spads and the array allow for `layer` (not yet the buffers).
pub fn array_mappings(layer: &LayerShape, hw: &Hardware) -> Vec<ArrayMapping> {
    let e_ = layer.e();
    let r_ = layer.r;
    // A filter row wider than the ifmap spad is cut into the fewest pieces that fit.
    let s_fold = layer.s.div_ceil(hw.pe.ifmap_spad_words as usize);
    let s_ = layer.s.div_ceil(s_fold);
    let (cg, mg) = (layer.c_per_group(), layer.m_per_group());
    let pe = &hw.pe;
    let bands = hw.rows / r_;
    if bands == 0 {
        return Vec::new();
    }
    // A set that fits the array's width stays whole (replication fills the rest); a wider
    // one is cut into strips: widths that give distinct strip counts (the narrowest each).
    let mut strips: Vec<usize> = if e_ <= hw.cols {
        vec![e_]
    } else {
        (1..=hw.cols).map(|w| e_.div_ceil(e_.div_ceil(w))).collect()
    };
    strips.dedup();
    // Per-PE counts that give distinct tile counts, for `total` items over `sets` sets.
    let per_pe = |total: usize, sets: usize, cap: usize| -> Vec<usize> {
        let mut v: Vec<usize> = (1..=total.div_ceil(sets))
            .map(|tiles| total.div_ceil(sets * tiles))
            .filter(|&x| x <= cap)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let mut ns: Vec<usize> = (1..=layer.n).map(|t| layer.n.div_ceil(t)).collect();
    ns.dedup();
    let mut out = Vec::new();
    for &strip in &strips {
        let slots = bands * (hw.cols / strip);
        let n_strips = e_.div_ceil(strip);
        for fold in 1..=n_strips.min(slots) {
            // Strips side by side in one band are one wider strip: fold only into other bands.
            if fold > 1 && 2 * strip <= hw.cols {
                continue;
            }
            for r in 1..=bands.min(cg) {
                for t in 1..=mg {
                    if fold * r * t > slots {
                        break;
                    }
                    for q in per_pe(cg, r, pe.ifmap_spad_words as usize / s_) {
                        for p in per_pe(mg, t, pe.psum_spad_words as usize) {
                            if p * q * s_ > pe.filter_spad_words as usize {
                                continue;
                            }
                            for &n in &ns {
                                for g_rep in 1..=layer.groups.min(slots / (fold * r * t)) {
                                    out.push(ArrayMapping { strip, fold, r, t, p, q, n, s_fold, g_rep });
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// Evaluates one array mapping with its cheapest plan; `None` when no plan fits the buffers.
pub fn evaluate(layer: &LayerShape, hw: &Hardware, array: ArrayMapping, data: &DataStats) -> Option<Evaluated> {
    evaluate_with(layer, hw, array, data, &plans())
}

/// Evaluates one array mapping with the cheapest of `plans` that fits the buffers.
pub fn evaluate_with(
    layer: &LayerShape,
    hw: &Hardware,
    array: ArrayMapping,
    data: &DataStats,
    plans: &[DramPlan],
) -> Option<Evaluated> {
    let g = counts::Geometry::new(layer, hw, &array);
    if g.tile_filter_words > hw.filter_buffer_words {
        return None;
    }
    let (plan, foot) = best_plan(&g, hw, plans)?;
    let counts = counts::counts(layer, hw, &g, &plan, data);
    let energy = Energy::of(&counts.accesses(), &hw.costs);
    let bank = hw.bank_words as u64;
    let mapping = Mapping {
        array,
        plan,
        order: plan.order.iter().map(|&d| DIMS[d]).collect::<Vec<_>>().join(" "),
        pe_set: (layer.r, layer.e()),
        strips: g.strips,
        e_steps: g.steps.len(),
        active_pes: g.active_pes,
        active_pes_avg: counts.active_pes_avg,
        passes: counts.passes,
        ifmap_banks: foot[0].div_ceil(bank) as usize,
        psum_banks: foot[2].div_ceil(bank) as usize,
        filter_buffer_words: foot[1] as usize,
    };
    Some(Evaluated { mapping, counts, energy })
}

/// How much slower than the fastest legal mapping the chosen one may be: the chip is a
/// throughput design first, so the search keeps the least energy among mappings within this
/// fraction of the fewest cycles (the unconstrained least-energy mapping is reported too).
pub const SPEED_SLACK: f64 = 0.10;

/// What [`search`] found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Search {
    /// The least energy within [`SPEED_SLACK`] of the fewest cycles.
    pub chosen: Evaluated,
    /// The least energy whatever its cycles.
    pub least_energy: Evaluated,
    /// The fewest compute cycles of the mappings considered.
    pub fastest_cycles: u64,
    /// Whether only whole PE sets (one E step) were considered (see [`search`]).
    pub whole_sets: bool,
    /// Legal array mappings tried (each with its cheapest buffer plan).
    pub candidates: usize,
}

/// Searches the legal mappings of `layer` on `hw` (see [`Search`]); between equal energies
/// the fewer cycles, then the fewer passes, win. As on the chip, a PE set that can be mapped
/// whole (all of E at once, folded if need be, CONV2's 5 x 27 as 5 x 14 + 5 x 13) is: only
/// whole sets are considered when one is within [`SPEED_SLACK`] of the fastest mapping of
/// all; otherwise (CONV1's 11 x 55, or a layer whose whole ofmap plane overflows the buffer)
/// the set is strip-mined over time.
pub fn search(layer: &LayerShape, hw: &Hardware, data: &DataStats) -> Result<Search, MapError> {
    layer.validate()?;
    let no = |why: String| MapError::NoMapping { layer: layer.name.clone(), rows: hw.rows, cols: hw.cols, why };
    if layer.r > hw.rows {
        return Err(no(format!("the filter's {} rows are more than the array's {} (no folding of R)", layer.r, hw.rows)));
    }
    let candidates = array_mappings(layer, hw);
    let plans = plans();
    // Only a summary of each candidate is kept (a large layer has hundreds of thousands);
    // the two picked are evaluated again in full.
    let all: Vec<Scored> = candidates
        .par_iter()
        .enumerate()
        .filter_map(|(index, a)| {
            evaluate_with(layer, hw, *a, data, &plans).map(|e| Scored {
                index,
                energy: e.energy.total,
                cycles: e.counts.cycles.compute,
                passes: e.counts.passes,
                whole: e.mapping.e_steps == 1,
            })
        })
        .collect();
    let slack = |cycles: u64| (cycles as f64 * (1.0 + SPEED_SLACK)).floor() as u64;
    let Some(fastest_all) = all.iter().map(|e| e.cycles).min() else {
        return Err(no(format!(
            "{} array mapping(s) meet the spad limits (p*q*S <= {}, q*S <= {}, p <= {}; S the filter row's piece), none fits the {}-bank buffer \
             and the {}-word filter buffer",
            candidates.len(),
            hw.pe.filter_spad_words,
            hw.pe.ifmap_spad_words,
            hw.pe.psum_spad_words,
            hw.glb_banks,
            hw.filter_buffer_words
        )));
    };
    // Whole sets (one E step) when one is within the slack of the fastest of all.
    let whole_sets = all.iter().any(|e| e.whole && e.cycles <= slack(fastest_all));
    let pool = |e: &&Scored| !whole_sets || e.whole;
    let fastest_cycles = all.iter().filter(pool).map(|e| e.cycles).min().unwrap_or(fastest_all);
    let least = |within: u64, only_pool: bool| {
        let best = all
            .iter()
            .filter(|e| (!only_pool || pool(e)) && e.cycles <= within)
            .min_by(|a, b| a.key().partial_cmp(&b.key()).unwrap_or(std::cmp::Ordering::Equal))
            .expect("the fastest candidate is within the slack");
        evaluate_with(layer, hw, candidates[best.index], data, &plans).expect("a candidate evaluated once evaluates again")
    };
    Ok(Search {
        chosen: least(slack(fastest_cycles), true),
        least_energy: least(u64::MAX, false),
        fastest_cycles,
        whole_sets,
        candidates: all.len(),
    })
}

/// What the search keeps of a candidate.
struct Scored {
    index: usize,
    energy: f64,
    cycles: u64,
    passes: u64,
    whole: bool,
}

impl Scored {
    /// Least energy first; fewer cycles, then fewer passes, between equals.
    fn key(&self) -> (f64, u64, u64) {
        (self.energy, self.cycles, self.passes)
    }
}

/// The mapping the chip used for an AlexNet layer (JSSC 2017, section IV, with p, q, n as
/// the open reconstructions give them), by name and shape; `None` for other layers.
pub fn chip_mapping(layer: &LayerShape) -> Option<ArrayMapping> {
    let n = layer.n.min(4);
    let m = |strip, fold, r, t, p, q, n| ArrayMapping { strip, fold, r, t, p, q, n, s_fold: 1, g_rep: 1 };
    match super::layer::alexnet_index(layer)? {
        0 => Some(m(7, 1, 1, 2, 16, 1, 1)),
        1 => Some(m(14, 2, 1, 1, 16, 2, 1)),
        2 => Some(m(13, 1, 1, 4, 16, 4, n)),
        _ => Some(m(13, 1, 2, 2, 16, 3, n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eyeriss::layer::alexnet;

    // The first check: the chip's active PEs on AlexNet, 154 135 156 156 156.
    #[test]
    fn alexnet_active_pes_match_the_chip() {
        let hw = Hardware::eyeriss_v1();
        let got: Vec<usize> = alexnet(4, 0)
            .iter()
            .map(|l| search(l, &hw, &DataStats::dense()).unwrap().chosen.mapping.active_pes)
            .collect();
        assert_eq!(got, [154, 135, 156, 156, 156]);
    }

    // The table: MACs exact, cycles within 15% of the processing latency, DRAM
    // within 15% but CONV2 (-16.5%: its chart bar is above what the ifmap, 4 filter loads
    // and the ofmap add up to), GLB within 20% on CONV2 only (see the report's note: the
    // published mapping's psums alone exceed the chip's GLB figure on CONV3-5).
    #[test]
    fn alexnet_against_the_chip() {
        let hw = Hardware::eyeriss_v1();
        for (l, chip) in alexnet(4, 0).iter().zip(crate::eyeriss::report::CHIP_ALEXNET) {
            let s = search(l, &hw, &DataStats::dense()).unwrap();
            let c = s.chosen.counts;
            assert_eq!((c.macs as f64 / 1e5).round() / 10.0, chip.macs_m, "{}", l.name);
            assert_eq!(s.chosen.mapping.active_pes, chip.active_pes, "{}", l.name);
            let chip = (chip.latency_ms, chip.dram_mb, chip.glb_mb);
            let ms = c.cycles.compute as f64 / (hw.core_mhz * 1e3);
            let dram = (c.dram.reads() + c.dram.writes()) as f64 * 2e-6;
            let glb = (c.glb.reads() + c.glb.writes()) as f64 * 2e-6;
            let off = |got: f64, want: f64| (got / want - 1.0).abs();
            assert!(off(ms, chip.0) <= 0.15, "{}: {ms:.1} ms against {}", l.name, chip.0);
            let dram_tol = if l.name == "CONV2" { 0.17 } else { 0.15 };
            assert!(off(dram, chip.1) <= dram_tol, "{}: DRAM {dram:.2} MB against {}", l.name, chip.1);
            let glb_tol = if l.name == "CONV2" { 0.20 } else { 0.50 };
            assert!(off(glb, chip.2) <= glb_tol, "{}: GLB {glb:.1} MB against {}", l.name, chip.2);
        }
    }

    // The search is at least as good as the chip's own mapping wherever that is within the
    // speed slack (it is among the candidates).
    #[test]
    fn chosen_is_no_worse_than_the_chip() {
        let hw = Hardware::eyeriss_v1();
        for l in alexnet(4, 0) {
            let s = search(&l, &hw, &DataStats::dense()).unwrap();
            let chip = evaluate(&l, &hw, chip_mapping(&l).unwrap(), &DataStats::dense()).unwrap();
            assert!(chip.counts.cycles.compute as f64 <= s.fastest_cycles as f64 * (1.0 + SPEED_SLACK));
            assert!(s.chosen.energy.total <= chip.energy.total, "{}", l.name);
            assert!(s.least_energy.energy.total <= s.chosen.energy.total, "{}", l.name);
        }
    }

    // Compact layers are where row stationary on a fixed array loses utilization: a 3 x 3
    // depthwise layer at 14 x 14 has one channel per filter, so its 3 x 14 sets fill the
    // array only as groups side by side (4 of them), and then wait on the 16-bit ifmap
    // network: under 10% of the array's MACs, where the 1 x 1 layer after it keeps over 40%.
    // A 1 x 1 layer whose 112 x 112 plane overflows the buffer is strip-mined rather than
    // mapped whole at a crawl.
    #[test]
    fn mobilenet_layers_map() {
        let hw = Hardware::eyeriss_v1();
        let layers = crate::eyeriss::layer::mobilenet(1, 0);
        let found: Vec<Search> = layers.iter().map(|l| search(l, &hw, &DataStats::dense()).unwrap()).collect();
        let use_of = |i: usize| layers[i].macs() as f64 / (found[i].chosen.counts.cycles.compute as f64 * 168.0);
        let dw8 = &found[3].chosen.mapping;
        assert_eq!((dw8.active_pes, dw8.array.g_rep), (168, 4), "{dw8:?}");
        assert!(use_of(3) < 0.1 && use_of(4) > 0.4, "{} {}", use_of(3), use_of(4));
        let pw2 = &found[2];
        assert!(!pw2.whole_sets && pw2.chosen.mapping.e_steps > 1, "{:?}", pw2.chosen.mapping);
    }

    #[test]
    fn every_mapping_meets_the_spad_limits() {
        let hw = Hardware::eyeriss_v1();
        for l in alexnet(4, 0) {
            let all = array_mappings(&l, &hw);
            assert!(!all.is_empty());
            for a in all {
                assert!(a.p * a.q * l.s <= 224 && a.q * l.s <= 12 && a.p <= 24 && a.s_fold == 1, "{a:?}");
                assert!(a.fold * a.r * a.t * a.g_rep <= (12 / l.r) * (14 / a.strip), "{a:?}");
            }
        }
    }

    #[test]
    fn chip_mappings_are_legal_and_fit() {
        let hw = Hardware::eyeriss_v1();
        for l in alexnet(4, 0) {
            let chip = chip_mapping(&l).unwrap();
            assert!(array_mappings(&l, &hw).contains(&chip), "{}: {chip:?}", l.name);
            assert!(evaluate(&l, &hw, chip, &DataStats::dense()).is_some(), "{}", l.name);
        }
    }

    // Filters up to 32 wide (the chip's limit) are cut into pieces that fit the 12-word ifmap
    // spad: 20 into 2 of 10, 32 into 3 of 11; the pieces' psums add up like channels'.
    #[test]
    fn wide_filters_are_folded() {
        let hw = Hardware::eyeriss_v1();
        for (s, fold) in [(13, 2), (20, 2), (32, 3)] {
            let l = LayerShape::new("wide", 1, 8, 16, 12, 40, 3, s);
            l.check_chip().unwrap();
            let found = search(&l, &hw, &DataStats::dense()).unwrap().chosen;
            let a = found.mapping.array;
            let piece = s.div_ceil(fold);
            assert_eq!(a.s_fold, fold, "{a:?}");
            assert!(a.q * piece <= 12 && a.p * a.q * piece <= 224, "{a:?}");
            let c = &found.counts;
            let c_tiles = 8u64.div_ceil((a.q * a.r) as u64);
            assert_eq!(c.noc.psum_out_words, l.ofmap_words() * c_tiles * fold as u64, "{a:?}");
            // One psum in per output and channel tile (the first tile's zeros included); all
            // but the first tile's are read back from the buffer.
            assert_eq!(c.noc.psum_in_words, l.ofmap_words() * c_tiles * fold as u64, "{a:?}");
            assert_eq!(c.glb.psum.reads - c.dram.psum.writes, l.ofmap_words() * (c_tiles * fold as u64 - 1), "{a:?}");
            // Every filter word reaches the array (the last piece may be padded).
            assert!(c.noc.filter_words >= l.filter_words(), "{a:?}");
            assert!(c.cycles.compute as f64 >= l.macs() as f64 / found.mapping.active_pes as f64);
        }
    }

    #[test]
    fn impossible_layers_are_refused_with_the_limit() {
        let small = Hardware::with_array(2, 14, 108).unwrap();
        let err = search(&alexnet(1, 0)[2], &small, &DataStats::dense()).unwrap_err().to_string();
        assert!(err.contains("3 rows are more than the array's 2"), "{err}");
        // A buffer too small for even one pass of CONV1 (35 rows of 227 words of ifmap).
        let tiny = Hardware::with_array(12, 14, 4).unwrap();
        let err = search(&alexnet(1, 0)[0], &tiny, &DataStats::dense()).unwrap_err().to_string();
        assert!(err.contains("none fits the 1-bank buffer"), "{err}");
        assert!(Hardware::with_array(12, 14, 6).is_err());
    }
}
