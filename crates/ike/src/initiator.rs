//! The client endpoint: one logical connection to a gateway that survives
//! reauthentication (RFC 7296 2.8.3, RFC 4478).
//!
//! A [`Session`] is one IKE SA (and its rekeys). When the gateway limits how
//! long a sign-in holds, a new IKE SA must be built from scratch: the
//! [`Initiator`] signs in again beside the working session (prompting the
//! person once), lets the new Child SA take over, and only then deletes the
//! old IKE SA — make-before-break. Sessions share the caller's sockets:
//! inbound datagrams go to the session owning their SPI.
//!
//! Events are the session events, with these rules: the new sign-in's
//! configuration and Child SA arrive as ordinary [`Event::Config`] and
//! [`Event::ChildUp`] (install the Child SA; it is the newest, so it takes
//! over), followed by [`Event::Reauthenticated`]; the replaced SA's Child
//! SAs leave with [`Event::ChildDown`]; a failed new sign-in is
//! [`Event::ReauthFailed`] (the old SA keeps working until the gateway's
//! deadline). [`Event::Closed`] always means the whole connection is over.
//!
//! A gateway redirect of the established connection (RFC 5685 6) arrives as
//! [`Event::Redirect`]; once the caller can reach the new gateway it calls
//! [`Initiator::follow_redirect`], and the move runs like a
//! reauthentication, to the new gateway: make-before-break, ending with
//! [`Event::Reauthenticated`]. A redirect before the connection is up ends
//! it with [`CloseReason::Redirected`]: start a new one with
//! [`Initiator::new_redirected`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use tracing::{debug, info, warn};

use crate::config::Config;
use crate::crypto::RandomSource;
use crate::message::{GatewayId, Header};
use crate::session::{CloseReason, Event, Session, State, Transmit};

/// Makes a random source for each new IKE SA.
pub type RngSource = Box<dyn FnMut() -> Box<dyn RandomSource + Send> + Send>;

/// A client's connection to one gateway: the current IKE session, the one
/// signing in again to replace it, and replaced ones being deleted.
pub struct Initiator {
    current: Session,
    next: Option<Next>,
    retiring: Vec<Session>,
    events: std::collections::VecDeque<Event>,
    rngs: RngSource,
}

/// A reauthentication in progress.
struct Next {
    session: Session,
    /// Held until its Child SA is up.
    held: Vec<Event>,
}

impl Initiator {
    /// Starts signing in; the IKE_SA_INIT request is ready in `poll_transmit`.
    pub fn new(
        config: Arc<Config>,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        mut rngs: RngSource,
    ) -> Initiator {
        let current = Session::initiate(config, now, local, remote, rngs());
        Initiator {
            current,
            next: None,
            retiring: Vec::new(),
            events: Default::default(),
            rngs,
        }
    }

    /// Starts signing in to a gateway that `from` redirected us to (sent
    /// as REDIRECTED_FROM, RFC 5685).
    pub fn new_redirected(
        config: Arc<Config>,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        mut rngs: RngSource,
        from: GatewayId,
    ) -> Initiator {
        let current = Session::initiate_redirected(config, now, local, remote, rngs(), from);
        Initiator {
            current,
            next: None,
            retiring: Vec::new(),
            events: Default::default(),
            rngs,
        }
    }

    /// Moves the established connection to the gateway at `remote` that
    /// the current one redirected us to ([`Event::Redirect`]): a new IKE SA
    /// is built there beside the working one, which is deleted once the
    /// new Child SA carries the traffic. False when the connection is not
    /// established or another sign-in is under way.
    pub fn follow_redirect(&mut self, now: Instant, local: SocketAddr, remote: SocketAddr) -> bool {
        if self.next.is_some() || self.current.state() != State::Established {
            return false;
        }
        let from = GatewayId::from_ip(self.current.endpoints().1.ip());
        let rng = (self.rngs)();
        let mut session = Session::initiate_redirected(
            self.current.config().clone(),
            now,
            local,
            remote,
            rng,
            from,
        );
        session.request_virtual_ip(self.current.virtual_ip());
        self.next = Some(Next {
            session,
            held: Vec::new(),
        });
        true
    }

    /// The session carrying the connection.
    pub fn current(&self) -> &Session {
        &self.current
    }

    /// The session carrying the connection.
    pub fn current_mut(&mut self) -> &mut Session {
        &mut self.current
    }

    /// Whether replaced IKE SAs are still being deleted.
    pub fn retiring(&self) -> bool {
        !self.retiring.is_empty()
    }

    /// Whether a new sign-in (reauthentication) is under way.
    pub fn reauthenticating(&self) -> bool {
        self.next.is_some()
    }

    /// Current local and remote endpoints of the connection's IKE traffic.
    pub fn endpoints(&self) -> (SocketAddr, SocketAddr) {
        self.current.endpoints()
    }

    /// Signs in again now, beside the working session (it also happens by
    /// itself before the gateway's AUTH_LIFETIME runs out).
    pub fn reauthenticate(&mut self, now: Instant) {
        if self.next.is_some() || self.current.state() != State::Established {
            return;
        }
        let rng = (self.rngs)();
        self.next = Some(Next {
            session: self.current.reauthenticate(now, rng),
            held: Vec::new(),
        });
    }

    /// Starts the reauthentication under way over with `config` (e.g. one
    /// that asks for a one-time code where the first try waited for a push
    /// approval); the working session stays, and the half-done sign-in is
    /// dropped without a `ReauthFailed`. False when none is under way.
    pub fn restart_reauthentication(&mut self, now: Instant, config: Arc<Config>) -> bool {
        let Some(mut old) = self.next.take() else {
            return false;
        };
        old.session.close(now);
        self.retiring.push(old.session);
        let rng = (self.rngs)();
        self.next = Some(Next {
            session: self.current.reauthenticate_with(now, rng, config),
            held: Vec::new(),
        });
        true
    }

    /// Answers the open prompt of the session that is signing in.
    pub fn answer(&mut self, now: Instant, answer: ibex_eap::Answer) {
        self.signing_in().answer(now, answer);
    }

    /// Gives up the sign-in in progress: the reauthentication (the working
    /// session stays), or the connection if it is the first sign-in.
    pub fn abort_sign_in(&mut self, now: Instant) {
        match self.next.as_mut() {
            Some(n) => n.session.close(now),
            None => self.current.close(now),
        }
    }

    /// Deletes every IKE SA and ends the connection.
    pub fn close(&mut self, now: Instant) {
        if let Some(mut n) = self.next.take() {
            n.session.close(now);
            self.retiring.push(n.session);
        }
        self.current.close(now);
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.all_mut().find_map(|s| s.poll_transmit())
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<Event> {
        loop {
            if let Some(e) = self.events.pop_front() {
                return Some(e);
            }
            if !self.collect() {
                return None;
            }
        }
    }

    /// When [`Initiator::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.all().filter_map(|s| s.poll_timeout()).min()
    }

    /// Runs every session's timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        for s in self.all_mut() {
            if s.poll_timeout().is_some_and(|t| t <= now) {
                s.handle_timeout(now);
            }
        }
    }

    /// Hands an IKE datagram (without the non-ESP marker) to the session
    /// owning one of its SPIs.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        data: &[u8],
    ) {
        let Ok(h) = Header::peek(data) else {
            debug!(%remote, "dropping a runt IKE datagram");
            return;
        };
        let owns = |s: &Session| {
            s.local_spis()
                .iter()
                .any(|spi| *spi == h.spi_i || *spi == h.spi_r)
        };
        match self.all_mut().find(|s| owns(s)) {
            Some(s) => s.handle_datagram(now, local, remote, data),
            None => debug!(%remote, "IKE message for an SA we do not have; dropped"),
        }
    }

    /// Moves one batch of session events into the queue; false when there
    /// were none.
    fn collect(&mut self) -> bool {
        let mut any = false;
        while let Some(e) = self.current.poll_event() {
            any = true;
            match e {
                Event::ReauthRequired { .. } => {
                    let now = self.current_clock();
                    self.reauthenticate(now);
                    self.events.push_back(e);
                }
                e => self.events.push_back(e),
            }
        }
        while let Some(e) = self.next.as_mut().and_then(|n| n.session.poll_event()) {
            any = true;
            self.on_next_event(e);
        }
        for s in &mut self.retiring {
            while let Some(e) = s.poll_event() {
                any = true;
                // A replaced SA only leaves: its Child SAs go away; its
                // closing is no news.
                if matches!(e, Event::ChildDown { .. } | Event::KeyLog(_)) {
                    self.events.push_back(e);
                }
            }
        }
        self.retiring.retain(|s| s.state() != State::Closed);
        any
    }

    fn on_next_event(&mut self, e: Event) {
        let Some(next) = self.next.as_mut() else {
            return;
        };
        match e {
            Event::Prompt(_) | Event::PromptClosed | Event::KeyLog(_) => self.events.push_back(e),
            Event::IkeUp(_) | Event::Config(_) | Event::EndpointsChanged { .. } => {
                next.held.push(e)
            }
            Event::ChildUp(c) => {
                let Some(mut next) = self.next.take() else {
                    return;
                };
                let info = next.held.iter().find_map(|e| match e {
                    Event::IkeUp(i) => Some(i.clone()),
                    _ => None,
                });
                for e in next.held.drain(..) {
                    if matches!(e, Event::Config(_)) {
                        self.events.push_back(e);
                    }
                }
                self.events.push_back(Event::ChildUp(c));
                let now = self.current_clock();
                let mut old = std::mem::replace(&mut self.current, next.session);
                old.close(now);
                self.retiring.push(old);
                info!(
                    "signed in again: the new IKE SA carries the connection; deleting the old one"
                );
                if let Some(i) = info {
                    self.events.push_back(Event::Reauthenticated(i));
                }
            }
            Event::ChildFailed(why) => {
                warn!(reason = %why, "the new sign-in got no Child SA");
                let now = self.current_clock();
                if let Some(mut n) = self.next.take() {
                    n.session.close(now);
                    self.retiring.push(n.session);
                }
                self.events
                    .push_back(Event::ReauthFailed(CloseReason::PeerError(why)));
            }
            Event::Closed(reason) => {
                warn!(%reason, "signing in again failed");
                self.next = None;
                self.events.push_back(Event::ReauthFailed(reason));
            }
            Event::ChildDown { .. }
            | Event::IkeRekeyed(_)
            | Event::ReauthRequired { .. }
            | Event::Reauthenticated(_)
            | Event::ReauthFailed(_)
            | Event::Redirect(_) => {}
        }
    }

    /// The session that is signing in (and so owns the open prompt).
    fn signing_in(&mut self) -> &mut Session {
        match self.next.as_mut() {
            Some(n) => &mut n.session,
            None => &mut self.current,
        }
    }

    fn current_clock(&self) -> Instant {
        self.current.clock()
    }

    fn all(&self) -> impl Iterator<Item = &Session> {
        std::iter::once(&self.current)
            .chain(self.next.iter().map(|n| &n.session))
            .chain(self.retiring.iter())
    }

    fn all_mut(&mut self) -> impl Iterator<Item = &mut Session> {
        std::iter::once(&mut self.current)
            .chain(self.next.iter_mut().map(|n| &mut n.session))
            .chain(self.retiring.iter_mut())
    }
}
