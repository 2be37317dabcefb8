//! EAP-MSCHAPv2 between the Ibex peer and server.

use ibex_eap::{Answer, PeerConfig, PeerFailure, PromptKind, Secret, ServerFailure, ServerMethod};

use crate::support::*;

#[test]
fn both_sides_derive_the_same_msk() {
    let dir = TestDirectory::new();
    let mut p = peer(config());
    let mut s = server(&dir, vec![ServerMethod::MsChapV2]);
    let out = converse(&mut p, &mut s, |prompt| {
        panic!("no prompt expected: {prompt:?}")
    });
    assert_eq!(out.server, Some(Ok(())));
    assert_eq!(out.peer, Ok(()));
    let (pm, sm) = (p.msk().expect("peer MSK"), s.msk().expect("server MSK"));
    assert_eq!(pm.len(), 32);
    assert_eq!(pm.expose(), sm.expose());
    assert_ne!(pm.expose(), &[0u8; 32]);
    assert_eq!(p.method(), Some(ibex_eap::MethodType::MSCHAPV2));
    assert_eq!(dir.failures(), 0);
}

#[test]
fn password_is_prompted_when_not_configured() {
    let dir = TestDirectory::new();
    let mut p = peer(PeerConfig {
        password: None,
        ..config()
    });
    let mut s = server(&dir, vec![ServerMethod::MsChapV2]);
    let out = converse(&mut p, &mut s, |prompt| {
        assert_eq!(prompt.kind, PromptKind::Password);
        assert_eq!(prompt.method, ibex_eap::MethodType::MSCHAPV2);
        Answer::Secret(Secret::from_slice(PASSWORD.as_bytes()))
    });
    assert_eq!(out.peer, Ok(()));
    assert_eq!(out.prompts.len(), 1);
    assert_eq!(p.msk().unwrap().expose(), s.msk().unwrap().expose());
}

#[test]
fn wrong_password_is_reported_as_such() {
    let dir = TestDirectory::new();
    let out = run(
        PeerConfig {
            password: Some(Secret::from_slice(b"wrong")),
            ..config()
        },
        &dir,
        vec![ServerMethod::MsChapV2],
    );
    assert_eq!(out.server, Some(Err(ServerFailure::WrongPassword)));
    assert_eq!(
        out.peer,
        Err(PeerFailure::WrongPassword(Some(
            "wrong user name or password".into()
        )))
    );
    assert_eq!(dir.failures(), 1);
}

#[test]
fn unknown_user_fails_like_a_wrong_password_on_the_method_level() {
    let dir = TestDirectory::new();
    dir.with(|s| s.passwords.clear());
    let out = run(config(), &dir, vec![ServerMethod::MsChapV2]);
    assert_eq!(out.server, Some(Err(ServerFailure::UnknownUser)));
    assert!(matches!(out.peer, Err(PeerFailure::WrongPassword(_))));
    assert_eq!(dir.failures(), 1);
}

#[test]
fn cancel_at_the_password_prompt() {
    let dir = TestDirectory::new();
    let mut p = peer(PeerConfig {
        password: None,
        ..config()
    });
    let mut s = server(&dir, vec![ServerMethod::MsChapV2]);
    let out = converse(&mut p, &mut s, |_| Answer::Cancel);
    assert_eq!(out.peer, Err(PeerFailure::Cancelled));
    assert_eq!(out.server, None);
    assert!(p.msk().is_none());
}
