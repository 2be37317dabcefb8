//! Identities: what a certificate offers by default and whether it carries
//! the identity a peer claims.

use std::net::{Ipv4Addr, Ipv6Addr};

use rcgen::SanType;

use crate::auth::{AuthError, CertCredential, TrustAnchors};
use crate::message::IdType;

use super::pki::*;

struct Setup {
    anchors: TrustAnchors,
    leaf: Leaf,
}

fn setup(cn: &'static str, sans: Vec<SanType>) -> Setup {
    let ca = Ca::root("Ibex Test CA", P256);
    let mut spec = LeafSpec::gw(P256);
    spec.cn = cn;
    spec.sans = sans;
    let leaf = ca.issue(spec);
    Setup {
        anchors: TrustAnchors::from_der(vec![ca.der()]).unwrap(),
        leaf,
    }
}

impl Setup {
    fn check(&self, id_type: IdType, data: &[u8]) -> Result<(), AuthError> {
        self.anchors
            .verify_peer(&self.leaf.der, &[], id_type, data, NOW)
            .map(|_| ())
    }

    fn default_identity(&self) -> (IdType, Vec<u8>) {
        CertCredential::from_der(vec![self.leaf.der.clone()], &self.leaf.key_der)
            .unwrap()
            .default_identity()
    }
}

fn all_sans() -> Setup {
    setup(
        "gw.ibex.test",
        vec![
            dns("gw.ibex.test"),
            dns("vpn.ibex.test"),
            email("gw@ibex.test"),
            ip("192.0.2.1"),
            ip("2001:db8::1"),
        ],
    )
}

fn mismatch(result: Result<(), AuthError>) -> String {
    match result {
        Err(e @ AuthError::IdentityMismatch { .. }) => e.to_string(),
        other => panic!("expected IdentityMismatch, got {other:?}"),
    }
}

#[test]
fn fqdn() {
    let s = all_sans();
    s.check(IdType::FQDN, b"gw.ibex.test").unwrap();
    s.check(IdType::FQDN, b"vpn.ibex.test").unwrap();
    s.check(IdType::FQDN, b"GW.Ibex.TEST").unwrap();
    let msg = mismatch(s.check(IdType::FQDN, b"other.test"));
    assert!(
        msg.starts_with(
            "certificate for 'gw.ibex.test' is not valid for identity 'other.test' \
             (SAN: DNS gw.ibex.test, DNS vpn.ibex.test, email gw@ibex.test, IP 192.0.2.1, IP 2001:db8::1;"
        ),
        "{msg}"
    );
    // Exact match only: no suffix, prefix or wildcard games.
    mismatch(s.check(IdType::FQDN, b"ibex.test"));
    mismatch(s.check(IdType::FQDN, b"x.gw.ibex.test"));
    mismatch(s.check(IdType::FQDN, b"gw.ibex.test."));
    mismatch(s.check(IdType::FQDN, b"gw@ibex.test"));
}

#[test]
fn fqdn_exact_message() {
    let s = setup("gw.ibex.test", vec![dns("gw.ibex.test")]);
    assert_eq!(
        mismatch(s.check(IdType::FQDN, b"other.test")),
        "certificate for 'gw.ibex.test' is not valid for identity 'other.test' \
         (SAN: DNS gw.ibex.test; subject CN=gw.ibex.test)"
    );
}

#[test]
fn no_common_name_fallback() {
    let s = setup("gw.ibex.test", vec![dns("other.ibex.test")]);
    mismatch(s.check(IdType::FQDN, b"gw.ibex.test"));
    let s = setup("gw.ibex.test", vec![]);
    let msg = mismatch(s.check(IdType::FQDN, b"gw.ibex.test"));
    assert!(msg.contains("no DNS/email/IP subjectAltName"), "{msg}");
}

#[test]
fn rfc822() {
    let s = all_sans();
    s.check(IdType::RFC822_ADDR, b"gw@ibex.test").unwrap();
    s.check(IdType::RFC822_ADDR, b"GW@IBEX.test").unwrap();
    mismatch(s.check(IdType::RFC822_ADDR, b"other@ibex.test"));
    // A DNS SAN is no email identity and vice versa.
    mismatch(s.check(IdType::RFC822_ADDR, b"gw.ibex.test"));
}

#[test]
fn ipv4_and_ipv6() {
    let s = all_sans();
    s.check(IdType::IPV4_ADDR, &Ipv4Addr::new(192, 0, 2, 1).octets())
        .unwrap();
    let msg = mismatch(s.check(IdType::IPV4_ADDR, &Ipv4Addr::new(192, 0, 2, 2).octets()));
    assert!(msg.contains("identity '192.0.2.2'"), "{msg}");
    let v6: Ipv6Addr = "2001:db8::1".parse().unwrap();
    s.check(IdType::IPV6_ADDR, &v6.octets()).unwrap();
    let other6: Ipv6Addr = "2001:db8::2".parse().unwrap();
    mismatch(s.check(IdType::IPV6_ADDR, &other6.octets()));
    // IPv4-mapped IPv6 is a different identity.
    mismatch(s.check(
        IdType::IPV6_ADDR,
        &Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped().octets(),
    ));
    // Wrong lengths are malformed, not mismatches.
    assert!(matches!(
        s.check(IdType::IPV4_ADDR, &[192, 0, 2, 1, 0]),
        Err(AuthError::MalformedIdentity(_))
    ));
    assert!(matches!(
        s.check(IdType::IPV6_ADDR, &[192, 0, 2, 1]),
        Err(AuthError::MalformedIdentity(_))
    ));
}

#[test]
fn der_asn1_dn() {
    let s = all_sans();
    // The subject DN DER of CN=gw.ibex.test as rcgen writes it (UTF8String).
    let subject = subject_dn(&s.leaf.der);
    s.check(IdType::DER_ASN1_DN, &subject).unwrap();
    let mut other = subject.clone();
    *other.last_mut().unwrap() ^= 0x20; // gw.ibex.tesT
    let msg = mismatch(s.check(IdType::DER_ASN1_DN, &other));
    assert!(msg.contains("CN=gw.ibex.tesT"), "{msg}");
    // Unparseable DN data is reported in hex, not trusted.
    let msg = mismatch(s.check(IdType::DER_ASN1_DN, b"\x01\x02"));
    assert!(msg.contains("unparseable DN"), "{msg}");
}

#[test]
fn unsupported_and_empty_identities() {
    let s = all_sans();
    for t in [IdType::KEY_ID, IdType::DER_ASN1_GN, IdType(0), IdType(200)] {
        assert!(
            matches!(
                s.check(t, b"gw.ibex.test"),
                Err(AuthError::UnsupportedIdentityType(_))
            ),
            "{t:?}"
        );
    }
    assert!(matches!(
        s.check(IdType::FQDN, b""),
        Err(AuthError::MalformedIdentity(_))
    ));
}

#[test]
fn hostile_identity_is_escaped_in_messages() {
    let s = all_sans();
    let msg = mismatch(s.check(IdType::FQDN, b"evil\n\x1b[31mtest"));
    assert!(!msg.contains('\n') && !msg.contains('\x1b'), "{msg:?}");
    let long = vec![b'a'; 5000];
    let msg = mismatch(s.check(IdType::FQDN, &long));
    assert!(msg.len() < 1000, "{}", msg.len());
}

#[test]
fn default_identity_preference() {
    assert_eq!(
        all_sans().default_identity(),
        (IdType::FQDN, b"gw.ibex.test".to_vec())
    );
    let s = setup("user", vec![email("user@ibex.test"), ip("192.0.2.7")]);
    assert_eq!(
        s.default_identity(),
        (IdType::RFC822_ADDR, b"user@ibex.test".to_vec())
    );
    let s = setup("host", vec![ip("192.0.2.7"), dns("late.ibex.test")]);
    assert_eq!(
        s.default_identity(),
        (IdType::FQDN, b"late.ibex.test".to_vec())
    );
    let s = setup("host", vec![ip("192.0.2.7")]);
    assert_eq!(
        s.default_identity(),
        (IdType::IPV4_ADDR, vec![192, 0, 2, 7])
    );
    let s = setup("host", vec![ip("2001:db8::7")]);
    let v6: Ipv6Addr = "2001:db8::7".parse().unwrap();
    assert_eq!(
        s.default_identity(),
        (IdType::IPV6_ADDR, v6.octets().to_vec())
    );

    // No SAN: the subject DN, which then verifies as DER_ASN1_DN.
    let s = setup("Ibex Gateway", vec![]);
    let (t, dn) = s.default_identity();
    assert_eq!(t, IdType::DER_ASN1_DN);
    assert_eq!(dn, subject_dn(&s.leaf.der));
    s.check(t, &dn).unwrap();

    // Every default identity verifies against its own certificate.
    for s in [
        all_sans(),
        setup("user", vec![email("user@ibex.test")]),
        setup("h", vec![ip("192.0.2.7")]),
    ] {
        let (t, data) = s.default_identity();
        s.check(t, &data).unwrap();
    }

    // RSA fixture.
    let rsa = CertCredential::from_pem(RSA_LEAF_PEM, RSA_LEAF_KEY_PEM).unwrap();
    assert_eq!(
        rsa.default_identity(),
        (IdType::FQDN, b"gw.ibex.test".to_vec())
    );
}

/// The subject DN DER of a certificate, found independently of the code
/// under test (x509-parser directly).
fn subject_dn(cert: &[u8]) -> Vec<u8> {
    use x509_parser::prelude::FromDer as _;
    let (_, c) = x509_parser::certificate::X509Certificate::from_der(cert).unwrap();
    c.tbs_certificate.subject.as_raw().to_vec()
}
