//! Our private key: loading it from PKCS#8, choosing the signature algorithm
//! and signing.
//!
//! The key material lives inside ring's key-pair types, which never print
//! it; [`SigningKey`]'s `Debug` shows only the key type. ring's signing
//! functions take ring's own sealed `SecureRandom`, so signatures draw from
//! the OS generator (`ring::rand::SystemRandom`) rather than the engine's
//! injected `RandomSource`; only ECDSA signature bytes are affected, and they
//! verify all the same.

use std::fmt;

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};

use super::algorithm::{Hash, SigAlg, HASH_SHA2_256, HASH_SHA2_384, HASH_SHA2_512};
use super::der::{self, Reader};
use super::error::AuthError;
use super::key_kind::{rsa_modulus_bits, KeyKind, MIN_RSA_BITS};

/// The ring key pair behind a [`SigningKey`].
enum Inner {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A private key we sign AUTH payloads with.
pub(super) struct SigningKey {
    kind: KeyKind,
    inner: Inner,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.kind.name())
    }
}

impl SigningKey {
    /// Loads an unencrypted PKCS#8 `PrivateKeyInfo` (RSA, ECDSA P-256/P-384
    /// or Ed25519).
    pub(super) fn from_pkcs8(pkcs8: &[u8]) -> Result<Self, AuthError> {
        let kind = pkcs8_key_kind(pkcs8)
            .map_err(|e| AuthError::InvalidKey(format!("not a usable PKCS#8 key: {e}")))?;
        let rejected = |e: ring::error::KeyRejected| {
            AuthError::InvalidKey(format!("{} key rejected: {e}", kind.name()))
        };
        let rng = SystemRandom::new();
        let (kind, inner) = match kind {
            KeyKind::Rsa { .. } => {
                let pair = RsaKeyPair::from_pkcs8(pkcs8).map_err(rejected)?;
                let bits =
                    rsa_modulus_bits(pair.public().as_ref()).map_err(AuthError::InvalidKey)?;
                if bits < MIN_RSA_BITS {
                    return Err(AuthError::InvalidKey(format!(
                        "RSA key has {bits} bits; at least {MIN_RSA_BITS} are required"
                    )));
                }
                (KeyKind::Rsa { bits }, Inner::Rsa(pair))
            }
            KeyKind::EcP256 => {
                let alg = &signature::ECDSA_P256_SHA256_ASN1_SIGNING;
                (
                    kind,
                    Inner::Ecdsa(EcdsaKeyPair::from_pkcs8(alg, pkcs8, &rng).map_err(rejected)?),
                )
            }
            KeyKind::EcP384 => {
                let alg = &signature::ECDSA_P384_SHA384_ASN1_SIGNING;
                (
                    kind,
                    Inner::Ecdsa(EcdsaKeyPair::from_pkcs8(alg, pkcs8, &rng).map_err(rejected)?),
                )
            }
            KeyKind::Ed25519 => (
                kind,
                Inner::Ed25519(
                    Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).map_err(rejected)?,
                ),
            ),
        };
        Ok(Self { kind, inner })
    }

    /// The key type.
    pub(super) fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The public key as it appears in a certificate's subjectPublicKey
    /// (RSAPublicKey DER, uncompressed EC point, raw Ed25519 key).
    pub(super) fn public_key(&self) -> &[u8] {
        match &self.inner {
            Inner::Rsa(pair) => pair.public().as_ref(),
            Inner::Ecdsa(pair) => pair.public_key().as_ref(),
            Inner::Ed25519(pair) => pair.public_key().as_ref(),
        }
    }

    /// The RFC 7427 signature algorithm for this key given the peer's
    /// SIGNATURE_HASH_ALGORITHMS list: RSA uses PKCS#1 v1.5 with SHA-256
    /// unless the peer lists SHA2-384 or SHA2-512 but not SHA2-256; ECDSA
    /// uses the hash matching the curve; Ed25519 has no separate hash.
    pub(super) fn choose_algorithm(&self, peer_hashes: &[u16]) -> SigAlg {
        match self.kind {
            KeyKind::Rsa { .. } => {
                let hash = if peer_hashes.contains(&HASH_SHA2_256) {
                    Hash::Sha256
                } else if peer_hashes.contains(&HASH_SHA2_384) {
                    Hash::Sha384
                } else if peer_hashes.contains(&HASH_SHA2_512) {
                    Hash::Sha512
                } else {
                    Hash::Sha256
                };
                SigAlg::RsaPkcs1(hash)
            }
            KeyKind::EcP256 => SigAlg::Ecdsa(Hash::Sha256),
            KeyKind::EcP384 => SigAlg::Ecdsa(Hash::Sha384),
            KeyKind::Ed25519 => SigAlg::Ed25519,
        }
    }

    /// Signs `msg` with `alg`, which must suit the key (ECDSA: DER
    /// `Ecdsa-Sig-Value`).
    pub(super) fn sign(&self, alg: SigAlg, msg: &[u8]) -> Result<Vec<u8>, AuthError> {
        let failed = |detail: &str| AuthError::Signing {
            key: self.kind.name(),
            detail: detail.into(),
        };
        let rng = SystemRandom::new();
        match (&self.inner, alg) {
            (Inner::Rsa(pair), SigAlg::RsaPkcs1(hash) | SigAlg::RsaPss(hash)) => {
                let pss = matches!(alg, SigAlg::RsaPss(_));
                let padding: &'static dyn signature::RsaEncoding = match (pss, hash) {
                    (false, Hash::Sha256) => &signature::RSA_PKCS1_SHA256,
                    (false, Hash::Sha384) => &signature::RSA_PKCS1_SHA384,
                    (false, Hash::Sha512) => &signature::RSA_PKCS1_SHA512,
                    (true, Hash::Sha256) => &signature::RSA_PSS_SHA256,
                    (true, Hash::Sha384) => &signature::RSA_PSS_SHA384,
                    (true, Hash::Sha512) => &signature::RSA_PSS_SHA512,
                };
                let mut sig = vec![0; pair.public().modulus_len()];
                pair.sign(padding, &rng, msg, &mut sig)
                    .map_err(|_| failed("RSA signing error"))?;
                Ok(sig)
            }
            (Inner::Ecdsa(pair), SigAlg::Ecdsa(hash)) if Some(hash) == self.curve_hash() => pair
                .sign(&rng, msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| failed("ECDSA signing error")),
            (Inner::Ed25519(pair), SigAlg::Ed25519) => Ok(pair.sign(msg).as_ref().to_vec()),
            _ => Err(failed(&format!(
                "{} cannot be produced with this key",
                alg.name()
            ))),
        }
    }

    /// The hash an ECDSA key signs with (the one matching its curve).
    pub(super) fn curve_hash(&self) -> Option<Hash> {
        match self.kind {
            KeyKind::EcP256 => Some(Hash::Sha256),
            KeyKind::EcP384 => Some(Hash::Sha384),
            _ => None,
        }
    }
}

/// The key type named by a PKCS#8 `PrivateKeyInfo`'s algorithm.
fn pkcs8_key_kind(pkcs8: &[u8]) -> Result<KeyKind, String> {
    let contents = der::read_single(pkcs8, der::SEQUENCE, "PrivateKeyInfo")?;
    let mut r = Reader::new(&contents);
    let version = r.read(der::INTEGER, "PKCS#8 version")?;
    if der::small_integer(version, "PKCS#8 version")? > 1 {
        return Err("unknown PKCS#8 version".into());
    }
    let alg = r.read(der::SEQUENCE, "PKCS#8 privateKeyAlgorithm")?;
    r.read(der::OCTET_STRING, "PKCS#8 privateKey")?;
    KeyKind::from_algorithm(alg)
}

/// Converts a DER `Ecdsa-Sig-Value` into the fixed `r || s` form of RFC 4754
/// (each integer left-padded to `scalar_len` bytes).
pub(super) fn ecdsa_der_to_fixed(sig: &[u8], scalar_len: usize) -> Result<Vec<u8>, String> {
    let contents = der::read_single(sig, der::SEQUENCE, "Ecdsa-Sig-Value")?;
    let mut reader = Reader::new(&contents);
    let mut out = Vec::with_capacity(2 * scalar_len);
    for what in ["r", "s"] {
        let int = reader.read(der::INTEGER, what)?;
        let magnitude = der::unsigned_integer(int, what)?;
        if magnitude.len() > scalar_len {
            return Err(format!("ECDSA {what} is longer than {scalar_len} bytes"));
        }
        out.resize(out.len() + scalar_len - magnitude.len(), 0);
        out.extend_from_slice(magnitude);
    }
    reader.finish("Ecdsa-Sig-Value")?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_to_fixed_pads_and_strips() {
        // r = 0x80 (needs a leading zero in DER), s = 0x01.
        let sig = [0x30, 0x07, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0x01];
        let fixed = ecdsa_der_to_fixed(&sig, 4).unwrap();
        assert_eq!(fixed, [0, 0, 0, 0x80, 0, 0, 0, 1]);
        assert!(ecdsa_der_to_fixed(&sig, 0).is_err());
        assert!(ecdsa_der_to_fixed(&[0x30, 0x00], 32).is_err());
    }

    #[test]
    fn garbage_keys_rejected() {
        for bad in [
            &b""[..],
            b"\x30\x00",
            b"not a key at all",
            &[0x30, 0x03, 0x02, 0x01, 0x00],
        ] {
            assert!(matches!(
                SigningKey::from_pkcs8(bad),
                Err(AuthError::InvalidKey(_))
            ));
        }
    }
}
