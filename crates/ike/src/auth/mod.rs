//! Certificate authentication for IKE_AUTH (RFC 7296 2.15, RFC 7427 Digital
//! Signature, RFC 4754 ECDSA, RFC 4945 certificate profile).
//!
//! * [`CertCredential`]: our chain and private key; signs AUTH payloads and
//!   names the identity to send in IDi/IDr.
//! * [`TrustAnchors`]: the CAs we accept; produces CERTREQ data and validates
//!   a peer's chain (webpki, ring) and its claimed identity.
//! * [`PeerKey`]: the validated peer key; verifies its AUTH signature.
//!
//! Everything received is treated as hostile: parsing and verification
//! return [`AuthError`], never panic. Private keys never appear in `Debug`
//! output. No clock is read: callers pass the validation time.

mod algorithm;
mod cert_info;
mod credential;
mod der;
mod eku;
mod error;
mod identity;
mod key_kind;
mod peer_key;
mod signing_key;
mod time;
mod trust_anchors;

#[cfg(test)]
mod tests;

pub use algorithm::{
    HASH_IDENTITY, HASH_SHA1, HASH_SHA2_256, HASH_SHA2_384, HASH_SHA2_512, SUPPORTED_HASHES,
};
pub use credential::CertCredential;
pub use error::AuthError;
pub use peer_key::PeerKey;
pub use trust_anchors::TrustAnchors;
