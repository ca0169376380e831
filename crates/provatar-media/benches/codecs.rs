//! Media throughput at the sizes provatar works at: H.264 encode and decode of 512×512 frames,
//! colour conversion, and audio decode + resample. Run: `cargo bench -p provatar-media`.
//! Figures go to BENCHMARKS.md with the date and machine.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    reason = "benchmark set-up"
)]

use std::hint::black_box;
use std::io::Cursor;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use provatar_media::{
    ColorMatrix, EncoderSettings, Frame, H264Encoder, Limits, VideoDecoder, VideoWriter,
    Yuv420Frame, decode_audio, load_image, rgb_to_yuv420, to_analysis,
};

const FRAMES: usize = 50;
const SIZE: u32 = 512;

fn asset(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../assets/sample")
        .join(name)
}

/// The sample portrait with a slow pan and a small moving patch: texture and motion like a
/// talking head's, not a static image the encoder could skip.
fn frames() -> Vec<Frame> {
    let portrait = load_image(&asset("portrait-astronaut.png"), &Limits::default())
        .unwrap()
        .frame;
    let s = SIZE as usize;
    (0..FRAMES)
        .map(|i| {
            let mut f = portrait.clone();
            let src = portrait.rgb();
            let dst = f.rgb_mut();
            for y in 0..s {
                for x in 0..s {
                    let sx = (x + i / 2) % s;
                    dst[(y * s + x) * 3..(y * s + x) * 3 + 3]
                        .copy_from_slice(&src[(y * s + sx) * 3..(y * s + sx) * 3 + 3]);
                }
            }
            // A "mouth" region that changes every frame.
            for y in 300..340 {
                for x in 220..290 {
                    let v = u8::try_from((x + y + i * 9) % 256).unwrap();
                    dst[(y * s + x) * 3..(y * s + x) * 3 + 3].copy_from_slice(&[v, v / 2, v / 3]);
                }
            }
            f
        })
        .collect()
}

fn video(c: &mut Criterion) {
    let rgb = frames();
    let yuv: Vec<Yuv420Frame> = rgb
        .iter()
        .map(|f| rgb_to_yuv420(f, ColorMatrix::Bt709).unwrap())
        .collect();
    let mut group = c.benchmark_group("video_512");
    group.throughput(Throughput::Elements(FRAMES as u64));
    group.sample_size(20);

    group.bench_function("rgb_to_yuv420", |b| {
        let mut out = Yuv420Frame::black(SIZE, SIZE).unwrap();
        b.iter(|| {
            for f in &rgb {
                provatar_media::rgb_to_yuv420_into(f, ColorMatrix::Bt709, &mut out);
            }
            black_box(&out);
        });
    });

    group.bench_function("h264_encode", |b| {
        b.iter(|| {
            let mut enc = H264Encoder::new(EncoderSettings::new(SIZE, SIZE, 25)).unwrap();
            for f in &yuv {
                black_box(enc.encode(f).unwrap());
            }
        });
    });

    let mut writer = VideoWriter::new(
        Cursor::new(Vec::new()),
        EncoderSettings::new(SIZE, SIZE, 25),
        None,
    )
    .unwrap();
    for f in &rgb {
        writer.push_frame(f).unwrap();
    }
    let mp4 = writer.finish().unwrap().into_inner();
    eprintln!(
        "encoded {FRAMES} frames: {} bytes ({:.0} kbit/s at 25 fps)",
        mp4.len(),
        mp4.len() as f64 * 8.0 / (FRAMES as f64 / 25.0) / 1000.0
    );

    group.bench_function("h264_decode", |b| {
        b.iter(|| {
            let mut dec = VideoDecoder::from_bytes(mp4.clone(), &Limits::default()).unwrap();
            while let Some(f) = dec.next_frame().unwrap() {
                black_box(f);
            }
        });
    });

    group.bench_function("mp4_write_rgb_end_to_end", |b| {
        b.iter(|| {
            let mut w = VideoWriter::new(
                Cursor::new(Vec::new()),
                EncoderSettings::new(SIZE, SIZE, 25),
                None,
            )
            .unwrap();
            for f in &rgb {
                w.push_frame(f).unwrap();
            }
            black_box(w.finish().unwrap());
        });
    });
    group.finish();
}

fn audio(c: &mut Criterion) {
    let wav = std::fs::read(asset("speech-hello.wav")).unwrap();
    let loaded = decode_audio(&wav, &Limits::default()).unwrap();
    let seconds = loaded.original.duration_seconds();
    let mut group = c.benchmark_group("audio");
    // Throughput in milliseconds of audio, so "elements/s" reads as ms of audio per second.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a few seconds"
    )]
    group.throughput(Throughput::Elements((seconds * 1000.0) as u64));
    group.bench_function("wav_decode_and_resample_16k", |b| {
        b.iter(|| black_box(decode_audio(&wav, &Limits::default()).unwrap()));
    });
    group.bench_function("resample_to_16k_mono", |b| {
        b.iter(|| black_box(to_analysis(&loaded.original).unwrap()));
    });
    group.bench_function("opus_encode", |b| {
        b.iter(|| black_box(provatar_media::encode_track(&loaded.original).unwrap()));
    });
    group.finish();
}

criterion_group!(benches, video, audio);
criterion_main!(benches);
