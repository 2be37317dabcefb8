//! Talking to `ibexd`: where its socket is, the greeting, and turning
//! responses into results.

use std::ffi::OsString;
use std::path::PathBuf;

use ibex_ipc::{ConnectionState, IpcError, Request, Response};

/// The daemon's socket when neither `--socket` nor [`SOCKET_ENV`] says
/// otherwise.
pub const DEFAULT_SOCKET: &str = "/run/ibex/ibexd.sock";

/// The environment variable naming the daemon's socket.
pub const SOCKET_ENV: &str = "IBEX_SOCKET";

/// The socket to use: `explicit` (a command-line option), else
/// `$IBEX_SOCKET`, else [`DEFAULT_SOCKET`].
pub fn socket_path(explicit: Option<PathBuf>) -> PathBuf {
    socket_path_from(explicit, std::env::var_os(SOCKET_ENV))
}

fn socket_path_from(explicit: Option<PathBuf>, env: Option<OsString>) -> PathBuf {
    explicit
        .or_else(|| env.map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SOCKET))
}

/// The `hello` an agent sends first, naming itself (`ibex-cli`,
/// `ibex-app`) and its version.
pub fn hello(client: &str, version: &str) -> Request {
    Request::Hello {
        client: client.into(),
        version: version.into(),
    }
}

/// `Ok` for any answer but an `error` response; the error's message (for
/// people) or the transport failure otherwise.
pub fn check(r: Result<Response, IpcError>) -> Result<(), String> {
    match r {
        Ok(Response::Error { message, .. }) => Err(message),
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// A state in words, as people read it.
pub fn state_name(s: ConnectionState) -> &'static str {
    match s {
        ConnectionState::Disconnected => "disconnected",
        ConnectionState::Connecting => "connecting",
        ConnectionState::WaitingForUser => "waiting for you",
        ConnectionState::Connected => "connected",
        ConnectionState::Disconnecting => "disconnecting",
        ConnectionState::Error => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_then_environment_then_default() {
        let env = Some(OsString::from("/tmp/env.sock"));
        assert_eq!(
            socket_path_from(Some("/tmp/opt.sock".into()), env.clone()),
            PathBuf::from("/tmp/opt.sock")
        );
        assert_eq!(socket_path_from(None, env), PathBuf::from("/tmp/env.sock"));
        assert_eq!(socket_path_from(None, None), PathBuf::from(DEFAULT_SOCKET));
    }

    #[test]
    fn error_responses_are_errors() {
        let e = Response::Error {
            code: ibex_ipc::ErrorCode::NotConnected,
            message: "not connected".into(),
        };
        assert_eq!(check(Ok(e)), Err("not connected".into()));
        assert_eq!(check(Ok(Response::Ok)), Ok(()));
        assert!(check(Err(IpcError::Closed)).is_err());
    }
}
