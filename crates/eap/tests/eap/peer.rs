//! The peer against hand-written server messages (third-party servers,
//! impostors, retransmissions).

use ibex_eap::{
    Answer, Code, MethodType, Peer, PeerConfig, PeerFailure, PeerStep, PromptKind, Secret,
};

use crate::support::*;

#[test]
fn identity_and_third_party_notification() {
    let mut p = peer(config());
    let r = decode(&expect_respond(p.handle(&request(1, 1, b"hello"))));
    assert_eq!(
        (r.code, r.identifier, r.method),
        (Code::Response, 1, Some(MethodType::IDENTITY))
    );
    assert_eq!(r.data, USER.as_bytes());
    let r = decode(&expect_respond(p.handle(&request(
        2,
        2,
        b"Login failed:\r\n account disabled",
    ))));
    assert_eq!(
        (r.identifier, r.method, r.data.len()),
        (2, Some(MethodType::NOTIFICATION), 0)
    );
    match p.handle(&failure(2)) {
        PeerStep::Failure(PeerFailure::Rejected {
            reason, message, ..
        }) => {
            assert_eq!(reason, None);
            assert_eq!(message.as_deref(), Some("Login failed: account disabled"));
        }
        other => panic!("{other:?}"),
    }
    // Nothing counts after the end.
    assert!(matches!(p.handle(&success(3)), PeerStep::Discard(_)));
}

#[test]
fn ibex_notification_token_is_parsed() {
    let mut p = peer(config());
    expect_respond(p.handle(&request(5, 2, b"[locked-out:300] too many failed attempts")));
    match p.handle(&failure(5)) {
        PeerStep::Failure(PeerFailure::Rejected {
            method,
            reason,
            message,
        }) => {
            assert_eq!(method, "EAP");
            assert_eq!(reason.as_deref(), Some("locked-out:300"));
            assert_eq!(message.as_deref(), Some("too many failed attempts"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn md5_is_refused_with_a_nak_unless_allowed() {
    let mut p = peer(config());
    let r = decode(&expect_respond(p.handle(&request(7, 4, &[4, 1, 2, 3, 4]))));
    assert_eq!(r.method, Some(MethodType::NAK));
    assert_eq!(r.data, vec![26, 6, 255]);
    assert_eq!(
        match p.handle(&failure(7)) {
            PeerStep::Failure(f) => f,
            other => panic!("{other:?}"),
        },
        PeerFailure::MethodNotAllowed("EAP-MD5".into())
    );
}

#[test]
fn md5_answered_when_allowed() {
    let mut p = peer(PeerConfig {
        allow_md5: true,
        ..config()
    });
    let challenge = [9u8; 16];
    let mut data = vec![16];
    data.extend_from_slice(&challenge);
    let r = decode(&expect_respond(p.handle(&request(3, 4, &data))));
    assert_eq!(r.method, Some(MethodType::MD5));
    use md5::{Digest, Md5};
    let mut input = vec![3u8];
    input.extend_from_slice(PASSWORD.as_bytes());
    input.extend_from_slice(&challenge);
    assert_eq!(r.data[0], 16);
    assert_eq!(&r.data[1..17], Md5::digest(&input).as_slice());
    assert_eq!(&r.data[17..], USER.as_bytes());
    assert!(matches!(p.handle(&success(3)), PeerStep::Success));
}

#[test]
fn unknown_methods_get_a_nak_listing_what_we_do() {
    let mut p = peer(PeerConfig {
        allow_md5: true,
        ..config()
    });
    let r = decode(&expect_respond(p.handle(&request(1, 13, &[0x20]))));
    assert_eq!(
        (r.method, r.data.clone()),
        (Some(MethodType::NAK), vec![26, 6, 255, 4])
    );
    // Another vendor's experimental method: type 255 is not offered back.
    let r = decode(&expect_respond(p.handle(&request(2, 255, b"ACME\x01"))));
    assert_eq!(
        (r.method, r.data.clone()),
        (Some(MethodType::NAK), vec![26, 6, 4])
    );
    // An expanded request gets an Expanded Nak.
    let r = decode(&expect_respond(p.handle(&request(
        3,
        254,
        &[0, 0, 0x89, 0, 0, 0, 1],
    ))));
    assert_eq!(r.method, Some(MethodType::EXPANDED));
    assert_eq!(&r.data[..7], &[0, 0, 0, 0, 0, 0, 3]);
    assert_eq!(&r.data[7..15], &[254, 0, 0, 0, 0, 0, 0, 26]);
    assert_eq!(r.data.len(), 7 + 8 * 4);
}

#[test]
fn retransmitted_request_gets_the_same_response_without_a_new_prompt() {
    let mut p = peer(config());
    let req = request(9, 6, b"Enter your token code");
    let PeerStep::Prompt(prompt) = p.handle(&req) else {
        panic!("expected a prompt")
    };
    assert_eq!(prompt.kind, PromptKind::Otp);
    assert_eq!(prompt.text.as_deref(), Some("Enter your token code"));
    // Retransmitted while the person is still typing: no second prompt.
    assert!(matches!(p.handle(&req), PeerStep::Discard(_)));
    let first = expect_respond(p.answer(Answer::Secret(Secret::from_slice(b"777000"))));
    let r = decode(&first);
    assert_eq!(
        (r.identifier, r.method, r.data.as_slice()),
        (9, Some(MethodType::GTC), &b"777000"[..])
    );
    assert_eq!(expect_respond(p.handle(&req)), first);
    // Same identifier, different content: a new request, a new prompt.
    assert!(matches!(
        p.handle(&request(9, 6, b"Next code")),
        PeerStep::Prompt(_)
    ));
}

#[test]
fn premature_success_is_discarded() {
    let mut p = peer(config());
    assert!(matches!(p.handle(&success(1)), PeerStep::Discard(_)));
    expect_respond(p.handle(&request(1, 1, b"")));
    assert!(matches!(p.handle(&success(1)), PeerStep::Discard(_)));
    // While a prompt is open the method is not complete either.
    assert!(matches!(
        p.handle(&request(2, 6, b"Code:")),
        PeerStep::Prompt(_)
    ));
    assert!(matches!(p.handle(&success(2)), PeerStep::Discard(_)));
    expect_respond(p.answer(Answer::Secret(Secret::from_slice(b"1"))));
    assert!(matches!(p.handle(&success(2)), PeerStep::Success));
    assert!(p.msk().is_none());
}

#[test]
fn gtc_password_challenge_uses_the_configured_password() {
    let mut p = peer(config());
    let r = decode(&expect_respond(p.handle(&request(4, 6, b"Password:"))));
    assert_eq!(r.data, PASSWORD.as_bytes());
    let mut p = peer(PeerConfig {
        password: None,
        ..config()
    });
    let PeerStep::Prompt(prompt) = p.handle(&request(4, 6, b"Password:")) else {
        panic!()
    };
    assert_eq!(prompt.kind, PromptKind::Password);
}

#[test]
fn answers_out_of_turn_are_discarded() {
    let mut p = peer(config());
    assert!(matches!(
        p.answer(Answer::Secret(Secret::from_slice(b"x"))),
        PeerStep::Discard(_)
    ));
    assert!(matches!(
        p.handle(&request(1, 6, b"Code:")),
        PeerStep::Prompt(_)
    ));
    let wrong = Answer::Fido(ibex_eap::FidoAssertion {
        credential_id: vec![1],
        authenticator_data: vec![1],
        client_data_json: vec![1],
        signature: vec![1],
        user_handle: None,
    });
    assert!(matches!(p.answer(wrong), PeerStep::Discard(_)));
    // The prompt is still open.
    expect_respond(p.answer(Answer::Secret(Secret::from_slice(b"42"))));
}

/// RFC 2759 9.2 run through the peer: with the RFC's challenges the peer
/// sends the RFC's NT-Response, accepts the RFC's authenticator response and
/// derives the RFC 3079 keys as its MSK.
#[test]
fn rfc2759_vector_through_the_peer() {
    let config = PeerConfig {
        identity: "User".into(),
        password: Some(Secret::from_slice(b"clientPass")),
        ..PeerConfig::default()
    };
    let mut p = Peer::with_random(
        config,
        vec![],
        Box::new(FixedRng(hex("21402324255E262A28295F2B3A337C7E"))),
    );
    let mut body = vec![16];
    body.extend_from_slice(&hex("5B5D7C7D7B3F2F3E3C2C602132262628"));
    body.extend_from_slice(b"server");
    let r = decode(&expect_respond(p.handle(&request(
        10,
        26,
        &mschap(1, 10, &body),
    ))));
    assert_eq!(r.method, Some(MethodType::MSCHAPV2));
    let d = &r.data;
    assert_eq!(
        (d[0], d[1], u16::from_be_bytes([d[2], d[3]]) as usize, d[4]),
        (2, 10, d.len(), 49)
    );
    assert_eq!(
        &d[5..21],
        hex("21402324255E262A28295F2B3A337C7E").as_slice()
    );
    assert_eq!(&d[21..29], &[0; 8]);
    assert_eq!(
        &d[29..53],
        hex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF").as_slice()
    );
    assert_eq!(&d[54..], b"User");
    assert!(p.msk().is_none());
    let ok = mschap(
        3,
        10,
        b"S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Welcome",
    );
    let r = decode(&expect_respond(p.handle(&request(11, 26, &ok))));
    assert_eq!(r.data, vec![3]);
    assert!(matches!(p.handle(&success(11)), PeerStep::Success));
    assert_eq!(
        p.msk().unwrap().expose(),
        hex("D5F0E9521E3EA9589645E86051C822268B7CDC149B993A1BA118CB153F56DCCB").as_slice()
    );
}

fn answered_challenge(config: PeerConfig) -> Peer {
    let mut p = peer(config);
    let mut body = vec![16];
    body.extend_from_slice(&[0x11; 16]);
    expect_respond(p.handle(&request(1, 26, &mschap(1, 1, &body))));
    p
}

#[test]
fn impostor_server_is_caught_by_the_authenticator_response() {
    let mut p = answered_challenge(config());
    let forged = mschap(
        3,
        1,
        b"S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Welcome",
    );
    assert!(matches!(
        p.handle(&request(2, 26, &forged)),
        PeerStep::Failure(PeerFailure::ServerNotAuthenticated)
    ));
    assert!(p.msk().is_none());
    assert!(matches!(p.handle(&success(2)), PeerStep::Discard(_)));

    // A Success request without any S= fails the same way.
    let mut p = answered_challenge(config());
    assert!(matches!(
        p.handle(&request(2, 26, &mschap(3, 1, b"M=Welcome"))),
        PeerStep::Failure(PeerFailure::ServerNotAuthenticated)
    ));

    // EAP-Success without the MSCHAPv2 success request does not count.
    let mut p = answered_challenge(config());
    assert!(matches!(p.handle(&success(1)), PeerStep::Discard(_)));
}

#[test]
fn mschap_failure_codes() {
    for (text, expected) in [
        (
            &b"E=691 R=0 C=00000000000000000000000000000000 V=3 M=bad"[..],
            PeerFailure::WrongPassword(Some("bad".into())),
        ),
        (b"E=648 R=0 V=3", PeerFailure::PasswordExpired),
        (b"E=646 R=0 V=3", PeerFailure::AccountRestricted(646)),
        (b"E=647 R=0 V=3", PeerFailure::AccountRestricted(647)),
        (b"E=649 R=0 V=3", PeerFailure::AccountRestricted(649)),
        (
            b"E=709 R=0 V=3",
            PeerFailure::Rejected {
                method: "EAP-MSCHAPv2".into(),
                reason: None,
                message: Some("MSCHAPv2 error 709".into()),
            },
        ),
    ] {
        let mut p = answered_challenge(config());
        let r = decode(&expect_respond(p.handle(&request(
            2,
            26,
            &mschap(4, 1, text),
        ))));
        assert_eq!(r.data, vec![4], "failure response");
        // A success now would be a lie.
        assert!(matches!(p.handle(&success(2)), PeerStep::Discard(_)));
        match p.handle(&failure(2)) {
            PeerStep::Failure(f) => assert_eq!(f, expected),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn push_request_shows_the_number_or_asks_for_a_code() {
    let req = request(
        3,
        255,
        &ibex_msg(
            1,
            &[
                (1, &77u32.to_be_bytes()),
                (2, &30u16.to_be_bytes()),
                (3, b"Approve?\n"),
                (4, &[1]),
            ],
        ),
    );
    let mut p = peer(config());
    match p.handle(&req) {
        PeerStep::Wait { response, prompt } => {
            assert_eq!(prompt.kind, PromptKind::Push);
            assert_eq!(prompt.number, Some(77));
            assert_eq!(prompt.timeout, Some(std::time::Duration::from_secs(30)));
            assert_eq!(prompt.text.as_deref(), Some("Approve?"));
            assert!(prompt.code_alternative);
            assert_eq!(decode(&response).data, ibex_msg(1, &[(1, &[0])]));
        }
        other => panic!("{other:?}"),
    }
    let mut p = peer(PeerConfig {
        prefer_code: true,
        ..config()
    });
    let r = decode(&expect_respond(p.handle(&req)));
    assert_eq!(r.data, ibex_msg(1, &[(1, &[1])]));
}

#[test]
fn fido_request_with_a_foreign_origin_is_discarded() {
    let mut p = peer(config());
    let req = ibex_msg(
        2,
        &[
            (1, &[5; 32]),
            (2, b"vpn.example.com"),
            (3, b"https://evil.example"),
        ],
    );
    assert!(matches!(
        p.handle(&request(1, 255, &req)),
        PeerStep::Discard(_)
    ));
    let missing_nonce = ibex_msg(2, &[(2, b"vpn.example.com")]);
    match p.handle(&request(2, 255, &missing_nonce)) {
        PeerStep::Discard(why) => assert!(why.contains("nonce"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn cancel_ends_the_conversation() {
    let mut p = peer(config());
    assert!(matches!(
        p.handle(&request(1, 6, b"Code:")),
        PeerStep::Prompt(_)
    ));
    assert!(matches!(
        p.answer(Answer::Cancel),
        PeerStep::Failure(PeerFailure::Cancelled)
    ));
    assert!(matches!(p.answer(Answer::Cancel), PeerStep::Discard(_)));
    assert!(matches!(
        p.handle(&request(2, 6, b"Code:")),
        PeerStep::Discard(_)
    ));
}
