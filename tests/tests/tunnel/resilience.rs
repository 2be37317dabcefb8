//! Liveness and recovery end to end: a gateway killed and restarted, and a
//! daemon frozen (SIGSTOP, as a sleeping laptop) past the gateway's liveness
//! timeout. The client notices, says so honestly, keeps the system as it is
//! (no traffic around the tunnel) and reconnects without asking again for
//! the pre-shared key.

use std::time::{Duration, Instant};

use ibex_e2e::agent::{
    ibex, responder_config_with, system_state, write_profile, Daemon, ProfileAuth, Responder,
    ResponderAuth, LAB_PSK as PSK,
};
use ibex_e2e::lab::{Lab, LAN_HOST};
use ibex_e2e::prereq::{require, Prereq};
use ibex_e2e::{tempdir, wait_until};

use super::mfa::EventLog;

fn state(lab: &Lab, daemon: &Daemon) -> String {
    let out = ibex(lab, daemon, &["status", "--json"], "");
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .map(|s| s["state"].as_str().unwrap_or("").to_string())
        .unwrap_or_default()
}

/// The lab's PSK profile with liveness checks after `dpd_s` seconds.
fn profile(dir: &std::path::Path, dpd_s: u32) -> String {
    let path = write_profile(dir, &ProfileAuth::Psk);
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    p["dpd_interval_s"] = serde_json::json!(dpd_s);
    std::fs::write(&path, p.to_string()).unwrap();
    path.to_str().unwrap().to_string()
}

fn connect(lab: &Lab, daemon: &Daemon, profile: &str) {
    let out = ibex(lab, daemon, &["connect", profile], &format!("{PSK}\n"));
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
}

fn prompts(events: &str) -> usize {
    events
        .lines()
        .filter(|l| l.contains("\"type\":\"prompt\""))
        .count()
}

#[test]
fn killed_gateway_is_noticed_and_the_tunnel_comes_back() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun]) {
        return;
    }
    let lab = Lab::new(true);
    let dir = tempdir("ibx-gwkill-").unwrap();
    let config = responder_config_with(dir.path(), &ResponderAuth::Psk, serde_json::json!({}));
    let responder = Responder::start_with_config(&lab, dir.path(), &config);
    let daemon = Daemon::start(&lab, dir.path(), "gwkill");
    let mut events = EventLog::start(&lab, &daemon);
    let before = system_state(&lab);
    let profile = profile(dir.path(), 2);
    connect(&lab, &daemon, &profile);
    let connected = system_state(&lab);

    // The gateway dies without a word.
    responder.kill();
    let killed = Instant::now();
    assert!(
        wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
            state(&lab, &daemon) != "connected"
        }),
        "status still claims a working tunnel:\n{}",
        daemon.log()
    );
    let noticed = killed.elapsed();
    eprintln!("dead gateway noticed after {noticed:?} (liveness checks every 2 s)");
    // 2 s of silence, then 10 s without an answer.
    assert!(noticed <= Duration::from_secs(15), "{noticed:?}");
    // Still closed to the outside while it reconnects: routes and the TUN
    // device stay, so nothing leaks around the tunnel.
    assert_eq!(system_state(&lab), connected);
    assert!(!lab.client.ping(LAN_HOST, 1));

    // The gateway comes back: the client signs in again by itself.
    let responder = Responder::start_with_config(&lab, dir.path(), &config);
    assert!(
        wait_until(Duration::from_secs(40), Duration::from_millis(250), || {
            state(&lab, &daemon) == "connected" && lab.client.ping(LAN_HOST, 1)
        }),
        "no reconnection:\n{}\n{}",
        daemon.log(),
        responder.log()
    );
    assert!(ibex(&lab, &daemon, &["disconnect"], "").status.success());
    assert!(wait_until(
        Duration::from_secs(5),
        Duration::from_millis(100),
        || system_state(&lab) == before
    ));
    let events = events.finish();
    assert_eq!(prompts(&events), 1, "the key is asked once:\n{events}");
    assert!(
        events.contains("stopped answering") && events.contains("reconnecting in"),
        "the reason is reported:\n{events}"
    );
    assert!(!events.contains(PSK) && !daemon.log().contains(PSK));
}

#[test]
fn frozen_daemon_never_claims_a_lost_tunnel_and_recovers() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun]) {
        return;
    }
    let lab = Lab::new(true);
    let dir = tempdir("ibx-freeze-").unwrap();
    // The gateway checks a silent client after 3 s and drops it 10 s later.
    let config = responder_config_with(
        dir.path(),
        &ResponderAuth::Psk,
        serde_json::json!({ "dpd_interval_secs": 3 }),
    );
    let responder = Responder::start_with_config(&lab, dir.path(), &config);
    let daemon = Daemon::start(&lab, dir.path(), "freeze");
    let profile = profile(dir.path(), 30);
    connect(&lab, &daemon, &profile);

    // The laptop sleeps: ibexd is frozen past the gateway's timeout.
    ibex_e2e::signal(daemon.pid(), libc::SIGSTOP);
    assert!(
        wait_until(Duration::from_secs(30), Duration::from_millis(250), || {
            responder.log().contains("liveness check failed")
        }),
        "the gateway never dropped the silent client:\n{}",
        responder.log()
    );
    ibex_e2e::signal(daemon.pid(), libc::SIGCONT);
    // From the first answer on, status does not claim the lost tunnel.
    let first = state(&lab, &daemon);
    assert_ne!(first, "connected", "a stale 'connected' after the pause");
    let resumed = Instant::now();
    assert!(
        wait_until(Duration::from_secs(15), Duration::from_millis(200), || {
            state(&lab, &daemon) == "connected" && lab.client.ping(LAN_HOST, 1)
        }),
        "no recovery after the pause:\n{}\n{}",
        daemon.log(),
        responder.log()
    );
    eprintln!("recovered {:?} after the pause", resumed.elapsed());
    let log = daemon.log();
    assert!(log.contains("resumed after a pause"), "{log}");
    assert!(log.contains("no longer knows this connection"), "{log}");
    assert!(ibex(&lab, &daemon, &["disconnect"], "").status.success());
}

#[test]
fn mfa_profile_reconnects_with_one_prompt_that_says_why() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun, Prereq::Pki]) {
        return;
    }
    let pki = ibex_e2e::pki::TestPki::generate();
    let set = pki.set(ibex_e2e::pki::KeyKind::Ecdsa);
    let lab = Lab::new(false);
    let dir = tempdir("ibx-gwkill-mfa-").unwrap();
    let config = responder_config_with(
        dir.path(),
        &super::mfa::responder_auth(&set.gw.cert_pem, &set.gw.key_pk8_pem),
        serde_json::json!({}),
    );
    let responder = Responder::start_with_config(&lab, dir.path(), &config);
    let daemon = Daemon::start(&lab, dir.path(), "gwkill-mfa");
    let mut events = EventLog::start(&lab, &daemon);
    let ca_pem = std::fs::read_to_string(&set.ca.cert_pem).unwrap();
    let path = write_profile(
        dir.path(),
        &ProfileAuth::Eap {
            local_id: super::mfa::PASSWORD_USER,
            rounds: &["mschapv2"],
            ca_pem: &ca_pem,
        },
    );
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    p["dpd_interval_s"] = serde_json::json!(2);
    std::fs::write(&path, p.to_string()).unwrap();
    // The CLI stays to answer: one password line per sign-in.
    let password = super::mfa::PASSWORD;
    let cli = ibex_e2e::agent::ibex_spawn(
        &lab,
        &daemon,
        &["connect", "--stay", path.to_str().unwrap()],
        &format!("{password}\n{password}\n"),
    );
    assert!(
        wait_until(Duration::from_secs(15), Duration::from_millis(200), || {
            state(&lab, &daemon) == "connected"
        }),
        "{}",
        daemon.log()
    );
    responder.kill();
    assert!(wait_until(
        Duration::from_secs(20),
        Duration::from_millis(200),
        || state(&lab, &daemon) != "connected"
    ));
    let responder = Responder::start_with_config(&lab, dir.path(), &config);
    assert!(
        wait_until(Duration::from_secs(40), Duration::from_millis(250), || {
            state(&lab, &daemon) == "connected" && lab.client.ping(LAN_HOST, 1)
        }),
        "no reconnection:\n{}\n{}",
        daemon.log(),
        responder.log()
    );
    assert!(ibex(&lab, &daemon, &["disconnect"], "").status.success());
    let out = cli.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = events.finish();
    let asked: Vec<&str> = events
        .lines()
        .filter(|l| l.contains("\"type\":\"prompt\""))
        .collect();
    assert_eq!(asked.len(), 2, "one prompt per sign-in:\n{events}");
    assert!(
        asked[1].contains("connection was lost"),
        "the prompt says why: {}",
        asked[1]
    );
    assert!(!events.contains(password) && !daemon.log().contains(password));
}

#[test]
fn disconnect_while_the_key_is_asked_ends_the_attempt() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun]) {
        return;
    }
    let lab = Lab::new(false);
    let dir = tempdir("ibx-disc-prompt-").unwrap();
    let config = responder_config_with(dir.path(), &ResponderAuth::Psk, serde_json::json!({}));
    let _responder = Responder::start_with_config(&lab, dir.path(), &config);
    let daemon = Daemon::start(&lab, dir.path(), "disc-prompt");
    let profile = profile(dir.path(), 30);
    // Nobody answers the pre-shared key prompt.
    let mut cli = ibex_e2e::agent::ibex_spawn_open(&lab, &daemon, &["connect", &profile]);
    assert!(
        wait_until(Duration::from_secs(10), Duration::from_millis(100), || {
            state(&lab, &daemon) == "waiting_for_user"
        }),
        "{}",
        daemon.log()
    );
    let asked = Instant::now();
    let out = ibex(&lab, &daemon, &["disconnect"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(state(&lab, &daemon), "disconnected");
    drop(cli.stdin.take());
    let out = cli.wait_with_output().unwrap();
    assert!(!out.status.success(), "the connect did not happen");
}

/// A private D-Bus daemon standing in for the system bus; killed on drop.
struct PrivateBus {
    child: std::process::Child,
    address: String,
}

impl PrivateBus {
    fn start(dir: &std::path::Path) -> PrivateBus {
        let path = dir.join("system-bus");
        let address = format!("unix:path={}", path.display());
        let child = std::process::Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile"])
            .arg(format!("--address={address}"))
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("spawn dbus-daemon");
        assert!(
            wait_until(Duration::from_secs(5), Duration::from_millis(50), || path
                .exists()),
            "dbus-daemon did not listen"
        );
        PrivateBus { child, address }
    }

    /// Emits logind's PrepareForSleep(`start`).
    fn prepare_for_sleep(&self, start: bool) {
        let out = std::process::Command::new("dbus-send")
            .arg(format!("--bus={}", self.address))
            .args([
                "--type=signal",
                "/org/freedesktop/login1",
                "org.freedesktop.login1.Manager.PrepareForSleep",
                &format!("boolean:{start}"),
            ])
            .output()
            .expect("dbus-send");
        assert!(out.status.success(), "{out:?}");
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn resume_from_sleep_is_checked_at_once() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun, Prereq::Dbus]) {
        return;
    }
    let lab = Lab::new(true);
    let dir = tempdir("ibx-resume-").unwrap();
    let bus = PrivateBus::start(dir.path());
    let config = responder_config_with(dir.path(), &ResponderAuth::Psk, serde_json::json!({}));
    let responder = Responder::start_with_config(&lab, dir.path(), &config);
    let daemon = Daemon::start_with_bus(&lab, dir.path(), "resume", &bus.address);
    assert!(
        wait_until(Duration::from_secs(5), Duration::from_millis(50), || daemon
            .log()
            .contains("watching systemd-logind")),
        "{}",
        daemon.log()
    );
    // Liveness checks only after a minute of silence: without the resume
    // signal the loss below would go unnoticed for that long.
    let profile = profile(dir.path(), 60);
    connect(&lab, &daemon, &profile);

    // While the laptop slept, the gateway restarted and forgot us.
    bus.prepare_for_sleep(true);
    responder.kill();
    let responder = Responder::start_with_config(&lab, dir.path(), &config);
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        !daemon.log().contains("no longer knows"),
        "noticed without the resume signal: the test proves nothing"
    );
    let resumed = Instant::now();
    bus.prepare_for_sleep(false);
    assert!(
        wait_until(Duration::from_secs(15), Duration::from_millis(200), || {
            responder.log().contains("client signed in")
                && state(&lab, &daemon) == "connected"
                && lab.client.ping(LAN_HOST, 1)
        }),
        "no recovery after the resume:\n{}\n{}",
        daemon.log(),
        responder.log()
    );
    eprintln!("recovered {:?} after the resume signal", resumed.elapsed());
    let log = daemon.log();
    assert!(
        log.contains("resumed from sleep: checking the gateway"),
        "{log}"
    );
    assert!(log.contains("no longer knows this connection"), "{log}");
    assert!(ibex(&lab, &daemon, &["disconnect"], "").status.success());
}
