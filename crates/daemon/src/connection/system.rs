//! What the system sees of a connection: the TUN device with the virtual
//! address, routes and DNS, all journaled first and undone at the end.

use std::time::Instant;

use ibex_ike::{ChildSaInfo, ReceivedConfig};
use ibex_platform::{
    DnsManager, IpPrefix, Journal, RouteManager, RoutePlan, TunConfig, TunDevice, Tunnel,
};
use tracing::{info, warn};

use super::{ConnError, Params, Phase, Snapshot};

/// What is applied to the system while the tunnel is up.
#[derive(Default)]
pub(super) struct Live {
    pub tun: Option<TunDevice>,
    pub routes: Option<RouteManager>,
    pub dns: Option<DnsManager>,
    /// The gateway's configuration payload (virtual IP, DNS, subnets).
    pub config: ReceivedConfig,
}

/// TUN with the virtual address, routes, DNS: everything journaled first.
pub(super) async fn bring_up(
    params: &Params,
    gateway: std::net::IpAddr,
    child: &ChildSaInfo,
    live: &mut Live,
    snap: &mut Snapshot,
    journal: &mut Journal,
) -> Result<(), ConnError> {
    let mut addresses = live.config.addresses.clone();
    if addresses.is_empty() {
        // No virtual IP: the tunnel carries our own selectors' addresses.
        addresses = child
            .ts_local
            .iter()
            .filter(|t| t.start_addr == t.end_addr)
            .map(|t| (t.start_addr, if t.start_addr.is_ipv4() { 32 } else { 128 }))
            .collect();
    }
    let tun = TunDevice::create(
        &TunConfig {
            name: Some(params.tun_name.clone()),
            addresses: addresses.clone(),
            mtu: params.mtu,
            offload: TunConfig::offload_wanted(),
        },
        journal,
    )
    .await?;
    let tunnel = if params.full_tunnel {
        Tunnel::Full {
            ipv4: true,
            ipv6: ipv6_enabled(),
        }
    } else if params.split.is_empty() {
        let mut prefixes: Vec<IpPrefix> = live
            .config
            .subnets
            .iter()
            .filter_map(|(a, l)| IpPrefix::new(*a, *l).ok())
            .collect();
        if prefixes.is_empty() {
            prefixes = child.ts_remote.iter().filter_map(ts_to_prefix).collect();
        }
        Tunnel::Split(prefixes)
    } else {
        Tunnel::Split(params.split.clone())
    };
    let routes = RouteManager::new()?;
    routes
        .apply(
            &RoutePlan {
                tun: tun.name().to_string(),
                pin_gateway: Some(gateway),
                tunnel,
            },
            journal,
        )
        .await?;
    let mut dns = params.dns.clone();
    if params.use_gateway_dns {
        for d in &live.config.dns {
            if !dns.servers.contains(d) {
                dns.servers.push(*d);
            }
        }
    }
    if !dns.servers.is_empty() {
        let manager = DnsManager::detect().await;
        manager.apply(tun.name(), &dns, journal).await?;
        live.dns = Some(manager);
    }
    info!(tun = tun.name(), addresses = ?addresses, dns = ?dns.servers, "tunnel up");
    snap.addresses = addresses;
    snap.dns = dns.servers;
    snap.phase = Phase::Connected;
    snap.since = Some(Instant::now());
    live.routes = Some(routes);
    live.tun = Some(tun);
    Ok(())
}

impl super::Conn<'_> {
    /// A new sign-in (reauthentication, redirect) brought another virtual
    /// address: the TUN device takes it in place, its routes untouched, so
    /// no packet leaves around the tunnel meanwhile. Where that cannot be
    /// done, the system is set up again from scratch.
    pub(super) async fn readdress_tun(&mut self) {
        let new = self.live.config.addresses.clone();
        let old = self.snap.addresses.clone();
        warn!(
            ?old,
            ?new,
            "the new sign-in brought another virtual address"
        );
        let done = match &self.live.tun {
            Some(tun) => tun.readdress(&old, &new).await,
            None => return,
        };
        match done {
            Ok(()) => self.snap.addresses = new,
            Err(e) => {
                warn!(error = %e, "cannot change the address in place; setting the tunnel up again");
                teardown(&mut self.live, self.journal).await;
            }
        }
    }
}

/// Whether the kernel has IPv6 enabled in this network namespace.
fn ipv6_enabled() -> bool {
    std::fs::read_to_string("/proc/sys/net/ipv6/conf/all/disable_ipv6")
        .map(|v| v.trim() == "0")
        .unwrap_or(false)
}

fn ts_to_prefix(ts: &ibex_ike::message::TrafficSelector) -> Option<IpPrefix> {
    ibex_ike::session::ts_prefix(ts).and_then(|(a, l)| IpPrefix::new(a, l).ok())
}

pub(super) async fn teardown(live: &mut Live, journal: &mut Journal) {
    if let Some(d) = live.dns.take() {
        if let Err(e) = d.revert(journal).await {
            warn!(error = %e, "restoring DNS failed");
        }
    }
    if let Some(r) = live.routes.take() {
        if let Err(e) = r.remove(journal).await {
            warn!(error = %e, "removing routes failed");
        }
    }
    live.tun = None;
    if let Err(e) = journal.undo().await {
        warn!(error = %e, "undoing the journal failed");
    }
}
