//! Writes small valid MP4s (plain, fragmented, with and without audio) into a directory, as
//! seeds for the `mp4` fuzz target: `cargo run --example make-fuzz-seeds -- DIR`.

use std::io::Cursor;
use std::path::PathBuf;

use provatar_media::{
    EncoderSettings, FragmentedVideoWriter, Frame, PcmTrack, Segment, VideoWriter,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: make-fuzz-seeds DIR")?,
    );
    std::fs::create_dir_all(&dir)?;
    let frames: Vec<Frame> = (0..6u8)
        .map(|i| {
            Frame::from_rgb(
                32,
                32,
                (0..32 * 32 * 3)
                    .map(|k: usize| u8::try_from(k % 251).unwrap_or(0).wrapping_mul(i + 1))
                    .collect(),
            )
        })
        .collect::<Result<_, _>>()?;
    let audio = PcmTrack::new(
        16_000,
        1,
        (0u16..4000)
            .map(|i| (f32::from(i) * 0.05).sin() * 0.3)
            .collect(),
    )
    .ok_or("audio")?;
    for (name, with_audio) in [("plain.mp4", false), ("plain-audio.mp4", true)] {
        let mut w = VideoWriter::new(
            Cursor::new(Vec::new()),
            EncoderSettings::new(32, 32, 25),
            with_audio.then_some(&audio),
        )?;
        for f in &frames {
            w.push_frame(f)?;
        }
        std::fs::write(dir.join(name), w.finish()?.into_inner())?;
    }
    let mut w = FragmentedVideoWriter::new(EncoderSettings::new(32, 32, 25), Some((16_000, 1)), 3)?;
    w.push_audio(audio.samples())?;
    let mut bytes = Vec::new();
    let mut segments = Vec::new();
    for f in &frames {
        segments.extend(w.push_frame(f)?);
    }
    segments.extend(w.finish()?);
    for s in segments {
        match s {
            Segment::Init(b) | Segment::Media { bytes: b, .. } => bytes.extend(b),
        }
    }
    std::fs::write(dir.join("fragmented.mp4"), bytes)?;
    Ok(())
}
