//! Atomic file replacement: write a temporary file in the same directory, then
//! rename it over the target, so readers see the old or the new content, never
//! a torn one, and a crash leaves at most a stray temporary file.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::error::{PlatformError, Result};

/// Ownership and permission bits to give a file (Unix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileOwner {
    /// Permission bits (`st_mode & 0o7777`).
    pub mode: u32,
    /// Owner; `None` keeps the creating process's.
    pub uid: Option<u32>,
    /// Group; `None` keeps the creating process's.
    pub gid: Option<u32>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh temporary path next to `path` (same directory, so `rename` is atomic).
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_string());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.ibex-{}-{n}.tmp", std::process::id()))
}

/// Replace `path` with `bytes` atomically, giving it `owner` (Unix) when set;
/// durable (fsynced) before it returns.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], owner: Option<FileOwner>) -> Result<()> {
    write_atomic_sync(path, bytes, owner, true)
}

/// [`write_atomic`]; without `durable` nothing is fsynced: the file is
/// whole for any process that reads it after, but a power loss may lose it
/// (for records of changes that do not outlive a reboot either).
pub(crate) fn write_atomic_sync(
    path: &Path,
    bytes: &[u8],
    owner: Option<FileOwner>,
    durable: bool,
) -> Result<()> {
    let tmp = temp_path(path);
    let result = write_then_rename(&tmp, path, bytes, owner, durable);
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn write_then_rename(
    tmp: &Path,
    path: &Path,
    bytes: &[u8],
    owner: Option<FileOwner>,
    durable: bool,
) -> Result<()> {
    let mut file = create_new(tmp)?;
    file.write_all(bytes)
        .map_err(|e| PlatformError::file("write", tmp, e))?;
    apply_owner(&file, tmp, owner)?;
    if durable {
        file.sync_all()
            .map_err(|e| PlatformError::file("fsync", tmp, e))?;
    }
    drop(file);
    match fs::rename(tmp, path) {
        Ok(()) => {}
        // The target is a mount point (a bind-mounted resolv.conf, as in
        // containers and `ip netns exec`): rename cannot replace it, so the
        // content is written in place instead.
        Err(e) if e.raw_os_error() == Some(16) || e.raw_os_error() == Some(18) => {
            let _ = fs::remove_file(tmp);
            let mut f = fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(path)
                .map_err(|e| PlatformError::file("open for rewrite", path, e))?;
            f.write_all(bytes)
                .map_err(|e| PlatformError::file("rewrite", path, e))?;
            f.sync_all()
                .map_err(|e| PlatformError::file("fsync", path, e))?;
        }
        Err(e) => return Err(PlatformError::file("rename temporary file over", path, e)),
    }
    if durable {
        sync_dir(path);
    }
    Ok(())
}

fn create_new(tmp: &Path) -> Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(tmp)
        .map_err(|e| PlatformError::file("create temporary file", tmp, e))
}

#[cfg(unix)]
fn apply_owner(file: &File, tmp: &Path, owner: Option<FileOwner>) -> Result<()> {
    use std::os::unix::fs::{fchown, PermissionsExt};
    let Some(owner) = owner else {
        return Ok(());
    };
    if owner.uid.is_some() || owner.gid.is_some() {
        fchown(file, owner.uid, owner.gid).map_err(|e| PlatformError::file("chown", tmp, e))?;
    }
    file.set_permissions(fs::Permissions::from_mode(owner.mode))
        .map_err(|e| PlatformError::file("chmod", tmp, e))
}

#[cfg(not(unix))]
fn apply_owner(_file: &File, _tmp: &Path, _owner: Option<FileOwner>) -> Result<()> {
    Ok(())
}

/// Replace `path` (whatever it is) with a symbolic link to `target`, atomically.
#[cfg(unix)]
pub(crate) fn symlink_atomic(path: &Path, target: &Path) -> Result<()> {
    let tmp = temp_path(path);
    std::os::unix::fs::symlink(target, &tmp)
        .map_err(|e| PlatformError::file("create symlink", &tmp, e))?;
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(PlatformError::file("rename symlink over", path, e));
    }
    sync_dir(path);
    Ok(())
}

/// Best effort: make the rename durable (a failure only weakens crash safety).
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replaces_content_and_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("f");
        fs::write(&p, b"old").expect("seed");
        let owner = FileOwner {
            mode: 0o640,
            uid: None,
            gid: None,
        };
        write_atomic(&p, b"new", Some(owner)).expect("write");
        assert_eq!(fs::read(&p).expect("read"), b"new");
        let mode = fs::metadata(&p).expect("meta").permissions().mode() & 0o7777;
        assert_eq!(mode, 0o640);
        // no temporary file left behind
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("readdir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn symlink_replaces_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("link");
        fs::write(&p, b"plain").expect("seed");
        symlink_atomic(&p, Path::new("../somewhere/else")).expect("symlink");
        assert_eq!(
            fs::read_link(&p).expect("read_link"),
            Path::new("../somewhere/else")
        );
    }
}
