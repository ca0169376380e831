//! Consent credentials from untrusted bytes: parsing, proof checking and every gate check must
//! return an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provatar_consent::{ConsentCredential, Doc, Policy, Signed, TrustStore, check_consent};

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = Signed::<ConsentCredential>::parse(Doc::Consent, data) {
        let mut trust = TrustStore::empty();
        trust.add_issuer(&c.doc.issuer);
        let _ = check_consent(&c, &trust, &Policy::default_policy(), chrono::Utc::now(), None, Some("x"));
        let _ = c.to_json();
    }
});
