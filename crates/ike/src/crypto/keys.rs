//! IKE SA and Child SA key derivation (RFC 7296 2.13, 2.14, 2.17, 2.18).

use std::fmt;

use super::dh::DhGroup;
use super::encr::EncrAlg;
use super::integ::IntegAlg;
use super::prf::PrfAlg;
use super::secret::Secret;

/// The negotiated transforms of an IKE SA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IkeSuite {
    /// Encryption algorithm.
    pub encr: EncrAlg,
    /// Pseudo-random function.
    pub prf: PrfAlg,
    /// Integrity algorithm; `None` exactly for AEAD ciphers.
    pub integ: Option<IntegAlg>,
    /// Key exchange group.
    pub dh: DhGroup,
}

impl IkeSuite {
    /// strongSwan-style proposal string, e.g. `aes256gcm16-prfsha384-ecp384`
    /// or `aes256-sha256-prfsha256-modp3072`.
    pub fn name(&self) -> String {
        match self.integ {
            Some(integ) => format!(
                "{}-{}-{}-{}",
                self.encr.name(),
                integ.name(),
                self.prf.name(),
                self.dh.name()
            ),
            None => format!(
                "{}-{}-{}",
                self.encr.name(),
                self.prf.name(),
                self.dh.name()
            ),
        }
    }

    /// `true` if the integrity algorithm is present exactly when the cipher
    /// is not an AEAD.
    pub fn is_consistent(&self) -> bool {
        self.encr.is_aead() == self.integ.is_none()
    }
}

impl fmt::Display for IkeSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// The seven keys of an IKE SA (RFC 7296 2.14). `sk_ai`/`sk_ar` are empty
/// for AEAD suites; `sk_ei`/`sk_er` include the 4-byte salt for AEADs.
#[derive(Clone, PartialEq, Eq)]
pub struct IkeSaKeys {
    /// Derivation key for Child SAs and rekeying.
    pub sk_d: Secret,
    /// Integrity key, initiator to responder.
    pub sk_ai: Secret,
    /// Integrity key, responder to initiator.
    pub sk_ar: Secret,
    /// Encryption key (|| salt), initiator to responder.
    pub sk_ei: Secret,
    /// Encryption key (|| salt), responder to initiator.
    pub sk_er: Secret,
    /// Key for the initiator's AUTH payload.
    pub sk_pi: Secret,
    /// Key for the responder's AUTH payload.
    pub sk_pr: Secret,
}

impl fmt::Debug for IkeSaKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IkeSaKeys")
            .field("sk_d", &self.sk_d)
            .field("sk_ai", &self.sk_ai)
            .field("sk_ar", &self.sk_ar)
            .field("sk_ei", &self.sk_ei)
            .field("sk_er", &self.sk_er)
            .field("sk_pi", &self.sk_pi)
            .field("sk_pr", &self.sk_pr)
            .finish()
    }
}

/// The keys of a Child SA (RFC 7296 2.17), in `KEYMAT` order: both keys of
/// the initiator-to-responder SA first, encryption before integrity.
/// `integ_*` are empty for AEAD ciphers.
#[derive(Clone, PartialEq, Eq)]
pub struct ChildSaKeys {
    /// Encryption key (|| salt), initiator to responder.
    pub encr_i: Secret,
    /// Integrity key, initiator to responder.
    pub integ_i: Secret,
    /// Encryption key (|| salt), responder to initiator.
    pub encr_r: Secret,
    /// Integrity key, responder to initiator.
    pub integ_r: Secret,
}

impl fmt::Debug for ChildSaKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSaKeys")
            .field("encr_i", &self.encr_i)
            .field("integ_i", &self.integ_i)
            .field("encr_r", &self.encr_r)
            .field("integ_r", &self.integ_r)
            .finish()
    }
}

/// Splits `keymat` into consecutive pieces of the given lengths.
fn split(keymat: &Secret, lens: &[usize]) -> Vec<Secret> {
    let mut at = 0;
    lens.iter()
        .map(|&len| {
            let piece = Secret::from_slice(&keymat.expose()[at..at + len]);
            at += len;
            piece
        })
        .collect()
}

/// `prf+` for key material whose length is bounded by the algorithms: at most
/// 64 + 2 * 64 + 2 * 36 + 2 * 64 = 392 bytes, far below the 255 * 32 limit.
fn keymat(prf: PrfAlg, key: &[u8], seed: &[u8], len: usize) -> Secret {
    prf.prf_plus(key, seed, len)
        .expect("key material of the supported algorithms is far below the prf+ limit")
}

/// `{SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)`.
fn expand_ike_sa_keys(
    suite: &IkeSuite,
    skeyseed: &Secret,
    ni: &[u8],
    nr: &[u8],
    spi_i: &[u8; 8],
    spi_r: &[u8; 8],
) -> IkeSaKeys {
    let prf_len = suite.prf.key_len();
    let integ_len = suite.integ.map_or(0, |i| i.key_len());
    let encr_len = suite.encr.key_len();
    let lens = [
        prf_len, integ_len, integ_len, encr_len, encr_len, prf_len, prf_len,
    ];
    let seed = [ni, nr, spi_i, spi_r].concat();
    let km = keymat(suite.prf, skeyseed.expose(), &seed, lens.iter().sum());
    let mut keys = split(&km, &lens).into_iter();
    let mut next = || keys.next().unwrap_or_default();
    IkeSaKeys {
        sk_d: next(),
        sk_ai: next(),
        sk_ar: next(),
        sk_ei: next(),
        sk_er: next(),
        sk_pi: next(),
        sk_pr: next(),
    }
}

/// Keys of a new IKE SA (RFC 7296 2.14):
/// `SKEYSEED = prf(Ni | Nr, g^ir)`, then
/// `{SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)`.
///
/// The PRF key is the full `Ni | Nr`: the 64-bit truncation in RFC 7296 2.14
/// applies only to PRFs with a fixed key size (AES-XCBC/CMAC), and HMAC
/// accepts keys of any length. `ni`/`nr` are the nonce payload bodies,
/// `g_ir` is [`super::DhPrivate::shared_secret`].
pub fn derive_ike_sa_keys(
    suite: &IkeSuite,
    ni: &[u8],
    nr: &[u8],
    g_ir: &Secret,
    spi_i: &[u8; 8],
    spi_r: &[u8; 8],
) -> IkeSaKeys {
    let nonces = Secret::concat(&[ni, nr]);
    let skeyseed = suite.prf.compute(nonces.expose(), g_ir.expose());
    expand_ike_sa_keys(suite, &skeyseed, ni, nr, spi_i, spi_r)
}

/// Keys of an IKE SA created by rekeying (RFC 7296 2.18):
/// `SKEYSEED = prf_old(SK_d_old, g^ir(new) | Ni | Nr)` with the old SA's PRF
/// and `SK_d`, then the same `prf+` expansion as
/// [`derive_ike_sa_keys`] with the new suite's PRF. `ni`, `nr`, `spi_i`,
/// `spi_r` are those of the new SA (from the CREATE_CHILD_SA exchange).
#[allow(clippy::too_many_arguments)]
pub fn derive_rekeyed_ike_sa_keys(
    old_prf: PrfAlg,
    old_sk_d: &Secret,
    suite: &IkeSuite,
    ni: &[u8],
    nr: &[u8],
    g_ir: &Secret,
    spi_i: &[u8; 8],
    spi_r: &[u8; 8],
) -> IkeSaKeys {
    let skeyseed = old_prf.compute_parts(old_sk_d.expose(), &[g_ir.expose(), ni, nr]);
    expand_ike_sa_keys(suite, &skeyseed, ni, nr, spi_i, spi_r)
}

/// Keys of a Child SA (RFC 7296 2.17): `KEYMAT = prf+(SK_d, Ni | Nr)`, or
/// `prf+(SK_d, g^ir(new) | Ni | Nr)` with a CREATE_CHILD_SA key exchange,
/// split into encryption and integrity keys for each direction,
/// initiator-to-responder first. AEAD encryption keys include the 4-byte
/// salt (RFC 4106 8.1, RFC 7634 2), and then `integ` must be `None`.
pub fn derive_child_sa_keys(
    prf: PrfAlg,
    sk_d: &Secret,
    g_ir: Option<&Secret>,
    ni: &[u8],
    nr: &[u8],
    encr: EncrAlg,
    integ: Option<IntegAlg>,
) -> ChildSaKeys {
    let encr_len = encr.key_len();
    let integ_len = integ.map_or(0, |i| i.key_len());
    let lens = [encr_len, integ_len, encr_len, integ_len];
    let seed = Secret::concat(&[g_ir.map_or(&[][..], Secret::expose), ni, nr]);
    let km = keymat(prf, sk_d.expose(), seed.expose(), lens.iter().sum());
    let mut keys = split(&km, &lens).into_iter();
    let mut next = || keys.next().unwrap_or_default();
    ChildSaKeys {
        encr_i: next(),
        integ_i: next(),
        encr_r: next(),
        integ_r: next(),
    }
}

#[cfg(test)]
mod tests {
    use ring::hmac;

    use super::*;
    use crate::crypto::test_util::hex;

    const SPI_I: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];
    const SPI_R: [u8; 8] = [0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18];

    fn all_suites() -> Vec<IkeSuite> {
        let mut out = Vec::new();
        for encr in EncrAlg::ALL {
            let integs: Vec<Option<IntegAlg>> = if encr.is_aead() {
                vec![None]
            } else {
                IntegAlg::ALL.iter().copied().map(Some).collect()
            };
            for integ in integs {
                for prf in PrfAlg::ALL {
                    for dh in DhGroup::ALL {
                        out.push(IkeSuite {
                            encr,
                            prf,
                            integ,
                            dh,
                        });
                    }
                }
            }
        }
        out
    }

    #[test]
    fn suite_names() {
        let gcm = IkeSuite {
            encr: EncrAlg::AesGcm16_256,
            prf: PrfAlg::HmacSha384,
            integ: None,
            dh: DhGroup::Ecp384,
        };
        assert_eq!(gcm.name(), "aes256gcm16-prfsha384-ecp384");
        let cbc = IkeSuite {
            encr: EncrAlg::AesCbc256,
            prf: PrfAlg::HmacSha256,
            integ: Some(IntegAlg::HmacSha256_128),
            dh: DhGroup::Modp3072,
        };
        assert_eq!(cbc.to_string(), "aes256-sha256-prfsha256-modp3072");
        assert!(gcm.is_consistent() && cbc.is_consistent());
        assert!(!IkeSuite { integ: None, ..cbc }.is_consistent());
    }

    #[test]
    fn ike_sa_key_lengths_for_every_suite() {
        let g_ir = Secret::new(vec![9; 32]);
        for suite in all_suites() {
            let k = derive_ike_sa_keys(&suite, &[1; 32], &[2; 32], &g_ir, &SPI_I, &SPI_R);
            let prf_len = suite.prf.key_len();
            let integ_len = suite.integ.map_or(0, |i| i.key_len());
            let encr_len = suite.encr.key_len();
            assert_eq!(k.sk_d.len(), prf_len, "{suite}");
            assert_eq!(
                (k.sk_ai.len(), k.sk_ar.len()),
                (integ_len, integ_len),
                "{suite}"
            );
            assert_eq!(
                (k.sk_ei.len(), k.sk_er.len()),
                (encr_len, encr_len),
                "{suite}"
            );
            assert_eq!(
                (k.sk_pi.len(), k.sk_pr.len()),
                (prf_len, prf_len),
                "{suite}"
            );
            assert_ne!(k.sk_ei, k.sk_er);
            assert_ne!(k.sk_pi, k.sk_pr);
            let child = derive_child_sa_keys(
                suite.prf,
                &k.sk_d,
                None,
                &[1; 32],
                &[2; 32],
                suite.encr,
                suite.integ,
            );
            assert_eq!(
                (child.encr_i.len(), child.encr_r.len()),
                (encr_len, encr_len)
            );
            assert_eq!(
                (child.integ_i.len(), child.integ_r.len()),
                (integ_len, integ_len)
            );
        }
    }

    /// aes256gcm16-prfsha384: SKEYSEED and prf+ recomputed with ring's HMAC.
    #[test]
    fn ike_sa_keys_match_manual_computation() {
        let suite = IkeSuite {
            encr: EncrAlg::AesGcm16_256,
            prf: PrfAlg::HmacSha384,
            integ: None,
            dh: DhGroup::Ecp384,
        };
        let (ni, nr) = (vec![0x4e; 32], vec![0x52; 48]);
        let g_ir = Secret::new((0u8..48).collect());
        let k = derive_ike_sa_keys(&suite, &ni, &nr, &g_ir, &SPI_I, &SPI_R);

        let skeyseed = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA384, &[&ni[..], &nr].concat()),
            g_ir.expose(),
        );
        let prf_key = hmac::Key::new(hmac::HMAC_SHA384, skeyseed.as_ref());
        let seed = [&ni[..], &nr, &SPI_I, &SPI_R].concat();
        let mut stream = Vec::new();
        let mut prev = Vec::new();
        for n in 1u8..=5 {
            let t = hmac::sign(&prf_key, &[&prev[..], &seed, &[n]].concat());
            prev = t.as_ref().to_vec();
            stream.extend_from_slice(t.as_ref());
        }
        // 48 (d) + 0 + 0 + 36 (ei) + 36 (er) + 48 (pi) + 48 (pr) = 216 bytes.
        assert_eq!(k.sk_d.expose(), &stream[..48]);
        assert!(k.sk_ai.is_empty() && k.sk_ar.is_empty());
        assert_eq!(k.sk_ei.expose(), &stream[48..84]);
        assert_eq!(k.sk_er.expose(), &stream[84..120]);
        assert_eq!(k.sk_pi.expose(), &stream[120..168]);
        assert_eq!(k.sk_pr.expose(), &stream[168..216]);
    }

    /// aes256-sha256-prfsha256-modp3072 against values computed with
    /// Python's `hmac` module (an independent HMAC implementation).
    #[test]
    fn ike_sa_keys_known_answer_cbc_suite() {
        let suite = IkeSuite {
            encr: EncrAlg::AesCbc256,
            prf: PrfAlg::HmacSha256,
            integ: Some(IntegAlg::HmacSha256_128),
            dh: DhGroup::Modp3072,
        };
        let k = derive_ike_sa_keys(
            &suite,
            &[0xa1; 32],
            &[0xb2; 32],
            &Secret::new(vec![0xc3; 384]),
            &SPI_I,
            &SPI_R,
        );
        let expect = |s: &Secret, h: &str| assert_eq!(s.expose(), hex(h).as_slice());
        expect(
            &k.sk_d,
            "02da22469b0f36192572a73ccc2736625263160e4c36b5d40f293fb2e0632780",
        );
        expect(
            &k.sk_ai,
            "8fcf77223240798ca41e1607a3f9ea32acbbd75a899d3d228864256af1a22213",
        );
        expect(
            &k.sk_ar,
            "6213b44af49a6b4cd958a89954455f302d9e6cb99b753310914e02b00386be94",
        );
        expect(
            &k.sk_ei,
            "2e4e519b1d8494d0b6824b07fdcdab79955c013b4d5569c778b55efaed37e2ea",
        );
        expect(
            &k.sk_er,
            "2fb6966c9aac25f159f252c80d0ed3665b38c3b1721202e0f862815b0fdd8d42",
        );
        expect(
            &k.sk_pi,
            "0c73494affd26cb47b5887f2b5aaccb3622ca1b1b08aa402e5233f2fcdeee7fb",
        );
        expect(
            &k.sk_pr,
            "94cbd948495d35dc6adcc75d4b5ad11d540b9a093a515c05cd15b88c3450154c",
        );

        // Child SAs from that SK_d (same Python computation).
        let (ni, nr) = ([0xa1; 32], [0xb2; 32]);
        let gcm = derive_child_sa_keys(
            PrfAlg::HmacSha256,
            &k.sk_d,
            None,
            &ni,
            &nr,
            EncrAlg::AesGcm16_128,
            None,
        );
        let stream =
            hex("a4537baacbe6e7d50fc011dab3cd4be5d75bae44c637a72e98aaa35da177ec4a7897dc08c2c95882");
        assert_eq!(gcm.encr_i.expose(), &stream[..20]);
        assert!(gcm.integ_i.is_empty());
        assert_eq!(gcm.encr_r.expose(), &stream[20..]);
        assert!(gcm.integ_r.is_empty());

        let g_ir = Secret::new(vec![0x77; 32]);
        let cbc = derive_child_sa_keys(
            PrfAlg::HmacSha256,
            &k.sk_d,
            Some(&g_ir),
            &ni,
            &nr,
            EncrAlg::AesCbc128,
            Some(IntegAlg::HmacSha256_128),
        );
        let stream = hex(
            "97b2b7591a5963bb6f6e69f1767b03018e43df1872833a19cf070ff0c389b05b0ada61fa1270f7ff012998ff7528fa1d
             39735374465f8c9564ba03009b0152f1b19f8e8f43e47c32fd8b2ad4e648405d76ca4aa8db7ec54b4d7f245ece1c1b96",
        );
        assert_eq!(cbc.encr_i.expose(), &stream[..16]);
        assert_eq!(cbc.integ_i.expose(), &stream[16..48]);
        assert_eq!(cbc.encr_r.expose(), &stream[48..64]);
        assert_eq!(cbc.integ_r.expose(), &stream[64..96]);

        // Rekeyed IKE SA: old PRF sha256 with the old SK_d, new suite with
        // PRF sha512 (Python as above).
        let new_suite = IkeSuite {
            encr: EncrAlg::AesGcm16_128,
            prf: PrfAlg::HmacSha512,
            integ: None,
            dh: DhGroup::Curve25519,
        };
        let rekeyed = derive_rekeyed_ike_sa_keys(
            PrfAlg::HmacSha256,
            &k.sk_d,
            &new_suite,
            &ni,
            &nr,
            &g_ir,
            &SPI_I,
            &SPI_R,
        );
        expect(
            &rekeyed.sk_d,
            "a29ee381837ffd58ad92e2c6650b1892af9bfd74f220700f5f0b7a5149dd5318\
             885373bf6b6f4a992a458be12d3e79b5d21807bef689fa661593a414090ae710",
        );
        expect(&rekeyed.sk_er, "d3b2c9f2a8850ec15a0beae91d20466acd150e8b");
        assert_eq!(rekeyed.sk_pr.len(), 64);
    }

    #[test]
    fn rekey_uses_old_prf_and_sk_d() {
        let suite = IkeSuite {
            encr: EncrAlg::ChaCha20Poly1305,
            prf: PrfAlg::HmacSha256,
            integ: None,
            dh: DhGroup::Curve25519,
        };
        let old_sk_d = Secret::new(vec![0x5d; 64]);
        let g_ir = Secret::new(vec![0x99; 32]);
        let (ni, nr) = ([1u8; 16], [2u8; 16]);
        let k = derive_rekeyed_ike_sa_keys(
            PrfAlg::HmacSha512,
            &old_sk_d,
            &suite,
            &ni,
            &nr,
            &g_ir,
            &SPI_I,
            &SPI_R,
        );
        let skeyseed =
            PrfAlg::HmacSha512.compute(old_sk_d.expose(), &[g_ir.expose(), &ni, &nr].concat());
        assert_eq!(skeyseed.len(), 64);
        let seed = [&ni[..], &nr, &SPI_I, &SPI_R].concat();
        let stream = PrfAlg::HmacSha256
            .prf_plus(skeyseed.expose(), &seed, 32 + 36 + 36 + 32 + 32)
            .unwrap();
        assert_eq!(k.sk_d.expose(), &stream.expose()[..32]);
        assert_eq!(k.sk_er.expose(), &stream.expose()[68..104]);
        assert_eq!(k.sk_pr.expose(), &stream.expose()[136..168]);
        // Differs from a fresh IKE SA with the same inputs.
        assert_ne!(
            derive_ike_sa_keys(&suite, &ni, &nr, &g_ir, &SPI_I, &SPI_R).sk_d,
            k.sk_d
        );
    }

    #[test]
    fn debug_is_redacted() {
        let suite = IkeSuite {
            encr: EncrAlg::AesGcm16_128,
            prf: PrfAlg::HmacSha256,
            integ: None,
            dh: DhGroup::Ecp256,
        };
        let k = derive_ike_sa_keys(
            &suite,
            &[1; 8],
            &[2; 8],
            &Secret::new(vec![3; 32]),
            &SPI_I,
            &SPI_R,
        );
        let printed = format!("{k:?}");
        assert!(
            printed.contains("sk_d: Secret([redacted; 32 bytes])"),
            "{printed}"
        );
        assert!(
            printed.contains("sk_ai: Secret([redacted; 0 bytes])"),
            "{printed}"
        );
        let child = derive_child_sa_keys(
            PrfAlg::HmacSha256,
            &k.sk_d,
            None,
            &[1],
            &[2],
            EncrAlg::AesGcm16_128,
            None,
        );
        assert!(format!("{child:?}").contains("encr_i: Secret([redacted; 20 bytes])"));
    }
}
