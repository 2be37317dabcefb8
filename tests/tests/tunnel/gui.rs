//! The desktop app end to end: the real `ibex-app` (custom-protocol build),
//! under Xvfb in a private D-Bus session inside the client namespace, driven
//! by tauri-driver/WebKitWebDriver, against ibexd and ibex-responder with
//! one-time-code and push sign-in (the users of [`super::mfa`]). The tray's
//! menu is clicked over D-Bus. Screenshots of every step are saved (see
//! `ibex_e2e::gui::artifacts_dir`).
//!
//! Importing: the GTK file picker cannot be driven over WebDriver, so the
//! test uses the window's path field (`#import-path`), which people use too
//! (a path pasted from a terminal or a file manager, or a `file://` URI).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ibex_e2e::agent::{
    ibex, write_profile, Daemon, NetnsResolvConf, ProfileAuth, Responder, ORIGINAL_RESOLV,
};
use ibex_e2e::gui::desktop::Desktop;
use ibex_e2e::gui::home::UserHome;
use ibex_e2e::gui::tray::TrayMenu;
use ibex_e2e::gui::window::Window;
use ibex_e2e::gui::{app_binary, artifacts_dir};
use ibex_e2e::lab::{Lab, LAN_HOST};
use ibex_e2e::pki::{KeyKind, TestPki, CLIENT_ID};
use ibex_e2e::prereq::{require, Prereq};
use ibex_e2e::{tempdir, wait_until};

use super::mfa::{
    pending_approval, push_api, responder_auth, totp_now, window_left, PASSWORD, PUSH_USER,
    TOTP_SECRET,
};

pub(crate) const CODE_UUID: &str = "6a0f3c1e-7d24-4b9e-a1c5-2e8f9b3d4c71";
const CODE_NAME: &str = "Lab code";
const PUSH_UUID: &str = "b3e8d2a4-19c7-4f6e-8a05-7c1d9e2f3b64";
const PUSH_NAME: &str = "Lab push";

/// The two profiles a person would get from the administrator: password +
/// one-time code (`client.ibex.test`), and push approval (`push.ibex.test`).
pub(crate) fn profiles(dir: &Path, ca_pem: &str) -> (PathBuf, PathBuf) {
    let base = write_profile(
        dir,
        &ProfileAuth::Eap {
            local_id: CLIENT_ID,
            rounds: &["mschapv2"],
            ca_pem,
        },
    );
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    let downloads = dir.join("home/Downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    p["uuid"] = CODE_UUID.into();
    p["name"] = CODE_NAME.into();
    let code = downloads.join("lab code.json");
    std::fs::write(&code, p.to_string()).unwrap();
    p["uuid"] = PUSH_UUID.into();
    p["name"] = PUSH_NAME.into();
    p["local_id"] = PUSH_USER.into();
    p["auth"] = serde_json::json!({"method": "eap", "rounds": [{"method": "push"}]});
    let push = downloads.join("lab-push.json");
    std::fs::write(&push, p.to_string()).unwrap();
    (code, push)
}

/// A six-digit code that is not the code of the previous, current or next
/// 30 s window.
pub(crate) fn wrong_code() -> String {
    use totp_rs::{Algorithm, Builder, Secret};
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(Secret::try_from_base32(TOTP_SECRET).unwrap())
        .build()
        .unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let near: Vec<String> = [now - 30, now, now + 30]
        .iter()
        .map(|t| totp.generate(*t).to_string())
        .collect();
    ["123456", "654321", "246813"]
        .into_iter()
        .find(|c| !near.iter().any(|n| n == c))
        .unwrap()
        .to_string()
}

/// ibexd's state, asked with the CLI.
fn daemon_state(lab: &Lab, daemon: &Daemon) -> serde_json::Value {
    let out = ibex(lab, daemon, &["status", "--json"], "");
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

pub(crate) fn wait_daemon_state(lab: &Lab, daemon: &Daemon, state: &str) -> serde_json::Value {
    let mut last = serde_json::Value::Null;
    assert!(
        wait_until(Duration::from_secs(30), Duration::from_millis(250), || {
            last = daemon_state(lab, daemon);
            last["state"] == state
        }),
        "ibexd is not {state}: {last}\n{}",
        daemon.log()
    );
    last
}

/// Resident memory of `pid` in KiB (`VmRSS`).
fn rss_kib(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// The processes in the namespace whose name (`comm`, 15 bytes at most)
/// `is`.
pub(super) fn pids_named(lab: &Lab, is: impl Fn(&str) -> bool) -> Vec<u32> {
    lab.client
        .pids()
        .into_iter()
        .filter(|p| std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| is(c.trim())))
        .collect()
}

/// Duplicates the selected profile `item`, renames the copy in the editor,
/// removes it; turns start-at-login on and off (the XDG autostart entry in
/// `home`) and the dark theme on and off.
fn manage_profiles_and_settings(w: &mut Window, stored: &Path, home: &Path, item: &str) {
    // The stored profiles (not the store's temporary files).
    let files = || {
        let mut v: Vec<_> = std::fs::read_dir(stored)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        v.sort();
        v
    };
    let before = files();
    w.click(item);
    w.click("duplicate");
    w.wait("the copy selected", || files().len() == before.len() + 1);
    let copy_file = files().into_iter().find(|f| !before.contains(f)).unwrap();
    let copy: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&copy_file).unwrap()).unwrap();
    assert_eq!(copy["name"], format!("{CODE_NAME} (copy)"));
    assert_ne!(copy["uuid"], CODE_UUID);
    let copy_item = format!("profile-{}", copy["uuid"].as_str().unwrap());
    w.wait("the copy listed and selected", || {
        w.attr(&copy_item, "aria-selected").as_deref() == Some("true")
    });

    w.click("edit");
    w.wait("the editor", || w.shown("editor"));
    w.type_into("edit-name", " spare");
    w.screenshot("editor");
    w.click("edit-save");
    w.wait("the renamed copy", || {
        !w.shown("editor")
            && w.text(&copy_item)
                .starts_with(&format!("{CODE_NAME} (copy) spare"))
    });
    let edited: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&copy_file).unwrap()).unwrap();
    assert_eq!(edited["name"], format!("{CODE_NAME} (copy) spare"));
    assert_eq!(edited["uuid"], copy["uuid"], "an edit keeps the uuid");

    w.click("remove");
    w.wait("the copy removed", || !w.shown(&copy_item));
    assert_eq!(files(), before);

    let autostart = home.join(".config/autostart/Ibex.desktop");
    w.click("open-settings");
    w.wait("the settings", || w.shown("settings"));
    w.click("setting-start-at-login");
    assert!(
        wait_until(Duration::from_secs(10), Duration::from_millis(100), || {
            autostart.exists()
        }),
        "no autostart entry at {}",
        autostart.display()
    );
    let entry = std::fs::read_to_string(&autostart).unwrap();
    assert!(
        entry.contains("Exec=") && entry.contains("ibex-app --hidden"),
        "{entry}"
    );
    let theme = |w: &Window| {
        w.js(
            "return document.documentElement.dataset.theme || 'system';",
            serde_json::json!([]),
        )
        .unwrap()
    };
    let pick = |w: &Window, value: &str| {
        w.js(
            "const s = document.getElementById('setting-theme'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));",
            serde_json::json!([value]),
        )
        .unwrap();
    };
    pick(w, "dark");
    w.wait("the dark theme", || theme(w) == "dark");
    let background = || {
        w.js(
            "return getComputedStyle(document.body).backgroundColor;",
            serde_json::json!([]),
        )
        .unwrap()
    };
    // The dark colours are in use (style.css: --bg #0d1117).
    w.wait("the dark background", || background() == "rgb(13, 17, 23)");
    w.screenshot("settings-dark");
    pick(w, "system");
    w.wait("the desktop's theme", || theme(w) == "system");
    w.click("setting-start-at-login");
    assert!(
        wait_until(Duration::from_secs(10), Duration::from_millis(100), || {
            !autostart.exists()
        }),
        "the autostart entry stays"
    );
    // The file follows once the last change is stored.
    let settings_file = home.join(".config/ibex/app-settings.json");
    let mut settings = serde_json::Value::Null;
    assert!(
        wait_until(Duration::from_secs(10), Duration::from_millis(100), || {
            settings = std::fs::read_to_string(&settings_file)
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default();
            settings["start_at_login"] == false
        }),
        "settings file: {settings}"
    );
    assert_eq!(settings["theme"], "system");
    w.click("settings-close");
    w.wait("the settings closed", || !w.shown("settings"));
}

/// Answers the password and one-time-code prompts in the window.
pub(crate) fn sign_in_with_code(w: &mut Window, code: &str, shot: &str) {
    w.wait("the password prompt", || {
        w.shown("prompt") && w.attr("prompt", "data-kind").as_deref() == Some("password")
    });
    w.type_into("prompt-input", PASSWORD);
    w.click("prompt-submit");
    w.wait("the one-time-code prompt", || {
        w.shown("prompt") && w.attr("prompt", "data-kind").as_deref() == Some("otp")
    });
    w.screenshot(shot);
    // six digits are sent at once, as a person typing them sees
    w.type_into("prompt-input", code);
}

/// Waits for the push prompt and returns the number it shows, which must
/// be the one the responder's approval API holds for the same sign-in.
fn push_number_matches(w: &mut Window, lab: &Lab, shot: &str) -> String {
    let approval = pending_approval(lab);
    assert_eq!(approval["user"], PUSH_USER, "{approval}");
    let expected = approval["number"].as_u64().expect("a number to match");
    w.wait("the push prompt with its number", || {
        w.shown("prompt")
            && w.attr("prompt", "data-kind").as_deref() == Some("push")
            && w.shown("push-number")
            && !w.text("push-number").is_empty()
    });
    let shown = w.text("push-number");
    assert_eq!(
        shown.parse::<u64>().ok(),
        Some(expected),
        "the window shows {shown:?}, the responder expects {expected}"
    );
    w.screenshot(shot);
    approval["id"].as_str().unwrap().to_string()
}

#[test]
fn desktop_app_imports_signs_in_with_code_and_push_and_drives_the_tray() {
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
    let started = Instant::now();
    let pki = TestPki::generate();
    let set = pki.set(KeyKind::Ecdsa);
    let lab = Lab::new(false);
    let dir = tempdir("ibx-gui-").unwrap();
    let _resolv = NetnsResolvConf::new(lab.client.name(), ORIGINAL_RESOLV);
    let responder = Responder::start(
        &lab,
        dir.path(),
        &responder_auth(&set.gw.cert_pem, &set.gw.key_pk8_pem),
    );
    let daemon = Daemon::start(&lab, dir.path(), "gui");
    let ca_pem = std::fs::read_to_string(&set.ca.cert_pem).unwrap();
    let (code_file, push_file) = profiles(dir.path(), &ca_pem);

    // The person's private home: profiles land in its XDG config dir.
    let user = UserHome::create(dir.path());
    let (home, config) = (&user.home, &user.config);
    let mut env = vec![("IBEX_SOCKET", daemon.socket.as_path())];
    env.extend(user.env());
    let desktop = Desktop::start(&lab.client, dir.path(), &env)
        .unwrap_or_else(|e| panic!("starting the headless desktop: {e}"));
    let shots = artifacts_dir();
    println!("[gui] screenshots go to {}", shots.display());

    // Start: the window is interactive once it shows ibexd's state.
    let t0 = Instant::now();
    let session = desktop
        .open_app(&app_binary())
        .unwrap_or_else(|e| panic!("opening the app through tauri-driver: {e}"));
    let mut w = Window::new(session, shots.clone());
    w.wait("the disconnected state with ibexd reachable", || {
        w.attr("state", "data-state").as_deref() == Some("disconnected")
            && !w.shown("daemon")
            && w.shown("no-profiles")
    });
    let cold_start = t0.elapsed();
    println!("[gui] app cold start to interactive window: {cold_start:.2?}");
    let url = w
        .js("return location.href;", serde_json::json!([]))
        .unwrap();
    assert!(
        url.as_str().is_some_and(|u| u.starts_with("tauri://")),
        "not a custom-protocol build (it loads {url}): run scripts/build-app.sh"
    );
    assert_eq!(w.session().title(), Ok("Ibex".to_string()));
    w.screenshot("started");

    // 1. Import the code profile by its path (with a space, as a file URI).
    let uri = format!("file://{}", code_file.to_str().unwrap().replace(' ', "%20"));
    w.type_into("import-path", &uri);
    w.click("import-path-submit");
    // What the file holds is shown first; nothing is stored before "Import".
    w.wait("the import preview", || w.shown("import-preview"));
    let preview = w.text("import-details");
    assert!(
        preview.contains(CODE_NAME) && preview.contains("192.0.2.1"),
        "preview: {preview:?}"
    );
    assert!(!w.shown("import-replaces"), "a new profile replaces none");
    let stored = config.join("ibex/profiles");
    let stored_count = || std::fs::read_dir(&stored).map_or(0, |d| d.count());
    assert_eq!(stored_count(), 0, "nothing stored by the preview");
    w.screenshot("import-preview");
    w.click("import-confirm");
    let item = format!("profile-{CODE_UUID}");
    w.wait("the imported profile", || {
        w.shown(&item) && w.attr(&item, "aria-selected").as_deref() == Some("true")
    });
    assert_eq!(
        w.text(&item),
        format!("{CODE_NAME}192.0.2.1"),
        "name and gateway listed"
    );
    assert_eq!(
        stored_count(),
        1,
        "the profile is stored in the user's {}",
        stored.display()
    );
    assert!(!w.shown("no-profiles") && !w.shown("error"));
    w.screenshot("imported");

    // 2. Connect with password + one-time code; Connected, with the virtual IP.
    if window_left() < 10 {
        std::thread::sleep(Duration::from_secs(window_left() + 1));
    }
    let code = totp_now();
    w.click("connect");
    sign_in_with_code(&mut w, &code, "code-prompt");
    w.wait_state("connected");
    let status = wait_daemon_state(&lab, &daemon, "connected");
    let vip = status["virtual_ips"][0]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(vip.starts_with("10.99.10."), "{status}");
    w.wait("the virtual IP", || w.text("virtual-ip") == vip);
    assert_eq!(w.text("state"), "Connected");
    assert!(!w.shown("prompt"), "the prompt is gone");
    assert!(
        wait_until(Duration::from_secs(10), Duration::from_millis(200), || lab
            .client
            .ping(LAN_HOST, 1)),
        "ping through the tunnel"
    );
    w.screenshot("connected-code");
    w.click("disconnect");
    w.wait_state("disconnected");
    wait_daemon_state(&lab, &daemon, "disconnected");
    assert!(!lab.client.ping(LAN_HOST, 1), "no tunnel, no LAN");

    // 3. Import the push profile; connect; the number shown is the
    //    responder's; approve through its API.
    w.import_path(push_file.to_str().unwrap(), PUSH_UUID);
    w.click("connect");
    let id = push_number_matches(&mut w, &lab, "push-number");
    push_api(&lab, "POST", &format!("/api/approvals/{id}/approve"));
    w.wait_state("connected");
    wait_daemon_state(&lab, &daemon, "connected");
    assert!(lab.client.ping(LAN_HOST, 1), "ping through the push tunnel");
    w.screenshot("connected-push");
    w.click("disconnect");
    w.wait_state("disconnected");
    wait_daemon_state(&lab, &daemon, "disconnected");

    // 4. A wrong code: the error is shown, nothing connects.
    w.click(&item);
    w.wait("the code profile selected", || {
        w.attr(&item, "aria-selected").as_deref() == Some("true")
    });
    let wrong = wrong_code();
    w.click("connect");
    sign_in_with_code(&mut w, &wrong, "wrong-code-prompt");
    w.wait("the error", || w.shown("error"));
    let error = w.text("error-text");
    assert!(error.to_lowercase().contains("code"), "error: {error:?}");
    w.wait_state("error");
    assert_eq!(
        w.text("state-reason"),
        error,
        "the state names the reason too"
    );
    assert!(!w.shown("prompt"));
    assert_ne!(daemon_state(&lab, &daemon)["state"], "connected");
    assert!(!lab.client.ping(LAN_HOST, 1));
    w.screenshot("wrong-code-error");
    w.click("error-dismiss");
    w.wait("the error dismissed", || !w.shown("error"));

    // 5. Duplicate, edit and remove a profile; settings: start at login
    //    and the theme.
    manage_profiles_and_settings(&mut w, &stored, home, &item);

    // 6. The tray's menu over D-Bus: connect (push), then disconnect.
    let tray = TrayMenu::find(&desktop, Duration::from_secs(20)).unwrap();
    println!("[gui] tray menu {} on {}", tray.path, tray.bus_name);
    tray.wait_item(&format!("Connect {CODE_NAME}"), Duration::from_secs(10))
        .unwrap();
    tray.click(&format!("Connect {PUSH_NAME}")).unwrap();
    let id = push_number_matches(&mut w, &lab, "tray-push-number");
    push_api(&lab, "POST", &format!("/api/approvals/{id}/approve"));
    wait_daemon_state(&lab, &daemon, "connected");
    w.wait_state("connected");
    assert!(
        lab.client.ping(LAN_HOST, 1),
        "ping through the tray's tunnel"
    );
    let disconnect = tray
        .wait_item(&format!("Disconnect {PUSH_NAME}"), Duration::from_secs(10))
        .unwrap();
    assert!(disconnect.enabled);
    let connect_other = tray
        .wait_item(&format!("Connect {CODE_NAME}"), Duration::from_secs(5))
        .unwrap();
    assert!(!connect_other.enabled, "one tunnel at a time");
    w.screenshot("tray-connected");
    tray.click(&format!("Disconnect {PUSH_NAME}")).unwrap();
    wait_daemon_state(&lab, &daemon, "disconnected");
    w.wait_state("disconnected");
    tray.wait_item(&format!("Connect {PUSH_NAME}"), Duration::from_secs(10))
        .unwrap();
    w.screenshot("tray-disconnected");

    // Figures: resident memory while idle.
    std::thread::sleep(Duration::from_secs(2));
    let mib =
        |kib: Option<u64>| kib.map_or("?".to_string(), |k| format!("{:.1}", k as f64 / 1024.0));
    let app = pids_named(&lab, |c| c == "ibex-app");
    // the web content and network processes WebKitGTK starts for the window
    let webkit = pids_named(&lab, |c| {
        c.starts_with("WebKitWebProces") || c.starts_with("WebKitNetworkP")
    });
    let sum = |pids: &[u32]| pids.iter().map(|p| rss_kib(*p)).sum::<Option<u64>>();
    println!(
        "[gui] idle RSS: ibex-app {} MiB (+ {} MiB in {} WebKit processes), ibexd {} MiB",
        mib(sum(&app)),
        mib(sum(&webkit)),
        webkit.len(),
        mib(rss_kib(daemon.pid()))
    );

    // No secret in the app's (or the driver's) log, ibexd's or the responder's.
    let everything = format!("{}\n{}\n{}", desktop.log(), daemon.log(), responder.log());
    for secret in [PASSWORD, TOTP_SECRET, code.as_str(), wrong.as_str()] {
        assert!(
            !everything.contains(secret),
            "a secret leaked into a log: {secret}"
        );
    }
    drop(w);
    drop(desktop);
    println!("[gui] done in {:.1?}", started.elapsed());
}
