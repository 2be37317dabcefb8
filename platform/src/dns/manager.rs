//! [`DnsManager`]: points the system's DNS at the tunnel and back.

use super::backend::SYSTEM_RESOLV_CONF;
use super::{resolv_conf, resolved, DnsBackend, DnsConfig};
use crate::error::Result;
use crate::journal::{Journal, JournalEntry, ResolvedRecord};

/// Applies and reverts the tunnel's DNS settings through one [`DnsBackend`].
#[derive(Debug, Clone)]
pub struct DnsManager {
    backend: DnsBackend,
}

impl DnsManager {
    /// Use `backend` as given (tests point [`DnsBackend::ResolvConf`] at a scratch file).
    pub fn new(backend: DnsBackend) -> DnsManager {
        DnsManager { backend }
    }

    /// Detect the system's backend ([`DnsBackend::detect`] on `/etc/resolv.conf`).
    pub async fn detect() -> DnsManager {
        DnsManager::new(DnsBackend::detect(SYSTEM_RESOLV_CONF).await)
    }

    /// The backend in use.
    pub fn backend(&self) -> &DnsBackend {
        &self.backend
    }

    /// Send DNS through the tunnel on `ifname`, journaling the change first. DNS
    /// settings an earlier `apply` left in `journal` are reverted before, so the
    /// journal always leads back to the system's own configuration.
    pub async fn apply(
        &self,
        ifname: &str,
        config: &DnsConfig,
        journal: &mut Journal,
    ) -> Result<()> {
        config.validate()?;
        if journal.entries().iter().any(is_dns) {
            self.revert(journal).await?;
        }
        match &self.backend {
            DnsBackend::Resolved => {
                let entry = JournalEntry::ResolvedLink(ResolvedRecord {
                    ifname: ifname.to_string(),
                });
                journal.push(entry.clone())?;
                if let Err(e) = resolved::apply(ifname, config).await {
                    if let Err(undo) = resolved::revert(ifname).await {
                        tracing::error!(error = %undo, link = %ifname, "cannot revert partial DNS settings; kept in the journal");
                        return Err(e);
                    }
                    journal.forget_last(&entry)?;
                    return Err(e);
                }
                Ok(())
            }
            DnsBackend::ResolvConf { path } => {
                resolv_conf::replace(path, &config.render_resolv_conf(ifname), journal)
            }
        }
    }

    /// Undo the DNS changes recorded in `journal` (newest first).
    pub async fn revert(&self, journal: &mut Journal) -> Result<()> {
        journal.undo_matching(is_dns).await
    }
}

fn is_dns(entry: &JournalEntry) -> bool {
    matches!(
        entry,
        JournalEntry::ResolvedLink(_) | JournalEntry::ResolvConf(_)
    )
}
