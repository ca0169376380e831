//! Writes a short MP4 with provatar's own writer, signs it with the development keys and prints
//! what a verifier reads back:
//!
//! ```text
//! cargo run -p provatar-provenance --example sign_sample -- OUT.mp4
//! ```

#![allow(clippy::print_stdout, reason = "an example that prints its report")]

use std::path::PathBuf;

use provatar_provenance::{
    ConsentRef, Generation, Ingredient, ManifestSpec, ManifestStore, Signer, TrustAnchors, read,
    sign,
};
use provatar_types::{ContentId, Frame};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: sign_sample OUT.mp4")?,
    );
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let plain = out.with_extension("unsigned.mp4");
    let mut writer = provatar_media::VideoWriter::create(
        &plain,
        provatar_media::EncoderSettings::new(256, 256, 25),
        None,
    )?;
    for i in 0..50u32 {
        let rgb: Vec<u8> = (0..256 * 256)
            .flat_map(|p: u32| {
                let (x, y) = (p % 256, p / 256);
                let v = ((x + y + 3 * i) % 256).to_le_bytes()[0];
                [v, v / 2, 255 - v]
            })
            .collect();
        writer.push_frame(&Frame::from_rgb(256, 256, rgb)?)?;
    }
    writer.finish()?;
    let spec = ManifestSpec {
        title: out
            .file_name()
            .map_or_else(|| "sample.mp4".into(), |n| n.to_string_lossy().into_owned()),
        content_id: ContentId::new(0x5a3b_1c2d_0e0f_1011),
        generation: Generation {
            emotion: "neutral".into(),
            emotion_strength: 0.5,
            gaze_degrees: [0.0, 0.0],
            seed: 1,
        },
        portrait: Ingredient {
            title: "portrait-astronaut.png".into(),
            format: "image/png".into(),
            sha256: "0".repeat(64),
        },
        audio: Ingredient {
            title: "speech-hello.wav".into(),
            format: "audio/wav".into(),
            sha256: "1".repeat(64),
        },
        consent: ConsentRef {
            credential_id: "urn:example:sample-consent".into(),
            issuer: "did:key:example".into(),
            licensee: "provatar-demo".into(),
            license_id: None,
        },
        allow_ai_training: false,
        stream: None,
        sound_fingerprint: None,
        picture_fingerprint: None,
    };
    let manifest = sign(
        &plain,
        &out,
        &spec,
        &Signer::from_dir(&repo.join("keys/dev"))?,
    )?;
    std::fs::remove_file(&plain)?;
    let store = ManifestStore::open(&std::env::temp_dir().join("provatar-sample-store"))?;
    let kept = store.put(spec.content_id, &manifest)?;
    let report = read(&out, &TrustAnchors::from_dir(&repo.join("keys/dev/trust"))?)?;
    println!("{}: {}", out.display(), report.state.name());
    println!("  signer: {}", report.signer.as_deref().unwrap_or("-"));
    println!("  codes: {:?}", report.codes);
    println!(
        "  content id (soft binding): {}",
        report
            .content_id
            .map_or_else(|| "-".into(), |c| c.to_string())
    );
    println!("  digital source type: {:?}", report.digital_source_type);
    println!("  consent: {:?}", report.consent);
    println!("  AI training: {:?}", report.ai_training);
    println!("  manifest kept at {}", kept.display());
    Ok(())
}
