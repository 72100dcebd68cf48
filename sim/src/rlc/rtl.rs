//! The compressor run on its Verilated RTL, at full speed: what `edgertl rlc ... --rtl` uses.

use super::driver::{DecoderDriver, EncoderDriver, Traffic};
use super::model::{unpack, Decoded};
use crate::verilated::{rlc_decoder, rlc_encoder};
use rand::SeedableRng;

/// Encodes `values` on the Verilated `rlc_encoder`.
pub fn encode(values: &[i16]) -> Result<Vec<u64>, String> {
    check_len(values.len())?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    EncoderDriver::new(rlc_encoder::Model::new()).encode(values, Traffic::FULL_SPEED, &mut rng)
}

/// Decodes `words` (a stream of `n` values) on the Verilated `rlc_decoder`. A malformed
/// stream is an error naming what the decoder flagged.
pub fn decode(words: &[u64], n: usize) -> Result<Decoded, String> {
    check_len(n)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let hw = DecoderDriver::new(rlc_decoder::Model::new()).decode(words, n, Traffic::FULL_SPEED, &mut rng)?;
    match (hw.done, hw.error_kind) {
        (true, 0) => {
            // The stream ends at its term word, as the golden model counts it. The decoder's
            // input is pipelined: it may take up to 3 words after the term word and drop them,
            // so its own count of words taken is not the stream's length.
            let words_used = words.iter().position(|&w| unpack(w).1).map_or(words.len(), |k| k + 1);
            if hw.words_taken < words_used {
                return Err(format!(
                    "the decoder finished after {} word(s), before the term word (word {words_used})",
                    hw.words_taken
                ));
            }
            Ok(Decoded { values: hw.values, words_used, error: None })
        }
        (true, k) => Err(format!(
            "malformed stream: the decoder flagged {} after {} values",
            match k {
                1 => "extra values (a pair past N)",
                2 => "an early term bit",
                _ => "a missing term bit",
            },
            hw.values.len()
        )),
        (false, _) => Err(format!(
            "truncated stream: the decoder wrote {} of {n} values and waits for more words",
            hw.values.len()
        )),
    }
}

/// The hardware counts in 32 bits.
fn check_len(n: usize) -> Result<(), String> {
    if n > u32::MAX as usize {
        Err(format!("{n} values do not fit the hardware's 32-bit count"))
    } else {
        Ok(())
    }
}
