//! The Ibex push approval method.

use std::time::Duration;

use ibex_eap::{
    Answer, PeerConfig, PeerStep, PromptKind, PushState, Secret, ServerFailure, ServerMethod,
    ServerStep,
};

use crate::support::*;

fn push(dir: &std::sync::Arc<TestDirectory>, states: &[PushState]) -> Outcome {
    dir.with(|s| s.push_states = states.iter().copied().collect());
    run(config(), dir, vec![ServerMethod::Push])
}

#[test]
fn approved() {
    let dir = TestDirectory::new();
    let out = push(&dir, &[PushState::Approved]);
    assert_eq!((out.server, out.peer), (Some(Ok(())), Ok(())));
    assert_eq!(out.pendings, 0);
    let prompt = &out.prompts[0];
    assert_eq!(prompt.kind, PromptKind::Push);
    assert_eq!(prompt.number, Some(42));
    assert_eq!(prompt.timeout, Some(Duration::from_secs(60)));
    assert_eq!(prompt.text.as_deref(), Some("Sign in to the VPN?"));
    assert!(prompt.code_alternative);
}

#[test]
fn pending_then_approved_on_poll() {
    let dir = TestDirectory::new();
    let out = push(
        &dir,
        &[PushState::Pending, PushState::Pending, PushState::Approved],
    );
    assert_eq!((out.server, out.peer), (Some(Ok(())), Ok(())));
    assert_eq!(out.pendings, 2);
    assert_eq!(dir.with(|s| s.push_checks), 3);
}

#[test]
fn pending_then_expired() {
    let dir = TestDirectory::new();
    let out = push(&dir, &[PushState::Pending, PushState::Expired]);
    assert_eq!(out.server, Some(Err(ServerFailure::PushExpired)));
    assert_eq!(rejected_reason(&out).as_deref(), Some("push-expired"));
    assert_eq!(dir.failures(), 0);
}

#[test]
fn denied() {
    let dir = TestDirectory::new();
    let out = push(&dir, &[PushState::Denied]);
    assert_eq!(out.server, Some(Err(ServerFailure::PushDenied)));
    assert_eq!(rejected_reason(&out).as_deref(), Some("push-denied"));
    assert_eq!(dir.failures(), 1);
}

#[test]
fn use_a_code_instead() {
    let dir = TestDirectory::new();
    // The push is never approved: only the code can succeed.
    dir.with(|s| s.push_states = [PushState::Pending].into_iter().collect());
    let mut p = peer(PeerConfig {
        prefer_code: true,
        ..config()
    });
    let mut s = server(&dir, vec![ServerMethod::Push]);
    let out = converse(&mut p, &mut s, |prompt| {
        assert_eq!(prompt.kind, PromptKind::Otp);
        Answer::Secret(Secret::from_slice(CODE.as_bytes()))
    });
    assert_eq!((out.server, out.peer), (Some(Ok(())), Ok(())));
    assert_eq!(out.prompts.len(), 1);
    assert_eq!(dir.with(|s| s.push_checks), 0);
}

#[test]
fn use_a_code_instead_with_a_wrong_code() {
    let dir = TestDirectory::new();
    let mut p = peer(PeerConfig {
        prefer_code: true,
        ..config()
    });
    let mut s = server(&dir, vec![ServerMethod::Push]);
    let out = converse(&mut p, &mut s, |_| Answer::Secret(Secret::from_slice(b"1")));
    assert_eq!(out.server, Some(Err(ServerFailure::WrongCode)));
    assert_eq!(rejected_reason(&out).as_deref(), Some("otp-wrong"));
}

#[test]
fn directory_cannot_push() {
    let dir = TestDirectory::new();
    dir.with(|s| s.push_error = Some("no device enrolled".into()));
    let out = run(config(), &dir, vec![ServerMethod::Push]);
    assert_eq!(
        out.server,
        Some(Err(ServerFailure::Unavailable("no device enrolled".into())))
    );
    assert_eq!(rejected_reason(&out).as_deref(), Some("method-unavailable"));
    // The directory's message is for the logs, not the peer.
    match &out.peer {
        Err(ibex_eap::PeerFailure::Rejected { message, .. }) => {
            assert!(!message.as_deref().unwrap_or("").contains("device"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn pending_server_ignores_packets_and_poll_resolves() {
    let dir = TestDirectory::new();
    dir.with(|s| {
        s.push_states = [PushState::Pending, PushState::Approved]
            .into_iter()
            .collect()
    });
    let mut p = peer(config());
    let mut s = server(&dir, vec![ServerMethod::Push]);
    let mut rng = rng();
    let req = expect_request(s.start(&mut rng));
    let PeerStep::Wait { response, .. } = p.handle(&req) else {
        panic!("expected Wait")
    };
    assert!(matches!(s.handle(&response, &mut rng), ServerStep::Pending));
    // A retransmitted response while pending does not re-check or restart.
    assert!(matches!(
        s.handle(&response, &mut rng),
        ServerStep::Discard(_)
    ));
    let ServerStep::Success(ok) = s.poll(&mut rng) else {
        panic!("expected Success")
    };
    assert!(matches!(p.handle(&ok), PeerStep::Success));
    assert!(matches!(s.poll(&mut rng), ServerStep::Discard(_)));
    assert!(p.msk().is_none() && s.msk().is_none(), "push makes no key");
}
