//! Roaming: the client has two uplinks; the first goes away under a ping
//! every 10 ms and ibexd moves the tunnel to the second with MOBIKE, no new
//! sign-in and no prompt.

use std::time::{Duration, Instant};

use ibex_e2e::agent::{
    ibex, responder_config_with, system_state, write_profile, Daemon, ProfileAuth, Responder,
    ResponderAuth, LAB_PSK as PSK,
};
use ibex_e2e::lab::{Lab, LAN_HOST};
use ibex_e2e::prereq::{require, Prereq};
use ibex_e2e::{ping_counts, tempdir, wait_until};

use super::mfa::EventLog;

#[test]
fn uplink_loss_moves_the_tunnel_with_mobike() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun]) {
        return;
    }
    let lab = Lab::new(true);
    let second = lab.add_second_uplink().expect("second uplink");
    let dir = tempdir("ibx-roam-").unwrap();
    let config = responder_config_with(dir.path(), &ResponderAuth::Psk, serde_json::json!({}));
    let responder = Responder::start_with_config(&lab, dir.path(), &config);
    let daemon = Daemon::start(&lab, dir.path(), "roam");
    let mut events = EventLog::start(&lab, &daemon);
    let before = system_state(&lab);
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
    assert!(wait_until(
        Duration::from_secs(10),
        Duration::from_millis(200),
        || lab.client.ping(LAN_HOST, 1)
    ));

    // A ping every 10 ms for 6 s; after 2 s the first uplink goes down.
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
    let gap_ms = (sent - received) * 10;
    eprintln!(
        "roaming: {} of {sent} pings lost (~{gap_ms} ms without traffic), ping ended {:?} after the cut",
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
    // No new sign-in, no prompt.
    assert_eq!(
        responder.log().matches("client signed in").count(),
        1,
        "no new IKE_AUTH:\n{}",
        responder.log()
    );
    let route = lab
        .client
        .run_ok(&["ip", "route", "show", "192.0.2.1/32"])
        .unwrap();
    assert!(route.contains(&second), "gateway route follows: {route}");

    assert!(ibex(&lab, &daemon, &["disconnect"], "").status.success());
    lab.client
        .run_ok(&["ip", "link", "set", &lab.client_if, "up"])
        .unwrap();
    // Nothing of ours is left (the first uplink's default route went with
    // its link, so the state differs from `before` by that route only).
    assert!(wait_until(
        Duration::from_secs(5),
        Duration::from_millis(100),
        || {
            let now = system_state(&lab);
            !now.contains("ibex0") && !now.contains("192.0.2.1 via")
        }
    ));
    let now = system_state(&lab);
    let without_default: String = before
        .lines()
        .filter(|l| !l.starts_with("default via 198.51.100.1"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(now, without_default);
    let events = events.finish();
    let prompts = events
        .lines()
        .filter(|l| l.contains("\"type\":\"prompt\""))
        .count();
    assert_eq!(prompts, 1, "only the key at connect:\n{events}");
}
