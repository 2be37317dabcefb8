//! The undo journal: every change this crate makes to the system (TUN device,
//! routes, DNS) is appended here and persisted to a file **before** it is made,
//! so a daemon that is killed hard can [`Journal::load`] the file at its next start
//! and [`Journal::undo`] the leftovers.
//!
//! Write-ahead order means an entry may describe a change that never happened
//! (the process died between recording and applying); undo tolerates that, just as
//! it tolerates changes the system already reverted by itself (routes vanish with
//! their TUN device). Each undone entry is removed and the file rewritten
//! (temporary file + rename), so undo is idempotent and resumable; when the journal
//! becomes empty its file is deleted.

mod entry;
mod hex;
mod undo;

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use entry::{
    JournalEntry, OriginalFile, ResolvConfRecord, ResolvedRecord, RouteRecord, TunRecord,
};

use crate::error::{PlatformError, Result};
use crate::fsutil;

/// The journal format this build reads and writes.
pub const JOURNAL_VERSION: u32 = 1;

/// Linux's main routing table id.
pub(crate) const MAIN_TABLE: u32 = 254;

/// On-disk shape of the journal.
#[derive(Debug, Serialize, Deserialize)]
struct JournalFile {
    version: u32,
    entries: Vec<JournalEntry>,
}

/// An ordered record of applied system changes, mirrored to a file.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    entries: Vec<JournalEntry>,
}

impl Journal {
    /// Open the journal at `path`: its entries if the file exists (leftovers of a
    /// previous run, to [`undo`](Self::undo)), empty otherwise. Nothing is written
    /// until the first change is recorded.
    pub fn load(path: impl Into<PathBuf>) -> Result<Journal> {
        let path = path.into();
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Journal {
                    path,
                    entries: Vec::new(),
                })
            }
            Err(e) => return Err(PlatformError::file("read journal", &path, e)),
        };
        let file: JournalFile =
            serde_json::from_slice(&bytes).map_err(|source| PlatformError::JournalCorrupt {
                path: path.clone(),
                source,
            })?;
        if file.version > JOURNAL_VERSION {
            return Err(PlatformError::JournalVersion {
                path,
                found: file.version,
                supported: JOURNAL_VERSION,
            });
        }
        if !file.entries.is_empty() {
            tracing::info!(
                path = %path.display(),
                entries = file.entries.len(),
                "journal lists changes left by a previous run"
            );
        }
        Ok(Journal {
            path,
            entries: file.entries,
        })
    }

    /// The file this journal is persisted to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The recorded changes, oldest first.
    pub fn entries(&self) -> &[JournalEntry] {
        &self.entries
    }

    /// True when nothing is recorded (nothing to undo).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Record `entry` and persist, before the change itself is made.
    pub(crate) fn push(&mut self, entry: JournalEntry) -> Result<()> {
        tracing::debug!(%entry, "journal: record");
        self.entries.push(entry);
        if let Err(e) = self.persist() {
            self.entries.pop();
            return Err(e);
        }
        Ok(())
    }

    /// Forget the most recent entry if it equals `entry` (its change failed or was
    /// rolled back) and persist.
    pub(crate) fn forget_last(&mut self, entry: &JournalEntry) -> Result<()> {
        if self.entries.last() == Some(entry) {
            self.entries.pop();
            self.persist()?;
        }
        Ok(())
    }

    /// Remove the entry at `index` (it was undone) and persist.
    pub(crate) fn remove_at(&mut self, index: usize) -> Result<()> {
        if index < self.entries.len() {
            self.entries.remove(index);
            self.persist()?;
        }
        Ok(())
    }

    /// Write the entries to the journal file (temporary file + rename), or delete
    /// the file when there are none.
    fn persist(&self) -> Result<()> {
        if self.entries.is_empty() {
            return match std::fs::remove_file(&self.path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(PlatformError::file("delete journal", &self.path, e)),
            };
        }
        let file = JournalFile {
            version: JOURNAL_VERSION,
            entries: self.entries.clone(),
        };
        let mut bytes = serde_json::to_vec_pretty(&file).map_err(|e| {
            PlatformError::file("serialize journal", &self.path, io::Error::other(e))
        })?;
        bytes.push(b'\n');
        // Only a replaced resolv.conf outlives a reboot; TUN devices, routes
        // and resolved's per-link DNS do not. Without one, a journal that a
        // power loss might lose records nothing left to undo after it, and
        // skipping the fsync keeps re-pinning a route fast (roaming).
        let durable = self
            .entries
            .iter()
            .any(|e| matches!(e, JournalEntry::ResolvConf(_)));
        fsutil::write_atomic_sync(
            &self.path,
            &bytes,
            Some(fsutil::FileOwner {
                mode: 0o600,
                uid: None,
                gid: None,
            }),
            durable,
        )
    }

    /// Undo every recorded change, newest first. Entries that cannot be undone
    /// (e.g. the kernel refused) stay recorded and are reported in
    /// [`PlatformError::UndoIncomplete`]; changes already gone count as undone.
    /// Calling it again, in this process or after a restart, is safe.
    pub async fn undo(&mut self) -> Result<()> {
        self.undo_matching(|_| true).await
    }

    /// Undo, newest first, only the entries `select` picks.
    pub(crate) async fn undo_matching(
        &mut self,
        select: impl Fn(&JournalEntry) -> bool,
    ) -> Result<()> {
        let mut ctx = undo::UndoContext::default();
        let mut failures: Vec<String> = Vec::new();
        let mut i = self.entries.len();
        while i > 0 {
            i -= 1;
            let Some(entry) = self.entries.get(i).cloned() else {
                continue;
            };
            if !select(&entry) {
                continue;
            }
            match ctx.undo(&entry).await {
                Ok(()) => {
                    tracing::info!(%entry, "undone");
                    self.remove_at(i)?;
                }
                Err(e) => {
                    tracing::warn!(%entry, error = %e, "cannot undo; kept in the journal");
                    failures.push(format!("{entry}: {e}"));
                }
            }
        }
        match failures.first() {
            None => Ok(()),
            Some(first) => Err(PlatformError::UndoIncomplete {
                failed: failures.len(),
                first: first.clone(),
                path: self.path.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(dst: &str) -> JournalEntry {
        JournalEntry::Route(RouteRecord {
            destination: dst.parse().expect("prefix"),
            gateway: None,
            ifindex: 7,
            ifname: "ibex0".into(),
            table: MAIN_TABLE,
            protocol: 4,
            scope: 253,
            metric: None,
        })
    }

    #[test]
    fn persists_every_step_and_reloads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("journal.json");
        let mut j = Journal::load(&path).expect("load missing");
        assert!(j.is_empty());
        assert!(!path.exists(), "nothing written before the first change");

        j.push(JournalEntry::Tun(TunRecord {
            name: "ibex0".into(),
            index: 7,
        }))
        .expect("push tun");
        j.push(route("0.0.0.0/1")).expect("push route");
        let again = Journal::load(&path).expect("reload");
        assert_eq!(again.entries(), j.entries());

        j.forget_last(&route("128.0.0.0/1")).expect("no-op");
        assert_eq!(j.entries().len(), 2);
        j.forget_last(&route("0.0.0.0/1")).expect("forget");
        assert_eq!(Journal::load(&path).expect("reload").entries().len(), 1);

        j.remove_at(0).expect("remove");
        assert!(!path.exists(), "empty journal deletes its file");
    }

    #[test]
    fn rejects_corrupt_and_newer_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("journal.json");
        std::fs::write(&path, b"{not json").expect("seed");
        assert!(matches!(
            Journal::load(&path),
            Err(PlatformError::JournalCorrupt { .. })
        ));
        std::fs::write(&path, br#"{"version":99,"entries":[]}"#).expect("seed");
        assert!(matches!(
            Journal::load(&path),
            Err(PlatformError::JournalVersion { found: 99, .. })
        ));
    }

    #[test]
    fn entry_json_shape_is_stable() {
        let e = JournalEntry::ResolvConf(ResolvConfRecord {
            path: "/etc/resolv.conf".into(),
            original: OriginalFile::Symlink {
                target: "../run/systemd/resolve/stub-resolv.conf".into(),
            },
            written: b"nameserver 10.99.0.53\n".to_vec(),
        });
        let json = serde_json::to_value(&e).expect("serialize");
        assert_eq!(json["kind"], "resolv_conf");
        assert_eq!(json["original"]["type"], "symlink");
        let back: JournalEntry = serde_json::from_value(json).expect("deserialize");
        assert_eq!(back, e);
    }
}
