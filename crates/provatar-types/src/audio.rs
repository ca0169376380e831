//! Sample buffers.

/// The sample rate every analysis stage works at.
pub const ANALYSIS_SAMPLE_RATE: u32 = 16_000;

/// Mono speech at [`ANALYSIS_SAMPLE_RATE`], samples in `-1.0..=1.0`.
#[derive(Clone, PartialEq, Default)]
pub struct Audio {
    samples: Vec<f32>,
}

impl std::fmt::Debug for Audio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Audio")
            .field("samples", &self.samples.len())
            .field("seconds", &self.duration_seconds())
            .finish()
    }
}

impl Audio {
    /// Wraps 16 kHz mono samples.
    pub fn from_samples(samples: Vec<f32>) -> Self {
        Self { samples }
    }

    /// The samples.
    pub fn samples(&self) -> &[f32] {
        &self.samples
    }

    /// Length in seconds.
    #[expect(
        clippy::cast_precision_loss,
        reason = "sample counts stay far below 2^52"
    )]
    pub fn duration_seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(ANALYSIS_SAMPLE_RATE)
    }
}

/// Decoded audio at its own rate and channel count, kept for the output's sound track.
#[derive(Clone, PartialEq)]
pub struct PcmTrack {
    sample_rate: u32,
    channels: u16,
    /// Interleaved samples in `-1.0..=1.0`.
    samples: Vec<f32>,
}

impl std::fmt::Debug for PcmTrack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcmTrack")
            .field("sample_rate", &self.sample_rate)
            .field("channels", &self.channels)
            .field("frames", &self.frames())
            .finish_non_exhaustive()
    }
}

impl PcmTrack {
    /// Wraps interleaved samples. Returns `None` if the rate or channel count is zero or the
    /// sample count is not a multiple of the channel count.
    pub fn new(sample_rate: u32, channels: u16, samples: Vec<f32>) -> Option<Self> {
        if sample_rate == 0 || channels == 0 || !samples.len().is_multiple_of(usize::from(channels))
        {
            return None;
        }
        Some(Self {
            sample_rate,
            channels,
            samples,
        })
    }

    /// Samples per second per channel.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Channel count.
    pub fn channels(&self) -> u16 {
        self.channels
    }

    /// The interleaved samples.
    pub fn samples(&self) -> &[f32] {
        &self.samples
    }

    /// Samples per channel.
    pub fn frames(&self) -> usize {
        self.samples.len() / usize::from(self.channels)
    }

    /// Length in seconds.
    #[expect(
        clippy::cast_precision_loss,
        reason = "sample counts stay far below 2^52"
    )]
    pub fn duration_seconds(&self) -> f64 {
        self.frames() as f64 / f64::from(self.sample_rate)
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

    #[test]
    fn pcm_track_checks_layout() {
        assert!(PcmTrack::new(48_000, 2, vec![0.0; 4]).is_some());
        assert!(PcmTrack::new(48_000, 2, vec![0.0; 3]).is_none());
        assert!(PcmTrack::new(0, 1, vec![]).is_none());
        let t = PcmTrack::new(8_000, 2, vec![0.0; 16_000]).unwrap();
        assert!((t.duration_seconds() - 1.0).abs() < 1e-12);
        assert!((Audio::from_samples(vec![0.0; 8000]).duration_seconds() - 0.5).abs() < 1e-12);
    }
}
