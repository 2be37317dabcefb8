//! Identification payloads IDi / IDr (RFC 7296 3.5).

use super::newtype::wire_newtype;
use super::wire::Reader;
use super::DecodeError;

wire_newtype! {
    /// Identification type (RFC 7296 3.5).
    IdType(u8) {
        /// A single four-octet IPv4 address.
        IPV4_ADDR = 1,
        /// A fully qualified domain name.
        FQDN = 2,
        /// An RFC 822 email address.
        RFC822_ADDR = 3,
        /// A single sixteen-octet IPv6 address.
        IPV6_ADDR = 5,
        /// A DER-encoded X.500 distinguished name.
        DER_ASN1_DN = 9,
        /// A DER-encoded X.509 GeneralName.
        DER_ASN1_GN = 10,
        /// An opaque octet stream.
        KEY_ID = 11,
    }
}

/// Identification payload body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identification {
    /// Identification type.
    pub id_type: IdType,
    /// Identification data.
    pub data: Vec<u8>,
}

impl Identification {
    /// ID type byte, three zero reserved bytes and the data: the
    /// "RestOfIDPayload" that AUTH signs over (RFC 7296 2.15).
    pub fn body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.data.len());
        out.extend_from_slice(&[self.id_type.0, 0, 0, 0]);
        out.extend_from_slice(&self.data);
        out
    }

    /// Decodes the payload body after the generic header.
    pub(super) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let [id_type, ..] = r.array::<4>("ID payload")?;
        Ok(Self {
            id_type: IdType(id_type),
            data: r.rest().to_vec(),
        })
    }
}
