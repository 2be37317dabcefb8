//! `decode_chain` with the first byte as the first payload type never panics,
//! and an accepted chain survives `try_encode_chain` + decode unchanged.
#![no_main]

use ibex_ike::message::{decode_chain, try_encode_chain, PayloadType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let Ok(payloads) = decode_chain(PayloadType(first), body) else {
        return;
    };
    let mut out = Vec::new();
    let Ok(kind) = try_encode_chain(&payloads, &mut out) else {
        return;
    };
    let again = decode_chain(kind, &out).expect("a re-encoded chain decodes");
    assert_eq!(again, payloads, "decode(encode(chain)) != chain");
});
