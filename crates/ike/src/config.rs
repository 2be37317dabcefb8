//! Configuration of one IKE SA: proposals, identities, credentials, timers.

use std::net::IpAddr;
use std::time::Duration;

use crate::crypto::Secret;
use crate::identity::Identity;
use crate::message::TrafficSelector;
use crate::proposal::{EspProposal, IkeProposal};

/// How this side proves its identity.
#[derive(Clone, Debug)]
pub enum LocalAuth {
    /// Pre-shared key (RFC 7296 2.15).
    Psk(Secret),
    /// Certificate chain and private key (RFC 7427 digital signature).
    Certificate(crate::auth::CertCredential),
    /// EAP inside IKE_AUTH (RFC 7296 2.16): no AUTH payload until the EAP
    /// conversation ends; then AUTH over the MSK (or SK_pi without one).
    Eap(ibex_eap::PeerConfig),
}

/// How the peer must prove its identity.
#[derive(Clone, Debug)]
pub enum PeerAuth {
    /// The peer must use this pre-shared key.
    Psk(Secret),
    /// The peer must present a certificate that chains to one of these CAs
    /// and carries its identity.
    Certificate(crate::auth::TrustAnchors),
    /// Responder only: the peer must pass these EAP methods, in order, in
    /// one EAP conversation checked by [`ResponderConfig::eap_directory`].
    Eap(Vec<ibex_eap::ServerMethod>),
}

/// Retransmission of requests: exponential backoff (RFC 7296 2.1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Retransmit {
    /// Wait before the first retransmission.
    pub initial: Duration,
    /// Factor applied to the wait after each retransmission.
    pub factor: f64,
    /// Longest single wait.
    pub max_interval: Duration,
    /// Retransmissions before the peer is declared dead.
    pub tries: u32,
}

impl Default for Retransmit {
    /// 1 s, doubling, capped at 32 s, 7 retransmissions: about 127 s in all,
    /// long enough for a person to approve a push notification.
    fn default() -> Self {
        Retransmit {
            initial: Duration::from_secs(1),
            factor: 2.0,
            max_interval: Duration::from_secs(32),
            tries: 7,
        }
    }
}

impl Retransmit {
    /// How long a request is retransmitted before the peer counts as dead.
    pub fn total(&self) -> Duration {
        (0..=self.tries).map(|k| self.interval(k)).sum()
    }

    /// The wait after the `attempt`-th transmission (0 = first send).
    pub fn interval(&self, attempt: u32) -> Duration {
        let f = self.factor.max(1.0).powi(attempt.min(64) as i32);
        let d = self.initial.as_secs_f64() * f;
        Duration::from_secs_f64(d.min(self.max_interval.as_secs_f64()))
    }
}

/// Everything one IKE SA needs besides the network.
#[derive(Clone, Debug)]
pub struct Config {
    /// IKE proposals, most preferred first.
    pub ike_proposals: Vec<IkeProposal>,
    /// ESP proposals for Child SAs, most preferred first.
    pub esp_proposals: Vec<EspProposal>,
    /// Our identity (IDi / IDr).
    pub local_id: Identity,
    /// The identity the peer must have; `None` accepts any authenticated identity.
    pub remote_id: Option<Identity>,
    /// Our credential (the first authentication round).
    pub local_auth: LocalAuth,
    /// Initiator: further authentication rounds after `local_auth`
    /// (RFC 4739), e.g. a certificate, then EAP with a password.
    pub extra_auth: Vec<LocalAuth>,
    /// Initiator: offer EAP-only authentication (RFC 5998): a gateway may then
    /// skip its own AUTH when the EAP method authenticates both sides.
    pub eap_only: bool,
    /// What we require from the peer (initiator role; responders use their user table).
    pub peer_auth: Option<PeerAuth>,
    /// Our side of the Child SA's traffic selectors.
    pub local_ts: Vec<TrafficSelector>,
    /// The peer's side of the Child SA's traffic selectors.
    pub remote_ts: Vec<TrafficSelector>,
    /// Initiator: ask for a virtual IPv4 address (and DNS) with a CFG_REQUEST.
    pub request_vip: bool,
    /// Request retransmission schedule.
    pub retransmit: Retransmit,
    /// Always use UDP encapsulation on port 4500, even without a NAT (RFC 3948).
    pub force_encap: bool,
    /// Offer MOBIKE (RFC 4555).
    pub mobike: bool,
    /// Our other addresses, announced to a MOBIKE peer (ADDITIONAL_IP4/6_ADDRESS,
    /// RFC 4555 3.4) so it can move there, e.g. to another IP family.
    pub additional_addresses: Vec<IpAddr>,
    /// Initiator: accept gateway redirects (RFC 5685; sends
    /// REDIRECT_SUPPORTED). Off: a REDIRECT is ignored.
    pub follow_redirects: bool,
    /// Offer IKE fragmentation (RFC 7383) and fragment messages above this size.
    pub fragment_mtu: Option<usize>,
    /// Emit key-log events (Wireshark decryption tables). Dangerous: keys leave the engine.
    pub keylog: bool,
    /// Send a liveness check after this long without hearing from the peer.
    pub dpd_interval: Option<Duration>,
    /// A liveness check unanswered this long means the peer is dead.
    pub dpd_timeout: Duration,
    /// Rekey the IKE SA after this long (less up to 10 % at random);
    /// `None` leaves it to the peer.
    pub ike_lifetime: Option<Duration>,
    /// Rekey each Child SA after this long (less up to 10 % at random).
    pub child_lifetime: Option<Duration>,
    /// Time (UNIX seconds) at which peer certificates are validated; `None`
    /// reads the system clock at validation, the engine's one use of it.
    pub validation_time: Option<u64>,
}

impl Config {
    /// A configuration with sensible defaults and the given identity and credential.
    pub fn new(local_id: Identity, local_auth: LocalAuth) -> Config {
        Config {
            ike_proposals: vec![IkeProposal::default_modern()],
            esp_proposals: vec![EspProposal::default_modern()],
            local_id,
            remote_id: None,
            local_auth,
            extra_auth: Vec::new(),
            eap_only: false,
            peer_auth: None,
            local_ts: vec![TrafficSelector::any_v4()],
            remote_ts: vec![TrafficSelector::any_v4()],
            request_vip: false,
            retransmit: Retransmit::default(),
            force_encap: false,
            mobike: true,
            additional_addresses: Vec::new(),
            follow_redirects: true,
            fragment_mtu: Some(1280),
            keylog: false,
            dpd_interval: None,
            dpd_timeout: Duration::from_secs(30),
            ike_lifetime: None,
            child_lifetime: None,
            validation_time: None,
        }
    }
}

/// One user a responder knows.
#[derive(Clone, Debug)]
pub struct PeerEntry {
    /// The identity the peer presents as IDi.
    pub id: Identity,
    /// How the peer authenticates (the first round).
    pub auth: PeerAuth,
    /// Further rounds the peer must pass (RFC 4739).
    pub extra: Vec<PeerAuth>,
}

/// A responder's view: its own configuration plus the peers it accepts.
#[derive(Clone)]
pub struct ResponderConfig {
    /// Proposals, identity and credential of the responder itself.
    pub base: Config,
    /// Accepted peers.
    pub peers: Vec<PeerEntry>,
    /// Virtual IPv4 addresses handed out on CFG_REQUEST: first and last address.
    pub pool: Option<(std::net::Ipv4Addr, std::net::Ipv4Addr)>,
    /// DNS servers pushed with a virtual address.
    pub dns: Vec<IpAddr>,
    /// Answer IKE_SA_INIT with a COOKIE when this many SAs are half open (RFC 7296 2.6).
    pub cookie_threshold: usize,
    /// Checks the credentials of EAP rounds.
    pub eap_directory: Option<std::sync::Arc<dyn ibex_eap::Directory>>,
    /// How long an IKE_AUTH exchange may wait for the peer's next EAP
    /// message (a person typing a code) before the half-open SA is dropped.
    pub eap_step_timeout: Duration,
    /// The gateway's EAP-TLS credential and client CAs, for users with
    /// EAP-TLS rounds.
    pub eap_tls: Option<std::sync::Arc<ibex_eap::TlsServerConfig>>,
    /// Leave out the gateway's own AUTH when the peer offers EAP-only and
    /// every method of its first round is safe (EAP-TLS; RFC 5998). Off by
    /// default: clients that insist on a gateway signature (strongSwan's
    /// `remote { auth = pubkey }`) look the same on the wire.
    pub eap_only: bool,
    /// Authentication lifetime announced to initiators (AUTH_LIFETIME, RFC
    /// 4478): they must sign in again before it runs out, and an SA whose
    /// lifetime is over is deleted. `None`: authentications never expire.
    pub auth_lifetime: Option<Duration>,
    /// Send clients to other gateways (RFC 5685), e.g. to spread load.
    pub redirect: Option<RedirectPolicy>,
}

/// When and where a responder redirects clients that support it (RFC 5685).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectPolicy {
    /// The gateways to send clients to, taken in turn.
    pub gateways: Vec<crate::message::GatewayId>,
    /// In which exchange new clients are redirected.
    pub during: RedirectPhase,
    /// Also redirect clients that arrive redirected (REDIRECTED_FROM) from
    /// another gateway. Off by default: a fleet should not bounce clients.
    pub redirected_clients: bool,
}

/// The exchange in which a responder redirects new clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirectPhase {
    /// In the IKE_SA_INIT response, before any state is kept (RFC 5685 4).
    Init,
    /// In the last IKE_AUTH response, once the client is authenticated
    /// (RFC 5685 5): the gateway can choose by identity.
    Auth,
    /// Never for new clients; established ones only when asked
    /// ([`crate::Responder::redirect`]), e.g. to drain a gateway.
    Established,
}

impl std::fmt::Debug for ResponderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponderConfig")
            .field("base", &self.base)
            .field("peers", &self.peers)
            .field("pool", &self.pool)
            .field("dns", &self.dns)
            .field("cookie_threshold", &self.cookie_threshold)
            .field("eap_directory", &self.eap_directory.is_some())
            .field("eap_step_timeout", &self.eap_step_timeout)
            .field("eap_tls", &self.eap_tls.is_some())
            .field("eap_only", &self.eap_only)
            .field("auth_lifetime", &self.auth_lifetime)
            .field("redirect", &self.redirect)
            .finish()
    }
}
