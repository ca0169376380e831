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
    let bytes = crate::round_trip::encode(&crate::moving_frames(3, 64), None);
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

/// A JPEG with an EXIF APP1 segment whose Orientation tag is `orientation`.
fn jpeg_with_orientation(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    // Left half red, right half blue, so a rotation is visible in the pixels.
    let img = image::RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            image::Rgb([250, 0, 0])
        } else {
            image::Rgb([0, 0, 250])
        }
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95)
        .encode_image(&img)
        .unwrap();
    // TIFF header (big-endian), one IFD entry: 0x0112 Orientation, SHORT, 1 value.
    let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x01".to_vec();
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]);
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&u16::try_from(app1.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[test]
fn exif_orientation_is_applied() {
    let bytes = jpeg_with_orientation(64, 32, 6); // rotate 90° clockwise to display
    let loaded = decode_image(&bytes, &Limits::default()).unwrap();
    assert_eq!(loaded.info.exif_orientation, 6);
    assert_eq!((loaded.info.width, loaded.info.height), (64, 32));
    assert_eq!((loaded.frame.width(), loaded.frame.height()), (32, 64));
    // The red (left) half is now on top.
    let px = |x: u32, y: u32| {
        &loaded.frame.rgb()[((y * 32 + x) * 3) as usize..((y * 32 + x) * 3 + 3) as usize]
    };
    assert!(
        px(16, 8)[0] > 200 && px(16, 8)[2] < 50,
        "top is {:?}",
        px(16, 8)
    );
    assert!(
        px(16, 56)[2] > 200 && px(16, 56)[0] < 50,
        "bottom is {:?}",
        px(16, 56)
    );
    let upright = decode_image(&jpeg_with_orientation(64, 32, 1), &Limits::default()).unwrap();
    assert_eq!((upright.frame.width(), upright.frame.height()), (64, 32));
}

#[test]
fn webp_is_decoded() {
    let img = image::RgbaImage::from_fn(20, 10, |x, y| {
        image::Rgba([x as u8 * 10, y as u8 * 20, 5, 255])
    });
    let mut webp = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
        .encode(img.as_raw(), 20, 10, image::ExtendedColorType::Rgba8)
        .unwrap();
    let loaded = decode_image(&webp, &Limits::default()).unwrap();
    assert_eq!(loaded.info.format, "webp");
    assert_eq!(&loaded.frame.rgb()[..3], &[0, 0, 5]);
    assert_eq!(
        &loaded.frame.rgb()[(5 * 20 + 3) * 3..(5 * 20 + 3) * 3 + 3],
        &[30, 100, 5]
    );
}

#[test]
fn c2pa_manifest_box_is_detected() {
    let plain = crate::round_trip::encode(&crate::moving_frames(2, 64), None);
    assert!(
        !provatar_media::mp4::parse(&plain, &Limits::default())
            .unwrap()
            .c2pa_manifest
    );

    // A C2PA 'uuid' box (C2PA §A.4): UUID, version/flags, "manifest\0", merkle offset, then a
    // JUMBF superbox whose description box is labelled "c2pa". Appended at the end, where it
    // does not move any sample.
    let mut jumd = b"jumd".to_vec();
    jumd.extend_from_slice(&[
        0x63, 0x32, 0x70, 0x61, 0x00, 0x11, 0x00, 0x10, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B,
        0x71,
    ]);
    jumd.push(0x03);
    jumd.extend_from_slice(b"c2pa\0");
    let mut jumb = b"jumb".to_vec();
    jumb.extend_from_slice(&u32::try_from(jumd.len() + 4).unwrap().to_be_bytes());
    jumb.extend_from_slice(&jumd);
    let mut payload = vec![
        0xD8, 0xFE, 0xC3, 0xD6, 0x1B, 0x0E, 0x48, 0x3C, 0x92, 0x97, 0x58, 0x28, 0x87, 0x7E, 0xC4,
        0x81, 0, 0, 0, 0,
    ];
    payload.extend_from_slice(b"manifest\0");
    payload.extend_from_slice(&0u64.to_be_bytes());
    payload.extend_from_slice(&u32::try_from(jumb.len() + 4).unwrap().to_be_bytes());
    payload.extend_from_slice(&jumb);
    let mut signed = plain.clone();
    signed.extend_from_slice(&u32::try_from(payload.len() + 8).unwrap().to_be_bytes());
    signed.extend_from_slice(b"uuid");
    signed.extend_from_slice(&payload);
    assert!(
        provatar_media::mp4::parse(&signed, &Limits::default())
            .unwrap()
            .c2pa_manifest
    );

    // The same box with another label is not a manifest.
    let mut other = signed.clone();
    // The label is the last "c2pa\0" (the JUMBF type UUID starts with the same bytes).
    let at = other.windows(5).rposition(|w| w == b"c2pa\0").unwrap();
    other[at..at + 4].copy_from_slice(b"xxxx");
    assert!(
        !provatar_media::mp4::parse(&other, &Limits::default())
            .unwrap()
            .c2pa_manifest
    );
}

#[test]
fn video_over_the_limits_is_refused() {
    let bytes = crate::round_trip::encode(&crate::moving_frames(3, 128), None);
    let mut limits = Limits::default();
    limits.max_pixels = 100 * 100;
    let err = provatar_media::VideoDecoder::from_bytes(bytes.clone(), &limits).unwrap_err();
    assert!(
        matches!(
            err,
            Error::ImageTooLarge {
                width: 128,
                height: 128,
                ..
            }
        ),
        "{err}"
    );
    let mut limits = Limits::default();
    limits.max_samples = 2;
    let err = provatar_media::VideoDecoder::from_bytes(bytes, &limits).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Mp4(provatar_media::mp4::Mp4Error::TooManySamples { count: 3, limit: 2 })
        ),
        "{err}"
    );
}

/// Inputs the fuzzer found (`tests/vectors/<area>/fail_*`): each must be refused, cleanly.
#[test]
fn fuzzer_findings_are_refused() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut seen = 0;
    for area in ["mp4", "image", "audio"] {
        let Ok(entries) = std::fs::read_dir(dir.join(area)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if !path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("fail_")
            {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                probe_bytes(bytes, &Limits::default()).is_err(),
                "{} was accepted",
                path.display()
            );
            seen += 1;
        }
    }
    assert!(seen >= 1, "no vectors found under {}", dir.display());
}

/// A fuzzer finding in the AAC path: symphonia's AAC decoder indexes past its 64 sections on
/// this malformed frame and panics; provatar contains the panic and reports a decoder error.
#[test]
fn a_panicking_aac_decoder_is_contained() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/mp4/fail_aac_sections_past_64.mp4");
    let bytes = std::fs::read(&path).unwrap();
    let limits = Limits::default();
    let file = provatar_media::mp4::parse(&bytes, &limits).unwrap();
    let err = provatar_media::decode_mp4_audio(&bytes, &file, &limits).unwrap_err();
    assert!(err.to_string().contains("aac"), "{err}");
}
