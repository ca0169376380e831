//! The gated pipeline: gate → analyse → motion → render → watermark every frame → H.264 with
//! the original audio → sign the C2PA manifest → keep the manifest in the store.
//!
//! Nothing is written at `out` unless every step succeeds: the video is assembled in temporary
//! files beside it and renamed into place at the very end.

use std::path::{Path, PathBuf};
use std::time::Instant;

use provatar_consent::{
    AiTraining, ConsentCredential, Doc, Gate, GateError, IntegratorLicense, Policy, Portrait,
    Request, Signed, TrustStore, sha256_hex,
};
use provatar_face::FaceAnalyzer;
use provatar_media::{EncoderSettings, Limits, VideoWriter};
use provatar_motion::{Controls, MotionStream};
use provatar_provenance::{
    ConsentRef, Generation, Ingredient, ManifestSpec, ManifestStore, Signer, sign,
};
use provatar_render::Renderer;
use provatar_types::{ContentId, MotionTrack};
use provatar_watermark::{Embedder, Key, Payload};

/// Why nothing was generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// An input file cannot be read or decoded.
    #[error("cannot read {what} {path}: {reason}")]
    Input {
        /// `the portrait`, `the audio`, …
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The consent gate refused.
    #[error("refused by the consent gate: {0}")]
    Refused(#[from] GateError),
    /// The portrait's face cannot be used.
    #[error("cannot use the face in {path}: {reason}")]
    Face {
        /// The portrait.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A stage failed.
    #[error("{stage} failed: {reason}")]
    Stage {
        /// `motion`, `render`, `watermark`, `encode`, `sign`, `store`.
        stage: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// The output cannot be written.
    #[error("cannot write {path}: {reason}")]
    Output {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Everything one generation needs.
#[derive(Debug, Clone)]
pub struct GenerateRequest {
    /// The portrait (PNG, JPEG or WebP).
    pub portrait: PathBuf,
    /// The speech or singing clip.
    pub audio: PathBuf,
    /// The consent credential (required unless the policy says otherwise).
    pub consent: Option<PathBuf>,
    /// The integrator license.
    pub license: PathBuf,
    /// The MP4 to write.
    pub out: PathBuf,
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
}

/// Seconds spent in each stage.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StageTimes {
    /// Reading the inputs and the consent gate.
    pub gate: f64,
    /// Face analysis.
    pub analyze: f64,
    /// Speech to motion.
    pub motion: f64,
    /// Rendering frames.
    pub render: f64,
    /// Watermarking frames.
    pub watermark: f64,
    /// H.264 and audio encoding and muxing.
    pub encode: f64,
    /// C2PA signing and the store.
    pub sign: f64,
}

/// What was made.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The video written.
    pub out: PathBuf,
    /// Its watermark content id (also the manifest's soft binding).
    pub content_id: ContentId,
    /// Frames written.
    pub frames: usize,
    /// Frames per second.
    pub fps: u32,
    /// Where the manifest was kept.
    pub manifest_path: PathBuf,
    /// The motion track that drove the face.
    pub motion: MotionTrack,
    /// Per-stage seconds.
    pub times: StageTimes,
    /// How the frames hold the face: as asked, or tighter or moved where the portrait holds
    /// too little picture around it.
    pub framing: provatar_render::Framing,
}

pub(crate) fn input<'a>(
    what: &'static str,
    path: &'a Path,
) -> impl Fn(String) -> GenerateError + 'a {
    move |reason| GenerateError::Input {
        what,
        path: path.to_path_buf(),
        reason,
    }
}

pub(crate) fn stage(stage: &'static str) -> impl Fn(String) -> GenerateError {
    move |reason| GenerateError::Stage { stage, reason }
}

pub(crate) fn read_limited(
    what: &'static str,
    path: &Path,
    max: u64,
) -> Result<Vec<u8>, GenerateError> {
    let meta = std::fs::metadata(path).map_err(|e| input(what, path)(e.to_string()))?;
    if meta.len() > max {
        return Err(input(what, path)(format!(
            "{} bytes is over the {max}-byte limit",
            meta.len()
        )));
    }
    provatar_types::read_limited(path, max).map_err(|e| input(what, path)(e.to_string()))
}

/// A fresh content id from the operating system's randomness.
pub(crate) fn new_content_id() -> ContentId {
    use rand_core::RngCore as _;
    ContentId::new(rand_core::OsRng.next_u64())
}

/// Temporary files next to the output, removed unless renamed into place.
pub(crate) struct Partial(pub Vec<PathBuf>);

impl Drop for Partial {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Runs the whole gated pipeline. `progress(done, total)` is called after each frame.
///
/// # Errors
/// [`GenerateError`]: unreadable input, a refusal by the gate (consent, license, policy), an
/// unusable face, or a failing stage — and then no file is left at `request.out`.
#[expect(clippy::too_many_lines, reason = "the pipeline, stage after stage")]
pub fn generate(
    request: &GenerateRequest,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Generated, GenerateError> {
    let limits = Limits::default();
    let mut times = StageTimes::default();
    let t = Instant::now();
    // Before any work: where the video will go.
    let dir = output_folder(&request.out)?;
    check_output(
        &request.out,
        &[
            Some(request.portrait.as_path()),
            Some(request.audio.as_path()),
            request.consent.as_deref(),
            Some(request.license.as_path()),
        ],
    )?;

    // Inputs and the gate.
    let (portrait_bytes, portrait) = read_portrait(&request.portrait, &limits)?;
    let audio_bytes = read_limited("the audio", &request.audio, limits.max_file_bytes)?;
    let audio = provatar_media::decode_audio(&audio_bytes, &limits)
        .map_err(|e| input("the audio", &request.audio)(e.to_string()))?;
    let controls = &request.controls;
    let opened = open_gate(
        &Opening {
            consent: request.consent.as_deref(),
            license: &request.license,
            signer: &request.signer,
            trust: &request.trust,
            policy: &request.policy,
            controls,
            size: request.size,
            clip_seconds: audio.analysis.duration_seconds(),
            streaming: false,
        },
        &portrait_bytes,
        portrait,
    )?;
    if audio.analysis.samples().is_empty() {
        return Err(input("the audio", &request.audio)(
            "it holds no sound".to_owned(),
        ));
    }
    times.gate = t.elapsed().as_secs_f64();

    // The face.
    let t = Instant::now();
    let rig = analyze_face(&opened, &request.portrait)?;
    times.analyze = t.elapsed().as_secs_f64();
    let Opened {
        admission,
        signer,
        portrait,
    } = opened;

    // Motion.
    let t = Instant::now();
    let mut stream = MotionStream::new(controls).map_err(|e| stage("motion")(e.to_string()))?;
    let mut frames = Vec::new();
    for chunk in audio.analysis.samples().chunks(16_000) {
        frames.extend(
            stream
                .push(chunk)
                .map_err(|e| input("the audio", &request.audio)(e.to_string()))?,
        );
    }
    frames.extend(stream.finish());
    let motion = MotionTrack {
        fps: controls.fps,
        frames,
    };
    times.motion = t.elapsed().as_secs_f64();

    // Render, mark, encode.
    let mut renderer = Renderer::new(&admission, &portrait.frame, &rig, request.size)
        .map_err(|e| stage("render")(e.to_string()))?;
    let framing = renderer.framing(1.0 / controls.head_distance);
    let content_id = new_content_id();
    let name = request
        .out
        .file_name()
        .ok_or_else(|| GenerateError::Output {
            path: request.out.clone(),
            reason: "not a file name".to_owned(),
        })?
        .to_string_lossy()
        .into_owned();
    let plain = dir.join(format!(".{name}.unsigned-{}.mp4", std::process::id()));
    let signed = dir.join(format!(".{name}.partial-{}.mp4", std::process::id()));
    let partial = Partial(vec![plain.clone(), signed.clone()]);
    let mut settings = EncoderSettings::new(request.size, request.size, controls.fps);
    // At QP 22 the encoder alone costs the watermark a tenth of its bits; 18 keeps it strong.
    settings.qp = 18;
    let t_encode = Instant::now();
    let mut writer = VideoWriter::create(&plain, settings, Some(&audio.original)).map_err(|e| {
        GenerateError::Output {
            path: request.out.clone(),
            reason: e.to_string(),
        }
    })?;
    let mut encode = t_encode.elapsed().as_secs_f64();
    let mut embedder = Embedder::new(&Key::public());
    // How the marked pictures move, fingerprinted for the manifest.
    let mut motion_series = crate::fingerprint::MotionSeries::new();
    let total = motion.frames.len();
    // Two stages on two threads: one renders, the other marks and encodes (about 4 and 6 ms a
    // frame), a few frames apart. Frames arrive in order; the first error stops both.
    let (rendered, render_time) = std::thread::scope(|scope| {
        let (tx, rx) =
            std::sync::mpsc::sync_channel::<Result<provatar_types::Frame, GenerateError>>(4);
        let frames = &motion.frames;
        let renderer = &mut renderer;
        let producer = scope.spawn(move || {
            let mut spent = 0.0;
            for m in frames {
                let t = Instant::now();
                let frame = renderer
                    .frame(m)
                    .map_err(|e| stage("render")(e.to_string()));
                spent += t.elapsed().as_secs_f64();
                let failed = frame.is_err();
                if tx.send(frame).is_err() || failed {
                    break;
                }
            }
            spent
        });
        let mut done = 0;
        let consumed = rx.iter().try_for_each(|frame| {
            let mut frame = frame?;
            let t = Instant::now();
            embedder
                .embed(
                    &mut frame,
                    &Payload {
                        content_id,
                        frame_index: u32::try_from(done).unwrap_or(u32::MAX),
                    },
                )
                .map_err(|e| stage("watermark")(e.to_string()))?;
            motion_series.push(&frame);
            times.watermark += t.elapsed().as_secs_f64();
            let t = Instant::now();
            writer
                .push_frame(&frame)
                .map_err(|e| stage("encode")(e.to_string()))?;
            encode += t.elapsed().as_secs_f64();
            done += 1;
            progress(done, total);
            Ok::<(), GenerateError>(())
        });
        // A failed consumer hangs up, so the renderer's next send fails and it stops.
        drop(rx);
        let spent = producer.join();
        (consumed.map(|()| done), spent)
    });
    times.render = render_time.map_err(|_| stage("render")("the renderer crashed".to_owned()))?;
    let rendered = rendered?;
    if rendered != total {
        return Err(stage("render")(format!(
            "only {rendered} of {total} frames were rendered"
        )));
    }
    let t = Instant::now();
    writer
        .finish()
        .map_err(|e| stage("encode")(e.to_string()))?;
    // The index in front, so browsers start playing before the whole file has arrived.
    provatar_media::make_fast_start(&plain).map_err(|e| stage("encode")(e.to_string()))?;
    times.encode = encode + t.elapsed().as_secs_f64();

    // Sign and keep the manifest.
    let t = Instant::now();
    let spec = manifest_spec(
        &admission,
        &name,
        content_id,
        controls,
        Ingredient {
            title: file_title(&request.portrait),
            format: format!("image/{}", portrait.info.format),
            sha256: admission.portrait_sha256().to_owned(),
        },
        Ingredient {
            title: file_title(&request.audio),
            format: audio_media_type(audio.info.container),
            sha256: sha256_hex(&audio_bytes),
        },
    );
    // The sound the video carries, fingerprinted, so that a copy with other words on these
    // pictures is not taken for this video.
    let spec = ManifestSpec {
        sound_fingerprint: Some((
            crate::fingerprint::SOUND_ALG.to_owned(),
            crate::fingerprint::to_text(&crate::fingerprint::sound_fingerprint(
                &audio.analysis.samples()[..audio
                    .analysis
                    .samples()
                    .len()
                    .min(crate::fingerprint::MAX_SOUND_SAMPLES)],
            )),
        )),
        picture_fingerprint: Some((
            crate::fingerprint::PICTURE_ALG.to_owned(),
            motion_series.to_text(),
        )),
        ..spec
    };
    let manifest =
        sign(&plain, &signed, &spec, &signer).map_err(|e| stage("sign")(e.to_string()))?;
    let store = ManifestStore::open(&request.store).map_err(|e| stage("store")(e.to_string()))?;
    let manifest_path = store
        .put(content_id, &manifest)
        .map_err(|e| stage("store")(e.to_string()))?;
    std::fs::rename(&signed, &request.out).map_err(|e| GenerateError::Output {
        path: request.out.clone(),
        reason: e.to_string(),
    })?;
    drop(partial);
    times.sign = t.elapsed().as_secs_f64();
    Ok(Generated {
        out: request.out.clone(),
        content_id,
        frames: total,
        fps: controls.fps,
        manifest_path,
        motion,
        times,
        framing,
    })
}

/// The gate's inputs, shared by [`generate`] and streaming sessions.
pub(crate) struct Opening<'a> {
    pub consent: Option<&'a Path>,
    pub license: &'a Path,
    pub signer: &'a Path,
    pub trust: &'a Path,
    pub policy: &'a Policy,
    pub controls: &'a Controls,
    pub size: u32,
    pub clip_seconds: f64,
    pub streaming: bool,
}

/// What passing the gate gives: the admission, the signer the license names, the portrait.
pub(crate) struct Opened {
    pub admission: provatar_consent::Admission,
    pub signer: Signer,
    pub portrait: provatar_media::LoadedImage,
}

/// Reads and decodes the portrait (size-limited).
pub(crate) fn read_portrait(
    path: &Path,
    limits: &Limits,
) -> Result<(Vec<u8>, provatar_media::LoadedImage), GenerateError> {
    let bytes = read_limited("the portrait", path, limits.max_file_bytes)?;
    let image = provatar_media::decode_image(&bytes, limits)
        .map_err(|e| input("the portrait", path)(e.to_string()))?;
    Ok((bytes, image))
}

/// Runs the consent gate (credential, license, policy, request) and checks that the C2PA signer
/// is the one the license names.
/// The folder an output file goes into (its temporary files too), checked to exist.
pub(crate) fn output_folder(out: &Path) -> Result<&Path, GenerateError> {
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(GenerateError::Output {
            path: out.to_path_buf(),
            reason: format!("the folder {} does not exist", dir.display()),
        })
    }
}

/// Refuses an output path that would replace what it must not: something other than a regular
/// file (a device such as `/dev/full`, a folder, a pipe), or one of the command's inputs.
///
/// # Errors
/// [`GenerateError::Output`] naming the path and why.
pub fn check_output(out: &Path, inputs: &[Option<&Path>]) -> Result<(), GenerateError> {
    let refuse = |reason: String| GenerateError::Output {
        path: out.to_path_buf(),
        reason,
    };
    let Ok(meta) = std::fs::metadata(out) else {
        // Nothing there yet (or nothing readable: writing will say what is wrong).
        return Ok(());
    };
    if !meta.is_file() {
        return Err(refuse(
            "it exists and is not a regular file (a device, folder or pipe); name a file"
                .to_owned(),
        ));
    }
    for input in inputs.iter().flatten() {
        if same_file(out, &meta, input) {
            return Err(refuse(format!(
                "it is the input {}, which writing would destroy",
                input.display()
            )));
        }
    }
    Ok(())
}

/// Whether `path` is the file `out` (whose metadata is `meta`), through any link or spelling.
fn same_file(out: &Path, meta: &std::fs::Metadata, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let _ = out;
        std::fs::metadata(path).is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        match (out.canonicalize(), path.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

pub(crate) fn open_gate(
    o: &Opening<'_>,
    portrait_bytes: &[u8],
    portrait: provatar_media::LoadedImage,
) -> Result<Opened, GenerateError> {
    let trust = TrustStore::load(o.trust)?;
    let consent = match o.consent {
        Some(path) => {
            let bytes = read_limited("the consent credential", path, 1 << 20)?;
            Some(Signed::<ConsentCredential>::parse(Doc::Consent, &bytes)?)
        }
        None => None,
    };
    let license_bytes = read_limited("the license", o.license, 1 << 20)?;
    let license = Signed::<IntegratorLicense>::parse(Doc::License, &license_bytes)?;
    o.controls
        .validate()
        .map_err(|e| stage("motion")(e.to_string()))?;
    let admission = Gate::new(&trust, o.policy).admit(
        &Portrait {
            bytes: portrait_bytes,
            pixels: Some(&portrait.frame),
        },
        consent.as_ref(),
        &license,
        &Request {
            clip_seconds: o.clip_seconds,
            emotion: o.controls.emotion.name().to_owned(),
            emotion_strength: o.controls.emotion_strength,
            size: o.size,
            streaming: o.streaming,
        },
    )?;
    let signer = Signer::from_dir(o.signer).map_err(|e| stage("sign")(e.to_string()))?;
    let signer_key =
        provatar_consent::keys::certificate_public_key(&o.signer.join("signer-chain.pem"))
            .map_err(|e| stage("sign")(e.to_string()))?;
    admission.check_signer(&provatar_consent::did::did_key(&signer_key))?;
    Ok(Opened {
        admission,
        signer,
        portrait,
    })
}

/// The head roll beyond which a portrait is refused, in degrees.
pub(crate) const MAX_ROLL_DEGREES: f32 = 30.0;

/// Finds the face (with the person mask the renderer needs) and checks its size and roll
/// against what can be rendered and the policy.
pub(crate) fn analyze_face(
    opened: &Opened,
    path: &Path,
) -> Result<provatar_face::FaceRig, GenerateError> {
    let face_error = |reason: String| GenerateError::Face {
        path: path.to_path_buf(),
        reason,
    };
    let analyzer = FaceAnalyzer::new()
        .map_err(|e| face_error(e.to_string()))?
        .with_person_mask(true);
    let rig = analyzer
        .analyze(&opened.portrait.frame)
        .map_err(|e| face_error(e.to_string()))?;
    if let Some(turn) = analyzer
        .upright_turn(&opened.portrait.frame, &rig)
        .map_err(|e| face_error(e.to_string()))?
    {
        let back = 360 - turn;
        return Err(face_error(format!(
            "the face is not upright: it is seen clearly only when the picture is turned \
             {turn}° clockwise (the photo, or its EXIF orientation, is rotated {back}°): \
             rotate the picture upright"
        )));
    }
    // The rig and renderer are built for an upright head: a face on its side or upside down
    // (a rotated photo, or EXIF orientation the camera got wrong) would get its mouth drawn
    // in the wrong place.
    let roll = rig.pose.roll.to_degrees();
    if roll.abs() > MAX_ROLL_DEGREES {
        return Err(face_error(format!(
            "the face is rolled {roll:.0}° (head tilted beyond the ±{MAX_ROLL_DEGREES:.0}° \
             provatar renders): rotate the picture upright"
        )));
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a box width in pixels"
    )]
    opened.admission.check_face(rig.bbox[2].max(0.0) as u32)?;
    Ok(rig)
}

pub(crate) fn file_title(p: &Path) -> String {
    p.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// The manifest of a generated video (or of one stream segment, `stream` set).
pub(crate) fn manifest_spec(
    admission: &provatar_consent::Admission,
    title: &str,
    content_id: ContentId,
    controls: &Controls,
    portrait: Ingredient,
    audio: Ingredient,
) -> ManifestSpec {
    let consent = admission.consent().map_or_else(
        || ConsentRef {
            credential_id: "none (the policy does not require consent)".to_owned(),
            issuer: String::new(),
            licensee: admission.license().integrator.clone(),
            license_id: Some(admission.license().id.clone()),
        },
        |c| ConsentRef {
            credential_id: c.id.clone(),
            issuer: c.issuer.clone(),
            licensee: c.licensee.clone(),
            license_id: Some(admission.license().id.clone()),
        },
    );
    ManifestSpec {
        title: title.to_owned(),
        content_id,
        generation: Generation {
            emotion: controls.emotion.name().to_owned(),
            emotion_strength: controls.emotion_strength,
            gaze_degrees: controls.gaze_degrees,
            seed: controls.seed,
        },
        portrait,
        audio,
        consent,
        allow_ai_training: matches!(admission.ai_training(), AiTraining::Allowed),
        stream: None,
        sound_fingerprint: None,
        picture_fingerprint: None,
    }
}

pub(crate) fn audio_media_type(container: &str) -> String {
    match container {
        "wav" => "audio/wav",
        "flac" => "audio/flac",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "mp4" | "m4a" => "audio/mp4",
        "adts" | "aac" => "audio/aac",
        _ => "application/octet-stream",
    }
    .to_owned()
}
