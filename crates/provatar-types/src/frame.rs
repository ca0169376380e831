//! Pixel buffers.

/// Why a pixel buffer could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// Width or height is zero.
    #[error("invalid frame size {width}x{height} (both sides must be at least 1)")]
    Empty {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// The buffer does not hold exactly the pixels the size calls for.
    #[error("frame buffer holds {actual} bytes, a {width}x{height} frame needs {expected}")]
    BufferSize {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Bytes the size calls for.
        expected: usize,
        /// Bytes given.
        actual: usize,
    },
    /// 4:2:0 chroma needs even sides.
    #[error("invalid 4:2:0 frame size {width}x{height} (both sides must be even)")]
    OddSize {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
}

/// An 8-bit RGB picture, rows top to bottom, pixels interleaved `R G B`, no row padding.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

impl Frame {
    /// A black frame.
    pub fn black(width: u32, height: u32) -> Result<Self, FrameError> {
        let len = rgb_len(width, height)?;
        Ok(Self {
            width,
            height,
            rgb: vec![0; len],
        })
    }

    /// Wraps an interleaved RGB buffer of exactly `width * height * 3` bytes.
    pub fn from_rgb(width: u32, height: u32, rgb: Vec<u8>) -> Result<Self, FrameError> {
        let expected = rgb_len(width, height)?;
        if rgb.len() != expected {
            return Err(FrameError::BufferSize {
                width,
                height,
                expected,
                actual: rgb.len(),
            });
        }
        Ok(Self { width, height, rgb })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The interleaved RGB bytes.
    pub fn rgb(&self) -> &[u8] {
        &self.rgb
    }

    /// The interleaved RGB bytes, for in-place processing.
    pub fn rgb_mut(&mut self) -> &mut [u8] {
        &mut self.rgb
    }

    /// Gives the buffer back.
    pub fn into_rgb(self) -> Vec<u8> {
        self.rgb
    }
}

fn rgb_len(width: u32, height: u32) -> Result<usize, FrameError> {
    if width == 0 || height == 0 {
        return Err(FrameError::Empty { width, height });
    }
    // u32 * u32 * 3 fits in u128; refuse what does not fit the address space.
    usize::try_from(u128::from(width) * u128::from(height) * 3).map_err(|_| {
        FrameError::BufferSize {
            width,
            height,
            expected: usize::MAX,
            actual: 0,
        }
    })
}

/// An 8-bit planar YCbCr 4:2:0 picture (I420), limited range, planes without padding.
///
/// This is what H.264 carries; the watermark works on its luma plane.
#[derive(Clone, PartialEq, Eq)]
pub struct Yuv420Frame {
    width: u32,
    height: u32,
    y: Vec<u8>,
    u: Vec<u8>,
    v: Vec<u8>,
}

impl std::fmt::Debug for Yuv420Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Yuv420Frame")
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

impl Yuv420Frame {
    /// A frame of mid-grey chroma and black luma (Y = 16, U = V = 128).
    pub fn black(width: u32, height: u32) -> Result<Self, FrameError> {
        let (luma, chroma) = yuv_lens(width, height)?;
        Ok(Self {
            width,
            height,
            y: vec![16; luma],
            u: vec![128; chroma],
            v: vec![128; chroma],
        })
    }

    /// Wraps three planes: `y` is `width * height`, `u` and `v` are `width/2 * height/2`.
    pub fn from_planes(
        width: u32,
        height: u32,
        y: Vec<u8>,
        u: Vec<u8>,
        v: Vec<u8>,
    ) -> Result<Self, FrameError> {
        let (luma, chroma) = yuv_lens(width, height)?;
        for (plane, expected) in [(&y, luma), (&u, chroma), (&v, chroma)] {
            if plane.len() != expected {
                return Err(FrameError::BufferSize {
                    width,
                    height,
                    expected: luma + 2 * chroma,
                    actual: y.len() + u.len() + v.len(),
                });
            }
        }
        Ok(Self {
            width,
            height,
            y,
            u,
            v,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The luma plane, `width` bytes a row.
    pub fn y(&self) -> &[u8] {
        &self.y
    }

    /// The Cb plane, `width / 2` bytes a row.
    pub fn u(&self) -> &[u8] {
        &self.u
    }

    /// The Cr plane, `width / 2` bytes a row.
    pub fn v(&self) -> &[u8] {
        &self.v
    }

    /// All three planes, for in-place processing.
    pub fn planes_mut(&mut self) -> (&mut [u8], &mut [u8], &mut [u8]) {
        (&mut self.y, &mut self.u, &mut self.v)
    }
}

fn yuv_lens(width: u32, height: u32) -> Result<(usize, usize), FrameError> {
    if width == 0 || height == 0 {
        return Err(FrameError::Empty { width, height });
    }
    if !width.is_multiple_of(2) || !height.is_multiple_of(2) {
        return Err(FrameError::OddSize { width, height });
    }
    let luma = usize::try_from(u64::from(width) * u64::from(height)).map_err(|_| {
        FrameError::BufferSize {
            width,
            height,
            expected: usize::MAX,
            actual: 0,
        }
    })?;
    Ok((luma, luma / 4))
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
    fn rgb_size_is_checked() {
        assert!(Frame::from_rgb(2, 2, vec![0; 12]).is_ok());
        assert_eq!(
            Frame::from_rgb(2, 2, vec![0; 11]),
            Err(FrameError::BufferSize {
                width: 2,
                height: 2,
                expected: 12,
                actual: 11
            })
        );
        assert!(matches!(Frame::black(0, 5), Err(FrameError::Empty { .. })));
    }

    #[test]
    fn yuv_needs_even_sides() {
        assert!(Yuv420Frame::black(4, 2).is_ok());
        assert!(matches!(
            Yuv420Frame::black(3, 2),
            Err(FrameError::OddSize { .. })
        ));
        assert!(Yuv420Frame::from_planes(2, 2, vec![0; 4], vec![0; 1], vec![0; 2]).is_err());
    }
}
