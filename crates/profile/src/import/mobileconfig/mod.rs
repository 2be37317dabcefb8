//! The IKEv2 payload of an Apple `.mobileconfig` (an XML property list) to
//! an Ibex profile. Signed profiles are refused ([`ImportError::Signed`]).
//! The mapping table is in `docs/profiles-import.md`.

mod certificates;
mod envelope;
mod ikev2;
mod proposals;

use std::io::Cursor;

use plist::{Dictionary, Value};

pub(crate) use envelope::is_cms;

use super::draft::{self, quote, Draft};
use super::{Format, ImportError, Imported};

/// The payloads of a configuration profile this importer looks at.
pub(super) struct Payloads<'a> {
    /// IKEv2 VPN payloads.
    pub(super) vpn: Vec<&'a Dictionary>,
    /// `com.apple.security.root` / `pkcs1` / `pem`: CA certificates.
    pub(super) certificates: Vec<&'a Dictionary>,
    /// `com.apple.security.pkcs12`: client identities.
    pub(super) identities: Vec<&'a Dictionary>,
    /// Every other payload, as `PayloadType` (and `VPNType`).
    pub(super) others: Vec<String>,
}

/// Maps the first IKEv2 payload of a configuration profile.
pub(super) fn import(bytes: &[u8], file_name: Option<&str>) -> Result<Imported, ImportError> {
    envelope::check_depth(bytes)?;
    let value = Value::from_reader_xml(Cursor::new(bytes)).map_err(|e| ImportError::Syntax {
        format: Format::Mobileconfig,
        message: e.to_string(),
    })?;
    let Some(root) = value.as_dictionary() else {
        return Err(ImportError::Syntax {
            format: Format::Mobileconfig,
            message: "the top level is not a dictionary".into(),
        });
    };
    if root.contains_key("EncryptedPayloadContent") {
        return Err(ImportError::unsupported(
            "EncryptedPayloadContent",
            "the payloads are encrypted for one device; Ibex cannot decrypt them: ask for an unencrypted profile",
        ));
    }
    let payloads = collect(root);
    let mut d = Draft::default();
    let Some((first, rest)) = payloads.vpn.split_first() else {
        let found = if payloads.others.is_empty() {
            "no payloads".to_string()
        } else {
            payloads.others.join(", ")
        };
        return Err(ImportError::NoIkev2Payload { found });
    };
    for other in rest {
        let name = other
            .get("UserDefinedName")
            .or_else(|| other.get("PayloadDisplayName"))
            .and_then(Value::as_string)
            .unwrap_or("unnamed");
        d.warn(
            "PayloadContent",
            format!(
                "another IKEv2 VPN payload ('{}') is not imported; Ibex imports one connection per file",
                quote(name)
            ),
        );
    }
    for other in &payloads.others {
        d.warn(
            "PayloadContent",
            format!("payload {other} ignored: not part of an IKEv2 connection"),
        );
    }
    let fallback_name = root
        .get("PayloadDisplayName")
        .and_then(Value::as_string)
        .map(str::to_string)
        .or_else(|| draft::name_from_file(file_name));
    ikev2::map(first, &payloads, fallback_name, d)
}

/// Sorts the payloads of `root` (its `PayloadContent`, or `root` itself
/// when it is a lone payload).
fn collect(root: &Dictionary) -> Payloads<'_> {
    let list: Vec<&Dictionary> = match root.get("PayloadContent") {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_dictionary).collect(),
        _ => vec![root],
    };
    let mut p = Payloads {
        vpn: Vec::new(),
        certificates: Vec::new(),
        identities: Vec::new(),
        others: Vec::new(),
    };
    for payload in list {
        let ty = payload
            .get("PayloadType")
            .and_then(Value::as_string)
            .unwrap_or("(no PayloadType)");
        match ty {
            "com.apple.vpn.managed" | "com.apple.vpn.managed.applayer" => {
                match payload.get("VPNType").and_then(Value::as_string) {
                    Some("IKEv2") => p.vpn.push(payload),
                    other => p.others.push(format!(
                        "{ty} (VPNType {})",
                        quote(other.unwrap_or("missing"))
                    )),
                }
            }
            "com.apple.security.root" | "com.apple.security.pkcs1" | "com.apple.security.pem" => {
                p.certificates.push(payload)
            }
            "com.apple.security.pkcs12" => p.identities.push(payload),
            other => p.others.push(quote(other)),
        }
    }
    p
}

/// The string at `name` of `dict`; `key` names it in errors.
pub(super) fn string(
    dict: &Dictionary,
    name: &str,
    key: &str,
) -> Result<Option<String>, ImportError> {
    match dict.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ImportError::unsupported(key, "must be a string")),
    }
}

/// The non-negative integer at `name` of `dict`.
pub(super) fn integer(
    dict: &Dictionary,
    name: &str,
    key: &str,
) -> Result<Option<u64>, ImportError> {
    match dict.get(name) {
        None => Ok(None),
        Some(Value::Integer(i)) => i
            .as_unsigned()
            .map(Some)
            .ok_or_else(|| ImportError::unsupported(key, "must not be negative")),
        Some(_) => Err(ImportError::unsupported(key, "must be an integer")),
    }
}

/// A flag: a boolean, or the integer 0 or 1 as Apple writes most of them.
pub(super) fn flag(dict: &Dictionary, name: &str, key: &str) -> Result<Option<bool>, ImportError> {
    match dict.get(name) {
        None => Ok(None),
        Some(Value::Boolean(b)) => Ok(Some(*b)),
        Some(Value::Integer(i)) => match i.as_unsigned() {
            Some(0) => Ok(Some(false)),
            Some(1) => Ok(Some(true)),
            _ => Err(ImportError::unsupported(key, "must be 0 or 1")),
        },
        Some(_) => Err(ImportError::unsupported(key, "must be 0 or 1")),
    }
}

/// The dictionary at `name` of `dict`.
pub(super) fn dictionary<'a>(
    dict: &'a Dictionary,
    name: &str,
    key: &str,
) -> Result<Option<&'a Dictionary>, ImportError> {
    match dict.get(name) {
        None => Ok(None),
        Some(Value::Dictionary(d)) => Ok(Some(d)),
        Some(_) => Err(ImportError::unsupported(key, "must be a dictionary")),
    }
}

/// The array of strings at `name` of `dict`.
pub(super) fn strings(
    dict: &Dictionary,
    name: &str,
    key: &str,
) -> Result<Vec<String>, ImportError> {
    match dict.get(name) {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_string()
                    .map(str::to_string)
                    .ok_or_else(|| ImportError::unsupported(key, "must be an array of strings"))
            })
            .collect(),
        Some(_) => Err(ImportError::unsupported(key, "must be an array of strings")),
    }
}
