//! provatar's media I/O, with real codecs and no system ffmpeg.
//!
//! - Images in: PNG, JPEG, WebP ([`load_image`]), EXIF orientation applied, refused above
//!   [`Limits`] before decoding (decompression bombs).
//! - Audio in: WAV, FLAC, MP3, Ogg Vorbis, AAC (ADTS or M4A), Opus in MP4 ([`load_audio`]) →
//!   16 kHz mono for analysis plus the original track for the video's sound.
//! - Video out: H.264 (OpenH264) + Opus in MP4 ([`VideoWriter`]) or fragmented MP4 for
//!   streaming ([`FragmentedVideoWriter`]); constant frame rate, yuv420p, BT.709 tagged.
//! - Video in: MP4 (H.264, with B-frames too) → pictures in display order + audio
//!   ([`VideoDecoder`]), for verifying files whoever made them.
//!
//! It does not judge content (faces, watermarks, manifests): it only moves pixels and samples
//! in and out of files, and refuses malformed or oversized input with a typed [`Error`].

mod audio;
mod error;
mod h264;
mod image;
pub mod mp4;
mod opus;
mod probe;
mod resample;
mod sniff;
mod video;
mod yuv;

pub use audio::{AudioInfo, LoadedAudio, decode_audio, decode_pcm, load_audio, to_analysis};
pub use error::{CodecError, Error, Result};
pub use h264::{EncodedPicture, EncoderSettings, H264Decoder, H264Encoder};
pub use image::{ImageInfo, LoadedImage, decode_image, image_info, load_image};
pub use opus::{OPUS_FRAME, OPUS_RATE, OpusEncoder, OpusPacket, decode_packets, encode_track};
pub use probe::{ProbeReport, probe, probe_bytes};
pub use provatar_types::{Audio, Frame, Limits, PcmTrack, Yuv420Frame};
pub use resample::{StreamResampler, resample_interleaved};
pub use sniff::{MediaKind, read_file};
pub use video::{
    AudioStreamInfo, DecodedFrame, FragmentedVideoWriter, Segment, VideoDecoder, VideoInfo,
    VideoStreamInfo, VideoWriter, decode_mp4_audio,
};
pub use yuv::{ColorMatrix, rgb_to_yuv420, rgb_to_yuv420_into, yuv420_to_rgb};
