//! Anti-replay through the public API: duplicates, reordering, the window's
//! edges.

use crate::common::*;
use ibex_esp::{EspError, NextHeader, ReplayWindow};

#[test]
fn a_replayed_packet_is_dropped_and_counted() {
    for (encr, integ) in SUITES {
        for esn in [false, true] {
            let (mut out, mut inb) = sa_pair(encr, integ, esn);
            let packet = seal(
                &mut out,
                &inner_packet(200, NextHeader::Ipv6),
                NextHeader::Ipv6,
            );
            let mut first = packet.clone();
            assert!(inb.open(&mut first).is_ok());
            let mut second = packet.clone();
            assert_eq!(inb.open(&mut second), Err(EspError::Replayed(1)));
            assert_eq!(inb.stats().drops.replayed, 1);
            assert_eq!(inb.stats().packets, 1);
            // never decrypted: the replay is refused before the ICV
            assert_eq!(second, packet);
        }
    }
}

#[test]
fn reordered_packets_are_accepted_once_each() {
    for (encr, integ) in SUITES {
        let (mut out, mut inb) = sa_pair(encr, integ, false);
        let packets: Vec<Vec<u8>> = (0..200)
            .map(|i| {
                seal(
                    &mut out,
                    &inner_packet(i, NextHeader::Ipv4),
                    NextHeader::Ipv4,
                )
            })
            .collect();
        // evens forward, odds backward
        let order: Vec<usize> = (0..200)
            .step_by(2)
            .chain((1..200).step_by(2).rev())
            .collect();
        for &i in &order {
            let mut p = packets[i].clone();
            let opened = inb.open(&mut p).unwrap();
            assert_eq!(opened.seq, i as u64 + 1);
            assert_eq!(opened.inner.len(), i);
        }
        for (i, p) in packets.iter().enumerate() {
            let mut p = p.clone();
            assert_eq!(inb.open(&mut p), Err(EspError::Replayed(i as u64 + 1)));
        }
        let s = inb.stats();
        assert_eq!((s.packets, s.drops.replayed, s.last_seq), (200, 200, 200));
    }
}

#[test]
fn window_of_1024_at_its_edges() {
    const { assert!(ReplayWindow::SIZE >= 1024) };
    let size = ReplayWindow::SIZE as usize;
    for (encr, integ) in SUITES.iter().copied().step_by(3) {
        let (mut out, mut inb) = sa_pair(encr, integ, false);
        let total = size + 100;
        let packets: Vec<Vec<u8>> = (0..total)
            .map(|_| seal(&mut out, &[0x45; 4], NextHeader::Ipv4))
            .collect();
        let open = |inb: &mut ibex_esp::InboundSa, seq: usize| {
            let mut p = packets[seq - 1].clone();
            inb.open(&mut p).map(|o| o.seq)
        };
        // the newest first: the window is top - 1023 ..= top
        assert_eq!(open(&mut inb, total), Ok(total as u64));
        let oldest = total - size + 1;
        assert_eq!(open(&mut inb, oldest), Ok(oldest as u64));
        assert_eq!(
            open(&mut inb, oldest - 1),
            Err(EspError::TooOld(oldest as u64 - 1))
        );
        assert_eq!(open(&mut inb, 1), Err(EspError::TooOld(1)));
        for seq in oldest + 1..total {
            assert_eq!(open(&mut inb, seq), Ok(seq as u64));
        }
        for seq in [oldest, oldest + 1, total - 1, total] {
            assert_eq!(open(&mut inb, seq), Err(EspError::Replayed(seq as u64)));
        }
        let s = inb.stats();
        assert_eq!(s.packets, size as u64);
        assert_eq!(s.drops.too_old, 2);
        assert_eq!(s.drops.replayed, 4);
        assert_eq!(s.last_seq, total as u64);
        // sliding by one pushes the oldest out
        let mut next = seal(&mut out, &[0x45; 4], NextHeader::Ipv4);
        assert!(inb.open(&mut next).is_ok());
        assert_eq!(open(&mut inb, oldest), Err(EspError::TooOld(oldest as u64)));
    }
}

#[test]
fn a_jump_forward_leaves_the_gap_open() {
    let (mut out, mut inb) = sa_pair(ibex_ike::crypto::EncrAlg::ChaCha20Poly1305, None, false);
    let packets: Vec<Vec<u8>> = (0..3000)
        .map(|_| seal(&mut out, &[0x45; 4], NextHeader::Ipv4))
        .collect();
    let mut p = packets[2999].clone();
    inb.open(&mut p).unwrap();
    for seq in (3000 - 1023..3000).rev() {
        let mut p = packets[seq - 1].clone();
        assert_eq!(inb.open(&mut p).map(|o| o.seq), Ok(seq as u64));
    }
    let mut p = packets[3000 - 1024 - 1].clone();
    assert!(matches!(inb.open(&mut p), Err(EspError::TooOld(_))));
}

#[test]
fn only_a_new_highest_sequence_number_is_newest() {
    for (encr, integ) in SUITES {
        let (mut out, mut inb) = sa_pair(encr, integ, false);
        let packets: Vec<Vec<u8>> = (0..4)
            .map(|i| {
                seal(
                    &mut out,
                    &inner_packet(40 + i, NextHeader::Ipv4),
                    NextHeader::Ipv4,
                )
            })
            .collect();
        // 1, 3, then the late 2, then 4: the late one is accepted but not
        // newest (it must not move an SA to a new NAT mapping).
        let newest: Vec<(u64, bool)> = [0usize, 2, 1, 3]
            .iter()
            .map(|&i| {
                let mut p = packets[i].clone();
                let o = inb.open(&mut p).unwrap();
                (o.seq, o.newest)
            })
            .collect();
        assert_eq!(newest, [(1, true), (3, true), (2, false), (4, true)]);
    }
}
