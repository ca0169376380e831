//! `provatar watermark embed|detect`.

use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use provatar::media::{self, ImageOutput, Limits, MediaKind, VideoDecoder, VideoWriter};
use provatar::types::ContentId;
use provatar::watermark::{Detection, Embedder, Key, Payload, VideoDetector, detect_frame};
use serde::Serialize;

use crate::cli::WatermarkCommand;
use crate::{Status, write_whole};

pub(crate) fn run(cmd: &WatermarkCommand) -> anyhow::Result<Status> {
    match cmd {
        WatermarkCommand::Embed {
            input,
            output,
            payload,
            key,
        } => embed(input, output, payload, key.as_deref()),
        WatermarkCommand::Detect { input, key, json } => detect(input, key.as_deref(), *json),
    }
}

fn load_key(path: Option<&Path>) -> anyhow::Result<Key> {
    let Some(path) = path else {
        return Ok(Key::public());
    };
    let text = provatar::types::read_limited_text(path, provatar::types::MAX_DOCUMENT_BYTES)
        .with_context(|| format!("cannot read the watermark key {}", path.display()))?;
    // The parse error says what is wrong without echoing the file's content.
    Key::from_hex(&text).with_context(|| format!("invalid watermark key {}", path.display()))
}

/// Reads the input and says what it is.
fn read_input(path: &Path) -> anyhow::Result<(Vec<u8>, MediaKind)> {
    let bytes = media::read_file(path, &Limits::default())
        .with_context(|| format!("cannot read {}", path.display()))?;
    let kind = MediaKind::sniff(&bytes).with_context(|| {
        format!(
            "cannot read {}: not a PNG, JPEG or MP4 file",
            path.display()
        )
    })?;
    Ok((bytes, kind))
}

fn embed(input: &Path, output: &Path, payload: &str, key: Option<&Path>) -> anyhow::Result<Status> {
    let content_id: ContentId = payload
        .parse()
        .with_context(|| format!("invalid --payload {payload:?}"))?;
    let key = load_key(key)?;
    let (bytes, kind) = read_input(input)?;
    let mut embedder = Embedder::new(&key);
    let start = Instant::now();
    let frames = if kind.is_image() {
        let format = ImageOutput::from_path(output).with_context(|| {
            format!(
                "cannot write {}: name the output .png or .jpg for an image input",
                output.display()
            )
        })?;
        let mut frame = media::decode_image(&bytes, &Limits::default())
            .with_context(|| format!("cannot read {}", input.display()))?
            .frame;
        embedder
            .embed(
                &mut frame,
                &Payload {
                    content_id,
                    frame_index: 0,
                },
            )
            .with_context(|| format!("cannot mark {}", input.display()))?;
        let encoded = media::encode_image(&frame, format)?;
        write_whole(output, |tmp| {
            std::fs::write(tmp, &encoded).map_err(anyhow::Error::from)
        })?;
        1
    } else if kind == MediaKind::Mp4 {
        embed_video(bytes, input, output, content_id, &mut embedder)?
    } else {
        anyhow::bail!(
            "cannot mark {}: a {} file is neither an image nor an MP4",
            input.display(),
            kind.name()
        );
    };
    eprintln!(
        "{}: marked {frames} frame{} with content id {content_id} (key {}) in {:.2} s",
        output.display(),
        if frames == 1 { "" } else { "s" },
        key.fingerprint(),
        start.elapsed().as_secs_f64()
    );
    Ok(Status::Success)
}

fn embed_video(
    bytes: Vec<u8>,
    input: &Path,
    output: &Path,
    content_id: ContentId,
    embedder: &mut Embedder,
) -> anyhow::Result<u64> {
    let unreadable = || format!("cannot read the video {}", input.display());
    let mut decoder =
        VideoDecoder::from_bytes(bytes, &Limits::default()).with_context(unreadable)?;
    let info = decoder.info();
    let audio = decoder.decode_audio().with_context(unreadable)?;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "frame rates are small and positive"
    )]
    let fps = (info.video.fps.round() as u32).max(1);
    let mut settings = media::EncoderSettings::new(info.video.width, info.video.height, fps);
    // Near-transparent quality: the mark has to survive the platforms' re-encoding after ours,
    // and at QP 22 our own encode already costs it a tenth of its bits.
    settings.qp = 18;
    let mut count = 0u64;
    write_whole(output, |tmp| {
        let mut writer = VideoWriter::create(tmp, settings, audio.as_ref())
            .with_context(|| format!("cannot write {}", output.display()))?;
        while let Some(decoded) = decoder.next_frame().with_context(unreadable)? {
            let mut frame = decoder.to_rgb(&decoded.picture).with_context(unreadable)?;
            #[expect(
                clippy::cast_possible_truncation,
                reason = "indices wrap at 2^16 anyway"
            )]
            let frame_index = decoded.index as u32;
            embedder
                .embed(
                    &mut frame,
                    &Payload {
                        content_id,
                        frame_index,
                    },
                )
                .with_context(|| format!("cannot mark {}", input.display()))?;
            writer.push_frame(&frame)?;
            count += 1;
            if count.is_multiple_of(250) {
                eprintln!("  {count} frames marked");
            }
        }
        if count == 0 {
            anyhow::bail!("cannot mark {}: the video holds no frames", input.display());
        }
        writer.finish()?;
        media::make_fast_start(tmp)?;
        Ok(())
    })?;
    Ok(count)
}

#[derive(Serialize)]
struct Report {
    file: String,
    kind: &'static str,
    detected: bool,
    content_id: Option<String>,
    p_value: f64,
    score: f32,
    frames: usize,
    frames_marked: usize,
    bit_accuracy: Option<f32>,
    frame_anomalies: Vec<Anomaly>,
    /// Each frame's index as read (null where it does not read), in decoded order.
    frame_indices: Vec<Option<u16>>,
    key_fingerprint: String,
    geometry: Option<GeometryReport>,
    ms: f64,
}

#[derive(Serialize)]
struct Anomaly {
    frame: usize,
    frames: usize,
    kind: &'static str,
    expected_index: Option<u16>,
    found_index: Option<u16>,
    last_index: Option<u16>,
    detail: String,
}

#[derive(Serialize)]
struct GeometryReport {
    period_x: f32,
    period_y: f32,
    offset_x: u16,
    offset_y: u16,
    mirrored: bool,
}

fn detect(input: &Path, key: Option<&Path>, json: bool) -> anyhow::Result<Status> {
    let key = load_key(key)?;
    let (bytes, kind) = read_input(input)?;
    let start = Instant::now();
    let (detection, kind_name) = if kind.is_image() {
        let frame = media::decode_image(&bytes, &Limits::default())
            .with_context(|| format!("cannot read {}", input.display()))?
            .frame;
        (detect_frame(&frame, &key), "image")
    } else if kind == MediaKind::Mp4 {
        (detect_video(bytes, input, &key)?, "video")
    } else {
        anyhow::bail!(
            "cannot read {}: a {} file is neither an image nor an MP4",
            input.display(),
            kind.name()
        );
    };
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    print_human(input, &detection);
    if json {
        let report = report(input, kind_name, &detection, &key, ms);
        crate::print_json(&report)?;
    }
    Ok(if detection.detected {
        Status::Success
    } else {
        Status::Failure
    })
}

fn detect_video(bytes: Vec<u8>, input: &Path, key: &Key) -> anyhow::Result<Detection> {
    let unreadable = || format!("cannot read the video {}", input.display());
    let mut decoder =
        VideoDecoder::from_bytes(bytes, &Limits::default()).with_context(unreadable)?;
    let mut detector = VideoDetector::new(key);
    while let Some(decoded) = decoder.next_frame().with_context(unreadable)? {
        let frame = decoder.to_rgb(&decoded.picture).with_context(unreadable)?;
        detector.push(&frame).with_context(unreadable)?;
    }
    if detector.frames() == 0 {
        anyhow::bail!("cannot read {}: the video holds no frames", input.display());
    }
    Ok(detector.finish())
}

fn print_human(input: &Path, d: &Detection) {
    if d.detected {
        let id = d
            .content_id
            .map_or_else(|| "unreadable".to_owned(), |c| c.to_string());
        eprintln!(
            "{}: watermark detected (p ≤ {:.1e}), content id {id}; {} of {} frames marked on \
             their own",
            input.display(),
            d.p_value,
            d.frames_marked,
            d.frames
        );
        for a in &d.frame_anomalies {
            eprintln!(
                "  frames {}..{}: {}",
                a.frame,
                a.frame + a.frames,
                a.kind.name()
            );
        }
    } else {
        eprintln!(
            "{}: no watermark of this key found (score {:.2}, p ≤ {:.2}; {} frames)",
            input.display(),
            d.score,
            d.p_value,
            d.frames
        );
    }
}

fn report(input: &Path, kind: &'static str, d: &Detection, key: &Key, ms: f64) -> Report {
    Report {
        file: input.display().to_string(),
        kind,
        detected: d.detected,
        content_id: d.content_id.map(|c| c.to_string()),
        p_value: d.p_value,
        score: d.score,
        frames: d.frames,
        frames_marked: d.frames_marked,
        bit_accuracy: d.bit_accuracy,
        frame_anomalies: d
            .frame_anomalies
            .iter()
            .map(|a| Anomaly {
                frame: a.frame,
                frames: a.frames,
                kind: a.kind.name(),
                expected_index: a.expected_index,
                found_index: a.found_index,
                last_index: a.last_index,
                detail: a.describe(),
            })
            .collect(),
        frame_indices: d.per_frame.iter().map(|f| f.frame_index).collect(),
        key_fingerprint: key.fingerprint(),
        geometry: d.geometry.map(|g| GeometryReport {
            period_x: g.period_x,
            period_y: g.period_y,
            offset_x: g.offset_x,
            offset_y: g.offset_y,
            mirrored: g.mirrored,
        }),
        ms,
    }
}
