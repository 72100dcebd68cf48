//! Bit-exact, transaction-level golden model of the Eyeriss processing element.
//!
//! [`PeModel`] models the machine described in `edgertl_hdl::pe` (that module's doc is the
//! specification): a filter spad array, an ifmap spad that is a sliding window of q*S words
//! (one word shifts in per ifmap word), a psum spad of p words, the MAC slot order f, c, s
//! (s fastest), zero gating, and the eight access counters ([`Counters`]).
//! [`PeModel::run_pass`] takes one pass's three input streams in their stream order and
//! returns psum_out (E*p words, e-major). [`reference_conv1d`] is the bare formula, with no
//! spads, for tests; [`mac`] is the one arithmetic step both share (16-bit signed, the 32-bit
//! product shifted right arithmetically, cut to 16 bits, accumulated with wrapping).
//! An invalid configuration or a stream of the wrong length is refused with a [`PassError`]
//! before anything happens: no counter changes.

use edgertl_hdl::pe::{PassConfig, PeConfig};

/// The PE's access counters (32-bit, wrapping, as in the hardware).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// MACs done (slots not gated).
    pub macs: u32,
    /// MAC slots gated by a zero ifmap value.
    pub macs_gated: u32,
    /// One per MAC done.
    pub filt_spad_reads: u32,
    /// One per filter word.
    pub filt_spad_writes: u32,
    /// One per MAC slot, gated or not.
    pub ifmap_spad_reads: u32,
    /// One per ifmap word.
    pub ifmap_spad_writes: u32,
    /// One per MAC done and one per psum_out word.
    pub psum_spad_reads: u32,
    /// One per MAC done and one per psum_out word (its entry cleared as it leaves).
    pub psum_spad_writes: u32,
}

impl Counters {
    /// The sum of two counter sets, wrapping as the hardware's 32-bit counters do.
    pub fn wrapping_add(&self, o: &Counters) -> Counters {
        Counters {
            macs: self.macs.wrapping_add(o.macs),
            macs_gated: self.macs_gated.wrapping_add(o.macs_gated),
            filt_spad_reads: self.filt_spad_reads.wrapping_add(o.filt_spad_reads),
            filt_spad_writes: self.filt_spad_writes.wrapping_add(o.filt_spad_writes),
            ifmap_spad_reads: self.ifmap_spad_reads.wrapping_add(o.ifmap_spad_reads),
            ifmap_spad_writes: self.ifmap_spad_writes.wrapping_add(o.ifmap_spad_writes),
            psum_spad_reads: self.psum_spad_reads.wrapping_add(o.psum_spad_reads),
            psum_spad_writes: self.psum_spad_writes.wrapping_add(o.psum_spad_writes),
        }
    }

    /// The counters on a select port's eight outputs, in the PE's order (`sel_macs` ..
    /// `sel_psum_spad_writes`) from output `first` on: the array's and the accelerator's.
    pub fn from_select(o: &[u64], first: usize) -> Counters {
        let c = |k: usize| o[first + k] as u32;
        Counters {
            macs: c(0),
            macs_gated: c(1),
            filt_spad_reads: c(2),
            filt_spad_writes: c(3),
            ifmap_spad_reads: c(4),
            ifmap_spad_writes: c(5),
            psum_spad_reads: c(6),
            psum_spad_writes: c(7),
        }
    }
}

/// Why a pass was refused. A refused pass changes no counter.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PassError {
    #[error("configuration refused: {0}")]
    Config(String),
    #[error("{stream}: expected {expected} words, got {got}")]
    Length {
        stream: &'static str,
        expected: usize,
        got: usize,
    },
}

/// One MAC step: `psum + trunc(x * w)`, where `trunc(v)` is the low 16 bits of the 32-bit
/// signed product shifted right arithmetically by `shift` (0..=31); the add wraps.
pub fn mac(psum: i16, x: i16, w: i16, shift: u32) -> i16 {
    let product = i32::from(x) * i32::from(w);
    psum.wrapping_add((product >> shift) as i16)
}

/// The transaction-level model of one PE.
#[derive(Clone, Debug)]
pub struct PeModel {
    hw: PeConfig,
    /// Filter spad (SRAM), `hw.filter_spad_words` words; a pass uses words 0..p*q*S.
    filter_spad: Vec<i16>,
    /// Ifmap spad (registers), `hw.ifmap_spad_words` words; a pass uses words 0..q*S as a
    /// sliding window: a new word enters at the top (q*S - 1) and the others shift down.
    ifmap_spad: Vec<i16>,
    /// Psum spad (registers), `hw.psum_spad_words` words; a pass uses words 0..p.
    psum_spad: Vec<i16>,
    /// Access counters, cumulative over passes (cleared only by [`PeModel::new`]).
    pub counters: Counters,
}

impl PeModel {
    /// A PE fresh out of reset. The model is 16-bit: `hw.data_bits` must be 16.
    pub fn new(hw: PeConfig) -> Self {
        assert_eq!(hw.data_bits, 16, "the PE golden model is 16-bit");
        Self {
            filter_spad: vec![0; hw.filter_spad_words as usize],
            ifmap_spad: vec![0; hw.ifmap_spad_words as usize],
            psum_spad: vec![0; hw.psum_spad_words as usize],
            counters: Counters::default(),
            hw,
        }
    }

    /// The hardware configuration this model was built for.
    pub fn hw(&self) -> &PeConfig {
        &self.hw
    }

    /// Runs one pass; returns psum_out (E*p words, e-major: word `e*p + f`).
    ///
    /// `filters` holds p*q*S words (`(f*q + c)*S + s`), `ifmap` q*((E-1)*U + S) words
    /// (`w*q + c`), `psum_in` E*p words (`e*p + f`).
    pub fn run_pass(
        &mut self,
        cfg: &PassConfig,
        filters: &[i16],
        ifmap: &[i16],
        psum_in: &[i16],
    ) -> Result<Vec<i16>, PassError> {
        cfg.validate(&self.hw).map_err(PassError::Config)?;
        let (s, u, p, q, e) = (
            cfg.s as usize,
            cfg.u as usize,
            cfg.p as usize,
            cfg.q as usize,
            cfg.e as usize,
        );
        check_len("filters", cfg.filter_words(), filters)?;
        check_len("ifmap", cfg.ifmap_words(), ifmap)?;
        check_len("psum_in", e * p, psum_in)?;

        // Filters: written once, in stream order, and kept for the whole pass.
        for (i, &w) in filters.iter().enumerate() {
            self.filter_spad[i] = w;
            bump(&mut self.counters.filt_spad_writes);
        }

        let window = q * s;
        let mut ifmap_words = ifmap.iter().copied();
        let mut psum_in_words = psum_in.iter().copied();
        let mut psum_out = Vec::with_capacity(e * p);

        for out in 0..e {
            // The psum spad starts every output at zero (reset, then cleared as psums leave).
            // ifmap: q*S words for output 0, q*U for each later one, shifted through the window.
            let load = if out == 0 { window } else { q * u };
            for _ in 0..load {
                let word = ifmap_words.next().expect("length checked");
                self.shift_in(window, word);
            }
            // MAC slots in the order f, c, s (s fastest).
            for f in 0..p {
                for c in 0..q {
                    for k in 0..s {
                        self.mac_slot(f, (f * q + c) * s + k, k * q + c, cfg.shift);
                    }
                }
            }
            // psum_out: p words, f = 0..p-1, each the PE's sum plus its psum_in word (added on
            // the way out); the entry is cleared as it leaves (a write).
            for f in 0..p {
                let psum_in = psum_in_words.next().expect("length checked");
                psum_out.push(self.psum_spad[f].wrapping_add(psum_in));
                bump(&mut self.counters.psum_spad_reads);
                self.psum_spad[f] = 0;
                bump(&mut self.counters.psum_spad_writes);
            }
        }
        debug_assert!(ifmap_words.next().is_none() && psum_in_words.next().is_none());
        Ok(psum_out)
    }

    /// Shifts one ifmap word into the top of the `window`-word sliding window.
    fn shift_in(&mut self, window: usize, word: i16) {
        self.ifmap_spad.copy_within(1..window, 0);
        self.ifmap_spad[window - 1] = word;
        bump(&mut self.counters.ifmap_spad_writes);
    }

    /// One MAC slot: psum spad word `f` += filter spad word `fa` * ifmap spad word `ia`,
    /// unless the ifmap value is zero (gated: no filter read, no psum read or write).
    fn mac_slot(&mut self, f: usize, fa: usize, ia: usize, shift: u32) {
        let x = self.ifmap_spad[ia];
        bump(&mut self.counters.ifmap_spad_reads);
        if x == 0 {
            bump(&mut self.counters.macs_gated);
            return;
        }
        let w = self.filter_spad[fa];
        bump(&mut self.counters.filt_spad_reads);
        let psum = self.psum_spad[f];
        bump(&mut self.counters.psum_spad_reads);
        self.psum_spad[f] = mac(psum, x, w, shift);
        bump(&mut self.counters.psum_spad_writes);
        bump(&mut self.counters.macs);
    }
}

fn bump(counter: &mut u32) {
    *counter = counter.wrapping_add(1);
}

fn check_len(stream: &'static str, expected: usize, words: &[i16]) -> Result<(), PassError> {
    if words.len() == expected {
        Ok(())
    } else {
        Err(PassError::Length {
            stream,
            expected,
            got: words.len(),
        })
    }
}

/// The obviously-correct formula, straight from the definition, for tests:
/// `psum_out[e*p + f] = psum_in[e*p + f] + sum over c < q, s < S of
/// trunc(w[(f*q + c)*S + s] * x[(e*U + s)*q + c])`, wrapping.
///
/// The config must be valid and the streams of the right lengths (it panics otherwise).
pub fn reference_conv1d(
    cfg: &PassConfig,
    filters: &[i16],
    ifmap: &[i16],
    psum_in: &[i16],
) -> Vec<i16> {
    let (s, u, p, q, e) = (
        cfg.s as usize,
        cfg.u as usize,
        cfg.p as usize,
        cfg.q as usize,
        cfg.e as usize,
    );
    assert_eq!(filters.len(), p * q * s, "filters length");
    assert_eq!(ifmap.len(), q * ((e - 1) * u + s), "ifmap length");
    assert_eq!(psum_in.len(), e * p, "psum_in length");
    let w = |f: usize, c: usize, k: usize| filters[(f * q + c) * s + k];
    let x = |c: usize, col: usize| ifmap[col * q + c];
    let mut out = Vec::with_capacity(e * p);
    for oe in 0..e {
        for f in 0..p {
            let mut acc = psum_in[oe * p + f];
            for c in 0..q {
                for k in 0..s {
                    acc = mac(acc, x(c, oe * u + k), w(f, c, k), cfg.shift);
                }
            }
            out.push(acc);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn hw() -> PeConfig {
        PeConfig::eyeriss_v1()
    }

    fn cfg(s: u32, u: u32, p: u32, q: u32, e: u32, shift: u32) -> PassConfig {
        PassConfig {
            s,
            u,
            p,
            q,
            e,
            shift,
        }
    }

    /// A random word: often zero or an extreme, otherwise uniform.
    fn word(rng: &mut StdRng) -> i16 {
        match rng.gen_range(0..10) {
            0 | 1 => 0,
            2 => i16::MIN,
            3 => i16::MAX,
            4 => rng.gen_range(-2..=2),
            _ => rng.gen(),
        }
    }

    fn words(rng: &mut StdRng, n: usize) -> Vec<i16> {
        (0..n).map(|_| word(rng)).collect()
    }

    struct Streams {
        filters: Vec<i16>,
        ifmap: Vec<i16>,
        psum_in: Vec<i16>,
    }

    fn streams(rng: &mut StdRng, c: &PassConfig) -> Streams {
        Streams {
            filters: words(rng, c.filter_words()),
            ifmap: words(rng, c.ifmap_words()),
            psum_in: words(rng, (c.e * c.p) as usize),
        }
    }

    /// The counters a pass must add, computed from the streams.
    fn expected_counters(c: &PassConfig, st: &Streams) -> Counters {
        let (s, u, p, q) = (c.s as usize, c.u as usize, c.p as usize, c.q as usize);
        let mut macs = 0u32;
        let mut gated = 0u32;
        for e in 0..c.e as usize {
            for _f in 0..p {
                for ch in 0..q {
                    for k in 0..s {
                        if st.ifmap[(e * u + k) * q + ch] == 0 {
                            gated += 1;
                        } else {
                            macs += 1;
                        }
                    }
                }
            }
        }
        let slots = c.e * c.p * c.q * c.s;
        let psum_words = c.e * c.p;
        Counters {
            macs,
            macs_gated: gated,
            filt_spad_reads: macs,
            filt_spad_writes: c.p * c.q * c.s,
            ifmap_spad_reads: slots,
            ifmap_spad_writes: c.ifmap_words() as u32,
            psum_spad_reads: macs + psum_words,
            psum_spad_writes: macs + psum_words,
        }
    }

    fn add(a: Counters, b: Counters) -> Counters {
        Counters {
            macs: a.macs + b.macs,
            macs_gated: a.macs_gated + b.macs_gated,
            filt_spad_reads: a.filt_spad_reads + b.filt_spad_reads,
            filt_spad_writes: a.filt_spad_writes + b.filt_spad_writes,
            ifmap_spad_reads: a.ifmap_spad_reads + b.ifmap_spad_reads,
            ifmap_spad_writes: a.ifmap_spad_writes + b.ifmap_spad_writes,
            psum_spad_reads: a.psum_spad_reads + b.psum_spad_reads,
            psum_spad_writes: a.psum_spad_writes + b.psum_spad_writes,
        }
    }

    /// Runs one pass on `pe` and checks it against the reference and the counter formula.
    fn check(pe: &mut PeModel, c: &PassConfig, st: &Streams) -> Vec<i16> {
        let before = pe.counters;
        let got = pe
            .run_pass(c, &st.filters, &st.ifmap, &st.psum_in)
            .expect("valid pass");
        let want = reference_conv1d(c, &st.filters, &st.ifmap, &st.psum_in);
        assert_eq!(got, want, "psum_out for {c:?}");
        assert_eq!(got.len(), (c.e * c.p) as usize);
        assert_eq!(
            pe.counters,
            add(before, expected_counters(c, st)),
            "counters for {c:?}"
        );
        got
    }

    fn random_valid_cfg(rng: &mut StdRng) -> PassConfig {
        loop {
            let s = rng.gen_range(1..=12);
            let q = rng.gen_range(1..=12 / s);
            let p_max = (224 / (q * s)).min(24);
            let p = if rng.gen_bool(0.25) {
                p_max
            } else {
                rng.gen_range(1..=p_max)
            };
            let c = cfg(
                s,
                rng.gen_range(1..=12),
                p,
                q,
                rng.gen_range(1..=20),
                *[0, 0, 1, 4, 8, 15, 16, 31]
                    .get(rng.gen_range(0..8))
                    .unwrap(),
            );
            if c.validate(&hw()).is_ok() {
                return c;
            }
        }
    }

    #[test]
    fn mac_step() {
        assert_eq!(mac(0, 3, 4, 0), 12);
        assert_eq!(mac(10, -3, 4, 0), -2);
        assert_eq!(mac(0, 7, 1, 1), 3);
        assert_eq!(mac(0, -7, 1, 1), -4); // arithmetic shift rounds toward -inf
        assert_eq!(mac(0, i16::MIN, i16::MIN, 0), 0); // 2^30: low 16 bits are 0
        assert_eq!(mac(0, i16::MIN, i16::MIN, 15), i16::MIN); // 2^15 cut to 16 bits
        assert_eq!(mac(0, i16::MIN, i16::MIN, 16), 16384);
        assert_eq!(mac(0, i16::MIN, i16::MIN, 31), 0);
        assert_eq!(mac(0, i16::MIN, i16::MAX, 31), -1); // negative product >> 31 is -1
        assert_eq!(mac(i16::MAX, 1, 1, 0), i16::MIN); // the add wraps
        assert_eq!(mac(i16::MIN, -1, 1, 0), i16::MAX);
        assert_eq!(mac(0, i16::MAX, i16::MAX, 0), 1); // 0x3FFF_0001
        assert_eq!(mac(5, 0, i16::MAX, 0), 5);
    }

    #[test]
    fn random_configs_match_reference() {
        let mut rng = StdRng::seed_from_u64(0xE7E5_1555);
        let mut pe = PeModel::new(hw());
        for _ in 0..2000 {
            let c = random_valid_cfg(&mut rng);
            let st = streams(&mut rng, &c);
            check(&mut pe, &c, &st);
        }
    }

    /// Eyeriss v1 with a 32-word psum spad: the only way to reach p*q*S == 224, since with
    /// q*S <= 12 and p <= 24 the v1 preset tops out at 220 (22*10, 20*11).
    fn hw_wide_psum() -> PeConfig {
        PeConfig {
            psum_spad_words: 32,
            ..PeConfig::eyeriss_v1()
        }
    }

    #[test]
    fn edge_configs_match_reference() {
        let mut rng = StdRng::seed_from_u64(42);
        let v1 = [
            cfg(1, 1, 1, 1, 1, 0),    // smallest
            cfg(3, 5, 2, 2, 4, 0),    // U > S
            cfg(1, 12, 3, 1, 6, 2),   // U > S, S = 1
            cfg(2, 12, 4, 6, 3, 7),   // U > S, q*S == 12
            cfg(2, 3, 18, 6, 9, 31),  // U > S, q*S == 12, p*q*S == 216, shift 31
            cfg(12, 1, 18, 1, 5, 0),  // q*S == 12, p*q*S == 216
            cfg(4, 2, 18, 3, 3, 8),   // q*S == 12, p*q*S == 216
            cfg(10, 1, 22, 1, 2, 0),  // p*q*S == 220 (the v1 maximum)
            cfg(11, 2, 20, 1, 2, 31), // p*q*S == 220, shift 31
            cfg(2, 2, 24, 4, 2, 0),   // p == 24
            cfg(12, 12, 1, 1, 7, 0),  // S == U == 12
            cfg(3, 1, 8, 4, 255, 0),  // E at its maximum, q*S == 12
            cfg(6, 9, 2, 2, 1, 16),   // E == 1, q*S == 12 (U unused)
            cfg(1, 1, 18, 12, 1, 31), // E == 1, q == 12, p*q*S == 216, shift 31
        ];
        let wide = [
            cfg(8, 1, 28, 1, 3, 0),  // p*q*S == 224
            cfg(2, 5, 28, 4, 4, 31), // p*q*S == 224, U > S, shift 31
            cfg(4, 3, 28, 2, 1, 9),  // p*q*S == 224, E == 1
            cfg(7, 1, 32, 1, 2, 0),  // p*q*S == 224, p == 32
        ];
        for (hw, cases) in [(hw(), &v1[..]), (hw_wide_psum(), &wide[..])] {
            let mut pe = PeModel::new(hw.clone());
            for c in cases {
                assert_eq!(c.validate(&hw), Ok(()), "{c:?}");
                for _ in 0..20 {
                    let st = streams(&mut rng, c);
                    check(&mut pe, c, &st);
                }
            }
        }
        let all: Vec<_> = v1.iter().chain(&wide).collect();
        assert!(all.iter().any(|c| c.u > c.s));
        assert!(all.iter().any(|c| c.q * c.s == 12));
        assert!(all.iter().any(|c| c.p * c.q * c.s == 224));
        assert!(all.iter().any(|c| c.e == 1));
        assert!(all.iter().any(|c| c.shift == 0));
        assert!(all.iter().any(|c| c.shift == 31));
    }

    #[test]
    fn random_configs_match_reference_wide_psum() {
        let mut rng = StdRng::seed_from_u64(0x5EED);
        let hw = hw_wide_psum();
        let mut pe = PeModel::new(hw.clone());
        let mut hit_224 = false;
        for _ in 0..500 {
            let s = rng.gen_range(1..=12);
            let q = rng.gen_range(1..=12 / s);
            let p_max = (224 / (q * s)).min(32);
            let p = if rng.gen_bool(0.25) {
                p_max
            } else {
                rng.gen_range(1..=p_max)
            };
            let c = cfg(
                s,
                rng.gen_range(1..=12),
                p,
                q,
                rng.gen_range(1..=8),
                rng.gen_range(0..32),
            );
            assert_eq!(c.validate(&hw), Ok(()), "{c:?}");
            hit_224 |= c.p * c.q * c.s == 224;
            let st = streams(&mut rng, &c);
            check(&mut pe, &c, &st);
        }
        assert!(hit_224);
    }

    #[test]
    fn extreme_values_wrap() {
        // Every product is (-32768)^2 = 2^30 or 32767^2 = 0x3FFF_0001; shift 0 keeps
        // 0 or 1 of them, and the psum starts at the extremes so the adds wrap.
        let c = cfg(3, 1, 2, 4, 3, 0);
        let mut pe = PeModel::new(hw());
        for &v in &[i16::MIN, i16::MAX] {
            for &ps in &[i16::MIN, i16::MAX, -1] {
                let st = Streams {
                    filters: vec![v; c.filter_words()],
                    ifmap: vec![v; c.ifmap_words()],
                    psum_in: vec![ps; 6],
                };
                let out = check(&mut pe, &c, &st);
                let per_mac: i16 = if v == i16::MAX { 1 } else { 0 };
                assert_eq!(out, vec![ps.wrapping_add(12 * per_mac); 6]);
            }
        }
        // shift 15: MIN*MIN >> 15 = 32768 = i16::MIN; twelve of them wrap to 0.
        let c = cfg(3, 1, 2, 4, 3, 15);
        let st = Streams {
            filters: vec![i16::MIN; c.filter_words()],
            ifmap: vec![i16::MIN; c.ifmap_words()],
            psum_in: vec![7; 6],
        };
        assert_eq!(check(&mut pe, &c, &st), vec![7; 6]);
        // shift 31 of a negative product is -1 per MAC.
        let c = cfg(2, 2, 3, 6, 2, 31);
        let st = Streams {
            filters: vec![i16::MAX; c.filter_words()],
            ifmap: vec![i16::MIN; c.ifmap_words()],
            psum_in: vec![i16::MIN; 6],
        };
        assert_eq!(check(&mut pe, &c, &st), vec![i16::MIN.wrapping_sub(12); 6]);
    }

    #[test]
    fn hand_worked_pass() {
        // S=2, U=1, p=2, q=1, E=2, shift=1.
        // w[0] = [3, -2], w[1] = [5, 7]; x = [4, 0, -6] (x[1] == 0 gates).
        // e=0: columns 0,1 -> x = 4, 0
        //   f0: 10 + (3*4)>>1 = 16          (slot x=0 gated)
        //   f1: -1 + (5*4)>>1 = 9
        // e=1: columns 1,2 -> x = 0, -6
        //   f0: 100 + (-2*-6)>>1 = 106
        //   f1: 0 + (7*-6)>>1 = -21
        let c = cfg(2, 1, 2, 1, 2, 1);
        let mut pe = PeModel::new(hw());
        let out = pe
            .run_pass(&c, &[3, -2, 5, 7], &[4, 0, -6], &[10, -1, 100, 0])
            .unwrap();
        assert_eq!(out, vec![16, 9, 106, -21]);
        assert_eq!(
            pe.counters,
            Counters {
                macs: 4,
                macs_gated: 4,
                filt_spad_reads: 4,
                filt_spad_writes: 4,
                ifmap_spad_reads: 8,
                ifmap_spad_writes: 3,
                psum_spad_reads: 4 + 4,
                psum_spad_writes: 4 + 4,
            }
        );
        // Counters accumulate over passes.
        let out = pe
            .run_pass(&c, &[1, 1, 1, 1], &[0, 0, 0], &[1, 2, 3, 4])
            .unwrap();
        assert_eq!(out, vec![1, 2, 3, 4]);
        assert_eq!(pe.counters.macs, 4);
        assert_eq!(pe.counters.macs_gated, 12);
        assert_eq!(pe.counters.filt_spad_writes, 8);
        assert_eq!(pe.counters.ifmap_spad_reads, 16);
        assert_eq!(pe.counters.ifmap_spad_writes, 6);
        assert_eq!(pe.counters.psum_spad_reads, 12);
        assert_eq!(pe.counters.psum_spad_writes, 12);
    }

    #[test]
    fn hand_worked_two_channels_stride() {
        // S=2, U=3, p=1, q=2, E=2, shift=0: stride > S, so column 2 shifts through unused.
        // ifmap columns (c0, c1): col0 (1, 2), col1 (0, 3), col2 (9, 9), col3 (4, 0), col4 (5, 6)
        // w[0][0] = [1, 10], w[0][1] = [100, 1000]
        // e=0 (cols 0,1): 1*1 + 0(gated) + 2*100 + 3*1000 = 3201
        // e=1 (cols 3,4): 4*1 + 5*10 + 0(gated) + 6*1000 = 6054
        let c = cfg(2, 3, 1, 2, 2, 0);
        let mut pe = PeModel::new(hw());
        let ifmap = [1, 2, 0, 3, 9, 9, 4, 0, 5, 6];
        let out = pe
            .run_pass(&c, &[1, 10, 100, 1000], &ifmap, &[0, 0])
            .unwrap();
        assert_eq!(out, vec![3201, 6054]);
        assert_eq!(
            pe.counters,
            Counters {
                macs: 6,
                macs_gated: 2,
                filt_spad_reads: 6,
                filt_spad_writes: 4,
                ifmap_spad_reads: 8,
                ifmap_spad_writes: 10,
                psum_spad_reads: 6 + 2,
                psum_spad_writes: 6 + 2,
            }
        );
    }

    #[test]
    fn window_layout_after_loading() {
        // Word i of the window after loading is column i/q, channel i%q.
        let c = cfg(3, 2, 1, 2, 3, 0);
        let mut pe = PeModel::new(hw());
        // x[c][w] = 10*w + c + 1 (never zero).
        let ifmap: Vec<i16> = (0..c.ifmap_words())
            .map(|i| (10 * (i / 2) + i % 2 + 1) as i16)
            .collect();
        pe.run_pass(&c, &[0; 6], &ifmap, &[0; 3]).unwrap();
        // After the last output (e=2) the window holds columns 4, 5, 6.
        let window: Vec<i16> = pe.ifmap_spad[..6].to_vec();
        assert_eq!(window, vec![41, 42, 51, 52, 61, 62]);
    }

    fn assert_refused(hw: &PeConfig, c: PassConfig) {
        let mut pe = PeModel::new(hw.clone());
        // Run a valid pass first so the counters are not all zero.
        pe.run_pass(&cfg(1, 1, 1, 1, 1, 0), &[2], &[3], &[4])
            .unwrap();
        let before = pe.counters;
        // Streams of the lengths the formulas give (saturating where E = 0).
        let fw = (c.p * c.q * c.s) as usize;
        let iw = (c.q * (c.e.saturating_sub(1) * c.u + c.s)) as usize;
        let pw = (c.e * c.p) as usize;
        let r = pe.run_pass(&c, &vec![1; fw], &vec![1; iw], &vec![1; pw]);
        assert!(matches!(r, Err(PassError::Config(_))), "{c:?}: {r:?}");
        assert_eq!(pe.counters, before, "{c:?} changed counters");
    }

    #[test]
    fn invalid_configs_are_refused() {
        let v1 = hw();
        assert_refused(&v1, cfg(0, 1, 1, 1, 1, 0)); // S = 0
        assert_refused(&v1, cfg(13, 1, 1, 1, 1, 0)); // S = 13 (q*S = 13)
        assert_refused(&v1, cfg(1, 1, 1, 13, 1, 0)); // q = 13 (q*S = 13)
        assert_refused(&v1, cfg(3, 1, 1, 5, 1, 0)); // q*S = 15, fields legal
        assert_refused(&v1, cfg(2, 1, 1, 7, 1, 0)); // q*S = 14, fields legal
        assert_refused(&v1, cfg(1, 1, 25, 9, 1, 0)); // p = 25, p*q*S = 225
        assert_refused(&v1, cfg(1, 1, 25, 1, 1, 0)); // p = 25 alone
        assert_refused(&v1, cfg(10, 1, 23, 1, 1, 0)); // p*q*S = 230, fields legal
        assert_refused(&v1, cfg(12, 1, 19, 1, 1, 0)); // p*q*S = 228, fields legal
        assert_refused(&v1, cfg(1, 1, 0, 1, 1, 0)); // p = 0
        assert_refused(&v1, cfg(1, 1, 1, 0, 1, 0)); // q = 0
        assert_refused(&v1, cfg(1, 0, 1, 1, 1, 0)); // U = 0
        assert_refused(&v1, cfg(1, 13, 1, 1, 1, 0)); // U = 13
        assert_refused(&v1, cfg(1, 1, 1, 1, 0, 0)); // E = 0
        assert_refused(&v1, cfg(1, 1, 1, 1, 256, 0)); // E = 256
        assert_refused(&v1, cfg(1, 1, 1, 1, 1, 32)); // shift = 32
                                                     // With a 32-word psum spad, p*q*S = 225 is refused by the filter spad alone.
        let wide = hw_wide_psum();
        assert_refused(&wide, cfg(9, 1, 25, 1, 1, 0)); // p*q*S = 225
        assert_refused(&wide, cfg(3, 1, 25, 3, 1, 0)); // p*q*S = 225
        assert_refused(&wide, cfg(1, 1, 33, 1, 1, 0)); // p = 33
    }

    #[test]
    fn config_error_message() {
        let mut pe = PeModel::new(hw());
        let err = pe
            .run_pass(&cfg(0, 1, 1, 1, 1, 0), &[], &[], &[])
            .unwrap_err();
        assert_eq!(
            err,
            PassError::Config(cfg(0, 1, 1, 1, 1, 0).validate(&hw()).unwrap_err())
        );
        assert!(err
            .to_string()
            .starts_with("configuration refused: S (filter width)"));
        assert_eq!(pe.counters, Counters::default());
    }

    #[test]
    fn wrong_stream_lengths_are_refused() {
        let c = cfg(3, 2, 2, 2, 3, 0); // filters 12, ifmap 2*(2*2+3) = 14, psum_in 6
        let mut pe = PeModel::new(hw());
        pe.run_pass(&c, &[1; 12], &[1; 14], &[1; 6]).unwrap();
        let before = pe.counters;
        // (filters, ifmap, psum_in lengths) -> (stream, expected, got)
        let cases = [
            ((11, 14, 6), ("filters", 12, 11)),
            ((13, 14, 6), ("filters", 12, 13)),
            ((12, 13, 6), ("ifmap", 14, 13)),
            ((12, 15, 6), ("ifmap", 14, 15)),
            ((12, 14, 5), ("psum_in", 6, 5)),
            ((12, 14, 0), ("psum_in", 6, 0)),
            ((0, 0, 0), ("filters", 12, 0)),
        ];
        for ((f, x, ps), (stream, expected, got)) in cases {
            let r = pe.run_pass(&c, &vec![1; f], &vec![1; x], &vec![1; ps]);
            assert_eq!(
                r,
                Err(PassError::Length {
                    stream,
                    expected,
                    got
                })
            );
            assert_eq!(pe.counters, before);
        }
        let err = pe.run_pass(&c, &[1; 11], &[1; 14], &[1; 6]).unwrap_err();
        assert_eq!(err.to_string(), "filters: expected 12 words, got 11");
    }

    #[test]
    fn counters_wrap() {
        let mut pe = PeModel::new(hw());
        pe.counters = Counters {
            macs: u32::MAX,
            macs_gated: u32::MAX,
            filt_spad_reads: u32::MAX,
            filt_spad_writes: u32::MAX,
            ifmap_spad_reads: u32::MAX,
            ifmap_spad_writes: u32::MAX,
            psum_spad_reads: u32::MAX,
            psum_spad_writes: u32::MAX,
        };
        // S=2, p=1, q=1, E=1: x = [5, 0] -> one MAC, one gated slot.
        pe.run_pass(&cfg(2, 1, 1, 1, 1, 0), &[1, 1], &[5, 0], &[0])
            .unwrap();
        assert_eq!(
            pe.counters,
            Counters {
                macs: 0,
                macs_gated: 0,
                filt_spad_reads: 0,
                filt_spad_writes: 1,
                ifmap_spad_reads: 1,
                ifmap_spad_writes: 1,
                psum_spad_reads: 1,
                psum_spad_writes: 1,
            }
        );
    }

    #[test]
    fn filters_persist_only_within_a_pass() {
        // A second pass with other filters must not see the first pass's filters, and a
        // smaller pass after a larger one must not see stale spad words.
        let mut rng = StdRng::seed_from_u64(7);
        let mut pe = PeModel::new(hw());
        for c in [
            cfg(4, 1, 14, 3, 4, 3),
            cfg(1, 1, 1, 1, 3, 0),
            cfg(2, 5, 3, 6, 5, 1),
        ] {
            let st = streams(&mut rng, &c);
            check(&mut pe, &c, &st);
        }
    }
}
