//! A 64-bit perceptual hash of a picture (the DCT "pHash"): the signs of its lowest spatial
//! frequencies against their median. Re-saving a portrait as JPEG or rescaling it changes a few
//! bits; another picture differs in about half of them.

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    reason = "small pixel counts"
)]

use provatar_types::Frame;

const SIDE: usize = 32;
const KEEP: usize = 8;

/// The perceptual hash of `frame`.
pub fn perceptual_hash(frame: &Frame) -> u64 {
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    let rgb = frame.rgb();
    // Luma, averaged over SIDE×SIDE cells.
    let mut grid = [[0f64; SIDE]; SIDE];
    for (gy, row) in grid.iter_mut().enumerate() {
        let (y0, y1) = (
            gy * h / SIDE,
            ((gy + 1) * h / SIDE).max(gy * h / SIDE + 1).min(h),
        );
        for (gx, cell) in row.iter_mut().enumerate() {
            let (x0, x1) = (
                gx * w / SIDE,
                ((gx + 1) * w / SIDE).max(gx * w / SIDE + 1).min(w),
            );
            let mut sum = 0f64;
            for y in y0..y1 {
                for x in x0..x1 {
                    let o = (y * w + x) * 3;
                    sum += 0.299 * f64::from(rgb[o])
                        + 0.587 * f64::from(rgb[o + 1])
                        + 0.114 * f64::from(rgb[o + 2]);
                }
            }
            *cell = sum / ((y1 - y0) * (x1 - x0)).max(1) as f64;
        }
    }
    // The lowest KEEP×KEEP coefficients of the 2-D DCT-II.
    let cos = |k: usize, n: usize| {
        (std::f64::consts::PI * (2 * n + 1) as f64 * k as f64 / (2 * SIDE) as f64).cos()
    };
    let mut coeffs = Vec::with_capacity(KEEP * KEEP);
    for u in 0..KEEP {
        for v in 0..KEEP {
            let mut s = 0f64;
            for (y, row) in grid.iter().enumerate() {
                let cy = cos(u, y);
                for (x, &p) in row.iter().enumerate() {
                    s += p * cy * cos(v, x);
                }
            }
            coeffs.push(s);
        }
    }
    // Median without the DC term (which only says how bright the picture is).
    let mut sorted: Vec<f64> = coeffs[1..].to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    coeffs
        .iter()
        .enumerate()
        .fold(0u64, |h, (i, &c)| if c > median { h | (1 << i) } else { h })
}

/// Number of differing bits.
pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::cast_sign_loss, reason = "tests")]
mod tests {
    use super::*;

    fn picture(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> Frame {
        let mut rgb = Vec::new();
        for y in 0..h {
            for x in 0..w {
                rgb.extend_from_slice(&f(x, y));
            }
        }
        Frame::from_rgb(w, h, rgb).unwrap()
    }

    #[test]
    fn similar_pictures_hash_alike_and_different_ones_do_not() {
        let scene = |x: u32, y: u32| {
            let (fx, fy) = (x as f32, y as f32);
            let blob = (-((fx - 90.0).powi(2) + (fy - 120.0).powi(2)) / 900.0).exp() * 70.0;
            let v = ((fx / 41.0).sin() * 50.0 + (fy / 29.0).cos() * 40.0 + blob + 100.0) as u8;
            [v, v / 2, 255 - v]
        };
        let a = perceptual_hash(&picture(256, 256, scene));
        // Brighter, and at another size.
        let b = perceptual_hash(&picture(200, 200, |x, y| {
            let p = scene(x * 256 / 200, y * 256 / 200);
            p.map(|c| c.saturating_add(12))
        }));
        let other = perceptual_hash(&picture(256, 256, |x, y| {
            let v = ((x * 7 + y * 3) % 256) as u8;
            [v, 255 - v, v / 3]
        }));
        assert!(distance(a, b) <= 6, "similar: {}", distance(a, b));
        assert!(
            distance(a, other) >= 16,
            "different: {}",
            distance(a, other)
        );
    }
}
