//! Exchanges on an established IKE SA: dispatch of protected messages,
//! CREATE_CHILD_SA rekeys of Child and IKE SAs (RFC 7296 1.3, 2.8, 2.18),
//! INFORMATIONAL deletes and liveness checks (1.4), MOBIKE address updates
//! (RFC 4555 3.5) and the responder's retransmission cache (2.1).

use std::net::SocketAddr;
use std::time::Instant;

use tracing::{debug, info, warn};

use super::auth::After;
use super::auth_responder::{Deferred, Reply};
use super::child::ChildRequest;
use super::init::{find_notify, notify, NONCE_LEN};
use super::sa::{IkeSa, Opened};
use super::{
    natd, CloseReason, Event, Outstanding, Pending, ResponderCtx, Role, Session, Slot, State, Task,
};
use crate::crypto::DhPrivate;
use crate::message::{Delete, ExchangeType, Header, KeyExchange, NotifyType, Payload, ProtocolId};

/// Our Child SA rekey in flight.
pub(crate) struct RekeyChildPending {
    pub(super) req: ChildRequest,
}

/// Our IKE SA rekey in flight.
pub(crate) struct RekeyIkePending {
    pub(super) spi: [u8; 8],
    pub(super) nonce: Vec<u8>,
    pub(super) dh: DhPrivate,
}

pub(super) fn nonce(payloads: &[Payload]) -> Option<Vec<u8>> {
    payloads.iter().find_map(|p| match p {
        Payload::Nonce(n) if (16..=256).contains(&n.len()) => Some(n.clone()),
        _ => None,
    })
}

pub(super) fn ke(payloads: &[Payload]) -> Option<&KeyExchange> {
    payloads.iter().find_map(|p| match p {
        Payload::Ke(k) => Some(k),
        _ => None,
    })
}

impl Session {
    pub(super) fn new_ike_spi(&mut self) -> [u8; 8] {
        let mut spi = [0u8; 8];
        while spi == [0u8; 8] {
            self.rng.fill(&mut spi);
        }
        spi
    }

    /// Sends a request on the current (or a retired) IKE SA.
    fn request(
        &mut self,
        now: Instant,
        exchange: ExchangeType,
        on: Slot,
        payloads: &[Payload],
        what: Pending,
    ) -> bool {
        let at = self.fragment_at();
        let rng = self.rng.as_mut();
        let Some(sa) = slot_mut(&mut self.sa, &mut self.retired, on) else {
            return false;
        };
        let id = sa.next_request_id;
        sa.next_request_id = sa.next_request_id.wrapping_add(1);
        let packets = sa.protect(rng, exchange, false, id, payloads, at);
        self.send_request(now, exchange, id, on, packets, what);
        true
    }

    /// Starts one queued task; returns whether a request went out.
    pub(super) fn start_task(&mut self, now: Instant, task: Task) -> bool {
        if self.state == State::Closing && task != Task::DeleteIke {
            return false;
        }
        match task {
            Task::Liveness => {
                let sent = self.request(
                    now,
                    ExchangeType::INFORMATIONAL,
                    Slot::Current,
                    &[],
                    Pending::Liveness,
                );
                // A dead gateway is noticed within a bounded time.
                let dead_at = now + self.config.dpd_timeout;
                if let Some(o) = self.outstanding.as_mut() {
                    o.dead_at = Some(dead_at);
                }
                sent
            }
            Task::Redirect(to) => {
                let Some(n) = super::redirect::redirect_notify(&to, &[]) else {
                    return false;
                };
                self.request(
                    now,
                    ExchangeType::INFORMATIONAL,
                    Slot::Current,
                    &[n],
                    Pending::Redirect,
                )
            }
            Task::UpdateAddresses => {
                let Some(sa) = self.sa.as_ref() else {
                    return false;
                };
                let (spi_i, spi_r) = (sa.spi_i, sa.spi_r);
                let cookie2 = self.random(16);
                let mut payloads = vec![notify(NotifyType::UPDATE_SA_ADDRESSES, vec![])];
                let src = if self.config.force_encap {
                    self.random(20)
                } else {
                    natd::hash(&spi_i, &spi_r, self.local)
                };
                payloads.push(notify(NotifyType::NAT_DETECTION_SOURCE_IP, src));
                payloads.push(notify(
                    NotifyType::NAT_DETECTION_DESTINATION_IP,
                    natd::hash(&spi_i, &spi_r, self.remote),
                ));
                payloads.push(notify(NotifyType::COOKIE2, cookie2.clone()));
                self.request(
                    now,
                    ExchangeType::INFORMATIONAL,
                    Slot::Current,
                    &payloads,
                    Pending::UpdateAddresses(cookie2),
                )
            }
            Task::DeleteIke => {
                self.state = State::Closing;
                let del = Payload::Delete(Delete {
                    protocol: ProtocolId::IKE,
                    spi_size: 0,
                    spis: vec![],
                });
                self.request(
                    now,
                    ExchangeType::INFORMATIONAL,
                    Slot::Current,
                    &[del],
                    Pending::DeleteIke,
                )
            }
            Task::DeleteRetired(spi) => {
                let del = Payload::Delete(Delete {
                    protocol: ProtocolId::IKE,
                    spi_size: 0,
                    spis: vec![],
                });
                self.request(
                    now,
                    ExchangeType::INFORMATIONAL,
                    Slot::Retired(spi),
                    &[del],
                    Pending::DeleteRetired(spi),
                )
            }
            Task::DeleteChild(spi) => {
                if !self.children.iter().any(|c| c.spi_in == spi) {
                    return false;
                }
                let del = Payload::Delete(Delete {
                    protocol: ProtocolId::ESP,
                    spi_size: 4,
                    spis: vec![spi.to_be_bytes().to_vec()],
                });
                self.request(
                    now,
                    ExchangeType::INFORMATIONAL,
                    Slot::Current,
                    &[del],
                    Pending::DeleteChild(spi),
                )
            }
            Task::RekeyChild(old) => {
                let Some(c) = self.children.iter().find(|c| c.spi_in == old) else {
                    return false;
                };
                let (ts_i, ts_r) = (c.ts_local.clone(), c.ts_remote.clone());
                let group = self
                    .config
                    .esp_proposals
                    .first()
                    .and_then(|p| p.dh.first())
                    .copied();
                let spi_in = self.new_spi();
                let n = self.random(NONCE_LEN);
                let dh = group.map(|g| self.new_dh(g));
                let req = ChildRequest {
                    spi_in,
                    ts_i,
                    ts_r,
                    want_vip: false,
                    requested_vip: None,
                    nonce: Some(n),
                    dh,
                    rekey_of: Some(old),
                };
                let payloads = req.payloads(&self.config, false);
                debug!(old = format_args!("{old:08x}"), "rekeying Child SA");
                self.request(
                    now,
                    ExchangeType::CREATE_CHILD_SA,
                    Slot::Current,
                    &payloads,
                    Pending::RekeyChild(RekeyChildPending { req }),
                )
            }
            Task::RekeyIke => {
                let Some(sa) = self.sa.as_ref() else {
                    return false;
                };
                let group = sa.suite.dh;
                let spi = self.new_ike_spi();
                let n = self.random(NONCE_LEN);
                let dh = self.new_dh(group);
                let proposals = self.config.ike_proposals.iter().enumerate().map(|(i, p)| {
                    let mut p = p.clone();
                    // Offer the current group first so the KE payload matches.
                    p.dh.retain(|g| *g != group);
                    p.dh.insert(0, group);
                    p.to_proposal(i as u8 + 1, spi.to_vec())
                });
                let payloads = vec![
                    Payload::Sa(proposals.collect()),
                    Payload::Nonce(n.clone()),
                    Payload::Ke(KeyExchange {
                        group: group.id(),
                        data: dh.public_value(),
                    }),
                ];
                debug!("rekeying IKE SA");
                self.request(
                    now,
                    ExchangeType::CREATE_CHILD_SA,
                    Slot::Current,
                    &payloads,
                    Pending::RekeyIke(RekeyIkePending { spi, nonce: n, dh }),
                )
            }
        }
    }

    /// Handles a protected (non-IKE_SA_INIT) message.
    pub(super) fn handle_protected(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        header: &Header,
        data: &[u8],
        ctx: Option<ResponderCtx<'_>>,
    ) {
        let matches = |s: &IkeSa| s.spi_i == header.spi_i && s.spi_r == header.spi_r;
        let slot = if self.sa.as_ref().is_some_and(matches) {
            Slot::Current
        } else if let Some(r) = self.retired.iter().find(|s| matches(s)) {
            Slot::Retired(r.local_spi())
        } else {
            debug!("message for an unknown IKE SA; dropped");
            return;
        };
        let Some(sa) = slot_mut(&mut self.sa, &mut self.retired, slot) else {
            return;
        };
        // The I flag must name the peer's role in this SA.
        if header.flags.is_initiator() == sa.initiator {
            return;
        }
        if header.flags.is_response() {
            let ok = self.outstanding.as_ref().is_some_and(|o| {
                o.message_id == header.message_id && o.on == slot && o.exchange == header.exchange
            });
            if !ok {
                return;
            }
            let payloads = match sa.unprotect(data) {
                Ok(Opened::Message(p)) => p,
                Ok(Opened::Fragment) => return,
                Err(e) => {
                    let liveness = self
                        .outstanding
                        .as_ref()
                        .is_some_and(|o| matches!(o.what, Pending::Liveness));
                    if liveness && forgotten(data) {
                        // The gateway restarted or timed us out: the SA is
                        // gone there, so waiting for an answer is pointless.
                        info!("the gateway no longer knows this IKE SA (INVALID_IKE_SPI)");
                        self.finish(CloseReason::PeerForgot);
                        return;
                    }
                    if self.state == State::Auth && forgotten(data) {
                        // RFC 7296 2.21.4: the gateway no longer knows the
                        // half-built SA (it stopped waiting for the person):
                        // end now, so the sign-in can start again, instead
                        // of retransmitting into the void.
                        info!("the gateway forgot this sign-in (INVALID_IKE_SPI)");
                        self.finish(CloseReason::SignInExpired);
                        return;
                    }
                    debug!(error = %e, "dropping response");
                    return;
                }
            };
            self.last_heard = now;
            // The response to our outstanding request: new by definition.
            self.rebind_on_ike(local, remote);
            let Some(o) = self.outstanding.take() else {
                return;
            };
            self.handle_response(now, o, payloads);
            return;
        }
        // A request from the peer.
        if let Some((id, packets)) = &sa.cached_response {
            if header.message_id == *id
                && header.message_id.wrapping_add(1) == sa.next_peer_id
                && !is_later_fragment(data)
            {
                debug!(
                    message_id = id,
                    "retransmitted request: resending cached response"
                );
                let packets = packets.clone();
                self.send_response_to(local, remote, packets);
                return;
            }
        }
        if self
            .deferred
            .as_ref()
            .is_some_and(|d| d.message_id == header.message_id && d.slot == slot)
        {
            // RFC 7296 2.1: a retransmission of a request still being
            // processed; never verify (or push) twice.
            debug!(
                message_id = header.message_id,
                "retransmitted request still in progress; ignored"
            );
            return;
        }
        if header.message_id != sa.next_peer_id {
            debug!(
                got = header.message_id,
                want = sa.next_peer_id,
                "unexpected message ID; dropped"
            );
            return;
        }
        let payloads = match sa.unprotect(data) {
            Ok(Opened::Message(p)) => p,
            Ok(Opened::Fragment) => return,
            Err(e) => {
                debug!(error = %e, "dropping request");
                return;
            }
        };
        self.last_heard = now;
        if self.role == Role::Responder && self.state == State::Auth {
            // IKE_AUTH may arrive on port 4500 after the NAT-T switch.
            self.local = local;
            self.remote = remote;
        } else {
            // RFC 7296 2.23: a new authenticated request (retransmissions
            // were answered from the cache above).
            self.rebind_on_ike(local, remote);
        }
        let reply = match super::init::unsupported_critical(&payloads) {
            // RFC 7296 2.5: refuse the whole message.
            Some(kind) => Reply::Now(
                vec![notify(
                    NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD,
                    vec![kind.0],
                )],
                After::Nothing,
            ),
            None => self.respond(header.exchange, &payloads, slot, local, remote, ctx),
        };
        let d = Deferred {
            slot,
            message_id: header.message_id,
            exchange: header.exchange,
            local,
            remote,
        };
        match reply {
            Reply::Now(out, after) => self.send_reply(now, &d, &out, after),
            Reply::Deferred => {
                debug!(
                    message_id = d.message_id,
                    "response held back (EAP server waiting)"
                );
                self.deferred = Some(d);
            }
        }
    }

    /// Protects, caches and sends the response to a request.
    pub(super) fn send_reply(&mut self, now: Instant, d: &Deferred, out: &[Payload], after: After) {
        let at = self.fragment_at();
        let rng = self.rng.as_mut();
        let Some(sa) = slot_mut(&mut self.sa, &mut self.retired, d.slot) else {
            return;
        };
        let packets = sa.protect(rng, d.exchange, true, d.message_id, out, at);
        sa.cached_response = Some((d.message_id, packets.clone()));
        sa.next_peer_id = sa.next_peer_id.wrapping_add(1);
        self.send_response_to(d.local, d.remote, packets);
        self.apply(now, after);
    }

    fn apply(&mut self, _now: Instant, after: After) {
        match after {
            After::Nothing => {}
            After::Close(reason) => self.finish(reason),
            After::DropRetired(spi) => {
                self.retired.retain(|s| s.local_spi() != spi);
                self.ike_rekeys.forget(spi);
                self.tasks.retain(|t| *t != Task::DeleteRetired(spi));
                if self
                    .outstanding
                    .as_ref()
                    .is_some_and(|o| o.on == Slot::Retired(spi))
                {
                    self.outstanding = None;
                }
            }
            After::AdoptPeerRekey(candidate) => {
                // RFC 7296 2.25.2: the peer finished its rekey and deleted the
                // old SA; our own rekey of it is forgotten.
                let Some(pos) = self.retired.iter().position(|s| s.local_spi() == candidate) else {
                    return;
                };
                let new = self.retired.remove(pos);
                if self
                    .outstanding
                    .as_ref()
                    .is_some_and(|o| o.on == Slot::Current)
                {
                    self.outstanding = None;
                }
                if let Some(old) = self.sa.replace(new) {
                    self.ike_rekeys.forget(old.local_spi());
                }
                info!("the peer completed its IKE rekey and deleted the old SA; using its new SA");
                self.emit_ike_up(true);
            }
            After::PeerRekeyedIke(new, slot, ni, nr) => self.peer_rekeyed_ike(*new, slot, ni, nr),
        }
    }

    fn respond(
        &mut self,
        exchange: ExchangeType,
        payloads: &[Payload],
        slot: Slot,
        local: SocketAddr,
        remote: SocketAddr,
        ctx: Option<ResponderCtx<'_>>,
    ) -> Reply {
        let (out, after) = match exchange {
            ExchangeType::IKE_AUTH if self.role == Role::Responder && self.state == State::Auth => {
                return self.respond_auth(payloads, ctx);
            }
            ExchangeType::CREATE_CHILD_SA if self.state == State::Established => {
                self.respond_create_child(payloads, slot)
            }
            ExchangeType::CREATE_CHILD_SA if self.state == State::Closing => (
                vec![notify(NotifyType::TEMPORARY_FAILURE, vec![])],
                After::Nothing,
            ),
            ExchangeType::INFORMATIONAL => {
                self.respond_informational(payloads, slot, local, remote)
            }
            _ => (
                vec![notify(NotifyType::INVALID_SYNTAX, vec![])],
                After::Nothing,
            ),
        };
        Reply::Now(out, after)
    }

    fn handle_response(&mut self, now: Instant, o: Outstanding, payloads: Vec<Payload>) {
        match o.what {
            Pending::Init(_) => {}
            Pending::Auth => self.auth_response(now, payloads),
            Pending::Liveness => debug!("liveness check answered"),
            Pending::Redirect => self.redirect_acknowledged(now),
            Pending::UpdateAddresses(cookie2) => {
                let echoed =
                    find_notify(&payloads, NotifyType::COOKIE2).is_some_and(|c| c.data == cookie2);
                if !echoed {
                    warn!("MOBIKE: peer did not echo COOKIE2; address update not confirmed");
                    return;
                }
                if let Some(sa) = self.sa.as_ref() {
                    if let Some((nat_local, nat_remote)) = super::init::detect_nat(
                        &payloads,
                        &sa.spi_i,
                        &sa.spi_r,
                        self.local,
                        self.remote,
                    ) {
                        self.nat_local = nat_local || self.config.force_encap;
                        self.nat_remote = nat_remote;
                    }
                }
                info!(local = %self.local, remote = %self.remote, nat_local = self.nat_local, "MOBIKE: address update confirmed");
                // The NAT situation may differ on the new path: the caller
                // looks again (`Session::nat`), e.g. for NAT keepalives.
                self.events.push_back(Event::EndpointsChanged {
                    local: self.local,
                    remote: self.remote,
                });
            }
            Pending::DeleteIke => self.finish(CloseReason::LocalClose),
            Pending::DeleteRetired(spi) => self.apply(now, After::DropRetired(spi)),
            Pending::DeleteChild(spi) => {
                if let Some(pos) = self.children.iter().position(|c| c.spi_in == spi) {
                    let c = self.children.remove(pos);
                    self.events.push_back(Event::ChildDown {
                        spi_in: c.spi_in,
                        spi_out: c.spi_out,
                    });
                }
            }
            Pending::RekeyChild(p) => {
                let old = p.req.rekey_of;
                if !self.finish_child_rekey(p, &payloads) {
                    if let Some(old) = old {
                        self.rekey_failed(now, Some(old), &payloads);
                    }
                }
            }
            Pending::RekeyIke(p) => {
                if !self.finish_ike_rekey(p, &payloads) {
                    self.rekey_failed(now, None, &payloads);
                }
            }
        }
    }
}

/// A retransmitted fragmented request is answered once, on its first fragment
/// (RFC 7383 2.6.1), not once per fragment.
fn is_later_fragment(data: &[u8]) -> bool {
    matches!(
        crate::message::Message::decode(data).ok().and_then(|m| m.payloads.last().cloned()),
        Some(Payload::EncryptedFragment(f)) if f.number != 1
    )
}

/// The IKE SA in `slot`, borrowing only the SA fields.
pub(super) fn slot_mut<'a>(
    sa: &'a mut Option<IkeSa>,
    retired: &'a mut [IkeSa],
    slot: Slot,
) -> Option<&'a mut IkeSa> {
    match slot {
        Slot::Current => sa.as_mut(),
        Slot::Retired(spi) => retired.iter_mut().find(|s| s.local_spi() == spi),
    }
}

impl Session {
    /// Makes `new` the current IKE SA and retires the old one, moving a request
    /// in flight on it along; returns the retired SA's SPI.
    pub(super) fn replace_current(&mut self, new: IkeSa) -> Option<[u8; 8]> {
        let old = self.sa.replace(new)?;
        let spi = old.local_spi();
        if let Some(o) = self.outstanding.as_mut().filter(|o| o.on == Slot::Current) {
            o.on = Slot::Retired(spi);
        }
        self.retire(old);
        Some(spi)
    }
}

impl Session {
    /// Keeps a replaced IKE SA until its deletion, or until it expires.
    pub(super) fn retire(&mut self, mut sa: IkeSa) {
        sa.retired_at = Some(self.clock);
        self.retired.push(sa);
    }
}

/// An unprotected response saying INVALID_IKE_SPI (RFC 7296 2.21.4).
fn forgotten(data: &[u8]) -> bool {
    crate::message::Message::decode(data)
        .is_ok_and(|m| find_notify(&m.payloads, NotifyType::INVALID_IKE_SPI).is_some())
}
