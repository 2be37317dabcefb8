//! `ibex-esp`: the ESP data plane of Ibex (RFC 4303 tunnel mode, RFC 3948
//! UDP encapsulation).
//!
//! * [`OutboundSa::seal`] turns an inner IPv4/IPv6 packet into an ESP packet,
//!   [`InboundSa::open`] does the reverse with anti-replay
//!   ([`ReplayWindow`], 1024 packets, ESN inference) and counts every drop by
//!   reason ([`InboundStats`], [`DropCounts`]). Both work in place on the
//!   caller's buffer and never allocate per packet.
//! * Suites: AES-GCM-16 128/256 (RFC 4106), ChaCha20-Poly1305 (RFC 7634) and
//!   AES-CBC 128/256 (RFC 3602) with HMAC-SHA2-256/384/512 (RFC 4868), each
//!   with or without extended sequence numbers.
//! * [`EspSaPair::from_child`] builds both SAs from the IKE engine's
//!   [`ibex_ike::ChildSaInfo`].
//! * [`classify`], [`encap_ike`], [`KEEPALIVE`]: port 4500 demultiplexing.
//!
//! No I/O, no clocks, no panics on any input; keys never appear in `Debug`.
#![forbid(unsafe_code)]

mod crypto;
mod error;
mod inbound;
mod layout;
mod next_header;
mod outbound;
mod pair;
mod replay;
mod stats;
mod udp;

#[cfg(test)]
mod vectors;

pub use error::EspError;
pub use inbound::{InboundSa, Opened};
pub use next_header::NextHeader;
pub use outbound::OutboundSa;
pub use pair::EspSaPair;
pub use replay::ReplayWindow;
pub use stats::{DropCounts, InboundStats, OutboundStats, SaStats};
pub use udp::{classify, encap_ike, Datagram, KEEPALIVE, NON_ESP_MARKER};
