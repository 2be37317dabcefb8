//! Gateway redirect (RFC 5685) end to end: two ibex-responders in front of
//! the same LAN (192.0.2.1 and 192.0.2.9, pools 10.99.10.0/24 and
//! 10.99.20.0/24). The first sends clients to the second when they sign in
//! or, drained with SIGUSR1, once connected; the client lands there and
//! carries traffic. Two gateways sending each other the client is a loop,
//! refused with a clear error.

use std::path::Path;
use std::time::{Duration, Instant};

use ibex_e2e::agent::{
    ibex, responder_config_with, system_state, write_profile, Daemon, ProfileAuth, Responder,
    ResponderAuth, LAB_PSK as PSK,
};
use ibex_e2e::lab::{Lab, LAN_HOST};
use ibex_e2e::pki::{CLIENT_ID, GW_ID};
use ibex_e2e::prereq::{require, Prereq};
use ibex_e2e::strongswan::{Auth, Charon, CharonConf, Role};
use ibex_e2e::{ping_counts, tempdir, wait_until};

const GW2: &str = "192.0.2.9";

/// Both gateways: the first with `redirect1`, the second (its own log and
/// state in `dir/gw2`) with `redirect2`, `null` for none.
fn gateways(
    lab: &Lab,
    dir: &Path,
    redirect1: serde_json::Value,
    redirect2: serde_json::Value,
) -> (Responder, Responder) {
    lab.gw
        .run_ok(&["ip", "addr", "add", &format!("{GW2}/24"), "dev", &lab.gw_if])
        .unwrap();
    let dir2 = dir.join("gw2");
    std::fs::create_dir_all(&dir2).unwrap();
    let c2 = responder_config_with(
        &dir2,
        &ResponderAuth::Psk,
        serde_json::json!({
            "listen": GW2, "pool": "10.99.20.0/24",
            "tun": {"name": "ibexgw1", "mtu": 1400},
            "redirect": redirect2,
        }),
    );
    let second = Responder::start_with_config(lab, &dir2, &c2);
    let c1 = responder_config_with(
        dir,
        &ResponderAuth::Psk,
        serde_json::json!({ "redirect": redirect1 }),
    );
    let first = Responder::start_with_config(lab, dir, &c1);
    (first, second)
}

fn status(lab: &Lab, daemon: &Daemon) -> serde_json::Value {
    let out = ibex(lab, daemon, &["status", "--json"], "");
    serde_json::from_slice(&out.stdout).unwrap_or_default()
}

fn connect(lab: &Lab, daemon: &Daemon, dir: &Path) -> std::process::Output {
    let profile = write_profile(dir, &ProfileAuth::Psk);
    ibex(
        lab,
        daemon,
        &["connect", profile.to_str().unwrap()],
        &format!("{PSK}\n"),
    )
}

/// [`connect`] that must succeed, and traffic reaches the LAN host.
fn connected(lab: &Lab, daemon: &Daemon, dir: &Path) {
    let out = connect(lab, daemon, dir);
    assert!(
        out.status.success(),
        "connect: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        daemon.log()
    );
    assert!(
        wait_until(Duration::from_secs(10), Duration::from_millis(200), || lab
            .client
            .ping(LAN_HOST, 1)),
        "no traffic through the tunnel:\n{}",
        daemon.log()
    );
}

fn disconnect_and_check(lab: &Lab, daemon: &Daemon, before: &str) {
    assert!(ibex(lab, daemon, &["disconnect"], "").status.success());
    assert!(
        wait_until(Duration::from_secs(5), Duration::from_millis(100), || {
            system_state(lab) == before
        }),
        "disconnect restores the system:\n{before}\n---\n{}",
        system_state(lab)
    );
}

#[test]
fn a_client_redirected_at_sign_in_lands_on_the_second_gateway() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun]) {
        return;
    }
    let lab = Lab::new(true);
    let dir = tempdir("ibx-redir-init-").unwrap();
    let (first, second) = gateways(
        &lab,
        dir.path(),
        serde_json::json!({"gateways": [GW2], "during": "init"}),
        serde_json::Value::Null,
    );
    let daemon = Daemon::start(&lab, dir.path(), "redir-init");
    let before = system_state(&lab);
    connected(&lab, &daemon, dir.path());
    let s = status(&lab, &daemon);
    assert_eq!(s["state"], "connected", "{s}");
    assert!(s["gateway"].as_str().unwrap_or("").starts_with(GW2), "{s}");
    assert!(s["virtual_ips"].to_string().contains("10.99.20."), "{s}");
    assert!(first.log().contains("redirecting a client (IKE_SA_INIT)"));
    assert_eq!(first.log().matches("client signed in").count(), 0);
    assert_eq!(second.log().matches("client signed in").count(), 1);
    // The route around the tunnel goes to the gateway in use.
    let pinned = lab
        .client
        .run_ok(&["ip", "route", "show", &format!("{GW2}/32")])
        .unwrap();
    assert!(!pinned.trim().is_empty(), "no route pinned to {GW2}");
    disconnect_and_check(&lab, &daemon, &before);
}

#[test]
fn a_drained_gateway_moves_the_tunnel_without_a_prompt() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun]) {
        return;
    }
    let lab = Lab::new(true);
    let dir = tempdir("ibx-redir-drain-").unwrap();
    let (first, second) = gateways(
        &lab,
        dir.path(),
        serde_json::json!({"gateways": [GW2], "during": "established"}),
        serde_json::Value::Null,
    );
    let daemon = Daemon::start(&lab, dir.path(), "redir-drain");
    let before = system_state(&lab);
    connected(&lab, &daemon, dir.path());
    assert!(status(&lab, &daemon)["gateway"]
        .as_str()
        .unwrap_or("")
        .starts_with("192.0.2.1:"));

    // A ping every 10 ms for 6 s; after 2 s the first gateway is drained.
    let ping = lab
        .client
        .command(&["ping", "-n", "-q", "-i", "0.01", "-c", "600", LAN_HOST])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let drained = Instant::now();
    first.signal("USR1");
    assert!(
        wait_until(Duration::from_secs(10), Duration::from_millis(50), || {
            status(&lab, &daemon)["gateway"]
                .as_str()
                .unwrap_or("")
                .starts_with(GW2)
        }),
        "the tunnel did not move:\n{}\n{}",
        daemon.log(),
        first.log()
    );
    let moved = drained.elapsed();
    let out = ping.wait_with_output().unwrap();
    let (sent, received) = ping_counts(&String::from_utf8_lossy(&out.stdout));
    eprintln!(
        "redirect: moved in {moved:?}; {} of {sent} pings lost",
        sent - received
    );
    let s = status(&lab, &daemon);
    assert_eq!(s["state"], "connected", "{s}");
    assert!(s["virtual_ips"].to_string().contains("10.99.20."), "{s}");
    assert!(
        lab.client.ping(LAN_HOST, 2),
        "traffic through the second gateway"
    );
    assert!(second.log().contains("client signed in"));
    // The first gateway's SA was deleted by the client, not left behind.
    assert!(
        wait_until(Duration::from_secs(5), Duration::from_millis(100), || {
            first.log().contains("connection closed")
        }),
        "{}",
        first.log()
    );
    // Only the gateway in use keeps a route around the tunnel.
    assert!(lab
        .client
        .run_ok(&["ip", "route", "show", "192.0.2.1/32"])
        .unwrap()
        .trim()
        .is_empty());
    // Traffic kept flowing across the move (the new gateway gives another
    // virtual address, so the system is set up again; a short gap at most).
    assert!(
        received * 10 >= sent * 8,
        "{received} of {sent} pings answered\n{}",
        daemon.log()
    );
    assert!(!daemon.log().to_lowercase().contains("prompt"), "no prompt");
    // The TUN device took the new address in place: its routes stayed, so
    // nothing left around the tunnel during the move.
    let log = daemon.log();
    assert!(log.contains("TUN device readdressed"), "{log}");
    assert_eq!(log.matches("TUN device up").count(), 1, "{log}");
    disconnect_and_check(&lab, &daemon, &before);
}

#[test]
fn a_redirect_loop_is_refused_with_a_clear_error() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun]) {
        return;
    }
    let lab = Lab::new(true);
    let dir = tempdir("ibx-redir-loop-").unwrap();
    let (_first, _second) = gateways(
        &lab,
        dir.path(),
        serde_json::json!({"gateways": [GW2], "during": "init"}),
        serde_json::json!({"gateways": ["192.0.2.1"], "during": "init", "redirected_clients": true}),
    );
    let daemon = Daemon::start(&lab, dir.path(), "redir-loop");
    let before = system_state(&lab);
    let started = Instant::now();
    let out = connect(&lab, &daemon, dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a loop must not connect");
    assert!(
        err.contains("redirect loop") && err.contains("192.0.2.1 → 192.0.2.9 → 192.0.2.1"),
        "{err}\n{}",
        daemon.log()
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "refused at once"
    );
    assert_eq!(system_state(&lab), before, "nothing applied");
}

/// strongSwan as the client follows the Ibex gateway's redirects: at sign-in
/// (its IKE_SA_INIT answered with REDIRECT carrying its nonce, then its
/// REDIRECTED_FROM accepted by the second gateway) and of its running
/// IKE_SA (the first gateway drained with SIGUSR1).
#[test]
fn strongswan_client_follows_ibex_gateway_redirects() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun, Prereq::StrongSwan]) {
        return;
    }
    for during in ["init", "established"] {
        let lab = Lab::new(true);
        let dir = tempdir("ibx-redir-sw-").unwrap();
        let (first, second) = gateways(
            &lab,
            dir.path(),
            serde_json::json!({"gateways": [GW2], "during": during}),
            serde_json::Value::Null,
        );
        let mut conf = CharonConf::new(
            "198.51.100.2",
            "192.0.2.1",
            CLIENT_ID,
            GW_ID,
            Auth::Psk(PSK.into()),
        );
        conf.vips = Some("0.0.0.0".into());
        conf.remote_ts = Some("10.99.0.0/24".into());
        let charon = Charon::start(&lab.client, Role::Initiator, &conf);
        let _ = charon.initiate("net");
        let landed = |who: &Responder| who.log().contains("client signed in");
        if during == "established" {
            charon
                .wait_log(r"CHILD_SA \S+ established", Duration::from_secs(20))
                .unwrap_or_else(|e| panic!("{e}\n{}", first.log()));
            assert!(landed(&first));
            first.signal("USR1");
        }
        assert!(
            wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
                landed(&second)
            }),
            "strongSwan did not reach the second gateway ({during}):\n{}\n{}\n{}",
            charon.log(),
            first.log(),
            second.log()
        );
        charon
            .wait_log(r"redirected to 192\.0\.2\.9", Duration::from_secs(1))
            .unwrap_or_else(|e| panic!("charon saw no redirect ({during}): {e}"));
        assert!(
            wait_until(Duration::from_secs(10), Duration::from_millis(200), || {
                lab.client.ping(LAN_HOST, 1)
            }),
            "no traffic through the second gateway ({during}):\n{}\n{}",
            charon.log(),
            second.log()
        );
        if during == "init" {
            assert!(!landed(&first), "the first gateway kept no client");
        }
    }
}

/// Ibex follows a strongSwan gateway's redirect of its running tunnel
/// (`swanctl --redirect`) to a second gateway (an ibex-responder on the
/// NAT router's far side): make-before-break, charon's IKE_SA deleted.
#[test]
fn ibex_client_follows_a_strongswan_gateways_redirect() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun, Prereq::StrongSwan]) {
        return;
    }
    let lab = Lab::new(true);
    let gw2 = lab.add_second_gateway().expect("second gateway");
    let dir = tempdir("ibx-redir-swgw-").unwrap();
    let dir2 = dir.path().join("gw2");
    std::fs::create_dir_all(&dir2).unwrap();
    let c2 = responder_config_with(
        &dir2,
        &ResponderAuth::Psk,
        serde_json::json!({
            "listen": "203.0.113.9", "pool": "10.99.20.0/24",
            "tun": {"name": "ibexgw1", "mtu": 1400},
        }),
    );
    let second = Responder::start_in(&gw2, &dir2, &c2);
    let conf = CharonConf::new("192.0.2.1", "%any", GW_ID, CLIENT_ID, Auth::Psk(PSK.into()));
    let charon = Charon::start(&lab.gw, Role::Responder, &conf);
    let daemon = Daemon::start(&lab, dir.path(), "redir-swgw");
    connected(&lab, &daemon, dir.path());
    charon
        .swanctl(&[
            "--redirect",
            "--peer-id",
            CLIENT_ID,
            "--gateway",
            "203.0.113.9",
        ])
        .unwrap_or_else(|e| panic!("swanctl --redirect: {e}\n{}", charon.log()));
    assert!(
        wait_until(Duration::from_secs(15), Duration::from_millis(100), || {
            status(&lab, &daemon)["gateway"]
                .as_str()
                .unwrap_or("")
                .starts_with("203.0.113.9:")
        }),
        "Ibex did not follow charon's redirect:\n{}\n{}",
        daemon.log(),
        charon.log()
    );
    assert!(second.log().contains("client signed in"));
    // The LAN host stand-in behind the second gateway answers.
    assert!(wait_until(
        Duration::from_secs(10),
        Duration::from_millis(200),
        || lab.client.ping(LAN_HOST, 1)
    ));
    charon
        .wait_log(r"received DELETE for IKE_SA", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("charon's IKE_SA was not deleted: {e}\n{}", charon.log()));
    assert!(ibex(&lab, &daemon, &["disconnect"], "").status.success());
    drop(second);
}
