//! Speech in: WAV, FLAC, MP3, Ogg Vorbis, AAC/M4A (symphonia), any rate and channel count, out as
//! 16 kHz mono for analysis plus the original track for the video's sound.

use std::io::Cursor;
use std::path::Path;

use provatar_types::{ANALYSIS_SAMPLE_RATE, Audio, Limits, PcmTrack};
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, DecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::error::{CodecError, contain_panics};
use crate::resample::resample_interleaved;
use crate::sniff::{MediaKind, check_size, read_file};
use crate::{Error, Result};

/// What an audio file holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AudioInfo {
    /// The container, e.g. `wav`, `mp4`.
    pub container: &'static str,
    /// The codec's short name, e.g. `pcm_s16le`, `mp3`, `aac`, `opus`.
    pub codec: String,
    /// Samples per second.
    pub sample_rate: u32,
    /// Channel count.
    pub channels: u16,
    /// Length in seconds, from the decoded samples.
    pub duration_seconds: f64,
}

/// Decoded audio: the 16 kHz mono analysis signal and the original track.
#[derive(Debug, Clone)]
pub struct LoadedAudio {
    /// 16 kHz mono, for motion analysis.
    pub analysis: Audio,
    /// The decoded track at its own rate and channels, for the output's sound.
    pub original: PcmTrack,
    /// What the file holds.
    pub info: AudioInfo,
}

/// Loads an audio file.
pub fn load_audio(path: &Path, limits: &Limits) -> Result<LoadedAudio> {
    let bytes = read_file(path, limits)?;
    decode_audio(&bytes, limits)
}

/// Decodes audio held in memory.
pub fn decode_audio(bytes: &[u8], limits: &Limits) -> Result<LoadedAudio> {
    let (original, info) = decode_pcm(bytes, limits)?;
    let analysis = to_analysis(&original)?;
    Ok(LoadedAudio {
        analysis,
        original,
        info,
    })
}

/// Mixes a track down to mono and resamples it to 16 kHz.
pub fn to_analysis(track: &PcmTrack) -> Result<Audio> {
    let channels = usize::from(track.channels());
    #[expect(clippy::cast_precision_loss, reason = "channel counts are at most 32")]
    let scale = 1.0 / channels as f32;
    let mono: Vec<f32> = track
        .samples()
        .chunks_exact(channels)
        .map(|frame| frame.iter().sum::<f32>() * scale)
        .collect();
    let out = resample_interleaved(&mono, 1, track.sample_rate(), ANALYSIS_SAMPLE_RATE)?;
    Ok(Audio::from_samples(out))
}

/// Decodes an audio-only file to interleaved samples at its own rate.
pub fn decode_pcm(bytes: &[u8], limits: &Limits) -> Result<(PcmTrack, AudioInfo)> {
    check_size(bytes, limits)?;
    let kind = MediaKind::sniff(bytes).ok_or(Error::UnknownFormat)?;
    let (container, extension) = match kind {
        MediaKind::Wav => ("wav", "wav"),
        MediaKind::Flac => ("flac", "flac"),
        MediaKind::Ogg => ("ogg", "ogg"),
        MediaKind::Mp3 => ("mp3", "mp3"),
        MediaKind::Adts => ("adts", "aac"),
        MediaKind::Mp4 => ("mp4", "m4a"),
        other => {
            return Err(Error::WrongKind {
                found: other.name(),
                expected: "WAV, FLAC, MP3, Ogg Vorbis or AAC/M4A audio",
            });
        }
    };
    if kind == MediaKind::Mp4 {
        return decode_mp4_pcm(bytes, limits);
    }
    if kind == MediaKind::Wav
        && let Some((rate, channels)) = wav_format(bytes)
    {
        // Checked before the decoder sees it (at 0 Hz it panics).
        check_parameters(rate, u32::from(channels))?;
    }
    let owned = bytes.to_vec();
    contain_panics("audio", move || {
        decode_with_symphonia(owned, container, extension, limits)
    })
}

/// A WAV file's declared sample rate and channel count, from its `fmt ` chunk (`None` when
/// there is none to read: the decoder then says what is wrong).
fn wav_format(bytes: &[u8]) -> Option<(u32, u16)> {
    let mut at = 12usize;
    while let Some(header) = bytes.get(at..at.checked_add(8)?) {
        let size = usize::try_from(u32::from_le_bytes(header[4..8].try_into().ok()?)).ok()?;
        if &header[..4] == b"fmt " {
            let fmt = bytes.get(at + 8..(at + 8).checked_add(size.min(16))?)?;
            let channels = u16::from_le_bytes(fmt.get(2..4)?.try_into().ok()?);
            let rate = u32::from_le_bytes(fmt.get(4..8)?.try_into().ok()?);
            return Some((rate, channels));
        }
        // Chunks are padded to an even length.
        at = at
            .checked_add(8)?
            .checked_add(size)?
            .checked_add(size % 2)?;
    }
    None
}

/// The audio track of an MP4 or M4A file, through our demuxer (AAC via symphonia, or Opus).
fn decode_mp4_pcm(bytes: &[u8], limits: &Limits) -> Result<(PcmTrack, AudioInfo)> {
    let file = crate::mp4::parse(bytes, limits)?;
    let track = crate::video::decode_mp4_audio(bytes, &file, limits)?
        .ok_or_else(|| audio_err("the file holds no audio track"))?;
    if track.frames() == 0 {
        return Err(Error::EmptyAudio);
    }
    let codec = file
        .audio()
        .map_or_else(|| "unknown".to_owned(), |t| t.entry.codec_name());
    let info = AudioInfo {
        container: "mp4",
        codec,
        sample_rate: track.sample_rate(),
        channels: track.channels(),
        duration_seconds: track.duration_seconds(),
    };
    Ok((track, info))
}

fn audio_err(e: impl std::fmt::Display) -> Error {
    Error::AudioDecode {
        source: CodecError::msg(e.to_string()),
    }
}

fn decode_with_symphonia(
    bytes: Vec<u8>,
    container: &'static str,
    extension: &str,
    limits: &Limits,
) -> Result<(PcmTrack, AudioInfo)> {
    let stream = MediaSourceStream::new(
        Box::new(Cursor::new(bytes)),
        MediaSourceStreamOptions::default(),
    );
    let mut hint = Hint::new();
    hint.with_extension(extension);
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            stream,
            // Gapless: trim encoder delay and padding (LAME/iTunes headers) so durations and
            // timing match the source.
            &FormatOptions {
                enable_gapless: true,
                ..FormatOptions::default()
            },
            &MetadataOptions::default(),
        )
        .map_err(audio_err)?;
    let mut reader = probed.format;
    let track = reader
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| audio_err("the file holds no audio track"))?;
    let track_id = track.id;
    let params = track.codec_params.clone();
    let codec = symphonia::default::get_codecs()
        .get_codec(params.codec)
        .map_or_else(|| "unknown".to_owned(), |d| d.short_name.to_owned());
    let declared_rate = params.sample_rate.unwrap_or(0);
    let declared_channels = params
        .channels
        .map_or(0, symphonia::core::audio::Channels::count);
    check_parameters(
        declared_rate,
        u32::try_from(declared_channels).unwrap_or(u32::MAX),
    )?;
    if let Some(frames) = params.n_frames {
        #[expect(clippy::cast_precision_loss, reason = "only compared with a limit")]
        let seconds = frames as f64 / f64::from(declared_rate);
        if seconds > f64::from(limits.max_seconds) {
            return Err(Error::TooLong {
                seconds,
                limit: limits.max_seconds,
            });
        }
    }
    let mut decoder = symphonia::default::get_codecs()
        .make(&params, &DecoderOptions::default())
        .map_err(audio_err)?;

    let max_samples =
        u64::from(limits.max_seconds) * u64::from(declared_rate) * declared_channels as u64;
    let mut samples: Vec<f32> = Vec::new();
    let mut spec_seen: Option<(u32, usize)> = None;
    let mut buffer: Option<SampleBuffer<f32>> = None;
    let mut bad_packets = 0usize;
    let mut good_packets = 0usize;
    loop {
        let packet = match reader.next_packet() {
            Ok(p) => p,
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break;
            }
            Err(SymphoniaError::ResetRequired) => break,
            Err(e) => {
                // A damaged tail after good audio ends the stream; damage before any is an error.
                if good_packets > 0 {
                    break;
                }
                return Err(audio_err(e));
            }
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            Err(SymphoniaError::DecodeError(_)) => {
                bad_packets += 1;
                continue;
            }
            Err(e) => return Err(audio_err(e)),
        };
        good_packets += 1;
        let spec = *decoded.spec();
        let this = (spec.rate, spec.channels.count());
        match spec_seen {
            None => spec_seen = Some(this),
            Some(seen) if seen != this => {
                return Err(audio_err("the stream changes rate or channel count midway"));
            }
            Some(_) => {}
        }
        let frames = decoded.frames();
        if frames == 0 {
            continue;
        }
        let needed = decoded.capacity();
        let buf = match &mut buffer {
            Some(b) if b.capacity() >= needed * this.1 => b,
            slot => slot.insert(SampleBuffer::<f32>::new(needed as u64, spec)),
        };
        buf.copy_interleaved_ref(decoded);
        samples.extend_from_slice(buf.samples());
        if samples.len() as u64 > max_samples.max(1) {
            #[expect(clippy::cast_precision_loss, reason = "only reported")]
            let seconds = samples.len() as f64 / (f64::from(this.0) * this.1 as f64);
            return Err(Error::TooLong {
                seconds,
                limit: limits.max_seconds,
            });
        }
    }
    let Some((rate, channels)) = spec_seen else {
        return Err(if bad_packets > 0 {
            audio_err(format!(
                "none of its {bad_packets} packets could be decoded"
            ))
        } else {
            Error::EmptyAudio
        });
    };
    if bad_packets > good_packets {
        return Err(audio_err(format!(
            "{bad_packets} of {} packets are corrupt",
            bad_packets + good_packets
        )));
    }
    let channels_u16 = u16::try_from(channels).map_err(|_| Error::AudioParameters {
        sample_rate: rate,
        channels: u32::try_from(channels).unwrap_or(u32::MAX),
    })?;
    check_parameters(rate, u32::from(channels_u16))?;
    // A float file can hold NaN or infinities, which no later stage can use (the resampler's
    // filter would spread them over the whole clip): refused here, at the sample that has one.
    if let Some(i) = samples.iter().position(|s| !s.is_finite()) {
        #[expect(clippy::cast_precision_loss, reason = "only reported")]
        let at = (i / channels) as f64 / f64::from(rate);
        return Err(audio_err(format!(
            "sample {} (channel {}, at {at:.3} s) is not a finite number",
            i / channels,
            i % channels
        )));
    }
    // Clamp: some decoders overshoot slightly on clipped sources.
    for s in &mut samples {
        *s = s.clamp(-1.0, 1.0);
    }
    let track = PcmTrack::new(rate, channels_u16, samples).ok_or(Error::EmptyAudio)?;
    if track.frames() == 0 {
        return Err(Error::EmptyAudio);
    }
    let info = AudioInfo {
        container,
        codec,
        sample_rate: rate,
        channels: channels_u16,
        duration_seconds: track.duration_seconds(),
    };
    Ok((track, info))
}

/// Refuses rates and channel counts that no real recording has (and that would make the
/// resampler or the sample arithmetic misbehave).
pub(crate) fn check_parameters(sample_rate: u32, channels: u32) -> Result<()> {
    if !(1_000..=768_000).contains(&sample_rate) || !(1..=32).contains(&channels) {
        return Err(Error::AudioParameters {
            sample_rate,
            channels,
        });
    }
    Ok(())
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

    /// A 16-bit PCM WAV file.
    pub(crate) fn wav(rate: u32, channels: u16, samples: &[i16]) -> Vec<u8> {
        let data_len = (samples.len() * 2) as u32;
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data_len).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&channels.to_le_bytes());
        out.extend_from_slice(&rate.to_le_bytes());
        out.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
        out.extend_from_slice(&(channels * 2).to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data_len.to_le_bytes());
        for s in samples {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out
    }

    #[test]
    fn decodes_stereo_wav_to_16k_mono() {
        let samples: Vec<i16> = (0..44_100 * 2)
            .map(|i| if i % 2 == 0 { 8000 } else { -8000 })
            .collect();
        let loaded = decode_audio(&wav(44_100, 2, &samples), &Limits::default()).unwrap();
        assert_eq!(loaded.info.sample_rate, 44_100);
        assert_eq!(loaded.info.channels, 2);
        assert_eq!(loaded.original.frames(), 44_100);
        assert_eq!(loaded.analysis.samples().len(), 16_000);
        // Opposite channels cancel in the mono mix.
        assert!(
            loaded.analysis.samples()[1000..15_000]
                .iter()
                .all(|s| s.abs() < 1e-3)
        );
    }

    #[test]
    fn refuses_absurd_headers() {
        let mut bytes = wav(16_000, 1, &[0; 100]);
        bytes[24..28].copy_from_slice(&0u32.to_le_bytes()); // sample rate 0
        assert!(decode_audio(&bytes, &Limits::default()).is_err());
        let mut bytes = wav(16_000, 1, &[0; 100]);
        bytes[22..24].copy_from_slice(&0u16.to_le_bytes()); // no channels
        assert!(decode_audio(&bytes, &Limits::default()).is_err());
        let mut bytes = wav(16_000, 1, &[0; 100]);
        bytes[24..28].copy_from_slice(&4_000_000_000u32.to_le_bytes());
        assert!(decode_audio(&bytes, &Limits::default()).is_err());
    }

    #[test]
    fn a_float_wav_with_a_non_finite_sample_is_refused_at_every_rate() {
        for rate in [16_000u32, 22_050, 44_100, 48_000] {
            for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                let mut samples: Vec<f32> =
                    (0..rate).map(|i| 0.1 * (i as f32 * 0.05).sin()).collect();
                samples[rate as usize / 2] = bad;
                let err = decode_audio(&float_wav(rate, &samples), &Limits::default())
                    .err()
                    .unwrap_or_else(|| panic!("{rate} Hz, {bad}: accepted"));
                let text = err.to_string();
                assert!(
                    text.contains("not a finite number") && text.contains("at 0.500 s"),
                    "{rate} Hz, {bad}: {text}"
                );
            }
        }
    }

    /// A mono 32-bit float WAV file.
    fn float_wav(rate: u32, samples: &[f32]) -> Vec<u8> {
        let data_len = (samples.len() * 4) as u32;
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data_len).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&3u16.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&rate.to_le_bytes());
        out.extend_from_slice(&(rate * 4).to_le_bytes());
        out.extend_from_slice(&4u16.to_le_bytes());
        out.extend_from_slice(&32u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data_len.to_le_bytes());
        for s in samples {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out
    }

    #[test]
    fn empty_wav_is_empty_audio() {
        assert!(matches!(
            decode_audio(&wav(16_000, 1, &[]), &Limits::default()),
            Err(Error::EmptyAudio | Error::AudioDecode { .. })
        ));
    }

    #[test]
    fn refuses_too_long() {
        let mut limits = Limits::default();
        limits.max_seconds = 1;
        let bytes = wav(8_000, 1, &vec![0; 8_000 * 3]);
        assert!(matches!(
            decode_audio(&bytes, &limits),
            Err(Error::TooLong { .. })
        ));
    }
}
