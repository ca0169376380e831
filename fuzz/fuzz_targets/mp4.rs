#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| provatar_media::fuzzing::mp4(data));
