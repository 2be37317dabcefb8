//! The real tray: built from a [`TrayModel`] and rebuilt only when its
//! shape changes (the uptime line is updated in place).

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon as Tray, TrayIconBuilder};
use tauri::{AppHandle, Manager};

use super::model::{self, Action, Item, TrayIcon, TrayModel, UPTIME_ID};
use crate::state::AppState;

/// The tray's id.
pub const TRAY_ID: &str = "ibex";

/// What the tray last showed, to update it in place when possible.
#[derive(Default)]
pub struct Shown {
    model: Option<TrayModel>,
    uptime: Option<MenuItem<tauri::Wry>>,
}

fn image(icon: TrayIcon) -> Image<'static> {
    match icon {
        TrayIcon::Disconnected => tauri::include_image!("icons/tray/disconnected.png"),
        TrayIcon::Connecting => tauri::include_image!("icons/tray/connecting.png"),
        TrayIcon::Waiting => tauri::include_image!("icons/tray/waiting.png"),
        TrayIcon::Connected => tauri::include_image!("icons/tray/connected.png"),
        TrayIcon::Error => tauri::include_image!("icons/tray/error.png"),
    }
}

/// The menu for `m`, and its uptime line if it has one.
fn build_menu(
    app: &AppHandle,
    m: &TrayModel,
) -> tauri::Result<(Menu<tauri::Wry>, Option<MenuItem<tauri::Wry>>)> {
    let menu = Menu::new(app)?;
    let mut uptime = None;
    for item in &m.items {
        match item {
            Item::Info { id, text } => {
                let it = MenuItem::with_id(app, id.as_str(), text, false, None::<&str>)?;
                menu.append(&it)?;
                if id == UPTIME_ID {
                    uptime = Some(it);
                }
            }
            Item::Action { id, text, enabled } => {
                let it = MenuItem::with_id(app, id.as_str(), text, *enabled, None::<&str>)?;
                menu.append(&it)?;
            }
            Item::Separator => menu.append(&PredefinedMenuItem::separator(app)?)?,
        }
    }
    Ok((menu, uptime))
}

/// Creates the tray for the current state.
pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let m = current(app);
    let (menu, uptime) = build_menu(app, &m)?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(image(m.icon))
        .tooltip(&m.tooltip)
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()))
        .build(app)?;
    let state = app.state::<AppState>();
    let mut shown = state.tray.lock().unwrap_or_else(|e| e.into_inner());
    shown.model = Some(m);
    shown.uptime = uptime;
    Ok(())
}

/// The model for what the app knows now.
fn current(app: &AppHandle) -> TrayModel {
    let state = app.state::<AppState>();
    let profiles = state.cached_profiles();
    model::model(&profiles, &state.daemon.snapshot())
}

/// Brings the tray up to date (after a status change or a profile change).
pub fn refresh(app: &AppHandle) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let m = current(app);
    let state = app.state::<AppState>();
    let mut shown = state.tray.lock().unwrap_or_else(|e| e.into_inner());
    if shown.model.as_ref() == Some(&m) {
        return;
    }
    if let (Some(old), Some(uptime)) = (&shown.model, &shown.uptime) {
        if model::same_shape(old, &m) {
            if let Some(Item::Info { text, .. }) = m
                .items
                .iter()
                .find(|i| matches!(i, Item::Info { id, .. } if id == UPTIME_ID))
            {
                let _ = uptime.set_text(text);
            }
            shown.model = Some(m);
            return;
        }
    }
    if let Err(e) = apply(app, &tray, &m, &mut shown) {
        tracing::warn!("cannot update the tray: {e}");
    }
}

fn apply(app: &AppHandle, tray: &Tray, m: &TrayModel, shown: &mut Shown) -> tauri::Result<()> {
    let (menu, uptime) = build_menu(app, m)?;
    tray.set_menu(Some(menu))?;
    tray.set_icon(Some(image(m.icon)))?;
    tray.set_tooltip(Some(&m.tooltip))?;
    shown.model = Some(m.clone());
    shown.uptime = uptime;
    Ok(())
}

/// A click in the tray menu.
fn on_menu(app: &AppHandle, id: &str) {
    let Some(action) = Action::parse(id) else {
        return;
    };
    match action {
        Action::Open => crate::window::show(app),
        Action::Quit => app.exit(0),
        Action::Connect(uuid) => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let state = app.state::<AppState>();
                let r = match state.store() {
                    Ok(store) => crate::actions::connect(&state.daemon, &store, &uuid).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = r {
                    crate::window::show_error(&app, &e.to_string());
                }
            });
        }
        Action::Disconnect => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let state = app.state::<AppState>();
                if let Err(e) = crate::actions::disconnect(&state.daemon).await {
                    crate::window::show_error(&app, &e.to_string());
                }
            });
        }
    }
}
