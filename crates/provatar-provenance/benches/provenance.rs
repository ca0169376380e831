//! Signing and reading a 10-s 512×512 MP4 (250 frames of the bundled portrait panning, made
//! once with provatar's writer), beside c2patool signing the same file with the same key. Run: `cargo bench -p provatar-provenance`.

#![allow(clippy::unwrap_used, reason = "benchmark set-up")]

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use provatar_provenance::{
    ConsentRef, Generation, Ingredient, ManifestSpec, Signer, TrustAnchors, read, sign,
};
use provatar_types::{ContentId, Frame};

fn video(repo: &Path, path: &Path) {
    // The bundled portrait, panned a pixel per frame: a file of realistic size (a few MB).
    let portrait = provatar_media::load_image(
        &repo.join("assets/sample/portrait-astronaut.png"),
        &provatar_types::Limits::default(),
    )
    .unwrap()
    .frame;
    let (w, h) = (portrait.width() as usize, portrait.height() as usize);
    let mut writer = provatar_media::VideoWriter::create(
        path,
        provatar_media::EncoderSettings::new(512, 512, 25),
        None,
    )
    .unwrap();
    for i in 0..250usize {
        let mut rgb = Vec::with_capacity(512 * 512 * 3);
        for y in 0..512 {
            for x in 0..512 {
                let p = ((y % h) * w + (x + i) % w) * 3;
                rgb.extend_from_slice(&portrait.rgb()[p..p + 3]);
            }
        }
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
        stream: None,
        sound_fingerprint: None,
        picture_fingerprint: None,
    }
}

fn provenance(c: &mut Criterion) {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().unwrap();
    let (plain, signed) = (dir.path().join("plain.mp4"), dir.path().join("signed.mp4"));
    video(&repo, &plain);
    eprintln!(
        "input: 250 frames, {} bytes",
        std::fs::metadata(&plain).unwrap().len()
    );
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
    // The reference: c2patool signing the same file with the same key (a process per run, as a
    // user would call it). Present once `scripts/c2patool-check` has installed it.
    let tool = repo.join("target/c2patool/bin/c2patool");
    if tool.is_file() {
        let definition = dir.path().join("manifest.json");
        let keys = repo.join("keys/dev");
        let json = serde_json::json!({
            "alg": "ed25519",
            "private_key": keys.join("signer.key"),
            "sign_cert": keys.join("signer-chain.pem"),
            "claim_generator_info": [{"name": "c2patool-bench", "version": "1"}],
            "title": "bench.mp4",
            "assertions": [{"label": "c2pa.actions", "data": {"actions": [{
                "action": "c2pa.created",
                "digitalSourceType":
                    "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
            }]}}]
        });
        std::fs::write(&definition, json.to_string()).unwrap();
        let out = dir.path().join("c2patool.mp4");
        group.bench_function("c2patool sign (same file, same key)", |b| {
            b.iter(|| {
                let status = std::process::Command::new(&tool)
                    .arg(&plain)
                    .arg("-m")
                    .arg(&definition)
                    .arg("-o")
                    .arg(&out)
                    .arg("-f")
                    .stdout(std::process::Stdio::null())
                    .status()
                    .unwrap();
                assert!(status.success(), "c2patool failed");
            });
        });
    } else {
        eprintln!("c2patool not installed (scripts/c2patool-check installs it): skipped");
    }
    group.finish();
}

criterion_group!(benches, provenance);
criterion_main!(benches);
