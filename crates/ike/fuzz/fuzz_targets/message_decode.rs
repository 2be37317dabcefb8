//! `Message::decode` never panics, and whatever it accepts survives
//! `try_encode` + decode unchanged (and re-encodes to the same bytes).
#![no_main]

use ibex_ike::message::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = Message::decode(data) else {
        return;
    };
    let Ok(bytes) = msg.try_encode() else { return };
    let again = Message::decode(&bytes).expect("a re-encoded message decodes");
    assert_eq!(again, msg, "decode(encode(m)) != m");
    assert_eq!(
        again.try_encode().expect("encodes again"),
        bytes,
        "encoding is not stable"
    );
});
