//! `ibex-ike`: a sans-IO IKEv2 engine (RFC 7296) for both roles.
//!
//! No sockets, threads or clocks live here: the caller feeds datagrams and the
//! current time in, and takes datagrams, events and the next deadline out
//! ([`Session`] for one IKE SA, [`Responder`] for a gateway serving many).
#![forbid(unsafe_code)]

#[cfg(feature = "wip")]
pub mod config;
pub mod crypto;
#[cfg(feature = "wip")]
pub mod identity;
#[cfg(feature = "wip")]
pub mod keylog;
pub mod message;
#[cfg(feature = "wip")]
pub mod pool;
#[cfg(feature = "wip")]
pub mod proposal;
#[cfg(feature = "wip")]
pub mod responder;
#[cfg(feature = "wip")]
pub mod session;

#[cfg(feature = "wip")]
pub use config::{Config, LocalAuth, PeerAuth, PeerEntry, ResponderConfig, Retransmit};
#[cfg(feature = "wip")]
pub use identity::Identity;
#[cfg(feature = "wip")]
pub use responder::{Responder, SessionId};
#[cfg(feature = "wip")]
pub use session::{ChildSaInfo, CloseReason, Event, IkeSaInfo, ReceivedConfig, Role, Session, State, Transmit};
