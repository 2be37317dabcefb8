//! The gateway's UDP 500/4500 sockets on each of its addresses (e.g. one
//! IPv4 and one IPv6, so MOBIKE clients can move between families).

use std::io;
use std::net::{IpAddr, SocketAddr};

use ibex_ike::Transmit;
use ibex_tunnel::{EspBatch, EspSink, IkeSockets, Incoming};

/// One [`IkeSockets`] per listening address; the first is the main one.
pub struct Listeners {
    sets: Vec<IkeSockets>,
}

impl Listeners {
    /// Binds UDP 500 and 4500 on every address.
    pub async fn bind(addrs: &[IpAddr]) -> io::Result<Listeners> {
        let mut sets = Vec::with_capacity(addrs.len());
        for a in addrs {
            sets.push(IkeSockets::bind(*a).await?);
        }
        if sets.is_empty() {
            return Err(io::Error::other("no address to listen on"));
        }
        Ok(Listeners { sets })
    }

    /// Waits for the next datagram on any address, read into `buf`.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<Incoming> {
        loop {
            let ready = self.sets.iter().map(|s| Box::pin(s.readable()));
            let (r, i, _) = futures_util::future::select_all(ready).await;
            if let Some(incoming) = self.sets[i].try_recv(r?, buf)? {
                return Ok(incoming);
            }
        }
    }

    /// Sends an IKE message from the address the engine chose.
    pub async fn send_ike(&mut self, t: &Transmit) -> io::Result<()> {
        let i = self.index_for(t.local.ip(), t.remote);
        self.sets[i].send_ike(t).await
    }

    /// Sends UDP-encapsulated ESP from an address of the peer's family.
    pub async fn send_esp(&self, packet: &[u8], remote: SocketAddr) -> io::Result<()> {
        let i = self.index_for(IpAddr::from([0, 0, 0, 0]), remote);
        self.sets[i].send_esp(packet, remote).await
    }

    /// Whether a GRO read on any address still has datagrams to give out.
    pub fn has_pending(&self) -> bool {
        self.sets.iter().any(IkeSockets::has_pending)
    }

    /// The socket set bound to `local`, else the first of `remote`'s
    /// family, else the main one.
    fn index_for(&self, local: IpAddr, remote: SocketAddr) -> usize {
        self.sets
            .iter()
            .position(|s| s.local_ip() == local)
            .or_else(|| {
                self.sets
                    .iter()
                    .position(|s| s.local_ip().is_ipv4() == remote.is_ipv4())
            })
            .unwrap_or(0)
    }
}

impl EspSink for Listeners {
    fn max_batch(&self, remote: SocketAddr) -> usize {
        self.sets[self.index_for(IpAddr::from([0, 0, 0, 0]), remote)].max_batch()
    }

    /// Sends a batch of ESP datagrams from an address of its peer's family.
    async fn send_batch(&self, batch: &mut EspBatch) -> io::Result<()> {
        let Some((_, _, remote)) = batch.parts() else {
            return Ok(());
        };
        let i = self.index_for(IpAddr::from([0, 0, 0, 0]), remote);
        self.sets[i].send_batch(batch).await
    }
}
