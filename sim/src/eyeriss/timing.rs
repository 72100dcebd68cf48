//! The cycle model of the `eyeriss` unit: how many cycles a layer program takes on *this*
//! machine (the RTL of `edgertl_hdl::eyeriss`), beside the mapper's chip-style estimate
//! ([`super::counts::Cycles`], which takes the MACs, the networks and DRAM as overlapped, as
//! the chip's schedule does).
//!
//! The model steps the unit's schedule a cycle at a time, at the level of its queues and
//! state machines, not of its data (no value is computed). Every rate and latency below is
//! read off the RTL, none is fitted to a measurement:
//!
//! - **Sequencer** (`ctrl`): one program word a cycle at most; up to 4 beats fetched ahead
//!   (its FIFO and credits); a word waits until its engine's `idle` bit holds (`top`): loads,
//!   stores and controller writes until everything is quiet (every engine idle, the array
//!   settled, the GLB's FIFOs empty), the feeds until they are idle and no transfer is on, IDs
//!   until the array is settled, a pass until every enabled PE is idle, drain pointers at
//!   once, a sync until all of these hold.
//! - **DRAM** ([`DramTiming`], as the driver's model): a request when the token bucket holds a
//!   beat (`link` tokens a cycle, `core` a beat, at most two beats saved), a read's data
//!   `latency` cycles later, in order; the link takes one request a cycle (the sequencer's
//!   first) and keeps at most 4 reads in flight (its tag FIFO).
//! - **Load engine** (`xfer`): one word a cycle into a 4-word order FIFO; a word whose beat is
//!   not the last one asked for asks for it (a DRAM read); one GLB write (one 16-bit lane) a
//!   cycle. So a beat of four words takes 4 cycles, and on a slow link the order FIFO (4 words,
//!   one beat) allows one beat per round trip.
//! - **Store engine**: one GLB read a cycle into a 4-word order FIFO, answered
//!   [`GLB_READ_CYCLES`] later; words gathered into a beat, written when the next word falls
//!   elsewhere (a DRAM token each).
//! - **Feeds**: one loop index a cycle (a skipped index takes its cycle and sends nothing);
//!   a 4-word order FIFO; zero words (padding, the first channel tile's psums) need no read,
//!   the others wait for their read ([`GLB_READ_CYCLES`] for the GLB, whose one read port the
//!   ifmap and psum feeds take by turns; [`FILTER_READ_CYCLES`] for the filter buffer).
//! - **Array** (`eyeriss_array`): each input bus has one register; its word moves when every
//!   destination PE's 4-word FIFO has room. The local links move a psum when the PE above has
//!   room; the output network takes one psum a cycle (the last column first, in a column the
//!   lowest PE).
//! - **PE** (`eyeriss_pe`): a pass configuration is checked in `q + p + 1` cycles; then
//!   `p q S` filter words, and for each output: its `q S` (the first) or `q U` ifmap words,
//!   `p q S` MAC slots, 6 cycles of pipeline drain, and `p` psums out, each taking a psum in
//!   (from the PE below or the psum bus) and leaving through a 1-word register into the 4-word
//!   output FIFO.
//! - **Settling**: the array counts as settled 15 cycles after it was last busy or had a
//!   psum on the output network.
//!
//! - **GLB** (`glb`): a read and a write request FIFO; their heads execute in the same cycle
//!   unless they name the same bank (a conflict: the write and the read win by turns). The
//!   drain's writes (the output network's psums, at each PE's pointer) conflict with the
//!   feeds' reads.
//!
//! What the model leaves out: the walkers' start-up beyond one cycle, the load engine's
//! writes going through the GLB's write FIFO (nothing reads the GLB while a load runs), and
//! the GLB's limit of 4 outstanding responses (a reader never has more).

use super::binary::encode;
use super::driver::DramTiming;
use super::program::{Cmd, Loops, Program, Range};
use crate::array::model::{ArrayIds, Bus};
use edgertl_hdl::eyeriss::regs;
use edgertl_hdl::eyeriss::EyerissConfig;
use edgertl_hdl::pe::PassConfig;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};

/// Cycles from a GLB read request to its word at the reader: the request FIFO (`rd_tags`
/// and the GLB's request FIFO), the bank, the GLB's response FIFO and the reader's own
/// response FIFO. With the reader's 4-word order FIFO that is 4 words every 5 cycles.
pub const GLB_READ_CYCLES: u64 = 4;
/// The filter buffer's: its request FIFO, the bank and its response FIFO (no reader FIFO).
pub const FILTER_READ_CYCLES: u64 = 3;
/// PE pipeline drain after the last MAC slot of an output (stages 1-5 empty, then `out`).
const PE_DRAIN_CYCLES: u32 = 6;
/// Cycles without a busy PE or a psum on the output network before the array is settled.
const SETTLE_CYCLES: u32 = 15;
/// FIFO depth everywhere in the unit.
const FIFO: usize = 4;

/// What the model predicts for a program: cycles, and where they go (the same definitions as
/// the unit's performance counters, `edgertl_hdl::eyeriss::counters::PERF_NAMES`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RtlEstimate {
    /// Cycles from `go` to `done`.
    pub cycles: u64,
    /// Cycles with a busy PE.
    pub array_busy: u64,
    /// Cycles with a feed engine busy.
    pub feeds_busy: u64,
    /// Cycles with the load engine busy, and the store engine.
    pub load_busy: u64,
    pub store_busy: u64,
    /// Passes run.
    pub passes: u64,
    /// GLB bank conflicts (a read and a write to one bank in one cycle).
    pub glb_conflicts: u64,
}

impl RtlEstimate {
    /// `measured`'s difference from this estimate, relative to the estimate (0.05: the unit
    /// took 5% more cycles than estimated).
    pub fn error(&self, measured: u64) -> f64 {
        measured as f64 / self.cycles.max(1) as f64 - 1.0
    }
}

/// The cycles `program` takes on the unit `hw` with `timing` DRAM (see the module doc).
/// Errors on a program that cannot be encoded, or that does not finish (a model bug).
pub fn estimate(program: &Program, hw: &EyerissConfig, timing: DramTiming) -> Result<RtlEstimate, String> {
    let words = encode(program)?.words;
    let mut sim = Sim::new(program, hw, timing, words);
    let budget = 100_000 + 1_000 * program.cmds.len() as u64 + 400 * sim.work;
    while !sim.done {
        sim.step();
        if sim.t > budget {
            return Err(format!("the cycle model did not finish within {budget} cycles (at program word {})", sim.seq.pc));
        }
    }
    Ok(sim.out)
}

/// The DRAM side: the token bucket, the reads in flight, the link's tag FIFO.
struct Dram {
    timing: DramTiming,
    tokens: u64,
    /// Reads in flight: (cycle the data is due, whose: true the sequencer).
    pending: VecDeque<(u64, bool)>,
}

impl Dram {
    fn ready(&self) -> bool {
        self.tokens >= u64::from(self.timing.core)
    }
    /// The front response at cycle `t`, if due: whose it is.
    fn response(&self, t: u64) -> Option<bool> {
        self.pending.front().filter(|&&(due, _)| due <= t).map(|&(_, s)| s)
    }
}

/// A feed's or a transfer's index vectors, expanded: what each does.
#[derive(Clone, Copy, Debug)]
enum Item {
    /// Nothing moves (a skip range fails); the walker still spends the cycle.
    Skip,
    /// A bus word needing no read (destinations: an index into the dest table).
    Zero(usize),
    /// A bus word read from the buffer (and the GLB bank it reads).
    Read(usize, u64),
    /// A transfer's word: its DRAM beat and its GLB bank.
    Word(u64, u64),
}

/// An order-FIFO entry's readiness: with this bit, the cycle from which the word may leave;
/// without it, the number of its GLB read.
const FILTER_DONE: u64 = 1 << 63;

/// The GLB's banks as the feeds, the store and the drain see them: a read request FIFO and a
/// write request FIFO (4 words each), their heads executing each cycle unless they name the
/// same bank (a conflict: the write and the read win by turns, the write first).
#[derive(Default)]
struct Glb {
    reads: VecDeque<(u64, u64)>,
    writes: VecDeque<u64>,
    /// Per read number, the cycle its word reaches the reader (`u64::MAX` until executed).
    answer: Vec<u64>,
    write_wins: bool,
    conflicts: u64,
}

impl Glb {
    /// A read of `bank` requested this cycle: its number.
    fn read(&mut self, bank: u64) -> u64 {
        let n = self.answer.len() as u64;
        self.answer.push(u64::MAX);
        self.reads.push_back((n, bank));
        n
    }

    /// Whether an order-FIFO entry's word is there at cycle `t`.
    fn answered(&self, at: u64, t: u64) -> bool {
        if at & FILTER_DONE != 0 {
            at & !FILTER_DONE <= t
        } else {
            self.answer[at as usize] <= t
        }
    }

    /// The heads execute (from the FIFOs as they were at the start of cycle `t`); returns
    /// whether a write executed.
    fn execute(&mut self, t: u64) -> bool {
        let (r, w) = (self.reads.front().copied(), self.writes.front().copied());
        let (mut go_r, mut go_w) = (r.is_some(), w.is_some());
        if let (Some((_, rb)), Some(wb)) = (r, w) {
            if rb == wb {
                self.conflicts += 1;
                go_r = !self.write_wins;
                go_w = self.write_wins;
                self.write_wins = !self.write_wins;
            }
        }
        if go_r {
            let (n, _) = self.reads.pop_front().unwrap();
            // Executed this cycle, in the response FIFO the next, at the reader the one after.
            self.answer[n as usize] = t + GLB_READ_CYCLES - 1;
        }
        if go_w {
            self.writes.pop_front();
        }
        go_w
    }
}

#[derive(Default)]
struct Feed {
    items: VecDeque<Item>,
    walking: bool,
    /// Words in the order FIFO: (dest set, readiness: see [`FILTER_DONE`]).
    order: VecDeque<(usize, u64)>,
}

impl Feed {
    fn idle(&self) -> bool {
        !self.walking && self.order.is_empty()
    }
}

#[derive(Default)]
struct Load {
    items: VecDeque<Item>,
    walking: bool,
    /// The order FIFO: whether each word's beat is a new read.
    order: VecDeque<bool>,
    last_beat: Option<u64>,
}

#[derive(Default)]
struct Store {
    items: VecDeque<Item>,
    walking: bool,
    /// The order FIFO: (beat, its GLB read's number).
    order: VecDeque<(u64, u64)>,
    pend: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    Idle,
    Check(u32),
    LoadFilt,
    LoadIfmap,
    Mac,
    Drain,
    Out,
}

#[derive(Clone)]
struct Pe {
    st: St,
    n: u32,
    e: u32,
    filt: usize,
    ifmap: usize,
    psum_in: usize,
    psum_out: usize,
    ob: bool,
}

impl Pe {
    fn new() -> Pe {
        Pe { st: St::Idle, n: 0, e: 0, filt: 0, ifmap: 0, psum_in: 0, psum_out: 0, ob: false }
    }
}

struct Seq {
    words: Vec<u64>,
    /// Next word to fetch, next to dispatch.
    fetch: usize,
    pc: usize,
    /// Words fetched and waiting (visible), reads in flight.
    ready: usize,
    inflight: usize,
}

struct Sim {
    t: u64,
    done: bool,
    out: RtlEstimate,
    /// Work units, for the budget.
    work: u64,
    dram: Dram,
    link_inflight: usize,
    seq: Seq,
    /// The commands each start word runs, in order.
    starts: VecDeque<Cmd>,
    ids: ArrayIds,
    /// The IDs each pass runs with (from the last `Ids` before it), in order.
    pass_ids: VecDeque<ArrayIds>,
    /// The drain pointers each pass sets (the `Drain` after it), in order; each PE's pointer.
    pass_drains: VecDeque<Vec<(u8, u8, u32)>>,
    ptr: Vec<u64>,
    glb: Glb,
    bank_words: u64,
    rows: usize,
    cols: usize,
    load: Load,
    store: Store,
    feeds: [Feed; 3],
    fp_last: bool,
    /// Bus registers: the dest set of the word in each.
    bus: [Option<usize>; 3],
    dests: Vec<Vec<usize>>,
    dest_index: HashMap<(u8, u8, u8), usize>,
    pes: Vec<Pe>,
    enabled: Vec<bool>,
    /// PE index r*cols + c takes its psum from the PE below.
    link: Vec<bool>,
    cfg: PassConfig,
    /// The output network's register: the GLB bank its psum goes to.
    out_v: Option<u64>,
    calm: u32,
    xfer_on: bool,
    glb_quiet_at: u64,
}

impl Sim {
    fn new(program: &Program, hw: &EyerissConfig, timing: DramTiming, words: Vec<u64>) -> Sim {
        let (rows, cols) = (hw.array.rows as usize, hw.array.cols as usize);
        let mut starts = VecDeque::new();
        let mut pass_ids = VecDeque::new();
        let mut pass_drains = VecDeque::new();
        let mut ids = ArrayIds { rows: vec![Default::default(); rows], pes: vec![vec![Default::default(); cols]; rows] };
        let mut work = 0;
        for c in &program.cmds {
            match c {
                Cmd::Load { loops, .. } | Cmd::Store { loops, .. } | Cmd::Feed { loops, .. } => {
                    work += loops.iterations();
                    starts.push_back(c.clone());
                }
                Cmd::Pass(_) => {
                    starts.push_back(c.clone());
                    pass_ids.push_back(ids.clone());
                }
                Cmd::Ids(i) => ids = i.clone(),
                Cmd::Drain { pes } => pass_drains.push_back(pes.clone()),
                _ => {}
            }
        }
        let n = rows * cols;
        Sim {
            t: 0,
            done: false,
            out: RtlEstimate::default(),
            work,
            dram: Dram { timing, tokens: u64::from(timing.core), pending: VecDeque::new() },
            link_inflight: 0,
            seq: Seq { words, fetch: 0, pc: 0, ready: 0, inflight: 0 },
            starts,
            ids: ArrayIds { rows: vec![Default::default(); rows], pes: vec![vec![Default::default(); cols]; rows] },
            pass_ids,
            pass_drains,
            ptr: vec![0; rows * cols],
            glb: Glb::default(),
            bank_words: hw.bank_words(),
            rows,
            cols,
            load: Load::default(),
            store: Store::default(),
            feeds: Default::default(),
            fp_last: false,
            bus: [None; 3],
            dests: Vec::new(),
            dest_index: HashMap::new(),
            pes: vec![Pe::new(); n],
            enabled: vec![false; n],
            link: vec![false; n],
            cfg: PassConfig { s: 1, u: 1, p: 1, q: 1, e: 1, shift: 0 },
            out_v: None,
            calm: 0,
            xfer_on: false,
            glb_quiet_at: 0,
        }
    }

    fn array_busy(&self) -> bool {
        self.pes.iter().any(|p| p.st != St::Idle)
    }

    fn settled(&self) -> bool {
        self.calm == SETTLE_CYCLES && !self.array_busy() && self.out_v.is_none()
    }

    fn quiet(&self) -> bool {
        self.load_idle() && self.store_idle() && self.feeds.iter().all(Feed::idle) && self.settled() && self.t >= self.glb_quiet_at && self.glb.reads.is_empty() && self.glb.writes.is_empty()
    }

    fn load_idle(&self) -> bool {
        !self.load.walking && self.load.order.is_empty()
    }

    fn store_idle(&self) -> bool {
        !self.store.walking && self.store.order.is_empty() && self.store.pend.is_none()
    }

    /// The destination set of a word tagged (row, col) on `bus`, under the IDs in force.
    fn dest(&mut self, bus: usize, row: i64, col: i64) -> usize {
        let key = (bus as u8, row as u8, col as u8);
        if let Some(&k) = self.dest_index.get(&key) {
            return k;
        }
        let mut d = Vec::new();
        for r in 0..self.rows {
            let rid = self.ids.rows[r];
            for c in 0..self.cols {
                let pe = self.ids.pes[r][c];
                let k = r * self.cols + c;
                let hit = pe.enable
                    && match bus {
                        0 => i64::from(rid.filt) == row && i64::from(pe.filt_col) == col,
                        1 => i64::from(rid.ifmap) == row && i64::from(pe.ifmap_col) == col,
                        _ => i64::from(rid.psum) == row && i64::from(pe.psum_col) == col && !self.link[k],
                    };
                if hit {
                    d.push(k);
                }
            }
        }
        self.dests.push(d);
        self.dest_index.insert(key, self.dests.len() - 1);
        self.dests.len() - 1
    }

    /// Starts the command of the next start word.
    fn start(&mut self, target: u64) {
        let Some(cmd) = self.starts.pop_front() else { return };
        let holds = |ranges: &[Range], idx: &[u32]| ranges.iter().all(|r| r.holds(idx));
        match cmd {
            Cmd::Load { loops, dram, skip, .. } => {
                let mut items = VecDeque::new();
                loops.each(|i| items.push_back(if holds(&skip, i) { Item::Word(dram.at(i) as u64 / 4, 0) } else { Item::Skip }));
                self.load.items = items;
                self.load.walking = true;
                self.load.last_beat = None;
                self.xfer_on = true;
            }
            Cmd::Store { loops, dram, buf, skip, .. } => {
                let bw = self.bank_words;
                let mut items = VecDeque::new();
                loops.each(|i| items.push_back(if holds(&skip, i) { Item::Word(dram.at(i) as u64 / 4, buf.at(i) as u64 / bw) } else { Item::Skip }));
                self.store.items = items;
                self.store.walking = true;
                self.xfer_on = true;
            }
            Cmd::Feed { bus, loops, buf, zero, pad, skip, row, col } => {
                let b = match bus {
                    Bus::Filter => 0,
                    Bus::Ifmap => 1,
                    Bus::Psum => 2,
                };
                debug_assert_eq!(target, [regs::FEED_FILTER, regs::FEED_IFMAP, regs::FEED_PSUM][b]);
                let mut idxs = Vec::new();
                let n = loops.0.len();
                Loops(loops.0.clone()).each(|i| idxs.push(i[..n].to_vec()));
                let mut items = VecDeque::new();
                for i in idxs {
                    let item = if !holds(&skip, &i) {
                        Item::Skip
                    } else {
                        let d = self.dest(b, row.at(&i), col.at(&i));
                        if zero || !holds(&pad, &i) {
                            Item::Zero(d)
                        } else {
                            Item::Read(d, buf.at(&i) as u64 / self.bank_words)
                        }
                    };
                    items.push_back(item);
                }
                self.feeds[b].items = items;
                self.feeds[b].walking = true;
            }
            Cmd::Pass(p) => {
                self.ids = self.pass_ids.pop_front().unwrap_or_else(|| self.ids.clone());
                self.dests.clear();
                self.dest_index.clear();
                for r in 0..self.rows {
                    for c in 0..self.cols {
                        let pe = self.ids.pes[r][c];
                        let k = r * self.cols + c;
                        self.enabled[k] = pe.enable;
                        self.link[k] = pe.link && r + 1 < self.rows;
                    }
                }
                self.cfg = p;
                for (r, c, a) in self.pass_drains.pop_front().unwrap_or_default() {
                    self.ptr[usize::from(r) * self.cols + usize::from(c)] = u64::from(a);
                }
                for k in 0..self.pes.len() {
                    if self.enabled[k] {
                        self.pes[k].st = St::Check(p.q + p.p + 1);
                    }
                }
                self.out.passes += 1;
            }
            _ => {}
        }
    }

    /// Whether the word at the sequencer's head can go now.
    fn can_dispatch(&self, w: u64) -> bool {
        let (target, op, _, _) = regs::fields(w);
        let feed_ok = |b: usize| self.feeds[b].idle() && !self.xfer_on;
        let all = || self.quiet() && (0..3).all(feed_ok) && !self.array_busy();
        match (target, op) {
            (regs::CTRL, regs::OP_SYNC) => all(),
            (regs::CTRL, regs::OP_END) => true,
            (regs::CTRL | regs::LOAD | regs::STORE, _) => self.quiet(),
            (regs::FEED_FILTER, _) => feed_ok(0),
            (regs::FEED_IFMAP, _) => feed_ok(1),
            (regs::FEED_PSUM, _) => feed_ok(2),
            (regs::DRAIN, _) => true,
            (regs::IDS, _) => self.settled(),
            _ => (0..self.pes.len()).all(|k| !self.enabled[k] || self.pes[k].st == St::Idle),
        }
    }

    fn step(&mut self) {
        let t = self.t;
        // --- Decisions from the state at the start of the cycle. ---
        // The GLB's request FIFOs take a request while not full; their heads execute.
        let glb_rd_ready = self.glb.reads.len() < FIFO;
        let glb_wr_ready = self.glb.writes.len() < FIFO;
        if self.glb.execute(t) {
            self.glb_quiet_at = self.glb_quiet_at.max(t + 2);
        }
        let dram_ready = self.dram.ready();
        let mut dram_req = false;
        let mut dram_read_owner: Option<bool> = None;
        // Responses: the sequencer takes its at once (into its FIFO, at the head next cycle);
        // the load engine when it writes the word.
        let resp = self.dram.response(t);
        let mut resp_taken = resp == Some(true);
        // Sequencer fetch (first on the link): at most 4 words in flight or waiting.
        if self.seq.fetch < self.seq.words.len() && self.seq.inflight + self.seq.ready < FIFO && dram_ready && self.link_inflight < FIFO {
            dram_req = true;
            dram_read_owner = Some(true);
        }
        // Sequencer dispatch (a word fetched before this cycle).
        let mut dispatch: Option<u64> = None;
        if self.seq.ready > 0 {
            let w = self.seq.words[self.seq.pc];
            if self.can_dispatch(w) {
                dispatch = Some(w);
            }
        }
        let seq_req = dram_req;

        // Load engine: writes (one a cycle), then its next word.
        let mut glb_write = false;
        if let Some(&new) = self.load.order.front() {
            let avail = !new || (resp == Some(false));
            if avail {
                if new {
                    resp_taken = true;
                }
                self.load.order.pop_front();
                glb_write = true;
            }
        }
        let load_order_len = self.load.order.len() + usize::from(glb_write);
        if self.load.walking {
            match self.load.items.front().copied() {
                Some(Item::Word(beat, _)) => {
                    let same = self.load.last_beat == Some(beat);
                    if load_order_len < FIFO && (same || (!dram_req && dram_ready && self.link_inflight < FIFO)) {
                        if !same {
                            dram_req = true;
                            dram_read_owner = Some(false);
                            self.load.last_beat = Some(beat);
                        }
                        self.load.order.push_back(!same);
                        self.load.items.pop_front();
                    }
                }
                Some(_) => {
                    self.load.items.pop_front();
                }
                None => {}
            }
            self.load.walking = !self.load.items.is_empty();
        }

        // GLB read port: the ifmap and psum feeds by turns, the store when neither asks.
        let wants = |f: &Feed| f.walking && matches!(f.items.front(), Some(Item::Read(..))) && f.order.len() < FIFO && glb_rd_ready;
        let (wi, wp) = (wants(&self.feeds[1]), wants(&self.feeds[2]));
        let grant_i = wi && (!wp || self.fp_last);
        let grant_p = wp && !grant_i;
        if grant_i || grant_p {
            self.fp_last = grant_p;
        }
        let store_read = !wi && !wp;

        // Store engine: take the head word, flushing the pending beat when it falls elsewhere;
        // flush the last beat when no word is left to come.
        let mut dram_write = false;
        let store_len = self.store.order.len();
        let mut store_take = false;
        if let Some(&(beat, at)) = self.store.order.front() {
            if self.glb.answered(at, t) {
                let merge = self.store.pend == Some(beat);
                let flush = self.store.pend.is_some() && !merge;
                if !flush || (dram_ready && !dram_req) {
                    dram_write = flush;
                    store_take = true;
                }
            }
        } else if !self.store.walking && self.store.pend.is_some() && dram_ready && !dram_req {
            dram_write = true;
            self.store.pend = None;
        }
        if store_take {
            let (beat, _) = self.store.order.pop_front().unwrap();
            self.store.pend = Some(beat);
        }
        if self.store.walking {
            match self.store.items.front().copied() {
                Some(Item::Word(beat, bank)) if store_len < FIFO && store_read && glb_rd_ready => {
                    self.store.order.push_back((beat, self.glb.read(bank)));
                    self.store.items.pop_front();
                }
                Some(Item::Word(..)) | None => {}
                Some(_) => {
                    self.store.items.pop_front();
                }
            }
            self.store.walking = !self.store.items.is_empty();
        }
        if dram_write {
            dram_req = true;
        }

        // Array: buses deliver into the PEs' FIFOs when every destination has room.
        let fifo_of = |pe: &Pe, b: usize| match b {
            0 => pe.filt,
            1 => pe.ifmap,
            _ => pe.psum_in,
        };
        let mut bus_go = [false; 3];
        for (b, go) in bus_go.iter_mut().enumerate() {
            if let Some(d) = self.bus[b] {
                *go = self.dests[d].iter().all(|&k| fifo_of(&self.pes[k], b) < FIFO);
            }
        }
        // Feeds: a word onto the bus register when it is empty or emptying; the next index.
        let mut bus_in: [Option<usize>; 3] = [None; 3];
        for b in 0..3 {
            let bus_free = self.bus[b].is_none() || bus_go[b];
            let f = &mut self.feeds[b];
            let order_len = f.order.len();
            if let Some(&(d, at)) = f.order.front() {
                if self.glb.answered(at, t) && bus_free {
                    f.order.pop_front();
                    bus_in[b] = Some(d);
                }
            }
            if f.walking {
                match f.items.front().copied() {
                    Some(Item::Skip) => {
                        f.items.pop_front();
                    }
                    Some(Item::Zero(d)) if order_len < FIFO => {
                        f.order.push_back((d, FILTER_DONE | (t + 1)));
                        f.items.pop_front();
                    }
                    Some(Item::Read(d, _)) if b == 0 && order_len < FIFO => {
                        f.order.push_back((d, FILTER_DONE | (t + FILTER_READ_CYCLES)));
                        f.items.pop_front();
                    }
                    Some(Item::Read(d, bank)) if order_len < FIFO && ((b == 1 && grant_i) || (b == 2 && grant_p)) => {
                        f.order.push_back((d, self.glb.read(bank)));
                        f.items.pop_front();
                    }
                    _ => {}
                }
                f.walking = !f.items.is_empty();
            }
        }

        // PEs: each state's step, from the FIFOs as they were at the start of the cycle.
        let cfg = self.cfg;
        let pqs = cfg.p * cfg.q * cfg.s;
        let n = self.pes.len();
        let mut pop_in = vec![false; n];
        let mut push_out = vec![false; n];
        for k in 0..n {
            let pe = &mut self.pes[k];
            // The output register into the output FIFO.
            let ob_free = !pe.ob || pe.psum_out < FIFO;
            if pe.ob && pe.psum_out < FIFO {
                push_out[k] = true;
                pe.ob = false;
            }
            match pe.st {
                St::Idle => {}
                St::Check(c) => {
                    pe.st = if c <= 1 { St::LoadFilt } else { St::Check(c - 1) };
                    pe.n = 0;
                    pe.e = 0;
                }
                St::LoadFilt => {
                    if pe.filt > 0 {
                        pe.filt -= 1;
                        pe.n += 1;
                        if pe.n == pqs {
                            pe.st = St::LoadIfmap;
                            pe.n = 0;
                        }
                    }
                }
                St::LoadIfmap => {
                    if pe.ifmap > 0 {
                        pe.ifmap -= 1;
                        pe.n += 1;
                        if pe.n == cfg.q * if pe.e == 0 { cfg.s } else { cfg.u } {
                            pe.st = St::Mac;
                            pe.n = 0;
                        }
                    }
                }
                St::Mac => {
                    pe.n += 1;
                    if pe.n == pqs {
                        pe.st = St::Drain;
                        pe.n = 0;
                    }
                }
                St::Drain => {
                    pe.n += 1;
                    if pe.n == PE_DRAIN_CYCLES {
                        pe.st = St::Out;
                        pe.n = 0;
                    }
                }
                St::Out => {
                    if pe.psum_in > 0 && ob_free {
                        pop_in[k] = true;
                        pe.ob = true;
                        pe.n += 1;
                        if pe.n == cfg.p {
                            pe.n = 0;
                            pe.e += 1;
                            pe.st = if pe.e == cfg.e { St::Idle } else { St::LoadIfmap };
                        }
                    }
                }
            }
        }
        // Local links: PE r takes PE r+1's psum when it has room.
        let mut link_move = vec![false; n];
        for r in 0..self.rows.saturating_sub(1) {
            for c in 0..self.cols {
                let (up, lo) = (r * self.cols + c, (r + 1) * self.cols + c);
                if self.link[up] && self.pes[lo].psum_out > 0 && self.pes[up].psum_in < FIFO {
                    link_move[lo] = true;
                }
            }
        }
        // Output network: the last column with a psum leaving it, its lowest PE.
        // (The drain passes the register's psum to the GLB's write FIFO when it has room.)
        let out_free = self.out_v.is_none() || glb_wr_ready;
        let mut out_take: Option<usize> = None;
        'col: for c in (0..self.cols).rev() {
            for r in (0..self.rows).rev() {
                let k = r * self.cols + c;
                let up = r > 0 && self.link[(r - 1) * self.cols + c];
                if out_free && self.pes[k].psum_out > 0 && !up {
                    out_take = Some(k);
                    break 'col;
                }
            }
        }

        // --- The edge: commit. ---
        let busy_before = self.array_busy();
        for k in 0..n {
            if pop_in[k] {
                self.pes[k].psum_in -= 1;
            }
            if link_move[k] || out_take == Some(k) {
                self.pes[k].psum_out -= 1;
            }
        }
        for r in 0..self.rows.saturating_sub(1) {
            for c in 0..self.cols {
                if link_move[(r + 1) * self.cols + c] {
                    self.pes[r * self.cols + c].psum_in += 1;
                }
            }
        }
        for (pe, &push) in self.pes.iter_mut().zip(&push_out) {
            if push {
                pe.psum_out += 1;
            }
        }
        for b in 0..3 {
            if bus_go[b] {
                let d = self.bus[b].take().unwrap();
                for i in 0..self.dests[d].len() {
                    let k = self.dests[d][i];
                    match b {
                        0 => self.pes[k].filt += 1,
                        1 => self.pes[k].ifmap += 1,
                        _ => self.pes[k].psum_in += 1,
                    }
                }
            }
            if let Some(d) = bus_in[b] {
                self.bus[b] = Some(d);
            }
        }
        let out_v_before = self.out_v.is_some();
        if out_free {
            if let Some(bank) = self.out_v.take() {
                self.glb.writes.push_back(bank);
            }
            if let Some(k) = out_take {
                self.out_v = Some(self.ptr[k] / self.bank_words);
                self.ptr[k] += 1;
            }
        }
        if glb_write {
            self.glb_quiet_at = self.glb_quiet_at.max(t + 3);
        }
        self.calm = if busy_before || out_v_before { 0 } else { (self.calm + 1).min(SETTLE_CYCLES) };
        // DRAM.
        self.dram.tokens = (self.dram.tokens + u64::from(self.dram.timing.link)).min(2 * u64::from(self.dram.timing.core));
        if dram_req {
            self.dram.tokens -= u64::from(self.dram.timing.core);
            if let Some(owner) = dram_read_owner {
                self.dram.pending.push_back((t + self.dram.timing.latency, owner));
                self.link_inflight += 1;
            }
        }
        if resp_taken {
            self.dram.pending.pop_front();
            self.link_inflight -= 1;
        }
        // Perf counters (this cycle's state).
        self.out.array_busy += u64::from(busy_before);
        self.out.feeds_busy += u64::from(self.feeds.iter().any(|f| !f.idle()) || bus_in.iter().any(Option::is_some));
        self.out.load_busy += u64::from(!self.load_idle() || glb_write);
        self.out.store_busy += u64::from(!self.store_idle() || store_take || dram_write);
        // xfer_on falls the cycle after both engines are idle and the GLB is quiet.
        if self.load_idle() && self.store_idle() && t >= self.glb_quiet_at {
            self.xfer_on = false;
        }
        // The sequencer's fetch and its word take effect at the edge.
        if seq_req {
            self.seq.fetch += 1;
            self.seq.inflight += 1;
        }
        if resp == Some(true) {
            self.seq.inflight -= 1;
            self.seq.ready += 1;
        }
        if let Some(w) = dispatch {
            self.seq.pc += 1;
            self.seq.ready -= 1;
            let (target, op, _, _) = regs::fields(w);
            if op == regs::OP_START {
                self.start(target);
            }
            if target == regs::CTRL && op == regs::OP_END {
                self.done = true;
            }
        }
        self.t += 1;
        self.out.cycles = self.t;
        self.out.glb_conflicts = self.glb.conflicts;
    }
}
