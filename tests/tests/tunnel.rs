//! Tunnel end-to-end tests in the four-node lab (client, NAT router, gateway,
//! LAN host): real TUN devices, real ESP, real strongSwan.

use std::path::Path;
use std::time::Duration;

use ibex_e2e::bins::workspace_bin;
use ibex_e2e::lab::{Lab, LAN_HOST};
use ibex_e2e::prereq::{require, Prereq};
use ibex_e2e::strongswan::{Auth, Charon, CharonConf, Role};
use ibex_e2e::{tempdir, wait_until};

const PSK: &str = "tunnel-test-psk-0123456789abcdef";
const GW_ID: &str = "gw.ibex.test";
const CLIENT_ID: &str = "client.ibex.test";

/// Writes an ibex-responder config for PSK users into `dir`.
fn responder_config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("responder.json");
    let text = format!(
        r#"{{"version": 1, "listen": "192.0.2.1", "id": "{GW_ID}", "auth": {{"method": "psk"}},
  "users": [{{"id": "{CLIENT_ID}", "psk": "{PSK}"}}],
  "pool": "10.99.10.0/24", "dns": ["10.99.0.53"], "subnets": ["10.99.0.0/24"],
  "tun": {{"name": "ibexgw0", "mtu": 1400}}}}"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Starts ibex-responder in the gateway namespace and waits for UDP 500.
fn start_responder(lab: &Lab, dir: &Path) -> std::process::Child {
    let config = responder_config(dir);
    let log = std::fs::File::create(dir.join("responder.log")).unwrap();
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
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("spawn ibex-responder");
    assert!(
        lab.gw.wait_udp_port(500, Duration::from_secs(10)),
        "ibex-responder did not bind UDP 500:\n{}",
        std::fs::read_to_string(dir.join("responder.log")).unwrap_or_default()
    );
    child
}

#[test]
fn strongswan_client_through_ibex_responder() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun, Prereq::StrongSwan]) {
        return;
    }
    for nat in [true, false] {
        let lab = Lab::new(nat);
        let dir = tempdir("ibx-tunnel-").unwrap();
        let mut responder = start_responder(&lab, dir.path());
        let mut conf = CharonConf::new(
            if nat { "198.51.100.2" } else { "192.0.2.2" },
            "192.0.2.1",
            CLIENT_ID,
            GW_ID,
            Auth::Psk(PSK.into()),
        );
        conf.vips = Some("0.0.0.0".into());
        conf.remote_ts = Some("10.99.0.0/24".into());
        let charon = Charon::start(&lab.client, Role::Initiator, &conf);
        charon.initiate("net").unwrap_or_else(|e| {
            panic!(
                "swanctl --initiate: {e}\nresponder log:\n{}",
                std::fs::read_to_string(dir.path().join("responder.log")).unwrap_or_default()
            )
        });
        charon
            .wait_log(r"CHILD_SA \S+ established", Duration::from_secs(20))
            .unwrap_or_else(|e| {
                panic!(
                    "{e}\nresponder log:\n{}",
                    std::fs::read_to_string(dir.path().join("responder.log")).unwrap_or_default()
                )
            });
        let pinged = wait_until(Duration::from_secs(10), Duration::from_millis(200), || {
            lab.client.ping(LAN_HOST, 1)
        });
        if !pinged && std::env::var_os("IBEX_E2E_PAUSE").is_some() {
            eprintln!("PAUSED: client {} gw {}", lab.client.name(), lab.gw.name());
            std::thread::sleep(Duration::from_secs(90));
        }
        let log = std::fs::read_to_string(dir.path().join("responder.log")).unwrap_or_default();
        assert!(
            pinged,
            "ping {LAN_HOST} through the tunnel failed (nat={nat})\nresponder log:\n{log}"
        );
        if nat {
            assert!(
                charon
                    .wait_log("local host is behind NAT", Duration::from_secs(1))
                    .is_ok(),
                "strongSwan saw the NAT"
            );
        }
        drop(charon);
        let _ = responder.kill();
        let _ = responder.wait();
    }
}

/// A resolv.conf that `ip netns exec` bind-mounts over /etc/resolv.conf in
/// the namespace (so the test never touches the machine's own), removed on drop.
struct NetnsResolvConf {
    dir: std::path::PathBuf,
}

impl NetnsResolvConf {
    fn new(ns: &str, content: &str) -> NetnsResolvConf {
        let dir = Path::new("/etc/netns").join(ns);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("resolv.conf"), content).unwrap();
        NetnsResolvConf { dir }
    }

    fn read(&self) -> String {
        std::fs::read_to_string(self.dir.join("resolv.conf")).unwrap_or_default()
    }
}

impl Drop for NetnsResolvConf {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const ORIGINAL_RESOLV: &str = "# the client's own resolver\nnameserver 192.0.2.53\noptions edns0\n";

fn profile_json(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("profile.json");
    let text = format!(
        r#"{{"version": 1, "uuid": "2f1e7c52-4a0b-4c53-9d8e-0b6a3e1f7a10", "name": "lab",
  "gateway": {{"host": "192.0.2.1", "port": 500}}, "local_id": "{CLIENT_ID}", "remote_id": "{GW_ID}",
  "auth": {{"method": "psk"}}, "routes": {{"mode": "full"}},
  "dns": {{"use_gateway": true, "servers": [], "search": []}}}}"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

struct Daemon {
    child: std::process::Child,
    socket: std::path::PathBuf,
    log: std::path::PathBuf,
}

impl Daemon {
    fn start(lab: &Lab, dir: &Path, tag: &str) -> Daemon {
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
            .stdout(f.try_clone().unwrap())
            .stderr(f)
            .spawn()
            .expect("spawn ibexd");
        assert!(
            wait_until(Duration::from_secs(10), Duration::from_millis(50), || {
                socket.exists()
            }),
            "ibexd did not create its socket"
        );
        Daemon { child, socket, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the `ibex` CLI in the client namespace with `stdin` as input.
fn ibex(lab: &Lab, d: &Daemon, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let bin = workspace_bin("ibex");
    let mut full = vec![
        bin.to_str().unwrap(),
        "--socket",
        d.socket.to_str().unwrap(),
    ];
    full.extend_from_slice(args);
    let mut child = lab
        .client
        .command(&["timeout", "40", full[0]])
        .args(&full[1..])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn ibex");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The client's routes, addresses and links: what a connection must leave as it found them.
fn system_state(lab: &Lab) -> String {
    let mut s = String::new();
    for args in [
        &["ip", "-4", "route", "show", "table", "all"][..],
        &["ip", "-6", "route", "show", "table", "all"],
        &["ip", "-br", "addr"],
        &["ip", "-br", "link"],
    ] {
        s.push_str(&lab.client.run_ok(args).unwrap_or_default());
    }
    s
}

#[test]
fn ibex_client_through_ibex_responder() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun]) {
        return;
    }
    let lab = Lab::new(true);
    let dir = tempdir("ibx-client-").unwrap();
    let resolv = NetnsResolvConf::new(lab.client.name(), ORIGINAL_RESOLV);
    let mut responder = start_responder(&lab, dir.path());
    let daemon = Daemon::start(&lab, dir.path(), "1");
    let before = system_state(&lab);
    let profile = profile_json(dir.path());
    let profile = profile.to_str().unwrap();

    // A wrong pre-shared key: a clear error, nothing changed.
    let out = ibex(
        &lab,
        &daemon,
        &["connect", profile],
        "not-the-right-key-at-all\n",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "wrong PSK must fail");
    assert!(
        err.contains("authentication failed"),
        "clear reason: {err}\n{}",
        daemon.log()
    );
    assert_eq!(
        system_state(&lab),
        before,
        "nothing left behind after a failed sign-in"
    );
    assert_eq!(resolv.read(), ORIGINAL_RESOLV);

    // The right key: connected, traffic flows, status is right.
    let out = ibex(&lab, &daemon, &["connect", profile], &format!("{PSK}\n"));
    assert!(
        out.status.success(),
        "connect failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        daemon.log()
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("connected"));
    assert!(
        wait_until(Duration::from_secs(10), Duration::from_millis(200), || lab
            .client
            .ping(LAN_HOST, 1)),
        "ping through the tunnel\n{}",
        daemon.log()
    );
    assert!(
        resolv.read().contains("10.99.0.53"),
        "the gateway's DNS is applied: {}",
        resolv.read()
    );
    let out = ibex(&lab, &daemon, &["status", "--json"], "");
    let status: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("status --json is JSON");
    assert_eq!(status["state"], "connected");
    assert!(
        status["virtual_ips"][0]
            .as_str()
            .unwrap()
            .starts_with("10.99.10."),
        "{status}"
    );
    assert_eq!(status["nat_detected"], true, "{status}");
    assert_eq!(status["mobike"], true);
    assert!(status["esp_suite"].is_string() && status["ike_suite"].is_string());
    assert!(
        status["packets_in"].as_u64().unwrap() > 0 && status["bytes_out"].as_u64().unwrap() > 0,
        "{status}"
    );
    assert_eq!(status["dns"][0], "10.99.0.53");

    // Disconnect: routes and DNS restored byte for byte.
    let out = ibex(&lab, &daemon, &["disconnect"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        wait_until(
            Duration::from_secs(5),
            Duration::from_millis(100),
            || system_state(&lab) == before
        ),
        "routes restored:\nbefore:\n{before}\nafter:\n{}",
        system_state(&lab)
    );
    assert_eq!(resolv.read(), ORIGINAL_RESOLV, "DNS restored byte for byte");
    assert!(!lab.client.ping(LAN_HOST, 1), "no tunnel, no LAN");

    // A daemon killed hard leaves nothing behind once restarted.
    let out = ibex(&lab, &daemon, &["connect", profile], &format!("{PSK}\n"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(system_state(&lab), before);
    drop(daemon); // SIGKILL
    let daemon = Daemon::start(&lab, dir.path(), "2");
    assert!(
        wait_until(
            Duration::from_secs(5),
            Duration::from_millis(100),
            || system_state(&lab) == before
        ),
        "leftovers cleaned at restart:\n{}",
        daemon.log()
    );
    assert_eq!(resolv.read(), ORIGINAL_RESOLV);
    drop(daemon);
    let _ = responder.kill();
    let _ = responder.wait();
}
