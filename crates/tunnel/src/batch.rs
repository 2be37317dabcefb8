//! [`EspBatch`]: sealed ESP packets for one peer, laid end to end so that
//! one `sendmsg` with UDP GSO (`UDP_SEGMENT`) sends them all: the kernel
//! cuts the buffer into datagrams of the first packet's size, the last one
//! may be shorter.

use std::net::SocketAddr;

/// The most bytes one batch carries: a UDP payload fits in 64 KiB.
pub const MAX_BATCH_BYTES: usize = 65_000;

/// Equal-sized datagrams to one destination, in order.
#[derive(Debug)]
pub struct EspBatch {
    buf: Vec<u8>,
    segment: usize,
    remote: Option<SocketAddr>,
    count: usize,
    /// A shorter packet was added: it must be the last.
    closed: bool,
    max_segments: usize,
}

impl EspBatch {
    /// An empty batch of at most `max_segments` datagrams (1: no GSO, one
    /// datagram per send).
    pub fn new(max_segments: usize) -> EspBatch {
        EspBatch {
            buf: Vec::with_capacity(MAX_BATCH_BYTES),
            segment: 0,
            remote: None,
            count: 0,
            closed: false,
            max_segments: max_segments.max(1),
        }
    }

    /// Changes how many datagrams it may hold (the socket's GSO limit can
    /// change); takes effect for the next datagrams.
    pub fn set_max_segments(&mut self, max_segments: usize) {
        self.max_segments = max_segments.max(1);
    }

    /// Whether a `len`-byte datagram to `remote` can go at the end of this
    /// batch (always, when the batch is empty).
    pub fn accepts(&self, len: usize, remote: SocketAddr) -> bool {
        self.count == 0
            || (self.remote == Some(remote)
                && !self.closed
                && len <= self.segment
                && self.count < self.max_segments
                && self.buf.len() + len <= MAX_BATCH_BYTES)
    }

    /// Adds a datagram; the caller checked [`Self::accepts`] (and sent the
    /// batch first when it did not).
    pub fn push(&mut self, datagram: &[u8], remote: SocketAddr) {
        debug_assert!(self.accepts(datagram.len(), remote));
        if self.count == 0 {
            self.segment = datagram.len();
            self.remote = Some(remote);
        } else if datagram.len() < self.segment {
            self.closed = true;
        }
        self.buf.extend_from_slice(datagram);
        self.count += 1;
    }

    /// How many datagrams are in it.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The datagrams end to end, their size (the last may be shorter) and
    /// where they go; `None` when empty.
    pub fn parts(&self) -> Option<(&[u8], usize, SocketAddr)> {
        Some((&self.buf, self.segment, self.remote?))
    }

    /// Empties it (after sending).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.segment = 0;
        self.remote = None;
        self.count = 0;
        self.closed = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(n: u8) -> SocketAddr {
        SocketAddr::from(([198, 51, 100, n], 4500))
    }

    #[test]
    fn equal_datagrams_to_one_peer_share_a_batch_until_a_shorter_one() {
        let mut b = EspBatch::new(64);
        assert!(b.is_empty() && b.parts().is_none());
        b.push(&[1; 100], peer(1));
        assert!(b.accepts(100, peer(1)));
        assert!(b.accepts(60, peer(1)), "a shorter one may end it");
        assert!(!b.accepts(101, peer(1)), "never a longer one");
        assert!(!b.accepts(100, peer(2)), "one destination per batch");
        b.push(&[2; 100], peer(1));
        b.push(&[3; 60], peer(1));
        assert!(!b.accepts(60, peer(1)), "nothing after the shorter one");
        assert!(!b.accepts(100, peer(1)));
        let (bytes, segment, remote) = b.parts().unwrap();
        assert_eq!(
            (bytes.len(), segment, remote, b.len()),
            (260, 100, peer(1), 3)
        );
        let datagrams: Vec<&[u8]> = bytes.chunks(segment).collect();
        assert_eq!(datagrams[0], &[1; 100][..]);
        assert_eq!(datagrams[2], &[3; 60][..]);
        b.clear();
        assert!(b.is_empty() && b.accepts(1500, peer(2)));
    }

    #[test]
    fn batches_are_bounded_in_count_and_bytes() {
        let mut b = EspBatch::new(3);
        for _ in 0..3 {
            b.push(&[0; 10], peer(1));
        }
        assert!(!b.accepts(10, peer(1)));
        let mut b = EspBatch::new(1000);
        let n = MAX_BATCH_BYTES / 1500;
        for _ in 0..n {
            assert!(b.accepts(1500, peer(1)));
            b.push(&[0; 1500], peer(1));
        }
        assert!(!b.accepts(1500, peer(1)));
        assert!(b.parts().unwrap().0.len() <= MAX_BATCH_BYTES);
        // Without GSO a batch is one datagram.
        let mut b = EspBatch::new(0);
        b.push(&[0; 10], peer(1));
        assert!(!b.accepts(10, peer(1)));
    }
}
