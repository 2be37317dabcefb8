//! Gateway redirection (RFC 5685) in a session, both roles.
//!
//! An initiator that follows redirects says so in IKE_SA_INIT
//! (REDIRECT_SUPPORTED, or REDIRECTED_FROM when it was sent here). A REDIRECT
//! can then arrive in three places:
//! - the IKE_SA_INIT response: unauthenticated, so it only counts when it
//!   carries our nonce; the session ends with [`CloseReason::Redirected`];
//! - the last IKE_AUTH response, after the gateway's AUTH was verified: the
//!   session ends the same way, with no Child SA;
//! - an INFORMATIONAL request on the established SA: we answer it and emit
//!   [`Event::Redirect`]; the caller builds the new IKE SA beside this one.
//!
//! A responder redirects only peers that said they follow, by policy
//! ([`crate::RedirectPolicy`]) or on command ([`Session::redirect`]). A
//! client that acknowledged a REDIRECT of its established SA but is still
//! here [`LEAVE_GRACE`] later (it never deleted the old SA) is dropped: the
//! gateway deletes the IKE SA, as a drain for maintenance must end.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::{debug, info, warn};

use super::init::{find_notify, notify};
use super::{CloseReason, Event, ResponderCtx, Role, Session, State, Task};
use crate::config::{Config, RedirectPhase, RedirectPolicy};
use crate::crypto::RandomSource;
use crate::message::{
    decode_redirected_from, encode_redirected_from, GatewayId, Notify, NotifyType, Payload,
    Redirect,
};

/// What a session knows about redirection.
#[derive(Clone, Debug, Default)]
pub(crate) struct RedirectState {
    /// Initiator: the gateway that sent us here (sent as REDIRECTED_FROM).
    /// Responder: the gateway the peer says sent it here.
    pub from: Option<GatewayId>,
    /// Responder: the peer follows redirects.
    pub peer_follows: bool,
    /// Responder: the redirected peer must have left by then.
    pub leave_by: Option<Instant>,
}

/// How long a redirected client may take to sign in at the new gateway
/// (prompts included) and delete its SA here.
pub const LEAVE_GRACE: Duration = Duration::from_secs(300);

impl RedirectPolicy {
    /// The next gateway in turn, if any.
    pub(crate) fn pick(&self, turn: &mut usize) -> Option<GatewayId> {
        if self.gateways.is_empty() {
            return None;
        }
        let gw = self.gateways[*turn % self.gateways.len()].clone();
        *turn = turn.wrapping_add(1);
        Some(gw)
    }

    /// Whether a new peer is redirected in `phase`.
    pub(crate) fn applies(&self, phase: RedirectPhase, supports: bool, from: bool) -> bool {
        self.during == phase && supports && (!from || self.redirected_clients)
    }
}

/// The REDIRECT notification for `to` (with `nonce` in IKE_SA_INIT).
pub(crate) fn redirect_notify(to: &GatewayId, nonce: &[u8]) -> Option<Payload> {
    let data = Redirect {
        gateway: to.clone(),
        nonce: nonce.to_vec(),
    }
    .encode()
    .ok()?;
    Some(notify(NotifyType::REDIRECT, data))
}

/// Whether an IKE_SA_INIT request says the peer follows redirects, and the
/// gateway it says it was sent from.
pub(crate) fn peer_support(payloads: &[Payload]) -> (bool, Option<GatewayId>) {
    let from = find_notify(payloads, NotifyType::REDIRECTED_FROM)
        .and_then(|n| decode_redirected_from(&n.data).ok());
    let supports =
        from.is_some() || find_notify(payloads, NotifyType::REDIRECT_SUPPORTED).is_some();
    (supports, from)
}

impl Session {
    /// Initiator: starts signing in to a gateway another one redirected us
    /// to (`from`, sent as REDIRECTED_FROM). Its IKE_SA_INIT request is
    /// ready in `poll_transmit`.
    pub fn initiate_redirected(
        config: Arc<Config>,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        rng: Box<dyn RandomSource + Send>,
        from: GatewayId,
    ) -> Session {
        let mut s = Session::new_initiator(config, now, local, remote, rng, true);
        s.redirect.from = Some(from);
        s.start_init(now, None, None);
        s
    }

    /// Responder: asks the established peer to move to `to` (RFC 5685 6),
    /// e.g. to drain this gateway. False when the peer does not follow
    /// redirects or the SA is not established.
    pub fn redirect(&mut self, now: Instant, to: GatewayId) -> bool {
        if self.role != Role::Responder
            || self.state != State::Established
            || !self.redirect.peer_follows
        {
            return false;
        }
        info!(peer = ?self.peer_id, %to, "redirecting the client");
        self.queue(now, Task::Redirect(to));
        true
    }

    /// Responder: the client acknowledged the REDIRECT of its SA; it has
    /// [`LEAVE_GRACE`] to go.
    pub(crate) fn redirect_acknowledged(&mut self, now: Instant) {
        debug!(peer = ?self.peer_id, "the client acknowledged the redirect");
        self.redirect.leave_by = Some(now + LEAVE_GRACE);
    }

    /// Responder: when the redirected client must have left.
    pub(crate) fn redirect_deadline(&self) -> Option<Instant> {
        self.redirect
            .leave_by
            .filter(|_| self.state == State::Established)
    }

    /// Responder: deletes the IKE SA of a redirected client that stayed
    /// past its grace.
    pub(crate) fn redirect_timeout(&mut self, now: Instant) {
        if self.redirect_deadline().is_some_and(|t| now >= t) {
            self.redirect.leave_by = None;
            info!(peer = ?self.peer_id, "the redirected client did not leave; deleting its IKE SA");
            self.close(now);
        }
    }

    /// Initiator: REDIRECT_SUPPORTED or REDIRECTED_FROM for IKE_SA_INIT.
    pub(crate) fn redirect_support(&self) -> Option<Payload> {
        if !self.config.follow_redirects {
            return None;
        }
        Some(match &self.redirect.from {
            Some(from) => notify(
                NotifyType::REDIRECTED_FROM,
                encode_redirected_from(from).ok()?,
            ),
            None => notify(NotifyType::REDIRECT_SUPPORTED, vec![]),
        })
    }

    /// Initiator: where a REDIRECT in the IKE_SA_INIT response sends us.
    /// It is unauthenticated: it counts only when it echoes our nonce `ni`
    /// (RFC 5685 4); anything else is ignored like any forged response.
    pub(crate) fn init_redirect(&self, n: &Notify, ni: &[u8]) -> Option<GatewayId> {
        if !self.config.follow_redirects {
            debug!("ignoring a REDIRECT: redirects are turned off");
            return None;
        }
        match Redirect::decode(&n.data) {
            Ok(r) if r.nonce == ni => Some(r.gateway),
            Ok(_) => {
                warn!("ignoring a REDIRECT that does not carry our nonce (forged?)");
                None
            }
            Err(e) => {
                warn!(error = %e, "ignoring a malformed REDIRECT");
                None
            }
        }
    }

    /// Initiator: a REDIRECT in the final, verified IKE_AUTH response.
    pub(crate) fn auth_redirect(&self, payloads: &[Payload]) -> Option<GatewayId> {
        let n = find_notify(payloads, NotifyType::REDIRECT)?;
        if !self.config.follow_redirects {
            return None;
        }
        match Redirect::decode(&n.data) {
            Ok(r) => Some(r.gateway),
            Err(e) => {
                warn!(error = %e, "ignoring a malformed REDIRECT in IKE_AUTH");
                None
            }
        }
    }

    /// Initiator: a REDIRECT in an INFORMATIONAL request of the established
    /// SA (RFC 5685 6): announced to the caller, which moves us.
    pub(crate) fn informational_redirect(&mut self, payloads: &[Payload]) {
        if self.role != Role::Initiator || self.state != State::Established {
            return;
        }
        if let Some(gw) = self.auth_redirect(payloads) {
            info!(to = %gw, "the gateway redirects this connection");
            self.events.push_back(Event::Redirect(gw));
        }
    }

    /// Responder: records what the IKE_SA_INIT request said about redirects.
    pub(crate) fn note_peer_redirect(&mut self, payloads: &[Payload]) {
        let (supports, from) = peer_support(payloads);
        self.redirect.peer_follows = supports;
        if let Some(f) = &from {
            debug!(from = %f, "the client was redirected here");
        }
        self.redirect.from = from;
    }

    /// Responder, last IKE_AUTH response: the gateway to send this
    /// authenticated peer to, when the policy says so.
    pub(crate) fn auth_redirect_target(&self, ctx: &mut ResponderCtx<'_>) -> Option<GatewayId> {
        let policy = ctx.config.redirect.as_ref()?;
        if !policy.applies(
            RedirectPhase::Auth,
            self.redirect.peer_follows,
            self.redirect.from.is_some(),
        ) {
            return None;
        }
        policy.pick(ctx.redirect_turn)
    }

    /// The close reason of a session a gateway redirected.
    pub(crate) fn redirected(&mut self, to: GatewayId) {
        info!(%to, "the gateway redirects us");
        self.finish(CloseReason::Redirected(to));
    }
}
