//! IKE_AUTH with pre-shared keys for both roles (RFC 7296 1.2, 2.15), carrying
//! the first Child SA and the configuration payload.

use std::time::Instant;

use tracing::{info, warn};

use super::child::ChildRequest;
use super::init::{error_notify, find_notify, notify, InitTranscript};
use super::{CloseReason, Event, IkeSaInfo, Pending, ResponderCtx, Session, State};
use crate::config::{LocalAuth, PeerAuth};
use crate::crypto::{psk_auth, psk_auth_verify, signed_octets, Secret};
use crate::identity::Identity;
use crate::message::{Auth, AuthMethod, ExchangeType, NotifyType, Payload};

/// Initiator state while IKE_AUTH is outstanding.
pub(crate) struct AuthPending {
    transcript: InitTranscript,
    child: ChildRequest,
}

/// What to do after a response has been sent.
pub(crate) enum After {
    Nothing,
    Close(CloseReason),
    /// The rekeyed IKE SA replaced by the new one.
    SwapIke(Box<super::sa::IkeSa>),
    /// The old IKE SA was deleted by the peer.
    DropOld,
}


impl Session {
    fn auth_data(&self, octets: &[u8]) -> Option<Auth> {
        let sa = self.sa.as_ref()?;
        match &self.config.local_auth {
            LocalAuth::Psk(psk) => Some(Auth { method: AuthMethod::PSK, data: psk_auth(sa.suite.prf, psk.expose(), octets) }),
        }
    }

    /// Initiator: sends IKE_AUTH (message ID 1).
    pub(crate) fn start_auth(&mut self, now: Instant, transcript: InitTranscript) {
        let config = self.config.clone();
        let Some(sa) = self.sa.as_ref() else { return };
        let id = config.local_id.to_payload();
        let octets = signed_octets(sa.suite.prf, &transcript.request, &transcript.nr, &sa.keys.sk_pi, &id.body());
        let Some(auth) = self.auth_data(&octets) else { return };
        let child = self.new_child_request(true);
        let mut payloads = vec![Payload::IdI(id), notify(NotifyType::INITIAL_CONTACT, vec![])];
        if let Some(r) = &config.remote_id {
            payloads.push(Payload::IdR(r.to_payload()));
        }
        payloads.push(Payload::Auth(auth));
        payloads.extend(child.payloads(&config, true));
        if config.mobike {
            payloads.push(notify(NotifyType::MOBIKE_SUPPORTED, vec![]));
        }
        let packets = self.protect_request(ExchangeType::IKE_AUTH, false, &payloads);
        let Some(sa) = self.sa.as_mut() else { return };
        let id = sa.next_request_id;
        sa.next_request_id += 1;
        self.send_request(now, ExchangeType::IKE_AUTH, id, false, packets, Pending::Auth(AuthPending { transcript, child }));
    }

    fn peer_psk(&self, ctx: Option<&ResponderCtx<'_>>, peer: &Identity) -> Option<Secret> {
        match ctx {
            Some(ctx) => ctx.config.peers.iter().find(|p| &p.id == peer).map(|p| match &p.auth {
                PeerAuth::Psk(k) => k.clone(),
            }),
            None => match (&self.config.peer_auth, &self.config.local_auth) {
                (Some(PeerAuth::Psk(k)), _) => Some(k.clone()),
                (None, LocalAuth::Psk(k)) => Some(k.clone()),
            },
        }
    }

    fn verify_peer_auth(&self, ctx: Option<&ResponderCtx<'_>>, auth: &Auth, peer: &crate::message::Identification, signed: &[u8], peer_nonce: &[u8]) -> Result<(), String> {
        let sa = self.sa.as_ref().ok_or("no SA")?;
        let id = Identity::from_payload(peer);
        let sk_p = if sa.initiator { &sa.keys.sk_pr } else { &sa.keys.sk_pi };
        let octets = signed_octets(sa.suite.prf, signed, peer_nonce, sk_p, &peer.body());
        match auth.method {
            AuthMethod::PSK => {
                let psk = self.peer_psk(ctx, &id).ok_or_else(|| format!("no pre-shared key for '{id}'"))?;
                if psk_auth_verify(sa.suite.prf, psk.expose(), &octets, &auth.data) {
                    Ok(())
                } else {
                    Err(format!("'{id}' sent a wrong pre-shared key AUTH"))
                }
            }
            m => Err(format!("'{id}' used authentication method {m:?}, which this connection does not accept")),
        }
    }

    /// Initiator: processes the IKE_AUTH response.
    pub(crate) fn auth_response(&mut self, now: Instant, pending: AuthPending, payloads: Vec<Payload>) {
        let idr = payloads.iter().find_map(|p| match p {
            Payload::IdR(i) => Some(i.clone()),
            _ => None,
        });
        let auth = payloads.iter().find_map(|p| match p {
            Payload::Auth(a) => Some(a.clone()),
            _ => None,
        });
        let (Some(idr), Some(auth)) = (idr, auth) else {
            let reason = match error_notify(&payloads) {
                Some(n) if n.kind == NotifyType::AUTHENTICATION_FAILED => CloseReason::AuthenticationFailed("the gateway rejected our credentials (check the identity and the pre-shared key)".into()),
                Some(n) => CloseReason::PeerError(format!("{:?} in IKE_AUTH", n.kind)),
                None => CloseReason::Protocol("IKE_AUTH response without IDr/AUTH".into()),
            };
            self.finish(reason);
            return;
        };
        let peer = Identity::from_payload(&idr);
        if let Some(expected) = &self.config.remote_id {
            if expected != &peer {
                self.finish(CloseReason::AuthenticationFailed(format!("the gateway identified as '{peer}', expected '{expected}'")));
                return;
            }
        }
        if let Err(why) = self.verify_peer_auth(None, &auth, &idr, &pending.transcript.response, &pending.transcript.ni) {
            warn!(%why, "gateway authentication failed");
            self.finish(CloseReason::AuthenticationFailed(why));
            return;
        }
        self.state = State::Established;
        self.last_heard = now;
        self.peer_id = Some(peer.clone());
        self.mobike = self.config.mobike && find_notify(&payloads, NotifyType::MOBIKE_SUPPORTED).is_some();
        self.emit_ike_up(false);
        info!(%peer, "IKE SA established");
        let (ni, nr) = (pending.transcript.ni, pending.transcript.nr);
        self.finish_child_request(pending.child, &payloads, &ni, &nr, None);
    }

    pub(crate) fn emit_ike_up(&mut self, rekeyed: bool) {
        let Some(sa) = self.sa.as_ref() else { return };
        let info = IkeSaInfo {
            spi_i: sa.spi_i,
            spi_r: sa.spi_r,
            suite: sa.suite,
            peer_id: self.peer_id.clone().unwrap_or_else(|| Identity::parse("")),
            nat_local: self.nat_local,
            nat_remote: self.nat_remote,
            mobike: self.mobike,
            fragmentation: self.fragmentation,
        };
        self.events.push_back(if rekeyed { Event::IkeRekeyed(info) } else { Event::IkeUp(info) });
    }

    /// Responder: processes IKE_AUTH; returns the response payloads.
    pub(crate) fn respond_auth(&mut self, payloads: &[Payload], mut ctx: Option<ResponderCtx<'_>>) -> (Vec<Payload>, After) {
        let Some(half) = self.half_open.take() else {
            return (vec![notify(NotifyType::INVALID_SYNTAX, vec![])], After::Close(CloseReason::Protocol("unexpected IKE_AUTH".into())));
        };
        let idi = payloads.iter().find_map(|p| match p {
            Payload::IdI(i) => Some(i.clone()),
            _ => None,
        });
        let auth = payloads.iter().find_map(|p| match p {
            Payload::Auth(a) => Some(a.clone()),
            _ => None,
        });
        let fail = |why: String| {
            warn!(%why, "IKE_AUTH failed");
            (vec![notify(NotifyType::AUTHENTICATION_FAILED, vec![])], After::Close(CloseReason::AuthenticationFailed(why)))
        };
        let (Some(idi), Some(auth)) = (idi, auth) else {
            return fail("IKE_AUTH request without IDi or AUTH (EAP is not enabled)".into());
        };
        if let Some(Payload::IdR(r)) = payloads.iter().find(|p| matches!(p, Payload::IdR(_))) {
            if Identity::from_payload(r) != self.config.local_id {
                return fail(format!("peer asked for identity '{}', we are '{}'", Identity::from_payload(r), self.config.local_id));
            }
        }
        if let Err(why) = self.verify_peer_auth(ctx.as_ref(), &auth, &idi, &half.request, &half.nr) {
            return fail(why);
        }
        let peer = Identity::from_payload(&idi);
        let Some(sa) = self.sa.as_ref() else { return fail("no SA".into()) };
        let id = self.config.local_id.to_payload();
        let octets = signed_octets(sa.suite.prf, &half.response, &half.ni, &sa.keys.sk_pr, &id.body());
        let Some(my_auth) = self.auth_data(&octets) else { return fail("no credential".into()) };
        self.peer_id = Some(peer.clone());
        self.state = State::Established;
        self.mobike = self.config.mobike && find_notify(payloads, NotifyType::MOBIKE_SUPPORTED).is_some();
        self.emit_ike_up(false);
        info!(%peer, "IKE SA established");
        let mut out = vec![Payload::IdR(id), Payload::Auth(my_auth)];
        out.extend(self.respond_child(payloads, &half.ni, &half.nr, ctx.as_mut(), true));
        if self.mobike {
            out.push(notify(NotifyType::MOBIKE_SUPPORTED, vec![]));
        }
        (out, After::Nothing)
    }

    /// Builds a protected request or response (fragmented when needed).
    pub(crate) fn protect_request(&mut self, exchange: ExchangeType, response: bool, payloads: &[Payload]) -> Vec<Vec<u8>> {
        let at = self.fragment_at();
        let Some(sa) = self.sa.as_mut() else { return vec![] };
        let id = if response { sa.next_peer_id } else { sa.next_request_id };
        sa.protect(self.rng.as_mut(), exchange, response, id, payloads, at)
    }
}
