//! Replacing a resolv.conf-style file and restoring its exact original: the bytes,
//! permissions and owner of a regular file, the target of a symlink, or absence.

use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::error::{PlatformError, Result};
use crate::fsutil::{self, FileOwner};
use crate::journal::{Journal, JournalEntry, OriginalFile, ResolvConfRecord};

/// What is at `path` now.
pub(crate) fn capture(path: &Path) -> Result<OriginalFile> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(OriginalFile::Missing),
        Err(e) => return Err(PlatformError::file("inspect", path, e)),
    };
    if meta.file_type().is_symlink() {
        let target =
            std::fs::read_link(path).map_err(|e| PlatformError::file("read symlink", path, e))?;
        return Ok(OriginalFile::Symlink { target });
    }
    if !meta.is_file() {
        return Err(PlatformError::file(
            "replace",
            path,
            io::Error::other("not a regular file or symlink; refusing to touch it"),
        ));
    }
    let content = std::fs::read(path).map_err(|e| PlatformError::file("read", path, e))?;
    Ok(OriginalFile::File {
        content,
        mode: meta.mode() & 0o7777,
        uid: meta.uid(),
        gid: meta.gid(),
    })
}

/// Journal what `path` is now, then replace it atomically with `content`
/// (keeping a regular file's permissions and owner; 0644 otherwise).
pub(crate) fn replace(path: &Path, content: &[u8], journal: &mut Journal) -> Result<()> {
    let original = capture(path)?;
    let owner = match &original {
        OriginalFile::File { mode, uid, gid, .. } => FileOwner {
            mode: *mode,
            uid: Some(*uid),
            gid: Some(*gid),
        },
        _ => FileOwner {
            mode: 0o644,
            uid: None,
            gid: None,
        },
    };
    let entry = JournalEntry::ResolvConf(ResolvConfRecord {
        path: path.to_path_buf(),
        original,
        written: content.to_vec(),
    });
    journal.push(entry.clone())?;
    if let Err(e) = fsutil::write_atomic(path, content, Some(owner)) {
        journal.forget_last(&entry)?;
        return Err(e);
    }
    tracing::info!(path = %path.display(), "resolv.conf replaced");
    Ok(())
}

/// Put back what `rec` saved. Idempotent: restoring twice gives the same result.
pub(crate) fn restore(rec: &ResolvConfRecord) -> Result<()> {
    let path = rec.path.as_path();
    if let Ok(OriginalFile::File { content, .. }) = capture(path) {
        if content != rec.written && Some(&content) != original_bytes(&rec.original) {
            tracing::warn!(path = %path.display(), "changed by someone else while the tunnel was up; restoring the original anyway");
        }
    }
    match &rec.original {
        OriginalFile::Missing => match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(PlatformError::file("remove", path, e)),
        },
        OriginalFile::Symlink { target } => fsutil::symlink_atomic(path, target),
        OriginalFile::File {
            content,
            mode,
            uid,
            gid,
        } => fsutil::write_atomic(
            path,
            content,
            Some(FileOwner {
                mode: *mode,
                uid: Some(*uid),
                gid: Some(*gid),
            }),
        ),
    }?;
    tracing::info!(path = %path.display(), "resolv.conf restored");
    Ok(())
}

fn original_bytes(original: &OriginalFile) -> Option<&Vec<u8>> {
    match original {
        OriginalFile::File { content, .. } => Some(content),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn journal(dir: &Path) -> Journal {
        Journal::load(dir.join("journal.json")).expect("journal")
    }

    #[test]
    fn regular_file_round_trip_keeps_bytes_and_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("resolv.conf");
        let original: &[u8] = b"# odd bytes \xff\xfe\nnameserver 192.0.2.53\n";
        std::fs::write(&path, original).expect("seed");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o604)).expect("chmod");
        let mut j = journal(dir.path());

        replace(&path, b"nameserver 10.99.0.53\n", &mut j).expect("replace");
        assert_eq!(
            std::fs::read(&path).expect("read"),
            b"nameserver 10.99.0.53\n"
        );
        let JournalEntry::ResolvConf(rec) = j.entries()[0].clone() else {
            panic!("unexpected entry {:?}", j.entries());
        };
        restore(&rec).expect("restore");
        restore(&rec).expect("restore twice");
        assert_eq!(std::fs::read(&path).expect("read"), original);
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o7777;
        assert_eq!(mode, 0o604);
    }

    #[test]
    fn missing_file_is_removed_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("resolv.conf");
        let mut j = journal(dir.path());
        replace(&path, b"nameserver 10.99.0.53\n", &mut j).expect("replace");
        assert!(path.exists());
        let JournalEntry::ResolvConf(rec) = j.entries()[0].clone() else {
            panic!("unexpected entry {:?}", j.entries());
        };
        assert_eq!(rec.original, OriginalFile::Missing);
        restore(&rec).expect("restore");
        assert!(std::fs::symlink_metadata(&path).is_err());
    }

    #[test]
    fn refuses_directories() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut j = journal(dir.path());
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).expect("mkdir");
        assert!(replace(&sub, b"x", &mut j).is_err());
        assert!(j.is_empty());
    }
}
