//! Telling formats apart by their first bytes, and reading files within the limits.

use std::io::Read;
use std::path::Path;

use provatar_types::Limits;

use crate::{Error, Result};

/// What a file holds, judged by its magic bytes (never by its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// WebP image.
    Webp,
    /// RIFF/WAVE audio.
    Wav,
    /// FLAC audio.
    Flac,
    /// Ogg (Vorbis) audio.
    Ogg,
    /// MPEG audio layer III (with or without an ID3 tag).
    Mp3,
    /// Raw AAC in ADTS frames.
    Adts,
    /// An ISO base media file (MP4, M4A, MOV).
    Mp4,
}

impl MediaKind {
    /// Recognises `bytes` by their signature.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        let at =
            |offset: usize, magic: &[u8]| bytes.get(offset..offset + magic.len()) == Some(magic);
        if at(0, b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if at(0, &[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if at(0, b"RIFF") && at(8, b"WEBP") {
            Some(Self::Webp)
        } else if (at(0, b"RIFF") || at(0, b"RF64")) && at(8, b"WAVE") {
            Some(Self::Wav)
        } else if at(0, b"fLaC") {
            Some(Self::Flac)
        } else if at(0, b"OggS") {
            Some(Self::Ogg)
        } else if at(0, b"ID3") {
            Some(Self::Mp3)
        } else if [
            b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"styp",
        ]
        .iter()
        .any(|m| at(4, *m))
        {
            Some(Self::Mp4)
        } else if bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] & 0xF6 == 0xF0 {
            // ADTS sync word: 12 one-bits, then layer 00.
            Some(Self::Adts)
        } else if bytes.len() >= 2
            && bytes[0] == 0xFF
            && bytes[1] & 0xE0 == 0xE0
            && bytes[1] & 0x06 != 0
        {
            // MPEG audio frame sync with a non-reserved layer.
            Some(Self::Mp3)
        } else {
            None
        }
    }

    /// Whether this is one of the image formats.
    pub fn is_image(self) -> bool {
        matches!(self, Self::Png | Self::Jpeg | Self::Webp)
    }

    /// A short human name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Png => "PNG image",
            Self::Jpeg => "JPEG image",
            Self::Webp => "WebP image",
            Self::Wav => "WAV audio",
            Self::Flac => "FLAC audio",
            Self::Ogg => "Ogg audio",
            Self::Mp3 => "MP3 audio",
            Self::Adts => "AAC (ADTS) audio",
            Self::Mp4 => "MP4 file",
        }
    }
}

/// Reads a whole file, refusing empty files and files over [`Limits::max_file_bytes`] before
/// reading them.
pub fn read_file(path: &Path, limits: &Limits) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if size > limits.max_file_bytes {
        return Err(Error::FileTooLarge {
            size,
            limit: limits.max_file_bytes,
        });
    }
    let mut bytes = Vec::new();
    // `take` guards against a file that grows while we read it.
    file.take(limits.max_file_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    check_size(&bytes, limits)?;
    Ok(bytes)
}

pub(crate) fn check_size(bytes: &[u8], limits: &Limits) -> Result<()> {
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    let size = bytes.len() as u64;
    if size > limits.max_file_bytes {
        return Err(Error::FileTooLarge {
            size,
            limit: limits.max_file_bytes,
        });
    }
    Ok(())
}

#[cfg(test)]
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    reason = "test arithmetic on small values"
)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_signatures() {
        assert_eq!(
            MediaKind::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(MediaKind::Png)
        );
        assert_eq!(
            MediaKind::sniff(b"RIFF\0\0\0\0WAVEfmt "),
            Some(MediaKind::Wav)
        );
        assert_eq!(
            MediaKind::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(MediaKind::Webp)
        );
        assert_eq!(
            MediaKind::sniff(b"\0\0\0\x20ftypisom"),
            Some(MediaKind::Mp4)
        );
        assert_eq!(MediaKind::sniff(&[0xFF, 0xF1, 0x50]), Some(MediaKind::Adts));
        assert_eq!(MediaKind::sniff(&[0xFF, 0xFB, 0x90]), Some(MediaKind::Mp3));
        assert_eq!(MediaKind::sniff(b"hello world"), None);
        assert_eq!(MediaKind::sniff(b""), None);
    }
}
