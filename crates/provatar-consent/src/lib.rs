//! The provatar gate: nothing is generated unless the person in the portrait agreed to it (a
//! consent credential from a trusted issuer), the integrator holds a valid license (from a
//! trusted vendor), and the policy allows the request.
//!
//! Credentials, licenses and revocation lists are JSON shaped as W3C Verifiable Credentials
//! (Data Model 2.0), signed with Ed25519 over their RFC 8785 canonical form (the
//! `eddsa-jcs-2022` cryptosuite), with keys named as `did:key`.
//!
//! This crate never depends on the codecs or the networks: it sees the portrait's bytes (and,
//! for approximate matching, its decoded pixels as a [`provatar_types::Frame`]).

pub mod did;
pub mod jcs;
pub mod keys;
pub mod proof;
