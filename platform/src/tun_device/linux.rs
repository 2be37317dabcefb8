//! Linux: `/dev/net/tun` through the `tun` crate (no packet-information header),
//! addresses (IPv4 and IPv6) through rtnetlink.

use tun::AbstractDevice;

use super::TunConfig;
use crate::error::{PlatformError, Result};
use crate::netlink::Netlink;

/// Create, configure and bring up the device; returns it with its name and index.
pub(super) async fn create(config: &TunConfig) -> Result<(tun::AsyncDevice, String, u32)> {
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
    for &(addr, len) in &config.addresses {
        nl.add_address(index, addr, len).await?;
    }
    Ok((dev, name, index))
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
