//! Per-SA counters, as plain `Copy` snapshots.

use crate::error::EspError;

/// Inbound packets dropped, by reason (one field per drop variant of
/// [`EspError`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DropCounts {
    /// [`EspError::Replayed`]: the sequence number was already received.
    pub replayed: u64,
    /// [`EspError::TooOld`]: left of the anti-replay window.
    pub too_old: u64,
    /// [`EspError::Integrity`]: the ICV did not verify.
    pub integrity: u64,
    /// [`EspError::Malformed`]: truncated or not block-aligned.
    pub malformed: u64,
    /// [`EspError::BadPadding`]: padding bytes or pad length invalid.
    pub bad_padding: u64,
    /// [`EspError::UnknownNextHeader`]: neither IPv4, IPv6 nor 59.
    pub unknown_next_header: u64,
    /// [`EspError::DummyPacket`]: next header 59, discarded by design.
    pub dummy: u64,
    /// [`EspError::WrongSpi`]: the packet belongs to another SA.
    pub wrong_spi: u64,
}

impl DropCounts {
    /// All drops together.
    pub fn total(&self) -> u64 {
        self.replayed
            + self.too_old
            + self.integrity
            + self.malformed
            + self.bad_padding
            + self.unknown_next_header
            + self.dummy
            + self.wrong_spi
    }

    /// Counts `error` under its reason; errors that are not drops (the
    /// outbound and construction ones) are ignored.
    pub(crate) fn count(&mut self, error: &EspError) {
        let field = match error {
            EspError::Replayed(_) => &mut self.replayed,
            EspError::TooOld(_) => &mut self.too_old,
            EspError::Integrity => &mut self.integrity,
            EspError::Malformed => &mut self.malformed,
            EspError::BadPadding => &mut self.bad_padding,
            EspError::UnknownNextHeader(_) => &mut self.unknown_next_header,
            EspError::DummyPacket => &mut self.dummy,
            EspError::WrongSpi { .. } => &mut self.wrong_spi,
            EspError::SequenceExhausted
            | EspError::NoRoom { .. }
            | EspError::InvalidSa(_)
            | EspError::SequenceBackwards => return,
        };
        *field = field.saturating_add(1);
    }
}

/// Counters of an [`crate::InboundSa`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InboundStats {
    /// Packets opened and returned to the caller.
    pub packets: u64,
    /// Inner (decrypted IP packet) bytes of those packets.
    pub bytes: u64,
    /// Highest authenticated sequence number (full 64 bits with ESN), 0
    /// before the first packet.
    pub last_seq: u64,
    /// Dropped packets by reason.
    pub drops: DropCounts,
}

/// Counters of an [`crate::OutboundSa`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboundStats {
    /// Packets sealed.
    pub packets: u64,
    /// Inner (plaintext IP packet) bytes of those packets.
    pub bytes: u64,
    /// Last sequence number used (full 64 bits with ESN), 0 before the first
    /// packet.
    pub last_seq: u64,
}

/// Both directions of a Child SA ([`crate::EspSaPair::stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SaStats {
    /// Received traffic.
    pub inbound: InboundStats,
    /// Sent traffic.
    pub outbound: OutboundStats,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_drop_variant_has_a_counter() {
        let drops = [
            EspError::WrongSpi {
                expected: 1,
                got: 2,
            },
            EspError::Replayed(1),
            EspError::TooOld(1),
            EspError::Integrity,
            EspError::Malformed,
            EspError::BadPadding,
            EspError::UnknownNextHeader(1),
            EspError::DummyPacket,
        ];
        let mut counts = DropCounts::default();
        for (i, e) in drops.iter().enumerate() {
            counts.count(e);
            assert_eq!(counts.total(), i as u64 + 1, "{e:?}");
        }
        counts.count(&EspError::SequenceExhausted);
        counts.count(&EspError::InvalidSa("x"));
        assert_eq!(counts.total(), drops.len() as u64);
        assert_eq!(counts.replayed, 1);
        assert_eq!(counts.dummy, 1);
    }
}
