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

/// Reused buffers of [`box_mean_into`].
#[derive(Debug, Default, Clone)]
pub(crate) struct BoxScratch {
    rows: Vec<f32>,
    line: Vec<f32>,
    acc: Vec<f32>,
}

/// Mean over a `(2r+1) × (2r+1)` box, edges clamped.
#[cfg(test)]
pub(crate) fn box_mean(src: &[f32], width: usize, height: usize, r: usize) -> Vec<f32> {
    let mut out = Vec::new();
    box_mean_into(src, width, height, r, &mut out, &mut BoxScratch::default());
    out
}

/// [`box_mean`] into reused buffers (running sums: O(1) per pixel; the vertical pass keeps one
/// row of column sums, so memory is read in order).
pub(crate) fn box_mean_into(
    src: &[f32],
    width: usize,
    height: usize,
    r: usize,
    out: &mut Vec<f32>,
    scratch: &mut BoxScratch,
) {
    out.clear();
    out.resize(src.len(), 0.0);
    if width == 0 || height == 0 {
        return;
    }
    let BoxScratch { rows, line, acc } = scratch;
    rows.clear();
    rows.resize(src.len(), 0.0);
    for (s, t) in src.chunks_exact(width).zip(rows.chunks_exact_mut(width)) {
        box_line(s, t, r, line);
    }
    let rows = &*rows;
    let row = |y: isize| -> &[f32] {
        #[expect(clippy::cast_sign_loss, clippy::cast_possible_wrap, reason = "clamped")]
        let y = y.clamp(0, height as isize - 1) as usize;
        &rows[y * width..(y + 1) * width]
    };
    #[expect(clippy::cast_possible_wrap, reason = "image sizes fit isize")]
    let r = r as isize;
    acc.clear();
    acc.resize(width, 0.0);
    for dy in -r..=r {
        for (a, v) in acc.iter_mut().zip(row(dy)) {
            *a += v;
        }
    }
    #[expect(clippy::cast_precision_loss, reason = "small window")]
    let inv = 1.0 / (2 * r + 1) as f32;
    for (y, dst) in out.chunks_exact_mut(width).enumerate() {
        for (d, a) in dst.iter_mut().zip(acc.iter()) {
            *d = a * inv;
        }
        #[expect(clippy::cast_possible_wrap, reason = "image sizes fit isize")]
        let y = y as isize;
        let (add, sub) = (row(y + r + 1), row(y - r));
        for ((a, p), m) in acc.iter_mut().zip(add).zip(sub) {
            *a += p - m;
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
    let mut sum: f32 = padded[..w].iter().sum();
    dst[0] = sum * inv;
    for i in 1..n {
        sum += padded[i + w - 1] - padded[i - 1];
        dst[i] = sum * inv;
    }
}

#[cfg(test)]
#[allow(clippy::cast_precision_loss, reason = "tests")]
mod tests {
    use super::*;

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
