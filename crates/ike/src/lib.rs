//! `ibex-ike`: a sans-IO IKEv2 engine (RFC 7296) for both roles.
//!
//! No sockets, threads or clocks live here: the caller feeds datagrams and the
//! current time in, and takes datagrams, events and the next deadline out
//! ([`Session`] for one IKE SA, [`Initiator`] for a client connection that
//! survives reauthentication, [`Responder`] for a gateway serving many).
#![forbid(unsafe_code)]

pub mod auth;
pub mod config;
pub mod crypto;
pub mod identity;
pub mod initiator;
pub mod keylog;
pub mod message;
pub mod pool;
pub mod proposal;
pub mod redirect_guard;
pub mod responder;
pub mod session;

pub use ibex_eap as eap;

pub use config::{
    Config, LocalAuth, PeerAuth, PeerEntry, RedirectPhase, RedirectPolicy, ResponderConfig,
    Retransmit,
};
pub use identity::Identity;
pub use initiator::{Initiator, RngSource};
pub use message::GatewayId;
pub use redirect_guard::{RedirectGuard, RedirectRefused};
pub use responder::{Responder, SessionId};
pub use session::{
    ChildSaInfo, CloseReason, Event, IkeSaInfo, ReceivedConfig, Role, Session, State, Transmit,
    REDIRECT_LEAVE_GRACE,
};
