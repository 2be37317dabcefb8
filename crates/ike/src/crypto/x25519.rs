//! Curve25519 group 31 (RFC 8031, RFC 7748) on `x25519-dalek`.
//!
//! `ring` is not used here: its agreement API only accepts ephemeral keys
//! that it generates itself, which rules out the RFC 7748 test vectors and
//! deterministic simulations.

use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use super::random::RandomSource;
use super::secret::Secret;

/// Length of scalars, public values and shared secrets.
pub(crate) const LEN: usize = 32;

/// The private scalar (wiped on drop by `x25519-dalek`).
pub(crate) type Private = StaticSecret;

/// A fresh random scalar (clamped by `x25519-dalek` when used).
pub(crate) fn generate(rng: &mut dyn RandomSource) -> Private {
    let mut bytes = Zeroizing::new([0u8; LEN]);
    rng.fill(&mut bytes[..]);
    StaticSecret::from(*bytes)
}

/// A scalar from its 32-byte little-endian encoding (RFC 7748 5).
pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Private> {
    let bytes = Zeroizing::new(<[u8; LEN]>::try_from(bytes).ok()?);
    Some(StaticSecret::from(*bytes))
}

/// The 32-byte u-coordinate of the public point.
pub(crate) fn public_value(key: &Private) -> Vec<u8> {
    PublicKey::from(key).as_bytes().to_vec()
}

/// The shared secret, or `None` for a peer value of the wrong length or one
/// that yields the all-zero output (a low-order point, RFC 7748 6.1,
/// RFC 8031 2.3).
pub(crate) fn shared_secret(key: &Private, peer: &[u8]) -> Option<Secret> {
    let peer = PublicKey::from(<[u8; LEN]>::try_from(peer).ok()?);
    let shared = key.diffie_hellman(&peer);
    if !shared.was_contributory() {
        return None;
    }
    Some(Secret::from_slice(shared.as_bytes()))
}
