//! Integrator licenses from untrusted bytes: never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provatar_consent::{Doc, IntegratorLicense, Signed, TrustStore, check_license};

fuzz_target!(|data: &[u8]| {
    if let Ok(l) = Signed::<IntegratorLicense>::parse(Doc::License, data) {
        let mut trust = TrustStore::empty();
        trust.add_vendor(&l.doc.issuer);
        let _ = check_license(&l, &trust, 300, chrono::Utc::now());
    }
});
