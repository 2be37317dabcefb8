//! NAT rebinding in the SA database: only new, authenticated traffic from
//! another endpoint is reported as a move; replays and late packets never are.

use std::net::SocketAddr;

use super::tests::{pair, send};
use super::{Sad, Takeover};

fn at(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A client and a gateway sharing one Child SA; the gateway knows the client
/// at `old`.
fn setup(old: SocketAddr) -> (Sad, Sad) {
    let (ini, resp) = pair(9);
    let mut client = Sad::new();
    let mut gateway = Sad::new();
    client
        .install(0, &ini, at("192.0.2.1:4500"), Takeover::Now)
        .unwrap();
    gateway.install(5, &resp, old, Takeover::Now).unwrap();
    (client, gateway)
}

#[test]
fn new_traffic_from_another_endpoint_is_reported() {
    let old = at("192.0.2.3:20000");
    let new = at("192.0.2.3:31000");
    let (mut client, mut gateway) = setup(old);
    let (_, mut first) = send(&mut client);
    let d = gateway.open_from(&mut first, old).unwrap();
    assert_eq!((d.owner, d.moved_to), (5, None), "from the known endpoint");
    let (_, mut second) = send(&mut client);
    let d = gateway.open_from(&mut second, new).unwrap();
    assert_eq!(d.moved_to, Some(new));
    // Once moved, the new endpoint is the known one.
    gateway.set_remote(5, new);
    assert_eq!(
        gateway.route("10.0.0.1".parse().unwrap()).unwrap().remote,
        new
    );
    let (_, mut third) = send(&mut client);
    assert_eq!(gateway.open_from(&mut third, new).unwrap().moved_to, None);
}

#[test]
fn a_replayed_old_packet_from_another_address_does_not_move_it() {
    let old = at("192.0.2.3:20000");
    let new = at("192.0.2.3:31000");
    let attacker = at("203.0.113.66:4500");
    let (mut client, mut gateway) = setup(old);
    let (_, early) = send(&mut client);
    let (_, late) = send(&mut client);
    // The late one overtakes the early one on the old path.
    assert_eq!(
        gateway.open_from(&mut late.clone(), old).unwrap().moved_to,
        None
    );
    // The early one, arriving from elsewhere, is accepted (inside the
    // window) but is not new: no move.
    let mut copy = early.clone();
    let d = gateway.open_from(&mut copy, new).unwrap();
    assert_eq!(d.moved_to, None, "a late packet never moves the SA");
    // Replays of either from another address are refused outright.
    assert!(gateway.open_from(&mut early.clone(), attacker).is_err());
    assert!(gateway.open_from(&mut late.clone(), attacker).is_err());
    // A forged packet (flipped byte) from elsewhere is refused too.
    let (_, mut forged) = send(&mut client);
    let n = forged.len();
    forged[n - 1] ^= 1;
    assert!(gateway.open_from(&mut forged, attacker).is_err());
    assert_eq!(
        gateway.route("10.0.0.1".parse().unwrap()).unwrap().remote,
        old,
        "the SA still points at the old endpoint"
    );
}
