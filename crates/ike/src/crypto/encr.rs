//! IKEv2 / ESP encryption algorithms (transform type 1).

/// An encryption transform.
///
/// The AEADs (AES-GCM with a 16-octet ICV, RFC 5282 / RFC 4106, and
/// ChaCha20-Poly1305, RFC 7634) run on `ring`; AES-CBC (RFC 3602) runs on
/// the RustCrypto `aes` + `cbc` crates because `ring` has no CBC mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EncrAlg {
    /// `ENCR_AES_CBC` (12) with a 128-bit key.
    AesCbc128,
    /// `ENCR_AES_CBC` (12) with a 256-bit key.
    AesCbc256,
    /// `ENCR_AES_GCM_16` (20) with a 128-bit key.
    AesGcm16_128,
    /// `ENCR_AES_GCM_16` (20) with a 256-bit key.
    AesGcm16_256,
    /// `ENCR_CHACHA20_POLY1305` (28), 256-bit key, no key length attribute.
    ChaCha20Poly1305,
}

/// IANA transform ID of `ENCR_AES_CBC`.
const ENCR_AES_CBC: u16 = 12;
/// IANA transform ID of `ENCR_AES_GCM_16`.
const ENCR_AES_GCM_16: u16 = 20;
/// IANA transform ID of `ENCR_CHACHA20_POLY1305`.
const ENCR_CHACHA20_POLY1305: u16 = 28;

impl EncrAlg {
    /// All supported encryption algorithms.
    pub const ALL: [EncrAlg; 5] = [
        Self::AesCbc128,
        Self::AesCbc256,
        Self::AesGcm16_128,
        Self::AesGcm16_256,
        Self::ChaCha20Poly1305,
    ];

    /// The algorithm for an IANA transform ID and its Key Length attribute
    /// (in bits). AES requires 128 or 256; ChaCha20-Poly1305 must come
    /// without the attribute (RFC 7634 2). Anything else is `None`.
    pub fn from_transform(id: u16, key_bits: Option<u16>) -> Option<Self> {
        match (id, key_bits) {
            (ENCR_AES_CBC, Some(128)) => Some(Self::AesCbc128),
            (ENCR_AES_CBC, Some(256)) => Some(Self::AesCbc256),
            (ENCR_AES_GCM_16, Some(128)) => Some(Self::AesGcm16_128),
            (ENCR_AES_GCM_16, Some(256)) => Some(Self::AesGcm16_256),
            (ENCR_CHACHA20_POLY1305, None) => Some(Self::ChaCha20Poly1305),
            _ => None,
        }
    }

    /// The IANA transform ID.
    pub fn transform_id(&self) -> u16 {
        match self {
            Self::AesCbc128 | Self::AesCbc256 => ENCR_AES_CBC,
            Self::AesGcm16_128 | Self::AesGcm16_256 => ENCR_AES_GCM_16,
            Self::ChaCha20Poly1305 => ENCR_CHACHA20_POLY1305,
        }
    }

    /// The Key Length attribute to send (bits); `None` for ChaCha20-Poly1305.
    pub fn key_bits(&self) -> Option<u16> {
        match self {
            Self::AesCbc128 | Self::AesGcm16_128 => Some(128),
            Self::AesCbc256 | Self::AesGcm16_256 => Some(256),
            Self::ChaCha20Poly1305 => None,
        }
    }

    /// `true` for the combined-mode (AEAD) ciphers, which take no integrity
    /// transform.
    pub fn is_aead(&self) -> bool {
        !matches!(self, Self::AesCbc128 | Self::AesCbc256)
    }

    /// The cipher key alone, in bytes (without the AEAD salt).
    pub fn cipher_key_len(&self) -> usize {
        match self {
            Self::AesCbc128 | Self::AesGcm16_128 => 16,
            Self::AesCbc256 | Self::AesGcm16_256 | Self::ChaCha20Poly1305 => 32,
        }
    }

    /// Length of the AEAD salt that follows the key in the keying material
    /// (4 bytes for GCM, RFC 5282 7.1 / RFC 4106 8.1, and ChaCha20-Poly1305,
    /// RFC 7634 2); 0 for CBC.
    pub fn salt_len(&self) -> usize {
        if self.is_aead() {
            4
        } else {
            0
        }
    }

    /// Bytes of keying material to take from `prf+` for one direction
    /// (`SK_e*`, or an ESP encryption key): the key, plus the salt for AEADs.
    pub fn key_len(&self) -> usize {
        self.cipher_key_len() + self.salt_len()
    }

    /// strongSwan-style name: `aes128`, `aes256`, `aes128gcm16`,
    /// `aes256gcm16`, `chacha20poly1305`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::AesCbc128 => "aes128",
            Self::AesCbc256 => "aes256",
            Self::AesGcm16_128 => "aes128gcm16",
            Self::AesGcm16_256 => "aes256gcm16",
            Self::ChaCha20Poly1305 => "chacha20poly1305",
        }
    }

    /// `true` if Wireshark can decrypt IKEv2 with this algorithm, i.e. if
    /// [`Self::wireshark_ike_name`] is a name its table accepts.
    pub fn wireshark_ike_supported(&self) -> bool {
        !matches!(self, Self::ChaCha20Poly1305)
    }

    /// The encryption algorithm name of Wireshark's IKEv2 decryption table
    /// (`ikev2_decryption_table`, `vs_ikev2_encr_algs` in `packet-isakmp.c`).
    ///
    /// Wireshark's IKEv2 decryption does not support ChaCha20-Poly1305 (its
    /// table lists 3DES, AES-CBC, AES-CTR, AES-GCM and AES-CCM only, checked
    /// against a 2024-era `packet-isakmp.c`), so for that algorithm this
    /// returns the descriptive placeholder `"CHACHA20-POLY1305 [RFC7634]"`,
    /// which Wireshark will not accept; see [`Self::wireshark_ike_supported`].
    pub fn wireshark_ike_name(&self) -> &'static str {
        match self {
            Self::AesCbc128 => "AES-CBC-128 [RFC3602]",
            Self::AesCbc256 => "AES-CBC-256 [RFC3602]",
            Self::AesGcm16_128 => "AES-GCM-128 with 16 octet ICV [RFC5282]",
            Self::AesGcm16_256 => "AES-GCM-256 with 16 octet ICV [RFC5282]",
            Self::ChaCha20Poly1305 => "CHACHA20-POLY1305 [RFC7634]",
        }
    }

    /// The encryption algorithm name of Wireshark's ESP SA table (`esp_sa`,
    /// `esp_encryption_type_vals` in `packet-ipsec.c`). The key length is not
    /// part of the name there: Wireshark infers it from the key.
    pub fn wireshark_esp_name(&self) -> &'static str {
        match self {
            Self::AesCbc128 | Self::AesCbc256 => "AES-CBC [RFC3602]",
            Self::AesGcm16_128 | Self::AesGcm16_256 => "AES-GCM with 16 octet ICV [RFC4106]",
            Self::ChaCha20Poly1305 => "ChaCha20 with Poly1305 [RFC7634]",
        }
    }
}

impl std::fmt::Display for EncrAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transform_roundtrip() {
        for alg in EncrAlg::ALL {
            assert_eq!(
                EncrAlg::from_transform(alg.transform_id(), alg.key_bits()),
                Some(alg)
            );
        }
        assert_eq!(EncrAlg::from_transform(12, None), None);
        assert_eq!(EncrAlg::from_transform(12, Some(192)), None);
        assert_eq!(EncrAlg::from_transform(20, Some(192)), None);
        assert_eq!(EncrAlg::from_transform(28, Some(256)), None);
        assert_eq!(EncrAlg::from_transform(19, Some(128)), None);
    }

    #[test]
    fn key_lengths() {
        assert_eq!(EncrAlg::AesCbc128.key_len(), 16);
        assert_eq!(EncrAlg::AesCbc256.key_len(), 32);
        assert_eq!(EncrAlg::AesGcm16_128.key_len(), 20);
        assert_eq!(EncrAlg::AesGcm16_256.key_len(), 36);
        assert_eq!(EncrAlg::ChaCha20Poly1305.key_len(), 36);
        assert!(!EncrAlg::AesCbc256.is_aead());
        assert!(EncrAlg::ChaCha20Poly1305.is_aead());
    }

    #[test]
    fn names() {
        assert_eq!(EncrAlg::AesGcm16_256.name(), "aes256gcm16");
        assert_eq!(EncrAlg::AesCbc128.name(), "aes128");
        assert_eq!(
            EncrAlg::AesGcm16_128.wireshark_ike_name(),
            "AES-GCM-128 with 16 octet ICV [RFC5282]"
        );
        assert_eq!(EncrAlg::AesCbc256.wireshark_esp_name(), "AES-CBC [RFC3602]");
        assert_eq!(
            EncrAlg::ChaCha20Poly1305.wireshark_esp_name(),
            "ChaCha20 with Poly1305 [RFC7634]"
        );
        assert!(!EncrAlg::ChaCha20Poly1305.wireshark_ike_supported());
    }
}
