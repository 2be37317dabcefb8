//! `EspSaPair::from_child`: the two ends of a Child SA as `ibex-ike` reports
//! them, talking to each other.

use crate::common::*;
use ibex_esp::{EspError, EspSaPair, NextHeader};
use ibex_ike::crypto::{EncrAlg, IntegAlg, Secret};
use ibex_ike::proposal::ChildSuite;
use ibex_ike::ChildSaInfo;

/// The client's and the gateway's view of one Child SA.
fn child_infos(encr: EncrAlg, integ: Option<IntegAlg>, esn: bool) -> (ChildSaInfo, ChildSaInfo) {
    let suite = ChildSuite {
        encr,
        integ,
        dh: None,
        esn,
    };
    let (ek_c2g, ek_g2c) = (key(encr.key_len(), 1), key(encr.key_len(), 2));
    let ik = |seed| integ.map_or_else(Vec::new, |i| key(i.key_len(), seed));
    let client = ChildSaInfo {
        spi_in: 0xc1c1_c1c1,
        spi_out: 0x6a6a_6a6a,
        suite,
        encr_in: Secret::from_slice(&ek_g2c),
        integ_in: Secret::new(ik(4)),
        encr_out: Secret::from_slice(&ek_c2g),
        integ_out: Secret::new(ik(3)),
        ts_local: vec![],
        ts_remote: vec![],
        encap: true,
        replaces: None,
        initiated: true,
    };
    let gateway = ChildSaInfo {
        spi_in: client.spi_out,
        spi_out: client.spi_in,
        suite,
        encr_in: client.encr_out.clone(),
        integ_in: client.integ_out.clone(),
        encr_out: client.encr_in.clone(),
        integ_out: client.integ_in.clone(),
        ts_local: vec![],
        ts_remote: vec![],
        encap: true,
        replaces: None,
        initiated: false,
    };
    (client, gateway)
}

#[test]
fn both_ends_talk() {
    for (encr, integ) in SUITES {
        for esn in [false, true] {
            let (c, g) = child_infos(encr, integ, esn);
            let mut client = EspSaPair::from_child(&c).unwrap();
            let mut gateway = EspSaPair::from_child(&g).unwrap();
            assert_eq!(client.outbound.spi(), 0x6a6a_6a6a);
            assert_eq!(client.inbound.spi(), 0xc1c1_c1c1);
            assert_eq!(client.outbound.esn(), esn);
            assert_eq!(
                (client.inbound.encr(), client.inbound.integ()),
                (encr, integ)
            );

            let ping = inner_packet(84, NextHeader::Ipv4);
            let mut p = seal(&mut client.outbound, &ping, NextHeader::Ipv4);
            let o = gateway.inbound.open(&mut p).unwrap();
            assert_eq!(&p[o.inner], &ping[..]);
            let pong = inner_packet(1280, NextHeader::Ipv6);
            let mut p = seal(&mut gateway.outbound, &pong, NextHeader::Ipv6);
            // the client's own outbound key does not open the reply direction
            let mut p2 = p.clone();
            assert!(gateway.inbound.open(&mut p2).is_err());
            let o = client.inbound.open(&mut p).unwrap();
            assert_eq!(&p[o.inner], &pong[..]);

            let s = client.stats();
            assert_eq!((s.outbound.packets, s.outbound.bytes), (1, 84));
            assert_eq!((s.inbound.packets, s.inbound.bytes), (1, 1280));
            let s = gateway.stats();
            assert_eq!(s.inbound.drops.wrong_spi, 1);
            let (inbound, outbound) = gateway.into_parts();
            assert_eq!(inbound.spi(), outbound.spi() ^ 0xc1c1_c1c1 ^ 0x6a6a_6a6a);
        }
    }
}

#[test]
fn mismatched_keys_are_refused() {
    let (mut c, _) = child_infos(EncrAlg::AesGcm16_256, None, false);
    c.encr_in = Secret::from_slice(&[0; 32]); // salt missing
    assert!(matches!(
        EspSaPair::from_child(&c),
        Err(EspError::InvalidSa(_))
    ));
    let (mut c, _) = child_infos(EncrAlg::AesCbc256, Some(IntegAlg::HmacSha384_192), true);
    c.integ_out = Secret::default();
    assert!(matches!(
        EspSaPair::from_child(&c),
        Err(EspError::InvalidSa(_))
    ));
}

#[test]
fn debug_is_redacted() {
    let (c, _) = child_infos(EncrAlg::AesCbc128, Some(IntegAlg::HmacSha256_128), false);
    let pair = EspSaPair::from_child(&c).unwrap();
    let text = format!("{pair:?}");
    let key_hex: String = c.encr_out.expose()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!text.contains(&key_hex), "{text}");
    assert!(!text.contains("Secret"), "{text}");
    assert!(text.contains("InboundSa") && text.contains("OutboundSa"));
}
