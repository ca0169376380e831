//! The bytes of an MP4 that C2PA's BMFF hash leaves out, bound by an assertion of our own.
//!
//! The `c2pa.hash.bmff` hard binding excludes the `ftyp` box, the C2PA `uuid` box itself and
//! `mfra`, and covers the other top-level boxes by their content and offset. Left alone, a copy
//! with another brand in `ftyp`, text written over the zero padding the signer reserves inside
//! the C2PA box, or (with some readers) another top-level box would still verify. So the signer
//! records the container's layout in the `org.provatar.container` assertion — the `ftyp` box's
//! bytes and the sequence of top-level box types — which the claim signature covers, and the
//! verifier compares the file against it and checks that the C2PA box's padding is zero.

use serde_json::{Value, json};

/// Label of the container assertion.
pub const CONTAINER_LABEL: &str = "org.provatar.container";

/// The C2PA `uuid` box's user type (C2PA 2.x, A.5.1).
const C2PA_UUID: [u8; 16] = [
    0xD8, 0xFE, 0xC3, 0xD6, 0x1B, 0x0E, 0x48, 0x3C, 0x92, 0x97, 0x58, 0x28, 0x87, 0x7E, 0xC4, 0x81,
];

/// What the container holds outside the media hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The whole `ftyp` box.
    pub ftyp: Vec<u8>,
    /// Top-level box types in file order, C2PA `uuid` boxes left out.
    pub boxes: Vec<String>,
    /// What was written into the unsigned part of a C2PA signature (its COSE unprotected
    /// header), with the offset of the signature's bytes.
    pub padding_written: Vec<(u64, String)>,
}

impl Layout {
    /// Reads the top-level boxes of an MP4.
    ///
    /// # Errors
    /// A box whose size runs past the file or is too small for its header, named with its
    /// offset.
    pub fn of(bytes: &[u8]) -> Result<Self, String> {
        let mut at = 0usize;
        let mut layout = Self {
            ftyp: Vec::new(),
            boxes: Vec::new(),
            padding_written: Vec::new(),
        };
        while at < bytes.len() {
            let head = bytes
                .get(at..at + 8)
                .ok_or_else(|| format!("a box header cut short at byte {at}"))?;
            let kind = &head[4..8];
            let (size, header) = match u32::from_be_bytes([head[0], head[1], head[2], head[3]]) {
                0 => (bytes.len() - at, 8),
                1 => {
                    let large = bytes
                        .get(at + 8..at + 16)
                        .ok_or_else(|| format!("a box header cut short at byte {at}"))?;
                    let large = u64::from_be_bytes(large.try_into().unwrap_or_default());
                    (usize::try_from(large).unwrap_or(usize::MAX), 16)
                }
                n => (usize::try_from(n).unwrap_or(usize::MAX), 8),
            };
            if size < header || bytes.len() - at < size {
                return Err(format!(
                    "the box at byte {at} claims {size} bytes, {} remain",
                    bytes.len() - at
                ));
            }
            let body = &bytes[at + header..at + size];
            let name = String::from_utf8_lossy(kind).into_owned();
            if kind == b"uuid" && body.get(..16) == Some(&C2PA_UUID[..]) {
                layout.check_padding(body, at + header);
            } else {
                if kind == b"ftyp" && layout.ftyp.is_empty() {
                    layout.ftyp = bytes[at..at + size].to_vec();
                }
                layout.boxes.push(name);
            }
            at += size;
        }
        Ok(layout)
    }

    /// A C2PA box: user type, version and flags, purpose (`manifest\0`), the Merkle offset,
    /// then the manifest store, a JUMBF superbox. Its claim and assertions are signed, but
    /// each signature's COSE unprotected header is not: its `pad` bytes (zeros the signer
    /// reserves) must stay zero and it must hold no field a signer does not write.
    fn check_padding(&mut self, body: &[u8], offset: usize) {
        let Some(rest) = body.get(20..) else { return };
        let Some(end) = rest.iter().position(|&b| b == 0) else {
            return;
        };
        let mut at = 20 + end + 1;
        if &rest[..end] == b"manifest" {
            at += 8;
        }
        let Some(jumbf) = body.get(at..) else { return };
        let mut signatures = Vec::new();
        signature_boxes(jumbf, offset + at, 0, &mut signatures);
        for (cose, cose_at) in signatures {
            if let Some(problem) = unsigned_header_problem(cose) {
                self.padding_written
                    .push((u64::try_from(cose_at).unwrap_or(u64::MAX), problem));
            }
        }
    }

    /// The assertion's data for this layout.
    pub fn assertion(&self) -> Value {
        json!({ "ftyp": hex(&self.ftyp), "boxes": self.boxes })
    }

    /// What differs between this (the file's) layout and the signed one, in words; empty when
    /// they agree and no padding was written.
    pub fn differences(&self, signed: &Value) -> Vec<String> {
        let mut out = Vec::new();
        if signed["ftyp"].as_str() != Some(hex(&self.ftyp).as_str()) {
            out.push("the ftyp box (brands) differs from the one signed".to_owned());
        }
        let boxes: Option<Vec<&str>> = signed["boxes"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect());
        let mine: Vec<&str> = self.boxes.iter().map(String::as_str).collect();
        if boxes.as_deref() != Some(mine.as_slice()) {
            out.push(format!(
                "top-level boxes [{}], signed [{}]",
                mine.join(", "),
                boxes.unwrap_or_default().join(", ")
            ));
        }
        for (at, problem) in &self.padding_written {
            out.push(format!("{problem} (the signature at byte {at})"));
        }
        out
    }
}

/// Boxes inside `bytes` (a sequence of ISO boxes), with their type, body and the body's
/// offset in the file.
fn boxes(bytes: &[u8], base: usize) -> Vec<([u8; 4], &[u8], usize)> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while let Some(head) = bytes.get(at..at + 8) {
        let size = usize::try_from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]))
            .unwrap_or(usize::MAX);
        let kind = [head[4], head[5], head[6], head[7]];
        if size < 8 || bytes.len() - at < size {
            break;
        }
        out.push((kind, &bytes[at + 8..at + size], base + at + 8));
        at += size;
    }
    out
}

/// The COSE bytes of every `c2pa.signature` box in a JUMBF tree.
fn signature_boxes<'a>(
    bytes: &'a [u8],
    base: usize,
    depth: usize,
    out: &mut Vec<(&'a [u8], usize)>,
) {
    if depth > 8 {
        return;
    }
    for (kind, body, at) in boxes(bytes, base) {
        if &kind != b"jumb" {
            continue;
        }
        let children = boxes(body, at);
        let label = children
            .first()
            .filter(|(k, ..)| k == b"jumd")
            .and_then(|(_, d, _)| {
                // Type (16 bytes), toggles, then the label when toggles say so.
                let text = d.get(17..)?;
                let end = text.iter().position(|&b| b == 0)?;
                Some(&text[..end])
            });
        if label == Some(&b"c2pa.signature"[..]) {
            out.extend(
                children
                    .iter()
                    .filter(|(k, ..)| k == b"cbor")
                    .map(|(_, b, at)| (*b, *at)),
            );
        } else {
            signature_boxes(body, at, depth + 1, out);
        }
    }
}

/// Unprotected header fields a C2PA signer writes: padding, time-stamps, OCSP responses and
/// (by label or name) the certificate chain.
const UNSIGNED_FIELDS: [&str; 6] = ["pad", "pad2", "sigTst", "sigTst2", "rVals", "x5chain"];

/// What is wrong in a `COSE_Sign1`'s unprotected header, if anything.
fn unsigned_header_problem(cose: &[u8]) -> Option<String> {
    use ciborium::Value as Cbor;
    let value: Cbor = match ciborium::from_reader(cose) {
        Ok(v) => v,
        Err(e) => return Some(format!("the C2PA signature is not CBOR ({e})")),
    };
    let value = match value {
        Cbor::Tag(18, inner) => *inner,
        v => v,
    };
    let Cbor::Array(parts) = value else {
        return Some("the C2PA signature is not a COSE_Sign1".to_owned());
    };
    let Some(Cbor::Map(header)) = parts.get(1) else {
        return Some("the C2PA signature has no unprotected header".to_owned());
    };
    for (key, value) in header {
        match key {
            Cbor::Text(name) if name.starts_with("pad") => {
                if let Cbor::Bytes(b) = value
                    && b.iter().all(|&x| x == 0)
                    && UNSIGNED_FIELDS.contains(&name.as_str())
                {
                    continue;
                }
                return Some(format!(
                    "bytes written over the zero padding ({name}) of the C2PA signature"
                ));
            }
            Cbor::Text(name) if UNSIGNED_FIELDS.contains(&name.as_str()) => {}
            // x5chain by its COSE label.
            Cbor::Integer(label) if i128::from(*label) == 33 => {}
            other => {
                return Some(format!(
                    "an unsigned field {other:?} added to the C2PA signature's header"
                ));
            }
        }
    }
    None
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn mp4_box(kind: &[u8], body: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(body.len() + 8)
            .unwrap()
            .to_be_bytes()
            .to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    /// A C2PA box whose manifest store holds one manifest with one signature, whose
    /// unprotected header is `header`.
    fn c2pa_box(header: Vec<(ciborium::Value, ciborium::Value)>) -> Vec<u8> {
        use ciborium::Value as Cbor;
        let cose = Cbor::Tag(
            18,
            Box::new(Cbor::Array(vec![
                Cbor::Bytes(vec![0xA0]),
                Cbor::Map(header),
                Cbor::Null,
                Cbor::Bytes(vec![7; 64]),
            ])),
        );
        let mut cbor = Vec::new();
        ciborium::into_writer(&cose, &mut cbor).unwrap();
        let jumd = |label: &str| {
            let mut d = vec![0u8; 16];
            d.push(3);
            d.extend_from_slice(label.as_bytes());
            d.push(0);
            mp4_box(b"jumd", &d)
        };
        let signature = mp4_box(
            b"jumb",
            &[jumd("c2pa.signature"), mp4_box(b"cbor", &cbor)].concat(),
        );
        let manifest = mp4_box(b"jumb", &[jumd("urn:c2pa:1"), signature].concat());
        let store = mp4_box(b"jumb", &[jumd("c2pa"), manifest].concat());
        let mut body = C2PA_UUID.to_vec();
        body.extend_from_slice(&[0, 0, 0, 0]);
        body.extend_from_slice(b"manifest\0");
        body.extend_from_slice(&0u64.to_be_bytes());
        body.extend(store);
        mp4_box(b"uuid", &body)
    }

    fn pad(bytes: &[u8]) -> Vec<(ciborium::Value, ciborium::Value)> {
        vec![(
            ciborium::Value::Text("pad".into()),
            ciborium::Value::Bytes(bytes.to_vec()),
        )]
    }

    #[test]
    fn finds_the_boxes_the_brand_and_written_padding() {
        let ftyp = mp4_box(b"ftyp", b"isom\0\0\x02\0isomiso2avc1mp41");
        let file = |c2pa: Vec<u8>| -> Vec<u8> {
            [
                ftyp.clone(),
                c2pa,
                mp4_box(b"moov", b"m"),
                mp4_box(b"mdat", b"d"),
            ]
            .concat()
        };
        let clean = file(c2pa_box(pad(&[0; 40])));
        let layout = Layout::of(&clean).unwrap();
        assert_eq!(layout.ftyp, ftyp);
        assert_eq!(layout.boxes, ["ftyp", "moov", "mdat"]);
        assert!(layout.padding_written.is_empty(), "{layout:?}");
        let signed = layout.assertion();
        assert!(layout.differences(&signed).is_empty());

        // Another brand, a box appended, text over the padding, a field added: each named.
        let mut other = clean.clone();
        other[8] = b'X';
        assert!(Layout::of(&other).unwrap().differences(&signed)[0].contains("ftyp"));
        let mut appended = clean.clone();
        appended.extend(mp4_box(b"free", b"hello"));
        let d = Layout::of(&appended).unwrap().differences(&signed);
        assert!(d[0].contains("[ftyp, moov, mdat, free]"), "{d:?}");
        let mut text = [0u8; 40];
        text[10..15].copy_from_slice(b"hello");
        let d = Layout::of(&file(c2pa_box(pad(&text))))
            .unwrap()
            .differences(&signed);
        assert!(d[0].contains("zero padding (pad)"), "{d:?}");
        let mut added = pad(&[0; 40]);
        added.push((
            ciborium::Value::Text("note".into()),
            ciborium::Value::Text("hi".into()),
        ));
        let d = Layout::of(&file(c2pa_box(added)))
            .unwrap()
            .differences(&signed);
        assert!(d[0].contains("unsigned field"), "{d:?}");
    }

    #[test]
    fn a_box_running_past_the_end_is_an_error_not_a_panic() {
        let mut file = mp4_box(b"ftyp", b"isom");
        file.extend_from_slice(&[0, 0, 1, 0, b'm', b'o', b'o', b'v', 1]);
        assert!(Layout::of(&file).unwrap_err().contains("claims 256 bytes"));
        assert!(Layout::of(&[0, 0, 0, 1, b'f', b'r']).is_err());
        assert!(Layout::of(&[0, 0, 0, 4, b'f', b'r', b'e', b'e']).is_err());
        // size 1: a 64-bit size that is far too large.
        let mut big = vec![0, 0, 0, 1];
        big.extend_from_slice(b"mdat");
        big.extend_from_slice(&u64::MAX.to_be_bytes());
        assert!(Layout::of(&big).is_err());
    }
}
