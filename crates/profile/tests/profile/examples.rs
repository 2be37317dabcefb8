//! The shipped example profiles parse, and become engine configurations.

use crate::common::{example, EXAMPLES};
use ibex_ike::crypto::Secret;
use ibex_ike::{LocalAuth, PeerAuth};
use ibex_profile::{Auth, ConfigError, Credential, EapMethod, EapRound, Profile, Routes};

#[test]
fn every_example_parses_and_roundtrips() {
    for name in EXAMPLES {
        let p = Profile::from_json(&example(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let again = Profile::from_json(&p.to_json_pretty()).expect("re-serialized profile parses");
        assert_eq!(p, again, "{name}");
    }
}

#[test]
fn example_contents() {
    let psk = Profile::from_json(&example("psk-full-tunnel.json")).unwrap();
    assert_eq!(psk.auth, Auth::Psk {});
    assert_eq!(psk.routes, Routes::Full {});
    let cert = Profile::from_json(&example("certificate-split-tunnel.json")).unwrap();
    assert!(matches!(cert.routes, Routes::Split { ref prefixes } if prefixes.len() == 3));
    assert!(cert.local_id.is_none());
    let eap = Profile::from_json(&example("eap-mfa.json")).unwrap();
    let Auth::Eap { rounds, .. } = &eap.auth else {
        panic!("eap example is not eap");
    };
    let methods: Vec<_> = rounds.iter().map(|r| r.method).collect();
    assert_eq!(methods, [EapMethod::Mschapv2, EapMethod::Push]);
    assert_eq!(eap.gateway.port, 500, "default port");
    assert_eq!(eap.dpd_interval_s, 30, "default DPD interval");
    assert!(eap.mobike, "MOBIKE on by default");
}

#[test]
fn psk_profile_to_ike_config() {
    let p = Profile::from_json(&example("psk-full-tunnel.json")).unwrap();
    let key = Secret::from_slice(b"correct horse battery staple");
    let c = p.to_ike_config(Credential::Psk(key.clone())).unwrap();
    assert!(matches!(c.local_auth, LocalAuth::Psk(ref k) if *k == key));
    assert!(matches!(c.peer_auth, Some(PeerAuth::Psk(ref k)) if *k == key));
    assert_eq!(c.local_id.to_string(), "alice@example.com");
    assert_eq!(
        c.remote_id.as_ref().map(|i| i.to_string()).as_deref(),
        Some("vpn.example.com")
    );
    assert_eq!(c.ike_proposals.len(), 2);
    assert_eq!(c.esp_proposals.len(), 2);
    assert!(c.request_vip && c.mobike && !c.force_encap);
    assert_eq!(c.dpd_interval, Some(std::time::Duration::from_secs(30)));
    assert_eq!(
        c.remote_ts,
        vec![ibex_ike::message::TrafficSelector::any_v4()]
    );

    let empty = p.to_ike_config(Credential::Psk(Secret::default()));
    assert!(matches!(empty, Err(ConfigError::EmptyPsk)));
    let wrong = p.to_ike_config(Credential::Certificate {
        chain_pem: vec![],
        key_pem: Secret::default(),
    });
    let msg = wrong.unwrap_err().to_string();
    assert!(msg.contains("authenticates with 'psk'"), "{msg}");
}

#[test]
fn certificate_profile_to_ike_config() {
    let p = Profile::from_json(&example("certificate-split-tunnel.json")).unwrap();
    let testdata = concat!(env!("CARGO_MANIFEST_DIR"), "/../ike/src/auth/testdata/");
    let chain = std::fs::read(format!("{testdata}rsa-leaf.pem")).unwrap();
    let key = std::fs::read(format!("{testdata}rsa-leaf.key.pem")).unwrap();
    let c = p
        .to_ike_config(Credential::Certificate {
            chain_pem: chain.clone(),
            key_pem: Secret::new(key),
        })
        .unwrap();
    assert!(matches!(c.local_auth, LocalAuth::Certificate(_)));
    assert!(matches!(c.peer_auth, Some(PeerAuth::Certificate(_))));
    assert_eq!(
        c.local_id.to_string(),
        "gw.ibex.test",
        "identity from the certificate"
    );
    assert_eq!(c.remote_ts.len(), 3);
    assert!(c.force_encap);

    let bad = p.to_ike_config(Credential::Certificate {
        chain_pem: chain,
        key_pem: Secret::from_slice(b"not a key"),
    });
    assert!(matches!(bad, Err(ConfigError::Certificate(_))), "{bad:?}");
}

#[test]
fn eap_profile_becomes_eap_rounds() {
    let p = Profile::from_json(&example("eap-mfa.json")).unwrap();
    let c = p.to_ike_config(Credential::Eap).unwrap();
    let ibex_ike::LocalAuth::Eap(first) = &c.local_auth else {
        panic!("first round is not EAP: {:?}", c.local_auth);
    };
    assert_eq!(
        first.identity, "alice@corp.example.com",
        "defaults to local_id"
    );
    assert_eq!(c.extra_auth.len(), 1);
    let ibex_ike::LocalAuth::Eap(second) = &c.extra_auth[0] else {
        panic!("second round is not EAP");
    };
    assert_eq!(second.identity, "alice");
    assert!(
        first.password.is_none(),
        "secrets are prompted for, never stored"
    );
    assert!(matches!(
        c.peer_auth,
        Some(ibex_ike::PeerAuth::Certificate(_))
    ));
    let e = p
        .to_ike_config(Credential::Psk(Secret::from_slice(b"x")))
        .unwrap_err();
    assert!(matches!(e, ConfigError::WrongCredential { .. }), "{e}");
}

#[test]
fn credential_debug_is_redacted() {
    let c = Credential::Certificate {
        chain_pem: b"public".to_vec(),
        key_pem: Secret::from_slice(b"-----BEGIN PRIVATE KEY----- s3cr3t"),
    };
    let d = format!("{c:?} {:?}", Credential::Psk(Secret::from_slice(b"s3cr3t")));
    assert!(!d.contains("s3cr3t") && !d.contains("PRIVATE"), "{d}");
}

/// The RSA test certificate of the engine and its key (PKCS#8 PEM).
fn rsa_leaf() -> (Vec<u8>, Vec<u8>) {
    let testdata = concat!(env!("CARGO_MANIFEST_DIR"), "/../ike/src/auth/testdata/");
    (
        std::fs::read(format!("{testdata}rsa-leaf.pem")).unwrap(),
        std::fs::read(format!("{testdata}rsa-leaf.key.pem")).unwrap(),
    )
}

#[test]
fn eap_tls_round_gets_the_certificate_the_ca_and_the_gateway_name() {
    let p = Profile::from_json(&example("eap-tls.json")).unwrap();
    assert_eq!(
        p.auth.client_certificate(),
        Some(("~/.config/ibex/alice.pem", "~/.config/ibex/alice.key.pem"))
    );
    let e = p.to_ike_config(Credential::Eap).unwrap_err();
    assert!(matches!(e, ConfigError::MissingTlsCredential(_)), "{e}");
    assert!(e.to_string().contains("EAP-TLS round"), "{e}");

    let (chain, key) = rsa_leaf();
    let c = p
        .to_ike_config(Credential::EapTls {
            chain_pem: chain.clone(),
            key_pem: Secret::new(key.clone()),
        })
        .unwrap();
    let LocalAuth::Eap(first) = &c.local_auth else {
        panic!("first round is not EAP: {:?}", c.local_auth);
    };
    let tls = first.tls.as_ref().expect("the tls round has its settings");
    assert_eq!(tls.cert_chain.len(), 1);
    assert_eq!(tls.ca_certs.len(), 1, "the profile's CA");
    assert_eq!(tls.server_name.as_deref(), Some("vpn.corp.example.com"));
    assert!(!tls.key.is_empty());
    let LocalAuth::Eap(second) = &c.extra_auth[0] else {
        panic!("second round is not EAP");
    };
    assert!(second.tls.is_none(), "only the tls round");
    assert!(!format!("{c:?}").contains("PRIVATE"));

    // A key of another certificate, or no key, is refused up front.
    let bad = p.to_ike_config(Credential::EapTls {
        chain_pem: chain,
        key_pem: Secret::from_slice(b"not a key"),
    });
    let msg = bad.unwrap_err().to_string();
    assert!(
        msg.starts_with("EAP-TLS round: client certificate"),
        "{msg}"
    );
    // A profile without a tls round takes no EAP-TLS credential.
    let mfa = Profile::from_json(&example("eap-mfa.json")).unwrap();
    let e = mfa
        .to_ike_config(Credential::EapTls {
            chain_pem: vec![],
            key_pem: Secret::new(key),
        })
        .unwrap_err();
    assert!(matches!(e, ConfigError::WrongCredential { .. }), "{e}");
}

#[test]
fn tls_round_after_a_certificate_round_uses_its_certificate() {
    let mut p = Profile::from_json(&example("certificate-split-tunnel.json")).unwrap();
    let Auth::Certificate { eap_rounds, .. } = &mut p.auth else {
        panic!("not a certificate profile");
    };
    *eap_rounds = vec![EapRound::new(EapMethod::Tls)];
    p.validate().unwrap();
    let (chain, key) = rsa_leaf();
    let c = p
        .to_ike_config(Credential::Certificate {
            chain_pem: chain,
            key_pem: Secret::new(key),
        })
        .unwrap();
    let LocalAuth::Eap(round) = &c.extra_auth[0] else {
        panic!("the EAP round is missing");
    };
    let tls = round.tls.as_ref().expect("EAP-TLS settings");
    assert_eq!(tls.cert_chain.len(), 1);
}

#[test]
fn eap_tls_credential_debug_is_redacted() {
    let c = Credential::EapTls {
        chain_pem: b"public".to_vec(),
        key_pem: Secret::from_slice(b"-----BEGIN PRIVATE KEY----- s3cr3t"),
    };
    let d = format!("{c:?}");
    assert!(!d.contains("s3cr3t") && !d.contains("PRIVATE"), "{d}");
}

#[test]
fn eap_round_options_reach_the_engine() {
    let mut p = Profile::from_json(&example("eap-mfa.json")).unwrap();
    let c = p.to_ike_config(Credential::Eap).unwrap();
    let ibex_ike::LocalAuth::Eap(first) = &c.local_auth else {
        panic!("first round is not EAP");
    };
    assert!(
        !first.allow_md5,
        "MD5 is refused unless the profile allows it"
    );
    assert!(
        !first.prefer_code,
        "push is answered with a push by default"
    );
    if let ibex_profile::Auth::Eap { rounds, .. } = &mut p.auth {
        rounds[1].allow_md5 = true;
        rounds[1].prefer_code = true;
    }
    let c = p.to_ike_config(Credential::Eap).unwrap();
    let ibex_ike::LocalAuth::Eap(second) = &c.extra_auth[0] else {
        panic!("second round is not EAP");
    };
    assert!(second.allow_md5 && second.prefer_code);
}
