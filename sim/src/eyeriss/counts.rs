//! Analytical counts of a mapped layer, in 16-bit words: MACs (and those zero gating skips),
//! spad reads and writes per spad, words on each network and their deliveries to PEs, psum
//! link transfers, global buffer reads and writes, DRAM reads and writes (raw and after
//! run-length coding) and cycles.
//!
//! A pass (one tile of images, filters, channels, one E step and one piece of the filter
//! rows when they are cut to fit the spads) costs: loading its filters
//! into the spads over the 64-bit filter network (not overlapped: the spads hold one pass's
//! filters), then for each image and output column the longest of the PE's MACs (`p q S`,
//! one a cycle), the new ifmap words on the 16-bit ifmap network and the psums on the 64-bit
//! psum networks, then the psum chain's fill. The DRAM link moves `link_bits` a link cycle;
//! `cycles.total` takes it as overlapped with computing (the larger of the two).
//!
//! Multicast: a word on a network is read once from the buffer and delivered to every PE
//! that needs it (sets with other filters share the ifmap; folded strips share the filters);
//! the NoC's energy is charged per delivery and per psum link transfer.
//!
//! These are the counts of the accelerator's layer program ([`super::program`]), exactly (its
//! tests run the program and compare): zero padding travels on the ifmap bus as zeros that the
//! buffer does not read (every row of a step's padded window, and for each output the new
//! columns of the PE's sliding window: `S + (F-1) U` per row); every output takes one psum in
//! per channel tile, a zero that is sent but not read for the first tile.
//!
//! Spads: every MAC reads the ifmap spad (the zero buffer is checked there); a MAC on a zero
//! ifmap (zero gating) skips the filter spad read, the multiply-add and the psum spad's read
//! and write. The buffer's counts include the DRAM fills (writes) and drains (reads).

use super::energy::{Accesses, PerType};
use super::layer::LayerShape;
use super::mapper::{refetch, ArrayMapping, DramPlan, Hardware};
use serde::{Deserialize, Serialize};

/// What the data contribute to the counts: the MACs zero gating skips and the run-length
/// coder's size ratios (coded / raw) for the ifmap and the ofmap in DRAM (1 when unknown).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataStats {
    pub zero_macs: u64,
    pub ifmap_rlc_ratio: f64,
    pub ofmap_rlc_ratio: f64,
}

impl DataStats {
    /// No data: no zeros, no compression.
    pub fn dense() -> Self {
        DataStats { zero_macs: 0, ifmap_rlc_ratio: 1.0, ofmap_rlc_ratio: 1.0 }
    }
}

/// Reads and writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rw {
    pub reads: u64,
    pub writes: u64,
}

impl Rw {
    pub fn total(&self) -> u64 {
        self.reads + self.writes
    }
}

/// Reads and writes per data type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RwPerType {
    pub ifmap: Rw,
    pub filter: Rw,
    pub psum: Rw,
}

impl RwPerType {
    pub fn reads(&self) -> u64 {
        self.ifmap.reads + self.filter.reads + self.psum.reads
    }
    pub fn writes(&self) -> u64 {
        self.ifmap.writes + self.filter.writes + self.psum.writes
    }
    fn per_type(&self) -> PerType {
        PerType { ifmap: self.ifmap.total() as f64, filter: self.filter.total() as f64, psum: self.psum.total() as f64 }
    }
}

/// Words on the networks: what the buffer sends (each once, multicast) and what the PEs
/// receive (one delivery per PE reached), and the psum links between PEs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Noc {
    pub ifmap_words: u64,
    pub filter_words: u64,
    pub psum_in_words: u64,
    pub psum_out_words: u64,
    pub ifmap_deliveries: u64,
    pub filter_deliveries: u64,
    pub psum_link_transfers: u64,
}

/// Cycles at the core clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Cycles {
    /// Computing, filter loads and network limits.
    pub compute: u64,
    /// The DRAM link's time for the raw traffic and for the run-length-coded traffic.
    pub dram_link: u64,
    pub dram_link_rlc: u64,
    /// The larger of compute and the coded DRAM link (taken as overlapped).
    pub total: u64,
}

/// Every count of a mapped layer (all groups, the whole batch).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub macs: u64,
    pub zero_macs: u64,
    pub passes: u64,
    pub active_pes_avg: f64,
    pub spad: RwPerType,
    pub noc: Noc,
    pub glb: RwPerType,
    pub dram: RwPerType,
    /// DRAM words after run-length coding of the fmaps (filters stay raw).
    pub dram_rlc_reads: f64,
    pub dram_rlc_writes: f64,
    pub cycles: Cycles,
}

impl Counts {
    /// The accesses the energy model charges (see the module doc).
    pub fn accesses(&self) -> Accesses {
        let n = &self.noc;
        Accesses {
            dram: self.dram.per_type(),
            glb: self.glb.per_type(),
            noc: PerType {
                ifmap: n.ifmap_deliveries as f64,
                filter: n.filter_deliveries as f64,
                psum: (n.psum_in_words + n.psum_out_words + n.psum_link_transfers) as f64,
            },
            spad: self.spad.per_type(),
            macs: (self.macs - self.zero_macs) as f64,
        }
    }
}

/// One E step: ofmap rows computed at once and the ifmap rows they read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub outputs: usize,
    pub rows: usize,
}

/// The tiling an array mapping implies, for one group.
#[derive(Clone, Debug)]
pub struct Geometry {
    pub array: ArrayMapping,
    /// Per loop (N, M, C, E): the whole extent, the tile and the trips.
    pub full: [usize; 4],
    pub tile: [usize; 4],
    pub trips: [u64; 4],
    pub steps: Vec<Step>,
    pub strips: usize,
    pub layer_h: usize,
    pub layer_w: usize,
    pub layer_f: usize,
    pub full_e: usize,
    pub max_rows: usize,
    pub max_outputs: usize,
    /// Ifmap rows read over all E steps (overlaps counted again).
    pub halo_rows: usize,
    pub rs: usize,
    /// Groups side by side (see [`ArrayMapping::g_rep`]) and the trips over the groups.
    pub g_rep: usize,
    pub group_trips: u64,
    /// Filter row pieces (see [`ArrayMapping::s_fold`]) and their width.
    pub s_fold: usize,
    pub s_piece: usize,
    /// Filter words of a full pass (the filter buffer must hold them).
    pub tile_filter_words: usize,
    pub active_pes: usize,
    /// Tensor words of one group.
    pub ifmap_words: u64,
    pub filter_words: u64,
    pub ofmap_words: u64,
}

/// `total` cut into tiles of `tile`: (size, how many).
fn split(total: usize, tile: usize) -> Vec<(usize, u64)> {
    let mut v = vec![(tile, (total / tile) as u64)];
    if !total.is_multiple_of(tile) {
        v.push((total % tile, 1));
    }
    v.retain(|&(_, k)| k > 0);
    v
}

impl Geometry {
    pub fn new(layer: &LayerShape, _hw: &Hardware, a: &ArrayMapping) -> Geometry {
        let (e, u, pad, h) = (layer.e(), layer.u, layer.pad, layer.h);
        let (cg, mg) = (layer.c_per_group(), layer.m_per_group());
        let strips = e.div_ceil(a.strip);
        let per_step = a.strip * a.fold;
        let steps: Vec<Step> = (0..e.div_ceil(per_step))
            .map(|i| {
                let (e0, e1) = (i * per_step, ((i + 1) * per_step).min(e));
                // Ifmap rows e0*U - pad ..= (e1-1)*U + R - 1 - pad, clipped to the real rows.
                let lo = (e0 * u).saturating_sub(pad);
                let hi = ((e1 - 1) * u + layer.r).saturating_sub(pad).min(h);
                Step { outputs: e1 - e0, rows: hi.saturating_sub(lo) }
            })
            .collect();
        let tile = [a.n, (a.p * a.t).min(mg), (a.q * a.r).min(cg), per_step.min(e)];
        let full = [layer.n, mg, cg, e];
        let trips = [0, 1, 2, 3].map(|d| full[d].div_ceil(tile[d]) as u64);
        let t_used = a.t.min(tile[1]);
        let r_used = a.r.min(tile[2]);
        Geometry {
            array: *a,
            full,
            tile,
            trips,
            strips,
            layer_h: h,
            layer_w: layer.w,
            layer_f: layer.f(),
            full_e: e,
            max_rows: steps.iter().map(|s| s.rows).max().unwrap_or(0),
            max_outputs: steps.iter().map(|s| s.outputs).max().unwrap_or(0),
            halo_rows: steps.iter().map(|s| s.rows).sum(),
            rs: layer.r * layer.s,
            g_rep: a.g_rep.min(layer.groups),
            group_trips: layer.groups.div_ceil(a.g_rep) as u64,
            s_fold: a.s_fold,
            s_piece: layer.s.div_ceil(a.s_fold),
            tile_filter_words: layer.r * layer.s.div_ceil(a.s_fold) * tile[1] * tile[2] * a.g_rep.min(layer.groups),
            active_pes: layer.r
                * steps.iter().map(|s| s.outputs).max().unwrap_or(0)
                * t_used
                * r_used
                * a.g_rep.min(layer.groups),
            ifmap_words: (layer.n * cg * h * layer.w) as u64,
            filter_words: (mg * cg * layer.r * layer.s) as u64,
            ofmap_words: (layer.n * mg * e * layer.f()) as u64,
            steps,
        }
    }

    /// DRAM reads and writes of one group under `plan` (filters and ifmaps read, psums
    /// written, and read back when they spill).
    pub fn dram(&self, plan: &DramPlan) -> RwPerType {
        let f = refetch(self, plan);
        let keeps_e = plan.order.iter().position(|&o| o == 3).unwrap() >= plan.keep[0];
        let rows = if keeps_e { self.layer_h } else { self.halo_rows } as u64;
        RwPerType {
            ifmap: Rw { reads: self.ifmap_words / self.layer_h as u64 * rows * f[0], writes: 0 },
            filter: Rw { reads: self.filter_words * f[1], writes: 0 },
            psum: Rw { reads: self.ofmap_words * (f[2] - 1), writes: self.ofmap_words * f[2] },
        }
    }
}

/// The counts of `layer` mapped as `g` with `plan` (see the module doc).
pub fn counts(layer: &LayerShape, hw: &Hardware, g: &Geometry, plan: &DramPlan, data: &DataStats) -> Counts {
    let a = &g.array;
    let (r_, s_, w_, f_) = (layer.r as u64, g.s_piece as u64, layer.w as u64, layer.f() as u64);
    let groups = layer.groups as u64;
    // Each channel tile runs once per filter row piece; psums come back for all but the first.
    let pieces = g.s_fold as u64;
    let c_trips = g.trips[2] * pieces;
    let mut c = Counts::default();
    let mut busy = 0f64; // active PE-cycles
    // Ifmap words the buffer reads (the bus also carries the padding, as zeros).
    let mut glb_ifmap_reads = 0u64;
    // Columns a PE row receives per image: S for the first output, U for each later one
    // (padding included); of them, those inside the ifmap.
    let cols_sent = (g.s_piece + (layer.f() - 1) * layer.u) as u64;
    let cols_real = cols_sent.saturating_sub(layer.pad as u64).min(w_);
    for &(nn, kn) in &split(g.full[0], g.tile[0]) {
        for &(mm, km) in &split(g.full[1], g.tile[1]) {
            for &(cc, kc) in &split(g.full[2], g.tile[2]) {
                for step in &g.steps {
                    let mult = kn * km * kc * pieces;
                    let t_used = a.t.min(mm);
                    let p = mm.div_ceil(t_used) as u64;
                    let r_used = a.r.min(cc);
                    let q = cc.div_ceil(r_used) as u64;
                    let (nn, mm, cc) = (nn as u64, mm as u64, cc as u64);
                    let outputs = step.outputs as u64;
                    let pes = r_ * outputs * (t_used * r_used) as u64;
                    let chains = outputs * t_used as u64;
                    // Every row of the step's padded window goes on the bus (rows no PE needs
                    // under a stride reach nobody); only the real rows and columns are read.
                    let rows_sent = ((step.outputs - 1) * layer.u + layer.r) as u64;
                    let ifmap_words = nn * cc * rows_sent * cols_sent;
                    glb_ifmap_reads += mult * nn * cc * step.rows as u64 * cols_real;
                    let filter_words = r_ * s_ * mm * cc;
                    let psum_out = nn * mm * outputs * f_;
                    // Every output takes a psum in: read back for every channel tile but the
                    // first, a zero (sent, not read) for the first.
                    let psum_in = psum_out;
                    // Groups side by side share the networks.
                    let gr = g.g_rep as u64;
                    let stream = (nn * f_ * p * q * s_)
                        .max((gr * ifmap_words).div_ceil(hw.ifmap_bus_words as u64))
                        .max((gr * psum_out).div_ceil(hw.psum_bus_words as u64))
                        .max((gr * psum_in).div_ceil(hw.psum_bus_words as u64));
                    let cycles = (gr * filter_words).div_ceil(hw.filter_bus_words as u64)
                        + stream
                        + r_ * r_used as u64
                        + 3;
                    c.passes += mult;
                    c.cycles.compute += mult * cycles;
                    busy += (mult * cycles) as f64 * pes as f64;
                    let n = &mut c.noc;
                    n.ifmap_words += mult * ifmap_words;
                    n.filter_words += mult * filter_words;
                    n.psum_out_words += mult * psum_out;
                    n.ifmap_deliveries += mult * pes * nn * q * cols_sent;
                    n.filter_deliveries += mult * pes * p * q * s_;
                    n.psum_link_transfers += mult * chains * (r_ * r_used as u64 - 1) * nn * p * f_;
                }
            }
        }
    }
    // Per group so far. The groups run `g_rep` at a time: every group's PEs are busy for its
    // passes, the cycles and passes repeat per trip over the groups.
    c.passes *= g.group_trips;
    c.cycles.compute *= g.group_trips;
    let busy = busy * groups as f64;
    c.active_pes_avg = if c.cycles.compute > 0 { busy / c.cycles.compute as f64 } else { 0.0 };
    // Psums into the array: one per output per channel tile (the first tile's are zeros).
    c.noc.psum_in_words = g.ofmap_words * c_trips;
    // Psums read back from the buffer: every channel tile's but the first's.
    let psum_reads = g.ofmap_words * (c_trips - 1) * groups;
    let dram = g.dram(plan);
    let n = &mut c.noc;
    for v in [
        &mut n.ifmap_words,
        &mut n.filter_words,
        &mut n.psum_in_words,
        &mut n.psum_out_words,
        &mut n.ifmap_deliveries,
        &mut n.filter_deliveries,
        &mut n.psum_link_transfers,
    ] {
        *v *= groups;
    }
    let scale = |rw: Rw| Rw { reads: rw.reads * groups, writes: rw.writes * groups };
    c.dram = RwPerType { ifmap: scale(dram.ifmap), filter: scale(dram.filter), psum: scale(dram.psum) };
    c.macs = layer.macs();
    c.zero_macs = data.zero_macs.min(c.macs);
    let macs_eff = c.macs - c.zero_macs;
    let n = c.noc;
    c.spad = RwPerType {
        ifmap: Rw { reads: c.macs, writes: n.ifmap_deliveries },
        filter: Rw { reads: macs_eff, writes: n.filter_deliveries },
        psum: Rw {
            reads: macs_eff + n.psum_link_transfers + n.psum_out_words,
            // The PE clears a psum's spad entry as it leaves (up the link or out).
            writes: macs_eff + n.psum_link_transfers + n.psum_out_words,
        },
    };
    // The buffer: what the array reads and writes, plus DRAM's fills and drains.
    c.glb = RwPerType {
        ifmap: Rw { reads: glb_ifmap_reads * groups, writes: c.dram.ifmap.reads },
        filter: Rw { reads: n.filter_words, writes: c.dram.filter.reads },
        psum: Rw { reads: psum_reads + c.dram.psum.writes, writes: n.psum_out_words + c.dram.psum.reads },
    };
    c.dram_rlc_reads = c.dram.ifmap.reads as f64 * data.ifmap_rlc_ratio
        + c.dram.filter.reads as f64
        + c.dram.psum.reads as f64 * data.ofmap_rlc_ratio;
    c.dram_rlc_writes = c.dram.psum.writes as f64 * data.ofmap_rlc_ratio;
    let link = |words: f64| (words * 16.0 / f64::from(hw.link_bits) * hw.core_mhz / hw.link_mhz).ceil() as u64;
    c.cycles.dram_link = link((c.dram.reads() + c.dram.writes()) as f64);
    c.cycles.dram_link_rlc = link(c.dram_rlc_reads + c.dram_rlc_writes);
    c.cycles.total = c.cycles.compute.max(c.cycles.dram_link_rlc);
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eyeriss::layer::alexnet;
    use crate::eyeriss::mapper::{chip_mapping, evaluate};

    #[test]
    fn split_covers_the_total() {
        assert_eq!(split(96, 32), [(32, 3)]);
        assert_eq!(split(55, 7), [(7, 7), (6, 1)]);
        assert_eq!(split(3, 4), [(3, 1)]);
    }

    // CONV1 as the chip ran it: 11 x 7 strips (8 E steps, the last 6 wide), t = 2; its
    // time-averaged active PEs are 151.25 (nn_dataflow), and the spads hold a pass's filters.
    #[test]
    fn conv1_geometry() {
        let hw = Hardware::eyeriss_v1();
        let l = &alexnet(4, 0)[0];
        let g = Geometry::new(l, &hw, &chip_mapping(l).unwrap());
        assert_eq!(g.steps.len(), 8);
        assert_eq!(g.steps[0], Step { outputs: 7, rows: 6 * 4 + 11 });
        assert_eq!(g.steps[7], Step { outputs: 6, rows: 227 - 49 * 4 });
        assert_eq!(g.active_pes, 154);
        assert_eq!(g.trips, [4, 3, 3, 8]);
        let avg = (7.0 * 154.0 + 132.0) / 8.0;
        let e = evaluate(l, &hw, chip_mapping(l).unwrap(), &DataStats::dense()).unwrap();
        assert!((e.counts.active_pes_avg - avg).abs() < 0.5, "{}", e.counts.active_pes_avg);
    }

    // Conservation: every MAC reads the ifmap spad once; every psum word that leaves the
    // array reaches the buffer; the whole ofmap reaches DRAM at least once; the filters and
    // the ifmap are read from DRAM at least once.
    #[test]
    fn counts_conserve_data() {
        let hw = Hardware::eyeriss_v1();
        for l in alexnet(2, 0) {
            let e = evaluate(&l, &hw, chip_mapping(&l).unwrap(), &DataStats::dense()).unwrap();
            let c = &e.counts;
            assert_eq!(c.spad.ifmap.reads, l.macs());
            assert!(c.dram.psum.writes >= l.ofmap_words());
            assert!(c.dram.filter.reads >= l.filter_words());
            assert!(c.dram.ifmap.reads >= l.ifmap_words());
            assert_eq!(c.glb.psum.writes, c.noc.psum_out_words + c.dram.psum.reads);
            // Each ofmap word is written once per channel tile.
            let c_tiles = (l.c_per_group() as u64).div_ceil(e.mapping.array.q as u64 * e.mapping.array.r as u64);
            assert_eq!(c.noc.psum_out_words, l.ofmap_words() * c_tiles, "{}", l.name);
            // The ideal: no pass is faster than its MACs on its PEs.
            assert!(c.cycles.compute as f64 >= l.macs() as f64 / e.mapping.active_pes as f64);
        }
    }
}
