//! The PE array as transactions: given the IDs, a pass and the tagged words on each input
//! bus, which PE receives what, every psum that leaves the array (by the PE it left from),
//! and every counter. Timing-free: the RTL may interleave PEs on the output network in any
//! order, but each PE's psums leave in its own order.

use crate::pe::model::{Counters, PeModel};
use edgertl_hdl::array::{ArrayConfig, PeIds, RowIds};
use edgertl_hdl::pe::PassConfig;
use std::collections::BTreeMap;

/// The IDs of every row and PE (`pes[r][c]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArrayIds {
    pub rows: Vec<RowIds>,
    pub pes: Vec<Vec<PeIds>>,
}

impl ArrayIds {
    /// Every ID zero, every PE disabled (the state after reset).
    pub fn disabled(hw: &ArrayConfig) -> Self {
        Self {
            rows: vec![RowIds::default(); hw.rows as usize],
            pes: vec![vec![PeIds::default(); hw.cols as usize]; hw.rows as usize],
        }
    }

    /// Whether PE (r, c) takes its psum_in over the link from the PE below (the bit is
    /// ignored in the bottom row, whatever `enable` says).
    pub fn links_below(&self, r: usize, c: usize) -> bool {
        self.pes[r][c].link && r + 1 < self.rows.len()
    }

    pub fn active(&self) -> u32 {
        self.pes.iter().flatten().filter(|p| p.enable).count() as u32
    }
}

/// The three input buses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bus {
    Filter,
    Ifmap,
    Psum,
}

/// A word on an input bus: its (row, col) tag and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Word {
    pub row: u8,
    pub col: u8,
    pub data: i16,
}

/// The words of a pass, per bus, in bus order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    pub filt: Vec<Word>,
    pub ifmap: Vec<Word>,
    pub psum: Vec<Word>,
}

/// The array's own counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArrayCounters {
    pub filt_words: u32,
    pub filt_deliveries: u32,
    pub ifmap_words: u32,
    pub ifmap_deliveries: u32,
    pub psum_words: u32,
    pub psum_deliveries: u32,
    pub out_words: u32,
    pub link_transfers: u32,
    pub active_pes: u32,
}

/// What a pass did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArrayPass {
    /// Psums out of the array, by the (row, col) of the PE they left from, in its order.
    pub out: BTreeMap<(u8, u8), Vec<i16>>,
    pub counters: ArrayCounters,
    /// Every PE's counters (`[r][c]`), cumulative since reset.
    pub pe_counters: Vec<Vec<Counters>>,
}

/// The array's golden model: its IDs and one PE model per PE (their counters accumulate).
pub struct ArrayModel {
    hw: ArrayConfig,
    pub ids: ArrayIds,
    pes: Vec<Vec<PeModel>>,
    counters: ArrayCounters,
}

impl ArrayModel {
    pub fn new(hw: &ArrayConfig) -> Self {
        Self {
            hw: hw.clone(),
            ids: ArrayIds::disabled(hw),
            pes: (0..hw.rows).map(|_| (0..hw.cols).map(|_| PeModel::new(hw.pe.clone())).collect()).collect(),
            counters: ArrayCounters::default(),
        }
    }

    pub fn hw(&self) -> &ArrayConfig {
        &self.hw
    }

    /// The PEs a word on `bus` reaches: enabled, row ID and column ID equal to its tag (for the
    /// psum bus, not taking psum_in over the link).
    pub fn destinations(&self, bus: Bus, w: &Word) -> Vec<(usize, usize)> {
        let mut d = Vec::new();
        for (r, row) in self.ids.rows.iter().enumerate() {
            let row_id = match bus {
                Bus::Filter => row.filt,
                Bus::Ifmap => row.ifmap,
                Bus::Psum => row.psum,
            };
            if row_id & 0xf != w.row & 0xf {
                continue;
            }
            for (c, pe) in self.ids.pes[r].iter().enumerate() {
                let hit = match bus {
                    Bus::Filter => pe.filt_col & 0xf == w.col & 0xf,
                    Bus::Ifmap => pe.ifmap_col & 0x1f == w.col & 0x1f,
                    Bus::Psum => pe.psum_col & 0xf == w.col & 0xf && !self.ids.links_below(r, c),
                };
                if pe.enable && hit {
                    d.push((r, c));
                }
            }
        }
        d
    }

    /// Runs one pass: `pass` goes to every enabled PE, the buses deliver `traffic`. Errors
    /// when a PE's words do not make a whole pass (the hardware would wait for the rest).
    pub fn run(&mut self, pass: &PassConfig, traffic: &Traffic) -> Result<ArrayPass, String> {
        let (rows, cols) = (self.hw.rows as usize, self.hw.cols as usize);
        let mut streams: Vec<Vec<[Vec<i16>; 3]>> = vec![vec![Default::default(); cols]; rows];
        for (bus, words, k) in [(Bus::Filter, &traffic.filt, 0), (Bus::Ifmap, &traffic.ifmap, 1), (Bus::Psum, &traffic.psum, 2)] {
            let (mut n, mut deliveries) = (0u32, 0u32);
            for w in words {
                let d = self.destinations(bus, w);
                n += 1;
                deliveries += d.len() as u32;
                for (r, c) in d {
                    streams[r][c][k].push(w.data);
                }
            }
            let (words_ctr, deliv_ctr) = match bus {
                Bus::Filter => (&mut self.counters.filt_words, &mut self.counters.filt_deliveries),
                Bus::Ifmap => (&mut self.counters.ifmap_words, &mut self.counters.ifmap_deliveries),
                Bus::Psum => (&mut self.counters.psum_words, &mut self.counters.psum_deliveries),
            };
            *words_ctr = words_ctr.wrapping_add(n);
            *deliv_ctr = deliv_ctr.wrapping_add(deliveries);
        }
        // Bottom up: a PE that takes its psum_in over the link takes the psums of the PE below.
        let mut out = BTreeMap::new();
        let mut from_below: Vec<Option<Vec<i16>>> = vec![None; cols];
        for r in (0..rows).rev() {
            let mut going_up: Vec<Option<Vec<i16>>> = vec![None; cols];
            for c in 0..cols {
                let ids = self.ids.pes[r][c];
                let psum_out = if ids.enable {
                    let [filt, ifmap, psum] = &streams[r][c];
                    let psum_in = if self.ids.links_below(r, c) {
                        from_below[c].take().unwrap_or_default()
                    } else {
                        psum.clone()
                    };
                    let got = self.pes[r][c]
                        .run_pass(pass, filt, ifmap, &psum_in)
                        .map_err(|e| format!("PE ({r}, {c}): {e}"))?;
                    Some(got)
                } else {
                    None
                };
                // Where its psums go: up the link when the PE above takes them, else out.
                let up = r > 0 && self.ids.links_below(r - 1, c);
                if let Some(words) = psum_out {
                    if up {
                        self.counters.link_transfers = self.counters.link_transfers.wrapping_add(words.len() as u32);
                        going_up[c] = Some(words);
                    } else if !words.is_empty() {
                        self.counters.out_words = self.counters.out_words.wrapping_add(words.len() as u32);
                        out.insert((r as u8, c as u8), words);
                    }
                }
            }
            from_below = going_up;
        }
        self.counters.active_pes = self.ids.active();
        Ok(ArrayPass {
            out,
            counters: self.counters,
            pe_counters: self.pes.iter().map(|row| row.iter().map(|p| p.counters).collect()).collect(),
        })
    }
}
