//! Key Exchange payload (RFC 7296 3.4).

use super::wire::Reader;
use super::DecodeError;

/// Key Exchange payload body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyExchange {
    /// Diffie-Hellman group / key exchange method number.
    pub group: u16,
    /// Public key exchange data.
    pub data: Vec<u8>,
}

impl KeyExchange {
    /// Decodes the payload body after the generic header.
    pub(super) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let group = r.u16("KE payload")?;
        let _reserved = r.u16("KE payload")?;
        Ok(Self {
            group,
            data: r.rest().to_vec(),
        })
    }

    /// Appends the payload body after the generic header.
    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.group.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.data);
    }
}
