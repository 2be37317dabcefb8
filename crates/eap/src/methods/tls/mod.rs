//! EAP-TLS (RFC 5216; with TLS 1.3, RFC 9190): framing, rustls driven in
//! memory, and the peer and server sides. See docs/eap.md, "EAP-TLS".

mod config;
mod engine;
pub(crate) mod frame;
pub(crate) mod peer;
pub(crate) mod server;
mod verify;

pub use config::{TlsClientConfig, TlsConfigError, TlsServerConfig, TlsVersions};

#[cfg(test)]
mod tests;
