//! NAT rebinding (RFC 7296 2.23; RFC 4555 3.8 with MOBIKE): the responder,
//! not behind a NAT, follows the client's new mapping on new authenticated
//! traffic only; replays, retransmissions and the side behind the NAT never
//! move anything.

use std::net::SocketAddr;
use std::time::Duration;

use super::{addr, configs, Sim, CLEAN, SUITES};
use ibex_ike::Event;

const FIRST: &str = "192.0.2.3:20000";
const SECOND: &str = "192.0.2.3:31000";

/// The client behind a NAT (mapping `FIRST`), signed in; MOBIKE as asked.
fn behind_nat(mobike: bool, seed: u64) -> Sim {
    let (mut c, r) = configs(SUITES[1].0, SUITES[1].1);
    c.mobike = mobike;
    let mut sim = Sim::new(c, r, CLEAN, seed);
    sim.nat = Some(addr(FIRST));
    assert!(sim.run_until(Duration::from_secs(30), |s| s.established()));
    assert_eq!(gateway_view(&sim), nat_4500(FIRST));
    assert!(sim.resp.session(1).unwrap().follows_nat());
    sim
}

/// Where the NAT maps the client's port 4500 (the simulated NAT gives
/// port 4500 the mapping's port + 1).
fn nat_4500(mapping: &str) -> SocketAddr {
    let m = addr(mapping);
    SocketAddr::new(m.ip(), m.port() + 1)
}

/// The responder's view of the client.
fn gateway_view(sim: &Sim) -> SocketAddr {
    sim.resp.session(1).unwrap().endpoints().1
}

fn moves(sim: &Sim) -> Vec<SocketAddr> {
    sim.resp_events
        .iter()
        .filter_map(|e| match e {
            Event::EndpointsChanged { remote, .. } => Some(*remote),
            _ => None,
        })
        .collect()
}

/// A liveness check from the client, run to its answer.
fn liveness(sim: &mut Sim) {
    let now = sim.now;
    sim.ini.current_mut().check_liveness(now);
    assert!(sim.run_until(Duration::from_secs(30), |s| s.ini_is_idle()));
}

#[test]
fn a_new_ike_request_from_a_new_mapping_moves_the_responder() {
    let mut sim = behind_nat(false, 40);
    let before = moves(&sim).len();
    sim.nat = Some(addr(SECOND));
    liveness(&mut sim);
    assert_eq!(gateway_view(&sim), nat_4500(SECOND));
    assert_eq!(moves(&sim)[before..], [nat_4500(SECOND)]);
}

#[test]
fn a_replayed_old_request_from_another_address_does_not_move_it() {
    let mut sim = behind_nat(false, 41);
    // Two checks on the first mapping: the first one's request is old, the
    // second's is the last (its response is cached for retransmissions).
    let mark = sim.ini_sent.len();
    liveness(&mut sim);
    let old = sim.ini_sent[mark].clone();
    let mark = sim.ini_sent.len();
    liveness(&mut sim);
    let last = sim.ini_sent[mark].clone();
    assert_ne!(old, last);
    let before = moves(&sim).len();
    let gw = addr("192.0.2.1:4500");
    for (what, data) in [("old request", &old), ("retransmitted last request", &last)] {
        let now = sim.now + Duration::from_millis(10);
        sim.resp
            .handle_datagram(now, gw, nat_4500("203.0.113.66:40000"), data);
        sim.pump();
        assert_eq!(
            gateway_view(&sim),
            nat_4500(FIRST),
            "a {what} replayed from elsewhere moved the SA"
        );
    }
    assert_eq!(moves(&sim).len(), before);
    // The real client still gets through, and a new request moves it.
    sim.nat = Some(addr(SECOND));
    liveness(&mut sim);
    assert_eq!(gateway_view(&sim), nat_4500(SECOND));
}

#[test]
fn with_mobike_only_esp_moves_the_responder() {
    let mut sim = behind_nat(true, 42);
    sim.nat = Some(addr(SECOND));
    liveness(&mut sim);
    assert_eq!(
        gateway_view(&sim),
        nat_4500(FIRST),
        "RFC 4555 3.8: with MOBIKE, IKE messages never move the SA"
    );
    // The data plane saw new ESP from the new mapping.
    let (now, to) = (sim.now, nat_4500(SECOND));
    let mut moved = false;
    sim.resp.with_session(1, |s| moved = s.peer_moved(now, to));
    sim.pump();
    assert!(moved);
    assert_eq!(gateway_view(&sim), to);
    assert_eq!(moves(&sim).last(), Some(&to));
    // The next exchange answers at the new address and works.
    liveness(&mut sim);
    assert_eq!(gateway_view(&sim), to);
}

#[test]
fn without_a_nat_nothing_follows() {
    let (mut c, r) = configs(SUITES[1].0, SUITES[1].1);
    c.mobike = false;
    let mut sim = Sim::new(c, r, CLEAN, 43);
    assert!(sim.run_until(Duration::from_secs(30), |s| s.established()));
    let view = gateway_view(&sim);
    assert!(!sim.resp.session(1).unwrap().follows_nat());
    // ESP or IKE from another address: not followed.
    let now = sim.now;
    let mut moved = true;
    sim.resp
        .with_session(1, |s| moved = s.peer_moved(now, addr("203.0.113.9:4500")));
    assert!(!moved);
    sim.nat = Some(addr(SECOND));
    liveness(&mut sim);
    assert_eq!(gateway_view(&sim), view);
    assert!(moves(&sim).is_empty());
}

#[test]
fn the_client_behind_the_nat_never_follows() {
    let mut sim = behind_nat(false, 44);
    let now = sim.now;
    let ini = sim.ini.current_mut();
    assert!(!ini.follows_nat());
    assert!(!ini.peer_moved(now, addr("203.0.113.9:4500")));
    assert_eq!(sim.ini.endpoints().1, addr("192.0.2.1:4500"));
}
