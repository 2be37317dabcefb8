//! What a session hands to the application.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use crate::crypto::{IkeSuite, Secret};
use crate::identity::Identity;
use crate::keylog::KeyLogLine;
use crate::message::{GatewayId, TrafficSelector};
use crate::proposal::ChildSuite;

/// A datagram to send. On port 4500 the I/O layer adds the 4-byte non-ESP
/// marker (RFC 3948 2.2); `data` is the IKE message alone.
#[derive(Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Source address (the socket to send from).
    pub local: SocketAddr,
    /// Destination.
    pub remote: SocketAddr,
    /// The IKE message.
    pub data: Vec<u8>,
}

impl fmt::Debug for Transmit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Transmit({} -> {}, {} bytes)",
            self.local,
            self.remote,
            self.data.len()
        )
    }
}

/// The established IKE SA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IkeSaInfo {
    /// Initiator SPI.
    pub spi_i: [u8; 8],
    /// Responder SPI.
    pub spi_r: [u8; 8],
    /// Negotiated suite.
    pub suite: IkeSuite,
    /// The authenticated peer identity.
    pub peer_id: Identity,
    /// We are behind a NAT (or encapsulation is forced).
    pub nat_local: bool,
    /// The peer is behind a NAT.
    pub nat_remote: bool,
    /// Both sides support MOBIKE.
    pub mobike: bool,
    /// Both sides support IKE fragmentation.
    pub fragmentation: bool,
}

/// A Child SA ready for the data plane, keys included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildSaInfo {
    /// SPI of inbound ESP packets (ours).
    pub spi_in: u32,
    /// SPI of outbound ESP packets (the peer's).
    pub spi_out: u32,
    /// Negotiated algorithms.
    pub suite: ChildSuite,
    /// Encryption key for inbound packets (AEAD: key || salt).
    pub encr_in: Secret,
    /// Integrity key for inbound packets (empty for AEAD).
    pub integ_in: Secret,
    /// Encryption key for outbound packets.
    pub encr_out: Secret,
    /// Integrity key for outbound packets.
    pub integ_out: Secret,
    /// Our traffic selectors.
    pub ts_local: Vec<TrafficSelector>,
    /// The peer's traffic selectors.
    pub ts_remote: Vec<TrafficSelector>,
    /// ESP must be UDP-encapsulated (RFC 3948).
    pub encap: bool,
    /// The inbound SPI of the Child SA this one replaces (rekey).
    pub replaces: Option<u32>,
    /// We initiated the exchange that created it, so the peer had it
    /// installed before we did; as responder, the peer installs it only when
    /// our response arrives (send on it once it carries inbound traffic).
    pub initiated: bool,
}

/// Configuration received in a CFG_REPLY (RFC 7296 3.15).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReceivedConfig {
    /// Virtual addresses with prefix lengths.
    pub addresses: Vec<(IpAddr, u8)>,
    /// DNS servers.
    pub dns: Vec<IpAddr>,
    /// Protected subnets (INTERNAL_IP4_SUBNET / INTERNAL_IP6_SUBNET).
    pub subnets: Vec<(IpAddr, u8)>,
}

/// Why a session ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// We closed it.
    LocalClose,
    /// The peer deleted the IKE SA.
    PeerDeleted,
    /// The peer stopped answering an established SA.
    PeerDead,
    /// The peer never answered the handshake.
    Timeout,
    /// No common IKE proposal (with what each side offered).
    NoProposalChosen,
    /// Authentication failed; the text says which side and why.
    AuthenticationFailed(String),
    /// The peer answered with an error notification.
    PeerError(String),
    /// A protocol violation by the peer.
    Protocol(String),
    /// An EAP round failed (wrong password or code, push denied, ...).
    Eap(ibex_eap::PeerFailure),
    /// The gateway dropped the half-built SA while we were signing in (it
    /// answered INVALID_IKE_SPI): a person took longer than it waits.
    SignInExpired,
    /// The gateway answered a liveness check with INVALID_IKE_SPI: it no
    /// longer has this IKE SA (it restarted, or timed us out).
    PeerForgot,
    /// The gateway sent us to another gateway (RFC 5685) before the IKE SA
    /// was up: connect there (sending REDIRECTED_FROM).
    Redirected(GatewayId),
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::LocalClose => write!(f, "closed locally"),
            CloseReason::PeerDeleted => write!(f, "the gateway deleted the connection"),
            CloseReason::PeerDead => {
                write!(f, "the gateway stopped answering (liveness check failed)")
            }
            CloseReason::Timeout => write!(
                f,
                "the gateway did not answer; check its address and that UDP 500/4500 are reachable"
            ),
            CloseReason::NoProposalChosen => write!(
                f,
                "no common proposal: the gateway accepts none of the configured algorithms"
            ),
            CloseReason::AuthenticationFailed(why) => write!(f, "authentication failed: {why}"),
            CloseReason::PeerError(e) => write!(f, "the peer reported an error: {e}"),
            CloseReason::Protocol(e) => write!(f, "protocol error: {e}"),
            CloseReason::Eap(e) => write!(f, "sign-in failed: {e}"),
            CloseReason::PeerForgot => write!(
                f,
                "the gateway no longer knows this connection (it restarted or timed it out)"
            ),
            CloseReason::SignInExpired => write!(
                f,
                "the gateway stopped waiting for this sign-in (an answer took too long)"
            ),
            CloseReason::Redirected(to) => {
                write!(f, "the gateway redirected this connection to {to}")
            }
        }
    }
}

/// Something the application must act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The IKE SA is authenticated and established.
    IkeUp(IkeSaInfo),
    /// The IKE SA was replaced by a rekey; new SPIs.
    IkeRekeyed(IkeSaInfo),
    /// A Child SA is ready; install it.
    ChildUp(ChildSaInfo),
    /// A Child SA is gone; remove it.
    ChildDown {
        /// Its inbound SPI.
        spi_in: u32,
        /// Its outbound SPI.
        spi_out: u32,
    },
    /// Creating a Child SA failed, the IKE SA stays up.
    ChildFailed(String),
    /// Configuration from the responder (virtual IP, DNS, subnets).
    Config(ReceivedConfig),
    /// IKE moved to new endpoints (e.g. the switch to port 4500).
    EndpointsChanged {
        /// New local endpoint.
        local: SocketAddr,
        /// New remote endpoint.
        remote: SocketAddr,
    },
    /// A key-log line (only when enabled).
    KeyLog(KeyLogLine),
    /// Initiator: EAP needs the person. Answer with [`super::Session::answer`],
    /// except for push prompts, which only inform (the request is already sent).
    Prompt(ibex_eap::Prompt),
    /// Initiator: the prompt shown last is no longer current.
    PromptClosed,
    /// Initiator: the gateway's authentication of us runs out at `deadline`
    /// (RFC 4478): sign in again with [`super::Session::reauthenticate`]
    /// while this session keeps carrying traffic, then close this one.
    ReauthRequired {
        /// When the gateway will delete this IKE SA.
        deadline: std::time::Instant,
    },
    /// [`crate::Initiator`]: the new sign-in is done and its Child SA
    /// (announced just before as [`Event::ChildUp`]) carries the traffic;
    /// the replaced IKE SA is being deleted.
    Reauthenticated(IkeSaInfo),
    /// [`crate::Initiator`]: signing in again failed; the working IKE SA
    /// lasts until the gateway's deadline.
    ReauthFailed(CloseReason),
    /// Initiator: the gateway asks us to move this established connection
    /// to another gateway (RFC 5685 6). Resolve it, make it reachable, then
    /// [`crate::Initiator::follow_redirect`]: the new IKE SA is built beside
    /// this one, which keeps carrying traffic until it is replaced.
    Redirect(GatewayId),
    /// The session is over.
    Closed(CloseReason),
}
