//! NAT detection (RFC 7296 2.23): SHA-1 of SPIs, address and port.

use std::net::{IpAddr, SocketAddr};

/// NAT_DETECTION_*_IP data for `addr` as seen with these SPIs.
pub(crate) fn hash(spi_i: &[u8; 8], spi_r: &[u8; 8], addr: SocketAddr) -> Vec<u8> {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(spi_i);
    ctx.update(spi_r);
    match addr.ip() {
        IpAddr::V4(a) => ctx.update(&a.octets()),
        IpAddr::V6(a) => ctx.update(&a.octets()),
    }
    ctx.update(&addr.port().to_be_bytes());
    ctx.finish().as_ref().to_vec()
}
