//! Forced reauthentication end to end: ibex-responder limits sign-ins to
//! 20 s (AUTH_LIFETIME); ibexd signs in again before that, prompting once
//! (a push approval, approved through the responder's API), while the old
//! IKE SA keeps carrying a continuous ping; the new Child SA takes over and
//! the old IKE SA is deleted. Nothing is lost and the tunnel outlives the
//! first sign-in's deadline. A password sign-in is asked again of the
//! CLI that stayed in the foreground (`ibex connect --stay`), and a push
//! sign-in can switch to a one-time code when asked again.

use std::time::{Duration, Instant};

use ibex_e2e::agent::{
    ibex, ibex_spawn, ibex_spawn_open, responder_config_with, system_state, write_profile, Daemon,
    NetnsResolvConf, ProfileAuth, Responder, ORIGINAL_RESOLV,
};
use ibex_e2e::lab::{Lab, LAN_HOST};
use ibex_e2e::pki::{KeyKind, TestPki};
use ibex_e2e::prereq::{require, Prereq};
use ibex_e2e::{ping_counts, tempdir, wait_until};

use super::mfa::{
    pending_approval, push_api, responder_auth, totp_now_for, window_left, EventLog, PASSWORD,
    PASSWORD_USER, PUSH_TOTP_SECRET, PUSH_USER,
};

/// The gateway's sign-in lifetime: reauthentication starts 10 s before it ends.
const LIFETIME_S: u64 = 20;

fn status(lab: &Lab, daemon: &Daemon) -> serde_json::Value {
    let out = ibex(lab, daemon, &["status", "--json"], "");
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

/// Approves the next pending push approval; returns its number.
fn approve_next(lab: &Lab) -> u64 {
    let approval = pending_approval(lab);
    assert_eq!(approval["user"], PUSH_USER, "{approval}");
    let id = approval["id"].as_str().unwrap().to_string();
    push_api(lab, "POST", &format!("/api/approvals/{id}/approve"));
    approval["number"].as_u64().expect("a number to match")
}

#[test]
fn forced_reauthentication_prompts_once_and_keeps_traffic_flowing() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun, Prereq::Pki]) {
        return;
    }
    let pki = TestPki::generate();
    let set = pki.set(KeyKind::Ecdsa);
    let lab = Lab::new(true);
    let dir = tempdir("ibx-reauth-").unwrap();
    let resolv = NetnsResolvConf::new(lab.client.name(), ORIGINAL_RESOLV);
    let config = responder_config_with(
        dir.path(),
        &responder_auth(&set.gw.cert_pem, &set.gw.key_pk8_pem),
        serde_json::json!({ "auth_lifetime_secs": LIFETIME_S }),
    );
    let responder = Responder::start_with_config(&lab, dir.path(), &config);
    let daemon = Daemon::start(&lab, dir.path(), "reauth");
    let mut events = EventLog::start(&lab, &daemon);
    let before = system_state(&lab);
    let ca_pem = std::fs::read_to_string(&set.ca.cert_pem).unwrap();
    let profile = write_profile(
        dir.path(),
        &ProfileAuth::Eap {
            local_id: PUSH_USER,
            rounds: &["push"],
            ca_pem: &ca_pem,
        },
    );
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&profile).unwrap()).unwrap();
    p["auth"] = serde_json::json!({"method": "eap", "rounds": [{"method": "push"}]});
    std::fs::write(&profile, p.to_string()).unwrap();
    let profile = profile.to_str().unwrap();

    // Sign in: approve the first push.
    let cli = ibex_spawn(&lab, &daemon, &["connect", profile], "");
    approve_next(&lab);
    let out = cli.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "connect: {}\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        daemon.log(),
        responder.log()
    );
    let connected_at = Instant::now();
    let first = status(&lab, &daemon);
    assert_eq!(first["state"], "connected", "{first}");
    let vip = first["virtual_ips"][0].clone();
    assert!(wait_until(
        Duration::from_secs(10),
        Duration::from_millis(200),
        || lab.client.ping(LAN_HOST, 1)
    ));

    // A ping every 20 ms across the reauthentication and past the first
    // sign-in's deadline.
    let ping = lab
        .client
        .command(&["ping", "-n", "-q", "-i", "0.02", "-c", "1100", LAN_HOST])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();

    // The gateway's lifetime makes ibexd sign in again: one push, while the
    // tunnel stays connected.
    let number = approve_next(&lab);
    let asked_after = connected_at.elapsed();
    assert!(
        asked_after < Duration::from_secs(LIFETIME_S),
        "reauthentication must start before the deadline (after {asked_after:?})"
    );
    assert_eq!(status(&lab, &daemon)["state"], "connected");
    assert!(
        wait_until(Duration::from_secs(15), Duration::from_millis(200), || {
            daemon.log().contains("signed in again")
        }),
        "no reauthentication:\n{}\n{}",
        daemon.log(),
        responder.log()
    );
    assert_eq!(
        responder.log().matches("push approval opened").count(),
        2,
        "one push per sign-in:\n{}",
        responder.log()
    );

    let out = ping.wait_with_output().unwrap();
    let (sent, received) = ping_counts(&String::from_utf8_lossy(&out.stdout));
    eprintln!("ping every 20 ms across the reauthentication: {sent} sent, {received} answered");
    assert_eq!(sent, 1100);
    assert!(
        sent == received,
        "make-before-break: {} of {sent} pings lost\n{}",
        sent - received,
        daemon.log()
    );
    // Past the first sign-in's deadline: its IKE SA is gone on the gateway.
    assert!(connected_at.elapsed() > Duration::from_secs(LIFETIME_S + 1));

    // Still connected on the same address, with one IKE SA on the gateway:
    // the old one was deleted.
    let after = status(&lab, &daemon);
    assert_eq!(after["state"], "connected", "{after}");
    assert_eq!(after["virtual_ips"][0], vip);
    assert!(lab.client.ping(LAN_HOST, 3));
    let log = responder.log();
    assert!(
        log.contains("connection closed"),
        "the old IKE SA is deleted:\n{log}"
    );
    assert_eq!(
        log.matches("client signed in").count(),
        2,
        "two sign-ins on the gateway:\n{log}"
    );

    assert!(ibex(&lab, &daemon, &["disconnect"], "").status.success());
    assert!(wait_until(
        Duration::from_secs(5),
        Duration::from_millis(100),
        || system_state(&lab) == before
    ));
    assert!(
        wait_until(Duration::from_secs(5), Duration::from_millis(100), || {
            resolv.read() == ORIGINAL_RESOLV
        }),
        "DNS not restored: {}\n{}",
        resolv.read(),
        daemon.log()
    );
    let events = events.finish();
    let prompts: Vec<&str> = events
        .lines()
        .filter(|l| l.contains("\"type\":\"prompt\""))
        .collect();
    // (A third sign-in may have begun: the new SA has a lifetime too.)
    assert!(prompts.len() >= 2, "one prompt per sign-in:\n{events}");
    assert!(!prompts[0].contains("sign in again"), "{}", prompts[0]);
    assert!(
        prompts[1].contains("sign in again"),
        "the second prompt says why: {}",
        prompts[1]
    );
    assert!(prompts[1].contains(&format!("{number:02}")));
}

#[test]
fn staying_cli_answers_the_password_prompt_of_a_new_sign_in() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun, Prereq::Pki]) {
        return;
    }
    let pki = TestPki::generate();
    let set = pki.set(KeyKind::Ecdsa);
    let lab = Lab::new(false);
    let dir = tempdir("ibx-reauth-pw-").unwrap();
    let config = responder_config_with(
        dir.path(),
        &responder_auth(&set.gw.cert_pem, &set.gw.key_pk8_pem),
        serde_json::json!({ "auth_lifetime_secs": LIFETIME_S }),
    );
    let responder = Responder::start_with_config(&lab, dir.path(), &config);
    let daemon = Daemon::start(&lab, dir.path(), "reauth-pw");
    let mut events = EventLog::start(&lab, &daemon);
    let before = system_state(&lab);
    let ca_pem = std::fs::read_to_string(&set.ca.cert_pem).unwrap();
    let profile = write_profile(
        dir.path(),
        &ProfileAuth::Eap {
            local_id: PASSWORD_USER,
            rounds: &["mschapv2"],
            ca_pem: &ca_pem,
        },
    );
    // One line per sign-in: the first and the one the lifetime forces.
    let cli = ibex_spawn(
        &lab,
        &daemon,
        &["connect", "--stay", profile.to_str().unwrap()],
        &format!("{PASSWORD}\n{PASSWORD}\n"),
    );
    assert!(
        wait_until(Duration::from_secs(15), Duration::from_millis(200), || {
            status(&lab, &daemon)["state"] == "connected"
        }),
        "not connected:\n{}\n{}",
        daemon.log(),
        responder.log()
    );
    assert!(
        wait_until(
            Duration::from_secs(LIFETIME_S),
            Duration::from_millis(200),
            || daemon.log().contains("signed in again")
        ),
        "no reauthentication:\n{}\n{}",
        daemon.log(),
        responder.log()
    );
    assert_eq!(status(&lab, &daemon)["state"], "connected");
    assert!(lab.client.ping(LAN_HOST, 2));
    assert!(ibex(&lab, &daemon, &["disconnect"], "").status.success());
    let out = cli.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ibex connect --stay: {err}");
    assert!(err.contains("disconnected"), "{err}");
    assert!(wait_until(
        Duration::from_secs(5),
        Duration::from_millis(100),
        || system_state(&lab) == before
    ));
    let events = events.finish();
    let prompts: Vec<&str> = events
        .lines()
        .filter(|l| l.contains("\"type\":\"prompt\""))
        .collect();
    assert_eq!(
        prompts.len(),
        2,
        "one password prompt per sign-in:\n{events}"
    );
    assert!(prompts.iter().all(|p| p.contains("\"kind\":\"password\"")));
    assert!(
        !events.contains(PASSWORD),
        "the password leaked into IPC events"
    );
    assert!(
        !daemon.log().contains(PASSWORD),
        "the password leaked into the log"
    );
}

#[test]
fn signing_in_again_switches_from_push_to_a_code() {
    use std::io::Write;
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun, Prereq::Pki]) {
        return;
    }
    let pki = TestPki::generate();
    let set = pki.set(KeyKind::Ecdsa);
    let lab = Lab::new(false);
    let dir = tempdir("ibx-reauth-code-").unwrap();
    let config = responder_config_with(
        dir.path(),
        &responder_auth(&set.gw.cert_pem, &set.gw.key_pk8_pem),
        serde_json::json!({ "auth_lifetime_secs": LIFETIME_S }),
    );
    let responder = Responder::start_with_config(&lab, dir.path(), &config);
    let daemon = Daemon::start(&lab, dir.path(), "reauth-code");
    let before = system_state(&lab);
    let ca_pem = std::fs::read_to_string(&set.ca.cert_pem).unwrap();
    let profile = write_profile(
        dir.path(),
        &ProfileAuth::Eap {
            local_id: PUSH_USER,
            rounds: &["push"],
            ca_pem: &ca_pem,
        },
    );
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&profile).unwrap()).unwrap();
    p["auth"] = serde_json::json!({"method": "eap", "rounds": [{"method": "push"}]});
    std::fs::write(&profile, p.to_string()).unwrap();
    // The first sign-in is approved on the "phone"; the CLI stays.
    let mut cli = ibex_spawn_open(
        &lab,
        &daemon,
        &["connect", "--stay", profile.to_str().unwrap()],
    );
    approve_next(&lab);
    assert!(
        wait_until(Duration::from_secs(15), Duration::from_millis(200), || {
            status(&lab, &daemon)["state"] == "connected"
        }),
        "not connected:\n{}\n{}",
        daemon.log(),
        responder.log()
    );
    // Asked again (a second push approval waits on the gateway), the
    // person picks "use a code instead" and types the code.
    pending_approval(&lab);
    if window_left() < 8 {
        std::thread::sleep(Duration::from_secs(window_left() + 1));
    }
    let code = totp_now_for(PUSH_TOTP_SECRET);
    let mut stdin = cli.stdin.take().unwrap();
    stdin
        .write_all(format!("code\n{code}\n").as_bytes())
        .unwrap();
    assert!(
        wait_until(
            Duration::from_secs(LIFETIME_S),
            Duration::from_millis(200),
            || daemon.log().contains("signed in again")
        ),
        "no reauthentication:\n{}\n{}",
        daemon.log(),
        responder.log()
    );
    let log = daemon.log();
    assert!(
        log.contains("switching from push approval to a one-time code"),
        "{log}"
    );
    assert!(!log.contains("signing in again failed"), "{log}");
    assert_eq!(status(&lab, &daemon)["state"], "connected");
    assert!(lab.client.ping(LAN_HOST, 2));
    assert_eq!(
        responder.log().matches("client signed in").count(),
        2,
        "the code sign-in replaced the first:\n{}",
        responder.log()
    );
    assert!(!log.contains(&code), "the code leaked into the log");
    drop(stdin);
    assert!(ibex(&lab, &daemon, &["disconnect"], "").status.success());
    let out = cli.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "ibex connect --stay: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(wait_until(
        Duration::from_secs(5),
        Duration::from_millis(100),
        || system_state(&lab) == before
    ));
}
