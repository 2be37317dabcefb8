//! The IKE/ESP sockets: UDP 500 for IKE, UDP 4500 for IKE behind a non-ESP
//! marker and for UDP-encapsulated ESP (RFC 3948).

use std::io;
use std::net::{IpAddr, SocketAddr};

use ibex_esp::{classify, Datagram, KEEPALIVE, NON_ESP_MARKER};
use ibex_ike::Transmit;
use tokio::net::UdpSocket;
use tracing::debug;

/// What arrived on one of the sockets.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// An IKE message (marker removed) at `len` bytes of the buffer from `offset`.
    Ike {
        /// Our address it arrived on.
        local: SocketAddr,
        /// The sender.
        remote: SocketAddr,
        /// Start of the message in the buffer.
        offset: usize,
        /// Its length.
        len: usize,
    },
    /// A UDP-encapsulated ESP packet of `len` bytes at the start of the buffer.
    Esp {
        /// The sender.
        remote: SocketAddr,
        /// Its length.
        len: usize,
    },
    /// A NAT keepalive or a runt: nothing to do.
    Ignored,
}

/// UDP 500 and 4500 bound on one address.
pub struct IkeSockets {
    s500: UdpSocket,
    s4500: UdpSocket,
    local: IpAddr,
    scratch: Vec<u8>,
}

impl IkeSockets {
    /// Binds both ports on `local` (`0.0.0.0` for any address).
    pub async fn bind(local: IpAddr) -> io::Result<IkeSockets> {
        let bind = |port| async move {
            UdpSocket::bind(SocketAddr::new(local, port)).await.map_err(|e| {
                io::Error::new(e.kind(), format!("cannot bind UDP {local}:{port} ({e}); is another IKE daemon (strongSwan, libreswan) running?"))
            })
        };
        Ok(IkeSockets {
            s500: bind(500).await?,
            s4500: bind(4500).await?,
            local,
            scratch: Vec::with_capacity(2048),
        })
    }

    /// The bound address.
    pub fn local_ip(&self) -> IpAddr {
        self.local
    }

    /// Waits for the next datagram on either socket, read into `buf`.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<Incoming> {
        loop {
            let on_4500 = self.readable().await?;
            if let Some(incoming) = self.try_recv(on_4500, buf)? {
                return Ok(incoming);
            }
        }
    }

    /// Waits until one of the sockets may have a datagram: true for 4500.
    pub async fn readable(&self) -> io::Result<bool> {
        tokio::select! {
            r = self.s500.readable() => { r?; Ok(false) }
            r = self.s4500.readable() => { r?; Ok(true) }
        }
    }

    /// Reads one datagram from port 4500 (`on_4500`) or 500 without
    /// waiting; `None` when there was none after all.
    pub fn try_recv(&self, on_4500: bool, buf: &mut [u8]) -> io::Result<Option<Incoming>> {
        let sock = if on_4500 { &self.s4500 } else { &self.s500 };
        let (len, remote) = match sock.try_recv_from(buf) {
            Ok(x) => x,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) => return Err(e),
        };
        if !on_4500 {
            let local = SocketAddr::new(self.local, 500);
            return Ok(Some(Incoming::Ike {
                local,
                remote,
                offset: 0,
                len,
            }));
        }
        let local = SocketAddr::new(self.local, 4500);
        Ok(Some(match classify(&buf[..len]) {
            Ok(Datagram::Ike(m)) => Incoming::Ike {
                local,
                remote,
                offset: len - m.len(),
                len: m.len(),
            },
            Ok(Datagram::Esp(_)) => Incoming::Esp { remote, len },
            Ok(Datagram::Keepalive) | Err(_) => {
                debug!(%remote, len, "keepalive or runt on 4500");
                Incoming::Ignored
            }
        }))
    }

    /// Sends an IKE message from the engine, with the marker on port 4500.
    pub async fn send_ike(&mut self, t: &Transmit) -> io::Result<()> {
        if t.local.port() == 4500 {
            self.scratch.clear();
            self.scratch.extend_from_slice(&NON_ESP_MARKER);
            self.scratch.extend_from_slice(&t.data);
            self.s4500.send_to(&self.scratch, t.remote).await?;
        } else {
            self.s500.send_to(&t.data, t.remote).await?;
        }
        Ok(())
    }

    /// Sends a UDP-encapsulated ESP packet.
    pub async fn send_esp(&self, packet: &[u8], remote: SocketAddr) -> io::Result<()> {
        self.s4500.send_to(packet, remote).await.map(|_| ())
    }

    /// Sends a NAT keepalive (RFC 3948 2.3).
    pub async fn send_keepalive(&self, remote: SocketAddr) -> io::Result<()> {
        self.s4500.send_to(&KEEPALIVE, remote).await.map(|_| ())
    }
}

/// Where UDP-encapsulated ESP goes for a peer whose IKE endpoint is
/// `ike_remote`: that endpoint on the NAT-T path (its NAT mapping of port
/// 4500), or its port 4500 if IKE stayed on 500.
pub fn esp_endpoint(ike_remote: SocketAddr) -> SocketAddr {
    if ike_remote.port() == 500 {
        SocketAddr::new(ike_remote.ip(), 4500)
    } else {
        ike_remote
    }
}
