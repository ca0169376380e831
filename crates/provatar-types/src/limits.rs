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

/// The most bytes a small document (a consent credential, a license, a key, a certificate
/// chain, a policy) may hold: 1 MiB, far above any real one.
pub const MAX_DOCUMENT_BYTES: u64 = 1024 * 1024;

/// Reads a whole file, at most `max` bytes: an endless or growing file (`/dev/zero`, a pipe)
/// stops at the limit instead of filling memory.
///
/// # Errors
/// The file's own I/O error, or [`std::io::ErrorKind::FileTooLarge`] naming the limit when it
/// holds more than `max` bytes.
pub fn read_limited(path: &std::path::Path, max: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("it holds more than the {max}-byte limit"),
        ));
    }
    Ok(bytes)
}

/// [`read_limited`] for text: the bytes must be UTF-8.
///
/// # Errors
/// As [`read_limited`], and [`std::io::ErrorKind::InvalidData`] for bytes that are not UTF-8.
pub fn read_limited_text(path: &std::path::Path, max: u64) -> std::io::Result<String> {
    String::from_utf8(read_limited(path, max)?)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_file_stops_at_the_limit() {
        let err = read_limited(std::path::Path::new("/dev/zero"), 4096).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::FileTooLarge);
        assert!(err.to_string().contains("4096-byte limit"), "{err}");
        let dir = std::env::temp_dir().join(format!("provatar-limit-{}", std::process::id()));
        std::fs::write(&dir, b"four").unwrap();
        assert_eq!(read_limited(&dir, 4).unwrap(), b"four");
        assert!(read_limited(&dir, 3).is_err());
        std::fs::remove_file(&dir).unwrap();
    }
}
