//! AUTH payload computation (RFC 7296 2.15).

use subtle::ConstantTimeEq;

use super::prf::PrfAlg;
use super::secret::Secret;

/// The pad string of RFC 7296 2.15 for shared-key authentication.
const KEY_PAD: &[u8] = b"Key Pad for IKEv2";

/// The octets an AUTH payload signs or MACs (RFC 7296 2.15):
/// `RealMessage | NoncePeer | prf(SK_p, RestOfIDPayload)`.
///
/// * `real_message`: the sender's first message of the exchange
///   (IKE_SA_INIT request for the initiator, response for the responder),
///   exactly as sent, from the IKE header on.
/// * `peer_nonce`: the other side's Nonce payload body (`Nr` for the
///   initiator, `Ni` for the responder).
/// * `sk_p`: the sender's `SK_pi` / `SK_pr`.
/// * `id_body`: the sender's ID payload without its 4-byte generic header
///   (ID type, three reserved bytes, identification data).
pub fn signed_octets(
    prf: PrfAlg,
    real_message: &[u8],
    peer_nonce: &[u8],
    sk_p: &Secret,
    id_body: &[u8],
) -> Vec<u8> {
    let maced_id = prf.compute(sk_p.expose(), id_body);
    [real_message, peer_nonce, maced_id.expose()].concat()
}

/// Shared-key AUTH data (RFC 7296 2.15):
/// `prf(prf(psk, "Key Pad for IKEv2"), octets)`, `octets` from
/// [`signed_octets`]. Also used for EAP with the MSK in place of the PSK.
pub fn psk_auth(prf: PrfAlg, psk: &[u8], octets: &[u8]) -> Vec<u8> {
    let padded_key: Secret = prf.compute(psk, KEY_PAD);
    prf.compute(padded_key.expose(), octets).expose().to_vec()
}

/// Checks received shared-key AUTH data against [`psk_auth`] in constant
/// time.
pub fn psk_auth_verify(prf: PrfAlg, psk: &[u8], octets: &[u8], auth_data: &[u8]) -> bool {
    psk_auth(prf, psk, octets).ct_eq(auth_data).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::test_util::hex;

    #[test]
    fn signed_octets_layout() {
        let sk_p = Secret::new(vec![0x11; 32]);
        let id = b"\x02\x00\x00\x00client@example.org";
        let octets = signed_octets(PrfAlg::HmacSha256, b"message", &[0xb2; 32], &sk_p, id);
        assert_eq!(&octets[..7], b"message");
        assert_eq!(&octets[7..39], &[0xb2; 32]);
        assert_eq!(
            &octets[39..],
            PrfAlg::HmacSha256.compute(sk_p.expose(), id).expose()
        );
    }

    /// Against Python's `hmac`: SK_pi of the CBC known answer in the keys
    /// tests, nonce `b2`*32, PSK `secret`.
    #[test]
    fn psk_auth_known_answer() {
        let sk_pi = Secret::new(hex(
            "0c73494affd26cb47b5887f2b5aaccb3622ca1b1b08aa402e5233f2fcdeee7fb",
        ));
        let id = b"\x02\x00\x00\x00client@example.org";
        let octets = signed_octets(PrfAlg::HmacSha256, b"message", &[0xb2; 32], &sk_pi, id);
        assert_eq!(
            &octets[39..],
            hex("83c8ea207c189743dceb00beeee5fbc935b09797fc11ca4715da2f9d4d9f2015").as_slice()
        );
        let auth = psk_auth(PrfAlg::HmacSha256, b"secret", &octets);
        assert_eq!(
            auth,
            hex("adde325b7ccba966cfb3e16054476f1aebc2e41782e5ad0bc98ca6250ee444a2")
        );
        assert!(psk_auth_verify(
            PrfAlg::HmacSha256,
            b"secret",
            &octets,
            &auth
        ));
        assert!(!psk_auth_verify(
            PrfAlg::HmacSha256,
            b"Secret",
            &octets,
            &auth
        ));
        assert!(!psk_auth_verify(
            PrfAlg::HmacSha256,
            b"secret",
            &octets,
            &auth[..31]
        ));
    }

    #[test]
    fn psk_auth_matches_definition() {
        for prf in PrfAlg::ALL {
            let inner = prf.compute(b"psk", b"Key Pad for IKEv2");
            let expected = prf.compute(inner.expose(), b"octets");
            assert_eq!(psk_auth(prf, b"psk", b"octets"), expected.expose());
            assert_eq!(psk_auth(prf, b"psk", b"octets").len(), prf.output_len());
        }
    }
}
