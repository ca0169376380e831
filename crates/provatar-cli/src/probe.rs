//! `provatar probe FILE [--json]`.

use std::fmt::Write as _;

use anyhow::Context as _;
use provatar::media::{self, ProbeReport};

use crate::Status;
use crate::cli::ProbeArgs;

pub(crate) fn run(args: &ProbeArgs) -> anyhow::Result<Status> {
    let report = media::probe(&args.file, &media::Limits::default())
        .with_context(|| format!("cannot probe {}", args.file.display()))?;
    if args.json {
        crate::print_json(&report)?;
    } else {
        eprintln!("{}: {}", args.file.display(), describe(&report));
    }
    Ok(Status::Success)
}

fn describe(report: &ProbeReport) -> String {
    match report {
        ProbeReport::Image(i) => {
            let mut s = format!(
                "{} image, {}x{} {}",
                i.format.to_uppercase(),
                i.width,
                i.height,
                i.color
            );
            if i.exif_orientation != 1 {
                let _ = write!(
                    s,
                    ", EXIF orientation {} (shown {}x{})",
                    i.exif_orientation, i.display_width, i.display_height
                );
            }
            s
        }
        ProbeReport::Audio(a) => format!(
            "{} audio in {}, {} Hz, {} channel{}, {:.3} s",
            a.codec,
            a.container,
            a.sample_rate,
            a.channels,
            if a.channels == 1 { "" } else { "s" },
            a.duration_seconds
        ),
        ProbeReport::Video(v) => {
            let vs = &v.video;
            let mut s = format!(
                "MP4 ({}{}), H.264 {} {}x{} at {:.3} fps, {} frames decoded ({} in the index), {:.3} s",
                v.brand,
                if v.fragmented { ", fragmented" } else { "" },
                vs.profile.as_deref().unwrap_or("unknown profile"),
                vs.width,
                vs.height,
                vs.fps,
                vs.frames_decoded.unwrap_or(0),
                vs.samples,
                vs.duration_seconds
            );
            if let Some(c) = &vs.colour {
                let _ = write!(
                    s,
                    ", colour {}/{}/{}{}",
                    c.primaries,
                    c.transfer,
                    c.matrix,
                    if c.full_range { " full" } else { "" }
                );
            }
            match &v.audio {
                Some(a) => {
                    let _ = write!(
                        s,
                        "; audio {} {} Hz {} ch {:.3} s",
                        a.codec, a.sample_rate, a.channels, a.duration_seconds
                    );
                }
                None => s.push_str("; no audio"),
            }
            s.push_str(if v.c2pa_manifest {
                "; C2PA manifest present"
            } else {
                "; no C2PA manifest"
            });
            s
        }
    }
}
