//! The one error type of this crate.

use std::path::PathBuf;

/// An error from a codec library, kept opaque so that upgrading the library does not change
/// provatar's public types.
#[derive(Debug)]
pub struct CodecError(Box<dyn std::error::Error + Send + Sync>);

impl CodecError {
    pub(crate) fn new(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(e))
    }

    pub(crate) fn msg(text: impl Into<String>) -> Self {
        Self(text.into().into())
    }
}

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for CodecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Everything that can go wrong reading or writing media.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened, read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// Writing to an output stream failed.
    #[error("write failed: {0}")]
    Write(#[source] std::io::Error),
    /// The input has no bytes at all.
    #[error("the file is empty")]
    Empty,
    /// The input is larger than [`provatar_types::Limits::max_file_bytes`].
    #[error("the file is {size} bytes, more than the limit of {limit} bytes")]
    FileTooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The bytes are none of the formats provatar reads.
    #[error(
        "unrecognised file format (expected a PNG, JPEG or WebP image; WAV, FLAC, MP3, \
         Ogg Vorbis or AAC/M4A audio; or an MP4 video)"
    )]
    UnknownFormat,
    /// A format provatar recognises but does not accept in this role.
    #[error("{found} is not accepted here (expected {expected})")]
    WrongKind {
        /// What the file is.
        found: &'static str,
        /// What the caller asked for.
        expected: &'static str,
    },
    /// An image's (or video frame's) header declares more pixels than the limits allow (a
    /// decompression bomb, or simply too large).
    #[error(
        "picture is {width}x{height} pixels, over the limit of {max_pixels} pixels and \
         {max_dimension} pixels a side"
    )]
    ImageTooLarge {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// Pixel limit.
        max_pixels: u64,
        /// Side limit.
        max_dimension: u32,
    },
    /// The image decoder rejected the data.
    #[error("corrupt or unsupported {format} image: {source}")]
    ImageDecode {
        /// PNG, JPEG or WebP.
        format: &'static str,
        /// The decoder's error.
        #[source]
        source: CodecError,
    },
    /// The image encoder failed.
    #[error("cannot encode a {format} image: {source}")]
    ImageEncode {
        /// PNG or JPEG.
        format: &'static str,
        /// The encoder's error.
        #[source]
        source: CodecError,
    },
    /// The audio decoder or demuxer rejected the data.
    #[error("corrupt or unsupported audio: {source}")]
    AudioDecode {
        /// The decoder's error.
        #[source]
        source: CodecError,
    },
    /// The audio declares a rate or channel count nobody records at.
    #[error(
        "audio declares {channels} channels at {sample_rate} Hz (expected 1..=32 channels at \
         1000..=768000 Hz)"
    )]
    AudioParameters {
        /// Declared rate.
        sample_rate: u32,
        /// Declared channels.
        channels: u32,
    },
    /// The audio holds no samples.
    #[error("the audio holds no samples")]
    EmptyAudio,
    /// The audio is longer than [`provatar_types::Limits::max_seconds`].
    #[error("the media is {seconds:.1} s long, more than the limit of {limit} s")]
    TooLong {
        /// Its length, as far as it was read.
        seconds: f64,
        /// The limit.
        limit: u32,
    },
    /// The MP4 structure is malformed.
    #[error("malformed MP4: {0}")]
    Mp4(#[from] crate::mp4::Mp4Error),
    /// The H.264 codec failed.
    #[error("H.264 {stage} failed: {source}")]
    H264 {
        /// `encoding` or `decoding`.
        stage: &'static str,
        /// The codec's error.
        #[source]
        source: CodecError,
    },
    /// The AAC encoder failed.
    #[error("AAC {stage} failed: {source}")]
    Aac {
        /// `encoding`.
        stage: &'static str,
        /// The codec's error.
        #[source]
        source: CodecError,
    },
    /// The Opus codec failed.
    #[error("Opus {stage} failed: {source}")]
    Opus {
        /// `encoding` or `decoding`.
        stage: &'static str,
        /// The codec's error.
        #[source]
        source: CodecError,
    },
    /// Resampling failed.
    #[error("resampling {from} Hz to {to} Hz failed: {source}")]
    Resample {
        /// Input rate.
        from: u32,
        /// Output rate.
        to: u32,
        /// The resampler's error.
        #[source]
        source: CodecError,
    },
    /// Frames pushed to a writer do not match the size it was opened with.
    #[error("frame is {width}x{height}, the video is {expected_width}x{expected_height}")]
    FrameSize {
        /// The frame's width.
        width: u32,
        /// The frame's height.
        height: u32,
        /// The video's width.
        expected_width: u32,
        /// The video's height.
        expected_height: u32,
    },
    /// A video parameter is out of range.
    #[error("invalid video settings: {0}")]
    VideoSettings(&'static str),
    /// A decoder library panicked on malformed input; the panic was contained.
    #[error("the {decoder} decoder crashed on malformed input")]
    DecoderPanic {
        /// Which decoder.
        decoder: &'static str,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Runs a third-party decoder on untrusted bytes, turning a panic inside it into an error, so
/// that a malformed file can never take the process down.
pub(crate) fn contain_panics<T>(
    decoder: &'static str,
    f: impl FnOnce() -> Result<T> + std::panic::UnwindSafe,
) -> Result<T> {
    CONTAINING.with(|c| c.set(c.get() + 1));
    let result = std::panic::catch_unwind(f).unwrap_or(Err(Error::DecoderPanic { decoder }));
    CONTAINING.with(|c| c.set(c.get().saturating_sub(1)));
    result
}

thread_local! {
    /// How many [`contain_panics`] calls are running on this thread: a panic hook (the fuzz
    /// harness's) can tell a third-party decoder's contained panic from one of ours.
    static CONTAINING: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Whether this thread is inside a third-party decoder whose panics this crate contains (a
/// panic now becomes a typed error, [`Error::DecoderPanic`]). A program's panic hook can stay
/// quiet about those: the caller gets the error and reports it.
pub fn containing_panics() -> bool {
    CONTAINING.with(std::cell::Cell::get) > 0
}
