//! The responder endpoint: demultiplexes datagrams to sessions by SPI, answers
//! IKE_SA_INIT (with stateless cookies under load, RFC 7296 2.6) and owns the
//! address pool shared by all sessions.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use tracing::debug;

use crate::config::ResponderConfig;
use crate::crypto::RandomSource;
use crate::message::{
    ExchangeType, Flags, Header, Message, Notify, NotifyType, Payload, PayloadType, ProtocolId,
};
use crate::pool::AddressPool;
use crate::session::{Event, ResponderCtx, Session, State, Transmit};

/// Identifies one session of a responder.
pub type SessionId = u64;

/// Makes a random source for each new session.
pub type RngFactory = Box<dyn FnMut() -> Box<dyn RandomSource + Send> + Send>;

/// A sans-IO IKEv2 responder serving many peers.
pub struct Responder {
    config: Arc<ResponderConfig>,
    base: Arc<crate::config::Config>,
    sessions: HashMap<SessionId, Session>,
    by_spi: HashMap<[u8; 8], SessionId>,
    by_init: HashMap<([u8; 8], SocketAddr), SessionId>,
    pool: AddressPool,
    next_id: SessionId,
    rngs: RngFactory,
    cookie_secret: [u8; 32],
    /// CERTREQ for the CAs of certificate peers (sent in IKE_SA_INIT).
    certreq: Option<Payload>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<(SessionId, Event)>,
    /// INVALID_IKE_SPI answers sent in the current second (rate limit).
    invalid_spi: (Option<Instant>, u32),
    /// Whose turn it is in the redirect policy's list of gateways.
    redirect_turn: usize,
}

/// At most this many INVALID_IKE_SPI answers a second.
const INVALID_SPI_PER_SECOND: u32 = 20;

impl Responder {
    /// A responder with this configuration; `rngs` makes each session's random source.
    pub fn new(config: ResponderConfig, mut rngs: RngFactory) -> Responder {
        let mut cookie_secret = [0u8; 32];
        rngs().fill(&mut cookie_secret);
        let pool = AddressPool::new(config.pool);
        let base = Arc::new(config.base.clone());
        let mut data = Vec::new();
        for p in &config.peers {
            if let crate::config::PeerAuth::Certificate(a) = &p.auth {
                for h in a.certreq_data().chunks(20) {
                    if !data.chunks(20).any(|x| x == h) {
                        data.extend_from_slice(h);
                    }
                }
            }
        }
        let certreq = (!data.is_empty()).then_some(Payload::CertReq(crate::message::CertReq {
            encoding: 4,
            data,
        }));
        Responder {
            certreq,
            config: Arc::new(config),
            base,
            sessions: HashMap::new(),
            by_spi: HashMap::new(),
            by_init: HashMap::new(),
            pool,
            next_id: 1,
            rngs,
            cookie_secret,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            invalid_spi: (None, 0),
            redirect_turn: 0,
        }
    }

    /// The session with this id.
    pub fn session(&self, id: SessionId) -> Option<&Session> {
        self.sessions.get(&id)
    }

    /// Ids of live sessions.
    pub fn session_ids(&self) -> Vec<SessionId> {
        let mut v: Vec<_> = self.sessions.keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// Addresses leased from the pool.
    pub fn pool_in_use(&self) -> usize {
        self.pool.in_use()
    }

    fn half_open(&self) -> usize {
        self.sessions
            .values()
            .filter(|s| matches!(s.state(), State::Init | State::Auth))
            .count()
    }

    fn cookie(&self, ni: &[u8], ip: IpAddr, spi_i: &[u8; 8]) -> Vec<u8> {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(&self.cookie_secret);
        ctx.update(ni);
        match ip {
            IpAddr::V4(a) => ctx.update(&a.octets()),
            IpAddr::V6(a) => ctx.update(&a.octets()),
        }
        ctx.update(spi_i);
        let mut v = vec![1u8];
        v.extend_from_slice(ctx.finish().as_ref());
        v
    }

    /// Handles an inbound IKE datagram (without the non-ESP marker).
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        data: &[u8],
    ) {
        let header = match Header::decode(data) {
            Ok(h) => h,
            Err(crate::message::DecodeError::UnsupportedVersion { .. }) => {
                self.reject_version(local, remote, data);
                return;
            }
            Err(_) => return,
        };
        let id = if header.exchange == ExchangeType::IKE_SA_INIT
            && !header.flags.is_response()
            && header.spi_r == [0; 8]
        {
            if let Some(id) = self.by_init.get(&(header.spi_i, remote)) {
                *id
            } else {
                let Ok(msg) = Message::decode(data) else {
                    return;
                };
                if !self.check_cookie(&header, &msg, local, remote) {
                    return;
                }
                if self.redirect_at_init(&header, &msg, local, remote) {
                    return;
                }
                let session = Session::accept(
                    self.certreq.clone(),
                    self.base.clone(),
                    now,
                    local,
                    remote,
                    (self.rngs)(),
                    &header,
                    &msg,
                    data,
                );
                let id = self.next_id;
                self.next_id += 1;
                self.by_init.insert((header.spi_i, remote), id);
                for spi in session.local_spis() {
                    self.by_spi.insert(spi, id);
                }
                self.sessions.insert(id, session);
                self.collect(id);
                return;
            }
        } else {
            let ours = if header.flags.is_initiator() {
                header.spi_r
            } else {
                header.spi_i
            };
            match self.by_spi.get(&ours) {
                Some(id) => *id,
                None => {
                    debug!("datagram for unknown SPI dropped");
                    self.answer_unknown_spi(now, local, remote, &header);
                    return;
                }
            }
        };
        if let Some(s) = self.sessions.get_mut(&id) {
            let ctx = ResponderCtx {
                config: &self.config,
                pool: &mut self.pool,
                redirect_turn: &mut self.redirect_turn,
            };
            s.handle(now, local, remote, data, Some(ctx));
        }
        self.collect(id);
    }

    /// RFC 7296 2.21.4: a request for an IKE SA we do not have (e.g. one
    /// dropped while its initiator's user was still answering a prompt) may
    /// be answered, unprotected, with INVALID_IKE_SPI, so the initiator
    /// learns at once instead of retransmitting for minutes. Rate-limited;
    /// responses are never answered.
    fn answer_unknown_spi(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        h: &Header,
    ) {
        if h.flags.is_response() || h.exchange == ExchangeType::IKE_SA_INIT {
            return;
        }
        let (start, n) = &mut self.invalid_spi;
        if start.is_none_or(|s| now.saturating_duration_since(s).as_secs() >= 1) {
            *start = Some(now);
            *n = 0;
        }
        if *n >= INVALID_SPI_PER_SECOND {
            return;
        }
        *n += 1;
        let reply = Message {
            header: Header {
                spi_i: h.spi_i,
                spi_r: h.spi_r,
                next_payload: PayloadType::NONE,
                version: 0x20,
                exchange: h.exchange,
                // I names the sender's original role: the opposite of the request's.
                flags: if h.flags.is_initiator() {
                    Flags::RESPONSE
                } else {
                    Flags(Flags::RESPONSE.0 | Flags::INITIATOR.0)
                },
                message_id: h.message_id,
                length: 0,
            },
            payloads: vec![Payload::Notify(Notify {
                protocol: ProtocolId(0),
                spi: vec![],
                kind: NotifyType::INVALID_IKE_SPI,
                data: vec![],
            })],
        };
        self.transmits.push_back(Transmit {
            local,
            remote,
            data: reply.encode(),
        });
    }

    /// RFC 7296 2.5: an IKE_SA_INIT request with a higher major version is
    /// answered with INVALID_MAJOR_VERSION carrying the version we speak.
    fn reject_version(&mut self, local: SocketAddr, remote: SocketAddr, data: &[u8]) {
        let Ok(h) = Header::peek(data) else { return };
        if h.exchange != ExchangeType::IKE_SA_INIT || h.flags.is_response() || h.version >> 4 <= 2 {
            return;
        }
        debug!(%remote, version = h.version, "unsupported IKE major version");
        let reply = Message {
            header: Header {
                spi_i: h.spi_i,
                spi_r: [0; 8],
                next_payload: PayloadType::NONE,
                version: 0x20,
                exchange: ExchangeType::IKE_SA_INIT,
                flags: Flags::RESPONSE,
                message_id: h.message_id,
                length: 0,
            },
            payloads: vec![Payload::Notify(Notify {
                protocol: ProtocolId(0),
                spi: vec![],
                kind: NotifyType::INVALID_MAJOR_VERSION,
                data: vec![],
            })],
        };
        self.transmits.push_back(Transmit {
            local,
            remote,
            data: reply.encode(),
        });
    }

    /// RFC 5685 4: by policy, answer IKE_SA_INIT from a peer that follows
    /// redirects with only a REDIRECT (echoing its nonce), keeping no state.
    fn redirect_at_init(
        &mut self,
        header: &Header,
        msg: &Message,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> bool {
        let Some(policy) = self.config.redirect.as_ref() else {
            return false;
        };
        let (supports, from) = crate::session::redirect_support(&msg.payloads);
        if !policy.applies(crate::RedirectPhase::Init, supports, from.is_some()) {
            return false;
        }
        let Some(ni) = msg.payloads.iter().find_map(|p| match p {
            Payload::Nonce(n) => Some(n.clone()),
            _ => None,
        }) else {
            return false;
        };
        let Some(to) = policy.pick(&mut self.redirect_turn) else {
            return false;
        };
        let Some(n) = crate::session::redirect_notify(&to, &ni) else {
            return false;
        };
        tracing::info!(%remote, %to, "redirecting a client (IKE_SA_INIT)");
        let reply = Message {
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
            payloads: vec![n],
        };
        self.transmits.push_back(Transmit {
            local,
            remote,
            data: reply.encode(),
        });
        true
    }

    /// Sends every established client that follows redirects to the
    /// policy's gateways, in turn (RFC 5685 6), e.g. to drain this gateway
    /// for maintenance. Returns how many were asked to move.
    pub fn redirect_all(&mut self, now: Instant) -> usize {
        let Some(policy) = self.config.redirect.clone() else {
            return 0;
        };
        let mut moved = 0;
        for id in self.session_ids() {
            let Some(to) = policy
                .gateways
                .get(self.redirect_turn % policy.gateways.len().max(1))
            else {
                break;
            };
            let to = to.clone();
            let mut asked = false;
            if let Some(s) = self.sessions.get_mut(&id) {
                asked = s.redirect(now, to);
            }
            if asked {
                self.redirect_turn = self.redirect_turn.wrapping_add(1);
                moved += 1;
            }
            self.collect(id);
        }
        moved
    }

    /// RFC 7296 2.6: above the threshold, insist on a valid cookie first.
    fn check_cookie(
        &mut self,
        header: &Header,
        msg: &Message,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> bool {
        if self.half_open() < self.config.cookie_threshold {
            return true;
        }
        let ni = msg.payloads.iter().find_map(|p| match p {
            Payload::Nonce(n) => Some(n.clone()),
            _ => None,
        });
        let Some(ni) = ni else { return false };
        let expected = self.cookie(&ni, remote.ip(), &header.spi_i);
        let got = match msg.payloads.first() {
            Some(Payload::Notify(n)) if n.kind == NotifyType::COOKIE => Some(&n.data),
            _ => None,
        };
        if got.is_some_and(|c| {
            bool::from(subtle::ConstantTimeEq::ct_eq(
                c.as_slice(),
                expected.as_slice(),
            ))
        }) {
            return true;
        }
        debug!(%remote, "asking for a cookie");
        let reply = Message {
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
            payloads: vec![Payload::Notify(Notify {
                protocol: ProtocolId(0),
                spi: vec![],
                kind: NotifyType::COOKIE,
                data: expected,
            })],
        };
        self.transmits.push_back(Transmit {
            local,
            remote,
            data: reply.encode(),
        });
        false
    }

    fn collect(&mut self, id: SessionId) {
        let Some(s) = self.sessions.get_mut(&id) else {
            return;
        };
        while let Some(t) = s.poll_transmit() {
            self.transmits.push_back(t);
        }
        let mut closed = false;
        while let Some(e) = s.poll_event() {
            if let Event::IkeRekeyed(_) = &e {
                for spi in s.local_spis() {
                    self.by_spi.insert(spi, id);
                }
            }
            if let Event::Closed(_) = &e {
                closed = true;
            }
            self.events.push_back((id, e));
        }
        if closed {
            if let Some(s) = self.sessions.remove(&id) {
                if let Some(peer) = s.peer_id() {
                    if s.held_lease() {
                        self.pool.release(peer);
                    }
                }
            }
            self.by_spi.retain(|_, v| *v != id);
            self.by_init.retain(|_, v| *v != id);
        }
    }

    /// Next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// Next event, with the session it concerns.
    pub fn poll_event(&mut self) -> Option<(SessionId, Event)> {
        self.events.pop_front()
    }

    /// Earliest deadline of all sessions.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.sessions
            .values()
            .filter_map(|s| s.poll_timeout())
            .min()
    }

    /// Runs the timers of every session that is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<SessionId> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.poll_timeout().is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            if let Some(s) = self.sessions.get_mut(&id) {
                s.handle_timeout(now);
            }
            self.collect(id);
        }
    }

    /// Re-checks every IKE_AUTH response held back by an EAP server (push
    /// approvals) and sends those that are decided. Call it when the
    /// approval service reports a decision, or periodically.
    pub fn resume_deferred(&mut self, now: Instant) {
        let held: Vec<SessionId> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.has_deferred())
            .map(|(id, _)| *id)
            .collect();
        for id in held {
            if let Some(s) = self.sessions.get_mut(&id) {
                let ctx = ResponderCtx {
                    config: &self.config,
                    pool: &mut self.pool,
                    redirect_turn: &mut self.redirect_turn,
                };
                s.resume(now, Some(ctx));
            }
            self.collect(id);
        }
    }

    /// Runs a command on one session (rekey, close, liveness) and collects its output.
    pub fn with_session(&mut self, id: SessionId, f: impl FnOnce(&mut Session)) {
        if let Some(s) = self.sessions.get_mut(&id) {
            f(s);
        }
        self.collect(id);
    }
}
