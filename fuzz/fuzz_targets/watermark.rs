//! The watermark detector on arbitrary pictures (any size, any content, several frames) and a
//! key file parser on arbitrary text: results or errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provatar_types::Frame;
use provatar_watermark::{Key, VideoDetector, detect_frame};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Key::from_hex(text);
    }
    let [w, h, frames, rest @ ..] = data else { return };
    let (w, h) = (u32::from(*w % 96) + 1, u32::from(*h % 96) + 1);
    let len = (w * h * 3) as usize;
    if rest.is_empty() {
        return;
    }
    let key = Key::public();
    let mut detector = VideoDetector::new(&key);
    for i in 0..usize::from(*frames % 4) + 1 {
        let rgb: Vec<u8> = rest.iter().cycle().skip(i * 7).take(len).copied().collect();
        if let Ok(frame) = Frame::from_rgb(w, h, rgb) {
            if i == 0 {
                let _ = detect_frame(&frame, &key);
            }
            let _ = detector.push(&frame);
        }
    }
    let _ = detector.finish();
});
