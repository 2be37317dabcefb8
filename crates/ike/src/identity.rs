//! IKE identities (RFC 7296 3.5): parsing from text and matching.

use std::fmt;
use std::net::IpAddr;

use crate::message::{IdType, Identification};

/// An IKE identity as carried in IDi / IDr.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    /// The ID type.
    pub kind: IdType,
    /// The type-specific data.
    pub data: Vec<u8>,
}

impl Identity {
    /// Reads a textual identity the way strongSwan does: an IP address,
    /// `user@domain` (RFC 822), `@fqdn` or `fqdn` (FQDN).
    pub fn parse(s: &str) -> Identity {
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Identity::from(ip);
        }
        if let Some(fqdn) = s.strip_prefix('@') {
            return Identity {
                kind: IdType::FQDN,
                data: fqdn.as_bytes().to_vec(),
            };
        }
        if s.contains('@') {
            return Identity {
                kind: IdType::RFC822_ADDR,
                data: s.as_bytes().to_vec(),
            };
        }
        Identity {
            kind: IdType::FQDN,
            data: s.as_bytes().to_vec(),
        }
    }

    /// The ID payload for this identity.
    pub fn to_payload(&self) -> Identification {
        Identification {
            id_type: self.kind,
            data: self.data.clone(),
        }
    }

    /// The identity carried by an ID payload.
    pub fn from_payload(id: &Identification) -> Identity {
        Identity {
            kind: id.id_type,
            data: id.data.clone(),
        }
    }
}

impl From<IpAddr> for Identity {
    fn from(ip: IpAddr) -> Identity {
        match ip {
            IpAddr::V4(a) => Identity {
                kind: IdType::IPV4_ADDR,
                data: a.octets().to_vec(),
            },
            IpAddr::V6(a) => Identity {
                kind: IdType::IPV6_ADDR,
                data: a.octets().to_vec(),
            },
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            IdType::IPV4_ADDR if self.data.len() == 4 => {
                let b: [u8; 4] = self.data.as_slice().try_into().map_err(|_| fmt::Error)?;
                write!(f, "{}", std::net::Ipv4Addr::from(b))
            }
            IdType::IPV6_ADDR if self.data.len() == 16 => {
                let b: [u8; 16] = self.data.as_slice().try_into().map_err(|_| fmt::Error)?;
                write!(f, "{}", std::net::Ipv6Addr::from(b))
            }
            IdType::FQDN | IdType::RFC822_ADDR => {
                for c in String::from_utf8_lossy(&self.data).chars() {
                    // Peer-controlled text: never let control characters reach a log line.
                    if c.is_control() {
                        write!(f, "\\u{{{:x}}}", c as u32)?;
                    } else {
                        write!(f, "{c}")?;
                    }
                }
                Ok(())
            }
            _ => {
                write!(f, "{:?}:", self.kind)?;
                for b in &self.data {
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identity({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_forms() {
        assert_eq!(Identity::parse("192.0.2.1").kind, IdType::IPV4_ADDR);
        assert_eq!(Identity::parse("2001:db8::1").kind, IdType::IPV6_ADDR);
        assert_eq!(Identity::parse("carol@ibex.test").kind, IdType::RFC822_ADDR);
        let f = Identity::parse("@gw.ibex.test");
        assert_eq!(
            (f.kind, f.data.as_slice()),
            (IdType::FQDN, &b"gw.ibex.test"[..])
        );
        assert_eq!(Identity::parse("gw.ibex.test"), f);
        assert_eq!(Identity::parse("192.0.2.1").to_string(), "192.0.2.1");
    }

    #[test]
    fn display_escapes_control_characters() {
        let id = Identity {
            kind: IdType::FQDN,
            data: b"a\nb".to_vec(),
        };
        assert_eq!(id.to_string(), "a\\u{a}b");
    }
}
