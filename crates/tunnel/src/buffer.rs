//! A packet buffer with room before and after the payload, reused for every
//! packet so that sealing and opening ESP never allocates.

use std::ops::Range;

/// Headroom for the ESP header and IV, tailroom for padding and ICV.
const HEAD: usize = ibex_esp::OutboundSa::HEADROOM;
const TAIL: usize = ibex_esp::OutboundSa::TAILROOM;

/// A buffer for one packet at a time.
pub struct Packet {
    buf: Vec<u8>,
}

impl Packet {
    /// A buffer for inner packets up to `mtu` bytes.
    pub fn new(mtu: usize) -> Packet {
        Packet {
            buf: vec![0; HEAD + mtu.max(1500) + TAIL + 64],
        }
    }

    /// The space an inner packet is read into (after the headroom).
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = self.buf.len() - TAIL;
        &mut self.buf[HEAD..end]
    }

    /// Where a payload of `len` bytes read by [`Self::payload_mut`] lies.
    pub fn payload_range(&self, len: usize) -> Range<usize> {
        HEAD..HEAD + len
    }

    /// The whole buffer (ESP packets are read into it from offset 0).
    pub fn raw_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }

    /// The bytes of `range`.
    pub fn slice(&self, range: Range<usize>) -> &[u8] {
        &self.buf[range]
    }
}
