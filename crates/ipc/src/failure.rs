//! [`Failure`]: why an attempt failed, structured for an agent's error
//! screen (the `reason` text stays the words for people).

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// What kind of failure ended an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// An authentication round failed (ours or the gateway's): wrong
    /// pre-shared key, password or code, a denied push, a refused
    /// certificate. `round` and `method` say which round.
    AuthFailed,
    /// A one-time code matched another time step: a clock is off by
    /// `skew_s` seconds.
    ClockSkew,
    /// The gateway accepted none of our IKE proposals (`ours`; `theirs`
    /// when it named what it wants).
    NoProposal,
    /// The gateway did not answer at `gateway`.
    GatewayUnreachable,
    /// The gateway's name could not be resolved.
    Dns,
    /// Nobody answered a prompt, or it was cancelled.
    Cancelled,
    /// The gateway refused the tunnel or reported an error, or broke the
    /// protocol.
    GatewayError,
    /// The system could not be set up (sockets, TUN device, routes, DNS).
    Setup,
    /// A kind this version does not know (or none fits).
    #[serde(other)]
    Other,
}

impl FailureKind {
    /// The wire name, e.g. `auth_failed`.
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::AuthFailed => "auth_failed",
            FailureKind::ClockSkew => "clock_skew",
            FailureKind::NoProposal => "no_proposal",
            FailureKind::GatewayUnreachable => "gateway_unreachable",
            FailureKind::Dns => "dns",
            FailureKind::Cancelled => "cancelled",
            FailureKind::GatewayError => "gateway_error",
            FailureKind::Setup => "setup",
            FailureKind::Other => "other",
        }
    }
}

/// A failed attempt, for an error screen. Every field but `kind` is left
/// out when unknown; none ever holds a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// What kind of failure.
    pub kind: FailureKind,
    /// The authentication round of the profile that failed, 1-based.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<u8>,
    /// That round's method: `psk`, `certificate`, or an EAP method
    /// (`mschapv2`, `gtc`, `tls`, `fido2`, `push`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// What happened, for people (one line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// No proposal: the IKE suites we offered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ours: Vec<String>,
    /// No proposal: what the gateway asked for, when it named it (e.g. a
    /// Diffie-Hellman group in INVALID_KE_PAYLOAD); usually empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub theirs: Vec<String>,
    /// Clock skew: how far off, in seconds (negative: the code was from
    /// the past, our clock is behind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skew_s: Option<i64>,
    /// The gateway's address and port, when the failure concerns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<SocketAddr>,
}

impl Failure {
    /// A failure of `kind` with nothing else known.
    pub fn new(kind: FailureKind) -> Failure {
        Failure {
            kind,
            round: None,
            method: None,
            detail: None,
            ours: Vec::new(),
            theirs: Vec::new(),
            skew_s: None,
            gateway: None,
        }
    }

    /// The same with `detail` set.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Failure {
        self.detail = Some(detail.into());
        self
    }
}
