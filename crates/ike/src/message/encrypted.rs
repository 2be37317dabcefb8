//! Encrypted payloads SK (RFC 7296 3.14) and SKF (RFC 7383 2.5).

use super::wire::Reader;
use super::{DecodeError, EncodeError, PayloadType};

/// SK (RFC 7296 3.14). Must be the last payload: the decoder checks its length
/// reaches exactly the end of the message and returns `PayloadAfterEncrypted`
/// otherwise. `body` = IV || ciphertext || ICV, opaque here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encrypted {
    /// Type of the first inner payload (the SK generic header's next payload).
    pub next_payload: PayloadType,
    /// IV, ciphertext and ICV.
    pub body: Vec<u8>,
}

/// SKF (RFC 7383 2.5): also last; fragment number >= 1, total >= 1, number <=
/// total else `BadFragmentNumber`. `next_payload` is the first inner payload
/// type in fragment 1 and should be 0 in others (kept, not enforced).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptedFragment {
    /// Type of the first inner payload (fragment 1 only).
    pub next_payload: PayloadType,
    /// Fragment number, 1-based.
    pub number: u16,
    /// Total number of fragments.
    pub total: u16,
    /// IV, ciphertext and ICV.
    pub body: Vec<u8>,
}

impl EncryptedFragment {
    /// Whether `number` of `total` is a valid fragment position.
    fn valid(number: u16, total: u16) -> bool {
        number >= 1 && total >= 1 && number <= total
    }

    /// Decodes the payload body after the generic header.
    pub(super) fn decode(next_payload: PayloadType, body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let number = r.u16("SKF payload")?;
        let total = r.u16("SKF payload")?;
        if !Self::valid(number, total) {
            return Err(DecodeError::BadFragmentNumber { number, total });
        }
        Ok(Self {
            next_payload,
            number,
            total,
            body: r.rest().to_vec(),
        })
    }

    /// Appends the payload body after the generic header.
    pub(super) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if !Self::valid(self.number, self.total) {
            return Err(EncodeError::BadFragmentNumber {
                number: self.number,
                total: self.total,
            });
        }
        out.extend_from_slice(&self.number.to_be_bytes());
        out.extend_from_slice(&self.total.to_be_bytes());
        out.extend_from_slice(&self.body);
        Ok(())
    }
}
