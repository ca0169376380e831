//! The motion track: what the face does in each video frame.
//!
//! Blendshapes use Apple ARKit's 52 names and their `[0, 1]` ranges, so a track can also drive
//! any ARKit-compatible character (Live Link Face, MetaHuman, VRM). Angles are radians.

macro_rules! shapes {
    ($($variant:ident => $name:literal,)*) => {
        /// One ARKit blendshape. The order is the one of Epic's Live Link Face CSV export.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        #[expect(missing_docs, reason = "ARKit's names say what each shape is")]
        pub enum Shape {
            $($variant,)*
        }

        impl Shape {
            /// Every shape, in Live Link Face order.
            pub const ALL: [Self; SHAPE_COUNT] = [$(Self::$variant,)*];

            /// The ARKit name (`jawOpen`).
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
        }
    };
}

/// How many blendshapes ARKit defines.
pub const SHAPE_COUNT: usize = 52;

shapes! {
    EyeBlinkLeft => "eyeBlinkLeft",
    EyeLookDownLeft => "eyeLookDownLeft",
    EyeLookInLeft => "eyeLookInLeft",
    EyeLookOutLeft => "eyeLookOutLeft",
    EyeLookUpLeft => "eyeLookUpLeft",
    EyeSquintLeft => "eyeSquintLeft",
    EyeWideLeft => "eyeWideLeft",
    EyeBlinkRight => "eyeBlinkRight",
    EyeLookDownRight => "eyeLookDownRight",
    EyeLookInRight => "eyeLookInRight",
    EyeLookOutRight => "eyeLookOutRight",
    EyeLookUpRight => "eyeLookUpRight",
    EyeSquintRight => "eyeSquintRight",
    EyeWideRight => "eyeWideRight",
    JawForward => "jawForward",
    JawRight => "jawRight",
    JawLeft => "jawLeft",
    JawOpen => "jawOpen",
    MouthClose => "mouthClose",
    MouthFunnel => "mouthFunnel",
    MouthPucker => "mouthPucker",
    MouthRight => "mouthRight",
    MouthLeft => "mouthLeft",
    MouthSmileLeft => "mouthSmileLeft",
    MouthSmileRight => "mouthSmileRight",
    MouthFrownLeft => "mouthFrownLeft",
    MouthFrownRight => "mouthFrownRight",
    MouthDimpleLeft => "mouthDimpleLeft",
    MouthDimpleRight => "mouthDimpleRight",
    MouthStretchLeft => "mouthStretchLeft",
    MouthStretchRight => "mouthStretchRight",
    MouthRollLower => "mouthRollLower",
    MouthRollUpper => "mouthRollUpper",
    MouthShrugLower => "mouthShrugLower",
    MouthShrugUpper => "mouthShrugUpper",
    MouthPressLeft => "mouthPressLeft",
    MouthPressRight => "mouthPressRight",
    MouthLowerDownLeft => "mouthLowerDownLeft",
    MouthLowerDownRight => "mouthLowerDownRight",
    MouthUpperUpLeft => "mouthUpperUpLeft",
    MouthUpperUpRight => "mouthUpperUpRight",
    BrowDownLeft => "browDownLeft",
    BrowDownRight => "browDownRight",
    BrowInnerUp => "browInnerUp",
    BrowOuterUpLeft => "browOuterUpLeft",
    BrowOuterUpRight => "browOuterUpRight",
    CheekPuff => "cheekPuff",
    CheekSquintLeft => "cheekSquintLeft",
    CheekSquintRight => "cheekSquintRight",
    NoseSneerLeft => "noseSneerLeft",
    NoseSneerRight => "noseSneerRight",
    TongueOut => "tongueOut",
}

impl Shape {
    /// The shape with this ARKit name (case-insensitive, so Live Link's `JawOpen` works too).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name))
    }
}

/// The 52 blendshape weights of one frame, each in `[0, 1]` (setters clamp).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Blendshapes([f32; SHAPE_COUNT]);

impl Default for Blendshapes {
    fn default() -> Self {
        Self::neutral()
    }
}

impl Blendshapes {
    /// A neutral face: every weight 0.
    pub const fn neutral() -> Self {
        Self([0.0; SHAPE_COUNT])
    }

    /// The weight of one shape.
    pub const fn get(&self, shape: Shape) -> f32 {
        self.0[shape as usize]
    }

    /// Sets one weight, clamped to `[0, 1]` (a NaN becomes 0).
    pub fn set(&mut self, shape: Shape, value: f32) {
        self.0[shape as usize] = if value.is_nan() {
            0.0
        } else {
            value.clamp(0.0, 1.0)
        };
    }

    /// Adds to one weight, clamping the result.
    pub fn add(&mut self, shape: Shape, delta: f32) {
        self.set(shape, self.get(shape) + delta);
    }

    /// Sets a left/right pair to the same weight.
    pub fn set_pair(&mut self, left: Shape, right: Shape, value: f32) {
        self.set(left, value);
        self.set(right, value);
    }

    /// All weights in Live Link Face order.
    pub const fn as_array(&self) -> &[f32; SHAPE_COUNT] {
        &self.0
    }

    /// `(shape, weight)` for every shape, in Live Link Face order.
    pub fn iter(&self) -> impl Iterator<Item = (Shape, f32)> + '_ {
        Shape::ALL.into_iter().zip(self.0.iter().copied())
    }
}

/// Head pose relative to the portrait's: rotations in radians (yaw: the head turns to its left
/// for positive values, pitch: chin up, roll: the head tilts to its left), translation as a
/// share of the face height, and the framing scale (1 = the default framing; the renderer
/// draws the face `scale` times as large).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeadPose {
    /// Rotation about the vertical axis, radians.
    pub yaw: f32,
    /// Rotation about the ear-to-ear axis, radians; positive lifts the chin.
    pub pitch: f32,
    /// Rotation about the nose axis, radians.
    pub roll: f32,
    /// Horizontal shift, in face heights.
    pub tx: f32,
    /// Vertical shift, in face heights (positive moves down).
    pub ty: f32,
    /// Framing scale: 1 at head distance 1, 0.5 at head distance 2.
    pub scale: f32,
}

impl Default for HeadPose {
    fn default() -> Self {
        Self {
            yaw: 0.0,
            pitch: 0.0,
            roll: 0.0,
            tx: 0.0,
            ty: 0.0,
            scale: 1.0,
        }
    }
}

/// Where both eyes look, radians, as seen in the picture: positive yaw turns the irises towards
/// the image's right edge, positive pitch up; (0, 0) looks into the camera.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Gaze {
    /// Horizontal angle, radians; positive looks towards the image's right.
    pub yaw: f32,
    /// Vertical angle, radians; positive looks up.
    pub pitch: f32,
}

/// Everything the face does in one video frame.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MotionFrame {
    /// Presentation time of the frame, seconds from the start.
    pub t: f32,
    /// Expression.
    pub blend: Blendshapes,
    /// Head pose.
    pub head: HeadPose,
    /// Eye direction.
    pub gaze: Gaze,
}

/// One [`MotionFrame`] per video frame at a fixed rate.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MotionTrack {
    /// Frames per second.
    pub fps: u32,
    /// The frames, in order; frame `i` is shown at `i / fps` seconds.
    pub frames: Vec<MotionFrame>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<&str> = Shape::ALL.iter().map(|s| s.name()).collect();
        for shape in Shape::ALL {
            assert_eq!(Shape::from_name(shape.name()), Some(shape));
            assert_eq!(Shape::ALL[shape as usize], shape);
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SHAPE_COUNT);
        assert_eq!(Shape::from_name("JawOpen"), Some(Shape::JawOpen));
        assert_eq!(Shape::from_name("jaw"), None);
    }

    #[test]
    fn weights_are_clamped() {
        let mut b = Blendshapes::neutral();
        b.set(Shape::JawOpen, 1.7);
        b.set(Shape::MouthClose, -0.2);
        b.set(Shape::EyeBlinkLeft, f32::NAN);
        assert!((b.get(Shape::JawOpen) - 1.0).abs() < f32::EPSILON);
        assert!(b.get(Shape::MouthClose).abs() < f32::EPSILON);
        assert!(b.get(Shape::EyeBlinkLeft).abs() < f32::EPSILON);
        b.add(Shape::JawOpen, -0.25);
        assert!((b.get(Shape::JawOpen) - 0.75).abs() < 1e-6);
    }
}
