//! TUN device: configuration as the kernel sees it, packets both ways.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use ibex_platform::{Journal, JournalEntry, TunConfig, TunDevice, TunIo};

use crate::harness::{ip_json_in, scratch, TestNs};
use crate::packets::{parse_udp4, udp4};

fn config(addresses: &[(&str, u8)]) -> TunConfig {
    TunConfig {
        name: Some("ibex0".into()),
        addresses: addresses
            .iter()
            .map(|(a, l)| (a.parse::<IpAddr>().expect("ip"), *l))
            .collect(),
        mtu: 1400,
        offload: false,
    }
}

#[test]
fn tun_up_with_addresses_and_mtu() {
    let Some(ns) = TestNs::create() else { return };
    let dir = scratch();
    let journal_path = dir.path().join("journal.json");
    let name = ns.name().to_string();
    ns.run(move || async move {
        let mut journal = Journal::load(&journal_path).expect("journal");
        let cfg = config(&[("10.99.0.2", 24), ("10.99.7.1", 32)]);
        let tun = TunDevice::create(&cfg, &mut journal)
            .await
            .expect("create TUN");
        assert_eq!(tun.name(), "ibex0");
        assert_eq!(TunIo::mtu(&tun), 1400);

        let out = std::process::Command::new("ip")
            .args(["-n", &name, "-j", "addr", "show", "dev", "ibex0"])
            .output()
            .expect("ip addr");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let link = &json[0];
        assert_eq!(link["mtu"], 1400, "{link}");
        let flags: Vec<&str> = link["flags"]
            .as_array()
            .expect("flags")
            .iter()
            .filter_map(|f| f.as_str())
            .collect();
        assert!(flags.contains(&"UP"), "{flags:?}");
        let addrs: Vec<(String, u64)> = link["addr_info"]
            .as_array()
            .expect("addr_info")
            .iter()
            .filter(|a| a["family"] == "inet")
            .map(|a| {
                (
                    a["local"].as_str().unwrap_or_default().to_string(),
                    a["prefixlen"].as_u64().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            addrs,
            [("10.99.0.2".to_string(), 24), ("10.99.7.1".to_string(), 32)]
        );

        let reloaded = Journal::load(&journal_path).expect("reload");
        assert!(matches!(
            reloaded.entries(),
            [JournalEntry::Tun(t)] if t.name == "ibex0" && t.index == tun.index()
        ));
        drop(tun);
        // the device goes away with its handle; undo finds nothing left to do
        journal.undo().await.expect("undo");
        assert!(!journal_path.exists());
    });
    let links = ns.ip_json(&["link", "show"]);
    assert!(
        !links.to_string().contains("ibex0"),
        "TUN still present: {links}"
    );
}

#[test]
fn tun_packets_both_ways() {
    let Some(ns) = TestNs::create() else { return };
    let dir = scratch();
    let journal_path = dir.path().join("journal.json");
    let name = ns.name().to_string();
    ns.run(move || async move {
        let mut journal = Journal::load(&journal_path).expect("journal");
        let tun = TunDevice::create(&config(&[("10.99.0.2", 24)]), &mut journal)
            .await
            .expect("create TUN");
        let local = Ipv4Addr::new(10, 99, 0, 2);
        let peer = Ipv4Addr::new(10, 99, 0, 77);
        let sock = tokio::net::UdpSocket::bind(SocketAddr::new(local.into(), 0))
            .await
            .expect("bind");
        let port = sock.local_addr().expect("addr").port();

        // the namespace's socket -> route 10.99.0.0/24 dev ibex0 -> TUN recv
        sock.send_to(b"to the tunnel", SocketAddr::new(peer.into(), 9))
            .await
            .expect("send");
        let mut buf = vec![0u8; 2048];
        loop {
            let n = tokio::time::timeout(Duration::from_secs(5), tun.recv(&mut buf))
                .await
                .expect("packet within 5 s")
                .expect("recv");
            // skip IPv6 router solicitations and the like
            if let Some((src, dst, dport, payload)) = parse_udp4(&buf[..n]) {
                assert_eq!((src, dst, dport), (local, peer, 9));
                assert_eq!(payload, b"to the tunnel");
                break;
            }
        }

        // TUN send -> kernel delivers to the socket
        let packet = udp4(peer, 9, local, port, b"from the tunnel");
        assert_eq!(tun.send(&packet).await.expect("send"), packet.len());
        let mut rbuf = [0u8; 64];
        let (n, from) = tokio::time::timeout(Duration::from_secs(5), sock.recv_from(&mut rbuf))
            .await
            .expect("datagram within 5 s")
            .expect("recv_from");
        assert_eq!(&rbuf[..n], b"from the tunnel");
        assert_eq!(from, SocketAddr::new(peer.into(), 9));

        // undo while the device is still open deletes it
        journal.undo().await.expect("undo");
        let links = ip_json_in(&name, &["link", "show"]).to_string();
        assert!(!links.contains("ibex0"), "TUN still present: {links}");
        drop(tun);
    });
}
