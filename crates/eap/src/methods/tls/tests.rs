//! The MSK checked against an independent implementation of RFC 5216 2.3
//! and RFC 9190 2.3, fed with the secrets rustls logs (its `KeyLog`): the
//! TLS 1.2 master secret and the TLS 1.3 exporter master secret. The
//! independent PRF and HKDF-Expand-Label are checked against published
//! vectors first.

use std::io::Write as _;
use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use ring::{digest, hmac};
use rustls::{ClientConnection, Connection, KeyLog, ServerConnection};

use super::config::{TlsClientConfig, TlsServerConfig, TlsVersions};
use super::engine;
use super::peer::{PeerTls, PeerTlsStep};
use crate::Secret;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// P_hash (RFC 5246 5).
fn p_hash(alg: hmac::Algorithm, secret: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let key = hmac::Key::new(alg, secret);
    let mut a = hmac::sign(&key, seed).as_ref().to_vec();
    let mut out = Vec::new();
    while out.len() < len {
        let mut input = a.clone();
        input.extend_from_slice(seed);
        out.extend_from_slice(hmac::sign(&key, &input).as_ref());
        a = hmac::sign(&key, &a).as_ref().to_vec();
    }
    out.truncate(len);
    out
}

/// The TLS 1.2 PRF: P_hash(secret, label || seed).
fn prf12(alg: hmac::Algorithm, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let mut full = label.to_vec();
    full.extend_from_slice(seed);
    p_hash(alg, secret, &full, len)
}

/// HKDF-Expand-Label (RFC 8446 7.1), with HKDF-Expand (RFC 5869) by hand.
fn expand_label(
    alg: hmac::Algorithm,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    len: usize,
) -> Vec<u8> {
    let mut info = (len as u16).to_be_bytes().to_vec();
    info.push(6 + label.len() as u8);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(context.len() as u8);
    info.extend_from_slice(context);
    let key = hmac::Key::new(alg, secret);
    let (mut t, mut out) = (Vec::new(), Vec::new());
    let mut counter = 1u8;
    while out.len() < len {
        let mut input = t.clone();
        input.extend_from_slice(&info);
        input.push(counter);
        t = hmac::sign(&key, &input).as_ref().to_vec();
        out.extend_from_slice(&t);
        counter += 1;
    }
    out.truncate(len);
    out
}

/// TLS-Exporter (RFC 8446 7.5).
fn exporter13(
    alg: hmac::Algorithm,
    hash: &'static digest::Algorithm,
    exporter_secret: &[u8],
    label: &[u8],
    context: &[u8],
    len: usize,
) -> Vec<u8> {
    let empty = digest::digest(hash, b"");
    let derived = expand_label(
        alg,
        exporter_secret,
        label,
        empty.as_ref(),
        hash.output_len(),
    );
    let context_hash = digest::digest(hash, context);
    expand_label(alg, &derived, b"exporter", context_hash.as_ref(), len)
}

#[test]
fn independent_prf_matches_the_published_vector() {
    // The TLS 1.2 P_SHA256 vector from the IETF TLS list (also in rustls,
    // BearSSL, Bouncy Castle).
    let out = prf12(
        hmac::HMAC_SHA256,
        &hex("9bbe436ba940f017b17652849a71db35"),
        b"test label",
        &hex("a0ba9f936cda311827a6f796ffd5198c"),
        100,
    );
    assert_eq!(
        out,
        hex(concat!(
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a",
            "6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab",
            "4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701",
            "87347b66"
        ))
    );
}

#[test]
fn independent_expand_label_matches_rfc8448() {
    // RFC 8448 3: server handshake traffic secret -> write key and IV.
    let secret = hex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
    assert_eq!(
        expand_label(hmac::HMAC_SHA256, &secret, b"key", b"", 16),
        hex("3fce516009c21727d0f2e4e86ee403bc")
    );
    assert_eq!(
        expand_label(hmac::HMAC_SHA256, &secret, b"iv", b"", 12),
        hex("5d313eb2671276ee13000b30")
    );
}

/// One key log line: label, client random, secret.
type Line = (String, Vec<u8>, Vec<u8>);

/// What rustls logs.
#[derive(Debug, Default)]
struct Logged(Mutex<Vec<Line>>);

impl KeyLog for Logged {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .push((label.into(), client_random.to_vec(), secret.to_vec()));
    }

    fn will_log(&self, _label: &str) -> bool {
        true
    }
}

impl Logged {
    fn get(&self, label: &str) -> (Vec<u8>, Vec<u8>) {
        let entries = self.0.lock().unwrap();
        let (_, random, secret) = entries
            .iter()
            .find(|(l, _, _)| l == label)
            .unwrap_or_else(|| panic!("{label} not logged"));
        (random.clone(), secret.clone())
    }
}

struct Pki {
    client: TlsClientConfig,
    server: TlsServerConfig,
}

fn pki() -> Pki {
    let mut ca = CertificateParams::default();
    ca.distinguished_name.push(DnType::CommonName, "test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let leaf = |cn: &str, san: Vec<String>, eku| {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(san).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![eku];
        let cert = params.signed_by(&key, &ca).unwrap();
        (cert.der().to_vec(), Secret::new(key.serialize_der()))
    };
    let (server_cert, server_key) = leaf(
        "gw.ibex.test",
        vec!["gw.ibex.test".into()],
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let (client_cert, client_key) = leaf("alice", vec![], ExtendedKeyUsagePurpose::ClientAuth);
    Pki {
        client: TlsClientConfig {
            cert_chain: vec![client_cert],
            key: client_key,
            ca_certs: vec![ca.der().to_vec()],
            server_name: Some("gw.ibex.test".into()),
            ..TlsClientConfig::default()
        },
        server: TlsServerConfig {
            cert_chain: vec![server_cert],
            key: server_key,
            client_cas: vec![ca.der().to_vec()],
            ..TlsServerConfig::default()
        },
    }
}

/// A direct rustls handshake with the crate's configurations; returns both
/// ends, the client's key log and the ServerHello random.
fn handshake(versions: TlsVersions) -> (Connection, Connection, Arc<Logged>, Vec<u8>) {
    let mut pki = pki();
    pki.server.versions = versions;
    let (mut client_config, name) = pki.client.rustls().unwrap();
    let log = Arc::new(Logged::default());
    client_config.key_log = log.clone();
    let server_config = pki.server.rustls("alice").unwrap();
    let mut client =
        Connection::Client(ClientConnection::new(Arc::new(client_config), name).unwrap());
    let mut server = Connection::Server(ServerConnection::new(Arc::new(server_config)).unwrap());
    let mut to_server = engine::drain(&mut client);
    let mut server_hello = None;
    for _ in 0..10 {
        let to_client = engine::exchange(&mut server, &to_server)
            .ok()
            .expect("server");
        server_hello.get_or_insert_with(|| to_client.clone());
        to_server = engine::exchange(&mut client, &to_client)
            .ok()
            .expect("client");
        if to_server.is_empty() && !client.is_handshaking() && !server.is_handshaking() {
            let hello = server_hello.unwrap();
            // Record header (5), handshake header (4), legacy_version (2).
            assert_eq!((hello[0], hello[5]), (22, 2), "a ServerHello record");
            return (client, server, log, hello[11..43].to_vec());
        }
    }
    panic!("no handshake");
}

fn suite_hash(conn: &Connection) -> (hmac::Algorithm, &'static digest::Algorithm) {
    let suite = format!("{:?}", conn.negotiated_cipher_suite().unwrap().suite());
    if suite.ends_with("SHA384") {
        (hmac::HMAC_SHA384, &digest::SHA384)
    } else {
        (hmac::HMAC_SHA256, &digest::SHA256)
    }
}

#[test]
fn tls12_msk_is_the_rfc5216_prf() {
    let (client, server, log, server_random) = handshake(TlsVersions::Tls12Only);
    assert_eq!(engine::version(&client), Some(engine::Version::Tls12));
    let (client_random, master_secret) = log.get("CLIENT_RANDOM");
    let mut randoms = client_random;
    randoms.extend_from_slice(&server_random);
    let (alg, _) = suite_hash(&client);
    let key_material = prf12(alg, &master_secret, b"client EAP encryption", &randoms, 128);
    let msk = engine::msk(&client).unwrap();
    assert_eq!(msk.len(), 64);
    assert_eq!(msk.expose(), &key_material[..64]);
    assert_eq!(engine::msk(&server).unwrap().expose(), msk.expose());
}

#[test]
fn tls13_msk_is_the_rfc9190_exporter() {
    let (client, server, log, _) = handshake(TlsVersions::All);
    assert_eq!(engine::version(&client), Some(engine::Version::Tls13));
    let (_, exporter_secret) = log.get("EXPORTER_SECRET");
    let (alg, hash) = suite_hash(&client);
    let key_material = exporter13(
        alg,
        hash,
        &exporter_secret,
        b"EXPORTER_EAP_TLS_Key_Material",
        &[0x0d],
        128,
    );
    let msk = engine::msk(&client).unwrap();
    assert_eq!(msk.expose(), &key_material[..64]);
    assert_eq!(engine::msk(&server).unwrap().expose(), msk.expose());
}

/// A TLS 1.3 rustls server driven by hand against the peer side, to send
/// what an Ibex server never does; returns the peer's verdict on the
/// message after its Finished (or on the server's first flight, `early`).
fn peer_against(early: bool, after_handshake: impl FnOnce(&mut Connection)) -> PeerTlsStep {
    let mut pki = pki();
    pki.server.versions = TlsVersions::Tls13Only;
    let server_config = if early {
        // rustls sends half-RTT data only without client authentication.
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![pki.server.cert_chain[0].clone().into()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(pki.server.key.expose().to_vec().into()),
        )
        .unwrap();
        config.send_half_rtt_data = true;
        config
    } else {
        pki.server.rustls("alice").unwrap()
    };
    let mut server = Connection::Server(ServerConnection::new(Arc::new(server_config)).unwrap());
    let mut peer = PeerTls::default();
    let PeerTlsStep::Started(hello) = peer.handle(&pki.client, &[0x20]) else {
        panic!("no start")
    };
    assert_eq!(hello[0], 0, "one fragment");
    let mut flight = engine::exchange(&mut server, &hello[1..]).ok().unwrap();
    if early {
        // 0.5-RTT data: the indication before the client's Finished.
        server.writer().write_all(&[0]).unwrap();
        flight.extend(engine::drain(&mut server));
        return peer.handle(&pki.client, &[[0].as_slice(), &flight].concat());
    }
    let PeerTlsStep::Send(finished) = peer.handle(&pki.client, &[[0].as_slice(), &flight].concat())
    else {
        panic!("no client flight")
    };
    assert_eq!(finished[0], 0, "one fragment");
    let out = engine::exchange(&mut server, &finished[1..]).ok().unwrap();
    assert!(out.is_empty() && !server.is_handshaking());
    after_handshake(&mut server);
    let last = engine::drain(&mut server);
    peer.handle(&pki.client, &[[0].as_slice(), &last].concat())
}

#[test]
fn success_indication_rules() {
    let failed = |step: PeerTlsStep| match step {
        PeerTlsStep::Failed(crate::PeerFailure::TlsFailed(why)) => why,
        other => panic!("expected a failure: {other:?}"),
    };
    let done = |step: PeerTlsStep| matches!(step, PeerTlsStep::Done { .. });
    assert!(done(peer_against(false, |s| s
        .writer()
        .write_all(&[0])
        .unwrap())));
    // A close_notify instead (the drafts' indication) is accepted.
    assert!(done(peer_against(false, |s| s.send_close_notify())));
    let why = failed(peer_against(false, |s| {
        s.writer().write_all(&[1, 2]).unwrap()
    }));
    assert!(why.contains("unexpected application data"), "{why}");
    let why = failed(peer_against(true, |_| {}));
    assert!(why.contains("before it saw our Finished"), "{why}");
    // An empty request while nothing of ours is pending: ignored.
    assert!(matches!(
        peer_against(false, |_| {}),
        PeerTlsStep::Discard(_)
    ));
}
