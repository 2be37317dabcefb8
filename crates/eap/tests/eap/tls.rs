//! EAP-TLS: peer and server through the EAP packet layer with a PKI made at
//! test time, TLS 1.2 and 1.3, small fragments, failures and hostile input.

use std::sync::{Arc, OnceLock};

use ibex_eap::{
    Answer, Code, MethodType, Peer, PeerConfig, PeerFailure, PeerStep, Secret, Server,
    ServerFailure, ServerMethod, ServerStep, TlsClientConfig, TlsConfigError, TlsServerConfig,
    TlsVersions,
};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, SanType,
};

use crate::support::*;

pub const GATEWAY: &str = "gw.ibex.test";
pub const ALICE_EMAIL: &str = "alice@ibex.test";
/// The fragment size of most tests: every flight is split.
pub const SMALL: usize = 200;

/// A certificate and its PKCS#8 key, DER.
#[derive(Clone)]
pub struct Credential {
    pub cert: Vec<u8>,
    pub key: Vec<u8>,
}

/// Two CAs and the leaves the tests need.
pub struct Pki {
    pub ca: Vec<u8>,
    pub other_ca: Vec<u8>,
    /// `gw.ibex.test`, serverAuth, from `ca`.
    pub gateway: Credential,
    /// `gw.ibex.test` from `other_ca`.
    pub rogue_gateway: Credential,
    /// CN=alice, email alice@ibex.test, clientAuth, from `ca`.
    pub alice: Credential,
    /// CN=bob, from `ca`.
    pub bob: Credential,
    /// CN=alice from `other_ca`.
    pub stranger: Credential,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

fn leaf(
    issuer: &CertifiedIssuer<'static, KeyPair>,
    cn: &str,
    sans: Vec<SanType>,
    eku: ExtendedKeyUsagePurpose,
) -> Credential {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.subject_alt_names = sans;
    params.extended_key_usages = vec![eku];
    let cert = params.signed_by(&key, issuer).unwrap();
    Credential {
        cert: cert.der().to_vec(),
        key: key.serialize_der(),
    }
}

/// The PKI, made once per test binary.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let root = ca("Ibex test CA");
        let other = ca("Other CA");
        let dns = || vec![SanType::DnsName(GATEWAY.try_into().unwrap())];
        Pki {
            ca: root.der().to_vec(),
            other_ca: other.der().to_vec(),
            gateway: leaf(&root, GATEWAY, dns(), ExtendedKeyUsagePurpose::ServerAuth),
            rogue_gateway: leaf(&other, GATEWAY, dns(), ExtendedKeyUsagePurpose::ServerAuth),
            alice: leaf(
                &root,
                USER,
                vec![SanType::Rfc822Name(ALICE_EMAIL.try_into().unwrap())],
                ExtendedKeyUsagePurpose::ClientAuth,
            ),
            bob: leaf(&root, "bob", vec![], ExtendedKeyUsagePurpose::ClientAuth),
            stranger: leaf(&other, USER, vec![], ExtendedKeyUsagePurpose::ClientAuth),
        }
    })
}

/// Alice's credential, trusting the test CA, expecting `gw.ibex.test`.
pub fn client_tls(max_fragment: usize) -> TlsClientConfig {
    client_tls_with(&pki().alice, max_fragment)
}

pub fn client_tls_with(credential: &Credential, max_fragment: usize) -> TlsClientConfig {
    TlsClientConfig {
        cert_chain: vec![credential.cert.clone()],
        key: Secret::from_slice(&credential.key),
        ca_certs: vec![pki().ca.clone()],
        server_name: Some(GATEWAY.into()),
        max_fragment,
        ..TlsClientConfig::default()
    }
}

/// The gateway's credential, trusting the test CA for clients.
pub fn server_tls(versions: TlsVersions, max_fragment: usize) -> TlsServerConfig {
    TlsServerConfig {
        cert_chain: vec![pki().gateway.cert.clone()],
        key: Secret::from_slice(&pki().gateway.key),
        client_cas: vec![pki().ca.clone()],
        versions,
        max_fragment,
    }
}

pub fn tls_peer(tls: TlsClientConfig) -> Peer {
    peer(PeerConfig {
        tls: Some(tls),
        ..config()
    })
}

pub fn tls_server(
    dir: &Arc<TestDirectory>,
    user: &str,
    methods: Vec<ServerMethod>,
    tls: TlsServerConfig,
) -> Server {
    Server::new(
        dir.clone(),
        user.into(),
        methods,
        b"binding-of-this-ike-sa".to_vec(),
    )
    .with_tls(tls)
}

/// Every packet of a conversation and how it ended.
#[derive(Debug, Default)]
struct Transcript {
    requests: Vec<Vec<u8>>,
    responses: Vec<Vec<u8>>,
    /// `None` when the server never finished.
    server: Option<Result<(), ServerFailure>>,
    peer: Option<Result<(), PeerFailure>>,
}

impl Transcript {
    /// Type-data of the server's EAP-TLS requests.
    fn tls_requests(&self) -> Vec<Vec<u8>> {
        tls_data(&self.requests, Code::Request)
    }

    fn tls_responses(&self) -> Vec<Vec<u8>> {
        tls_data(&self.responses, Code::Response)
    }
}

fn tls_data(packets: &[Vec<u8>], code: Code) -> Vec<Vec<u8>> {
    packets
        .iter()
        .map(|p| decode(p))
        .filter(|p| p.code == code && p.method == Some(MethodType::TLS))
        .map(|p| p.data)
        .collect()
}

/// Runs the conversation. Before each request an EAP-Success is offered to
/// the peer, which must discard it while its method is open.
fn drive(p: &mut Peer, s: &mut Server) -> Transcript {
    let mut rng = rng();
    let mut t = Transcript::default();
    let mut step = s.start(&mut rng);
    for _ in 0..300 {
        let (request, server_result) = match step {
            ServerStep::Request(r) => (r, None),
            ServerStep::Success(r) => (r, Some(Ok(()))),
            ServerStep::Failure(r, f) => (r, Some(Err(f))),
            other => panic!("server: {other:?}"),
        };
        t.requests.push(request.clone());
        let packet = decode(&request);
        if packet.code == Code::Request && p.method() == Some(MethodType::TLS) && p.msk().is_none()
        {
            let early = p.handle(&success(packet.identifier));
            assert!(matches!(early, PeerStep::Discard(_)), "{early:?}");
        }
        match p.handle(&request) {
            PeerStep::Respond(r) => {
                assert!(server_result.is_none(), "the peer answered a final packet");
                t.responses.push(r.clone());
                step = s.handle(&r, &mut rng);
            }
            PeerStep::Success => {
                t.server = server_result;
                t.peer = Some(Ok(()));
                return t;
            }
            PeerStep::Failure(f) => {
                t.server = server_result;
                t.peer = Some(Err(f));
                return t;
            }
            other => panic!("peer: {other:?}"),
        }
    }
    panic!("conversation did not end");
}

fn run(versions: TlsVersions) -> (Transcript, Peer, Server) {
    let dir = TestDirectory::new();
    let mut p = tls_peer(client_tls(SMALL));
    let mut s = tls_server(
        &dir,
        USER,
        vec![ServerMethod::Tls],
        server_tls(versions, SMALL),
    );
    let t = drive(&mut p, &mut s);
    assert_eq!(dir.failures(), 0);
    (t, p, s)
}

fn assert_success(t: &Transcript, p: &Peer, s: &Server) {
    assert_eq!((&t.server, &t.peer), (&Some(Ok(())), &Some(Ok(()))));
    let msk = p.msk().expect("peer MSK");
    assert_eq!(msk.len(), 64);
    assert_eq!(msk.expose(), s.msk().expect("server MSK").expose());
    assert_ne!(msk.expose(), &[0u8; 64][..]);
    // Small fragments: every packet fits, and both sides acknowledged some.
    for packet in t.requests.iter().chain(&t.responses) {
        assert!(packet.len() <= SMALL, "{} bytes", packet.len());
    }
    assert_eq!(t.tls_requests()[0], vec![0x20], "EAP-TLS Start");
    assert!(t.tls_requests().iter().filter(|d| d == &&[0]).count() >= 1);
    assert!(t.tls_responses().iter().filter(|d| d == &&[0]).count() >= 2);
    let first_fragment = t.tls_responses()[0].clone();
    assert_eq!(first_fragment[0], 0xc0, "ClientHello fragmented: L and M");
    assert_eq!(decode(t.requests.last().unwrap()).code, Code::Success);
}

#[test]
fn tls13_conversation_with_fragments() {
    let (t, p, s) = run(TlsVersions::All);
    assert_success(&t, &p, &s);
    assert_eq!(p.method(), Some(MethodType::TLS));
    // The last EAP-TLS request is the protected success indication: one
    // small application-data record (0x17; it holds 0x00), unfragmented.
    let requests = t.tls_requests();
    let last = requests.last().unwrap();
    assert_eq!((last[0], last[1]), (0, 0x17), "{last:02x?}");
    assert!(last.len() < 40, "one small record: {} bytes", last.len());
    // The peer answered it with an empty response.
    assert_eq!(t.tls_responses().last().unwrap(), &vec![0]);
}

#[test]
fn tls12_conversation_with_fragments() {
    let (t, p, s) = run(TlsVersions::Tls12Only);
    assert_success(&t, &p, &s);
    // The last EAP-TLS request is ChangeCipherSpec + Finished; no
    // application data anywhere.
    let requests = t.tls_requests();
    let last = requests.last().unwrap();
    assert_eq!((last[0], last[1]), (0, 0x14), "{last:02x?}");
    assert_eq!(t.tls_responses().last().unwrap(), &vec![0]);
    // Different versions, different keys (and every run has its own).
    let (t13, p13, _) = run(TlsVersions::All);
    assert_eq!(t13.peer, Some(Ok(())));
    assert_ne!(p.msk().unwrap().expose(), p13.msk().unwrap().expose());
    let (_, p12b, _) = run(TlsVersions::Tls12Only);
    assert_ne!(p.msk().unwrap().expose(), p12b.msk().unwrap().expose());
}

#[test]
fn tiny_fragments_and_a_chained_method() {
    let dir = TestDirectory::new();
    let mut p = tls_peer(TlsClientConfig {
        max_fragment: 0,
        ..client_tls(1000)
    });
    let tls = TlsServerConfig::default();
    assert_eq!(tls.max_fragment, 1000);
    let mut s = tls_server(
        &dir,
        USER,
        vec![ServerMethod::Tls, ServerMethod::GtcOtp],
        server_tls(TlsVersions::All, tls.max_fragment),
    );
    let out = converse(&mut p, &mut s, |_| {
        Answer::Secret(Secret::from_slice(CODE.as_bytes()))
    });
    assert_eq!((out.server, out.peer), (Some(Ok(())), Ok(())));
    // The EAP-TLS MSK survives the GTC step.
    assert_eq!(p.msk().unwrap().expose(), s.msk().unwrap().expose());
    assert_eq!(p.method(), Some(MethodType::GTC));
}

#[test]
fn email_san_identifies_the_user() {
    let dir = TestDirectory::new();
    for versions in [TlsVersions::Tls12Only, TlsVersions::Tls13Only] {
        let mut p = tls_peer(client_tls(SMALL));
        let mut s = tls_server(
            &dir,
            ALICE_EMAIL,
            vec![ServerMethod::Tls],
            server_tls(versions, SMALL),
        );
        let t = drive(&mut p, &mut s);
        assert_eq!((t.server, t.peer), (Some(Ok(())), Some(Ok(()))));
    }
}

#[test]
fn peer_refuses_an_untrusted_gateway() {
    for versions in [TlsVersions::Tls12Only, TlsVersions::Tls13Only] {
        let dir = TestDirectory::new();
        let mut p = tls_peer(client_tls(SMALL));
        let mut rogue = server_tls(versions, SMALL);
        rogue.cert_chain = vec![pki().rogue_gateway.cert.clone()];
        rogue.key = Secret::from_slice(&pki().rogue_gateway.key);
        let mut s = tls_server(&dir, USER, vec![ServerMethod::Tls], rogue);
        let t = drive(&mut p, &mut s);
        match t.peer {
            Some(Err(PeerFailure::ServerCertificateRejected(why))) => {
                assert!(why.contains("trusted CA"), "{why}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(t.server, None, "the peer ends the conversation itself");
        assert!(p.msk().is_none());
        // Later packets are discarded.
        assert!(matches!(p.handle(&success(1)), PeerStep::Discard(_)));
    }
}

#[test]
fn several_trusted_cas() {
    let dir = TestDirectory::new();
    let mut p = tls_peer(TlsClientConfig {
        ca_certs: vec![pki().other_ca.clone(), pki().ca.clone()],
        ..client_tls(SMALL)
    });
    let mut tls = server_tls(TlsVersions::All, SMALL);
    tls.client_cas = vec![pki().other_ca.clone(), pki().ca.clone()];
    let mut s = tls_server(&dir, USER, vec![ServerMethod::Tls], tls);
    assert_eq!(drive(&mut p, &mut s).server, Some(Ok(())));
}

#[test]
fn peer_refuses_a_gateway_with_another_name() {
    let dir = TestDirectory::new();
    let mut p = tls_peer(TlsClientConfig {
        server_name: Some("vpn.other.test".into()),
        ..client_tls(SMALL)
    });
    let mut s = tls_server(
        &dir,
        USER,
        vec![ServerMethod::Tls],
        server_tls(TlsVersions::All, SMALL),
    );
    match drive(&mut p, &mut s).peer {
        Some(Err(PeerFailure::ServerCertificateRejected(why))) => {
            assert!(why.contains("name"), "{why}");
            let text = PeerFailure::ServerCertificateRejected(why).to_string();
            assert!(text.starts_with("the gateway's certificate was not accepted"));
        }
        other => panic!("{other:?}"),
    }
    // Without an expected name the chain alone is checked.
    let mut p = tls_peer(TlsClientConfig {
        server_name: None,
        ..client_tls(SMALL)
    });
    let mut s = tls_server(
        &dir,
        USER,
        vec![ServerMethod::Tls],
        server_tls(TlsVersions::All, SMALL),
    );
    assert_eq!(drive(&mut p, &mut s).peer, Some(Ok(())));
}

/// The server refuses the client certificate: it sends a TLS alert, the
/// peer acknowledges, then the notification and EAP-Failure.
fn refused(credential: &Credential, versions: TlsVersions) -> (Transcript, Arc<TestDirectory>) {
    let dir = TestDirectory::new();
    let mut p = tls_peer(client_tls_with(credential, SMALL));
    let mut s = tls_server(
        &dir,
        USER,
        vec![ServerMethod::Tls],
        server_tls(versions, SMALL),
    );
    let t = drive(&mut p, &mut s);
    assert!(p.msk().is_none() && s.msk().is_none());
    let notification = t
        .requests
        .iter()
        .map(|r| decode(r))
        .find(|r| r.method == Some(MethodType::NOTIFICATION))
        .expect("a notification");
    assert!(!notification.data.is_empty());
    (t, dir)
}

fn peer_reason(t: &Transcript) -> (String, Option<String>) {
    match &t.peer {
        Some(Err(PeerFailure::Rejected { method, reason, .. })) => (method.clone(), reason.clone()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn server_refuses_a_client_from_another_ca() {
    for versions in [TlsVersions::Tls12Only, TlsVersions::Tls13Only] {
        let (t, dir) = refused(&pki().stranger, versions);
        assert!(
            matches!(t.server, Some(Err(ServerFailure::CertificateRejected(_)))),
            "{:?}",
            t.server
        );
        assert_eq!(
            peer_reason(&t),
            ("EAP-TLS".into(), Some("cert-rejected".into()))
        );
        assert_eq!(dir.failures(), 1);
    }
}

#[test]
fn server_refuses_a_certificate_for_another_user() {
    for versions in [TlsVersions::Tls12Only, TlsVersions::Tls13Only] {
        let (t, dir) = refused(&pki().bob, versions);
        assert_eq!(t.server, Some(Err(ServerFailure::CertificateNotForUser)));
        assert_eq!(
            peer_reason(&t),
            ("EAP-TLS".into(), Some("cert-wrong-user".into()))
        );
        assert_eq!(dir.failures(), 1);
        // No success indication was sent: the alert is the last TLS request.
        let last = t.tls_requests().last().unwrap().clone();
        assert_eq!(last[0], 0);
        assert_ne!(last.len(), 1);
    }
}

#[test]
fn third_party_alert_without_notification_is_reported() {
    // A server that sends its alert then EAP-Failure, without Ibex's
    // notification: the peer reports the alert.
    let dir = TestDirectory::new();
    let mut p = tls_peer(client_tls_with(&pki().bob, SMALL));
    let mut s = tls_server(
        &dir,
        USER,
        vec![ServerMethod::Tls],
        server_tls(TlsVersions::Tls13Only, SMALL),
    );
    let mut rng = rng();
    let mut step = s.start(&mut rng);
    loop {
        let ServerStep::Request(request) = step else {
            panic!("{step:?}")
        };
        let packet = decode(&request);
        if packet.method == Some(MethodType::NOTIFICATION) {
            break;
        }
        let PeerStep::Respond(r) = p.handle(&request) else {
            panic!("no response")
        };
        step = s.handle(&r, &mut rng);
    }
    match p.handle(&failure(9)) {
        PeerStep::Failure(PeerFailure::Rejected {
            method,
            reason,
            message,
        }) => {
            assert_eq!((method.as_str(), reason), ("EAP-TLS", None));
            let message = message.unwrap();
            assert!(
                message.contains("did not accept the client certificate"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn peer_without_tls_naks_it() {
    let dir = TestDirectory::new();
    let mut p = peer(config());
    let mut s = tls_server(
        &dir,
        USER,
        vec![ServerMethod::Tls],
        server_tls(TlsVersions::All, SMALL),
    );
    let out = converse(&mut p, &mut s, |_| panic!("no prompt"));
    assert_eq!(out.server, Some(Err(ServerFailure::MethodRefused)));
    assert_eq!(
        out.peer,
        Err(PeerFailure::MethodNotAllowed("EAP-TLS".into()))
    );
    // A peer with TLS offers it in its Nak.
    let mut p = tls_peer(client_tls(SMALL));
    let r = decode(&expect_respond(p.handle(&request(1, 4, &[4, 1, 2, 3, 4]))));
    assert_eq!(r.data, vec![26, 6, 255, 13]);
}

#[test]
fn unusable_configurations() {
    let good = client_tls(SMALL);
    assert_eq!(good.check(), Ok(()));
    assert_eq!(server_tls(TlsVersions::All, SMALL).check(), Ok(()));
    let bad_key = TlsClientConfig {
        key: Secret::from_slice(b"not a key"),
        ..good.clone()
    };
    assert!(matches!(bad_key.check(), Err(TlsConfigError::Key(_))));
    let other_key = TlsClientConfig {
        key: Secret::from_slice(&pki().bob.key),
        ..good.clone()
    };
    assert_eq!(other_key.check(), Err(TlsConfigError::KeyMismatch));
    let no_ca = TlsClientConfig {
        ca_certs: vec![],
        ..good.clone()
    };
    assert_eq!(no_ca.check(), Err(TlsConfigError::NoCa));
    let bad_ca = TlsClientConfig {
        ca_certs: vec![b"garbage".to_vec()],
        ..good.clone()
    };
    assert!(matches!(
        bad_ca.check(),
        Err(TlsConfigError::Ca { index: 0, .. })
    ));
    let bad_name = TlsClientConfig {
        server_name: Some("not a name!".into()),
        ..good.clone()
    };
    assert!(matches!(
        bad_name.check(),
        Err(TlsConfigError::ServerName(_))
    ));
    assert_eq!(
        TlsClientConfig::default().check(),
        Err(TlsConfigError::NoCertificate)
    );

    // The peer reports a bad credential when the server starts EAP-TLS.
    let mut p = tls_peer(bad_key);
    match p.handle(&request(1, 13, &[0x20])) {
        PeerStep::Failure(PeerFailure::TlsFailed(why)) => assert!(why.contains("key"), "{why}"),
        other => panic!("{other:?}"),
    }

    // The server fails with method-unavailable without (usable) TLS.
    let dir = TestDirectory::new();
    let broken = TlsServerConfig {
        client_cas: vec![],
        ..server_tls(TlsVersions::All, SMALL)
    };
    for mut s in [
        server(&dir, vec![ServerMethod::Tls]),
        tls_server(&dir, USER, vec![ServerMethod::Tls], broken),
    ] {
        let note = decode(&expect_request(s.start(&mut rng())));
        assert_eq!(note.method, Some(MethodType::NOTIFICATION));
        assert!(note.data.starts_with(b"[method-unavailable] "));
    }
}

#[test]
fn debug_output_hides_keys() {
    let client = client_tls(SMALL);
    let server = server_tls(TlsVersions::All, SMALL);
    let (mut p, mut s) = {
        let dir = TestDirectory::new();
        (
            tls_peer(client.clone()),
            tls_server(&dir, USER, vec![ServerMethod::Tls], server.clone()),
        )
    };
    let t = drive(&mut p, &mut s);
    assert_eq!(t.peer, Some(Ok(())));
    let cfg = PeerConfig {
        tls: Some(client.clone()),
        ..config()
    };
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let msk = p.msk().unwrap().expose().to_vec();
    // The P-256 private scalar starts at byte 36 of ring's PKCS#8 encoding.
    let secrets = [
        &pki().alice.key[36..52],
        &pki().gateway.key[36..52],
        &msk[..16],
    ];
    for text in [
        format!("{client:?}"),
        format!("{server:?}"),
        format!("{cfg:?}"),
        format!("{p:?}"),
        format!("{s:?}"),
    ] {
        assert!(text.contains("redacted") || text.contains("msk"), "{text}");
        for secret in secrets {
            let listed = format!("{:?}", &secret[..4]);
            assert!(!text.contains(&listed[1..listed.len() - 1]), "{text}");
            assert!(!text.to_lowercase().contains(&hex(secret)), "{text}");
        }
    }
}

#[test]
fn retransmitted_request_gets_the_same_response() {
    let mut p = tls_peer(client_tls(SMALL));
    let start = request(7, 13, &[0x20]);
    let first = expect_respond(p.handle(&start));
    assert_eq!(expect_respond(p.handle(&start)), first);
    // A new Start (new identifier) restarts with a fresh ClientHello.
    let again = expect_respond(p.handle(&request(8, 13, &[0x20])));
    assert_ne!(again[6..], first[6..]);
}

#[test]
fn hostile_requests_to_the_peer() {
    let started = || {
        let mut p = tls_peer(client_tls(SMALL));
        expect_respond(p.handle(&request(1, 13, &[0x20])));
        // Acknowledge the ClientHello's fragments until it is all sent.
        let mut id = 2;
        loop {
            let r = decode(&expect_respond(p.handle(&request(id, 13, &[0]))));
            id += 1;
            if r.data[0] & 0x40 == 0 {
                return (p, id);
            }
        }
    };
    let tls_failed = |step: PeerStep| match step {
        PeerStep::Failure(PeerFailure::TlsFailed(why)) => why,
        other => panic!("{other:?}"),
    };

    // Before any Start.
    let mut p = tls_peer(client_tls(SMALL));
    assert!(matches!(
        p.handle(&request(1, 13, &[0x00, 0x16, 3, 3])),
        PeerStep::Discard(_)
    ));
    assert!(matches!(
        p.handle(&request(1, 13, &[])),
        PeerStep::Discard(_)
    ));

    // Truncated length field: discarded, the handshake goes on.
    let (mut p, id) = started();
    assert!(matches!(
        p.handle(&request(id, 13, &[0x80, 0, 1])),
        PeerStep::Discard(_)
    ));
    // An oversized L value.
    let why = tls_failed(p.handle(&request(id, 13, &[0xc0, 0x7f, 0xff, 0xff, 0xff, 1])));
    assert!(why.contains("limit"), "{why}");

    // Garbage instead of a ServerHello.
    let (mut p, id) = started();
    tls_failed(p.handle(&request(
        id,
        13,
        &[0x00, 0x16, 3, 3, 0, 4, 0xde, 0xad, 0xbe, 0xef],
    )));

    // More data than the L value announced.
    let (mut p, id) = started();
    let step = p.handle(&request(id, 13, &[0xc0, 0, 0, 0, 4, 1, 2, 3]));
    assert_eq!(
        decode(&expect_respond(step)).data,
        vec![0],
        "fragment acknowledged"
    );
    let why = tls_failed(p.handle(&request(id + 1, 13, &[0x00, 4, 5])));
    assert!(why.contains("announced"), "{why}");

    // Endless fragments without L stop at the 64 KiB cap.
    let (mut p, mut id) = started();
    let mut chunk = vec![0x40];
    chunk.extend_from_slice(&[0x16; 1000]);
    let mut acks = 0;
    let why = loop {
        match p.handle(&request(id, 13, &chunk)) {
            PeerStep::Respond(r) => {
                assert_eq!(decode(&r).data, vec![0]);
                acks += 1;
            }
            other => break tls_failed(other),
        }
        id = id.wrapping_add(1);
        assert!(acks < 100);
    };
    assert_eq!(acks, 65);
    assert!(why.contains("limit"), "{why}");

    // An empty fragment announcing more.
    let (mut p, id) = started();
    tls_failed(p.handle(&request(id, 13, &[0x40])));
}

#[test]
fn hostile_responses_to_the_server() {
    let dir = TestDirectory::new();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![0xc0, 0x7f, 0xff, 0xff, 0xff, 1], "malformed"),
        (vec![0x80, 0], "malformed"),
        (vec![], "malformed"),
        (vec![0x20], "malformed"),
        (vec![0x00], "malformed"),
        (
            vec![0x00, 0x16, 3, 3, 0, 4, 0xde, 0xad, 0xbe, 0xef],
            "tls-failed",
        ),
        (vec![0x00, 0x17, 3, 3, 0, 1, 0], "tls-failed"),
    ];
    for (data, token) in cases {
        let mut s = tls_server(
            &dir,
            USER,
            vec![ServerMethod::Tls],
            server_tls(TlsVersions::All, SMALL),
        );
        let mut rng = rng();
        let start = decode(&expect_request(s.start(&mut rng)));
        let mut next = s.handle(&response(start.identifier, 13, &data), &mut rng);
        // A TLS alert first, when rustls has one to send.
        let mut packet = decode(&expect_request(next));
        if packet.method == Some(MethodType::TLS) {
            next = s.handle(&response(packet.identifier, 13, &[0]), &mut rng);
            packet = decode(&expect_request(next));
        }
        assert_eq!(packet.method, Some(MethodType::NOTIFICATION));
        let text = String::from_utf8(packet.data).unwrap();
        assert!(
            text.starts_with(&format!("[{token}] ")),
            "{data:02x?}: {text}"
        );
        let ServerStep::Failure(_, failure) =
            s.handle(&response(packet.identifier, 2, b""), &mut rng)
        else {
            panic!("expected Failure")
        };
        assert!(
            matches!(
                failure,
                ServerFailure::Malformed(_) | ServerFailure::TlsFailed(_)
            ),
            "{failure:?}"
        );
    }
    assert_eq!(dir.failures(), 0, "protocol errors do not count");
}
