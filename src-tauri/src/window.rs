//! The main window: brought forward for prompts and errors, hidden (not
//! closed) when the person closes it, so the tray keeps working.

use tauri::{AppHandle, Emitter, Manager};

/// The main window's label (tauri.conf.json).
pub const MAIN: &str = "main";

/// Shows, unminimizes and focuses the main window.
pub fn show(app: &AppHandle) {
    if let Some(w) = app.get_webview_window(MAIN) {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// A prompt is open (`true`) or none is any more: the window comes forward
/// and stays above the others while one is open.
pub fn prompt_open(app: &AppHandle, open: bool) {
    if open {
        show(app);
    }
    if let Some(w) = app.get_webview_window(MAIN) {
        let _ = w.set_always_on_top(open);
    }
}

/// Shows an error that happened outside the window (a tray action).
pub fn show_error(app: &AppHandle, message: &str) {
    tracing::warn!("{message}");
    let _ = app.emit(crate::events::APP_ERROR, message);
    show(app);
}
