//! Secrets stay out of Debug output.

use ibex_eap::{Answer, PeerStep, Secret, ServerMethod};

use crate::support::*;

#[test]
fn debug_never_shows_the_password() {
    let cfg = config();
    let answer = Answer::Secret(Secret::from_slice(PASSWORD.as_bytes()));
    let mut p = peer(cfg.clone());
    // Mid-conversation too: after a GTC password response and an MSCHAPv2 round.
    let dir = TestDirectory::new();
    let mut s = server(
        &dir,
        vec![ServerMethod::MsChapV2, ServerMethod::GtcPassword],
    );
    let out = converse(&mut p, &mut s, |_| panic!("no prompt"));
    assert_eq!(out.peer, Ok(()));
    // A GTC response carries the password itself.
    let step = peer(config()).handle(&request(200, 6, b"Password:"));
    let msk_hex: String = p
        .msk()
        .unwrap()
        .expose()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    for text in [
        format!("{cfg:?}"),
        format!("{answer:?}"),
        format!("{p:?}"),
        format!("{s:?}"),
        format!("{step:?}"),
        format!("{:?}", p.msk()),
    ] {
        assert!(!text.contains(PASSWORD), "{text}");
        assert!(
            !text.contains(&format!("{:?}", PASSWORD.as_bytes())),
            "{text}"
        );
        assert!(!text.to_lowercase().contains(&msk_hex), "{text}");
    }
    assert!(matches!(step, PeerStep::Respond(_)));
    assert!(format!("{cfg:?}").contains("redacted"));
}

/// The IKE layer keeps these in sessions that move between threads.
#[test]
fn peer_and_server_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<ibex_eap::Peer>();
    check::<ibex_eap::Server>();
    check::<ibex_eap::PeerStep>();
    check::<ibex_eap::ServerStep>();
}
