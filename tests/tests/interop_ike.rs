//! IKEv2 interop: Ibex (via `ibex-ike-driver`) against strongSwan 5.9.8 charon.
//!
//! Each test builds its own pair of network namespaces (192.0.2.1 responder /
//! 192.0.2.2 initiator), its own test PKI when it needs certificates, one charon and one
//! driver per suite, and tears everything down on drop (also when an assertion fails).
//!
//! Matrix: {Ibex initiator -> charon responder, charon initiator -> Ibex responder}
//!       x {PSK, RSA certs, ECDSA certs} x the three [`SUITES`], plus IKE/CHILD rekeys
//!       driven by either side (PSK, first suite).
//!
//! Run: `sudo -E cargo test -p ibex-e2e --test interop_ike -- --nocapture`
//! (root needed; outside CI missing prerequisites print `SKIP:`, with CI=true they fail).
//! `IBEX_E2E_KEEP=1` keeps every charon/driver/PKI temp dir.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ibex_e2e::driver::{
    norm_spi, suite_matches, Driver, DriverAction, DriverAuth, DriverConfig, DriverRole, Event,
};
use ibex_e2e::netns::{Topology, INITIATOR_IP, LAN_HOST, LAN_NET, RESPONDER_IP, VIP_POOL};
use ibex_e2e::pki::{KeyKind, TestPki, CLIENT_ID, GW_ID};
use ibex_e2e::prereq::{require, Prereq};
use ibex_e2e::strongswan::{
    proof, Auth, Charon, CharonConf, ChildSaInfo, IkeSaInfo, Role, Suite, CHILD, SUITES,
};
use ibex_e2e::wait_until;

const PSK: &str = "ibex-e2e-psk-0123456789abcdef-0123456789";
/// Bound for one handshake / one rekey to show up.
const T: Duration = Duration::from_secs(20);
/// Log proof lines are written before/while the events are reported; short grace.
const T_LOG: Duration = Duration::from_secs(5);

fn driver_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ibex-ike-driver"))
}

fn prereqs(certs: bool) -> bool {
    let mut p = vec![Prereq::Root, Prereq::Netns, Prereq::Tun, Prereq::StrongSwan];
    if certs {
        p.push(Prereq::Pki);
    }
    require(&p)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthKind {
    Psk,
    Rsa,
    Ecdsa,
}

impl AuthKind {
    fn key_kind(self) -> Option<KeyKind> {
        match self {
            AuthKind::Psk => None,
            AuthKind::Rsa => Some(KeyKind::Rsa),
            AuthKind::Ecdsa => Some(KeyKind::Ecdsa),
        }
    }

    /// charon's proof line that the peer `peer_id` authenticated with this method.
    fn peer_auth_re(self, peer_id: &str) -> String {
        match self {
            AuthKind::Psk => proof::psk_auth(peer_id),
            AuthKind::Rsa => proof::rsa_auth(peer_id),
            AuthKind::Ecdsa => proof::ecdsa_auth(peer_id),
        }
    }

    fn pki(self) -> Option<TestPki> {
        self.key_kind().map(|_| TestPki::generate())
    }
}

/// Gateway (responder) or client (initiator) identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Gw,
    Client,
}

impl Side {
    fn id(self) -> &'static str {
        match self {
            Side::Gw => GW_ID,
            Side::Client => CLIENT_ID,
        }
    }
    fn peer_id(self) -> &'static str {
        match self {
            Side::Gw => CLIENT_ID,
            Side::Client => GW_ID,
        }
    }
}

fn charon_auth(kind: AuthKind, pki: Option<&TestPki>, side: Side) -> Auth {
    match kind.key_kind() {
        None => Auth::Psk(PSK.into()),
        Some(k) => {
            let set = pki.expect("PKI for cert auth").set(k);
            let own = if side == Side::Gw {
                &set.gw
            } else {
                &set.client
            };
            Auth::Cert {
                cert: own.cert_pem.clone(),
                key: own.key_pem.clone(),
                ca: set.ca.cert_pem.clone(),
            }
        }
    }
}

fn driver_auth(kind: AuthKind, pki: Option<&TestPki>, side: Side) -> DriverAuth {
    match kind.key_kind() {
        None => DriverAuth::Psk { psk: PSK.into() },
        Some(k) => {
            let set = pki.expect("PKI for cert auth").set(k);
            let own = if side == Side::Gw {
                &set.gw
            } else {
                &set.client
            };
            DriverAuth::Cert {
                cert: own.cert_pem.clone(),
                key: own.key_pk8_pem.clone(),
                ca: set.ca.cert_pem.clone(),
            }
        }
    }
}

/// charon as the gateway (responder side of the topology) or as the client.
fn charon_conf(side: Side, suite: &Suite, auth: Auth) -> CharonConf {
    let (local, remote) = match side {
        Side::Gw => (RESPONDER_IP, INITIATOR_IP),
        Side::Client => (INITIATOR_IP, RESPONDER_IP),
    };
    CharonConf::new(local, remote, side.id(), side.peer_id(), auth).with_suite(suite)
}

fn driver_conf(
    side: Side,
    suite: &Suite,
    auth: DriverAuth,
    actions: Vec<DriverAction>,
    exit_after_ms: u64,
) -> DriverConfig {
    let base = |role, local: &str, remote: &str| DriverConfig {
        role,
        local: local.into(),
        remote: remote.into(),
        ike_proposals: vec![suite.ike.into()],
        esp_proposals: vec![suite.esp.into()],
        local_id: side.id().into(),
        remote_id: side.peer_id().into(),
        auth: auth.clone(),
        pool: None,
        local_ts: None,
        remote_ts: None,
        request_vip: None,
        actions: actions.clone(),
        exit_after_ms,
    };
    match side {
        // Ibex as the client: asks for a virtual IP and for the LAN behind the gateway
        Side::Client => DriverConfig {
            remote_ts: Some(vec![LAN_NET.into()]),
            request_vip: Some(true),
            ..base(DriverRole::Initiator, INITIATOR_IP, RESPONDER_IP)
        },
        // Ibex as the gateway: hands out virtual IPs, protects the LAN
        Side::Gw => DriverConfig {
            pool: Some(VIP_POOL.into()),
            local_ts: Some(vec![LAN_NET.into()]),
            ..base(DriverRole::Responder, RESPONDER_IP, INITIATOR_IP)
        },
    }
}

/// One live scenario. Field order = drop order: driver, charon, then the namespaces.
#[allow(dead_code)] // ike_up/topo: kept for inspection / alive until drop
struct Run {
    driver: Driver,
    charon: Charon,
    ike_up: Event,
    child_up: Event,
    topo: Topology,
}

fn check_events(ike: &Event, child: &Event, suite: &Suite) {
    let s = ike.field("suite").unwrap_or("");
    assert!(
        suite_matches(s, suite.ike),
        "ike_up suite {s:?} != {:?}: {}",
        suite.ike,
        ike.raw
    );
    let s = child.field("suite").unwrap_or("");
    assert!(
        suite_matches(s, suite.esp),
        "child_up suite {s:?} != {:?}: {}",
        suite.esp,
        child.raw
    );
    for f in ["spi_i", "spi_r"] {
        assert!(
            ike.field(f).is_some_and(|v| !v.is_empty()),
            "ike_up without {f}: {}",
            ike.raw
        );
    }
    for f in ["spi_in", "spi_out"] {
        assert!(
            child.field(f).is_some_and(|v| !v.is_empty()),
            "child_up without {f}: {}",
            child.raw
        );
    }
}

/// The proof lines every established scenario must show in charon's log.
fn check_charon_established(ch: &Charon, kind: AuthKind, suite: &Suite, peer_id: &str) {
    let mut res = vec![
        proof::IKE_ESTABLISHED.to_string(),
        proof::CHILD_ESTABLISHED.to_string(),
        proof::selected(suite.ike_selected),
        proof::selected(suite.esp_selected),
        kind.peer_auth_re(peer_id),
    ];
    res.push(match ch.role() {
        Role::Responder => proof::VIP_ASSIGNED.to_string(),
        Role::Initiator => proof::VIP_INSTALLED.to_string(),
    });
    let res: Vec<&str> = res.iter().map(String::as_str).collect();
    for l in ch.assert_log(&res, T_LOG) {
        println!("    charon: {l}");
    }
    let (ike, child) = established(ch);
    println!(
        "    charon --list-sas: {} #{} {} {}_i {}_r / {} #{} {} {} {} in {} out {}",
        ike.name,
        ike.unique_id,
        ike.state,
        ike.spi_i,
        ike.spi_r,
        child.name,
        child.unique_id,
        child.state,
        child.mode,
        child.proposal,
        child.spi_in,
        child.spi_out
    );
}

/// The ESTABLISHED IKE_SA `ibex` and its INSTALLED CHILD_SA `net` from `--list-sas`
/// (waits up to 5 s for transitional states to settle).
fn established(ch: &Charon) -> (IkeSaInfo, ChildSaInfo) {
    let mut last = String::new();
    let mut found = None;
    wait_until(T_LOG, Duration::from_millis(50), || {
        last = ch.list_sas();
        found = ibex_e2e::strongswan::parse_list_sas(&last)
            .into_iter()
            .filter(|i| i.name == "ibex" && i.state == "ESTABLISHED")
            .find_map(|i| {
                let c = i
                    .children
                    .iter()
                    .find(|c| c.name == CHILD && c.state == "INSTALLED")?
                    .clone();
                Some((i, c))
            });
        found.is_some()
    });
    found.unwrap_or_else(|| panic!("no ESTABLISHED IKE_SA with an INSTALLED CHILD_SA:\n{last}"))
}

/// Ibex's SPIs (events) are the ones charon lists: the same IKE_SA, and the CHILD_SA
/// mirrored (Ibex's inbound is charon's outbound).
fn check_spis_agree(ch: &Charon, ike_ev: &Event, child_ev: &Event) {
    let (ike, child) = established(ch);
    let f = |e: &Event, k: &str, w: usize| norm_spi(e.field(k).unwrap_or(""), w);
    assert_eq!(
        (f(ike_ev, "spi_i", 16), f(ike_ev, "spi_r", 16)),
        (ike.spi_i.clone(), ike.spi_r.clone()),
        "IKE SPIs of ike_up ({}) differ from charon's {ike:?}",
        ike_ev.raw
    );
    assert_eq!(
        (f(child_ev, "spi_in", 8), f(child_ev, "spi_out", 8)),
        (child.spi_out.clone(), child.spi_in.clone()),
        "CHILD SPIs of child_up ({}) are not the mirror of charon's {child:?}",
        child_ev.raw
    );
}

/// Ibex initiates to a charon responder and both report the SAs up.
fn ibex_initiator_up(
    kind: AuthKind,
    pki: Option<&TestPki>,
    suite: &Suite,
    actions: Vec<DriverAction>,
    exit_after_ms: u64,
) -> Run {
    let t0 = Instant::now();
    let topo = Topology::new();
    let charon = Charon::start(
        &topo.responder,
        Role::Responder,
        &charon_conf(Side::Gw, suite, charon_auth(kind, pki, Side::Gw)),
    );
    let cfg = driver_conf(
        Side::Client,
        suite,
        driver_auth(kind, pki, Side::Client),
        actions,
        exit_after_ms,
    );
    let driver = Driver::spawn(&driver_bin(), &topo.initiator, &cfg);
    let ike_up = driver
        .wait_event("ike_up", T)
        .unwrap_or_else(|e| panic!("{e}"));
    let child_up = driver
        .wait_event("child_up", T)
        .unwrap_or_else(|e| panic!("{e}"));
    println!("    ibex:   {}\n    ibex:   {}", ike_up.raw, child_up.raw);
    check_events(&ike_up, &child_up, suite);
    let vip = child_up.field("vip").unwrap_or("-");
    assert!(
        vip.starts_with("10.99.10."),
        "Ibex got no virtual IP from the pool: {}",
        child_up.raw
    );
    check_charon_established(&charon, kind, suite, CLIENT_ID);
    check_spis_agree(&charon, &ike_up, &child_up);
    println!("    up in {:?} (incl. netns + charon start)", t0.elapsed());
    Run {
        driver,
        charon,
        ike_up,
        child_up,
        topo,
    }
}

/// charon initiates to an Ibex responder and both report the SAs up.
fn charon_initiator_up(
    kind: AuthKind,
    pki: Option<&TestPki>,
    suite: &Suite,
    actions: Vec<DriverAction>,
    exit_after_ms: u64,
) -> Run {
    let t0 = Instant::now();
    let topo = Topology::new();
    let cfg = driver_conf(
        Side::Gw,
        suite,
        driver_auth(kind, pki, Side::Gw),
        actions,
        exit_after_ms,
    );
    let mut driver = Driver::spawn(&driver_bin(), &topo.responder, &cfg);
    // the responder is ready once it has bound UDP 500 (fail fast if it exited)
    let bound = wait_until(Duration::from_secs(10), Duration::from_millis(50), || {
        topo.responder.udp_port_bound(500) || driver.try_exit_status().is_some()
    });
    if !bound || !topo.responder.udp_port_bound(500) {
        panic!(
            "Ibex responder is not listening on UDP 500 (waited up to 10 s; exit status: {:?})\nstdout:\n{}\nstderr:\n{}",
            driver.try_exit_status(),
            driver.lines().join("\n"),
            driver.stderr_tail(40)
        );
    }
    let charon = Charon::start(
        &topo.initiator,
        Role::Initiator,
        &charon_conf(Side::Client, suite, charon_auth(kind, pki, Side::Client)),
    );
    if let Err(e) = charon.initiate(CHILD) {
        panic!("charon could not establish the SA with Ibex: {e}");
    }
    let ike_up = driver
        .wait_event("ike_up", T)
        .unwrap_or_else(|e| panic!("{e}"));
    let child_up = driver
        .wait_event("child_up", T)
        .unwrap_or_else(|e| panic!("{e}"));
    println!("    ibex:   {}\n    ibex:   {}", ike_up.raw, child_up.raw);
    check_events(&ike_up, &child_up, suite);
    check_charon_established(&charon, kind, suite, GW_ID);
    check_spis_agree(&charon, &ike_up, &child_up);
    println!("    up in {:?} (incl. netns + charon start)", t0.elapsed());
    Run {
        driver,
        charon,
        ike_up,
        child_up,
        topo,
    }
}

/// Every suite, fresh topology + charon + driver each, one shared PKI.
fn matrix(ibex_initiates: bool, kind: AuthKind) {
    if !prereqs(kind != AuthKind::Psk) {
        return;
    }
    let pki = kind.pki();
    for suite in &SUITES {
        let dir = if ibex_initiates {
            "ibex->charon"
        } else {
            "charon->ibex"
        };
        println!("== {dir} {kind:?} {}", suite.ike);
        let run = if ibex_initiates {
            ibex_initiator_up(kind, pki.as_ref(), suite, vec![], 15_000)
        } else {
            charon_initiator_up(kind, pki.as_ref(), suite, vec![], 15_000)
        };
        drop(run);
    }
}

#[test]
fn ibex_initiator_psk() {
    matrix(true, AuthKind::Psk);
}

#[test]
fn ibex_initiator_rsa() {
    matrix(true, AuthKind::Rsa);
}

#[test]
fn ibex_initiator_ecdsa() {
    matrix(true, AuthKind::Ecdsa);
}

#[test]
fn ibex_responder_psk() {
    matrix(false, AuthKind::Psk);
}

#[test]
fn ibex_responder_rsa() {
    matrix(false, AuthKind::Rsa);
}

#[test]
fn ibex_responder_ecdsa() {
    matrix(false, AuthKind::Ecdsa);
}

// ------------------------------------------------------------------------------ rekeys

/// After an IKE rekey: an ESTABLISHED IKE_SA with an INSTALLED CHILD_SA is listed, and
/// it is not the old one (SPIs `old_i`/`old_r`, 16 hex digits).
fn assert_ike_replaced(ch: &Charon, old_i: &str, old_r: &str) -> IkeSaInfo {
    let mut last = None;
    let ok = wait_until(T_LOG, Duration::from_millis(50), || {
        let (ike, _) = established(ch);
        let replaced = ike.spi_i != old_i && ike.spi_r != old_r;
        last = Some(ike);
        replaced
    });
    let ike = last.expect("listed");
    assert!(
        ok,
        "IKE_SA not replaced by the rekey (old {old_i}_i {old_r}_r): {ike:?}\n{}",
        ch.list_sas()
    );
    ike
}

/// After a CHILD rekey: an INSTALLED CHILD_SA is listed, with SPIs other than the old
/// ones (charon's view: `old_in`/`old_out`); the old one may linger as DELETED/REKEYED.
fn assert_child_replaced(ch: &Charon, old_in: &str, old_out: &str) -> ChildSaInfo {
    let mut last = None;
    let ok = wait_until(T_LOG, Duration::from_millis(50), || {
        let (_, child) = established(ch);
        let replaced = child.spi_in != old_in && child.spi_out != old_out;
        last = Some(child);
        replaced
    });
    let child = last.expect("listed");
    assert!(
        ok,
        "CHILD_SA not replaced by the rekey (old in {old_in} out {old_out}): {child:?}\n{}",
        ch.list_sas()
    );
    child
}

/// charon's view of a completed IKE rekey (any role), after log line `mark`.
fn wait_charon_ike_rekeyed(ch: &Charon, mark: usize) {
    let l = ch
        .wait_log_since(mark, proof::IKE_REKEYED, T)
        .unwrap_or_else(|e| panic!("{e}"));
    println!("    charon: {l}");
}

/// charon's view of a completed CHILD rekey: a new CHILD_SA, the old one closed.
fn wait_charon_child_rekeyed(ch: &Charon, mark: usize) {
    for re in [proof::CHILD_ESTABLISHED, proof::CHILD_REKEY_CLOSED] {
        let l = ch
            .wait_log_since(mark, re, T)
            .unwrap_or_else(|e| panic!("{e}"));
        println!("    charon: {l}");
    }
}

/// IKE rekey then CHILD rekey, initiated by Ibex (driver actions) or by charon
/// (`swanctl --rekey`), over an SA in the given direction. PSK, first suite.
fn rekeys(ibex_initiates: bool, driven_by_ibex: bool) {
    if !prereqs(false) {
        return;
    }
    let suite = &SUITES[0];
    let actions = if driven_by_ibex {
        vec![
            DriverAction::new(2000, "rekey-ike"),
            DriverAction::new(4000, "rekey-child"),
        ]
    } else {
        vec![]
    };
    let run = if ibex_initiates {
        ibex_initiator_up(AuthKind::Psk, None, suite, actions, 30_000)
    } else {
        charon_initiator_up(AuthKind::Psk, None, suite, actions, 30_000)
    };
    let ch = &run.charon;
    let (ike0, child0) = established(ch);

    // IKE_SA rekey
    let mark = if driven_by_ibex { 0 } else { ch.log_mark() };
    if !driven_by_ibex {
        ch.rekey_ike().unwrap_or_else(|e| panic!("{e}"));
    }
    let ev = run
        .driver
        .wait_event("ike_rekeyed", T)
        .unwrap_or_else(|e| panic!("{e}"));
    println!("    ibex:   {}", ev.raw);
    wait_charon_ike_rekeyed(ch, mark);
    let ike1 = assert_ike_replaced(ch, &ike0.spi_i, &ike0.spi_r);
    println!(
        "    IKE_SA #{} {}_i {}_r -> #{} {}_i {}_r",
        ike0.unique_id, ike0.spi_i, ike0.spi_r, ike1.unique_id, ike1.spi_i, ike1.spi_r
    );

    // CHILD_SA rekey
    let mark = ch.log_mark();
    if !driven_by_ibex {
        ch.rekey_child().unwrap_or_else(|e| panic!("{e}"));
    }
    let ev = run
        .driver
        .wait_event("child_rekeyed", T)
        .unwrap_or_else(|e| panic!("{e}"));
    println!("    ibex:   {}", ev.raw);
    // Ibex-driven: the CHILD rekey may have happened before `mark`
    wait_charon_child_rekeyed(ch, if driven_by_ibex { 0 } else { mark });
    let child1 = assert_child_replaced(ch, &child0.spi_in, &child0.spi_out);
    println!(
        "    CHILD_SA #{} in {} out {} -> #{} in {} out {}",
        child0.unique_id,
        child0.spi_in,
        child0.spi_out,
        child1.unique_id,
        child1.spi_in,
        child1.spi_out
    );
}

#[test]
fn rekey_ibex_initiator_driven_by_ibex() {
    rekeys(true, true);
}

#[test]
fn rekey_ibex_initiator_driven_by_charon() {
    rekeys(true, false);
}

#[test]
fn rekey_ibex_responder_driven_by_ibex() {
    rekeys(false, true);
}

#[test]
fn rekey_ibex_responder_driven_by_charon() {
    rekeys(false, false);
}

// --------------------------------------------------------------------- harness selftest

/// Documents and proves the harness without Ibex: charon (initiator, 192.0.2.2) to
/// charon (responder, 192.0.2.1) with the same topology, configs and proof lines the
/// interop tests use. PSK over every suite (plus a ping through the userspace-ESP
/// tunnel), IKE and CHILD rekeys driven from each side, and RSA/ECDSA certificates.
/// `sudo -E cargo test -p ibex-e2e --test interop_ike -- --ignored --nocapture harness_selftest`
#[test]
#[ignore = "harness selftest (charon <-> charon); run with --ignored"]
fn harness_selftest_charon_to_charon() {
    if !prereqs(true) {
        return;
    }
    let t_all = Instant::now();
    let pair = |kind: AuthKind, pki: Option<&TestPki>, suite: &Suite| {
        let topo = Topology::new();
        let gw = Charon::start(
            &topo.responder,
            Role::Responder,
            &charon_conf(Side::Gw, suite, charon_auth(kind, pki, Side::Gw)),
        );
        let cli = Charon::start(
            &topo.initiator,
            Role::Initiator,
            &charon_conf(Side::Client, suite, charon_auth(kind, pki, Side::Client)),
        );
        // tunnel not up yet: the LAN host is unreachable
        assert!(
            !topo.initiator.ping(LAN_HOST, 1),
            "LAN reachable without tunnel"
        );
        let t = Instant::now();
        cli.initiate(CHILD).unwrap_or_else(|e| panic!("{e}"));
        println!(
            "== charon->charon {kind:?} {}: initiate took {:?}",
            suite.ike,
            t.elapsed()
        );
        check_charon_established(&gw, kind, suite, CLIENT_ID);
        check_charon_established(&cli, kind, suite, GW_ID);
        (cli, gw, topo)
    };

    for suite in &SUITES {
        let (cli, gw, topo) = pair(AuthKind::Psk, None, suite);
        assert!(
            topo.initiator.ping(LAN_HOST, 3),
            "no ping through the tunnel"
        );
        println!("    ping {LAN_HOST} through the tunnel: ok");
        drop((cli, gw, topo));
    }

    // rekeys, each side driving once
    {
        let (cli, gw, _topo) = pair(AuthKind::Psk, None, &SUITES[0]);
        for (who, driver, other) in [("initiator", &cli, &gw), ("responder", &gw, &cli)] {
            let (ike0, child0) = established(other);
            let (m1, m2) = (driver.log_mark(), other.log_mark());
            driver.rekey_ike().unwrap_or_else(|e| panic!("{e}"));
            wait_charon_ike_rekeyed(driver, m1);
            wait_charon_ike_rekeyed(other, m2);
            assert_ike_replaced(driver, &ike0.spi_i, &ike0.spi_r);
            assert_ike_replaced(other, &ike0.spi_i, &ike0.spi_r);
            let (m1, m2) = (driver.log_mark(), other.log_mark());
            driver.rekey_child().unwrap_or_else(|e| panic!("{e}"));
            wait_charon_child_rekeyed(driver, m1);
            wait_charon_child_rekeyed(other, m2);
            // same SA seen from the other end: in/out swapped
            assert_child_replaced(driver, &child0.spi_out, &child0.spi_in);
            let c = assert_child_replaced(other, &child0.spi_in, &child0.spi_out);
            println!(
                "    rekeys driven by the {who}: ok (CHILD_SA now #{} {} / {})",
                c.unique_id, c.spi_in, c.spi_out
            );
        }
        assert!(_topo.initiator.ping(LAN_HOST, 2), "no ping after rekeys");
    }

    let pki = TestPki::generate();
    for kind in [AuthKind::Rsa, AuthKind::Ecdsa] {
        let run = pair(kind, Some(&pki), &SUITES[0]);
        drop(run);
    }
    println!("harness selftest passed in {:?}", t_all.elapsed());
}
