//! The tray icon (Tauri's `tray-icon`: a StatusNotifierItem with a
//! dbusmenu on Linux, through libayatana-appindicator), kept in step with
//! the snapshot and the profile list.

mod menu;
pub mod model;

pub use menu::{create, refresh, Shown, TRAY_ID};
