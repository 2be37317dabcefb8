//! A fresh responder (fixed configuration, `SeededRandom`) fed the input as
//! length-prefixed datagrams must never panic. Input format: see the
//! `ibex_ike_fuzz` crate docs (`mode:u8 (ctl:u8 len:u16be data)*`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ibex_ike_fuzz::run_responder(data);
});
