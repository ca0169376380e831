//! A stream fed in odd chunk sizes makes the same motion as batch `generate` with the same
//! seed (the motion engine is causal and chunk-independent), its frames carry the stream's
//! content id and running frame indices, and its segments tile the frames in order.

#![allow(
    clippy::cast_possible_truncation,
    reason = "frame counts and indices of a 5-s clip"
)]

use std::path::PathBuf;

use provatar::watermark::{Key, detect_frame};
use provatar::{GenerateRequest, StreamRequest, StreamSession};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn odd_chunks_give_the_batch_motion_and_marked_frames() {
    let repo = repo();
    let sample = repo.join("assets/sample");
    let keys = repo.join("keys/dev");
    let dir = tempfile::tempdir().unwrap();
    let controls = provatar::motion::Controls {
        seed: 11,
        ..provatar::motion::Controls::default()
    };
    let batch = provatar::generate(
        &GenerateRequest {
            portrait: sample.join("portrait-astronaut.png"),
            audio: sample.join("speech-hello.wav"),
            consent: Some(sample.join("consent.json")),
            license: sample.join("license.json"),
            out: dir.path().join("batch.mp4"),
            signer: keys.clone(),
            trust: keys.join("trust"),
            store: dir.path().join("store"),
            policy: provatar::consent::Policy::default_policy(),
            controls: controls.clone(),
            size: 256,
        },
        &mut |_, _| {},
    )
    .unwrap();

    let mut session = StreamSession::open(&StreamRequest {
        portrait: sample.join("portrait-astronaut.png"),
        consent: Some(sample.join("consent.json")),
        license: sample.join("license.json"),
        signer: keys.clone(),
        trust: keys.join("trust"),
        store: dir.path().join("store"),
        policy: provatar::consent::Policy::default_policy(),
        controls,
        size: 256,
        fragment_frames: 30,
        name: "t".into(),
        recording: None,
    })
    .unwrap();
    let id = session.content_id();
    let audio = provatar::media::load_audio(
        &sample.join("speech-hello.wav"),
        &provatar::media::Limits::default(),
    )
    .unwrap();
    let samples = audio.analysis.samples();
    let (mut frames, mut segments) = (Vec::new(), Vec::new());
    let sizes = [1usize, 317, 7, 4000, 320, 13];
    let mut at = 0;
    for k in 0.. {
        if at >= samples.len() {
            break;
        }
        let end = (at + sizes[k % sizes.len()]).min(samples.len());
        let out = session.push_audio(&samples[at..end]).unwrap();
        frames.extend(out.frames);
        segments.extend(out.segments);
        at = end;
    }
    let (out, summary) = session.finish().unwrap();
    frames.extend(out.frames);
    segments.extend(out.segments);

    assert_eq!(summary.frames as usize, batch.frames);
    assert_eq!(frames.len(), batch.motion.frames.len());
    for (f, m) in frames.iter().zip(&batch.motion.frames) {
        assert_eq!(&f.motion, m, "frame {}", f.index);
    }
    for (k, f) in frames.iter().enumerate() {
        assert_eq!(f.index, k as u64);
    }
    // Frames are marked with the stream's id and their index (spot checks).
    for k in [0usize, 64, frames.len() - 1] {
        let d = detect_frame(&frames[k].frame, &Key::public());
        assert_eq!(d.content_id, Some(id), "frame {k}");
        assert_eq!(d.per_frame[0].frame_index, Some(k as u16), "frame {k}");
    }
    // Segments: 30 frames each, in order, the last one marked.
    let mut next = 0;
    for (k, s) in segments.iter().enumerate() {
        assert_eq!(s.place.sequence as usize, k);
        assert_eq!(s.place.first_frame, next);
        assert_eq!(s.place.last, k + 1 == segments.len());
        next += s.place.frames;
    }
    assert_eq!(next as usize, batch.frames);
    assert_eq!(segments.len(), batch.frames.div_ceil(30));
}

#[test]
fn a_license_without_streaming_is_refused() {
    // The sample license allows streaming; a session with a garbage license never opens.
    let repo = repo();
    let sample = repo.join("assets/sample");
    let keys = repo.join("keys/dev");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("license.json");
    std::fs::write(&bad, b"{\"not\": \"a license\"}").unwrap();
    let err = StreamSession::open(&StreamRequest {
        portrait: sample.join("portrait-astronaut.png"),
        consent: Some(sample.join("consent.json")),
        license: bad,
        signer: keys.clone(),
        trust: keys.join("trust"),
        store: dir.path().join("store"),
        policy: provatar::consent::Policy::default_policy(),
        controls: provatar::motion::Controls::default(),
        size: 256,
        fragment_frames: 0,
        name: "t".into(),
        recording: None,
    })
    .unwrap_err();
    assert!(err.to_string().contains("license"), "{err}");
}
