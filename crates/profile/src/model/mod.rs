//! The serde model of a profile document, version 1.
//!
//! Field order here is the order of the JSON Schema and of the documents
//! this crate writes. Every field is described in
//! `profiles/profile.schema.json` as well; keep the two in step (the
//! `schema` integration test checks that their property names agree).

mod auth;
mod network;

use serde::{Deserialize, Serialize};

pub use auth::{Auth, CertificateSource, EapMethod, EapRound};
pub use network::{Dns, Gateway, NatTraversal, Reconnect, Routes};

/// The profile format version this crate reads and writes.
pub const PROFILE_VERSION: u32 = 1;

/// The IKE port used when `gateway.port` is absent.
pub const DEFAULT_IKE_PORT: u16 = 500;

/// The liveness-check interval used when `dpd_interval_s` is absent.
pub const DEFAULT_DPD_INTERVAL_S: u32 = 30;

/// One VPN connection as the user imports it and the daemon receives it.
///
/// Construct it with [`Profile::from_json`] (or deserialize it with
/// [`crate::deserialize_validated`]); a value built or changed in code
/// should go through [`Profile::validate`] before it is used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Format version of the document; must be [`PROFILE_VERSION`].
    pub version: u32,
    /// Stable identifier (RFC 9562 UUID text, e.g. from `uuidgen`); the
    /// store keys profiles by it, so re-importing a profile with the same
    /// UUID replaces the old one.
    pub uuid: String,
    /// Name shown to the user and used to pick the profile (`ibex connect
    /// NAME`); unique among a user's profiles.
    pub name: String,
    /// Where the gateway is.
    pub gateway: Gateway,
    /// Our IKE identity (IDi): an IP address, `user@domain` or an FQDN
    /// (`@host` forces FQDN). Required for `psk` and `eap`; with
    /// `certificate` it defaults to the certificate's subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_id: Option<String>,
    /// The identity the gateway must prove (IDr), in the same syntax as
    /// `local_id`. Required: a gateway whose identity is not checked could
    /// be anyone holding a certificate from the same CA.
    #[serde(default)]
    pub remote_id: String,
    /// How we authenticate to the gateway.
    pub auth: Auth,
    /// PEM text of the CA certificate(s) the gateway's certificate must
    /// chain to. Required for `certificate` and `eap`; with `psk`, giving it
    /// makes the gateway authenticate with a certificate instead of the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_certificate: Option<String>,
    /// IKE proposals in strongSwan syntax, most preferred first (e.g.
    /// `aes256gcm16-prfsha384-ecp384`). Absent: the engine's modern default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ike_proposals: Option<Vec<String>>,
    /// ESP proposals in strongSwan syntax (e.g. `aes256gcm16`). Absent: the
    /// engine's modern default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub esp_proposals: Option<Vec<String>>,
    /// Which traffic goes through the tunnel. Default: everything.
    #[serde(default)]
    pub routes: Routes,
    /// Name resolution while connected.
    #[serde(default)]
    pub dns: Dns,
    /// NAT traversal (RFC 3948).
    #[serde(default)]
    pub nat_traversal: NatTraversal,
    /// Offer MOBIKE (RFC 4555) so the tunnel survives address changes.
    /// Default `true`.
    #[serde(default = "default_true")]
    pub mobike: bool,
    /// Seconds without traffic from the gateway before a liveness check;
    /// 0 disables the checks. Default 30, at most 3600.
    #[serde(default = "default_dpd")]
    pub dpd_interval_s: u32,
    /// Rekey the IKE SA after this many seconds (less up to 10 % at
    /// random). Default 14400 (4 h), 300 to 86400.
    #[serde(default = "default_ike_lifetime")]
    pub ike_lifetime_s: u32,
    /// Rekey each Child SA after this many seconds (less up to 10 % at
    /// random). Default 3600 (1 h), 120 to 86400.
    #[serde(default = "default_child_lifetime")]
    pub child_lifetime_s: u32,
    /// Whether and how the daemon reconnects after losing the tunnel.
    #[serde(default)]
    pub reconnect: Reconnect,
    /// Whether the agent may keep the pre-shared key, passwords and key
    /// passphrases in the user's keyring after a successful connection.
    /// One-time codes are never kept. Default `true`.
    #[serde(default = "default_true")]
    pub remember_secrets: bool,
}

pub(crate) fn default_true() -> bool {
    true
}

fn default_dpd() -> u32 {
    DEFAULT_DPD_INTERVAL_S
}

fn default_ike_lifetime() -> u32 {
    4 * 3600
}

fn default_child_lifetime() -> u32 {
    3600
}

impl Profile {
    /// The profile as pretty-printed JSON, the form the store writes.
    pub fn to_json_pretty(&self) -> String {
        // Serializing plain strings, numbers and maps cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
