//! The sans-IO IKE session: one logical IKE SA (surviving IKE rekeys) with its
//! Child SAs, for either role.
//!
//! Inputs: [`Session::handle_datagram`], [`Session::handle_timeout`] and the
//! commands ([`Session::rekey_ike`], [`Session::rekey_child`],
//! [`Session::close`], [`Session::check_liveness`]). Outputs:
//! [`Session::poll_transmit`], [`Session::poll_event`],
//! [`Session::poll_timeout`]. Time always comes in as an argument.

mod addresses;
mod auth;
mod auth_initiator;
mod auth_responder;
mod child;
mod collision;
mod events;
mod exchange;
mod fragment;
mod informational;
mod init;
mod lifetimes;
mod natd;
mod reauth;
mod rebind;
mod redirect;
mod rekey;
mod sa;

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use tracing::{debug, info, warn};

pub use child::{narrow, ts_contains, ts_prefix};
pub use events::{ChildSaInfo, CloseReason, Event, IkeSaInfo, ReceivedConfig, Transmit};
pub use reauth::reauth_margin;
pub use redirect::LEAVE_GRACE as REDIRECT_LEAVE_GRACE;
pub(crate) use redirect::{peer_support as redirect_support, redirect_notify};

use crate::config::{Config, ResponderConfig};
use crate::crypto::{DhPrivate, RandomSource};
use crate::message::{ExchangeType, Header};
use crate::pool::AddressPool;
use child::ChildSa;
use sa::IkeSa;

/// Which side of the IKE SA this session started as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// We sent IKE_SA_INIT.
    Initiator,
    /// We answered IKE_SA_INIT.
    Responder,
}

/// Where the session is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// IKE_SA_INIT in progress.
    Init,
    /// IKE_AUTH in progress.
    Auth,
    /// The IKE SA is established.
    Established,
    /// The IKE SA is being deleted.
    Closing,
    /// Finished: nothing more will happen.
    Closed,
}

/// Work this side wants to start once no request of ours is outstanding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Task {
    RekeyIke,
    RekeyChild(u32),
    DeleteChild(u32),
    DeleteIke,
    /// Delete a retired IKE SA (replaced by a rekey), by our SPI.
    DeleteRetired([u8; 8]),
    Liveness,
    /// MOBIKE: tell the peer our address changed (RFC 4555 3.5).
    UpdateAddresses,
    /// Responder: send the peer to another gateway (RFC 5685 6).
    Redirect(crate::message::GatewayId),
}

/// What our outstanding request was about.
pub(crate) enum Pending {
    Init(init::InitPending),
    Auth,
    RekeyChild(exchange::RekeyChildPending),
    RekeyIke(exchange::RekeyIkePending),
    DeleteChild(u32),
    DeleteIke,
    DeleteRetired([u8; 8]),
    Liveness,
    /// UPDATE_SA_ADDRESSES with this COOKIE2.
    UpdateAddresses(Vec<u8>),
    /// REDIRECT to an established peer.
    Redirect,
}

/// An outstanding request and its retransmission state.
pub(crate) struct Outstanding {
    pub message_id: u32,
    pub exchange: ExchangeType,
    /// The IKE SA it was sent on.
    pub on: Slot,
    pub packets: Vec<Vec<u8>>,
    pub sent: u32,
    pub next_at: Instant,
    pub what: Pending,
    /// Keep retransmitting at least until then (a push approval in progress).
    pub give_up_at: Option<Instant>,
    /// Give up at this time at the latest (liveness checks are bounded).
    pub dead_at: Option<Instant>,
}

/// Which IKE SA of the session: the current one, or a retired one (replaced
/// by a rekey, waiting for its deletion) by our SPI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    Current,
    Retired([u8; 8]),
}

/// Responder context: the policy shared by all sessions of a responder.
pub struct ResponderCtx<'a> {
    pub(crate) config: &'a ResponderConfig,
    pub(crate) pool: &'a mut AddressPool,
    /// Whose turn it is in the redirect policy's list of gateways.
    pub(crate) redirect_turn: &'a mut usize,
}

/// One IKE session.
pub struct Session {
    role: Role,
    state: State,
    config: Arc<Config>,
    rng: Box<dyn RandomSource + Send>,
    local: SocketAddr,
    remote: SocketAddr,
    /// Our SPI for IKE_SA_INIT (initiator) / the peer's (responder) before an SA exists.
    init_spi_i: [u8; 8],
    sa: Option<IkeSa>,
    /// IKE SAs replaced by rekeys, until their deletion.
    retired: Vec<IkeSa>,
    ike_rekeys: collision::RekeyLog<[u8; 8]>,
    child_rekeys: collision::RekeyLog<u32>,
    children: Vec<ChildSa>,
    outstanding: Option<Outstanding>,
    tasks: VecDeque<Task>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    /// The peer is behind a NAT / we are behind a NAT / encapsulation forced.
    nat_remote: bool,
    nat_local: bool,
    mobike: bool,
    fragmentation: bool,
    peer_id: Option<crate::identity::Identity>,
    /// The peer's SIGNATURE_HASH_ALGORITHMS (RFC 7427 4).
    peer_hashes: Vec<u16>,
    /// Responder: state kept between IKE_SA_INIT and IKE_AUTH.
    half_open: Option<init::HalfOpen>,
    /// Responder: an address was leased from the pool for this peer.
    leased: bool,
    /// The peer announced MULTIPLE_AUTH_SUPPORTED (RFC 4739).
    multiple_auth: bool,
    /// Initiator: authentication rounds in progress.
    iauth: Option<Box<auth_initiator::InitiatorAuth>>,
    /// Responder: authentication rounds in progress.
    rauth: Option<Box<auth_responder::ResponderAuth>>,
    /// Responder: a request whose response is held back.
    deferred: Option<auth_responder::Deferred>,
    /// Responder: a half-open SA is dropped at this time.
    auth_deadline: Instant,
    /// Last time an authenticated message arrived.
    last_heard: Instant,
    /// Authentication lifetime (RFC 4478) and the reauthentication timer.
    auth_clock: reauth::AuthClock,
    /// When the current IKE SA is rekeyed (its lifetime, jittered).
    ike_rekey_at: Option<Instant>,
    /// Initiator: send INITIAL_CONTACT (not when replacing an SA).
    initial_contact: bool,
    /// Initiator: the virtual IPv4 address to ask for (reauthentication).
    requested_vip: Option<std::net::Ipv4Addr>,
    /// Initiator: the virtual IPv4 address the gateway assigned.
    virtual_ip: Option<std::net::Ipv4Addr>,
    /// Gateway redirection (RFC 5685).
    redirect: redirect::RedirectState,
    /// The peer's other addresses it announced (RFC 4555 3.4).
    peer_addresses: Vec<IpAddr>,
    /// The latest time the caller gave us.
    clock: Instant,
}

impl Session {
    /// Starts an initiator: the IKE_SA_INIT request is ready in `poll_transmit`.
    pub fn initiate(
        config: Arc<Config>,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        rng: Box<dyn RandomSource + Send>,
    ) -> Session {
        let mut s = Session::new_initiator(config, now, local, remote, rng, true);
        s.start_init(now, None, None);
        s
    }

    fn new_initiator(
        config: Arc<Config>,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        mut rng: Box<dyn RandomSource + Send>,
        initial_contact: bool,
    ) -> Session {
        let mut spi = [0u8; 8];
        while spi == [0u8; 8] {
            rng.fill(&mut spi);
        }
        let mut s = Session::blank(Role::Initiator, config, now, local, remote, rng, spi);
        s.initial_contact = initial_contact;
        s
    }

    fn blank(
        role: Role,
        config: Arc<Config>,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        rng: Box<dyn RandomSource + Send>,
        spi_i: [u8; 8],
    ) -> Session {
        Session {
            role,
            state: State::Init,
            config,
            rng,
            local,
            remote,
            init_spi_i: spi_i,
            sa: None,
            retired: Vec::new(),
            ike_rekeys: Default::default(),
            child_rekeys: Default::default(),
            children: Vec::new(),
            outstanding: None,
            tasks: VecDeque::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            nat_remote: false,
            nat_local: false,
            mobike: false,
            fragmentation: false,
            peer_id: None,
            peer_hashes: Vec::new(),
            half_open: None,
            leased: false,
            multiple_auth: false,
            iauth: None,
            rauth: None,
            deferred: None,
            auth_deadline: now + HALF_OPEN_LIFETIME,
            last_heard: now,
            auth_clock: Default::default(),
            ike_rekey_at: None,
            initial_contact: false,
            requested_vip: None,
            virtual_ip: None,
            redirect: Default::default(),
            peer_addresses: Vec::new(),
            clock: now,
        }
    }

    /// The session's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// No request of ours is outstanding or queued.
    pub fn is_idle(&self) -> bool {
        self.outstanding.is_none() && self.tasks.is_empty()
    }

    /// The latest time the caller gave the session.
    pub(crate) fn clock(&self) -> Instant {
        self.clock
    }

    /// The session's state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Current local and remote endpoints of IKE traffic.
    pub fn endpoints(&self) -> (SocketAddr, SocketAddr) {
        (self.local, self.remote)
    }

    /// Whether a NAT was detected in front of us and in front of the peer
    /// (RFC 7296 2.23), as of the last NAT detection (IKE_SA_INIT or a
    /// MOBIKE address update).
    pub fn nat(&self) -> (bool, bool) {
        (self.nat_local, self.nat_remote)
    }

    /// Current IKE SPIs (initiator, responder), once known.
    pub fn spis(&self) -> Option<([u8; 8], [u8; 8])> {
        self.sa.as_ref().map(|sa| (sa.spi_i, sa.spi_r))
    }

    /// Our SPIs of every IKE SA alive in this session (current and being deleted).
    pub fn local_spis(&self) -> Vec<[u8; 8]> {
        let mut v: Vec<_> = self
            .sa
            .iter()
            .chain(self.retired.iter())
            .map(|s| s.local_spi())
            .collect();
        if self.sa.is_none() && self.role == Role::Initiator {
            v.push(self.init_spi_i);
        }
        v
    }

    /// Inbound SPIs of the current Child SAs.
    pub fn child_spis(&self) -> Vec<u32> {
        self.children.iter().map(|c| c.spi_in).collect()
    }

    /// Next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// Next event for the application.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Session::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.state == State::Closed {
            return None;
        }
        let mut t = self
            .outstanding
            .as_ref()
            .map(|o| o.dead_at.map_or(o.next_at, |d| d.min(o.next_at)));
        let life = self.config.retransmit.total();
        if let Some(r) = self.retired.iter().filter_map(|s| s.retired_at).min() {
            let d = r + life;
            t = Some(t.map_or(d, |x| x.min(d)));
        }
        if let (Some(iv), State::Established, None) =
            (self.config.dpd_interval, self.state, &self.outstanding)
        {
            let d = self.last_heard + iv;
            t = Some(t.map_or(d, |x| x.min(d)));
        }
        if let Some(d) = self.auth_timer() {
            t = Some(t.map_or(d, |x| x.min(d)));
        }
        if let Some(d) = self.rekey_timer() {
            t = Some(t.map_or(d, |x| x.min(d)));
        }
        if let Some(d) = self.redirect_deadline() {
            t = Some(t.map_or(d, |x| x.min(d)));
        }
        if matches!(self.state, State::Init | State::Auth) && self.role == Role::Responder {
            // A half-open responder SA lives as long as the initiator may
            // retransmit, or as long as an EAP step may take.
            let d = self.auth_deadline;
            t = Some(t.map_or(d, |x| x.min(d)));
        }
        t
    }

    /// Initiator: answers the EAP prompt last emitted as [`Event::Prompt`]
    /// (push prompts need no answer; [`ibex_eap::Answer::Cancel`] gives up).
    pub fn answer(&mut self, now: Instant, answer: ibex_eap::Answer) {
        if self.state == State::Closed {
            return;
        }
        self.clock = self.clock.max(now);
        self.answer_prompt(now, answer);
    }

    /// Asks for an IKE SA rekey (make-before-break, RFC 7296 2.18).
    pub fn rekey_ike(&mut self, now: Instant) {
        self.queue(now, Task::RekeyIke);
    }

    /// Asks for a rekey of the Child SA with this inbound SPI (RFC 7296 2.8).
    pub fn rekey_child(&mut self, now: Instant, spi_in: u32) {
        self.queue(now, Task::RekeyChild(spi_in));
    }

    /// MOBIKE (RFC 4555): our address changed; IKE and the Child SAs move to
    /// `local` without a new sign-in. Without MOBIKE the session is unchanged
    /// and `false` is returned: the caller must reconnect.
    pub fn migrate(&mut self, now: Instant, local: SocketAddr) -> bool {
        let remote = self.remote.ip();
        self.migrate_to(now, local, remote)
    }

    /// MOBIKE (RFC 4555 3.5): moves IKE and the Child SAs to `local` and to
    /// the peer's address `remote` (one of [`Session::peer_addresses`], e.g.
    /// of the other IP family). False without MOBIKE.
    pub fn migrate_to(&mut self, now: Instant, local: SocketAddr, remote: IpAddr) -> bool {
        if !self.mobike || self.state != State::Established {
            return false;
        }
        let mut local = local;
        local.set_port(self.local.port());
        let remote = SocketAddr::new(remote, self.remote.port());
        if local == self.local && remote == self.remote {
            return true;
        }
        info!(old = %self.local, new = %local, peer = %remote, "MOBIKE: moving to a new address");
        self.local = local;
        self.remote = remote;
        self.events.push_back(Event::EndpointsChanged {
            local: self.local,
            remote: self.remote,
        });
        // A request in flight is retransmitted from the new address.
        if let Some(o) = &mut self.outstanding {
            o.next_at = now;
        }
        self.tasks.retain(|t| *t != Task::UpdateAddresses);
        self.tasks.push_front(Task::UpdateAddresses);
        self.drive(now);
        if self.outstanding.as_ref().is_some_and(|o| o.next_at == now) {
            self.handle_timeout(now);
        }
        true
    }

    /// Asks for a liveness check (empty INFORMATIONAL, RFC 7296 1.4).
    pub fn check_liveness(&mut self, now: Instant) {
        self.queue(now, Task::Liveness);
    }

    /// Deletes the IKE SA and its Child SAs, telling the peer.
    pub fn close(&mut self, now: Instant) {
        match self.state {
            State::Established => {
                self.tasks.clear();
                self.queue(now, Task::DeleteIke);
            }
            State::Closed | State::Closing => {}
            _ => self.finish(CloseReason::LocalClose),
        }
    }

    fn queue(&mut self, now: Instant, task: Task) {
        self.clock = self.clock.max(now);
        if self.state != State::Established {
            return;
        }
        if !self.tasks.contains(&task) {
            self.tasks.push_back(task);
        }
        self.drive(now);
    }

    /// Handles an inbound IKE datagram (without the non-ESP marker of port 4500).
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        data: &[u8],
    ) {
        self.handle(now, local, remote, data, None);
    }

    pub(crate) fn handle(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        data: &[u8],
        ctx: Option<ResponderCtx<'_>>,
    ) {
        if self.state == State::Closed {
            return;
        }
        self.clock = self.clock.max(now);
        let header = match Header::decode(data) {
            Ok(h) => h,
            Err(e) => {
                debug!(%remote, error = %e, "dropping undecodable datagram");
                return;
            }
        };
        if header.exchange == ExchangeType::IKE_SA_INIT {
            self.handle_init(now, local, remote, &header, data, ctx);
        } else {
            self.handle_protected(now, local, remote, &header, data, ctx);
        }
        self.drive(now);
    }

    /// Handles timers: retransmissions, liveness, half-open expiry.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state == State::Closed {
            return;
        }
        self.clock = self.clock.max(now);
        // Replaced IKE SAs whose deletion never came are dropped once a peer
        // could no longer be retransmitting to them.
        let life = self.config.retransmit.total();
        let busy = match &self.outstanding {
            Some(Outstanding {
                on: Slot::Retired(spi),
                ..
            }) => Some(*spi),
            _ => None,
        };
        self.retired
            .retain(|s| busy == Some(s.local_spi()) || s.retired_at.is_none_or(|t| now < t + life));
        if matches!(self.state, State::Init | State::Auth)
            && self.role == Role::Responder
            && now >= self.auth_deadline
        {
            self.finish(CloseReason::Timeout);
            return;
        }
        if let Some(o) = &mut self.outstanding {
            let dead = o.dead_at.is_some_and(|t| now >= t);
            if now >= o.next_at || dead {
                let exhausted =
                    o.sent > self.config.retransmit.tries && o.give_up_at.is_none_or(|t| now >= t);
                if exhausted || dead {
                    if let Pending::DeleteRetired(spi) = o.what {
                        // The peer may already have dropped the old SA after
                        // answering a lost response: nothing left to do.
                        self.outstanding = None;
                        self.retired.retain(|s| s.local_spi() != spi);
                        self.drive(now);
                        return;
                    }
                    if matches!(o.what, Pending::DeleteIke) {
                        self.outstanding = None;
                        self.finish(CloseReason::LocalClose);
                        return;
                    }
                    warn!(exchange = ?o.exchange, "peer did not answer: giving up");
                    let reason = if self.state == State::Established || self.state == State::Closing
                    {
                        CloseReason::PeerDead
                    } else {
                        CloseReason::Timeout
                    };
                    self.outstanding = None;
                    self.finish(reason);
                    return;
                }
                debug!(exchange = ?o.exchange, message_id = o.message_id, attempt = o.sent, "retransmitting");
                for p in &o.packets {
                    self.transmits.push_back(Transmit {
                        local: self.local,
                        remote: self.remote,
                        data: p.clone(),
                    });
                }
                o.next_at = now + self.config.retransmit.interval(o.sent);
                o.sent += 1;
            }
        }
        if let (Some(iv), State::Established, None) =
            (self.config.dpd_interval, self.state, &self.outstanding)
        {
            if now >= self.last_heard + iv {
                self.queue(now, Task::Liveness);
            }
        }
        self.auth_timeout(now);
        self.rekey_timeout(now);
        self.redirect_timeout(now);
        self.drive(now);
    }

    /// Sends a new request: registers it for retransmission.
    pub(crate) fn send_request(
        &mut self,
        now: Instant,
        exchange: ExchangeType,
        message_id: u32,
        on: Slot,
        packets: Vec<Vec<u8>>,
        what: Pending,
    ) {
        for p in &packets {
            self.transmits.push_back(Transmit {
                local: self.local,
                remote: self.remote,
                data: p.clone(),
            });
        }
        self.outstanding = Some(Outstanding {
            message_id,
            exchange,
            on,
            packets,
            sent: 1,
            next_at: now + self.config.retransmit.interval(0),
            what,
            give_up_at: None,
            dead_at: None,
        });
    }

    /// Sends a response to where the request came from (RFC 7296 2.11).
    pub(crate) fn send_response_to(
        &mut self,
        local: SocketAddr,
        remote: SocketAddr,
        packets: Vec<Vec<u8>>,
    ) {
        for p in packets {
            self.transmits.push_back(Transmit {
                local,
                remote,
                data: p,
            });
        }
    }

    pub(crate) fn send_response(&mut self, packets: Vec<Vec<u8>>) {
        self.send_response_to(self.local, self.remote, packets);
    }

    pub(crate) fn finish(&mut self, reason: CloseReason) {
        if self.state == State::Closed {
            return;
        }
        for c in self.children.drain(..) {
            self.events.push_back(Event::ChildDown {
                spi_in: c.spi_in,
                spi_out: c.spi_out,
            });
        }
        self.state = State::Closed;
        self.outstanding = None;
        self.tasks.clear();
        self.half_open = None;
        self.iauth = None;
        self.rauth = None;
        self.deferred = None;
        self.sa = None;
        self.retired.clear();
        debug!(?reason, "IKE session closed");
        self.events.push_back(Event::Closed(reason));
    }

    /// Starts queued work when no request is outstanding.
    fn drive(&mut self, now: Instant) {
        if self.outstanding.is_some() || !matches!(self.state, State::Established | State::Closing)
        {
            return;
        }
        while let Some(task) = self.tasks.pop_front() {
            if self.start_task(now, task) {
                break;
            }
        }
    }

    pub(crate) fn random(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        self.rng.fill(&mut v);
        v
    }

    pub(crate) fn new_dh(&mut self, group: crate::crypto::DhGroup) -> DhPrivate {
        group.generate(self.rng.as_mut())
    }
}

/// How long a responder keeps a half-open SA waiting for IKE_AUTH.
pub const HALF_OPEN_LIFETIME: std::time::Duration = std::time::Duration::from_secs(30);

impl Session {
    /// The authenticated peer identity.
    pub fn peer_id(&self) -> Option<&crate::identity::Identity> {
        self.peer_id.as_ref()
    }

    /// Whether this responder session took an address from the pool.
    pub(crate) fn held_lease(&self) -> bool {
        self.leased
    }
}

impl Session {
    /// The largest IKE message we send unfragmented, once fragmentation is
    /// negotiated: the configured MTU less IP, UDP and non-ESP-marker headers.
    pub(crate) fn fragment_at(&self) -> Option<usize> {
        if !self.fragmentation {
            return None;
        }
        let mtu = self.config.fragment_mtu?;
        let ip = if self.remote.is_ipv6() { 40 } else { 20 };
        let marker = if self.local.port() == 4500 { 4 } else { 0 };
        Some(mtu.saturating_sub(ip + 8 + marker).max(256))
    }
}
