//! macOS (utun) and Windows (Wintun): everything through the `tun` crate, kept
//! thin. Only one IPv4 address is supported here; this file is not compiled or
//! tested on the Linux build machine.

use std::net::{IpAddr, Ipv4Addr};

use tun::AbstractDevice;

use super::TunConfig;
use crate::error::{PlatformError, Result};

/// Create, configure and bring up the device; returns it with its name and
/// index (and `false`: no `virtio_net_hdr` here).
pub(super) async fn create(config: &TunConfig) -> Result<(tun::AsyncDevice, String, u32, bool)> {
    let wanted = config
        .name
        .clone()
        .unwrap_or_else(|| "(system-chosen)".to_string());
    let mut v4: Option<(Ipv4Addr, u8)> = None;
    for &(addr, len) in &config.addresses {
        match addr {
            IpAddr::V4(a) if v4.is_none() => v4 = Some((a, len)),
            _ => {
                return Err(PlatformError::Unsupported(
                    "more than one IPv4 address, or an IPv6 address, on the TUN device",
                ))
            }
        }
    }
    let mut c = tun::Configuration::default();
    if let Some(name) = &config.name {
        c.tun_name(name);
    }
    c.mtu(config.mtu).up();
    if let Some((addr, len)) = v4 {
        let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
        c.address(addr).netmask(Ipv4Addr::from(mask));
        // utun is point-to-point and needs a peer address; on Windows the same
        // call would set a default gateway, so it is macOS only.
        #[cfg(target_os = "macos")]
        c.destination(addr);
    }
    let dev = tun::create_as_async(&c).map_err(|source| PlatformError::TunCreate {
        name: wanted.clone(),
        source,
    })?;
    let name = dev.tun_name().map_err(|source| PlatformError::TunCreate {
        name: wanted,
        source,
    })?;
    let index = dev
        .tun_index()
        .ok()
        .and_then(|i| u32::try_from(i).ok())
        .unwrap_or(0);
    Ok((dev, name, index, false))
}

/// Changing the addresses of a running device is not supported here: the
/// caller sets the system up again instead.
pub(super) async fn readdress(
    _index: u32,
    _old: &[(IpAddr, u8)],
    _new: &[(IpAddr, u8)],
) -> Result<()> {
    Err(PlatformError::Unsupported(
        "changing the addresses of a running TUN device",
    ))
}
