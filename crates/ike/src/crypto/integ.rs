//! IKEv2 integrity algorithms (transform type 3): truncated HMAC-SHA2.

use ring::hmac;
use subtle::ConstantTimeEq;

/// An integrity transform (RFC 4868): HMAC-SHA2 through `ring`, truncated
/// to half the hash output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntegAlg {
    /// `AUTH_HMAC_SHA2_256_128` (12).
    HmacSha256_128,
    /// `AUTH_HMAC_SHA2_384_192` (13).
    HmacSha384_192,
    /// `AUTH_HMAC_SHA2_512_256` (14).
    HmacSha512_256,
}

impl IntegAlg {
    /// All supported integrity algorithms.
    pub const ALL: [IntegAlg; 3] = [
        Self::HmacSha256_128,
        Self::HmacSha384_192,
        Self::HmacSha512_256,
    ];

    /// The algorithm for an IANA transform ID, if supported.
    pub fn from_transform(id: u16) -> Option<Self> {
        match id {
            12 => Some(Self::HmacSha256_128),
            13 => Some(Self::HmacSha384_192),
            14 => Some(Self::HmacSha512_256),
            _ => None,
        }
    }

    /// The IANA transform ID.
    pub fn transform_id(&self) -> u16 {
        match self {
            Self::HmacSha256_128 => 12,
            Self::HmacSha384_192 => 13,
            Self::HmacSha512_256 => 14,
        }
    }

    /// Key length in bytes (RFC 4868 2.1.1: the hash output length).
    pub fn key_len(&self) -> usize {
        match self {
            Self::HmacSha256_128 => 32,
            Self::HmacSha384_192 => 48,
            Self::HmacSha512_256 => 64,
        }
    }

    /// Length of the truncated ICV in bytes (16, 24, 32).
    pub fn icv_len(&self) -> usize {
        self.key_len() / 2
    }

    /// strongSwan-style name: `sha256`, `sha384`, `sha512`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::HmacSha256_128 => "sha256",
            Self::HmacSha384_192 => "sha384",
            Self::HmacSha512_256 => "sha512",
        }
    }

    /// The name Wireshark's IKEv2 decryption table (`ikev2_decryption_table`,
    /// `vs_ikev2_auth_algs` in `packet-isakmp.c`) expects.
    pub fn wireshark_ike_name(&self) -> &'static str {
        match self {
            Self::HmacSha256_128 => "HMAC_SHA2_256_128 [RFC4868]",
            Self::HmacSha384_192 => "HMAC_SHA2_384_192 [RFC4868]",
            Self::HmacSha512_256 => "HMAC_SHA2_512_256 [RFC4868]",
        }
    }

    /// The name Wireshark's ESP SA table (`esp_sa`,
    /// `esp_authentication_type_vals` in `packet-ipsec.c`) expects.
    pub fn wireshark_esp_name(&self) -> &'static str {
        match self {
            Self::HmacSha256_128 => "HMAC-SHA-256-128 [RFC4868]",
            Self::HmacSha384_192 => "HMAC-SHA-384-192 [RFC4868]",
            Self::HmacSha512_256 => "HMAC-SHA-512-256 [RFC4868]",
        }
    }

    fn hmac_algorithm(&self) -> hmac::Algorithm {
        match self {
            Self::HmacSha256_128 => hmac::HMAC_SHA256,
            Self::HmacSha384_192 => hmac::HMAC_SHA384,
            Self::HmacSha512_256 => hmac::HMAC_SHA512,
        }
    }

    /// The truncated ICV of `data` under `key`.
    pub fn compute(&self, key: &[u8], data: &[u8]) -> Vec<u8> {
        self.compute_parts(key, &[data])
    }

    /// The truncated ICV of `data[0] | data[1] | ...`.
    pub(crate) fn compute_parts(&self, key: &[u8], data: &[&[u8]]) -> Vec<u8> {
        let key = hmac::Key::new(self.hmac_algorithm(), key);
        let mut ctx = hmac::Context::with_key(&key);
        for part in data {
            ctx.update(part);
        }
        ctx.sign().as_ref()[..self.icv_len()].to_vec()
    }

    /// Checks `icv` against the ICV of `data`, in constant time.
    pub fn verify(&self, key: &[u8], data: &[u8], icv: &[u8]) -> bool {
        self.verify_parts(key, &[data], icv)
    }

    /// [`Self::verify`] over `data[0] | data[1] | ...`.
    pub(crate) fn verify_parts(&self, key: &[u8], data: &[&[u8]], icv: &[u8]) -> bool {
        if icv.len() != self.icv_len() {
            return false;
        }
        self.compute_parts(key, data).ct_eq(icv).into()
    }
}

impl std::fmt::Display for IntegAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::test_util::hex;

    #[test]
    fn transform_ids_and_lengths() {
        for alg in IntegAlg::ALL {
            assert_eq!(IntegAlg::from_transform(alg.transform_id()), Some(alg));
            assert_eq!(alg.icv_len() * 2, alg.key_len());
        }
        assert_eq!(IntegAlg::from_transform(2), None);
        assert_eq!(IntegAlg::HmacSha384_192.icv_len(), 24);
        assert_eq!(IntegAlg::HmacSha512_256.name(), "sha512");
        assert_eq!(
            IntegAlg::HmacSha256_128.wireshark_ike_name(),
            "HMAC_SHA2_256_128 [RFC4868]"
        );
        assert_eq!(
            IntegAlg::HmacSha384_192.wireshark_esp_name(),
            "HMAC-SHA-384-192 [RFC4868]"
        );
    }

    /// RFC 4868 section 2.7.2 authenticator vectors (AUTH256-1..4,
    /// AUTH384-1..3, AUTH512-1..3): keys of the full output length, ICV
    /// truncated to half.
    #[test]
    fn rfc4868_authenticator_vectors() {
        let hi = b"Hi There".to_vec();
        let what = b"what do ya want for nothing?".to_vec();
        let dd = vec![0xddu8; 50];
        let cd = vec![0xcdu8; 50];
        let cases: [(IntegAlg, Vec<u8>, &Vec<u8>, &str); 10] = [
            (
                IntegAlg::HmacSha256_128,
                vec![0x0b; 32],
                &hi,
                "198a607eb44bfbc69903a0f1cf2bbdc5",
            ),
            (
                IntegAlg::HmacSha256_128,
                b"Jefe".repeat(8),
                &what,
                "167f928588c5cc2eef8e3093caa0e87c",
            ),
            (
                IntegAlg::HmacSha256_128,
                vec![0xaa; 32],
                &dd,
                "cdcb1220d1ecccea91e53aba3092f962",
            ),
            (
                IntegAlg::HmacSha256_128,
                (1u8..=32).collect(),
                &cd,
                "372efcf9b40b35c2115b1346903d2ef4",
            ),
            (
                IntegAlg::HmacSha384_192,
                vec![0x0b; 48],
                &hi,
                "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973",
            ),
            (
                IntegAlg::HmacSha384_192,
                b"Jefe".repeat(12),
                &what,
                "2c7353974f1842fd66d53c452ca42122b28c0b594cfb184d",
            ),
            (
                IntegAlg::HmacSha384_192,
                vec![0xaa; 48],
                &dd,
                "809f439be00274321d4a538652164b53554a508184a0c316",
            ),
            (
                IntegAlg::HmacSha512_256,
                vec![0x0b; 64],
                &hi,
                "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8",
            ),
            (
                IntegAlg::HmacSha512_256,
                b"Jefe".repeat(16),
                &what,
                "cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b15454",
            ),
            (
                IntegAlg::HmacSha512_256,
                vec![0xaa; 64],
                &dd,
                "2ee7acd783624ca9398710f3ee05ae41b9f9b0510c87e49e586cc9bf961733d8",
            ),
        ];
        for (alg, key, data, icv) in cases {
            assert_eq!(alg.key_len(), key.len());
            let expected = hex(icv);
            assert_eq!(alg.compute(&key, data), expected, "{alg:?}");
            assert!(alg.verify(&key, data, &expected));
            let mut bad = expected.clone();
            bad[0] ^= 1;
            assert!(!alg.verify(&key, data, &bad));
            assert!(!alg.verify(&key, data, &expected[..expected.len() - 1]));
        }
    }

    #[test]
    fn parts_equal_concatenation() {
        let alg = IntegAlg::HmacSha256_128;
        let key = [3u8; 32];
        let whole = alg.compute(&key, b"header|iv|ciphertext");
        assert_eq!(
            alg.compute_parts(&key, &[b"header|", b"iv|", b"ciphertext"]),
            whole
        );
        assert!(alg.verify_parts(&key, &[b"header|iv|", b"ciphertext"], &whole));
    }
}
