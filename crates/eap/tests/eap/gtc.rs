//! EAP-GTC for passwords and one-time codes, and the reason tokens of
//! their failures.

use std::time::Duration;

use ibex_eap::{Answer, PeerConfig, PromptKind, Secret, ServerFailure, ServerMethod};

use crate::support::*;

fn with_code(dir: &std::sync::Arc<TestDirectory>, code: &str) -> Outcome {
    let mut p = peer(config());
    let mut s = server(dir, vec![ServerMethod::GtcOtp]);
    converse(&mut p, &mut s, |prompt| {
        assert_eq!(prompt.kind, PromptKind::Otp);
        assert_eq!(
            prompt.text.as_deref(),
            Some("Enter the one-time code from your authenticator app")
        );
        Answer::Secret(Secret::from_slice(code.as_bytes()))
    })
}

#[test]
fn password_accepted_and_rejected() {
    let dir = TestDirectory::new();
    let out = run(config(), &dir, vec![ServerMethod::GtcPassword]);
    assert_eq!((out.server, out.peer), (Some(Ok(())), Ok(())));
    assert!(out.prompts.is_empty(), "the configured password answers");

    let out = run(
        PeerConfig {
            password: Some(Secret::from_slice(b"nope")),
            ..config()
        },
        &dir,
        vec![ServerMethod::GtcPassword],
    );
    assert_eq!(out.server, Some(Err(ServerFailure::WrongPassword)));
    assert_eq!(rejected_reason(&out).as_deref(), Some("password-wrong"));
    assert_eq!(dir.failures(), 1);
}

#[test]
fn right_code() {
    let dir = TestDirectory::new();
    let out = with_code(&dir, CODE);
    assert_eq!((out.server, out.peer), (Some(Ok(())), Ok(())));
    assert_eq!(out.prompts.len(), 1);
    assert_eq!(dir.failures(), 0);
}

#[test]
fn wrong_code() {
    let dir = TestDirectory::new();
    let out = with_code(&dir, "000000");
    assert_eq!(out.server, Some(Err(ServerFailure::WrongCode)));
    assert_eq!(rejected_reason(&out).as_deref(), Some("otp-wrong"));
    match &out.peer {
        Err(ibex_eap::PeerFailure::Rejected {
            method, message, ..
        }) => {
            assert_eq!(method, "EAP-GTC");
            assert_eq!(message.as_deref(), Some("wrong one-time code"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(dir.failures(), 1);
}

#[test]
fn replayed_code() {
    let dir = TestDirectory::new();
    assert_eq!(with_code(&dir, CODE).peer, Ok(()));
    let out = with_code(&dir, CODE);
    assert_eq!(out.server, Some(Err(ServerFailure::ReplayedCode)));
    assert_eq!(rejected_reason(&out).as_deref(), Some("otp-replayed"));
    assert_eq!(dir.failures(), 1);
}

#[test]
fn skewed_clock() {
    let dir = TestDirectory::new();
    let out = with_code(&dir, SKEWED_CODE);
    assert_eq!(out.server, Some(Err(ServerFailure::ClockSkew(-2))));
    let reason = rejected_reason(&out).unwrap();
    assert_eq!(reason, "otp-skew:-2");
    assert_eq!(ibex_eap::reason::split(&reason), ("otp-skew", Some("-2")));
    assert_eq!(dir.failures(), 1);
}

#[test]
fn not_enrolled() {
    let dir = TestDirectory::new();
    dir.with(|s| s.otp_enrolled.clear());
    let out = with_code(&dir, CODE);
    assert_eq!(out.server, Some(Err(ServerFailure::OtpNotEnrolled)));
    assert_eq!(rejected_reason(&out).as_deref(), Some("otp-not-enrolled"));
    assert_eq!(dir.failures(), 0, "not a failed verification");
}

#[test]
fn locked_out_by_the_code_check() {
    let dir = TestDirectory::new();
    dir.with(|s| s.otp_lockout = Some(Duration::from_secs(90)));
    let out = with_code(&dir, CODE);
    assert_eq!(
        out.server,
        Some(Err(ServerFailure::LockedOut(Duration::from_secs(90))))
    );
    assert_eq!(rejected_reason(&out).as_deref(), Some("locked-out:90"));
}

#[test]
fn locked_out_before_the_method() {
    let dir = TestDirectory::new();
    dir.with(|s| s.lockout = Some(Duration::from_secs(300)));
    let out = run(config(), &dir, vec![ServerMethod::GtcOtp]);
    assert_eq!(
        out.server,
        Some(Err(ServerFailure::LockedOut(Duration::from_secs(300))))
    );
    assert_eq!(rejected_reason(&out).as_deref(), Some("locked-out:300"));
    assert!(out.prompts.is_empty(), "no code asked for while locked out");
}
