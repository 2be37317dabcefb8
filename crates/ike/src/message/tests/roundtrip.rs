//! decode(encode(x)) == x for generated messages and chains.

use proptest::prelude::*;

use super::strategies;
use crate::message::*;

proptest! {
    #![proptest_config(strategies::config())]

    #[test]
    fn message_round_trips(m in strategies::message()) {
        let bytes = m.encode();
        let mut expected = m;
        expected.header.length = bytes.len() as u32;
        expected.header.next_payload = expected
            .payloads
            .first()
            .map_or(PayloadType::NONE, Payload::kind);
        prop_assert_eq!(Message::decode(&bytes), Ok(expected));
    }

    #[test]
    fn chain_round_trips(payloads in strategies::chain(), prefix in proptest::collection::vec(any::<u8>(), 0..4)) {
        let mut out = prefix.clone();
        let first = encode_chain(&payloads, &mut out);
        prop_assert_eq!(&out[..prefix.len()], &prefix[..]);
        prop_assert_eq!(first, payloads.first().map_or(PayloadType::NONE, Payload::kind));
        prop_assert_eq!(decode_chain(first, &out[prefix.len()..]), Ok(payloads));
    }
}
