//! Spawning the Ibex test driver (`ibex-ike-driver`, a `[[bin]]` of this package).
//!
//! Contract the harness relies on:
//! * invocation: `ibex-ike-driver CONFIG.json` (run inside a netns); the JSON is
//!   [`DriverConfig`] (unset optional fields are omitted from the file);
//! * it binds UDP 500 and 4500 on `local`; an initiator sends its IKE_SA_INIT to
//!   `remote`:500; a responder waits for one;
//! * stdout: one line per event, `EVENT <kind> [key=value ...]`, kinds `ike_up`
//!   (`spi_i= spi_r= suite=`), `child_up` (`spi_in= spi_out= suite= ts_local= ts_remote=
//!   vip=<ip or ->`), `ike_rekeyed`, `child_rekeyed`, `closed reason=<text>`,
//!   `error <text>`; with EAP also `prompt`, `prompt_closed`, `eap_failed` (initiator,
//!   see [`DriverEap`]) and `eap_directory_failure` (responder, see [`DriverEapServer`]);
//!   EAP-TLS ([`DriverEapTls`], [`DriverEapTlsServer`]) adds no event kind: the
//!   negotiated version is in the debug log (`EAP-TLS: handshake complete
//!   version=Some(Tls12)`, stderr);
//!   other stdout lines are allowed and ignored; no line ever carries a password or code;
//! * `suite=` of `ike_up` is the IKE proposal in strongSwan syntax (as configured, e.g.
//!   `aes256gcm16-prfsha384-ecp384`), of `child_up` the ESP proposal (e.g. `aes256gcm16`);
//!   compared as strongSwan reads proposals: case and algorithm order ignored, `esn`/
//!   `noesn` ignored, an omitted PRF = the integrity algorithm's ([`suite_matches`]);
//! * exits 0 at `exit_after_ms` (or when a `delete` action completed), non-zero on a
//!   fatal error; SIGTERM ends it at any time.
//!
//! stderr goes to `<tempdir>/driver.stderr` (printed on panic).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::netns::Netns;
use crate::{proc_lifetime_secs, release_tempdir, signal, tail, tempdir};

/// `"role"` of the driver config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DriverRole {
    Initiator,
    Responder,
}

/// `"auth"`: `{"psk": "..."}` or `{"cert": PATH, "key": PATH, "ca": PATH}`
/// (cert/ca PEM, key PKCS#8 PEM), or `{"ca": PATH}`: no credential of our own (an
/// initiator that signs in with [`DriverConfig::eap`] only), the peer's certificate must
/// chain to `ca`.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum DriverAuth {
    Psk {
        psk: String,
    },
    Cert {
        cert: PathBuf,
        key: PathBuf,
        ca: PathBuf,
    },
    Ca {
        ca: PathBuf,
    },
}

/// `"eap"` (initiator): sign in with EAP. With `"auth": {"ca": ..}` EAP is the only round;
/// with a PSK or certificate `auth` that is the first round and EAP the second (RFC 4739).
///
/// The driver answers the session's prompts with `answers`, in order, and prints
/// `EVENT prompt n=<1-based> kind=<password|otp|push|fido2|pin> method=<mschapv2|gtc|..>
/// answered=<yes|no|wait> text=<gateway text or ->` for each (never the answer); once the
/// answers are used up it cancels (`answered=no`); push prompts need no answer (`wait`). `EVENT prompt_closed` follows when
/// the session closes the prompt. An EAP failure prints `EVENT eap_failed kind=<PeerFailure
/// variant> reason=<token or -> method=<method or -> text=<Display>` before `EVENT closed`.
#[derive(Debug, Clone, Serialize)]
pub struct DriverEap {
    /// EAP identity (EAP-Response/Identity, MSCHAPv2 user name; the IDi of a second round).
    pub identity: String,
    /// Answers to the prompts, in order (password, one-time code, ...).
    pub answers: Vec<String>,
    /// Offer EAP-only authentication (RFC 5998).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub eap_only: bool,
    /// Accept EAP-MD5.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allow_md5: bool,
    /// EAP-TLS: the client certificate and the CAs for the gateway's TLS certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<DriverEapTls>,
}

impl DriverEap {
    pub fn new(identity: &str, answers: &[&str]) -> DriverEap {
        DriverEap {
            identity: identity.into(),
            answers: answers.iter().map(|a| a.to_string()).collect(),
            eap_only: false,
            allow_md5: false,
            tls: None,
        }
    }

    /// EAP-TLS as `identity` with `tls` (no prompts, so no answers).
    pub fn tls(identity: &str, tls: DriverEapTls) -> DriverEap {
        DriverEap {
            tls: Some(tls),
            ..DriverEap::new(identity, &[])
        }
    }
}

/// The TLS versions of an EAP-TLS side (`"versions"`: `all`, `1.2`, `1.3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum DriverTlsVersions {
    /// TLS 1.3 preferred, 1.2 accepted (Ibex's default).
    #[default]
    #[serde(rename = "all")]
    All,
    #[serde(rename = "1.2")]
    Tls12,
    #[serde(rename = "1.3")]
    Tls13,
}

/// `"eap": {"tls": ..}` (initiator): `cert` (PEM chain, leaf first), `key` (PKCS#8 PEM),
/// `ca` (PEM, the CAs the gateway's TLS certificate must chain to). The gateway's TLS
/// certificate must name `server_name` (default: the driver's `remote_id`). The driver
/// checks the credential before it starts (`EVENT error EAP-TLS client: ...`).
#[derive(Debug, Clone, Serialize)]
pub struct DriverEapTls {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    pub versions: DriverTlsVersions,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_fragment: Option<usize>,
}

impl DriverEapTls {
    pub fn new(cert: &Path, key: &Path, ca: &Path, versions: DriverTlsVersions) -> DriverEapTls {
        DriverEapTls {
            cert: cert.into(),
            key: key.into(),
            ca: ca.into(),
            server_name: None,
            versions,
            max_fragment: None,
        }
    }
}

/// `"eap_server": {"tls": ..}` (responder): the gateway's EAP-TLS certificate (`cert`
/// PEM chain, `key` PKCS#8 PEM) and `client_ca` (PEM): client certificates must chain to
/// it and name the user (SAN email/DNS or CN = the IDi of the EAP round).
#[derive(Debug, Clone, Serialize)]
pub struct DriverEapTlsServer {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: PathBuf,
    pub versions: DriverTlsVersions,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_fragment: Option<usize>,
}

/// One user of [`DriverEapServer::users`]: the driver computes the NT hash of
/// `password` (MSCHAPv2) and accepts each of `otp` once (GTC one-time codes).
#[derive(Debug, Clone, Serialize)]
pub struct DriverEapUser {
    pub name: String,
    pub password: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub otp: Vec<String>,
}

/// `"eap_server"` (responder): the peer `remote_id` must pass these EAP `methods`
/// (`mschapv2`, `gtc-password`, `gtc-otp`, `tls`), checked against `users`
/// (`ibex_e2e::eap_directory::UserTable`; the user name is the peer's IDi) and, for
/// `tls`, against [`DriverEapServer::tls`] (no user entry needed). With
/// `after_auth` the peer first authenticates as `auth` says (PSK or certificate), then
/// with EAP (RFC 4739). Every failed verification (also a rejected client certificate)
/// prints `EVENT eap_directory_failure user=<name> count=<n>`.
#[derive(Debug, Clone, Serialize)]
pub struct DriverEapServer {
    pub methods: Vec<String>,
    pub users: Vec<DriverEapUser>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub after_auth: bool,
    /// Leave out the gateway's AUTH when the peer offers EAP-only and every
    /// method is safe (EAP-TLS), RFC 5998.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub eap_only: bool,
    /// Required when `methods` has `tls`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<DriverEapTlsServer>,
}

/// One entry of `"actions"`: `{"after_ms": N, "do": "rekey-ike"|"rekey-child"|"delete"}`,
/// relative to IKE SA establishment.
#[derive(Debug, Clone, Serialize)]
pub struct DriverAction {
    pub after_ms: u64,
    #[serde(rename = "do")]
    pub action: String,
}

impl DriverAction {
    pub fn new(after_ms: u64, action: &str) -> Self {
        DriverAction {
            after_ms,
            action: action.into(),
        }
    }
}

/// The JSON config file given to `ibex-ike-driver`.
#[derive(Debug, Clone, Serialize)]
pub struct DriverConfig {
    pub role: DriverRole,
    pub local: String,
    pub remote: String,
    pub ike_proposals: Vec<String>,
    pub esp_proposals: Vec<String>,
    pub local_id: String,
    pub remote_id: String,
    pub auth: DriverAuth,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_ts: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_ts: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_vip: Option<bool>,
    pub actions: Vec<DriverAction>,
    pub exit_after_ms: u64,
    /// Initiator: sign in with EAP ([`DriverEap`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eap: Option<DriverEap>,
    /// Responder: the peer signs in with EAP ([`DriverEapServer`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eap_server: Option<DriverEapServer>,
}

/// One parsed `EVENT` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `ike_up`, `child_up`, ...
    pub kind: String,
    /// `key=value` tokens after the kind.
    pub fields: HashMap<String, String>,
    /// Everything after the kind (for `error <text>` / `closed reason=...`).
    pub rest: String,
    /// The whole line.
    pub raw: String,
}

impl Event {
    /// Parse `EVENT <kind> k=v ...`; `None` for other lines.
    pub fn parse(line: &str) -> Option<Event> {
        let body = line.trim_end().strip_prefix("EVENT ")?;
        let (kind, rest) = body.split_once(' ').unwrap_or((body, ""));
        let fields = rest
            .split_whitespace()
            .filter_map(|t| t.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Some(Event {
            kind: kind.to_string(),
            fields,
            rest: rest.to_string(),
            raw: line.trim_end().to_string(),
        })
    }

    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }
}

/// Does a driver `suite=` value name the strongSwan proposal `expected`?
/// Compared as strongSwan would read them: case-insensitive, algorithm order ignored,
/// `esn`/`noesn` ignored, and an omitted PRF is the one implied by the integrity
/// algorithm (`aes256-sha256-modp3072` == `aes256-sha256-prfsha256-modp3072`).
pub fn suite_matches(got: &str, expected: &str) -> bool {
    fn norm(s: &str) -> Vec<String> {
        let mut t: Vec<String> = s
            .trim()
            .to_ascii_lowercase()
            .split('-')
            .filter(|x| !x.is_empty() && *x != "esn" && *x != "noesn")
            .map(String::from)
            .collect();
        if !t.iter().any(|x| x.starts_with("prf")) {
            let implied: Vec<String> = t
                .iter()
                .filter(|x| {
                    matches!(
                        x.as_str(),
                        "md5" | "sha1" | "sha256" | "sha384" | "sha512" | "aesxcbc" | "aescmac"
                    )
                })
                .map(|x| format!("prf{x}"))
                .collect();
            t.extend(implied);
        }
        t.sort();
        t
    }
    norm(got) == norm(expected)
}

/// The gateway text of a `prompt` event (everything after `text=`; `None` for `-`).
pub fn prompt_text(e: &Event) -> Option<&str> {
    let raw = e.raw.split_once(" text=").map(|(_, t)| t)?;
    (raw != "-").then_some(raw)
}

/// Normalise an SPI as printed by the driver (`0x...` or bare hex) to the zero-padded
/// lower-case hex charon prints (8 digits for ESP, 16 for IKE).
pub fn norm_spi(s: &str, width: usize) -> String {
    let h = s
        .trim()
        .trim_start_matches("0x")
        .trim_start_matches("0X")
        .to_ascii_lowercase();
    format!("{h:0>width$}")
}

#[derive(Default)]
struct Shared {
    lines: Vec<String>,
    eof: bool,
}

/// A running driver. `Drop` kills it (SIGTERM, then SIGKILL) and removes its temp dir.
pub struct Driver {
    ns_name: String,
    child: Option<Child>,
    shared: Arc<(Mutex<Shared>, Condvar)>,
    dir: Option<tempfile::TempDir>,
    root: PathBuf,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("ns", &self.ns_name)
            .field("dir", &self.root)
            .finish()
    }
}

impl Driver {
    /// Write `cfg` to `<tempdir>/driver.json` and run `bin` with it inside `ns`
    /// (under `timeout`, so it can never outlive the harness by long).
    pub fn spawn(bin: &Path, ns: &Netns, cfg: &DriverConfig) -> Driver {
        Self::try_spawn(bin, ns, cfg).unwrap_or_else(|e| panic!("spawning ibex driver: {e}"))
    }

    pub fn try_spawn(bin: &Path, ns: &Netns, cfg: &DriverConfig) -> Result<Driver, String> {
        Self::try_spawn_with_env(bin, ns, cfg, &[])
    }

    /// [`Driver::spawn`] with extra environment variables for the driver process
    /// (e.g. `IBEX_KEYLOG_DIR`).
    pub fn spawn_with_env(
        bin: &Path,
        ns: &Netns,
        cfg: &DriverConfig,
        env: &[(&str, &std::ffi::OsStr)],
    ) -> Driver {
        Self::try_spawn_with_env(bin, ns, cfg, env)
            .unwrap_or_else(|e| panic!("spawning ibex driver: {e}"))
    }

    /// [`Driver::try_spawn`] with extra environment variables for the driver process.
    pub fn try_spawn_with_env(
        bin: &Path,
        ns: &Netns,
        cfg: &DriverConfig,
        env: &[(&str, &std::ffi::OsStr)],
    ) -> Result<Driver, String> {
        if !bin.is_file() {
            return Err(format!("driver binary {} does not exist", bin.display()));
        }
        let dir = tempdir("driver").map_err(|e| format!("temp dir: {e}"))?;
        let root = dir.path().to_path_buf();
        let cfg_path = root.join("driver.json");
        let json = serde_json::to_string_pretty(cfg).map_err(|e| e.to_string())?;
        std::fs::write(&cfg_path, json).map_err(|e| format!("write config: {e}"))?;
        let stderr =
            std::fs::File::create(root.join("driver.stderr")).map_err(|e| e.to_string())?;
        let lifetime = proc_lifetime_secs().to_string();
        let bin_s = bin.to_string_lossy();
        let cfg_s = cfg_path.to_string_lossy();
        let mut child = ns
            .command(&["timeout", "-k", "5", &lifetime, &bin_s, &cfg_s])
            .env("RUST_BACKTRACE", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let shared: Arc<(Mutex<Shared>, Condvar)> = Arc::default();
        let sh = Arc::clone(&shared);
        let log_path = root.join("driver.stdout");
        std::thread::spawn(move || {
            let mut log = std::fs::File::create(log_path).ok();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(f) = log.as_mut() {
                    use std::io::Write;
                    let _ = writeln!(f, "{line}");
                }
                let (m, cv) = &*sh;
                m.lock().unwrap().lines.push(line);
                cv.notify_all();
            }
            let (m, cv) = &*sh;
            m.lock().unwrap().eof = true;
            cv.notify_all();
        });
        Ok(Driver {
            ns_name: ns.name().to_string(),
            child: Some(child),
            shared,
            dir: Some(dir),
            root,
        })
    }

    /// The driver's temp dir (`driver.json`, `driver.stdout`, `driver.stderr`).
    pub fn dir(&self) -> &Path {
        &self.root
    }

    /// All stdout lines so far.
    pub fn lines(&self) -> Vec<String> {
        self.shared.0.lock().unwrap().lines.clone()
    }

    /// All `EVENT` lines so far, parsed.
    pub fn events(&self) -> Vec<Event> {
        self.lines()
            .iter()
            .filter_map(|l| Event::parse(l))
            .collect()
    }

    /// Wait for the first event whose kind starts with `prefix` (e.g. `"ike_up"`).
    pub fn wait_event(&self, prefix: &str, timeout: Duration) -> Result<Event, String> {
        self.wait_event_nth(prefix, 1, timeout)
    }

    /// Wait for the `n`-th (1-based) event whose kind starts with `prefix`.
    /// Fails early if the driver's stdout closes (it exited) before that.
    pub fn wait_event_nth(
        &self,
        prefix: &str,
        n: usize,
        timeout: Duration,
    ) -> Result<Event, String> {
        let deadline = Instant::now() + timeout;
        let (m, cv) = &*self.shared;
        let mut g = m.lock().unwrap();
        loop {
            let found = g
                .lines
                .iter()
                .filter_map(|l| Event::parse(l))
                .filter(|e| e.kind.starts_with(prefix))
                .nth(n - 1);
            if let Some(e) = found {
                return Ok(e);
            }
            let now = Instant::now();
            if g.eof || now >= deadline {
                let why = if g.eof { "driver exited" } else { "timed out" };
                let out = g.lines.join("\n");
                drop(g);
                return Err(format!(
                    "no EVENT {prefix} (#{n}) from driver: {why} after {:?}\n--- driver stdout ---\n{out}\n--- driver stderr (tail) ---\n{}",
                    timeout.saturating_sub(deadline.saturating_duration_since(now)),
                    tail(&self.root.join("driver.stderr"), 40)
                ));
            }
            g = cv.wait_timeout(g, deadline - now).unwrap().0;
        }
    }

    /// Wait (bounded) for the driver to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus, String> {
        let child = self.child.as_mut().ok_or("driver already reaped")?;
        let deadline = Instant::now() + timeout;
        loop {
            match child.try_wait() {
                Ok(Some(st)) => return Ok(st),
                Ok(None) if Instant::now() >= deadline => {
                    return Err(format!("driver still running after {timeout:?}"))
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    /// Has the driver exited already? (Its status, if so.)
    pub fn try_exit_status(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// stderr so far (tail).
    pub fn stderr_tail(&self, n: usize) -> String {
        tail(&self.root.join("driver.stderr"), n)
    }

    /// SIGTERM, up to 3 s grace, SIGKILL. Idempotent.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        // `timeout` forwards SIGTERM to the driver
        signal(child.id(), libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        // the driver itself may survive its `timeout` parent: the netns guard kills
        // whatever is left in the namespace
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "---- ibex driver (netns {}) {} ----\nstdout:\n{}\nstderr (tail):\n{}\n---- end driver ----",
                self.ns_name,
                self.root.display(),
                self.lines().join("\n"),
                tail(&self.root.join("driver.stderr"), 60)
            );
        }
        self.stop();
        if let Some(d) = self.dir.take() {
            release_tempdir(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_events() {
        let e = Event::parse("EVENT child_up spi_in=c1 spi_out=0xc2 suite=aes256gcm16 ts_local=10.99.10.1/32 ts_remote=10.99.0.0/24 vip=10.99.10.1").unwrap();
        assert_eq!(e.kind, "child_up");
        assert_eq!(e.field("vip"), Some("10.99.10.1"));
        assert_eq!(norm_spi(e.field("spi_out").unwrap(), 8), "000000c2");
        let e = Event::parse("EVENT error no proposal chosen").unwrap();
        assert_eq!(
            (e.kind.as_str(), e.rest.as_str()),
            ("error", "no proposal chosen")
        );
        assert!(Event::parse("INFO hello").is_none());
        assert!(suite_matches("AES256GCM16-noesn", "aes256gcm16"));
        assert!(!suite_matches("aes128gcm16", "aes256gcm16"));
        assert!(suite_matches(
            "aes256-sha256-prfsha256-modp3072",
            "aes256-sha256-modp3072"
        ));
        assert!(suite_matches("aes256-sha256", "AES256-SHA256"));
        assert!(!suite_matches(
            "aes256-sha256-prfsha384-modp3072",
            "aes256-sha256-modp3072"
        ));
        assert!(!suite_matches(
            "aes256gcm16-prfsha384-ecp384",
            "aes256gcm16-prfsha256-ecp384"
        ));
    }

    #[test]
    fn config_json_shape() {
        let cfg = DriverConfig {
            role: DriverRole::Initiator,
            local: "192.0.2.2".into(),
            remote: "192.0.2.1".into(),
            ike_proposals: vec!["aes256gcm16-prfsha384-ecp384".into()],
            esp_proposals: vec!["aes256gcm16".into()],
            local_id: "client.ibex.test".into(),
            remote_id: "gw.ibex.test".into(),
            auth: DriverAuth::Psk { psk: "s".into() },
            pool: None,
            local_ts: None,
            remote_ts: Some(vec!["10.99.0.0/24".into()]),
            request_vip: Some(true),
            actions: vec![DriverAction::new(1000, "rekey-ike")],
            exit_after_ms: 8000,
            eap: None,
            eap_server: None,
        };
        let v: serde_json::Value = serde_json::to_value(&cfg).unwrap();
        assert_eq!(v["role"], "initiator");
        assert_eq!(v["auth"]["psk"], "s");
        assert_eq!(v["actions"][0]["do"], "rekey-ike");
        assert!(v.get("pool").is_none());
        let c = serde_json::to_value(DriverAuth::Cert {
            cert: "/c.pem".into(),
            key: "/k.pem".into(),
            ca: "/ca.pem".into(),
        })
        .unwrap();
        assert_eq!(c["key"], "/k.pem");
        assert!(v.get("eap").is_none() && v.get("eap_server").is_none());
        let e = serde_json::to_value(DriverEap::new("carol", &["pw"])).unwrap();
        assert_eq!(e["identity"], "carol");
        assert_eq!(e["answers"][0], "pw");
        assert!(e.get("eap_only").is_none());
        let ca = serde_json::to_value(DriverAuth::Ca {
            ca: "/ca.pem".into(),
        })
        .unwrap();
        assert_eq!(ca, serde_json::json!({"ca": "/ca.pem"}));
        let srv = serde_json::to_value(DriverEapServer {
            eap_only: false,
            methods: vec!["mschapv2".into()],
            users: vec![DriverEapUser {
                name: "carol".into(),
                password: "pw".into(),
                otp: vec![],
            }],
            after_auth: false,
            tls: None,
        })
        .unwrap();
        assert_eq!(srv["users"][0]["name"], "carol");
        assert!(srv["users"][0].get("otp").is_none());
        assert!(srv.get("tls").is_none() && e.get("tls").is_none());
        let t = serde_json::to_value(DriverEap::tls(
            "client.ibex.test",
            DriverEapTls::new(
                Path::new("/c.pem"),
                Path::new("/k.pem"),
                Path::new("/ca.pem"),
                DriverTlsVersions::Tls12,
            ),
        ))
        .unwrap();
        assert_eq!(t["tls"]["versions"], "1.2");
        assert_eq!(t["tls"]["ca"], "/ca.pem");
        assert!(t["answers"].as_array().unwrap().is_empty());
        assert!(t["tls"].get("server_name").is_none());
        let st = serde_json::to_value(DriverEapTlsServer {
            cert: "/gw.pem".into(),
            key: "/gw.key".into(),
            client_ca: "/ca.pem".into(),
            versions: DriverTlsVersions::All,
            max_fragment: None,
        })
        .unwrap();
        assert_eq!(st["versions"], "all");
        assert_eq!(st["client_ca"], "/ca.pem");
    }

    #[test]
    fn parses_prompt_events() {
        let e =
            Event::parse("EVENT prompt n=1 kind=otp method=gtc answered=yes text=OTP: ").unwrap();
        assert_eq!(e.field("kind"), Some("otp"));
        assert_eq!(prompt_text(&e), Some("OTP:"));
        let e = Event::parse("EVENT prompt n=1 kind=password method=mschapv2 answered=yes text=-")
            .unwrap();
        assert_eq!(prompt_text(&e), None);
    }
}
