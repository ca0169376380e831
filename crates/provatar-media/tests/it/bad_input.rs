use provatar_media::{Error, Limits, decode_audio, decode_image, probe_bytes};

#[test]
fn empty_input_is_refused_everywhere() {
    assert!(matches!(
        decode_image(b"", &Limits::default()),
        Err(Error::Empty)
    ));
    assert!(matches!(
        decode_audio(b"", &Limits::default()),
        Err(Error::Empty)
    ));
    assert!(probe_bytes(Vec::new(), &Limits::default()).is_err());
}

#[test]
fn png_bomb_header_is_refused_before_decoding() {
    // A valid PNG signature and IHDR declaring 100000 x 100000 pixels, and nothing else.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    let err = decode_image(&png, &Limits::default()).unwrap_err();
    assert!(matches!(err, Error::ImageTooLarge { .. }), "{err}");
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn truncated_mp4_is_a_typed_error() {
    let frames = crate::moving_frames(3, 64);
    let settings = provatar_media::EncoderSettings::new(64, 64, 25);
    let mut w =
        provatar_media::VideoWriter::new(std::io::Cursor::new(Vec::new()), settings, None).unwrap();
    for f in &frames {
        w.push_frame(f).unwrap();
    }
    let bytes = w.finish().unwrap().into_inner();
    for cut in [10, 40, bytes.len() / 2, bytes.len() - 1] {
        let err = probe_bytes(bytes[..cut].to_vec(), &Limits::default()).unwrap_err();
        assert!(matches!(err, Error::Mp4(_)), "cut {cut}: {err}");
    }
}

#[test]
fn garbage_is_unknown_format() {
    assert!(matches!(
        probe_bytes(b"not a media file at all".to_vec(), &Limits::default()),
        Err(Error::UnknownFormat)
    ));
}

#[test]
fn wav_with_absurd_header_values() {
    let mut wav = b"RIFF\xff\xff\xff\xffWAVEfmt \x10\0\0\0\x01\0".to_vec();
    wav.extend_from_slice(&0xFFFFu16.to_le_bytes()); // 65535 channels
    wav.extend_from_slice(&u32::MAX.to_le_bytes()); // rate
    wav.extend_from_slice(&u32::MAX.to_le_bytes());
    wav.extend_from_slice(&0xFFFFu16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data\xff\xff\xff\xff\0\0\0\0");
    let err = decode_audio(&wav, &Limits::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::AudioDecode { .. } | Error::AudioParameters { .. }
        ),
        "{err}"
    );
}
