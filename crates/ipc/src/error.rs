//! [`IpcError`] (the connection failed) and [`DecodeError`] (one line was
//! unusable, the connection may go on).

use std::path::PathBuf;

use crate::request::RequestId;
use crate::version::PROTOCOL_VERSION;

/// Why a line could not be turned into a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct DecodeError {
    /// The line's `id`, when it could be read: a daemon answers the
    /// request with an `error` response carrying it.
    pub id: Option<RequestId>,
    /// What is wrong.
    pub kind: DecodeErrorKind,
}

/// What is wrong with a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// Not JSON at all.
    #[error("not a JSON line: {0}")]
    Syntax(String),
    /// JSON, but not an object.
    #[error("a message must be a JSON object")]
    NotAnObject,
    /// No `v` field.
    #[error("message has no \"v\" field; every line carries the protocol version (\"v\": {PROTOCOL_VERSION})")]
    MissingVersion,
    /// A `v` other than ours.
    #[error("unsupported protocol version {found}: this side speaks version {PROTOCOL_VERSION}; install matching versions of the Ibex daemon and agent")]
    UnsupportedVersion {
        /// The `v` found, as written.
        found: String,
    },
    /// A request without `id`.
    #[error(
        "request has no \"id\"; every request carries an id (a number) that its response echoes"
    )]
    MissingId,
    /// Well-formed, but not a known message: unknown `type`, a missing or
    /// mistyped field, an invalid profile.
    #[error("invalid {what}: {message}")]
    Invalid {
        /// `request`, `response` or `event`.
        what: &'static str,
        /// The parser's explanation.
        message: String,
    },
}

/// Why an IPC operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IpcError {
    /// The daemon's socket could not be reached.
    #[error("cannot connect to the Ibex daemon at {path}: {source}; is ibexd running, and may this user use it?")]
    Connect {
        /// The socket path.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// Reading or writing the socket failed.
    #[error("IPC connection: {0}")]
    Io(#[from] std::io::Error),
    /// A received line exceeded the limit. The connection is out of step
    /// and must be closed.
    #[error("received a line longer than {limit} bytes; closing the connection")]
    LineTooLong {
        /// The limit, [`crate::MAX_LINE_LEN`].
        limit: usize,
    },
    /// A message to send encodes to more than the limit.
    #[error("message of {len} bytes exceeds the {limit}-byte line limit and was not sent")]
    MessageTooLarge {
        /// Encoded length.
        len: usize,
        /// The limit, [`crate::MAX_LINE_LEN`].
        limit: usize,
    },
    /// A received line was not a valid message.
    #[error("bad message: {0}")]
    Decode(#[from] DecodeError),
    /// A message could not be encoded.
    #[error("cannot encode message: {0}")]
    Encode(String),
    /// The connection closed before the response arrived.
    #[error("the connection to the Ibex daemon closed")]
    Closed,
}
