//! Traffic Selector payloads TSi / TSr (RFC 7296 3.13).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::wire::{to_u8, Reader};
use super::{DecodeError, EncodeError};

/// One traffic selector: an address range, port range and IP protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrafficSelector {
    /// [`Self::TS_IPV4_ADDR_RANGE`] (7) or [`Self::TS_IPV6_ADDR_RANGE`] (8);
    /// must match the address family.
    pub ts_type: u8,
    /// IP protocol number, 0 for any.
    pub ip_protocol: u8,
    /// First port of the range.
    pub start_port: u16,
    /// Last port of the range.
    pub end_port: u16,
    /// First address of the range.
    pub start_addr: IpAddr,
    /// Last address of the range.
    pub end_addr: IpAddr,
}

impl TrafficSelector {
    /// TS type of an IPv4 address range.
    pub const TS_IPV4_ADDR_RANGE: u8 = 7;
    /// TS type of an IPv6 address range.
    pub const TS_IPV6_ADDR_RANGE: u8 = 8;

    /// All IPv4 addresses, all ports, any protocol.
    pub fn any_v4() -> Self {
        Self::from_prefix(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)
    }

    /// All IPv6 addresses, all ports, any protocol.
    pub fn any_v6() -> Self {
        Self::from_prefix(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0)
    }

    /// The range covered by `addr/prefix_len` (clamped to the address width),
    /// all ports, any protocol.
    pub fn from_prefix(addr: IpAddr, prefix_len: u8) -> Self {
        let (ts_type, start_addr, end_addr) = match addr {
            IpAddr::V4(a) => {
                let host_bits = 32 - u32::from(prefix_len.min(32));
                let mask = u32::MAX.checked_shl(host_bits).unwrap_or(0);
                let bits = u32::from(a);
                (
                    Self::TS_IPV4_ADDR_RANGE,
                    IpAddr::V4((bits & mask).into()),
                    IpAddr::V4((bits | !mask).into()),
                )
            }
            IpAddr::V6(a) => {
                let host_bits = 128 - u32::from(prefix_len.min(128));
                let mask = u128::MAX.checked_shl(host_bits).unwrap_or(0);
                let bits = u128::from(a);
                (
                    Self::TS_IPV6_ADDR_RANGE,
                    IpAddr::V6((bits & mask).into()),
                    IpAddr::V6((bits | !mask).into()),
                )
            }
        };
        Self {
            ts_type,
            ip_protocol: 0,
            start_port: 0,
            end_port: u16::MAX,
            start_addr,
            end_addr,
        }
    }

    /// Decodes one selector.
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        const WHAT: &str = "traffic selector";
        let ts_type = r.u8(WHAT)?;
        let ip_protocol = r.u8(WHAT)?;
        let len = usize::from(r.u16(WHAT)?);
        let expected = match ts_type {
            Self::TS_IPV4_ADDR_RANGE => 16,
            Self::TS_IPV6_ADDR_RANGE => 40,
            _ => return Err(DecodeError::UnsupportedTsType { ts_type }),
        };
        if len != expected {
            return Err(DecodeError::BadLength { what: WHAT, len });
        }
        let start_port = r.u16(WHAT)?;
        let end_port = r.u16(WHAT)?;
        let (start_addr, end_addr) = if ts_type == Self::TS_IPV4_ADDR_RANGE {
            let start = r.array::<4>(WHAT)?;
            let end = r.array::<4>(WHAT)?;
            (IpAddr::from(start), IpAddr::from(end))
        } else {
            let start = r.array::<16>(WHAT)?;
            let end = r.array::<16>(WHAT)?;
            (IpAddr::from(start), IpAddr::from(end))
        };
        Ok(Self {
            ts_type,
            ip_protocol,
            start_port,
            end_port,
            start_addr,
            end_addr,
        })
    }

    /// Appends one selector.
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let len: u16 = match (self.ts_type, self.start_addr, self.end_addr) {
            (Self::TS_IPV4_ADDR_RANGE, IpAddr::V4(_), IpAddr::V4(_)) => 16,
            (Self::TS_IPV6_ADDR_RANGE, IpAddr::V6(_), IpAddr::V6(_)) => 40,
            _ => {
                return Err(EncodeError::Inconsistent {
                    what: "traffic selector type and address family",
                })
            }
        };
        out.push(self.ts_type);
        out.push(self.ip_protocol);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.start_port.to_be_bytes());
        out.extend_from_slice(&self.end_port.to_be_bytes());
        for addr in [self.start_addr, self.end_addr] {
            match addr {
                IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
                IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
            }
        }
        Ok(())
    }
}

/// Decodes a TS payload body: count, 3 reserved bytes, selectors.
pub(super) fn decode_list(body: &[u8]) -> Result<Vec<TrafficSelector>, DecodeError> {
    let mut r = Reader::new(body);
    let [declared, ..] = r.array::<4>("TS payload")?;
    let mut selectors = Vec::new();
    while !r.is_empty() {
        selectors.push(TrafficSelector::decode(&mut r)?);
    }
    if selectors.len() != usize::from(declared) {
        return Err(DecodeError::CountMismatch {
            what: "traffic selectors",
            declared: usize::from(declared),
            found: selectors.len(),
        });
    }
    Ok(selectors)
}

/// Appends a TS payload body.
pub(super) fn encode_list(list: &[TrafficSelector], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    out.extend_from_slice(&[to_u8(list.len(), "traffic selector count")?, 0, 0, 0]);
    list.iter().try_for_each(|ts| ts.encode(out))
}
