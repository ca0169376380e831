//! From mouth shapes and voice to the whole face: expression, blinks, gaze, head.
//!
//! Everything random comes from one seeded generator advanced once per frame in a fixed order,
//! so a track is reproducible from its seed and the same whether made in one call or streamed.

use provatar_types::{Blendshapes, Gaze, HeadPose, MotionFrame, Shape};

use crate::lips::{Mouth, smoothstep};
use crate::{Controls, Emotion};

/// A small, fast, seedable generator (SplitMix64): motion needs reproducibility, not secrecy.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    #[expect(
        clippy::cast_precision_loss,
        reason = "24 random bits fit an f32 exactly"
    )]
    fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }

    /// Roughly normal (sum of four uniforms), unit variance.
    fn normal(&mut self) -> f32 {
        (self.unit() + self.unit() + self.unit() + self.unit() - 2.0) * 1.732
    }
}

/// Smooth random motion: white noise through two one-pole low-passes (a gentle 1/f² drift).
#[derive(Debug, Clone, Default)]
struct Drift {
    a: f32,
    b: f32,
}

impl Drift {
    /// Advances by one frame with time constant `tau` seconds; output has roughly unit spread.
    fn step(&mut self, noise: f32, dt: f32, tau: f32) -> f32 {
        let k = 1.0 - (-dt / tau).exp();
        // Scale the input so the second stage's output stays near unit variance.
        self.a += k * (noise * (2.0 / k).sqrt() - self.a);
        self.b += k * (self.a - self.b);
        self.b
    }
}

/// Resting expression and dynamics for an emotion at full strength.
struct Style {
    rest: &'static [(Shape, f32)],
    /// Extra shapes that rise with emphasis.
    on_emphasis: &'static [(Shape, f32)],
    /// Head motion gain at full strength (1 = neutral).
    motion_gain: f32,
    /// Articulation gain (jaw).
    jaw_gain: f32,
    /// Head pitch offset, degrees (negative: chin down).
    pitch_deg: f32,
}

fn style(emotion: Emotion) -> Style {
    use Shape::{
        BrowDownLeft, BrowDownRight, BrowInnerUp, BrowOuterUpLeft, BrowOuterUpRight,
        CheekSquintLeft, CheekSquintRight, EyeSquintLeft, EyeSquintRight, EyeWideLeft,
        EyeWideRight, JawOpen, MouthDimpleLeft, MouthDimpleRight, MouthFrownLeft, MouthFrownRight,
        MouthPressLeft, MouthPressRight, MouthShrugLower, MouthSmileLeft, MouthSmileRight,
        NoseSneerLeft, NoseSneerRight,
    };
    match emotion {
        Emotion::Neutral => Style {
            rest: &[],
            on_emphasis: &[],
            motion_gain: 1.0,
            jaw_gain: 1.0,
            pitch_deg: 0.0,
        },
        Emotion::Happy => Style {
            rest: &[
                (MouthSmileLeft, 0.55),
                (MouthSmileRight, 0.55),
                (CheekSquintLeft, 0.35),
                (CheekSquintRight, 0.35),
                (EyeSquintLeft, 0.2),
                (EyeSquintRight, 0.2),
                (MouthDimpleLeft, 0.15),
                (MouthDimpleRight, 0.15),
            ],
            on_emphasis: &[(MouthSmileLeft, 0.2), (MouthSmileRight, 0.2)],
            motion_gain: 1.35,
            jaw_gain: 1.05,
            pitch_deg: 1.5,
        },
        Emotion::Sad => Style {
            rest: &[
                (MouthFrownLeft, 0.45),
                (MouthFrownRight, 0.45),
                (BrowInnerUp, 0.5),
                (BrowDownLeft, 0.15),
                (BrowDownRight, 0.15),
                (MouthShrugLower, 0.2),
                (EyeSquintLeft, 0.1),
                (EyeSquintRight, 0.1),
            ],
            on_emphasis: &[(BrowInnerUp, 0.15)],
            motion_gain: 0.5,
            jaw_gain: 0.75,
            pitch_deg: -5.0,
        },
        Emotion::Angry => Style {
            rest: &[
                (BrowDownLeft, 0.65),
                (BrowDownRight, 0.65),
                (NoseSneerLeft, 0.3),
                (NoseSneerRight, 0.3),
                (MouthPressLeft, 0.25),
                (MouthPressRight, 0.25),
                (EyeSquintLeft, 0.3),
                (EyeSquintRight, 0.3),
                (MouthFrownLeft, 0.15),
                (MouthFrownRight, 0.15),
            ],
            on_emphasis: &[(BrowDownLeft, 0.2), (BrowDownRight, 0.2)],
            motion_gain: 1.25,
            jaw_gain: 1.1,
            pitch_deg: -2.0,
        },
        Emotion::Surprised => Style {
            rest: &[
                (BrowInnerUp, 0.65),
                (BrowOuterUpLeft, 0.6),
                (BrowOuterUpRight, 0.6),
                (EyeWideLeft, 0.55),
                (EyeWideRight, 0.55),
                (JawOpen, 0.1),
            ],
            on_emphasis: &[(EyeWideLeft, 0.15), (EyeWideRight, 0.15)],
            motion_gain: 1.3,
            jaw_gain: 1.15,
            pitch_deg: 2.0,
        },
    }
}

/// Makes whole frames, one after another.
pub(crate) struct Face {
    controls: Controls,
    rng: Rng,
    dt: f32,
    /// Smoothed speech activity (seconds-scale), for calm in silence and pause detection.
    activity_env: f32,
    /// Seconds since speech last stopped (a pause began), if recently.
    since_pause: f32,
    blink_start: Option<f32>,
    blink_length: f32,
    next_blink_allowed: f32,
    gaze: (f32, f32),
    gaze_goal: (f32, f32),
    next_saccade: f32,
    drift: [Drift; 4],
    nod: f32,
    brow: f32,
    roll_pitch: f32,
    breath_phase: f32,
}

impl Face {
    pub(crate) fn new(controls: &Controls) -> Self {
        let mut rng = Rng::new(controls.seed);
        let breath_phase = rng.range(0.0, std::f32::consts::TAU);
        let next_blink_allowed = rng.range(0.3, 2.0);
        let next_saccade = rng.range(0.5, 1.5);
        Self {
            controls: controls.clone(),
            rng,
            dt: 1.0 / f32::from(u16::try_from(controls.fps).unwrap_or(u16::MAX)),
            activity_env: 0.0,
            since_pause: f32::INFINITY,
            blink_start: None,
            blink_length: 0.15,
            next_blink_allowed,
            gaze: (0.0, 0.0),
            gaze_goal: (0.0, 0.0),
            next_saccade,
            drift: Default::default(),
            nod: 0.0,
            brow: 0.0,
            roll_pitch: 0.0,
            breath_phase,
        }
    }

    /// The frame at time `t` given the mouth and voice around it.
    pub(crate) fn frame(&mut self, t: f32, mouth: &Mouth) -> MotionFrame {
        let s = self.controls.emotion_strength;
        let style = style(self.controls.emotion);
        let dt = self.dt;
        let mut blend = Blendshapes::neutral();

        // Speech envelope: 0.4-s attack and release.
        let was_speaking = self.activity_env > 0.5;
        self.activity_env += (1.0 - (-dt / 0.4).exp()) * (mouth.activity - self.activity_env);
        if was_speaking && self.activity_env <= 0.5 {
            self.since_pause = 0.0;
        } else {
            self.since_pause += dt;
        }
        let speaking = self.activity_env;

        // Mouth.
        let jaw_gain = 1.0 + s * (style.jaw_gain - 1.0);
        let jaw = (mouth.jaw * jaw_gain).min(1.0);
        blend.set(Shape::JawOpen, jaw);
        // Lips together on a closure even with the jaw a little open.
        blend.set(Shape::MouthClose, mouth.closure * jaw);
        blend.set_pair(
            Shape::MouthPressLeft,
            Shape::MouthPressRight,
            0.4 * mouth.closure * speaking,
        );
        blend.set(Shape::MouthFunnel, mouth.funnel);
        blend.set(Shape::MouthPucker, mouth.pucker);
        blend.set_pair(
            Shape::MouthStretchLeft,
            Shape::MouthStretchRight,
            mouth.stretch,
        );
        blend.set(Shape::MouthRollLower, 0.6 * mouth.labiodental);
        let lower = 0.5 * jaw * mouth.open;
        blend.set_pair(Shape::MouthLowerDownLeft, Shape::MouthLowerDownRight, lower);
        let upper = 0.2 * jaw * mouth.open + 0.3 * mouth.labiodental;
        blend.set_pair(Shape::MouthUpperUpLeft, Shape::MouthUpperUpRight, upper);

        // Brows and lids on emphasis: a quick rise, a 0.4-s fall.
        self.brow = mouth.emphasis.max(self.brow * (-dt / 0.4).exp());
        let brow_gain = (1.0 + s * (style.motion_gain - 1.0)) * 0.35;
        blend.add(Shape::BrowInnerUp, brow_gain * self.brow);
        blend.add(Shape::BrowOuterUpLeft, 0.8 * brow_gain * self.brow);
        blend.add(Shape::BrowOuterUpRight, 0.8 * brow_gain * self.brow);
        blend.add(Shape::EyeWideLeft, 0.3 * brow_gain * self.brow);
        blend.add(Shape::EyeWideRight, 0.3 * brow_gain * self.brow);
        // Slow brow micro-motion so a silent face is never frozen.
        let brow_noise = 0.04 * self.drift_value(0, 1.5);
        blend.add(Shape::BrowInnerUp, brow_noise.max(0.0));

        // Emotion.
        for &(shape, w) in style.rest {
            blend.add(shape, s * w);
        }
        for &(shape, w) in style.on_emphasis {
            blend.add(shape, s * w * self.brow);
        }

        // Blinks.
        let blink = self.blink(t);
        let look_down = (-self.gaze.1).max(0.0) / 20f32.to_radians();
        for shape in [Shape::EyeBlinkLeft, Shape::EyeBlinkRight] {
            blend.add(shape, blink.max(0.25 * look_down));
        }

        // Gaze.
        let gaze = self.gaze(t, speaking);
        let yaw_share = gaze.yaw / 30f32.to_radians();
        let pitch_share = gaze.pitch / 25f32.to_radians();
        // Looking towards the image's right is the subject's left: the left eye looks out,
        // the right eye in.
        blend.set(Shape::EyeLookOutLeft, yaw_share);
        blend.set(Shape::EyeLookInRight, yaw_share);
        blend.set(Shape::EyeLookInLeft, -yaw_share);
        blend.set(Shape::EyeLookOutRight, -yaw_share);
        blend.set_pair(Shape::EyeLookUpLeft, Shape::EyeLookUpRight, pitch_share);
        blend.set_pair(
            Shape::EyeLookDownLeft,
            Shape::EyeLookDownRight,
            -pitch_share,
        );

        let head = self.head(mouth, speaking, &style);
        MotionFrame {
            t,
            blend,
            head,
            gaze,
        }
    }

    fn drift_value(&mut self, axis: usize, tau: f32) -> f32 {
        let noise = self.rng.normal();
        self.drift[axis].step(noise, self.dt, tau)
    }

    fn blink(&mut self, t: f32) -> f32 {
        // Hazard: 20 per minute, 2.5 times that in the first 0.6 s of a pause; at least
        // 0.9 s between blinks. With the refractory time that averages 15–20 per minute.
        let rate = if self.since_pause < 0.6 { 0.8 } else { 0.33 };
        let draw = self.rng.unit();
        let length = self.rng.range(0.15, 0.25);
        if self.blink_start.is_none() && t >= self.next_blink_allowed && draw < rate * self.dt {
            self.blink_start = Some(t);
            self.blink_length = length;
            self.next_blink_allowed = t + 0.9;
        }
        let Some(start) = self.blink_start else {
            return 0.0;
        };
        let phase = (t - start) / self.blink_length;
        if phase >= 1.0 {
            self.blink_start = None;
            return 0.0;
        }
        // Closing takes 30 % of the blink, the lids stay shut for 20 %, opening takes the rest.
        if phase < 0.3 {
            smoothstep(phase, 0.0, 0.3)
        } else if phase < 0.5 {
            1.0
        } else {
            1.0 - smoothstep(phase, 0.5, 1.0)
        }
    }

    fn gaze(&mut self, t: f32, speaking: f32) -> Gaze {
        let (yaw0, pitch0) = (
            self.controls.gaze_degrees[0].to_radians(),
            self.controls.gaze_degrees[1].to_radians(),
        );
        let (u1, u2, u3, u4) = (
            self.rng.unit(),
            self.rng.unit(),
            self.rng.unit(),
            self.rng.unit(),
        );
        if t >= self.next_saccade {
            // Fixations: 0.6–2.5 s, shorter when silent; half of them return to the held
            // direction, the rest land up to 4° (yaw) and 2.5° (pitch) away.
            let hold = 0.6 + 1.9 * u1;
            self.next_saccade = t + hold * (0.6 + 0.4 * speaking);
            self.gaze_goal = if u2 < 0.5 {
                (0.0, 0.0)
            } else {
                ((u3 * 8.0 - 4.0).to_radians(), (u4 * 5.0 - 2.5).to_radians())
            };
        }
        // Saccades take about 30 ms: nearly done within one frame.
        let k = 1.0 - (-self.dt / 0.03).exp();
        self.gaze.0 += k * (self.gaze_goal.0 - self.gaze.0);
        self.gaze.1 += k * (self.gaze_goal.1 - self.gaze.1);
        let tremor = 0.15f32.to_radians();
        Gaze {
            yaw: yaw0 + self.gaze.0 + tremor * self.rng.normal() * 0.3,
            pitch: pitch0 + self.gaze.1 + tremor * self.rng.normal() * 0.3,
        }
    }

    fn head(&mut self, mouth: &Mouth, speaking: f32, style: &Style) -> HeadPose {
        let s = self.controls.emotion_strength;
        let gain = self.controls.head_motion * (1.0 + s * (style.motion_gain - 1.0));
        let scale = 1.0 / self.controls.head_distance;
        // Calm in silence, livelier while speaking.
        let liveliness = 0.35 + 0.65 * speaking;
        let yaw_drift = self.drift_value(1, 0.9);
        let pitch_drift = self.drift_value(2, 0.7);
        let roll_drift = self.drift_value(3, 1.2);
        // Nods: the chin dips on stressed syllables and comes back over ~0.3 s.
        let nod_k = 1.0 - (-self.dt / 0.12).exp();
        self.nod += nod_k * (mouth.emphasis * mouth.activity - self.nod);
        // Tilt follows the intonation contour, slowly.
        let tilt_k = 1.0 - (-self.dt / 0.5).exp();
        self.roll_pitch += tilt_k * (mouth.pitch / 6.0 - self.roll_pitch);
        self.breath_phase += std::f32::consts::TAU * 0.25 * self.dt;
        let breath = 0.3 * self.breath_phase.sin();
        // Amplitudes of a calm speaker in a video call: a few degrees of yaw, less pitch, a
        // little roll.
        let yaw = gain * liveliness * 4.5 * yaw_drift;
        let pitch =
            gain * (liveliness * 2.5 * pitch_drift - 2.5 * self.nod + breath) + s * style.pitch_deg;
        let roll = gain * (liveliness * 2.0 * roll_drift + 1.5 * self.roll_pitch);
        HeadPose {
            yaw: yaw.to_radians(),
            pitch: pitch.to_radians(),
            roll: roll.to_radians(),
            tx: 0.01 * yaw / 3.0 * gain.min(1.0),
            ty: -0.004 * self.nod * gain,
            scale,
        }
    }
}
