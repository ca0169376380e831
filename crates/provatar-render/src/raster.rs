//! Drawing: textured triangles by backward mapping with bilinear sampling.

/// An RGB picture of floats-free bytes with clamped bilinear sampling.
pub(crate) struct Source<'a> {
    pub rgb: &'a [u8],
    pub width: usize,
    pub height: usize,
}

impl Source<'_> {
    /// Bilinear sample at `(x, y)` (pixel centres at integer + 0.5), edges clamped.
    #[inline]
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "coordinates clamped into the picture first"
    )]
    pub(crate) fn sample(&self, x: f32, y: f32) -> [u8; 3] {
        let fx = (x - 0.5).clamp(0.0, (self.width - 1) as f32);
        let fy = (y - 0.5).clamp(0.0, (self.height - 1) as f32);
        let (x0, y0) = (fx as usize, fy as usize);
        let (x1, y1) = ((x0 + 1).min(self.width - 1), (y0 + 1).min(self.height - 1));
        let (ax, ay) = (fx - x0 as f32, fy - y0 as f32);
        let p = |x: usize, y: usize, c: usize| f32::from(self.rgb[(y * self.width + x) * 3 + c]);
        let mut out = [0u8; 3];
        for (c, o) in out.iter_mut().enumerate() {
            let top = p(x0, y0, c) + ax * (p(x1, y0, c) - p(x0, y0, c));
            let bottom = p(x0, y1, c) + ax * (p(x1, y1, c) - p(x0, y1, c));
            *o = (top + ay * (bottom - top) + 0.5) as u8;
        }
        out
    }
}

/// A triangle to draw: destination corners (output pixels) and where each samples the source.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tri {
    pub dst: [[f32; 2]; 3],
    pub src: [[f32; 2]; 3],
}

/// Fills `tri` in `out` (`width × height` RGB), sampling `source`. Pixels whose centre lies
/// inside (or on a top/left edge) are drawn, so neighbouring triangles neither overlap nor
/// leave gaps.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    reason = "pixel loops over a clipped box"
)]
pub(crate) fn fill(out: &mut [u8], width: usize, height: usize, tri: &Tri, source: &Source<'_>) {
    let [a, b, c] = tri.dst;
    let area = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
    if area.abs() < 1e-6 {
        return;
    }
    let min_x = a[0].min(b[0]).min(c[0]).floor().max(0.0) as usize;
    let max_x = (a[0].max(b[0]).max(c[0]).ceil().max(0.0) as usize).min(width);
    let min_y = a[1].min(b[1]).min(c[1]).floor().max(0.0) as usize;
    let max_y = (a[1].max(b[1]).max(c[1]).ceil().max(0.0) as usize).min(height);
    let inv = 1.0 / area;
    // Edge functions, oriented so inside is positive whatever the winding.
    let sign = if area > 0.0 { 1.0 } else { -1.0 };
    let edge = |p: [f32; 2], q: [f32; 2], x: f32, y: f32| {
        sign * ((q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0]))
    };
    let [s0, s1, s2] = tri.src;
    for y in min_y..max_y {
        let py = y as f32 + 0.5;
        for x in min_x..max_x {
            let px = x as f32 + 0.5;
            let w0 = edge(b, c, px, py);
            let w1 = edge(c, a, px, py);
            let w2 = edge(a, b, px, py);
            if w0 < 0.0 || w1 < 0.0 || w2 < 0.0 {
                continue;
            }
            let (l0, l1, l2) = (w0 * inv * sign, w1 * inv * sign, w2 * inv * sign);
            let sx = l0 * s0[0] + l1 * s1[0] + l2 * s2[0];
            let sy = l0 * s0[1] + l1 * s1[1] + l2 * s2[1];
            let rgb = source.sample(sx, sy);
            let o = (y * width + x) * 3;
            out[o..o + 3].copy_from_slice(&rgb);
        }
    }
}

/// Whether `(x, y)` lies inside the closed polygon (even-odd rule).
pub(crate) fn inside(polygon: &[[f32; 2]], x: f32, y: f32) -> bool {
    let mut odd = false;
    let mut j = polygon.len().saturating_sub(1);
    for i in 0..polygon.len() {
        let (pi, pj) = (polygon[i], polygon[j]);
        if (pi[1] > y) != (pj[1] > y) && x < (pj[0] - pi[0]) * (y - pi[1]) / (pj[1] - pi[1]) + pi[0]
        {
            odd = !odd;
        }
        j = i;
    }
    odd
}
