//! [`Secret`]: owned secret bytes that are wiped on drop and never printed.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Secret key material: keys, DH private values, shared secrets, PSKs.
///
/// The bytes are zeroed when the value is dropped, [`fmt::Debug`] prints only
/// the length (`Secret([redacted; 32 bytes])`), and equality is evaluated in
/// constant time (for equal lengths; the length itself is not secret).
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Takes ownership of `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Copies `bytes` into a new secret.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self::new(bytes.to_vec())
    }

    /// The secret bytes. Keep the borrow short and never log it.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `true` for a zero-length secret (e.g. `SK_ai` of an AEAD suite).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The concatenation of `parts`, allocated once at its final size.
    pub(crate) fn concat(parts: &[&[u8]]) -> Self {
        let mut s = Self::new(Vec::with_capacity(parts.iter().map(|p| p.len()).sum()));
        for p in parts {
            s.extend_from_slice(p);
        }
        s
    }

    /// Appends bytes. Reserve the capacity first (see [`Self::concat`]): a
    /// reallocation would leave an unwiped copy of the old contents behind.
    pub(crate) fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    /// Shortens the secret; the cut-off bytes are wiped with the rest on drop.
    pub(crate) fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret([redacted; {} bytes])", self.0.len())
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        // `ct_eq` on slices returns false early for different lengths (public)
        // and compares the contents without data-dependent branches.
        self.0.as_slice().ct_eq(other.0.as_slice()).into()
    }
}

impl Eq for Secret {}

impl From<Vec<u8>> for Secret {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        let printed = format!("{s:?}");
        assert_eq!(printed, "Secret([redacted; 4 bytes])");
        assert!(!printed.to_lowercase().contains("de"));
        assert_eq!(
            format!("{:?}", Secret::default()),
            "Secret([redacted; 0 bytes])"
        );
    }

    #[test]
    fn accessors_and_equality() {
        let a = Secret::new(vec![1, 2, 3]);
        assert_eq!(a.expose(), &[1, 2, 3]);
        assert_eq!(a.len(), 3);
        assert!(!a.is_empty());
        assert!(Secret::default().is_empty());
        assert_eq!(a, Secret::from_slice(&[1, 2, 3]));
        assert_ne!(a, Secret::from_slice(&[1, 2, 4]));
        assert_ne!(a, Secret::from_slice(&[1, 2]));
        assert_eq!(a.clone(), a);
    }
}
