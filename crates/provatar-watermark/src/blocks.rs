//! A video's whole-frame sums under one geometry, and the cell values read from them copy by
//! copy.
//!
//! Folding every copy of the tile onto one tile (see `detect`) adds the picture's interference
//! from every copy of a cell before anything can be done about it. On provatar's videos that
//! interference is the still background's texture: the same in every frame, so it adds up
//! exactly as the mark does, and a few copies that sit on an edge outweigh the rest. The
//! embedder already brings each copy (a *block*) to a common target response `τ` times what
//! the detector expects of the mark there, and leaves the blocks it cannot bring there to the
//! code (see `embed`). So the detector keeps the frames' sums unfolded, predicts each block's
//! response to the mark from the picture alone (the embedder's perceptual mask times the
//! whitening weight), and reads each block relative to that prediction, clipped at
//! [`CLIP`] times the typical ratio: a block that the picture drives far past the target counts
//! no more than one that reached it. A cell's value is the sum over its blocks weighted by
//! the predicted response to the power 1.5 (between the matched filter's 1 and the
//! locally optimal 2).
//!
//! Measured on H.264 CRF 35 copies of 15-s talking heads (BENCHMARKS.md, issue 24): the pilot
//! score rises from 8.8–9.0 to 10.3–10.7 and the content id's raw symbol error rate falls
//! from 14–20 % to 10–12 %.
//!
//! The false-positive bound is untouched: the cell values are functions of the pictures alone
//! (no key sign enters them), so the detector's sign-flip argument applies to them as it
//! does to the plain sums.

use crate::detect::{Candidate, Whitener, unit_map};
use crate::embed::mask;
use crate::pattern::{CELL, GRID, TILE, WINDOW};

/// A block's ratio to its predicted response is clipped at this many times the median ratio
/// over all blocks (0.5–1 measured alike; 0.35 and 1.5 a little worse).
const CLIP: f32 = 0.75;

/// The sums of every frame folded so far under one geometry, unfolded: one value per fine-grid
/// unit of the whole frame.
#[derive(Debug, Clone)]
pub(crate) struct Accumulator {
    /// Unfolded unit of each pixel column and row.
    u_of: Vec<usize>,
    v_of: Vec<usize>,
    units_x: usize,
    units_y: usize,
    mirrored: bool,
    /// Sum over frames of the whitened picture, per unit.
    white: Vec<f32>,
    /// Sum over frames of the response the mark is expected to have, per unit.
    expected: Vec<f32>,
    /// One frame's whitened units, before they are added.
    frame: Vec<f32>,
}

impl Accumulator {
    /// An empty sum for pictures of `width × height` under geometry `c`.
    pub(crate) fn new(width: usize, height: usize, c: Candidate) -> Self {
        let u_of = unit_map(width, c.period_x);
        let v_of = unit_map(height, c.period_y);
        let units_x = u_of.last().map_or(0, |u| u + 1);
        let units_y = v_of.last().map_or(0, |v| v + 1);
        Self {
            u_of,
            v_of,
            units_x,
            units_y,
            mirrored: c.mirrored,
            white: vec![0.0; units_x * units_y],
            expected: vec![0.0; units_x * units_y],
            frame: vec![0.0; units_x * units_y],
        }
    }

    /// The tile coordinate of an unfolded column.
    fn tile_u(&self, u: usize) -> usize {
        if self.mirrored {
            TILE - 1 - u % TILE
        } else {
            u % TILE
        }
    }

    /// Adds a frame whose luma `y` was just whitened by `whitener` under this geometry, and
    /// returns that frame folded onto the tile (`TILE × TILE`).
    pub(crate) fn add(&mut self, whitener: &Whitener, y: &[f32]) -> Vec<f32> {
        let width = self.u_of.len();
        self.frame.fill(0.0);
        let rows = whitener
            .white
            .chunks_exact(width)
            .zip(whitener.activity.chunks_exact(width))
            .zip(whitener.weight.chunks_exact(width))
            .zip(y.chunks_exact(width));
        for ((((white, act), wt), lum), &v) in rows.zip(&self.v_of) {
            let at = v * self.units_x;
            let frame = &mut self.frame[at..at + self.units_x];
            let expected = &mut self.expected[at..at + self.units_x];
            for (((&value, (&a, &w)), &l), &u) in white
                .iter()
                .zip(act.iter().zip(wt))
                .zip(lum)
                .zip(&self.u_of)
            {
                frame[u] += value;
                expected[u] += mask(a, l) * w;
            }
        }
        let mut tile = vec![0f32; TILE * TILE];
        for (row, v) in self.frame.chunks_exact(self.units_x).zip(0..) {
            let t = &mut tile[(v % TILE) * TILE..][..TILE];
            for (u, &value) in row.iter().enumerate() {
                t[self.tile_u(u)] += value;
            }
        }
        for (s, f) in self.white.iter_mut().zip(&self.frame) {
            *s += f;
        }
        tile
    }

    /// All frames so far folded onto the tile.
    pub(crate) fn folded(&self) -> Vec<f32> {
        let mut tile = vec![0f32; TILE * TILE];
        if self.units_x == 0 {
            return tile;
        }
        for (row, v) in self.white.chunks_exact(self.units_x).zip(0..) {
            let t = &mut tile[(v % TILE) * TILE..][..TILE];
            for (u, &value) in row.iter().enumerate() {
                t[self.tile_u(u)] += value;
            }
        }
        tile
    }

    /// The `GRID × GRID` cell values (row-major) with the tile at offset `(ox, oy)`: each
    /// block's windowed sum read against its predicted response (see the module docs).
    pub(crate) fn robust_cells(&self, ox: usize, oy: usize) -> Vec<f32> {
        // A block is named by the unfolded position of its first unit, which may lie up to a
        // cell before the frame's first unit: hence the margin.
        let across = self.units_x + 2 * CELL;
        let slots = across * (self.units_y + 2 * CELL);
        let mut sum = vec![0f32; slots];
        let mut expected = vec![0f32; slots];
        let mut cell = vec![u16::MAX; slots];
        for v in 0..self.units_y {
            let tv = (v % TILE + TILE - oy) % TILE;
            let (r, i) = (tv / CELL, tv % CELL);
            let base_v = v + CELL - i;
            for u in 0..self.units_x {
                let tu = (self.tile_u(u) + TILE - ox) % TILE;
                let (c, j) = (tu / CELL, tu % CELL);
                // Along a mirrored row the tile runs backwards: the block's first unit is
                // further right.
                let base_u = if self.mirrored {
                    u + CELL + j
                } else {
                    u + CELL - j
                };
                let slot = base_v * across + base_u;
                let w = WINDOW[i] * WINDOW[j];
                let at = v * self.units_x + u;
                sum[slot] += w * self.white[at];
                expected[slot] += w * self.expected[at];
                #[expect(clippy::cast_possible_truncation, reason = "cells < 1024")]
                {
                    cell[slot] = (r * GRID + c) as u16;
                }
            }
        }
        let mut ratios: Vec<f32> = sum
            .iter()
            .zip(&expected)
            .zip(&cell)
            .filter(|&((_, &e), &c)| c != u16::MAX && e > 0.0)
            .map(|((&s, &e), _)| (s / e).abs())
            .collect();
        let mut cells = vec![0f32; GRID * GRID];
        if ratios.is_empty() {
            return cells;
        }
        let mid = ratios.len() / 2;
        let (_, &mut median, _) = ratios.select_nth_unstable_by(mid, f32::total_cmp);
        let limit = CLIP * median;
        for ((&s, &e), &c) in sum.iter().zip(&expected).zip(&cell) {
            if c != u16::MAX && e > 0.0 {
                cells[usize::from(c)] += e * e.sqrt() * (s / e).clamp(-limit, limit);
            }
        }
        cells
    }
}
