//! Chain validation by [`TrustAnchors::verify_peer`].

use rcgen::{ExtendedKeyUsagePurpose, IsCa};

use crate::auth::{AuthError, TrustAnchors};
use crate::message::IdType;

use super::pki::*;

fn verify(
    anchors: &TrustAnchors,
    leaf: &Leaf,
    intermediates: &[Vec<u8>],
    time: u64,
) -> Result<(), AuthError> {
    anchors
        .verify_peer(
            &leaf.der,
            intermediates,
            IdType::FQDN,
            b"gw.ibex.test",
            time,
        )
        .map(|_| ())
}

#[test]
fn direct_issue_p256_p384_and_rsa() {
    for alg in [P256, P384, ED25519] {
        let ca = Ca::root("Ibex Test CA", alg);
        let leaf = ca.issue(LeafSpec::gw(alg));
        let anchors = TrustAnchors::from_pem(ca.pem().as_bytes()).unwrap();
        verify(&anchors, &leaf, &[], NOW).unwrap();
    }
    let anchors = TrustAnchors::from_pem(RSA_CA_PEM).unwrap();
    anchors
        .verify_peer(&rsa_leaf_der(), &[], IdType::FQDN, b"gw.ibex.test", NOW)
        .unwrap();
}

#[test]
fn chain_through_intermediate() {
    let root = Ca::root("Ibex Root CA", P384);
    let sub = root.intermediate("Ibex Sub CA", P256);
    let leaf = sub.issue(LeafSpec::gw(P256));
    let anchors = TrustAnchors::from_der(vec![root.der()]).unwrap();
    let key = anchors
        .verify_peer(&leaf.der, &[sub.der()], IdType::FQDN, b"gw.ibex.test", NOW)
        .unwrap();
    assert_eq!(key.algorithm(), "ECDSA P-256");

    // Unrelated extra certificates do not hurt.
    let other = Ca::root("Unrelated CA", P256);
    verify(&anchors, &leaf, &[other.der(), sub.der()], NOW).unwrap();

    // Without the intermediate the chain stops short.
    let err = verify(&anchors, &leaf, &[], NOW).unwrap_err();
    assert!(matches!(err, AuthError::UnknownIssuer { .. }), "{err}");

    // Two levels of intermediates.
    let sub2 = sub.intermediate("Ibex Sub Sub CA", P256);
    let leaf2 = sub2.issue(LeafSpec::gw(P256));
    verify(&anchors, &leaf2, &[sub2.der(), sub.der()], NOW).unwrap();
}

#[test]
fn unknown_ca_rejected() {
    let ca = Ca::root("Ibex Test CA", P256);
    let rogue = Ca::root("Rogue CA", P256);
    let leaf = rogue.issue(LeafSpec::gw(P256));
    let anchors = TrustAnchors::from_der(vec![ca.der()]).unwrap();
    let err = verify(&anchors, &leaf, &[], NOW).unwrap_err();
    assert!(matches!(err, AuthError::UnknownIssuer { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "certificate chain does not lead to a configured CA: 'gw.ibex.test' is issued by 'CN=Rogue CA' \
         (0 intermediate certificate(s) received; trusted CAs: 'Ibex Test CA')"
    );

    // Same name as the trusted CA, other key: the signature gives it away.
    let impostor = Ca::root("Ibex Test CA", P256);
    let leaf = impostor.issue(LeafSpec::gw(P256));
    let err = verify(&anchors, &leaf, &[], NOW).unwrap_err();
    assert!(matches!(err, AuthError::ChainRejected { .. }), "{err}");
    assert!(
        err.to_string().contains("signature does not verify"),
        "{err}"
    );

    // An intermediate from an untrusted root does not help either.
    let other_root = Ca::root("Other Root", P384);
    let sub = other_root.intermediate("Other Sub", P256);
    let leaf = sub.issue(LeafSpec::gw(P256));
    assert!(matches!(
        verify(&anchors, &leaf, &[sub.der()], NOW),
        Err(AuthError::UnknownIssuer { .. })
    ));
}

#[test]
fn expired_and_not_yet_valid_rejected() {
    let ca = Ca::root("Ibex Test CA", P256);
    let leaf = ca.issue(LeafSpec::gw(P256));
    let anchors = TrustAnchors::from_der(vec![ca.der()]).unwrap();
    verify(&anchors, &leaf, &[], NOT_AFTER - 1).unwrap();

    let err = verify(&anchors, &leaf, &[], NOT_AFTER + 1).unwrap_err();
    assert!(matches!(err, AuthError::Expired { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "certificate for 'gw.ibex.test' expired on 2045-01-01 00:00:00 UTC (validation time 2045-01-01 00:00:01 UTC)"
    );

    let err = verify(&anchors, &leaf, &[], 1_700_000_000).unwrap_err(); // 2023
    assert!(matches!(err, AuthError::NotYetValid { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("not valid before 2025-01-01 00:00:00 UTC"),
        "{err}"
    );

    // A leaf that expires earlier than its CA.
    let mut spec = LeafSpec::gw(P256);
    spec.not_after = (2030, 6, 1);
    let short = ca.issue(spec);
    verify(&anchors, &short, &[], NOW).unwrap();
    let err = verify(&anchors, &short, &[], 1_950_000_000).unwrap_err(); // 2031
    assert!(err.to_string().contains("expired on 2030-06-01"), "{err}");

    // The RSA fixture expires on 2045-01-01 as well.
    let rsa = TrustAnchors::from_pem(RSA_CA_PEM).unwrap();
    let err = rsa
        .verify_peer(
            &rsa_leaf_der(),
            &[],
            IdType::FQDN,
            b"gw.ibex.test",
            NOT_AFTER + 86_400,
        )
        .unwrap_err();
    assert!(matches!(err, AuthError::Expired { .. }), "{err}");
}

#[test]
fn expired_intermediate_is_named() {
    let root = Ca::root("Ibex Root CA", P256);
    let sub = root.intermediate_with("Ibex Sub CA", P256, |p| {
        p.not_after = rcgen::date_time_ymd(2030, 1, 1)
    });
    let leaf = sub.issue(LeafSpec::gw(P256));
    let anchors = TrustAnchors::from_der(vec![root.der()]).unwrap();
    verify(&anchors, &leaf, &[sub.der()], NOW).unwrap();
    let err = verify(&anchors, &leaf, &[sub.der()], 1_950_000_000).unwrap_err();
    assert!(matches!(err, AuthError::Expired { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("'Ibex Sub CA' (intermediate CA of 'gw.ibex.test')"),
        "{err}"
    );
}

#[test]
fn extended_key_usage_policy() {
    let ca = Ca::root("Ibex Test CA", P256);
    let anchors = TrustAnchors::from_der(vec![ca.der()]).unwrap();
    let with = |ekus: Vec<ExtendedKeyUsagePurpose>| {
        let mut spec = LeafSpec::gw(P256);
        spec.ekus = ekus;
        ca.issue(spec)
    };
    for ok in [
        vec![],
        vec![ExtendedKeyUsagePurpose::ServerAuth],
        vec![ExtendedKeyUsagePurpose::ClientAuth],
        vec![eku_ipsec_ike()],
        vec![ExtendedKeyUsagePurpose::Any],
        vec![ExtendedKeyUsagePurpose::CodeSigning, eku_ipsec_ike()],
    ] {
        verify(&anchors, &with(ok.clone()), &[], NOW).unwrap_or_else(|e| panic!("{ok:?}: {e}"));
    }
    let err = verify(
        &anchors,
        &with(vec![ExtendedKeyUsagePurpose::CodeSigning]),
        &[],
        NOW,
    )
    .unwrap_err();
    assert!(matches!(err, AuthError::ExtendedKeyUsage { .. }), "{err}");
    assert!(err.to_string().contains("1.3.6.1.5.5.7.3.3"), "{err}");

    // An intermediate restricted to code signing does not pass either.
    let sub = ca.intermediate_with("Code Signing CA", P256, |p| {
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning]
    });
    let leaf = sub.issue(LeafSpec::gw(P256));
    assert!(verify(&anchors, &leaf, &[sub.der()], NOW).is_err());
}

#[test]
fn ca_certificate_as_peer_rejected() {
    let ca = Ca::root("Ibex Test CA", P256);
    let anchors = TrustAnchors::from_der(vec![ca.der()]).unwrap();
    let sub = ca.intermediate("gw.ibex.test", P256);
    let err = anchors
        .verify_peer(&sub.der(), &[], IdType::DER_ASN1_DN, &[0x30, 0x00], NOW)
        .unwrap_err();
    assert!(matches!(err, AuthError::ChainRejected { .. }), "{err}");
}

#[test]
fn non_ca_intermediate_rejected() {
    let ca = Ca::root("Ibex Test CA", P256);
    let anchors = TrustAnchors::from_der(vec![ca.der()]).unwrap();
    // A leaf used as an issuer: rcgen does not check, webpki must.
    let fake_sub = ca.intermediate_with("Not A CA", P256, |p| p.is_ca = IsCa::ExplicitNoCa);
    let leaf = fake_sub.issue(LeafSpec::gw(P256));
    let err = verify(&anchors, &leaf, &[fake_sub.der()], NOW).unwrap_err();
    assert!(!matches!(err, AuthError::IdentityMismatch { .. }), "{err}");
}

#[test]
fn too_many_intermediates_rejected() {
    let ca = Ca::root("Ibex Test CA", P256);
    let anchors = TrustAnchors::from_der(vec![ca.der()]).unwrap();
    let leaf = ca.issue(LeafSpec::gw(P256));
    let junk = vec![ca.der(); 17];
    let err = verify(&anchors, &leaf, &junk, NOW).unwrap_err();
    assert!(
        err.to_string().contains("17 intermediate certificates"),
        "{err}"
    );
}

#[test]
fn multiple_anchors() {
    let a = Ca::root("CA A", P256);
    let b = Ca::root("CA B", P384);
    let pem = format!("{}{}", a.pem(), b.pem());
    let anchors = TrustAnchors::from_pem(pem.as_bytes()).unwrap();
    verify(&anchors, &a.issue(LeafSpec::gw(P256)), &[], NOW).unwrap();
    verify(&anchors, &b.issue(LeafSpec::gw(P384)), &[], NOW).unwrap();
    assert!(format!("{anchors:?}").contains("CA B"));
}

#[test]
fn bad_anchor_inputs() {
    assert!(matches!(
        TrustAnchors::from_pem(b""),
        Err(AuthError::Pem { .. })
    ));
    assert!(matches!(
        TrustAnchors::from_pem(b"hello"),
        Err(AuthError::Pem { .. })
    ));
    assert!(TrustAnchors::from_pem(
        b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"
    )
    .is_err());
    assert!(TrustAnchors::from_pem(b"-----BEGIN CERTIFICATE-----\nMIIB\n").is_err());
    assert!(matches!(
        TrustAnchors::from_der(vec![]),
        Err(AuthError::Pem { .. })
    ));
    assert!(matches!(
        TrustAnchors::from_der(vec![vec![0x30, 0x00]]),
        Err(AuthError::MalformedCertificate { .. })
    ));

    // A leaf (basicConstraints CA:FALSE) is refused as an anchor.
    let ca = Ca::root("Ibex Test CA", P256);
    let leaf = ca.issue(LeafSpec::gw(P256));
    let err = TrustAnchors::from_der(vec![ca.der(), leaf.der]).unwrap_err();
    assert!(
        matches!(err, AuthError::InvalidTrustAnchor { index: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("not a CA"), "{err}");
}
