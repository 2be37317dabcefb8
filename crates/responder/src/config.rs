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
    /// `mschapv2`, `password`, `otp`, `push`, `fido2`, `tls` (EAP-TLS, with
    /// the top-level `eap_tls`).
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
    /// Further addresses to listen on, announced to MOBIKE clients so they
    /// can move there (e.g. the gateway's IPv6 address when `listen` is IPv4).
    #[serde(default)]
    pub also_listen: Vec<IpAddr>,
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
    /// The gateway's EAP-TLS credential and the CA of the users'
    /// certificates; needed by users with `tls` in their `rounds`.
    #[serde(default)]
    pub eap_tls: Option<EapTlsSettings>,
    /// Clients must sign in again after this many seconds (AUTH_LIFETIME,
    /// RFC 4478; at least 20); an IKE SA still signed in with an older
    /// authentication is deleted. Absent: sign-ins never expire.
    #[serde(default)]
    pub auth_lifetime_secs: Option<u64>,
    /// Check a client's liveness after this many seconds without hearing
    /// from it, and drop its SAs when it does not answer (as long again,
    /// 10 to 60 s); 0 disables the checks. Default 30.
    #[serde(default = "default_dpd")]
    pub dpd_interval_secs: u64,
    /// Send clients to other gateways (RFC 5685): the whole fleet's
    /// addresses or names, taken in turn.
    #[serde(default)]
    pub redirect: Option<RedirectSettings>,
}

/// The top-level `"redirect"` object:
/// `{"gateways": ["192.0.2.9"], "during": "init"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedirectSettings {
    /// Where clients go (IP addresses or host names), in turn.
    pub gateways: Vec<String>,
    /// `"init"` (new clients, in IKE_SA_INIT), `"auth"` (new clients,
    /// once authenticated) or `"established"` (no new client; connected
    /// clients move on SIGUSR1, to drain this gateway).
    pub during: RedirectDuring,
    /// Also redirect clients another gateway sent here. Default false.
    #[serde(default)]
    pub redirected_clients: bool,
}

/// When new clients are redirected.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RedirectDuring {
    /// In IKE_SA_INIT.
    Init,
    /// In IKE_AUTH.
    Auth,
    /// Only on SIGUSR1, established clients.
    Established,
}

impl RedirectSettings {
    /// The engine's policy; errors name `redirect.<field>`.
    fn policy(&self, listen: IpAddr) -> Result<ibex_ike::RedirectPolicy, (String, String)> {
        if self.gateways.is_empty() {
            return Err((
                "redirect.gateways".into(),
                "list at least one gateway to send clients to".into(),
            ));
        }
        let mut gateways = Vec::new();
        for (i, g) in self.gateways.iter().enumerate() {
            let id = ibex_ike::GatewayId::parse(g).map_err(|_| {
                (
                    format!("redirect.gateways[{i}]"),
                    format!("'{g}' is neither an IP address nor a host name"),
                )
            })?;
            if id.ip() == Some(listen) {
                return Err((
                    format!("redirect.gateways[{i}]"),
                    "this is the gateway's own address: clients would loop".into(),
                ));
            }
            gateways.push(id);
        }
        Ok(ibex_ike::RedirectPolicy {
            gateways,
            during: match self.during {
                RedirectDuring::Init => ibex_ike::RedirectPhase::Init,
                RedirectDuring::Auth => ibex_ike::RedirectPhase::Auth,
                RedirectDuring::Established => ibex_ike::RedirectPhase::Established,
            },
            redirected_clients: self.redirected_clients,
        })
    }
}

fn default_dpd() -> u64 {
    30
}

/// The top-level `"eap_tls"` object:
/// `{"certificate": "gw.pem", "key": "gw.pk8.pem", "client_ca": "users-ca.pem"}`
/// (PEM files; paths as given, like `auth`'s).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EapTlsSettings {
    /// PEM file with the certificate chain the gateway presents in
    /// EAP-TLS, leaf first (usually its IKE certificate).
    pub certificate: PathBuf,
    /// PEM file with its unencrypted PKCS#8 private key.
    pub key: PathBuf,
    /// PEM file with the CA certificate(s) users' certificates must chain
    /// to; a certificate must also name the user (SAN or CN = the IKE identity).
    pub client_ca: PathBuf,
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
    /// More addresses to listen on (announced to MOBIKE clients).
    pub also_listen: Vec<IpAddr>,
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
        // The first user round naming EAP-TLS, for the error without eap_tls.
        let mut tls_user: Option<String> = None;
        // Whether any user signs in with EAP at all (the EAP server needs
        // the directory even for EAP-TLS alone: lockouts, failures).
        let mut any_eap = false;
        let base_dir = path.parent().unwrap_or(Path::new("."));
        for (i, u) in self.users.into_iter().enumerate() {
            let field = format!("users[{i}]");
            let mut rounds = Vec::new();
            any_eap |= !u.rounds.is_empty();
            for (r, methods) in u.rounds.iter().enumerate() {
                if tls_user.is_none() && methods.iter().any(|m| m == "tls") {
                    tls_user = Some(format!("{field}.rounds[{r}]"));
                }
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
                                format!("unknown EAP method '{m}'; use mschapv2, password, otp, push, fido2 or tls"),
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
                // EAP-TLS checks a certificate: no "eap" credentials needed.
                (None, false) if u.rounds.iter().flatten().all(|m| m == "tls") => {}
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
        let eap_tls = match (&self.eap_tls, tls_user) {
            (Some(t), _) => Some(Arc::new(t.load(&invalid)?)),
            (None, Some(round)) => {
                return Err(invalid(
                    &round,
                    "EAP-TLS needs the top-level \"eap_tls\" object: the gateway's TLS certificate and key and the CA of the users' certificates".into(),
                ))
            }
            (None, None) => None,
        };
        let directory = if eap_users.is_empty() && !any_eap {
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
        if self.mfa.step_timeout_secs.is_some_and(|s| s < 5) {
            return Err(invalid(
                "mfa.step_timeout_secs",
                "must be at least 5 seconds: people need time to answer".into(),
            ));
        }
        if self
            .auth_lifetime_secs
            .is_some_and(|s| !(20..=u64::from(u32::MAX)).contains(&s))
        {
            return Err(invalid(
                "auth_lifetime_secs",
                "must be at least 20 seconds: clients need time to sign in again".into(),
            ));
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
        let redirect = self
            .redirect
            .as_ref()
            .map(|r| r.policy(self.listen))
            .transpose()
            .map_err(|(f, m)| invalid(&f, m))?;
        let mut base = Config::new(Identity::parse(&self.id), local_auth);
        if self.dpd_interval_secs > 3600 {
            return Err(invalid(
                "dpd_interval_secs",
                "at most 3600 seconds (0 disables liveness checks)".into(),
            ));
        }
        if self.also_listen.contains(&self.listen) {
            return Err(invalid(
                "also_listen",
                "lists the `listen` address again".into(),
            ));
        }
        base.additional_addresses = std::iter::once(self.listen)
            .chain(self.also_listen.iter().copied())
            .collect();
        base.dpd_interval = (self.dpd_interval_secs > 0)
            .then(|| std::time::Duration::from_secs(self.dpd_interval_secs));
        base.dpd_timeout = std::time::Duration::from_secs(self.dpd_interval_secs.clamp(10, 60));
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
        let step_timeout = std::time::Duration::from_secs(
            self.mfa
                .step_timeout_secs
                .unwrap_or_else(|| 120.max(push_secs + 30)),
        );
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
                eap_tls,
                eap_only: false,
                auth_lifetime: self.auth_lifetime_secs.map(std::time::Duration::from_secs),
                redirect,
            },
            listen: self.listen,
            also_listen: self.also_listen,
            pool,
            tun: self.tun,
            directory,
            push_api: self.mfa.push_api,
        })
    }
}

impl EapTlsSettings {
    /// Reads and checks the files; errors name `eap_tls.<field>`.
    fn load(
        &self,
        invalid: &dyn Fn(&str, String) -> ConfigError,
    ) -> Result<ibex_ike::eap::TlsServerConfig, ConfigError> {
        use rustls_pki_types::pem::PemObject as _;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        use zeroize::Zeroize as _;

        let read = |field: &str, p: &Path| {
            std::fs::read(p)
                .map_err(|e| invalid(field, format!("cannot read {}: {e}", p.display())))
        };
        let certs = |field: &str, p: &Path| -> Result<Vec<Vec<u8>>, ConfigError> {
            let list = CertificateDer::pem_slice_iter(&read(field, p)?)
                .map(|c| c.map(|c| c.to_vec()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| invalid(field, format!("{}: {e}", p.display())))?;
            if list.is_empty() {
                return Err(invalid(
                    field,
                    format!("{} holds no PEM CERTIFICATE block", p.display()),
                ));
            }
            Ok(list)
        };
        let cert_chain = certs("eap_tls.certificate", &self.certificate)?;
        let client_cas = certs("eap_tls.client_ca", &self.client_ca)?;
        let mut pem = read("eap_tls.key", &self.key)?;
        let parsed = PrivateKeyDer::from_pem_slice(&pem);
        pem.zeroize();
        let key = match parsed {
            Ok(mut der @ PrivateKeyDer::Pkcs8(_)) => {
                let key = ibex_ike::eap::Secret::from_slice(der.secret_der());
                der.zeroize();
                key
            }
            Ok(mut other) => {
                other.zeroize();
                return Err(invalid(
                    "eap_tls.key",
                    format!(
                        "{} is not a PKCS#8 key (BEGIN PRIVATE KEY); convert it with `openssl pkcs8 -topk8 -nocrypt`",
                        self.key.display()
                    ),
                ));
            }
            Err(e) => {
                return Err(invalid(
                    "eap_tls.key",
                    format!("{}: no usable private key ({e})", self.key.display()),
                ))
            }
        };
        let config = ibex_ike::eap::TlsServerConfig {
            cert_chain,
            key,
            client_cas,
            ..Default::default()
        };
        config.check().map_err(|e| {
            use ibex_ike::eap::TlsConfigError as E;
            let field = match e {
                E::Ca { .. } | E::NoCa => "eap_tls.client_ca",
                E::Key(_) | E::KeyMismatch => "eap_tls.key",
                _ => "eap_tls.certificate",
            };
            invalid(field, e.to_string())
        })?;
        Ok(config)
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
        "tls" => ServerMethod::Tls,
        _ => return None,
    })
}

#[cfg(test)]
mod eap_tls_tests {
    use std::io::Write as _;

    use super::*;

    const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ike/src/auth/testdata/");

    fn file(name: &str) -> String {
        format!("{TESTDATA}{name}")
    }

    /// A gateway with certificate authentication and an EAP-TLS user;
    /// `eap_tls` is the top-level object's JSON (or empty for none).
    fn config(eap_tls: &str) -> tempfile::NamedTempFile {
        let eap_tls = if eap_tls.is_empty() {
            String::new()
        } else {
            format!(",\n  \"eap_tls\": {eap_tls}")
        };
        let text = format!(
            r#"{{
  "version": 1, "listen": "192.0.2.1", "id": "gw.ibex.test",
  "auth": {{"certificate": "{cert}", "key": "{key}"}},
  "users": [{{"id": "client.ibex.test", "rounds": [["tls"]]}}],
  "pool": "10.99.10.0/24", "subnets": ["10.99.0.0/24"]{eap_tls}
}}"#,
            cert = file("rsa-leaf.pem"),
            key = file("rsa-leaf.key.pem"),
        );
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    fn settings(certificate: &str, key: &str, client_ca: &str) -> String {
        serde_json::json!({"certificate": certificate, "key": key, "client_ca": client_ca})
            .to_string()
    }

    fn invalid_field(f: &tempfile::NamedTempFile) -> (String, String) {
        match FileConfig::load(f.path()) {
            Err(ConfigError::Invalid { field, message, .. }) => (field, message),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn eap_tls_users_get_the_gateway_tls_settings() {
        let good = settings(
            &file("rsa-leaf.pem"),
            &file("rsa-leaf.key.pem"),
            &file("rsa-ca.pem"),
        );
        let c = FileConfig::load(config(&good).path()).unwrap();
        let tls = c.ike.eap_tls.as_ref().expect("eap_tls is filled");
        assert_eq!((tls.cert_chain.len(), tls.client_cas.len()), (1, 1));
        assert!(c.ike.eap_directory.is_some(), "the EAP server needs one");
        assert!(matches!(
            &c.ike.peers[0].auth,
            PeerAuth::Eap(m) if m == &[ServerMethod::Tls]
        ));
        assert!(!format!("{c:?}").contains("PRIVATE"), "no key in Debug");
    }

    #[test]
    fn eap_tls_errors_name_the_field() {
        let (field, message) = invalid_field(&config(""));
        assert_eq!(field, "users[0].rounds[0]");
        assert!(message.contains("\"eap_tls\""), "{message}");

        let cases = [
            (
                settings(
                    "/nonexistent.pem",
                    &file("rsa-leaf.key.pem"),
                    &file("rsa-ca.pem"),
                ),
                "eap_tls.certificate",
                "cannot read",
            ),
            (
                settings(
                    &file("rsa-leaf.pem"),
                    &file("rsa-ca.pem"),
                    &file("rsa-ca.pem"),
                ),
                "eap_tls.key",
                "no usable private key",
            ),
            (
                settings(
                    &file("rsa-leaf.pem"),
                    &file("rsa-leaf.key.pem"),
                    &file("rsa-leaf.key.pem"),
                ),
                "eap_tls.client_ca",
                "no PEM CERTIFICATE",
            ),
            (
                settings(
                    &file("rsa-ca.pem"),
                    &file("rsa-leaf.key.pem"),
                    &file("rsa-ca.pem"),
                ),
                "eap_tls.key",
                "does not match",
            ),
        ];
        for (json, want_field, want_message) in cases {
            let (field, message) = invalid_field(&config(&json));
            assert_eq!(field, want_field, "{json}: {message}");
            assert!(message.contains(want_message), "{json}: {message}");
            assert!(!message.contains("PRIVATE KEY-----"), "{message}");
        }
        // Unknown fields are refused with their position.
        let f = config(&settings("a", "b", "c").replace("\"key\"", "\"keyfile\""));
        match FileConfig::load(f.path()) {
            Err(ConfigError::Syntax { message, .. }) => {
                assert!(message.contains("keyfile"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }
}
