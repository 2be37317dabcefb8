//! Public key types, recognised from a SubjectPublicKeyInfo or the algorithm
//! of a PKCS#8 private key.

use super::algorithm::oid_to_string;
use super::der::{self, Reader};

const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// Smallest RSA modulus accepted, in bits (ring's verification floor).
pub(super) const MIN_RSA_BITS: usize = 2048;

/// A public key algorithm this module can sign or verify with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KeyKind {
    /// RSA with a modulus of this many bits.
    Rsa { bits: usize },
    /// ECDSA on NIST P-256.
    EcP256,
    /// ECDSA on NIST P-384.
    EcP384,
    /// Ed25519.
    Ed25519,
}

impl KeyKind {
    /// "RSA-2048", "ECDSA P-256", ...
    pub(super) fn name(self) -> String {
        match self {
            Self::Rsa { bits } => format!("RSA-{bits}"),
            Self::EcP256 => "ECDSA P-256".into(),
            Self::EcP384 => "ECDSA P-384".into(),
            Self::Ed25519 => "Ed25519".into(),
        }
    }

    /// Classifies an AlgorithmIdentifier's contents (`OID, parameters?`).
    /// RSA keys come back with `bits: 0`; the caller fills the size in.
    pub(super) fn from_algorithm(alg_id_contents: &[u8]) -> Result<Self, String> {
        let mut r = Reader::new(alg_id_contents);
        let oid = r.read(der::OID, "key algorithm")?;
        let params = if r.is_empty() {
            None
        } else {
            Some(r.read_any()?)
        };
        r.finish("key algorithm")?;
        match (oid, params) {
            (OID_RSA_ENCRYPTION, None | Some((der::NULL, []))) => Ok(Self::Rsa { bits: 0 }),
            (OID_RSA_ENCRYPTION, Some(_)) => Err("rsaEncryption parameters must be NULL".into()),
            (OID_RSASSA_PSS, _) => Err(
                "RSASSA-PSS-only (id-RSASSA-PSS) keys are not supported; use an rsaEncryption key"
                    .into(),
            ),
            (OID_EC_PUBLIC_KEY, Some((der::OID, OID_P256))) => Ok(Self::EcP256),
            (OID_EC_PUBLIC_KEY, Some((der::OID, OID_P384))) => Ok(Self::EcP384),
            (OID_EC_PUBLIC_KEY, Some((der::OID, OID_P521))) => {
                Err("ECDSA P-521 keys are not supported (use P-256 or P-384)".into())
            }
            (OID_EC_PUBLIC_KEY, Some((der::OID, curve))) => Err(format!(
                "elliptic curve {} is not supported (use P-256 or P-384)",
                oid_to_string(curve)
            )),
            (OID_EC_PUBLIC_KEY, _) => Err("EC key without a named curve is not supported".into()),
            (OID_ED25519, None) => Ok(Self::Ed25519),
            (OID_ED25519, Some(_)) => Err("Ed25519 key algorithm must not have parameters".into()),
            (other, _) => Err(format!(
                "key algorithm {} is not supported (use RSA, ECDSA P-256/P-384 or Ed25519)",
                oid_to_string(other)
            )),
        }
    }
}

/// Parses a DER SubjectPublicKeyInfo into its key type and the raw key (the
/// BIT STRING contents: an RSAPublicKey, an uncompressed EC point or the
/// 32-byte Ed25519 key). Rejects RSA keys under [`MIN_RSA_BITS`].
pub(super) fn parse_spki(spki: &[u8]) -> Result<(KeyKind, Vec<u8>), String> {
    let contents = der::read_single(spki, der::SEQUENCE, "SubjectPublicKeyInfo")?;
    let mut r = Reader::new(&contents);
    let alg = r.read(der::SEQUENCE, "SubjectPublicKeyInfo algorithm")?;
    let bits = r.read(der::BIT_STRING, "subjectPublicKey")?;
    r.finish("SubjectPublicKeyInfo")?;
    let key = match bits.split_first() {
        Some((0, key)) => key,
        _ => return Err("subjectPublicKey BIT STRING has unused bits".into()),
    };
    let mut kind = KeyKind::from_algorithm(alg)?;
    match &mut kind {
        KeyKind::Rsa { bits } => {
            *bits = rsa_modulus_bits(key)?;
            if *bits < MIN_RSA_BITS {
                return Err(format!(
                    "RSA key has {bits} bits; at least {MIN_RSA_BITS} are required"
                ));
            }
        }
        KeyKind::EcP256 if key.len() != 65 || key[0] != 4 => {
            return Err("P-256 public key is not a 65-byte uncompressed point".into())
        }
        KeyKind::EcP384 if key.len() != 97 || key[0] != 4 => {
            return Err("P-384 public key is not a 97-byte uncompressed point".into())
        }
        KeyKind::Ed25519 if key.len() != 32 => {
            return Err("Ed25519 public key is not 32 bytes".into())
        }
        _ => {}
    }
    Ok((kind, key.to_vec()))
}

/// Bit length of the modulus of a DER RSAPublicKey.
pub(super) fn rsa_modulus_bits(rsa_public_key: &[u8]) -> Result<usize, String> {
    let contents = der::read_single(rsa_public_key, der::SEQUENCE, "RSAPublicKey")?;
    let mut r = Reader::new(&contents);
    let n = r.read(der::INTEGER, "RSA modulus")?;
    r.read(der::INTEGER, "RSA exponent")?;
    r.finish("RSAPublicKey")?;
    let n = der::unsigned_integer(n, "RSA modulus")?;
    match n.first() {
        None | Some(0) => Err("RSA modulus is zero".into()),
        Some(&top) => Ok(n.len() * 8 - top.leading_zeros() as usize),
    }
}
