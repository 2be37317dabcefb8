//! AUTH payloads shared by both roles: our CERT/AUTH (PSK or signature) and
//! verification of the peer's (RFC 7296 2.15, RFC 7427).

use tracing::debug;

use super::{CloseReason, Event, IkeSaInfo, ResponderCtx, Session};
use crate::config::{LocalAuth, PeerAuth};
use crate::crypto::{psk_auth, psk_auth_verify, signed_octets};
use crate::identity::Identity;
use crate::message::{Auth, AuthMethod, Cert, ExchangeType, Payload};

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
    pub(crate) fn auth_data(&self, octets: &[u8]) -> Result<(Vec<Payload>, Auth), String> {
        self.auth_data_for(&self.config.local_auth, octets)
    }

    /// CERT payloads and AUTH payload over `octets` for one credential.
    pub(crate) fn auth_data_for(
        &self,
        local: &LocalAuth,
        octets: &[u8],
    ) -> Result<(Vec<Payload>, Auth), String> {
        let sa = self.sa.as_ref().ok_or("no IKE SA")?;
        match local {
            LocalAuth::Eap(_) => Err("an EAP round has no AUTH before its EAP conversation".into()),
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
                (None, LocalAuth::Certificate(_) | LocalAuth::Eap(_)) => None,
            },
        }
    }

    pub(crate) fn verify_peer_auth(
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

    pub(crate) fn emit_ike_up(&mut self, rekeyed: bool) {
        self.schedule_ike_rekey(self.clock);
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
