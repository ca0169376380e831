//! RGB ⇄ YCbCr 4:2:0 conversion, limited range, BT.709 (what our MP4s are tagged with) or
//! BT.601 (what untagged SD video usually is).
//!
//! Fixed point with 14 fractional bits: exact enough that RGB → YUV → RGB is within rounding of
//! the 4:2:0 chroma loss, and fast enough (≈1 ms a 512×512 frame) to stay out of the profile.

use provatar_types::{Frame, FrameError, Yuv420Frame};

/// The colour matrix of a YCbCr signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ColorMatrix {
    /// ITU-R BT.709 (HD).
    Bt709,
    /// ITU-R BT.601 (SD).
    Bt601,
}

impl ColorMatrix {
    /// The matrix for an H.264/ISO `matrix_coefficients` code; unknown codes fall back to BT.709
    /// for HD-sized pictures and BT.601 below, as players do.
    pub fn from_code(code: Option<u16>, height: u32) -> Self {
        match code {
            Some(1) => Self::Bt709,
            Some(5 | 6) => Self::Bt601,
            _ if height >= 720 => Self::Bt709,
            _ => Self::Bt601,
        }
    }

    fn luma_weights(self) -> (f64, f64) {
        match self {
            Self::Bt709 => (0.2126, 0.0722),
            Self::Bt601 => (0.299, 0.114),
        }
    }
}

const SHIFT: u32 = 14;
const ONE: f64 = (1 << SHIFT) as f64;

#[expect(clippy::cast_possible_truncation, reason = "coefficients are small")]
fn fixed(x: f64) -> i32 {
    (x * ONE).round() as i32
}

struct Forward {
    yr: i32,
    yg: i32,
    yb: i32,
    ur: i32,
    ug: i32,
    ub: i32,
    vr: i32,
    vg: i32,
    vb: i32,
}

impl Forward {
    fn new(m: ColorMatrix) -> Self {
        let (kr, kb) = m.luma_weights();
        let kg = 1.0 - kr - kb;
        let ys = 219.0 / 255.0;
        let cs = 224.0 / 255.0;
        Self {
            yr: fixed(kr * ys),
            yg: fixed(kg * ys),
            yb: fixed(kb * ys),
            ur: fixed(-kr / (2.0 * (1.0 - kb)) * cs),
            ug: fixed(-kg / (2.0 * (1.0 - kb)) * cs),
            ub: fixed(0.5 * cs),
            vr: fixed(0.5 * cs),
            vg: fixed(-kg / (2.0 * (1.0 - kr)) * cs),
            vb: fixed(-kb / (2.0 * (1.0 - kr)) * cs),
        }
    }
}

struct Inverse {
    y: i32,
    rv: i32,
    gu: i32,
    gv: i32,
    bu: i32,
}

impl Inverse {
    fn new(m: ColorMatrix) -> Self {
        let (kr, kb) = m.luma_weights();
        let kg = 1.0 - kr - kb;
        let ys = 255.0 / 219.0;
        let cs = 255.0 / 224.0;
        Self {
            y: fixed(ys),
            rv: fixed(2.0 * (1.0 - kr) * cs),
            gu: fixed(-2.0 * (1.0 - kb) * kb / kg * cs),
            gv: fixed(-2.0 * (1.0 - kr) * kr / kg * cs),
            bu: fixed(2.0 * (1.0 - kb) * cs),
        }
    }
}

#[expect(clippy::cast_sign_loss, reason = "clamped to 0..=255")]
fn clamp_u8(x: i32) -> u8 {
    x.clamp(0, 255) as u8
}

const HALF: i32 = 1 << (SHIFT - 1);

/// Converts RGB to I420. Odd sizes are refused (4:2:0 needs even sides).
pub fn rgb_to_yuv420(frame: &Frame, matrix: ColorMatrix) -> Result<Yuv420Frame, FrameError> {
    let mut out = Yuv420Frame::black(frame.width(), frame.height())?;
    rgb_to_yuv420_into(frame, matrix, &mut out);
    Ok(out)
}

/// Converts RGB into an existing I420 frame of the same size (no allocation).
///
/// # Panics
/// Never for frames of the same size; sizes are the caller's contract.
pub fn rgb_to_yuv420_into(frame: &Frame, matrix: ColorMatrix, out: &mut Yuv420Frame) {
    let c = Forward::new(matrix);
    let w = frame.width() as usize;
    let rgb = frame.rgb();
    let (yp, up, vp) = out.planes_mut();
    let cw = w / 2;
    let luma = |px: &[u8]| {
        let (r, g, b) = (i32::from(px[0]), i32::from(px[1]), i32::from(px[2]));
        (
            clamp_u8(((c.yr * r + c.yg * g + c.yb * b + HALF) >> SHIFT) + 16),
            r,
            g,
            b,
        )
    };
    // Sums of four pixels: the chroma shift also divides by 4.
    let half4 = 1 << (SHIFT + 1);
    for ((rows, yrows), (urow, vrow)) in rgb
        .chunks_exact(w * 6)
        .zip(yp.chunks_exact_mut(w * 2))
        .zip(up.chunks_exact_mut(cw).zip(vp.chunks_exact_mut(cw)))
    {
        let (top, bottom) = rows.split_at(w * 3);
        let (ytop, ybottom) = yrows.split_at_mut(w);
        let pixels = top.chunks_exact(6).zip(bottom.chunks_exact(6));
        let lumas = ytop.chunks_exact_mut(2).zip(ybottom.chunks_exact_mut(2));
        for (((t, b), (yt, yb)), (u, v)) in
            pixels.zip(lumas).zip(urow.iter_mut().zip(vrow.iter_mut()))
        {
            let (l0, r0, g0, b0) = luma(&t[..3]);
            let (l1, r1, g1, b1) = luma(&t[3..]);
            let (l2, r2, g2, b2) = luma(&b[..3]);
            let (l3, r3, g3, b3) = luma(&b[3..]);
            yt.copy_from_slice(&[l0, l1]);
            yb.copy_from_slice(&[l2, l3]);
            let (rs, gs, bs) = (r0 + r1 + r2 + r3, g0 + g1 + g2 + g3, b0 + b1 + b2 + b3);
            *u = clamp_u8(((c.ur * rs + c.ug * gs + c.ub * bs + half4) >> (SHIFT + 2)) + 128);
            *v = clamp_u8(((c.vr * rs + c.vg * gs + c.vb * bs + half4) >> (SHIFT + 2)) + 128);
        }
    }
}

/// Converts I420 planes with arbitrary strides to RGB.
#[expect(clippy::too_many_arguments, reason = "three planes and their strides")]
pub(crate) fn yuv420_planes_to_rgb(
    width: usize,
    height: usize,
    y: &[u8],
    y_stride: usize,
    u: &[u8],
    v: &[u8],
    uv_stride: usize,
    matrix: ColorMatrix,
    rgb: &mut [u8],
) {
    let c = Inverse::new(matrix);
    for (row, line) in rgb.chunks_exact_mut(width * 3).take(height).enumerate() {
        let yrow = &y[row * y_stride..row * y_stride + width];
        let crow = (row / 2) * uv_stride;
        let urow = &u[crow..crow + width.div_ceil(2)];
        let vrow = &v[crow..crow + width.div_ceil(2)];
        for (x, px) in line.chunks_exact_mut(3).enumerate() {
            let yy = c.y * (i32::from(yrow[x]) - 16);
            let uu = i32::from(urow[x / 2]) - 128;
            let vv = i32::from(vrow[x / 2]) - 128;
            px[0] = clamp_u8((yy + c.rv * vv + HALF) >> SHIFT);
            px[1] = clamp_u8((yy + c.gu * uu + c.gv * vv + HALF) >> SHIFT);
            px[2] = clamp_u8((yy + c.bu * uu + HALF) >> SHIFT);
        }
    }
}

/// Converts I420 to RGB.
pub fn yuv420_to_rgb(frame: &Yuv420Frame, matrix: ColorMatrix) -> Result<Frame, FrameError> {
    let mut out = Frame::black(frame.width(), frame.height())?;
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    yuv420_planes_to_rgb(
        w,
        h,
        frame.y(),
        w,
        frame.u(),
        frame.v(),
        w / 2,
        matrix,
        out.rgb_mut(),
    );
    Ok(out)
}

#[cfg(test)]
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    reason = "test arithmetic on small values"
)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_close() {
        let (w, h) = (64u32, 32u32);
        let rgb: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                let x = (i % w) as u8;
                let y = (i / w) as u8;
                [x.wrapping_mul(4), y.wrapping_mul(8), 128]
            })
            .collect();
        let frame = Frame::from_rgb(w, h, rgb).unwrap();
        for m in [ColorMatrix::Bt709, ColorMatrix::Bt601] {
            let yuv = rgb_to_yuv420(&frame, m).unwrap();
            let back = yuv420_to_rgb(&yuv, m).unwrap();
            let mse: f64 = frame
                .rgb()
                .iter()
                .zip(back.rgb())
                .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
                .sum::<f64>()
                / frame.rgb().len() as f64;
            assert!(mse < 30.0, "{m:?} mse {mse}");
        }
    }

    #[test]
    fn greys_map_to_limited_range() {
        let white = Frame::from_rgb(2, 2, vec![255; 12]).unwrap();
        let yuv = rgb_to_yuv420(&white, ColorMatrix::Bt709).unwrap();
        assert_eq!(yuv.y(), &[235; 4]);
        assert_eq!((yuv.u()[0], yuv.v()[0]), (128, 128));
        let black = Frame::black(2, 2).unwrap();
        let yuv = rgb_to_yuv420(&black, ColorMatrix::Bt709).unwrap();
        assert_eq!(yuv.y(), &[16; 4]);
    }
}
