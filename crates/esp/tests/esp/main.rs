//! ESP integration tests in one binary (the allocation-counting test stays in
//! its own, since it installs a global allocator).

#[path = "../common/mod.rs"]
mod common;

mod cross_check;
mod fuzz;
mod pair;
mod replay;
mod roundtrip;
mod sequence;
mod tamper;
