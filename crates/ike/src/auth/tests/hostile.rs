//! Hostile input: random and mutated bytes as certificates, AUTH data,
//! credentials and CA lists must give errors, never panics.

use std::sync::OnceLock;

use proptest::prelude::*;

use crate::auth::{CertCredential, PeerKey, TrustAnchors};
use crate::message::IdType;

use super::pki::*;

struct Fixture {
    anchors: TrustAnchors,
    leaf: Vec<u8>,
    intermediate: Vec<u8>,
    keys: Vec<PeerKey>,
    valid_auth: Vec<(PeerKey, Vec<u8>)>,
}

const OCTETS: &[u8] = b"signed octets";

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let root = Ca::root("Ibex Root CA", P256);
        let sub = root.intermediate("Ibex Sub CA", P256);
        let leaf = sub.issue(LeafSpec::gw(P256));
        let anchors = TrustAnchors::from_der(vec![root.der()]).unwrap();
        let mut keys = Vec::new();
        let mut valid_auth = Vec::new();
        for alg in [P256, P384, ED25519] {
            let ca = Ca::root("CA", alg);
            let l = ca.issue(LeafSpec::gw(alg));
            let a = TrustAnchors::from_der(vec![ca.der()]).unwrap();
            let key = a
                .verify_peer(&l.der, &[], IdType::FQDN, b"gw.ibex.test", NOW)
                .unwrap();
            let cred = CertCredential::from_der(vec![l.der], &l.key_der).unwrap();
            valid_auth.push((
                key.clone(),
                cred.sign_digital_signature(OCTETS, &[2]).unwrap(),
            ));
            keys.push(key);
        }
        let rsa = TrustAnchors::from_pem(RSA_CA_PEM).unwrap();
        let rsa_key = rsa
            .verify_peer(&rsa_leaf_der(), &[], IdType::FQDN, b"gw.ibex.test", NOW)
            .unwrap();
        let rsa_cred = CertCredential::from_pem(RSA_LEAF_PEM, RSA_LEAF_KEY_PEM).unwrap();
        valid_auth.push((
            rsa_key.clone(),
            rsa_cred.sign_digital_signature(OCTETS, &[2]).unwrap(),
        ));
        keys.push(rsa_key);
        Fixture {
            anchors,
            leaf: leaf.der,
            intermediate: sub.der(),
            keys,
            valid_auth,
        }
    })
}

fn id_type() -> impl Strategy<Value = IdType> {
    prop_oneof![
        Just(IdType::FQDN),
        Just(IdType::RFC822_ADDR),
        Just(IdType::IPV4_ADDR),
        Just(IdType::IPV6_ADDR),
        Just(IdType::DER_ASN1_DN),
        any::<u8>().prop_map(IdType),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_leaf_rejected(leaf in prop::collection::vec(any::<u8>(), 0..1500), t in id_type(), id in prop::collection::vec(any::<u8>(), 0..64)) {
        let f = fixture();
        prop_assert!(f.anchors.verify_peer(&leaf, &[], t, &id, NOW).is_err());
    }

    #[test]
    fn der_looking_leaf_rejected(body in prop::collection::vec(any::<u8>(), 0..600)) {
        // A plausible outer SEQUENCE header to get past the first byte.
        let mut leaf = vec![0x30, 0x82, (body.len() >> 8) as u8, body.len() as u8];
        leaf.extend_from_slice(&body);
        prop_assert!(fixture().anchors.verify_peer(&leaf, &[], IdType::FQDN, b"gw.ibex.test", NOW).is_err());
    }

    #[test]
    fn random_intermediates_rejected(junk in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..400), 0..20)) {
        let f = fixture();
        prop_assert!(f.anchors.verify_peer(&f.leaf, &junk, IdType::FQDN, b"gw.ibex.test", NOW).is_err());
    }

    #[test]
    fn mutated_certificates_rejected(pos in any::<prop::sample::Index>(), flip in 1u8..=255, which in 0usize..2) {
        let f = fixture();
        let mut leaf = f.leaf.clone();
        let mut inter = f.intermediate.clone();
        let target = if which == 0 { &mut leaf } else { &mut inter };
        let i = pos.index(target.len());
        target[i] ^= flip;
        prop_assert!(f.anchors.verify_peer(&leaf, &[inter], IdType::FQDN, b"gw.ibex.test", NOW).is_err());
    }

    #[test]
    fn truncated_certificates_rejected(cut in any::<prop::sample::Index>()) {
        let f = fixture();
        let leaf = &f.leaf[..cut.index(f.leaf.len())];
        prop_assert!(f.anchors.verify_peer(leaf, std::slice::from_ref(&f.intermediate), IdType::FQDN, b"gw.ibex.test", NOW).is_err());
    }

    #[test]
    fn random_auth_data_rejected(method in prop_oneof![Just(1u8), Just(9), Just(10), Just(11), Just(14), any::<u8>()],
                                 data in prop::collection::vec(any::<u8>(), 0..600)) {
        for key in &fixture().keys {
            prop_assert!(key.verify(method, &data, OCTETS).is_err());
        }
    }

    #[test]
    fn random_signature_after_valid_algorithm_rejected(sig in prop::collection::vec(any::<u8>(), 0..600)) {
        for (key, auth) in &fixture().valid_auth {
            let prefix = 1 + usize::from(auth[0]);
            let mut forged = auth[..prefix].to_vec();
            forged.extend_from_slice(&sig);
            prop_assert!(key.verify(14, &forged, OCTETS).is_err());
        }
    }

    #[test]
    fn mutated_auth_data_rejected(pos in any::<prop::sample::Index>(), flip in 1u8..=255) {
        for (key, auth) in &fixture().valid_auth {
            key.verify(14, auth, OCTETS).unwrap();
            let mut bad = auth.clone();
            let i = pos.index(bad.len());
            bad[i] ^= flip;
            prop_assert!(key.verify(14, &bad, OCTETS).is_err());
        }
    }

    #[test]
    fn random_credentials_and_anchors_rejected(a in prop::collection::vec(any::<u8>(), 0..800), b in prop::collection::vec(any::<u8>(), 0..800)) {
        prop_assert!(CertCredential::from_der(vec![a.clone()], &b).is_err());
        prop_assert!(CertCredential::from_pem(&a, &b).is_err());
        prop_assert!(TrustAnchors::from_der(vec![a.clone()]).is_err());
        prop_assert!(TrustAnchors::from_pem(&a).is_err());
    }
}
