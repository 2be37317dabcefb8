//! [`ProfileError`]: why a profile document was refused, with the line and
//! column to look at.

use crate::validate::ValidationError;

/// Why [`crate::Profile::from_json`] refused a document. Every variant
/// with a position displays as `line L, column C: what is wrong`; lines
/// and columns start at 1 and columns count characters.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// The document is larger than any profile should be.
    #[error("the profile is {size} bytes long, more than the {max}-byte limit; check that this file is an Ibex profile")]
    TooLarge {
        /// Size of the document.
        size: usize,
        /// The limit, [`crate::MAX_PROFILE_LEN`].
        max: usize,
    },
    /// The document is not well-formed JSON.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        /// Line of the error.
        line: usize,
        /// Column of the error.
        column: usize,
        /// What the JSON parser expected.
        message: String,
    },
    /// The JSON does not have the profile's shape: an unknown or
    /// duplicated field, a missing required field, a value of the wrong
    /// type or an unknown method name.
    #[error("line {line}, column {column}: {message}")]
    Structure {
        /// Line of the offending value or key.
        line: usize,
        /// Column of the offending value or key.
        column: usize,
        /// What is wrong, with a suggestion for misspelt names.
        message: String,
    },
    /// The profile has the right shape but breaks a rule (see
    /// [`crate::Profile::validate`]).
    #[error("line {line}, column {column}: {error}")]
    Invalid {
        /// Line of the offending value (or of the object missing it).
        line: usize,
        /// Column of the offending value.
        column: usize,
        /// The rule broken and the path of the value.
        error: ValidationError,
    },
}

impl ProfileError {
    /// The line the error points at, if it has one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ProfileError::TooLarge { .. } => None,
            ProfileError::Syntax { line, .. }
            | ProfileError::Structure { line, .. }
            | ProfileError::Invalid { line, .. } => Some(*line),
        }
    }

    /// The column the error points at, if it has one.
    pub fn column(&self) -> Option<usize> {
        match self {
            ProfileError::TooLarge { .. } => None,
            ProfileError::Syntax { column, .. }
            | ProfileError::Structure { column, .. }
            | ProfileError::Invalid { column, .. } => Some(*column),
        }
    }
}
