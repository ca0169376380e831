//! Renders a portrait speaking a clip and writes the unmarked frames as raw RGB to stdout: the
//! source clips of the watermark benchmark's talking-head set (`scripts/watermark-bench
//! --clips avatar`), so that provatar's mark and the peer's are measured on the content
//! provatar actually makes (a still background, a moving head).
//!
//! ```text
//! render_raw PORTRAIT CONSENT AUDIO FRAMES SEED > frames.rgb   (512×512, 25 fps)
//! ```
//! The portrait must pass the consent gate with `CONSENT` (issued with the development issuer
//! key in `keys/dev` for the sample's licensee), the sample's license and the development trust
//! store: like every render, this one is gated. The frames are not watermarked: they are the
//! benchmark's input, never a published video.

use std::io::Write;
use std::path::PathBuf;

use provatar_face::FaceAnalyzer;
use provatar_motion::{Controls, drive};
use provatar_render::Renderer;
use provatar_types::Limits;

#[path = "../tests/common/mod.rs"]
mod common;
use common::admit_with;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [portrait, consent, audio, frames, seed] = args.as_slice() else {
        return Err("usage: render_raw PORTRAIT CONSENT AUDIO FRAMES SEED > frames.rgb".into());
    };
    let (frames, seed): (usize, u64) = (frames.parse()?, seed.parse()?);
    let limits = Limits::default();
    let picture = provatar_media::load_image(portrait.as_ref(), &limits)?.frame;
    // As `generate` analyses it: with the person mask, so the head moves over the plate.
    let rig = FaceAnalyzer::new()?
        .with_person_mask(true)
        .analyze(&picture)?;
    let speech = provatar_media::load_audio(audio.as_ref(), &limits)?.analysis;
    let track = drive(
        &speech,
        &Controls {
            seed,
            ..Controls::default()
        },
    )?;
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let admission = admit_with(&repo, portrait.as_ref(), &picture, consent.as_ref())?;
    let mut renderer = Renderer::new(&admission, &picture, &rig, 512)?;
    let mut out = std::io::stdout().lock();
    for m in track.frames.iter().take(frames) {
        out.write_all(renderer.frame(m)?.rgb())?;
    }
    out.flush()?;
    Ok(())
}
