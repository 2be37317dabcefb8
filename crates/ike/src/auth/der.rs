//! A minimal strict DER reader and writer for the few structures parsed by
//! hand here: RFC 7427 AlgorithmIdentifiers (with RSASSA-PSS parameters),
//! ECDSA `Ecdsa-Sig-Value`, RSA public keys and the PKCS#8 header.
//!
//! Only single-byte tags and definite lengths in minimal form are accepted;
//! every read is bounds-checked and reports what it expected.

/// DER tag: INTEGER.
pub(super) const INTEGER: u8 = 0x02;
/// DER tag: BIT STRING.
pub(super) const BIT_STRING: u8 = 0x03;
/// DER tag: OCTET STRING.
pub(super) const OCTET_STRING: u8 = 0x04;
/// DER tag: NULL.
pub(super) const NULL: u8 = 0x05;
/// DER tag: OBJECT IDENTIFIER.
pub(super) const OID: u8 = 0x06;
/// DER tag: SEQUENCE (constructed).
pub(super) const SEQUENCE: u8 = 0x30;

/// Context-specific constructed tag `[n]`.
pub(super) const fn context(n: u8) -> u8 {
    0xa0 | n
}

/// A bounds-checked cursor over DER bytes.
pub(super) struct Reader<'a> {
    input: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Starts reading at the beginning of `input`.
    pub(super) fn new(input: &'a [u8]) -> Self {
        Self { input }
    }

    /// True when all input has been consumed.
    pub(super) fn is_empty(&self) -> bool {
        self.input.is_empty()
    }

    /// The tag of the next element, if any.
    pub(super) fn peek_tag(&self) -> Option<u8> {
        self.input.first().copied()
    }

    /// Reads one element; returns its tag and contents.
    pub(super) fn read_any(&mut self) -> Result<(u8, &'a [u8]), String> {
        let (&tag, rest) = self
            .input
            .split_first()
            .ok_or("truncated: expected another element")?;
        if tag & 0x1f == 0x1f {
            return Err(format!("multi-byte tag 0x{tag:02x} is not supported"));
        }
        let (&first, mut rest) = rest.split_first().ok_or("truncated length")?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 {
                return Err("indefinite length is not DER".into());
            }
            if n > 4 {
                return Err(format!("{n}-byte length field is too long"));
            }
            if rest.len() < n {
                return Err("truncated length".into());
            }
            let (bytes, after) = rest.split_at(n);
            rest = after;
            if bytes[0] == 0 {
                return Err("length is not minimally encoded".into());
            }
            let len = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            if len < 0x80 {
                return Err("length is not minimally encoded".into());
            }
            len
        };
        if rest.len() < len {
            return Err(format!(
                "element of tag 0x{tag:02x} claims {len} bytes, only {} present",
                rest.len()
            ));
        }
        let (value, after) = rest.split_at(len);
        self.input = after;
        Ok((tag, value))
    }

    /// Reads one element that must have tag `tag`; returns its contents.
    pub(super) fn read(&mut self, tag: u8, what: &str) -> Result<&'a [u8], String> {
        match self.read_any() {
            Ok((t, value)) if t == tag => Ok(value),
            Ok((t, _)) => Err(format!("{what}: expected tag 0x{tag:02x}, found 0x{t:02x}")),
            Err(e) => Err(format!("{what}: {e}")),
        }
    }

    /// Reads an element of tag `tag` if it comes next.
    pub(super) fn read_optional(
        &mut self,
        tag: u8,
        what: &str,
    ) -> Result<Option<&'a [u8]>, String> {
        if self.peek_tag() == Some(tag) {
            self.read(tag, what).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Fails unless all input was consumed.
    pub(super) fn finish(&self, what: &str) -> Result<(), String> {
        if self.input.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{what}: {} unexpected trailing byte(s)",
                self.input.len()
            ))
        }
    }
}

/// Parses `input` as exactly one element of tag `tag`; returns its contents.
pub(super) fn read_single(input: &[u8], tag: u8, what: &str) -> Result<Vec<u8>, String> {
    let mut r = Reader::new(input);
    let value = r.read(tag, what)?;
    r.finish(what)?;
    Ok(value.to_vec())
}

/// The magnitude of a non-negative DER INTEGER without leading zero bytes.
pub(super) fn unsigned_integer<'a>(value: &'a [u8], what: &str) -> Result<&'a [u8], String> {
    match value {
        [] => Err(format!("{what}: empty INTEGER")),
        [first, ..] if first & 0x80 != 0 => Err(format!("{what}: negative INTEGER")),
        [0, second, ..] if second & 0x80 == 0 => {
            Err(format!("{what}: INTEGER is not minimally encoded"))
        }
        [0, rest @ ..] => Ok(rest),
        _ => Ok(value),
    }
}

/// The value of a small non-negative DER INTEGER.
pub(super) fn small_integer(value: &[u8], what: &str) -> Result<u32, String> {
    let magnitude = unsigned_integer(value, what)?;
    if magnitude.len() > 4 {
        return Err(format!("{what}: INTEGER too large"));
    }
    Ok(magnitude
        .iter()
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
}

/// Appends one element with tag `tag` and contents `value`.
pub(super) fn write(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(value);
}

/// One element with tag `tag` and contents `value`.
pub(super) fn element(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 6);
    write(&mut out, tag, value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrips_lengths() {
        for len in [0usize, 1, 0x7f, 0x80, 0xff, 0x100, 0x1_0000] {
            let value = vec![0x5a; len];
            let encoded = element(OCTET_STRING, &value);
            assert_eq!(read_single(&encoded, OCTET_STRING, "test").unwrap(), value);
        }
    }

    #[test]
    fn rejects_non_der() {
        for bad in [
            &[0x30, 0x80, 0x00, 0x00][..],      // indefinite length
            &[0x30, 0x81, 0x05, 0, 0, 0, 0, 0], // long form for a short length
            &[0x30, 0x82, 0x00, 0x80],          // leading zero in length
            &[0x30, 0x05, 0x00],                // truncated
            &[0x1f, 0x01, 0x00],                // multi-byte tag
            &[0x30, 0x85, 1, 1, 1, 1, 1],       // length field too long
            &[0x30],                            // no length
            &[],
        ] {
            assert!(read_single(bad, SEQUENCE, "test").is_err(), "{bad:02x?}");
        }
        assert!(
            read_single(&[0x30, 0x00, 0x00], SEQUENCE, "test").is_err(),
            "trailing data"
        );
    }

    #[test]
    fn integers() {
        assert_eq!(unsigned_integer(&[0x00, 0x80], "i").unwrap(), &[0x80]);
        assert!(unsigned_integer(&[0x00, 0x01], "i").is_err());
        assert!(unsigned_integer(&[0x80], "i").is_err());
        assert!(unsigned_integer(&[], "i").is_err());
        assert_eq!(small_integer(&[0x20], "i").unwrap(), 32);
        assert!(small_integer(&[1, 2, 3, 4, 5], "i").is_err());
    }
}
