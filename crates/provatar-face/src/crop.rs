//! Rotated square crops of a picture into a model's input tensor, and back.
//!
//! The geometry is MediaPipe's (`ImageToTensorCalculator` on the CPU, `LandmarkProjection`):
//! the crop's corners map to the tensor's corners, so tensor pixel (u, v) of an n×n input reads
//! the picture at `centre + R(angle) · ((u/n − ½)·size, (v/n − ½)·size)`, with y pointing down.
//! A model's output coordinates map back to the picture by the same formula.

// Pixel coordinates and sizes stay far below 2^23, where f32 is exact.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    reason = "small pixel coordinates"
)]

use provatar_types::Frame;

/// A square region of a picture, rotated by `angle` (radians, clockwise on screen since y
/// points down) about its centre.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RotatedRect {
    pub(crate) cx: f32,
    pub(crate) cy: f32,
    pub(crate) size: f32,
    pub(crate) angle: f32,
}

/// What a sample outside the picture reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Border {
    /// Black (the detector's letterbox).
    Zero,
    /// The nearest edge pixel (the landmark models' crops).
    Replicate,
}

impl RotatedRect {
    /// The picture position of normalised crop coordinates (0..1 across the crop).
    pub(crate) fn point(self, u: f32, v: f32) -> [f32; 2] {
        let (s, c) = self.angle.sin_cos();
        let (dx, dy) = ((u - 0.5) * self.size, (v - 0.5) * self.size);
        [self.cx + c * dx - s * dy, self.cy + s * dx + c * dy]
    }

    /// Samples the crop into an `n`×`n`×3 NHWC buffer of `pixel * scale + offset`, mirrored
    /// left–right when `flip` is set (the iris model sees every eye as a right eye).
    pub(crate) fn sample(
        &self,
        frame: &Frame,
        n: usize,
        border: Border,
        scale: f32,
        offset: f32,
        flip: bool,
    ) -> Vec<f32> {
        let mut out = vec![0f32; n * n * 3];
        let step = 1.0 / n as f32;
        for v in 0..n {
            for u in 0..n {
                let su = if flip { n - 1 - u } else { u };
                let [x, y] = self.point(su as f32 * step, v as f32 * step);
                let rgb = sample_bilinear(frame, x, y, border);
                let o = (v * n + u) * 3;
                for ch in 0..3 {
                    out[o + ch] = rgb[ch] * scale + offset;
                }
            }
        }
        out
    }
}

/// Bilinear sample of the picture at (x, y), pixel centres at integers.
pub(crate) fn sample_bilinear(frame: &Frame, x: f32, y: f32, border: Border) -> [f32; 3] {
    let (w, h) = (i64::from(frame.width()), i64::from(frame.height()));
    if border == Border::Zero && (x <= -1.0 || y <= -1.0 || x >= w as f32 || y >= h as f32) {
        return [0.0; 3];
    }
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let rgb = frame.rgb();
    let px = |xi: i64, yi: i64| {
        let inside = (0..w).contains(&xi) && (0..h).contains(&yi);
        if !inside && border == Border::Zero {
            return [0.0; 3];
        }
        let (xi, yi) = (xi.clamp(0, w - 1), yi.clamp(0, h - 1));
        let o = ((yi * w + xi) * 3) as usize;
        [
            f32::from(rgb[o]),
            f32::from(rgb[o + 1]),
            f32::from(rgb[o + 2]),
        ]
    };
    let (x0, y0) = (x0 as i64, y0 as i64);
    let (a, b, c, d) = (
        px(x0, y0),
        px(x0 + 1, y0),
        px(x0, y0 + 1),
        px(x0 + 1, y0 + 1),
    );
    let mut out = [0f32; 3];
    for i in 0..3 {
        out[i] =
            (a[i] * (1.0 - fx) + b[i] * fx) * (1.0 - fy) + (c[i] * (1.0 - fx) + d[i] * fx) * fy;
    }
    out
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "exact sample positions on integer pixels")]
mod tests {
    use super::*;

    #[test]
    fn corners_map_to_corners() {
        let r = RotatedRect {
            cx: 100.0,
            cy: 50.0,
            size: 40.0,
            angle: 0.0,
        };
        assert_eq!(r.point(0.0, 0.0), [80.0, 30.0]);
        assert_eq!(r.point(1.0, 1.0), [120.0, 70.0]);
        // A quarter turn clockwise on screen: the crop's x axis points down the picture.
        let r = RotatedRect {
            angle: std::f32::consts::FRAC_PI_2,
            ..r
        };
        let [x, y] = r.point(1.0, 0.5);
        assert!(
            (x - 100.0).abs() < 1e-4 && (y - 70.0).abs() < 1e-4,
            "{x},{y}"
        );
    }

    #[test]
    fn sampling_reads_the_right_pixels() {
        // A 4×1 ramp; the crop's left edge sits on pixel 0, so tensor u = 0 reads it exactly.
        let frame =
            Frame::from_rgb(4, 1, vec![0, 0, 0, 10, 10, 10, 20, 20, 20, 30, 30, 30]).unwrap();
        let r = RotatedRect {
            cx: 2.0,
            cy: 0.0,
            size: 4.0,
            angle: 0.0,
        };
        let t = r.sample(&frame, 4, Border::Replicate, 1.0, 0.0, false);
        assert_eq!(t[0], 0.0);
        assert_eq!(t[3], 10.0);
        assert_eq!(t[9], 30.0);
        let flipped = r.sample(&frame, 4, Border::Replicate, 1.0, 0.0, true);
        // Mirrored pixel for pixel: u reads what n − 1 − u reads unflipped.
        assert_eq!(flipped[0], t[9]);
        assert_eq!(flipped[9], t[0]);
        // Outside the picture: zero border reads black, replicate the edge.
        assert_eq!(sample_bilinear(&frame, 5.0, 0.0, Border::Zero), [0.0; 3]);
        assert_eq!(
            sample_bilinear(&frame, 5.0, 0.0, Border::Replicate),
            [30.0; 3]
        );
    }
}
