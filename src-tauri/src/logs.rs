//! The Logs view's lines: the last [`KEEP`] lines of ibexd's `log` events
//! and of the app's own log, in memory only, for the window (`logs`
//! command) and the diagnostics bundle. Neither holds secrets (ibexd's and
//! the app's logs never log one); the bundle still redacts
//! ([`crate::diagnostics`]).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use ibex_ipc::{LogLevel, LogLine};
use serde::Serialize;
use tracing::field::{Field, Visit};
use tracing::{Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// How many lines the view keeps (ibexd's and the app's together).
pub const KEEP: usize = 1000;
/// Longer messages are cut to this many bytes.
const MAX_MESSAGE: usize = 2048;

/// Where a line comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// ibexd (its `log` events).
    Ibexd,
    /// This app.
    App,
}

/// One line of the Logs view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ViewLine {
    /// ibexd or the app.
    pub source: Source,
    /// Severity (`error` … `trace`).
    pub level: LogLevel,
    /// The text.
    pub message: String,
    /// Milliseconds since the UNIX epoch, when known.
    pub time_ms: Option<u64>,
    /// Where in the program (tracing target), when known.
    pub target: Option<String>,
}

/// The last lines, oldest first.
#[derive(Debug)]
pub struct Logs {
    lines: Mutex<VecDeque<ViewLine>>,
    keep: usize,
}

impl Default for Logs {
    fn default() -> Self {
        Logs::new(KEEP)
    }
}

impl Logs {
    /// Keeps the last `keep` lines.
    pub fn new(keep: usize) -> Logs {
        Logs {
            lines: Mutex::new(VecDeque::new()),
            keep,
        }
    }

    /// Adds a line, forgetting the oldest beyond the limit.
    pub fn push(&self, line: ViewLine) {
        let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        if lines.len() >= self.keep {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    /// A line of ibexd.
    pub fn push_daemon(&self, l: LogLine) {
        self.push(ViewLine {
            source: Source::Ibexd,
            level: l.level,
            message: cut(l.message),
            time_ms: l.time_ms,
            target: l.target,
        });
    }

    /// ibexd's recent lines (its answer to `logs` after the link came up):
    /// they replace the ibexd lines kept from before, which they repeat.
    pub fn replace_daemon(&self, recent: Vec<LogLine>) {
        {
            let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
            lines.retain(|l| l.source != Source::Ibexd);
        }
        for l in recent {
            self.push_daemon(l);
        }
    }

    /// Every line kept, oldest first.
    pub fn lines(&self) -> Vec<ViewLine> {
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<_> = lines.iter().cloned().collect();
        // ibexd's recent lines arrive after the app's own: order by time.
        v.sort_by_key(|l| l.time_ms.unwrap_or(0));
        v
    }
}

/// The Logs view's lines, oldest first (ibexd's and the app's).
#[tauri::command]
pub async fn logs() -> Result<Vec<ViewLine>, String> {
    Ok(store().lines())
}

/// The app's log store (fed by [`layer`] and the event task).
pub fn store() -> Arc<Logs> {
    static STORE: OnceLock<Arc<Logs>> = OnceLock::new();
    STORE.get_or_init(|| Arc::new(Logs::default())).clone()
}

/// The app's own lines at `info` and above into `logs`.
pub fn layer<S: Subscriber>(logs: Arc<Logs>) -> impl Layer<S> {
    Own { logs }
}

struct Own {
    logs: Arc<Logs>,
}

impl<S: Subscriber> Layer<S> for Own {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let m = event.metadata();
        if *m.level() > Level::INFO || !m.target().starts_with("ibex") {
            return;
        }
        let mut text = Text::default();
        event.record(&mut text);
        self.logs.push(ViewLine {
            source: Source::App,
            level: match *m.level() {
                Level::ERROR => LogLevel::Error,
                Level::WARN => LogLevel::Warn,
                _ => LogLevel::Info,
            },
            message: cut(text.0),
            time_ms: now_ms(),
            target: Some(m.target().to_string()),
        });
    }
}

/// Milliseconds since the UNIX epoch.
pub fn now_ms() -> Option<u64> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .map(|d| d.as_millis() as u64)
}

/// The message, then the fields as `key=value`.
#[derive(Default)]
struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, "{}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, "{}={value}", field.name());
        }
    }
}

fn cut(mut s: String) -> String {
    if s.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    fn daemon_line(message: &str, time_ms: u64) -> LogLine {
        LogLine {
            level: LogLevel::Info,
            message: message.into(),
            time_ms: Some(time_ms),
            target: None,
        }
    }

    #[test]
    fn keeps_the_last_lines_in_time_order() {
        let logs = Logs::new(3);
        for i in 0..5 {
            logs.push_daemon(daemon_line(&format!("d{i}"), 10 + i));
        }
        let got: Vec<_> = logs.lines().into_iter().map(|l| l.message).collect();
        assert_eq!(got, ["d2", "d3", "d4"]);
        // After a reconnect ibexd's recent lines replace its old ones.
        logs.replace_daemon(vec![daemon_line("d3", 13), daemon_line("d4", 14)]);
        let got: Vec<_> = logs.lines().into_iter().map(|l| l.message).collect();
        assert_eq!(got, ["d3", "d4"]);
    }

    #[test]
    fn the_app_layer_keeps_its_own_lines_at_info_and_above() {
        let logs = Arc::new(Logs::new(10));
        let subscriber = tracing_subscriber::registry().with(layer(logs.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "ibex_app::link", socket = "/run/ibex/ibexd.sock", "connected to ibexd");
            tracing::debug!(target: "ibex_app::link", "detail");
            tracing::warn!(target: "tao::platform", "not ours");
        });
        let got = logs.lines();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].source, Source::App);
        assert_eq!(
            got[0].message,
            "connected to ibexd socket=/run/ibex/ibexd.sock"
        );
    }
}
