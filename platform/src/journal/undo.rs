//! Undoing one journal entry. "Already undone" (the route, link or DNS setting is
//! gone) is success: undo must be idempotent and work after a crash.

use super::JournalEntry;
use crate::error::Result;

#[cfg(target_os = "linux")]
use crate::netlink::{errno, nl_error, Netlink, ENODEV, ENOENT, ESRCH};

/// State shared by the undo steps of one [`Journal::undo`](super::Journal::undo)
/// call (a netlink connection, opened on first need).
#[derive(Debug, Default)]
pub(crate) struct UndoContext {
    #[cfg(target_os = "linux")]
    nl: Option<Netlink>,
}

#[cfg(target_os = "linux")]
impl UndoContext {
    fn netlink(&mut self) -> Result<&Netlink> {
        if self.nl.is_none() {
            self.nl = Some(Netlink::connect()?);
        }
        match &self.nl {
            Some(nl) => Ok(nl),
            None => Err(crate::PlatformError::Unsupported("netlink")),
        }
    }

    /// Undo `entry`.
    pub(crate) async fn undo(&mut self, entry: &JournalEntry) -> Result<()> {
        match entry {
            JournalEntry::Tun(t) => {
                let nl = self.netlink()?;
                match nl.link_by_name(&t.name).await? {
                    Some(link) if link.is_tun && link.index == t.index => {
                        nl.delete_link(link.index).await?;
                        Ok(())
                    }
                    Some(link) => {
                        tracing::debug!(name = %t.name, index = link.index, "interface is not our TUN device any more; leaving it");
                        Ok(())
                    }
                    None => Ok(()),
                }
            }
            JournalEntry::Route(rec) => {
                let nl = self.netlink()?;
                match nl.del_route(rec).await {
                    Ok(()) => Ok(()),
                    Err(e) if matches!(errno(&e), Some(ESRCH | ENODEV | ENOENT)) => {
                        tracing::debug!(route = %rec, "route already gone");
                        Ok(())
                    }
                    Err(e) => Err(nl_error(format!("delete route {rec}"), e)),
                }
            }
            JournalEntry::ResolvedLink(r) => {
                if self.netlink()?.link_by_name(&r.ifname).await?.is_none() {
                    tracing::debug!(link = %r.ifname, "link gone; resolved dropped its DNS with it");
                    return Ok(());
                }
                crate::dns::resolved::revert(&r.ifname).await
            }
            JournalEntry::ResolvConf(r) => crate::dns::resolv_conf::restore(r),
        }
    }
}

#[cfg(not(target_os = "linux"))]
impl UndoContext {
    /// Undo `entry`: a TUN device vanishes with its handle; nothing else is
    /// implemented off Linux.
    pub(crate) async fn undo(&mut self, entry: &JournalEntry) -> Result<()> {
        match entry {
            JournalEntry::Tun(_) => Ok(()),
            _ => Err(crate::PlatformError::Unsupported(
                "undoing routes and DNS settings",
            )),
        }
    }
}
