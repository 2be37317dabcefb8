//! EAP inside IKE_AUTH: every method and chain, several rounds (RFC 4739),
//! EAP-only (RFC 5998), push approval held across retransmissions, failures.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ibex_ike::eap::{
    Answer, Directory, FidoAssertion, FidoRequest, OtpCheck, PeerConfig, PeerFailure, PromptKind,
    PushState, PushTicket, Secret as EapSecret, ServerMethod,
};
use ibex_ike::{CloseReason, Event, LocalAuth, PeerAuth, PeerEntry};

use super::{cert_configs, configs, names, Sim, BAD, CLEAN, PSK};

pub(super) const PASSWORD: &str = "correct horse battery";
pub(super) const CODE: &str = "492039";
const SUITE: (&str, &str) = ("chacha20poly1305-prfsha256-x25519", "chacha20poly1305");

/// A user database with one user, counting what the server asked.
#[derive(Default)]
pub(super) struct TestDirectory {
    pub(super) push: Mutex<Option<PushState>>,
    pushes: Mutex<u32>,
    otp_checks: Mutex<Vec<String>>,
    used_codes: Mutex<Vec<String>>,
    failures: Mutex<u32>,
    fido_challenge: Mutex<Option<Vec<u8>>>,
}

fn nt_hash(password: &str) -> Vec<u8> {
    use md4::{Digest, Md4};
    let utf16: Vec<u8> = password.encode_utf16().flat_map(u16::to_le_bytes).collect();
    Md4::digest(&utf16).to_vec()
}

impl Directory for TestDirectory {
    fn locked_out(&self, _user: &str) -> Option<Duration> {
        (*self.failures.lock().unwrap() >= 3).then_some(Duration::from_secs(300))
    }
    fn record_failure(&self, _user: &str) {
        *self.failures.lock().unwrap() += 1;
    }
    fn nt_hash(&self, user: &str) -> Option<EapSecret> {
        (user == "client.ibex.test").then(|| EapSecret::new(nt_hash(PASSWORD)))
    }
    fn check_password(&self, _user: &str, password: &[u8]) -> bool {
        password == PASSWORD.as_bytes()
    }
    fn check_otp(&self, _user: &str, code: &str) -> OtpCheck {
        self.otp_checks.lock().unwrap().push(code.to_string());
        let mut used = self.used_codes.lock().unwrap();
        if code == CODE {
            if used.iter().any(|c| c == code) {
                return OtpCheck::Replayed;
            }
            used.push(code.to_string());
            OtpCheck::Valid
        } else if code == "111111" {
            OtpCheck::Wrong {
                skew_steps: Some(-3),
            }
        } else {
            OtpCheck::Wrong { skew_steps: None }
        }
    }
    fn start_push(&self, _user: &str) -> Result<PushTicket, String> {
        *self.pushes.lock().unwrap() += 1;
        Ok(PushTicket {
            id: "t1".into(),
            number: 42,
            expires: std::time::SystemTime::UNIX_EPOCH,
            text: "Sign in to the simulation".into(),
            timeout: Duration::from_secs(60),
        })
    }
    fn push_state(&self, _ticket: &PushTicket) -> PushState {
        self.push.lock().unwrap().unwrap_or(PushState::Pending)
    }
    fn fido_start(&self, _user: &str, challenge: &[u8]) -> Result<FidoRequest, String> {
        *self.fido_challenge.lock().unwrap() = Some(challenge.to_vec());
        Ok(FidoRequest {
            rp_id: "vpn.example.test".into(),
            origin: "https://vpn.example.test".into(),
            challenge: challenge.to_vec(),
            allow_credentials: vec![b"cred-1".to_vec()],
            user_verification: "preferred".into(),
        })
    }
    fn fido_finish(&self, _user: &str, a: &FidoAssertion) -> Result<(), String> {
        // The "authenticator" below signs by copying the challenge.
        let want = self
            .fido_challenge
            .lock()
            .unwrap()
            .clone()
            .ok_or("no challenge")?;
        if a.client_data_json == want && a.credential_id == b"cred-1" {
            Ok(())
        } else {
            Err("assertion over another challenge".into())
        }
    }
}

fn eap_peer(password: Option<&str>) -> LocalAuth {
    LocalAuth::Eap(PeerConfig {
        identity: "client.ibex.test".into(),
        password: password.map(|p| EapSecret::from_slice(p.as_bytes())),
        ..Default::default()
    })
}

/// PSK-authenticated gateway; the client signs in with EAP `methods`.
pub(super) fn eap_sim(
    methods: Vec<ServerMethod>,
    link: super::Link,
    seed: u64,
) -> (Sim, Arc<TestDirectory>) {
    eap_sim_with(methods, link, seed, |_| {})
}

/// [`eap_sim`] with changes to the gateway's configuration.
pub(super) fn eap_sim_with(
    methods: Vec<ServerMethod>,
    link: super::Link,
    seed: u64,
    edit: impl FnOnce(&mut ibex_ike::ResponderConfig),
) -> (Sim, Arc<TestDirectory>) {
    let (mut c, mut r) = configs(SUITE.0, SUITE.1);
    edit(&mut r);
    c.local_auth = eap_peer(None);
    c.peer_auth = Some(PeerAuth::Psk(ibex_ike::crypto::Secret::from_slice(PSK)));
    let dir = Arc::new(TestDirectory::default());
    r.peers[0].auth = PeerAuth::Eap(methods);
    r.eap_directory = Some(dir.clone());
    (Sim::new(c, r, link, seed), dir)
}

pub(super) fn secret(s: &str) -> Answer {
    Answer::Secret(EapSecret::from_slice(s.as_bytes()))
}

pub(super) fn prompts(s: &Sim) -> Vec<PromptKind> {
    s.ini_events
        .iter()
        .filter_map(|e| match e {
            Event::Prompt(p) => Some(p.kind),
            _ => None,
        })
        .collect()
}

fn closed(events: &[Event]) -> Option<&CloseReason> {
    events.iter().find_map(|e| match e {
        Event::Closed(r) => Some(r),
        _ => None,
    })
}

fn run_established(sim: &mut Sim) {
    assert!(
        sim.run_until(Duration::from_secs(300), |s| s.established()),
        "not established: initiator {:?}, responder {:?}",
        names(&sim.ini_events),
        names(&sim.resp_events)
    );
    let (i, r) = (
        Sim::child_ups(&sim.ini_events),
        Sim::child_ups(&sim.resp_events),
    );
    super::assert_children_match(i[0], r[0]);
}

fn run_closed(sim: &mut Sim) -> CloseReason {
    assert!(
        sim.run_until(Duration::from_secs(600), |s| closed(&s.ini_events)
            .is_some()),
        "initiator never closed: {:?}",
        names(&sim.ini_events)
    );
    assert!(!sim.established(), "no Child SA after a failed sign-in");
    closed(&sim.ini_events).cloned().unwrap()
}

fn rejected_reason(r: &CloseReason) -> Option<String> {
    match r {
        CloseReason::Eap(PeerFailure::Rejected { reason, .. }) => reason.clone(),
        _ => None,
    }
}

#[test]
fn mschapv2_password_prompted_once_and_never_again_on_rekeys() {
    let (mut sim, _) = eap_sim(vec![ServerMethod::MsChapV2], BAD, 11);
    sim.answers.push_back(secret(PASSWORD));
    run_established(&mut sim);
    assert_eq!(prompts(&sim), vec![PromptKind::Password]);
    // Child and IKE rekeys reuse the authenticated IKE SA: no prompt.
    let old = sim.ini.current().child_spis()[0];
    let now = sim.now;
    sim.ini.current_mut().rekey_child(now, old);
    assert!(
        sim.run_until(Duration::from_secs(120), |s| Sim::child_ups(&s.ini_events)
            .len()
            == 2)
    );
    let now = sim.now;
    sim.ini.current_mut().rekey_ike(now);
    assert!(sim.run_until(Duration::from_secs(120), |s| s
        .ini_events
        .iter()
        .any(|e| matches!(e, Event::IkeRekeyed(_)))));
    assert_eq!(
        prompts(&sim),
        vec![PromptKind::Password],
        "rekeys never prompt"
    );
    assert!(closed(&sim.ini_events).is_none());
}

#[test]
fn mschapv2_then_gtc_code_in_one_conversation() {
    let (mut sim, dir) = eap_sim(vec![ServerMethod::MsChapV2, ServerMethod::GtcOtp], BAD, 12);
    sim.answers.push_back(secret(PASSWORD));
    sim.answers.push_back(secret(CODE));
    run_established(&mut sim);
    assert_eq!(prompts(&sim), vec![PromptKind::Password, PromptKind::Otp]);
    assert_eq!(
        *dir.otp_checks.lock().unwrap(),
        vec![CODE.to_string()],
        "one check despite loss"
    );
}

#[test]
fn certificate_then_mschapv2_then_code_in_three_rounds() {
    let (mut c, mut r) = cert_configs(
        SUITE.0,
        SUITE.1,
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &rcgen::PKCS_ECDSA_P256_SHA256,
    );
    c.extra_auth = vec![eap_peer(None), eap_peer(None)];
    let dir = Arc::new(TestDirectory::default());
    r.peers[0].extra = vec![
        PeerAuth::Eap(vec![ServerMethod::MsChapV2]),
        PeerAuth::Eap(vec![ServerMethod::GtcOtp]),
    ];
    r.eap_directory = Some(dir.clone());
    let mut sim = Sim::new(c, r, BAD, 13);
    sim.answers.push_back(secret(PASSWORD));
    sim.answers.push_back(secret(CODE));
    run_established(&mut sim);
    assert_eq!(prompts(&sim), vec![PromptKind::Password, PromptKind::Otp]);
}

#[test]
fn second_round_is_required_when_the_gateway_says_so() {
    // The user must pass certificate + EAP; a client offering only the
    // certificate is refused.
    let (c, mut r) = cert_configs(
        SUITE.0,
        SUITE.1,
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &rcgen::PKCS_ECDSA_P256_SHA256,
    );
    r.peers[0].extra = vec![PeerAuth::Eap(vec![ServerMethod::MsChapV2])];
    r.eap_directory = Some(Arc::new(TestDirectory::default()));
    let mut sim = Sim::new(c, r, CLEAN, 14);
    let reason = run_closed(&mut sim);
    assert!(
        matches!(reason, CloseReason::AuthenticationFailed(_)),
        "{reason:?}"
    );
}

#[test]
fn eap_only_offered_with_mschapv2_still_needs_the_gateway_auth() {
    // RFC 5998 4: MSCHAPv2 falls to dictionary attacks, so it is no "safe"
    // method: the gateway still signs, and the client checks it.
    let (mut c, mut r) = configs(SUITE.0, SUITE.1);
    c.local_auth = eap_peer(Some(PASSWORD));
    c.eap_only = true;
    c.peer_auth = Some(PeerAuth::Psk(ibex_ike::crypto::Secret::from_slice(PSK)));
    r.peers[0].auth = PeerAuth::Eap(vec![ServerMethod::MsChapV2]);
    r.eap_directory = Some(Arc::new(TestDirectory::default()));
    let mut sim = Sim::new(c, r, CLEAN, 15);
    run_established(&mut sim);
    assert!(prompts(&sim).is_empty(), "the stored password is used");
}

/// DER certificate and PKCS#8 key of `name`, issued by `ca`.
fn tls_leaf(
    ca: &rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
    name: &str,
) -> (Vec<u8>, Vec<u8>) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
    p.distinguished_name.push(rcgen::DnType::CommonName, name);
    let cert = p.signed_by(&key, ca).unwrap();
    (cert.der().to_vec(), key.serialize_der())
}

#[test]
fn eap_only_with_eap_tls_authenticates_the_gateway_inside_tls() {
    use ibex_ike::eap::{TlsClientConfig, TlsServerConfig};
    let mut ca_params = rcgen::CertificateParams::default();
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Ibex EAP-TLS CA");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = rcgen::CertifiedIssuer::self_signed(
        ca_params,
        rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
    )
    .unwrap();
    let (gw_cert, gw_key) = tls_leaf(&ca, "gw.ibex.test");
    let (cli_cert, cli_key) = tls_leaf(&ca, "client.ibex.test");
    let (mut c, mut r) = configs(SUITE.0, SUITE.1);
    c.local_auth = LocalAuth::Eap(PeerConfig {
        identity: "client.ibex.test".into(),
        tls: Some(TlsClientConfig {
            cert_chain: vec![cli_cert],
            key: EapSecret::new(cli_key),
            ca_certs: vec![ca.der().to_vec()],
            server_name: Some("gw.ibex.test".into()),
            ..Default::default()
        }),
        ..Default::default()
    });
    c.eap_only = true;
    // No PSK, no CA for the IKE AUTH: only EAP-TLS can prove the gateway.
    c.peer_auth = None;
    r.peers[0].auth = PeerAuth::Eap(vec![ServerMethod::Tls]);
    r.eap_directory = Some(Arc::new(TestDirectory::default()));
    r.eap_only = true;
    r.eap_tls = Some(Arc::new(TlsServerConfig {
        cert_chain: vec![gw_cert],
        key: EapSecret::new(gw_key),
        client_cas: vec![ca.der().to_vec()],
        ..Default::default()
    }));
    let mut sim = Sim::new(c, r, BAD, 31);
    run_established(&mut sim);
    assert!(prompts(&sim).is_empty());
}

#[test]
fn eap_only_with_a_method_that_cannot_prove_the_gateway_fails() {
    let (mut c, mut r) = configs(SUITE.0, SUITE.1);
    c.local_auth = eap_peer(None);
    c.eap_only = true;
    c.peer_auth = None;
    r.peers[0].auth = PeerAuth::Eap(vec![ServerMethod::GtcOtp]);
    r.eap_directory = Some(Arc::new(TestDirectory::default()));
    let mut sim = Sim::new(c, r, CLEAN, 16);
    sim.answers.push_back(secret(CODE));
    let reason = run_closed(&mut sim);
    assert!(
        matches!(reason, CloseReason::AuthenticationFailed(_)),
        "{reason:?}"
    );
}

#[test]
fn wrong_password_is_reported_as_such() {
    let (mut sim, dir) = eap_sim(vec![ServerMethod::MsChapV2], CLEAN, 17);
    sim.answers.push_back(secret("wrong"));
    let reason = run_closed(&mut sim);
    assert!(
        matches!(reason, CloseReason::Eap(PeerFailure::WrongPassword(_))),
        "{reason:?}"
    );
    assert_eq!(*dir.failures.lock().unwrap(), 1);
}

#[test]
fn wrong_skewed_and_replayed_codes_have_their_reasons() {
    let (mut sim, _) = eap_sim(vec![ServerMethod::GtcOtp], CLEAN, 18);
    sim.answers.push_back(secret("000000"));
    assert_eq!(
        rejected_reason(&run_closed(&mut sim)).as_deref(),
        Some("otp-wrong")
    );

    let (mut sim, _) = eap_sim(vec![ServerMethod::GtcOtp], CLEAN, 19);
    sim.answers.push_back(secret("111111"));
    assert_eq!(
        rejected_reason(&run_closed(&mut sim)).as_deref(),
        Some("otp-skew:-3")
    );

    // The same directory across two sign-ins: the second use of a code is a replay.
    let (mut sim, dir) = eap_sim(vec![ServerMethod::GtcOtp], CLEAN, 20);
    sim.answers.push_back(secret(CODE));
    run_established(&mut sim);
    let (mut c, mut r) = configs(SUITE.0, SUITE.1);
    c.local_auth = eap_peer(None);
    c.peer_auth = Some(PeerAuth::Psk(ibex_ike::crypto::Secret::from_slice(PSK)));
    r.peers[0].auth = PeerAuth::Eap(vec![ServerMethod::GtcOtp]);
    r.eap_directory = Some(dir);
    let mut sim = Sim::new(c, r, CLEAN, 21);
    sim.answers.push_back(secret(CODE));
    assert_eq!(
        rejected_reason(&run_closed(&mut sim)).as_deref(),
        Some("otp-replayed")
    );
}

#[test]
fn lockout_after_repeated_failures() {
    let dir = Arc::new(TestDirectory::default());
    *dir.failures.lock().unwrap() = 3;
    let (mut c, mut r) = configs(SUITE.0, SUITE.1);
    c.local_auth = eap_peer(None);
    c.peer_auth = Some(PeerAuth::Psk(ibex_ike::crypto::Secret::from_slice(PSK)));
    r.peers[0].auth = PeerAuth::Eap(vec![ServerMethod::GtcOtp]);
    r.eap_directory = Some(dir);
    let mut sim = Sim::new(c, r, CLEAN, 22);
    let reason = run_closed(&mut sim);
    assert!(
        rejected_reason(&reason).is_some_and(|r| r.starts_with("locked-out")),
        "{reason:?}"
    );
    assert!(prompts(&sim).is_empty(), "no prompt while locked out");
}

#[test]
fn cancelled_prompt_ends_the_attempt() {
    let (mut sim, _) = eap_sim(vec![ServerMethod::GtcOtp], CLEAN, 23);
    sim.answers.push_back(Answer::Cancel);
    let reason = run_closed(&mut sim);
    assert_eq!(reason, CloseReason::Eap(PeerFailure::Cancelled));
}

/// Sends of the initiator's datagrams that repeat an earlier one exactly.
fn identical_resends(sim: &Sim) -> usize {
    let mut n = 0;
    for (i, d) in sim.ini_sent.iter().enumerate() {
        if sim.ini_sent[..i].contains(d) {
            n += 1;
        }
    }
    n
}

#[test]
fn push_approved_while_the_initiator_retransmits() {
    let (mut sim, dir) = eap_sim(vec![ServerMethod::Push], BAD, 24);
    // Wait 50 s (no approval yet): the initiator keeps retransmitting the same request.
    assert!(!sim.run_until(Duration::from_secs(50), |s| s.established()));
    let push: Vec<_> = sim
        .ini_events
        .iter()
        .filter_map(|e| match e {
            Event::Prompt(p) if p.kind == PromptKind::Push => Some(p.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(push.len(), 1, "{:?}", names(&sim.ini_events));
    assert_eq!(push[0].number, Some(42));
    assert!(closed(&sim.ini_events).is_none());
    assert!(
        identical_resends(&sim) >= 4,
        "resent {}",
        identical_resends(&sim)
    );
    *dir.push.lock().unwrap() = Some(PushState::Approved);
    run_established(&mut sim);
    assert_eq!(
        *dir.pushes.lock().unwrap(),
        1,
        "retransmissions never push twice"
    );
}

#[test]
fn push_denied_and_expired() {
    for (state, reason) in [
        (PushState::Denied, "push-denied"),
        (PushState::Expired, "push-expired"),
    ] {
        let (mut sim, dir) = eap_sim(vec![ServerMethod::Push], BAD, 25);
        assert!(!sim.run_until(Duration::from_secs(20), |s| s.established()));
        *dir.push.lock().unwrap() = Some(state);
        assert_eq!(
            rejected_reason(&run_closed(&mut sim)).as_deref(),
            Some(reason)
        );
    }
}

#[test]
fn push_never_answered_times_out_on_both_sides() {
    let (mut sim, _) = eap_sim(vec![ServerMethod::Push], CLEAN, 26);
    let reason = run_closed(&mut sim);
    assert_eq!(reason, CloseReason::Timeout);
    assert!(
        sim.now - sim.start >= Duration::from_secs(90),
        "the initiator waited at least 90 s for the push"
    );
}

#[test]
fn fido2_eap_only_with_certificate_gateway() {
    let (mut c, mut r) = cert_configs(
        SUITE.0,
        SUITE.1,
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &rcgen::PKCS_ECDSA_P256_SHA256,
    );
    c.local_auth = eap_peer(None);
    let dir = Arc::new(TestDirectory::default());
    r.peers = vec![PeerEntry {
        id: ibex_ike::Identity::parse("client.ibex.test"),
        auth: PeerAuth::Eap(vec![ServerMethod::Fido2]),
        extra: vec![],
    }];
    r.eap_directory = Some(dir.clone());
    let mut sim = Sim::new(c, r, BAD, 27);
    assert!(sim.run_until(Duration::from_secs(30), |s| prompts(s)
        .contains(&PromptKind::Fido2)));
    // The "security key" signs whatever challenge the client computed.
    let req = sim
        .ini_events
        .iter()
        .find_map(|e| match e {
            Event::Prompt(p) => p.fido.clone(),
            _ => None,
        })
        .expect("a FIDO2 prompt");
    assert_eq!(req.rp_id, "vpn.example.test");
    sim.ini.answer(
        sim.now,
        Answer::Fido(FidoAssertion {
            credential_id: b"cred-1".to_vec(),
            authenticator_data: vec![0; 37],
            client_data_json: req.challenge.clone(),
            signature: vec![1; 64],
            user_handle: None,
        }),
    );
    run_established(&mut sim);
}

/// A person answers after the gateway dropped the half-built SA: the gateway
/// answers INVALID_IKE_SPI and the initiator ends at once with a reason the
/// daemon retries on, instead of retransmitting for minutes.
#[test]
fn late_answer_after_the_gateway_gave_up_ends_at_once() {
    let (mut sim, _dir) = eap_sim_with(vec![ServerMethod::MsChapV2], CLEAN, 21, |r| {
        r.eap_step_timeout = Duration::from_secs(5);
    });
    // Nobody answers the password prompt for a while.
    sim.run_until(Duration::from_secs(12), |_| false);
    assert_eq!(prompts(&sim), vec![PromptKind::Password]);
    assert!(sim.resp.session_ids().is_empty(), "the gateway dropped it");
    let answered = sim.now;
    sim.ini.answer(answered, secret(PASSWORD));
    assert_eq!(run_closed(&mut sim), CloseReason::SignInExpired);
    assert!(
        sim.now.duration_since(answered) < Duration::from_secs(2),
        "ended after {:?}",
        sim.now.duration_since(answered)
    );
}
