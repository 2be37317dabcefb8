//! EAP interop (RFC 7296 2.16): Ibex against strongSwan 5.9.8 charon and FreeRADIUS 3.2.1.
//!
//! * Ibex initiator, EAP-MSCHAPv2 against a charon gateway that signs with its RSA
//!   certificate (charon asks for the EAP identity, checks the password from its
//!   `secrets`, both sides derive the MSK and sign AUTH with it);
//! * the same with a wrong password: a clean failure on both sides;
//! * Ibex initiator, certificate round then EAP-MSCHAPv2 round (RFC 4739: charon
//!   `remote` + `remote2`);
//! * Ibex initiator, EAP-GTC with a TOTP code (RFC 6238, computed by the test), relayed
//!   by charon's eap-radius to a FreeRADIUS (`rlm_totp`) in the gateway namespace; no
//!   MSK, so both AUTH payloads are made with SK_pi/SK_pr; and a wrong code;
//! * charon as EAP-MSCHAPv2 client against the Ibex responder (driver with a user table),
//!   EAP only and after a certificate round, and a wrong password. These found two
//!   responder bugs, now fixed: the responder left out its AUTH for MSCHAPv2 when
//!   charon offered EAP-only (RFC 5998 4 allows that only for safe methods such as
//!   EAP-TLS), and it announced MULTIPLE_AUTH_SUPPORTED only when the initiator did;
//! * EAP-TLS (RFC 5216) both ways: the Ibex initiator with a client certificate against
//!   a charon gateway (gateway signing IKE_AUTH, and gateway authenticated by EAP-TLS
//!   alone, RFC 5998), a charon EAP-TLS client against the Ibex responder (which leaves
//!   out its AUTH since charon offers EAP-only and EAP-TLS is mutual; a charon that
//!   insists on a gateway signature refuses that), and client certificates from an
//!   untrusted CA refused on both sides. TLS 1.2 only: strongSwan 5.9.8 negotiates TLS
//!   1.3 for EAP-TLS only with `charon.tls.version_max = 1.3`, and then speaks the
//!   pre-RFC 9190 draft (MSK label `client EAP encryption` without context, no protected
//!   success indication; RFC 9190 came in 5.9.10), so TLS 1.3 cannot interoperate: Ibex
//!   refuses such a gateway's early EAP-Success, and Ibex restricted to TLS 1.2 works
//!   with a 1.3-enabled charon in both roles.
//!
//! Every test checks that no password or code reaches the driver's output.

use std::time::{Duration, Instant};

use ibex_e2e::driver::{
    prompt_text, Driver, DriverAuth, DriverConfig, DriverEap, DriverEapServer, DriverEapTls,
    DriverEapTlsServer, DriverEapUser, DriverTlsVersions, Event,
};
use ibex_e2e::netns::Topology;
use ibex_e2e::pki::{KeyKind, TestPki, CLIENT_ID, GW_ID};
use ibex_e2e::prereq::{in_ci, require, Prereq};
use ibex_e2e::radius::{self, Radius, RadiusConf, RadiusUser};
use ibex_e2e::strongswan::{
    check_plugins, proof, Auth, Charon, CharonConf, EapBackend, EapMethod, Role, Suite, CHILD,
    SUITES,
};
use ibex_e2e::wait_until;

use super::ike::{
    charon_conf, check_events, check_spis_agree, driver_bin, driver_conf, established, Side, T,
    T_LOG,
};

const SUITE: &Suite = &SUITES[0];
/// EAP identity of the MSCHAPv2 user (charon's `secrets`, Ibex's user table).
const EAP_USER: &str = "carol";
const EAP_PASSWORD: &str = "carol-Passw0rd-e2e-7f3a";
const WRONG_PASSWORD: &str = "carol-Passw0rd-e2e-WRONG";
/// IKE identity (IDi) of the Ibex client signing in with EAP only.
const CAROL_IKE_ID: &str = "carol@ibex.test";
/// The TOTP user in FreeRADIUS's users file, and its IKE identity.
const TOTP_USER: &str = "alice";
const ALICE_IKE_ID: &str = "alice@ibex.test";
/// Raw TOTP key (20 bytes, as RFC 6238 suggests for SHA-1).
const TOTP_KEY: &[u8] = b"ibex-e2e-totp-key-20";
const RADIUS_SECRET: &str = "ibex-e2e-radius-0123456789abcdef";

/// The interop prerequisites, the EAP plugins and (for `radius`) FreeRADIUS; the same
/// policy as [`require`]: with CI=true a missing piece fails the test loudly.
fn prereqs(radius: bool) -> bool {
    prereqs_with(if radius {
        &["eap-identity", "eap-radius"]
    } else {
        &["eap-identity", "eap-mschapv2"]
    })
}

/// [`prereqs`] for EAP-TLS (`eap-tls` plugin, libcharon-extra-plugins).
fn prereqs_tls() -> bool {
    prereqs_with(&["eap-identity", "eap-tls"])
}

/// The interop prerequisites and these charon `plugins` (FreeRADIUS too with
/// `eap-radius`).
fn prereqs_with(plugins: &[&str]) -> bool {
    let radius = plugins.contains(&"eap-radius");
    if !require(&[
        Prereq::Root,
        Prereq::Netns,
        Prereq::Tun,
        Prereq::StrongSwan,
        Prereq::Pki,
    ]) {
        return false;
    }
    let mut missing = Vec::new();
    if let Err(e) = check_plugins(plugins) {
        missing.push(e);
    }
    if radius {
        if let Err(e) = radius::check() {
            missing.push(e);
        }
    }
    if missing.is_empty() {
        return true;
    }
    let reason = missing.join("; ");
    if in_ci() {
        panic!(
            "\n\n*** PREREQUISITE MISSING (CI=true, refusing to skip) ***\n*** {reason}\n\
             *** packages: scripts/install-deps.sh ***\n"
        );
    }
    println!("SKIP: {reason}");
    false
}

/// A charon gateway and an Ibex initiator. Field order = drop order.
#[allow(dead_code)] // kept alive until drop
struct GwRun {
    driver: Driver,
    charon: Charon,
    radius: Option<Radius>,
    topo: Topology,
    t0: Instant,
}

/// Start FreeRADIUS (if given) and charon in the gateway namespace, then the Ibex
/// initiator with `auth` + `eap` as `local_id`.
fn gateway_and_ibex(
    gw_auth: Auth,
    gw_remote_id: &str,
    auth: DriverAuth,
    local_id: &str,
    eap: DriverEap,
    radius: Option<RadiusConf>,
) -> GwRun {
    gateway_and_ibex_with(gw_auth, gw_remote_id, auth, local_id, eap, radius, |_| {})
}

/// [`gateway_and_ibex`] with `tweak` applied to charon's connection (TLS settings).
fn gateway_and_ibex_with(
    gw_auth: Auth,
    gw_remote_id: &str,
    auth: DriverAuth,
    local_id: &str,
    eap: DriverEap,
    radius: Option<RadiusConf>,
    tweak: impl FnOnce(&mut CharonConf),
) -> GwRun {
    let t0 = Instant::now();
    let topo = Topology::new();
    let radius = radius.map(|c| Radius::start(&topo.responder, &c));
    let mut conf = charon_conf(Side::Gw, SUITE, gw_auth);
    conf.remote_id = gw_remote_id.into();
    tweak(&mut conf);
    let charon = Charon::start(&topo.responder, Role::Responder, &conf);
    let mut cfg: DriverConfig = driver_conf(Side::Client, SUITE, auth, vec![], 15_000);
    cfg.local_id = local_id.into();
    cfg.eap = Some(eap);
    let driver = Driver::spawn(&driver_bin(), &topo.initiator, &cfg);
    GwRun {
        driver,
        charon,
        radius,
        topo,
        t0,
    }
}

fn gw_eap_auth(pki: &TestPki, backend: EapBackend, cert_round_first: bool) -> Auth {
    let set = pki.set(KeyKind::Rsa);
    Auth::EapGateway {
        cert: set.gw.cert_pem.clone(),
        key: set.gw.key_pem.clone(),
        ca: set.ca.cert_pem.clone(),
        backend,
        cert_round_first,
    }
}

fn mschap_users(password: &str) -> EapBackend {
    EapBackend::MsChapV2 {
        users: vec![(EAP_USER.into(), password.into())],
    }
}

fn ca_only(pki: &TestPki) -> DriverAuth {
    DriverAuth::Ca {
        ca: pki.set(KeyKind::Rsa).ca.cert_pem.clone(),
    }
}

fn ev(d: &Driver, kind: &str) -> Event {
    d.wait_event(kind, T).unwrap_or_else(|e| panic!("{e}"))
}

/// The `prompt` events so far.
fn prompts(d: &Driver) -> Vec<Event> {
    d.events()
        .into_iter()
        .filter(|e| e.kind == "prompt")
        .collect()
}

/// Exactly one prompt was shown, of this kind and method, and it was answered.
fn assert_one_prompt(d: &Driver, kind: &str, method: &str) -> Event {
    let p = prompts(d);
    assert_eq!(
        p.len(),
        1,
        "expected exactly one prompt, got:\n{}",
        d.lines().join("\n")
    );
    let e = p[0].clone();
    assert_eq!(
        (e.field("kind"), e.field("method"), e.field("answered")),
        (Some(kind), Some(method), Some("yes")),
        "{}",
        e.raw
    );
    assert!(
        d.events().iter().any(|e| e.kind == "prompt_closed"),
        "the answered prompt was never closed:\n{}",
        d.lines().join("\n")
    );
    e
}

/// No secret appears in the driver's stdout (EVENT lines) or stderr (its debug log).
/// `stdout_only` are checked on stdout only (short codes could match hex dumps in the
/// debug log by chance).
fn assert_no_secrets(d: &Driver, everywhere: &[&str], stdout_only: &[&str]) {
    let out = d.lines().join("\n");
    let err = std::fs::read_to_string(d.dir().join("driver.stderr")).unwrap_or_default();
    for s in everywhere.iter().chain(stdout_only) {
        assert!(!out.contains(s), "a secret is in the driver's stdout");
    }
    for s in everywhere {
        assert!(!err.contains(s), "a secret is in the driver's stderr log");
    }
}

/// Ibex (initiator) reports the SAs up with a virtual IP; charon shows `extra` proof lines
/// besides IKE/CHILD established and the virtual IP; SPIs agree.
fn assert_up(run: &GwRun, extra: &[String]) -> (Event, Event) {
    let ike_up = ev(&run.driver, "ike_up");
    let child_up = ev(&run.driver, "child_up");
    println!("    ibex:   {}\n    ibex:   {}", ike_up.raw, child_up.raw);
    check_events(&ike_up, &child_up, SUITE);
    assert_eq!(ike_up.field("peer"), Some(GW_ID), "{}", ike_up.raw);
    assert!(
        child_up
            .field("vip")
            .is_some_and(|v| v.starts_with("10.99.10.")),
        "Ibex got no virtual IP from the pool: {}",
        child_up.raw
    );
    let mut res = vec![
        proof::IKE_ESTABLISHED.to_string(),
        proof::CHILD_ESTABLISHED.to_string(),
        proof::VIP_ASSIGNED.to_string(),
    ];
    res.extend(extra.iter().cloned());
    let res: Vec<&str> = res.iter().map(String::as_str).collect();
    for l in run.charon.assert_log(&res, T_LOG) {
        println!("    charon: {l}");
    }
    check_spis_agree(&run.charon, &ike_up, &child_up);
    (ike_up, child_up)
}

/// Ibex (initiator) closed with an EAP failure: returns (`eap_failed`, `closed`), checks
/// that no SA came up and that the driver exited with status 1.
fn assert_eap_failed(run: &mut GwRun) -> (Event, Event) {
    let closed = ev(&run.driver, "closed");
    let failed = run
        .driver
        .events()
        .into_iter()
        .find(|e| e.kind == "eap_failed")
        .unwrap_or_else(|| {
            panic!(
                "closed without an EAP failure (CloseReason::Eap expected):\n{}",
                run.driver.lines().join("\n")
            )
        });
    println!("    ibex:   {}\n    ibex:   {}", failed.raw, closed.raw);
    assert!(
        closed.rest.contains("sign-in failed"),
        "closed reason is not CloseReason::Eap: {}",
        closed.raw
    );
    let evs = run.driver.events();
    assert!(
        !evs.iter()
            .any(|e| e.kind == "ike_up" || e.kind == "child_up"),
        "an SA came up despite the EAP failure:\n{}",
        run.driver.lines().join("\n")
    );
    let st = run
        .driver
        .wait_exit(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(st.code(), Some(1), "driver exit status {st}");
    (failed, closed)
}

/// charon never established an IKE SA.
fn assert_charon_not_established(ch: &Charon) {
    let up = ch.log_matches(proof::IKE_ESTABLISHED);
    assert!(up.is_empty(), "charon established an IKE SA: {up:?}");
    let sas = ch.sas();
    assert!(
        !sas.iter().any(|s| s.state == "ESTABLISHED"),
        "charon lists an established SA: {sas:?}"
    );
}

// --------------------------------------------------------- Ibex initiator -> charon gateway

/// EAP-MSCHAPv2 as the only client authentication; the gateway signs with its certificate.
/// charon asks for the EAP identity (Ibex answers `carol`), checks the NT response, both
/// derive the MSK; Ibex prompts once for the password and verifies the gateway's `S=`.
#[test]
fn ibex_initiator_eap_mschapv2() {
    if !prereqs(false) {
        return;
    }
    let pki = TestPki::generate();
    let run = gateway_and_ibex(
        gw_eap_auth(&pki, mschap_users(EAP_PASSWORD), false),
        CAROL_IKE_ID,
        ca_only(&pki),
        CAROL_IKE_ID,
        DriverEap::new(EAP_USER, &[EAP_PASSWORD]),
        None,
    );
    assert_up(
        &run,
        &[
            proof::eap_identity(EAP_USER),
            proof::eap_method_succeeded("EAP_MSCHAPV2", true),
            proof::eap_auth(CAROL_IKE_ID),
        ],
    );
    let p = assert_one_prompt(&run.driver, "password", "mschapv2");
    println!("    ibex:   {}", p.raw);
    assert_no_secrets(&run.driver, &[EAP_PASSWORD], &[]);
    println!("    done in {:?}", run.t0.elapsed());
}

/// A wrong password: charon's MSCHAPv2 server fails (E=691), Ibex answers the failure and
/// reports `PeerFailure::WrongPassword` when EAP-Failure arrives; nothing is established.
#[test]
fn ibex_initiator_eap_mschapv2_wrong_password() {
    if !prereqs(false) {
        return;
    }
    let pki = TestPki::generate();
    let mut run = gateway_and_ibex(
        gw_eap_auth(&pki, mschap_users(EAP_PASSWORD), false),
        CAROL_IKE_ID,
        ca_only(&pki),
        CAROL_IKE_ID,
        DriverEap::new(EAP_USER, &[WRONG_PASSWORD]),
        None,
    );
    let (failed, _) = assert_eap_failed(&mut run);
    assert_eq!(
        failed.field("kind"),
        Some("WrongPassword"),
        "{}",
        failed.raw
    );
    assert_one_prompt(&run.driver, "password", "mschapv2");
    for l in run.charon.assert_log(
        &[
            &proof::eap_identity(EAP_USER),
            &proof::eap_method_failed("EAP_MSCHAPV2"),
        ],
        T_LOG,
    ) {
        println!("    charon: {l}");
    }
    assert_charon_not_established(&run.charon);
    assert_no_secrets(&run.driver, &[EAP_PASSWORD, WRONG_PASSWORD], &[]);
    println!("    done in {:?}", run.t0.elapsed());
}

/// RFC 4739: a certificate round (`remote`, RSA signature), then an EAP-MSCHAPv2 round
/// (`remote2`) whose IDi is the EAP identity.
#[test]
fn ibex_initiator_cert_then_eap_mschapv2() {
    if !prereqs(false) {
        return;
    }
    let pki = TestPki::generate();
    let set = pki.set(KeyKind::Rsa);
    let run = gateway_and_ibex(
        gw_eap_auth(&pki, mschap_users(EAP_PASSWORD), true),
        CLIENT_ID,
        DriverAuth::Cert {
            cert: set.client.cert_pem.clone(),
            key: set.client.key_pk8_pem.clone(),
            ca: set.ca.cert_pem.clone(),
        },
        CLIENT_ID,
        DriverEap::new(EAP_USER, &[EAP_PASSWORD]),
        None,
    );
    assert_up(
        &run,
        &[
            proof::rsa_auth(CLIENT_ID),
            proof::AUTH_FOLLOWS.to_string(),
            proof::eap_identity(EAP_USER),
            proof::eap_method_succeeded("EAP_MSCHAPV2", true),
            proof::eap_auth(EAP_USER),
        ],
    );
    // the certificate round came first
    let log = run.charon.log();
    let pos = |re: &str| {
        let rx = regex::Regex::new(re).unwrap();
        log.lines().position(|l| rx.is_match(l)).unwrap()
    };
    assert!(
        pos(&proof::rsa_auth(CLIENT_ID)) < pos(&proof::eap_auth(EAP_USER)),
        "charon checked the EAP round before the certificate round"
    );
    assert_one_prompt(&run.driver, "password", "mschapv2");
    assert_no_secrets(&run.driver, &[EAP_PASSWORD], &[]);
    println!("    done in {:?}", run.t0.elapsed());
}

fn radius_conf() -> RadiusConf {
    RadiusConf::loopback(
        RADIUS_SECRET,
        vec![RadiusUser {
            name: TOTP_USER.into(),
            totp_key: TOTP_KEY.to_vec(),
        }],
    )
}

fn radius_backend() -> EapBackend {
    EapBackend::Radius {
        address: "127.0.0.1".into(),
        port: 1812,
        secret: RADIUS_SECRET.into(),
    }
}

/// EAP-GTC with the current TOTP code, relayed by charon's eap-radius to FreeRADIUS
/// (`rlm_totp`). Ibex shows a one-time-code prompt; GTC has no MSK, so both AUTH payloads
/// after EAP are computed with SK_pi/SK_pr.
#[test]
fn ibex_initiator_eap_gtc_totp_radius() {
    if !prereqs(true) {
        return;
    }
    let pki = TestPki::generate();
    // computed right before the driver starts; rlm_totp also accepts the previous step
    let code = radius::totp_now(TOTP_KEY);
    let run = gateway_and_ibex(
        gw_eap_auth(&pki, radius_backend(), false),
        ALICE_IKE_ID,
        ca_only(&pki),
        ALICE_IKE_ID,
        DriverEap::new(TOTP_USER, &[&code]),
        Some(radius_conf()),
    );
    assert_up(
        &run,
        &[
            proof::eap_identity(TOTP_USER),
            proof::RADIUS_CHALLENGE.to_string(),
            proof::radius_auth_ok(TOTP_USER),
            proof::eap_method_succeeded("EAP_GTC", false),
            proof::eap_auth(ALICE_IKE_ID),
        ],
    );
    let p = assert_one_prompt(&run.driver, "otp", "gtc");
    println!("    ibex:   {}", p.raw);
    assert_eq!(prompt_text(&p), Some("OTP:"), "FreeRADIUS's GTC challenge");
    let radius = run.radius.as_ref().expect("radius");
    let ok = radius
        .wait_log(&radius::proof::login_ok(TOTP_USER), T_LOG)
        .unwrap_or_else(|e| panic!("{e}"));
    println!("    radius: {ok}");
    assert_no_secrets(&run.driver, &[], &[&code]);
    println!("    done in {:?}", run.t0.elapsed());
}

/// A wrong TOTP code: FreeRADIUS rejects, charon relays EAP-Failure, Ibex closes with a
/// clean EAP failure (`CloseReason::Eap`); nothing is established.
#[test]
fn ibex_initiator_eap_gtc_wrong_totp_radius() {
    if !prereqs(true) {
        return;
    }
    let pki = TestPki::generate();
    let wrong = radius::wrong_totp(TOTP_KEY);
    let mut run = gateway_and_ibex(
        gw_eap_auth(&pki, radius_backend(), false),
        ALICE_IKE_ID,
        ca_only(&pki),
        ALICE_IKE_ID,
        DriverEap::new(TOTP_USER, &[&wrong]),
        Some(radius_conf()),
    );
    let (failed, _) = assert_eap_failed(&mut run);
    assert_eq!(failed.field("kind"), Some("Rejected"), "{}", failed.raw);
    assert_one_prompt(&run.driver, "otp", "gtc");
    for l in run.charon.assert_log(
        &[
            &proof::eap_identity(TOTP_USER),
            proof::RADIUS_REJECT,
            &proof::eap_method_failed("EAP_GTC"),
        ],
        T_LOG,
    ) {
        println!("    charon: {l}");
    }
    assert_charon_not_established(&run.charon);
    let radius = run.radius.as_ref().expect("radius");
    let bad = radius
        .wait_log(&radius::proof::login_incorrect(TOTP_USER), T_LOG)
        .unwrap_or_else(|e| panic!("{e}"));
    println!("    radius: {bad}");
    assert!(
        radius
            .log_matches(&radius::proof::login_ok(TOTP_USER))
            .is_empty(),
        "FreeRADIUS accepted the wrong code"
    );
    assert_no_secrets(&run.driver, &[], &[&wrong]);
    println!("    done in {:?}", run.t0.elapsed());
}

// -------------------------------------------------------- charon client -> Ibex responder

/// A charon client and the Ibex responder. Field order = drop order.
#[allow(dead_code)] // kept alive until drop
struct RespRun {
    charon: Charon,
    driver: Driver,
    topo: Topology,
    t0: Instant,
    /// `swanctl --initiate` result.
    initiated: Result<String, String>,
}

/// How the charon client signs in to the Ibex responder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientRounds {
    /// EAP-MSCHAPv2 only (IDi = EAP identity `carol`).
    EapOnly,
    /// RSA certificate as `client.ibex.test`, then EAP-MSCHAPv2 with IDi `carol`.
    CertThenEap,
}

/// The Ibex responder (RSA certificate, user table with `carol`/[`EAP_PASSWORD`]) and a
/// charon client signing in as `carol` with EAP-MSCHAPv2 and `client_password`.
fn charon_client_to_ibex(rounds: ClientRounds, client_password: &str) -> RespRun {
    let t0 = Instant::now();
    let pki = TestPki::generate();
    let set = pki.set(KeyKind::Rsa);
    let topo = Topology::new();
    let mut cfg = driver_conf(
        Side::Gw,
        SUITE,
        DriverAuth::Cert {
            cert: set.gw.cert_pem.clone(),
            key: set.gw.key_pk8_pem.clone(),
            ca: set.ca.cert_pem.clone(),
        },
        vec![],
        20_000,
    );
    // the user table is keyed by the IDi of the EAP round: Ibex's EAP server sends no
    // EAP-Identity request, so charon's MSCHAPv2 names itself by that IDi too
    if rounds == ClientRounds::EapOnly {
        cfg.remote_id = EAP_USER.into();
    }
    cfg.eap_server = Some(DriverEapServer {
        methods: vec!["mschapv2".into()],
        users: vec![DriverEapUser {
            name: EAP_USER.into(),
            password: EAP_PASSWORD.into(),
            otp: vec![],
        }],
        after_auth: rounds == ClientRounds::CertThenEap,
        eap_only: false,
        tls: None,
    });
    let driver = Driver::spawn(&driver_bin(), &topo.responder, &cfg);
    assert!(
        topo.responder.wait_udp_port(500, Duration::from_secs(10)),
        "Ibex responder is not listening on UDP 500\n{}",
        driver.stderr_tail(40)
    );
    let mut conf = charon_conf(
        Side::Client,
        SUITE,
        Auth::EapClient {
            ca: set.ca.cert_pem.clone(),
            method: EapMethod::MsChapV2,
            eap_id: EAP_USER.into(),
            secret: client_password.into(),
            cert_round_first: (rounds == ClientRounds::CertThenEap)
                .then(|| (set.client.cert_pem.clone(), set.client.key_pem.clone())),
        },
    );
    if rounds == ClientRounds::EapOnly {
        conf.local_id = EAP_USER.into();
    }
    let charon = Charon::start(&topo.initiator, Role::Initiator, &conf);
    let initiated = charon.initiate(CHILD);
    drop(pki);
    RespRun {
        charon,
        driver,
        topo,
        t0,
        initiated,
    }
}

/// charon signed in: the SAs are up on both sides, the gateway's certificate and the
/// MSCHAPv2 round (with MSK) are in charon's log, SPIs agree, the directory recorded no
/// failure and the password is nowhere in the driver's output.
fn assert_client_up(run: &RespRun, rounds: ClientRounds) {
    if let Err(e) = &run.initiated {
        panic!("charon could not establish the SA with Ibex: {e}");
    }
    let ike_up = ev(&run.driver, "ike_up");
    let child_up = ev(&run.driver, "child_up");
    println!("    ibex:   {}\n    ibex:   {}", ike_up.raw, child_up.raw);
    check_events(&ike_up, &child_up, SUITE);
    let peer = match rounds {
        ClientRounds::EapOnly => EAP_USER,
        ClientRounds::CertThenEap => CLIENT_ID,
    };
    assert_eq!(ike_up.field("peer"), Some(peer), "{}", ike_up.raw);
    let mut res = vec![
        proof::IKE_ESTABLISHED.to_string(),
        proof::CHILD_ESTABLISHED.to_string(),
        proof::VIP_INSTALLED.to_string(),
        proof::rsa_auth(GW_ID),
        proof::eap_method_succeeded("EAP_MSCHAPV2", true),
    ];
    if rounds == ClientRounds::CertThenEap {
        res.push(proof::AUTH_FOLLOWS.to_string());
    }
    let res: Vec<&str> = res.iter().map(String::as_str).collect();
    for l in run.charon.assert_log(&res, T_LOG) {
        println!("    charon: {l}");
    }
    let (ike, child) = established(&run.charon);
    println!(
        "    charon --list-sas: {} {} / {} {} {}",
        ike.name, ike.state, child.name, child.state, child.proposal
    );
    check_spis_agree(&run.charon, &ike_up, &child_up);
    assert!(
        !run.driver
            .events()
            .iter()
            .any(|e| e.kind == "eap_directory_failure"),
        "the directory recorded a failure:\n{}",
        run.driver.lines().join("\n")
    );
    assert_no_secrets(&run.driver, &[EAP_PASSWORD], &[]);
}

/// charon with a wrong password: the Ibex responder's user table records the failure
/// (once), charon's MSCHAPv2 fails, no SA is established on either side.
fn assert_client_refused(run: &RespRun) {
    assert!(
        run.initiated.is_err(),
        "charon established an SA with a wrong password: {:?}",
        run.initiated
    );
    let f = ev(&run.driver, "eap_directory_failure");
    println!("    ibex:   {}", f.raw);
    assert_eq!(
        (f.field("user"), f.field("count")),
        (Some(EAP_USER), Some("1"))
    );
    for l in run.charon.assert_log(
        &[
            proof::MSCHAPV2_E691,
            &proof::eap_method_failed("EAP_MSCHAPV2"),
        ],
        T_LOG,
    ) {
        println!("    charon: {l}");
    }
    assert_charon_not_established(&run.charon);
    // give a late (wrong) success a moment to show up, then check there was none
    std::thread::sleep(Duration::from_millis(300));
    let evs = run.driver.events();
    assert!(
        !evs.iter()
            .any(|e| e.kind == "ike_up" || e.kind == "child_up"),
        "Ibex established an SA with a wrong password:\n{}",
        run.driver.lines().join("\n")
    );
    for e in evs.iter().filter(|e| e.kind == "closed") {
        println!("    ibex:   {}", e.raw);
    }
    assert_no_secrets(&run.driver, &[EAP_PASSWORD, WRONG_PASSWORD], &[]);
}

/// charon signs in with EAP-MSCHAPv2 only to the Ibex responder, which signs with its
/// RSA certificate and checks the NT response against its user table (NT hash computed
/// by the driver); both derive the MSK. Then the same with a wrong password.
#[test]
fn strongswan_client_eap_mschapv2_to_ibex() {
    if !prereqs(false) {
        return;
    }
    let run = charon_client_to_ibex(ClientRounds::EapOnly, EAP_PASSWORD);
    assert_client_up(&run, ClientRounds::EapOnly);
    println!("    up in {:?}", run.t0.elapsed());
    drop(run);
    let run = charon_client_to_ibex(ClientRounds::EapOnly, WRONG_PASSWORD);
    assert_client_refused(&run);
    println!("    refused in {:?}", run.t0.elapsed());
}

/// RFC 4739 the other way round: charon signs with its client certificate, then runs
/// EAP-MSCHAPv2 in a second round (IDi `carol`) against the Ibex responder's user table.
/// Then the same with a wrong password.
#[test]
fn strongswan_client_cert_then_eap_mschapv2_to_ibex() {
    if !prereqs(false) {
        return;
    }
    let run = charon_client_to_ibex(ClientRounds::CertThenEap, EAP_PASSWORD);
    assert_client_up(&run, ClientRounds::CertThenEap);
    println!("    up in {:?}", run.t0.elapsed());
    drop(run);
    let run = charon_client_to_ibex(ClientRounds::CertThenEap, WRONG_PASSWORD);
    assert_client_refused(&run);
    println!("    refused in {:?}", run.t0.elapsed());
}

// ------------------------------------------------------------------------------- EAP-TLS

/// The charon gateway with EAP-TLS clients: its RSA certificate for IKE and TLS, client
/// certificates checked against the RSA CA. `gateway_eap_only`: the gateway is
/// authenticated by EAP-TLS alone (`local { auth = eap-tls }`).
fn gw_tls_auth(pki: &TestPki, gateway_eap_only: bool) -> Auth {
    gw_eap_auth(pki, EapBackend::Tls { gateway_eap_only }, false)
}

/// The Ibex client signing in with EAP-TLS as [`CLIENT_ID`] (the IKE and EAP identity,
/// also the client certificate's CN and SAN DNS) with the `client_kind` client
/// certificate; the gateway's TLS certificate must chain to the RSA CA and name
/// [`GW_ID`] (the driver's `remote_id`).
fn ibex_tls(pki: &TestPki, client_kind: KeyKind, versions: DriverTlsVersions) -> DriverEap {
    let client = &pki.set(client_kind).client;
    DriverEap::tls(
        CLIENT_ID,
        DriverEapTls::new(
            &client.cert_pem,
            &client.key_pk8_pem,
            &pki.set(KeyKind::Rsa).ca.cert_pem,
            versions,
        ),
    )
}

/// The TLS version the driver's EAP-TLS side completed with (`Tls12`, `Tls13`), from its
/// debug log (`EAP-TLS: handshake complete version=Some(Tls12)`).
fn driver_tls_version(d: &Driver) -> Option<String> {
    let err = std::fs::read_to_string(d.dir().join("driver.stderr")).unwrap_or_default();
    let re = regex::Regex::new(r"EAP-TLS: handshake complete version=Some\((\w+)\)").unwrap();
    re.captures(&err).map(|c| c[1].to_string())
}

/// A line of the base64 body of each private key PEM: none may appear in the driver's
/// output (it only prints EVENT lines and a debug log).
fn key_lines(keys: &[&std::path::Path]) -> Vec<String> {
    keys.iter()
        .map(|k| {
            let pem = std::fs::read_to_string(k).expect("key PEM");
            pem.lines()
                .find(|l| l.len() >= 60 && !l.starts_with("-----"))
                .expect("PEM body")
                .to_string()
        })
        .collect()
}

fn assert_no_key_material(d: &Driver, keys: &[&std::path::Path]) {
    let lines = key_lines(keys);
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    assert_no_secrets(d, &refs, &[]);
}

/// Ibex (initiator) signs in with EAP-TLS only; the charon gateway signs IKE_AUTH with its
/// RSA certificate and serves TLS with the same certificate. Ibex offers TLS 1.3 and 1.2,
/// strongSwan 5.9.8 negotiates 1.2 (its default maximum for EAP); both derive the MSK
/// (RFC 5216) and sign their last AUTH with it. No prompt: the certificate is the
/// credential.
#[test]
fn ibex_initiator_eap_tls() {
    if !prereqs_tls() {
        return;
    }
    let pki = TestPki::generate();
    let run = gateway_and_ibex(
        gw_tls_auth(&pki, false),
        CLIENT_ID,
        ca_only(&pki),
        CLIENT_ID,
        ibex_tls(&pki, KeyKind::Rsa, DriverTlsVersions::All),
        None,
    );
    assert_up(
        &run,
        &[
            proof::eap_identity(CLIENT_ID),
            proof::TLS_PEER_CERT.to_string(),
            proof::tls_negotiated("1.2"),
            proof::eap_method_succeeded("EAP_TLS", true),
            proof::eap_auth(CLIENT_ID),
        ],
    );
    assert_eq!(
        driver_tls_version(&run.driver).as_deref(),
        Some("Tls12"),
        "{}",
        run.driver.stderr_tail(40)
    );
    assert!(prompts(&run.driver).is_empty(), "EAP-TLS prompted");
    let set = pki.set(KeyKind::Rsa);
    assert_no_key_material(&run.driver, &[&set.client.key_pk8_pem]);
    println!("    done in {:?}", run.t0.elapsed());
}

/// RFC 5998 the other way round: Ibex offers EAP-only and the charon gateway is set up to
/// authenticate by EAP-TLS alone (`local { auth = eap-tls }`): its first IKE_AUTH
/// response has no AUTH, Ibex accepts that only because it offered EAP-only, verifies
/// the gateway's TLS certificate (chain and name `gw.ibex.test`), and the gateway's AUTH
/// over the MSK at the end proves the same gateway ran TLS. Both sides fragment EAP-TLS
/// at 300 bytes here (charon `eap-tls.fragment_size`, Ibex `max_fragment`), so each
/// flight crosses in several acknowledged fragments (RFC 5216 2.1.5).
#[test]
fn ibex_initiator_eap_tls_eap_only() {
    if !prereqs_tls() {
        return;
    }
    let pki = TestPki::generate();
    let mut eap = ibex_tls(&pki, KeyKind::Rsa, DriverTlsVersions::Tls12);
    eap.eap_only = true;
    if let Some(t) = eap.tls.as_mut() {
        t.max_fragment = Some(300);
    }
    let run = gateway_and_ibex_with(
        gw_tls_auth(&pki, true),
        CLIENT_ID,
        ca_only(&pki),
        CLIENT_ID,
        eap,
        None,
        |c| c.eap_tls_fragment_size = Some(300),
    );
    assert_up(
        &run,
        &[
            proof::eap_identity(CLIENT_ID),
            proof::tls_negotiated("1.2"),
            proof::eap_method_succeeded("EAP_TLS", true),
            proof::eap_auth(CLIENT_ID),
        ],
    );
    // the gateway never signed with its key in IKE
    let signed = run
        .charon
        .log_matches(r"authentication of 'gw\.ibex\.test' \(myself\) with RSA");
    assert!(signed.is_empty(), "charon signed IKE_AUTH: {signed:?}");
    let first = run
        .charon
        .log_matches(r"generating IKE_AUTH response 1 \[ IDr (CERT )?EAP/REQ/ID \]");
    assert_eq!(first.len(), 1, "no AUTH-less first response: {first:?}");
    let rounds = run
        .charon
        .log_matches(r"parsed IKE_AUTH request \d+ \[ EAP/RES/TLS \]")
        .len();
    println!("    {rounds} EAP-TLS responses (fragments and acknowledgements)");
    assert!(
        rounds >= 10,
        "EAP-TLS was not fragmented: {rounds} responses"
    );
    assert_eq!(driver_tls_version(&run.driver).as_deref(), Some("Tls12"));
    let set = pki.set(KeyKind::Rsa);
    assert_no_key_material(&run.driver, &[&set.client.key_pk8_pem]);
    println!("    done in {:?}", run.t0.elapsed());
}

/// A client certificate from a CA the gateway does not trust (the ECDSA test CA): charon's
/// TLS server refuses it with a fatal alert and EAP-Failure; Ibex acknowledges the alert
/// and closes with `CloseReason::Eap` (driver exit 1); nothing is established.
#[test]
fn ibex_initiator_eap_tls_untrusted_client_cert() {
    if !prereqs_tls() {
        return;
    }
    let pki = TestPki::generate();
    let mut run = gateway_and_ibex(
        gw_tls_auth(&pki, false),
        CLIENT_ID,
        ca_only(&pki),
        CLIENT_ID,
        ibex_tls(&pki, KeyKind::Ecdsa, DriverTlsVersions::All),
        None,
    );
    let (failed, _) = assert_eap_failed(&mut run);
    assert_eq!(failed.field("kind"), Some("Rejected"), "{}", failed.raw);
    for l in run.charon.assert_log(
        &[
            &proof::eap_identity(CLIENT_ID),
            proof::TLS_PEER_CERT,
            &proof::tls_untrusted_peer(CLIENT_ID),
            proof::TLS_ALERT_SENT,
            &proof::eap_method_failed("EAP_TLS"),
        ],
        T_LOG,
    ) {
        println!("    charon: {l}");
    }
    assert_charon_not_established(&run.charon);
    assert!(
        run.charon
            .log_matches(&proof::eap_method_succeeded("EAP_TLS", true))
            .is_empty(),
        "charon's EAP-TLS succeeded with an untrusted certificate"
    );
    let set = pki.set(KeyKind::Ecdsa);
    assert_no_key_material(&run.driver, &[&set.client.key_pk8_pem]);
    println!("    done in {:?}", run.t0.elapsed());
}

/// How the charon EAP-TLS client meets the Ibex responder.
#[derive(Debug, Clone, Copy)]
struct TlsClientCase {
    /// The client certificate (RSA: from the CA Ibex trusts; ECDSA: from another CA).
    client_kind: KeyKind,
    /// charon `remote { auth = eap-tls }` (strongSwan's EAP-only setup) instead of
    /// `auth = pubkey`.
    remote_eap_only: bool,
    /// charon `tls.version_max`.
    charon_tls_max: Option<&'static str>,
    /// The Ibex responder's EAP-TLS versions.
    ibex_versions: DriverTlsVersions,
    /// The Ibex responder leaves out its AUTH when offered EAP-only (RFC 5998).
    ibex_eap_only: bool,
}

impl TlsClientCase {
    const fn new(client_kind: KeyKind, remote_eap_only: bool) -> TlsClientCase {
        TlsClientCase {
            client_kind,
            remote_eap_only,
            charon_tls_max: None,
            ibex_versions: DriverTlsVersions::All,
            ibex_eap_only: remote_eap_only,
        }
    }
}

/// The Ibex responder (RSA certificate for IKE and TLS; [`CLIENT_ID`] must pass EAP-TLS
/// with a client certificate from the RSA CA that names it) and a charon EAP-TLS client
/// signing in as [`CLIENT_ID`].
fn charon_tls_client_to_ibex(case: TlsClientCase) -> RespRun {
    let t0 = Instant::now();
    let pki = TestPki::generate();
    let set = pki.set(KeyKind::Rsa);
    let topo = Topology::new();
    let mut cfg = driver_conf(
        Side::Gw,
        SUITE,
        DriverAuth::Cert {
            cert: set.gw.cert_pem.clone(),
            key: set.gw.key_pk8_pem.clone(),
            ca: set.ca.cert_pem.clone(),
        },
        vec![],
        20_000,
    );
    cfg.remote_id = CLIENT_ID.into();
    cfg.eap_server = Some(DriverEapServer {
        methods: vec!["tls".into()],
        users: vec![],
        after_auth: false,
        eap_only: case.ibex_eap_only,
        tls: Some(DriverEapTlsServer {
            cert: set.gw.cert_pem.clone(),
            key: set.gw.key_pk8_pem.clone(),
            client_ca: set.ca.cert_pem.clone(),
            versions: case.ibex_versions,
            max_fragment: None,
        }),
    });
    let driver = Driver::spawn(&driver_bin(), &topo.responder, &cfg);
    assert!(
        topo.responder.wait_udp_port(500, Duration::from_secs(10)),
        "Ibex responder is not listening on UDP 500\n{}",
        driver.stderr_tail(40)
    );
    let client = &pki.set(case.client_kind).client;
    let mut conf = charon_conf(
        Side::Client,
        SUITE,
        Auth::EapTlsClient {
            cert: client.cert_pem.clone(),
            key: client.key_pem.clone(),
            ca: set.ca.cert_pem.clone(),
            eap_id: CLIENT_ID.into(),
            remote_eap_only: case.remote_eap_only,
        },
    );
    conf.tls_version_max = case.charon_tls_max.map(String::from);
    let charon = Charon::start(&topo.initiator, Role::Initiator, &conf);
    let initiated = charon.initiate(CHILD);
    let keys = key_lines(&[&set.gw.key_pk8_pem]);
    drop(pki);
    let run = RespRun {
        charon,
        driver,
        topo,
        t0,
        initiated,
    };
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    assert_no_secrets(&run.driver, &refs, &[]);
    run
}

/// charon signed in with EAP-TLS: SAs up on both sides with the same SPIs; charon
/// verified the Ibex gateway's TLS certificate, negotiated TLS 1.2 and derived the MSK;
/// the Ibex responder left out its AUTH in the first IKE_AUTH response (charon always
/// offers EAP-only, and EAP-TLS is mutual), which charon accepted
/// (`allow mutual EAP-only authentication`); the directory recorded no failure.
fn assert_tls_client_up(run: &RespRun, eap_only: bool) {
    if let Err(e) = &run.initiated {
        panic!("charon could not establish the SA with Ibex: {e}");
    }
    let ike_up = ev(&run.driver, "ike_up");
    let child_up = ev(&run.driver, "child_up");
    println!("    ibex:   {}\n    ibex:   {}", ike_up.raw, child_up.raw);
    check_events(&ike_up, &child_up, SUITE);
    assert_eq!(ike_up.field("peer"), Some(CLIENT_ID), "{}", ike_up.raw);
    let tls12 = proof::tls_negotiated("1.2");
    let tls_ok = proof::eap_method_succeeded("EAP_TLS", true);
    let mut lines = vec![
        proof::IKE_ESTABLISHED,
        proof::CHILD_ESTABLISHED,
        proof::VIP_INSTALLED,
        proof::TLS_SERVER_CERT,
        tls12.as_str(),
        tls_ok.as_str(),
    ];
    // EAP-only: charon accepts the gateway on EAP-TLS alone; otherwise the
    // gateway's certificate AUTH is verified first.
    lines.push(if eap_only {
        proof::EAP_ONLY_ALLOWED
    } else {
        r"authentication of 'gw\.ibex\.test' with RSA_EMSA_PKCS1_SHA2_\d+ successful"
    });
    for l in run.charon.assert_log(&lines, T_LOG) {
        println!("    charon: {l}");
    }
    let (ike, child) = established(&run.charon);
    println!(
        "    charon --list-sas: {} {} / {} {} {}",
        ike.name, ike.state, child.name, child.state, child.proposal
    );
    check_spis_agree(&run.charon, &ike_up, &child_up);
    assert_eq!(driver_tls_version(&run.driver).as_deref(), Some("Tls12"));
    assert!(
        !run.driver
            .events()
            .iter()
            .any(|e| e.kind == "eap_directory_failure"),
        "the directory recorded a failure:\n{}",
        run.driver.lines().join("\n")
    );
}

/// charon signs in with EAP-TLS to the Ibex responder, set up as strongSwan's own
/// EAP-only clients are (`remote { auth = eap-tls }`, its `rw-eap-tls-only` test).
/// charon offers `N(EAP_ONLY_AUTHENTICATION)` (it always does), so the responder leaves
/// out its certificate AUTH (RFC 5998 4: EAP-TLS is a safe method); charon verifies the
/// gateway's TLS certificate, accepts it on the strength of EAP-TLS and the MSK AUTH
/// (`allow mutual EAP-only authentication`), and the SAs come up.
#[test]
fn strongswan_client_eap_tls_to_ibex() {
    if !prereqs_tls() {
        return;
    }
    let run = charon_tls_client_to_ibex(TlsClientCase::new(KeyKind::Rsa, true));
    assert_tls_client_up(&run, true);
    println!("    up in {:?}", run.t0.elapsed());
}

/// A charon EAP-TLS client that requires the gateway to sign IKE_AUTH (`remote { auth =
/// pubkey }`, as in strongSwan's `rw-eap-tls-radius` test): charon still offers
/// `N(EAP_ONLY_AUTHENTICATION)`, but an Ibex responder not configured for EAP-only
/// signs anyway, and the SAs come up.
#[test]
fn strongswan_client_eap_tls_requiring_gateway_signature() {
    if !prereqs_tls() {
        return;
    }
    let run = charon_tls_client_to_ibex(TlsClientCase::new(KeyKind::Rsa, false));
    assert_tls_client_up(&run, false);
    println!("    up in {:?}", run.t0.elapsed());
}

/// The same client against a responder that does leave out its AUTH (EAP-only
/// allowed): charon refuses at the end (`constraint requires public key
/// authentication, but EAP was used`) and sends `N(AUTHENTICATION_FAILED)` in an
/// INFORMATIONAL request; the Ibex responder then deletes the SA it had
/// established (RFC 7296 2.21.2).
#[test]
fn strongswan_client_refusing_eap_only_makes_ibex_close() {
    if !prereqs_tls() {
        return;
    }
    let mut case = TlsClientCase::new(KeyKind::Rsa, false);
    case.ibex_eap_only = true;
    let run = charon_tls_client_to_ibex(case);
    assert!(
        run.initiated.is_err(),
        "charon (remote auth = pubkey) accepted a gateway that did not sign: {:?}",
        run.initiated
    );
    for l in run.charon.assert_log(
        &[
            proof::EAP_ONLY_ALLOWED,
            r"constraint requires public key authentication, but EAP was used",
            r"generating INFORMATIONAL request \d+ \[ N\(AUTH_FAILED\) \]",
        ],
        T_LOG,
    ) {
        println!("    charon: {l}");
    }
    assert_charon_not_established(&run.charon);
    let _ = ev(&run.driver, "ike_up");
    assert!(
        wait_until(Duration::from_secs(10), Duration::from_millis(100), || run
            .driver
            .events()
            .iter()
            .any(|e| e.kind == "closed")),
        "the responder kept an SA its peer refused:\n{}",
        run.driver.stderr_tail(40)
    );
    println!("    refused in {:?}", run.t0.elapsed());
}

/// charon presents a client certificate from a CA the Ibex responder does not trust (the
/// ECDSA test CA): the responder's TLS server sends the fatal alert `unknown ca` and
/// records the failure in its directory (once); charon's EAP-TLS fails on the alert
/// (it ends the exchange with `N(AUTHENTICATION_FAILED)` without waiting for the
/// EAP-Failure), nothing is established on either side.
#[test]
fn strongswan_client_eap_tls_untrusted_cert_to_ibex() {
    if !prereqs_tls() {
        return;
    }
    let run = charon_tls_client_to_ibex(TlsClientCase::new(KeyKind::Ecdsa, false));
    assert!(
        run.initiated.is_err(),
        "charon established an SA with an untrusted certificate: {:?}",
        run.initiated
    );
    let f = ev(&run.driver, "eap_directory_failure");
    println!("    ibex:   {}", f.raw);
    assert_eq!(
        (f.field("user"), f.field("count")),
        (Some(CLIENT_ID), Some("1"))
    );
    for l in run.charon.assert_log(
        &[
            proof::TLS_SERVER_CERT,
            r"received fatal TLS alert 'unknown ca'",
            &proof::eap_method_failed("EAP_TLS"),
        ],
        T_LOG,
    ) {
        println!("    charon: {l}");
    }
    assert_charon_not_established(&run.charon);
    std::thread::sleep(Duration::from_millis(300));
    let evs = run.driver.events();
    assert!(
        !evs.iter()
            .any(|e| e.kind == "ike_up" || e.kind == "child_up"),
        "Ibex established an SA with an untrusted certificate:\n{}",
        run.driver.lines().join("\n")
    );
    println!("    refused in {:?}", run.t0.elapsed());
}

/// TLS 1.3 against strongSwan 5.9.8, Ibex initiator: with `tls.version_max = 1.3`
/// charon negotiates TLS 1.3 but speaks the pre-RFC 9190 draft: right after the client's
/// Finished it sends EAP-Success, without the protected success indication (one byte
/// 0x00 of application data, RFC 9190 2.5). Ibex must not take that EAP-Success (it would
/// accept a server that never committed to the end of the handshake; 5.9.8 would also
/// derive another MSK): it discards it and closes with a protocol error before sending
/// any AUTH; nothing is established on either side.
#[test]
fn ibex_initiator_eap_tls13_refuses_pre_rfc9190_strongswan() {
    if !prereqs_tls() {
        return;
    }
    let pki = TestPki::generate();
    let mut run = gateway_and_ibex_with(
        gw_tls_auth(&pki, false),
        CLIENT_ID,
        ca_only(&pki),
        CLIENT_ID,
        ibex_tls(&pki, KeyKind::Rsa, DriverTlsVersions::Tls13),
        None,
        |c| c.tls_version_max = Some("1.3".into()),
    );
    let closed = ev(&run.driver, "closed");
    println!("    ibex:   {}", closed.raw);
    assert!(
        closed
            .rest
            .contains("EAP-Success before any method completed"),
        "Ibex did not refuse the EAP-Success that came without RFC 9190's success indication: {}",
        closed.raw
    );
    let evs = run.driver.events();
    assert!(
        !evs.iter()
            .any(|e| e.kind == "ike_up" || e.kind == "child_up"),
        "an SA came up:\n{}",
        run.driver.lines().join("\n")
    );
    let st = run
        .driver
        .wait_exit(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(st.code(), Some(1), "driver exit status {st}");
    assert_eq!(
        driver_tls_version(&run.driver),
        None,
        "Ibex completed EAP-TLS without the success indication"
    );
    assert_no_key_material(&run.driver, &[&pki.set(KeyKind::Rsa).client.key_pk8_pem]);
    for l in run.charon.assert_log(
        &[
            &proof::tls_negotiated("1.3"),
            &proof::eap_method_succeeded("EAP_TLS", true),
            r"generating IKE_AUTH response \d+ \[ EAP/SUCC \]",
        ],
        T_LOG,
    ) {
        println!("    charon: {l}");
    }
    // Ibex never sent its AUTH: charon did not authenticate it
    assert!(
        run.charon
            .log_matches(&proof::eap_auth(CLIENT_ID))
            .is_empty(),
        "charon verified an AUTH from Ibex"
    );
    assert_charon_not_established(&run.charon);
    println!("    refused in {:?}", run.t0.elapsed());
}

/// Ibex restricted to TLS 1.2 (`Tls12Only`) against a charon that would negotiate TLS 1.3
/// (`tls.version_max = 1.3`): TLS 1.2 is negotiated and the sign-in works. This is the
/// setting for gateways running strongSwan before 5.9.10 with TLS 1.3 enabled.
#[test]
fn ibex_initiator_eap_tls12_only_against_tls13_strongswan() {
    if !prereqs_tls() {
        return;
    }
    let pki = TestPki::generate();
    let run = gateway_and_ibex_with(
        gw_tls_auth(&pki, false),
        CLIENT_ID,
        ca_only(&pki),
        CLIENT_ID,
        ibex_tls(&pki, KeyKind::Rsa, DriverTlsVersions::Tls12),
        None,
        |c| c.tls_version_max = Some("1.3".into()),
    );
    assert_up(
        &run,
        &[
            proof::tls_negotiated("1.2"),
            proof::eap_method_succeeded("EAP_TLS", true),
            proof::eap_auth(CLIENT_ID),
        ],
    );
    assert!(run
        .charon
        .log_matches(&proof::tls_negotiated("1.3"))
        .is_empty());
    assert_eq!(driver_tls_version(&run.driver).as_deref(), Some("Tls12"));
    assert_no_key_material(&run.driver, &[&pki.set(KeyKind::Rsa).client.key_pk8_pem]);
    println!("    done in {:?}", run.t0.elapsed());
}

/// The other way round: a charon client with `tls.version_max = 1.3` and the Ibex
/// responder restricted to TLS 1.2: TLS 1.2 is negotiated and the sign-in works. (With
/// the responder also offering TLS 1.3, charon 5.9.8 negotiates 1.3 and then crashes,
/// SIGSEGV in libtls, on the RFC 9190 success indication it has no handler for; see
/// docs/testing.md.)
#[test]
fn strongswan_client_tls13_capable_to_ibex_tls12_only() {
    if !prereqs_tls() {
        return;
    }
    let mut case = TlsClientCase::new(KeyKind::Rsa, true);
    case.charon_tls_max = Some("1.3");
    case.ibex_versions = DriverTlsVersions::Tls12;
    let run = charon_tls_client_to_ibex(case);
    assert_tls_client_up(&run, true);
    assert!(run
        .charon
        .log_matches(&proof::tls_negotiated("1.3"))
        .is_empty());
    println!("    up in {:?}", run.t0.elapsed());
}
