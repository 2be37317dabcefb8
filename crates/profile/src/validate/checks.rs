//! Checks of single values: UUIDs, names, hosts, identities, paths, PEM
//! text, CIDR prefixes, domain names.

use std::net::IpAddr;

use super::{error, Check, Problem};
use crate::path::JsonPath;

fn malformed(path: &JsonPath, value: &str, reason: impl Into<String>) -> Check {
    Err(error(
        path.clone(),
        Some(value),
        Problem::Malformed {
            reason: reason.into(),
        },
    ))
}

/// RFC 9562 text form: 8-4-4-4-12 hexadecimal digits.
pub(super) fn check_uuid(path: &JsonPath, s: &str) -> Check {
    let ok = s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    if ok {
        return Ok(());
    }
    malformed(
        path,
        s,
        "is not a UUID; use 8-4-4-4-12 hexadecimal digits such as \"6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f\" (`uuidgen` makes one)",
    )
}

/// A non-empty single-line string of at most `max` characters without
/// surrounding spaces.
pub(super) fn check_text(path: &JsonPath, s: &str, max: usize, hint: &'static str) -> Check {
    if s.trim().is_empty() {
        return Err(error(path.clone(), None, Problem::Empty { hint }));
    }
    if s.chars().any(char::is_control) {
        return malformed(
            path,
            s,
            "contains control characters (such as a line break); use a single line of text",
        );
    }
    if s.trim() != s {
        return malformed(path, s, "starts or ends with spaces; remove them");
    }
    if s.chars().count() > max {
        return malformed(path, s, format!("is longer than {max} characters"));
    }
    Ok(())
}

/// A DNS name: labels of letters, digits and hyphens, at most 253 bytes.
fn is_dns_name(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// A name rustls can check a server certificate for: an IP address or a
/// DNS name.
pub(super) fn is_tls_server_name(s: &str) -> bool {
    s.parse::<IpAddr>().is_ok() || (is_dns_name(s) && !s.ends_with('.'))
}

/// `gateway.host`: a usable unicast IP address or a DNS name.
pub(super) fn check_host(path: &JsonPath, s: &str) -> Check {
    if s.is_empty() {
        return Err(error(
            path.clone(),
            None,
            Problem::Empty {
                hint: "give the gateway's DNS name or IP address, e.g. \"vpn.example.com\"",
            },
        ));
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        if ip.is_unspecified() || ip.is_multicast() || ip == IpAddr::from([255, 255, 255, 255]) {
            return malformed(path, s, "is not a unicast address a gateway can have");
        }
        return Ok(());
    }
    if s.contains("://") {
        return malformed(
            path,
            s,
            "is a URL; give only the host name, e.g. \"vpn.example.com\"",
        );
    }
    if s.contains(':') {
        return malformed(
            path,
            s,
            "looks like host:port; put the host here and the port in gateway.port",
        );
    }
    if !is_dns_name(s) {
        return malformed(
            path,
            s,
            "is neither an IP address nor a DNS name (letters, digits, '-' and '.')",
        );
    }
    Ok(())
}

/// An IKE identity in strongSwan syntax.
pub(super) fn check_identity(path: &JsonPath, s: &str) -> Check {
    if s.is_empty() || s == "@" {
        return Err(error(
            path.clone(),
            None,
            Problem::Empty {
                hint: "give an IP address, user@domain or a DNS name",
            },
        ));
    }
    if s.chars().any(char::is_control) {
        return malformed(path, s, "contains control characters");
    }
    if s.len() > 255 {
        return malformed(path, s, "is longer than 255 bytes");
    }
    Ok(())
}

/// A path the agent will read: absolute or `~/`-relative, never key text.
pub(super) fn check_key_path(path: &JsonPath, s: &str) -> Check {
    if s.contains("PRIVATE KEY") || s.trim_start().starts_with("-----BEGIN") {
        return Err(error(path.clone(), None, Problem::InlinePrivateKey));
    }
    if s.trim().is_empty() {
        return Err(error(
            path.clone(),
            None,
            Problem::Empty {
                hint: "give the path of the PEM file",
            },
        ));
    }
    if s.chars().any(char::is_control) {
        return malformed(path, s, "contains control characters");
    }
    if !(s.starts_with('/') || s.starts_with("~/")) {
        return malformed(
            path,
            s,
            "is a relative path; give an absolute path or one starting with ~/",
        );
    }
    Ok(())
}

/// Inline certificate PEM: certificates only, no key.
pub(super) fn check_certificate_pem(path: &JsonPath, pem: &str) -> Check {
    if pem.contains("PRIVATE KEY") {
        return Err(error(path.clone(), None, Problem::InlinePrivateKey));
    }
    if !pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(error(
            path.clone(),
            None,
            Problem::Malformed {
                reason: "is PEM text without a CERTIFICATE block".into(),
            },
        ));
    }
    Ok(())
}

/// A CIDR prefix without host bits.
pub(super) fn check_prefix(path: &JsonPath, s: &str) -> Check {
    let Some((addr, len)) = s.split_once('/') else {
        return malformed(
            path,
            s,
            "has no prefix length; write e.g. \"10.99.0.0/24\", or /32 for a single host",
        );
    };
    let Ok(addr) = addr.parse::<IpAddr>() else {
        return malformed(path, s, format!("'{addr}' is not an IP address"));
    };
    let width = if addr.is_ipv4() { 32 } else { 128 };
    let len = match len.parse::<u8>() {
        Ok(l) if u32::from(l) <= width && !len.starts_with('+') => l,
        _ => {
            return malformed(
                path,
                s,
                format!("'{len}' is not a prefix length from 0 to {width}"),
            )
        }
    };
    let network = mask(addr, len);
    if network != addr {
        return malformed(
            path,
            s,
            format!("has host bits set; did you mean \"{network}/{len}\"?"),
        );
    }
    Ok(())
}

/// `addr` with all bits past the first `len` cleared.
fn mask(addr: IpAddr, len: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let m = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            IpAddr::V4((u32::from(a) & m).into())
        }
        IpAddr::V6(a) => {
            let m = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            IpAddr::V6((u128::from(a) & m).into())
        }
    }
}

/// A DNS search domain.
pub(super) fn check_domain(path: &JsonPath, s: &str) -> Check {
    if is_dns_name(s) {
        return Ok(());
    }
    malformed(
        path,
        s,
        "is not a domain name (letters, digits, '-' and '.')",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> JsonPath {
        JsonPath::root().key("x")
    }

    #[test]
    fn prefixes() {
        assert!(check_prefix(&p(), "10.99.0.0/24").is_ok());
        assert!(check_prefix(&p(), "2001:db8::/48").is_ok());
        assert!(check_prefix(&p(), "0.0.0.0/0").is_ok());
        let e = check_prefix(&p(), "10.99.0.1/24").unwrap_err();
        assert!(
            e.to_string().contains("did you mean \"10.99.0.0/24\""),
            "{e}"
        );
        assert!(check_prefix(&p(), "10.99.0.0/33").is_err());
        assert!(check_prefix(&p(), "10.99.0.0").is_err());
        assert!(check_prefix(&p(), "10.99.0.0/+8").is_err());
        assert!(check_prefix(&p(), "ten/8").is_err());
    }

    #[test]
    fn hosts_and_names() {
        assert!(check_host(&p(), "vpn.example.com").is_ok());
        assert!(check_host(&p(), "192.0.2.1").is_ok());
        assert!(check_host(&p(), "2001:db8::1").is_ok());
        assert!(check_host(&p(), "0.0.0.0").is_err());
        assert!(check_host(&p(), "vpn.example.com:4500").is_err());
        assert!(check_host(&p(), "https://vpn.example.com").is_err());
        assert!(check_host(&p(), "vpn_example").is_err());
        assert!(check_uuid(&p(), "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f").is_ok());
        assert!(check_uuid(&p(), "6f1c2d3e4b5a4c7d8e9f0a1b2c3d4e5f").is_err());
        assert!(check_text(&p(), "Work", 10, "").is_ok());
        assert!(check_text(&p(), " Work", 10, "").is_err());
        assert!(check_text(&p(), "a\nb", 10, "").is_err());
        assert!(check_key_path(&p(), "~/.config/ibex/key.pem").is_ok());
        assert!(check_key_path(&p(), "key.pem").is_err());
    }
}
