//! Hand-built IPv4/UDP packets for the TUN tests.

use std::net::Ipv4Addr;

/// RFC 1071 checksum of `data`.
fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An IPv4 UDP datagram (UDP checksum 0, which IPv4 allows).
pub fn udp4(src: Ipv4Addr, sport: u16, dst: Ipv4Addr, dport: u16, payload: &[u8]) -> Vec<u8> {
    let total = 20 + 8 + payload.len();
    let mut p = Vec::with_capacity(total);
    p.extend_from_slice(&[0x45, 0]);
    p.extend_from_slice(&(total as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0, 0x40, 0]); // id 0, don't fragment
    p.extend_from_slice(&[64, 17, 0, 0]); // ttl, UDP, checksum placeholder
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    let sum = checksum(&p[..20]);
    p[10..12].copy_from_slice(&sum.to_be_bytes());
    p.extend_from_slice(&sport.to_be_bytes());
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(payload);
    p
}

/// (source, destination, destination port, payload) of an IPv4 UDP packet.
pub fn parse_udp4(p: &[u8]) -> Option<(Ipv4Addr, Ipv4Addr, u16, &[u8])> {
    if p.len() < 28 || p[0] >> 4 != 4 || p[9] != 17 {
        return None;
    }
    let ihl = usize::from(p[0] & 0x0f) * 4;
    let udp = p.get(ihl..)?;
    let src = Ipv4Addr::new(p[12], p[13], p[14], p[15]);
    let dst = Ipv4Addr::new(p[16], p[17], p[18], p[19]);
    let dport = u16::from_be_bytes([*udp.get(2)?, *udp.get(3)?]);
    Some((src, dst, dport, udp.get(8..)?))
}

#[test]
fn checksum_of_a_known_header() {
    // a header summed with its own checksum filled in gives zero
    let p = udp4(
        Ipv4Addr::new(10, 99, 0, 77),
        9,
        Ipv4Addr::new(10, 99, 0, 2),
        4000,
        b"hi",
    );
    assert_eq!(checksum(&p[..20]), 0);
    let (src, dst, dport, payload) = parse_udp4(&p).expect("parse");
    assert_eq!(
        (src, dst, dport, payload),
        (
            Ipv4Addr::new(10, 99, 0, 77),
            Ipv4Addr::new(10, 99, 0, 2),
            4000,
            &b"hi"[..]
        )
    );
}
