//! Where the frame looks in the portrait.
//!
//! The frame asks for the face at about 55 % of its height (less when `HeadPose::scale` zooms
//! out), the face centre a little above the frame's middle. A tight headshot does not hold that
//! much picture around the face: sampled as asked, the frame would show the photo's last row
//! and column stretched into streaks. So the view is a square kept inside the part of the
//! portrait that holds picture (letterbox bars left out), less a margin for the head's motion
//! (the hair follows the head, so what lies just beyond the view can be drawn into it): first
//! moved, then, where even that cannot fit, made smaller — the face framed tighter — and the
//! generation report says so ([`Framing`]).

/// How a frame holds the face: what was asked, and what the portrait allowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Framing {
    /// The face's height as a share of the frame's height, as asked (0.55 at head distance 1).
    pub requested: f32,
    /// The face's height as a share of the frame's height, as framed.
    pub face_share: f32,
    /// Where the face's centre is in the frame, as shares of its width and height (0.5 and
    /// 0.47 as asked; elsewhere when the view was moved to stay inside the picture).
    pub face_at: [f32; 2],
}

impl Framing {
    /// Whether the face is framed tighter than asked, because the portrait holds too little
    /// picture around it.
    pub fn tightened(&self) -> bool {
        self.face_share > 1.005 * self.requested
    }

    /// Whether the face sits elsewhere in the frame than asked (the view moved to stay inside
    /// the picture).
    pub fn moved(&self) -> bool {
        (self.face_at[0] - 0.5).abs() > 0.005 || (self.face_at[1] - FACE_Y).abs() > 0.005
    }
}

/// Where the face's centre sits in the frame, as a share of its height, as asked.
pub(crate) const FACE_Y: f32 = 0.47;
/// The head's motion allowance around the view, as a share of the face height: a few degrees
/// of turn or roll move the hair at the view's edge by about this much.
const MOTION_MARGIN: f32 = 0.05;

/// A square view into the source: `scale` output pixels per source pixel, the source point
/// `centre` at the frame's centre.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct View {
    pub scale: f32,
    pub centre: [f32; 2],
}

impl View {
    /// The output position of source point `p` in a frame `size` pixels wide.
    pub(crate) fn to_output(self, p: [f32; 2], size: f32) -> [f32; 2] {
        [
            self.scale * (p[0] - self.centre[0]) + 0.5 * size,
            self.scale * (p[1] - self.centre[1]) + 0.5 * size,
        ]
    }

    /// The source position that output pixel centre `(x, y)` shows.
    pub(crate) fn to_source(self, x: f32, y: f32, size: f32) -> [f32; 2] {
        [
            (x - 0.5 * size) / self.scale + self.centre[0],
            (y - 0.5 * size) / self.scale + self.centre[1],
        ]
    }
}

/// The room a view may take: the picture's content (`[x0, y0, x1, y1]`, source pixels), less
/// the motion margin for a face `face_height` tall (never more than a tenth of the content's
/// smaller side, so a small portrait keeps most of itself).
pub(crate) fn room(content: [f32; 4], face_height: f32) -> [f32; 4] {
    let [x0, y0, x1, y1] = content;
    let m = (MOTION_MARGIN * face_height).min(0.1 * (x1 - x0).min(y1 - y0));
    [x0 + m, y0 + m, x1 - m, y1 - m]
}

/// The view for a frame `size` pixels wide that wants `want` output pixels per source pixel
/// with the face centre `face` at (0.5, [`FACE_Y`]) of the frame, kept inside `room`.
pub(crate) fn view(room: [f32; 4], face: [f32; 2], want: f32, size: f32) -> View {
    let [x0, y0, x1, y1] = room;
    let side = (size / want).min(x1 - x0).min(y1 - y0).max(1.0);
    let fit = |c: f32, lo: f32, hi: f32| {
        if hi - lo <= side {
            0.5 * (lo + hi)
        } else {
            c.clamp(lo + 0.5 * side, hi - 0.5 * side)
        }
    };
    View {
        scale: size / side,
        centre: [
            fit(face[0], x0, x1),
            fit(face[1] + (0.5 - FACE_Y) * side, y0, y1),
        ],
    }
}

/// The part of a `width × height` RGB picture that holds picture: all of it, less bars of one
/// dark flat colour along its edges (letterbox or pillarbox). Never cuts into `keep`
/// (`[x0, y0, x1, y1]`, the face's box). Returns `[x0, y0, x1, y1]` in pixels.
#[expect(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "picture sizes and coordinates, clamped at 0 first"
)]
pub(crate) fn content(rgb: &[u8], width: usize, height: usize, keep: [f32; 4]) -> [f32; 4] {
    let px = |x: usize, y: usize| {
        let i = (y * width + x) * 3;
        [rgb[i], rgb[i + 1], rgb[i + 2]]
    };
    // A line is a bar's if every channel stays within a few levels of its mean, and it is dark.
    let flat = |line: &mut dyn Iterator<Item = [u8; 3]>| -> Option<[f32; 3]> {
        let mut n = 0.0f32;
        let mut sum = [0.0f32; 3];
        let mut sq = [0.0f32; 3];
        for p in line {
            n += 1.0;
            for c in 0..3 {
                let v = f32::from(p[c]);
                sum[c] += v;
                sq[c] += v * v;
            }
        }
        let mean = sum.map(|s| s / n.max(1.0));
        let flat = (0..3).all(|c| sq[c] / n.max(1.0) - mean[c] * mean[c] < 6.0);
        let luma = 0.299 * mean[0] + 0.587 * mean[1] + 0.114 * mean[2];
        (flat && luma <= 40.0).then_some(mean)
    };
    let same = |a: [f32; 3], b: [f32; 3]| (0..3).all(|c| (a[c] - b[c]).abs() <= 6.0);
    // How many lines from one edge are the bar's, given the line at each distance.
    let bar = |lines: usize, limit: usize, line: &dyn Fn(usize) -> Option<[f32; 3]>| {
        let Some(first) = line(0) else { return 0 };
        let mut k = 1;
        while k < lines.min(limit) && line(k).is_some_and(|m| same(m, first)) {
            k += 1;
        }
        // One dark line is an edge of the picture, not a bar.
        if k >= 2 { k } else { 0 }
    };
    let row = |y: usize| flat(&mut (0..width).map(|x| px(x, y)));
    let column = |x: usize| flat(&mut (0..height).map(|y| px(x, y)));
    let below = |v: f32| v.max(0.0).floor() as usize;
    let top = bar(height, below(keep[1]), &row);
    let bottom = bar(height, below(height as f32 - keep[3]), &|k| {
        row(height - 1 - k)
    });
    let left = bar(width, below(keep[0]), &column);
    let right = bar(width, below(width as f32 - keep[2]), &|k| {
        column(width - 1 - k)
    });
    [
        left as f32,
        top as f32,
        (width - right) as f32,
        (height - bottom) as f32,
    ]
}

#[cfg(test)]
#[expect(
    clippy::float_cmp,
    reason = "whole numbers and ratios of them are exact"
)]
mod tests {
    use super::*;

    #[test]
    fn a_view_that_fits_is_the_one_asked_for() {
        let v = view([0.0, 0.0, 1000.0, 1000.0], [500.0, 400.0], 2.0, 512.0);
        assert_eq!(v.scale, 2.0);
        let face = v.to_output([500.0, 400.0], 512.0);
        assert!((face[0] - 256.0).abs() < 1e-3 && (face[1] - FACE_Y * 512.0).abs() < 1e-3);
    }

    #[test]
    fn a_view_beyond_the_picture_moves_then_shrinks() {
        // The face near the bottom edge: the view moves up, keeping its size.
        let v = view([0.0, 0.0, 1000.0, 1000.0], [500.0, 900.0], 1.0, 512.0);
        assert_eq!(v.scale, 1.0);
        assert!((v.centre[1] + 256.0 - 1000.0).abs() < 1e-3, "{v:?}");
        // A picture smaller than the view asked for: the view is the whole picture.
        let v = view([0.0, 0.0, 300.0, 400.0], [150.0, 200.0], 1.0, 512.0);
        assert!((v.scale - 512.0 / 300.0).abs() < 1e-4);
        let corners = [
            v.to_source(0.0, 0.0, 512.0),
            v.to_source(512.0, 512.0, 512.0),
        ];
        assert!(
            corners[0][0] >= -1e-3 && corners[1][0] <= 300.001,
            "{corners:?}"
        );
        assert!(
            corners[0][1] >= -1e-3 && corners[1][1] <= 400.001,
            "{corners:?}"
        );
    }

    #[test]
    fn letterbox_bars_are_left_out_and_a_dark_backdrop_is_kept() {
        let (w, h) = (60, 80);
        let mut rgb = vec![0u8; w * h * 3];
        for y in 10..70 {
            for x in 0..w {
                let i = (y * w + x) * 3;
                rgb[i..i + 3].fill(u8::try_from((x * 7 + y * 3) % 200 + 20).unwrap());
            }
        }
        let c = content(&rgb, w, h, [20.0, 30.0, 40.0, 50.0]);
        assert_eq!(c, [0.0, 10.0, 60.0, 70.0]);
        // The bars never cut into the face's box.
        let c = content(&rgb, w, h, [20.0, 5.0, 40.0, 50.0]);
        assert_eq!(c, [0.0, 5.0, 60.0, 70.0]);
        // A single dark edge line is not a bar.
        let mut one = rgb.clone();
        for y in 1..10 {
            one[y * w * 3..(y + 1) * w * 3].fill(90);
        }
        assert_eq!(content(&one, w, h, [20.0, 30.0, 40.0, 50.0])[1], 0.0);
    }
}
