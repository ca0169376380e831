//! The background plate: the framed portrait with the person taken out and the hole filled
//! from the background around it, so what a turning head uncovers is background, not a
//! stretched smear of hair and cheek.
//!
//! The fill is push-pull (a pyramid of weighted averages): each coarser level averages the
//! known pixels below it, and each finer level takes what it does not know from the level
//! above. It is smooth — the strip a head uncovers is narrow and usually out of focus — and
//! takes a few milliseconds for a 512×512 frame, once per framing.

use crate::raster::{Tri, scan};

/// Mask values (of 255) at or under this are background, at or over [`PERSON_FROM`] person;
/// the opacity ramps smoothly between.
pub(crate) const BACKGROUND_TO: u8 = 8;
/// See [`BACKGROUND_TO`].
pub(crate) const PERSON_FROM: u8 = 128;

/// The person layer's opacity from a segmentation mask (probability × 255, `width × height`):
/// the model's edge is soft and can miss a sliver of the person (an ear lobe, a wisp), which
/// would stay behind on the plate as a ghost when the head moves, so the mask is first widened
/// by `grow` pixels and then softened over as many again (the band of background the head
/// carries fades into the plate instead of ending in an outline); then its edge is tightened —
/// fully opaque from even odds, transparent only where the mask is nearly nothing. Wherever it
/// is not transparent, the plate is filled in.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a share of 255, rounded"
)]
pub(crate) fn opacity(mask: &[u8], width: usize, height: usize, grow: usize) -> Vec<u8> {
    // Separable maximum over a (2 grow + 1)² square.
    let mut rows = vec![0u8; mask.len()];
    for (src, dst) in mask.chunks_exact(width).zip(rows.chunks_exact_mut(width)) {
        for (x, d) in dst.iter_mut().enumerate() {
            let span = x.saturating_sub(grow)..(x + grow + 1).min(width);
            *d = src[span].iter().copied().max().unwrap_or(0);
        }
    }
    let mut grown = vec![0u8; mask.len()];
    for y in 0..height {
        for x in 0..width {
            grown[y * width + x] = (y.saturating_sub(grow)..(y + grow + 1).min(height))
                .map(|yy| rows[yy * width + x])
                .max()
                .unwrap_or(0);
        }
    }
    let soft = box_blur(&grown, width, height, grow);
    soft.iter()
        .map(|&m| (255.0 * sure_of_person(m)).round() as u8)
        .collect()
}

/// 0 at or under `lo`, 1 at or over `hi`, smooth (cubic) between.
fn smoothstep(v: f32, lo: f32, hi: f32) -> f32 {
    let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// How sure a mask value makes the person: 0 at [`BACKGROUND_TO`], 1 from [`PERSON_FROM`].
fn sure_of_person(mask: u8) -> f32 {
    smoothstep(
        f32::from(mask),
        f32::from(BACKGROUND_TO),
        f32::from(PERSON_FROM),
    )
}

/// Backdrop colour differences (largest channel, of 255) under which a pixel of the margin
/// counts as backdrop, and over which as person; smooth between.
const BACKDROP_TO: f32 = 20.0;
/// See [`BACKDROP_TO`].
const PERSON_OVER: f32 = 50.0;

/// Takes the backdrop out of the margin [`opacity`] adds around the person.
///
/// The margin exists for wisps and lobes the segmentation missed, but most of it is backdrop
/// — often a studio light's pale halo around the head — and a turning head carried it along
/// as a pale band. The backdrop behind the margin is estimated from beyond it (push-pull, as
/// the plate is); where the model is not sure of the person, a pixel keeps its opacity only as
/// far as it differs from that estimate (hair on a wall: kept; the wall: left on the plate,
/// which then keeps it where it was). Changes nothing where the model is sure.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a share of 255, rounded"
)]
pub(crate) fn drop_backdrop(
    alpha: &mut [u8],
    mask: &[u8],
    rgb: &[u8],
    width: usize,
    height: usize,
) {
    let known: Vec<bool> = alpha.iter().map(|&a| a == 0).collect();
    if known.iter().all(|&k| k) || !known.iter().any(|&k| k) {
        return;
    }
    let behind = inpaint(rgb, &known, width, height);
    let keep: Vec<u8> = (0..width * height)
        .map(|i| {
            if alpha[i] == 0 || mask[i] >= PERSON_FROM {
                return 255;
            }
            let diff = (0..3)
                .map(|c| f32::from(rgb[i * 3 + c].abs_diff(behind[i * 3 + c])))
                .fold(0f32, f32::max);
            let differs = smoothstep(diff, BACKDROP_TO, PERSON_OVER);
            (255.0 * differs.max(sure_of_person(mask[i]))).round() as u8
        })
        .collect();
    // Grain and JPEG noise should not speckle the edge.
    let keep = box_blur(&keep, width, height, 1);
    for (a, k) in alpha.iter_mut().zip(keep) {
        *a = ((u16::from(*a) * u16::from(k) + 127) / 255) as u8;
    }
}

/// The mean over a (2 r + 1)² square (over the part inside the picture), separable running
/// sums.
#[expect(clippy::cast_possible_truncation, reason = "a mean of bytes is a byte")]
fn box_blur(values: &[u8], width: usize, height: usize, r: usize) -> Vec<u8> {
    if r == 0 {
        return values.to_vec();
    }
    let pass =
        |input: &[u32], out: &mut [u32], len: usize, stride: usize, lines: usize, step: usize| {
            for line in 0..lines {
                let at = |i: usize| input[line * step + i * stride];
                let mut sum: u32 = (0..r.min(len)).map(at).sum();
                for i in 0..len {
                    if i + r < len {
                        sum += at(i + r);
                    }
                    if i > r {
                        sum -= at(i - r - 1);
                    }
                    out[line * step + i * stride] = sum;
                }
            }
        };
    let ones: Vec<u32> = vec![1; values.len()];
    let wide: Vec<u32> = values.iter().map(|&v| u32::from(v)).collect();
    let (mut rows, mut count_rows) = (vec![0u32; values.len()], vec![0u32; values.len()]);
    pass(&wide, &mut rows, width, 1, height, width);
    pass(&ones, &mut count_rows, width, 1, height, width);
    let (mut sums, mut counts) = (vec![0u32; values.len()], vec![0u32; values.len()]);
    pass(&rows, &mut sums, height, width, width, 1);
    pass(&count_rows, &mut counts, height, width, width, 1);
    sums.iter()
        .zip(&counts)
        .map(|(&s, &n)| ((s + n / 2) / n.max(1)) as u8)
        .collect()
}

/// What a triangle of the person layer holds, judged from where it samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cover {
    /// Background only: nothing to draw over the plate.
    Empty,
    /// Person and background: laid over the plate with its opacity.
    Partial,
    /// Person only: drawn as is.
    Opaque,
}

/// The opacity plane's 3×3 minimum and maximum (bilinear sampling near a pixel reads its
/// neighbours), for [`cover`].
pub(crate) fn extremes(alpha: &[u8], width: usize, height: usize) -> (Vec<u8>, Vec<u8>) {
    let (mut lo, mut hi) = (alpha.to_vec(), alpha.to_vec());
    for y in 0..height {
        for x in 0..width {
            let (mut a, mut b) = (u8::MAX, 0u8);
            for yy in y.saturating_sub(1)..(y + 2).min(height) {
                for xx in x.saturating_sub(1)..(x + 2).min(width) {
                    let v = alpha[yy * width + xx];
                    a = a.min(v);
                    b = b.max(v);
                }
            }
            lo[y * width + x] = a;
            hi[y * width + x] = b;
        }
    }
    (lo, hi)
}

/// Whether the source triangle `src` (picture pixels) covers person, background or both. A
/// triangle that misses every pixel centre (a sliver) counts as partial.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    reason = "picture coordinates, clamped"
)]
pub(crate) fn cover(
    (lo, hi): (&[u8], &[u8]),
    width: usize,
    height: usize,
    src: [[f32; 2]; 3],
) -> Cover {
    let (mut any, mut all, mut seen) = (false, true, false);
    let mut look = |o: usize| {
        seen = true;
        any |= hi[o] > 0;
        all &= lo[o] == u8::MAX;
    };
    scan(width, height, &Tri { dst: src, src }, |o, _, _| look(o));
    // Past the picture's edge sampling is clamped: it reads the edge pixels alongside.
    let (w, h) = (width as f32, height as f32);
    let min = |k: usize| src.iter().map(|p| p[k]).fold(f32::MAX, f32::min);
    let max = |k: usize| src.iter().map(|p| p[k]).fold(f32::MIN, f32::max);
    let span = |a: f32, b: f32, n: usize| {
        let clamp = |v: f32| (v.max(0.0) as usize).min(n - 1);
        clamp(a)..=clamp(b)
    };
    let (xs, ys) = (span(min(0), max(0), width), span(min(1), max(1), height));
    if min(0) < 0.5 {
        ys.clone().for_each(|y| look(y * width));
    }
    if max(0) > w - 0.5 {
        ys.clone().for_each(|y| look(y * width + width - 1));
    }
    if min(1) < 0.5 {
        xs.clone().for_each(&mut look);
    }
    if max(1) > h - 0.5 {
        xs.for_each(|x| look((height - 1) * width + x));
    }
    match (seen, any, all) {
        (true, false, _) => Cover::Empty,
        (true, true, true) => Cover::Opaque,
        _ => Cover::Partial,
    }
}

/// Fills the pixels of `rgb` (`width × height`, RGB) whose `known` flag is false from the known
/// pixels around them. Known pixels keep their value exactly. With no known pixel at all, the
/// hole becomes the picture's mean colour.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "colours are averages of bytes, rounded and clamped"
)]
pub(crate) fn inpaint(rgb: &[u8], known: &[bool], width: usize, height: usize) -> Vec<u8> {
    debug_assert_eq!(rgb.len(), width * height * 3);
    debug_assert_eq!(known.len(), width * height);
    // Level 0: premultiplied colour and weight.
    let base: Vec<[f32; 4]> = rgb
        .chunks_exact(3)
        .zip(known)
        .map(|(p, &k)| {
            if k {
                [f32::from(p[0]), f32::from(p[1]), f32::from(p[2]), 1.0]
            } else {
                [0.0; 4]
            }
        })
        .collect();
    let mut levels = vec![(width, height, base)];
    // Push: halve until one pixel; a coarse pixel's weight saturates at 1.
    loop {
        let (w, h, px) = &levels[levels.len() - 1];
        if *w <= 1 && *h <= 1 {
            break;
        }
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let mut coarse = vec![[0.0f32; 4]; cw * ch];
        for (y, row) in px.chunks_exact(*w).enumerate() {
            for (x, p) in row.iter().enumerate() {
                let c = &mut coarse[(y / 2) * cw + x / 2];
                for (ci, pi) in c.iter_mut().zip(p) {
                    *ci += pi;
                }
            }
        }
        for c in &mut coarse {
            if c[3] > 1.0 {
                let k = 1.0 / c[3];
                for v in c.iter_mut() {
                    *v *= k;
                }
            }
        }
        levels.push((cw, ch, coarse));
    }
    // The top: with nothing known anywhere, fall back on the mean colour.
    if let Some((_, _, top)) = levels.last_mut()
        && let Some(t) = top.first_mut()
        && t[3] <= 0.0
    {
        let n = (width * height).max(1) as f32;
        let mut mean = [0.0f32; 3];
        for p in rgb.chunks_exact(3) {
            for (m, &v) in mean.iter_mut().zip(p) {
                *m += f32::from(v);
            }
        }
        *t = [mean[0] / n, mean[1] / n, mean[2] / n, 1.0];
    } else if let Some((_, _, top)) = levels.last_mut()
        && let Some(t) = top.first_mut()
    {
        let k = 1.0 / t[3];
        for v in t.iter_mut() {
            *v *= k;
        }
    }
    // Pull: each level takes what it lacks from the (already full) level above, sampled
    // bilinearly so the coarse cells do not show.
    for l in (0..levels.len() - 1).rev() {
        let (upper, lower) = levels.split_at_mut(l + 1);
        let (w, h, px) = &mut upper[l];
        let (cw, ch, coarse) = &lower[0];
        for y in 0..*h {
            for x in 0..*w {
                let p = &mut px[y * *w + x];
                if p[3] >= 1.0 {
                    continue;
                }
                let c = sample(
                    coarse,
                    *cw,
                    *ch,
                    x as f32 * 0.5 + 0.25,
                    y as f32 * 0.5 + 0.25,
                );
                let missing = 1.0 - p[3];
                for (pi, ci) in p.iter_mut().zip(c) {
                    *pi += missing * ci;
                }
            }
        }
    }
    let (_, _, full) = &levels[0];
    let mut out = rgb.to_vec();
    for ((o, p), &k) in out.chunks_exact_mut(3).zip(full).zip(known) {
        if !k {
            let wt = p[3].max(1e-6);
            for (oi, pi) in o.iter_mut().zip(p) {
                *oi = (pi / wt).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    out
}

/// Gives a filled hole the grain of the background around it: push-pull leaves it smooth, which
/// shows on a textured background (canvas, a mottled studio backdrop). Each filled pixel takes
/// the fine detail (the picture minus its local mean over known pixels) of the known pixel
/// mirrored across the hole's edge, fading out with the distance from the edge.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    clippy::cast_precision_loss,
    reason = "pixel coordinates and byte colours, clamped"
)]
pub(crate) fn add_grain(
    filled: &mut [u8],
    rgb: &[u8],
    known: &[bool],
    width: usize,
    height: usize,
) {
    const RADIUS: usize = 3;
    const FULL: f32 = 24.0;
    const GONE: f32 = 72.0;
    let (w, h) = (width, height);
    // The nearest known pixel of every pixel: seeds spread in two chamfer passes.
    let mut seed: Vec<Option<(i32, i32)>> = (0..w * h)
        .map(|i| known[i].then_some(((i % w) as i32, (i / w) as i32)))
        .collect();
    let d2 = |s: Option<(i32, i32)>, x: i32, y: i32| {
        s.map_or(i64::MAX, |(sx, sy)| {
            i64::from(sx - x).pow(2) + i64::from(sy - y).pow(2)
        })
    };
    let mut relax = |order: &mut dyn Iterator<Item = usize>, steps: [(i32, i32); 4]| {
        for i in order {
            let (x, y) = ((i % w) as i32, (i / w) as i32);
            for (dx, dy) in steps {
                let (nx, ny) = (x + dx, y + dy);
                if nx < 0 || ny < 0 || nx >= w as i32 || ny >= h as i32 {
                    continue;
                }
                let candidate = seed[ny as usize * w + nx as usize];
                if d2(candidate, x, y) < d2(seed[i], x, y) {
                    seed[i] = candidate;
                }
            }
        }
    };
    relax(&mut (0..w * h), [(-1, 0), (-1, -1), (0, -1), (1, -1)]);
    relax(&mut (0..w * h).rev(), [(1, 0), (1, 1), (0, 1), (-1, 1)]);
    // Local means over known pixels, from summed-area tables.
    let stride = w + 1;
    let mut sums = vec![[0f32; 4]; stride * (h + 1)];
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let v = if known[i] {
                [
                    f32::from(rgb[i * 3]),
                    f32::from(rgb[i * 3 + 1]),
                    f32::from(rgb[i * 3 + 2]),
                    1.0,
                ]
            } else {
                [0.0; 4]
            };
            let (a, b, c) = (
                sums[y * stride + x + 1],
                sums[(y + 1) * stride + x],
                sums[y * stride + x],
            );
            sums[(y + 1) * stride + x + 1] = std::array::from_fn(|k| v[k] + a[k] + b[k] - c[k]);
        }
    }
    let mean = |x: usize, y: usize| {
        let (x0, y0) = (x.saturating_sub(RADIUS), y.saturating_sub(RADIUS));
        let (x1, y1) = ((x + RADIUS + 1).min(w), (y + RADIUS + 1).min(h));
        let at = |x: usize, y: usize| sums[y * stride + x];
        let (a, b, c, d) = (at(x1, y1), at(x0, y1), at(x1, y0), at(x0, y0));
        let s: [f32; 4] = std::array::from_fn(|k| a[k] - b[k] - c[k] + d[k]);
        [s[0] / s[3], s[1] / s[3], s[2] / s[3]]
    };
    for i in 0..w * h {
        if known[i] {
            continue;
        }
        let Some((sx, sy)) = seed[i] else { continue };
        let (x, y) = ((i % w) as i32, (i / w) as i32);
        let dist = (d2(seed[i], x, y) as f32).sqrt();
        // (Folding the mirror back and forth to reach deeper drew echoes of the person's edge
        // across the fill: the grain fades out instead.)
        let fade = ((GONE - dist) / (GONE - FULL)).clamp(0.0, 1.0);
        let (mx, my) = (2 * sx - x, 2 * sy - y);
        if fade <= 0.0 || mx < 0 || my < 0 || mx >= w as i32 || my >= h as i32 {
            continue;
        }
        let m = my as usize * w + mx as usize;
        if !known[m] {
            continue;
        }
        let local = mean(mx as usize, my as usize);
        for c in 0..3 {
            let detail = f32::from(rgb[m * 3 + c]) - local[c];
            let v = f32::from(filled[i * 3 + c]) + fade * detail;
            filled[i * 3 + c] = v.round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// Bilinear sample of a premultiplied level at `(x, y)` (pixel centres at integer + 0.5).
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    reason = "coordinates clamped into the level first"
)]
fn sample(px: &[[f32; 4]], w: usize, h: usize, x: f32, y: f32) -> [f32; 4] {
    let fx = (x - 0.5).clamp(0.0, (w - 1) as f32);
    let fy = (y - 0.5).clamp(0.0, (h - 1) as f32);
    let (x0, y0) = (fx as usize, fy as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (ax, ay) = (fx - x0 as f32, fy - y0 as f32);
    let mut out = [0.0f32; 4];
    for (c, o) in out.iter_mut().enumerate() {
        let top = px[y0 * w + x0][c] + ax * (px[y0 * w + x1][c] - px[y0 * w + x0][c]);
        let bottom = px[y1 * w + x0][c] + ax * (px[y1 * w + x1][c] - px[y1 * w + x0][c]);
        *o = top + ay * (bottom - top);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Cover, add_grain, cover, drop_backdrop, extremes, inpaint, opacity};

    #[test]
    fn the_margin_keeps_a_missed_wisp_but_not_the_backdrop() {
        // A pale backdrop (a gradient), a dark head the mask is sure of (x < 20), and a dark
        // wisp at x 22..24, y 10..14, that the mask missed.
        let (w, h) = (48usize, 24usize);
        let wisp = |x: usize, y: usize| (22..24).contains(&x) && (10..14).contains(&y);
        let mut rgb = Vec::with_capacity(w * h * 3);
        let mut mask = Vec::with_capacity(w * h);
        for y in 0..h {
            for x in 0..w {
                let head = x < 20;
                let g = if head || wisp(x, y) {
                    60
                } else {
                    200 + u8::try_from(x / 4).unwrap_or(0)
                };
                rgb.extend([g, g, g]);
                mask.push(if head { 255 } else { 0 });
            }
        }
        let before = opacity(&mask, w, h, 6);
        let mut after = before.clone();
        drop_backdrop(&mut after, &mask, &rgb, w, h);
        let at = |v: &[u8], x: usize, y: usize| v[y * w + x];
        // The head is untouched, the wisp stays in the layer, the backdrop beside it leaves.
        assert_eq!(at(&after, 10, 12), 255);
        assert!(
            at(&before, 23, 12) > 200 && at(&after, 23, 12) > 150,
            "{}",
            at(&after, 23, 12)
        );
        assert!(at(&before, 23, 3) > 100, "{}", at(&before, 23, 3));
        assert!(at(&after, 23, 3) < 20, "{}", at(&after, 23, 3));
        // Nothing gains opacity.
        assert!(before.iter().zip(&after).all(|(b, a)| a <= b));
    }

    #[test]
    fn a_filled_hole_takes_the_grain_around_it() {
        // A noisy grey background with a 16×16 hole.
        let (w, h) = (48usize, 48usize);
        let mut state = 12345u32;
        let mut rgb = vec![0u8; w * h * 3];
        for v in rgb.chunks_exact_mut(3) {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let g = 100 + u8::try_from(state >> 26).unwrap_or(0);
            v.copy_from_slice(&[g, g, g]);
        }
        let hole = |i: usize| (16..32).contains(&(i % w)) && (16..32).contains(&(i / w));
        let known: Vec<bool> = (0..w * h).map(|i| !hole(i)).collect();
        let variance = |img: &[u8], inside: bool| {
            let v: Vec<f32> = (0..w * h)
                .filter(|&i| hole(i) == inside)
                .map(|i| f32::from(img[i * 3]))
                .collect();
            let m = v.iter().sum::<f32>() / v.len() as f32;
            v.iter().map(|x| (x - m).powi(2)).sum::<f32>() / v.len() as f32
        };
        let smooth = inpaint(&rgb, &known, w, h);
        let mut grainy = smooth.clone();
        add_grain(&mut grainy, &rgb, &known, w, h);
        let background = variance(&rgb, false);
        let (before, after) = (variance(&smooth, true), variance(&grainy, true));
        assert!(before < 0.2 * background, "{before} vs {background}");
        assert!(after > 0.5 * background, "{after} vs {background}");
        for i in (0..w * h).filter(|&i| !hole(i)) {
            assert_eq!(grainy[i * 3..i * 3 + 3], rgb[i * 3..i * 3 + 3]);
        }
    }

    #[test]
    fn triangles_are_sorted_by_what_they_cover() {
        // A 20×20 picture: person in the right half.
        let (w, h) = (20usize, 20usize);
        let mask: Vec<u8> = (0..w * h)
            .map(|i| if i % w >= 10 { 255 } else { 0 })
            .collect();
        let alpha = opacity(&mask, w, h, 0);
        let (lo, hi) = extremes(&alpha, w, h);
        let planes = (lo.as_slice(), hi.as_slice());
        for (src, want, what) in [
            (
                [[0.0, 0.0], [6.0, 0.0], [0.0, 20.0]],
                Cover::Empty,
                "background",
            ),
            (
                [[14.0, 0.0], [20.0, 0.0], [20.0, 20.0]],
                Cover::Opaque,
                "person",
            ),
            (
                [[5.0, 0.0], [15.0, 0.0], [5.0, 20.0]],
                Cover::Partial,
                "across the edge",
            ),
            // Next to the edge, bilinear sampling reads the other side: not empty.
            (
                [[0.0, 0.0], [9.5, 0.0], [9.5, 20.0]],
                Cover::Partial,
                "beside the edge",
            ),
            // Off the picture, sampling reads the edge: the left edge is background, the
            // right edge person, the top edge both.
            (
                [[-30.0, 0.0], [-20.0, 0.0], [-30.0, 9.0]],
                Cover::Empty,
                "off the left",
            ),
            (
                [[30.0, 0.0], [40.0, 0.0], [30.0, 9.0]],
                Cover::Opaque,
                "off the right",
            ),
            (
                [[-5.0, -9.0], [40.0, -9.0], [30.0, -1.0]],
                Cover::Partial,
                "off the top",
            ),
        ] {
            assert_eq!(cover(planes, w, h, src), want, "{what}");
        }
    }

    #[test]
    fn known_pixels_stay_and_a_hole_takes_the_colours_around_it() {
        // Left half red, right half blue; a hole across the middle.
        let (w, h) = (40usize, 30usize);
        let mut rgb = vec![0u8; w * h * 3];
        let mut known = vec![true; w * h];
        for y in 0..h {
            for x in 0..w {
                let o = (y * w + x) * 3;
                if x < w / 2 {
                    rgb[o] = 200;
                } else {
                    rgb[o + 2] = 200;
                }
                if (10..30).contains(&x) && (8..22).contains(&y) {
                    known[y * w + x] = false;
                    // What was there must not leak into the fill.
                    rgb[o..o + 3].copy_from_slice(&[0, 255, 0]);
                }
            }
        }
        let out = inpaint(&rgb, &known, w, h);
        for (i, k) in known.iter().enumerate() {
            if *k {
                assert_eq!(out[i * 3..i * 3 + 3], rgb[i * 3..i * 3 + 3]);
            } else {
                assert!(out[i * 3 + 1] < 10, "green leaked at {i}");
            }
        }
        // Deep in the hole, the left part is mostly red and the right part mostly blue.
        let at = |x: usize, y: usize| &out[(y * w + x) * 3..(y * w + x) * 3 + 3];
        assert!(at(11, 15)[0] > at(11, 15)[2], "{:?}", at(11, 15));
        assert!(at(28, 15)[2] > at(28, 15)[0], "{:?}", at(28, 15));
    }

    #[test]
    fn the_mask_is_widened_and_its_edge_tightened() {
        // One row: a soft edge from background to person.
        let mask = [0u8, 0, 0, 0, 4, 60, 128, 200, 255, 255];
        let tight = opacity(&mask, 10, 1, 0);
        assert_eq!(tight[..5], [0, 0, 0, 0, 0]);
        assert!(tight[5] > 0 && tight[5] < 128, "{tight:?}");
        assert_eq!(tight[6..], [255, 255, 255, 255]);
        // Widened by two, then softened over two: opaque from two pixels out, fading over the
        // next two.
        let grown = opacity(&mask, 10, 1, 2);
        assert_eq!(grown[4..], [255; 6]);
        assert_eq!(grown[0], 0);
        assert!(
            grown[1] < grown[2] && grown[2] < grown[3] && grown[3] < 255,
            "{grown:?}"
        );
        // And in columns too.
        let column = opacity(&mask, 1, 10, 2);
        assert_eq!(column, grown);
    }

    #[test]
    fn nothing_known_gives_the_mean() {
        let rgb = vec![10u8, 20, 30, 30, 40, 50];
        let out = inpaint(&rgb, &[false, false], 2, 1);
        assert_eq!(out, vec![20, 30, 40, 20, 30, 40]);
    }
}
