//! The SA database: inbound ESP SAs by SPI, outbound SAs chosen by the inner
//! packet's destination against the peer's traffic selectors.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;

use ibex_esp::{EspSaPair, InboundSa, NextHeader, OutboundSa};

use ibex_ike::message::TrafficSelector;
use ibex_ike::session::ts_contains;
use ibex_ike::ChildSaInfo;
use tracing::{debug, warn};

use crate::buffer::Packet;

/// Why a Child SA could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum SadError {
    /// The negotiated keys do not fit the suite.
    #[error("cannot install the Child SA: {0}")]
    Esp(#[from] ibex_esp::EspError),
}

/// Traffic counters of one connection, kept across rekeys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Packets received and delivered.
    pub packets_in: u64,
    /// Inner bytes received.
    pub bytes_in: u64,
    /// Packets sent.
    pub packets_out: u64,
    /// Inner bytes sent.
    pub bytes_out: u64,
    /// Packets dropped (replay, integrity, malformed, ...).
    pub drops: u64,
}

impl Traffic {
    fn add_in(&mut self, s: &ibex_esp::InboundStats) {
        self.packets_in += s.packets;
        self.bytes_in += s.bytes;
        self.drops += s.drops.total();
    }

    fn add_out(&mut self, s: &ibex_esp::OutboundStats) {
        self.packets_out += s.packets;
        self.bytes_out += s.bytes;
    }
}

/// An outbound SA and where its packets go.
pub struct Outbound {
    /// The SA.
    pub sa: OutboundSa,
    /// The peer's UDP 4500 endpoint.
    pub remote: SocketAddr,
    /// Which connection (IKE session) it belongs to.
    pub owner: u64,
    /// Inbound SPI of the same Child SA.
    pub spi_in: u32,
    ts_remote: Vec<TrafficSelector>,
    /// Carries traffic (see [`Takeover`]).
    active: bool,
}

/// When a newly installed Child SA takes over outbound traffic from an
/// older one with the same selectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Takeover {
    /// At once: we initiated the exchange, so the peer has the SA already.
    Now,
    /// Once a packet arrives on it (or the older SA with its selectors is
    /// gone; at once when there is none): we answered
    /// the exchange, and the peer installs the SA only when our response
    /// arrives; sending earlier would lose packets.
    OnInbound,
}

/// An inbound SA and what the database keeps beside it.
struct Inbound {
    owner: u64,
    sa: InboundSa,
    /// The peer's selectors: inner source addresses it may use.
    ts_remote: Vec<TrafficSelector>,
    /// The outbound half still waits for its first inbound packet to take over.
    waiting: bool,
    /// Where the peer's packets are expected from (its UDP 4500 endpoint).
    remote: SocketAddr,
}

/// An ESP packet delivered by [`Sad::open_from`].
#[derive(Debug)]
pub struct Delivered<'a> {
    /// Which connection (IKE session) it belongs to.
    pub owner: u64,
    /// The decrypted inner IP packet.
    pub inner: &'a [u8],
    /// The packet came from another endpoint than the SA's peer and is new
    /// (authenticated, the highest sequence number so far): the peer's NAT
    /// mapping may have changed to this address (RFC 7296 2.23, RFC 3948).
    /// Never set for replayed or late packets.
    pub moved_to: Option<SocketAddr>,
}

/// All ESP SAs of a daemon or gateway.
#[derive(Default)]
pub struct Sad {
    /// By SPI.
    inbound: HashMap<u32, Inbound>,
    /// Newest first: a rekeyed SA takes over before the old one is deleted.
    outbound: Vec<Outbound>,
    /// Counters of removed SAs, per owner.
    past: HashMap<u64, Traffic>,
}

/// How a Child SA from the engine takes over: at once when we initiated
/// its exchange, else on its first inbound packet.
pub fn takeover(child: &ChildSaInfo) -> Takeover {
    if child.initiated {
        Takeover::Now
    } else {
        Takeover::OnInbound
    }
}

/// A selector covering exactly `ip`.
fn host(ip: IpAddr) -> TrafficSelector {
    TrafficSelector::from_prefix(ip, if ip.is_ipv4() { 32 } else { 128 })
}

/// Why an ESP packet was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Too short to carry an SPI.
    #[error("runt ESP packet")]
    Malformed,
    /// No SA has this SPI (stale peer, or noise).
    #[error("no SA for SPI {0:08x}")]
    UnknownSpi(u32),
    /// The ESP layer refused it (counted in the SA's drops).
    #[error("ESP: {0}")]
    Esp(ibex_esp::EspError),
    /// The inner source address is outside the SA's selectors.
    #[error("inner source address outside the SA's traffic selectors")]
    Spoofed,
}

/// The source address of an IPv4 or IPv6 packet.
pub fn source(packet: &[u8]) -> Option<IpAddr> {
    match packet.first()? >> 4 {
        4 => <[u8; 4]>::try_from(packet.get(12..16)?)
            .ok()
            .map(IpAddr::from),
        6 => <[u8; 16]>::try_from(packet.get(8..24)?)
            .ok()
            .map(IpAddr::from),
        _ => None,
    }
}

/// The destination address of an IPv4 or IPv6 packet.
pub fn destination(packet: &[u8]) -> Option<IpAddr> {
    match packet.first()? >> 4 {
        4 => <[u8; 4]>::try_from(packet.get(16..20)?)
            .ok()
            .map(IpAddr::from),
        6 => <[u8; 16]>::try_from(packet.get(24..40)?)
            .ok()
            .map(IpAddr::from),
        _ => None,
    }
}

impl Sad {
    /// An empty database.
    pub fn new() -> Sad {
        Sad::default()
    }

    /// Installs both directions of a Child SA for connection `owner`; the
    /// new SA takes over outbound traffic as `takeover` says
    /// (make-before-break), the old one keeps receiving until it is removed.
    pub fn install(
        &mut self,
        owner: u64,
        child: &ChildSaInfo,
        remote: SocketAddr,
        takeover: Takeover,
    ) -> Result<(), SadError> {
        let (inbound, outbound) = EspSaPair::from_child(child)?.into_parts();
        // Nothing to take over from: the new SA carries traffic at once.
        let waiting = takeover == Takeover::OnInbound
            && self.outbound.iter().any(|o| o.ts_remote == child.ts_remote);
        self.inbound.insert(
            child.spi_in,
            Inbound {
                owner,
                sa: inbound,
                ts_remote: child.ts_remote.clone(),
                waiting,
                remote,
            },
        );
        self.outbound.insert(
            0,
            Outbound {
                sa: outbound,
                remote,
                owner,
                spi_in: child.spi_in,
                ts_remote: child.ts_remote.clone(),
                active: !waiting,
            },
        );
        debug!(
            owner,
            spi_in = format_args!("{:08x}", child.spi_in),
            spi_out = format_args!("{:08x}", child.spi_out),
            "ESP SA installed"
        );
        Ok(())
    }

    /// Removes the Child SA with this inbound SPI, keeping its counters.
    pub fn remove(&mut self, spi_in: u32) {
        if let Some(i) = self.inbound.remove(&spi_in) {
            self.past.entry(i.owner).or_default().add_in(&i.sa.stats());
        }
        if let Some(p) = self.outbound.iter().position(|o| o.spi_in == spi_in) {
            let o = self.outbound.remove(p);
            self.past.entry(o.owner).or_default().add_out(&o.sa.stats());
        }
    }

    /// Removes every SA of connection `owner` and forgets its counters.
    pub fn remove_owner(&mut self, owner: u64) {
        self.inbound.retain(|_, i| i.owner != owner);
        self.outbound.retain(|o| o.owner != owner);
        self.past.remove(&owner);
    }

    /// Opens an ESP packet in place: finds the SA by SPI, decrypts, and checks
    /// that the inner source lies in the SA's selectors (RFC 4301 5.2), so a
    /// peer cannot send as another. Returns the owner and the inner packet.
    pub fn open<'a>(&mut self, packet: &'a mut [u8]) -> Result<(u64, &'a [u8]), OpenError> {
        self.open_inner(packet, None).map(|d| (d.owner, d.inner))
    }

    /// [`Self::open`] for a packet that arrived from `from`; also says
    /// whether it is new traffic from another endpoint than the SA's peer
    /// ([`Delivered::moved_to`]). The database does not move the SA itself:
    /// whether to follow is the IKE session's decision (only the side not
    /// behind the NAT follows), which then calls [`Self::set_remote`].
    pub fn open_from<'a>(
        &mut self,
        packet: &'a mut [u8],
        from: SocketAddr,
    ) -> Result<Delivered<'a>, OpenError> {
        self.open_inner(packet, Some(from))
    }

    fn open_inner<'a>(
        &mut self,
        packet: &'a mut [u8],
        from: Option<SocketAddr>,
    ) -> Result<Delivered<'a>, OpenError> {
        let spi = u32::from_be_bytes(
            packet
                .get(..4)
                .and_then(|b| b.try_into().ok())
                .ok_or(OpenError::Malformed)?,
        );
        let entry = self
            .inbound
            .get_mut(&spi)
            .ok_or(OpenError::UnknownSpi(spi))?;
        let opened = entry.sa.open(packet).map_err(OpenError::Esp)?;
        let inner = &packet[opened.inner];
        let ok = source(inner)
            .is_some_and(|src| entry.ts_remote.iter().any(|t| ts_contains(t, &host(src))));
        if !ok {
            return Err(OpenError::Spoofed);
        }
        let owner = entry.owner;
        let moved_to = from.filter(|f| opened.newest && *f != entry.remote);
        if std::mem::take(&mut entry.waiting) {
            // The peer sends on the new SA: it has it, so we may too.
            if let Some(o) = self.outbound.iter_mut().find(|o| o.spi_in == spi) {
                o.active = true;
            }
        }
        Ok(Delivered {
            owner,
            inner,
            moved_to,
        })
    }

    /// Seals the IP packet of `len` bytes in `out` (its payload area) with
    /// the SA its destination is routed to: the sealed datagram's range in
    /// `out` and the peer's endpoint. `None` (logged) for a packet that is
    /// not IP, has no SA (dropped: never sent around the tunnel), or cannot
    /// be sealed (the SA needs a rekey).
    pub fn seal(&mut self, out: &mut Packet, len: usize) -> Option<(Range<usize>, SocketAddr)> {
        let range = out.payload_range(len);
        let dst = destination(out.slice(range.clone()))?;
        let nh = if dst.is_ipv4() {
            NextHeader::Ipv4
        } else {
            NextHeader::Ipv6
        };
        let Some(o) = self.route(dst) else {
            debug!(%dst, "no SA for this destination; dropped");
            return None;
        };
        match o.sa.seal(out.raw_mut(), range, nh) {
            Ok(sealed) => Some((sealed, o.remote)),
            Err(e) => {
                warn!(error = %e, "cannot seal; the SA needs a rekey");
                None
            }
        }
    }

    /// The outbound SA whose peer selectors cover `dst`: the newest one
    /// that has taken over, else the newest.
    pub fn route(&mut self, dst: IpAddr) -> Option<&mut Outbound> {
        let h = host(dst);
        let covers = |o: &Outbound| o.ts_remote.iter().any(|t| ts_contains(t, &h));
        let i = self
            .outbound
            .iter()
            .position(|o| o.active && covers(o))
            .or_else(|| self.outbound.iter().position(covers))?;
        self.outbound.get_mut(i)
    }

    /// Points connection `owner`'s outbound SAs at a new peer endpoint (NAT
    /// rebinding, MOBIKE).
    pub fn set_remote(&mut self, owner: u64, remote: SocketAddr) {
        for o in self.outbound.iter_mut().filter(|o| o.owner == owner) {
            o.remote = remote;
        }
        for i in self.inbound.values_mut().filter(|i| i.owner == owner) {
            i.remote = remote;
        }
    }

    /// Counters of connection `owner`, over all its SAs past and present.
    pub fn traffic(&self, owner: u64) -> Traffic {
        let mut t = self.past.get(&owner).copied().unwrap_or_default();
        for i in self.inbound.values().filter(|i| i.owner == owner) {
            t.add_in(&i.sa.stats());
        }
        for o in self.outbound.iter().filter(|o| o.owner == owner) {
            t.add_out(&o.sa.stats());
        }
        t
    }

    /// Number of installed Child SAs (inbound halves).
    pub fn len(&self) -> usize {
        self.inbound.len()
    }

    /// No SA installed.
    pub fn is_empty(&self) -> bool {
        self.inbound.is_empty()
    }
}

#[cfg(test)]
#[path = "sad_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "sad_nat_tests.rs"]
mod nat_tests;
