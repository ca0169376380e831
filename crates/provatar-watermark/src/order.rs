//! Frame order: what the frame indices read along a video say about how it was edited.
//!
//! Every marked frame carries its index (16 bits, wrapping). A copy in the order it was made
//! reads `s, s+1, s+2, …` from wherever it starts; an edit changes how the index moves from
//! one frame to the next:
//!
//! | what was done                      | indices read along the video | reported as   |
//! |------------------------------------|------------------------------|---------------|
//! | frames removed                     | jump ahead once              | `cut`         |
//! | frames repeated or moved, a splice | jump back once               | `reordered`   |
//! | a run played backwards             | fall by one per frame        | `reversed`    |
//! | sped up, every k-th frame kept     | rise by more than one        | `sped-up`     |
//! | slowed down, frames doubled        | rise by less than one        | `slowed-down` |
//! | frames without the mark put in     | no index, no mark            | `unmarked`    |
//!
//! Two things a genuine copy does must not be called edits. A codec that copies a block from
//! an earlier picture (an H.264 skip) copies its index cells too: where the picture stands
//! still a frame then carries a mixture of older indices and now and then reads as one of
//! them — one frame behind, or as far back as the last picture coded in full (frames 28–31 of
//! a real 256×256 stream read 1, 0, 1, 1). And a frame index is checked by CRC-8 (plus a soft
//! agreement test), so a badly damaged frame now and then reads a wrong index. So the reads are
//! first grouped into runs that share one offset (index − position); a short run — fewer than
//! [`STALE_RUN`] reads — between two stretches of the same offset, with at most
//! [`MAX_NOISE`] such reads in a row, is noise. What is left is judged in two steps:
//!
//! 1. Between *long* runs ([`LONG_RUN`] reads or more, one offset), a stretch of at least
//!    [`RATE_READS`] reads is judged by how the index moves from read to read: falling in
//!    three reads out of four is `reversed`; rising faster than the frames in half the steps
//!    and none falling, at 1.4 indices a frame or more over the stretch, is `sped-up`; rising
//!    slower (repeats) in half the steps and none falling, at 0.75 a frame or less, is
//!    `slowed-down`.
//! 2. Otherwise each change of offset between runs of [`STALE_RUN`] reads (two, when it jumps
//!    ahead: a cut shifts every later frame) is a `cut` (ahead) or `reordered` (back) at the
//!    frame where the new offset starts. A run put back in (frames from earlier played again,
//!    after which the video carries on where it left off) is one `reordered` anomaly.
//!
//! What is too short to tell from noise is not reported: fewer than three frames moved or
//! replaced in place, a rate change over fewer than four read frames.

use crate::detect::{FRAME_Z, FrameReport};

/// A run of frames whose indices do not follow the video's sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameAnomaly {
    /// Position (0-based, in decoded order) of the run's first frame.
    pub frame: usize,
    /// Frames it covers: for a `cut`, the frames missing before `frame`; for a `reordered`
    /// jump, the frames played out of place; otherwise the run's length.
    pub frames: usize,
    /// What the indices say happened.
    pub kind: AnomalyKind,
    /// Index the first frame should carry, following the sequence (the index after the last
    /// in-order frame before it).
    pub expected_index: Option<u16>,
    /// Index the first frame carries.
    pub found_index: Option<u16>,
    /// Index the run's last read frame carries (for runs judged by their rate).
    pub last_index: Option<u16>,
}

/// Kinds of frame anomalies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnomalyKind {
    /// Indices jump ahead: frames were removed before this frame.
    Cut,
    /// Indices go back: frames were repeated, moved or spliced in from earlier.
    Reordered,
    /// Indices fall frame by frame: the run plays backwards.
    Reversed,
    /// Indices rise faster than one per frame: sped up, or thinned to every k-th frame.
    SpedUp,
    /// Indices rise slower than one per frame: slowed down, frames repeated.
    SlowedDown,
    /// A run of frames without the mark inside a marked video: inserted frames.
    Unmarked,
}

impl AnomalyKind {
    /// A lowercase name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cut => "cut",
            Self::Reordered => "reordered",
            Self::Reversed => "reversed",
            Self::SpedUp => "sped-up",
            Self::SlowedDown => "slowed-down",
            Self::Unmarked => "unmarked",
        }
    }
}

impl FrameAnomaly {
    /// One line for people: what happened, at which frames, with the indices that show it.
    pub fn describe(&self) -> String {
        let at = self.frame;
        let end = at + self.frames.saturating_sub(1);
        let idx = |i: Option<u16>| i.map_or_else(|| "?".to_owned(), |i| i.to_string());
        let (expected, found, last) = (
            idx(self.expected_index),
            idx(self.found_index),
            idx(self.last_index),
        );
        match self.kind {
            AnomalyKind::Cut => format!(
                "{} frames cut before frame {at} (index {expected} expected, {found} found)",
                self.frames
            ),
            AnomalyKind::Reordered => format!(
                "frames {at}–{end} out of order: index {found} where {expected} was expected"
            ),
            AnomalyKind::Reversed => {
                format!("frames {at}–{end} play backwards (index {found} down to {last})")
            }
            AnomalyKind::SpedUp => format!(
                "frames {at}–{end} sped up or thinned (index {found} to {last} in {} frames)",
                self.frames
            ),
            AnomalyKind::SlowedDown => format!(
                "frames {at}–{end} slowed down, frames repeated (index {found} to {last} in {} \
                 frames)",
                self.frames
            ),
            AnomalyKind::Unmarked => {
                format!("frames {at}–{end} carry no mark (inserted where {expected} was expected)")
            }
        }
    }
}

/// Runs behind the sequence may be a codec's stale copy unless they repeat one offset at least
/// this often.
pub(crate) const STALE_RUN: usize = 3;
/// At most this many reads in a row of short runs between two stretches of one offset are
/// taken for noise.
const MAX_NOISE: usize = 6;
/// Runs of one offset this long bound the stretches judged by their rate.
const LONG_RUN: usize = 8;
/// A stretch is judged by its rate when it has at least this many reads.
const RATE_READS: usize = 4;

/// One offset held over consecutive reads.
#[derive(Debug, Clone)]
struct Run {
    offset: i64,
    /// The reads (position, unwrapped index), in order.
    reads: Vec<(usize, i64)>,
}

impl Run {
    fn first(&self) -> (usize, i64) {
        self.reads[0]
    }
    fn last(&self) -> (usize, i64) {
        self.reads[self.reads.len() - 1]
    }
}

/// Finds the runs of frames whose indices break the sequence, and the runs of unmarked frames.
pub(crate) fn anomalies(frames: &[FrameReport]) -> Vec<FrameAnomaly> {
    let runs = runs(&without_codec_holds(reads(frames)));
    let mut out = index_anomalies(&runs);
    out.extend(unmarked(frames, &runs));
    out.sort_by_key(|a| a.frame);
    out
}

/// The readable indices with their positions, unwrapped past 2¹⁶ by the smallest step.
fn reads(frames: &[FrameReport]) -> Vec<(usize, i64)> {
    let mut out: Vec<(usize, i64)> = Vec::new();
    for (p, f) in frames.iter().enumerate() {
        let Some(i) = f.frame_index else { continue };
        let u = match out.last() {
            Some(&(_, prev)) => prev + i64::from(i.wrapping_sub(wrap(prev)).cast_signed()),
            None => i64::from(i),
        };
        out.push((p, u));
    }
    out
}

/// Drops the reads of an index held over several frames by the codec: where the picture stands
/// still, every block of a frame can be a skip of the last picture coded in full, and frames
/// read that picture's index for as long as the stillness lasts (seen: a test pattern marked
/// by `watermark embed` reading 0 for frames 0–20 and 50 for 50–73, its key frames). Such a
/// hold ends with the next read back on the line the hold started on, or with the video; a
/// frame really held (slowed down, frozen) puts every read after it behind that line. The
/// first read of a hold stays.
fn without_codec_holds(reads: Vec<(usize, i64)>) -> Vec<(usize, i64)> {
    let offset = |(p, u): (usize, i64)| u - i64::try_from(p).unwrap_or(i64::MAX);
    let mut keep = vec![true; reads.len()];
    let mut k = 0;
    while k < reads.len() {
        let len = reads[k..].iter().take_while(|r| r.1 == reads[k].1).count();
        let back_on_line = reads
            .get(k + len)
            .is_none_or(|&next| offset(next) == offset(reads[k]));
        if len >= 2 && back_on_line {
            keep[k + 1..k + len].fill(false);
        }
        k += len;
    }
    let mut keep = keep.into_iter();
    reads
        .into_iter()
        .filter(|_| keep.next().unwrap_or(true))
        .collect()
}

/// Groups reads into runs of one offset, absorbing noise between runs of the same offset.
fn runs(reads: &[(usize, i64)]) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    for &(p, u) in reads {
        let offset = u - i64::try_from(p).unwrap_or(i64::MAX);
        if let Some(last) = out.last_mut()
            && last.offset == offset
        {
            last.reads.push((p, u));
            continue;
        }
        // Resume an earlier run of this offset across short runs of noise.
        let back = out
            .iter()
            .rev()
            .take_while(|r| r.reads.len() < STALE_RUN)
            .count();
        let noise = &out[out.len() - back..];
        let reads: usize = noise.iter().map(|r| r.reads.len()).sum();
        // Stale reads are behind; a misread may be anywhere, but is rare.
        let ahead: usize = noise
            .iter()
            .filter(|r| r.offset > offset)
            .map(|r| r.reads.len())
            .sum();
        if back < out.len()
            && reads <= MAX_NOISE
            && ahead <= 1
            && out[out.len() - back - 1].offset == offset
        {
            out.truncate(out.len() - back);
            if let Some(last) = out.last_mut() {
                last.reads.push((p, u));
            }
            continue;
        }
        out.push(Run {
            offset,
            reads: vec![(p, u)],
        });
    }
    out
}

fn wrap(u: i64) -> u16 {
    u16::try_from(u.rem_euclid(65_536)).unwrap_or_default()
}

/// The cut, reordered and rate anomalies of a video's runs.
fn index_anomalies(runs: &[Run]) -> Vec<FrameAnomaly> {
    let mut out = Vec::new();
    // Stretches between long runs, judged by rate first.
    let long: Vec<usize> = (0..runs.len())
        .filter(|&k| runs[k].reads.len() >= LONG_RUN)
        .collect();
    let mut bounds: Vec<(usize, usize)> = Vec::new(); // [lo, hi) of runs between long ones
    let mut lo = 0;
    for &k in &long {
        bounds.push((lo, k));
        lo = k + 1;
    }
    bounds.push((lo, runs.len()));
    // Runs inside a stretch judged by its rate, and the long runs on either side of one (the
    // offset change across it is the rate's doing, not a cut).
    let mut judged = vec![false; runs.len()];
    for (lo, hi) in bounds {
        if let Some(a) = rate_anomaly(&runs[lo..hi]) {
            judged[lo..hi].fill(true);
            out.push(a);
        }
    }
    // Then offset changes between runs steady enough to trust; where reads are sparse (a
    // heavily re-encoded copy reads one frame's index in four), the reads between two steady
    // runs are judged by their rate first.
    let mut prev: Option<usize> = None;
    let mut resume: Option<usize> = None;
    for k in 0..runs.len() {
        let run = &runs[k];
        if judged[k] {
            // The next steady run's change is explained by the rate anomaly before it.
            prev = None;
            continue;
        }
        let steady = match prev {
            None => run.reads.len() >= 2,
            Some(q) => {
                run.reads.len() >= STALE_RUN
                    || (run.reads.len() >= 2 && run.offset > runs[q].offset)
            }
        };
        if !steady {
            continue;
        }
        let Some(q) = prev else {
            prev = Some(k);
            continue;
        };
        if resume == Some(k) {
            // The video carries on after frames put in: reported with them.
            resume = None;
            prev = Some(k);
            continue;
        }
        if let Some(a) = rate_anomaly(&runs[q + 1..k]) {
            out.push(a);
            prev = Some(k);
            continue;
        }
        let before = &runs[q];
        let shift = run.offset - before.offset;
        if shift == 0 {
            // Back on the sequence after reads too few to judge.
            prev = Some(k);
            continue;
        }
        let (p, u) = run.first();
        let expected = wrap(before.last().1 + i64::try_from(p - before.last().0).unwrap_or(0));
        if shift > 0 {
            out.push(FrameAnomaly {
                frame: p,
                frames: usize::try_from(shift).unwrap_or(usize::MAX),
                kind: AnomalyKind::Cut,
                expected_index: Some(expected),
                found_index: Some(wrap(u)),
                last_index: None,
            });
            prev = Some(k);
            continue;
        }
        // Back: frames played again. When a later steady run carries on where `before` left
        // off (less the frames put in), this run was put in and the video resumes after it.
        let span = run.last().0 + 1 - p;
        let back = usize::try_from(-shift).unwrap_or(usize::MAX);
        out.push(FrameAnomaly {
            frame: p,
            frames: span.min(back),
            kind: AnomalyKind::Reordered,
            expected_index: Some(expected),
            found_index: Some(wrap(u)),
            last_index: Some(wrap(run.last().1)),
        });
        prev = Some(k);
        let inserted = |upto: usize| i64::try_from(upto - p).unwrap_or(i64::MAX);
        if let Some(j) = (k + 1..runs.len()).find(|&j| runs[j].reads.len() >= 2) {
            // The frames between this run's last read and the next one's first are unread:
            // as many as were put in lies between these two.
            let lo = before.offset - inserted(runs[j].first().0);
            let hi = before.offset - inserted(run.last().0 + 1);
            if !judged[j] && (lo..=hi).contains(&runs[j].offset) {
                resume = Some(j);
            }
        }
    }
    // The reads after the last steady run.
    if let Some(q) = prev
        && let Some(a) = rate_anomaly(&runs[q + 1..])
    {
        out.push(a);
    }
    out
}

/// A stretch's rate anomaly, when its reads say it plays backwards, faster or slower.
fn rate_anomaly(stretch: &[Run]) -> Option<FrameAnomaly> {
    let reads: Vec<(usize, i64)> = stretch.iter().flat_map(|r| r.reads.clone()).collect();
    if reads.len() < RATE_READS {
        return None;
    }
    let steps: Vec<(i64, i64)> = reads
        .windows(2)
        .map(|w| {
            let gap = i64::try_from(w[1].0 - w[0].0).unwrap_or(i64::MAX);
            (w[1].1 - w[0].1, gap)
        })
        .collect();
    let n = steps.len();
    let falling = steps.iter().filter(|(d, _)| *d < 0).count();
    // Steps ahead of the frames (excess) and behind them, but not back (deficit); a rate
    // change spreads them over the stretch, where one jump (a cut) holds them in one step.
    let excess: Vec<i64> = steps
        .iter()
        .map(|(d, g)| d - g)
        .filter(|&e| e > 0)
        .collect();
    let deficit: Vec<i64> = steps
        .iter()
        .filter(|(d, _)| *d >= 0)
        .map(|(d, g)| g - d)
        .filter(|&e| e > 0)
        .collect();
    let spread = |v: &[i64]| {
        4 * v.len() >= n && 2 * v.iter().max().copied().unwrap_or(0) <= v.iter().sum::<i64>()
    };
    let (first, last) = (reads[0], reads[reads.len() - 1]);
    #[expect(clippy::cast_precision_loss, reason = "frame counts")]
    let rate = (last.1 - first.1) as f64 / (last.0 - first.0).max(1) as f64;
    // A few stale reads (a codec's copy of the frame before) may fall inside a rate change.
    let few_falling = 8 * falling <= n;
    let kind = if 4 * falling >= 3 * n {
        AnomalyKind::Reversed
    } else if few_falling && spread(&excess) && rate >= 1.4 {
        AnomalyKind::SpedUp
    } else if few_falling && spread(&deficit) && rate <= 0.75 {
        AnomalyKind::SlowedDown
    } else {
        return None;
    };
    // A reversed run is named from its first falling step to its last (a read at either end
    // that belongs to the sequence around it is left out); a rate change mixes steps of one
    // frame with its own, and keeps its ends.
    let fits = |&(d, _): &(i64, i64)| kind != AnomalyKind::Reversed || d < 0;
    let from = steps.iter().position(fits).unwrap_or(0);
    let to = steps
        .iter()
        .rposition(fits)
        .map_or(reads.len() - 1, |k| k + 1);
    let (first, last) = (reads[from], reads[to]);
    Some(FrameAnomaly {
        frame: first.0,
        frames: last.0 + 1 - first.0,
        kind,
        expected_index: None,
        found_index: Some(wrap(first.1)),
        last_index: Some(wrap(last.1)),
    })
}

/// Runs of clearly unmarked frames among clearly marked ones: a marked frame scoring under 1
/// where the typical one scores 6 or more is a 5-sigma event.
fn unmarked(frames: &[FrameReport], runs: &[Run]) -> Vec<FrameAnomaly> {
    let mut sorted: Vec<f32> = frames.iter().map(|f| f.score).collect();
    sorted.sort_by(f32::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    if median < 1.5 * FRAME_Z || runs.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<FrameAnomaly> = Vec::new();
    for (p, f) in frames.iter().enumerate() {
        if f.frame_index.is_some() || f.score >= 1.0 {
            continue;
        }
        if let Some(last) = out.last_mut()
            && last.frame + last.frames == p
        {
            last.frames += 1;
            continue;
        }
        // The index expected here: the last run read before it carried on.
        let run = runs
            .iter()
            .rev()
            .find(|r| r.first().0 < p)
            .unwrap_or(&runs[0]);
        let expected = wrap(run.offset + i64::try_from(p).unwrap_or(0));
        out.push(FrameAnomaly {
            frame: p,
            frames: 1,
            kind: AnomalyKind::Unmarked,
            expected_index: Some(expected),
            found_index: None,
            last_index: None,
        });
    }
    out
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    reason = "tests"
)]
mod tests {
    use super::*;

    fn frame(index: Option<u16>, score: f32) -> FrameReport {
        FrameReport {
            score,
            marked: score >= FRAME_Z,
            frame_index: index,
            content_id_bits: 0,
            bit_accuracy: None,
        }
    }

    fn video(indices: impl IntoIterator<Item = u16>) -> Vec<FrameReport> {
        indices.into_iter().map(|i| frame(Some(i), 9.0)).collect()
    }

    fn kinds(a: &[FrameAnomaly]) -> Vec<(usize, usize, AnomalyKind)> {
        a.iter().map(|a| (a.frame, a.frames, a.kind)).collect()
    }

    #[test]
    fn anomalies_name_cuts_reorders_and_unmarked_runs() {
        // 0..10 in order, then 15..20 (five cut), then 3, 4, 5 (reordered), then two unmarked.
        let mut frames = video(0..10);
        frames.extend(video(15..20));
        frames.extend(video([3, 4, 5]));
        frames.extend([frame(None, 0.2), frame(None, -0.5)]);
        let a = anomalies(&frames);
        assert_eq!(
            kinds(&a),
            [
                (10, 5, AnomalyKind::Cut),
                (15, 3, AnomalyKind::Reordered),
                (18, 2, AnomalyKind::Unmarked)
            ],
            "{a:?}"
        );
        assert_eq!(
            (a[0].expected_index, a[0].found_index),
            (Some(10), Some(15))
        );
        assert_eq!((a[1].expected_index, a[1].found_index), (Some(20), Some(3)));
        assert_eq!(a[2].expected_index, Some(6));
    }

    /// Issue 18, finding 9: a 30-frame cut at frame 50 was reported as "reordered run of 49
    /// at frame 0" (the longer half set the sequence).
    #[test]
    fn a_cut_is_named_where_it_is() {
        let a = anomalies(&video((0..50).chain(80..137)));
        assert_eq!(kinds(&a), [(50, 30, AnomalyKind::Cut)], "{a:?}");
        assert_eq!(
            (a[0].expected_index, a[0].found_index),
            (Some(50), Some(80))
        );
        assert!(a[0].describe().contains("30 frames cut before frame 50"));
    }

    #[test]
    fn genuine_noise_is_not_an_anomaly() {
        let clean = video(100..130);
        assert!(anomalies(&clean).is_empty());
        // A stale read (an H.264 skip copied the previous frame's index) is not an anomaly...
        let mut stale = clean.clone();
        stale[12].frame_index = Some(110);
        stale[20].frame_index = None;
        assert!(anomalies(&stale).is_empty(), "{:?}", anomalies(&stale));
        // ... and neither are reads far behind, left by blocks skipped since an early frame
        // (frames 28–31 of a real 256×256 stream read 1, 0, 1, 1) ...
        let mut skipped = clean.clone();
        for (p, i) in [(28, 1), (29, 0), (30, 1), (31, 1)] {
            skipped[p - 10].frame_index = Some(100 + i);
        }
        assert!(anomalies(&skipped).is_empty(), "{:?}", anomalies(&skipped));
        // ... nor one misread anywhere, nor every other index unreadable.
        let mut misread = clean.clone();
        misread[7].frame_index = Some(40_000);
        assert!(anomalies(&misread).is_empty(), "{:?}", anomalies(&misread));
        let mut sparse = clean.clone();
        for f in sparse.iter_mut().step_by(2) {
            f.frame_index = None;
            f.score = 5.0;
        }
        assert!(anomalies(&sparse).is_empty(), "{:?}", anomalies(&sparse));
        // Nor an index held by the codec while the picture stands still, up to the next key
        // frame (a marked test pattern: 0 for frames 0–20, 50 for 50–73).
        let mut held: Vec<FrameReport> = (0..74).map(|_| frame(None, 9.0)).collect();
        for p in (0..=20).chain(50..74) {
            held[p].frame_index = Some(if p < 50 { 0 } else { 50 });
        }
        assert!(anomalies(&held).is_empty(), "{:?}", anomalies(&held));
        // Indices wrap at 2^16 without a seam.
        let wrapped = video((65_500..=65_535).chain(0..40));
        assert!(anomalies(&wrapped).is_empty(), "{:?}", anomalies(&wrapped));
    }

    #[test]
    fn a_frame_put_in_again_is_reordered() {
        // Frame 124 shown twice, then the video carries on: one frame repeated at 25.
        let inserted = video((100..125).chain(124..140));
        let a = anomalies(&inserted);
        assert_eq!(kinds(&a), [(25, 1, AnomalyKind::Reordered)], "{a:?}");
        // Ten frames from earlier spliced in at 50, then the video resumes at 50: one anomaly.
        let spliced = video((0..50).chain(10..20).chain(50..100));
        let a = anomalies(&spliced);
        assert_eq!(kinds(&a), [(50, 10, AnomalyKind::Reordered)], "{a:?}");
        // The whole video again after itself.
        let looped = video((0..40).chain(0..40));
        assert_eq!(
            kinds(&anomalies(&looped)),
            [(40, 40, AnomalyKind::Reordered)]
        );
    }

    /// Any sequence of reads (wrapping, missing, jumping anywhere) gives anomalies that lie
    /// inside the video, never a panic.
    #[test]
    fn arbitrary_reads_never_panic_and_stay_inside_the_video() {
        let mut state = 0x9e37_79b9_u32;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        for round in 0u32..400 {
            let len = (next() % 200) as usize;
            let frames: Vec<FrameReport> = (0..len)
                .map(|p| {
                    let r = next();
                    let index = match r % 5 {
                        0 => None,
                        1 => Some((r >> 8) as u16),
                        _ => Some(
                            (p as u16)
                                .wrapping_add((round * 37) as u16)
                                .wrapping_add((r >> 16) as u16 % 3),
                        ),
                    };
                    frame(index, (r % 13) as f32)
                })
                .collect();
            for a in anomalies(&frames) {
                assert!(a.frame < len.max(1), "{a:?} in {len} frames");
                assert!(
                    a.kind == AnomalyKind::Cut || a.frame + a.frames <= len,
                    "{a:?} in {len}"
                );
                let _ = a.describe();
            }
        }
    }

    /// Frames 20–49 of an 80-frame video reversed, re-encoded at CRF 18: the indices one
    /// re-encoded copy read (a quarter of the frames), and what they say.
    #[test]
    fn a_reversed_run_read_sparsely_is_named() {
        let reads: [(usize, u16); 17] = [
            (0, 0),
            (1, 1),
            (3, 3),
            (15, 15),
            (21, 48),
            (22, 47),
            (29, 40),
            (30, 39),
            (31, 38),
            (45, 24),
            (46, 23),
            (47, 22),
            (51, 51),
            (53, 53),
            (56, 56),
            (57, 57),
            (78, 78),
        ];
        let mut frames: Vec<FrameReport> = (0..80).map(|_| frame(None, 5.0)).collect();
        for (p, i) in reads {
            frames[p].frame_index = Some(i);
        }
        let a = anomalies(&frames);
        assert_eq!(kinds(&a), [(21, 27, AnomalyKind::Reversed)], "{a:?}");
    }

    /// Issue 18, finding 2: reversal, a reversed run, a 2× speed-up and every 10th frame kept
    /// each verified as "no frame cut, inserted or reordered".
    #[test]
    fn reversal_speed_changes_and_thinning_are_named() {
        let a = anomalies(&video((0..137).rev()));
        assert_eq!(kinds(&a), [(0, 137, AnomalyKind::Reversed)], "{a:?}");
        assert!(
            a[0].describe()
                .contains("play backwards (index 136 down to 0)")
        );
        let part = video((0..40).chain((40..100).rev()).chain(100..137));
        let a = anomalies(&part);
        assert_eq!(kinds(&a), [(40, 60, AnomalyKind::Reversed)], "{a:?}");
        let fast = video((0..137).step_by(2));
        assert_eq!(
            kinds(&anomalies(&fast)),
            [(0, 69, AnomalyKind::SpedUp)],
            "{:?}",
            anomalies(&fast)
        );
        let thin = video((0..137).step_by(10));
        assert_eq!(kinds(&anomalies(&thin)), [(0, 14, AnomalyKind::SpedUp)]);
        // A frame frozen for a second: every read after it is behind.
        let frozen = video((0..40).chain([40; 25]).chain(41..80));
        let a = anomalies(&frozen);
        assert_eq!(kinds(&a), [(41, 23, AnomalyKind::SlowedDown)], "{a:?}");
        let slow = video((0..70).flat_map(|i| [i, i]));
        assert_eq!(
            kinds(&anomalies(&slow)),
            [(0, 139, AnomalyKind::SlowedDown)],
            "{:?}",
            anomalies(&slow)
        );
        // Slowed down by 1.5 in the middle only (every other frame shown twice).
        let mid: Vec<u16> = (0..30)
            .chain((30..60).flat_map(|i| if i % 2 == 0 { vec![i, i] } else { vec![i] }))
            .chain(60..90)
            .collect();
        let a = anomalies(&video(mid));
        assert_eq!(kinds(&a), [(31, 42, AnomalyKind::SlowedDown)], "{a:?}");
        // A 2× speed-up in the middle: the jump it makes is not also a cut.
        let a = anomalies(&video((0..40).chain((40..100).step_by(2)).chain(100..137)));
        assert_eq!(kinds(&a), [(41, 29, AnomalyKind::SpedUp)], "{a:?}");
    }
}
