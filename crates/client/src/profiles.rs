//! Profiles as an agent finds them: in the user's store by name or uuid,
//! or in a file.

use std::path::Path;

use ibex_profile::{Profile, ProfileStore};

/// The user's profile store (`~/.config/ibex/profiles`), or why it cannot
/// be found.
pub fn store() -> Result<ProfileStore, String> {
    ProfileStore::open_default().map_err(|e| e.to_string())
}

/// A stored profile by name or uuid, else a profile file.
pub fn load_profile(arg: &str) -> Result<Profile, String> {
    let path = Path::new(arg);
    if path.is_file() {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{arg}: {e}"))?;
        return Profile::from_json(&text).map_err(|e| format!("{arg}: {e}"));
    }
    store()?.get(arg).map_err(|e| e.to_string())
}
