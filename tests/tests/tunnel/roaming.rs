//! Roaming: the client has two uplinks, each through its own NAT router;
//! the first goes away (its link goes
//! down, its address is deleted, or the default route moves off it) under a
//! ping every 10 ms, and ibexd moves the tunnel to the second with MOBIKE,
//! no new sign-in and no prompt. When the first uplink comes back, the
//! better path, the tunnel moves back to it.

use std::time::{Duration, Instant};

use ibex_e2e::agent::{
    ibex, responder_config_with, system_state, write_profile, Daemon, ProfileAuth, Responder,
    ResponderAuth, LAB_PSK as PSK,
};
use ibex_e2e::lab::{Lab, LAN_HOST};
use ibex_e2e::prereq::{require, Prereq};
use ibex_e2e::{ping_counts, tempdir, wait_until};

use super::mfa::EventLog;

/// How the first uplink is lost.
#[derive(Clone, Copy, Debug)]
enum Loss {
    LinkDown,
    AddressDeleted,
    DefaultRouteMoved,
}

impl Loss {
    fn cut(self, lab: &Lab) {
        let c = lab.client_if.as_str();
        let cmd: &[&str] = match self {
            Loss::LinkDown => &["ip", "link", "set", c, "down"],
            Loss::AddressDeleted => &["ip", "addr", "del", "198.51.100.2/24", "dev", c],
            Loss::DefaultRouteMoved => &["ip", "route", "del", "default", "via", "198.51.100.1"],
        };
        lab.client.run_ok(cmd).unwrap();
    }

    /// Brings the first uplink back as it was.
    fn restore(self, lab: &Lab) {
        let c = lab.client_if.as_str();
        match self {
            Loss::LinkDown => {
                lab.client.run_ok(&["ip", "link", "set", c, "up"]).unwrap();
            }
            Loss::AddressDeleted => {
                lab.client
                    .run_ok(&["ip", "addr", "add", "198.51.100.2/24", "dev", c])
                    .unwrap();
            }
            Loss::DefaultRouteMoved => {}
        }
        lab.client
            .run_ok(&["ip", "route", "add", "default", "via", "198.51.100.1"])
            .unwrap();
    }
}

/// Pings every 10 ms for `secs` while `during` runs (after 2 s); returns
/// how many were lost.
fn ping_across(lab: &Lab, secs: u32, during: impl FnOnce()) -> (u64, u64) {
    let count = (secs * 100).to_string();
    let ping = lab
        .client
        .command(&["ping", "-n", "-q", "-i", "0.01", "-c", &count, LAN_HOST])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    during();
    let out = ping.wait_with_output().unwrap();
    ping_counts(&String::from_utf8_lossy(&out.stdout))
}

/// `ibex connect PROFILE` with the lab's key on stdin; panics with the
/// daemon's log when it fails.
fn connect(lab: &Lab, daemon: &Daemon, profile: &std::path::Path) {
    let out = ibex(
        lab,
        daemon,
        &["connect", profile.to_str().unwrap()],
        &format!("{PSK}\n"),
    );
    assert!(
        out.status.success(),
        "connect: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        daemon.log()
    );
}

fn gateway_route(lab: &Lab) -> String {
    lab.client
        .run_ok(&["ip", "route", "show", "192.0.2.1/32"])
        .unwrap()
}

fn roam(loss: Loss) {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun]) {
        return;
    }
    let lab = Lab::new(true);
    let second = lab.add_second_uplink_via_router().expect("second uplink");
    let dir = tempdir("ibx-roam-").unwrap();
    let config = responder_config_with(dir.path(), &ResponderAuth::Psk, serde_json::json!({}));
    let responder = Responder::start_with_config(&lab, dir.path(), &config);
    let daemon = Daemon::start(&lab, dir.path(), "roam");
    let mut events = EventLog::start(&lab, &daemon);
    let before = system_state(&lab);
    let profile = write_profile(dir.path(), &ProfileAuth::Psk);
    connect(&lab, &daemon, &profile);
    assert!(wait_until(
        Duration::from_secs(10),
        Duration::from_millis(200),
        || lab.client.ping(LAN_HOST, 1)
    ));

    // Away: the first uplink is lost under a ping every 10 ms.
    let mut cut = Instant::now();
    let (sent, received) = ping_across(&lab, 6, || {
        cut = Instant::now();
        loss.cut(&lab);
    });
    let gap_ms = (sent - received) * 10;
    eprintln!(
        "roaming ({loss:?}): {} of {sent} pings lost (~{gap_ms} ms without traffic), ping ended {:?} after the cut",
        sent - received,
        cut.elapsed()
    );
    let log = daemon.log();
    assert!(
        gap_ms <= 2000,
        "the tunnel did not recover within 2 s ({gap_ms} ms):\n{log}\n{}",
        responder.log()
    );
    assert!(log.contains("moving the tunnel (MOBIKE)"), "{log}");
    assert!(lab.client.ping(LAN_HOST, 2), "traffic on the second uplink");
    let status = ibex(&lab, &daemon, &["status", "--json"], "");
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["state"], "connected", "{status}");
    assert!(
        gateway_route(&lab).contains(&second),
        "gateway route follows: {}",
        gateway_route(&lab)
    );

    // Back: the first uplink, the better path (lower metric), returns.
    let (sent, received) = ping_across(&lab, 5, || loss.restore(&lab));
    let gap_ms = (sent - received) * 10;
    eprintln!(
        "roaming back ({loss:?}): {} of {sent} pings lost (~{gap_ms} ms)",
        sent - received
    );
    assert!(
        wait_until(Duration::from_secs(5), Duration::from_millis(100), || {
            gateway_route(&lab).contains(&lab.client_if)
        }),
        "the tunnel did not move back: {}\n{}",
        gateway_route(&lab),
        daemon.log()
    );
    assert!(gap_ms <= 2000, "moving back took {gap_ms} ms");
    assert!(
        lab.client.ping(LAN_HOST, 2),
        "traffic on the first uplink again"
    );
    let log = daemon.log();
    let moves: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("moving the tunnel (MOBIKE)"))
        .collect();
    assert_eq!(moves.len(), 2, "{moves:#?}");
    // No new sign-in, no prompt.
    assert_eq!(
        responder.log().matches("client signed in").count(),
        1,
        "no new IKE_AUTH:\n{}",
        responder.log()
    );

    assert!(ibex(&lab, &daemon, &["disconnect"], "").status.success());
    assert!(
        wait_until(Duration::from_secs(5), Duration::from_millis(100), || {
            system_state(&lab) == before
        }),
        "nothing of ours is left:\n{before}\n---\n{}",
        system_state(&lab)
    );
    let events = events.finish();
    assert!(events.contains("\"state\":\"connected\""), "{events}");
    assert_eq!(prompts_once_connected(&events), 0, "{events}");
}

/// Prompts after the first `connected` state event (the key asked at
/// connect may come before the event log subscribed).
fn prompts_once_connected(events: &str) -> usize {
    events
        .lines()
        .skip_while(|l| !l.contains("\"state\":\"connected\""))
        .filter(|l| l.contains("\"type\":\"prompt\""))
        .count()
}

#[test]
fn uplink_loss_moves_the_tunnel_with_mobike() {
    roam(Loss::LinkDown);
}

#[test]
fn deleted_address_moves_the_tunnel_with_mobike() {
    roam(Loss::AddressDeleted);
}

#[test]
fn moved_default_route_moves_the_tunnel_with_mobike() {
    roam(Loss::DefaultRouteMoved);
}

#[test]
fn losing_ipv4_moves_the_tunnel_to_the_gateways_ipv6_address_and_back() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun]) {
        return;
    }
    let lab = Lab::new(true);
    let v6 = lab.add_ipv6_uplink().expect("IPv6 uplink");
    let dir = tempdir("ibx-roam6-").unwrap();
    // The gateway also listens on IPv6 and tells MOBIKE clients so.
    let config = responder_config_with(
        dir.path(),
        &ResponderAuth::Psk,
        serde_json::json!({ "also_listen": ["2001:db8:2::1"] }),
    );
    let responder = Responder::start_with_config(&lab, dir.path(), &config);
    let daemon = Daemon::start(&lab, dir.path(), "roam6");
    let before = system_state(&lab);
    let profile = write_profile(dir.path(), &ProfileAuth::Psk);
    connect(&lab, &daemon, &profile);
    let gateway = || {
        let s = ibex(&lab, &daemon, &["status", "--json"], "");
        serde_json::from_slice::<serde_json::Value>(&s.stdout).unwrap_or_default()["gateway"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert!(gateway().starts_with("192.0.2.1:"), "{}", gateway());

    // IPv4 goes away with the first uplink: the tunnel moves to IPv6.
    let (sent, received) = ping_across(&lab, 6, || Loss::LinkDown.cut(&lab));
    let gap_ms = (sent - received) * 10;
    eprintln!(
        "IPv4 -> IPv6: {} of {sent} pings lost (~{gap_ms} ms)",
        sent - received
    );
    assert!(
        gateway().starts_with("[2001:db8:2::1]:"),
        "{}\n{}",
        gateway(),
        daemon.log()
    );
    assert!(gap_ms <= 2000, "{gap_ms} ms\n{}", daemon.log());
    let pinned = lab
        .client
        .run_ok(&["ip", "-6", "route", "show", "2001:db8:2::1/128"])
        .unwrap();
    assert!(pinned.contains(&v6), "IPv6 gateway route pinned: {pinned}");

    // IPv4 returns: back to the gateway's preferred address.
    let (sent, received) = ping_across(&lab, 5, || Loss::LinkDown.restore(&lab));
    eprintln!("IPv6 -> IPv4: {} of {sent} pings lost", sent - received);
    assert!(
        wait_until(Duration::from_secs(5), Duration::from_millis(100), || {
            gateway().starts_with("192.0.2.1:")
        }),
        "{}\n{}",
        gateway(),
        daemon.log()
    );
    assert!(lab.client.ping(LAN_HOST, 2));
    assert_eq!(
        responder.log().matches("client signed in").count(),
        1,
        "no new IKE_AUTH:\n{}",
        responder.log()
    );
    assert!(ibex(&lab, &daemon, &["disconnect"], "").status.success());
    // The first uplink's flap renews its IPv6 link-local routes, which the
    // kernel owns: compare everything else, in any order.
    let ours = |s: &str| {
        let mut v: Vec<String> = s
            .lines()
            .filter(|l| !l.contains("fe80:") && !l.contains("ff00::/8"))
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    assert!(
        wait_until(Duration::from_secs(5), Duration::from_millis(100), || {
            ours(&system_state(&lab)) == ours(&before)
        }),
        "nothing of ours is left:\n{before}\n---\n{}",
        system_state(&lab)
    );
}

#[test]
fn without_mobike_the_tunnel_is_signed_in_again_on_the_new_path_without_a_prompt() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun]) {
        return;
    }
    let lab = Lab::new(true);
    lab.add_second_uplink_via_router().expect("second uplink");
    let dir = tempdir("ibx-roam-nomobike-").unwrap();
    let config = responder_config_with(dir.path(), &ResponderAuth::Psk, serde_json::json!({}));
    let responder = Responder::start_with_config(&lab, dir.path(), &config);
    let daemon = Daemon::start(&lab, dir.path(), "roam-nomobike");
    let mut events = EventLog::start(&lab, &daemon);
    let path = write_profile(dir.path(), &ProfileAuth::Psk);
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    p["mobike"] = serde_json::json!(false);
    std::fs::write(&path, p.to_string()).unwrap();
    connect(&lab, &daemon, &path);
    let (sent, received) = ping_across(&lab, 8, || Loss::LinkDown.cut(&lab));
    eprintln!(
        "roaming without MOBIKE: {} of {sent} pings lost",
        sent - received
    );
    assert!(
        wait_until(Duration::from_secs(10), Duration::from_millis(200), || {
            lab.client.ping(LAN_HOST, 1)
        }),
        "{}",
        daemon.log()
    );
    let log = daemon.log();
    assert!(
        log.contains("the gateway has no MOBIKE: signing in again"),
        "{log}"
    );
    // A second sign-in, from the second uplink, with the key kept: no
    // prompt once connected, and the reason was told.
    assert_eq!(responder.log().matches("client signed in").count(), 2);
    assert!(ibex(&lab, &daemon, &["disconnect"], "").status.success());
    let events = events.finish();
    assert!(events.contains("\"state\":\"connected\""), "{events}");
    assert_eq!(prompts_once_connected(&events), 0, "{events}");
    assert!(
        events.contains("cannot move the tunnel (no MOBIKE)"),
        "{events}"
    );
}
