use std::io::Cursor;

use provatar_media::{
    ColorMatrix, EncoderSettings, FragmentedVideoWriter, Limits, Segment, VideoDecoder,
    VideoWriter, mp4,
};

use crate::{codec_psnr, moving_frames, tone_with_click};

const FPS: u32 = 25;

/// A plain MP4 of `frames` (and `audio`) at 25 fps, in memory.
pub(crate) fn encode(
    frames: &[provatar_media::Frame],
    audio: Option<&provatar_media::PcmTrack>,
) -> Vec<u8> {
    let settings = EncoderSettings::new(frames[0].width(), frames[0].height(), FPS);
    let mut writer = VideoWriter::new(Cursor::new(Vec::new()), settings, audio).unwrap();
    for f in frames {
        writer.push_frame(f).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn plain_mp4_round_trip_keeps_frames_quality_and_sync() {
    let frames = moving_frames(30, 512);
    let audio = tone_with_click(1.2, 0.6);
    let bytes = encode(&frames, Some(&audio));

    let mut decoder = VideoDecoder::from_bytes(bytes, &Limits::default()).unwrap();
    let info = decoder.info();
    assert_eq!((info.video.width, info.video.height), (512, 512));
    assert!(
        (info.video.fps - 25.0).abs() < 1e-9,
        "fps {}",
        info.video.fps
    );
    assert_eq!(info.video.profile.as_deref(), Some("main"));
    let colour = info.video.colour.unwrap();
    assert_eq!(
        (
            colour.primaries,
            colour.transfer,
            colour.matrix,
            colour.full_range
        ),
        (1, 1, 1, false)
    );
    assert_eq!(decoder.color_matrix(), ColorMatrix::Bt709);

    let mut count = 0;
    let mut worst = f64::INFINITY;
    while let Some(frame) = decoder.next_frame().unwrap() {
        let i = frame.index as usize;
        assert!((frame.pts_seconds - i as f64 / 25.0).abs() < 1e-9);
        worst = worst.min(codec_psnr(&frames[i], &frame.picture));
        count += 1;
    }
    assert_eq!(count, frames.len());
    assert!(worst >= 35.0, "worst frame PSNR {worst:.2} dB");

    let track = decoder.decode_audio().unwrap().unwrap();
    assert_eq!(track.sample_rate(), 48_000);
    assert_eq!(track.channels(), 2);
    // Within one video frame of the input's length.
    assert!(
        (track.duration_seconds() - audio.duration_seconds()).abs() <= 1.0 / 25.0,
        "audio {} s",
        track.duration_seconds()
    );
    // The click stays where it was: A/V sync through priming and the edit list.
    let click = track.samples().chunks(2).position(|f| f[0] > 0.5).unwrap();
    let at = click as f64 / 48_000.0;
    assert!((at - 0.6).abs() < 0.003, "click at {at:.4} s");
}

#[test]
fn video_without_audio() {
    let frames = moving_frames(5, 128);
    let bytes = encode(&frames, None);
    let mut decoder = VideoDecoder::from_bytes(bytes, &Limits::default()).unwrap();
    assert!(decoder.info().audio.is_none());
    assert!(decoder.decode_audio().unwrap().is_none());
    let mut n = 0;
    while decoder.next_frame().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 5);
}

#[test]
fn writer_refuses_wrong_frame_size_and_empty_video() {
    let settings = EncoderSettings::new(64, 64, FPS);
    let mut writer = VideoWriter::new(Cursor::new(Vec::new()), settings, None).unwrap();
    let wrong = provatar_media::Frame::black(32, 32).unwrap();
    assert!(matches!(
        writer.push_frame(&wrong),
        Err(provatar_media::Error::FrameSize { .. })
    ));
    assert!(writer.finish().is_err());
    assert!(
        EncoderSettings::new(63, 64, FPS)
            .pipe(|s| VideoWriter::new(Cursor::new(Vec::new()), s, None))
            .is_err()
    );
}

trait Pipe: Sized {
    fn pipe<R>(self, f: impl FnOnce(Self) -> R) -> R {
        f(self)
    }
}
impl<T> Pipe for T {}

/// Writes a fragmented stream (init + fragments) and reads the concatenation back.
pub(crate) fn fragmented(
    frames: &[provatar_media::Frame],
    audio: &provatar_media::PcmTrack,
    per_fragment: u32,
) -> (Vec<u8>, Vec<Segment>) {
    let settings = EncoderSettings::new(frames[0].width(), frames[0].height(), FPS);
    let mut writer = FragmentedVideoWriter::new(
        settings,
        Some((audio.sample_rate(), audio.channels())),
        per_fragment,
    )
    .unwrap();
    let mut segments = Vec::new();
    let per_frame = audio.samples().len() / frames.len();
    for (i, f) in frames.iter().enumerate() {
        // Audio arrives in pieces that do not line up with frames.
        let chunk = &audio.samples()[i * per_frame..(i + 1) * per_frame];
        writer.push_audio(chunk).unwrap();
        segments.extend(writer.push_frame(f).unwrap());
    }
    let rest = &audio.samples()[frames.len() * per_frame..];
    writer.push_audio(rest).unwrap();
    segments.extend(writer.finish().unwrap());
    let mut bytes = Vec::new();
    for s in &segments {
        match s {
            Segment::Init(b) | Segment::Media { bytes: b, .. } => bytes.extend_from_slice(b),
        }
    }
    (bytes, segments)
}

#[test]
fn fragmented_mp4_round_trip() {
    let frames = moving_frames(30, 256);
    let audio = tone_with_click(1.2, 0.6);
    let (bytes, segments) = fragmented(&frames, &audio, 10);
    assert!(matches!(segments[0], Segment::Init(_)));
    let media: Vec<_> = segments
        .iter()
        .filter_map(|s| match s {
            Segment::Media {
                first_frame,
                frames,
                ..
            } => Some((*first_frame, *frames)),
            Segment::Init(_) => None,
        })
        .collect();
    // Three full fragments; the audio that outlasts the last frame (the encoder's look-ahead
    // padding) may follow in an audio-only fragment.
    assert_eq!(media[..3], [(0, 10), (10, 10), (20, 10)]);
    assert!(
        media[3..].iter().all(|&(first, n)| first == 30 && n == 0),
        "{media:?}"
    );

    let file = mp4::parse(&bytes, &Limits::default()).unwrap();
    assert!(file.fragmented);
    let video = file.video().unwrap();
    assert_eq!(video.samples.len(), 30);
    // Every fragment starts on a keyframe.
    for k in [0, 10, 20] {
        assert!(video.samples[k].sync, "frame {k} is not a keyframe");
    }
    let mut decoder = VideoDecoder::from_bytes(bytes, &Limits::default()).unwrap();
    let mut worst = f64::INFINITY;
    let mut n = 0;
    while let Some(frame) = decoder.next_frame().unwrap() {
        worst = worst.min(codec_psnr(&frames[frame.index as usize], &frame.picture));
        n += 1;
    }
    assert_eq!(n, 30);
    assert!(worst >= 35.0, "worst frame PSNR {worst:.2} dB");
    let track = decoder.decode_audio().unwrap().unwrap();
    assert!((track.duration_seconds() - audio.duration_seconds()).abs() <= 0.04);
    let click = track.samples().chunks(2).position(|f| f[0] > 0.5).unwrap();
    assert!((click as f64 / 48_000.0 - 0.6).abs() < 0.003);
}
