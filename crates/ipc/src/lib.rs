//! `ibex-ipc`: the protocol between the privileged daemon (`ibexd`) and the
//! per-user agents (CLI, GUI): message types, framing and an async client.
//!
//! The wire format is JSON lines over a Unix stream socket, every line one
//! object carrying `"v": 1` (see `docs/ipc.md`). A client sends
//! [`Request`]s with an `id` it chooses; the daemon answers each with a
//! [`Response`] carrying the same `id`, and pushes [`Event`]s (without `id`)
//! to subscribed clients. Secrets typed by the user travel only in
//! `answer` requests, as [`SecretString`]s that are redacted in `Debug` and
//! wiped from memory when dropped; the private key of a certificate
//! profile travels in `connect` as a [`ConnectCredential`], redacted the
//! same way. A `fido2` prompt carries the WebAuthn request in
//! [`Prompt::fido`] ([`FidoRequest`]); its answer is a [`FidoAssertion`] as
//! JSON text.
//!
//! This crate has no policy: the daemon and the agents decide what to do
//! with the messages.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod buffer;
mod client;
mod credential;
mod error;
mod event;
mod failure;
mod fido;
mod framing;
mod message;
mod request;
mod response;
mod secret;
mod version;

pub use client::{Client, Events};
pub use credential::ConnectCredential;
pub use error::{DecodeError, DecodeErrorKind, IpcError};
pub use event::{CloseReason, ConnectionState, Event, LogLevel, LogLine, Prompt, PromptKind};
pub use failure::{Failure, FailureKind};
pub use fido::{
    FidoAnswerError, FidoAssertion, FidoRequest, UserVerification, MAX_ASSERTION_FIELD_LEN,
    MAX_CREDENTIAL_ID_LEN,
};
pub use framing::{read_message, write_message, MAX_LINE_LEN};
pub use message::{ClientMessage, Message, ServerMessage};
pub use request::{PromptId, Request, RequestId};
pub use response::{Counters, ErrorCode, ProfileRef, Response, Status};
pub use secret::SecretString;
pub use version::{ProtocolVersion, PROTOCOL_VERSION};

/// The answer to a `push` prompt offering it in `choices`: sign in with a
/// one-time code instead of the approval.
pub const USE_CODE: &str = "code";
