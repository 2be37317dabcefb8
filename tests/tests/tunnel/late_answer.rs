//! A person who takes longer to answer than the gateway waits: ibex-responder
//! drops the half-built SA (its EAP step timeout), answers the late IKE_AUTH
//! with INVALID_IKE_SPI, and ibexd starts the sign-in once more, saying why;
//! the second, prompt answer connects. No two-minute retransmission wait, no
//! cryptic failure.

use std::io::Write;
use std::time::{Duration, Instant};

use ibex_e2e::agent::{
    ibex, ibex_spawn_open, responder_config_with, system_state, write_profile, Daemon, ProfileAuth,
    Responder,
};
use ibex_e2e::lab::{Lab, LAN_HOST};
use ibex_e2e::pki::{KeyKind, TestPki};
use ibex_e2e::prereq::{require, Prereq};
use ibex_e2e::{tempdir, wait_until};

use super::mfa::{responder_auth, EventLog, PASSWORD, PASSWORD_USER};

/// How long the gateway waits for the next EAP message.
const STEP_TIMEOUT_S: u64 = 5;

#[test]
fn late_answer_gets_a_clean_retry() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun, Prereq::Pki]) {
        return;
    }
    let pki = TestPki::generate();
    let set = pki.set(KeyKind::Ecdsa);
    let lab = Lab::new(true);
    let dir = tempdir("ibx-late-").unwrap();
    let config = responder_config_with(
        dir.path(),
        &responder_auth(&set.gw.cert_pem, &set.gw.key_pk8_pem),
        serde_json::json!({}),
    );
    // The gateway waits only a few seconds for each answer.
    let mut c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    c["mfa"]["step_timeout_secs"] = serde_json::json!(STEP_TIMEOUT_S);
    std::fs::write(&config, c.to_string()).unwrap();
    let responder = Responder::start_with_config(&lab, dir.path(), &config);
    let daemon = Daemon::start(&lab, dir.path(), "late");
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
    let mut cli = ibex_spawn_open(&lab, &daemon, &["connect", profile.to_str().unwrap()]);
    let mut stdin = cli.stdin.take().unwrap();
    assert!(
        wait_until(Duration::from_secs(10), Duration::from_millis(100), || {
            let out = ibex(&lab, &daemon, &["status", "--json"], "");
            serde_json::from_slice::<serde_json::Value>(&out.stdout)
                .is_ok_and(|s| s["state"] == "waiting_for_user")
        }),
        "no password prompt:\n{}",
        daemon.log()
    );
    // The person answers after the gateway gave up on the half-built SA.
    std::thread::sleep(Duration::from_secs(STEP_TIMEOUT_S + 3));
    assert!(
        responder.log().contains("IKE session closed"),
        "the gateway dropped the waiting sign-in:\n{}",
        responder.log()
    );
    let answered = Instant::now();
    writeln!(stdin, "{PASSWORD}").unwrap();
    // The sign-in starts again and asks once more; this answer is prompt.
    writeln!(stdin, "{PASSWORD}").unwrap();
    drop(stdin);
    let out = cli.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "connect after a late answer: {err}\n{}\n{}",
        daemon.log(),
        responder.log()
    );
    assert!(
        answered.elapsed() < Duration::from_secs(15),
        "the retry came at once, not after the retransmissions ran out ({:?})",
        answered.elapsed()
    );
    assert!(lab.client.ping(LAN_HOST, 2));
    assert!(ibex(&lab, &daemon, &["disconnect"], "").status.success());
    assert!(wait_until(
        Duration::from_secs(5),
        Duration::from_millis(100),
        || system_state(&lab) == before
    ));
    let events = events.finish();
    assert!(
        events.contains("the gateway stopped waiting while you answered; signing in again"),
        "the retry says why:\n{events}"
    );
    let prompts = events
        .lines()
        .filter(|l| l.contains("\"type\":\"prompt\""))
        .count();
    assert_eq!(prompts, 2, "asked once per attempt:\n{events}");
}
