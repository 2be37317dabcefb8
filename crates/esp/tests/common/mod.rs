//! Shared helpers of the integration tests.
#![allow(dead_code)]

use std::ops::Range;

use ibex_esp::{InboundSa, NextHeader, OutboundSa};
use ibex_ike::crypto::{EncrAlg, IntegAlg};

/// Every supported suite.
pub const SUITES: [(EncrAlg, Option<IntegAlg>); 9] = [
    (EncrAlg::AesGcm16_128, None),
    (EncrAlg::AesGcm16_256, None),
    (EncrAlg::ChaCha20Poly1305, None),
    (EncrAlg::AesCbc128, Some(IntegAlg::HmacSha256_128)),
    (EncrAlg::AesCbc128, Some(IntegAlg::HmacSha384_192)),
    (EncrAlg::AesCbc128, Some(IntegAlg::HmacSha512_256)),
    (EncrAlg::AesCbc256, Some(IntegAlg::HmacSha256_128)),
    (EncrAlg::AesCbc256, Some(IntegAlg::HmacSha384_192)),
    (EncrAlg::AesCbc256, Some(IntegAlg::HmacSha512_256)),
];

/// Deterministic key bytes of `len`, different per `seed`.
pub fn key(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

pub fn encr_key(encr: EncrAlg) -> Vec<u8> {
    key(encr.key_len(), 0x11)
}

pub fn integ_key(integ: Option<IntegAlg>) -> Vec<u8> {
    integ.map_or_else(Vec::new, |i| key(i.key_len(), 0x77))
}

/// A matching outbound and inbound SA (the two ends of one direction).
pub fn sa_pair(encr: EncrAlg, integ: Option<IntegAlg>, esn: bool) -> (OutboundSa, InboundSa) {
    let spi = 0xc001_d00d;
    let (ek, ik) = (encr_key(encr), integ_key(integ));
    (
        OutboundSa::new(spi, encr, integ, &ek, &ik, esn).unwrap(),
        InboundSa::new(spi, encr, integ, &ek, &ik, esn).unwrap(),
    )
}

/// A fake inner packet of `len` bytes (version nibble set when it fits).
pub fn inner_packet(len: usize, nh: NextHeader) -> Vec<u8> {
    let mut p: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
    if let Some(first) = p.first_mut() {
        *first = match nh {
            NextHeader::Ipv6 => 0x60,
            _ => 0x45,
        };
    }
    p
}

/// A buffer with `inner` placed after the largest headroom, and the
/// payload's range.
pub fn framed(inner: &[u8]) -> (Vec<u8>, Range<usize>) {
    let mut buf = vec![0u8; OutboundSa::HEADROOM + inner.len() + OutboundSa::TAILROOM];
    let payload = OutboundSa::HEADROOM..OutboundSa::HEADROOM + inner.len();
    buf[payload.clone()].copy_from_slice(inner);
    (buf, payload)
}

/// Seals `inner` and returns the ESP packet as its own vector.
pub fn seal(sa: &mut OutboundSa, inner: &[u8], nh: NextHeader) -> Vec<u8> {
    let (mut buf, payload) = framed(inner);
    let esp = sa.seal(&mut buf, payload, nh).unwrap();
    buf[esp].to_vec()
}

pub fn name(encr: EncrAlg, integ: Option<IntegAlg>, esn: bool) -> String {
    format!(
        "{}{}{}",
        encr.name(),
        integ.map_or(String::new(), |i| format!("-{}", i.name())),
        if esn { "-esn" } else { "" }
    )
}
