//! Signature algorithms of RFC 7427 AUTH payloads: the AlgorithmIdentifier
//! each one is sent as, parsing the one a peer sent (including
//! RSASSA-PSS parameters), and the hash numbers of the
//! SIGNATURE_HASH_ALGORITHMS notification.

use super::der::{self, Reader};
use super::error::{hex, AuthError};

/// RFC 7427 §4 hash algorithm number of SHA-1 (never used here).
pub const HASH_SHA1: u16 = 1;
/// RFC 7427 §4 hash algorithm number of SHA2-256.
pub const HASH_SHA2_256: u16 = 2;
/// RFC 7427 §4 hash algorithm number of SHA2-384.
pub const HASH_SHA2_384: u16 = 3;
/// RFC 7427 §4 hash algorithm number of SHA2-512.
pub const HASH_SHA2_512: u16 = 4;
/// RFC 8420 "Identity" hash number (signature algorithms without a separate
/// hash, i.e. Ed25519).
pub const HASH_IDENTITY: u16 = 5;

/// The hash algorithms this module can verify RFC 7427 signatures with, for
/// our SIGNATURE_HASH_ALGORITHMS notification.
pub const SUPPORTED_HASHES: &[u16] = &[HASH_SHA2_256, HASH_SHA2_384, HASH_SHA2_512, HASH_IDENTITY];

// OID contents (without tag and length).
const OID_SHA1_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];
const OID_SHA256_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
const OID_SHA384_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
const OID_SHA512_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];
const OID_RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const OID_MGF1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08];
const OID_ECDSA_WITH_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01];
const OID_ECDSA_WITH_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const OID_ECDSA_WITH_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
const OID_ECDSA_WITH_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const OID_ED448: &[u8] = &[0x2b, 0x65, 0x71];
const OID_SHA1: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1a];
const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
const OID_SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
const OID_SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];

/// A SHA-2 hash used inside a signature algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    /// Digest length in bytes (also the PSS salt length ring uses).
    pub(super) fn len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// "SHA-256", ...
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }

    fn oid(self) -> &'static [u8] {
        match self {
            Self::Sha256 => OID_SHA256,
            Self::Sha384 => OID_SHA384,
            Self::Sha512 => OID_SHA512,
        }
    }

    /// The hash named by a hash AlgorithmIdentifier (`SEQUENCE { OID, NULL? }`).
    fn from_algorithm_identifier(alg_id_contents: &[u8], what: &str) -> Result<Self, AuthError> {
        let mut r = Reader::new(alg_id_contents);
        let oid = r
            .read(der::OID, what)
            .map_err(AuthError::MalformedAuthData)?;
        // RFC 4055 §2.1: parameters are NULL or absent, both accepted.
        r.read_optional(der::NULL, what)
            .map_err(AuthError::MalformedAuthData)?;
        r.finish(what).map_err(AuthError::MalformedAuthData)?;
        match oid {
            OID_SHA256 => Ok(Self::Sha256),
            OID_SHA384 => Ok(Self::Sha384),
            OID_SHA512 => Ok(Self::Sha512),
            OID_SHA1 => Err(AuthError::WeakSignature(format!("RSASSA-PSS {what}"))),
            other => Err(AuthError::UnsupportedAlgorithm(format!(
                "{what} with OID {}",
                oid_to_string(other)
            ))),
        }
    }
}

/// A signature algorithm usable in an RFC 7427 AUTH payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SigAlg {
    /// RSASSA-PKCS1-v1_5 (`sha*WithRSAEncryption`).
    RsaPkcs1(Hash),
    /// RSASSA-PSS with MGF1 of the same hash and salt length = hash length.
    RsaPss(Hash),
    /// ECDSA (`ecdsa-with-SHA*`), DER `Ecdsa-Sig-Value` signature.
    Ecdsa(Hash),
    /// Ed25519 (RFC 8420).
    Ed25519,
}

impl SigAlg {
    /// The conventional name, for messages.
    pub(super) fn name(self) -> String {
        match self {
            Self::RsaPkcs1(h) => format!(
                "{}WithRSAEncryption",
                h.name().replace('-', "").to_lowercase()
            ),
            Self::RsaPss(h) => format!("RSASSA-PSS/{}", h.name()),
            Self::Ecdsa(h) => format!("ecdsa-with-{}", h.name().replace('-', "")),
            Self::Ed25519 => "Ed25519".into(),
        }
    }

    /// The DER AlgorithmIdentifier (outer SEQUENCE included) sent in the
    /// AUTH payload (RFC 7427 Appendix A encodings).
    pub(super) fn algorithm_identifier(self) -> Vec<u8> {
        let mut contents = Vec::new();
        match self {
            Self::RsaPkcs1(h) => {
                let oid = match h {
                    Hash::Sha256 => OID_SHA256_WITH_RSA,
                    Hash::Sha384 => OID_SHA384_WITH_RSA,
                    Hash::Sha512 => OID_SHA512_WITH_RSA,
                };
                der::write(&mut contents, der::OID, oid);
                der::write(&mut contents, der::NULL, &[]);
            }
            Self::RsaPss(h) => {
                der::write(&mut contents, der::OID, OID_RSASSA_PSS);
                let hash_alg = hash_algorithm_identifier(h);
                let mut mgf = Vec::new();
                der::write(&mut mgf, der::OID, OID_MGF1);
                mgf.extend_from_slice(&hash_alg);
                let mut params = Vec::new();
                der::write(&mut params, der::context(0), &hash_alg);
                der::write(
                    &mut params,
                    der::context(1),
                    &der::element(der::SEQUENCE, &mgf),
                );
                // Hash lengths are 32..=64: a single-byte positive INTEGER.
                let salt = der::element(der::INTEGER, &[h.len() as u8]);
                der::write(&mut params, der::context(2), &salt);
                der::write(&mut contents, der::SEQUENCE, &params);
            }
            Self::Ecdsa(h) => {
                let oid = match h {
                    Hash::Sha256 => OID_ECDSA_WITH_SHA256,
                    Hash::Sha384 => OID_ECDSA_WITH_SHA384,
                    Hash::Sha512 => OID_ECDSA_WITH_SHA512,
                };
                der::write(&mut contents, der::OID, oid);
            }
            Self::Ed25519 => der::write(&mut contents, der::OID, OID_ED25519),
        }
        der::element(der::SEQUENCE, &contents)
    }

    /// Parses a peer's AlgorithmIdentifier (outer SEQUENCE included, nothing
    /// after it).
    pub(super) fn parse(alg_id: &[u8]) -> Result<Self, AuthError> {
        let malformed =
            |e: String| AuthError::MalformedAuthData(format!("signature AlgorithmIdentifier: {e}"));
        let mut outer = Reader::new(alg_id);
        let contents = outer
            .read(der::SEQUENCE, "AlgorithmIdentifier")
            .map_err(malformed)?;
        outer.finish("AlgorithmIdentifier").map_err(malformed)?;
        let mut r = Reader::new(contents);
        let oid = r.read(der::OID, "algorithm").map_err(malformed)?;
        let params = if r.is_empty() {
            None
        } else {
            Some(r.read_any().map_err(malformed)?)
        };
        r.finish("AlgorithmIdentifier parameters")
            .map_err(malformed)?;
        let no_params = |alg: SigAlg| match params {
            None => Ok(alg),
            Some(_) => Err(malformed(format!(
                "{} must not have parameters",
                alg.name()
            ))),
        };
        let null_or_no_params = |alg: SigAlg| match params {
            None | Some((der::NULL, [])) => Ok(alg),
            Some(_) => Err(malformed(format!("{} parameters must be NULL", alg.name()))),
        };
        match oid {
            OID_SHA256_WITH_RSA => null_or_no_params(Self::RsaPkcs1(Hash::Sha256)),
            OID_SHA384_WITH_RSA => null_or_no_params(Self::RsaPkcs1(Hash::Sha384)),
            OID_SHA512_WITH_RSA => null_or_no_params(Self::RsaPkcs1(Hash::Sha512)),
            OID_ECDSA_WITH_SHA256 => no_params(Self::Ecdsa(Hash::Sha256)),
            OID_ECDSA_WITH_SHA384 => no_params(Self::Ecdsa(Hash::Sha384)),
            OID_ECDSA_WITH_SHA512 => no_params(Self::Ecdsa(Hash::Sha512)),
            OID_ED25519 => no_params(Self::Ed25519),
            OID_RSASSA_PSS => match params {
                Some((der::SEQUENCE, pss)) => parse_pss_params(pss),
                Some(_) => Err(malformed("RSASSA-PSS parameters must be a SEQUENCE".into())),
                None => Err(AuthError::UnsupportedAlgorithm(
                    "RSASSA-PSS without parameters (RFC 7427 requires them)".into(),
                )),
            },
            OID_SHA1_WITH_RSA => Err(AuthError::WeakSignature("sha1WithRSAEncryption".into())),
            OID_ECDSA_WITH_SHA1 => Err(AuthError::WeakSignature("ecdsa-with-SHA1".into())),
            OID_ED448 => Err(AuthError::UnsupportedAlgorithm("Ed448".into())),
            other => Err(AuthError::UnsupportedAlgorithm(format!(
                "AlgorithmIdentifier OID {}",
                oid_to_string(other)
            ))),
        }
    }
}

/// `SEQUENCE { hash OID, NULL }` for use inside PSS parameters.
fn hash_algorithm_identifier(h: Hash) -> Vec<u8> {
    let mut contents = Vec::new();
    der::write(&mut contents, der::OID, h.oid());
    der::write(&mut contents, der::NULL, &[]);
    der::element(der::SEQUENCE, &contents)
}

/// RSASSA-PSS-params (RFC 4055 §3.1), restricted to what ring verifies:
/// SHA-256/384/512, MGF1 with the same hash, salt length = hash length,
/// trailer field 1.
fn parse_pss_params(params: &[u8]) -> Result<SigAlg, AuthError> {
    let malformed = |e: String| AuthError::MalformedAuthData(format!("RSASSA-PSS parameters: {e}"));
    let mut r = Reader::new(params);

    let hash = match r
        .read_optional(der::context(0), "hashAlgorithm")
        .map_err(malformed)?
    {
        Some(explicit) => {
            let alg =
                der::read_single(explicit, der::SEQUENCE, "hashAlgorithm").map_err(malformed)?;
            Hash::from_algorithm_identifier(&alg, "hashAlgorithm")?
        }
        None => {
            return Err(AuthError::WeakSignature(
                "RSASSA-PSS with the default hash (SHA-1)".into(),
            ))
        }
    };

    match r
        .read_optional(der::context(1), "maskGenAlgorithm")
        .map_err(malformed)?
    {
        Some(explicit) => {
            let mgf =
                der::read_single(explicit, der::SEQUENCE, "maskGenAlgorithm").map_err(malformed)?;
            let mut m = Reader::new(&mgf);
            let oid = m.read(der::OID, "maskGenAlgorithm").map_err(malformed)?;
            if oid != OID_MGF1 {
                return Err(AuthError::UnsupportedAlgorithm(format!(
                    "RSASSA-PSS mask generation function {} (only MGF1 is supported)",
                    oid_to_string(oid)
                )));
            }
            let mgf_hash = m.read(der::SEQUENCE, "MGF1 hash").map_err(malformed)?;
            m.finish("maskGenAlgorithm").map_err(malformed)?;
            let mgf_hash = Hash::from_algorithm_identifier(mgf_hash, "MGF1 hash")?;
            if mgf_hash != hash {
                return Err(AuthError::UnsupportedAlgorithm(format!(
                    "RSASSA-PSS with {} but MGF1 with {} (only equal hashes are supported)",
                    hash.name(),
                    mgf_hash.name()
                )));
            }
        }
        None => {
            return Err(AuthError::WeakSignature(
                "RSASSA-PSS with the default MGF1 hash (SHA-1)".into(),
            ))
        }
    }

    let salt_len = match r
        .read_optional(der::context(2), "saltLength")
        .map_err(malformed)?
    {
        Some(explicit) => {
            let int = der::read_single(explicit, der::INTEGER, "saltLength").map_err(malformed)?;
            der::small_integer(&int, "saltLength").map_err(malformed)?
        }
        None => 20,
    };
    if usize::try_from(salt_len).ok() != Some(hash.len()) {
        return Err(AuthError::UnsupportedAlgorithm(format!(
            "RSASSA-PSS/{} with a {salt_len}-byte salt (only salt length = hash length, {} bytes, is supported)",
            hash.name(),
            hash.len()
        )));
    }

    if let Some(explicit) = r
        .read_optional(der::context(3), "trailerField")
        .map_err(malformed)?
    {
        let int = der::read_single(explicit, der::INTEGER, "trailerField").map_err(malformed)?;
        let trailer = der::small_integer(&int, "trailerField").map_err(malformed)?;
        if trailer != 1 {
            return Err(malformed(format!(
                "trailerField must be 1, found {trailer}"
            )));
        }
    }
    r.finish("RSASSA-PSS parameters").map_err(malformed)?;
    Ok(SigAlg::RsaPss(hash))
}

/// Dotted form of OID contents, for messages (hex if malformed).
pub(super) fn oid_to_string(oid: &[u8]) -> String {
    let Some((&first, rest)) = oid.split_first() else {
        return "(empty OID)".into();
    };
    let mut arcs = vec![
        u64::from(first / 40).min(2),
        u64::from(first) - 40 * u64::from(first / 40).min(2),
    ];
    let mut acc: u64 = 0;
    for &b in rest.iter().take(64) {
        if acc > (u64::MAX >> 7) {
            return hex(oid);
        }
        acc = (acc << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            arcs.push(acc);
            acc = 0;
        }
    }
    arcs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7427 Appendix A.
    #[test]
    fn encodings_match_rfc7427_appendix_a() {
        assert_eq!(
            SigAlg::RsaPkcs1(Hash::Sha256).algorithm_identifier(),
            [
                0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05,
                0x00
            ]
        );
        assert_eq!(
            SigAlg::Ecdsa(Hash::Sha256).algorithm_identifier(),
            [0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]
        );
        assert_eq!(
            SigAlg::Ecdsa(Hash::Sha384).algorithm_identifier(),
            [0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03]
        );
        // rustls-pki-types' PSS/SHA-256 identifier is the same structure.
        let mut pss = vec![0x30, 0x41];
        pss.extend_from_slice(&rustls_pki_types::alg_id::RSA_PSS_SHA256);
        assert_eq!(SigAlg::RsaPss(Hash::Sha256).algorithm_identifier(), pss);
    }

    #[test]
    fn parse_roundtrips() {
        for alg in [
            SigAlg::RsaPkcs1(Hash::Sha256),
            SigAlg::RsaPkcs1(Hash::Sha384),
            SigAlg::RsaPkcs1(Hash::Sha512),
            SigAlg::RsaPss(Hash::Sha256),
            SigAlg::RsaPss(Hash::Sha384),
            SigAlg::RsaPss(Hash::Sha512),
            SigAlg::Ecdsa(Hash::Sha256),
            SigAlg::Ecdsa(Hash::Sha384),
            SigAlg::Ecdsa(Hash::Sha512),
            SigAlg::Ed25519,
        ] {
            assert_eq!(SigAlg::parse(&alg.algorithm_identifier()).unwrap(), alg);
        }
    }

    #[test]
    fn rsa_without_null_accepted() {
        let alg = [
            0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
        ];
        assert_eq!(SigAlg::parse(&alg).unwrap(), SigAlg::RsaPkcs1(Hash::Sha256));
    }

    #[test]
    fn sha1_refused_as_weak() {
        let alg = [
            0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05,
            0x00,
        ];
        assert!(matches!(
            SigAlg::parse(&alg),
            Err(AuthError::WeakSignature(_))
        ));
        // PSS with no parameters inside the SEQUENCE = all defaults = SHA-1.
        let mut pss_default = vec![0x30, 0x0d, 0x06, 0x09];
        pss_default.extend_from_slice(OID_RSASSA_PSS);
        pss_default.extend_from_slice(&[0x30, 0x00]);
        assert!(matches!(
            SigAlg::parse(&pss_default),
            Err(AuthError::WeakSignature(_))
        ));
    }

    #[test]
    fn pss_with_other_salt_refused_clearly() {
        let mut encoded = SigAlg::RsaPss(Hash::Sha256).algorithm_identifier();
        // The salt INTEGER is the last byte.
        *encoded.last_mut().unwrap() = 20;
        let err = SigAlg::parse(&encoded).unwrap_err();
        assert!(matches!(err, AuthError::UnsupportedAlgorithm(_)), "{err}");
        assert!(err.to_string().contains("20-byte salt"), "{err}");
    }

    #[test]
    fn pss_with_mismatched_mgf_refused() {
        let hash256 = hash_algorithm_identifier(Hash::Sha256);
        let hash384 = hash_algorithm_identifier(Hash::Sha384);
        let mut mgf = Vec::new();
        der::write(&mut mgf, der::OID, OID_MGF1);
        mgf.extend_from_slice(&hash384);
        let mut params = Vec::new();
        der::write(&mut params, der::context(0), &hash256);
        der::write(
            &mut params,
            der::context(1),
            &der::element(der::SEQUENCE, &mgf),
        );
        der::write(
            &mut params,
            der::context(2),
            &der::element(der::INTEGER, &[32]),
        );
        let mut contents = Vec::new();
        der::write(&mut contents, der::OID, OID_RSASSA_PSS);
        der::write(&mut contents, der::SEQUENCE, &params);
        let err = SigAlg::parse(&der::element(der::SEQUENCE, &contents)).unwrap_err();
        assert!(err.to_string().contains("MGF1 with SHA-384"), "{err}");
    }

    #[test]
    fn ecdsa_with_params_and_trailing_bytes_rejected() {
        let mut alg = SigAlg::Ecdsa(Hash::Sha256).algorithm_identifier();
        alg.push(0);
        assert!(matches!(
            SigAlg::parse(&alg),
            Err(AuthError::MalformedAuthData(_))
        ));
        let with_null = [
            0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x05, 0x00,
        ];
        assert!(matches!(
            SigAlg::parse(&with_null),
            Err(AuthError::MalformedAuthData(_))
        ));
    }

    #[test]
    fn oid_strings() {
        assert_eq!(oid_to_string(OID_RSASSA_PSS), "1.2.840.113549.1.1.10");
        assert_eq!(oid_to_string(OID_ED25519), "1.3.101.112");
        let _ = oid_to_string(&[0xff; 40]);
    }
}
