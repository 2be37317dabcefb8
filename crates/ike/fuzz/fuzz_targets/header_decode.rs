//! `Header::decode` / `Header::peek` never panic, accept only consistent
//! headers, and the 28 header bytes round-trip exactly.
#![no_main]

use ibex_ike::message::{Header, HEADER_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let peeked = Header::peek(data);
    if let Ok(h) = &peeked {
        assert_eq!(&h.to_bytes()[..], &data[..HEADER_LEN], "peek round trip");
    }
    if let Ok(h) = Header::decode(data) {
        assert_eq!(Ok(h), peeked, "decode agrees with peek");
        assert_eq!(h.version >> 4, 2);
        assert_eq!(h.length as usize, data.len());
        assert!(data.len() >= HEADER_LEN);
    }
});
