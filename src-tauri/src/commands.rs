//! The Tauri commands the window invokes. Arguments are snake_case, as in
//! ibexd's IPC (`prompt_id`); errors arrive in the window as text.

use std::path::PathBuf;

use ibex_ipc::{Prompt, PromptId};
use tauri::{AppHandle, Emitter, State};

use crate::actions;
use crate::error::AppError;
use crate::events::PROFILES_CHANGED;
use crate::profiles::{self, ProfileSummary};
use crate::snapshot::Snapshot;
use crate::state::AppState;

/// The stored profiles, sorted by name.
#[tauri::command]
pub async fn list_profiles(state: State<'_, AppState>) -> Result<Vec<ProfileSummary>, AppError> {
    state.profiles()
}

/// Validates and stores an Ibex JSON profile file.
#[tauri::command(rename_all = "snake_case")]
pub async fn import_profile(
    app: AppHandle,
    state: State<'_, AppState>,
    path: PathBuf,
) -> Result<ProfileSummary, AppError> {
    let p = profiles::import(&state.store()?, &path)?;
    tracing::info!(profile = %p.name, "imported");
    profiles_changed(&app, &state);
    Ok(p)
}

/// Deletes a stored profile.
#[tauri::command(rename_all = "snake_case")]
pub async fn remove_profile(
    app: AppHandle,
    state: State<'_, AppState>,
    uuid: String,
) -> Result<(), AppError> {
    let p = profiles::remove(&state.store()?, &uuid)?;
    tracing::info!(profile = %p.name, "removed");
    profiles_changed(&app, &state);
    Ok(())
}

/// Tells the window and the tray that the stored profiles changed.
pub(crate) fn profiles_changed(app: &AppHandle, state: &AppState) {
    let _ = state.profiles();
    let _ = app.emit(PROFILES_CHANGED, ());
    crate::tray::refresh(app);
}

/// Connects with a stored profile; returns once the attempt started.
#[tauri::command(rename_all = "snake_case")]
pub async fn connect(state: State<'_, AppState>, uuid: String) -> Result<(), AppError> {
    actions::connect(&state.daemon, &state.store()?, &uuid).await
}

/// Disconnects.
#[tauri::command]
pub async fn disconnect(state: State<'_, AppState>) -> Result<(), AppError> {
    actions::disconnect(&state.daemon).await
}

/// What the app knows now (the same object as the `status` event).
#[tauri::command]
pub async fn status(state: State<'_, AppState>) -> Result<Snapshot, AppError> {
    Ok(state.daemon.snapshot())
}

/// The prompts open now (a window that loads late still sees them).
#[tauri::command]
pub async fn open_prompts(state: State<'_, AppState>) -> Result<Vec<Prompt>, AppError> {
    Ok(state.daemon.prompts())
}

/// Answers a prompt with what the person typed.
#[tauri::command(rename_all = "snake_case")]
pub async fn answer(
    state: State<'_, AppState>,
    prompt_id: PromptId,
    value: String,
) -> Result<(), AppError> {
    actions::answer(&state.daemon, prompt_id, value).await
}

/// Cancels a prompt (a push approval: ends the attempt).
#[tauri::command(rename_all = "snake_case")]
pub async fn cancel_prompt(
    state: State<'_, AppState>,
    prompt_id: PromptId,
) -> Result<(), AppError> {
    actions::cancel_prompt(&state.daemon, prompt_id).await
}
