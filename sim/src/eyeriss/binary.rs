//! A layer program in binary: the 64-bit word stream the `eyeriss` controller fetches from
//! DRAM ([`edgertl_hdl::eyeriss::regs`] defines the word and every engine's registers).
//!
//! [`encode`] writes, per command, only the registers that differ from what that engine
//! holds from its previous command, then starts it; [`decode`] reads a stream back into
//! commands. A decoded program runs the layer exactly as the original does (the test runs
//! both on the [`super::machine::Machine`]). [`Encoded::bits`] is our counterpart of the
//! chip's 1,794-bit scan chain: the chip loads its scan chain once per layer and a host
//! sequences the passes; our stream holds every pass of the layer.
use super::program::{Cmd, Kind, Lin, Loops, Program, Range, Space, Stream, MAX_LOOPS};
use crate::array::model::{ArrayIds, Bus};
use edgertl_hdl::array::{id_bits, PeIds, RowIds};
use edgertl_hdl::eyeriss::feed::cfg as feed;
use edgertl_hdl::eyeriss::regs::{self, *};
use edgertl_hdl::eyeriss::{walker, xfer};
use edgertl_hdl::pe::PassConfig;
use std::collections::HashMap;

/// An encoded program and what it is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    pub words: Vec<u64>,
    /// Register writes, engine starts (passes included), syncs.
    pub writes: u64,
    pub starts: u64,
    pub syncs: u64,
}

impl Encoded {
    pub fn bits(&self) -> u64 {
        64 * self.words.len() as u64
    }
}

fn bus_target(bus: Bus) -> u64 {
    match bus {
        Bus::Filter => FEED_FILTER,
        Bus::Ifmap => FEED_IFMAP,
        Bus::Psum => FEED_PSUM,
    }
}

fn kind_code(k: Kind) -> u32 {
    match k {
        Kind::Ifmap => 0,
        Kind::Filter => 1,
        Kind::Psum => 2,
    }
}

fn i32_of(v: i64, what: &str) -> Result<u32, String> {
    i32::try_from(v)
        .map(|v| v as u32)
        .map_err(|_| format!("{what} {v} does not fit 32 bits"))
}

fn target_name(target: u64) -> &'static str {
    match target {
        LOAD => "load engine",
        STORE => "store engine",
        FEED_FILTER => "filter feed",
        FEED_IFMAP => "ifmap feed",
        FEED_PSUM => "psum feed",
        _ => "engine",
    }
}

/// The least and the greatest value of `base + sum(i[k] * strides[k])` over the index box
/// `counts` (`None` when the box is empty).
fn span(counts: &[u32; MAX_LOOPS], base: i64, strides: &[i64; MAX_LOOPS]) -> Option<(i64, i64)> {
    if counts.contains(&0) {
        return None;
    }
    let (mut lo, mut hi) = (base, base);
    for (&n, &s) in counts.iter().zip(strides) {
        let reach = i64::from(n - 1) * s;
        lo += reach.min(0);
        hi += reach.max(0);
    }
    Some((lo, hi))
}

struct Encoder {
    /// Every register's value as the hardware holds it (reset: 0).
    held: HashMap<(u64, u64), u32>,
    out: Encoded,
}

impl Encoder {
    fn write(&mut self, target: u64, addr: u64, data: u32) {
        if self.held.get(&(target, addr)).copied().unwrap_or(0) != data {
            self.held.insert((target, addr), data);
            self.out
                .words
                .push(regs::word(target, OP_WRITE, addr, data));
            self.out.writes += 1;
        }
    }

    fn start(&mut self, target: u64, data: u32) {
        self.out.words.push(regs::word(target, OP_START, 0, data));
        self.out.starts += 1;
    }

    /// A loop nest and its lanes (named `names`) on an engine's walker (the nest at the inner
    /// levels), whose lanes are `bits` wide: below 32, every value a lane takes over the loop
    /// box must fit `bits`-bit two's complement (the walker sign-extends it).
    fn walk(
        &mut self,
        target: u64,
        loops: &Loops,
        lanes: &[&Lin],
        names: &[&str],
        bits: usize,
    ) -> Result<(), String> {
        let n = loops.0.len();
        if n > MAX_LOOPS {
            return Err(format!("{n} loops (the walker has {MAX_LOOPS})"));
        }
        let outer = MAX_LOOPS - n;
        for k in 0..MAX_LOOPS {
            let count = if k < outer { 1 } else { loops.0[k - outer] };
            if count > 0xffff {
                return Err(format!("a loop of {count} iterations (16-bit counts)"));
            }
            self.write(target, walker_count(k as u64), count);
        }
        let counts: [u32; MAX_LOOPS] =
            std::array::from_fn(|k| if k < outer { 1 } else { loops.0[k - outer] });
        for (f, lin) in lanes.iter().enumerate() {
            self.write(target, walker_base(f as u64), i32_of(lin.base, "a base")?);
            let mut strides = [0i64; MAX_LOOPS];
            for (k, s) in strides.iter_mut().enumerate().skip(outer) {
                *s = lin.strides.get(k - outer).copied().unwrap_or(0);
                i32_of(*s, "a stride")?;
            }
            if let Some((lo, hi)) = span(&counts, lin.base, &strides) {
                let half = 1i64 << (bits - 1);
                if bits < 32 && (lo < -half || hi >= half) {
                    return Err(format!(
                        "the {}'s lane `{}` takes values {lo}..={hi} over its loops {:?}: they do not fit the walker's {bits}-bit lanes ({}..={})",
                        target_name(target),
                        names[f],
                        loops.0,
                        -half,
                        half - 1
                    ));
                }
            }
            // The walker adds the advancing level's jump; a level of count 0 or 1 never
            // advances, so its jump register keeps whatever it holds.
            for (k, jump) in walker::jumps(&counts, &strides).into_iter().enumerate() {
                if counts[k] > 1 {
                    self.write(target, walker_jump(f as u64, k as u64), jump);
                }
            }
        }
        Ok(())
    }

    /// A load or a store: its walker, its skip range and its mode.
    fn transfer(&mut self, target: u64, t: Transfer) -> Result<(), String> {
        let zero = Lin::default();
        let range = match t.skip {
            [] => None,
            [r] => Some(r),
            _ => {
                return Err(format!(
                    "{} skip ranges (a transfer engine has one)",
                    t.skip.len()
                ))
            }
        };
        self.walk(
            target,
            t.loops,
            &[t.dram, t.buf, range.map_or(&zero, |r| &r.lin)],
            &["dram", "buf", "skip"],
            xfer::LANE_BITS,
        )?;
        let (lo, hi) = range.map_or((0, 0), |r| (r.lo, r.hi));
        self.write(target, XFER_LO, i32_of(lo, "a range bound")?);
        self.write(target, XFER_HI, i32_of(hi, "a range bound")?);
        if let Some(s) = t.coded {
            let values = u32::try_from(s.values).ok().filter(|&n| n < 1 << 17).ok_or_else(|| format!("a coded transfer of {} words (the decoder counts 17 bits)", s.values))?;
            let beat = u32::try_from(s.beat).ok().filter(|&b| b < 1 << 30).ok_or_else(|| format!("a stream at beat {} (30-bit beats)", s.beat))?;
            self.write(target, XFER_VALUES, values);
            self.write(target, XFER_STREAM, beat);
        }
        self.write(
            target,
            XFER_MODE,
            u32::from(range.is_some())
                | u32::from(t.flag) << 1
                | kind_code(t.kind) << 2
                | u32::from(t.coded.is_some()) << 4,
        );
        self.start(target, 0);
        Ok(())
    }

    fn cmd(&mut self, cmd: &Cmd) -> Result<(), String> {
        match cmd {
            Cmd::Load {
                kind,
                space,
                loops,
                dram,
                buf,
                skip,
                coded,
            } => self.transfer(
                LOAD,
                Transfer {
                    kind: *kind,
                    flag: *space == Space::Filter,
                    loops,
                    dram,
                    buf,
                    skip,
                    coded: *coded,
                },
            ),
            Cmd::Store {
                kind,
                loops,
                dram,
                buf,
                relu,
                skip,
                coded,
            } => self.transfer(
                STORE,
                Transfer {
                    kind: *kind,
                    flag: *relu,
                    loops,
                    dram,
                    buf,
                    skip,
                    coded: *coded,
                },
            ),
            Cmd::Feed {
                bus,
                loops,
                buf,
                zero,
                pad,
                skip,
                row,
                col,
            } => {
                let target = bus_target(*bus);
                let ranges: Vec<(&Range, bool)> = pad
                    .iter()
                    .map(|r| (r, false))
                    .chain(skip.iter().map(|r| (r, true)))
                    .collect();
                if ranges.len() > 2 {
                    return Err(format!(
                        "a feed with {} ranges (the engine has two)",
                        ranges.len()
                    ));
                }
                let none = Lin::default();
                let lane = |k: usize| ranges.get(k).map_or(&none, |(r, _)| &r.lin);
                self.walk(
                    target,
                    loops,
                    &[buf, row, col, lane(0), lane(1)],
                    &["buf", "row", "col", "range 0", "range 1"],
                    edgertl_hdl::eyeriss::feed::LANE_BITS,
                )?;
                let mut mode = if *zero { feed::ZERO } else { 0 };
                for (k, (r, is_skip)) in ranges.iter().enumerate() {
                    self.write(target, feed::RANGE_LO[k], i32_of(r.lo, "a range bound")?);
                    self.write(target, feed::RANGE_HI[k], i32_of(r.hi, "a range bound")?);
                    mode |= feed::RANGE_ON[k] | if *is_skip { feed::RANGE_SKIP[k] } else { 0 };
                }
                self.write(target, feed::MODE, mode as u32);
                self.start(target, 0);
                Ok(())
            }
            Cmd::Drain { pes } => {
                for &(r, c, a) in pes {
                    if r > 15 || c > 15 || a > 0xffff {
                        return Err(format!("a drain pointer for PE ({r}, {c}) at {a}"));
                    }
                    // Pointers move as psums are written: always written, never assumed.
                    self.held
                        .remove(&(DRAIN, (u64::from(r) << 4) | u64::from(c)));
                    self.write(DRAIN, (u64::from(r) << 4) | u64::from(c), a);
                }
                Ok(())
            }
            Cmd::Ids(ids) => {
                for (r, row) in ids.rows.iter().enumerate() {
                    self.write(IDS, 0x100 | r as u64, u32::from(row.word()));
                }
                for (r, pes) in ids.pes.iter().enumerate() {
                    for (c, pe) in pes.iter().enumerate() {
                        self.write(IDS, (r as u64) << 4 | c as u64, u32::from(pe.word()));
                    }
                }
                Ok(())
            }
            Cmd::Pass(p) => {
                self.start(PASS, pass_word(p)?);
                Ok(())
            }
            Cmd::Sync => {
                self.out.words.push(regs::word(CTRL, OP_SYNC, 0, 0));
                self.out.syncs += 1;
                Ok(())
            }
            Cmd::PsumBanks(mask) => {
                self.write(CTRL, CTRL_PSUM_BANKS, *mask);
                Ok(())
            }
            Cmd::SwapFilters => {
                // An action, not a value: always written.
                self.held.remove(&(CTRL, CTRL_SWAP_FILTERS));
                self.write(CTRL, CTRL_SWAP_FILTERS, 1);
                Ok(())
            }
        }
    }
}

struct Transfer<'a> {
    kind: Kind,
    /// The filter buffer (a load), ReLU (a store).
    flag: bool,
    loops: &'a Loops,
    dram: &'a Lin,
    buf: &'a Lin,
    skip: &'a [Range],
    /// A coded transfer's stream.
    coded: Option<Stream>,
}

fn pass_word(p: &PassConfig) -> Result<u32, String> {
    let fields = [
        (p.s, 4, "S"),
        (p.u, 4, "U"),
        (p.p, 5, "p"),
        (p.q, 4, "q"),
        (p.e, 8, "e"),
        (p.shift, 5, "shift"),
    ];
    let (mut w, mut at) = (0u32, 0);
    for (v, width, name) in fields {
        if v >= 1 << width {
            return Err(format!("pass {name} = {v} does not fit {width} bits"));
        }
        w |= v << at;
        at += width;
    }
    Ok(w)
}

fn pass_of(w: u32) -> PassConfig {
    let f = |at: u32, width: u32| (w >> at) & ((1 << width) - 1);
    PassConfig {
        s: f(0, 4),
        u: f(4, 4),
        p: f(8, 5),
        q: f(13, 4),
        e: f(17, 8),
        shift: f(25, 5),
    }
}

/// Encodes a program for an array of `rows` x `cols` PEs (its `Ids` commands are that big).
pub fn encode(program: &Program) -> Result<Encoded, String> {
    let mut e = Encoder {
        held: HashMap::new(),
        out: Encoded {
            words: Vec::new(),
            writes: 0,
            starts: 0,
            syncs: 0,
        },
    };
    for (k, cmd) in program.cmds.iter().enumerate() {
        e.cmd(cmd).map_err(|why| format!("command {k}: {why}"))?;
    }
    e.out.words.push(regs::word(CTRL, OP_END, 0, 0));
    Ok(e.out)
}

/// Reads a word stream back into commands, for an array of `rows` x `cols` PEs.
pub fn decode(words: &[u64], rows: usize, cols: usize) -> Result<Vec<Cmd>, String> {
    let mut held: HashMap<(u64, u64), u32> = HashMap::new();
    let get =
        |held: &HashMap<(u64, u64), u32>, t: u64, a: u64| held.get(&(t, a)).copied().unwrap_or(0);
    let walk = |held: &HashMap<(u64, u64), u32>, t: u64, lanes: usize| -> (Loops, Vec<Lin>) {
        let loops = Loops(
            (0..MAX_LOOPS as u64)
                .map(|k| get(held, t, walker_count(k)))
                .collect(),
        );
        let counts: [u32; MAX_LOOPS] = std::array::from_fn(|k| loops.0[k]);
        let lins = (0..lanes as u64)
            .map(|f| Lin {
                base: i64::from(get(held, t, walker_base(f)) as i32),
                strides: walker::strides(
                    &counts,
                    &std::array::from_fn(|k| get(held, t, walker_jump(f, k as u64))),
                )
                .to_vec(),
            })
            .collect();
        (loops, lins)
    };
    let signed =
        |held: &HashMap<(u64, u64), u32>, t: u64, a: u64| i64::from(get(held, t, a) as i32);
    let mut cmds = Vec::new();
    let mut ids: Option<ArrayIds> = None;
    let mut drain: Vec<(u8, u8, u32)> = Vec::new();
    let mut last_ids = ArrayIds {
        rows: vec![RowIds::default(); rows],
        pes: vec![vec![PeIds::default(); cols]; rows],
    };
    for (k, &w) in words.iter().enumerate() {
        let (target, op, addr, data) = regs::fields(w);
        // A run of ID or drain writes ends at the first other word.
        if target != IDS || op != OP_WRITE {
            if let Some(i) = ids.take() {
                cmds.push(Cmd::Ids(i));
            }
        }
        if (target != DRAIN || op != OP_WRITE) && !drain.is_empty() {
            cmds.push(Cmd::Drain { pes: std::mem::take(&mut drain) });
        }
        match (target, op) {
            (CTRL, OP_SYNC) => cmds.push(Cmd::Sync),
            (CTRL, OP_WRITE) if addr == CTRL_PSUM_BANKS => cmds.push(Cmd::PsumBanks(data)),
            (CTRL, OP_WRITE) if addr == CTRL_SWAP_FILTERS => cmds.push(Cmd::SwapFilters),
            (CTRL, OP_END) => {
                if k + 1 != words.len() {
                    return Err(format!("word {k}: words after the end"));
                }
                return Ok(cmds);
            }
            (DRAIN, OP_WRITE) => drain.push(((addr >> 4) as u8 & 15, addr as u8 & 15, data)),
            (IDS, OP_WRITE) => {
                let i = ids.get_or_insert_with(|| last_ids.clone());
                let (r, c) = if addr & 0x100 != 0 {
                    (addr as usize & 15, 0)
                } else {
                    ((addr as usize >> 4) & 15, addr as usize & 15)
                };
                if r >= rows || c >= cols {
                    return Err(format!(
                        "word {k}: IDs of PE ({r}, {c}) outside a {rows} x {cols} array"
                    ));
                }
                if addr & 0x100 != 0 {
                    i.rows[r] = row_ids(data as u16);
                } else {
                    i.pes[r][c] = pe_ids(data as u16);
                }
                last_ids = i.clone();
            }
            (PASS, OP_START) => cmds.push(Cmd::Pass(pass_of(data))),
            (t, OP_WRITE) if t != CTRL && t != PASS => {
                held.insert((t, addr), data);
            }
            (LOAD | STORE, OP_START) => {
                let (loops, lins) = walk(&held, target, 3);
                let mode = get(&held, target, XFER_MODE);
                let skip = if mode & 1 != 0 {
                    vec![Range {
                        lin: lins[2].clone(),
                        lo: signed(&held, target, XFER_LO),
                        hi: signed(&held, target, XFER_HI),
                    }]
                } else {
                    vec![]
                };
                let kind = match (mode >> 2) & 3 {
                    0 => Kind::Ifmap,
                    1 => Kind::Filter,
                    2 => Kind::Psum,
                    x => return Err(format!("word {k}: data type {x}")),
                };
                let flag = mode & 2 != 0;
                let coded = (mode & 16 != 0).then(|| Stream {
                    beat: u64::from(get(&held, target, XFER_STREAM)),
                    values: u64::from(get(&held, target, XFER_VALUES)),
                });
                let (dram, buf) = (lins[0].clone(), lins[1].clone());
                cmds.push(if target == LOAD {
                    Cmd::Load {
                        kind,
                        space: if flag { Space::Filter } else { Space::Glb },
                        loops,
                        dram,
                        buf,
                        skip,
                        coded,
                    }
                } else {
                    Cmd::Store {
                        kind,
                        loops,
                        dram,
                        buf,
                        relu: flag,
                        skip,
                        coded,
                    }
                });
            }
            (FEED_FILTER | FEED_IFMAP | FEED_PSUM, OP_START) => {
                let (loops, lins) = walk(&held, target, 5);
                let mode = u64::from(get(&held, target, feed::MODE));
                let (mut pad, mut skip) = (Vec::new(), Vec::new());
                for r in 0..2 {
                    if mode & feed::RANGE_ON[r] != 0 {
                        let range = Range {
                            lin: lins[3 + r].clone(),
                            lo: signed(&held, target, feed::RANGE_LO[r]),
                            hi: signed(&held, target, feed::RANGE_HI[r]),
                        };
                        if mode & feed::RANGE_SKIP[r] != 0 {
                            skip.push(range)
                        } else {
                            pad.push(range)
                        }
                    }
                }
                let bus = match target {
                    FEED_FILTER => Bus::Filter,
                    FEED_IFMAP => Bus::Ifmap,
                    _ => Bus::Psum,
                };
                let (buf, row, col) = (lins[0].clone(), lins[1].clone(), lins[2].clone());
                cmds.push(Cmd::Feed {
                    bus,
                    loops,
                    buf,
                    zero: mode & feed::ZERO != 0,
                    pad,
                    skip,
                    row,
                    col,
                });
            }
            _ => return Err(format!("word {k}: target {target} has no op {op}")),
        }
    }
    Err("the program has no end word".into())
}

fn row_ids(w: u16) -> RowIds {
    let f = |at: u32| ((w >> at) & 15) as u8;
    RowIds {
        filt: f(id_bits::ROW_FILT),
        ifmap: f(id_bits::ROW_IFMAP),
        psum: f(id_bits::ROW_PSUM),
    }
}

fn pe_ids(w: u16) -> PeIds {
    PeIds {
        filt_col: ((w >> id_bits::FILT_COL) & 15) as u8,
        ifmap_col: ((w >> id_bits::IFMAP_COL) & 31) as u8,
        psum_col: ((w >> id_bits::PSUM_COL) & 15) as u8,
        link: w >> id_bits::LINK & 1 != 0,
        enable: w >> id_bits::ENABLE & 1 != 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eyeriss::counts::DataStats;
    use crate::eyeriss::golden;
    use crate::eyeriss::layer::LayerShape;
    use crate::eyeriss::machine::Machine;
    use crate::eyeriss::mapper::{array_mappings, evaluate, Hardware};
    use crate::eyeriss::program::{compile, supported, Buffers};
    use edgertl_hdl::array::ArrayConfig;
    use rand::{Rng, SeedableRng};

    // Layers (padding, strides, groups, psum spills) under several mappings each: the program
    // read back from its words runs the layer to the same DRAM and the same counts as the
    // program itself, and its words are fewer than a naive stream that writes every register.
    #[test]
    fn programs_read_back_run_the_same() {
        let (rows, cols) = (6, 5);
        let hw = Hardware {
            glb_banks: 64,
            ..Hardware::with_array(rows, cols, 4).unwrap()
        };
        let arr = ArrayConfig {
            rows: rows as u32,
            cols: cols as u32,
            pe: hw.pe.clone(),
        };
        let buffers = Buffers {
            glb_words: 1 << 16,
            filter_words: 1 << 14,
            bank_words: 2048,
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let mut layers = vec![
            LayerShape::new("a", 1, 2, 4, 6, 7, 3, 3),
            LayerShape::new("b", 2, 4, 4, 9, 9, 3, 3),
        ];
        layers[0].pad = 1;
        layers[0].relu = true;
        layers[1].u = 2;
        layers[1].pad = 1;
        let mut g = LayerShape::new("c", 1, 4, 4, 8, 8, 1, 1);
        g.groups = 2;
        layers.push(g);
        let mut ran = 0;
        for layer in &layers {
            let ifmap: Vec<i16> = (0..layer.ifmap_words())
                .map(|_| rng.gen_range(-300..300))
                .collect();
            let weights: Vec<i16> = (0..layer.filter_words())
                .map(|_| rng.gen_range(-300..300))
                .collect();
            let data = DataStats {
                zero_macs: golden::zero_macs(layer, &ifmap),
                ..DataStats::dense()
            };
            for am in array_mappings(layer, &hw)
                .into_iter()
                .filter(|m| supported(layer, m, rows, cols).is_ok())
                .take(6)
            {
                let Some(ev) = evaluate(layer, &hw, am, &data) else {
                    continue;
                };
                let prog = compile(layer, &ev.mapping, rows, cols, &buffers).unwrap();
                let enc = encode(&prog).unwrap();
                let back = Program {
                    cmds: decode(&enc.words, rows, cols).unwrap(),
                    ..prog.clone()
                };
                let run = |p: &Program| {
                    let mut dram = vec![0i16; p.dram.words as usize];
                    dram[..ifmap.len()].copy_from_slice(&ifmap);
                    dram[p.dram.filters as usize..][..weights.len()].copy_from_slice(&weights);
                    let mut m = Machine::new(&arr, dram, &buffers);
                    m.run(p).unwrap();
                    (m.dram, m.counts)
                };
                let (want, got) = (run(&prog), run(&back));
                assert_eq!(got.0, want.0, "{}: DRAM", layer.name);
                assert_eq!(got.1, want.1, "{}: counts", layer.name);
                let feeds = prog
                    .cmds
                    .iter()
                    .filter(|c| matches!(c, Cmd::Feed { .. }))
                    .count() as u64;
                assert!(
                    enc.writes < feeds * 46,
                    "{}: {} writes for {feeds} feeds: the stream is not delta-coded",
                    layer.name,
                    enc.writes
                );
                assert_eq!(
                    enc.syncs as usize,
                    prog.cmds.iter().filter(|c| **c == Cmd::Sync).count(),
                    "{}",
                    layer.name
                );
                assert!(enc.starts >= prog.passes, "{}", layer.name);
                ran += 1;
            }
        }
        assert!(ran >= 12, "{ran} programs");
    }

    // The feeds' walkers have 17-bit lanes: a command whose lane leaves -65536..=65535
    // anywhere in its loop box is refused with the command, the engine and the lane named;
    // one that stays inside (at either end) is encoded.
    #[test]
    fn lanes_that_do_not_fit_the_walker_are_refused() {
        let layer = LayerShape::new("a", 1, 2, 4, 6, 7, 3, 3);
        let hw = Hardware {
            glb_banks: 64,
            ..Hardware::with_array(6, 5, 4).unwrap()
        };
        let buffers = Buffers {
            glb_words: 1 << 16,
            filter_words: 1 << 14,
            bank_words: 2048,
        };
        let prog = array_mappings(&layer, &hw)
            .into_iter()
            .filter(|m| supported(&layer, m, 6, 5).is_ok())
            .filter_map(|m| evaluate(&layer, &hw, m, &DataStats::dense()))
            .find_map(|ev| compile(&layer, &ev.mapping, 6, 5, &buffers).ok())
            .expect("a mapping");
        encode(&prog).unwrap();
        let (k, reach) = prog
            .cmds
            .iter()
            .enumerate()
            .find_map(|(k, c)| match c {
                Cmd::Feed { loops, col, .. } if loops.0.iter().all(|&n| n > 0) => {
                    let counts: [u32; MAX_LOOPS] = std::array::from_fn(|i| loops.0[i]);
                    let strides: [i64; MAX_LOOPS] =
                        std::array::from_fn(|i| col.strides.get(i).copied().unwrap_or(0));
                    span(&counts, 0, &strides).map(|(lo, hi)| (k, (lo, hi)))
                }
                _ => None,
            })
            .expect("a feed");
        let with_col_base = |base: i64| {
            let mut p = prog.clone();
            if let Cmd::Feed { col, .. } = &mut p.cmds[k] {
                col.base = base;
            }
            encode(&p)
        };
        // The column lane's values are base + lo ..= base + hi.
        with_col_base(65535 - reach.1).unwrap();
        with_col_base(-65536 - reach.0).unwrap();
        for base in [65536 - reach.1, -65537 - reach.0] {
            let err = with_col_base(base).unwrap_err();
            assert!(
                err.starts_with(&format!("command {k}: the "))
                    && err.contains("feed's lane `col` takes values")
                    && err.contains("17-bit lanes"),
                "{err}"
            );
        }
    }

    #[test]
    fn malformed_streams_are_refused() {
        assert!(decode(&[], 3, 4).unwrap_err().contains("no end word"));
        let end = regs::word(CTRL, OP_END, 0, 0);
        assert!(decode(&[end, end], 3, 4)
            .unwrap_err()
            .contains("after the end"));
        assert!(decode(&[regs::word(CTRL, OP_START, 0, 0), end], 3, 4)
            .unwrap_err()
            .contains("no op"));
        assert!(decode(&[regs::word(IDS, OP_WRITE, 0x55, 1), end], 3, 4)
            .unwrap_err()
            .contains("outside"));
        assert!(pass_word(&PassConfig {
            s: 16,
            u: 1,
            p: 1,
            q: 1,
            e: 1,
            shift: 0
        })
        .is_err());
    }
}
