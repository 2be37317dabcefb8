//! Route plans: applied as planned, undone to the byte, rolled back on conflict.

use std::net::IpAddr;
use std::path::PathBuf;

use ibex_platform::{
    IpPrefix, Journal, PlatformError, RouteManager, RoutePlan, TunConfig, TunDevice, Tunnel,
    IBEX_ROUTE_PROTOCOL,
};
use serde_json::Value;

use crate::harness::{ip_json_in, route_tables, scratch, TestNs};

const GATEWAY: &str = "203.0.113.10";

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

fn tun_config() -> TunConfig {
    TunConfig {
        name: Some("ibex0".into()),
        addresses: vec![(ip("10.99.0.2"), 24)],
        mtu: 1400,
        offload: true,
    }
}

/// `ip -n NS -j route get DEST` (first entry).
fn route_get(ns: &str, dest: &str) -> Value {
    ip_json_in(ns, &["route", "get", dest])[0].clone()
}

/// `ip -n NS -j -4|-6 route show DEST` entries.
fn route_show(ns: &str, family: &str, dest: &str) -> Vec<Value> {
    ip_json_in(ns, &[family, "route", "show", dest])
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The table as it was, a TUN and a journal: the common start of these tests.
struct Setup {
    ns: TestNs,
    journal: PathBuf,
    _dir: tempfile::TempDir,
}

fn setup() -> Option<Setup> {
    let ns = TestNs::create()?;
    ns.uplink();
    let dir = scratch();
    Some(Setup {
        journal: dir.path().join("journal.json"),
        _dir: dir,
        ns,
    })
}

#[test]
fn full_and_split_plans_apply_and_undo_exactly() {
    let Some(s) = setup() else { return };
    let name = s.ns.name().to_string();
    let journal_path = s.journal.clone();
    s.ns.run(move || async move {
        let snapshot = || route_tables(&name);
        let mut journal = Journal::load(&journal_path).expect("journal");
        let tun = TunDevice::create(&tun_config(), &mut journal)
            .await
            .expect("TUN");
        let before = snapshot();
        let routes = RouteManager::new().expect("route manager");

        // (a) + (b): pinned gateway and full tunnel, both families
        let full = RoutePlan {
            tun: "ibex0".into(),
            pin_gateway: Some(ip(GATEWAY)),
            tunnel: Tunnel::Full {
                ipv4: true,
                ipv6: true,
            },
        };
        routes.apply(&full, &mut journal).await.expect("apply full");
        assert_ne!(snapshot(), before, "the plan changed the tables");
        assert_eq!(
            journal.entries().len(),
            1 + 1 + 4,
            "{:?}",
            journal.entries()
        );

        let pinned = route_get(&name, GATEWAY);
        assert_eq!(pinned["gateway"], "192.0.2.1", "{pinned}");
        assert_eq!(pinned["dev"], "veth0", "{pinned}");
        let pin_entry = route_show(&name, "-4", "203.0.113.10/32");
        assert_eq!(pin_entry.len(), 1, "{pin_entry:?}");
        assert_eq!(pin_entry[0]["protocol"], IBEX_ROUTE_PROTOCOL.to_string());
        for dest in ["198.51.100.7", "10.99.200.1", "192.0.2.0"] {
            let via = route_get(&name, dest);
            let expect = if dest == "192.0.2.0" {
                "veth0"
            } else {
                "ibex0"
            };
            assert_eq!(via["dev"], expect, "{dest}: {via}");
        }
        for half in ["0.0.0.0/1", "128.0.0.0/1"] {
            let r = route_show(&name, "-4", half);
            assert_eq!(r.len(), 1, "{half}: {r:?}");
            assert_eq!(r[0]["dev"], "ibex0");
        }
        for half in ["::/1", "8000::/1"] {
            let r = route_show(&name, "-6", half);
            assert_eq!(r.len(), 1, "{half}: {r:?}");
            assert_eq!(r[0]["dev"], "ibex0");
        }
        // the default route itself is untouched
        let default = route_show(&name, "-4", "default");
        assert_eq!(default.len(), 1);
        assert_eq!(default[0]["gateway"], "192.0.2.1");

        routes.remove(&mut journal).await.expect("remove full");
        assert_eq!(journal.entries().len(), 1, "only the TUN is left");
        assert_eq!(snapshot(), before, "full plan undo");

        // (c): split tunnel
        let split = RoutePlan {
            tun: "ibex0".into(),
            pin_gateway: Some(ip(GATEWAY)),
            tunnel: Tunnel::Split(vec![
                "198.51.100.0/24".parse::<IpPrefix>().expect("prefix"),
                "10.99.128.0/17".parse().expect("prefix"),
                // the TUN's own connected network: already there, left alone
                "10.99.0.0/24".parse().expect("prefix"),
            ]),
        };
        routes
            .apply(&split, &mut journal)
            .await
            .expect("apply split");
        assert_eq!(
            journal.entries().len(),
            1 + 1 + 2,
            "{:?}",
            journal.entries()
        );
        assert_eq!(route_get(&name, "198.51.100.7")["dev"], "ibex0");
        assert_eq!(route_get(&name, "10.99.200.1")["dev"], "ibex0");
        let outside = route_get(&name, "203.0.113.99");
        assert_eq!(outside["dev"], "veth0", "{outside}");
        assert_eq!(route_get(&name, GATEWAY)["dev"], "veth0");

        // removing twice is harmless
        routes.remove(&mut journal).await.expect("remove split");
        routes.remove(&mut journal).await.expect("remove again");
        assert_eq!(snapshot(), before, "split plan undo");

        drop(tun);
        journal.undo().await.expect("undo TUN");
        assert!(journal.is_empty());
    });
    assert!(!s.journal.exists(), "empty journal leaves no file");
}

#[test]
fn pinned_route_follows_the_current_path() {
    let Some(s) = setup() else { return };
    let name = s.ns.name().to_string();
    let journal_path = s.journal.clone();
    s.ns.run(move || async move {
        let mut journal = Journal::load(&journal_path).expect("journal");
        let tun = TunDevice::create(&tun_config(), &mut journal)
            .await
            .expect("TUN");
        let routes = RouteManager::new().expect("route manager");
        // an on-link gateway: pinned as a device route, no via
        let plan = RoutePlan {
            tun: "ibex0".into(),
            pin_gateway: Some(ip("192.0.2.50")),
            tunnel: Tunnel::Full {
                ipv4: true,
                ipv6: false,
            },
        };
        routes.apply(&plan, &mut journal).await.expect("apply");
        let pin = route_show(&name, "-4", "192.0.2.50/32");
        assert_eq!(pin.len(), 1, "{pin:?}");
        assert_eq!(pin[0]["dev"], "veth0");
        assert!(pin[0].get("gateway").is_none(), "{pin:?}");
        assert_eq!(pin[0]["scope"], "link");

        // pinning a gateway whose path already is the tunnel is refused
        let again = RoutePlan {
            tun: "ibex0".into(),
            pin_gateway: Some(ip("198.51.100.1")),
            tunnel: Tunnel::Split(Vec::new()),
        };
        let err = routes
            .apply(&again, &mut journal)
            .await
            .expect_err("through tunnel");
        assert!(
            matches!(err, PlatformError::GatewayThroughTunnel { .. }),
            "{err}"
        );
        drop(tun);
        journal.undo().await.expect("undo");
    });
}

#[test]
fn conflicting_route_rolls_the_plan_back() {
    let Some(s) = setup() else { return };
    // someone else's route to a split prefix, through another device
    s.ns.ip(&["route", "add", "198.51.100.0/24", "dev", "veth0"]);
    let journal_path = s.journal.clone();
    let name = s.ns.name().to_string();
    s.ns.run(move || async move {
        let snapshot = || route_tables(&name);
        let mut journal = Journal::load(&journal_path).expect("journal");
        let tun = TunDevice::create(&tun_config(), &mut journal)
            .await
            .expect("TUN");
        let before = snapshot();
        let routes = RouteManager::new().expect("route manager");
        let plan = RoutePlan {
            tun: "ibex0".into(),
            pin_gateway: Some(ip(GATEWAY)),
            tunnel: Tunnel::Split(vec![
                "10.99.128.0/17".parse().expect("prefix"),
                "198.51.100.0/24".parse().expect("prefix"),
            ]),
        };
        let err = routes
            .apply(&plan, &mut journal)
            .await
            .expect_err("conflict");
        assert!(matches!(err, PlatformError::RouteExists { .. }), "{err}");
        assert!(err.to_string().contains("198.51.100.0/24"), "{err}");
        assert_eq!(snapshot(), before, "pin and first prefix rolled back");
        assert_eq!(journal.entries().len(), 1, "only the TUN is recorded");
        drop(tun);
        journal.undo().await.expect("undo");
    });
}

#[test]
fn route_get_reports_source_device_and_gateway() {
    let Some(s) = setup() else { return };
    let journal_path = s.journal.clone();
    s.ns.run(move || async move {
        let mut journal = Journal::load(&journal_path).expect("journal");
        let tun = TunDevice::create(&tun_config(), &mut journal)
            .await
            .expect("TUN");

        let far = ibex_platform::route_get(ip(GATEWAY))
            .await
            .expect("route_get");
        assert_eq!(far.source, Some(ip("192.0.2.2")));
        assert_eq!(far.ifname, "veth0");
        assert_eq!(far.gateway, Some(ip("192.0.2.1")));

        let near = ibex_platform::route_get(ip("192.0.2.77"))
            .await
            .expect("route_get");
        assert_eq!((near.source, near.gateway), (Some(ip("192.0.2.2")), None));
        assert_eq!(near.ifname, "veth0");

        let tunnel = ibex_platform::route_get(ip("10.99.0.9"))
            .await
            .expect("route_get");
        assert_eq!(tunnel.source, Some(ip("10.99.0.2")));
        assert_eq!(
            (tunnel.ifname.as_str(), tunnel.ifindex),
            ("ibex0", tun.index())
        );

        let local = ibex_platform::route_get(ip("192.0.2.2")).await;
        assert!(
            matches!(local, Err(PlatformError::NoRoute { .. })),
            "{local:?}"
        );
        drop(tun);
        journal.undo().await.expect("undo");
    });
}
