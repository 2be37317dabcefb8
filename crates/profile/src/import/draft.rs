//! [`Draft`]: what the format-specific importers share while they map a
//! file: the warnings, which source key each profile field came from (so
//! that a validation error names the key of the file), and small value
//! helpers (PEM, derived UUIDs, certificate paths, quoting).

use base64::Engine as _;

use super::{Format, ImportError, ImportWarning, Imported, ImportedSecrets};
use crate::model::Profile;
use crate::path::PathSegment;

/// Values longer than this are cut in messages.
const QUOTE_MAX: usize = 60;

/// Warnings and field origins collected while one file is mapped.
#[derive(Default)]
pub(super) struct Draft {
    warnings: Vec<ImportWarning>,
    /// Top-level profile field → the source key it came from.
    origins: Vec<(&'static str, String)>,
}

impl Draft {
    /// Records a warning about `key`.
    pub(super) fn warn(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(ImportWarning {
            key: key.into(),
            message: message.into(),
        });
    }

    /// Records that profile field `field` was set from source key `key`.
    pub(super) fn origin(&mut self, field: &'static str, key: impl Into<String>) {
        self.origins.push((field, key.into()));
    }

    /// Validates `profile` and returns the import; a broken rule is
    /// reported at the source key its field came from.
    pub(super) fn finish(
        self,
        format: Format,
        profile: Profile,
        secrets: ImportedSecrets,
    ) -> Result<Imported, ImportError> {
        if let Err(error) = profile.validate() {
            let field = match error.path.segments().first() {
                Some(PathSegment::Key(k)) => *k,
                _ => "",
            };
            let key = self
                .origins
                .iter()
                .rev()
                .find(|(f, _)| *f == field)
                .map(|(_, k)| k.clone())
                .unwrap_or_else(|| error.path.to_string());
            return Err(ImportError::Invalid {
                key,
                error: Box::new(error),
            });
        }
        Ok(Imported {
            format,
            profile,
            warnings: self.warnings,
            secrets,
        })
    }
}

/// `v` with control characters escaped, cut to a short length, for
/// messages.
pub(super) fn quote(v: &str) -> String {
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

/// PEM text of one DER certificate, or why it is not one (only the outer
/// shape is checked here; [`Profile::validate`] loads it).
pub(super) fn certificate_pem(der: &[u8]) -> Result<String, &'static str> {
    // A certificate is a DER SEQUENCE with a multi-byte length.
    if der.len() < 64 || der[0] != 0x30 {
        return Err("is not a DER X.509 certificate");
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        // base64 output is ASCII.
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    Ok(pem)
}

/// Decodes base64 that may be wrapped over lines.
pub(super) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .ok()
}

/// A UUID (RFC 9562 version 8 layout) derived from `seed`, for files that
/// have none: importing the same file again gives the same UUID and so
/// replaces the profile. Not a security property; FNV-1a is enough.
pub(super) fn derived_uuid(seed: &[u8]) -> String {
    let fnv = |basis: u64| {
        seed.iter().fold(basis, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let hi = fnv(0xcbf2_9ce4_8422_2325);
    let lo = fnv(0x6c62_272e_07bb_0142);
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&hi.to_be_bytes());
    b[8..].copy_from_slice(&lo.to_be_bytes());
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Whether `s` is an 8-4-4-4-12 hexadecimal UUID.
pub(super) fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Where a profile imported without a usable client certificate expects
/// the user's certificate and key: `~/.config/ibex/certs/<uuid>.crt` and
/// `.key`.
pub(super) fn certificate_paths(uuid: &str) -> (String, String) {
    (
        format!("~/.config/ibex/certs/{uuid}.crt"),
        format!("~/.config/ibex/certs/{uuid}.key"),
    )
}

/// The message of the warning about the client certificate: where Ibex
/// expects it and how to get it there from a PKCS#12 bundle.
pub(super) fn certificate_hint(uuid: &str, has_bundle: bool) -> String {
    let (cert, key) = certificate_paths(uuid);
    let source = if has_bundle {
        "the file carries your certificate and private key as a PKCS#12 bundle, which Ibex does not read and never copies into a profile"
    } else {
        "the file names no client certificate Ibex can use"
    };
    format!(
        "{source}; the profile expects your certificate (PEM) at {cert} and its unencrypted PKCS#8 key at {key} (mode 0600): `openssl pkcs12 -in BUNDLE.p12 -clcerts -nokeys -out {cert}` and `openssl pkcs12 -in BUNDLE.p12 -nocerts -nodes | openssl pkcs8 -topk8 -nocrypt -out {key}` (docs/profiles-import.md)"
    )
}

/// The name a profile gets from the file's name when the file has none.
pub(super) fn name_from_file(file_name: Option<&str>) -> Option<String> {
    let base = file_name?.rsplit(['/', '\\']).next()?;
    let stem = base.rsplit_once('.').map_or(base, |(s, _)| s).trim();
    let name: String = stem.chars().filter(|c| !c.is_control()).take(128).collect();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_uuids_are_stable_and_valid() {
        let a = derived_uuid(b"one");
        assert_eq!(a, derived_uuid(b"one"));
        assert_ne!(a, derived_uuid(b"two"));
        assert!(is_uuid(&a), "{a}");
        assert_eq!(&a[14..15], "8");
    }

    #[test]
    fn names_and_quotes() {
        assert_eq!(
            name_from_file(Some("/tmp/Work VPN.sswan")).as_deref(),
            Some("Work VPN")
        );
        assert_eq!(name_from_file(Some(".sswan")), None);
        assert_eq!(quote("a\nb"), "a\\nb");
        assert!(quote(&"x".repeat(100)).ends_with('…'));
    }
}
