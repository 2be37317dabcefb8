//! Reauthentication (RFC 7296 2.8.3, RFC 4478): the gateway bounds how long
//! an authentication holds with AUTH_LIFETIME; before it runs out the
//! initiator builds a whole new IKE SA (a new sign-in, prompts included)
//! while the old one keeps carrying traffic, then deletes the old one.
//!
//! The engine only keeps the clock: the responder announces the lifetime and
//! deletes an SA whose lifetime is over; the initiator emits
//! [`Event::ReauthRequired`] in time, and [`Session::reauthenticate`] starts
//! the replacement. Running both sessions side by side is the caller's job.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use tracing::{debug, info};

use super::init::{find_notify, notify};
use super::{Event, Role, Session, State};
use crate::crypto::RandomSource;
use crate::message::{NotifyType, Payload};

/// The authentication lifetime of an established IKE SA.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct AuthClock {
    /// Initiator: when to start reauthenticating. Responder: when the
    /// authentication expires and the SA is deleted.
    at: Option<Instant>,
    /// When the authentication runs out (the peer's deadline).
    expires: Option<Instant>,
    /// Initiator: [`Event::ReauthRequired`] was emitted for `at`.
    signalled: bool,
}

/// How long before the gateway's deadline reauthentication starts: a fifth
/// of the lifetime, at least 10 s (a person may have to answer a prompt), at
/// most 5 minutes, and never more than half the lifetime.
pub fn reauth_margin(lifetime: Duration) -> Duration {
    (lifetime / 5)
        .clamp(Duration::from_secs(10), Duration::from_secs(300))
        .min(lifetime / 2)
}

impl Session {
    /// Initiator: a new session that signs in again to the same gateway with
    /// the same configuration, to replace this one make-before-break (RFC
    /// 7296 2.8.3). It leaves out INITIAL_CONTACT (the gateway must keep this
    /// SA until we delete it) and asks for the virtual address this session
    /// holds. Its IKE_SA_INIT request is ready in `poll_transmit`.
    pub fn reauthenticate(&self, now: Instant, rng: Box<dyn RandomSource + Send>) -> Session {
        self.reauthenticate_with(now, rng, self.config.clone())
    }

    /// [`Self::reauthenticate`] with another configuration (e.g. one that
    /// asks for one-time codes instead of push approvals).
    pub fn reauthenticate_with(
        &self,
        now: Instant,
        rng: Box<dyn RandomSource + Send>,
        config: std::sync::Arc<crate::config::Config>,
    ) -> Session {
        let mut remote = self.remote;
        remote.set_port(500);
        let mut local = self.local;
        local.set_port(500);
        let mut s = Session::new_initiator(config, now, local, remote, rng, false);
        s.requested_vip = self.virtual_ip;
        s.start_init(now, None, None);
        s
    }

    /// Initiator: when the gateway's authentication of us runs out (the
    /// latest moment a reauthentication must be done by), if it said so.
    pub fn auth_expires(&self) -> Option<Instant> {
        self.auth_clock.expires
    }

    /// Initiator: asks for this virtual address in IKE_AUTH (set before
    /// IKE_SA_INIT is answered).
    pub(crate) fn request_virtual_ip(&mut self, vip: Option<IpAddr>) {
        self.requested_vip = match vip {
            Some(IpAddr::V4(a)) => Some(a),
            _ => None,
        };
    }

    /// The configuration this session runs with.
    pub fn config(&self) -> &std::sync::Arc<crate::config::Config> {
        &self.config
    }

    /// The virtual IPv4 address the gateway assigned, if any.
    pub fn virtual_ip(&self) -> Option<IpAddr> {
        self.virtual_ip.map(IpAddr::V4)
    }

    /// Records a CFG_REPLY's first IPv4 address (asked for again on reauthentication).
    pub(crate) fn note_virtual_ip(&mut self, addresses: &[(IpAddr, u8)]) {
        self.virtual_ip = addresses.iter().find_map(|(a, _)| match a {
            IpAddr::V4(v4) => Some(*v4),
            IpAddr::V6(_) => None,
        });
    }

    /// Initiator: takes an AUTH_LIFETIME notification (IKE_AUTH response or
    /// INFORMATIONAL request) and schedules the reauthentication.
    pub(crate) fn note_auth_lifetime(&mut self, now: Instant, payloads: &[Payload]) {
        if self.role != Role::Initiator {
            return;
        }
        let Some(n) = find_notify(payloads, NotifyType::AUTH_LIFETIME) else {
            return;
        };
        let Ok(secs) = <[u8; 4]>::try_from(n.data.as_slice()).map(u32::from_be_bytes) else {
            debug!(len = n.data.len(), "ignoring a malformed AUTH_LIFETIME");
            return;
        };
        let lifetime = Duration::from_secs(u64::from(secs));
        let start = now + lifetime.saturating_sub(reauth_margin(lifetime));
        info!(
            lifetime_s = secs,
            reauth_in_s = start.saturating_duration_since(now).as_secs(),
            "the gateway requires reauthentication (AUTH_LIFETIME)"
        );
        self.auth_clock = AuthClock {
            at: Some(start),
            expires: Some(now + lifetime),
            signalled: false,
        };
    }

    /// Responder: the AUTH_LIFETIME for the final IKE_AUTH response, and the
    /// deadline after which this SA is deleted.
    pub(crate) fn announce_auth_lifetime(&mut self, lifetime: Option<Duration>) -> Option<Payload> {
        let lifetime = lifetime?;
        let secs = u32::try_from(lifetime.as_secs()).unwrap_or(u32::MAX).max(1);
        let expires = self.clock + Duration::from_secs(u64::from(secs));
        self.auth_clock = AuthClock {
            at: Some(expires),
            expires: Some(expires),
            signalled: false,
        };
        Some(notify(
            NotifyType::AUTH_LIFETIME,
            secs.to_be_bytes().to_vec(),
        ))
    }

    /// The reauthentication timer, for `poll_timeout`.
    pub(crate) fn auth_timer(&self) -> Option<Instant> {
        if self.state != State::Established || self.auth_clock.signalled {
            return None;
        }
        self.auth_clock.at
    }

    /// Fires the reauthentication timer: the initiator is told to sign in
    /// again; a responder deletes an SA whose authentication expired.
    pub(crate) fn auth_timeout(&mut self, now: Instant) {
        let Some(at) = self.auth_timer() else { return };
        if now < at {
            return;
        }
        self.auth_clock.signalled = true;
        match self.role {
            Role::Initiator => {
                let deadline = self.auth_clock.expires.unwrap_or(at);
                info!("time to reauthenticate");
                self.events.push_back(Event::ReauthRequired { deadline });
            }
            Role::Responder => {
                info!(peer = ?self.peer_id, "the peer's authentication expired: deleting its IKE SA");
                self.close(now);
            }
        }
    }
}

/// The address a CFG_REQUEST asks for (all zeros: any).
pub(crate) fn requested_address(vip: Option<Ipv4Addr>) -> Vec<u8> {
    vip.map_or_else(Vec::new, |a| a.octets().to_vec())
}
