//! Face analysis throughput: the whole analysis of a 1024×1024 portrait, and the optional
//! person mask. Run: `cargo bench -p provatar-face`; for the one-core figure,
//! `RAYON_NUM_THREADS=1 taskset -c 0 cargo bench -p provatar-face`. Figures go to
//! BENCHMARKS.md with the date and machine.

#![allow(clippy::unwrap_used, reason = "benchmark set-up")]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use provatar_face::FaceAnalyzer;
use provatar_media::{Frame, Limits, load_image};

fn portrait(side: u32) -> Frame {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../assets/sample/portrait-astronaut.png");
    let src = load_image(&path, &Limits::default()).unwrap().frame;
    let img = image::RgbImage::from_raw(src.width(), src.height(), src.rgb().to_vec()).unwrap();
    let out = image::imageops::resize(&img, side, side, image::imageops::FilterType::CatmullRom);
    Frame::from_rgb(side, side, out.into_raw()).unwrap()
}

fn analysis(c: &mut Criterion) {
    let analyzer = FaceAnalyzer::new().unwrap();
    let big = portrait(1024);
    let mut group = c.benchmark_group("face");
    group.sample_size(20);
    group.bench_function("analyze 1024x1024", |b| {
        b.iter(|| black_box(analyzer.analyze(&big).unwrap()));
    });
    let small = portrait(512);
    group.bench_function("person mask 512x512", |b| {
        b.iter(|| black_box(analyzer.person_mask(&small).unwrap()));
    });
    group.bench_function("load models", |b| {
        b.iter(|| black_box(FaceAnalyzer::new().unwrap()));
    });
    group.finish();
}

criterion_group!(benches, analysis);
criterion_main!(benches);
