//! The server against hand-written peer messages.

use std::time::Duration;

use ibex_eap::{Code, MethodType, ServerFailure, ServerMethod, ServerStep};

use crate::support::*;

#[test]
fn identifiers_increment_and_mismatches_are_discarded() {
    let dir = TestDirectory::new();
    let mut s = server(
        &dir,
        vec![ServerMethod::GtcPassword, ServerMethod::GtcPassword],
    );
    let mut rng = rng();
    assert!(matches!(
        s.handle(&response(0, 6, b"x"), &mut rng),
        ServerStep::Discard(_)
    ));
    let first = decode(&expect_request(s.start(&mut rng)));
    assert_eq!(
        (first.code, first.method),
        (Code::Request, Some(MethodType::GTC))
    );
    assert_eq!(first.data, b"Password:");
    assert!(matches!(s.start(&mut rng), ServerStep::Discard(_)));
    let id = first.identifier;
    // Wrong identifier, wrong type, a request, garbage: all discarded.
    assert!(matches!(
        s.handle(
            &response(id.wrapping_add(1), 6, PASSWORD.as_bytes()),
            &mut rng
        ),
        ServerStep::Discard(_)
    ));
    assert!(matches!(
        s.handle(&response(id, 26, PASSWORD.as_bytes()), &mut rng),
        ServerStep::Discard(_)
    ));
    assert!(matches!(
        s.handle(&request(id, 6, PASSWORD.as_bytes()), &mut rng),
        ServerStep::Discard(_)
    ));
    assert!(matches!(
        s.handle(&[2, id, 0], &mut rng),
        ServerStep::Discard(_)
    ));
    assert_eq!(dir.failures(), 0);
    let second = decode(&expect_request(
        s.handle(&response(id, 6, PASSWORD.as_bytes()), &mut rng),
    ));
    assert_eq!(second.identifier, id.wrapping_add(1));
    let ServerStep::Success(ok) = s.handle(
        &response(second.identifier, 6, PASSWORD.as_bytes()),
        &mut rng,
    ) else {
        panic!("expected Success")
    };
    let ok = decode(&ok);
    assert_eq!((ok.code, ok.identifier), (Code::Success, second.identifier));
    assert!(matches!(
        s.handle(&response(second.identifier, 6, b"x"), &mut rng),
        ServerStep::Discard(_)
    ));
}

/// Runs the failure tail: notification request, any response, EAP-Failure.
fn failure_tail(s: &mut ibex_eap::Server, note: Vec<u8>) -> (String, ServerFailure) {
    let mut rng = rng();
    let note = decode(&note);
    assert_eq!(note.method, Some(MethodType::NOTIFICATION));
    let ServerStep::Failure(bytes, failure) =
        s.handle(&response(note.identifier, 2, b""), &mut rng)
    else {
        panic!("expected Failure")
    };
    let packet = decode(&bytes);
    assert_eq!(
        (packet.code, packet.identifier),
        (Code::Failure, note.identifier)
    );
    (String::from_utf8(note.data).unwrap(), failure)
}

#[test]
fn nak_means_method_refused() {
    let dir = TestDirectory::new();
    let mut s = server(&dir, vec![ServerMethod::MsChapV2]);
    let mut rng = rng();
    let req = decode(&expect_request(s.start(&mut rng)));
    let note = expect_request(s.handle(&response(req.identifier, 3, &[6]), &mut rng));
    let (text, failure) = failure_tail(&mut s, note);
    assert_eq!(failure, ServerFailure::MethodRefused);
    assert!(text.starts_with("[method-refused] "), "{text}");
}

#[test]
fn md5_and_empty_method_lists_are_unavailable() {
    let dir = TestDirectory::new();
    for methods in [vec![ServerMethod::Md5], vec![]] {
        let mut s = server(&dir, methods);
        let note = expect_request(s.start(&mut rng()));
        let (text, failure) = failure_tail(&mut s, note);
        assert!(matches!(failure, ServerFailure::Unavailable(_)));
        assert!(text.starts_with("[method-unavailable] "), "{text}");
        assert!(s.msk().is_none());
    }
}

#[test]
fn locked_out_user_gets_no_challenge() {
    let dir = TestDirectory::new();
    dir.with(|s| s.lockout = Some(Duration::from_secs(120)));
    let mut s = server(&dir, vec![ServerMethod::MsChapV2]);
    let note = expect_request(s.start(&mut rng()));
    let (text, failure) = failure_tail(&mut s, note);
    assert_eq!(failure, ServerFailure::LockedOut(Duration::from_secs(120)));
    assert!(text.starts_with("[locked-out:120] "), "{text}");
    assert_eq!(dir.failures(), 0);
}

#[test]
fn malformed_mschap_response_fails() {
    let dir = TestDirectory::new();
    let mut s = server(&dir, vec![ServerMethod::MsChapV2]);
    let mut rng = rng();
    let req = decode(&expect_request(s.start(&mut rng)));
    let ms_id = req.data[1];
    let short = mschap(2, ms_id, &[49, 1, 2, 3]);
    let note = expect_request(s.handle(&response(req.identifier, 26, &short), &mut rng));
    let (text, failure) = failure_tail(&mut s, note);
    assert!(matches!(failure, ServerFailure::Malformed(_)));
    assert!(text.starts_with("[malformed] "));
}

#[test]
fn wrong_password_counts_even_if_the_peer_goes_silent() {
    let dir = TestDirectory::new();
    let mut s = server(&dir, vec![ServerMethod::MsChapV2]);
    let mut rng = rng();
    let req = decode(&expect_request(s.start(&mut rng)));
    let mut body = vec![49];
    body.extend_from_slice(&[0u8; 49]);
    body.extend_from_slice(USER.as_bytes());
    let resp = response(req.identifier, 26, &mschap(2, req.data[1], &body));
    let fail = decode(&expect_request(s.handle(&resp, &mut rng)));
    assert_eq!(fail.data[0], 4, "MSCHAPv2 failure request");
    let text = String::from_utf8_lossy(&fail.data[4..]).to_string();
    assert!(text.starts_with("E=691 R=0 C="), "{text}");
    assert!(
        text.ends_with(" V=3 M=wrong user name or password"),
        "{text}"
    );
    // Recorded at verification, before the peer acknowledges anything.
    assert_eq!(dir.failures(), 1);
}

#[test]
fn mschap_challenge_format() {
    let dir = TestDirectory::new();
    let mut s = server(&dir, vec![ServerMethod::MsChapV2]);
    let req = decode(&expect_request(s.start(&mut rng())));
    let d = &req.data;
    assert_eq!(d[0], 1, "Challenge opcode");
    assert_eq!(
        d[1], req.identifier,
        "MS-CHAPv2-ID follows the EAP identifier"
    );
    assert_eq!(u16::from_be_bytes([d[2], d[3]]) as usize, d.len());
    assert_eq!(d[4], 16);
    assert_eq!(&d[21..], b"ibex");
}

/// An unknown account looks exactly like a wrong password to the peer (no
/// account enumeration); only the server's own result says which.
#[test]
fn unknown_user_is_reported_as_a_wrong_password() {
    let dir = TestDirectory::new();
    dir.with(|s| s.passwords.clear());
    let unknown = run(config(), &dir, vec![ServerMethod::MsChapV2]);
    assert_eq!(unknown.server, Some(Err(ServerFailure::UnknownUser)));
    let dir = TestDirectory::new();
    dir.with(|s| {
        s.passwords.insert(USER.into(), "another password".into());
    });
    let wrong = run(config(), &dir, vec![ServerMethod::MsChapV2]);
    assert!(matches!(
        wrong.server,
        Some(Err(ServerFailure::WrongPassword))
    ));
    assert_eq!(
        format!("{:?}", unknown.peer),
        format!("{:?}", wrong.peer),
        "the peer cannot tell the two apart"
    );
}
