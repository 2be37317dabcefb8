//! Tunnel end-to-end tests in the four-node lab (client, NAT router, gateway,
//! LAN host): real TUN devices, real ESP, real strongSwan.

mod diag;
mod eap_tls;
mod fido;
mod gui;
mod gui_diag;
mod gui_prompts;
mod late_answer;
mod mfa;
mod nat_rebinding;
mod package;
mod reauth;
mod redirect;
mod resilience;
mod roaming;

use std::path::Path;
use std::time::Duration;

use ibex_e2e::agent::{
    ibex, ibex_with, system_state, write_profile, CliOptions, Daemon, NetnsResolvConf, ProfileAuth,
    Responder, ResponderAuth, LAB_PSK as PSK, ORIGINAL_RESOLV,
};
use ibex_e2e::lab::{Lab, LAN_HOST};
use ibex_e2e::pki::{KeyKind, PkiSet, TestPki, CLIENT_ID, GW_ID};
use ibex_e2e::prereq::{require, Prereq};
use ibex_e2e::strongswan::{Auth, Charon, CharonConf, Role};
use ibex_e2e::transfer::tcp_transfer;
use ibex_e2e::{tempdir, wait_until};

/// Starts ibex-responder for PSK users in the gateway namespace.
fn start_responder(lab: &Lab, dir: &Path) -> Responder {
    Responder::start(lab, dir, &ResponderAuth::Psk)
}

#[test]
fn strongswan_client_through_ibex_responder() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun, Prereq::StrongSwan]) {
        return;
    }
    for nat in [true, false] {
        let lab = Lab::new(nat);
        let dir = tempdir("ibx-tunnel-").unwrap();
        let responder = start_responder(&lab, dir.path());
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
        drop(responder);
    }
}

#[test]
fn ibex_client_through_ibex_responder() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun, Prereq::Python3]) {
        return;
    }
    let lab = Lab::new(true);
    let dir = tempdir("ibx-client-").unwrap();
    let resolv = NetnsResolvConf::new(lab.client.name(), ORIGINAL_RESOLV);
    let responder = start_responder(&lab, dir.path());
    let daemon = Daemon::start(&lab, dir.path(), "1");
    let before = system_state(&lab);
    let profile = write_profile(dir.path(), &ProfileAuth::Psk);
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
    // 100 MB over TCP to the LAN host, the same SHA-256 on both ends.
    let t = tcp_transfer(
        &lab.client,
        &lab.lan,
        LAN_HOST,
        100_000_000,
        1,
        Duration::from_secs(240),
    )
    .unwrap_or_else(|e| panic!("TCP transfer: {e}\n{}", daemon.log()));
    eprintln!("[throughput] ibex client -> ibex-responder (NAT, PSK): {t}");
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

    // SIGTERM while connected: the daemon deletes the SA and restores everything.
    let out = ibex(&lab, &daemon, &["connect", profile], &format!("{PSK}\n"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log_before = daemon.log();
    let status = daemon.terminate().expect("ibexd exits on SIGTERM");
    assert!(status.success(), "clean exit: {status:?}\n{log_before}");
    assert_eq!(system_state(&lab), before, "SIGTERM restored the routes");
    assert_eq!(resolv.read(), ORIGINAL_RESOLV, "SIGTERM restored DNS");
    assert!(
        wait_until(Duration::from_secs(5), Duration::from_millis(100), || {
            responder.log().contains("deleted the IKE SA")
        }),
        "the gateway was told (IKE Delete):\n{}",
        responder.log()
    );
    drop(responder);
}

/// The client's certificate and key (PKCS#8) in `dir/home` (0755, the
/// key 0600), for profiles that name them as `~/client.pem` and `~/client.key`.
fn client_files(dir: &Path, set: &PkiSet) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::copy(&set.client.cert_pem, home.join("client.pem")).unwrap();
    std::fs::copy(&set.client.key_pk8_pem, home.join("client.key")).unwrap();
    let mode = |p: &Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
    mode(&home.join("client.key"), 0o600).unwrap();
    mode(&home.join("client.pem"), 0o644).unwrap();
    mode(&home, 0o755).unwrap();
    mode(dir, 0o755).unwrap();
    home
}

/// Connects with `profile`, answering prompts with `stdin`; panics with the daemon's log.
fn connect(lab: &Lab, daemon: &Daemon, profile: &str, stdin: &str, o: &CliOptions) {
    let out = ibex_with(lab, daemon, &["connect", profile], stdin, o);
    assert!(
        out.status.success(),
        "connect failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        daemon.log()
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("connected"));
}

/// `ibex status --json`, checked for a connected tunnel with an address from the pool.
fn assert_connected(lab: &Lab, daemon: &Daemon) -> serde_json::Value {
    let out = ibex(lab, daemon, &["status", "--json"], "");
    let status: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("status --json is JSON");
    assert_eq!(status["state"], "connected", "{status}");
    assert!(
        status["virtual_ips"][0]
            .as_str()
            .is_some_and(|a| a.starts_with("10.99.10.")),
        "{status}"
    );
    assert!(status["esp_suite"].is_string() && status["ike_suite"].is_string());
    assert_eq!(status["nat_detected"], true, "{status}");
    status
}

/// Disconnects and waits until the client's routes, addresses and links are `before` again.
fn disconnect_restores(lab: &Lab, daemon: &Daemon, before: &str, resolv: &NetnsResolvConf) {
    let out = ibex(lab, daemon, &["disconnect"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        wait_until(
            Duration::from_secs(5),
            Duration::from_millis(100),
            || system_state(lab) == before
        ),
        "routes restored:\nbefore:\n{before}\nafter:\n{}",
        system_state(lab)
    );
    assert_eq!(resolv.read(), ORIGINAL_RESOLV, "DNS restored byte for byte");
    assert!(!lab.client.ping(LAN_HOST, 1), "no tunnel, no LAN");
    let out = ibex(lab, daemon, &["status", "--json"], "");
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["state"], "disconnected", "{status}");
}

/// Ibex signs in to ibex-responder with RSA and ECDSA certificates: the
/// CLI reads the certificate and key as the user (`~/` paths), the daemon
/// never does; an unreadable key file is a clear error.
#[test]
fn ibex_client_with_certificates_through_ibex_responder() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun, Prereq::Pki]) {
        return;
    }
    let pki = TestPki::generate();
    for kind in [KeyKind::Rsa, KeyKind::Ecdsa] {
        let set = pki.set(kind);
        let lab = Lab::new(true);
        let dir = tempdir("ibx-cert-").unwrap();
        let resolv = NetnsResolvConf::new(lab.client.name(), ORIGINAL_RESOLV);
        let responder = Responder::start(
            &lab,
            dir.path(),
            &ResponderAuth::Certificate {
                cert: set.gw.cert_pem.clone(),
                key: set.gw.key_pk8_pem.clone(),
                ca: set.ca.cert_pem.clone(),
            },
        );
        let daemon = Daemon::start(&lab, dir.path(), kind.name());
        let before = system_state(&lab);
        let home = client_files(dir.path(), set);
        let ca_pem = std::fs::read_to_string(&set.ca.cert_pem).unwrap();
        let profile = write_profile(
            dir.path(),
            &ProfileAuth::Certificate {
                certificate: "~/client.pem",
                key: "~/client.key",
                ca_pem: &ca_pem,
            },
        );
        let profile = profile.to_str().unwrap();
        let as_user = CliOptions {
            env: vec![("HOME", home.to_str().unwrap())],
            as_user: None,
        };

        // The key is the user's to read: someone else gets a clear error.
        let nobody = CliOptions {
            as_user: Some((65534, 65534)),
            ..as_user.clone()
        };
        let out = ibex_with(&lab, &daemon, &["connect", profile], "", &nobody);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            err.contains(&format!(
                "cannot read the key file {}: permission denied",
                home.join("client.key").display()
            )),
            "{err}"
        );
        assert_eq!(system_state(&lab), before);

        // A key that is not the certificate's: refused at once, nothing changed.
        let bad_dir = dir.path().join("mismatch");
        std::fs::create_dir_all(&bad_dir).unwrap();
        let other = pki.set(match kind {
            KeyKind::Rsa => KeyKind::Ecdsa,
            KeyKind::Ecdsa => KeyKind::Rsa,
        });
        let bad = write_profile(
            &bad_dir,
            &ProfileAuth::Certificate {
                certificate: "~/client.pem",
                key: other.client.key_pk8_pem.to_str().unwrap(),
                ca_pem: &ca_pem,
            },
        );
        let out = ibex_with(
            &lab,
            &daemon,
            &["connect", bad.to_str().unwrap()],
            "",
            &as_user,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            err.contains("the private key does not belong to certificate"),
            "{err}"
        );
        assert_eq!(system_state(&lab), before);

        connect(&lab, &daemon, profile, "", &as_user);
        assert!(
            wait_until(Duration::from_secs(10), Duration::from_millis(200), || lab
                .client
                .ping(LAN_HOST, 1)),
            "ping through the tunnel ({})\n{}\n{}",
            kind.name(),
            daemon.log(),
            responder.log()
        );
        assert_connected(&lab, &daemon);
        assert!(
            responder.log().contains("client signed in"),
            "{}",
            responder.log()
        );
        let key = std::fs::read_to_string(home.join("client.key")).unwrap();
        let body = key.lines().nth(1).unwrap();
        assert!(
            !daemon.log().contains(body),
            "the private key never reaches the daemon's log"
        );
        disconnect_restores(&lab, &daemon, &before, &resolv);
        drop(daemon);
        drop(responder);
    }
}

/// strongSwan as the client, ibex-responder with a certificate as the
/// gateway, users verified against their CA (RSA and ECDSA).
#[test]
fn strongswan_client_with_certificates_through_ibex_responder() {
    if !require(&[
        Prereq::Root,
        Prereq::Netns,
        Prereq::Tun,
        Prereq::StrongSwan,
        Prereq::Pki,
        Prereq::Python3,
    ]) {
        return;
    }
    let pki = TestPki::generate();
    for kind in [KeyKind::Rsa, KeyKind::Ecdsa] {
        let set = pki.set(kind);
        let lab = Lab::new(true);
        let dir = tempdir("ibx-swcert-").unwrap();
        let responder = Responder::start(
            &lab,
            dir.path(),
            &ResponderAuth::Certificate {
                cert: set.gw.cert_pem.clone(),
                key: set.gw.key_pk8_pem.clone(),
                ca: set.ca.cert_pem.clone(),
            },
        );
        let mut conf = CharonConf::new(
            "198.51.100.2",
            "192.0.2.1",
            CLIENT_ID,
            GW_ID,
            Auth::Cert {
                cert: set.client.cert_pem.clone(),
                key: set.client.key_pem.clone(),
                ca: set.ca.cert_pem.clone(),
            },
        );
        conf.vips = Some("0.0.0.0".into());
        conf.remote_ts = Some("10.99.0.0/24".into());
        let charon = Charon::start(&lab.client, Role::Initiator, &conf);
        charon
            .initiate("net")
            .unwrap_or_else(|e| panic!("swanctl --initiate: {e}\n{}", responder.log()));
        charon
            .wait_log(r"CHILD_SA \S+ established", Duration::from_secs(20))
            .unwrap_or_else(|e| panic!("{e}\n{}", responder.log()));
        charon
            .wait_log(
                r"authentication of 'gw\.ibex\.test' with (RSA|ECDSA)\S* successful",
                Duration::from_secs(1),
            )
            .unwrap_or_else(|e| panic!("strongSwan verified the gateway's signature: {e}"));
        assert!(
            wait_until(Duration::from_secs(10), Duration::from_millis(200), || lab
                .client
                .ping(LAN_HOST, 1)),
            "ping {LAN_HOST} through the tunnel ({})\n{}",
            kind.name(),
            responder.log()
        );
        assert!(
            responder.log().contains("client signed in"),
            "{}",
            responder.log()
        );
        let t = tcp_transfer(
            &lab.client,
            &lab.lan,
            LAN_HOST,
            20_000_000,
            2,
            Duration::from_secs(120),
        )
        .unwrap_or_else(|e| panic!("TCP transfer: {e}\n{}", responder.log()));
        eprintln!(
            "[throughput] strongSwan client -> ibex-responder ({} certificates): {t}",
            kind.name()
        );
        drop(charon);
        drop(responder);
    }
}

/// Ibex against strongSwan as the gateway (kernel-libipsec) with PSK, RSA
/// and ECDSA certificates: ping and a verified TCP transfer to the LAN,
/// status, and a disconnect that restores the client exactly.
#[test]
fn ibex_client_against_strongswan_gateway() {
    if !require(&[
        Prereq::Root,
        Prereq::Netns,
        Prereq::Tun,
        Prereq::StrongSwan,
        Prereq::Pki,
        Prereq::Python3,
    ]) {
        return;
    }
    let pki = TestPki::generate();
    for kind in [None, Some(KeyKind::Rsa), Some(KeyKind::Ecdsa)] {
        let name = kind.map_or("psk", KeyKind::name);
        let lab = Lab::new(true);
        let dir = tempdir("ibx-swgw-").unwrap();
        let resolv = NetnsResolvConf::new(lab.client.name(), ORIGINAL_RESOLV);
        let auth = match kind {
            None => Auth::Psk(PSK.into()),
            Some(k) => Auth::Cert {
                cert: pki.set(k).gw.cert_pem.clone(),
                key: pki.set(k).gw.key_pem.clone(),
                ca: pki.set(k).ca.cert_pem.clone(),
            },
        };
        // Responder defaults: pool 10.99.10.0/24, local_ts 10.99.0.0/24.
        let conf = CharonConf::new("192.0.2.1", "%any", GW_ID, CLIENT_ID, auth);
        let charon = Charon::start(&lab.gw, Role::Responder, &conf);
        let daemon = Daemon::start(&lab, dir.path(), name);
        let before = system_state(&lab);
        let (profile, stdin, options) = match kind {
            None => (
                write_profile(dir.path(), &ProfileAuth::Psk),
                format!("{PSK}\n"),
                CliOptions::default(),
            ),
            Some(k) => {
                let set = pki.set(k);
                let home = client_files(dir.path(), set);
                let ca_pem = std::fs::read_to_string(&set.ca.cert_pem).unwrap();
                let profile = write_profile(
                    dir.path(),
                    &ProfileAuth::Certificate {
                        certificate: home.join("client.pem").to_str().unwrap(),
                        key: home.join("client.key").to_str().unwrap(),
                        ca_pem: &ca_pem,
                    },
                );
                (profile, String::new(), CliOptions::default())
            }
        };
        connect(&lab, &daemon, profile.to_str().unwrap(), &stdin, &options);
        charon
            .wait_log(r"CHILD_SA \S+ established", Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("{e}\n{}", daemon.log()));
        let method = match kind {
            None => "pre-shared key",
            Some(_) => r"(RSA|ECDSA)\S*",
        };
        charon
            .wait_log(
                &format!(r"authentication of 'client\.ibex\.test' with {method} successful"),
                Duration::from_secs(1),
            )
            .unwrap_or_else(|e| panic!("strongSwan verified Ibex ({name}): {e}"));
        assert!(
            wait_until(Duration::from_secs(10), Duration::from_millis(200), || lab
                .client
                .ping(LAN_HOST, 1)),
            "ping {LAN_HOST} through strongSwan ({name})\n{}",
            daemon.log()
        );
        let status = assert_connected(&lab, &daemon);
        eprintln!(
            "[status] ibex -> strongSwan ({name}): ike {} esp {}",
            status["ike_suite"], status["esp_suite"]
        );
        let t = tcp_transfer(
            &lab.client,
            &lab.lan,
            LAN_HOST,
            20_000_000,
            3,
            Duration::from_secs(120),
        )
        .unwrap_or_else(|e| panic!("TCP transfer ({name}): {e}\n{}", daemon.log()));
        eprintln!("[throughput] ibex client -> strongSwan gateway ({name}): {t}");
        disconnect_restores(&lab, &daemon, &before, &resolv);
        charon
            .wait_log(r"received DELETE for IKE_SA", Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("strongSwan saw the delete: {e}"));
        drop(daemon);
        drop(charon);
    }
}

/// `ibex profiles import/list/show/remove` as a user would run them (no root
/// or daemon needed): stored per user, line-precise errors, replace by uuid.
#[test]
fn cli_profiles_are_stored_per_user() {
    let home = tempdir("ibx-cli-home-").unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(ibex_e2e::bins::workspace_bin("ibex"))
            .args(args)
            .env("HOME", home.path())
            .env_remove("XDG_CONFIG_HOME")
            .output()
            .expect("run ibex")
    };
    let text = |o: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let profile = write_profile(home.path(), &ProfileAuth::Psk);
    let out = run(&["profiles", "import", profile.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let list = run(&["profiles", "list"]);
    assert!(text(&list).contains("192.0.2.1"), "{}", text(&list));
    let stored = home.path().join(".config/ibex/profiles");
    let files: Vec<_> = std::fs::read_dir(&stored).unwrap().collect();
    assert_eq!(
        files.len(),
        1,
        "one file per profile in {}",
        stored.display()
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = files[0]
        .as_ref()
        .unwrap()
        .metadata()
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "profiles are private to the user");
    // Importing the same uuid again replaces it.
    let out = run(&["profiles", "import", profile.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(std::fs::read_dir(&stored).unwrap().count(), 1);
    let name = text(&list).split('\t').next().unwrap().trim().to_string();
    let show = run(&["profiles", "show", &name]);
    assert!(
        show.status.success() && text(&show).contains("\"remote_id\""),
        "{}",
        text(&show)
    );
    // A broken profile: a clear, line-precise error and nothing stored.
    let bad = home.path().join("bad.json");
    let original = std::fs::read_to_string(&profile).unwrap();
    std::fs::write(
        &bad,
        original
            .replacen("\"gateway\"", "\"gatway\"", 1)
            .replace("2f1e7c52", "3f1e7c52"),
    )
    .unwrap();
    let out = run(&["profiles", "import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = text(&out);
    assert!(err.contains("line ") && err.contains("gatway"), "{err}");
    assert_eq!(
        std::fs::read_dir(&stored).unwrap().count(),
        1,
        "nothing half-imported"
    );
    let out = run(&["profiles", "remove", &name]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(std::fs::read_dir(&stored).unwrap().count(), 0);
}
