//! IKE identities (ID payload type + data) versus certificates: which
//! identity a certificate offers by default, and whether it carries the one a
//! peer claimed.
//!
//! Matching is exact, per RFC 4945 §3.1 as commonly deployed: FQDN against a
//! dNSName SAN (ASCII case-insensitive, no wildcards), RFC822_ADDR against an
//! rfc822Name SAN (ASCII case-insensitive), IPV4_ADDR / IPV6_ADDR against an
//! iPAddress SAN, DER_ASN1_DN against the subject DN byte for byte. The
//! subject commonName is never used as a fallback.

use crate::message::IdType;

use super::cert_info::{format_dn, format_ip, CertInfo};
use super::error::{printable_bytes, AuthError};

/// The identity a certificate carries best: first DNS SAN (FQDN), else first
/// email SAN (RFC822_ADDR), else first IP SAN, else the subject DN
/// (DER_ASN1_DN).
pub(super) fn default_identity(info: &CertInfo) -> (IdType, Vec<u8>) {
    if let Some(dns) = info.dns.first() {
        (IdType::FQDN, dns.as_bytes().to_vec())
    } else if let Some(email) = info.emails.first() {
        (IdType::RFC822_ADDR, email.as_bytes().to_vec())
    } else if let Some(ip) = info.ips.first() {
        let id_type = if ip.len() == 4 {
            IdType::IPV4_ADDR
        } else {
            IdType::IPV6_ADDR
        };
        (id_type, ip.clone())
    } else {
        (IdType::DER_ASN1_DN, info.subject_der.clone())
    }
}

/// An identity as text for messages.
pub(super) fn describe(id_type: IdType, data: &[u8]) -> String {
    match id_type {
        IdType::IPV4_ADDR | IdType::IPV6_ADDR => format_ip(data),
        IdType::DER_ASN1_DN => format_dn(data),
        _ => printable_bytes(data),
    }
}

/// Succeeds if the certificate carries the identity `(id_type, data)`.
pub(super) fn check(info: &CertInfo, id_type: IdType, data: &[u8]) -> Result<(), AuthError> {
    if data.is_empty() {
        return Err(AuthError::MalformedIdentity(format!(
            "empty {} identity",
            type_name(id_type)
        )));
    }
    let found = match id_type {
        IdType::FQDN => info
            .dns
            .iter()
            .any(|d| d.as_bytes().eq_ignore_ascii_case(data)),
        IdType::RFC822_ADDR => info
            .emails
            .iter()
            .any(|e| e.as_bytes().eq_ignore_ascii_case(data)),
        IdType::IPV4_ADDR | IdType::IPV6_ADDR => {
            let want = if id_type == IdType::IPV4_ADDR { 4 } else { 16 };
            if data.len() != want {
                return Err(AuthError::MalformedIdentity(format!(
                    "{} identity is {} bytes, expected {want}",
                    type_name(id_type),
                    data.len()
                )));
            }
            info.ips.iter().any(|ip| ip.as_slice() == data)
        }
        IdType::DER_ASN1_DN => info.subject_der == data,
        other => return Err(AuthError::UnsupportedIdentityType(other.0)),
    };
    if found {
        Ok(())
    } else {
        Err(AuthError::IdentityMismatch {
            cert: info.name(),
            identity: describe(id_type, data),
            names: info.names_summary(),
        })
    }
}

fn type_name(id_type: IdType) -> String {
    id_type
        .name()
        .map_or_else(|| format!("type {}", id_type.0), str::to_string)
}
