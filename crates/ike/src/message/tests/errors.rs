//! Each malformation is rejected with its precise error.

use crate::message::*;

/// A header for a message of `len` bytes whose first payload is `next`.
fn header(next: PayloadType, len: usize) -> Vec<u8> {
    let mut h = Vec::new();
    Header {
        spi_i: [1; 8],
        spi_r: [2; 8],
        next_payload: next,
        version: 0x20,
        exchange: ExchangeType::INFORMATIONAL,
        flags: Flags::RESPONSE,
        message_id: 7,
        length: len as u32,
    }
    .encode(&mut h);
    h
}

/// A whole message with `next` and the payload bytes `body`.
fn message(next: PayloadType, body: &[u8]) -> Vec<u8> {
    let mut m = header(next, HEADER_LEN + body.len());
    m.extend_from_slice(body);
    m
}

fn chain(first: PayloadType, body: &[u8]) -> Result<Vec<Payload>, DecodeError> {
    decode_chain(first, body)
}

#[test]
fn truncated_header() {
    let m = message(PayloadType::NONE, &[]);
    for len in 0..HEADER_LEN {
        assert_eq!(
            Message::decode(&m[..len]),
            Err(DecodeError::Truncated { what: "IKE header" })
        );
    }
    assert!(Message::decode(&m).unwrap().payloads.is_empty());
}

#[test]
fn unsupported_major_version() {
    let mut m = message(PayloadType::NONE, &[]);
    m[17] = 0x10;
    assert_eq!(
        Header::decode(&m),
        Err(DecodeError::UnsupportedVersion { major: 1 })
    );
    m[17] = 0x31;
    assert_eq!(
        Message::decode(&m),
        Err(DecodeError::UnsupportedVersion { major: 3 })
    );
    // The SPIs can still be read to answer INVALID_MAJOR_VERSION.
    assert_eq!(Header::peek(&m).unwrap().spi_i, [1; 8]);
}

#[test]
fn length_mismatch() {
    let mut m = message(PayloadType::NONE, &[]);
    m.push(0);
    assert_eq!(
        Message::decode(&m),
        Err(DecodeError::LengthMismatch {
            declared: 28,
            actual: 29
        })
    );
    let short = header(PayloadType::NONE, 27);
    assert_eq!(
        Header::decode(&short),
        Err(DecodeError::BadLength {
            what: "IKE message",
            len: 27
        })
    );
    let mut long = header(PayloadType::NONE, 65536);
    long.resize(65536, 0);
    assert_eq!(
        Message::decode(&long),
        Err(DecodeError::MessageTooLong { len: 65536 })
    );
}

#[test]
fn payload_length_below_four() {
    for len in 0..4 {
        let m = message(PayloadType::NONCE, &[0, 0, 0, len, 0, 0, 0, 0]);
        assert_eq!(
            Message::decode(&m),
            Err(DecodeError::BadLength {
                what: "payload",
                len: usize::from(len)
            })
        );
    }
}

#[test]
fn payload_overrunning() {
    let m = message(PayloadType::NONCE, &[0, 0, 0, 9, 1, 2, 3, 4]);
    assert_eq!(
        Message::decode(&m),
        Err(DecodeError::BadLength {
            what: "payload",
            len: 9
        })
    );
    assert_eq!(
        chain(PayloadType::NONCE, &[0, 0, 0]),
        Err(DecodeError::Truncated { what: "payload" })
    );
    // The chain announces a next payload that is not there.
    assert_eq!(
        chain(PayloadType::NONCE, &[PayloadType::NONCE.0, 0, 0, 4]),
        Err(DecodeError::Truncated { what: "payload" })
    );
}

#[test]
fn trailing_bytes_after_last_payload() {
    assert_eq!(
        chain(PayloadType::NONCE, &[0, 0, 0, 4, 9]),
        Err(DecodeError::TrailingBytes { len: 1 })
    );
    assert_eq!(
        chain(PayloadType::NONE, &[0]),
        Err(DecodeError::TrailingBytes { len: 1 })
    );
}

#[test]
fn encrypted_not_last() {
    // SK (inner type IDi) of 8 bytes followed by 4 more bytes.
    let body = [35, 0, 0, 8, 1, 2, 3, 4, 0, 0, 0, 4];
    assert_eq!(
        Message::decode(&message(PayloadType::SK, &body)),
        Err(DecodeError::PayloadAfterEncrypted)
    );
    // SKF likewise.
    let body = [35, 0, 0, 8, 0, 1, 0, 1, 0xff];
    assert_eq!(
        chain(PayloadType::SKF, &body),
        Err(DecodeError::PayloadAfterEncrypted)
    );
    // Its own next-payload field names the inner payload, not a follower.
    let ok = chain(PayloadType::SK, &body[..8]).unwrap();
    assert_eq!(
        ok,
        vec![Payload::Encrypted(Encrypted {
            next_payload: PayloadType::IDI,
            body: vec![0, 1, 0, 1]
        })]
    );
    let enc = Payload::Encrypted(Encrypted {
        next_payload: PayloadType::IDI,
        body: vec![],
    });
    let mut out = vec![1, 2];
    assert_eq!(
        try_encode_chain(&[enc, Payload::Nonce(vec![])], &mut out),
        Err(EncodeError::EncryptedNotLast)
    );
    assert_eq!(out, [1, 2]);
}

#[test]
fn bad_fragment_numbers() {
    for (number, total) in [(0u16, 1u16), (1, 0), (3, 2), (0, 0)] {
        let mut body = vec![0, 0, 0, 8];
        body.extend_from_slice(&number.to_be_bytes());
        body.extend_from_slice(&total.to_be_bytes());
        assert_eq!(
            chain(PayloadType::SKF, &body),
            Err(DecodeError::BadFragmentNumber { number, total })
        );
    }
}

fn ts_payload(count: u8, selectors: &[&[u8]]) -> Vec<u8> {
    let mut body = vec![count, 0, 0, 0];
    for s in selectors {
        body.extend_from_slice(s);
    }
    let mut p = vec![0, 0];
    p.extend_from_slice(&((body.len() + 4) as u16).to_be_bytes());
    p.extend_from_slice(&body);
    p
}

const TS_V4: [u8; 16] = [7, 6, 0, 16, 0, 0, 255, 255, 10, 0, 0, 0, 10, 0, 0, 255];

#[test]
fn bad_traffic_selectors() {
    let good = ts_payload(1, &[&TS_V4]);
    assert!(chain(PayloadType::TSI, &good).is_ok());

    let mut bad_type = TS_V4;
    bad_type[0] = 9;
    assert_eq!(
        chain(PayloadType::TSI, &ts_payload(1, &[&bad_type])),
        Err(DecodeError::UnsupportedTsType { ts_type: 9 })
    );
    // An IPv6 type with an IPv4-sized selector.
    let mut family = TS_V4;
    family[0] = 8;
    assert_eq!(
        chain(PayloadType::TSR, &ts_payload(1, &[&family])),
        Err(DecodeError::BadLength {
            what: "traffic selector",
            len: 16
        })
    );
    assert_eq!(
        chain(PayloadType::TSI, &ts_payload(2, &[&TS_V4])),
        Err(DecodeError::CountMismatch {
            what: "traffic selectors",
            declared: 2,
            found: 1
        })
    );
    assert_eq!(
        chain(PayloadType::TSI, &ts_payload(1, &[&TS_V4[..12]])),
        Err(DecodeError::Truncated {
            what: "traffic selector"
        })
    );
    let mismatched = TrafficSelector {
        start_addr: "::".parse().unwrap(),
        ..TrafficSelector::any_v4()
    };
    assert!(matches!(
        try_encode_chain(&[Payload::TsI(vec![mismatched])], &mut Vec::new()),
        Err(EncodeError::Inconsistent { .. })
    ));
}

/// An SA payload with one proposal declaring `declared` transforms and
/// containing the given transform substructures.
fn sa_payload(last: u8, declared: u8, transforms: &[[u8; 8]]) -> Vec<u8> {
    let prop_len = 8 + 8 * transforms.len();
    let mut p = vec![0, 0];
    p.extend_from_slice(&((prop_len + 4) as u16).to_be_bytes());
    p.extend_from_slice(&[last, 0]);
    p.extend_from_slice(&(prop_len as u16).to_be_bytes());
    p.extend_from_slice(&[1, 1, 0, declared]);
    for t in transforms {
        p.extend_from_slice(t);
    }
    p
}

const T_MORE: [u8; 8] = [3, 0, 0, 8, 1, 0, 0, 20];
const T_LAST: [u8; 8] = [0, 0, 0, 8, 4, 0, 0, 31];

#[test]
fn bad_proposal_counts() {
    assert!(chain(PayloadType::SA, &sa_payload(0, 2, &[T_MORE, T_LAST])).is_ok());
    assert_eq!(
        chain(PayloadType::SA, &sa_payload(0, 3, &[T_MORE, T_LAST])),
        Err(DecodeError::CountMismatch {
            what: "transforms",
            declared: 3,
            found: 2
        })
    );
    assert_eq!(
        chain(PayloadType::SA, &sa_payload(0, 1, &[T_MORE, T_LAST])),
        Err(DecodeError::CountMismatch {
            what: "transforms",
            declared: 1,
            found: 2
        })
    );
    // Last-substructure markers must match the position.
    assert_eq!(
        chain(PayloadType::SA, &sa_payload(0, 2, &[T_LAST, T_LAST])),
        Err(DecodeError::BadLastSubstructure {
            what: "transform",
            value: 0
        })
    );
    assert_eq!(
        chain(PayloadType::SA, &sa_payload(0, 2, &[T_MORE, T_MORE])),
        Err(DecodeError::BadLastSubstructure {
            what: "transform",
            value: 3
        })
    );
    assert_eq!(
        chain(PayloadType::SA, &sa_payload(2, 2, &[T_MORE, T_LAST])),
        Err(DecodeError::BadLastSubstructure {
            what: "proposal",
            value: 2
        })
    );
    // Proposal length shorter than its fixed part.
    let mut short = sa_payload(0, 0, &[]);
    short[7] = 7;
    short[3] = 11;
    short.truncate(11);
    assert_eq!(
        chain(PayloadType::SA, &short),
        Err(DecodeError::Truncated { what: "proposal" })
    );
    // Proposal length past the SA payload.
    let mut long = sa_payload(0, 0, &[]);
    long[7] = 9;
    assert_eq!(
        chain(PayloadType::SA, &long),
        Err(DecodeError::BadLength {
            what: "proposal",
            len: 9
        })
    );
    // SPI size past the proposal.
    let mut spi = sa_payload(0, 0, &[]);
    spi[10] = 4;
    assert_eq!(
        chain(PayloadType::SA, &spi),
        Err(DecodeError::BadLength {
            what: "proposal SPI",
            len: 4
        })
    );
}

#[test]
fn bad_attributes_and_delete() {
    // TLV attribute whose length overruns the transform.
    let t = [0, 0, 0, 12, 1, 0, 0, 20, 0x00, 0x0e, 0x00, 0x05];
    let mut sa = sa_payload(0, 1, &[]);
    sa.extend_from_slice(&t);
    sa[3] += 12;
    sa[7] += 12;
    assert_eq!(
        chain(PayloadType::SA, &sa),
        Err(DecodeError::BadLength {
            what: "transform attribute",
            len: 5
        })
    );
    // Delete: 2 SPIs of 4 bytes announced, 7 bytes present.
    let del = [0, 0, 0, 15, 3, 4, 0, 2, 1, 2, 3, 4, 5, 6, 7];
    assert_eq!(
        chain(PayloadType::DELETE, &del),
        Err(DecodeError::BadLength {
            what: "Delete SPIs",
            len: 7
        })
    );
    let del_ike = [0, 0, 0, 8, 1, 0, 0, 3];
    assert!(matches!(
        chain(PayloadType::DELETE, &del_ike),
        Err(DecodeError::CountMismatch { .. })
    ));
}

#[test]
fn unknown_payloads_keep_the_critical_bit() {
    let body = [PayloadType::NONCE.0, 0x80, 0, 6, 0xaa, 0xbb, 0, 0, 0, 4];
    let payloads = chain(PayloadType(200), &body).unwrap();
    assert_eq!(
        payloads,
        vec![
            Payload::Unknown {
                kind: PayloadType(200),
                critical: true,
                body: vec![0xaa, 0xbb]
            },
            Payload::Nonce(vec![])
        ]
    );
    let mut out = Vec::new();
    assert_eq!(encode_chain(&payloads, &mut out), PayloadType(200));
    assert_eq!(out, body);
    let misuse = Payload::Unknown {
        kind: PayloadType::SA,
        critical: false,
        body: vec![],
    };
    assert_eq!(
        try_encode_chain(&[misuse], &mut Vec::new()),
        Err(EncodeError::UnknownPayloadKind {
            kind: PayloadType::SA
        })
    );
}
