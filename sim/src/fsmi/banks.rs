//! The map's memory banks and the conflicts of the cores walking their beams in lockstep
//! (issue 15 §2), in plain Rust: the model the banked RTL's conflict counters will match.
//!
//! The map sits in `banks` single-port banks; a cell's bank is a function of its position:
//!
//! - [`Banking::Diagonal`] (ours): `bank = (col + skew * row) mod banks`. The cells the cores
//!   read at step k of their beams all lie on the diamond `|dr| + |dc| = k` round the pose
//!   (every step moves one cell in x or in y). Along the diamond's edges a skew s puts
//!   neighbouring cells s - 1 or s + 1 banks apart: an even s makes both odd, so a run of 16
//!   cells along an edge meets every bank once; an odd s puts whole edges in few banks (s = 1
//!   puts an edge in one). Among the 16 skews, 6 (with its mirror 14) stalls least on the
//!   chip's workload (`examples/fsmi_report.rs` sweeps them), and is the chip's preset.
//! - [`Banking::RowMajor`]: the row-major address `row * W + col` modulo `banks` (the plain
//!   interleaved split): the diagonal pattern of skew W mod banks, so its conflicts depend on
//!   the map's width (0 for W a multiple of 16, 8 for W = 200; both even, and nearly as good).
//! - [`Banking::RowBlocks`]: the row-major address divided into `banks` contiguous blocks.
//!
//! The workload: a pose's B beams in rounds of `cores` beams ([`Assignment`]: neighbouring
//! beams together, the preset, or spread round the circle). At each step
//! of a round every core whose beam has not ended reads its next cell (the fixed-point
//! traversal's cells). Reads of the same cell are one read (broadcast); a bank serves one
//! cell a cycle, so a step takes as many cycles as the busiest bank has distinct cells, and
//! every cycle beyond the first is a stall of all the cores.
//!
//! Measured on a 200 x 200 office, 60 beams, range 100, every pose, 16 cores and 16 banks,
//! neighbouring beams together (`examples/fsmi_report.rs`): 19.3 M lockstep steps; diagonal
//! skew 6 adds 16.8 M stall cycles (87% of the steps), row-major (W = 200, skew 8) 17.5 M
//! (91%), skew 1 99.8 M, contiguous row blocks 65.3 M. The cores read 16 distinct cells in
//! most steps, so 16 banks stall about as a random spread does; 32 banks (skew 6) cut the
//! stalls to 42% of the steps (every 25th pose).
use super::fixed::FixedModel;
use super::FsmiError;
use serde::{Deserialize, Serialize};

/// How the map's cells are spread over the banks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Banking {
    /// `(col + skew * row) mod banks`.
    Diagonal { skew: usize },
    /// `(row * W + col) mod banks`.
    RowMajor,
    /// `(row * W + col) / ceil(H * W / banks)`.
    RowBlocks,
}

/// Which beams the cores walk together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Assignment {
    /// Round r gives core c beam `r + c * rounds`: the beams spread round the circle.
    Spread,
    /// Round r gives core c beam `r * cores + c`: neighbouring beams together.
    Contiguous,
}

/// The banked map's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankConfig {
    /// MI cores walking a beam each, 1 ..= 64.
    pub cores: usize,
    /// Memory banks, 1 ..= 64.
    pub banks: usize,
    pub banking: Banking,
    pub assignment: Assignment,
}

impl BankConfig {
    /// The chip: 16 cores, 16 banks, diagonal with skew 6, neighbouring beams together.
    pub fn chip() -> Self {
        BankConfig { cores: 16, banks: 16, banking: Banking::Diagonal { skew: 6 }, assignment: Assignment::Contiguous }
    }

    /// Small FPGAs and tests: 4 cores, 4 banks, diagonal with skew 2.
    pub fn small() -> Self {
        BankConfig { cores: 4, banks: 4, banking: Banking::Diagonal { skew: 2 }, assignment: Assignment::Contiguous }
    }

    pub fn validate(&self) -> Result<(), FsmiError> {
        for (what, v) in [("the cores", self.cores), ("the banks", self.banks)] {
            if !(1..=64).contains(&v) {
                return Err(FsmiError::OutOfRange { what, value: v as f64, min: 1.0, max: 64.0 });
            }
        }
        Ok(())
    }

    /// The bank of cell (row, col) of a `height` x `width` map.
    pub fn bank(&self, height: usize, width: usize, row: usize, col: usize) -> usize {
        match self.banking {
            Banking::Diagonal { skew } => (col + skew * row) % self.banks,
            Banking::RowMajor => (row * width + col) % self.banks,
            Banking::RowBlocks => (row * width + col) / (height * width).div_ceil(self.banks),
        }
    }
}

/// Cycles and stalls of the cores' reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConflictStats {
    /// Lockstep steps (cycles without conflicts).
    pub steps: u64,
    /// Distinct cells read.
    pub reads: u64,
    /// Cycles lost to conflicts.
    pub stalls: u64,
    /// Steps with at least one conflict.
    pub conflicted_steps: u64,
}

impl ConflictStats {
    pub fn add(&mut self, o: &ConflictStats) {
        self.steps += o.steps;
        self.reads += o.reads;
        self.stalls += o.stalls;
        self.conflicted_steps += o.conflicted_steps;
    }

    /// Cycles in all: steps plus stalls.
    pub fn cycles(&self) -> u64 {
        self.steps + self.stalls
    }
}

/// The reads of pose (row, col)'s beams on a `height` x `width` map.
pub fn pose_conflicts(model: &FixedModel, banks: &BankConfig, height: usize, width: usize, row: usize, col: usize) -> ConflictStats {
    pose_conflicts_with(model, banks.cores, banks.banks, banks.assignment, |r, c| banks.bank(height, width, r, c), height, width, row, col)
}

/// [`pose_conflicts`] for any bank function `bank(row, col)` < `banks` (to try patterns).
#[allow(clippy::too_many_arguments)]
pub fn pose_conflicts_with(model: &FixedModel, cores: usize, banks: usize, assignment: Assignment, bank: impl Fn(usize, usize) -> usize, height: usize, width: usize, row: usize, col: usize) -> ConflictStats {
    let beams = model.config().beams;
    let rounds = beams.div_ceil(cores);
    let mut st = ConflictStats::default();
    let mut busy: Vec<Vec<(usize, usize)>> = vec![Vec::new(); banks];
    for r in 0..rounds {
        let beam = |c: usize| match assignment {
            Assignment::Spread => r + c * rounds,
            Assignment::Contiguous => r * cores + c,
        };
        let paths: Vec<_> = (0..cores).map(beam).filter(|&b| b < beams).map(|b| model.cells(height, width, row, col, b)).collect();
        let len = paths.iter().map(Vec::len).max().unwrap_or(0);
        for k in 0..len {
            busy.iter_mut().for_each(Vec::clear);
            for p in &paths {
                if let Some(&(cr, cc)) = p.get(k) {
                    let bank = &mut busy[bank(cr, cc)];
                    if !bank.contains(&(cr, cc)) {
                        bank.push((cr, cc));
                    }
                }
            }
            let worst = busy.iter().map(Vec::len).max().unwrap_or(0) as u64;
            st.steps += 1;
            st.reads += busy.iter().map(|b| b.len() as u64).sum::<u64>();
            st.stalls += worst.saturating_sub(1);
            st.conflicted_steps += (worst > 1) as u64;
        }
    }
    st
}

/// The reads of every pose of a `height` x `width` map.
pub fn map_conflicts(model: &FixedModel, banks: &BankConfig, height: usize, width: usize) -> Result<ConflictStats, FsmiError> {
    banks.validate()?;
    use rayon::prelude::*;
    Ok((0..height * width)
        .into_par_iter()
        .map(|i| pose_conflicts(model, banks, height, width, i / width, i % width))
        .reduce(ConflictStats::default, |mut a, b| {
            a.add(&b);
            a
        }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsmi::mi::FsmiConfig;

    #[test]
    fn banks_cover_the_map_evenly() {
        for (h, w) in [(16, 16), (20, 33), (200, 200)] {
            for cfg in [BankConfig::chip(), BankConfig { banking: Banking::RowMajor, ..BankConfig::chip() }, BankConfig { banking: Banking::RowBlocks, ..BankConfig::chip() }] {
                let mut count = vec![0usize; 16];
                for r in 0..h {
                    for c in 0..w {
                        count[cfg.bank(h, w, r, c)] += 1;
                    }
                }
                let (lo, hi) = (count.iter().min().unwrap(), count.iter().max().unwrap());
                assert!(hi - lo <= (h * w).div_ceil(16) / 4 + 2, "{cfg:?} {h} x {w}: {count:?}");
            }
        }
        // Diagonal, skew 6: 16 neighbouring cells along a diamond's edge (down-left steps,
        // 5 banks apart) meet every bank once.
        let chip = BankConfig::chip();
        let mut edge: Vec<_> = (0..16).map(|m| chip.bank(99, 99, 40 + m, 70 - m)).collect();
        edge.sort();
        assert_eq!(edge, (0..16).collect::<Vec<_>>());
    }

    #[test]
    fn one_core_or_one_bank() {
        let m = FixedModel::new(&FsmiConfig::small()).unwrap();
        // One core never conflicts; one bank serializes every distinct cell.
        let one_core = pose_conflicts(&m, &BankConfig { cores: 1, ..BankConfig::chip() }, 40, 40, 20, 20);
        assert_eq!(one_core.stalls, 0);
        assert_eq!(one_core.steps, one_core.reads);
        let one_bank = pose_conflicts(&m, &BankConfig { banks: 1, ..BankConfig::chip() }, 40, 40, 20, 20);
        assert_eq!(one_bank.cycles(), one_bank.reads);
        assert!(one_bank.stalls > 0);
        assert!(matches!(map_conflicts(&m, &BankConfig { cores: 0, ..BankConfig::chip() }, 4, 4), Err(FsmiError::OutOfRange { .. })));
    }

    #[test]
    fn diagonal_beats_row_major() {
        let m = FixedModel::new(&FsmiConfig { range: 40.0, ..FsmiConfig::paper() }).unwrap();
        let diag = map_conflicts(&m, &BankConfig::chip(), 48, 64).unwrap();
        let rows = map_conflicts(&m, &BankConfig { banking: Banking::RowMajor, ..BankConfig::chip() }, 48, 64).unwrap();
        let blocks = map_conflicts(&m, &BankConfig { banking: Banking::RowBlocks, ..BankConfig::chip() }, 48, 64).unwrap();
        assert_eq!((diag.steps, diag.reads), (rows.steps, rows.reads));
        // Row-major on a width of 64 is skew 0, nearly as good; an odd skew and contiguous
        // blocks are far worse.
        let skew1 = map_conflicts(&m, &BankConfig { banking: Banking::Diagonal { skew: 1 }, ..BankConfig::chip() }, 48, 64).unwrap();
        assert!(diag.stalls < rows.stalls, "diagonal {diag:?} row-major {rows:?}");
        assert!(diag.stalls * 3 < skew1.stalls, "diagonal {diag:?} skew 1 {skew1:?}");
        assert!(rows.stalls * 2 < blocks.stalls, "row-major {rows:?} blocks {blocks:?}");
    }
}
