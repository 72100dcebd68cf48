//! The beams: their directions and the Amanatides-Woo traversal (issue 15 §1), in `f64`.
//!
//! Beam b of B points at `theta_b = 2 pi (b + 0.5) / B` from the centre of the pose's cell
//! `(col + 0.5, row + 0.5)`, x along columns and y along rows. The traversal steps in x when
//! the distance to the next vertical boundary is smaller, otherwise in y (ties go to y); the
//! start cell is not on the beam; a cell is on the beam when the beam enters it at a distance
//! below the range R (cells); the beam ends at the map's edge.
//!
//! The direction is computed from the angle reduced in integers to its quadrant, with
//! `|dx| = cos(pi/2 * m/B)` and `|dy| = cos(pi/2 * (B - m)/B)`: a beam at exactly 45 degrees
//! gets `|dx| == |dy|` to the bit, so the mathematical ties (the beam through a cell corner)
//! are broken by the rule above and not by rounding, and axis beams get an exact zero.

/// The unit vector of beam `b` of `beams` as (dx, dy): dx along columns, dy along rows.
pub fn direction(b: usize, beams: usize) -> (f64, f64) {
    let (quadrant, m) = quadrant(b, beams);
    let c = cos_quarter(m, beams);
    let s = cos_quarter(beams - m, beams);
    match quadrant {
        0 => (c, s),
        1 => (-s, c),
        2 => (-c, -s),
        _ => (s, -c),
    }
}

/// Beam `b`'s angle as a quadrant (0 ..= 3) and the rest `m` in quarter turns / `beams`:
/// `theta = pi/2 * (quadrant + m / beams)`, from `(4b + 2) / B` quarter turns.
pub fn quadrant(b: usize, beams: usize) -> (usize, usize) {
    let q = 4 * (b % beams) + 2;
    ((q / beams) % 4, q % beams)
}

/// `cos(pi/2 * n / d)` for 0 <= n <= d, exact at both ends.
fn cos_quarter(n: usize, d: usize) -> f64 {
    if n == 0 {
        1.0
    } else if n == d {
        0.0
    } else {
        (std::f64::consts::FRAC_PI_2 * n as f64 / d as f64).cos()
    }
}

/// The cells (row, col) beam `b` of `beams` from pose (row, col) visits in a `height` x
/// `width` map, in order, each with the distance at which the beam enters it.
pub fn cells(height: usize, width: usize, row: usize, col: usize, b: usize, beams: usize, range: f64) -> Vec<(usize, usize, f64)> {
    let (dx, dy) = direction(b, beams);
    let mut out = Vec::new();
    traverse(height, width, row, col, dx, dy, range, |r, c, t| out.push((r, c, t)));
    out
}

/// Amanatides-Woo from the centre of (row, col) along (dx, dy), calling `visit(row, col, t)`
/// for each cell entered at distance t < `range`, until the map's edge.
#[allow(clippy::too_many_arguments)]
pub fn traverse(height: usize, width: usize, row: usize, col: usize, dx: f64, dy: f64, range: f64, mut visit: impl FnMut(usize, usize, f64)) {
    let (mut x, mut y) = (col as isize, row as isize);
    let (sx, sy) = (if dx < 0.0 { -1 } else { 1 }, if dy < 0.0 { -1 } else { 1 });
    // From the centre, the next boundary is half a cell away either way.
    let (tdx, tdy) = (1.0 / dx.abs(), 1.0 / dy.abs());
    let (mut tx, mut ty) = (0.5 * tdx, 0.5 * tdy);
    loop {
        let t;
        if tx < ty {
            t = tx;
            x += sx;
            tx += tdx;
        } else {
            t = ty;
            y += sy;
            ty += tdy;
        }
        if t >= range || x < 0 || y < 0 || x as usize >= width || y as usize >= height {
            return;
        }
        visit(y as usize, x as usize, t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// The independent reference: every cell the ray crosses with a positive length (slab
    /// intersection of the ray with the cell's square), sorted by entry distance.
    fn slab_cells(height: usize, width: usize, row: usize, col: usize, dx: f64, dy: f64, range: f64) -> Vec<(usize, usize, f64, f64)> {
        let (x0, y0) = (col as f64 + 0.5, row as f64 + 0.5);
        let slab = |p0: f64, d: f64, lo: f64| -> (f64, f64) {
            if d == 0.0 {
                if p0 > lo && p0 < lo + 1.0 { (f64::NEG_INFINITY, f64::INFINITY) } else { (f64::INFINITY, f64::NEG_INFINITY) }
            } else {
                let (a, b) = ((lo - p0) / d, (lo + 1.0 - p0) / d);
                (a.min(b), a.max(b))
            }
        };
        let mut out = Vec::new();
        for r in 0..height {
            for c in 0..width {
                if (r, c) == (row, col) {
                    continue;
                }
                let (ax, bx) = slab(x0, dx, c as f64);
                let (ay, by) = slab(y0, dy, r as f64);
                let (enter, exit) = (ax.max(ay), bx.min(by));
                if enter > 0.0 && enter < exit && enter < range {
                    out.push((r, c, enter, exit - enter));
                }
            }
        }
        out.sort_by(|a, b| a.2.total_cmp(&b.2));
        out
    }

    #[test]
    fn directions_are_unit_and_at_the_right_angle() {
        for beams in [1, 2, 3, 4, 7, 16, 60, 61, 360] {
            for b in 0..beams {
                let (dx, dy) = direction(b, beams);
                let theta = 2.0 * std::f64::consts::PI * (b as f64 + 0.5) / beams as f64;
                assert!((dx - theta.cos()).abs() < 1e-12 && (dy - theta.sin()).abs() < 1e-12, "beam {b} of {beams}");
            }
        }
        // 45 degrees exactly: equal to the bit; axis beams: an exact zero.
        let (dx, dy) = direction(0, 4);
        assert_eq!(dx, dy);
        assert_eq!(direction(0, 2), (0.0, 1.0));
        assert_eq!(direction(1, 2), (0.0, -1.0));
    }

    #[test]
    fn traversal_matches_the_slab_reference() {
        // B = 2 mod 4 has no beam through a cell corner, so the reference is unambiguous
        // wherever the crossing is not within rounding of a corner.
        let mut rng = StdRng::seed_from_u64(15);
        let mut compared = 0;
        for _ in 0..40 {
            let (h, w) = (rng.gen_range(1..30), rng.gen_range(1..30));
            let (row, col) = (rng.gen_range(0..h), rng.gen_range(0..w));
            let beams = [6, 10, 30, 62, 90][rng.gen_range(0..5)];
            let range = rng.gen_range(0.3..25.0);
            for b in 0..beams {
                let (dx, dy) = direction(b, beams);
                let aw = cells(h, w, row, col, b, beams, range);
                let reference = slab_cells(h, w, row, col, dx, dy, range);
                // A crossing within 1e-9 of a corner is ambiguous in f64: skip those beams.
                if reference.iter().any(|c| c.3 < 1e-9) {
                    continue;
                }
                let a: Vec<_> = aw.iter().map(|&(r, c, _)| (r, c)).collect();
                // A ray that leaves the (convex) map never comes back: the edge rule and
                // the reference's cells inside the map are the same list.
                let s: Vec<_> = reference.iter().map(|&(r, c, _, _)| (r, c)).collect();
                assert_eq!(a, s, "map {h} x {w}, pose ({row}, {col}), beam {b} of {beams}, range {range}");
                for (x, y) in aw.iter().zip(&reference) {
                    assert!((x.2 - y.2).abs() < 1e-9);
                }
                compared += 1;
            }
        }
        assert!(compared > 1000, "{compared}");
    }

    #[test]
    fn traversal_is_a_four_connected_path_inside_the_range() {
        for beams in [4, 8, 60, 64] {
            for b in 0..beams {
                let path = cells(41, 41, 20, 20, b, beams, 15.0);
                let mut prev = (20usize, 20usize);
                for &(r, c, t) in &path {
                    assert_eq!(r.abs_diff(prev.0) + c.abs_diff(prev.1), 1, "beam {b} of {beams}");
                    assert!(t < 15.0);
                    prev = (r, c);
                }
                // The range is reached before the edge, so the last cell is about R away.
                let (dr, dc) = (prev.0 as f64 - 20.0, prev.1 as f64 - 20.0);
                assert!((dr * dr + dc * dc).sqrt() > 12.5, "beam {b} of {beams}");
            }
        }
    }

    #[test]
    fn corner_ties_step_in_y_first() {
        // Beam 0 of 4 at 45 degrees passes through every corner: y first, then x.
        let path: Vec<_> = cells(10, 10, 2, 3, 0, 4, 4.0).into_iter().map(|(r, c, _)| (r, c)).collect();
        assert_eq!(path, vec![(3, 3), (3, 4), (4, 4), (4, 5), (5, 5), (5, 6)]);
        // Axis beams: beam 0 of 2 goes down the rows (theta = pi/2), the start cell left out,
        // entering cell k at k - 0.5 < R.
        let down: Vec<_> = cells(10, 10, 2, 3, 0, 2, 3.0);
        assert_eq!(down, vec![(3, 3, 0.5), (4, 3, 1.5), (5, 3, 2.5)]);
        // The edge ends the beam; a 1 x 1 map has no cell on any beam.
        assert_eq!(cells(10, 10, 8, 3, 0, 2, 30.0).len(), 1);
        assert!(cells(1, 1, 0, 0, 0, 7, 30.0).is_empty());
    }
}
