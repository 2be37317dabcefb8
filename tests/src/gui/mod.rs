//! The desktop app (`ibex-app`) end to end: the real app, built with Tauri's
//! custom protocol (`npx tauri build --debug --no-bundle`, which embeds the
//! frontend), run under Xvfb inside a private D-Bus session and driven over
//! WebDriver by `tauri-driver` and WebKitWebDriver, all inside the lab's
//! client namespace.
//!
//! * [`desktop`]: Xvfb, `dbus-run-session` and `tauri-driver` in a
//!   namespace; opening the app as a WebDriver session.
//! * [`window`]: waiting for and reading the window's elements (the ids of
//!   docs/app.md), screenshots as test artifacts.
//! * [`home`]: the private `HOME` and XDG directories the app runs with.
//! * [`tray`]: the tray's `com.canonical.dbusmenu` menu on the session bus,
//!   read and clicked with `busctl` (no tray host needed).
//!
//! Where things are found: the app is `$IBEX_APP_BIN`, else
//! `<target>/app-e2e/ibex-app` (what `scripts/build-app.sh` leaves there;
//! `<target>` is the cargo target dir the test runs from); `tauri-driver` is
//! `$IBEX_TAURI_DRIVER`, else on `$PATH`, else
//! `/var/cache/ibex-tools/bin/tauri-driver` (what `scripts/install-deps.sh`
//! installs).

use std::path::PathBuf;

pub mod desktop;
pub mod home;
pub mod tray;
pub mod window;

/// Where `scripts/install-deps.sh` installs `tauri-driver` (`cargo install --root`).
pub const TOOLS_DIR: &str = "/var/cache/ibex-tools";

/// The cargo target directory the running test binary was built into
/// (`<target>/<profile>/deps/<test>-<hash>`).
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current test executable");
    exe.ancestors()
        .nth(3)
        .expect("target directory above <profile>/deps")
        .to_path_buf()
}

/// The custom-protocol app binary: `$IBEX_APP_BIN` or
/// `<target>/app-e2e/ibex-app`.
pub fn app_binary() -> PathBuf {
    std::env::var_os("IBEX_APP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("app-e2e").join("ibex-app"))
}

/// `tauri-driver`: `$IBEX_TAURI_DRIVER`, `$PATH`, or [`TOOLS_DIR`]`/bin`.
pub fn tauri_driver() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("IBEX_TAURI_DRIVER") {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    crate::which("tauri-driver").or_else(|| {
        let p = PathBuf::from(TOOLS_DIR).join("bin/tauri-driver");
        p.is_file().then_some(p)
    })
}

/// Where the GUI test saves its screenshots: `$IBEX_E2E_ARTIFACTS/gui`, else
/// `<target>/artifacts/gui`; created if missing.
pub fn artifacts_dir() -> PathBuf {
    let d = std::env::var_os("IBEX_E2E_ARTIFACTS")
        .map(|d| PathBuf::from(d).join("gui"))
        .unwrap_or_else(|| target_dir().join("artifacts").join("gui"));
    let _ = std::fs::create_dir_all(&d);
    d
}
