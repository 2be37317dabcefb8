//! Forged, corrupted and truncated packets: always dropped, always counted,
//! and never moving the anti-replay window.

use crate::common::*;
use ibex_esp::{EspError, InboundSa, NextHeader, OutboundSa};

/// A receiver that saw 1, 2, 3, 5 (4 is a hole), and the sender's next packet.
fn setup(
    encr: ibex_ike::crypto::EncrAlg,
    integ: Option<ibex_ike::crypto::IntegAlg>,
    esn: bool,
) -> (OutboundSa, InboundSa, Vec<u8>, Vec<u8>) {
    let (mut out, mut inb) = sa_pair(encr, integ, esn);
    let packets: Vec<Vec<u8>> = (0..5)
        .map(|_| {
            seal(
                &mut out,
                &inner_packet(77, NextHeader::Ipv4),
                NextHeader::Ipv4,
            )
        })
        .collect();
    for i in [0, 1, 2, 4] {
        inb.open(&mut packets[i].clone()).unwrap();
    }
    let fresh = seal(
        &mut out,
        &inner_packet(77, NextHeader::Ipv4),
        NextHeader::Ipv4,
    );
    (out, inb, packets[3].clone(), fresh)
}

#[test]
fn every_flipped_bit_is_dropped_and_counted() {
    for (encr, integ) in SUITES {
        for esn in [false, true] {
            let label = name(encr, integ, esn);
            let (_, mut inb, hole, fresh) = setup(encr, integ, esn);
            let window = inb.window().clone();
            let mut drops = inb.stats().drops.total();
            for i in 0..fresh.len() {
                for bit in [0x01u8, 0x80] {
                    let mut p = fresh.clone();
                    p[i] ^= bit;
                    let err = inb.open(&mut p).expect_err(&label);
                    drops += 1;
                    let expected_kind = match i {
                        0..=3 => matches!(err, EspError::WrongSpi { .. }),
                        4..=7 => matches!(
                            err,
                            EspError::Integrity | EspError::Replayed(_) | EspError::TooOld(_)
                        ),
                        _ => matches!(err, EspError::Integrity),
                    };
                    assert!(expected_kind, "{label}: byte {i}: {err:?}");
                    assert_eq!(inb.stats().drops.total(), drops, "{label}: byte {i}");
                    assert_eq!(inb.window(), &window, "{label}: byte {i} moved the window");
                }
            }
            let s = inb.stats();
            assert!(
                s.drops.integrity > 0 && s.drops.wrong_spi == 8,
                "{label}: {s:?}"
            );
            assert_eq!(s.packets, 4);
            // the genuine packets still pass: the hole and the fresh one
            inb.open(&mut hole.clone()).unwrap();
            inb.open(&mut fresh.clone()).unwrap();
            assert_eq!(inb.stats().last_seq, 6);
        }
    }
}

#[test]
fn every_truncation_and_extension_is_dropped() {
    for (encr, integ) in SUITES {
        for esn in [false, true] {
            let label = name(encr, integ, esn);
            let (_, mut inb, _, fresh) = setup(encr, integ, esn);
            let window = inb.window().clone();
            for len in 0..fresh.len() {
                let mut p = fresh[..len].to_vec();
                let err = inb.open(&mut p).expect_err(&label);
                assert!(
                    matches!(err, EspError::Malformed | EspError::Integrity),
                    "{label}: {len}: {err:?}"
                );
                assert_eq!(inb.window(), &window);
            }
            let mut longer = fresh.clone();
            longer.push(0);
            assert!(inb.open(&mut longer).is_err());
            let d = inb.stats().drops;
            assert_eq!(d.malformed + d.integrity, fresh.len() as u64 + 1, "{label}");
            inb.open(&mut fresh.clone()).unwrap();
        }
    }
}

#[test]
fn a_forged_packet_far_ahead_does_not_slide_the_window() {
    for (encr, integ) in SUITES {
        let (_, mut inb, hole, fresh) = setup(encr, integ, false);
        // a forgery claiming sequence number 10 000: new to the window, but
        // its ICV fails; had it moved the window, the hole (4) would be too old
        let mut forged = fresh.clone();
        forged[4..8].copy_from_slice(&10_000u32.to_be_bytes());
        assert_eq!(inb.open(&mut forged), Err(EspError::Integrity));
        assert_eq!(inb.window().top(), 5);
        assert_eq!(inb.open(&mut hole.clone()).unwrap().seq, 4);
    }
}

#[test]
fn a_packet_for_another_spi_is_refused() {
    let (mut out, mut inb) = sa_pair(ibex_ike::crypto::EncrAlg::AesGcm16_128, None, false);
    let ek = encr_key(ibex_ike::crypto::EncrAlg::AesGcm16_128);
    let mut other = OutboundSa::new(
        0x1234,
        ibex_ike::crypto::EncrAlg::AesGcm16_128,
        None,
        &ek,
        &[],
        false,
    )
    .unwrap();
    let mut p = seal(&mut other, &[0x45; 30], NextHeader::Ipv4);
    assert_eq!(
        inb.open(&mut p),
        Err(EspError::WrongSpi {
            expected: 0xc001_d00d,
            got: 0x1234
        })
    );
    assert_eq!(inb.stats().drops.wrong_spi, 1);
    let mut p = seal(&mut out, &[0x45; 30], NextHeader::Ipv4);
    assert!(inb.open(&mut p).is_ok());
}

#[test]
fn a_wrong_key_is_an_integrity_failure() {
    for (encr, integ) in SUITES {
        let (mut out, _) = sa_pair(encr, integ, false);
        let mut ek = encr_key(encr);
        let mut ik = integ_key(integ);
        // CBC: a wrong integrity key alone must fail; AEAD: the salt alone
        if integ.is_some() {
            ik[0] ^= 1;
        } else {
            let last = ek.len() - 1;
            ek[last] ^= 1;
        }
        let mut inb = InboundSa::new(out.spi(), encr, integ, &ek, &ik, false).unwrap();
        let mut p = seal(&mut out, &[0x45; 30], NextHeader::Ipv4);
        assert_eq!(inb.open(&mut p), Err(EspError::Integrity));
        assert_eq!(inb.stats().drops.integrity, 1);
        assert_eq!(inb.window().top(), 0);
    }
}
