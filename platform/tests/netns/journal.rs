//! A daemon killed with everything applied: the next start loads the journal
//! and undo brings the system back exactly.

use std::net::IpAddr;

use ibex_platform::{
    DnsBackend, DnsConfig, DnsManager, Journal, JournalEntry, RouteManager, RoutePlan, TunConfig,
    TunDevice, Tunnel,
};

use crate::harness::{ip_json_in, route_tables, scratch, TestNs};

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

#[test]
fn killed_daemon_is_cleaned_up_from_its_journal() {
    let Some(ns) = TestNs::create() else { return };
    ns.uplink();
    let dir = scratch();
    let journal_path = dir.path().join("ibexd.journal");
    let resolv = dir.path().join("resolv.conf");
    let original = b"# system resolver\nnameserver 192.0.2.53\noptions edns0\n".to_vec();
    std::fs::write(&resolv, &original).expect("seed resolv.conf");
    let name = ns.name().to_string();
    let resolv_in = resolv.clone();
    let journal_in = journal_path.clone();
    ns.run(move || async move {
        let before = route_tables(&name);
        {
            // the "daemon": TUN, routes and DNS, then killed (everything dropped,
            // nothing undone)
            let mut journal = Journal::load(&journal_in).expect("journal");
            let tun = TunDevice::create(
                &TunConfig {
                    name: Some("ibex0".into()),
                    addresses: vec![(ip("10.99.0.2"), 24)],
                    mtu: 1400,
                    offload: true,
                },
                &mut journal,
            )
            .await
            .expect("TUN");
            let routes = RouteManager::new().expect("routes");
            routes
                .apply(
                    &RoutePlan {
                        tun: tun.name().to_string(),
                        pin_gateway: Some(ip("203.0.113.10")),
                        tunnel: Tunnel::Full {
                            ipv4: true,
                            ipv6: true,
                        },
                    },
                    &mut journal,
                )
                .await
                .expect("routes");
            let dns = DnsManager::new(DnsBackend::ResolvConf {
                path: resolv_in.clone(),
            });
            dns.apply(
                tun.name(),
                &DnsConfig {
                    servers: vec![ip("10.99.0.53")],
                    search_domains: vec!["corp.example".into()],
                },
                &mut journal,
            )
            .await
            .expect("dns");
            assert!(std::fs::read_to_string(&resolv_in)
                .expect("read")
                .contains("nameserver 10.99.0.53"));
        }
        // leftovers: the pinned route (the TUN took its own routes with it) and DNS
        let pin = ip_json_in(&name, &["route", "show", "203.0.113.10/32"]);
        assert_eq!(pin.as_array().map(Vec::len), Some(1), "{pin}");
        assert_ne!(std::fs::read(&resolv_in).expect("read"), original);

        // next start
        let mut journal = Journal::load(&journal_in).expect("reload");
        let kinds: Vec<&str> = journal
            .entries()
            .iter()
            .map(|e| match e {
                JournalEntry::Tun(_) => "tun",
                JournalEntry::Route(_) => "route",
                JournalEntry::ResolvConf(_) => "resolv_conf",
                _ => "other",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "tun",
                "route",
                "route",
                "route",
                "route",
                "route",
                "resolv_conf"
            ]
        );
        journal.undo().await.expect("undo");
        assert!(journal.is_empty());
        assert_eq!(route_tables(&name), before, "routes back to the byte");
        assert_eq!(std::fs::read(&resolv_in).expect("read"), original);
        assert!(!journal_in.exists(), "journal file removed once empty");

        // undo is idempotent
        Journal::load(&journal_in)
            .expect("reload")
            .undo()
            .await
            .expect("second undo");
        assert_eq!(route_tables(&name), before);
    });
}
