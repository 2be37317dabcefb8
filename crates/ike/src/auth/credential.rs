//! [`CertCredential`]: our certificate chain and private key, and producing
//! AUTH signatures with them.

use std::fmt;
use std::sync::Arc;

use rustls_pki_types::pem::{self, PemObject as _};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use zeroize::Zeroize as _;

use crate::message::{AuthMethod, IdType};

use super::cert_info::CertInfo;
use super::error::AuthError;
use super::identity;
use super::key_kind::{parse_spki, KeyKind};
use super::signing_key::{ecdsa_der_to_fixed, SigningKey};

/// Our certificate chain (leaf first) and the leaf's private key.
///
/// Cloning is cheap (the key is shared). `Debug` shows the subject, the
/// identity and the key type, never key material.
#[derive(Clone)]
pub struct CertCredential {
    chain: Vec<Vec<u8>>,
    key: Arc<SigningKey>,
    subject: String,
    identity: (IdType, Vec<u8>),
}

impl fmt::Debug for CertCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertCredential")
            .field("subject", &self.subject)
            .field(
                "identity",
                &identity::describe(self.identity.0, &self.identity.1),
            )
            .field("key", &self.key.kind().name())
            .field("chain_len", &self.chain.len())
            .finish()
    }
}

impl CertCredential {
    /// Loads a chain of PEM `CERTIFICATE` blocks (leaf first, then any
    /// intermediates to send) and an unencrypted PKCS#8 private key in PEM
    /// (`BEGIN PRIVATE KEY`). The key must belong to the leaf.
    pub fn from_pem(chain_pem: &[u8], key_pkcs8_pem: &[u8]) -> Result<Self, AuthError> {
        let chain = certificates_from_pem(chain_pem, "certificate chain")?;
        let mut key = match PrivateKeyDer::from_pem_slice(key_pkcs8_pem) {
            Ok(key) => key,
            Err(pem::Error::NoItemsFound) => return Err(missing_key_error(key_pkcs8_pem)),
            Err(e) => {
                return Err(AuthError::Pem {
                    what: "private key",
                    detail: e.to_string(),
                })
            }
        };
        let result = match &key {
            PrivateKeyDer::Pkcs8(pkcs8) => Self::from_der(chain, pkcs8.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(_) => Err(AuthError::InvalidKey(
                "found a PKCS#1 'RSA PRIVATE KEY'; convert it to PKCS#8 with \
                 `openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pkcs8.pem`"
                    .into(),
            )),
            PrivateKeyDer::Sec1(_) => Err(AuthError::InvalidKey(
                "found a SEC1 'EC PRIVATE KEY'; convert it to PKCS#8 with \
                 `openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pkcs8.pem`"
                    .into(),
            )),
            _ => Err(AuthError::InvalidKey(
                "unsupported private key format; use PKCS#8".into(),
            )),
        };
        key.zeroize();
        result
    }

    /// Loads a DER certificate chain (leaf first) and an unencrypted DER
    /// PKCS#8 private key belonging to the leaf.
    pub fn from_der(chain: Vec<Vec<u8>>, key_pkcs8_der: &[u8]) -> Result<Self, AuthError> {
        let Some(leaf_der) = chain.first() else {
            return Err(AuthError::Pem {
                what: "certificate chain",
                detail: "no certificate given".into(),
            });
        };
        let leaf = CertInfo::parse(leaf_der, "our certificate")?;
        for (i, der) in chain.iter().enumerate().skip(1) {
            CertInfo::parse(der, &format!("certificate {} of our chain", i + 1))?;
        }
        let key = SigningKey::from_pkcs8(key_pkcs8_der)?;
        let (cert_kind, cert_key) =
            parse_spki(&leaf.spki_der).map_err(|detail| AuthError::UnsupportedKey {
                cert: leaf.name(),
                detail,
            })?;
        if !same_kind(cert_kind, key.kind()) || cert_key != key.public_key() {
            return Err(AuthError::KeyMismatch { cert: leaf.name() });
        }
        Ok(Self {
            subject: leaf.subject.clone(),
            identity: identity::default_identity(&leaf),
            chain,
            key: Arc::new(key),
        })
    }

    /// The DER certificates to send in CERT payloads, leaf first.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// RFC 7427 Digital Signature AUTH data (AUTH method 14) over `octets`:
    /// one byte holding the AlgorithmIdentifier's length, the
    /// AlgorithmIdentifier DER, then the signature.
    ///
    /// `peer_hashes` is the peer's SIGNATURE_HASH_ALGORITHMS list (RFC 7427
    /// §4: 2 = SHA2-256, 3 = SHA2-384, 4 = SHA2-512). RSA keys sign with
    /// sha256WithRSAEncryption (PKCS#1 v1.5) unless the list lacks SHA2-256
    /// and offers SHA2-384 (then sha384) or SHA2-512 (then sha512); ECDSA
    /// P-256 keys sign with ecdsa-with-SHA256, P-384 with ecdsa-with-SHA384
    /// (DER signatures); Ed25519 keys with Ed25519 (RFC 8420).
    pub fn sign_digital_signature(
        &self,
        octets: &[u8],
        peer_hashes: &[u16],
    ) -> Result<Vec<u8>, AuthError> {
        let alg = self.key.choose_algorithm(peer_hashes);
        let alg_id = alg.algorithm_identifier();
        let signature = self.key.sign(alg, octets)?;
        let mut out = Vec::with_capacity(1 + alg_id.len() + signature.len());
        // The longest identifier produced (RSASSA-PSS) is 67 bytes.
        out.push(u8::try_from(alg_id.len()).map_err(|_| AuthError::Signing {
            key: self.key.kind().name(),
            detail: "AlgorithmIdentifier longer than 255 bytes".into(),
        })?);
        out.extend_from_slice(&alg_id);
        out.extend_from_slice(&signature);
        Ok(out)
    }

    /// RFC 4754 ECDSA AUTH data over `octets` for peers without RFC 7427:
    /// returns the AUTH method (9 for P-256/SHA-256, 10 for P-384/SHA-384)
    /// and the fixed-size `r || s` signature. Fails for non-ECDSA keys.
    pub fn sign_ecdsa_rfc4754(&self, octets: &[u8]) -> Result<(u8, Vec<u8>), AuthError> {
        let (method, scalar_len) = match self.key.kind() {
            KeyKind::EcP256 => (AuthMethod::ECDSA_256, 32),
            KeyKind::EcP384 => (AuthMethod::ECDSA_384, 48),
            other => {
                return Err(AuthError::Signing {
                    key: other.name(),
                    detail: "RFC 4754 ECDSA authentication needs an ECDSA P-256 or P-384 key; \
                             use the Digital Signature method instead"
                        .into(),
                })
            }
        };
        let alg = self.key.choose_algorithm(&[]);
        let der = self.key.sign(alg, octets)?;
        let fixed = ecdsa_der_to_fixed(&der, scalar_len).map_err(|detail| AuthError::Signing {
            key: self.key.kind().name(),
            detail,
        })?;
        Ok((method.0, fixed))
    }

    /// The identity the certificate carries best, for IDi/IDr: the first DNS
    /// SAN as FQDN, else the first email SAN as RFC822_ADDR, else the first
    /// IP SAN as IPV4_ADDR/IPV6_ADDR, else the subject DN (DER) as
    /// DER_ASN1_DN.
    pub fn default_identity(&self) -> (IdType, Vec<u8>) {
        self.identity.clone()
    }
}

/// RSA sizes are compared through the keys themselves.
fn same_kind(a: KeyKind, b: KeyKind) -> bool {
    matches!((a, b), (KeyKind::Rsa { .. }, KeyKind::Rsa { .. })) || a == b
}

/// Every `CERTIFICATE` block of `pem`, in order; at least one.
pub(super) fn certificates_from_pem(
    pem: &[u8],
    what: &'static str,
) -> Result<Vec<Vec<u8>>, AuthError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .map(|c| c.map(|c| c.as_ref().to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AuthError::Pem {
            what,
            detail: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(AuthError::Pem {
            what,
            detail: "no '-----BEGIN CERTIFICATE-----' block found".into(),
        });
    }
    Ok(certs)
}

/// The error for PEM input without a usable private key block.
fn missing_key_error(pem: &[u8]) -> AuthError {
    let encrypted = pem
        .windows(b"ENCRYPTED PRIVATE KEY".len())
        .any(|w| w == b"ENCRYPTED PRIVATE KEY");
    let detail = if encrypted {
        "the key is encrypted; decrypt it with `openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pkcs8.pem`"
    } else {
        "no '-----BEGIN PRIVATE KEY-----' (PKCS#8) block found"
    };
    AuthError::Pem {
        what: "private key",
        detail: detail.into(),
    }
}
