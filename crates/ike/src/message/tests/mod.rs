//! Codec tests: a hand-built vector, error cases and property tests.

mod errors;
mod fuzz;
mod roundtrip;
mod strategies;
mod vector;
