//! The wire format: exact lines for a few messages (so it cannot drift
//! unnoticed) and a serde roundtrip of every message kind.

use ibex_ipc::{
    ClientMessage, CloseReason, ConnectCredential, ConnectionState, Counters, ErrorCode, Event,
    Failure, FailureKind, FidoAssertion, FidoRequest, LogLevel, LogLine, Message, ProfileRef,
    Prompt, PromptKind, Request, Response, SecretString, ServerMessage, Status, UserVerification,
};
use ibex_profile::Profile;

const PROFILE: &str = include_str!("../../../../profiles/psk-full-tunnel.json");

fn request(id: u64, request: Request) -> ClientMessage {
    ClientMessage { id, request }
}

fn response(id: u64, response: Response) -> ServerMessage {
    ServerMessage::Response { id, response }
}

fn event(e: Event) -> ServerMessage {
    ServerMessage::Event(e)
}

#[test]
fn pinned_lines() {
    let cases: Vec<(String, &str)> = vec![
        (
            request(
                1,
                Request::Hello {
                    client: "ibex-cli".into(),
                    version: "0.1.0".into(),
                },
            )
            .to_line()
            .unwrap(),
            r#"{"v":1,"id":1,"type":"hello","client":"ibex-cli","version":"0.1.0"}"#,
        ),
        (
            request(2, Request::Disconnect).to_line().unwrap(),
            r#"{"v":1,"id":2,"type":"disconnect"}"#,
        ),
        (
            request(
                3,
                Request::Answer {
                    prompt_id: 7,
                    value: "123456".into(),
                },
            )
            .to_line()
            .unwrap(),
            r#"{"v":1,"id":3,"type":"answer","prompt_id":7,"value":"123456"}"#,
        ),
        (
            request(4, Request::CancelPrompt { prompt_id: 7 })
                .to_line()
                .unwrap(),
            r#"{"v":1,"id":4,"type":"cancel_prompt","prompt_id":7}"#,
        ),
        (
            response(2, Response::Ok).to_line().unwrap(),
            r#"{"v":1,"id":2,"type":"ok"}"#,
        ),
        (
            response(
                2,
                Response::Error {
                    code: ErrorCode::NotConnected,
                    message: "no tunnel is up".into(),
                },
            )
            .to_line()
            .unwrap(),
            r#"{"v":1,"id":2,"type":"error","code":"not_connected","message":"no tunnel is up"}"#,
        ),
        (
            event(Event::State {
                state: ConnectionState::WaitingForUser,
                reason: None,
                failure: None,
            })
            .to_line()
            .unwrap(),
            r#"{"v":1,"type":"state","state":"waiting_for_user"}"#,
        ),
        (
            event(Event::Prompt(Prompt {
                prompt_id: 7,
                kind: PromptKind::Push,
                text: Some("Approve the sign-in on your phone".into()),
                number_to_match: Some("42".into()),
                deadline: Some(1_767_225_600),
                choices: vec![],
                fido: None,
            }))
            .to_line()
            .unwrap(),
            r#"{"v":1,"type":"prompt","prompt_id":7,"kind":"push","text":"Approve the sign-in on your phone","number_to_match":"42","deadline":1767225600}"#,
        ),
        (
            event(Event::PromptClosed {
                prompt_id: 7,
                reason: CloseReason::Answered,
            })
            .to_line()
            .unwrap(),
            r#"{"v":1,"type":"prompt_closed","prompt_id":7,"reason":"answered"}"#,
        ),
        (
            event(Event::Stats {
                uptime_s: 60,
                counters: Counters {
                    bytes_in: 1,
                    bytes_out: 2,
                    packets_in: 3,
                    packets_out: 4,
                    drops: 5,
                },
            })
            .to_line()
            .unwrap(),
            r#"{"v":1,"type":"stats","uptime_s":60,"bytes_in":1,"bytes_out":2,"packets_in":3,"packets_out":4,"drops":5}"#,
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
}

fn status() -> Status {
    Status {
        state: ConnectionState::Connected,
        profile: Some(ProfileRef {
            uuid: "3b6f0c1e-8d2a-4f57-9a61-2c4e7b9d0f13".into(),
            name: "Home lab".into(),
        }),
        gateway: Some("192.0.2.1:4500".parse().unwrap()),
        virtual_ips: vec!["10.99.0.2".parse().unwrap()],
        dns: vec!["10.99.0.53".parse().unwrap()],
        ike_suite: Some("aes256gcm16-prfsha384-ecp384".into()),
        esp_suite: Some("aes256gcm16".into()),
        nat_detected: true,
        mobike: true,
        uptime_s: 3600,
        counters: Counters {
            bytes_in: 10,
            bytes_out: 20,
            packets_in: 1,
            packets_out: 2,
            drops: 0,
        },
        failure: None,
    }
}

#[test]
fn every_client_message_roundtrips() {
    let profile = Profile::from_json(PROFILE).unwrap();
    let all = [
        Request::Hello {
            client: "ibex-gui".into(),
            version: "1.2.3".into(),
        },
        Request::Connect {
            profile: Box::new(profile.clone()),
            credential: None,
        },
        Request::Connect {
            profile: Box::new(profile),
            credential: Some(credential()),
        },
        Request::Disconnect,
        Request::Status,
        Request::Subscribe,
        Request::Answer {
            prompt_id: 9,
            value: SecretString::from("p\"ss\\w\u{f6}rd\n"),
        },
        Request::CancelPrompt { prompt_id: 9 },
        Request::Logs {
            level: None,
            follow: None,
        },
        Request::Logs {
            level: Some(LogLevel::Debug),
            follow: Some(true),
        },
    ];
    for (i, r) in all.into_iter().enumerate() {
        let m = request(i as u64 + 100, r);
        let line = m.to_line().unwrap();
        assert!(!line.contains('\n'), "one line: {line}");
        assert_eq!(ClientMessage::decode(line.as_bytes()).unwrap(), m, "{line}");
    }
}

#[test]
fn every_server_message_roundtrips() {
    let kinds = [
        PromptKind::Password,
        PromptKind::Psk,
        PromptKind::Otp,
        PromptKind::Push,
        PromptKind::Fido2,
        PromptKind::Pin,
        PromptKind::CertificatePassphrase,
    ];
    let mut all = vec![
        response(
            1,
            Response::Welcome {
                server: "ibexd".into(),
                version: "0.1.0".into(),
            },
        ),
        response(2, Response::Ok),
        response(
            3,
            Response::Error {
                code: ErrorCode::BadRequest,
                message: "x".into(),
            },
        ),
        response(4, Response::Status(Box::new(status()))),
        response(5, Response::Status(Box::new(Status::disconnected()))),
        event(Event::State {
            state: ConnectionState::Error,
            reason: Some("AUTHENTICATION_FAILED".into()),
            failure: None,
        }),
        event(Event::Stats {
            uptime_s: 1,
            counters: Counters::default(),
        }),
        event(Event::Log(ibex_ipc::LogLine {
            level: LogLevel::Warn,
            message: "retransmitting".into(),
            time_ms: None,
            target: None,
        })),
    ];
    for (i, kind) in kinds.into_iter().enumerate() {
        all.push(event(Event::Prompt(Prompt {
            prompt_id: i as u64,
            kind,
            text: None,
            number_to_match: None,
            deadline: None,
            choices: vec!["approve".into(), "deny".into()],
            fido: (kind == PromptKind::Fido2).then(fido_request),
        })));
    }
    for reason in [
        CloseReason::Answered,
        CloseReason::Cancelled,
        CloseReason::Expired,
    ] {
        all.push(event(Event::PromptClosed {
            prompt_id: 1,
            reason,
        }));
    }
    for state in [
        ConnectionState::Disconnected,
        ConnectionState::Connecting,
        ConnectionState::WaitingForUser,
        ConnectionState::Connected,
        ConnectionState::Disconnecting,
    ] {
        all.push(event(Event::State {
            state,
            reason: None,
            failure: None,
        }));
    }
    for m in all {
        let line = m.to_line().unwrap();
        assert_eq!(ServerMessage::decode(line.as_bytes()).unwrap(), m, "{line}");
    }
}

#[test]
fn forward_compatible_values() {
    // Unknown fields are ignored; unknown prompt kinds and error codes map
    // to a catch-all instead of failing the whole line.
    let line = br#"{"v":1,"type":"prompt","prompt_id":1,"kind":"retina-scan","colour":"blue"}"#;
    let ServerMessage::Event(Event::Prompt(p)) = ServerMessage::decode(line).unwrap() else {
        panic!("not a prompt");
    };
    assert_eq!(p.kind, PromptKind::Unknown);
    let line = br#"{"v":1,"id":3,"type":"error","code":"quota_exceeded","message":"m"}"#;
    let decoded = ServerMessage::decode(line).unwrap();
    assert!(matches!(
        decoded,
        ServerMessage::Response {
            id: 3,
            response: Response::Error {
                code: ErrorCode::Other,
                ..
            }
        }
    ));
}

#[test]
fn answer_debug_never_shows_the_secret() {
    let m = request(
        5,
        Request::Answer {
            prompt_id: 1,
            value: "correct horse battery staple".into(),
        },
    );
    for printed in [
        format!("{m:?}"),
        format!("{m:#?}"),
        format!("{:?}", m.request),
    ] {
        assert!(!printed.contains("correct horse"), "{printed}");
        assert!(printed.contains("redacted"), "{printed}");
    }
    let decoded = ClientMessage::decode(m.to_line().unwrap().as_bytes()).unwrap();
    assert!(!format!("{decoded:?}").contains("correct horse"));
}

#[test]
fn connect_refuses_an_invalid_profile() {
    let profile = Profile::from_json(PROFILE).unwrap();
    let mut bad = profile.clone();
    bad.ike_proposals = Some(vec!["aes128-sha1-modp1024".into()]);
    let line = request(
        8,
        Request::Connect {
            profile: Box::new(bad),
            credential: None,
        },
    )
    .to_line()
    .unwrap();
    let e = ClientMessage::decode(line.as_bytes()).unwrap_err();
    assert_eq!(e.id, Some(8), "the id is kept so the daemon can answer");
    let msg = e.to_string();
    assert!(
        msg.contains("ike_proposals[0] 'aes128-sha1-modp1024': 'sha1' is a weak algorithm"),
        "{msg}"
    );
}

const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n";

fn credential() -> ConnectCredential {
    ConnectCredential {
        certificate_pem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".into(),
        key_pem: KEY.into(),
    }
}

#[test]
fn connect_credential_is_an_optional_field() {
    let profile = Profile::from_json(PROFILE).unwrap();
    let without = request(
        6,
        Request::Connect {
            profile: Box::new(profile.clone()),
            credential: None,
        },
    )
    .to_line()
    .unwrap();
    assert!(
        without.starts_with(r#"{"v":1,"id":6,"type":"connect","profile":{"#)
            && !without.contains("credential"),
        "no credential, no field (what older daemons expect): {without}"
    );
    let with = request(
        6,
        Request::Connect {
            profile: Box::new(profile),
            credential: Some(credential()),
        },
    );
    let line = with.to_line().unwrap();
    assert!(
        line.ends_with(
            r#","credential":{"certificate_pem":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n","key_pem":"-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n"}}"#
        ),
        "{line}"
    );
    // An agent of the first protocol revision sends no credential.
    let ClientMessage { request, .. } = ClientMessage::decode(without.as_bytes()).unwrap();
    assert!(matches!(
        request,
        Request::Connect {
            credential: None,
            ..
        }
    ));
    for printed in [format!("{with:?}"), format!("{with:#?}")] {
        assert!(!printed.contains("MIGHAgEA"), "{printed}");
    }
    let decoded = ClientMessage::decode(line.as_bytes()).unwrap();
    assert_eq!(decoded, with);
    assert!(!format!("{decoded:?}").contains("MIGHAgEA"));
    // A key sent where the object belongs is refused without quoting it.
    let bad = without.replace(
        r#""type":"connect","#,
        &format!(
            r#""type":"connect","credential":{},"#,
            serde_json::json!(KEY)
        ),
    );
    let e = ClientMessage::decode(bad.as_bytes()).unwrap_err();
    assert_eq!(e.id, Some(6));
    assert!(!e.to_string().contains("MIGHAgEA"), "{e}");
}

fn fido_request() -> FidoRequest {
    FidoRequest {
        rp_id: "vpn.example.test".into(),
        origin: "https://vpn.example.test".into(),
        challenge: vec![0x5a; 32],
        allow_credentials: vec![vec![1, 2, 3, 4], vec![0xff; 3]],
        user_verification: UserVerification::Required,
    }
}

#[test]
fn fido_prompt_and_answer_lines() {
    let prompt = event(Event::Prompt(Prompt {
        prompt_id: 8,
        kind: PromptKind::Fido2,
        text: Some("Touch your security key".into()),
        number_to_match: None,
        deadline: Some(1_767_225_600),
        choices: vec![],
        fido: Some(fido_request()),
    }));
    let line = prompt.to_line().unwrap();
    assert_eq!(
        line,
        r#"{"v":1,"type":"prompt","prompt_id":8,"kind":"fido2","text":"Touch your security key","deadline":1767225600,"fido":{"rp_id":"vpn.example.test","origin":"https://vpn.example.test","challenge":"WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo","allow_credentials":["AQIDBA","____"],"user_verification":"required"}}"#
    );
    assert_eq!(ServerMessage::decode(line.as_bytes()).unwrap(), prompt);
    // A prompt of a daemon that predates the field has none.
    let old = br#"{"v":1,"type":"prompt","prompt_id":8,"kind":"fido2","text":"Touch"}"#;
    let ServerMessage::Event(Event::Prompt(p)) = ServerMessage::decode(old).unwrap() else {
        panic!("not a prompt");
    };
    assert_eq!(p.fido, None);
    // Other prompts leave the field out.
    let push = event(Event::Prompt(Prompt {
        prompt_id: 9,
        kind: PromptKind::Push,
        text: None,
        number_to_match: None,
        deadline: None,
        choices: vec![],
        fido: None,
    }));
    assert!(!push.to_line().unwrap().contains("fido"));

    // The answer: the assertion as JSON text in `value`.
    let assertion = FidoAssertion {
        credential_id: vec![1, 2, 3, 4],
        authenticator_data: vec![7; 5],
        client_data_json: b"{}".to_vec(),
        signature: vec![0x30, 0x44],
        user_handle: Some(vec![0xaa]),
    };
    let answer = request(
        10,
        Request::Answer {
            prompt_id: 8,
            value: assertion.to_answer(),
        },
    );
    let line = answer.to_line().unwrap();
    assert_eq!(
        line,
        r#"{"v":1,"id":10,"type":"answer","prompt_id":8,"value":"{\"credential_id\":\"AQIDBA\",\"authenticator_data\":\"BwcHBwc\",\"client_data_json\":\"e30\",\"signature\":\"MEQ\",\"user_handle\":\"qg\"}"}"#
    );
    let ClientMessage {
        request: Request::Answer { value, .. },
        ..
    } = ClientMessage::decode(line.as_bytes()).unwrap()
    else {
        panic!("not an answer");
    };
    assert_eq!(FidoAssertion::from_answer(&value).unwrap(), assertion);
}

#[test]
fn failures_and_logs_on_the_wire() {
    // A failed attempt: the reason for people, the failure for screens.
    let mut failure = Failure::new(FailureKind::AuthFailed).with_detail("wrong one-time code");
    failure.round = Some(2);
    failure.method = Some("gtc".into());
    let line = event(Event::State {
        state: ConnectionState::Error,
        reason: Some("sign-in failed".into()),
        failure: Some(Box::new(failure.clone())),
    })
    .to_line()
    .unwrap();
    assert_eq!(
        line,
        r#"{"v":1,"type":"state","state":"error","reason":"sign-in failed","failure":{"kind":"auth_failed","round":2,"method":"gtc","detail":"wrong one-time code"}}"#
    );
    let mut no_proposal = Failure::new(FailureKind::NoProposal);
    no_proposal.ours = vec!["aes256gcm16-prfsha384-ecp384".into()];
    no_proposal.theirs = vec!["modp2048".into()];
    let mut skew = Failure::new(FailureKind::ClockSkew);
    skew.skew_s = Some(-60);
    let mut unreachable = Failure::new(FailureKind::GatewayUnreachable);
    unreachable.gateway = Some("192.0.2.1:500".parse().unwrap());
    for f in [failure, no_proposal, skew, unreachable] {
        let mut st = Status::disconnected();
        st.failure = Some(Box::new(f));
        let m = response(7, Response::Status(Box::new(st)));
        let line = m.to_line().unwrap();
        assert_eq!(ServerMessage::decode(line.as_bytes()).unwrap(), m, "{line}");
    }
    // A newer daemon's kind is `other` here, not a decode error.
    let line =
        br#"{"v":1,"type":"state","state":"error","failure":{"kind":"quantum_flux","round":1}}"#;
    let ServerMessage::Event(Event::State {
        failure: Some(f), ..
    }) = ServerMessage::decode(line).unwrap()
    else {
        panic!("not a state with a failure");
    };
    assert_eq!((f.kind, f.round), (FailureKind::Other, Some(1)));
    // An older daemon's state event has no failure.
    let line = br#"{"v":1,"type":"state","state":"error","reason":"x"}"#;
    assert!(matches!(
        ServerMessage::decode(line).unwrap(),
        ServerMessage::Event(Event::State { failure: None, .. })
    ));

    // Logs: the request, the answer and a followed line.
    assert_eq!(
        request(
            3,
            Request::Logs {
                level: Some(LogLevel::Warn),
                follow: Some(true)
            }
        )
        .to_line()
        .unwrap(),
        r#"{"v":1,"id":3,"type":"logs","level":"warn","follow":true}"#
    );
    let line = LogLine {
        level: LogLevel::Info,
        message: "signed in gateway=gw".into(),
        time_ms: Some(1_767_225_600_000),
        target: Some("ibexd::connection".into()),
    };
    let answer = response(
        3,
        Response::Logs {
            lines: vec![line.clone()],
        },
    );
    assert_eq!(
        answer.to_line().unwrap(),
        r#"{"v":1,"id":3,"type":"logs","lines":[{"level":"info","message":"signed in gateway=gw","time_ms":1767225600000,"target":"ibexd::connection"}]}"#
    );
    assert_eq!(
        event(Event::Log(line)).to_line().unwrap(),
        r#"{"v":1,"type":"log","level":"info","message":"signed in gateway=gw","time_ms":1767225600000,"target":"ibexd::connection"}"#
    );
    // The older form of a log event still decodes.
    let old = br#"{"v":1,"type":"log","level":"warn","message":"m"}"#;
    assert!(matches!(
        ServerMessage::decode(old).unwrap(),
        ServerMessage::Event(Event::Log(LogLine { time_ms: None, .. }))
    ));
}
