//! Decoding and encoding errors.

use super::PayloadType;

/// Why a received message (or payload chain) was rejected.
///
/// `what` names the structure being parsed, for logs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ended inside a fixed-size field of `what`.
    #[error("truncated {what}")]
    Truncated {
        /// Structure being read.
        what: &'static str,
    },
    /// A length field of `what` is too small or points past its container.
    #[error("bad {what} length {len}")]
    BadLength {
        /// Structure whose length is wrong.
        what: &'static str,
        /// The offending length value.
        len: usize,
    },
    /// The header's major version is not 2 (answer with `INVALID_MAJOR_VERSION`).
    #[error("unsupported IKE major version {major}")]
    UnsupportedVersion {
        /// Major version found in the header.
        major: u8,
    },
    /// The header length differs from the datagram length.
    #[error("header length {declared} does not match message length {actual}")]
    LengthMismatch {
        /// Length in the header.
        declared: u32,
        /// Length of the buffer.
        actual: usize,
    },
    /// The message is longer than [`MAX_MESSAGE_LEN`](super::MAX_MESSAGE_LEN).
    #[error("message length {len} exceeds 65535")]
    MessageTooLong {
        /// Declared message length.
        len: u32,
    },
    /// An SK or SKF payload does not extend to the end of the message.
    #[error("payload after the encrypted payload")]
    PayloadAfterEncrypted,
    /// Bytes remain after the payload whose next-payload field is `NONE`.
    #[error("{len} trailing bytes after the last payload")]
    TrailingBytes {
        /// Number of unparsed bytes.
        len: usize,
    },
    /// A last-substructure byte is invalid or contradicts the position.
    #[error("bad last-substructure value {value} in {what}")]
    BadLastSubstructure {
        /// `"proposal"` or `"transform"`.
        what: &'static str,
        /// The byte found.
        value: u8,
    },
    /// A declared element count differs from the elements present.
    #[error("{what}: {declared} declared, {found} present")]
    CountMismatch {
        /// Kind of element counted.
        what: &'static str,
        /// Count in the count field.
        declared: usize,
        /// Count actually present.
        found: usize,
    },
    /// A traffic selector type other than IPv4 (7) or IPv6 (8) range.
    #[error("unsupported traffic selector type {ts_type}")]
    UnsupportedTsType {
        /// The TS type found.
        ts_type: u8,
    },
    /// An SKF fragment number or total is zero, or number > total.
    #[error("bad fragment number {number} of {total}")]
    BadFragmentNumber {
        /// Fragment number.
        number: u16,
        /// Total fragments.
        total: u16,
    },
    /// A field holds a value this codec does not accept (an unknown type,
    /// a host name with forbidden characters).
    #[error("invalid {what} ({value})")]
    InvalidValue {
        /// The field.
        what: &'static str,
        /// The value found (or its length, for strings).
        value: u32,
    },
}

/// Why a value cannot be represented on the wire (a bug in the caller).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A length or count does not fit its wire field (or exceeds
    /// [`MAX_MESSAGE_LEN`](super::MAX_MESSAGE_LEN) for a whole message).
    #[error("{what} of {value} does not fit its wire field")]
    FieldOverflow {
        /// Field that overflowed.
        what: &'static str,
        /// The value that did not fit.
        value: usize,
    },
    /// An SK or SKF payload is followed by another payload.
    #[error("encrypted payload is not the last payload")]
    EncryptedNotLast,
    /// Fields that must agree do not (e.g. Delete SPI size vs. SPI lengths,
    /// traffic selector type vs. address family).
    #[error("inconsistent {what}")]
    Inconsistent {
        /// Structure with the inconsistency.
        what: &'static str,
    },
    /// SKF fragment number or total is zero, or number > total.
    #[error("bad fragment number {number} of {total}")]
    BadFragmentNumber {
        /// Fragment number.
        number: u16,
        /// Total fragments.
        total: u16,
    },
    /// `Payload::Unknown` used with `NONE` or a type this codec decodes itself.
    #[error("Payload::Unknown with reserved or known type {kind:?}")]
    UnknownPayloadKind {
        /// The misused type.
        kind: PayloadType,
    },
}
