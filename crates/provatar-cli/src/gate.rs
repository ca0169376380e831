//! `provatar keys new`, `provatar consent issue|verify|revoke`, `provatar license issue|verify`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::print_json;
use chrono::{DateTime, Utc};
use provatar::consent::{
    self, ConsentCredential, ConsentLimits, ConsentRequest, Doc, GateError, IntegratorLicense,
    LicenseFeatures, Policy, Portrait, RevocationList, Signed, TrustStore, keys,
};
use provatar::media;
use serde_json::json;

use crate::Status;
use crate::cli::{
    ConsentCommand, ConsentIssueArgs, ConsentRevokeArgs, ConsentVerifyArgs, KeyKind, KeysCommand,
    LicenseCommand, LicenseIssueArgs, LicenseVerifyArgs,
};

/// Largest credential, license or list file read (the parsers refuse more anyway).
const MAX_FILE: u64 = 1024 * 1024;

pub(crate) fn keys(cmd: &KeysCommand) -> anyhow::Result<Status> {
    let KeysCommand::New { kind, out } = cmd;
    let kind = match kind {
        KeyKind::ConsentIssuer => keys::KeyKind::ConsentIssuer,
        KeyKind::Vendor => keys::KeyKind::Vendor,
        KeyKind::Signer => keys::KeyKind::Signer,
    };
    let made = keys::new_keys(kind, out)
        .with_context(|| format!("cannot make a {} key in {}", kind.name(), out.display()))?;
    eprintln!("{}: {}", kind.name(), made.did);
    eprintln!(
        "  private key  {} (mode 0600; keep it secret)",
        made.private_key.display()
    );
    eprintln!("  public key   {}", made.public_key.display());
    if let (Some(chain), Some(ca)) = (&made.chain, &made.ca) {
        eprintln!("  chain        {} (leaf + CA)", chain.display());
        eprintln!(
            "  trust anchor {} (install in a trust store's c2pa/)",
            ca.display()
        );
    }
    Ok(Status::Success)
}

/// The trust directory: `--trust`, else `$PROVATAR_TRUST`, else `keys/trust`.
pub(crate) fn trust_dir(flag: Option<&PathBuf>) -> PathBuf {
    flag.cloned()
        .or_else(|| std::env::var_os("PROVATAR_TRUST").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("keys/trust"))
}

fn load_trust(flag: Option<&PathBuf>) -> anyhow::Result<TrustStore> {
    let dir = trust_dir(flag);
    TrustStore::load(&dir).with_context(|| format!("cannot load the trust store {}", dir.display()))
}

pub(crate) fn load_policy(path: Option<&PathBuf>) -> anyhow::Result<Policy> {
    match path {
        None => Ok(Policy::default_policy()),
        Some(p) => {
            let text = read_limited(p)?;
            let text = String::from_utf8(text).map_err(|_| {
                anyhow::anyhow!("cannot read the policy {}: not UTF-8", p.display())
            })?;
            Policy::parse(&text).with_context(|| format!("cannot use the policy {}", p.display()))
        }
    }
}

fn read_limited(path: &Path) -> anyhow::Result<Vec<u8>> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    anyhow::ensure!(
        meta.len() <= MAX_FILE,
        "cannot read {}: {} bytes is too large for a credential",
        path.display(),
        meta.len()
    );
    provatar::types::read_limited(path, MAX_FILE)
        .with_context(|| format!("cannot read {}", path.display()))
}

fn parse_time(flag: &str, s: &str) -> anyhow::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            anyhow::anyhow!(
                "--{flag} {s:?} is not an RFC 3339 date-time (e.g. 2027-06-30T00:00:00Z)"
            )
        })
}

/// Writes `text` to `path` through a temporary file in the same directory, so a failure never
/// leaves a half-written credential.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// A refusal: message on stderr (and JSON on stdout), exit 1 for a verdict, 2 for unreadable.
fn refusal(what: &Path, e: &GateError, json_out: bool) -> anyhow::Result<Status> {
    if !e.is_verdict() {
        return Err(anyhow::anyhow!("{}: {e}", what.display()));
    }
    eprintln!("{}: INVALID: {e}", what.display());
    if json_out {
        print_json(&json!({"valid": false, "code": e.code(), "error": e.to_string()}))?;
    }
    Ok(Status::Failure)
}

pub(crate) fn consent(cmd: &ConsentCommand) -> anyhow::Result<Status> {
    match cmd {
        ConsentCommand::Issue(a) => consent_issue(a),
        ConsentCommand::Verify(a) => consent_verify(a),
        ConsentCommand::Revoke(a) => consent_revoke(a),
    }
}

fn consent_issue(a: &ConsentIssueArgs) -> anyhow::Result<Status> {
    let key = keys::load_signing_key(&a.issuer_key).context("cannot read the issuer key")?;
    let bytes = read_portrait(&a.portrait)?;
    let image = media::load_image(&a.portrait, &media::Limits::default())
        .with_context(|| format!("cannot read the portrait {}", a.portrait.display()))?;
    let now = Utc::now();
    let valid_from = a
        .valid_from
        .as_deref()
        .map(|s| parse_time("valid-from", s))
        .transpose()?
        .unwrap_or(now);
    let valid_until = parse_time("expires", &a.expires)?;
    anyhow::ensure!(
        valid_until > valid_from,
        "--expires {} is not after the start of validity",
        a.expires
    );
    if let Some(emotions) = &a.emotions {
        for e in emotions {
            anyhow::ensure!(
                consent::EMOTIONS.contains(&e.as_str()),
                "--emotions: unknown emotion {e:?} (known: {})",
                consent::EMOTIONS.join(", ")
            );
        }
    }
    anyhow::ensure!(!a.subject.trim().is_empty(), "--subject must not be empty");
    anyhow::ensure!(
        !a.licensee.trim().is_empty(),
        "--licensee must not be empty"
    );
    let credential = ConsentCredential::issue(
        ConsentRequest {
            portrait_sha256: consent::sha256_hex(&bytes),
            perceptual_hash: Some(format!(
                "{:016x}",
                consent::phash::perceptual_hash(&image.frame)
            )),
            subject: a.subject.clone(),
            licensee: a.licensee.clone(),
            valid_from,
            valid_until,
            limits: ConsentLimits {
                max_clip_seconds: a.max_seconds,
                allowed_emotions: a.emotions.clone(),
            },
        },
        &key,
        now,
    )?;
    write_atomically(&a.out, &credential.to_json())?;
    eprintln!(
        "{}: consent {} for {} by {}, valid until {}",
        a.out.display(),
        credential.doc.id,
        credential.doc.credential_subject.licensee,
        credential.doc.issuer,
        credential.doc.valid_until
    );
    Ok(Status::Success)
}

fn read_portrait(path: &Path) -> anyhow::Result<Vec<u8>> {
    let limit = media::Limits::default();
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read the portrait {}", path.display()))?;
    anyhow::ensure!(
        meta.len() <= limit.max_file_bytes,
        "cannot read the portrait {}: the file is larger than {} bytes",
        path.display(),
        limit.max_file_bytes
    );
    provatar::types::read_limited(path, limit.max_file_bytes)
        .with_context(|| format!("cannot read the portrait {}", path.display()))
}

fn consent_verify(a: &ConsentVerifyArgs) -> anyhow::Result<Status> {
    let trust = load_trust(a.trust.as_ref())?;
    let policy = load_policy(a.policy.as_ref())?;
    let bytes = read_limited(&a.consent)?;
    let portrait_bytes = read_portrait(&a.portrait)?;
    let pixels = if policy.portrait_match == consent::PortraitMatch::Perceptual {
        Some(
            media::load_image(&a.portrait, &media::Limits::default())
                .with_context(|| format!("cannot read the portrait {}", a.portrait.display()))?
                .frame,
        )
    } else {
        None
    };
    let credential = match Signed::<ConsentCredential>::parse(Doc::Consent, &bytes) {
        Ok(c) => c,
        Err(e) => {
            return Err(anyhow::anyhow!(
                "cannot read the consent credential {}: {e}",
                a.consent.display()
            ));
        }
    };
    let portrait = Portrait {
        bytes: &portrait_bytes,
        pixels: pixels.as_ref(),
    };
    match consent::check_consent(
        &credential,
        &trust,
        &policy,
        Utc::now(),
        Some(&portrait),
        a.licensee.as_deref(),
    ) {
        Ok(facts) => {
            eprintln!(
                "{}: VALID: consent {} from {} for licensee {}, valid until {}",
                a.consent.display(),
                facts.id,
                facts.issuer,
                facts.licensee,
                facts.valid_until
            );
            if a.json {
                print_json(&json!({
                    "valid": true,
                    "id": facts.id,
                    "issuer": facts.issuer,
                    "subject": facts.subject,
                    "licensee": facts.licensee,
                    "valid_until": facts.valid_until,
                    "max_clip_seconds": facts.limits.max_clip_seconds,
                    "allowed_emotions": facts.limits.allowed_emotions,
                }))?;
            }
            Ok(Status::Success)
        }
        Err(e) => refusal(&a.consent, &e, a.json),
    }
}

fn consent_revoke(a: &ConsentRevokeArgs) -> anyhow::Result<Status> {
    let key = keys::load_signing_key(&a.issuer_key).context("cannot read the issuer key")?;
    let bytes = read_limited(&a.consent)?;
    let credential = Signed::<ConsentCredential>::parse(Doc::Consent, &bytes)
        .with_context(|| format!("cannot read the consent credential {}", a.consent.display()))?;
    // Only the issuer that signed a credential may revoke it.
    credential
        .check_proof(Doc::Consent, &credential.doc.issuer)
        .with_context(|| format!("{}", a.consent.display()))?;
    let issuer = consent::did::did_key(&key.verifying_key());
    anyhow::ensure!(
        credential.doc.issuer == issuer,
        "{} was issued by {}, not by the key {} ({issuer}); only its issuer can revoke it",
        a.consent.display(),
        credential.doc.issuer,
        a.issuer_key.display()
    );
    let list = if a.list.exists() {
        let bytes = read_limited(&a.list)?;
        let list = Signed::<RevocationList>::parse(Doc::Revocations, &bytes)
            .with_context(|| format!("cannot read the revocation list {}", a.list.display()))?;
        list.check_proof(Doc::Revocations, &list.doc.issuer)
            .with_context(|| format!("the revocation list {} does not verify", a.list.display()))?;
        list.doc
    } else {
        RevocationList::empty(&issuer)
    };
    let signed = list
        .revoke(&credential.doc.id, &key, Utc::now())
        .with_context(|| format!("cannot update the revocation list {}", a.list.display()))?;
    write_atomically(&a.list, &signed.to_json())?;
    eprintln!(
        "{}: revoked {} ({} revoked in all)",
        a.list.display(),
        credential.doc.id,
        signed.doc.revoked.len()
    );
    Ok(Status::Success)
}

pub(crate) fn license(cmd: &LicenseCommand) -> anyhow::Result<Status> {
    match cmd {
        LicenseCommand::Issue(a) => license_issue(a),
        LicenseCommand::Verify(a) => license_verify(a),
    }
}

fn license_issue(a: &LicenseIssueArgs) -> anyhow::Result<Status> {
    let key = keys::load_signing_key(&a.vendor_key).context("cannot read the vendor key")?;
    let signer = keys::certificate_public_key(&a.signer_cert)
        .context("cannot read the signer certificate")?;
    let now = Utc::now();
    let until = parse_time("expires", &a.expires)?;
    anyhow::ensure!(until > now, "--expires {} is in the past", a.expires);
    anyhow::ensure!(
        !a.integrator.trim().is_empty(),
        "--integrator must not be empty"
    );
    anyhow::ensure!(
        (16..=4096).contains(&a.max_resolution),
        "--max-resolution must be 16..4096"
    );
    anyhow::ensure!(a.max_seconds > 0, "--max-seconds must be positive");
    let license = IntegratorLicense::issue(
        &a.integrator,
        &signer,
        LicenseFeatures {
            max_resolution: a.max_resolution,
            streaming: a.streaming,
            max_duration_seconds: a.max_seconds,
        },
        (now, until),
        &key,
        now,
    )?;
    write_atomically(&a.out, &license.to_json())?;
    eprintln!(
        "{}: license {} for {} (signer {}), valid until {}",
        a.out.display(),
        license.doc.id,
        a.integrator,
        license.doc.credential_subject.signer_key,
        license.doc.valid_until
    );
    Ok(Status::Success)
}

fn license_verify(a: &LicenseVerifyArgs) -> anyhow::Result<Status> {
    let trust = load_trust(a.trust.as_ref())?;
    let bytes = read_limited(&a.license)?;
    let license = match Signed::<IntegratorLicense>::parse(Doc::License, &bytes) {
        Ok(l) => l,
        Err(e) => {
            return Err(anyhow::anyhow!(
                "cannot read the integrator license {}: {e}",
                a.license.display()
            ));
        }
    };
    let skew = Policy::default_policy().clock_skew_seconds;
    match consent::check_license(&license, &trust, skew, Utc::now()) {
        Ok(f) => {
            eprintln!(
                "{}: VALID: license {} from {} for {}, valid until {}",
                a.license.display(),
                f.id,
                f.vendor,
                f.integrator,
                f.valid_until
            );
            if a.json {
                print_json(&json!({
                    "valid": true,
                    "id": f.id,
                    "vendor": f.vendor,
                    "integrator": f.integrator,
                    "signer_key": f.signer_key,
                    "valid_until": f.valid_until,
                    "features": {
                        "max_resolution": f.features.max_resolution,
                        "streaming": f.features.streaming,
                        "max_duration_seconds": f.features.max_duration_seconds,
                    },
                }))?;
            }
            Ok(Status::Success)
        }
        Err(e) => refusal(&a.license, &e, a.json),
    }
}
