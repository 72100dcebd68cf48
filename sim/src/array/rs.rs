//! Row-stationary passes: a small 2-D convolution mapped onto the array in one pass, as the
//! chip maps a layer's PE set (JSSC 2017, section IV), and the plain reference convolution with
//! the PE's arithmetic to check it against.
//!
//! The PE set is `R` x `E` (filter rows x output rows), replicated `t` times down the array
//! with a different set of filters in each replica (as CONV1 and CONV3 do). PE (i, j) of
//! replica k sits at array row `k*R + i`, column j, and computes output row j's partial sums
//! for filter row i, for the replica's `p` filters and the layer's `q` channels:
//! - **filters**: row k*R + i has filter row ID k*R + i and every PE filter column ID 0: filter
//!   row i of replica k is a row multicast, tag (k*R + i, 0);
//! - **ifmaps**: every row has ifmap row ID 0 and PE (i, j) ifmap column ID j*U + i, the ifmap
//!   row it needs: ifmap row h is one word stream with tag (0, h), reaching every PE on its
//!   diagonal in every replica at once;
//! - **psums**: the bottom PE of each replica column takes the initial psums (the bias) from the
//!   psum bus, tag (k, j) (psum row ID k, column ID j); the others take theirs over the link
//!   from the PE below, and the top PE's psums leave the array: output row j of replica k's
//!   filters, from PE (k*R, j).

use super::model::{ArrayIds, Traffic, Word};
use crate::pe::model::mac;
use edgertl_hdl::array::{ArrayConfig, PeIds, RowIds};
use edgertl_hdl::pe::PassConfig;
use rand::Rng;

/// A small conv layer that fits one pass: `m = t*p` filters of `c` channels, `r` x `s`,
/// stride `u` both ways, over an `h` x `w` ifmap (already padded), outputs `eh` x `ew`.
#[derive(Clone, Debug)]
pub struct RsLayer {
    pub c: usize,
    /// Filters per replica.
    pub p: usize,
    /// Replicas (filter sets) stacked down the array.
    pub t: usize,
    pub r: usize,
    pub s: usize,
    pub u: usize,
    /// Output rows (the PE set's columns) and columns.
    pub eh: usize,
    pub ew: usize,
    pub shift: u32,
    /// `w[f][ch][i][k]`, f < t*p.
    pub weights: Vec<i16>,
    /// `x[ch][y][x]`, h = (eh-1)*u + r rows, w = (ew-1)*u + s columns.
    pub ifmap: Vec<i16>,
    /// One per filter (the initial psum).
    pub bias: Vec<i16>,
}

impl RsLayer {
    pub fn h(&self) -> usize {
        (self.eh - 1) * self.u + self.r
    }
    pub fn w(&self) -> usize {
        (self.ew - 1) * self.u + self.s
    }
    fn wt(&self, f: usize, ch: usize, i: usize, k: usize) -> i16 {
        self.weights[((f * self.c + ch) * self.r + i) * self.s + k]
    }
    fn x(&self, ch: usize, y: usize, x: usize) -> i16 {
        self.ifmap[(ch * self.h() + y) * self.w() + x]
    }

    /// A random layer of this shape (about a quarter of the ifmap zeros, for zero gating).
    #[allow(clippy::too_many_arguments)]
    pub fn random(rng: &mut impl Rng, c: usize, p: usize, t: usize, r: usize, s: usize, u: usize, eh: usize, ew: usize) -> Self {
        let mut l = RsLayer { c, p, t, r, s, u, eh, ew, shift: rng.gen_range(0..=8), weights: vec![], ifmap: vec![], bias: vec![] };
        l.weights = (0..t * p * c * r * s).map(|_| rng.gen()).collect();
        l.ifmap = (0..c * l.h() * l.w()).map(|_| if rng.gen_bool(0.25) { 0 } else { rng.gen() }).collect();
        l.bias = (0..t * p).map(|_| rng.gen()).collect();
        l
    }

    /// The pass every PE runs: S, U, p, q = c, E = ew, the shift.
    pub fn pass(&self) -> PassConfig {
        PassConfig { s: self.s as u32, u: self.u as u32, p: self.p as u32, q: self.c as u32, e: self.ew as u32, shift: self.shift }
    }

    /// Whether the mapping fits `hw` (rows, columns, 5-bit ifmap IDs) and the PE's spads.
    pub fn fits(&self, hw: &ArrayConfig) -> Result<(), String> {
        if self.t * self.r > hw.rows as usize || self.eh > hw.cols as usize {
            return Err(format!("{} x {} PE set x {} does not fit {} x {}", self.r, self.eh, self.t, hw.rows, hw.cols));
        }
        if self.h() > 32 {
            return Err(format!("{} ifmap rows: the ifmap column ID has 5 bits", self.h()));
        }
        self.pass().validate(&hw.pe)
    }

    /// The IDs of the mapping (PEs outside the set disabled).
    pub fn ids(&self, hw: &ArrayConfig) -> ArrayIds {
        let mut ids = ArrayIds::disabled(hw);
        for k in 0..self.t {
            for i in 0..self.r {
                let row = k * self.r + i;
                ids.rows[row] = RowIds { filt: row as u8, ifmap: 0, psum: k as u8 };
                for j in 0..self.eh {
                    ids.pes[row][j] = PeIds {
                        enable: true,
                        link: i + 1 < self.r,
                        filt_col: 0,
                        ifmap_col: (j * self.u + i) as u8,
                        psum_col: j as u8,
                    };
                }
            }
        }
        ids
    }

    /// The words on each bus, in the order a controller sends them: filters, then ifmap rows
    /// and initial psums output column by output column (every PE's words for output e before
    /// any for e + 1).
    pub fn traffic(&self) -> Traffic {
        let mut t = Traffic::default();
        for k in 0..self.t {
            for i in 0..self.r {
                let row = (k * self.r + i) as u8;
                for f in 0..self.p {
                    for ch in 0..self.c {
                        for s in 0..self.s {
                            t.filt.push(Word { row, col: 0, data: self.wt(k * self.p + f, ch, i, s) });
                        }
                    }
                }
            }
        }
        for e in 0..self.ew {
            let cols = if e == 0 { 0..self.s } else { (e - 1) * self.u + self.s..e * self.u + self.s };
            // Every ifmap row (with a vertical stride above 1 some rows reach no PE).
            for y in 0..self.h() {
                for x in cols.clone() {
                    for ch in 0..self.c {
                        t.ifmap.push(Word { row: 0, col: y as u8, data: self.x(ch, y, x) });
                    }
                }
            }
            for k in 0..self.t {
                for j in 0..self.eh {
                    for f in 0..self.p {
                        t.psum.push(Word { row: k as u8, col: j as u8, data: self.bias[k * self.p + f] });
                    }
                }
            }
        }
        t
    }

    /// The reference convolution with the PE's arithmetic: `y[f][oy][ox]`, f < t*p.
    pub fn reference(&self) -> Vec<i16> {
        let m = self.t * self.p;
        let mut y = vec![0i16; m * self.eh * self.ew];
        for f in 0..m {
            for oy in 0..self.eh {
                for ox in 0..self.ew {
                    let mut acc = self.bias[f];
                    for ch in 0..self.c {
                        for i in 0..self.r {
                            for k in 0..self.s {
                                acc = mac(acc, self.x(ch, oy * self.u + i, ox * self.u + k), self.wt(f, ch, i, k), self.shift);
                            }
                        }
                    }
                    y[(f * self.eh + oy) * self.ew + ox] = acc;
                }
            }
        }
        y
    }

    /// The outputs, `y[f][oy][ox]`, from the psums that left the array (PE (k*R, j) sends
    /// output row j of replica k: word `ox*p + f`).
    pub fn gather(&self, out: &std::collections::BTreeMap<(u8, u8), Vec<i16>>) -> Result<Vec<i16>, String> {
        let mut y = vec![0i16; self.t * self.p * self.eh * self.ew];
        for k in 0..self.t {
            for j in 0..self.eh {
                let key = ((k * self.r) as u8, j as u8);
                let words = out.get(&key).ok_or_else(|| format!("no psums out of PE {key:?}"))?;
                if words.len() != self.ew * self.p {
                    return Err(format!("PE {key:?} sent {} psums, expected {}", words.len(), self.ew * self.p));
                }
                for ox in 0..self.ew {
                    for f in 0..self.p {
                        y[((k * self.p + f) * self.eh + j) * self.ew + ox] = words[ox * self.p + f];
                    }
                }
            }
        }
        if out.len() != self.t * self.eh {
            return Err(format!("{} PEs sent psums out, expected {}", out.len(), self.t * self.eh));
        }
        Ok(y)
    }
}
