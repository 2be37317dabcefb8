//! Hostile input never panics, and whatever decodes re-encodes consistently.

use proptest::collection::vec;
use proptest::prelude::*;

use super::strategies;
use crate::message::*;

/// One corruption of a valid encoding.
#[derive(Clone, Debug)]
enum Mutation {
    Truncate(usize),
    FlipBit(usize, u8),
    SetByte(usize, u8),
    SetU16(usize, u16),
    Insert(usize, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 0..8u8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Mutation::SetByte(i, v)),
        (any::<usize>(), any::<u16>()).prop_map(|(i, v)| Mutation::SetU16(i, v)),
        (any::<usize>(), vec(any::<u8>(), 1..8)).prop_map(|(i, v)| Mutation::Insert(i, v)),
    ]
}

fn apply(buf: &mut Vec<u8>, m: &Mutation) {
    if buf.is_empty() {
        return;
    }
    let len = buf.len();
    match m {
        Mutation::Truncate(i) => buf.truncate(i % len),
        Mutation::FlipBit(i, b) => buf[i % len] ^= 1 << b,
        Mutation::SetByte(i, v) => buf[i % len] = *v,
        Mutation::SetU16(i, v) => {
            let i = i % len;
            for (dst, src) in buf[i..].iter_mut().zip(v.to_be_bytes()) {
                *dst = src;
            }
        }
        Mutation::Insert(i, v) => {
            let i = i % (len + 1);
            buf.splice(i..i, v.iter().copied());
        }
    }
}

/// Makes the header length agree with the buffer so decoding goes deeper.
fn fix_length(buf: &mut [u8]) {
    let len = (buf.len() as u32).to_be_bytes();
    if let Some(field) = buf.get_mut(24..28) {
        field.copy_from_slice(&len);
    }
}

/// Decodes `buf` every way; if a message decodes, re-encoding it must work
/// and decode to the same message.
fn check(buf: &[u8]) -> Result<(), TestCaseError> {
    let _ = Header::decode(buf);
    let _ = Header::peek(buf);
    if let Ok(m) = Message::decode(buf) {
        let again = m
            .try_encode()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(again.len(), buf.len());
        prop_assert_eq!(Message::decode(&again), Ok(m));
    }
    let first = PayloadType(buf.get(16).copied().unwrap_or(0));
    for body in [buf.get(HEADER_LEN..).unwrap_or_default(), buf] {
        if let Ok(payloads) = decode_chain(first, body) {
            let mut out = Vec::new();
            let kind = try_encode_chain(&payloads, &mut out)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(decode_chain(kind, &out), Ok(payloads));
        }
    }
    Ok(())
}

/// A valid IKEv2 header followed by random bytes.
fn random_message() -> impl Strategy<Value = Vec<u8>> {
    let known = prop_oneof![
        Just(PayloadType::SA),
        Just(PayloadType::NOTIFY),
        Just(PayloadType::TSI),
        Just(PayloadType::DELETE),
        Just(PayloadType::CP),
        Just(PayloadType::SK),
        Just(PayloadType::SKF),
        any::<u8>().prop_map(PayloadType),
    ];
    (strategies::header(), known, vec(any::<u8>(), 0..256)).prop_map(|(h, next, body)| {
        let mut buf = Vec::new();
        Header {
            next_payload: next,
            ..h
        }
        .encode(&mut buf);
        buf.extend_from_slice(&body);
        fix_length(&mut buf);
        buf
    })
}

proptest! {
    #![proptest_config(strategies::config())]

    #[test]
    fn random_bytes_never_panic(buf in vec(any::<u8>(), 0..512)) {
        check(&buf)?;
    }

    #[test]
    fn random_bodies_never_panic(buf in random_message()) {
        check(&buf)?;
    }

    #[test]
    fn mutations_never_panic(
        m in strategies::message(),
        mutations in vec(mutation(), 1..4),
        fix in any::<bool>(),
    ) {
        let mut buf = m.encode();
        for mutation in &mutations {
            apply(&mut buf, mutation);
        }
        if fix {
            fix_length(&mut buf);
        }
        check(&buf)?;
    }
}
