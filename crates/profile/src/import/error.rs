//! [`ImportError`]: why a foreign profile could not be imported, naming the
//! key of the source file that is at fault.

use super::Format;
use crate::error::ProfileError;
use crate::validate::ValidationError;

/// Why [`super::import`] refused a file. Keys are written as in the source
/// format (`remote.addr` for a `.sswan` file, `IKEv2.RemoteAddress` for a
/// `.mobileconfig`); [`ImportError::key`] returns them. Messages never
/// contain a secret from the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file is larger than any profile should be.
    #[error("the file is {size} bytes long, more than the {max}-byte limit of an importable profile; check that it is a VPN profile")]
    TooLarge {
        /// Size of the file.
        size: usize,
        /// The limit, [`super::MAX_IMPORT_LEN`].
        max: usize,
    },
    /// Neither an Ibex profile, a strongSwan profile nor an Apple
    /// configuration profile.
    #[error("not a profile Ibex can import: expected an Ibex profile (.json), a strongSwan profile (.sswan) or an Apple configuration profile (.mobileconfig)")]
    UnknownFormat,
    /// The file is not UTF-8 text.
    #[error("not a text file (invalid UTF-8); a {format} is UTF-8 text")]
    NotText {
        /// The format the file looked like.
        format: Format,
    },
    /// The file is not well-formed JSON or XML property list.
    #[error("not a valid {format}: {message}")]
    Syntax {
        /// The format the file looked like.
        format: Format,
        /// What the parser found wrong.
        message: String,
    },
    /// A CMS-signed (or encrypted) Apple configuration profile.
    #[error("this configuration profile is signed (a CMS envelope around the property list); Ibex does not verify Apple profile signatures and does not import signed profiles. If you trust its source, remove the signature with `openssl smime -verify -noverify -inform DER -in FILE -out unsigned.mobileconfig` (macOS: `security cms -D -i FILE -o unsigned.mobileconfig`) and import unsigned.mobileconfig")]
    Signed,
    /// A binary property list.
    #[error("this configuration profile is a binary property list; Ibex imports XML ones: convert it with `plutil -convert xml1 FILE` and import it again")]
    BinaryPlist,
    /// Nesting deeper than any real profile has.
    #[error("the document nests more than {max} levels deep; this is not a VPN profile")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// An Apple configuration profile without an IKEv2 VPN payload.
    #[error("no IKEv2 VPN payload (PayloadType com.apple.vpn.managed with VPNType IKEv2) in this configuration profile; found: {found}")]
    NoIkev2Payload {
        /// The payloads found, as `PayloadType` (and `VPNType`).
        found: String,
    },
    /// A value Ibex needs is absent.
    #[error("{key}: required but missing; {hint}")]
    Missing {
        /// The key in the source format.
        key: String,
        /// What to put there.
        hint: String,
    },
    /// A value Ibex cannot represent (an unsupported profile type or
    /// method, a value of the wrong type).
    #[error("{key}: {reason}")]
    Unsupported {
        /// The key in the source format.
        key: String,
        /// What is wrong and what to do.
        reason: String,
    },
    /// A weak algorithm, refused.
    #[error("{key} '{value}': {reason}; Ibex refuses weak algorithms: ask the gateway's administrator for AES-GCM or AES-CBC with SHA-2, and DH group 14 (modp2048), 19 (ecp256), 20, 21 or 31 (x25519)")]
    Weak {
        /// The key in the source format.
        key: String,
        /// The value as written (cut and escaped).
        value: String,
        /// Why it is weak.
        reason: String,
    },
    /// The mapped profile breaks a rule of [`crate::Profile::validate`].
    #[error("{key}: cannot be used: {error}")]
    Invalid {
        /// The key in the source format the offending value came from.
        key: String,
        /// The rule broken, with the path of the value in the Ibex profile.
        error: Box<ValidationError>,
    },
    /// An Ibex profile document that is not valid.
    #[error(transparent)]
    Ibex(#[from] ProfileError),
}

impl ImportError {
    /// The key of the source file the error is about, if it is about one.
    pub fn key(&self) -> Option<&str> {
        match self {
            ImportError::Missing { key, .. }
            | ImportError::Unsupported { key, .. }
            | ImportError::Weak { key, .. }
            | ImportError::Invalid { key, .. } => Some(key),
            _ => None,
        }
    }

    /// An [`ImportError::Unsupported`].
    pub(crate) fn unsupported(key: impl Into<String>, reason: impl Into<String>) -> ImportError {
        ImportError::Unsupported {
            key: key.into(),
            reason: reason.into(),
        }
    }

    /// An [`ImportError::Missing`].
    pub(crate) fn missing(key: impl Into<String>, hint: impl Into<String>) -> ImportError {
        ImportError::Missing {
            key: key.into(),
            hint: hint.into(),
        }
    }
}
