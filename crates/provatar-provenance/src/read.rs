//! Reading a manifest back: validation against a trust store, and the assertions provatar
//! writes, parsed.

use std::io::Cursor;
use std::path::Path;

use provatar_types::ContentId;
use serde_json::Value;

use crate::container::{CONTAINER_LABEL, Layout};
use crate::error::{Error, Result};
use crate::spec::{
    CONSENT_LABEL, ConsentRef, FINGERPRINT_LABEL, SOFT_BINDING_ALG, STREAM_LABEL, StreamSegment,
};

/// X.509 trust anchors for C2PA signers (PEM).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustAnchors {
    pem: String,
}

impl TrustAnchors {
    /// No anchors: a valid manifest reads as valid but untrusted.
    pub fn none() -> Self {
        Self::default()
    }

    /// The anchors of a trust store: every `*.pem` and `*.crt` in `DIR/c2pa/` (see
    /// `keys/trust/README.md`). A store without that folder trusts no signer.
    ///
    /// # Errors
    /// An unreadable folder or file.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let c2pa = dir.join("c2pa");
        let mut pem = String::new();
        if !c2pa.is_dir() {
            return Ok(Self { pem });
        }
        let mut files: Vec<_> = std::fs::read_dir(&c2pa)
            .map_err(Error::io(&c2pa))?
            .filter_map(std::result::Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.extension()
                    .is_some_and(|x| x.eq_ignore_ascii_case("pem") || x.eq_ignore_ascii_case("crt"))
            })
            .collect();
        files.sort();
        for f in files {
            pem.push_str(
                &provatar_types::read_limited_text(&f, provatar_types::MAX_DOCUMENT_BYTES)
                    .map_err(Error::io(&f))?,
            );
            pem.push('\n');
        }
        Ok(Self { pem })
    }

    fn context(&self) -> Result<c2pa::Context> {
        let mut context = c2pa::Context::new();
        if !self.pem.trim().is_empty() {
            let settings = c2pa::settings::Settings::new()
                .with_value("trust.trust_anchors", self.pem.clone())?;
            context = context.with_settings(settings)?;
        }
        Ok(context)
    }
}

/// What the manifest's validation concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestState {
    /// Valid, and signed by a certificate that chains to a trust anchor.
    Trusted,
    /// Cryptographically valid, but the signer is not trusted here.
    ValidUntrusted,
    /// The manifest is broken: a hash, the signature or the structure does not check.
    Invalid,
    /// The file carries no manifest.
    Absent,
}

impl ManifestState {
    /// The state's name in reports: `trusted`, `valid-untrusted`, `invalid`, `absent`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Trusted => "trusted",
            Self::ValidUntrusted => "valid-untrusted",
            Self::Invalid => "invalid",
            Self::Absent => "absent",
        }
    }
}

/// A manifest read back and validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestReport {
    /// The validation's conclusion.
    pub state: ManifestState,
    /// C2PA validation status codes of what did not check (`assertion.bmffHash.mismatch`,
    /// `signingCredential.untrusted`, …).
    pub codes: Vec<String>,
    /// The signer certificate's organisation and common name.
    pub signer: Option<String>,
    /// The signing time, when the signature carries one.
    pub time: Option<String>,
    /// The asset's title.
    pub title: Option<String>,
    /// The `c2pa.created` action's digital source type.
    pub digital_source_type: Option<String>,
    /// The watermark content id of the soft binding (provatar's algorithm only).
    pub content_id: Option<ContentId>,
    /// The consent reference.
    pub consent: Option<ConsentRef>,
    /// `cawg.training-mining`'s answer for AI training (`notAllowed`, `allowed`, …).
    pub ai_training: Option<String>,
    /// For a live-stream segment: its place in the stream.
    pub stream: Option<StreamSegment>,
    /// How the container outside the media hash differs from the signed one (with the code
    /// [`CONTAINER_MISMATCH`]), in words.
    pub container_differences: Vec<String>,
    /// The signed fingerprint of the sound: `(algorithm, value)`.
    pub sound_fingerprint: Option<(String, String)>,
    /// The signed fingerprint of the pictures: `(algorithm, value)`.
    pub picture_fingerprint: Option<(String, String)>,
}

impl ManifestReport {
    /// The report of a manifest that is there but cannot be read at all: invalid, with `code`.
    pub fn unreadable(code: String) -> Self {
        Self {
            state: ManifestState::Invalid,
            codes: vec![code],
            ..Self::absent()
        }
    }

    fn absent() -> Self {
        Self {
            state: ManifestState::Absent,
            codes: Vec::new(),
            signer: None,
            time: None,
            title: None,
            digital_source_type: None,
            content_id: None,
            consent: None,
            ai_training: None,
            stream: None,
            container_differences: Vec::new(),
            sound_fingerprint: None,
            picture_fingerprint: None,
        }
    }
}

/// Reads and validates the manifest of the MP4 at `path`.
///
/// # Errors
/// An unreadable file, or one that is not an MP4 the C2PA library can parse. A well-formed MP4
/// without a manifest is not an error: its report says [`ManifestState::Absent`].
pub fn read(path: &Path, trust: &TrustAnchors) -> Result<ManifestReport> {
    let bytes = provatar_types::read_limited(path, provatar_types::Limits::DEFAULT.max_file_bytes)
        .map_err(Error::io(path))?;
    read_bytes(bytes, "video/mp4", trust)
}

/// Reads and validates a manifest in `bytes` of media type `format` (`video/mp4`, or
/// `application/c2pa` for a bare manifest store such as the local store keeps).
///
/// # Errors
/// Bytes the C2PA library cannot parse as `format`.
pub fn read_bytes(bytes: Vec<u8>, format: &str, trust: &TrustAnchors) -> Result<ManifestReport> {
    let layout = (format == "video/mp4").then(|| Layout::of(&bytes));
    let reader = match c2pa::Reader::from_context(trust.context()?)
        .with_stream(format, Cursor::new(bytes))
    {
        Ok(r) => r,
        Err(c2pa::Error::JumbfNotFound | c2pa::Error::ProvenanceMissing) => {
            return Ok(ManifestReport::absent());
        }
        Err(e) => return Err(e.into()),
    };
    let state = match reader.validation_state() {
        c2pa::ValidationState::Trusted => ManifestState::Trusted,
        c2pa::ValidationState::Valid => ManifestState::ValidUntrusted,
        c2pa::ValidationState::Invalid => ManifestState::Invalid,
    };
    let codes = reader
        .validation_status()
        .unwrap_or_default()
        .iter()
        .map(|s| s.code().to_owned())
        .collect();
    let mut report = ManifestReport {
        state,
        codes,
        ..ManifestReport::absent()
    };
    let Some(manifest) = reader.active_manifest() else {
        return Ok(report);
    };
    report.title = manifest.title().map(str::to_owned);
    if let Some(info) = manifest.signature_info() {
        let parts: Vec<&str> = [info.issuer.as_deref(), info.common_name.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        report.signer = (!parts.is_empty()).then(|| parts.join(", "));
        report.time.clone_from(&info.time);
    }
    let mut signed_layout = None;
    for assertion in manifest.assertions() {
        let Ok(data) = assertion.value() else {
            continue;
        };
        match assertion.label() {
            "c2pa.actions" | "c2pa.actions.v2" => {
                report.digital_source_type = data["actions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|a| a["action"] == "c2pa.created")
                    .and_then(|a| a["digitalSourceType"].as_str())
                    .map(str::to_owned);
            }
            "c2pa.soft-binding" if data["alg"] == SOFT_BINDING_ALG => {
                report.content_id = data["blocks"][0]["value"]
                    .as_str()
                    .and_then(|v| v.parse().ok());
            }
            CONSENT_LABEL => report.consent = consent(data),
            CONTAINER_LABEL => signed_layout = Some(data),
            FINGERPRINT_LABEL => {
                let part = |f: &Value| {
                    f["alg"]
                        .as_str()
                        .zip(f["value"].as_str())
                        .map(|(a, v)| (a.to_owned(), v.to_owned()))
                };
                report.sound_fingerprint = part(&data["sound"]);
                report.picture_fingerprint = part(&data["picture"]);
            }
            STREAM_LABEL => report.stream = stream_segment(data),
            "cawg.training-mining" => {
                report.ai_training = data["entries"]["cawg.ai_training"]["use"]
                    .as_str()
                    .map(str::to_owned);
            }
            _ => {}
        }
    }
    // What the media hash leaves out must be what was signed.
    let differences = match (&layout, &signed_layout) {
        (Some(Ok(found)), Some(signed)) => found.differences(signed),
        (Some(Err(e)), _) => vec![e.clone()],
        (Some(Ok(found)), None) => found
            .boxes
            .iter()
            .filter(|b| !KNOWN_TOP_LEVEL.contains(&b.as_str()))
            .map(|b| format!("a top-level {b} box the media hash does not cover"))
            .chain(
                found
                    .padding_written
                    .iter()
                    .map(|(at, problem)| format!("{problem} (the signature at byte {at})")),
            )
            .collect(),
        (None, _) => Vec::new(),
    };
    if !differences.is_empty() {
        report.state = ManifestState::Invalid;
        report.codes.push(CONTAINER_MISMATCH.to_owned());
        report.container_differences = differences;
    }
    Ok(report)
}

/// The status code of a container that differs from the signed one (or, in a manifest without
/// [`CONTAINER_LABEL`], holds boxes or bytes no signature covers).
pub const CONTAINER_MISMATCH: &str = "org.provatar.container.mismatch";

/// Top-level boxes of an MP4 the BMFF hash covers or C2PA excludes by design.
const KNOWN_TOP_LEVEL: [&str; 8] = [
    "ftyp", "moov", "mdat", "moof", "mfra", "styp", "sidx", "meta",
];

fn stream_segment(data: &Value) -> Option<StreamSegment> {
    Some(StreamSegment {
        sequence: u32::try_from(data["sequence"].as_u64()?).ok()?,
        first_frame: data["first_frame"].as_u64()?,
        frames: data["frames"].as_u64()?,
        last: data["last"].as_bool()?,
    })
}

fn consent(data: &Value) -> Option<ConsentRef> {
    let text = |k: &str| data[k].as_str().map(str::to_owned);
    Some(ConsentRef {
        credential_id: text("credential_id")?,
        issuer: text("issuer")?,
        licensee: text("licensee")?,
        license_id: text("license_id"),
    })
}
