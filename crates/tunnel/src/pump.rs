//! The TUN halves of the packet pump, shared by `ibexd` and
//! `ibex-responder`: [`TunReader`] drains a burst from the TUN device, cuts
//! offloaded frames into packets, seals them and sends them in batches;
//! [`TunWriter`] queues decrypted packets and writes them, TCP runs merged,
//! once the burst they came in is handled.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use ibex_platform::TunDevice;
use tracing::debug;

use crate::batch::EspBatch;
use crate::buffer::Packet;
use crate::offload::{vnet, Coalescer, Segments};
use crate::sad::Sad;
use crate::sockets::IkeSockets;

/// Most frames read from the TUN device per wake.
const BURST_FRAMES: usize = 64;
/// Most packets sealed per wake (a TSO frame holds up to ~46).
const BURST_PACKETS: usize = 256;
/// A frame: `virtio_net_hdr` and up to 64 KiB of packet.
const FRAME: usize = vnet::LEN + 65_535;

/// Where sealed ESP batches go: the sockets of one address, or of several.
pub trait EspSink {
    /// How many datagrams a batch to `remote` may carry.
    fn max_batch(&self, remote: SocketAddr) -> usize;
    /// Sends the batch and empties it.
    fn send_batch(&self, batch: &mut EspBatch) -> impl Future<Output = io::Result<()>>;
}

impl EspSink for IkeSockets {
    fn max_batch(&self, _remote: SocketAddr) -> usize {
        IkeSockets::max_batch(self)
    }

    fn send_batch(&self, batch: &mut EspBatch) -> impl Future<Output = io::Result<()>> {
        IkeSockets::send_batch(self, batch)
    }
}

/// The TUN read side: a frame buffer and what a burst needs.
pub struct TunReader {
    frame: Vec<u8>,
    out: Packet,
    batch: EspBatch,
}

impl TunReader {
    /// Buffers for a device of `mtu`.
    pub fn new(mtu: u16) -> TunReader {
        TunReader {
            frame: vec![0; FRAME],
            out: Packet::new(usize::from(mtu)),
            batch: EspBatch::new(1),
        }
    }

    /// Where [`TunDevice::recv`] reads the first frame of a burst.
    pub fn buf(&mut self) -> &mut [u8] {
        &mut self.frame
    }

    /// Seals the frame of `len` bytes just read into [`Self::buf`] and the
    /// ones waiting behind it (a bounded burst), and sends them in batches.
    pub async fn seal_burst<S: EspSink>(
        &mut self,
        len: usize,
        tun: &TunDevice,
        sad: &mut Sad,
        sink: &S,
    ) {
        let mut len = len;
        let mut packets = 0;
        for _ in 0..BURST_FRAMES {
            packets += self.seal_frame(len, tun.vnet_hdr(), sad, sink).await;
            if packets >= BURST_PACKETS {
                break;
            }
            match tun.try_recv(&mut self.frame) {
                Ok(Some(n)) => len = n,
                Ok(None) => break,
                Err(e) => {
                    debug!(error = %e, "TUN read failed");
                    break;
                }
            }
        }
        if let Err(e) = sink.send_batch(&mut self.batch).await {
            debug!(error = %e, "sending ESP failed");
        }
    }

    /// Seals the packets of one frame; how many there were.
    async fn seal_frame<S: EspSink>(
        &mut self,
        len: usize,
        vnet_hdr: bool,
        sad: &mut Sad,
        sink: &S,
    ) -> usize {
        let frame = &self.frame[..len.min(self.frame.len())];
        let mut segments = if vnet_hdr {
            match Segments::new(frame) {
                Ok(s) => s,
                Err(e) => {
                    debug!(error = %e, "TUN frame dropped");
                    return 0;
                }
            }
        } else {
            Segments::plain(frame)
        };
        let mut n = 0;
        while let Some(r) = segments.next_into(self.out.payload_mut()) {
            match r {
                Ok(plen) => {
                    n += 1;
                    seal_into(sad, sink, &mut self.out, plen, &mut self.batch).await;
                }
                Err(e) => debug!(error = %e, "TUN packet dropped"),
            }
        }
        n
    }
}

/// Seals one packet into `batch`, sending the batch first when the packet
/// does not fit in it.
async fn seal_into<S: EspSink>(
    sad: &mut Sad,
    sink: &S,
    out: &mut Packet,
    len: usize,
    batch: &mut EspBatch,
) {
    let Some((sealed, remote)) = sad.seal(out, len) else {
        return;
    };
    let sealed = out.slice(sealed);
    if !batch.accepts(sealed.len(), remote) {
        if let Err(e) = sink.send_batch(batch).await {
            debug!(%remote, error = %e, "sending ESP failed");
        }
    }
    if batch.is_empty() {
        batch.set_max_segments(sink.max_batch(remote));
    }
    batch.push(sealed, remote);
}

/// The TUN write side: decrypted packets queued until their burst is done.
#[derive(Debug, Default)]
pub struct TunWriter {
    queue: Coalescer,
}

impl TunWriter {
    /// An empty queue.
    pub fn new() -> TunWriter {
        TunWriter::default()
    }

    /// Whether nothing waits to be written.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Queues one decrypted packet for `tun`, writing the queue first when
    /// it is full. Call [`Self::flush`] when the burst is over.
    pub async fn push(&mut self, tun: &TunDevice, packet: &[u8]) {
        if !tun.vnet_hdr() {
            if let Err(e) = tun.send(packet).await {
                debug!(error = %e, "TUN write failed");
            }
            return;
        }
        if !self.queue.push(packet) {
            self.flush(tun).await;
            self.queue.push(packet);
        }
    }

    /// Writes everything queued, one write per frame.
    pub async fn flush(&mut self, tun: &TunDevice) {
        for frame in self.queue.frames() {
            if let Err(e) = tun.send(frame).await {
                debug!(error = %e, "TUN write failed");
            }
        }
        self.clear();
    }

    /// Forgets what is queued (the device went away).
    pub fn clear(&mut self) {
        self.queue.clear();
    }
}
