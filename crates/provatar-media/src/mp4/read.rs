//! Reading MP4: the box tree, sample tables (plain and fragmented) and codec configuration.
//!
//! Every count read from the file is checked against the bytes that hold it and against
//! [`Limits::max_samples`] before anything is allocated for it.

// The format stores signed values in unsigned fields (ctts v0, elst v0, trun data offsets) and
// we reinterpret them as the spec says; sizes are bounded by the checks beside each cast.
#![expect(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    reason = "bit-level reinterpretation defined by ISO/IEC 14496-12; bounds checked"
)]

use provatar_types::Limits;

use crate::mp4::{Mp4Error, fourcc_str};

type Result<T> = std::result::Result<T, Mp4Error>;

/// What a track carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TrackKind {
    /// `vide`.
    Video,
    /// `soun`.
    Audio,
    /// Anything else (hints, metadata, subtitles).
    Other,
}

/// The H.264 decoder configuration (`avcC`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvcConfig {
    /// `profile_idc`.
    pub profile: u8,
    /// `level_idc`.
    pub level: u8,
    /// Bytes in each NAL unit's length prefix (1, 2 or 4).
    pub nal_length_size: u8,
    /// Sequence parameter sets.
    pub sps: Vec<Vec<u8>>,
    /// Picture parameter sets.
    pub pps: Vec<Vec<u8>>,
}

/// The `colr` box's `nclx` code points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ColourInfo {
    /// Colour primaries (1 = BT.709).
    pub primaries: u16,
    /// Transfer characteristics (1 = BT.709).
    pub transfer: u16,
    /// Matrix coefficients (1 = BT.709).
    pub matrix: u16,
    /// Full-range flag.
    pub full_range: bool,
}

/// The first sample description of a track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SampleEntry {
    /// H.264.
    Avc {
        /// Width from the sample entry.
        width: u16,
        /// Height from the sample entry.
        height: u16,
        /// The `avcC` record (missing for `avc3` with in-band parameter sets).
        config: Option<AvcConfig>,
        /// The `colr` box, if any.
        colour: Option<ColourInfo>,
    },
    /// AAC (`mp4a` with an MPEG-4 audio `esds`).
    Aac {
        /// Rate from the AudioSpecificConfig (or the sample entry).
        sample_rate: u32,
        /// Channels from the AudioSpecificConfig (or the sample entry).
        channels: u16,
        /// The AudioSpecificConfig bytes.
        asc: Vec<u8>,
    },
    /// Opus.
    Opus {
        /// Output channels.
        channels: u8,
        /// Samples at 48 kHz to discard at the start.
        pre_skip: u16,
        /// The original input rate (informational).
        input_sample_rate: u32,
    },
    /// Anything else, by its four-character code.
    Other(String),
}

impl SampleEntry {
    /// A short codec name: `h264`, `aac`, `opus`, or the four-character code.
    pub fn codec_name(&self) -> String {
        match self {
            Self::Avc { .. } => "h264".into(),
            Self::Aac { .. } => "aac".into(),
            Self::Opus { .. } => "opus".into(),
            Self::Other(fourcc) => fourcc.clone(),
        }
    }
}

/// One sample (a video access unit or an audio packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Byte offset in the file.
    pub offset: u64,
    /// Byte length.
    pub size: u32,
    /// Decode time in track ticks.
    pub dts: u64,
    /// Presentation minus decode time, in ticks.
    pub cts_offset: i64,
    /// Length in ticks.
    pub duration: u32,
    /// Whether decoding can start here.
    pub sync: bool,
}

/// One track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    /// `track_ID`.
    pub id: u32,
    /// What it carries.
    pub kind: TrackKind,
    /// Ticks per second.
    pub timescale: u32,
    /// Its sample description.
    pub entry: SampleEntry,
    /// Samples in decode order.
    pub samples: Vec<Sample>,
    /// The first edit's media start (ticks), e.g. priming or B-frame delay; 0 without edits.
    pub edit_media_time: i64,
    /// The edit's length in movie ticks, if the edit list bounds it.
    pub edit_duration: Option<u64>,
}

impl Track {
    /// The sum of sample durations, in ticks.
    pub fn media_duration(&self) -> u64 {
        self.samples.iter().map(|s| u64::from(s.duration)).sum()
    }
}

/// A parsed MP4 file (sample data stays in the caller's bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mp4File {
    /// `ftyp` major brand.
    pub major_brand: String,
    /// Movie ticks per second.
    pub movie_timescale: u32,
    /// The tracks, in file order.
    pub tracks: Vec<Track>,
    /// Whether samples come in `moof` fragments.
    pub fragmented: bool,
    /// Whether a C2PA manifest store is embedded (a `uuid` box holding a JUMBF `c2pa` box).
    pub c2pa_manifest: bool,
}

impl Mp4File {
    /// The first video track.
    pub fn video(&self) -> Option<&Track> {
        self.tracks.iter().find(|t| t.kind == TrackKind::Video)
    }

    /// The first audio track.
    pub fn audio(&self) -> Option<&Track> {
        self.tracks.iter().find(|t| t.kind == TrackKind::Audio)
    }
}

/// A bounds-checked big-endian reader over one box's payload.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    table: &'static str,
}

impl<'a> Cursor<'a> {
    fn new(data: &'a [u8], table: &'static str) -> Self {
        Self {
            data,
            pos: 0,
            table,
        }
    }
    fn short(&self) -> Mp4Error {
        Mp4Error::BadTable {
            table: self.table,
            problem: "shorter than its fields",
        }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or_else(|| self.short())?;
        let s = self.data.get(self.pos..end).ok_or_else(|| self.short())?;
        self.pos = end;
        Ok(s)
    }
    fn skip(&mut self, n: usize) -> Result<()> {
        self.take(n).map(|_| ())
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
    fn rest(&mut self) -> &'a [u8] {
        let s = self.data.get(self.pos..).unwrap_or(&[]);
        self.pos = self.data.len();
        s
    }
    fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }
    /// Reads version and flags of a full box.
    fn full_header(&mut self) -> Result<(u8, u32)> {
        let v = self.u32()?;
        Ok(((v >> 24) as u8, v & 0x00FF_FFFF))
    }
    /// Reads an entry count and checks that `entry_size` bytes each fit in what is left.
    fn count(&mut self, entry_size: usize) -> Result<usize> {
        let n = self.u32()? as usize;
        if n.checked_mul(entry_size)
            .is_none_or(|bytes| bytes > self.remaining())
        {
            return Err(Mp4Error::BadTable {
                table: self.table,
                problem: "entry count exceeds the box",
            });
        }
        Ok(n)
    }
}

/// One box: its type, payload, and where it starts in the file.
struct RawBox<'a> {
    fourcc: [u8; 4],
    payload: &'a [u8],
    offset: u64,
}

/// Iterates over the boxes packed in `data` (which starts at file offset `base`).
fn boxes(data: &[u8], base: u64) -> impl Iterator<Item = Result<RawBox<'_>>> {
    let mut pos = 0usize;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || pos >= data.len() {
            return None;
        }
        let item = next_box(data, &mut pos, base);
        failed = item.is_err();
        Some(item)
    })
}

fn next_box<'a>(data: &'a [u8], pos: &mut usize, base: u64) -> Result<RawBox<'a>> {
    let offset = base + *pos as u64;
    let rest = &data[*pos..];
    let truncated = |fourcc: &[u8]| Mp4Error::Truncated {
        box_type: fourcc_str([
            fourcc.first().copied().unwrap_or(0),
            fourcc.get(1).copied().unwrap_or(0),
            fourcc.get(2).copied().unwrap_or(0),
            fourcc.get(3).copied().unwrap_or(0),
        ]),
        offset,
    };
    if rest.len() < 8 {
        return Err(truncated(rest.get(4..).unwrap_or(&[])));
    }
    let size32 = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
    let fourcc = [rest[4], rest[5], rest[6], rest[7]];
    let (size, header) = match size32 {
        0 => (rest.len() as u64, 8),
        1 => {
            let large = rest.get(8..16).ok_or_else(|| truncated(&fourcc))?;
            let mut a = [0; 8];
            a.copy_from_slice(large);
            (u64::from_be_bytes(a), 16)
        }
        n => (u64::from(n), 8),
    };
    if size < header as u64 {
        return Err(Mp4Error::BadBoxSize { offset, size });
    }
    if size > rest.len() as u64 {
        return Err(truncated(&fourcc));
    }
    // `size <= rest.len()`, so it fits in usize.
    let size = size as usize;
    *pos += size;
    Ok(RawBox {
        fourcc,
        payload: &rest[header..size],
        offset,
    })
}

fn find(data: &[u8], base: u64, fourcc: [u8; 4]) -> Result<Option<RawBox<'_>>> {
    for b in boxes(data, base) {
        let b = b?;
        if b.fourcc == fourcc {
            return Ok(Some(b));
        }
    }
    Ok(None)
}

fn require<'a>(
    data: &'a [u8],
    base: u64,
    fourcc: [u8; 4],
    name: &'static str,
) -> Result<RawBox<'a>> {
    find(data, base, fourcc)?.ok_or(Mp4Error::Missing(name))
}

/// The UUID C2PA uses for its manifest box in BMFF files (C2PA 2.x, §A.4 "Embedding manifests
/// into BMFF-based assets").
const C2PA_UUID: [u8; 16] = [
    0xD8, 0xFE, 0xC3, 0xD6, 0x1B, 0x0E, 0x48, 0x3C, 0x92, 0x97, 0x58, 0x28, 0x87, 0x7E, 0xC4, 0x81,
];

/// Parses an MP4 held in memory.
pub fn parse(data: &[u8], limits: &Limits) -> Result<Mp4File> {
    let mut major_brand = String::new();
    let mut moov = None;
    let mut moofs = Vec::new();
    let mut c2pa_manifest = false;
    for b in boxes(data, 0) {
        let b = b?;
        match &b.fourcc {
            b"ftyp" => major_brand = fourcc_str(first4(b.payload)),
            b"moov" => moov = Some(b),
            b"moof" => moofs.push(b),
            b"uuid" => c2pa_manifest |= is_c2pa_manifest(b.payload),
            _ => {}
        }
    }
    let moov = moov.ok_or(Mp4Error::Missing("moov"))?;
    let moov_base = moov.offset + 8;
    let mvhd = require(moov.payload, moov_base, *b"mvhd", "mvhd")?;
    let movie_timescale = {
        let mut c = Cursor::new(mvhd.payload, "mvhd");
        let (version, _) = c.full_header()?;
        c.skip(if version == 1 { 16 } else { 8 })?;
        c.u32()?
    };
    let mut tracks = Vec::new();
    let mut trex = Vec::new();
    for b in boxes(moov.payload, moov_base) {
        let b = b?;
        match &b.fourcc {
            b"trak" => tracks.push(parse_trak(&b, limits)?),
            b"mvex" => {
                for t in boxes(b.payload, b.offset + 8) {
                    let t = t?;
                    if &t.fourcc == b"trex" {
                        let mut c = Cursor::new(t.payload, "trex");
                        c.full_header()?;
                        let id = c.u32()?;
                        c.u32()?;
                        trex.push((id, c.u32()?, c.u32()?, c.u32()?));
                    }
                }
            }
            _ => {}
        }
    }
    for moof in &moofs {
        parse_moof(moof, &trex, &mut tracks, limits)?;
    }
    let file_len = data.len() as u64;
    for t in &tracks {
        for s in &t.samples {
            if s.offset
                .checked_add(u64::from(s.size))
                .is_none_or(|end| end > file_len)
            {
                return Err(Mp4Error::SampleOutOfFile {
                    offset: s.offset,
                    size: s.size,
                    file_len,
                });
            }
        }
    }
    Ok(Mp4File {
        major_brand,
        movie_timescale,
        tracks,
        fragmented: !moofs.is_empty(),
        c2pa_manifest,
    })
}

fn first4(s: &[u8]) -> [u8; 4] {
    let mut a = [0; 4];
    for (d, s) in a.iter_mut().zip(s) {
        *d = *s;
    }
    a
}

/// A C2PA `uuid` box: the UUID, version/flags, the purpose `manifest`, a merkle offset, then a
/// JUMBF superbox whose description box is labelled `c2pa`.
fn is_c2pa_manifest(payload: &[u8]) -> bool {
    let Some(rest) = payload.strip_prefix(&C2PA_UUID[..]) else {
        return false;
    };
    let Some(rest) = rest.get(4..) else {
        return false;
    };
    let Some(nul) = rest.iter().position(|&b| b == 0) else {
        return false;
    };
    if &rest[..nul] != b"manifest" {
        return false;
    }
    let Some(jumbf) = rest.get(nul + 1 + 8..) else {
        return false;
    };
    // jumb superbox → first child jumd: 16-byte type UUID, toggles, then the label.
    if jumbf.get(4..8) != Some(b"jumb") || jumbf.get(12..16) != Some(b"jumd") {
        return false;
    }
    let Some(label) = jumbf.get(16 + 16 + 1..) else {
        return false;
    };
    label.starts_with(b"c2pa\0")
}

fn parse_trak(trak: &RawBox<'_>, limits: &Limits) -> Result<Track> {
    let base = trak.offset + 8;
    let tkhd = require(trak.payload, base, *b"tkhd", "tkhd")?;
    let id = {
        let mut c = Cursor::new(tkhd.payload, "tkhd");
        let (version, _) = c.full_header()?;
        c.skip(if version == 1 { 16 } else { 8 })?;
        c.u32()?
    };
    let (edit_media_time, edit_duration) = match find(trak.payload, base, *b"edts")? {
        Some(edts) => parse_edts(&edts)?,
        None => (0, None),
    };
    let mdia = require(trak.payload, base, *b"mdia", "mdia")?;
    let mdia_base = mdia.offset + 8;
    let mdhd = require(mdia.payload, mdia_base, *b"mdhd", "mdhd")?;
    let timescale = {
        let mut c = Cursor::new(mdhd.payload, "mdhd");
        let (version, _) = c.full_header()?;
        c.skip(if version == 1 { 16 } else { 8 })?;
        c.u32()?
    };
    let hdlr = require(mdia.payload, mdia_base, *b"hdlr", "hdlr")?;
    let kind = match hdlr.payload.get(8..12) {
        Some(b"vide") => TrackKind::Video,
        Some(b"soun") => TrackKind::Audio,
        _ => TrackKind::Other,
    };
    if kind != TrackKind::Other && timescale == 0 {
        return Err(Mp4Error::ZeroTimescale { track: id });
    }
    let minf = require(mdia.payload, mdia_base, *b"minf", "minf")?;
    let stbl = require(minf.payload, minf.offset + 8, *b"stbl", "stbl")?;
    let stbl_base = stbl.offset + 8;
    let entry = match find(stbl.payload, stbl_base, *b"stsd")? {
        Some(stsd) => parse_stsd(&stsd)?,
        None => SampleEntry::Other("none".into()),
    };
    let samples = parse_sample_tables(stbl.payload, stbl_base, limits)?;
    Ok(Track {
        id,
        kind,
        timescale,
        entry,
        samples,
        edit_media_time,
        edit_duration,
    })
}

fn parse_edts(edts: &RawBox<'_>) -> Result<(i64, Option<u64>)> {
    let Some(elst) = find(edts.payload, edts.offset + 8, *b"elst")? else {
        return Ok((0, None));
    };
    let mut c = Cursor::new(elst.payload, "elst");
    let (version, _) = c.full_header()?;
    let entry = if version == 1 { 20 } else { 12 };
    let n = c.count(entry)?;
    for _ in 0..n {
        let (duration, media_time) = if version == 1 {
            (c.u64()?, c.u64()? as i64)
        } else {
            (u64::from(c.u32()?), i64::from(c.u32()? as i32))
        };
        c.skip(4)?;
        // An empty edit (media time -1) delays the track; skip it and use the first real one.
        if media_time >= 0 {
            return Ok((media_time, (duration > 0).then_some(duration)));
        }
    }
    Ok((0, None))
}

fn parse_stsd(stsd: &RawBox<'_>) -> Result<SampleEntry> {
    let mut c = Cursor::new(stsd.payload, "stsd");
    c.full_header()?;
    c.u32()?;
    let entries_base = stsd.offset + 8 + 8;
    let Some(first) = boxes(c.rest(), entries_base).next() else {
        return Ok(SampleEntry::Other("none".into()));
    };
    let entry = first?;
    match &entry.fourcc {
        b"avc1" | b"avc3" => {
            let mut c = Cursor::new(entry.payload, "avc1");
            c.skip(6 + 2 + 16)?;
            let width = c.u16()?;
            let height = c.u16()?;
            c.skip(4 + 4 + 4 + 2 + 32 + 2 + 2)?;
            let children_base = entry.offset + 8 + c.pos as u64;
            let children = c.rest();
            let mut config = None;
            let mut colour = None;
            for b in boxes(children, children_base) {
                let b = b?;
                match &b.fourcc {
                    b"avcC" => config = Some(parse_avcc(b.payload)?),
                    b"colr" if b.payload.get(..4) == Some(b"nclx") => {
                        let mut c = Cursor::new(b.payload, "colr");
                        c.skip(4)?;
                        colour = Some(ColourInfo {
                            primaries: c.u16()?,
                            transfer: c.u16()?,
                            matrix: c.u16()?,
                            full_range: c.u8()? & 0x80 != 0,
                        });
                    }
                    _ => {}
                }
            }
            Ok(SampleEntry::Avc {
                width,
                height,
                config,
                colour,
            })
        }
        b"mp4a" | b"Opus" => {
            let mut c = Cursor::new(entry.payload, "audio sample entry");
            c.skip(6 + 2)?;
            let version = c.u16()?;
            c.skip(6)?;
            let channels = c.u16()?;
            c.skip(2 + 4)?;
            let rate = c.u32()? >> 16;
            // QuickTime sound description versions 1 and 2 carry extra fields.
            match version {
                1 => c.skip(16)?,
                2 => c.skip(36)?,
                _ => {}
            }
            let children_base = entry.offset + 8 + c.pos as u64;
            let children = c.rest();
            if &entry.fourcc == b"Opus" {
                let dops = require(children, children_base, *b"dOps", "dOps")?;
                let mut c = Cursor::new(dops.payload, "dOps");
                c.u8()?;
                let channels = c.u8()?;
                let pre_skip = c.u16()?;
                let input_sample_rate = c.u32()?;
                return Ok(SampleEntry::Opus {
                    channels,
                    pre_skip,
                    input_sample_rate,
                });
            }
            let asc = match find(children, children_base, *b"esds")? {
                Some(esds) => parse_esds(esds.payload)?,
                None => Vec::new(),
            };
            let (asc_rate, asc_channels) = asc_rate_channels(&asc);
            Ok(SampleEntry::Aac {
                sample_rate: asc_rate.unwrap_or(rate),
                channels: asc_channels.unwrap_or(channels),
                asc,
            })
        }
        other => Ok(SampleEntry::Other(fourcc_str(*other))),
    }
}

fn parse_avcc(payload: &[u8]) -> Result<AvcConfig> {
    let mut c = Cursor::new(payload, "avcC");
    c.u8()?;
    let profile = c.u8()?;
    c.u8()?;
    let level = c.u8()?;
    let nal_length_size = (c.u8()? & 0x3) + 1;
    if nal_length_size == 3 {
        return Err(Mp4Error::BadTable {
            table: "avcC",
            problem: "NAL length size 3 is not allowed",
        });
    }
    let mut sps = Vec::new();
    for _ in 0..(c.u8()? & 0x1F) {
        let n = usize::from(c.u16()?);
        sps.push(c.take(n)?.to_vec());
    }
    let mut pps = Vec::new();
    for _ in 0..c.u8()? {
        let n = usize::from(c.u16()?);
        pps.push(c.take(n)?.to_vec());
    }
    Ok(AvcConfig {
        profile,
        level,
        nal_length_size,
        sps,
        pps,
    })
}

/// Reads one MPEG-4 descriptor: a tag, a length of up to four 7-bit groups, the body.
fn descriptor<'a>(c: &mut Cursor<'a>) -> Result<(u8, &'a [u8])> {
    let tag = c.u8()?;
    let mut len = 0usize;
    for _ in 0..4 {
        let b = c.u8()?;
        len = (len << 7) | usize::from(b & 0x7F);
        if b & 0x80 == 0 {
            break;
        }
    }
    Ok((tag, c.take(len)?))
}

/// Finds the DecoderSpecificInfo (the AudioSpecificConfig) in an `esds` box.
fn parse_esds(payload: &[u8]) -> Result<Vec<u8>> {
    let mut c = Cursor::new(payload, "esds");
    c.full_header()?;
    let (tag, es) = descriptor(&mut c)?;
    if tag != 3 {
        return Ok(Vec::new());
    }
    let mut es = Cursor::new(es, "esds");
    es.u16()?;
    let flags = es.u8()?;
    if flags & 0x80 != 0 {
        es.u16()?;
    }
    if flags & 0x40 != 0 {
        let n = usize::from(es.u8()?);
        es.skip(n)?;
    }
    if flags & 0x20 != 0 {
        es.u16()?;
    }
    while es.remaining() > 0 {
        let (tag, body) = descriptor(&mut es)?;
        if tag == 4 {
            let mut dc = Cursor::new(body, "esds");
            dc.skip(13)?;
            while dc.remaining() > 0 {
                let (tag, info) = descriptor(&mut dc)?;
                if tag == 5 {
                    return Ok(info.to_vec());
                }
            }
        }
    }
    Ok(Vec::new())
}

/// Rate and channels from an AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1).
fn asc_rate_channels(asc: &[u8]) -> (Option<u32>, Option<u16>) {
    const RATES: [u32; 13] = [
        96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025,
        8_000, 7_350,
    ];
    if asc.len() < 2 {
        return (None, None);
    }
    // The first eight bytes, left-aligned (an empty config once shifted by 64 bits here).
    let head = &asc[..asc.len().min(8)];
    let bits =
        head.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)) << (8 * (8 - head.len()));
    let mut pos = 0u32;
    let mut read = |n: u32| {
        let v = (bits >> (64 - pos - n)) & ((1 << n) - 1);
        pos += n;
        v
    };
    let object = read(5);
    if object == 31 {
        read(6);
    }
    let index = read(4) as usize;
    let rate = if index == 15 {
        if asc.len() < 5 {
            return (None, None);
        }
        Some(read(24) as u32)
    } else {
        RATES.get(index).copied()
    };
    let channels = match read(4) {
        7 => Some(8),
        c @ 1..=6 => Some(c as u16),
        _ => None,
    };
    (rate, channels)
}

fn parse_sample_tables(stbl: &[u8], base: u64, limits: &Limits) -> Result<Vec<Sample>> {
    // Sizes.
    let sizes: Vec<u32> = if let Some(stsz) = find(stbl, base, *b"stsz")? {
        let mut c = Cursor::new(stsz.payload, "stsz");
        c.full_header()?;
        let fixed = c.u32()?;
        if fixed == 0 {
            let n = c.count(4)?;
            check_samples(n as u64, limits)?;
            (0..n).map(|_| c.u32()).collect::<Result<_>>()?
        } else {
            let n = c.u32()?;
            check_samples(u64::from(n), limits)?;
            vec![fixed; n as usize]
        }
    } else if let Some(stz2) = find(stbl, base, *b"stz2")? {
        let mut c = Cursor::new(stz2.payload, "stz2");
        c.full_header()?;
        c.skip(3)?;
        let field = c.u8()?;
        let n = c.u32()? as usize;
        check_samples(n as u64, limits)?;
        match field {
            8 => (0..n)
                .map(|_| c.u8().map(u32::from))
                .collect::<Result<_>>()?,
            16 => (0..n)
                .map(|_| c.u16().map(u32::from))
                .collect::<Result<_>>()?,
            4 => {
                let bytes = c.take(n.div_ceil(2))?;
                (0..n)
                    .map(|i| {
                        u32::from(if i % 2 == 0 {
                            bytes[i / 2] >> 4
                        } else {
                            bytes[i / 2] & 0xF
                        })
                    })
                    .collect()
            }
            _ => {
                return Err(Mp4Error::BadTable {
                    table: "stz2",
                    problem: "field size must be 4, 8 or 16",
                });
            }
        }
    } else {
        Vec::new()
    };
    let count = sizes.len();
    if count == 0 {
        return Ok(Vec::new());
    }

    // Decode times.
    let stts = require(stbl, base, *b"stts", "stts")?;
    let mut c = Cursor::new(stts.payload, "stts");
    c.full_header()?;
    let n = c.count(8)?;
    let mut durations = Vec::with_capacity(count);
    for _ in 0..n {
        let run = c.u32()? as usize;
        let delta = c.u32()?;
        if durations.len() + run > count {
            return Err(Mp4Error::BadTable {
                table: "stts",
                problem: "more samples than 'stsz' lists",
            });
        }
        durations.resize(durations.len() + run, delta);
    }
    // Some muxers leave the last sample out of stts; repeat the last delta.
    let last = durations.last().copied().unwrap_or(0);
    durations.resize(count, last);

    // Composition offsets.
    let mut cts = vec![0i64; count];
    if let Some(ctts) = find(stbl, base, *b"ctts")? {
        let mut c = Cursor::new(ctts.payload, "ctts");
        c.full_header()?;
        let n = c.count(8)?;
        let mut i = 0usize;
        for _ in 0..n {
            let run = c.u32()? as usize;
            // Version 0 offsets are unsigned, but writers put negative ones there too.
            let offset = i64::from(c.u32()? as i32);
            let end = i.saturating_add(run).min(count);
            cts[i..end].fill(offset);
            i = end;
        }
    }

    // Sync samples.
    let mut sync = vec![true; count];
    if let Some(stss) = find(stbl, base, *b"stss")? {
        sync.fill(false);
        let mut c = Cursor::new(stss.payload, "stss");
        c.full_header()?;
        let n = c.count(4)?;
        for _ in 0..n {
            let k = c.u32()? as usize;
            if let Some(s) = k.checked_sub(1).and_then(|k| sync.get_mut(k)) {
                *s = true;
            }
        }
    }

    // Chunk offsets.
    let chunk_offsets: Vec<u64> = if let Some(stco) = find(stbl, base, *b"stco")? {
        let mut c = Cursor::new(stco.payload, "stco");
        c.full_header()?;
        let n = c.count(4)?;
        (0..n)
            .map(|_| c.u32().map(u64::from))
            .collect::<Result<_>>()?
    } else {
        let co64 = require(stbl, base, *b"co64", "stco")?;
        let mut c = Cursor::new(co64.payload, "co64");
        c.full_header()?;
        let n = c.count(8)?;
        (0..n).map(|_| c.u64()).collect::<Result<_>>()?
    };

    // Samples to chunks.
    let stsc = require(stbl, base, *b"stsc", "stsc")?;
    let mut c = Cursor::new(stsc.payload, "stsc");
    c.full_header()?;
    let n = c.count(12)?;
    let mut runs = Vec::with_capacity(n);
    for _ in 0..n {
        let first = c.u32()?;
        let per_chunk = c.u32()?;
        c.u32()?;
        if first == 0 || runs.last().is_some_and(|&(prev, _)| first <= prev) {
            return Err(Mp4Error::BadTable {
                table: "stsc",
                problem: "chunk numbers must start at 1 and increase",
            });
        }
        runs.push((first, per_chunk));
    }

    let mut samples = Vec::with_capacity(count);
    let mut dts = 0u64;
    let bad = |problem| Mp4Error::BadTable {
        table: "stsc",
        problem,
    };
    'runs: for (r, &(first, per_chunk)) in runs.iter().enumerate() {
        let last_chunk = runs
            .get(r + 1)
            .map_or(chunk_offsets.len() as u64, |&(next, _)| u64::from(next) - 1);
        for chunk in u64::from(first)..=last_chunk {
            let Some(&chunk_offset) = chunk_offsets.get((chunk - 1) as usize) else {
                break 'runs;
            };
            let mut offset = chunk_offset;
            for _ in 0..per_chunk {
                let i = samples.len();
                if i >= count {
                    break 'runs;
                }
                samples.push(Sample {
                    offset,
                    size: sizes[i],
                    dts,
                    cts_offset: cts[i],
                    duration: durations[i],
                    sync: sync[i],
                });
                offset = offset
                    .checked_add(u64::from(sizes[i]))
                    .ok_or_else(|| bad("offsets overflow"))?;
                dts += u64::from(durations[i]);
            }
        }
    }
    if samples.len() != count {
        return Err(bad("chunks hold fewer samples than 'stsz' lists"));
    }
    Ok(samples)
}

fn check_samples(count: u64, limits: &Limits) -> Result<()> {
    if count > u64::from(limits.max_samples) {
        return Err(Mp4Error::TooManySamples {
            count,
            limit: limits.max_samples,
        });
    }
    Ok(())
}

fn parse_moof(
    moof: &RawBox<'_>,
    trex: &[(u32, u32, u32, u32)],
    tracks: &mut [Track],
    limits: &Limits,
) -> Result<()> {
    for traf in boxes(moof.payload, moof.offset + 8) {
        let traf = traf?;
        if &traf.fourcc != b"traf" {
            continue;
        }
        let base = traf.offset + 8;
        let tfhd = require(traf.payload, base, *b"tfhd", "tfhd")?;
        let mut c = Cursor::new(tfhd.payload, "tfhd");
        let (_, flags) = c.full_header()?;
        let track_id = c.u32()?;
        let defaults = trex
            .iter()
            .find(|t| t.0 == track_id)
            .copied()
            .unwrap_or((track_id, 0, 0, 0));
        let base_offset = if flags & 0x1 != 0 {
            c.u64()?
        } else {
            moof.offset
        };
        if flags & 0x2 != 0 {
            c.u32()?;
        }
        let default_duration = if flags & 0x8 != 0 {
            c.u32()?
        } else {
            defaults.1
        };
        let default_size = if flags & 0x10 != 0 {
            c.u32()?
        } else {
            defaults.2
        };
        let default_flags = if flags & 0x20 != 0 {
            c.u32()?
        } else {
            defaults.3
        };
        let Some(track) = tracks.iter_mut().find(|t| t.id == track_id) else {
            continue;
        };
        let mut dts = match find(traf.payload, base, *b"tfdt")? {
            Some(tfdt) => {
                let mut c = Cursor::new(tfdt.payload, "tfdt");
                let (version, _) = c.full_header()?;
                if version == 1 {
                    c.u64()?
                } else {
                    u64::from(c.u32()?)
                }
            }
            None => track
                .samples
                .last()
                .map_or(0, |s| s.dts.saturating_add(u64::from(s.duration))),
        };
        for trun in boxes(traf.payload, base) {
            let trun = trun?;
            if &trun.fourcc != b"trun" {
                continue;
            }
            let mut c = Cursor::new(trun.payload, "trun");
            let (version, tflags) = c.full_header()?;
            let per_sample = [0x100, 0x200, 0x400, 0x800]
                .iter()
                .filter(|&&f| tflags & f != 0)
                .count()
                * 4;
            let n = c.u32()? as usize;
            let fixed = usize::from(tflags & 0x1 != 0) * 4 + usize::from(tflags & 0x4 != 0) * 4;
            if n.checked_mul(per_sample)
                .is_none_or(|b| b.saturating_add(fixed) > c.remaining())
            {
                return Err(Mp4Error::BadTable {
                    table: "trun",
                    problem: "sample count exceeds the box",
                });
            }
            check_samples((track.samples.len() + n) as u64, limits)?;
            let mut offset = if tflags & 0x1 != 0 {
                base_offset
                    .checked_add_signed(i64::from(c.u32()? as i32))
                    .ok_or(Mp4Error::BadTable {
                        table: "trun",
                        problem: "data offset out of range",
                    })?
            } else {
                base_offset
            };
            let first_flags = if tflags & 0x4 != 0 {
                Some(c.u32()?)
            } else {
                None
            };
            for i in 0..n {
                let duration = if tflags & 0x100 != 0 {
                    c.u32()?
                } else {
                    default_duration
                };
                let size = if tflags & 0x200 != 0 {
                    c.u32()?
                } else {
                    default_size
                };
                let mut sflags = if tflags & 0x400 != 0 {
                    c.u32()?
                } else {
                    default_flags
                };
                if i == 0 {
                    sflags = first_flags.unwrap_or(sflags);
                }
                let cts_offset = if tflags & 0x800 != 0 {
                    let v = c.u32()?;
                    if version == 0 {
                        i64::from(v)
                    } else {
                        i64::from(v as i32)
                    }
                } else {
                    0
                };
                track.samples.push(Sample {
                    offset,
                    size,
                    dts,
                    cts_offset,
                    duration,
                    sync: sflags & 0x0001_0000 == 0,
                });
                offset = offset
                    .checked_add(u64::from(size))
                    .ok_or(Mp4Error::BadTable {
                        table: "trun",
                        problem: "offsets overflow",
                    })?;
                dts = dts
                    .checked_add(u64::from(duration))
                    .ok_or(Mp4Error::BadTable {
                        table: "trun",
                        problem: "decode times overflow",
                    })?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    reason = "test arithmetic on small values"
)]
mod tests {
    use super::*;

    #[test]
    fn truncated_box_is_an_error() {
        let data = [0, 0, 0, 100, b'f', b't', b'y', b'p', 0, 0];
        assert!(matches!(
            parse(&data, &Limits::default()),
            Err(Mp4Error::Truncated { .. })
        ));
        let data = [0, 0, 0, 4, b'f', b't', b'y', b'p'];
        assert!(matches!(
            parse(&data, &Limits::default()),
            Err(Mp4Error::BadBoxSize { size: 4, .. })
        ));
    }

    #[test]
    fn no_moov_is_an_error() {
        let data = [0, 0, 0, 8, b'f', b'r', b'e', b'e'];
        assert_eq!(
            parse(&data, &Limits::default()),
            Err(Mp4Error::Missing("moov"))
        );
    }

    #[test]
    fn reads_asc() {
        // AAC-LC, 44.1 kHz, stereo.
        assert_eq!(asc_rate_channels(&[0x12, 0x10]), (Some(44_100), Some(2)));
        // AAC-LC, 48 kHz, mono.
        assert_eq!(asc_rate_channels(&[0x11, 0x88]), (Some(48_000), Some(1)));
        assert_eq!(asc_rate_channels(&[0x12]), (None, None));
    }
}
