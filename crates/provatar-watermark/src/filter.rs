//! Small image operations on `f32` planes shared by embedding and detection.

/// Luma (BT.601 weights) of interleaved RGB, as `f32` in 0..=255.
pub(crate) fn luma(rgb: &[u8]) -> Vec<f32> {
    let mut out = Vec::new();
    luma_into(rgb, &mut out);
    out
}

/// [`luma`] into a reused buffer.
pub(crate) fn luma_into(rgb: &[u8], out: &mut Vec<f32>) {
    out.clear();
    out.extend(
        rgb.chunks_exact(3)
            .map(|p| 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])),
    );
}

/// Reused buffers of [`box_rows`].
#[derive(Debug, Default, Clone)]
pub(crate) struct BoxScratch {
    ring: Vec<f32>,
    line: Vec<f32>,
    acc: Vec<f32>,
    out: Vec<f32>,
}

/// Mean over a `(2r+1) × (2r+1)` box, edges clamped.
#[cfg(test)]
pub(crate) fn box_mean(src: &[f32], width: usize, height: usize, r: usize) -> Vec<f32> {
    let mut out = vec![0.0; src.len()];
    box_rows(
        src,
        width,
        height,
        r,
        &mut BoxScratch::default(),
        |y, row| {
            out[y * width..(y + 1) * width].copy_from_slice(row);
        },
    );
    out
}

/// Box mean streamed row by row: calls `emit(y, means)` for each output row, top to bottom,
/// so the caller consumes it while it is in cache instead of storing a whole plane.
///
/// Running sums make it O(1) per pixel whatever the radius; the horizontal means of the
/// `2r+2` rows the vertical window needs live in a small ring, so the source is read once.
pub(crate) fn box_rows(
    src: &[f32],
    width: usize,
    height: usize,
    r: usize,
    scratch: &mut BoxScratch,
    mut emit: impl FnMut(usize, &[f32]),
) {
    if width == 0 || height == 0 || src.len() < width * height {
        return;
    }
    let BoxScratch {
        ring,
        line,
        acc,
        out,
    } = scratch;
    let slots = 2 * r + 2;
    ring.clear();
    ring.resize(slots * width, 0.0);
    acc.clear();
    acc.resize(width, 0.0);
    out.clear();
    out.resize(width, 0.0);
    // Horizontal means of source rows, computed in order into the ring.
    let mut next = 0usize;
    let mut fill = |upto: usize, ring: &mut [f32], line: &mut Vec<f32>| {
        while next <= upto {
            let slot = next % slots;
            box_line(
                &src[next * width..(next + 1) * width],
                &mut ring[slot * width..(slot + 1) * width],
                r,
                line,
            );
            next += 1;
        }
    };
    let last = height - 1;
    fill(r.min(last), ring, line);
    // The first window: rows −r..=r, clamped to the picture.
    #[expect(clippy::cast_possible_wrap, reason = "image sizes fit isize")]
    for dy in -(r as isize)..=(r as isize) {
        #[expect(clippy::cast_sign_loss, reason = "clamped to 0")]
        let row = (dy.max(0) as usize).min(last);
        let h = &ring[(row % slots) * width..][..width];
        for (a, v) in acc.iter_mut().zip(h) {
            *a += v;
        }
    }
    #[expect(clippy::cast_precision_loss, reason = "small window")]
    let inv = 1.0 / (2 * r + 1) as f32;
    for y in 0..height {
        for (o, a) in out.iter_mut().zip(acc.iter()) {
            *o = a * inv;
        }
        emit(y, out);
        if y == last {
            break;
        }
        // Slide: add row y+r+1, drop row y−r (both clamped).
        let add = (y + r + 1).min(last);
        let sub = y.saturating_sub(r);
        fill(add, ring, line);
        let (a_slot, s_slot) = (add % slots, sub % slots);
        let (p, m) = (
            &ring[a_slot * width..][..width],
            &ring[s_slot * width..][..width],
        );
        for ((a, p), m) in acc.iter_mut().zip(p).zip(m) {
            *a += p - m;
        }
    }
}

/// Adds `row` into `units`, `step` pixels per unit (the last unit may be short): the fine-grid
/// binning of one row. Steps 1 and 2 — every frame up to 767 pixels — take straight paths.
pub(crate) fn add_units(units: &mut [f32], row: &[f32], step: usize) {
    match step {
        1 => {
            for (u, v) in units.iter_mut().zip(row) {
                *u += v;
            }
        }
        2 => {
            let pairs = row.chunks_exact(2);
            let tail = pairs.remainder();
            for (u, p) in units.iter_mut().zip(pairs) {
                *u += p[0] + p[1];
            }
            if let (Some(&t), Some(u)) = (tail.first(), units.get_mut(row.len() / 2)) {
                *u += t;
            }
        }
        _ => {
            for (u, chunk) in units.iter_mut().zip(row.chunks(step)) {
                *u += chunk.iter().sum::<f32>();
            }
        }
    }
}

/// One-dimensional box mean with clamped edges.
fn box_line(src: &[f32], dst: &mut [f32], r: usize, padded: &mut Vec<f32>) {
    let n = src.len();
    let (Some(&first), Some(&last)) = (src.first(), src.last()) else {
        return;
    };
    padded.clear();
    padded.extend(std::iter::repeat_n(first, r));
    padded.extend_from_slice(src);
    padded.extend(std::iter::repeat_n(last, r));
    let w = 2 * r + 1;
    #[expect(clippy::cast_precision_loss, reason = "small window")]
    let inv = 1.0 / w as f32;
    // Four running sums over the four quarters of the line, advanced together: four short
    // dependency chains instead of one long one.
    let q = n / LANES;
    let mut sums = [0f32; LANES];
    for (k, sum) in sums.iter_mut().enumerate() {
        let start = k * q;
        *sum = padded[start..start + w].iter().sum();
        dst[start] = *sum * inv;
    }
    if q > 1 {
        let m = q - 1;
        // Per lane: the values entering (`w − 1` ahead), leaving, and the outputs, as slices
        // of one length so the loop runs without bounds checks.
        let add = |k: usize| &padded[k * q + w..k * q + w + m];
        let sub = |k: usize| &padded[k * q..k * q + m];
        let (a0, a1, a2, a3) = (add(0), add(1), add(2), add(3));
        let (s0, s1, s2, s3) = (sub(0), sub(1), sub(2), sub(3));
        let mut quarters = dst[..LANES * q].chunks_exact_mut(q);
        let mut out = || quarters.next().map(|c| &mut c[1..]);
        let (Some(o0), Some(o1), Some(o2), Some(o3)) = (out(), out(), out(), out()) else {
            return;
        };
        let [mut x0, mut x1, mut x2, mut x3] = sums;
        for j in 0..m {
            x0 += a0[j] - s0[j];
            x1 += a1[j] - s1[j];
            x2 += a2[j] - s2[j];
            x3 += a3[j] - s3[j];
            o0[j] = x0 * inv;
            o1[j] = x1 * inv;
            o2[j] = x2 * inv;
            o3[j] = x3 * inv;
        }
        sums = [x0, x1, x2, x3];
    }
    // The last quarter's remainder (and short lines, where the quarters are empty).
    let (mut sum, start) = if q == 0 {
        let s: f32 = padded[..w].iter().sum();
        dst[0] = s * inv;
        (s, 1)
    } else {
        (sums[LANES - 1], LANES * q)
    };
    for i in start..n {
        sum += padded[i + w - 1] - padded[i - 1];
        dst[i] = sum * inv;
    }
}

/// Independent running sums per line in [`box_line`].
const LANES: usize = 4;

#[cfg(test)]
#[allow(clippy::cast_precision_loss, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn add_units_bins_every_pixel_once() {
        for step in 1..5usize {
            for n in 1..12usize {
                let row: Vec<f32> = (0..n).map(|i| (i * i) as f32).collect();
                let mut units = vec![0.0; n.div_ceil(step)];
                add_units(&mut units, &row, step);
                for (k, u) in units.iter().enumerate() {
                    let want: f32 = row[k * step..((k + 1) * step).min(n)].iter().sum();
                    assert!((u - want).abs() < 1e-6, "step {step} n {n} unit {k}");
                }
            }
        }
    }

    #[test]
    fn box_line_matches_the_definition() {
        let mut padded = Vec::new();
        for n in 1..40usize {
            let src: Vec<f32> = (0..n).map(|i| ((i * 37 + 11) % 23) as f32 - 7.0).collect();
            for r in 0..10usize {
                let mut dst = vec![0.0; n];
                box_line(&src, &mut dst, r, &mut padded);
                for (i, d) in dst.iter().enumerate() {
                    #[allow(clippy::cast_possible_wrap, clippy::cast_sign_loss, reason = "tiny")]
                    let want: f32 = (i as isize - r as isize..=i as isize + r as isize)
                        .map(|j| src[j.clamp(0, n as isize - 1) as usize])
                        .sum::<f32>()
                        / (2 * r + 1) as f32;
                    assert!((d - want).abs() < 1e-4, "n {n} r {r} i {i}: {d} vs {want}");
                }
            }
        }
    }

    #[test]
    fn box_mean_is_flat_on_flat_and_averages() {
        let flat = vec![3.0; 20 * 7];
        assert!(
            box_mean(&flat, 20, 7, 2)
                .iter()
                .all(|v| (v - 3.0).abs() < 1e-5)
        );
        let mut impulse = vec![0.0; 9 * 9];
        impulse[4 * 9 + 4] = 9.0;
        let m = box_mean(&impulse, 9, 9, 1);
        assert!((m[4 * 9 + 4] - 1.0).abs() < 1e-5);
        assert!((m[3 * 9 + 3] - 1.0).abs() < 1e-5);
        assert!(m[2 * 9 + 2].abs() < 1e-6);
        // Tiny pictures work.
        assert_eq!(box_mean(&[5.0], 1, 1, 3), vec![5.0]);
        let _ = luma(&[1, 2, 3, 4, 5, 6]).len() as f32;
    }
}
