//! Certificate checks: the peer's check of the gateway, the server's check
//! of the client (chain, then the user rule).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore};
use rustls::{Error, SignatureScheme};
use tracing::info;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer as _;

use crate::text::sanitize;

/// The peer's check of the gateway certificate: it chains to the configured
/// CAs (serverAuth usage) and, when a name is expected, carries it.
#[derive(Debug)]
pub(crate) struct GatewayVerifier {
    roots: Arc<RootCertStore>,
    /// The name to check; the name rustls passes is a placeholder.
    expected: Option<ServerName<'static>>,
    provider: Arc<CryptoProvider>,
}

impl GatewayVerifier {
    pub(crate) fn new(
        roots: Arc<RootCertStore>,
        expected: Option<ServerName<'static>>,
        provider: Arc<CryptoProvider>,
    ) -> Self {
        GatewayVerifier {
            roots,
            expected,
            provider,
        }
    }
}

impl ServerCertVerifier for GatewayVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let cert = ParsedCertificate::try_from(end_entity)?;
        verify_server_cert_signed_by_trust_anchor(
            &cert,
            &self.roots,
            intermediates,
            now,
            self.provider.signature_verification_algorithms.all,
        )?;
        if let Some(name) = &self.expected {
            verify_server_name(&cert, name)?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The server's check of the client certificate: rustls's WebPKI verifier
/// (required, chains to the client CAs, clientAuth usage), then the user
/// rule. A certificate for someone else fails with
/// [`CertificateError::ApplicationVerificationFailure`] (alert
/// access_denied), which nothing else in rustls produces.
#[derive(Debug)]
pub(crate) struct UserVerifier {
    inner: Arc<dyn ClientCertVerifier>,
    user: String,
}

impl UserVerifier {
    pub(crate) fn new(inner: Arc<dyn ClientCertVerifier>, user: String) -> Self {
        UserVerifier { inner, user }
    }
}

impl ClientCertVerifier for UserVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        self.inner
            .verify_client_cert(end_entity, intermediates, now)?;
        let names = CertNames::parse(end_entity)
            .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))?;
        if names.names_user(&self.user) {
            return Ok(ClientCertVerified::assertion());
        }
        info!(user = %self.user, certificate = %names.describe(), "EAP-TLS: the client certificate is not for this user");
        Err(Error::InvalidCertificate(
            CertificateError::ApplicationVerificationFailure,
        ))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The names of a client certificate that can identify a user.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct CertNames {
    /// rfc822Name SANs.
    pub emails: Vec<String>,
    /// dNSName SANs.
    pub dns: Vec<String>,
    /// Subject commonNames (string-typed ones).
    pub common_names: Vec<String>,
}

impl CertNames {
    /// Reads the names from a DER certificate.
    pub(crate) fn parse(der: &[u8]) -> Result<CertNames, String> {
        let (_, cert) = X509Certificate::from_der(der).map_err(|e| e.to_string())?;
        let mut names = CertNames::default();
        if let Some(san) = cert
            .tbs_certificate
            .subject_alternative_name()
            .map_err(|e| e.to_string())?
        {
            for name in &san.value.general_names {
                match name {
                    GeneralName::RFC822Name(s) => names.emails.push((*s).to_string()),
                    GeneralName::DNSName(s) => names.dns.push((*s).to_string()),
                    _ => {}
                }
            }
        }
        names.common_names = cert
            .tbs_certificate
            .subject
            .iter_common_name()
            .filter_map(|cn| cn.as_str().ok())
            .map(str::to_string)
            .collect();
        Ok(names)
    }

    /// The user rule: an rfc822Name or dNSName SAN equal to `user` (ASCII
    /// case-insensitive), or a subject commonName equal to it (exactly).
    pub(crate) fn names_user(&self, user: &str) -> bool {
        !user.is_empty()
            && (self
                .emails
                .iter()
                .chain(&self.dns)
                .any(|n| n.eq_ignore_ascii_case(user))
                || self.common_names.iter().any(|n| n == user))
    }

    /// The names, for logs.
    pub(crate) fn describe(&self) -> String {
        let all: Vec<String> = self
            .emails
            .iter()
            .map(|e| format!("email:{e}"))
            .chain(self.dns.iter().map(|d| format!("dns:{d}")))
            .chain(self.common_names.iter().map(|c| format!("cn:{c}")))
            .collect();
        sanitize(all.join(", ").as_bytes()).unwrap_or_else(|| "(no names)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> CertNames {
        CertNames {
            emails: vec!["Alice@Example.com".into()],
            dns: vec!["laptop.example.com".into()],
            common_names: vec!["alice".into()],
        }
    }

    #[test]
    fn user_rule() {
        let n = names();
        assert!(n.names_user("alice@example.com"));
        assert!(n.names_user("LAPTOP.example.com"));
        assert!(n.names_user("alice"));
        assert!(!n.names_user("Alice"), "commonName is compared exactly");
        assert!(!n.names_user("bob"));
        assert!(!n.names_user(""));
        assert!(!CertNames::default().names_user(""));
        assert_eq!(
            n.describe(),
            "email:Alice@Example.com, dns:laptop.example.com, cn:alice"
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(CertNames::parse(b"").is_err());
        assert!(CertNames::parse(&[0x30, 0x82, 0xff, 0xff, 0]).is_err());
    }
}
