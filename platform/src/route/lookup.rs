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

/// The path to `dest` that does not go through the interface `avoid` (the
/// tunnel, whose routes cover everything in a full tunnel): the best route
/// of the main table toward `dest` through another interface, resolved by
/// the kernel for its source address. For following the gateway when the
/// underlying network changes.
pub async fn route_get_avoiding(dest: IpAddr, avoid: &str) -> Result<RouteLookup> {
    let nl = Netlink::connect()?;
    let avoid = nl.link_by_name(avoid).await?.map(|l| l.index);
    let mut last = None;
    for oif in nl.covering_oifs(dest).await? {
        if Some(oif) == avoid {
            continue;
        }
        match nl.route_get_oif(dest, Some(oif)).await {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or(crate::PlatformError::NoRoute {
        dest,
        reason: "no route outside the tunnel".into(),
    }))
}
