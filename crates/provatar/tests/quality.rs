//! provatar's own face analyser, run on the decoded frames of videos `generate` made, sees what
//! the speech and the controls ask for: the lips close on /p b m/ and open on open vowels, the
//! opening follows the loudness, the eyes blink, the head moves and moves smoothly, a happy
//! face lifts the mouth corners and a gaze to the left moves the irises left.
//!
//! The figures are printed (`cargo test -p provatar --test quality -- --nocapture`) and
//! reported in BENCHMARKS.md; the bounds below leave room for the analyser's own noise.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a test that prints its measured figures"
)]

use std::path::{Path, PathBuf};

use provatar::face::FaceAnalyzer;
use provatar::media::{Limits, VideoDecoder};
use provatar::motion::{Controls, Emotion};
use provatar::types::Shape;
use provatar::{GenerateRequest, Generated};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What the analyser sees in one frame, in units of the eye distance (outer corners).
#[derive(Debug, Clone, Copy)]
struct Seen {
    /// Inner lip gap.
    lips: f32,
    /// Lid gap, both eyes averaged.
    eyes: f32,
    /// Mouth corners above the lips' middle (positive: smiling).
    corners: f32,
    /// Iris centres from the eye corners' middle, in eye widths (positive: image right).
    iris: f32,
    /// Head yaw and pitch, degrees.
    yaw: f32,
    pitch: f32,
}

fn generate(dir: &Path, name: &str, audio: &str, controls: Controls) -> Generated {
    let sample = repo().join("assets/sample");
    let keys = repo().join("keys/dev");
    provatar::generate(
        &GenerateRequest {
            portrait: sample.join("portrait-astronaut.png"),
            audio: sample.join(audio),
            consent: Some(sample.join("consent.json")),
            license: sample.join("license.json"),
            out: dir.join(format!("{name}.mp4")),
            signer: keys.clone(),
            trust: keys.join("trust"),
            store: dir.join("store"),
            policy: provatar::consent::Policy::default_policy(),
            controls,
            size: 512,
        },
        &mut |_, _| {},
    )
    .unwrap()
}

/// Every `step`-th decoded frame of `video`, as the analyser sees it.
fn watch(video: &Path, step: usize) -> Vec<Seen> {
    let bytes = std::fs::read(video).unwrap();
    let mut decoder = VideoDecoder::from_bytes(bytes, &Limits::default()).unwrap();
    let analyzer = FaceAnalyzer::new().unwrap();
    let mut seen = Vec::new();
    let mut k = 0;
    while let Some(decoded) = decoder.next_frame().unwrap() {
        k += 1;
        if (k - 1) % step != 0 {
            continue;
        }
        let frame = decoder.to_rgb(&decoded.picture).unwrap();
        let rig = analyzer.analyze(&frame).unwrap();
        let p = |i: usize| [rig.landmarks[i][0], rig.landmarks[i][1]];
        let dist = |a: usize, b: usize| (p(a)[0] - p(b)[0]).hypot(p(a)[1] - p(b)[1]);
        let iod = dist(33, 263);
        seen.push(Seen {
            lips: dist(13, 14) / iod,
            eyes: (dist(159, 145) + dist(386, 374)) / (2.0 * iod),
            corners: (0.5 * (p(13)[1] + p(14)[1]) - 0.5 * (p(61)[1] + p(291)[1])) / iod,
            iris: f32::midpoint(
                (p(468)[0] - f32::midpoint(p(33)[0], p(133)[0])) / dist(33, 133),
                (p(473)[0] - f32::midpoint(p(263)[0], p(362)[0])) / dist(263, 362),
            ),
            yaw: rig.pose.yaw.to_degrees(),
            pitch: rig.pose.pitch.to_degrees(),
        });
    }
    seen
}

/// The phones of a clip: `(start ms, end ms, phone)`; an empty phone is a pause.
fn phones(tsv: &str) -> Vec<(f32, f32, String)> {
    let text = std::fs::read_to_string(repo().join("assets/sample").join(tsv)).unwrap();
    let rows: Vec<(f32, String)> = text
        .lines()
        .filter_map(|l| {
            let (ms, phone) = l.split_once('\t')?;
            Some((ms.trim().parse().ok()?, phone.trim().to_owned()))
        })
        .collect();
    rows.windows(2)
        .map(|w| (w[0].0, w[1].0, w[0].1.clone()))
        .collect()
}

fn median(v: &mut [f32]) -> f32 {
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

fn mean(v: impl IntoIterator<Item = f32>) -> f32 {
    let (s, n) = v.into_iter().fold((0.0, 0.0), |(s, n), x| (s + x, n + 1.0));
    s / n
}

fn std_dev(v: &[f32]) -> f32 {
    let m = mean(v.iter().copied());
    mean(v.iter().map(|x| (x - m) * (x - m))).sqrt()
}

fn correlation(a: &[f32], b: &[f32]) -> f32 {
    let (ma, mb) = (mean(a.iter().copied()), mean(b.iter().copied()));
    let cov = mean(a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)));
    cov / (std_dev(a) * std_dev(b))
}

/// Frames (25 fps) overlapping `start..end` ms, widened by `pad` ms.
fn frames_of(start: f32, end: f32, pad: f32, n: usize) -> std::ops::Range<usize> {
    let first = ((start - pad) / 40.0).floor().max(0.0) as usize;
    let last = (((end + pad) / 40.0).ceil() as usize).min(n);
    first..last.max(first + 1).min(n)
}

/// Runs of frames: `(first, length)` where `shut` holds.
fn runs(shut: &[bool]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, &s) in shut.iter().enumerate() {
        match out.last_mut() {
            Some((first, len)) if s && *first + *len == i => *len += 1,
            _ if s => out.push((i, 1)),
            _ => {}
        }
    }
    out
}

#[test]
fn our_own_videos_show_the_speech_and_the_controls() {
    let dir = tempfile::tempdir().unwrap();
    let neutral = Controls {
        seed: 3,
        ..Controls::default()
    };

    // Speech: the bilabial sentence, every frame. Seed 1 blinks three times in it (seed 3,
    // used below, happens not to blink in these short clips).
    let made = generate(
        dir.path(),
        "speech",
        "speech-bilabial.wav",
        Controls {
            seed: 1,
            ..neutral.clone()
        },
    );
    let speech = watch(&made.out, 1);
    let n = speech.len();
    let lips: Vec<f32> = speech.iter().map(|s| s.lips).collect();
    let phones = phones("speech-bilabial.tsv");
    let open_vowels = ["ɑː", "ɔː", "æ", "aɪ"];
    let mut vowel_open: Vec<f32> = phones
        .iter()
        .filter(|p| open_vowels.contains(&p.2.as_str()))
        .flat_map(|p| frames_of(p.0, p.1, 0.0, n).map(|i| lips[i]))
        .collect();
    let vowel_open = median(&mut vowel_open);
    // The analyser reads shut lips as a gap of about 0.05 eye distances (not 0): the clip's
    // 5th percentile is that level. A /p b m/ is closed when, within a frame either side, the
    // gap comes within a quarter of the way from there to the open vowels' median.
    let mut sorted = lips.clone();
    sorted.sort_by(f32::total_cmp);
    let shut_level = sorted[n / 20];
    let closed_below = shut_level + 0.25 * (vowel_open - shut_level);
    let bilabial_gaps: Vec<f32> = phones
        .iter()
        .filter(|p| matches!(p.2.as_str(), "p" | "b" | "m"))
        .map(|p| {
            frames_of(p.0, p.1, 40.0, n)
                .map(|i| lips[i])
                .fold(f32::INFINITY, f32::min)
        })
        .collect();
    let closed = bilabial_gaps.iter().filter(|&&g| g <= closed_below).count();
    let closure = closed as f32 / bilabial_gaps.len() as f32;
    // Loudness per frame: RMS of the 40 ms the frame stands for.
    let audio = provatar::media::load_audio(
        &repo().join("assets/sample/speech-bilabial.wav"),
        &Limits::default(),
    )
    .unwrap();
    let rate = provatar::types::ANALYSIS_SAMPLE_RATE as usize;
    let samples = audio.analysis.samples();
    let loudness: Vec<f32> = (0..n)
        .map(|i| {
            let span = &samples
                [(i * rate / 25).min(samples.len())..((i + 1) * rate / 25).min(samples.len())];
            mean(span.iter().map(|s| s * s)).sqrt()
        })
        .collect();
    let env_corr = correlation(&lips, &loudness);
    let yaw: Vec<f32> = speech.iter().map(|s| s.yaw).collect();
    let pitch: Vec<f32> = speech.iter().map(|s| s.pitch).collect();
    let step = |v: &[f32]| {
        v.windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0f32, f32::max)
    };
    let (yaw_std, pitch_std) = (std_dev(&yaw), std_dev(&pitch));
    let (yaw_step, pitch_step) = (step(&yaw), step(&pitch));
    // Blinks: where the track shuts the lids, the analyser sees them shut (under 80 % of the
    // clip's median opening — it reads a full blink at about 65 %), and nowhere else.
    let track_blinks = runs(
        &made
            .motion
            .frames
            .iter()
            .map(|m| m.blend.get(Shape::EyeBlinkLeft) > 0.5)
            .collect::<Vec<_>>(),
    );
    let mut eyes: Vec<f32> = speech.iter().map(|s| s.eyes).collect();
    let open_eyes = median(&mut eyes);
    let seen_blinks = runs(
        &speech
            .iter()
            .map(|s| s.eyes < 0.8 * open_eyes)
            .collect::<Vec<_>>(),
    );

    // Controls: the hello clip, neutral vs happy vs gaze 20° left, every second frame.
    let calm = watch(
        &generate(dir.path(), "neutral", "speech-hello.wav", neutral.clone()).out,
        2,
    );
    let happy = watch(
        &generate(
            dir.path(),
            "happy",
            "speech-hello.wav",
            Controls {
                emotion: Emotion::Happy,
                emotion_strength: 1.0,
                ..neutral.clone()
            },
        )
        .out,
        2,
    );
    let left = watch(
        &generate(
            dir.path(),
            "left",
            "speech-hello.wav",
            Controls {
                gaze_degrees: [-20.0, 0.0],
                ..neutral.clone()
            },
        )
        .out,
        2,
    );
    let corners = |v: &[Seen]| mean(v.iter().map(|s| s.corners));
    let iris = |v: &[Seen]| mean(v.iter().map(|s| s.iris));

    println!(
        "speech ({n} frames): /p b m/ closed {closed} of {} ({closure:.2}); open-vowel gap {vowel_open:.3}, shut {shut_level:.3}; \
         bilabial gaps {bilabial_gaps:.3?}; lip gap vs loudness r = {env_corr:.2}; \
         yaw std {yaw_std:.2}° (largest step {yaw_step:.2}°), pitch std {pitch_std:.2}° (largest step {pitch_step:.2}°); \
         blinks in the track {track_blinks:?}, seen {seen_blinks:?} (open {open_eyes:.3}); corners neutral {:.3} happy {:.3}; irises neutral {:.3} left {:.3}",
        bilabial_gaps.len(),
        corners(&calm),
        corners(&happy),
        iris(&calm),
        iris(&left),
    );
    assert!(
        vowel_open >= 2.0 * shut_level,
        "open vowels {vowel_open:.3} vs shut {shut_level:.3}: the mouth hardly opens"
    );
    assert!(closure >= 0.8, "lips closed on {closure:.2} of /p b m/");
    assert!(env_corr >= 0.4, "lip gap vs loudness r = {env_corr:.2}");
    assert!(yaw_std.max(pitch_std) >= 0.5, "the head hardly moves");
    assert!(
        yaw_step.max(pitch_step) <= 4.0,
        "the head jumps {yaw_step:.2}° / {pitch_step:.2}° between frames"
    );
    assert!(
        !track_blinks.is_empty(),
        "seed 1 no longer blinks: pick another"
    );
    assert_eq!(
        seen_blinks.len(),
        track_blinks.len(),
        "blinks seen {seen_blinks:?} vs in the track {track_blinks:?}"
    );
    for (&(seen, _), &(track, _)) in seen_blinks.iter().zip(&track_blinks) {
        assert!(
            seen.abs_diff(track) <= 1,
            "blink seen at frame {seen}, in the track at {track}"
        );
    }
    assert!(
        corners(&happy) > corners(&calm) + 0.01,
        "corners {:.3} happy vs {:.3} neutral",
        corners(&happy),
        corners(&calm)
    );
    assert!(
        iris(&left) < iris(&calm) - 0.03,
        "irises {:.3} looking left vs {:.3} ahead",
        iris(&left),
        iris(&calm)
    );
}
