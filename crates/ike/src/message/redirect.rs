//! The data of the REDIRECT and REDIRECTED_FROM notifications (RFC 5685 8):
//! a gateway identity (IPv4, IPv6 or FQDN), and in REDIRECT the nonce it
//! answers when sent in IKE_SA_INIT.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::wire::{to_u8, Reader};
use super::{DecodeError, EncodeError};

/// A gateway identity (RFC 5685 8.1, Gateway Identity Type).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GatewayId {
    /// An IPv4 address (type 1).
    Ipv4(Ipv4Addr),
    /// An IPv6 address (type 2).
    Ipv6(Ipv6Addr),
    /// A fully qualified domain name (type 3), checked to be a host name.
    Fqdn(String),
}

impl GatewayId {
    /// The identity of a gateway reached at `addr`.
    pub fn from_ip(addr: IpAddr) -> GatewayId {
        match addr {
            IpAddr::V4(a) => GatewayId::Ipv4(a),
            IpAddr::V6(a) => GatewayId::Ipv6(a),
        }
    }

    /// The address, unless this is a name.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            GatewayId::Ipv4(a) => Some(IpAddr::V4(*a)),
            GatewayId::Ipv6(a) => Some(IpAddr::V6(*a)),
            GatewayId::Fqdn(_) => None,
        }
    }

    /// Parses an address or a host name (configuration files).
    pub fn parse(s: &str) -> Result<GatewayId, DecodeError> {
        match s.parse::<IpAddr>() {
            Ok(a) => Ok(GatewayId::from_ip(a)),
            Err(_) => check_fqdn(s.as_bytes()).map(|()| GatewayId::Fqdn(s.to_string())),
        }
    }

    /// Decodes type, length and identity; returns the bytes after it.
    fn read<'a>(r: &mut Reader<'a>) -> Result<GatewayId, DecodeError> {
        const WHAT: &str = "gateway identity";
        let kind = r.u8(WHAT)?;
        let len = usize::from(r.u8(WHAT)?);
        let id = r.take_declared(len, WHAT)?;
        match (kind, len) {
            (1, 4) => Ok(GatewayId::Ipv4(Ipv4Addr::from(
                <[u8; 4]>::try_from(id).map_err(|_| bad(len))?,
            ))),
            (2, 16) => Ok(GatewayId::Ipv6(Ipv6Addr::from(
                <[u8; 16]>::try_from(id).map_err(|_| bad(len))?,
            ))),
            (3, _) => {
                check_fqdn(id)?;
                // check_fqdn admits ASCII only.
                Ok(GatewayId::Fqdn(String::from_utf8_lossy(id).into_owned()))
            }
            (1 | 2, _) => Err(bad(len)),
            (other, _) => Err(DecodeError::InvalidValue {
                what: "gateway identity type",
                value: u32::from(other),
            }),
        }
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            GatewayId::Ipv4(a) => {
                out.extend_from_slice(&[1, 4]);
                out.extend_from_slice(&a.octets());
            }
            GatewayId::Ipv6(a) => {
                out.extend_from_slice(&[2, 16]);
                out.extend_from_slice(&a.octets());
            }
            GatewayId::Fqdn(n) => {
                out.push(3);
                out.push(to_u8(n.len(), "gateway name length")?);
                out.extend_from_slice(n.as_bytes());
            }
        }
        Ok(())
    }
}

fn bad(len: usize) -> DecodeError {
    DecodeError::BadLength {
        what: "gateway identity",
        len,
    }
}

/// A host name: 1..=253 bytes of letters, digits, '-' and '.', no empty label.
fn check_fqdn(name: &[u8]) -> Result<(), DecodeError> {
    let ok = (1..=253).contains(&name.len())
        && name
            .split(|b| *b == b'.')
            .all(|l| (1..=63).contains(&l.len()))
        && name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'.');
    if ok {
        Ok(())
    } else {
        Err(DecodeError::InvalidValue {
            what: "gateway name",
            value: name.len() as u32,
        })
    }
}

impl fmt::Display for GatewayId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GatewayId::Ipv4(a) => a.fmt(f),
            GatewayId::Ipv6(a) => a.fmt(f),
            GatewayId::Fqdn(n) => f.write_str(n),
        }
    }
}

/// REDIRECT data: the new gateway and, in IKE_SA_INIT, the initiator's nonce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// Where to go.
    pub gateway: GatewayId,
    /// The initiator's nonce (IKE_SA_INIT only; empty otherwise).
    pub nonce: Vec<u8>,
}

impl Redirect {
    /// Decodes REDIRECT notification data.
    pub fn decode(data: &[u8]) -> Result<Redirect, DecodeError> {
        let mut r = Reader::new(data);
        let gateway = GatewayId::read(&mut r)?;
        Ok(Redirect {
            gateway,
            nonce: r.rest().to_vec(),
        })
    }

    /// Encodes REDIRECT notification data.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        self.gateway.write(&mut out)?;
        out.extend_from_slice(&self.nonce);
        Ok(out)
    }
}

/// Decodes REDIRECTED_FROM data (a gateway identity and nothing else).
pub fn decode_redirected_from(data: &[u8]) -> Result<GatewayId, DecodeError> {
    let mut r = Reader::new(data);
    let id = GatewayId::read(&mut r)?;
    if !r.is_empty() {
        return Err(DecodeError::TrailingBytes { len: r.remaining() });
    }
    Ok(id)
}

/// Encodes REDIRECTED_FROM data.
pub fn encode_redirected_from(from: &GatewayId) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    from.write(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_each_identity_type() {
        for gw in [
            GatewayId::Ipv4(Ipv4Addr::new(192, 0, 2, 9)),
            GatewayId::Ipv6("2001:db8::9".parse().unwrap()),
            GatewayId::Fqdn("gw2.example.net".into()),
        ] {
            let r = Redirect {
                gateway: gw.clone(),
                nonce: vec![7; 32],
            };
            assert_eq!(Redirect::decode(&r.encode().unwrap()).unwrap(), r);
            let from = encode_redirected_from(&gw).unwrap();
            assert_eq!(decode_redirected_from(&from).unwrap(), gw);
        }
    }

    #[test]
    fn wire_layout_matches_rfc_5685() {
        let r = Redirect {
            gateway: GatewayId::Ipv4(Ipv4Addr::new(192, 0, 2, 9)),
            nonce: vec![0xaa, 0xbb],
        };
        assert_eq!(r.encode().unwrap(), [1, 4, 192, 0, 2, 9, 0xaa, 0xbb]);
    }

    #[test]
    fn hostile_data_is_an_error() {
        for data in [
            &[][..],
            &[1],
            &[1, 4, 1, 2, 3],
            &[1, 3, 1, 2, 3],
            &[2, 4, 1, 2, 3, 4],
            &[3, 0],
            &[3, 3, b'a', b' ', b'b'],
            &[3, 3, b'a', b'.', b'.'],
            &[3, 2, 0xc3, 0xa9],
            &[9, 1, 0],
            &[1, 255, 0],
        ] {
            assert!(Redirect::decode(data).is_err(), "{data:?}");
        }
        assert!(decode_redirected_from(&[1, 4, 1, 2, 3, 4, 5]).is_err());
        assert!(GatewayId::parse("not a name").is_err());
        assert_eq!(
            GatewayId::parse("gw.example").unwrap(),
            GatewayId::Fqdn("gw.example".into())
        );
    }
}
