//! Structured failures and ibexd's log lines in the tunnel lab: a wrong
//! pre-shared key, no common proposal and a gateway without a route each
//! give the right `failure` in `ibex status --json`, and an agent that
//! follows ibexd's log lines at debug level never sees the key.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ibex_e2e::agent::{
    ibex, write_profile, Daemon, ProfileAuth, Responder, ResponderAuth, LAB_PSK,
};
use ibex_e2e::lab::Lab;
use ibex_e2e::prereq::{require, Prereq};
use ibex_e2e::tempdir;

/// `ibex status --json`, parsed.
fn status(lab: &Lab, daemon: &Daemon) -> serde_json::Value {
    let out = ibex(lab, daemon, &["status", "--json"], "");
    assert!(out.status.success(), "ibex status: {out:?}");
    serde_json::from_slice(&out.stdout).expect("status is JSON")
}

/// Follows ibexd's log lines at `debug` on its own connection; the lines
/// (raw JSON) collect in the returned vector.
fn follow_logs(daemon: &Daemon) -> Arc<Mutex<Vec<String>>> {
    let mut s = UnixStream::connect(&daemon.socket).expect("connect to ibexd");
    s.write_all(b"{\"v\":1,\"id\":1,\"type\":\"logs\",\"level\":\"debug\",\"follow\":true}\n")
        .unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(s).lines() {
            let Ok(line) = line else { return };
            sink.lock().unwrap().push(line);
        }
    });
    lines
}

fn profile_with(
    dir: &std::path::Path,
    name: &str,
    f: impl FnOnce(&mut serde_json::Value),
) -> String {
    let path = write_profile(dir, &ProfileAuth::Psk);
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    f(&mut p);
    let out = dir.join(name);
    std::fs::write(&out, serde_json::to_string_pretty(&p).unwrap()).unwrap();
    out.to_str().unwrap().to_string()
}

#[test]
fn status_json_names_each_failure_and_logs_keep_the_key_out() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun]) {
        return;
    }
    let lab = Lab::new(false);
    let dir = tempdir("ibx-diag-").unwrap();
    let _responder = Responder::start(&lab, dir.path(), &ResponderAuth::Psk);
    let daemon = Daemon::start(&lab, dir.path(), "diag");
    let logs = follow_logs(&daemon);
    let wrong_psk = "wrong-psk-4f1d9c2e7a";

    // A wrong pre-shared key: round 1, method psk.
    let profile = profile_with(dir.path(), "psk.json", |_| {});
    let out = ibex(
        &lab,
        &daemon,
        &["connect", &profile],
        &format!("{wrong_psk}\n"),
    );
    assert!(!out.status.success(), "a wrong key must fail");
    let s = status(&lab, &daemon);
    let f = &s["failure"];
    assert_eq!(f["kind"], "auth_failed", "{s:#}\n{}", daemon.log());
    assert_eq!(
        (f["round"].as_u64(), f["method"].as_str()),
        (Some(1), Some("psk")),
        "{s:#}"
    );
    assert_eq!(s["profile"]["name"], "lab");

    // No common proposal: ours are named.
    let ours = "aes128-sha256-prfsha256-modp2048";
    let profile = profile_with(dir.path(), "proposal.json", |p| {
        p["ike_proposals"] = serde_json::json!([ours]);
    });
    let out = ibex(
        &lab,
        &daemon,
        &["connect", &profile],
        &format!("{LAB_PSK}\n"),
    );
    assert!(!out.status.success(), "no common proposal must fail");
    let s = status(&lab, &daemon);
    assert_eq!(
        s["failure"]["kind"],
        "no_proposal",
        "{s:#}\n{}",
        daemon.log()
    );
    assert_eq!(s["failure"]["ours"], serde_json::json!([ours]), "{s:#}");

    // A gateway the client has no route to: unreachable, with its address.
    let profile = profile_with(dir.path(), "noroute.json", |p| {
        p["gateway"]["host"] = serde_json::json!("2001:db8::1");
    });
    let out = ibex(
        &lab,
        &daemon,
        &["connect", &profile],
        &format!("{LAB_PSK}\n"),
    );
    assert!(!out.status.success(), "no route must fail");
    let s = status(&lab, &daemon);
    assert_eq!(
        s["failure"]["kind"],
        "gateway_unreachable",
        "{s:#}\n{}",
        daemon.log()
    );
    assert_eq!(s["failure"]["gateway"], "[2001:db8::1]:500", "{s:#}");

    // The followed log lines: ibexd's, at debug level, without the keys.
    std::thread::sleep(Duration::from_millis(300));
    let lines = logs.lock().unwrap().clone();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"type\":\"log\"") && l.contains("\"level\":\"debug\"")),
        "debug lines were followed: {} lines",
        lines.len()
    );
    assert!(
        lines.iter().any(|l| l.contains("the attempt failed")),
        "the failures were logged to the agent"
    );
    for secret in [wrong_psk, LAB_PSK] {
        assert!(
            !lines.iter().any(|l| l.contains(secret)),
            "a pre-shared key in a forwarded log line"
        );
    }
}
