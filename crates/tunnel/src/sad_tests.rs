//! Make-before-break in the SA database: which SA carries outbound traffic.

use std::net::{IpAddr, SocketAddr};

use ibex_esp::NextHeader;
use ibex_ike::crypto::{EncrAlg, Secret};
use ibex_ike::message::TrafficSelector;
use ibex_ike::proposal::ChildSuite;
use ibex_ike::ChildSaInfo;

use super::{Sad, Takeover};
use crate::Packet;

const PEER: &str = "192.0.2.1:4500";

/// One Child SA as the two ends see it; `n` varies SPIs and keys.
pub(super) fn pair(n: u8) -> (ChildSaInfo, ChildSaInfo) {
    let suite = ChildSuite {
        encr: EncrAlg::AesGcm16_256,
        integ: None,
        dh: None,
        esn: false,
    };
    let key = |k: u8| Secret::from_slice(&[k ^ n; 36]);
    let any = vec![TrafficSelector::any_v4()];
    let a = ChildSaInfo {
        spi_in: 0x1000 + u32::from(n),
        spi_out: 0x2000 + u32::from(n),
        suite,
        encr_in: key(1),
        integ_in: Secret::from_slice(&[]),
        encr_out: key(2),
        integ_out: Secret::from_slice(&[]),
        ts_local: any.clone(),
        ts_remote: any.clone(),
        encap: true,
        replaces: None,
        initiated: true,
    };
    let b = ChildSaInfo {
        spi_in: a.spi_out,
        spi_out: a.spi_in,
        encr_in: a.encr_out.clone(),
        encr_out: a.encr_in.clone(),
        initiated: false,
        ..a.clone()
    };
    (a, b)
}

/// An IPv4 header (20 bytes) from 10.0.0.2 to 10.0.0.1 and some payload.
fn ipv4() -> Vec<u8> {
    let mut p = vec![0u8; 60];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&60u16.to_be_bytes());
    p[9] = 1;
    p[12..16].copy_from_slice(&[10, 0, 0, 2]);
    p[16..20].copy_from_slice(&[10, 0, 0, 1]);
    p
}

/// Seals one packet through `sad`'s route: (outbound SPI, ESP bytes).
pub(super) fn send(sad: &mut Sad) -> (u32, Vec<u8>) {
    let inner = ipv4();
    let mut buf = Packet::new(1400);
    let range = buf.payload_range(inner.len());
    buf.raw_mut()[range.clone()].copy_from_slice(&inner);
    let dst = IpAddr::from([10, 0, 0, 1]);
    let o = sad.route(dst).expect("a route");
    let spi = o.sa.spi();
    let packet = o.sa.seal(buf.raw_mut(), range, NextHeader::Ipv4).unwrap();
    (spi, buf.slice(packet).to_vec())
}

#[test]
fn responder_switches_to_a_new_sa_once_the_peer_uses_it() {
    let peer: SocketAddr = PEER.parse().unwrap();
    let (old_ini, old_resp) = pair(1);
    let (new_ini, new_resp) = pair(2);
    let mut client = Sad::new();
    let mut gateway = Sad::new();
    client.install(0, &old_ini, peer, Takeover::Now).unwrap();
    gateway
        .install(7, &old_resp, peer, Takeover::OnInbound)
        .unwrap();
    // The only SA is used even before it carried traffic.
    assert_eq!(send(&mut gateway).0, old_resp.spi_out);

    // A new SA: the gateway answered its exchange, the client may not have
    // it yet, so the gateway keeps sending on the old one ...
    gateway
        .install(7, &new_resp, peer, Takeover::OnInbound)
        .unwrap();
    assert_eq!(send(&mut gateway).0, old_resp.spi_out);
    // ... the client initiated it and uses it at once ...
    client.install(0, &new_ini, peer, Takeover::Now).unwrap();
    let (spi, mut esp) = send(&mut client);
    assert_eq!(spi, new_ini.spi_out);
    // ... and once that arrives, the gateway switches too.
    let (owner, _) = gateway.open(&mut esp).unwrap();
    assert_eq!(owner, 7);
    assert_eq!(send(&mut gateway).0, new_resp.spi_out);

    // Deleting the new one falls back to the old.
    gateway.remove(new_resp.spi_in);
    assert_eq!(send(&mut gateway).0, old_resp.spi_out);
}

#[test]
fn a_waiting_sa_takes_over_when_the_old_one_goes() {
    let peer: SocketAddr = PEER.parse().unwrap();
    let (_, old_resp) = pair(3);
    let (_, new_resp) = pair(4);
    let mut gateway = Sad::new();
    gateway.install(1, &old_resp, peer, Takeover::Now).unwrap();
    gateway
        .install(1, &new_resp, peer, Takeover::OnInbound)
        .unwrap();
    assert_eq!(send(&mut gateway).0, old_resp.spi_out);
    gateway.remove(old_resp.spi_in);
    assert_eq!(send(&mut gateway).0, new_resp.spi_out);
}
