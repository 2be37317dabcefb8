//! CERTREQ data: SHA-1 of each trusted CA's SubjectPublicKeyInfo.

use ring::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY};

use crate::auth::TrustAnchors;

use super::pki::*;

fn sha1(data: &[u8]) -> Vec<u8> {
    digest(&SHA1_FOR_LEGACY_USE_ONLY, data).as_ref().to_vec()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn one_hash_per_ca_in_order() {
    let a = Ca::root("CA A", P256);
    let b = Ca::root("CA B", P384);
    let c = Ca::root("CA C", ED25519);
    let anchors = TrustAnchors::from_der(vec![a.der(), b.der(), c.der()]).unwrap();
    let data = anchors.certreq_data();
    assert_eq!(data.len(), 20 * 3);
    assert_eq!(data[..20], sha1(&a.spki())[..]);
    assert_eq!(data[20..40], sha1(&b.spki())[..]);
    assert_eq!(data[40..], sha1(&c.spki())[..]);
}

#[test]
fn rsa_fixture_matches_openssl() {
    let anchors = TrustAnchors::from_pem(RSA_CA_PEM).unwrap();
    let data = anchors.certreq_data();
    assert_eq!(data.len(), 20);
    assert_eq!(hex(&data), RSA_CA_SPKI_SHA1);
}
