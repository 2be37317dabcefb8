//! Lines on the wire: [`ClientMessage`] (agent to daemon) and
//! [`ServerMessage`] (daemon to agent), with the `v` and `id` envelope.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::buffer::SecureBuf;
use crate::error::{DecodeError, DecodeErrorKind, IpcError};
use crate::event::Event;
use crate::request::{Request, RequestId};
use crate::response::Response;
use crate::version::{ProtocolVersion, PROTOCOL_VERSION};

/// A message that can be one line of the protocol.
pub trait Message: Sized {
    /// The message as one line of compact JSON, without the newline, in a
    /// buffer that is wiped when dropped.
    fn encode(&self) -> Result<Zeroizing<Vec<u8>>, IpcError>;

    /// Reads a message from one line (without its newline).
    fn decode(line: &[u8]) -> Result<Self, DecodeError>;

    /// The message as one JSON line without the newline (for tests and
    /// logs of non-secret messages; [`crate::write_message`] is the
    /// framing).
    fn to_line(&self) -> Result<String, IpcError> {
        String::from_utf8(self.encode()?.to_vec()).map_err(|e| IpcError::Encode(e.to_string()))
    }
}

/// One line from an agent: a request and the id its response will carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientMessage {
    /// Chosen by the client.
    pub id: RequestId,
    /// The request.
    pub request: Request,
}

/// One line from the daemon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerMessage {
    /// The answer to the request with this id.
    Response {
        /// The request's id.
        id: RequestId,
        /// The answer.
        response: Response,
    },
    /// A pushed event (no id).
    Event(Event),
}

#[derive(Serialize)]
struct Envelope<'a, T> {
    v: ProtocolVersion,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<RequestId>,
    #[serde(flatten)]
    body: &'a T,
}

fn encode<T: Serialize>(id: Option<RequestId>, body: &T) -> Result<Zeroizing<Vec<u8>>, IpcError> {
    let envelope = Envelope {
        v: ProtocolVersion,
        id,
        body,
    };
    let mut out = SecureBuf::default();
    serde_json::to_writer(&mut out, &envelope).map_err(|e| IpcError::Encode(e.to_string()))?;
    Ok(out.into_inner())
}

/// The envelope fields, read first so that the version is checked before
/// anything else and the id is known even when the body is bad.
#[derive(Deserialize)]
struct Header {
    v: Option<serde_json::Value>,
    id: Option<serde_json::Value>,
}

fn header(line: &[u8]) -> Result<Option<RequestId>, DecodeError> {
    let fail = |id, kind| DecodeError { id, kind };
    let first = line.iter().find(|b| !b.is_ascii_whitespace());
    let h: Header = match first {
        Some(b'{') => serde_json::from_slice(line)
            .map_err(|e| fail(None, DecodeErrorKind::Syntax(e.to_string())))?,
        Some(_) if serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok() => {
            return Err(fail(None, DecodeErrorKind::NotAnObject))
        }
        _ => {
            let e = serde_json::from_slice::<serde::de::IgnoredAny>(line)
                .err()
                .map_or_else(|| "empty line".to_string(), |e| e.to_string());
            return Err(fail(None, DecodeErrorKind::Syntax(e)));
        }
    };
    let id = h.id.as_ref().and_then(serde_json::Value::as_u64);
    match h.v {
        None => Err(fail(id, DecodeErrorKind::MissingVersion)),
        Some(v) if v.as_u64() == Some(u64::from(PROTOCOL_VERSION)) => Ok(id),
        Some(v) => Err(fail(
            id,
            DecodeErrorKind::UnsupportedVersion {
                found: v.to_string(),
            },
        )),
    }
}

fn body<'a, T: Deserialize<'a>>(
    line: &'a [u8],
    id: Option<RequestId>,
    what: &'static str,
) -> Result<T, DecodeError> {
    serde_json::from_slice(line).map_err(|e| DecodeError {
        id,
        kind: DecodeErrorKind::Invalid {
            what,
            message: e.to_string(),
        },
    })
}

impl Message for ClientMessage {
    fn encode(&self) -> Result<Zeroizing<Vec<u8>>, IpcError> {
        encode(Some(self.id), &self.request)
    }

    fn decode(line: &[u8]) -> Result<Self, DecodeError> {
        let id = header(line)?.ok_or(DecodeError {
            id: None,
            kind: DecodeErrorKind::MissingId,
        })?;
        let request = body(line, Some(id), "request")?;
        Ok(ClientMessage { id, request })
    }
}

impl Message for ServerMessage {
    fn encode(&self) -> Result<Zeroizing<Vec<u8>>, IpcError> {
        match self {
            ServerMessage::Response { id, response } => encode(Some(*id), response),
            ServerMessage::Event(event) => encode(None, event),
        }
    }

    fn decode(line: &[u8]) -> Result<Self, DecodeError> {
        match header(line)? {
            Some(id) => Ok(ServerMessage::Response {
                id,
                response: body(line, Some(id), "response")?,
            }),
            None => Ok(ServerMessage::Event(body(line, None, "event")?)),
        }
    }
}
