//! [`ProfileStore`]: a user's profiles, one `<uuid>.json` file each in a
//! private directory.

mod error;
mod fs;

use std::path::{Path, PathBuf};

pub use error::StoreError;

use crate::import::{ImportError, Imported};
use crate::model::Profile;

/// Reads the profile file at `path` in any format [`crate::import`]
/// knows, without storing it: for a preview before [`ProfileStore::save`].
/// An invalid Ibex profile is [`StoreError::Invalid`] (with its line and
/// column), a foreign one [`StoreError::Import`].
pub fn read_import(path: &Path) -> Result<Imported, StoreError> {
    let bytes = fs::read_bytes(path)?;
    let name = path.file_name().map(|n| n.to_string_lossy());
    crate::import::import(&bytes, name.as_deref()).map_err(|e| match e {
        ImportError::Ibex(source) => StoreError::Invalid {
            path: path.to_path_buf(),
            source: Box::new(source),
        },
        ImportError::NotText {
            format: crate::import::Format::Ibex,
        } => StoreError::NotText {
            path: path.to_path_buf(),
        },
        e => StoreError::Import {
            path: path.to_path_buf(),
            source: Box::new(e),
        },
    })
}

/// The profiles of one user, kept in a directory (by default
/// `$XDG_CONFIG_HOME/ibex/profiles` or `~/.config/ibex/profiles`).
///
/// Each profile is stored validated and pretty-printed as `<uuid>.json`,
/// mode 0600, in a directory created with mode 0700; writes are atomic.
/// Names are unique: a profile may not take the name of another UUID.
/// The store does not lock: two processes importing at the same moment may
/// both succeed with one name.
#[derive(Clone, Debug)]
pub struct ProfileStore {
    dir: PathBuf,
}

impl ProfileStore {
    /// A store in `dir`; the directory is created on the first write.
    pub fn new(dir: impl Into<PathBuf>) -> ProfileStore {
        ProfileStore { dir: dir.into() }
    }

    /// The store in the user's default directory ([`Self::default_dir`]).
    pub fn open_default() -> Result<ProfileStore, StoreError> {
        Ok(ProfileStore::new(Self::default_dir()?))
    }

    /// `$XDG_CONFIG_HOME/ibex/profiles` if that variable holds an absolute
    /// path, else `$HOME/.config/ibex/profiles`.
    pub fn default_dir() -> Result<PathBuf, StoreError> {
        fs::default_dir(
            std::env::var_os("XDG_CONFIG_HOME"),
            std::env::var_os("HOME"),
        )
    }

    /// The directory of this store.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Reads, validates and stores the profile file at `path`, replacing a
    /// stored profile with the same UUID. Returns the profile.
    ///
    /// The file may be an Ibex profile, a strongSwan `.sswan` profile or
    /// an Apple `.mobileconfig` ([`crate::import`]); the import's warnings
    /// are logged and the secrets the file carried are dropped (the agent
    /// asks for them when connecting). Use [`Self::import_report`] to show
    /// the warnings or keep the secrets.
    pub fn import(&self, path: &Path) -> Result<Profile, StoreError> {
        let imported = self.import_report(path)?;
        for w in &imported.warnings {
            tracing::warn!(file = %path.display(), "import: {w}");
        }
        Ok(imported.profile)
    }

    /// Like [`Self::import`], but returns the whole [`Imported`]: the
    /// profile as stored, the warnings and the secrets the file carried.
    pub fn import_report(&self, path: &Path) -> Result<Imported, StoreError> {
        let imported = read_import(path)?;
        self.save(&imported.profile)?;
        Ok(imported)
    }

    /// Validates and stores `profile`, replacing a stored profile with the
    /// same UUID.
    pub fn save(&self, profile: &Profile) -> Result<(), StoreError> {
        profile.validate()?;
        let uuid = profile.uuid.to_ascii_lowercase();
        if let Some(other) = self
            .list()?
            .into_iter()
            .find(|p| p.name == profile.name && !p.uuid.eq_ignore_ascii_case(&uuid))
        {
            return Err(StoreError::NameTaken {
                name: profile.name.clone(),
                other_uuid: other.uuid,
            });
        }
        fs::ensure_dir(&self.dir)?;
        let mut text = profile.to_json_pretty();
        text.push('\n');
        fs::write_atomic(&self.file_of(&uuid), text.as_bytes())
    }

    /// All stored profiles, sorted by name. Files that are not valid
    /// profiles are skipped with a warning in the log; a missing directory
    /// is an empty store.
    pub fn list(&self) -> Result<Vec<Profile>, StoreError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(fs::io_error(&self.dir)(e)),
        };
        let mut profiles = Vec::new();
        for entry in entries {
            let path = entry.map_err(fs::io_error(&self.dir))?.path();
            let is_profile = path.extension().is_some_and(|e| e == "json")
                && path
                    .file_name()
                    .is_some_and(|n| !n.to_string_lossy().starts_with('.'));
            if !is_profile {
                continue;
            }
            match fs::read_text(&path).and_then(|text| {
                Profile::from_json(&text).map_err(|e| StoreError::Invalid {
                    path: path.clone(),
                    source: Box::new(e),
                })
            }) {
                Ok(p) => profiles.push(p),
                Err(e) => tracing::warn!("skipping stored profile: {e}"),
            }
        }
        profiles.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.uuid.cmp(&b.uuid)));
        Ok(profiles)
    }

    /// The profile with this UUID (any case) or, failing that, this name.
    pub fn get(&self, name_or_uuid: &str) -> Result<Profile, StoreError> {
        let mut profiles = self.list()?;
        let by_uuid = profiles
            .iter()
            .position(|p| p.uuid.eq_ignore_ascii_case(name_or_uuid));
        let found = by_uuid.or_else(|| profiles.iter().position(|p| p.name == name_or_uuid));
        match found {
            Some(i) => Ok(profiles.swap_remove(i)),
            None => Err(StoreError::NotFound(name_or_uuid.to_string())),
        }
    }

    /// Removes the profile with this UUID or name and returns it.
    pub fn remove(&self, name_or_uuid: &str) -> Result<Profile, StoreError> {
        let profile = self.get(name_or_uuid)?;
        let path = self.file_of(&profile.uuid.to_ascii_lowercase());
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(profile),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // Stored under a name other than its UUID (copied in by hand).
                self.remove_by_content(&profile)?;
                Ok(profile)
            }
            Err(e) => Err(fs::io_error(&path)(e)),
        }
    }

    /// Removes whichever file holds `profile`.
    fn remove_by_content(&self, profile: &Profile) -> Result<(), StoreError> {
        let entries = std::fs::read_dir(&self.dir).map_err(fs::io_error(&self.dir))?;
        for entry in entries {
            let path = entry.map_err(fs::io_error(&self.dir))?.path();
            let same = fs::read_text(&path)
                .ok()
                .and_then(|t| Profile::from_json(&t).ok())
                .is_some_and(|p| p.uuid.eq_ignore_ascii_case(&profile.uuid));
            if same {
                return std::fs::remove_file(&path).map_err(fs::io_error(&path));
            }
        }
        Err(StoreError::NotFound(profile.uuid.clone()))
    }

    fn file_of(&self, uuid: &str) -> PathBuf {
        self.dir.join(format!("{uuid}.json"))
    }
}
