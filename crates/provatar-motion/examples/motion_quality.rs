//! The motion quality report (issue 7): lip sync against known phoneme timing, blinks, and the
//! measured effect of every control; then speed.
//!
//! ```text
//! cargo run --release -p provatar-motion --example motion_quality [-- CLIP.wav ...]
//! ```
//! Each `CLIP.wav` needs its `CLIP.tsv` (espeak-ng phoneme starts, `../shared/tools`). Without
//! arguments: the bundled sample and `../shared/data`'s clips where present.

#![allow(
    clippy::print_stdout,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    reason = "a report tool that prints figures"
)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use provatar_motion::quality::{
    CLASSES, blinks, closed_by_class, lip_sync, mean_std, parse_phones,
};
use provatar_motion::{Controls, Emotion, drive};
use provatar_types::{Audio, Limits, Shape};

fn load(path: &Path) -> Result<Audio, Box<dyn std::error::Error>> {
    Ok(provatar_media::load_audio(path, &Limits::default())?.analysis)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut clips: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if clips.is_empty() {
        clips.push(repo.join("assets/sample/speech-hello.wav"));
        for name in ["speech-bilabial.wav", "speech-long.wav"] {
            let p = repo.join("../shared/data").join(name);
            if p.is_file() {
                clips.push(p);
            }
        }
    }
    println!("## Lip sync (default controls, 25 fps)\n");
    println!(
        "| clip | s | /p b m/ | closed ±1 frame | same, 0.3 s later | speech frames closed | open vowels | jaw on open vowels | jaw on close vowels | open vowels shut | jaw in pauses | pauses shut | jaw–loudness r | blinks/min | blink s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut longest = (0.0, Audio::default());
    let mut classes = [(0usize, 0usize); 5];
    for clip in &clips {
        let audio = load(clip)?;
        let tsv = std::fs::read_to_string(clip.with_extension("tsv"))?;
        let seconds = audio.duration_seconds() as f32;
        let phones = parse_phones(&tsv, seconds);
        let track = drive(&audio, &Controls::default())?;
        let q = lip_sync(&track, audio.samples(), &phones);
        let (_, rate, length) = blinks(&track);
        println!(
            "| {} | {:.1} | {} | {:.2} | {:.2} | {:.2} | {} | {:.2} | {:.2} | {:.2} | {:.3} | {:.2} | {:.2} | {:.1} | {:.2} |",
            clip.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            seconds,
            q.bilabials,
            q.bilabial_closure,
            q.shifted_closure,
            q.speech_closed,
            q.open_vowels,
            q.open_vowel_jaw,
            q.close_vowel_jaw,
            q.open_vowel_closed,
            q.silence_jaw,
            q.silence_closed,
            q.envelope_correlation,
            rate,
            length
        );
        for (sum, c) in classes.iter_mut().zip(closed_by_class(&track, &phones)) {
            sum.0 += c.0;
            sum.1 += c.1;
        }
        if seconds > longest.0 {
            longest = (seconds, audio);
        }
    }
    let audio = longest.1;
    println!("\nFrames with the lips closed, by phoneme class (all clips above):\n");
    println!("| phonemes | frames | lips closed |");
    println!("|---|---|---|");
    for (name, (frames, closed)) in CLASSES.iter().zip(classes) {
        println!(
            "| {name} | {frames} | {:.0} % |",
            100.0 * closed as f32 / frames.max(1) as f32
        );
    }
    let mut rates = Vec::new();
    for seed in 0..10 {
        let c = Controls {
            seed,
            ..Controls::default()
        };
        rates.push(blinks(&drive(&audio, &c)?).1);
    }
    let (mean, std) = mean_std(rates.iter().copied());
    println!(
        "\nBlinks on the longest clip over seeds 0–9: {mean:.1} ± {std:.1} per minute (min {:.1}, max {:.1}).",
        rates.iter().copied().fold(f32::MAX, f32::min),
        rates.iter().copied().fold(0.0, f32::max)
    );

    println!("\n## Controls (on the longest clip; each row one setting)\n");
    println!("| control | value | measured |");
    println!("|---|---|---|");
    for (emotion, shape) in [
        (Emotion::Happy, Shape::MouthSmileLeft),
        (Emotion::Sad, Shape::MouthFrownLeft),
        (Emotion::Angry, Shape::BrowDownLeft),
        (Emotion::Surprised, Shape::EyeWideLeft),
    ] {
        for strength in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let c = Controls {
                emotion,
                emotion_strength: strength,
                ..Controls::default()
            };
            let track = drive(&audio, &c)?;
            let (mean, _) = mean_std(track.frames.iter().map(|f| f.blend.get(shape)));
            let (motion, _) = mean_std(
                track
                    .frames
                    .windows(2)
                    .map(|w| (w[1].head.pitch - w[0].head.pitch).abs().to_degrees()),
            );
            println!(
                "| {} strength | {strength} | mean {} {mean:.3}; head pitch speed {:.2}°/frame |",
                emotion.name(),
                shape.name(),
                motion
            );
        }
    }
    for yaw in [-20.0, -10.0, 0.0, 10.0, 20.0] {
        let c = Controls {
            gaze_degrees: [yaw, 0.0],
            ..Controls::default()
        };
        let track = drive(&audio, &c)?;
        let (mean, _) = mean_std(track.frames.iter().map(|f| f.gaze.yaw.to_degrees()));
        println!("| gaze yaw | {yaw}° | mean gaze yaw {mean:.2}° |");
    }
    for pitch in [-10.0, 0.0, 10.0] {
        let c = Controls {
            gaze_degrees: [0.0, pitch],
            ..Controls::default()
        };
        let track = drive(&audio, &c)?;
        let (mean, _) = mean_std(track.frames.iter().map(|f| f.gaze.pitch.to_degrees()));
        println!("| gaze pitch | {pitch}° | mean gaze pitch {mean:.2}° |");
    }
    for amount in [0.0, 0.5, 1.0, 2.0] {
        let c = Controls {
            head_motion: amount,
            ..Controls::default()
        };
        let track = drive(&audio, &c)?;
        let (_, yaw) = mean_std(track.frames.iter().map(|f| f.head.yaw.to_degrees()));
        let (_, pitch) = mean_std(track.frames.iter().map(|f| f.head.pitch.to_degrees()));
        let (_, roll) = mean_std(track.frames.iter().map(|f| f.head.roll.to_degrees()));
        println!(
            "| head motion | {amount} | std yaw {yaw:.2}°, pitch {pitch:.2}°, roll {roll:.2}° |"
        );
    }
    for distance in [0.75, 1.0, 1.5, 2.0] {
        let c = Controls {
            head_distance: distance,
            ..Controls::default()
        };
        let track = drive(&audio, &c)?;
        let (scale, _) = mean_std(track.frames.iter().map(|f| f.head.scale));
        println!("| head distance | {distance} | framing scale {scale:.3} |");
    }

    println!("\n## Speed\n");
    let reps = 5;
    let start = Instant::now();
    let mut frames = 0;
    for _ in 0..reps {
        frames += drive(&audio, &Controls::default())?.frames.len();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{frames} frames in {secs:.3} s on one core: {:.0} frames per second ({:.0}× real time at 25 fps)",
        frames as f64 / secs,
        frames as f64 / secs / 25.0
    );
    Ok(())
}
