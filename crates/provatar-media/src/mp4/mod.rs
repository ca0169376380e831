//! ISO base media file format (MP4): a box writer (plain and fragmented) and a demuxer.
//!
//! Why our own box code rather than a muxing crate: the maintained Rust muxers we looked at
//! (`mp4` 0.14, `shiguredo_mp4` 2025.4, `muxide` 0.5) either cannot write fragmented MP4, cannot
//! tag the colour space (`colr`), lack `ctts`/`elst` (needed to read B-frame video from ffmpeg
//! and to trim Opus pre-skip), or keep timestamps as floats. The subset we need is small and
//! fully specified by ISO/IEC 14496-12/-15 and the Opus-in-ISOBMFF spec, and owning the parser
//! lets us bound every count by the file's size and our `Limits`, which the fuzz target checks.

mod faststart;
mod read;
mod write;

pub use faststart::fast_start;
pub use read::{AvcConfig, ColourInfo, Mp4File, Sample, SampleEntry, Track, TrackKind, parse};
pub use write::{
    AacTrackSpec, AudioTrackSpec, FragmentedMp4Writer, Mp4Writer, OpusTrackSpec, VideoTrackSpec,
};

/// What is wrong with an MP4 file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Mp4Error {
    /// A box claims more bytes than its parent holds.
    #[error("box '{box_type}' at byte {offset} runs past the end of its parent (truncated file?)")]
    Truncated {
        /// The box's four-character type.
        box_type: String,
        /// Where it starts.
        offset: u64,
    },
    /// A box's size field is smaller than its own header.
    #[error("box at byte {offset} has an invalid size {size}")]
    BadBoxSize {
        /// Where it starts.
        offset: u64,
        /// The size it claims.
        size: u64,
    },
    /// A required box is missing.
    #[error("no '{0}' box")]
    Missing(&'static str),
    /// A table is inconsistent.
    #[error("'{table}' table is inconsistent: {problem}")]
    BadTable {
        /// The box.
        table: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// A track has more samples than the limits allow.
    #[error("a track declares {count} samples, more than the limit of {limit}")]
    TooManySamples {
        /// Declared.
        count: u64,
        /// Allowed.
        limit: u32,
    },
    /// A sample's bytes lie outside the file.
    #[error("sample data at byte {offset} (+{size}) lies outside the file of {file_len} bytes")]
    SampleOutOfFile {
        /// Declared offset.
        offset: u64,
        /// Declared size.
        size: u32,
        /// The file's length.
        file_len: u64,
    },
    /// The file has no video track.
    #[error("the file has no video track")]
    NoVideo,
    /// The video is not H.264.
    #[error("unsupported video codec '{0}' (expected H.264 'avc1' or 'avc3')")]
    UnsupportedVideo(String),
    /// The audio codec has no decoder here.
    #[error("unsupported audio codec '{0}' (expected AAC 'mp4a' or Opus)")]
    UnsupportedAudio(String),
    /// Timescales or durations of zero.
    #[error("track {track} has a zero timescale")]
    ZeroTimescale {
        /// Track id.
        track: u32,
    },
}

pub(crate) fn fourcc_str(fourcc: [u8; 4]) -> String {
    fourcc
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '?'
            }
        })
        .collect()
}
