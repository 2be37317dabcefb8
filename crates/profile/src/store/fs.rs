//! File-system helpers of the store: the default directory, bounded reads
//! and atomic, private writes.

use std::ffi::OsString;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::StoreError;
use crate::parse::MAX_PROFILE_LEN;

/// `$XDG_CONFIG_HOME/ibex/profiles`, else `$HOME/.config/ibex/profiles`
/// (relative values are ignored, as the XDG specification says).
pub(super) fn default_dir(
    xdg_config_home: Option<OsString>,
    home: Option<OsString>,
) -> Result<PathBuf, StoreError> {
    let absolute = |v: Option<OsString>| v.map(PathBuf::from).filter(|p| p.is_absolute());
    let base = absolute(xdg_config_home)
        .or_else(|| absolute(home).map(|h| h.join(".config")))
        .ok_or(StoreError::NoConfigDir)?;
    Ok(base.join("ibex").join("profiles"))
}

pub(super) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The text of `path`, refusing files larger than a profile can be (the
/// parser then reports the size).
pub(super) fn read_text(path: &Path) -> Result<String, StoreError> {
    let file = File::open(path).map_err(io_error(path))?;
    let mut bytes = Vec::new();
    file.take(MAX_PROFILE_LEN as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error(path))?;
    String::from_utf8(bytes).map_err(|_| StoreError::NotText {
        path: path.to_path_buf(),
    })
}

/// The bytes of `path`, at most one more than an importable file may have
/// (the importer then reports the size).
pub(super) fn read_bytes(path: &Path) -> Result<Vec<u8>, StoreError> {
    let file = File::open(path).map_err(io_error(path))?;
    let mut bytes = Vec::new();
    file.take(crate::import::MAX_IMPORT_LEN as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error(path))?;
    Ok(bytes)
}

/// Creates `dir` (and its parents) readable only by the user.
pub(super) fn ensure_dir(dir: &Path) -> Result<(), StoreError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_error(dir))
}

/// Replaces `path` with `contents` atomically: a private (0600) temporary
/// file in the same directory is written, flushed to disk and renamed over
/// `path`, and the directory entry is flushed. Readers see the old or the
/// new file, never a mix, and a crash leaves at most a stray temporary.
pub(super) fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), StoreError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io_error(&tmp))?;
        // The mode above is filtered by the umask; make it exactly 0600.
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(io_error(&tmp))?;
        file.write_all(contents).map_err(io_error(&tmp))?;
        file.sync_all().map_err(io_error(&tmp))?;
        fs::rename(&tmp, path).map_err(io_error(path))?;
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_error(dir))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_dir_follows_xdg() {
        let d = default_dir(Some("/x/cfg".into()), Some("/home/a".into())).unwrap();
        assert_eq!(d, Path::new("/x/cfg/ibex/profiles"));
        let d = default_dir(Some("relative".into()), Some("/home/a".into())).unwrap();
        assert_eq!(d, Path::new("/home/a/.config/ibex/profiles"));
        let d = default_dir(None, Some("/home/a".into())).unwrap();
        assert_eq!(d, Path::new("/home/a/.config/ibex/profiles"));
        assert!(matches!(
            default_dir(None, None),
            Err(StoreError::NoConfigDir)
        ));
    }
}
