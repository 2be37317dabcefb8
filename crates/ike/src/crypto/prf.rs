//! IKEv2 pseudo-random functions (transform type 2) and `prf+`.

use ring::hmac;

use super::error::CryptoError;
use super::secret::Secret;

/// A PRF transform (RFC 7296 3.3.2, RFC 4868): HMAC-SHA2 through `ring`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrfAlg {
    /// `PRF_HMAC_SHA2_256` (5).
    HmacSha256,
    /// `PRF_HMAC_SHA2_384` (6).
    HmacSha384,
    /// `PRF_HMAC_SHA2_512` (7).
    HmacSha512,
}

impl PrfAlg {
    /// All supported PRFs, strongest last.
    pub const ALL: [PrfAlg; 3] = [Self::HmacSha256, Self::HmacSha384, Self::HmacSha512];

    /// The PRF for an IANA transform ID, if supported.
    pub fn from_transform(id: u16) -> Option<Self> {
        match id {
            5 => Some(Self::HmacSha256),
            6 => Some(Self::HmacSha384),
            7 => Some(Self::HmacSha512),
            _ => None,
        }
    }

    /// The IANA transform ID.
    pub fn transform_id(&self) -> u16 {
        match self {
            Self::HmacSha256 => 5,
            Self::HmacSha384 => 6,
            Self::HmacSha512 => 7,
        }
    }

    /// Output length in bytes (32, 48, 64).
    pub fn output_len(&self) -> usize {
        match self {
            Self::HmacSha256 => 32,
            Self::HmacSha384 => 48,
            Self::HmacSha512 => 64,
        }
    }

    /// Preferred key length in bytes for `SK_d`, `SK_pi`, `SK_pr`
    /// (RFC 4868 2.1.1: the output length).
    pub fn key_len(&self) -> usize {
        self.output_len()
    }

    /// strongSwan-style name: `prfsha256`, `prfsha384`, `prfsha512`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::HmacSha256 => "prfsha256",
            Self::HmacSha384 => "prfsha384",
            Self::HmacSha512 => "prfsha512",
        }
    }

    pub(crate) fn hmac_algorithm(&self) -> hmac::Algorithm {
        match self {
            Self::HmacSha256 => hmac::HMAC_SHA256,
            Self::HmacSha384 => hmac::HMAC_SHA384,
            Self::HmacSha512 => hmac::HMAC_SHA512,
        }
    }

    /// `prf(key, data)`: HMAC over `data` (any key length is accepted).
    pub fn compute(&self, key: &[u8], data: &[u8]) -> Secret {
        self.compute_parts(key, &[data])
    }

    /// `prf(key, data[0] | data[1] | ...)` without concatenating first.
    pub(crate) fn compute_parts(&self, key: &[u8], data: &[&[u8]]) -> Secret {
        let key = hmac::Key::new(self.hmac_algorithm(), key);
        let mut ctx = hmac::Context::with_key(&key);
        for part in data {
            ctx.update(part);
        }
        Secret::from_slice(ctx.sign().as_ref())
    }

    /// The largest output `prf+` can produce: 255 blocks.
    pub fn prf_plus_max_len(&self) -> usize {
        255 * self.output_len()
    }

    /// `prf+(K, S)` of RFC 7296 2.13, truncated to `len` bytes:
    /// `T1 = prf(K, S | 0x01)`, `Tn = prf(K, Tn-1 | S | n)`.
    ///
    /// # Errors
    ///
    /// [`CryptoError::PrfPlusTooLong`] when `len` exceeds
    /// [`Self::prf_plus_max_len`] (the counter is a single octet).
    pub fn prf_plus(&self, key: &[u8], seed: &[u8], len: usize) -> Result<Secret, CryptoError> {
        let out_len = self.output_len();
        let max = self.prf_plus_max_len();
        let too_long = CryptoError::PrfPlusTooLong {
            requested: len,
            max,
        };
        if len > max {
            return Err(too_long);
        }
        let blocks = u8::try_from(len.div_ceil(out_len)).map_err(|_| too_long)?;
        let hkey = hmac::Key::new(self.hmac_algorithm(), key);
        // Reserve everything up front: the buffer never reallocates, so no
        // unwiped copy of the key stream is left behind.
        let mut buf = Secret::new(Vec::with_capacity(usize::from(blocks) * out_len));
        for n in 1..=blocks {
            let mut ctx = hmac::Context::with_key(&hkey);
            if n > 1 {
                let prev_start = (usize::from(n) - 2) * out_len;
                ctx.update(&buf.expose()[prev_start..prev_start + out_len]);
            }
            ctx.update(seed);
            ctx.update(&[n]);
            buf.extend_from_slice(ctx.sign().as_ref());
        }
        buf.truncate(len);
        Ok(buf)
    }
}

impl std::fmt::Display for PrfAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::test_util::hex;

    /// RFC 4231 test cases 1-4, 6 and 7 (the PRF-HMAC-SHA-256/384/512 vectors
    /// of RFC 4868 2.7.1 are the same cases).
    #[test]
    fn rfc4231_vectors() {
        let big_key = vec![0xaau8; 131];
        let cases: [(Vec<u8>, Vec<u8>, [&str; 3]); 6] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                [
                    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
                    "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c\
                     faea9ea9076ede7f4af152e8b2fa9cb6",
                    "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde\
                     daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
                ],
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                [
                    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                    "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e\
                     8e2240ca5e69e2c78b3239ecfab21649",
                    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
                     9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
                ],
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                [
                    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
                    "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b\
                     2a5ab39dc13814b94e3ab6e101a34f27",
                    "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39\
                     bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
                ],
            ),
            (
                (1u8..=25).collect(),
                vec![0xcd; 50],
                [
                    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
                    "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e\
                     6801dd23c4a7d679ccf8a386c674cffb",
                    "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db\
                     a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
                ],
            ),
            (
                big_key.clone(),
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                [
                    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
                    "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6\
                     0c2ef6ab4030fe8296248df163f44952",
                    "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352\
                     6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
                ],
            ),
            (
                big_key,
                b"This is a test using a larger than block-size key and a larger than block-size data. \
                  The key needs to be hashed before being used by the HMAC algorithm."
                    .to_vec(),
                [
                    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
                    "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5\
                     a678cc31e799176d3860e6110c46523e",
                    "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944\
                     b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
                ],
            ),
        ];
        for (key, data, outputs) in &cases {
            for (alg, out) in PrfAlg::ALL.iter().zip(outputs) {
                let mac = alg.compute(key, data);
                assert_eq!(mac.expose(), hex(out).as_slice(), "{alg:?}");
                assert_eq!(mac.len(), alg.output_len());
            }
        }
    }

    #[test]
    fn transform_ids_and_names() {
        for alg in PrfAlg::ALL {
            assert_eq!(PrfAlg::from_transform(alg.transform_id()), Some(alg));
            assert_eq!(alg.key_len(), alg.output_len());
        }
        assert_eq!(PrfAlg::from_transform(2), None);
        assert_eq!(PrfAlg::HmacSha384.name(), "prfsha384");
    }

    /// `prf+` against T1 | T2 | T3 computed directly with ring's HMAC.
    #[test]
    fn prf_plus_matches_manual_expansion() {
        let key = b"prf+ key";
        let seed = b"Ni | Nr | SPIi | SPIr";
        for alg in PrfAlg::ALL {
            let hkey = hmac::Key::new(alg.hmac_algorithm(), key);
            let t1 = hmac::sign(&hkey, &[&seed[..], &[1]].concat());
            let t2 = hmac::sign(&hkey, &[t1.as_ref(), &seed[..], &[2]].concat());
            let t3 = hmac::sign(&hkey, &[t2.as_ref(), &seed[..], &[3]].concat());
            let manual = [t1.as_ref(), t2.as_ref(), t3.as_ref()].concat();
            let n = alg.output_len();
            for len in [0, 1, n - 1, n, n + 1, 2 * n, 3 * n - 5, 3 * n] {
                let out = alg.prf_plus(key, seed, len).unwrap();
                assert_eq!(out.expose(), &manual[..len], "{alg:?} len {len}");
            }
        }
    }

    #[test]
    fn prf_plus_limit() {
        let alg = PrfAlg::HmacSha256;
        let max = alg.prf_plus_max_len();
        assert_eq!(max, 255 * 32);
        assert_eq!(alg.prf_plus(b"k", b"s", max).unwrap().len(), max);
        assert_eq!(
            alg.prf_plus(b"k", b"s", max + 1),
            Err(CryptoError::PrfPlusTooLong {
                requested: max + 1,
                max
            })
        );
    }
}
