//! A small in-memory EAP user table for the Ibex responder run by `ibex-ike-driver`.
//!
//! It implements [`ibex_ike::eap::Directory`]: MSCHAPv2 gets the NT hash (MD4 of the
//! UTF-16LE password, computed here with the `md4` crate), GTC passwords and one-time
//! codes are compared with what the test configured. Push and FIDO2 are not offered
//! (the interop peers do not speak Ibex's experimental methods). No lockouts.
//!
//! Every failed verification is counted per user ([`UserTable::failures`]), and an
//! optional hook sees it (the driver prints `EVENT eap_directory_failure user=...`), so
//! tests can assert that a wrong password reached the directory. Secrets are never
//! printed: `Debug` shows user names and counts only.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use ibex_ike::eap::{
    Directory, FidoAssertion, FidoRequest, OtpCheck, PushState, PushTicket, Secret,
};
use md4::{Digest, Md4};

/// NT password hash (RFC 2759 8.3 `NtPasswordHash`): MD4 over the UTF-16LE password.
pub fn nt_hash(password: &str) -> [u8; 16] {
    let utf16: Vec<u8> = password
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let digest = Md4::digest(&utf16);
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest);
    out
}

/// One user of the table.
struct User {
    password: Secret,
    nt_hash: Secret,
    /// Accepted one-time codes (each valid once); empty = not enrolled.
    otp: Vec<String>,
    used_otp: HashSet<String>,
}

type FailureHook = Box<dyn Fn(&str, u32) + Send + Sync>;

/// The user database; build with [`UserTable::new`] and [`UserTable::add`].
pub struct UserTable {
    users: Mutex<HashMap<String, User>>,
    failures: Mutex<HashMap<String, u32>>,
    on_failure: Option<FailureHook>,
}

impl std::fmt::Debug for UserTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<String> = self.users.lock().unwrap().keys().cloned().collect();
        names.sort();
        f.debug_struct("UserTable")
            .field("users", &names)
            .field("failures", &*self.failures.lock().unwrap())
            .finish_non_exhaustive()
    }
}

impl Default for UserTable {
    fn default() -> Self {
        Self::new()
    }
}

impl UserTable {
    pub fn new() -> UserTable {
        UserTable {
            users: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            on_failure: None,
        }
    }

    /// Calls `hook(user, failures so far)` on every recorded failure (after counting it).
    pub fn with_failure_hook(mut self, hook: impl Fn(&str, u32) + Send + Sync + 'static) -> Self {
        self.on_failure = Some(Box::new(hook));
        self
    }

    /// Adds (or replaces) `user` with `password` and the one-time codes it accepts.
    pub fn add(&self, user: &str, password: &str, otp: &[String]) {
        self.users.lock().unwrap().insert(
            user.to_string(),
            User {
                password: Secret::from_slice(password.as_bytes()),
                nt_hash: Secret::from_slice(&nt_hash(password)),
                otp: otp.to_vec(),
                used_otp: HashSet::new(),
            },
        );
    }

    /// Failed verifications recorded for `user` so far.
    pub fn failures(&self, user: &str) -> u32 {
        self.failures
            .lock()
            .unwrap()
            .get(user)
            .copied()
            .unwrap_or(0)
    }
}

/// Constant-time-ish comparison (the test directory is no production code, but there
/// is no reason to teach bad habits).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Directory for UserTable {
    fn locked_out(&self, _user: &str) -> Option<Duration> {
        None
    }

    fn record_failure(&self, user: &str) {
        let n = {
            let mut f = self.failures.lock().unwrap();
            let n = f.entry(user.to_string()).or_default();
            *n += 1;
            *n
        };
        if let Some(h) = &self.on_failure {
            h(user, n);
        }
    }

    fn nt_hash(&self, user: &str) -> Option<Secret> {
        self.users
            .lock()
            .unwrap()
            .get(user)
            .map(|u| u.nt_hash.clone())
    }

    fn check_password(&self, user: &str, password: &[u8]) -> bool {
        self.users
            .lock()
            .unwrap()
            .get(user)
            .is_some_and(|u| same(u.password.expose(), password))
    }

    fn check_otp(&self, user: &str, code: &str) -> OtpCheck {
        let mut users = self.users.lock().unwrap();
        let Some(u) = users.get_mut(user) else {
            return OtpCheck::NotEnrolled;
        };
        if u.otp.is_empty() {
            return OtpCheck::NotEnrolled;
        }
        let code = code.trim();
        if !u.otp.iter().any(|c| same(c.as_bytes(), code.as_bytes())) {
            return OtpCheck::Wrong { skew_steps: None };
        }
        if !u.used_otp.insert(code.to_string()) {
            return OtpCheck::Replayed;
        }
        OtpCheck::Valid
    }

    fn start_push(&self, _user: &str) -> Result<PushTicket, String> {
        Err("push approval is not configured in the test directory".into())
    }

    fn push_state(&self, _ticket: &PushTicket) -> PushState {
        PushState::Expired
    }

    fn fido_start(&self, _user: &str, _challenge: &[u8]) -> Result<FidoRequest, String> {
        Err("FIDO2 is not configured in the test directory".into())
    }

    fn fido_finish(&self, _user: &str, _assertion: &FidoAssertion) -> Result<(), String> {
        Err("FIDO2 is not configured in the test directory".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn nt_hash_rfc2759_vector() {
        // RFC 2759 9.2: Password "clientPass" -> NtPasswordHash 44EBBA8D5312B8D611474411F56989AE
        let h = nt_hash("clientPass");
        let hex: String = h.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(hex, "44EBBA8D5312B8D611474411F56989AE");
    }

    #[test]
    fn table_checks_and_counts() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = Arc::clone(&seen);
        let t = UserTable::new()
            .with_failure_hook(move |u, n| s.lock().unwrap().push(format!("{u}:{n}")));
        t.add("carol", "pw", &["123456".into()]);
        t.add("dave", "pw2", &[]);
        assert_eq!(
            t.nt_hash("carol").unwrap().expose(),
            nt_hash("pw").as_slice()
        );
        assert!(t.nt_hash("nobody").is_none());
        assert!(t.check_password("carol", b"pw") && !t.check_password("carol", b"pW"));
        assert_eq!(t.check_otp("carol", "123456"), OtpCheck::Valid);
        assert_eq!(t.check_otp("carol", "123456"), OtpCheck::Replayed);
        assert_eq!(
            t.check_otp("carol", "654321"),
            OtpCheck::Wrong { skew_steps: None }
        );
        assert_eq!(t.check_otp("dave", "123456"), OtpCheck::NotEnrolled);
        t.record_failure("carol");
        assert_eq!((t.failures("carol"), t.failures("dave")), (1, 0));
        assert_eq!(*seen.lock().unwrap(), vec!["carol:1".to_string()]);
        let dbg = format!("{t:?}");
        assert!(dbg.contains("carol") && !dbg.contains("pw"), "{dbg}");
    }
}
