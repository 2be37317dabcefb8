//! ibex-ipc integration tests in one binary.

mod client;
mod framing;
mod wire;
