//! Appends the engine's key-log lines to `$IBEX_KEYLOG_DIR/<table>` (the
//! Wireshark decryption tables). Dangerous by design; off unless the
//! variable names a folder.

use std::io::Write;
use std::path::PathBuf;

use ibex_ike::keylog::KeyLogLine;
use tracing::warn;

/// Where key-log lines go, if anywhere.
#[derive(Clone, Debug, Default)]
pub struct KeyLog {
    dir: Option<PathBuf>,
}

impl KeyLog {
    /// Enabled when `IBEX_KEYLOG_DIR` is set.
    pub fn from_env() -> KeyLog {
        let dir = std::env::var_os("IBEX_KEYLOG_DIR").map(PathBuf::from);
        if let Some(d) = &dir {
            warn!(dir = %d.display(), "IBEX_KEYLOG_DIR is set: session keys are written to disk; anyone who reads them can decrypt the traffic");
        }
        KeyLog { dir }
    }

    /// Whether lines are written.
    pub fn enabled(&self) -> bool {
        self.dir.is_some()
    }

    /// Appends one line to its table (file created with mode 0600).
    pub fn write(&self, line: &KeyLogLine) {
        let Some(dir) = &self.dir else { return };
        let path = dir.join(line.table.file_name());
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        match opts.open(&path) {
            Ok(mut f) => {
                if let Err(e) = writeln!(f, "{}", line.expose()) {
                    warn!(path = %path.display(), error = %e, "cannot write the key log");
                }
            }
            Err(e) => warn!(path = %path.display(), error = %e, "cannot open the key log"),
        }
    }
}
