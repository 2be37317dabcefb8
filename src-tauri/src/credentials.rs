//! "Remember in keyring" for the app, as `ibex connect --remember-password`
//! does for the CLI ([`ibex_agent::keyring`]: the Secret Service on Linux):
//!
//! - a password typed with "Remember in keyring" checked
//!   (`answer_password`) is saved once the connection is up;
//! - a password prompt for a profile with a saved password is answered by
//!   the app itself, without showing the dialog (once per attempt);
//! - a saved password that the gateway refuses is deleted, and the person
//!   is told; the next attempt shows the dialog.
//!
//! Without a keyring service, nothing is saved or recalled: the dialog is
//! shown as usual and a failed save says why (the sign-in is not affected).
//! Passwords are wiped from memory once used, and never logged.

use std::sync::{Arc, Mutex, MutexGuard};

use ibex_ipc::{ConnectionState, Prompt, PromptId, PromptKind, Request, SecretString};
use tauri::{AppHandle, Emitter, Manager, State};
use zeroize::Zeroizing;

use crate::error::AppError;
use crate::events::APP_ERROR;
use crate::snapshot::Snapshot;
use crate::state::AppState;

/// Where passwords are kept: the user's keyring, or a test's memory.
pub trait PasswordStore: Send + Sync {
    /// The profile's saved password, if any (may block).
    fn recall(&self, uuid: &str) -> Result<Option<Zeroizing<String>>, String>;
    /// Saves or replaces the profile's password (may block).
    fn remember(&self, uuid: &str, password: &str) -> Result<(), String>;
    /// Deletes it; `Ok(false)` when none was saved (may block).
    fn forget(&self, uuid: &str) -> Result<bool, String>;
}

/// The user's keyring ([`ibex_agent::keyring`], shared with the CLI).
#[derive(Debug, Default)]
pub struct SystemKeyring;

impl PasswordStore for SystemKeyring {
    fn recall(&self, uuid: &str) -> Result<Option<Zeroizing<String>>, String> {
        ibex_agent::keyring::recall(uuid)
    }
    fn remember(&self, uuid: &str, password: &str) -> Result<(), String> {
        ibex_agent::keyring::remember(uuid, password)
    }
    fn forget(&self, uuid: &str) -> Result<bool, String> {
        ibex_agent::keyring::forget(uuid)
    }
}

/// What a connection attempt did with passwords.
#[derive(Default)]
struct Attempt {
    /// The saved password answered a prompt of this profile.
    saved_used: Option<String>,
    /// A typed password to save once this profile is connected.
    typed: Option<(String, Zeroizing<String>)>,
}

/// What [`Passwords::settled`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to do.
    Nothing,
    /// The typed password was saved.
    Saved,
    /// The typed password could not be saved: why.
    NotSaved(String),
    /// The saved password was refused, and deleted.
    Forgotten,
}

/// The remember/forget logic over a [`PasswordStore`] (managed by Tauri;
/// cheap to clone). Its methods may block on the store: call them off the
/// async runtime.
#[derive(Clone)]
pub struct Passwords {
    store: Arc<dyn PasswordStore>,
    attempt: Arc<Mutex<Attempt>>,
    /// The state last seen by [`on_status`] (snapshots come every second
    /// while connected; only changes matter).
    last: Arc<Mutex<Option<ConnectionState>>>,
}

impl Passwords {
    /// Over `store`.
    pub fn new(store: Arc<dyn PasswordStore>) -> Passwords {
        Passwords {
            store,
            attempt: Arc::default(),
            last: Arc::default(),
        }
    }

    fn attempt(&self) -> MutexGuard<'_, Attempt> {
        self.attempt.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `state` differs from the one last seen.
    fn state_changed(&self, state: ConnectionState) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        last.replace(state) != Some(state)
    }

    /// A password prompt of profile `uuid`: the saved password to answer it
    /// with, unless it was used already in this attempt (`Ok(None)`: ask
    /// the person).
    pub fn saved_for(&self, uuid: &str) -> Result<Option<Zeroizing<String>>, String> {
        if self.attempt().saved_used.as_deref() == Some(uuid) {
            return Ok(None);
        }
        self.store.recall(uuid)
    }

    /// The saved password of `uuid` answered a prompt (`true`), or could
    /// not after all (`false`: ibexd refused the answer).
    pub fn saved_used(&self, uuid: &str, used: bool) {
        self.attempt().saved_used = used.then(|| uuid.to_string());
    }

    /// The person typed `password` for `uuid` and asked to remember it: it
    /// is saved once connected.
    pub fn typed(&self, uuid: &str, password: Zeroizing<String>) {
        self.attempt().typed = Some((uuid.to_string(), password));
    }

    /// ibexd's state changed: connected saves a typed password; a failure
    /// for a wrong password deletes a saved one that was used. Either way
    /// the attempt is over.
    pub fn settled(&self, state: ConnectionState, reason: Option<&str>) -> Outcome {
        match state {
            ConnectionState::Connected => {
                let typed = {
                    let mut a = self.attempt();
                    a.saved_used = None;
                    a.typed.take()
                };
                match typed {
                    Some((uuid, password)) => match self.store.remember(&uuid, &password) {
                        Ok(()) => Outcome::Saved,
                        Err(e) => Outcome::NotSaved(e),
                    },
                    None => Outcome::Nothing,
                }
            }
            ConnectionState::Error | ConnectionState::Disconnected => {
                let used = {
                    let mut a = self.attempt();
                    a.typed = None;
                    a.saved_used.take()
                };
                let refused = reason.is_some_and(|r| r.contains("user name or password"));
                match used {
                    Some(uuid) if refused => match self.store.forget(&uuid) {
                        Ok(_) => Outcome::Forgotten,
                        Err(e) => {
                            tracing::warn!("{e}");
                            Outcome::Nothing
                        }
                    },
                    _ => Outcome::Nothing,
                }
            }
            _ => Outcome::Nothing,
        }
    }
}

/// How long a password prompt waits for the keyring before it is shown.
const KEYRING_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The profile ibexd is connecting with, from the last snapshot.
fn profile_of(app: &AppHandle) -> Option<String> {
    let state = app.state::<AppState>();
    let snapshot = state.daemon.snapshot();
    snapshot.status.profile.map(|p| p.uuid)
}

/// A prompt opened. A password prompt of a profile with a saved password
/// is answered from the keyring; `show` runs for every other prompt, and
/// for this one when nothing is saved (or the keyring cannot be read).
pub fn on_prompt(app: &AppHandle, prompt: &Prompt, show: fn(&AppHandle, &Prompt)) {
    let uuid = match (prompt.kind, profile_of(app)) {
        (PromptKind::Password, Some(uuid)) => uuid,
        _ => return show(app, prompt),
    };
    let (app, prompt) = (app.clone(), prompt.clone());
    tauri::async_runtime::spawn(async move {
        let passwords = app.state::<Passwords>().inner().clone();
        let id = uuid.clone();
        let lookup = tokio::task::spawn_blocking(move || passwords.saved_for(&id));
        // A keyring that does not answer (locked, hung) must not hide the prompt.
        let saved = match tokio::time::timeout(KEYRING_WAIT, lookup).await {
            Ok(r) => r.unwrap_or_else(|e| Err(e.to_string())),
            Err(_) => Err(format!(
                "the keyring did not answer within {KEYRING_WAIT:?}"
            )),
        };
        let saved = match saved {
            Ok(Some(pw)) => pw,
            Ok(None) => return show(&app, &prompt),
            Err(e) => {
                tracing::warn!("no saved password: {e}");
                return show(&app, &prompt);
            }
        };
        tracing::info!(
            prompt_id = prompt.prompt_id,
            "answering with the password saved in the keyring"
        );
        let passwords = app.state::<Passwords>();
        passwords.saved_used(&uuid, true);
        let state = app.state::<AppState>();
        let answer = Request::Answer {
            prompt_id: prompt.prompt_id,
            value: SecretString::new(saved.to_string()),
        };
        if let Err(e) = state.daemon.request(answer).await {
            tracing::warn!("the saved password was not taken: {e}");
            passwords.saved_used(&uuid, false);
            show(&app, &prompt);
        }
    });
}

/// A new snapshot: saves or forgets as [`Passwords::settled`] says, and
/// tells the person what happened.
pub fn on_status(app: &AppHandle, snapshot: &Snapshot) {
    let state = snapshot.status.state;
    if !app.state::<Passwords>().state_changed(state) {
        return;
    }
    if !matches!(
        state,
        ConnectionState::Connected | ConnectionState::Error | ConnectionState::Disconnected
    ) {
        return;
    }
    let (app, reason) = (app.clone(), snapshot.reason.clone());
    tauri::async_runtime::spawn(async move {
        let passwords = app.state::<Passwords>().inner().clone();
        let outcome =
            tokio::task::spawn_blocking(move || passwords.settled(state, reason.as_deref()))
                .await
                .unwrap_or(Outcome::Nothing);
        let message = match outcome {
            Outcome::Nothing => return,
            Outcome::Saved => {
                tracing::info!("password saved in the keyring");
                return;
            }
            Outcome::NotSaved(e) => {
                format!("You are connected, but the password was not saved: {e}. It will be asked again next time.")
            }
            Outcome::Forgotten => "The password saved in your keyring was refused, so it has been deleted: connect again and type it.".to_string(),
        };
        tracing::warn!("{message}");
        let _ = app.emit(APP_ERROR, message);
    });
}

/// Answers a password prompt with what the person typed; with `remember`,
/// the password is saved in the keyring once the connection is up.
#[tauri::command(rename_all = "snake_case")]
pub async fn answer_password(
    state: State<'_, AppState>,
    passwords: State<'_, Passwords>,
    prompt_id: PromptId,
    value: String,
    remember: bool,
) -> Result<(), AppError> {
    let value = Zeroizing::new(value);
    if remember {
        match state.daemon.snapshot().status.profile {
            Some(p) => passwords.typed(&p.uuid, value.clone()),
            None => tracing::warn!("no profile in use: the password cannot be remembered"),
        }
    }
    tracing::info!(prompt_id, remember, "answering the password prompt");
    state
        .daemon
        .request(Request::Answer {
            prompt_id,
            value: SecretString::new(value.to_string()),
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A keyring in memory; `broken` makes every call fail like a desktop
    /// without a Secret Service.
    #[derive(Default)]
    struct Memory {
        saved: Mutex<HashMap<String, String>>,
        broken: bool,
    }

    impl PasswordStore for Memory {
        fn recall(&self, uuid: &str) -> Result<Option<Zeroizing<String>>, String> {
            if self.broken {
                return Err("the keyring is not available: no Secret Service".into());
            }
            Ok(self
                .saved
                .lock()
                .unwrap()
                .get(uuid)
                .cloned()
                .map(Zeroizing::new))
        }
        fn remember(&self, uuid: &str, password: &str) -> Result<(), String> {
            if self.broken {
                return Err("the keyring is not available: no Secret Service".into());
            }
            self.saved
                .lock()
                .unwrap()
                .insert(uuid.into(), password.into());
            Ok(())
        }
        fn forget(&self, uuid: &str) -> Result<bool, String> {
            Ok(self.saved.lock().unwrap().remove(uuid).is_some())
        }
    }

    const UUID: &str = "c41a7f3e-0b9d-4c62-8e15-d37f2a6b9c08";
    const WRONG: &str = "authentication failed: wrong user name or password";

    fn passwords(store: Memory) -> (Passwords, Arc<Memory>) {
        let store = Arc::new(store);
        (Passwords::new(store.clone()), store)
    }

    fn saved(store: &Memory) -> Option<String> {
        store.saved.lock().unwrap().get(UUID).cloned()
    }

    #[test]
    fn a_typed_password_is_saved_only_once_connected() {
        let (p, store) = passwords(Memory::default());
        assert_eq!(p.saved_for(UUID).unwrap(), None, "nothing saved yet: ask");
        p.typed(UUID, Zeroizing::new("hunter2".into()));
        assert_eq!(
            p.settled(ConnectionState::Connecting, None),
            Outcome::Nothing
        );
        assert_eq!(saved(&store), None, "not before the sign-in succeeded");
        assert_eq!(p.settled(ConnectionState::Connected, None), Outcome::Saved);
        assert_eq!(saved(&store).as_deref(), Some("hunter2"));
        assert_eq!(
            p.settled(ConnectionState::Connected, None),
            Outcome::Nothing
        );
    }

    #[test]
    fn a_failed_sign_in_saves_nothing() {
        let (p, store) = passwords(Memory::default());
        p.typed(UUID, Zeroizing::new("typo".into()));
        assert_eq!(
            p.settled(ConnectionState::Error, Some(WRONG)),
            Outcome::Nothing
        );
        assert_eq!(
            p.settled(ConnectionState::Connected, None),
            Outcome::Nothing
        );
        assert_eq!(saved(&store), None);
    }

    #[test]
    fn the_saved_password_answers_once_per_attempt() {
        let (p, _) = passwords(Memory::default());
        p.store.remember(UUID, "hunter2").unwrap();
        assert_eq!(
            p.saved_for(UUID).unwrap().as_deref().map(String::as_str),
            Some("hunter2")
        );
        p.saved_used(UUID, true);
        assert_eq!(p.saved_for(UUID).unwrap(), None, "a second prompt is asked");
        assert_eq!(
            p.settled(ConnectionState::Connected, None),
            Outcome::Nothing
        );
        assert!(
            p.saved_for(UUID).unwrap().is_some(),
            "the next attempt uses it again"
        );
        p.saved_used(UUID, true);
        p.saved_used(UUID, false);
        assert!(
            p.saved_for(UUID).unwrap().is_some(),
            "refused by ibexd: still usable"
        );
    }

    #[test]
    fn a_refused_saved_password_is_forgotten() {
        let (p, store) = passwords(Memory::default());
        store.remember(UUID, "old").unwrap();
        assert!(p.saved_for(UUID).unwrap().is_some());
        p.saved_used(UUID, true);
        assert_eq!(
            p.settled(ConnectionState::Error, Some(WRONG)),
            Outcome::Forgotten
        );
        assert_eq!(saved(&store), None);
        assert_eq!(p.saved_for(UUID).unwrap(), None, "the next attempt asks");
    }

    #[test]
    fn a_saved_password_not_used_is_kept_when_a_typed_one_is_wrong() {
        let (p, store) = passwords(Memory::default());
        store.remember(UUID, "good").unwrap();
        // looked up, but not used (the keyring answered too late)
        assert!(p.saved_for(UUID).unwrap().is_some());
        assert_eq!(
            p.settled(ConnectionState::Error, Some(WRONG)),
            Outcome::Nothing
        );
        assert_eq!(saved(&store).as_deref(), Some("good"));
    }

    #[test]
    fn other_failures_keep_the_saved_password() {
        let (p, store) = passwords(Memory::default());
        store.remember(UUID, "good").unwrap();
        assert!(p.saved_for(UUID).unwrap().is_some());
        p.saved_used(UUID, true);
        let r = Some("gateway unreachable: no answer from 192.0.2.1");
        assert_eq!(p.settled(ConnectionState::Error, r), Outcome::Nothing);
        assert_eq!(saved(&store).as_deref(), Some("good"));
    }

    #[test]
    fn without_a_keyring_the_sign_in_still_works() {
        let (p, _) = passwords(Memory {
            broken: true,
            ..Memory::default()
        });
        let e = p.saved_for(UUID).unwrap_err();
        assert!(e.contains("keyring is not available"), "{e}");
        p.typed(UUID, Zeroizing::new("hunter2".into()));
        match p.settled(ConnectionState::Connected, None) {
            Outcome::NotSaved(e) => {
                assert!(
                    e.contains("keyring is not available") && !e.contains("hunter2"),
                    "{e}"
                )
            }
            o => panic!("{o:?}"),
        }
    }
}
