//! EAP-TLS credentials and trust, and the rustls configurations built from them.

use std::fmt;
use std::sync::Arc;

use rustls::client::Resumption;
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::server::{NoServerSessionStorage, WebPkiClientVerifier};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::version::{TLS12, TLS13};
use rustls::{ClientConfig, RootCertStore, ServerConfig, SupportedProtocolVersion};
use thiserror::Error;

use super::verify::{GatewayVerifier, UserVerifier};
use crate::Secret;

/// Default largest EAP packet (header included) an EAP-TLS side sends.
pub(crate) const DEFAULT_FRAGMENT: usize = 1000;
/// Smallest accepted `max_fragment`; smaller values are raised to it.
pub(crate) const MIN_FRAGMENT: usize = 64;
/// Largest EAP packet the 16-bit EAP length allows.
pub(crate) const MAX_FRAGMENT: usize = u16::MAX as usize;

/// The TLS versions an EAP-TLS side accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TlsVersions {
    /// TLS 1.3 (RFC 9190) or TLS 1.2 (RFC 5216); 1.3 is preferred.
    #[default]
    All,
    /// TLS 1.2 only.
    Tls12Only,
    /// TLS 1.3 only.
    Tls13Only,
}

impl TlsVersions {
    fn rustls(self) -> &'static [&'static SupportedProtocolVersion] {
        static ALL: [&SupportedProtocolVersion; 2] = [&TLS13, &TLS12];
        static ONLY_12: [&SupportedProtocolVersion; 1] = [&TLS12];
        static ONLY_13: [&SupportedProtocolVersion; 1] = [&TLS13];
        match self {
            TlsVersions::All => &ALL,
            TlsVersions::Tls12Only => &ONLY_12,
            TlsVersions::Tls13Only => &ONLY_13,
        }
    }
}

/// Why an EAP-TLS configuration cannot be used.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum TlsConfigError {
    /// The certificate chain is empty.
    #[error("no certificate configured")]
    NoCertificate,
    /// The private key is not a PKCS#8 key rustls (ring) can use.
    #[error("the private key is not a usable PKCS#8 key: {0}")]
    Key(String),
    /// The private key does not belong to the end-entity certificate.
    #[error("the private key does not match the certificate")]
    KeyMismatch,
    /// No CA certificate to verify the other side with.
    #[error("no CA certificate configured")]
    NoCa,
    /// A CA certificate does not parse as a trust anchor.
    #[error("CA certificate {index} is not usable: {reason}")]
    Ca {
        /// Its position in the list, from 0.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The expected gateway name is neither a DNS name nor an IP address.
    #[error("{0:?} is not a DNS name or IP address")]
    ServerName(String),
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Tls(String),
}

/// The peer's EAP-TLS credential and trust ([`crate::PeerConfig::tls`]).
///
/// `Debug` shows counts and names, never the key; the key is zeroized on drop.
#[derive(Clone)]
pub struct TlsClientConfig {
    /// The client certificate chain, DER, end-entity certificate first.
    pub cert_chain: Vec<Vec<u8>>,
    /// The end-entity certificate's private key, PKCS#8 DER (ECDSA, Ed25519 or RSA).
    pub key: Secret,
    /// CA certificates (DER) the gateway's certificate must chain to.
    pub ca_certs: Vec<Vec<u8>>,
    /// The name the gateway's certificate must carry (a DNS SAN, or an IP
    /// SAN if it parses as an address), typically the IKE gateway identity.
    /// `None` checks the chain only.
    pub server_name: Option<String>,
    /// Accepted TLS versions.
    pub versions: TlsVersions,
    /// Largest EAP packet sent, header included (default 1000; at least 64).
    pub max_fragment: usize,
}

impl Default for TlsClientConfig {
    fn default() -> Self {
        TlsClientConfig {
            cert_chain: Vec::new(),
            key: Secret::default(),
            ca_certs: Vec::new(),
            server_name: None,
            versions: TlsVersions::All,
            max_fragment: DEFAULT_FRAGMENT,
        }
    }
}

impl fmt::Debug for TlsClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsClientConfig")
            .field("certificates", &self.cert_chain.len())
            .field("key", &self.key)
            .field("ca_certs", &self.ca_certs.len())
            .field("server_name", &self.server_name)
            .field("versions", &self.versions)
            .field("max_fragment", &self.max_fragment)
            .finish()
    }
}

impl TlsClientConfig {
    /// Checks the credential, the CAs and the name without starting TLS (the
    /// peer does the same when the server starts EAP-TLS).
    pub fn check(&self) -> Result<(), TlsConfigError> {
        self.rustls().map(|_| ())
    }

    /// The rustls client configuration and the name to connect to.
    pub(crate) fn rustls(&self) -> Result<(ClientConfig, ServerName<'static>), TlsConfigError> {
        let provider = provider();
        let certified = certified_key(&self.cert_chain, &self.key)?;
        let roots = roots(&self.ca_certs)?;
        let expected = match &self.server_name {
            Some(name) => Some(
                ServerName::try_from(name.clone())
                    .map_err(|_| TlsConfigError::ServerName(name.clone()))?,
            ),
            None => None,
        };
        let verifier = GatewayVerifier::new(roots, expected.clone(), provider.clone());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(self.versions.rustls())
            .map_err(tls_error)?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_client_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
        // No SNI (the name is checked, not sent), no resumption (RFC 9190 5.7
        // makes it optional; every conversation is a full handshake).
        config.enable_sni = false;
        config.resumption = Resumption::disabled();
        // rustls needs a name for the connection; with SNI off and our own
        // verifier it is neither sent nor used when none is expected.
        let name = expected.unwrap_or(ServerName::DnsName(
            rustls::pki_types::DnsName::try_from("eap-tls.invalid")
                .map_err(|e| TlsConfigError::Tls(e.to_string()))?,
        ));
        Ok((config, name))
    }

    pub(crate) fn fragment(&self) -> usize {
        self.max_fragment.clamp(MIN_FRAGMENT, MAX_FRAGMENT)
    }
}

/// The server's EAP-TLS credential and the CAs client certificates must
/// chain to ([`crate::Server::with_tls`]).
///
/// A client certificate is required; it must also name the user (see
/// docs/eap.md, "EAP-TLS"). `Debug` never shows the key; the key is zeroized
/// on drop.
#[derive(Clone)]
pub struct TlsServerConfig {
    /// The server certificate chain, DER, end-entity certificate first.
    pub cert_chain: Vec<Vec<u8>>,
    /// The end-entity certificate's private key, PKCS#8 DER.
    pub key: Secret,
    /// CA certificates (DER) client certificates must chain to.
    pub client_cas: Vec<Vec<u8>>,
    /// Accepted TLS versions.
    pub versions: TlsVersions,
    /// Largest EAP packet sent, header included (default 1000; at least 64).
    pub max_fragment: usize,
}

impl Default for TlsServerConfig {
    fn default() -> Self {
        TlsServerConfig {
            cert_chain: Vec::new(),
            key: Secret::default(),
            client_cas: Vec::new(),
            versions: TlsVersions::All,
            max_fragment: DEFAULT_FRAGMENT,
        }
    }
}

impl fmt::Debug for TlsServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsServerConfig")
            .field("certificates", &self.cert_chain.len())
            .field("key", &self.key)
            .field("client_cas", &self.client_cas.len())
            .field("versions", &self.versions)
            .field("max_fragment", &self.max_fragment)
            .finish()
    }
}

impl TlsServerConfig {
    /// Checks the credential and the client CAs without starting TLS.
    pub fn check(&self) -> Result<(), TlsConfigError> {
        self.rustls("").map(|_| ())
    }

    /// The rustls server configuration for a conversation with `user`.
    pub(crate) fn rustls(&self, user: &str) -> Result<ServerConfig, TlsConfigError> {
        let provider = provider();
        let certified = certified_key(&self.cert_chain, &self.key)?;
        let roots = roots(&self.client_cas)?;
        let webpki = WebPkiClientVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|e| TlsConfigError::Tls(e.to_string()))?;
        let verifier = UserVerifier::new(webpki, user.to_string());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(self.versions.rustls())
            .map_err(tls_error)?
            .with_client_cert_verifier(Arc::new(verifier))
            .with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
        // Full handshakes only: no tickets, no session cache.
        config.send_tls13_tickets = 0;
        config.session_storage = Arc::new(NoServerSessionStorage {});
        Ok(config)
    }

    pub(crate) fn fragment(&self) -> usize {
        self.max_fragment.clamp(MIN_FRAGMENT, MAX_FRAGMENT)
    }
}

/// The only crypto provider: ring.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

fn tls_error(e: rustls::Error) -> TlsConfigError {
    TlsConfigError::Tls(e.to_string())
}

/// The chain and the key, checked against each other. The key is read from
/// the secret in place: no unwiped copy of the DER is made.
fn certified_key(chain: &[Vec<u8>], key: &Secret) -> Result<CertifiedKey, TlsConfigError> {
    if chain.is_empty() {
        return Err(TlsConfigError::NoCertificate);
    }
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.expose()));
    let signing =
        ring::sign::any_supported_type(&der).map_err(|e| TlsConfigError::Key(e.to_string()))?;
    let chain = chain
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    let certified = CertifiedKey::new(chain, signing);
    match certified.keys_match() {
        Ok(()) => Ok(certified),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            Err(TlsConfigError::KeyMismatch)
        }
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => Ok(certified),
        Err(e) => Err(TlsConfigError::Tls(e.to_string())),
    }
}

fn roots(cas: &[Vec<u8>]) -> Result<Arc<RootCertStore>, TlsConfigError> {
    if cas.is_empty() {
        return Err(TlsConfigError::NoCa);
    }
    let mut store = RootCertStore::empty();
    for (index, der) in cas.iter().enumerate() {
        store
            .add(CertificateDer::from(der.as_slice()))
            .map_err(|e| TlsConfigError::Ca {
                index,
                reason: e.to_string(),
            })?;
    }
    Ok(Arc::new(store))
}
