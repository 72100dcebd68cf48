//! A mutation fuzzer for the file readers ([`super::file::parse_rlc`],
//! [`super::file::parse_npy_i16`]), in stable Rust (cargo-fuzz needs a nightly toolchain).
//!
//! Each input is a valid file from a small corpus (every header version, both byte orders,
//! C and Fortran order, odd shapes, long and empty streams) put through 1 to 8 mutations
//! (bit flips, interesting bytes, inserted, deleted or duplicated ranges, truncation, numbers
//! rewritten in the header text, splices of two files), or plain random bytes. A reader
//! *crashes* on an input when it panics or when it accepts the input and returns more values
//! than the bytes can hold. The short run is a unit test; `scripts/fuzz.sh` runs millions
//! (`cargo run --release -p edgertl-sim --example fuzz_readers`), with an allocation ceiling.

use super::file::{parse_npy_i16, parse_rlc, write_npy_i16, write_rlc};
use super::model::encode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::Path;

/// A reader under fuzz.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Rlc,
    Npy,
}

impl Target {
    pub const ALL: [Target; 2] = [Target::Rlc, Target::Npy];

    pub fn name(self) -> &'static str {
        match self {
            Target::Rlc => "rlc",
            Target::Npy => "npy",
        }
    }

    /// Runs the reader on `bytes`: `Err` describes a crash (a panic, or values the bytes
    /// cannot hold); `Ok(true)` the input was accepted, `Ok(false)` refused with an error.
    pub fn run(self, bytes: &[u8]) -> Result<bool, String> {
        let path = Path::new("fuzz-input");
        let outcome = std::panic::catch_unwind(|| match self {
            // N values need at least one pair of 21 bits per 32 values: 8 bytes per 96.
            Target::Rlc => parse_rlc(path, bytes).map(|(n, words)| (n, words.len() * 8 + 8 * n.div_ceil(96).saturating_sub(words.len()))),
            Target::Npy => parse_npy_i16(path, bytes).map(|v| (v.len(), v.len() * 2)),
        });
        match outcome {
            Err(payload) => Err(payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic".into())),
            Ok(Err(_)) => Ok(false),
            Ok(Ok((_, data_bytes))) if data_bytes > bytes.len() => {
                Err(format!("accepted {data_bytes} bytes of data from a {}-byte file", bytes.len()))
            }
            Ok(Ok(_)) => Ok(true),
        }
    }

    /// Valid files to mutate.
    pub fn corpus(self) -> Vec<Vec<u8>> {
        let streams: Vec<Vec<i16>> = vec![
            vec![],
            vec![0],
            vec![1, 0, 0, -2, 0, 0, 0, 3],
            vec![0; 100],
            (0..300).map(|i| if i % 7 == 0 { i as i16 } else { 0 }).collect(),
            (0..64).map(|i| (i * 1031) as i16).collect(),
        ];
        match self {
            Target::Rlc => streams
                .iter()
                .map(|v| {
                    let mut out = Vec::new();
                    write_rlc(&mut out, v.len(), &encode(v)).expect("a small stream writes");
                    out
                })
                .collect(),
            Target::Npy => {
                let mut files: Vec<Vec<u8>> = streams
                    .iter()
                    .map(|v| {
                        let mut out = Vec::new();
                        write_npy_i16(&mut out, v).expect("a small array writes");
                        out
                    })
                    .collect();
                for (version, dict, data) in [
                    (1u8, "{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }", 12),
                    (1, "{'descr': '>i2', 'fortran_order': True, 'shape': (3, 2), }", 12),
                    (2, "{'descr': '|i2', 'fortran_order': True, 'shape': (2, 1, 2), }", 8),
                    (3, "{'descr': '<i2', 'fortran_order': False, 'shape': (), }", 2),
                    (1, "{'descr': '<i2', 'fortran_order': True, 'shape': (0, 4), }", 0),
                    (1, "{'fortran_order': False, 'shape': [4], 'descr': '<i2'}", 8),
                ] {
                    files.push(npy_file(version, dict, &vec![0x5a; data]));
                }
                files
            }
        }
    }
}

/// An `.npy` file of the given version with `dict` as its header, padded to 64 bytes.
pub fn npy_file(version: u8, dict: &str, data: &[u8]) -> Vec<u8> {
    let len_bytes = if version == 1 { 2 } else { 4 };
    let mut header = dict.to_string();
    while !(8 + len_bytes + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY".to_vec();
    out.extend_from_slice(&[version, 0]);
    if version == 1 {
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

const INTERESTING: [u8; 10] = [0, 1, 0x7f, 0x80, 0xff, b'(', b')', b',', b'\'', b'9'];

/// One fuzz input: a mutated corpus file, or random bytes (one in 16).
pub fn input(rng: &mut StdRng, corpus: &[Vec<u8>]) -> Vec<u8> {
    if rng.gen_range(0..16) == 0 {
        let len = rng.gen_range(0..200);
        return (0..len).map(|_| rng.gen()).collect();
    }
    let mut b = corpus[rng.gen_range(0..corpus.len())].clone();
    // 1 to 8 mutations, fewer more often (so that many inputs get past the header checks).
    let count = rng.gen_range(1..=8).min(rng.gen_range(1..=8));
    for _ in 0..count {
        mutate(rng, &mut b, corpus);
    }
    b
}

fn mutate(rng: &mut StdRng, b: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    let len = b.len();
    // Most mutations aim at the first 128 bytes, where the headers are.
    let at = |rng: &mut StdRng, len: usize| if len == 0 { 0 } else if rng.gen_bool(0.7) { rng.gen_range(0..len.min(128)) } else { rng.gen_range(0..len) };
    match rng.gen_range(0..9) {
        0 if len > 0 => {
            let i = at(rng, len);
            b[i] ^= 1 << rng.gen_range(0..8);
        }
        1 if len > 0 => {
            let i = at(rng, len);
            b[i] = INTERESTING[rng.gen_range(0..INTERESTING.len())];
        }
        2 => {
            let i = at(rng, len + 1).min(len);
            let n = rng.gen_range(1..16);
            let bytes: Vec<u8> = (0..n).map(|_| if rng.gen_bool(0.5) { rng.gen() } else { INTERESTING[rng.gen_range(0..INTERESTING.len())] }).collect();
            b.splice(i..i, bytes);
        }
        3 if len > 0 => {
            let i = at(rng, len);
            let n = rng.gen_range(1..=16).min(len - i);
            b.drain(i..i + n);
        }
        4 => b.truncate(rng.gen_range(0..=len)),
        5 if len > 0 => {
            // Duplicate a range (repeated words, repeated dict entries).
            let i = at(rng, len);
            let n = rng.gen_range(1..=64).min(len - i);
            let copy = b[i..i + n].to_vec();
            b.splice(i..i, copy);
        }
        6 => {
            // Rewrite a number in the header text (shape dimensions, lengths).
            if let Some(i) = b.iter().take(256).position(|c| c.is_ascii_digit()) {
                let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                let n: u128 = match rng.gen_range(0..4) {
                    0 => rng.gen_range(0..10),
                    1 => u64::MAX as u128 + rng.gen_range(0..3),
                    2 => 1 << rng.gen_range(0..70),
                    _ => rng.gen(),
                };
                b.splice(i..i + digits, n.to_string().into_bytes());
            }
        }
        7 if len >= 12 => {
            // Set the length or count fields (bytes 4..12) to an extreme.
            let i = rng.gen_range(4..12);
            b[i] = [0, 0xff, 0x7f, 0x80][rng.gen_range(0..4)];
        }
        _ => {
            // Splice: this file's head with another's tail.
            let other = &corpus[rng.gen_range(0..corpus.len())];
            let cut = rng.gen_range(0..=len);
            let from = rng.gen_range(0..=other.len());
            b.truncate(cut);
            b.extend_from_slice(&other[from..]);
        }
    }
}

/// What a fuzz run found.
#[derive(Debug, Default)]
pub struct Report {
    pub inputs: u64,
    pub accepted: u64,
    /// Inputs that crashed the reader, with what happened (at most 20 kept).
    pub crashes: Vec<(Vec<u8>, String)>,
    pub crash_count: u64,
}

/// Runs `n` inputs of `target` from `seed`.
pub fn run(target: Target, n: u64, seed: u64) -> Report {
    let corpus = target.corpus();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut report = Report::default();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for _ in 0..n {
        let bytes = input(&mut rng, &corpus);
        report.inputs += 1;
        match target.run(&bytes) {
            Ok(accepted) => report.accepted += accepted as u64,
            Err(what) => {
                report.crash_count += 1;
                if report.crashes.len() < 20 {
                    report.crashes.push((bytes, what));
                }
            }
        }
    }
    std::panic::set_hook(previous);
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The short run kept in `cargo test` as a regression guard (the long one:
    /// scripts/fuzz.sh).
    #[test]
    fn readers_survive_a_short_fuzz_run() {
        for target in Target::ALL {
            let r = run(target, 20_000, 0xF0CC);
            assert!(r.crashes.is_empty(), "{}: {} crash(es), first: {:?}", target.name(), r.crash_count, r.crashes.first());
            // The mutations keep some inputs valid: the run reaches past the header checks.
            assert!(r.accepted > 20, "{}: only {} of {} accepted", target.name(), r.accepted, r.inputs);
        }
    }

    #[test]
    fn the_corpus_is_valid() {
        for target in Target::ALL {
            for file in target.corpus() {
                assert_eq!(target.run(&file), Ok(true), "{}: {file:?}", target.name());
            }
        }
    }

    /// A header nested a million brackets deep is refused, not a stack overflow (py_literal's
    /// parser does not recurse per bracket; this holds any replacement to that).
    #[test]
    fn a_deeply_nested_npy_header_is_refused_not_a_stack_overflow() {
        for depth in [1_000, 60_000, 1_000_000] {
            let dict = format!("{{'descr': '<i2', 'fortran_order': False, 'shape': {}2{}, }}", "(".repeat(depth), ",)".repeat(depth));
            assert_eq!(Target::Npy.run(&npy_file(2, &dict, &[0, 0])), Ok(false));
        }
    }
}
