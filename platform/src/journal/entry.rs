//! What one journal entry records: enough to undo that change exactly, even from
//! another process after the one that made it was killed.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::prefix::IpPrefix;

/// One change made to the system, in the order it was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum JournalEntry {
    /// A TUN device was created (it vanishes with its file descriptor).
    Tun(TunRecord),
    /// A route was added.
    Route(RouteRecord),
    /// Per-link DNS was set through systemd-resolved.
    ResolvedLink(ResolvedRecord),
    /// A resolv.conf file was replaced.
    ResolvConf(ResolvConfRecord),
}

impl fmt::Display for JournalEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JournalEntry::Tun(t) => write!(f, "TUN device {} (index {})", t.name, t.index),
            JournalEntry::Route(r) => write!(f, "route {r}"),
            JournalEntry::ResolvedLink(r) => write!(f, "systemd-resolved DNS on {}", r.ifname),
            JournalEntry::ResolvConf(r) => write!(f, "replaced {}", r.path.display()),
        }
    }
}

/// A TUN device we created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TunRecord {
    /// Interface name.
    pub name: String,
    /// Interface index at creation (0 where the OS has none to report).
    pub index: u32,
}

/// A route we added (Linux main table unless `table` says otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteRecord {
    /// Destination prefix.
    pub destination: IpPrefix,
    /// Next hop, when the route goes via a gateway.
    pub gateway: Option<IpAddr>,
    /// Output interface index.
    pub ifindex: u32,
    /// Output interface name (for logs and humans).
    pub ifname: String,
    /// Routing table id.
    pub table: u32,
    /// `rtm_protocol` the route was added with (marks it as ours).
    pub protocol: u8,
    /// `rtm_scope` the route was added with.
    pub scope: u8,
    /// Metric, when one was set explicitly.
    pub metric: Option<u32>,
}

impl fmt::Display for RouteRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.destination)?;
        if let Some(gw) = self.gateway {
            write!(f, " via {gw}")?;
        }
        write!(f, " dev {}", self.ifname)?;
        if let Some(m) = self.metric {
            write!(f, " metric {m}")?;
        }
        if self.table != crate::journal::MAIN_TABLE {
            write!(f, " table {}", self.table)?;
        }
        Ok(())
    }
}

/// DNS settings pushed to systemd-resolved for one link (`resolvectl revert` undoes them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedRecord {
    /// The link (the TUN device).
    pub ifname: String,
}

/// A resolv.conf-style file we replaced, with what was there before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvConfRecord {
    /// The file (normally `/etc/resolv.conf`).
    pub path: PathBuf,
    /// What the path was before we touched it.
    pub original: OriginalFile,
    /// The bytes we wrote (to notice when someone else rewrote the file meanwhile).
    #[serde(with = "super::hex")]
    pub written: Vec<u8>,
}

/// The state of a path before it was replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OriginalFile {
    /// Nothing existed at the path.
    Missing,
    /// A symbolic link (its target exactly as stored, relative or absolute).
    Symlink {
        /// The link's target.
        target: PathBuf,
    },
    /// A regular file.
    File {
        /// The file's bytes.
        #[serde(with = "super::hex")]
        content: Vec<u8>,
        /// Permission bits (`st_mode & 0o7777`).
        mode: u32,
        /// Owner uid.
        uid: u32,
        /// Owner gid.
        gid: u32,
    },
}
