//! Certificate and Certificate Request payloads (RFC 7296 3.6, 3.7).

use super::wire::Reader;
use super::DecodeError;

/// Certificate payload body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cert {
    /// Certificate encoding (4 = X.509 certificate - signature).
    pub encoding: u8,
    /// Certificate data.
    pub data: Vec<u8>,
}

/// Certificate Request payload body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertReq {
    /// Requested certificate encoding.
    pub encoding: u8,
    /// Concatenated 20-byte SHA-1 hashes of trusted CA public keys.
    pub data: Vec<u8>,
}

impl Cert {
    /// Encoding "X.509 Certificate - Signature".
    pub const X509_SIGNATURE: u8 = 4;

    /// Decodes the payload body after the generic header.
    pub(super) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let (encoding, data) = decode_encoded(body, "CERT payload")?;
        Ok(Self { encoding, data })
    }

    /// Appends the payload body after the generic header.
    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.encoding);
        out.extend_from_slice(&self.data);
    }
}

impl CertReq {
    /// Encoding "X.509 Certificate - Signature".
    pub const X509_SIGNATURE: u8 = 4;

    /// Decodes the payload body after the generic header.
    pub(super) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let (encoding, data) = decode_encoded(body, "CERTREQ payload")?;
        Ok(Self { encoding, data })
    }

    /// Appends the payload body after the generic header.
    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.encoding);
        out.extend_from_slice(&self.data);
    }
}

/// Splits a body into its leading encoding byte and the data.
fn decode_encoded(body: &[u8], what: &'static str) -> Result<(u8, Vec<u8>), DecodeError> {
    let mut r = Reader::new(body);
    let encoding = r.u8(what)?;
    Ok((encoding, r.rest().to_vec()))
}
