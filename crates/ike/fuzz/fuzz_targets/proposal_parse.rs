//! `IkeProposal::parse` / `EspProposal::parse` never panic on any UTF-8 input,
//! and what they accept is well formed.
#![no_main]

use ibex_ike::proposal::{EspProposal, IkeProposal};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = IkeProposal::parse(s) {
        assert!(!p.encr.is_empty() && !p.prf.is_empty() && !p.dh.is_empty());
        std::hint::black_box(p.to_proposal(1, Vec::new()));
    }
    if let Ok(p) = EspProposal::parse(s) {
        assert!(!p.encr.is_empty());
        std::hint::black_box(p.to_proposal(1, 0x0102_0304, true));
    }
});
