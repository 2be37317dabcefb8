//! [`UserDirectory`]: the gateway's implementation of [`ibex_eap::Directory`].
//!
//! The verification methods never count failures themselves: the EAP server
//! reports each failed attempt once through [`Directory::record_failure`],
//! for unknown user names too, which are locked out like real ones so that
//! lockouts do not reveal which names exist (they are tracked in a separate,
//! bounded table: [`UNKNOWN_USERS_TRACKED`]).
//! While a user is locked out every verification fails without looking at
//! what was sent, and successes never shorten a lockout or clear the count
//! (see [`super::lockout`]).

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use ibex_eap::{Directory, FidoAssertion, FidoRequest, OtpCheck, PushState, PushTicket, Secret};
use tracing::{debug, info, warn};

use super::config::{MfaConfigError, MfaSettings, UserMfa};
use super::fido::{FidoError, FidoStore};
use super::lockout::Lockout;
use super::password::StoredPassword;
use super::push::PushStore;
use super::totp::{TotpOutcome, TotpVerifier};
use super::{system_clock, unix_secs, Clock};

/// Unknown user names whose failures are tracked at once.
pub const UNKNOWN_USERS_TRACKED: usize = 16_384;

/// Why the directory could not be built from the configuration.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// A gateway-wide setting is wrong (field relative to `mfa`).
    #[error("mfa.{0}")]
    Settings(MfaConfigError),
    /// A user's setting is wrong (field relative to the user's `eap`).
    #[error("user {user:?}: eap.{error}")]
    User {
        /// The user.
        user: String,
        /// What is wrong.
        error: MfaConfigError,
    },
    /// Two users have the same name.
    #[error("user {0:?} is listed twice")]
    Duplicate(String),
    /// The FIDO2 relying party could not be set up.
    #[error("mfa.fido2: {0}")]
    RelyingParty(FidoError),
    /// A user's FIDO2 credentials file could not be used.
    #[error("user {user:?}: eap.fido2: {source}")]
    Fido {
        /// The user.
        user: String,
        /// Why.
        source: FidoError,
    },
}

/// The second factors a user has (to choose the EAP methods to run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Enrolled {
    /// An NT hash (EAP-MSCHAPv2).
    pub nt_hash: bool,
    /// A password checkable in the clear (EAP-GTC).
    pub password: bool,
    /// A TOTP authenticator.
    pub totp: bool,
    /// Push approval.
    pub push: bool,
    /// FIDO2 credentials.
    pub fido2: bool,
}

#[derive(Debug)]
struct UserEntry {
    password: Option<StoredPassword>,
    totp: Option<TotpVerifier>,
    push: bool,
    fido2: bool,
}

/// The users and their second factors, with lockout, TOTP replay state,
/// push approvals and FIDO2 challenges.
pub struct UserDirectory {
    users: HashMap<String, UserEntry>,
    lockout: Lockout,
    unknown_lockout: Lockout,
    push: Option<PushStore>,
    fido: Option<FidoStore>,
    clock: Clock,
}

impl std::fmt::Debug for UserDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserDirectory")
            .field("users", &self.users.len())
            .field("push", &self.push.is_some())
            .field("fido", &self.fido)
            .finish_non_exhaustive()
    }
}

impl UserDirectory {
    /// Builds the directory on the system clock.
    pub fn new(
        settings: &MfaSettings,
        users: Vec<(String, UserMfa)>,
    ) -> Result<Self, DirectoryError> {
        Self::with_clock(settings, users, system_clock())
    }

    /// Builds the directory on `clock` (tests move it by hand).
    pub fn with_clock(
        settings: &MfaSettings,
        users: Vec<(String, UserMfa)>,
        clock: Clock,
    ) -> Result<Self, DirectoryError> {
        settings.validate().map_err(DirectoryError::Settings)?;
        let push = settings
            .push_api
            .as_ref()
            .map(|p| PushStore::new(Duration::from_secs(p.timeout_secs), clock.clone()));
        let fido = settings
            .fido2
            .as_ref()
            .map(FidoStore::new)
            .transpose()
            .map_err(DirectoryError::RelyingParty)?;
        let mut entries = HashMap::new();
        for (name, mfa) in users {
            let user_err = |error: MfaConfigError| DirectoryError::User {
                user: name.clone(),
                error,
            };
            if name.is_empty() {
                return Err(user_err(MfaConfigError::new("eap", "the user has no name")));
            }
            if entries.contains_key(&name) {
                return Err(DirectoryError::Duplicate(name));
            }
            mfa.validate().map_err(user_err)?;
            if mfa.push && push.is_none() {
                return Err(user_err(MfaConfigError::new(
                    "push",
                    "needs mfa.push_api: nobody could approve the login",
                )));
            }
            if let Some(path) = &mfa.fido2 {
                let store = fido.as_ref().ok_or_else(|| {
                    user_err(MfaConfigError::new(
                        "fido2",
                        "needs mfa.fido2 (the relying party ID)",
                    ))
                })?;
                store
                    .load_user(&name, path)
                    .map_err(|source| DirectoryError::Fido {
                        user: name.clone(),
                        source,
                    })?;
            }
            let password = mfa
                .password
                .as_ref()
                .map(StoredPassword::from_config)
                .transpose()
                .map_err(|e| user_err(e.within("password")))?;
            let totp = mfa
                .totp
                .as_ref()
                .map(TotpVerifier::from_config)
                .transpose()
                .map_err(|e| user_err(e.within("totp")))?;
            entries.insert(
                name,
                UserEntry {
                    password,
                    totp,
                    push: mfa.push,
                    fido2: mfa.fido2.is_some(),
                },
            );
        }
        Ok(UserDirectory {
            users: entries,
            lockout: Lockout::new(&settings.lockout),
            unknown_lockout: Lockout::with_capacity(&settings.lockout, UNKNOWN_USERS_TRACKED),
            push,
            fido,
            clock,
        })
    }

    /// The push approvals (to serve with [`super::http`]), if configured.
    pub fn push_store(&self) -> Option<&PushStore> {
        self.push.as_ref()
    }

    /// The second factors of `user`, or `None` for an unknown user.
    pub fn enrolled(&self, user: &str) -> Option<Enrolled> {
        self.users.get(user).map(|u| Enrolled {
            nt_hash: u.password.as_ref().is_some_and(|p| p.nt_hash().is_some()),
            password: u.password.is_some(),
            totp: u.totp.is_some(),
            push: u.push,
            fido2: u.fido2,
        })
    }

    fn now(&self) -> SystemTime {
        (self.clock)()
    }

    /// The failure table `user` belongs in.
    fn lockout_of(&self, user: &str) -> &Lockout {
        if self.users.contains_key(user) {
            &self.lockout
        } else {
            &self.unknown_lockout
        }
    }

    fn lockout_left(&self, user: &str, now: SystemTime) -> Option<Duration> {
        self.lockout_of(user).locked_out(user, now)
    }

    fn locked_message(d: Duration) -> String {
        format!("locked out for another {} s", d.as_secs().max(1))
    }
}

impl Directory for UserDirectory {
    fn locked_out(&self, user: &str) -> Option<Duration> {
        self.lockout_left(user, self.now())
    }

    fn record_failure(&self, user: &str) {
        let known = self.users.contains_key(user);
        if let Some(d) = self.lockout_of(user).record_failure(user, self.now()) {
            if known {
                warn!(
                    user,
                    seconds = d.as_secs(),
                    "too many failures: user locked out"
                );
            } else {
                // The name came from the network and matches no account: not logged.
                warn!(
                    seconds = d.as_secs(),
                    "too many failures: unknown user name locked out"
                );
            }
        }
    }

    fn nt_hash(&self, user: &str) -> Option<Secret> {
        self.users.get(user)?.password.as_ref()?.nt_hash().cloned()
    }

    fn check_password(&self, user: &str, password: &[u8]) -> bool {
        if self.locked_out(user).is_some() {
            return false;
        }
        let ok = self
            .users
            .get(user)
            .and_then(|u| u.password.as_ref())
            .is_some_and(|p| p.verify(password));
        debug!(user, ok, "password checked");
        ok
    }

    fn check_otp(&self, user: &str, code: &str) -> OtpCheck {
        let now = self.now();
        if let Some(d) = self.lockout_left(user, now) {
            return OtpCheck::LockedOut(d);
        }
        let Some(totp) = self.users.get(user).and_then(|u| u.totp.as_ref()) else {
            return OtpCheck::NotEnrolled;
        };
        match totp.verify(code, unix_secs(now)) {
            TotpOutcome::Valid { .. } => {
                info!(user, "one-time code accepted");
                OtpCheck::Valid
            }
            TotpOutcome::Replayed => {
                warn!(user, "one-time code replayed");
                OtpCheck::Replayed
            }
            TotpOutcome::Wrong { skew_steps } => {
                if let Some(steps) = skew_steps {
                    info!(
                        user,
                        steps, "wrong one-time code; the peer's clock seems off"
                    );
                }
                OtpCheck::Wrong { skew_steps }
            }
        }
    }

    fn start_push(&self, user: &str) -> Result<PushTicket, String> {
        if let Some(d) = self.locked_out(user) {
            return Err(Self::locked_message(d));
        }
        let store = self
            .push
            .as_ref()
            .filter(|_| self.users.get(user).is_some_and(|u| u.push))
            .ok_or_else(|| "push approval is not enabled for this user".to_owned())?;
        store.create(user).map_err(|e| e.to_string())
    }

    fn push_state(&self, ticket: &PushTicket) -> PushState {
        self.push
            .as_ref()
            .and_then(|s| s.state(&ticket.id))
            .unwrap_or(PushState::Expired)
    }

    fn fido_start(&self, user: &str, challenge: &[u8]) -> Result<FidoRequest, String> {
        let now = self.now();
        if let Some(d) = self.lockout_left(user, now) {
            return Err(Self::locked_message(d));
        }
        let store = self
            .fido
            .as_ref()
            .filter(|_| self.users.get(user).is_some_and(|u| u.fido2))
            .ok_or_else(|| "FIDO2 is not enabled for this user".to_owned())?;
        store.start(user, challenge, now).map_err(|e| e.to_string())
    }

    fn fido_finish(&self, user: &str, assertion: &FidoAssertion) -> Result<(), String> {
        let now = self.now();
        if let Some(d) = self.lockout_left(user, now) {
            return Err(Self::locked_message(d));
        }
        let store = self
            .fido
            .as_ref()
            .filter(|_| self.users.get(user).is_some_and(|u| u.fido2))
            .ok_or_else(|| "FIDO2 is not enabled for this user".to_owned())?;
        store.finish(user, assertion, now).map_err(|e| {
            warn!(user, error = %e, "FIDO2 assertion refused");
            e.to_string()
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::mfa::fido::{enroll, soft_token_assertion};
    use crate::mfa::manual_clock;
    use crate::mfa::password::{nt_hash, Pbkdf2Hash, MIN_PBKDF2_ITERATIONS};

    const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // "12345678901234567890"
    const T0: u64 = 1_700_000_000;

    fn settings(extra: &str) -> MfaSettings {
        serde_json::from_str(&format!(
            r#"{{"push_api": {{"listen": "127.0.0.1:0", "timeout_secs": 60}},
                 "lockout": {{"max_failures": 3, "window_secs": 60, "lockout_secs": 120}}
                 {extra}}}"#
        ))
        .unwrap()
    }

    fn user(json: &str) -> UserMfa {
        serde_json::from_str(json).unwrap()
    }

    fn alice() -> UserMfa {
        let pbkdf2 = Pbkdf2Hash::create(b"hunter2", MIN_PBKDF2_ITERATIONS)
            .unwrap()
            .encode();
        let nt = hex::encode(nt_hash("hunter2").expose());
        user(&format!(
            r#"{{"password": {{"nt_hash": "{nt}", "pbkdf2": "{pbkdf2}"}},
                 "totp": {{"secret": "{SECRET}"}}, "push": true}}"#
        ))
    }

    fn directory() -> (UserDirectory, Arc<Mutex<SystemTime>>) {
        let (clock, now) = manual_clock(SystemTime::UNIX_EPOCH + Duration::from_secs(T0));
        let users = vec![
            ("alice".to_owned(), alice()),
            (
                "bob".to_owned(),
                user(r#"{"password": {"nt_hash": "8846f7eaee8fb117ad06bdd830b7586c"}}"#),
            ),
        ];
        let d = UserDirectory::with_clock(&settings(""), users, clock).unwrap();
        (d, now)
    }

    fn advance(now: &Mutex<SystemTime>, secs: u64) {
        *now.lock().unwrap() += Duration::from_secs(secs);
    }

    fn unix(now: &Mutex<SystemTime>) -> u64 {
        unix_secs(*now.lock().unwrap())
    }

    fn code(now: &Mutex<SystemTime>, offset_steps: i64) -> String {
        let v = TotpVerifier::from_config(&alice().totp.unwrap()).unwrap();
        v.code_at((unix(now) as i64 + offset_steps * 30) as u64)
    }

    #[test]
    fn locked_out_after_n_failures_and_not_cleared_by_success() {
        let (d, now) = directory();
        assert_eq!(d.locked_out("alice"), None);
        d.record_failure("alice");
        d.record_failure("alice");
        assert_eq!(d.locked_out("alice"), None);
        assert!(d.check_password("alice", b"hunter2"));
        d.record_failure("alice");
        assert_eq!(d.locked_out("alice"), Some(Duration::from_secs(120)));
        // Right answers are refused while locked out and do not end it.
        assert!(!d.check_password("alice", b"hunter2"));
        assert_eq!(
            d.check_otp("alice", &code(&now, 0)),
            OtpCheck::LockedOut(Duration::from_secs(120))
        );
        assert!(d.start_push("alice").unwrap_err().contains("locked out"));
        assert!(d
            .fido_start("alice", &[0; 32])
            .unwrap_err()
            .contains("locked out"));
        advance(&now, 60);
        assert_eq!(d.locked_out("alice"), Some(Duration::from_secs(60)));
        advance(&now, 60);
        assert_eq!(d.locked_out("alice"), None);
        assert!(d.check_password("alice", b"hunter2"));
        // Other users were never affected.
        assert_eq!(d.locked_out("bob"), None);
    }

    #[test]
    fn unknown_users_lock_out_like_real_ones() {
        let (d, _) = directory();
        for _ in 0..3 {
            assert_eq!(d.locked_out("nobody"), None);
            d.record_failure("nobody");
        }
        assert_eq!(d.locked_out("nobody"), Some(Duration::from_secs(120)));
        assert_eq!(
            d.check_otp("nobody", "123456"),
            OtpCheck::LockedOut(Duration::from_secs(120))
        );
        // Kept apart from the real users' table.
        assert_eq!(d.lockout.tracked(), 0);
        assert_eq!(d.unknown_lockout.tracked(), 1);
        assert_eq!(d.locked_out("alice"), None);
    }

    #[test]
    fn nt_hash_lookup() {
        let (d, _) = directory();
        assert_eq!(
            d.nt_hash("alice").unwrap().expose(),
            nt_hash("hunter2").expose()
        );
        assert_eq!(
            hex::encode(d.nt_hash("bob").unwrap().expose()),
            "8846f7eaee8fb117ad06bdd830b7586c"
        );
        assert!(d.nt_hash("nobody").is_none());
    }

    #[test]
    fn check_password_variants() {
        let (d, _) = directory();
        assert!(d.check_password("alice", b"hunter2"));
        assert!(!d.check_password("alice", b"hunter3"));
        assert!(!d.check_password("alice", b""));
        // Bob has only an NT hash: checked against it.
        assert!(d.check_password("bob", b"password"));
        assert!(!d.check_password("bob", b"hunter2"));
        assert!(!d.check_password("nobody", b"hunter2"));
    }

    #[test]
    fn check_otp_valid_replay_skew_enrollment() {
        let (d, now) = directory();
        let c = code(&now, 0);
        assert_eq!(d.check_otp("alice", &c), OtpCheck::Valid);
        assert_eq!(d.check_otp("alice", &c), OtpCheck::Replayed);
        assert_eq!(
            d.check_otp("alice", &code(&now, -3)),
            OtpCheck::Wrong {
                skew_steps: Some(-3)
            }
        );
        assert_eq!(
            d.check_otp("alice", &code(&now, 4)),
            OtpCheck::Wrong {
                skew_steps: Some(4)
            }
        );
        assert_eq!(
            d.check_otp("alice", "000000x"),
            OtpCheck::Wrong { skew_steps: None }
        );
        advance(&now, 30);
        assert_eq!(d.check_otp("alice", &code(&now, 0)), OtpCheck::Valid);
        assert_eq!(d.check_otp("bob", "123456"), OtpCheck::NotEnrolled);
        assert_eq!(d.check_otp("nobody", "123456"), OtpCheck::NotEnrolled);
    }

    #[test]
    fn push_approve_deny_expire() {
        let (d, now) = directory();
        let store = d.push_store().unwrap().clone();
        let t = d.start_push("alice").unwrap();
        assert_eq!(d.push_state(&t), PushState::Pending);
        store.approve(&t.id).unwrap();
        assert_eq!(d.push_state(&t), PushState::Approved);

        let t = d.start_push("alice").unwrap();
        store.deny(&t.id).unwrap();
        assert_eq!(d.push_state(&t), PushState::Denied);

        let t = d.start_push("alice").unwrap();
        advance(&now, 60);
        assert_eq!(d.push_state(&t), PushState::Expired);
        assert!(store.approve(&t.id).is_err());
        assert_eq!(d.push_state(&t), PushState::Expired);

        // Unknown tickets are never approved.
        let forged = PushTicket {
            id: "0".repeat(32),
            ..t
        };
        assert_eq!(d.push_state(&forged), PushState::Expired);
        assert!(d.start_push("bob").unwrap_err().contains("not enabled"));
        assert!(d.start_push("nobody").is_err());
    }

    fn fido_directory(dir: &Path) -> (UserDirectory, std::path::PathBuf) {
        let token = dir.join("carol.token");
        let creds = dir.join("carol.json");
        enroll("vpn.example.test", "carol", &token, &creds).unwrap();
        let users = vec![
            (
                "carol".to_owned(),
                user(&format!(r#"{{"fido2": {:?}}}"#, creds.to_str().unwrap())),
            ),
            ("alice".to_owned(), alice()),
        ];
        let d = UserDirectory::new(
            &settings(r#", "fido2": {"rp_id": "vpn.example.test"}"#),
            users,
        )
        .unwrap();
        (d, token)
    }

    #[test]
    fn fido_start_and_finish() {
        let dir = tempfile::tempdir().unwrap();
        let (d, token) = fido_directory(dir.path());
        let binding = [0x42u8; 32];
        let req = d.fido_start("carol", &binding).unwrap();
        assert_eq!(req.challenge, binding);
        assert_eq!(req.rp_id, "vpn.example.test");
        let assertion = soft_token_assertion(&token, &req).unwrap();
        d.fido_finish("carol", &assertion).unwrap();
        // Once only.
        assert!(d.fido_finish("carol", &assertion).is_err());
        // Over another binding: refused.
        d.fido_start("carol", &[0x43u8; 32]).unwrap();
        let stale = soft_token_assertion(&token, &req).unwrap();
        assert!(d.fido_finish("carol", &stale).is_err());
        // Users without FIDO2.
        assert!(d
            .fido_start("alice", &binding)
            .unwrap_err()
            .contains("not enabled"));
        assert!(d.fido_finish("alice", &assertion).is_err());
        assert_eq!(
            d.enrolled("carol"),
            Some(Enrolled {
                fido2: true,
                ..Enrolled::default()
            })
        );
    }

    #[test]
    fn enrolled_factors() {
        let (d, _) = directory();
        assert_eq!(
            d.enrolled("alice"),
            Some(Enrolled {
                nt_hash: true,
                password: true,
                totp: true,
                push: true,
                fido2: false
            })
        );
        assert_eq!(d.enrolled("nobody"), None);
    }

    #[test]
    fn bad_configuration_is_a_clear_error() {
        let msg = |s: &MfaSettings, users: Vec<(String, UserMfa)>| {
            UserDirectory::new(s, users).unwrap_err().to_string()
        };
        let e = msg(
            &settings(""),
            vec![("dave".into(), user(r#"{"totp": {"secret": "ABC!"}}"#))],
        );
        assert!(
            e.starts_with(r#"user "dave": eap.totp.secret: not base32"#),
            "{e}"
        );
        let e = msg(
            &settings(""),
            vec![("a".into(), alice()), ("a".into(), alice())],
        );
        assert_eq!(e, r#"user "a" is listed twice"#);
        let e = msg(
            &MfaSettings::default(),
            vec![("a".into(), user(r#"{"push": true}"#))],
        );
        assert!(e.contains("eap.push: needs mfa.push_api"), "{e}");
        let e = msg(
            &settings(""),
            vec![("a".into(), user(r#"{"fido2": "/nonexistent.json"}"#))],
        );
        assert!(e.contains("eap.fido2: needs mfa.fido2"), "{e}");
        let e = msg(
            &settings(r#", "fido2": {"rp_id": "vpn.example.test"}"#),
            vec![("a".into(), user(r#"{"fido2": "/nonexistent/a.json"}"#))],
        );
        assert!(
            e.starts_with(r#"user "a": eap.fido2: /nonexistent/a.json: "#),
            "{e}"
        );
        let bad: MfaSettings = serde_json::from_str(r#"{"lockout": {"max_failures": 0}}"#).unwrap();
        let e = msg(&bad, vec![]);
        assert!(e.starts_with("mfa.lockout.max_failures: "), "{e}");
        let e = msg(&settings(""), vec![("".into(), alice())]);
        assert!(e.contains("no name"), "{e}");
    }

    #[test]
    fn directory_is_shareable() {
        fn assert_shareable<T: Send + Sync + 'static>() {}
        assert_shareable::<UserDirectory>();
        let (d, _) = directory();
        let d: Arc<dyn Directory> = Arc::new(d);
        assert!(d.check_password("alice", b"hunter2"));
    }
}
