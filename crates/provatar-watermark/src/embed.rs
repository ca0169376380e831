//! Embedding: the payload's tile, weighted by a perceptual mask and by informed per-cell
//! amplitudes, added to luma.

use provatar_types::Frame;

use crate::detect::Whitener;
use crate::filter::{add_units, luma_into};
use crate::key::Key;
use crate::pattern::{CELL, GRID, Pattern, Payload, TILE, WINDOW, tile_pixels_into};

/// Strength, in luma levels, where the picture's local activity equals [`ACTIVITY_REF`].
const BASE: f32 = 2.0;
/// Local activity (the detector's: mean absolute deviation from the 5×5 mean, averaged over
/// 9×9, both at the native scale) at which the mark has its base strength. Film grain and hair
/// are far above; clean skin is around 1.
const ACTIVITY_REF: f32 = 3.0;
/// The mask's range relative to the base: flat areas get `MIN_GAIN` (the eye sees a pattern on
/// flat skin or sky long before it sees one in texture), busy ones at most `MAX_GAIN`.
const MIN_GAIN: f32 = 0.8;
const MAX_GAIN: f32 = 1.5;
/// Informed per-block amplitude (see [`Embedder::embed`]), relative to the target `tau`: at
/// least `MIN_AMPLITUDE`, and blocks that would need more than `GIVE_UP` are left to the code.
const MIN_AMPLITUDE: f32 = 0.4;
const GIVE_UP: f32 = 2.0;
/// The largest target response, in units of the nominal mark's.
const MAX_TAU: f32 = 2.5;
/// The mark's energy budget: mean squared change per pixel (PSNR 42.4 dB).
const TARGET_MSE: f32 = 3.74;
/// The mark's visibility budget: mean of the squared change weighted by [`visibility`] — about
/// the loss of SSIM it causes, so frames of flat skin and backdrop get a weaker mark than busy
/// ones at the same PSNR.
const VISIBLE_BUDGET: f32 = 0.016;
/// SSIM's stabilising constant `C2 = (0.03 · 255)²`.
const SSIM_C2: f32 = 58.52;

/// Marks frames with one key; holds the key's layout, so marking a video derives it once, and
/// the working buffers, so marking a frame allocates nothing after the first.
#[derive(Debug, Clone)]
pub struct Embedder {
    pattern: Pattern,
    scratch: Scratch,
}

#[derive(Debug, Default, Clone)]
struct Scratch {
    y: Vec<f32>,
    whitener: Whitener,
    mark: Vec<f32>,
    delta: Vec<f32>,
    plane: Vec<f32>,
    local: Vec<f32>,
    /// One row's squared mark and its visibility-weighted square.
    sq: Vec<f32>,
    weighted: Vec<f32>,
    /// The payload's tile, in pixels.
    tile: Vec<f32>,
    blocks: Blocks,
}

/// Per-block working values (one block per copy of a cell).
#[derive(Debug, Default, Clone)]
struct Blocks {
    sign: Vec<f32>,
    host: Vec<f32>,
    energy: Vec<f32>,
    visible: Vec<f32>,
    response: Vec<f32>,
    along: Vec<f32>,
    lean: Vec<f32>,
    amplitude: Vec<f32>,
    seen: Vec<f32>,
}

impl Embedder {
    /// Prepares the layout of `key`.
    pub fn new(key: &Key) -> Self {
        Self {
            pattern: Pattern::new(key),
            scratch: Scratch::default(),
        }
    }

    /// Marks `frame` in place with `payload`.
    ///
    /// The change is the same on R, G and B, so it is a pure luma change: chroma — which H.264
    /// subsamples and quantises harder — is untouched. Any size works: the tile scales by a
    /// whole factor with the shorter side (8-pixel cells, a 256-pixel tile at 512).
    ///
    /// Strength: a perceptual mask (stronger in texture, weaker on flat skin and near black or
    /// white) shapes the mark, and the whole change is held to two budgets on every frame: a
    /// mean squared change of [`TARGET_MSE`] (PSNR ≥ 42.4 dB) and a visibility budget — the
    /// squared change weighted by how much SSIM would see it on the local texture
    /// ([`VISIBLE_BUDGET`]), which holds flat frames to a weaker mark.
    ///
    /// Informed embedding (improved spread spectrum, Malvar & Florêncio 2003): the picture
    /// itself correlates with each cell's sign by chance, and for a still picture that
    /// interference does not average out over frames. The embedder computes what the detector
    /// will measure for the unmarked picture and for the mark in every copy of every cell (a
    /// block), and sets each block's amplitude so it reaches the same response `tau` —
    /// stronger where the picture works against the cell, weaker where it already agrees; a
    /// block that would need more than [`GIVE_UP`]` · tau` is left to the error-correcting
    /// code. Cancelling per copy rather than only in the detector's sum over copies keeps the
    /// cancellation when a crop removes some copies. `tau` is the largest the budgets allow.
    ///
    /// # Errors
    /// [`EmbedError::TooSmall`] when the frame's shorter side is under [`MIN_SIDE`]: the mark
    /// would not be found again, so the frame is left untouched.
    pub fn embed(&mut self, frame: &mut Frame, payload: &Payload) -> Result<(), EmbedError> {
        if frame.width().min(frame.height()) < MIN_SIDE {
            return Err(EmbedError::TooSmall {
                width: frame.width(),
                height: frame.height(),
            });
        }
        let width = frame.width() as usize;
        let height = frame.height() as usize;
        let step = tile_step(width, height);
        let side = TILE * step;
        let cell_px = CELL * step;
        let cells = self.pattern.cell_values(payload);
        let Scratch {
            y,
            whitener,
            mark,
            delta,
            plane,
            local,
            sq,
            weighted,
            tile,
            blocks: b,
        } = &mut self.scratch;
        tile_pixels_into(&cells, step, tile);
        luma_into(frame.rgb(), y);
        #[expect(clippy::cast_precision_loss, reason = "a small factor")]
        let scale = step as f32;
        // Every copy of a cell is a block of its own here: the detector sums a cell's copies,
        // but a crop keeps only some of them, and the picture under each copy differs — so the
        // picture's part is cancelled copy by copy, not only in the sum.
        let (bw, bh) = (width.div_ceil(cell_px), height.div_ceil(cell_px));
        let pw = width.div_ceil(step);
        b.sign.clear();
        b.sign
            .extend((0..bw * bh).map(|i| cells[((i / bw) % GRID) * GRID + (i % bw) % GRID]));
        // The detector's view of the picture; its activity also drives the mask.
        whitener.run(y, width, height, scale);
        whitener.local_activity(width, height, (3 * step).div_ceil(2), local);
        fold_plane(&whitener.white, width, step, plane);
        block_sums(plane, pw, bw, bh, &mut b.host);
        // The nominal mark, and each block's energy and visibility.
        for v in [&mut b.energy, &mut b.visible] {
            v.clear();
            v.resize(bw * bh, 0.0);
        }
        mark.resize(width * height, 0.0); // every element is written below
        for (yy, (((row, act), lum), near)) in mark
            .chunks_exact_mut(width)
            .zip(whitener.activity.chunks_exact(width))
            .zip(y.chunks_exact(width))
            .zip(local.chunks_exact(width))
            .enumerate()
        {
            let t_row = &tile[(yy % side) * side..][..side];
            // Whole-row passes, which vectorise: the mark, then its energy and visibility.
            for ((m, a), l) in row
                .chunks_mut(side)
                .zip(act.chunks(side))
                .zip(lum.chunks(side))
            {
                for (((m, &a), &l), &t) in m.iter_mut().zip(a).zip(l).zip(t_row) {
                    *m = mask(a, l) * t;
                }
            }
            sq.clear();
            sq.extend(row.iter().map(|m| m * m));
            weighted.clear();
            weighted.extend(sq.iter().zip(near).map(|(q, &n)| q * visibility(n)));
            let e_row = &mut b.energy[(yy / cell_px) * bw..][..bw];
            let v_row = &mut b.visible[(yy / cell_px) * bw..][..bw];
            for (((q, v), e_block), v_block) in sq
                .chunks(cell_px)
                .zip(weighted.chunks(cell_px))
                .zip(e_row.iter_mut())
                .zip(v_row.iter_mut())
            {
                *e_block += q.iter().sum::<f32>();
                *v_block += v.iter().sum::<f32>();
            }
        }
        whitener.response_plane(mark, width, height, scale, step, plane);
        block_sums(plane, pw, bw, bh, &mut b.response);
        // What the picture does to each block, in units of the nominal mark's response: the
        // amplitude `tau + lean[b]` brings the block to `tau` times the nominal response.
        b.along.clear();
        b.along
            .extend(b.sign.iter().zip(&b.response).map(|(s, r)| s * r));
        b.lean.clear();
        b.lean.extend(
            b.sign
                .iter()
                .zip(&b.host)
                .zip(&b.along)
                .map(|((s, h), &a)| if a > 0.0 { -s * h / a } else { 0.0 }),
        );
        #[expect(clippy::cast_precision_loss, reason = "pixel counts")]
        let pixels = (width * height) as f32;
        let budget = TARGET_MSE * pixels;
        let tau = solve_tau(
            &b.lean,
            &b.energy,
            budget,
            &b.visible,
            VISIBLE_BUDGET * pixels,
        );
        b.amplitude.clear();
        b.amplitude
            .extend(b.lean.iter().map(|&l| amplitude_for(tau, l)));
        // The change is rounded to whole levels: measure what the detector will see of the
        // rounded change and correct each block's amplitude once.
        let _ = rounded_change(delta, mark, &b.amplitude, width, bw, cell_px);
        whitener.response_plane(delta, width, height, scale, step, plane);
        block_sums(plane, pw, bw, bh, &mut b.seen);
        for (((a, &along), (&s, &h)), &seen) in b
            .amplitude
            .iter_mut()
            .zip(&b.along)
            .zip(b.sign.iter().zip(&b.host))
            .zip(&b.seen)
        {
            if along > 0.0 && *a > MIN_AMPLITUDE * tau {
                let shortfall = tau - s * (h + seen) / along;
                *a = (*a + shortfall).clamp(MIN_AMPLITUDE * tau, GIVE_UP * tau);
            }
        }
        // Keep the whole change within the energy budget after rounding.
        let spent = rounded_change(delta, mark, &b.amplitude, width, bw, cell_px);
        if spent > budget {
            let shrink = (budget / spent).sqrt();
            for a in &mut b.amplitude {
                *a *= shrink;
            }
            let _ = rounded_change(delta, mark, &b.amplitude, width, bw, cell_px);
        }
        for (px, &d) in frame.rgb_mut().chunks_exact_mut(3).zip(delta.iter()) {
            // A whole change of a few levels, split so the write is saturating byte
            // arithmetic (no clamping branches).
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a whole, non-negative change of a few levels"
            )]
            let (up, down) = (d.max(0.0) as u8, (-d).max(0.0) as u8);
            for c in px {
                *c = c.saturating_add(up).saturating_sub(down);
            }
        }
        Ok(())
    }
}

/// The amplitude of a cell whose picture leans `lean` (in units of the nominal response) at
/// target `tau`: enough to bring the cell to `tau`, at least `MIN_AMPLITUDE · tau` (the
/// picture already agrees), and given up (`MIN_AMPLITUDE · tau`) when more than
/// `GIVE_UP · tau` would be needed — such a cell would take energy better spent on many others,
/// and the code corrects it.
fn amplitude_for(tau: f32, lean: f32) -> f32 {
    let need = tau + lean;
    if need > GIVE_UP * tau {
        MIN_AMPLITUDE * tau
    } else {
        need.max(MIN_AMPLITUDE * tau)
    }
}

/// The largest target (at most [`MAX_TAU`]) whose amplitudes fit both budgets: `energy`
/// (squared change, against `budget`) and `visible` (squared change weighted by how much it
/// shows on flat ground, against `visible_budget`).
fn solve_tau(
    lean: &[f32],
    energy: &[f32],
    budget: f32,
    visible: &[f32],
    visible_budget: f32,
) -> f32 {
    let fits = |tau: f32| -> bool {
        let (mut e_sum, mut v_sum) = (0f32, 0f32);
        for ((&l, &e), &v) in lean.iter().zip(energy).zip(visible) {
            let a = amplitude_for(tau, l);
            e_sum += a * a * e;
            v_sum += a * a * v;
        }
        e_sum <= budget && v_sum <= visible_budget
    };
    if fits(MAX_TAU) {
        return MAX_TAU;
    }
    let (mut lo, mut hi) = (0.0f32, MAX_TAU);
    for _ in 0..20 {
        let mid = 0.5 * (lo + hi);
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// `out = round(mark · amplitude of its block)`, in whole luma levels; returns its energy (the
/// sum of squares).
fn rounded_change(
    out: &mut Vec<f32>,
    mark: &[f32],
    amplitude: &[f32],
    width: usize,
    blocks_across: usize,
    cell_px: usize,
) -> f32 {
    // Every element is written below: only the length needs setting.
    out.resize(mark.len(), 0.0);
    for (yy, (row, marks)) in out
        .chunks_exact_mut(width)
        .zip(mark.chunks_exact(width))
        .enumerate()
    {
        let a_row = &amplitude[(yy / cell_px) * blocks_across..][..blocks_across];
        for ((v, m), &a) in row
            .chunks_mut(cell_px)
            .zip(marks.chunks(cell_px))
            .zip(a_row)
        {
            for (v, &m) in v.iter_mut().zip(m) {
                *v = round_level(m * a);
            }
        }
    }
    // Eight running sums, so the reduction vectorises.
    let mut lanes = [0f32; 8];
    let chunks = out.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().map(|v| v * v).sum();
    for c in chunks {
        for (l, v) in lanes.iter_mut().zip(c) {
            *l += v * v;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// Rounds to the nearest whole level (ties to even) by the float trick — adding and removing
/// 1.5 · 2²³ — which, unlike a conversion to an integer, vectorises; exact for |x| < 2²².
fn round_level(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    (x + MAGIC) - MAGIC
}

/// Sums `values` (a `width`-wide plane) over `step × step` squares: the fine grid over the whole
/// frame, not folded onto one tile.
fn fold_plane(values: &[f32], width: usize, step: usize, plane: &mut Vec<f32>) {
    let pw = width.div_ceil(step);
    let ph = (values.len() / width.max(1)).div_ceil(step);
    plane.clear();
    plane.resize(pw * ph, 0.0);
    for (yy, row) in values.chunks_exact(width).enumerate() {
        add_units(&mut plane[(yy / step) * pw..][..pw], row, step);
    }
}

/// Each block's windowed sum (the detector's cell statistic for one copy of a cell) from a
/// fine plane `pw` units wide: `bw × bh` blocks of `CELL × CELL` units.
fn block_sums(plane: &[f32], pw: usize, bw: usize, bh: usize, out: &mut Vec<f32>) {
    let ph = plane.len() / pw.max(1);
    out.clear();
    out.resize(bw * bh, 0.0);
    for (b, o) in out.iter_mut().enumerate() {
        let (br, bc) = (b / bw, b % bw);
        let mut sum = 0.0;
        for (i, wy) in WINDOW.iter().enumerate() {
            let v = br * CELL + i;
            if v >= ph {
                break;
            }
            let p_row = &plane[v * pw..][..pw];
            for (j, wx) in WINDOW.iter().enumerate() {
                let u = bc * CELL + j;
                if u >= pw {
                    break;
                }
                sum += wy * wx * p_row[u];
            }
        }
        *o = sum;
    }
}

/// Pixels per fine-grid unit: 2 on a 512-pixel frame (8-pixel cells, a 256-pixel tile), a
/// whole factor that follows the shorter side (at least 1).
pub(crate) fn tile_step(width: usize, height: usize) -> usize {
    (width.min(height) / 256).max(1)
}

/// Marks `frame` in place with `payload` under `key` (see [`Embedder::embed`]).
///
/// # Errors
/// [`EmbedError::TooSmall`] for frames under [`MIN_SIDE`] pixels on their shorter side.
pub fn embed(frame: &mut Frame, payload: &Payload, key: &Key) -> Result<(), EmbedError> {
    Embedder::new(key).embed(frame, payload)
}

/// The shorter side, in pixels, a frame needs to carry a mark that a single frame gives back
/// (smaller frames hold too few copies of too small cells).
pub const MIN_SIDE: u32 = 256;

/// Why a frame was not marked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmbedError {
    /// The frame is too small to carry a detectable mark.
    #[error(
        "too small to mark: {width}x{height} pixels (the watermark needs at least {MIN_SIDE} \
         on the shorter side)"
    )]
    TooSmall {
        /// Its width.
        width: u32,
        /// Its height.
        height: u32,
    },
}

/// The mask's strength, relative to [`BASE`], at local activity `activity`.
pub(crate) fn relative_gain(activity: f32) -> f32 {
    (activity / ACTIVITY_REF).clamp(MIN_GAIN, MAX_GAIN)
}

/// How much a squared change shows at local activity `activity`: SSIM's contrast-structure
/// term loses about `σ_d² / (2σ² + C2)` where the picture's local standard deviation is `σ`
/// (about 1.25 times the mean absolute residual).
fn visibility(activity: f32) -> f32 {
    let sigma = 1.25 * activity;
    1.0 / (2.0 * sigma * sigma + SSIM_C2)
}

/// Strength in luma levels at a pixel of local activity `activity` and luma `luma`: the
/// perceptual mask.
pub(crate) fn mask(activity: f32, luma: f32) -> f32 {
    // Near black or white the change would clip (and shows as speckle): fade out.
    let headroom = (luma.min(255.0 - luma) / 12.0).clamp(0.15, 1.0);
    BASE * relative_gain(activity) * headroom
}
