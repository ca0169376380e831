//! C2PA provenance for provatar's videos (issue 6, in progress): sign a finished MP4 with a
//! manifest that says what made it and under which consent, read any MP4's manifest back into
//! a verdict, and keep every manifest in a local store keyed by the watermark's content id.
//!
//! - [`sign`]: `c2pa.actions` (`c2pa.created` with digital source type
//!   `trainedAlgorithmicMedia`, the software agent and the generation parameters;
//!   `c2pa.watermarked`), the portrait and audio as `inputTo` ingredients (hash and format,
//!   no thumbnail), a `c2pa.soft-binding` assertion with the watermark's content id (algorithm
//!   [`SOFT_BINDING_ALG`]), the consent reference ([`CONSENT_LABEL`]) and
//!   `cawg.training-mining`, and the container's layout outside the media hash
//!   ([`CONTAINER_LABEL`]: the `ftyp` box, the top-level box types); Ed25519, with a local key
//!   or an [`ExternalSigner`].
//! - [`read`]: validation state against [`TrustAnchors`] — [`ManifestState`] — with the
//!   status codes, signer, time and the assertions above parsed back.
//! - [`ManifestStore`]: `put` on signing, `recover(content_id)` for a stripped copy.

mod container;
mod error;
mod read;
mod signer;
mod spec;
mod store;

use std::path::Path;

pub use container::{CONTAINER_LABEL, Layout};
pub use error::{Error, Result};
pub use read::{CONTAINER_MISMATCH, ManifestReport, ManifestState, TrustAnchors, read, read_bytes};
pub use signer::{ExternalSigner, Signer};
pub use spec::{
    CONSENT_LABEL, ConsentRef, FINGERPRINT_LABEL, Generation, Ingredient, ManifestSpec,
    SOFT_BINDING_ALG, STREAM_LABEL, StreamSegment, TRAINED_ALGORITHMIC_MEDIA,
};
pub use store::ManifestStore;

/// The software agent provatar names in its manifests.
pub const SOFTWARE_AGENT: (&str, &str) = ("provatar", env!("CARGO_PKG_VERSION"));

/// Signs the MP4 `input` into `output` with a manifest built from `spec`, and returns the
/// manifest store (the bytes [`ManifestStore::put`] keeps).
///
/// `output` appears only complete: the signed file is written next to it and renamed.
///
/// # Errors
/// An unreadable input, a manifest or signature the C2PA library refuses, or an output that
/// cannot be written; on error no `output` is left behind.
pub fn sign(input: &Path, output: &Path, spec: &ManifestSpec, signer: &Signer) -> Result<Vec<u8>> {
    let mut builder = c2pa::Builder::from_context(c2pa::Context::new())
        .with_definition(spec.definition(SOFTWARE_AGENT))?;
    // The container outside the media hash; signing adds only the C2PA box, which the layout
    // leaves out.
    let plain = provatar_types::read_limited(input, provatar_types::Limits::DEFAULT.max_file_bytes)
        .map_err(Error::io(input))?;
    let layout = Layout::of(&plain).map_err(|e| Error::io(input)(std::io::Error::other(e)))?;
    builder.add_assertion_json(CONTAINER_LABEL, &layout.assertion())?;
    let mut source = std::io::Cursor::new(plain);
    let dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let name = output
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.signing"));
    let result = (|| {
        let mut dest = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(Error::io(&tmp))?;
        let manifest = builder
            .sign(&signer.c2pa(), "video/mp4", &mut source, &mut dest)
            .map_err(|e| {
                let text = e.to_string();
                if text.contains("certificate") {
                    Error::SignerCertificate(text)
                } else {
                    Error::from(e)
                }
            })?;
        dest.sync_all().map_err(Error::io(&tmp))?;
        std::fs::rename(&tmp, output).map_err(Error::io(output))?;
        Ok(manifest)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
