//! Portrait + face rig + motion frame → a video frame: a 2.5D mesh warp.
//!
//! Set-up (once per portrait, [`Renderer::new`]):
//! - **control points**: the 478 landmarks, a centre point in each eye and in the mouth, five
//!   rings around the face outline (1.2× to 2.6× its distance from the face centre) and a far
//!   border. How much each ring point follows the head depends on what lies under it: above
//!   the ears everything moves with the head (hair, and the background around it, which the
//!   person layer leaves out); below the ears only what is close to the jaw (ears, the neck),
//!   fading out so the neck bends and the shoulders stay still; the far border never moves;
//! - **layers**, when the rig has a person mask (as `generate`'s does): the person's opacity
//!   (the mask, widened a little, its edge softened outwards and tightened) and a background
//!   plate — the framed portrait with the person filled in from the background around it — so
//!   what a turning head uncovers is background, not a smear. Without a mask the picture is one
//!   sheet and only the inner rings follow;
//! - **triangles**: the face mesh's 852, the eyes as fans around their centre points, and strips
//!   between the rings, each ring triangle marked by what its source holds (background only,
//!   person only, or both); the mouth's fan is not textured — its interior is drawn;
//! - **deformation fields**, one per blendshape, in picture pixels: each moves a few handle
//!   points (the jaw's lower lip and chin, the eyelids, the mouth corners, the brows) and pins
//!   others, spread to every point by Gaussian weights; plus a rest field that closes the
//!   portrait's own mouth, so `jawOpen = 0` means closed lips even for a smiling portrait.
//!
//! Per frame ([`Renderer::frame`]): displacement = rest + Σ weight × field; the head rotates in
//! 3D about a pivot behind the face using the landmarks' depth (ring points at the depth of the
//! outline point they extend); the framing scales the face to about 55 % of the frame height
//! (`HeadPose::scale` zooms), the view kept inside the picture the portrait holds, moved or
//! tightened where a tight headshot has too little around the face ([`Framing`]). The frame
//! starts as the still portrait with the plate wherever something can move; triangles are
//! drawn back to front by backward mapping with bilinear sampling, the rings laid over the plate with the person's opacity; the eye interiors are
//! sampled shifted for gaze; the open mouth is filled with a synthesised interior (cavity,
//! teeth, tongue). What does not move is drawn from the same source coordinates every frame,
//! so it stays bit-identical.

#![forbid(unsafe_code)]
#![expect(
    clippy::cast_precision_loss,
    reason = "pixel coordinates and counts stay far below 2^24"
)]

mod framing;
mod plate;
mod raster;

pub use framing::Framing;

use provatar_consent::Admission;
use provatar_face::FaceRig;
use provatar_types::{Frame, MotionFrame, Shape};

use plate::Cover;
use raster::{Layer, Plane, Source, Tri, fill, fill_over, inside};

/// Why a renderer cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The output size is outside the supported range.
    #[error("invalid output size {0} (expected 64..=1024)")]
    Size(u32),
    /// The rig does not belong to this picture or lacks landmarks.
    #[error("the face rig does not match the portrait ({0})")]
    Rig(String),
    /// A frame could not be assembled.
    #[error("cannot assemble a frame: {0}")]
    Frame(String),
    /// The picture is not the one the admission was given for.
    #[error("the picture to animate is not the portrait the consent gate admitted")]
    NotAdmitted,
}

const RING: usize = 36;
/// How far above its place (as a share of its travel) a closing lid samples the picture.
const LID_SOURCE: f32 = 0.5;
const EYE_R: usize = 478;
const EYE_L: usize = 479;
const MOUTH: usize = 480;
const RING1: usize = 481;
/// The rings of control points around the face, as multiples of the face outline's distance
/// from the face centre.
const RING_SCALES: [f32; 5] = [1.2, 1.45, 1.75, 2.1, 2.6];
const BORDER: usize = RING1 + RING * RING_SCALES.len();
const POINTS: usize = BORDER + RING;
/// How far the person mask is widened, as a share of the face height (see [`plate::opacity`]).
const GROW_MASK: f32 = 0.015;

/// Which blendshapes move the mesh, each with its field.
const SHAPES: [Shape; 24] = [
    Shape::JawOpen,
    Shape::MouthClose,
    Shape::MouthFunnel,
    Shape::MouthPucker,
    Shape::MouthSmileLeft,
    Shape::MouthSmileRight,
    Shape::MouthFrownLeft,
    Shape::MouthFrownRight,
    Shape::MouthStretchLeft,
    Shape::MouthStretchRight,
    Shape::MouthPressLeft,
    Shape::MouthRollLower,
    Shape::MouthUpperUpLeft,
    Shape::MouthLowerDownLeft,
    Shape::BrowInnerUp,
    Shape::BrowOuterUpLeft,
    Shape::BrowOuterUpRight,
    Shape::BrowDownLeft,
    Shape::BrowDownRight,
    Shape::EyeBlinkLeft,
    Shape::EyeBlinkRight,
    Shape::EyeWideLeft,
    Shape::EyeWideRight,
    Shape::CheekSquintLeft,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Around the face, with what its source holds.
    Ring(Cover),
    Eye(usize),
    Face,
}

/// Renders frames of one portrait.
pub struct Renderer {
    source: Vec<u8>,
    source_w: usize,
    source_h: usize,
    /// The person layer's opacity (one byte per source pixel) and its 3×3 minimum and maximum,
    /// when the rig has a person mask: then the head moves as a layer over a background plate.
    alpha: Option<[Vec<u8>; 3]>,
    size: u32,
    rest: Vec<[f32; 3]>,
    follow: Vec<f32>,
    triangles: Vec<([u16; 3], Kind)>,
    fields: Vec<Vec<[f32; 2]>>,
    rest_field: Vec<[f32; 2]>,
    centre: [f32; 3],
    pivot: [f32; 3],
    face_height: f32,
    eye_width: [f32; 2],
    base_scale: f32,
    /// Where a view may look in the source: the picture's content less the motion margin.
    room: [f32; 4],
    background: Option<(u32, Vec<u8>)>,
    teeth: Option<Teeth>,
    lid_source: [Vec<[f32; 2]>; 2],
    order: Vec<usize>,
}

/// The portrait's own open mouth, when it shows teeth: per source column, the top and bottom of
/// the opening, so the renderer can reuse the real teeth.
#[derive(Debug, Clone)]
struct Teeth {
    first_column: i64,
    top: Vec<f32>,
    bottom: Vec<f32>,
    /// Their mean colour (the bright pixels of the opening), for the lower teeth to match.
    colour: [f32; 3],
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("source", &(self.source_w, self.source_h))
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

fn sub(a: [f32; 2], b: [f32; 2]) -> [f32; 2] {
    [a[0] - b[0], a[1] - b[1]]
}

fn len(a: [f32; 2]) -> f32 {
    a[0].hypot(a[1])
}

fn xy(p: [f32; 3]) -> [f32; 2] {
    [p[0], p[1]]
}

/// Spreads handle displacements to every point with Gaussian weights of radius `r`; pins hold
/// their points still. Handles and pins move exactly as told (the lips or lids on either side
/// of an opening move differently however close they are); points far from every handle do
/// not move.
fn spread(
    points: &[[f32; 3]],
    handles: &[(usize, [f32; 2])],
    pins: &[usize],
    r: f32,
) -> Vec<[f32; 2]> {
    spread_to(points, handles, pins, r, RING1)
}

/// [`spread`] to the points before `reach`: the face's own (`RING1`), or the rings too
/// (`BORDER`) for a field that moves what lies beyond the face outline — the opening jaw pulls
/// the skin under the chin down with it, or the chin would fold over the neck.
fn spread_to(
    points: &[[f32; 3]],
    handles: &[(usize, [f32; 2])],
    pins: &[usize],
    r: f32,
    reach: usize,
) -> Vec<[f32; 2]> {
    // Cut at 3 r, so a field ends somewhere and what lies beyond stays bit-identical.
    let g = |a: [f32; 3], b: [f32; 3]| {
        let d = len(sub(xy(a), xy(b)));
        if d > 3.0 * r {
            0.0
        } else {
            (-(d * d) / (2.0 * r * r)).exp()
        }
    };
    points
        .iter()
        .enumerate()
        .map(|(j, &p)| {
            if let Some(&(_, d)) = handles.iter().find(|(h, _)| *h == j) {
                return d;
            }
            // The rings follow the head, never an expression (unless the field reaches them).
            if pins.contains(&j) || j >= reach {
                return [0.0, 0.0];
            }
            let (mut sx, mut sy, mut sw) = (0.0, 0.0, 0.15);
            for &(h, d) in handles {
                let w = g(p, points[h]);
                sx += w * d[0];
                sy += w * d[1];
                sw += w;
            }
            for &h in pins {
                sw += g(p, points[h]);
            }
            let d = [sx / sw, sy / sw];
            if len(d) < 0.05 { [0.0, 0.0] } else { d }
        })
        .collect()
}

/// The whole factor to reduce a portrait by before rendering, so that a source pixel covers
/// at least half an output pixel at the default framing (the face at 55 % of the frame): 1
/// when the portrait is not that much finer. Zooming in (`HeadPose::scale` up to 2) still
/// finds detail to show.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a small whole factor"
)]
fn reduction(face_height: f32, shorter_side: f32, size: u32) -> usize {
    // A headshot too tight for that framing is framed tighter (`framing`): finer, then.
    let view = (face_height.max(8.0) / 0.55).min(shorter_side.max(8.0));
    let output_per_source = size as f32 / view;
    (1.0 / output_per_source).floor().clamp(1.0, 64.0) as usize
}

/// The portrait and its rig reduced by `k`: each output pixel the mean of a k × k block (partial
/// blocks at the right and bottom edges averaged over what they hold); landmarks, box and mask
/// scaled to match.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    reason = "picture sizes and coordinates"
)]
fn reduce(portrait: &Frame, rig: &FaceRig, k: usize) -> Result<(Frame, FaceRig), RenderError> {
    let (w, h) = (portrait.width() as usize, portrait.height() as usize);
    let (sw, sh) = (w.div_ceil(k), h.div_ceil(k));
    let average = |values: &[u8], channels: usize| -> Vec<u8> {
        let mut sum = vec![0u32; sw * sh * channels];
        for (y, row) in values.chunks_exact(w * channels).enumerate() {
            let out = &mut sum[(y / k) * sw * channels..][..sw * channels];
            for (x, px) in row.chunks_exact(channels).enumerate() {
                for (c, &v) in px.iter().enumerate() {
                    out[(x / k) * channels + c] += u32::from(v);
                }
            }
        }
        sum.iter()
            .enumerate()
            .map(|(i, &s)| {
                let (x, y) = ((i / channels) % sw, (i / channels) / sw);
                let n = ((x + 1) * k).min(w) - x * k;
                let m = ((y + 1) * k).min(h) - y * k;
                let count = u32::try_from(n * m).unwrap_or(u32::MAX).max(1);
                u8::try_from((s + count / 2) / count).unwrap_or(u8::MAX)
            })
            .collect()
    };
    let (sw32, sh32) = (sw as u32, sh as u32);
    let small = Frame::from_rgb(sw32, sh32, average(portrait.rgb(), 3))
        .map_err(|e| RenderError::Frame(e.to_string()))?;
    let f = 1.0 / k as f32;
    let mask = rig
        .person_mask
        .as_ref()
        .filter(|m| m.width() == portrait.width() && m.height() == portrait.height())
        .and_then(|m| provatar_face::PersonMask::from_alpha(sw32, sh32, average(m.alpha(), 1)));
    let small_rig = FaceRig {
        width: sw32,
        height: sh32,
        bbox: rig.bbox.map(|v| v * f),
        score: rig.score,
        presence: rig.presence,
        landmarks: rig.landmarks.iter().map(|p| p.map(|v| v * f)).collect(),
        pose: rig.pose,
        person_mask: mask,
    };
    Ok((small, small_rig))
}

/// How much each control point follows the head (1 all the way, 0 not at all).
///
/// The face's own points follow fully. Around it, with a person mask (`masked`), the head is a
/// layer over a background plate, so the rings follow what lies under them: above the ears the
/// hair and whatever surrounds it move with the head, all the way out; below the ears only
/// what is close to the jaw does (ears, the neck under the chin), fading out over a third of
/// the face height, so the neck bends and the shoulders and collar stay still. The far border
/// never moves. Without a mask the picture is one sheet, and only the two innermost rings
/// follow (at 85 %), so the background does not swim.
fn follow(rest: &[[f32; 3]], oval: &[usize], masked: bool) -> Vec<f32> {
    let hh = len(sub(xy(rest[10]), xy(rest[152]))).max(8.0);
    let eye_axis = sub(xy(rest[263]), xy(rest[33]));
    let n = len(eye_axis).max(1e-3);
    let down = [-eye_axis[1] / n, eye_axis[0] / n];
    let along = |p: [f32; 2]| p[0] * down[0] + p[1] * down[1];
    let ears = 0.5 * (along(xy(rest[234])) + along(xy(rest[454])));
    let smooth = |a: f32, b: f32, x: f32| {
        let t = ((x - a) / (b - a)).clamp(0.0, 1.0);
        t * t * (3.0 - 2.0 * t)
    };
    // Distance from the face outline (a closed loop).
    let outline = |p: [f32; 2]| {
        (0..oval.len())
            .map(|k| {
                let a = xy(rest[oval[k]]);
                let b = xy(rest[oval[(k + 1) % oval.len()]]);
                let ab = sub(b, a);
                let t = ((p[0] - a[0]) * ab[0] + (p[1] - a[1]) * ab[1])
                    / (ab[0] * ab[0] + ab[1] * ab[1]).max(1e-6);
                let t = t.clamp(0.0, 1.0);
                len(sub(p, [a[0] + t * ab[0], a[1] + t * ab[1]]))
            })
            .fold(f32::MAX, f32::min)
    };
    let mut follow = vec![1.0f32; POINTS];
    for (i, f) in follow.iter_mut().enumerate().skip(RING1) {
        let ring = (i - RING1) / RING;
        if i >= BORDER {
            *f = 0.0;
        } else if masked {
            let p = xy(rest[i]);
            let near = 1.0 - smooth(0.08 * hh, 0.35 * hh, outline(p));
            let below = smooth(ears - 0.05 * hh, ears + 0.25 * hh, along(p));
            *f = 1.0 - below + below * near;
        } else {
            *f = if ring < 2 { 0.85 } else { 0.0 };
        }
    }
    follow
}

impl Renderer {
    /// Prepares to render `portrait` (the picture `rig` was analysed from) at `size`×`size`.
    /// Only the consent gate makes an [`Admission`], so there is no ungated path to a rendered
    /// frame, and the admission binds the decoded picture it was given: any other picture —
    /// another portrait, or this one altered by a pixel — is refused
    /// ([`RenderError::NotAdmitted`]).
    ///
    /// # Errors
    /// [`RenderError`] for a size outside 64..=1024 or a rig that does not fit the picture.
    pub fn new(
        admission: &Admission,
        portrait: &Frame,
        rig: &FaceRig,
        size: u32,
    ) -> Result<Self, RenderError> {
        if !admission.admits_pixels(portrait) {
            return Err(RenderError::NotAdmitted);
        }
        Self::build(portrait, rig, size)
    }

    #[expect(
        clippy::too_many_lines,
        reason = "the rig's set-up reads best as one recipe"
    )]
    fn build(portrait: &Frame, rig: &FaceRig, size: u32) -> Result<Self, RenderError> {
        if !(64..=1024).contains(&size) {
            return Err(RenderError::Size(size));
        }
        if rig.landmarks.len() != 478
            || rig.width != portrait.width()
            || rig.height != portrait.height()
        {
            return Err(RenderError::Rig(format!(
                "{} landmarks for a {}×{} picture, rig made for {}×{}",
                rig.landmarks.len(),
                portrait.width(),
                portrait.height(),
                rig.width,
                rig.height
            )));
        }
        // A portrait much finer than the frame needs (a phone photo) is first reduced by a
        // whole factor, averaging blocks: sampling it as it is would alias (hair and fabric
        // shimmering as the head moves) and miss the cache.
        let k = reduction(
            len(sub(xy(rig.landmarks[10]), xy(rig.landmarks[152]))),
            portrait.width().min(portrait.height()) as f32,
            size,
        );
        if k > 1 {
            let (small, small_rig) = reduce(portrait, rig, k)?;
            return Self::build(&small, &small_rig, size);
        }
        let regions = provatar_face::topology::regions();
        let lm = &rig.landmarks;
        let idx = |s: &[u16]| s.iter().map(|&i| usize::from(i)).collect::<Vec<_>>();
        let oval = idx(regions.face_oval);
        let mean = |ids: &[usize]| {
            let n = ids.len() as f32;
            let s = ids.iter().fold([0.0f32; 3], |a, &i| {
                [a[0] + lm[i][0], a[1] + lm[i][1], a[2] + lm[i][2]]
            });
            [s[0] / n, s[1] / n, s[2] / n]
        };
        let centre = mean(&oval);
        let face_height = len(sub(xy(lm[10]), xy(lm[152]))).max(8.0);
        let face_width = len(sub(xy(lm[234]), xy(lm[454]))).max(8.0);
        let right_eye = idx(regions.right_eye);
        let left_eye = idx(regions.left_eye);
        let inner = idx(regions.lips_inner);
        let outer = idx(regions.lips_outer);

        // Control points.
        let mut rest: Vec<[f32; 3]> = lm.clone();
        rest.push(mean(&right_eye));
        rest.push(mean(&left_eye));
        rest.push(mean(&inner));
        let (sw, sh) = (portrait.width() as f32, portrait.height() as f32);
        let far = 4.0 * sw.max(sh);
        for scale in RING_SCALES {
            for &i in &oval {
                // At the depth of the outline point it extends, so the band between them turns
                // with the head instead of shearing.
                let d = sub(xy(lm[i]), xy(centre));
                rest.push([centre[0] + scale * d[0], centre[1] + scale * d[1], lm[i][2]]);
            }
        }
        for &i in &oval {
            let d = sub(xy(lm[i]), xy(centre));
            let n = len(d).max(1e-3);
            rest.push([
                centre[0] + far * d[0] / n,
                centre[1] + far * d[1] / n,
                centre[2],
            ]);
        }
        debug_assert_eq!(rest.len(), POINTS);
        // The person layer, when the rig has a mask that fits the picture and covers the face
        // (a segmentation that missed the person would leave a face floating over the plate:
        // then the picture stays one sheet).
        let (sw_px, sh_px) = (portrait.width() as usize, portrait.height() as usize);
        let alpha = rig
            .person_mask
            .as_ref()
            .filter(|m| {
                let fits = m.width() == portrait.width() && m.height() == portrait.height();
                fits && {
                    let on_person = lm
                        .iter()
                        .filter(|p| {
                            let inside = |v: f32, n: u32| v.max(0.0).min((n - 1) as f32);
                            #[expect(
                                clippy::cast_possible_truncation,
                                clippy::cast_sign_loss,
                                reason = "clamped into the picture"
                            )]
                            let (x, y) = (
                                inside(p[0], m.width()) as u32,
                                inside(p[1], m.height()) as u32,
                            );
                            m.at(x, y) >= 0.5
                        })
                        .count();
                    on_person * 5 >= lm.len() * 4
                }
            })
            .map(|m| {
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "a few pixels"
                )]
                let grow = (GROW_MASK * face_height).round().max(1.0) as usize;
                let mut alpha = plate::opacity(m.alpha(), sw_px, sh_px, grow);
                plate::drop_backdrop(&mut alpha, m.alpha(), portrait.rgb(), sw_px, sh_px);
                let (lo, hi) = plate::extremes(&alpha, sw_px, sh_px);
                [alpha, lo, hi]
            });
        let follow = follow(&rest, &oval, alpha.is_some());
        // Triangles: rings (back), eyes, face.
        let mut triangles = Vec::new();
        let ring_ids = |k: usize| -> Vec<usize> {
            if k == 0 {
                oval.clone()
            } else {
                let first = RING1 + (k - 1) * RING;
                (first..first + RING).collect()
            }
        };
        let t16 = |a: usize, b: usize, c: usize| {
            [
                u16::try_from(a).unwrap_or(0),
                u16::try_from(b).unwrap_or(0),
                u16::try_from(c).unwrap_or(0),
            ]
        };
        for k in 0..=RING_SCALES.len() {
            let (a, b) = (ring_ids(k), ring_ids(k + 1));
            for i in 0..RING {
                let j = (i + 1) % RING;
                triangles.push((t16(a[i], b[i], b[j]), Kind::Ring(Cover::Opaque)));
                triangles.push((t16(a[i], b[j], a[j]), Kind::Ring(Cover::Opaque)));
            }
        }
        for (e, (loop_ids, c)) in [(&right_eye, EYE_R), (&left_eye, EYE_L)]
            .into_iter()
            .enumerate()
        {
            for i in 0..loop_ids.len() {
                let j = (i + 1) % loop_ids.len();
                triangles.push((t16(c, loop_ids[i], loop_ids[j]), Kind::Eye(e)));
            }
        }
        for t in provatar_face::topology::triangles() {
            triangles.push((*t, Kind::Face));
        }
        // With a person mask, the rings draw only what their source holds of the person.
        if let Some([_, lo, hi]) = &alpha {
            for (t, kind) in &mut triangles {
                if let Kind::Ring(c) = kind {
                    let src = t.map(|i| xy(rest[usize::from(i)]));
                    *c = plate::cover((lo, hi), sw_px, sh_px, src);
                }
            }
        }

        // Face-local axes: u along the eyes (towards the picture's right), v down the face.
        let eye_axis = sub(xy(lm[263]), xy(lm[33]));
        let n = len(eye_axis).max(1e-3);
        let u = [eye_axis[0] / n, eye_axis[1] / n];
        let v = [-u[1], u[0]];
        let along =
            |p: [f32; 3], a: [f32; 2]| (p[0] - centre[0]) * a[0] + (p[1] - centre[1]) * a[1];
        let dir = |du: f32, dv: f32| [du * u[0] + dv * v[0], du * u[1] + dv * v[1]];
        let (hh, ww) = (face_height, face_width);

        // Lip halves: upper and lower, split at the corners.
        // The loops run upper middle → right corner (5th) → lower middle (10th) → left corner
        // (15th) → back: split them by position, not by height (a smile's lips curve).
        let halves = |ids: &[usize]| -> (Vec<usize>, Vec<usize>) {
            let upper = ids[16..].iter().chain(&ids[..5]).copied().collect();
            let lower = ids[6..15].to_vec();
            (upper, lower)
        };
        let (upper_inner, lower_inner) = halves(&inner);
        let (upper_outer, lower_outer) = halves(&outer);
        let nose = [1usize, 2, 4, 5, 98, 327, 168, 6];
        let upper_face: Vec<usize> = nose
            .iter()
            .copied()
            .chain([234, 454, 127, 356, 93, 323])
            .collect();

        // Rest field: the portrait's own lips meet halfway (upper point k of the inner loop
        // faces lower point 10 − k on the right half, 30 − k on the left), the outer contour
        // follows at 80 %.
        let mut handles = Vec::new();
        for k in (0..5).chain(16..20) {
            let facing = if k < 5 { 10 - k } else { 30 - k };
            let (a, b) = (inner[k], inner[facing]);
            let mid = 0.5 * (along(rest[a], v) + along(rest[b], v));
            for (p, o) in [(a, outer[k]), (b, outer[facing])] {
                let off = mid - along(rest[p], v);
                handles.push((p, dir(0.0, off)));
                handles.push((o, dir(0.0, 0.8 * off)));
            }
        }
        let gap = len(sub(xy(rest[13]), xy(rest[14])));
        let rest_field = if gap > 0.02 * hh {
            spread(&rest, &handles, &upper_face, 0.06 * hh)
        } else {
            vec![[0.0, 0.0]; POINTS]
        };

        // Per-shape fields.
        let drop = 0.16 * hh;
        let chin_ids = [
            152usize, 148, 176, 149, 150, 377, 400, 378, 379, 175, 199, 200, 18,
        ];
        let jaw_handles: Vec<(usize, [f32; 2])> = lower_inner
            .iter()
            .chain(&lower_outer)
            .chain(&chin_ids)
            .map(|&i| (i, dir(0.0, drop)))
            .collect();
        let jaw_pins: Vec<usize> = upper_inner
            .iter()
            .chain(&upper_outer)
            .copied()
            .chain(upper_face.iter().copied())
            .collect();
        let mut fields = Vec::with_capacity(SHAPES.len());
        // Where the upper lids sample the picture on a full blink (right, left).
        let mut lid_source = [vec![[0.0f32; 2]; POINTS], vec![[0.0f32; 2]; POINTS]];
        let side = |i: usize| along(rest[i], u).signum();
        let brow_r = idx(regions.right_brow);
        let brow_l = idx(regions.left_brow);
        let eye_pins = |e: &[usize]| e.to_vec();
        for shape in SHAPES {
            let f = match shape {
                Shape::JawOpen => spread_to(&rest, &jaw_handles, &jaw_pins, 0.09 * hh, BORDER),
                Shape::MouthClose => {
                    let h: Vec<_> = lower_inner
                        .iter()
                        .chain(&lower_outer)
                        .map(|&i| (i, dir(0.0, -0.85 * drop)))
                        .chain(upper_inner.iter().map(|&i| (i, dir(0.0, 0.1 * drop))))
                        .collect();
                    spread(&rest, &h, &chin_ids, 0.05 * hh)
                }
                Shape::MouthFunnel | Shape::MouthPucker => {
                    let k = if shape == Shape::MouthPucker {
                        0.3
                    } else {
                        0.18
                    };
                    let mc = along(rest[MOUTH], u);
                    let h: Vec<_> = inner
                        .iter()
                        .chain(&outer)
                        .map(|&i| (i, dir(-k * (along(rest[i], u) - mc), 0.0)))
                        .collect();
                    spread(&rest, &h, &upper_face, 0.06 * hh)
                }
                Shape::MouthSmileLeft
                | Shape::MouthSmileRight
                | Shape::MouthFrownLeft
                | Shape::MouthFrownRight
                | Shape::MouthStretchLeft
                | Shape::MouthStretchRight => {
                    // Left is the subject's: the picture's right (291, 308).
                    let left = matches!(
                        shape,
                        Shape::MouthSmileLeft | Shape::MouthFrownLeft | Shape::MouthStretchLeft
                    );
                    let (a, b) = if left { (291usize, 308usize) } else { (61, 78) };
                    let s = side(a);
                    let d = match shape {
                        Shape::MouthSmileLeft | Shape::MouthSmileRight => {
                            dir(s * 0.05 * ww, -0.05 * hh)
                        }
                        Shape::MouthFrownLeft | Shape::MouthFrownRight => {
                            dir(s * 0.01 * ww, 0.04 * hh)
                        }
                        _ => dir(s * 0.06 * ww, 0.0),
                    };
                    spread(&rest, &[(a, d), (b, d)], &upper_face, 0.07 * hh)
                }
                Shape::MouthPressLeft => {
                    let h: Vec<_> = upper_outer
                        .iter()
                        .map(|&i| (i, dir(0.0, 0.012 * hh)))
                        .chain(lower_outer.iter().map(|&i| (i, dir(0.0, -0.012 * hh))))
                        .collect();
                    spread(&rest, &h, &inner, 0.03 * hh)
                }
                Shape::MouthRollLower => {
                    let h: Vec<_> = lower_outer
                        .iter()
                        .chain(&lower_inner)
                        .map(|&i| (i, dir(0.0, -0.03 * hh)))
                        .collect();
                    spread(&rest, &h, &upper_inner, 0.04 * hh)
                }
                Shape::MouthUpperUpLeft => {
                    let h: Vec<_> = upper_outer
                        .iter()
                        .chain(&upper_inner)
                        .map(|&i| (i, dir(0.0, -0.02 * hh)))
                        .collect();
                    spread(&rest, &h, &nose, 0.04 * hh)
                }
                Shape::MouthLowerDownLeft => {
                    let h: Vec<_> = lower_outer
                        .iter()
                        .chain(&lower_inner)
                        .map(|&i| (i, dir(0.0, 0.025 * hh)))
                        .collect();
                    spread(&rest, &h, &chin_ids, 0.04 * hh)
                }
                Shape::BrowInnerUp => {
                    let h: Vec<_> = brow_r
                        .iter()
                        .chain(&brow_l)
                        .map(|&i| {
                            let inner_share =
                                1.0 - (along(rest[i], u).abs() / (0.3 * ww)).clamp(0.0, 1.0);
                            (i, dir(0.0, -0.05 * hh * inner_share))
                        })
                        .collect();
                    spread(
                        &rest,
                        &h,
                        &eye_pins(&[right_eye.clone(), left_eye.clone()].concat()),
                        0.07 * hh,
                    )
                }
                Shape::BrowOuterUpLeft
                | Shape::BrowOuterUpRight
                | Shape::BrowDownLeft
                | Shape::BrowDownRight => {
                    let left = matches!(shape, Shape::BrowOuterUpLeft | Shape::BrowDownLeft);
                    let (brow, eye) = if left {
                        (&brow_l, &left_eye)
                    } else {
                        (&brow_r, &right_eye)
                    };
                    let up = matches!(shape, Shape::BrowOuterUpLeft | Shape::BrowOuterUpRight);
                    let h: Vec<_> = brow
                        .iter()
                        .map(|&i| {
                            let outer_share =
                                (along(rest[i], u).abs() / (0.35 * ww)).clamp(0.0, 1.0);
                            if up {
                                (i, dir(0.0, -0.045 * hh * outer_share))
                            } else {
                                (i, dir(-side(i) * 0.012 * ww, 0.035 * hh))
                            }
                        })
                        .collect();
                    spread(&rest, &h, eye, 0.07 * hh)
                }
                Shape::EyeBlinkLeft
                | Shape::EyeBlinkRight
                | Shape::EyeWideLeft
                | Shape::EyeWideRight => {
                    let left = matches!(shape, Shape::EyeBlinkLeft | Shape::EyeWideLeft);
                    let (eye, c) = if left {
                        (&left_eye, EYE_L)
                    } else {
                        (&right_eye, EYE_R)
                    };
                    let (a, b) = if left {
                        (263usize, 362usize)
                    } else {
                        (33, 133)
                    };
                    // Eye loops: position 1 the outer corner, 9 the inner, 2..=8 the upper lid.
                    let upper: Vec<usize> = eye[2..9].to_vec();
                    let lower: Vec<usize> = eye[10..].iter().chain(&eye[..1]).copied().collect();
                    let blink = matches!(shape, Shape::EyeBlinkLeft | Shape::EyeBlinkRight);
                    let mut h: Vec<(usize, [f32; 2])> = Vec::new();
                    let mut centre_move = 0.0;
                    for &i in &upper {
                        // The lower lid under this point: interpolated along the eye between
                        // the two lower-lid points around it, so the lids meet without slivers.
                        let ui = along(rest[i], u);
                        let mut pts: Vec<(f32, f32)> = lower
                            .iter()
                            .chain([&a, &b])
                            .map(|&p| (along(rest[p], u), along(rest[p], v)))
                            .collect();
                        pts.sort_by(|x, y| x.0.total_cmp(&y.0));
                        let below = pts
                            .windows(2)
                            .find(|w| w[0].0 <= ui && ui <= w[1].0)
                            .map_or_else(
                                || {
                                    pts.iter()
                                        .min_by(|x, y| {
                                            (x.0 - ui).abs().total_cmp(&(y.0 - ui).abs())
                                        })
                                        .map_or(along(rest[i], v), |p| p.1)
                                },
                                |w| {
                                    let t = (ui - w[0].0) / (w[1].0 - w[0].0).max(1e-3);
                                    w[0].1 + t * (w[1].1 - w[0].1)
                                },
                            );
                        let opening = below - along(rest[i], v);
                        let dv = if blink { opening } else { -0.25 * opening };
                        centre_move += dv;
                        h.push((i, dir(0.0, dv)));
                    }
                    if !upper.is_empty() {
                        h.push((c, dir(0.0, 0.5 * centre_move / upper.len() as f32)));
                    }
                    let brow = if left { &brow_l } else { &brow_r };
                    let pins: Vec<usize> = lower.iter().chain(brow).copied().collect();
                    spread(&rest, &h, &pins, 0.035 * hh)
                }
                Shape::CheekSquintLeft => {
                    let h: Vec<_> = [right_eye.clone(), left_eye.clone()]
                        .concat()
                        .into_iter()
                        .filter(|&i| along(rest[i], v) > along(rest[EYE_R], v))
                        .map(|i| (i, dir(0.0, -0.008 * hh)))
                        .collect();
                    spread(&rest, &h, &nose, 0.05 * hh)
                }
                _ => vec![[0.0, 0.0]; POINTS],
            };
            if matches!(shape, Shape::EyeBlinkLeft | Shape::EyeBlinkRight) {
                // A closing lid shows skin, not a stretched lash line: every point the lid
                // moves samples the picture as far above its own place as it moved down.
                let side = usize::from(shape == Shape::EyeBlinkLeft);
                lid_source[side] = f
                    .iter()
                    .enumerate()
                    .map(|(i, d)| {
                        if i == EYE_R || i == EYE_L {
                            [0.0, 0.0]
                        } else {
                            [-LID_SOURCE * d[0], -LID_SOURCE * d[1]]
                        }
                    })
                    .collect();
            }
            fields.push(f);
        }
        let eye_w = |a: usize, b: usize| len(sub(xy(lm[a]), xy(lm[b])));
        let teeth = find_teeth(portrait, &rest);
        Ok(Self {
            source: portrait.rgb().to_vec(),
            source_w: portrait.width() as usize,
            source_h: portrait.height() as usize,
            alpha,
            size,
            follow,
            triangles,
            fields,
            rest_field,
            centre,
            pivot: [centre[0], centre[1] + 0.1 * hh, centre[2] + 0.7 * hh],
            face_height: hh,
            eye_width: [eye_w(33, 133), eye_w(263, 362)],
            base_scale: 0.55 * size as f32 / hh,
            room: framing::room(
                framing::content(
                    portrait.rgb(),
                    sw_px,
                    sh_px,
                    [
                        rig.bbox[0],
                        rig.bbox[1],
                        rig.bbox[0] + rig.bbox[2],
                        rig.bbox[1] + rig.bbox[3],
                    ],
                ),
                hh,
            ),
            rest,
            background: None,
            teeth,
            lid_source,
            order: Vec::new(),
        })
    }

    /// The output's width and height in pixels.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// The view into the portrait at framing scale `scale` (`HeadPose::scale`): the face at
    /// 55 % of the frame's height × `scale`, inside what the portrait holds.
    fn view(&self, scale: f32) -> framing::View {
        framing::view(
            self.room,
            xy(self.centre),
            self.base_scale * scale,
            self.size as f32,
        )
    }

    /// How frames at framing scale `scale` (`HeadPose::scale`, 1 / head distance) hold the face:
    /// as asked, or tighter or moved where the portrait holds too little picture around it.
    pub fn framing(&self, scale: f32) -> Framing {
        let scale = frame_scale(scale);
        let view = self.view(scale);
        let size = self.size as f32;
        let at = view.to_output(xy(self.centre), size);
        Framing {
            requested: self.base_scale * scale * self.face_height / size,
            face_share: view.scale * self.face_height / size,
            face_at: [at[0] / size, at[1] / size],
        }
    }

    /// The framed, unmoving portrait (cached per framing scale). With a person mask, what can
    /// move is the background plate there (the person taken out), for the moving layer to be
    /// laid over.
    fn background(&mut self, scale: f32) -> Vec<u8> {
        if let Some((bits, bg)) = &self.background
            && *bits == scale.to_bits()
        {
            return bg.clone();
        }
        let n = self.size as usize;
        let view = self.view(scale);
        let size = self.size as f32;
        let source = Source {
            rgb: &self.source,
            width: self.source_w,
            height: self.source_h,
        };
        let mut out = vec![0u8; n * n * 3];
        for y in 0..n {
            for x in 0..n {
                let [sx, sy] = view.to_source(x as f32 + 0.5, y as f32 + 0.5, size);
                let o = (y * n + x) * 3;
                out[o..o + 3].copy_from_slice(&source.sample(sx, sy));
            }
        }
        if let Some([alpha, ..]) = &self.alpha {
            let mask = Plane {
                values: alpha,
                width: self.source_w,
                height: self.source_h,
            };
            let mut known = vec![false; n * n];
            for (k, known) in known.iter_mut().enumerate() {
                let (x, y) = ((k % n) as f32, (k / n) as f32);
                let [sx, sy] = view.to_source(x + 0.5, y + 0.5, size);
                *known = mask.sample(sx, sy) <= 0.0;
            }
            let mut plate = plate::inpaint(&out, &known, n, n);
            plate::add_grain(&mut plate, &out, &known, n, n);
            let plate = Source {
                rgb: &plate,
                width: n,
                height: n,
            };
            for (t, _) in &self.triangles {
                let ids = t.map(usize::from);
                if ids.iter().all(|&i| self.follow[i] == 0.0) {
                    continue;
                }
                let dst = ids.map(|i| view.to_output(xy(self.rest[i]), size));
                fill(&mut out, n, n, &Tri { dst, src: dst }, &plate);
            }
        }
        self.background = Some((scale.to_bits(), out.clone()));
        out
    }

    /// Renders one frame.
    ///
    /// # Errors
    /// [`RenderError::Frame`] if the frame cannot be assembled (its size was checked when the
    /// renderer was made, so this does not happen in practice).
    pub fn frame(&mut self, motion: &MotionFrame) -> Result<Frame, RenderError> {
        let scale = frame_scale(motion.head.scale);
        let view = self.view(scale);
        let mut out = self.background(scale);
        let n = self.size as usize;
        // Deform.
        let weights: [f32; SHAPES.len()] = SHAPES.map(|s| match s {
            // One field serves both sides where the sides move alike.
            Shape::MouthPressLeft => {
                0.5 * (motion.blend.get(Shape::MouthPressLeft)
                    + motion.blend.get(Shape::MouthPressRight))
            }
            Shape::MouthUpperUpLeft => {
                0.5 * (motion.blend.get(Shape::MouthUpperUpLeft)
                    + motion.blend.get(Shape::MouthUpperUpRight))
            }
            Shape::MouthLowerDownLeft => {
                0.5 * (motion.blend.get(Shape::MouthLowerDownLeft)
                    + motion.blend.get(Shape::MouthLowerDownRight))
            }
            Shape::CheekSquintLeft => {
                0.5 * (motion.blend.get(Shape::CheekSquintLeft)
                    + motion.blend.get(Shape::CheekSquintRight))
            }
            other => motion.blend.get(other),
        });
        let h = &motion.head;
        let rot = |w: f32| rotation(h.yaw * w, h.pitch * w, h.roll * w);
        let full = rot(1.0);
        let mut dst = [[0.0f32; 2]; POINTS];
        let mut depth = [0.0f32; POINTS];
        for i in 0..POINTS {
            let mut p = self.rest[i];
            let r = self.rest_field[i];
            p[0] += r[0];
            p[1] += r[1];
            for (f, &w) in self.fields.iter().zip(&weights) {
                if w > 0.0 {
                    p[0] += w * f[i][0];
                    p[1] += w * f[i][1];
                }
            }
            let follow = self.follow[i];
            let partial;
            let m = if follow >= 1.0 {
                &full
            } else if follow > 0.0 {
                partial = rot(follow);
                &partial
            } else {
                &IDENTITY
            };
            let q = [
                p[0] - self.pivot[0],
                p[1] - self.pivot[1],
                p[2] - self.pivot[2],
            ];
            let rq = [
                m[0][0] * q[0] + m[0][1] * q[1] + m[0][2] * q[2],
                m[1][0] * q[0] + m[1][1] * q[1] + m[1][2] * q[2],
                m[2][0] * q[0] + m[2][1] * q[1] + m[2][2] * q[2],
            ];
            let moved = [
                rq[0] + self.pivot[0] + follow * h.tx * self.face_height,
                rq[1] + self.pivot[1] + follow * h.ty * self.face_height,
            ];
            dst[i] = view.to_output(moved, self.size as f32);
            depth[i] = rq[2];
        }
        // Source coordinates: where each point was.
        let source = Source {
            rgb: &self.source,
            width: self.source_w,
            height: self.source_h,
        };
        // Back to front: rings first, then eyes and face by depth.
        // The draw order, in a buffer kept between frames (no allocation per frame).
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        order.extend(0..self.triangles.len());
        let tri_depth = |k: usize| {
            let (t, kind) = self.triangles[k];
            match kind {
                Kind::Ring(_) => f32::MAX,
                _ => t.iter().map(|&i| depth[usize::from(i)]).sum::<f32>(),
            }
        };
        order.sort_by(|&a, &b| tri_depth(b).total_cmp(&tri_depth(a)));
        // Gaze: the eye interiors sample shifted (the eyeball turns under the lids).
        let gaze_shift = |e: usize| {
            let r = 0.42 * self.eye_width[e];
            [-r * motion.gaze.yaw.sin(), r * motion.gaze.pitch.sin()]
        };
        let (br, bl) = (
            motion.blend.get(Shape::EyeBlinkRight),
            motion.blend.get(Shape::EyeBlinkLeft),
        );
        for &k in &order {
            let (t, kind) = self.triangles[k];
            let ids = t.map(usize::from);
            // Triangles that cannot move (the outer band to the far border) are already in the
            // background.
            if ids.iter().all(|&i| self.follow[i] == 0.0) {
                continue;
            }
            let mut src = ids.map(|i| {
                let [r, l] = &self.lid_source;
                let p = xy(self.rest[i]);
                [
                    p[0] + br * r[i][0] + bl * l[i][0],
                    p[1] + br * r[i][1] + bl * l[i][1],
                ]
            });
            if let Kind::Eye(e) = kind {
                let d = gaze_shift(e);
                for s in &mut src {
                    s[0] += d[0];
                    s[1] += d[1];
                }
            }
            let tri = Tri {
                dst: ids.map(|i| dst[i]),
                src,
            };
            match (&self.alpha, kind) {
                // Background only: the plate is already there.
                (_, Kind::Ring(Cover::Empty)) => {}
                // Around the face: the person over the plate.
                (Some([alpha, lo, hi]), Kind::Ring(Cover::Partial)) => {
                    let layer = Layer {
                        alpha: Plane {
                            values: alpha,
                            width: self.source_w,
                            height: self.source_h,
                        },
                        lo,
                        hi,
                    };
                    fill_over(&mut out, n, n, &tri, &source, &layer);
                }
                _ => fill(&mut out, n, n, &tri, &source),
            }
        }
        self.order = order;
        self.mouth(&mut out, &dst, view.scale);
        self.lashes(&mut out, &dst, [br, bl]);
        Frame::from_rgb(self.size, self.size, out).map_err(|e| RenderError::Frame(e.to_string()))
    }

    /// Fills the opening between the lips: a dark cavity, the upper teeth under the upper lip,
    /// the tongue low at the back.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "pixel loops over a clipped box"
    )]
    fn mouth(&self, out: &mut [u8], dst: &[[f32; 2]], scale: f32) {
        let regions = provatar_face::topology::regions();
        let corners: Vec<[f32; 2]> = regions
            .lips_inner
            .iter()
            .map(|&i| dst[usize::from(i)])
            .collect();
        let polygon = rounded(&corners);
        let n = self.size as usize;
        let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for p in &polygon {
            x0 = x0.min(p[0]);
            x1 = x1.max(p[0]);
            y0 = y0.min(p[1]);
            y1 = y1.max(p[1]);
        }
        if x1 - x0 < 1.0 || y1 - y0 < 0.75 {
            return;
        }
        let width = x1 - x0;
        let teeth_height = 0.09 * width;
        let (xa, xb) = (x0.floor().max(0.0) as usize, (x1.ceil() as usize).min(n));
        for x in xa..xb {
            let px = x as f32 + 0.5;
            // The opening's extent down this column, at two sub-columns (for the coverage of
            // pixels the lips' edge crosses: no stair steps) and at the centre (for colours).
            let subs = [px - 0.25, px + 0.25].map(|sx| column_span(&polygon, sx));
            let Some((top, bottom)) = column_span(&polygon, px).or(subs[0]).or(subs[1]) else {
                continue;
            };
            let span = bottom - top;
            if span <= 0.0 {
                continue;
            }
            // Where the portrait shows its teeth, they hang from the upper lip as they were:
            // this column's source column, found from the upper lip's middle.
            let real = self.teeth.as_ref().and_then(|t| {
                let sx = self.rest[13][0] + (px - dst[13][0]) / scale;
                // Between source columns the opening's edges are interpolated, so the teeth's
                // lower edge does not step from column to column.
                let at = sx - 0.5 - t.first_column as f32;
                let col = usize::try_from(at.floor() as i64).ok()?;
                let frac = at - at.floor();
                let edge = |v: &[f32]| {
                    let a = *v.get(col)?;
                    let b = v.get(col + 1).copied().unwrap_or(a);
                    // A column outside the opening (0, 0) does not pull its neighbour.
                    Some(if b > 0.0 { a + frac * (b - a) } else { a })
                };
                Some((sx, edge(&t.top)?, edge(&t.bottom)?))
            });
            // Darker towards the corners.
            let across = ((px - x0) / width - 0.5).abs() * 2.0;
            let shade = 1.0 - 0.6 * across * across;
            // The lower teeth show as the jaw opens wide: a band above the lower lip, in the
            // shadow of the upper jaw, growing in from nothing.
            let wide = ((span / width - 0.12) / 0.12).clamp(0.0, 1.0);
            // Front teeth only (fading out towards the corners), each with a rounded top and a
            // dark gap to the next.
            let tooth = (px - 0.5 * (x0 + x1)) / (0.075 * width);
            let within = tooth - (tooth + 0.5).floor();
            let rounded = 1.0 - 0.25 * (2.0 * within) * (2.0 * within);
            let gap = ((within.abs() - 0.45) / 0.05).clamp(0.0, 1.0);
            let front = (1.0 - across * across * 1.4).max(0.0);
            let lower_teeth = wide * front * rounded * (0.05 * width).min(0.2 * span);
            let y_first = (top.floor().max(0.0) as usize).max(y0.floor().max(0.0) as usize);
            let y_last = (bottom.ceil().max(0.0) as usize).min(n);
            for y in y_first..y_last {
                let row = y as f32;
                let coverage = subs
                    .iter()
                    .map(|s| s.map_or(0.0, |(t, b)| ((row + 1.0).min(b) - row.max(t)).max(0.0)))
                    .sum::<f32>()
                    / 2.0;
                if coverage <= 0.0 {
                    continue;
                }
                let from_top = (row + 0.5 - top).max(0.0);
                let from_bottom = (bottom - row - 0.5).max(0.0);
                let t = from_top / span;
                let cavity = [46.0, 20.0, 24.0];
                let tongue = [132.0, 60.0, 64.0];
                let teeth = [226.0, 218.0, 206.0];
                // The lower teeth as the upper ones, a shade darker in the jaw's shadow.
                let lower = self
                    .teeth
                    .as_ref()
                    .map_or([214.0, 202.0, 184.0], |t| t.colour.map(|c| 0.9 * c));
                let mut c = cavity;
                if t > 0.55 {
                    let k = ((t - 0.55) / 0.35).min(1.0);
                    c = [0, 1, 2].map(|i| cavity[i] + k * (tongue[i] - cavity[i]));
                }
                if lower_teeth > 0.0 && from_bottom < lower_teeth {
                    // Soft top edge over one pixel; darker up in the upper jaw's shadow and in
                    // the gaps between teeth.
                    let edge = (lower_teeth - from_bottom).min(1.0) * wide * (1.0 - 0.35 * gap);
                    let light = 1.0 - 0.22 * (from_bottom / lower_teeth);
                    c = [0, 1, 2].map(|i| c[i] + edge * (lower[i] * light - c[i]));
                }
                if real.is_none() && from_top < teeth_height.min(0.45 * span) {
                    // The teeth's lower edge softens over one pixel.
                    let edge = (teeth_height.min(0.45 * span) - from_top).min(1.0);
                    c = [0, 1, 2].map(|i| c[i] + edge * (teeth[i] - c[i]));
                }
                let o = (y * n + x) * 3;
                let mut c = c.map(|v| v * shade);
                if let Some((sx, src_top, src_bottom)) = real {
                    // The real teeth, their lower edge faded over one output pixel.
                    let sy = src_top + from_top / scale;
                    let alpha = ((src_bottom - sy) * scale).clamp(0.0, 1.0);
                    if alpha > 0.0 {
                        let source = Source {
                            rgb: &self.source,
                            width: self.source_w,
                            height: self.source_h,
                        };
                        let t = source.sample(sx, sy);
                        c = [0, 1, 2].map(|i| c[i] + alpha * (f32::from(t[i]) - c[i]));
                    }
                }
                for i in 0..3 {
                    let under = f32::from(out[o + i]);
                    out[o + i] = (under + coverage * (c[i] - under)).clamp(0.0, 255.0) as u8;
                }
            }
        }
    }
}

impl Renderer {
    /// Draws the lash line where a closing upper lid meets the lower one: on a shut eye the
    /// lashes of both lids show as one dark curve, thicker in the middle, fading in over the
    /// second half of the blink. `blink` is (right, left).
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "pixel loops over a clipped box"
    )]
    fn lashes(&self, out: &mut [u8], dst: &[[f32; 2]], blink: [f32; 2]) {
        let regions = provatar_face::topology::regions();
        let n = self.size as usize;
        for (eye, b) in [regions.right_eye, regions.left_eye].into_iter().zip(blink) {
            let alpha = ((b - 0.55) / 0.35).clamp(0.0, 1.0);
            if alpha <= 0.0 {
                continue;
            }
            // The upper lid from corner to corner (the loop's second to tenth points).
            let Some(lid_ids) = eye.get(1..10) else {
                continue;
            };
            let mut lid = [[0.0f32; 2]; 9];
            for (p, &i) in lid.iter_mut().zip(lid_ids) {
                *p = dst[usize::from(i)];
            }
            let (first, last) = (&lid[0], &lid[8]);
            let width = len(sub(*last, *first));
            let thick = (0.02 * width).max(0.5);
            let total: f32 = lid.windows(2).map(|w| len(sub(w[1], w[0]))).sum();
            if width < 2.0 || total <= 0.0 {
                continue;
            }
            let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
            for p in &lid {
                x0 = x0.min(p[0]);
                x1 = x1.max(p[0]);
                y0 = y0.min(p[1]);
                y1 = y1.max(p[1]);
            }
            let pad = 2.0 * thick + 1.0;
            let (xa, xb) = (
                (x0 - pad).max(0.0) as usize,
                ((x1 + pad).ceil() as usize).min(n),
            );
            let (ya, yb) = (
                (y0 - pad).max(0.0) as usize,
                ((y1 + pad).ceil() as usize).min(n),
            );
            let lash = [52.0f32, 38.0, 33.0];
            for y in ya..yb {
                for x in xa..xb {
                    let p = [x as f32 + 0.5, y as f32 + 0.5];
                    // Distance to the lid curve, and how far along it the nearest point is.
                    let (mut best, mut along, mut walked) = (f32::MAX, 0.0, 0.0);
                    for w in lid.windows(2) {
                        let d = sub(w[1], w[0]);
                        let l2 = d[0] * d[0] + d[1] * d[1];
                        let l = l2.sqrt();
                        let u = if l2 > 0.0 {
                            (((p[0] - w[0][0]) * d[0] + (p[1] - w[0][1]) * d[1]) / l2)
                                .clamp(0.0, 1.0)
                        } else {
                            0.0
                        };
                        let q = [w[0][0] + u * d[0], w[0][1] + u * d[1]];
                        let dist = len(sub(p, q));
                        if dist < best {
                            best = dist;
                            along = (walked + u * l) / total;
                        }
                        walked += l;
                    }
                    // Thicker in the middle of the lid, thin at the corners.
                    let half = thick * (0.35 + 0.9 * (std::f32::consts::PI * along).sin());
                    let cover = (half + 0.5 - best).clamp(0.0, 1.0) * alpha * 0.6;
                    if cover <= 0.0 {
                        continue;
                    }
                    let o = (y * n + x) * 3;
                    for i in 0..3 {
                        let under = f32::from(out[o + i]);
                        out[o + i] = (under + cover * (lash[i] - under)).clamp(0.0, 255.0) as u8;
                    }
                }
            }
        }
    }
}

/// Where a vertical line at `x` enters and leaves `polygon` (its topmost and bottommost
/// crossings), if it crosses it.
/// The inner lip line as a smooth curve: a Catmull-Rom spline through the landmarks, three
/// points between each pair, where it bulges outwards (into the lips); where it would dip
/// inwards the straight edge stays, so the opening still covers every pixel the mesh leaves
/// open between the lips.
fn rounded(corners: &[[f32; 2]]) -> Vec<[f32; 2]> {
    let n = corners.len();
    if n < 4 {
        return corners.to_vec();
    }
    let mut out = Vec::with_capacity(4 * n);
    for i in 0..n {
        let [p0, p1, p2, p3] = [n - 1, 0, 1, 2].map(|k| corners[(i + k) % n]);
        out.push(p1);
        for t in [0.25f32, 0.5, 0.75] {
            let (t2, t3) = (t * t, t * t * t);
            let spline: [f32; 2] = std::array::from_fn(|c| {
                0.5 * (2.0 * p1[c]
                    + (p2[c] - p0[c]) * t
                    + (2.0 * p0[c] - 5.0 * p1[c] + 4.0 * p2[c] - p3[c]) * t2
                    + (3.0 * p1[c] - p0[c] - 3.0 * p2[c] + p3[c]) * t3)
            });
            let chord = [p1[0] + t * (p2[0] - p1[0]), p1[1] + t * (p2[1] - p1[1])];
            out.push(if inside(corners, spline[0], spline[1]) {
                chord
            } else {
                spline
            });
        }
    }
    out
}

fn column_span(polygon: &[[f32; 2]], x: f32) -> Option<(f32, f32)> {
    let mut span: Option<(f32, f32)> = None;
    let mut j = polygon.len().checked_sub(1)?;
    for i in 0..polygon.len() {
        let (a, b) = (polygon[j], polygon[i]);
        if (a[0] > x) != (b[0] > x) {
            let y = a[1] + (x - a[0]) * (b[1] - a[1]) / (b[0] - a[0]);
            span = Some(span.map_or((y, y), |(t, bt)| (t.min(y), bt.max(y))));
        }
        j = i;
    }
    span
}

/// The portrait's mouth opening column by column, if it is open and bright inside (teeth).
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "pixel columns inside the picture"
)]
fn find_teeth(portrait: &Frame, rest: &[[f32; 3]]) -> Option<Teeth> {
    let regions = provatar_face::topology::regions();
    let polygon: Vec<[f32; 2]> = regions
        .lips_inner
        .iter()
        .map(|&i| xy(rest[usize::from(i)]))
        .collect();
    let (w, h) = (portrait.width() as usize, portrait.height() as usize);
    let x0 = polygon
        .iter()
        .map(|p| p[0])
        .fold(f32::MAX, f32::min)
        .floor()
        .max(0.0) as usize;
    let x1 = (polygon.iter().map(|p| p[0]).fold(f32::MIN, f32::max).ceil() as usize).min(w);
    let y0 = polygon
        .iter()
        .map(|p| p[1])
        .fold(f32::MAX, f32::min)
        .floor()
        .max(0.0) as usize;
    let y1 = (polygon.iter().map(|p| p[1]).fold(f32::MIN, f32::max).ceil() as usize).min(h);
    let (mut top, mut bottom) = (Vec::new(), Vec::new());
    let (mut bright, mut count, mut widest) = (0.0f32, 0usize, 0.0f32);
    let (mut colour, mut teeth_pixels) = ([0.0f32; 3], 0usize);
    for x in x0..x1 {
        let inside_rows: Vec<usize> = (y0..y1)
            .filter(|&y| inside(&polygon, x as f32 + 0.5, y as f32 + 0.5))
            .collect();
        let (t, b) = match (inside_rows.first(), inside_rows.last()) {
            (Some(&t), Some(&b)) => (t as f32, b as f32 + 1.0),
            _ => (0.0, 0.0),
        };
        widest = widest.max(b - t);
        for &y in &inside_rows {
            let p = &portrait.rgb()[(y * w + x) * 3..(y * w + x) * 3 + 3];
            let level = (f32::from(p[0]) + f32::from(p[1]) + f32::from(p[2])) / 3.0;
            bright += level;
            count += 1;
            if level > 110.0 {
                for (c, &v) in colour.iter_mut().zip(p) {
                    *c += f32::from(v);
                }
                teeth_pixels += 1;
            }
        }
        top.push(t);
        bottom.push(b);
    }
    let mean = bright / count.max(1) as f32;
    let n = teeth_pixels.max(1) as f32;
    (widest >= 3.0 && mean > 110.0).then_some(Teeth {
        first_column: i64::try_from(x0).unwrap_or(i64::MAX),
        top,
        bottom,
        colour: colour.map(|c| c / n),
    })
}

const IDENTITY: [[f32; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

/// `HeadPose::scale` as frames use it: within 0.25..=4, 1 when not a number.
fn frame_scale(scale: f32) -> f32 {
    if scale.is_finite() {
        scale.clamp(0.25, 4.0)
    } else {
        1.0
    }
}

/// Rotation: roll about the view axis, then pitch (chin up for positive), then yaw.
fn rotation(yaw: f32, pitch: f32, roll: f32) -> [[f32; 3]; 3] {
    let (sy, cy) = yaw.sin_cos();
    let (sp, cp) = pitch.sin_cos();
    let (sr, cr) = roll.sin_cos();
    // Picture axes: x right, y down, z away from the viewer.
    let ry = [[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]];
    let rx = [[1.0, 0.0, 0.0], [0.0, cp, sp], [0.0, -sp, cp]];
    let rz = [[cr, -sr, 0.0], [sr, cr, 0.0], [0.0, 0.0, 1.0]];
    mul(mul(ry, rx), rz)
}

fn mul(a: [[f32; 3]; 3], b: [[f32; 3]; 3]) -> [[f32; 3]; 3] {
    let mut m = [[0.0; 3]; 3];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::{FaceRig, Frame, inside, reduce, reduction, rounded};

    #[test]
    #[expect(clippy::float_cmp, reason = "halves of small whole numbers are exact")]
    fn a_fine_portrait_is_reduced_by_whole_blocks() {
        // How much: a source pixel must cover at least half an output pixel.
        assert_eq!(reduction(150.0, 2000.0, 512), 1);
        assert_eq!(reduction(600.0, 2000.0, 512), 2);
        assert_eq!(reduction(1200.0, 4000.0, 512), 4);
        // A tight headshot (the face 900 px of a 1200-px photo) is framed tighter: the whole
        // photo's width fills the frame, so it is reduced by 2, not 3.
        assert_eq!(reduction(900.0, 1200.0, 512), 2);
        // A 10 × 7 one-pixel checkerboard (0 and 200) halves to flat 100, the last, partial
        // row of blocks included; the rig and its mask follow.
        let (w, h) = (10u32, 7u32);
        let rgb: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                let v = if (i % w + i / w) % 2 == 0 { 0 } else { 200 };
                [v, v, v]
            })
            .collect();
        let portrait = Frame::from_rgb(w, h, rgb).unwrap();
        let mask: Vec<u8> = (0..w * h)
            .map(|i| if i % w < 4 { 255 } else { 0 })
            .collect();
        let rig = FaceRig {
            width: w,
            height: h,
            bbox: [2.0, 2.0, 4.0, 4.0],
            score: 0.9,
            presence: 0.9,
            landmarks: vec![[6.0, 4.0, -2.0]; 478],
            pose: provatar_face::HeadPose {
                yaw: 0.0,
                pitch: 0.0,
                roll: 0.0,
                scale: 1.0,
                origin: [5.0, 3.5, 0.0],
                residual: 0.0,
            },
            person_mask: provatar_face::PersonMask::from_alpha(w, h, mask),
        };
        let (small, small_rig) = reduce(&portrait, &rig, 2).unwrap();
        assert_eq!((small.width(), small.height()), (5, 4));
        assert!(small.rgb().iter().all(|&v| v == 100), "{:?}", small.rgb());
        assert_eq!((small_rig.width, small_rig.height), (5, 4));
        assert_eq!(small_rig.landmarks[0], [3.0, 2.0, -1.0]);
        assert_eq!(small_rig.bbox, [1.0, 1.0, 2.0, 2.0]);
        let m = small_rig.person_mask.unwrap();
        assert_eq!(m.alpha()[..5], [255, 255, 0, 0, 0]);
    }

    #[test]
    #[expect(clippy::float_cmp, reason = "the corners are copied, not computed")]
    fn the_lip_line_is_rounded_outwards_only() {
        // A convex octagon (a mouth-like opening): every added point bulges out of it, and
        // the corners stay.
        let octagon: Vec<[f32; 2]> = (0..8)
            .map(|k| {
                let a = k as f32 * std::f32::consts::FRAC_PI_4;
                [50.0 + 40.0 * a.cos(), 50.0 + 20.0 * a.sin()]
            })
            .collect();
        let smooth = rounded(&octagon);
        assert_eq!(smooth.len(), 32);
        for (k, p) in smooth.iter().enumerate() {
            if k % 4 == 0 {
                assert_eq!(*p, octagon[k / 4]);
            } else {
                assert!(!inside(&octagon, p[0], p[1]), "point {k} {p:?} dips inside");
            }
        }
        // A notch (a concave corner): no point goes inside the shape, so the opening still
        // covers all of it.
        let notched = [
            [0.0, 0.0],
            [10.0, 0.0],
            [5.0, 4.0],
            [10.0, 10.0],
            [0.0, 10.0],
        ];
        for p in rounded(&notched) {
            assert!(
                !inside(&notched, p[0], p[1]) || notched.contains(&p),
                "{p:?}"
            );
        }
    }
}
