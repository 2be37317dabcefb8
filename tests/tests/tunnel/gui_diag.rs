//! The desktop app's error screen, Logs view and diagnostics bundle end
//! to end: a wrong one-time code gives the error screen naming the round,
//! the Logs view shows ibexd's lines, and the exported diagnostics hold the
//! status and no secret (the test knows the password and the code and
//! looks for them).

use std::time::Duration;

use ibex_e2e::agent::{Daemon, NetnsResolvConf, Responder, ORIGINAL_RESOLV};
use ibex_e2e::gui::desktop::Desktop;
use ibex_e2e::gui::home::UserHome;
use ibex_e2e::gui::window::Window;
use ibex_e2e::gui::{app_binary, artifacts_dir};
use ibex_e2e::lab::Lab;
use ibex_e2e::pki::{KeyKind, TestPki, CLIENT_ID};
use ibex_e2e::prereq::{require, Prereq};
use ibex_e2e::{tempdir, wait_until};

use super::gui::{profiles, sign_in_with_code, wait_daemon_state, wrong_code, CODE_UUID};
use super::mfa::{responder_auth, PASSWORD, TOTP_SECRET};

#[test]
fn desktop_app_error_screen_logs_and_diagnostics() {
    if !require(&[
        Prereq::Root,
        Prereq::Netns,
        Prereq::Tun,
        Prereq::Pki,
        Prereq::Python3,
        Prereq::Gui,
    ]) {
        return;
    }
    let pki = TestPki::generate();
    let set = pki.set(KeyKind::Ecdsa);
    let lab = Lab::new(false);
    let dir = tempdir("ibx-gui-diag-").unwrap();
    let _resolv = NetnsResolvConf::new(lab.client.name(), ORIGINAL_RESOLV);
    let _responder = Responder::start(
        &lab,
        dir.path(),
        &responder_auth(&set.gw.cert_pem, &set.gw.key_pk8_pem),
    );
    let daemon = Daemon::start(&lab, dir.path(), "gui-diag");
    let ca_pem = std::fs::read_to_string(&set.ca.cert_pem).unwrap();
    let (code_file, _) = profiles(dir.path(), &ca_pem);
    let user = UserHome::create(dir.path());
    let mut env = vec![("IBEX_SOCKET", daemon.socket.as_path())];
    env.extend(user.env());
    let desktop = Desktop::start(&lab.client, dir.path(), &env)
        .unwrap_or_else(|e| panic!("starting the headless desktop: {e}"));
    let session = desktop
        .open_app(&app_binary())
        .unwrap_or_else(|e| panic!("opening the app through tauri-driver: {e}"));
    let mut w = Window::new(session, artifacts_dir());
    w.wait("the disconnected state with ibexd reachable", || {
        w.attr("state", "data-state").as_deref() == Some("disconnected") && !w.shown("daemon")
    });
    w.import_path(code_file.to_str().unwrap(), CODE_UUID);

    // A wrong code: the error screen names the round and the method.
    let wrong = wrong_code();
    w.click("connect");
    sign_in_with_code(&mut w, &wrong, "diag-wrong-code-prompt");
    w.wait("the error screen", || w.shown("failure"));
    assert_eq!(
        w.attr("failure", "data-kind").as_deref(),
        Some("auth_failed")
    );
    assert_eq!(w.text("failure-title"), "Sign-in failed");
    let what = w.text("failure-what");
    assert!(
        what.contains("Round 1 of the sign-in") && what.contains("one-time code"),
        "{what:?}"
    );
    assert!(
        w.text("failure-todo").contains("authenticator"),
        "{}",
        w.text("failure-todo")
    );
    assert!(w.shown("failure-retry") && w.shown("failure-logs"));
    let status = wait_daemon_state(&lab, &daemon, "disconnected");
    assert_eq!(status["failure"]["kind"], "auth_failed", "{status}");
    assert_eq!(status["failure"]["round"], 1, "{status}");
    assert_eq!(status["failure"]["method"], "gtc", "{status}");
    w.screenshot("diag-error-screen");

    // Show logs: ibexd's lines are there.
    w.click("failure-logs");
    w.wait("the logs view with ibexd's lines", || {
        w.shown("logs") && w.text("logs-list").contains("ibexd: ")
    });
    let logs = w.text("logs-list");
    assert!(logs.contains("app: "), "the app's own lines too: {logs}");
    for secret in [PASSWORD, wrong.as_str()] {
        assert!(!logs.contains(secret), "a secret in the Logs view");
    }
    w.screenshot("diag-logs");

    // Export the diagnostics through the path field.
    let out = dir.path().join("home/ibex-diagnostics.json");
    w.type_into("logs-export-path", out.to_str().unwrap());
    w.click("logs-export-submit");
    w.wait("the export", || {
        w.text("logs-status").contains("Diagnostics written")
    });
    assert!(
        wait_until(Duration::from_secs(5), Duration::from_millis(100), || out
            .exists()),
        "no file at {}",
        out.display()
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let bundle: serde_json::Value = serde_json::from_str(&text).expect("the bundle is JSON");
    assert_eq!(bundle["format"], "ibex-diagnostics/1");
    assert_eq!(
        bundle["status"]["failure"]["kind"], "auth_failed",
        "{bundle:#}"
    );
    assert!(bundle["status"]["daemon_running"]
        .as_bool()
        .unwrap_or(false));
    assert!(bundle["ibexd_version"].is_string(), "{bundle:#}");
    assert!(bundle["logs"]
        .as_array()
        .is_some_and(|l| l.iter().any(|l| l["source"] == "ibexd")));
    assert_eq!(bundle["profiles"][0]["local_id"], "<redacted>");
    for secret in [PASSWORD, TOTP_SECRET, wrong.as_str(), CLIENT_ID] {
        assert!(
            !text.contains(secret),
            "the diagnostics contain a secret or the user's identity ({} bytes)",
            text.len()
        );
    }
    w.screenshot("diag-exported");
}
