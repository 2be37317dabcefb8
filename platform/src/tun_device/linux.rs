//! Linux: `/dev/net/tun` through the `tun` crate (no packet-information header),
//! addresses (IPv4 and IPv6) through rtnetlink.

use tun::AbstractDevice;

use super::TunConfig;
use crate::error::{PlatformError, Result};
use crate::netlink::Netlink;

/// Create, configure and bring up the device; returns it with its name,
/// index and whether its frames carry a `virtio_net_hdr`.
pub(super) async fn create(config: &TunConfig) -> Result<(tun::AsyncDevice, String, u32, bool)> {
    let nl = Netlink::connect()?;
    let wanted = config
        .name
        .clone()
        .unwrap_or_else(|| "(kernel-chosen)".to_string());
    if let Some(name) = &config.name {
        // TUNSETIFF would attach to an existing persistent device instead of
        // creating ours, and undo would then delete someone else's interface.
        if nl.link_by_name(name).await?.is_some() {
            return Err(PlatformError::TunConfig(format!(
                "an interface named {name} exists already; pick another name or remove it"
            )));
        }
    }
    let mut c = tun::Configuration::default();
    if let Some(name) = &config.name {
        c.tun_name(name);
    }
    c.mtu(config.mtu).up();
    if config.offload {
        c.platform_config(|p| {
            p.vnet_hdr(true);
        });
    }
    let dev = tun::create_as_async(&c).map_err(|source| PlatformError::TunCreate {
        name: wanted.clone(),
        source,
    })?;
    let name = dev.tun_name().map_err(|source| PlatformError::TunCreate {
        name: wanted,
        source,
    })?;
    let index = nl
        .link_by_name(&name)
        .await?
        .ok_or_else(|| PlatformError::NoSuchInterface(name.clone()))?
        .index;
    if config.offload {
        // Without the offloads the frames still carry the (empty) header.
        match offload::enable(&dev) {
            Ok(()) => tracing::debug!(%name, "TUN offloads on: checksum, TSO IPv4/IPv6"),
            Err(e) => {
                tracing::warn!(%name, error = %e, "TUN offloads unavailable; one packet per read")
            }
        }
    }
    for &(addr, len) in &config.addresses {
        nl.add_address(index, addr, len).await?;
    }
    Ok((dev, name, index, config.offload))
}

/// Gives interface `index` the addresses `new` in place of `old` (new ones
/// first, so the interface is never without one; routes stay).
pub(super) async fn readdress(
    index: u32,
    old: &[(std::net::IpAddr, u8)],
    new: &[(std::net::IpAddr, u8)],
) -> Result<()> {
    let nl = Netlink::connect()?;
    for &(addr, len) in new {
        nl.add_address(index, addr, len).await?;
    }
    for &(addr, len) in old.iter().filter(|a| !new.contains(a)) {
        nl.del_address(index, addr, len).await?;
    }
    Ok(())
}

/// `TUNSETOFFLOAD`, the one ioctl the `tun` crate does not make.
#[allow(unsafe_code)]
mod offload {
    use std::os::fd::AsRawFd;

    /// Lets the kernel hand over TCP super-packets (TSO, IPv4 and IPv6) and
    /// packets with a partial checksum, and take them back.
    pub(super) fn enable(dev: &tun::AsyncDevice) -> std::io::Result<()> {
        let flags = libc::TUN_F_CSUM | libc::TUN_F_TSO4 | libc::TUN_F_TSO6;
        let fd = dev.as_raw_fd();
        // SAFETY: `fd` is the open TUN descriptor `dev` owns for the whole
        // call; TUNSETOFFLOAD takes its argument by value (no pointer).
        let r = unsafe { libc::ioctl(fd, libc::TUNSETOFFLOAD, libc::c_ulong::from(flags)) };
        if r < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
}
