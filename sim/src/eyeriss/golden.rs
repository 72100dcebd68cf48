//! The golden convolution layer with the Eyeriss PE's arithmetic.
//!
//! Every product `w * x` is formed in 32 bits, shifted right arithmetically by the layer's
//! shift and cut to its low 16 bits; the accumulation wraps in 16 bits (two's complement);
//! the bias, when given, is the initial psum; ReLU, when on, follows the whole sum. Because a
//! wrapping 16-bit sum does not depend on the order of its terms, this is what the chip
//! computes whatever its mapping. Padding positions read zero.
//!
//! Tensors are flat C-order slices: ifmap `(N, C, H, W)`, weights `(M, C/G, R, S)`, bias
//! `(M,)`, ofmap `(N, M, E, F)`. Output planes are computed in parallel (rayon).

use super::layer::{LayerError, LayerShape};
use rayon::prelude::*;

/// Tensor sizes that do not match the layer.
fn size_error(layer: &LayerShape, what: &str, got: usize, want: usize) -> LayerError {
    LayerError {
        layer: layer.name.clone(),
        message: format!("the {what} holds {got} values, the layer needs {want}"),
    }
}

/// The ofmap `(N, M, E, F)` of `layer` on `ifmap` with `weights` and an optional `bias`.
pub fn conv(
    layer: &LayerShape,
    ifmap: &[i16],
    weights: &[i16],
    bias: Option<&[i16]>,
) -> Result<Vec<i16>, LayerError> {
    layer.validate()?;
    let (n, c, h, w) = (layer.n, layer.c, layer.h, layer.w);
    let (m, r, s, u, pad) = (layer.m, layer.r, layer.s, layer.u, layer.pad);
    let (e, f) = (layer.e(), layer.f());
    let (cg, mg) = (layer.c_per_group(), layer.m_per_group());
    if ifmap.len() != n * c * h * w {
        return Err(size_error(layer, "ifmap", ifmap.len(), n * c * h * w));
    }
    if weights.len() != m * cg * r * s {
        return Err(size_error(layer, "weights", weights.len(), m * cg * r * s));
    }
    if let Some(b) = bias {
        if b.len() != m {
            return Err(size_error(layer, "bias", b.len(), m));
        }
    }
    let shift = layer.shift;
    let mut out = vec![0i16; n * m * e * f];
    out.par_chunks_mut(e * f).enumerate().for_each(|(plane, acc)| {
        let (img, filt) = (plane / m, plane % m);
        let c0 = (filt / mg) * cg;
        acc.fill(bias.map_or(0, |b| b[filt]));
        for ci in 0..cg {
            let xin = &ifmap[((img * c) + c0 + ci) * h * w..][..h * w];
            for ri in 0..r {
                for si in 0..s {
                    let wt = i32::from(weights[((filt * cg + ci) * r + ri) * s + si]);
                    if wt == 0 {
                        continue;
                    }
                    for ei in 0..e {
                        // Input row of this output row and filter row, in padded coordinates.
                        let Some(y) = (ei * u + ri).checked_sub(pad).filter(|&y| y < h) else {
                            continue;
                        };
                        let row = &xin[y * w..][..w];
                        let out_row = &mut acc[ei * f..][..f];
                        for (fi, o) in out_row.iter_mut().enumerate() {
                            if let Some(x) = (fi * u + si).checked_sub(pad).filter(|&x| x < w) {
                                let product = (wt * i32::from(row[x])) >> shift;
                                *o = o.wrapping_add(product as i16);
                            }
                        }
                    }
                }
            }
        }
        if layer.relu {
            for o in acc.iter_mut() {
                *o = (*o).max(0);
            }
        }
    });
    Ok(out)
}

/// MACs whose ifmap operand is zero (padding included): the products the PE's zero gating
/// skips. Counted per (image, channel, filter tap) over the output positions, then times the
/// filters that read the channel.
pub fn zero_macs(layer: &LayerShape, ifmap: &[i16]) -> u64 {
    let (c, h, w) = (layer.c, layer.h, layer.w);
    let (e, f, u, pad) = (layer.e(), layer.f(), layer.u, layer.pad);
    let planes: Vec<usize> = (0..layer.n * c).collect();
    let zeros: u64 = planes
        .par_iter()
        .map(|&plane| {
            let xin = &ifmap[plane * h * w..][..h * w];
            let mut zeros = 0u64;
            for ri in 0..layer.r {
                for si in 0..layer.s {
                    for ei in 0..e {
                        let y = (ei * u + ri).checked_sub(pad).filter(|&y| y < h);
                        for fi in 0..f {
                            let x = (fi * u + si).checked_sub(pad).filter(|&x| x < w);
                            let v = match (y, x) {
                                (Some(y), Some(x)) => xin[y * w + x],
                                _ => 0,
                            };
                            zeros += u64::from(v == 0);
                        }
                    }
                }
            }
            zeros
        })
        .sum();
    zeros * layer.m_per_group() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// The reference written apart from [`conv`]: loops in the textbook order over the
    /// output's indices, padding as an explicit bounds test on signed coordinates, the terms
    /// (each product shifted and cut to 16 bits) summed exactly in 64 bits and the sum cut to
    /// 16 bits at the end (which is what a wrapping 16-bit accumulation gives).
    fn reference(l: &LayerShape, x: &[i16], wt: &[i16], b: Option<&[i16]>) -> Vec<i16> {
        let (e, f, cg, mg) = (l.e(), l.f(), l.c_per_group(), l.m_per_group());
        let mut y = Vec::with_capacity(l.n * l.m * e * f);
        for ni in 0..l.n {
            for mi in 0..l.m {
                for ei in 0..e {
                    for fi in 0..f {
                        let mut sum: i64 = b.map_or(0, |b| i64::from(b[mi]));
                        for ci in 0..cg {
                            let cin = (mi / mg) * cg + ci;
                            for ri in 0..l.r {
                                for si in 0..l.s {
                                    let yy = (ei * l.u + ri) as i64 - l.pad as i64;
                                    let xx = (fi * l.u + si) as i64 - l.pad as i64;
                                    if yy < 0 || xx < 0 || yy >= l.h as i64 || xx >= l.w as i64 {
                                        continue;
                                    }
                                    let xv = x[((ni * l.c + cin) * l.h + yy as usize) * l.w + xx as usize];
                                    let wv = wt[((mi * cg + ci) * l.r + ri) * l.s + si];
                                    let p = (i32::from(wv) * i32::from(xv)) >> l.shift;
                                    sum += i64::from(p as u16 as i16);
                                }
                            }
                        }
                        let v = sum as u16 as i16;
                        y.push(if l.relu && v < 0 { 0 } else { v });
                    }
                }
            }
        }
        y
    }

    fn random(rng: &mut StdRng, len: usize, zero_fraction: f64) -> Vec<i16> {
        (0..len).map(|_| if rng.gen_bool(zero_fraction) { 0 } else { rng.gen() }).collect()
    }

    fn random_layer(rng: &mut StdRng, i: usize) -> LayerShape {
        let groups = [1, 2, 3][rng.gen_range(0..3)];
        let r: usize = rng.gen_range(1..=5);
        let s: usize = rng.gen_range(1..=5);
        let pad = rng.gen_range(0..=2);
        let h = rng.gen_range(r.saturating_sub(2 * pad).max(1)..=12);
        let w = rng.gen_range(s.saturating_sub(2 * pad).max(1)..=12);
        LayerShape {
            name: format!("random{i}"),
            n: rng.gen_range(1..=2),
            c: groups * rng.gen_range(1..=3),
            m: groups * rng.gen_range(1..=3),
            groups,
            h,
            w,
            r,
            s,
            u: rng.gen_range(1..=3),
            pad,
            relu: rng.gen(),
            shift: rng.gen_range(0..=16),
            rlc_in: false,
            rlc_out: false,
        }
    }

    #[test]
    fn matches_the_reference_on_random_layers() {
        let mut rng = StdRng::seed_from_u64(11);
        let mut seen = (false, false, false);
        for i in 0..300 {
            let l = random_layer(&mut rng, i);
            l.validate().unwrap();
            seen = (seen.0 || l.groups > 1, seen.1 || l.u > 1, seen.2 || l.pad > 0);
            let x = random(&mut rng, l.n * l.c * l.h * l.w, 0.3);
            let wt = random(&mut rng, l.m * l.c_per_group() * l.r * l.s, 0.1);
            let b = random(&mut rng, l.m, 0.0);
            let bias = rng.gen_bool(0.5).then_some(&b[..]);
            let got = conv(&l, &x, &wt, bias).unwrap();
            assert_eq!(got, reference(&l, &x, &wt, bias), "{l:?}");
        }
        assert_eq!(seen, (true, true, true), "the random layers must cover groups, strides and padding");
    }

    // The arithmetic the issue states, on numbers worked by hand: 300 * 300 = 90000, >> 2 =
    // 22500; twice 22500 = 45000 wraps to 45000 - 65536 = -20536; ReLU makes it 0.
    #[test]
    fn products_shift_cut_and_wrap() {
        let mut l = LayerShape::new("t", 1, 2, 1, 1, 1, 1, 1);
        l.shift = 2;
        assert_eq!(conv(&l, &[300, 300], &[300, 300], None).unwrap(), [-20536]);
        l.relu = true;
        assert_eq!(conv(&l, &[300, 300], &[300, 300], None).unwrap(), [0]);
        // The product's low 16 bits: 256 * 256 = 65536 cuts to 0; the bias stays.
        l.relu = false;
        l.shift = 0;
        assert_eq!(conv(&l, &[256, 1], &[256, 7], Some(&[5])).unwrap(), [12]);
        // Arithmetic shift: -3 >> 1 = -2.
        l.shift = 1;
        assert_eq!(conv(&l, &[-3, 0], &[1, 0], None).unwrap(), [-2]);
    }

    #[test]
    fn sizes_are_checked() {
        let l = LayerShape::new("t", 1, 2, 3, 4, 4, 3, 3);
        let err = conv(&l, &[0; 31], &[0; 54], None).unwrap_err().to_string();
        assert!(err.contains("the ifmap holds 31 values, the layer needs 32"), "{err}");
        let err = conv(&l, &[0; 32], &[0; 54], Some(&[0; 2])).unwrap_err().to_string();
        assert!(err.contains("the bias holds 2 values, the layer needs 3"), "{err}");
    }

    #[test]
    fn zero_macs_counts_zero_operands() {
        let mut rng = StdRng::seed_from_u64(3);
        for i in 0..50 {
            let l = random_layer(&mut rng, i);
            let x = random(&mut rng, l.n * l.c * l.h * l.w, 0.4);
            // Count directly: every MAC of the layer whose ifmap operand is zero or padding.
            let (cg, mg) = (l.c_per_group(), l.m_per_group());
            let mut want = 0u64;
            for ni in 0..l.n {
                for mi in 0..l.m {
                    for ci in 0..cg {
                        let cin = (mi / mg) * cg + ci;
                        for ei in 0..l.e() {
                            for fi in 0..l.f() {
                                for ri in 0..l.r {
                                    for si in 0..l.s {
                                        let yy = (ei * l.u + ri) as i64 - l.pad as i64;
                                        let xx = (fi * l.u + si) as i64 - l.pad as i64;
                                        let inside = yy >= 0 && xx >= 0 && yy < l.h as i64 && xx < l.w as i64;
                                        let v = if inside {
                                            x[((ni * l.c + cin) * l.h + yy as usize) * l.w + xx as usize]
                                        } else {
                                            0
                                        };
                                        want += u64::from(v == 0);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            assert_eq!(zero_macs(&l, &x), want, "{l:?}");
        }
    }
}
