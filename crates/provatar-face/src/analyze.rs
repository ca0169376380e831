//! The whole analysis: detection → rotated face crop → 468-point mesh → eye crops → irises →
//! head pose, with MediaPipe's crop geometry (`face_detection_front_detection_to_roi`,
//! `iris_landmark_landmarks_to_roi`).

// Pixel coordinates, sizes and tile counts stay far below 2^23, where f32 is exact.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "small pixel coordinates"
)]

use candle_core::{Device, Tensor};
use provatar_types::Frame;

use crate::crop::{Border, RotatedRect};
use crate::detector::{FaceDetection, FaceDetector};
use crate::graph::{GraphError, TfliteGraph};
use crate::pose::{self, HeadPose};
use crate::topology::{self, LANDMARKS, MESH_POINTS, Regions};

/// Side of the face-mesh model's input.
const MESH_INPUT: usize = 192;
/// Side of the iris model's input.
const IRIS_INPUT: usize = 64;
/// Side of the selfie segmentation model's input.
const MASK_INPUT: usize = 256;
/// The face crop is the detection box's longer side times this (MediaPipe: 1.5).
const FACE_CROP_SCALE: f32 = 1.5;
/// The eye crop is the eye-corner distance times this (MediaPipe: 2.3).
const EYE_CROP_SCALE: f32 = 2.3;
/// Below this face-presence probability the mesh model says the crop holds no face.
const MIN_PRESENCE: f32 = 0.5;
/// Face detection runs on a copy of the picture no larger than this a side.
const DETECT_MAX_SIDE: u32 = 1536;
/// The smallest tile the detector searches for small faces in.
const MIN_TILE: u32 = 256;
/// A second face whose box area is at least this fraction of the largest one's makes the
/// picture ambiguous; smaller faces (in the background, on a poster) are ignored.
const SIMILAR_AREA: f32 = 0.25;
/// The region around a face that [`FaceAnalyzer::upright_turn`] turns, in face boxes.
const UPRIGHT_CROP: f32 = 2.2;
/// How much better a turned face must score to say the picture is not upright.
const UPRIGHT_MARGIN: f32 = 0.15;

/// Why a picture could not be analysed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FaceError {
    /// No face was found.
    #[error(
        "no face found in the {width}×{height} picture (a portrait needs one clearly visible, \
         roughly frontal face, at least about a twentieth of the picture across)"
    )]
    NoFace {
        /// Picture width.
        width: u32,
        /// Picture height.
        height: u32,
    },
    /// More than one face of similar size: it is not clear whose face to animate.
    #[error(
        "{count} faces of similar size found; a portrait must show exactly one person \
         (crop the picture to one face)"
    )]
    MultipleFaces {
        /// How many similar-sized faces were found.
        count: usize,
    },
    /// A network failed to load or run.
    #[error(transparent)]
    Model(#[from] GraphError),
}

/// Everything the renderer needs to know about the face in a portrait.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceRig {
    /// The analysed picture's width in pixels.
    pub width: u32,
    /// The analysed picture's height in pixels.
    pub height: u32,
    /// The detector's box: left, top, width, height in pixels.
    pub bbox: [f32; 4],
    /// The detector's probability that this is a face.
    pub score: f32,
    /// The face-mesh model's probability that its crop holds a face.
    pub presence: f32,
    /// 478 landmarks: x, y in picture pixels, z the relative depth in the same pixel scale
    /// (smaller is nearer the viewer). See [`topology`](crate::topology) for what each is.
    pub landmarks: Vec<[f32; 3]>,
    /// Head pose from a rigid fit of the canonical face to the landmarks.
    pub pose: HeadPose,
    /// Where the person is, when the analyzer was asked for it
    /// ([`FaceAnalyzer::with_person_mask`]).
    pub person_mask: Option<PersonMask>,
}

/// How likely each pixel of the picture is to show the person (face, hair, body) rather than
/// the background, from MediaPipe's selfie segmentation.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonMask {
    width: u32,
    height: u32,
    /// Probability × 255, row-major.
    alpha: Vec<u8>,
}

impl std::fmt::Debug for PersonMask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonMask")
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

impl PersonMask {
    /// A mask made elsewhere: `alpha` is the person probability × 255 per pixel, row-major,
    /// `width × height` of them (`None` when the sizes do not agree).
    pub fn from_alpha(width: u32, height: u32, alpha: Vec<u8>) -> Option<Self> {
        let n = usize::try_from(u64::from(width) * u64::from(height)).ok()?;
        (width > 0 && height > 0 && alpha.len() == n).then_some(Self {
            width,
            height,
            alpha,
        })
    }

    /// Width in pixels (the picture's).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels (the picture's).
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Person probability × 255 per pixel, row-major.
    pub fn alpha(&self) -> &[u8] {
        &self.alpha
    }

    /// Person probability at pixel (x, y), 0..1; 0 outside the picture.
    pub fn at(&self, x: u32, y: u32) -> f32 {
        if x >= self.width || y >= self.height {
            return 0.0;
        }
        f32::from(self.alpha[y as usize * self.width as usize + x as usize]) / 255.0
    }
}

impl FaceRig {
    /// The face mesh's triangles.
    pub fn triangles(&self) -> &'static [[u16; 3]] {
        topology::triangles()
    }

    /// The named regions (lips, eyes, irises, brows, face oval, jaw line).
    pub fn regions(&self) -> Regions {
        topology::regions()
    }

    /// Landmark `i` in picture pixels (x, y).
    pub fn point(&self, i: usize) -> [f32; 2] {
        let p = self.landmarks[i];
        [p[0], p[1]]
    }

    /// The distance between the two eyes' centres (iris centres), in pixels: a scale for
    /// tolerances that does not depend on the picture size.
    pub fn interocular(&self) -> f32 {
        let [a, b] = [self.point(468), self.point(473)];
        (a[0] - b[0]).hypot(a[1] - b[1])
    }
}

/// Runs the face networks; build once, analyse many pictures.
#[derive(Debug)]
pub struct FaceAnalyzer {
    detector: FaceDetector,
    mesh: TfliteGraph,
    iris: TfliteGraph,
    segmentation: TfliteGraph,
    with_mask: bool,
}

fn compute(model: &str) -> impl Fn(candle_core::Error) -> GraphError + '_ {
    move |source| GraphError::Compute {
        model: model.into(),
        source,
    }
}

impl FaceAnalyzer {
    /// Loads the networks shipped in `assets/models/`.
    pub fn new() -> Result<Self, FaceError> {
        Ok(Self {
            detector: FaceDetector::new()?,
            mesh: TfliteGraph::load(
                include_str!("../../../assets/models/face_landmark.graph.json"),
                include_bytes!("../../../assets/models/face_landmark.safetensors"),
            )?,
            iris: TfliteGraph::load(
                include_str!("../../../assets/models/iris_landmark.graph.json"),
                include_bytes!("../../../assets/models/iris_landmark.safetensors"),
            )?,
            segmentation: TfliteGraph::load(
                include_str!("../../../assets/models/selfie_segmentation.graph.json"),
                include_bytes!("../../../assets/models/selfie_segmentation.safetensors"),
            )?,
            with_mask: false,
        })
    }

    /// Whether [`analyze`](Self::analyze) also segments the person (about 30 ms more).
    #[must_use]
    pub fn with_person_mask(mut self, on: bool) -> Self {
        self.with_mask = on;
        self
    }

    /// The person mask of a picture: MediaPipe's selfie segmentation on the whole picture
    /// squeezed to 256×256, its probabilities resized back bilinearly.
    pub fn person_mask(&self, frame: &Frame) -> Result<PersonMask, FaceError> {
        let (w, h) = (frame.width(), frame.height());
        let n = MASK_INPUT;
        let mut input = vec![0f32; n * n * 3];
        let (sx, sy) = (w as f32 / n as f32, h as f32 / n as f32);
        for v in 0..n {
            for u in 0..n {
                let rgb = crate::crop::sample_bilinear(
                    frame,
                    u as f32 * sx,
                    v as f32 * sy,
                    Border::Replicate,
                );
                for c in 0..3 {
                    input[(v * n + u) * 3 + c] = rgb[c] / 255.0;
                }
            }
        }
        let input = Tensor::from_vec(input, (1, n, n, 3), &Device::Cpu)
            .map_err(compute("selfie_segmentation"))?;
        let out = self.segmentation.run(&input)?;
        let prob = out
            .first()
            .filter(|t| t.elem_count() == n * n)
            .ok_or_else(|| GraphError::BadTensor {
                model: "selfie_segmentation".into(),
                tensor: 0,
            })?
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(compute("selfie_segmentation"))?;
        // Back to picture pixels: picture (x, y) sits at tensor (x / sx, y / sy).
        let mut alpha = Vec::with_capacity(w as usize * h as usize);
        let last = (n - 1) as f32;
        for y in 0..h {
            let ty = (y as f32 / sy).min(last);
            let (y0, fy) = (ty.floor() as usize, ty.fract());
            let y1 = (y0 + 1).min(n - 1);
            for x in 0..w {
                let tx = (x as f32 / sx).min(last);
                let (x0, fx) = (tx.floor() as usize, tx.fract());
                let x1 = (x0 + 1).min(n - 1);
                let p = (prob[y0 * n + x0] * (1.0 - fx) + prob[y0 * n + x1] * fx) * (1.0 - fy)
                    + (prob[y1 * n + x0] * (1.0 - fx) + prob[y1 * n + x1] * fx) * fy;
                alpha.push((p.clamp(0.0, 1.0) * 255.0).round() as u8);
            }
        }
        Ok(PersonMask {
            width: w,
            height: h,
            alpha,
        })
    }

    /// The one face in a portrait. Fails with [`FaceError::NoFace`] when there is none and
    /// [`FaceError::MultipleFaces`] when another face is nearly as large as the biggest.
    pub fn analyze(&self, frame: &Frame) -> Result<FaceRig, FaceError> {
        let faces = self.find_faces(frame)?;
        let Some(biggest) = faces.first() else {
            return Err(FaceError::NoFace {
                width: frame.width(),
                height: frame.height(),
            });
        };
        let area = |d: &FaceDetection| d.bbox[2] * d.bbox[3];
        let similar = faces
            .iter()
            .filter(|d| area(d) >= SIMILAR_AREA * area(biggest))
            .count();
        if similar > 1 {
            return Err(FaceError::MultipleFaces { count: similar });
        }
        let mut rigs = Vec::new();
        self.rig(frame, biggest, &mut rigs)?;
        let mut rig = rigs.pop().ok_or(FaceError::NoFace {
            width: frame.width(),
            height: frame.height(),
        })?;
        if self.with_mask {
            rig.person_mask = Some(self.person_mask(frame)?);
        }
        Ok(rig)
    }

    /// Whether the face of `rig` is upright: the quarter turn (clockwise, 90, 180 or 270
    /// degrees) that shows the detector the face clearly better than the picture as it is, or
    /// `None` when none does. The landmark models read a face on its side or upside down as
    /// an upright face with a mild tilt (a portrait turned 180° reads as rolled 27°), so the
    /// roll of the rig alone cannot tell; the detector, run on the region around the face in
    /// all four orientations, can.
    pub fn upright_turn(&self, frame: &Frame, rig: &FaceRig) -> Result<Option<u32>, FaceError> {
        let [x, y, w, h] = rig.bbox;
        let side = (w.max(h) * UPRIGHT_CROP).min(frame.width().min(frame.height()) as f32);
        let (cx, cy) = (x + w / 2.0, y + h / 2.0);
        let left = (cx - side / 2.0).clamp(0.0, frame.width() as f32 - side);
        let top = (cy - side / 2.0).clamp(0.0, frame.height() as f32 - side);
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "pixel positions inside the picture"
        )]
        let region = crop_frame(
            frame,
            left as u32,
            top as u32,
            (side as u32).max(1),
            (side as u32).max(1),
        );
        let score = |f: &Frame| -> Result<f32, FaceError> {
            Ok(self.detector.detect(f)?.first().map_or(0.0, |d| d.score))
        };
        let as_is = score(&region)?;
        let mut best: Option<(u32, f32)> = None;
        let mut turned = region;
        for turn in [90, 180, 270] {
            turned = quarter_turn(&turned);
            let s = score(&turned)?;
            if s >= as_is + UPRIGHT_MARGIN && best.is_none_or(|(_, b)| s > b) {
                best = Some((turn, s));
            }
        }
        Ok(best.map(|(turn, _)| turn))
    }

    /// Every face in the picture, largest first (possibly none).
    pub fn analyze_all(&self, frame: &Frame) -> Result<Vec<FaceRig>, FaceError> {
        let mut rigs = Vec::new();
        for det in self.find_faces(frame)? {
            self.rig(frame, &det, &mut rigs)?;
        }
        Ok(rigs)
    }

    /// Detections, largest first. The short-range detector sees the picture at 128×128, so a
    /// face smaller than about a fifth of the picture is searched for again in overlapping
    /// tiles (down to tiles of 256 pixels), and a face filling the whole picture in a
    /// zoomed-out copy. All of it runs on a copy no larger than 1536 pixels a side, which bounds
    /// the work on a huge picture without a face; the landmark models later read the original.
    fn find_faces(&self, frame: &Frame) -> Result<Vec<FaceDetection>, FaceError> {
        let (small, k) = shrink(frame, DETECT_MAX_SIDE);
        let frame = small.as_ref().unwrap_or(frame);
        let mut found = self.detector.detect(frame)?;
        let (w, h) = (frame.width(), frame.height());
        let mut tile = w.max(h) / 2;
        while found.is_empty() && tile >= MIN_TILE {
            let stride = tile / 2;
            for y in tile_starts(h, tile, stride) {
                for x in tile_starts(w, tile, stride) {
                    let sub = crop_frame(frame, x, y, tile.min(w - x), tile.min(h - y));
                    let shift = [x as f32, y as f32];
                    found.extend(
                        self.detector
                            .detect(&sub)?
                            .into_iter()
                            .map(|d| mapped(d, shift, 1.0)),
                    );
                }
            }
            found = crate::detector::weighted_nms(found);
            tile /= 2;
        }
        if found.is_empty() {
            // A face larger than the detector's anchors: look again with a margin around it.
            let (big, pad) = zoom_out(frame);
            found.extend(
                self.detector
                    .detect(&big)?
                    .into_iter()
                    .map(|d| mapped(d, [-pad[0], -pad[1]], 1.0)),
            );
        }
        let mut found: Vec<_> = found.into_iter().map(|d| mapped(d, [0.0; 2], k)).collect();
        found.sort_by(|a, b| (b.bbox[2] * b.bbox[3]).total_cmp(&(a.bbox[2] * a.bbox[3])));
        Ok(found)
    }

    /// Runs the mesh and iris models on one detection; pushes the rig when the mesh model
    /// confirms a face.
    fn rig(
        &self,
        frame: &Frame,
        det: &FaceDetection,
        out: &mut Vec<FaceRig>,
    ) -> Result<(), FaceError> {
        let [bx, by, bw, bh] = det.bbox;
        let [right_eye, left_eye, ..] = det.keypoints;
        let rect = RotatedRect {
            cx: bx + bw / 2.0,
            cy: by + bh / 2.0,
            size: bw.max(bh) * FACE_CROP_SCALE,
            angle: (left_eye[1] - right_eye[1]).atan2(left_eye[0] - right_eye[0]),
        };
        let (mesh, presence) = self.mesh_points(frame, &rect)?;
        if presence < MIN_PRESENCE {
            return Ok(());
        }
        let mut landmarks = mesh;
        let regions = topology::regions();
        for (start, end, flip, eye) in [
            (33, 133, false, regions.right_eye),
            (362, 263, true, regions.left_eye),
        ] {
            let iris = self.iris_points(frame, &landmarks, start, end, flip)?;
            let depth = eye
                .iter()
                .map(|&i| landmarks[usize::from(i)][2])
                .sum::<f32>()
                / eye.len() as f32;
            landmarks.extend(iris.iter().map(|p| [p[0], p[1], depth]));
        }
        debug_assert_eq!(landmarks.len(), LANDMARKS);
        let (canonical, observed): (Vec<_>, Vec<_>) = topology::canonical()
            .map(|(i, p)| (p, landmarks[i]))
            .unzip();
        let Some(pose) = pose::fit(&canonical, &observed) else {
            return Ok(());
        };
        out.push(FaceRig {
            width: frame.width(),
            height: frame.height(),
            bbox: det.bbox,
            score: det.score,
            presence,
            landmarks,
            pose,
            person_mask: None,
        });
        Ok(())
    }

    /// The 468 mesh points in picture pixels, and the face-presence probability.
    fn mesh_points(
        &self,
        frame: &Frame,
        rect: &RotatedRect,
    ) -> Result<(Vec<[f32; 3]>, f32), FaceError> {
        let n = MESH_INPUT;
        let input = rect.sample(frame, n, Border::Replicate, 1.0 / 255.0, 0.0, false);
        let input = Tensor::from_vec(input, (1, n, n, 3), &Device::Cpu)
            .map_err(compute("face_landmark"))?;
        let outputs = self.mesh.run(&input)?;
        let flat = |t: &Tensor| {
            t.flatten_all()
                .and_then(|t| t.to_vec1::<f32>())
                .map_err(compute("face_landmark"))
        };
        let (points, flag) = match outputs.as_slice() {
            [a, b] if a.elem_count() == MESH_POINTS * 3 => (flat(a)?, flat(b)?),
            [a, b] if b.elem_count() == MESH_POINTS * 3 => (flat(b)?, flat(a)?),
            _ => {
                return Err(GraphError::BadTensor {
                    model: "face_landmark".into(),
                    tensor: 0,
                }
                .into());
            }
        };
        let presence = 1.0 / (1.0 + (-flag.first().copied().unwrap_or(-100.0)).exp());
        let nf = n as f32;
        let mesh = points
            .chunks_exact(3)
            .map(|p| {
                let [x, y] = rect.point(p[0] / nf, p[1] / nf);
                [x, y, p[2] / nf * rect.size]
            })
            .collect();
        Ok((mesh, presence))
    }

    /// The five iris points (centre first) of the eye whose corners are mesh points `start`
    /// and `end`, in picture pixels.
    fn iris_points(
        &self,
        frame: &Frame,
        mesh: &[[f32; 3]],
        start: usize,
        end: usize,
        flip: bool,
    ) -> Result<Vec<[f32; 2]>, FaceError> {
        let (a, b) = (mesh[start], mesh[end]);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let rect = RotatedRect {
            cx: f32::midpoint(a[0], b[0]),
            cy: f32::midpoint(a[1], b[1]),
            size: dx.abs().max(dy.abs()).max(1.0) * EYE_CROP_SCALE,
            angle: dy.atan2(dx),
        };
        let n = IRIS_INPUT;
        let input = rect.sample(frame, n, Border::Replicate, 1.0 / 255.0, 0.0, flip);
        let input = Tensor::from_vec(input, (1, n, n, 3), &Device::Cpu)
            .map_err(compute("iris_landmark"))?;
        let outputs = self.iris.run(&input)?;
        let iris = outputs
            .iter()
            .find(|t| t.elem_count() == 15)
            .ok_or_else(|| GraphError::BadTensor {
                model: "iris_landmark".into(),
                tensor: 0,
            })?
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(compute("iris_landmark"))?;
        let nf = n as f32;
        Ok(iris
            .chunks_exact(3)
            .map(|p| {
                let x = if flip { nf - 1.0 - p[0] } else { p[0] };
                rect.point(x / nf, p[1] / nf)
            })
            .collect())
    }
}

/// A detection moved by `shift` then scaled by `k`.
fn mapped(mut d: FaceDetection, shift: [f32; 2], k: f32) -> FaceDetection {
    d.bbox = [
        (d.bbox[0] + shift[0]) * k,
        (d.bbox[1] + shift[1]) * k,
        d.bbox[2] * k,
        d.bbox[3] * k,
    ];
    for p in &mut d.keypoints {
        *p = [(p[0] + shift[0]) * k, (p[1] + shift[1]) * k];
    }
    d
}

/// A copy no larger than `max_side` a side (each pixel the mean of the source pixels it
/// covers), and the factor from its coordinates back to the picture's; `None` when the
/// picture is small enough already.
fn shrink(frame: &Frame, max_side: u32) -> (Option<Frame>, f32) {
    let (w, h) = (frame.width(), frame.height());
    if w.max(h) <= max_side {
        return (None, 1.0);
    }
    let k = w.max(h) as f32 / max_side as f32;
    let (sw, sh) = (
        ((w as f32 / k).round() as u32).clamp(1, max_side),
        ((h as f32 / k).round() as u32).clamp(1, max_side),
    );
    let span = |i: u32, n: u32, len: u32| {
        let a = (u64::from(i) * u64::from(len) / u64::from(n)) as usize;
        let b = ((u64::from(i + 1) * u64::from(len)).div_ceil(u64::from(n)) as usize).max(a + 1);
        a..b.min(len as usize)
    };
    let src = frame.rgb();
    let mut rgb = Vec::with_capacity(sw as usize * sh as usize * 3);
    for y in 0..sh {
        let rows = span(y, sh, h);
        for x in 0..sw {
            let cols = span(x, sw, w);
            let mut sum = [0u64; 3];
            for r in rows.clone() {
                let row = &src[(r * w as usize + cols.start) * 3..(r * w as usize + cols.end) * 3];
                for px in row.chunks_exact(3) {
                    for c in 0..3 {
                        sum[c] += u64::from(px[c]);
                    }
                }
            }
            let n = (rows.len() * cols.len()) as u64;
            rgb.extend(sum.map(|v| ((v + n / 2) / n) as u8));
        }
    }
    let scale = w as f32 / sw as f32;
    match Frame::from_rgb(sw, sh, rgb) {
        Ok(f) => (Some(f), scale),
        Err(_) => (None, 1.0),
    }
}

/// Start positions of tiles of side `tile`, `stride` apart, covering `0..len`.
fn tile_starts(len: u32, tile: u32, stride: u32) -> Vec<u32> {
    if len <= tile {
        return vec![0];
    }
    let mut starts: Vec<u32> = (0..len - tile).step_by(stride as usize).collect();
    starts.push(len - tile);
    starts
}

/// A copy of a rectangle of the picture.
/// A picture turned a quarter clockwise.
fn quarter_turn(frame: &Frame) -> Frame {
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    let src = frame.rgb();
    let mut rgb = vec![0u8; w * h * 3];
    // Row y, column x of the turned picture (h wide, w high) is row h-1-x, column y of the
    // original.
    for y in 0..w {
        for x in 0..h {
            let from = ((h - 1 - x) * w + y) * 3;
            let to = (y * h + x) * 3;
            rgb[to..to + 3].copy_from_slice(&src[from..from + 3]);
        }
    }
    #[expect(clippy::cast_possible_truncation, reason = "sides of a Frame")]
    Frame::from_rgb(h as u32, w as u32, rgb).unwrap_or_else(|_| frame.clone())
}

fn crop_frame(frame: &Frame, x: u32, y: u32, w: u32, h: u32) -> Frame {
    let stride = frame.width() as usize * 3;
    let mut rgb = Vec::with_capacity(w as usize * h as usize * 3);
    for row in y..y + h {
        let o = row as usize * stride + x as usize * 3;
        rgb.extend_from_slice(&frame.rgb()[o..o + w as usize * 3]);
    }
    Frame::from_rgb(w, h, rgb).unwrap_or_else(|_| frame.clone())
}

/// The picture centred on a canvas twice its size (edge pixels replicated outward, so the
/// detector sees no artificial border), and the offset of the picture on it.
fn zoom_out(frame: &Frame) -> (Frame, [f32; 2]) {
    let (w, h) = (frame.width(), frame.height());
    let (cw, ch) = (w * 2, h * 2);
    let (ox, oy) = (w / 2, h / 2);
    let mut rgb = Vec::with_capacity(cw as usize * ch as usize * 3);
    let src = frame.rgb();
    for y in 0..ch {
        let sy = y.saturating_sub(oy).min(h - 1) as usize;
        for x in 0..cw {
            let sx = x.saturating_sub(ox).min(w - 1) as usize;
            let o = (sy * w as usize + sx) * 3;
            rgb.extend_from_slice(&src[o..o + 3]);
        }
    }
    let canvas = Frame::from_rgb(cw, ch, rgb).unwrap_or_else(|_| frame.clone());
    (canvas, [ox as f32, oy as f32])
}

/// Analyses the one face in a portrait with a freshly loaded [`FaceAnalyzer`]. To analyse
/// several pictures, build the analyzer once instead.
pub fn analyze(frame: &Frame) -> Result<FaceRig, FaceError> {
    FaceAnalyzer::new()?.analyze(frame)
}
