//! Run-length coded streams in the accelerator's DRAM: what a coded load reads and a coded
//! store writes ([`edgertl_hdl::eyeriss`]'s module docs). A stream at beat `b` is a length
//! beat (L, bits 31-0) and L words of [`crate::rlc::model`]'s format.
//!
//! The host's side: [`code_inputs`] codes each coded load's words (read where its `dram`
//! function says in the raw layout) into its stream; [`decode_outputs`] puts each coded
//! store's values back where its `dram` function says; [`coded_dram_words`] is the DRAM
//! traffic the data gives the coded transfers (for the counters).

use super::counts::{Rw, RwPerType};
use super::program::{Cmd, Kind, Lin, Loops, Program, Range, Stream};
use crate::rlc::model::{self, RlcError};

/// Beat `b` of a word memory (word `4b + k` in bits `16k ..`), `None` past its end.
pub fn beat(mem: &[i16], b: u64) -> Option<u64> {
    let at = usize::try_from(b).ok()?.checked_mul(4)?;
    let w = mem.get(at..at + 4)?;
    Some((0..4).map(|k| u64::from(w[k] as u16) << (16 * k)).sum())
}

fn set_beat(mem: &mut [i16], b: u64, v: u64) -> Result<(), String> {
    let (at, len) = (b as usize * 4, mem.len());
    let w = mem.get_mut(at..at + 4).ok_or_else(|| format!("beat {b} is outside the {len}-word DRAM"))?;
    for (k, x) in w.iter_mut().enumerate() {
        *x = (v >> (16 * k)) as u16 as i16;
    }
    Ok(())
}

/// The decoder's `error_kind` for a stream error (0 for a truncated stream: the hardware
/// reports that apart, with the decoder's error that ends it).
pub fn kind_code(e: &RlcError) -> u8 {
    e.kind_code().unwrap_or(0)
}

/// The decoder's error kinds by code.
pub fn kind_name(kind: u64) -> &'static str {
    match kind {
        1 => "extra values",
        2 => "early term",
        3 => "missing term",
        _ => "no error",
    }
}

/// Why a stream does not read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamError {
    /// The stream is malformed: the decoder's error.
    Malformed(RlcError),
    /// The stream's beats are outside DRAM, or its length beat disagrees with its term word.
    Layout(String),
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StreamError::Malformed(e) => write!(f, "{e} (the decoder's error kind {}: {})", kind_code(e), kind_name(u64::from(kind_code(e)))),
            StreamError::Layout(why) => write!(f, "{why}"),
        }
    }
}

/// Stream `s`'s values and its length L in words.
pub fn read(mem: &[i16], s: &Stream) -> Result<(Vec<i16>, u64), StreamError> {
    let outside = |b: u64| StreamError::Layout(format!("beat {b} of the stream is outside the {}-word DRAM", mem.len()));
    let len = beat(mem, s.beat).ok_or_else(|| outside(s.beat))? & 0xffff_ffff;
    let words: Vec<u64> = (1..=len).map(|k| beat(mem, s.beat + k).ok_or_else(|| outside(s.beat + k))).collect::<Result<_, _>>()?;
    let d = model::decode(&words, s.values as usize);
    if let Some(e) = d.error {
        return Err(StreamError::Malformed(e));
    }
    if d.words_used as u64 != len {
        return Err(StreamError::Layout(format!("the length beat says {len} words, the term word is word {}", d.words_used - 1)));
    }
    Ok((d.values, len))
}

/// Writes `values` as stream `s` (which must hold that many); returns its length L in words.
pub fn write(mem: &mut [i16], s: &Stream, values: &[i16]) -> Result<u64, String> {
    if values.len() as u64 != s.values {
        return Err(format!("{} values for a stream of {}", values.len(), s.values));
    }
    let words = model::encode(values);
    let len = words.len() as u64;
    if 1 + len > Stream::reserved_beats(s.values) {
        return Err(format!("{len} coded words exceed the stream's reservation"));
    }
    set_beat(mem, s.beat, len)?;
    for (k, &w) in words.iter().enumerate() {
        set_beat(mem, s.beat + 1 + k as u64, w)?;
    }
    Ok(len)
}

/// The addresses `lin` takes over `loops` where every `skip` range holds, in order.
pub fn addresses(loops: &Loops, lin: &Lin, skip: &[Range]) -> Vec<i64> {
    let mut out = Vec::new();
    loops.each(|i| {
        if skip.iter().all(|r| r.holds(i)) {
            out.push(lin.at(i));
        }
    });
    out
}

fn gather(mem: &[i16], at: &[i64]) -> Result<Vec<i16>, String> {
    at.iter()
        .map(|&a| usize::try_from(a).ok().and_then(|a| mem.get(a).copied()).ok_or_else(|| format!("DRAM word {a} is outside the {}-word DRAM", mem.len())))
        .collect()
}

/// Codes every coded load's words, read from `mem` at its `dram` addresses, into its stream.
pub fn code_inputs(program: &Program, mem: &mut [i16]) -> Result<(), String> {
    for (k, cmd) in program.cmds.iter().enumerate() {
        if let Cmd::Load { loops, dram, skip, coded: Some(s), .. } = cmd {
            let values = gather(mem, &addresses(loops, dram, skip))?;
            write(mem, s, &values).map_err(|e| format!("command {k} (a coded load): {e}"))?;
        }
    }
    Ok(())
}

/// Decodes every coded store's stream in `mem` into its words at its `dram` addresses, in
/// program order; an error names the store.
pub fn decode_outputs(program: &Program, mem: &mut [i16]) -> Result<(), String> {
    for (k, cmd) in program.cmds.iter().enumerate() {
        if let Cmd::Store { loops, dram, skip, coded: Some(s), .. } = cmd {
            let (values, _) = read(mem, s).map_err(|e| format!("command {k} (a coded store), its stream at beat {}: {e}", s.beat))?;
            for (a, v) in addresses(loops, dram, skip).into_iter().zip(values) {
                *usize::try_from(a).ok().and_then(|a| mem.get_mut(a)).ok_or_else(|| format!("DRAM word {a} is outside DRAM"))? = v;
            }
        }
    }
    Ok(())
}

fn rw(t: &mut RwPerType, kind: Kind) -> &mut Rw {
    match kind {
        Kind::Ifmap => &mut t.ifmap,
        Kind::Filter => &mut t.filter,
        Kind::Psum => &mut t.psum,
    }
}

/// The DRAM words `raw` (the mapper's counts, every transfer raw) become with coding, from the
/// data: each coded transfer's N raw words replaced by its stream's beats times four, L coded
/// as [`model::encode`] codes its values (read from `inputs`, the raw layout with the
/// layer's tensors, for loads, and from `outputs`, the same with the golden ofmap, for
/// stores).
pub fn coded_dram_words(program: &Program, raw: &RwPerType, inputs: &[i16], outputs: &[i16]) -> Result<RwPerType, String> {
    let mut t = *raw;
    for cmd in &program.cmds {
        let (kind, loops, dram, skip, s, load, mem) = match cmd {
            Cmd::Load { kind, loops, dram, skip, coded: Some(s), .. } => (kind, loops, dram, skip, s, true, inputs),
            Cmd::Store { kind, loops, dram, skip, coded: Some(s), .. } => (kind, loops, dram, skip, s, false, outputs),
            _ => continue,
        };
        let values = gather(mem, &addresses(loops, dram, skip))?;
        let words = 4 * (1 + model::encode(&values).len() as u64);
        let r = rw(&mut t, *kind);
        let n = if load { &mut r.reads } else { &mut r.writes };
        *n = (*n + words).checked_sub(s.values).ok_or("a coded transfer moves more words than the mapper counts")?;
    }
    Ok(t)
}
