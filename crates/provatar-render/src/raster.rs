//! Drawing: textured triangles by backward mapping with bilinear sampling.

/// An RGB picture of bytes with bilinear sampling, mirrored at its edges.
pub(crate) struct Source<'a> {
    pub rgb: &'a [u8],
    pub width: usize,
    pub height: usize,
}

impl Source<'_> {
    /// Bilinear sample at `(x, y)` (pixel centres at integer + 0.5); weights in 1/256ths, so
    /// the blend is integer arithmetic. Beyond an edge the picture is mirrored (then clamped):
    /// what a moving head draws in from just outside the portrait continues the picture instead
    /// of repeating its last row as streaks.
    #[inline]
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "coordinates clamped into the picture first"
    )]
    pub(crate) fn sample(&self, x: f32, y: f32) -> [u8; 3] {
        let fx = mirror(x - 0.5, (self.width - 1) as f32);
        let fy = mirror(y - 0.5, (self.height - 1) as f32);
        let (x0, y0) = (fx as usize, fy as usize);
        let ax = ((fx - x0 as f32) * 256.0) as u32;
        let ay = ((fy - y0 as f32) * 256.0) as u32;
        let i = (y0 * self.width + x0) * 3;
        let right = if x0 + 1 < self.width { 3 } else { 0 };
        let down = if y0 + 1 < self.height {
            self.width * 3
        } else {
            0
        };
        let (Some(a), Some(b), Some(c), Some(d)) = (
            self.rgb.get(i..i + 3),
            self.rgb.get(i + right..i + right + 3),
            self.rgb.get(i + down..i + down + 3),
            self.rgb.get(i + down + right..i + down + right + 3),
        ) else {
            return [0; 3];
        };
        let mut out = [0u8; 3];
        for k in 0..3 {
            let top = u32::from(a[k]) * (256 - ax) + u32::from(b[k]) * ax;
            let bottom = u32::from(c[k]) * (256 - ax) + u32::from(d[k]) * ax;
            out[k] = ((top * (256 - ay) + bottom * ay + 32768) >> 16) as u8;
        }
        out
    }
}

/// `v` folded back into `0..=last` at each end (once), then clamped.
#[inline]
fn mirror(v: f32, last: f32) -> f32 {
    let v = if v < 0.0 { -v } else { v };
    let v = if v > last { 2.0 * last - v } else { v };
    v.clamp(0.0, last)
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
pub(crate) fn fill(out: &mut [u8], width: usize, height: usize, tri: &Tri, source: &Source<'_>) {
    scan(width, height, tri, |o, sx, sy| {
        out[o * 3..o * 3 + 3].copy_from_slice(&source.sample(sx, sy));
    });
}

/// Like [`fill`], but lays the source over what `out` holds with the source's own opacity
/// (`layer.alpha`: one byte per source pixel, the person layer's opacity).
pub(crate) fn fill_over(
    out: &mut [u8],
    width: usize,
    height: usize,
    tri: &Tri,
    source: &Source<'_>,
    layer: &Layer<'_>,
) {
    let (w, h) = (source.width, source.height);
    scan(width, height, tri, |o, sx, sy| {
        // The nearest source pixel's 3×3 extremes settle most pixels without a blend.
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "clamped into the picture"
        )]
        let near = (sy.max(0.0) as usize).min(h - 1) * w + (sx.max(0.0) as usize).min(w - 1);
        if layer.hi[near] == 0 {
            return;
        }
        let px = &mut out[o * 3..o * 3 + 3];
        if layer.lo[near] == u8::MAX {
            px.copy_from_slice(&source.sample(sx, sy));
            return;
        }
        let a = layer.alpha.sample(sx, sy);
        let rgb = source.sample(sx, sy);
        for (p, &s) in px.iter_mut().zip(&rgb) {
            let v = f32::from(*p) + a * (f32::from(s) - f32::from(*p));
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a blend of two bytes"
            )]
            {
                *p = (v + 0.5) as u8;
            }
        }
    });
}

/// The person layer's opacity with its 3×3 minimum and maximum per source pixel.
pub(crate) struct Layer<'a> {
    pub alpha: Plane<'a>,
    pub lo: &'a [u8],
    pub hi: &'a [u8],
}

/// One byte per pixel (an opacity) with clamped bilinear sampling, as a share of 1.
pub(crate) struct Plane<'a> {
    pub values: &'a [u8],
    pub width: usize,
    pub height: usize,
}

impl Plane<'_> {
    #[inline]
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "coordinates clamped into the plane first"
    )]
    pub(crate) fn sample(&self, x: f32, y: f32) -> f32 {
        let fx = mirror(x - 0.5, (self.width - 1) as f32);
        let fy = mirror(y - 0.5, (self.height - 1) as f32);
        let (x0, y0) = (fx as usize, fy as usize);
        let (x1, y1) = ((x0 + 1).min(self.width - 1), (y0 + 1).min(self.height - 1));
        let (ax, ay) = (fx - x0 as f32, fy - y0 as f32);
        let p = |x: usize, y: usize| f32::from(self.values[y * self.width + x]);
        let top = p(x0, y0) + ax * (p(x1, y0) - p(x0, y0));
        let bottom = p(x0, y1) + ax * (p(x1, y1) - p(x0, y1));
        (top + ay * (bottom - top)) / 255.0
    }
}

/// Visits the output pixels of `tri` (index `y · width + x`) with the source position each
/// maps to.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    reason = "pixel loops over a clipped box"
)]
#[inline]
pub(crate) fn scan(width: usize, height: usize, tri: &Tri, mut visit: impl FnMut(usize, f32, f32)) {
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
    // Edge functions, oriented so inside is positive whatever the winding; each is affine in
    // (x, y), so it is stepped along the row instead of recomputed.
    let sign = if area > 0.0 { 1.0 } else { -1.0 };
    let edge = |p: [f32; 2], q: [f32; 2]| {
        // e(x, y) = sign · ((q − p) × ((x, y) − p)) = c + dx·x + dy·y
        let (ex, ey) = (q[0] - p[0], q[1] - p[1]);
        let dx = -sign * ey;
        let dy = sign * ex;
        let c = sign * (ey * p[0] - ex * p[1]);
        (c, dx, dy)
    };
    let (e0, e1, e2) = (edge(b, c), edge(c, a), edge(a, b));
    let [s0, s1, s2] = tri.src;
    // The source position is affine in (x, y) too: barycentric weights are the edges / area.
    let k = sign * inv;
    let coef = |i: usize| {
        let c = k * (e0.0 * s0[i] + e1.0 * s1[i] + e2.0 * s2[i]);
        let dx = k * (e0.1 * s0[i] + e1.1 * s1[i] + e2.1 * s2[i]);
        let dy = k * (e0.2 * s0[i] + e1.2 * s1[i] + e2.2 * s2[i]);
        (c, dx, dy)
    };
    let (sxc, syc) = (coef(0), coef(1));
    for y in min_y..max_y {
        let py = y as f32 + 0.5;
        // The row's span inside all three edges, widened by a pixel against rounding; the
        // edge tests below still decide each pixel.
        let (mut from, mut to) = (min_x as f32 + 0.5, max_x as f32 - 0.5);
        for e in [e0, e1, e2] {
            let at = e.0 + e.2 * py;
            if e.1 > 0.0 {
                from = from.max(-at / e.1 - 1.0);
            } else if e.1 < 0.0 {
                to = to.min(at / -e.1 + 1.0);
            } else if at < 0.0 {
                to = f32::MIN;
            }
        }
        if to < from {
            continue;
        }
        // Truncation is the floor here: both are clamped to be non-negative first.
        let first = ((from - 0.5).max(min_x as f32) as usize).min(max_x);
        let last = ((to + 0.5).max(0.0) as usize + 1).min(max_x);
        let px0 = first as f32 + 0.5;
        let mut w0 = e0.0 + e0.1 * px0 + e0.2 * py;
        let mut w1 = e1.0 + e1.1 * px0 + e1.2 * py;
        let mut w2 = e2.0 + e2.1 * px0 + e2.2 * py;
        let mut sx = sxc.0 + sxc.1 * px0 + sxc.2 * py;
        let mut sy = syc.0 + syc.1 * px0 + syc.2 * py;
        let row = y * width;
        for x in first..last {
            if w0 >= 0.0 && w1 >= 0.0 && w2 >= 0.0 {
                visit(row + x, sx, sy);
            }
            w0 += e0.1;
            w1 += e1.1;
            w2 += e2.1;
            sx += sxc.1;
            sy += syc.1;
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
