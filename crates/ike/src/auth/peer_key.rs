//! [`PeerKey`]: the public key of a validated peer certificate, and checking
//! AUTH payload signatures with it (RFC 7427, RFC 4754; RFC 7296 RSA_SIG is
//! refused because it means SHA-1).

use std::fmt;

use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

use crate::message::AuthMethod;

use super::algorithm::{Hash, SigAlg};
use super::error::AuthError;
use super::key_kind::{parse_spki, KeyKind};

/// A validated peer public key, as returned by
/// [`TrustAnchors::verify_peer`](super::TrustAnchors::verify_peer).
#[derive(Clone, PartialEq, Eq)]
pub struct PeerKey {
    kind: KeyKind,
    /// subjectPublicKey contents: RSAPublicKey DER, uncompressed EC point or
    /// raw Ed25519 key.
    key: Vec<u8>,
}

impl fmt::Debug for PeerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PeerKey({})", self.kind.name())
    }
}

impl PeerKey {
    /// Builds a key from a DER SubjectPublicKeyInfo; `cert` names the
    /// certificate it came from in errors.
    pub(super) fn from_spki(spki: &[u8], cert: &str) -> Result<Self, AuthError> {
        let (kind, key) = parse_spki(spki).map_err(|detail| AuthError::UnsupportedKey {
            cert: cert.to_string(),
            detail,
        })?;
        Ok(Self { kind, key })
    }

    /// The key type, e.g. "ECDSA P-256" or "RSA-2048", for logs.
    pub fn algorithm(&self) -> String {
        self.kind.name()
    }

    /// Verifies an AUTH payload's signature over `octets` (RFC 7296 2.15)
    /// for AUTH method `method`:
    ///
    /// * 14, Digital Signature (RFC 7427): `auth_data` is a one-byte length,
    ///   the signature AlgorithmIdentifier and the signature. Accepted:
    ///   sha256/384/512WithRSAEncryption, RSASSA-PSS with SHA-256/384/512
    ///   (MGF1 with the same hash, salt length = hash length),
    ///   ecdsa-with-SHA256/384 (DER signature; P-256 and P-384 keys with
    ///   either hash), Ed25519.
    /// * 9 / 10, ECDSA P-256/SHA-256 and P-384/SHA-384 (RFC 4754): fixed
    ///   `r || s` signature; the key must be on that curve.
    /// * 1, RSA_SIG: PKCS#1 v1.5 with SHA-1 → [`AuthError::WeakSignature`].
    ///
    /// Every other method, and anything malformed, is an error.
    pub fn verify(&self, method: u8, auth_data: &[u8], octets: &[u8]) -> Result<(), AuthError> {
        let (alg, name, signature): (&'static dyn VerificationAlgorithm, String, &[u8]) =
            match AuthMethod(method) {
                AuthMethod::DIGITAL_SIGNATURE => {
                    let (&len, rest) = auth_data.split_first().ok_or_else(|| {
                        AuthError::MalformedAuthData("empty Digital Signature AUTH data".into())
                    })?;
                    let len = usize::from(len);
                    if len == 0 || rest.len() < len {
                        return Err(AuthError::MalformedAuthData(format!(
                        "AlgorithmIdentifier length {len} does not fit the {} bytes of AUTH data",
                        auth_data.len()
                    )));
                    }
                    let (alg_id, signature) = rest.split_at(len);
                    let sig_alg = SigAlg::parse(alg_id)?;
                    (self.ring_algorithm(sig_alg)?, sig_alg.name(), signature)
                }
                AuthMethod::ECDSA_256 => {
                    let alg = self.fixed_ecdsa(
                        KeyKind::EcP256,
                        &signature::ECDSA_P256_SHA256_FIXED,
                        method,
                    )?;
                    (alg, "ECDSA P-256/SHA-256 (RFC 4754)".into(), auth_data)
                }
                AuthMethod::ECDSA_384 => {
                    let alg = self.fixed_ecdsa(
                        KeyKind::EcP384,
                        &signature::ECDSA_P384_SHA384_FIXED,
                        method,
                    )?;
                    (alg, "ECDSA P-384/SHA-384 (RFC 4754)".into(), auth_data)
                }
                AuthMethod::RSA_SIG => {
                    return Err(AuthError::WeakSignature(
                        "AUTH method 1 (RSA_SIG, PKCS#1 v1.5 with SHA-1)".into(),
                    ))
                }
                AuthMethod::ECDSA_521 => {
                    return Err(AuthError::UnsupportedAlgorithm(
                        "AUTH method 11 (ECDSA P-521 with SHA-512)".into(),
                    ))
                }
                other => {
                    let name = other
                        .name()
                        .map_or_else(|| method.to_string(), |n| format!("{method} ({n})"));
                    return Err(AuthError::UnsupportedAlgorithm(format!(
                        "AUTH method {name} is not a certificate signature method"
                    )));
                }
            };
        if signature.is_empty() {
            return Err(AuthError::MalformedAuthData(
                "the signature is empty".into(),
            ));
        }
        UnparsedPublicKey::new(alg, &self.key)
            .verify(octets, signature)
            .map_err(|_| AuthError::BadSignature {
                algorithm: name,
                key: self.kind.name(),
            })
    }

    /// ring's verifier for an RFC 7427 algorithm with this key.
    fn ring_algorithm(&self, alg: SigAlg) -> Result<&'static dyn VerificationAlgorithm, AuthError> {
        let mismatch = || AuthError::KeyAlgorithmMismatch {
            algorithm: alg.name(),
            key: self.kind.name(),
        };
        Ok(match (self.kind, alg) {
            (KeyKind::Rsa { .. }, SigAlg::RsaPkcs1(Hash::Sha256)) => {
                &signature::RSA_PKCS1_2048_8192_SHA256
            }
            (KeyKind::Rsa { .. }, SigAlg::RsaPkcs1(Hash::Sha384)) => {
                &signature::RSA_PKCS1_2048_8192_SHA384
            }
            (KeyKind::Rsa { .. }, SigAlg::RsaPkcs1(Hash::Sha512)) => {
                &signature::RSA_PKCS1_2048_8192_SHA512
            }
            (KeyKind::Rsa { .. }, SigAlg::RsaPss(Hash::Sha256)) => {
                &signature::RSA_PSS_2048_8192_SHA256
            }
            (KeyKind::Rsa { .. }, SigAlg::RsaPss(Hash::Sha384)) => {
                &signature::RSA_PSS_2048_8192_SHA384
            }
            (KeyKind::Rsa { .. }, SigAlg::RsaPss(Hash::Sha512)) => {
                &signature::RSA_PSS_2048_8192_SHA512
            }
            (KeyKind::EcP256, SigAlg::Ecdsa(Hash::Sha256)) => &signature::ECDSA_P256_SHA256_ASN1,
            (KeyKind::EcP256, SigAlg::Ecdsa(Hash::Sha384)) => &signature::ECDSA_P256_SHA384_ASN1,
            (KeyKind::EcP384, SigAlg::Ecdsa(Hash::Sha256)) => &signature::ECDSA_P384_SHA256_ASN1,
            (KeyKind::EcP384, SigAlg::Ecdsa(Hash::Sha384)) => &signature::ECDSA_P384_SHA384_ASN1,
            (KeyKind::EcP256 | KeyKind::EcP384, SigAlg::Ecdsa(Hash::Sha512)) => {
                return Err(AuthError::UnsupportedAlgorithm(format!(
                    "ecdsa-with-SHA512 with a {} key (ask the peer for SHA-256 or SHA-384)",
                    self.kind.name()
                )))
            }
            (KeyKind::Ed25519, SigAlg::Ed25519) => &signature::ED25519,
            _ => return Err(mismatch()),
        })
    }

    /// ring's fixed-format ECDSA verifier if the key is on `curve`.
    fn fixed_ecdsa(
        &self,
        curve: KeyKind,
        alg: &'static signature::EcdsaVerificationAlgorithm,
        method: u8,
    ) -> Result<&'static dyn VerificationAlgorithm, AuthError> {
        if self.kind == curve {
            Ok(alg)
        } else {
            Err(AuthError::KeyAlgorithmMismatch {
                algorithm: format!("AUTH method {method} ({})", curve.name()),
                key: self.kind.name(),
            })
        }
    }
}
