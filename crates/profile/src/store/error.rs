//! [`StoreError`]: why a profile could not be imported, found or removed.

use std::path::PathBuf;

use crate::error::ProfileError;
use crate::import::ImportError;
use crate::validate::ValidationError;

/// Why a [`crate::ProfileStore`] operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Neither `$XDG_CONFIG_HOME` nor `$HOME` says where the user's
    /// configuration lives.
    #[error("cannot find the profile directory: neither XDG_CONFIG_HOME nor HOME is set to an absolute path; set one of them or give the directory explicitly")]
    NoConfigDir,
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error("{path}: not a text file (invalid UTF-8); a profile is a JSON document")]
    NotText {
        /// The file.
        path: PathBuf,
    },
    /// The document is not a valid profile.
    #[error("{path}: {source}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with its line and column.
        #[source]
        source: Box<ProfileError>,
    },
    /// A strongSwan or Apple profile could not be imported.
    #[error("{path}: {source}")]
    Import {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the key of the file.
        #[source]
        source: Box<ImportError>,
    },
    /// A profile given in code breaks a rule.
    #[error("invalid profile: {0}")]
    Rule(#[source] Box<ValidationError>),
    /// Another profile already has this name.
    #[error("a different profile (uuid {other_uuid}) is already named '{name}'; rename one of them, or remove the other first with `ibex profile remove {other_uuid}`")]
    NameTaken {
        /// The name in question.
        name: String,
        /// UUID of the profile that has it.
        other_uuid: String,
    },
    /// No stored profile has this name or UUID.
    #[error("no profile named '{0}' (and none with that uuid); `ibex profile list` shows the stored ones")]
    NotFound(String),
}

impl From<ValidationError> for StoreError {
    fn from(e: ValidationError) -> Self {
        StoreError::Rule(Box::new(e))
    }
}
