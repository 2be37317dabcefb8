//! Answering `fido2` prompts: the gateway's WebAuthn request (the prompt's
//! `fido` object) is signed by a security key over USB HID (CTAP2, feature
//! `usb`), or by the software token named by `IBEX_FIDO_SOFT_TOKEN` (for
//! tests and demonstrations), and the assertion goes back as the answer.
//!
//! A PIN the key needs is asked through the caller's [`PinSource`] (the
//! CLI's terminal or stdin, the app's PIN dialog): it never reaches the
//! daemon.

mod pin;

pub use pin::{NoPinSource, PinFuture, PinSource};

use std::path::Path;
use std::time::Duration;

use ibex_ipc::{FidoAssertion, FidoRequest, UserVerification};
use webauthn_authenticator_rs::error::{CtapError, WebauthnCError};
use webauthn_authenticator_rs::prelude::{PublicKeyCredential, RequestChallengeResponse, Url};
use webauthn_rs_proto::{
    AllowCredentials, PublicKeyCredentialRequestOptions, UserVerificationPolicy,
};

/// The environment variable naming a software token file
/// (webauthn-authenticator-rs `SoftTokenFile`, as `ibex-responder enroll`
/// writes it). For tests and demonstrations only: the file holds the
/// private key unprotected.
pub const SOFT_TOKEN_ENV: &str = "IBEX_FIDO_SOFT_TOKEN";

/// Why no assertion could be made. The messages say what to do.
#[derive(Debug, thiserror::Error)]
pub enum FidoError {
    /// No security key is plugged in (or none can be opened).
    #[error("no FIDO2 security key found: plug in your key and connect again (on Linux its hidraw device must be readable by you)")]
    NoKey,
    /// The key holds no credential the gateway accepts.
    #[error("this security key is not registered for {rp_id} (the gateway accepts none of its credentials): use the key you enrolled, or ask the gateway's administrator to register this one")]
    NotRegistered {
        /// The gateway's relying party.
        rp_id: String,
    },
    /// The key refused the PIN.
    #[error("wrong PIN for the security key; connect again and enter the key's PIN (a few more wrong PINs lock the key)")]
    WrongPin,
    /// Too many wrong PINs.
    #[error("the security key's PIN is blocked after too many wrong PINs: reset or unblock the key with its manager")]
    PinBlocked,
    /// The key needs its PIN but none was given.
    #[cfg(feature = "usb")]
    #[error("the security key needs its PIN, but none was given: enter the key's PIN when asked (a script gives it as the next line of stdin)")]
    NoPin,
    /// The gateway requires user verification the key cannot do.
    #[error("the gateway requires user verification (a PIN or fingerprint), but this security key has none set up: set a PIN with the key's manager")]
    NoUserVerification,
    /// Nobody touched the key in time.
    #[error("timed out: the security key was not touched within {0} s")]
    Timeout(u64),
    /// The key refused, or the touch was cancelled on the key.
    #[error("the security key refused the sign-in (or it was cancelled on the key)")]
    Denied,
    /// The request from the gateway is unusable.
    #[error("the gateway's FIDO2 request is unusable: {0}")]
    BadRequest(String),
    /// The software token file is unusable.
    #[error("the software token {path} ({SOFT_TOKEN_ENV}): {reason}")]
    SoftToken {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// This build has no USB support.
    #[cfg(not(feature = "usb"))]
    #[error("this ibex was built without USB security key support (cargo feature `usb`); only {SOFT_TOKEN_ENV} can answer FIDO2 prompts")]
    NoUsb,
    /// Anything else from the authenticator library.
    #[error("security key: {0}")]
    Other(String),
}

/// Signs `request` with the software token of `IBEX_FIDO_SOFT_TOKEN` when
/// it is set, else with a security key over USB. `timeout` bounds the wait
/// for a touch; a PIN the key needs is asked from `pins`.
pub async fn sign(
    request: &FidoRequest,
    timeout: Duration,
    pins: &mut dyn PinSource,
) -> Result<FidoAssertion, FidoError> {
    let origin = Url::parse(&request.origin)
        .map_err(|e| FidoError::BadRequest(format!("origin {:?}: {e}", request.origin)))?;
    let options = options(request, timeout);
    if let Some(path) = std::env::var_os(SOFT_TOKEN_ENV) {
        return soft_token(Path::new(&path), origin, options, &request.rp_id);
    }
    #[cfg(feature = "usb")]
    {
        usb::sign(origin, options, &request.rp_id, timeout, pins).await
    }
    #[cfg(not(feature = "usb"))]
    {
        let _ = pins;
        Err(FidoError::NoUsb)
    }
}

/// WebAuthn `get()` options for the gateway's request.
fn options(request: &FidoRequest, timeout: Duration) -> RequestChallengeResponse {
    let user_verification = match request.user_verification {
        UserVerification::Required => UserVerificationPolicy::Required,
        UserVerification::Preferred => UserVerificationPolicy::Preferred,
        UserVerification::Discouraged => UserVerificationPolicy::Discouraged_DO_NOT_USE,
    };
    RequestChallengeResponse {
        public_key: PublicKeyCredentialRequestOptions {
            challenge: request.challenge.clone(),
            timeout: Some(u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX)),
            rp_id: request.rp_id.clone(),
            allow_credentials: request
                .allow_credentials
                .iter()
                .map(|id| AllowCredentials {
                    type_: "public-key".into(),
                    id: id.clone(),
                    transports: None,
                })
                .collect(),
            user_verification,
            hints: None,
            extensions: None,
        },
        mediation: None,
    }
}

/// The answer for the daemon from what the authenticator returned.
fn assertion(c: PublicKeyCredential) -> FidoAssertion {
    FidoAssertion {
        credential_id: c.raw_id,
        authenticator_data: c.response.authenticator_data,
        client_data_json: c.response.client_data_json,
        signature: c.response.signature,
        user_handle: c.response.user_handle,
    }
}

/// The library's error in our terms.
fn classify(e: WebauthnCError, rp_id: &str) -> FidoError {
    use CtapError as C;
    match e {
        WebauthnCError::Ctap(C::Ctap2NoCredentials | C::Ctap2InvalidCredential) => {
            FidoError::NotRegistered {
                rp_id: rp_id.into(),
            }
        }
        WebauthnCError::Ctap(C::Ctap2PinInvalid | C::Ctap2PinAuthInvalid) => FidoError::WrongPin,
        WebauthnCError::Ctap(C::Ctap2PinBlocked | C::Ctap2PinAuthBlocked) => FidoError::PinBlocked,
        WebauthnCError::Ctap(C::Ctap2PinNotSet) | WebauthnCError::UserVerificationRequired => {
            FidoError::NoUserVerification
        }
        WebauthnCError::Ctap(
            C::Ctap2UserActionTimeout | C::Ctap2ActionTimeout | C::Ctap1Timeout,
        ) => FidoError::Timeout(30),
        WebauthnCError::Ctap(
            C::Ctap2OperationDenied | C::Ctap2NotAllowed | C::Ctap2KeepAliveCancel,
        ) => FidoError::Denied,
        WebauthnCError::NoHidDevices | WebauthnCError::NoSelectedToken => FidoError::NoKey,
        WebauthnCError::Security => {
            FidoError::BadRequest("its origin is not https:// within its relying party".into())
        }
        e => FidoError::Other(e.to_string()),
    }
}

/// Signs with the software token in `path`.
fn soft_token(
    path: &Path,
    origin: Url,
    options: RequestChallengeResponse,
    rp_id: &str,
) -> Result<FidoAssertion, FidoError> {
    use webauthn_authenticator_rs::prelude::WebauthnAuthenticator as _;
    use webauthn_authenticator_rs::softtoken::SoftTokenFile;
    let fail = |reason: String| FidoError::SoftToken {
        path: path.display().to_string(),
        reason,
    };
    // Read and written: the token keeps a signature counter.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| fail(e.to_string()))?;
    let mut token =
        SoftTokenFile::open(file).map_err(|e| fail(format!("not a software token file: {e}")))?;
    let result = token.do_authentication(origin, options);
    drop(token); // saves the counter
    match result {
        Ok(c) => Ok(assertion(c)),
        // The software token's only internal failure: none of the allowed
        // credentials is in it.
        Err(WebauthnCError::Internal) => Err(FidoError::NotRegistered {
            rp_id: rp_id.into(),
        }),
        Err(e) => Err(classify(e, rp_id)),
    }
}

#[cfg(feature = "usb")]
mod usb {
    //! CTAP2 security keys over USB HID, on a thread of their own: the
    //! library blocks inside its calls, and asks for the PIN through
    //! [`UiCallback`], which hands the question to the caller's
    //! [`PinSource`] (see [`super::pin`]).

    use std::fmt;
    use std::time::Duration;

    use ibex_ipc::FidoAssertion;
    use webauthn_authenticator_rs::ctap2::CtapAuthenticator;
    use webauthn_authenticator_rs::prelude::{
        RequestChallengeResponse, Url, WebauthnAuthenticator as _,
    };
    use webauthn_authenticator_rs::transport::Transport as _;
    use webauthn_authenticator_rs::types::{CableRequestType, CableState, EnrollSampleStatus};
    use webauthn_authenticator_rs::ui::UiCallback;
    use webauthn_authenticator_rs::usb::USBTransport;

    use super::pin::{with_pins, PinAsker};
    use super::{assertion, classify, FidoError, PinSource};

    /// The library's UI: PIN questions go to the caller's task.
    struct Ui(PinAsker);

    impl fmt::Debug for Ui {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Ui")
        }
    }

    impl UiCallback for Ui {
        fn request_pin(&self) -> Option<String> {
            // The library takes a String; our copy is wiped.
            self.0.ask().map(|pin| pin.as_str().to_owned())
        }

        fn request_touch(&self) {
            eprintln!("Touch your security key now");
        }

        fn processing(&self) {}

        fn fingerprint_enrollment_feedback(&self, _: u32, _: Option<EnrollSampleStatus>) {}

        fn cable_qr_code(&self, _: CableRequestType, _: String) {}

        fn dismiss_qr_code(&self) {}

        fn cable_status_update(&self, _: CableState) {}
    }

    /// Runs the CTAP exchange on a thread and answers its PIN questions
    /// from `pins` until it is done or `timeout` passes.
    pub(super) async fn sign(
        origin: Url,
        options: RequestChallengeResponse,
        rp_id: &str,
        timeout: Duration,
        pins: &mut dyn PinSource,
    ) -> Result<FidoAssertion, FidoError> {
        let rp = rp_id.to_string();
        with_pins(
            move |asker| run(&Ui(asker), origin, options, &rp),
            pins,
            timeout,
        )
        .await
    }

    /// The CTAP exchange with the first usable key (blocking).
    fn run(
        ui: &Ui,
        origin: Url,
        options: RequestChallengeResponse,
        rp_id: &str,
    ) -> Result<FidoAssertion, FidoError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| FidoError::Other(e.to_string()))?;
        rt.block_on(async {
            let transport = USBTransport::new().await.map_err(|e| classify(e, rp_id))?;
            let tokens = transport.tokens().await.map_err(|e| classify(e, rp_id))?;
            let mut found = None;
            for token in tokens {
                if let Some(a) = CtapAuthenticator::new(token, ui).await {
                    found = Some(a);
                    break;
                }
            }
            let mut key = found.ok_or(FidoError::NoKey)?;
            match key.do_authentication(origin, options) {
                Ok(c) => Ok(assertion(c)),
                Err(_) if ui.0.declined() => Err(FidoError::NoPin),
                Err(e) => Err(classify(e, rp_id)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use webauthn_authenticator_rs::prelude::WebauthnAuthenticator as _;
    use webauthn_authenticator_rs::softtoken::{SoftToken, SoftTokenFile};

    const RP: &str = "vpn.example.test";

    /// A software token file with one credential for `RP`; returns its id.
    fn token_with_credential(path: &Path) -> Vec<u8> {
        let (token, _ca) = SoftToken::new(true).unwrap();
        let file = std::fs::File::create(path).unwrap();
        let mut token = SoftTokenFile::new(token, file);
        let ccr: webauthn_authenticator_rs::prelude::CreationChallengeResponse =
            serde_json::from_value(serde_json::json!({"publicKey": {
                "rp": {"name": RP, "id": RP},
                "user": {"id": "AQIDBA", "name": "alice", "displayName": "alice"},
                "challenge": "AAAAAAAAAAAAAAAAAAAAAA",
                "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
            }}))
            .unwrap();
        let r = token
            .do_registration(Url::parse(&format!("https://{RP}")).unwrap(), ccr)
            .unwrap();
        r.raw_id
    }

    fn request(allow: Vec<Vec<u8>>) -> FidoRequest {
        FidoRequest {
            rp_id: RP.into(),
            origin: format!("https://{RP}"),
            challenge: vec![0x42; 32],
            allow_credentials: allow,
            user_verification: UserVerification::Required,
        }
    }

    #[test]
    fn soft_token_signs_the_challenge_or_says_it_is_not_registered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        let id = token_with_credential(&path);
        assert!(!id.is_empty());
        let origin = Url::parse(&format!("https://{RP}")).unwrap();
        let req = request(vec![vec![9; 16], id.clone()]);
        let a = soft_token(
            &path,
            origin.clone(),
            options(&req, Duration::from_secs(60)),
            RP,
        )
        .unwrap();
        assert_eq!(a.credential_id, id);
        let client_data: serde_json::Value = serde_json::from_slice(&a.client_data_json).unwrap();
        assert_eq!(client_data["type"], "webauthn.get");
        assert_eq!(
            client_data["challenge"],
            "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI"
        );
        assert_eq!(a.authenticator_data.len(), 37);
        // The answer the daemon reads back.
        assert_eq!(FidoAssertion::from_answer(&a.to_answer()).unwrap(), a);

        let other = request(vec![vec![7; 16]]);
        let e = soft_token(
            &path,
            origin.clone(),
            options(&other, Duration::from_secs(60)),
            RP,
        )
        .unwrap_err();
        assert!(matches!(e, FidoError::NotRegistered { .. }), "{e}");
        assert!(
            e.to_string()
                .contains("not registered for vpn.example.test"),
            "{e}"
        );

        let e = soft_token(
            &dir.path().join("missing"),
            origin,
            options(&req, Duration::from_secs(60)),
            RP,
        )
        .unwrap_err();
        assert!(e.to_string().contains(SOFT_TOKEN_ENV), "{e}");
    }

    #[test]
    fn library_errors_become_advice() {
        let c = |e| classify(WebauthnCError::Ctap(e), RP).to_string();
        assert!(c(CtapError::Ctap2PinInvalid).contains("wrong PIN"));
        assert!(c(CtapError::Ctap2PinBlocked).contains("blocked"));
        assert!(c(CtapError::Ctap2NoCredentials).contains("not registered"));
        assert!(c(CtapError::Ctap2UserActionTimeout).contains("timed out"));
        assert!(classify(WebauthnCError::NoHidDevices, RP)
            .to_string()
            .contains("no FIDO2 security key found"));
    }
}
