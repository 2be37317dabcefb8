//! TUN offloads on Linux (`IFF_VNET_HDR` with `TUNSETOFFLOAD`): the kernel
//! hands the data plane TCP super-packets of up to 64 KiB and accepts them
//! back, so a burst of segments costs one read or write instead of one each.
//! Sans-IO: [`Segments`] cuts a frame read from the device into IP packets
//! (TSO done in userspace, before ESP), [`Coalescer`] merges decrypted TCP
//! segments into frames to write (GRO done in userspace, after ESP). The
//! ESP packets on the wire are the same as without offloads.

mod checksum;
mod coalesce;
mod segment;
pub mod vnet;

#[cfg(test)]
mod tests;

pub use coalesce::{Coalescer, MAX_FRAMES};
pub use segment::Segments;

/// A frame from the TUN device that cannot be turned into packets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OffloadError {
    /// Shorter than its `virtio_net_hdr`.
    #[error("TUN frame shorter than its virtio_net_hdr")]
    Short,
    /// The header does not fit the packet.
    #[error("TUN frame with an unusable virtio_net_hdr: {0}")]
    BadHeader(&'static str),
    /// A packet larger than the buffer it goes to.
    #[error("packet of {0} bytes does not fit the buffer")]
    TooLarge(usize),
}
