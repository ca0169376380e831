//! Shared by the render tests and the contact-sheet example (`#[path]`-included there).

use std::path::Path;

use provatar_consent::{
    Admission, ConsentCredential, Doc, Gate, IntegratorLicense, Policy, Portrait, Request, Signed,
    TrustStore,
};
use provatar_types::Frame;

/// Admits the bundled sample through the consent gate (development trust store, the sample's
/// consent credential and license): the renderer only runs for an admitted portrait.
#[allow(dead_code, reason = "not every includer renders the sample")]
pub(crate) fn admit(
    repo: &Path,
    portrait_path: &Path,
    portrait: &Frame,
) -> Result<Admission, Box<dyn std::error::Error>> {
    admit_with(
        repo,
        portrait_path,
        portrait,
        &repo.join("assets/sample/consent.json"),
    )
}

/// Admits a portrait with its own consent credential (issued by the development issuer), the
/// sample's license and the development trust store.
pub(crate) fn admit_with(
    repo: &Path,
    portrait_path: &Path,
    portrait: &Frame,
    consent_path: &Path,
) -> Result<Admission, Box<dyn std::error::Error>> {
    let trust = TrustStore::load(&repo.join("keys/dev/trust"))?;
    let policy = Policy::default_policy();
    let bytes = std::fs::read(portrait_path)?;
    let consent = Signed::<ConsentCredential>::parse(Doc::Consent, &std::fs::read(consent_path)?)?;
    let license = Signed::<IntegratorLicense>::parse(
        Doc::License,
        &std::fs::read(repo.join("assets/sample/license.json"))?,
    )?;
    Ok(Gate::new(&trust, &policy).admit(
        &Portrait {
            bytes: &bytes,
            pixels: Some(portrait),
        },
        Some(&consent),
        &license,
        &Request {
            clip_seconds: 10.0,
            emotion: "neutral".into(),
            emotion_strength: 0.5,
            size: 512,
            streaming: false,
        },
    )?)
}
