//! [`UserHome`]: the private home a GUI test's app runs in, so profiles,
//! settings, the autostart entry and the keyring land in the test's temp
//! dir and never in the machine's.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// `HOME` and the XDG directories under one test directory.
#[derive(Debug)]
pub struct UserHome {
    /// `HOME` (`<dir>/home`, mode 0700).
    pub home: PathBuf,
    /// `XDG_CONFIG_HOME` (`~/.config`).
    pub config: PathBuf,
    /// `XDG_DATA_HOME` (`~/.local/share`).
    pub data: PathBuf,
    /// `XDG_CACHE_HOME` (`~/.cache`).
    pub cache: PathBuf,
    /// `XDG_RUNTIME_DIR` (`<dir>/runtime`, mode 0700).
    pub runtime: PathBuf,
}

impl UserHome {
    /// Creates the directories under `dir`.
    pub fn create(dir: &Path) -> UserHome {
        let home = dir.join("home");
        let h = UserHome {
            config: home.join(".config"),
            data: home.join(".local/share"),
            cache: home.join(".cache"),
            runtime: dir.join("runtime"),
            home,
        };
        for d in [&h.config, &h.data, &h.cache, &h.runtime] {
            std::fs::create_dir_all(d).unwrap();
        }
        for d in [&h.home, &h.runtime] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        h
    }

    /// The environment that points the app at these directories.
    pub fn env(&self) -> Vec<(&'static str, &Path)> {
        vec![
            ("HOME", &self.home),
            ("XDG_CONFIG_HOME", &self.config),
            ("XDG_DATA_HOME", &self.data),
            ("XDG_CACHE_HOME", &self.cache),
            ("XDG_RUNTIME_DIR", &self.runtime),
        ]
    }
}
