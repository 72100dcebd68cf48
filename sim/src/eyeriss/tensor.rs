//! N-dimensional int16 `.npy` tensors for whole layers: [`read_npy_i16_nd`] (values through
//! the run-length coder's checked reader [`crate::rlc::file::parse_npy_i16`], which refuses
//! any other dtype, a malformed header or a data size that does not match the shape; the
//! shape from the header's `'shape'`) and [`write_npy_i16_nd`] (with `npyz`). Errors name
//! the file.

use crate::rlc::file::{parse_npy_i16, FileError};
use std::io::{BufWriter, Write};
use std::path::Path;

/// An int16 array: its shape and its values in C order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub values: Vec<i16>,
}

/// Reads an int16 `.npy` array of any shape.
pub fn read_npy_i16_nd(path: impl AsRef<Path>) -> Result<Tensor, FileError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|cause| FileError::Io { action: "read", path: path.to_path_buf(), cause })?;
    parse_npy_i16_nd(path, &bytes)
}

/// [`read_npy_i16_nd`] on bytes already read.
pub fn parse_npy_i16_nd(path: &Path, bytes: &[u8]) -> Result<Tensor, FileError> {
    // The checked reader first: past it the header is well formed and matches the data.
    let values = parse_npy_i16(path, bytes)?;
    let shape = header_shape(bytes).ok_or_else(|| FileError::Npy {
        path: path.to_path_buf(),
        message: "cannot read the header's 'shape'".into(),
    })?;
    Ok(Tensor { shape, values })
}

/// The `'shape'` of a header that [`parse_npy_i16`] accepted.
fn header_shape(bytes: &[u8]) -> Option<Vec<usize>> {
    use py_literal::Value;
    let (len, start) = match bytes.get(6)? {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        _ => (u32::from_le_bytes(bytes.get(8..12)?.try_into().ok()?) as usize, 12),
    };
    let text = std::str::from_utf8(bytes.get(start..start + len)?).ok()?;
    let Ok(Value::Dict(dict)) = text.trim_end().parse::<Value>() else { return None };
    let (_, shape) = dict.iter().find(|(k, _)| matches!(k, Value::String(k) if k == "shape"))?;
    match shape {
        Value::Tuple(dims) | Value::List(dims) => dims
            .iter()
            .map(|d| match d {
                Value::Integer(i) => i.to_string().parse().ok(),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// Writes a `<i2` array of `shape` (C order). Files are written through `edgertl::output`.
pub fn write_npy_i16_nd<W: Write>(out: W, shape: &[usize], values: &[i16]) -> std::io::Result<()> {
    use npyz::WriterBuilder;
    let dims: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
    if dims.iter().product::<u64>() != values.len() as u64 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("shape {shape:?} does not hold {} values", values.len()),
        ));
    }
    let mut out = BufWriter::new(out);
    let mut writer = npyz::WriteOptions::new().default_dtype().shape(&dims).writer(&mut out).begin_nd()?;
    writer.extend(values.iter().copied())?;
    writer.finish()?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_the_shape() {
        let values: Vec<i16> = (0..24).map(|v| v * 7 - 80).collect();
        let mut bytes = Vec::new();
        write_npy_i16_nd(&mut bytes, &[2, 3, 4], &values).unwrap();
        let t = parse_npy_i16_nd(Path::new("x.npy"), &bytes).unwrap();
        assert_eq!(t, Tensor { shape: vec![2, 3, 4], values });
        assert!(write_npy_i16_nd(&mut Vec::new(), &[5], &[1, 2]).is_err());
    }

    #[test]
    fn bad_files_name_the_file() {
        let err = parse_npy_i16_nd(Path::new("w.npy"), b"not numpy").unwrap_err().to_string();
        assert!(err.starts_with("w.npy: not a valid .npy file"), "{err}");
        // A float32 array.
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend((header.len() as u16).to_le_bytes());
        bytes.extend(header.as_bytes());
        bytes.extend([0u8; 8]);
        let err = parse_npy_i16_nd(Path::new("w.npy"), &bytes).unwrap_err().to_string();
        assert!(err.contains("w.npy: dtype '<f4' is not int16"), "{err}");
    }
}
