//! The controller's program word: what the `eyeriss` unit fetches from DRAM to run a layer
//! (ours in place of the chip's 1,794-bit scan chain), and the register map of each engine.
//!
//! A layer program is a stream of 64-bit words, each one of:
//! - **write**: engine `target`'s register `addr` := `data`. Registers keep their value from
//!   one command to the next (reset: 0), so a command writes only what differs from the
//!   previous command of the same engine;
//! - **start**: engine `target` runs one command with its registers as they are (for
//!   [`PASS`], `data` is the pass word: every enabled PE starts a pass);
//! - **sync**: wait until every engine is idle and the array has finished its pass;
//! - **end**: the layer is done.
//!
//! | bits | field |
//! |---|---|
//! | 63-60 | `target` (below) |
//! | 59-56 | `op`: 0 write, 1 start, 2 sync, 3 end |
//! | 55-40 | `addr` |
//! | 31-0 | `data` |
//!
//! # Targets and their registers
//! - [`CTRL`]: `sync`, `end`, and two registers: [`CTRL_PSUM_BANKS`] (the GLB's psum bank
//!   mask) and [`CTRL_SWAP_FILTERS`] (an action: the filter bank loads wrote becomes the one
//!   the filter feed reads).
//! - [`LOAD`] (DRAM to the GLB or the filter buffer) and [`STORE`] (the GLB to DRAM): a loop
//!   walker with three lanes (0 the DRAM address, 1 the buffer address, 2 a skip range's
//!   operand) at addresses 0-63 as in [`super::walker`], then [`XFER_LO`] / [`XFER_HI`] the
//!   skip range and [`XFER_MODE`]: bit 0 the range is on, bit 1 the filter buffer (load) or
//!   ReLU (store), bits 2-3 the data type (0 ifmap, 1 filter, 2 psum) for the counters, bit
//!   4 the DRAM side is run-length coded: then [`XFER_VALUES`] is N, the words the command
//!   moves, and [`XFER_STREAM`] the beat of its stream (a length beat, then the coded words:
//!   see the module docs of [`super`]).
//! - [`FEED_FILTER`], [`FEED_IFMAP`], [`FEED_PSUM`]: the feed engines, registers as in
//!   [`super::feed::cfg`].
//! - [`DRAIN`]: `addr` = `(row << 4) | col`, `data` the PE's psum pointer
//!   ([`super::drain`]); pointers are written for every output PE of every pass.
//! - [`IDS`]: `addr` bit 8 set: row `addr & 15`'s row word; clear: PE (`(addr >> 4) & 15`,
//!   `addr & 15`)'s PE word (`eyeriss_array`'s ID port; IDs hold until rewritten).
//! - [`PASS`]: `start` with the pass word: S bits 0-3, U 4-7, p 8-12, q 13-16, e 17-24,
//!   shift 25-29.
//!
//! The `eyeriss` unit's sequencer ([`super::ctrl`]) fetches these words and its top decodes
//! each action to its engine.

pub const CTRL: u64 = 0;
pub const LOAD: u64 = 1;
pub const STORE: u64 = 2;
pub const FEED_FILTER: u64 = 3;
pub const FEED_IFMAP: u64 = 4;
pub const FEED_PSUM: u64 = 5;
pub const DRAIN: u64 = 6;
pub const IDS: u64 = 7;
pub const PASS: u64 = 8;

/// The controller's own registers (target [`CTRL`], op write): the GLB's psum bank mask, and
/// an action: swap the filter banks.
pub const CTRL_PSUM_BANKS: u64 = 0;
pub const CTRL_SWAP_FILTERS: u64 = 1;

pub const OP_WRITE: u64 = 0;
pub const OP_START: u64 = 1;
pub const OP_SYNC: u64 = 2;
pub const OP_END: u64 = 3;

/// The load/store engines' own registers (after their walker's 64).
pub const XFER_LO: u64 = super::xfer::cfg::LO;
pub const XFER_HI: u64 = super::xfer::cfg::HI;
pub const XFER_MODE: u64 = super::xfer::cfg::MODE;
pub const XFER_VALUES: u64 = super::xfer::cfg::VALUES;
pub const XFER_STREAM: u64 = super::xfer::cfg::STREAM;

/// Loop walker addresses: lane `f`'s jump for loop `k` ([`super::walker::jumps`]), its base,
/// loop `k`'s count.
pub const fn walker_jump(f: u64, k: u64) -> u64 {
    8 * f + k
}
pub const fn walker_base(f: u64) -> u64 {
    8 * f + 6
}
pub const fn walker_count(k: u64) -> u64 {
    56 + k
}

/// One program word.
pub const fn word(target: u64, op: u64, addr: u64, data: u32) -> u64 {
    (target << 60) | (op << 56) | ((addr & 0xffff) << 40) | data as u64
}

/// A program word's fields: (target, op, addr, data).
pub const fn fields(w: u64) -> (u64, u64, u64, u32) {
    (w >> 60, (w >> 56) & 15, (w >> 40) & 0xffff, w as u32)
}
