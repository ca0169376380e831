//! Marks or checks raw RGB frames on stdin — the robustness benchmark's bridge to ffmpeg and
//! Python (`scripts/watermark-bench`).
//!
//! ```text
//! wm_raw embed  WIDTH HEIGHT KEY CONTENT_ID [FIRST_INDEX]  < frames.rgb > marked.rgb
//! wm_raw detect WIDTH HEIGHT KEY                           < frames.rgb   (JSON on stdout)
//! wm_raw ours   WIDTH HEIGHT QP                            < frames.rgb > decoded.rgb
//! ```
//! `ours` is provatar's own H.264 round trip (the encoder `provatar watermark embed` and
//! `generate` use, at quantiser `QP`, then the decoder `detect` uses): what a marked video has
//! been through before anyone else re-encodes it.
//! `KEY` is `public` or 64 hex digits. Frames are `WIDTH*HEIGHT*3` bytes each, back to back.

#![allow(
    clippy::print_stdout,
    clippy::cast_precision_loss,
    reason = "a benchmark tool that prints a JSON report"
)]

use std::io::{Read, Write};
use std::time::Instant;

use provatar_types::{ContentId, Frame};
use provatar_watermark::{Embedder, Key, Payload, VideoDetector};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: wm_raw embed|detect WIDTH HEIGHT KEY [CONTENT_ID [FIRST_INDEX]] \
                 | wm_raw ours WIDTH HEIGHT QP";
    let (Some(mode), Some(w), Some(h), Some(key_arg)) =
        (args.first(), args.get(1), args.get(2), args.get(3))
    else {
        return Err(usage.into());
    };
    let (w, h): (u32, u32) = (w.parse()?, h.parse()?);
    let key = match key_arg.as_str() {
        "public" => Key::public(),
        _ if mode == "ours" => Key::public(), // unused: the argument is the quantiser
        hex => Key::from_hex(hex)?,
    };
    let frame_len = w as usize * h as usize * 3;
    let mut input = std::io::stdin().lock();
    let mut read_frame = move || -> std::io::Result<Option<Vec<u8>>> {
        let mut buf = vec![0u8; frame_len];
        match input.read_exact(&mut buf) {
            Ok(()) => Ok(Some(buf)),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(e),
        }
    };
    match mode.as_str() {
        "ours" => {
            let qp: u8 = key_arg.parse()?;
            let mut frames = Vec::new();
            while let Some(buf) = read_frame()? {
                frames.push(Frame::from_rgb(w, h, buf)?);
            }
            let dir = std::env::temp_dir().join(format!("wm_raw-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let mp4 = dir.join("ours.mp4");
            let mut settings = provatar_media::EncoderSettings::new(w, h, 25);
            settings.qp = qp;
            let mut writer = provatar_media::VideoWriter::create(&mp4, settings, None)?;
            for f in &frames {
                writer.push_frame(f)?;
            }
            writer.finish()?;
            let bytes = std::fs::read(&mp4)?;
            std::fs::remove_dir_all(&dir)?;
            let mut decoder = provatar_media::VideoDecoder::from_bytes(
                bytes,
                &provatar_media::Limits::default(),
            )?;
            let mut out = std::io::stdout().lock();
            while let Some(decoded) = decoder.next_frame()? {
                out.write_all(decoder.to_rgb(&decoded.picture)?.rgb())?;
            }
            return Ok(());
        }
        "embed" => {
            let id: ContentId = args.get(4).ok_or(usage)?.parse()?;
            let first: u32 = args.get(5).map_or(Ok(0), |s| s.parse())?;
            let mut embedder = Embedder::new(&key);
            let mut out = std::io::stdout().lock();
            let mut index = first;
            let mut seconds = 0.0;
            let mut frames = 0u32;
            while let Some(buf) = read_frame()? {
                let mut frame = Frame::from_rgb(w, h, buf)?;
                let t = Instant::now();
                embedder.embed(
                    &mut frame,
                    &Payload {
                        content_id: id,
                        frame_index: index,
                    },
                )?;
                seconds += t.elapsed().as_secs_f64();
                frames += 1;
                out.write_all(frame.rgb())?;
                index += 1;
            }
            eprintln!(
                "embed: {frames} frames, {:.3} ms/frame",
                1e3 * seconds / f64::from(frames.max(1))
            );
        }
        "detect" => {
            let mut detector = VideoDetector::new(&key);
            let t = Instant::now();
            let mut decode_free = 0.0;
            while let Some(buf) = read_frame()? {
                let frame = Frame::from_rgb(w, h, buf)?;
                let t0 = Instant::now();
                detector.push(&frame)?;
                decode_free += t0.elapsed().as_secs_f64();
            }
            let frames = detector.frames();
            let t0 = Instant::now();
            let d = detector.finish();
            decode_free += t0.elapsed().as_secs_f64();
            let per_frame: Vec<serde_json::Value> = d
                .per_frame
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "score": f.score,
                        "marked": f.marked,
                        "frame_index": f.frame_index,
                        "content_id_bits": format!("{:016x}", f.content_id_bits),
                    })
                })
                .collect();
            let g = d.geometry.map(|g| {
                serde_json::json!({"period_x": g.period_x, "period_y": g.period_y,
                    "offset_x": g.offset_x, "offset_y": g.offset_y, "mirrored": g.mirrored})
            });
            let anomalies: Vec<serde_json::Value> = d
                .frame_anomalies
                .iter()
                .map(|a| {
                    serde_json::json!({"frame": a.frame, "frames": a.frames, "kind": a.kind.name(),
                    "expected_index": a.expected_index, "found_index": a.found_index})
                })
                .collect();
            let report = serde_json::json!({
                "detected": d.detected,
                "content_id": d.content_id.map(|c| c.to_string()),
                "p_value": d.p_value,
                "score": d.score,
                "frames": d.frames,
                "frames_marked": d.frames_marked,
                "bit_accuracy": d.bit_accuracy,
                "frame_anomalies": anomalies,
                "geometry": g,
                "per_frame": per_frame,
                "ms_per_frame": 1e3 * decode_free / frames.max(1) as f64,
                "wall_ms": 1e3 * t.elapsed().as_secs_f64(),
            });
            println!("{report}");
        }
        _ => return Err(usage.into()),
    }
    Ok(())
}
