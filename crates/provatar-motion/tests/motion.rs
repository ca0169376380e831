//! Motion from speech: lip sync against espeak-ng's phoneme timing, the face beyond the lips,
//! every control, streaming, and bad audio.

#![allow(
    clippy::unwrap_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "tests: small counts and times, panics are failures"
)]

use std::path::PathBuf;

use provatar_motion::quality::{
    CLOSED, blinks, closed_by_class, lip_opening, lip_sync, mean_std, parse_phones,
};
use provatar_motion::{
    Controls, Emotion, LOOKAHEAD_MS, MotionError, MotionStream, drive, to_json, to_livelink_csv,
};
use provatar_types::{Audio, Limits, MotionTrack, Shape};

fn sample(name: &str) -> (Audio, String) {
    let sub = if name.starts_with("austen") {
        "speech-real"
    } else {
        "sample"
    };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../assets")
        .join(sub);
    let audio = provatar_media::load_audio(&dir.join(format!("{name}.wav")), &Limits::default())
        .unwrap()
        .analysis;
    let tsv = std::fs::read_to_string(dir.join(format!("{name}.tsv"))).unwrap();
    (audio, tsv)
}

fn track(audio: &Audio, controls: &Controls) -> MotionTrack {
    drive(audio, controls).unwrap()
}

#[test]
fn lips_follow_the_phonemes() {
    let (mut bilabials, mut closed) = (0.0, 0.0);
    for name in ["speech-hello", "speech-bilabial"] {
        let (audio, tsv) = sample(name);
        let phones = parse_phones(&tsv, audio.duration_seconds() as f32);
        let t = track(&audio, &Controls::default());
        let q = lip_sync(&t, audio.samples(), &phones);
        bilabials += q.bilabials as f32;
        closed += q.bilabial_closure * q.bilabials as f32;
        assert!(
            q.open_vowel_closed <= 0.15,
            "{name}: lips shut on open vowels: {q:?}"
        );
        assert!(
            q.open_vowel_jaw > q.close_vowel_jaw + 0.1 && q.close_vowel_jaw > q.silence_jaw,
            "{name}: open vowels not wider than close ones and silence: {q:?}"
        );
        assert!(
            q.silence_closed >= 0.95,
            "{name}: mouth open in pauses: {q:?}"
        );
        assert!(q.envelope_correlation > 0.6, "{name}: {q:?}");
    }
    assert!(bilabials >= 20.0);
    assert!(
        closed / bilabials >= 0.85,
        "{closed} of {bilabials} /p b m/ closed"
    );
}

/// A human reader (LibriVox, aligned by pocketsphinx): the same figures over five sentences,
/// and closures that are specific to the lips' consonants.
#[test]
fn lips_follow_a_human_voice() {
    let (mut bilabials, mut closed) = (0.0, 0.0);
    let mut classes = [(0usize, 0usize); 5];
    for n in ["0870", "0880", "0890", "0920", "0930"] {
        let (audio, tsv) = sample(&format!("austen-{n}"));
        let phones = parse_phones(&tsv, audio.duration_seconds() as f32);
        let t = track(&audio, &Controls::default());
        let q = lip_sync(&t, audio.samples(), &phones);
        bilabials += q.bilabials as f32;
        closed += q.bilabial_closure * q.bilabials as f32;
        assert!(q.open_vowel_jaw > q.close_vowel_jaw + 0.1, "{n}: {q:?}");
        assert!(
            q.silence_closed >= 0.95 && q.envelope_correlation > 0.6,
            "{n}: {q:?}"
        );
        for (sum, c) in classes.iter_mut().zip(closed_by_class(&t, &phones)) {
            sum.0 += c.0;
            sum.1 += c.1;
        }
    }
    assert!(bilabials >= 25.0);
    assert!(
        closed / bilabials >= 0.85,
        "{closed} of {bilabials} /p b m/ closed"
    );
    let share = |(frames, shut): (usize, usize)| shut as f32 / frames.max(1) as f32;
    let (labial, vowels) = (share(classes[0]), share(classes[4]));
    assert!(
        labial > 0.5 && vowels < 0.15,
        "lips closed on {labial} of /p b m/ frames, {vowels} of vowel frames"
    );
    assert!(
        share(classes[2]) < 0.5 * labial,
        "tongue closures close the lips too: {classes:?}"
    );
}

#[test]
fn one_frame_per_video_frame_with_times() {
    let (audio, _) = sample("speech-hello");
    for fps in [25, 30, 60] {
        let t = track(
            &audio,
            &Controls {
                fps,
                ..Controls::default()
            },
        );
        let expected = (audio.samples().len() as u64 * u64::from(fps)).div_ceil(16_000);
        assert_eq!(t.frames.len() as u64, expected, "{fps} fps");
        assert_eq!(t.fps, fps);
        for (k, f) in t.frames.iter().enumerate() {
            assert!((f.t - k as f32 / fps as f32).abs() < 1e-5);
            for (_, w) in f.blend.iter() {
                assert!((0.0..=1.0).contains(&w));
            }
        }
    }
}

#[test]
fn streaming_in_odd_chunks_gives_the_batch_frames() {
    let (audio, _) = sample("speech-bilabial");
    let controls = Controls {
        emotion: Emotion::Happy,
        seed: 7,
        ..Controls::default()
    };
    let batch = track(&audio, &controls);
    for chunk in [1usize, 37, 320, 4099] {
        let mut stream = MotionStream::new(&controls).unwrap();
        let mut frames = Vec::new();
        let mut fed = 0usize;
        for piece in audio.samples().chunks(chunk) {
            let ready = stream.push(piece).unwrap();
            fed += piece.len();
            // Look-ahead: nothing is emitted before its time plus LOOKAHEAD_MS has arrived.
            for f in &ready {
                let needed = (f.t + LOOKAHEAD_MS as f32 / 1000.0) * 16_000.0;
                assert!(
                    fed as f32 + 1.0 >= needed - 80.0,
                    "frame at {} too early",
                    f.t
                );
            }
            frames.extend(ready);
        }
        frames.extend(stream.finish());
        assert_eq!(frames, batch.frames, "chunks of {chunk}");
    }
}

#[test]
fn stream_latency_is_the_documented_lookahead() {
    let (audio, _) = sample("speech-hello");
    let mut stream = MotionStream::new(&Controls::default()).unwrap();
    let mut lag = Vec::new();
    let mut fed = 0usize;
    for piece in audio.samples().chunks(320) {
        fed += piece.len();
        for f in stream.push(piece).unwrap() {
            lag.push(fed as f32 / 16.0 - f.t * 1000.0);
        }
    }
    let worst = lag.iter().copied().fold(0.0, f32::max);
    // 20-ms chunks: a frame comes out with the chunk that completes its look-ahead.
    assert!(
        worst <= LOOKAHEAD_MS as f32 + 20.0 + 1.0,
        "worst lag {worst} ms"
    );
    const { assert!(LOOKAHEAD_MS <= 120) };
}

#[test]
fn silence_is_a_calm_closed_mouth_that_still_lives() {
    let audio = Audio::from_samples(vec![0.0; 16_000 * 6]);
    let t = track(&audio, &Controls::default());
    assert_eq!(t.frames.len(), 150);
    for k in 0..t.frames.len() {
        assert!(
            lip_opening(&t, k) <= CLOSED,
            "mouth open in silence at frame {k}"
        );
    }
    let (_, pitch_std) = mean_std(t.frames.iter().map(|f| f.head.pitch.to_degrees()));
    let (_, gaze_std) = mean_std(t.frames.iter().map(|f| f.gaze.yaw.to_degrees()));
    assert!(pitch_std > 0.05, "frozen head: {pitch_std}");
    assert!(gaze_std > 0.05, "frozen eyes: {gaze_std}");
    // Blinks go on (about 20 a minute, so a 6-s stretch may hold none for one seed).
    let total: usize = (0..5)
        .map(|seed| {
            let c = Controls {
                seed,
                ..Controls::default()
            };
            blinks(&track(&audio, &c)).0
        })
        .sum();
    assert!(total >= 5, "{total} blinks in 5 × 6 s of silence");
    // Calmer than speech.
    let (speech, _) = sample("speech-bilabial");
    let s = track(&speech, &Controls::default());
    let (_, speech_yaw) = mean_std(s.frames.iter().map(|f| f.head.yaw));
    let (_, quiet_yaw) = mean_std(t.frames.iter().map(|f| f.head.yaw));
    assert!(
        quiet_yaw < speech_yaw,
        "silence {quiet_yaw} vs speech {speech_yaw}"
    );
}

#[test]
fn blinks_at_a_natural_rate() {
    let (audio, _) = sample("speech-hello");
    let long = Audio::from_samples(audio.samples().repeat(4));
    let mut rates = Vec::new();
    for seed in 0..6 {
        let t = track(
            &long,
            &Controls {
                seed,
                ..Controls::default()
            },
        );
        let (count, rate, length) = blinks(&t);
        assert!(
            count == 0 || (0.06..=0.22).contains(&length),
            "blink {length} s"
        );
        rates.push(rate);
    }
    let (mean, _) = mean_std(rates.into_iter());
    assert!((10.0..=25.0).contains(&mean), "{mean} blinks per minute");
}

#[test]
fn seed_reproduces_and_varies() {
    let (audio, _) = sample("speech-hello");
    let c = |seed| Controls {
        seed,
        ..Controls::default()
    };
    assert_eq!(track(&audio, &c(5)), track(&audio, &c(5)));
    assert_ne!(track(&audio, &c(5)), track(&audio, &c(6)));
}

fn mean_of(t: &MotionTrack, f: impl Fn(&provatar_types::MotionFrame) -> f32) -> f32 {
    mean_std(t.frames.iter().map(f)).0
}

#[test]
fn every_control_changes_the_output_monotonically() {
    let (audio, _) = sample("speech-bilabial");
    let base = Controls::default();
    let strictly_rising = |values: &[f32]| values.windows(2).all(|w| w[1] > w[0]);
    for (emotion, shape) in [
        (Emotion::Happy, Shape::MouthSmileLeft),
        (Emotion::Sad, Shape::MouthFrownLeft),
        (Emotion::Angry, Shape::BrowDownLeft),
        (Emotion::Surprised, Shape::EyeWideLeft),
    ] {
        let v: Vec<f32> = [0.0, 0.5, 1.0]
            .iter()
            .map(|&s| {
                let t = track(
                    &audio,
                    &Controls {
                        emotion,
                        emotion_strength: s,
                        ..base.clone()
                    },
                );
                mean_of(&t, |f| f.blend.get(shape))
            })
            .collect();
        assert!(strictly_rising(&v), "{emotion:?}: {v:?}");
    }
    let yaw: Vec<f32> = [-20.0, 0.0, 20.0]
        .iter()
        .map(|&y| {
            let t = track(
                &audio,
                &Controls {
                    gaze_degrees: [y, 0.0],
                    ..base.clone()
                },
            );
            mean_of(&t, |f| f.gaze.yaw.to_degrees())
        })
        .collect();
    assert!(
        strictly_rising(&yaw) && (yaw[2] - yaw[0] - 40.0).abs() < 3.0,
        "{yaw:?}"
    );
    let pitch: Vec<f32> = [-10.0, 0.0, 10.0]
        .iter()
        .map(|&p| {
            let t = track(
                &audio,
                &Controls {
                    gaze_degrees: [0.0, p],
                    ..base.clone()
                },
            );
            mean_of(&t, |f| f.gaze.pitch.to_degrees())
        })
        .collect();
    assert!(strictly_rising(&pitch), "{pitch:?}");
    let motion: Vec<f32> = [0.0, 0.5, 1.0, 2.0]
        .iter()
        .map(|&m| {
            let t = track(
                &audio,
                &Controls {
                    head_motion: m,
                    ..base.clone()
                },
            );
            mean_std(t.frames.iter().map(|f| f.head.yaw)).1
        })
        .collect();
    assert!(motion[0] < 1e-6 && strictly_rising(&motion), "{motion:?}");
    let scale: Vec<f32> = [2.0, 1.0, 0.5]
        .iter()
        .map(|&d| {
            let t = track(
                &audio,
                &Controls {
                    head_distance: d,
                    ..base.clone()
                },
            );
            mean_of(&t, |f| f.head.scale)
        })
        .collect();
    assert!(strictly_rising(&scale), "{scale:?}");
}

#[test]
fn out_of_range_controls_are_refused_by_name() {
    let (audio, _) = sample("speech-hello");
    for (controls, name) in [
        (
            Controls {
                emotion_strength: 1.5,
                ..Controls::default()
            },
            "emotion strength",
        ),
        (
            Controls {
                gaze_degrees: [45.0, 0.0],
                ..Controls::default()
            },
            "gaze yaw",
        ),
        (
            Controls {
                head_distance: f32::NAN,
                ..Controls::default()
            },
            "head distance",
        ),
        (
            Controls {
                fps: 0,
                ..Controls::default()
            },
            "fps",
        ),
    ] {
        let err = drive(&audio, &controls).unwrap_err();
        assert!(
            matches!(err, MotionError::InvalidControl { name: n, .. } if n == name),
            "{err}"
        );
        assert!(err.to_string().contains("expected"), "{err}");
    }
}

#[test]
fn bad_audio_is_refused_or_handled() {
    assert_eq!(
        drive(&Audio::default(), &Controls::default()).unwrap_err(),
        MotionError::EmptyAudio
    );
    let (audio, _) = sample("speech-hello");
    let mut samples = audio.samples().to_vec();
    samples[20_000] = f32::NAN;
    let err = drive(&Audio::from_samples(samples.clone()), &Controls::default()).unwrap_err();
    assert!(
        matches!(err, MotionError::NonFiniteSample { index: 20_000, .. }),
        "{err}"
    );
    samples[20_000] = f32::INFINITY;
    assert!(drive(&Audio::from_samples(samples), &Controls::default()).is_err());
    // 0.1 s: three frames at 25 fps, mouth near rest.
    let short = Audio::from_samples(audio.samples()[..1600].to_vec());
    assert_eq!(track(&short, &Controls::default()).frames.len(), 3);
    // Clipped speech (10 dB too loud, hard-limited: a few % of the samples flat-topped)
    // still syncs.
    let (audio, tsv) = sample("speech-bilabial");
    let clipped: Vec<f32> = audio
        .samples()
        .iter()
        .map(|s| (s * 3.0).clamp(-1.0, 1.0))
        .collect();
    let t = track(&Audio::from_samples(clipped.clone()), &Controls::default());
    let q = lip_sync(
        &t,
        &clipped,
        &parse_phones(&tsv, audio.duration_seconds() as f32),
    );
    assert!(
        q.bilabial_closure >= 0.85 && q.envelope_correlation > 0.6,
        "{q:?}"
    );
}

#[test]
fn long_streams_hold_bounded_memory() {
    // Ten minutes of a buzzing tone in 20-ms chunks: the stream's buffers stay small.
    let mut stream = MotionStream::new(&Controls::default()).unwrap();
    let chunk: Vec<f32> = (0..320).map(|i| (i as f32 * 0.07).sin() * 0.2).collect();
    let mut frames = 0usize;
    let mut most = 0usize;
    for _ in 0..(600 * 50) {
        frames += stream.push(&chunk).unwrap().len();
        most = most.max(stream.held());
    }
    frames += stream.finish().len();
    assert_eq!(frames, 600 * 25);
    assert!(most < 20_000, "held {most} items");
}

#[test]
fn exports_carry_every_arkit_name() {
    let (audio, _) = sample("speech-hello");
    let t = track(&audio, &Controls::default());
    let json: serde_json::Value = serde_json::from_str(&to_json(&t)).unwrap();
    let frames = json["frames"].as_array().unwrap();
    assert_eq!(frames.len(), t.frames.len());
    for shape in Shape::ALL {
        assert!(
            frames[10]["blendshapes"][shape.name()].is_number(),
            "{}",
            shape.name()
        );
    }
    let csv = to_livelink_csv(&t);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header.len(), 2 + 52 + 9);
    assert_eq!(
        &header[..3],
        ["Timecode", "BlendShapeCount", "EyeBlinkLeft"]
    );
    assert_eq!(header[2 + 17], "JawOpen");
    assert_eq!(header[2 + 51], "TongueOut");
    assert_eq!(&header[54..57], ["HeadYaw", "HeadPitch", "HeadRoll"]);
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), t.frames.len());
    let row: Vec<&str> = rows[26].split(',').collect();
    assert_eq!(row.len(), header.len());
    assert_eq!(row[0], "00:00:01:01.000");
    assert_eq!(row[1], "61");
    let jaw: f32 = row[2 + 17].parse().unwrap();
    assert!((jaw - t.frames[26].blend.get(Shape::JawOpen)).abs() < 1e-5);
}

/// A sung vowel: a pulse train at `f0` (with 5.5-Hz vibrato) through a cascade of five formant
/// resonators (the vowel's first three, then 3.5 and 4.5 kHz as in any adult voice).
fn sung_vowel(f0: f32, formants: [f32; 3], seconds: f32) -> Vec<f32> {
    let n = (seconds * 16_000.0) as usize;
    let mut phase = 0.0f32;
    let mut source = Vec::with_capacity(n);
    let mut lp = 0.0f32;
    for i in 0..n {
        let t = i as f32 / 16_000.0;
        let f = f0 * (1.0 + 0.03 * (std::f32::consts::TAU * 5.5 * t).sin());
        phase += f / 16_000.0;
        let pulse = if phase >= 1.0 {
            phase -= 1.0;
            1.0
        } else {
            0.0
        };
        // Glottal source and lip radiation together fall about 6 dB per octave.
        lp += 0.1 * (pulse - lp);
        source.push(lp);
    }
    let mut signal = source;
    let all = [formants[0], formants[1], formants[2], 3500.0, 4500.0];
    for (f, bw) in all.into_iter().zip([80.0f32, 100.0, 150.0, 200.0, 250.0]) {
        let r = (-std::f32::consts::PI * bw / 16_000.0).exp();
        let c = 2.0 * r * (std::f32::consts::TAU * f / 16_000.0).cos();
        // Unity gain at 0 Hz, as in a cascade formant synthesiser.
        let gain = 1.0 - c + r * r;
        let (mut y1, mut y2) = (0.0f32, 0.0f32);
        for x in &mut signal {
            let y = gain * *x + c * y1 - r * r * y2;
            (y2, y1) = (y1, y);
            *x = y;
        }
    }
    let peak = signal.iter().fold(0.0f32, |m, s| m.max(s.abs())).max(1e-9);
    // Fade in and out over 30 ms like a sung onset.
    let fade = 480.0;
    signal
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let edge = (i as f32 / fade).min((n - i) as f32 / fade).min(1.0);
            0.5 * s / peak * edge
        })
        .collect()
}

/// Singing: sustained vowels at a soprano's pitch read as open /a/, spread /i/, rounded /u/ —
/// the formant cues, not loudness alone — and the lips never close inside a held vowel.
#[test]
fn sung_vowels_take_their_shapes() {
    let vowels = [
        ("a", [800.0, 1200.0, 2600.0]),
        ("i", [300.0, 2300.0, 3000.0]),
        ("u", [320.0, 800.0, 2400.0]),
    ];
    let mut samples = vec![0.0; 8000];
    let mut spans = Vec::new();
    for (k, (_, formants)) in vowels.iter().enumerate() {
        let f0 = [440.0, 392.0, 330.0][k];
        let start = samples.len() as f32 / 16_000.0;
        samples.extend(sung_vowel(f0, *formants, 1.2));
        spans.push((start + 0.3, start + 0.9));
        samples.extend(vec![0.0; 8000]);
    }
    let t = track(&Audio::from_samples(samples), &Controls::default());
    let mean_in = |(a, b): (f32, f32), shape: Shape| {
        let frames: Vec<f32> = t
            .frames
            .iter()
            .filter(|f| f.t >= a && f.t < b)
            .map(|f| f.blend.get(shape))
            .collect();
        frames.iter().sum::<f32>() / frames.len() as f32
    };
    let [a, i, u] = [spans[0], spans[1], spans[2]];
    for span in spans {
        for f in t.frames.iter().filter(|f| f.t >= span.0 && f.t < span.1) {
            let opening = f.blend.get(Shape::JawOpen) - f.blend.get(Shape::MouthClose);
            assert!(
                opening > CLOSED,
                "lips closed inside a sung vowel at {}",
                f.t
            );
        }
    }
    let jaw = |s| mean_in(s, Shape::JawOpen);
    assert!(
        jaw(a) > jaw(i) + 0.1 && jaw(a) > jaw(u) + 0.1,
        "jaw a {} i {} u {}",
        jaw(a),
        jaw(i),
        jaw(u)
    );
    let round = |s| mean_in(s, Shape::MouthPucker) + mean_in(s, Shape::MouthFunnel);
    assert!(
        round(u) > round(a) + 0.1 && round(u) > round(i) + 0.1,
        "round a {} i {} u {}",
        round(a),
        round(i),
        round(u)
    );
    let spread = |s| mean_in(s, Shape::MouthStretchLeft);
    assert!(
        spread(i) > spread(u) + 0.1 && spread(i) > spread(a),
        "spread a {} i {} u {}",
        spread(a),
        spread(i),
        spread(u)
    );
}
