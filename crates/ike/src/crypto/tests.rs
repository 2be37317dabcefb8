//! Cross-module tests of the crypto layer: a whole IKE_SA_INIT key exchange,
//! key derivation, `SK` protection and AUTH, as the session layer uses them.

use super::*;

/// Both sides derive the same keys from their own DH values and can read
/// each other's `SK` payloads and AUTH data, for one suite per DH group.
#[test]
fn initiator_and_responder_interoperate() {
    let suites = [
        IkeSuite {
            encr: EncrAlg::AesGcm16_256,
            prf: PrfAlg::HmacSha384,
            integ: None,
            dh: DhGroup::Ecp384,
        },
        IkeSuite {
            encr: EncrAlg::ChaCha20Poly1305,
            prf: PrfAlg::HmacSha256,
            integ: None,
            dh: DhGroup::Curve25519,
        },
        IkeSuite {
            encr: EncrAlg::AesGcm16_128,
            prf: PrfAlg::HmacSha256,
            integ: None,
            dh: DhGroup::Ecp256,
        },
        IkeSuite {
            encr: EncrAlg::AesCbc256,
            prf: PrfAlg::HmacSha512,
            integ: Some(IntegAlg::HmacSha512_256),
            dh: DhGroup::Ecp521,
        },
        IkeSuite {
            encr: EncrAlg::AesCbc128,
            prf: PrfAlg::HmacSha256,
            integ: Some(IntegAlg::HmacSha256_128),
            dh: DhGroup::Modp2048,
        },
        IkeSuite {
            encr: EncrAlg::AesCbc256,
            prf: PrfAlg::HmacSha256,
            integ: Some(IntegAlg::HmacSha256_128),
            dh: DhGroup::Modp3072,
        },
    ];
    let mut rng_i = SeededRandom::new(1);
    let mut rng_r = SeededRandom::new(2);
    for suite in suites {
        let (spi_i, spi_r) = ([0xaa; 8], [0xbb; 8]);
        let (mut ni, mut nr) = (vec![0u8; 32], vec![0u8; 32]);
        rng_i.fill(&mut ni);
        rng_r.fill(&mut nr);

        let dh_i = suite.dh.generate(&mut rng_i);
        let dh_r = suite.dh.generate(&mut rng_r);
        let g_ir_i = dh_i.shared_secret(&dh_r.public_value()).unwrap();
        let g_ir_r = dh_r.shared_secret(&dh_i.public_value()).unwrap();
        assert_eq!(g_ir_i, g_ir_r);

        let keys_i = derive_ike_sa_keys(&suite, &ni, &nr, &g_ir_i, &spi_i, &spi_r);
        let keys_r = derive_ike_sa_keys(&suite, &ni, &nr, &g_ir_r, &spi_i, &spi_r);
        assert_eq!(keys_i, keys_r);

        // Initiator -> responder uses SK_ei / SK_ai.
        let mut out_i = SkCipher::new(
            suite.encr,
            suite.integ,
            keys_i.sk_ei.expose(),
            keys_i.sk_ai.expose(),
        )
        .unwrap();
        let in_r = SkCipher::new(
            suite.encr,
            suite.integ,
            keys_r.sk_ei.expose(),
            keys_r.sk_ai.expose(),
        )
        .unwrap();
        let aad = b"28-byte IKE header.........|SK|";
        let mut body = Vec::new();
        out_i.seal(&mut rng_i, aad, b"IDi AUTH SAi2 TSi TSr", &mut body);
        assert_eq!(in_r.open(aad, &body).unwrap(), b"IDi AUTH SAi2 TSi TSr");
        // ... and the responder's outbound key cannot be used for it.
        let in_i = SkCipher::new(
            suite.encr,
            suite.integ,
            keys_i.sk_er.expose(),
            keys_i.sk_ar.expose(),
        )
        .unwrap();
        assert_eq!(in_i.open(aad, &body), Err(CryptoError::Integrity));

        // PSK AUTH computed by the initiator verifies at the responder.
        let id_i = b"\x02\x00\x00\x00alice@example.org";
        let octets_i = signed_octets(suite.prf, b"IKE_SA_INIT request", &nr, &keys_i.sk_pi, id_i);
        let auth = psk_auth(suite.prf, b"shared secret", &octets_i);
        let octets_r = signed_octets(suite.prf, b"IKE_SA_INIT request", &nr, &keys_r.sk_pi, id_i);
        assert!(psk_auth_verify(
            suite.prf,
            b"shared secret",
            &octets_r,
            &auth
        ));

        // A Child SA: identical keys on both sides, one per direction.
        let child_i = derive_child_sa_keys(
            suite.prf,
            &keys_i.sk_d,
            None,
            &ni,
            &nr,
            suite.encr,
            suite.integ,
        );
        let child_r = derive_child_sa_keys(
            suite.prf,
            &keys_r.sk_d,
            None,
            &ni,
            &nr,
            suite.encr,
            suite.integ,
        );
        assert_eq!(child_i, child_r);
        assert_ne!(child_i.encr_i, child_i.encr_r);
    }
}
