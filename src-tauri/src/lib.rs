//! The Ibex desktop app (`ibex-app`): a Tauri 2 window and tray icon that
//! run as the user and drive `ibexd` over its Unix-socket IPC, reusing the
//! CLI's agent pieces (`ibex_agent`: profiles, credentials, daemon helpers).
//!
//! - [`commands`]: what the window invokes;
//! - [`link`]: the event task (subscribe, forward, reconnect);
//! - [`events`]: what the window receives;
//! - [`tray`]: the tray icon and its menu;
//! - [`window`]: bringing the window forward for prompts.
#![forbid(unsafe_code)]

pub mod actions;
pub mod commands;
pub mod credentials;
pub mod daemon;
pub mod diagnostics;
pub mod error;
pub mod events;
pub mod fido;
pub mod link;
pub mod logs;
pub mod notify;
pub mod profile_commands;
pub mod profile_edit;
pub mod profiles;
pub mod settings;
pub mod settings_commands;
pub mod snapshot;
pub mod state;
pub mod tray;
pub mod window;

use std::sync::{Arc, Mutex};

use tauri::{Manager, WindowEvent};

use crate::daemon::Daemon;
use crate::state::AppState;

/// Starts the app; returns when it quits.
pub fn run() {
    {
        // stderr at RUST_LOG's level; the Logs view keeps info and above.
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        use tracing_subscriber::Layer;
        let stderr = tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "info".into()),
            );
        let _ = tracing_subscriber::registry()
            .with(stderr)
            .with(logs::layer(logs::store()))
            .try_init();
    }
    let socket = ibex_agent::daemon::socket_path(None);
    let daemon = Arc::new(Daemon::new(socket));
    let result = tauri::Builder::default()
        // First: a second start only brings the running app's window forward.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            window::show(app)
        }))
        // The window's size and place, remembered between runs.
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .app_name("Ibex")
                .arg(settings_commands::HIDDEN_ARG)
                .build(),
        )
        .manage(AppState {
            daemon: daemon.clone(),
            tray: Mutex::new(tray::Shown::default()),
            cached: Mutex::new(None),
        })
        .manage(fido::Signing::default())
        .manage(credentials::Passwords::new(Arc::new(
            credentials::SystemKeyring,
        )))
        .invoke_handler(tauri::generate_handler![
            commands::list_profiles,
            commands::import_profile,
            commands::remove_profile,
            commands::connect,
            commands::disconnect,
            commands::status,
            commands::open_prompts,
            commands::answer,
            commands::cancel_prompt,
            profile_commands::preview_import,
            profile_commands::profile_document,
            profile_commands::save_profile,
            profile_commands::duplicate_profile,
            profile_commands::export_profile,
            settings_commands::get_settings,
            settings_commands::set_settings,
            fido::fido_sign,
            fido::fido_pin,
            fido::fido_cancel,
            credentials::answer_password,
            logs::logs,
            diagnostics::export_diagnostics,
        ])
        .setup(move |app| {
            if let Err(e) = tray::create(app.handle()) {
                // No tray on this desktop: the window still works.
                tracing::warn!("no tray icon: {e}");
            }
            if std::env::args().any(|a| a == settings_commands::HIDDEN_ARG) {
                // Started at login: into the tray only.
                if let Some(w) = app.get_webview_window("main") {
                    let _ = w.hide();
                }
            }
            let sink = Arc::new(events::WindowSink::new(app.handle().clone()));
            tauri::async_runtime::spawn(link::run(daemon, sink));
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window hides it; "Quit" in the tray quits.
            if let WindowEvent::CloseRequested { api, .. } = event {
                if window.app_handle().tray_by_id(tray::TRAY_ID).is_some() {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!("the app failed: {e}");
        std::process::exit(1);
    }
}
