//! What the window and the tray ask ibexd to do. Secrets only pass through
//! here as the answer to a prompt, on their way to ibexd; nothing here logs
//! them.

use ibex_agent::credential;
use ibex_ipc::{PromptId, Request, SecretString};
use ibex_profile::ProfileStore;

use crate::daemon::Daemon;
use crate::error::AppError;

/// Starts a connection with the stored profile `uuid`: reads its
/// certificate and key as the user when it has them, and sends both to
/// ibexd. Returns once the attempt has started; progress comes as events.
pub async fn connect(daemon: &Daemon, store: &ProfileStore, uuid: &str) -> Result<(), AppError> {
    let profile = store.get(uuid)?;
    let credential = credential::load(&profile)?;
    tracing::info!(profile = %profile.name, "connecting");
    daemon
        .request(Request::Connect {
            profile: Box::new(profile),
            credential,
        })
        .await?;
    Ok(())
}

/// Ends the connection (routes and DNS are restored by ibexd).
pub async fn disconnect(daemon: &Daemon) -> Result<(), AppError> {
    tracing::info!("disconnecting");
    daemon.request(Request::Disconnect).await?;
    Ok(())
}

/// Answers a prompt with what the person typed. `value` goes to ibexd and
/// nowhere else.
pub async fn answer(daemon: &Daemon, prompt_id: PromptId, value: String) -> Result<(), AppError> {
    tracing::info!(prompt_id, "answering prompt");
    daemon
        .request(Request::Answer {
            prompt_id,
            value: SecretString::new(value),
        })
        .await?;
    Ok(())
}

/// Gives up on a prompt (for a push approval: ends the attempt).
pub async fn cancel_prompt(daemon: &Daemon, prompt_id: PromptId) -> Result<(), AppError> {
    tracing::info!(prompt_id, "cancelling prompt");
    daemon.request(Request::CancelPrompt { prompt_id }).await?;
    Ok(())
}
