//! [`Snapshot`]: everything the window and the tray show about the
//! connection, as the `status` event and command carry it.

use ibex_ipc::{ConnectionState, Counters, Status};
use serde::Serialize;

/// The daemon link and the daemon's status, flattened into one object for
/// the window: `daemon_running`, `socket`, `daemon_error`, `reason`, then
/// the fields of ibexd's `status` response (docs/ipc.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// The app is connected and subscribed to ibexd.
    pub daemon_running: bool,
    /// The socket the app uses.
    pub socket: String,
    /// Why ibexd cannot be reached, while it cannot.
    pub daemon_error: Option<String>,
    /// The reason of the last state change (e.g. why an attempt failed).
    pub reason: Option<String>,
    /// ibexd's status.
    #[serde(flatten)]
    pub status: Status,
}

impl Snapshot {
    /// Before the first contact with ibexd.
    pub fn initial(socket: String) -> Snapshot {
        Snapshot {
            daemon_running: false,
            socket,
            daemon_error: None,
            reason: None,
            status: Status::disconnected(),
        }
    }

    /// The daemon is gone: nothing of its status holds any more.
    pub fn daemon_down(&mut self, error: String) {
        self.daemon_running = false;
        self.daemon_error = Some(error);
        self.reason = None;
        self.status = Status::disconnected();
    }

    /// A fresh status from the daemon.
    pub fn daemon_up(&mut self, status: Status) {
        self.daemon_running = true;
        self.daemon_error = None;
        self.status = status;
    }

    /// A `stats` event: the counters of the running tunnel.
    pub fn stats(&mut self, uptime_s: u64, counters: Counters) {
        self.status.uptime_s = uptime_s;
        self.status.counters = counters;
    }

    /// The tunnel is up or on its way (a profile is busy).
    pub fn busy(&self) -> bool {
        !matches!(
            self.status.state,
            ConnectionState::Disconnected | ConnectionState::Error
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_the_status_for_the_window() {
        let mut s = Snapshot::initial("/run/ibex/ibexd.sock".into());
        s.daemon_up(Status::disconnected());
        s.stats(
            3,
            Counters {
                bytes_in: 10,
                ..Counters::default()
            },
        );
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["daemon_running"], true);
        assert_eq!(v["state"], "disconnected");
        assert_eq!(v["uptime_s"], 3);
        assert_eq!(v["bytes_in"], 10);
        assert!(!s.busy());
        s.daemon_down("gone".into());
        assert_eq!(s.daemon_error.as_deref(), Some("gone"));
        assert_eq!(s.status.uptime_s, 0);
    }
}
