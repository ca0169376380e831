//! Policy files from untrusted bytes: never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provatar_consent::Policy;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Policy::parse(text);
    }
});
