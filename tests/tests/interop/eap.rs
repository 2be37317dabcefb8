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
//!   EAP-TLS), and it announced MULTIPLE_AUTH_SUPPORTED only when the initiator did.
//!
//! Every test checks that no password or code reaches the driver's output.

use std::time::{Duration, Instant};

use ibex_e2e::driver::{
    prompt_text, Driver, DriverAuth, DriverConfig, DriverEap, DriverEapServer, DriverEapUser, Event,
};
use ibex_e2e::netns::Topology;
use ibex_e2e::pki::{KeyKind, TestPki, CLIENT_ID, GW_ID};
use ibex_e2e::prereq::{in_ci, require, Prereq};
use ibex_e2e::radius::{self, Radius, RadiusConf, RadiusUser};
use ibex_e2e::strongswan::{
    check_plugins, proof, Auth, Charon, EapBackend, EapMethod, Role, Suite, CHILD, SUITES,
};

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
    let plugins: &[&str] = if radius {
        &["eap-identity", "eap-radius"]
    } else {
        &["eap-identity", "eap-mschapv2"]
    };
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
    let t0 = Instant::now();
    let topo = Topology::new();
    let radius = radius.map(|c| Radius::start(&topo.responder, &c));
    let mut conf = charon_conf(Side::Gw, SUITE, gw_auth);
    conf.remote_id = gw_remote_id.into();
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
