//! Prerequisite checks for tests that need root, network namespaces and strongSwan.
//!
//! Policy (Ibex standards): when something is missing,
//! * with `CI=true` in the environment the test **panics** with a loud message naming
//!   the missing thing (CI must never silently skip the interop suite);
//! * otherwise it prints `SKIP: <reason>` and the test returns early (passes).
//!
//! ```ignore
//! if !ibex_e2e::prereq::require(&[Prereq::Root, Prereq::Netns, Prereq::StrongSwan]) {
//!     return;
//! }
//! ```
//! `scripts/install-deps.sh` installs everything this module looks for.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use crate::{run_timeout, which};

/// One thing a test needs from the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prereq {
    /// Effective uid 0 (netns, veth, mount namespaces, TUN).
    Root,
    /// `ip`, `unshare`, `mount`, `timeout`, `ss`, and the kernel lets us create a netns.
    Netns,
    /// `/dev/net/tun` (kernel-libipsec's userspace ESP runs over a TUN device).
    Tun,
    /// charon (`/usr/lib/ipsec/charon`), `swanctl`, and the plugins the harness loads.
    StrongSwan,
    /// strongSwan's `pki` tool and `openssl` (test PKI generation, PKCS#8 conversion).
    Pki,
    /// `python3` (the bulk-transfer sender and receiver of [`crate::transfer`]).
    Python3,
    /// Chromium and chromedriver (apt: chromium chromium-driver), for pages
    /// driven through [`crate::webdriver`].
    Chromium,
    /// The desktop app end to end ([`crate::gui`]): Xvfb, `dbus-run-session`,
    /// `busctl`, WebKitWebDriver, `tauri-driver`, and the custom-protocol
    /// app binary (`scripts/build-app.sh`).
    Gui,
    /// A Secret Service keyring for a private D-Bus session: `dbus-run-session`
    /// and `gnome-keyring-daemon` (apt: dbus gnome-keyring).
    Keyring,
    /// `dbus-daemon` and `dbus-send` (apt: dbus), for a private bus that
    /// stands in for the system bus.
    Dbus,
    /// `conntrack` (flushing a NAT router's mappings) and `tcpdump`.
    Conntrack,
}

/// Plugins every harness charon loads (see `strongswan::PLUGINS`); must exist on disk.
const REQUIRED_PLUGINS: &[&str] = &[
    "kernel-libipsec",
    "kernel-netlink",
    "socket-default",
    "vici",
    "openssl",
    "pem",
    "pkcs1",
    "pkcs8",
    "x509",
    "pubkey",
    "curve25519",
    "chapoly",
    "gcm",
    "aes",
    "sha2",
    "hmac",
    "kdf",
    "attr",
    "nonce",
    "random",
];

/// Is CI=true (also accepts 1/yes, case-insensitive)?
pub fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
        .unwrap_or(false)
}

/// Check all `what`; `true` = go ahead, `false` = skip the test (already printed
/// "SKIP: ..."). Panics instead of skipping when CI=true.
pub fn require(what: &[Prereq]) -> bool {
    let missing: Vec<String> = what.iter().filter_map(|p| check(*p).err()).collect();
    if missing.is_empty() {
        return true;
    }
    let reason = missing.join("; ");
    if in_ci() {
        panic!(
            "\n\n*** PREREQUISITE MISSING (CI=true, refusing to skip) ***\n*** {reason}\n\
             *** the interop tests run as root; packages: scripts/install-deps.sh ***\n"
        );
    }
    println!("SKIP: {reason}");
    eprintln!("SKIP: {reason}");
    false
}

/// Check one prerequisite; `Err` carries a human-readable reason naming what is missing.
pub fn check(p: Prereq) -> Result<(), String> {
    match p {
        Prereq::Root => {
            // SAFETY: geteuid has no preconditions.
            if unsafe { libc::geteuid() } == 0 {
                Ok(())
            } else {
                Err("not running as root (need uid 0 for netns/veth/mount namespaces)".into())
            }
        }
        Prereq::Netns => {
            for t in ["ip", "unshare", "mount", "timeout", "ss", "sysctl"] {
                if which(t).is_none() {
                    return Err(format!(
                        "`{t}` not found (apt: iproute2 util-linux coreutils procps)"
                    ));
                }
            }
            netns_probe().clone()
        }
        Prereq::Tun => {
            if Path::new("/dev/net/tun").exists() {
                Ok(())
            } else {
                Err("/dev/net/tun missing (kernel-libipsec needs TUN)".into())
            }
        }
        Prereq::StrongSwan => {
            if crate::strongswan::charon_bin().is_none() {
                return Err(
                    "strongSwan charon not found (/usr/lib/ipsec/charon; apt: strongswan-charon)"
                        .into(),
                );
            }
            if which("swanctl").is_none() {
                return Err("`swanctl` not found (apt: strongswan-swanctl)".into());
            }
            let dir = crate::strongswan::plugin_dir();
            let missing: Vec<&str> = REQUIRED_PLUGINS
                .iter()
                .copied()
                .filter(|p| !dir.join(format!("libstrongswan-{p}.so")).exists())
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "strongSwan plugins missing in {}: {} (apt: libcharon-extra-plugins \
                     libstrongswan-extra-plugins libstrongswan-standard-plugins)",
                    dir.display(),
                    missing.join(" ")
                ))
            }
        }
        Prereq::Python3 => match which("python3") {
            Some(_) => Ok(()),
            None => Err("`python3` not found (apt: python3)".into()),
        },
        Prereq::Pki => {
            if which("pki").is_none() {
                return Err("strongSwan `pki` not found (apt: strongswan-pki)".into());
            }
            if which("openssl").is_none() {
                return Err("`openssl` not found (apt: openssl)".into());
            }
            Ok(())
        }
        Prereq::Dbus => {
            for bin in ["dbus-daemon", "dbus-send"] {
                if which(bin).is_none() {
                    return Err(format!("`{bin}` not found (apt: dbus)"));
                }
            }
            Ok(())
        }
        Prereq::Keyring => {
            for (bin, pkg) in [
                ("dbus-run-session", "dbus"),
                ("gnome-keyring-daemon", "gnome-keyring"),
            ] {
                if which(bin).is_none() {
                    return Err(format!("`{bin}` not found (apt: {pkg})"));
                }
            }
            Ok(())
        }
        Prereq::Gui => {
            for (bin, pkg) in [
                ("Xvfb", "xvfb"),
                ("dbus-run-session", "dbus"),
                ("busctl", "systemd"),
                (crate::gui::desktop::WEBKIT_WEBDRIVER, "webkit2gtk-driver"),
            ] {
                if which(bin).is_none() {
                    return Err(format!("`{bin}` not found (apt: {pkg})"));
                }
            }
            if crate::gui::tauri_driver().is_none() {
                return Err(format!(
                    "`tauri-driver` not found ($IBEX_TAURI_DRIVER, $PATH, {}/bin; \
                     scripts/install-deps.sh: cargo install tauri-driver --locked --root {})",
                    crate::gui::TOOLS_DIR,
                    crate::gui::TOOLS_DIR
                ));
            }
            let app = crate::gui::app_binary();
            if !app.is_file() {
                return Err(format!(
                    "the desktop app {} is missing (scripts/build-app.sh: \
                     npx tauri build --debug --no-bundle, then copied there; or set IBEX_APP_BIN)",
                    app.display()
                ));
            }
            Ok(())
        }
        Prereq::Conntrack => {
            for (bin, pkg) in [("conntrack", "conntrack"), ("tcpdump", "tcpdump")] {
                if which(bin).is_none() {
                    return Err(format!("`{bin}` not found (apt: {pkg})"));
                }
            }
            Ok(())
        }
        Prereq::Chromium => {
            if !std::path::Path::new("/usr/bin/chromium").exists() {
                return Err("/usr/bin/chromium not found (apt: chromium)".into());
            }
            if which("chromedriver").is_none() {
                return Err("`chromedriver` not found (apt: chromium-driver)".into());
            }
            Ok(())
        }
    }
}

/// Create and delete one throw-away namespace, once per process.
fn netns_probe() -> &'static Result<(), String> {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    PROBE.get_or_init(|| {
        let name = format!("ibx{}-probe", std::process::id());
        let t = Duration::from_secs(10);
        let add = run_timeout(Command::new("ip").args(["netns", "add", &name]), t);
        let res = match add {
            Ok(o) if o.status.success() => Ok(()),
            Ok(o) => Err(format!(
                "cannot create a network namespace (`ip netns add`): {}",
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(e) => Err(format!("cannot create a network namespace: {e}")),
        };
        let _ = run_timeout(Command::new("ip").args(["netns", "del", &name]), t);
        res
    })
}
