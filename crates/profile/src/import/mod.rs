//! Import of foreign VPN profile formats into Ibex profiles.
//!
//! [`import`] reads an Ibex profile, a strongSwan `.sswan` profile (the
//! JSON format of the strongSwan Android and Apple apps) or the IKEv2
//! payload of an Apple `.mobileconfig` (an XML property list) and returns an
//! [`Imported`]: a valid [`Profile`], the [`ImportWarning`]s of the keys
//! that were dropped or changed, and the secrets the file carried
//! ([`ImportedSecrets`]), which never go into the profile. [`Imported::preview`]
//! summarizes the result for a person to confirm before it is saved.
//! [`detect_format`] tells the formats apart by content, then by the file
//! name's extension.
//!
//! Files are hostile input: they are bounded in size
//! ([`MAX_IMPORT_LEN`]) and nesting, and every problem is an
//! [`ImportError`] naming the source key, never a panic. The mapping table
//! is in `docs/profiles-import.md`.

mod draft;
mod error;
mod mobileconfig;
mod preview;
mod sswan;

use std::fmt;

use serde::Serialize;
use zeroize::Zeroizing;

use crate::model::Profile;
pub use error::ImportError;
pub use preview::Preview;

/// Largest file accepted, in bytes (1 MiB, as for Ibex profiles: room for
/// several certificates, a bound on what a hostile file can make us
/// allocate).
pub const MAX_IMPORT_LEN: usize = crate::parse::MAX_PROFILE_LEN;

/// A profile format [`import`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// An Ibex profile (`.json`, `profiles/profile.schema.json`).
    Ibex,
    /// A strongSwan app profile (`.sswan`, JSON).
    Sswan,
    /// An Apple configuration profile (`.mobileconfig`, XML property list).
    Mobileconfig,
}

impl Format {
    /// The format's short name: `ibex`, `sswan` or `mobileconfig`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Ibex => "ibex",
            Format::Sswan => "sswan",
            Format::Mobileconfig => "mobileconfig",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Ibex => "Ibex profile",
            Format::Sswan => "strongSwan profile (.sswan)",
            Format::Mobileconfig => "Apple configuration profile (.mobileconfig)",
        })
    }
}

/// A key of the source file that was not imported as it was, and why:
/// unsupported, ignored, replaced by a default, or a secret kept out of
/// the profile. The import went ahead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportWarning {
    /// The key as the source format spells it (`split-tunneling.excluded`,
    /// `IKEv2.SharedSecret`).
    pub key: String,
    /// What happened to it and what it means for the connection.
    pub message: String,
}

impl fmt::Display for ImportWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Secrets found in the file. They are never written into the profile; a
/// caller may offer to keep them in the user's keyring, or drop them (the
/// agent then asks for them when connecting). Zeroized on drop; `Debug`
/// shows only which ones are present.
#[derive(Default)]
pub struct ImportedSecrets {
    /// The pre-shared key (`.mobileconfig` `IKEv2.SharedSecret`).
    pub psk: Option<Zeroizing<String>>,
    /// The EAP account password (`.mobileconfig` `IKEv2.AuthPassword`).
    pub password: Option<Zeroizing<String>>,
}

impl ImportedSecrets {
    /// Names of the secrets present: `psk`, `password`.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.psk.is_some() {
            names.push("psk");
        }
        if self.password.is_some() {
            names.push("password");
        }
        names
    }

    /// Whether the file carried no secret.
    pub fn is_empty(&self) -> bool {
        self.psk.is_none() && self.password.is_none()
    }
}

impl fmt::Debug for ImportedSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportedSecrets")
            .field("psk", &self.psk.as_ref().map(|_| "<redacted>"))
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The result of [`import`].
#[derive(Debug)]
pub struct Imported {
    /// The format the file was read as.
    pub format: Format,
    /// The profile, valid ([`Profile::validate`]).
    pub profile: Profile,
    /// What was dropped or changed, in the order of the source keys.
    pub warnings: Vec<ImportWarning>,
    /// Secrets the file carried, kept out of the profile.
    pub secrets: ImportedSecrets,
}

/// The format of `bytes`: by content first (a JSON object with `version`
/// is an Ibex profile, one with `type` or `remote` a strongSwan profile; an
/// XML document an Apple configuration profile), else by the extension of
/// `file_name` (`.json`, `.sswan`, `.mobileconfig`).
///
/// Errors: [`ImportError::TooLarge`], [`ImportError::Signed`] for a CMS
/// envelope, [`ImportError::BinaryPlist`], [`ImportError::UnknownFormat`].
pub fn detect_format(bytes: &[u8], file_name: Option<&str>) -> Result<Format, ImportError> {
    if bytes.len() > MAX_IMPORT_LEN {
        return Err(ImportError::TooLarge {
            size: bytes.len(),
            max: MAX_IMPORT_LEN,
        });
    }
    let by_name = file_name.and_then(format_of_name);
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let body = &body[start.unwrap_or(body.len())..];
    if body.starts_with(b"bplist") {
        return Err(ImportError::BinaryPlist);
    }
    if mobileconfig::is_cms(body) {
        return Err(ImportError::Signed);
    }
    match body.first() {
        Some(b'<') => Ok(Format::Mobileconfig),
        Some(b'{') => Ok(json_format(body).or(by_name).unwrap_or(Format::Ibex)),
        _ => by_name.ok_or(ImportError::UnknownFormat),
    }
}

/// The format an extension names.
fn format_of_name(name: &str) -> Option<Format> {
    let (_, ext) = name.rsplit_once('.')?;
    match ext.to_ascii_lowercase().as_str() {
        "json" => Some(Format::Ibex),
        "sswan" => Some(Format::Sswan),
        "mobileconfig" | "plist" => Some(Format::Mobileconfig),
        _ => None,
    }
}

/// Ibex or strongSwan, by the top-level keys of a JSON object.
fn json_format(body: &[u8]) -> Option<Format> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object()?;
    if object.contains_key("version") {
        Some(Format::Ibex)
    } else if object.contains_key("type") || object.contains_key("remote") {
        Some(Format::Sswan)
    } else {
        None
    }
}

/// Reads `bytes` (named `file_name`, for the format's extension and a
/// default profile name) as an Ibex, strongSwan or Apple profile
/// ([`detect_format`]) and maps it to a valid Ibex profile.
///
/// Errors name the source key ([`ImportError::key`]) when there is one:
/// a missing gateway, an unsupported profile type or authentication
/// method, a weak algorithm, a value that makes no valid profile. What
/// can be dropped without making the connection less safe is dropped with
/// an [`ImportWarning`]; secrets go to [`Imported::secrets`].
pub fn import(bytes: &[u8], file_name: Option<&str>) -> Result<Imported, ImportError> {
    let format = detect_format(bytes, file_name)?;
    match format {
        Format::Ibex => {
            let text = std::str::from_utf8(bytes).map_err(|_| ImportError::NotText { format })?;
            Ok(Imported {
                format,
                profile: Profile::from_json(text)?,
                warnings: Vec::new(),
                secrets: ImportedSecrets::default(),
            })
        }
        Format::Sswan => {
            let text = std::str::from_utf8(bytes).map_err(|_| ImportError::NotText { format })?;
            sswan::import(text)
        }
        Format::Mobileconfig => mobileconfig::import(bytes, file_name),
    }
}
