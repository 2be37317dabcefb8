//! FIDO2 / WebAuthn security keys, verified with webauthn-rs.
//!
//! # Verifying over the IKE-bound challenge
//!
//! The EAP server hands [`FidoStore::start`] the challenge the assertion must
//! sign (it binds the IKE SA). webauthn-rs only verifies against challenges
//! it generated itself, kept in its `PasskeyAuthentication` state. With the
//! `danger-allow-state-serialisation` feature that state is serde data, so
//! `start` lets webauthn-rs build it (allowed credentials, user-verification
//! policy, counters), then replaces its `challenge` with ours by a round trip
//! through JSON, and checks that the replacement took. `finish` then runs
//! webauthn-rs's complete assertion check unchanged: client data type,
//! challenge, origin, RP ID hash, user presence and verification, signature
//! with the registered COSE key, and the signature-counter rule (a counter
//! that does not grow is refused as a possible clone). This keeps all
//! WebAuthn verification in the library instead of re-implementing it; the
//! price is a dependency on the state's serialised shape, which the tests pin
//! (an assertion over any other challenge must fail).
//!
//! Each started challenge is used at most once and for at most
//! [`CHALLENGE_LIFETIME`]. Credentials are passkeys with user verification
//! required (PIN or biometric on the key); the updated signature counter is
//! written back to the user's credentials file.
//!
//! # Files
//!
//! A user's credentials file is JSON: `{"user": NAME, "user_id": UUID,
//! "passkeys": [...]}` as written by [`enroll`] (`ibex-responder enroll`),
//! which registers a software token kept in a file: for tests and
//! demonstrations only, since that file holds the private key unprotected.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ibex_eap::{FidoAssertion, FidoRequest};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};
use webauthn_authenticator_rs::prelude::WebauthnAuthenticator as _;
use webauthn_authenticator_rs::softtoken::{SoftToken, SoftTokenFile};
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PublicKeyCredential, RequestChallengeResponse, Url, Uuid,
    Webauthn, WebauthnBuilder,
};
use webauthn_rs_proto::{
    AllowCredentials, AuthenticationExtensionsClientOutputs, AuthenticatorAssertionResponseRaw,
    PublicKeyCredentialRequestOptions, UserVerificationPolicy,
};

use super::config::{is_dns_name, FidoConfig};

/// How long a started assertion may be finished.
pub const CHALLENGE_LIFETIME: Duration = Duration::from_secs(300);
/// Accepted challenge sizes in bytes.
const CHALLENGE_LEN: std::ops::RangeInclusive<usize> = 16..=1024;
/// Upper bounds on the parts of an assertion from the network.
const MAX_CREDENTIAL_ID: usize = 1023;
const MAX_BLOB: usize = 8192;

/// Why a FIDO2 operation failed.
#[derive(Debug, thiserror::Error)]
pub enum FidoError {
    /// The relying party cannot be set up.
    #[error("relying party {rp_id:?}: {message}")]
    RelyingParty {
        /// The configured RP ID.
        rp_id: String,
        /// Why.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A credentials file is not what [`enroll`] writes.
    #[error("{}: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The user has no registered credential.
    #[error("no FIDO2 credential is registered for this user")]
    NotEnrolled,
    /// The challenge is too short or too long.
    #[error("challenge of {0} bytes; 16 to 1024 are accepted")]
    Challenge(usize),
    /// `finish` without a `start`, or after the challenge was used or expired.
    #[error("no FIDO2 challenge is open for this user")]
    NoChallenge,
    /// The assertion is malformed or does not verify.
    #[error("assertion rejected: {0}")]
    Rejected(String),
    /// webauthn-rs failed outside verification.
    #[error("webauthn: {0}")]
    Webauthn(String),
    /// The software token failed.
    #[error("software token: {0}")]
    Token(String),
}

/// A user's credentials file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialFile {
    /// The user the credentials belong to (must match the configuration).
    pub user: String,
    /// The user handle given to authenticators at registration.
    pub user_id: Uuid,
    /// Registered credentials (public keys, counters).
    pub passkeys: Vec<Passkey>,
}

impl CredentialFile {
    /// Reads and checks a credentials file.
    pub fn load(path: &Path) -> Result<Self, FidoError> {
        let text = std::fs::read(path).map_err(|source| FidoError::Io {
            path: path.into(),
            source,
        })?;
        serde_json::from_slice(&text).map_err(|e| FidoError::File {
            path: path.into(),
            message: e.to_string(),
        })
    }

    /// Writes the file atomically (a temporary file renamed over it), mode 0600.
    pub fn save(&self, path: &Path) -> Result<(), FidoError> {
        let io = |source| FidoError::Io {
            path: path.into(),
            source,
        };
        let json = serde_json::to_vec_pretty(self).map_err(|e| FidoError::File {
            path: path.into(),
            message: e.to_string(),
        })?;
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp).map_err(io)?;
        f.write_all(&json).map_err(io)?;
        f.write_all(b"\n").map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

/// The WebAuthn relying party for `rp_id`, origin `https://<rp_id>`.
pub fn relying_party(rp_id: &str, rp_name: Option<&str>) -> Result<(Webauthn, Url), FidoError> {
    let err = |message: String| FidoError::RelyingParty {
        rp_id: rp_id.into(),
        message,
    };
    if !is_dns_name(rp_id) {
        return Err(err("not a DNS name (like vpn.example.com)".into()));
    }
    let origin = Url::parse(&format!("https://{rp_id}")).map_err(|e| err(e.to_string()))?;
    let webauthn = WebauthnBuilder::new(rp_id, &origin)
        .map_err(|e| err(e.to_string()))?
        .rp_name(rp_name.unwrap_or(rp_id))
        .timeout(CHALLENGE_LIFETIME)
        .build()
        .map_err(|e| err(e.to_string()))?;
    Ok((webauthn, origin))
}

struct UserKeys {
    path: PathBuf,
    file: CredentialFile,
}

struct Pending {
    state: PasskeyAuthentication,
    started: SystemTime,
}

/// Registered credentials of all users and the assertions in progress.
pub struct FidoStore {
    webauthn: Webauthn,
    rp_id: String,
    origin: Url,
    users: Mutex<HashMap<String, UserKeys>>,
    pending: Mutex<HashMap<String, Pending>>,
}

impl std::fmt::Debug for FidoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FidoStore")
            .field("rp_id", &self.rp_id)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Puts `challenge` into webauthn-rs's authentication state in place of its own.
fn bind_challenge(
    state: &PasskeyAuthentication,
    challenge: &[u8],
) -> Result<PasskeyAuthentication, FidoError> {
    let shape =
        |what: &str| FidoError::Webauthn(format!("unexpected authentication state: {what}"));
    let mut v = serde_json::to_value(state).map_err(|e| shape(&e.to_string()))?;
    let ours = serde_json::Value::String(URL_SAFE_NO_PAD.encode(challenge));
    let slot = v
        .get_mut("ast")
        .and_then(|a| a.get_mut("challenge"))
        .filter(|c| c.is_string())
        .ok_or_else(|| shape("no ast.challenge"))?;
    *slot = ours.clone();
    let bound: PasskeyAuthentication =
        serde_json::from_value(v).map_err(|e| shape(&e.to_string()))?;
    // Check the replacement took (guards against a silent change of shape).
    let back = serde_json::to_value(&bound).map_err(|e| shape(&e.to_string()))?;
    if back.get("ast").and_then(|a| a.get("challenge")) != Some(&ours) {
        return Err(shape("challenge did not take"));
    }
    Ok(bound)
}

/// The assertion as webauthn-rs takes it, after size checks.
fn to_credential(a: &FidoAssertion) -> Result<PublicKeyCredential, FidoError> {
    if a.credential_id.is_empty() || a.credential_id.len() > MAX_CREDENTIAL_ID {
        return Err(FidoError::Rejected("credential id size".into()));
    }
    for (what, blob) in [
        ("authenticator data", &a.authenticator_data),
        ("client data", &a.client_data_json),
        ("signature", &a.signature),
    ] {
        if blob.is_empty() || blob.len() > MAX_BLOB {
            return Err(FidoError::Rejected(format!("{what} size")));
        }
    }
    Ok(PublicKeyCredential {
        id: URL_SAFE_NO_PAD.encode(&a.credential_id),
        raw_id: a.credential_id.clone(),
        response: AuthenticatorAssertionResponseRaw {
            authenticator_data: a.authenticator_data.clone(),
            client_data_json: a.client_data_json.clone(),
            signature: a.signature.clone(),
            user_handle: a.user_handle.clone(),
        },
        extensions: AuthenticationExtensionsClientOutputs::default(),
        type_: "public-key".into(),
    })
}

impl FidoStore {
    /// A store for the configured relying party, with no users yet.
    pub fn new(config: &FidoConfig) -> Result<Self, FidoError> {
        let (webauthn, origin) = relying_party(&config.rp_id, config.rp_name.as_deref())?;
        Ok(FidoStore {
            webauthn,
            rp_id: config.rp_id.clone(),
            origin,
            users: Mutex::new(HashMap::new()),
            pending: Mutex::new(HashMap::new()),
        })
    }

    /// The relying-party ID.
    pub fn rp_id(&self) -> &str {
        &self.rp_id
    }

    /// Loads `user`'s credentials file; returns how many credentials it holds.
    pub fn load_user(&self, user: &str, path: &Path) -> Result<usize, FidoError> {
        let file = CredentialFile::load(path)?;
        if file.user != user {
            return Err(FidoError::File {
                path: path.into(),
                message: format!("holds the credentials of {:?}, not {user:?}", file.user),
            });
        }
        if file.passkeys.is_empty() {
            return Err(FidoError::File {
                path: path.into(),
                message: "no credentials; register one with `ibex-responder enroll`".into(),
            });
        }
        let n = file.passkeys.len();
        lock(&self.users).insert(
            user.to_owned(),
            UserKeys {
                path: path.into(),
                file,
            },
        );
        Ok(n)
    }

    /// Starts an assertion for `user` over exactly `challenge` (replacing any
    /// earlier one of this user).
    pub fn start(
        &self,
        user: &str,
        challenge: &[u8],
        now: SystemTime,
    ) -> Result<FidoRequest, FidoError> {
        if !CHALLENGE_LEN.contains(&challenge.len()) {
            return Err(FidoError::Challenge(challenge.len()));
        }
        let (rcr, state) = {
            let users = lock(&self.users);
            let keys = users.get(user).ok_or(FidoError::NotEnrolled)?;
            self.webauthn
                .start_passkey_authentication(&keys.file.passkeys)
                .map_err(|e| FidoError::Webauthn(e.to_string()))?
        };
        let state = bind_challenge(&state, challenge)?;
        let options = rcr.public_key;
        let user_verification = match options.user_verification {
            UserVerificationPolicy::Required => "required",
            UserVerificationPolicy::Preferred => "preferred",
            _ => "discouraged",
        };
        lock(&self.pending).insert(
            user.to_owned(),
            Pending {
                state,
                started: now,
            },
        );
        Ok(FidoRequest {
            rp_id: options.rp_id,
            origin: self.origin.as_str().trim_end_matches('/').to_owned(),
            challenge: challenge.to_vec(),
            allow_credentials: options
                .allow_credentials
                .into_iter()
                .map(|c| c.id)
                .collect(),
            user_verification: user_verification.into(),
        })
    }

    /// Verifies `user`'s assertion over the challenge last started for them;
    /// the challenge is used up either way.
    pub fn finish(
        &self,
        user: &str,
        assertion: &FidoAssertion,
        now: SystemTime,
    ) -> Result<(), FidoError> {
        let pending = lock(&self.pending)
            .remove(user)
            .ok_or(FidoError::NoChallenge)?;
        let age = now
            .duration_since(pending.started)
            .unwrap_or(Duration::ZERO);
        if age > CHALLENGE_LIFETIME {
            return Err(FidoError::NoChallenge);
        }
        let credential = to_credential(assertion)?;
        let mut users = lock(&self.users);
        let keys = users.get_mut(user).ok_or(FidoError::NotEnrolled)?;
        if let Some(handle) = &assertion.user_handle {
            if handle.as_slice() != keys.file.user_id.as_bytes() {
                return Err(FidoError::Rejected("user handle of another user".into()));
            }
        }
        let result = self
            .webauthn
            .finish_passkey_authentication(&credential, &pending.state)
            .map_err(|e| FidoError::Rejected(e.to_string()))?;
        let changed = keys
            .file
            .passkeys
            .iter_mut()
            .any(|p| p.update_credential(&result) == Some(true));
        if changed {
            if let Err(e) = keys.file.save(&keys.path) {
                warn!(user, error = %e, "cannot record the FIDO2 signature counter");
            }
        }
        info!(user, "FIDO2 assertion verified");
        Ok(())
    }
}

fn token_err(e: impl std::fmt::Debug) -> FidoError {
    FidoError::Token(format!("{e:?}"))
}

fn open_token(path: &Path, create: bool) -> Result<SoftTokenFile, FidoError> {
    let io = |source| FidoError::Io {
        path: path.into(),
        source,
    };
    let mut opts = OpenOptions::new();
    opts.read(true).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    if create && !path.exists() {
        let file = opts.create_new(true).open(path).map_err(io)?;
        let (token, _ca) = SoftToken::new(true).map_err(token_err)?;
        return Ok(SoftTokenFile::new(token, file));
    }
    let file = opts.open(path).map_err(io)?;
    SoftTokenFile::open(file).map_err(token_err)
}

/// Registers a new credential of the software token in `token_file`
/// (created if missing) for `user`, and appends it to the credentials file
/// `out` (created if missing). Returns the new credential's id.
pub fn enroll(
    rp_id: &str,
    user: &str,
    token_file: &Path,
    out: &Path,
) -> Result<Vec<u8>, FidoError> {
    let (webauthn, origin) = relying_party(rp_id, None)?;
    let mut file = if out.exists() {
        let f = CredentialFile::load(out)?;
        if f.user != user {
            return Err(FidoError::File {
                path: out.into(),
                message: format!("holds the credentials of {:?}, not {user:?}", f.user),
            });
        }
        f
    } else {
        CredentialFile {
            user: user.into(),
            user_id: Uuid::new_v4(),
            passkeys: Vec::new(),
        }
    };
    let exclude: Vec<Vec<u8>> = file.passkeys.iter().map(|p| p.cred_id().clone()).collect();
    let (ccr, registration) = webauthn
        .start_passkey_registration(file.user_id, user, user, Some(exclude))
        .map_err(|e| FidoError::Webauthn(e.to_string()))?;
    let mut token = open_token(token_file, true)?;
    let response = token.do_registration(origin, ccr).map_err(token_err)?;
    drop(token); // saves the token file
    let passkey = webauthn
        .finish_passkey_registration(&response, &registration)
        .map_err(|e| FidoError::Rejected(e.to_string()))?;
    let id = passkey.cred_id().clone();
    file.passkeys.push(passkey);
    file.save(out)?;
    info!(user, rp_id, "FIDO2 credential enrolled");
    Ok(id)
}

/// Signs `request` with the software token in `token_file`, as a client would
/// with a security key (for tests and demonstrations).
pub fn soft_token_assertion(
    token_file: &Path,
    request: &FidoRequest,
) -> Result<FidoAssertion, FidoError> {
    let mut token = open_token(token_file, false)?;
    let origin = Url::parse(&request.origin).map_err(token_err)?;
    let user_verification = match request.user_verification.as_str() {
        "required" => UserVerificationPolicy::Required,
        "preferred" => UserVerificationPolicy::Preferred,
        _ => UserVerificationPolicy::Discouraged_DO_NOT_USE,
    };
    let rcr = RequestChallengeResponse {
        public_key: PublicKeyCredentialRequestOptions {
            challenge: request.challenge.clone(),
            timeout: Some(60_000),
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
    };
    let pkc = token.do_authentication(origin, rcr).map_err(token_err)?;
    Ok(FidoAssertion {
        credential_id: pkc.raw_id.clone(),
        authenticator_data: pkc.response.authenticator_data.clone(),
        client_data_json: pkc.response.client_data_json.clone(),
        signature: pkc.response.signature.clone(),
        user_handle: pkc.response.user_handle.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RP: &str = "vpn.example.test";

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    struct Setup {
        _dir: tempfile::TempDir,
        token: PathBuf,
        creds: PathBuf,
        store: FidoStore,
        cred_id: Vec<u8>,
    }

    fn setup() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("alice.token");
        let creds = dir.path().join("alice.json");
        let cred_id = enroll(RP, "alice", &token, &creds).unwrap();
        let store = FidoStore::new(&FidoConfig {
            rp_id: RP.into(),
            rp_name: None,
        })
        .unwrap();
        assert_eq!(store.load_user("alice", &creds).unwrap(), 1);
        Setup {
            _dir: dir,
            token,
            creds,
            store,
            cred_id,
        }
    }

    #[test]
    fn enrolled_token_authenticates_over_our_challenge() {
        let s = setup();
        let challenge = [7u8; 32];
        let req = s.store.start("alice", &challenge, now()).unwrap();
        assert_eq!(req.rp_id, RP);
        assert_eq!(req.origin, "https://vpn.example.test");
        assert_eq!(req.challenge, challenge);
        assert_eq!(req.allow_credentials, vec![s.cred_id.clone()]);
        assert_eq!(req.user_verification, "required");
        let assertion = soft_token_assertion(&s.token, &req).unwrap();
        // The client data names our challenge.
        let cd: serde_json::Value = serde_json::from_slice(&assertion.client_data_json).unwrap();
        assert_eq!(cd["challenge"], URL_SAFE_NO_PAD.encode(challenge));
        s.store.finish("alice", &assertion, now()).unwrap();
        // The challenge is used up.
        assert!(matches!(
            s.store.finish("alice", &assertion, now()),
            Err(FidoError::NoChallenge)
        ));
    }

    #[test]
    fn assertion_over_another_challenge_is_rejected() {
        let s = setup();
        let req = s.store.start("alice", &[1u8; 32], now()).unwrap();
        let mut other = req.clone();
        other.challenge = vec![2u8; 32];
        let assertion = soft_token_assertion(&s.token, &other).unwrap();
        let e = s.store.finish("alice", &assertion, now()).unwrap_err();
        assert!(
            matches!(&e, FidoError::Rejected(m) if m.contains("hallenge")),
            "{e}"
        );
        // A fresh start with the real challenge still works.
        let req = s.store.start("alice", &[1u8; 32], now()).unwrap();
        let good = soft_token_assertion(&s.token, &req).unwrap();
        s.store.finish("alice", &good, now()).unwrap();
    }

    #[test]
    fn replayed_assertion_is_rejected_by_the_counter() {
        let s = setup();
        let challenge = [9u8; 32];
        let req = s.store.start("alice", &challenge, now()).unwrap();
        let assertion = soft_token_assertion(&s.token, &req).unwrap();
        s.store.finish("alice", &assertion, now()).unwrap();
        // The counter was written back to the file.
        let file = CredentialFile::load(&s.creds).unwrap();
        let stored = serde_json::to_value(&file.passkeys[0]).unwrap();
        assert_ne!(stored["cred"]["counter"], 0, "{stored}");
        // Same challenge again (as if the server repeated it): the old assertion's
        // counter is not above the stored one.
        s.store.start("alice", &challenge, now()).unwrap();
        let e = s.store.finish("alice", &assertion, now()).unwrap_err();
        assert!(matches!(e, FidoError::Rejected(_)), "{e}");
    }

    #[test]
    fn tampering_and_misuse_are_rejected() {
        let s = setup();
        // No challenge started.
        let req = FidoRequest {
            rp_id: RP.into(),
            origin: "https://vpn.example.test".into(),
            challenge: vec![3u8; 32],
            allow_credentials: vec![s.cred_id.clone()],
            user_verification: "required".into(),
        };
        let assertion = soft_token_assertion(&s.token, &req).unwrap();
        assert!(matches!(
            s.store.finish("alice", &assertion, now()),
            Err(FidoError::NoChallenge)
        ));
        // Bad signature.
        s.store.start("alice", &[3u8; 32], now()).unwrap();
        let mut bad = soft_token_assertion(&s.token, &req).unwrap();
        let last = bad.signature.len() - 1;
        bad.signature[last] ^= 1;
        assert!(matches!(
            s.store.finish("alice", &bad, now()),
            Err(FidoError::Rejected(_))
        ));
        // Expired.
        s.store.start("alice", &[3u8; 32], now()).unwrap();
        let late = now() + CHALLENGE_LIFETIME + Duration::from_secs(1);
        let fresh = soft_token_assertion(&s.token, &req).unwrap();
        assert!(matches!(
            s.store.finish("alice", &fresh, late),
            Err(FidoError::NoChallenge)
        ));
        // Garbage from the network.
        s.store.start("alice", &[3u8; 32], now()).unwrap();
        let junk = FidoAssertion {
            credential_id: s.cred_id.clone(),
            authenticator_data: vec![0; 37],
            client_data_json: b"{not json".to_vec(),
            signature: vec![0; 70],
            user_handle: None,
        };
        assert!(matches!(
            s.store.finish("alice", &junk, now()),
            Err(FidoError::Rejected(_))
        ));
        s.store.start("alice", &[3u8; 32], now()).unwrap();
        let empty = FidoAssertion {
            credential_id: vec![],
            ..junk
        };
        assert!(matches!(
            s.store.finish("alice", &empty, now()),
            Err(FidoError::Rejected(_))
        ));
        // Challenge sizes.
        assert!(matches!(
            s.store.start("alice", &[0u8; 8], now()),
            Err(FidoError::Challenge(8))
        ));
        // Unknown user.
        assert!(matches!(
            s.store.start("bob", &[0u8; 32], now()),
            Err(FidoError::NotEnrolled)
        ));
    }

    #[test]
    fn another_users_key_is_rejected() {
        let s = setup();
        // Bob has his own key; Alice's token signs for Bob's challenge.
        let bob_token = s._dir.path().join("bob.token");
        let bob_creds = s._dir.path().join("bob.json");
        enroll(RP, "bob", &bob_token, &bob_creds).unwrap();
        s.store.load_user("bob", &bob_creds).unwrap();
        let req = s.store.start("bob", &[4u8; 32], now()).unwrap();
        let mut alice_req = req.clone();
        alice_req.allow_credentials = vec![s.cred_id.clone()];
        let assertion = soft_token_assertion(&s.token, &alice_req).unwrap();
        assert!(matches!(
            s.store.finish("bob", &assertion, now()),
            Err(FidoError::Rejected(_))
        ));
        // A file of another user is refused.
        assert!(matches!(
            s.store.load_user("bob", &s.creds),
            Err(FidoError::File { .. })
        ));
    }

    #[test]
    fn enroll_appends() {
        let s = setup();
        let second = enroll(RP, "alice", &s.token, &s.creds).unwrap();
        assert_ne!(second, s.cred_id);
        let file = CredentialFile::load(&s.creds).unwrap();
        assert_eq!(file.passkeys.len(), 2);
        assert!(enroll(RP, "mallory", &s.token, &s.creds).is_err());
        assert!(relying_party("not a domain", None).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&s.creds).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "credentials file readable by others");
        }
    }
}
