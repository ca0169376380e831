//! `provatar probe`: what an image, audio or MP4 file holds.

use std::path::Path;

use provatar_types::Limits;

use crate::audio::{AudioInfo, decode_pcm};
use crate::image::{ImageInfo, decode_image};
use crate::sniff::{MediaKind, read_file};
use crate::video::{VideoDecoder, VideoInfo};
use crate::{Error, Result, mp4};

/// What a file holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ProbeReport {
    /// An image.
    Image(ImageInfo),
    /// Audio only.
    Audio(AudioInfo),
    /// A video (MP4 with an H.264 track).
    Video(VideoInfo),
}

/// Probes a file. Everything is decoded completely (images, every audio packet, every video
/// frame), so a file that probes clean also loads clean.
pub fn probe(path: &Path, limits: &Limits) -> Result<ProbeReport> {
    let bytes = read_file(path, limits)?;
    probe_bytes(bytes, limits)
}

/// Probes bytes held in memory.
pub fn probe_bytes(bytes: Vec<u8>, limits: &Limits) -> Result<ProbeReport> {
    let kind = MediaKind::sniff(&bytes).ok_or(Error::UnknownFormat)?;
    if kind.is_image() {
        return decode_image(&bytes, limits).map(|loaded| ProbeReport::Image(loaded.info));
    }
    if kind == MediaKind::Mp4 {
        let file = mp4::parse(&bytes, limits)?;
        if file.video().is_none() {
            return decode_pcm(&bytes, limits).map(|(_, info)| ProbeReport::Audio(info));
        }
        let mut decoder = VideoDecoder::from_bytes(bytes, limits)?;
        let mut info = decoder.info();
        let mut frames = 0u64;
        while decoder.next_frame()?.is_some() {
            frames += 1;
        }
        info.video.frames_decoded = Some(frames);
        if let Some(audio) = &mut info.audio {
            // Measure the audio by decoding it, where we have a decoder for it.
            if let Ok(Some(track)) = decoder.decode_audio() {
                audio.duration_seconds = track.duration_seconds();
            }
        }
        return Ok(ProbeReport::Video(info));
    }
    decode_pcm(&bytes, limits).map(|(_, info)| ProbeReport::Audio(info))
}
