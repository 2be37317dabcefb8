//! The responder's configuration file (JSON): identity, credentials, users,
//! proposals, address pool, DNS, networks to protect, TUN.
//!
//! The file holds secrets (PSKs); it should be readable by root only.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use ibex_ike::auth::{CertCredential, TrustAnchors};
use ibex_ike::crypto::Secret;
use ibex_ike::message::TrafficSelector;
use ibex_ike::proposal::{EspProposal, IkeProposal};
use ibex_ike::{Config, Identity, LocalAuth, PeerAuth, PeerEntry, ResponderConfig};
use serde::Deserialize;

use crate::mfa::config::PushApiConfig;
use crate::mfa::{MfaSettings, UserDirectory, UserMfa};
use ibex_ike::eap::ServerMethod;
use std::sync::Arc;

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// JSON syntax or a field of the wrong type, with its position.
    #[error("{path}: line {line}, column {column}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde's message.
        message: String,
    },
    /// A value that parses but cannot be used.
    #[error("{path}: {field}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Which field.
        field: String,
        /// What is wrong and what to do.
        message: String,
    },
}

/// How the gateway authenticates itself.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, untagged)]
pub enum GatewayAuth {
    /// The same PSK as each user's (PSK users only).
    Psk {
        /// Always `"psk"`: the gateway signs with each user's own PSK.
        method: PskMethod,
    },
    /// A certificate (PEM chain, leaf first) and its PKCS#8 key.
    Certificate {
        /// PEM file with the gateway's certificate chain.
        certificate: PathBuf,
        /// PEM file with the PKCS#8 private key.
        key: PathBuf,
    },
}

/// The literal `"psk"`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PskMethod {
    /// Pre-shared keys.
    Psk,
}

/// One user.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// The identity the user presents (IDi).
    pub id: String,
    /// The user's pre-shared key.
    #[serde(default)]
    pub psk: Option<String>,
    /// PEM file of the CA that must have issued the user's certificate.
    #[serde(default)]
    pub ca: Option<PathBuf>,
    /// The user's EAP credentials (password hashes, TOTP, push, FIDO2).
    #[serde(default)]
    pub eap: Option<UserMfa>,
    /// EAP rounds after the `psk`/`ca` round, or alone without one: each
    /// round is a list of methods run in one EAP conversation, from
    /// `mschapv2`, `password`, `otp`, `push`, `fido2`.
    #[serde(default)]
    pub rounds: Vec<Vec<String>>,
}

/// The TUN device of the gateway.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TunSettings {
    /// Interface name.
    #[serde(default = "default_tun_name")]
    pub name: String,
    /// MTU of inner packets.
    #[serde(default = "default_mtu")]
    pub mtu: u16,
}

fn default_tun_name() -> String {
    "ibexgw0".into()
}

fn default_mtu() -> u16 {
    1400
}

impl Default for TunSettings {
    fn default() -> Self {
        TunSettings {
            name: default_tun_name(),
            mtu: default_mtu(),
        }
    }
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Format version, 1.
    pub version: u32,
    /// Address to listen on (UDP 500 and 4500).
    pub listen: IpAddr,
    /// The gateway's identity (IDr).
    pub id: String,
    /// How the gateway authenticates.
    pub auth: GatewayAuth,
    /// Users allowed to connect.
    pub users: Vec<User>,
    /// IKE proposals (strongSwan syntax), preferred first.
    #[serde(default = "default_ike")]
    pub ike_proposals: Vec<String>,
    /// ESP proposals, preferred first.
    #[serde(default = "default_esp")]
    pub esp_proposals: Vec<String>,
    /// Virtual IPv4 addresses to hand out, as a prefix (network and broadcast excluded).
    pub pool: String,
    /// DNS servers pushed to clients.
    #[serde(default)]
    pub dns: Vec<IpAddr>,
    /// Networks behind the gateway that clients may reach (their `TSr`).
    pub subnets: Vec<String>,
    /// The TUN device.
    #[serde(default)]
    pub tun: TunSettings,
    /// Answer IKE_SA_INIT with cookies above this many half-open SAs.
    #[serde(default = "default_cookie_threshold")]
    pub cookie_threshold: usize,
    /// Second-factor settings: push approval page, lockout, FIDO2 relying party.
    #[serde(default)]
    pub mfa: MfaSettings,
}

fn default_ike() -> Vec<String> {
    [
        "aes256gcm16-prfsha384-ecp384",
        "chacha20poly1305-prfsha256-x25519",
        "aes256gcm16-prfsha256-x25519",
        "aes256-sha256-modp3072",
    ]
    .map(String::from)
    .to_vec()
}

fn default_esp() -> Vec<String> {
    [
        "aes256gcm16",
        "chacha20poly1305",
        "aes128gcm16",
        "aes256-sha256",
    ]
    .map(String::from)
    .to_vec()
}

fn default_cookie_threshold() -> usize {
    32
}

/// A prefix `a.b.c.d/n` or an address.
pub fn parse_prefix(s: &str) -> Option<(IpAddr, u8)> {
    let (a, l) = s.split_once('/').unwrap_or((s, ""));
    let ip: IpAddr = a.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = if l.is_empty() { max } else { l.parse().ok()? };
    (len <= max).then_some((ip, len))
}

/// Everything the gateway runs with.
#[derive(Debug)]
pub struct Loaded {
    /// The engine's configuration.
    pub ike: ResponderConfig,
    /// Listen address.
    pub listen: IpAddr,
    /// The pool prefix (routed into the TUN; its first address is the TUN's own).
    pub pool: (Ipv4Addr, u8),
    /// TUN settings.
    pub tun: TunSettings,
    /// The EAP user directory, when any user signs in with EAP.
    pub directory: Option<Arc<UserDirectory>>,
    /// Where the push approval page listens, if configured.
    pub push_api: Option<PushApiConfig>,
}

impl FileConfig {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        let file: FileConfig = serde_json::from_str(&text).map_err(|e| ConfigError::Syntax {
            path: path.into(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        file.validate(path)
    }

    fn validate(self, path: &Path) -> Result<Loaded, ConfigError> {
        let invalid = |field: &str, message: String| ConfigError::Invalid {
            path: path.into(),
            field: field.into(),
            message,
        };
        if self.version != 1 {
            return Err(invalid(
                "version",
                format!(
                    "version {} is not supported; this build reads version 1",
                    self.version
                ),
            ));
        }
        let read = |field: &str, p: &Path| {
            std::fs::read(p)
                .map_err(|e| invalid(field, format!("cannot read {}: {e}", p.display())))
        };
        let local_auth = match &self.auth {
            GatewayAuth::Psk { .. } => None,
            GatewayAuth::Certificate { certificate, key } => {
                let cred = CertCredential::from_pem(
                    &read("auth.certificate", certificate)?,
                    &read("auth.key", key)?,
                )
                .map_err(|e| invalid("auth", e.to_string()))?;
                Some(LocalAuth::Certificate(cred))
            }
        };
        let mut peers = Vec::new();
        let mut eap_users = Vec::new();
        let mut needs_cert = false;
        let base_dir = path.parent().unwrap_or(Path::new("."));
        for (i, u) in self.users.into_iter().enumerate() {
            let field = format!("users[{i}]");
            let mut rounds = Vec::new();
            for (r, methods) in u.rounds.iter().enumerate() {
                if methods.is_empty() {
                    return Err(invalid(
                        &format!("{field}.rounds[{r}]"),
                        "an EAP round needs at least one method".into(),
                    ));
                }
                let list = methods
                    .iter()
                    .map(|m| {
                        server_method(m).ok_or_else(|| {
                            invalid(
                                &format!("{field}.rounds[{r}]"),
                                format!("unknown EAP method '{m}'; use mschapv2, password, otp, push or fido2"),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                rounds.push(PeerAuth::Eap(list));
            }
            if rounds.len() > 3 {
                return Err(invalid(&field, "at most 3 EAP rounds are supported".into()));
            }
            match (&u.eap, rounds.is_empty()) {
                (Some(_), true) => {
                    return Err(invalid(
                        &field,
                        "has \"eap\" credentials but no \"rounds\" saying which methods to run"
                            .into(),
                    ))
                }
                (None, false) => {
                    return Err(invalid(
                        &field,
                        "has EAP \"rounds\" but no \"eap\" credentials".into(),
                    ))
                }
                _ => {}
            }
            let first = match (&u.psk, &u.ca) {
                (Some(psk), None) => {
                    if psk.len() < 16 {
                        return Err(invalid(&field, "the pre-shared key is shorter than 16 characters; use a long random key".into()));
                    }
                    PeerAuth::Psk(Secret::from_slice(psk.as_bytes()))
                }
                (None, Some(ca)) => PeerAuth::Certificate(
                    TrustAnchors::from_pem(&read(&field, ca)?)
                        .map_err(|e| invalid(&field, e.to_string()))?,
                ),
                (None, None) if !rounds.is_empty() => {
                    needs_cert = true;
                    rounds.remove(0)
                }
                _ => {
                    return Err(invalid(
                        &field,
                        "give exactly one of \"psk\" or \"ca\", or EAP \"rounds\"".into(),
                    ))
                }
            };
            if let Some(mut mfa) = u.eap {
                mfa.resolve_paths(base_dir);
                eap_users.push((u.id.clone(), mfa));
            }
            peers.push(PeerEntry {
                id: Identity::parse(&u.id),
                auth: first,
                extra: rounds,
            });
        }
        if needs_cert && local_auth.is_none() {
            return Err(invalid(
                "auth",
                "users who sign in with EAP alone need the gateway to authenticate with a certificate".into(),
            ));
        }
        let directory = if eap_users.is_empty() {
            None
        } else {
            Some(Arc::new(
                UserDirectory::new(&self.mfa, eap_users)
                    .map_err(|e| invalid("users", e.to_string()))?,
            ))
        };
        if peers.is_empty() {
            return Err(invalid("users", "no users: nobody could connect".into()));
        }
        // With PSK gateway authentication, the gateway proves itself with the user's PSK.
        let local_auth = match local_auth {
            Some(a) => a,
            None => {
                let psk = peers
                    .iter()
                    .find_map(|p| match &p.auth {
                        PeerAuth::Psk(k) => Some(k.clone()),
                        _ => None,
                    })
                    .ok_or_else(|| {
                        invalid("auth", "PSK gateway authentication needs PSK users".into())
                    })?;
                LocalAuth::Psk(psk)
            }
        };
        let mut base = Config::new(Identity::parse(&self.id), local_auth);
        base.ike_proposals = self
            .ike_proposals
            .iter()
            .enumerate()
            .map(|(i, p)| {
                IkeProposal::parse(p)
                    .map_err(|e| invalid(&format!("ike_proposals[{i}]"), e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        base.esp_proposals = self
            .esp_proposals
            .iter()
            .enumerate()
            .map(|(i, p)| {
                EspProposal::parse(p)
                    .map_err(|e| invalid(&format!("esp_proposals[{i}]"), e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        base.local_ts = self
            .subnets
            .iter()
            .enumerate()
            .map(|(i, s)| {
                parse_prefix(s)
                    .map(|(a, l)| TrafficSelector::from_prefix(a, l))
                    .ok_or_else(|| {
                        invalid(
                            &format!("subnets[{i}]"),
                            format!("'{s}' is not an address prefix"),
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        base.remote_ts = vec![TrafficSelector::any_v4()];
        base.keylog = std::env::var_os("IBEX_KEYLOG_DIR").is_some();
        let pool = match parse_prefix(&self.pool) {
            Some((IpAddr::V4(a), l)) if l <= 30 => (a, l),
            _ => {
                return Err(invalid(
                    "pool",
                    format!("'{}' must be an IPv4 prefix of /30 or larger", self.pool),
                ))
            }
        };
        let net = u32::from(pool.0) & (u32::MAX << (32 - pool.1));
        // The gateway's TUN takes the first address; clients get the rest.
        let range = (
            Ipv4Addr::from(net + 2),
            Ipv4Addr::from((net | !(u32::MAX << (32 - pool.1))) - 1),
        );
        let pool = (Ipv4Addr::from(net), pool.1);
        // Long enough for a person to type a code or approve a push.
        let push_secs = self.mfa.push_api.as_ref().map_or(0, |p| p.timeout_secs);
        let step_timeout = std::time::Duration::from_secs(120.max(push_secs + 30));
        Ok(Loaded {
            ike: ResponderConfig {
                base,
                peers,
                pool: Some(range),
                dns: self.dns,
                cookie_threshold: self.cookie_threshold,
                eap_directory: directory
                    .clone()
                    .map(|d| d as Arc<dyn ibex_ike::eap::Directory>),
                eap_step_timeout: step_timeout,
                eap_tls: None,
            },
            listen: self.listen,
            pool,
            tun: self.tun,
            directory,
            push_api: self.mfa.push_api,
        })
    }
}

/// The EAP method of a name in `rounds`.
fn server_method(name: &str) -> Option<ServerMethod> {
    Some(match name {
        "mschapv2" => ServerMethod::MsChapV2,
        "password" => ServerMethod::GtcPassword,
        "otp" => ServerMethod::GtcOtp,
        "push" => ServerMethod::Push,
        "fido2" => ServerMethod::Fido2,
        _ => return None,
    })
}
