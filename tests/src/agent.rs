//! Ibex's own programs in the tunnel lab ([`crate::lab`]): `ibexd` and the
//! `ibex` CLI in the client namespace, `ibex-responder` in the gateway
//! namespace, their configurations, and what the client's system looks like
//! (so a test can prove a disconnect restored it).
//!
//! Every process is killed on drop; [`NetnsResolvConf`] removes its file.

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::Duration;

use crate::bins::workspace_bin;
use crate::lab::Lab;
use crate::pki::{CLIENT_ID, GW_ID};
use crate::wait_until;

/// The pre-shared key of the lab's PSK user.
pub const LAB_PSK: &str = "tunnel-test-psk-0123456789abcdef";

/// The client's resolv.conf before any tunnel.
pub const ORIGINAL_RESOLV: &str =
    "# the client's own resolver\nnameserver 192.0.2.53\noptions edns0\n";

/// How ibex-responder authenticates itself and its user.
#[derive(Debug, Clone)]
pub enum ResponderAuth {
    /// PSK both ways, user `client.ibex.test` with [`LAB_PSK`].
    Psk,
    /// The gateway's certificate and PKCS#8 key; the user's certificate
    /// must chain to `ca`.
    Certificate {
        /// Gateway certificate, PEM file.
        cert: PathBuf,
        /// Gateway key, PKCS#8 PEM file.
        key: PathBuf,
        /// CA of the user's certificate, PEM file.
        ca: PathBuf,
    },
    /// Anything else: the config's `auth`, `users` and `mfa` objects as given.
    Custom {
        /// The gateway's `auth`.
        auth: serde_json::Value,
        /// The `users` array.
        users: serde_json::Value,
        /// The `mfa` object.
        mfa: serde_json::Value,
    },
}

/// Writes an ibex-responder config into `dir` (gateway 192.0.2.1, pool
/// 10.99.10.0/24, LAN 10.99.0.0/24, DNS 10.99.0.53).
pub fn responder_config(dir: &Path, auth: &ResponderAuth) -> PathBuf {
    let path = dir.join("responder.json");
    let (gw_auth, users, mfa) = match auth {
        ResponderAuth::Psk => (
            serde_json::json!({"method": "psk"}),
            serde_json::json!([{"id": CLIENT_ID, "psk": LAB_PSK}]),
            serde_json::json!({}),
        ),
        ResponderAuth::Certificate { cert, key, ca } => (
            serde_json::json!({"certificate": cert, "key": key}),
            serde_json::json!([{"id": CLIENT_ID, "ca": ca}]),
            serde_json::json!({}),
        ),
        ResponderAuth::Custom { auth, users, mfa } => (auth.clone(), users.clone(), mfa.clone()),
    };
    let config = serde_json::json!({
        "version": 1, "listen": "192.0.2.1", "id": GW_ID, "auth": gw_auth,
        "users": users, "mfa": mfa,
        "pool": "10.99.10.0/24", "dns": ["10.99.0.53"], "subnets": ["10.99.0.0/24"],
        "tun": {"name": "ibexgw0", "mtu": 1400},
    });
    std::fs::write(&path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    path
}

/// How the client profile signs in.
#[derive(Debug, Clone)]
pub enum ProfileAuth<'a> {
    /// Pre-shared key, asked for by the daemon.
    Psk,
    /// A certificate: `certificate` and `key` as the profile spells them
    /// (paths, `~/` allowed, or PEM text for `certificate`); the gateway's
    /// certificate must chain to `ca_pem` (PEM text).
    Certificate {
        /// The profile's `auth.certificate`.
        certificate: &'a str,
        /// The profile's `auth.key`.
        key: &'a str,
        /// The profile's `ca_certificate`.
        ca_pem: &'a str,
    },
    /// EAP rounds (`auth.rounds` methods in order) as `local_id`; the
    /// gateway's certificate must chain to `ca_pem`.
    Eap {
        /// The profile's `local_id`.
        local_id: &'a str,
        /// One method name per round.
        rounds: &'a [&'a str],
        /// The profile's `ca_certificate`.
        ca_pem: &'a str,
    },
}

/// Writes the lab's client profile (gateway 192.0.2.1, identities
/// `client.ibex.test` / `gw.ibex.test`, full tunnel, the gateway's DNS)
/// to `dir/profile.json`.
pub fn write_profile(dir: &Path, auth: &ProfileAuth) -> PathBuf {
    let path = dir.join("profile.json");
    let mut profile = serde_json::json!({
        "version": 1, "uuid": "2f1e7c52-4a0b-4c53-9d8e-0b6a3e1f7a10", "name": "lab",
        "gateway": {"host": "192.0.2.1", "port": 500},
        "local_id": CLIENT_ID, "remote_id": GW_ID,
        "auth": {"method": "psk"}, "routes": {"mode": "full"},
        "dns": {"use_gateway": true, "servers": [], "search": []},
    });
    if let ProfileAuth::Certificate {
        certificate,
        key,
        ca_pem,
    } = auth
    {
        profile["auth"] = serde_json::json!({
            "method": "certificate", "certificate": certificate, "key": key,
        });
        profile["ca_certificate"] = serde_json::json!(ca_pem);
    }
    if let ProfileAuth::Eap {
        local_id,
        rounds,
        ca_pem,
    } = auth
    {
        let rounds: Vec<_> = rounds
            .iter()
            .map(|m| serde_json::json!({ "method": m }))
            .collect();
        profile["auth"] = serde_json::json!({"method": "eap", "rounds": rounds});
        profile["local_id"] = serde_json::json!(local_id);
        profile["ca_certificate"] = serde_json::json!(ca_pem);
    }
    std::fs::write(&path, serde_json::to_string_pretty(&profile).unwrap()).unwrap();
    path
}

/// ibex-responder in the gateway namespace, killed on drop.
pub struct Responder {
    child: Child,
    log: PathBuf,
}

impl Responder {
    /// Starts it with a config for `auth` in `dir` and waits for UDP 500.
    pub fn start(lab: &Lab, dir: &Path, auth: &ResponderAuth) -> Responder {
        let config = responder_config(dir, auth);
        let log = dir.join("responder.log");
        let f = std::fs::File::create(&log).unwrap();
        let child = lab
            .gw
            .command(&[
                workspace_bin("ibex-responder").to_str().unwrap(),
                "--config",
                config.to_str().unwrap(),
                "--state-dir",
                dir.join("gw-state").to_str().unwrap(),
            ])
            .env("IBEX_LOG", "debug")
            .stdout(f.try_clone().unwrap())
            .stderr(f)
            .spawn()
            .expect("spawn ibex-responder");
        let r = Responder { child, log };
        assert!(
            lab.gw.wait_udp_port(500, Duration::from_secs(10)),
            "ibex-responder did not bind UDP 500:\n{}",
            r.log()
        );
        r
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// [`responder_config`] with the top-level members of `extra` (an object,
/// e.g. `{"eap_tls": {...}}`) added or replaced.
pub fn responder_config_with(
    dir: &Path,
    auth: &ResponderAuth,
    extra: serde_json::Value,
) -> PathBuf {
    let path = responder_config(dir, auth);
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    if let (Some(config), Some(extra)) = (config.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            config.insert(k.clone(), v.clone());
        }
    }
    std::fs::write(&path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    path
}

impl Responder {
    /// Kills it hard (SIGKILL: no deletes sent, nothing cleaned up) and
    /// keeps its log as `responder-killed.log`.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::rename(&self.log, self.log.with_file_name("responder-killed.log"));
    }

    /// Sends it a signal (e.g. `"USR1"`, which drains it by redirecting
    /// its clients).
    pub fn signal(&self, sig: &str) {
        crate::run_ok(
            std::process::Command::new("kill")
                .args([&format!("-{sig}"), &self.child.id().to_string()]),
            Duration::from_secs(5),
        )
        .unwrap_or_else(|e| panic!("kill -{sig}: {e}"));
    }

    /// Starts it with the config file `config` (see [`responder_config_with`]),
    /// logging into `dir`, and waits for UDP 500.
    pub fn start_with_config(lab: &Lab, dir: &Path, config: &Path) -> Responder {
        Self::start_in(&lab.gw, dir, config)
    }

    /// [`Responder::start_with_config`] in the namespace `ns`.
    pub fn start_in(ns: &crate::netns::Netns, dir: &Path, config: &Path) -> Responder {
        let log = dir.join("responder.log");
        let f = std::fs::File::create(&log).unwrap();
        let child = ns
            .command(&[
                workspace_bin("ibex-responder").to_str().unwrap(),
                "--config",
                config.to_str().unwrap(),
                "--state-dir",
                dir.join("gw-state").to_str().unwrap(),
            ])
            .env("IBEX_LOG", "debug")
            .stdout(f.try_clone().unwrap())
            .stderr(f)
            .spawn()
            .expect("spawn ibex-responder");
        let r = Responder { child, log };
        assert!(
            ns.wait_udp_port(500, Duration::from_secs(10)),
            "ibex-responder did not bind UDP 500:\n{}",
            r.log()
        );
        r
    }
}

/// A resolv.conf that `ip netns exec` bind-mounts over /etc/resolv.conf in
/// the namespace (so the test never touches the machine's own), removed on drop.
pub struct NetnsResolvConf {
    dir: PathBuf,
}

impl NetnsResolvConf {
    /// Writes `/etc/netns/<ns>/resolv.conf`.
    pub fn new(ns: &str, content: &str) -> NetnsResolvConf {
        let dir = Path::new("/etc/netns").join(ns);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("resolv.conf"), content).unwrap();
        NetnsResolvConf { dir }
    }

    /// Its content now.
    pub fn read(&self) -> String {
        std::fs::read_to_string(self.dir.join("resolv.conf")).unwrap_or_default()
    }
}

impl Drop for NetnsResolvConf {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// ibexd in the client namespace, killed (SIGKILL) on drop.
pub struct Daemon {
    child: Child,
    /// Its IPC socket.
    pub socket: PathBuf,
    log: PathBuf,
    /// The namespace's own resolv.conf, when the test made none: ibexd
    /// must never write the machine's.
    _resolv: Option<NetnsResolvConf>,
}

impl Daemon {
    /// Starts ibexd with its socket and state in `dir`; `tag` names its log.
    /// Its system bus is none (an address that does not exist), so the
    /// machine's logind never reaches a test's daemon.
    pub fn start(lab: &Lab, dir: &Path, tag: &str) -> Daemon {
        let none = format!("unix:path={}", dir.join("no-system-bus").display());
        Self::start_with_bus(lab, dir, tag, &none)
    }

    /// [`Daemon::start`] with `bus` (a D-Bus address) as its system bus.
    pub fn start_with_bus(lab: &Lab, dir: &Path, tag: &str, bus: &str) -> Daemon {
        // `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over
        // /etc/resolv.conf: without one the daemon would change the
        // machine's DNS (and a daemon killed hard would leave it changed).
        let ns_resolv = Path::new("/etc/netns")
            .join(lab.client.name())
            .join("resolv.conf");
        let _resolv =
            (!ns_resolv.exists()).then(|| NetnsResolvConf::new(lab.client.name(), ORIGINAL_RESOLV));
        let socket = dir.join("ibexd.sock");
        let log = dir.join(format!("ibexd-{tag}.log"));
        let f = std::fs::File::create(&log).unwrap();
        let child = lab
            .client
            .command(&[
                workspace_bin("ibexd").to_str().unwrap(),
                "--socket",
                socket.to_str().unwrap(),
                "--state-dir",
                dir.join("state").to_str().unwrap(),
            ])
            .env("IBEX_LOG", "debug")
            .env("DBUS_SYSTEM_BUS_ADDRESS", bus)
            .stdout(f.try_clone().unwrap())
            .stderr(f)
            .spawn()
            .expect("spawn ibexd");
        let d = Daemon {
            child,
            socket,
            log,
            _resolv,
        };
        assert!(
            wait_until(Duration::from_secs(10), Duration::from_millis(50), || {
                d.socket.exists()
            }),
            "ibexd did not create its socket:\n{}",
            d.log()
        );
        d
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Its process id (to stop and continue it, as a sleeping laptop would).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits (bounded) for the daemon to exit.
    pub fn terminate(mut self) -> Option<std::process::ExitStatus> {
        crate::signal(self.child.id(), libc::SIGTERM);
        let end = std::time::Instant::now() + Duration::from_secs(15);
        while std::time::Instant::now() < end {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How to run the `ibex` CLI beyond its arguments.
#[derive(Debug, Default, Clone)]
pub struct CliOptions<'a> {
    /// Extra environment (e.g. `HOME` for `~/` paths in a profile).
    pub env: Vec<(&'a str, &'a str)>,
    /// Run as this uid:gid, without supplementary groups (`setpriv`).
    pub as_user: Option<(u32, u32)>,
}

/// Runs the `ibex` CLI in the client namespace with `stdin` as input
/// (bounded by 40 s).
pub fn ibex(lab: &Lab, d: &Daemon, args: &[&str], stdin: &str) -> Output {
    ibex_with(lab, d, args, stdin, &CliOptions::default())
}

/// [`ibex`] with extra environment or as another user.
pub fn ibex_with(lab: &Lab, d: &Daemon, args: &[&str], stdin: &str, o: &CliOptions) -> Output {
    use std::io::Write;
    let bin = workspace_bin("ibex");
    let mut full: Vec<String> = vec!["timeout".into(), "40".into()];
    if let Some((uid, gid)) = o.as_user {
        full.extend([
            "setpriv".into(),
            format!("--reuid={uid}"),
            format!("--regid={gid}"),
            "--clear-groups".into(),
        ]);
    }
    full.extend([
        bin.to_str().unwrap().into(),
        "--socket".into(),
        d.socket.to_str().unwrap().into(),
    ]);
    full.extend(args.iter().map(|a| a.to_string()));
    let full: Vec<&str> = full.iter().map(String::as_str).collect();
    let mut cmd = lab.client.command(&full);
    for (k, v) in &o.env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ibex");
    // It may exit before reading (a refused profile): ignore EPIPE.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

/// Starts the `ibex` CLI in the client namespace without waiting (stdin
/// fed, then closed; stdout and stderr piped). The caller waits or kills it.
pub fn ibex_spawn(lab: &Lab, d: &Daemon, args: &[&str], stdin: &str) -> Child {
    use std::io::Write;
    let mut child = ibex_spawn_open(lab, d, args);
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child
}

/// [`ibex_spawn`] with stdin left open: the caller writes the answers when
/// it chooses (a person who takes their time) and closes it.
pub fn ibex_spawn_open(lab: &Lab, d: &Daemon, args: &[&str]) -> Child {
    let bin = workspace_bin("ibex");
    let mut full = vec![
        "timeout",
        "120",
        bin.to_str().unwrap(),
        "--socket",
        d.socket.to_str().unwrap(),
    ];
    full.extend(args);
    lab.client
        .command(&full)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ibex")
}

/// The client's routes, addresses and links: what a connection must leave as it found them.
pub fn system_state(lab: &Lab) -> String {
    let mut s = String::new();
    for args in [
        &["ip", "-4", "route", "show", "table", "all"][..],
        &["ip", "-6", "route", "show", "table", "all"],
        &["ip", "-4", "rule", "show"],
        &["ip", "-br", "addr"],
        &["ip", "-br", "link"],
    ] {
        s.push_str(&lab.client.run_ok(args).unwrap_or_default());
    }
    s
}
