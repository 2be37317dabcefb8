//! NIST prime-curve ECDH groups 19/20/21 (RFC 5903) on RustCrypto `p256`,
//! `p384` and `p521`.
//!
//! `ring` is not used here: its agreement API only accepts ephemeral keys
//! that it generates itself, which rules out the RFC 5903 test vectors and
//! deterministic simulations, and it has no P-521.
//!
//! Wire format (RFC 5903 7): the KE data is `x || y`, each coordinate padded
//! to the field size, without the SEC1 `0x04` prefix; the shared secret is
//! the x coordinate of the shared point.

use super::random::RandomSource;
use super::secret::Secret;

/// Draws scalars until one is valid (non-zero and below the group order).
/// For P-256/P-384 a rejection is astronomically rare; for P-521 the top
/// byte is masked to the order's single bit, so about half the draws pass.
const MAX_DRAWS: usize = 1000;

macro_rules! ecp_curve {
    ($module:ident, $krate:ident, $field_bytes:expr, $top_mask:expr) => {
        pub(crate) mod $module {
            use zeroize::Zeroizing;
            use $krate::elliptic_curve::sec1::ToSec1Point as _;

            use super::{RandomSource, Secret, MAX_DRAWS};

            /// Field (and scalar) size in bytes.
            pub(crate) const FIELD_BYTES: usize = $field_bytes;

            /// The private scalar (wiped on drop by the curve crate).
            pub(crate) type Private = $krate::SecretKey;

            /// A fresh uniformly random scalar.
            ///
            /// # Panics
            ///
            /// If `rng` yields no valid scalar in `MAX_DRAWS` attempts,
            /// which only happens with a broken (e.g. constant) source.
            pub(crate) fn generate(rng: &mut dyn RandomSource) -> Private {
                let mut buf = Zeroizing::new([0u8; FIELD_BYTES]);
                for _ in 0..MAX_DRAWS {
                    rng.fill(&mut buf[..]);
                    buf[0] &= $top_mask;
                    if let Ok(key) = Private::from_slice(&buf[..]) {
                        return key;
                    }
                }
                panic!("random source produced no valid scalar in {MAX_DRAWS} draws");
            }

            /// A scalar from its big-endian encoding (exactly the field size,
            /// non-zero, below the group order).
            pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Private> {
                if bytes.len() != FIELD_BYTES {
                    return None;
                }
                Private::from_slice(bytes).ok()
            }

            /// `x || y` of the public point.
            pub(crate) fn public_value(key: &Private) -> Vec<u8> {
                let point = key.public_key().to_sec1_point(false);
                // Uncompressed SEC1: 0x04 || x || y.
                point.as_bytes()[1..].to_vec()
            }

            /// The x coordinate of `key * peer`, or `None` when `peer` is not
            /// `x || y` of a point on the curve (the identity has no such
            /// encoding, so it is rejected too).
            pub(crate) fn shared_secret(key: &Private, peer: &[u8]) -> Option<Secret> {
                if peer.len() != 2 * FIELD_BYTES {
                    return None;
                }
                let mut sec1 = Vec::with_capacity(1 + peer.len());
                sec1.push(0x04);
                sec1.extend_from_slice(peer);
                let peer = $krate::PublicKey::from_sec1_bytes(&sec1).ok()?;
                let shared =
                    $krate::ecdh::diffie_hellman(key.to_nonzero_scalar(), peer.as_affine());
                Some(Secret::from_slice(&shared.raw_secret_bytes()[..]))
            }
        }
    };
}

ecp_curve!(p256_group, p256, 32, 0xff);
ecp_curve!(p384_group, p384, 48, 0xff);
ecp_curve!(p521_group, p521, 66, 0x01);
