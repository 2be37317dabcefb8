//! The events the window receives, and [`WindowSink`], which sends them
//! (and keeps the tray and the window's placement in step).

use ibex_ipc::{CloseReason, Prompt, PromptId};
use serde::Serialize;
use tauri::{AppHandle, Emitter};

use crate::link::Sink;
use crate::notify::Notices;
use crate::snapshot::Snapshot;

/// A [`Snapshot`]: the daemon link and ibexd's status.
pub const STATUS: &str = "status";
/// A prompt opened (ibexd's `prompt` event as it is; it holds no secret).
pub const PROMPT: &str = "prompt";
/// A prompt closed: [`PromptClosed`].
pub const PROMPT_CLOSED: &str = "prompt-closed";
/// An error from a tray action, as text.
pub const APP_ERROR: &str = "app-error";
/// The profile list changed (the payload is empty).
pub const PROFILES_CHANGED: &str = "profiles-changed";

/// The payload of [`PROMPT_CLOSED`].
#[derive(Clone, Debug, Serialize)]
pub struct PromptClosed {
    /// The prompt.
    pub prompt_id: PromptId,
    /// `answered`, `cancelled` or `expired`.
    pub reason: CloseReason,
}

/// Sends the event task's news to the window, the tray and the desktop's
/// notifications.
pub struct WindowSink(pub AppHandle, pub std::sync::Mutex<Notices>);

impl WindowSink {
    /// A sink for the app's window.
    pub fn new(app: AppHandle) -> WindowSink {
        WindowSink(app, std::sync::Mutex::new(Notices::default()))
    }
}

/// Shows a prompt: the window comes forward with it.
fn show_prompt(app: &AppHandle, prompt: &Prompt) {
    let _ = app.emit(PROMPT, prompt);
    crate::window::prompt_open(app, true);
    if let Some(n) = Notices::prompt(prompt) {
        crate::notify::show(app, &n);
    }
}

impl Sink for WindowSink {
    fn status(&self, snapshot: &Snapshot) {
        let _ = self.0.emit(STATUS, snapshot);
        crate::credentials::on_status(&self.0, snapshot);
        crate::tray::refresh(&self.0);
        let notice = self
            .1
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .status(snapshot);
        if let Some(n) = notice {
            crate::notify::show(&self.0, &n);
        }
    }

    fn prompt(&self, prompt: &Prompt) {
        // A saved password answers its prompt without the window.
        crate::credentials::on_prompt(&self.0, prompt, show_prompt);
    }

    fn prompt_closed(&self, prompt_id: PromptId, reason: CloseReason, any_open: bool) {
        let _ = self
            .0
            .emit(PROMPT_CLOSED, PromptClosed { prompt_id, reason });
        if !any_open {
            crate::window::prompt_open(&self.0, false);
        }
    }
}
