//! Route add/delete and single-route lookups (`ip route get`) over rtnetlink.

use std::net::IpAddr;

use futures_util::TryStreamExt;
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
    RouteVia,
};
use rtnetlink::packet_route::AddressFamily;

use super::{errno, nl_error, Netlink};
use crate::error::{PlatformError, Result};
use crate::journal::RouteRecord;
use crate::route::RouteLookup;

fn family(addr: IpAddr) -> AddressFamily {
    if addr.is_ipv6() {
        AddressFamily::Inet6
    } else {
        AddressFamily::Inet
    }
}

/// The `RTM_NEWROUTE`/`RTM_DELROUTE` body for `rec`.
fn route_message(rec: &RouteRecord) -> RouteMessage {
    let dst = rec.destination.addr();
    let mut msg = RouteMessage::default();
    msg.header.address_family = family(dst);
    msg.header.destination_prefix_length = rec.destination.len();
    msg.header.protocol = RouteProtocol::from(rec.protocol);
    msg.header.scope = RouteScope::from(rec.scope);
    msg.header.kind = RouteType::Unicast;
    match u8::try_from(rec.table) {
        Ok(t) => msg.header.table = t,
        Err(_) => {
            msg.header.table = RouteHeader::RT_TABLE_UNSPEC;
            msg.attributes.push(RouteAttribute::Table(rec.table));
        }
    }
    msg.attributes
        .push(RouteAttribute::Destination(RouteAddress::from(dst)));
    match (dst, rec.gateway) {
        (_, None) => {}
        (IpAddr::V4(_), Some(IpAddr::V6(gw))) => {
            msg.attributes
                .push(RouteAttribute::Via(RouteVia::Inet6(gw)));
        }
        (_, Some(gw)) => msg
            .attributes
            .push(RouteAttribute::Gateway(RouteAddress::from(gw))),
    }
    msg.attributes.push(RouteAttribute::Oif(rec.ifindex));
    if let Some(metric) = rec.metric {
        msg.attributes.push(RouteAttribute::Priority(metric));
    }
    msg
}

impl Netlink {
    /// Add the route `rec` describes (fails with `EEXIST` if it exists).
    pub(crate) async fn add_route(&self, rec: &RouteRecord) -> Result<(), rtnetlink::Error> {
        self.handle()
            .route()
            .add(route_message(rec))
            .execute()
            .await
    }

    /// Delete the route `rec` describes (matching protocol, gateway and device).
    pub(crate) async fn del_route(&self, rec: &RouteRecord) -> Result<(), rtnetlink::Error> {
        self.handle()
            .route()
            .del(route_message(rec))
            .execute()
            .await
    }

    /// Ask the kernel which route it would use for `dest` (`ip route get`).
    pub(crate) async fn route_get(&self, dest: IpAddr) -> Result<RouteLookup> {
        self.route_get_oif(dest, None).await
    }

    /// The output interfaces of the unicast routes in the main table that
    /// cover `dest`, best first (longest prefix, then lowest metric).
    pub(crate) async fn covering_oifs(&self, dest: IpAddr) -> Result<Vec<u32>> {
        let mut q = RouteMessage::default();
        q.header.address_family = family(dest);
        let mut dump = self.handle().route().get(q).execute();
        let mut found: Vec<(u8, u32, u32)> = Vec::new();
        while let Some(r) = dump
            .try_next()
            .await
            .map_err(|e| nl_error(format!("list routes toward {dest}"), e))?
        {
            // Our own routes (the pinned gateway route) say where the
            // tunnel went, not where the network now leads: skip them.
            if r.header.kind != RouteType::Unicast
                || r.header.table != RouteHeader::RT_TABLE_MAIN
                || u8::from(r.header.protocol) == crate::route::IBEX_ROUTE_PROTOCOL
            {
                continue;
            }
            let len = r.header.destination_prefix_length;
            let mut dst = None;
            let mut oif = None;
            let mut metric = 0;
            for a in &r.attributes {
                match a {
                    RouteAttribute::Destination(d) => dst = ip_of(d),
                    RouteAttribute::Oif(i) => oif = Some(*i),
                    RouteAttribute::Priority(m) => metric = *m,
                    _ => {}
                }
            }
            let covers = match dst {
                None => len == 0,
                Some(d) => crate::prefix::IpPrefix::new(d, len).is_ok_and(|p| p.contains(dest)),
            };
            if let (true, Some(oif)) = (covers, oif) {
                found.push((len, metric, oif));
            }
        }
        found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut oifs: Vec<u32> = Vec::new();
        for (_, _, o) in found {
            if !oifs.contains(&o) {
                oifs.push(o);
            }
        }
        Ok(oifs)
    }

    /// [`Netlink::route_get`] restricted to output interface `oif`.
    pub(crate) async fn route_get_oif(
        &self,
        dest: IpAddr,
        oif: Option<u32>,
    ) -> Result<RouteLookup> {
        let mut msg = RouteMessage::default();
        msg.header.address_family = family(dest);
        msg.header.destination_prefix_length = if dest.is_ipv6() { 128 } else { 32 };
        msg.attributes
            .push(RouteAttribute::Destination(RouteAddress::from(dest)));
        if let Some(oif) = oif {
            msg.attributes.push(RouteAttribute::Oif(oif));
        }
        let mut replies = self.handle().route().get(msg).execute();
        let reply = match replies.try_next().await {
            Ok(Some(r)) => r,
            Ok(None) => {
                return Err(PlatformError::NoRoute {
                    dest,
                    reason: "the kernel returned no route".into(),
                })
            }
            Err(e) if errno(&e).is_some() => {
                return Err(PlatformError::NoRoute {
                    dest,
                    reason: super::to_io(e).to_string(),
                })
            }
            Err(e) => return Err(nl_error(format!("route lookup for {dest}"), e)),
        };
        if reply.header.kind != RouteType::Unicast {
            return Err(PlatformError::NoRoute {
                dest,
                reason: format!("the route is of type {:?}, not unicast", reply.header.kind),
            });
        }
        let mut lookup = RouteLookup {
            destination: dest,
            source: None,
            ifindex: 0,
            ifname: String::new(),
            gateway: None,
        };
        for attr in &reply.attributes {
            match attr {
                RouteAttribute::PrefSource(a) => lookup.source = ip_of(a),
                RouteAttribute::Oif(i) => lookup.ifindex = *i,
                RouteAttribute::Gateway(a) => lookup.gateway = ip_of(a),
                RouteAttribute::Via(RouteVia::Inet6(a)) => lookup.gateway = Some(IpAddr::V6(*a)),
                RouteAttribute::Via(RouteVia::Inet(a)) => lookup.gateway = Some(IpAddr::V4(*a)),
                _ => {}
            }
        }
        if lookup.ifindex == 0 {
            return Err(PlatformError::NoRoute {
                dest,
                reason: "the route has no output interface".into(),
            });
        }
        lookup.ifname = match self.link_by_index(lookup.ifindex).await? {
            Some(link) => link.name,
            None => format!("#{}", lookup.ifindex),
        };
        Ok(lookup)
    }
}

fn ip_of(a: &RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(v4) => Some(IpAddr::V4(*v4)),
        RouteAddress::Inet6(v6) => Some(IpAddr::V6(*v6)),
        _ => None,
    }
}
