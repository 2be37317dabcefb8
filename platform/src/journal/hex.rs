//! Serde helper: byte strings as lowercase hex in the journal (compact, and a
//! file's exact bytes survive even when they are not UTF-8).

use serde::{Deserialize, Deserializer, Serializer};

/// Serialize `bytes` as a hex string.
pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    s.serialize_str(&out)
}

/// Deserialize a hex string written by [`serialize`].
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let s = String::deserialize(d)?;
    decode(&s).ok_or_else(|| serde::de::Error::custom("invalid hex string"))
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn decode(s: &str) -> Option<Vec<u8>> {
    let raw = s.as_bytes();
    if !raw.len().is_multiple_of(2) {
        return None;
    }
    raw.chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct W(#[serde(with = "super")] Vec<u8>);

    #[test]
    fn round_trip_all_bytes() {
        let w = W((0..=255u8).collect());
        let json = serde_json::to_string(&w).expect("serialize");
        assert!(json.starts_with("\"000102"), "{json}");
        let back: W = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, w);
        assert!(serde_json::from_str::<W>("\"abc\"").is_err());
        assert!(serde_json::from_str::<W>("\"zz\"").is_err());
    }
}
