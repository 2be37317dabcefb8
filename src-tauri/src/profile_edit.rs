//! Changing stored profiles from the window: the import preview, the
//! document behind the editor, saving an edited document, duplicating and
//! exporting. Every write goes through [`ProfileStore::save`], which
//! validates first: a bad edit changes nothing.

use std::io::Write as _;
use std::path::Path;

use ibex_agent::profiles::Preview;
use ibex_profile::{Profile, ProfileStore, StoreError};
use serde::Serialize;

use crate::error::AppError;
use crate::profiles::ProfileSummary;

/// What importing a file would do, for the preview dialog.
#[derive(Clone, Debug, Serialize)]
pub struct ImportPreview {
    /// The summary of the profile in the file.
    #[serde(flatten)]
    pub preview: Preview,
    /// The name of the stored profile with the same UUID, which the
    /// import replaces.
    pub replaces: Option<String>,
}

/// Reads the file at `path` without storing anything.
pub fn preview(store: &ProfileStore, path: &Path) -> Result<ImportPreview, AppError> {
    let preview = ibex_agent::profiles::preview_import(path)?;
    let replaces = match store.get(&preview.uuid) {
        Ok(p) if p.uuid.eq_ignore_ascii_case(&preview.uuid) => Some(p.name),
        Ok(_) | Err(StoreError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    Ok(ImportPreview { preview, replaces })
}

/// The stored profile `uuid` as the JSON document the editor shows.
pub fn document(store: &ProfileStore, uuid: &str) -> Result<String, AppError> {
    let mut text = store.get(uuid)?.to_json_pretty();
    text.push('\n');
    Ok(text)
}

/// Validates the edited document `text` of profile `uuid` and stores it.
/// The UUID may not change (that would be another profile); the name may,
/// unless another profile has it.
pub fn save_document(
    store: &ProfileStore,
    uuid: &str,
    text: &str,
) -> Result<ProfileSummary, AppError> {
    let old = store.get(uuid)?;
    let profile = Profile::from_json(text).map_err(|e| AppError::Profile(e.to_string()))?;
    if !profile.uuid.eq_ignore_ascii_case(&old.uuid) {
        return Err(AppError::Profile(format!(
            "the uuid cannot change in an edit (it was {}); use Duplicate for a new profile",
            old.uuid
        )));
    }
    store.save(&profile)?;
    Ok(ProfileSummary::from(&profile))
}

/// Stores a copy of profile `uuid` under a new random UUID and the first
/// free name of "NAME (copy)", "NAME (copy 2)", ...
pub fn duplicate(store: &ProfileStore, uuid: &str) -> Result<ProfileSummary, AppError> {
    let mut copy = store.get(uuid)?;
    let names: Vec<String> = store.list()?.into_iter().map(|p| p.name).collect();
    copy.name = (1..)
        .map(|n| match n {
            1 => format!("{} (copy)", copy.name),
            n => format!("{} (copy {n})", copy.name),
        })
        .find(|candidate| !names.contains(candidate))
        .unwrap_or_default();
    copy.uuid = uuid::Uuid::new_v4().to_string();
    store.save(&copy)?;
    Ok(ProfileSummary::from(&copy))
}

/// Writes profile `uuid` as an Ibex JSON profile file to `path` (replacing
/// it: the save dialog asked). A profile holds no secret, so the file is
/// fit to hand on. Written beside `path` first and renamed, so a failure
/// leaves no half-written file.
pub fn export(store: &ProfileStore, uuid: &str, path: &Path) -> Result<ProfileSummary, AppError> {
    let profile = store.get(uuid)?;
    let mut text = profile.to_json_pretty();
    text.push('\n');
    let fail = |e: std::io::Error| AppError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let name = path
        .file_name()
        .ok_or_else(|| fail(std::io::Error::other("not a file name")))?;
    let tmp = path.with_file_name(format!(".{}.ibex-export", name.to_string_lossy()));
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    Ok(ProfileSummary::from(&profile))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../profiles")
            .join(name)
    }

    fn store_with_mfa() -> (tempfile::TempDir, ProfileStore, Profile) {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(dir.path().join("profiles"));
        let p = store.import(&example("eap-mfa.json")).unwrap();
        (dir, store, p)
    }

    #[test]
    fn preview_names_the_profile_it_replaces() {
        let (_dir, store, stored) = store_with_mfa();
        let again = preview(&store, &example("eap-mfa.json")).unwrap();
        assert_eq!(again.replaces.as_deref(), Some(stored.name.as_str()));
        assert_eq!(again.preview.uuid, stored.uuid);
        let new = preview(&store, &example("psk-full-tunnel.json")).unwrap();
        assert_eq!(new.replaces, None);
        // Nothing was stored by looking.
        assert_eq!(store.list().unwrap().len(), 1);
        let json = serde_json::to_value(&new).unwrap();
        assert_eq!(json["replaces"], serde_json::Value::Null);
        assert!(json["gateway"].is_string(), "{json}");
    }

    #[test]
    fn an_edit_is_validated_and_keeps_the_uuid() {
        let (_dir, store, p) = store_with_mfa();
        let text = document(&store, &p.uuid).unwrap();
        let renamed = text.replacen(&p.name, "Renamed", 1);
        let s = save_document(&store, &p.uuid, &renamed).unwrap();
        assert_eq!(s.name, "Renamed");
        assert_eq!(store.get(&p.uuid).unwrap().name, "Renamed");

        // A broken edit says where and changes nothing.
        let broken = renamed.replacen("\"Renamed\"", "\"Renamed\",,", 1);
        let e = save_document(&store, &p.uuid, &broken)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("line "), "{e}");
        assert_eq!(store.get(&p.uuid).unwrap().name, "Renamed");
        assert_eq!(document(&store, &p.uuid).unwrap(), renamed);

        // Another uuid would be another profile.
        let other = renamed.replacen(&p.uuid, "0e6b9a52-8a35-4f0e-9d4b-5b3c1e2f7a10", 1);
        let e = save_document(&store, &p.uuid, &other)
            .unwrap_err()
            .to_string();
        assert!(e.contains("uuid cannot change"), "{e}");
        assert_eq!(store.list().unwrap().len(), 1);
    }

    #[test]
    fn duplicates_get_a_new_uuid_and_a_free_name() {
        let (_dir, store, p) = store_with_mfa();
        let one = duplicate(&store, &p.uuid).unwrap();
        let two = duplicate(&store, &p.uuid).unwrap();
        assert_eq!(one.name, format!("{} (copy)", p.name));
        assert_eq!(two.name, format!("{} (copy 2)", p.name));
        assert_ne!(one.uuid, p.uuid);
        assert_ne!(one.uuid, two.uuid);
        assert!(uuid::Uuid::parse_str(&one.uuid).is_ok());
        let copy = store.get(&one.uuid).unwrap();
        assert_eq!(copy.gateway, p.gateway);
        assert_eq!(store.list().unwrap().len(), 3);
    }

    #[test]
    fn export_writes_a_profile_that_imports_again() {
        let (dir, store, p) = store_with_mfa();
        let out = dir.path().join("exported.json");
        std::fs::write(&out, "old").unwrap();
        export(&store, &p.uuid, &out).unwrap();
        let back = Profile::from_json(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(back, p);
        // No temporary file is left beside it.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");

        let e = export(&store, &p.uuid, &dir.path().join("missing/dir/x.json"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing/dir/x.json"), "{e}");
        let e = export(&store, "no-such", &out).unwrap_err().to_string();
        assert!(e.contains("no-such"), "{e}");
    }
}
