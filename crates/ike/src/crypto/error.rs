//! The error type of the crypto layer.

use super::dh::DhGroup;

/// Everything that can go wrong in the crypto layer.
///
/// Errors caused by a peer (a bad public value, a tampered message) never
/// carry secret material, and every failure to authenticate or decrypt an
/// `SK` payload is reported as the single [`CryptoError::Integrity`] variant
/// so that callers cannot build a padding or MAC oracle by accident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The peer's key exchange value is not acceptable for the group: wrong
    /// length, not on the curve, out of range, or of low order.
    #[error("invalid public value for DH group {group}")]
    InvalidPublicValue {
        /// The group the value was checked against.
        group: DhGroup,
    },
    /// A private value given to [`super::DhPrivate::from_secret_bytes`] is
    /// unusable (wrong length, zero, or out of range for the group).
    #[error("invalid private value for DH group {group}")]
    InvalidPrivateValue {
        /// The group the value was checked against.
        group: DhGroup,
    },
    /// A key does not have the length the algorithm needs.
    #[error("invalid key length")]
    InvalidKeyLength,
    /// An AEAD cipher was combined with an integrity algorithm, or a
    /// non-AEAD cipher without one.
    #[error("invalid combination of encryption and integrity algorithms")]
    InvalidAlgorithmCombination,
    /// `prf+` was asked for more than 255 output blocks (RFC 7296 2.13).
    #[error("prf+ output of {requested} bytes exceeds the maximum of {max}")]
    PrfPlusTooLong {
        /// Number of bytes requested.
        requested: usize,
        /// The maximum for this PRF (255 times its output length).
        max: usize,
    },
    /// An encrypted payload failed authentication or could not be decrypted
    /// (bad ICV, bad length, bad padding). Deliberately one variant.
    #[error("integrity check failed")]
    Integrity,
}
