//! Multi-factor authentication for the gateway's EAP server.
//!
//! [`UserDirectory`] implements [`ibex_eap::Directory`] over the users of the
//! configuration file: password hashes ([`password`]), TOTP codes with replay
//! protection ([`totp`]), failure lockout ([`lockout`]), push approvals
//! ([`push`], approved through the small web app in [`http`]) and FIDO2
//! security keys ([`fido`]). The configuration types are in [`config`].
//!
//! Every time-dependent part reads an injectable [`Clock`] so tests control time.

pub mod config;
pub mod directory;
pub mod fido;
pub mod http;
pub mod lockout;
pub mod password;
pub mod push;
mod random;
pub mod totp;

use std::sync::Arc;
use std::time::SystemTime;

pub use config::{MfaConfigError, MfaSettings, UserMfa};
pub use directory::{DirectoryError, Enrolled, UserDirectory};
pub use push::PushStore;
pub use random::RandomError;

/// The wall clock the directory reads (replaceable in tests).
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The system's wall clock.
pub fn system_clock() -> Clock {
    Arc::new(SystemTime::now)
}

/// Seconds since the Unix epoch (0 for times before it).
pub(crate) fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A clock that tests move by hand.
#[cfg(test)]
pub(crate) fn manual_clock(start: SystemTime) -> (Clock, Arc<std::sync::Mutex<SystemTime>>) {
    let now = Arc::new(std::sync::Mutex::new(start));
    let handle = Arc::clone(&now);
    let clock: Clock = Arc::new(move || *now.lock().unwrap_or_else(|e| e.into_inner()));
    (clock, handle)
}
