//! Outbound sequence numbers: exhaustion instead of wrapping, forward-only
//! skipping, and ESN across the 2^32 boundary end to end.

use crate::common::*;
use ibex_esp::{EspError, NextHeader};
use ibex_ike::crypto::{EncrAlg, IntegAlg};

#[test]
fn without_esn_the_last_number_is_2_pow_32_minus_1() {
    for (encr, integ) in SUITES {
        let (mut out, mut inb) = sa_pair(encr, integ, false);
        let mut first = seal(&mut out, &[0x45; 10], NextHeader::Ipv4);
        inb.open(&mut first).unwrap();
        out.skip_to(u64::from(u32::MAX) - 1).unwrap();
        let mut last = seal(&mut out, &[0x45; 10], NextHeader::Ipv4);
        assert_eq!(last[4..8], [0xff; 4]);
        assert_eq!(inb.open(&mut last).unwrap().seq, u64::from(u32::MAX));
        let (mut buf, payload) = framed(&[0x45; 10]);
        assert_eq!(
            out.seal(&mut buf, payload.clone(), NextHeader::Ipv4),
            Err(EspError::SequenceExhausted)
        );
        // and it stays refused
        assert_eq!(
            out.seal(&mut buf, payload, NextHeader::Ipv4),
            Err(EspError::SequenceExhausted)
        );
        assert_eq!(out.stats().packets, 2);
        assert_eq!(out.stats().last_seq, u64::from(u32::MAX));
    }
}

#[test]
fn with_esn_the_last_number_is_2_pow_64_minus_1() {
    let (mut out, _) = sa_pair(EncrAlg::AesGcm16_128, None, true);
    out.skip_to(u64::MAX - 1).unwrap();
    let last = seal(&mut out, &[0x45; 10], NextHeader::Ipv4);
    assert_eq!(last[4..8], [0xff; 4]);
    assert_eq!(out.stats().last_seq, u64::MAX);
    let (mut buf, payload) = framed(&[0x45; 10]);
    assert_eq!(
        out.seal(&mut buf, payload, NextHeader::Ipv4),
        Err(EspError::SequenceExhausted)
    );
}

#[test]
fn skip_is_forward_only() {
    let (mut out, _) = sa_pair(EncrAlg::AesGcm16_128, None, false);
    out.skip_to(10).unwrap();
    out.skip_to(10).unwrap();
    assert_eq!(out.skip_to(9), Err(EspError::SequenceBackwards));
    assert_eq!(
        out.skip_to(u64::from(u32::MAX) + 1),
        Err(EspError::SequenceExhausted)
    );
    let p = seal(&mut out, &[], NextHeader::Ipv4);
    assert_eq!(p[4..8], 11u32.to_be_bytes());
}

#[test]
fn esn_across_the_2_pow_32_boundary() {
    let suites = [
        (EncrAlg::AesGcm16_256, None),
        (EncrAlg::ChaCha20Poly1305, None),
        (EncrAlg::AesCbc128, Some(IntegAlg::HmacSha256_128)),
    ];
    for (encr, integ) in suites {
        let label = name(encr, integ, true);
        let (mut out, mut inb) = sa_pair(encr, integ, true);
        let inner = inner_packet(100, NextHeader::Ipv4);
        // the receiver learns subspace 0 first
        out.skip_to(0x8000_0000).unwrap();
        let mut p = seal(&mut out, &inner, NextHeader::Ipv4);
        assert_eq!(inb.open(&mut p).unwrap().seq, 0x8000_0001);

        out.skip_to(0xffff_fff0).unwrap();
        let packets: Vec<(u64, Vec<u8>)> = (0xffff_fff1u64..=0x1_0000_0010)
            .map(|s| (s, seal(&mut out, &inner, NextHeader::Ipv4)))
            .collect();
        for (s, p) in &packets {
            assert_eq!(
                p[4..8],
                (*s as u32).to_be_bytes(),
                "{label}: low bits on the wire"
            );
        }
        // in order up to 2^32 + 2, skipping a few before the boundary
        let late = [0xffff_fffd, 0xffff_ffff];
        for (s, p) in packets.iter().filter(|(s, _)| *s <= 0x1_0000_0002) {
            if late.contains(s) {
                continue;
            }
            let mut p = p.clone();
            let opened = inb
                .open(&mut p)
                .unwrap_or_else(|e| panic!("{label} {s:#x}: {e}"));
            assert_eq!(opened.seq, *s, "{label}");
            assert_eq!(&p[opened.inner], &inner[..]);
        }
        assert_eq!(inb.window().top(), 0x1_0000_0002);
        // late packets of the old subspace are still placed in it
        for s in late {
            let (_, p) = packets.iter().find(|(x, _)| *x == s).unwrap();
            let mut p = p.clone();
            assert_eq!(inb.open(&mut p).unwrap().seq, s, "{label}");
        }
        // replays on both sides of the boundary
        for s in [0xffff_fff1u64, 0xffff_ffff, 0x1_0000_0000, 0x1_0000_0002] {
            let (_, p) = packets.iter().find(|(x, _)| *x == s).unwrap();
            let mut p = p.clone();
            assert_eq!(inb.open(&mut p), Err(EspError::Replayed(s)), "{label}");
        }
        // the rest in order
        for (s, p) in packets.iter().filter(|(s, _)| *s > 0x1_0000_0002) {
            let mut p = p.clone();
            assert_eq!(inb.open(&mut p).unwrap().seq, *s, "{label}");
        }
        assert_eq!(inb.stats().last_seq, 0x1_0000_0010);
        assert_eq!(inb.stats().drops.replayed, 4);
        assert_eq!(inb.stats().drops.total(), 4);
    }
}

#[test]
fn esn_high_bits_are_authenticated() {
    // the same low 32 bits under ESN and non-ESN produce different ICVs once
    // the high half is non-zero
    let (mut a, _) = sa_pair(EncrAlg::AesGcm16_128, None, false);
    let (mut b, mut b_in) = sa_pair(EncrAlg::AesGcm16_128, None, true);
    a.skip_to(4).unwrap();
    b.skip_to(0x1_0000_0004).unwrap();
    let pa = seal(&mut a, &[0x45; 8], NextHeader::Ipv4);
    let pb = seal(&mut b, &[0x45; 8], NextHeader::Ipv4);
    assert_eq!(pa[..8], pb[..8]);
    assert_ne!(pa, pb);
    // a fresh ESN receiver places low 5 in subspace 0: the ICV fails
    let mut pb = pb;
    assert_eq!(b_in.open(&mut pb), Err(EspError::Integrity));
    assert_eq!(b_in.window().top(), 0);
}
