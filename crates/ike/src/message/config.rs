//! Configuration payload (RFC 7296 3.15).

use super::wire::{to_u16, Reader};
use super::{DecodeError, EncodeError};

/// Reserved bit above the 15-bit attribute type.
const RESERVED_BIT: u16 = 0x8000;

/// Configuration payload body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Configuration {
    /// CFG type: [`Self::REQUEST`], [`Self::REPLY`], [`Self::SET`] or [`Self::ACK`].
    pub cfg_type: u8,
    /// Configuration attributes, in wire order.
    pub attributes: Vec<ConfigAttribute>,
}

impl Configuration {
    /// CFG_REQUEST.
    pub const REQUEST: u8 = 1;
    /// CFG_REPLY.
    pub const REPLY: u8 = 2;
    /// CFG_SET.
    pub const SET: u8 = 3;
    /// CFG_ACK.
    pub const ACK: u8 = 4;

    /// Decodes the payload body after the generic header.
    pub(super) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        const WHAT: &str = "configuration attribute";
        let mut r = Reader::new(body);
        let [cfg_type, ..] = r.array::<4>("CP payload")?;
        let mut attributes = Vec::new();
        while !r.is_empty() {
            let kind = r.u16(WHAT)? & !RESERVED_BIT;
            let len = usize::from(r.u16(WHAT)?);
            let value = r.take_declared(len, WHAT)?.to_vec();
            attributes.push(ConfigAttribute { kind, value });
        }
        Ok(Self {
            cfg_type,
            attributes,
        })
    }

    /// Appends the payload body after the generic header.
    pub(super) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.extend_from_slice(&[self.cfg_type, 0, 0, 0]);
        for a in &self.attributes {
            if a.kind & RESERVED_BIT != 0 {
                return Err(EncodeError::FieldOverflow {
                    what: "configuration attribute type",
                    value: usize::from(a.kind),
                });
            }
            out.extend_from_slice(&a.kind.to_be_bytes());
            let len = to_u16(a.value.len(), "configuration attribute length")?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&a.value);
        }
        Ok(())
    }
}

/// A configuration attribute (RFC 7296 3.15.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigAttribute {
    /// Attribute type (15 bits).
    pub kind: u16,
    /// Attribute value (empty in requests).
    pub value: Vec<u8>,
}

impl ConfigAttribute {
    /// Internal IPv4 address.
    pub const INTERNAL_IP4_ADDRESS: u16 = 1;
    /// Internal IPv4 netmask.
    pub const INTERNAL_IP4_NETMASK: u16 = 2;
    /// Internal IPv4 DNS server.
    pub const INTERNAL_IP4_DNS: u16 = 3;
    /// Internal IPv4 NetBIOS name server.
    pub const INTERNAL_IP4_NBNS: u16 = 4;
    /// Internal IPv4 DHCP server.
    pub const INTERNAL_IP4_DHCP: u16 = 6;
    /// Application version string.
    pub const APPLICATION_VERSION: u16 = 7;
    /// Internal IPv6 address and prefix length.
    pub const INTERNAL_IP6_ADDRESS: u16 = 8;
    /// Internal IPv6 DNS server.
    pub const INTERNAL_IP6_DNS: u16 = 10;
    /// Internal IPv6 DHCP server.
    pub const INTERNAL_IP6_DHCP: u16 = 12;
    /// Protected IPv4 subnet.
    pub const INTERNAL_IP4_SUBNET: u16 = 13;
    /// List of supported attribute types.
    pub const SUPPORTED_ATTRIBUTES: u16 = 14;
    /// Protected IPv6 subnet.
    pub const INTERNAL_IP6_SUBNET: u16 = 15;
}
