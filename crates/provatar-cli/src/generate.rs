//! `provatar generate` and `provatar demo`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use provatar::{GenerateRequest, Generated, Verifier, generate};
use serde::Serialize;

use crate::Status;
use crate::cli::{DemoArgs, GenerateArgs, MotionControls};

pub(crate) fn run(args: &GenerateArgs) -> anyhow::Result<Status> {
    let license = args
        .license
        .clone()
        .or_else(|| std::env::var_os("PROVATAR_LICENSE").map(PathBuf::from))
        .context("generate needs an integrator license (--license FILE, or PROVATAR_LICENSE)")?;
    let signer = args
        .signer
        .clone()
        .or_else(|| std::env::var_os("PROVATAR_SIGNER").map(PathBuf::from))
        .context(
            "generate needs the C2PA signer the license names (--signer DIR, or PROVATAR_SIGNER)",
        )?;
    let store = args
        .store
        .clone()
        .or_else(crate::verify::default_store)
        .context("no manifest store: give --store DIR (or set PROVATAR_STORE)")?;
    if args.stream {
        return run_stream(args, license, signer, store);
    }
    let request = GenerateRequest {
        portrait: args.portrait.clone(),
        audio: args.audio.clone(),
        consent: Some(args.consent.clone()),
        license,
        out: args.out.clone(),
        signer,
        trust: crate::gate::trust_dir(args.trust.as_ref()),
        store,
        policy: crate::gate::load_policy(args.policy.as_ref())?,
        controls: crate::motion::controls(&args.controls)?,
        size: args.size,
    };
    // The motion track is written after the video: where it goes is checked before either.
    if let Some(path) = &args.motion_out {
        anyhow::ensure!(
            path.parent()
                .filter(|d| !d.as_os_str().is_empty())
                .is_none_or(Path::is_dir),
            "cannot write the motion track {}: its folder does not exist",
            path.display()
        );
        provatar::check_output(
            path,
            &[
                Some(request.portrait.as_path()),
                Some(request.audio.as_path()),
                request.consent.as_deref(),
                Some(request.license.as_path()),
                Some(request.out.as_path()),
            ],
        )?;
    }
    let done = run_pipeline(&request, args.quiet)?;
    if let Some(path) = &args.motion_out {
        let json = provatar::motion::to_json(&done.motion);
        let written = crate::write_whole(path, |tmp: &Path| {
            std::fs::write(tmp, json.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))
        });
        if let Err(e) = written {
            // Both outputs or neither: the video is taken back (its manifest stays in the
            // store, which only ever gains manifests).
            let _ = std::fs::remove_file(&request.out);
            return Err(e.context(format!(
                "nothing was generated at {}",
                request.out.display()
            )));
        }
    }
    if args.json {
        crate::print_json(&GenerationReport::new(&done))?;
    }
    Ok(Status::Success)
}

/// `generate --json`: what was made, and how (one line on stdout).
#[derive(Serialize)]
struct GenerationReport<'a> {
    video: String,
    content_id: String,
    frames: usize,
    fps: u32,
    manifest: String,
    framing: FramingReport,
    seconds_per_stage: &'a provatar::StageTimes,
}

impl<'a> GenerationReport<'a> {
    fn new(done: &'a Generated) -> Self {
        Self {
            video: done.out.display().to_string(),
            content_id: done.content_id.to_string(),
            frames: done.frames,
            fps: done.fps,
            manifest: done.manifest_path.display().to_string(),
            framing: FramingReport::from(done.framing),
            seconds_per_stage: &done.times,
        }
    }
}

/// How the frames hold the face (issue 25): the share of the frame's height it fills, as asked
/// and as framed; where its centre sits; whether the portrait made it tighter or moved.
#[derive(Serialize)]
struct FramingReport {
    requested_face_share: f32,
    face_share: f32,
    face_at: [f32; 2],
    tightened: bool,
    moved: bool,
}

impl From<provatar::render::Framing> for FramingReport {
    fn from(f: provatar::render::Framing) -> Self {
        let round = |v: f32| (v * 1000.0).round() / 1000.0;
        Self {
            requested_face_share: round(f.requested),
            face_share: round(f.face_share),
            face_at: f.face_at.map(round),
            tightened: f.tightened(),
            moved: f.moved(),
        }
    }
}

/// The line that says the face is framed tighter than asked, and how to get the framing that
/// fits (`head_distance` is the one asked for).
fn framing_notice(f: &provatar::render::Framing, head_distance: f32) -> Option<String> {
    f.tightened().then(|| {
        format!(
            "provatar: framed tighter than asked: the face fills {:.0} % of the frame's height (asked {:.0} %), as the portrait holds too little picture around it; --head-distance {:.2} asks for what fits",
            100.0 * f.face_share,
            100.0 * f.requested,
            head_distance * f.requested / f.face_share
        )
    })
}

/// `generate --stream`: a live session fed from the audio file at real-time pace (or stdin).
fn run_stream(
    args: &GenerateArgs,
    license: PathBuf,
    signer: PathBuf,
    store: PathBuf,
) -> anyhow::Result<Status> {
    let name = args
        .out
        .file_stem()
        .map_or_else(|| "stream".to_owned(), |n| n.to_string_lossy().into_owned());
    let to_stdout = args.segments.as_deref() == Some(Path::new("-"));
    let dir = args
        .segments
        .clone()
        .unwrap_or_else(|| args.out.with_file_name(format!("{name}-segments")));
    let source = if args.audio == Path::new("-") {
        crate::stream::Source::Stdin
    } else {
        let limits = provatar::media::Limits::default();
        let audio = provatar::media::load_audio(&args.audio, &limits)
            .with_context(|| format!("cannot read the audio {}", args.audio.display()))?;
        crate::stream::Source::Samples {
            samples: audio.analysis.samples().to_vec(),
            pace: !args.no_pace,
        }
    };
    let request = provatar::StreamRequest {
        portrait: args.portrait.clone(),
        consent: Some(args.consent.clone()),
        license,
        signer,
        trust: crate::gate::trust_dir(args.trust.as_ref()),
        store,
        policy: crate::gate::load_policy(args.policy.as_ref())?,
        controls: crate::motion::controls(&args.controls)?,
        size: args.size,
        fragment_frames: args.segment_frames,
        name: name.clone(),
        recording: Some(args.out.clone()),
    };
    let session = provatar::StreamSession::open(&request).context("the stream was not started")?;
    if let Some(line) = framing_notice(&session.framing(), request.controls.head_distance) {
        eprintln!("{line}");
    }
    if !to_stdout {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the segment directory {}", dir.display()))?;
    }
    eprintln!(
        "provatar: streaming {} (content id {}, at most {} s){}",
        args.audio.display(),
        session.content_id(),
        session.max_seconds(),
        if to_stdout {
            " — segments to stdout".to_owned()
        } else {
            format!(" — segments in {}", dir.display())
        }
    );
    let quiet = args.quiet;
    let mut on_segment = |s: &provatar::SignedSegment, at: f64| -> anyhow::Result<()> {
        let place = s.place;
        let where_to = if to_stdout {
            crate::stream::segment_to_stdout(s)?;
            "stdout".to_owned()
        } else {
            crate::stream::write_segment(&dir, &name, s)?
                .display()
                .to_string()
        };
        if !quiet {
            eprintln!(
                "provatar: segment {} (frames {}–{}{}) signed in {:.1} ms → {where_to} at {at:.2} s",
                place.sequence,
                place.first_frame,
                place.first_frame + place.frames.saturating_sub(1),
                if place.last { ", last" } else { "" },
                s.sign_seconds * 1e3
            );
        }
        Ok(())
    };
    let mut run = crate::stream::drive(session, source, 20, &mut on_segment)?;
    let s = &run.summary;
    if s.frames == 0 {
        // No sound at all: no video, and no empty folder of segments left behind.
        if !to_stdout {
            let _ = std::fs::remove_dir(&dir);
        }
        anyhow::bail!(
            "the audio {} ended before any sound arrived: nothing was generated",
            args.audio.display()
        );
    }
    let mut lat = std::mem::take(&mut run.latencies_ms);
    eprintln!(
        "provatar: stream {} ended — {} frames, {} segments, {:.1} s of audio in {:.1} s; recording {}; frame latency p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms",
        s.content_id,
        s.frames,
        s.segments,
        s.seconds,
        run.wall_seconds,
        s.recording
            .as_ref()
            .map_or_else(|| "none".to_owned(), |p| p.display().to_string()),
        crate::stream::quantile(&mut lat, 0.5),
        crate::stream::quantile(&mut lat, 0.95),
        crate::stream::quantile(&mut lat, 1.0),
    );
    if let Some(e) = run.limit {
        return Err(anyhow::Error::new(e).context(format!(
            "the stream was stopped at {:.1} s; what came before is signed and closed",
            s.seconds
        )));
    }
    Ok(Status::Success)
}

/// Generates with a progress bar on stderr for clips of more than a few seconds.
fn run_pipeline(request: &GenerateRequest, quiet: bool) -> anyhow::Result<Generated> {
    let start = Instant::now();
    let mut last_draw = Instant::now();
    let mut progress = |done: usize, total: usize| {
        let long = total > 3 * request.controls.fps as usize;
        if quiet || !long || (done < total && last_draw.elapsed().as_millis() < 200) {
            return;
        }
        last_draw = Instant::now();
        let width = 30;
        let filled = done * width / total.max(1);
        eprint!(
            "\rprovatar: [{}{}] {done}/{total} frames",
            "#".repeat(filled),
            " ".repeat(width - filled)
        );
        if done == total {
            eprintln!();
        }
    };
    let done = generate(request, &mut progress)
        .with_context(|| format!("nothing was generated at {}", request.out.display()))?;
    if let Some(line) = framing_notice(&done.framing, request.controls.head_distance) {
        eprintln!("{line}");
    }
    let secs = start.elapsed().as_secs_f64();
    let frames = f64::from(u32::try_from(done.frames).unwrap_or(u32::MAX));
    eprintln!(
        "provatar: wrote {} — {} frames ({:.1} s at {} fps), content id {}, manifest kept at {} — in {secs:.1} s ({:.0} frames/s)",
        done.out.display(),
        done.frames,
        frames / f64::from(done.fps),
        done.fps,
        done.content_id,
        done.manifest_path.display(),
        frames / secs.max(1e-9)
    );
    let t = &done.times;
    let per = |s: f64| 1e3 * s / frames.max(1.0);
    eprintln!(
        "provatar: stages — gate {:.0} ms, face analysis {:.0} ms, motion {:.0} ms; per frame: render {:.2} ms, watermark {:.2} ms, encode {:.2} ms; sign + store {:.0} ms",
        1e3 * t.gate,
        1e3 * t.analyze,
        1e3 * t.motion,
        per(t.render),
        per(t.watermark),
        per(t.encode),
        1e3 * t.sign
    );
    Ok(done)
}

/// Where the bundled sample and the development keys are: `PROVATAR_HOME`, else the source
/// tree this binary was built from, else the current directory.
pub(crate) fn home() -> PathBuf {
    if let Some(h) = std::env::var_os("PROVATAR_HOME") {
        return PathBuf::from(h);
    }
    let built = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    if built.join("assets/sample").is_dir() {
        return built.canonicalize().unwrap_or(built);
    }
    PathBuf::from(".")
}

#[derive(Serialize)]
struct DemoReport<'a> {
    video: String,
    content_id: String,
    frames: usize,
    fps: u32,
    framing: FramingReport,
    seconds_per_stage: &'a provatar::StageTimes,
    verification: &'a provatar::VerifyReport,
}

pub(crate) fn demo(args: &DemoArgs) -> anyhow::Result<Status> {
    let home = home();
    let sample = home.join("assets/sample");
    let keys = home.join("keys/dev");
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let out = args.out.join("demo.mp4");
    let store = args.out.join("manifests");
    eprintln!(
        "provatar demo: the bundled portrait ({}) speaks {} — consent credential and license from assets/sample, signed with the DEVELOPMENT key in keys/dev",
        sample.join("portrait-astronaut.png").display(),
        sample.join("speech-hello.wav").display()
    );
    let controls = MotionControls {
        emotion: crate::cli::Emotion::Happy,
        emotion_strength: 0.4,
        gaze: "0,0".into(),
        head_motion: 1.0,
        head_distance: 1.0,
        fps: 25,
        seed: Some(7),
    };
    let request = GenerateRequest {
        portrait: sample.join("portrait-astronaut.png"),
        audio: sample.join("speech-hello.wav"),
        consent: Some(sample.join("consent.json")),
        license: sample.join("license.json"),
        out: out.clone(),
        signer: keys.clone(),
        trust: keys.join("trust"),
        store: store.clone(),
        policy: provatar::consent::Policy::default_policy(),
        controls: crate::motion::controls(&controls)?,
        size: 512,
    };
    let done = run_pipeline(&request, false)?;
    let verifier = Verifier::new(Some(&keys.join("trust")), Some(&store))?;
    let report = verifier.verify(&out)?;
    let demo = DemoReport {
        video: out.display().to_string(),
        content_id: done.content_id.to_string(),
        frames: done.frames,
        fps: done.fps,
        framing: FramingReport::from(done.framing),
        seconds_per_stage: &done.times,
        verification: &report,
    };
    let report_path = args.out.join("demo-report.json");
    let json = serde_json::to_string_pretty(&demo).context("cannot write the demo report")?;
    crate::write_whole(&report_path, |tmp: &Path| {
        std::fs::write(tmp, json.as_bytes())
            .with_context(|| format!("cannot write {}", report_path.display()))
    })?;
    crate::verify::print_human(&report);
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "provatar demo: {} and {} (check it again with `provatar verify {} --trust {} --store {}`)",
        out.display(),
        report_path.display(),
        out.display(),
        keys.join("trust").display(),
        store.display()
    );
    Ok(if report.verdict.is_good() {
        Status::Success
    } else {
        Status::Failure
    })
}
