//! FIDO2 over IPC: what a `fido2` prompt asks the security key to sign
//! ([`FidoRequest`], the prompt's `fido` object) and the assertion an agent
//! answers with ([`FidoAssertion`], JSON text in `answer.value`).
//!
//! Binary values are base64url without padding (RFC 4648 section 5), as in
//! WebAuthn's JSON encodings.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::secret::SecretString;

/// Largest credential ID accepted in an assertion (WebAuthn allows 1023 bytes).
pub const MAX_CREDENTIAL_ID_LEN: usize = 1023;
/// Largest authenticator data, client data JSON, signature or user handle accepted.
pub const MAX_ASSERTION_FIELD_LEN: usize = 8192;

/// What a `fido2` prompt asks the security key to sign: a WebAuthn
/// `get()` request from the gateway (the prompt's `fido` field).
///
/// On the wire:
/// `{"rp_id": "vpn.example.com", "origin": "https://vpn.example.com",
/// "challenge": "<base64url>", "allow_credentials": ["<base64url>", ...],
/// "user_verification": "required"}`; `allow_credentials` is left out when
/// empty (any discoverable credential of the relying party).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FidoRequest {
    /// The relying-party ID (a domain) the credential was registered for.
    pub rp_id: String,
    /// The origin the client data must name, `https://` + a host within `rp_id`.
    pub origin: String,
    /// The challenge to sign, already bound to the IKE SA by the daemon's
    /// engine; the agent uses it as it is.
    #[serde(with = "b64")]
    pub challenge: Vec<u8>,
    /// Credential IDs the gateway accepts; empty: any discoverable credential.
    #[serde(default, with = "b64_list", skip_serializing_if = "Vec::is_empty")]
    pub allow_credentials: Vec<Vec<u8>>,
    /// Whether the key must verify the user (PIN, biometrics).
    #[serde(default)]
    pub user_verification: UserVerification,
}

/// WebAuthn's user-verification requirement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserVerification {
    /// The key must verify the user (PIN or biometrics).
    Required,
    /// Do not verify the user.
    Discouraged,
    /// Verify the user if the key can (also what unknown values mean).
    #[default]
    #[serde(other)]
    Preferred,
}

impl UserVerification {
    /// The WebAuthn name: `required`, `preferred` or `discouraged`.
    pub fn name(self) -> &'static str {
        match self {
            UserVerification::Required => "required",
            UserVerification::Preferred => "preferred",
            UserVerification::Discouraged => "discouraged",
        }
    }

    /// The value for a WebAuthn name; unknown names mean `preferred`.
    pub fn from_name(name: &str) -> UserVerification {
        match name {
            "required" => UserVerification::Required,
            "discouraged" => UserVerification::Discouraged,
            _ => UserVerification::Preferred,
        }
    }
}

/// A security key's assertion: the answer to a `fido2` prompt.
///
/// It travels as JSON text in `answer.value`:
/// `{"credential_id": "<base64url>", "authenticator_data": "<base64url>",
/// "client_data_json": "<base64url>", "signature": "<base64url>",
/// "user_handle": "<base64url>"}` (`user_handle` optional). Build the value
/// with [`FidoAssertion::to_answer`] and read it with
/// [`FidoAssertion::from_answer`]. An assertion is not a secret (it signs a
/// one-time challenge), but the value is a [`SecretString`] like every
/// answer.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FidoAssertion {
    /// The credential that signed.
    #[serde(with = "b64")]
    pub credential_id: Vec<u8>,
    /// The authenticator data (RP ID hash, flags, counter).
    #[serde(with = "b64")]
    pub authenticator_data: Vec<u8>,
    /// The client data JSON whose SHA-256 the key signed.
    #[serde(with = "b64")]
    pub client_data_json: Vec<u8>,
    /// The signature over authenticator data and client data hash.
    #[serde(with = "b64")]
    pub signature: Vec<u8>,
    /// The user handle (discoverable credentials).
    #[serde(default, with = "b64_opt", skip_serializing_if = "Option::is_none")]
    pub user_handle: Option<Vec<u8>>,
}

impl fmt::Debug for FidoAssertion {
    /// Sizes only: the values are long and of no use in a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FidoAssertion")
            .field("credential_id_len", &self.credential_id.len())
            .field("authenticator_data_len", &self.authenticator_data.len())
            .field("client_data_json_len", &self.client_data_json.len())
            .field("signature_len", &self.signature.len())
            .field("user_handle", &self.user_handle.is_some())
            .finish()
    }
}

/// Why an `answer` to a `fido2` prompt is not an assertion. The message
/// never quotes the value (an agent could have sent a password there).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the answer to the security key prompt is not a FIDO2 assertion: {0}")]
pub struct FidoAnswerError(String);

impl FidoAssertion {
    /// The assertion as the `value` of an `answer` request (compact JSON).
    pub fn to_answer(&self) -> SecretString {
        // Plain strings only: serializing cannot fail.
        SecretString::new(serde_json::to_string(self).unwrap_or_default())
    }

    /// Reads the `value` of an `answer` to a `fido2` prompt, checking the
    /// sizes (every field but `user_handle` is required and non-empty).
    pub fn from_answer(value: &SecretString) -> Result<FidoAssertion, FidoAnswerError> {
        let err = |m: &str| FidoAnswerError(m.to_string());
        let text = value.expose().trim();
        if !text.starts_with('{') {
            return Err(err(
                "expected a JSON object with credential_id, authenticator_data, client_data_json and signature",
            ));
        }
        let a: FidoAssertion = serde_json::from_str(text).map_err(|e| {
            // serde's messages name fields and expectations; a value could
            // only appear in "invalid type" errors, which are rephrased.
            let m = e.to_string();
            let ours = [
                "missing field",
                "unknown field",
                "duplicate field",
                "expected base64url",
            ];
            if ours.iter().any(|p| m.starts_with(p)) {
                FidoAnswerError(m.split(" at line").next().unwrap_or(&m).to_string())
            } else {
                FidoAnswerError(format!(
                    "malformed JSON at line {} column {}",
                    e.line(),
                    e.column()
                ))
            }
        })?;
        if a.credential_id.is_empty() || a.credential_id.len() > MAX_CREDENTIAL_ID_LEN {
            return Err(err("credential_id must be 1 to 1023 bytes"));
        }
        for (name, v) in [
            ("authenticator_data", &a.authenticator_data),
            ("client_data_json", &a.client_data_json),
            ("signature", &a.signature),
        ] {
            if v.is_empty() || v.len() > MAX_ASSERTION_FIELD_LEN {
                return Err(FidoAnswerError(format!(
                    "{name} must be 1 to {MAX_ASSERTION_FIELD_LEN} bytes"
                )));
            }
        }
        if a.user_handle
            .as_ref()
            .is_some_and(|h| h.len() > MAX_ASSERTION_FIELD_LEN)
        {
            return Err(err("user_handle is too long"));
        }
        Ok(a)
    }
}

fn decode<E: serde::de::Error>(s: &str) -> Result<Vec<u8>, E> {
    URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|_| E::custom("expected base64url (RFC 4648 section 5) without padding"))
}

/// A byte string as base64url text.
struct B64(Vec<u8>);

impl<'de> Deserialize<'de> for B64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<B64, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = B64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a base64url string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<B64, E> {
                decode(s).map(B64)
            }
        }
        d.deserialize_str(V)
    }
}

mod b64 {
    use super::*;

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&URL_SAFE_NO_PAD.encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        B64::deserialize(d).map(|b| b.0)
    }
}

mod b64_opt {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&URL_SAFE_NO_PAD.encode(v)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<B64>::deserialize(d).map(|b| b.map(|b| b.0))
    }
}

mod b64_list {
    use super::*;
    use serde::ser::SerializeSeq as _;

    pub fn serialize<S: Serializer>(v: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for item in v {
            seq.serialize_element(&URL_SAFE_NO_PAD.encode(item))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        Vec::<B64>::deserialize(d).map(|v| v.into_iter().map(|b| b.0).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assertion() -> FidoAssertion {
        FidoAssertion {
            credential_id: vec![1, 2, 3],
            authenticator_data: vec![0xfb; 37],
            client_data_json: br#"{"type":"webauthn.get"}"#.to_vec(),
            signature: vec![0x30, 0x45],
            user_handle: None,
        }
    }

    #[test]
    fn answer_roundtrip_and_pinned_text() {
        let a = assertion();
        let v = a.to_answer();
        assert_eq!(
            v.expose(),
            r#"{"credential_id":"AQID","authenticator_data":"-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-w","client_data_json":"eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0","signature":"MEU"}"#
        );
        assert_eq!(FidoAssertion::from_answer(&v).unwrap(), a);
        let mut with_handle = a.clone();
        with_handle.user_handle = Some(vec![9; 16]);
        assert_eq!(
            FidoAssertion::from_answer(&with_handle.to_answer()).unwrap(),
            with_handle
        );
        // Padding is tolerated on input.
        let padded = v.expose().replace("\"MEU\"", "\"MEU=\"");
        assert_eq!(
            FidoAssertion::from_answer(&padded.into()).unwrap(),
            assertion()
        );
    }

    #[test]
    fn malformed_answers_are_refused_without_quoting_them() {
        for (value, needle) in [
            ("hunter2", "JSON object"),
            ("\"hunter2\"", "JSON object"),
            ("{\"credential_id\": \"AQID\"}", "missing field"),
            ("{\"credential_id\": 5, \"x\": \"hunter2\"}", "malformed"),
            (
                r#"{"credential_id":"!!hunter2!!","authenticator_data":"AA","client_data_json":"AA","signature":"AA"}"#,
                "base64url",
            ),
            (
                r#"{"credential_id":"","authenticator_data":"AA","client_data_json":"AA","signature":"AA"}"#,
                "credential_id",
            ),
            (
                r#"{"credential_id":"AA","authenticator_data":"AA","client_data_json":"AA","signature":""}"#,
                "signature",
            ),
            (
                r#"{"credential_id":"AA","authenticator_data":"AA","client_data_json":"AA","signature":"AA","pin":"hunter2"}"#,
                "unknown field",
            ),
        ] {
            let e = FidoAssertion::from_answer(&value.into()).unwrap_err();
            let text = e.to_string();
            assert!(text.contains(needle), "{value}: {text}");
            assert!(!text.contains("hunter2"), "{value}: {text}");
        }
    }

    #[test]
    fn request_wire_form() {
        let r = FidoRequest {
            rp_id: "vpn.example.test".into(),
            origin: "https://vpn.example.test".into(),
            challenge: vec![0xff; 4],
            allow_credentials: vec![vec![1, 2, 3]],
            user_verification: UserVerification::Required,
        };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            r#"{"rp_id":"vpn.example.test","origin":"https://vpn.example.test","challenge":"_____w","allow_credentials":["AQID"],"user_verification":"required"}"#
        );
        assert_eq!(serde_json::from_str::<FidoRequest>(&json).unwrap(), r);
        // Defaults and forward compatibility.
        let r: FidoRequest = serde_json::from_str(
            r#"{"rp_id":"a.example","origin":"https://a.example","challenge":"AA","user_verification":"someday","extra":1}"#,
        )
        .unwrap();
        assert!(r.allow_credentials.is_empty());
        assert_eq!(r.user_verification, UserVerification::Preferred);
        assert_eq!(UserVerification::from_name("required").name(), "required");
        assert_eq!(
            UserVerification::from_name("x"),
            UserVerification::Preferred
        );
    }

    #[test]
    fn debug_shows_sizes() {
        let d = format!("{:?}", assertion());
        assert!(d.contains("signature_len: 2"), "{d}");
    }
}
