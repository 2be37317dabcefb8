//! `ibexd`: Ibex's privileged daemon. It owns the sockets, the TUN device,
//! routes, DNS and all SAs; agents (the CLI, the desktop app) drive it over a
//! local IPC socket and answer its prompts. It never stores secrets.
#![forbid(unsafe_code)]

pub mod connection;
mod explain;
pub mod failure;
pub mod logs;
pub mod manager;
mod peer;
pub mod server;
pub mod signin;
pub mod sleep;
