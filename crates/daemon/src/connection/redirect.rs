//! Following a gateway's redirect (RFC 5685): before the tunnel is up the
//! sign-in starts over at the new gateway; an established tunnel moves
//! make-before-break, its route to the new gateway pinned first and the
//! old one's removed once the move is done. Loops are refused.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use ibex_ike::GatewayId;
use tracing::{info, warn};

use super::{path_to_gateway, Conn};

impl Conn<'_> {
    /// The gateway refused us before the connection was up: sign in at
    /// `to` instead, or end with the reason it cannot be followed.
    pub(super) async fn restart_redirected(&mut self, to: GatewayId) {
        let from = GatewayId::from_ip(self.gateway);
        match self.accept_redirect(&to).await {
            Ok(addr) => {
                // Reconnecting with the system closed: the new gateway must
                // be reachable around the tunnel.
                self.pin(addr).await;
                info!(%from, %to, "redirected: signing in at the new gateway");
                self.snap.note = Some(format!("gateway {from} redirected us to {to}"));
                self.restart_at = Some((addr, from));
                self.home = addr;
            }
            Err(why) => {
                warn!(%why, "not following the redirect");
                self.closed.get_or_insert(why);
            }
        }
    }

    /// The gateway asks the established tunnel to move to `to`.
    pub(super) async fn follow_redirect(&mut self, to: GatewayId) {
        let addr = match self.accept_redirect(&to).await {
            Ok(a) => a,
            Err(why) => {
                warn!(%why, "not following the redirect; the tunnel stays where it is");
                return;
            }
        };
        self.pin(addr).await;
        let local = self.ike.endpoints().0.ip();
        let now = Instant::now();
        if self
            .ike
            .follow_redirect(now, SocketAddr::new(local, 500), SocketAddr::new(addr, 500))
        {
            info!(%to, "the gateway redirects the tunnel: moving (make-before-break)");
            self.moving = Some((self.gateway, addr));
            self.snap.note = Some(format!("moving to gateway {to} at the gateway's request"));
        } else {
            warn!(%to, "cannot move the tunnel now (a sign-in is under way)");
            self.unpin_unless_current(addr).await;
        }
    }

    /// The move is done (the new IKE SA carries the tunnel): the old
    /// gateway's route goes once the old IKE SA is deleted (its Delete
    /// must still reach the old gateway around the tunnel).
    pub(super) async fn moved_gateway(&mut self) {
        if let Some((old, new)) = self.moving.take() {
            self.home = new;
            self.leaving = Some(old);
            self.snap.note = None;
        }
    }

    /// Removes the old gateway's route once nothing talks to it any more.
    pub(super) async fn release_old_gateway(&mut self) {
        if self.leaving.is_some() && !self.ike.retiring() {
            if let Some(old) = self.leaving.take() {
                self.unpin_unless_current(old).await;
            }
        }
    }

    /// The move failed: the tunnel stays with the old gateway.
    pub(super) async fn move_failed(&mut self) {
        if let Some((_, new)) = self.moving.take() {
            warn!(gateway = %new, "could not move to the redirected gateway; staying");
            self.unpin_unless_current(new).await;
            self.snap.note = None;
        }
    }

    /// Checks the redirect against loops and resolves the gateway.
    async fn accept_redirect(&mut self, to: &GatewayId) -> Result<IpAddr, String> {
        self.redirects
            .follow(Instant::now(), to.clone())
            .map_err(|e| format!("the gateways sent this connection in a circle ({e})"))?;
        match to {
            GatewayId::Fqdn(name) => resolve(name).await,
            ip => ip.ip().ok_or_else(|| format!("no address for {ip}")),
        }
    }

    /// Pins a host route to `gateway` on the path under the tunnel, when
    /// the tunnel's routes are in place.
    async fn pin(&mut self, gateway: IpAddr) {
        let Some(tun) = self.live.tun.as_ref().map(|t| t.name().to_string()) else {
            return;
        };
        let Some(routes) = &self.live.routes else {
            return;
        };
        match path_to_gateway(gateway, Some(tun)).await {
            Ok(path) => {
                if let Err(e) = routes.repin(gateway, &path, self.journal).await {
                    warn!(%gateway, error = %e, "cannot pin a route to the new gateway");
                }
            }
            Err(e) => warn!(%gateway, error = %e, "no path to the new gateway"),
        }
    }

    pub(super) async fn unpin_unless_current(&mut self, gateway: IpAddr) {
        if gateway == self.gateway {
            return;
        }
        if let Some(routes) = &self.live.routes {
            if let Err(e) = routes.unpin(gateway, self.journal).await {
                warn!(%gateway, error = %e, "cannot remove the old gateway's route");
            }
        }
    }
}

/// The first address of a gateway's name (IPv4 preferred).
async fn resolve(name: &str) -> Result<IpAddr, String> {
    let addrs: Vec<IpAddr> = tokio::net::lookup_host((name, 500))
        .await
        .map_err(|e| format!("cannot resolve the redirected gateway {name}: {e}"))?
        .map(|a| a.ip())
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("the redirected gateway {name} has no address"))
}
