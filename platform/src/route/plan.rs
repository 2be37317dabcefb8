//! [`RoutePlan`]: which traffic goes into the tunnel.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::prefix::IpPrefix;

/// What to route through the TUN device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePlan {
    /// The TUN interface's name.
    pub tun: String,
    /// The VPN gateway's outer address: when set, a host route to it is pinned
    /// through the path it takes now (before the tunnel routes exist), so the
    /// tunnel's own packets never enter the tunnel.
    pub pin_gateway: Option<IpAddr>,
    /// The routes through the TUN device.
    pub tunnel: Tunnel,
}

/// Which destinations the tunnel carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tunnel {
    /// Everything of the chosen families, as two half routes each
    /// (`0.0.0.0/1` + `128.0.0.0/1`, `::/1` + `8000::/1`): more specific than any
    /// default route, which is never touched. More specific routes (the local
    /// LAN, the pinned gateway) still win.
    Full {
        /// Route all IPv4 traffic into the tunnel.
        ipv4: bool,
        /// Route all IPv6 traffic into the tunnel (also to keep IPv6 from leaking
        /// around an IPv4-only tunnel).
        ipv6: bool,
    },
    /// Only these networks (split tunnel).
    Split(Vec<IpPrefix>),
}

impl Tunnel {
    /// The prefixes routed into the TUN device, in the order they are added.
    pub fn prefixes(&self) -> Vec<IpPrefix> {
        match self {
            Tunnel::Full { ipv4, ipv6 } => {
                let mut out = Vec::with_capacity(4);
                if *ipv4 {
                    out.push(half(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
                    out.push(half(IpAddr::V4(Ipv4Addr::new(128, 0, 0, 0))));
                }
                if *ipv6 {
                    out.push(half(IpAddr::V6(Ipv6Addr::UNSPECIFIED)));
                    out.push(half(IpAddr::V6(Ipv6Addr::new(0x8000, 0, 0, 0, 0, 0, 0, 0))));
                }
                out
            }
            Tunnel::Split(prefixes) => prefixes.clone(),
        }
    }
}

/// A `/1` starting at `addr` (whose host bits are already clear).
fn half(addr: IpAddr) -> IpPrefix {
    IpPrefix::host(addr).truncate(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_tunnel_is_two_halves_per_family() {
        let all: Vec<String> = Tunnel::Full {
            ipv4: true,
            ipv6: true,
        }
        .prefixes()
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(all, ["0.0.0.0/1", "128.0.0.0/1", "::/1", "8000::/1"]);
        let v6: Vec<String> = Tunnel::Full {
            ipv4: false,
            ipv6: true,
        }
        .prefixes()
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(v6, ["::/1", "8000::/1"]);
    }

    #[test]
    fn split_keeps_order() {
        let p: Vec<IpPrefix> = ["10.99.0.0/16", "198.51.100.0/24"]
            .iter()
            .map(|s| s.parse().expect("prefix"))
            .collect();
        assert_eq!(Tunnel::Split(p.clone()).prefixes(), p);
    }
}
