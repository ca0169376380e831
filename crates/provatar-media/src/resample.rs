//! Band-limited sample-rate conversion (rubato's FFT resampler), whole or as a stream.

use rubato::{FftFixedIn, Resampler};

use crate::error::CodecError;
use crate::{Error, Result};

/// Converts interleaved audio from `from` Hz to `to` Hz; the output is aligned with the input
/// (the filter delay is removed) and holds `round(frames * to / from)` frames.
pub fn resample_interleaved(
    samples: &[f32],
    channels: usize,
    from: u32,
    to: u32,
) -> Result<Vec<f32>> {
    let mut r = StreamResampler::new(from, to, channels)?;
    let mut out = Vec::new();
    r.push(samples, &mut out)?;
    r.finish(&mut out)?;
    Ok(out)
}

/// A resampler fed in pieces of any size, for streams (and, fed once, for whole files).
pub struct StreamResampler {
    inner: Option<FftFixedIn<f32>>,
    from: u32,
    to: u32,
    channels: usize,
    pending: Vec<Vec<f32>>,
    /// Output frames still to drop: the filter's delay.
    to_drop: usize,
    frames_in: u64,
    frames_out: u64,
    scratch: Vec<Vec<f32>>,
}

impl std::fmt::Debug for StreamResampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamResampler")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("channels", &self.channels)
            .finish_non_exhaustive()
    }
}

impl StreamResampler {
    /// A resampler for `channels` interleaved channels.
    pub fn new(from: u32, to: u32, channels: usize) -> Result<Self> {
        if channels == 0 || from == 0 || to == 0 {
            return Err(Error::Resample {
                from,
                to,
                source: CodecError::msg(format!("invalid layout: {channels} channels")),
            });
        }
        let inner = if from == to {
            None
        } else {
            Some(
                FftFixedIn::<f32>::new(from as usize, to as usize, 1024, 2, channels).map_err(
                    |e| Error::Resample {
                        from,
                        to,
                        source: CodecError::new(e),
                    },
                )?,
            )
        };
        let to_drop = inner.as_ref().map_or(0, Resampler::output_delay);
        let scratch = inner
            .as_ref()
            .map_or_else(Vec::new, |r| r.output_buffer_allocate(true));
        Ok(Self {
            inner,
            from,
            to,
            channels,
            pending: vec![Vec::new(); channels],
            to_drop,
            frames_in: 0,
            frames_out: 0,
            scratch,
        })
    }

    fn err(&self, e: impl std::error::Error + Send + Sync + 'static) -> Error {
        Error::Resample {
            from: self.from,
            to: self.to,
            source: CodecError::new(e),
        }
    }

    /// Feeds interleaved samples; appends whatever output is ready to `out`.
    pub fn push(&mut self, interleaved: &[f32], out: &mut Vec<f32>) -> Result<()> {
        let frames = interleaved.len() / self.channels;
        self.frames_in += frames as u64;
        if self.inner.is_none() {
            out.extend_from_slice(&interleaved[..frames * self.channels]);
            self.frames_out += frames as u64;
            return Ok(());
        }
        for (c, pending) in self.pending.iter_mut().enumerate() {
            pending.extend(
                interleaved
                    .iter()
                    .skip(c)
                    .step_by(self.channels)
                    .take(frames),
            );
        }
        while let Some(inner) = &mut self.inner {
            let need = inner.input_frames_next();
            if self.pending[0].len() < need {
                break;
            }
            let (_, produced) = inner
                .process_into_buffer(&self.pending, &mut self.scratch, None)
                .map_err(|e| Error::Resample {
                    from: self.from,
                    to: self.to,
                    source: CodecError::new(e),
                })?;
            for p in &mut self.pending {
                p.drain(..need);
            }
            self.emit(produced, out, u64::MAX);
        }
        Ok(())
    }

    /// Flushes the filter: appends the rest of the output, so that in total
    /// `round(frames_in * to / from)` frames came out.
    pub fn finish(&mut self, out: &mut Vec<f32>) -> Result<()> {
        let wanted = u64::try_from(
            (u128::from(self.frames_in) * u128::from(self.to) + u128::from(self.from) / 2)
                / u128::from(self.from),
        )
        .unwrap_or(u64::MAX);
        let mut rounds = 0;
        while self.frames_out < wanted {
            let Some(inner) = &mut self.inner else { break };
            let input: Option<&[Vec<f32>]> = if self.pending[0].is_empty() {
                None
            } else {
                Some(&self.pending)
            };
            let result = inner.process_partial_into_buffer(input, &mut self.scratch, None);
            let (_, produced) = match result {
                Ok(v) => v,
                Err(e) => return Err(self.err(e)),
            };
            for p in &mut self.pending {
                p.clear();
            }
            self.emit(produced, out, wanted);
            rounds += 1;
            if rounds > 64 {
                break;
            }
        }
        // Pad in the unlikely case the filter came up short.
        while self.frames_out < wanted {
            out.extend(std::iter::repeat_n(0.0, self.channels));
            self.frames_out += 1;
        }
        Ok(())
    }

    fn emit(&mut self, produced: usize, out: &mut Vec<f32>, limit: u64) {
        let skip = self.to_drop.min(produced);
        self.to_drop -= skip;
        for i in skip..produced {
            if self.frames_out >= limit {
                break;
            }
            for c in 0..self.channels {
                out.push(self.scratch[c][i]);
            }
            self.frames_out += 1;
        }
    }
}

/// Audio of any rate and channel count on its way into a 48-kHz mono or stereo encoder (AAC,
/// Opus): mixed down to stereo above two channels, resampled as it arrives, handed out in whole
/// codec frames.
pub(crate) struct EncoderInput {
    in_channels: usize,
    out_channels: usize,
    input_rate: u32,
    resampler: StreamResampler,
    mixed: Vec<f32>,
    at48: Vec<f32>,
    frames_in: u64,
}

/// The rate codec input is resampled to.
const ENCODER_RATE: u32 = 48_000;

impl EncoderInput {
    /// Input at `input_rate` with `channels` channels (any count; mono stays mono).
    pub(crate) fn new(input_rate: u32, channels: u16) -> Result<Self> {
        crate::audio::check_parameters(input_rate, u32::from(channels))?;
        let out_channels = if channels == 1 { 1 } else { 2 };
        Ok(Self {
            in_channels: usize::from(channels),
            out_channels,
            input_rate,
            resampler: StreamResampler::new(input_rate, ENCODER_RATE, out_channels)?,
            mixed: Vec::new(),
            at48: Vec::new(),
            frames_in: 0,
        })
    }

    /// Channels the encoder gets: 1 or 2.
    pub(crate) fn out_channels(&self) -> usize {
        self.out_channels
    }

    /// The rate of the input, for the codec's description.
    pub(crate) fn input_rate(&self) -> u32 {
        self.input_rate
    }

    /// The real audio length so far, in 48 kHz samples.
    pub(crate) fn valid_samples(&self) -> u64 {
        u64::try_from(
            u128::from(self.frames_in) * u128::from(ENCODER_RATE) / u128::from(self.input_rate),
        )
        .unwrap_or(u64::MAX)
    }

    /// Takes interleaved samples.
    pub(crate) fn push(&mut self, interleaved: &[f32]) -> Result<()> {
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
        self.resampler.push(&self.mixed, &mut self.at48)
    }

    /// Ends the input: the resampler's tail, then `silence` samples per channel (to flush the
    /// codec's look-ahead).
    pub(crate) fn finish(&mut self, silence: usize) -> Result<()> {
        self.resampler.finish(&mut self.at48)?;
        self.at48
            .extend(std::iter::repeat_n(0.0, silence * self.out_channels));
        Ok(())
    }

    /// Hands each whole frame of `frame` samples per channel (interleaved) to `encode`; with
    /// `last`, also the rest, zero-padded to a whole frame.
    pub(crate) fn frames(
        &mut self,
        frame: usize,
        last: bool,
        mut encode: impl FnMut(&[f32]) -> Result<()>,
    ) -> Result<()> {
        let frame = frame * self.out_channels;
        let mut padded = vec![0.0f32; frame];
        let mut start = 0;
        while self.at48.len() - start >= frame || (last && self.at48.len() > start) {
            let end = (start + frame).min(self.at48.len());
            if end - start == frame {
                encode(&self.at48[start..end])?;
            } else {
                padded.fill(0.0);
                padded[..end - start].copy_from_slice(&self.at48[start..end]);
                encode(&padded)?;
            }
            start = end;
        }
        self.at48.drain(..start);
        Ok(())
    }
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

    fn sine(rate: u32, hz: f32, seconds: f32) -> Vec<f32> {
        (0..(rate as f32 * seconds) as usize)
            .map(|i| (2.0 * std::f32::consts::PI * hz * i as f32 / rate as f32).sin() * 0.5)
            .collect()
    }

    #[test]
    fn keeps_length_and_phase() {
        let input = sine(44_100, 440.0, 1.3);
        let out = resample_interleaved(&input, 1, 44_100, 16_000).unwrap();
        assert_eq!(out.len(), (1.3f64 * 16_000.0).round() as usize);
        let expected = sine(16_000, 440.0, 1.3);
        let err: f32 = out[800..19_000]
            .iter()
            .zip(&expected[800..19_000])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(err < 0.01, "max error {err}");
    }

    #[test]
    fn removes_content_above_the_new_nyquist() {
        let input = sine(48_000, 12_000.0, 0.5);
        let out = resample_interleaved(&input, 1, 48_000, 16_000).unwrap();
        let peak = out[400..7_600].iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(peak < 0.01, "alias peak {peak}");
    }

    #[test]
    fn streaming_in_odd_pieces_matches_whole() {
        let mono = sine(22_050, 300.0, 0.7);
        let stereo: Vec<f32> = mono.iter().flat_map(|&s| [s, -s]).collect();
        let whole = resample_interleaved(&stereo, 2, 22_050, 48_000).unwrap();
        let mut r = StreamResampler::new(22_050, 48_000, 2).unwrap();
        let mut pieces = Vec::new();
        for chunk in stereo.chunks(2 * 333) {
            r.push(chunk, &mut pieces).unwrap();
        }
        r.finish(&mut pieces).unwrap();
        assert_eq!(whole.len(), pieces.len());
        assert_eq!(whole.len(), 2 * (0.7f64 * 48_000.0).round() as usize);
        let diff = whole
            .iter()
            .zip(&pieces)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(diff < 1e-5, "diff {diff}");
    }
}
