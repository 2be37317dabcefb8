//! [`AppError`]: why a command failed, in words for the window.

use ibex_agent::credential::CredentialError;
use ibex_ipc::IpcError;
use ibex_profile::StoreError;

/// Why a command failed. Its text is shown to the person as it is, so it
/// never contains a secret (the IPC, store and credential errors it wraps
/// do not either).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The app has no connection to ibexd right now.
    #[error("ibexd is not reachable at {socket} ({reason}); is the Ibex service running, and are you in group 'ibex'?")]
    DaemonUnavailable {
        /// The socket tried.
        socket: String,
        /// Why the last attempt failed.
        reason: String,
    },
    /// ibexd answered with an error.
    #[error("{0}")]
    Daemon(String),
    /// The exchange with ibexd failed.
    #[error("ibexd: {0}")]
    Ipc(#[from] IpcError),
    /// The profile store failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The profile's certificate or key could not be read.
    #[error("{0}")]
    Credential(#[from] CredentialError),
    /// An edited profile document is not a valid profile (the text names
    /// the line and column), or an edit is not allowed.
    #[error("{0}")]
    Profile(String),
    /// A file the app reads or writes for the person (an export, the
    /// settings) failed.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// ibexd answered with something that does not fit the request.
    #[error("unexpected answer from ibexd to {0}")]
    Unexpected(&'static str),
}

impl serde::Serialize for AppError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}
