//! The verifier: is this video a provatar avatar, unaltered, and whose consent does it carry?
//!
//! Three independent pieces of evidence are combined:
//! - the **C2PA manifest** embedded in the MP4 (signature, trust chain, hash of the media);
//! - the **watermark** in the frames (content id, frame indices), which survives re-encoding,
//!   scaling and cropping that strip the manifest;
//! - the **manifest store**, where every signed manifest is kept by content id, so a copy whose
//!   manifest was stripped can still be traced (C2PA manifest recovery by soft binding).
//!
//! Verdicts:
//! - `authentic`: a valid manifest from a trusted signer, the watermark in the frames with the
//!   manifest's content id, its frame indices rising by one per frame (nothing cut, inserted,
//!   reordered, reversed, sped up or slowed down);
//! - `recovered`: no manifest in the file, but the watermark's content id finds a manifest in the
//!   store whose signature is valid and trusted (its media hash is expected not to match: it
//!   covered the original file) — e.g. a re-encoded copy;
//! - `tampered`: a manifest that does not validate, a watermark that disagrees with it or is
//!   missing from a signed video, or frames edited (see `provatar_watermark::FrameAnomaly`);
//! - `unknown`: neither a trusted manifest nor a traceable watermark;
//! - `revoked`: the provenance holds (`authentic` or `recovered`), but the consent it carries
//!   has since been revoked — the person no longer agrees to being shown, so a platform acting
//!   on the verdict takes it down;
//! - `incomplete` (streams only): every segment so far authentic and in order, but none closes
//!   the stream — still live, or its end cut off.
//!
//! The consent reference is reported beside the verdict (issuer trusted, credential revoked).

use std::path::{Path, PathBuf};

use provatar_consent::TrustStore;
use provatar_media::{Limits, VideoDecoder};
use provatar_provenance::{
    ManifestReport, ManifestState, ManifestStore, StreamSegment, TrustAnchors,
};
use provatar_types::ContentId;

use crate::fingerprint;
use provatar_watermark::{Detection, Key, VideoDetector};
use serde::Serialize;

/// Why a video could not be verified at all (a verdict needs a readable video).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The file cannot be read or decoded as an MP4 video.
    #[error("cannot read the video {path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The trust store or the manifest store cannot be used.
    #[error("cannot use {what} {path}: {reason}")]
    Setup {
        /// `the trust store` or `the manifest store`.
        what: &'static str,
        /// Its directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// The verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Valid, trusted manifest and matching watermark.
    Authentic,
    /// No manifest, but the watermark leads to a trusted manifest in the store.
    Recovered,
    /// The evidence contradicts itself or shows edits.
    Tampered,
    /// Neither a trusted manifest nor a traceable watermark.
    Unknown,
    /// The provenance holds (it would be `authentic` or `recovered`), but the consent it
    /// carries has since been revoked: the person no longer agrees to the video being shown.
    Revoked,
    /// A stream whose segments so far are authentic and in order, but no segment closes it:
    /// still live, or its end was cut off.
    Incomplete,
}

impl Verdict {
    /// The lowercase name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Authentic => "authentic",
            Self::Recovered => "recovered",
            Self::Tampered => "tampered",
            Self::Unknown => "unknown",
            Self::Revoked => "revoked",
            Self::Incomplete => "incomplete",
        }
    }

    /// Whether the provenance holds (`authentic` or `recovered`).
    pub const fn is_good(self) -> bool {
        matches!(self, Self::Authentic | Self::Recovered)
    }
}

/// What the manifest said.
#[derive(Debug, Clone, Serialize)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "the report's JSON fields, as DESIGN.md names them"
)]
pub struct ManifestFacts {
    /// A manifest was found — in the file, or in the store (`recovered`).
    pub present: bool,
    /// It came from the store, not the file.
    pub recovered: bool,
    /// Its signature and hashes check (for a recovered one: all but the media hash).
    pub valid: bool,
    /// Its signer chains to a trust anchor.
    pub trusted: bool,
    /// `trusted`, `valid-untrusted`, `invalid` or `absent` (the file's own manifest).
    pub state: &'static str,
    /// The signer's organisation and common name.
    pub signer: Option<String>,
    /// The `c2pa.created` action's digital source type.
    pub digital_source_type: Option<String>,
    /// The soft binding's content id.
    pub content_id: Option<String>,
    /// `cawg.training-mining`'s answer for AI training.
    pub ai_training: Option<String>,
    /// C2PA validation codes of what did not check.
    pub codes: Vec<String>,
    /// For a live-stream segment: its place in the stream (sequence, frames, last).
    pub stream: Option<StreamSegment>,
}

/// What the watermark detector found.
#[derive(Debug, Clone, Serialize)]
pub struct WatermarkFacts {
    /// The mark is present (p ≤ 1e-9).
    pub detected: bool,
    /// The content id it carries, when read.
    pub content_id: Option<String>,
    /// Upper bound on the chance of this score without the mark.
    pub p_value: f64,
    /// The detector's score.
    pub score: f32,
    /// Frames decoded.
    pub frames: usize,
    /// Frames whose own score shows the mark.
    pub frames_marked: usize,
    /// Samples the decoder rejected (a damaged stream).
    pub undecodable_frames: usize,
    /// Cut, reordered, reversed, sped-up, slowed-down or unmarked runs of frames.
    pub frame_anomalies: Vec<AnomalyFacts>,
    /// The frame index the first frame carries (modulo 65536), read from the first frames
    /// whose index decodes.
    pub first_frame_index: Option<u16>,
}

/// One run of frames the frame indices flag.
#[derive(Debug, Clone, Serialize)]
pub struct AnomalyFacts {
    /// `cut`, `reordered`, `reversed`, `sped-up`, `slowed-down` or `unmarked`.
    pub kind: &'static str,
    /// First frame of the run (decoded order, from 0).
    pub frame: usize,
    /// Frames in the run (for a `cut`, the frames missing before `frame`).
    pub frames: usize,
    /// The index expected there.
    pub expected_index: Option<u16>,
    /// The index found.
    pub found_index: Option<u16>,
    /// The index of the run's last read frame (runs judged by their rate).
    pub last_index: Option<u16>,
    /// What happened, in words.
    pub detail: String,
}

/// The consent reference and what the trust store says of it.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentFacts {
    /// The consent credential's id.
    pub id: String,
    /// Its issuer (a DID).
    pub issuer: String,
    /// The licensee it names.
    pub licensee: String,
    /// The integrator license's id.
    pub license_id: Option<String>,
    /// The issuer is in the trust store.
    pub issuer_trusted: bool,
    /// When the issuer revoked the credential, if a revocation list at hand says so.
    pub revoked_at: Option<String>,
    /// Trusted issuer and not revoked.
    pub valid: bool,
}

/// One check, in plain words.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was checked.
    pub name: &'static str,
    /// Whether it passed.
    pub ok: bool,
    /// What was found.
    pub detail: String,
}

/// Everything the verifier found.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// The file checked.
    pub file: String,
    /// The conclusion.
    pub verdict: Verdict,
    /// The manifest.
    pub manifest: ManifestFacts,
    /// The watermark.
    pub watermark: WatermarkFacts,
    /// The consent reference, when a manifest names one.
    pub consent: Option<ConsentFacts>,
    /// Each check and its result.
    pub checks: Vec<Check>,
}

/// What the verifier found in the segments of a live stream.
#[derive(Debug, Clone, Serialize)]
pub struct StreamReport {
    /// `authentic` when every segment is authentic, the sequence has no gap, repeat or
    /// reorder and the last segment closes the stream; `incomplete` when all that holds but no
    /// segment closes it yet; `tampered` when a segment is tampered or the sequence is broken;
    /// `unknown` when a segment is not provatar's or not trusted; `revoked` when the consent
    /// was revoked.
    pub verdict: Verdict,
    /// The stream's id (its content id), when the first segment names one.
    pub stream_id: Option<String>,
    /// Frames in the segments checked.
    pub frames: u64,
    /// Whether the last segment says the stream ended (mid-stream this is `false`: what has
    /// arrived so far checks, but the end cannot be known yet).
    pub ended: bool,
    /// Each check of the sequence, in plain words.
    pub checks: Vec<Check>,
    /// Each segment's own report, in the order given.
    pub segments: Vec<VerifyReport>,
}

/// What verify measured of a copy's content, for the fingerprint checks.
struct Content<'a> {
    /// Its sound at 16 kHz mono, when it has any.
    sound: Option<&'a [f32]>,
    /// Its pictures' motion series.
    motion: &'a [f32],
}

/// Checks videos against a trust store and (optionally) a manifest store.
pub struct Verifier {
    anchors: TrustAnchors,
    trust: TrustStore,
    store: Option<ManifestStore>,
    key: Key,
    limits: Limits,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("trust", &self.trust.dir())
            .field("store", &self.store.is_some())
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier trusting `trust_dir` (`c2pa/` anchors, `issuers/`, `revocations/`; `None`
    /// trusts no one), looking up stripped manifests in `store_dir` when given, with the
    /// public watermark key.
    ///
    /// # Errors
    /// [`VerifyError::Setup`] when a directory cannot be loaded.
    pub fn new(trust_dir: Option<&Path>, store_dir: Option<&Path>) -> Result<Self, VerifyError> {
        let setup = |what, path: &Path, reason: String| VerifyError::Setup {
            what,
            path: path.to_path_buf(),
            reason,
        };
        let (trust, anchors) = match trust_dir {
            Some(dir) => (
                TrustStore::load(dir).map_err(|e| setup("the trust store", dir, e.to_string()))?,
                TrustAnchors::from_dir(dir)
                    .map_err(|e| setup("the trust store", dir, e.to_string()))?,
            ),
            None => (TrustStore::empty(), TrustAnchors::none()),
        };
        let store = match store_dir {
            Some(dir) if dir.is_dir() => Some(
                ManifestStore::open(dir)
                    .map_err(|e| setup("the manifest store", dir, e.to_string()))?,
            ),
            Some(dir) => {
                return Err(setup(
                    "the manifest store",
                    dir,
                    "not a directory".to_owned(),
                ));
            }
            None => None,
        };
        Ok(Self {
            anchors,
            trust,
            store,
            key: Key::public(),
            limits: Limits::default(),
        })
    }

    /// Uses another watermark key (the generator's, when it marked with a private one).
    #[must_use]
    pub fn with_key(mut self, key: Key) -> Self {
        self.key = key;
        self
    }

    /// Verifies the MP4 at `path`.
    ///
    /// # Errors
    /// [`VerifyError::Unreadable`] when the file is not a readable video.
    pub fn verify(&self, path: &Path) -> Result<VerifyReport, VerifyError> {
        let unreadable = |reason: String| VerifyError::Unreadable {
            path: path.to_path_buf(),
            reason,
        };
        let meta = std::fs::metadata(path).map_err(|e| unreadable(e.to_string()))?;
        if meta.len() > self.limits.max_file_bytes {
            return Err(unreadable(format!(
                "{} bytes is over the {}-byte limit",
                meta.len(),
                self.limits.max_file_bytes
            )));
        }
        let bytes = provatar_types::read_limited(path, self.limits.max_file_bytes)
            .map_err(|e| unreadable(e.to_string()))?;
        let (detection, damaged, series) = self.watermark(bytes.clone()).map_err(unreadable)?;
        // The copy's sound (none when it has no sound track it can decode).
        let sound = provatar_media::decode_pcm(&bytes, &self.limits)
            .ok()
            .and_then(|(track, _)| provatar_media::to_analysis(&track).ok());
        // A manifest that cannot even be parsed is as good as a broken one.
        let embedded = provatar_provenance::read_bytes(bytes, "video/mp4", &self.anchors)
            .unwrap_or_else(|e| ManifestReport::unreadable(format!("manifest.unreadable ({e})")));
        Ok(self.judge(
            path,
            &embedded,
            &detection,
            damaged,
            &Content {
                sound: sound.as_ref().map(provatar_types::Audio::samples),
                motion: series.values(),
            },
        ))
    }

    /// Checks the segments of a live stream, in the order given (the order they were
    /// received or their file names): each segment on its own (manifest, watermark, consent),
    /// then the sequence — one stream id, sequence numbers and frame ranges that follow on
    /// without gaps, repeats or reorders, the watermark's frame indices agreeing with each
    /// manifest's frame range, and nothing after a segment marked last.
    ///
    /// # Errors
    /// [`VerifyError::Unreadable`] when a segment cannot be read or holds no video.
    pub fn verify_stream(&self, segments: &[PathBuf]) -> Result<StreamReport, VerifyError> {
        let mut reports = Vec::with_capacity(segments.len());
        for path in segments {
            reports.push(self.verify(path)?);
        }
        // The mark read across every segment's frames, in order: a second is often too little
        // for one segment alone, the whole stream is not.
        let mut detector = VideoDetector::new(&self.key);
        for path in segments {
            let unreadable = |reason: String| VerifyError::Unreadable {
                path: path.clone(),
                reason,
            };
            let bytes = provatar_types::read_limited(path, self.limits.max_file_bytes)
                .map_err(|e| unreadable(e.to_string()))?;
            let mut decoder = VideoDecoder::from_bytes(bytes, &self.limits)
                .map_err(|e| unreadable(e.to_string()))?;
            while let Ok(Some(decoded)) = decoder.next_frame() {
                let frame = decoder
                    .to_rgb(&decoded.picture)
                    .map_err(|e| unreadable(e.to_string()))?;
                detector
                    .push(&frame)
                    .map_err(|e| unreadable(e.to_string()))?;
            }
        }
        Ok(judge_stream(reports, &detector.finish()))
    }

    /// Detects the watermark over every frame; also counts samples the decoder rejected (a
    /// damaged stream is judged, not refused, once some of it decodes).
    fn watermark(
        &self,
        bytes: Vec<u8>,
    ) -> Result<(Detection, usize, fingerprint::MotionSeries), String> {
        let mut decoder =
            VideoDecoder::from_bytes(bytes, &self.limits).map_err(|e| e.to_string())?;
        let mut detector = VideoDetector::new(&self.key);
        let mut series = fingerprint::MotionSeries::new();
        let (mut damaged, mut first_error) = (0usize, None);
        loop {
            match decoder.next_frame() {
                Ok(Some(decoded)) => {
                    let frame = decoder
                        .to_rgb(&decoded.picture)
                        .map_err(|e| e.to_string())?;
                    detector.push(&frame).map_err(|e| e.to_string())?;
                    series.push(&frame);
                }
                Ok(None) => break,
                Err(e) => {
                    damaged += 1;
                    first_error.get_or_insert_with(|| e.to_string());
                    // Each error consumes a sample; a decoder that keeps failing without
                    // consuming any is given up on.
                    if damaged > detector.frames() + 1000 {
                        break;
                    }
                }
            }
        }
        if detector.frames() == 0 {
            return Err(first_error.unwrap_or_else(|| "the video holds no frames".to_owned()));
        }
        Ok((detector.finish(), damaged, series))
    }

    fn recover(&self, id: ContentId) -> Option<ManifestReport> {
        let bytes = self.store.as_ref()?.recover(id).ok()??;
        provatar_provenance::read_bytes(bytes, "application/c2pa", &self.anchors).ok()
    }

    #[expect(
        clippy::too_many_lines,
        reason = "one decision table, easier to audit in one place"
    )]
    fn judge(
        &self,
        path: &Path,
        embedded: &ManifestReport,
        wm: &Detection,
        damaged: usize,
        content: &Content<'_>,
    ) -> VerifyReport {
        let sound = content.sound;
        let mut checks = Vec::new();
        let mut check = |name, ok, detail: String| checks.push(Check { name, ok, detail });
        let wm_id = wm.content_id.filter(|_| wm.detected);
        let anomalies: Vec<AnomalyFacts> = wm
            .frame_anomalies
            .iter()
            .map(|a| AnomalyFacts {
                kind: a.kind.name(),
                frame: a.frame,
                frames: a.frames,
                expected_index: a.expected_index,
                found_index: a.found_index,
                last_index: a.last_index,
                detail: a.describe(),
            })
            .collect();

        // The manifest: the file's own, else one recovered by the watermark's content id.
        let (manifest, recovered) = match embedded.state {
            ManifestState::Absent => match wm_id.and_then(|id| self.recover(id)) {
                Some(m) => (Some(m), true),
                None => (None, false),
            },
            _ => (Some(embedded.clone()), false),
        };
        let (valid, trusted) = match &manifest {
            None => (false, false),
            Some(m) if recovered => {
                // The stored manifest's media hash covered the original file; everything else
                // (signature, chain, trust) must check.
                let ok = m.codes.iter().all(|c| is_binding_mismatch(c));
                (ok, ok)
            }
            Some(m) => (
                matches!(
                    m.state,
                    ManifestState::Trusted | ManifestState::ValidUntrusted
                ),
                m.state == ManifestState::Trusted,
            ),
        };
        match (&manifest, recovered) {
            (None, _) if self.store.is_none() || wm_id.is_none() => check(
                "manifest",
                false,
                "no C2PA manifest in the file".to_owned(),
            ),
            (None, _) => check(
                "manifest",
                false,
                "no C2PA manifest in the file, and none in the manifest store for the watermark's content id".to_owned(),
            ),
            (Some(m), false) => check(
                "manifest",
                trusted,
                match m.state {
                    ManifestState::Trusted => format!(
                        "valid C2PA manifest signed by {}, a trusted signer",
                        m.signer.as_deref().unwrap_or("an unnamed signer")
                    ),
                    ManifestState::ValidUntrusted => format!(
                        "valid C2PA manifest, but its signer {} is not in the trust store",
                        m.signer.as_deref().unwrap_or("(unnamed)")
                    ),
                    _ if !m.container_differences.is_empty() => format!(
                        "bytes outside the signed media changed ({}): {}",
                        m.codes.join(", "),
                        m.container_differences.join("; ")
                    ),
                    _ => format!(
                        "the C2PA manifest does not validate ({})",
                        m.codes.join(", ")
                    ),
                },
            ),
            (Some(m), true) => check(
                "manifest",
                trusted,
                if trusted {
                    format!(
                        "no manifest in the file; the manifest store holds one for its content id, signed by {}, a trusted signer",
                        m.signer.as_deref().unwrap_or("an unnamed signer")
                    )
                } else {
                    format!(
                        "no manifest in the file; the store's manifest for its content id does not check ({})",
                        m.codes.join(", ")
                    )
                },
            ),
        }

        // The watermark and its agreement with the manifest.
        let bound = manifest.as_ref().and_then(|m| m.content_id);
        // A live-stream segment is short (a second by default): its mark alone may be too weak
        // to read. With the segment's own valid manifest (whose hash binds these very frames)
        // that is not a contradiction; `verify_stream` reads the mark across all segments.
        let short_segment = !recovered
            && wm_id.is_none()
            && manifest
                .as_ref()
                .is_some_and(|m| m.stream.is_some() && m.state != ManifestState::Invalid);
        check(
            "watermark",
            wm.detected || short_segment,
            if short_segment && !wm.detected {
                format!(
                    "too weak to read in this segment's {} frames alone (the stream check reads it across segments)",
                    wm.frames
                )
            } else if wm.detected {
                format!(
                    "found in {} of {} frames (p ≤ {:.1e}), content id {}",
                    wm.frames_marked,
                    wm.frames,
                    wm.p_value,
                    wm_id.map_or_else(|| "unread".to_owned(), |c| c.to_string())
                )
            } else {
                format!("not found in {} frames", wm.frames)
            },
        );
        let agree = match (bound, wm_id) {
            (Some(b), Some(w)) => b == w,
            (Some(_), None) => short_segment,
            _ => false,
        };
        if manifest.is_some() && !(short_segment && wm_id.is_none()) {
            check(
                "watermark matches manifest",
                agree,
                match (bound, wm_id) {
                    (Some(b), Some(w)) if b == w => format!("both carry content id {b}"),
                    (Some(b), Some(w)) => {
                        format!("the manifest binds content id {b}, the frames carry {w}")
                    }
                    (Some(b), None) => {
                        format!(
                            "the manifest binds content id {b}, but the frames carry no readable id"
                        )
                    }
                    (None, _) => "the manifest has no watermark soft binding".to_owned(),
                },
            );
        }
        check(
            "frames",
            anomalies.is_empty() && damaged == 0,
            if anomalies.is_empty() && damaged == 0 {
                "frame indices rise by one per frame: no frame cut, inserted, reordered, \
                 reversed, sped up or slowed down"
                    .to_owned()
            } else {
                let mut parts: Vec<String> = anomalies.iter().map(|a| a.detail.clone()).collect();
                if damaged > 0 {
                    parts.push(format!("{damaged} frames do not decode (damaged stream)"));
                }
                parts.join("; ")
            },
        );

        // The sound: the signed video's words, not others put on its pictures.
        let mut other_sound = false;
        if let Some(m) = &manifest
            && let Some((alg, value)) = &m.sound_fingerprint
        {
            let signed = (alg == fingerprint::SOUND_ALG)
                .then(|| fingerprint::from_text(value))
                .flatten();
            let (ok, detail) = match (signed, sound) {
                (None, _) => (
                    false,
                    format!("the manifest's sound fingerprint ({alg}) cannot be read"),
                ),
                (Some(_), None) => (
                    true,
                    "this copy has no sound to compare with the signed one".to_owned(),
                ),
                (Some(signed), Some(copy)) => match fingerprint::match_sound(&signed, copy) {
                    None => (
                        true,
                        "this copy's sound is too quiet or short to compare with the signed one"
                            .to_owned(),
                    ),
                    Some(found)
                        if found.bit_error_rate <= fingerprint::MAX_BIT_ERROR_RATE
                            && found.worst_second <= fingerprint::MAX_WORST_SECOND =>
                    {
                        (
                            true,
                            format!(
                                "the signed video's sound from {:.1} s ({:.0} % of its fingerprint \
                                 bits differ, {:.0} % in the worst second; other sound differs \
                                 in about half)",
                                found.starts_at,
                                100.0 * found.bit_error_rate,
                                100.0 * found.worst_second
                            ),
                        )
                    }
                    Some(found) => (
                        false,
                        format!(
                            "not the sound the video was signed with: {:.0} % of its fingerprint \
                             bits differ, {:.0} % in the worst second (other words on these \
                             pictures)",
                            100.0 * found.bit_error_rate,
                            100.0 * found.worst_second
                        ),
                    ),
                },
            };
            other_sound = !ok;
            check("sound", ok, detail);
        }

        // The pictures: the signed video's, not others carrying its mark.
        let mut other_pictures = false;
        if let Some(m) = &manifest
            && let Some((alg, value)) = &m.picture_fingerprint
        {
            let signed = (alg == fingerprint::PICTURE_ALG)
                .then(|| fingerprint::series_from_text(value))
                .flatten();
            let start = first_index(wm).map_or(0, usize::from);
            let (ok, detail) = match signed {
                None => (
                    false,
                    format!("the manifest's picture fingerprint ({alg}) cannot be read"),
                ),
                Some(signed) => match fingerprint::compare_pictures(&signed, content.motion, start)
                {
                    None => (
                        true,
                        "too few frames to compare with the signed pictures".to_owned(),
                    ),
                    Some(found) if found.correlation >= fingerprint::MIN_PICTURE_CORRELATION => (
                        true,
                        format!(
                            "the signed video's pictures: their motion follows the signed one \
                             (r {:.2} over {} frames)",
                            found.correlation, found.frames
                        ),
                    ),
                    Some(found) => (
                        false,
                        format!(
                            "not the pictures the video was signed with: their motion does not \
                             follow the signed one (r {:.2} over {} frames) — its mark copied \
                             onto other content",
                            found.correlation, found.frames
                        ),
                    ),
                },
            };
            other_pictures = !ok;
            check("pictures", ok, detail);
        }

        // Consent.
        let consent = manifest.as_ref().and_then(|m| m.consent.as_ref()).map(|c| {
            let issuer_trusted = self.trust.issuers().iter().any(|i| i == &c.issuer);
            let revoked_at = self
                .trust
                .revocation(&c.issuer, &c.credential_id)
                .map(|r| r.revoked_at.clone());
            ConsentFacts {
                id: c.credential_id.clone(),
                issuer: c.issuer.clone(),
                licensee: c.licensee.clone(),
                license_id: c.license_id.clone(),
                issuer_trusted,
                valid: issuer_trusted && revoked_at.is_none(),
                revoked_at,
            }
        });
        if let Some(c) = &consent {
            check(
                "consent",
                c.valid,
                match (&c.revoked_at, c.issuer_trusted) {
                    (Some(at), _) => format!("credential {} was revoked at {at}", c.id),
                    (None, false) => format!(
                        "credential {} from {}, an issuer not in the trust store",
                        c.id, c.issuer
                    ),
                    (None, true) => format!(
                        "credential {} from a trusted issuer, not revoked (licensee {})",
                        c.id, c.licensee
                    ),
                },
            );
        }

        let edited = !anomalies.is_empty() || damaged > 0 || other_sound || other_pictures;
        let verdict = match (&manifest, recovered) {
            (Some(m), false) if m.state == ManifestState::Invalid => Verdict::Tampered,
            (Some(_), _) if !trusted => Verdict::Unknown,
            (Some(_), _) if !agree || edited => Verdict::Tampered,
            (Some(_), false) => Verdict::Authentic,
            (Some(_), true) => Verdict::Recovered,
            (None, _) if wm.detected && edited => Verdict::Tampered,
            (None, _) => Verdict::Unknown,
        };
        // A revoked consent overrides a good verdict: a platform acting on the verdict (or the
        // exit status) must not keep the video up.
        let verdict = match &consent {
            Some(c) if verdict.is_good() && c.revoked_at.is_some() => Verdict::Revoked,
            _ => verdict,
        };

        let facts = manifest.as_ref().map_or_else(
            || ManifestFacts {
                present: false,
                recovered: false,
                valid: false,
                trusted: false,
                state: embedded.state.name(),
                signer: None,
                digital_source_type: None,
                content_id: None,
                ai_training: None,
                codes: Vec::new(),
                stream: None,
            },
            |m| ManifestFacts {
                present: true,
                recovered,
                valid,
                trusted,
                state: embedded.state.name(),
                signer: m.signer.clone(),
                digital_source_type: m.digital_source_type.clone(),
                content_id: m.content_id.map(|c| c.to_string()),
                ai_training: m.ai_training.clone(),
                codes: m.codes.clone(),
                stream: m.stream,
            },
        );
        VerifyReport {
            file: path.display().to_string(),
            verdict,
            manifest: facts,
            watermark: WatermarkFacts {
                detected: wm.detected,
                content_id: wm_id.map(|c| c.to_string()),
                p_value: wm.p_value,
                score: wm.score,
                frames: wm.frames,
                frames_marked: wm.frames_marked,
                undecodable_frames: damaged,
                frame_anomalies: anomalies,
                first_frame_index: first_index(wm),
            },
            consent,
            checks,
        }
    }
}

/// The sequence checks of [`Verifier::verify_stream`].
fn judge_stream(segments: Vec<VerifyReport>, wm: &Detection) -> StreamReport {
    let mut checks = Vec::new();
    let mut check = |name, ok, detail: String| checks.push(Check { name, ok, detail });
    let stream_id = segments.first().and_then(|s| s.manifest.content_id.clone());
    let mut verdict = Verdict::Authentic;
    let mut worsen = |v: Verdict| {
        verdict = match (verdict, v) {
            (Verdict::Tampered, _) | (_, Verdict::Tampered) => Verdict::Tampered,
            (Verdict::Unknown, _) | (_, Verdict::Unknown) => Verdict::Unknown,
            (Verdict::Revoked, _) | (_, Verdict::Revoked) => Verdict::Revoked,
            _ => Verdict::Authentic,
        };
    };
    if segments.is_empty() {
        check("segments", false, "no segment to check".to_owned());
        worsen(Verdict::Unknown);
    }
    let bad: Vec<String> = segments
        .iter()
        .filter(|s| s.verdict != Verdict::Authentic)
        .map(|s| format!("{} ({})", s.file, s.verdict.name()))
        .collect();
    for s in &segments {
        if s.verdict != Verdict::Authentic {
            worsen(if s.verdict == Verdict::Recovered {
                Verdict::Unknown
            } else {
                s.verdict
            });
        }
    }
    check(
        "segments",
        bad.is_empty(),
        if bad.is_empty() {
            format!(
                "each of the {} segments is authentic on its own",
                segments.len()
            )
        } else {
            format!("not authentic: {}", bad.join(", "))
        },
    );
    // The sequence.
    let mut problems = Vec::new();
    let (mut next_seq, mut next_frame, mut ended, mut frames) = (0u32, 0u64, false, 0u64);
    for (k, s) in segments.iter().enumerate() {
        let Some(place) = s.manifest.stream else {
            problems.push(format!("{}: not a stream segment", s.file));
            continue;
        };
        if s.manifest.content_id != stream_id {
            problems.push(format!(
                "{}: from another stream ({})",
                s.file,
                s.manifest.content_id.as_deref().unwrap_or("none")
            ));
        }
        if ended {
            problems.push(format!(
                "{}: after the segment that ended the stream",
                s.file
            ));
        }
        if k > 0 || place.sequence != 0 {
            if place.sequence > next_seq {
                problems.push(format!(
                    "{}: segment {} follows segment {} — {} segment(s) missing (frames {}..{})",
                    s.file,
                    place.sequence,
                    i64::from(next_seq) - 1,
                    place.sequence - next_seq,
                    next_frame,
                    place.first_frame
                ));
            } else if place.sequence < next_seq {
                problems.push(format!(
                    "{}: segment {} comes after segment {} — repeated or out of order",
                    s.file,
                    place.sequence,
                    next_seq - 1
                ));
            } else if place.first_frame != next_frame {
                problems.push(format!(
                    "{}: starts at frame {}, expected {next_frame}",
                    s.file, place.first_frame
                ));
            }
        }
        if let Some(first) = s.watermark.first_frame_index
            && u64::from(first) != place.first_frame % 65_536
        {
            problems.push(format!(
                "{}: its frames carry indices from {first}, its manifest says {}",
                s.file, place.first_frame
            ));
        }
        next_seq = place.sequence + 1;
        next_frame = place.first_frame + place.frames;
        ended = place.last;
        frames += place.frames;
    }
    if !problems.is_empty() {
        worsen(Verdict::Tampered);
    }
    // The watermark across all segments must carry the stream's id.
    let wm_id = wm.content_id.filter(|_| wm.detected).map(|c| c.to_string());
    let wm_ok = wm_id.is_some() && wm_id == stream_id;
    if !wm_ok {
        worsen(if wm_id.is_some() {
            Verdict::Tampered
        } else {
            Verdict::Unknown
        });
    }
    check(
        "sequence",
        problems.is_empty(),
        if problems.is_empty() {
            format!("{frames} frames in order, no segment missing, repeated or reordered")
        } else {
            problems.join("; ")
        },
    );
    check(
        "watermark",
        wm_ok,
        match &wm_id {
            Some(id) if wm_ok => format!(
                "found across the segments' {} frames (p ≤ {:.1e}), the stream's id {id}",
                wm.frames, wm.p_value
            ),
            Some(id) => format!("the frames carry content id {id}, not the stream's"),
            None => format!("not found across the segments' {} frames", wm.frames),
        },
    );
    check(
        "end",
        true,
        if ended {
            "the last segment closes the stream".to_owned()
        } else {
            "no segment closes the stream yet: still live, or its end is missing".to_owned()
        },
    );
    let verdict = if verdict == Verdict::Authentic && !ended {
        Verdict::Incomplete
    } else {
        verdict
    };
    StreamReport {
        verdict,
        stream_id,
        frames,
        ended,
        checks,
        segments,
    }
}

/// The index the first frame carries, from the first frame whose index reads (its position
/// subtracted), when the video's mark was found.
fn first_index(wm: &Detection) -> Option<u16> {
    if !wm.detected {
        return None;
    }
    // The most common start the frames' indices agree on (one misread index cannot move it).
    let mut votes: Vec<(u16, usize)> = Vec::new();
    for (k, f) in wm.per_frame.iter().enumerate() {
        let (Some(i), Ok(k)) = (f.frame_index, u16::try_from(k % 65_536)) else {
            continue;
        };
        let start = i.wrapping_sub(k);
        match votes.iter_mut().find(|(s, _)| *s == start) {
            Some((_, n)) => *n += 1,
            None => votes.push((start, 1)),
        }
    }
    // Trusted only when at least three frames agree and no other start comes close: a single
    // frame's index passes its CRC-8 by chance once in 256 reads.
    votes.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
    match votes.as_slice() {
        [(s, n), rest @ ..] if *n >= 3 && rest.first().is_none_or(|r| *n >= 2 * r.1) => Some(*s),
        _ => None,
    }
}

/// Codes that only say the manifest's media hash does not match this file — expected of a
/// manifest recovered for a re-encoded copy.
fn is_binding_mismatch(code: &str) -> bool {
    [
        "assertion.bmffHash.",
        "assertion.dataHash.",
        "assertion.boxesHash.",
    ]
    .iter()
    .any(|p| code.starts_with(p))
}
