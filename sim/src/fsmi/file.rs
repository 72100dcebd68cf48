//! Occupancy maps from files and the MI surface to files (readers on bytes, writers to any
//! `Write`, as the other units' formats):
//!
//! - `.npy`, shape (H, W): float32 or float64 occupancy in [0, 1] (NaN and values outside
//!   refused, naming the cell), or uint8 codes (0 and 255 clamped to 1 and 254).
//! - PNG, a ROS map image: black occupied, white free, gray unknown: `o = 1 - gray / 255`.
//! - The surface as a float32 `.npy` (H, W), nats; the heat map as a PNG: the MI from black
//!   through red and yellow to white over the map's walls, the best pose ringed in cyan.
use super::map::OccMap;
use super::FsmiError;
use crate::navion::image::{self, ImageError, Rgb};
use std::io::Write;
use std::path::Path;

/// The longest side of a map taken from a file, cells.
pub const MAX_SIDE: usize = 4096;

/// A map file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum MapFileError {
    #[error("{}: {cause}", path.display())]
    Io { path: std::path::PathBuf, cause: std::io::Error },
    #[error("{}: not a .npy map: {message}", path.display())]
    Npy { path: std::path::PathBuf, message: String },
    #[error(transparent)]
    Png(#[from] ImageError),
    #[error("{}: {cause}", path.display())]
    Map { path: std::path::PathBuf, cause: FsmiError },
}

/// Reads a map: PNG by its signature, `.npy` otherwise.
pub fn read_map(path: &Path) -> Result<OccMap, MapFileError> {
    let bytes = std::fs::read(path).map_err(|cause| MapFileError::Io { path: path.into(), cause })?;
    parse_map(&bytes, path)
}

/// A map from a file's bytes; `path` is for the messages.
pub fn parse_map(bytes: &[u8], path: &Path) -> Result<OccMap, MapFileError> {
    let map_err = |cause| MapFileError::Map { path: path.into(), cause };
    if bytes.starts_with(b"\x89PNG") {
        let frame = image::parse_png(bytes, path)?;
        let (w, h) = (frame.width(), frame.height());
        if w.max(h) > MAX_SIDE {
            return Err(MapFileError::Npy { path: path.into(), message: format!("{h} x {w} cells, more than {MAX_SIDE} a side") });
        }
        let probs: Vec<f64> = frame.pixels().iter().map(|&g| 1.0 - g as f64 / 255.0).collect();
        return OccMap::from_probs(h, w, &probs).map_err(map_err);
    }
    let npy_err = |message: String| MapFileError::Npy { path: path.into(), message };
    let npy = npyz::NpyFile::new(bytes).map_err(|e| npy_err(e.to_string()))?;
    let shape = npy.shape().to_vec();
    let [h, w] = shape[..] else {
        return Err(npy_err(format!("shape {shape:?}, not (H, W)")));
    };
    let (h, w) = (h as usize, w as usize);
    if h == 0 || w == 0 {
        return Err(map_err(FsmiError::EmptyMap { height: h, width: w }));
    }
    if h.max(w) > MAX_SIDE {
        return Err(npy_err(format!("{h} x {w} cells, more than {MAX_SIDE} a side")));
    }
    if npy.order() != npyz::Order::C {
        return Err(npy_err("Fortran order; save it in C order".into()));
    }
    let descr = npy.dtype().descr();
    match descr.trim_matches('\'') {
        "<f4" => {
            let v: Vec<f32> = npy.into_vec().map_err(|e| npy_err(e.to_string()))?;
            OccMap::from_probs(h, w, &v.iter().map(|&x| x as f64).collect::<Vec<_>>()).map_err(map_err)
        }
        "<f8" => {
            let v: Vec<f64> = npy.into_vec().map_err(|e| npy_err(e.to_string()))?;
            OccMap::from_probs(h, w, &v).map_err(map_err)
        }
        "|u1" => {
            let v: Vec<u8> = npy.into_vec().map_err(|e| npy_err(e.to_string()))?;
            OccMap::from_codes(h, w, v).map_err(map_err)
        }
        other => Err(npy_err(format!("dtype {other}; a map is float32, float64 (occupancy in [0, 1]) or uint8 (codes)"))),
    }
}

/// Writes the surface (nats, raster order) as a float32 `.npy` of shape (H, W).
pub fn write_surface_npy<W: Write>(out: W, height: usize, width: usize, surface: &[f64]) -> std::io::Result<()> {
    use npyz::WriterBuilder;
    let mut writer = npyz::WriteOptions::new().default_dtype().shape(&[height as u64, width as u64]).writer(out).begin_nd()?;
    for &v in surface {
        writer.push(&(v as f32))?;
    }
    writer.finish()
}

/// The cell of the greatest MI (the first in raster order among equals).
pub fn best_pose(width: usize, surface: &[f64]) -> Option<(usize, usize)> {
    let i = surface.iter().enumerate().fold(None, |best: Option<(usize, f64)>, (i, &v)| match best {
        Some((_, b)) if b >= v => best,
        _ => Some((i, v)),
    })?;
    Some((i.0 / width, i.0 % width))
}

/// The heat map: each cell a square of `scale` pixels (so that the long side is 512 or
/// more), the MI's colour over the map (occupied cells darkened), the best pose ringed.
pub fn heatmap(map: &OccMap, surface: &[f64]) -> Rgb {
    let (h, w) = (map.height(), map.width());
    let scale = (512 / h.max(w)).clamp(1, 256);
    let top = surface.iter().copied().fold(0.0, f64::max);
    let mut img = Rgb { width: w * scale, height: h * scale, data: vec![0; 3 * w * scale * h * scale] };
    for r in 0..h {
        for c in 0..w {
            let t = if top > 0.0 { (surface[r * w + c] / top).clamp(0.0, 1.0) } else { 0.0 };
            // Black, red, yellow, white.
            let hot = [(3.0 * t).min(1.0), (3.0 * t - 1.0).clamp(0.0, 1.0), (3.0 * t - 2.0).clamp(0.0, 1.0)];
            let light = 1.0 - 0.8 * map.prob(r, c).max(0.5).mul_add(2.0, -1.0);
            let colour = hot.map(|x| (255.0 * (0.15 + 0.85 * x) * light).round() as u8);
            for y in r * scale..(r + 1) * scale {
                let i = 3 * (y * w * scale + c * scale);
                for px in img.data[i..i + 3 * scale].chunks_mut(3) {
                    px.copy_from_slice(&colour);
                }
            }
        }
    }
    if let Some((r, c)) = best_pose(w, surface) {
        let (cy, cx) = ((r * scale + scale / 2) as i64, (c * scale + scale / 2) as i64);
        let radius = (3 * scale).max(6) as i64;
        for k in 0..(8 * radius) {
            let a = k as f64 / (8 * radius) as f64 * std::f64::consts::TAU;
            for dr in [radius, radius + 1] {
                let (x, y) = (cx + (dr as f64 * a.cos()).round() as i64, cy + (dr as f64 * a.sin()).round() as i64);
                if x >= 0 && y >= 0 && (x as usize) < img.width && (y as usize) < img.height {
                    let i = 3 * (y as usize * img.width + x as usize);
                    img.data[i..i + 3].copy_from_slice(&[0, 255, 255]);
                }
            }
        }
    }
    img
}

/// Writes the heat map as a PNG.
pub fn write_heatmap_png<W: Write>(out: W, map: &OccMap, surface: &[f64]) -> Result<(), String> {
    image::write_png_rgb(out, &heatmap(map, surface)).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use npyz::WriterBuilder;

    fn npy<T: npyz::Serialize + npyz::AutoSerialize + Copy>(shape: &[u64], data: &[T]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = npyz::WriteOptions::new().default_dtype().shape(shape).writer(&mut out).begin_nd().unwrap();
        for &x in data {
            w.push(&x).unwrap();
        }
        w.finish().unwrap();
        out
    }

    #[test]
    fn maps_from_npy_and_png() {
        let p = Path::new("m.npy");
        let m = parse_map(&npy(&[2, 3], &[0.0f32, 0.5, 1.0, 0.2, 0.4, 0.6]), p).unwrap();
        assert_eq!((m.height(), m.width()), (2, 3));
        assert_eq!(m.codes(), &[1, 128, 254, 51, 102, 153]);
        let m = parse_map(&npy(&[1, 2], &[0.25f64, 0.75]), p).unwrap();
        assert_eq!(m.codes(), &[64, 191]);
        let m = parse_map(&npy(&[1, 3], &[0u8, 100, 255]), p).unwrap();
        assert_eq!(m.codes(), &[1, 100, 254]);
        // A ROS map: black occupied, white free, gray 205 unknown-ish.
        let frame = crate::navion::Frame::new(3, 1, vec![0, 255, 128]).unwrap();
        let mut png = Vec::new();
        image::write_png_gray(&mut png, &frame).unwrap();
        assert_eq!(parse_map(&png, Path::new("m.png")).unwrap().codes(), &[254, 1, 127]);
    }

    #[test]
    fn bad_map_files_are_refused() {
        let p = Path::new("m.npy");
        let msg = |bytes: &[u8]| parse_map(bytes, p).unwrap_err().to_string();
        assert!(msg(&npy(&[1, 2], &[0.5f32, f32::NAN])).contains("(row 0, col 1) has occupancy NaN"), "{}", msg(&npy(&[1, 2], &[0.5f32, f32::NAN])));
        assert!(msg(&npy(&[1, 2], &[0.5f64, 1.5])).contains("not a probability"));
        assert!(msg(&npy(&[4], &[0.5f64; 4])).contains("not (H, W)"));
        assert!(msg(&npy(&[0, 3], &[] as &[f64])).contains("empty"));
        assert!(msg(&npy(&[1, 2], &[1i32, 2])).contains("dtype <i4"));
        assert!(msg(b"hello").contains("not a .npy map"));
        assert!(msg(&npy(&[1, 2], &[0.5f64, 0.5])[..60]).contains("not a .npy map"));
    }

    #[test]
    fn surface_file_and_heatmap() {
        let mut out = Vec::new();
        write_surface_npy(&mut out, 2, 2, &[0.0, 1.5, 2.25, 0.5]).unwrap();
        let f = npyz::NpyFile::new(&out[..]).unwrap();
        assert_eq!(f.shape(), [2, 2]);
        assert_eq!(f.into_vec::<f32>().unwrap(), vec![0.0, 1.5, 2.25, 0.5]);
        assert_eq!(best_pose(2, &[0.0, 1.5, 2.25, 0.5]), Some((1, 0)));
        assert_eq!(best_pose(2, &[]), None);
        let map = OccMap::uniform(2, 2, 0.0).unwrap();
        let img = heatmap(&map, &[0.0, 1.5, 2.25, 0.5]);
        assert_eq!((img.width, img.height), (512, 512));
        // The best cell is the brightest (white), the zero cell the darkest.
        let px = |x: usize, y: usize| img.data[3 * (y * 512 + x)..3 * (y * 512 + x) + 3].to_vec();
        assert_eq!(px(128, 300), vec![255, 255, 255]);
        assert!(px(128, 128)[0] < 64);
    }
}
