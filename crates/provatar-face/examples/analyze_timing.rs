//! Times the whole analysis of a portrait scaled to 1024×1024, stage by stage:
//! `taskset -c 0 cargo run --release -p provatar-face --example analyze_timing [IMAGE]`
//! (`taskset -c 0` holds it to one core, the figure the target is set for).

use std::path::PathBuf;
use std::time::Instant;

use provatar_face::FaceAnalyzer;
use provatar_media::{Frame, Limits, load_image};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../assets/sample/portrait-astronaut.png")
        },
        PathBuf::from,
    );
    let src = load_image(&path, &Limits::default())?.frame;
    let frame = resize(&src, 1024, 1024)?;
    let analyzer = FaceAnalyzer::new()?;
    analyzer.analyze(&frame)?;
    let runs = 20u32;
    let start = Instant::now();
    for _ in 0..runs {
        analyzer.analyze(&frame)?;
    }
    let ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(runs);
    eprintln!(
        "analyze 1024×1024 ({}): {ms:.1} ms per portrait",
        path.display()
    );
    Ok(())
}

fn resize(src: &Frame, w: u32, h: u32) -> Result<Frame, Box<dyn std::error::Error>> {
    let img = image::RgbImage::from_raw(src.width(), src.height(), src.rgb().to_vec())
        .ok_or("bad frame")?;
    let out = image::imageops::resize(&img, w, h, image::imageops::FilterType::CatmullRom);
    Ok(Frame::from_rgb(w, h, out.into_raw())?)
}
