//! How a `connect` request signs in: the pre-shared key is asked for with a
//! prompt, a certificate and its key arrive with the request (for a
//! certificate profile, or for the EAP-TLS round of an EAP profile). The
//! daemon never reads the user's files: the agent reads them as the user.

use ibex_ike::crypto::Secret;
use ibex_ipc::{ConnectCredential, ErrorCode};
use ibex_profile::{Auth, Credential, Profile};

/// What the connection flow does to authenticate.
pub enum SignIn {
    /// Ask a person for the pre-shared key (prompt kind `psk`).
    AskPsk,
    /// The credential came with the request; the engine configuration is ready.
    Ready(Box<ibex_ike::Config>),
}

/// Why a `connect` request cannot sign in; answered as an `error` response.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// A profile that needs no certificate, with one attached.
    #[error("profile '{0}' needs no client certificate; the agent must not send one with it")]
    UnexpectedCredential(String),
    /// A certificate profile, or an EAP profile with an EAP-TLS round,
    /// without the certificate and key.
    #[error("profile '{0}' signs in with a certificate: the agent must send the certificate and its private key with the connect request (ibexd never reads your files); update the agent")]
    MissingCredential(String),
    /// The certificate, key or CA does not load.
    #[error("profile '{profile}': {source}")]
    Config {
        /// Profile name.
        profile: String,
        /// What is wrong (never the key itself).
        source: ibex_profile::ConfigError,
    },
}

impl SignInError {
    /// The IPC error code of this refusal.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::BadRequest
    }
}

/// Decides how `profile` signs in with what the agent sent. A certificate
/// credential is loaded here, so a bad key or certificate is refused
/// before anything starts.
pub fn sign_in(
    profile: &Profile,
    credential: Option<ConnectCredential>,
) -> Result<SignIn, SignInError> {
    let name = || profile.name.clone();
    match (&profile.auth, credential) {
        (Auth::Psk {}, None) => Ok(SignIn::AskPsk),
        (Auth::Psk {}, Some(_)) => Err(SignInError::UnexpectedCredential(name())),
        (Auth::Certificate { .. }, None) => Err(SignInError::MissingCredential(name())),
        (Auth::Certificate { .. }, Some(c)) => {
            let credential = Credential::Certificate {
                chain_pem: c.certificate_pem.into_bytes(),
                key_pem: Secret::from_slice(c.key_pem.expose().as_bytes()),
            };
            // `c.key_pem` is wiped as it drops here.
            profile
                .to_ike_config(credential)
                .map(|config| SignIn::Ready(Box::new(config)))
                .map_err(|source| SignInError::Config {
                    profile: name(),
                    source,
                })
        }
        // EAP asks for every secret during the conversation, except the
        // certificate of an EAP-TLS round, which comes with the request.
        (Auth::Eap { .. }, credential) => {
            let credential = match (profile.auth.has_tls_round(), credential) {
                (false, Some(_)) => return Err(SignInError::UnexpectedCredential(name())),
                (false, None) => Credential::Eap,
                (true, None) => return Err(SignInError::MissingCredential(name())),
                (true, Some(c)) => Credential::EapTls {
                    chain_pem: c.certificate_pem.into_bytes(),
                    key_pem: Secret::from_slice(c.key_pem.expose().as_bytes()),
                },
            };
            profile
                .to_ike_config(credential)
                .map(|config| SignIn::Ready(Box::new(config)))
                .map_err(|source| SignInError::Config {
                    profile: name(),
                    source,
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate (it also serves as the profile's CA) and
    /// its PKCS#8 PEM key, made at test time.
    fn pair() -> (String, String) {
        let c = rcgen::generate_simple_self_signed(vec!["client.ibex.test".into()]).unwrap();
        (c.cert.pem(), c.signing_key.serialize_pem())
    }

    fn profile(auth: &str, ca: &str) -> Profile {
        Profile::from_json(&format!(
            r#"{{"version": 1, "uuid": "2f1e7c52-4a0b-4c53-9d8e-0b6a3e1f7a10", "name": "lab",
  "gateway": {{"host": "192.0.2.1"}}, "local_id": "client.ibex.test", "remote_id": "gw.ibex.test",
  "auth": {auth}, "ca_certificate": {ca}}}"#,
            ca = serde_json::json!(ca),
        ))
        .unwrap()
    }

    fn cert_profile(ca: &str) -> Profile {
        profile(
            r#"{"method": "certificate", "certificate": "~/c.pem", "key": "~/k.pem"}"#,
            ca,
        )
    }

    #[test]
    fn each_method_gets_what_it_needs() {
        let (cert, key) = pair();
        let cred = || ConnectCredential {
            certificate_pem: cert.clone(),
            key_pem: key.as_str().into(),
        };
        let psk = profile(r#"{"method": "psk"}"#, &cert);
        assert!(matches!(sign_in(&psk, None), Ok(SignIn::AskPsk)));
        let e = sign_in(&psk, Some(cred())).err().unwrap();
        assert_eq!(e.code(), ErrorCode::BadRequest);
        let cert_p = cert_profile(&cert);
        let e = sign_in(&cert_p, None).err().unwrap();
        assert!(e.to_string().contains("never reads your files"), "{e}");
        assert!(matches!(
            sign_in(&cert_p, Some(cred())),
            Ok(SignIn::Ready(_))
        ));
        let eap = profile(
            r#"{"method": "eap", "rounds": [{"method": "mschapv2"}, {"method": "gtc"}]}"#,
            &cert,
        );
        match sign_in(&eap, None) {
            Ok(SignIn::Ready(c)) => assert_eq!(c.extra_auth.len(), 1),
            _ => panic!("an EAP profile needs nothing up front"),
        }
        assert!(sign_in(&eap, Some(cred())).is_err());
        // An EAP-TLS round: the certificate comes with the request.
        let tls = profile(
            r#"{"method": "eap", "rounds": [{"method": "tls", "certificate": "~/c.pem", "key": "~/k.pem"}, {"method": "gtc"}]}"#,
            &cert,
        );
        let e = sign_in(&tls, None).err().unwrap();
        assert!(e.to_string().contains("never reads your files"), "{e}");
        match sign_in(&tls, Some(cred())) {
            Ok(SignIn::Ready(c)) => {
                let ibex_ike::LocalAuth::Eap(first) = &c.local_auth else {
                    panic!("not EAP");
                };
                let tls = first.tls.as_ref().expect("EAP-TLS settings");
                assert_eq!(tls.server_name.as_deref(), Some("gw.ibex.test"));
                assert_eq!(tls.ca_certs.len(), 1);
            }
            Ok(_) => panic!("nothing to ask for"),
            Err(e) => panic!("{e}"),
        }
        // Its key must match, and is not shown when it does not.
        let (_, other_key) = pair();
        let body: String = other_key.lines().nth(1).unwrap().to_string();
        let e = sign_in(
            &tls,
            Some(ConnectCredential {
                certificate_pem: cert.clone(),
                key_pem: other_key.as_str().into(),
            }),
        )
        .err()
        .unwrap();
        let text = format!("{e} {e:?}");
        assert!(text.contains("EAP-TLS round"), "{text}");
        assert!(!text.contains(&body), "{text}");
    }

    #[test]
    fn a_bad_key_is_refused_without_showing_it() {
        let ((cert, _), (_, other_key)) = (pair(), pair());
        let body: String = other_key.lines().nth(1).unwrap().to_string();
        let e = sign_in(
            &cert_profile(&cert),
            Some(ConnectCredential {
                certificate_pem: cert.clone(),
                key_pem: other_key.as_str().into(),
            }),
        )
        .err()
        .unwrap();
        let text = format!("{e} {e:?}");
        assert!(text.contains("does not belong"), "{text}");
        assert!(!text.contains(&body), "{text}");
    }
}
