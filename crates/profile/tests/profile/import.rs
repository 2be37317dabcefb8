//! Import of strongSwan `.sswan` and Apple `.mobileconfig` files: the
//! samples in `tests/data/import/`, valid and broken.

use std::path::PathBuf;

use ibex_profile::import::{self, Format, ImportError, Imported};
use ibex_profile::{Auth, EapMethod, ProfileStore, Routes, StoreError};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/import")
        .join(name)
}

fn import_sample(name: &str) -> Result<Imported, ImportError> {
    let bytes = std::fs::read(data(name)).expect("sample readable");
    import::import(&bytes, Some(name))
}

fn ok(name: &str) -> Imported {
    import_sample(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn err(name: &str) -> ImportError {
    match import_sample(name) {
        Ok(i) => panic!("{name} imported: {:?}", i.profile),
        Err(e) => e,
    }
}

/// The keys the warnings name, in order.
fn warned(i: &Imported) -> Vec<&str> {
    i.warnings.iter().map(|w| w.key.as_str()).collect()
}

#[test]
fn sswan_eap() {
    let i = ok("eap.sswan");
    assert_eq!(i.format, Format::Sswan);
    let p = &i.profile;
    assert_eq!(p.uuid, "d1b6a3f0-2c4e-4f7a-9b1d-3e5c7a9b0d12");
    assert_eq!(p.name, "Corp (password)");
    assert_eq!(p.gateway.host, "vpn.corp.example.com");
    assert_eq!(p.gateway.port, 4500);
    assert_eq!(p.remote_id, "vpn.corp.example.com");
    assert_eq!(p.local_id.as_deref(), Some("alice"));
    let Auth::Eap { rounds, .. } = &p.auth else {
        panic!("{:?}", p.auth)
    };
    assert_eq!(rounds.len(), 1);
    assert_eq!(rounds[0].method, EapMethod::Mschapv2);
    assert_eq!(rounds[0].identity, None);
    assert!(p
        .ca_certificate
        .as_deref()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----\nMIIB2TCCAX+g"));
    assert_eq!(
        p.routes,
        Routes::Split {
            prefixes: vec!["10.20.0.0/16".into(), "2001:db8:20::/48".into()]
        }
    );
    let dns: Vec<String> = p.dns.servers.iter().map(ToString::to_string).collect();
    assert_eq!(dns, ["10.20.0.53", "2001:db8:20::53"]);
    assert_eq!(
        warned(&i),
        [
            "remote.certreq",
            "remote.revocation.crl",
            "split-tunneling.excluded",
            "split-tunneling.block-ipv6",
            "mtu",
            "nat-keepalive",
            "excluded-apps",
            "proxy.host",
            "proxy.port",
            "password",
        ]
    );
    let all = format!("{i:?} {:?}", i.preview());
    assert!(!all.contains("hunter2"), "a secret leaked: {all}");
    assert!(!p.to_json_pretty().contains("hunter2"));
    assert!(i.secrets.is_empty());
}

#[test]
fn sswan_certificate_kinds() {
    let i = ok("cert.sswan");
    let p = &i.profile;
    assert_eq!(p.gateway.host, "192.0.2.10");
    assert_eq!(p.remote_id, "gw.lab.example.net");
    assert_eq!(p.local_id.as_deref(), Some("bob@lab.example.net"));
    let Auth::Certificate {
        certificate,
        key,
        eap_rounds,
        ..
    } = &p.auth
    else {
        panic!("{:?}", p.auth)
    };
    assert_eq!(
        certificate,
        "~/.config/ibex/certs/5e0c9a2b-7d41-4b3e-8f6a-1c2d3e4f5a6b.crt"
    );
    assert_eq!(
        key,
        "~/.config/ibex/certs/5e0c9a2b-7d41-4b3e-8f6a-1c2d3e4f5a6b.key"
    );
    assert!(eap_rounds.is_empty());
    assert_eq!(
        p.ike_proposals.as_deref().unwrap(),
        ["aes256gcm16-prfsha384-ecp384", "aes256-sha256-modp3072"]
    );
    assert_eq!(p.esp_proposals.as_deref().unwrap(), ["aes256gcm16"]);
    assert_eq!(warned(&i), ["local.rsa-pss", "local.p12"]);
    assert!(i.warnings[1].message.contains("openssl pkcs12"));
    assert!(
        !p.to_json_pretty().contains("bm90IHJlYWxseS"),
        "the p12 leaked"
    );

    let i = ok("cert-eap.sswan");
    let Auth::Certificate { eap_rounds, .. } = &i.profile.auth else {
        panic!("{:?}", i.profile.auth)
    };
    assert_eq!(eap_rounds[0].method, EapMethod::Mschapv2);
    assert_eq!(eap_rounds[0].identity.as_deref(), Some("carol"));
    assert_eq!(warned(&i), ["type"]);

    let i = ok("eap-tls.sswan");
    let Auth::Eap { rounds, .. } = &i.profile.auth else {
        panic!("{:?}", i.profile.auth)
    };
    assert_eq!(rounds[0].method, EapMethod::Tls);
    assert!(rounds[0].key.as_deref().unwrap().ends_with(".key"));
    assert_eq!(i.profile.local_id.as_deref(), Some("dave@corp.example.com"));
}

#[test]
fn sswan_broken() {
    let e = err("malformed.sswan");
    assert!(
        matches!(
            e,
            ImportError::Syntax {
                format: Format::Sswan,
                ..
            }
        ),
        "{e}"
    );
    let e = err("byod.sswan");
    assert_eq!(e.key(), Some("type"), "{e}");
    assert!(e.to_string().contains("ikev2-byod-eap"), "{e}");
    let e = err("weak.sswan");
    assert!(matches!(e, ImportError::Weak { .. }), "{e}");
    assert_eq!(e.key(), Some("ike-proposal"));
    assert!(e.to_string().contains("'sha1' is a weak algorithm"), "{e}");
    let e = err("no-gateway.sswan");
    assert!(matches!(e, ImportError::Missing { .. }), "{e}");
    assert_eq!(e.key(), Some("remote.addr"));
    let e = err("no-ca.sswan");
    assert_eq!(e.key(), Some("remote.cert"), "{e}");
    let e = err("host-bits.sswan");
    assert!(matches!(e, ImportError::Invalid { .. }), "{e}");
    assert_eq!(e.key(), Some("split-tunneling.subnets"));
    assert!(
        e.to_string().contains("did you mean \"10.1.0.0/16\""),
        "{e}"
    );
}

#[test]
fn mobileconfig_psk() {
    let i = ok("psk.mobileconfig");
    assert_eq!(i.format, Format::Mobileconfig);
    let p = &i.profile;
    assert_eq!(p.uuid, "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a");
    assert_eq!(p.name, "Example Corp");
    assert_eq!(p.gateway.host, "vpn.example.com");
    assert_eq!(p.local_id.as_deref(), Some("client1.example.com"));
    assert_eq!(p.auth, Auth::Psk {});
    assert_eq!(p.ca_certificate, None);
    assert_eq!(
        p.ike_proposals.as_deref().unwrap(),
        ["aes256-sha256-modp2048"]
    );
    assert_eq!(
        p.esp_proposals.as_deref().unwrap(),
        ["aes256-sha256-modp2048"]
    );
    assert_eq!(p.ike_lifetime_s, 480 * 60);
    assert_eq!(p.child_lifetime_s, 3600);
    assert_eq!(p.dpd_interval_s, 600);
    assert!(p.mobike);
    assert_eq!(p.dns.search, ["corp.example.com"]);
    assert_eq!(p.dns.servers[0].to_string(), "10.0.0.53");
    assert_eq!(
        warned(&i),
        [
            "IKEv2.SharedSecret",
            "IKEv2.NATKeepAliveInterval",
            "IKEv2.OnDemandEnabled",
            "IKEv2.OnDemandRules",
            "DNS.SupplementalMatchDomains",
        ]
    );
    assert_eq!(
        i.secrets.psk.as_deref().map(String::as_str),
        Some("correct horse battery staple")
    );
    let shown = format!("{i:?} {} {}", i.preview(), p.to_json_pretty());
    assert!(!shown.contains("correct horse"), "the PSK leaked: {shown}");
    assert_eq!(i.preview().secrets, ["psk"]);
}

#[test]
fn mobileconfig_eap_and_certificates() {
    let i = ok("eap.mobileconfig");
    let p = &i.profile;
    assert_eq!(p.local_id.as_deref(), Some("alice"));
    let Auth::Eap { rounds, .. } = &p.auth else {
        panic!("{:?}", p.auth)
    };
    assert_eq!(rounds[0].method, EapMethod::Mschapv2);
    assert!(p
        .ca_certificate
        .as_deref()
        .unwrap()
        .contains("MIIB2TCCAX+g"));
    assert_eq!(
        p.ike_proposals.as_deref().unwrap(),
        ["aes256gcm16-prfsha384-ecp384"]
    );
    assert_eq!(p.esp_proposals.as_deref().unwrap(), ["aes256gcm16"]);
    assert_eq!(
        warned(&i),
        [
            "IKEv2.AuthPassword",
            "IKEv2.ServerCertificateIssuerCommonName",
            "IKEv2.DisableRedirect",
            "IPv4.OverridePrimary",
        ]
    );
    assert_eq!(
        i.secrets.password.as_deref().map(String::as_str),
        Some("s3cret-password")
    );
    assert!(!format!("{i:?}").contains("s3cret"));

    let i = ok("cert.mobileconfig");
    let p = &i.profile;
    assert_eq!(p.gateway.host, "203.0.113.7");
    assert_eq!(p.remote_id, "gw.example.org");
    assert!(matches!(p.auth, Auth::Certificate { .. }), "{:?}", p.auth);
    assert_eq!(
        p.ike_proposals.as_deref().unwrap(),
        ["chacha20poly1305-prfsha256-x25519"]
    );
    assert_eq!(p.esp_proposals.as_deref().unwrap(), ["aes128gcm16-ecp256"]);
    assert_eq!(p.ike_lifetime_s, 86400);
    assert!(!p.mobike);
    assert_eq!(p.dpd_interval_s, 60);
    assert_eq!(
        warned(&i),
        [
            "PayloadContent",
            "IKEv2.PayloadCertificateUUID",
            "com.apple.security.pkcs12.Password",
            "IPv4.OverridePrimary",
        ]
    );
    assert!(i.warnings[0].message.contains("com.apple.wifi.managed"));
    assert!(i.warnings[1].message.contains("PKCS#12 bundle"));
    assert!(!format!("{i:?}").contains("bundle-pass"));
    assert!(i.secrets.is_empty());

    let i = ok("eap-tls.mobileconfig");
    let Auth::Eap { rounds, .. } = &i.profile.auth else {
        panic!("{:?}", i.profile.auth)
    };
    assert_eq!(rounds[0].method, EapMethod::Tls);
    // No pkcs12 payload with that UUID: the hint says so.
    assert!(i.warnings[0]
        .message
        .contains("names no client certificate"));
}

#[test]
fn mobileconfig_broken() {
    let e = err("weak-3des.mobileconfig");
    assert!(matches!(e, ImportError::Weak { .. }), "{e}");
    assert_eq!(
        e.key(),
        Some("IKEv2.IKESecurityAssociationParameters.EncryptionAlgorithm")
    );
    let e = err("weak-dh2.mobileconfig");
    assert_eq!(
        e.key(),
        Some("IKEv2.ChildSecurityAssociationParameters.DiffieHellmanGroup"),
        "{e}"
    );
    assert!(e.to_string().contains("Logjam"), "{e}");
    let e = err("weak-sha1.mobileconfig");
    assert_eq!(
        e.key(),
        Some("IKEv2.IKESecurityAssociationParameters.IntegrityAlgorithm"),
        "{e}"
    );
    let e = err("no-remote.mobileconfig");
    assert!(matches!(e, ImportError::Missing { .. }), "{e}");
    assert_eq!(e.key(), Some("IKEv2.RemoteAddress"));
    let e = err("l2tp.mobileconfig");
    assert!(matches!(e, ImportError::NoIkev2Payload { .. }), "{e}");
    assert!(e.to_string().contains("VPNType L2TP"), "{e}");
    let e = err("eap-no-ca.mobileconfig");
    assert_eq!(e.key(), Some("com.apple.security.root"), "{e}");
    let e = err("malformed.mobileconfig");
    assert!(
        matches!(
            e,
            ImportError::Syntax {
                format: Format::Mobileconfig,
                ..
            }
        ),
        "{e}"
    );
    let e = err("signed.mobileconfig");
    assert!(matches!(e, ImportError::Signed), "{e}");
    assert!(e.to_string().contains("openssl smime -verify"), "{e}");
    let e = err("binary.mobileconfig");
    assert!(matches!(e, ImportError::BinaryPlist), "{e}");
}

#[test]
fn hostile_input() {
    let big = vec![b' '; import::MAX_IMPORT_LEN + 1];
    assert!(matches!(
        import::import(&big, Some("big.sswan")),
        Err(ImportError::TooLarge { .. })
    ));
    let deep = format!(
        "<?xml version=\"1.0\"?><plist>{}</plist>",
        "<array>".repeat(100_000)
    );
    assert!(matches!(
        import::import(deep.as_bytes(), Some("deep.mobileconfig")),
        Err(ImportError::TooDeep { .. })
    ));
    let deep_json = format!(
        "{}{}",
        "{\"a\":".repeat(10),
        "1".to_string() + &"}".repeat(10)
    );
    let e = import::import(deep_json.as_bytes(), Some("deep.sswan")).unwrap_err();
    assert!(matches!(e, ImportError::TooDeep { .. }), "{e}");
    let very_deep = "[".repeat(100_000);
    assert!(import::import(very_deep.as_bytes(), Some("x.sswan")).is_err());
    assert!(matches!(
        import::import(b"\x00\x01garbage", None),
        Err(ImportError::UnknownFormat)
    ));
    assert!(import::import(b"", Some("empty.mobileconfig")).is_err());
    assert!(import::import(&[0xff, 0xfe, 0x7b], Some("x.sswan")).is_err());
    // Every prefix of every sample is refused or imported, never a panic.
    for name in ["eap.sswan", "cert.mobileconfig", "signed.mobileconfig"] {
        let bytes = std::fs::read(data(name)).unwrap();
        for n in (0..bytes.len()).step_by(7) {
            let _ = import::import(&bytes[..n], Some(name));
        }
    }
}

#[test]
fn detects_by_content_then_extension() {
    let sswan = std::fs::read(data("eap.sswan")).unwrap();
    assert_eq!(
        import::detect_format(&sswan, Some("download.txt")).unwrap(),
        Format::Sswan
    );
    let mc = std::fs::read(data("psk.mobileconfig")).unwrap();
    assert_eq!(
        import::detect_format(&mc, None).unwrap(),
        Format::Mobileconfig
    );
    let ibex = crate::common::example("psk-full-tunnel.json");
    assert_eq!(
        import::detect_format(ibex.as_bytes(), Some("x.sswan")).unwrap(),
        Format::Ibex
    );
    assert_eq!(
        import::detect_format(b"{", Some("x.sswan")).unwrap(),
        Format::Sswan
    );
    assert_eq!(import::detect_format(b"{", None).unwrap(), Format::Ibex);
}

#[test]
fn store_imports_foreign_files() {
    let tmp = tempfile::tempdir().unwrap();
    let store = ProfileStore::new(tmp.path().join("profiles"));
    let p = store.import(&data("eap.sswan")).unwrap();
    assert_eq!(store.get(&p.uuid).unwrap(), p);
    // The same UUID again replaces it.
    store.import(&data("eap.sswan")).unwrap();
    let report = store.import_report(&data("psk.mobileconfig")).unwrap();
    assert!(report.secrets.psk.is_some());
    assert_eq!(store.list().unwrap().len(), 2);
    for f in std::fs::read_dir(store.dir()).unwrap() {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
        assert!(!text.contains("correct horse"), "the PSK was stored");
    }
    let e = store.import(&data("weak.sswan")).unwrap_err();
    assert!(matches!(e, StoreError::Import { .. }), "{e}");
    assert!(e.to_string().contains("weak.sswan: ike-proposal"), "{e}");
    let preview = ibex_profile::read_import(&data("cert.mobileconfig"))
        .unwrap()
        .preview();
    assert_eq!(preview.gateway, "203.0.113.7");
    assert_eq!(preview.ca_certificates, 1);
    let json = serde_json::to_value(&preview).unwrap();
    assert_eq!(json["format"], "mobileconfig");
    assert_eq!(store.list().unwrap().len(), 2, "a preview stores nothing");
}
