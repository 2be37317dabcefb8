//! [`DnsBackend`]: who manages the system's DNS, and so how we change it.

use std::path::{Path, PathBuf};

use super::command;

/// The system resolv.conf.
pub const SYSTEM_RESOLV_CONF: &str = "/etc/resolv.conf";

/// How DNS is changed while the tunnel is up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsBackend {
    /// systemd-resolved: per-link servers and the `~.` routing domain on the TUN
    /// device (`resolvectl`), reverted with `resolvectl revert`.
    Resolved,
    /// Replace this resolv.conf-style file (normally `/etc/resolv.conf`),
    /// restoring the original byte for byte (or as the symlink it was).
    ResolvConf {
        /// The file to replace.
        path: PathBuf,
    },
}

impl DnsBackend {
    /// systemd-resolved if it manages DNS (`resolv_conf` is a symlink into
    /// `/run/systemd/resolve/`, or `org.freedesktop.resolve1` is on the system
    /// bus), otherwise the file `resolv_conf`.
    pub async fn detect(resolv_conf: impl Into<PathBuf>) -> DnsBackend {
        let path = resolv_conf.into();
        if links_to_resolved(&path) {
            tracing::info!(path = %path.display(), "DNS: resolv.conf is systemd-resolved's; using resolvectl");
            return DnsBackend::Resolved;
        }
        if resolved_on_bus().await {
            tracing::info!("DNS: systemd-resolved is on the system bus; using resolvectl");
            return DnsBackend::Resolved;
        }
        tracing::info!(path = %path.display(), "DNS: no systemd-resolved; replacing the file");
        DnsBackend::ResolvConf { path }
    }
}

/// Is `path` a symlink to resolved's `stub-resolv.conf` or `resolv.conf`?
pub(crate) fn links_to_resolved(path: &Path) -> bool {
    let Ok(target) = std::fs::read_link(path) else {
        return false;
    };
    let named = matches!(
        target.file_name().and_then(|n| n.to_str()),
        Some("stub-resolv.conf" | "resolv.conf")
    );
    named
        && target
            .parent()
            .is_some_and(|p| p.ends_with("systemd/resolve"))
}

/// Does `org.freedesktop.resolve1` have an owner on the system bus? (Asks the bus
/// itself, so this does not start resolved through bus activation.)
async fn resolved_on_bus() -> bool {
    let reply = command::run(
        "busctl",
        &[
            "--system",
            "call",
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "NameHasOwner",
            "s",
            "org.freedesktop.resolve1",
        ],
    )
    .await;
    match reply {
        Ok(out) => out.trim() == "b true",
        Err(e) => {
            tracing::debug!(error = %e, "cannot ask the system bus about systemd-resolved");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognizes_resolved_symlinks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let link = |name: &str, target: &str| {
            let p = dir.path().join(name);
            std::os::unix::fs::symlink(target, &p).expect("symlink");
            p
        };
        assert!(links_to_resolved(&link(
            "a",
            "../run/systemd/resolve/stub-resolv.conf"
        )));
        assert!(links_to_resolved(&link(
            "b",
            "/run/systemd/resolve/resolv.conf"
        )));
        assert!(!links_to_resolved(&link(
            "c",
            "/run/NetworkManager/resolv.conf"
        )));
        let plain = dir.path().join("plain");
        std::fs::write(&plain, b"nameserver 192.0.2.53\n").expect("write");
        assert!(!links_to_resolved(&plain));
        assert!(!links_to_resolved(&dir.path().join("missing")));
    }
}
