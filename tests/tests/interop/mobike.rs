//! MOBIKE (RFC 4555) across implementations, in the tunnel lab with a second
//! uplink: the client loses its first uplink under a ping every 10 ms and
//! the tunnel moves to the second one without a new IKE_AUTH.
//!
//! * Ibex (`ibexd` + `ibex`) against a strongSwan gateway;
//! * a strongSwan client (charon's kernel-netlink notices the lost path and
//!   roams) against `ibex-responder`.

use std::time::{Duration, Instant};

use ibex_e2e::agent::LAB_PSK as PSK;
use ibex_e2e::agent::{ibex, write_profile, Daemon, ProfileAuth, Responder, ResponderAuth};
use ibex_e2e::lab::{Lab, LAN_HOST};
use ibex_e2e::pki::{CLIENT_ID, GW_ID};
use ibex_e2e::prereq::{require, Prereq};
use ibex_e2e::strongswan::{Auth, Charon, CharonConf, Role};
use ibex_e2e::{ping_counts, strip_ansi, tempdir, wait_until};

/// Pings the LAN host every 10 ms for 6 s from the client, taking the first
/// uplink down after 2 s; returns (sent, received).
fn ping_across_uplink_loss(lab: &Lab) -> (u64, u64) {
    let ping = lab
        .client
        .command(&["ping", "-n", "-q", "-i", "0.01", "-c", "600", LAN_HOST])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let cut = Instant::now();
    lab.client
        .run_ok(&["ip", "link", "set", &lab.client_if, "down"])
        .unwrap();
    let out = ping.wait_with_output().unwrap();
    let (sent, received) = ping_counts(&String::from_utf8_lossy(&out.stdout));
    eprintln!(
        "mobike: {} of {sent} pings lost (~{} ms without traffic), ping ended {:?} after the cut",
        sent - received,
        (sent - received) * 10,
        cut.elapsed()
    );
    (sent, received)
}

#[test]
fn ibex_client_moves_to_its_second_uplink_with_a_strongswan_gateway() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun, Prereq::StrongSwan]) {
        return;
    }
    let lab = Lab::new(true);
    lab.add_second_uplink().expect("second uplink");
    let dir = tempdir("ibx-mobike-swgw-").unwrap();
    let conf = CharonConf::new("192.0.2.1", "%any", GW_ID, CLIENT_ID, Auth::Psk(PSK.into()));
    let charon = Charon::start(&lab.gw, Role::Responder, &conf);
    let daemon = Daemon::start(&lab, dir.path(), "mobike-swgw");
    let profile = write_profile(dir.path(), &ProfileAuth::Psk);
    let out = ibex(
        &lab,
        &daemon,
        &["connect", profile.to_str().unwrap()],
        &format!("{PSK}\n"),
    );
    assert!(
        out.status.success(),
        "connect: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        daemon.log()
    );
    charon
        .wait_log("peer supports MOBIKE", Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("{e}\n{}", daemon.log()));
    assert!(wait_until(
        Duration::from_secs(10),
        Duration::from_millis(200),
        || lab.client.ping(LAN_HOST, 1)
    ));
    let (sent, received) = ping_across_uplink_loss(&lab);
    let log = daemon.log();
    assert!(
        (sent - received) * 10 <= 2000,
        "the tunnel did not recover within 2 s:\n{log}\n{}",
        charon.log()
    );
    assert!(log.contains("moving the tunnel (MOBIKE)"), "{log}");
    charon
        .wait_log(
            r"remote endpoint changed from \S+ to 203\.0\.113\.2\[4500\]",
            Duration::from_secs(2),
        )
        .unwrap_or_else(|e| panic!("strongSwan followed the client: {e}\n{log}"));
    assert!(lab.client.ping(LAN_HOST, 3), "pings on the second uplink");
    assert_eq!(
        charon
            .log_matches(r"authentication of 'client\.ibex\.test' with pre-shared key successful")
            .len(),
        1,
        "no new IKE_AUTH:\n{}",
        charon.log()
    );
    let status = ibex(&lab, &daemon, &["status", "--json"], "");
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["state"], "connected", "{status}");
    assert!(ibex(&lab, &daemon, &["disconnect"], "").status.success());
}

#[test]
fn strongswan_client_moves_to_its_second_uplink_and_ibex_responder_follows() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun, Prereq::StrongSwan]) {
        return;
    }
    let lab = Lab::new(true);
    lab.add_second_uplink().expect("second uplink");
    let dir = tempdir("ibx-mobike-swcli-").unwrap();
    let responder = Responder::start(&lab, dir.path(), &ResponderAuth::Psk);
    // Any local address: charon picks the path to the gateway, and roams.
    let mut conf = CharonConf::new("%any", "192.0.2.1", CLIENT_ID, GW_ID, Auth::Psk(PSK.into()));
    conf.vips = Some("0.0.0.0".into());
    conf.remote_ts = Some("10.99.0.0/24".into());
    let charon = Charon::start(&lab.client, Role::Initiator, &conf);
    charon
        .initiate("net")
        .unwrap_or_else(|e| panic!("swanctl --initiate: {e}\n{}", responder.log()));
    charon
        .wait_log(r"CHILD_SA \S+ established", Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("{e}\n{}", responder.log()));
    charon
        .wait_log("peer supports MOBIKE", Duration::from_secs(1))
        .unwrap_or_else(|e| panic!("the Ibex responder offers MOBIKE: {e}"));
    assert!(wait_until(
        Duration::from_secs(10),
        Duration::from_millis(200),
        || lab.client.ping(LAN_HOST, 1)
    ));
    let (sent, received) = ping_across_uplink_loss(&lab);
    let log = strip_ansi(&responder.log());
    assert!(
        (sent - received) * 10 <= 2000,
        "the tunnel did not recover within 2 s:\n{log}\n{}",
        charon.log()
    );
    charon
        .wait_log(
            "requesting address change using MOBIKE",
            Duration::from_secs(1),
        )
        .unwrap_or_else(|e| panic!("charon roamed: {e}"));
    assert!(
        log.lines().any(|l| l.contains("client endpoint changed")
            && l.contains("remote=203.0.113.2:4500")),
        "the Ibex responder followed the client to its second uplink:\n{log}"
    );
    assert!(lab.client.ping(LAN_HOST, 3), "pings on the second uplink");
    assert_eq!(
        log.matches("client signed in").count(),
        1,
        "no new IKE_AUTH:\n{log}"
    );
}
