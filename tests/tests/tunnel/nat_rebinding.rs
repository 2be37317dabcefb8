//! NAT rebinding (RFC 7296 2.23, RFC 3948): the client behind a NAT router
//! keeps its mapping alive with keepalives while idle; when the router
//! forgets the mapping and gives the client another one mid-transfer,
//! ibex-responder follows the client's new authenticated traffic and the
//! transfer completes intact.

use std::time::{Duration, Instant};

use ibex_e2e::agent::LAB_PSK as PSK;
use ibex_e2e::agent::{ibex, write_profile, Daemon, ProfileAuth, Responder, ResponderAuth};
use ibex_e2e::lab::{Lab, LAN_HOST};
use ibex_e2e::prereq::{require, Prereq};
use ibex_e2e::transfer::tcp_transfer;
use ibex_e2e::{strip_ansi, tempdir, wait_until};

/// The ports the client's mapping moves to (the lab's NAT starts with
/// 20000-29999).
const NEW_PORTS: std::ops::RangeInclusive<u16> = 40000..=49999;

/// The NAT source port of the client's UDP 4500 mapping in `conntrack -L`
/// output: the reply direction's destination port.
fn mapped_port(conntrack: &str) -> Option<u16> {
    let line = conntrack.lines().find(|l| l.contains("sport=4500"))?;
    line.split_whitespace()
        .filter_map(|w| w.strip_prefix("dport="))
        .nth(1)?
        .parse()
        .ok()
}

/// Where the responder moved the client to (`client endpoint changed`),
/// in order.
fn moves(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| l.contains("client endpoint changed"))
        .filter_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("remote="))
                .map(String::from)
        })
        .collect()
}

#[test]
fn nat_rebinding_mid_transfer_is_followed_by_the_responder() {
    if !require(&[
        Prereq::Root,
        Prereq::Netns,
        Prereq::Tun,
        Prereq::Python3,
        Prereq::Conntrack,
    ]) {
        return;
    }
    let lab = Lab::new(true);
    let dir = tempdir("ibx-natrebind-").unwrap();
    let responder = Responder::start(&lab, dir.path(), &ResponderAuth::Psk);
    let daemon = Daemon::start(&lab, dir.path(), "natrebind");
    let profile = write_profile(dir.path(), &ProfileAuth::Psk);
    let out = ibex(
        &lab,
        &daemon,
        &["connect", profile.to_str().unwrap()],
        &format!("{PSK}\n"),
    );
    assert!(
        out.status.success(),
        "connect: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        daemon.log()
    );
    assert!(wait_until(
        Duration::from_secs(10),
        Duration::from_millis(200),
        || lab.client.ping(LAN_HOST, 1)
    ));
    let first = lab.nat_mappings().unwrap();
    let first_port = mapped_port(&first).unwrap_or_else(|| panic!("no mapping: {first}"));
    assert!((20000..=29999).contains(&first_port), "{first}");

    // Idle: keepalives (one byte 0xFF to UDP 4500) hold the mapping. The
    // last traffic was the ping above; one is due 20 s later.
    let capture = lab
        .gw
        .command(&[
            "timeout",
            "26",
            "tcpdump",
            "-i",
            &lab.gw_if,
            "-n",
            "-l",
            "-c",
            "1",
            "udp dst port 4500 and udp[4:2] = 9 and udp[8] = 0xff",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let idle = Instant::now();
    let seen = capture.wait_with_output().unwrap();
    let keepalive = String::from_utf8_lossy(&seen.stdout).into_owned();
    let after = idle.elapsed();
    assert!(
        keepalive.contains(&format!("192.0.2.3.{first_port} > 192.0.2.1.4500")),
        "no NAT keepalive from the client's mapping within {after:?}: {keepalive:?}\n{}",
        daemon.log()
    );
    assert!(
        after >= Duration::from_secs(12),
        "a keepalive after only {after:?} of silence"
    );
    assert_eq!(
        mapped_port(&lab.nat_mappings().unwrap()),
        Some(first_port),
        "the mapping held while idle"
    );

    // 50 MB through the tunnel; after a second the NAT router forgets the
    // mapping and gives the client ports from another range.
    let remapped = std::thread::scope(|s| {
        let transfer = s.spawn(|| {
            tcp_transfer(
                &lab.client,
                &lab.lan,
                LAN_HOST,
                50_000_000,
                3,
                Duration::from_secs(180),
            )
        });
        std::thread::sleep(Duration::from_secs(1));
        assert!(
            !transfer.is_finished(),
            "the transfer ended before the NAT changed: make it longer"
        );
        lab.remap_nat("40000-49999").unwrap();
        let at = Instant::now();
        let t = transfer
            .join()
            .unwrap()
            .unwrap_or_else(|e| panic!("TCP transfer: {e}\n{}", responder.log()));
        eprintln!("[throughput] ibex client -> ibex-responder across a NAT rebinding: {t}");
        at
    });
    let second = lab.nat_mappings().unwrap();
    let second_port = mapped_port(&second).unwrap_or_else(|| panic!("no mapping: {second}"));
    assert!(
        NEW_PORTS.contains(&second_port),
        "the NAT gave a new mapping: {second}"
    );
    let log = strip_ansi(&responder.log());
    let moved = moves(&log);
    assert_eq!(
        moved.last().map(String::as_str),
        Some(format!("192.0.2.3:{second_port}").as_str()),
        "the responder follows the client to its new mapping:\n{log}"
    );
    assert!(
        moved.iter().all(|m| m.starts_with("192.0.2.3:")),
        "only to the NAT router's address: {moved:?}"
    );
    assert!(
        log.contains("peer's NAT mapping changed"),
        "the session moved:\n{log}"
    );
    eprintln!(
        "nat rebinding: mapping {first_port} -> {second_port}, responder moves {moved:?}, transfer finished {:?} after the change",
        remapped.elapsed()
    );
    // Still the same sign-in, and the tunnel works both ways.
    assert_eq!(log.matches("client signed in").count(), 1, "{log}");
    assert!(lab.client.ping(LAN_HOST, 3));
    assert!(ibex(&lab, &daemon, &["disconnect"], "").status.success());
}
