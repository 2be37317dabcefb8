//! The event task: keeps a subscribed connection to ibexd, reconnecting
//! (1 s, then up to every 5 s) whenever ibexd is not there or restarts,
//! and hands what it hears to a [`Sink`] (the window and the tray).

use std::sync::Arc;
use std::time::Duration;

use ibex_agent::daemon::hello;
use ibex_ipc::{Client, CloseReason, Event, Prompt, PromptId, Request, Response, Status};

use crate::daemon::Daemon;
use crate::error::AppError;
use crate::snapshot::Snapshot;

/// The first wait before reconnecting.
const MIN_DELAY: Duration = Duration::from_secs(1);
/// The longest wait between attempts.
const MAX_DELAY: Duration = Duration::from_secs(5);

/// Where the event task's news goes. No method receives a secret: prompts
/// carry none (the answer goes the other way).
pub trait Sink: Send + Sync {
    /// The snapshot changed.
    fn status(&self, snapshot: &Snapshot);
    /// A prompt opened.
    fn prompt(&self, prompt: &Prompt);
    /// A prompt closed; `any_open` says whether others remain.
    fn prompt_closed(&self, prompt_id: PromptId, reason: CloseReason, any_open: bool);
}

/// Runs forever: connect, subscribe, forward, and again after a loss.
pub async fn run(daemon: Arc<Daemon>, sink: Arc<dyn Sink>) {
    let mut delay = MIN_DELAY;
    loop {
        let error = match session(&daemon, &*sink).await {
            Ok(()) => {
                delay = MIN_DELAY;
                "ibexd closed the connection".to_string()
            }
            Err(e) => e.to_string(),
        };
        lost(&daemon, &*sink, error);
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_DELAY);
    }
}

/// The link is down: requests fail, open prompts are void, nothing of the
/// daemon's status holds.
fn lost(daemon: &Daemon, sink: &dyn Sink, error: String) {
    daemon.set_client(None);
    for id in daemon.take_prompts() {
        sink.prompt_closed(id, CloseReason::Cancelled, false);
    }
    let (snapshot, changed) = daemon.update(|s| s.daemon_down(error.clone()));
    if changed {
        tracing::warn!(socket = %daemon.socket().display(), %error, "ibexd is not reachable");
        sink.status(&snapshot);
    }
}

/// One connection to ibexd, until it closes.
async fn session(daemon: &Daemon, sink: &dyn Sink) -> Result<(), AppError> {
    let (client, mut events) = Client::connect(daemon.socket()).await?;
    let client = Arc::new(client);
    let welcome = client
        .request(hello("ibex-app", env!("CARGO_PKG_VERSION")))
        .await?;
    if let Response::Welcome { version, .. } = &welcome {
        crate::diagnostics::set_ibexd_version(Some(version.clone()));
    }
    expect_ok(welcome)?;
    expect_ok(client.request(Request::Subscribe).await?)?;
    // ibexd's recent log lines, then new ones as events (an older ibexd
    // has no `logs`: the view then shows the app's lines only).
    match client
        .request(Request::Logs {
            level: None,
            follow: Some(true),
        })
        .await?
    {
        Response::Logs { lines } => crate::logs::store().replace_daemon(lines),
        other => tracing::info!("ibexd sends no log lines: {other:?}"),
    }
    let status = status(&client).await?;
    daemon.set_client(Some(client.clone()));
    let (snapshot, _) = daemon.update(|s| s.daemon_up(status));
    tracing::info!(socket = %daemon.socket().display(), "connected to ibexd");
    sink.status(&snapshot);
    while let Some(event) = events.recv().await {
        handle(daemon, sink, &client, event).await;
    }
    Ok(())
}

fn expect_ok(r: Response) -> Result<(), AppError> {
    match r {
        Response::Error { message, .. } => Err(AppError::Daemon(message)),
        _ => Ok(()),
    }
}

async fn status(client: &Client) -> Result<Status, AppError> {
    match client.request(Request::Status).await? {
        Response::Status(s) => Ok(*s),
        Response::Error { message, .. } => Err(AppError::Daemon(message)),
        _ => Err(AppError::Unexpected("status")),
    }
}

/// One event from ibexd.
async fn handle(daemon: &Daemon, sink: &dyn Sink, client: &Client, event: Event) {
    match event {
        Event::State {
            state,
            reason,
            failure,
        } => {
            tracing::info!(?state, reason = reason.as_deref().unwrap_or(""), "state");
            // The whole status (gateway, addresses, suites) with the
            // event's state, which is the latest word on the order.
            let fresh = match status(client).await {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::warn!("no status after a state change: {e}");
                    None
                }
            };
            let (snapshot, _) = daemon.update(|s| {
                if let Some(f) = fresh {
                    s.status = f;
                }
                s.status.state = state;
                s.reason = reason;
                if failure.is_some() {
                    s.status.failure = failure;
                }
            });
            sink.status(&snapshot);
        }
        Event::Prompt(p) => {
            tracing::info!(prompt_id = p.prompt_id, kind = ?p.kind, "prompt");
            daemon.add_prompt(p.clone());
            sink.prompt(&p);
        }
        Event::PromptClosed { prompt_id, reason } => {
            tracing::info!(prompt_id, ?reason, "prompt closed");
            let any_open = daemon.remove_prompt(prompt_id);
            sink.prompt_closed(prompt_id, reason, any_open);
        }
        Event::Stats { uptime_s, counters } => {
            let (snapshot, changed) = daemon.update(|s| s.stats(uptime_s, counters));
            if changed {
                sink.status(&snapshot);
            }
        }
        Event::Log(line) => crate::logs::store().push_daemon(line),
    }
}
