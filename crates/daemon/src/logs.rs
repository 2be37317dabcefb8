//! ibexd's log lines for agents: a tracing [`Layer`] that hands every line
//! of the Ibex crates to a [`LogHub`], which keeps the recent ones (a ring,
//! `info` and above) for the `logs` request and forwards new ones to the
//! connections that follow them, each through a bounded queue: an agent
//! that reads too slowly loses lines (it is told how many) and never slows
//! the daemon down or makes it grow.
//!
//! ibexd logs no secret (policy); these lines are the same text.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use ibex_ipc::{Event, LogLevel, LogLine};
use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::filter::{dynamic_filter_fn, LevelFilter};
use tracing_subscriber::layer::{Context, Layer};

/// How many recent lines the ring keeps.
pub const RING_LINES: usize = 500;
/// The least severe level the ring keeps.
pub const RING_LEVEL: LogLevel = LogLevel::Info;
/// How many lines may wait for one agent before new ones are dropped.
pub const QUEUE_LINES: usize = 256;
/// Longer messages are cut to this many bytes.
pub const MAX_MESSAGE: usize = 2048;

/// A following connection.
struct Follower {
    level: LogLevel,
    tx: mpsc::Sender<Event>,
    /// Lines not delivered since the last notice.
    dropped: u64,
}

#[derive(Default)]
struct Inner {
    ring: VecDeque<LogLine>,
    followers: HashMap<u64, Follower>,
}

/// The recent lines and who follows them.
pub struct LogHub {
    inner: Mutex<Inner>,
    /// The most verbose level anyone wants ([`rank`]).
    wanted: AtomicU8,
    capacity: usize,
}

fn rank(l: LogLevel) -> u8 {
    match l {
        LogLevel::Error => 0,
        LogLevel::Warn => 1,
        LogLevel::Info => 2,
        LogLevel::Debug => 3,
        LogLevel::Trace => 4,
    }
}

/// The IPC level of a tracing level.
pub fn level_of(l: &Level) -> LogLevel {
    match *l {
        Level::ERROR => LogLevel::Error,
        Level::WARN => LogLevel::Warn,
        Level::INFO => LogLevel::Info,
        Level::DEBUG => LogLevel::Debug,
        Level::TRACE => LogLevel::Trace,
    }
}

impl Default for LogHub {
    fn default() -> Self {
        LogHub::new(RING_LINES)
    }
}

impl LogHub {
    /// A hub keeping the last `capacity` lines.
    pub fn new(capacity: usize) -> LogHub {
        LogHub {
            inner: Mutex::new(Inner::default()),
            wanted: AtomicU8::new(rank(RING_LEVEL)),
            capacity,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a line at `level` is kept or followed by anyone.
    pub fn wants(&self, level: LogLevel) -> bool {
        rank(level) <= self.wanted.load(Ordering::Relaxed)
    }

    fn rewant(&self, inner: &Inner) {
        let most = inner
            .followers
            .values()
            .map(|f| rank(f.level))
            .chain([rank(RING_LEVEL)])
            .max()
            .unwrap_or(0);
        self.wanted.store(most, Ordering::Relaxed);
    }

    /// Connection `conn` follows lines at `level` and above through `tx`
    /// (replacing an earlier follow); returns the recent lines at that
    /// level, oldest first. Nothing is lost or sent twice between the two.
    pub fn follow(&self, conn: u64, level: LogLevel, tx: mpsc::Sender<Event>) -> Vec<LogLine> {
        let mut inner = self.lock();
        inner.followers.insert(
            conn,
            Follower {
                level,
                tx,
                dropped: 0,
            },
        );
        self.rewant(&inner);
        recent_of(&inner, level)
    }

    /// Connection `conn` no longer follows.
    pub fn unfollow(&self, conn: u64) {
        let mut inner = self.lock();
        inner.followers.remove(&conn);
        self.rewant(&inner);
    }

    /// The recent lines at `level` and above, oldest first.
    pub fn recent(&self, level: LogLevel) -> Vec<LogLine> {
        recent_of(&self.lock(), level)
    }

    /// A new line: kept (at [`RING_LEVEL`] and above) and sent to its
    /// followers without waiting. A follower whose queue is full loses it
    /// and later hears how many it lost.
    pub fn push(&self, line: LogLine) {
        let mut inner = self.lock();
        let mut gone = Vec::new();
        for (conn, f) in inner.followers.iter_mut() {
            if line.level > f.level {
                continue;
            }
            if f.dropped > 0 {
                let notice = LogLine {
                    level: LogLevel::Warn,
                    message: format!(
                        "{} log lines were not sent to this agent: it read them too slowly",
                        f.dropped
                    ),
                    time_ms: line.time_ms,
                    target: Some("ibexd::logs".into()),
                };
                match f.tx.try_send(Event::Log(notice)) {
                    Ok(()) => f.dropped = 0,
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        f.dropped += 1;
                        continue;
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => {
                        gone.push(*conn);
                        continue;
                    }
                }
            }
            match f.tx.try_send(Event::Log(line.clone())) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => f.dropped += 1,
                Err(mpsc::error::TrySendError::Closed(_)) => gone.push(*conn),
            }
        }
        for conn in &gone {
            inner.followers.remove(conn);
        }
        if !gone.is_empty() {
            self.rewant(&inner);
        }
        if line.level <= RING_LEVEL {
            if inner.ring.len() >= self.capacity {
                inner.ring.pop_front();
            }
            inner.ring.push_back(line);
        }
    }

    /// How many lines connection `conn` lost since its last notice.
    pub fn dropped(&self, conn: u64) -> u64 {
        self.lock().followers.get(&conn).map_or(0, |f| f.dropped)
    }
}

fn recent_of(inner: &Inner, level: LogLevel) -> Vec<LogLine> {
    inner
        .ring
        .iter()
        .filter(|l| l.level <= level)
        .cloned()
        .collect()
}

/// The daemon's hub (the one [`layer`] in `main` feeds).
pub fn hub() -> Arc<LogHub> {
    static HUB: OnceLock<Arc<LogHub>> = OnceLock::new();
    HUB.get_or_init(|| Arc::new(LogHub::default())).clone()
}

/// The layer that feeds `hub`: lines of the Ibex crates (targets `ibex…`)
/// at the levels someone wants, never `trace`.
pub fn layer<S>(hub: Arc<LogHub>) -> impl Layer<S>
where
    S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    let wants = hub.clone();
    let filter = dynamic_filter_fn(move |m: &Metadata<'_>, _| {
        m.target().starts_with("ibex") && wants.wants(level_of(m.level()))
    })
    .with_max_level_hint(LevelFilter::DEBUG);
    Forward { hub }.with_filter(filter)
}

/// Hands each event to the hub as a [`LogLine`].
struct Forward {
    hub: Arc<LogHub>,
}

impl<S: Subscriber> Layer<S> for Forward {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let m = event.metadata();
        let mut text = Text::default();
        event.record(&mut text);
        let time_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .ok();
        self.hub.push(LogLine {
            level: level_of(m.level()),
            message: text.finish(),
            time_ms,
            target: Some(m.target().to_string()),
        });
    }
}

/// The message, then the other fields as `key=value`.
#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Text {
    fn finish(self) -> String {
        let mut s = self.message;
        if !self.fields.is_empty() {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(&self.fields);
        }
        cut(s, MAX_MESSAGE)
    }
}

/// `s` cut to at most `max` bytes on a character boundary.
fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.field(field, format_args!("{value}"));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            self.field(field, format_args!("{value:?}"));
        }
    }
}

impl Text {
    fn field(&mut self, field: &Field, value: std::fmt::Arguments<'_>) {
        if !self.fields.is_empty() {
            self.fields.push(' ');
        }
        let _ = write!(self.fields, "{}={}", field.name(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    fn line(level: LogLevel, message: &str) -> LogLine {
        LogLine {
            level,
            message: message.into(),
            time_ms: None,
            target: None,
        }
    }

    fn messages(rx: &mut mpsc::Receiver<Event>) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(Event::Log(l)) = rx.try_recv() {
            out.push(l.message);
        }
        out
    }

    #[test]
    fn the_ring_keeps_the_last_lines_at_info_and_above() {
        let hub = LogHub::new(3);
        for i in 0..5 {
            hub.push(line(LogLevel::Info, &format!("line {i}")));
        }
        hub.push(line(LogLevel::Debug, "too detailed to keep"));
        let kept: Vec<_> = hub
            .recent(LogLevel::Trace)
            .into_iter()
            .map(|l| l.message)
            .collect();
        assert_eq!(kept, ["line 2", "line 3", "line 4"]);
        hub.push(line(LogLevel::Warn, "careful"));
        let warnings = hub.recent(LogLevel::Warn);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].message, "careful");
    }

    #[test]
    fn a_slow_follower_loses_lines_and_hears_how_many() {
        let hub = LogHub::new(10);
        let (tx, mut rx) = mpsc::channel(2);
        hub.follow(1, LogLevel::Info, tx);
        for i in 0..5 {
            hub.push(line(LogLevel::Info, &format!("line {i}")));
        }
        // Two fit, three are lost, and the daemon never waited.
        assert_eq!(hub.dropped(1), 3);
        assert_eq!(messages(&mut rx), ["line 0", "line 1"]);
        hub.push(line(LogLevel::Info, "line 5"));
        let got = messages(&mut rx);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].starts_with("3 log lines were not sent"), "{got:?}");
        assert_eq!(got[1], "line 5");
        assert_eq!(hub.dropped(1), 0);
    }

    #[test]
    fn followers_get_their_level_and_above() {
        let hub = LogHub::new(10);
        assert!(!hub.wants(LogLevel::Debug));
        let (warn_tx, mut warn_rx) = mpsc::channel(8);
        let (debug_tx, mut debug_rx) = mpsc::channel(8);
        hub.follow(1, LogLevel::Warn, warn_tx);
        hub.follow(2, LogLevel::Debug, debug_tx);
        assert!(hub.wants(LogLevel::Debug) && !hub.wants(LogLevel::Trace));
        hub.push(line(LogLevel::Info, "i"));
        hub.push(line(LogLevel::Debug, "d"));
        hub.push(line(LogLevel::Error, "e"));
        assert_eq!(messages(&mut warn_rx), ["e"]);
        assert_eq!(messages(&mut debug_rx), ["i", "d", "e"]);
        hub.unfollow(2);
        assert!(!hub.wants(LogLevel::Debug));
        // A follower that went away is forgotten.
        drop(warn_rx);
        hub.push(line(LogLevel::Error, "e2"));
        assert!(hub.lock().followers.is_empty());
    }

    #[test]
    fn the_layer_forwards_ibex_lines_with_their_fields() {
        let hub = Arc::new(LogHub::new(10));
        let (tx, mut rx) = mpsc::channel(8);
        hub.follow(1, LogLevel::Debug, tx);
        let subscriber = tracing_subscriber::registry().with(layer(hub.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "ibexd::manager", gateway = %"192.0.2.1", round = 2, "signed in");
            tracing::debug!(target: "ibex_ike::session", "details");
            tracing::trace!(target: "ibex_ike::session", "never forwarded");
            tracing::info!(target: "zbus::connection", "not ours");
            tracing::warn!(target: "ibexd::x", "{}", "é".repeat(MAX_MESSAGE));
        });
        let got = messages(&mut rx);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0], "signed in gateway=192.0.2.1 round=2");
        assert_eq!(got[1], "details");
        assert!(got[2].len() <= MAX_MESSAGE + '…'.len_utf8() && got[2].ends_with('…'));
        let kept = hub.recent(LogLevel::Trace);
        assert_eq!(kept.len(), 2, "info and warn kept, debug not");
        assert_eq!(kept[0].target.as_deref(), Some("ibexd::manager"));
        assert!(kept[0].time_ms.is_some());
    }
}
