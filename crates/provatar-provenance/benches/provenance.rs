//! Signing and reading a 10-s 512×512 MP4 (250 frames of moving pattern, made once with
//! provatar's writer). Run: `cargo bench -p provatar-provenance`.

#![allow(clippy::unwrap_used, reason = "benchmark set-up")]

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use provatar_provenance::{
    ConsentRef, Generation, Ingredient, ManifestSpec, Signer, TrustAnchors, read, sign,
};
use provatar_types::{ContentId, Frame};

fn video(path: &Path) {
    let mut writer = provatar_media::VideoWriter::create(
        path,
        provatar_media::EncoderSettings::new(512, 512, 25),
        None,
    )
    .unwrap();
    for i in 0..250u32 {
        let rgb: Vec<u8> = (0..512 * 512)
            .flat_map(|p: u32| {
                let v = ((p % 512 + p / 512 + 2 * i) % 256).to_le_bytes()[0];
                [v, 255 - v, v / 2]
            })
            .collect();
        writer
            .push_frame(&Frame::from_rgb(512, 512, rgb).unwrap())
            .unwrap();
    }
    writer.finish().unwrap();
}

fn spec() -> ManifestSpec {
    let ingredient = |title: &str, format: &str| Ingredient {
        title: title.into(),
        format: format.into(),
        sha256: "0".repeat(64),
    };
    ManifestSpec {
        title: "bench.mp4".into(),
        content_id: ContentId::new(1),
        generation: Generation {
            emotion: "neutral".into(),
            emotion_strength: 0.5,
            gaze_degrees: [0.0, 0.0],
            seed: 0,
        },
        portrait: ingredient("portrait.png", "image/png"),
        audio: ingredient("speech.wav", "audio/wav"),
        consent: ConsentRef {
            credential_id: "urn:bench".into(),
            issuer: "did:key:bench".into(),
            licensee: "bench".into(),
            license_id: None,
        },
        allow_ai_training: false,
    }
}

fn provenance(c: &mut Criterion) {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().unwrap();
    let (plain, signed) = (dir.path().join("plain.mp4"), dir.path().join("signed.mp4"));
    video(&plain);
    let signer = Signer::from_dir(&repo.join("keys/dev")).unwrap();
    let trust = TrustAnchors::from_dir(&repo.join("keys/dev/trust")).unwrap();
    let mut group = c.benchmark_group("provenance, 10 s 512x512 MP4");
    group.sample_size(10);
    group.bench_function("sign", |b| {
        b.iter(|| black_box(sign(&plain, &signed, &spec(), &signer).unwrap()));
    });
    group.bench_function("read and validate", |b| {
        b.iter(|| black_box(read(&signed, &trust).unwrap()));
    });
    group.finish();
}

criterion_group!(benches, provenance);
criterion_main!(benches);
