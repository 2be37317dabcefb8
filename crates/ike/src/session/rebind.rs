//! NAT rebinding (RFC 7296 2.23, RFC 3948): a NAT may drop the peer's
//! mapping and give it a new one (a rebooted router, a mapping that timed
//! out). The side *not* behind the NAT then follows the peer to the address
//! and port of its most recent authenticated, new packet; the side behind
//! the NAT never does (a single forged-looking packet could then cut it
//! off). Only new packets count, never retransmissions or replays, so an
//! attacker replaying old packets cannot move the SA back.
//!
//! With MOBIKE (RFC 4555 3.8) the peer reports its moves itself with
//! UPDATE_SA_ADDRESSES, so IKE messages never move the SA; ESP packets
//! still may (the data plane reports them through [`Session::peer_moved`]).

use std::net::SocketAddr;
use std::time::Instant;

use tracing::{debug, info};

use super::{Event, Session, State};

impl Session {
    /// This side follows the peer's NAT mapping: a NAT was detected in front
    /// of the peer and none in front of us, and the SA is up.
    pub fn follows_nat(&self) -> bool {
        self.nat_remote && !self.nat_local && self.state == State::Established
    }

    /// An IKE message that authenticated and is new (a request with the next
    /// message ID, or the response to our outstanding request) arrived from
    /// `remote` on `local`.
    pub(super) fn rebind_on_ike(&mut self, local: SocketAddr, remote: SocketAddr) {
        if remote == self.remote || !self.follows_nat() {
            return;
        }
        if self.mobike {
            debug!(old = %self.remote, new = %remote, "IKE from a new address; with MOBIKE the peer moves itself");
            return;
        }
        self.rebind(local, remote);
    }

    /// The data plane received ESP for one of this session's Child SAs from
    /// `remote`, and the packet was authenticated and carried the highest
    /// sequence number so far (never a replayed or late packet). If this side
    /// follows the peer's NAT mapping ([`Self::follows_nat`]), IKE and the
    /// Child SAs move there: `Event::EndpointsChanged` tells the caller to
    /// point its outbound ESP at `remote`. Returns whether it moved.
    pub fn peer_moved(&mut self, now: Instant, remote: SocketAddr) -> bool {
        self.clock = self.clock.max(now);
        if remote == self.remote {
            return false;
        }
        if !self.follows_nat() {
            debug!(old = %self.remote, new = %remote, "ESP from a new address; not following (no NAT in front of the peer, or one in front of us)");
            return false;
        }
        let local = self.local;
        self.rebind(local, remote);
        true
    }

    fn rebind(&mut self, local: SocketAddr, remote: SocketAddr) {
        info!(old = %self.remote, new = %remote, "peer's NAT mapping changed: following it");
        self.local = local;
        self.remote = remote;
        self.events
            .push_back(Event::EndpointsChanged { local, remote });
    }
}
