//! What the tray shows for a [`Snapshot`] and the profile list: its icon,
//! tooltip and menu, as plain data (the menu of the real tray is built
//! from it by [`super::menu`]).

use ibex_agent::daemon::state_name;
use ibex_ipc::ConnectionState;

use crate::profiles::ProfileSummary;
use crate::snapshot::Snapshot;

/// The tray's icon: one per state a person must tell apart at a glance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrayIcon {
    /// No tunnel.
    Disconnected,
    /// Connecting or disconnecting.
    Connecting,
    /// A prompt waits for the person.
    Waiting,
    /// The tunnel is up.
    Connected,
    /// The last attempt failed, or ibexd is not reachable.
    Error,
}

/// One entry of the tray menu.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A line of information (disabled).
    Info {
        /// Its menu id.
        id: String,
        /// Its text.
        text: String,
    },
    /// Something to click.
    Action {
        /// Its menu id ([`Action::parse`] reads it back).
        id: String,
        /// Its text.
        text: String,
        /// Whether it can be clicked now.
        enabled: bool,
    },
    /// A separator.
    Separator,
}

/// What a menu entry does, by its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Connect with a profile (its UUID).
    Connect(String),
    /// Disconnect.
    Disconnect,
    /// Show the window.
    Open,
    /// Quit the app (the tunnel stays as it is: ibexd owns it).
    Quit,
}

impl Action {
    /// The action of a menu id, if it is one.
    pub fn parse(id: &str) -> Option<Action> {
        match id {
            "disconnect" => Some(Action::Disconnect),
            "open" => Some(Action::Open),
            "quit" => Some(Action::Quit),
            _ => id
                .strip_prefix("connect:")
                .map(|uuid| Action::Connect(uuid.to_string())),
        }
    }
}

/// The tray for one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrayModel {
    /// The icon.
    pub icon: TrayIcon,
    /// The tooltip (also the status line of the menu).
    pub tooltip: String,
    /// The menu, top to bottom.
    pub items: Vec<Item>,
}

/// The id of the uptime line, whose text changes every second while
/// connected (updated in place, not by rebuilding the menu).
pub const UPTIME_ID: &str = "uptime";

/// The icon for a snapshot.
pub fn icon(s: &Snapshot) -> TrayIcon {
    if !s.daemon_running {
        return TrayIcon::Error;
    }
    match s.status.state {
        ConnectionState::Disconnected => TrayIcon::Disconnected,
        ConnectionState::Connecting | ConnectionState::Disconnecting => TrayIcon::Connecting,
        ConnectionState::WaitingForUser => TrayIcon::Waiting,
        ConnectionState::Connected => TrayIcon::Connected,
        ConnectionState::Error => TrayIcon::Error,
    }
}

/// `h:mm:ss`, or `m:ss` under an hour.
pub fn uptime(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// The tray for `snapshot` with `profiles`.
pub fn model(profiles: &[ProfileSummary], s: &Snapshot) -> TrayModel {
    let active = s.status.profile.as_ref().filter(|_| s.busy());
    let tooltip = if !s.daemon_running {
        "Ibex: the Ibex service (ibexd) is not reachable".to_string()
    } else {
        match active {
            Some(p) => format!("Ibex: {} ({})", state_name(s.status.state), p.name),
            None => format!("Ibex: {}", state_name(s.status.state)),
        }
    };
    let mut items = vec![Item::Info {
        id: "status".into(),
        text: tooltip.trim_start_matches("Ibex: ").to_string(),
    }];
    if s.status.state == ConnectionState::Connected {
        if !s.status.virtual_ips.is_empty() {
            let ips: Vec<String> = s.status.virtual_ips.iter().map(|a| a.to_string()).collect();
            items.push(Item::Info {
                id: "virtual-ip".into(),
                text: format!("Address: {}", ips.join(", ")),
            });
        }
        items.push(Item::Info {
            id: UPTIME_ID.into(),
            text: format!("Up {}", uptime(s.status.uptime_s)),
        });
    }
    items.push(Item::Separator);
    for p in profiles {
        if active.is_some_and(|a| a.uuid == p.uuid) {
            items.push(Item::Action {
                id: "disconnect".into(),
                text: format!("Disconnect {}", p.name),
                enabled: s.status.state != ConnectionState::Disconnecting,
            });
        } else {
            items.push(Item::Action {
                id: format!("connect:{}", p.uuid),
                text: format!("Connect {}", p.name),
                enabled: s.daemon_running && active.is_none(),
            });
        }
    }
    if profiles.is_empty() {
        items.push(Item::Info {
            id: "no-profiles".into(),
            text: "No profiles: import one in the window".into(),
        });
    }
    items.push(Item::Separator);
    items.push(Item::Action {
        id: "open".into(),
        text: "Open Ibex".into(),
        enabled: true,
    });
    items.push(Item::Action {
        id: "quit".into(),
        text: "Quit".into(),
        enabled: true,
    });
    TrayModel {
        icon: icon(s),
        tooltip,
        items,
    }
}

/// Whether `a` and `b` differ only in the uptime line's text (the menu
/// can then be updated in place).
pub fn same_shape(a: &TrayModel, b: &TrayModel) -> bool {
    a.icon == b.icon
        && a.tooltip == b.tooltip
        && a.items.len() == b.items.len()
        && a.items.iter().zip(&b.items).all(|(x, y)| match (x, y) {
            (Item::Info { id: i, .. }, Item::Info { id: j, .. }) if i == UPTIME_ID => {
                j == UPTIME_ID
            }
            _ => x == y,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ibex_ipc::{ProfileRef, Status};

    fn profiles() -> Vec<ProfileSummary> {
        ["Home", "Work"]
            .iter()
            .map(|n| ProfileSummary {
                uuid: format!("uuid-{n}"),
                name: n.to_string(),
                gateway: "vpn.example.test".into(),
                auth: "eap",
            })
            .collect()
    }

    fn snapshot(state: ConnectionState) -> Snapshot {
        let mut s = Snapshot::initial("/run/ibex/ibexd.sock".into());
        let mut st = Status::disconnected();
        st.state = state;
        if state != ConnectionState::Disconnected {
            st.profile = Some(ProfileRef {
                uuid: "uuid-Work".into(),
                name: "Work".into(),
            });
        }
        s.daemon_up(st);
        s
    }

    fn ids(m: &TrayModel) -> Vec<(String, bool)> {
        m.items
            .iter()
            .filter_map(|i| match i {
                Item::Action { id, enabled, .. } => Some((id.clone(), *enabled)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn disconnected_offers_every_profile() {
        let m = model(&profiles(), &snapshot(ConnectionState::Disconnected));
        assert_eq!(m.icon, TrayIcon::Disconnected);
        assert_eq!(m.tooltip, "Ibex: disconnected");
        assert_eq!(
            ids(&m),
            [
                ("connect:uuid-Home".into(), true),
                ("connect:uuid-Work".into(), true),
                ("open".into(), true),
                ("quit".into(), true)
            ]
        );
    }

    #[test]
    fn connected_shows_address_uptime_and_disconnect() {
        let mut s = snapshot(ConnectionState::Connected);
        s.status.virtual_ips = vec!["10.99.0.2".parse().unwrap()];
        s.status.uptime_s = 3725;
        let m = model(&profiles(), &s);
        assert_eq!(m.icon, TrayIcon::Connected);
        assert_eq!(m.tooltip, "Ibex: connected (Work)");
        assert!(m.items.contains(&Item::Info {
            id: "virtual-ip".into(),
            text: "Address: 10.99.0.2".into()
        }));
        assert!(m.items.contains(&Item::Info {
            id: UPTIME_ID.into(),
            text: "Up 1:02:05".into()
        }));
        assert_eq!(
            ids(&m),
            [
                ("connect:uuid-Home".into(), false),
                ("disconnect".into(), true),
                ("open".into(), true),
                ("quit".into(), true)
            ]
        );
        // A second later only the uptime changed: updated in place.
        s.status.uptime_s += 1;
        let later = model(&profiles(), &s);
        assert_ne!(m, later);
        assert!(same_shape(&m, &later));
        s.status.virtual_ips.clear();
        assert!(!same_shape(&m, &model(&profiles(), &s)));
    }

    #[test]
    fn each_state_has_its_icon() {
        use ConnectionState as C;
        let icons: Vec<TrayIcon> = [
            C::Disconnected,
            C::Connecting,
            C::WaitingForUser,
            C::Connected,
            C::Error,
        ]
        .into_iter()
        .map(|c| icon(&snapshot(c)))
        .collect();
        assert_eq!(
            icons,
            [
                TrayIcon::Disconnected,
                TrayIcon::Connecting,
                TrayIcon::Waiting,
                TrayIcon::Connected,
                TrayIcon::Error
            ]
        );
        let mut down = snapshot(C::Connected);
        down.daemon_down("gone".into());
        let m = model(&profiles(), &down);
        assert_eq!(m.icon, TrayIcon::Error);
        assert!(ids(&m).contains(&("connect:uuid-Work".into(), false)));
    }

    #[test]
    fn menu_ids_parse_back() {
        assert_eq!(
            Action::parse("connect:uuid-Work"),
            Some(Action::Connect("uuid-Work".into()))
        );
        assert_eq!(Action::parse("disconnect"), Some(Action::Disconnect));
        assert_eq!(Action::parse("open"), Some(Action::Open));
        assert_eq!(Action::parse("quit"), Some(Action::Quit));
        assert_eq!(Action::parse("status"), None);
        assert_eq!(uptime(59), "0:59");
    }
}
