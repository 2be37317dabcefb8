//! The fixed IKE header (RFC 7296 3.1).

use std::fmt;

use super::newtype::wire_newtype;
use super::wire::Reader;
use super::{DecodeError, PayloadType};

/// Length of the IKE header in bytes.
pub const HEADER_LEN: usize = 28;

/// Largest message this codec accepts or produces.
pub const MAX_MESSAGE_LEN: usize = 65535;

wire_newtype! {
    /// IKEv2 exchange type (RFC 7296 3.1, IANA "IKEv2 Exchange Types").
    ExchangeType(u8) {
        /// Initial exchange: SA, KE, Nonce.
        IKE_SA_INIT = 34,
        /// Authentication exchange.
        IKE_AUTH = 35,
        /// Child SA creation and rekeying.
        CREATE_CHILD_SA = 36,
        /// Notifications, deletes and liveness checks.
        INFORMATIONAL = 37,
        /// Intermediate exchange (RFC 9242).
        IKE_INTERMEDIATE = 43,
    }
}

/// The header flags byte (RFC 7296 3.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(pub u8);

impl Flags {
    /// Set by the original initiator of the IKE SA.
    pub const INITIATOR: Self = Self(0x08);
    /// Sender can speak a higher major version.
    pub const VERSION: Self = Self(0x10);
    /// Message is a response.
    pub const RESPONSE: Self = Self(0x20);

    /// Whether all bits of `other` are set.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the Initiator bit is set.
    pub fn is_initiator(self) -> bool {
        self.contains(Self::INITIATOR)
    }

    /// Whether the Response bit is set.
    pub fn is_response(self) -> bool {
        self.contains(Self::RESPONSE)
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;

    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known = [
            (Self::INITIATOR, "INITIATOR"),
            (Self::VERSION, "VERSION"),
            (Self::RESPONSE, "RESPONSE"),
        ];
        let mut parts: Vec<String> = known
            .iter()
            .filter(|(flag, _)| self.contains(*flag))
            .map(|(_, name)| (*name).to_owned())
            .collect();
        let other = known.iter().fold(self.0, |bits, (flag, _)| bits & !flag.0);
        if other != 0 {
            parts.push(format!("{other:#04x}"));
        }
        write!(f, "Flags({})", parts.join("|"))
    }
}

/// The 28-byte IKE header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Initiator's SPI.
    pub spi_i: [u8; 8],
    /// Responder's SPI (zero in the first IKE_SA_INIT request).
    pub spi_r: [u8; 8],
    /// Type of the first payload.
    pub next_payload: PayloadType,
    /// Major version in the high nibble, minor in the low nibble (0x20).
    pub version: u8,
    /// Exchange type.
    pub exchange: ExchangeType,
    /// Flags byte.
    pub flags: Flags,
    /// Message ID.
    pub message_id: u32,
    /// Total message length, header included.
    pub length: u32,
}

impl Header {
    /// The version byte for IKEv2.0.
    pub const VERSION_2_0: u8 = 0x20;

    /// Decodes and validates the header of the whole datagram `buf`: the major
    /// version must be 2 (else `UnsupportedVersion`, answered with
    /// `INVALID_MAJOR_VERSION`), and the length must be at least 28, at most
    /// 65535 and equal to `buf.len()`.
    pub fn decode(buf: &[u8]) -> Result<Header, DecodeError> {
        let header = Self::peek(buf)?;
        let major = header.version >> 4;
        if major != 2 {
            return Err(DecodeError::UnsupportedVersion { major });
        }
        if (header.length as usize) < HEADER_LEN {
            return Err(DecodeError::BadLength {
                what: "IKE message",
                len: header.length as usize,
            });
        }
        if header.length as usize > MAX_MESSAGE_LEN {
            return Err(DecodeError::MessageTooLong { len: header.length });
        }
        if header.length as usize != buf.len() {
            return Err(DecodeError::LengthMismatch {
                declared: header.length,
                actual: buf.len(),
            });
        }
        Ok(header)
    }

    /// Reads the first 28 bytes of `buf` without validating version or length,
    /// e.g. to answer a message that [`Header::decode`] rejected.
    pub fn peek(buf: &[u8]) -> Result<Header, DecodeError> {
        const WHAT: &str = "IKE header";
        let mut r = Reader::new(buf);
        Ok(Header {
            spi_i: r.array(WHAT)?,
            spi_r: r.array(WHAT)?,
            next_payload: PayloadType(r.u8(WHAT)?),
            version: r.u8(WHAT)?,
            exchange: ExchangeType(r.u8(WHAT)?),
            flags: Flags(r.u8(WHAT)?),
            message_id: r.u32(WHAT)?,
            length: r.u32(WHAT)?,
        })
    }

    /// Appends the 28 header bytes exactly as given.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }

    /// The 28 header bytes exactly as given.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        let types = [
            self.next_payload.0,
            self.version,
            self.exchange.0,
            self.flags.0,
        ];
        let message_id = self.message_id.to_be_bytes();
        let length = self.length.to_be_bytes();
        let fields = self
            .spi_i
            .iter()
            .chain(&self.spi_r)
            .chain(&types)
            .chain(&message_id)
            .chain(&length);
        for (dst, src) in b.iter_mut().zip(fields) {
            *dst = *src;
        }
        b
    }
}
