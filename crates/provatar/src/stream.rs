//! Live generation (issue 9): audio in as it arrives, watermarked frames out as soon as each is
//! ready, and signed fragmented-MP4 segments.
//!
//! A [`StreamSession`] runs the consent gate once when it opens (a streaming request: the
//! license must allow streaming), then for every audio chunk: causal motion (the documented
//! [`LOOKAHEAD_MS`](provatar_motion::LOOKAHEAD_MS) of look-ahead) → render → watermark (one
//! content id for the whole stream, the frame index running on across segments) → H.264 +
//! Opus into fragmented MP4, one fragment per [`StreamRequest::fragment_frames`] frames, each
//! starting with a keyframe.
//!
//! Provenance: the `c2pa` crate signs fragmented MP4 only as a finished set (one Merkle tree
//! over every fragment) and has no live-video manifests, so each fragment is delivered as a
//! **self-contained signed segment**: the init segment plus that one fragment, signed as soon
//! as it is complete, with an `org.provatar.stream-segment` assertion (stream id = content id,
//! sequence number, first frame, frame count, whether it is the last). A viewer can check each
//! segment the moment it arrives, and the sequence as it grows (`provatar verify --stream`).
//! When the stream ends, the whole recording (init + every fragment) is signed as one MP4 and
//! its manifest kept in the store, so re-encoded copies are recovered like any other video.

#![expect(
    clippy::cast_precision_loss,
    reason = "sample and frame counts far below 2^52"
)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use provatar_consent::{GateError, Policy};
use provatar_media::{EncoderSettings, FragmentedVideoWriter, Limits, Segment};
use provatar_motion::{Controls, MotionStream};
use provatar_provenance::{Ingredient, ManifestStore, Signer, StreamSegment, sign};
use provatar_render::Renderer;
use provatar_types::{ANALYSIS_SAMPLE_RATE, ContentId, Frame, MotionFrame};
use provatar_watermark::{Embedder, Key, Payload};
use sha2::{Digest as _, Sha256};

use crate::generate::{
    GenerateError, Opening, Partial, StageTimes, analyze_face, file_title, manifest_spec,
    new_content_id, open_gate, output_folder, read_portrait, stage,
};

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The sample rate of the audio a session takes: mono `f32` PCM at 16 kHz.
pub const STREAM_SAMPLE_RATE: u32 = ANALYSIS_SAMPLE_RATE;

/// What a live session needs.
#[derive(Debug, Clone)]
pub struct StreamRequest {
    /// The portrait (PNG, JPEG or WebP).
    pub portrait: PathBuf,
    /// The consent credential (required unless the policy says otherwise).
    pub consent: Option<PathBuf>,
    /// The integrator license (it must allow streaming).
    pub license: PathBuf,
    /// The C2PA signer directory (`signer.key`, `signer-chain.pem`).
    pub signer: PathBuf,
    /// The trust store directory.
    pub trust: PathBuf,
    /// The manifest store directory.
    pub store: PathBuf,
    /// The policy.
    pub policy: Policy,
    /// Motion controls (fps, emotion, strength, gaze, head distance and motion, seed).
    pub controls: Controls,
    /// Output width and height, pixels.
    pub size: u32,
    /// Frames per fragment; 0 means one second's worth.
    pub fragment_frames: u32,
    /// Name of the stream, used for the segments' titles (`NAME-000000.mp4`, …).
    pub name: String,
    /// Where to write the whole recording as one signed MP4 when the stream ends (optional).
    pub recording: Option<PathBuf>,
}

/// A watermarked frame, ready to show.
#[derive(Debug, Clone)]
pub struct StreamFrame {
    /// Its index in the stream (the watermark's frame index).
    pub index: u64,
    /// Its presentation time, seconds from the start of the stream.
    pub t: f64,
    /// The pixels.
    pub frame: Frame,
    /// The motion that posed it (blendshapes, head pose, gaze).
    pub motion: MotionFrame,
}

/// A signed segment: the init segment and one fragment, signed on its own.
#[derive(Debug, Clone)]
pub struct SignedSegment {
    /// Where it sits in the stream.
    pub place: StreamSegment,
    /// The bytes (a playable fragmented MP4 with its C2PA manifest).
    pub bytes: Vec<u8>,
    /// Seconds spent signing it.
    pub sign_seconds: f64,
}

/// What one call produced.
#[derive(Debug, Default)]
pub struct StreamOutput {
    /// Frames completed, in order.
    pub frames: Vec<StreamFrame>,
    /// Segments completed and signed, in order.
    pub segments: Vec<SignedSegment>,
}

/// How a stream ended.
#[derive(Debug, Clone)]
pub struct StreamSummary {
    /// The stream's content id (the watermark's, and every manifest's soft binding).
    pub content_id: ContentId,
    /// Frames made.
    pub frames: u64,
    /// Segments signed.
    pub segments: u32,
    /// Seconds of audio taken.
    pub seconds: f64,
    /// The whole recording, when one was asked for.
    pub recording: Option<PathBuf>,
    /// Where the recording's manifest (or, without a recording, the last segment's) was kept.
    pub manifest_path: Option<PathBuf>,
    /// Seconds per stage (gate and analysis once; the rest summed over frames).
    pub times: StageTimes,
}

/// A live generation session. See the module documentation.
pub struct StreamSession {
    request: StreamRequest,
    admission: provatar_consent::Admission,
    signer: Signer,
    store: ManifestStore,
    portrait_ingredient: Ingredient,
    renderer: Renderer,
    embedder: Embedder,
    motion: Option<MotionStream>,
    writer: FragmentedVideoWriter,
    content_id: ContentId,
    init: Option<Vec<u8>>,
    /// The newest fragment, signed once the next frame (or the end) says whether it is last.
    held: Option<Segment>,
    /// The unsigned fragments so far, for the whole recording at the end.
    recording: Vec<u8>,
    audio_hash: Sha256,
    /// The sound so far (up to the fingerprint's length) and how the pictures move, for the
    /// recording's fingerprints.
    sound: Vec<f32>,
    series: crate::fingerprint::MotionSeries,
    samples: u64,
    max_samples: u64,
    frames: u64,
    sequence: u32,
    /// Output made by a call that then hit the duration limit, handed out by `finish`.
    pending: StreamOutput,
    closed: bool,
    times: StageTimes,
    last_manifest: Option<PathBuf>,
    work: tempfile::TempDir,
}

impl std::fmt::Debug for StreamSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamSession")
            .field("content_id", &self.content_id)
            .field("frames", &self.frames)
            .field("segments", &self.sequence)
            .finish_non_exhaustive()
    }
}

impl StreamSession {
    /// Opens a session: reads the portrait, runs the gate (a streaming request), checks the
    /// signer, analyses the face and starts the encoder.
    ///
    /// # Errors
    /// Everything [`generate`](crate::generate) refuses before it reads audio, and a license
    /// that does not allow streaming.
    pub fn open(request: &StreamRequest) -> Result<Self, GenerateError> {
        let limits = Limits::default();
        let mut times = StageTimes::default();
        let t = Instant::now();
        // The recording is written at the end: its folder must be there from the start.
        if let Some(path) = &request.recording {
            output_folder(path)?;
            crate::generate::check_output(
                path,
                &[
                    Some(request.portrait.as_path()),
                    request.consent.as_deref(),
                    Some(request.license.as_path()),
                ],
            )?;
        }
        let (portrait_bytes, portrait) = read_portrait(&request.portrait, &limits)?;
        let opened = open_gate(
            &Opening {
                consent: request.consent.as_deref(),
                license: &request.license,
                signer: &request.signer,
                trust: &request.trust,
                policy: &request.policy,
                controls: &request.controls,
                size: request.size,
                clip_seconds: 0.0,
                streaming: true,
            },
            &portrait_bytes,
            portrait,
        )?;
        let store =
            ManifestStore::open(&request.store).map_err(|e| stage("store")(e.to_string()))?;
        times.gate = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let rig = analyze_face(&opened, &request.portrait)?;
        times.analyze = t.elapsed().as_secs_f64();
        let renderer = Renderer::new(
            &opened.admission,
            &opened.portrait.frame,
            &rig,
            request.size,
        )
        .map_err(|e| stage("render")(e.to_string()))?;
        let controls = &request.controls;
        let motion = MotionStream::new(controls).map_err(|e| stage("motion")(e.to_string()))?;
        let fragment_frames = if request.fragment_frames == 0 {
            controls.fps
        } else {
            request.fragment_frames
        };
        let mut settings = EncoderSettings::new(request.size, request.size, controls.fps);
        settings.qp = 18;
        let writer =
            FragmentedVideoWriter::new(settings, Some((STREAM_SAMPLE_RATE, 1)), fragment_frames)
                .map_err(|e| stage("encode")(e.to_string()))?;
        let work = tempfile::Builder::new()
            .prefix("provatar-stream-")
            .tempdir()
            .map_err(|e| stage("stream")(e.to_string()))?;
        let portrait_ingredient = Ingredient {
            title: file_title(&request.portrait),
            format: format!("image/{}", opened.portrait.info.format),
            sha256: opened.admission.portrait_sha256().to_owned(),
        };
        let max_samples =
            u64::from(opened.admission.max_clip_seconds()) * u64::from(STREAM_SAMPLE_RATE);
        Ok(Self {
            request: request.clone(),
            admission: opened.admission,
            signer: opened.signer,
            store,
            portrait_ingredient,
            renderer,
            embedder: Embedder::new(&Key::public()),
            motion: Some(motion),
            writer,
            content_id: new_content_id(),
            init: None,
            held: None,
            recording: Vec::new(),
            audio_hash: Sha256::new(),
            sound: Vec::new(),
            series: crate::fingerprint::MotionSeries::new(),
            samples: 0,
            max_samples,
            frames: 0,
            sequence: 0,
            pending: StreamOutput::default(),
            closed: false,
            times,
            last_manifest: None,
            work,
        })
    }

    /// How the frames hold the face: as asked, or tighter or moved where the portrait holds
    /// too little picture around it.
    pub fn framing(&self) -> provatar_render::Framing {
        self.renderer
            .framing(1.0 / self.request.controls.head_distance)
    }

    /// The stream's content id.
    pub fn content_id(&self) -> ContentId {
        self.content_id
    }

    /// The longest stream the consent, license and policy allow, seconds.
    pub fn max_seconds(&self) -> u32 {
        self.admission.max_clip_seconds()
    }

    /// Frames made so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Feeds audio (mono, [`STREAM_SAMPLE_RATE`], any chunk size) and returns the frames and
    /// segments it completed.
    ///
    /// # Errors
    /// Audio past the longest allowed stream: the part that fits is taken and the session
    /// stops taking more — the error says why, and [`finish`](Self::finish) still closes and
    /// signs everything up to the limit (and hands out the frames that part made). Also bad
    /// samples (NaN, infinite) and failing stages.
    pub fn push_audio(&mut self, samples: &[f32]) -> Result<StreamOutput, GenerateError> {
        if self.closed {
            return Err(GenerateError::Refused(GateError::ClipTooLong {
                seconds: self.seconds(),
                max: self.max_seconds(),
                by: "admission",
            }));
        }
        let room =
            usize::try_from(self.max_samples.saturating_sub(self.samples)).unwrap_or(usize::MAX);
        let take = samples.len().min(room);
        let output = self.take(&samples[..take])?;
        if take < samples.len() {
            self.closed = true;
            self.pending = output;
            let over = (self.samples + (samples.len() - take) as u64) as f64
                / f64::from(STREAM_SAMPLE_RATE);
            return Err(GenerateError::Refused(GateError::ClipTooLong {
                seconds: over,
                max: self.max_seconds(),
                by: "admission",
            }));
        }
        Ok(output)
    }

    fn seconds(&self) -> f64 {
        self.samples as f64 / f64::from(STREAM_SAMPLE_RATE)
    }

    fn take(&mut self, samples: &[f32]) -> Result<StreamOutput, GenerateError> {
        let mut output = StreamOutput::default();
        if samples.is_empty() {
            return Ok(output);
        }
        let t = Instant::now();
        let motion = self
            .motion
            .as_mut()
            .ok_or_else(|| stage("stream")("the stream has ended".to_owned()))?
            .push(samples)
            .map_err(|e| stage("motion")(format!("the audio: {e}")))?;
        self.times.motion += t.elapsed().as_secs_f64();
        self.samples += samples.len() as u64;
        for s in samples {
            self.audio_hash.update(s.to_le_bytes());
        }
        let room = crate::fingerprint::MAX_SOUND_SAMPLES.saturating_sub(self.sound.len());
        self.sound
            .extend_from_slice(&samples[..room.min(samples.len())]);
        let t = Instant::now();
        self.writer
            .push_audio(samples)
            .map_err(|e| stage("encode")(e.to_string()))?;
        self.times.encode += t.elapsed().as_secs_f64();
        for m in &motion {
            self.frame(m, &mut output)?;
        }
        Ok(output)
    }

    fn frame(&mut self, m: &MotionFrame, output: &mut StreamOutput) -> Result<(), GenerateError> {
        // The fragment completed by the previous frame is not the last one: sign it now.
        if let Some(held) = self.held.take()
            && let Some(signed) = self.segment(held, false)?
        {
            output.segments.push(signed);
        }
        let t = Instant::now();
        let mut frame = self
            .renderer
            .frame(m)
            .map_err(|e| stage("render")(e.to_string()))?;
        self.times.render += t.elapsed().as_secs_f64();
        let t = Instant::now();
        self.embedder
            .embed(
                &mut frame,
                &Payload {
                    content_id: self.content_id,
                    frame_index: u32::try_from(self.frames % (1 << 32)).unwrap_or(0),
                },
            )
            .map_err(|e| stage("watermark")(e.to_string()))?;
        self.series.push(&frame);
        self.times.watermark += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let segments = self
            .writer
            .push_frame(&frame)
            .map_err(|e| stage("encode")(e.to_string()))?;
        self.times.encode += t.elapsed().as_secs_f64();
        output.frames.push(StreamFrame {
            index: self.frames,
            t: f64::from(m.t),
            frame,
            motion: *m,
        });
        self.frames += 1;
        for s in segments {
            match s {
                // Held until the next frame shows whether the stream goes on.
                Segment::Media { .. } => self.held = Some(s),
                Segment::Init(_) => {
                    self.segment(s, false)?;
                }
            }
        }
        Ok(())
    }

    /// Keeps the init segment; signs a media segment (init + fragment) on its own.
    fn segment(
        &mut self,
        segment: Segment,
        last: bool,
    ) -> Result<Option<SignedSegment>, GenerateError> {
        let (bytes, first_frame, frames) = match segment {
            Segment::Init(bytes) => {
                self.recording.extend_from_slice(&bytes);
                self.init = Some(bytes);
                return Ok(None);
            }
            Segment::Media {
                bytes,
                first_frame,
                frames,
            } => (bytes, first_frame, frames),
        };
        let t = Instant::now();
        self.recording.extend_from_slice(&bytes);
        let init = self
            .init
            .as_ref()
            .ok_or_else(|| stage("encode")("a fragment before the init segment".to_owned()))?;
        let place = StreamSegment {
            sequence: self.sequence,
            first_frame,
            frames,
            last,
        };
        let title = format!("{}-{:06}.mp4", self.request.name, self.sequence);
        let plain = self
            .work
            .path()
            .join(format!("plain-{}.mp4", self.sequence));
        let signed = self
            .work
            .path()
            .join(format!("signed-{}.mp4", self.sequence));
        let mut file = init.clone();
        file.extend_from_slice(&bytes);
        std::fs::write(&plain, &file).map_err(|e| stage("sign")(e.to_string()))?;
        let mut spec = self.spec(&title);
        spec.stream = Some(place);
        let manifest =
            sign(&plain, &signed, &spec, &self.signer).map_err(|e| stage("sign")(e.to_string()))?;
        let out = std::fs::read(&signed).map_err(|e| stage("sign")(e.to_string()))?;
        let _ = std::fs::remove_file(&plain);
        let _ = std::fs::remove_file(&signed);
        // The store keeps the newest manifest of a live stream under its content id (replaced by
        // the whole recording's at the end), so a copy of what was shown so far is recoverable.
        self.last_manifest = Some(
            self.store
                .put(self.content_id, &manifest)
                .map_err(|e| stage("store")(e.to_string()))?,
        );
        self.sequence += 1;
        let sign_seconds = t.elapsed().as_secs_f64();
        self.times.sign += sign_seconds;
        Ok(Some(SignedSegment {
            place,
            bytes: out,
            sign_seconds,
        }))
    }

    fn spec(&self, title: &str) -> provatar_provenance::ManifestSpec {
        manifest_spec(
            &self.admission,
            title,
            self.content_id,
            &self.request.controls,
            self.portrait_ingredient.clone(),
            Ingredient {
                title: "live audio".to_owned(),
                format: "audio/x-f32le".to_owned(),
                sha256: hex(&self.audio_hash.clone().finalize()),
            },
        )
    }

    /// Ends the stream: the motion's held frames, the last (possibly short) segment marked as
    /// the last, and the whole recording signed (when asked for).
    ///
    /// # Errors
    /// A failing stage; no partial recording is left behind.
    pub fn finish(mut self) -> Result<(StreamOutput, StreamSummary), GenerateError> {
        let mut output = std::mem::take(&mut self.pending);
        if let Some(motion) = self.motion.take() {
            let t = Instant::now();
            let tail = motion.finish();
            self.times.motion += t.elapsed().as_secs_f64();
            for m in &tail {
                self.frame(m, &mut output)?;
            }
        }
        let t = Instant::now();
        let rest = self
            .writer
            .finish()
            .map_err(|e| stage("encode")(e.to_string()))?;
        self.times.encode += t.elapsed().as_secs_f64();
        // A fragment without video (the audio encoder's last packets after a fragment that
        // ended exactly on the last frame) is dropped: a segment must show something.
        let rest = rest
            .into_iter()
            .filter(|s| !matches!(s, Segment::Media { frames: 0, .. }));
        let mut rest: Vec<Segment> = self.held.take().into_iter().chain(rest).collect();
        let last = rest.pop();
        for s in rest {
            if let Some(signed) = self.segment(s, false)? {
                output.segments.push(signed);
            }
        }
        if let Some(s) = last
            && let Some(signed) = self.segment(s, true)?
        {
            output.segments.push(signed);
        }
        let mut manifest_path = self.last_manifest.clone();
        let recording = match &self.request.recording {
            Some(path) if self.frames > 0 => {
                let t = Instant::now();
                manifest_path = Some(self.write_recording(path)?);
                self.times.sign += t.elapsed().as_secs_f64();
                Some(path.clone())
            }
            _ => None,
        };
        let summary = StreamSummary {
            content_id: self.content_id,
            frames: self.frames,
            segments: self.sequence,
            seconds: self.seconds(),
            recording,
            manifest_path,
            times: self.times.clone(),
        };
        Ok((output, summary))
    }

    /// Signs init + every fragment as one MP4 at `path` (temporary file, renamed at the end)
    /// and keeps its manifest in the store.
    fn write_recording(&self, path: &Path) -> Result<PathBuf, GenerateError> {
        let out_err = |reason: String| GenerateError::Output {
            path: path.to_path_buf(),
            reason,
        };
        let dir = output_folder(path)?;
        let name = file_title(path);
        let signed = dir.join(format!(".{name}.partial-{}.mp4", std::process::id()));
        let partial = Partial(vec![signed.clone()]);
        let plain = self.work.path().join("recording.mp4");
        std::fs::write(&plain, &self.recording).map_err(|e| out_err(e.to_string()))?;
        // The whole recording carries the content's fingerprints (a segment is too short).
        let spec = provatar_provenance::ManifestSpec {
            sound_fingerprint: Some((
                crate::fingerprint::SOUND_ALG.to_owned(),
                crate::fingerprint::to_text(&crate::fingerprint::sound_fingerprint(&self.sound)),
            )),
            picture_fingerprint: Some((
                crate::fingerprint::PICTURE_ALG.to_owned(),
                self.series.to_text(),
            )),
            ..self.spec(&name)
        };
        let manifest =
            sign(&plain, &signed, &spec, &self.signer).map_err(|e| stage("sign")(e.to_string()))?;
        let kept = self
            .store
            .put(self.content_id, &manifest)
            .map_err(|e| stage("store")(e.to_string()))?;
        std::fs::rename(&signed, path).map_err(|e| out_err(e.to_string()))?;
        drop(partial);
        Ok(kept)
    }
}
