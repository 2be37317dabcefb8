//! The Tauri commands that change stored profiles beyond import and
//! remove: preview, edit, duplicate, export ([`crate::profile_edit`]).

use std::path::PathBuf;

use tauri::{AppHandle, State};

use crate::commands::profiles_changed;
use crate::error::AppError;
use crate::profile_edit::{self, ImportPreview};
use crate::profiles::ProfileSummary;
use crate::state::AppState;

/// What importing the file at `path` would store, without storing it.
#[tauri::command(rename_all = "snake_case")]
pub async fn preview_import(
    state: State<'_, AppState>,
    path: PathBuf,
) -> Result<ImportPreview, AppError> {
    profile_edit::preview(&state.store()?, &path)
}

/// The stored profile as the JSON document the editor shows.
#[tauri::command(rename_all = "snake_case")]
pub async fn profile_document(
    state: State<'_, AppState>,
    uuid: String,
) -> Result<String, AppError> {
    profile_edit::document(&state.store()?, &uuid)
}

/// Validates an edited document and stores it (the UUID may not change).
#[tauri::command(rename_all = "snake_case")]
pub async fn save_profile(
    app: AppHandle,
    state: State<'_, AppState>,
    uuid: String,
    document: String,
) -> Result<ProfileSummary, AppError> {
    let p = profile_edit::save_document(&state.store()?, &uuid, &document)?;
    tracing::info!(profile = %p.name, "edited");
    profiles_changed(&app, &state);
    Ok(p)
}

/// Stores a copy of a profile under a new UUID and name.
#[tauri::command(rename_all = "snake_case")]
pub async fn duplicate_profile(
    app: AppHandle,
    state: State<'_, AppState>,
    uuid: String,
) -> Result<ProfileSummary, AppError> {
    let p = profile_edit::duplicate(&state.store()?, &uuid)?;
    tracing::info!(profile = %p.name, "duplicated");
    profiles_changed(&app, &state);
    Ok(p)
}

/// Writes a profile to `path` as an Ibex JSON profile file.
#[tauri::command(rename_all = "snake_case")]
pub async fn export_profile(
    state: State<'_, AppState>,
    uuid: String,
    path: PathBuf,
) -> Result<(), AppError> {
    let p = profile_edit::export(&state.store()?, &uuid, &path)?;
    tracing::info!(profile = %p.name, file = %path.display(), "exported");
    Ok(())
}
