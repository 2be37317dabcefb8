//! [`Problem`] and [`ValidationError`]: what is wrong with a profile value,
//! and where.

use std::fmt;

use ibex_ike::proposal::ProposalError;

use crate::model::PROFILE_VERSION;
use crate::path::JsonPath;

/// What is wrong with one value of a profile. The messages are written to
/// follow "`path 'value'`: ".
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// `version` is not one this crate reads.
    #[error("unsupported profile version {found}: this Ibex reads version {PROFILE_VERSION}; update Ibex, or ask for a version {PROFILE_VERSION} profile")]
    UnsupportedVersion {
        /// The version found, as written.
        found: String,
    },
    /// A required value is absent.
    #[error("required but missing; {hint}")]
    Required {
        /// What to put there.
        hint: String,
    },
    /// A string or list is empty.
    #[error("must not be empty; {hint}")]
    Empty {
        /// What to put there, or what leaving the field out does.
        hint: &'static str,
    },
    /// The value is malformed.
    #[error("{reason}")]
    Malformed {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A number is outside its range.
    #[error("{value} is out of range; use {min} to {max}{unit}")]
    OutOfRange {
        /// The number found.
        value: u64,
        /// Smallest accepted value.
        min: u64,
        /// Largest accepted value.
        max: u64,
        /// Unit suffix for the message (" seconds" or "").
        unit: &'static str,
    },
    /// A proposal string is refused by the engine's rules.
    #[error("{0}")]
    Proposal(ProposalError),
    /// A private key where only a path may be.
    #[error("contains a private key; a profile must never hold secrets: store the key in a file only you can read (chmod 600) and give its path")]
    InlinePrivateKey,
    /// `ca_certificate` is absent though the method needs it.
    #[error("required for auth method '{method}' but missing; add the PEM text of the CA that issued the gateway's certificate")]
    CaRequired {
        /// The auth method.
        method: &'static str,
    },
    /// `ca_certificate` cannot be loaded.
    #[error("cannot be used: {detail}")]
    BadCaCertificate {
        /// The loader's explanation.
        detail: String,
    },
}

/// A [`Problem`] and where it is.
#[derive(Debug, PartialEq, Eq)]
pub struct ValidationError {
    /// The offending value (for a missing value: where it belongs).
    pub path: JsonPath,
    /// The offending value as written, when short enough to quote.
    pub value: Option<String>,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(v) = &self.value {
            write!(f, " '{}'", quote(v))?;
        }
        write!(f, ": {}", self.problem)
    }
}

impl std::error::Error for ValidationError {}

/// Values longer than this are cut in messages.
const QUOTE_MAX: usize = 80;

/// `v` with control characters escaped, cut to [`QUOTE_MAX`] characters.
fn quote(v: &str) -> String {
    let mut out: String = v
        .chars()
        .take(QUOTE_MAX)
        .flat_map(char::escape_debug)
        .collect();
    if v.chars().count() > QUOTE_MAX {
        out.push('…');
    }
    out
}

/// Builds errors for one path.
pub(crate) fn error(path: JsonPath, value: Option<&str>, problem: Problem) -> ValidationError {
    ValidationError {
        path,
        value: value.map(str::to_string),
        problem,
    }
}
