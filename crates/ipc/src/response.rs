//! [`Response`]: the daemon's answer to one request.

use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};

use crate::event::{ConnectionState, LogLine};
use crate::failure::Failure;

/// The answer to a request. On the wire: `{"v": 1, "id": N, "type": ...}`
/// with the `id` of the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    /// The answer to `hello`.
    Welcome {
        /// Program name of the daemon, e.g. `ibexd`.
        server: String,
        /// Program version of the daemon.
        version: String,
    },
    /// The request was carried out (or, for `connect`, started: progress
    /// follows as `state` events).
    Ok,
    /// The request was refused or failed.
    Error {
        /// Machine-readable reason.
        code: ErrorCode,
        /// What went wrong and what to do, for people.
        message: String,
    },
    /// The answer to `status`.
    Status(Box<Status>),
    /// The answer to `logs`: the recent lines the daemon kept, oldest
    /// first.
    Logs {
        /// The lines at the level asked for or more severe.
        lines: Vec<LogLine>,
    },
}

/// Why a request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The line could not be decoded (bad JSON, unknown type, missing
    /// field, invalid profile).
    BadRequest,
    /// The line's protocol version is not the daemon's.
    UnsupportedVersion,
    /// The profile is valid but cannot be run (e.g. an EAP method the
    /// daemon lacks).
    Unsupported,
    /// `connect` while a tunnel is up or coming up.
    AlreadyConnected,
    /// `disconnect` without a tunnel.
    NotConnected,
    /// `answer` or `cancel_prompt` for a prompt that is not open.
    UnknownPrompt,
    /// The caller may not do this.
    PermissionDenied,
    /// The daemon failed; the message says how.
    Internal,
    /// A code this version does not know.
    #[serde(other)]
    Other,
}

/// Which profile a status is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileRef {
    /// The profile's UUID.
    pub uuid: String,
    /// The profile's name.
    pub name: String,
}

/// Traffic counters of the tunnel since it came up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Bytes received through the tunnel (inner packets).
    #[serde(default)]
    pub bytes_in: u64,
    /// Bytes sent through the tunnel (inner packets).
    #[serde(default)]
    pub bytes_out: u64,
    /// Packets received through the tunnel.
    #[serde(default)]
    pub packets_in: u64,
    /// Packets sent through the tunnel.
    #[serde(default)]
    pub packets_out: u64,
    /// Packets dropped (failed integrity check, replay, no route).
    #[serde(default)]
    pub drops: u64,
}

/// The state of the daemon's tunnel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Where the connection stands.
    pub state: ConnectionState,
    /// The profile in use; absent when disconnected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileRef>,
    /// The gateway's address and port in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<SocketAddr>,
    /// Addresses the gateway assigned to us.
    #[serde(default)]
    pub virtual_ips: Vec<IpAddr>,
    /// DNS servers in use for the tunnel.
    #[serde(default)]
    pub dns: Vec<IpAddr>,
    /// Negotiated IKE algorithms, e.g. `aes256gcm16-prfsha384-ecp384`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ike_suite: Option<String>,
    /// Negotiated ESP algorithms, e.g. `aes256gcm16`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub esp_suite: Option<String>,
    /// A NAT was detected between us and the gateway.
    #[serde(default)]
    pub nat_detected: bool,
    /// MOBIKE was negotiated.
    #[serde(default)]
    pub mobike: bool,
    /// Seconds since the tunnel came up (0 when not connected).
    #[serde(default)]
    pub uptime_s: u64,
    /// Traffic counters, as top-level fields.
    #[serde(flatten)]
    pub counters: Counters,
    /// Why the last attempt failed, structured (kept until the next
    /// `connect`); left out when it did not fail, and by older daemons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Box<Failure>>,
}

impl Status {
    /// The status of a daemon without a tunnel.
    pub fn disconnected() -> Status {
        Status {
            state: ConnectionState::Disconnected,
            profile: None,
            gateway: None,
            virtual_ips: Vec::new(),
            dns: Vec::new(),
            ike_suite: None,
            esp_suite: None,
            nat_detected: false,
            mobike: false,
            uptime_s: 0,
            counters: Counters::default(),
            failure: None,
        }
    }
}
