//! FIDO2 prompts, answered by the app itself: `fido_sign` has the security
//! key (USB, or the software token of `IBEX_FIDO_SOFT_TOKEN`) sign the
//! gateway's request with [`ibex_agent::fido::sign`] and sends the
//! assertion to ibexd. A PIN the key needs is asked in the window (event
//! `fido-pin`, answered with `fido_pin`); `fido_cancel` stops a sign-in.
//!
//! The PIN goes from the window to the key and nowhere else: not to ibexd,
//! a log or an event; it is wiped once the key has it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ibex_agent::fido::{FidoError, PinFuture, PinSource};
use ibex_ipc::{Prompt, PromptId, PromptKind, Request};
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};
use tokio::sync::oneshot;
use tokio::task::AbortHandle;
use zeroize::Zeroizing;

use crate::error::AppError;
use crate::state::AppState;

/// The event asking the window for the security key's PIN: [`PinRequest`].
pub const FIDO_PIN: &str = "fido-pin";

/// The payload of [`FIDO_PIN`] (no secret: which prompt, which gateway).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PinRequest {
    /// The `fido2` prompt being answered.
    pub prompt_id: PromptId,
    /// The gateway's relying party, as the key will show it.
    pub rp_id: String,
}

/// Why a security key sign-in from the window failed. The text is shown to
/// the person as it is.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The key (or the software token) could not sign: what to do.
    #[error("{0}")]
    Key(#[from] FidoError),
    /// ibexd refused the answer, or is not reachable.
    #[error("{0}")]
    App(#[from] AppError),
    /// The prompt closed (answered elsewhere, cancelled, expired).
    #[error("this security key prompt is not open any more")]
    NotOpen,
    /// A `fido2` prompt from a daemon that does not say what to sign.
    #[error("ibexd asked for a security key without saying what to sign; update ibexd")]
    NoRequest,
    /// A sign-in for this prompt is already under way.
    #[error("the security key is already being asked for this prompt")]
    Busy,
    /// `fido_pin` for a prompt whose key is not waiting for a PIN.
    #[error("no PIN is being asked for this prompt")]
    NoPinAsked,
    /// `fido_cancel` stopped it.
    #[error("cancelled")]
    Cancelled,
}

impl Serialize for SignError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// A PIN on its way from the window to the key's thread.
type PinReply = oneshot::Sender<Option<Zeroizing<String>>>;

/// One sign-in under way.
#[derive(Default)]
struct Running {
    /// Set while the key waits for its PIN.
    pin: Option<PinReply>,
    abort: Option<AbortHandle>,
}

/// The sign-ins under way, by prompt (managed by Tauri; cheap to clone).
#[derive(Clone, Default)]
pub struct Signing(Arc<Mutex<HashMap<PromptId, Running>>>);

impl Signing {
    fn lock(&self) -> MutexGuard<'_, HashMap<PromptId, Running>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a sign-in for `prompt_id`; fails if one is under way.
    fn start(&self, prompt_id: PromptId) -> Result<(), SignError> {
        let mut running = self.lock();
        if running.contains_key(&prompt_id) {
            return Err(SignError::Busy);
        }
        running.insert(prompt_id, Running::default());
        Ok(())
    }

    fn set_abort(&self, prompt_id: PromptId, abort: AbortHandle) {
        if let Some(r) = self.lock().get_mut(&prompt_id) {
            r.abort = Some(abort);
        }
    }

    fn finish(&self, prompt_id: PromptId) {
        self.lock().remove(&prompt_id);
    }

    /// The key wants its PIN: the receiver gets what the window sends
    /// (`None` if it cancels).
    fn ask(&self, prompt_id: PromptId) -> oneshot::Receiver<Option<Zeroizing<String>>> {
        let (tx, rx) = oneshot::channel();
        self.lock().entry(prompt_id).or_default().pin = Some(tx);
        rx
    }

    /// The window's PIN for the key waiting on `prompt_id`.
    pub fn give(&self, prompt_id: PromptId, pin: Zeroizing<String>) -> Result<(), SignError> {
        let reply = self
            .lock()
            .get_mut(&prompt_id)
            .and_then(|r| r.pin.take())
            .ok_or(SignError::NoPinAsked)?;
        reply.send(Some(pin)).map_err(|_| SignError::NoPinAsked)
    }

    /// Stops the sign-in for `prompt_id` (a PIN question is declined);
    /// returns whether one was under way.
    pub fn cancel(&self, prompt_id: PromptId) -> bool {
        let Some(r) = self.lock().remove(&prompt_id) else {
            return false;
        };
        if let Some(reply) = r.pin {
            let _ = reply.send(None);
        }
        if let Some(abort) = r.abort {
            abort.abort();
        }
        true
    }
}

/// The app's [`PinSource`]: tells the window (`notify`) and waits for the
/// PIN it sends with `fido_pin`.
pub struct WindowPins {
    signing: Signing,
    request: PinRequest,
    notify: Arc<dyn Fn(&PinRequest) + Send + Sync>,
}

impl PinSource for WindowPins {
    fn pin(&mut self) -> PinFuture<'_> {
        let rx = self.signing.ask(self.request.prompt_id);
        (self.notify)(&self.request);
        Box::pin(async move { rx.await.ok().flatten() })
    }
}

/// How long the key may wait for a touch: until the prompt's deadline
/// (5 s to 5 min), else 2 min.
fn timeout(deadline: Option<u64>, now: SystemTime) -> Duration {
    let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    Duration::from_secs(
        deadline
            .map_or(120, |d| d.saturating_sub(now))
            .clamp(5, 300),
    )
}

/// Signs the open `fido2` prompt `prompt_id` and answers it.
pub async fn sign(
    app: AppHandle,
    state: &AppState,
    signing: &Signing,
    prompt_id: PromptId,
) -> Result<(), SignError> {
    let prompt: Prompt = state
        .daemon
        .prompts()
        .into_iter()
        .find(|p| p.prompt_id == prompt_id && p.kind == PromptKind::Fido2)
        .ok_or(SignError::NotOpen)?;
    let request = prompt.fido.ok_or(SignError::NoRequest)?;
    let timeout = timeout(prompt.deadline, SystemTime::now());
    signing.start(prompt_id)?;
    tracing::info!(prompt_id, rp_id = %request.rp_id, "asking the security key");
    let mut pins = WindowPins {
        signing: signing.clone(),
        request: PinRequest {
            prompt_id,
            rp_id: request.rp_id.clone(),
        },
        notify: Arc::new(move |r: &PinRequest| {
            tracing::info!(prompt_id = r.prompt_id, "the security key needs its PIN");
            let _ = app.emit(FIDO_PIN, r);
            crate::window::show(&app);
        }),
    };
    let task =
        tokio::spawn(async move { ibex_agent::fido::sign(&request, timeout, &mut pins).await });
    signing.set_abort(prompt_id, task.abort_handle());
    let result = task.await;
    signing.finish(prompt_id);
    let assertion = match result {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => {
            tracing::warn!(prompt_id, "security key: {e}");
            return Err(e.into());
        }
        Err(_) => return Err(SignError::Cancelled),
    };
    tracing::info!(prompt_id, "answering with the security key's assertion");
    state
        .daemon
        .request(Request::Answer {
            prompt_id,
            value: assertion.to_answer(),
        })
        .await?;
    Ok(())
}

/// Has the security key sign the `fido2` prompt and answers it; fails
/// with what to do (no key, not registered, wrong PIN, ...).
#[tauri::command(rename_all = "snake_case")]
pub async fn fido_sign(
    app: AppHandle,
    state: State<'_, AppState>,
    signing: State<'_, Signing>,
    prompt_id: PromptId,
) -> Result<(), SignError> {
    sign(app, &state, &signing, prompt_id).await
}

/// The PIN the window asked for after a `fido-pin` event.
#[tauri::command(rename_all = "snake_case")]
pub async fn fido_pin(
    signing: State<'_, Signing>,
    prompt_id: PromptId,
    pin: String,
) -> Result<(), SignError> {
    signing.give(prompt_id, Zeroizing::new(pin))
}

/// Stops the security key sign-in of a prompt (the window then cancels the
/// prompt itself with `cancel_prompt`).
#[tauri::command(rename_all = "snake_case")]
pub async fn fido_cancel(
    signing: State<'_, Signing>,
    prompt_id: PromptId,
) -> Result<(), SignError> {
    if signing.cancel(prompt_id) {
        tracing::info!(prompt_id, "security key sign-in stopped");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pins(signing: &Signing, seen: Arc<Mutex<Vec<PinRequest>>>) -> WindowPins {
        WindowPins {
            signing: signing.clone(),
            request: PinRequest {
                prompt_id: 4,
                rp_id: "vpn.example.test".into(),
            },
            notify: Arc::new(move |r| seen.lock().unwrap().push(r.clone())),
        }
    }

    #[tokio::test]
    async fn the_window_is_asked_and_its_pin_reaches_the_key() {
        let signing = Signing::default();
        signing.start(4).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut p = pins(&signing, seen.clone());
        let asked = p.pin();
        assert_eq!(
            *seen.lock().unwrap(),
            vec![PinRequest {
                prompt_id: 4,
                rp_id: "vpn.example.test".into()
            }],
            "the window is told which prompt and gateway"
        );
        assert!(matches!(
            signing.give(5, Zeroizing::new("1".into())),
            Err(SignError::NoPinAsked)
        ));
        signing.give(4, Zeroizing::new("123456".into())).unwrap();
        assert_eq!(asked.await.as_deref().map(String::as_str), Some("123456"));
        assert!(
            matches!(
                signing.give(4, Zeroizing::new("1".into())),
                Err(SignError::NoPinAsked)
            ),
            "one PIN per question"
        );
    }

    #[tokio::test]
    async fn cancelling_declines_the_pin_and_ends_the_sign_in() {
        let signing = Signing::default();
        signing.start(4).unwrap();
        assert!(matches!(signing.start(4), Err(SignError::Busy)));
        let mut p = pins(&signing, Arc::default());
        let asked = p.pin();
        assert!(signing.cancel(4));
        assert_eq!(asked.await, None);
        assert!(!signing.cancel(4), "nothing left");
        signing.start(4).expect("a retry may start again");
    }

    #[tokio::test]
    async fn cancelling_aborts_the_task() {
        let signing = Signing::default();
        signing.start(9).unwrap();
        let task = tokio::spawn(std::future::pending::<()>());
        signing.set_abort(9, task.abort_handle());
        assert!(signing.cancel(9));
        assert!(task.await.unwrap_err().is_cancelled());
    }

    #[test]
    fn the_touch_may_take_until_the_deadline() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(timeout(Some(1_060), now), Duration::from_secs(60));
        assert_eq!(timeout(Some(990), now), Duration::from_secs(5));
        assert_eq!(timeout(Some(9_999), now), Duration::from_secs(300));
        assert_eq!(timeout(None, now), Duration::from_secs(120));
    }

    #[test]
    fn errors_are_the_keys_advice() {
        let e = SignError::from(FidoError::NotRegistered {
            rp_id: "vpn.example.test".into(),
        });
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::Value::String(e.to_string())
        );
        assert!(e
            .to_string()
            .contains("not registered for vpn.example.test"));
    }
}
