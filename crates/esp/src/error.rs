//! [`EspError`]: why a packet was not sealed or opened, or an SA not built.

/// Everything that can go wrong in this crate.
///
/// The variants from [`EspError::WrongSpi`] to [`EspError::DummyPacket`] are
/// *drops*: [`crate::InboundSa::open`] counts each of them in
/// [`crate::DropCounts`] before returning it, so the caller only has to
/// discard the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EspError {
    /// The packet carries another SPI than the SA it was given to.
    #[error("ESP packet for SPI {got:#010x} given to the SA of SPI {expected:#010x}")]
    WrongSpi {
        /// The SA's SPI.
        expected: u32,
        /// The packet's SPI.
        got: u32,
    },
    /// The sequence number was already received (RFC 4303 3.4.3).
    #[error("replayed ESP packet (sequence number {0})")]
    Replayed(u64),
    /// The sequence number is left of the anti-replay window, zero, or (with
    /// ESN) outside any sequence space the window can infer.
    #[error("ESP sequence number {0} is left of the anti-replay window")]
    TooOld(u64),
    /// The ICV does not verify: forged, corrupted, or a wrong key.
    #[error("ESP integrity check failed")]
    Integrity,
    /// Truncated, or not a whole number of cipher blocks.
    #[error("truncated or malformed packet")]
    Malformed,
    /// The decrypted padding is not 1, 2, 3, ... or longer than the payload.
    #[error("invalid ESP padding")]
    BadPadding,
    /// The Next Header is neither IPv4 (4), IPv6 (41) nor No Next Header (59).
    #[error("unsupported ESP next header {0}")]
    UnknownNextHeader(u8),
    /// A dummy packet (Next Header 59, RFC 4303 2.6): valid, and discarded.
    #[error("dummy ESP packet (next header 59) discarded")]
    DummyPacket,
    /// The outbound sequence number space is used up (2^32 - 1 without ESN,
    /// 2^64 - 1 with): the SA must be rekeyed, it never wraps.
    #[error("ESP sequence numbers exhausted; the SA must be rekeyed")]
    SequenceExhausted,
    /// The caller's buffer leaves too little headroom or tailroom around the
    /// payload, or the payload range does not lie in the buffer.
    #[error("buffer too small: {needed} bytes needed, {available} available")]
    NoRoom {
        /// Bytes the operation needs (from the start of the buffer).
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// A key of the wrong length, or an integrity algorithm missing (CBC) or
    /// present (AEAD).
    #[error("invalid ESP SA parameters: {0}")]
    InvalidSa(&'static str),
    /// [`crate::OutboundSa::skip_to`] would move the sequence number back.
    #[error("the outbound sequence number can only move forward")]
    SequenceBackwards,
}
