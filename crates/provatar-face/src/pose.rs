//! Head pose: a rigid fit (rotation, uniform scale, translation) of the canonical face to the
//! observed 3D landmarks, by Horn's closed-form quaternion method (J. Opt. Soc. Am. A 4, 1987).

// Point counts are a few hundred; exact in f64.
#![allow(clippy::cast_precision_loss, reason = "small point counts")]

/// How the head is turned, in the camera's frame: x to the picture's right, y up, z toward the
/// viewer. The rotation that takes the canonical (frontal) face to the observed one is
/// `Ry(yaw) · Rx(−pitch) · Rz(roll)`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct HeadPose {
    /// Radians; positive when the face turns toward the picture's right (the subject's left).
    pub yaw: f32,
    /// Radians; positive when the face tilts up (chin up).
    pub pitch: f32,
    /// Radians; positive when the head leans counter-clockwise on screen.
    pub roll: f32,
    /// Picture pixels per centimetre of the canonical face.
    pub scale: f32,
    /// Where the canonical face's origin (the centroid of the fitted points) lands, in picture
    /// pixels (x right, y down) and depth pixels (z away from the viewer, as the landmarks).
    pub origin: [f32; 3],
    /// Mean distance, in picture pixels, between the fitted canonical points and the landmarks.
    pub residual: f32,
}

impl HeadPose {
    /// The rotation matrix (row-major) in the y-up frame.
    pub fn rotation(&self) -> [[f32; 3]; 3] {
        let ry = rot_y(self.yaw);
        let rx = rot_x(-self.pitch);
        let rz = rot_z(self.roll);
        mat_mul(&mat_mul(&ry, &rx), &rz)
    }

    /// Where a canonical point (cm, y up) lands in the picture: (x, y down, z away) pixels.
    pub fn project(&self, p: [f32; 3]) -> [f32; 3] {
        let r = self.rotation();
        let q = mat_vec(&r, p);
        [
            self.origin[0] + self.scale * q[0],
            self.origin[1] - self.scale * q[1],
            self.origin[2] - self.scale * q[2],
        ]
    }
}

fn rot_x(a: f32) -> [[f32; 3]; 3] {
    let (s, c) = a.sin_cos();
    [[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]]
}

fn rot_y(a: f32) -> [[f32; 3]; 3] {
    let (s, c) = a.sin_cos();
    [[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]]
}

fn rot_z(a: f32) -> [[f32; 3]; 3] {
    let (s, c) = a.sin_cos();
    [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]
}

fn mat_mul(a: &[[f32; 3]; 3], b: &[[f32; 3]; 3]) -> [[f32; 3]; 3] {
    let mut m = [[0f32; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            m[i][j] = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    m
}

fn mat_vec(a: &[[f32; 3]; 3], v: [f32; 3]) -> [f32; 3] {
    [0, 1, 2].map(|i| a[i][0] * v[0] + a[i][1] * v[1] + a[i][2] * v[2])
}

/// Fits `canonical` (cm, y up, z toward the viewer) to `observed` (picture pixels: x right,
/// y down, z away from the viewer, as the face mesh gives them). `None` for fewer than three
/// points or a degenerate set.
pub(crate) fn fit(canonical: &[[f32; 3]], observed: &[[f32; 3]]) -> Option<HeadPose> {
    let n = canonical.len();
    if n < 3 || observed.len() != n {
        return None;
    }
    // Work in f64 in the y-up, z-toward-viewer frame.
    let obs: Vec<[f64; 3]> = observed
        .iter()
        .map(|q| [f64::from(q[0]), -f64::from(q[1]), -f64::from(q[2])])
        .collect();
    let can: Vec<[f64; 3]> = canonical.iter().map(|p| p.map(f64::from)).collect();
    let centroid = |pts: &[[f64; 3]]| {
        let mut c = [0f64; 3];
        for p in pts {
            for k in 0..3 {
                c[k] += p[k];
            }
        }
        c.map(|v| v / pts.len() as f64)
    };
    let (cp, cq) = (centroid(&can), centroid(&obs));
    let mut s = [[0f64; 3]; 3];
    let mut norm_p = 0f64;
    for (p, q) in can.iter().zip(&obs) {
        let p = [p[0] - cp[0], p[1] - cp[1], p[2] - cp[2]];
        let q = [q[0] - cq[0], q[1] - cq[1], q[2] - cq[2]];
        for i in 0..3 {
            for j in 0..3 {
                s[i][j] += p[i] * q[j];
            }
            norm_p += p[i] * p[i];
        }
    }
    if norm_p <= f64::EPSILON {
        return None;
    }
    let [[sxx, sxy, sxz], [syx, syy, syz], [szx, szy, szz]] = s;
    let k = [
        [sxx + syy + szz, syz - szy, szx - sxz, sxy - syx],
        [syz - szy, sxx - syy - szz, sxy + syx, szx + sxz],
        [szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy],
        [sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz],
    ];
    let [w, x, y, z] = largest_eigenvector(k);
    let r = [
        [
            w * w + x * x - y * y - z * z,
            2.0 * (x * y - w * z),
            2.0 * (x * z + w * y),
        ],
        [
            2.0 * (x * y + w * z),
            w * w - x * x + y * y - z * z,
            2.0 * (y * z - w * x),
        ],
        [
            2.0 * (x * z - w * y),
            2.0 * (y * z + w * x),
            w * w - x * x - y * y + z * z,
        ],
    ];
    let rotate = |p: [f64; 3]| [0, 1, 2].map(|i| r[i][0] * p[0] + r[i][1] * p[1] + r[i][2] * p[2]);
    let mut dot = 0f64;
    for (p, q) in can.iter().zip(&obs) {
        let rp = rotate([p[0] - cp[0], p[1] - cp[1], p[2] - cp[2]]);
        dot += (0..3).map(|i| rp[i] * (q[i] - cq[i])).sum::<f64>();
    }
    let scale = dot / norm_p;
    if !(scale.is_finite() && scale > 0.0) {
        return None;
    }
    let t = {
        let rc = rotate(cp);
        [0, 1, 2].map(|i| cq[i] - scale * rc[i])
    };
    let mut residual = 0f64;
    for (p, q) in can.iter().zip(&obs) {
        let rp = rotate(*p);
        residual += (0..3)
            .map(|i| (scale * rp[i] + t[i] - q[i]).powi(2))
            .sum::<f64>()
            .sqrt();
    }
    // The canonical origin is where the points' centroid sits in the canonical frame; report
    // where it lands for the canonical point (0, 0, 0).
    #[expect(clippy::cast_possible_truncation, reason = "angles and pixels fit f32")]
    Some(HeadPose {
        yaw: r[0][2].atan2(r[2][2]) as f32,
        pitch: r[1][2].clamp(-1.0, 1.0).asin() as f32,
        roll: r[1][0].atan2(r[1][1]) as f32,
        scale: scale as f32,
        origin: [t[0] as f32, -t[1] as f32, -t[2] as f32],
        residual: (residual / n as f64) as f32,
    })
}

/// The unit eigenvector of the largest eigenvalue of a symmetric 4×4 matrix (cyclic Jacobi).
fn largest_eigenvector(mut a: [[f64; 4]; 4]) -> [f64; 4] {
    let mut v = [[0f64; 4]; 4];
    for (i, row) in v.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for _sweep in 0..50 {
        let off: f64 = (0..4)
            .flat_map(|i| (0..4).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..3 {
            for q in p + 1..4 {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for row in &mut a {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = c * akp - s * akq;
                    row[q] = s * akp + c * akq;
                }
                let (row_p, row_q) = (a[p], a[q]);
                for k in 0..4 {
                    a[p][k] = c * row_p[k] - s * row_q[k];
                    a[q][k] = s * row_p[k] + c * row_q[k];
                }
                for row in &mut v {
                    let (vp, vq) = (row[p], row[q]);
                    row[p] = c * vp - s * vq;
                    row[q] = s * vp + c * vq;
                }
            }
        }
    }
    let best = (0..4)
        .max_by(|&i, &j| a[i][i].total_cmp(&a[j][j]))
        .unwrap_or(0);
    let e = [v[0][best], v[1][best], v[2][best], v[3][best]];
    let norm = e.iter().map(|x| x * x).sum::<f64>().sqrt();
    e.map(|x| x / norm)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn cloud() -> Vec<[f32; 3]> {
        // An irregular, face-sized cloud.
        (0..40)
            .map(|i| {
                let f = i as f32;
                [
                    (f * 1.7).sin() * 6.0,
                    (f * 0.9).cos() * 8.0,
                    (f * 2.3).sin() * 3.0 + 2.0,
                ]
            })
            .collect()
    }

    #[test]
    fn recovers_a_known_pose() {
        for (yaw, pitch, roll) in [
            (0.0, 0.0, 0.0),
            (0.4, 0.0, 0.0),
            (0.0, -0.3, 0.0),
            (0.0, 0.0, 0.5),
            (-0.5, 0.25, -0.35),
        ] {
            let truth = HeadPose {
                yaw,
                pitch,
                roll,
                scale: 12.5,
                origin: [250.0, 140.0, 3.0],
                residual: 0.0,
            };
            let canonical = cloud();
            let observed: Vec<_> = canonical.iter().map(|&p| truth.project(p)).collect();
            let fitted = fit(&canonical, &observed).unwrap();
            for (a, b) in [
                (fitted.yaw, yaw),
                (fitted.pitch, pitch),
                (fitted.roll, roll),
            ] {
                assert!((a - b).abs() < 1e-4, "{fitted:?} vs {truth:?}");
            }
            assert!((fitted.scale - 12.5).abs() < 1e-3, "{fitted:?}");
            assert!(fitted.residual < 1e-3, "{fitted:?}");
            for k in 0..3 {
                assert!(
                    (fitted.origin[k] - truth.origin[k]).abs() < 1e-2,
                    "{fitted:?}"
                );
            }
        }
    }

    #[test]
    fn signs_mean_what_the_docs_say() {
        // Turning toward the picture's right moves the nose (+z) to larger picture x.
        let pose = HeadPose {
            yaw: 0.3,
            pitch: 0.0,
            roll: 0.0,
            scale: 1.0,
            origin: [0.0; 3],
            residual: 0.0,
        };
        assert!(pose.project([0.0, 0.0, 1.0])[0] > 0.0);
        // Chin up: the nose moves up the picture (smaller y).
        let pose = HeadPose {
            yaw: 0.0,
            pitch: 0.3,
            ..pose
        };
        assert!(pose.project([0.0, 0.0, 1.0])[1] < 0.0);
        // Counter-clockwise on screen: the subject's left (+x) side rises (smaller y).
        let pose = HeadPose {
            pitch: 0.0,
            roll: 0.3,
            ..pose
        };
        assert!(pose.project([1.0, 0.0, 0.0])[1] < 0.0);
    }

    #[test]
    fn degenerate_input_is_refused() {
        assert!(fit(&[[0.0; 3]; 2], &[[0.0; 3]; 2]).is_none());
        assert!(fit(&[[1.0, 1.0, 1.0]; 5], &[[0.0; 3]; 5]).is_none());
    }
}
