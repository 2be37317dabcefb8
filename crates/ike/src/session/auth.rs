//! IKE_AUTH with pre-shared keys for both roles (RFC 7296 1.2, 2.15), carrying
//! the first Child SA and the configuration payload.

use std::time::Instant;

use tracing::{debug, info, warn};

use super::child::ChildRequest;
use super::init::{error_notify, find_notify, notify, InitTranscript};
use super::{CloseReason, Event, IkeSaInfo, Pending, ResponderCtx, Session, State};
use crate::config::{LocalAuth, PeerAuth};
use crate::crypto::{psk_auth, psk_auth_verify, signed_octets};
use crate::identity::Identity;
use crate::message::{Auth, AuthMethod, Cert, ExchangeType, NotifyType, Payload};

/// Initiator state while IKE_AUTH is outstanding.
pub(crate) struct AuthPending {
    transcript: InitTranscript,
    child: ChildRequest,
}

/// What to do after a response has been sent.
pub(crate) enum After {
    Nothing,
    Close(CloseReason),
    /// A new IKE SA from the peer's rekey of the SA in the slot (with the
    /// exchange's nonces): becomes current unless it collides with ours.
    PeerRekeyedIke(Box<super::sa::IkeSa>, super::Slot, Vec<u8>, Vec<u8>),
    /// The peer deleted this retired IKE SA.
    DropRetired([u8; 8]),
    /// The peer deleted the current SA after its own rekey: adopt its new SA
    /// (kept aside by our SPI) as current.
    AdoptPeerRekey([u8; 8]),
}

impl Session {
    /// Our CERT payloads (leaf first) and AUTH payload over `octets`.
    fn auth_data(&self, octets: &[u8]) -> Result<(Vec<Payload>, Auth), String> {
        let sa = self.sa.as_ref().ok_or("no IKE SA")?;
        match &self.config.local_auth {
            LocalAuth::Psk(psk) => Ok((
                vec![],
                Auth {
                    method: AuthMethod::PSK,
                    data: psk_auth(sa.suite.prf, psk.expose(), octets),
                },
            )),
            LocalAuth::Certificate(cred) => {
                let certs = cred
                    .chain()
                    .iter()
                    .map(|der| {
                        Payload::Cert(Cert {
                            encoding: 4,
                            data: der.clone(),
                        })
                    })
                    .collect();
                // RFC 7427 needs the peer's SIGNATURE_HASH_ALGORITHMS; ECDSA keys
                // fall back to RFC 4754 without it.
                let auth = if self.peer_hashes.is_empty() {
                    match cred.sign_ecdsa_rfc4754(octets) {
                        Ok((method, data)) => Auth {
                            method: AuthMethod(method),
                            data,
                        },
                        Err(_) => Auth {
                            method: AuthMethod::DIGITAL_SIGNATURE,
                            data: cred
                                .sign_digital_signature(octets, &[])
                                .map_err(|e| e.to_string())?,
                        },
                    }
                } else {
                    Auth {
                        method: AuthMethod::DIGITAL_SIGNATURE,
                        data: cred
                            .sign_digital_signature(octets, &self.peer_hashes)
                            .map_err(|e| e.to_string())?,
                    }
                };
                Ok((certs, auth))
            }
        }
    }

    /// Initiator: sends IKE_AUTH (message ID 1).
    pub(crate) fn start_auth(&mut self, now: Instant, transcript: InitTranscript) {
        let config = self.config.clone();
        let Some(sa) = self.sa.as_ref() else { return };
        let id = config.local_id.to_payload();
        let octets = signed_octets(
            sa.suite.prf,
            &transcript.request,
            &transcript.nr,
            &sa.keys.sk_pi,
            &id.body(),
        );
        let (certs, auth) = match self.auth_data(&octets) {
            Ok(a) => a,
            Err(why) => {
                self.finish(CloseReason::AuthenticationFailed(format!(
                    "cannot sign our AUTH payload: {why}"
                )));
                return;
            }
        };
        let child = self.new_child_request(true);
        let mut payloads = vec![Payload::IdI(id)];
        payloads.extend(certs);
        payloads.extend(super::init::certreqs(config.peer_auth.as_ref()));
        payloads.push(notify(NotifyType::INITIAL_CONTACT, vec![]));
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
        self.send_request(
            now,
            ExchangeType::IKE_AUTH,
            id,
            super::Slot::Current,
            packets,
            Pending::Auth(AuthPending { transcript, child }),
        );
    }

    /// How the peer with this identity must authenticate.
    fn peer_policy(&self, ctx: Option<&ResponderCtx<'_>>, peer: &Identity) -> Option<PeerAuth> {
        match ctx {
            Some(ctx) => ctx
                .config
                .peers
                .iter()
                .find(|p| &p.id == peer)
                .map(|p| p.auth.clone()),
            None => match (&self.config.peer_auth, &self.config.local_auth) {
                (Some(a), _) => Some(a.clone()),
                (None, LocalAuth::Psk(k)) => Some(PeerAuth::Psk(k.clone())),
                (None, LocalAuth::Certificate(_)) => None,
            },
        }
    }

    fn verify_peer_auth(
        &self,
        ctx: Option<&ResponderCtx<'_>>,
        auth: &Auth,
        peer: &crate::message::Identification,
        payloads: &[Payload],
        signed: &[u8],
        peer_nonce: &[u8],
    ) -> Result<(), String> {
        let sa = self.sa.as_ref().ok_or("no SA")?;
        let id = Identity::from_payload(peer);
        let sk_p = if sa.initiator {
            &sa.keys.sk_pr
        } else {
            &sa.keys.sk_pi
        };
        let octets = signed_octets(sa.suite.prf, signed, peer_nonce, sk_p, &peer.body());
        let policy = self
            .peer_policy(ctx, &id)
            .ok_or_else(|| format!("no credentials are configured for peer '{id}'"))?;
        match (policy, auth.method) {
            (PeerAuth::Psk(psk), AuthMethod::PSK) => {
                if psk_auth_verify(sa.suite.prf, psk.expose(), &octets, &auth.data) {
                    Ok(())
                } else {
                    Err(format!("'{id}' sent a wrong pre-shared key AUTH"))
                }
            }
            (PeerAuth::Certificate(anchors), m) if m != AuthMethod::PSK => {
                let mut certs = payloads.iter().filter_map(|p| match p {
                    Payload::Cert(c) if c.encoding == 4 => Some(c.data.clone()),
                    _ => None,
                });
                let leaf = certs
                    .next()
                    .ok_or_else(|| format!("'{id}' sent no X.509 certificate"))?;
                let intermediates: Vec<Vec<u8>> = certs.take(16).collect();
                let time = self.config.validation_time.unwrap_or_else(unix_now);
                let key = anchors
                    .verify_peer(&leaf, &intermediates, peer.id_type, &peer.data, time)
                    .map_err(|e| e.to_string())?;
                key.verify(m.0, &auth.data, &octets)
                    .map_err(|e| format!("'{id}': {e}"))?;
                debug!(peer = %id, key = %key.algorithm(), "certificate authentication verified");
                Ok(())
            }
            (_, m) => Err(format!(
                "'{id}' used authentication method {m:?}, which this connection does not accept"
            )),
        }
    }

    /// Initiator: processes the IKE_AUTH response.
    pub(crate) fn auth_response(
        &mut self,
        now: Instant,
        pending: AuthPending,
        payloads: Vec<Payload>,
    ) {
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
                Some(n) if n.kind == NotifyType::AUTHENTICATION_FAILED => CloseReason::AuthenticationFailed("the gateway rejected our credentials (check our identity, pre-shared key or certificate)".into()),
                Some(n) => CloseReason::PeerError(format!("{:?} in IKE_AUTH", n.kind)),
                None => CloseReason::Protocol("IKE_AUTH response without IDr/AUTH".into()),
            };
            self.finish(reason);
            return;
        };
        let peer = Identity::from_payload(&idr);
        if let Some(expected) = &self.config.remote_id {
            if expected != &peer {
                self.finish(CloseReason::AuthenticationFailed(format!(
                    "the gateway identified as '{peer}', expected '{expected}'"
                )));
                return;
            }
        }
        if let Err(why) = self.verify_peer_auth(
            None,
            &auth,
            &idr,
            &payloads,
            &pending.transcript.response,
            &pending.transcript.ni,
        ) {
            warn!(%why, "gateway authentication failed");
            self.finish(CloseReason::AuthenticationFailed(why));
            return;
        }
        self.state = State::Established;
        self.last_heard = now;
        self.peer_id = Some(peer.clone());
        self.mobike =
            self.config.mobike && find_notify(&payloads, NotifyType::MOBIKE_SUPPORTED).is_some();
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
        self.events.push_back(if rekeyed {
            Event::IkeRekeyed(info)
        } else {
            Event::IkeUp(info)
        });
    }

    /// Responder: processes IKE_AUTH; returns the response payloads.
    pub(crate) fn respond_auth(
        &mut self,
        payloads: &[Payload],
        mut ctx: Option<ResponderCtx<'_>>,
    ) -> (Vec<Payload>, After) {
        let Some(half) = self.half_open.take() else {
            return (
                vec![notify(NotifyType::INVALID_SYNTAX, vec![])],
                After::Close(CloseReason::Protocol("unexpected IKE_AUTH".into())),
            );
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
            (
                vec![notify(NotifyType::AUTHENTICATION_FAILED, vec![])],
                After::Close(CloseReason::AuthenticationFailed(why)),
            )
        };
        let (Some(idi), Some(auth)) = (idi, auth) else {
            return fail("IKE_AUTH request without IDi or AUTH (EAP is not enabled)".into());
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
        if let Err(why) =
            self.verify_peer_auth(ctx.as_ref(), &auth, &idi, payloads, &half.request, &half.nr)
        {
            return fail(why);
        }
        let peer = Identity::from_payload(&idi);
        let Some(sa) = self.sa.as_ref() else {
            return fail("no SA".into());
        };
        let id = self.config.local_id.to_payload();
        let octets = signed_octets(
            sa.suite.prf,
            &half.response,
            &half.ni,
            &sa.keys.sk_pr,
            &id.body(),
        );
        let (certs, my_auth) = match self.auth_data(&octets) {
            Ok(a) => a,
            Err(why) => return fail(format!("cannot sign our AUTH payload: {why}")),
        };
        self.peer_id = Some(peer.clone());
        self.state = State::Established;
        self.mobike =
            self.config.mobike && find_notify(payloads, NotifyType::MOBIKE_SUPPORTED).is_some();
        self.emit_ike_up(false);
        info!(%peer, "IKE SA established");
        let mut out = vec![Payload::IdR(id)];
        out.extend(certs);
        out.push(Payload::Auth(my_auth));
        out.extend(self.respond_child(payloads, &half.ni, &half.nr, ctx.as_mut(), true));
        if self.mobike {
            out.push(notify(NotifyType::MOBIKE_SUPPORTED, vec![]));
        }
        (out, After::Nothing)
    }

    /// Builds a protected request or response (fragmented when needed).
    pub(crate) fn protect_request(
        &mut self,
        exchange: ExchangeType,
        response: bool,
        payloads: &[Payload],
    ) -> Vec<Vec<u8>> {
        let at = self.fragment_at();
        let Some(sa) = self.sa.as_mut() else {
            return vec![];
        };
        let id = if response {
            sa.next_peer_id
        } else {
            sa.next_request_id
        };
        sa.protect(self.rng.as_mut(), exchange, response, id, payloads, at)
    }
}

/// Seconds since the UNIX epoch, for certificate validity checks.
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
