//! [`Profile::to_ike_config`]: a valid profile plus the credential the
//! agent supplied, as the engine's [`Config`].

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use ibex_ike::auth::{AuthError, CertCredential, TrustAnchors};
use ibex_ike::crypto::Secret;
use ibex_ike::message::TrafficSelector;
use ibex_ike::proposal::{EspProposal, IkeProposal};
use ibex_ike::{Config, Identity, LocalAuth, PeerAuth};

use ibex_ike::eap::{PeerConfig, TlsClientConfig};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use zeroize::Zeroize as _;

use crate::model::{Auth, EapMethod, EapRound, Profile, Routes};
use crate::path::JsonPath;
use crate::validate::{error, Problem, ValidationError};

/// The secret half of a connection, supplied by the agent from a prompt or
/// the keyring; the profile only says which kind is needed.
#[derive(Clone)]
pub enum Credential {
    /// The pre-shared key, for `auth.method = "psk"`.
    Psk(Secret),
    /// Certificate chain and private key, for `auth.method = "certificate"`.
    Certificate {
        /// PEM certificates, leaf first (the profile's inline PEM, or the
        /// file it names).
        chain_pem: Vec<u8>,
        /// Unencrypted PKCS#8 PEM private key (decrypted by the agent if
        /// the file was encrypted).
        key_pem: Secret,
    },
    /// Nothing up front, for `auth.method = "eap"`: every secret is asked
    /// for during the EAP conversation.
    Eap,
    /// For `auth.method = "eap"` with a `tls` round: that round's
    /// certificate chain and key (every other secret is asked for during
    /// the EAP conversation).
    EapTls {
        /// PEM certificates, leaf first.
        chain_pem: Vec<u8>,
        /// Unencrypted PKCS#8 PEM private key.
        key_pem: Secret,
    },
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Psk(s) => f.debug_tuple("Psk").field(s).finish(),
            Credential::Certificate { chain_pem, key_pem } => f
                .debug_struct("Certificate")
                .field("chain_pem_len", &chain_pem.len())
                .field("key_pem", key_pem)
                .finish(),
            Credential::Eap => f.write_str("Eap"),
            Credential::EapTls { chain_pem, key_pem } => f
                .debug_struct("EapTls")
                .field("chain_pem_len", &chain_pem.len())
                .field("key_pem", key_pem)
                .finish(),
        }
    }
}

impl Credential {
    fn kind(&self) -> &'static str {
        match self {
            Credential::Psk(_) => "a pre-shared key",
            Credential::Certificate { .. } => "a certificate",
            Credential::Eap => "no credential (EAP)",
            Credential::EapTls { .. } => "a certificate for an EAP-TLS round",
        }
    }
}

/// Why a profile and credential could not become an engine configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The profile breaks a rule; import it again with `Profile::from_json`
    /// to see where.
    #[error("invalid profile: {0}")]
    Invalid(#[from] ValidationError),
    /// The credential does not fit the profile's auth method.
    #[error(
        "profile '{profile}' authenticates with '{method}', but the agent supplied {supplied}"
    )]
    WrongCredential {
        /// Profile name.
        profile: String,
        /// The profile's auth method.
        method: &'static str,
        /// What was supplied.
        supplied: &'static str,
    },
    /// The pre-shared key is empty.
    #[error("the pre-shared key is empty; enter the key the gateway's administrator gave you")]
    EmptyPsk,
    /// The client certificate or key cannot be loaded.
    #[error("client certificate: {0}")]
    Certificate(#[source] AuthError),
    /// The CA certificate cannot be loaded.
    #[error("ca_certificate: {0}")]
    CaCertificate(#[source] AuthError),
    /// The profile has an EAP-TLS round but no certificate came for it.
    #[error("profile '{0}' has an EAP-TLS round: the agent must supply the round's certificate and private key")]
    MissingTlsCredential(String),
    /// The EAP-TLS round's certificate, key or trust cannot be used.
    #[error("EAP-TLS round: {0}")]
    Tls(String),
}

impl Profile {
    /// The engine configuration for this profile, authenticating with
    /// `credential`.
    ///
    /// The gateway must authenticate with a certificate chaining to
    /// `ca_certificate` when that is given, and with the same pre-shared key
    /// otherwise (psk profiles only). A virtual IPv4 address and DNS servers
    /// are requested; the remote traffic selectors are `0.0.0.0/0` for a
    /// full tunnel and the prefixes for a split tunnel.
    pub fn to_ike_config(&self, credential: Credential) -> Result<Config, ConfigError> {
        self.validate()?;
        let wrong = |c: &Credential| ConfigError::WrongCredential {
            profile: self.name.clone(),
            method: self.auth.method_name(),
            supplied: c.kind(),
        };
        // The EAP-TLS round's settings, when the profile has one.
        let mut tls = None;
        let (local_auth, psk) = match (&self.auth, credential) {
            (Auth::Psk {}, Credential::Psk(key)) => {
                if key.is_empty() {
                    return Err(ConfigError::EmptyPsk);
                }
                (LocalAuth::Psk(key.clone()), Some(key))
            }
            (Auth::Certificate { .. }, Credential::Certificate { chain_pem, key_pem }) => {
                let cred = CertCredential::from_pem(&chain_pem, key_pem.expose())
                    .map_err(ConfigError::Certificate)?;
                if self.auth.has_tls_round() {
                    tls = Some(self.tls_config(&chain_pem, &key_pem)?);
                }
                (LocalAuth::Certificate(cred), None)
            }
            (Auth::Eap { .. }, Credential::Eap) if self.auth.has_tls_round() => {
                return Err(ConfigError::MissingTlsCredential(self.name.clone()))
            }
            (Auth::Eap { rounds, .. }, Credential::Eap) => match rounds.first() {
                Some(r) => (LocalAuth::Eap(self.eap_peer(r, None)), None),
                None => {
                    return Err(invalid(
                        "auth",
                        Problem::Empty {
                            hint: "list at least one round",
                        },
                    ))
                }
            },
            (Auth::Eap { rounds, .. }, Credential::EapTls { chain_pem, key_pem })
                if self.auth.has_tls_round() =>
            {
                tls = Some(self.tls_config(&chain_pem, &key_pem)?);
                match rounds.first() {
                    Some(r) => (LocalAuth::Eap(self.eap_peer(r, tls.as_ref())), None),
                    None => {
                        return Err(invalid(
                            "auth",
                            Problem::Empty {
                                hint: "list at least one round",
                            },
                        ))
                    }
                }
            }
            (_, c) => return Err(wrong(&c)),
        };
        let local_id = match (&self.local_id, &local_auth) {
            (Some(id), _) => Identity::parse(id),
            (None, LocalAuth::Certificate(cred)) => {
                let (kind, data) = cred.default_identity();
                Identity { kind, data }
            }
            // validate() requires local_id for the other methods.
            (None, LocalAuth::Psk(_) | LocalAuth::Eap(_)) => {
                return Err(invalid(
                    "local_id",
                    Problem::Required {
                        hint: "auth method 'psk' needs your identity".into(),
                    },
                ))
            }
        };
        let peer_auth = match (&self.ca_certificate, psk) {
            (Some(pem), _) => PeerAuth::Certificate(
                TrustAnchors::from_pem(pem.as_bytes()).map_err(ConfigError::CaCertificate)?,
            ),
            (None, Some(key)) => PeerAuth::Psk(key),
            // validate() requires ca_certificate for the other methods.
            (None, None) => {
                return Err(invalid(
                    "ca_certificate",
                    Problem::CaRequired {
                        method: self.auth.method_name(),
                    },
                ))
            }
        };
        let mut config = Config::new(local_id, local_auth);
        match &self.auth {
            Auth::Eap { rounds, eap_only } => {
                config.extra_auth = rounds
                    .iter()
                    .skip(1)
                    .map(|r| LocalAuth::Eap(self.eap_peer(r, tls.as_ref())))
                    .collect();
                config.eap_only = *eap_only;
            }
            Auth::Certificate { eap_rounds, .. } => {
                config.extra_auth = eap_rounds
                    .iter()
                    .map(|r| LocalAuth::Eap(self.eap_peer(r, tls.as_ref())))
                    .collect();
            }
            Auth::Psk {} => {}
        }
        config.remote_id = Some(Identity::parse(&self.remote_id));
        config.peer_auth = Some(peer_auth);
        if let Some(list) = &self.ike_proposals {
            config.ike_proposals = list
                .iter()
                .map(|s| IkeProposal::parse(s))
                .collect::<Result<_, _>>()
                .map_err(|e| invalid("ike_proposals", Problem::Proposal(e)))?;
        }
        if let Some(list) = &self.esp_proposals {
            config.esp_proposals = list
                .iter()
                .map(|s| EspProposal::parse(s))
                .collect::<Result<_, _>>()
                .map_err(|e| invalid("esp_proposals", Problem::Proposal(e)))?;
        }
        config.remote_ts = match &self.routes {
            Routes::Full {} => vec![TrafficSelector::any_v4()],
            Routes::Split { prefixes } => prefixes.iter().filter_map(|p| selector(p)).collect(),
        };
        config.request_vip = true;
        config.force_encap = self.nat_traversal.force_encapsulation;
        config.mobike = self.mobike;
        config.dpd_interval =
            (self.dpd_interval_s > 0).then(|| Duration::from_secs(self.dpd_interval_s.into()));
        // An unanswered liveness check means a dead gateway after as long as
        // the interval, between 10 s and 60 s.
        config.dpd_timeout = Duration::from_secs(self.dpd_interval_s.clamp(10, 60).into());
        config.ike_lifetime = Some(Duration::from_secs(self.ike_lifetime_s.into()));
        config.child_lifetime = Some(Duration::from_secs(self.child_lifetime_s.into()));
        Ok(config)
    }
}

impl Profile {
    /// The EAP peer settings of one round: its identity (default
    /// `local_id`), and for the `tls` round the EAP-TLS settings.
    fn eap_peer(&self, round: &EapRound, tls: Option<&TlsClientConfig>) -> PeerConfig {
        PeerConfig {
            identity: round
                .identity
                .clone()
                .or_else(|| self.local_id.clone())
                .unwrap_or_default(),
            tls: tls.filter(|_| round.method == EapMethod::Tls).cloned(),
            allow_md5: round.allow_md5,
            prefer_code: round.prefer_code,
            ..Default::default()
        }
    }

    /// The EAP-TLS settings: the client certificate chain and key the agent
    /// read, the profile's CA for the gateway's certificate, and `remote_id`
    /// as the name it must carry. Checked here, so that a key that does
    /// not match is refused before anything starts.
    fn tls_config(
        &self,
        chain_pem: &[u8],
        key_pem: &Secret,
    ) -> Result<TlsClientConfig, ConfigError> {
        // Loading it as an IKE credential checks chain and key with the
        // same clear messages (PKCS#1 and SEC1 keys, mismatches).
        let cred = CertCredential::from_pem(chain_pem, key_pem.expose())
            .map_err(|e| ConfigError::Tls(format!("client certificate: {e}")))?;
        let mut der = PrivateKeyDer::from_pem_slice(key_pem.expose())
            .map_err(|e| ConfigError::Tls(format!("private key: {e}")))?;
        let key = match &der {
            PrivateKeyDer::Pkcs8(k) => Ok(ibex_ike::eap::Secret::from_slice(k.secret_pkcs8_der())),
            _ => Err(ConfigError::Tls("the private key is not PKCS#8".into())),
        };
        der.zeroize();
        let ca_pem = self.ca_certificate.as_deref().unwrap_or_default();
        let ca_certs = CertificateDer::pem_slice_iter(ca_pem.as_bytes())
            .map(|c| c.map(|c| c.to_vec()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ConfigError::Tls(format!("ca_certificate: {e}")))?;
        let config = TlsClientConfig {
            cert_chain: cred.chain().to_vec(),
            key: key?,
            ca_certs,
            server_name: Some(
                self.remote_id
                    .strip_prefix('@')
                    .unwrap_or(&self.remote_id)
                    .to_string(),
            ),
            ..Default::default()
        };
        config
            .check()
            .map_err(|e| ConfigError::Tls(e.to_string()))?;
        Ok(config)
    }
}

/// A rule violation at the top-level field `field`.
fn invalid(field: &'static str, problem: Problem) -> ConfigError {
    ConfigError::Invalid(error(JsonPath::root().key(field), None, problem))
}

/// The traffic selector of a validated `a.b.c.d/len` prefix.
fn selector(prefix: &str) -> Option<TrafficSelector> {
    let (addr, len) = prefix.split_once('/')?;
    Some(TrafficSelector::from_prefix(
        addr.parse::<IpAddr>().ok()?,
        len.parse().ok()?,
    ))
}
