//! The accelerator at the level of its layer program: DRAM, the global buffer and the filter
//! buffer as word arrays, the PE array as its golden model ([`crate::array::model`]), and
//! every [`Cmd`] executed in order. Timing-free: it says what the `eyeriss` unit's engines
//! must compute and count, not when.
//!
//! A coded load decodes its stream ([`super::streams`]; a malformed one is an error), a
//! coded store codes its words into its stream.
//!
//! Counters are in 16-bit words, as the mapper's ([`super::counts`]): DRAM (a coded
//! transfer's: its stream's beats times four) and buffer reads and writes per data type (a feed word that is padding or a zero psum reads nothing), the
//! array's network counters and the sum of every PE's counters.

use super::counts::{Rw, RwPerType};
use super::program::{Buffers, Cmd, Kind, Lin, Program, Range, Space};
use crate::array::model::{ArrayCounters, ArrayModel, Bus, Traffic, Word};
use crate::pe::model::Counters;
use edgertl_hdl::array::ArrayConfig;
use edgertl_hdl::pe::PassConfig;
use std::collections::HashMap;

/// Everything the machine counted over a program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MachineCounts {
    pub passes: u64,
    pub dram: RwPerType,
    pub glb: RwPerType,
    /// Words on each input bus (padding and zero psums included) and their deliveries, psums
    /// out of the array, link transfers (summed over the passes).
    pub bus_filter_words: u64,
    pub bus_ifmap_words: u64,
    pub bus_psum_words: u64,
    pub filter_deliveries: u64,
    pub ifmap_deliveries: u64,
    pub psum_deliveries: u64,
    pub out_words: u64,
    pub link_transfers: u64,
    /// Every PE's counters, summed.
    pub pe: Counters,
    /// Most PEs enabled in one pass.
    pub active_pes: u32,
}

/// The machine: memories, the array model and the counters.
pub struct Machine {
    pub dram: Vec<i16>,
    glb: Vec<i16>,
    /// The filter banks: loads write `filt[1 - active]`, feeds read `filt[active]`.
    filt: [Vec<i16>; 2],
    active: usize,
    /// The psum bank mask in force and the GLB's bank size (0: no banks).
    psum_banks: u32,
    bank_words: usize,
    array: ArrayModel,
    pending: Option<(PassConfig, Traffic)>,
    drain: HashMap<(u8, u8), u32>,
    last: ArrayCounters,
    pub counts: MachineCounts,
}

fn rw(t: &mut RwPerType, kind: Kind) -> &mut Rw {
    match kind {
        Kind::Ifmap => &mut t.ifmap,
        Kind::Filter => &mut t.filter,
        Kind::Psum => &mut t.psum,
    }
}

fn addr(lin: &Lin, idx: &[u32], len: usize, what: &str) -> Result<usize, String> {
    let a = lin.at(idx);
    usize::try_from(a).ok().filter(|&a| a < len).ok_or_else(|| format!("{what} address {a} is outside 0..{len} (loop indices {idx:?})"))
}

/// A GLB access of `kind` at word `b` must find a bank of its kind (the hardware refuses it
/// otherwise): psums in the banks of `mask`, ifmaps in the others.
fn check_bank(mask: u32, bank_words: usize, b: usize, kind: Kind) -> Result<(), String> {
    if bank_words == 0 {
        return Ok(());
    }
    let bank = b / bank_words;
    let psum_bank = bank < 32 && mask >> bank & 1 == 1;
    if psum_bank != (kind == Kind::Psum) {
        return Err(format!("a {kind:?} access at GLB word {b} finds bank {bank} holding {}", if psum_bank { "psums" } else { "ifmaps" }));
    }
    Ok(())
}

fn holds(ranges: &[Range], idx: &[u32]) -> bool {
    ranges.iter().all(|r| r.holds(idx))
}

impl Machine {
    /// A machine with `dram` as its memory and buffers of the given sizes (words; filter
    /// words per bank).
    pub fn new(hw: &ArrayConfig, dram: Vec<i16>, buffers: &Buffers) -> Machine {
        Machine {
            dram,
            glb: vec![0; buffers.glb_words as usize],
            filt: [vec![0; buffers.filter_words as usize], vec![0; buffers.filter_words as usize]],
            active: 0,
            psum_banks: 0,
            bank_words: buffers.bank_words as usize,
            array: ArrayModel::new(hw),
            pending: None,
            drain: HashMap::new(),
            last: ArrayCounters::default(),
            counts: MachineCounts::default(),
        }
    }

    /// Runs every command of `program`.
    pub fn run(&mut self, program: &Program) -> Result<(), String> {
        for (k, cmd) in program.cmds.iter().enumerate() {
            self.step(cmd).map_err(|e| format!("command {k} ({}): {e}", name(cmd)))?;
        }
        self.finish_pass()
    }

    fn step(&mut self, cmd: &Cmd) -> Result<(), String> {
        match cmd {
            Cmd::Load { kind, space, loops, buf, skip, coded: Some(st), .. } => {
                let (values, len) = super::streams::read(&self.dram, st).map_err(|e| format!("its stream at beat {}: {e}", st.beat))?;
                let mem = if *space == Space::Glb { &mut self.glb } else { &mut self.filt[1 - self.active] };
                let at = super::streams::addresses(loops, buf, skip);
                for (&b, &v) in at.iter().zip(&values) {
                    let b = usize::try_from(b).ok().filter(|&b| b < mem.len()).ok_or_else(|| format!("buffer address {b} is outside 0..{}", mem.len()))?;
                    if *space == Space::Glb {
                        check_bank(self.psum_banks, self.bank_words, b, *kind)?;
                    }
                    mem[b] = v;
                }
                rw(&mut self.counts.dram, *kind).reads += 4 * (1 + len);
                rw(&mut self.counts.glb, *kind).writes += at.len() as u64;
                Ok(())
            }
            Cmd::Store { kind, loops, buf, relu, skip, coded: Some(st), .. } => {
                let mut values = Vec::new();
                for b in super::streams::addresses(loops, buf, skip) {
                    let b = usize::try_from(b).ok().filter(|&b| b < self.glb.len()).ok_or_else(|| format!("GLB address {b} is outside 0..{}", self.glb.len()))?;
                    check_bank(self.psum_banks, self.bank_words, b, *kind)?;
                    values.push(if *relu { self.glb[b].max(0) } else { self.glb[b] });
                }
                let len = super::streams::write(&mut self.dram, st, &values)?;
                rw(&mut self.counts.glb, *kind).reads += values.len() as u64;
                rw(&mut self.counts.dram, *kind).writes += 4 * (1 + len);
                Ok(())
            }
            Cmd::Load { kind, space, loops, dram, buf, skip, coded: None } => {
                let mut res = Ok(());
                loops.each(|i| {
                    if res.is_err() || !holds(skip, i) {
                        return;
                    }
                    res = (|| {
                        let d = addr(dram, i, self.dram.len(), "DRAM")?;
                        let mem = if *space == Space::Glb { &mut self.glb } else { &mut self.filt[1 - self.active] };
                        let b = addr(buf, i, mem.len(), "buffer")?;
                        if *space == Space::Glb {
                            check_bank(self.psum_banks, self.bank_words, b, *kind)?;
                        }
                        mem[b] = self.dram[d];
                        rw(&mut self.counts.dram, *kind).reads += 1;
                        rw(&mut self.counts.glb, *kind).writes += 1;
                        Ok(())
                    })();
                });
                res
            }
            Cmd::Store { kind, loops, dram, buf, relu, skip, coded: None } => {
                let mut res = Ok(());
                loops.each(|i| {
                    if res.is_err() || !holds(skip, i) {
                        return;
                    }
                    res = (|| {
                        let b = addr(buf, i, self.glb.len(), "GLB")?;
                        check_bank(self.psum_banks, self.bank_words, b, *kind)?;
                        let d = addr(dram, i, self.dram.len(), "DRAM")?;
                        let v = self.glb[b];
                        self.dram[d] = if *relu { v.max(0) } else { v };
                        rw(&mut self.counts.glb, *kind).reads += 1;
                        rw(&mut self.counts.dram, *kind).writes += 1;
                        Ok(())
                    })();
                });
                res
            }
            Cmd::Feed { bus, loops, buf, zero, pad, skip, row, col } => {
                let Some((_, traffic)) = self.pending.as_mut() else {
                    return Err("a feed outside a pass".into());
                };
                let (mem, kind, words) = match bus {
                    Bus::Filter => (&self.filt[self.active], Kind::Filter, &mut traffic.filt),
                    Bus::Ifmap => (&self.glb, Kind::Ifmap, &mut traffic.ifmap),
                    Bus::Psum => (&self.glb, Kind::Psum, &mut traffic.psum),
                };
                let mut res = Ok(());
                loops.each(|i| {
                    if res.is_err() || !holds(skip, i) {
                        return;
                    }
                    let data = if *zero || !holds(pad, i) {
                        0
                    } else {
                        match addr(buf, i, mem.len(), "buffer") {
                            Ok(b) => {
                                if kind != Kind::Filter {
                                    if let Err(e) = check_bank(self.psum_banks, self.bank_words, b, kind) {
                                        res = Err(e);
                                        return;
                                    }
                                }
                                rw(&mut self.counts.glb, kind).reads += 1;
                                mem[b]
                            }
                            Err(e) => {
                                res = Err(e);
                                return;
                            }
                        }
                    };
                    words.push(Word { row: row.at(i) as u8, col: col.at(i) as u8, data });
                });
                res
            }
            Cmd::Drain { pes } => {
                self.drain = pes.iter().map(|&(r, c, a)| ((r, c), a)).collect();
                Ok(())
            }
            Cmd::Ids(ids) => {
                self.finish_pass()?;
                self.array.ids = ids.clone();
                Ok(())
            }
            Cmd::Pass(cfg) => {
                self.finish_pass()?;
                self.pending = Some((*cfg, Traffic::default()));
                Ok(())
            }
            Cmd::Sync => self.finish_pass(),
            Cmd::PsumBanks(mask) => {
                self.finish_pass()?;
                self.psum_banks = *mask;
                Ok(())
            }
            Cmd::SwapFilters => {
                self.finish_pass()?;
                self.active = 1 - self.active;
                Ok(())
            }
        }
    }

    /// Runs the pending pass on the array model and drains its psums into the GLB.
    fn finish_pass(&mut self) -> Result<(), String> {
        let Some((cfg, traffic)) = self.pending.take() else {
            return Ok(());
        };
        let got = self.array.run(&cfg, &traffic)?;
        for (pe, words) in &got.out {
            let base = *self.drain.get(pe).ok_or_else(|| format!("PE {pe:?} sent psums but has no drain address"))? as usize;
            if base + words.len() > self.glb.len() {
                return Err(format!("PE {pe:?}'s psums at {base} overflow the GLB"));
            }
            for k in [base, (base + words.len()).max(1) - 1] {
                check_bank(self.psum_banks, self.bank_words, k, Kind::Psum)?;
            }
            self.glb[base..base + words.len()].copy_from_slice(words);
            self.counts.glb.psum.writes += words.len() as u64;
        }
        let (now, was) = (got.counters, self.last);
        let c = &mut self.counts;
        let d = |a: u32, b: u32| u64::from(a.wrapping_sub(b));
        c.bus_filter_words += d(now.filt_words, was.filt_words);
        c.bus_ifmap_words += d(now.ifmap_words, was.ifmap_words);
        c.bus_psum_words += d(now.psum_words, was.psum_words);
        c.filter_deliveries += d(now.filt_deliveries, was.filt_deliveries);
        c.ifmap_deliveries += d(now.ifmap_deliveries, was.ifmap_deliveries);
        c.psum_deliveries += d(now.psum_deliveries, was.psum_deliveries);
        c.out_words += d(now.out_words, was.out_words);
        c.link_transfers += d(now.link_transfers, was.link_transfers);
        c.active_pes = c.active_pes.max(now.active_pes);
        c.passes += 1;
        self.last = now;
        let mut sum = Counters::default();
        for pe in got.pe_counters.iter().flatten() {
            sum = sum.wrapping_add(pe);
        }
        c.pe = sum;
        Ok(())
    }
}

fn name(cmd: &Cmd) -> &'static str {
    match cmd {
        Cmd::Load { .. } => "load",
        Cmd::Store { .. } => "store",
        Cmd::Feed { .. } => "feed",
        Cmd::Drain { .. } => "drain",
        Cmd::Ids(_) => "ids",
        Cmd::Pass(_) => "pass",
        Cmd::Sync => "sync",
        Cmd::PsumBanks(_) => "psum banks",
        Cmd::SwapFilters => "swap filters",
    }
}

/// Every count where the machine (or the RTL, which keeps the same counters) and the mapper's
/// analytical counts differ, as `name machine vs mapper`.
pub fn differences(mc: &MachineCounts, c: &super::counts::Counts) -> Vec<String> {
    let n = &c.noc;
    let pairs = [
        ("macs", u64::from(mc.pe.macs), c.macs - c.zero_macs),
        ("ifmap bus", mc.bus_ifmap_words, n.ifmap_words),
        ("filter bus", mc.bus_filter_words, n.filter_words),
        ("psum in bus", mc.bus_psum_words, n.psum_in_words),
        ("psum out", mc.out_words, n.psum_out_words),
        ("ifmap deliveries", mc.ifmap_deliveries, n.ifmap_deliveries),
        ("filter deliveries", mc.filter_deliveries, n.filter_deliveries),
        ("links", mc.link_transfers, n.psum_link_transfers),
        ("glb ifmap r", mc.glb.ifmap.reads, c.glb.ifmap.reads),
        ("glb ifmap w", mc.glb.ifmap.writes, c.glb.ifmap.writes),
        ("glb filter r", mc.glb.filter.reads, c.glb.filter.reads),
        ("glb filter w", mc.glb.filter.writes, c.glb.filter.writes),
        ("glb psum r", mc.glb.psum.reads, c.glb.psum.reads),
        ("glb psum w", mc.glb.psum.writes, c.glb.psum.writes),
        ("spad ifmap r", u64::from(mc.pe.ifmap_spad_reads), c.spad.ifmap.reads),
        ("spad ifmap w", u64::from(mc.pe.ifmap_spad_writes), c.spad.ifmap.writes),
        ("spad filter r", u64::from(mc.pe.filt_spad_reads), c.spad.filter.reads),
        ("spad filter w", u64::from(mc.pe.filt_spad_writes), c.spad.filter.writes),
        ("spad psum r", u64::from(mc.pe.psum_spad_reads), c.spad.psum.reads),
        ("spad psum w", u64::from(mc.pe.psum_spad_writes), c.spad.psum.writes),
        ("passes", mc.passes, c.passes),
    ];
    pairs.iter().filter(|(_, a, b)| a != b).map(|(w, a, b)| format!("{w} {a} vs {b}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eyeriss::counts::DataStats;
    use crate::eyeriss::golden;
    use crate::eyeriss::layer::LayerShape;
    use crate::eyeriss::mapper::{array_mappings, evaluate, evaluate_with, plans, Hardware};
    use crate::eyeriss::program::{compile, supported};
    use rand::{Rng, SeedableRng};

    /// Runs `layer` under every supported mapping of `hw` (up to `max`), checks the output
    /// against the golden layer and returns (mapping, machine counts, mapper counts).
    fn run_layer(layer: &LayerShape, rows: usize, cols: usize, seed: u64, max: usize) -> usize {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let ifmap: Vec<i16> = (0..layer.ifmap_words()).map(|_| if rng.gen_bool(0.2) { 0 } else { rng.gen_range(-300..300) }).collect();
        let weights: Vec<i16> = (0..layer.filter_words()).map(|_| rng.gen_range(-300..300)).collect();
        let want = golden::conv(layer, &ifmap, &weights, None).unwrap();
        let hw = Hardware { rows, cols, ..Hardware::with_array(rows, cols, 4).unwrap() };
        let arr = ArrayConfig { rows: rows as u32, cols: cols as u32, pe: hw.pe.clone() };
        let buffers = Buffers { glb_words: 1 << 16, filter_words: 1 << 14, bank_words: 2048 };
        let data = DataStats { zero_macs: golden::zero_macs(layer, &ifmap), ..DataStats::dense() };
        let all_plans = plans();
        let mut ran = 0;
        for am in array_mappings(layer, &hw) {
            if supported(layer, &am, rows, cols).is_err() {
                continue;
            }
            // The best plan, or one drawn at random (other loop orders and keep levels).
            let big = Hardware { glb_banks: 64, ..hw.clone() };
            let ev = if rng.gen_bool(0.5) {
                evaluate(layer, &big, am, &data)
            } else {
                evaluate_with(layer, &big, am, &data, &[all_plans[rng.gen_range(0..all_plans.len())]])
            };
            let Some(ev) = ev else {
                continue;
            };
            let prog = compile(layer, &ev.mapping, rows, cols, &buffers).unwrap_or_else(|e| panic!("{e}"));
            let mut dram = vec![0i16; prog.dram.words as usize];
            dram[..ifmap.len()].copy_from_slice(&ifmap);
            dram[prog.dram.filters as usize..][..weights.len()].copy_from_slice(&weights);
            let mut m = Machine::new(&arr, dram, &buffers);
            m.run(&prog).unwrap_or_else(|e| panic!("{}: {:?}: {e}", layer.name, ev.mapping.array));
            let got = &m.dram[prog.dram.ofmap as usize..];
            assert_eq!(got, &want[..], "{}: {:?} {:?}", layer.name, ev.mapping.array, ev.mapping.plan);
            let mc = &m.counts;
            let c = &ev.counts;
            assert_eq!(u64::from(mc.pe.macs + mc.pe.macs_gated), c.macs, "MACs");
            assert_eq!(mc.dram, c.dram, "DRAM {:?} {:?}", ev.mapping.array, ev.mapping.plan);
            let diffs = differences(mc, c);
            assert!(diffs.is_empty(), "{}: {:?} {:?}: the machine against the mapper: {}", layer.name, ev.mapping.array, ev.mapping.plan, diffs.join("; "));
            ran += 1;
            if ran >= max {
                break;
            }
        }
        ran
    }


    // Random layers under every mapping the compiler supports (up to 40 each), on three
    // arrays: the outputs bit-exact against the golden layer, every count equal to the
    // mapper's. Covers padding, strides, groups, channel and filter tiles, strip-mining,
    // folded strips, stacked channel sets and both placements.
    #[test]
    fn layers_run_bit_exact_with_the_mappers_counts() {
        let mut total = 0;
        for (k, (rows, cols)) in [(3, 4), (6, 5), (12, 14)].into_iter().enumerate() {
            let seed = 10 * k as u64;
            let mut l = LayerShape::new("t1", 1, 2, 4, 6, 7, 3, 3);
            total += run_layer(&l, rows, cols, seed, 40);
            l.pad = 1;
            l.relu = true;
            total += run_layer(&l, rows, cols, seed + 1, 40);
            let mut l = LayerShape::new("t2", 2, 4, 4, 9, 9, 3, 3);
            l.u = 2;
            l.pad = 1;
            total += run_layer(&l, rows, cols, seed + 2, 40);
            let mut l = LayerShape::new("t3", 1, 4, 4, 8, 8, 1, 1);
            l.groups = 2;
            total += run_layer(&l, rows, cols, seed + 3, 40);
            let mut l = LayerShape::new("t4", 1, 3, 2, 12, 6, 2, 2);
            l.pad = 1;
            l.shift = 3;
            total += run_layer(&l, rows, cols, seed + 4, 40);
            let l = LayerShape::new("t5", 1, 4, 6, 7, 10, 1, 3);
            total += run_layer(&l, rows, cols, seed + 5, 40);
            // Split rows (`program::split_rows`): an even filter at stride 2 with padding, and
            // CONV1's 11 x 11 at stride 4 (on 12 x 14: strips up to 7 wide, 35-row steps).
            let mut l = LayerShape::new("t6", 1, 2, 3, 10, 9, 2, 2);
            l.u = 2;
            l.pad = 1;
            total += run_layer(&l, rows, cols, seed + 6, 40);
            let mut l = LayerShape::new("t7", 1, 1, 2, 63, 15, 11, 11);
            l.u = 4;
            total += run_layer(&l, rows, cols, seed + 7, 40);
        }
        assert!(total > 500, "{total} mappings ran");
    }

    // CONV1's chip mapping (7-wide strips at stride 4: 35 ifmap rows a step) compiles, its
    // rows tagged by (row mod 4, row div 4).
    #[test]
    fn conv1s_chip_mapping_compiles_with_split_rows() {
        let l = &crate::eyeriss::layer::alexnet(1, 8)[0];
        let chip = crate::eyeriss::mapper::chip_mapping(l).unwrap();
        assert!(crate::eyeriss::program::split_rows(l, &chip));
        supported(l, &chip, 12, 14).unwrap();
    }
}
