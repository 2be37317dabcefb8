//! Multi-factor sign-in end to end: `ibex connect` through ibexd against
//! ibex-responder's EAP server - password + one-time code in one EAP
//! conversation, push approval through the responder's approval API,
//! replayed and wrong codes, lockout, denied push - and no secret in any
//! log line or IPC event.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ibex_e2e::agent::{
    ibex, ibex_spawn, system_state, write_profile, Daemon, NetnsResolvConf, ProfileAuth, Responder,
    ResponderAuth, ORIGINAL_RESOLV,
};
use ibex_e2e::bins::workspace_bin;
use ibex_e2e::lab::{Lab, LAN_HOST};
use ibex_e2e::pki::{KeyKind, TestPki, CLIENT_ID};
use ibex_e2e::prereq::{require, Prereq};
use ibex_e2e::{tempdir, wait_until};

pub(super) const PASSWORD: &str = "Tr0ub4dor&3-mfa-e2e";
/// Base32 TOTP secret (160 bits).
pub(super) const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
pub(super) const PUSH_USER: &str = "push.ibex.test";
/// A user who signs in with a password alone.
pub(super) const PASSWORD_USER: &str = "password.ibex.test";
/// Where the approval page listens (inside the gateway namespace).
pub(super) const PUSH_API: &str = "127.0.0.1:8089";

/// The push user's TOTP secret (for "use a code instead").
pub(super) const PUSH_TOTP_SECRET: &str = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU";

/// The current TOTP code, computed as an authenticator app would (totp-rs).
pub(super) fn totp_now() -> String {
    totp_now_for(TOTP_SECRET)
}

/// The current code of `secret`.
pub(super) fn totp_now_for(secret: &str) -> String {
    use totp_rs::{Algorithm, Builder, Secret};
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    totp.generate(now).to_string()
}

/// Seconds left in the current 30 s TOTP window.
pub(super) fn window_left() -> u64 {
    30 - SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 30
}

/// `ibex-responder hash-password` for the password: the user's `"password"` object.
pub(super) fn password_hashes() -> serde_json::Value {
    use std::io::Write;
    let mut child = std::process::Command::new(workspace_bin("ibex-responder"))
        .args(["hash-password", "--iterations", "10000"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).expect("hash-password prints JSON")
}

pub(super) fn responder_auth(gw_cert: &Path, gw_key: &Path) -> ResponderAuth {
    ResponderAuth::Custom {
        auth: serde_json::json!({"certificate": gw_cert, "key": gw_key}),
        users: serde_json::json!([
            {
                "id": CLIENT_ID,
                "eap": {"password": password_hashes(), "totp": {"secret": TOTP_SECRET}},
                "rounds": [["mschapv2", "otp"]],
            },
            {
                "id": PASSWORD_USER,
                "eap": {"password": password_hashes()},
                "rounds": [["mschapv2"]],
            },
            {
                "id": PUSH_USER,
                "eap": {"push": true, "totp": {"secret": PUSH_TOTP_SECRET}},
                "rounds": [["push"]],
            },
        ]),
        mfa: serde_json::json!({
            "push_api": {"listen": PUSH_API, "timeout_secs": 45},
            "lockout": {"max_failures": 3, "window_secs": 300, "lockout_secs": 300},
        }),
    }
}

/// Runs `python3` in the gateway namespace against the approval API.
pub(super) fn push_api(lab: &Lab, method: &str, path: &str) -> serde_json::Value {
    let script = format!(
        "import urllib.request,sys\n\
         r=urllib.request.Request('http://{PUSH_API}{path}',method='{method}')\n\
         print(urllib.request.urlopen(r,timeout=5).read().decode())"
    );
    let out = lab
        .gw
        .run_ok(&["python3", "-c", &script])
        .unwrap_or_default();
    serde_json::from_str(out.trim()).unwrap_or(serde_json::Value::Null)
}

/// Waits for a pending approval and returns it.
pub(super) fn pending_approval(lab: &Lab) -> serde_json::Value {
    let mut found = serde_json::Value::Null;
    assert!(
        wait_until(Duration::from_secs(20), Duration::from_millis(200), || {
            let list = push_api(lab, "GET", "/api/approvals");
            found = list
                .as_array()
                .and_then(|a| a.first().cloned())
                .or_else(|| {
                    list["approvals"]
                        .as_array()
                        .and_then(|a| a.first().cloned())
                })
                .unwrap_or(serde_json::Value::Null);
            !found.is_null()
        }),
        "no pending approval appeared"
    );
    found
}

/// `ibex events` in the background: every IPC event of the run.
pub(super) struct EventLog(Child);

impl EventLog {
    /// Starts `ibex events` and returns once it is subscribed (it says so
    /// on stderr), so no event after this call is missed.
    pub(super) fn start(lab: &Lab, daemon: &Daemon) -> EventLog {
        use std::io::BufRead;
        let mut child = ibex_spawn(lab, daemon, &["events"], "");
        let stderr = child.stderr.take().expect("stderr piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Reads to the end, so the pipe never fills.
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(line);
            }
        });
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.contains("watching ibexd's events") => break,
                Ok(line) => seen.push(line),
                Err(_) => panic!("`ibex events` did not subscribe within 10 s: {seen:?}"),
            }
        }
        EventLog(child)
    }

    pub(super) fn finish(&mut self) -> String {
        // SIGTERM reaches `ibex` through `timeout`; SIGKILL would orphan it.
        ibex_e2e::signal(self.0.id(), libc::SIGTERM);
        let mut s = String::new();
        if let Some(mut o) = self.0.stdout.take() {
            let _ = o.read_to_string(&mut s);
        }
        s
    }
}

impl Drop for EventLog {
    fn drop(&mut self) {
        ibex_e2e::signal(self.0.id(), libc::SIGTERM);
        let _ = self.0.wait();
    }
}

fn failed_with(out: &std::process::Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {err}");
    assert!(
        err.to_lowercase().contains(needle),
        "expected '{needle}' in: {err}"
    );
}

#[test]
fn password_code_push_replay_lockout_through_ibex_responder() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun, Prereq::Pki]) {
        return;
    }
    let pki = TestPki::generate();
    let set = pki.set(KeyKind::Ecdsa);
    let lab = Lab::new(true);
    let dir = tempdir("ibx-mfa-").unwrap();
    let resolv = NetnsResolvConf::new(lab.client.name(), ORIGINAL_RESOLV);
    let responder = Responder::start(
        &lab,
        dir.path(),
        &responder_auth(&set.gw.cert_pem, &set.gw.key_pk8_pem),
    );
    let daemon = Daemon::start(&lab, dir.path(), "mfa");
    let events = EventLog::start(&lab, &daemon);
    let before = system_state(&lab);
    let ca_pem = std::fs::read_to_string(&set.ca.cert_pem).unwrap();
    let profile = write_profile(
        dir.path(),
        &ProfileAuth::Eap {
            local_id: CLIENT_ID,
            rounds: &["mschapv2"],
            ca_pem: &ca_pem,
        },
    );
    let profile = profile.to_str().unwrap().to_string();
    let mut codes_used = vec![];

    // Password then code in one EAP conversation (MSCHAPv2, then GTC).
    if window_left() < 8 {
        std::thread::sleep(Duration::from_secs(window_left() + 1));
    }
    let code = totp_now();
    codes_used.push(code.clone());
    let out = ibex(
        &lab,
        &daemon,
        &["connect", &profile],
        &format!("{PASSWORD}\n{code}\n"),
    );
    assert!(
        out.status.success(),
        "connect: {}\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        daemon.log(),
        responder.log()
    );
    assert!(
        wait_until(Duration::from_secs(10), Duration::from_millis(200), || lab
            .client
            .ping(LAN_HOST, 1)),
        "ping through the tunnel"
    );
    let status = ibex(&lab, &daemon, &["status", "--json"], "");
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["state"], "connected", "{status}");
    assert!(ibex(&lab, &daemon, &["disconnect"], "").status.success());
    assert!(wait_until(
        Duration::from_secs(5),
        Duration::from_millis(100),
        || system_state(&lab) == before
    ));
    assert_eq!(resolv.read(), ORIGINAL_RESOLV);

    // The same code again: a replay, refused, nothing configured.
    let out = ibex(
        &lab,
        &daemon,
        &["connect", &profile],
        &format!("{PASSWORD}\n{code}\n"),
    );
    failed_with(&out, "already used");
    assert_eq!(system_state(&lab), before);

    // A wrong password, then a wrong code: clear errors, nothing configured.
    let out = ibex(
        &lab,
        &daemon,
        &["connect", &profile],
        "not-the-password\n000000\n",
    );
    failed_with(&out, "password");
    assert_eq!(system_state(&lab), before);
    let wrong = if code == "123456" { "654321" } else { "123456" };
    let out = ibex(
        &lab,
        &daemon,
        &["connect", &profile],
        &format!("{PASSWORD}\n{wrong}\n"),
    );
    failed_with(&out, "code");
    assert_eq!(system_state(&lab), before);

    // Three failures: locked out, said so, even with the right answers.
    let out = ibex(
        &lab,
        &daemon,
        &["connect", &profile],
        &format!("{PASSWORD}\n{}\n", totp_now()),
    );
    failed_with(&out, "locked");
    assert_eq!(system_state(&lab), before);

    // Push: the CLI shows the number; approving through the API connects.
    let push_profile = dir.path().join("push.json");
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&profile).unwrap()).unwrap();
    p["local_id"] = serde_json::json!(PUSH_USER);
    p["auth"] = serde_json::json!({"method": "eap", "rounds": [{"method": "push"}]});
    p["uuid"] = serde_json::json!("0d9b7f1e-3c55-4a41-9f0c-8f2d1a6e5b07");
    std::fs::write(&push_profile, p.to_string()).unwrap();
    let push_profile = push_profile.to_str().unwrap();
    let cli = ibex_spawn(&lab, &daemon, &["connect", push_profile], "");
    let approval = pending_approval(&lab);
    assert_eq!(approval["user"], PUSH_USER, "{approval}");
    let number = approval["number"].as_u64().expect("a number to match");
    // Wait a few retransmissions before approving: the response is held.
    std::thread::sleep(Duration::from_secs(3));
    let id = approval["id"].as_str().unwrap();
    push_api(&lab, "POST", &format!("/api/approvals/{id}/approve"));
    let out = cli.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "push connect: {err}\n{}\n{}",
        daemon.log(),
        responder.log()
    );
    assert!(
        err.contains(&format!("Number to match: {number:02}")),
        "the CLI shows the number: {err}"
    );
    assert_eq!(
        responder.log().matches("push approval opened").count(),
        1,
        "one push despite the retransmissions:\n{}",
        responder.log()
    );
    assert!(lab.client.ping(LAN_HOST, 1));
    assert!(ibex(&lab, &daemon, &["disconnect"], "").status.success());

    // A denied push is a clear failure.
    let cli = ibex_spawn(&lab, &daemon, &["connect", push_profile], "");
    let approval = pending_approval(&lab);
    let id = approval["id"].as_str().unwrap();
    push_api(&lab, "POST", &format!("/api/approvals/{id}/deny"));
    let out = cli.wait_with_output().unwrap();
    failed_with(&out, "denied");
    assert!(wait_until(
        Duration::from_secs(5),
        Duration::from_millis(100),
        || system_state(&lab) == before
    ));

    // "Use a code instead": the script answers the push prompt with `code`;
    // ibexd signs in again preferring a code, and the code prompt follows.
    if window_left() < 8 {
        std::thread::sleep(Duration::from_secs(window_left() + 1));
    }
    let code = totp_now_for(PUSH_TOTP_SECRET);
    codes_used.push(code.clone());
    let out = ibex(
        &lab,
        &daemon,
        &["connect", push_profile],
        &format!("code\n{code}\n"),
    );
    assert!(
        out.status.success(),
        "code instead of push: {}\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        daemon.log(),
        responder.log()
    );
    assert!(
        daemon
            .log()
            .contains("switching from push approval to a one-time code"),
        "{}",
        daemon.log()
    );
    assert!(lab.client.ping(LAN_HOST, 1));
    assert!(ibex(&lab, &daemon, &["disconnect"], "").status.success());

    // No secret in any log line or IPC event.
    let mut events = events;
    let events = events.finish();
    assert!(
        events.contains("\"prompt\""),
        "events were captured: {events}"
    );
    let everything = format!("{}\n{}\n{events}", daemon.log(), responder.log());
    for secret in [PASSWORD, TOTP_SECRET, PUSH_TOTP_SECRET]
        .into_iter()
        .chain(codes_used.iter().map(String::as_str))
    {
        assert!(
            !everything.contains(secret),
            "a secret leaked into logs or events: {secret}"
        );
    }
}

/// The push approval page in a real browser: headless Chromium (driven by
/// chromedriver inside the gateway namespace) shows the pending sign-in with
/// the same number the CLI shows, and its Approve button connects the client.
#[test]
fn push_approved_in_headless_chromium() {
    if !require(&[
        Prereq::Root,
        Prereq::Netns,
        Prereq::Tun,
        Prereq::Pki,
        Prereq::Chromium,
    ]) {
        return;
    }
    use ibex_e2e::webdriver::{artifacts_dir, Browser};
    let pki = TestPki::generate();
    let set = pki.set(KeyKind::Ecdsa);
    let lab = Lab::new(true);
    let dir = tempdir("ibx-push-page-").unwrap();
    let _resolv = NetnsResolvConf::new(lab.client.name(), ORIGINAL_RESOLV);
    let responder = Responder::start(
        &lab,
        dir.path(),
        &responder_auth(&set.gw.cert_pem, &set.gw.key_pk8_pem),
    );
    let daemon = Daemon::start(&lab, dir.path(), "push-page");
    let ca_pem = std::fs::read_to_string(&set.ca.cert_pem).unwrap();
    let profile = write_profile(
        dir.path(),
        &ProfileAuth::Eap {
            local_id: PUSH_USER,
            rounds: &["push"],
            ca_pem: &ca_pem,
        },
    );
    let cli = ibex_spawn(&lab, &daemon, &["connect", profile.to_str().unwrap()], "");
    let browser = Browser::start(&lab.gw, 9515).expect("chromedriver and Chromium");
    browser.goto(&format!("http://{PUSH_API}/")).unwrap();
    // The page polls the API: wait for the row to appear.
    let mut number = None;
    assert!(
        wait_until(Duration::from_secs(20), Duration::from_millis(250), || {
            number = browser
                .find("#list li .number")
                .and_then(|e| browser.text(&e).ok());
            number.is_some()
        }),
        "the page never listed the approval:\n{}",
        responder.log()
    );
    let number = number.unwrap();
    let shot = artifacts_dir().join("push-approval-page.png");
    std::fs::write(&shot, browser.screenshot().unwrap()).unwrap();
    let approve = browser
        .find("#list li button.approve")
        .expect("an Approve button");
    let label = browser
        .attribute(&approve, "aria-label")
        .unwrap()
        .unwrap_or_default();
    assert!(
        label.contains(PUSH_USER) && label.contains(&number),
        "screen-reader label names the user and number: {label}"
    );
    browser.click(&approve).unwrap();
    let out = cli.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "connect after approval in the page: {err}\n{}",
        daemon.log()
    );
    let shown: u32 = number.trim().parse().unwrap();
    assert!(
        err.contains(&format!("Number to match: {shown:02}")),
        "the CLI showed the page's number {number}: {err}"
    );
    assert!(lab.client.ping(LAN_HOST, 1), "tunnel up after approval");
    assert!(ibex(&lab, &daemon, &["disconnect"], "").status.success());
}

/// `ibex connect --remember-password` saves the password in the user's
/// keyring (GNOME Keyring's Secret Service in a private D-Bus session), the
/// next connect answers the password prompt from it with no input, and
/// `ibex forget-password` deletes it.
#[test]
fn password_remembered_in_the_keyring() {
    if !require(&[
        Prereq::Root,
        Prereq::Netns,
        Prereq::Tun,
        Prereq::Pki,
        Prereq::Keyring,
    ]) {
        return;
    }
    let pki = TestPki::generate();
    let set = pki.set(KeyKind::Ecdsa);
    let lab = Lab::new(true);
    let dir = tempdir("ibx-keyring-").unwrap();
    let _resolv = NetnsResolvConf::new(lab.client.name(), ORIGINAL_RESOLV);
    let responder = Responder::start(
        &lab,
        dir.path(),
        &responder_auth(&set.gw.cert_pem, &set.gw.key_pk8_pem),
    );
    let daemon = Daemon::start(&lab, dir.path(), "keyring");
    let ca_pem = std::fs::read_to_string(&set.ca.cert_pem).unwrap();
    let profile = write_profile(
        dir.path(),
        &ProfileAuth::Eap {
            local_id: PASSWORD_USER,
            rounds: &["mschapv2"],
            ca_pem: &ca_pem,
        },
    );
    let home = dir.path().join("home");
    let run = dir.path().join("run");
    for d in [&home, &run] {
        std::fs::create_dir_all(d).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let script = r#"
        printf unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 10
        printf '%s\n' "$PW" | "$IBEX" --socket "$SOCK" connect --remember-password "$PROFILE" || exit 11
        "$IBEX" --socket "$SOCK" disconnect || exit 12
        "$IBEX" --socket "$SOCK" connect "$PROFILE" </dev/null || exit 13
        "$IBEX" --socket "$SOCK" disconnect || exit 14
        "$IBEX" forget-password "$PROFILE" || exit 15
        "$IBEX" --socket "$SOCK" connect "$PROFILE" </dev/null && exit 16
        exit 0
    "#;
    let out = lab
        .client
        .command(&[
            "timeout",
            "120",
            "dbus-run-session",
            "--",
            "sh",
            "-c",
            script,
        ])
        .env("PW", PASSWORD)
        .env("IBEX", workspace_bin("ibex"))
        .env("SOCK", &daemon.socket)
        .env("PROFILE", &profile)
        .env("HOME", &home)
        .env("XDG_RUNTIME_DIR", &run)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "keyring round trip failed ({:?}): {err}\n{}\n{}",
        out.status.code(),
        daemon.log(),
        responder.log()
    );
    assert!(err.contains("password saved in your keyring"), "{err}");
    assert!(
        err.contains("using the password saved in your keyring"),
        "{err}"
    );
    assert!(err.contains("deleted from your keyring"), "{err}");
    assert!(
        err.contains("no answer to the prompt"),
        "after forget-password the prompt needs input again: {err}"
    );
    let everything = format!("{}\n{}\n{err}", daemon.log(), responder.log());
    assert!(!everything.contains(PASSWORD), "the password leaked");
}
