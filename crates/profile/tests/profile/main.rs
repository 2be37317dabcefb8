//! ibex-profile integration tests in one binary.

#[path = "../common/mod.rs"]
mod common;

mod errors;
mod examples;
mod import;
mod schema;
mod store;
