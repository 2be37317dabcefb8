//! DNS while the tunnel is up (Linux): per-link servers through systemd-resolved
//! when it manages the system's DNS, otherwise a replaced resolv.conf whose
//! original (bytes, or symlink target, and permissions) is journaled and restored
//! exactly.

mod backend;
mod command;
mod config;
mod manager;
pub(crate) mod resolv_conf;
pub(crate) mod resolved;

pub use backend::DnsBackend;
pub use config::DnsConfig;
pub use manager::DnsManager;
