//! Sans-IO EAP (RFC 3748) for IKEv2: the peer (client) and the server
//! (authenticator) sides of the methods Ibex speaks inside IKE_AUTH.
//!
//! Neither side does I/O. The peer turns each EAP request into a response,
//! or into a [`Prompt`] that the application answers with [`Answer`]. The
//! server asks a [`Directory`] (the user database of the application) to
//! check what the peer sent, and may hold its answer while a push approval
//! is pending ([`ServerStep::Pending`]).
//!
//! Methods: EAP-MSCHAPv2 (with MSK), EAP-GTC (password or one-time code),
//! EAP-MD5 (peer only, off by default), EAP-TLS (TLS 1.2 and 1.3, rustls
//! driven in memory, with MSK), and Ibex's experimental push approval and
//! FIDO2 methods. Wire formats, reason tokens and the channel
//! binding are described in docs/eap.md.

mod directory;
mod methods;
mod mschapv2_crypto;
mod packet;
mod peer;
mod prompt;
mod random;
pub mod reason;
mod secret;
mod server;
mod text;

pub use directory::{Directory, OtpCheck, PushState, PushTicket, ServerMethod};
pub use methods::tls::{TlsClientConfig, TlsConfigError, TlsServerConfig, TlsVersions};
pub use packet::{Code, DecodeError, MethodType, Packet};
pub use peer::{Peer, PeerConfig, PeerFailure, PeerStep};
pub use prompt::{Answer, FidoAssertion, FidoRequest, Prompt, PromptKind};
pub use random::{Random, SystemRandom};
pub use secret::Secret;
pub use server::{Server, ServerFailure, ServerStep};
