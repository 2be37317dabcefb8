//! Cryptographic suites, key derivation and DH groups.
//!
//! * Symmetric primitives run on `ring` (AES-GCM, ChaCha20-Poly1305, HMAC);
//!   AES-CBC is the exception (`aes` + `cbc`) because `ring` has no CBC.
//! * Key exchange runs on `x25519-dalek`, `p256`/`p384`/`p521` and
//!   `crypto-bigint` because `ring`'s agreement API only accepts ephemeral
//!   keys it generates itself (no RFC test vectors, no deterministic
//!   simulation) and lacks P-521 and the MODP groups.
//! * Randomness is injected through [`RandomSource`] (sans-IO).
//! * Secret bytes live in [`Secret`]: wiped on drop, never printed.
//!
//! One concept per file: [`Secret`], [`RandomSource`], [`EncrAlg`],
//! [`PrfAlg`], [`IntegAlg`], [`DhGroup`] / [`DhPrivate`], [`SkCipher`], key
//! derivation ([`derive_ike_sa_keys`] and friends), AUTH ([`signed_octets`],
//! [`psk_auth`]), and [`CryptoError`].

mod auth;
mod cbc;
mod dh;
mod ecp;
mod encr;
mod error;
mod integ;
mod keys;
mod modp;
mod prf;
mod random;
mod secret;
mod sk;
mod x25519;

#[cfg(test)]
mod test_util;
#[cfg(test)]
mod tests;

pub use auth::{psk_auth, psk_auth_verify, signed_octets};
pub use dh::{DhGroup, DhPrivate};
pub use encr::EncrAlg;
pub use error::CryptoError;
pub use integ::IntegAlg;
pub use keys::{
    derive_child_sa_keys, derive_ike_sa_keys, derive_rekeyed_ike_sa_keys, ChildSaKeys, IkeSaKeys,
    IkeSuite,
};
pub use prf::PrfAlg;
pub use random::{RandomSource, SeededRandom, SystemRandom};
pub use secret::Secret;
pub use sk::SkCipher;
