//! `provatar motion --audio FILE --out FILE [--format json|livelink-csv] [controls]`.

use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use provatar::media;
use provatar::motion::{self, Controls, Emotion};

use crate::cli::{self, MotionArgs, MotionControls, MotionFormat};
use crate::{Status, write_whole};

pub(crate) fn run(args: &MotionArgs) -> anyhow::Result<Status> {
    let controls = controls(&args.controls)?;
    let path = &args.audio;
    provatar::check_output(&args.out, &[Some(path.as_path())])?;
    let audio = media::load_audio(path, &media::Limits::default())
        .with_context(|| format!("cannot read the audio {}", path.display()))?;
    let start = Instant::now();
    let track = motion::drive(&audio.analysis, &controls)
        .with_context(|| format!("cannot make motion from {}", path.display()))?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    let text = match args.format {
        MotionFormat::Json => motion::to_json(&track),
        MotionFormat::LivelinkCsv => motion::to_livelink_csv(&track),
    };
    write_whole(&args.out, |tmp: &Path| {
        std::fs::write(tmp, text.as_bytes())
            .with_context(|| format!("cannot write {}", args.out.display()))
    })?;
    eprintln!(
        "provatar: {} frames ({:.2} s at {} fps, seed {}) from {} in {ms:.1} ms → {}",
        track.frames.len(),
        audio.analysis.duration_seconds(),
        track.fps,
        controls.seed,
        path.display(),
        args.out.display()
    );
    Ok(Status::Success)
}

/// The SDK's controls from the flags (ranges are checked by the SDK, with the flag's name).
pub(crate) fn controls(flags: &MotionControls) -> anyhow::Result<Controls> {
    let gaze = parse_gaze(&flags.gaze)?;
    let controls = Controls {
        fps: flags.fps,
        emotion: match flags.emotion {
            cli::Emotion::Neutral => Emotion::Neutral,
            cli::Emotion::Happy => Emotion::Happy,
            cli::Emotion::Sad => Emotion::Sad,
            cli::Emotion::Angry => Emotion::Angry,
            cli::Emotion::Surprised => Emotion::Surprised,
        },
        emotion_strength: flags.emotion_strength,
        gaze_degrees: gaze,
        head_distance: flags.head_distance,
        head_motion: flags.head_motion,
        seed: flags.seed.unwrap_or_else(fresh_seed),
    };
    controls.validate()?;
    Ok(controls)
}

fn parse_gaze(text: &str) -> anyhow::Result<[f32; 2]> {
    let bad =
        || anyhow::anyhow!("invalid --gaze {text:?} (expected YAW,PITCH in degrees, e.g. 10,-5)");
    let (yaw, pitch) = text.split_once(',').ok_or_else(bad)?;
    let yaw: f32 = yaw.trim().parse().map_err(|_| bad())?;
    let pitch: f32 = pitch.trim().parse().map_err(|_| bad())?;
    Ok([yaw, pitch])
}

/// A seed for runs that did not name one: motion needs variety, not secrecy, so the clock and
/// the process id are enough (the seed is reported so the run can be repeated).
fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mixed = nanos ^ (u128::from(std::process::id()) << 64);
    u64::try_from(mixed % u128::from(u64::MAX)).unwrap_or(0)
}
