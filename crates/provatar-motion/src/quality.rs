//! Figures that say how well a track follows speech with known phoneme timing — shared by the
//! tests and the quality report (`cargo run --release -p provatar-motion --example
//! motion_quality`).

use provatar_types::{MotionTrack, Shape};

/// One phoneme: start and end in seconds, and its IPA name (empty for a pause).
#[derive(Debug, Clone, PartialEq)]
pub struct Phone {
    /// Start, seconds.
    pub start: f32,
    /// End, seconds (the next phoneme's start).
    pub end: f32,
    /// IPA, empty for a pause.
    pub name: String,
}

/// Reads espeak-ng's timing list (`../shared/tools/phonetime.c`): one `milliseconds<TAB>IPA`
/// per line. The last phoneme ends at `duration`.
pub fn parse_phones(tsv: &str, duration: f32) -> Vec<Phone> {
    let mut starts: Vec<(f32, String)> = tsv
        .lines()
        .filter_map(|line| {
            let (ms, name) = line.split_once('\t').unwrap_or((line, ""));
            let ms: f32 = ms.trim().parse().ok()?;
            Some((ms / 1000.0, name.trim().to_owned()))
        })
        .collect();
    starts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut phones = Vec::new();
    for (i, (start, name)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(duration, |n| n.0);
        if end > *start {
            phones.push(Phone {
                start: *start,
                end,
                name: name.clone(),
            });
        }
    }
    phones
}

/// The lip opening ARKit's shapes describe: jaw opening less lip closure.
pub fn lip_opening(track: &MotionTrack, frame: usize) -> f32 {
    track.frames.get(frame).map_or(0.0, |f| {
        f.blend.get(Shape::JawOpen) - f.blend.get(Shape::MouthClose)
    })
}

/// Lips count as closed below this opening.
pub const CLOSED: f32 = 0.05;

fn is_bilabial(name: &str) -> bool {
    matches!(name.chars().next(), Some('p' | 'b' | 'm'))
}

fn is_close_vowel(name: &str) -> bool {
    matches!(name.chars().next(), Some('i' | 'ɪ' | 'u' | 'ʊ' | 'ᵻ'))
}

fn is_open_vowel(name: &str) -> bool {
    matches!(name.chars().next(), Some('a' | 'ɑ' | 'æ' | 'ɐ' | 'ɔ' | 'ɒ'))
}

/// Phoneme classes for [`closed_by_class`].
pub const CLASSES: [&str; 5] = [
    "/p b m/",
    "/f v/",
    "/t d n k g ŋ/",
    "other consonants",
    "vowels",
];

fn class_of(name: &str) -> usize {
    let vowel = name
        .chars()
        .next()
        .is_some_and(|c| "aɑæɐɔɒʌəɚɛeɪiʊuoᵻ".contains(c));
    if is_bilabial(name) {
        0
    } else if matches!(name, "f" | "v") {
        1
    } else if matches!(name, "t" | "d" | "n" | "k" | "ɡ" | "g" | "ŋ") {
        2
    } else if vowel {
        4
    } else {
        3
    }
}

/// For each of [`CLASSES`]: frames inside such phonemes, and how many of them show the lips
/// closed — how specific the closures are.
pub fn closed_by_class(track: &MotionTrack, phones: &[Phone]) -> [(usize, usize); 5] {
    let mut out = [(0, 0); 5];
    #[expect(clippy::cast_precision_loss, reason = "frame numbers stay below 2^24")]
    for k in 0..track.frames.len() {
        let t = k as f32 / track.fps.max(1) as f32;
        let Some(p) = phones.iter().find(|p| p.start <= t && t < p.end) else {
            continue;
        };
        if p.name.is_empty() {
            continue;
        }
        let c = &mut out[class_of(&p.name)];
        c.0 += 1;
        c.1 += usize::from(lip_opening(track, k) <= CLOSED);
    }
    out
}

/// What [`lip_sync`] measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LipSync {
    /// /p b m/ in the clip.
    pub bilabials: usize,
    /// Share of them with the lips closed in some frame from one frame before to one after.
    pub bilabial_closure: f32,
    /// The same test on the same windows moved 0.3 s later: what chance alone scores (a mouth
    /// that closed on everything would score as high here as above).
    pub shifted_closure: f32,
    /// Share of frames inside phonemes (not pauses) with the lips closed.
    pub speech_closed: f32,
    /// Open vowels (/a ɑ æ ɐ ɔ/) in the clip.
    pub open_vowels: usize,
    /// Mean jaw opening at their middles.
    pub open_vowel_jaw: f32,
    /// Share of open-vowel middles with the lips closed (should be near 0).
    pub open_vowel_closed: f32,
    /// Mean jaw opening at the middles of close vowels (/i ɪ u ʊ/).
    pub close_vowel_jaw: f32,
    /// Mean jaw opening inside pauses of 150 ms or more (60 ms margins).
    pub silence_jaw: f32,
    /// Share of those pause frames with the lips closed.
    pub silence_closed: f32,
    /// Pearson correlation of jaw opening with the loudness (RMS) envelope, all frames.
    pub envelope_correlation: f32,
}

#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    reason = "frame numbers from non-negative times"
)]
/// Lip-sync figures of a track made from `samples` (16 kHz) spoken as `phones`.
pub fn lip_sync(track: &MotionTrack, samples: &[f32], phones: &[Phone]) -> LipSync {
    let fps = track.fps as f32;
    let n = track.frames.len();
    let frame_at = |t: f32| ((t * fps).round().max(0.0) as usize).min(n.saturating_sub(1));
    let mut out = LipSync::default();
    let (mut closed, mut shifted) = (0, 0);
    let closed_in = |a: f32, b: f32| {
        (frame_at(a - 1.0 / fps)..=frame_at(b + 1.0 / fps)).any(|k| lip_opening(track, k) <= CLOSED)
    };
    for p in phones.iter().filter(|p| is_bilabial(&p.name)) {
        out.bilabials += 1;
        closed += usize::from(closed_in(p.start, p.end));
        shifted += usize::from(closed_in(p.start + 0.3, p.end + 0.3));
    }
    out.bilabial_closure = closed as f32 / out.bilabials.max(1) as f32;
    out.shifted_closure = shifted as f32 / out.bilabials.max(1) as f32;
    let (mut inside, mut shut) = (0usize, 0usize);
    for p in phones.iter().filter(|p| !p.name.is_empty()) {
        for k in frame_at(p.start)..frame_at(p.end) {
            inside += 1;
            shut += usize::from(lip_opening(track, k) <= CLOSED);
        }
    }
    out.speech_closed = shut as f32 / inside.max(1) as f32;
    let (mut jaw, mut shut) = (0.0, 0);
    for p in phones.iter().filter(|p| is_open_vowel(&p.name)) {
        out.open_vowels += 1;
        let k = frame_at(0.5 * (p.start + p.end));
        jaw += track
            .frames
            .get(k)
            .map_or(0.0, |f| f.blend.get(Shape::JawOpen));
        if lip_opening(track, k) <= CLOSED {
            shut += 1;
        }
    }
    out.open_vowel_jaw = jaw / out.open_vowels.max(1) as f32;
    let close: Vec<f32> = phones
        .iter()
        .filter(|p| is_close_vowel(&p.name))
        .map(|p| {
            let k = frame_at(0.5 * (p.start + p.end));
            track
                .frames
                .get(k)
                .map_or(0.0, |f| f.blend.get(Shape::JawOpen))
        })
        .collect();
    out.close_vowel_jaw = close.iter().sum::<f32>() / close.len().max(1) as f32;
    out.open_vowel_closed = shut as f32 / out.open_vowels.max(1) as f32;
    let (mut jaw, mut frames, mut shut) = (0.0, 0usize, 0usize);
    for p in phones
        .iter()
        .filter(|p| p.name.is_empty() && p.end - p.start >= 0.15)
    {
        let (a, b) = (frame_at(p.start + 0.06), frame_at(p.end - 0.06));
        for k in a..=b {
            jaw += track
                .frames
                .get(k)
                .map_or(0.0, |f| f.blend.get(Shape::JawOpen));
            frames += 1;
            if lip_opening(track, k) <= CLOSED {
                shut += 1;
            }
        }
    }
    out.silence_jaw = jaw / frames.max(1) as f32;
    out.silence_closed = if frames == 0 {
        1.0
    } else {
        shut as f32 / frames as f32
    };
    let rms: Vec<f32> = (0..n)
        .map(|k| {
            let centre = k as f32 / fps * 16_000.0;
            let (a, b) = (
                (centre - 320.0).max(0.0) as usize,
                ((centre + 320.0) as usize).min(samples.len()),
            );
            let slice = samples.get(a..b).unwrap_or(&[]);
            (slice.iter().map(|s| s * s).sum::<f32>() / slice.len().max(1) as f32).sqrt()
        })
        .collect();
    let jaws: Vec<f32> = track
        .frames
        .iter()
        .map(|f| f.blend.get(Shape::JawOpen))
        .collect();
    out.envelope_correlation = pearson(&rms, &jaws);
    out
}

/// Pearson correlation (0 when either series is constant).
#[expect(clippy::cast_precision_loss, reason = "series lengths stay below 2^24")]
pub fn pearson(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    if n < 2 {
        return 0.0;
    }
    let (ma, mb) = (
        a[..n].iter().sum::<f32>() / n as f32,
        b[..n].iter().sum::<f32>() / n as f32,
    );
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a[..n].iter().zip(&b[..n]) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    if saa <= 0.0 || sbb <= 0.0 {
        0.0
    } else {
        sab / (saa * sbb).sqrt()
    }
}

/// Blinks: how many (the left lid passing 0.5), per minute, and their mean length in seconds
/// (frames with the lid above 0.3).
#[expect(clippy::cast_precision_loss, reason = "frame counts stay below 2^24")]
pub fn blinks(track: &MotionTrack) -> (usize, f32, f32) {
    let lids: Vec<f32> = track
        .frames
        .iter()
        .map(|f| f.blend.get(Shape::EyeBlinkLeft))
        .collect();
    let count = lids
        .windows(2)
        .filter(|w| w[0] < 0.5 && w[1] >= 0.5)
        .count();
    let minutes = lids.len() as f32 / track.fps.max(1) as f32 / 60.0;
    let above = lids.iter().filter(|&&l| l > 0.3).count();
    let length = above as f32 / track.fps.max(1) as f32 / count.max(1) as f32;
    (count, count as f32 / minutes.max(1e-6), length)
}

/// Mean and standard deviation of a series.
#[expect(clippy::cast_precision_loss, reason = "series lengths stay below 2^24")]
pub fn mean_std(values: impl Iterator<Item = f32>) -> (f32, f32) {
    let v: Vec<f32> = values.collect();
    let n = v.len().max(1) as f32;
    let mean = v.iter().sum::<f32>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / n;
    (mean, var.sqrt())
}
