//! [`AppState`]: what the commands, the tray and the event task share.

use std::sync::{Arc, Mutex};

use ibex_profile::ProfileStore;

use crate::daemon::Daemon;
use crate::error::AppError;
use crate::profiles::{self, ProfileSummary};
use crate::tray::Shown;

/// The app's shared state (managed by Tauri).
pub struct AppState {
    /// The link to ibexd.
    pub daemon: Arc<Daemon>,
    /// What the tray shows.
    pub tray: Mutex<Shown>,
    /// The profile list as last read (the tray needs it on every change).
    pub cached: Mutex<Option<Vec<ProfileSummary>>>,
}

impl AppState {
    /// The user's profile store (`~/.config/ibex/profiles`, as the CLI's).
    pub fn store(&self) -> Result<ProfileStore, AppError> {
        Ok(ProfileStore::open_default()?)
    }

    /// The stored profiles, read now.
    pub fn profiles(&self) -> Result<Vec<ProfileSummary>, AppError> {
        let list = profiles::list(&self.store()?)?;
        *self.cached.lock().unwrap_or_else(|e| e.into_inner()) = Some(list.clone());
        Ok(list)
    }

    /// The stored profiles as last read (read now the first time).
    pub fn cached_profiles(&self) -> Vec<ProfileSummary> {
        let cached = self
            .cached
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match cached {
            Some(list) => list,
            None => self.profiles().unwrap_or_default(),
        }
    }
}
