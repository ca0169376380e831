//! Embedding: the payload's tile, weighted by a perceptual mask and by informed per-cell
//! amplitudes, added to luma.

use provatar_types::Frame;

use crate::detect::{Candidate, Whitener, cell_sums, cells_at, fold_into};
use crate::filter::luma_into;
use crate::key::Key;
use crate::pattern::{CELL, CELLS, GRID, Pattern, Payload, TILE, tile_pixels};

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
/// Informed per-cell amplitude (see [`Embedder::embed`]), relative to the target `tau`: at least
/// `MIN_AMPLITUDE`, and cells that would need more than `GIVE_UP` are left to the code.
const MIN_AMPLITUDE: f32 = 0.4;
const GIVE_UP: f32 = 3.0;
/// The largest target response, in units of the nominal mark's.
const MAX_TAU: f32 = 1.5;
/// The mark's energy budget: mean squared change per pixel (PSNR 42.4 dB).
const TARGET_MSE: f32 = 3.74;

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
    grid: Vec<f32>,
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
    /// white) shapes the mark, and the whole change is held to an energy budget — a mean
    /// squared change of [`TARGET_MSE`] (PSNR 42.4 dB) on every frame.
    ///
    /// Informed embedding (improved spread spectrum, Malvar & Florêncio 2003): the picture
    /// itself correlates with each cell's sign by chance, and for a still picture that
    /// interference does not average out over frames. The embedder computes what the detector
    /// will measure for the unmarked picture and for the mark, and sets each cell's amplitude
    /// so every cell reaches the same response `tau` — stronger where the picture works against
    /// the cell, weaker where it already agrees; a cell that would need more than
    /// [`GIVE_UP`]` · tau` is left to the error-correcting code. `tau` is the largest the
    /// budget allows.
    pub fn embed(&mut self, frame: &mut Frame, payload: &Payload) {
        let width = frame.width() as usize;
        let height = frame.height() as usize;
        let step = tile_step(width, height);
        let side = TILE * step;
        let cell_px = CELL * step;
        let cells = self.pattern.cell_values(payload);
        let tile = tile_pixels(&cells, step);
        let Scratch {
            y,
            whitener,
            mark,
            delta,
            grid,
        } = &mut self.scratch;
        luma_into(frame.rgb(), y);
        #[expect(clippy::cast_precision_loss, reason = "a small factor")]
        let scale = step as f32;
        #[expect(clippy::cast_precision_loss, reason = "a small size")]
        let native = Candidate {
            period_x: side as f32,
            period_y: side as f32,
            mirrored: false,
        };
        // The detector's view of the picture; its activity also drives the mask.
        whitener.run(y, width, height, scale);
        fold_into(&whitener.white, width, height, native, grid);
        let host_cells = cells_at(&cell_sums(grid), 0, 0);
        // The nominal mark, and each cell's share of its energy (all copies).
        let mut energy = vec![0f32; CELLS];
        mark.resize(width * height, 0.0); // every element is written below
        for (yy, ((row, act), lum)) in mark
            .chunks_exact_mut(width)
            .zip(whitener.activity.chunks_exact(width))
            .zip(y.chunks_exact(width))
            .enumerate()
        {
            let t_row = &tile[(yy % side) * side..][..side];
            let e_row = &mut energy[((yy % side) / cell_px) * GRID..][..GRID];
            // Cell by cell along the row: `x0` is a multiple of the cell width.
            for (x0, ((m, a), l)) in row
                .chunks_mut(cell_px)
                .zip(act.chunks(cell_px))
                .zip(lum.chunks(cell_px))
                .enumerate()
                .map(|(i, v)| (i * cell_px, v))
            {
                let t = &t_row[x0 % side..][..m.len()];
                let mut e = 0.0;
                for (((m, &a), &l), &t) in m.iter_mut().zip(a).zip(l).zip(t) {
                    let v = mask(a, l) * t;
                    *m = v;
                    e += v * v;
                }
                e_row[(x0 % side) / cell_px] += e;
            }
        }
        whitener.response_fold(mark, width, height, native, grid);
        let mark_cells = cells_at(&cell_sums(grid), 0, 0);
        // What the picture does to each cell, in units of the nominal mark's response: the
        // amplitude `tau + lean[c]` brings the cell to `tau` times the nominal response.
        let along: Vec<f32> = (0..CELLS).map(|c| cells[c] * mark_cells[c]).collect();
        let lean: Vec<f32> = (0..CELLS)
            .map(|c| {
                if along[c] > 0.0 {
                    -cells[c] * host_cells[c] / along[c]
                } else {
                    0.0
                }
            })
            .collect();
        #[expect(clippy::cast_precision_loss, reason = "pixel counts")]
        let budget = TARGET_MSE * (width * height) as f32;
        let tau = solve_tau(&lean, &energy, budget);
        let mut amplitude: Vec<f32> = lean.iter().map(|&l| amplitude_for(tau, l)).collect();
        // The change is rounded to whole levels: measure what the detector will see of the
        // rounded change and correct each cell's amplitude once.
        let _ = rounded_change(delta, mark, &amplitude, width, side, cell_px);
        whitener.response_fold(delta, width, height, native, grid);
        let seen_cells = cells_at(&cell_sums(grid), 0, 0);
        for c in 0..CELLS {
            if along[c] > 0.0 && amplitude[c] > MIN_AMPLITUDE * tau {
                let shortfall = tau - cells[c] * (host_cells[c] + seen_cells[c]) / along[c];
                amplitude[c] = (amplitude[c] + shortfall).clamp(MIN_AMPLITUDE * tau, GIVE_UP * tau);
            }
        }
        // Keep the whole change within the energy budget after rounding.
        let spent = rounded_change(delta, mark, &amplitude, width, side, cell_px);
        if spent > budget {
            let shrink = (budget / spent).sqrt();
            for a in &mut amplitude {
                *a *= shrink;
            }
            let _ = rounded_change(delta, mark, &amplitude, width, side, cell_px);
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

/// The largest target (at most [`MAX_TAU`]) whose amplitudes fit the energy budget.
fn solve_tau(lean: &[f32], energy: &[f32], budget: f32) -> f32 {
    let cost = |tau: f32| -> f32 {
        lean.iter()
            .zip(energy)
            .map(|(&l, &e)| {
                let a = amplitude_for(tau, l);
                a * a * e
            })
            .sum()
    };
    if cost(MAX_TAU) <= budget {
        return MAX_TAU;
    }
    let (mut lo, mut hi) = (0.0f32, MAX_TAU);
    for _ in 0..24 {
        let mid = 0.5 * (lo + hi);
        if cost(mid) <= budget {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// `out = round(mark · amplitude of its cell)`, in whole luma levels; returns its energy (the
/// sum of squares).
fn rounded_change(
    out: &mut Vec<f32>,
    mark: &[f32],
    amplitude: &[f32],
    width: usize,
    side: usize,
    cell_px: usize,
) -> f32 {
    // Every element is written below: only the length needs setting.
    out.resize(mark.len(), 0.0);
    for (yy, (row, marks)) in out
        .chunks_exact_mut(width)
        .zip(mark.chunks_exact(width))
        .enumerate()
    {
        let a_row = &amplitude[((yy % side) / cell_px) * GRID..][..GRID];
        for (i, (v, m)) in row
            .chunks_mut(cell_px)
            .zip(marks.chunks(cell_px))
            .enumerate()
        {
            let a = a_row[((i * cell_px) % side) / cell_px];
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

/// Pixels per fine-grid unit: 2 on a 512-pixel frame (8-pixel cells, a 256-pixel tile), a
/// whole factor that follows the shorter side (at least 1).
pub(crate) fn tile_step(width: usize, height: usize) -> usize {
    (width.min(height) / 256).max(1)
}

/// Marks `frame` in place with `payload` under `key` (see [`Embedder::embed`]).
pub fn embed(frame: &mut Frame, payload: &Payload, key: &Key) {
    Embedder::new(key).embed(frame, payload);
}

/// The mask's strength, relative to [`BASE`], at local activity `activity`.
pub(crate) fn relative_gain(activity: f32) -> f32 {
    (activity / ACTIVITY_REF).clamp(MIN_GAIN, MAX_GAIN)
}

/// Strength in luma levels at a pixel of local activity `activity` and luma `luma`: the
/// perceptual mask.
fn mask(activity: f32, luma: f32) -> f32 {
    // Near black or white the change would clip (and shows as speckle): fade out.
    let headroom = (luma.min(255.0 - luma) / 12.0).clamp(0.15, 1.0);
    BASE * relative_gain(activity) * headroom
}
