//! From hops to mouth shapes: what the articulators are doing every 10 ms.
//!
//! The mapping uses broad acoustic phonetics rather than a model of one voice:
//! - **Loudness** against a running estimate of the speaker's level opens the jaw; silence
//!   (close to the running noise floor) closes it.
//! - **First formant** (energy at 450–1100 Hz against 100–450 Hz) tells open vowels (/a/, F1 ≈
//!   700 Hz) from close ones (/i u/, F1 ≈ 300 Hz): the jaw opens further on the former.
//! - **Second formant** (1700–3000 Hz against 700–1400 Hz) tells spread front vowels (/i e/) from
//!   rounded back ones (/u o w/, whose rounding lowers every formant).
//! - **Closures**: a stop or nasal (/p b m/, also /t d k g n/) silences everything above 1 kHz
//!   and the first formant's band for 50–150 ms while the sounds on either side are loud. A dip
//!   of both below their maxima within ±50 ms closes the lips.
//! - **Frication**: unvoiced energy concentrated above 3 kHz; a weak one (/f v θ/, not /s ʃ/)
//!   draws the lower lip to the upper teeth.
//!
//! Coarticulation: every shape is smoothed with a kernel that reaches 30 ms into the future, and
//! closures are widened by 10 ms on each side, so a shape starts before its sound does.

use std::collections::VecDeque;

use crate::analysis::Hop;

/// How many hops past its own a hop's closure test looks (50 ms).
const DIP_REACH: usize = 5;
/// Smoothing kernel over hops `-4..=3` (weights sum to 1; its mass leans into the future).
const KERNEL: [f32; 8] = [0.04, 0.08, 0.12, 0.16, 0.18, 0.17, 0.14, 0.11];
const KERNEL_BEFORE: usize = 4;
const KERNEL_AFTER: usize = 3;
/// Closure widening, hops each side.
const CLOSURE_SPREAD: usize = 1;
/// Hops between a hop's arrival and its mouth shape being final.
pub(crate) const DELAY_HOPS: usize = DIP_REACH + KERNEL_AFTER;
const _: () = assert!(CLOSURE_SPREAD <= KERNEL_AFTER);

pub(crate) fn smoothstep(x: f32, lo: f32, hi: f32) -> f32 {
    let t = ((x - lo) / (hi - lo)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// A hop after normalisation against the speaker's running level.
#[derive(Debug, Clone, Copy, Default)]
struct Normalized {
    /// Speech present (0..1).
    activity: f32,
    /// Loudness within the speaker's range (0..1).
    loudness: f32,
    /// 1–7 kHz energy, dB.
    upper: f32,
    /// 450–1100 Hz energy, dB.
    f1: f32,
    /// Second-formant balance (1700–3000 Hz against 700–1400 Hz), dB.
    f2: f32,
    /// Share of the 1–7 kHz energy above 3 kHz, dB: a release burst's brightness.
    burst: f32,
    /// 1600–2400 Hz against 800–1300 Hz, dB: low in a murmur behind closed lips.
    nasal: f32,
    /// Open-vowel evidence (0..1).
    open: f32,
    /// Spread (front) vowel evidence.
    spread: f32,
    /// Rounded (back) vowel evidence.
    round: f32,
    /// Frication (0..1).
    frication: f32,
    /// Weak frication (labiodental) evidence.
    labiodental: f32,
    /// Voiced (0..1).
    voiced: f32,
    /// Pitch relative to the speaker's running mean, semitones (0 unvoiced).
    pitch: f32,
    /// Level relative to the speaker's, dB.
    level: f32,
}

/// Raw targets of one hop before smoothing.
#[derive(Debug, Clone, Copy, Default)]
struct Targets {
    jaw: f32,
    closure: f32,
    funnel: f32,
    pucker: f32,
    stretch: f32,
    labiodental: f32,
    open: f32,
    activity: f32,
    emphasis: f32,
    pitch: f32,
}

/// The mouth and voice of one hop, final.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Mouth {
    /// Jaw opening (0..1) before closures.
    pub jaw: f32,
    /// A closure of the vocal tract — lips or tongue (0..1): the jaw nearly closes.
    pub stop: f32,
    /// The part of it made by the lips (0..1): the lips meet.
    pub closure: f32,
    pub funnel: f32,
    pub pucker: f32,
    pub stretch: f32,
    pub labiodental: f32,
    /// Open-vowel share of the opening (drives the lower lip).
    pub open: f32,
    /// Speech present.
    pub activity: f32,
    /// Stress: pitch accent or loudness peak (0..1).
    pub emphasis: f32,
    /// Pitch relative to the speaker's mean, semitones.
    pub pitch: f32,
}

/// A queue addressed by absolute hop number.
struct Ring<T> {
    base: usize,
    items: VecDeque<T>,
}

impl<T: Copy + Default> Ring<T> {
    fn new() -> Self {
        Self {
            base: 0,
            items: VecDeque::new(),
        }
    }

    /// One past the last hop held.
    fn end(&self) -> usize {
        self.base + self.items.len()
    }

    fn push(&mut self, item: T) {
        self.items.push_back(item);
    }

    /// Hop `i`; hops before the start read as the first one, past the end as the last.
    fn get(&self, i: isize) -> T {
        let rel = i - isize::try_from(self.base).unwrap_or(isize::MAX);
        let idx = usize::try_from(rel.max(0)).unwrap_or(0);
        self.items
            .get(idx.min(self.items.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    }

    /// Forgets hops before `keep`.
    fn trim(&mut self, keep: usize) {
        while self.base < keep && !self.items.is_empty() {
            self.items.pop_front();
            self.base += 1;
        }
    }
}

/// The per-hop mouth pipeline. Feed hops in order; mouth shapes come out `DELAY_HOPS` behind.
pub(crate) struct Lips {
    noise_floor: Option<f32>,
    level: f32,
    pitch_mean: Option<f32>,
    normalized: Ring<Normalized>,
    targets: Ring<Targets>,
    /// Mouth shapes made so far.
    made: usize,
}

impl Lips {
    pub(crate) fn new() -> Self {
        Self {
            noise_floor: None,
            level: -30.0,
            pitch_mean: None,
            normalized: Ring::new(),
            targets: Ring::new(),
            made: 0,
        }
    }

    /// Takes the next hop. `last` says no more hops will follow (the stream's end: pending
    /// shapes are finished with what is known). Calls `emit` for each finished hop.
    pub(crate) fn push(&mut self, hop: Option<&Hop>, mut emit: impl FnMut(Mouth)) {
        if let Some(hop) = hop {
            let n = self.normalize(hop);
            self.normalized.push(n);
        }
        let known = self.normalized.end();
        let last = hop.is_none();
        // Targets need DIP_REACH hops of future.
        while self.targets.end() < known && (last || self.targets.end() + DIP_REACH < known) {
            let t = self.target(self.targets.end());
            self.targets.push(t);
        }
        let ready = self.targets.end();
        while self.made < ready && (last || self.made + KERNEL_AFTER < ready) {
            emit(self.smooth(self.made));
            self.made += 1;
        }
        // History for the kernel and for a closure's run (up to 10 hops back).
        let keep = self.made.saturating_sub(12);
        self.targets.trim(keep);
        self.normalized.trim(keep);
    }

    /// Hop records buffered.
    pub(crate) fn held(&self) -> usize {
        self.normalized.items.len() + self.targets.items.len()
    }

    fn normalize(&mut self, hop: &Hop) -> Normalized {
        let e = hop.energy;
        // Noise floor: follows drops at once, rises 2 dB/s.
        let floor = match self.noise_floor {
            None => e,
            Some(f) if e < f => e,
            Some(f) => f + 0.02,
        };
        self.noise_floor = Some(floor);
        // Speaker level: quick attack, 3 dB/s release, never below the floor + 10 dB.
        if e > self.level {
            self.level += 0.3 * (e - self.level);
        } else {
            self.level -= 0.03;
        }
        self.level = self.level.max(floor + 10.0);
        let level = e - self.level;
        let activity = smoothstep(e - (floor + 8.0).max(self.level - 40.0), 0.0, 8.0);
        let loudness = smoothstep(level, -30.0, -2.0) * activity;
        let voiced = smoothstep(hop.voicing, 0.35, 0.6);
        let open = smoothstep(hop.f1 - hop.low, -14.0, 4.0);
        let f2 = hop.f2_high - hop.f2_low;
        let spread = smoothstep(f2, 0.0, 12.0);
        // A low second formant is rounding unless the vowel is open (/ɑ/ has a low F2 too).
        let round = smoothstep(-f2, 12.0, 22.0) * (1.0 - 0.5 * open);
        let frication = (1.0 - voiced) * smoothstep(hop.high - hop.low, -6.0, 8.0) * activity;
        let labiodental = frication * smoothstep(-level, 8.0, 20.0);
        let pitch = if hop.f0 > 0.0 && activity > 0.5 {
            let st = 12.0 * (hop.f0 / 100.0).log2();
            let mean = *self.pitch_mean.get_or_insert(st);
            self.pitch_mean = Some(mean + 0.01 * (st - mean));
            (st - mean).clamp(-8.0, 8.0)
        } else {
            0.0
        };
        Normalized {
            activity,
            loudness,
            upper: hop.upper,
            f1: hop.f1,
            f2,
            burst: hop.high - hop.upper,
            nasal: hop.nasal_high - hop.nasal_low,
            open,
            spread,
            round,
            frication,
            labiodental,
            voiced,
            pitch,
            level,
        }
    }

    #[expect(clippy::cast_possible_wrap, reason = "hop numbers stay far below 2^62")]
    fn target(&self, h: usize) -> Targets {
        let n = self.normalized.get(h as isize);
        // The closure test: how far the upper band sits below its maximum nearby, where the
        // neighbourhood is speech.
        let reach = DIP_REACH as isize;
        let (mut peak, mut peak_activity, mut peak_f1) = (f32::MIN, 0.0f32, f32::MIN);
        for k in -reach..=reach {
            let m = self.normalized.get(h as isize + k);
            if m.upper > peak {
                (peak, peak_activity) = (m.upper, m.activity);
            }
            peak_f1 = peak_f1.max(m.f1);
        }
        // A closure silences the first formant too (a nasal murmur sits below 450 Hz), which
        // tells it from a vowel beside a loud /s/.
        let closure = smoothstep(peak - n.upper, 9.0, 18.0)
            * smoothstep(peak_f1 - n.f1, 6.0, 14.0)
            * smoothstep(peak_activity, 0.3, 0.8);
        let voiced_vowel = n.voiced * n.activity;
        let jaw = 0.6 * n.loudness * (0.2 + 0.8 * n.open) * (1.0 - 0.6 * n.frication);
        let emphasis = (smoothstep(n.pitch, 1.0, 4.0) * n.voiced)
            .max(smoothstep(n.level, -5.0, 0.0))
            * n.activity;
        Targets {
            jaw,
            closure,
            funnel: 0.5 * n.round * voiced_vowel,
            pucker: 0.7 * n.round * voiced_vowel * (1.0 - n.open),
            stretch: 0.45 * n.spread * voiced_vowel * (1.0 - 0.5 * n.open),
            labiodental: n.labiodental,
            open: n.open * n.activity,
            activity: n.activity,
            emphasis,
            pitch: n.pitch,
        }
    }

    #[expect(clippy::cast_possible_wrap, reason = "hop numbers stay far below 2^62")]
    fn smooth(&self, h: usize) -> Mouth {
        let h = h as isize;
        let mut m = Mouth::default();
        for (k, w) in KERNEL.iter().enumerate() {
            let t = self.targets.get(h + k as isize - KERNEL_BEFORE as isize);
            m.jaw += w * t.jaw;
            m.funnel += w * t.funnel;
            m.pucker += w * t.pucker;
            m.stretch += w * t.stretch;
            m.labiodental += w * t.labiodental;
            m.open += w * t.open;
            m.activity += w * t.activity;
            m.emphasis += w * t.emphasis;
            m.pitch += w * t.pitch;
        }
        let spread = CLOSURE_SPREAD as isize;
        m.stop = (-spread..=spread)
            .map(|k| self.targets.get(h + k).closure)
            .fold(0.0, f32::max);
        if m.stop > 0.0 {
            m.closure = m.stop * self.labiality(h);
        }
        m
    }

    /// How much the closure around hop `h` is the lips' (/p b m/) rather than the tongue's
    /// (/t d n k g/), 0..1, from four cues that tell them apart in speech (measured on the
    /// aligned LibriVox and espeak-ng clips in `assets/`, 50 labial and 130 other closures, by
    /// the ignored `probe` test below):
    /// - the murmur behind closed lips has little energy at 1.6–2.4 kHz against 0.8–1.3 kHz
    ///   (the long closed front cavity), unlike /n/'s;
    /// - the release into the next sound starts with a low second formant (the labial locus,
    ///   about 800 Hz, against the alveolar 1800 Hz);
    /// - a lip release is a weak, dark burst, a tongue release a bright one above 3 kHz;
    /// - lip closures last longer (median 50 ms against 30 ms).
    ///
    /// Everything it reads lies within the look-ahead the smoothing already waits for.
    #[expect(clippy::cast_precision_loss, reason = "run lengths of a few hops")]
    fn labiality(&self, h: isize) -> f32 {
        let first_target = isize::try_from(self.targets.base).unwrap_or(isize::MAX);
        let end_target = isize::try_from(self.targets.end()).unwrap_or(isize::MAX);
        let end_known = isize::try_from(self.normalized.end()).unwrap_or(isize::MAX);
        let closed = |k: isize| self.targets.get(k).closure > 0.5;
        let (mut a, mut b) = (h, h);
        while a > first_target && a > h - 10 && closed(a - 1) {
            a -= 1;
        }
        while b + 1 < end_target && closed(b + 1) {
            b += 1;
        }
        // Means over the run, without collecting it (this runs every hop of a closure).
        let n = (b - a + 1) as f32;
        let (nasal, quiet) = (a..=b).fold((0.0, 0.0), |(s, q), k| {
            let r = self.normalized.get(k);
            (s + r.nasal, q + r.upper)
        });
        let (nasal, quiet) = (nasal / n, quiet / n);
        let murmur = smoothstep(-nasal, 0.0, 10.0);
        let length = smoothstep(n, 2.0, 6.0);
        // The release: the first hop after the run whose upper band is back.
        let release = (b + 1..end_known).find(|&k| self.normalized.get(k).upper > quiet + 9.0);
        let Some(r) = release else {
            return smoothstep(0.5 * (murmur + length), 0.3, 0.45);
        };
        let burst = smoothstep(-self.normalized.get(r).burst, 4.0, 10.0);
        let locus = if r + 1 < end_known {
            smoothstep(-self.normalized.get(r + 1).f2, -4.0, 6.0)
        } else {
            0.5
        };
        smoothstep(0.25 * (murmur + length + burst + locus), 0.3, 0.45)
    }
}

/// Where the closure cues' thresholds come from: prints every closure event and every
/// phoneme's formant balance with the aligned phone, for study (not a check).
#[cfg(test)]
#[allow(
    clippy::print_stdout,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a study aid that prints tables"
)]
mod probe {
    use super::*;
    use crate::analysis::Analyzer;

    /// Prints every closure event with its acoustic context and the aligned phone (a study aid:
    /// `cargo test -p provatar-motion --lib probe -- --ignored --nocapture`).
    #[test]
    #[ignore = "a study aid that prints, not a check"]
    fn closure_events() {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets");
        let mut files: Vec<std::path::PathBuf> = Vec::new();
        for sub in ["speech-real", "sample"] {
            for e in std::fs::read_dir(dir.join(sub)).unwrap() {
                let p = e.unwrap().path();
                if p.extension().is_some_and(|x| x == "wav") {
                    files.push(p);
                }
            }
        }
        println!(
            "file,t,dur,label,pre_f2,post_f2,murmur_lowup,nasal_ratio,burst_hi,pre_open,post_open,voicing,post3_f2"
        );
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            // 16-bit PCM WAV at 16 or 22.05 kHz: resample crudely by nearest for a study.
            let rate = u32::from_le_bytes(bytes[24..28].try_into().unwrap()) as f32;
            let pcm: Vec<f32> = bytes[44..]
                .chunks_exact(2)
                .map(|c| f32::from(i16::from_le_bytes([c[0], c[1]])) / 32768.0)
                .collect();
            let n = (pcm.len() as f32 * 16000.0 / rate) as usize;
            let samples: Vec<f32> = (0..n)
                .map(|i| pcm[((i as f32 * rate / 16000.0) as usize).min(pcm.len() - 1)])
                .collect();
            let tsv = std::fs::read_to_string(f.with_extension("tsv")).unwrap();
            let phones = crate::quality::parse_phones(&tsv, n as f32 / 16000.0);
            let mut an = Analyzer::new();
            let mut hops = Vec::new();
            an.push(&samples, |h| hops.push(h));
            let mut lips = Lips::new();
            let mut targets = Vec::new();
            for h in &hops {
                lips.push(Some(h), |_| {});
            }
            // Recompute targets over the whole clip from a fresh pass that keeps them.
            let mut l2 = Lips::new();
            for h in &hops {
                let nrm = l2.normalize(h);
                l2.normalized.push(nrm);
            }
            for i in 0..hops.len() {
                targets.push(l2.target(i));
            }
            for ph in &phones {
                let a = (ph.start * 100.0) as usize + 1;
                let b = ((ph.end * 100.0) as usize).min(hops.len());
                if b <= a + 1 || ph.name.is_empty() {
                    continue;
                }
                let mid = &hops[a..b];
                let n = mid.len() as f32;
                let f2 = mid.iter().map(|h| h.f2_high - h.f2_low).sum::<f32>() / n;
                let op = mid.iter().map(|h| h.f1 - h.low).sum::<f32>() / n;
                println!(
                    "VOWEL,{},{},{f2:.1},{op:.1}",
                    f.file_stem().unwrap().to_string_lossy(),
                    ph.name
                );
            }
            let mut i = 0;
            while i < targets.len() {
                if targets[i].closure > 0.5 {
                    let start = i;
                    while i < targets.len() && targets[i].closure > 0.5 {
                        i += 1;
                    }
                    let end = i; // exclusive
                    let mid_t = (start + end) as f32 / 2.0 / 100.0;
                    let label = phones
                        .iter()
                        .find(|p| p.start <= mid_t && mid_t < p.end)
                        .map_or("?".to_owned(), |p| {
                            if p.name.is_empty() {
                                "_".into()
                            } else {
                                p.name.clone()
                            }
                        });
                    let pre = &hops[start.saturating_sub(2)];
                    let post = &hops[(end + 1).min(hops.len() - 1)];
                    let mid: Vec<&Hop> = hops[start..end].iter().collect();
                    let m = |f: fn(&Hop) -> f32| {
                        mid.iter().map(|h| f(h)).sum::<f32>() / mid.len() as f32
                    };
                    let burst = &hops[end.min(hops.len() - 1)];
                    println!(
                        "{},{:.2},{},{},{:.1},{:.1},{:.1},{:.1},{:.1},{:.1},{:.1},{:.2},{:.1}",
                        f.file_stem().unwrap().to_string_lossy(),
                        start as f32 / 100.0,
                        end - start,
                        label,
                        pre.f2_high - pre.f2_low,
                        post.f2_high - post.f2_low,
                        m(|h| h.low - h.upper),
                        m(|h| h.nasal_high - h.nasal_low),
                        burst.high - burst.upper,
                        pre.f1 - pre.low,
                        post.f1 - post.low,
                        m(|h| h.voicing),
                        {
                            let q = &hops[(end + 3).min(hops.len() - 1)];
                            q.f2_high - q.f2_low
                        },
                    );
                } else {
                    i += 1;
                }
            }
            let _ = lips;
        }
    }
}
