//! `edgertl rlc`: the run-length coder of feature maps on files, and its compression report.
//!
//! - `edgertl rlc encode --in X.npy --out X.rlc [--rtl]`: an int16 `.npy` array (any shape,
//!   taken in C order) to an `.rlc` stream.
//! - `edgertl rlc decode --in X.rlc --out X.npy [--rtl]`: an `.rlc` stream to a 1-D int16
//!   `.npy` array. A malformed stream writes nothing and fails with the decoder's error.
//! - `edgertl rlc report [--len N] [--seed S]`: compressed size against the entropy bound for
//!   random data of sparsity 0% to 90%.
//!
//! Encoding and decoding run the golden model (`edgertl_sim::rlc::model`) unless `--rtl` is
//! given, which runs the Verilated hardware (`edgertl_sim::rlc::rtl`). Outputs go through
//! [`edgertl::output`]: written atomically, never over a device, a directory or the input,
//! and `--out -` writes to standard output (the summary then goes to stderr).

use anyhow::{anyhow, Context, Result};
use clap::Subcommand;
use edgertl::output::Output;
use edgertl_sim::rlc::{file, model};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum RlcCommand {
    /// Encode an int16 .npy array (any shape, taken in C order) into an .rlc stream.
    Encode {
        /// The int16 .npy array to encode.
        #[arg(long = "in", value_name = "X.npy")]
        input: PathBuf,
        /// The .rlc file to write (replaced atomically; `-` for standard output).
        #[arg(long, value_name = "X.rlc")]
        out: PathBuf,
        /// Encode on the Verilated hardware instead of the golden model.
        #[arg(long)]
        rtl: bool,
    },

    /// Decode an .rlc stream into a 1-D int16 .npy array.
    ///
    /// A malformed stream writes nothing and fails (exit 1) with the decoder's error.
    Decode {
        /// The .rlc file to decode.
        #[arg(long = "in", value_name = "X.rlc")]
        input: PathBuf,
        /// The .npy file to write (replaced atomically; `-` for standard output).
        #[arg(long, value_name = "X.npy")]
        out: PathBuf,
        /// Decode on the Verilated hardware instead of the golden model.
        #[arg(long)]
        rtl: bool,
    },

    /// Compressed size against the entropy bound, for random int16 data of sparsity 0%-90%.
    ///
    /// Nonzero values are uniform over int16 except zero; each value is zero with the row's
    /// probability. Sizes: raw = 2 bytes per value, compressed = 8 bytes per word.
    Report {
        /// Values per row, at most 10000000 (each row is held in memory).
        #[arg(long, value_name = "N", default_value_t = 100_000,
              value_parser = clap::value_parser!(u64).range(1..=MAX_REPORT_LEN))]
        len: u64,
        /// Seed of the random data.
        #[arg(long, value_name = "S", default_value_t = 1)]
        seed: u64,
    },
}

/// The most values per row of `rlc report` (a row and its code take about 60 bytes a value
/// in memory at the most: 600 MB here).
pub const MAX_REPORT_LEN: u64 = 10_000_000;

pub fn run(command: RlcCommand) -> Result<()> {
    match command {
        RlcCommand::Encode { input, out, rtl } => encode(&input, &out, rtl),
        RlcCommand::Decode { input, out, rtl } => decode(&input, &out, rtl),
        RlcCommand::Report { len, seed } => report(len as usize, seed),
    }
}

fn engine(rtl: bool) -> &'static str {
    if rtl {
        "RTL (Verilated)"
    } else {
        "golden model"
    }
}

fn encode(input: &Path, out: &Path, rtl: bool) -> Result<()> {
    let values = file::read_npy_i16(input)?;
    // Checked before encoding, so that a bad destination costs no simulation.
    let mut sink = Output::create_or_stdout(out, &[input])?;
    let words = if rtl {
        edgertl_sim::rlc::rtl::encode(&values)
            .map_err(|e| anyhow!("the RTL encoder failed: {e}"))?
    } else {
        model::encode(&values)
    };
    file::write_rlc(&mut sink, values.len(), &words).with_context(|| format!("cannot write {}", out.display()))?;
    let wrote = sink.commit()?;
    let raw = 2 * values.len();
    let compressed = 8 * words.len();
    let summary = format!(
        "encoded {} value(s) into {} word(s) with the {}: {} bytes, {} raw ({})",
        values.len(),
        words.len(),
        engine(rtl),
        compressed,
        raw,
        ratio_text(compressed, raw)
    );
    say(out, &summary, &wrote);
    Ok(())
}

fn decode(input: &Path, out: &Path, rtl: bool) -> Result<()> {
    let (n, words) = file::read_rlc(input)?;
    // Checked before decoding, so that a bad destination costs no simulation.
    let mut sink = Output::create_or_stdout(out, &[input])?;
    let decoded = if rtl {
        edgertl_sim::rlc::rtl::decode(&words, n)
            .map_err(|e| anyhow!("the RTL decoder failed: {e}"))?
    } else {
        model::decode(&words, n)
    };
    if let Some(err) = decoded.error {
        // The decoder's message alone: `error: <message>`; nothing is written.
        return Err(anyhow::Error::new(err));
    }
    if decoded.values.len() != n {
        anyhow::bail!(
            "internal error: the {} decoded {} value(s), the stream holds {n}",
            engine(rtl),
            decoded.values.len()
        );
    }
    if decoded.words_used < words.len() {
        eprintln!(
            "warning: {}: {} word(s) after the term word ignored",
            input.display(),
            words.len() - decoded.words_used
        );
    }
    file::write_npy_i16(&mut sink, &decoded.values).with_context(|| format!("cannot write {}", out.display()))?;
    let wrote = sink.commit()?;
    let summary = format!("decoded {} word(s) into {n} value(s) with the {}", decoded.words_used, engine(rtl));
    say(out, &summary, &wrote);
    Ok(())
}

/// The summary on stdout, or on stderr when the data went to stdout (`--out -`).
fn say(out: &Path, summary: &str, wrote: &str) {
    if out == Path::new("-") {
        eprintln!("{summary}\n  wrote {wrote}");
    } else {
        println!("{summary}\n  wrote {wrote}");
    }
}

fn ratio_text(compressed: usize, raw: usize) -> String {
    if raw == 0 {
        "no raw data".to_string()
    } else {
        format!("ratio {:.4}", compressed as f64 / raw as f64)
    }
}

/// `n` int16 values, each zero with probability `sparsity`, otherwise uniform over the
/// 65535 nonzero values.
fn random_values(rng: &mut StdRng, n: usize, sparsity: f64) -> Vec<i16> {
    (0..n)
        .map(|_| {
            if rng.gen_bool(sparsity) {
                0
            } else {
                // 1..=65535 mapped onto the nonzero int16 values.
                rng.gen_range(1u16..=u16::MAX) as i16
            }
        })
        .collect()
}

/// Binary entropy, in bits.
fn h2(p: f64) -> f64 {
    if p <= 0.0 || p >= 1.0 {
        0.0
    } else {
        -p * p.log2() - (1.0 - p) * (1.0 - p).log2()
    }
}

fn report(n: usize, seed: u64) -> Result<()> {
    let mut rng = StdRng::seed_from_u64(seed);
    println!("RLC compression of random int16 data: {n} values per row, seed {seed}, golden model");
    println!(
        "(raw = 2 bytes per value, compressed = 8 bytes per 64-bit word; nonzero values uniform \
         over int16 \\ {{0}})"
    );
    println!();
    let headers = [
        "sparsity",
        "zeros",
        "words",
        "compressed B",
        "raw B",
        "ratio",
        "entropy bound",
        "vs bound",
        "source bound",
        "vs source",
    ];
    let row = |cells: &[String]| {
        let cells: Vec<String> = cells
            .iter()
            .zip(headers)
            .map(|(c, h)| format!("{c:>w$}", w = h.len()))
            .collect();
        println!("| {} |", cells.join(" | "));
    };
    row(&headers.map(String::from));
    let rule: Vec<String> = headers
        .iter()
        .map(|h| format!("{}:", "-".repeat(h.len() + 1)))
        .collect();
    println!("|{}|", rule.join("|"));
    for step in 0..=9u32 {
        let sparsity = f64::from(step) / 10.0;
        let values = random_values(&mut rng, n, sparsity);
        let words = model::encode(&values);
        // The report must be about streams that decode: check it.
        let back = model::decode(&words, n);
        if back.error.is_some() || back.values != values {
            anyhow::bail!("internal error: the row of sparsity {sparsity} does not round-trip");
        }
        let zeros = values.iter().filter(|&&v| v == 0).count();
        let raw = 2 * n;
        let compressed = 8 * words.len();
        let ratio = compressed as f64 / raw as f64;
        let bound = model::entropy_bits(&values) / (16.0 * n as f64);
        // The entropy of the source itself: zero or not, then one of 65535 nonzero values.
        let source = (h2(sparsity) + (1.0 - sparsity) * 65535f64.log2()) / 16.0;
        row(&[
            format!("{:.0}%", sparsity * 100.0),
            format!("{:.1}%", 100.0 * zeros as f64 / n as f64),
            words.len().to_string(),
            compressed.to_string(),
            raw.to_string(),
            format!("{ratio:.4}"),
            format!("{bound:.4}"),
            format!("{:.3}", ratio / bound),
            format!("{source:.4}"),
            format!("{:.3}", ratio / source),
        ]);
    }
    println!();
    for line in [
        "ratio = compressed / raw; entropy bound = N * H / (16 N), H the empirical entropy of the",
        "row's values (model::entropy_bits); vs bound = ratio / entropy bound; source bound =",
        "(h2(s) + (1 - s) * log2(65535)) / 16, the entropy of the distribution the rows are drawn",
        "from; vs source = ratio / source bound. With 65535 possible nonzero values a row sees each",
        "about once or twice (at the default N), so its empirical entropy lies below the source's.",
        "",
        "Reference: the Eyeriss paper (Chen et al.) reports its RLC within 5-10% of the entropy",
        "limit, on real feature maps (ReLU outputs, whose nonzero values are small and skewed).",
        "On uniform random nonzero values the 16-bit levels dominate both the code and the bound:",
        "RLC spends 21.33 bits per pair (3 pairs of 21 bits per 64-bit word), so dense data grows",
        "by 4/3, and RLC comes near the bound only where zeros dominate.",
    ] {
        println!("{line}");
    }
    Ok(())
}
