//! The app's tray menu as a person's tray host would use it: the
//! StatusNotifierItem's `com.canonical.dbusmenu` object, which
//! libayatana-appindicator publishes on the session bus even when no tray
//! host runs. Read with `GetLayout`, clicked with `Event(id, "clicked")`,
//! through `busctl --user` in the desktop's D-Bus session.

use std::time::Duration;

use serde_json::Value;

use super::desktop::Desktop;
use crate::{run_ok, wait_until};

const BUSCTL_TIMEOUT: Duration = Duration::from_secs(10);

/// One item of the menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuItem {
    /// The dbusmenu item id (what `Event` takes).
    pub id: i64,
    /// Its label (mnemonic underscores removed).
    pub label: String,
    /// Whether it can be clicked.
    pub enabled: bool,
}

/// The tray's menu object on the session bus.
pub struct TrayMenu<'a> {
    desktop: &'a Desktop,
    /// The app's unique bus name.
    pub bus_name: String,
    /// The menu's object path (`/org/ayatana/NotificationItem/<id>/Menu`).
    pub path: String,
}

impl<'a> TrayMenu<'a> {
    /// Finds the menu among the session bus's connections (bounded by `timeout`).
    pub fn find(desktop: &'a Desktop, timeout: Duration) -> Result<TrayMenu<'a>, String> {
        let mut found = None;
        wait_until(timeout, Duration::from_millis(250), || {
            found = find_once(desktop);
            found.is_some()
        });
        let (bus_name, path) =
            found.ok_or("no dbusmenu object of a StatusNotifierItem on the session bus")?;
        Ok(TrayMenu {
            desktop,
            bus_name,
            path,
        })
    }

    /// The menu's items, flattened in order.
    pub fn items(&self) -> Result<Vec<MenuItem>, String> {
        let out = busctl(
            self.desktop,
            &[
                "call",
                &self.bus_name,
                &self.path,
                "com.canonical.dbusmenu",
                "GetLayout",
                "iias",
                "0",
                "-1",
                "0",
            ],
        )?;
        let v: Value =
            serde_json::from_str(out.trim()).map_err(|e| format!("GetLayout: {e}: {out}"))?;
        let mut items = Vec::new();
        walk(&v["data"][1], &mut items);
        Ok(items)
    }

    /// Waits (bounded by `timeout`) for an item labelled `label` and returns it.
    pub fn wait_item(&self, label: &str, timeout: Duration) -> Result<MenuItem, String> {
        let mut last = Ok(Vec::new());
        let mut item = None;
        wait_until(timeout, Duration::from_millis(200), || {
            last = self.items();
            item = last
                .as_ref()
                .ok()
                .and_then(|l| l.iter().find(|i| i.label == label).cloned());
            item.is_some()
        });
        item.ok_or_else(|| format!("no tray item {label:?}; the menu: {last:?}"))
    }

    /// Clicks the enabled item labelled `label`, as a tray host does.
    pub fn click(&self, label: &str) -> Result<(), String> {
        let item = self.wait_item(label, Duration::from_secs(10))?;
        if !item.enabled {
            return Err(format!("tray item {label:?} is disabled"));
        }
        let id = item.id.to_string();
        busctl(
            self.desktop,
            &[
                "call",
                &self.bus_name,
                &self.path,
                "com.canonical.dbusmenu",
                "Event",
                "isvu",
                &id,
                "clicked",
                "s",
                "",
                "0",
            ],
        )
        .map(|_| ())
    }
}

/// `busctl --user --json=short -- ARGS` (the `--`: `GetLayout` takes a `-1`).
fn busctl(desktop: &Desktop, args: &[&str]) -> Result<String, String> {
    let mut full = vec!["busctl", "--user", "--no-pager", "--json=short", "--"];
    full.extend_from_slice(args);
    run_ok(&mut desktop.command(&full), BUSCTL_TIMEOUT)
}

/// The object paths `name` serves (`busctl --user tree --list NAME`).
fn objects(desktop: &Desktop, name: &str) -> Result<String, String> {
    let full = ["busctl", "--user", "--no-pager", "--list", "tree", name];
    run_ok(&mut desktop.command(&full), BUSCTL_TIMEOUT)
}

/// The first connection with a StatusNotifierItem menu object: (name, path).
fn find_once(desktop: &Desktop) -> Option<(String, String)> {
    let out = busctl(
        desktop,
        &[
            "call",
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "ListNames",
        ],
    )
    .ok()?;
    let v: Value = serde_json::from_str(out.trim()).ok()?;
    let names = v["data"][0].as_array()?;
    for name in names.iter().filter_map(Value::as_str) {
        if !name.starts_with(':') {
            continue;
        }
        let Ok(tree) = objects(desktop, name) else {
            continue;
        };
        if let Some(path) = tree
            .lines()
            .map(str::trim)
            .find(|p| p.contains("/NotificationItem/") && p.ends_with("/Menu"))
        {
            return Some((name.to_string(), path.to_string()));
        }
    }
    None
}

/// `(ia{sv}av)` as busctl's JSON: `[id, {prop: {type, data}}, [{type, data: child}]]`.
fn walk(node: &Value, out: &mut Vec<MenuItem>) {
    let Some(id) = node[0].as_i64() else {
        return;
    };
    let props = &node[1];
    if let Some(label) = props["label"]["data"].as_str() {
        out.push(MenuItem {
            id,
            label: label.replace('_', ""),
            enabled: props["enabled"]["data"].as_bool().unwrap_or(true),
        });
    }
    for child in node[2].as_array().into_iter().flatten() {
        walk(&child["data"], out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_busctl_json_layouts() {
        let layout: Value = serde_json::from_str(
            r#"{"type":"u(ia{sv}av)","data":[7,[0,{"children-display":{"type":"s","data":"submenu"}},[
              {"type":"(ia{sv}av)","data":[1,{"label":{"type":"s","data":"Disconnected"},"enabled":{"type":"b","data":false}},[]]},
              {"type":"(ia{sv}av)","data":[2,{"type":{"type":"s","data":"separator"}},[]]},
              {"type":"(ia{sv}av)","data":[3,{"label":{"type":"s","data":"Connect Lab_push"}},[]]}
            ]]]}"#,
        )
        .unwrap();
        let mut items = Vec::new();
        walk(&layout["data"][1], &mut items);
        assert_eq!(
            items,
            vec![
                MenuItem {
                    id: 1,
                    label: "Disconnected".into(),
                    enabled: false
                },
                MenuItem {
                    id: 3,
                    label: "Connect Labpush".into(),
                    enabled: true
                },
            ]
        );
    }
}
