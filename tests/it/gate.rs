//! The consent life cycle by hand, as the README shows it: keys → issue → verify → revoke →
//! verify fails; and the refusals a person meets on the way.

use std::path::Path;

use crate::{path_str, provatar, sample, text};

fn ok(args: &[&str]) -> std::process::Output {
    let out = provatar(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        text(&out.stderr)
    );
    out
}

fn code(args: &[&str]) -> (i32, String, String) {
    let out = provatar(args);
    (
        out.status.code().unwrap(),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// `provatar consent verify --consent C --portrait P --trust T EXTRA…`.
fn consent_verify(
    consent: &str,
    portrait: &Path,
    trust: &str,
    extra: &[&str],
) -> (i32, String, String) {
    let mut args = vec![
        "consent",
        "verify",
        "--consent",
        consent,
        "--portrait",
        path_str(portrait),
        "--trust",
        trust,
    ];
    args.extend_from_slice(extra);
    code(&args)
}

/// Keys, a trust store trusting them, a consent credential and a license, in `dir`.
fn setup(dir: &Path) {
    let d = |p: &str| dir.join(p).display().to_string();
    for kind in ["consent-issuer", "vendor", "signer"] {
        ok(&["keys", "new", "--kind", kind, "--out", &d("keys")]);
    }
    for (sub, file) in [
        ("issuers", "consent-issuer.pub"),
        ("vendors", "vendor.pub"),
        ("c2pa", "ca.pem"),
    ] {
        std::fs::create_dir_all(dir.join("trust").join(sub)).unwrap();
        std::fs::copy(
            dir.join("keys").join(file),
            dir.join("trust").join(sub).join(file),
        )
        .unwrap();
    }
    std::fs::create_dir_all(dir.join("trust/revocations")).unwrap();
    let portrait = sample("portrait-astronaut.png");
    ok(&[
        "consent",
        "issue",
        "--issuer-key",
        &d("keys/consent-issuer.key"),
        "--portrait",
        path_str(&portrait),
        "--subject",
        "urn:provatar:subject:test",
        "--licensee",
        "acme",
        "--expires",
        "2035-01-01T00:00:00Z",
        "--out",
        &d("consent.json"),
    ]);
    ok(&[
        "license",
        "issue",
        "--vendor-key",
        &d("keys/vendor.key"),
        "--integrator",
        "acme",
        "--signer-cert",
        &d("keys/signer-chain.pem"),
        "--expires",
        "2035-01-01T00:00:00Z",
        "--out",
        &d("license.json"),
    ]);
}

#[test]
fn the_whole_consent_life_cycle() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let d = |p: &str| dir.path().join(p).display().to_string();
    let portrait = sample("portrait-astronaut.png");
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "consent",
            "verify",
            "--consent",
            &d("consent.json"),
            "--portrait",
            path_str(&portrait),
            "--trust",
            &d("trust"),
            "--json",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        args.extend(extra.iter().map(|s| (*s).to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        code(&args)
    };
    let (c, stdout, _) = verify(&["--licensee", "acme"]);
    assert_eq!(c, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["licensee"], "acme");
    // The license verifies too.
    ok(&[
        "license",
        "verify",
        "--license",
        &d("license.json"),
        "--trust",
        &d("trust"),
    ]);
    // Another licensee is refused with exit 1 and a reason.
    let (c, stdout, stderr) = verify(&["--licensee", "other-co"]);
    assert_eq!(c, 1, "{stderr}");
    assert!(
        stderr.contains("for licensee acme, not other-co"),
        "{stderr}"
    );
    assert!(stdout.contains("\"code\":\"licensee-mismatch\""));
    // Revoke, and it no longer verifies.
    ok(&[
        "consent",
        "revoke",
        "--issuer-key",
        &d("keys/consent-issuer.key"),
        "--consent",
        &d("consent.json"),
        "--list",
        &d("trust/revocations/issuer.json"),
    ]);
    let (c, _, stderr) = verify(&[]);
    assert_eq!(c, 1);
    assert!(stderr.contains("was revoked by its issuer"), "{stderr}");
    // A list someone edited makes the trust store unusable (exit 2), not silently lax.
    let list = std::fs::read_to_string(d("trust/revocations/issuer.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&list).unwrap();
    let id = v["revoked"][0]["id"].as_str().unwrap().to_string();
    std::fs::write(
        d("trust/revocations/issuer.json"),
        list.replace(&id, "urn:uuid:0"),
    )
    .unwrap();
    let (c, _, stderr) = verify(&[]);
    assert_eq!(c, 2, "{stderr}");
    assert!(stderr.contains("signature does not match"), "{stderr}");
}

#[test]
fn tampering_another_portrait_and_untrusted_issuers_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let d = |p: &str| dir.path().join(p).display().to_string();
    let portrait = sample("portrait-astronaut.png");
    // One changed field.
    let json = std::fs::read_to_string(d("consent.json")).unwrap();
    std::fs::write(d("tampered.json"), json.replace("\"acme\"", "\"acmf\"")).unwrap();
    let (c, _, stderr) = consent_verify(&d("tampered.json"), &portrait, &d("trust"), &[]);
    assert_eq!(c, 1);
    assert!(stderr.contains("altered after signing"), "{stderr}");
    // Another portrait (a re-encoded copy of the same picture, even).
    let other = dir.path().join("copy.png");
    image::open(&portrait).unwrap().save(&other).unwrap();
    let (c, _, stderr) = consent_verify(&d("consent.json"), &other, &d("trust"), &[]);
    assert_eq!(c, 1);
    assert!(
        stderr.contains("portrait does not match the consent credential"),
        "{stderr}"
    );
    // A trust store that does not list the issuer.
    std::fs::remove_file(dir.path().join("trust/issuers/consent-issuer.pub")).unwrap();
    let (c, _, stderr) = consent_verify(&d("consent.json"), &portrait, &d("trust"), &[]);
    assert_eq!(c, 1);
    assert!(stderr.contains("not a trusted consent issuer"), "{stderr}");
}

#[test]
fn expired_credentials_and_bad_inputs() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let d = |p: &str| dir.path().join(p).display().to_string();
    let portrait = sample("portrait-astronaut.png");
    ok(&[
        "consent",
        "issue",
        "--issuer-key",
        &d("keys/consent-issuer.key"),
        "--portrait",
        path_str(&portrait),
        "--subject",
        "s",
        "--licensee",
        "acme",
        "--valid-from",
        "2020-01-01T00:00:00Z",
        "--expires",
        "2021-03-01T00:00:00Z",
        "--out",
        &d("old.json"),
    ]);
    let (c, _, stderr) = consent_verify(&d("old.json"), &portrait, &d("trust"), &[]);
    assert_eq!(c, 1);
    assert!(
        stderr.contains("consent credential expired on 2021-03-01T00:00:00Z"),
        "{stderr}"
    );
    // Unreadable things are exit 2 with the file named.
    std::fs::write(d("garbage.json"), "{\"@context\": [").unwrap();
    for (args, needle) in [
        (
            vec![
                "consent",
                "verify",
                "--consent",
                "missing.json",
                "--portrait",
                path_str(&portrait),
                "--trust",
                &d("trust"),
            ],
            "missing.json",
        ),
        (
            vec![
                "consent",
                "verify",
                "--consent",
                &d("garbage.json"),
                "--portrait",
                path_str(&portrait),
                "--trust",
                &d("trust"),
            ],
            "garbage.json",
        ),
        (
            vec![
                "consent",
                "verify",
                "--consent",
                &d("consent.json"),
                "--portrait",
                path_str(&portrait),
                "--trust",
                &d("nowhere"),
            ],
            "nowhere",
        ),
        (
            vec![
                "license",
                "verify",
                "--license",
                &d("consent.json"),
                "--trust",
                &d("trust"),
            ],
            "consent.json",
        ),
        (
            vec![
                "consent",
                "issue",
                "--issuer-key",
                &d("keys/consent-issuer.pub"),
                "--portrait",
                path_str(&portrait),
                "--subject",
                "s",
                "--licensee",
                "a",
                "--expires",
                "2030-01-01T00:00:00Z",
                "--out",
                &d("x.json"),
            ],
            "PKCS#8",
        ),
        (
            vec![
                "consent",
                "issue",
                "--issuer-key",
                &d("keys/consent-issuer.key"),
                "--portrait",
                path_str(&portrait),
                "--subject",
                "s",
                "--licensee",
                "a",
                "--expires",
                "next year",
                "--out",
                &d("x.json"),
            ],
            "RFC 3339",
        ),
        (
            vec!["keys", "new", "--kind", "vendor", "--out", &d("keys")],
            "refusing to overwrite",
        ),
    ] {
        let (c, _, stderr) = code(&args);
        assert_eq!(c, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("PRIVATE KEY"), "{stderr}");
    }
    assert!(
        !dir.path().join("x.json").exists(),
        "a refused issue wrote output"
    );
    // A policy with an unknown key is an error, not ignored.
    std::fs::write(
        d("lax.toml"),
        format!(
            "{}\nwatermark = false\n",
            include_str!("../../policy/default.toml")
        ),
    )
    .unwrap();
    let (c, _, stderr) = consent_verify(
        &d("consent.json"),
        &portrait,
        &d("trust"),
        &["--policy", &d("lax.toml")],
    );
    assert_eq!(c, 2);
    assert!(stderr.contains("watermark"), "{stderr}");
}

#[test]
fn the_bundled_sample_consent_and_license_verify_with_the_dev_trust_store() {
    let trust = crate::repo().join("keys/dev/trust");
    let portrait = sample("portrait-astronaut.png");
    ok(&[
        "consent",
        "verify",
        "--consent",
        path_str(&sample("consent.json")),
        "--portrait",
        path_str(&portrait),
        "--licensee",
        "provatar-demo",
        "--trust",
        path_str(&trust),
    ]);
    ok(&[
        "license",
        "verify",
        "--license",
        path_str(&sample("license.json")),
        "--trust",
        path_str(&trust),
    ]);
    // The shipped default trust store trusts nobody.
    let (c, _, stderr) = consent_verify(
        path_str(&sample("consent.json")),
        &portrait,
        path_str(&crate::repo().join("keys/trust")),
        &[],
    );
    assert_eq!(c, 1, "{stderr}");
    assert!(stderr.contains("not a trusted consent issuer"));
}
