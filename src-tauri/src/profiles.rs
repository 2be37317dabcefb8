//! The user's profiles as the window and the tray list them.

use std::path::Path;

use ibex_profile::{Auth, Profile, ProfileStore, DEFAULT_IKE_PORT};
use serde::Serialize;

use crate::error::AppError;

/// One stored profile, without its certificates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProfileSummary {
    /// The profile's UUID (the key commands use).
    pub uuid: String,
    /// Its name.
    pub name: String,
    /// The gateway, `host` or `host:port` when the port is not 500.
    pub gateway: String,
    /// How it signs in: `psk`, `certificate` or `eap`.
    pub auth: &'static str,
}

impl From<&Profile> for ProfileSummary {
    fn from(p: &Profile) -> ProfileSummary {
        let gateway = if p.gateway.port == DEFAULT_IKE_PORT {
            p.gateway.host.clone()
        } else {
            format!("{}:{}", p.gateway.host, p.gateway.port)
        };
        let auth = match p.auth {
            Auth::Psk { .. } => "psk",
            Auth::Certificate { .. } => "certificate",
            Auth::Eap { .. } => "eap",
        };
        ProfileSummary {
            uuid: p.uuid.clone(),
            name: p.name.clone(),
            gateway,
            auth,
        }
    }
}

/// The stored profiles, sorted by name.
pub fn list(store: &ProfileStore) -> Result<Vec<ProfileSummary>, AppError> {
    let mut list: Vec<ProfileSummary> = store.list()?.iter().map(ProfileSummary::from).collect();
    list.sort_by(|a, b| a.name.cmp(&b.name).then(a.uuid.cmp(&b.uuid)));
    Ok(list)
}

/// Validates and stores an Ibex JSON profile file (replacing the profile
/// with the same UUID).
pub fn import(store: &ProfileStore, path: &Path) -> Result<ProfileSummary, AppError> {
    let p = store.import(path)?;
    Ok(ProfileSummary::from(&p))
}

/// Deletes a stored profile by UUID (or name).
pub fn remove(store: &ProfileStore, uuid: &str) -> Result<ProfileSummary, AppError> {
    let p = store.remove(uuid)?;
    Ok(ProfileSummary::from(&p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../profiles")
            .join(name)
    }

    #[test]
    fn import_list_remove() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(dir.path().join("profiles"));
        let mfa = import(&store, &example("eap-mfa.json")).unwrap();
        assert_eq!(mfa.auth, "eap");
        assert_eq!(mfa.gateway, "vpn.corp.example.com");
        import(&store, &example("psk-full-tunnel.json")).unwrap();
        let names: Vec<_> = list(&store).unwrap().into_iter().map(|p| p.name).collect();
        assert_eq!(names.len(), 2);
        assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");
        remove(&store, &mfa.uuid).unwrap();
        assert_eq!(list(&store).unwrap().len(), 1);
    }

    #[test]
    fn broken_files_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(dir.path().join("profiles"));
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{\"version\": 1}").unwrap();
        let e = import(&store, &bad).unwrap_err().to_string();
        assert!(e.contains("bad.json"), "{e}");
    }
}
