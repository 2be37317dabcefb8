//! The Ibex FIDO2 method and its binding to the IKE SA.

use ibex_eap::{Answer, Peer, PromptKind, ServerFailure, ServerMethod};

use crate::support::*;

#[test]
fn assertion_over_the_bound_challenge_is_accepted() {
    let dir = TestDirectory::new();
    let mut p = peer(config());
    let mut s = server(&dir, vec![ServerMethod::Fido2]);
    let out = converse(&mut p, &mut s, |prompt| {
        assert_eq!(prompt.kind, PromptKind::Fido2);
        let req = prompt.fido.as_ref().unwrap();
        assert_eq!(req.rp_id, RP_ID);
        assert_eq!(req.origin, format!("https://{RP_ID}"));
        assert_eq!(req.allow_credentials, vec![CREDENTIAL.to_vec()]);
        assert_eq!(req.user_verification, "required");
        assert_eq!(req.challenge.len(), 32);
        Answer::Fido(fake_security_key(req))
    });
    assert_eq!((out.server, out.peer), (Some(Ok(())), Ok(())));
    assert_eq!(dir.failures(), 0);
}

/// A man in the middle terminates the client's IKE SA and runs its own to
/// the gateway: the two SAs have different channel bindings, so the
/// challenge the client's key signs is not the one the gateway checks.
#[test]
fn relayed_assertion_from_another_ike_sa_is_rejected() {
    let dir = TestDirectory::new();
    let mut p = Peer::with_random(
        config(),
        b"client <-> attacker SA".to_vec(),
        Box::new(TestRng(1)),
    );
    let mut s = server(&dir, vec![ServerMethod::Fido2]);
    let out = converse(&mut p, &mut s, |prompt| {
        Answer::Fido(fake_security_key(prompt.fido.as_ref().unwrap()))
    });
    assert_eq!(
        out.server,
        Some(Err(ServerFailure::FidoFailed(
            "client data does not sign the bound challenge".into()
        )))
    );
    assert_eq!(rejected_reason(&out).as_deref(), Some("fido-failed"));
    assert_eq!(dir.failures(), 1);
}

#[test]
fn tampered_signature_is_rejected() {
    let dir = TestDirectory::new();
    let mut p = peer(config());
    let mut s = server(&dir, vec![ServerMethod::Fido2]);
    let out = converse(&mut p, &mut s, |prompt| {
        let mut a = fake_security_key(prompt.fido.as_ref().unwrap());
        a.signature[0] ^= 1;
        Answer::Fido(a)
    });
    assert_eq!(
        out.server,
        Some(Err(ServerFailure::FidoFailed("bad signature".into())))
    );
}

#[test]
fn cancel_at_the_security_key() {
    let dir = TestDirectory::new();
    let mut p = peer(config());
    let mut s = server(&dir, vec![ServerMethod::Fido2]);
    let out = converse(&mut p, &mut s, |_| Answer::Cancel);
    assert_eq!(out.peer, Err(ibex_eap::PeerFailure::Cancelled));
    assert_eq!(out.server, None);
}

#[test]
fn directory_must_keep_the_bound_challenge() {
    let dir = TestDirectory::new();
    dir.with(|s| s.fido_wrong_challenge = true);
    let out = run(config(), &dir, vec![ServerMethod::Fido2]);
    assert!(matches!(
        out.server,
        Some(Err(ServerFailure::Unavailable(_)))
    ));
    assert!(out.prompts.is_empty());
}
