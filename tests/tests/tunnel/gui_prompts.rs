//! The desktop app's own prompt dialogs end to end (see [`super::gui`] for
//! the machinery): the real app signs in with a FIDO2 software key
//! (`IBEX_FIDO_SOFT_TOKEN` in its environment, enrolled with
//! `ibex-responder enroll` as in [`super::fido`]) - first with a key that
//! is not registered (the dialog says so and offers "Try again"), then,
//! after the right key is in place, "Try again" connects; and a password
//! typed with "Remember in keyring" is saved in GNOME Keyring's Secret
//! Service (in the private D-Bus session) and answers the next sign-in by
//! itself, without the dialog. No secret reaches any log.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ibex_e2e::agent::{
    write_profile, Daemon, NetnsResolvConf, ProfileAuth, Responder, ResponderAuth, ORIGINAL_RESOLV,
};
use ibex_e2e::gui::desktop::Desktop;
use ibex_e2e::gui::home::UserHome;
use ibex_e2e::gui::window::Window;
use ibex_e2e::gui::{app_binary, artifacts_dir};
use ibex_e2e::lab::{Lab, LAN_HOST};
use ibex_e2e::pki::{KeyKind, TestPki, CLIENT_ID};
use ibex_e2e::prereq::{require, Prereq};
use ibex_e2e::{tempdir, wait_until};

use super::fido::{enroll, RP_ID};
use super::gui::{pids_named, wait_daemon_state};
use super::mfa::{password_hashes, PASSWORD, PASSWORD_USER};

const FIDO_UUID: &str = "5d2c8e1a-3f47-4b6d-9a0e-7c1b2d3e4f51";
const FIDO_NAME: &str = "Lab key";
const PASSWORD_UUID: &str = "9e4b1c7d-2a58-4f3e-8b6c-1d0a9f8e7c62";
const PASSWORD_NAME: &str = "Lab password";

/// A profile of `auth` as a file in `downloads`, with its own uuid and name.
fn profile(dir: &Path, downloads: &Path, auth: &ProfileAuth, uuid: &str, name: &str) -> PathBuf {
    let base = write_profile(dir, auth);
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    p["uuid"] = uuid.into();
    p["name"] = name.into();
    let path = downloads.join(format!("{uuid}.json"));
    std::fs::write(&path, p.to_string()).unwrap();
    path
}

/// Records every look of the prompt dialog (kind, FIDO stage, relying
/// party, shown) in `window.__prompts`: the software key answers in
/// milliseconds, faster than polling could see the dialog.
const WATCH_PROMPTS: &str = r#"
    window.__prompts = [];
    const d = document.getElementById('prompt');
    const note = () => window.__prompts.push([
        d.hidden ? 'hidden' : 'shown', d.dataset.kind || '', d.dataset.fido || '',
        document.getElementById('fido-rp').textContent,
    ].join('|'));
    new MutationObserver(note).observe(d, {attributes: true, subtree: true, childList: true, characterData: true});
    return true;
"#;

/// What [`WATCH_PROMPTS`] recorded since it was last read (emptied).
fn prompts_seen(w: &Window) -> Vec<String> {
    let v = w
        .js(
            "const s = window.__prompts || []; window.__prompts = []; return s;",
            serde_json::json!([]),
        )
        .unwrap_or_default();
    serde_json::from_value(v).unwrap_or_default()
}

/// Imports `file` by its path and waits for it to be selected.
fn import(w: &Window, file: &Path, uuid: &str) {
    w.import_path(file.to_str().unwrap(), uuid);
}

/// Connected in the window with the virtual IP ibexd reports; the tunnel
/// carries a ping.
fn connected(w: &Window, lab: &Lab, daemon: &Daemon) -> String {
    w.wait_state("connected");
    let status = wait_daemon_state(lab, daemon, "connected");
    let vip = status["virtual_ips"][0]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(vip.starts_with("10.99.10."), "{status}");
    w.wait("the virtual IP", || w.text("virtual-ip") == vip);
    assert!(!w.shown("prompt"), "no prompt left open");
    assert!(
        wait_until(Duration::from_secs(10), Duration::from_millis(200), || lab
            .client
            .ping(LAN_HOST, 1)),
        "ping through the tunnel\n{}",
        daemon.log()
    );
    vip
}

/// A screenshot once the window has painted what the DOM says (WebKit's
/// snapshot can lag a frame behind under load).
fn shot(w: &mut Window, name: &str) {
    std::thread::sleep(Duration::from_millis(400));
    w.screenshot(name);
}

fn disconnect(w: &Window, lab: &Lab, daemon: &Daemon) {
    w.click("disconnect");
    w.wait_state("disconnected");
    wait_daemon_state(lab, daemon, "disconnected");
}

#[test]
fn desktop_app_signs_in_with_a_security_key_and_a_remembered_password() {
    if !require(&[
        Prereq::Root,
        Prereq::Netns,
        Prereq::Tun,
        Prereq::Pki,
        Prereq::Gui,
        Prereq::Keyring,
    ]) {
        return;
    }
    let pki = TestPki::generate();
    let set = pki.set(KeyKind::Ecdsa);
    let lab = Lab::new(false);
    let dir = tempdir("ibx-gui-prompts-").unwrap();
    let _resolv = NetnsResolvConf::new(lab.client.name(), ORIGINAL_RESOLV);

    // The user's key, and a stranger's (registered for someone else).
    let (user_token, creds) = (dir.path().join("user.token"), dir.path().join("user.json"));
    enroll(CLIENT_ID, &user_token, &creds);
    let (stranger_token, stranger_creds) = (
        dir.path().join("stranger.token"),
        dir.path().join("stranger.json"),
    );
    enroll("stranger.ibex.test", &stranger_token, &stranger_creds);
    // The file the app signs with: the stranger's key first.
    let app_token = dir.path().join("app.token");
    std::fs::copy(&stranger_token, &app_token).unwrap();

    let responder = Responder::start(
        &lab,
        dir.path(),
        &ResponderAuth::Custom {
            auth: serde_json::json!({"certificate": set.gw.cert_pem, "key": set.gw.key_pk8_pem}),
            users: serde_json::json!([
                {"id": CLIENT_ID, "eap": {"fido2": creds}, "rounds": [["fido2"]]},
                {"id": PASSWORD_USER, "eap": {"password": password_hashes()}, "rounds": [["mschapv2"]]},
            ]),
            mfa: serde_json::json!({"fido2": {"rp_id": RP_ID}}),
        },
    );
    let daemon = Daemon::start(&lab, dir.path(), "gui-prompts");
    let ca_pem = std::fs::read_to_string(&set.ca.cert_pem).unwrap();

    // The person's private home and runtime dir (the keyring lives there).
    let user = UserHome::create(dir.path());
    let (home, runtime) = (&user.home, &user.runtime);
    let downloads = home.join("Downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let fido_file = profile(
        dir.path(),
        &downloads,
        &ProfileAuth::Eap {
            local_id: CLIENT_ID,
            rounds: &["fido2"],
            ca_pem: &ca_pem,
        },
        FIDO_UUID,
        FIDO_NAME,
    );
    let password_file = profile(
        dir.path(),
        &downloads,
        &ProfileAuth::Eap {
            local_id: PASSWORD_USER,
            rounds: &["mschapv2"],
            ca_pem: &ca_pem,
        },
        PASSWORD_UUID,
        PASSWORD_NAME,
    );

    let mut env = vec![
        ("IBEX_SOCKET", daemon.socket.as_path()),
        ("IBEX_FIDO_SOFT_TOKEN", app_token.as_path()),
    ];
    env.extend(user.env());
    let desktop = Desktop::start(&lab.client, dir.path(), &env)
        .unwrap_or_else(|e| panic!("starting the headless desktop: {e}"));
    // GNOME Keyring's Secret Service on the session's bus, as a desktop
    // session has it (its files in the private home).
    // (It stays in the background: its output goes to a file, not to a
    // pipe we would wait on.)
    let keyring_log = dir.path().join("keyring.log");
    let script = format!(
        "printf unlock | gnome-keyring-daemon --unlock --components=secrets >'{}' 2>&1",
        keyring_log.display()
    );
    let keyring = desktop
        .command(&["sh", "-c", &script])
        .env("HOME", home)
        .env("XDG_RUNTIME_DIR", runtime)
        .env("XDG_DATA_HOME", &user.data)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run gnome-keyring-daemon");
    assert!(
        keyring.success(),
        "gnome-keyring-daemon: {}",
        std::fs::read_to_string(&keyring_log).unwrap_or_default()
    );

    let session = desktop
        .open_app(&app_binary())
        .unwrap_or_else(|e| panic!("opening the app through tauri-driver: {e}"));
    let mut w = Window::new(session, artifacts_dir());
    w.wait("the disconnected state with ibexd reachable", || {
        w.attr("state", "data-state").as_deref() == Some("disconnected") && !w.shown("daemon")
    });
    assert_eq!(
        w.js(WATCH_PROMPTS, serde_json::json!([])),
        Ok(serde_json::json!(true))
    );

    // 1. A security key that is not registered: the dialog names the
    //    gateway, says why, and offers "Try again"; the prompt stays open.
    import(&w, &fido_file, FIDO_UUID);
    w.click("connect");
    w.wait("the security key error", || {
        w.shown("prompt")
            && w.attr("prompt", "data-kind").as_deref() == Some("fido2")
            && w.attr("prompt", "data-fido").as_deref() == Some("error")
    });
    let error = w.text("fido-error");
    assert!(
        error.contains(&format!("not registered for {RP_ID}")),
        "the error says why: {error:?}"
    );
    assert_eq!(w.text("fido-rp"), format!("to sign in to {RP_ID}"));
    assert!(w.shown("fido-retry") && w.shown("prompt-cancel"));
    assert_eq!(w.attr("prompt", "role").as_deref(), Some("dialog"));
    let seen = prompts_seen(&w);
    assert!(
        seen.iter()
            .any(|s| s == &format!("shown|fido2|touch|to sign in to {RP_ID}")),
        "the touch dialog came first: {seen:?}"
    );
    assert_eq!(
        wait_daemon_state(&lab, &daemon, "waiting_for_user")["state"],
        "waiting_for_user"
    );
    shot(&mut w, "fido-not-registered");

    // 2. The right key in place: "Try again" signs in.
    std::fs::copy(&user_token, &app_token).unwrap();
    w.click("fido-retry");
    let vip = connected(&w, &lab, &daemon);
    println!("[gui] security key sign-in: connected with {vip}");
    assert!(
        responder.log().contains("FIDO2 assertion verified"),
        "{}",
        responder.log()
    );
    let seen = prompts_seen(&w);
    assert!(
        seen.iter().any(|s| s.starts_with("shown|fido2|touch|")),
        "the touch dialog again: {seen:?}"
    );
    shot(&mut w, "fido-connected");
    disconnect(&w, &lab, &daemon);

    // 3. A password with "Remember in keyring": saved once connected.
    import(&w, &password_file, PASSWORD_UUID);
    w.click("connect");
    w.wait("the password prompt", || {
        w.shown("prompt") && w.attr("prompt", "data-kind").as_deref() == Some("password")
    });
    assert!(w.shown("prompt-remember"));
    w.type_into("prompt-input", PASSWORD);
    w.click("prompt-remember");
    shot(&mut w, "password-remember");
    w.click("prompt-submit");
    connected(&w, &lab, &daemon);
    assert!(
        !w.shown("error"),
        "saved without a complaint: {}",
        w.text("error-text")
    );
    disconnect(&w, &lab, &daemon);

    // 4. The next sign-in is answered from the keyring: no dialog at all.
    prompts_seen(&w);
    w.click("connect");
    connected(&w, &lab, &daemon);
    let seen = prompts_seen(&w);
    assert!(
        !seen.iter().any(|s| s.starts_with("shown|password")),
        "the saved password answered the prompt: {seen:?}"
    );
    shot(&mut w, "password-from-keyring");
    disconnect(&w, &lab, &daemon);

    // No secret in the app's (or the driver's) log, ibexd's or the responder's.
    let everything = format!("{}\n{}\n{}", desktop.log(), daemon.log(), responder.log());
    assert!(
        !everything.contains(PASSWORD),
        "the password leaked into a log"
    );
    assert!(
        desktop
            .log()
            .contains("answering with the password saved in the keyring"),
        "the app says (without the password) that it used the keyring"
    );
    drop(w);
    // gnome-keyring-daemon outlives the D-Bus session: end the one we started.
    let keyrings = pids_named(&lab, |c| c.starts_with("gnome-keyring"));
    drop(desktop);
    for pid in keyrings {
        ibex_e2e::signal(pid, libc::SIGTERM);
    }
}
