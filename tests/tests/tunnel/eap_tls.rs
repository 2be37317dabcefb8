//! EAP-TLS end to end: a profile whose EAP round is `tls` with the test
//! PKI's client certificate; `ibex connect` reads the certificate and key as
//! the user and hands them to ibexd, which runs EAP-TLS inside IKE_AUTH
//! against ibex-responder's `eap_tls` settings. A client certificate from
//! another CA is refused with a clear error and nothing left configured.

use std::path::Path;
use std::time::Duration;

use ibex_e2e::agent::{
    ibex, responder_config_with, system_state, write_profile, Daemon, NetnsResolvConf, ProfileAuth,
    Responder, ResponderAuth, ORIGINAL_RESOLV,
};
use ibex_e2e::lab::{Lab, LAN_HOST};
use ibex_e2e::pki::{CertKey, KeyKind, TestPki, CLIENT_ID};
use ibex_e2e::prereq::{require, Prereq};
use ibex_e2e::{tempdir, wait_until};

/// Writes the lab profile with one EAP-TLS round using `client`'s
/// certificate and PKCS#8 key files; the gateway must chain to `ca_pem`.
fn tls_profile(dir: &Path, client: &CertKey, ca_pem: &str) -> String {
    let path = write_profile(
        dir,
        &ProfileAuth::Eap {
            local_id: CLIENT_ID,
            rounds: &["tls"],
            ca_pem,
        },
    );
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    p["auth"]["rounds"][0]["certificate"] = serde_json::json!(client.cert_pem);
    p["auth"]["rounds"][0]["key"] = serde_json::json!(client.key_pk8_pem);
    std::fs::write(&path, p.to_string()).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn eap_tls_client_certificate_through_ibex_responder() {
    if !require(&[Prereq::Root, Prereq::Netns, Prereq::Tun, Prereq::Pki]) {
        return;
    }
    let pki = TestPki::generate();
    let set = pki.set(KeyKind::Ecdsa);
    // The RSA set has its own CA: its client certificate is from "another CA".
    let stranger = &pki.set(KeyKind::Rsa).client;
    let lab = Lab::new(true);
    let dir = tempdir("ibx-eaptls-").unwrap();
    let resolv = NetnsResolvConf::new(lab.client.name(), ORIGINAL_RESOLV);
    let config = responder_config_with(
        dir.path(),
        &ResponderAuth::Custom {
            auth: serde_json::json!({"certificate": set.gw.cert_pem, "key": set.gw.key_pk8_pem}),
            users: serde_json::json!([{"id": CLIENT_ID, "rounds": [["tls"]]}]),
            mfa: serde_json::json!({}),
        },
        serde_json::json!({"eap_tls": {
            "certificate": set.gw.cert_pem,
            "key": set.gw.key_pk8_pem,
            "client_ca": set.ca.cert_pem,
        }}),
    );
    let responder = Responder::start_with_config(&lab, dir.path(), &config);
    let daemon = Daemon::start(&lab, dir.path(), "eaptls");
    let before = system_state(&lab);
    let ca_pem = std::fs::read_to_string(&set.ca.cert_pem).unwrap();

    // The user's certificate: connected, traffic flows.
    let profile = tls_profile(dir.path(), &set.client, &ca_pem);
    let out = ibex(&lab, &daemon, &["connect", &profile], "");
    assert!(
        out.status.success(),
        "connect: {}\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        daemon.log(),
        responder.log()
    );
    assert!(
        wait_until(Duration::from_secs(10), Duration::from_millis(200), || lab
            .client
            .ping(LAN_HOST, 1)),
        "ping through the tunnel\n{}",
        daemon.log()
    );
    let status = ibex(&lab, &daemon, &["status", "--json"], "");
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["state"], "connected", "{status}");
    assert!(ibex(&lab, &daemon, &["disconnect"], "").status.success());
    assert!(
        wait_until(Duration::from_secs(5), Duration::from_millis(100), || {
            system_state(&lab) == before
        }),
        "routes and addresses restored"
    );
    assert_eq!(resolv.read(), ORIGINAL_RESOLV);

    // A certificate from another CA: refused, said so, nothing configured.
    let profile = tls_profile(dir.path(), stranger, &ca_pem);
    let out = ibex(&lab, &daemon, &["connect", &profile], "");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "a foreign certificate must fail: {err}"
    );
    assert!(
        err.contains("did not accept your certificate"),
        "clear reason: {err}\n{}\n{}",
        daemon.log(),
        responder.log()
    );
    assert_eq!(system_state(&lab), before, "nothing left configured");
    assert_eq!(resolv.read(), ORIGINAL_RESOLV);

    // No private key in any log line.
    let key = std::fs::read_to_string(&set.client.key_pk8_pem).unwrap();
    let body = key.lines().nth(1).unwrap();
    let everything = format!("{}\n{}", daemon.log(), responder.log());
    assert!(!everything.contains(body), "a key leaked into the logs");
    drop((daemon, responder));
    ibex_e2e::release_tempdir(dir);
}
