//! The IKE/ESP sockets: UDP 500 for IKE, UDP 4500 for IKE behind a non-ESP
//! marker and for UDP-encapsulated ESP (RFC 3948).
//!
//! Port 4500 carries the bulk of the traffic, so it is read and written in
//! batches where the OS can (Linux): UDP GRO hands over several datagrams
//! of one sender in one read (they are then given out one at a time), and
//! UDP GSO sends an [`EspBatch`] of equal-sized datagrams in one write.
//! Both through `quinn-udp`.

use std::io::{self, IoSliceMut};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use ibex_esp::{classify, Datagram, KEEPALIVE, NON_ESP_MARKER};
use ibex_ike::Transmit;
use quinn_udp::{RecvMeta, UdpSocketState};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tracing::debug;

use crate::batch::EspBatch;

/// The read buffer for port 4500: room for the largest GRO read (64 KiB
/// of payload at most) with slack.
const GRO_BUFFER: usize = 128 * 1024;

/// The most datagrams one GSO send carries.
const MAX_GSO_SEGMENTS: usize = 64;

/// Datagrams of one GRO read still to be given out.
struct Pending {
    buf: Vec<u8>,
    /// The next datagram starts here.
    next: usize,
    /// The read's bytes end here.
    end: usize,
    /// Each datagram's size (the last may be shorter).
    stride: usize,
    remote: SocketAddr,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.next >= self.end
    }
}

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
    /// GRO, GSO and batched reads on port 4500.
    udp: UdpSocketState,
    pending: Mutex<Pending>,
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
        let s500 = bind(500).await?;
        let s4500 = bind(4500).await?;
        let udp = batched(&s4500)?;
        Ok(IkeSockets {
            s500,
            s4500,
            udp,
            pending: Mutex::new(Pending {
                buf: vec![0; GRO_BUFFER],
                next: 0,
                end: 0,
                stride: 0,
                remote: SocketAddr::new(local, 0),
            }),
            local,
            scratch: Vec::with_capacity(2048),
        })
    }

    /// How many ESP datagrams one [`Self::send_batch`] may carry (1: this
    /// socket cannot do GSO).
    pub fn max_batch(&self) -> usize {
        self.udp.max_gso_segments().min(MAX_GSO_SEGMENTS)
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

    /// Whether datagrams of the last GRO read are still to be given out:
    /// the burst is not over yet.
    pub fn has_pending(&self) -> bool {
        !self.lock_pending().is_empty()
    }

    /// Waits until one of the sockets may have a datagram: true for 4500.
    pub async fn readable(&self) -> io::Result<bool> {
        if !self.lock_pending().is_empty() {
            return Ok(true);
        }
        tokio::select! {
            r = self.s500.readable() => { r?; Ok(false) }
            r = self.s4500.readable() => { r?; Ok(true) }
        }
    }

    /// Reads one datagram from port 4500 (`on_4500`) or 500 without
    /// waiting; `None` when there was none after all.
    pub fn try_recv(&self, on_4500: bool, buf: &mut [u8]) -> io::Result<Option<Incoming>> {
        let (len, remote) = if on_4500 {
            match self.next_4500(buf)? {
                Some(x) => x,
                None => return Ok(None),
            }
        } else {
            match self.s500.try_recv_from(buf) {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) => return Err(e),
            }
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

    /// The next datagram on port 4500 copied into `buf`: from the last GRO
    /// read, else from a new read (which may bring several).
    fn next_4500(&self, buf: &mut [u8]) -> io::Result<Option<(usize, SocketAddr)>> {
        let mut p = self.lock_pending();
        if p.is_empty() {
            let mut meta = [RecvMeta::default()];
            let read = self.s4500.try_io(Interest::READABLE, || {
                let mut iov = [IoSliceMut::new(&mut p.buf)];
                self.udp.recv((&self.s4500).into(), &mut iov, &mut meta)
            });
            match read {
                Ok(n) if n > 0 => {}
                Ok(_) => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) => return Err(e),
            }
            let m = &meta[0];
            p.next = 0;
            p.end = m.len.min(p.buf.len());
            p.stride = if m.stride == 0 { m.len } else { m.stride };
            p.remote = m.addr;
        }
        let start = p.next;
        let end = (start + p.stride.max(1)).min(p.end);
        p.next = end;
        let len = end - start;
        if len > buf.len() {
            debug!(len, "datagram larger than the buffer; dropped");
            return Ok(Some((0, p.remote)));
        }
        buf[..len].copy_from_slice(&p.buf[start..end]);
        Ok(Some((len, p.remote)))
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
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

    /// Sends the datagrams of `batch` (one write with GSO when it holds
    /// more than one and the socket can) and empties it.
    pub async fn send_batch(&self, batch: &mut EspBatch) -> io::Result<()> {
        let result = match batch.parts() {
            None => Ok(()),
            Some((bytes, segment, remote)) if bytes.len() <= segment => {
                self.send_esp(bytes, remote).await
            }
            Some((bytes, segment, remote)) => self.send_gso(bytes, segment, remote).await,
        };
        batch.clear();
        result
    }

    /// One GSO write; datagram by datagram if the kernel refuses GSO here
    /// (quinn-udp then turns it off for this socket).
    async fn send_gso(&self, bytes: &[u8], segment: usize, remote: SocketAddr) -> io::Result<()> {
        if self.udp.max_gso_segments() > 1 {
            let t = quinn_udp::Transmit {
                destination: remote,
                ecn: None,
                contents: bytes,
                segment_size: Some(segment),
                src_ip: None,
            };
            loop {
                self.s4500.writable().await?;
                match self.s4500.try_io(Interest::WRITABLE, || {
                    self.udp.try_send((&self.s4500).into(), &t)
                }) {
                    Ok(()) => return Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    Err(e) if self.udp.max_gso_segments() > 1 => return Err(e),
                    Err(e) => {
                        debug!(error = %e, "UDP GSO refused; sending datagram by datagram");
                        break;
                    }
                }
            }
        }
        for d in bytes.chunks(segment) {
            self.send_esp(d, remote).await?;
        }
        Ok(())
    }

    /// Sends a NAT keepalive (RFC 3948 2.3).
    pub async fn send_keepalive(&self, remote: SocketAddr) -> io::Result<()> {
        self.s4500.send_to(&KEEPALIVE, remote).await.map(|_| ())
    }
}

/// Sets up batched I/O on the port-4500 socket, keeping the kernel's
/// path-MTU behaviour as it was (quinn-udp forbids fragmentation for QUIC;
/// a large IKE message on 4500 must still be sent, fragmented if need be).
fn batched(s4500: &UdpSocket) -> io::Result<UdpSocketState> {
    use rustix::net::sockopt;
    let v4 = sockopt::ip_mtu_discover(s4500).ok();
    let v6 = sockopt::ipv6_mtu_discover(s4500).ok();
    let state = UdpSocketState::new(s4500.into())?;
    if let Some(v) = v4 {
        sockopt::set_ip_mtu_discover(s4500, v)?;
    }
    if let Some(v) = v6 {
        sockopt::set_ipv6_mtu_discover(s4500, v)?;
    }
    Ok(state)
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
