//! Certificate payloads: the CA certificates the gateway's certificate
//! must chain to (`com.apple.security.root`, `pkcs1`, `pem`) and the
//! client identity (`com.apple.security.pkcs12`), which Ibex does not read.

use plist::{Dictionary, Value};

use super::Payloads;
use crate::import::draft::{self, Draft};
use crate::import::ImportError;

/// PEM text of every CA certificate payload, in file order; `None` when
/// there is none.
pub(super) fn ca_pem(payloads: &Payloads<'_>) -> Result<Option<String>, ImportError> {
    let mut pem = String::new();
    for payload in &payloads.certificates {
        let ty = payload
            .get("PayloadType")
            .and_then(Value::as_string)
            .unwrap_or_default();
        let key = format!("{ty}.PayloadContent");
        let Some(Value::Data(data)) = payload.get("PayloadContent") else {
            return Err(ImportError::unsupported(
                key,
                "must be the certificate's data",
            ));
        };
        if data.starts_with(b"-----BEGIN") {
            let text = std::str::from_utf8(data)
                .map_err(|_| ImportError::unsupported(&key, "is not PEM text"))?;
            if text.contains("PRIVATE KEY") {
                return Err(ImportError::unsupported(
                    key,
                    "contains a private key; only certificates are imported, and a key never goes into a profile",
                ));
            }
            pem.push_str(text.trim_end());
            pem.push('\n');
        } else {
            let text = draft::certificate_pem(data)
                .map_err(|reason| ImportError::unsupported(&key, reason))?;
            pem.push_str(&text);
        }
    }
    Ok((!pem.is_empty()).then_some(pem))
}

/// Warns about the client identity `PayloadCertificateUUID` names: Ibex
/// expects its certificate and key in files (and never stores the
/// bundle's password).
pub(super) fn identity_warning(
    ikev2: &Dictionary,
    payloads: &Payloads<'_>,
    uuid: &str,
    d: &mut Draft,
) -> Result<(), ImportError> {
    let key = "IKEv2.PayloadCertificateUUID";
    let reference = super::string(ikev2, "PayloadCertificateUUID", key)?;
    let bundle = reference.as_deref().and_then(|r| {
        payloads.identities.iter().find(|p| {
            p.get("PayloadUUID")
                .and_then(Value::as_string)
                .is_some_and(|u| u.eq_ignore_ascii_case(r))
        })
    });
    d.warn(key, draft::certificate_hint(uuid, bundle.is_some()));
    if bundle.is_some_and(|b| b.contains_key("Password")) {
        d.warn(
            "com.apple.security.pkcs12.Password",
            "not imported: the bundle's password is a secret, and Ibex does not read PKCS#12 bundles",
        );
    }
    Ok(())
}
