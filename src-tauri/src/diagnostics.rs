//! The diagnostics bundle: one JSON file a person can attach to a support
//! request — versions, the OS, ibexd's status as the app last saw it, the
//! profiles and the recent log lines — with anything secret or personal
//! taken out first:
//!
//! - profiles hold no secret by design; still, every member whose name
//!   says secret (`psk`, `password`, `passphrase`, `secret`, `pin`,
//!   `otp`, `code`, `token`, `private`) is replaced, the user's identities
//!   (`local_id`, a round's `identity`) are replaced (they name a person),
//!   PEM private keys are replaced and certificates shortened to their size;
//! - log lines: the value after `password=`, `psk=`, `passphrase=`,
//!   `secret=`, `pin=`, `code=`, `otp=` or `token=`, PEM private key blocks,
//!   and the profiles' user identities are replaced.
//!
//! One JSON file rather than an archive: it is readable as it is, needs no
//! new crate, and the contents are small (at most [`crate::logs::KEEP`]
//! lines).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use serde_json::Value;
use tauri::State;

use crate::logs::ViewLine;
use crate::snapshot::Snapshot;

/// What replaces a secret or personal value.
pub const REDACTED: &str = "<redacted>";
/// What replaces a user identity in log lines.
pub const USER: &str = "<user>";

/// ibexd's version, from its last `welcome`.
static IBEXD_VERSION: Mutex<Option<String>> = Mutex::new(None);

/// Notes ibexd's version (the event task, after `hello`).
pub fn set_ibexd_version(version: Option<String>) {
    *IBEXD_VERSION.lock().unwrap_or_else(|e| e.into_inner()) = version;
}

fn ibexd_version() -> Option<String> {
    IBEXD_VERSION
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// Writes the diagnostics bundle to `path`; returns the path written.
/// The window asks for the path with a save dialog (or the path field).
#[tauri::command(rename_all = "snake_case")]
pub async fn export_diagnostics(
    state: State<'_, crate::state::AppState>,
    path: PathBuf,
) -> Result<String, String> {
    if path.as_os_str().is_empty() {
        return Err("choose a file to write the diagnostics to".into());
    }
    let profiles = state
        .store()
        .and_then(|s| Ok(s.list()?))
        .map_err(|e| e.to_string());
    let b = bundle(
        &state.daemon.snapshot(),
        ibexd_version(),
        profiles,
        crate::logs::store().lines(),
    );
    write(&b, &path)
        .map_err(|e| format!("cannot write the diagnostics to {}: {e}", path.display()))?;
    tracing::info!(path = %path.display(), "diagnostics written");
    Ok(path.display().to_string())
}

/// The bundle as written.
#[derive(Debug, Serialize)]
pub struct Bundle {
    /// `ibex-diagnostics/1`.
    pub format: &'static str,
    /// When it was made, milliseconds since the UNIX epoch.
    pub created_ms: Option<u64>,
    /// The app's name and version.
    pub app: Versions,
    /// The operating system.
    pub os: Os,
    /// ibexd's version (from its `welcome`), when the app reached it.
    pub ibexd_version: Option<String>,
    /// The app's snapshot: the link to ibexd and ibexd's status.
    pub status: Value,
    /// The stored profiles, redacted.
    pub profiles: Vec<Value>,
    /// Why the profiles could not be read, if they could not.
    pub profiles_error: Option<String>,
    /// The Logs view's lines, redacted.
    pub logs: Vec<ViewLine>,
}

/// A program's name and version.
#[derive(Debug, Serialize)]
pub struct Versions {
    /// Name.
    pub name: &'static str,
    /// Version.
    pub version: &'static str,
}

/// The operating system.
#[derive(Debug, Serialize)]
pub struct Os {
    /// `linux`, `windows`, `macos`.
    pub family: &'static str,
    /// CPU architecture.
    pub arch: &'static str,
    /// The distribution (os-release `PRETTY_NAME`), when known.
    pub name: Option<String>,
    /// The kernel release, when known.
    pub kernel: Option<String>,
}

impl Os {
    /// This machine's.
    pub fn here() -> Os {
        let name = std::fs::read_to_string("/etc/os-release")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                    .map(|v| v.trim_matches('"').to_string())
            });
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .map(|k| k.trim().to_string());
        Os {
            family: std::env::consts::OS,
            arch: std::env::consts::ARCH,
            name,
            kernel,
        }
    }
}

/// Makes the bundle from what the app has.
pub fn bundle(
    snapshot: &Snapshot,
    ibexd_version: Option<String>,
    profiles: Result<Vec<ibex_profile::Profile>, String>,
    logs: Vec<ViewLine>,
) -> Bundle {
    let (profiles, profiles_error) = match profiles {
        Ok(p) => (p, None),
        Err(e) => (vec![], Some(e)),
    };
    let identities = identities(&profiles);
    let mut status = serde_json::to_value(snapshot).unwrap_or(Value::Null);
    redact_value(&mut status, &identities);
    Bundle {
        format: "ibex-diagnostics/1",
        created_ms: crate::logs::now_ms(),
        app: Versions {
            name: "ibex-app",
            version: env!("CARGO_PKG_VERSION"),
        },
        os: Os::here(),
        ibexd_version,
        status,
        profiles: profiles
            .iter()
            .map(|p| {
                let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
                redact_value(&mut v, &identities);
                v
            })
            .collect(),
        profiles_error,
        logs: logs
            .into_iter()
            .map(|mut l| {
                l.message = redact_line(&l.message, &identities);
                l
            })
            .collect(),
    }
}

/// Writes `bundle` to `path` (replacing a file there), readable by the
/// user only.
pub fn write(bundle: &Bundle, path: &Path) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let text = serde_json::to_string_pretty(bundle).map_err(std::io::Error::other)?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.write_all(b"\n")
}

/// The user identities the profiles name (to take out of log lines).
fn identities(profiles: &[ibex_profile::Profile]) -> Vec<String> {
    let mut ids = Vec::new();
    for p in profiles {
        let v = serde_json::to_value(p).unwrap_or(Value::Null);
        collect_identities(&v, &mut ids);
    }
    ids.retain(|i| i.len() >= 3);
    ids.sort_by_key(|i| std::cmp::Reverse(i.len()));
    ids.dedup();
    ids
}

fn collect_identities(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("local_id" | "identity", Value::String(s)) => out.push(s.clone()),
                    _ => collect_identities(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| collect_identities(v, out)),
        _ => {}
    }
}

/// Whether a member named `key` holds a secret.
fn secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "psk",
        "password",
        "passphrase",
        "secret",
        "pin",
        "otp",
        "code",
        "token",
        "private",
    ]
    .iter()
    .any(|s| k == *s || k.contains(s) && !k.starts_with("remember"))
}

/// Redacts a JSON value in place (profiles, the status).
pub fn redact_value(v: &mut Value, identities: &[String]) {
    match v {
        Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                let identity = matches!(k.as_str(), "local_id" | "identity") && v.is_string();
                if identity || secret_key(k) && !v.is_boolean() {
                    *v = Value::String(REDACTED.into());
                } else {
                    redact_value(v, identities);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|v| redact_value(v, identities)),
        Value::String(s) => {
            if s.contains("PRIVATE KEY-----") {
                *s = "<redacted private key>".into();
            } else if s.contains("-----BEGIN CERTIFICATE-----") {
                *s = format!("<certificate, {} bytes>", s.len());
            } else {
                *s = redact_line(s, identities);
            }
        }
        _ => {}
    }
}

/// Redacts one log line: secret `key=value` pairs, PEM private keys and
/// the given user identities.
pub fn redact_line(line: &str, identities: &[String]) -> String {
    let mut out = redact_pem(line);
    out = redact_pairs(&out);
    for id in identities {
        if out.contains(id.as_str()) {
            out = out.replace(id.as_str(), USER);
        }
    }
    out
}

fn redact_pem(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("-----BEGIN") {
        let head = &rest[start..];
        let is_key = head
            .find("-----\n")
            .or_else(|| head[10..].find("-----").map(|i| i + 10))
            .is_some_and(|e| head[..e].contains("PRIVATE KEY"));
        if !is_key {
            out.push_str(&rest[..start + 10]);
            rest = &rest[start + 10..];
            continue;
        }
        out.push_str(&rest[..start]);
        out.push_str("<redacted private key>");
        // Up to the END line's closing dashes (or the end of the text).
        rest = match head.find("-----END") {
            Some(e) => {
                let after = &head[e + 8..];
                match after.find("-----") {
                    Some(d) => &after[d + 5..],
                    None => "",
                }
            }
            None => "",
        };
    }
    out.push_str(rest);
    out
}

fn redact_pairs(line: &str) -> String {
    const KEYS: [&str; 8] = [
        "password=",
        "psk=",
        "passphrase=",
        "secret=",
        "pin=",
        "code=",
        "otp=",
        "token=",
    ];
    let lower = line.to_ascii_lowercase();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        let hit = KEYS.iter().find(|k| {
            lower[i..].starts_with(*k)
                && (i == 0 || !lower.as_bytes()[i - 1].is_ascii_alphanumeric())
        });
        match hit {
            Some(k) => {
                out.push_str(&line[i..i + k.len()]);
                out.push_str(REDACTED);
                i += k.len();
                // The value: quoted, or up to the next space.
                let rest = &line[i..];
                let len = if let Some(q) = rest.strip_prefix('"') {
                    q.find('"').map_or(rest.len(), |e| e + 2)
                } else {
                    rest.find(char::is_whitespace).unwrap_or(rest.len())
                };
                i += len;
            }
            None => {
                let c = line[i..].chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n";

    #[test]
    fn log_lines_lose_secret_values_keys_and_identities() {
        let ids = vec!["alice@corp.example.com".to_string()];
        let line = "sign-in user=alice@corp.example.com password=hunter2 PSK=\"s3 cret\" code=123456 rounds=2";
        let got = redact_line(line, &ids);
        assert_eq!(
            got,
            "sign-in user=<user> password=<redacted> PSK=<redacted> code=<redacted> rounds=2"
        );
        let got = redact_line(&format!("loaded key {KEY} for the round"), &[]);
        assert_eq!(got, "loaded key <redacted private key>\n for the round");
        // Certificates and harmless words stay.
        let cert = "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----";
        assert_eq!(redact_line(cert, &[]), cert);
        assert_eq!(redact_line("barcode=x pinned=y", &[]), "barcode=x pinned=y");
        assert_eq!(redact_line("no secrets, é ü", &[]), "no secrets, é ü");
    }

    #[test]
    fn profiles_lose_identities_secrets_and_keys() {
        let mut v = serde_json::json!({
            "name": "Work",
            "local_id": "alice@corp.example.com",
            "remember_secrets": true,
            "auth": {"method": "eap", "rounds": [{"method": "gtc", "identity": "alice"}]},
            "psk": "should never be here",
            "ca_certificate": "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n",
            "extra": {"key_pem": KEY},
        });
        redact_value(&mut v, &[]);
        assert_eq!(v["name"], "Work");
        assert_eq!(v["local_id"], REDACTED);
        assert_eq!(v["auth"]["rounds"][0]["identity"], REDACTED);
        assert_eq!(v["auth"]["rounds"][0]["method"], "gtc");
        assert_eq!(v["psk"], REDACTED);
        assert_eq!(v["remember_secrets"], true);
        assert!(v["ca_certificate"]
            .as_str()
            .unwrap()
            .starts_with("<certificate, "));
        assert_eq!(v["extra"]["key_pem"], "<redacted private key>");
    }

    #[test]
    fn a_bundle_has_the_status_and_no_secret() {
        let profile =
            ibex_profile::Profile::from_json(include_str!("../../profiles/eap-mfa.json")).unwrap();
        let mut snapshot = Snapshot::initial("/run/ibex/ibexd.sock".into());
        snapshot.reason = Some("sign-in failed (EAP-GTC): wrong one-time code".into());
        let logs = vec![ViewLine {
            source: crate::logs::Source::Ibexd,
            level: ibex_ipc::LogLevel::Info,
            message: "EAP identity alice@corp.example.com password=hunter2".into(),
            time_ms: Some(1),
            target: None,
        }];
        let b = bundle(&snapshot, Some("0.1.0".into()), Ok(vec![profile]), logs);
        let text = serde_json::to_string(&b).unwrap();
        assert!(text.contains("wrong one-time code"), "{text}");
        assert!(text.contains("\"ibexd_version\":\"0.1.0\""));
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains("alice@corp.example.com"), "{text}");
        assert!(text.contains("Example Corp (MFA)"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("diag.json");
        write(&b, &path).unwrap();
        let back: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(back["format"], "ibex-diagnostics/1");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
