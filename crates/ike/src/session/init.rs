//! IKE_SA_INIT for both roles (RFC 7296 1.2, 2.6 cookies, INVALID_KE_PAYLOAD,
//! 2.23 NAT detection, RFC 7383 fragmentation negotiation).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use tracing::{debug, info, warn};

use super::sa::IkeSa;
use super::{natd, CloseReason, Event, Pending, ResponderCtx, Role, Session, State};
use crate::config::Config;
use crate::crypto::{derive_ike_sa_keys, DhGroup, DhPrivate, IkeSuite, RandomSource};
use crate::message::{
    ExchangeType, Flags, Header, KeyExchange, Message, Notify, NotifyType, Payload, PayloadType,
    ProtocolId,
};
use crate::proposal::{accept_ike, select_ike};

/// Nonce length we send (RFC 7296 2.10: at least half the PRF key size, 16..256).
pub(crate) const NONCE_LEN: usize = 32;

/// Initiator state while IKE_SA_INIT is outstanding.
pub(crate) struct InitPending {
    dh: DhPrivate,
    ni: Vec<u8>,
    request: Vec<u8>,
    cookie: Option<Vec<u8>>,
    /// INVALID_KE_PAYLOAD retries done (at most one per group).
    ke_retries: u8,
}

/// Responder state between IKE_SA_INIT and IKE_AUTH.
pub(crate) struct HalfOpen {
    pub request: Vec<u8>,
    pub response: Vec<u8>,
    pub ni: Vec<u8>,
    pub nr: Vec<u8>,
}

/// Data the AUTH payloads sign (RFC 7296 2.15).
pub(crate) struct InitTranscript {
    pub request: Vec<u8>,
    pub response: Vec<u8>,
    pub ni: Vec<u8>,
    pub nr: Vec<u8>,
}

pub(crate) fn notify(kind: NotifyType, data: Vec<u8>) -> Payload {
    Payload::Notify(Notify {
        protocol: ProtocolId(0),
        spi: vec![],
        kind,
        data,
    })
}

pub(crate) fn find_notify(payloads: &[Payload], kind: NotifyType) -> Option<&Notify> {
    payloads.iter().find_map(|p| match p {
        Payload::Notify(n) if n.kind == kind => Some(n),
        _ => None,
    })
}

/// The first error notification, if any.
pub(crate) fn error_notify(payloads: &[Payload]) -> Option<&Notify> {
    payloads.iter().find_map(|p| match p {
        Payload::Notify(n) if n.kind.is_error() => Some(n),
        _ => None,
    })
}

pub(crate) fn unsupported_critical(payloads: &[Payload]) -> Option<PayloadType> {
    payloads.iter().find_map(|p| match p {
        Payload::Unknown {
            kind,
            critical: true,
            ..
        } => Some(*kind),
        _ => None,
    })
}

fn nonce_of(payloads: &[Payload]) -> Option<&Vec<u8>> {
    payloads.iter().find_map(|p| match p {
        Payload::Nonce(n) if (16..=256).contains(&n.len()) => Some(n),
        _ => None,
    })
}

fn ke_of(payloads: &[Payload]) -> Option<&KeyExchange> {
    payloads.iter().find_map(|p| match p {
        Payload::Ke(k) => Some(k),
        _ => None,
    })
}

fn sa_of(payloads: &[Payload]) -> Option<&Vec<crate::message::Proposal>> {
    payloads.iter().find_map(|p| match p {
        Payload::Sa(s) => Some(s),
        _ => None,
    })
}

/// The signature hash algorithms we support for RFC 7427.
fn signature_hashes() -> Vec<u8> {
    crate::auth::SUPPORTED_HASHES
        .iter()
        .flat_map(|h| h.to_be_bytes())
        .collect()
}

/// The peer's SIGNATURE_HASH_ALGORITHMS list.
fn peer_hashes(payloads: &[Payload]) -> Vec<u16> {
    find_notify(payloads, NotifyType::SIGNATURE_HASH_ALGORITHMS)
        .map(|n| {
            n.data
                .chunks_exact(2)
                .take(32)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect()
        })
        .unwrap_or_default()
}

/// CERTREQ payloads for the CAs we accept from the peer, if certificates are used.
pub(crate) fn certreqs(peer_auth: Option<&crate::config::PeerAuth>) -> Option<Payload> {
    match peer_auth {
        Some(crate::config::PeerAuth::Certificate(anchors)) => {
            Some(Payload::CertReq(crate::message::CertReq {
                encoding: 4,
                data: anchors.certreq_data(),
            }))
        }
        _ => None,
    }
}

fn natd_payloads(
    spi_i: &[u8; 8],
    spi_r: &[u8; 8],
    local: SocketAddr,
    remote: SocketAddr,
    fake_src: Option<Vec<u8>>,
) -> [Payload; 2] {
    let src = fake_src.unwrap_or_else(|| natd::hash(spi_i, spi_r, local));
    [
        notify(NotifyType::NAT_DETECTION_SOURCE_IP, src),
        notify(
            NotifyType::NAT_DETECTION_DESTINATION_IP,
            natd::hash(spi_i, spi_r, remote),
        ),
    ]
}

/// NAT detection on received NAT-D notifies: (we are behind NAT, peer is behind NAT).
pub(crate) fn detect_nat(
    payloads: &[Payload],
    spi_i: &[u8; 8],
    spi_r: &[u8; 8],
    local: SocketAddr,
    remote: SocketAddr,
) -> Option<(bool, bool)> {
    let srcs: Vec<&Vec<u8>> = payloads
        .iter()
        .filter_map(|p| match p {
            Payload::Notify(n) if n.kind == NotifyType::NAT_DETECTION_SOURCE_IP => Some(&n.data),
            _ => None,
        })
        .collect();
    let dst = find_notify(payloads, NotifyType::NAT_DETECTION_DESTINATION_IP)?;
    if srcs.is_empty() {
        return None;
    }
    let nat_local = dst.data != natd::hash(spi_i, spi_r, local);
    let remote_hash = natd::hash(spi_i, spi_r, remote);
    let nat_remote = !srcs.iter().any(|s| **s == remote_hash);
    Some((nat_local, nat_remote))
}

impl Session {
    /// Initiator: sends (or re-sends with a cookie / another group) IKE_SA_INIT.
    pub(crate) fn start_init(
        &mut self,
        now: Instant,
        cookie: Option<Vec<u8>>,
        retry: Option<(DhGroup, u8, Vec<u8>)>,
    ) {
        let config = self.config.clone();
        let (dh, ni, ke_retries) = match retry {
            Some((group, n, ni)) => (self.new_dh(group), ni, n),
            None => {
                let group = config
                    .ike_proposals
                    .first()
                    .and_then(|p| p.dh.first())
                    .copied()
                    .unwrap_or(DhGroup::Curve25519);
                let dh = self.new_dh(group);
                (dh, self.random(NONCE_LEN), 0)
            }
        };
        let spi_i = self.init_spi_i;
        let mut payloads = Vec::new();
        if let Some(c) = &cookie {
            payloads.push(notify(NotifyType::COOKIE, c.clone()));
        }
        let proposals = config
            .ike_proposals
            .iter()
            .enumerate()
            .map(|(i, p)| p.to_proposal(i as u8 + 1, vec![]))
            .collect();
        payloads.push(Payload::Sa(proposals));
        payloads.push(Payload::Ke(KeyExchange {
            group: dh.group().id(),
            data: dh.public_value(),
        }));
        payloads.push(Payload::Nonce(ni.clone()));
        let fake = config.force_encap.then(|| self.random(20));
        payloads.extend(natd_payloads(
            &spi_i,
            &[0; 8],
            self.local,
            self.remote,
            fake,
        ));
        if config.fragment_mtu.is_some() {
            payloads.push(notify(NotifyType::IKEV2_FRAGMENTATION_SUPPORTED, vec![]));
        }
        payloads.push(notify(
            NotifyType::SIGNATURE_HASH_ALGORITHMS,
            signature_hashes(),
        ));
        payloads.push(notify(NotifyType::MULTIPLE_AUTH_SUPPORTED, vec![]));
        payloads.extend(self.redirect_support());
        let msg = Message {
            header: Header {
                spi_i,
                spi_r: [0; 8],
                next_payload: PayloadType::NONE,
                version: 0x20,
                exchange: ExchangeType::IKE_SA_INIT,
                flags: Flags::INITIATOR,
                message_id: 0,
                length: 0,
            },
            payloads,
        };
        let request = msg.encode();
        debug!(
            group = dh.group().name(),
            cookie = cookie.is_some(),
            "sending IKE_SA_INIT request"
        );
        self.send_request(
            now,
            ExchangeType::IKE_SA_INIT,
            0,
            super::Slot::Current,
            vec![request.clone()],
            Pending::Init(InitPending {
                dh,
                ni,
                request,
                cookie,
                ke_retries,
            }),
        );
    }

    pub(super) fn handle_init(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        header: &Header,
        data: &[u8],
        ctx: Option<ResponderCtx<'_>>,
    ) {
        match self.role {
            Role::Initiator => self.init_response(now, header, data),
            Role::Responder => {
                if header.flags.is_response() || header.message_id != 0 {
                    return;
                }
                if let Some(h) = &self.half_open {
                    if h.request == data {
                        debug!("retransmitted IKE_SA_INIT: resending our response");
                        let resp = h.response.clone();
                        self.transmits.push_back(super::Transmit {
                            local,
                            remote,
                            data: resp,
                        });
                    }
                }
                let _ = ctx;
            }
        }
    }

    fn init_response(&mut self, now: Instant, header: &Header, data: &[u8]) {
        if !header.flags.is_response()
            || header.message_id != 0
            || header.spi_i != self.init_spi_i
            || self.state != State::Init
        {
            return;
        }
        if !matches!(
            self.outstanding.as_ref().map(|o| &o.what),
            Some(Pending::Init(_))
        ) {
            return;
        }
        let msg = match Message::decode(data) {
            Ok(m) => m,
            Err(e) => {
                debug!(error = %e, "dropping malformed IKE_SA_INIT response");
                return;
            }
        };
        // RFC 5685 4: the gateway sends us elsewhere before keeping state.
        if let Some(n) = find_notify(&msg.payloads, NotifyType::REDIRECT) {
            let Some(Pending::Init(pending)) = self.outstanding.as_ref().map(|o| &o.what) else {
                return;
            };
            if let Some(to) = self.init_redirect(n, &pending.ni) {
                self.redirected(to);
            }
            return;
        }
        let Some(super::Outstanding {
            what: Pending::Init(pending),
            ..
        }) = self.outstanding.take()
        else {
            return;
        };
        let p = &msg.payloads;
        if let Some(c) = find_notify(p, NotifyType::COOKIE) {
            if c.data.is_empty()
                || c.data.len() > 64
                || pending.cookie.is_some()
                    && pending.cookie.as_ref() == Some(&c.data)
                    && pending.ke_retries > 4
            {
                self.finish(CloseReason::Protocol("invalid COOKIE".into()));
                return;
            }
            debug!("responder asked for a cookie (RFC 7296 2.6)");
            let group = pending.dh.group();
            let retries = pending.ke_retries;
            self.start_init(
                now,
                Some(c.data.clone()),
                Some((group, retries, pending.ni)),
            );
            return;
        }
        if let Some(n) = find_notify(p, NotifyType::INVALID_KE_PAYLOAD) {
            let wanted = <[u8; 2]>::try_from(n.data.as_slice())
                .ok()
                .map(u16::from_be_bytes)
                .and_then(DhGroup::from_id);
            let offered = wanted.is_some_and(|g| {
                self.config
                    .ike_proposals
                    .iter()
                    .any(|pr| pr.dh.contains(&g))
            });
            match wanted {
                Some(g) if offered && g != pending.dh.group() && pending.ke_retries < 3 => {
                    info!(
                        group = g.name(),
                        "responder wants another DH group; retrying"
                    );
                    self.start_init(
                        now,
                        pending.cookie,
                        Some((g, pending.ke_retries + 1, pending.ni)),
                    );
                }
                _ => self.finish(CloseReason::NoProposalChosen),
            }
            return;
        }
        if let Some(n) = error_notify(p) {
            if n.kind == NotifyType::NO_PROPOSAL_CHOSEN {
                self.finish(CloseReason::NoProposalChosen);
            } else {
                self.finish(CloseReason::PeerError(format!(
                    "{:?} in IKE_SA_INIT",
                    n.kind
                )));
            }
            return;
        }
        if let Some(kind) = unsupported_critical(p) {
            self.finish(CloseReason::Protocol(format!(
                "unsupported critical payload {kind:?}"
            )));
            return;
        }
        let fail = |s: &mut Session, why: &str| {
            s.finish(CloseReason::Protocol(format!(
                "IKE_SA_INIT response: {why}"
            )))
        };
        if header.spi_r == [0; 8] {
            return fail(self, "zero responder SPI");
        }
        let Some((suite, _)) = sa_of(p).and_then(|sa| accept_ike(&self.config.ike_proposals, sa))
        else {
            return fail(self, "the chosen proposal is not one we offered");
        };
        let (Some(ke), Some(nr)) = (ke_of(p), nonce_of(p)) else {
            return fail(self, "missing KE or nonce");
        };
        if ke.group != suite.dh.id() || suite.dh != pending.dh.group() {
            return fail(self, "KE group differs from the chosen group");
        }
        let g_ir = match pending.dh.shared_secret(&ke.data) {
            Ok(s) => s,
            Err(e) => return fail(self, &format!("bad KE: {e}")),
        };
        let nr = nr.clone();
        let spi_r = header.spi_r;
        let keys = derive_ike_sa_keys(&suite, &pending.ni, &nr, &g_ir, &self.init_spi_i, &spi_r);
        let mut sa = match IkeSa::new(self.init_spi_i, spi_r, true, suite, keys) {
            Ok(sa) => sa,
            Err(e) => return fail(self, &format!("keys: {e}")),
        };
        sa.next_request_id = 1;
        if let Some((nat_local, nat_remote)) =
            detect_nat(p, &self.init_spi_i, &spi_r, self.local, self.remote)
        {
            self.nat_local = nat_local || self.config.force_encap;
            self.nat_remote = nat_remote;
        } else if self.config.force_encap {
            warn!("peer sent no NAT detection; cannot force UDP encapsulation");
        }
        self.fragmentation = self.config.fragment_mtu.is_some()
            && find_notify(p, NotifyType::IKEV2_FRAGMENTATION_SUPPORTED).is_some();
        self.peer_hashes = peer_hashes(p);
        self.multiple_auth = find_notify(p, NotifyType::MULTIPLE_AUTH_SUPPORTED).is_some();
        self.emit_ike_keylog(&sa);
        self.sa = Some(sa);
        // RFC 3947/7296 2.23 on NAT; RFC 4555 3.3: with MOBIKE offered, IKE_AUTH
        // already moves to 4500 so a later NAT on a new path needs no port change.
        if (self.nat_local || self.nat_remote || self.config.mobike) && self.remote.port() == 500 {
            self.local.set_port(4500);
            self.remote.set_port(4500);
            debug!(local = %self.local, remote = %self.remote, "moving IKE to port 4500");
            self.events.push_back(Event::EndpointsChanged {
                local: self.local,
                remote: self.remote,
            });
        }
        info!(suite = %suite.name(), nat_local = self.nat_local, nat_remote = self.nat_remote, "IKE_SA_INIT done");
        self.state = State::Auth;
        let transcript = super::init::InitTranscript {
            request: pending.request,
            response: data.to_vec(),
            ni: pending.ni,
            nr,
        };
        self.start_auth(now, transcript);
    }

    pub(crate) fn emit_ike_keylog(&mut self, sa: &IkeSa) {
        if self.config.keylog {
            match crate::keylog::ike_line(
                &sa.spi_i,
                &sa.spi_r,
                sa.suite.encr,
                sa.suite.integ,
                &sa.keys,
            ) {
                Some(line) => self.events.push_back(Event::KeyLog(line)),
                None => debug!(
                    encr = sa.suite.encr.name(),
                    "Wireshark cannot decrypt this IKE cipher: no key-log line"
                ),
            }
        }
    }

    /// Responder: creates a session from an IKE_SA_INIT request. Returns the
    /// session (possibly already closed, with its answer queued).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn accept(
        ca_requests: Option<Payload>,
        config: Arc<Config>,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        mut rng: Box<dyn RandomSource + Send>,
        header: &Header,
        msg: &Message,
        data: &[u8],
    ) -> Session {
        let mut spi_r = [0u8; 8];
        while spi_r == [0u8; 8] {
            rng.fill(&mut spi_r);
        }
        let mut s = Session::blank(
            Role::Responder,
            config.clone(),
            now,
            local,
            remote,
            rng,
            header.spi_i,
        );
        let p = &msg.payloads;
        let reply_error = |s: &mut Session, kind: NotifyType, data: Vec<u8>| {
            let m = Message {
                header: Header {
                    spi_i: header.spi_i,
                    spi_r: [0; 8],
                    next_payload: PayloadType::NONE,
                    version: 0x20,
                    exchange: ExchangeType::IKE_SA_INIT,
                    flags: Flags::RESPONSE,
                    message_id: 0,
                    length: 0,
                },
                payloads: vec![notify(kind, data)],
            };
            s.send_response(vec![m.encode()]);
        };
        if let Some(kind) = unsupported_critical(p) {
            reply_error(
                &mut s,
                NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD,
                vec![kind.0],
            );
            s.finish(CloseReason::Protocol("unsupported critical payload".into()));
            return s;
        }
        let (Some(sa), Some(ke), Some(ni)) = (sa_of(p), ke_of(p), nonce_of(p)) else {
            reply_error(&mut s, NotifyType::INVALID_SYNTAX, vec![]);
            s.finish(CloseReason::Protocol(
                "IKE_SA_INIT request lacks SA, KE or nonce".into(),
            ));
            return s;
        };
        let ke_group = DhGroup::from_id(ke.group);
        let Some((suite, reply)) = select_ike(&config.ike_proposals, sa, ke_group, vec![]) else {
            info!(%remote, "no acceptable IKE proposal");
            reply_error(&mut s, NotifyType::NO_PROPOSAL_CHOSEN, vec![]);
            s.finish(CloseReason::NoProposalChosen);
            return s;
        };
        if Some(suite.dh) != ke_group {
            debug!(wanted = suite.dh.name(), "INVALID_KE_PAYLOAD");
            reply_error(
                &mut s,
                NotifyType::INVALID_KE_PAYLOAD,
                suite.dh.id().to_be_bytes().to_vec(),
            );
            s.finish(CloseReason::NoProposalChosen);
            return s;
        }
        let dh = s.new_dh(suite.dh);
        let g_ir = match dh.shared_secret(&ke.data) {
            Ok(g) => g,
            Err(_) => {
                reply_error(&mut s, NotifyType::INVALID_SYNTAX, vec![]);
                s.finish(CloseReason::Protocol("invalid KE public value".into()));
                return s;
            }
        };
        let nr = s.random(NONCE_LEN);
        let keys = derive_ike_sa_keys(&suite, ni, &nr, &g_ir, &header.spi_i, &spi_r);
        let Ok(mut ike_sa) = IkeSa::new(header.spi_i, spi_r, false, suite, keys) else {
            s.finish(CloseReason::Protocol("key setup".into()));
            return s;
        };
        ike_sa.next_peer_id = 1;
        if let Some((nat_local, nat_remote)) = detect_nat(p, &header.spi_i, &[0; 8], local, remote)
        {
            s.nat_local = nat_local || config.force_encap;
            s.nat_remote = nat_remote;
        }
        s.fragmentation = config.fragment_mtu.is_some()
            && find_notify(p, NotifyType::IKEV2_FRAGMENTATION_SUPPORTED).is_some();
        s.peer_hashes = peer_hashes(p);
        s.multiple_auth = find_notify(p, NotifyType::MULTIPLE_AUTH_SUPPORTED).is_some();
        s.note_peer_redirect(p);
        let mut payloads = vec![
            Payload::Sa(vec![reply]),
            Payload::Ke(KeyExchange {
                group: suite.dh.id(),
                data: dh.public_value(),
            }),
            Payload::Nonce(nr.clone()),
        ];
        let fake = config.force_encap.then(|| s.random(20));
        payloads.extend(natd_payloads(&header.spi_i, &spi_r, local, remote, fake));
        if s.fragmentation {
            payloads.push(notify(NotifyType::IKEV2_FRAGMENTATION_SUPPORTED, vec![]));
        }
        payloads.push(notify(
            NotifyType::SIGNATURE_HASH_ALGORITHMS,
            signature_hashes(),
        ));
        // RFC 4739 3: announced unconditionally (strongSwan initiators
        // announce it only after the responder has).
        payloads.push(notify(NotifyType::MULTIPLE_AUTH_SUPPORTED, vec![]));
        payloads.extend(ca_requests);
        let response = Message {
            header: Header {
                spi_i: header.spi_i,
                spi_r,
                next_payload: PayloadType::NONE,
                version: 0x20,
                exchange: ExchangeType::IKE_SA_INIT,
                flags: Flags::RESPONSE,
                message_id: 0,
                length: 0,
            },
            payloads,
        }
        .encode();
        s.emit_ike_keylog(&ike_sa);
        s.sa = Some(ike_sa);
        s.send_response(vec![response.clone()]);
        s.half_open = Some(HalfOpen {
            request: data.to_vec(),
            response,
            ni: ni.clone(),
            nr,
        });
        s.state = State::Auth;
        info!(%remote, suite = %suite_name(&suite), "IKE_SA_INIT answered");
        s
    }
}

fn suite_name(s: &IkeSuite) -> String {
    s.name()
}
