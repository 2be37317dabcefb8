//! Responder side of IKE_AUTH: signature/PSK and EAP rounds (RFC 7296 2.16,
//! RFC 4739, RFC 5998), with responses held back while the EAP server waits
//! (a push approval) and retransmissions of the held request ignored.

use std::net::SocketAddr;
use std::time::Instant;

use tracing::{debug, info, warn};

use super::auth::After;
use super::init::{find_notify, notify, HalfOpen};
use super::{CloseReason, ResponderCtx, Session, Slot, State};
use crate::config::PeerAuth;
use crate::crypto::{psk_auth, psk_auth_verify, signed_octets, RandomSource};
use crate::identity::Identity;
use crate::message::{Auth, AuthMethod, ExchangeType, Identification, NotifyType, Payload};
use ibex_eap::{ServerMethod, ServerStep};

/// The answer to a request: now, or later (held while the EAP server waits).
pub(crate) enum Reply {
    Now(Vec<Payload>, After),
    Deferred,
}

/// A request whose response is held back.
pub(crate) struct Deferred {
    pub slot: Slot,
    pub message_id: u32,
    pub exchange: ExchangeType,
    pub local: SocketAddr,
    pub remote: SocketAddr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// The next request carries an EAP response.
    Eap,
    /// The next request carries the peer's AUTH over the MSK.
    Auth,
    /// The next request starts another round with IDi.
    NextRound,
}

/// Where the responder is in the peer's authentication rounds.
pub(crate) struct ResponderAuth {
    half: HalfOpen,
    rounds: Vec<PeerAuth>,
    round: usize,
    /// The IDi payload of the current round (what the peer's AUTH covers).
    round_id: Identification,
    /// The first request (Child SA, configuration, MOBIKE) for the final response.
    first: Vec<Payload>,
    eap: Option<ibex_eap::Server>,
    msk: Option<ibex_eap::Secret>,
    stage: Stage,
}

/// `ibex_eap::Random` over the session's random source.
struct Rng<'a>(&'a mut (dyn RandomSource + Send));

impl ibex_eap::Random for Rng<'_> {
    fn fill(&mut self, buf: &mut [u8]) {
        self.0.fill(buf);
    }
}

fn fail(why: String) -> Reply {
    warn!(%why, "IKE_AUTH failed");
    Reply::Now(
        vec![notify(NotifyType::AUTHENTICATION_FAILED, vec![])],
        After::Close(CloseReason::AuthenticationFailed(why)),
    )
}

fn find_auth(payloads: &[Payload]) -> Option<Auth> {
    payloads.iter().find_map(|p| match p {
        Payload::Auth(a) => Some(a.clone()),
        _ => None,
    })
}

impl Session {
    /// Responder: processes an IKE_AUTH request.
    pub(crate) fn respond_auth(
        &mut self,
        payloads: &[Payload],
        ctx: Option<ResponderCtx<'_>>,
    ) -> Reply {
        if let Some(flow) = self.rauth.take() {
            return self.continue_auth(flow, payloads, ctx);
        }
        let Some(half) = self.half_open.take() else {
            return Reply::Now(
                vec![notify(NotifyType::INVALID_SYNTAX, vec![])],
                After::Close(CloseReason::Protocol("unexpected IKE_AUTH".into())),
            );
        };
        let Some(idi) = payloads.iter().find_map(|p| match p {
            Payload::IdI(i) => Some(i.clone()),
            _ => None,
        }) else {
            return fail("IKE_AUTH request without IDi".into());
        };
        if let Some(Payload::IdR(r)) = payloads.iter().find(|p| matches!(p, Payload::IdR(_))) {
            if Identity::from_payload(r) != self.config.local_id {
                return fail(format!(
                    "peer asked for identity '{}', we are '{}'",
                    Identity::from_payload(r),
                    self.config.local_id
                ));
            }
        }
        let peer = Identity::from_payload(&idi);
        let Some(entry) = ctx
            .as_ref()
            .and_then(|c| c.config.peers.iter().find(|p| p.id == peer))
        else {
            return fail(format!("no credentials are configured for peer '{peer}'"));
        };
        let mut rounds = vec![entry.auth.clone()];
        rounds.extend(entry.extra.iter().cloned());
        let another = find_notify(payloads, NotifyType::ANOTHER_AUTH_FOLLOWS).is_some();
        self.peer_id = Some(peer.clone());
        self.mobike =
            self.config.mobike && find_notify(payloads, NotifyType::MOBIKE_SUPPORTED).is_some();
        let mut flow = Box::new(ResponderAuth {
            half,
            rounds,
            round: 0,
            round_id: idi.clone(),
            first: payloads.to_vec(),
            eap: None,
            msk: None,
            stage: Stage::NextRound,
        });
        let auth = find_auth(payloads);
        match (&flow.rounds[0], auth) {
            (PeerAuth::Eap(methods), None) => {
                // RFC 5998 4: leave out our AUTH only for "safe" methods
                // (mutual, key-generating, resistant to dictionary attacks):
                // EAP-TLS. MSCHAPv2 falls to a dictionary attack.
                let eap_only = ctx.as_ref().is_some_and(|c| c.config.eap_only)
                    && find_notify(payloads, NotifyType::EAP_ONLY_AUTHENTICATION).is_some()
                    && methods.iter().all(|m| *m == ServerMethod::Tls);
                let methods = methods.clone();
                let mut out = vec![Payload::IdR(self.config.local_id.to_payload())];
                if !eap_only {
                    match self.our_auth(&flow) {
                        Ok(mut a) => out.append(&mut a),
                        Err(why) => return fail(why),
                    }
                }
                match self.start_eap(&mut flow, methods, ctx.as_ref()) {
                    Ok(step) => self.eap_reply(flow, step, out, ctx),
                    Err(why) => fail(why),
                }
            }
            (PeerAuth::Eap(_), Some(_)) => fail(format!(
                "'{peer}' must sign in with EAP, but sent an AUTH payload"
            )),
            (_, None) => fail(format!(
                "'{peer}' sent no AUTH payload, and is not configured for EAP"
            )),
            (_, Some(auth)) => {
                if let Err(why) = self.verify_peer_auth(
                    ctx.as_ref(),
                    &auth,
                    &idi,
                    payloads,
                    &flow.half.request,
                    &flow.half.nr,
                ) {
                    return fail(why);
                }
                if flow.rounds.len() > 1 && !another {
                    return fail(format!(
                        "'{peer}' must pass {} authentication rounds, but announced no further round (RFC 4739)",
                        flow.rounds.len()
                    ));
                }
                let mut out = vec![Payload::IdR(self.config.local_id.to_payload())];
                match self.our_auth(&flow) {
                    Ok(mut a) => out.append(&mut a),
                    Err(why) => return fail(why),
                }
                if flow.rounds.len() > 1 {
                    debug!(%peer, "first round passed; waiting for the next");
                    flow.stage = Stage::NextRound;
                    self.rauth = Some(flow);
                    return Reply::Now(out, After::Nothing);
                }
                self.establish(flow, out, ctx)
            }
        }
    }

    /// Our CERT and AUTH payloads over the responder's signed octets.
    fn our_auth(&self, flow: &ResponderAuth) -> Result<Vec<Payload>, String> {
        let sa = self.sa.as_ref().ok_or("no SA")?;
        let octets = signed_octets(
            sa.suite.prf,
            &flow.half.response,
            &flow.half.ni,
            &sa.keys.sk_pr,
            &self.config.local_id.to_payload().body(),
        );
        let (mut certs, auth) = self
            .auth_data(&octets)
            .map_err(|e| format!("cannot sign our AUTH payload: {e}"))?;
        certs.push(Payload::Auth(auth));
        Ok(certs)
    }

    fn start_eap(
        &mut self,
        flow: &mut ResponderAuth,
        methods: Vec<ServerMethod>,
        ctx: Option<&ResponderCtx<'_>>,
    ) -> Result<ServerStep, String> {
        let ctx = ctx.ok_or("no responder context")?;
        let dir = ctx
            .config
            .eap_directory
            .clone()
            .ok_or("EAP is configured for this user, but the gateway has no EAP directory")?;
        self.auth_deadline = self.clock + ctx.config.eap_step_timeout;
        let user = Identity::from_payload(&flow.round_id).to_string();
        let mut server = ibex_eap::Server::new(dir, user, methods, self.eap_binding());
        if let Some(tls) = &ctx.config.eap_tls {
            server = server.with_tls(tls.clone());
        }
        let step = server.start(&mut Rng(self.rng.as_mut()));
        flow.eap = Some(server);
        flow.msk = None;
        flow.stage = Stage::Eap;
        Ok(step)
    }

    /// Turns the EAP server's step into our response (or holds it back).
    fn eap_reply(
        &mut self,
        mut flow: Box<ResponderAuth>,
        step: ServerStep,
        mut out: Vec<Payload>,
        _ctx: Option<ResponderCtx<'_>>,
    ) -> Reply {
        match step {
            ServerStep::Request(p) => {
                out.push(Payload::Eap(p));
                self.rauth = Some(flow);
                Reply::Now(out, After::Nothing)
            }
            ServerStep::Pending => {
                self.rauth = Some(flow);
                Reply::Deferred
            }
            ServerStep::Success(p) => {
                flow.msk = flow
                    .eap
                    .as_ref()
                    .and_then(|s| s.msk())
                    .map(|m| ibex_eap::Secret::from_slice(m.expose()));
                flow.stage = Stage::Auth;
                out.push(Payload::Eap(p));
                self.rauth = Some(flow);
                Reply::Now(out, After::Nothing)
            }
            ServerStep::Failure(p, why) => {
                warn!(error = %why, "EAP authentication failed");
                out.push(Payload::Eap(p));
                Reply::Now(
                    out,
                    After::Close(CloseReason::AuthenticationFailed(format!("EAP: {why}"))),
                )
            }
            ServerStep::Discard(why) => fail(format!("unusable EAP message: {why}")),
        }
    }

    /// A later IKE_AUTH request of a multi-message authentication.
    fn continue_auth(
        &mut self,
        mut flow: Box<ResponderAuth>,
        payloads: &[Payload],
        ctx: Option<ResponderCtx<'_>>,
    ) -> Reply {
        self.auth_deadline = self.clock
            + ctx
                .as_ref()
                .map_or(super::HALF_OPEN_LIFETIME, |c| c.config.eap_step_timeout);
        match flow.stage {
            Stage::NextRound => {
                let Some(idi) = payloads.iter().find_map(|p| match p {
                    Payload::IdI(i) => Some(i.clone()),
                    _ => None,
                }) else {
                    return fail("the next authentication round did not start with IDi".into());
                };
                flow.round += 1;
                let Some(PeerAuth::Eap(methods)) = flow.rounds.get(flow.round).cloned() else {
                    return fail("only EAP rounds may follow the first round".into());
                };
                flow.round_id = idi;
                match self.start_eap(&mut flow, methods, ctx.as_ref()) {
                    Ok(step) => self.eap_reply(flow, step, vec![], ctx),
                    Err(why) => fail(why),
                }
            }
            Stage::Eap => {
                let Some(packet) = payloads.iter().find_map(|p| match p {
                    Payload::Eap(e) => Some(e.clone()),
                    _ => None,
                }) else {
                    return fail("expected an EAP message".into());
                };
                let Some(server) = flow.eap.as_mut() else {
                    return fail("no EAP conversation".into());
                };
                let step = server.handle(&packet, &mut Rng(self.rng.as_mut()));
                self.eap_reply(flow, step, vec![], ctx)
            }
            Stage::Auth => {
                let Some(auth) = find_auth(payloads) else {
                    return fail("expected the AUTH payload after EAP".into());
                };
                let Some(sa) = self.sa.as_ref() else {
                    return fail("no SA".into());
                };
                let prf = sa.suite.prf;
                let octets = signed_octets(
                    prf,
                    &flow.half.request,
                    &flow.half.nr,
                    &sa.keys.sk_pi,
                    &flow.round_id.body(),
                );
                let key_i = flow
                    .msk
                    .as_ref()
                    .map_or(sa.keys.sk_pi.expose(), |m| m.expose());
                if auth.method != AuthMethod::PSK
                    || !psk_auth_verify(prf, key_i, &octets, &auth.data)
                {
                    return fail(format!(
                        "'{}' sent a wrong AUTH after EAP",
                        Identity::from_payload(&flow.round_id)
                    ));
                }
                let ours = signed_octets(
                    prf,
                    &flow.half.response,
                    &flow.half.ni,
                    &sa.keys.sk_pr,
                    &self.config.local_id.to_payload().body(),
                );
                let key_r = flow
                    .msk
                    .as_ref()
                    .map_or(sa.keys.sk_pr.expose(), |m| m.expose());
                let out = vec![Payload::Auth(Auth {
                    method: AuthMethod::PSK,
                    data: psk_auth(prf, key_r, &ours),
                })];
                let another = find_notify(payloads, NotifyType::ANOTHER_AUTH_FOLLOWS).is_some();
                if flow.round + 1 < flow.rounds.len() {
                    if !another {
                        return fail(format!(
                            "the peer stopped after round {} of {}",
                            flow.round + 1,
                            flow.rounds.len()
                        ));
                    }
                    flow.stage = Stage::NextRound;
                    flow.eap = None;
                    self.rauth = Some(flow);
                    return Reply::Now(out, After::Nothing);
                }
                self.establish(flow, out, ctx)
            }
        }
    }

    /// The last round passed: the IKE SA is up; answer with the Child SA.
    fn establish(
        &mut self,
        flow: Box<ResponderAuth>,
        mut out: Vec<Payload>,
        mut ctx: Option<ResponderCtx<'_>>,
    ) -> Reply {
        if let Some(to) = ctx.as_mut().and_then(|c| self.auth_redirect_target(c)) {
            // RFC 5685 5: our AUTH and the REDIRECT, no Child SA; the SA ends.
            info!(peer = ?self.peer_id, %to, "redirecting the client (IKE_AUTH)");
            out.extend(super::redirect::redirect_notify(&to, &[]));
            return Reply::Now(out, After::Close(CloseReason::Redirected(to)));
        }
        self.state = State::Established;
        self.emit_ike_up(false);
        info!(peer = ?self.peer_id, rounds = flow.rounds.len(), "IKE SA established");
        let (ni, nr) = (flow.half.ni.clone(), flow.half.nr.clone());
        out.extend(self.respond_child(&flow.first, &ni, &nr, ctx.as_mut(), true));
        let lifetime = ctx.as_ref().and_then(|c| c.config.auth_lifetime);
        out.extend(self.announce_auth_lifetime(lifetime));
        if self.mobike {
            out.push(notify(NotifyType::MOBIKE_SUPPORTED, vec![]));
            out.extend(self.additional_address_payloads());
        }
        Reply::Now(out, After::Nothing)
    }

    /// Responder: re-checks a held IKE_AUTH response (push approval) and
    /// sends it once the EAP server has decided.
    pub(crate) fn resume(&mut self, now: Instant, ctx: Option<ResponderCtx<'_>>) {
        self.clock = self.clock.max(now);
        let Some(d) = self.deferred.take() else {
            return;
        };
        let Some(mut flow) = self.rauth.take() else {
            return;
        };
        let Some(server) = flow.eap.as_mut() else {
            return;
        };
        let step = server.poll(&mut Rng(self.rng.as_mut()));
        match self.eap_reply(flow, step, vec![], ctx) {
            Reply::Deferred => self.deferred = Some(d),
            Reply::Now(out, after) => {
                debug!(
                    message_id = d.message_id,
                    "sending the held IKE_AUTH response"
                );
                self.send_reply(now, &d, &out, after);
            }
        }
    }

    /// Whether a response is held back.
    pub fn has_deferred(&self) -> bool {
        self.deferred.is_some()
    }
}
