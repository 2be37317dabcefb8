//! Finite-field Diffie-Hellman, MODP groups 14 and 15 (RFC 3526: 2048- and
//! 3072-bit safe primes, generator 2), on `crypto-bigint`.
//!
//! `ring` has no finite-field DH at all. Exponentiation uses
//! `crypto-bigint`'s constant-time Montgomery-form `pow_bounded_exp`: the
//! running time depends on the (public) bound of the exponent length, never
//! on the exponent's value.

use std::sync::OnceLock;

use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
use crypto_bigint::{Odd, Uint, U2048, U3072};
use zeroize::{Zeroize, Zeroizing};

use super::random::RandomSource;
use super::secret::Secret;

/// RFC 3526 section 3, the 2048-bit MODP group (IKE group 14), big-endian hex.
/// Checked against the RFC's formula `2^2048 - 2^1984 - 1 + 2^64 * ([2^1918 pi] + 124476)`.
pub(crate) const P2048_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF",
);

/// RFC 3526 section 4, the 3072-bit MODP group (IKE group 15), big-endian hex.
/// Checked against the RFC's formula `2^3072 - 2^3008 - 1 + 2^64 * ([2^2942 pi] + 1690314)`.
pub(crate) const P3072_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

/// Length in bits of freshly generated private exponents.
///
/// The prime's order-q subgroup (q = (p-1)/2) is far larger than needed;
/// an exponent of twice the group's security strength suffices (NIST SP
/// 800-56A, RFC 3526 section 8: 2048-bit ~ 110-160 bits, 3072-bit ~ 130-210
/// bits). 512 bits covers both with margin and keeps exponentiation cheap.
pub(crate) const GENERATED_EXPONENT_BITS: u32 = 512;

/// Which MODP group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Modp {
    /// Group 14.
    G2048,
    /// Group 15.
    G3072,
}

impl Modp {
    /// Modulus length in bytes: the length of public values and shared secrets.
    pub(crate) fn len(self) -> usize {
        match self {
            Self::G2048 => 256,
            Self::G3072 => 384,
        }
    }
}

/// Precomputed Montgomery parameters of one group.
struct Params<const L: usize> {
    monty: FixedMontyParams<L>,
    p_minus_1: Uint<L>,
}

impl<const L: usize> Params<L> {
    fn new(p: Uint<L>) -> Self {
        let p_minus_1 = p.wrapping_sub(&Uint::ONE);
        let odd = Odd::new(p).expect("an RFC 3526 prime is odd");
        Self {
            monty: FixedMontyParams::new_vartime(odd),
            p_minus_1,
        }
    }
}

fn params_2048() -> &'static Params<{ U2048::LIMBS }> {
    static PARAMS: OnceLock<Params<{ U2048::LIMBS }>> = OnceLock::new();
    PARAMS.get_or_init(|| Params::new(U2048::from_be_hex(P2048_HEX)))
}

fn params_3072() -> &'static Params<{ U3072::LIMBS }> {
    static PARAMS: OnceLock<Params<{ U3072::LIMBS }>> = OnceLock::new();
    PARAMS.get_or_init(|| Params::new(U3072::from_be_hex(P3072_HEX)))
}

/// A private exponent, wiped on drop.
pub(crate) enum Private {
    /// Group 14: the exponent and the public bound on its bit length.
    G2048(Zeroizing<U2048>, u32),
    /// Group 15: the exponent and the public bound on its bit length.
    G3072(Zeroizing<U3072>, u32),
}

/// Big-endian `bytes` (at most `L` limbs long) as a `Uint`; the padded
/// copy is wiped.
fn uint_from_be<const L: usize>(bytes: &[u8]) -> Uint<L> {
    let mut padded = Zeroizing::new(vec![0u8; Uint::<L>::BYTES]);
    let start = padded.len() - bytes.len();
    padded[start..].copy_from_slice(bytes);
    Uint::from_be_slice(&padded)
}

/// `base^exp mod p` in constant time for a given `exp_bits` bound.
fn pow<const L: usize>(
    params: &Params<L>,
    base: &Uint<L>,
    exp: &Uint<L>,
    exp_bits: u32,
) -> Uint<L> {
    let mut form = FixedMontyForm::new(base, &params.monty).pow_bounded_exp(exp, exp_bits);
    let out = form.retrieve();
    form.zeroize();
    out
}

/// `Uint` to big-endian bytes in a [`Secret`], wiping the temporaries.
fn to_secret<const L: usize>(mut value: Uint<L>) -> Secret {
    let mut bytes = value.to_be_bytes();
    let out = Secret::from_slice(bytes.as_ref());
    bytes.zeroize();
    value.zeroize();
    out
}

/// A fresh random exponent of exactly [`GENERATED_EXPONENT_BITS`] bits.
pub(crate) fn generate(group: Modp, rng: &mut dyn RandomSource) -> Private {
    let mut bytes = Zeroizing::new([0u8; (GENERATED_EXPONENT_BITS / 8) as usize]);
    rng.fill(&mut bytes[..]);
    bytes[0] |= 0x80;
    make_private(group, &bytes[..], GENERATED_EXPONENT_BITS)
}

fn make_private(group: Modp, bytes: &[u8], bits: u32) -> Private {
    match group {
        Modp::G2048 => Private::G2048(Zeroizing::new(uint_from_be(bytes)), bits),
        Modp::G3072 => Private::G3072(Zeroizing::new(uint_from_be(bytes)), bits),
    }
}

/// An exponent from its big-endian encoding: 1 to modulus-length bytes, and
/// at least 2. The encoding's length (public) bounds the exponentiation.
pub(crate) fn from_bytes(group: Modp, bytes: &[u8]) -> Option<Private> {
    if bytes.is_empty() || bytes.len() > group.len() {
        return None;
    }
    // Reject 0 and 1 (they would make the public value 1 or 2 constant).
    let (last, rest) = bytes.split_last()?;
    if rest.iter().all(|&b| b == 0) && *last <= 1 {
        return None;
    }
    let bits = u32::try_from(bytes.len() * 8).ok()?;
    Some(make_private(group, bytes, bits))
}

impl Private {
    /// `2^x mod p`, big-endian, padded to the modulus length.
    pub(crate) fn public_value(&self) -> Vec<u8> {
        fn public<const L: usize>(params: &Params<L>, exp: &Uint<L>, bits: u32) -> Vec<u8> {
            let two = Uint::<L>::from_u8(2);
            pow(params, &two, exp, bits).to_be_bytes().as_ref().to_vec()
        }
        match self {
            Self::G2048(exp, bits) => public(params_2048(), exp, *bits),
            Self::G3072(exp, bits) => public(params_3072(), exp, *bits),
        }
    }

    /// `y^x mod p` padded to the modulus length, or `None` when the peer
    /// value `y` has the wrong length or is outside `[2, p-2]` (RFC 7296
    /// 3.4 / NIST SP 800-56A 5.6.2.3.1: rejects 0, 1, p-1 and anything >= p).
    pub(crate) fn shared_secret(&self, peer: &[u8]) -> Option<Secret> {
        fn shared<const L: usize>(
            params: &Params<L>,
            exp: &Uint<L>,
            bits: u32,
            peer: &[u8],
        ) -> Option<Secret> {
            if peer.len() != Uint::<L>::BYTES {
                return None;
            }
            let y = Uint::<L>::from_be_slice(peer);
            // Public value: variable-time comparisons are fine.
            let in_range =
                y.cmp_vartime(&Uint::ONE).is_gt() && y.cmp_vartime(&params.p_minus_1).is_lt();
            if !in_range {
                return None;
            }
            Some(to_secret(pow(params, &y, exp, bits)))
        }
        match self {
            Self::G2048(exp, bits) => shared(params_2048(), exp, *bits, peer),
            Self::G3072(exp, bits) => shared(params_3072(), exp, *bits, peer),
        }
    }
}
