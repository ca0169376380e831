//! Opus (BSD-licensed libopus, built from source by `opusic-sys`): decoding Opus sound tracks
//! of MP4s (provatar's own before it switched to AAC for browsers, and anyone else's), and an
//! encoder for callers who want Opus. provatar's videos carry AAC-LC ([`crate::AacEncoder`]):
//! every browser plays AAC in MP4, while support for Opus in MP4 is recent and uneven.

use opus::{Application, Bitrate, Channels};
use provatar_types::PcmTrack;

use crate::error::CodecError;
use crate::mp4::OpusTrackSpec;
use crate::resample::EncoderInput;
use crate::{Error, Result};

/// Opus runs at 48 kHz.
pub const OPUS_RATE: u32 = 48_000;
/// 20 ms packets.
pub const OPUS_FRAME: usize = 960;
const OPUS_FRAME_TICKS: u32 = 960;

/// One encoded Opus packet (its duration in 48 kHz samples).
pub type OpusPacket = crate::AudioPacket;

fn enc_err(e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Opus {
        stage: "encoding",
        source: CodecError::new(e),
    }
}

/// Encodes audio of any rate and channel count (mixed down to stereo above two) as Opus,
/// fed in pieces of any size.
pub struct OpusEncoder {
    encoder: opus::Encoder,
    input: EncoderInput,
    pre_skip: u16,
    packet: Vec<u8>,
}

impl std::fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusEncoder")
            .field("input_rate", &self.input.input_rate())
            .field("channels", &self.input.out_channels())
            .finish_non_exhaustive()
    }
}

impl OpusEncoder {
    /// An encoder for interleaved input at `input_rate` with `channels` channels.
    pub fn new(input_rate: u32, channels: u16) -> Result<Self> {
        let input = EncoderInput::new(input_rate, channels)?;
        let out_channels = input.out_channels();
        let mut encoder = opus::Encoder::new(
            OPUS_RATE,
            if out_channels == 1 {
                Channels::Mono
            } else {
                Channels::Stereo
            },
            Application::Audio,
        )
        .map_err(enc_err)?;
        encoder
            .set_bitrate(Bitrate::Bits(if out_channels == 1 {
                64_000
            } else {
                96_000
            }))
            .map_err(enc_err)?;
        let lookahead = encoder.get_lookahead().map_err(enc_err)?;
        let pre_skip = u16::try_from(lookahead)
            .map_err(|_| enc_err(std::io::Error::other("bad look-ahead")))?;
        Ok(Self {
            encoder,
            input,
            pre_skip,
            packet: vec![0; 4000],
        })
    }

    /// The track description for the MP4 writer.
    pub fn track_spec(&self) -> OpusTrackSpec {
        OpusTrackSpec {
            channels: u8::try_from(self.input.out_channels()).unwrap_or(2),
            pre_skip: self.pre_skip,
            input_sample_rate: self.input.input_rate(),
        }
    }

    /// Samples at 48 kHz that the decoder discards first.
    pub fn pre_skip(&self) -> u16 {
        self.pre_skip
    }

    /// The real audio length so far, in 48 kHz samples.
    pub fn valid_samples(&self) -> u64 {
        self.input.valid_samples()
    }

    /// Feeds interleaved samples; returns the packets that are complete.
    pub fn push(&mut self, interleaved: &[f32]) -> Result<Vec<OpusPacket>> {
        self.input.push(interleaved)?;
        self.drain(false)
    }

    /// Ends the stream: pads the last packet and encodes enough silence to flush the look-ahead.
    pub fn finish(&mut self) -> Result<Vec<OpusPacket>> {
        self.input.finish(usize::from(self.pre_skip))?;
        self.drain(true)
    }

    fn drain(&mut self, last: bool) -> Result<Vec<OpusPacket>> {
        let mut packets = Vec::new();
        let (encoder, buf) = (&mut self.encoder, &mut self.packet);
        self.input.frames(OPUS_FRAME, last, |pcm| {
            let n = encoder.encode_float(pcm, buf).map_err(enc_err)?;
            packets.push(OpusPacket {
                data: buf[..n].to_vec(),
                duration: OPUS_FRAME_TICKS,
            });
            Ok(())
        })?;
        Ok(packets)
    }
}

/// Encodes a whole track.
pub fn encode_track(track: &PcmTrack) -> Result<(OpusTrackSpec, Vec<OpusPacket>, u64)> {
    let mut encoder = OpusEncoder::new(track.sample_rate(), track.channels())?;
    let mut packets = encoder.push(track.samples())?;
    packets.extend(encoder.finish()?);
    Ok((encoder.track_spec(), packets, encoder.valid_samples()))
}

/// Decodes Opus packets to interleaved 48 kHz samples, dropping `pre_skip` samples and keeping
/// at most `length` (the edit list's duration) if given.
pub fn decode_packets<'a>(
    packets: impl IntoIterator<Item = &'a [u8]>,
    channels: u8,
    pre_skip: u64,
    length: Option<u64>,
    max_samples: u64,
) -> Result<PcmTrack> {
    let err = |e: opus::Error| Error::Opus {
        stage: "decoding",
        source: CodecError::new(e),
    };
    let ch = if channels == 1 { 1 } else { 2 };
    let mut decoder = opus::Decoder::new(
        OPUS_RATE,
        if ch == 1 {
            Channels::Mono
        } else {
            Channels::Stereo
        },
    )
    .map_err(err)?;
    let mut out = Vec::new();
    let mut buf = vec![0.0f32; 5760 * ch];
    for packet in packets {
        let n = decoder.decode_float(packet, &mut buf, false).map_err(err)?;
        out.extend_from_slice(&buf[..n * ch]);
        if out.len() as u64 > max_samples.saturating_mul(ch as u64) {
            #[expect(clippy::cast_precision_loss, reason = "only reported")]
            let seconds = out.len() as f64 / (f64::from(OPUS_RATE) * ch as f64);
            return Err(Error::TooLong {
                seconds,
                limit: u32::try_from(max_samples / u64::from(OPUS_RATE)).unwrap_or(u32::MAX),
            });
        }
    }
    let skip = usize::try_from(pre_skip)
        .unwrap_or(usize::MAX)
        .saturating_mul(ch)
        .min(out.len());
    out.drain(..skip);
    if let Some(length) = length {
        out.truncate(
            usize::try_from(length)
                .unwrap_or(usize::MAX)
                .saturating_mul(ch),
        );
    }
    PcmTrack::new(OPUS_RATE, u16::from(ch == 2) + 1, out).ok_or(Error::EmptyAudio)
}

#[cfg(test)]
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    reason = "test arithmetic on small values"
)]
pub(crate) mod tests {
    use super::*;

    /// One second at 44.1 kHz stereo of a 440 Hz tone that starts at 0.25 s: the encoders'
    /// length and timing check.
    pub(crate) fn tone_from_a_quarter_second() -> PcmTrack {
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
        PcmTrack::new(rate, 2, samples).unwrap()
    }

    #[test]
    fn opus_round_trip_keeps_length_and_timing() {
        let track = tone_from_a_quarter_second();
        let (spec, packets, valid) = encode_track(&track).unwrap();
        assert_eq!(valid, 48_000);
        let decoded = decode_packets(
            packets.iter().map(|p| p.data.as_slice()),
            spec.channels,
            u64::from(spec.pre_skip),
            Some(valid),
            10 * 48_000,
        )
        .unwrap();
        assert_eq!(decoded.frames(), 48_000);
        // The tone's onset stays at 0.25 s (within 1 ms).
        let onset = decoded
            .samples()
            .chunks(2)
            .position(|f| f[0].abs() > 0.1)
            .unwrap();
        assert!((onset as i64 - 12_000).abs() < 48, "onset at {onset}");
    }
}
