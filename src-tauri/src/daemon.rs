//! [`Daemon`]: the app's side of its link to ibexd — the current client
//! (while connected), the last [`Snapshot`] and the open prompts — shared
//! by the commands, the tray and the event task ([`crate::link`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use ibex_ipc::{Client, Prompt, PromptId, Request, Response};

use crate::error::AppError;
use crate::snapshot::Snapshot;

/// The link to ibexd and what it last said.
#[derive(Debug)]
pub struct Daemon {
    socket: PathBuf,
    client: Mutex<Option<Arc<Client>>>,
    snapshot: Mutex<Snapshot>,
    prompts: Mutex<Vec<Prompt>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The values stay consistent even if a holder panicked.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Daemon {
    /// Not yet connected to the daemon at `socket`.
    pub fn new(socket: PathBuf) -> Daemon {
        let snapshot = Snapshot::initial(socket.display().to_string());
        Daemon {
            socket,
            client: Mutex::new(None),
            snapshot: Mutex::new(snapshot),
            prompts: Mutex::new(Vec::new()),
        }
    }

    /// The daemon's socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Sends a request over the current connection; an `error` response
    /// becomes [`AppError::Daemon`].
    pub async fn request(&self, request: Request) -> Result<Response, AppError> {
        let client = lock(&self.client).clone();
        let Some(client) = client else {
            let reason = lock(&self.snapshot)
                .daemon_error
                .clone()
                .unwrap_or_else(|| "not connected yet".into());
            return Err(AppError::DaemonUnavailable {
                socket: self.socket.display().to_string(),
                reason,
            });
        };
        match client.request(request).await? {
            Response::Error { message, .. } => Err(AppError::Daemon(message)),
            r => Ok(r),
        }
    }

    /// Uses `client` for requests from now on (`None`: the link is down).
    pub fn set_client(&self, client: Option<Arc<Client>>) {
        *lock(&self.client) = client;
    }

    /// What the daemon last said.
    pub fn snapshot(&self) -> Snapshot {
        lock(&self.snapshot).clone()
    }

    /// Changes the snapshot; returns the new one and whether it changed.
    pub fn update(&self, f: impl FnOnce(&mut Snapshot)) -> (Snapshot, bool) {
        let mut s = lock(&self.snapshot);
        let before = s.clone();
        f(&mut s);
        (s.clone(), *s != before)
    }

    /// The prompts open now, oldest first.
    pub fn prompts(&self) -> Vec<Prompt> {
        lock(&self.prompts).clone()
    }

    /// A prompt opened.
    pub fn add_prompt(&self, p: Prompt) {
        let mut prompts = lock(&self.prompts);
        prompts.retain(|q| q.prompt_id != p.prompt_id);
        prompts.push(p);
    }

    /// A prompt closed; returns whether any remain open.
    pub fn remove_prompt(&self, id: PromptId) -> bool {
        let mut prompts = lock(&self.prompts);
        prompts.retain(|q| q.prompt_id != id);
        !prompts.is_empty()
    }

    /// Forgets every open prompt (the daemon is gone); returns their ids.
    pub fn take_prompts(&self) -> Vec<PromptId> {
        std::mem::take(&mut *lock(&self.prompts))
            .into_iter()
            .map(|p| p.prompt_id)
            .collect()
    }
}
