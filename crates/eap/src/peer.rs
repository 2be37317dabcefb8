//! The EAP peer: answers the server's requests, asking the person when needed.

use thiserror::Error;

use crate::{Answer, MethodType, Prompt, Secret};

/// What the peer knows before the conversation starts.
#[derive(Clone, Debug, Default)]
pub struct PeerConfig {
    /// Sent in EAP-Response/Identity and as the MSCHAPv2 user name.
    pub identity: String,
    /// The account password, if already known (otherwise it is prompted for).
    pub password: Option<Secret>,
    /// Accept EAP-MD5-Challenge (weak; off unless the profile allows it).
    pub allow_md5: bool,
    /// Answer push requests with "use a code instead" when the server allows it.
    pub prefer_code: bool,
}

/// What to do after feeding the peer a packet or an answer.
#[derive(Debug)]
pub enum PeerStep {
    /// Send this EAP response.
    Respond(Vec<u8>),
    /// Ask the person, then call [`Peer::answer`].
    Prompt(Prompt),
    /// Send this response and show the prompt while the server takes its
    /// time (push approval): the server holds its next request until the
    /// person approves on their device or `prompt.timeout` runs out.
    Wait {
        /// The response to send.
        response: Vec<u8>,
        /// What to show meanwhile.
        prompt: Prompt,
    },
    /// EAP-Success after a completed method.
    Success,
    /// The conversation failed.
    Failure(PeerFailure),
    /// The packet was invalid or unexpected and is ignored (RFC 3748 silent discard).
    Discard(String),
}

/// Why the conversation failed, as the person should hear it.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum PeerFailure {
    /// The server rejected what we sent; `reason` is the server's
    /// machine-readable reason (see docs/eap.md), `message` its text.
    #[error("the gateway rejected the {method} step{}", fmt_message(.message))]
    Rejected {
        /// Method name of the failed step.
        method: String,
        /// Reason token, such as `otp-wrong`, `otp-replayed`, `push-denied`.
        reason: Option<String>,
        /// Human-readable text from the gateway.
        message: Option<String>,
    },
    /// MSCHAPv2 error 691.
    #[error("wrong user name or password{}", fmt_message(.0))]
    WrongPassword(Option<String>),
    /// MSCHAPv2 error 648.
    #[error("the password has expired; change it first")]
    PasswordExpired,
    /// MSCHAPv2 errors 646, 647, 649.
    #[error("the account may not sign in now (MSCHAPv2 error {0})")]
    AccountRestricted(u32),
    /// The server's MSCHAPv2 authenticator response was wrong: it does not know our password.
    #[error("the gateway failed to prove it knows the password (possible impostor)")]
    ServerNotAuthenticated,
    /// The server insists on a method we do not accept.
    #[error("the gateway asked for {0}, which this profile does not allow")]
    MethodNotAllowed(String),
    /// The person cancelled.
    #[error("cancelled")]
    Cancelled,
}

fn fmt_message(m: &Option<String>) -> String {
    m.as_ref().map(|m| format!(": {m}")).unwrap_or_default()
}

/// The peer side of one EAP conversation.
pub struct Peer {
    config: PeerConfig,
    binding: Vec<u8>,
    msk: Option<Secret>,
}

impl Peer {
    /// A peer; `binding` is the IKE SA's channel binding (for FIDO2).
    pub fn new(config: PeerConfig, binding: Vec<u8>) -> Peer {
        Peer {
            config,
            binding,
            msk: None,
        }
    }

    /// Feeds one EAP packet from the server.
    pub fn handle(&mut self, packet: &[u8]) -> PeerStep {
        let _ = (packet, &self.config, &self.binding);
        todo!("EAP peer")
    }

    /// Answers the prompt last returned.
    pub fn answer(&mut self, answer: Answer) -> PeerStep {
        let _ = answer;
        todo!("EAP peer answer")
    }

    /// The master session key, once a key-generating method succeeded.
    pub fn msk(&self) -> Option<&Secret> {
        self.msk.as_ref()
    }

    /// The method in progress or last completed.
    pub fn method(&self) -> Option<MethodType> {
        None
    }
}
