//! Shared fixtures of the integration tests.

#![allow(dead_code)]

use std::path::PathBuf;

/// The repository's `profiles/` directory.
pub fn profiles_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../profiles")
}

/// The example profiles shipped in `profiles/`.
pub const EXAMPLES: &[&str] = &[
    "psk-full-tunnel.json",
    "certificate-split-tunnel.json",
    "eap-mfa.json",
    "eap-tls.json",
];

/// Text of one example profile.
pub fn example(name: &str) -> String {
    std::fs::read_to_string(profiles_dir().join(name)).expect("example profile readable")
}

/// A valid psk profile whose line numbers the error tests rely on.
pub const BASE: &str = r#"{
  "version": 1,
  "uuid": "3b6f0c1e-8d2a-4f57-9a61-2c4e7b9d0f13",
  "name": "Home lab",
  "gateway": {"host": "vpn.example.com", "port": 500},
  "local_id": "alice@example.com",
  "remote_id": "vpn.example.com",
  "auth": {"method": "psk"},
  "ike_proposals": [
    "aes256gcm16-prfsha384-ecp384",
    "aes256-sha256-modp3072"
  ],
  "routes": {"mode": "split", "prefixes": ["10.99.0.0/24", "192.168.7.0/24"]},
  "dpd_interval_s": 30
}
"#;
