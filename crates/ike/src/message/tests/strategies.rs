//! Proptest strategies generating encodable messages.

use std::net::IpAddr;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use crate::message::*;

/// 256 cases (unless `PROPTEST_CASES` is set) so the suite runs in seconds in
/// debug builds; no regression files are written into the source tree.
pub fn config() -> ProptestConfig {
    let base = ProptestConfig::default();
    ProptestConfig {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            base.cases
        } else {
            256
        },
        failure_persistence: None,
        ..base
    }
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..=max)
}

fn attribute() -> impl Strategy<Value = Attribute> {
    let value = prop_oneof![
        any::<u16>().prop_map(AttributeValue::Short),
        bytes(8).prop_map(AttributeValue::Long),
    ];
    (0..=0x7fffu16, value).prop_map(|(kind, value)| Attribute { kind, value })
}

fn transform() -> impl Strategy<Value = Transform> {
    (any::<u8>(), any::<u16>(), vec(attribute(), 0..3)).prop_map(|(kind, id, attributes)| {
        Transform {
            kind: TransformType(kind),
            id,
            attributes,
        }
    })
}

fn proposal() -> impl Strategy<Value = Proposal> {
    (any::<u8>(), any::<u8>(), bytes(8), vec(transform(), 0..5)).prop_map(
        |(num, protocol, spi, transforms)| Proposal {
            num,
            protocol: ProtocolId(protocol),
            spi,
            transforms,
        },
    )
}

fn traffic_selector() -> impl Strategy<Value = TrafficSelector> {
    let addrs = prop_oneof![
        (any::<[u8; 4]>(), any::<[u8; 4]>()).prop_map(|(s, e)| (
            7,
            IpAddr::from(s),
            IpAddr::from(e)
        )),
        (any::<[u8; 16]>(), any::<[u8; 16]>()).prop_map(|(s, e)| (
            8,
            IpAddr::from(s),
            IpAddr::from(e)
        )),
    ];
    (addrs, any::<u8>(), any::<u16>(), any::<u16>()).prop_map(
        |((ts_type, start_addr, end_addr), ip_protocol, start_port, end_port)| TrafficSelector {
            ts_type,
            ip_protocol,
            start_port,
            end_port,
            start_addr,
            end_addr,
        },
    )
}

fn delete() -> impl Strategy<Value = Delete> {
    (any::<u8>(), 0..=8u8)
        .prop_flat_map(|(protocol, spi_size)| {
            let spis = if spi_size == 0 {
                Just(Vec::new()).boxed()
            } else {
                vec(vec(any::<u8>(), usize::from(spi_size)), 0..4).boxed()
            };
            (Just(protocol), Just(spi_size), spis)
        })
        .prop_map(|(protocol, spi_size, spis)| Delete {
            protocol: ProtocolId(protocol),
            spi_size,
            spis,
        })
}

fn configuration() -> impl Strategy<Value = Configuration> {
    let attribute =
        (0..=0x7fffu16, bytes(8)).prop_map(|(kind, value)| ConfigAttribute { kind, value });
    (any::<u8>(), vec(attribute, 0..4)).prop_map(|(cfg_type, attributes)| Configuration {
        cfg_type,
        attributes,
    })
}

fn unknown_kind() -> impl Strategy<Value = PayloadType> {
    any::<u8>()
        .prop_map(PayloadType)
        .prop_filter("known payload type", |k| k.name().is_none())
}

/// Any payload except SK and SKF.
pub fn plain_payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        vec(proposal(), 0..3).prop_map(Payload::Sa),
        (any::<u16>(), bytes(32))
            .prop_map(|(group, data)| Payload::Ke(KeyExchange { group, data })),
        (any::<u8>(), bytes(16)).prop_map(|(t, data)| Payload::IdI(Identification {
            id_type: IdType(t),
            data
        })),
        (any::<u8>(), bytes(16)).prop_map(|(t, data)| Payload::IdR(Identification {
            id_type: IdType(t),
            data
        })),
        (any::<u8>(), bytes(32))
            .prop_map(|(encoding, data)| Payload::Cert(Cert { encoding, data })),
        (any::<u8>(), bytes(40))
            .prop_map(|(encoding, data)| Payload::CertReq(CertReq { encoding, data })),
        (any::<u8>(), bytes(32)).prop_map(|(m, data)| Payload::Auth(Auth {
            method: AuthMethod(m),
            data
        })),
        bytes(32).prop_map(Payload::Nonce),
        (any::<u8>(), bytes(8), any::<u16>(), bytes(16)).prop_map(|(p, spi, kind, data)| {
            Payload::Notify(Notify {
                protocol: ProtocolId(p),
                spi,
                kind: NotifyType(kind),
                data,
            })
        }),
        delete().prop_map(Payload::Delete),
        bytes(16).prop_map(Payload::VendorId),
        vec(traffic_selector(), 0..3).prop_map(Payload::TsI),
        vec(traffic_selector(), 0..3).prop_map(Payload::TsR),
        configuration().prop_map(Payload::Cp),
        bytes(16).prop_map(Payload::Eap),
        (unknown_kind(), any::<bool>(), bytes(16)).prop_map(|(kind, critical, body)| {
            Payload::Unknown {
                kind,
                critical,
                body,
            }
        }),
    ]
}

/// SK or SKF.
pub fn encrypted_payload() -> impl Strategy<Value = Payload> {
    let fragment = (1..=u16::MAX).prop_flat_map(|total| (1..=total, Just(total)));
    prop_oneof![
        (any::<u8>(), bytes(48)).prop_map(|(next, body)| Payload::Encrypted(Encrypted {
            next_payload: PayloadType(next),
            body
        })),
        (any::<u8>(), fragment, bytes(48)).prop_map(|(next, (number, total), body)| {
            Payload::EncryptedFragment(EncryptedFragment {
                next_payload: PayloadType(next),
                number,
                total,
                body,
            })
        }),
    ]
}

/// A payload chain with SK/SKF, if any, only in last position.
pub fn chain() -> impl Strategy<Value = Vec<Payload>> {
    (vec(plain_payload(), 0..6), option::of(encrypted_payload())).prop_map(|(mut list, enc)| {
        list.extend(enc);
        list
    })
}

/// A header with major version 2; length and next payload are arbitrary
/// (encode recomputes them).
pub fn header() -> impl Strategy<Value = Header> {
    (
        any::<[u8; 8]>(),
        any::<[u8; 8]>(),
        (any::<u8>(), 0..16u8, any::<u8>(), any::<u8>()),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |(spi_i, spi_r, (next, minor, exchange, flags), message_id, length)| Header {
                spi_i,
                spi_r,
                next_payload: PayloadType(next),
                version: 0x20 | minor,
                exchange: ExchangeType(exchange),
                flags: Flags(flags),
                message_id,
                length,
            },
        )
}

/// An encodable message.
pub fn message() -> impl Strategy<Value = Message> {
    (header(), chain()).prop_map(|(header, payloads)| Message { header, payloads })
}
