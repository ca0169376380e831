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
const MIN_GAIN: f32 = 0.5;
const MAX_GAIN: f32 = 1.5;
/// Range of the informed per-cell amplitude (see [`Embedder::embed`]).
const MIN_AMPLITUDE: f32 = 0.4;
const MAX_AMPLITUDE: f32 = 1.8;

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
        let mut amplitude: Vec<f32> = (0..CELLS)
            .map(|c| {
                let along = cells[c] * mark_cells[c];
                if along <= 0.0 {
                    return 1.0;
                }
                (1.0 - cells[c] * host_cells[c] / along).clamp(MIN_AMPLITUDE, MAX_AMPLITUDE)
            })
            .collect();
        let cell_px = CELL * step;
        // The detector's whitening is not linear (the mark adds to the activity it divides
        // by) and the change is rounded to whole levels: measure what the detector will see of
        // the marked picture and correct each cell's amplitude once.
        let mut marked = vec![0f32; width * height];
        for (yy, ((row, marks), src)) in marked
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
        let (seen, _) = whiten_parts(&marked, width, height, scale);
        let seen_cells = cells_at(&cell_sums(&fold(&seen, width, height, native)), 0, 0);
        for c in 0..CELLS {
            let along = cells[c] * mark_cells[c];
            if along > 0.0 {
                let shortfall = (along - cells[c] * seen_cells[c]) / along;
                amplitude[c] = (amplitude[c] + shortfall).clamp(MIN_AMPLITUDE, MAX_AMPLITUDE);
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

/// Pixels per fine-grid unit: 2 on a 512-pixel frame (8-pixel cells, a 256-pixel tile), a
/// whole factor that follows the shorter side (at least 1).
pub(crate) fn tile_step(width: usize, height: usize) -> usize {
    (width.min(height) / 256).max(1)
}

/// Marks `frame` in place with `payload` under `key` (see [`Embedder::embed`]).
pub fn embed(frame: &mut Frame, payload: &Payload, key: &Key) {
    Embedder::new(key).embed(frame, payload);
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
            BASE * (a / ACTIVITY_REF).clamp(MIN_GAIN, MAX_GAIN) * headroom
        })
        .collect()
}
