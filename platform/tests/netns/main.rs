//! `ibex-platform` against the real kernel: every test gets its own network
//! namespace (see `harness`), so nothing touches the host's network. Needs root
//! and /dev/net/tun; elsewhere the tests print `SKIP: reason` (and fail under
//! `CI=true`). DNS tests use scratch files and need neither.

mod dns;
mod events;
mod harness;
mod journal;
mod offload;
mod packets;
mod routes;
mod tun;
