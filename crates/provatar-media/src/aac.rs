//! The video's sound track: AAC-LC, the codec every browser plays in MP4, encoded by libxaac
//! (Android's Apache-2.0 AAC encoder, built from source by `libxaac-sys` with cmake and
//! bindgen). Input of any rate and channel count is resampled to 48 kHz and mixed to mono or
//! stereo; packets are raw AAC frames of 1024 samples (the AudioSpecificConfig goes in the
//! MP4's `esds`), and the encoder's priming samples are trimmed by the edit list.

use provatar_types::PcmTrack;

use crate::error::CodecError;
use crate::mp4::AacTrackSpec;
use crate::resample::StreamResampler;
use crate::{Error, Result};

/// AAC runs at 48 kHz here.
pub const AAC_RATE: u32 = 48_000;
/// Samples per channel in one AAC-LC frame.
pub const AAC_FRAME: usize = 1024;
const AAC_FRAME_TICKS: u32 = 1024;

/// One encoded audio packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioPacket {
    /// The packet.
    pub data: Vec<u8>,
    /// Its length in samples at the track's rate.
    pub duration: u32,
}

fn enc_err(e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Aac {
        stage: "encoding",
        source: CodecError::new(e),
    }
}

/// libxaac's encoder delay (delay adjustment on), in samples at 48 kHz: measured by encoding
/// a tone burst and a noise burst at known times and decoding them with symphonia (the test
/// below: onset within 1 ms) and with ffmpeg (cross-correlation: 4 samples early).
const PRIMING: u32 = 1604;

/// Encodes audio of any rate and channel count as AAC-LC, fed in pieces of any size.
pub struct AacEncoder {
    encoder: xaac_rs::Encoder,
    in_channels: usize,
    out_channels: usize,
    input_rate: u32,
    resampler: StreamResampler,
    mixed: Vec<f32>,
    at48: Vec<f32>,
    pcm: Vec<i16>,
    frames_in: u64,
    bitrate: u32,
}

impl std::fmt::Debug for AacEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AacEncoder")
            .field("input_rate", &self.input_rate)
            .field("channels", &self.out_channels)
            .finish_non_exhaustive()
    }
}

impl AacEncoder {
    /// An encoder for interleaved input at `input_rate` with `channels` channels.
    pub fn new(input_rate: u32, channels: u16) -> Result<Self> {
        crate::audio::check_parameters(input_rate, u32::from(channels))?;
        let out_channels: u16 = if channels == 1 { 1 } else { 2 };
        let bitrate = if out_channels == 1 { 64_000 } else { 128_000 };
        let encoder = xaac_rs::Encoder::new(xaac_rs::EncoderConfig {
            profile: xaac_rs::Profile::AacLc,
            sample_rate: AAC_RATE,
            channels: out_channels,
            bitrate,
            pcm_word_size: 16,
            output_format: xaac_rs::OutputFormat::Raw,
            ..xaac_rs::EncoderConfig::default()
        })
        .map_err(enc_err)?;
        if encoder.input_samples_per_channel() != AAC_FRAME {
            return Err(enc_err(std::io::Error::other(format!(
                "the encoder takes {} samples per frame, not {AAC_FRAME}",
                encoder.input_samples_per_channel()
            ))));
        }
        Ok(Self {
            encoder,
            in_channels: usize::from(channels),
            out_channels: usize::from(out_channels),
            input_rate,
            resampler: StreamResampler::new(input_rate, AAC_RATE, usize::from(out_channels))?,
            mixed: Vec::new(),
            at48: Vec::new(),
            pcm: Vec::with_capacity(AAC_FRAME * 2),
            frames_in: 0,
            bitrate,
        })
    }

    /// The track description for the MP4 writer.
    pub fn track_spec(&self) -> AacTrackSpec {
        AacTrackSpec {
            channels: u8::try_from(self.out_channels).unwrap_or(2),
            asc: self.encoder.audio_specific_config().to_vec(),
            priming: PRIMING,
            bitrate: self.bitrate,
        }
    }

    /// The real audio length so far, in 48 kHz samples.
    pub fn valid_samples(&self) -> u64 {
        u64::try_from(
            u128::from(self.frames_in) * u128::from(AAC_RATE) / u128::from(self.input_rate),
        )
        .unwrap_or(u64::MAX)
    }

    /// Feeds interleaved samples; returns the packets that are complete.
    pub fn push(&mut self, interleaved: &[f32]) -> Result<Vec<AudioPacket>> {
        self.frames_in += (interleaved.len() / self.in_channels) as u64;
        self.mixed.clear();
        if self.in_channels == self.out_channels {
            self.mixed.extend_from_slice(interleaved);
        } else {
            // More than two channels: the first two are left and right in every common layout;
            // fold the rest in equally.
            for frame in interleaved.chunks_exact(self.in_channels) {
                #[expect(clippy::cast_precision_loss, reason = "at most 32 channels")]
                let rest = frame[2..].iter().sum::<f32>() / (self.in_channels - 1) as f32;
                self.mixed.push((frame[0] + rest).clamp(-1.0, 1.0));
                self.mixed.push((frame[1] + rest).clamp(-1.0, 1.0));
            }
        }
        let mixed = std::mem::take(&mut self.mixed);
        self.resampler.push(&mixed, &mut self.at48)?;
        self.mixed = mixed;
        self.drain(false)
    }

    /// Ends the stream: pads the last frame and encodes enough silence to flush the priming.
    pub fn finish(&mut self) -> Result<Vec<AudioPacket>> {
        self.resampler.finish(&mut self.at48)?;
        let pad = PRIMING as usize * self.out_channels;
        self.at48.extend(std::iter::repeat_n(0.0, pad));
        self.drain(true)
    }

    fn drain(&mut self, last: bool) -> Result<Vec<AudioPacket>> {
        let frame = AAC_FRAME * self.out_channels;
        let mut packets = Vec::new();
        let mut start = 0;
        while self.at48.len() - start >= frame || (last && self.at48.len() > start) {
            let end = (start + frame).min(self.at48.len());
            self.pcm.clear();
            #[expect(clippy::cast_possible_truncation, reason = "clamped to i16's range")]
            self.pcm.extend(
                self.at48[start..end]
                    .iter()
                    .map(|s| (s.clamp(-1.0, 1.0) * 32_767.0).round() as i16),
            );
            self.pcm.resize(frame, 0);
            let packet = self
                .encoder
                .encode_i16_interleaved(&self.pcm)
                .map_err(enc_err)?;
            if !packet.data.is_empty() {
                packets.push(AudioPacket {
                    data: packet.data,
                    duration: AAC_FRAME_TICKS,
                });
            }
            start = end;
        }
        self.at48.drain(..start);
        Ok(packets)
    }
}

/// Encodes a whole track; returns the track description, the packets and the real length in
/// 48 kHz samples.
pub fn encode_aac_track(track: &PcmTrack) -> Result<(AacTrackSpec, Vec<AudioPacket>, u64)> {
    let mut encoder = AacEncoder::new(track.sample_rate(), track.channels())?;
    let mut packets = encoder.push(track.samples())?;
    packets.extend(encoder.finish()?);
    Ok((encoder.track_spec(), packets, encoder.valid_samples()))
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
    use crate::{EncoderSettings, Limits, VideoDecoder, VideoWriter};

    /// A tone that starts at 0.25 s, written with a short video and read back through the MP4
    /// reader (edit list applied) and symphonia's AAC decoder: length and onset are kept.
    #[test]
    fn aac_track_keeps_length_and_timing() {
        let rate = 44_100;
        let frames = rate as usize;
        let samples: Vec<f32> = (0..frames)
            .flat_map(|i| {
                let t = i as f32 / rate as f32;
                let s = if t >= 0.25 {
                    (2.0 * std::f32::consts::PI * 440.0 * t).sin() * 0.5
                } else {
                    0.0
                };
                [s, s]
            })
            .collect();
        let track = PcmTrack::new(rate, 2, samples).unwrap();
        let mut bytes = std::io::Cursor::new(Vec::new());
        let mut writer =
            VideoWriter::new(&mut bytes, EncoderSettings::new(64, 64, 25), Some(&track)).unwrap();
        for _ in 0..25 {
            writer
                .push_frame(&crate::Frame::black(64, 64).unwrap())
                .unwrap();
        }
        writer.finish().unwrap();
        let decoder = VideoDecoder::from_bytes(bytes.into_inner(), &Limits::default()).unwrap();
        let info = decoder.info();
        assert_eq!(info.audio.as_ref().unwrap().codec, "aac");
        let decoded = decoder.decode_audio().unwrap().unwrap();
        assert_eq!(decoded.sample_rate(), 48_000);
        assert_eq!(decoded.frames(), 48_000);
        let onset = decoded
            .samples()
            .chunks(2)
            .position(|f| f[0].abs() > 0.1)
            .unwrap();
        assert!((onset as i64 - 12_000).abs() < 48, "onset at {onset}");
    }
}
