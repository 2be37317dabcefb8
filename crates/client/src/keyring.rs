//! The account password in the user's keyring, for people who opt in with
//! `ibex connect --remember-password`. The agent stores it (the Secret
//! Service on Linux: GNOME Keyring, KWallet; the platform's store
//! elsewhere); ibexd never does. One password per profile; one-time codes
//! are never stored.

use zeroize::Zeroizing;

/// The keyring service name of Ibex's entries.
const SERVICE: &str = "ibex-vpn";

fn entry(profile_uuid: &str) -> Result<keyring::Entry, String> {
    keyring::Entry::new(SERVICE, &format!("profile:{profile_uuid}"))
        .map_err(|e| format!("the keyring is not available: {e}"))
}

/// The password saved for the profile, if any (blocks: may talk to D-Bus).
pub fn recall(profile_uuid: &str) -> Result<Option<Zeroizing<String>>, String> {
    match entry(profile_uuid)?.get_password() {
        Ok(p) => Ok(Some(Zeroizing::new(p))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(format!("cannot read the keyring: {e}")),
    }
}

/// Saves (or replaces) the profile's password.
pub fn remember(profile_uuid: &str, password: &str) -> Result<(), String> {
    entry(profile_uuid)?
        .set_password(password)
        .map_err(|e| format!("cannot save the password in the keyring: {e}"))
}

/// Deletes the profile's password; `Ok(false)` when none was saved.
pub fn forget(profile_uuid: &str) -> Result<bool, String> {
    match entry(profile_uuid)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(format!("cannot delete the password from the keyring: {e}")),
    }
}

/// Runs a keyring call off the async runtime.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| format!("keyring task failed: {e}"))?
}
