//! MOBIKE address sets (RFC 4555 3.4, 3.6): each side may announce its
//! other addresses (ADDITIONAL_IP4_ADDRESS, ADDITIONAL_IP6_ADDRESS, or
//! NO_ADDITIONAL_ADDRESSES), so the other can move the SA there, e.g. from
//! IPv4 to IPv6 when one family goes away.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use tracing::debug;

use super::init::notify;
use super::Session;
use crate::message::{NotifyType, Payload};

/// At most this many announced addresses are kept.
const MAX_PEER_ADDRESSES: usize = 16;

impl Session {
    /// The peer's other addresses, as it last announced them.
    pub fn peer_addresses(&self) -> &[IpAddr] {
        &self.peer_addresses
    }

    /// Our additional addresses as notifications (when MOBIKE is on), the
    /// one in use left out.
    pub(crate) fn additional_address_payloads(&self) -> Vec<Payload> {
        self.config
            .additional_addresses
            .iter()
            .filter(|a| **a != self.local.ip())
            .map(|a| match a {
                IpAddr::V4(v4) => notify(NotifyType::ADDITIONAL_IP4_ADDRESS, v4.octets().to_vec()),
                IpAddr::V6(v6) => notify(NotifyType::ADDITIONAL_IP6_ADDRESS, v6.octets().to_vec()),
            })
            .collect()
    }

    /// Takes the peer's address announcements from an IKE_AUTH response or
    /// an INFORMATIONAL request; a message without any leaves the set alone.
    pub(crate) fn note_peer_addresses(&mut self, payloads: &[Payload]) {
        let mut seen = false;
        let mut addrs = Vec::new();
        for p in payloads {
            let Payload::Notify(n) = p else { continue };
            let addr = match n.kind {
                NotifyType::NO_ADDITIONAL_ADDRESSES => {
                    seen = true;
                    None
                }
                NotifyType::ADDITIONAL_IP4_ADDRESS => {
                    seen = true;
                    <[u8; 4]>::try_from(n.data.as_slice())
                        .ok()
                        .map(|b| IpAddr::V4(Ipv4Addr::from(b)))
                }
                NotifyType::ADDITIONAL_IP6_ADDRESS => {
                    seen = true;
                    <[u8; 16]>::try_from(n.data.as_slice())
                        .ok()
                        .map(|b| IpAddr::V6(Ipv6Addr::from(b)))
                }
                _ => None,
            };
            if let Some(a) = addr.filter(|a| !a.is_unspecified() && !a.is_multicast()) {
                if !addrs.contains(&a) && addrs.len() < MAX_PEER_ADDRESSES {
                    addrs.push(a);
                }
            }
        }
        if seen {
            debug!(?addrs, "the peer's additional addresses");
            self.peer_addresses = addrs;
        }
    }
}
