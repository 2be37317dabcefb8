//! ibex-profile integration tests in one binary.

#[path = "../common/mod.rs"]
mod common;

mod errors;
mod examples;
mod schema;
mod store;
