//! CREATE_CHILD_SA as responder and rekey completion for both roles: Child SA
//! rekeys (RFC 7296 1.3.3, 2.8), IKE SA rekeys (1.3.2, 2.18) and the
//! resolution of simultaneous rekeys (2.8.1, 2.8.2, 2.25).

use tracing::{debug, info, warn};

use super::auth::After;
use super::child::child_error;
use super::collision::RekeyRecord;
use super::exchange::{ke, nonce, slot_mut, RekeyChildPending, RekeyIkePending};
use super::init::{find_notify, notify, NONCE_LEN};
use super::sa::IkeSa;
use super::{Pending, Session, Slot, Task};
use crate::crypto::{derive_rekeyed_ike_sa_keys, DhGroup};
use crate::message::{KeyExchange, NotifyType, Payload, ProtocolId};
use crate::proposal::{accept_ike, select_ike};

impl Session {
    /// The peer rekeyed the IKE SA in `slot`; resolves a collision with our
    /// own rekey of the same SA (RFC 7296 2.8.2, 2.25.2).
    pub(super) fn peer_rekeyed_ike(&mut self, new: IkeSa, slot: Slot, ni: Vec<u8>, nr: Vec<u8>) {
        let Some(old_spi) = slot_mut(&mut self.sa, &mut self.retired, slot).map(|s| s.local_spi())
        else {
            return;
        };
        let theirs = RekeyRecord {
            old: old_spi,
            new: new.local_spi(),
            ni,
            nr,
            ours: false,
        };
        let ours_in_flight = self
            .outstanding
            .as_ref()
            .is_some_and(|o| o.on == slot && matches!(o.what, Pending::RekeyIke(_)));
        if ours_in_flight {
            // Keep the new SA aside until our own exchange tells which survives.
            debug!("IKE rekey collision: waiting for our own rekey to complete");
            self.ike_rekeys.record(theirs);
            self.retire(new);
            return;
        }
        match self.ike_rekeys.record(theirs.clone()) {
            Some(ours) if ours.is_redundant_against(&theirs) => {
                info!("IKE rekey collision: our new IKE SA has the lowest nonce; deleting it");
                if let Some(spi) = self.replace_current(new) {
                    self.tasks.retain(|t| *t != Task::DeleteRetired(old_spi));
                    self.tasks.push_back(Task::DeleteRetired(spi));
                }
                self.emit_ike_up(true);
            }
            Some(_) => {
                info!("IKE rekey collision: the peer's new IKE SA has the lowest nonce; the peer deletes it");
                self.retire(new);
            }
            None if slot == Slot::Current => {
                self.replace_current(new);
                self.emit_ike_up(true);
            }
            None => self.retire(new),
        }
    }

    /// Our rekey of the IKE SA `old_spi` completed with `new`.
    pub(super) fn our_ike_rekey_done(
        &mut self,
        new: IkeSa,
        old_spi: [u8; 8],
        ni: Vec<u8>,
        nr: Vec<u8>,
    ) {
        let ours = RekeyRecord {
            old: old_spi,
            new: new.local_spi(),
            ni,
            nr,
            ours: true,
        };
        match self.ike_rekeys.record(ours.clone()) {
            Some(theirs) => {
                let b = self
                    .retired
                    .iter()
                    .position(|s| s.local_spi() == theirs.new)
                    .map(|pos| self.retired.remove(pos));
                // The peer may already have deleted its redundant SA.
                let b = match b {
                    Some(b) if ours.is_redundant_against(&theirs) => b,
                    b => {
                        info!("IKE rekey collision: the peer's new IKE SA has the lowest nonce; the peer deletes it");
                        if let Some(b) = b {
                            self.retire(b);
                        }
                        self.replace_current(new);
                        self.tasks.push_front(Task::DeleteRetired(old_spi));
                        self.emit_ike_up(true);
                        return;
                    }
                };
                {
                    info!("IKE rekey collision: our new IKE SA has the lowest nonce; deleting it");
                    let a_spi = new.local_spi();
                    self.retire(new);
                    self.replace_current(b);
                    self.tasks.push_front(Task::DeleteRetired(a_spi));
                }
            }
            None => {
                self.replace_current(new);
                self.tasks.push_front(Task::DeleteRetired(old_spi));
            }
        }
        self.emit_ike_up(true);
    }

    pub(super) fn respond_create_child(
        &mut self,
        payloads: &[Payload],
        slot: Slot,
    ) -> (Vec<Payload>, After) {
        let Some(ni) = nonce(payloads) else {
            return (
                vec![notify(NotifyType::INVALID_SYNTAX, vec![])],
                After::Nothing,
            );
        };
        let ike_sa = payloads.iter().find_map(|p| match p {
            Payload::Sa(s) if s.iter().any(|p| p.protocol == ProtocolId::IKE) => Some(s.clone()),
            _ => None,
        });
        if let Some(proposals) = ike_sa {
            return self.respond_rekey_ike(payloads, &proposals, ni, slot);
        }
        let rekey = find_notify(payloads, NotifyType::REKEY_SA).cloned();
        let Some(rekey) = rekey else {
            // Additional Child SAs beyond the first are not offered.
            return (
                vec![notify(NotifyType::NO_ADDITIONAL_SAS, vec![])],
                After::Nothing,
            );
        };
        let old_out = <[u8; 4]>::try_from(rekey.spi.as_slice())
            .ok()
            .map(u32::from_be_bytes);
        let old = old_out
            .and_then(|s| self.children.iter().find(|c| c.spi_out == s))
            .map(|c| c.spi_in);
        let deleting = old.is_some_and(|o| {
            self.outstanding
                .as_ref()
                .is_some_and(|x| matches!(x.what, Pending::DeleteChild(d) if d == o))
        });
        if deleting {
            // RFC 7296 2.25.1: a rekey of a Child SA we are closing.
            return (
                vec![notify(NotifyType::TEMPORARY_FAILURE, vec![])],
                After::Nothing,
            );
        }
        let Some(old) = old else {
            let mut n = notify(NotifyType::CHILD_SA_NOT_FOUND, vec![]);
            if let Payload::Notify(x) = &mut n {
                x.protocol = ProtocolId::ESP;
                x.spi = rekey.spi.clone();
            }
            return (vec![n], After::Nothing);
        };
        let nr = self.random(NONCE_LEN);
        let before = self.children.len();
        let mut out = self.respond_child(payloads, &ni, &nr, None, false);
        if out.iter().any(|p| matches!(p, Payload::Sa(_))) {
            out.push(Payload::Nonce(nr.clone()));
        }
        if self.children.len() > before {
            let new = self.children[self.children.len() - 1].spi_in;
            self.peer_rekeyed_child(old, new, ni, nr);
        }
        (out, After::Nothing)
    }

    /// The peer rekeyed Child SA `old` into `new`; resolves a collision with
    /// our own rekey of it (RFC 7296 2.8.1, 2.25.1).
    fn peer_rekeyed_child(&mut self, old: u32, new: u32, ni: Vec<u8>, nr: Vec<u8>) {
        let theirs = RekeyRecord {
            old,
            new,
            ni,
            nr,
            ours: false,
        };
        let ours_in_flight = self
            .outstanding
            .as_ref()
            .is_some_and(|o| matches!(&o.what, Pending::RekeyChild(p) if p.old() == Some(old)));
        if ours_in_flight {
            debug!("Child SA rekey collision: waiting for our own rekey to complete");
            self.child_rekeys.record(theirs);
            return;
        }
        if let Some(ours) = self.child_rekeys.record(theirs.clone()) {
            if ours.is_redundant_against(&theirs) {
                info!("Child SA rekey collision: ours has the lowest nonce; deleting it");
                self.tasks.retain(|t| *t != Task::DeleteChild(old));
                self.tasks.push_back(Task::DeleteChild(ours.new));
            }
        }
    }

    /// Our rekey of Child SA `old` created `new`.
    pub(super) fn our_child_rekey_done(&mut self, old: u32, new: u32, ni: Vec<u8>, nr: Vec<u8>) {
        let ours = RekeyRecord {
            old,
            new,
            ni,
            nr,
            ours: true,
        };
        match self.child_rekeys.record(ours.clone()) {
            Some(theirs) if ours.is_redundant_against(&theirs) => {
                info!("Child SA rekey collision: ours has the lowest nonce; deleting it");
                self.tasks.push_front(Task::DeleteChild(new));
            }
            Some(_) => {
                info!("Child SA rekey collision: the peer's has the lowest nonce; the peer deletes it");
                self.tasks.push_front(Task::DeleteChild(old));
            }
            None => self.tasks.push_front(Task::DeleteChild(old)),
        }
    }

    fn respond_rekey_ike(
        &mut self,
        payloads: &[Payload],
        proposals: &[crate::message::Proposal],
        ni: Vec<u8>,
        slot: Slot,
    ) -> (Vec<Payload>, After) {
        // RFC 7296 2.25.2: a rekey of an IKE SA we are closing (we replaced it
        // with our own rekey and are deleting it) is refused for now.
        if let Slot::Retired(spi) = slot {
            let closing = self.tasks.contains(&Task::DeleteRetired(spi))
                || self
                    .outstanding
                    .as_ref()
                    .is_some_and(|o| matches!(o.what, Pending::DeleteRetired(s) if s == spi));
            if closing {
                return (
                    vec![notify(NotifyType::TEMPORARY_FAILURE, vec![])],
                    After::Nothing,
                );
            }
        }
        let Some(k) = ke(payloads).cloned() else {
            return (
                vec![notify(NotifyType::INVALID_SYNTAX, vec![])],
                After::Nothing,
            );
        };
        let spi_r = self.new_ike_spi();
        let Some((suite, reply)) = select_ike(
            &self.config.ike_proposals,
            proposals,
            DhGroup::from_id(k.group),
            spi_r.to_vec(),
        ) else {
            return (
                vec![notify(NotifyType::NO_PROPOSAL_CHOSEN, vec![])],
                After::Nothing,
            );
        };
        if suite.dh.id() != k.group {
            return (
                vec![notify(
                    NotifyType::INVALID_KE_PAYLOAD,
                    suite.dh.id().to_be_bytes().to_vec(),
                )],
                After::Nothing,
            );
        }
        let Some(spi_i) = proposals
            .iter()
            .find(|p| p.num == reply.num)
            .and_then(|p| <[u8; 8]>::try_from(p.spi.as_slice()).ok())
        else {
            return (
                vec![notify(NotifyType::INVALID_SYNTAX, vec![])],
                After::Nothing,
            );
        };
        let dh = self.new_dh(suite.dh);
        let Ok(g_ir) = dh.shared_secret(&k.data) else {
            return (
                vec![notify(NotifyType::INVALID_SYNTAX, vec![])],
                After::Nothing,
            );
        };
        let nr = self.random(NONCE_LEN);
        let Some(old) = slot_mut(&mut self.sa, &mut self.retired, slot) else {
            return (vec![], After::Nothing);
        };
        let keys = derive_rekeyed_ike_sa_keys(
            old.suite.prf,
            &old.keys.sk_d,
            &suite,
            &ni,
            &nr,
            &g_ir,
            &spi_i,
            &spi_r,
        );
        let Ok(new) = IkeSa::new(spi_i, spi_r, false, suite, keys) else {
            return (
                vec![notify(NotifyType::NO_PROPOSAL_CHOSEN, vec![])],
                After::Nothing,
            );
        };
        self.emit_ike_keylog(&new);
        info!(suite = %suite.name(), "IKE SA rekeyed by the peer");
        let out = vec![
            Payload::Sa(vec![reply]),
            Payload::Nonce(nr.clone()),
            Payload::Ke(KeyExchange {
                group: suite.dh.id(),
                data: dh.public_value(),
            }),
        ];
        (out, After::PeerRekeyedIke(Box::new(new), slot, ni, nr))
    }
}

impl RekeyChildPending {
    /// The Child SA being rekeyed.
    fn old(&self) -> Option<u32> {
        self.req.rekey_of
    }
}

impl Session {
    /// Completes our rekey of a Child SA from the peer's response; false
    /// when it was refused or unusable (the old SA stays).
    pub(super) fn finish_child_rekey(
        &mut self,
        p: RekeyChildPending,
        payloads: &[Payload],
    ) -> bool {
        if let Some(e) = child_error(payloads) {
            warn!(error = %e, "Child SA rekey refused; keeping the old SA");
            return false;
        }
        let Some(nr) = nonce(payloads) else {
            return false;
        };
        let g_ir = match (&p.req.dh, ke(payloads)) {
            (Some(dh), Some(k)) if k.group == dh.group().id() => match dh.shared_secret(&k.data) {
                Ok(g) => Some(g),
                Err(_) => return false,
            },
            (None, _) => None,
            _ => return false,
        };
        let old = p.req.rekey_of;
        let ni = p.req.nonce.clone().unwrap_or_default();
        match (
            self.finish_child_request(p.req, payloads, &ni, &nr, g_ir),
            old,
        ) {
            (Some(new), Some(old)) => {
                self.our_child_rekey_done(old, new, ni, nr);
                true
            }
            _ => false,
        }
    }

    /// Completes our rekey of the IKE SA from the peer's response; false
    /// when it was refused or unusable (the old SA stays).
    pub(super) fn finish_ike_rekey(&mut self, p: RekeyIkePending, payloads: &[Payload]) -> bool {
        if let Some(n) = payloads.iter().find_map(|x| match x {
            Payload::Notify(n) if n.kind.is_error() => Some(n.kind),
            _ => None,
        }) {
            warn!(error = ?n, "IKE SA rekey refused; keeping the old SA");
            return false;
        }
        let Some(old_spi) = self.sa.as_ref().map(|s| s.local_spi()) else {
            return false;
        };
        let Some((suite, spi_r)) = payloads.iter().find_map(|x| match x {
            Payload::Sa(s) => accept_ike(&self.config.ike_proposals, s),
            _ => None,
        }) else {
            warn!("IKE SA rekey: unacceptable proposal");
            return false;
        };
        let (Some(nr), Some(k)) = (nonce(payloads), ke(payloads)) else {
            return false;
        };
        let Ok(spi_r) = <[u8; 8]>::try_from(spi_r.as_slice()) else {
            return false;
        };
        if k.group != p.dh.group().id() || suite.dh != p.dh.group() {
            return false;
        }
        let Ok(g_ir) = p.dh.shared_secret(&k.data) else {
            return false;
        };
        let Some(old) = self.sa.as_ref() else {
            return false;
        };
        let keys = derive_rekeyed_ike_sa_keys(
            old.suite.prf,
            &old.keys.sk_d,
            &suite,
            &p.nonce,
            &nr,
            &g_ir,
            &p.spi,
            &spi_r,
        );
        let Ok(new) = IkeSa::new(p.spi, spi_r, true, suite, keys) else {
            return false;
        };
        self.emit_ike_keylog(&new);
        info!(suite = %suite.name(), "IKE SA rekeyed");
        self.our_ike_rekey_done(new, old_spi, p.nonce, nr);
        true
    }
}
