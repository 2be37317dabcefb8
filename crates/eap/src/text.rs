//! Small text helpers: hex, and cleaning text from the other side for display.

/// Longest text shown to the person, in characters.
pub(crate) const MAX_TEXT: usize = 256;

/// Upper-case hex, as MSCHAPv2 writes it.
pub(crate) fn hex_upper(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Decodes hex of either case; `None` on odd length or a non-hex digit.
pub(crate) fn hex_decode(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| Some((nibble(pair[0])? << 4) | nibble(pair[1])?))
        .collect()
}

fn nibble(d: u8) -> Option<u8> {
    match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'a'..=b'f' => Some(d - b'a' + 10),
        b'A'..=b'F' => Some(d - b'A' + 10),
        _ => None,
    }
}

/// Text from the gateway made safe to show: invalid UTF-8 replaced, control
/// characters (newlines included) turned into spaces, runs of spaces
/// collapsed, trimmed, and cut to [`MAX_TEXT`] characters. `None` when
/// nothing printable is left.
pub(crate) fn sanitize(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    let mut count = 0;
    let mut space = false;
    for c in text.chars() {
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' {
            space = !out.is_empty();
            continue;
        }
        if space {
            if count + 1 >= MAX_TEXT {
                break;
            }
            out.push(' ');
            count += 1;
            space = false;
        }
        if count >= MAX_TEXT {
            break;
        }
        out.push(c);
        count += 1;
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        assert_eq!(hex_upper(&[0x00, 0xab, 0x7f]), "00AB7F");
        assert_eq!(hex_decode("00ab7F"), Some(vec![0x00, 0xab, 0x7f]));
        assert_eq!(hex_decode("0"), None);
        assert_eq!(hex_decode("0g"), None);
        assert_eq!(hex_decode(""), Some(vec![]));
    }

    #[test]
    fn sanitize_strips_controls_and_bounds_length() {
        assert_eq!(
            sanitize(b"  Enter\r\n\x1b[31mcode\x07 ").as_deref(),
            Some("Enter [31mcode")
        );
        assert_eq!(sanitize(b"\x00\x01 \n"), None);
        assert_eq!(sanitize(&[0xff, b'a']).as_deref(), Some("\u{fffd}a"));
        let long = "x".repeat(1000);
        assert_eq!(sanitize(long.as_bytes()).unwrap().chars().count(), MAX_TEXT);
        let spaced = "ab ".repeat(200);
        let s = sanitize(spaced.as_bytes()).unwrap();
        assert!(s.chars().count() <= MAX_TEXT && !s.ends_with(' '));
    }
}
