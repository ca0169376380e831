//! The gate's cost per generation: parse and verify a consent credential and a license, check
//! the policy and the request. Run: `cargo bench -p provatar-consent`. Target: well under 1 ms.

#![allow(clippy::unwrap_used, reason = "benchmark set-up")]

use std::hint::black_box;

use chrono::{Duration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;
use provatar_consent::did::did_key;
use provatar_consent::{
    ConsentCredential, ConsentLimits, ConsentRequest, Doc, Gate, IntegratorLicense,
    LicenseFeatures, Policy, Portrait, Request, Signed, TrustStore, sha256_hex,
};

fn gate(c: &mut Criterion) {
    let issuer = SigningKey::from_bytes(&[1; 32]);
    let vendor = SigningKey::from_bytes(&[2; 32]);
    let signer = SigningKey::from_bytes(&[3; 32]);
    let now = Utc::now();
    let portrait = vec![7u8; 700_000];
    let consent = ConsentCredential::issue(
        ConsentRequest {
            portrait_sha256: sha256_hex(&portrait),
            perceptual_hash: None,
            subject: "urn:provatar:subject:bench".into(),
            licensee: "acme".into(),
            valid_from: now - Duration::days(1),
            valid_until: now + Duration::days(30),
            limits: ConsentLimits::default(),
        },
        &issuer,
        now,
    )
    .unwrap()
    .to_json();
    let license = IntegratorLicense::issue(
        "acme",
        &signer.verifying_key(),
        LicenseFeatures {
            max_resolution: 1024,
            streaming: true,
            max_duration_seconds: 600,
        },
        (now - Duration::days(1), now + Duration::days(365)),
        &vendor,
        now,
    )
    .unwrap()
    .to_json();
    let mut trust = TrustStore::empty();
    trust.add_issuer(&did_key(&issuer.verifying_key()));
    trust.add_vendor(&did_key(&vendor.verifying_key()));
    let policy = Policy::default_policy();
    let request = Request {
        clip_seconds: 10.0,
        emotion: "neutral".into(),
        emotion_strength: 0.5,
        size: 512,
        streaming: false,
    };
    let mut group = c.benchmark_group("gate");
    group.bench_function(
        "parse + verify consent and license, admit (incl. portrait sha256)",
        |b| {
            b.iter(|| {
                let consent =
                    Signed::<ConsentCredential>::parse(Doc::Consent, consent.as_bytes()).unwrap();
                let license =
                    Signed::<IntegratorLicense>::parse(Doc::License, license.as_bytes()).unwrap();
                let admitted = Gate::new(&trust, &policy).admit(
                    &Portrait {
                        bytes: &portrait,
                        pixels: None,
                    },
                    Some(&consent),
                    &license,
                    &request,
                );
                black_box(admitted.unwrap())
            });
        },
    );
    group.bench_function("sha256 of a 700 kB portrait", |b| {
        b.iter(|| black_box(sha256_hex(&portrait)));
    });
    group.finish();
}

criterion_group!(benches, gate);
criterion_main!(benches);
