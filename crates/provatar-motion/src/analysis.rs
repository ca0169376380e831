//! Short-time speech analysis: band energies, voicing and pitch every 10 ms.
//!
//! Hop `h` describes the audio around `h · 10 ms`: the spectrum over a 20-ms Hann window
//! centred there, the pitch over a 40-ms window that ends 10 ms after it. So a hop is known 10 ms
//! after its time — the first part of the stream's look-ahead.

#![expect(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "window lengths, bins and lags are small positive numbers"
)]

use std::sync::Arc;

use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

/// Samples per hop (10 ms at 16 kHz).
pub(crate) const HOP: usize = 160;
/// Hops per second.
pub(crate) const HOPS_PER_SECOND: f32 = 100.0;
const SPECTRUM_WINDOW: usize = 320;
const SPECTRUM_FFT: usize = 512;
const PITCH_WINDOW: usize = 640;
const PITCH_FFT: usize = 1024;
/// How far past its hop's time a hop's windows reach, in samples.
pub(crate) const WINDOW_AHEAD: usize = SPECTRUM_WINDOW / 2;
/// Shortest and longest pitch period searched: 457 Hz and 64 Hz.
const MIN_LAG: usize = 35;
const MAX_LAG: usize = 250;
const BIN_HZ: f32 = 16_000.0 / SPECTRUM_FFT as f32;

/// What one hop of audio sounds like.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Hop {
    /// Energy 100–7000 Hz, dB re full scale.
    pub energy: f32,
    /// 100–450 Hz: the voice's fundamental and a closed vowel's first formant, dB.
    pub low: f32,
    /// 450–1100 Hz: an open vowel's first formant, dB.
    pub f1: f32,
    /// 700–1400 Hz: a back or rounded vowel's second formant, dB.
    pub f2_low: f32,
    /// 1700–3000 Hz: a front, spread vowel's second and third formants, dB.
    pub f2_high: f32,
    /// 1000–7000 Hz: what a closure of the lips or tongue silences, dB.
    pub upper: f32,
    /// 3000–7000 Hz: frication, dB.
    pub high: f32,
    /// 800–1300 Hz: where /m/'s murmur has its anti-resonance, dB.
    pub nasal_low: f32,
    /// 1600–2400 Hz: where /n/'s murmur has its anti-resonance, dB.
    pub nasal_high: f32,
    /// Periodicity, 0 (noise) to 1 (a clean voice).
    pub voicing: f32,
    /// Pitch in Hz where voiced (voicing ≥ 0.45), else 0.
    pub f0: f32,
}

/// Turns a stream of 16-kHz samples into hops.
pub(crate) struct Analyzer {
    /// Samples from absolute index `start` on.
    samples: Vec<f32>,
    start: usize,
    /// The next hop to describe.
    next: usize,
    spectrum_window: Vec<f32>,
    pitch_window: Vec<f32>,
    /// The pitch window's own autocorrelation (to undo its taper, Boersma 1993).
    window_acf: Vec<f32>,
    forward_small: Arc<dyn RealToComplex<f32>>,
    forward_large: Arc<dyn RealToComplex<f32>>,
    inverse_large: Arc<dyn ComplexToReal<f32>>,
    small_in: Vec<f32>,
    small_out: Vec<realfft::num_complex::Complex<f32>>,
    large_in: Vec<f32>,
    large_out: Vec<realfft::num_complex::Complex<f32>>,
    acf: Vec<f32>,
}

fn hann(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let x = std::f32::consts::TAU * (i as f32 + 0.5) / n as f32;
            0.5 - 0.5 * x.cos()
        })
        .collect()
}

fn db(power: f32) -> f32 {
    10.0 * (power + 1e-10).log10()
}

impl Analyzer {
    pub(crate) fn new() -> Self {
        let mut planner = RealFftPlanner::<f32>::new();
        let forward_small = planner.plan_fft_forward(SPECTRUM_FFT);
        let forward_large = planner.plan_fft_forward(PITCH_FFT);
        let inverse_large = planner.plan_fft_inverse(PITCH_FFT);
        let mut analyzer = Self {
            samples: Vec::new(),
            start: 0,
            next: 0,
            spectrum_window: hann(SPECTRUM_WINDOW),
            pitch_window: hann(PITCH_WINDOW),
            window_acf: Vec::new(),
            small_in: forward_small.make_input_vec(),
            small_out: forward_small.make_output_vec(),
            large_in: forward_large.make_input_vec(),
            large_out: forward_large.make_output_vec(),
            acf: inverse_large.make_output_vec(),
            forward_small,
            forward_large,
            inverse_large,
        };
        let window = analyzer.pitch_window.clone();
        analyzer.autocorrelation(&window);
        analyzer.window_acf = analyzer.acf[..=MAX_LAG].to_vec();
        analyzer
    }

    /// The number of samples the analyzer has been given.
    pub(crate) fn samples_seen(&self) -> usize {
        self.start + self.samples.len()
    }

    /// Samples buffered.
    pub(crate) fn held(&self) -> usize {
        self.samples.len()
    }

    /// Adds samples; calls `emit` for every hop whose windows are now complete.
    pub(crate) fn push(&mut self, samples: &[f32], mut emit: impl FnMut(Hop)) {
        self.samples.extend_from_slice(samples);
        while self.next * HOP + WINDOW_AHEAD <= self.samples_seen() {
            let hop = self.describe(self.next);
            self.next += 1;
            emit(hop);
        }
        // Keep what the next hop's pitch window reaches back to.
        let keep_from = (self.next * HOP + WINDOW_AHEAD).saturating_sub(PITCH_WINDOW);
        if keep_from > self.start + 4 * PITCH_WINDOW {
            self.samples.drain(..keep_from - self.start);
            self.start = keep_from;
        }
    }

    /// Sample `i` (absolute); zero before the start.
    fn sample(&self, i: isize) -> f32 {
        usize::try_from(i)
            .ok()
            .and_then(|i| i.checked_sub(self.start))
            .and_then(|i| self.samples.get(i))
            .copied()
            .unwrap_or(0.0)
    }

    #[expect(
        clippy::cast_possible_wrap,
        reason = "sample positions stay far below 2^62"
    )]
    fn describe(&mut self, hop: usize) -> Hop {
        let end = (hop * HOP + WINDOW_AHEAD) as isize;
        // Spectrum.
        let first = end - SPECTRUM_WINDOW as isize;
        let mut windowed = [0.0f32; SPECTRUM_WINDOW];
        for (k, slot) in windowed.iter_mut().enumerate() {
            *slot = self.spectrum_window[k] * self.sample(first + k as isize);
        }
        self.small_in.fill(0.0);
        self.small_in[..SPECTRUM_WINDOW].copy_from_slice(&windowed);
        // The lengths were fixed when the plans were made, so the transforms cannot fail.
        let _ = self
            .forward_small
            .process(&mut self.small_in, &mut self.small_out);
        // Scale so that a full-scale sine reads about 0 dB.
        let norm = 4.0 / (SPECTRUM_WINDOW as f32 * SPECTRUM_WINDOW as f32);
        let band = |out: &[realfft::num_complex::Complex<f32>], lo: f32, hi: f32| -> f32 {
            let (a, b) = (
                (lo / BIN_HZ).round() as usize,
                (hi / BIN_HZ).round() as usize,
            );
            out[a..b.min(out.len())]
                .iter()
                .map(|c| c.norm_sqr() * norm)
                .sum()
        };
        let out = &self.small_out;
        let features = Hop {
            energy: db(band(out, 100.0, 7000.0)),
            low: db(band(out, 100.0, 450.0)),
            f1: db(band(out, 450.0, 1100.0)),
            f2_low: db(band(out, 700.0, 1400.0)),
            f2_high: db(band(out, 1700.0, 3000.0)),
            upper: db(band(out, 1000.0, 7000.0)),
            high: db(band(out, 3000.0, 7000.0)),
            nasal_low: db(band(out, 800.0, 1300.0)),
            nasal_high: db(band(out, 1600.0, 2400.0)),
            voicing: 0.0,
            f0: 0.0,
        };
        // Pitch.
        let first = end - PITCH_WINDOW as isize;
        let mut frame = [0.0f32; PITCH_WINDOW];
        for (k, slot) in frame.iter_mut().enumerate() {
            *slot = self.pitch_window[k] * self.sample(first + k as isize);
        }
        self.autocorrelation(&frame);
        let (voicing, f0) = pitch(&self.acf[..=MAX_LAG], &self.window_acf);
        Hop {
            voicing,
            f0,
            ..features
        }
    }

    /// Autocorrelation of `frame` (zero-padded to the large FFT) into `self.acf`; lags
    /// `0..=MAX_LAG` are the ones used.
    fn autocorrelation(&mut self, frame: &[f32]) {
        for (k, slot) in self.large_in.iter_mut().enumerate() {
            *slot = frame.get(k).copied().unwrap_or(0.0);
        }
        let _ = self
            .forward_large
            .process(&mut self.large_in, &mut self.large_out);
        for c in &mut self.large_out {
            *c = realfft::num_complex::Complex::new(c.norm_sqr(), 0.0);
        }
        let _ = self
            .inverse_large
            .process(&mut self.large_out, &mut self.acf);
    }
}

/// Voicing strength and pitch from a windowed frame's autocorrelation.
fn pitch(acf: &[f32], window_acf: &[f32]) -> (f32, f32) {
    let energy = acf[0];
    if energy <= 1e-9 {
        return (0.0, 0.0);
    }
    let r = |lag: usize| acf[lag] / energy / window_acf[lag].max(1e-6) * window_acf[0];
    // Every multiple of the period is nearly as periodic as the period itself: take the first
    // peak within 10 % of the best one (the shortest period that explains the signal).
    let peaks: Vec<(f32, usize)> = (MIN_LAG..MAX_LAG)
        .map(|lag| (r(lag), lag))
        .filter(|&(v, lag)| v > 0.0 && v >= r(lag - 1) && v >= r(lag + 1))
        .collect();
    let best = peaks.iter().map(|p| p.0).fold(0.0f32, f32::max);
    let Some(&(value, lag)) = peaks.iter().find(|p| p.0 >= 0.9 * best) else {
        return (0.0, 0.0);
    };
    let voicing = value.clamp(0.0, 1.0);
    // Parabolic refinement of the peak.
    let (a, b, c) = (r(lag - 1), r(lag), r(lag + 1));
    let denom = a - 2.0 * b + c;
    let shift = if denom.abs() > 1e-9 {
        (0.5 * (a - c) / denom).clamp(-0.5, 0.5)
    } else {
        0.0
    };
    let f0 = if voicing >= 0.45 {
        16_000.0 / (lag as f32 + shift)
    } else {
        0.0
    };
    (voicing, f0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(hz: f32, seconds: f32, amplitude: f32) -> Vec<f32> {
        (0..(seconds * 16_000.0) as usize)
            .map(|i| {
                let t = i as f32 / 16_000.0;
                // A buzz with harmonics, like a voice.
                (1..8)
                    .map(|k| (std::f32::consts::TAU * hz * k as f32 * t).sin() / k as f32)
                    .sum::<f32>()
                    * amplitude
            })
            .collect()
    }

    fn analyze(samples: &[f32]) -> Vec<Hop> {
        let mut analyzer = Analyzer::new();
        let mut hops = Vec::new();
        for chunk in samples.chunks(333) {
            analyzer.push(chunk, |h| hops.push(h));
        }
        hops
    }

    #[test]
    fn finds_the_pitch_of_a_buzz() {
        for hz in [90.0, 140.0, 220.0, 330.0] {
            let hops = analyze(&tone(hz, 0.5, 0.3));
            let mid = hops[25];
            assert!(mid.voicing > 0.8, "{hz} Hz: voicing {}", mid.voicing);
            assert!(
                (mid.f0 - hz).abs() < hz * 0.03,
                "{hz} Hz read as {}",
                mid.f0
            );
        }
    }

    #[test]
    fn noise_is_unvoiced_and_silence_is_quiet() {
        let mut state = 12345u32;
        let noise: Vec<f32> = (0..8000)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect();
        let hops = analyze(&noise);
        assert!(
            hops[25].voicing < 0.45,
            "noise voicing {}",
            hops[25].voicing
        );
        assert!(hops[25].f0.abs() < f32::EPSILON);
        let quiet = analyze(&vec![0.0; 8000]);
        assert!(quiet[25].energy < -90.0);
    }

    #[test]
    fn chunking_does_not_change_the_hops() {
        let audio = tone(150.0, 1.0, 0.2);
        let whole = {
            let mut analyzer = Analyzer::new();
            let mut hops = Vec::new();
            analyzer.push(&audio, |h| hops.push(h));
            hops
        };
        let pieces = analyze(&audio);
        assert_eq!(whole.len(), pieces.len());
        for (a, b) in whole.iter().zip(&pieces) {
            assert!((a.energy - b.energy).abs() < 1e-4 && (a.f0 - b.f0).abs() < 1e-3);
        }
    }
}
