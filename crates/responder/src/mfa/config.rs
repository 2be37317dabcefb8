//! Configuration of the second factors, as written in the gateway's JSON file.
//!
//! [`UserMfa`] is a user's `"eap"` object and [`MfaSettings`] the top-level
//! `"mfa"` object. Deserializing only checks the shape; [`UserMfa::validate`]
//! and [`MfaSettings::validate`] check the values and name the offending
//! field relative to the object (`totp.secret`, `push_api.token`, ...).
//!
//! ```json
//! "eap": {
//!   "password": { "nt_hash": "8846f7eaee8fb117ad06bdd830b7586c",
//!                 "pbkdf2": "pbkdf2-sha256$600000$<salt b64>$<hash b64>" },
//!   "totp": { "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "digits": 6 },
//!   "push": true,
//!   "fido2": "/etc/ibex/fido2/alice.json"
//! }
//! "mfa": {
//!   "push_api": { "listen": "127.0.0.1:8443", "token": "...", "timeout_secs": 60 },
//!   "lockout": { "max_failures": 5, "window_secs": 300, "lockout_secs": 300 },
//!   "fido2": { "rp_id": "vpn.example.test", "rp_name": "Example VPN" }
//! }
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use zeroize::Zeroizing;

use super::password::StoredPassword;
use super::totp::TotpVerifier;

/// A configuration value that is wrong, with the field it is in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct MfaConfigError {
    /// Dotted path of the field, relative to the object validated.
    pub field: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl MfaConfigError {
    /// An error in `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        MfaConfigError {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error with `prefix.` in front of its field (an empty field
    /// means the object itself: it becomes `prefix`).
    pub fn within(self, prefix: &str) -> Self {
        let field = if self.field.is_empty() {
            prefix.to_owned()
        } else {
            format!("{prefix}.{}", self.field)
        };
        MfaConfigError {
            field,
            message: self.message,
        }
    }
}

/// A string from the configuration that is a secret: zeroized on drop,
/// redacted in `Debug`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wraps `s`.
    pub fn new(s: String) -> Self {
        SecretString(Zeroizing::new(s))
    }

    /// The text; never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretString([redacted])")
    }
}

/// A user's second factors: the `"eap"` object of a user entry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserMfa {
    /// The account password, stored only as hashes.
    #[serde(default)]
    pub password: Option<PasswordConfig>,
    /// A TOTP (RFC 6238) authenticator.
    #[serde(default)]
    pub totp: Option<TotpConfig>,
    /// Whether the user may approve logins by push (needs `mfa.push_api`).
    #[serde(default)]
    pub push: bool,
    /// JSON file with the user's registered FIDO2 credentials (needs `mfa.fido2`).
    #[serde(default)]
    pub fido2: Option<PathBuf>,
}

/// Password hashes: at least one of the two.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordConfig {
    /// MD4 of the UTF-16LE password, 32 hex digits: the only form MSCHAPv2 can use.
    #[serde(default)]
    pub nt_hash: Option<SecretString>,
    /// `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`, for EAP-GTC passwords.
    #[serde(default)]
    pub pbkdf2: Option<SecretString>,
}

/// The HMAC of a TOTP authenticator.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum TotpAlgorithm {
    /// HMAC-SHA-1 (what nearly every authenticator app uses).
    #[default]
    #[serde(rename = "SHA1", alias = "sha1")]
    Sha1,
    /// HMAC-SHA-256.
    #[serde(rename = "SHA256", alias = "sha256")]
    Sha256,
    /// HMAC-SHA-512.
    #[serde(rename = "SHA512", alias = "sha512")]
    Sha512,
}

/// A TOTP authenticator (RFC 6238).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TotpConfig {
    /// The shared secret in base32 (RFC 4648), at least 128 bits.
    pub secret: SecretString,
    /// HMAC algorithm, default SHA1.
    #[serde(default)]
    pub algorithm: TotpAlgorithm,
    /// Code length: 6 (default) or 8.
    #[serde(default = "default_digits")]
    pub digits: u8,
    /// Time step in seconds, default 30.
    #[serde(default = "default_period")]
    pub period: u64,
    /// Steps accepted on either side of the current one, default 1.
    #[serde(default = "default_skew")]
    pub skew: u16,
}

fn default_digits() -> u8 {
    6
}

fn default_period() -> u64 {
    30
}

fn default_skew() -> u16 {
    1
}

/// Gateway-wide second-factor settings: the top-level `"mfa"` object.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MfaSettings {
    /// The push-approval web app; needed by users with `"push": true`.
    #[serde(default)]
    pub push_api: Option<PushApiConfig>,
    /// Failure lockout.
    #[serde(default)]
    pub lockout: LockoutConfig,
    /// The WebAuthn relying party; needed by users with `"fido2"`.
    #[serde(default)]
    pub fido2: Option<FidoConfig>,
    /// Seconds a half-built sign-in waits for the client's next EAP message
    /// (a person typing a code) before it is dropped; default 120, or the
    /// push timeout + 30 s when longer. At least 5.
    #[serde(default)]
    pub step_timeout_secs: Option<u64>,
}

/// Where the push-approval web app listens and who may use it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushApiConfig {
    /// `ip:port` to listen on.
    pub listen: SocketAddr,
    /// Bearer token every `/api` request must carry (required unless `listen` is loopback).
    #[serde(default)]
    pub token: Option<SecretString>,
    /// Seconds a push approval stays open, default 60.
    #[serde(default = "default_push_timeout")]
    pub timeout_secs: u64,
}

fn default_push_timeout() -> u64 {
    60
}

/// Lock a user out after too many failures.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockoutConfig {
    /// Failures within `window_secs` that lock the user out, default 5.
    #[serde(default = "default_max_failures")]
    pub max_failures: u32,
    /// Length of the sliding window in seconds, default 300.
    #[serde(default = "default_window")]
    pub window_secs: u64,
    /// How long the lockout lasts in seconds, default 300.
    #[serde(default = "default_window")]
    pub lockout_secs: u64,
}

fn default_max_failures() -> u32 {
    5
}

fn default_window() -> u64 {
    300
}

impl Default for LockoutConfig {
    fn default() -> Self {
        LockoutConfig {
            max_failures: default_max_failures(),
            window_secs: default_window(),
            lockout_secs: default_window(),
        }
    }
}

/// The WebAuthn relying party the gateway is.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FidoConfig {
    /// Relying-party ID: a DNS name; the origin is `https://` + this.
    pub rp_id: String,
    /// Name shown by authenticators at enrollment; defaults to `rp_id`.
    #[serde(default)]
    pub rp_name: Option<String>,
}

impl UserMfa {
    /// Checks every value (decoding hashes and secrets); at least one factor must be set.
    pub fn validate(&self) -> Result<(), MfaConfigError> {
        if self.password.is_none() && self.totp.is_none() && !self.push && self.fido2.is_none() {
            return Err(MfaConfigError::new(
                "eap",
                "no password, totp, push or fido2: the user could not authenticate with EAP",
            ));
        }
        if let Some(p) = &self.password {
            StoredPassword::from_config(p).map_err(|e| e.within("password"))?;
        }
        if let Some(t) = &self.totp {
            TotpVerifier::from_config(t).map_err(|e| e.within("totp"))?;
        }
        if let Some(path) = &self.fido2 {
            if path.as_os_str().is_empty() {
                return Err(MfaConfigError::new("fido2", "empty path"));
            }
        }
        Ok(())
    }

    /// Makes a relative `fido2` path relative to `base` (the configuration file's folder).
    pub fn resolve_paths(&mut self, base: &Path) {
        if let Some(p) = &mut self.fido2 {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }
}

impl MfaSettings {
    /// Checks every value.
    pub fn validate(&self) -> Result<(), MfaConfigError> {
        self.lockout.validate().map_err(|e| e.within("lockout"))?;
        if let Some(p) = &self.push_api {
            p.validate().map_err(|e| e.within("push_api"))?;
        }
        if let Some(f) = &self.fido2 {
            f.validate().map_err(|e| e.within("fido2"))?;
        }
        Ok(())
    }
}

impl LockoutConfig {
    fn validate(&self) -> Result<(), MfaConfigError> {
        if !(1..=1000).contains(&self.max_failures) {
            return Err(MfaConfigError::new(
                "max_failures",
                format!("{} is out of range 1..=1000", self.max_failures),
            ));
        }
        for (field, v) in [
            ("window_secs", self.window_secs),
            ("lockout_secs", self.lockout_secs),
        ] {
            if !(1..=7 * 86_400).contains(&v) {
                return Err(MfaConfigError::new(
                    field,
                    format!("{v} is out of range 1..=604800 seconds"),
                ));
            }
        }
        Ok(())
    }
}

impl PushApiConfig {
    fn validate(&self) -> Result<(), MfaConfigError> {
        if !(5..=600).contains(&self.timeout_secs) {
            return Err(MfaConfigError::new(
                "timeout_secs",
                format!("{} is out of range 5..=600 seconds", self.timeout_secs),
            ));
        }
        match &self.token {
            Some(t) => {
                let t = t.expose();
                if t.len() < 16 {
                    return Err(MfaConfigError::new(
                        "token",
                        "shorter than 16 characters; use a long random string",
                    ));
                }
                if !t.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(MfaConfigError::new(
                        "token",
                        "only visible ASCII characters (no spaces) can go in an HTTP header",
                    ));
                }
            }
            None if !self.listen.ip().is_loopback() => {
                return Err(MfaConfigError::new(
                    "token",
                    format!(
                        "required when listening on {} (not loopback): anyone who can reach \
                         the page could approve logins",
                        self.listen
                    ),
                ));
            }
            None => {}
        }
        Ok(())
    }
}

impl FidoConfig {
    fn validate(&self) -> Result<(), MfaConfigError> {
        if !is_dns_name(&self.rp_id) {
            return Err(MfaConfigError::new(
                "rp_id",
                format!(
                    "{:?} is not a DNS name (like vpn.example.com): WebAuthn needs a domain",
                    self.rp_id
                ),
            ));
        }
        if let Some(n) = &self.rp_name {
            if n.is_empty() || n.len() > 64 || n.chars().any(char::is_control) {
                return Err(MfaConfigError::new(
                    "rp_name",
                    "must be 1 to 64 printable characters",
                ));
            }
        }
        Ok(())
    }
}

/// Lowercase LDH labels separated by dots, at least two labels, not all-numeric.
pub(crate) fn is_dns_name(s: &str) -> bool {
    if s.is_empty() || s.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = s.split('.').collect();
    let ldh = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    labels.len() >= 2
        && labels.iter().all(ldh)
        && labels
            .last()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(json: &str) -> Result<UserMfa, serde_json::Error> {
        serde_json::from_str(json)
    }

    fn settings(json: &str) -> MfaSettings {
        serde_json::from_str(json).unwrap()
    }

    const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"; // 160 bits

    #[test]
    fn defaults_are_filled_in() {
        let u = user(&format!(
            r#"{{"totp": {{"secret": "{SECRET}"}}, "push": true}}"#
        ))
        .unwrap();
        let t = u.totp.as_ref().unwrap();
        assert_eq!(t.algorithm, TotpAlgorithm::Sha1);
        assert_eq!((t.digits, t.period, t.skew), (6, 30, 1));
        assert!(u.push);
        u.validate().unwrap();

        let s = settings(r#"{"push_api": {"listen": "127.0.0.1:8080"}}"#);
        assert_eq!(s.push_api.as_ref().unwrap().timeout_secs, 60);
        assert_eq!(s.lockout.max_failures, 5);
        assert_eq!(s.lockout.window_secs, 300);
        assert_eq!(s.lockout.lockout_secs, 300);
        s.validate().unwrap();
    }

    #[test]
    fn unknown_fields_are_refused() {
        let e = user(r#"{"passwd": {}}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `passwd`"), "{e}");
        let e = user(r#"{"password": {"sha1": "x"}}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `sha1`"), "{e}");
        let e = serde_json::from_str::<MfaSettings>(r#"{"lockout": {"max": 1}}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `max`"), "{e}");
        let e = user(&format!(
            r#"{{"totp": {{"secret": "{SECRET}", "algorithm": "MD5"}}}}"#
        ))
        .unwrap_err();
        assert!(e.to_string().contains("MD5"), "{e}");
    }

    #[test]
    fn empty_user_is_refused() {
        let e = user("{}").unwrap().validate().unwrap_err();
        assert_eq!(e.field, "eap");
    }

    #[test]
    fn bad_values_name_their_field() {
        let cases = [
            (r#"{"password": {"nt_hash": "xyz"}}"#, "password.nt_hash"),
            (
                r#"{"password": {"nt_hash": "8846f7eaee8fb117ad06bdd830b7586"}}"#,
                "password.nt_hash",
            ),
            (r#"{"password": {}}"#, "password"),
            (
                r#"{"password": {"pbkdf2": "sha1$1$a$b"}}"#,
                "password.pbkdf2",
            ),
            (r#"{"totp": {"secret": "not base32!"}}"#, "totp.secret"),
            (r#"{"totp": {"secret": "JBSWY3DPEHPK3PXP"}}"#, "totp.secret"),
            (
                &format!(r#"{{"totp": {{"secret": "{SECRET}", "digits": 7}}}}"#),
                "totp.digits",
            ),
            (
                &format!(r#"{{"totp": {{"secret": "{SECRET}", "period": 0}}}}"#),
                "totp.period",
            ),
            (
                &format!(r#"{{"totp": {{"secret": "{SECRET}", "skew": 11}}}}"#),
                "totp.skew",
            ),
            (r#"{"fido2": ""}"#, "fido2"),
        ];
        for (json, field) in cases {
            let e = user(json).unwrap().validate().unwrap_err();
            assert_eq!(e.field, field, "{json}: {e}");
        }
        // A 64-bit secret is refused with its size in the message.
        let e = user(r#"{"totp": {"secret": "JBSWY3DPEHPK3PXP"}}"#)
            .unwrap()
            .validate()
            .unwrap_err();
        assert!(e.message.contains("80 bits"), "{e}");
    }

    #[test]
    fn bad_settings_name_their_field() {
        let cases = [
            (
                r#"{"lockout": {"max_failures": 0}}"#,
                "lockout.max_failures",
            ),
            (r#"{"lockout": {"window_secs": 0}}"#, "lockout.window_secs"),
            (
                r#"{"push_api": {"listen": "127.0.0.1:1", "timeout_secs": 1}}"#,
                "push_api.timeout_secs",
            ),
            (
                r#"{"push_api": {"listen": "127.0.0.1:1", "token": "short"}}"#,
                "push_api.token",
            ),
            (
                r#"{"push_api": {"listen": "127.0.0.1:1", "token": "has a space in it here"}}"#,
                "push_api.token",
            ),
            (
                r#"{"push_api": {"listen": "0.0.0.0:8080"}}"#,
                "push_api.token",
            ),
            (r#"{"fido2": {"rp_id": "192.0.2.1"}}"#, "fido2.rp_id"),
            (r#"{"fido2": {"rp_id": "localhost"}}"#, "fido2.rp_id"),
            (r#"{"fido2": {"rp_id": "VPN.example.test"}}"#, "fido2.rp_id"),
            (
                r#"{"fido2": {"rp_id": "vpn.example.test", "rp_name": ""}}"#,
                "fido2.rp_name",
            ),
        ];
        for (json, field) in cases {
            let e = settings(json).validate().unwrap_err();
            assert_eq!(e.field, field, "{json}: {e}");
        }
        settings(r#"{"push_api": {"listen": "0.0.0.0:8080", "token": "0123456789abcdef"}}"#)
            .validate()
            .unwrap();
        settings(r#"{"fido2": {"rp_id": "vpn.example.test"}}"#)
            .validate()
            .unwrap();
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let u = user(&format!(
            r#"{{"password": {{"nt_hash": "8846f7eaee8fb117ad06bdd830b7586c"}},
                 "totp": {{"secret": "{SECRET}"}}}}"#
        ))
        .unwrap();
        let dbg = format!("{u:?}");
        assert!(!dbg.contains("8846f7"), "{dbg}");
        assert!(!dbg.contains(SECRET), "{dbg}");
    }

    #[test]
    fn relative_fido_paths_are_resolved() {
        let mut u = user(r#"{"fido2": "keys/alice.json"}"#).unwrap();
        u.resolve_paths(Path::new("/etc/ibex"));
        assert_eq!(u.fido2.unwrap(), Path::new("/etc/ibex/keys/alice.json"));
        let mut u = user(r#"{"fido2": "/abs/alice.json"}"#).unwrap();
        u.resolve_paths(Path::new("/etc/ibex"));
        assert_eq!(u.fido2.unwrap(), Path::new("/abs/alice.json"));
    }
}
