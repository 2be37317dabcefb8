//! What comes before the property list is parsed: recognizing a CMS
//! (signed or encrypted) envelope, and bounding the XML's nesting so that
//! the recursive parser cannot exhaust the stack.

use crate::import::ImportError;

/// Deepest nesting of `<dict>` and `<array>` accepted (real profiles use
/// five or six levels).
pub(crate) const MAX_DEPTH: usize = 24;

/// The DER encoding of the OID 1.2.840.113549.1.7 (PKCS #7 content types:
/// signedData .2, envelopedData .3) without its last byte.
const PKCS7_OID_PREFIX: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07];

/// Whether `body` is a CMS ContentInfo (a DER or BER SEQUENCE whose first
/// element is a PKCS #7 content type), as signed configuration profiles
/// are.
pub(crate) fn is_cms(body: &[u8]) -> bool {
    if body.first() != Some(&0x30) {
        return false;
    }
    let head = &body[..body.len().min(16)];
    head.windows(PKCS7_OID_PREFIX.len())
        .any(|w| w == PKCS7_OID_PREFIX)
}

/// Checks that `<dict>` and `<array>` elements nest at most [`MAX_DEPTH`]
/// deep. A rough scan (it does not parse comments or CDATA specially,
/// which can only make it stricter); the parser checks the rest.
pub(crate) fn check_depth(xml: &[u8]) -> Result<(), ImportError> {
    let mut depth = 0usize;
    let mut rest = xml;
    while let Some(i) = rest.iter().position(|b| *b == b'<') {
        rest = &rest[i + 1..];
        let end = rest.iter().position(|b| *b == b'>').unwrap_or(rest.len());
        let tag = &rest[..end];
        let closing = tag.first() == Some(&b'/');
        let name_part = if closing { &tag[1..] } else { tag };
        let name_end = name_part
            .iter()
            .position(|b| b.is_ascii_whitespace() || *b == b'/')
            .unwrap_or(name_part.len());
        let name = &name_part[..name_end];
        if name == b"dict" || name == b"array" {
            if closing {
                depth = depth.saturating_sub(1);
            } else if tag.last() != Some(&b'/') {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(ImportError::TooDeep { max: MAX_DEPTH });
                }
            }
        }
        rest = &rest[end..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth() {
        assert!(
            check_depth(b"<plist><dict><key>a</key><array><dict/></array></dict></plist>").is_ok()
        );
        let deep = "<array>".repeat(MAX_DEPTH + 1);
        assert!(matches!(
            check_depth(deep.as_bytes()),
            Err(ImportError::TooDeep { .. })
        ));
        let flat = "<array></array>".repeat(1000);
        assert!(check_depth(flat.as_bytes()).is_ok());
    }

    #[test]
    fn cms() {
        let signed = [
            0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0,
        ];
        assert!(is_cms(&signed));
        assert!(!is_cms(b"<?xml version=\"1.0\"?>"));
        assert!(!is_cms(&[0x30, 0x03, 0x02, 0x01, 0x00]));
    }
}
