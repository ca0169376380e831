//! Resource limits for untrusted input, checked before allocating.

/// What provatar accepts from a file it did not write. Every decoder checks these before it
/// allocates, so a hostile header cannot make it reserve gigabytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest accepted file, in bytes.
    pub max_file_bytes: u64,
    /// Largest accepted picture (or video frame), in pixels.
    pub max_pixels: u64,
    /// Largest accepted width or height, in pixels.
    pub max_dimension: u32,
    /// Longest accepted audio or video, in seconds.
    pub max_seconds: u32,
    /// Most video frames or audio packets accepted from one track.
    pub max_samples: u32,
}

impl Limits {
    /// The defaults: 512 MiB files, 40 megapixel images (8192 px a side), one hour of media,
    /// and a million samples a track.
    pub const DEFAULT: Self = Self {
        max_file_bytes: 512 * 1024 * 1024,
        max_pixels: 40_000_000,
        max_dimension: 8192,
        max_seconds: 3600,
        max_samples: 1_000_000,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
