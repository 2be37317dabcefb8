//! What the window and the tray ask ibexd to do. Secrets only pass through
//! here as the answer to a prompt, on their way to ibexd; nothing here logs
//! them.

use ibex_agent::credential;
use ibex_ipc::{PromptId, Request, SecretString};
use ibex_profile::{Profile, ProfileStore};

use crate::daemon::Daemon;
use crate::error::AppError;
use crate::settings::Settings;

/// Starts a connection with the stored profile `uuid`: reads its
/// certificate and key as the user when it has them, and sends both to
/// ibexd. Returns once the attempt has started; progress comes as events.
pub async fn connect(daemon: &Daemon, store: &ProfileStore, uuid: &str) -> Result<(), AppError> {
    let profile = with_settings(store.get(uuid)?, &crate::settings_commands::current());
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

/// The profile as the app's settings make it: without auto-reconnect a
/// dropped tunnel is not reconnected, whatever the profile says.
pub fn with_settings(mut profile: Profile, settings: &Settings) -> Profile {
    if !settings.auto_reconnect {
        profile.reconnect.enabled = false;
    }
    profile
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_reconnect_off_turns_the_profiles_reconnect_off() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../profiles/eap-mfa.json"
        ))
        .unwrap();
        let profile = Profile::from_json(&text).unwrap();
        assert!(profile.reconnect.enabled);
        let on = Settings::default();
        assert!(with_settings(profile.clone(), &on).reconnect.enabled);
        let off = Settings {
            auto_reconnect: false,
            ..Settings::default()
        };
        let p = with_settings(profile.clone(), &off);
        assert!(!p.reconnect.enabled);
        assert_eq!(p.reconnect.max_delay_s, profile.reconnect.max_delay_s);
    }
}
