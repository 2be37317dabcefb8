//! A realistic IKE_SA_INIT request, built by hand from RFC 7296 section 3.

use crate::message::*;

fn ike_sa_init_request() -> Vec<u8> {
    let mut m = Vec::new();
    // IKE header (28 bytes).
    m.extend_from_slice(&[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]); // SPIi
    m.extend_from_slice(&[0; 8]); // SPIr
    m.extend_from_slice(&[0x21, 0x20, 0x22, 0x08]); // next SA, v2.0, IKE_SA_INIT, I
    m.extend_from_slice(&[0, 0, 0, 0]); // message ID
    m.extend_from_slice(&[0, 0, 0, 208]); // length
                                          // SA payload: next KE, length 48.
    m.extend_from_slice(&[0x22, 0x00, 0x00, 48]);
    // Proposal: last, length 44, #1, IKE, SPI size 0, 4 transforms.
    m.extend_from_slice(&[0x00, 0x00, 0x00, 44, 0x01, 0x01, 0x00, 0x04]);
    // ENCR_AES_CBC (12) with Key Length 256 (TV attribute 14).
    m.extend_from_slice(&[0x03, 0x00, 0x00, 12, 0x01, 0x00, 0x00, 12]);
    m.extend_from_slice(&[0x80, 0x0e, 0x01, 0x00]);
    // PRF_HMAC_SHA2_256 (5).
    m.extend_from_slice(&[0x03, 0x00, 0x00, 8, 0x02, 0x00, 0x00, 5]);
    // AUTH_HMAC_SHA2_256_128 (12).
    m.extend_from_slice(&[0x03, 0x00, 0x00, 8, 0x03, 0x00, 0x00, 12]);
    // Curve25519 (31), last transform.
    m.extend_from_slice(&[0x00, 0x00, 0x00, 8, 0x04, 0x00, 0x00, 31]);
    // KE payload: next Nonce, length 40, group 31, reserved, 32 bytes.
    m.extend_from_slice(&[0x28, 0x00, 0x00, 40, 0x00, 31, 0x00, 0x00]);
    m.extend_from_slice(&[0xa5; 32]);
    // Nonce payload: next Notify, length 36.
    m.extend_from_slice(&[0x29, 0x00, 0x00, 36]);
    m.extend_from_slice(&[0x5a; 32]);
    // Notify NAT_DETECTION_SOURCE_IP (16388): next Notify, length 28.
    m.extend_from_slice(&[0x29, 0x00, 0x00, 28, 0x00, 0x00, 0x40, 0x04]);
    m.extend_from_slice(&[0x01; 20]);
    // Notify NAT_DETECTION_DESTINATION_IP (16389): last payload, length 28.
    m.extend_from_slice(&[0x00, 0x00, 0x00, 28, 0x00, 0x00, 0x40, 0x05]);
    m.extend_from_slice(&[0x02; 20]);
    assert_eq!(m.len(), 208);
    m
}

fn nat_notify(kind: NotifyType, byte: u8) -> Payload {
    Payload::Notify(Notify {
        protocol: ProtocolId::NONE,
        spi: vec![],
        kind,
        data: vec![byte; 20],
    })
}

fn expected() -> Message {
    Message {
        header: Header {
            spi_i: [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88],
            spi_r: [0; 8],
            next_payload: PayloadType::SA,
            version: Header::VERSION_2_0,
            exchange: ExchangeType::IKE_SA_INIT,
            flags: Flags::INITIATOR,
            message_id: 0,
            length: 208,
        },
        payloads: vec![
            Payload::Sa(vec![Proposal {
                num: 1,
                protocol: ProtocolId::IKE,
                spi: vec![],
                transforms: vec![
                    Transform::with_key_length(TransformType::ENCR, 12, 256),
                    Transform::new(TransformType::PRF, 5),
                    Transform::new(TransformType::INTEG, 12),
                    Transform::new(TransformType::DH, 31),
                ],
            }]),
            Payload::Ke(KeyExchange {
                group: 31,
                data: vec![0xa5; 32],
            }),
            Payload::Nonce(vec![0x5a; 32]),
            nat_notify(NotifyType::NAT_DETECTION_SOURCE_IP, 0x01),
            nat_notify(NotifyType::NAT_DETECTION_DESTINATION_IP, 0x02),
        ],
    }
}

#[test]
fn decodes_ike_sa_init_request() {
    let decoded = Message::decode(&ike_sa_init_request()).unwrap();
    assert_eq!(decoded, expected());
    let Payload::Sa(proposals) = &decoded.payloads[0] else {
        panic!("first payload is not SA");
    };
    assert_eq!(proposals[0].transforms[0].key_length(), Some(256));
    assert_eq!(proposals[0].transforms[1].key_length(), None);
    assert!(decoded.header.flags.is_initiator());
    assert!(!decoded.header.flags.is_response());
}

#[test]
fn reencodes_ike_sa_init_request_byte_for_byte() {
    assert_eq!(expected().encode(), ike_sa_init_request());
    let bytes = ike_sa_init_request();
    assert_eq!(Message::decode(&bytes).unwrap().encode(), bytes);
}

#[test]
fn encode_recomputes_lengths_and_next_payload() {
    let mut m = expected();
    m.header.length = 0;
    m.header.next_payload = PayloadType::NONE;
    assert_eq!(m.encode(), ike_sa_init_request());
}

#[test]
fn header_round_trips_exactly() {
    let bytes = ike_sa_init_request();
    let header = Header::decode(&bytes).unwrap();
    let mut out = Vec::new();
    header.encode(&mut out);
    assert_eq!(out, bytes[..HEADER_LEN]);
}

#[test]
fn identification_body_is_rest_of_id_payload() {
    let id = Identification {
        id_type: IdType::FQDN,
        data: b"vpn.example".to_vec(),
    };
    assert_eq!(id.body()[..4], [2, 0, 0, 0]);
    assert_eq!(id.body()[4..], *b"vpn.example");
}

#[test]
fn debug_prints_registry_names() {
    assert_eq!(
        format!("{:?}", NotifyType::NAT_DETECTION_SOURCE_IP),
        "NotifyType(NAT_DETECTION_SOURCE_IP)"
    );
    assert_eq!(format!("{:?}", NotifyType(40000)), "NotifyType(40000)");
    assert_eq!(format!("{:?}", TransformType::KE), "TransformType(DH)");
    assert_eq!(format!("{:?}", PayloadType::SKF), "PayloadType(SKF)");
    assert_eq!(
        format!("{:?}", Flags::INITIATOR | Flags::RESPONSE | Flags(1)),
        "Flags(INITIATOR|RESPONSE|0x01)"
    );
    assert!(NotifyType::CHILD_SA_NOT_FOUND.is_error());
    assert!(!NotifyType::INITIAL_CONTACT.is_error());
}

#[test]
fn traffic_selector_helpers() {
    let ts = TrafficSelector::from_prefix("10.1.2.3".parse().unwrap(), 16);
    assert_eq!(ts.ts_type, TrafficSelector::TS_IPV4_ADDR_RANGE);
    assert_eq!(
        ts.start_addr,
        "10.1.0.0".parse::<std::net::IpAddr>().unwrap()
    );
    assert_eq!(
        ts.end_addr,
        "10.1.255.255".parse::<std::net::IpAddr>().unwrap()
    );
    assert_eq!((ts.start_port, ts.end_port), (0, 65535));
    let v6 = TrafficSelector::any_v6();
    assert_eq!(v6.ts_type, TrafficSelector::TS_IPV6_ADDR_RANGE);
    assert_eq!(v6.end_addr, std::net::IpAddr::from([0xff; 16]));
    let v4 = TrafficSelector::any_v4();
    assert_eq!(v4.start_addr, std::net::IpAddr::from([0; 4]));
    assert_eq!(v4.end_addr, std::net::IpAddr::from([0xff; 4]));
    let host = TrafficSelector::from_prefix("2001:db8::1".parse().unwrap(), 200);
    assert_eq!(host.start_addr, host.end_addr);
}

#[test]
fn every_named_payload_type_has_a_decoder() {
    for t in 1..=u8::MAX {
        let kind = PayloadType(t);
        // Minimal valid bodies: no proposals, fragment 1 of 1, zeros otherwise.
        let body: &[u8] = match kind {
            PayloadType::SA => &[],
            PayloadType::SKF => &[0, 1, 0, 1],
            _ => &[0, 0, 0, 0],
        };
        let decoded = Payload::decode(kind, false, PayloadType::NONE, body).unwrap();
        let unknown = matches!(decoded, Payload::Unknown { .. });
        assert_eq!(unknown, kind.name().is_none(), "{kind:?}");
        assert_eq!(decoded.kind(), kind);
    }
}
