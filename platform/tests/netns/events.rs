//! Netlink multicast events for address and link changes on a veth.

use std::net::IpAddr;
use std::time::Duration;

use ibex_platform::{NetEvent, NetEvents};

use crate::harness::{ip_in, TestNs};

/// Receive events until `want` matches one (5 s at most); returns it and
/// everything seen before it.
async fn wait_for(
    events: &mut NetEvents,
    what: &str,
    want: impl Fn(&NetEvent) -> bool,
) -> (NetEvent, Vec<NetEvent>) {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(e)) if want(&e) => return (e, seen),
            Ok(Some(e)) => seen.push(e),
            Ok(None) => panic!("event stream ended while waiting for {what}; seen {seen:?}"),
            Err(_) => panic!("no {what} within 5 s; seen {seen:?}"),
        }
    }
}

#[test]
fn address_and_link_changes_arrive_as_events() {
    let Some(ns) = TestNs::create() else { return };
    ns.uplink();
    let veth0 = ns.ip_json(&["link", "show", "veth0"])[0]["ifindex"]
        .as_u64()
        .and_then(|i| u32::try_from(i).ok())
        .expect("ifindex");
    let name = ns.name().to_string();
    ns.run(move || async move {
        let mut events = NetEvents::subscribe().await.expect("subscribe");
        let addr: IpAddr = "10.99.5.1".parse().expect("ip");

        ip_in(&name, &["addr", "add", "10.99.5.1/24", "dev", "veth0"]);
        let (added, _) = wait_for(
            &mut events,
            "AddressAdded",
            |e| matches!(e, NetEvent::AddressAdded { addr: a, .. } if *a == addr),
        )
        .await;
        assert_eq!(
            added,
            NetEvent::AddressAdded {
                index: veth0,
                addr,
                prefix_len: 24
            }
        );
        // the address brought its prefix route
        wait_for(&mut events, "RouteChanged", |e| {
            *e == NetEvent::RouteChanged
        })
        .await;

        ip_in(&name, &["addr", "del", "10.99.5.1/24", "dev", "veth0"]);
        let (removed, _) = wait_for(
            &mut events,
            "AddressRemoved",
            |e| matches!(e, NetEvent::AddressRemoved { addr: a, .. } if *a == addr),
        )
        .await;
        assert_eq!(
            removed,
            NetEvent::AddressRemoved {
                index: veth0,
                addr,
                prefix_len: 24
            }
        );

        ip_in(&name, &["link", "set", "veth0", "down"]);
        let (down, seen) = wait_for(
            &mut events,
            "LinkDown veth0",
            |e| matches!(e, NetEvent::LinkDown { index, .. } if *index == veth0),
        )
        .await;
        assert_eq!(
            down,
            NetEvent::LinkDown {
                index: veth0,
                name: "veth0".into()
            }
        );
        assert!(
            !seen.iter().any(|e| matches!(e, NetEvent::LinkUp { .. })),
            "no spurious LinkUp: {seen:?}"
        );

        ip_in(&name, &["link", "set", "veth0", "up"]);
        wait_for(
            &mut events,
            "LinkUp veth0",
            |e| matches!(e, NetEvent::LinkUp { index, .. } if *index == veth0),
        )
        .await;
    });
}
