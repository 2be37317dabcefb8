//! Initiator side of IKE_AUTH: one or more authentication rounds (RFC 4739),
//! each a signature/PSK or an EAP conversation (RFC 7296 2.16, RFC 5998),
//! carrying the first Child SA.

use std::time::{Duration, Instant};

use tracing::{debug, info, warn};

use super::child::ChildRequest;
use super::init::{error_notify, find_notify, notify, InitTranscript};
use super::{CloseReason, Event, Pending, Session, Slot, State};
use crate::config::LocalAuth;
use crate::crypto::{psk_auth, psk_auth_verify, signed_octets, Secret};
use crate::identity::Identity;
use crate::message::{Auth, AuthMethod, ExchangeType, Identification, NotifyType, Payload};
use ibex_eap::{Answer, PeerStep};

/// Shortest time a request answered by a push approval is retransmitted.
const PUSH_MIN_WAIT: Duration = Duration::from_secs(90);

/// Where the initiator is in the authentication rounds.
pub(crate) struct InitiatorAuth {
    transcript: InitTranscript,
    child: Option<ChildRequest>,
    /// `[local_auth] + extra_auth`.
    rounds: Vec<LocalAuth>,
    round: usize,
    /// The IDi payload of the current round (what our AUTH covers).
    round_id: Identification,
    /// The gateway's AUTH has been verified.
    peer_verified: bool,
    /// The gateway identity from its first IDr.
    peer: Option<Identity>,
    /// That IDr payload (what the gateway's AUTH payloads cover).
    peer_idr: Option<Identification>,
    eap: Option<ibex_eap::Peer>,
    /// Waiting for the person's answer to an EAP prompt.
    prompting: bool,
    /// Our AUTH for the current EAP round is sent; its answer carries the gateway's.
    sent_eap_auth: bool,
    /// A push prompt is shown while the gateway holds its answer.
    waiting_push: bool,
}

impl Session {
    /// The EAP channel binding of this IKE SA:
    /// `prf(SK_pi, "Ibex EAP channel binding" | SPIi | SPIr)` (docs/eap.md).
    pub(crate) fn eap_binding(&self) -> Vec<u8> {
        let Some(sa) = self.sa.as_ref() else {
            return vec![];
        };
        let data = [b"Ibex EAP channel binding".as_slice(), &sa.spi_i, &sa.spi_r].concat();
        sa.suite
            .prf
            .compute(sa.keys.sk_pi.expose(), &data)
            .expose()
            .to_vec()
    }

    /// Initiator: sends the first IKE_AUTH request (message ID 1).
    pub(crate) fn start_auth(&mut self, now: Instant, transcript: InitTranscript) {
        let config = self.config.clone();
        let mut rounds = vec![config.local_auth.clone()];
        rounds.extend(config.extra_auth.iter().cloned());
        if rounds.len() > 1 && !self.multiple_auth {
            self.finish(CloseReason::AuthenticationFailed(
                "the profile needs several authentication rounds, but the gateway does not support them (RFC 4739)".into(),
            ));
            return;
        }
        let id = config.local_id.to_payload();
        let child = self.new_child_request(true);
        let mut payloads = vec![Payload::IdI(id.clone())];
        let mut flow = InitiatorAuth {
            transcript,
            child: None,
            rounds,
            round: 0,
            round_id: id,
            peer_verified: false,
            peer: None,
            peer_idr: None,
            eap: None,
            prompting: false,
            sent_eap_auth: false,
            waiting_push: false,
        };
        let eap_round = matches!(flow.rounds[0], LocalAuth::Eap(_));
        let auth = if eap_round {
            None
        } else {
            match self.round_auth(&flow) {
                Ok(a) => Some(a),
                Err(why) => {
                    self.finish(CloseReason::AuthenticationFailed(format!(
                        "cannot sign our AUTH payload: {why}"
                    )));
                    return;
                }
            }
        };
        if let Some((certs, _)) = &auth {
            payloads.extend(certs.iter().cloned());
        }
        payloads.extend(super::init::certreqs(config.peer_auth.as_ref()));
        if self.initial_contact {
            payloads.push(notify(NotifyType::INITIAL_CONTACT, vec![]));
        }
        if let Some(r) = &config.remote_id {
            payloads.push(Payload::IdR(r.to_payload()));
        }
        if let Some((_, a)) = auth {
            payloads.push(Payload::Auth(a));
            if flow.rounds.len() > 1 {
                payloads.push(notify(NotifyType::ANOTHER_AUTH_FOLLOWS, vec![]));
            }
        }
        payloads.extend(child.payloads(&config, true));
        flow.child = Some(child);
        if config.mobike {
            payloads.push(notify(NotifyType::MOBIKE_SUPPORTED, vec![]));
        }
        if eap_round && config.eap_only {
            payloads.push(notify(NotifyType::EAP_ONLY_AUTHENTICATION, vec![]));
        }
        if let LocalAuth::Eap(c) = &flow.rounds[0] {
            flow.eap = Some(ibex_eap::Peer::new(c.clone(), self.eap_binding()));
        }
        self.iauth = Some(Box::new(flow));
        self.auth_request(now, &payloads, None);
    }

    /// Our CERT payloads and AUTH for a signature/PSK round.
    fn round_auth(&self, flow: &InitiatorAuth) -> Result<(Vec<Payload>, Auth), String> {
        let sa = self.sa.as_ref().ok_or("no IKE SA")?;
        let octets = signed_octets(
            sa.suite.prf,
            &flow.transcript.request,
            &flow.transcript.nr,
            &sa.keys.sk_pi,
            &flow.round_id.body(),
        );
        self.auth_data_for(&flow.rounds[flow.round], &octets)
    }

    /// Sends one IKE_AUTH request; `give_up_at` stretches retransmission
    /// while a person approves a push.
    fn auth_request(&mut self, now: Instant, payloads: &[Payload], give_up_at: Option<Instant>) {
        let packets = self.protect_request(ExchangeType::IKE_AUTH, false, payloads);
        let Some(sa) = self.sa.as_mut() else { return };
        let id = sa.next_request_id;
        sa.next_request_id += 1;
        self.send_request(
            now,
            ExchangeType::IKE_AUTH,
            id,
            Slot::Current,
            packets,
            Pending::Auth,
        );
        if let Some(o) = self.outstanding.as_mut() {
            o.give_up_at = give_up_at;
        }
    }

    /// Initiator: the person's answer to the last EAP prompt.
    pub(crate) fn answer_prompt(&mut self, now: Instant, answer: Answer) {
        let Some(mut flow) = self.iauth.take() else {
            return;
        };
        if !flow.prompting {
            self.iauth = Some(flow);
            return;
        }
        flow.prompting = false;
        let Some(peer) = flow.eap.as_mut() else {
            self.iauth = Some(flow);
            return;
        };
        let step = peer.answer(answer);
        self.events.push_back(Event::PromptClosed);
        self.eap_step(now, flow, step);
    }

    /// Acts on what the EAP peer said.
    fn eap_step(&mut self, now: Instant, mut flow: Box<InitiatorAuth>, step: PeerStep) {
        match step {
            PeerStep::Respond(packet) => {
                self.iauth = Some(flow);
                self.auth_request(now, &[Payload::Eap(packet)], None);
            }
            PeerStep::Prompt(prompt) => {
                debug!(kind = ?prompt.kind, "EAP asks the person");
                flow.prompting = true;
                self.iauth = Some(flow);
                self.events.push_back(Event::Prompt(prompt));
            }
            PeerStep::Wait { response, prompt } => {
                let wait = prompt.timeout.unwrap_or_default() + Duration::from_secs(15);
                let until = now + wait.max(PUSH_MIN_WAIT);
                info!(kind = ?prompt.kind, "waiting for approval on another device");
                flow.waiting_push = true;
                self.iauth = Some(flow);
                self.auth_request(now, &[Payload::Eap(response)], Some(until));
                self.events.push_back(Event::Prompt(prompt));
            }
            PeerStep::Success => {
                let method = flow.eap.as_ref().and_then(|p| p.method());
                let msk = flow.eap.as_ref().and_then(|p| p.msk().cloned());
                debug!(?method, msk = msk.is_some(), "EAP succeeded");
                let Some(sa) = self.sa.as_ref() else { return };
                let key = msk
                    .as_ref()
                    .map(|m| Secret::from_slice(m.expose()))
                    .unwrap_or_else(|| sa.keys.sk_pi.clone());
                let octets = signed_octets(
                    sa.suite.prf,
                    &flow.transcript.request,
                    &flow.transcript.nr,
                    &sa.keys.sk_pi,
                    &flow.round_id.body(),
                );
                let auth = Auth {
                    method: AuthMethod::PSK,
                    data: psk_auth(sa.suite.prf, key.expose(), &octets),
                };
                let mut payloads = vec![Payload::Auth(auth)];
                if flow.round + 1 < flow.rounds.len() {
                    payloads.push(notify(NotifyType::ANOTHER_AUTH_FOLLOWS, vec![]));
                }
                flow.sent_eap_auth = true;
                self.iauth = Some(flow);
                self.auth_request(now, &payloads, None);
            }
            PeerStep::Failure(f) => {
                warn!(error = %f, "EAP failed");
                self.finish(CloseReason::Eap(f));
            }
            PeerStep::Discard(why) => {
                // The exchange needs an answer from us: a broken EAP message
                // from the gateway ends the attempt.
                self.finish(CloseReason::Protocol(format!(
                    "the gateway sent an unusable EAP message: {why}"
                )));
            }
        }
    }

    /// Initiator: processes an IKE_AUTH response.
    pub(crate) fn auth_response(&mut self, now: Instant, payloads: Vec<Payload>) {
        let Some(mut flow) = self.iauth.take() else {
            return;
        };
        if std::mem::take(&mut flow.waiting_push) {
            self.events.push_back(Event::PromptClosed);
        }
        if let Some(n) = error_notify(&payloads) {
            let reason = if n.kind == NotifyType::AUTHENTICATION_FAILED {
                CloseReason::AuthenticationFailed(
                    "the gateway rejected our credentials (check our identity, pre-shared key or certificate)".into(),
                )
            } else {
                CloseReason::PeerError(format!("{:?} in IKE_AUTH", n.kind))
            };
            self.finish(reason);
            return;
        }
        if flow.peer.is_none() {
            // The answer to our first request: the gateway's identity and,
            // unless it uses EAP-only authentication, its AUTH.
            let Some(idr) = payloads.iter().find_map(|p| match p {
                Payload::IdR(i) => Some(i.clone()),
                _ => None,
            }) else {
                self.finish(CloseReason::Protocol(
                    "IKE_AUTH response without IDr".into(),
                ));
                return;
            };
            let peer = Identity::from_payload(&idr);
            if let Some(expected) = &self.config.remote_id {
                if expected != &peer {
                    self.refuse_peer_auth(format!(
                        "the gateway identified as '{peer}', expected '{expected}'"
                    ));
                    return;
                }
            }
            flow.peer = Some(peer.clone());
            self.peer_id = Some(peer);
            self.mobike = self.config.mobike
                && find_notify(&payloads, NotifyType::MOBIKE_SUPPORTED).is_some();
            match payloads.iter().find_map(|p| match p {
                Payload::Auth(a) => Some(a.clone()),
                _ => None,
            }) {
                Some(auth) => {
                    if let Err(why) = self.verify_peer_auth(
                        None,
                        &auth,
                        &idr,
                        &payloads,
                        &flow.transcript.response,
                        &flow.transcript.ni,
                    ) {
                        warn!(%why, "gateway authentication failed");
                        self.refuse_peer_auth(why);
                        return;
                    }
                    flow.peer_verified = true;
                    flow.peer_idr = Some(idr);
                }
                None => {
                    // RFC 5998: only when we offered EAP-only; the gateway
                    // must then prove itself with the MSK AUTH at the end.
                    let eap_only =
                        self.config.eap_only && matches!(flow.rounds[0], LocalAuth::Eap(_));
                    if !eap_only {
                        self.refuse_peer_auth(
                            "the gateway did not authenticate itself (no AUTH payload)".into(),
                        );
                        return;
                    }
                    flow.peer_idr = Some(idr);
                }
            }
        }
        let eap = payloads.iter().find_map(|p| match p {
            Payload::Eap(e) => Some(e.clone()),
            _ => None,
        });
        let auth = payloads.iter().find_map(|p| match p {
            Payload::Auth(a) => Some(a.clone()),
            _ => None,
        });
        let in_eap = matches!(flow.rounds[flow.round], LocalAuth::Eap(_));
        if in_eap && !flow.sent_eap_auth {
            let Some(packet) = eap else {
                self.finish(CloseReason::Protocol(
                    "the gateway sent no EAP message in an EAP round".into(),
                ));
                return;
            };
            let Some(peer) = flow.eap.as_mut() else {
                return;
            };
            let step = peer.handle(&packet);
            self.eap_step(now, flow, step);
            return;
        }
        if in_eap {
            // The answer to our MSK AUTH: the gateway's MSK AUTH.
            let Some(auth) = auth else {
                self.refuse_peer_auth("the gateway sent no AUTH after EAP".into());
                return;
            };
            let msk = flow.eap.as_ref().and_then(|p| p.msk().cloned());
            if !self.verify_eap_auth(&flow, msk.as_ref(), &auth) {
                self.refuse_peer_auth(
                    "the gateway's AUTH after EAP is wrong: it does not share our EAP keys (possible impostor)".into(),
                );
                return;
            }
            // RFC 5998 4: only a safe method (EAP-TLS: mutual, key
            // generating, no dictionary attack) may stand in for the
            // gateway's own AUTH.
            let safe = flow
                .eap
                .as_ref()
                .and_then(|p| p.method())
                .is_some_and(|m| m == ibex_eap::MethodType::TLS);
            if msk.is_some() && safe {
                flow.peer_verified = true;
            }
        }
        if flow.round + 1 < flow.rounds.len() {
            self.next_round(now, flow);
            return;
        }
        if !flow.peer_verified {
            self.refuse_peer_auth(
                "the gateway was never authenticated: EAP-only needs a method that proves the gateway's identity".into(),
            );
            return;
        }
        // RFC 5685 5: an authenticated gateway sends us elsewhere.
        if let Some(to) = self.auth_redirect(&payloads) {
            self.redirected(to);
            return;
        }
        self.state = State::Established;
        self.last_heard = now;
        self.note_auth_lifetime(now, &payloads);
        if self.mobike {
            self.note_peer_addresses(&payloads);
        }
        self.emit_ike_up(false);
        info!(peer = ?self.peer_id, rounds = flow.rounds.len(), "IKE SA established");
        let (ni, nr) = (flow.transcript.ni.clone(), flow.transcript.nr.clone());
        if let Some(child) = flow.child.take() {
            self.finish_child_request(child, &payloads, &ni, &nr, None);
        }
    }

    /// The gateway's authentication failed (RFC 7296 2.21.2): tell it with
    /// AUTHENTICATION_FAILED in a new INFORMATIONAL request (sent once, not
    /// awaited) and end the session.
    fn refuse_peer_auth(&mut self, why: String) {
        let at = self.fragment_at();
        if let Some(sa) = self.sa.as_mut() {
            let id = sa.next_request_id;
            sa.next_request_id = id.wrapping_add(1);
            let packets = sa.protect(
                self.rng.as_mut(),
                ExchangeType::INFORMATIONAL,
                false,
                id,
                &[notify(NotifyType::AUTHENTICATION_FAILED, vec![])],
                at,
            );
            for data in packets {
                self.transmits.push_back(super::Transmit {
                    local: self.local,
                    remote: self.remote,
                    data,
                });
            }
        }
        self.finish(CloseReason::AuthenticationFailed(why));
    }

    /// Checks the gateway's AUTH at the end of an EAP round.
    fn verify_eap_auth(
        &self,
        flow: &InitiatorAuth,
        msk: Option<&ibex_eap::Secret>,
        auth: &Auth,
    ) -> bool {
        let Some(sa) = self.sa.as_ref() else {
            return false;
        };
        let Some(idr) = flow.peer_idr.as_ref() else {
            return false;
        };
        if auth.method != AuthMethod::PSK {
            return false;
        }
        let key: &[u8] = match msk {
            Some(m) => m.expose(),
            None => sa.keys.sk_pr.expose(),
        };
        let octets = signed_octets(
            sa.suite.prf,
            &flow.transcript.response,
            &flow.transcript.ni,
            &sa.keys.sk_pr,
            &idr.body(),
        );
        psk_auth_verify(sa.suite.prf, key, &octets, &auth.data)
    }

    /// Starts the next authentication round (RFC 4739): IDi alone, then EAP.
    fn next_round(&mut self, now: Instant, mut flow: Box<InitiatorAuth>) {
        flow.round += 1;
        flow.sent_eap_auth = false;
        let LocalAuth::Eap(c) = flow.rounds[flow.round].clone() else {
            self.finish(CloseReason::AuthenticationFailed(
                "only EAP rounds may follow the first authentication round".into(),
            ));
            return;
        };
        let id = Identity::parse(&c.identity).to_payload();
        flow.round_id = id.clone();
        flow.eap = Some(ibex_eap::Peer::new(c, self.eap_binding()));
        debug!(round = flow.round + 1, "next authentication round");
        self.iauth = Some(flow);
        self.auth_request(now, &[Payload::IdI(id)], None);
    }
}
