//! provatar's media I/O, with real codecs and no system ffmpeg.
//!
//! - Images in: PNG, JPEG, WebP ([`load_image`]), EXIF orientation applied, refused above
//!   [`Limits`] before decoding (decompression bombs).
//! - Audio in: WAV, FLAC, MP3, Ogg Vorbis, AAC (ADTS or M4A), Opus in MP4 ([`load_audio`]) →
//!   16 kHz mono for analysis plus the original track for the video's sound.
//! - Video out: H.264 (OpenH264) + AAC-LC (libxaac) in MP4 ([`VideoWriter`]) or fragmented MP4 for
//!   streaming ([`FragmentedVideoWriter`]); constant frame rate, yuv420p, BT.709 tagged.
//! - Video in: MP4 (H.264, with B-frames too) → pictures in display order + audio
//!   ([`VideoDecoder`]), for verifying files whoever made them.
//!
//! It does not judge content (faces, watermarks, manifests): it only moves pixels and samples
//! in and out of files, and refuses malformed or oversized input with a typed [`Error`].

mod aac;
mod audio;
mod error;
mod h264;
mod image;
pub mod mp4;
mod opus;
mod probe;
mod resample;
#[cfg(test)]
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    reason = "test data"
)]
mod robustness;
mod sniff;
mod video;
mod yuv;

pub use aac::{AAC_FRAME, AAC_RATE, AacEncoder, AudioPacket, encode_aac_track};
pub use audio::{AudioInfo, LoadedAudio, decode_audio, decode_pcm, load_audio, to_analysis};
pub use error::{CodecError, Error, Result, containing_panics};
pub use h264::{EncodedPicture, EncoderSettings, H264Decoder, H264Encoder};
pub use image::{
    ImageInfo, ImageOutput, LoadedImage, decode_image, encode_image, image_info, load_image,
};
pub use opus::{OPUS_FRAME, OPUS_RATE, OpusEncoder, OpusPacket, decode_packets, encode_track};
pub use probe::{ProbeReport, probe, probe_bytes};
pub use provatar_types::{Audio, Frame, Limits, PcmTrack, Yuv420Frame};
pub use resample::{StreamResampler, resample_interleaved};
pub use sniff::{MediaKind, read_file};
pub use video::{
    AudioStreamInfo, DecodedFrame, FragmentedVideoWriter, Segment, VideoDecoder, VideoInfo,
    VideoStreamInfo, VideoWriter, decode_mp4_audio, make_fast_start,
};
pub use yuv::{ColorMatrix, rgb_to_yuv420, rgb_to_yuv420_into, yuv420_to_rgb};

/// Entry points for the cargo-fuzz targets in `fuzz/`: each feeds arbitrary bytes to one parser
/// under tight limits. A returned error is fine; a panic, hang or crash is a bug.
#[cfg(any(fuzzing, test))]
pub mod fuzzing {
    use crate::{Limits, VideoDecoder, decode_audio, decode_image, mp4};

    /// libFuzzer's harness aborts on any panic, even one `catch_unwind` would stop. A panic
    /// inside a third-party decoder that `contain_panics` wraps (symphonia's AAC decoder
    /// indexes out of bounds on some malformed frames) becomes a typed error in provatar, so the
    /// harness is told to let exactly those through; every other panic still aborts and is
    /// reported.
    fn tolerate_contained_panics() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let abort = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if !crate::error::containing_panics() {
                    abort(info);
                }
            }));
        });
    }

    fn limits() -> Limits {
        let mut l = Limits::default();
        l.max_file_bytes = 4 << 20;
        l.max_pixels = 4_000_000;
        l.max_dimension = 4096;
        l.max_seconds = 60;
        l.max_samples = 20_000;
        l
    }

    /// PNG, JPEG and WebP decoding.
    pub fn image(data: &[u8]) {
        tolerate_contained_panics();
        let _ = decode_image(data, &limits());
    }

    /// Every audio container and codec we read.
    pub fn audio(data: &[u8]) {
        tolerate_contained_panics();
        let _ = decode_audio(data, &limits());
    }

    /// The MP4 parser, then H.264 and audio decoding of what it found (and the fast-start
    /// rewrite, which walks the same boxes).
    pub fn mp4(data: &[u8]) {
        tolerate_contained_panics();
        let _ = mp4::fast_start(data);
        let limits = limits();
        if mp4::parse(data, &limits).is_err() {
            return;
        }
        let Ok(mut decoder) = VideoDecoder::from_bytes(data.to_vec(), &limits) else {
            return;
        };
        let _ = decoder.info();
        for _ in 0..64 {
            match decoder.next_frame() {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        let _ = decoder.decode_audio();
    }
}
