//! Desktop notifications: connected, disconnected, a failed connection, and
//! "approve on your phone" for push prompts. [`Notices`] decides (a pure
//! model, unit-tested); [`show`] hands a notice to the desktop.

use ibex_ipc::{ConnectionState, Prompt, PromptKind};
use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;

use crate::snapshot::Snapshot;

/// One notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// Its title.
    pub title: String,
    /// Its text.
    pub body: String,
}

/// Remembers the last state, to notify on changes only.
#[derive(Debug, Default)]
pub struct Notices {
    last: Option<ConnectionState>,
}

impl Notices {
    /// The notice for a new status, if its state changed in a way worth
    /// telling: connected, disconnected after being connected, failed.
    pub fn status(&mut self, s: &Snapshot) -> Option<Notice> {
        let now = s.status.state;
        let before = self.last.replace(now);
        if before == Some(now) || before.is_none() && now == ConnectionState::Disconnected {
            return None;
        }
        let profile = s
            .status
            .profile
            .as_ref()
            .map_or("VPN".to_string(), |p| p.name.clone());
        match now {
            ConnectionState::Connected => Some(Notice {
                title: format!("Connected to {profile}"),
                body: match s.status.virtual_ips.first() {
                    Some(ip) => format!("Your address in the tunnel is {ip}."),
                    None => "The tunnel is up.".into(),
                },
            }),
            ConnectionState::Disconnected if before == Some(ConnectionState::Connected) => {
                Some(Notice {
                    title: "Disconnected".into(),
                    body: s
                        .reason
                        .clone()
                        .unwrap_or_else(|| "The tunnel is closed.".into()),
                })
            }
            ConnectionState::Error => Some(Notice {
                title: "Connection failed".into(),
                body: s
                    .reason
                    .clone()
                    .unwrap_or_else(|| "See the Ibex window for details.".into()),
            }),
            _ => None,
        }
    }

    /// The notice for a prompt: only a push approval, which happens on
    /// another device and must not go unnoticed.
    pub fn prompt(p: &Prompt) -> Option<Notice> {
        if p.kind != PromptKind::Push {
            return None;
        }
        Some(Notice {
            title: "Approve the sign-in on your phone".into(),
            body: match &p.number_to_match {
                Some(n) => format!("Check that your phone shows {n}."),
                None => "Your authenticator app is asking.".into(),
            },
        })
    }
}

/// Shows a notice; a desktop without a notification service shows nothing.
pub fn show(app: &AppHandle, n: &Notice) {
    if let Err(e) = app
        .notification()
        .builder()
        .title(&n.title)
        .body(&n.body)
        .show()
    {
        tracing::debug!("no desktop notification: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ibex_ipc::Status;

    fn snap(state: ConnectionState, reason: Option<&str>) -> Snapshot {
        let mut s = Snapshot::initial("/run/ibex/ibexd.sock".into());
        let mut status = Status::disconnected();
        status.state = state;
        status.virtual_ips = vec!["10.99.10.2".parse().unwrap()];
        s.daemon_up(status);
        s.reason = reason.map(str::to_string);
        s
    }

    #[test]
    fn tells_state_changes_once() {
        let mut n = Notices::default();
        assert_eq!(n.status(&snap(ConnectionState::Disconnected, None)), None);
        assert_eq!(n.status(&snap(ConnectionState::Connecting, None)), None);
        let up = n.status(&snap(ConnectionState::Connected, None)).unwrap();
        assert!(up.body.contains("10.99.10.2"), "{up:?}");
        assert_eq!(n.status(&snap(ConnectionState::Connected, None)), None);
        let down = n
            .status(&snap(ConnectionState::Disconnected, Some("disconnected")))
            .unwrap();
        assert_eq!(down.title, "Disconnected");
        assert_eq!(n.status(&snap(ConnectionState::Connecting, None)), None);
        let failed = n
            .status(&snap(ConnectionState::Error, Some("authentication failed")))
            .unwrap();
        assert_eq!(failed.body, "authentication failed");
        // A failed attempt that never connected ends without "Disconnected".
        assert_eq!(n.status(&snap(ConnectionState::Disconnected, None)), None);
    }

    #[test]
    fn push_prompts_ask_to_look_at_the_phone() {
        let mut p: Prompt = serde_json::from_value(serde_json::json!({
            "prompt_id": 1, "kind": "push", "number_to_match": "42"
        }))
        .unwrap();
        assert!(Notices::prompt(&p).unwrap().body.contains("42"));
        p.kind = PromptKind::Otp;
        assert_eq!(Notices::prompt(&p), None);
    }
}
