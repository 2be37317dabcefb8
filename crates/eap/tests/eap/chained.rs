//! Several methods in one conversation (FortiGate style: MSCHAPv2 then a
//! one-time code over GTC).

use std::time::Duration;

use ibex_eap::{Answer, PromptKind, Secret, ServerFailure, ServerMethod};

use crate::support::*;

#[test]
fn mschapv2_then_otp() {
    let dir = TestDirectory::new();
    let mut p = peer(config());
    let mut s = server(&dir, vec![ServerMethod::MsChapV2, ServerMethod::GtcOtp]);
    let out = converse(&mut p, &mut s, |prompt| {
        assert_eq!(prompt.kind, PromptKind::Otp);
        Answer::Secret(Secret::from_slice(CODE.as_bytes()))
    });
    assert_eq!((out.server, out.peer), (Some(Ok(())), Ok(())));
    assert_eq!(out.prompts.len(), 1);
    // The MSK of MSCHAPv2 survives the GTC step, on both sides.
    assert_eq!(p.msk().unwrap().expose(), s.msk().unwrap().expose());
    assert_eq!(p.method(), Some(ibex_eap::MethodType::GTC));
}

#[test]
fn mschapv2_then_wrong_otp() {
    let dir = TestDirectory::new();
    let mut p = peer(config());
    let mut s = server(&dir, vec![ServerMethod::MsChapV2, ServerMethod::GtcOtp]);
    let out = converse(&mut p, &mut s, |_| {
        Answer::Secret(Secret::from_slice(b"999999"))
    });
    assert_eq!(out.server, Some(Err(ServerFailure::WrongCode)));
    assert_eq!(rejected_reason(&out).as_deref(), Some("otp-wrong"));
}

#[test]
fn lockout_is_checked_before_each_method() {
    let dir = TestDirectory::new();
    let mut p = peer(config());
    let mut s = server(&dir, vec![ServerMethod::GtcPassword, ServerMethod::GtcOtp]);
    let mut rng = rng();
    let req = expect_request(s.start(&mut rng));
    let resp = expect_respond(p.handle(&req));
    // Locked out (by another session) between the two methods.
    dir.with(|s| s.lockout = Some(Duration::from_secs(60)));
    let note = expect_request(s.handle(&resp, &mut rng));
    let note = decode(&note);
    assert_eq!(note.method, Some(ibex_eap::MethodType::NOTIFICATION));
    assert!(note.data.starts_with(b"[locked-out:60] "));
}
