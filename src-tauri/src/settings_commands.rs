//! The Tauri commands of the settings view, and applying the settings
//! that live outside the app (the autostart entry).

use serde::Serialize;
use tauri::{AppHandle, Runtime};
use tauri_plugin_autostart::ManagerExt as _;

use crate::error::AppError;
use crate::settings::{self, Settings};

/// The argument the autostart entry starts the app with: into the tray,
/// without the window.
pub const HIDDEN_ARG: &str = "--hidden";

/// The settings as the window shows them.
#[derive(Clone, Debug, Serialize)]
pub struct SettingsView {
    /// The settings in effect (the defaults when the file is unusable).
    #[serde(flatten)]
    pub settings: Settings,
    /// Why the settings file could not be used, if it could not.
    pub problem: Option<String>,
}

/// The settings, with `start_at_login` as the desktop has it now.
#[tauri::command]
pub async fn get_settings<R: Runtime>(app: AppHandle<R>) -> Result<SettingsView, AppError> {
    let path = settings::default_path()?;
    let (mut settings, problem) = match settings::load(&path) {
        Ok(s) => (s, None),
        Err(e) => (Settings::default(), Some(e.to_string())),
    };
    if let Ok(on) = app.autolaunch().is_enabled() {
        settings.start_at_login = on;
    }
    Ok(SettingsView { settings, problem })
}

/// Applies and stores new settings. The autostart entry is changed first;
/// if that fails nothing is stored.
#[tauri::command]
pub async fn set_settings<R: Runtime>(
    app: AppHandle<R>,
    settings: Settings,
) -> Result<SettingsView, AppError> {
    // One change at a time: the autostart entry and the file agree.
    static APPLYING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = APPLYING.lock().unwrap_or_else(|e| e.into_inner());
    let path = settings::default_path()?;
    let autolaunch = app.autolaunch();
    let wanted = settings.start_at_login;
    if autolaunch.is_enabled().ok() != Some(wanted) {
        let done = if wanted {
            autolaunch.enable()
        } else {
            autolaunch.disable()
        };
        done.map_err(|e| AppError::File {
            path: "the autostart entry".into(),
            reason: e.to_string(),
        })?;
    }
    settings::save(&path, &settings)?;
    tracing::info!(?settings, "settings saved");
    Ok(SettingsView {
        settings,
        problem: None,
    })
}

/// The settings from the file, or the defaults (for the tray and connect,
/// which have no place to show a problem; the window shows it).
pub fn current() -> Settings {
    settings::default_path()
        .and_then(|p| settings::load(&p))
        .unwrap_or_default()
}
