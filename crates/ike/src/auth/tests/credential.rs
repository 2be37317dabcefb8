//! Loading our own credential.

use crate::auth::{AuthError, CertCredential};

use super::pki::*;

#[test]
fn pem_and_der_load_the_same() {
    let ca = Ca::root("Ibex Test CA", P256);
    let sub = ca.intermediate("Ibex Sub CA", P256);
    let leaf = sub.issue(LeafSpec::gw(P256));
    let chain_pem = format!("{}{}", leaf.pem, sub.pem());
    let from_pem = CertCredential::from_pem(chain_pem.as_bytes(), leaf.key_pem.as_bytes()).unwrap();
    let from_der =
        CertCredential::from_der(vec![leaf.der.clone(), sub.der()], &leaf.key_der).unwrap();
    assert_eq!(from_pem.chain(), from_der.chain());
    assert_eq!(from_pem.chain(), &[leaf.der.clone(), sub.der()]);
    assert_eq!(from_pem.default_identity(), from_der.default_identity());

    let rsa = CertCredential::from_pem(RSA_LEAF_PEM, RSA_LEAF_KEY_PEM).unwrap();
    assert_eq!(rsa.chain(), &[rsa_leaf_der()]);
    CertCredential::from_der(vec![rsa_leaf_der()], &rsa_key_der()).unwrap();
}

#[test]
fn debug_shows_no_key_material() {
    let ca = Ca::root("Ibex Test CA", P384);
    let leaf = ca.issue(LeafSpec::gw(P384));
    let cred = CertCredential::from_der(vec![leaf.der.clone()], &leaf.key_der).unwrap();
    let debug = format!("{cred:?}");
    assert!(
        debug.contains("CN=gw.ibex.test") && debug.contains("ECDSA P-384"),
        "{debug}"
    );
    let key_hex: String = leaf.key_der.iter().map(|b| format!("{b:02x}")).collect();
    let key_dec = format!("{:?}", &leaf.key_der[leaf.key_der.len() - 8..]);
    assert!(
        !debug.contains(&key_hex[key_hex.len() - 16..])
            && !debug.contains(&key_dec[1..key_dec.len() - 1]),
        "{debug}"
    );
    assert!(debug.len() < 300, "{debug}");

    let rsa = CertCredential::from_pem(RSA_LEAF_PEM, RSA_LEAF_KEY_PEM).unwrap();
    let debug = format!("{rsa:?}");
    assert!(
        debug.contains("RSA-2048") && !debug.contains("PRIVATE"),
        "{debug}"
    );
    assert!(debug.len() < 300, "{debug}");
}

#[test]
fn key_must_match_leaf() {
    let ca = Ca::root("Ibex Test CA", P256);
    let a = ca.issue(LeafSpec::gw(P256));
    let b = ca.issue(LeafSpec::gw(P256));
    let c = ca.issue(LeafSpec::gw(P384));
    let err = CertCredential::from_der(vec![a.der.clone()], &b.key_der).unwrap_err();
    assert!(matches!(err, AuthError::KeyMismatch { .. }), "{err}");
    assert!(err.to_string().contains("'gw.ibex.test'"), "{err}");
    assert!(matches!(
        CertCredential::from_der(vec![a.der.clone()], &c.key_der),
        Err(AuthError::KeyMismatch { .. })
    ));
    assert!(matches!(
        CertCredential::from_der(vec![a.der.clone()], &rsa_key_der()),
        Err(AuthError::KeyMismatch { .. })
    ));
    assert!(matches!(
        CertCredential::from_der(vec![rsa_leaf_der()], &a.key_der),
        Err(AuthError::KeyMismatch { .. })
    ));
    // Leaf must come first.
    let sub = ca.intermediate("Ibex Sub CA", P256);
    let d = sub.issue(LeafSpec::gw(P256));
    assert!(matches!(
        CertCredential::from_der(vec![sub.der(), d.der], &d.key_der),
        Err(AuthError::KeyMismatch { .. })
    ));
}

#[test]
fn unsupported_key_formats_explained() {
    let pkcs1 = b"-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n";
    let err = CertCredential::from_pem(RSA_LEAF_PEM, pkcs1).unwrap_err();
    assert!(
        matches!(err, AuthError::InvalidKey(_)) && err.to_string().contains("openssl pkcs8 -topk8"),
        "{err}"
    );
    let sec1 = b"-----BEGIN EC PRIVATE KEY-----\nMIIB\n-----END EC PRIVATE KEY-----\n";
    let err = CertCredential::from_pem(RSA_LEAF_PEM, sec1).unwrap_err();
    assert!(err.to_string().contains("SEC1"), "{err}");
    let encrypted =
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let err = CertCredential::from_pem(RSA_LEAF_PEM, encrypted).unwrap_err();
    assert!(err.to_string().contains("encrypted"), "{err}");
    let err = CertCredential::from_pem(RSA_LEAF_PEM, b"").unwrap_err();
    assert!(err.to_string().contains("BEGIN PRIVATE KEY"), "{err}");
    let garbage = b"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n";
    assert!(matches!(
        CertCredential::from_pem(RSA_LEAF_PEM, garbage),
        Err(AuthError::InvalidKey(_))
    ));
    // The key PEM in place of the chain.
    assert!(matches!(
        CertCredential::from_pem(RSA_LEAF_KEY_PEM, RSA_LEAF_KEY_PEM),
        Err(AuthError::Pem { .. })
    ));
}

#[test]
fn bad_chains_rejected() {
    let key = rsa_key_der();
    assert!(matches!(
        CertCredential::from_der(vec![], &key),
        Err(AuthError::Pem { .. })
    ));
    assert!(matches!(
        CertCredential::from_der(vec![vec![]], &key),
        Err(AuthError::MalformedCertificate { .. })
    ));
    let mut trailing = rsa_leaf_der();
    trailing.push(0);
    assert!(matches!(
        CertCredential::from_der(vec![trailing], &key),
        Err(AuthError::MalformedCertificate { .. })
    ));
    let err = CertCredential::from_der(vec![rsa_leaf_der(), b"junk".to_vec()], &key).unwrap_err();
    assert!(
        err.to_string().contains("certificate 2 of our chain"),
        "{err}"
    );
}
