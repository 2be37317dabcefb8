//! The `virtio_net_hdr` that Linux puts before every packet on a TUN device
//! opened with `IFF_VNET_HDR` (include/uapi/linux/virtio_net.h): it says
//! whether the packet is a TCP "super-packet" to be cut into segments (GSO)
//! and where its checksum is still to be completed. Native byte order (the
//! legacy layout TUN uses unless told otherwise).

use super::OffloadError;

/// Its size: the header without `num_buffers`.
pub const LEN: usize = 10;

/// `flags`: the checksum at `csum_start + csum_offset` is partial.
pub const F_NEEDS_CSUM: u8 = 1;
/// `gso_type`: a single packet.
pub const GSO_NONE: u8 = 0;
/// `gso_type`: TCP over IPv4.
pub const GSO_TCPV4: u8 = 1;
/// `gso_type`: TCP over IPv6.
pub const GSO_TCPV6: u8 = 4;
/// `gso_type` bit: the segments carry ECN (CWR on the first only).
pub const GSO_ECN: u8 = 0x80;

/// A parsed `virtio_net_hdr`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VnetHdr {
    /// `F_*` bits.
    pub flags: u8,
    /// `GSO_*`.
    pub gso_type: u8,
    /// Length of the headers (IP and TCP) copied to every segment.
    pub hdr_len: u16,
    /// Payload bytes per segment.
    pub gso_size: u16,
    /// Where the checksummed part (the L4 header) starts.
    pub csum_start: u16,
    /// Where the checksum field is, from `csum_start`.
    pub csum_offset: u16,
}

impl VnetHdr {
    /// Reads the header at the start of `frame`.
    pub fn parse(frame: &[u8]) -> Result<VnetHdr, OffloadError> {
        let h = frame.get(..LEN).ok_or(OffloadError::Short)?;
        let u16_at = |i: usize| u16::from_ne_bytes([h[i], h[i + 1]]);
        Ok(VnetHdr {
            flags: h[0],
            gso_type: h[1],
            hdr_len: u16_at(2),
            gso_size: u16_at(4),
            csum_start: u16_at(6),
            csum_offset: u16_at(8),
        })
    }

    /// Writes it to the first [`LEN`] bytes of `out`.
    pub fn write(&self, out: &mut [u8]) {
        out[0] = self.flags;
        out[1] = self.gso_type;
        out[2..4].copy_from_slice(&self.hdr_len.to_ne_bytes());
        out[4..6].copy_from_slice(&self.gso_size.to_ne_bytes());
        out[6..8].copy_from_slice(&self.csum_start.to_ne_bytes());
        out[8..10].copy_from_slice(&self.csum_offset.to_ne_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_short_frames() {
        let h = VnetHdr {
            flags: F_NEEDS_CSUM,
            gso_type: GSO_TCPV6,
            hdr_len: 72,
            gso_size: 1328,
            csum_start: 40,
            csum_offset: 16,
        };
        let mut b = [0u8; LEN];
        h.write(&mut b);
        assert_eq!(VnetHdr::parse(&b), Ok(h));
        assert_eq!(VnetHdr::parse(&b[..9]), Err(OffloadError::Short));
    }
}
