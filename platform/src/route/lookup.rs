//! [`route_get`]: the kernel's answer to "how would you reach this address?".

use std::net::IpAddr;

use crate::error::Result;
use crate::netlink::Netlink;

/// The route the kernel picks for one destination (`ip route get DEST`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteLookup {
    /// The destination that was looked up.
    pub destination: IpAddr,
    /// Preferred source address toward it (the local address to bind IKE/ESP to).
    pub source: Option<IpAddr>,
    /// Output interface index.
    pub ifindex: u32,
    /// Output interface name.
    pub ifname: String,
    /// Next hop, when the destination is not on-link.
    pub gateway: Option<IpAddr>,
}

/// Look up the route to `dest` in the caller's network namespace: source
/// address, device and gateway. Fails with
/// [`NoRoute`](crate::PlatformError::NoRoute) for unreachable, local or
/// blackholed destinations.
pub async fn route_get(dest: IpAddr) -> Result<RouteLookup> {
    Netlink::connect()?.route_get(dest).await
}
