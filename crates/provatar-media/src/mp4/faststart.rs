//! "Fast start": moving `moov` in front of `mdat`, so a player can start before the whole file
//! has arrived (what browsers and streaming servers expect of a progressive download).

use super::Mp4Error;

/// A top-level box: type, start, total size.
fn top_level(bytes: &[u8]) -> Result<Vec<([u8; 4], usize, usize)>, Mp4Error> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let header = bytes.get(at..at + 8).ok_or_else(|| Mp4Error::Truncated {
            box_type: "?".into(),
            offset: at as u64,
        })?;
        let mut size = u64::from(u32::from_be_bytes([
            header[0], header[1], header[2], header[3],
        ]));
        let kind = [header[4], header[5], header[6], header[7]];
        if size == 1 {
            let large = bytes.get(at + 8..at + 16).ok_or(Mp4Error::BadBoxSize {
                offset: at as u64,
                size,
            })?;
            size = u64::from_be_bytes(large.try_into().unwrap_or([0; 8]));
        } else if size == 0 {
            size = (bytes.len() - at) as u64;
        }
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if size < 8 || at.checked_add(size).is_none_or(|end| end > bytes.len()) {
            return Err(Mp4Error::BadBoxSize {
                offset: at as u64,
                size: size as u64,
            });
        }
        out.push((kind, at, size));
        at += size;
    }
    Ok(out)
}

/// Adds `shift` to every chunk offset (`stco`, `co64`) inside the container `bytes`
/// (a `moov` box's payload or a nested container's).
fn shift_offsets(bytes: &mut [u8], shift: u64) -> Result<(), Mp4Error> {
    let mut at = 0usize;
    while at + 8 <= bytes.len() {
        let size =
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
        let kind = [bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]];
        if size < 8 || at + size > bytes.len() {
            return Err(Mp4Error::BadBoxSize {
                offset: at as u64,
                size: size as u64,
            });
        }
        let body = &mut bytes[at + 8..at + size];
        match &kind {
            b"trak" | b"mdia" | b"minf" | b"stbl" => shift_offsets(body, shift)?,
            b"co64" | b"stco" => {
                let wide = &kind == b"co64";
                let count = body
                    .get(4..8)
                    .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
                    .ok_or(Mp4Error::BadTable {
                        table: "chunk offsets",
                        problem: "no entry count",
                    })?;
                let width = if wide { 8 } else { 4 };
                if count
                    .checked_mul(width)
                    .and_then(|n| n.checked_add(8))
                    .is_none_or(|need| body.len() < need)
                {
                    return Err(Mp4Error::BadTable {
                        table: "chunk offsets",
                        problem: "fewer entries than counted",
                    });
                }
                for e in 0..count {
                    let slot = &mut body[8 + e * width..8 + (e + 1) * width];
                    if wide {
                        let v = u64::from_be_bytes(slot.try_into().unwrap_or([0; 8]))
                            .checked_add(shift)
                            .ok_or(Mp4Error::BadTable {
                                table: "co64",
                                problem: "an offset would pass 2^64",
                            })?;
                        slot.copy_from_slice(&v.to_be_bytes());
                    } else {
                        let v = u64::from(u32::from_be_bytes(slot.try_into().unwrap_or([0; 4])))
                            + shift;
                        let v = u32::try_from(v).map_err(|_| Mp4Error::BadTable {
                            table: "stco",
                            problem: "an offset would pass 4 GiB",
                        })?;
                        slot.copy_from_slice(&v.to_be_bytes());
                    }
                }
            }
            _ => {}
        }
        at += size;
    }
    Ok(())
}

/// The same MP4 with `moov` moved in front of the first `mdat` and every chunk offset moved
/// with the media data. A file already in that order comes back unchanged.
///
/// # Errors
/// [`Mp4Error`] if the top-level boxes or the chunk-offset tables do not parse.
pub fn fast_start(bytes: &[u8]) -> Result<Vec<u8>, Mp4Error> {
    let boxes = top_level(bytes)?;
    let moov = boxes
        .iter()
        .position(|b| &b.0 == b"moov")
        .ok_or(Mp4Error::Missing("moov"))?;
    let Some(mdat) = boxes.iter().position(|b| &b.0 == b"mdat") else {
        return Ok(bytes.to_vec());
    };
    if moov < mdat {
        return Ok(bytes.to_vec());
    }
    let (_, moov_at, moov_size) = boxes[moov];
    let mut moov_bytes = bytes[moov_at..moov_at + moov_size].to_vec();
    // Everything from the first mdat up to moov moves down by moov's size.
    shift_offsets(&mut moov_bytes[8..], moov_size as u64)?;
    let mut out = Vec::with_capacity(bytes.len());
    for (i, &(_, at, size)) in boxes.iter().enumerate() {
        if i == mdat {
            out.extend_from_slice(&moov_bytes);
        }
        if i != moov {
            out.extend_from_slice(&bytes[at..at + size]);
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use crate::{EncoderSettings, Limits, VideoDecoder, VideoWriter};
    use provatar_types::{Frame, PcmTrack};

    fn order(bytes: &[u8]) -> Vec<[u8; 4]> {
        top_level(bytes).unwrap().into_iter().map(|b| b.0).collect()
    }

    #[test]
    fn moves_the_index_and_keeps_every_sample() {
        let mut out = std::io::Cursor::new(Vec::new());
        let sound = PcmTrack::new(48_000, 1, vec![0.1; 48_000]).unwrap();
        let mut w =
            VideoWriter::new(&mut out, EncoderSettings::new(64, 64, 25), Some(&sound)).unwrap();
        for i in 0..25u8 {
            let rgb: Vec<u8> = (0..64 * 64 * 3)
                .map(|p: usize| p.to_le_bytes()[0].wrapping_mul(i))
                .collect();
            w.push_frame(&Frame::from_rgb(64, 64, rgb).unwrap())
                .unwrap();
        }
        w.finish().unwrap();
        let plain = out.into_inner();
        assert_eq!(order(&plain), [*b"ftyp", *b"mdat", *b"moov"]);
        let fast = fast_start(&plain).unwrap();
        assert_eq!(order(&fast), [*b"ftyp", *b"moov", *b"mdat"]);
        assert_eq!(fast.len(), plain.len());
        // Already in order: unchanged.
        assert_eq!(fast_start(&fast).unwrap(), fast);
        // Both decode to the same pictures and the same sound.
        let decode = |b: Vec<u8>| {
            let mut d = VideoDecoder::from_bytes(b, &Limits::default()).unwrap();
            let mut frames = Vec::new();
            while let Some(f) = d.next_frame().unwrap() {
                frames.push(d.to_rgb(&f.picture).unwrap());
            }
            frames
        };
        assert_eq!(decode(plain.clone()), decode(fast.clone()));
        let sound = |b: &[u8]| {
            let file = super::super::parse(b, &Limits::default()).unwrap();
            crate::decode_mp4_audio(b, &file, &Limits::default())
                .unwrap()
                .unwrap()
                .samples()
                .to_vec()
        };
        assert_eq!(sound(&plain), sound(&fast));
    }

    #[test]
    fn refuses_broken_files_without_panicking() {
        assert!(fast_start(b"").is_err());
        assert!(fast_start(b"\x00\x00\x00\x10ftypisom").is_err());
        assert!(fast_start(b"\x00\x00\x00\x08mdat").is_err());
        // An offset table that counts more entries than it holds.
        let mut lying = b"\x00\x00\x00\x08mdat\x00\x00\x00\x18moov".to_vec();
        lying.extend_from_slice(b"\x00\x00\x00\x10stco\x00\x00\x00\x00\x00\x00\x00\x05");
        assert!(matches!(fast_start(&lying), Err(Mp4Error::BadTable { .. })));
        // An offset that would overflow once shifted (found by the fuzzer).
        let mut huge = b"\x00\x00\x00\x08mdat\x00\x00\x00\x20moov".to_vec();
        huge.extend_from_slice(b"\x00\x00\x00\x18co64\x00\x00\x00\x00\x00\x00\x00\x01");
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        assert!(matches!(fast_start(&huge), Err(Mp4Error::BadTable { .. })));
    }
}
