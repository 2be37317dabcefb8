//! What this module needs to know about one X.509 certificate, extracted
//! once with `x509-parser`: names (subject, SANs), the SubjectPublicKeyInfo,
//! the validity period and whether it is a CA.

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer as _;
use x509_parser::x509::X509Name;

use super::error::{hex, printable, AuthError};

/// Names and key of a parsed certificate. Strings are kept raw (for exact
/// matching); format them with [`printable`] before showing them.
#[derive(Clone, Debug)]
pub(super) struct CertInfo {
    /// Subject DN, DER (the SEQUENCE of RDNs).
    pub(super) subject_der: Vec<u8>,
    /// Subject DN as text.
    pub(super) subject: String,
    /// Issuer DN as text.
    pub(super) issuer: String,
    /// First subject commonName, if it is a string.
    pub(super) common_name: Option<String>,
    /// dNSName SANs, in order.
    pub(super) dns: Vec<String>,
    /// rfc822Name SANs, in order.
    pub(super) emails: Vec<String>,
    /// iPAddress SANs (4 or 16 bytes), in order.
    pub(super) ips: Vec<Vec<u8>>,
    /// SubjectPublicKeyInfo, DER (outer SEQUENCE included).
    pub(super) spki_der: Vec<u8>,
    /// notBefore, seconds since the UNIX epoch.
    pub(super) not_before: i64,
    /// notAfter, seconds since the UNIX epoch.
    pub(super) not_after: i64,
    /// basicConstraints cA, if the extension is present.
    pub(super) is_ca: Option<bool>,
}

impl CertInfo {
    /// Parses a DER certificate; `what` names it in errors
    /// ("peer certificate", "CA certificate 2", ...).
    pub(super) fn parse(der: &[u8], what: &str) -> Result<Self, AuthError> {
        let malformed = |detail: String| AuthError::MalformedCertificate {
            what: what.to_string(),
            detail,
        };
        if der.is_empty() {
            return Err(malformed("it is empty".into()));
        }
        let (rest, cert) = X509Certificate::from_der(der).map_err(|e| malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(malformed(format!(
                "{} trailing byte(s) after the certificate",
                rest.len()
            )));
        }
        let tbs = &cert.tbs_certificate;

        let mut dns = Vec::new();
        let mut emails = Vec::new();
        let mut ips = Vec::new();
        let san = tbs
            .subject_alternative_name()
            .map_err(|e| malformed(format!("subjectAltName: {e}")))?;
        if let Some(san) = san {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(s) => dns.push((*s).to_string()),
                    GeneralName::RFC822Name(s) => emails.push((*s).to_string()),
                    GeneralName::IPAddress(ip) if ip.len() == 4 || ip.len() == 16 => {
                        ips.push(ip.to_vec())
                    }
                    _ => {}
                }
            }
        }
        let is_ca = tbs
            .basic_constraints()
            .map_err(|e| malformed(format!("basicConstraints: {e}")))?
            .map(|bc| bc.value.ca);

        let common_name = tbs
            .subject
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_string);
        Ok(Self {
            subject_der: tbs.subject.as_raw().to_vec(),
            subject: tbs.subject.to_string(),
            issuer: tbs.issuer.to_string(),
            common_name,
            dns,
            emails,
            ips,
            spki_der: tbs.subject_pki.raw.to_vec(),
            not_before: tbs.validity.not_before.timestamp(),
            not_after: tbs.validity.not_after.timestamp(),
            is_ca,
        })
    }

    /// A short name for messages: the first DNS SAN, else the first email
    /// SAN, else the commonName, else the subject DN.
    pub(super) fn name(&self) -> String {
        let name = self
            .dns
            .first()
            .or(self.emails.first())
            .or(self.common_name.as_ref())
            .unwrap_or(&self.subject);
        if name.is_empty() {
            "(empty subject)".into()
        } else {
            printable(name)
        }
    }

    /// What identities the certificate carries, for mismatch messages:
    /// `SAN: DNS a, email b, IP c; subject CN=...`.
    pub(super) fn names_summary(&self) -> String {
        let mut sans: Vec<String> = Vec::new();
        sans.extend(self.dns.iter().map(|d| format!("DNS {}", printable(d))));
        sans.extend(
            self.emails
                .iter()
                .map(|e| format!("email {}", printable(e))),
        );
        sans.extend(self.ips.iter().map(|ip| format!("IP {}", format_ip(ip))));
        let shown = sans.len().min(8);
        let mut out = if sans.is_empty() {
            "no DNS/email/IP subjectAltName".to_string()
        } else {
            format!("SAN: {}", sans[..shown].join(", "))
        };
        if sans.len() > shown {
            out.push_str(&format!(" and {} more", sans.len() - shown));
        }
        out.push_str(&format!("; subject {}", printable(&self.subject)));
        out
    }
}

/// An IPv4 or IPv6 address in its usual text form (hex for other lengths).
pub(super) fn format_ip(ip: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(ip) {
        std::net::Ipv4Addr::from(v4).to_string()
    } else if let Ok(v6) = <[u8; 16]>::try_from(ip) {
        std::net::Ipv6Addr::from(v6).to_string()
    } else {
        hex(ip)
    }
}

/// A DER distinguished name as text (hex if it does not parse).
pub(super) fn format_dn(dn_der: &[u8]) -> String {
    match X509Name::from_der(dn_der) {
        Ok(([], name)) => printable(&name.to_string()),
        _ => format!("(unparseable DN {})", hex(dn_der)),
    }
}
