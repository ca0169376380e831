//! A fingerprint of the sound, signed into the manifest, so that a copy found by its watermark
//! must also carry the words the video was made with (issue 18, finding 1: the genuine
//! pictures with other speech verified `recovered`, consent ok).
//!
//! The sound at 16 kHz mono is cut into 64-ms frames every 32 ms; each frame's energy in 17
//! bands spaced evenly in pitch from 300 to 3,400 Hz (the band speech is made of and every
//! codec keeps) gives 16 bits: whether the energy difference of neighbouring bands rose or
//! fell since the frame before (the construction of Haitsma and Kalker's audio hash). A lossy
//! re-encode, resampling or a change of loudness leaves most bits alone; other words, or the
//! same words said again, flip about half. Frames more than 30 dB below the loudest carry no
//! bits (silence has no shape to keep).

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

/// The algorithm's name in the manifest.
pub const SOUND_ALG: &str = "org.provatar.sound-fingerprint.1";
/// Samples per frame and between frames, at 16 kHz.
const FRAME: usize = 1024;
const FRAME_F: f32 = 1024.0;
const HOP: usize = 512;
const BANDS: usize = 17;
const LOW_HZ: f32 = 300.0;
const HIGH_HZ: f32 = 3400.0;
/// Frames quieter than the loudest by this much carry no bits.
const QUIET_DB: f32 = 30.0;
/// How far (in frames) a copy's sound may end after the signed one (a codec's delay), and
/// start before it (sound delayed against the pictures, up to a second).
const MAX_SHIFT: i64 = 4;
const MAX_LEAD: i64 = 31;

/// Samples fingerprinted at most (six minutes at 16 kHz; a longer copy is compared over them).
pub const MAX_SOUND_SAMPLES: usize = 6 * 60 * 16_000;

/// One frame's 16 bits, or none for a quiet frame.
pub type Word = Option<u16>;

/// The fingerprint of 16-kHz mono samples.
pub fn sound_fingerprint(samples: &[f32]) -> Vec<Word> {
    let fft: Arc<dyn RealToComplex<f32>> = RealFftPlanner::new().plan_fft_forward(FRAME);
    let window: Vec<f32> = (0..FRAME)
        .map(|i| {
            #[expect(clippy::cast_precision_loss, reason = "frame positions")]
            let x = i as f32 / FRAME as f32;
            0.5 - 0.5 * (std::f32::consts::TAU * x).cos()
        })
        .collect();
    let edges: Vec<usize> = (0..=BANDS)
        .map(|b| {
            #[expect(clippy::cast_precision_loss, reason = "band numbers")]
            let hz = LOW_HZ * (HIGH_HZ / LOW_HZ).powf(b as f32 / BANDS as f32);
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a bin below FRAME / 2"
            )]
            let bin = (hz / 16_000.0 * FRAME_F).round() as usize;
            bin
        })
        .collect();
    let mut input = fft.make_input_vec();
    let mut spectrum = fft.make_output_vec();
    let mut energies: Vec<[f32; BANDS]> = Vec::new();
    let mut start = 0;
    while start + FRAME <= samples.len() {
        for ((x, s), w) in input.iter_mut().zip(&samples[start..]).zip(&window) {
            *x = s * w;
        }
        if fft.process(&mut input, &mut spectrum).is_err() {
            break;
        }
        let mut e = [0f32; BANDS];
        for (b, band) in e.iter_mut().enumerate() {
            *band = spectrum[edges[b]..edges[b + 1].max(edges[b] + 1)]
                .iter()
                .map(realfft::num_complex::Complex::norm_sqr)
                .sum();
        }
        energies.push(e);
        start += HOP;
    }
    let total = |e: &[f32; BANDS]| e.iter().sum::<f32>();
    let loudest = energies.iter().map(total).fold(0f32, f32::max);
    let floor = loudest * 10f32.powf(-QUIET_DB / 10.0);
    let mut out = Vec::with_capacity(energies.len());
    out.push(None);
    for pair in energies.windows(2) {
        let (before, now) = (&pair[0], &pair[1]);
        if total(now) <= floor || total(before) <= floor || loudest <= 0.0 {
            out.push(None);
            continue;
        }
        let mut word = 0u16;
        for b in 0..BANDS - 1 {
            let d = (now[b] - now[b + 1]) - (before[b] - before[b + 1]);
            if d > 0.0 {
                word |= 1 << b;
            }
        }
        out.push(Some(word));
    }
    out
}

/// The fingerprint as text: four hex digits a frame, `----` for a quiet one.
pub fn to_text(words: &[Word]) -> String {
    words
        .iter()
        .map(|w| w.map_or_else(|| "----".to_owned(), |w| format!("{w:04x}")))
        .collect()
}

/// The fingerprint from its text, or `None` when it is not one.
pub fn from_text(text: &str) -> Option<Vec<Word>> {
    if !text.len().is_multiple_of(4) || !text.is_ascii() {
        return None;
    }
    text.as_bytes()
        .chunks(4)
        .map(|c| {
            let c = std::str::from_utf8(c).ok()?;
            if c == "----" {
                Some(None)
            } else {
                u16::from_str_radix(c, 16).ok().map(Some)
            }
        })
        .collect()
}

/// How a copy's sound compares with the signed one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SoundMatch {
    /// Share of bits that differ at the best alignment (0 the same, about 0.5 other sound).
    pub bit_error_rate: f32,
    /// The same over the worst second of it: where other words were spliced in.
    pub worst_second: f32,
    /// Frames both fingerprints have bits for, at that alignment.
    pub frames: usize,
    /// Where the copy's sound starts in the signed one, in seconds (a clip cut from the
    /// video starts later).
    pub starts_at: f32,
}

/// Compares a copy's 16-kHz mono sound with the signed fingerprint, fingerprinting it from
/// four starts a quarter of a hop apart (a clip cut from the video starts anywhere in a hop,
/// and bits flip where the frames do not line up), and keeps the best.
pub fn match_sound(signed: &[Word], samples: &[f32]) -> Option<SoundMatch> {
    (0..4)
        .filter_map(|k| {
            let from = (k * HOP / 4).min(samples.len());
            let mut m = compare(signed, &sound_fingerprint(&samples[from..]))?;
            #[expect(clippy::cast_precision_loss, reason = "sample counts")]
            let lead = from as f32 / 16_000.0;
            m.starts_at -= lead;
            Some(m)
        })
        .min_by(|a, b| a.bit_error_rate.total_cmp(&b.bit_error_rate))
}

/// Frames in a second of fingerprint (32 ms each).
const SECOND: usize = 31;

/// Compares a copy's fingerprint with the signed one at the alignment where they agree best
/// (the copy may be a clip from anywhere in the video, its sound delayed by a codec by a few
/// frames); `None` when fewer than 16 frames, or under half the copy's, can be compared.
pub fn compare(signed: &[Word], copy: &[Word]) -> Option<SoundMatch> {
    let voiced = |v: &[Word]| v.iter().filter(|w| w.is_some()).count();
    let need = (voiced(copy).min(voiced(signed)) / 2).max(16);
    let len = |v: &[Word]| i64::try_from(v.len()).unwrap_or(i64::MAX);
    let mut best: Option<(f32, i64, usize)> = None;
    // Copy frame j sits at signed frame j + shift.
    for shift in -MAX_LEAD..=len(signed) + MAX_SHIFT - len(copy).min(len(signed)) {
        let (differ, frames) = agreement(signed, copy, shift, 0..copy.len());
        if frames < need {
            continue;
        }
        #[expect(clippy::cast_precision_loss, reason = "bit counts")]
        let rate = differ as f32 / (frames * (BANDS - 1)) as f32;
        if best.is_none_or(|b| rate < b.0) {
            best = Some((rate, shift, frames));
        }
    }
    let (rate, shift, frames) = best?;
    let mut worst = 0f32;
    let mut from = 0;
    while from < copy.len() {
        let (differ, n) = agreement(signed, copy, shift, from..(from + SECOND).min(copy.len()));
        if n >= SECOND / 2 {
            #[expect(clippy::cast_precision_loss, reason = "bit counts")]
            let r = differ as f32 / (n * (BANDS - 1)) as f32;
            worst = worst.max(r);
        }
        from += SECOND / 2;
    }
    #[expect(clippy::cast_precision_loss, reason = "frame counts")]
    let starts_at = shift as f32 * HOP as f32 / 16_000.0;
    Some(SoundMatch {
        bit_error_rate: rate,
        worst_second: worst.max(rate),
        frames,
        starts_at,
    })
}

/// Differing bits and compared frames of the copy's frames `range` at `shift`.
fn agreement(
    signed: &[Word],
    copy: &[Word],
    shift: i64,
    range: std::ops::Range<usize>,
) -> (u32, usize) {
    let (mut differ, mut frames) = (0u32, 0usize);
    for j in range {
        let Some(k) = i64::try_from(j)
            .ok()
            .and_then(|j| usize::try_from(j + shift).ok())
        else {
            continue;
        };
        if let (Some(Some(a)), Some(b)) = (signed.get(k), copy[j]) {
            differ += (a ^ b).count_ones();
            frames += 1;
        }
    }
    (differ, frames)
}

/// The bit error rate, over the whole and over its worst second, above which a copy's sound is
/// not the signed one. Genuine copies and other speech, measured in BENCHMARKS.md, lie far
/// either side.
pub const MAX_BIT_ERROR_RATE: f32 = 0.3;
/// The same over the worst second (other words spliced into part of it).
pub const MAX_WORST_SECOND: f32 = 0.36;

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "tests"
)]
mod tests {
    use super::*;

    /// A voiced, gliding sound with syllables.
    fn voice(seconds: f32, pitch: f32, seed: u32) -> Vec<f32> {
        let n = (seconds * 16_000.0) as usize;
        let mut state = seed | 1;
        (0..n)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let t = i as f32 / 16_000.0;
                let f0 = pitch * (1.0 + 0.2 * (t * 1.7).sin());
                let syllable = (0.5 + 0.5 * (t * 6.0 + seed as f32).sin()).powi(2);
                let harmonics: f32 = (1..12)
                    .map(|h| (std::f32::consts::TAU * f0 * h as f32 * t).sin() / h as f32)
                    .sum();
                syllable * harmonics * 0.2 + (state as f32 / u32::MAX as f32 - 0.5) * 0.01
            })
            .collect()
    }

    #[test]
    fn the_same_sound_matches_and_another_does_not() {
        let a = voice(4.0, 140.0, 1);
        let fa = sound_fingerprint(&a);
        assert_eq!(from_text(&to_text(&fa)).unwrap(), fa);
        // Quieter, with noise, delayed by 10 ms: the same.
        let mut state = 7u32;
        let copy: Vec<f32> = std::iter::repeat_n(0.0, 160)
            .chain(a.iter().map(|s| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                s * 0.5 + (state as f32 / u32::MAX as f32 - 0.5) * 0.002
            }))
            .collect();
        let same = match_sound(&fa, &copy).unwrap();
        assert!(same.bit_error_rate < 0.15, "{same:?}");
        let other = match_sound(&fa, &voice(4.0, 180.0, 2)).unwrap();
        assert!(other.bit_error_rate > 0.35, "{other:?}");
        // Silence has no bits.
        assert!(
            sound_fingerprint(&vec![0.0; 32_000])
                .iter()
                .all(Option::is_none)
        );
        assert!(compare(&fa, &[]).is_none());
        assert!(from_text("12g4").is_none() && from_text("123").is_none());
    }

    /// What a manifest holds is someone else's text: any of it parses or is refused, and any
    /// two fingerprints or series compare, without a panic.
    #[test]
    fn arbitrary_fingerprints_never_panic() {
        let mut state = 0x1234_5678_u32;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        let alphabet: Vec<char> = "0123456789abcdef-xG é".chars().collect();
        for _ in 0..300 {
            let len = (next() % 64) as usize;
            let text: String = (0..len)
                .map(|_| alphabet[(next() as usize) % alphabet.len()])
                .collect();
            let _ = from_text(&text);
            let _ = series_from_text(&text);
            let a: Vec<Word> = (0..next() % 100)
                .map(|_| (next() % 3 > 0).then(|| next() as u16))
                .collect();
            let b: Vec<Word> = (0..next() % 100)
                .map(|_| (next() % 3 > 0).then(|| next() as u16))
                .collect();
            let _ = compare(&a, &b);
            let s: Vec<f32> = (0..next() % 60).map(|_| (next() % 50) as f32).collect();
            let c: Vec<f32> = (0..next() % 60).map(|_| (next() % 50) as f32).collect();
            let _ = compare_pictures(&s, &c, (next() % 80) as usize);
        }
        assert!(series_from_text("zz").is_none() && series_from_text("abc").is_none());
        assert_eq!(series_from_text("10ff").unwrap(), [1.0, 255.0 / 16.0]);
    }
}

/// The picture's algorithm name in the manifest.
pub const PICTURE_ALG: &str = "org.provatar.motion-fingerprint.1";
/// Blocks a side of the grid whose change from frame to frame is measured.
const GRID: usize = 32;
/// Frames fingerprinted at most (six minutes at 25 fps; the rest is not compared).
pub const MAX_PICTURE_FRAMES: usize = 9_000;
/// Frames that must be compared at least.
const MIN_PICTURE_FRAMES: usize = 25;

/// How much each frame changes from the one before: the mean absolute change of the luma of a
/// 32×32 grid of blocks covering the picture. A talking head's series rises and falls with its
/// mouth, blinks and head; a re-encode, a scale, a crop of the edges or a change of brightness
/// keep the series' shape (its correlation with the signed one), while other pictures — a
/// still, a test pattern, the same face moved another way — do not follow it.
#[derive(Debug, Clone, Default)]
pub struct MotionSeries {
    /// The block means of the frame before (empty before the first) and of this one, and the
    /// pixels counted per block: kept between frames so that a frame allocates nothing.
    previous: Vec<f32>,
    current: Vec<f32>,
    counts: Vec<u32>,
    values: Vec<f32>,
}

impl MotionSeries {
    /// An empty series.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a frame.
    pub fn push(&mut self, frame: &provatar_types::Frame) {
        if self.values.len() >= MAX_PICTURE_FRAMES {
            return;
        }
        let (w, h) = (frame.width() as usize, frame.height() as usize);
        self.current.clear();
        self.current.resize(GRID * GRID, 0.0);
        self.counts.clear();
        self.counts.resize(GRID * GRID, 0);
        for (y, row) in frame.rgb().chunks_exact(w * 3).enumerate() {
            let by = y * GRID / h.max(1);
            for (x, p) in row.chunks_exact(3).enumerate() {
                let block = by * GRID + x * GRID / w.max(1);
                self.current[block] +=
                    0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]);
                self.counts[block] += 1;
            }
        }
        for (m, &n) in self.current.iter_mut().zip(&self.counts) {
            #[expect(clippy::cast_precision_loss, reason = "pixel counts")]
            if n > 0 {
                *m /= n as f32;
            }
        }
        let change = if self.previous.is_empty() {
            0.0
        } else {
            #[expect(clippy::cast_precision_loss, reason = "block counts")]
            let n = self.current.len() as f32;
            self.previous
                .iter()
                .zip(&self.current)
                .map(|(a, b)| (a - b).abs())
                .sum::<f32>()
                / n
        };
        self.values.push(change);
        std::mem::swap(&mut self.previous, &mut self.current);
    }

    /// The series: one value a frame (the first 0).
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// The series as text: two hex digits a frame, in sixteenths of a luma step (at most 255).
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        self.values.iter().fold(String::new(), |mut out, v| {
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "clamped to a byte"
            )]
            let q = (v * 16.0).round().clamp(0.0, 255.0) as u8;
            let _ = write!(out, "{q:02x}");
            out
        })
    }
}

/// A series from its text, or `None` when it is not one.
pub fn series_from_text(text: &str) -> Option<Vec<f32>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|c| {
            let c = std::str::from_utf8(c).ok()?;
            u8::from_str_radix(c, 16).ok().map(|q| f32::from(q) / 16.0)
        })
        .collect()
}

/// How a copy's pictures follow the signed ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PictureMatch {
    /// Correlation of the copy's motion series with the signed one (1 the same, near 0 other
    /// pictures).
    pub correlation: f32,
    /// Frames compared.
    pub frames: usize,
}

/// Compares a copy's motion series with the signed one, the copy's first frame being the
/// signed video's frame `start` (from the watermark's frame index), give or take two frames;
/// `None` when fewer than 25 frames can be compared.
pub fn compare_pictures(signed: &[f32], copy: &[f32], start: usize) -> Option<PictureMatch> {
    let mut best: Option<PictureMatch> = None;
    for lag in -2i64..=2 {
        let pairs: Vec<(f32, f32)> = copy
            .iter()
            .enumerate()
            // The first value of each series is not a change.
            .skip(1)
            .filter_map(|(j, &c)| {
                let k = i64::try_from(j + start).ok()? + lag;
                let k = usize::try_from(k).ok().filter(|&k| k > 0)?;
                signed.get(k).map(|&s| (s, c))
            })
            .collect();
        if pairs.len() < MIN_PICTURE_FRAMES {
            continue;
        }
        let r = correlation(&pairs);
        if best.is_none_or(|b| r > b.correlation) {
            best = Some(PictureMatch {
                correlation: r,
                frames: pairs.len(),
            });
        }
    }
    best
}

fn correlation(pairs: &[(f32, f32)]) -> f32 {
    #[expect(clippy::cast_precision_loss, reason = "frame counts")]
    let n = pairs.len() as f32;
    let (ma, mb) = pairs
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (mut sab, mut saa, mut sbb) = (0f32, 0f32, 0f32);
    for (x, y) in pairs {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    // Pictures that do not move follow nothing.
    if saa <= f32::EPSILON || sbb <= f32::EPSILON {
        return 0.0;
    }
    sab / (saa * sbb).sqrt()
}

/// The correlation under which a copy's pictures are not the signed ones (BENCHMARKS.md).
pub const MIN_PICTURE_CORRELATION: f32 = 0.5;
