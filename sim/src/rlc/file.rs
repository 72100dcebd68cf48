//! Files of the run-length coder: the `.rlc` stream file and `.npy` arrays of int16.
//!
//! **`.rlc`**: the 4 bytes `RLC1`, the value count N as a little-endian `u32`, then the 64-bit
//! words (see [`super::model`]) little-endian, nothing else. [`read_rlc`] checks the layout (magic,
//! a whole header, whole words, at least one word, and that the words can hold N values: at
//! most 3 * 32 per word) but not the stream itself: [`super::model::decode`] does that.
//!
//! **`.npy`** (NumPy's format, versions 1 to 3): [`read_npy_i16`] takes an int16 array
//! (`<i2`, `|i2`, or big-endian `>i2`, converted) of any shape and returns its values in C
//! (row-major) order: a Fortran-ordered array is transposed into C order. Any other dtype
//! (named in the error), a malformed header, a data section of the wrong size (short, or with
//! bytes left over) is refused with a [`FileError`]. The header's Python dict is parsed with
//! `py_literal` (the parser the `npyz` crate uses) rather than with `npyz` itself, which
//! refuses `|i2` and trusts the header's sizes (an oversized shape panics in its debug
//! builds). [`write_npy_i16`] writes a 1-D `<i2` array with `npyz`. The writers take any
//! [`Write`]: files go through `edgertl::output` (atomic, checked), `-` to standard output.
//! [`parse_rlc`] and [`parse_npy_i16`] are the readers on bytes, which the fuzz targets drive.
//!
//! Every error names the file.


use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The first 4 bytes of an `.rlc` file.
pub const RLC_MAGIC: [u8; 4] = *b"RLC1";

/// Bytes before the words: the magic and the value count.
pub const RLC_HEADER_BYTES: usize = 8;

/// The most values one word can hold: 3 pairs of 31 zeros and a level.
const MAX_VALUES_PER_WORD: u64 = 3 * 32;

/// Why a file cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The I/O error is part of the message (not a `source()`, which would repeat it).
    #[error("cannot {action} {}: {cause}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{}: not an .rlc file (expected the magic \"RLC1\", found {})", path.display(), show_bytes(found))]
    BadMagic { path: PathBuf, found: Vec<u8> },
    #[error("{}: truncated header: the file has {len} byte(s), an .rlc file starts with 8 (\"RLC1\" and the value count)", path.display())]
    TruncatedHeader { path: PathBuf, len: usize },
    #[error("{}: the words take {bytes} byte(s), not a multiple of 8 (truncated file?)", path.display())]
    WordBytes { path: PathBuf, bytes: usize },
    #[error("{}: no words (a stream has at least one, its term word)", path.display())]
    NoWords { path: PathBuf },
    #[error("{}: the header says {n} values but {words} word(s) hold at most {capacity}", path.display())]
    CountTooLarge {
        path: PathBuf,
        n: u64,
        words: usize,
        capacity: u64,
    },
    #[error("{}: not a valid .npy file: {message}", path.display())]
    Npy { path: PathBuf, message: String },
    #[error("{}: dtype {dtype} is not int16 (expected '<i2', '|i2' or '>i2')", path.display())]
    NpyDtype { path: PathBuf, dtype: String },
    #[error("{}: the array's shape {shape:?} needs {expected} byte(s) of data but the file has {got}", path.display())]
    NpyDataSize {
        path: PathBuf,
        shape: Vec<u64>,
        expected: String,
        got: usize,
    },
}

fn show_bytes(bytes: &[u8]) -> String {
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{:?} (hex {})",
        String::from_utf8_lossy(bytes),
        hex.join(" ")
    )
}

fn read_all(path: &Path) -> Result<Vec<u8>, FileError> {
    std::fs::read(path).map_err(|cause| FileError::Io {
        action: "read",
        path: path.to_path_buf(),
        cause,
    })
}

/// Writes an `.rlc` stream to `out`: the magic, `n` as a little-endian u32, the words
/// little-endian. Refuses an `n` that does not fit in 32 bits (`InvalidInput`, before writing
/// anything); the words are written as given. Files are written through `edgertl::output`.
pub fn write_rlc<W: Write>(out: W, n: usize, words: &[u64]) -> std::io::Result<()> {
    let n32 = u32::try_from(n).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{n} values do not fit the 32-bit count of an .rlc file"),
        )
    })?;
    let mut out = BufWriter::new(out);
    out.write_all(&RLC_MAGIC)?;
    out.write_all(&n32.to_le_bytes())?;
    for w in words {
        out.write_all(&w.to_le_bytes())?;
    }
    out.flush()
}

/// Reads an `.rlc` file: returns (N, words). See the module doc for what is checked.
pub fn read_rlc(path: impl AsRef<Path>) -> Result<(usize, Vec<u64>), FileError> {
    let path = path.as_ref();
    let bytes = read_all(path)?;
    parse_rlc(path, &bytes)
}

/// [`read_rlc`] on bytes already read (`path` names them in errors): the fuzzed entry point.
/// Never panics, and allocates no more than the bytes given.
pub fn parse_rlc(path: &Path, bytes: &[u8]) -> Result<(usize, Vec<u64>), FileError> {
    let p = || path.to_path_buf();
    let magic_len = bytes.len().min(4);
    if bytes[..magic_len] != RLC_MAGIC[..magic_len] {
        return Err(FileError::BadMagic {
            path: p(),
            found: bytes[..magic_len].to_vec(),
        });
    }
    if bytes.len() < RLC_HEADER_BYTES {
        return Err(FileError::TruncatedHeader {
            path: p(),
            len: bytes.len(),
        });
    }
    let n = u32::from_le_bytes(bytes[4..8].try_into().unwrap());
    let body = &bytes[RLC_HEADER_BYTES..];
    if !body.len().is_multiple_of(8) {
        return Err(FileError::WordBytes {
            path: p(),
            bytes: body.len(),
        });
    }
    let words: Vec<u64> = body
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    if words.is_empty() {
        return Err(FileError::NoWords { path: p() });
    }
    let capacity = (words.len() as u64).saturating_mul(MAX_VALUES_PER_WORD);
    if u64::from(n) > capacity {
        return Err(FileError::CountTooLarge {
            path: p(),
            n: u64::from(n),
            words: words.len(),
            capacity,
        });
    }
    let n = usize::try_from(n).expect("a u32 fits in usize");
    Ok((n, words))
}

/// Reads an int16 `.npy` array of any shape; returns its values in C order (see the module
/// doc for what is accepted).
pub fn read_npy_i16(path: impl AsRef<Path>) -> Result<Vec<i16>, FileError> {
    let path = path.as_ref();
    let bytes = read_all(path)?;
    parse_npy_i16(path, &bytes)
}

/// [`read_npy_i16`] on bytes already read (`path` names them in errors): the fuzzed entry
/// point. Never panics, and allocates in proportion to the bytes given, never to the header's
/// shape.
pub fn parse_npy_i16(path: &Path, bytes: &[u8]) -> Result<Vec<i16>, FileError> {
    let header = NpyHeader::parse(bytes).map_err(|message| FileError::Npy {
        path: path.to_path_buf(),
        message,
    })?;
    let big_endian = match header.descr.as_str() {
        "'<i2'" | "'|i2'" => false,
        "'>i2'" => true,
        _ => {
            return Err(FileError::NpyDtype {
                path: path.to_path_buf(),
                dtype: header.descr,
            })
        }
    };
    let data = &bytes[header.data_start..];
    let len: Option<u64> = header
        .shape
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d));
    let expected = len.and_then(|l| l.checked_mul(2));
    if expected != Some(data.len() as u64) {
        return Err(FileError::NpyDataSize {
            path: path.to_path_buf(),
            shape: header.shape,
            expected: expected.map_or_else(|| "more than 2^64".to_string(), |e| e.to_string()),
            got: data.len(),
        });
    }
    let stored: Vec<i16> = data
        .chunks_exact(2)
        .map(|c| {
            let b = [c[0], c[1]];
            if big_endian {
                i16::from_be_bytes(b)
            } else {
                i16::from_le_bytes(b)
            }
        })
        .collect();
    Ok(if header.fortran_order {
        fortran_to_c(&stored, &header.shape)
    } else {
        stored
    })
}

/// What an `.npy` header says.
struct NpyHeader {
    /// The dtype as written (a Python literal, e.g. `'<i2'`, quotes included).
    descr: String,
    fortran_order: bool,
    shape: Vec<u64>,
    /// Where the data starts.
    data_start: usize,
}

impl NpyHeader {
    /// Parses the magic, version, header length and the header's Python dict (with
    /// `py_literal`, the parser `npyz` uses). Trusts nothing: a header length past the end of
    /// the file or a shape whose size overflows is refused, not allocated or multiplied.
    fn parse(bytes: &[u8]) -> Result<NpyHeader, String> {
        use py_literal::Value;
        const MAGIC: &[u8] = b"\x93NUMPY";
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err("missing the magic \"\\x93NUMPY\"".to_string());
        }
        if bytes.len() < 10 {
            return Err(format!(
                "truncated header: the file has {} byte(s)",
                bytes.len()
            ));
        }
        let (major, minor) = (bytes[6], bytes[7]);
        let (len, start) = match major {
            1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
            2 | 3 if bytes.len() >= 12 => {
                let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
                (usize::try_from(len).unwrap_or(usize::MAX), 12)
            }
            2 | 3 => {
                return Err(format!(
                    "truncated header: the file has {} byte(s)",
                    bytes.len()
                ))
            }
            _ => return Err(format!("unsupported format version {major}.{minor}")),
        };
        let available = bytes.len() - start;
        if len > available {
            return Err(format!(
                "truncated header: it says it takes {len} byte(s) but only {available} follow"
            ));
        }
        let text = std::str::from_utf8(&bytes[start..start + len])
            .map_err(|_| "the header is not UTF-8 text".to_string())?;
        let dict = match text.trim_end().parse::<Value>() {
            Ok(Value::Dict(dict)) => dict,
            Ok(other) => return Err(format!("the header is not a Python dict: {other}")),
            Err(e) => return Err(format!("the header is not a Python literal: {e}")),
        };
        let key = |name: &str| {
            dict.iter()
                .find(|(k, _)| matches!(k, Value::String(k) if k == name))
                .map(|(_, v)| v)
                .ok_or_else(|| format!("the header has no '{name}'"))
        };
        let descr = key("descr")?.to_string();
        let fortran_order = match key("fortran_order")? {
            Value::Boolean(b) => *b,
            other => return Err(format!("'fortran_order' is {other}, not a bool")),
        };
        let shape = match key("shape")? {
            Value::Tuple(dims) | Value::List(dims) => dims
                .iter()
                .map(|d| match d {
                    Value::Integer(i) => i.to_string().parse::<u64>().ok(),
                    _ => None,
                })
                .collect::<Option<Vec<u64>>>(),
            _ => None,
        }
        .ok_or_else(|| {
            format!(
                "'shape' is {}, not a tuple of non-negative integers",
                key("shape").map(ToString::to_string).unwrap_or_default()
            )
        })?;
        Ok(NpyHeader {
            descr,
            fortran_order,
            shape,
            data_start: start + len,
        })
    }
}

/// Reorders values stored first-index-fastest (Fortran) into last-index-fastest (C).
fn fortran_to_c(stored: &[i16], shape: &[u64]) -> Vec<i16> {
    if shape.len() < 2 || stored.is_empty() {
        return stored.to_vec();
    }
    let shape: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
    // Fortran strides: 1, d0, d0*d1, ...
    let mut fstride = vec![1usize; shape.len()];
    for d in 1..shape.len() {
        fstride[d] = fstride[d - 1] * shape[d - 1];
    }
    let mut out = Vec::with_capacity(stored.len());
    let mut index = vec![0usize; shape.len()];
    for _ in 0..stored.len() {
        let offset: usize = index.iter().zip(&fstride).map(|(i, s)| i * s).sum();
        out.push(stored[offset]);
        // Next C-order index: the last dimension fastest.
        for d in (0..shape.len()).rev() {
            index[d] += 1;
            if index[d] < shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
    out
}

/// Writes a 1-D `<i2` `.npy` array to `out`. Files are written through `edgertl::output`.
pub fn write_npy_i16<W: Write>(out: W, values: &[i16]) -> std::io::Result<()> {
    use npyz::WriterBuilder;
    let mut out = BufWriter::new(out);
    let mut writer = npyz::WriteOptions::new()
        .default_dtype()
        .shape(&[values.len() as u64])
        .writer(&mut out)
        .begin_nd()?;
    writer.extend(values.iter().copied())?;
    writer.finish()?;
    out.flush()
}

/// Test helpers: the writers into a file.
#[cfg(test)]
fn write_rlc_file(path: &Path, n: usize, words: &[u64]) -> std::io::Result<()> {
    use std::fs::File;
    write_rlc(File::create(path)?, n, words)
}

#[cfg(test)]
fn write_npy_file(path: &Path, values: &[i16]) -> std::io::Result<()> {
    use std::fs::File;
    write_npy_i16(File::create(path)?, values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rlc::model::{decode, encode};
    use tempfile::TempDir;

    fn dir() -> TempDir {
        tempfile::tempdir().unwrap()
    }

    /// A hand-made `.npy` (version 1.0) with the given header dict and data.
    fn npy_bytes(dict: &str, data: &[u8]) -> Vec<u8> {
        let mut header = dict.to_string();
        // Pad with spaces so that the data starts on a multiple of 64, ending in '\n'.
        while !(10 + header.len() + 1).is_multiple_of(64) {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    fn le(values: &[i16]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn rlc_round_trip() {
        let d = dir();
        for values in [
            vec![],
            vec![0i16; 1],
            vec![1, 0, 0, -2, 0, 0, 0, 3],
            vec![0; 100],
        ] {
            let words = encode(&values);
            let path = d.path().join("x.rlc");
            write_rlc_file(&path, values.len(), &words).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(&bytes[..4], b"RLC1");
            assert_eq!(bytes[4..8], (values.len() as u32).to_le_bytes());
            assert_eq!(bytes.len(), 8 + 8 * words.len());
            let (n, back) = read_rlc(&path).unwrap();
            assert_eq!((n, &back), (values.len(), &words));
            assert_eq!(decode(&back, n).values, values);
        }
    }

    #[test]
    fn rlc_words_are_little_endian() {
        let d = dir();
        let path = d.path().join("w.rlc");
        write_rlc_file(&path, 1, &[0x8000_0000_0000_0020]).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            bytes,
            [
                b"RLC1".as_slice(),
                &[1, 0, 0, 0],
                &[0x20, 0, 0, 0, 0, 0, 0, 0x80]
            ]
            .concat()
        );
    }

    #[test]
    fn rlc_bad_magic() {
        let d = dir();
        let path = d.path().join("bad.rlc");
        for bytes in [b"RLC2\0\0\0\0".as_slice(), b"XY", b"\x93NUMPY\x01\x00"] {
            std::fs::write(&path, bytes).unwrap();
            let err = read_rlc(&path).unwrap_err();
            assert!(matches!(err, FileError::BadMagic { .. }), "{err}");
            let msg = err.to_string();
            assert!(
                msg.contains("bad.rlc") && msg.contains("not an .rlc file"),
                "{msg}"
            );
        }
    }

    #[test]
    fn rlc_truncated_header() {
        let d = dir();
        let path = d.path().join("short.rlc");
        for bytes in [b"".as_slice(), b"RL", b"RLC1", b"RLC1\x01\x00\x00"] {
            std::fs::write(&path, bytes).unwrap();
            let err = read_rlc(&path).unwrap_err();
            assert!(
                matches!(err, FileError::TruncatedHeader { len, .. } if len == bytes.len()),
                "{err}"
            );
            assert!(err.to_string().contains("truncated header"), "{err}");
        }
    }

    #[test]
    fn rlc_word_bytes_not_a_multiple_of_8() {
        let d = dir();
        let path = d.path().join("odd.rlc");
        write_rlc_file(&path, 3, &encode(&[1, 2, 3])).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.pop();
        std::fs::write(&path, &bytes).unwrap();
        let err = read_rlc(&path).unwrap_err();
        assert!(
            matches!(err, FileError::WordBytes { bytes: 7, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("not a multiple of 8"), "{err}");
    }

    #[test]
    fn rlc_no_words_and_count_too_large() {
        let d = dir();
        let path = d.path().join("n.rlc");
        write_rlc_file(&path, 0, &[]).unwrap();
        let err = read_rlc(&path).unwrap_err();
        assert!(matches!(err, FileError::NoWords { .. }), "{err}");
        // One word holds at most 96 values.
        write_rlc_file(&path, 96, &[u64::MAX]).unwrap();
        assert_eq!(read_rlc(&path).unwrap().0, 96);
        write_rlc_file(&path, 97, &[u64::MAX]).unwrap();
        let err = read_rlc(&path).unwrap_err();
        assert!(
            matches!(
                err,
                FileError::CountTooLarge {
                    n: 97,
                    words: 1,
                    capacity: 96,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("97 values"), "{err}");
        write_rlc_file(&path, u32::MAX as usize, &[0; 3]).unwrap();
        assert!(matches!(
            read_rlc(&path).unwrap_err(),
            FileError::CountTooLarge { .. }
        ));
    }

    #[test]
    fn rlc_count_overflow_on_write() {
        if usize::BITS > 32 {
            let mut out = Vec::new();
            let err = write_rlc(&mut out, u32::MAX as usize + 1, &[0]).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
            assert!(err.to_string().contains("32-bit count"), "{err}");
            assert!(out.is_empty());
        }
    }

    #[test]
    fn io_errors_name_the_path() {
        let d = dir();
        let missing = d.path().join("missing.rlc");
        let err = read_rlc(&missing).unwrap_err();
        assert!(matches!(err, FileError::Io { .. }));
        let msg = err.to_string();
        assert!(
            msg.contains("cannot read") && msg.contains("missing.rlc"),
            "{msg}"
        );
        let err = read_npy_i16(d.path().join("missing.npy")).unwrap_err();
        assert!(err.to_string().contains("missing.npy"), "{err}");
    }

    #[test]
    fn npy_round_trip() {
        let d = dir();
        let path = d.path().join("x.npy");
        for values in [
            vec![],
            vec![i16::MIN, -1, 0, 1, i16::MAX],
            (0..5000).map(|i| (i * 37) as i16).collect(),
        ] {
            write_npy_file(&path, &values).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(&bytes[..6], b"\x93NUMPY");
            let text = String::from_utf8_lossy(&bytes[10..128.min(bytes.len())]).to_string();
            assert!(text.contains("'<i2'"), "{text}");
            assert_eq!(read_npy_i16(&path).unwrap(), values);
        }
    }

    #[test]
    fn npy_c_order_nd_and_pipe_dtype() {
        let d = dir();
        let path = d.path().join("c.npy");
        let values: Vec<i16> = (0..6).collect();
        let dict = "{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }";
        std::fs::write(&path, npy_bytes(dict, &le(&values))).unwrap();
        assert_eq!(read_npy_i16(&path).unwrap(), values);
        let dict = "{'descr': '|i2', 'fortran_order': False, 'shape': (6,), }";
        std::fs::write(&path, npy_bytes(dict, &le(&values))).unwrap();
        assert_eq!(read_npy_i16(&path).unwrap(), values);
        // A 0-d array holds one value.
        let dict = "{'descr': '<i2', 'fortran_order': False, 'shape': (), }";
        std::fs::write(&path, npy_bytes(dict, &le(&[-5]))).unwrap();
        assert_eq!(read_npy_i16(&path).unwrap(), vec![-5]);
    }

    #[test]
    fn npy_big_endian_is_converted() {
        let d = dir();
        let path = d.path().join("be.npy");
        let values = [1i16, -2, 0x1234];
        let data: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
        let dict = "{'descr': '>i2', 'fortran_order': False, 'shape': (3,), }";
        std::fs::write(&path, npy_bytes(dict, &data)).unwrap();
        assert_eq!(read_npy_i16(&path).unwrap(), values);
    }

    #[test]
    fn npy_fortran_order_is_transposed_into_c_order() {
        let d = dir();
        let path = d.path().join("f.npy");
        // The 2x3 array [[0, 1, 2], [3, 4, 5]] stored column-major: 0 3 1 4 2 5.
        let dict = "{'descr': '<i2', 'fortran_order': True, 'shape': (2, 3), }";
        std::fs::write(&path, npy_bytes(dict, &le(&[0, 3, 1, 4, 2, 5]))).unwrap();
        assert_eq!(read_npy_i16(&path).unwrap(), vec![0, 1, 2, 3, 4, 5]);
        // 3-D: a[i][j][k] = 100 i + 10 j + k, shape (2, 3, 4), stored i fastest.
        let mut stored = Vec::new();
        for k in 0..4 {
            for j in 0..3 {
                for i in 0..2 {
                    stored.push(100 * i + 10 * j + k);
                }
            }
        }
        let dict = "{'descr': '<i2', 'fortran_order': True, 'shape': (2, 3, 4), }";
        std::fs::write(&path, npy_bytes(dict, &le(&stored))).unwrap();
        let mut c_order = Vec::new();
        for i in 0..2 {
            for j in 0..3 {
                for k in 0..4 {
                    c_order.push(100 * i + 10 * j + k);
                }
            }
        }
        assert_eq!(read_npy_i16(&path).unwrap(), c_order);
    }

    #[test]
    fn npy_wrong_dtype_is_refused_by_name() {
        let d = dir();
        let path = d.path().join("f4.npy");
        for (descr, data) in [
            ("'<f4'", vec![0u8; 8]),
            ("'<i4'", vec![0u8; 8]),
            ("'<u2'", vec![0u8; 4]),
            ("'|u1'", vec![0u8; 2]),
            ("'<i8'", vec![0u8; 16]),
            ("[('a', '<i2')]", vec![0u8; 4]),
        ] {
            let dict = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': (2,), }}");
            std::fs::write(&path, npy_bytes(&dict, &data)).unwrap();
            let err = read_npy_i16(&path).unwrap_err();
            assert!(matches!(err, FileError::NpyDtype { .. }), "{descr}: {err}");
            let msg = err.to_string();
            assert!(msg.contains("is not int16"), "{msg}");
            let name = descr.trim_matches('\'');
            assert!(msg.contains(name) || descr.starts_with('['), "{msg}");
        }
    }

    #[test]
    fn npy_bad_files_are_refused() {
        let d = dir();
        let path = d.path().join("bad.npy");
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"not an npy file at all".to_vec(),
            b"\x93NUMPY\x01".to_vec(),
            b"\x93NUMPY\x01\x00\xff\x00{'descr'".to_vec(),
            b"\x93NUMPY\x07\x00\x10\x00{'descr': '<i2'}".to_vec(),
            npy_bytes(
                "{'descr': '<i2', 'fortran_order': 1, 'shape': (2,), }",
                &le(&[1, 2]),
            ),
            npy_bytes("{'descr': '<i2', 'fortran_order': False, }", &le(&[1, 2])),
            npy_bytes("[1, 2]", &le(&[1, 2])),
            npy_bytes("{'descr': '<i2', 'shape': (2,), }", &le(&[1, 2])),
            npy_bytes("not a dict", &[]),
        ];
        for bytes in cases {
            std::fs::write(&path, &bytes).unwrap();
            let err = read_npy_i16(&path).unwrap_err();
            assert!(matches!(err, FileError::Npy { .. }), "{err}");
            assert!(err.to_string().contains("not a valid .npy file"), "{err}");
        }
    }

    #[test]
    fn npy_wrong_data_size_is_refused() {
        let d = dir();
        let path = d.path().join("size.npy");
        let dict = "{'descr': '<i2', 'fortran_order': False, 'shape': (4,), }";
        // Short.
        std::fs::write(&path, npy_bytes(dict, &le(&[1, 2, 3]))).unwrap();
        let err = read_npy_i16(&path).unwrap_err();
        assert!(
            matches!(err, FileError::NpyDataSize { got: 6, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("needs 8 byte(s)"), "{err}");
        // Odd byte count.
        std::fs::write(&path, npy_bytes(dict, &[0u8; 7])).unwrap();
        assert!(matches!(
            read_npy_i16(&path).unwrap_err(),
            FileError::NpyDataSize { .. }
        ));
        // Bytes left over.
        std::fs::write(&path, npy_bytes(dict, &le(&[1, 2, 3, 4, 5]))).unwrap();
        assert!(matches!(
            read_npy_i16(&path).unwrap_err(),
            FileError::NpyDataSize { .. }
        ));
    }

    #[test]
    fn npy_huge_shape_is_refused_without_panic() {
        let d = dir();
        let path = d.path().join("huge.npy");
        for shape in [
            "(4294967296, 4294967296)",
            "(18446744073709551615, 2)",
            "(4294967296, 4)",
        ] {
            let dict = format!("{{'descr': '<i2', 'fortran_order': False, 'shape': {shape}, }}");
            std::fs::write(&path, npy_bytes(&dict, &le(&[1, 2]))).unwrap();
            let err = read_npy_i16(&path).unwrap_err();
            assert!(
                matches!(err, FileError::NpyDataSize { got: 4, .. }),
                "{err}"
            );
        }
        // Past u64, or negative: not a shape.
        for shape in ["(18446744073709551616,)", "(-1, 2)", "(2.0,)", "3"] {
            let dict = format!("{{'descr': '<i2', 'fortran_order': False, 'shape': {shape}, }}");
            std::fs::write(&path, npy_bytes(&dict, &le(&[1, 2]))).unwrap();
            let err = read_npy_i16(&path).unwrap_err();
            assert!(err.to_string().contains("'shape' is"), "{err}");
        }
        // A zero dimension makes an empty array, whatever the others.
        for shape in ["(0, 4294967296, 4294967296)", "(0, 5)", "(0,)"] {
            let dict = format!("{{'descr': '<i2', 'fortran_order': True, 'shape': {shape}, }}");
            std::fs::write(&path, npy_bytes(&dict, &[])).unwrap();
            assert_eq!(read_npy_i16(&path).unwrap(), Vec::<i16>::new());
        }
        // A header length past the end of the file (version 2: a 32-bit length).
        let mut bytes = b"\x93NUMPY\x02\x00".to_vec();
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        bytes.extend_from_slice(b"{'descr': '<i2'");
        std::fs::write(&path, &bytes).unwrap();
        let err = read_npy_i16(&path).unwrap_err();
        assert!(err.to_string().contains("truncated header"), "{err}");
    }
}
