//! Key exchange groups (transform type 4) and private DH values.
//!
//! None of these run on `ring`: its agreement API only accepts ephemeral
//! private keys that it generates itself, so neither the RFC 7748 / RFC 5903
//! test vectors nor deterministic simulations (a seeded [`RandomSource`])
//! are possible with it, and it lacks P-521 and the MODP groups. Instead:
//! X25519 on `x25519-dalek`, ECP on `p256`/`p384`/`p521`, MODP on
//! `crypto-bigint` (constant-time Montgomery exponentiation).

use std::fmt;

use super::ecp::{p256_group, p384_group, p521_group};
use super::error::CryptoError;
use super::modp::{self, Modp};
use super::random::RandomSource;
use super::secret::Secret;
use super::x25519;

/// A Diffie-Hellman group (IKEv2 transform type 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DhGroup {
    /// Group 14: 2048-bit MODP (RFC 3526).
    Modp2048,
    /// Group 15: 3072-bit MODP (RFC 3526).
    Modp3072,
    /// Group 19: 256-bit random ECP, NIST P-256 (RFC 5903).
    Ecp256,
    /// Group 20: 384-bit random ECP, NIST P-384 (RFC 5903).
    Ecp384,
    /// Group 21: 521-bit random ECP, NIST P-521 (RFC 5903).
    Ecp521,
    /// Group 31: Curve25519 (RFC 8031).
    Curve25519,
}

impl DhGroup {
    /// All supported groups.
    pub const ALL: [DhGroup; 6] = [
        Self::Modp2048,
        Self::Modp3072,
        Self::Ecp256,
        Self::Ecp384,
        Self::Ecp521,
        Self::Curve25519,
    ];

    /// The group for an IANA transform ID, if supported.
    pub fn from_id(id: u16) -> Option<Self> {
        match id {
            14 => Some(Self::Modp2048),
            15 => Some(Self::Modp3072),
            19 => Some(Self::Ecp256),
            20 => Some(Self::Ecp384),
            21 => Some(Self::Ecp521),
            31 => Some(Self::Curve25519),
            _ => None,
        }
    }

    /// The IANA transform ID (also the KE payload's group number).
    pub fn id(&self) -> u16 {
        match self {
            Self::Modp2048 => 14,
            Self::Modp3072 => 15,
            Self::Ecp256 => 19,
            Self::Ecp384 => 20,
            Self::Ecp521 => 21,
            Self::Curve25519 => 31,
        }
    }

    /// Length of the KE payload's key exchange data in bytes.
    pub fn public_len(&self) -> usize {
        match self {
            Self::Modp2048 => Modp::G2048.len(),
            Self::Modp3072 => Modp::G3072.len(),
            Self::Ecp256 => 2 * p256_group::FIELD_BYTES,
            Self::Ecp384 => 2 * p384_group::FIELD_BYTES,
            Self::Ecp521 => 2 * p521_group::FIELD_BYTES,
            Self::Curve25519 => x25519::LEN,
        }
    }

    /// strongSwan-style name: `modp2048`, `modp3072`, `ecp256`, `ecp384`,
    /// `ecp521`, `x25519`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Modp2048 => "modp2048",
            Self::Modp3072 => "modp3072",
            Self::Ecp256 => "ecp256",
            Self::Ecp384 => "ecp384",
            Self::Ecp521 => "ecp521",
            Self::Curve25519 => "x25519",
        }
    }

    /// A fresh private value for this group.
    ///
    /// # Panics
    ///
    /// Only if `rng` is broken badly enough (e.g. returns constant bytes)
    /// that no valid ECP scalar comes out of a thousand draws.
    pub fn generate(&self, rng: &mut dyn RandomSource) -> DhPrivate {
        let key = match self {
            Self::Modp2048 => PrivateKey::Modp(Box::new(modp::generate(Modp::G2048, rng))),
            Self::Modp3072 => PrivateKey::Modp(Box::new(modp::generate(Modp::G3072, rng))),
            Self::Ecp256 => PrivateKey::Ecp256(p256_group::generate(rng)),
            Self::Ecp384 => PrivateKey::Ecp384(p384_group::generate(rng)),
            Self::Ecp521 => PrivateKey::Ecp521(p521_group::generate(rng)),
            Self::Curve25519 => PrivateKey::X25519(x25519::generate(rng)),
        };
        DhPrivate::with_key(*self, key)
    }
}

impl fmt::Display for DhGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The private half of a key exchange. All variants wipe their secret on
/// drop; [`fmt::Debug`] shows only the group.
enum PrivateKey {
    Modp(Box<modp::Private>),
    Ecp256(p256_group::Private),
    Ecp384(p384_group::Private),
    Ecp521(p521_group::Private),
    X25519(x25519::Private),
}

/// A private Diffie-Hellman value together with its public value.
pub struct DhPrivate {
    group: DhGroup,
    key: PrivateKey,
    /// Computed once: for MODP it costs a full exponentiation.
    public: Vec<u8>,
}

impl DhPrivate {
    fn with_key(group: DhGroup, key: PrivateKey) -> Self {
        let public = match &key {
            PrivateKey::Modp(k) => k.public_value(),
            PrivateKey::Ecp256(k) => p256_group::public_value(k),
            PrivateKey::Ecp384(k) => p384_group::public_value(k),
            PrivateKey::Ecp521(k) => p521_group::public_value(k),
            PrivateKey::X25519(k) => x25519::public_value(k),
        };
        Self { group, key, public }
    }

    /// A private value from fixed bytes, for test vectors and replays:
    /// the 32-byte X25519 scalar (RFC 7748, little-endian), the ECP scalar
    /// (big-endian, exactly the field size: 32, 48 or 66 bytes), or the MODP
    /// exponent (big-endian, 1 byte up to the modulus length, at least 2).
    ///
    /// # Errors
    ///
    /// [`CryptoError::InvalidPrivateValue`] for a wrong length, a zero
    /// scalar, or a scalar not below the curve order.
    pub fn from_secret_bytes(group: DhGroup, bytes: &[u8]) -> Result<Self, CryptoError> {
        let key = match group {
            DhGroup::Modp2048 => {
                modp::from_bytes(Modp::G2048, bytes).map(|k| PrivateKey::Modp(Box::new(k)))
            }
            DhGroup::Modp3072 => {
                modp::from_bytes(Modp::G3072, bytes).map(|k| PrivateKey::Modp(Box::new(k)))
            }
            DhGroup::Ecp256 => p256_group::from_bytes(bytes).map(PrivateKey::Ecp256),
            DhGroup::Ecp384 => p384_group::from_bytes(bytes).map(PrivateKey::Ecp384),
            DhGroup::Ecp521 => p521_group::from_bytes(bytes).map(PrivateKey::Ecp521),
            DhGroup::Curve25519 => x25519::from_bytes(bytes).map(PrivateKey::X25519),
        }
        .ok_or(CryptoError::InvalidPrivateValue { group })?;
        Ok(Self::with_key(group, key))
    }

    /// The group.
    pub fn group(&self) -> DhGroup {
        self.group
    }

    /// The public value in IKE KE payload encoding: MODP big-endian padded
    /// to the modulus length; ECP `x || y` each padded to the field size,
    /// without the SEC1 `0x04` prefix (RFC 5903 7); X25519 the 32-byte
    /// u-coordinate (RFC 8031 2).
    pub fn public_value(&self) -> Vec<u8> {
        self.public.clone()
    }

    /// The shared secret `g^ir` for the peer's public value: MODP padded to
    /// the modulus length, ECP the x coordinate only (RFC 5903 7), X25519
    /// the 32-byte output (RFC 8031 2.1).
    ///
    /// # Errors
    ///
    /// [`CryptoError::InvalidPublicValue`] for a value of the wrong length;
    /// for MODP one outside `[2, p-2]`; for ECP one not on the curve; for
    /// X25519 one giving the all-zero output (low order, RFC 7748 6.1).
    pub fn shared_secret(&self, peer_public: &[u8]) -> Result<Secret, CryptoError> {
        let shared = match &self.key {
            PrivateKey::Modp(k) => k.shared_secret(peer_public),
            PrivateKey::Ecp256(k) => p256_group::shared_secret(k, peer_public),
            PrivateKey::Ecp384(k) => p384_group::shared_secret(k, peer_public),
            PrivateKey::Ecp521(k) => p521_group::shared_secret(k, peer_public),
            PrivateKey::X25519(k) => x25519::shared_secret(k, peer_public),
        };
        shared.ok_or(CryptoError::InvalidPublicValue { group: self.group })
    }
}

impl fmt::Debug for DhPrivate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DhPrivate")
            .field("group", &self.group)
            .field("private", &"[redacted]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::random::SeededRandom;
    use crate::crypto::test_util::hex;

    fn private(group: DhGroup, hex_bytes: &str) -> DhPrivate {
        DhPrivate::from_secret_bytes(group, &hex(hex_bytes)).unwrap()
    }

    fn rejects(key: &DhPrivate, peer: &[u8]) {
        assert_eq!(
            key.shared_secret(peer),
            Err(CryptoError::InvalidPublicValue { group: key.group() }),
            "{:?} accepted a {}-byte peer value",
            key.group(),
            peer.len()
        );
    }

    #[test]
    fn ids_lengths_names() {
        for g in DhGroup::ALL {
            assert_eq!(DhGroup::from_id(g.id()), Some(g));
        }
        assert_eq!(DhGroup::from_id(2), None);
        let lens: Vec<usize> = DhGroup::ALL.iter().map(DhGroup::public_len).collect();
        assert_eq!(lens, [256, 384, 64, 96, 132, 32]);
        let names: Vec<&str> = DhGroup::ALL.iter().map(DhGroup::name).collect();
        assert_eq!(
            names,
            ["modp2048", "modp3072", "ecp256", "ecp384", "ecp521", "x25519"]
        );
    }

    /// RFC 7748 section 5.2: the two single X25519 invocations (the second
    /// has the high bit of u set, which must be ignored).
    #[test]
    fn rfc7748_5_2_x25519() {
        let cases = [
            (
                "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
                "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
                "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
            ),
            (
                "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
                "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
                "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
            ),
        ];
        for (scalar, u, out) in cases {
            let key = private(DhGroup::Curve25519, scalar);
            assert_eq!(
                key.shared_secret(&hex(u)).unwrap().expose(),
                hex(out).as_slice()
            );
        }
    }

    /// RFC 7748 section 6.1: Alice and Bob.
    #[test]
    fn rfc7748_6_1_x25519() {
        let alice = private(
            DhGroup::Curve25519,
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
        );
        let bob = private(
            DhGroup::Curve25519,
            "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
        );
        let alice_pub = hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        let bob_pub = hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        let shared = hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        assert_eq!(alice.public_value(), alice_pub);
        assert_eq!(bob.public_value(), bob_pub);
        assert_eq!(
            alice.shared_secret(&bob_pub).unwrap().expose(),
            shared.as_slice()
        );
        assert_eq!(
            bob.shared_secret(&alice_pub).unwrap().expose(),
            shared.as_slice()
        );
    }

    #[test]
    fn x25519_rejects_low_order_and_bad_lengths() {
        let key = private(
            DhGroup::Curve25519,
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
        );
        rejects(&key, &[0u8; 32]);
        let mut one = [0u8; 32];
        one[0] = 1;
        rejects(&key, &one);
        rejects(&key, &[9u8; 31]);
        rejects(&key, &[9u8; 33]);
        rejects(&key, &[]);
        assert!(DhPrivate::from_secret_bytes(DhGroup::Curve25519, &[1u8; 31]).is_err());
    }

    /// One RFC 5903 section 8 vector: i, g^i = (gix, giy), r, g^r, x(g^ir).
    struct EcpVector {
        group: DhGroup,
        i: &'static str,
        gix: &'static str,
        giy: &'static str,
        r: &'static str,
        grx: &'static str,
        gry: &'static str,
        girx: &'static str,
    }

    const RFC5903: [EcpVector; 3] = [
        // Section 8.1, 256-bit random ECP group.
        EcpVector {
            group: DhGroup::Ecp256,
            i: "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433",
            gix: "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180",
            giy: "5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3",
            r: "C6EF9C5D 78AE012A 011164AC B397CE20 88685D8F 06BF9BE0 B283AB46 476BEE53",
            grx: "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63",
            gry: "56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB",
            girx: "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE",
        },
        // Section 8.2, 384-bit random ECP group.
        EcpVector {
            group: DhGroup::Ecp384,
            i: "099F3C70 34D4A2C6 99884D73 A375A67F 7624EF7C 6B3C0F16 0647B674 14DCE655
                E35B5380 41E649EE 3FAEF896 783AB194",
            gix: "667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 B4C55EE6
                  DE3AC808 ACB4BDB4 C88732AE E95F41AA",
            giy: "9482ED1F C0EEB9CA FC498462 5CCFC23F 65032149 E0E144AD A0241815 35A0F38E
                  EB9FCFF3 C2C947DA E69B4C63 4573A81C",
            r: "41CB0779 B4BDB85D 47846725 FBEC3C94 30FAB46C C8DC5060 855CC9BD A0AA2942
                E0308312 916B8ED2 960E4BD5 5A7448FC",
            grx: "E558DBEF 53EECDE3 D3FCCFC1 AEA08A89 A987475D 12FD950D 83CFA417 32BC509D
                  0D1AC43A 0336DEF9 6FDA41D0 774A3571",
            gry: "DCFBEC7A ACF31964 72169E83 8430367F 66EEBE3C 6E70C416 DD5F0C68 759DD1FF
                  F83FA401 42209DFF 5EAAD96D B9E6386C",
            girx: "11187331 C279962D 93D60424 3FD592CB 9D0A926F 422E4718 7521287E 7156C5C4
                   D6031355 69B9E9D0 9CF5D4A2 70F59746",
        },
        // Section 8.3, 521-bit random ECP group.
        EcpVector {
            group: DhGroup::Ecp521,
            i: "0037ADE9 319A89F4 DABDB3EF 411AACCC A5123C61 ACAB57B5 393DCE47 608172A0
                95AA85A3 0FE1C295 2C6771D9 37BA9777 F5957B26 39BAB072 462F68C2 7A57382D
                4A52",
            gix: "0015417E 84DBF28C 0AD3C278 713349DC 7DF153C8 97A1891B D98BAB43 57C9ECBE
                  E1E3BF42 E00B8E38 0AEAE57C 2D107564 94188594 2AF5A7F4 601723C4 195D176C
                  ED3E",
            giy: "017CAE20 B6641D2E EB695786 D8C94614 6239D099 E18E1D5A 514C739D 7CB4A10A
                  D8A78801 5AC405D7 799DC75E 7B7D5B6C F2261A6A 7F150743 8BF01BEB 6CA3926F
                  9582",
            r: "0145BA99 A847AF43 793FDD0E 872E7CDF A16BE30F DC780F97 BCCC3F07 8380201E
                9C677D60 0B343757 A3BDBF2A 3163E4C2 F869CCA7 458AA4A4 EFFC311F 5CB15168
                5EB9",
            grx: "00D0B397 5AC4B799 F5BEA16D 5E13E9AF 971D5E9B 984C9F39 728B5E57 39735A21
                  9B97C356 436ADC6E 95BB0352 F6BE64A6 C2912D4E F2D0433C ED2B6171 640012D9
                  460F",
            gry: "015C6822 6383956E 3BD066E7 97B623C2 7CE0EAC2 F551A10C 2C724D98 52077B87
                  220B6536 C5C408A1 D2AEBB8E 86D678AE 49CB5709 1F473229 6579AB44 FCD17F0F
                  C56A",
            girx: "01144C7D 79AE6956 BC8EDB8E 7C787C45 21CB086F A64407F9 7894E5E6 B2D79B04
                   D1427E73 CA4BAA24 0A347868 59810C06 B3C715A3 A8CC3151 F2BEE417 996D19F3
                   DDEA",
        },
    ];

    #[test]
    fn rfc5903_ecp_vectors() {
        for v in &RFC5903 {
            let i = private(v.group, v.i);
            let r = private(v.group, v.r);
            let gi = [hex(v.gix), hex(v.giy)].concat();
            let gr = [hex(v.grx), hex(v.gry)].concat();
            assert_eq!(i.public_value(), gi, "{:?} g^i", v.group);
            assert_eq!(r.public_value(), gr, "{:?} g^r", v.group);
            assert_eq!(gi.len(), v.group.public_len());
            let girx = hex(v.girx);
            assert_eq!(
                i.shared_secret(&gr).unwrap().expose(),
                girx.as_slice(),
                "{:?} i*g^r",
                v.group
            );
            assert_eq!(
                r.shared_secret(&gi).unwrap().expose(),
                girx.as_slice(),
                "{:?} r*g^i",
                v.group
            );
        }
    }

    #[test]
    fn ecp_rejects_invalid_peer_values() {
        for v in &RFC5903 {
            let i = private(v.group, v.i);
            let gr = [hex(v.grx), hex(v.gry)].concat();
            // Off the curve: y changed by one.
            let mut off_curve = gr.clone();
            *off_curve.last_mut().unwrap() ^= 1;
            rejects(&i, &off_curve);
            // (0, 0) is not on these curves; the identity has no x || y form.
            rejects(&i, &vec![0u8; gr.len()]);
            // Coordinates >= p.
            rejects(&i, &vec![0xffu8; gr.len()]);
            // Wrong lengths, including the SEC1 form with its 0x04 prefix.
            rejects(&i, &[&[0x04][..], &gr].concat());
            rejects(&i, &gr[..gr.len() - 1]);
            rejects(&i, &gr[..gr.len() / 2]);
            rejects(&i, &[]);
        }
    }

    #[test]
    fn ecp_rejects_invalid_private_values() {
        for (group, len) in [
            (DhGroup::Ecp256, 32),
            (DhGroup::Ecp384, 48),
            (DhGroup::Ecp521, 66),
        ] {
            let err = Err(CryptoError::InvalidPrivateValue { group });
            assert_eq!(
                DhPrivate::from_secret_bytes(group, &vec![0u8; len]).map(|_| ()),
                err
            );
            assert_eq!(
                DhPrivate::from_secret_bytes(group, &vec![0xffu8; len]).map(|_| ()),
                err
            );
            assert_eq!(
                DhPrivate::from_secret_bytes(group, &vec![1u8; len - 1]).map(|_| ()),
                err
            );
        }
    }

    #[test]
    fn generated_keys_agree_in_every_group() {
        let mut rng = SeededRandom::new(2024);
        for group in DhGroup::ALL {
            let a = group.generate(&mut rng);
            let b = group.generate(&mut rng);
            assert_eq!(a.group(), group);
            assert_eq!(a.public_value().len(), group.public_len());
            assert_ne!(a.public_value(), b.public_value());
            let ab = a.shared_secret(&b.public_value()).unwrap();
            let ba = b.shared_secret(&a.public_value()).unwrap();
            assert_eq!(ab, ba, "{group:?}");
            let expected_len = match group {
                DhGroup::Ecp256 | DhGroup::Ecp384 | DhGroup::Ecp521 => group.public_len() / 2,
                _ => group.public_len(),
            };
            assert_eq!(ab.len(), expected_len);
        }
    }

    #[test]
    fn generation_is_deterministic_with_a_seed() {
        for group in [DhGroup::Curve25519, DhGroup::Ecp521, DhGroup::Modp2048] {
            let a = group.generate(&mut SeededRandom::new(5));
            let b = group.generate(&mut SeededRandom::new(5));
            assert_eq!(a.public_value(), b.public_value());
        }
    }

    /// The RFC 3526 primes, big-endian.
    fn modp_prime(group: DhGroup) -> Vec<u8> {
        match group {
            DhGroup::Modp2048 => hex(super::modp::P2048_HEX),
            _ => hex(super::modp::P3072_HEX),
        }
    }

    /// `value - 1` for a big-endian number not ending in a zero byte.
    fn minus_one(mut value: Vec<u8>) -> Vec<u8> {
        let last = value.last_mut().unwrap();
        assert_ne!(*last, 0);
        *last -= 1;
        value
    }

    #[test]
    fn modp_rejects_out_of_range_peer_values() {
        let mut rng = SeededRandom::new(99);
        for group in [DhGroup::Modp2048, DhGroup::Modp3072] {
            let key = group.generate(&mut rng);
            let len = group.public_len();
            let p = modp_prime(group);
            assert_eq!(p.len(), len);
            let mut one = vec![0u8; len];
            one[len - 1] = 1;
            let mut two = vec![0u8; len];
            two[len - 1] = 2;
            rejects(&key, &vec![0u8; len]);
            rejects(&key, &one);
            rejects(&key, &minus_one(p.clone()));
            rejects(&key, &p);
            rejects(&key, &vec![0xffu8; len]);
            rejects(&key, &two[1..]);
            rejects(&key, &[&[0u8][..], &two].concat());
            // The extremes of the valid range are accepted.
            assert!(key.shared_secret(&two).is_ok());
            assert!(key.shared_secret(&minus_one(minus_one(p))).is_ok());
        }
    }

    #[test]
    fn modp_known_answers() {
        for group in [DhGroup::Modp2048, DhGroup::Modp3072] {
            let len = group.public_len();
            // x = 2: g^x = 4.
            let key = DhPrivate::from_secret_bytes(group, &[2]).unwrap();
            let mut four = vec![0u8; len];
            four[len - 1] = 4;
            assert_eq!(key.public_value(), four);
            // x = 3, peer y = 4: y^x = 64 (and agrees with the peer, x = 2).
            let key3 = DhPrivate::from_secret_bytes(group, &[3]).unwrap();
            let mut sixty_four = vec![0u8; len];
            sixty_four[len - 1] = 64;
            assert_eq!(
                key3.shared_secret(&four).unwrap().expose(),
                sixty_four.as_slice()
            );
            assert_eq!(
                key.shared_secret(&key3.public_value()).unwrap().expose(),
                sixty_four.as_slice()
            );
            // Fermat: 2^(p-1) = 1 mod p, a full-length exponent through the
            // constant-time path (and a primality sanity check on p).
            let fermat =
                DhPrivate::from_secret_bytes(group, &minus_one(modp_prime(group))).unwrap();
            let mut one = vec![0u8; len];
            one[len - 1] = 1;
            assert_eq!(fermat.public_value(), one);
        }
    }

    #[test]
    fn modp_rejects_invalid_private_values() {
        for group in [DhGroup::Modp2048, DhGroup::Modp3072] {
            let err = Err(CryptoError::InvalidPrivateValue { group });
            for bad in [
                vec![],
                vec![0],
                vec![1],
                vec![0, 0, 1],
                vec![7u8; group.public_len() + 1],
            ] {
                assert_eq!(
                    DhPrivate::from_secret_bytes(group, &bad).map(|_| ()),
                    err,
                    "{bad:?}"
                );
            }
        }
    }

    #[test]
    fn debug_does_not_leak() {
        let key = private(
            DhGroup::Curve25519,
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
        );
        let printed = format!("{key:?}");
        assert_eq!(
            printed,
            "DhPrivate { group: Curve25519, private: \"[redacted]\" }"
        );
    }
}
