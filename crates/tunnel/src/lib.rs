//! `ibex-tunnel`: the async data plane shared by `ibexd` and `ibex-responder`.
//!
//! * [`IkeSockets`]: UDP 500 and 4500 on one address; datagrams on 4500 are
//!   sorted into IKE (non-ESP marker), ESP and NAT keepalives (RFC 3948).
//! * [`Sad`]: the SA database: inbound SAs by SPI, outbound SAs by the inner
//!   destination address (the peer's traffic selectors), with make-before-break
//!   replacement on rekeys.
//! * [`EspBatch`]: sealed ESP packets sent in one write (UDP GSO).
//! * [`offload`]: TSO and GRO in userspace for a TUN device with a
//!   `virtio_net_hdr` (Linux `IFF_VNET_HDR`).
//! * [`TunReader`], [`TunWriter`]: the TUN halves of the packet pump
//!   (bursts in, batches out; TCP runs merged on the way back).
//! * [`Packet`]: a reusable buffer with head- and tailroom so ESP works in place.
#![forbid(unsafe_code)]

mod batch;
mod buffer;
mod keylog;
pub mod offload;
mod pump;
mod sad;
mod sockets;

pub use batch::{EspBatch, MAX_BATCH_BYTES};
pub use buffer::Packet;
pub use keylog::KeyLog;
pub use pump::{EspSink, TunReader, TunWriter};
pub use sad::{
    destination, source, takeover, Delivered, OpenError, Outbound, Sad, SadError, Takeover, Traffic,
};
pub use sockets::{esp_endpoint, IkeSockets, Incoming};
