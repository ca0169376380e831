//! Writing MP4: a plain file (`ftyp`, `mdat`, `moov` at the end) and fragmented MP4 (an init
//! segment, then `moof` + `mdat` fragments) for streaming.

use std::io::{Seek, SeekFrom, Write};

use crate::mp4::read::TrackKind;

/// The H.264 video track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoTrackSpec {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Ticks per second.
    pub timescale: u32,
    /// Ticks per frame (constant frame rate).
    pub frame_duration: u32,
    /// The sequence parameter set NAL unit (no start code).
    pub sps: Vec<u8>,
    /// The picture parameter set NAL unit (no start code).
    pub pps: Vec<u8>,
}

/// An Opus track (Opus in ISOBMFF, <https://opus-codec.org/docs/opus_in_isobmff.html>).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpusTrackSpec {
    /// 1 or 2.
    pub channels: u8,
    /// Samples at 48 kHz to discard at the start (the encoder's look-ahead).
    pub pre_skip: u16,
    /// The rate of the audio before encoding, for information.
    pub input_sample_rate: u32,
}

/// What the MP4 writer needs to describe an AAC track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AacTrackSpec {
    /// 1 or 2.
    pub channels: u8,
    /// The AudioSpecificConfig (ISO/IEC 14496-3), for the `esds` box.
    pub asc: Vec<u8>,
    /// Samples at the start that are the encoder's priming, trimmed by the edit list.
    pub priming: u32,
    /// The average bit rate, bits per second.
    pub bitrate: u32,
}

/// The audio track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioTrackSpec {
    /// AAC-LC at 48 kHz.
    Aac(AacTrackSpec),
    /// Opus at 48 kHz.
    Opus(OpusTrackSpec),
}

impl AudioTrackSpec {
    fn timescale(&self) -> u32 {
        match self {
            Self::Aac(_) | Self::Opus(_) => 48_000,
        }
    }

    fn priming(&self) -> u32 {
        match self {
            Self::Aac(a) => a.priming,
            Self::Opus(o) => u32::from(o.pre_skip),
        }
    }
}

const VIDEO_TRACK: u32 = 1;
const AUDIO_TRACK: u32 = 2;
const MOVIE_TIMESCALE: u32 = 1000;
/// ISO 639-2/T "und", packed as three 5-bit letters.
const LANGUAGE_UND: u16 = 0x55C4;

/// A growing buffer of nested boxes; `begin` opens one and `end` writes its size.
#[derive(Default)]
struct Boxes {
    buf: Vec<u8>,
    open: Vec<usize>,
}

impl Boxes {
    fn begin(&mut self, fourcc: [u8; 4]) {
        self.open.push(self.buf.len());
        self.buf.extend_from_slice(&[0; 4]);
        self.buf.extend_from_slice(&fourcc);
    }

    fn begin_full(&mut self, fourcc: [u8; 4], version: u8, flags: u32) {
        self.begin(fourcc);
        self.u8(version);
        self.buf.extend_from_slice(&flags.to_be_bytes()[1..]);
    }

    fn end(&mut self) {
        if let Some(start) = self.open.pop() {
            // Boxes built in memory (moov, moof) stay far below 4 GiB.
            let size = u32::try_from(self.buf.len() - start).unwrap_or(u32::MAX);
            self.buf[start..start + 4].copy_from_slice(&size.to_be_bytes());
        }
    }

    fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn i16(&mut self, v: i16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn bytes(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(v);
    }
    fn zeros(&mut self, n: usize) {
        self.buf.resize(self.buf.len() + n, 0);
    }
    fn matrix(&mut self) {
        for v in [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000u32] {
            self.u32(v);
        }
    }
}

/// Sample bookkeeping of one track of a plain MP4.
#[derive(Default)]
struct TrackTables {
    sizes: Vec<u32>,
    /// Run-length (count, delta).
    durations: Vec<(u32, u32)>,
    /// 1-based numbers of sync samples.
    sync: Vec<u32>,
    /// (file offset, samples in chunk).
    chunks: Vec<(u64, u32)>,
    total_duration: u64,
}

impl TrackTables {
    fn add(&mut self, offset: u64, size: u32, duration: u32, sync: bool, continues_chunk: bool) {
        self.sizes.push(size);
        match self.durations.last_mut() {
            Some((count, delta)) if *delta == duration => *count += 1,
            _ => self.durations.push((1, duration)),
        }
        if sync {
            self.sync
                .push(u32::try_from(self.sizes.len()).unwrap_or(u32::MAX));
        }
        match self.chunks.last_mut() {
            Some((_, count)) if continues_chunk => *count += 1,
            _ => self.chunks.push((offset, 1)),
        }
        self.total_duration += u64::from(duration);
    }
}

fn ftyp(b: &mut Boxes, major: [u8; 4], compatible: &[[u8; 4]]) {
    b.begin(*b"ftyp");
    b.bytes(&major);
    b.u32(0x200);
    for c in compatible {
        b.bytes(c);
    }
    b.end();
}

fn mvhd(b: &mut Boxes, duration_ms: u64, next_track_id: u32) {
    b.begin_full(*b"mvhd", 1, 0);
    b.u64(0); // creation time: left at the epoch so identical inputs give identical files
    b.u64(0);
    b.u32(MOVIE_TIMESCALE);
    b.u64(duration_ms);
    b.u32(0x0001_0000); // rate 1.0
    b.u16(0x0100); // volume 1.0
    b.zeros(10);
    b.matrix();
    b.zeros(24);
    b.u32(next_track_id);
    b.end();
}

struct TrackHeader<'a> {
    id: u32,
    kind: TrackKind,
    timescale: u32,
    media_duration: u64,
    movie_duration: u64,
    video: Option<&'a VideoTrackSpec>,
    audio: Option<&'a AudioTrackSpec>,
}

fn trak(b: &mut Boxes, h: &TrackHeader<'_>, stbl: impl FnOnce(&mut Boxes), fragmented: bool) {
    b.begin(*b"trak");
    b.begin_full(*b"tkhd", 1, 0x3); // enabled, in movie
    b.u64(0);
    b.u64(0);
    b.u32(h.id);
    b.u32(0);
    b.u64(h.movie_duration);
    b.zeros(8);
    b.u16(0); // layer
    b.u16(u16::from(h.kind == TrackKind::Audio)); // alternate group
    b.u16(if h.kind == TrackKind::Audio {
        0x0100
    } else {
        0
    });
    b.u16(0);
    b.matrix();
    let (w, hgt) = h.video.map_or((0, 0), |v| (v.width, v.height));
    b.u32(w << 16);
    b.u32(hgt << 16);
    b.end();
    if let Some(audio) = h.audio {
        // The edit list trims the codec's priming samples (Opus pre-skip) so that audio and
        // video both start at time zero.
        b.begin(*b"edts");
        b.begin_full(*b"elst", 1, 0);
        b.u32(1);
        b.u64(if fragmented { 0 } else { h.movie_duration });
        b.u64(u64::from(audio.priming()));
        b.u32(0x0001_0000);
        b.end();
        b.end();
    }
    b.begin(*b"mdia");
    b.begin_full(*b"mdhd", 1, 0);
    b.u64(0);
    b.u64(0);
    b.u32(h.timescale);
    b.u64(h.media_duration);
    b.u16(LANGUAGE_UND);
    b.u16(0);
    b.end();
    b.begin_full(*b"hdlr", 0, 0);
    b.u32(0);
    let (handler, name): (&[u8; 4], &[u8]) = match h.kind {
        TrackKind::Video => (b"vide", b"provatar video\0"),
        _ => (b"soun", b"provatar audio\0"),
    };
    b.bytes(handler);
    b.zeros(12);
    b.bytes(name);
    b.end();
    b.begin(*b"minf");
    if h.kind == TrackKind::Video {
        b.begin_full(*b"vmhd", 0, 1);
        b.zeros(8);
        b.end();
    } else {
        b.begin_full(*b"smhd", 0, 0);
        b.zeros(4);
        b.end();
    }
    b.begin(*b"dinf");
    b.begin_full(*b"dref", 0, 0);
    b.u32(1);
    b.begin_full(*b"url ", 0, 1); // media is in this file
    b.end();
    b.end();
    b.end();
    b.begin(*b"stbl");
    b.begin_full(*b"stsd", 0, 0);
    b.u32(1);
    if let Some(v) = h.video {
        avc1(b, v);
    }
    match h.audio {
        Some(AudioTrackSpec::Opus(o)) => opus_entry(b, o),
        Some(AudioTrackSpec::Aac(a)) => aac_entry(b, a),
        None => {}
    }
    b.end();
    stbl(b);
    b.end(); // stbl
    b.end(); // minf
    b.end(); // mdia
    b.end(); // trak
}

fn avc1(b: &mut Boxes, v: &VideoTrackSpec) {
    b.begin(*b"avc1");
    b.zeros(6);
    b.u16(1); // data reference index
    b.zeros(16);
    b.u16(u16::try_from(v.width).unwrap_or(u16::MAX));
    b.u16(u16::try_from(v.height).unwrap_or(u16::MAX));
    b.u32(0x0048_0000); // 72 dpi
    b.u32(0x0048_0000);
    b.u32(0);
    b.u16(1); // frames per sample
    let mut name = [0u8; 32];
    let label = b"provatar H.264";
    name[0] = 14;
    name[1..=label.len()].copy_from_slice(label);
    b.bytes(&name);
    b.u16(0x0018); // depth
    b.i16(-1);
    // avcC: AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3).
    b.begin(*b"avcC");
    b.u8(1);
    b.u8(v.sps.get(1).copied().unwrap_or(66));
    b.u8(v.sps.get(2).copied().unwrap_or(0));
    b.u8(v.sps.get(3).copied().unwrap_or(30));
    b.u8(0xFF); // 4-byte NAL lengths
    b.u8(0xE1); // one SPS
    b.u16(u16::try_from(v.sps.len()).unwrap_or(u16::MAX));
    b.bytes(&v.sps);
    b.u8(1);
    b.u16(u16::try_from(v.pps.len()).unwrap_or(u16::MAX));
    b.bytes(&v.pps);
    b.end();
    // BT.709 primaries, transfer and matrix, limited range.
    b.begin(*b"colr");
    b.bytes(b"nclx");
    b.u16(1);
    b.u16(1);
    b.u16(1);
    b.u8(0);
    b.end();
    b.begin(*b"pasp");
    b.u32(1);
    b.u32(1);
    b.end();
    b.end();
}

/// `mp4a` with an `esds` (ISO/IEC 14496-14 §5.6; the descriptors of ISO/IEC 14496-1 §7.2.6).
fn aac_entry(b: &mut Boxes, a: &AacTrackSpec) {
    b.begin(*b"mp4a");
    b.zeros(6);
    b.u16(1); // data reference index
    b.zeros(8);
    b.u16(u16::from(a.channels));
    b.u16(16);
    b.zeros(4);
    b.u32(48_000 << 16);
    b.begin_full(*b"esds", 0, 0);
    let asc_len = u8::try_from(a.asc.len()).unwrap_or(u8::MAX);
    let asc = &a.asc[..usize::from(asc_len)];
    // ES_Descriptor: ES_ID 0, no flags; a DecoderConfigDescriptor (13 bytes + the
    // DecoderSpecificInfo) and an SLConfigDescriptor (3 bytes).
    let dsi_len = 2 + asc_len;
    let dcd_len = 13 + dsi_len;
    b.u8(0x03);
    b.u8(3 + 2 + dcd_len + 3);
    b.u16(0);
    b.u8(0);
    b.u8(0x04);
    b.u8(dcd_len);
    b.u8(0x40); // MPEG-4 audio
    b.u8(0x15); // audio stream, reserved bit set
    b.bytes(&[0, 0x18, 0]); // buffer size: 6144 bytes
    b.u32(a.bitrate); // max bit rate
    b.u32(a.bitrate); // average bit rate
    b.u8(0x05);
    b.u8(asc_len);
    b.bytes(asc);
    b.u8(0x06);
    b.u8(1);
    b.u8(0x02); // predefined: MP4
    b.end();
    b.end();
}

fn opus_entry(b: &mut Boxes, o: &OpusTrackSpec) {
    b.begin(*b"Opus");
    b.zeros(6);
    b.u16(1);
    b.zeros(8);
    b.u16(u16::from(o.channels));
    b.u16(16);
    b.zeros(4);
    b.u32(48_000 << 16);
    b.begin(*b"dOps");
    b.u8(0);
    b.u8(o.channels);
    b.u16(o.pre_skip);
    b.u32(o.input_sample_rate);
    b.i16(0);
    b.u8(0); // channel mapping family 0: mono or stereo
    b.end();
    b.end();
}

fn sample_tables(b: &mut Boxes, t: &TrackTables, video: bool) {
    b.begin_full(*b"stts", 0, 0);
    b.u32(u32::try_from(t.durations.len()).unwrap_or(u32::MAX));
    for &(count, delta) in &t.durations {
        b.u32(count);
        b.u32(delta);
    }
    b.end();
    if video {
        b.begin_full(*b"stss", 0, 0);
        b.u32(u32::try_from(t.sync.len()).unwrap_or(u32::MAX));
        for &s in &t.sync {
            b.u32(s);
        }
        b.end();
    }
    // stsc: runs of chunks with the same sample count.
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for (i, &(_, count)) in t.chunks.iter().enumerate() {
        if runs.last().is_none_or(|&(_, c)| c != count) {
            runs.push((u32::try_from(i + 1).unwrap_or(u32::MAX), count));
        }
    }
    b.begin_full(*b"stsc", 0, 0);
    b.u32(u32::try_from(runs.len()).unwrap_or(u32::MAX));
    for (first, count) in runs {
        b.u32(first);
        b.u32(count);
        b.u32(1);
    }
    b.end();
    b.begin_full(*b"stsz", 0, 0);
    b.u32(0);
    b.u32(u32::try_from(t.sizes.len()).unwrap_or(u32::MAX));
    for &s in &t.sizes {
        b.u32(s);
    }
    b.end();
    b.begin_full(*b"co64", 0, 0);
    b.u32(u32::try_from(t.chunks.len()).unwrap_or(u32::MAX));
    for &(offset, _) in &t.chunks {
        b.u64(offset);
    }
    b.end();
}

fn empty_tables(b: &mut Boxes) {
    for fourcc in [*b"stts", *b"stsc", *b"stco"] {
        b.begin_full(fourcc, 0, 0);
        b.u32(0);
        b.end();
    }
    b.begin_full(*b"stsz", 0, 0);
    b.u32(0);
    b.u32(0);
    b.end();
}

fn to_movie_time(duration: u64, timescale: u32) -> u64 {
    let t = u128::from(duration) * u128::from(MOVIE_TIMESCALE);
    u64::try_from(t.div_ceil(u128::from(timescale.max(1)))).unwrap_or(u64::MAX)
}

/// Writes a plain MP4: `ftyp`, one `mdat` that samples stream into, and `moov` at the end.
///
/// Samples are given in AVCC form (4-byte length before each NAL unit) for video and as raw
/// packets for audio, in the order they should sit in the file (interleaved by time).
pub struct Mp4Writer<W: Write + Seek> {
    out: W,
    video: VideoTrackSpec,
    audio: Option<AudioTrackSpec>,
    mdat_start: u64,
    position: u64,
    last_track: Option<u32>,
    tables: [TrackTables; 2],
    audio_valid_samples: Option<u64>,
}

impl<W: Write + Seek> Mp4Writer<W> {
    /// Writes `ftyp` and the `mdat` header.
    pub fn new(
        mut out: W,
        video: VideoTrackSpec,
        audio: Option<AudioTrackSpec>,
    ) -> std::io::Result<Self> {
        let mut b = Boxes::default();
        ftyp(&mut b, *b"isom", &[*b"isom", *b"iso2", *b"avc1", *b"mp41"]);
        let mdat_start = b.buf.len() as u64;
        // A 64-bit `mdat` header, its size patched in `finish`.
        b.u32(1);
        b.bytes(b"mdat");
        b.u64(0);
        out.write_all(&b.buf)?;
        Ok(Self {
            out,
            video,
            audio,
            mdat_start,
            position: b.buf.len() as u64,
            last_track: None,
            tables: [TrackTables::default(), TrackTables::default()],
            audio_valid_samples: None,
        })
    }

    /// Sets the H.264 parameter sets, known only once the encoder has made its first picture.
    pub fn set_parameter_sets(&mut self, sps: &[u8], pps: &[u8]) {
        self.video.sps = sps.to_vec();
        self.video.pps = pps.to_vec();
    }

    /// Appends one video sample (an access unit in AVCC form).
    pub fn write_video(&mut self, sample: &[u8], keyframe: bool) -> std::io::Result<()> {
        let duration = self.video.frame_duration;
        self.write(VIDEO_TRACK, sample, duration, keyframe)
    }

    /// Appends one audio packet lasting `duration` ticks of the audio timescale.
    pub fn write_audio(&mut self, packet: &[u8], duration: u32) -> std::io::Result<()> {
        self.write(AUDIO_TRACK, packet, duration, true)
    }

    /// The audio's real length in samples at its timescale, without priming and padding; sets
    /// the edit list's duration. Without it the whole track plays.
    pub fn set_audio_length(&mut self, samples: u64) {
        self.audio_valid_samples = Some(samples);
    }

    fn write(&mut self, track: u32, data: &[u8], duration: u32, sync: bool) -> std::io::Result<()> {
        let size =
            u32::try_from(data.len()).map_err(|_| std::io::Error::other("sample over 4 GiB"))?;
        self.out.write_all(data)?;
        let continues = self.last_track == Some(track);
        self.tables[(track - 1) as usize].add(self.position, size, duration, sync, continues);
        self.last_track = Some(track);
        self.position += u64::from(size);
        Ok(())
    }

    /// Writes `moov`, patches the `mdat` size and gives the output back.
    pub fn finish(mut self) -> std::io::Result<W> {
        let video_media = self.tables[0].total_duration;
        let video_movie = to_movie_time(video_media, self.video.timescale);
        let audio_media = self.tables[1].total_duration;
        let audio_movie = self.audio.as_ref().map(|a| {
            let valid = self
                .audio_valid_samples
                .unwrap_or_else(|| audio_media.saturating_sub(u64::from(a.priming())));
            to_movie_time(valid, a.timescale())
        });
        let movie = video_movie.max(audio_movie.unwrap_or(0));
        let mut b = Boxes::default();
        b.begin(*b"moov");
        mvhd(&mut b, movie, if self.audio.is_some() { 3 } else { 2 });
        let video_tables = &self.tables[0];
        trak(
            &mut b,
            &TrackHeader {
                id: VIDEO_TRACK,
                kind: TrackKind::Video,
                timescale: self.video.timescale,
                media_duration: video_media,
                movie_duration: video_movie,
                video: Some(&self.video),
                audio: None,
            },
            |b| sample_tables(b, video_tables, true),
            false,
        );
        if let (Some(audio), Some(audio_movie)) = (&self.audio, audio_movie) {
            let audio_tables = &self.tables[1];
            trak(
                &mut b,
                &TrackHeader {
                    id: AUDIO_TRACK,
                    kind: TrackKind::Audio,
                    timescale: audio.timescale(),
                    media_duration: audio_media,
                    movie_duration: audio_movie,
                    video: None,
                    audio: Some(audio),
                },
                |b| sample_tables(b, audio_tables, false),
                false,
            );
        }
        b.end();
        self.out.write_all(&b.buf)?;
        let mdat_size = self.position - self.mdat_start;
        self.out.seek(SeekFrom::Start(self.mdat_start + 8))?;
        self.out.write_all(&mdat_size.to_be_bytes())?;
        self.out.seek(SeekFrom::End(0))?;
        self.out.flush()?;
        Ok(self.out)
    }
}

struct PendingSample {
    size: u32,
    duration: u32,
    sync: bool,
}

/// Builds fragmented MP4 in memory: [`init_segment`](Self::init_segment) once, then one
/// `moof` + `mdat` per [`fragment`](Self::fragment). Sans-I/O, so a stream can send each piece
/// wherever it goes (a file, a socket, a C2PA signer).
pub struct FragmentedMp4Writer {
    video: VideoTrackSpec,
    audio: Option<AudioTrackSpec>,
    sequence: u32,
    decode_time: [u64; 2],
    pending: [Vec<PendingSample>; 2],
    data: [Vec<u8>; 2],
}

impl FragmentedMp4Writer {
    /// Starts a fragmented stream.
    pub fn new(video: VideoTrackSpec, audio: Option<AudioTrackSpec>) -> Self {
        Self {
            video,
            audio,
            sequence: 0,
            decode_time: [0, 0],
            pending: [Vec::new(), Vec::new()],
            data: [Vec::new(), Vec::new()],
        }
    }

    /// `ftyp` + `moov` with empty sample tables and `mvex`.
    pub fn init_segment(&self) -> Vec<u8> {
        let mut b = Boxes::default();
        ftyp(&mut b, *b"iso6", &[*b"iso6", *b"iso5", *b"avc1", *b"mp41"]);
        b.begin(*b"moov");
        mvhd(&mut b, 0, if self.audio.is_some() { 3 } else { 2 });
        trak(
            &mut b,
            &TrackHeader {
                id: VIDEO_TRACK,
                kind: TrackKind::Video,
                timescale: self.video.timescale,
                media_duration: 0,
                movie_duration: 0,
                video: Some(&self.video),
                audio: None,
            },
            empty_tables,
            true,
        );
        if let Some(audio) = &self.audio {
            trak(
                &mut b,
                &TrackHeader {
                    id: AUDIO_TRACK,
                    kind: TrackKind::Audio,
                    timescale: audio.timescale(),
                    media_duration: 0,
                    movie_duration: 0,
                    video: None,
                    audio: Some(audio),
                },
                empty_tables,
                true,
            );
        }
        b.begin(*b"mvex");
        let tracks = if self.audio.is_some() { 2 } else { 1 };
        for id in 1..=tracks {
            b.begin_full(*b"trex", 0, 0);
            b.u32(id);
            b.u32(1);
            b.u32(0);
            b.u32(0);
            b.u32(0);
            b.end();
        }
        b.end();
        b.end();
        b.buf
    }

    /// Queues a video sample (AVCC form) for the next fragment.
    pub fn push_video(&mut self, sample: &[u8], keyframe: bool) {
        let duration = self.video.frame_duration;
        self.push(0, sample, duration, keyframe);
    }

    /// Queues an audio packet for the next fragment.
    pub fn push_audio(&mut self, packet: &[u8], duration: u32) {
        self.push(1, packet, duration, true);
    }

    fn push(&mut self, track: usize, data: &[u8], duration: u32, sync: bool) {
        self.pending[track].push(PendingSample {
            size: u32::try_from(data.len()).unwrap_or(u32::MAX),
            duration,
            sync,
        });
        self.data[track].extend_from_slice(data);
    }

    /// Video samples waiting for the next fragment.
    pub fn pending_video_samples(&self) -> usize {
        self.pending[0].len()
    }

    /// Emits `moof` + `mdat` for everything queued, or `None` if nothing is.
    pub fn fragment(&mut self) -> Option<Vec<u8>> {
        if self.pending.iter().all(Vec::is_empty) {
            return None;
        }
        self.sequence += 1;
        let mut b = Boxes::default();
        b.begin(*b"moof");
        b.begin_full(*b"mfhd", 0, 0);
        b.u32(self.sequence);
        b.end();
        let mut offset_fields = Vec::new();
        for track in 0..2 {
            if self.pending[track].is_empty() {
                continue;
            }
            b.begin(*b"traf");
            b.begin_full(*b"tfhd", 0, 0x02_0000); // default-base-is-moof
            b.u32(u32::try_from(track + 1).unwrap_or(1));
            b.end();
            b.begin_full(*b"tfdt", 1, 0);
            b.u64(self.decode_time[track]);
            b.end();
            // data offset, then per sample: duration, size, flags.
            b.begin_full(*b"trun", 0, 0x0701);
            b.u32(u32::try_from(self.pending[track].len()).unwrap_or(u32::MAX));
            offset_fields.push((b.buf.len(), track));
            b.i32(0);
            for s in &self.pending[track] {
                b.u32(s.duration);
                b.u32(s.size);
                // sample_depends_on = 2 (an I-frame) or 1 + sample_is_non_sync_sample.
                b.u32(if s.sync { 0x0200_0000 } else { 0x0101_0000 });
                self.decode_time[track] += u64::from(s.duration);
            }
            b.end();
            b.end();
        }
        b.end();
        let moof_len = b.buf.len();
        let mut data_start = moof_len + 8;
        for (field, track) in offset_fields {
            let offset = i32::try_from(data_start).unwrap_or(i32::MAX);
            b.buf[field..field + 4].copy_from_slice(&offset.to_be_bytes());
            data_start += self.data[track].len();
        }
        let mdat_len = 8 + self.data[0].len() + self.data[1].len();
        b.u32(u32::try_from(mdat_len).unwrap_or(u32::MAX));
        b.bytes(b"mdat");
        for track in 0..2 {
            b.bytes(&self.data[track]);
            self.data[track].clear();
            self.pending[track].clear();
        }
        Some(b.buf)
    }
}
