//! The Eyeriss accelerator (unit `eyeriss`): the global buffer (`glb`), the PE array
//! (`eyeriss_array`) and a controller that runs a whole layer from DRAM to DRAM on its own, from
//! a layer program in DRAM (`edgertl_sim::eyeriss::program` compiles a mapped layer to it,
//! `edgertl_sim::eyeriss::binary` encodes it to [`regs`]' 64-bit words).
//!
//! ```text
//!            DRAM port (64-bit beats)
//!                  │
//!             [DRAM link] ◄── sequencer (program words) ──► actions: engine registers / starts,
//!              │      ▲                                     IDs, pass, drain pointers, GLB mask
//!        load engine  store engine
//!          │   │         ▲
//!  filter buffer  GLB banks ◄── drain engine ◄── array output network
//!          │        │   │
//!   filter feed  ifmap feed  psum feed ──► the array's three input networks
//! ```
//!
//! # Blocks
//! - [`walker`]: the loop walker every engine is built on;
//! - [`feed`]: the feed engines (buffer reads, zero padding without reads, skipped iterations,
//!   words in order onto an input bus);
//! - [`drain`]: the drain engine (a psum pointer per PE, psums from the output network into
//!   the GLB);
//! - [`xfer`]: the load and store engines (DRAM beats of four words to and from the buffers);
//! - [`ctrl`]: the sequencer (program words fetched from DRAM, four in flight; each handed to
//!   its engine when that engine is idle; syncs at the pass boundary; end and error);
//! - [`link`]: the DRAM link (the sequencer's and the load engine's reads and the store
//!   engine's writes on one 64-bit port);
//! - `top`: the unit, wiring them to the GLB and the array.
//!
//! # Addresses
//! Engines count 16-bit words. GLB word address `a`: 64-bit word `a >> 2` of the banks laid end
//! to end (bank `a >> (WA + 2)`, word `(a >> 2) mod 2^WA`), lane `a & 3`; every GLB write is one
//! lane (the GLB's lane mask), every read takes its lane of the 64-bit word. The filter buffer
//! the same within one filter bank (`4 * words_per_bank` words): loads write the *loading*
//! bank, the filter feed reads the *active* one.
//!
//! # Ports (all 64-bit-or-less, every width given)
//! - `go`, `prog_beat` (30): run the program at that DRAM beat; `busy`, `done`, `error` (a bad
//!   program word), `words` (32): program words executed.
//! - `fault` (5, sticky until `rst`): bit 0 the GLB refused an access (wrong kind of bank or
//!   out of range: a compiler bug), 1 the array refused a pass configuration, 2 a psum came
//!   from an unknown PE, 3 a feed tag out of range, 4 a coded load's stream is malformed (the
//!   sequencer stops the run with `error`; counter [`counters::RLC_FAULT`] names the stream
//!   and the decoder's error kind).
//! - The DRAM port (`link`): `dram_req_valid` / `_ready`, `_write`, `_beat` (30), `_data` (64),
//!   `_mask` (4, a bit per 16-bit lane, writes); `dram_resp_valid` / `_ready`, `_data` (64),
//!   one response per read, in order, after any latency.
//! - `cnt_sel` (6) -> `cnt_value` (32) one edge later: the counter map [`counters`].
//! - `sel_row`, `sel_col` (4 each) -> `sel_*` (32 each) two edges later: that PE's counters.
//! - `bank_sel` (5) -> `bank_reads`, `bank_writes` (32) one edge later: that GLB bank's
//!   accesses (64-bit words). `psum_banks` (NB), `filt_active`: the GLB's state.
//!
//! # Run-length coded transfers
//! A load or a store may say (mode bit 4, [`regs`]) that its DRAM side is a run-length coded
//! stream (the `rlc_decoder` / `rlc_encoder` format: three (run, level) pairs per 64-bit
//! word, `term` on the last) of the N words the command moves, in its walk order. A stream
//! sits at its own beat `b` (register `XFER_STREAM`): beat `b` holds its length L in coded
//! words (bits 31-0, the rest 0), beats `b+1 .. b+L` the coded words. N is register
//! `XFER_VALUES`; the walk's DRAM lane is not used.
//! - **Coded load**: the engine reads beat `b`, then the L beats one after another (up to 4 in
//!   flight) into an `rlc_decoder` configured with N, and writes its values to the walk's
//!   buffer addresses in order. If the L beats run out before the decoder has finished (a
//!   truncated stream), the engine notes it and feeds words of three (31, 1) pairs without
//!   `term`, which end in a decoder error within N / 96 + 1 words (never in a success). A
//!   decoder error (1 extra values, 2 early term, 3 missing term) sets `fault` bit 4 and stops
//!   the run; the engine passes over the rest of its walk and drops beats
//!   still in flight, so nothing hangs.
//! - **Coded store**: the words read (through ReLU when asked) go into an `rlc_encoder`
//!   configured with N; its words go to beats `b+1, b+2, ..`, and once it has finished, beat
//!   `b` gets their number L (the coded length, readable by the host). The compiler reserves
//!   `1 + max(1, ceil(N / 3))` beats, the worst case.
//! - Counters: a coded transfer's DRAM words are its beats times four (the length beat
//!   included); the buffer's words are the decoded ones.
//!
//! # Controller registers (target CTRL, op write)
//! Address 0: the GLB's psum bank mask (bit k: bank k holds psums). Address 1: swap the filter
//! banks (the bank just loaded becomes the active one). Both wait until everything is idle.
//!
//! # Ordering (what the sequencer's `idle` bits are)
//! A command goes to its engine when that engine can take it:
//! - load and store (and CTRL writes) only when *everything* is quiet: every engine idle, the
//!   array settled (no PE busy and no psum on the output network for 15 cycles: a PE's `busy`
//!   falls a few cycles before its last psum leaves it), the GLB's FIFOs empty. Data moves between DRAM and the buffers between
//!   passes, so a transfer never races a feed;
//! - the feeds when they are idle and no transfer is still on (a pass reads what the loads
//!   before it wrote);
//! - IDs when the array is settled; the pass when the array takes it; drain pointers at once (they
//!   come between a pass's configuration and its feeds, when no psum moves);
//! - `sync` when all of the above hold.
//!
//! # Read port sharing
//! The GLB's one read port serves the store and the ifmap and psum feeds (the feeds by turns,
//! the store when neither asks); at most 4 reads are in flight, and each response goes into its
//! reader's own 4-word FIFO. A reader never has more than 4 words in flight, so the FIFO always
//! has room and one reader's back-pressure (a psum bus that waits for the PEs) never holds
//! another reader's response (which would deadlock the pass).

pub mod ctrl;
pub mod drain;
pub mod feed;
pub mod link;
pub mod regs;
pub mod walker;
pub mod xfer;
mod top;

use crate::array::ArrayConfig;
use crate::glb::GlbConfig;
use crate::{EmitError, Emitted, RtlSim, Unit};
use serde::{Deserialize, Serialize};

pub const UNIT: Unit = Unit {
    name: "eyeriss",
    summary: "Eyeriss accelerator: GLB + PE array + controller running a layer program from DRAM to DRAM",
    presets: &["small", "eyeriss_v1", "tiny", "ulx3s_85f"],
    simulated: &["small", "eyeriss_v1"],
    synth_preset: "small",
    netlist: false,
    config_type: "EyerissConfig",
    stimulus: "eyeriss::driver::stimulus",
    config: |p| crate::config_json(EyerissConfig::preset(p)),
    emit,
    rust_hdl_sim,
};

/// The counter map (`cnt_sel`): 32-bit counters, wrapping, cleared by `rst`. Words are 16-bit.
pub mod counters {
    /// Cycles while `busy`.
    pub const CYCLES: u64 = 0;
    /// Passes started.
    pub const PASSES: u64 = 1;
    /// DRAM beats read (program words included) and written.
    pub const DRAM_BEATS_READ: u64 = 2;
    pub const DRAM_BEATS_WRITTEN: u64 = 3;
    /// DRAM words read (loads) per data type: ifmap, filter, psum (+0, +1, +2). A coded
    /// transfer counts its stream's beats, four words each (its length beat included).
    pub const DRAM_READS: u64 = 4;
    /// DRAM words written (stores) per data type.
    pub const DRAM_WRITES: u64 = 7;
    /// Buffer words read (feeds and stores) per data type (filter: the filter buffer).
    pub const GLB_READS: u64 = 10;
    /// Buffer words written (loads and the drain) per data type.
    pub const GLB_WRITES: u64 = 13;
    /// The array's: filter words, deliveries, ifmap words, deliveries, psum words, deliveries,
    /// psums out, link transfers (16 .. 23).
    pub const ARRAY: u64 = 16;
    /// Most PEs enabled at once.
    pub const ACTIVE_PES: u64 = 24;
    /// The GLB's bank conflicts, stall cycles, refused accesses.
    pub const GLB_CONFLICTS: u64 = 25;
    pub const GLB_STALLS: u64 = 26;
    pub const GLB_REFUSED: u64 = 27;
    /// Program words executed.
    pub const PROGRAM_WORDS: u64 = 28;
    /// The filter buffer's 64-bit reads and writes.
    pub const FILTER_BANK_READS: u64 = 29;
    pub const FILTER_BANK_WRITES: u64 = 30;
    /// The last coded load's stream: its beat (bits 31-3, the beat's low 29 bits), whether it
    /// ran out of beats before the decoder finished (bit 2: truncated) and the decoder's error
    /// kind (bits 1-0: 0 none, 1 extra values, 2 early term, 3 missing term).
    pub const RLC_FAULT: u64 = 31;
    /// Performance counters: cycles (while `busy`) where the array has a busy PE, a feed
    /// engine is busy, the load engine, the store engine is busy; the sequencer has no program
    /// word at hand, its word waits for its engine, it waits at a sync; the array has gone
    /// idle but not yet settled (32 .. 39).
    pub const PERF: u64 = 32;
    pub const PERF_NAMES: [&str; 8] =
        ["array busy", "feeds busy", "load busy", "store busy", "program starved", "word waits for its engine", "waits at a sync", "array settling"];
}

/// The accelerator's hardware configuration (fixed at generation time).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EyerissConfig {
    pub array: ArrayConfig,
    pub glb: GlbConfig,
}

impl EyerissConfig {
    /// Eyeriss v1: 12 x 14 PEs, 25 banks of 512 x 64 bit (100 kB) and 2 x 4 kB of filters.
    pub fn eyeriss_v1() -> Self {
        Self { array: ArrayConfig::eyeriss_v1(), glb: GlbConfig::eyeriss_v1() }
    }

    /// 3 x 4 PEs, 4 banks of 64 x 64 bit (1,024 words), 2 x 256 filter words: for tests.
    pub fn small() -> Self {
        Self { array: ArrayConfig::small(), glb: GlbConfig { banks: 4, words_per_bank: 64, word_bits: 64, filter_banks: 2 } }
    }

    /// 2 x 2 PEs and `small`'s buffers: every block of the unit at the least logic, for the
    /// synthesis budgets (`budgets.toml` names it: the CI suite synthesises every unit for
    /// every target).
    pub fn tiny() -> Self {
        Self { array: ArrayConfig::tiny(), ..Self::small() }
    }

    /// For the ULX3S 85F's LFE5U-85F (83,640 LUT4, 208 DP16KD): the chip's buffer (25 banks of
    /// 512 x 64 bit, 100 kB, and 2 x 4 kB of filters: 66 DP16KD in all) with `small`'s 3 x 4
    /// PEs: 78% of the device's LUT4s (see `budgets.toml`; a fourth PE column would add about
    /// 7,800).
    pub fn ulx3s_85f() -> Self {
        Self { array: ArrayConfig::small(), glb: GlbConfig::eyeriss_v1() }
    }

    pub fn preset(name: &str) -> Result<Self, EmitError> {
        match name {
            "small" => Ok(Self::small()),
            "ulx3s_85f" => Ok(Self::ulx3s_85f()),
            "tiny" => Ok(Self::tiny()),
            "eyeriss_v1" => Ok(Self::eyeriss_v1()),
            _ => Err(EmitError::UnknownPreset { unit: UNIT.name.into(), preset: name.into(), known: UNIT.presets.join(", ") }),
        }
    }

    /// 16-bit words of the GLB's ifmap/psum banks, of one bank, and of one filter bank.
    pub fn glb_words(&self) -> u64 {
        u64::from(self.glb.banks) * self.bank_words()
    }
    pub fn bank_words(&self) -> u64 {
        4 * u64::from(self.glb.words_per_bank)
    }
    pub fn filter_words(&self) -> u64 {
        self.bank_words()
    }

    pub fn validate(&self) -> Result<(), String> {
        self.array.validate()?;
        self.glb.validate()?;
        if self.glb_words() > 1 << 16 {
            return Err(format!("{} GLB words: the drain's pointers are 16 bits", self.glb_words()));
        }
        Ok(())
    }
}

/// Which generated type a configuration is: one concrete top per supported GLB shape.
macro_rules! with_top {
    ($hw:expr, $preset:expr, |$t:ident| $body:expr) => {{
        let hw: &EyerissConfig = $hw;
        hw.validate().map_err(|reason| EmitError::InvalidConfig { unit: UNIT.name.into(), reason })?;
        match (hw.glb.banks, hw.glb.words_per_bank) {
            (25, 512) => {
                type $t = top::Eyeriss<25, 5, 9, 512>;
                $body
            }
            (4, 64) => {
                type $t = top::Eyeriss<4, 2, 6, 64>;
                $body
            }
            _ => Err(EmitError::InvalidConfig {
                unit: UNIT.name.into(),
                reason: format!("no generated shape for {} GLB banks of {} words (preset `{}`)", hw.glb.banks, hw.glb.words_per_bank, $preset),
            }),
        }
    }};
}

/// Blocks whose combinational logic is split a variable a block (engines pass valid/ready
/// through, which one `always` block per module would make look like loops).
const SPLIT: &[&str] = &["top", "column", "array", "walk", "load", "store", "feed_f", "feed_i", "feed_p", "drain", "link", "seq"];

fn emit(preset: &str) -> Result<Emitted, EmitError> {
    let hw = EyerissConfig::preset(preset)?;
    let config = serde_json::to_value(&hw).expect("config serializes");
    with_top!(&hw, preset, |T| crate::emit::emit_block_split(&T::built(&hw.array), UNIT.name, preset, config, SPLIT))
}

fn rust_hdl_sim(preset: &str) -> Result<Box<dyn RtlSim>, EmitError> {
    let hw = EyerissConfig::preset(preset)?;
    with_top!(&hw, preset, |T| Ok(Box::new(crate::sim::Stepper::new(T::built(&hw.array))) as Box<dyn RtlSim>))
}
