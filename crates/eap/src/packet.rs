//! EAP packet format (RFC 3748 4): code, identifier, length, type, type-data.

use thiserror::Error;

/// EAP packet codes (RFC 3748 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// From the server.
    Request,
    /// From the peer.
    Response,
    /// Authentication succeeded.
    Success,
    /// Authentication failed.
    Failure,
}

/// EAP method type numbers (IANA "Method Types").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MethodType(pub u8);

impl MethodType {
    /// Identity (RFC 3748 5.1).
    pub const IDENTITY: MethodType = MethodType(1);
    /// Notification (RFC 3748 5.2).
    pub const NOTIFICATION: MethodType = MethodType(2);
    /// Legacy Nak (RFC 3748 5.3.1).
    pub const NAK: MethodType = MethodType(3);
    /// MD5-Challenge (RFC 3748 5.4).
    pub const MD5: MethodType = MethodType(4);
    /// Generic Token Card (RFC 3748 5.6).
    pub const GTC: MethodType = MethodType(6);
    /// EAP-TLS (RFC 5216, RFC 9190).
    pub const TLS: MethodType = MethodType(13);
    /// EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2).
    pub const MSCHAPV2: MethodType = MethodType(26);
    /// Expanded types (RFC 3748 5.7).
    pub const EXPANDED: MethodType = MethodType(254);
    /// Experimental (RFC 3748 5.8): carries Ibex's push and FIDO2 methods.
    pub const EXPERIMENTAL: MethodType = MethodType(255);
}

/// One EAP packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// Request, Response, Success or Failure.
    pub code: Code,
    /// Matches responses to requests.
    pub identifier: u8,
    /// The method type (Request/Response only).
    pub method: Option<MethodType>,
    /// Type-data (Request/Response only).
    pub data: Vec<u8>,
}

/// Why an EAP packet could not be decoded.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than its header or its length field.
    #[error("EAP packet truncated")]
    Truncated,
    /// Unknown code.
    #[error("unknown EAP code {0}")]
    BadCode(u8),
    /// Request or Response without a type.
    #[error("EAP request/response without a type")]
    NoType,
}

impl Packet {
    /// Parses one packet; bytes after the length field are ignored.
    pub fn decode(buf: &[u8]) -> Result<Packet, DecodeError> {
        if buf.len() < 4 {
            return Err(DecodeError::Truncated);
        }
        let len = u16::from_be_bytes([buf[2], buf[3]]) as usize;
        if len < 4 || len > buf.len() {
            return Err(DecodeError::Truncated);
        }
        let code = match buf[0] {
            1 => Code::Request,
            2 => Code::Response,
            3 => Code::Success,
            4 => Code::Failure,
            c => return Err(DecodeError::BadCode(c)),
        };
        let body = &buf[4..len];
        let (method, data) = match code {
            Code::Request | Code::Response => {
                let (&t, rest) = body.split_first().ok_or(DecodeError::NoType)?;
                (Some(MethodType(t)), rest.to_vec())
            }
            Code::Success | Code::Failure => (None, vec![]),
        };
        Ok(Packet {
            code,
            identifier: buf[1],
            method,
            data,
        })
    }

    /// Serializes the packet.
    pub fn encode(&self) -> Vec<u8> {
        let code = match self.code {
            Code::Request => 1,
            Code::Response => 2,
            Code::Success => 3,
            Code::Failure => 4,
        };
        let mut out = vec![code, self.identifier, 0, 0];
        if let Some(m) = self.method {
            out.push(m.0);
            out.extend_from_slice(&self.data);
        }
        let len = out.len().min(u16::MAX as usize) as u16;
        out[2..4].copy_from_slice(&len.to_be_bytes());
        out
    }
}
