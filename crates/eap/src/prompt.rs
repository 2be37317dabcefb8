//! What the peer needs from the person: prompts out, answers in.

use std::time::Duration;

use crate::{MethodType, Secret};

/// The kind of input a prompt asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptKind {
    /// An account password (EAP-MSCHAPv2, EAP-GTC password).
    Password,
    /// A one-time code (EAP-GTC carrying a TOTP/HOTP code).
    Otp,
    /// Approve on another device; no answer expected (see [`crate::PeerStep::Wait`]).
    Push,
    /// Touch a FIDO2 security key.
    Fido2,
    /// The security key's PIN.
    Pin,
}

/// A request for input, shown by the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    /// What is asked.
    pub kind: PromptKind,
    /// The EAP method that asks.
    pub method: MethodType,
    /// Text from the gateway (GTC challenge, push message), printable
    /// characters only and at most 256 of them.
    pub text: Option<String>,
    /// Push: the number the person must match on their device.
    pub number: Option<u32>,
    /// How long the gateway waits for this answer, from now.
    pub timeout: Option<Duration>,
    /// Push: the gateway accepts a one-time code instead.
    pub code_alternative: bool,
    /// FIDO2: what the security key must sign.
    pub fido: Option<FidoRequest>,
}

impl Prompt {
    /// A prompt of `kind` from `method` with nothing else set.
    pub fn new(kind: PromptKind, method: MethodType) -> Prompt {
        Prompt {
            kind,
            method,
            text: None,
            number: None,
            timeout: None,
            code_alternative: false,
            fido: None,
        }
    }
}

/// A WebAuthn assertion request (the gateway's challenge bound to the IKE SA).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FidoRequest {
    /// Relying-party ID (a domain).
    pub rp_id: String,
    /// The origin the client data names (`https://` + rp_id).
    pub origin: String,
    /// The challenge to sign, already bound to this IKE SA.
    pub challenge: Vec<u8>,
    /// Credential IDs the gateway accepts; empty means any discoverable credential.
    pub allow_credentials: Vec<Vec<u8>>,
    /// User verification: "required", "preferred" or "discouraged".
    pub user_verification: String,
}

/// A WebAuthn assertion produced by a security key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FidoAssertion {
    /// The credential that signed.
    pub credential_id: Vec<u8>,
    /// Authenticator data.
    pub authenticator_data: Vec<u8>,
    /// The client data JSON that was hashed and signed.
    pub client_data_json: Vec<u8>,
    /// The signature.
    pub signature: Vec<u8>,
    /// The user handle, for discoverable credentials.
    pub user_handle: Option<Vec<u8>>,
}

/// The application's answer to the last prompt.
#[derive(Clone, Debug)]
pub enum Answer {
    /// A password, code or PIN.
    Secret(Secret),
    /// A security key's assertion.
    Fido(FidoAssertion),
    /// The person gave up.
    Cancel,
}
