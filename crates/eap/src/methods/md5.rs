//! EAP-MD5-Challenge (RFC 3748 5.4, RFC 1994): MD5(identifier || secret ||
//! challenge). Weak (offline dictionary attacks on one exchange): peers
//! answer it only when the profile allows it.

use md5::{Digest, Md5};

/// The request's challenge value.
pub(crate) fn parse_request(data: &[u8]) -> Option<&[u8]> {
    let (&size, rest) = data.split_first()?;
    let value = rest.get(..usize::from(size))?;
    (!value.is_empty()).then_some(value)
}

/// The response type-data: Value-Size 16, the hash, then the name.
pub(crate) fn response(identifier: u8, secret: &[u8], challenge: &[u8], name: &[u8]) -> Vec<u8> {
    let hash = Md5::new()
        .chain_update([identifier])
        .chain_update(secret)
        .chain_update(challenge)
        .finalize();
    let mut out = Vec::with_capacity(17 + name.len());
    out.push(16);
    out.extend_from_slice(&hash);
    out.extend_from_slice(name);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::hex_upper;

    #[test]
    fn chap_md5_response() {
        // MD5(0x01 || "secret" || 00..0f), checked with Python's hashlib.
        let challenge: Vec<u8> = (0..16).collect();
        let data = response(1, b"secret", &challenge, b"bob");
        assert_eq!(data[0], 16);
        assert_eq!(hex_upper(&data[1..17]), "740E86463BDA3A4D7017D6E0FBA0699D");
        assert_eq!(&data[17..], b"bob");
    }

    #[test]
    fn parses_challenge() {
        assert_eq!(parse_request(&[2, 9, 8, b'x']), Some(&[9, 8][..]));
        assert_eq!(parse_request(&[3, 9, 8]), None);
        assert_eq!(parse_request(&[0]), None);
        assert_eq!(parse_request(&[]), None);
    }
}
