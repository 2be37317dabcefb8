//! MS-CHAPv2 arithmetic (RFC 2759 section 8) and its MPPE keys (RFC 3079
//! section 3), from which EAP-MSCHAPv2 derives its MSK.

use des::cipher::{BlockCipherEncrypt, KeyInit};
use des::Des;
use md4::{Digest, Md4};
use sha1::Sha1;
use zeroize::Zeroizing;

use crate::Secret;

/// RFC 2759 8.7 Magic1.
const AUTH_MAGIC1: &[u8] = b"Magic server to client signing constant";
/// RFC 2759 8.7 Magic2.
const AUTH_MAGIC2: &[u8] = b"Pad to make it do more than one iteration";
/// RFC 3079 3.4 Magic1.
const MASTER_MAGIC: &[u8] = b"This is the MPPE Master Key";
/// RFC 3079 3.4 Magic2: the client's send key, the server's receive key.
const KEY_MAGIC2: &[u8] =
    b"On the client side, this is the send key; on the server side, it is the receive key.";
/// RFC 3079 3.4 Magic3: the client's receive key, the server's send key.
const KEY_MAGIC3: &[u8] =
    b"On the client side, this is the receive key; on the server side, it is the send key.";

/// `NtPasswordHash` (RFC 2759 8.3): MD4 of the password in UTF-16LE. A
/// password that is not UTF-8 is read as Latin-1.
pub(crate) fn nt_password_hash(password: &[u8]) -> Secret {
    let mut utf16 = Zeroizing::new(Vec::with_capacity(password.len() * 2));
    match std::str::from_utf8(password) {
        Ok(text) => {
            for unit in text.encode_utf16() {
                utf16.extend_from_slice(&unit.to_le_bytes());
            }
        }
        Err(_) => {
            for &b in password {
                utf16.extend_from_slice(&u16::from(b).to_le_bytes());
            }
        }
    }
    let hash: [u8; 16] = Md4::digest(utf16.as_slice()).into();
    let hash = Zeroizing::new(hash);
    Secret::from_slice(hash.as_slice())
}

/// `HashNtPasswordHash` (RFC 2759 8.4).
fn hash_nt_password_hash(password_hash: &[u8]) -> Zeroizing<[u8; 16]> {
    Zeroizing::new(Md4::digest(password_hash).into())
}

/// The user name as hashed: without a `DOMAIN\` prefix (RFC 2759 4).
pub(crate) fn strip_domain(name: &[u8]) -> &[u8] {
    match name.iter().position(|&b| b == b'\\') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// `ChallengeHash` (RFC 2759 8.2).
pub(crate) fn challenge_hash(
    peer_challenge: &[u8; 16],
    auth_challenge: &[u8; 16],
    user: &[u8],
) -> [u8; 8] {
    let digest = Sha1::new()
        .chain_update(peer_challenge)
        .chain_update(auth_challenge)
        .chain_update(strip_domain(user))
        .finalize();
    let mut out = [0; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

/// Spreads 7 key bytes over the 8 bytes DES takes (parity bits left zero).
fn des_key(seven: &[u8; 7]) -> [u8; 8] {
    let mut key = [0u8; 8];
    key[0] = seven[0];
    for i in 1..7 {
        key[i] = (seven[i - 1] << (8 - i)) | (seven[i] >> i);
    }
    key[7] = seven[6] << 1;
    key
}

fn des_encrypt(seven: &[u8; 7], block: &[u8; 8]) -> [u8; 8] {
    let key = Zeroizing::new(des_key(seven));
    let cipher = Des::new(&(*key).into());
    let mut block = (*block).into();
    cipher.encrypt_block(&mut block);
    block.into()
}

/// `ChallengeResponse` (RFC 2759 8.5): three DES encryptions of the
/// challenge under the zero-padded 21-byte password hash.
pub(crate) fn challenge_response(challenge: &[u8; 8], password_hash: &[u8]) -> [u8; 24] {
    let mut z = Zeroizing::new([0u8; 21]);
    let n = password_hash.len().min(16);
    z[..n].copy_from_slice(&password_hash[..n]);
    let mut out = [0u8; 24];
    for (i, chunk) in out.chunks_exact_mut(8).enumerate() {
        let mut seven = Zeroizing::new([0u8; 7]);
        seven.copy_from_slice(&z[i * 7..i * 7 + 7]);
        chunk.copy_from_slice(&des_encrypt(&seven, challenge));
    }
    out
}

/// `GenerateNTResponse` (RFC 2759 8.1) from the NT password hash.
pub(crate) fn nt_response(
    auth_challenge: &[u8; 16],
    peer_challenge: &[u8; 16],
    user: &[u8],
    password_hash: &[u8],
) -> [u8; 24] {
    let challenge = challenge_hash(peer_challenge, auth_challenge, user);
    challenge_response(&challenge, password_hash)
}

/// `GenerateAuthenticatorResponse` (RFC 2759 8.7): the 20 bytes the server
/// sends as `S=<40 hex digits>` to prove it knows the password hash.
pub(crate) fn authenticator_response(
    password_hash: &[u8],
    nt_response: &[u8; 24],
    peer_challenge: &[u8; 16],
    auth_challenge: &[u8; 16],
    user: &[u8],
) -> [u8; 20] {
    let hash_hash = hash_nt_password_hash(password_hash);
    let digest = Sha1::new()
        .chain_update(hash_hash.as_slice())
        .chain_update(nt_response)
        .chain_update(AUTH_MAGIC1)
        .finalize();
    let challenge = challenge_hash(peer_challenge, auth_challenge, user);
    Sha1::new()
        .chain_update(digest)
        .chain_update(challenge)
        .chain_update(AUTH_MAGIC2)
        .finalize()
        .into()
}

/// `GetMasterKey` (RFC 3079 3.4).
pub(crate) fn master_key(password_hash: &[u8], nt_response: &[u8; 24]) -> Zeroizing<[u8; 16]> {
    let hash_hash = hash_nt_password_hash(password_hash);
    let digest = Zeroizing::new(
        Sha1::new()
            .chain_update(hash_hash.as_slice())
            .chain_update(nt_response)
            .chain_update(MASTER_MAGIC)
            .finalize(),
    );
    let mut out = Zeroizing::new([0u8; 16]);
    out.copy_from_slice(&digest[..16]);
    out
}

/// `GetAsymmetricStartKey` (RFC 3079 3.4) for 128-bit keys.
pub(crate) fn asymmetric_start_key(
    master_key: &[u8; 16],
    is_send: bool,
    is_server: bool,
) -> Zeroizing<[u8; 16]> {
    let magic = if is_send == is_server {
        KEY_MAGIC3
    } else {
        KEY_MAGIC2
    };
    let digest = Zeroizing::new(
        Sha1::new()
            .chain_update(master_key)
            .chain_update([0u8; 40])
            .chain_update(magic)
            .chain_update([0xf2u8; 40])
            .finalize(),
    );
    let mut out = Zeroizing::new([0u8; 16]);
    out.copy_from_slice(&digest[..16]);
    out
}

/// The 32-byte EAP-MSCHAPv2 MSK as hostapd and Windows derive it: the
/// peer's MS-MPPE-Send-Key then its MS-MPPE-Recv-Key (the server's Recv-Key
/// then its Send-Key), so both sides get the same bytes.
pub(crate) fn msk(password_hash: &[u8], nt_response: &[u8; 24]) -> Secret {
    let master = master_key(password_hash, nt_response);
    let peer_send = asymmetric_start_key(&master, true, false);
    let peer_recv = asymmetric_start_key(&master, false, false);
    let mut out = Vec::with_capacity(32);
    out.extend_from_slice(peer_send.as_slice());
    out.extend_from_slice(peer_recv.as_slice());
    Secret::new(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{hex_decode, hex_upper};

    fn h<const N: usize>(s: &str) -> [u8; N] {
        hex_decode(s).unwrap().try_into().unwrap()
    }

    // RFC 2759 9.2.
    const USER: &[u8] = b"User";
    const PASSWORD: &[u8] = b"clientPass";
    const AUTH_CHALLENGE: &str = "5B5D7C7D7B3F2F3E3C2C602132262628";
    const PEER_CHALLENGE: &str = "21402324255E262A28295F2B3A337C7E";

    #[test]
    fn rfc2759_section_9_2() {
        let auth: [u8; 16] = h(AUTH_CHALLENGE);
        let peer: [u8; 16] = h(PEER_CHALLENGE);
        assert_eq!(
            hex_upper(&challenge_hash(&peer, &auth, USER)),
            "D02E4386BCE91226"
        );
        let hash = nt_password_hash(PASSWORD);
        assert_eq!(hex_upper(hash.expose()), "44EBBA8D5312B8D611474411F56989AE");
        assert_eq!(
            hex_upper(hash_nt_password_hash(hash.expose()).as_slice()),
            "41C00C584BD2D91C4017A2A12FA59F3F"
        );
        let nt = nt_response(&auth, &peer, USER, hash.expose());
        assert_eq!(
            hex_upper(&nt),
            "82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF"
        );
        let s = authenticator_response(hash.expose(), &nt, &peer, &auth, USER);
        assert_eq!(hex_upper(&s), "407A5589115FD0D6209F510FE9C04566932CDA56");
    }

    #[test]
    fn domain_prefix_is_not_hashed() {
        let auth: [u8; 16] = h(AUTH_CHALLENGE);
        let peer: [u8; 16] = h(PEER_CHALLENGE);
        assert_eq!(
            challenge_hash(&peer, &auth, b"CORP\\User"),
            challenge_hash(&peer, &auth, USER)
        );
    }

    #[test]
    fn des_key_spreads_bits() {
        // Each key byte carries the next 7 bits in its high bits; DES ignores
        // the low (parity) bit.
        let masked = |k: [u8; 8]| k.map(|b| b & 0xfe);
        assert_eq!(masked(des_key(&[0xff; 7])), [0xfe; 8]);
        assert_eq!(
            masked(des_key(&[0x80, 0, 0, 0, 0, 0, 0x01])),
            [0x80, 0, 0, 0, 0, 0, 0, 0x02]
        );
        assert_eq!(
            masked(des_key(&[0x01, 0, 0, 0, 0, 0, 0])),
            [0x00, 0x80, 0, 0, 0, 0, 0, 0]
        );
    }

    // RFC 3079 3.5.3 (128-bit keys). The RFC prints the server's send key
    // (Magic3); the peer's send key (Magic2) is cross-checked against other
    // implementations (hostapd, Android's EAP-MSCHAPv2 tests).
    #[test]
    fn rfc3079_section_3_5_3() {
        let hash = nt_password_hash(PASSWORD);
        let nt: [u8; 24] = h("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF");
        let master = master_key(hash.expose(), &nt);
        assert_eq!(
            hex_upper(master.as_slice()),
            "FDECE3717A8C838CB388E527AE3CDD31"
        );
        let server_send = asymmetric_start_key(&master, true, true);
        assert_eq!(
            hex_upper(server_send.as_slice()),
            "8B7CDC149B993A1BA118CB153F56DCCB"
        );
        assert_eq!(*asymmetric_start_key(&master, false, false), *server_send);
        let server_recv = asymmetric_start_key(&master, false, true);
        assert_eq!(
            hex_upper(server_recv.as_slice()),
            "D5F0E9521E3EA9589645E86051C82226"
        );
        assert_eq!(*asymmetric_start_key(&master, true, false), *server_recv);
        assert_eq!(
            hex_upper(msk(hash.expose(), &nt).expose()),
            "D5F0E9521E3EA9589645E86051C822268B7CDC149B993A1BA118CB153F56DCCB"
        );
    }

    #[test]
    fn non_utf8_password_is_latin1() {
        assert_eq!(
            nt_password_hash(&[0xe9]).expose(),
            nt_password_hash("é".as_bytes()).expose()
        );
    }
}
