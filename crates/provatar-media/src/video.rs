//! Video out (H.264 + AAC-LC in MP4, plain or fragmented) and video in (MP4 → pictures + audio).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufWriter, Seek, Write};
use std::path::Path;

use provatar_types::{Frame, Limits, PcmTrack, Yuv420Frame};
use symphonia::core::audio::{Channels, SampleBuffer};
use symphonia::core::codecs::{CODEC_TYPE_AAC, CodecParameters, DecoderOptions};
use symphonia::core::formats::Packet;

use crate::aac::{AAC_RATE, AacEncoder, AudioPacket};
use crate::error::{CodecError, contain_panics};
use crate::h264::{EncodedPicture, EncoderSettings, H264Decoder, H264Encoder};
use crate::mp4::{
    self, AudioTrackSpec, FragmentedMp4Writer, Mp4Error, Mp4File, Mp4Writer, SampleEntry, Track,
    VideoTrackSpec,
};
use crate::opus::{OPUS_RATE, decode_packets};
use crate::yuv::{ColorMatrix, rgb_to_yuv420_into, yuv420_to_rgb};
use crate::{Error, Result};

/// Video ticks per frame: a timescale of `fps * 512` keeps every frame time exact.
const TICKS_PER_FRAME: u32 = 512;

fn video_spec(settings: &EncoderSettings) -> VideoTrackSpec {
    VideoTrackSpec {
        width: settings.width,
        height: settings.height,
        timescale: settings.fps * TICKS_PER_FRAME,
        frame_duration: TICKS_PER_FRAME,
        sps: Vec::new(),
        pps: Vec::new(),
    }
}

/// Writes a plain MP4 (H.264 video, optional Opus audio) frame by frame.
///
/// Audio is encoded up front and interleaved with the video as frames arrive, so audio and
/// video both start at time zero and stay in sync.
pub struct VideoWriter<W: Write + Seek> {
    encoder: H264Encoder,
    yuv: Yuv420Frame,
    mux: Mp4Writer<W>,
    audio: VecDeque<AudioPacket>,
    audio_written: u64,
    frames: u64,
}

impl<W: Write + Seek> std::fmt::Debug for VideoWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoWriter")
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

impl VideoWriter<BufWriter<File>> {
    /// Creates `path` (truncating it) and writes the video there.
    pub fn create(
        path: &Path,
        settings: EncoderSettings,
        audio: Option<&PcmTrack>,
    ) -> Result<Self> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        Self::new(BufWriter::new(file), settings, audio)
    }
}

impl<W: Write + Seek> VideoWriter<W> {
    /// Starts a video in `out`, with `audio` as its sound track.
    pub fn new(out: W, settings: EncoderSettings, audio: Option<&PcmTrack>) -> Result<Self> {
        let encoder = H264Encoder::new(settings)?;
        let yuv = Yuv420Frame::black(settings.width, settings.height)
            .map_err(|_| Error::VideoSettings("frame size must be even"))?;
        let (audio_spec, packets, valid) = match audio {
            Some(track) => {
                let (spec, packets, valid) = crate::aac::encode_aac_track(track)?;
                (Some(AudioTrackSpec::Aac(spec)), packets, Some(valid))
            }
            None => (None, Vec::new(), None),
        };
        let mut mux =
            Mp4Writer::new(out, video_spec(&settings), audio_spec).map_err(Error::Write)?;
        if let Some(valid) = valid {
            mux.set_audio_length(valid);
        }
        Ok(Self {
            encoder,
            yuv,
            mux,
            audio: packets.into(),
            audio_written: 0,
            frames: 0,
        })
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Appends an RGB frame.
    pub fn push_frame(&mut self, frame: &Frame) -> Result<()> {
        check_size(frame.width(), frame.height(), self.encoder.settings())?;
        rgb_to_yuv420_into(frame, ColorMatrix::Bt709, &mut self.yuv);
        let picture = self.encoder.encode(&self.yuv)?;
        self.write_picture(&picture)
    }

    /// Appends a frame already in BT.709 limited-range I420.
    pub fn push_yuv(&mut self, frame: &Yuv420Frame) -> Result<()> {
        let picture = self.encoder.encode(frame)?;
        self.write_picture(&picture)
    }

    fn write_picture(&mut self, picture: &EncodedPicture) -> Result<()> {
        self.frames += 1;
        // Interleave: the audio that starts before this frame ends goes first.
        let fps = u64::from(self.encoder.settings().fps);
        let frame_end = self.frames * u64::from(AAC_RATE) / fps;
        self.write_audio_until(frame_end)?;
        self.mux
            .write_video(&picture.data, picture.keyframe)
            .map_err(Error::Write)
    }

    fn write_audio_until(&mut self, time: u64) -> Result<()> {
        while self.audio_written < time {
            let Some(packet) = self.audio.pop_front() else {
                break;
            };
            self.mux
                .write_audio(&packet.data, packet.duration)
                .map_err(Error::Write)?;
            self.audio_written += u64::from(packet.duration);
        }
        Ok(())
    }

    /// Writes the rest of the audio and the index; gives the output back.
    pub fn finish(mut self) -> Result<W> {
        if self.frames == 0 {
            return Err(Error::VideoSettings("a video needs at least one frame"));
        }
        self.write_audio_until(u64::MAX)?;
        // Known since the first picture; the index needs them only now.
        if let Some((sps, pps)) = self.encoder.parameter_sets() {
            self.mux.set_parameter_sets(sps, pps);
        }
        self.mux.finish().map_err(Error::Write)
    }
}

/// Rewrites the MP4 at `path` with its index (`moov`) in front of the media data, so players
/// and browsers can start before the whole file has arrived. The file is replaced whole (a
/// temporary file beside it, renamed into place).
///
/// # Errors
/// [`Error`] if the file cannot be read, parsed or written.
pub fn make_fast_start(path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let moved = mp4::fast_start(&bytes)?;
    if moved == bytes {
        return Ok(());
    }
    let mut tmp_name = path
        .file_name()
        .map(std::ffi::OsString::from)
        .unwrap_or_default();
    tmp_name.push(format!(".faststart-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = std::fs::write(&tmp, &moved)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| Error::io(path, e));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn check_size(width: u32, height: u32, settings: &EncoderSettings) -> Result<()> {
    if (width, height) != (settings.width, settings.height) {
        return Err(Error::FrameSize {
            width,
            height,
            expected_width: settings.width,
            expected_height: settings.height,
        });
    }
    Ok(())
}

/// A piece of a fragmented MP4 stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// `ftyp` + `moov`: sent once, first.
    Init(Vec<u8>),
    /// `moof` + `mdat` holding `frames` frames from `first_frame` on.
    Media {
        /// The bytes.
        bytes: Vec<u8>,
        /// Index of its first frame.
        first_frame: u64,
        /// How many frames it holds.
        frames: u64,
    },
}

/// Writes fragmented MP4 as frames and audio arrive: an init segment, then one fragment per
/// `frames_per_fragment` frames, each starting with a keyframe.
pub struct FragmentedVideoWriter {
    encoder: H264Encoder,
    settings: EncoderSettings,
    yuv: Yuv420Frame,
    mux: Option<FragmentedMp4Writer>,
    audio: Option<AacEncoder>,
    audio_queue: VecDeque<AudioPacket>,
    audio_written: u64,
    frames: u64,
    fragment_start: u64,
    frames_per_fragment: u64,
}

impl std::fmt::Debug for FragmentedVideoWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FragmentedVideoWriter")
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

impl FragmentedVideoWriter {
    /// Starts a stream; `audio` is the rate and channel count of the audio to come, if any.
    pub fn new(
        settings: EncoderSettings,
        audio: Option<(u32, u16)>,
        frames_per_fragment: u32,
    ) -> Result<Self> {
        if frames_per_fragment == 0 {
            return Err(Error::VideoSettings("a fragment needs at least one frame"));
        }
        let encoder = H264Encoder::new(settings)?;
        let audio = audio
            .map(|(rate, channels)| AacEncoder::new(rate, channels))
            .transpose()?;
        Ok(Self {
            encoder,
            settings,
            yuv: Yuv420Frame::black(settings.width, settings.height)
                .map_err(|_| Error::VideoSettings("frame size must be even"))?,
            mux: None,
            audio,
            audio_queue: VecDeque::new(),
            audio_written: 0,
            frames: 0,
            fragment_start: 0,
            frames_per_fragment: u64::from(frames_per_fragment),
        })
    }

    /// Feeds interleaved audio at the rate and channel count given to [`new`](Self::new).
    pub fn push_audio(&mut self, interleaved: &[f32]) -> Result<()> {
        if let Some(encoder) = &mut self.audio {
            self.audio_queue.extend(encoder.push(interleaved)?);
        }
        Ok(())
    }

    /// Appends an RGB frame; returns the segments it completed.
    pub fn push_frame(&mut self, frame: &Frame) -> Result<Vec<Segment>> {
        check_size(frame.width(), frame.height(), &self.settings)?;
        if self.frames.is_multiple_of(self.frames_per_fragment) {
            self.encoder.force_keyframe();
        }
        rgb_to_yuv420_into(frame, ColorMatrix::Bt709, &mut self.yuv);
        let picture = self.encoder.encode(&self.yuv)?;
        let mut out = Vec::new();
        if self.mux.is_none() {
            let mut spec = video_spec(&self.settings);
            if let Some((sps, pps)) = self.encoder.parameter_sets() {
                spec.sps = sps.to_vec();
                spec.pps = pps.to_vec();
            }
            let audio = self
                .audio
                .as_ref()
                .map(|a| AudioTrackSpec::Aac(a.track_spec()));
            let mux = FragmentedMp4Writer::new(spec, audio);
            out.push(Segment::Init(mux.init_segment()));
            self.mux = Some(mux);
        }
        self.frames += 1;
        let frame_end = self.frames * u64::from(AAC_RATE) / u64::from(self.settings.fps);
        let mux = self
            .mux
            .as_mut()
            .ok_or(Error::VideoSettings("stream not started"))?;
        while self.audio_written < frame_end {
            let Some(packet) = self.audio_queue.pop_front() else {
                break;
            };
            mux.push_audio(&packet.data, packet.duration);
            self.audio_written += u64::from(packet.duration);
        }
        mux.push_video(&picture.data, picture.keyframe);
        if self.frames - self.fragment_start == self.frames_per_fragment {
            out.extend(self.cut());
        }
        Ok(out)
    }

    fn cut(&mut self) -> Option<Segment> {
        let bytes = self.mux.as_mut()?.fragment()?;
        let first_frame = self.fragment_start;
        self.fragment_start = self.frames;
        Some(Segment::Media {
            bytes,
            first_frame,
            frames: self.frames - first_frame,
        })
    }

    /// Ends the stream: flushes the audio and the last, possibly short, fragment.
    pub fn finish(&mut self) -> Result<Vec<Segment>> {
        if let Some(encoder) = &mut self.audio {
            self.audio_queue.extend(encoder.finish()?);
        }
        if let Some(mux) = &mut self.mux {
            while let Some(packet) = self.audio_queue.pop_front() {
                mux.push_audio(&packet.data, packet.duration);
                self.audio_written += u64::from(packet.duration);
            }
        }
        Ok(self.cut().into_iter().collect())
    }
}

/// What an MP4 video holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VideoInfo {
    /// Always `mp4`.
    pub container: &'static str,
    /// The `ftyp` major brand.
    pub brand: String,
    /// Whether samples are in fragments.
    pub fragmented: bool,
    /// The video stream.
    pub video: VideoStreamInfo,
    /// The audio stream, if any.
    pub audio: Option<AudioStreamInfo>,
    /// Whether a C2PA manifest store is embedded.
    pub c2pa_manifest: bool,
}

/// The video stream of an MP4.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VideoStreamInfo {
    /// `h264`.
    pub codec: String,
    /// H.264 profile name (`baseline`, `main`, `high`, …).
    pub profile: Option<String>,
    /// H.264 level, e.g. 3.1.
    pub level: Option<f32>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frames per second (from the sample durations).
    pub fps: f64,
    /// Frames in the track's index.
    pub samples: u64,
    /// Frames the decoder produced (filled in by decoding).
    pub frames_decoded: Option<u64>,
    /// Length in seconds.
    pub duration_seconds: f64,
    /// The `colr` tag.
    pub colour: Option<mp4::ColourInfo>,
}

/// The audio stream of an MP4.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AudioStreamInfo {
    /// `aac`, `opus`, or the sample entry's code.
    pub codec: String,
    /// Samples per second.
    pub sample_rate: u32,
    /// Channels.
    pub channels: u16,
    /// Length in seconds, after the edit list's trimming.
    pub duration_seconds: f64,
}

/// One decoded picture.
#[derive(Debug, Clone)]
pub struct DecodedFrame {
    /// Position in display order, from 0.
    pub index: u64,
    /// Presentation time in seconds.
    pub pts_seconds: f64,
    /// The picture.
    pub picture: Yuv420Frame,
}

/// Decodes an MP4's H.264 track picture by picture, in display order.
///
/// OpenH264 reorders pictures by their picture order count and hands them out in display
/// order (B-frames, as libx264 makes by default, included); the k-th picture out therefore has
/// the k-th smallest presentation time of the track.
pub struct VideoDecoder {
    bytes: Vec<u8>,
    file: Mp4File,
    track: usize,
    decoder: H264Decoder,
    next_sample: usize,
    ready: VecDeque<Yuv420Frame>,
    /// All presentation times, sorted.
    presentation: Vec<i64>,
    emitted: u64,
    flushed: bool,
    matrix: ColorMatrix,
    limits: Limits,
}

impl std::fmt::Debug for VideoDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoDecoder")
            .field("emitted", &self.emitted)
            .finish_non_exhaustive()
    }
}

impl VideoDecoder {
    /// Opens an MP4 file.
    pub fn open(path: &Path, limits: &Limits) -> Result<Self> {
        let bytes = crate::sniff::read_file(path, limits)?;
        Self::from_bytes(bytes, limits)
    }

    /// Opens an MP4 held in memory.
    pub fn from_bytes(bytes: Vec<u8>, limits: &Limits) -> Result<Self> {
        crate::sniff::check_size(&bytes, limits)?;
        let file = mp4::parse(&bytes, limits)?;
        let track = file
            .tracks
            .iter()
            .position(|t| t.kind == mp4::TrackKind::Video)
            .ok_or(Mp4Error::NoVideo)?;
        let t = &file.tracks[track];
        let SampleEntry::Avc {
            config,
            colour,
            width,
            height,
        } = &t.entry
        else {
            return Err(Mp4Error::UnsupportedVideo(t.entry.codec_name()).into());
        };
        check_picture_size(u32::from(*width), u32::from(*height), limits)?;
        #[expect(clippy::cast_precision_loss, reason = "durations far below 2^52")]
        let seconds = t.media_duration() as f64 / f64::from(t.timescale.max(1));
        if seconds > f64::from(limits.max_seconds) {
            return Err(Error::TooLong {
                seconds,
                limit: limits.max_seconds,
            });
        }
        let decoder = match config {
            Some(c) => H264Decoder::new(&c.sps, &c.pps, c.nal_length_size)?,
            None => H264Decoder::new(&[], &[], 4)?,
        };
        let mut presentation: Vec<i64> = t
            .samples
            .iter()
            .map(|s| {
                i64::try_from(s.dts)
                    .unwrap_or(i64::MAX)
                    .saturating_add(s.cts_offset)
                    .saturating_sub(t.edit_media_time)
            })
            .collect();
        presentation.sort_unstable();
        let matrix = ColorMatrix::from_code(colour.map(|c| c.matrix), u32::from(*height));
        Ok(Self {
            bytes,
            file,
            track,
            decoder,
            next_sample: 0,
            ready: VecDeque::new(),
            presentation,
            emitted: 0,
            flushed: false,
            matrix,
            limits: *limits,
        })
    }

    /// The parsed container.
    pub fn mp4(&self) -> &Mp4File {
        &self.file
    }

    fn video_track(&self) -> &Track {
        &self.file.tracks[self.track]
    }

    /// The colour matrix pictures should be converted with.
    pub fn color_matrix(&self) -> ColorMatrix {
        self.matrix
    }

    /// The stream facts from the container (no decoding).
    pub fn info(&self) -> VideoInfo {
        let t = self.video_track();
        let (width, height, colour, profile, level) = match &t.entry {
            SampleEntry::Avc {
                width,
                height,
                colour,
                config,
            } => (
                u32::from(*width),
                u32::from(*height),
                *colour,
                config.as_ref().map(|c| profile_name(c.profile).to_owned()),
                config.as_ref().map(|c| f32::from(c.level) / 10.0),
            ),
            _ => (0, 0, None, None, None),
        };
        let timescale = f64::from(t.timescale.max(1));
        #[expect(clippy::cast_precision_loss, reason = "durations far below 2^52")]
        let duration_seconds = t.media_duration() as f64 / timescale;
        let samples = t.samples.len() as u64;
        #[expect(clippy::cast_precision_loss, reason = "sample counts far below 2^52")]
        let fps = if duration_seconds > 0.0 {
            samples as f64 / duration_seconds
        } else {
            0.0
        };
        VideoInfo {
            container: "mp4",
            brand: self.file.major_brand.clone(),
            fragmented: self.file.fragmented,
            video: VideoStreamInfo {
                codec: "h264".into(),
                profile,
                level,
                width,
                height,
                fps,
                samples,
                frames_decoded: None,
                duration_seconds,
                colour,
            },
            audio: self
                .file
                .audio()
                .map(|a| audio_stream_info(a, self.file.movie_timescale)),
            c2pa_manifest: self.file.c2pa_manifest,
        }
    }

    /// The next picture in display order, or `None` at the end.
    pub fn next_frame(&mut self) -> Result<Option<DecodedFrame>> {
        while self.ready.is_empty() && !self.flushed {
            let track = &self.file.tracks[self.track];
            if let Some(sample) = track.samples.get(self.next_sample) {
                self.next_sample += 1;
                // `parse` checked that every sample lies inside the file.
                let start =
                    usize::try_from(sample.offset).map_err(|_| Mp4Error::SampleOutOfFile {
                        offset: sample.offset,
                        size: sample.size,
                        file_len: self.bytes.len() as u64,
                    })?;
                let data = &self.bytes[start..start + sample.size as usize];
                self.ready.extend(self.decoder.decode(data)?);
            } else {
                self.ready.extend(self.decoder.flush()?);
                self.flushed = true;
            }
        }
        let Some(picture) = self.ready.pop_front() else {
            return Ok(None);
        };
        let pts = usize::try_from(self.emitted)
            .ok()
            .and_then(|i| self.presentation.get(i))
            .copied()
            .unwrap_or(i64::MAX);
        self.emit(pts, picture).map(Some)
    }

    fn emit(&mut self, pts: i64, picture: Yuv420Frame) -> Result<DecodedFrame> {
        // The bitstream's own size may differ from the sample entry's; hold it to the limits too.
        check_picture_size(picture.width(), picture.height(), &self.limits)?;
        if self.emitted >= u64::from(self.limits.max_samples) {
            return Err(Mp4Error::TooManySamples {
                count: self.emitted + 1,
                limit: self.limits.max_samples,
            }
            .into());
        }
        let timescale = f64::from(self.video_track().timescale.max(1));
        let index = self.emitted;
        self.emitted += 1;
        #[expect(clippy::cast_precision_loss, reason = "tick counts far below 2^52")]
        let pts_seconds = pts as f64 / timescale;
        Ok(DecodedFrame {
            index,
            pts_seconds,
            picture,
        })
    }

    /// Converts a decoded picture to RGB with this stream's matrix.
    pub fn to_rgb(&self, picture: &Yuv420Frame) -> Result<Frame> {
        yuv420_to_rgb(picture, self.matrix).map_err(|e| Error::H264 {
            stage: "decoding",
            source: CodecError::new(e),
        })
    }

    /// Decodes the audio track, if there is one.
    pub fn decode_audio(&self) -> Result<Option<PcmTrack>> {
        decode_mp4_audio(&self.bytes, &self.file, &self.limits)
    }
}

fn check_picture_size(width: u32, height: u32, limits: &Limits) -> Result<()> {
    if u64::from(width) * u64::from(height) > limits.max_pixels
        || width > limits.max_dimension
        || height > limits.max_dimension
    {
        return Err(Error::ImageTooLarge {
            width,
            height,
            max_pixels: limits.max_pixels,
            max_dimension: limits.max_dimension,
        });
    }
    Ok(())
}

fn profile_name(profile_idc: u8) -> &'static str {
    match profile_idc {
        66 => "baseline",
        77 => "main",
        88 => "extended",
        100 => "high",
        110 => "high10",
        122 => "high422",
        244 => "high444",
        _ => "other",
    }
}

fn audio_stream_info(track: &Track, movie_timescale: u32) -> AudioStreamInfo {
    let (codec, sample_rate, channels) = match &track.entry {
        SampleEntry::Aac {
            sample_rate,
            channels,
            ..
        } => ("aac".to_owned(), *sample_rate, *channels),
        SampleEntry::Opus { channels, .. } => ("opus".to_owned(), OPUS_RATE, u16::from(*channels)),
        other => (other.codec_name(), track.timescale, 0),
    };
    let (_, length) = audio_trim(track, movie_timescale);
    let total = track
        .media_duration()
        .saturating_sub(u64::try_from(track.edit_media_time).unwrap_or(0));
    #[expect(clippy::cast_precision_loss, reason = "durations far below 2^52")]
    let duration_seconds =
        length.unwrap_or(total).min(total) as f64 / f64::from(track.timescale.max(1));
    AudioStreamInfo {
        codec,
        sample_rate,
        channels,
        duration_seconds,
    }
}

/// Priming to drop and length to keep, in track ticks, from the edit list.
fn audio_trim(track: &Track, movie_timescale: u32) -> (u64, Option<u64>) {
    let skip = u64::try_from(track.edit_media_time).unwrap_or(0);
    let length = track.edit_duration.map(|d| {
        u64::try_from(
            u128::from(d) * u128::from(track.timescale) / u128::from(movie_timescale.max(1)),
        )
        .unwrap_or(u64::MAX)
    });
    (skip, length)
}

/// Decodes the first audio track of a parsed MP4 (AAC or Opus), trimmed by its edit list.
pub fn decode_mp4_audio(bytes: &[u8], file: &Mp4File, limits: &Limits) -> Result<Option<PcmTrack>> {
    let Some(track) = file.audio() else {
        return Ok(None);
    };
    let packets = track.samples.iter().map(|s| {
        let start = usize::try_from(s.offset).unwrap_or(usize::MAX);
        bytes
            .get(start..start.saturating_add(s.size as usize))
            .unwrap_or(&[])
    });
    let (skip, length) = audio_trim(track, file.movie_timescale);
    match &track.entry {
        SampleEntry::Opus {
            channels, pre_skip, ..
        } => {
            let skip = if track.edit_media_time > 0 {
                skip
            } else {
                u64::from(*pre_skip)
            };
            let max = u64::from(limits.max_seconds) * u64::from(OPUS_RATE);
            let packets: Vec<&[u8]> = packets.collect();
            contain_panics("opus", || {
                decode_packets(packets, *channels, skip, length, max).map(Some)
            })
        }
        SampleEntry::Aac {
            sample_rate,
            channels,
            asc,
        } => {
            crate::audio::check_parameters(*sample_rate, u32::from(*channels))?;
            let rate = *sample_rate;
            let ch = *channels;
            let asc = asc.clone();
            let packets: Vec<(u64, u32, &[u8])> = track
                .samples
                .iter()
                .zip(packets)
                .map(|(s, p)| (s.dts, s.duration, p))
                .collect();
            let max = u64::from(limits.max_seconds) * u64::from(rate) * u64::from(ch);
            let track = contain_panics("aac", move || decode_aac(&packets, rate, ch, asc, max))?;
            let total = track.frames() as u64;
            let (from, to) = (
                skip.min(total),
                length.map_or(total, |l| skip.saturating_add(l).min(total)),
            );
            let index = |frames: u64| {
                usize::try_from(frames).unwrap_or(usize::MAX) * usize::from(track.channels())
            };
            // Both ends are at most `total`, which indexes the samples.
            let samples = track.samples()[index(from)..index(to)].to_vec();
            Ok(PcmTrack::new(
                track.sample_rate(),
                track.channels(),
                samples,
            ))
        }
        other => Err(Mp4Error::UnsupportedAudio(other.codec_name()).into()),
    }
}

fn decode_aac(
    packets: &[(u64, u32, &[u8])],
    rate: u32,
    channels: u16,
    asc: Vec<u8>,
    max_samples: u64,
) -> Result<PcmTrack> {
    let err = |e: &dyn std::fmt::Display| Error::AudioDecode {
        source: CodecError::msg(e.to_string()),
    };
    let mut params = CodecParameters::new();
    params
        .for_codec(CODEC_TYPE_AAC)
        .with_sample_rate(rate)
        .with_extra_data(asc.into_boxed_slice());
    match channels {
        1 => {
            params.with_channels(Channels::FRONT_LEFT);
        }
        2 => {
            params.with_channels(Channels::FRONT_LEFT | Channels::FRONT_RIGHT);
        }
        _ => {}
    }
    let mut decoder = symphonia::default::get_codecs()
        .make(&params, &DecoderOptions::default())
        .map_err(|e| err(&e))?;
    let mut out: Vec<f32> = Vec::new();
    let mut out_channels = usize::from(channels);
    let mut good = 0usize;
    for &(ts, dur, data) in packets {
        let packet = Packet::new_from_slice(0, ts, u64::from(dur), data);
        match decoder.decode(&packet) {
            Ok(buf) => {
                good += 1;
                let spec = *buf.spec();
                out_channels = spec.channels.count();
                let mut sb = SampleBuffer::<f32>::new(buf.capacity() as u64, spec);
                sb.copy_interleaved_ref(buf);
                out.extend_from_slice(sb.samples());
            }
            Err(symphonia::core::errors::Error::DecodeError(_)) => {}
            Err(e) => return Err(err(&e)),
        }
        if out.len() as u64 > max_samples {
            return Err(Error::TooLong {
                seconds: f64::from(
                    u32::try_from(out.len() / out_channels.max(1)).unwrap_or(u32::MAX),
                ) / f64::from(rate),
                limit: u32::try_from(max_samples / u64::from(rate) / u64::from(channels.max(1)))
                    .unwrap_or(u32::MAX),
            });
        }
    }
    if good == 0 {
        return Err(Error::EmptyAudio);
    }
    let out_channels = u16::try_from(out_channels).unwrap_or(0);
    PcmTrack::new(rate, out_channels, out).ok_or(Error::EmptyAudio)
}
