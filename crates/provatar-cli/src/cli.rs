//! The command line, as DESIGN.md's CLI contract lays it out.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// provatar: consent-gated, watermarked, C2PA-signed talking-head video from one portrait and
/// one speech clip — and the verifier for such videos.
#[derive(Debug, Parser)]
#[command(name = "provatar", version, about, long_about = None, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Generate a signed, watermarked avatar from the bundled sample and verify it.
    Demo(DemoArgs),
    /// Generate a talking-head MP4 (gated by consent, license and policy).
    Generate(Box<GenerateArgs>),
    /// Check a video's provenance: C2PA manifest, watermark and consent.
    ///
    /// Exit status: 0 authentic or recovered, 1 tampered or unknown, 2 cannot read the input,
    /// 3 revoked (the consent it carries was revoked), 4 incomplete (`--stream`: no segment
    /// closes the stream yet).
    Verify(VerifyArgs),
    /// Find the face in a portrait: box, 478 landmarks, head pose.
    Analyze(AnalyzeArgs),
    /// Turn speech into a motion track (blendshapes, head pose, gaze).
    Motion(MotionArgs),
    /// Show what an image, audio or MP4 file holds.
    Probe(ProbeArgs),
    /// Embed or detect the invisible watermark.
    ///
    /// Exit status of `detect`: 0 detected, 1 not detected, 2 unreadable input.
    #[command(subcommand)]
    Watermark(WatermarkCommand),
    /// Make keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Issue, verify or revoke consent credentials.
    ///
    /// Exit status of `verify`: 0 valid, 1 checked and invalid, 2 unreadable input.
    #[command(subcommand)]
    Consent(ConsentCommand),
    /// Issue or verify integrator licenses.
    ///
    /// Exit status of `verify`: 0 valid, 1 checked and invalid, 2 unreadable input.
    #[command(subcommand)]
    License(LicenseCommand),
    /// Measure per-stage and end-to-end speed.
    Bench(BenchArgs),
}

impl Command {
    /// Whether the command was asked for JSON on stdout (`--json`): then an error is printed
    /// there too, as `{"error": …, "exit_status": 2}`.
    pub(crate) fn json(&self) -> bool {
        match self {
            Self::Generate(a) => a.json,
            Self::Verify(a) => a.json,
            Self::Analyze(a) => a.json,
            Self::Probe(a) => a.json,
            Self::Bench(a) => a.json,
            Self::Watermark(WatermarkCommand::Detect { json, .. }) => *json,
            Self::Consent(ConsentCommand::Verify(a)) => a.json,
            Self::License(LicenseCommand::Verify(a)) => a.json,
            Self::Demo(_)
            | Self::Motion(_)
            | Self::Watermark(WatermarkCommand::Embed { .. })
            | Self::Keys(_)
            | Self::Consent(_)
            | Self::License(_) => false,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Directory for demo.mp4 and demo-report.json.
    #[arg(long, default_value = "demo-out")]
    pub(crate) out: PathBuf,
}

/// Facial expression presets.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Emotion {
    Neutral,
    Happy,
    Sad,
    Angry,
    Surprised,
}

#[derive(Debug, Args)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent command-line switches"
)]
pub(crate) struct GenerateArgs {
    /// The portrait (PNG, JPEG or WebP).
    #[arg(long)]
    pub(crate) portrait: PathBuf,
    /// The speech or singing clip (WAV, FLAC, MP3, Ogg Vorbis, AAC/M4A); with `--stream`, `-`
    /// reads raw 16 kHz mono s16le PCM from stdin as it arrives.
    #[arg(long)]
    pub(crate) audio: PathBuf,
    /// The consent credential of the person in the portrait.
    #[arg(long)]
    pub(crate) consent: PathBuf,
    /// The MP4 to write (with `--stream`: the whole recording, signed, when the stream ends).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Generate live: take the audio in 20-ms chunks at real-time pace, write each signed
    /// fragmented-MP4 segment as soon as it is complete, and print per-segment timing.
    #[arg(long)]
    pub(crate) stream: bool,
    /// With `--stream`: the directory for the segments (`NAME-000000.mp4`, …; default: OUT's
    /// name with `-segments`). `-` writes them to stdout, one after the other.
    #[arg(long)]
    pub(crate) segments: Option<PathBuf>,
    /// With `--stream`: frames per segment (default: one second's worth).
    #[arg(long, default_value_t = 0)]
    pub(crate) segment_frames: u32,
    /// With `--stream` and an audio file: feed it as fast as it is processed, not at real-time
    /// pace.
    #[arg(long)]
    pub(crate) no_pace: bool,
    /// The integrator license (required; default: the `PROVATAR_LICENSE` environment variable).
    #[arg(long)]
    pub(crate) license: Option<PathBuf>,
    /// Directory with the C2PA signer key and certificate chain (signer.key,
    /// signer-chain.pem; default: `PROVATAR_SIGNER`). It must be the signer the license names.
    #[arg(long)]
    pub(crate) signer: Option<PathBuf>,
    /// Trust store directory (default: `PROVATAR_TRUST`, else keys/trust).
    #[arg(long)]
    pub(crate) trust: Option<PathBuf>,
    /// Manifest store directory, where every signed manifest is kept by content id (default:
    /// `PROVATAR_STORE`, else ~/.local/share/provatar/manifests).
    #[arg(long)]
    pub(crate) store: Option<PathBuf>,
    /// Policy file.
    #[arg(long)]
    pub(crate) policy: Option<PathBuf>,
    /// Motion controls.
    #[command(flatten)]
    pub(crate) controls: MotionControls,
    /// Output width and height in pixels.
    #[arg(long, default_value_t = 512)]
    pub(crate) size: u32,
    /// Also write the motion track here (JSON, ARKit names).
    #[arg(long)]
    pub(crate) motion_out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub(crate) quiet: bool,
    /// Print the generation report (video, content id, frames, manifest, framing, seconds per
    /// stage) as one JSON object on stdout. Not with `--stream`.
    #[arg(long, conflicts_with = "stream")]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The video to check (MP4); with `--stream`, a directory of stream segments (checked in
    /// file-name order) or the segment files themselves.
    #[arg(required = true)]
    pub(crate) video: Vec<PathBuf>,
    /// Check the segments of a live stream: each on its own, then their sequence.
    #[arg(long)]
    pub(crate) stream: bool,
    /// Trust store directory: c2pa/ signer anchors, issuers/, revocations/ (default: the
    /// `PROVATAR_TRUST` environment variable, else keys/trust).
    #[arg(long)]
    pub(crate) trust: Option<PathBuf>,
    /// Manifest store directory, where stripped manifests are recovered by the watermark's
    /// content id (default: `PROVATAR_STORE`, else ~/.local/share/provatar/manifests if present).
    #[arg(long)]
    pub(crate) store: Option<PathBuf>,
    /// Print the report as one JSON object on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AnalyzeArgs {
    /// The portrait (PNG, JPEG or WebP).
    pub(crate) image: PathBuf,
    /// Print one JSON object on stdout:
    /// {"faces":[{"box":[x,y,w,h],"score":f,"landmarks":[[x,y,z],…478],"pose":{"yaw","pitch","roll"}}],"ms":f}.
    /// Pose angles are in degrees; landmarks in picture pixels.
    #[arg(long)]
    pub(crate) json: bool,
    /// List every face instead of requiring exactly one.
    #[arg(long)]
    pub(crate) all: bool,
}

/// Motion track formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum MotionFormat {
    Json,
    LivelinkCsv,
}

#[derive(Debug, Args)]
pub(crate) struct MotionArgs {
    /// The speech clip.
    #[arg(long)]
    pub(crate) audio: PathBuf,
    /// Where to write the track.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = MotionFormat::Json)]
    pub(crate) format: MotionFormat,
    /// Motion controls.
    #[command(flatten)]
    pub(crate) controls: MotionControls,
}

/// The controls shared by `generate` and `motion`.
#[derive(Debug, Args)]
pub(crate) struct MotionControls {
    /// Expression.
    #[arg(long, value_enum, default_value_t = Emotion::Neutral)]
    pub(crate) emotion: Emotion,
    /// Strength of the expression, 0..1 (resting expression and dynamics).
    #[arg(long, default_value_t = 0.5)]
    pub(crate) emotion_strength: f32,
    /// Gaze direction the eyes hold, YAW,PITCH in degrees (±30, ±20; positive yaw looks towards
    /// the image's right, positive pitch up).
    #[arg(long, default_value = "0,0")]
    pub(crate) gaze: String,
    /// Amount of head motion, 0..3 (0 = still, 1 = natural).
    #[arg(long, default_value_t = 1.0)]
    pub(crate) head_motion: f32,
    /// Framing, 0.5..3 (1.0: face about 55% of the frame height; 2.0: half that).
    #[arg(long, default_value_t = 1.0)]
    pub(crate) head_distance: f32,
    /// Frames per second, 1..120.
    #[arg(long, default_value_t = 25)]
    pub(crate) fps: u32,
    /// Seed of blinks, saccades and head drift (the same seed and audio give the same track).
    /// Without it a fresh seed is drawn and reported.
    #[arg(long)]
    pub(crate) seed: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct ProbeArgs {
    /// The image, audio or MP4 file.
    pub(crate) file: PathBuf,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum WatermarkCommand {
    /// Mark an image (PNG/JPEG in, PNG/JPEG out by the output's extension) or an MP4 (frames
    /// re-encoded with H.264, audio kept; frame indices 0, 1, 2, …).
    Embed {
        /// Input file.
        input: PathBuf,
        /// Output file (written whole or not at all).
        output: PathBuf,
        /// The 64-bit content id, as 16 hex digits.
        #[arg(long)]
        payload: String,
        /// Watermark key file: 64 hex digits (`#` comment lines allowed). Default: the public
        /// verification key, which anyone can detect with.
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Look for the watermark in an image or MP4 and read its content id.
    Detect {
        /// Input file.
        input: PathBuf,
        /// Watermark key file (default: the public verification key).
        #[arg(long)]
        key: Option<PathBuf>,
        /// Print one JSON object on stdout.
        #[arg(long)]
        json: bool,
    },
}

/// Key kinds.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum KeyKind {
    ConsentIssuer,
    Vendor,
    Signer,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Make a new Ed25519 key (and, for `signer`, an X.509 chain).
    New {
        /// What the key is for.
        #[arg(long, value_enum)]
        kind: KeyKind,
        /// Directory to write it to.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConsentCommand {
    /// Issue a consent credential for a portrait, signed by a consent issuer.
    Issue(ConsentIssueArgs),
    /// Check a consent credential against a portrait and the trust store.
    Verify(ConsentVerifyArgs),
    /// Revoke a consent credential: add it to the issuer's signed revocation list.
    Revoke(ConsentRevokeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ConsentIssueArgs {
    /// The consent issuer's private key (`provatar keys new --kind consent-issuer`).
    #[arg(long)]
    pub(crate) issuer_key: PathBuf,
    /// The portrait the person agreed to.
    #[arg(long)]
    pub(crate) portrait: PathBuf,
    /// A pseudonymous id of the person (never their name).
    #[arg(long)]
    pub(crate) subject: String,
    /// The integrator allowed to use the portrait.
    #[arg(long)]
    pub(crate) licensee: String,
    /// End of validity, RFC 3339 (e.g. 2027-06-30T00:00:00Z).
    #[arg(long)]
    pub(crate) expires: String,
    /// Start of validity, RFC 3339 (default: now).
    #[arg(long)]
    pub(crate) valid_from: Option<String>,
    /// Longest clip the person allows, in seconds.
    #[arg(long)]
    pub(crate) max_seconds: Option<u32>,
    /// Emotions the person allows, comma-separated (default: any the policy allows).
    #[arg(long, value_delimiter = ',')]
    pub(crate) emotions: Option<Vec<String>>,
    /// The credential file to write.
    #[arg(long)]
    pub(crate) out: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct ConsentVerifyArgs {
    /// The consent credential.
    #[arg(long)]
    pub(crate) consent: PathBuf,
    /// The portrait it should cover.
    #[arg(long)]
    pub(crate) portrait: PathBuf,
    /// The integrator that wants to use it.
    #[arg(long)]
    pub(crate) licensee: Option<String>,
    /// Trust store directory (default: the `PROVATAR_TRUST` environment variable, else keys/trust).
    #[arg(long)]
    pub(crate) trust: Option<PathBuf>,
    /// Policy file (default: the built-in policy/default.toml).
    #[arg(long)]
    pub(crate) policy: Option<PathBuf>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ConsentRevokeArgs {
    /// The consent issuer's private key.
    #[arg(long)]
    pub(crate) issuer_key: PathBuf,
    /// The credential to revoke.
    #[arg(long)]
    pub(crate) consent: PathBuf,
    /// The issuer's revocation list (created if missing); put it in the trust store's
    /// revocations/ for verifiers to see it.
    #[arg(long)]
    pub(crate) list: PathBuf,
}

#[derive(Debug, Subcommand)]
pub(crate) enum LicenseCommand {
    /// Issue an integrator license, signed by a vendor key.
    Issue(LicenseIssueArgs),
    /// Check an integrator license against the trust store.
    Verify(LicenseVerifyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct LicenseIssueArgs {
    /// The vendor's private key (`provatar keys new --kind vendor`).
    #[arg(long)]
    pub(crate) vendor_key: PathBuf,
    /// The integrator's id (what consent credentials name as licensee).
    #[arg(long)]
    pub(crate) integrator: String,
    /// The integrator's C2PA signer certificate (chain) PEM; the license binds its key.
    #[arg(long)]
    pub(crate) signer_cert: PathBuf,
    /// End of validity, RFC 3339.
    #[arg(long)]
    pub(crate) expires: String,
    /// Largest frame side allowed, pixels.
    #[arg(long, default_value_t = 1024)]
    pub(crate) max_resolution: u32,
    /// Longest clip allowed, seconds.
    #[arg(long, default_value_t = 600)]
    pub(crate) max_seconds: u32,
    /// Allow streaming generation.
    #[arg(long)]
    pub(crate) streaming: bool,
    /// The license file to write.
    #[arg(long)]
    pub(crate) out: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct LicenseVerifyArgs {
    /// The license.
    #[arg(long)]
    pub(crate) license: PathBuf,
    /// Trust store directory (default: the `PROVATAR_TRUST` environment variable, else keys/trust).
    #[arg(long)]
    pub(crate) trust: Option<PathBuf>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub(crate) json: bool,
    /// Frames to generate per measurement.
    #[arg(long)]
    pub(crate) frames: Option<u32>,
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
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
