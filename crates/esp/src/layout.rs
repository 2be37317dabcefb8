//! [`Layout`]: the sizes around an ESP payload for one suite, and the
//! padding of RFC 4303 2.4.
//!
//! ```text
//! | SPI (4) | Seq (4) | IV (8 AEAD, 16 CBC) | payload | pad | pad len | NH | ICV |
//!  <------------ header ----------------->            <------- trailer ------->
//! ```

use crate::error::EspError;

/// SPI and sequence number.
pub(crate) const SPI_SEQ_LEN: usize = 8;

/// Sizes of one suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// IV length: 8 for the AEADs (RFC 4106 / RFC 7634), 16 for AES-CBC.
    pub iv_len: usize,
    /// payload + padding + 2 is a multiple of this: the cipher block (16
    /// for CBC), or 4 (RFC 4303 2.4 alignment) for the AEADs. A power of two.
    pub align: usize,
    /// ICV length.
    pub icv_len: usize,
}

impl Layout {
    /// Bytes before the payload.
    pub fn header_len(&self) -> usize {
        SPI_SEQ_LEN + self.iv_len
    }

    /// Padding bytes for a payload of `len` bytes.
    pub fn pad_len(&self, len: usize) -> usize {
        // -(len + 2) mod align; `align` is a power of two, so a mask does it
        // without a division, and wrapping arithmetic without overflow
        0usize.wrapping_sub(len).wrapping_sub(2) & (self.align - 1)
    }

    /// Bytes after a payload of `len` bytes: padding, pad length, next
    /// header and ICV.
    pub fn trailer_len(&self, len: usize) -> usize {
        self.pad_len(len) + 2 + self.icv_len
    }

    /// The largest trailer, whatever the payload length.
    pub fn trailer_max(&self) -> usize {
        self.align - 1 + 2 + self.icv_len
    }

    /// The shortest well-formed packet: header, pad length, next header, ICV.
    pub fn min_packet(&self) -> usize {
        self.header_len() + 2 + self.icv_len
    }
}

/// Writes the padding (1, 2, 3, ...), the pad length and the next header
/// into `trailer`, whose length is the padding length + 2.
pub(crate) fn write_trailer(trailer: &mut [u8], next_header: u8) {
    let pad = trailer.len() - 2;
    for (i, b) in trailer[..pad].iter_mut().enumerate() {
        // at most 15 (CBC alignment), so `i + 1` fits
        *b = (i + 1) as u8;
    }
    trailer[pad] = pad as u8;
    trailer[pad + 1] = next_header;
}

/// Splits decrypted `plaintext` (payload || padding || pad length || next
/// header): the payload length and the next header, after checking that the
/// padding reads 1, 2, 3, ... (RFC 4303 2.4).
pub(crate) fn read_trailer(plaintext: &[u8]) -> Result<(usize, u8), EspError> {
    let [rest @ .., pad_len, next_header] = plaintext else {
        return Err(EspError::Malformed);
    };
    let pad = usize::from(*pad_len);
    let payload_len = rest.len().checked_sub(pad).ok_or(EspError::BadPadding)?;
    let padding = &rest[payload_len..];
    if padding
        .iter()
        .zip(1u8..)
        .any(|(&b, expected)| b != expected)
    {
        return Err(EspError::BadPadding);
    }
    Ok((payload_len, *next_header))
}

#[cfg(test)]
mod tests {
    use super::*;

    const AEAD: Layout = Layout {
        iv_len: 8,
        align: 4,
        icv_len: 16,
    };
    const CBC: Layout = Layout {
        iv_len: 16,
        align: 16,
        icv_len: 32,
    };

    #[test]
    fn padding_aligns() {
        assert!(AEAD.align.is_power_of_two() && CBC.align.is_power_of_two());
        for len in 0..100 {
            for l in [AEAD, CBC] {
                let pad = l.pad_len(len);
                assert_eq!((len + pad + 2) % l.align, 0);
                assert!(pad < l.align);
                assert!(l.trailer_len(len) <= l.trailer_max());
            }
        }
        assert_eq!(AEAD.pad_len(62), 0);
        assert_eq!(AEAD.pad_len(84), 2);
        assert_eq!(CBC.pad_len(0), 14);
        assert_eq!(AEAD.header_len(), 16);
        assert_eq!(CBC.header_len(), 24);
        assert_eq!(CBC.trailer_max(), 49);
        assert_eq!(AEAD.pad_len(usize::MAX), 3);
        assert_eq!(CBC.pad_len(usize::MAX - 1), 0);
    }

    #[test]
    fn trailer_roundtrip() {
        for pad in 0..16 {
            let mut buf = vec![0xaa; 5 + pad + 2];
            write_trailer(&mut buf[5..], 41);
            assert_eq!(read_trailer(&buf), Ok((5, 41)));
        }
    }

    #[test]
    fn bad_trailers() {
        assert_eq!(read_trailer(&[4]), Err(EspError::Malformed));
        assert_eq!(read_trailer(&[]), Err(EspError::Malformed));
        // pad length beyond the plaintext
        assert_eq!(read_trailer(&[1, 2, 3, 4]), Err(EspError::BadPadding));
        assert_eq!(read_trailer(&[0, 1, 4]), Err(EspError::BadPadding));
        // wrong padding bytes
        assert_eq!(read_trailer(&[9, 1, 3, 2, 4]), Err(EspError::BadPadding));
        assert_eq!(read_trailer(&[9, 1, 2, 2, 4]), Ok((1, 4)));
        assert_eq!(read_trailer(&[0, 4]), Ok((0, 4)));
    }
}
