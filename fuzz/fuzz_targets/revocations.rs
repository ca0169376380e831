//! Revocation lists from untrusted bytes: never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provatar_consent::TrustStore;

fuzz_target!(|data: &[u8]| {
    let mut trust = TrustStore::empty();
    let _ = trust.add_revocations_bytes(data);
});
