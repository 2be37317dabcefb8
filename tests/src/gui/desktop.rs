//! A headless desktop in a namespace: Xvfb on a free display, a private
//! D-Bus session (`dbus-run-session`) and `tauri-driver` (which starts
//! WebKitWebDriver, which starts the app) inside it. Stopped on drop:
//! the WebDriver session (the app) first, then tauri-driver with SIGTERM
//! (SIGKILL would orphan WebKitWebDriver), which ends the D-Bus session,
//! then Xvfb.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::netns::Netns;
use crate::webdriver::Session;
use crate::{pid_alive, signal, wait_until};

/// tauri-driver's port on the namespace's loopback.
const DRIVER_PORT: u16 = 4444;
/// WebKitWebDriver's port (tauri-driver's `--native-port`).
const NATIVE_PORT: u16 = 4445;
/// The WebKitWebDriver binary (Debian: webkit2gtk-driver).
pub const WEBKIT_WEBDRIVER: &str = "/usr/bin/WebKitWebDriver";

/// Xvfb, a D-Bus session and tauri-driver in one namespace.
pub struct Desktop {
    ns: String,
    xvfb: Child,
    /// `dbus-run-session -- sh -c '... exec tauri-driver'`.
    session: Child,
    /// tauri-driver's pid (the shell that exec'd it).
    driver_pid: u32,
    bus: String,
    display: String,
    log: PathBuf,
}

impl Desktop {
    /// Starts Xvfb, the D-Bus session and tauri-driver in `ns`; `env` goes
    /// to tauri-driver and so to the app (`IBEX_SOCKET`, `HOME`, ...).
    /// Logs go to `dir/desktop.log`.
    pub fn start(ns: &Netns, dir: &Path, env: &[(&str, &Path)]) -> Result<Desktop, String> {
        let driver = super::tauri_driver().ok_or("tauri-driver not found")?;
        let log = dir.join("desktop.log");
        let (xvfb, display) = start_xvfb(ns, &log)?;
        let info = dir.join("dbus-session.info");
        let script = format!(
            "printf '%s\\n%s\\n' \"$$\" \"$DBUS_SESSION_BUS_ADDRESS\" > '{}'; \
             exec '{}' --port {DRIVER_PORT} --native-port {NATIVE_PORT} --native-driver {WEBKIT_WEBDRIVER}",
            info.display(),
            driver.display()
        );
        let f = append(&log)?;
        let mut cmd = ns.command(&["dbus-run-session", "--", "sh", "-c", &script]);
        cmd.env("DISPLAY", &display)
            // no accessibility bus: it would start processes outside our control
            .env("NO_AT_BRIDGE", "1")
            .env("GDK_BACKEND", "x11")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(f.try_clone().map_err(|e| e.to_string())?)
            .stderr(f);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let session = cmd.spawn().map_err(|e| format!("dbus-run-session: {e}"))?;
        let mut d = Desktop {
            ns: ns.name().to_string(),
            xvfb,
            session,
            driver_pid: 0,
            bus: String::new(),
            display,
            log,
        };
        let mut lines = Vec::new();
        wait_until(Duration::from_secs(10), Duration::from_millis(50), || {
            lines = std::fs::read_to_string(&info)
                .unwrap_or_default()
                .lines()
                .map(String::from)
                .collect();
            lines.len() == 2
        });
        if lines.len() != 2 {
            return Err(format!(
                "the D-Bus session did not start:\n{}",
                crate::tail(&d.log, 30)
            ));
        }
        d.driver_pid = lines[0].parse().map_err(|_| "bad pid in session info")?;
        d.bus = lines[1].clone();
        Ok(d)
    }

    /// Opens a WebDriver session on `app`: tauri-driver starts it. The
    /// session ends (and the app with it) when the returned value drops.
    pub fn open_app(&self, app: &Path) -> Result<Session, String> {
        // tauri-driver forwards to WebKitWebDriver, which may still be starting
        let native = std::net::SocketAddr::from(([127, 0, 0, 1], NATIVE_PORT));
        if !wait_until(Duration::from_secs(20), Duration::from_millis(100), || {
            crate::webdriver::connect_in(&self.ns, native).is_ok()
        }) {
            return Err(format!(
                "WebKitWebDriver did not listen on {native}:\n{}",
                crate::tail(&self.log, 40)
            ));
        }
        let caps = json!({
            "browserName": "wry",
            "tauri:options": {"application": app},
        });
        Session::open(&self.ns, DRIVER_PORT, caps, Duration::from_secs(20))
            .map_err(|e| format!("{e}\n{}", crate::tail(&self.log, 40)))
    }

    /// A command in the namespace with the session bus and display set.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.ns])
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .env("DISPLAY", &self.display);
        c
    }

    /// The log of Xvfb, the D-Bus session, tauri-driver, WebKitWebDriver
    /// and the app.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        signal(self.driver_pid, libc::SIGTERM);
        let id = self.session.id();
        if !wait_until(Duration::from_secs(5), Duration::from_millis(50), || {
            matches!(self.session.try_wait(), Ok(Some(_))) || !pid_alive(id)
        }) {
            let _ = self.session.kill();
        }
        let _ = self.session.wait();
        signal(self.xvfb.id(), libc::SIGTERM);
        let xid = self.xvfb.id();
        if !wait_until(Duration::from_secs(5), Duration::from_millis(50), || {
            matches!(self.xvfb.try_wait(), Ok(Some(_))) || !pid_alive(xid)
        }) {
            let _ = self.xvfb.kill();
        }
        let _ = self.xvfb.wait();
    }
}

fn append(path: &Path) -> Result<std::fs::File, String> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Xvfb on the first display from a pid-derived start whose lock file and
/// socket are free (the X socket directory is shared between namespaces).
fn start_xvfb(ns: &Netns, log: &Path) -> Result<(Child, String), String> {
    let first = 200 + std::process::id() % 500;
    for n in first..first + 50 {
        let lock = PathBuf::from(format!("/tmp/.X{n}-lock"));
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
        if lock.exists() || socket.exists() {
            continue;
        }
        let display = format!(":{n}");
        let f = append(log)?;
        let mut xvfb = ns
            .command(&[
                "Xvfb",
                &display,
                "-screen",
                "0",
                "1024x768x24",
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(f.try_clone().map_err(|e| e.to_string())?)
            .stderr(f)
            .spawn()
            .map_err(|e| format!("Xvfb: {e}"))?;
        let up = wait_until(Duration::from_secs(10), Duration::from_millis(50), || {
            socket.exists() || !matches!(xvfb.try_wait(), Ok(None))
        });
        if up && matches!(xvfb.try_wait(), Ok(None)) {
            return Ok((xvfb, display));
        }
        // lost a race for this display (or Xvfb failed): try the next one
        let _ = xvfb.kill();
        let _ = xvfb.wait();
    }
    Err(format!(
        "no free X display for Xvfb:\n{}",
        crate::tail(log, 20)
    ))
}
