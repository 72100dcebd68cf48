//! Golden model of the Eyeriss run-length coder (RLC) of feature maps: plain Rust, bit-exact
//! with the hardware.
//!
//! A stream of N signed 16-bit values is coded as (run, level) pairs: `run` zeros followed by
//! the value `level` (which may itself be zero). Pairs are packed three to a 64-bit word
//! (bit 0 = LSB):
//!
//! | bits  | field                                                  |
//! |-------|--------------------------------------------------------|
//! | 4:0   | run 0: zeros before level 0 (0-31)                     |
//! | 20:5  | level 0: 16-bit value, two's complement                |
//! | 25:21 | run 1                                                  |
//! | 41:26 | level 1                                                |
//! | 46:42 | run 2                                                  |
//! | 62:47 | level 2                                                |
//! | 63    | term: 1 on the last word of a stream, 0 otherwise      |
//!
//! **Encoder** ([`encode`]): keep `r = 0`; for each value `v` at index `i`: if `v` is the last
//! value, emit `(r, v)` and reset `r`; else if `v == 0` and `r < 31`, `r += 1`; else emit
//! `(r, v)` and reset `r`. Pairs fill words in order (pair 0 in bits 20:0); the word holding
//! the last pair has term = 1 and its unused pairs are `(0, 0)`. N = 0 gives exactly one word,
//! all pairs `(0, 0)`, term = 1, so that every stream ends with a term word. Example: 40 zeros
//! then 7 give `(31, 0), (8, 7)`: the first 32 zeros are 31 zeros plus a zero level.
//!
//! **Decoder** ([`decode`]), told N: for each word `k`, for each pair `(r, l)` in order:
//! - once N values are out, the pair must be the padding `(0, 0)`, else
//!   [`RlcError::ExtraValues`];
//! - a pair that would take the count past N is refused ([`RlcError::ExtraValues`]) and emits
//!   nothing;
//! - otherwise it emits `r` zeros then `l`.
//!
//! After the three pairs: a term word with fewer than N values out is
//! [`RlcError::EarlyTerm`]; a term word with N out ends the stream; a word without term with N
//! out is [`RlcError::MissingTerm`]. Running out of words is [`RlcError::Truncated`].

/// The longest run a pair can hold (5 bits).
pub const MAX_RUN: u16 = 31;

const RUN_BITS: u32 = 5;
const LEVEL_BITS: u32 = 16;
const PAIR_BITS: u32 = RUN_BITS + LEVEL_BITS;
const TERM_BIT: u32 = 63;

/// Packs three (run, level) pairs and the term bit into one word (pair 0 in bits 20:0).
///
/// # Panics
///
/// If a run exceeds [`MAX_RUN`] (it would not fit in 5 bits).
pub fn pack(pairs: [(u8, i16); 3], term: bool) -> u64 {
    let mut word = 0u64;
    for (j, (run, level)) in pairs.into_iter().enumerate() {
        assert!(
            u16::from(run) <= MAX_RUN,
            "run {run} of pair {j} does not fit in 5 bits (max {MAX_RUN})"
        );
        let pair = u64::from(run) | (u64::from(level as u16) << RUN_BITS);
        word |= pair << (PAIR_BITS * j as u32);
    }
    word | (u64::from(term) << TERM_BIT)
}

/// Splits a word into its three (run, level) pairs and its term bit. Every word is valid.
pub fn unpack(word: u64) -> ([(u8, i16); 3], bool) {
    let pair = |j: u32| {
        let bits = word >> (PAIR_BITS * j);
        let run = (bits & ((1 << RUN_BITS) - 1)) as u8;
        let level = ((bits >> RUN_BITS) & ((1 << LEVEL_BITS) - 1)) as u16 as i16;
        (run, level)
    };
    ([pair(0), pair(1), pair(2)], (word >> TERM_BIT) & 1 == 1)
}

/// Encodes a stream of values (see the module doc for the exact rule). Always at least one
/// word; the last word, and only it, has its term bit set.
pub fn encode(values: &[i16]) -> Vec<u64> {
    let mut pairs: Vec<(u8, i16)> = Vec::with_capacity(values.len() / 2 + 1);
    let mut run: u16 = 0;
    for (i, &v) in values.iter().enumerate() {
        let last = i + 1 == values.len();
        if !last && v == 0 && run < MAX_RUN {
            run += 1;
        } else {
            pairs.push((run as u8, v));
            run = 0;
        }
    }
    if pairs.is_empty() {
        return vec![pack([(0, 0); 3], true)];
    }
    let words = pairs.len().div_ceil(3);
    pairs
        .chunks(3)
        .enumerate()
        .map(|(k, chunk)| {
            let mut word_pairs = [(0u8, 0i16); 3];
            word_pairs[..chunk.len()].copy_from_slice(chunk);
            pack(word_pairs, k + 1 == words)
        })
        .collect()
}

/// Why a stream does not decode to the expected number of values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RlcError {
    /// A pair of this word would give more values than expected, or a pair after the last
    /// value is not the padding (0, 0).
    #[error("word {word}: the stream holds more values than expected (a pair past the end, or one whose run overflows the count)")]
    ExtraValues { word: usize },
    /// This word has the term bit set but fewer values than expected were decoded.
    #[error(
        "word {word}: the term bit is set after only {produced} value(s), fewer than expected"
    )]
    EarlyTerm { word: usize, produced: usize },
    /// All the expected values were decoded by this word but its term bit is not set.
    #[error("word {word}: every expected value is decoded but the term bit is not set")]
    MissingTerm { word: usize },
    /// The words ran out before a term word (only the model reports it: the hardware waits
    /// for more words).
    #[error("truncated stream: {words} word(s) gave {produced} value(s) and no term word")]
    Truncated { words: usize, produced: usize },
}

impl RlcError {
    /// The 2-bit code the hardware's `error_kind` output gives: ExtraValues 1, EarlyTerm 2,
    /// MissingTerm 3 (Truncated has none: the hardware waits for more words).
    pub fn kind_code(&self) -> Option<u8> {
        match self {
            RlcError::ExtraValues { .. } => Some(1),
            RlcError::EarlyTerm { .. } => Some(2),
            RlcError::MissingTerm { .. } => Some(3),
            RlcError::Truncated { .. } => None,
        }
    }
}

/// The outcome of [`decode`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// Every value emitted, in order; on an error, those emitted before it stopped decoding.
    pub values: Vec<i16>,
    /// Words consumed: up to and including the term word on success, up to and including the
    /// word at fault on an error (all of them for [`RlcError::Truncated`]).
    pub words_used: usize,
    /// `None` when the stream decoded to exactly `n` values and ended with a term word.
    pub error: Option<RlcError>,
}

/// Decodes a stream expected to hold `n` values (see the module doc for the exact rule).
/// Never emits more than `n` values; words after the term word are not read.
pub fn decode(words: &[u64], n: usize) -> Decoded {
    // Capacity from what the words can hold, not from `n`, which may be untrusted.
    let cap = n.min(words.len().saturating_mul(3 * (usize::from(MAX_RUN) + 1)));
    let mut values: Vec<i16> = Vec::with_capacity(cap);
    let stop = |values: Vec<i16>, k: usize, error: Option<RlcError>| Decoded {
        values,
        words_used: k + 1,
        error,
    };
    for (k, &word) in words.iter().enumerate() {
        let (pairs, term) = unpack(word);
        for (run, level) in pairs {
            let produced = values.len();
            if produced == n {
                if (run, level) != (0, 0) {
                    return stop(values, k, Some(RlcError::ExtraValues { word: k }));
                }
                continue;
            }
            if produced + usize::from(run) + 1 > n {
                return stop(values, k, Some(RlcError::ExtraValues { word: k }));
            }
            values.extend(std::iter::repeat_n(0, usize::from(run)));
            values.push(level);
        }
        let produced = values.len();
        if term {
            let error = (produced < n).then_some(RlcError::EarlyTerm { word: k, produced });
            return stop(values, k, error);
        }
        if produced == n {
            return stop(values, k, Some(RlcError::MissingTerm { word: k }));
        }
    }
    let produced = values.len();
    Decoded {
        values,
        words_used: words.len(),
        error: Some(RlcError::Truncated {
            words: words.len(),
            produced,
        }),
    }
}

/// The entropy bound for a stream, in bits: N * H where H is the empirical (zeroth-order)
/// entropy of the values, in bits per value. 0 for an empty stream.
pub fn entropy_bits(values: &[i16]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut counts = vec![0u64; 1 << 16];
    for &v in values {
        counts[usize::from(v as u16)] += 1;
    }
    let n = values.len() as f64;
    let h: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum();
    n * h
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// All the pairs of a stream, in order, padding included.
    fn pairs_of(words: &[u64]) -> Vec<(u8, i16)> {
        words.iter().flat_map(|&w| unpack(w).0).collect()
    }

    /// The pairs that carry the `n` values of a valid stream (the padding left out).
    fn real_pairs(words: &[u64], n: usize) -> Vec<(u8, i16)> {
        let mut produced = 0;
        pairs_of(words)
            .into_iter()
            .take_while(|&(r, _)| {
                let take = produced < n;
                produced += usize::from(r) + 1;
                take
            })
            .collect()
    }

    /// Checks the stream invariants, then the round trip and the words used.
    fn check_round_trip(values: &[i16]) {
        let words = encode(values);
        assert!(!words.is_empty());
        for (k, &w) in words.iter().enumerate() {
            assert_eq!(unpack(w).1, k + 1 == words.len(), "term bit of word {k}");
        }
        let decoded = decode(&words, values.len());
        assert_eq!(decoded.error, None, "len {}", values.len());
        assert_eq!(decoded.values, values, "len {}", values.len());
        assert_eq!(decoded.words_used, words.len());
    }

    fn random_values(rng: &mut StdRng, len: usize, sparsity: f64) -> Vec<i16> {
        (0..len)
            .map(|_| if rng.gen_bool(sparsity) { 0 } else { rng.gen() })
            .collect()
    }

    #[test]
    fn pack_layout_matches_the_table() {
        assert_eq!(pack([(0, 0); 3], false), 0);
        assert_eq!(pack([(0, 0); 3], true), 1 << 63);
        assert_eq!(pack([(31, 0), (0, 0), (0, 0)], false), 0x1f);
        assert_eq!(pack([(0, -1), (0, 0), (0, 0)], false), 0xffff << 5);
        assert_eq!(pack([(0, 0), (31, 0), (0, 0)], false), 0x1f << 21);
        assert_eq!(pack([(0, 0), (0, -1), (0, 0)], false), 0xffff << 26);
        assert_eq!(pack([(0, 0), (0, 0), (31, 0)], false), 0x1f << 42);
        assert_eq!(pack([(0, 0), (0, 0), (0, -1)], false), 0xffff << 47);
        assert_eq!(pack([(31, -1); 3], true), u64::MAX);
        assert_eq!(
            pack([(3, 0x1234), (0, 0), (0, 0)], false),
            (0x1234 << 5) | 3
        );
        assert_eq!(pack([(0, i16::MIN), (0, 0), (0, 0)], false), 0x8000 << 5);
    }

    #[test]
    #[should_panic(expected = "does not fit in 5 bits")]
    fn pack_refuses_a_long_run() {
        pack([(0, 0), (32, 1), (0, 0)], false);
    }

    proptest! {
        #[test]
        fn pack_unpack_round_trip(
            runs in proptest::array::uniform3(0u8..=31),
            levels in proptest::array::uniform3(any::<i16>()),
            term in any::<bool>(),
        ) {
            let pairs = [(runs[0], levels[0]), (runs[1], levels[1]), (runs[2], levels[2])];
            prop_assert_eq!(unpack(pack(pairs, term)), (pairs, term));
        }

        #[test]
        fn unpack_pack_round_trip(word in any::<u64>()) {
            let (pairs, term) = unpack(word);
            prop_assert_eq!(pack(pairs, term), word);
        }

        /// Values drawn mostly zero, with a varying share of nonzero and long zero runs.
        #[test]
        fn round_trip_proptest(
            values in prop_oneof![
                proptest::collection::vec(any::<i16>(), 0..400),
                proptest::collection::vec(prop_oneof![4 => Just(0i16), 1 => any::<i16>()], 0..1500),
                proptest::collection::vec(prop_oneof![40 => Just(0i16), 1 => any::<i16>()], 0..3000),
                proptest::collection::vec(Just(0i16), 0..200),
            ]
        ) {
            let words = encode(&values);
            let decoded = decode(&words, values.len());
            prop_assert_eq!(decoded.error, None);
            prop_assert_eq!(&decoded.values, &values);
            prop_assert_eq!(decoded.words_used, words.len());
        }

        /// Random words and a random count: no panic, never more than n values, exactly n
        /// values when there is no error, and no more words used than given.
        #[test]
        fn decode_fuzz_proptest(
            words in proptest::collection::vec(any::<u64>(), 0..12),
            n in 0usize..400,
        ) {
            let d = decode(&words, n);
            prop_assert!(d.values.len() <= n);
            prop_assert!(d.words_used <= words.len());
            if d.error.is_none() {
                prop_assert_eq!(d.values.len(), n);
            }
        }
    }

    #[test]
    fn round_trip_every_length_and_sparsity() {
        let mut rng = StdRng::seed_from_u64(0x5eed_0001);
        for len in 0..=3000 {
            let sparsity = f64::from((len % 11) as u32) / 10.0; // 0%..100%
            let values = random_values(&mut rng, len, sparsity.min(1.0));
            check_round_trip(&values);
        }
    }

    #[test]
    fn round_trip_long_streams() {
        let mut rng = StdRng::seed_from_u64(0x5eed_0002);
        for (i, &len) in [9_998, 9_999, 10_000, 10_001, 10_002, 12_345]
            .iter()
            .enumerate()
        {
            for step in 0..=10 {
                let values = random_values(&mut rng, len + i, f64::from(step) / 10.0);
                check_round_trip(&values);
            }
        }
    }

    #[test]
    fn round_trip_long_zero_runs_at_start_middle_and_end() {
        let mut rng = StdRng::seed_from_u64(0x5eed_0003);
        for zeros in [1usize, 2, 30, 31, 32, 33, 61, 62, 63, 64, 65, 95, 96, 1000] {
            let zs = vec![0i16; zeros];
            let mut cases = vec![
                zs.clone(),
                [zs.clone(), vec![7]].concat(),
                [vec![5], zs.clone()].concat(),
                [vec![5], zs.clone(), vec![-9]].concat(),
                [vec![0], zs.clone(), vec![0]].concat(),
            ];
            for _ in 0..4 {
                let (la, lb) = (rng.gen_range(0..40), rng.gen_range(0..40));
                let a = random_values(&mut rng, la, 0.5);
                let b = random_values(&mut rng, lb, 0.5);
                cases.push([a.clone(), zs.clone()].concat());
                cases.push([zs.clone(), b.clone()].concat());
                cases.push([a, zs.clone(), b].concat());
            }
            for values in cases {
                check_round_trip(&values);
            }
        }
    }

    #[test]
    fn forty_zeros_then_seven_is_31_0_then_8_7() {
        let values = [vec![0i16; 40], vec![7]].concat();
        let words = encode(&values);
        assert_eq!(words, vec![pack([(31, 0), (8, 7), (0, 0)], true)]);
        check_round_trip(&values);
    }

    #[test]
    fn hand_cases_pairs_and_word_counts() {
        // N = 0: one term word of padding.
        assert_eq!(encode(&[]), vec![1u64 << 63]);
        // One value, zero or not: one pair.
        assert_eq!(encode(&[0]), vec![pack([(0, 0), (0, 0), (0, 0)], true)]);
        assert_eq!(encode(&[-3]), vec![pack([(0, -3), (0, 0), (0, 0)], true)]);
        // Trailing zeros end on a zero level.
        assert_eq!(
            encode(&[0, 0, 0]),
            vec![pack([(2, 0), (0, 0), (0, 0)], true)]
        );
        assert_eq!(
            encode(&[1, 0, 0, 2, 3]),
            vec![pack([(0, 1), (2, 2), (0, 3)], true)]
        );
        // Four pairs: two words, the second padded.
        assert_eq!(
            encode(&[1, 2, 3, 4]),
            vec![
                pack([(0, 1), (0, 2), (0, 3)], false),
                pack([(0, 4), (0, 0), (0, 0)], true)
            ]
        );
        // 31 zeros then 1: one pair. 32 zeros then 1: (31,0),(0,1).
        assert_eq!(
            encode(&[vec![0; 31], vec![1]].concat()),
            vec![pack([(31, 1), (0, 0), (0, 0)], true)]
        );
        assert_eq!(
            encode(&[vec![0; 32], vec![1]].concat()),
            vec![pack([(31, 0), (0, 1), (0, 0)], true)]
        );
        // 64 zeros: (31,0),(31,0),(0,0).
        assert_eq!(
            encode(&[0; 64]),
            vec![pack([(31, 0), (31, 0), (0, 0)], true)]
        );
        // 65 zeros: the last one is a pair of its own, (0,0), which looks like padding: the
        // same word as for 64 zeros, told apart by N.
        assert_eq!(
            encode(&[0; 65]),
            vec![pack([(31, 0), (31, 0), (0, 0)], true)]
        );
        assert_eq!(decode(&encode(&[0; 65]), 65).values, vec![0; 65]);
        assert_eq!(decode(&encode(&[0; 65]), 64).values, vec![0; 64]);
        // Word counts.
        let count = |v: &[i16]| encode(v).len();
        assert_eq!(count(&[7; 3]), 1);
        assert_eq!(count(&[7; 4]), 2);
        assert_eq!(count(&[7; 6]), 2);
        assert_eq!(count(&[7; 7]), 3);
        assert_eq!(count(&[0; 96]), 1); // 32 + 32 + 32
        assert_eq!(count(&[0; 97]), 2);
        assert_eq!(count(&[0; 1000]), 11); // ceil(1000 / 32) = 32 pairs
        assert_eq!(count(&[1; 3000]), 1000);
    }

    #[test]
    fn error_extra_non_padding_pair_after_n() {
        // N = 2 satisfied by pair 1, then pair 2 is not padding.
        let w = pack([(0, 1), (0, 2), (0, 3)], true);
        let d = decode(&[w], 2);
        assert_eq!(d.error, Some(RlcError::ExtraValues { word: 0 }));
        assert_eq!(d.values, vec![1, 2]);
        assert_eq!(d.words_used, 1);
        // A zero level with a zero run is padding; a zero level with a run is not.
        let w = pack([(0, 1), (0, 2), (1, 0)], true);
        assert_eq!(
            decode(&[w], 2).error,
            Some(RlcError::ExtraValues { word: 0 })
        );
        // Extra pair in a following word.
        let w0 = pack([(0, 1), (0, 2), (0, 3)], false);
        let w1 = pack([(0, 0), (0, 9), (0, 0)], true);
        let d = decode(&[w0, w1], 3);
        assert_eq!(d.error, Some(RlcError::MissingTerm { word: 0 }));
        let d = decode(&[w0, w1], 4);
        assert_eq!(d.error, Some(RlcError::ExtraValues { word: 1 }));
        assert_eq!(d.values, vec![1, 2, 3, 0]);
        assert_eq!(d.words_used, 2);
    }

    #[test]
    fn error_overflowing_run() {
        // 5 values expected, the pair (5, 1) would give 6: nothing of it is emitted.
        let w = pack([(5, 1), (0, 0), (0, 0)], true);
        let d = decode(&[w], 5);
        assert_eq!(d.error, Some(RlcError::ExtraValues { word: 0 }));
        assert!(d.values.is_empty());
        // Same in the middle of a stream.
        let w = pack([(0, 4), (3, 1), (0, 0)], true);
        let d = decode(&[w], 4);
        assert_eq!(d.error, Some(RlcError::ExtraValues { word: 0 }));
        assert_eq!(d.values, vec![4]);
        // Exactly reaching N is fine.
        let d = decode(&[w], 5);
        assert_eq!(d.error, None);
        assert_eq!(d.values, vec![4, 0, 0, 0, 1]);
    }

    #[test]
    fn error_n_zero_with_a_non_padding_pair() {
        for pairs in [
            [(0u8, 1i16), (0, 0), (0, 0)],
            [(1, 0), (0, 0), (0, 0)],
            [(0, 0), (0, 0), (0, -1)],
        ] {
            let d = decode(&[pack(pairs, true)], 0);
            assert_eq!(
                d.error,
                Some(RlcError::ExtraValues { word: 0 }),
                "{pairs:?}"
            );
            assert!(d.values.is_empty());
        }
        // N = 0 without a term bit: padding, then the missing term.
        let d = decode(&[pack([(0, 0); 3], false)], 0);
        assert_eq!(d.error, Some(RlcError::MissingTerm { word: 0 }));
        // The proper N = 0 stream.
        let d = decode(&encode(&[]), 0);
        assert_eq!(d.error, None);
        assert_eq!(d.words_used, 1);
    }

    #[test]
    fn error_term_too_early() {
        let values: Vec<i16> = (1..=10).collect();
        let words = encode(&values); // 4 words
                                     // Set term on word 1 (6 values out).
        let mut bad = words.clone();
        bad[1] |= 1 << 63;
        let d = decode(&bad, 10);
        assert_eq!(
            d.error,
            Some(RlcError::EarlyTerm {
                word: 1,
                produced: 6
            })
        );
        assert_eq!(d.values, values[..6]);
        assert_eq!(d.words_used, 2);
        // A stream whose last word is full, decoded with a larger N than it holds.
        let values: Vec<i16> = (1..=9).collect();
        let d = decode(&encode(&values), 10);
        assert_eq!(
            d.error,
            Some(RlcError::EarlyTerm {
                word: 2,
                produced: 9
            })
        );
        assert_eq!(d.values, values);
        // With room left in the last word, the padding (0, 0) is a zero value to a decoder
        // told a larger N: the rule of the format, not an error.
        let values: Vec<i16> = (1..=10).collect();
        let d = decode(&encode(&values), 11);
        assert_eq!(d.error, None);
        assert_eq!(d.values, [values.clone(), vec![0]].concat());
        let d = decode(&encode(&values), 13);
        assert_eq!(
            d.error,
            Some(RlcError::EarlyTerm {
                word: 3,
                produced: 12
            })
        );
    }

    #[test]
    fn error_missing_term() {
        let values: Vec<i16> = (1..=6).collect();
        let mut words = encode(&values);
        words[1] &= !(1 << 63);
        let d = decode(&words, 6);
        assert_eq!(d.error, Some(RlcError::MissingTerm { word: 1 }));
        assert_eq!(d.values, values);
        assert_eq!(d.words_used, 2);
        // A stream decoded with a smaller N than it holds, ending on a word boundary.
        let d = decode(&encode(&values), 3);
        assert_eq!(d.error, Some(RlcError::MissingTerm { word: 0 }));
    }

    #[test]
    fn error_truncated() {
        let values: Vec<i16> = (1..=10).collect();
        let words = encode(&values);
        let d = decode(&words[..2], 10);
        assert_eq!(
            d.error,
            Some(RlcError::Truncated {
                words: 2,
                produced: 6
            })
        );
        assert_eq!(d.values, values[..6]);
        assert_eq!(d.words_used, 2);
        let d = decode(&[], 0);
        assert_eq!(
            d.error,
            Some(RlcError::Truncated {
                words: 0,
                produced: 0
            })
        );
        assert_eq!(d.words_used, 0);
        let d = decode(&[], 5);
        assert_eq!(
            d.error,
            Some(RlcError::Truncated {
                words: 0,
                produced: 0
            })
        );
    }

    #[test]
    fn words_after_the_term_word_are_not_read() {
        let values: Vec<i16> = vec![3, 0, 0, 4];
        let mut words = encode(&values);
        words.push(u64::MAX);
        let d = decode(&words, values.len());
        assert_eq!(d.error, None);
        assert_eq!(d.values, values);
        assert_eq!(d.words_used, 1);
    }

    #[test]
    fn kind_codes_and_messages() {
        let errors = [
            RlcError::ExtraValues { word: 3 },
            RlcError::EarlyTerm {
                word: 4,
                produced: 5,
            },
            RlcError::MissingTerm { word: 6 },
            RlcError::Truncated {
                words: 7,
                produced: 8,
            },
        ];
        let codes: Vec<_> = errors.iter().map(RlcError::kind_code).collect();
        assert_eq!(codes, vec![Some(1), Some(2), Some(3), None]);
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(messages[0].starts_with("word 3:"), "{}", messages[0]);
        assert!(messages[1].contains("word 4") && messages[1].contains("5 value"));
        assert!(messages[2].contains("word 6") && messages[2].contains("term bit"));
        assert!(messages[3].contains("7 word") && messages[3].contains("8 value"));
    }

    #[test]
    fn decode_fuzz_seeded() {
        let mut rng = StdRng::seed_from_u64(0x5eed_0004);
        for _ in 0..20_000 {
            let len = rng.gen_range(0..8);
            let words: Vec<u64> = (0..len)
                .map(|_| {
                    let w: u64 = rng.gen();
                    // Bias some words toward the valid region: short runs, term or not.
                    match rng.gen_range(0..4) {
                        0 => w & !((0x1f) | (0x1f << 21) | (0x1f << 42)),
                        1 => w & !(1 << 63),
                        _ => w,
                    }
                })
                .collect();
            let n = match rng.gen_range(0..3) {
                0 => rng.gen_range(0..10),
                1 => rng.gen_range(0..200),
                _ => rng.gen_range(0..usize::MAX),
            };
            let d = decode(&words, n);
            assert!(d.values.len() <= n);
            assert!(d.words_used <= words.len());
            if d.error.is_none() {
                assert_eq!(d.values.len(), n);
                // A valid stream re-encodes to what decoding read, pairs up to padding aside.
                let again = decode(&encode(&d.values), n);
                assert_eq!(again.values, d.values);
            }
        }
    }

    #[test]
    fn decode_never_trusts_a_huge_n() {
        let d = decode(&[u64::MAX], usize::MAX);
        assert_eq!(d.values.len(), 96);
        assert_eq!(
            d.error,
            Some(RlcError::EarlyTerm {
                word: 0,
                produced: 96
            })
        );
    }

    #[test]
    fn encoder_pairs_follow_the_rule() {
        // Every run is <= 31, every non-final pair with a zero level has run 31, and the
        // pair count is minimal for the rule: one per nonzero value, one per 32 zeros.
        let mut rng = StdRng::seed_from_u64(0x5eed_0005);
        for _ in 0..300 {
            let len = rng.gen_range(1..500);
            let sparsity = rng.gen_range(0.0..1.0);
            let values = random_values(&mut rng, len, sparsity);
            let pairs = real_pairs(&encode(&values), values.len());
            let (last, body) = pairs.split_last().unwrap();
            assert!(pairs.iter().all(|&(r, _)| u16::from(r) <= MAX_RUN));
            for &(r, l) in body {
                if l == 0 {
                    assert_eq!(r, 31, "{values:?}");
                }
            }
            assert_eq!(last.1, *values.last().unwrap());
        }
    }

    #[test]
    fn entropy_bits_hand_cases() {
        assert_eq!(entropy_bits(&[]), 0.0);
        assert_eq!(entropy_bits(&[5; 100]), 0.0);
        assert!((entropy_bits(&[0, 1]) - 2.0).abs() < 1e-12);
        assert!((entropy_bits(&[0, 1, 2, 3]) - 8.0).abs() < 1e-12);
        // p = 3/4, 1/4: H = 0.811278... bits per value.
        let h = entropy_bits(&[0, 0, 0, -7]) / 4.0;
        assert!((h - 0.811_278_124_459_132_8).abs() < 1e-12, "{h}");
        // Extremes of the value range are distinct symbols.
        assert!((entropy_bits(&[i16::MIN, i16::MAX]) - 2.0).abs() < 1e-12);
    }
}
