//! [`Settings`]: the app's preferences, kept per user in
//! `$XDG_CONFIG_HOME/ibex/app-settings.json` (beside the profile store).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use ibex_profile::ProfileStore;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The file name of the settings, in Ibex's config directory.
pub const FILE_NAME: &str = "app-settings.json";

/// The largest settings file read (a hostile or broken file is refused,
/// not read whole).
const MAX_LEN: u64 = 64 * 1024;

/// The colours of the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Follow the desktop's light or dark preference.
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

/// The person's preferences. Unknown keys (from a newer version) are
/// ignored and missing ones take their defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Start the app (in the tray, without its window) at login.
    pub start_at_login: bool,
    /// Let ibexd reconnect a tunnel that dropped (as the profile's
    /// `reconnect` says); off: a dropped tunnel stays down.
    pub auto_reconnect: bool,
    /// Whether the password prompt's "Remember in keyring" starts ticked.
    pub remember_passwords: bool,
    /// Light, dark, or the desktop's choice.
    pub theme: Theme,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            start_at_login: false,
            auto_reconnect: true,
            remember_passwords: false,
            theme: Theme::System,
        }
    }
}

/// Where the settings are kept: beside the profile directory.
pub fn default_path() -> Result<PathBuf, AppError> {
    let profiles = ProfileStore::default_dir()?;
    let dir = profiles.parent().unwrap_or(&profiles);
    Ok(dir.join(FILE_NAME))
}

/// Reads the settings at `path`; a missing file gives the defaults. A file
/// that cannot be read or is not settings is an error (the caller shows it
/// and uses the defaults, and the file is only replaced when the person
/// saves).
pub fn load(path: &Path) -> Result<Settings, AppError> {
    let fail = |reason: String| AppError::File {
        path: path.display().to_string(),
        reason,
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
        Err(e) => return Err(fail(e.to_string())),
    };
    let mut text = String::new();
    use std::io::Read as _;
    file.take(MAX_LEN + 1)
        .read_to_string(&mut text)
        .map_err(|e| fail(e.to_string()))?;
    if text.len() as u64 > MAX_LEN {
        return Err(fail(format!(
            "larger than {MAX_LEN} bytes: not Ibex's settings"
        )));
    }
    serde_json::from_str(&text).map_err(|e| {
        fail(format!(
            "not valid settings ({e}); saving the settings replaces it"
        ))
    })
}

/// Writes `settings` to `path` atomically (a temporary file renamed over
/// it), creating the directory.
pub fn save(path: &Path, settings: &Settings) -> Result<(), AppError> {
    let fail = |e: std::io::Error| AppError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut text = serde_json::to_string_pretty(settings).expect("settings serialize");
    text.push('\n');
    // A name of its own: two saves at once must not share a temporary file.
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("json.{}.{n}.tmp", std::process::id()));
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_gives_defaults_and_a_save_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ibex").join(FILE_NAME);
        assert_eq!(load(&path).unwrap(), Settings::default());
        let s = Settings {
            start_at_login: true,
            auto_reconnect: false,
            remember_passwords: true,
            theme: Theme::Dark,
        };
        save(&path, &s).unwrap();
        assert_eq!(load(&path).unwrap(), s);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"theme\": \"dark\""), "{text}");
        let left: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, [FILE_NAME], "no temporary file left");
    }

    #[test]
    fn saves_at_the_same_time_each_land_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let themes = [Theme::Dark, Theme::Light, Theme::System, Theme::Dark];
        std::thread::scope(|s| {
            for (i, theme) in themes.iter().enumerate() {
                let path = &path;
                s.spawn(move || {
                    for _ in 0..20 {
                        let settings = Settings {
                            theme: *theme,
                            start_at_login: i % 2 == 0,
                            ..Settings::default()
                        };
                        save(path, &settings).unwrap();
                    }
                });
            }
        });
        // Whichever came last, the file is one whole save.
        let s = load(&path).unwrap();
        assert!(themes.contains(&s.theme));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn partial_and_newer_files_keep_what_they_say() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, r#"{"theme": "light", "from_the_future": 1}"#).unwrap();
        let s = load(&path).unwrap();
        assert_eq!(s.theme, Theme::Light);
        assert!(s.auto_reconnect, "defaults fill the rest");
    }

    #[test]
    fn broken_files_are_errors_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        for bad in [
            "{\"theme\": \"purple\"}".to_string(),
            "not json".to_string(),
            "{\"theme\": \"dark\"".to_string(),
            format!("{{\"x\": \"{}\"}}", "a".repeat(70_000)),
        ] {
            std::fs::write(&path, &bad).unwrap();
            let e = load(&path).unwrap_err().to_string();
            assert!(e.contains(FILE_NAME), "{e}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), bad);
        }
    }
}
