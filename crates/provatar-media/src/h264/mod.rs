//! H.264 through Cisco's OpenH264 (built from the `openh264` crate's bundled source).
//!
//! The encoder makes Main profile streams with CABAC, Main's arithmetic entropy coder (about a
//! tenth smaller than Baseline's CAVLC for the same pictures), and no B-frames (decode order is
//! display order, which keeps streaming latency at zero frames). OpenH264 has no 8×8 transform,
//! so High profile would add nothing but its name. BT.709 limited range signalled in the VUI, a
//! keyframe at least every two seconds so fragments can start on one, and never skips a frame,
//! so the frame rate stays constant.
//!
//! Rate control is off: every picture is coded at a constant quantiser (default 22, with
//! OpenH264's adaptive quantisation moving it by at most ±4 per macroblock), which keeps
//! quality — and so the watermark's strength — the same from frame to frame and runs about
//! twice as fast as OpenH264's bitrate modes. Those modes also cannot hold a constant frame rate
//! without skipping frames, which we never allow.

mod ffi;

use openh264::OpenH264API;
use openh264::decoder::{Decoder, DecoderConfig, Flush};
use openh264::formats::YUVSource;
use provatar_types::Yuv420Frame;

use crate::error::CodecError;
use crate::{Error, Result};

const NAL_SPS: u8 = 7;
const NAL_PPS: u8 = 8;

/// Encoder settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EncoderSettings {
    /// Width in pixels (even).
    pub width: u32,
    /// Height in pixels (even).
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
    /// A keyframe at least this often, in frames.
    pub keyframe_interval: u32,
    /// The quantiser, 10..=40: lower is better and bigger. 22 keeps 512×512 talking heads
    /// above 38 dB luma PSNR.
    pub qp: u8,
}

impl EncoderSettings {
    /// Defaults for a `width`×`height` video at `fps`.
    pub fn new(width: u32, height: u32, fps: u32) -> Self {
        Self {
            width,
            height,
            fps,
            keyframe_interval: fps.saturating_mul(2).max(1),
            qp: 22,
        }
    }
}

/// One encoded picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPicture {
    /// The access unit in AVCC form (each NAL unit after a 4-byte big-endian length), without
    /// parameter sets.
    pub data: Vec<u8>,
    /// Whether it is an IDR picture.
    pub keyframe: bool,
}

/// An H.264 encoder for one video.
pub struct H264Encoder {
    encoder: ffi::RawEncoder,
    settings: EncoderSettings,
    sps: Option<Vec<u8>>,
    pps: Option<Vec<u8>>,
    frames: u64,
}

impl std::fmt::Debug for H264Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H264Encoder")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

fn encode_err(e: impl std::fmt::Display) -> Error {
    Error::H264 {
        stage: "encoding",
        source: CodecError::msg(e.to_string()),
    }
}

impl H264Encoder {
    /// Opens an encoder.
    pub fn new(settings: EncoderSettings) -> Result<Self> {
        let EncoderSettings {
            width, height, fps, ..
        } = settings;
        if width == 0
            || height == 0
            || width % 2 == 1
            || height % 2 == 1
            || width.max(height) > 3840
            || width.min(height) > 2160
        {
            return Err(Error::VideoSettings(
                "frame size must be even and at most 3840x2160",
            ));
        }
        if !(1..=120).contains(&fps) {
            return Err(Error::VideoSettings("frame rate must be 1..=120 fps"));
        }
        if !(10..=40).contains(&settings.qp) {
            return Err(Error::VideoSettings("quantiser must be 10..=40"));
        }
        let dimension =
            |v: u32| i32::try_from(v).map_err(|_| Error::VideoSettings("frame size out of range"));
        #[expect(clippy::cast_precision_loss, reason = "fps ≤ 120")]
        let config = ffi::RawConfig {
            width: dimension(width)?,
            height: dimension(height)?,
            fps: fps as f32,
            qp: i32::from(settings.qp),
            intra_period: settings.keyframe_interval,
        };
        let encoder = ffi::RawEncoder::new(&config).map_err(encode_err)?;
        Ok(Self {
            encoder,
            settings,
            sps: None,
            pps: None,
            frames: 0,
        })
    }

    /// The settings it was opened with.
    pub fn settings(&self) -> &EncoderSettings {
        &self.settings
    }

    /// The sequence and picture parameter sets, known after the first picture.
    pub fn parameter_sets(&self) -> Option<(&[u8], &[u8])> {
        Some((self.sps.as_deref()?, self.pps.as_deref()?))
    }

    /// Encodes one picture.
    pub fn encode(&mut self, frame: &Yuv420Frame) -> Result<EncodedPicture> {
        if (frame.width(), frame.height()) != (self.settings.width, self.settings.height) {
            return Err(Error::FrameSize {
                width: frame.width(),
                height: frame.height(),
                expected_width: self.settings.width,
                expected_height: self.settings.height,
            });
        }
        let ms =
            i64::try_from(self.frames * 1000 / u64::from(self.settings.fps)).unwrap_or(i64::MAX);
        self.frames += 1;
        let (mut data, mut sps, mut pps) = (Vec::new(), None, None);
        let keyframe = self
            .encoder
            .encode(frame, ms, |nal| {
                let nal = strip_start_code(nal);
                match nal.first().map(|b| b & 0x1F) {
                    Some(NAL_SPS) => sps = Some(nal.to_vec()),
                    Some(NAL_PPS) => pps = Some(nal.to_vec()),
                    Some(_) => {
                        // NAL units are far below 4 GiB.
                        data.extend_from_slice(
                            &u32::try_from(nal.len()).unwrap_or(u32::MAX).to_be_bytes(),
                        );
                        data.extend_from_slice(nal);
                    }
                    None => {}
                }
            })
            .map_err(encode_err)?;
        if sps.is_some() {
            self.sps = sps;
        }
        if pps.is_some() {
            self.pps = pps;
        }
        if data.is_empty() {
            return Err(encode_err(
                "the encoder produced no picture (frame skipped)",
            ));
        }
        Ok(EncodedPicture { data, keyframe })
    }

    /// Makes the next picture a keyframe (e.g. at the start of a fragment).
    pub fn force_keyframe(&mut self) {
        self.encoder.force_intra();
    }
}

fn strip_start_code(nal: &[u8]) -> &[u8] {
    if let Some(rest) = nal.strip_prefix(&[0, 0, 0, 1]) {
        rest
    } else if let Some(rest) = nal.strip_prefix(&[0, 0, 1]) {
        rest
    } else {
        nal
    }
}

/// An H.264 decoder that takes samples in AVCC form (length-prefixed NAL units, as MP4 stores
/// them) and gives pictures in display order.
pub struct H264Decoder {
    decoder: Decoder,
    nal_length_size: usize,
    annex_b: Vec<u8>,
}

impl std::fmt::Debug for H264Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H264Decoder").finish_non_exhaustive()
    }
}

fn decode_err(e: impl std::fmt::Display) -> Error {
    Error::H264 {
        stage: "decoding",
        source: CodecError::msg(e.to_string()),
    }
}

impl H264Decoder {
    /// Opens a decoder primed with the stream's parameter sets.
    pub fn new(sps: &[Vec<u8>], pps: &[Vec<u8>], nal_length_size: u8) -> Result<Self> {
        // No flush after each picture: that would defeat the decoder's display-order reordering.
        let config = DecoderConfig::new().flush_after_decode(Flush::NoFlush);
        let decoder =
            Decoder::with_api_config(OpenH264API::from_source(), config).map_err(decode_err)?;
        let mut me = Self {
            decoder,
            nal_length_size: usize::from(nal_length_size),
            annex_b: Vec::new(),
        };
        me.annex_b.clear();
        for nal in sps.iter().chain(pps) {
            me.annex_b.extend_from_slice(&[0, 0, 0, 1]);
            me.annex_b.extend_from_slice(nal);
        }
        if !me.annex_b.is_empty() {
            // Parameter sets alone produce no picture.
            me.decoder.decode(&me.annex_b).map_err(decode_err)?;
        }
        Ok(me)
    }

    /// Decodes one sample; returns a picture when the decoder has one ready.
    pub fn decode(&mut self, sample: &[u8]) -> Result<Option<Yuv420Frame>> {
        self.annex_b.clear();
        let mut rest = sample;
        while !rest.is_empty() {
            let (len_bytes, tail) = rest
                .split_at_checked(self.nal_length_size)
                .ok_or_else(|| decode_err("sample ends inside a NAL length"))?;
            let len = len_bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            let (nal, tail) = tail
                .split_at_checked(len)
                .ok_or_else(|| decode_err("NAL unit runs past its sample"))?;
            self.annex_b.extend_from_slice(&[0, 0, 0, 1]);
            self.annex_b.extend_from_slice(nal);
            rest = tail;
        }
        let picture = self.decoder.decode(&self.annex_b).map_err(decode_err)?;
        picture.map(|p| copy_picture(&p)).transpose()
    }

    /// Returns the pictures still held for reordering at the end of the stream.
    pub fn flush(&mut self) -> Result<Vec<Yuv420Frame>> {
        let pictures = self.decoder.flush_remaining().map_err(decode_err)?;
        pictures.iter().map(copy_picture).collect()
    }
}

/// Copies a decoded picture out of the decoder's buffers, dropping stride padding (and an odd
/// last column or row, which 4:2:0 cannot hold).
fn copy_picture(p: &openh264::decoder::DecodedYUV<'_>) -> Result<Yuv420Frame> {
    let (w, h) = p.dimensions();
    let (ys, us, vs) = p.strides();
    let (w, h) = (w & !1, h & !1);
    if w == 0 || h == 0 {
        return Err(decode_err("decoded picture is empty"));
    }
    let mut y = Vec::with_capacity(w * h);
    for row in 0..h {
        y.extend_from_slice(
            p.y()
                .get(row * ys..row * ys + w)
                .ok_or_else(|| decode_err("short luma plane"))?,
        );
    }
    let (cw, ch) = (w / 2, h / 2);
    let mut u = Vec::with_capacity(cw * ch);
    let mut v = Vec::with_capacity(cw * ch);
    for row in 0..ch {
        u.extend_from_slice(
            p.u()
                .get(row * us..row * us + cw)
                .ok_or_else(|| decode_err("short chroma plane"))?,
        );
        v.extend_from_slice(
            p.v()
                .get(row * vs..row * vs + cw)
                .ok_or_else(|| decode_err("short chroma plane"))?,
        );
    }
    let w = u32::try_from(w).map_err(decode_err)?;
    let h = u32::try_from(h).map_err(decode_err)?;
    Yuv420Frame::from_planes(w, h, y, u, v).map_err(decode_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `ue(v)` (unsigned Exp-Golomb) at bit `pos`, returning the value and the next bit.
    fn ue(bits: &[u8], mut pos: usize) -> (u32, usize) {
        let bit = |p: usize| (bits[p / 8] >> (7 - p % 8)) & 1;
        let mut zeros = 0;
        while bit(pos) == 0 {
            zeros += 1;
            pos += 1;
        }
        pos += 1;
        let mut value = 1u32;
        for _ in 0..zeros {
            value = (value << 1) | u32::from(bit(pos));
            pos += 1;
        }
        (value - 1, pos)
    }

    #[test]
    fn streams_are_main_profile_with_cabac() {
        let mut encoder = H264Encoder::new(EncoderSettings::new(64, 48, 25)).unwrap();
        let (luma, chroma) = (vec![90; 64 * 48], vec![128; 32 * 24]);
        let grey = Yuv420Frame::from_planes(64, 48, luma, chroma.clone(), chroma).unwrap();
        let picture = encoder.encode(&grey).unwrap();
        assert!(picture.keyframe);
        let (sps, pps) = encoder.parameter_sets().unwrap();
        // SPS: NAL header, profile_idc, constraint flags, level_idc.
        assert_eq!(sps[1], 77, "profile_idc");
        assert_ne!(sps[2] & 0x40, 0, "constraint_set1_flag (Main-conformant)");
        // PPS: NAL header, then pic_parameter_set_id and seq_parameter_set_id as ue(v), then
        // entropy_coding_mode_flag.
        let (_, pos) = ue(&pps[1..], 0);
        let (_, pos) = ue(&pps[1..], pos);
        assert_eq!((pps[1 + pos / 8] >> (7 - pos % 8)) & 1, 1, "CABAC");
    }
}
