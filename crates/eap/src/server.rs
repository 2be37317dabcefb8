//! The EAP server (authenticator): runs the configured methods in order.

use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use crate::{Directory, Random, Secret, ServerMethod};

/// What to do after starting, feeding or polling the server.
#[derive(Debug)]
pub enum ServerStep {
    /// Send this EAP request.
    Request(Vec<u8>),
    /// Waiting on the directory (a push approval): hold the response and
    /// call [`Server::poll`] later.
    Pending,
    /// Send this EAP-Success; the conversation is over.
    Success(Vec<u8>),
    /// Send this EAP-Failure; the conversation is over.
    Failure(Vec<u8>, ServerFailure),
    /// The packet was invalid or unexpected and is ignored.
    Discard(String),
}

/// Why the server failed the peer (for logs; the peer learns the reason token).
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ServerFailure {
    /// The directory does not know the user or lacks the credential.
    #[error("unknown user or no credential for this method")]
    UnknownUser,
    /// Locked out after repeated failures.
    #[error("locked out for {0:?}")]
    LockedOut(Duration),
    /// Wrong password.
    #[error("wrong password")]
    WrongPassword,
    /// Wrong one-time code.
    #[error("wrong one-time code")]
    WrongCode,
    /// A code matched outside the window: the peer's clock is off.
    #[error("one-time code from a clock off by {0} steps")]
    ClockSkew(i64),
    /// A code already used.
    #[error("replayed one-time code")]
    ReplayedCode,
    /// Push denied on the device.
    #[error("push denied")]
    PushDenied,
    /// Push not answered in time.
    #[error("push timed out")]
    PushExpired,
    /// FIDO2 assertion rejected.
    #[error("security key assertion rejected: {0}")]
    FidoFailed(String),
    /// The peer refused every method we offered.
    #[error("the peer refused the method")]
    MethodRefused,
    /// The peer sent something invalid.
    #[error("malformed: {0}")]
    Malformed(String),
}

/// The server side of one EAP conversation for one user.
pub struct Server {
    directory: Arc<dyn Directory>,
    user: String,
    methods: Vec<ServerMethod>,
    binding: Vec<u8>,
    msk: Option<Secret>,
}

impl Server {
    /// A conversation authenticating `user` with `methods` in order;
    /// `binding` is the IKE SA's channel binding (for FIDO2).
    pub fn new(
        directory: Arc<dyn Directory>,
        user: String,
        methods: Vec<ServerMethod>,
        binding: Vec<u8>,
    ) -> Server {
        Server {
            directory,
            user,
            methods,
            binding,
            msk: None,
        }
    }

    /// The first request.
    pub fn start(&mut self, rng: &mut dyn Random) -> ServerStep {
        let _ = (
            rng,
            &self.directory,
            &self.user,
            &self.methods,
            &self.binding,
        );
        todo!("EAP server start")
    }

    /// Feeds one EAP response from the peer.
    pub fn handle(&mut self, packet: &[u8], rng: &mut dyn Random) -> ServerStep {
        let _ = (packet, rng);
        todo!("EAP server handle")
    }

    /// Re-checks a pending step (push approval).
    pub fn poll(&mut self, rng: &mut dyn Random) -> ServerStep {
        let _ = rng;
        todo!("EAP server poll")
    }

    /// The MSK of the last key-generating method, after success.
    pub fn msk(&self) -> Option<&Secret> {
        self.msk.as_ref()
    }

    /// The user being authenticated.
    pub fn user(&self) -> &str {
        &self.user
    }
}
