//! [`TunConfig`]: what TUN device to create.

use std::net::IpAddr;

use crate::error::{PlatformError, Result};

/// The TUN device the tunnel needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunConfig {
    /// Interface name (`ibex0`; `utunN` on macOS); `None` lets the OS choose.
    pub name: Option<String>,
    /// Addresses with prefix lengths (the virtual IPs from the gateway).
    pub addresses: Vec<(IpAddr, u8)>,
    /// MTU: the underlying path's MTU minus the ESP/UDP overhead.
    pub mtu: u16,
    /// Ask for TCP segmentation and checksum offloads (Linux: frames carry a
    /// `virtio_net_hdr`; see [`super::TunDevice::vnet_hdr`]). Ignored elsewhere.
    pub offload: bool,
}

impl Default for TunConfig {
    /// No name, no address, MTU 1400, offloads on.
    fn default() -> Self {
        TunConfig {
            name: None,
            addresses: Vec::new(),
            mtu: 1400,
            offload: true,
        }
    }
}

/// IPv4's practical minimum MTU (RFC 791 reassembly minimum).
const MIN_MTU_V4: u16 = 576;
/// IPv6's minimum MTU (RFC 8200); the kernel disables IPv6 on links below it.
const MIN_MTU_V6: u16 = 1280;
/// Linux's IFNAMSIZ minus the terminating NUL.
const MAX_NAME: usize = 15;

impl TunConfig {
    /// Whether to ask for offloads: yes, unless the environment variable
    /// `IBEX_TUN_OFFLOAD` is `0`, `off` or `false` (to rule them out when
    /// troubleshooting, or to measure without them).
    pub fn offload_wanted() -> bool {
        !matches!(
            std::env::var("IBEX_TUN_OFFLOAD").as_deref(),
            Ok("0" | "off" | "false")
        )
    }

    /// Check the name, addresses and MTU before touching the system.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(PlatformError::TunConfig(m));
        if let Some(name) = &self.name {
            let ok_chars = name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
            if name.is_empty() || name.len() > MAX_NAME || !ok_chars || name == "." || name == ".."
            {
                return bad(format!(
                    "interface name {name:?} must be 1-{MAX_NAME} characters of letters, digits, '-', '_' or '.'"
                ));
            }
        }
        for &(addr, len) in &self.addresses {
            let max = if addr.is_ipv6() { 128 } else { 32 };
            if len > max {
                return bad(format!("address {addr}/{len}: prefix longer than {max}"));
            }
            if addr.is_unspecified() || addr.is_multicast() {
                return bad(format!("address {addr} cannot be assigned to an interface"));
            }
        }
        let min = if self.addresses.iter().any(|(a, _)| a.is_ipv6()) {
            MIN_MTU_V6
        } else {
            MIN_MTU_V4
        };
        if self.mtu < min {
            return bad(format!(
                "MTU {} is below {min}, the minimum for the configured address families",
                self.mtu
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(name: Option<&str>, addrs: &[(&str, u8)], mtu: u16) -> TunConfig {
        TunConfig {
            name: name.map(String::from),
            addresses: addrs
                .iter()
                .map(|(a, l)| (a.parse().expect("ip"), *l))
                .collect(),
            mtu,
            offload: true,
        }
    }

    #[test]
    fn accepts_sane_configs() {
        assert!(cfg(Some("ibex0"), &[("10.99.0.2", 24)], 1400)
            .validate()
            .is_ok());
        assert!(cfg(None, &[("10.99.0.2", 32), ("fd00::2", 64)], 1280)
            .validate()
            .is_ok());
        assert!(TunConfig::default().validate().is_ok());
    }

    #[test]
    fn rejects_bad_configs() {
        assert!(cfg(Some("this-name-is-too-long"), &[], 1400)
            .validate()
            .is_err());
        assert!(cfg(Some("a/b"), &[], 1400).validate().is_err());
        assert!(cfg(Some(""), &[], 1400).validate().is_err());
        assert!(cfg(None, &[("10.99.0.2", 33)], 1400).validate().is_err());
        assert!(cfg(None, &[("0.0.0.0", 8)], 1400).validate().is_err());
        assert!(cfg(None, &[("fd00::2", 64)], 1279).validate().is_err());
        assert!(cfg(None, &[], 500).validate().is_err());
    }
}
