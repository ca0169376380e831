//! `provatar bench [--json] [--frames N]`: speed on the bundled sample, measured in one run so
//! the figures compare as ratios — per-stage throughput (face analysis, sign and verify per
//! video; motion, render, watermark and encode per frame, one thread), end-to-end batch frames per second, streaming frames per
//! second with audio arriving faster than real time, streaming latency percentiles with audio
//! at real-time pace in 20-ms chunks, and peak memory.

#![expect(
    clippy::cast_precision_loss,
    reason = "frame and sample counts far below 2^52"
)]

use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use provatar::{GenerateRequest, STREAM_SAMPLE_RATE, StreamRequest, StreamSession, Verifier};
use serde::Serialize;

use crate::Status;
use crate::cli::{BenchArgs, MotionControls};

#[derive(Serialize)]
#[expect(clippy::struct_field_names, reason = "the JSON's field names")]
struct Stage {
    stage: &'static str,
    /// Milliseconds per output frame (per video for analysis, sign and verify: see `per`).
    ms: f64,
    per: &'static str,
    /// Frames per second this stage alone could sustain (for per-frame stages).
    fps: Option<f64>,
}

#[derive(Serialize)]
struct Report {
    date: String,
    cores: usize,
    frames: u64,
    size: u32,
    fps: u32,
    stages: Vec<Stage>,
    batch_fps: f64,
    stream_fps: f64,
    stream_latency_ms: Latency,
    stream_segment_sign_ms: f64,
    peak_memory_mib: Option<f64>,
}

#[derive(Serialize)]
struct Latency {
    p50: f64,
    p95: f64,
    max: f64,
    frames: usize,
}

/// Writes mono 16-bit PCM WAV.
fn write_wav(path: &Path, samples: &[f32], rate: u32) -> anyhow::Result<()> {
    let data_len = u32::try_from(samples.len() * 2).context("audio too long")?;
    let mut b = Vec::with_capacity(44 + samples.len() * 2);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * 2).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        #[expect(clippy::cast_possible_truncation, reason = "clamped to i16's range")]
        let v = (s.clamp(-1.0, 1.0) * 32_767.0).round() as i16;
        b.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(path, b).with_context(|| format!("cannot write {}", path.display()))
}

/// Peak resident memory of this process (Linux `VmHWM`), MiB.
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

#[expect(clippy::too_many_lines, reason = "one measurement after another")]
pub(crate) fn run(args: &BenchArgs) -> anyhow::Result<Status> {
    let home = crate::generate::home();
    let sample = home.join("assets/sample");
    let keys = home.join("keys/dev");
    let fps = 25u32;
    let frames = u64::from(args.frames.unwrap_or(250).max(25));
    let work = tempfile::tempdir().context("cannot make a working directory")?;
    let limits = provatar::media::Limits::default();
    let speech = provatar::media::load_audio(&sample.join("speech-hello.wav"), &limits)
        .context("cannot read the bundled speech sample")?;
    // The sample speech repeated to the length asked for.
    let want = usize::try_from(frames * u64::from(STREAM_SAMPLE_RATE) / u64::from(fps))
        .context("too many frames")?;
    let base = speech.analysis.samples();
    let samples: Vec<f32> = base.iter().copied().cycle().take(want).collect();
    let wav = work.path().join("speech.wav");
    write_wav(&wav, &samples, STREAM_SAMPLE_RATE)?;
    let controls = crate::motion::controls(&MotionControls {
        emotion: crate::cli::Emotion::Neutral,
        emotion_strength: 0.5,
        gaze: "0,0".into(),
        head_motion: 1.0,
        head_distance: 1.0,
        fps,
        seed: Some(7),
    })?;
    let store = work.path().join("manifests");
    let say = |what: &str| {
        if !args.json {
            eprintln!("provatar bench: {what}");
        }
    };

    // Batch.
    say(&format!("batch generate, {frames} frames"));
    let out = work.path().join("batch.mp4");
    let request = GenerateRequest {
        portrait: sample.join("portrait-astronaut.png"),
        audio: wav,
        consent: Some(sample.join("consent.json")),
        license: sample.join("license.json"),
        out: out.clone(),
        signer: keys.clone(),
        trust: keys.join("trust"),
        store: store.clone(),
        policy: provatar::consent::Policy::default_policy(),
        controls: controls.clone(),
        size: 512,
    };
    let t = Instant::now();
    let done = provatar::generate(&request, &mut |_, _| {}).context("batch generation failed")?;
    let batch_seconds = t.elapsed().as_secs_f64();
    let n = done.frames as f64;
    let times = done.times.clone();

    say("verify");
    let verifier = Verifier::new(Some(&keys.join("trust")), Some(&store))?;
    let t = Instant::now();
    let report = verifier.verify(&out)?;
    let verify_seconds = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.verdict == provatar::Verdict::Authentic,
        "the benchmark's own video did not verify: {}",
        report.verdict.name()
    );

    // Streaming, audio faster than real time.
    let stream_request = |name: &str| StreamRequest {
        portrait: sample.join("portrait-astronaut.png"),
        consent: Some(sample.join("consent.json")),
        license: sample.join("license.json"),
        signer: keys.clone(),
        trust: keys.join("trust"),
        store: store.clone(),
        policy: provatar::consent::Policy::default_policy(),
        controls: controls.clone(),
        size: 512,
        fragment_frames: 0,
        name: name.to_owned(),
        recording: None,
    };
    say("streaming, audio as fast as it is taken");
    let session = StreamSession::open(&stream_request("fast"))?;
    let fast = crate::stream::drive(
        session,
        crate::stream::Source::Samples {
            samples: samples.clone(),
            pace: false,
        },
        20,
        &mut |_, _| Ok(()),
    )?;
    let stream_fps = fast.summary.frames as f64 / fast.wall_seconds.max(1e-9);

    say(&format!(
        "streaming at real-time pace ({:.1} s)",
        samples.len() as f64 / f64::from(STREAM_SAMPLE_RATE)
    ));
    let session = StreamSession::open(&stream_request("live"))?;
    let mut live = crate::stream::drive(
        session,
        crate::stream::Source::Samples {
            samples,
            pace: true,
        },
        20,
        &mut |_, _| Ok(()),
    )?;
    let mut lat = std::mem::take(&mut live.latencies_ms);
    let latency = Latency {
        p50: crate::stream::quantile(&mut lat, 0.5),
        p95: crate::stream::quantile(&mut lat, 0.95),
        max: crate::stream::quantile(&mut lat, 1.0),
        frames: lat.len(),
    };
    let mut sign = live.sign_ms.clone();
    let segment_sign = crate::stream::quantile(&mut sign, 0.5);

    // Per-frame stages from the fast stream: there they run one after another on one thread,
    // while batch `generate` overlaps rendering with marking and encoding on two.
    let one = fast.summary.times.clone();
    let streamed = fast.summary.frames as f64;
    let per_frame = |s: f64| 1e3 * s / streamed.max(1.0);
    let stage = |stage, ms: f64, per| Stage {
        stage,
        ms,
        per,
        fps: (per == "frame").then(|| 1e3 / ms.max(1e-9)),
    };
    let report = Report {
        date: chrono_now(),
        cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        frames,
        size: 512,
        fps,
        stages: vec![
            stage("gate", 1e3 * times.gate, "video"),
            stage("analyze", 1e3 * times.analyze, "video"),
            stage("motion", per_frame(one.motion), "frame"),
            stage("render", per_frame(one.render), "frame"),
            stage("watermark", per_frame(one.watermark), "frame"),
            stage("encode", per_frame(one.encode), "frame"),
            stage("sign", 1e3 * times.sign, "video"),
            stage("verify", 1e3 * verify_seconds, "video"),
        ],
        batch_fps: n / batch_seconds.max(1e-9),
        stream_fps,
        stream_latency_ms: latency,
        stream_segment_sign_ms: segment_sign,
        peak_memory_mib: peak_memory_mib(),
    };
    if args.json {
        crate::print_json(&report)?;
        return Ok(Status::Success);
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "provatar bench — {} — {} cores — bundled sample, {} frames at {}×{}, {} fps",
        report.date, report.cores, report.frames, report.size, report.size, report.fps
    );
    let _ = writeln!(
        out,
        "{:<10} {:>10} {:>8} {:>10}",
        "stage", "ms", "per", "fps alone"
    );
    for s in &report.stages {
        let _ = writeln!(
            out,
            "{:<10} {:>10.2} {:>8} {:>10}",
            s.stage,
            s.ms,
            s.per,
            s.fps.map_or_else(|| "—".to_owned(), |f| format!("{f:.0}"))
        );
    }
    let _ = writeln!(
        out,
        "batch end to end (gate → signed MP4): {:.1} frames/s",
        report.batch_fps
    );
    let _ = writeln!(
        out,
        "streaming, audio faster than real time: {:.1} frames/s (target ≥ 40)",
        report.stream_fps
    );
    let _ = writeln!(
        out,
        "streaming latency at real-time pace, audio chunk → its frame: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms over {} frames (target p95 ≤ 170 ms; motion look-ahead {} ms)",
        report.stream_latency_ms.p50,
        report.stream_latency_ms.p95,
        report.stream_latency_ms.max,
        report.stream_latency_ms.frames,
        provatar::motion::LOOKAHEAD_MS
    );
    let _ = writeln!(
        out,
        "signing one 1-s stream segment: {:.1} ms (median)",
        report.stream_segment_sign_ms
    );
    if let Some(m) = report.peak_memory_mib {
        let _ = writeln!(out, "peak memory: {m:.0} MiB");
    }
    Ok(Status::Success)
}

/// Today's date (UTC), `YYYY-MM-DD`.
fn chrono_now() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}
