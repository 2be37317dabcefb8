//! The app's window over WebDriver: elements by the ids docs/app.md lists,
//! bounded waits on what the window shows, and numbered screenshots.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};

use crate::wait_until;
use crate::webdriver::Session;

/// How long the window may take to show a change.
pub const UI_TIMEOUT: Duration = Duration::from_secs(30);

/// The app's window in a WebDriver session.
pub struct Window {
    session: Session,
    shots: PathBuf,
    taken: usize,
}

impl Window {
    /// Wraps `session`; screenshots go to `shots`.
    pub fn new(session: Session, shots: PathBuf) -> Window {
        Window {
            session,
            shots,
            taken: 0,
        }
    }

    /// The WebDriver session itself.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Runs `script` (a function body) in the page.
    pub fn js(&self, script: &str, args: Value) -> Result<Value, String> {
        self.session.execute(script, args)
    }

    /// The element `#id`, waiting for it to exist.
    pub fn el(&self, id: &str) -> String {
        let css = format!("#{id}");
        let mut found = None;
        wait_until(UI_TIMEOUT, Duration::from_millis(100), || {
            found = self.session.find(&css);
            found.is_some()
        });
        found.unwrap_or_else(|| panic!("the window has no {css}"))
    }

    /// The text content of `#id` (also when hidden), trimmed.
    pub fn text(&self, id: &str) -> String {
        self.js(
            "const e = document.getElementById(arguments[0]); return e ? e.textContent.trim() : null;",
            json!([id]),
        )
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
    }

    /// Whether `#id` exists and is not hidden (nor inside a hidden element).
    pub fn shown(&self, id: &str) -> bool {
        self.js(
            "let e = document.getElementById(arguments[0]); if (!e) return false; \
             for (; e; e = e.parentElement) { if (e.hidden) return false; } return true;",
            json!([id]),
        )
        .is_ok_and(|v| v == json!(true))
    }

    /// An attribute of `#id`.
    pub fn attr(&self, id: &str, name: &str) -> Option<String> {
        self.js(
            "const e = document.getElementById(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;",
            json!([id, name]),
        )
        .ok()
        .and_then(|v| v.as_str().map(String::from))
    }

    /// Clicks `#id` once it is shown and enabled.
    pub fn click(&self, id: &str) {
        self.wait(&format!("#{id} enabled"), || {
            self.shown(id)
                && self
                    .js(
                        "return !document.getElementById(arguments[0]).disabled;",
                        json!([id]),
                    )
                    .is_ok_and(|v| v == json!(true))
        });
        let el = self.el(id);
        self.session
            .click(&el)
            .unwrap_or_else(|e| panic!("click #{id}: {e}"));
    }

    /// Types `text` into `#id` as keystrokes.
    /// Retried (element found again) while the driver refuses, e.g. while
    /// the element is being shown; errors never carry `text` (a secret).
    pub fn type_into(&self, id: &str, text: &str) {
        self.wait(&format!("#{id} shown"), || self.shown(id));
        let mut error = String::new();
        let typed = wait_until(UI_TIMEOUT, Duration::from_millis(200), || {
            let el = self.el(id);
            match self.session.send_keys(&el, text) {
                Ok(()) => true,
                Err(e) => {
                    error = e.replace(text, "***");
                    false
                }
            }
        });
        assert!(typed, "typing into #{id} failed: {error}");
    }

    /// Imports the profile file `path` as a person would with the path
    /// field: types it, submits, confirms the import preview, and waits
    /// until the profile `uuid` is listed and selected.
    pub fn import_path(&self, path: &str, uuid: &str) {
        self.type_into("import-path", path);
        self.click("import-path-submit");
        self.wait("the import preview", || self.shown("import-preview"));
        self.click("import-confirm");
        let item = format!("profile-{uuid}");
        self.wait("the imported profile selected", || {
            !self.shown("import-preview")
                && self.attr(&item, "aria-selected").as_deref() == Some("true")
        });
    }

    /// Waits (bounded by [`UI_TIMEOUT`]) until `f` holds; panics with `what`
    /// and a screenshot otherwise.
    pub fn wait(&self, what: &str, f: impl FnMut() -> bool) {
        if !wait_until(UI_TIMEOUT, Duration::from_millis(100), f) {
            let shot = self.save("timeout");
            panic!(
                "the window did not show {what} within {UI_TIMEOUT:?} (screenshot {}; state {:?}, error {:?})",
                shot.display(),
                self.attr("state", "data-state"),
                self.text("error-text"),
            );
        }
    }

    /// Waits until `#state` says `state` (ibexd's state name).
    pub fn wait_state(&self, state: &str) {
        self.wait(&format!("state {state}"), || {
            self.attr("state", "data-state").as_deref() == Some(state)
        });
    }

    /// Saves a screenshot as `NN-name.png` and returns its path.
    pub fn screenshot(&mut self, name: &str) -> PathBuf {
        self.taken += 1;
        let path = self.save(&format!("{:02}-{name}", self.taken));
        println!("[gui] screenshot {}", path.display());
        path
    }

    fn save(&self, name: &str) -> PathBuf {
        let path = self.shots.join(format!("{name}.png"));
        match self.session.screenshot() {
            Ok(png) => {
                if let Err(e) = std::fs::write(&path, png) {
                    eprintln!("[gui] cannot save {}: {e}", path.display());
                }
            }
            Err(e) => eprintln!("[gui] no screenshot {name}: {e}"),
        }
        path
    }
}
