//! [`NextHeader`]: what an ESP packet carries in tunnel mode.

/// The ESP Next Header values this crate accepts (IANA protocol numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NextHeader {
    /// IPv4 in IP (4).
    Ipv4,
    /// IPv6 in IP (41).
    Ipv6,
    /// No Next Header (59): a dummy packet for traffic flow confidentiality,
    /// discarded by the receiver (RFC 4303 2.6).
    NoNext,
}

impl NextHeader {
    /// The protocol number.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::Ipv4 => 4,
            Self::Ipv6 => 41,
            Self::NoNext => 59,
        }
    }

    /// The value for a protocol number, `None` for any other.
    pub const fn from_u8(value: u8) -> Option<Self> {
        match value {
            4 => Some(Self::Ipv4),
            41 => Some(Self::Ipv6),
            59 => Some(Self::NoNext),
            _ => None,
        }
    }

    /// The value for an inner IP packet, by its version nibble: IPv4 (4) or
    /// IPv6 (6); `None` for anything else, including an empty packet.
    pub fn of_packet(packet: &[u8]) -> Option<Self> {
        match packet.first().map(|b| b >> 4) {
            Some(4) => Some(Self::Ipv4),
            Some(6) => Some(Self::Ipv6),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_roundtrip() {
        for nh in [NextHeader::Ipv4, NextHeader::Ipv6, NextHeader::NoNext] {
            assert_eq!(NextHeader::from_u8(nh.to_u8()), Some(nh));
        }
        assert_eq!(NextHeader::from_u8(17), None);
        assert_eq!(NextHeader::from_u8(1), None);
    }

    #[test]
    fn version_nibble() {
        assert_eq!(NextHeader::of_packet(&[0x45, 0]), Some(NextHeader::Ipv4));
        assert_eq!(NextHeader::of_packet(&[0x60]), Some(NextHeader::Ipv6));
        assert_eq!(NextHeader::of_packet(&[0x50]), None);
        assert_eq!(NextHeader::of_packet(&[]), None);
    }
}
