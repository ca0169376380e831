//! Embedding: the payload's tile, weighted by a perceptual mask and by informed per-cell
//! amplitudes, added to luma.

use provatar_types::Frame;

use crate::detect::{Candidate, cell_sums, cells_at, fold, whiten_parts, whitened_change};
use crate::filter::{box_mean, luma};
use crate::key::Key;
use crate::pattern::{CELL, CELLS, GRID, Pattern, Payload, TILE, tile_pixels};

/// Strength, in luma levels, where the picture's local activity equals [`ACTIVITY_REF`].
const BASE: f32 = 2.0;
/// Local activity (mean absolute deviation from the 3×3 mean, averaged over 9×9) at which the
/// mark has its base strength. Film grain and hair are far above; clean skin is around 1.
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

/// Marks frames with one key; holds the key's layout so marking a video derives it once.
#[derive(Debug, Clone)]
pub struct Embedder {
    pattern: Pattern,
}

impl Embedder {
    /// Prepares the layout of `key`.
    pub fn new(key: &Key) -> Self {
        Self {
            pattern: Pattern::new(key),
        }
    }

    /// Marks `frame` in place with `payload`.
    ///
    /// The change is the same on R, G and B, so it is a pure luma change: chroma — which H.264
    /// subsamples and quantises harder — is untouched. Any size works: the tile scales by a
    /// whole factor with the shorter side (8-pixel cells, a 256-pixel tile at 512).
    ///
    /// Informed embedding (improved spread spectrum, Malvar & Florêncio 2003): the picture
    /// itself correlates with each cell's sign by chance, and for a still picture that
    /// interference does not average out over frames. The embedder computes exactly what the
    /// detector will measure for the unmarked picture and for the mark, and sets each cell's
    /// amplitude so the picture's part is cancelled — stronger where the picture works against
    /// the cell, weaker where it already agrees — within `[0.4, 2]` of the nominal strength.
    pub fn embed(&self, frame: &mut Frame, payload: &Payload) {
        let width = frame.width() as usize;
        let height = frame.height() as usize;
        let step = tile_step(width, height);
        let side = TILE * step;
        let cells = self.pattern.cell_values(payload);
        let tile = tile_pixels(&cells, step);
        let y = luma(frame.rgb());
        let gain = mask(&y, width, height);
        // The nominal mark.
        let mut mark = vec![0f32; width * height];
        for (yy, (row, g)) in mark
            .chunks_exact_mut(width)
            .zip(gain.chunks_exact(width))
            .enumerate()
        {
            let t_row = &tile[(yy % side) * side..][..side];
            for (x, (m, g)) in row.iter_mut().zip(g).enumerate() {
                *m = g * t_row[x % side];
            }
        }
        // What the detector sees of the picture and of the nominal mark, per cell.
        #[expect(clippy::cast_precision_loss, reason = "a small factor")]
        let scale = step as f32;
        #[expect(clippy::cast_precision_loss, reason = "a small size")]
        let native = Candidate {
            period_x: side as f32,
            period_y: side as f32,
            mirrored: false,
        };
        let (host, inv) = whiten_parts(&y, width, height, scale);
        let host_cells = cells_at(&cell_sums(&fold(&host, width, height, native)), 0, 0);
        let response = whitened_change(&mark, &inv, width, height, scale);
        let mark_cells = cells_at(&cell_sums(&fold(&response, width, height, native)), 0, 0);
        let cell_px = CELL * step;
        // Each cell's share of the nominal mark's energy (squared luma change, all copies).
        let mut energy = vec![0f32; CELLS];
        for (yy, row) in mark.chunks_exact(width).enumerate() {
            let e_row = &mut energy[((yy % side) / cell_px) * GRID..][..GRID];
            for (x, m) in row.iter().enumerate() {
                e_row[(x % side) / cell_px] += m * m;
            }
        }
        // What the picture does to each cell, in units of the nominal mark's response: the
        // amplitude `tau + lean[c]` brings the cell to `tau` times the nominal response.
        let lean: Vec<f32> = (0..CELLS)
            .map(|c| {
                let along = cells[c] * mark_cells[c];
                if along > 0.0 {
                    -cells[c] * host_cells[c] / along
                } else {
                    0.0
                }
            })
            .collect();
        #[expect(clippy::cast_precision_loss, reason = "pixel counts")]
        let budget = TARGET_MSE * (width * height) as f32;
        let tau = solve_tau(&lean, &energy, budget);
        let mut amplitude: Vec<f32> = lean.iter().map(|&l| amplitude_for(tau, l)).collect();
        // The detector's whitening is not linear (the mark adds to the activity it divides
        // by) and the change is rounded to whole levels: measure what the detector will see of
        // the marked picture and correct each cell's amplitude once.
        let mut marked = vec![0f32; width * height];
        apply(&mut marked, &y, &mark, &amplitude, width, side, cell_px);
        let (seen, _) = whiten_parts(&marked, width, height, scale);
        let seen_cells = cells_at(&cell_sums(&fold(&seen, width, height, native)), 0, 0);
        for c in 0..CELLS {
            let along = cells[c] * mark_cells[c];
            if along > 0.0 && amplitude[c] > MIN_AMPLITUDE * tau {
                let shortfall = tau - cells[c] * seen_cells[c] / along;
                amplitude[c] = (amplitude[c] + shortfall).clamp(MIN_AMPLITUDE * tau, GIVE_UP * tau);
            }
        }
        // Keep the whole change within the energy budget after rounding.
        apply(&mut marked, &y, &mark, &amplitude, width, side, cell_px);
        let spent: f32 = marked.iter().zip(&y).map(|(a, b)| (a - b) * (a - b)).sum();
        if spent > budget {
            let shrink = (budget / spent).sqrt();
            for a in &mut amplitude {
                *a *= shrink;
            }
        }
        for (yy, (row, marks)) in frame
            .rgb_mut()
            .chunks_exact_mut(width * 3)
            .zip(mark.chunks_exact(width))
            .enumerate()
        {
            let a_row = &amplitude[((yy % side) / cell_px) * GRID..][..GRID];
            for (x, (px, &m)) in row.chunks_exact_mut(3).zip(marks).enumerate() {
                let d = (m * a_row[(x % side) / cell_px]).round();
                if d != 0.0 {
                    for c in px {
                        #[expect(
                            clippy::cast_possible_truncation,
                            clippy::cast_sign_loss,
                            reason = "clamped to 0..=255"
                        )]
                        {
                            *c = (f32::from(*c) + d).clamp(0.0, 255.0) as u8;
                        }
                    }
                }
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

/// `out = clamp(y + round(mark · amplitude of its cell))`.
fn apply(
    out: &mut [f32],
    y: &[f32],
    mark: &[f32],
    amplitude: &[f32],
    width: usize,
    side: usize,
    cell_px: usize,
) {
    for (yy, ((row, marks), src)) in out
        .chunks_exact_mut(width)
        .zip(mark.chunks_exact(width))
        .zip(y.chunks_exact(width))
        .enumerate()
    {
        let a_row = &amplitude[((yy % side) / cell_px) * GRID..][..GRID];
        for (x, ((v, &m), &l)) in row.iter_mut().zip(marks).zip(src).enumerate() {
            *v = (l + (m * a_row[(x % side) / cell_px]).round()).clamp(0.0, 255.0);
        }
    }
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

/// Per-pixel strength in luma levels: the perceptual mask.
fn mask(y: &[f32], width: usize, height: usize) -> Vec<f32> {
    let local = box_mean(y, width, height, 1);
    let deviation: Vec<f32> = y.iter().zip(&local).map(|(a, b)| (a - b).abs()).collect();
    let activity = box_mean(&deviation, width, height, 4);
    activity
        .iter()
        .zip(y)
        .map(|(&a, &l)| {
            // Near black or white the change would clip (and shows as speckle): fade out.
            let headroom = (l.min(255.0 - l) / 12.0).clamp(0.15, 1.0);
            BASE * relative_gain(a) * headroom
        })
        .collect()
}
