//! The provatar gate: nothing is generated unless the person in the portrait agreed to it (a
//! consent credential from a trusted issuer), the integrator holds a valid license (from a
//! trusted vendor), and the policy allows the request.
//!
//! Credentials, licenses and revocation lists are JSON shaped as W3C Verifiable Credentials
//! (Data Model 2.0), signed with Ed25519 over their RFC 8785 canonical form (the
//! `eddsa-jcs-2022` cryptosuite), with keys named as `did:key`. [`Gate::admit`] runs every check
//! and returns an [`Admission`], which only this crate can make: the generation pipeline takes
//! one, so there is no ungated path to a rendered frame.
//!
//! This crate never depends on the codecs or the networks: it sees the portrait's bytes (and,
//! for approximate matching, its decoded pixels as a [`provatar_types::Frame`]).

pub mod did;
mod documents;
mod error;
mod gate;
pub mod jcs;
pub mod keys;
pub mod phash;
mod policy;
pub mod proof;
mod trust;

pub use documents::{
    ConsentCredential, ConsentLimits, ConsentRequest, ConsentSubject, Credential,
    IntegratorLicense, LicenseFeatures, LicenseSubject, MAX_DOCUMENT_BYTES, PROVATAR_CONTEXT,
    PortraitBinding, Revocation, RevocationList, Signed, TALKING_AVATAR, VC_CONTEXT, new_id,
    parse_time, timestamp,
};
pub use error::{Doc, GateError};
pub use gate::{
    Admission, ConsentFacts, Gate, LicenseFacts, Portrait, Request, check_consent, check_license,
    sha256_hex,
};
pub use policy::{AiTraining, DEFAULT_POLICY, EMOTIONS, Policy, PortraitMatch, STRICT_POLICY};
pub use trust::TrustStore;
