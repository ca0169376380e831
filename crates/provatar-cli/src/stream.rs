//! `provatar generate --stream`: live generation from an audio file at real-time pace (or raw
//! PCM on stdin), signed segments written as they complete; also the streaming part of
//! `provatar bench`.

#![expect(
    clippy::cast_precision_loss,
    reason = "sample and frame counts far below 2^52"
)]

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use provatar::{
    GenerateError, STREAM_SAMPLE_RATE, SignedSegment, StreamOutput, StreamSession, StreamSummary,
};

/// Where the audio comes from.
pub(crate) enum Source {
    /// Decoded samples (mono, 16 kHz), fed in chunks at real-time pace or as fast as taken.
    Samples { samples: Vec<f32>, pace: bool },
    /// Raw 16 kHz mono s16le PCM on stdin, taken as it arrives.
    Stdin,
}

/// What a stream run measured.
pub(crate) struct Run {
    pub summary: StreamSummary,
    /// Per frame: from the arrival of the audio chunk holding the frame's time to the frame
    /// being handed out, milliseconds.
    pub latencies_ms: Vec<f64>,
    /// Wall-clock seconds from the first chunk to the end.
    pub wall_seconds: f64,
    /// Per segment: seconds spent signing it.
    pub sign_ms: Vec<f64>,
    /// Set when the audio ran past the allowed duration (the stream was closed there).
    pub limit: Option<GenerateError>,
}

/// Feeds `source` to `session` in chunks of `chunk_ms`, handing each segment to `on_segment`
/// (with the seconds since the start) as soon as it is signed.
pub(crate) fn drive(
    mut session: StreamSession,
    source: Source,
    chunk_ms: u32,
    on_segment: &mut dyn FnMut(&SignedSegment, f64) -> anyhow::Result<()>,
) -> anyhow::Result<Run> {
    let chunk = (STREAM_SAMPLE_RATE * chunk_ms / 1000).max(1) as usize;
    let start = Instant::now();
    // (first sample after the chunk, when it arrived)
    let mut arrivals: Vec<(u64, Instant)> = Vec::new();
    let mut fed = 0u64;
    let mut latencies_ms = Vec::new();
    let mut sign_ms = Vec::new();
    let mut limit = None;
    let mut handle = |out: StreamOutput,
                      arrivals: &[(u64, Instant)],
                      latencies_ms: &mut Vec<f64>|
     -> anyhow::Result<()> {
        let now = Instant::now();
        for f in &out.frames {
            // The frame at time t shows the audio at t: the chunk that brought that sample.
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a sample position"
            )]
            let needed = (f.t * f64::from(STREAM_SAMPLE_RATE)).floor() as u64;
            let k = arrivals.partition_point(|&(end, _)| end <= needed);
            if let Some(&(_, arrived)) = arrivals.get(k) {
                latencies_ms.push(now.duration_since(arrived).as_secs_f64() * 1e3);
            }
        }
        for s in &out.segments {
            sign_ms.push(s.sign_seconds * 1e3);
            on_segment(s, start.elapsed().as_secs_f64())?;
        }
        Ok(())
    };
    let mut push = |samples: &[f32],
                    session: &mut StreamSession,
                    arrivals: &mut Vec<(u64, Instant)>,
                    latencies_ms: &mut Vec<f64>|
     -> anyhow::Result<bool> {
        fed += samples.len() as u64;
        arrivals.push((fed, Instant::now()));
        match session.push_audio(samples) {
            Ok(out) => {
                handle(out, arrivals, latencies_ms)?;
                Ok(true)
            }
            Err(e @ GenerateError::Refused(_)) => {
                limit = Some(e);
                Ok(false)
            }
            Err(e) => Err(e).context("the stream failed"),
        }
    };
    match source {
        Source::Samples { samples, pace } => {
            for (k, c) in samples.chunks(chunk).enumerate() {
                if pace {
                    // Chunk k is complete (and so arrives) at the end of its time span.
                    let due = start
                        + Duration::from_secs_f64(
                            ((k * chunk + c.len()) as f64) / f64::from(STREAM_SAMPLE_RATE),
                        );
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                }
                if !push(c, &mut session, &mut arrivals, &mut latencies_ms)? {
                    break;
                }
            }
        }
        Source::Stdin => {
            let mut stdin = std::io::stdin().lock();
            let mut buf = vec![0u8; chunk * 2];
            let mut carry: Option<u8> = None;
            loop {
                let n = stdin.read(&mut buf).context("cannot read PCM from stdin")?;
                if n == 0 {
                    break;
                }
                let mut bytes: Vec<u8> = carry.take().into_iter().collect();
                bytes.extend_from_slice(&buf[..n]);
                if bytes.len() % 2 == 1 {
                    carry = bytes.pop();
                }
                let samples: Vec<f32> = bytes
                    .chunks_exact(2)
                    .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32_768.0)
                    .collect();
                if !push(&samples, &mut session, &mut arrivals, &mut latencies_ms)? {
                    break;
                }
            }
        }
    }
    let (out, summary) = session.finish().context("the stream could not be closed")?;
    handle(out, &arrivals, &mut latencies_ms)?;
    Ok(Run {
        summary,
        latencies_ms,
        wall_seconds: start.elapsed().as_secs_f64(),
        sign_ms,
        limit,
    })
}

/// Writes a segment whole (temporary name, then rename).
pub(crate) fn write_segment(
    dir: &Path,
    name: &str,
    segment: &SignedSegment,
) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("{name}-{:06}.mp4", segment.place.sequence));
    crate::write_whole(&path, |tmp: &Path| {
        std::fs::write(tmp, &segment.bytes)
            .with_context(|| format!("cannot write {}", path.display()))
    })?;
    Ok(path)
}

/// Writes a segment to stdout.
pub(crate) fn segment_to_stdout(segment: &SignedSegment) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(&segment.bytes)
        .and_then(|()| out.flush())
        .context("cannot write the segment to stdout")
}

/// The `q`-quantile (0..1) of `v` (sorted in place).
pub(crate) fn quantile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "an index into the sorted values"
    )]
    let i = ((v.len() - 1) as f64 * q).round() as usize;
    v[i.min(v.len() - 1)]
}
