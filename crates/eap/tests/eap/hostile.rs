//! Hostile input: random bytes and mutated valid packets never make the
//! peer or the server panic, and nothing counts once a conversation ended.

use ibex_eap::{
    Answer, Peer, PeerConfig, PeerStep, PushState, Secret, Server, ServerMethod, ServerStep,
    TlsVersions,
};
use proptest::prelude::*;

use crate::support::*;
use crate::tls::{client_tls, server_tls, tls_server, SMALL};

/// Valid requests of every kind a server sends.
fn server_requests() -> Vec<Vec<u8>> {
    let mut body = vec![16];
    body.extend_from_slice(&[7; 16]);
    body.extend_from_slice(b"ibex");
    vec![
        request(1, 1, b""),
        request(2, 2, b"[otp-skew:-1] clock"),
        request(3, 4, &[4, 1, 2, 3, 4]),
        request(4, 6, b"[otp] code"),
        request(5, 26, &mschap(1, 5, &body)),
        request(
            6,
            26,
            &mschap(3, 5, b"S=407A5589115FD0D6209F510FE9C04566932CDA56 M=ok"),
        ),
        request(7, 26, &mschap(4, 5, b"E=691 R=0 V=3 M=no")),
        request(
            8,
            255,
            &ibex_msg(
                1,
                &[(1, &[0, 0, 0, 9]), (2, &[0, 30]), (3, b"ok?"), (4, &[1])],
            ),
        ),
        request(
            9,
            255,
            &ibex_msg(
                2,
                &[
                    (1, &[3; 32]),
                    (2, b"vpn.example.com"),
                    (4, b"cred"),
                    (5, &[2]),
                ],
            ),
        ),
        request(10, 254, &[0, 0, 0, 0, 0, 0, 3]),
        success(10),
        failure(10),
        // EAP-TLS: Start, acknowledgement, fragments, garbage records.
        request(11, 13, &[0x20]),
        request(12, 13, &[0x00]),
        request(13, 13, &[0xc0, 0, 0, 0, 9, 0x16, 3, 3]),
        request(14, 13, &[0x40, 0x16, 3, 3, 0, 40]),
        request(15, 13, &[0x00, 0x16, 3, 3, 0, 2, 2, 0]),
        request(16, 13, &[0x80, 0xff, 0xff, 0xff, 0xff, 0x17]),
        request(17, 13, &[0x00, 0x17, 3, 3, 0, 1, 0]),
        request(18, 13, &[0x00, 0x15, 3, 3, 0, 2, 2, 40]),
    ]
}

/// Valid responses of every kind a peer sends.
fn peer_responses() -> Vec<Vec<u8>> {
    let mut body = vec![49];
    body.extend_from_slice(&[1; 49]);
    body.extend_from_slice(b"alice");
    vec![
        response(1, 2, b""),
        response(1, 3, &[26, 6]),
        response(1, 6, b"123456"),
        response(1, 26, &mschap(2, 1, &body)),
        response(1, 26, &[3]),
        response(1, 26, &[4]),
        response(1, 255, &ibex_msg(1, &[(1, &[0])])),
        response(
            1,
            255,
            &ibex_msg(2, &[(1, b"c"), (2, b"a"), (3, b"{}"), (4, b"s")]),
        ),
        response(1, 13, &[0x00]),
        response(1, 13, &[0xc0, 0, 0, 0, 9, 0x16, 3, 1]),
        response(1, 13, &[0x00, 0x16, 3, 1, 0, 4, 1, 0, 0, 0]),
        response(1, 13, &[0x80, 0xff, 0xff, 0xff, 0xff, 0x16]),
        response(1, 13, &[0x00, 0x15, 3, 3, 0, 2, 2, 40]),
    ]
}

fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8)], cut: Option<usize>, tail: &[u8]) -> Vec<u8> {
    for (pos, value) in edits {
        if !bytes.is_empty() {
            let i = pos % bytes.len();
            bytes[i] ^= value;
        }
    }
    if let Some(cut) = cut {
        bytes.truncate(cut % (bytes.len() + 1));
    }
    bytes.extend_from_slice(tail);
    // Keep the EAP length consistent half of the time so mutations reach the methods.
    if bytes.len() >= 4 && tail.len().is_multiple_of(2) {
        let len = bytes.len().min(usize::from(u16::MAX)) as u16;
        bytes[2..4].copy_from_slice(&len.to_be_bytes());
    }
    bytes
}

fn fresh_peer(allow_md5: bool) -> Peer {
    peer(PeerConfig {
        allow_md5,
        tls: Some(client_tls(SMALL)),
        ..config()
    })
}

/// Servers waiting in each stage, with the identifier each expects: the
/// first request of every method, then deeper stages reached with a real
/// peer (MSCHAPv2 success and failure, a pending push, a failure
/// notification).
fn started_servers() -> Vec<(Server, u8)> {
    let dir = TestDirectory::new();
    dir.with(|s| s.push_states = [PushState::Pending].into_iter().collect());
    let mut out = Vec::new();
    for m in [
        ServerMethod::MsChapV2,
        ServerMethod::GtcOtp,
        ServerMethod::GtcPassword,
        ServerMethod::Push,
        ServerMethod::Fido2,
    ] {
        let mut s = server(&dir, vec![m]);
        let id = decode(&expect_request(s.start(&mut rng()))).identifier;
        out.push((s, id));
    }
    let deeper = [
        (ServerMethod::MsChapV2, config()),
        (
            ServerMethod::MsChapV2,
            PeerConfig {
                password: Some(Secret::from_slice(b"wrong")),
                ..config()
            },
        ),
        (ServerMethod::Push, config()),
        (
            ServerMethod::GtcPassword,
            PeerConfig {
                password: Some(Secret::from_slice(b"wrong")),
                ..config()
            },
        ),
    ];
    // EAP-TLS: waiting for the ClientHello, for its next fragment, and for
    // the acknowledgement of the server's first fragment.
    for rounds in 0..3 {
        let mut s = tls_server(
            &dir,
            USER,
            vec![ServerMethod::Tls],
            server_tls(TlsVersions::All, SMALL),
        );
        let mut p = fresh_peer(false);
        let mut req = expect_request(s.start(&mut rng()));
        for _ in 0..rounds {
            let resp = expect_respond(p.handle(&req));
            req = expect_request(s.handle(&resp, &mut rng()));
        }
        if rounds == 2 {
            // Acknowledge the rest of the ClientHello until the server answers.
            while decode(&req).data == [0] {
                let resp = expect_respond(p.handle(&req));
                req = expect_request(s.handle(&resp, &mut rng()));
            }
        }
        out.push((s, decode(&req).identifier));
    }
    for (m, cfg) in deeper {
        let mut s = server(&dir, vec![m]);
        let mut p = peer(cfg);
        let req = expect_request(s.start(&mut rng()));
        let resp = match p.handle(&req) {
            PeerStep::Respond(r) | PeerStep::Wait { response: r, .. } => r,
            other => panic!("{other:?}"),
        };
        let id = match s.handle(&resp, &mut rng()) {
            ServerStep::Request(r) => decode(&r).identifier,
            ServerStep::Pending => decode(&resp).identifier,
            other => panic!("{other:?}"),
        };
        out.push((s, id));
    }
    out
}

/// Feeds one packet; `done` tracks whether the peer already reported the end.
fn feed_peer(p: &mut Peer, packet: &[u8], done: &mut bool) {
    let step = p.handle(packet);
    if *done {
        assert!(
            matches!(step, PeerStep::Discard(_)),
            "after the end: {step:?}"
        );
        return;
    }
    let step = match step {
        PeerStep::Prompt(_) => p.answer(Answer::Secret(Secret::from_slice(b"x"))),
        other => other,
    };
    *done = matches!(step, PeerStep::Success | PeerStep::Failure(_));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn peer_survives_random_bytes(packets in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..80), 1..8)) {
        let mut p = fresh_peer(true);
        let mut done = false;
        for packet in &packets {
            feed_peer(&mut p, packet, &mut done);
        }
    }

    #[test]
    fn peer_survives_mutated_requests(
        which in prop::collection::vec(0usize..20, 1..8),
        edits in prop::collection::vec((any::<usize>(), 1u8..), 0..4),
        cut in prop::option::of(any::<usize>()),
        tail in prop::collection::vec(any::<u8>(), 0..16),
        allow_md5 in any::<bool>(),
    ) {
        let valid = server_requests();
        let mut p = fresh_peer(allow_md5);
        let mut done = false;
        for w in which {
            let packet = mutate(valid[w % valid.len()].clone(), &edits, cut, &tail);
            feed_peer(&mut p, &packet, &mut done);
        }
    }

    #[test]
    fn server_survives_random_and_mutated_responses(
        which in 0usize..13,
        random in prop::collection::vec(any::<u8>(), 0..80),
        edits in prop::collection::vec((any::<usize>(), 1u8..), 0..4),
        cut in prop::option::of(any::<usize>()),
        tail in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        let valid = peer_responses();
        for (mut s, id) in started_servers() {
            let mut packet = valid[which % valid.len()].clone();
            packet[1] = id;
            let packet = mutate(packet, &edits, cut, &tail);
            let mut rng = rng();
            let _ = s.handle(&random, &mut rng);
            let _ = s.handle(&packet, &mut rng);
            let _ = s.poll(&mut rng);
            let _ = s.handle(&packet, &mut rng);
        }
    }
}
