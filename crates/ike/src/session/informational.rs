//! INFORMATIONAL as responder: deletes of Child and IKE SAs (RFC 7296 1.4.1),
//! liveness checks (1.4) and MOBIKE address updates (RFC 4555 3.5).

use std::net::SocketAddr;

use tracing::{debug, info};

use super::auth::After;
use super::init::{find_notify, notify};
use super::{natd, CloseReason, Event, Session, Slot};
use crate::message::{Delete, NotifyType, Payload, ProtocolId};

impl Session {
    pub(super) fn respond_informational(
        &mut self,
        payloads: &[Payload],
        slot: Slot,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> (Vec<Payload>, After) {
        let mut out = Vec::new();
        // RFC 7296 2.21.2: the peer could not verify our AUTH (or refuses
        // how we authenticated) after IKE_AUTH: the SA must go.
        if find_notify(payloads, NotifyType::AUTHENTICATION_FAILED).is_some() {
            info!("the peer rejected our authentication after IKE_AUTH");
            return (
                vec![],
                After::Close(CloseReason::AuthenticationFailed(
                    "the peer rejected our authentication (AUTHENTICATION_FAILED)".into(),
                )),
            );
        }
        // RFC 4478: a gateway may (re)announce the authentication lifetime.
        self.note_auth_lifetime(self.clock, payloads);
        // RFC 5685 6: the gateway sends this established SA elsewhere.
        self.informational_redirect(payloads);
        // RFC 4555 3.6: the peer's address set changed.
        if self.mobike {
            self.note_peer_addresses(payloads);
        }
        for p in payloads {
            let Payload::Delete(d) = p else { continue };
            if d.protocol == ProtocolId::IKE {
                if let Slot::Retired(spi) = slot {
                    debug!("peer deleted a rekeyed IKE SA");
                    return (vec![], After::DropRetired(spi));
                }
                let current = self.sa.as_ref().map(|s| s.local_spi());
                if let Some(candidate) = current.and_then(|c| self.ike_rekeys.theirs_of(c)) {
                    return (vec![], After::AdoptPeerRekey(candidate));
                }
                info!("peer deleted the IKE SA");
                return (vec![], After::Close(CloseReason::PeerDeleted));
            }
            if d.protocol == ProtocolId::ESP && d.spi_size == 4 {
                let mut ours = Vec::new();
                for spi in &d.spis {
                    let Ok(b) = <[u8; 4]>::try_from(spi.as_slice()) else {
                        continue;
                    };
                    let out_spi = u32::from_be_bytes(b);
                    if let Some(pos) = self.children.iter().position(|c| c.spi_out == out_spi) {
                        let c = self.children.remove(pos);
                        debug!(
                            spi_in = format_args!("{:08x}", c.spi_in),
                            "peer deleted Child SA"
                        );
                        self.events.push_back(Event::ChildDown {
                            spi_in: c.spi_in,
                            spi_out: c.spi_out,
                        });
                        ours.push(c.spi_in.to_be_bytes().to_vec());
                    }
                }
                if !ours.is_empty() {
                    out.push(Payload::Delete(Delete {
                        protocol: ProtocolId::ESP,
                        spi_size: 4,
                        spis: ours,
                    }));
                }
            }
        }
        if find_notify(payloads, NotifyType::UPDATE_SA_ADDRESSES).is_some() && self.mobike {
            info!(old = %self.remote, new = %remote, "MOBIKE: peer moved");
            self.local = local;
            self.remote = remote;
            if let Some(sa) = self.sa.as_ref() {
                if let Some((nat_local, nat_remote)) =
                    super::init::detect_nat(payloads, &sa.spi_i, &sa.spi_r, local, remote)
                {
                    self.nat_local = nat_local || self.config.force_encap;
                    self.nat_remote = nat_remote;
                }
            }
            self.events
                .push_back(Event::EndpointsChanged { local, remote });
            if let Some(sa) = self.sa.as_ref() {
                out.push(notify(
                    NotifyType::NAT_DETECTION_SOURCE_IP,
                    natd::hash(&sa.spi_i, &sa.spi_r, local),
                ));
                out.push(notify(
                    NotifyType::NAT_DETECTION_DESTINATION_IP,
                    natd::hash(&sa.spi_i, &sa.spi_r, remote),
                ));
            }
        }
        if let Some(c2) =
            find_notify(payloads, NotifyType::COOKIE2).filter(|c| (8..=64).contains(&c.data.len()))
        {
            out.push(notify(NotifyType::COOKIE2, c2.data.clone()));
        }
        (out, After::Nothing)
    }
}
