//! [`Profile::from_json`]: parsing with errors that point at a line and
//! column, for JSON syntax, shape and rule violations alike.

use serde::Deserialize;
use serde_json::error::Category;

use crate::error::ProfileError;
use crate::locate::{line_col, scan, serde_offset};
use crate::model::{Profile, PROFILE_VERSION};
use crate::path::JsonPath;
use crate::suggest::{backticked, closest};
use crate::validate::{error, Problem, ValidationError};

/// Largest profile document accepted, in bytes (1 MiB: room for several CA
/// certificates, and a bound on what a hostile file can make us allocate).
pub const MAX_PROFILE_LEN: usize = 1 << 20;

/// Just the version, read before anything else so that a document of a
/// newer format gets "unsupported version" rather than "unknown field".
#[derive(Deserialize)]
struct VersionProbe {
    version: Option<serde_json::Value>,
}

impl Profile {
    /// Parses and validates a profile document.
    ///
    /// The first problem found is returned with its position: JSON syntax
    /// errors where the parser stopped; unknown fields (with a suggestion
    /// for typos), wrong types and unknown method names at the offending
    /// key or value; rule violations ([`Profile::validate`]: weak
    /// algorithms, bad prefixes, a missing `remote_id`, port 0, an
    /// unsupported version, ...) at the offending value, or at the object
    /// that lacks a required one.
    pub fn from_json(text: &str) -> Result<Profile, ProfileError> {
        if text.len() > MAX_PROFILE_LEN {
            return Err(ProfileError::TooLarge {
                size: text.len(),
                max: MAX_PROFILE_LEN,
            });
        }
        let probe: VersionProbe = serde_json::from_str(text).map_err(|e| serde_error(text, &e))?;
        if let Some(serde_json::Value::Number(n)) = &probe.version {
            if n.as_u64() != Some(u64::from(PROFILE_VERSION)) {
                let found = n.to_string();
                let e = error(
                    JsonPath::root().key("version"),
                    None,
                    Problem::UnsupportedVersion { found },
                );
                return Err(located(text, e));
            }
        }
        let profile: Profile = serde_json::from_str(text).map_err(|e| serde_error(text, &e))?;
        profile.validate().map_err(|e| located(text, e))?;
        Ok(profile)
    }
}

/// A validation error with the position of its value (or of the nearest
/// enclosing value present in the text).
fn located(text: &str, error: ValidationError) -> ProfileError {
    let mut offset = 0;
    if let Some(root) = scan(text) {
        let mut path = Some(error.path.clone());
        while let Some(p) = path {
            if let Some(node) = root.find(&p) {
                offset = node.start;
                break;
            }
            path = p.parent();
        }
    }
    let (line, column) = line_col(text, offset);
    ProfileError::Invalid {
        line,
        column,
        error,
    }
}

/// serde_json's message without its " at line L column C" suffix.
fn bare_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_string()
}

/// Turns serde's type names into what a person editing JSON sees.
fn humanize(message: &str) -> String {
    for prefix in [
        "expected struct variant ",
        "expected internally tagged enum ",
        "expected struct ",
    ] {
        if let Some(i) = message.find(prefix) {
            return format!("{}expected a JSON object", &message[..i]);
        }
    }
    message.to_string()
}

/// "did you mean" or the list of expected names.
fn suggestion(word: &str, expected: &[&str]) -> String {
    match closest(word, expected) {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None if expected.is_empty() => String::new(),
        None => format!("; expected one of `{}`", expected.join("`, `")),
    }
}

fn serde_error(text: &str, e: &serde_json::Error) -> ProfileError {
    let message = bare_message(e);
    let offset = serde_offset(text, e.line(), e.column());
    let (line, column) = line_col(text, offset.saturating_sub(1));
    let root = match e.classify() {
        Category::Data => scan(text),
        _ => None,
    };
    let Some(root) = root else {
        return ProfileError::Syntax {
            line,
            column,
            message,
        };
    };
    let (node, mut path) = root.innermost(offset);
    let mut at = node.start;
    let names = backticked(&message);
    let message = match names.split_first() {
        Some((name, expected))
            if message.starts_with("unknown field") || message.starts_with("duplicate field") =>
        {
            if let Some(m) = node.member_named(name, offset) {
                at = m.key_start;
            } else if let Some((inner, m)) = node.find_key(name) {
                // Reported at the end of a buffered (tagged) object.
                at = m.key_start;
                path = join_path(&path, &inner);
            }
            if message.starts_with("duplicate") {
                format!("field `{name}` appears twice; keep one")
            } else {
                format!("unknown field `{name}`{}", suggestion(name, expected))
            }
        }
        Some((name, expected)) if message.starts_with("unknown variant") => {
            if let Some((inner, value)) = node.find_string(name) {
                at = value.start;
                path = join_path(&path, &inner);
            }
            format!("unknown value `{name}`{}", suggestion(name, expected))
        }
        _ => humanize(&message),
    };
    let (line, column) = line_col(text, at);
    let message = if path.is_empty() {
        message
    } else {
        format!("{path}: {message}")
    };
    ProfileError::Structure {
        line,
        column,
        message,
    }
}

/// `outer` and `inner` message paths joined (`auth` + `rounds[0]`).
fn join_path(outer: &str, inner: &str) -> String {
    if outer.is_empty() || inner.is_empty() || inner.starts_with('[') {
        format!("{outer}{inner}")
    } else {
        format!("{outer}.{inner}")
    }
}
