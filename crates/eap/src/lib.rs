//! Sans-IO EAP (RFC 3748) for IKEv2: the peer (client) and the server
//! (authenticator) sides of the methods Ibex speaks inside IKE_AUTH.
//!
//! Neither side does I/O. The peer turns each EAP request into a response,
//! or into a [`Prompt`] that the application answers with [`Answer`]. The
//! server asks a [`Directory`] (the user database of the application) to
//! check what the peer sent, and may hold its answer while a push approval
//! is pending ([`ServerStep::Pending`]).

mod directory;
mod packet;
mod peer;
mod prompt;
mod random;
mod secret;
mod server;

pub use directory::{Directory, OtpCheck, PushState, PushTicket, ServerMethod};
pub use packet::{Code, DecodeError, MethodType, Packet};
pub use peer::{Peer, PeerConfig, PeerFailure, PeerStep};
pub use prompt::{Answer, FidoAssertion, FidoRequest, Prompt, PromptKind};
pub use random::Random;
pub use secret::Secret;
pub use server::{Server, ServerFailure, ServerStep};
