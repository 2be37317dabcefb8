//! The TUN device the daemon's packet pump reads from and writes to: one async
//! API over the `tun` crate on Linux, macOS (utun) and Windows (Wintun).

mod config;
#[cfg(any(target_os = "macos", target_os = "windows"))]
mod generic;
#[cfg(target_os = "linux")]
mod linux;

use std::future::Future;
use std::io;
use std::net::IpAddr;

pub use config::TunConfig;

use crate::error::Result;
use crate::journal::{Journal, JournalEntry, TunRecord};

#[cfg(any(target_os = "macos", target_os = "windows"))]
use generic as platform;
#[cfg(target_os = "linux")]
use linux as platform;

/// Frame I/O on a layer-3 tunnel interface: one frame per call, an IP packet
/// preceded by a `virtio_net_hdr` when [`TunDevice::vnet_hdr`] says so.
/// Implemented by [`TunDevice`]; a pump generic over it can be tested with an
/// in-memory fake.
pub trait TunIo: Send + Sync {
    /// Wait for the next frame the OS routed into the tunnel; returns its length.
    fn recv(&self, buf: &mut [u8]) -> impl Future<Output = io::Result<usize>> + Send;
    /// Hand one frame to the OS; returns the bytes written.
    fn send(&self, packet: &[u8]) -> impl Future<Output = io::Result<usize>> + Send;
    /// Interface name.
    fn name(&self) -> &str;
    /// Interface MTU.
    fn mtu(&self) -> u16;
}

/// An open TUN device: up, addressed, with its MTU set. Dropping it closes the
/// handle, which deletes the (non-persistent) device and every route through it.
pub struct TunDevice {
    dev: tun::AsyncDevice,
    name: String,
    index: u32,
    mtu: u16,
    vnet_hdr: bool,
}

impl std::fmt::Debug for TunDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TunDevice")
            .field("name", &self.name)
            .field("index", &self.index)
            .field("mtu", &self.mtu)
            .field("vnet_hdr", &self.vnet_hdr)
            .finish_non_exhaustive()
    }
}

impl TunDevice {
    /// Create the device described by `config`, bring it up with its MTU and
    /// addresses, and record it in `journal`. On failure nothing is left behind
    /// (the half-configured device goes away with its handle).
    pub async fn create(config: &TunConfig, journal: &mut Journal) -> Result<TunDevice> {
        config.validate()?;
        let (dev, name, index, vnet_hdr) = platform::create(config).await?;
        journal.push(JournalEntry::Tun(TunRecord {
            name: name.clone(),
            index,
        }))?;
        tracing::info!(%name, index, mtu = config.mtu, addresses = ?config.addresses, vnet_hdr, "TUN device up");
        Ok(TunDevice {
            dev,
            name,
            index,
            mtu: config.mtu,
            vnet_hdr,
        })
    }

    /// Replaces the device's addresses `old` with `new` without taking it
    /// down: routes through it stay, so nothing leaks around the tunnel.
    pub async fn readdress(&self, old: &[(IpAddr, u8)], new: &[(IpAddr, u8)]) -> Result<()> {
        platform::readdress(self.index, old, new).await?;
        tracing::info!(name = %self.name, ?old, ?new, "TUN device readdressed");
        Ok(())
    }

    /// Whether every frame read or written starts with a `virtio_net_hdr`
    /// (Linux with [`TunConfig::offload`]): a read may then be a TCP
    /// super-packet of up to 64 KiB (TSO) or carry a partial checksum, and a
    /// write may be one (GSO).
    pub fn vnet_hdr(&self) -> bool {
        self.vnet_hdr
    }

    /// Wait for the next frame routed into the tunnel; returns its length.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.dev.recv(buf).await
    }

    /// The next frame routed into the tunnel if one is waiting, without
    /// waiting (`None`: none is): how the pump drains a burst after
    /// [`Self::recv`] woke it, to send it in one batch.
    #[cfg(unix)]
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        // The device is non-blocking; tokio's readiness is left set, so the
        // next `recv` reads (or waits) as usual.
        let device: &tun::Device = &self.dev;
        match device.recv(buf) {
            Ok(n) => Ok(Some(n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Without a non-blocking read on this platform, every packet waits
    /// for [`Self::recv`].
    #[cfg(not(unix))]
    pub fn try_recv(&self, _buf: &mut [u8]) -> io::Result<Option<usize>> {
        Ok(None)
    }

    /// Hand one frame to the OS as if it arrived on this interface.
    pub async fn send(&self, packet: &[u8]) -> io::Result<usize> {
        self.dev.send(packet).await
    }

    /// Interface name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Interface index (0 where the OS reports none).
    pub fn index(&self) -> u32 {
        self.index
    }

    /// Interface MTU.
    pub fn mtu(&self) -> u16 {
        self.mtu
    }
}

impl TunIo for TunDevice {
    fn recv(&self, buf: &mut [u8]) -> impl Future<Output = io::Result<usize>> + Send {
        TunDevice::recv(self, buf)
    }

    fn send(&self, packet: &[u8]) -> impl Future<Output = io::Result<usize>> + Send {
        TunDevice::send(self, packet)
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn mtu(&self) -> u16 {
        self.mtu
    }
}
