//! [`Request`]: what an agent asks of the daemon.

use ibex_profile::Profile;
use serde::{Deserialize, Deserializer, Serialize};

use crate::credential::ConnectCredential;
use crate::event::LogLevel;
use crate::secret::SecretString;

/// Chosen by the client for each request and echoed in its response;
/// unique among the client's outstanding requests.
pub type RequestId = u64;

/// Chosen by the daemon for each prompt; unique for the daemon's lifetime.
pub type PromptId = u64;

/// A request from an agent. On the wire: `{"v": 1, "id": N, "type": ...}`
/// plus the fields of the variant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// Introduces the client; answered with [`crate::Response::Welcome`].
    Hello {
        /// Program name, e.g. `ibex-cli`.
        client: String,
        /// Program version.
        version: String,
    },
    /// Brings up the tunnel described by `profile`. The profile is
    /// validated when the request is decoded. For a certificate profile,
    /// or an EAP profile with an EAP-TLS round, the agent sends the
    /// certificate and key it read as the user in `credential` (the daemon
    /// never reads user files); every other secret is asked for with
    /// `prompt` events.
    Connect {
        /// The whole validated profile.
        #[serde(deserialize_with = "validated_profile")]
        profile: Box<Profile>,
        /// The client certificate and private key, for
        /// `auth.method = "certificate"` or an EAP-TLS round; absent
        /// otherwise (and left out of the line, so older daemons and agents
        /// still understand it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        credential: Option<ConnectCredential>,
    },
    /// Tears the tunnel down.
    Disconnect,
    /// Asks for a [`crate::Response::Status`].
    Status,
    /// Starts the push of [`crate::Event`]s to this connection.
    Subscribe,
    /// Answers a prompt. The first answer wins; every subscriber then gets
    /// `prompt_closed`.
    Answer {
        /// The prompt answered.
        prompt_id: PromptId,
        /// The answer: a password, key, code or PIN, or one of the prompt's
        /// `choices`; for a `fido2` prompt the security key's assertion as
        /// JSON text ([`crate::FidoAssertion::to_answer`]). Empty for
        /// prompts that need only an acknowledgement.
        value: SecretString,
    },
    /// Gives up on a prompt (the user pressed Cancel); the attempt that
    /// needed it fails.
    CancelPrompt {
        /// The prompt cancelled.
        prompt_id: PromptId,
    },
    /// Asks for the daemon's recent log lines ([`crate::Response::Logs`]);
    /// with `follow`, new lines then come to this connection as `log`
    /// events (`follow: false` stops them). Added in version 1: an older
    /// daemon answers `bad_request`.
    Logs {
        /// The least severe level wanted; default `info`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        level: Option<LogLevel>,
        /// Send new lines as `log` events from now on (`true`), stop
        /// (`false`), or leave as it is (absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        follow: Option<bool>,
    },
}

fn validated_profile<'de, D: Deserializer<'de>>(d: D) -> Result<Box<Profile>, D::Error> {
    ibex_profile::deserialize_validated(d).map(Box::new)
}
