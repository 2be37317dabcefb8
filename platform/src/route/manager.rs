//! [`RouteManager`]: applies a [`RoutePlan`] route by route, journaling each one
//! before adding it, and removes exactly what it added.

use std::net::IpAddr;

use crate::error::{PlatformError, Result};
use crate::journal::{Journal, JournalEntry, RouteRecord, MAIN_TABLE};
use crate::netlink::{errno, link::LinkState, nl_error, Netlink, EEXIST};
use crate::prefix::IpPrefix;
use crate::route::{RouteLookup, RoutePlan};

/// The `rtm_protocol` of every route Ibex adds (`ip route` shows `proto 73`).
/// Deletions match on it, so undo never removes a route someone else added,
/// even one with the same destination and device.
pub const IBEX_ROUTE_PROTOCOL: u8 = 73;

const RT_SCOPE_UNIVERSE: u8 = 0;
const RT_SCOPE_LINK: u8 = 253;

/// Adds and removes the tunnel's routes over its own rtnetlink connection (in
/// the network namespace of the thread that created it).
#[derive(Debug)]
pub struct RouteManager {
    nl: Netlink,
}

impl RouteManager {
    /// Open the netlink connection; call inside a tokio runtime.
    pub fn new() -> Result<RouteManager> {
        Ok(RouteManager {
            nl: Netlink::connect()?,
        })
    }

    /// Apply `plan`: first the pinned gateway route (through the current path),
    /// then the tunnel routes, each recorded in `journal` before it is added.
    /// On failure the routes this call added are removed again before the error
    /// is returned, so nothing is left half-applied.
    pub async fn apply(&self, plan: &RoutePlan, journal: &mut Journal) -> Result<()> {
        let tun = self
            .nl
            .link_by_name(&plan.tun)
            .await?
            .ok_or_else(|| PlatformError::NoSuchInterface(plan.tun.clone()))?;
        let mut added: Vec<JournalEntry> = Vec::new();
        let result = self.apply_steps(plan, &tun, journal, &mut added).await;
        if let Err(e) = result {
            tracing::warn!(error = %e, routes = added.len(), "route plan failed; rolling back");
            if let Err(undo) = journal.undo_matching(|entry| added.contains(entry)).await {
                tracing::error!(error = %undo, "rollback of the route plan is incomplete");
            }
            return Err(e);
        }
        tracing::info!(tun = %tun.name, routes = added.len(), "route plan applied");
        Ok(())
    }

    async fn apply_steps(
        &self,
        plan: &RoutePlan,
        tun: &LinkState,
        journal: &mut Journal,
        added: &mut Vec<JournalEntry>,
    ) -> Result<()> {
        if let Some(gateway) = plan.pin_gateway {
            let rec = self.pin_record(gateway, tun).await?;
            if let Some(entry) = self.add(rec, journal, None).await? {
                added.push(entry);
            }
        }
        for prefix in plan.tunnel.prefixes() {
            let rec = RouteRecord {
                destination: prefix,
                gateway: None,
                ifindex: tun.index,
                ifname: tun.name.clone(),
                table: MAIN_TABLE,
                protocol: IBEX_ROUTE_PROTOCOL,
                scope: if prefix.is_ipv6() {
                    RT_SCOPE_UNIVERSE
                } else {
                    RT_SCOPE_LINK
                },
                metric: None,
            };
            if let Some(entry) = self.add(rec, journal, Some(tun)).await? {
                added.push(entry);
            }
        }
        Ok(())
    }

    /// A host route to `gateway` through the path the kernel uses for it now.
    async fn pin_record(&self, gateway: IpAddr, tun: &LinkState) -> Result<RouteRecord> {
        let path = self.nl.route_get(gateway).await?;
        if path.ifindex == tun.index {
            return Err(PlatformError::GatewayThroughTunnel {
                gateway,
                tun: tun.name.clone(),
            });
        }
        tracing::debug!(%gateway, via = ?path.gateway, dev = %path.ifname, "pinning gateway route");
        Ok(RouteRecord {
            destination: IpPrefix::host(gateway),
            gateway: path.gateway,
            ifindex: path.ifindex,
            ifname: path.ifname,
            table: MAIN_TABLE,
            protocol: IBEX_ROUTE_PROTOCOL,
            scope: if path.gateway.is_some() || gateway.is_ipv6() {
                RT_SCOPE_UNIVERSE
            } else {
                RT_SCOPE_LINK
            },
            metric: None,
        })
    }

    /// Journal then add one route. An identical destination that already exists
    /// is left alone (and not journaled) when it is the pinned gateway route or
    /// already goes through `tun`; otherwise it is [`PlatformError::RouteExists`].
    async fn add(
        &self,
        rec: RouteRecord,
        journal: &mut Journal,
        tun: Option<&LinkState>,
    ) -> Result<Option<JournalEntry>> {
        let entry = JournalEntry::Route(rec.clone());
        journal.push(entry.clone())?;
        match self.nl.add_route(&rec).await {
            Ok(()) => {
                tracing::info!(route = %rec, "route added");
                Ok(Some(entry))
            }
            Err(e) if errno(&e) == Some(EEXIST) => {
                journal.forget_last(&entry)?;
                match tun {
                    None => {
                        tracing::warn!(route = %rec, "a host route to the gateway exists already; leaving it");
                        Ok(None)
                    }
                    Some(tun) if self.routes_through(rec.destination.addr(), tun).await => {
                        tracing::info!(route = %rec, "already routed through the tunnel; leaving it");
                        Ok(None)
                    }
                    Some(_) => Err(PlatformError::RouteExists {
                        route: rec.to_string(),
                    }),
                }
            }
            Err(e) => {
                journal.forget_last(&entry)?;
                Err(nl_error(format!("add route {rec}"), e))
            }
        }
    }

    async fn routes_through(&self, dest: IpAddr, tun: &LinkState) -> bool {
        matches!(self.nl.route_get(dest).await, Ok(l) if l.ifindex == tun.index)
    }

    /// Moves the pinned host route to `gateway` onto `path` (the network
    /// under the tunnel changed): the old pin is removed, the new one
    /// journaled and added.
    pub async fn repin(
        &self,
        gateway: IpAddr,
        path: &crate::route::RouteLookup,
        journal: &mut Journal,
    ) -> Result<()> {
        let host = IpPrefix::host(gateway);
        journal
            .undo_matching(|e| matches!(e, JournalEntry::Route(r) if r.destination == host))
            .await?;
        let rec = RouteRecord {
            destination: host,
            gateway: path.gateway,
            ifindex: path.ifindex,
            ifname: path.ifname.clone(),
            table: MAIN_TABLE,
            protocol: IBEX_ROUTE_PROTOCOL,
            scope: if path.gateway.is_some() || gateway.is_ipv6() {
                RT_SCOPE_UNIVERSE
            } else {
                RT_SCOPE_LINK
            },
            metric: None,
        };
        tracing::info!(%gateway, via = ?path.gateway, dev = %path.ifname, "gateway route moved");
        self.add(rec, journal, None).await.map(|_| ())
    }

    /// Removes the pinned host route to `gateway` (a gateway no longer used,
    /// e.g. after a redirect to another one).
    pub async fn unpin(&self, gateway: IpAddr, journal: &mut Journal) -> Result<()> {
        let host = IpPrefix::host(gateway);
        journal
            .undo_matching(|e| matches!(e, JournalEntry::Route(r) if r.destination == host))
            .await
    }

    /// Remove every route recorded in `journal`, newest first; routes already gone
    /// (their TUN device disappeared, or someone deleted them) count as removed.
    pub async fn remove(&self, journal: &mut Journal) -> Result<()> {
        journal
            .undo_matching(|e| matches!(e, JournalEntry::Route(_)))
            .await
    }

    /// [`route_get`](crate::route_get) over this manager's connection.
    pub async fn route_get(&self, dest: IpAddr) -> Result<RouteLookup> {
        self.nl.route_get(dest).await
    }
}
