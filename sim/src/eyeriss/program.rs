//! The accelerator's layer program: what the controller of the `eyeriss` unit runs, and the
//! compiler that turns a mapped layer ([`super::mapper`]) into it.
//!
//! The controller has no knowledge of convolutions. It runs a list of commands, each handed
//! to one engine that walks a nest of up to [`MAX_LOOPS`] counted loops:
//!
//! | command | engine | what it moves |
//! |---|---|---|
//! | [`Cmd::Load`] | DRAM reader | DRAM words into the global buffer (GLB) or the filter buffer |
//! | [`Cmd::Store`] | DRAM writer | GLB words to DRAM, optionally through ReLU |
//! | [`Cmd::Feed`] | one per input network | buffer words (or zeros) onto a bus, with their (row, col) tags |
//! | [`Cmd::Drain`] | output network | sets the GLB address each output PE's psums are written to |
//! | [`Cmd::Ids`], [`Cmd::Pass`] | array port | the array's ID words and the PEs' pass configuration |
//!
//! Every address, tag and predicate an engine needs is an affine function ([`Lin`]) of its
//! loop indices: a base and one stride per loop, which the hardware keeps as one running sum
//! per loop level (no multiplier). Two predicates, also affine, cover what is not a plain box:
//! `pad` (a word outside the ifmap reads as zero and costs no buffer read: zero padding) and
//! `skip` (the iteration sends nothing: the narrower last strip of a folded PE set).
//!
//! Addresses count 16-bit words: DRAM holds the ifmap `(N, C, H, W)` at 0, the filters
//! `(M, C/G, R, S)` after it and the ofmap `(N, M, E, F)` after them ([`DramLayout`]); psums
//! that spill before the last channel tile go to the ofmap's own place and come back from
//! there.
//!
//! **Run-length coding** (per layer: [`LayerShape::rlc_in`], [`LayerShape::rlc_out`]): a
//! coded ifmap load reads its words, in its walk order, from a run-length coded stream of its
//! own, and a coded output store (the last channel tile's, after ReLU) writes its words to one;
//! psums that spill and come back stay raw. Each stream has its own place after the tensors
//! ([`DramLayout::streams`], the coder's worst case reserved: [`Stream::reserved_beats`]);
//! the host codes the inputs into them and decodes the outputs from them
//! ([`super::streams`]).
//!
//! # How a layer is compiled (row stationary)
//! The passes loop over image, filter, channel tiles and E steps in the mapping's plan order.
//! Each data type has a *region* in the buffer, the data of the loops from its keep level in
//! (see [`super::mapper::DramPlan`]); it is loaded from DRAM when the indices of the loops
//! outside it change (psums: stored first, and loaded back only if stored before), so the
//! DRAM traffic is the mapper's by construction. Within a pass (one E step):
//! - **Placement**: a *chain* is one strip of one fold copy of one filter set: `R * r` rows
//!   (the `r` channel sets stacked, so the links add their sums) by `strip` columns. Chains
//!   fill a column slot's bands top down, then the next column slot. The compiler supports
//!   placements with one column slot, or one chain per column slot, where a chain's position
//!   is affine in its index (every AlexNet mapping of the chip is of that kind).
//! - **IDs**: row IDs filter = position in the chain (`ri*R + i`), ifmap = channel set `ri`,
//!   psum = chain slot in the column; PE IDs filter column = filter set `ti`, ifmap column =
//!   the ifmap row it needs within the step (`y = (fi*strip + j)*U + i`), psum column = the
//!   PE's column; link on all but a chain's bottom row.
//! - **Split rows** (strided layers, [`split_rows`]): the ifmap column ID has 5 bits, so a
//!   step may read at most 32 rows by their row in the step (CONV1's 7-wide strips at U = 4
//!   read 35). Instead, row `y` is tagged (`ri*U + y mod U`, `y div U`): the PEs that need
//!   row `y` (every `(i, j)` with `j*U + i = y`) share `i mod U`, which is their array row's,
//!   so the row ID becomes `ri*U + i mod U` and the column ID `fi*strip + j + i div U`. The
//!   feed walks the row as two loops (`y div U`, `y mod U`), skipping rows past the window;
//!   the same words go to the same PEs in the same order, so every count is unchanged.
//! - **Filters** go to every fold copy at once (multicast on the filter row ID and the set);
//!   **ifmap rows** go to their diagonals in every filter set at once; **psums** go to the
//!   bottom row of each chain (zeros in the first channel tile) and leave from its top row into
//!   the psum region, chain-major: `((chain*strip + j)*F + x)*p + f`.
use super::layer::LayerShape;
use super::mapper::{ArrayMapping, Mapping};
use crate::array::model::{ArrayIds, Bus};
use edgertl_hdl::array::{PeIds, RowIds};
use edgertl_hdl::pe::PassConfig;
use serde::{Deserialize, Serialize};

/// Loop levels an engine walks.
pub const MAX_LOOPS: usize = 6;

/// An affine function of an engine's loop indices: `base + sum(i[k] * strides[k])`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lin {
    pub base: i64,
    pub strides: Vec<i64>,
}

impl Lin {
    pub fn new(base: i64, strides: &[i64]) -> Lin {
        Lin { base, strides: strides.to_vec() }
    }
    pub fn at(&self, idx: &[u32]) -> i64 {
        self.base + self.strides.iter().zip(idx).map(|(s, &i)| s * i64::from(i)).sum::<i64>()
    }
}

/// A nest of counted loops, outermost first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loops(pub Vec<u32>);

impl Loops {
    /// Every index vector, last loop fastest.
    pub fn each(&self, mut f: impl FnMut(&[u32])) {
        if self.0.contains(&0) {
            return;
        }
        let mut idx = vec![0u32; self.0.len()];
        loop {
            f(&idx);
            let mut k = self.0.len();
            loop {
                if k == 0 {
                    return;
                }
                k -= 1;
                idx[k] += 1;
                if idx[k] < self.0[k] {
                    break;
                }
                idx[k] = 0;
            }
        }
    }
    pub fn iterations(&self) -> u64 {
        self.0.iter().map(|&n| u64::from(n)).product()
    }
}

/// Which buffer a transfer or a feed uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Space {
    /// The ifmap/psum banks.
    Glb,
    /// The filter buffer.
    Filter,
}

/// The data type a transfer carries (for the counters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    Ifmap,
    Filter,
    Psum,
}

/// A predicate `lo <= lin < hi` (false: the word is padding, or the iteration is skipped).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    pub lin: Lin,
    pub lo: i64,
    pub hi: i64,
}

impl Range {
    pub fn holds(&self, idx: &[u32]) -> bool {
        (self.lo..self.hi).contains(&self.lin.at(idx))
    }
}

/// One command of a layer program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cmd {
    /// DRAM to a buffer: word `dram(i)` to `buf(i)` for every index `i` of `loops`.
    /// Iterations where a `skip` range fails move nothing. `coded`: the words come from a
    /// run-length coded stream instead (in index order; `dram` then says where the host's raw
    /// words are, which it codes into the stream).
    Load { kind: Kind, space: Space, loops: Loops, dram: Lin, buf: Lin, skip: Vec<Range>, coded: Option<Stream> },
    /// The GLB to DRAM, through ReLU when `relu` (`skip` as for `Load`). `coded`: the words go
    /// to a run-length coded stream instead (`dram` then says where they belong, for the host
    /// that decodes it).
    Store { kind: Kind, loops: Loops, dram: Lin, buf: Lin, relu: bool, skip: Vec<Range>, coded: Option<Stream> },
    /// Words onto an input bus: from `buf(i)` (the filter buffer for the filter bus, the GLB
    /// otherwise), or zero without a read where `zero` or outside every `pad` range; no word
    /// where a `skip` range fails; tag (`row(i)`, `col(i)`).
    Feed { bus: Bus, loops: Loops, buf: Lin, zero: bool, pad: Vec<Range>, skip: Vec<Range>, row: Lin, col: Lin },
    /// The GLB address the next psum out of PE (row, col) goes to (each word then the next).
    Drain { pes: Vec<(u8, u8, u32)> },
    /// The array's IDs (written as its row and PE ID words).
    Ids(ArrayIds),
    /// Starts a pass on the enabled PEs.
    Pass(PassConfig),
    /// Waits until every engine has finished and the array is idle (the pass boundary).
    Sync,
    /// The GLB banks that hold psums (bit k: bank k); the others hold ifmaps.
    PsumBanks(u32),
    /// Exchanges the two filter banks: the bank loads wrote becomes the one feeds read.
    SwapFilters,
}

/// A coded transfer's run-length coded stream ([`edgertl_hdl::eyeriss`]'s module docs): its
/// first beat (the length beat; the coded words follow) and the values it holds (N, the words
/// the command moves).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stream {
    pub beat: u64,
    pub values: u64,
}

impl Stream {
    /// Beats reserved for a stream of `values` values: the length beat and the worst case of
    /// the coder (a pair per value, three pairs a word; one word when empty).
    pub fn reserved_beats(values: u64) -> u64 {
        1 + values.div_ceil(3).max(1)
    }
}

/// Where the layer's tensors sit in DRAM (16-bit word addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DramLayout {
    pub ifmap: u64,
    pub filters: u64,
    pub ofmap: u64,
    /// The end of the ofmap: the tensors are `0 .. tensors`.
    pub tensors: u64,
    /// The coded transfers' streams from here (a beat boundary) to `words`.
    pub streams: u64,
    pub words: u64,
}

impl DramLayout {
    pub fn of(layer: &LayerShape) -> DramLayout {
        let filters = layer.ifmap_words();
        let ofmap = filters + layer.filter_words();
        let tensors = ofmap + layer.ofmap_words();
        DramLayout { ifmap: 0, filters, ofmap, tensors, streams: tensors.next_multiple_of(4), words: tensors }
    }
}

/// A compiled layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub cmds: Vec<Cmd>,
    pub dram: DramLayout,
    /// Passes run.
    pub passes: u64,
    /// GLB words used by the ifmap and the psum regions, filter buffer words used.
    pub glb_ifmap_words: u64,
    pub glb_psum_words: u64,
    pub filter_words: u64,
}

/// The buffers a program may use (16-bit words).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Buffers {
    pub glb_words: u64,
    /// Words of one filter bank (loads write one bank while feeds read the other).
    pub filter_words: u64,
    /// Words of one GLB bank: a bank holds ifmaps or psums, never both, so the psum region
    /// starts on a bank boundary. 0: no banks (one region after the other).
    pub bank_words: u64,
}

/// Why a mapping cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("layer {layer}: cannot compile the mapping: {why}")]
pub struct CompileError {
    pub layer: String,
    pub why: String,
}

/// Where the chains of a pass sit: chain `k` starts at row `row0 + k*dr` and column
/// `k*dc` (one column slot: `dc = 0`; one chain per column slot: `dr = 0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    pub chain_rows: usize,
    pub chains: usize,
    /// Row step and column step from one chain to the next.
    pub dr: usize,
    pub dc: usize,
}

/// The placement of a mapping on a `rows` x `cols` array, or why there is none.
pub fn placement(layer: &LayerShape, a: &ArrayMapping, rows: usize, cols: usize) -> Result<Placement, String> {
    let mg = layer.m_per_group();
    let cg = layer.c_per_group();
    let (t, r) = (a.t.min(mg), a.r.min(cg));
    let chain_rows = layer.r * r;
    let chains = a.fold * t;
    if chain_rows > rows || a.strip > cols {
        return Err(format!("a {chain_rows} x {} chain does not fit {rows} x {cols}", a.strip));
    }
    let per_col = rows / chain_rows;
    let slots = cols / a.strip;
    if chains <= per_col {
        Ok(Placement { chain_rows, chains, dr: chain_rows, dc: 0 })
    } else if chains <= slots {
        Ok(Placement { chain_rows, chains, dr: 0, dc: a.strip })
    } else {
        Err(format!(
            "{chains} chains of {chain_rows} rows need more than one column slot ({per_col} chains each) and more than one chain per slot ({slots} slots)"
        ))
    }
}

/// What the compiler supports of a mapping (the rest is an error naming the first limit it
/// breaks, [`limits`]).
pub fn supported(layer: &LayerShape, m: &ArrayMapping, rows: usize, cols: usize) -> Result<Placement, String> {
    match limits(layer, m, rows, cols).into_iter().next() {
        Some(why) => Err(why),
        None => placement(layer, m, rows, cols),
    }
}

/// Every limit of the compiler that a mapping breaks, in the order [`supported`] checks them
/// (empty: the compiler takes it, buffers permitting).
pub fn limits(layer: &LayerShape, m: &ArrayMapping, rows: usize, cols: usize) -> Vec<String> {
    let mut out = Vec::new();
    if m.n != 1 {
        out.push(format!("n = {} images per pass (the PE restarts its window per image: one image a pass for now)", m.n));
    }
    if m.s_fold != 1 {
        out.push(format!("s_fold = {} (filter rows cut into pieces)", m.s_fold));
    }
    if m.g_rep != 1 {
        out.push(format!("g_rep = {} (groups side by side)", m.g_rep));
    }
    let (mg, cg) = (layer.m_per_group(), layer.c_per_group());
    let (mt, ct) = ((m.p * m.t).min(mg), (m.q * m.r).min(cg));
    // Every set of a pass computes the same p filters of q channels (one pass configuration).
    'dims: for (what, total, tile, sets) in [("filters", mg, mt, m.t), ("channels", cg, ct, m.r)] {
        for (_, size) in tiles(total, tile) {
            if size % sets.min(size) != 0 {
                out.push(format!("a tile of {size} {what} does not split evenly over {} sets", sets.min(size)));
                continue 'dims;
            }
        }
    }
    if m.t.min(mt) > 16 {
        out.push(format!("{} filter sets: the filter column ID has 4 bits", m.t.min(mt)));
    }
    if split_rows(layer, m) {
        // Column tags: the step's rows divided by U.
        let top = m.strip * m.fold - 1 + (layer.r - 1) / layer.u;
        if top > 31 {
            out.push(format!("a step's ifmap rows take column tags up to {top} (rows divided by the stride): the ifmap column ID has 5 bits"));
        }
    } else {
        let rows_step = (m.strip * m.fold - 1) * layer.u + layer.r;
        if rows_step > 32 {
            out.push(format!("a step reads {rows_step} ifmap rows: the ifmap column ID has 5 bits (32 rows)"));
        }
    }
    if let Err(why) = placement(layer, m, rows, cols) {
        out.push(why);
    }
    out
}

/// Whether a strided layer's ifmap rows are tagged by their row modulo U and their row divided
/// by U (see the module doc), rather than by their row in the step: when U > 1, the row tags
/// `r U` fit 4 bits, and the feed's two range predicates suffice (no padding, or R a multiple
/// of U so that the step's rows are whole groups of U).
pub fn split_rows(layer: &LayerShape, m: &ArrayMapping) -> bool {
    let u = layer.u;
    u > 1 && m.r.min(layer.c_per_group()) * u <= 16 && (layer.pad == 0 || layer.r.is_multiple_of(u))
}

/// The words a transfer moves: the index vectors of `loops` where every `skip` range holds.
pub fn moved(loops: &Loops, skip: &[Range]) -> u64 {
    let mut n = 0;
    loops.each(|i| n += u64::from(skip.iter().all(|r| r.holds(i))));
    n
}

/// Tiles of `total` by `tile`: (first index, size).
fn tiles(total: usize, tile: usize) -> Vec<(usize, usize)> {
    (0..total.div_ceil(tile)).map(|i| (i * tile, tile.min(total - i * tile))).collect()
}

/// Per dimension (N, M, C, E): the first index and the extent of a region or a pass.
type Extent = [(usize, usize); 4];

/// What the compiler knows while it walks the passes.
struct Compiler<'a> {
    layer: &'a LayerShape,
    m: ArrayMapping,
    place: Placement,
    dram: DramLayout,
    /// The group being compiled (groups run one after the other).
    group: usize,
    cmds: Vec<Cmd>,
    ids: Option<ArrayIds>,
    rows: usize,
    cols: usize,
    /// GLB word where the psum region starts.
    psum_base: i64,
    /// C tiles accumulated so far per psum block (n, m tile, e step); blocks stored to DRAM.
    done: std::collections::HashMap<(usize, usize, usize), usize>,
    stored: std::collections::HashSet<(usize, usize, usize)>,
    c_tiles: usize,
    /// Ifmap rows tagged (row mod U, row div U) ([`split_rows`]).
    split: bool,
    /// The next free beat of the stream area.
    next_stream: u64,
}

/// Compiles `layer` mapped as `mapping` for a `rows` x `cols` array with `buffers`.
pub fn compile(layer: &LayerShape, mapping: &Mapping, rows: usize, cols: usize, buffers: &Buffers) -> Result<Program, CompileError> {
    let err = |why: String| CompileError { layer: layer.name.clone(), why };
    layer.validate().map_err(|e| err(e.message))?;
    let m = mapping.array;
    let place = supported(layer, &m, rows, cols).map_err(err)?;
    let (mg, cg) = (layer.m_per_group(), layer.c_per_group());
    let (mt, ct) = ((m.p * m.t).min(mg), (m.q * m.r).min(cg));
    let loops = [tiles(layer.n, m.n), tiles(mg, mt), tiles(cg, ct), tiles(layer.e(), m.strip * m.fold)];
    let mut c = Compiler {
        layer,
        m,
        place,
        dram: DramLayout::of(layer),
        group: 0,
        cmds: Vec::new(),
        ids: None,
        rows,
        cols,
        psum_base: 0,
        done: Default::default(),
        stored: Default::default(),
        c_tiles: loops[2].len(),
        split: split_rows(layer, &m),
        next_stream: DramLayout::of(layer).streams / 4,
    };
    let order = mapping.plan.order;
    let keep = mapping.plan.keep;
    const RELEVANT: [[bool; 4]; 3] = [[true, false, true, true], [false, true, true, false], [true, true, false, true]];
    // A region is reloaded when the loops out to the innermost relevant one above its keep
    // level change (the mapper's `refetch`).
    let key_len: [usize; 3] = [0, 1, 2].map(|x| (0..keep[x]).rev().find(|&i| RELEVANT[x][order[i]]).map_or(0, |j| j + 1));
    let full = [(0, layer.n), (0, mg), (0, cg), (0, layer.e())];
    // The region of type x around the pass `idx`: whole along the loops at or inside keep.
    let region = |x: usize, idx: [usize; 4]| -> Extent {
        let mut r = full;
        for &d in order.iter().take(keep[x]) {
            r[d] = loops[d][idx[d]];
        }
        r
    };
    let mut every: Vec<[usize; 4]> = Vec::new();
    let counts = order.map(|d| loops[d].len());
    let mut pos = [0usize; 4];
    'walk: loop {
        let mut idx = [0usize; 4];
        for k in 0..4 {
            idx[order[k]] = pos[k];
        }
        every.push(idx);
        for k in (0..4).rev() {
            pos[k] += 1;
            if pos[k] < counts[k] {
                continue 'walk;
            }
            pos[k] = 0;
        }
        break;
    }
    let mut worst = [0u64; 3];
    for &idx in &every {
        let (ri, rf, rp) = (region(0, idx), region(1, idx), region(2, idx));
        worst[0] = worst[0].max((ri[0].1 * ri[2].1 * c.ifmap_rows(ri[3]).1 * layer.w) as u64);
        worst[1] = worst[1].max((rf[1].1 * rf[2].1 * layer.r * layer.s) as u64);
        let steps = (rp[3].0..rp[3].0 + rp[3].1).step_by(m.strip * m.fold).count();
        worst[2] = worst[2].max((rp[0].1 * rp[1].1.div_ceil(mt) * steps) as u64 * c.block_words() as u64);
    }
    let psum_base = if buffers.bank_words > 0 { worst[0].div_ceil(buffers.bank_words) * buffers.bank_words } else { worst[0] };
    if psum_base + worst[2] > buffers.glb_words {
        return Err(err(format!(
            "the ifmap region ({} words) and the psum region ({}) exceed the GLB ({} words{})",
            worst[0],
            worst[2],
            buffers.glb_words,
            if buffers.bank_words > 0 { format!(", the psums starting on a bank of {} words", buffers.bank_words) } else { String::new() }
        )));
    }
    if worst[1] > buffers.filter_words {
        return Err(err(format!("the filter region ({} words) exceeds the filter buffer ({})", worst[1], buffers.filter_words)));
    }
    c.psum_base = psum_base as i64;
    if let (Some(first), Some(banks)) = (psum_base.checked_div(buffers.bank_words), buffers.glb_words.checked_div(buffers.bank_words)) {
        if banks > 32 {
            return Err(err(format!("{banks} GLB banks: the psum bank mask has 32 bits")));
        }
        c.cmds.push(Cmd::PsumBanks((first..banks).fold(0u32, |m, b| m | 1 << b)));
    }
    let mut passes = 0;
    for g in 0..layer.groups {
        c.group = g;
        c.done.clear();
        c.stored.clear();
        let mut held: [Option<(Vec<usize>, Extent)>; 3] = [None, None, None];
        for &idx in &every {
            let pos: Vec<usize> = order.iter().map(|&d| idx[d]).collect();
            for x in 0..3 {
                let key = pos[..key_len[x]].to_vec();
                if held[x].as_ref().is_some_and(|(k, _)| *k == key) {
                    continue;
                }
                let ext = region(x, idx);
                match x {
                    0 => c.load_ifmap(&ext),
                    1 => c.load_filters(&ext),
                    _ => {
                        if let Some((_, old)) = held[2].take() {
                            c.psum_region(&old, &loops, true);
                        }
                        c.psum_region(&ext, &loops, false);
                    }
                }
                held[x] = Some((key, ext));
            }
            let pass: Extent = [0, 1, 2, 3].map(|d| loops[d][idx[d]]);
            let regions = [0, 1, 2].map(|x| held[x].as_ref().unwrap().1);
            c.pass(&pass, idx, &regions, &loops);
            passes += 1;
        }
        if let Some((_, old)) = held[2].take() {
            c.psum_region(&old, &loops, true);
        }
    }
    c.cmds.push(Cmd::Sync);
    if c.next_stream * 4 > c.dram.streams {
        c.dram.words = c.next_stream * 4;
    }
    Ok(Program {
        cmds: c.cmds,
        dram: c.dram,
        passes,
        glb_ifmap_words: worst[0],
        glb_psum_words: worst[2],
        filter_words: worst[1],
    })
}

impl Compiler<'_> {
    /// Psum words of one pass's block: chains * strip * F * p.
    fn block_words(&self) -> usize {
        self.place.chains * self.m.strip * self.layer.f() * self.m.p
    }

    /// The real ifmap rows (first, count) an E extent (first output, outputs) reads.
    fn ifmap_rows(&self, (e0, ne): (usize, usize)) -> (usize, usize) {
        let l = self.layer;
        let lo = (e0 * l.u).saturating_sub(l.pad);
        let hi = ((e0 + ne - 1) * l.u + l.r).saturating_sub(l.pad).min(l.h);
        (lo, hi.saturating_sub(lo))
    }

    /// A stream for a coded transfer of `values` words, its worst case reserved.
    fn stream(&mut self, values: u64) -> Stream {
        let s = Stream { beat: self.next_stream, values };
        self.next_stream += Stream::reserved_beats(values);
        s
    }

    fn load_ifmap(&mut self, r: &Extent) {
        let l = self.layer;
        let (y0, ny) = self.ifmap_rows(r[3]);
        let (h, w, c) = (l.h as i64, l.w as i64, l.c as i64);
        let ch0 = (self.group * l.c_per_group() + r[2].0) as i64;
        let loops = Loops(vec![r[0].1 as u32, r[2].1 as u32, (ny * l.w) as u32]);
        let coded = l.rlc_in.then(|| self.stream(loops.iterations()));
        self.cmds.push(Cmd::Load {
            kind: Kind::Ifmap,
            space: Space::Glb,
            loops,
            dram: Lin::new(self.dram.ifmap as i64 + ((r[0].0 as i64 * c + ch0) * h + y0 as i64) * w, &[c * h * w, h * w, 1]),
            buf: Lin::new(0, &[(r[2].1 * ny * l.w) as i64, (ny * l.w) as i64, 1]),
            skip: vec![],
            coded,
        });
    }

    fn load_filters(&mut self, r: &Extent) {
        let l = self.layer;
        let (cg, rs) = (l.c_per_group() as i64, (l.r * l.s) as i64);
        let m0 = (self.group * l.m_per_group() + r[1].0) as i64;
        self.cmds.push(Cmd::Load {
            kind: Kind::Filter,
            space: Space::Filter,
            loops: Loops(vec![r[1].1 as u32, (r[2].1 * l.r * l.s) as u32]),
            dram: Lin::new(self.dram.filters as i64 + (m0 * cg + r[2].0 as i64) * rs, &[cg * rs, 1]),
            buf: Lin::new(0, &[(r[2].1 * l.r * l.s) as i64, 1]),
            skip: vec![],
            coded: None,
        });
        // The loads wrote the loading bank: it becomes the one the feeds read.
        self.cmds.push(Cmd::SwapFilters);
    }

    /// Blocks of a psum region: (n, m tile, e step) indices and the block's GLB base.
    fn blocks(&self, r: &Extent, loops: &[Vec<(usize, usize)>; 4]) -> Vec<((usize, usize, usize), i64)> {
        let mut out = Vec::new();
        let mut k = 0i64;
        let within = |d: usize| -> Vec<usize> {
            (0..loops[d].len()).filter(|&i| loops[d][i].0 >= r[d].0 && loops[d][i].0 < r[d].0 + r[d].1).collect()
        };
        for n in within(0) {
            for mi in within(1) {
                for ei in within(3) {
                    out.push(((n, mi, ei), self.psum_base + k * self.block_words() as i64));
                    k += 1;
                }
            }
        }
        out
    }

    /// The loops, GLB and DRAM functions of one psum block (all its real words).
    fn block_xfer(&self, key: (usize, usize, usize), base: i64, loops: &[Vec<(usize, usize)>; 4]) -> (Loops, Lin, Lin, Range) {
        let l = self.layer;
        let (n, mi, ei) = key;
        let (m0, mm) = loops[1][mi];
        let (e0, ne) = loops[3][ei];
        let (t, p, fold, strip) = (self.m.t.min(mm), mm / self.m.t.min(mm), self.m.fold, self.m.strip);
        let (e_, f_, m_) = (l.e() as i64, l.f() as i64, l.m as i64);
        let (p_, fold_, strip_) = (p as i64, fold as i64, strip as i64);
        let loops_ = Loops(vec![t as u32, p as u32, fold as u32, strip as u32, l.f() as u32]);
        let glb = Lin::new(base, &[fold_ * strip_ * f_ * p_, 1, strip_ * f_ * p_, f_ * p_, p_]);
        let m_abs = (self.group * l.m_per_group() + m0) as i64;
        let dram = Lin::new(
            self.dram.ofmap as i64 + ((n as i64 * m_ + m_abs) * e_ + e0 as i64) * f_,
            &[p_ * e_ * f_, e_ * f_, strip_ * f_, f_, 1],
        );
        let skip = Range { lin: Lin::new(0, &[0, 0, strip_, 1, 0]), lo: 0, hi: ne as i64 };
        (loops_, glb, dram, skip)
    }

    /// Loads a psum region's blocks stored before (`evict` false), or stores every block
    /// (`evict` true; through ReLU when the block has all its channel tiles).
    fn psum_region(&mut self, r: &Extent, loops: &[Vec<(usize, usize)>; 4], evict: bool) {
        for (key, base) in self.blocks(r, loops) {
            let (loops_, buf, dram, skip) = self.block_xfer(key, base, loops);
            if evict {
                let last = self.done.get(&key).copied().unwrap_or(0) == self.c_tiles;
                // Outputs (the last channel tile's) are coded when asked; psums stored to come
                // back later stay raw.
                let skip = vec![skip];
                let coded = (last && self.layer.rlc_out).then(|| self.stream(moved(&loops_, &skip)));
                // A store of the real words only: the skip is folded in by the interpreter.
                self.cmds.push(Cmd::Store { kind: Kind::Psum, loops: loops_, dram, buf, relu: last && self.layer.relu, skip, coded });
                self.stored.insert(key);
            } else if self.stored.contains(&key) {
                self.cmds.push(Cmd::Load { kind: Kind::Psum, space: Space::Glb, loops: loops_, dram, buf, skip: vec![skip], coded: None });
            }
        }
    }

    /// One pass: IDs (when they change), the pass, the drain pointers and the three feeds.
    fn pass(&mut self, pass: &Extent, idx: [usize; 4], regions: &[Extent; 3], loops: &[Vec<(usize, usize)>; 4]) {
        let l = self.layer;
        let (strip, fold) = (self.m.strip, self.m.fold);
        let (mm, cc, (e0, outs)) = (pass[1].1, pass[2].1, pass[3]);
        let (t, r) = (self.m.t.min(mm), self.m.r.min(cc));
        let (p, q) = (mm / t, cc / r);
        let (rr, s_, u_, f_) = (l.r, l.s, l.u, l.f());
        let pl = self.place;
        // IDs.
        let mut ids = ArrayIds {
            rows: vec![RowIds::default(); self.rows],
            pes: vec![vec![PeIds::default(); self.cols]; self.rows],
        };
        let mut drain = Vec::new();
        let key = (idx[0], idx[1], idx[3]);
        let block = self.blocks(&regions[2], loops).into_iter().find(|(k, _)| *k == key).expect("the pass's block is in the region").1;
        for ti in 0..t {
            for fi in 0..fold {
                let k = ti * fold + fi;
                let (row0, col0) = (k * pl.dr, k * pl.dc);
                for ri in 0..r {
                    for i in 0..rr {
                        let pos = ri * rr + i;
                        let ifmap = if self.split { ri * u_ + i % u_ } else { ri };
                        ids.rows[row0 + pos] = RowIds { filt: pos as u8, ifmap: ifmap as u8, psum: if pl.dr > 0 { k as u8 } else { 0 } };
                        for j in 0..strip {
                            if fi * strip + j >= outs {
                                continue;
                            }
                            ids.pes[row0 + pos][col0 + j] = PeIds {
                                enable: true,
                                link: pos + 1 < pl.chain_rows.min(rr * r),
                                filt_col: ti as u8,
                                ifmap_col: if self.split { fi * strip + j + i / u_ } else { (fi * strip + j) * u_ + i } as u8,
                                psum_col: (col0 + j) as u8,
                            };
                        }
                    }
                }
                for j in 0..strip {
                    if fi * strip + j < outs {
                        let addr = block + (((k * strip + j) * f_) * p) as i64;
                        drain.push((row0 as u8, (col0 + j) as u8, addr as u32));
                    }
                }
            }
        }
        if self.ids.as_ref() != Some(&ids) {
            self.cmds.push(Cmd::Ids(ids.clone()));
            self.ids = Some(ids);
        }
        self.cmds.push(Cmd::Pass(PassConfig { s: s_ as u32, u: u_ as u32, p: p as u32, q: q as u32, e: f_ as u32, shift: l.shift }));
        self.cmds.push(Cmd::Drain { pes: drain });
        // Filters: region [m][c][R][S].
        let rf = regions[1];
        let (creg, rs) = (rf[2].1 as i64, (rr * s_) as i64);
        let (p_, q_) = (p as i64, q as i64);
        let fbase = ((pass[1].0 - rf[1].0) as i64 * creg + (pass[2].0 - rf[2].0) as i64) * rs;
        self.cmds.push(Cmd::Feed {
            bus: Bus::Filter,
            loops: Loops(vec![t as u32, r as u32, rr as u32, p as u32, q as u32, s_ as u32]),
            buf: Lin::new(fbase, &[p_ * creg * rs, q_ * rs, s_ as i64, creg * rs, rs, 1]),
            zero: false,
            pad: vec![],
            skip: vec![],
            row: Lin::new(0, &[0, rr as i64, 1, 0, 0, 0]),
            col: Lin::new(0, &[1, 0, 0, 0, 0, 0]),
        });
        // Ifmap: region [n][c][rows][W]; output 0 takes S columns, every later one U more.
        let ri_ = regions[0];
        let (yr0, nyr) = self.ifmap_rows(ri_[3]);
        let (w, h) = (l.w as i64, l.h as i64);
        let rows_pad = ((outs - 1) * u_ + rr) as i64;
        let y_first = (e0 * u_) as i64 - l.pad as i64; // real row of padded step row 0
        let plane = nyr as i64 * w;
        let ibase = ((pass[0].0 - ri_[0].0) as i64 * ri_[2].1 as i64 + (pass[2].0 - ri_[2].0) as i64) * plane
            + (y_first - yr0 as i64) * w
            - l.pad as i64;
        let pad = l.pad as i64;
        // Split rows: the row loop is two, row div U then row mod U (rows past the window
        // skipped); a padding range only where it can fail.
        let split = self.split;
        let groups = (rows_pad as usize).div_ceil(u_) as u32;
        let u64_ = u_ as i64;
        for first in [true, false] {
            // Loops: (outputs after the first,) channel set, row (or row div U, row mod U),
            // column, channel.
            let (lead, cols, x0): (Vec<u32>, i64, i64) = if first { (vec![], s_ as i64, 0) } else { (vec![f_ as u32 - 1], u_ as i64, s_ as i64) };
            if lead.contains(&0) {
                continue;
            }
            let mut lps = lead.clone();
            lps.push(r as u32);
            lps.extend(if split { vec![groups, u_ as u32] } else { vec![rows_pad as u32] });
            lps.extend([cols as u32, q as u32]);
            // An affine function by its coefficients on output, channel set, row, column and
            // channel (the row's spread over its two loops when split).
            let lin = |base: i64, out: i64, set: i64, row: i64, col: i64, ch: i64| {
                let mut v = if first { vec![] } else { vec![out] };
                v.push(set);
                v.extend(if split { vec![row * u64_, row] } else { vec![row] });
                v.extend([col, ch]);
                Lin::new(base, &v)
            };
            let row_pad = Range { lin: lin(y_first, 0, 0, 1, 0, 0), lo: 0, hi: h };
            let col_pad = Range { lin: lin(x0 - pad, u_ as i64, 0, 0, 1, 0), lo: 0, hi: w };
            let (pads, skip, row, col) = if split {
                let mut pads = Vec::new();
                if y_first < 0 || y_first + rows_pad > h {
                    pads.push(row_pad);
                }
                if pad > 0 {
                    pads.push(col_pad);
                }
                let skip = if rows_pad % u64_ != 0 { vec![Range { lin: lin(0, 0, 0, 1, 0, 0), lo: 0, hi: rows_pad }] } else { vec![] };
                let mut row = lin(0, 0, u64_, 0, 0, 0);
                let at = row.strides.len() - 3;
                row.strides[at] = 1;
                let mut col = lin(0, 0, 0, 0, 0, 0);
                col.strides[at - 1] = 1;
                (pads, skip, row, col)
            } else {
                (vec![row_pad, col_pad], vec![], lin(0, 0, 1, 0, 0, 0), lin(0, 0, 0, 1, 0, 0))
            };
            self.cmds.push(Cmd::Feed {
                bus: Bus::Ifmap,
                loops: Loops(lps),
                buf: lin(ibase + x0, u_ as i64, q_ * plane, w, 1, plane),
                zero: false,
                pad: pads,
                skip,
                row,
                col,
            });
        }
        // Psums into the chains' bottom rows: zeros for the first channel tile.
        let n_done = self.done.entry(key).or_insert(0);
        let zero = *n_done == 0;
        *n_done += 1;
        let (strip_, fold_, f64_) = (strip as i64, fold as i64, f_ as i64);
        let k_row = if pl.dr > 0 { 1 } else { 0 };
        self.cmds.push(Cmd::Feed {
            bus: Bus::Psum,
            loops: Loops(vec![f_ as u32, t as u32, fold as u32, strip as u32, p as u32]),
            buf: Lin::new(block, &[p_, fold_ * strip_ * f64_ * p_, strip_ * f64_ * p_, f64_ * p_, 1]),
            zero,
            pad: vec![],
            skip: vec![Range { lin: Lin::new(0, &[0, 0, strip_, 1, 0]), lo: 0, hi: outs as i64 }],
            row: Lin::new(0, &[0, k_row * fold_, k_row, 0, 0]),
            col: Lin::new(0, &[0, pl.dc as i64 * fold_, pl.dc as i64, 1, 0]),
        });
        self.cmds.push(Cmd::Sync);
    }
}
