//! The video's sound track: AAC-LC, the codec every browser plays in MP4, encoded by libxaac
//! (Android's Apache-2.0 AAC encoder, built from source by `libxaac-sys` with cmake and
//! bindgen). Input of any rate and channel count is resampled to 48 kHz and mixed to mono or
//! stereo; packets are raw AAC frames of 1024 samples (the AudioSpecificConfig goes in the
//! MP4's `esds`), and the encoder's priming samples are trimmed by the edit list.

use provatar_types::PcmTrack;

use crate::error::CodecError;
use crate::mp4::AacTrackSpec;
use crate::resample::EncoderInput;
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
    input: EncoderInput,
    pcm: Vec<i16>,
    bitrate: u32,
}

impl std::fmt::Debug for AacEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AacEncoder")
            .field("input_rate", &self.input.input_rate())
            .field("channels", &self.input.out_channels())
            .finish_non_exhaustive()
    }
}

impl AacEncoder {
    /// An encoder for interleaved input at `input_rate` with `channels` channels.
    pub fn new(input_rate: u32, channels: u16) -> Result<Self> {
        let input = EncoderInput::new(input_rate, channels)?;
        let out_channels = u16::try_from(input.out_channels()).unwrap_or(2);
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
            input,
            pcm: Vec::with_capacity(AAC_FRAME * 2),
            bitrate,
        })
    }

    /// The track description for the MP4 writer.
    pub fn track_spec(&self) -> AacTrackSpec {
        AacTrackSpec {
            channels: u8::try_from(self.input.out_channels()).unwrap_or(2),
            asc: self.encoder.audio_specific_config().to_vec(),
            priming: PRIMING,
            bitrate: self.bitrate,
        }
    }

    /// The real audio length so far, in 48 kHz samples.
    pub fn valid_samples(&self) -> u64 {
        self.input.valid_samples()
    }

    /// Feeds interleaved samples; returns the packets that are complete.
    pub fn push(&mut self, interleaved: &[f32]) -> Result<Vec<AudioPacket>> {
        self.input.push(interleaved)?;
        self.drain(false)
    }

    /// Ends the stream: pads the last frame and encodes enough silence to flush the priming.
    pub fn finish(&mut self) -> Result<Vec<AudioPacket>> {
        self.input.finish(PRIMING as usize)?;
        self.drain(true)
    }

    fn drain(&mut self, last: bool) -> Result<Vec<AudioPacket>> {
        let mut packets = Vec::new();
        let (encoder, pcm) = (&mut self.encoder, &mut self.pcm);
        self.input.frames(AAC_FRAME, last, |frame| {
            pcm.clear();
            #[expect(clippy::cast_possible_truncation, reason = "clamped to i16's range")]
            pcm.extend(
                frame
                    .iter()
                    .map(|s| (s.clamp(-1.0, 1.0) * 32_767.0).round() as i16),
            );
            let packet = encoder.encode_i16_interleaved(pcm).map_err(enc_err)?;
            if !packet.data.is_empty() {
                packets.push(AudioPacket {
                    data: packet.data,
                    duration: AAC_FRAME_TICKS,
                });
            }
            Ok(())
        })?;
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
#[allow(clippy::cast_possible_wrap, reason = "test arithmetic on small values")]
mod tests {
    use crate::{EncoderSettings, Limits, VideoDecoder, VideoWriter};

    /// A tone that starts at 0.25 s, written with a short video and read back through the MP4
    /// reader (edit list applied) and symphonia's AAC decoder: length and onset are kept.
    #[test]
    fn aac_track_keeps_length_and_timing() {
        let track = crate::opus::tests::tone_from_a_quarter_second();
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
