//! Gateway address, routing, DNS, NAT traversal and reconnection settings.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::{default_true, DEFAULT_IKE_PORT};

/// Where the gateway is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gateway {
    /// DNS name or IP address of the gateway.
    pub host: String,
    /// UDP port of IKE; 1-65535, default 500 (NAT traversal moves to 4500
    /// by itself).
    #[serde(default = "default_port")]
    pub port: u16,
}

fn default_port() -> u16 {
    DEFAULT_IKE_PORT
}

/// Which traffic goes through the tunnel (`routes.mode`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase", deny_unknown_fields)]
pub enum Routes {
    /// Full tunnel: all IPv4 traffic goes through the gateway.
    Full {},
    /// Split tunnel: only these destinations go through the gateway.
    Split {
        /// Destination prefixes in CIDR notation (`10.99.0.0/24`,
        /// `2001:db8::/48`), without host bits; at least one.
        prefixes: Vec<String>,
    },
}

impl Default for Routes {
    fn default() -> Self {
        Routes::Full {}
    }
}

/// Name resolution while connected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dns {
    /// Use the DNS servers the gateway assigns. Default `true`.
    #[serde(default = "default_true")]
    pub use_gateway: bool,
    /// Additional DNS servers to use while connected.
    #[serde(default)]
    pub servers: Vec<IpAddr>,
    /// Search domains to add while connected (e.g. `corp.example.com`).
    #[serde(default)]
    pub search: Vec<String>,
}

impl Default for Dns {
    fn default() -> Self {
        Dns {
            use_gateway: true,
            servers: Vec::new(),
            search: Vec::new(),
        }
    }
}

/// NAT traversal settings (RFC 3948).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatTraversal {
    /// Always encapsulate ESP in UDP port 4500, even when no NAT is
    /// detected; helps with firewalls that drop ESP. Default `false`.
    #[serde(default)]
    pub force_encapsulation: bool,
}

/// Whether and how the daemon reconnects after losing the tunnel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reconnect {
    /// Reconnect after the tunnel drops. Default `true`.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Give up after this many failed attempts in a row; 0 tries forever.
    /// Default 0.
    #[serde(default)]
    pub max_attempts: u32,
    /// Wait before the first attempt, doubled after each failure. Default 1,
    /// at least 1.
    #[serde(default = "default_initial_delay")]
    pub initial_delay_s: u32,
    /// Longest wait between attempts. Default 60; at least
    /// `initial_delay_s`, at most 3600.
    #[serde(default = "default_max_delay")]
    pub max_delay_s: u32,
}

fn default_initial_delay() -> u32 {
    1
}

fn default_max_delay() -> u32 {
    60
}

impl Default for Reconnect {
    fn default() -> Self {
        Reconnect {
            enabled: true,
            max_attempts: 0,
            initial_delay_s: default_initial_delay(),
            max_delay_s: default_max_delay(),
        }
    }
}
