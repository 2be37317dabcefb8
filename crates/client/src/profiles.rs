//! Profiles as an agent finds them: in the user's store by name or uuid,
//! or in a file; and imports of profile files, in Ibex's own format or a
//! foreign one (strongSwan `.sswan`, Apple `.mobileconfig`).

use std::path::Path;

pub use ibex_profile::import::{Format, ImportWarning, Imported, ImportedSecrets, Preview};
use ibex_profile::{Profile, ProfileStore, StoreError};

/// The user's profile store (`~/.config/ibex/profiles`), or why it cannot
/// be found.
pub fn store() -> Result<ProfileStore, String> {
    ProfileStore::open_default().map_err(|e| e.to_string())
}

/// A stored profile by name or uuid, else a profile file (in any format
/// [`import`] reads; a foreign file's secrets are dropped and asked for
/// when connecting).
pub fn load_profile(arg: &str) -> Result<Profile, String> {
    let path = Path::new(arg);
    if path.is_file() {
        return ibex_profile::read_import(path)
            .map(|i| i.profile)
            .map_err(|e| e.to_string());
    }
    store()?.get(arg).map_err(|e| e.to_string())
}

/// What importing the file at `path` would store, without storing it: a
/// summary for a person to confirm (name, gateway, authentication,
/// proposals, routes, the warnings, which secrets the file carries).
/// The format is recognized by content, then by extension.
pub fn preview_import(path: &Path) -> Result<Preview, StoreError> {
    ibex_profile::read_import(path).map(|i| i.preview())
}

/// Imports the file at `path` into `store`, replacing the profile with the
/// same UUID, and returns the whole result: the profile as stored, the
/// warnings to show and the secrets the file carried (never stored in the
/// profile; the caller may keep them in the keyring, see
/// [`crate::keyring::remember`], or drop them).
pub fn import(store: &ProfileStore, path: &Path) -> Result<Imported, StoreError> {
    store.import_report(path)
}
