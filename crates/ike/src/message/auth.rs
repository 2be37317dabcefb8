//! Authentication payload (RFC 7296 3.8).

use super::newtype::wire_newtype;
use super::wire::Reader;
use super::DecodeError;

wire_newtype! {
    /// Authentication method (RFC 7296 3.8, IANA "IKEv2 Authentication Method").
    AuthMethod(u8) {
        /// RSA digital signature (PKCS#1 v1.5 with SHA-1).
        RSA_SIG = 1,
        /// Shared key message integrity code.
        PSK = 2,
        /// DSS digital signature.
        DSS = 3,
        /// ECDSA with SHA-256 on P-256 (RFC 4754).
        ECDSA_256 = 9,
        /// ECDSA with SHA-384 on P-384 (RFC 4754).
        ECDSA_384 = 10,
        /// ECDSA with SHA-512 on P-521 (RFC 4754).
        ECDSA_521 = 11,
        /// Generic Secure Password Authentication Method (RFC 6467).
        GSPAM = 12,
        /// Digital signature with negotiated hash (RFC 7427).
        DIGITAL_SIGNATURE = 14,
    }
}

/// Authentication payload body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Auth {
    /// Authentication method.
    pub method: AuthMethod,
    /// Authentication data (signature or MAC).
    pub data: Vec<u8>,
}

impl Auth {
    /// Decodes the payload body after the generic header.
    pub(super) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let [method, ..] = r.array::<4>("AUTH payload")?;
        Ok(Self {
            method: AuthMethod(method),
            data: r.rest().to_vec(),
        })
    }

    /// Appends the payload body after the generic header.
    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[self.method.0, 0, 0, 0]);
        out.extend_from_slice(&self.data);
    }
}
