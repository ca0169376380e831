//! Portraits in: PNG, JPEG and WebP, EXIF orientation applied, size-limited, RGB out.

use std::io::Cursor;
use std::path::Path;

use image::{ImageDecoder, ImageFormat, ImageReader};
use provatar_types::{Frame, Limits};

use crate::error::{CodecError, contain_panics};
use crate::sniff::{MediaKind, check_size, read_file};
use crate::{Error, Result};

/// What an image file holds, read from its header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImageInfo {
    /// `png`, `jpeg` or `webp`.
    pub format: &'static str,
    /// Stored width in pixels (before orientation).
    pub width: u32,
    /// Stored height in pixels (before orientation).
    pub height: u32,
    /// The EXIF orientation tag (1 = upright, 2..=8 = flipped or rotated).
    pub exif_orientation: u8,
    /// Width after orientation is applied.
    pub display_width: u32,
    /// Height after orientation is applied.
    pub display_height: u32,
    /// The decoder's colour type, e.g. `Rgb8`, `Rgba8`, `L8`.
    pub color: String,
}

/// A decoded picture with what was learnt on the way.
#[derive(Debug, Clone)]
pub struct LoadedImage {
    /// Upright RGB pixels.
    pub frame: Frame,
    /// The header facts.
    pub info: ImageInfo,
}

/// Loads an image file (PNG, JPEG or WebP) as upright RGB.
pub fn load_image(path: &Path, limits: &Limits) -> Result<LoadedImage> {
    let bytes = read_file(path, limits)?;
    decode_image(&bytes, limits)
}

/// Reads only the header of an image.
pub fn image_info(bytes: &[u8], limits: &Limits) -> Result<ImageInfo> {
    let (format, name) = image_format(bytes)?;
    contain_panics("image", || {
        let mut decoder = open_decoder(bytes, format, name, limits)?;
        Ok(header_info(&mut decoder, name))
    })
}

/// Decodes an image held in memory as upright RGB.
pub fn decode_image(bytes: &[u8], limits: &Limits) -> Result<LoadedImage> {
    check_size(bytes, limits)?;
    let (format, name) = image_format(bytes)?;
    contain_panics("image", || {
        let mut decoder = open_decoder(bytes, format, name, limits)?;
        let info = header_info(&mut decoder, name);
        let orientation = decoder
            .orientation()
            .unwrap_or(image::metadata::Orientation::NoTransforms);
        let mut picture =
            image::DynamicImage::from_decoder(decoder).map_err(|e| Error::ImageDecode {
                format: name,
                source: CodecError::new(e),
            })?;
        picture.apply_orientation(orientation);
        let rgb = picture.into_rgb8();
        let (width, height) = rgb.dimensions();
        let frame =
            Frame::from_rgb(width, height, rgb.into_raw()).map_err(|e| Error::ImageDecode {
                format: name,
                source: CodecError::new(e),
            })?;
        Ok(LoadedImage { frame, info })
    })
}

/// Whether a JPEG reaches its end-of-image marker (`FF D9`), walking its segments from the
/// start: each marker segment by its length, each scan's entropy-coded data up to the next
/// marker (a data `FF` is always followed by `00`, and restart markers `FF D0`–`D7` stay in
/// the scan). Whatever follows the end (a motion photo's video) is not looked at.
fn jpeg_complete(bytes: &[u8]) -> bool {
    if bytes.get(..2) != Some(&[0xFF, 0xD8][..]) {
        return false;
    }
    let mut at = 2usize;
    loop {
        // Fill bytes (FF FF …) may precede a marker.
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        match (bytes.get(at), bytes.get(at + 1)) {
            (Some(0xFF), Some(0xD9)) => return true,
            (Some(0xFF), Some(&marker)) => {
                let Some(len) = bytes.get(at + 2..at + 4) else {
                    return false;
                };
                let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
                at += 2 + len;
                if marker == 0xDA {
                    // The scan's data, to the next marker that is not a restart.
                    loop {
                        match (bytes.get(at), bytes.get(at + 1)) {
                            (Some(0xFF), Some(0x00 | 0xD0..=0xD7)) => at += 2,
                            (Some(0xFF), Some(_)) => break,
                            (Some(_), _) => at += 1,
                            (None, _) => return false,
                        }
                    }
                }
            }
            _ => return false,
        }
    }
}

/// The format of an image, refusing a JPEG that is cut short: its decoder fills the missing
/// rows with grey rather than failing.
fn image_format(bytes: &[u8]) -> Result<(ImageFormat, &'static str)> {
    let found = sniffed_format(bytes)?;
    if found.0 == ImageFormat::Jpeg && !jpeg_complete(bytes) {
        return Err(Error::ImageDecode {
            format: found.1,
            source: CodecError::msg(
                "the file is cut short (no end-of-image marker after its last scan)".to_owned(),
            ),
        });
    }
    Ok(found)
}

fn sniffed_format(bytes: &[u8]) -> Result<(ImageFormat, &'static str)> {
    match MediaKind::sniff(bytes) {
        Some(MediaKind::Png) => Ok((ImageFormat::Png, "png")),
        Some(MediaKind::Jpeg) => Ok((ImageFormat::Jpeg, "jpeg")),
        Some(MediaKind::Webp) => Ok((ImageFormat::WebP, "webp")),
        Some(other) => Err(Error::WrongKind {
            found: other.name(),
            expected: "a PNG, JPEG or WebP image",
        }),
        None => Err(Error::UnknownFormat),
    }
}

fn open_decoder<'a>(
    bytes: &'a [u8],
    format: ImageFormat,
    name: &'static str,
    limits: &Limits,
) -> Result<impl ImageDecoder + 'a> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(limits.max_dimension);
    decoder_limits.max_image_height = Some(limits.max_dimension);
    // RGBA at 16 bits per channel is the largest buffer a decoder makes, plus the RGB copy.
    decoder_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8 + 3));
    reader.limits(decoder_limits);
    let decoder = reader
        .into_decoder()
        .map_err(|e| decode_error(name, e, bytes, limits))?;
    let (width, height) = decoder.dimensions();
    check_pixels(width, height, limits)?;
    Ok(decoder)
}

fn header_info(decoder: &mut impl ImageDecoder, name: &'static str) -> ImageInfo {
    let (width, height) = decoder.dimensions();
    let exif_orientation = decoder
        .orientation()
        .map_or(1, image::metadata::Orientation::to_exif);
    let rotated = matches!(exif_orientation, 5..=8);
    let (display_width, display_height) = if rotated {
        (height, width)
    } else {
        (width, height)
    };
    ImageInfo {
        format: name,
        width,
        height,
        exif_orientation,
        display_width,
        display_height,
        color: format!("{:?}", decoder.color_type()),
    }
}

fn check_pixels(width: u32, height: u32, limits: &Limits) -> Result<()> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels || width > limits.max_dimension || height > limits.max_dimension {
        return Err(Error::ImageTooLarge {
            width,
            height,
            max_pixels: limits.max_pixels,
            max_dimension: limits.max_dimension,
        });
    }
    if pixels == 0 {
        return Err(Error::ImageDecode {
            format: "image",
            source: CodecError::msg(format!("invalid size {width}x{height}")),
        });
    }
    Ok(())
}

fn decode_error(name: &'static str, e: image::ImageError, bytes: &[u8], limits: &Limits) -> Error {
    if let image::ImageError::Limits(_) = e {
        // The decoder refused the header's size before we could read it ourselves: the size
        // reported is the header's, where it can be read here (PNG's IHDR), else 0 × 0.
        let (width, height) = png_size(bytes).unwrap_or((0, 0));
        return Error::ImageTooLarge {
            width,
            height,
            max_pixels: limits.max_pixels,
            max_dimension: limits.max_dimension,
        };
    }
    Error::ImageDecode {
        format: name,
        source: CodecError::new(e),
    }
}

/// The width and height a PNG's IHDR chunk declares (the first chunk, right after the
/// signature).
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.get(12..16)? != b"IHDR" {
        return None;
    }
    let word = |at: usize| Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    Some((word(16)?, word(20)?))
}

/// Image formats provatar writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageOutput {
    /// Lossless PNG.
    Png,
    /// JPEG at a quality from 1 to 100.
    Jpeg {
        /// Quality (libjpeg scale).
        quality: u8,
    },
}

impl ImageOutput {
    /// The format a file name's extension asks for (`.png`, `.jpg`/`.jpeg` at quality 95).
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "png" => Some(Self::Png),
            "jpg" | "jpeg" => Some(Self::Jpeg { quality: 95 }),
            _ => None,
        }
    }
}

/// Encodes a picture as PNG or JPEG.
pub fn encode_image(frame: &Frame, format: ImageOutput) -> Result<Vec<u8>> {
    fn write(encoder: impl image::ImageEncoder, frame: &Frame) -> image::ImageResult<()> {
        encoder.write_image(
            frame.rgb(),
            frame.width(),
            frame.height(),
            image::ExtendedColorType::Rgb8,
        )
    }
    let mut out = Vec::new();
    let (name, result) = match format {
        ImageOutput::Png => (
            "PNG",
            write(image::codecs::png::PngEncoder::new(&mut out), frame),
        ),
        ImageOutput::Jpeg { quality } => (
            "JPEG",
            write(
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality.clamp(1, 100)),
                frame,
            ),
        ),
    };
    result.map_err(|e| Error::ImageEncode {
        format: name,
        source: CodecError::new(e),
    })?;
    Ok(out)
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

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    /// Issue 18 (finding 9): a truncated JPEG decoded with its missing rows grey.
    #[test]
    fn a_jpeg_cut_short_is_refused_and_one_with_data_after_its_end_is_not() {
        let img = image::RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 5) as u8, ((x * y) % 251) as u8])
        });
        let mut jpeg = Vec::new();
        img.write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
            .unwrap();
        assert!(jpeg_complete(&jpeg));
        decode_image(&jpeg, &Limits::default()).unwrap();
        for cut in [jpeg.len() - 2, jpeg.len() * 2 / 3, jpeg.len() / 4] {
            let err = decode_image(&jpeg[..cut], &Limits::default()).unwrap_err();
            assert!(err.to_string().contains("cut short"), "cut at {cut}: {err}");
        }
        // A motion photo: more data after the end, a start-of-scan marker among it.
        let mut more = jpeg.clone();
        more.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 1, 2, 3, 4, 5, 6]);
        decode_image(&more, &Limits::default()).unwrap();
    }

    #[test]
    fn decodes_png() {
        let loaded = decode_image(&png(5, 3), &Limits::default()).unwrap();
        assert_eq!((loaded.frame.width(), loaded.frame.height()), (5, 3));
        assert_eq!(&loaded.frame.rgb()[3..6], &[1, 0, 7]);
        assert_eq!(loaded.info.format, "png");
        assert_eq!(loaded.info.exif_orientation, 1);
    }

    #[test]
    fn refuses_too_many_pixels() {
        let mut limits = Limits::default();
        limits.max_pixels = 10;
        assert!(matches!(
            decode_image(&png(5, 3), &limits),
            Err(Error::ImageTooLarge {
                width: 5,
                height: 3,
                ..
            })
        ));
    }

    #[test]
    fn refuses_non_images() {
        assert!(matches!(
            decode_image(b"RIFF\0\0\0\0WAVEfmt ", &Limits::default()),
            Err(Error::WrongKind { .. })
        ));
        assert!(matches!(
            decode_image(b"garbage", &Limits::default()),
            Err(Error::UnknownFormat)
        ));
        assert!(matches!(
            decode_image(b"", &Limits::default()),
            Err(Error::Empty)
        ));
    }

    #[test]
    fn truncated_png_is_an_error() {
        let bytes = png(64, 64);
        // Cuts inside the header or the pixel data (a cut inside the final IEND chunk loses
        // nothing and may decode).
        for cut in [8, 20, 40, bytes.len() / 2, bytes.len() - 13] {
            assert!(
                decode_image(&bytes[..cut], &Limits::default()).is_err(),
                "cut at {cut}"
            );
        }
    }
}
