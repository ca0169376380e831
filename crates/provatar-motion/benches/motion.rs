//! Motion speed on one core: the bundled 5.5-s speech clip, batch and streamed in 20-ms chunks.
//! Run: `cargo bench -p provatar-motion`. The target is 2,000 frames per second or more.

#![allow(clippy::unwrap_used, reason = "benchmark set-up")]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use provatar_motion::{Controls, MotionStream, drive};
use provatar_types::Limits;

fn motion(c: &mut Criterion) {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/sample/speech-hello.wav");
    let audio = provatar_media::load_audio(&path, &Limits::default())
        .unwrap()
        .analysis;
    let controls = Controls::default();
    let frames = drive(&audio, &controls).unwrap().frames.len() as u64;
    let mut group = c.benchmark_group("motion, 5.5-s speech at 25 fps");
    group.throughput(Throughput::Elements(frames));
    group.bench_function("drive (batch)", |b| {
        b.iter(|| black_box(drive(&audio, &controls).unwrap()));
    });
    group.bench_function("stream, 20-ms chunks", |b| {
        b.iter(|| {
            let mut stream = MotionStream::new(&controls).unwrap();
            let mut n = 0;
            for chunk in audio.samples().chunks(320) {
                n += stream.push(chunk).unwrap().len();
            }
            n += stream.finish().len();
            black_box(n)
        });
    });
    group.finish();
}

criterion_group!(benches, motion);
criterion_main!(benches);
