//! Detection: find the tile's scale and offset, test for the pilot, read the payload.
//!
//! # The test and its false-positive rate
//!
//! After the frames are whitened and summed (see [`VideoDetector`]), each pilot cell gives a
//! value `g_c`; the statistic at a tile offset `o` is `z(o) = Σ s_c g_c(o) / sqrt(Σ g_c(o)²)`,
//! with `s_c` the key's signs. The offset is found on the sums folded onto one tile (`g_c` the
//! windowed sum of every copy of the cell); the video's score and content id are then read
//! from each copy of each cell against the mark's predicted response there (`blocks`), which
//! keeps a few copies on the background's edges from drowning the rest. For a video that does
//! not carry this key's mark — unmarked, or marked under another key — the signs are
//! independent of the pictures (they come from SHA-256 of the key), and either kind of `g_c` is
//! a function of the pictures alone, so given the pictures `Σ s_c g_c` is a sum of independent
//! symmetric ±`g_c` terms and Hoeffding's inequality gives `P(z ≥ t) ≤ exp(−t²/2)` exactly,
//! whatever the pictures are. The detector tries
//! [`HYPOTHESES`] (offsets × scale candidates) and reports the union bound
//! `p = HYPOTHESES · exp(−z²/2)`; a video is "detected" when `p ≤ FALSE_POSITIVE_RATE` (1e-9),
//! i.e. `z ≥ 8.44`. When the content id decodes — the first of the 64 likeliest words (list
//! Viterbi) whose CRC-32 checks — the bound is multiplied by 64 · 2⁻³², the chance that one of
//! 64 random words passes: under the null each candidate is uniformly distributed (flipping the
//! key's id-cell signs by a codeword, which leaves their distribution unchanged, shifts every
//! candidate by that codeword) and independent of the pilot, which uses other cells. Then
//! `z ≥ 5.93` suffices. The bound does not depend on the content, the number of frames, or any
//! assumption that pixels are Gaussian or independent.
//!
//! # Geometry
//!
//! The mark repeats with the tile, so every frame folds onto one tile under a candidate
//! scale. The detector averages the first eight frames (the mark does not move between frames),
//! tries 176 tile periods from 0.2 to 0.8 times the frame's shorter side (steps of 0.8 %, fine
//! enough to keep the fold within a quarter cell across the frame; unattacked frames carry
//! 0.33–0.5, crops raise it) plus the unscaled tile mirrored, and keeps the one whose best pilot offset scores highest —
//! scoring every fourth scale first, then the neighbours of the three best (the bound counts
//! every candidate all the same, since which are scored depends on the picture). When that is
//! not the unscaled tile, the unscaled tile is folded alongside for the first 100 frames and
//! the better of the two kept (on heavily re-encoded copies a wrong scale can win on eight).
//! Borders added by letterboxing whiten to zero and do not disturb it; a crop shifts the tile,
//! which the offset search over the tile's positions finds. Rotation and anamorphic stretching
//! are not searched.

use provatar_types::{ContentId, Frame};

use crate::blocks::Accumulator;
use crate::ecc;
use crate::embed::{relative_gain, tile_step};
use crate::filter::{BoxScratch, add_units, box_rows, luma, luma_into};
use crate::key::Key;
use crate::order::{FrameAnomaly, anomalies};
use crate::pattern::{
    CELL, GRID, ID_BITS, ID_SYMBOLS, INDEX_BITS, INDEX_SYMBOLS, Pattern, TILE, WINDOW,
    parse_id_bits, parse_index_bits,
};

/// The false-positive rate the detector guarantees per video (and per picture).
pub const FALSE_POSITIVE_RATE: f64 = 1e-9;
/// Tile periods searched, relative to the frame's shorter side: from `SCALE_MIN` up by factors
/// of `SCALE_RATIO` (a 0.8 % step keeps the fold within a quarter cell across the frame), at
/// most `SCALES` of them. An unattacked frame carries 0.33–0.5 (the tile is a whole multiple
/// of 128 pixels, at most half the shorter side); downscaling and letterboxing keep the ratio,
/// cropping raises it (by 1.25 for 10 % off each side).
const SCALE_MIN: f32 = 0.2;
const SCALE_MAX: f32 = 0.8;
const SCALE_RATIO: f32 = 1.008;
const SCALES: usize = 176;
/// The scale search's first pass scores every `COARSE`-th scale, the second the scales around
/// the `REFINE` best of those.
const COARSE: usize = 4;
const REFINE: usize = 3;
/// Candidates rescored at every offset before the choice.
const FINALISTS: usize = 4;
/// Geometric candidates tried per video: every scale, and the unscaled tile mirrored.
const MAX_CANDIDATES: usize = SCALES + 1;
/// While choosing the scale, offsets are searched on every `SYNC_OFFSET_STEP`-th fine
/// position along each axis (a cell is four units wide, so the best of these is at most one
/// unit off); the final test, once per video, tries every position.
const SYNC_OFFSET_STEP: usize = 2;
/// Hypotheses the union bound covers: every tile offset tried, for every candidate.
pub const HYPOTHESES: f64 = (TILE * TILE * MAX_CANDIDATES) as f64;
/// Frames whose average sets the geometry before the rest are folded.
const SYNC_FRAMES: usize = 8;
/// When those frames choose another geometry than the unscaled tile, both are folded until
/// this many frames, and the one the frames so far show better is kept: on heavily re-encoded
/// copies (H.264 CRF 35) a wrong scale sometimes wins on eight frames.
const SECOND_OPINION_FRAMES: usize = 100;
/// Frames whose folded tiles are kept before the per-frame reports' offset is fixed; after
/// that each frame is reported as it comes and its tile dropped, so a long video needs no more
/// memory than this many tiles (16 MiB). Per-frame reports matter only where one frame alone
/// scores ≥ 4, and then these frames together score ≥ 60: their best offset is the mark's.
const LOCK_FRAMES: usize = 250;
/// Per-frame score above which a frame counts as marked (offset known: p ≤ 3.4e-4 per frame).
pub(crate) const FRAME_Z: f32 = 4.0;
/// Score a frame-index codeword needs before its index is trusted.
const INDEX_Z: f32 = 5.0;

/// Candidate words the content-id decoder checks (list Viterbi). With 16, about one H.264
/// CRF 35 copy of an 8-s talking head in twelve scored 7.5–8.8 but found its id only past the
/// 16th word; 64 finds it, for a decoded threshold of 5.93 instead of 5.69.
const ID_LIST: usize = 64;
/// Chance that one of the [`ID_LIST`] candidates decoded from a video without this key's mark
/// passes the content id's 32-bit CRC: each candidate is uniformly distributed (the sign-flip
/// symmetry argument in the module docs), so at most `ID_LIST · 2⁻³²`.
#[expect(clippy::cast_precision_loss, reason = "a small count")]
const CRC_PASS: f64 = ID_LIST as f64 / 4_294_967_296.0;

/// The bound on the chance of a pilot score `z` (and, when `decoded`, a content id whose CRC
/// checks) at any of the hypotheses, for a video without this key's mark.
fn p_value(z: f32, decoded: bool) -> f64 {
    let tail = (-0.5 * f64::from(z) * f64::from(z)).exp();
    let crc = if decoded { CRC_PASS } else { 1.0 };
    (HYPOTHESES * tail * crc).min(1.0)
}

/// The pilot score a video must reach to be detected at [`FALSE_POSITIVE_RATE`] when its
/// content id does not decode (≈ 8.44).
pub fn detection_threshold() -> f32 {
    #[expect(clippy::cast_possible_truncation, reason = "a small positive value")]
    {
        (2.0 * (HYPOTHESES / FALSE_POSITIVE_RATE).ln()).sqrt() as f32
    }
}

/// The pilot score that suffices when the content id decodes with a valid CRC (≈ 5.93).
pub fn decoded_threshold() -> f32 {
    #[expect(clippy::cast_possible_truncation, reason = "a small positive value")]
    {
        (2.0 * (HYPOTHESES * CRC_PASS / FALSE_POSITIVE_RATE).ln()).sqrt() as f32
    }
}

/// Why detection could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DetectError {
    /// Frames of one video must share a size.
    #[error("frame {frame} is {got_w}x{got_h}, the video's first frame was {want_w}x{want_h}")]
    SizeChanged {
        /// Position of the offending frame.
        frame: usize,
        /// Its width.
        got_w: u32,
        /// Its height.
        got_h: u32,
        /// The first frame's width.
        want_w: u32,
        /// The first frame's height.
        want_h: u32,
    },
}

/// Where the tile was found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// Tile period in pixels along x (128 on an unscaled 512-pixel frame).
    pub period_x: f32,
    /// Tile period in pixels along y.
    pub period_y: f32,
    /// Tile offset in fine-grid units (0..128) along x.
    pub offset_x: u16,
    /// Tile offset along y.
    pub offset_y: u16,
    /// Whether the picture was mirrored left to right.
    pub mirrored: bool,
}

/// What one frame shows.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameReport {
    /// The pilot score of this frame alone, at the video's geometry.
    pub score: f32,
    /// Whether the score alone shows the mark (`score ≥ 4`).
    pub marked: bool,
    /// The frame index it carries, when readable (CRC and score checked).
    pub frame_index: Option<u16>,
    /// The 64 content-id bits decoded from this frame alone.
    pub content_id_bits: u64,
    /// Share of those bits equal to the video's content id (when the video's id was read).
    pub bit_accuracy: Option<f32>,
}

/// The result of detection on a picture or video.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Whether the mark of this key is present (`p_value ≤ 1e-9`).
    pub detected: bool,
    /// The content id, when detected and its codeword's CRC checks.
    pub content_id: Option<ContentId>,
    /// Upper bound on the chance of a score this high without the mark (union bound).
    pub p_value: f64,
    /// The pilot score `z` over all frames.
    pub score: f32,
    /// Frames examined.
    pub frames: usize,
    /// Frames whose own score shows the mark.
    pub frames_marked: usize,
    /// Mean over frames of the per-frame content-id bit accuracy (when the id was read).
    pub bit_accuracy: Option<f32>,
    /// Cuts, reorders and unmarked insertions found from the frame indices.
    pub frame_anomalies: Vec<FrameAnomaly>,
    /// Per-frame details, in decoded order.
    pub per_frame: Vec<FrameReport>,
    /// Where the tile was found (the best candidate, also when not detected).
    pub geometry: Option<Geometry>,
}

/// Detects the mark in one picture.
pub fn detect_frame(frame: &Frame, key: &Key) -> Detection {
    let mut detector = VideoDetector::new(key);
    // A single frame cannot change size.
    let _ = detector.push(frame);
    detector.finish()
}

/// A geometric hypothesis: how a frame pixel maps onto the fine grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Candidate {
    pub(crate) period_x: f32,
    pub(crate) period_y: f32,
    pub(crate) mirrored: bool,
}

impl Candidate {
    /// Pixels per fine-grid unit.
    fn scale(self) -> f32 {
        (self.period_x * self.period_y).sqrt() / TILE as f32
    }
}

/// Aggregates frames of one video and detects the mark over all of them.
///
/// Feed frames in decoded order with [`push`](Self::push); [`finish`](Self::finish) reports. The
/// first eight frames are kept (whitened) until the geometry is settled; after that each frame
/// costs one whitening and one fold (twice both, for the first 100 frames, when the geometry
/// chosen is not the unscaled tile). The folded tiles (64 KiB each) are kept until 250 frames
/// fix the offset of the per-frame reports; from then on each frame is reported as it comes, so
/// an hour of video takes no more memory than ten seconds. Besides, the sum of every frame is
/// kept unfolded (one value per fine-grid unit of the frame, and the mark's predicted response
/// per unit: 512 KiB at 512×512), from which the video's score and content id are read.
pub struct VideoDetector {
    pattern: Pattern,
    size: Option<(u32, u32)>,
    sync: Vec<Vec<f32>>,
    /// The geometry chosen, and the sums of every frame under it.
    chosen: Option<(Candidate, Accumulator)>,
    folds: Vec<Vec<f32>>,
    /// Once [`LOCK_FRAMES`] frames are folded: the offset the per-frame reports use and the
    /// reports of the frames whose tiles were dropped.
    locked: Option<Locked>,
    /// Frames held before the offset is fixed ([`LOCK_FRAMES`]; tests lower it).
    lock_after: usize,
    /// The unscaled tile, folded alongside while the choice is open (see
    /// [`SECOND_OPINION_FRAMES`]).
    second: Option<(Candidate, Vec<Vec<f32>>, Accumulator)>,
    y: Vec<f32>,
    whitener: Whitener,
}

/// See [`VideoDetector::locked`].
#[derive(Debug)]
struct Locked {
    offset: (usize, usize),
    reports: Vec<FrameReport>,
}

impl std::fmt::Debug for VideoDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoDetector")
            .field("size", &self.size)
            .field("frames", &self.frames())
            .finish_non_exhaustive()
    }
}

impl VideoDetector {
    /// A detector for marks made with `key`.
    pub fn new(key: &Key) -> Self {
        Self {
            pattern: Pattern::new(key),
            size: None,
            sync: Vec::new(),
            chosen: None,
            folds: Vec::new(),
            locked: None,
            lock_after: LOCK_FRAMES,
            second: None,
            y: Vec::new(),
            whitener: Whitener::default(),
        }
    }

    /// Adds the next frame.
    pub fn push(&mut self, frame: &Frame) -> Result<(), DetectError> {
        let (w, h) = (frame.width(), frame.height());
        match self.size {
            None => self.size = Some((w, h)),
            Some((want_w, want_h)) if (want_w, want_h) != (w, h) => {
                return Err(DetectError::SizeChanged {
                    frame: self.frames(),
                    got_w: w,
                    got_h: h,
                    want_w,
                    want_h,
                });
            }
            Some(_) => {}
        }
        let (width, height) = (w as usize, h as usize);
        if let Some((c, acc)) = &mut self.chosen {
            luma_into(frame.rgb(), &mut self.y);
            self.whitener.run(&self.y, width, height, c.scale());
            let folded = acc.add(&self.whitener, &self.y);
            if let Some(locked) = &mut self.locked {
                let (ox, oy) = locked.offset;
                locked
                    .reports
                    .push(frame_report(&folded, ox, oy, &self.pattern));
                return Ok(());
            }
            self.folds.push(folded);
            if let Some((n, folds, acc)) = &mut self.second {
                self.whitener.run(&self.y, width, height, n.scale());
                folds.push(acc.add(&self.whitener, &self.y));
                if folds.len() >= SECOND_OPINION_FRAMES {
                    self.second_opinion();
                }
            }
            if self.second.is_none() && self.folds.len() >= self.lock_after {
                self.lock();
            }
        } else {
            self.sync.push(luma(frame.rgb()));
            if self.sync.len() == SYNC_FRAMES {
                self.settle();
            }
        }
        Ok(())
    }

    /// Chooses the geometry from the buffered frames and folds them.
    ///
    /// The mark does not move from frame to frame, so the buffered frames' average shows it
    /// at least as well as any one of them; every candidate scale is folded from that average
    /// and scored by its best pilot offset, on two threads.
    fn settle(&mut self) {
        let Some((w, h)) = self.size else { return };
        let (width, height) = (w as usize, h as usize);
        if self.sync.is_empty() {
            return;
        }
        let mut mean = vec![0f32; width * height];
        for y in &self.sync {
            for (m, v) in mean.iter_mut().zip(y) {
                *m += v;
            }
        }
        #[expect(clippy::cast_precision_loss, reason = "a handful of frames")]
        let inv = 1.0 / self.sync.len() as f32;
        for m in &mut mean {
            *m *= inv;
        }
        let candidates = candidates(width, height);
        // Whitening depends on the scale only through its rounded radii: whiten once per
        // distinct pair.
        let mut whitened: Vec<((usize, usize), Vec<f32>)> = Vec::new();
        for c in &candidates {
            let radii = whitening_radii(c.scale());
            if !whitened.iter().any(|(r, _)| *r == radii) {
                whitened.push((radii, whiten(&mean, width, height, c.scale())));
            }
        }
        let score_at = |c: &Candidate, step: usize| -> f32 {
            let radii = whitening_radii(c.scale());
            let Some((_, white)) = whitened.iter().find(|(r, _)| *r == radii) else {
                return f32::NEG_INFINITY;
            };
            let sums = cell_sums(&fold(white, width, height, *c));
            search_offset(&sums, &self.pattern, step)
                .first()
                .map_or(f32::NEG_INFINITY, |h| h.0)
        };
        let score = |c: &Candidate| score_at(c, SYNC_OFFSET_STEP);
        // Coarse to fine: every fourth scale (and the mirrored candidate) first, then the
        // scales around the three best. The union bound still counts every candidate, since
        // which ones are scored depends on the picture.
        let mut scores = vec![f32::NEG_INFINITY; candidates.len()];
        let coarse: Vec<usize> = (0..candidates.len())
            .filter(|&i| i % COARSE == 0 || candidates[i].mirrored)
            .collect();
        score_all(&coarse, &candidates, &score, &mut scores);
        let mut ranked: Vec<usize> = coarse
            .iter()
            .copied()
            .filter(|&i| !candidates[i].mirrored)
            .collect();
        ranked.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        let mut fine: Vec<usize> = Vec::new();
        for &i in ranked.iter().take(REFINE) {
            for j in i.saturating_sub(COARSE - 1)..(i + COARSE) {
                if j < candidates.len()
                    && !candidates[j].mirrored
                    && scores[j] == f32::NEG_INFINITY
                    && !fine.contains(&j)
                {
                    fine.push(j);
                }
            }
        }
        score_all(&fine, &candidates, &score, &mut scores);
        // The best few again at every offset: a tile one unit off the coarse offsets can make a
        // neighbouring scale look better.
        let mut order: Vec<usize> = (0..candidates.len())
            .filter(|&i| scores[i] > f32::NEG_INFINITY)
            .collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        order.truncate(FINALISTS);
        let mut exact = vec![f32::NEG_INFINITY; candidates.len()];
        score_all(
            &order,
            &candidates,
            &|c: &Candidate| score_at(c, 1),
            &mut exact,
        );
        let best = exact
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| candidates[i]);
        if let Some(c) = best {
            let whitener = &mut self.whitener;
            let mut fold_all = |c: Candidate| -> (Vec<Vec<f32>>, Accumulator) {
                let mut acc = Accumulator::new(width, height, c);
                let folds = self
                    .sync
                    .iter()
                    .map(|y| {
                        whitener.run(y, width, height, c.scale());
                        acc.add(whitener, y)
                    })
                    .collect();
                (folds, acc)
            };
            let (folds, acc) = fold_all(c);
            self.folds = folds;
            self.chosen = Some((c, acc));
            // The unscaled tile: the geometry of every copy that kept the picture's size.
            let native = candidates
                .iter()
                .find(|n| !n.mirrored && (n.period_x - native_period(width, height)).abs() < 0.5)
                .copied();
            if let Some(n) = native.filter(|n| *n != c) {
                let (folds, acc) = fold_all(n);
                self.second = Some((n, folds, acc));
            }
        }
        self.sync.clear();
    }

    /// Keeps whichever of the chosen geometry and the unscaled tile the frames so far show
    /// better (by the best pilot score over all offsets of each).
    fn second_opinion(&mut self) {
        let Some((native, folds, acc)) = self.second.take() else {
            return;
        };
        let best = |folds: &[Vec<f32>]| {
            search_offset(&cell_sums(&sum_folds(folds)), &self.pattern, 1)
                .first()
                .map_or(f32::NEG_INFINITY, |h| h.0)
        };
        if best(&folds) > best(&self.folds) {
            self.chosen = Some((native, acc));
            self.folds = folds;
        }
    }

    /// Fixes the offset the per-frame reports use at the best one of the frames so far,
    /// reports those frames and drops their tiles (see [`LOCK_FRAMES`]).
    fn lock(&mut self) {
        let total = sum_folds(&self.folds);
        let (_, ox, oy) = search_offset(&cell_sums(&total), &self.pattern, 1)
            .first()
            .copied()
            .unwrap_or((0.0, 0, 0));
        let reports = self
            .folds
            .iter()
            .map(|f| frame_report(f, ox, oy, &self.pattern))
            .collect();
        self.folds = Vec::new();
        self.locked = Some(Locked {
            offset: (ox, oy),
            reports,
        });
    }

    /// Frames pushed so far.
    pub fn frames(&self) -> usize {
        self.sync.len() + self.folds.len() + self.locked.as_ref().map_or(0, |l| l.reports.len())
    }

    /// Tests for the mark over all frames and reads the payload.
    pub fn finish(mut self) -> Detection {
        if self.chosen.is_none() {
            self.settle();
        }
        self.second_opinion();
        let Some((candidate, acc)) = self.chosen.take() else {
            return Detection {
                detected: false,
                content_id: None,
                p_value: 1.0,
                score: 0.0,
                frames: 0,
                frames_marked: 0,
                bit_accuracy: None,
                frame_anomalies: Vec::new(),
                per_frame: Vec::new(),
                geometry: None,
            };
        };
        let locked = self.locked.take().map(|l| (l.offset, l.reports));
        // The offset from the folded sums; the score and the id from the blocks read against
        // their predicted response (see `blocks`), at the best few offsets.
        let ranked = search_offset(&cell_sums(&acc.folded()), &self.pattern, 1);
        let (mut score, mut ox, mut oy) = (f32::NEG_INFINITY, 0, 0);
        let mut content_id = None;
        for &(_, x, y) in &ranked {
            let cells = acc.robust_cells(x, y);
            let z = pilot_score(&cells, &self.pattern);
            if z >= decoded_threshold()
                && let Some(id) = read_id(&cells, &self.pattern)
            {
                (score, ox, oy, content_id) = (z, x, y, Some(id));
                break;
            }
            if z > score {
                (score, ox, oy) = (z, x, y);
            }
        }
        if score == f32::NEG_INFINITY {
            score = 0.0;
        }
        let p_value = p_value(score, content_id.is_some());
        let detected = p_value <= FALSE_POSITIVE_RATE;
        // The offset fixed after the first frames, or the video's.
        let mut per_frame: Vec<FrameReport> = match locked {
            Some((_, reports)) => reports,
            None => self
                .folds
                .iter()
                .map(|f| frame_report(f, ox, oy, &self.pattern))
                .collect(),
        };
        if let Some(id) = content_id {
            for f in &mut per_frame {
                #[expect(clippy::cast_precision_loss, reason = "bit counts")]
                let accuracy = (64 - (id.get() ^ f.content_id_bits).count_ones()) as f32 / 64.0;
                f.bit_accuracy = Some(accuracy);
            }
        }
        let frames_marked = per_frame.iter().filter(|f| f.marked).count();
        #[expect(clippy::cast_precision_loss, reason = "frame counts")]
        let bit_accuracy = content_id.map(|_| {
            per_frame.iter().filter_map(|f| f.bit_accuracy).sum::<f32>() / per_frame.len() as f32
        });
        let frame_anomalies = if detected {
            anomalies(&per_frame)
        } else {
            Vec::new()
        };
        #[expect(clippy::cast_possible_truncation, reason = "offsets < 128")]
        let geometry = Some(Geometry {
            period_x: candidate.period_x,
            period_y: candidate.period_y,
            offset_x: ox as u16,
            offset_y: oy as u16,
            mirrored: candidate.mirrored,
        });
        Detection {
            detected,
            content_id,
            p_value,
            score,
            frames: per_frame.len(),
            frames_marked,
            bit_accuracy,
            frame_anomalies,
            per_frame,
            geometry,
        }
    }
}

/// Scores the candidates `which` on two threads into `scores`.
fn score_all(
    which: &[usize],
    candidates: &[Candidate],
    score: &(impl Fn(&Candidate) -> f32 + Sync),
    scores: &mut [f32],
) {
    let half = which.len().div_ceil(2);
    let (first, second) = which.split_at(half);
    let found: Vec<f32> = std::thread::scope(|s| {
        let other = s.spawn(|| {
            second
                .iter()
                .map(|&i| score(&candidates[i]))
                .collect::<Vec<_>>()
        });
        let mut mine: Vec<f32> = first.iter().map(|&i| score(&candidates[i])).collect();
        match other.join() {
            Ok(theirs) => mine.extend(theirs),
            Err(_) => mine.extend(second.iter().map(|&i| score(&candidates[i]))),
        }
        mine
    });
    for (&i, v) in which.iter().zip(found) {
        scores[i] = v;
    }
}

/// The geometric candidates for a frame size: the tile a frame of this size would carry,
/// scaled over `[SCALE_MIN, SCALE_MAX]`, plus that tile mirrored.
/// The unscaled tile's period in pixels for a picture of this size.
#[expect(clippy::cast_precision_loss, reason = "a small size")]
fn native_period(width: usize, height: usize) -> f32 {
    (TILE * tile_step(width, height)) as f32
}

fn candidates(width: usize, height: usize) -> Vec<Candidate> {
    let native = native_period(width, height);
    #[expect(clippy::cast_precision_loss, reason = "a small size")]
    let short = width.min(height) as f32;
    let mut out = Vec::with_capacity(MAX_CANDIDATES);
    let mut s = SCALE_MIN;
    while s <= SCALE_MAX && out.len() < SCALES {
        out.push(Candidate {
            period_x: short * s,
            period_y: short * s,
            mirrored: false,
        });
        s *= SCALE_RATIO;
    }
    // The unscaled tile exactly (the usual case), replacing its nearest grid neighbour.
    if let Some(nearest) = out.iter_mut().min_by(|a, b| {
        (a.period_x - native)
            .abs()
            .total_cmp(&(b.period_x - native).abs())
    }) {
        nearest.period_x = native;
        nearest.period_y = native;
    }
    out.push(Candidate {
        period_x: native,
        period_y: native,
        mirrored: true,
    });
    out
}

/// The detector's view of a picture: luma minus its local mean, weighted by [`weight`].
///
/// Subtracting the local mean (5×5 at the native scale) removes the picture's smooth content,
/// which carries most of its energy but little of the mark's; the weight keeps edges, hair and
/// texture — where the picture is loud and the mark, relative to it, quiet — from dominating
/// the sums.
pub(crate) fn whiten(y: &[f32], width: usize, height: usize, scale: f32) -> Vec<f32> {
    let mut w = Whitener::default();
    w.run(y, width, height, scale);
    w.white
}

/// The whitening's buffers, reused from frame to frame; after [`run`](Self::run) it holds the
/// whitened picture, the local activity and the per-pixel weight (which the embedder needs to
/// predict the detector's response to the mark).
#[derive(Debug, Default, Clone)]
pub(crate) struct Whitener {
    boxes: BoxScratch,
    /// One row of a response, before binning.
    line: Vec<f32>,
    magnitude: Vec<f32>,
    /// Local mean absolute residual.
    pub(crate) activity: Vec<f32>,
    /// Per-pixel weight ([`weight`] of the activity).
    pub(crate) weight: Vec<f32>,
    /// The whitened picture.
    pub(crate) white: Vec<f32>,
}

impl Whitener {
    /// Whitens `y` (see [`whiten`]).
    pub(crate) fn run(&mut self, y: &[f32], width: usize, height: usize, scale: f32) {
        let (r_mean, r_activity) = whitening_radii(scale);
        let n = width * height;
        let Self {
            boxes,
            magnitude,
            activity,
            weight: weights,
            white,
            ..
        } = self;
        // Every element is written below: only the length needs setting.
        for v in [&mut *magnitude, &mut *activity, &mut *weights, &mut *white] {
            v.resize(n, 0.0);
        }
        box_rows(y, width, height, r_mean, boxes, |row, mean| {
            let at = row * width..(row + 1) * width;
            let (src, res, mag) = (&y[at.clone()], &mut white[at.clone()], &mut magnitude[at]);
            for (((r, m), &v), &mu) in res.iter_mut().zip(mag).zip(src).zip(mean) {
                *r = v - mu;
                *m = r.abs();
            }
        });
        box_rows(magnitude, width, height, r_activity, boxes, |row, act| {
            let at = row * width..(row + 1) * width;
            let (a_row, w_row, res) = (
                &mut activity[at.clone()],
                &mut weights[at.clone()],
                &mut white[at],
            );
            for (((a, w), r), &v) in a_row.iter_mut().zip(w_row).zip(res).zip(act) {
                *a = v;
                *w = weight(v);
                *r *= *w;
            }
        });
    }

    /// The mean absolute residual of the picture last whitened over a small box (radius
    /// `r`), into `out`: the texture a viewer sees right around each pixel.
    pub(crate) fn local_activity(
        &mut self,
        width: usize,
        height: usize,
        r: usize,
        out: &mut Vec<f32>,
    ) {
        out.resize(width * height, 0.0);
        box_rows(
            &self.magnitude,
            width,
            height,
            r,
            &mut self.boxes,
            |row, act| {
                out[row * width..(row + 1) * width].copy_from_slice(act);
            },
        );
    }

    /// The detector's (linearised) response to a small luma change `d` of the picture last
    /// whitened, summed over `step × step` squares of the whole frame (see `embed`).
    pub(crate) fn response_plane(
        &mut self,
        d: &[f32],
        width: usize,
        height: usize,
        scale: f32,
        step: usize,
        plane: &mut Vec<f32>,
    ) {
        let (r_mean, _) = whitening_radii(scale);
        let pw = width.div_ceil(step);
        plane.clear();
        plane.resize(pw * height.div_ceil(step), 0.0);
        let (weights, line) = (&self.weight, &mut self.line);
        box_rows(d, width, height, r_mean, &mut self.boxes, |row, mean| {
            let at = row * width..(row + 1) * width;
            line.clear();
            line.extend(
                d[at.clone()]
                    .iter()
                    .zip(mean)
                    .zip(&weights[at])
                    .map(|((v, m), w)| (v - m) * w),
            );
            add_units(&mut plane[(row / step) * pw..][..pw], line, step);
        });
    }
}

/// Variance, in squared luma levels, that every pixel carries besides the picture's texture
/// (rounding, coding noise): it bounds the weight of the flattest areas.
const NOISE_FLOOR: f32 = 1.0;

/// The weight of a pixel whose neighbourhood has mean absolute residual `activity`: the mark's
/// expected strength there (the embedder's mask, [`relative_gain`]) over the picture's local
/// variance — the locally optimal correlator for a signal in noise of varying strength. Flat
/// areas, where the mark is weak but the picture quieter still, count most; texture least.
fn weight(activity: f32) -> f32 {
    relative_gain(activity) / (activity * activity + NOISE_FLOOR)
}

/// Box radii of the whitening filter at a picture scale (1 = the embedding scale): the filter
/// follows the picture's scale so it removes the same band of the picture at any size.
fn whitening_radii(scale: f32) -> (usize, usize) {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "small positive radii"
    )]
    let radius = |r: f32| ((r * scale).round() as usize).max(1);
    (radius(2.0), radius(4.0))
}

/// Folds a whitened frame onto the fine grid (`TILE × TILE`) under a candidate geometry.
pub(crate) fn fold(white: &[f32], width: usize, height: usize, c: Candidate) -> Vec<f32> {
    let (u_of, v_of) = fold_maps(width, height, c);
    let mut grid = vec![0f32; TILE * TILE];
    for (row, &v) in white.chunks_exact(width).zip(&v_of) {
        let g = &mut grid[v * TILE..(v + 1) * TILE];
        for (&value, &u) in row.iter().zip(&u_of) {
            g[u] += value;
        }
    }
    grid
}

/// The fine-grid unit, not folded, of each of `n` pixels along an axis with tile period
/// `period` pixels.
pub(crate) fn unit_map(n: usize, period: f32) -> Vec<usize> {
    let scale = TILE as f32 / period;
    (0..n)
        .map(|i| {
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "floor of a non-negative value"
            )]
            {
                (((i as f32) + 0.5) * scale).floor() as usize
            }
        })
        .collect()
}

/// Where each column and each row of a frame lands on the fine grid under a candidate.
fn fold_maps(width: usize, height: usize, c: Candidate) -> (Vec<usize>, Vec<usize>) {
    let map = |n: usize, period: f32, mirrored: bool| -> Vec<usize> {
        unit_map(n, period)
            .into_iter()
            .map(|u| {
                let u = u % TILE;
                if mirrored { TILE - 1 - u } else { u }
            })
            .collect()
    };
    (
        map(width, c.period_x, c.mirrored),
        map(height, c.period_y, false),
    )
}

fn sum_folds(folds: &[Vec<f32>]) -> Vec<f32> {
    let mut total = vec![0f32; TILE * TILE];
    for f in folds {
        add_into(&mut total, f);
    }
    total
}

fn add_into(total: &mut [f32], fold: &[f32]) {
    for (t, v) in total.iter_mut().zip(fold) {
        *t += v;
    }
}

/// Windowed cell sums at every fine-grid position: `out[v][u]` is the sum of the cell whose
/// top-left corner sits at `(u, v)` (circularly), weighted like the embedded cell.
pub(crate) fn cell_sums(grid: &[f32]) -> Vec<f32> {
    let mut across = vec![0f32; TILE * TILE];
    for (src, dst) in grid.chunks_exact(TILE).zip(across.chunks_exact_mut(TILE)) {
        for (u, d) in dst.iter_mut().enumerate() {
            *d = (0..CELL).map(|i| WINDOW[i] * src[(u + i) % TILE]).sum();
        }
    }
    let mut out = vec![0f32; TILE * TILE];
    for v in 0..TILE {
        for (i, w) in WINDOW.iter().enumerate() {
            let src = &across[((v + i) % TILE) * TILE..][..TILE];
            for (o, s) in out[v * TILE..(v + 1) * TILE].iter_mut().zip(src) {
                *o += w * s;
            }
        }
    }
    out
}

/// Offsets tried for decoding, best pilot scores first.
const DECODE_TRIES: usize = 8;

/// The best pilot scores over the tile offsets on every `step`-th fine position:
/// `(z, offset_x, offset_y)`, best first.
fn search_offset(sums: &[f32], pattern: &Pattern, step: usize) -> Vec<(f32, usize, usize)> {
    let mut best: Vec<(f32, usize, usize)> = Vec::with_capacity(DECODE_TRIES + 1);
    for oy in (0..TILE).step_by(step) {
        for ox in (0..TILE).step_by(step) {
            let (mut s, mut n) = (0f32, 0f32);
            for &(r, c, sign) in &pattern.pilot {
                let v = (oy + CELL * usize::from(r)) % TILE;
                let u = (ox + CELL * usize::from(c)) % TILE;
                let g = sums[v * TILE + u];
                s += sign * g;
                n += g * g;
            }
            let z = if n > 0.0 { s / n.sqrt() } else { 0.0 };
            if best.len() < DECODE_TRIES || z > best[best.len() - 1].0 {
                let at = best.partition_point(|h| h.0 >= z);
                best.insert(at, (z, ox, oy));
                best.truncate(DECODE_TRIES);
            }
        }
    }
    best
}

/// The `GRID × GRID` cell sums at one offset, row-major.
pub(crate) fn cells_at(sums: &[f32], ox: usize, oy: usize) -> Vec<f32> {
    let mut cells = Vec::with_capacity(GRID * GRID);
    for r in 0..GRID {
        for c in 0..GRID {
            cells.push(sums[((oy + CELL * r) % TILE) * TILE + (ox + CELL * c) % TILE]);
        }
    }
    cells
}

fn soft_symbols(cells: &[f32], pattern: &Pattern, groups: &[[u16; 2]]) -> Vec<f32> {
    groups
        .iter()
        .map(|g| {
            g.iter()
                .map(|&c| pattern.sign[usize::from(c)] * cells[usize::from(c)])
                .sum()
        })
        .collect()
}

fn decode_id(cells: &[f32], pattern: &Pattern) -> Option<Vec<bool>> {
    let soft = soft_symbols(cells, pattern, &pattern.id_cells);
    debug_assert_eq!(soft.len(), ID_SYMBOLS);
    ecc::decode(&soft, ID_BITS)
}

/// The video's content id: the first of the [`ID_LIST`] likeliest words whose CRC checks.
fn read_id(cells: &[f32], pattern: &Pattern) -> Option<ContentId> {
    let soft = soft_symbols(cells, pattern, &pattern.id_cells);
    ecc::decode_list(&soft, ID_BITS, ID_LIST)
        .iter()
        .find_map(|bits| parse_id_bits(bits))
}

fn bits_to_u64(bits: &[bool]) -> u64 {
    bits.iter().fold(0, |acc, &b| (acc << 1) | u64::from(b))
}

/// The pilot statistic `Σ s_c g_c / sqrt(Σ g_c²)` of `GRID × GRID` cell values (row-major).
fn pilot_score(cells: &[f32], pattern: &Pattern) -> f32 {
    let (mut s, mut n) = (0f32, 0f32);
    for &(r, c, sign) in &pattern.pilot {
        let g = cells[usize::from(r) * GRID + usize::from(c)];
        s += sign * g;
        n += g * g;
    }
    if n > 0.0 { s / n.sqrt() } else { 0.0 }
}

/// What one frame's folded tile shows at a tile offset (its bit accuracy is filled in once the
/// video's content id is known).
fn frame_report(grid: &[f32], ox: usize, oy: usize, pattern: &Pattern) -> FrameReport {
    let cells = cells_at(&cell_sums(grid), ox, oy);
    let score = pilot_score(&cells, pattern);
    let bits = decode_id(&cells, pattern).unwrap_or_default();
    let content_id_bits = bits_to_u64(bits.get(..64).unwrap_or(&[]));
    let soft = soft_symbols(&cells, pattern, &pattern.index_cells);
    debug_assert_eq!(soft.len(), INDEX_SYMBOLS);
    let frame_index = ecc::decode(&soft, INDEX_BITS).and_then(|bits| {
        let index = parse_index_bits(&bits)?;
        // The CRC alone passes one garbled word in 256: also ask that the soft values agree
        // with the re-encoded word far beyond chance.
        let code = ecc::encode(&bits);
        let (dot, energy) = soft
            .iter()
            .zip(&code)
            .fold((0f32, 0f32), |(d, e), (s, &b)| {
                (d + if b { *s } else { -*s }, e + s * s)
            });
        (energy > 0.0 && dot / energy.sqrt() >= INDEX_Z).then_some(index)
    });
    FrameReport {
        score,
        marked: score >= FRAME_Z,
        frame_index: frame_index.filter(|_| score >= FRAME_Z),
        content_id_bits,
        bit_accuracy: None,
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    reason = "tests"
)]
mod tests {
    use super::*;
    use crate::embed::{EmbedError, Embedder};
    use crate::filter::box_mean;
    use crate::pattern::Payload;

    /// A picture with smooth shading and texture of several scales (no real photo needed).
    pub(crate) fn picture(width: u32, height: u32, seed: u32) -> Frame {
        let mut state = seed.wrapping_mul(2_654_435_761) | 1;
        let mut noise = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        };
        let (w, h) = (width as usize, height as usize);
        let raw: Vec<f32> = (0..w * h).map(|_| noise()).collect();
        let grain = box_mean(&raw, w, h, 1);
        let blotch = box_mean(&box_mean(&raw, w, h, 6), w, h, 6);
        let mut rgb = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            for x in 0..w {
                let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
                let base = 70.0
                    + 110.0 * fx * (1.0 - 0.5 * fy)
                    + 12.0 * (fx * 23.0 + fy * 7.0).sin()
                    + 60.0 * grain[y * w + x]
                    + 900.0 * blotch[y * w + x];
                let v = base.clamp(0.0, 255.0);
                rgb.extend([v as u8, (v * 0.9) as u8, (v * 0.8) as u8]);
            }
        }
        Frame::from_rgb(width, height, rgb).unwrap()
    }

    fn payload(index: u32) -> Payload {
        Payload {
            content_id: ContentId::new(0x0123_4567_89ab_cdef),
            frame_index: index,
        }
    }

    #[test]
    fn thresholds_follow_from_the_bound() {
        let t = detection_threshold();
        assert!((8.35..8.5).contains(&t), "{t}");
        assert!(p_value(t, false) <= FALSE_POSITIVE_RATE * 1.001);
        let d = decoded_threshold();
        assert!((5.85..6.0).contains(&d), "{d}");
        assert!(d < t);
        assert!(p_value(d, true) <= FALSE_POSITIVE_RATE * 1.001);
        assert!((p_value(0.0, false) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn marked_picture_is_found_with_its_id() {
        let key = Key::public();
        let mut frame = picture(512, 512, 1);
        let clean = frame.clone();
        Embedder::new(&key).embed(&mut frame, &payload(7)).unwrap();
        let d = detect_frame(&frame, &key);
        eprintln!(
            "marked: score {} p {} id {:?}",
            d.score, d.p_value, d.content_id
        );
        assert!(d.detected, "{d:?}");
        assert_eq!(d.content_id, Some(payload(7).content_id));
        assert_eq!(d.per_frame[0].frame_index, Some(7));
        // Unmarked, and marked under another key: not detected.
        let u = detect_frame(&clean, &key);
        assert!(!u.detected && u.content_id.is_none(), "{u:?}");
        let other = detect_frame(&frame, &Key::from_bytes([3; 32]));
        assert!(!other.detected, "{other:?}");
    }

    #[test]
    fn odd_tiny_and_flat_pictures_do_not_panic() {
        let key = Key::public();
        // An odd size is marked and found again.
        let mut odd = picture(511, 383, 5);
        Embedder::new(&key).embed(&mut odd, &payload(3)).unwrap();
        let d = detect_frame(&odd, &key);
        assert!(d.detected, "{d:?}");
        assert_eq!(d.content_id, Some(payload(3).content_id));
        // Too small to mark: refused, the frame untouched; detection still answers.
        for (w, h) in [(64, 64), (1, 1), (3, 700), (257, 2), (255, 900)] {
            let mut f = picture(w, h, w + h);
            let before = f.clone();
            assert_eq!(
                Embedder::new(&key).embed(&mut f, &payload(0)),
                Err(EmbedError::TooSmall {
                    width: w,
                    height: h
                })
            );
            assert_eq!(f, before);
            let d = detect_frame(&f, &key);
            assert_eq!(d.frames, 1);
            assert!(d.p_value.is_finite() && !d.detected);
        }
        let black = Frame::black(128, 128).unwrap();
        assert!(!detect_frame(&black, &key).detected);
    }

    /// `frames` pictures of 256×256 carrying indices `indices`.
    fn marked_video(indices: impl Iterator<Item = u32>) -> Vec<Frame> {
        let key = Key::public();
        let mut embedder = Embedder::new(&key);
        indices
            .map(|i| {
                let mut f = picture(256, 256, 11 + i % 3);
                embedder.embed(&mut f, &payload(i)).unwrap();
                f
            })
            .collect()
    }

    fn detect_with_lock(frames: &[Frame], lock_after: usize) -> (Detection, usize) {
        let mut v = VideoDetector::new(&Key::public());
        v.lock_after = lock_after;
        let mut held = 0;
        for f in frames {
            v.push(f).unwrap();
            held = held.max(v.folds.len() + v.sync.len());
        }
        assert_eq!(v.frames(), frames.len());
        (v.finish(), held)
    }

    /// A copy of the tile that the picture drives hard against the mark (here every pilot cell
    /// of the top-left copy painted against its sign, as a textured backdrop does by chance)
    /// outweighs the other three copies in the folded sums, not in the blocks read against the
    /// mark's predicted response.
    #[test]
    fn a_copy_driven_against_the_mark_counts_no_more_than_one_that_reached_it() {
        let key = Key::public();
        let pattern = Pattern::new(&key);
        let mut frame = picture(512, 512, 4);
        Embedder::new(&key).embed(&mut frame, &payload(1)).unwrap();
        let clean = frame.clone();
        let mut rgb = frame.rgb().to_vec();
        for &(r, c, sign) in &pattern.pilot {
            let (r, c) = (usize::from(r), usize::from(c));
            for y in r * 8..r * 8 + 8 {
                for x in c * 8..c * 8 + 8 {
                    for v in &mut rgb[(y * 512 + x) * 3..][..3] {
                        *v = (f32::from(*v) - sign * 24.0).clamp(0.0, 255.0) as u8;
                    }
                }
            }
        }
        let damaged = Frame::from_rgb(512, 512, rgb).unwrap();
        let native = candidates(512, 512)
            .into_iter()
            .find(|c| !c.mirrored && (c.period_x - 256.0).abs() < 0.5)
            .unwrap();
        // Both scores at the tile's true offset.
        let scores = |f: &Frame| {
            let mut whitener = Whitener::default();
            let y = luma(f.rgb());
            whitener.run(&y, 512, 512, native.scale());
            let mut acc = Accumulator::new(512, 512, native);
            let tile = acc.add(&whitener, &y);
            (
                pilot_score(&cells_at(&cell_sums(&tile), 0, 0), &pattern),
                pilot_score(&acc.robust_cells(0, 0), &pattern),
            )
        };
        let (clean_folded, clean_blocks) = scores(&clean);
        let (folded, blocks) = scores(&damaged);
        eprintln!("clean: folded {clean_folded} blocks {clean_blocks}; damaged: {folded} {blocks}");
        assert!(
            clean_folded > 6.0 && clean_blocks > clean_folded,
            "{clean_folded} {clean_blocks}"
        );
        assert!(
            folded < 0.0,
            "the damaged copy outweighs the rest when folded: {folded}"
        );
        assert!(blocks > 0.6 * clean_blocks, "{blocks} of {clean_blocks}");
    }

    #[test]
    fn a_long_video_is_reported_frame_by_frame_once_the_offset_is_fixed() {
        // 0..20, then 24..40 (four frames cut).
        let frames = marked_video((0..20).chain(24..40));
        let (whole, held_whole) = detect_with_lock(&frames, usize::MAX);
        let (locked, held_locked) = detect_with_lock(&frames, 12);
        assert_eq!(held_whole, frames.len());
        assert!(held_locked <= 12, "{held_locked} tiles held");
        assert!(whole.detected && locked.detected);
        assert_eq!(locked.content_id, whole.content_id);
        assert_eq!(
            locked.score.to_bits(),
            whole.score.to_bits(),
            "same sum, same order"
        );
        assert_eq!(locked.per_frame.len(), frames.len());
        for (a, b) in locked.per_frame.iter().zip(&whole.per_frame) {
            assert_eq!(a.frame_index, b.frame_index);
            assert!(
                (a.score - b.score).abs() < 1e-3,
                "{} vs {}",
                a.score,
                b.score
            );
            assert_eq!(a.bit_accuracy, b.bit_accuracy);
        }
        // The cut after the lock is found all the same.
        assert_eq!(locked.frame_anomalies, whole.frame_anomalies);
        assert_eq!(
            locked.frame_anomalies.len(),
            1,
            "{:?}",
            locked.frame_anomalies
        );
        let cut = &locked.frame_anomalies[0];
        assert_eq!((cut.frame, cut.kind), (20, crate::AnomalyKind::Cut));
    }

    #[test]
    fn a_video_must_keep_its_size() {
        let key = Key::public();
        let mut v = VideoDetector::new(&key);
        v.push(&picture(64, 64, 1)).unwrap();
        assert!(matches!(
            v.push(&picture(32, 64, 1)),
            Err(DetectError::SizeChanged { frame: 1, .. })
        ));
        assert_eq!(VideoDetector::new(&key).finish().frames, 0);
    }
}
