//! Writing a track: JSON with ARKit names, or the CSV of Epic's Live Link Face app.

use std::fmt::Write as _;

use provatar_types::{MotionTrack, Shape};

/// The track as JSON: `{"fps": 25, "angles": "radians", "frames": [{"t": 0.0, "blendshapes":
/// {"eyeBlinkLeft": 0.0, …}, "head": {"yaw", "pitch", "roll", "tx", "ty", "scale"}, "gaze":
/// {"yaw", "pitch"}}, …]}` — one object per frame, every ARKit name in every frame.
pub fn to_json(track: &MotionTrack) -> String {
    let frames: Vec<serde_json::Value> = track
        .frames
        .iter()
        .map(|f| {
            let blend: serde_json::Map<String, serde_json::Value> = f
                .blend
                .iter()
                .map(|(shape, w)| (shape.name().to_owned(), round(w).into()))
                .collect();
            serde_json::json!({
                "t": round(f.t),
                "blendshapes": blend,
                "head": {
                    "yaw": round(f.head.yaw), "pitch": round(f.head.pitch),
                    "roll": round(f.head.roll), "tx": round(f.head.tx), "ty": round(f.head.ty),
                    "scale": round(f.head.scale),
                },
                "gaze": {"yaw": round(f.gaze.yaw), "pitch": round(f.gaze.pitch)},
            })
        })
        .collect();
    serde_json::json!({"fps": track.fps, "angles": "radians", "frames": frames}).to_string()
}

/// Six decimals are finer than any consumer resolves and keep files small.
fn round(x: f32) -> f64 {
    (f64::from(x) * 1e6).round() / 1e6
}

/// The track in the CSV layout Live Link Face exports: `Timecode` (`HH:MM:SS:FF.mmm`, frames
/// counted at the track's rate), `BlendShapeCount` (61), the 52 blendshapes capitalised (`JawOpen`), then
/// `HeadYaw, HeadPitch, HeadRoll` and both eyes' `Yaw, Pitch, Roll` (radians).
pub fn to_livelink_csv(track: &MotionTrack) -> String {
    let mut out = String::from("Timecode,BlendShapeCount");
    for shape in Shape::ALL {
        let name = shape.name();
        let mut chars = name.chars();
        out.push(',');
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out.push_str(
        ",HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,\
         RightEyePitch,RightEyeRoll\n",
    );
    let fps = u64::from(track.fps.max(1));
    for (i, f) in (0u64..).zip(&track.frames) {
        let seconds = i / fps;
        let _ = write!(
            out,
            "{:02}:{:02}:{:02}:{:02}.000,61",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60,
            i % fps
        );
        for w in f.blend.as_array() {
            let _ = write!(out, ",{w:.6}");
        }
        let h = &f.head;
        let g = &f.gaze;
        let _ = writeln!(
            out,
            ",{:.6},{:.6},{:.6},{:.6},{:.6},0.000000,{:.6},{:.6},0.000000",
            h.yaw, h.pitch, h.roll, g.yaw, g.pitch, g.yaw, g.pitch
        );
    }
    out
}
