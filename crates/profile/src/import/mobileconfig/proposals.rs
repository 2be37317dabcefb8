//! `IKESecurityAssociationParameters` and
//! `ChildSecurityAssociationParameters` to strongSwan proposal strings;
//! weak algorithms are refused by name.

use plist::Dictionary;

use super::{integer, string};
use crate::import::draft::quote;
use crate::import::ImportError;

/// Apple's defaults when a key is absent: AES-256, SHA2-256, group 14.
const DEFAULT_ENCRYPTION: &str = "AES-256";
const DEFAULT_INTEGRITY: &str = "SHA2-256";
const DEFAULT_DH_GROUP: u64 = 14;

/// One security association's algorithms, as strongSwan tokens.
pub(super) struct Suite {
    encryption: &'static str,
    aead: bool,
    integrity: &'static str,
    dh: &'static str,
    /// `LifeTimeInMinutes` in seconds.
    pub(super) lifetime_s: Option<u32>,
}

impl Suite {
    /// The IKE proposal, e.g. `aes256-sha256-modp2048` or
    /// `aes256gcm16-prfsha256-ecp256`.
    pub(super) fn ike(&self) -> String {
        if self.aead {
            format!("{}-prf{}-{}", self.encryption, self.integrity, self.dh)
        } else {
            format!("{}-{}-{}", self.encryption, self.integrity, self.dh)
        }
    }

    /// The ESP proposal, with the DH group for PFS when `pfs`.
    pub(super) fn esp(&self, pfs: bool) -> String {
        let mut s = self.encryption.to_string();
        if !self.aead {
            s.push('-');
            s.push_str(self.integrity);
        }
        if pfs {
            s.push('-');
            s.push_str(self.dh);
        }
        s
    }
}

/// The suite of the dictionary at `prefix` (absent: Apple's defaults).
pub(super) fn suite(dict: Option<&Dictionary>, prefix: &str) -> Result<Suite, ImportError> {
    let key = |k: &str| format!("{prefix}.{k}");
    let empty = Dictionary::new();
    let dict = dict.unwrap_or(&empty);
    let enc_key = key("EncryptionAlgorithm");
    let enc = string(dict, "EncryptionAlgorithm", &enc_key)?;
    let (encryption, aead) = match enc.as_deref().unwrap_or(DEFAULT_ENCRYPTION) {
        "AES-128" => ("aes128", false),
        "AES-256" => ("aes256", false),
        "AES-128-GCM" => ("aes128gcm16", true),
        "AES-256-GCM" => ("aes256gcm16", true),
        "ChaCha20Poly1305" => ("chacha20poly1305", true),
        v @ ("DES" | "3DES") => return Err(weak(&enc_key, v, "64-bit block cipher, broken by birthday attacks (Sweet32) and, for DES, by brute force")),
        v => return Err(ImportError::unsupported(&enc_key, format!("'{}' is not an algorithm Ibex knows; use AES-256-GCM, AES-128-GCM, ChaCha20Poly1305, AES-256 or AES-128", quote(v)))),
    };
    let integ_key = key("IntegrityAlgorithm");
    let integ = string(dict, "IntegrityAlgorithm", &integ_key)?;
    let integrity = match integ.as_deref().unwrap_or(DEFAULT_INTEGRITY) {
        "SHA2-256" => "sha256",
        "SHA2-384" => "sha384",
        "SHA2-512" => "sha512",
        v @ ("SHA1-96" | "SHA1-160" | "MD5") => {
            return Err(weak(
                &integ_key,
                v,
                "SHA-1 and MD5 are no longer collision-resistant",
            ))
        }
        v => {
            return Err(ImportError::unsupported(
                &integ_key,
                format!(
                    "'{}' is not an algorithm Ibex knows; use SHA2-256, SHA2-384 or SHA2-512",
                    quote(v)
                ),
            ))
        }
    };
    let dh_key = key("DiffieHellmanGroup");
    let dh =
        match integer(dict, "DiffieHellmanGroup", &dh_key)?.unwrap_or(DEFAULT_DH_GROUP) {
            14 => "modp2048",
            15 => "modp3072",
            19 => "ecp256",
            20 => "ecp384",
            21 => "ecp521",
            31 => "x25519",
            g @ (1 | 2 | 5) => return Err(weak(
                &dh_key,
                &g.to_string(),
                "MODP groups below 2048 bits are within reach of precomputation attacks (Logjam)",
            )),
            g @ (16..=18 | 32) => {
                return Err(ImportError::unsupported(
                    &dh_key,
                    format!("group {g} is not supported by Ibex; use 14, 15, 19, 20, 21 or 31"),
                ))
            }
            g => {
                return Err(ImportError::unsupported(
                    &dh_key,
                    format!(
                    "{g} is not a Diffie-Hellman group Ibex knows; use 14, 15, 19, 20, 21 or 31"
                ),
                ))
            }
        };
    let lifetime_key = key("LifeTimeInMinutes");
    let lifetime_s = integer(dict, "LifeTimeInMinutes", &lifetime_key)?
        .map(|m| u32::try_from(m.saturating_mul(60)).unwrap_or(u32::MAX));
    Ok(Suite {
        encryption,
        aead,
        integrity,
        dh,
        lifetime_s,
    })
}

fn weak(key: &str, value: &str, reason: &str) -> ImportError {
    ImportError::Weak {
        key: key.to_string(),
        value: quote(value),
        reason: reason.to_string(),
    }
}
