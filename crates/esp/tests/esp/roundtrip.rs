//! Seal and open for every suite, both inner IP versions, with and without
//! ESN, over a range of sizes; dummy packets; buffer-room errors.

use crate::common::*;
use ibex_esp::{EspError, NextHeader, OutboundSa};

const SIZES: [usize; 8] = [0, 1, 2, 3, 64, 512, 1400, 1500];

#[test]
fn every_suite_every_size() {
    for (encr, integ) in SUITES {
        for esn in [false, true] {
            let label = name(encr, integ, esn);
            let (mut out, mut inb) = sa_pair(encr, integ, esn);
            let mut bytes = 0u64;
            let mut n = 0u64;
            for nh in [NextHeader::Ipv4, NextHeader::Ipv6] {
                for size in SIZES {
                    let inner = inner_packet(size, nh);
                    let (mut buf, payload) = framed(&inner);
                    let esp = out.seal(&mut buf, payload.clone(), nh).unwrap();
                    n += 1;
                    bytes += size as u64;

                    // shape: header before, aligned trailer and ICV after
                    assert_eq!(esp.start, payload.start - out.header_len(), "{label}");
                    assert_eq!(esp.end, payload.end + out.trailer_len(size), "{label}");
                    assert!(out.trailer_len(size) <= out.trailer_max());
                    assert!(out.header_len() <= OutboundSa::HEADROOM);
                    assert!(out.trailer_max() <= OutboundSa::TAILROOM);
                    let packet = &buf[esp.clone()];
                    assert_eq!(packet[..4], 0xc001_d00du32.to_be_bytes());
                    assert_eq!(packet[4..8], (n as u32).to_be_bytes(), "{label}");
                    let icv = integ.map_or(16, |i| i.icv_len());
                    let encrypted = packet.len() - out.header_len() - icv;
                    let block = if encr.is_aead() { 4 } else { 16 };
                    assert_eq!(encrypted % block, 0, "{label} {size}");
                    if size >= 16 {
                        assert!(
                            !packet.windows(16).any(|w| w == &inner[..16]),
                            "{label}: plaintext visible"
                        );
                    }

                    let opened = inb.open(&mut buf[esp.clone()]).unwrap();
                    assert_eq!(opened.next_header, nh, "{label}");
                    assert_eq!(opened.seq, n);
                    let at = esp.start;
                    let inner_range = at + opened.inner.start..at + opened.inner.end;
                    assert_eq!(inner_range, payload, "{label}: decrypted in place");
                    assert_eq!(&buf[inner_range], &inner[..], "{label} {size}");
                }
            }
            let (o, i) = (out.stats(), inb.stats());
            assert_eq!((o.packets, o.bytes, o.last_seq), (n, bytes, n), "{label}");
            assert_eq!((i.packets, i.bytes, i.last_seq), (n, bytes, n), "{label}");
            assert_eq!(i.drops.total(), 0);
        }
    }
}

#[test]
fn dummy_packets_are_dropped_and_counted() {
    for (encr, integ) in SUITES {
        let (mut out, mut inb) = sa_pair(encr, integ, false);
        let mut dummy = seal(&mut out, &[0xaa; 20], NextHeader::NoNext);
        assert_eq!(inb.open(&mut dummy), Err(EspError::DummyPacket));
        assert_eq!(inb.stats().drops.dummy, 1);
        assert_eq!(inb.stats().packets, 0);
        // authentic: its sequence number is consumed
        assert_eq!(inb.window().top(), 1);
        let mut real = seal(&mut out, &[0x45; 20], NextHeader::Ipv4);
        assert_eq!(inb.open(&mut real).unwrap().seq, 2);
    }
}

#[test]
fn of_packet_feeds_seal() {
    let (mut out, mut inb) = sa_pair(EncrAlg::AesGcm16_256, None, false);
    for inner in [
        inner_packet(40, NextHeader::Ipv4),
        inner_packet(60, NextHeader::Ipv6),
    ] {
        let nh = NextHeader::of_packet(&inner).unwrap();
        let mut esp = seal(&mut out, &inner, nh);
        assert_eq!(inb.open(&mut esp).unwrap().next_header, nh);
    }
}

#[test]
fn room_is_checked() {
    for (encr, integ) in SUITES {
        let (mut out, _) = sa_pair(encr, integ, false);
        let h = out.header_len();
        let len = 100;
        let t = out.trailer_len(len);
        // exact fit works
        let mut buf = vec![0u8; h + len + t];
        assert_eq!(
            out.seal(&mut buf, h..h + len, NextHeader::Ipv4),
            Ok(0..h + len + t)
        );
        // one byte short on either side: error, and no sequence number used
        let before = out.stats();
        let mut short = vec![0u8; h + len + t - 1];
        assert!(matches!(
            out.seal(&mut short, h..h + len, NextHeader::Ipv4),
            Err(EspError::NoRoom { .. })
        ));
        let mut buf = vec![0u8; h + len + t];
        assert!(matches!(
            out.seal(&mut buf, h - 1..h - 1 + len, NextHeader::Ipv4),
            Err(EspError::NoRoom { .. })
        ));
        // ranges outside the buffer or reversed
        assert!(out.seal(&mut buf, 0..usize::MAX, NextHeader::Ipv4).is_err());
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = 50..40;
        assert!(out.seal(&mut buf, reversed, NextHeader::Ipv4).is_err());
        assert!(out.seal(&mut [], 0..0, NextHeader::Ipv4).is_err());
        assert_eq!(out.stats(), before);
    }
}

use ibex_ike::crypto::{EncrAlg, IntegAlg};

#[test]
fn invalid_parameters() {
    let e = |encr, integ: Option<IntegAlg>, ek: &[u8], ik: &[u8]| {
        OutboundSa::new(1, encr, integ, ek, ik, false).err()
    };
    let ok_gcm = encr_key(EncrAlg::AesGcm16_128);
    assert!(e(EncrAlg::AesGcm16_128, None, &ok_gcm, &[]).is_none());
    // GCM key without salt, with an integrity algorithm or key
    assert!(e(EncrAlg::AesGcm16_128, None, &ok_gcm[..16], &[]).is_some());
    assert!(e(
        EncrAlg::AesGcm16_128,
        Some(IntegAlg::HmacSha256_128),
        &ok_gcm,
        &[0; 32]
    )
    .is_some());
    assert!(e(EncrAlg::AesGcm16_128, None, &ok_gcm, &[1]).is_some());
    // CBC: key length must match the algorithm, integrity required
    assert!(e(
        EncrAlg::AesCbc128,
        Some(IntegAlg::HmacSha256_128),
        &[0; 16],
        &[0; 32]
    )
    .is_none());
    assert!(e(
        EncrAlg::AesCbc128,
        Some(IntegAlg::HmacSha256_128),
        &[0; 32],
        &[0; 32]
    )
    .is_some());
    assert!(e(
        EncrAlg::AesCbc256,
        Some(IntegAlg::HmacSha256_128),
        &[0; 16],
        &[0; 32]
    )
    .is_some());
    assert!(e(EncrAlg::AesCbc256, None, &[0; 32], &[]).is_some());
    assert!(e(
        EncrAlg::AesCbc256,
        Some(IntegAlg::HmacSha512_256),
        &[0; 32],
        &[0; 32]
    )
    .is_some());
    assert!(
        ibex_esp::InboundSa::new(1, EncrAlg::ChaCha20Poly1305, None, &[0; 32], &[], true).is_err()
    );
}

#[test]
fn debug_never_shows_keys() {
    let ek = vec![0xab; 36];
    let out = OutboundSa::new(7, EncrAlg::AesGcm16_256, None, &ek, &[], true).unwrap();
    let inb = ibex_esp::InboundSa::new(7, EncrAlg::AesGcm16_256, None, &ek, &[], true).unwrap();
    for s in [format!("{out:?}"), format!("{inb:?}"), format!("{out:#?}")] {
        assert!(!s.to_lowercase().contains("abab"), "{s}");
        assert!(!s.contains("171, 171"), "{s}");
        assert!(s.contains("0x00000007"), "{s}");
    }
}
