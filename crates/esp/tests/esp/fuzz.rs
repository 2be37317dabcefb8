//! Hostile input: random bytes into `open` and `classify` never panic, are
//! always refused and counted, and never touch the window.

use crate::common::*;
use ibex_esp::{classify, Datagram, NextHeader};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_into_open(
        suite in 0..SUITES.len(),
        esn in any::<bool>(),
        spi_prefix in any::<bool>(),
        mut bytes in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let (encr, integ) = SUITES[suite];
        let (_, mut inb) = sa_pair(encr, integ, esn);
        if spi_prefix && bytes.len() >= 4 {
            // reach the sequence-number and ICV checks
            bytes[..4].copy_from_slice(&inb.spi().to_be_bytes());
        }
        prop_assert!(inb.open(&mut bytes).is_err());
        prop_assert_eq!(inb.stats().drops.total(), 1);
        prop_assert_eq!(inb.window().top(), 0);
    }

    #[test]
    fn corrupted_real_packets(
        suite in 0..SUITES.len(),
        size in 0usize..300,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let (encr, integ) = SUITES[suite];
        let (mut out, mut inb) = sa_pair(encr, integ, false);
        let mut p = seal(&mut out, &inner_packet(size, NextHeader::Ipv4), NextHeader::Ipv4);
        let original = p.clone();
        for (at, x) in &flips {
            let i = at.index(p.len());
            p[i] ^= x;
        }
        if truncate {
            p.truncate(cut.index(p.len()));
        }
        // flips of the same byte may cancel out
        let unchanged = p == original;
        let result = inb.open(&mut p);
        if !unchanged {
            prop_assert!(result.is_err());
            prop_assert_eq!(inb.window().top(), 0);
            prop_assert_eq!(inb.stats().drops.total(), 1);
        }
    }

    #[test]
    fn random_datagrams_into_classify(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        match classify(&bytes) {
            Ok(Datagram::Keepalive) => prop_assert_eq!(&bytes[..], &[0xff][..]),
            Ok(Datagram::Ike(m)) => {
                prop_assert_eq!(&bytes[..4], &[0u8; 4][..]);
                prop_assert_eq!(m, &bytes[4..]);
            }
            Ok(Datagram::Esp(p)) => {
                prop_assert!(bytes.len() >= 8);
                prop_assert_ne!(&bytes[..4], &[0u8; 4][..]);
                prop_assert_eq!(p, &bytes[..]);
            }
            Err(_) => prop_assert!(bytes.len() < 8),
        }
    }
}
