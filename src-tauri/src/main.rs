//! `ibex-app`: the Ibex desktop app (window + tray icon), run as the user.
#![forbid(unsafe_code)]
// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    ibex_app::run();
}
