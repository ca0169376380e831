//! Speech → facial motion: one [`MotionFrame`] per video frame — ARKit blendshapes, head pose
//! and gaze — from a speech or singing clip, with emotion, gaze, head-distance and head-motion
//! controls.
//!
//! ```text
//! audio (16 kHz) ─► analysis: band energies, voicing, pitch every 10 ms
//!                ─► lips: loudness, formant balance, closures, frication → mouth shapes
//!                ─► face: expression (emotion), brows on emphasis, blinks, saccades, head
//!                ─► MotionFrame per video frame
//! ```
//!
//! The method is signal processing, not a model trained on one voice: every cue is a broad
//! acoustic fact of speech (the `lips` module's documentation names each), measured relative to the
//! speaker's own running level and pitch, so it carries across voices, languages and singing.
//!
//! One causal engine serves both modes: [`drive`] runs [`MotionStream`] over the whole clip,
//! so a stream fed in any chunk sizes yields exactly the frames a batch call does. Each frame
//! needs [`LOOKAHEAD_MS`] of audio past its own time.

#![forbid(unsafe_code)]

mod analysis;
mod export;
mod face;
mod lips;
pub mod quality;

use std::collections::VecDeque;

use provatar_types::{ANALYSIS_SAMPLE_RATE, Audio, MotionFrame, MotionTrack};

pub use export::{to_json, to_livelink_csv};

use analysis::{Analyzer, HOP, HOPS_PER_SECOND, WINDOW_AHEAD};
use lips::{DELAY_HOPS, Lips, Mouth};

/// Audio a frame needs past its own time before it can be made: the analysis window (10 ms),
/// the closure test (50 ms), anticipatory smoothing (30 ms) and the frame's own span (10 ms).
/// At frame rates that do not divide 100, up to 5 ms more (a frame's time rounds to a hop).
pub const LOOKAHEAD_MS: u32 = 100;

/// An expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Emotion {
    /// No expression added.
    #[default]
    Neutral,
    /// Smile, cheeks raised, livelier head.
    Happy,
    /// Frown, inner brows up, head lower and calmer, less articulation.
    Sad,
    /// Brows down, nose wrinkled, lips pressed.
    Angry,
    /// Brows up, eyes wide, jaw dropped a little.
    Surprised,
}

impl Emotion {
    /// Every emotion.
    pub const ALL: [Self; 5] = [
        Self::Neutral,
        Self::Happy,
        Self::Sad,
        Self::Angry,
        Self::Surprised,
    ];

    /// The CLI name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Neutral => "neutral",
            Self::Happy => "happy",
            Self::Sad => "sad",
            Self::Angry => "angry",
            Self::Surprised => "surprised",
        }
    }

    /// The emotion with this name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// What the user controls.
#[derive(Debug, Clone, PartialEq)]
pub struct Controls {
    /// Video frames per second (1..=120).
    pub fps: u32,
    /// The expression.
    pub emotion: Emotion,
    /// How strongly (0..=1): shapes both the resting expression and the dynamics.
    pub emotion_strength: f32,
    /// Where the eyes hold between saccades, degrees `[yaw, pitch]` (±30, ±20): positive yaw
    /// looks towards the image's right, positive pitch up.
    pub gaze_degrees: [f32; 2],
    /// Framing: 1 = face about 55 % of the frame height, 2 = half that (0.5..=3).
    pub head_distance: f32,
    /// Head-motion amount: 0 = still, 1 = natural, up to 3.
    pub head_motion: f32,
    /// Seed of every random choice (blinks, saccades, head drift).
    pub seed: u64,
}

impl Default for Controls {
    fn default() -> Self {
        Self {
            fps: 25,
            emotion: Emotion::Neutral,
            emotion_strength: 0.5,
            gaze_degrees: [0.0, 0.0],
            head_distance: 1.0,
            head_motion: 1.0,
            seed: 0,
        }
    }
}

/// Why no motion was made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MotionError {
    /// A control is outside its range.
    #[error("invalid {name} {value} (expected {range})")]
    InvalidControl {
        /// The control.
        name: &'static str,
        /// What was given.
        value: f64,
        /// The allowed range.
        range: &'static str,
    },
    /// A sample is NaN or infinite.
    #[error("audio sample {index} is not a finite number ({value})")]
    NonFiniteSample {
        /// Position in the clip (16 kHz samples from the start).
        index: u64,
        /// The value.
        value: f32,
    },
    /// The clip has no samples.
    #[error("the audio is empty")]
    EmptyAudio,
}

impl Controls {
    /// Checks every control's range.
    ///
    /// # Errors
    /// [`MotionError::InvalidControl`] naming the first control out of range.
    pub fn validate(&self) -> Result<(), MotionError> {
        let check = |name, value: f32, lo: f32, hi: f32, range| {
            if value.is_finite() && (lo..=hi).contains(&value) {
                Ok(())
            } else {
                Err(MotionError::InvalidControl {
                    name,
                    value: f64::from(value),
                    range,
                })
            }
        };
        if !(1..=120).contains(&self.fps) {
            return Err(MotionError::InvalidControl {
                name: "fps",
                value: f64::from(self.fps),
                range: "1..=120",
            });
        }
        check("emotion strength", self.emotion_strength, 0.0, 1.0, "0..=1")?;
        check(
            "gaze yaw",
            self.gaze_degrees[0],
            -30.0,
            30.0,
            "-30..=30 degrees",
        )?;
        check(
            "gaze pitch",
            self.gaze_degrees[1],
            -20.0,
            20.0,
            "-20..=20 degrees",
        )?;
        check("head distance", self.head_distance, 0.5, 3.0, "0.5..=3")?;
        check("head motion", self.head_motion, 0.0, 3.0, "0..=3")
    }
}

/// Makes the motion track of a whole clip.
///
/// # Errors
/// [`MotionError`] for an out-of-range control, an empty clip or a non-finite sample.
pub fn drive(audio: &Audio, controls: &Controls) -> Result<MotionTrack, MotionError> {
    if audio.samples().is_empty() {
        return Err(MotionError::EmptyAudio);
    }
    let mut stream = MotionStream::new(controls)?;
    let mut frames = Vec::new();
    // Chunks keep the analyzer's buffer small however long the clip.
    for chunk in audio.samples().chunks(16_000) {
        frames.extend(stream.push(chunk)?);
    }
    frames.extend(stream.finish());
    Ok(MotionTrack {
        fps: controls.fps,
        frames,
    })
}

/// Causal motion: push audio as it arrives, get each frame as soon as [`LOOKAHEAD_MS`] of audio
/// past its time is in. Memory stays bounded however long the stream.
pub struct MotionStream {
    fps: u32,
    analyzer: Analyzer,
    lips: Lips,
    face: face::Face,
    /// Mouth shapes from hop `mouth_base` on.
    mouths: VecDeque<Mouth>,
    mouth_base: usize,
    mouths_made: usize,
    next_frame: u64,
    samples: u64,
}

impl std::fmt::Debug for MotionStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MotionStream")
            .field("fps", &self.fps)
            .field("samples", &self.samples)
            .field("frames", &self.next_frame)
            .finish_non_exhaustive()
    }
}

impl MotionStream {
    /// Opens a stream.
    ///
    /// # Errors
    /// [`MotionError::InvalidControl`] for a control out of range.
    pub fn new(controls: &Controls) -> Result<Self, MotionError> {
        controls.validate()?;
        Ok(Self {
            fps: controls.fps,
            analyzer: Analyzer::new(),
            lips: Lips::new(),
            face: face::Face::new(controls),
            mouths: VecDeque::new(),
            mouth_base: 0,
            mouths_made: 0,
            next_frame: 0,
            samples: 0,
        })
    }

    /// Items held in the stream's buffers (samples, per-hop records): bounded however long the
    /// stream runs. For tests and diagnostics.
    #[doc(hidden)]
    pub fn held(&self) -> usize {
        self.analyzer.held() + self.lips.held() + self.mouths.len()
    }

    /// The number of frames made so far.
    pub fn frames_made(&self) -> u64 {
        self.next_frame
    }

    /// Adds 16-kHz mono samples (any count); returns the frames that became ready.
    ///
    /// # Errors
    /// [`MotionError::NonFiniteSample`] for a NaN or infinite sample (nothing of this chunk is
    /// used; the stream can go on with the next).
    pub fn push(&mut self, samples: &[f32]) -> Result<Vec<MotionFrame>, MotionError> {
        if let Some((i, &value)) = samples.iter().enumerate().find(|(_, s)| !s.is_finite()) {
            return Err(MotionError::NonFiniteSample {
                index: self.samples + i as u64,
                value,
            });
        }
        self.samples += samples.len() as u64;
        let (lips, mouths, made) = (&mut self.lips, &mut self.mouths, &mut self.mouths_made);
        self.analyzer.push(samples, |hop| {
            lips.push(Some(&hop), |m| {
                mouths.push_back(m);
                *made += 1;
            });
        });
        Ok(self.frames_ready(None))
    }

    /// Ends the stream: makes the frames that still wait for look-ahead (the audio after the
    /// end counts as silence), up to the last frame the audio covers.
    pub fn finish(mut self) -> Vec<MotionFrame> {
        let total = (self.samples * u64::from(self.fps)).div_ceil(u64::from(ANALYSIS_SAMPLE_RATE));
        let pad = vec![0.0; (DELAY_HOPS + 4) * HOP + WINDOW_AHEAD];
        let (lips, mouths, made) = (&mut self.lips, &mut self.mouths, &mut self.mouths_made);
        self.analyzer.push(&pad, |hop| {
            lips.push(Some(&hop), |m| {
                mouths.push_back(m);
                *made += 1;
            });
        });
        lips.push(None, |m| {
            mouths.push_back(m);
            *made += 1;
        });
        self.frames_ready(Some(total))
    }

    /// The hop a frame's time falls on.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "frame times are non-negative and far below 2^24 hops"
    )]
    fn hop_of(&self, frame: u64) -> usize {
        (frame as f64 * f64::from(HOPS_PER_SECOND) / f64::from(self.fps)).round() as usize
    }

    fn frames_ready(&mut self, total: Option<u64>) -> Vec<MotionFrame> {
        let mut out = Vec::new();
        loop {
            let k = self.next_frame;
            if total.is_some_and(|n| k >= n) {
                break;
            }
            let hop = self.hop_of(k);
            if hop + 1 >= self.mouths_made && total.is_none() {
                break;
            }
            let mouth = self.frame_mouth(hop);
            #[expect(clippy::cast_precision_loss, reason = "frame counts stay below 2^24")]
            let t = k as f32 / self.fps as f32;
            out.push(self.face.frame(t, &mouth));
            self.next_frame += 1;
        }
        // Forget hops no later frame needs.
        let keep = self.hop_of(self.next_frame).saturating_sub(2);
        while self.mouth_base < keep && !self.mouths.is_empty() {
            self.mouths.pop_front();
            self.mouth_base += 1;
        }
        out
    }

    /// The mouth over a frame's span (hops `hop-1..=hop+1`): means, and the closure at the
    /// frame's own time (a closure lasts 50 ms or more, so one frame in two or three shows it at
    /// 25 fps; a wider test would swallow the short vowels between two consonants).
    fn frame_mouth(&self, hop: usize) -> Mouth {
        let get = |h: usize| {
            let i = h.saturating_sub(self.mouth_base);
            self.mouths
                .get(i.min(self.mouths.len().saturating_sub(1)))
                .copied()
                .unwrap_or_default()
        };
        let hops = [get(hop.saturating_sub(1)), get(hop), get(hop + 1)];
        let mean = |f: fn(&Mouth) -> f32| hops.iter().map(f).sum::<f32>() / 3.0;
        // The closure at the frame's own time. Lips: the jaw closes and the lips meet. Tongue:
        // the jaw half closes and the lips stay a little apart.
        let (stop, lips) = (hops[1].stop, hops[1].closure);
        let other = stop - lips;
        // While speaking, only the lips close the mouth: elsewhere it keeps a small gap.
        let gap = 0.07 * mean(|m| m.activity) * (1.0 - lips);
        Mouth {
            jaw: (mean(|m| m.jaw) * (1.0 - 0.9 * lips - 0.5 * other) + 0.07 * other).max(gap),
            stop,
            closure: lips,
            funnel: mean(|m| m.funnel),
            pucker: mean(|m| m.pucker),
            stretch: mean(|m| m.stretch),
            labiodental: mean(|m| m.labiodental),
            open: mean(|m| m.open),
            activity: mean(|m| m.activity),
            emphasis: mean(|m| m.emphasis),
            pitch: mean(|m| m.pitch),
        }
    }
}
