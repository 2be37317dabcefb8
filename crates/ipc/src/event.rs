//! [`Event`]: what the daemon pushes to subscribed agents.

use serde::{Deserialize, Serialize};

use crate::failure::Failure;
use crate::fido::FidoRequest;
use crate::request::PromptId;
use crate::response::Counters;

/// A pushed message. On the wire: `{"v": 1, "type": ...}` without `id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The connection changed state.
    State {
        /// The new state.
        state: ConnectionState,
        /// Why, for people (e.g. the gateway's refusal); mostly with
        /// `error` and `disconnected`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// With `error` (and `disconnected` after a failed attempt): the
        /// failure, structured for an error screen. Left out otherwise, and
        /// by daemons that predate it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failure: Option<Box<Failure>>,
    },
    /// The daemon needs something from the user; any agent may answer.
    Prompt(Prompt),
    /// A prompt is over: agents should take it off the screen.
    PromptClosed {
        /// The prompt.
        prompt_id: PromptId,
        /// Why it closed.
        reason: CloseReason,
    },
    /// Periodic traffic statistics while connected.
    Stats {
        /// Seconds since the tunnel came up.
        uptime_s: u64,
        /// The counters, as top-level fields.
        #[serde(flatten)]
        counters: Counters,
    },
    /// A log line of the daemon, for an agent's log view (only to
    /// connections that asked with `logs` and `follow`).
    Log(LogLine),
}

/// One log line of the daemon.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// Severity.
    pub level: LogLevel,
    /// The text: the message, then its fields as `key=value`.
    pub message: String,
    /// When, in milliseconds since the UNIX epoch (left out by daemons
    /// that predate it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_ms: Option<u64>,
    /// Where in the daemon (the tracing target, e.g. `ibexd::manager`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// Where the connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// No tunnel.
    Disconnected,
    /// Resolving, negotiating, authenticating.
    Connecting,
    /// Blocked on a prompt.
    WaitingForUser,
    /// The tunnel is up.
    Connected,
    /// Tearing down.
    Disconnecting,
    /// The last attempt failed (the `reason` says why); the daemon may
    /// retry per the profile's `reconnect` settings.
    Error,
}

/// A request for input from the user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    /// Identifies the prompt in `answer`, `cancel_prompt` and
    /// `prompt_closed`.
    pub prompt_id: PromptId,
    /// What is asked for.
    pub kind: PromptKind,
    /// Text from the gateway or the daemon to show (untrusted: display it
    /// as plain text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// For push approvals with number matching: the number to type or
    /// confirm on the phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_to_match: Option<String>,
    /// When the prompt expires, in UNIX seconds; the daemon then closes it
    /// with reason `expired`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<u64>,
    /// When not empty, the answer must be one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// For `fido2` prompts: what the security key must sign. The answer is
    /// the key's assertion as JSON text ([`crate::FidoAssertion::to_answer`]).
    /// Left out for other kinds (and by daemons that predate it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fido: Option<FidoRequest>,
}

/// What a prompt asks for; the agent picks the input widget by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PromptKind {
    /// An account password (EAP-MSCHAPv2).
    Password,
    /// The profile's pre-shared key.
    Psk,
    /// A one-time code (EAP-GTC, TOTP).
    Otp,
    /// Approve a push notification on a phone; answer with an empty value
    /// once approved, or let the daemon close it.
    Push,
    /// Touch a FIDO2 security key: the prompt's `fido` says what the key
    /// must sign, and the answer is its assertion (JSON text).
    Fido2,
    /// A PIN (smart card, security key).
    Pin,
    /// The passphrase of the certificate's private key file.
    CertificatePassphrase,
    /// A kind this version does not know: show the text and accept typed
    /// input.
    #[serde(other)]
    Unknown,
}

/// Why a prompt closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// Some agent answered it (the first answer wins).
    Answered,
    /// An agent cancelled it, or the attempt that needed it ended.
    Cancelled,
    /// Its deadline passed.
    Expired,
}

/// Severity of a [`Event::Log`] line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    /// Failures.
    Error,
    /// Suspicious conditions.
    Warn,
    /// Milestones.
    Info,
    /// Details.
    Debug,
    /// Everything.
    Trace,
}

impl LogLevel {
    /// The wire name, e.g. `warn`.
    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}
