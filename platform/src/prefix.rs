//! [`IpPrefix`]: an IPv4 or IPv6 network in CIDR form, host bits cleared.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::PlatformError;

/// A network prefix such as `10.99.0.0/16` or `::/1`.
///
/// The address always has its host bits cleared (the kernel rejects routes
/// whose destination has bits set past the prefix length), so
/// `IpPrefix::new("10.99.1.7".parse()?, 16)` is `10.99.0.0/16`.
/// Serialized as its `Display` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpPrefix {
    addr: IpAddr,
    len: u8,
}

impl IpPrefix {
    /// The network of `addr` with `len` leading bits; fails when `len` is longer
    /// than the address (32 for IPv4, 128 for IPv6).
    pub fn new(addr: IpAddr, len: u8) -> Result<IpPrefix, PlatformError> {
        let max = max_len(addr);
        if len > max {
            return Err(PlatformError::InvalidPrefix {
                input: format!("{addr}/{len}"),
                reason: "prefix length longer than the address",
            });
        }
        Ok(IpPrefix {
            addr: mask(addr, len),
            len,
        })
    }

    /// The single-address prefix of `addr` (`/32` or `/128`).
    pub fn host(addr: IpAddr) -> IpPrefix {
        IpPrefix {
            addr,
            len: max_len(addr),
        }
    }

    /// The enclosing prefix of length `len` (unchanged when `len` is not shorter).
    pub fn truncate(self, len: u8) -> IpPrefix {
        let len = len.min(self.len);
        IpPrefix {
            addr: mask(self.addr, len),
            len,
        }
    }

    /// The network address (host bits zero).
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length in bits.
    pub fn len(&self) -> u8 {
        self.len
    }

    /// True for `/0` (the whole address family).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True for an IPv6 prefix.
    pub fn is_ipv6(&self) -> bool {
        self.addr.is_ipv6()
    }

    /// Does this prefix contain `addr`?
    pub fn contains(&self, addr: IpAddr) -> bool {
        addr.is_ipv6() == self.addr.is_ipv6() && mask(addr, self.len) == self.addr
    }
}

fn max_len(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

fn mask(addr: IpAddr, len: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let m = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(bits & m))
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let m = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(bits & m))
        }
    }
}

impl fmt::Display for IpPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl FromStr for IpPrefix {
    type Err = PlatformError;

    /// Parses `ADDR/LEN`, or a bare address as a host prefix.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason| PlatformError::InvalidPrefix {
            input: s.to_string(),
            reason,
        };
        match s.split_once('/') {
            Some((a, l)) => {
                let addr: IpAddr = a.trim().parse().map_err(|_| bad("not an IP address"))?;
                let len: u8 = l
                    .trim()
                    .parse()
                    .map_err(|_| bad("prefix length is not a number"))?;
                IpPrefix::new(addr, len)
            }
            None => {
                let addr: IpAddr = s.trim().parse().map_err(|_| bad("not an IP address"))?;
                Ok(IpPrefix::host(addr))
            }
        }
    }
}

impl Serialize for IpPrefix {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IpPrefix {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> IpPrefix {
        s.parse().expect("valid prefix")
    }

    #[test]
    fn masks_host_bits() {
        assert_eq!(p("10.99.1.7/16").to_string(), "10.99.0.0/16");
        assert_eq!(p("203.0.113.9/0").to_string(), "0.0.0.0/0");
        assert_eq!(p("8000::1/1").to_string(), "8000::/1");
        assert_eq!(p("192.0.2.1").to_string(), "192.0.2.1/32");
        assert_eq!(p("::1").to_string(), "::1/128");
    }

    #[test]
    fn rejects_bad_input() {
        assert!("10.0.0.0/33".parse::<IpPrefix>().is_err());
        assert!("::/129".parse::<IpPrefix>().is_err());
        assert!("foo/8".parse::<IpPrefix>().is_err());
        assert!("10.0.0.0/x".parse::<IpPrefix>().is_err());
    }

    #[test]
    fn contains() {
        let a: IpAddr = "203.0.113.1".parse().expect("address");
        assert!(p("128.0.0.0/1").contains(a));
        assert!(!p("0.0.0.0/1").contains(a));
        assert!(!p("::/1").contains(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
    }

    #[test]
    fn serde_round_trip() {
        let v = vec![p("10.99.0.0/16"), p("::/1")];
        let json = serde_json::to_string(&v).expect("serialize");
        assert_eq!(json, r#"["10.99.0.0/16","::/1"]"#);
        let back: Vec<IpPrefix> = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, v);
    }
}
