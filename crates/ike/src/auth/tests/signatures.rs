//! AUTH signatures: sign with a [`CertCredential`], verify with the
//! [`PeerKey`] from the validated certificate.

use crate::auth::algorithm::{Hash, SigAlg};
use crate::auth::signing_key::SigningKey;
use crate::auth::{AuthError, CertCredential, PeerKey, TrustAnchors};
use crate::message::IdType;

use super::pki::*;

const OCTETS: &[u8] = b"RealMessage | NoncePeer | prf(SK_p, RestOfIDPayload)";

/// Method numbers (RFC 7296 3.8, RFC 4754, RFC 7427).
const RSA_SIG: u8 = 1;
const PSK: u8 = 2;
const ECDSA_256: u8 = 9;
const ECDSA_384: u8 = 10;
const ECDSA_521: u8 = 11;
const DIGITAL_SIGNATURE: u8 = 14;

/// A credential and the peer key the other side would validate for it.
struct Pair {
    cred: CertCredential,
    peer: PeerKey,
    key_der: Vec<u8>,
}

fn ec_pair(alg: &'static rcgen::SignatureAlgorithm) -> Pair {
    let ca = Ca::root("Ibex Test CA", alg);
    let leaf = ca.issue(LeafSpec::gw(alg));
    let cred = CertCredential::from_der(vec![leaf.der.clone()], &leaf.key_der).unwrap();
    let anchors = TrustAnchors::from_der(vec![ca.der()]).unwrap();
    let peer = anchors
        .verify_peer(&leaf.der, &[], IdType::FQDN, b"gw.ibex.test", NOW)
        .unwrap();
    Pair {
        cred,
        peer,
        key_der: leaf.key_der,
    }
}

fn rsa_pair() -> Pair {
    let cred = CertCredential::from_pem(RSA_LEAF_PEM, RSA_LEAF_KEY_PEM).unwrap();
    let anchors = TrustAnchors::from_pem(RSA_CA_PEM).unwrap();
    let peer = anchors
        .verify_peer(&rsa_leaf_der(), &[], IdType::FQDN, b"gw.ibex.test", NOW)
        .unwrap();
    Pair {
        cred,
        peer,
        key_der: rsa_key_der(),
    }
}

/// The AlgorithmIdentifier inside RFC 7427 AUTH data.
fn alg_of(auth: &[u8]) -> SigAlg {
    let len = usize::from(auth[0]);
    SigAlg::parse(&auth[1..1 + len]).unwrap()
}

fn tampered(octets: &[u8]) -> Vec<u8> {
    let mut t = octets.to_vec();
    t[3] ^= 0x01;
    t
}

#[test]
fn rsa_digital_signature_roundtrip() {
    let p = rsa_pair();
    assert_eq!(p.peer.algorithm(), "RSA-2048");
    let auth = p.cred.sign_digital_signature(OCTETS, &[2, 3, 4]).unwrap();
    // RFC 7427 Appendix A sha256WithRSAEncryption, then a 256-byte signature.
    assert_eq!(
        &auth[..16],
        &[
            0x0f, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
            0x05, 0x00
        ]
    );
    assert_eq!(auth.len(), 16 + 256);
    p.peer.verify(DIGITAL_SIGNATURE, &auth, OCTETS).unwrap();
    let err = p
        .peer
        .verify(DIGITAL_SIGNATURE, &auth, &tampered(OCTETS))
        .unwrap_err();
    assert!(matches!(err, AuthError::BadSignature { .. }), "{err}");
}

#[test]
fn rsa_hash_follows_peer_list() {
    let p = rsa_pair();
    for (hashes, want) in [
        (&[][..], Hash::Sha256),
        (&[2][..], Hash::Sha256),
        (&[4, 3, 2][..], Hash::Sha256),
        (&[3][..], Hash::Sha384),
        (&[4, 3][..], Hash::Sha384),
        (&[4][..], Hash::Sha512),
        (&[1, 5][..], Hash::Sha256),
    ] {
        let auth = p.cred.sign_digital_signature(OCTETS, hashes).unwrap();
        assert_eq!(
            alg_of(&auth),
            SigAlg::RsaPkcs1(want),
            "peer hashes {hashes:?}"
        );
        p.peer.verify(DIGITAL_SIGNATURE, &auth, OCTETS).unwrap();
    }
}

#[test]
fn rsa_pss_verified() {
    let p = rsa_pair();
    let key = SigningKey::from_pkcs8(&p.key_der).unwrap();
    for hash in [Hash::Sha256, Hash::Sha384, Hash::Sha512] {
        let alg = SigAlg::RsaPss(hash);
        let mut auth = vec![];
        let alg_id = alg.algorithm_identifier();
        auth.push(alg_id.len() as u8);
        auth.extend_from_slice(&alg_id);
        auth.extend_from_slice(&key.sign(alg, OCTETS).unwrap());
        p.peer.verify(DIGITAL_SIGNATURE, &auth, OCTETS).unwrap();
        assert!(matches!(
            p.peer.verify(DIGITAL_SIGNATURE, &auth, &tampered(OCTETS)),
            Err(AuthError::BadSignature { .. })
        ));
    }
}

#[test]
fn rsa_sig_sha1_refused() {
    let p = rsa_pair();
    // Whatever the bytes, method 1 is refused before looking at them.
    let err = p.peer.verify(RSA_SIG, &[0u8; 256], OCTETS).unwrap_err();
    assert!(matches!(err, AuthError::WeakSignature(_)), "{err}");
    assert!(err.to_string().contains("SHA-1"), "{err}");
    // sha1WithRSAEncryption inside RFC 7427 is refused too.
    let mut auth = vec![
        0x0f, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05,
        0x00,
    ];
    auth.extend_from_slice(&[0u8; 256]);
    assert!(matches!(
        p.peer.verify(DIGITAL_SIGNATURE, &auth, OCTETS),
        Err(AuthError::WeakSignature(_))
    ));
}

#[test]
fn p256_digital_signature_and_rfc4754() {
    let p = ec_pair(P256);
    assert_eq!(p.peer.algorithm(), "ECDSA P-256");
    let auth = p.cred.sign_digital_signature(OCTETS, &[2]).unwrap();
    assert_eq!(alg_of(&auth), SigAlg::Ecdsa(Hash::Sha256));
    p.peer.verify(DIGITAL_SIGNATURE, &auth, OCTETS).unwrap();
    assert!(matches!(
        p.peer.verify(DIGITAL_SIGNATURE, &auth, &tampered(OCTETS)),
        Err(AuthError::BadSignature { .. })
    ));

    let (method, fixed) = p.cred.sign_ecdsa_rfc4754(OCTETS).unwrap();
    assert_eq!((method, fixed.len()), (ECDSA_256, 64));
    p.peer.verify(ECDSA_256, &fixed, OCTETS).unwrap();
    assert!(matches!(
        p.peer.verify(ECDSA_256, &fixed, &tampered(OCTETS)),
        Err(AuthError::BadSignature { .. })
    ));
    // Curve and method must agree.
    assert!(matches!(
        p.peer.verify(ECDSA_384, &fixed, OCTETS),
        Err(AuthError::KeyAlgorithmMismatch { .. })
    ));
}

#[test]
fn p384_digital_signature_and_rfc4754() {
    let p = ec_pair(P384);
    assert_eq!(p.peer.algorithm(), "ECDSA P-384");
    // P-384 always signs with SHA-384, whatever the peer lists.
    let auth = p.cred.sign_digital_signature(OCTETS, &[2]).unwrap();
    assert_eq!(alg_of(&auth), SigAlg::Ecdsa(Hash::Sha384));
    p.peer.verify(DIGITAL_SIGNATURE, &auth, OCTETS).unwrap();
    assert!(matches!(
        p.peer.verify(DIGITAL_SIGNATURE, &auth, &tampered(OCTETS)),
        Err(AuthError::BadSignature { .. })
    ));

    let (method, fixed) = p.cred.sign_ecdsa_rfc4754(OCTETS).unwrap();
    assert_eq!((method, fixed.len()), (ECDSA_384, 96));
    p.peer.verify(ECDSA_384, &fixed, OCTETS).unwrap();
    assert!(matches!(
        p.peer.verify(ECDSA_384, &fixed, &tampered(OCTETS)),
        Err(AuthError::BadSignature { .. })
    ));
    assert!(matches!(
        p.peer.verify(ECDSA_256, &fixed, OCTETS),
        Err(AuthError::KeyAlgorithmMismatch { .. })
    ));
    assert!(matches!(
        p.peer.verify(ECDSA_521, &fixed, OCTETS),
        Err(AuthError::UnsupportedAlgorithm(_))
    ));
}

#[test]
fn ed25519_digital_signature() {
    let p = ec_pair(ED25519);
    let auth = p.cred.sign_digital_signature(OCTETS, &[5]).unwrap();
    assert_eq!(alg_of(&auth), SigAlg::Ed25519);
    p.peer.verify(DIGITAL_SIGNATURE, &auth, OCTETS).unwrap();
    assert!(matches!(
        p.peer.verify(DIGITAL_SIGNATURE, &auth, &tampered(OCTETS)),
        Err(AuthError::BadSignature { .. })
    ));
    assert!(p.cred.sign_ecdsa_rfc4754(OCTETS).is_err());
}

#[test]
fn signature_from_another_key_rejected() {
    let a = ec_pair(P256);
    let b = ec_pair(P256);
    let auth = b.cred.sign_digital_signature(OCTETS, &[2]).unwrap();
    let err = a.peer.verify(DIGITAL_SIGNATURE, &auth, OCTETS).unwrap_err();
    assert!(matches!(err, AuthError::BadSignature { .. }), "{err}");
}

#[test]
fn algorithm_must_match_key_type() {
    let rsa = rsa_pair();
    let ec = ec_pair(P256);
    let ec_auth = ec.cred.sign_digital_signature(OCTETS, &[2]).unwrap();
    let rsa_auth = rsa.cred.sign_digital_signature(OCTETS, &[2]).unwrap();
    let err = rsa
        .peer
        .verify(DIGITAL_SIGNATURE, &ec_auth, OCTETS)
        .unwrap_err();
    assert!(
        matches!(err, AuthError::KeyAlgorithmMismatch { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("ecdsa-with-SHA256") && err.to_string().contains("RSA-2048"),
        "{err}"
    );
    assert!(matches!(
        ec.peer.verify(DIGITAL_SIGNATURE, &rsa_auth, OCTETS),
        Err(AuthError::KeyAlgorithmMismatch { .. })
    ));
    assert!(matches!(
        rsa.peer.verify(ECDSA_256, &[0; 64], OCTETS),
        Err(AuthError::KeyAlgorithmMismatch { .. })
    ));
}

#[test]
fn ecdsa_sha512_refused_clearly() {
    let p = ec_pair(P256);
    let mut auth = vec![];
    let alg_id = SigAlg::Ecdsa(Hash::Sha512).algorithm_identifier();
    auth.push(alg_id.len() as u8);
    auth.extend_from_slice(&alg_id);
    auth.extend_from_slice(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]);
    let err = p.peer.verify(DIGITAL_SIGNATURE, &auth, OCTETS).unwrap_err();
    assert!(matches!(err, AuthError::UnsupportedAlgorithm(_)), "{err}");
}

#[test]
fn non_signature_methods_refused() {
    let p = ec_pair(P256);
    for method in [PSK, 3, 12, 0, 255] {
        let err = p.peer.verify(method, &[1, 2, 3], OCTETS).unwrap_err();
        assert!(
            matches!(err, AuthError::UnsupportedAlgorithm(_)),
            "method {method}: {err}"
        );
    }
}

#[test]
fn malformed_digital_signature_data() {
    let p = ec_pair(P256);
    let good = p.cred.sign_digital_signature(OCTETS, &[2]).unwrap();
    for bad in [
        vec![],
        vec![0],
        vec![0xff, 0x30],
        good[..1 + usize::from(good[0])].to_vec(), // no signature
        good[..5].to_vec(),
        {
            let mut b = good.clone();
            b[0] += 1; // length covers a signature byte
            b
        },
        {
            let mut b = good.clone();
            b[0] -= 1;
            b
        },
    ] {
        assert!(
            p.peer.verify(DIGITAL_SIGNATURE, &bad, OCTETS).is_err(),
            "{bad:02x?}"
        );
    }
}
