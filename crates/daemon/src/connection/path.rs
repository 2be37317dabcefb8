//! Roaming: after a network change, the path to the gateway under the
//! tunnel. The preferred gateway address comes first, then the others the
//! gateway announced (RFC 4555 3.4), so a tunnel whose IP family went away
//! moves to the gateway's address of the other family, and back.

use std::net::IpAddr;

use ibex_platform::RouteLookup;
use ibex_tunnel::IkeSockets;
use tracing::{info, warn};

use super::{path_to_gateway, Conn, Phase};

impl Conn<'_> {
    /// Re-pins the gateway route to the current path; returns the local
    /// address and gateway address to move to when either changed.
    pub(super) async fn follow_path(&mut self, sockets: &IkeSockets) -> Option<(IpAddr, IpAddr)> {
        if self.live.tun.is_none() || self.snap.phase == Phase::Disconnecting {
            return None;
        }
        let tun = self.live.tun.as_ref().map(|t| t.name().to_string());
        let mut candidates = vec![self.home];
        candidates.extend(self.ike.current().peer_addresses().iter().copied());
        candidates.push(self.gateway);
        let mut seen = Vec::new();
        candidates.retain(|c| {
            !seen.contains(c) && {
                seen.push(*c);
                true
            }
        });
        let (target, path) = reachable(candidates, tun).await?;
        let via = (path.ifindex, path.gateway);
        if self.pinned != Some(via) || target != self.gateway {
            if let Some(routes) = &self.live.routes {
                if let Err(e) = routes.repin(target, &path, self.journal).await {
                    warn!(error = %e, "cannot move the gateway route");
                }
            }
            self.pinned = Some(via);
        }
        let new = path.source?;
        if target != self.gateway {
            info!(old = %self.gateway, new = %target, "the gateway is reached at another of its addresses");
            let old = std::mem::replace(&mut self.gateway, target);
            self.unpin_unless_current(old).await;
        }
        let peer = self.ike.endpoints().1.ip();
        (new != sockets.local_ip() || target != peer).then_some((new, target))
    }
}

/// The first of the gateway's `candidates` addresses (the preferred one,
/// its other addresses, the one in use) with a path under the tunnel `tun`.
async fn reachable(candidates: Vec<IpAddr>, tun: Option<String>) -> Option<(IpAddr, RouteLookup)> {
    let mut last = None;
    for c in candidates {
        match path_to_gateway(c, tun.clone()).await {
            Ok(p) if p.source.is_some() => return Some((c, p)),
            Ok(_) => {}
            Err(e) => last = Some(e),
        }
    }
    if let Some(e) = last {
        info!(error = %e, "no path to the gateway for now");
    }
    None
}
