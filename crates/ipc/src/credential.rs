//! [`ConnectCredential`]: the certificate and private key an agent read as
//! the user and hands to the daemon with `connect`.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::secret::SecretString;

/// The client certificate chain and its private key, for a profile with
/// `auth.method = "certificate"` (its `auth.certificate` and `auth.key`),
/// or with `auth.method = "eap"` and an EAP-TLS round (that round's
/// `certificate` and `key`). A profile has at most one of them.
///
/// The daemon never reads the user's files or keyring: the agent reads
/// them with the user's own rights and sends their content here. On the
/// wire this is `{"certificate_pem": "...", "key_pem": "..."}`. `Debug`
/// shows neither the key nor its length, and a malformed value is refused
/// without quoting it (so a key sent in the wrong place never reaches an
/// error message or a log).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct ConnectCredential {
    /// PEM `CERTIFICATE` blocks, leaf first, then any intermediates to send.
    pub certificate_pem: String,
    /// The unencrypted PKCS#8 PEM private key of the leaf
    /// (`-----BEGIN PRIVATE KEY-----`).
    pub key_pem: SecretString,
}

impl fmt::Debug for ConnectCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectCredential")
            .field("certificate_pem_len", &self.certificate_pem.len())
            .field("key_pem", &self.key_pem)
            .finish()
    }
}

/// Reads the object field by field; anything else is refused with a
/// message that does not repeat the value (serde's default would quote a
/// string, which could be the key).
struct CredentialVisitor;

impl<'de> Visitor<'de> for CredentialVisitor {
    type Value = ConnectCredential;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with certificate_pem and key_pem")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ConnectCredential, A::Error> {
        let mut certificate_pem: Option<String> = None;
        let mut key_pem: Option<SecretString> = None;
        while let Some(key) = map.next_key::<FieldName>()? {
            match key {
                FieldName::CertificatePem if certificate_pem.is_some() => {
                    return Err(de::Error::duplicate_field("certificate_pem"))
                }
                FieldName::CertificatePem => certificate_pem = Some(map.next_value()?),
                FieldName::KeyPem if key_pem.is_some() => {
                    return Err(de::Error::duplicate_field("key_pem"))
                }
                FieldName::KeyPem => key_pem = Some(map.next_value()?),
                // Receivers ignore unknown fields (docs/ipc.md).
                FieldName::Other => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(ConnectCredential {
            certificate_pem: certificate_pem
                .ok_or_else(|| de::Error::missing_field("certificate_pem"))?,
            key_pem: key_pem.ok_or_else(|| de::Error::missing_field("key_pem"))?,
        })
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<ConnectCredential, E> {
        Err(E::custom(
            "credential: expected an object with certificate_pem and key_pem, found a string",
        ))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<ConnectCredential, E> {
        let v = SecretString::new(v); // wiped on drop
        self.visit_str(v.expose())
    }
}

/// A member name of the credential object.
enum FieldName {
    CertificatePem,
    KeyPem,
    Other,
}

impl<'de> Deserialize<'de> for FieldName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FieldName, D::Error> {
        struct NameVisitor;
        impl Visitor<'_> for NameVisitor {
            type Value = FieldName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FieldName, E> {
                Ok(match v {
                    "certificate_pem" => FieldName::CertificatePem,
                    "key_pem" => FieldName::KeyPem,
                    _ => FieldName::Other,
                })
            }
        }
        d.deserialize_identifier(NameVisitor)
    }
}

impl<'de> Deserialize<'de> for ConnectCredential {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ConnectCredential, D::Error> {
        // `deserialize_any`, not `deserialize_struct`: the latter reports a
        // string of the wrong type by quoting it.
        d.deserialize_any(CredentialVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\n-----END PRIVATE KEY-----\n";

    #[test]
    fn debug_hides_the_key() {
        let c = ConnectCredential {
            certificate_pem: "-----BEGIN CERTIFICATE-----\n".into(),
            key_pem: KEY.into(),
        };
        let printed = format!("{c:?} {c:#?}");
        assert!(!printed.contains("MIGHAgEA"), "{printed}");
        assert!(printed.contains("redacted"), "{printed}");
    }

    #[test]
    fn a_misplaced_key_is_not_quoted() {
        let json = serde_json::json!(KEY).to_string();
        let e = serde_json::from_str::<ConnectCredential>(&json).unwrap_err();
        assert!(!e.to_string().contains("MIGHAgEA"), "{e}");
        let json = format!(r#"{{"certificate_pem": "c", "key_pem": {json}, "extra": 1}}"#);
        let c: ConnectCredential = serde_json::from_str(&json).unwrap();
        assert_eq!(c.key_pem.expose(), KEY);
        let e =
            serde_json::from_str::<ConnectCredential>(r#"{"certificate_pem": "c"}"#).unwrap_err();
        assert!(e.to_string().contains("missing field `key_pem`"), "{e}");
    }
}
