//! The connection manager: the one owner of the daemon's state. Agents'
//! requests, the running connection's snapshots and prompt answers all arrive
//! here as messages; events go out to every subscriber.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ibex_ike::crypto::Secret;
use ibex_ipc::{
    CloseReason, ConnectionState, Counters, ErrorCode, Event, Failure, FailureKind, ProfileRef,
    Prompt, PromptKind, Request, Response, SecretString, Status,
};
use ibex_platform::{DnsConfig, IpPrefix, Journal};
use ibex_profile::{Credential, Profile, Routes};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{info, warn};

use crate::connection::{self, Command, Params, Phase, Question, Snapshot};
use crate::signin::{sign_in, SignIn};

/// How long a prompt waits for an answer.
const PROMPT_TIMEOUT: Duration = Duration::from_secs(120);

/// Messages to the manager.
pub enum Msg {
    /// A request from agent connection `conn`.
    Request {
        conn: u64,
        request: Request,
        reply: oneshot::Sender<Response>,
    },
    /// Agent connection `conn` wants events.
    Subscribe {
        conn: u64,
        events: mpsc::UnboundedSender<Event>,
    },
    /// Agent connection `conn` went away.
    Gone { conn: u64 },
    /// The connection flow needs an answer from a person.
    Ask {
        question: Box<Question>,
        answer: oneshot::Sender<Option<SecretString>>,
    },
    /// The open prompt is over without an answer from an agent (a push was decided).
    ClosePrompt,
    /// The connection flow starts its sign-in again, for this reason.
    Retrying { reason: String },
    /// The connection's state changed.
    Snapshot(Snapshot),
    /// The connection flow ended; `failure` says what failed when `error`.
    Ended {
        reason: String,
        error: bool,
        failure: Option<Box<Failure>>,
    },
    /// Stop: disconnect and tell `done` when the system is restored.
    Shutdown { done: oneshot::Sender<()> },
    /// The machine resumed from sleep: the connection checks the gateway.
    Resumed,
}

struct Active {
    profile: ProfileRef,
    commands: Option<mpsc::Sender<Command>>,
    snapshot: Snapshot,
    /// When the connection last reported (it does every second).
    snapshot_at: (Instant, SystemTime),
    state: ConnectionState,
    /// An agent asked to disconnect: the end is no error.
    disconnecting: bool,
}

impl Active {
    /// The state to report: a connection that stopped reporting (the daemon
    /// was frozen, the machine slept) is not claimed to be working until it
    /// reports again.
    fn honest_state(&self) -> ConnectionState {
        let (mono, wall) = self.snapshot_at;
        let quiet = mono.elapsed() > STALE
            || SystemTime::now()
                .duration_since(wall)
                .is_ok_and(|d| d > STALE);
        if self.state == ConnectionState::Connected && quiet {
            ConnectionState::Connecting
        } else {
            self.state
        }
    }
}

/// A connection silent this long is not reported as connected.
const STALE: Duration = Duration::from_secs(3);

struct PendingPrompt {
    prompt: Prompt,
    answer: oneshot::Sender<Option<SecretString>>,
    expires: Instant,
}

/// The manager's state.
pub struct Manager {
    tx: mpsc::Sender<Msg>,
    rx: mpsc::Receiver<Msg>,
    journal_path: PathBuf,
    subscribers: HashMap<u64, mpsc::UnboundedSender<Event>>,
    active: Option<Active>,
    prompt: Option<PendingPrompt>,
    next_prompt: u64,
    last_stats: Instant,
    shutdown: Option<oneshot::Sender<()>>,
    /// The last attempt's failure and its profile, until the next connect.
    last_failure: Option<(ProfileRef, Box<Failure>)>,
}

impl Manager {
    /// A manager whose connections journal to `journal_path`.
    pub fn new(journal_path: PathBuf) -> Manager {
        let (tx, rx) = mpsc::channel(256);
        Manager {
            tx,
            rx,
            journal_path,
            subscribers: HashMap::new(),
            active: None,
            prompt: None,
            next_prompt: 1,
            last_stats: Instant::now(),
            shutdown: None,
            last_failure: None,
        }
    }

    /// A handle to send messages to the manager.
    pub fn handle(&self) -> mpsc::Sender<Msg> {
        self.tx.clone()
    }

    fn broadcast(&mut self, e: Event) {
        self.subscribers.retain(|_, s| s.send(e.clone()).is_ok());
    }

    fn set_state(&mut self, state: ConnectionState, reason: Option<String>) {
        if let Some(a) = &mut self.active {
            if a.state == state && reason.is_none() {
                return;
            }
            a.state = state;
        }
        self.broadcast(Event::State {
            state,
            reason,
            failure: None,
        });
    }

    /// Runs until a shutdown completes.
    pub async fn run(mut self) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            let msg = tokio::select! {
                m = self.rx.recv() => m,
                _ = tick.tick() => { self.expire_prompt(); continue; }
            };
            let Some(msg) = msg else { return };
            match msg {
                Msg::Request {
                    conn,
                    request,
                    reply,
                } => {
                    let r = self.request(conn, request);
                    let _ = reply.send(r);
                }
                Msg::Subscribe { conn, events } => {
                    if let Some(p) = &self.prompt {
                        let _ = events.send(Event::Prompt(p.prompt.clone()));
                    }
                    self.subscribers.insert(conn, events);
                }
                Msg::Gone { conn } => {
                    self.subscribers.remove(&conn);
                }
                Msg::Ask { question, answer } => self.ask(*question, answer),
                Msg::Retrying { reason } => {
                    self.close_prompt(CloseReason::Cancelled);
                    self.set_state(ConnectionState::Connecting, Some(reason));
                }
                Msg::ClosePrompt => {
                    if let Some(p) = self.prompt.take() {
                        self.broadcast(Event::PromptClosed {
                            prompt_id: p.prompt.prompt_id,
                            reason: CloseReason::Answered,
                        });
                        self.prompt_over();
                    }
                }
                Msg::Snapshot(s) => self.snapshot(s),
                Msg::Resumed => {
                    if let Some(c) = self.active.as_ref().and_then(|a| a.commands.clone()) {
                        let _ = c.try_send(Command::Resumed);
                    }
                }
                Msg::Ended {
                    reason,
                    error,
                    failure,
                } => {
                    info!(%reason, "connection ended");
                    // Given up on request (e.g. while a prompt was open).
                    let active = self.active.take();
                    let (error, reason) = match &active {
                        Some(a) if a.disconnecting && error => (false, "disconnected".to_string()),
                        _ => (error, reason),
                    };
                    let failure = error.then(|| {
                        failure.unwrap_or_else(|| {
                            Box::new(Failure::new(FailureKind::Other).with_detail(&reason))
                        })
                    });
                    if let (Some(a), Some(f)) = (&active, &failure) {
                        warn!(
                            kind = f.kind.name(),
                            round = f.round,
                            method = f.method.as_deref(),
                            "the attempt failed"
                        );
                        self.last_failure = Some((a.profile.clone(), f.clone()));
                    }
                    self.close_prompt(CloseReason::Cancelled);
                    let state = if error {
                        ConnectionState::Error
                    } else {
                        ConnectionState::Disconnected
                    };
                    self.broadcast(Event::State {
                        state,
                        reason: Some(reason),
                        failure,
                    });
                    if let Some(done) = self.shutdown.take() {
                        let _ = done.send(());
                        return;
                    }
                }
                Msg::Shutdown { done } => {
                    match self.active.as_mut().and_then(|a| a.commands.clone()) {
                        Some(c) => {
                            self.shutdown = Some(done);
                            let _ = c.send(Command::Disconnect).await;
                        }
                        None if self.active.is_some() => {
                            // Still asking for a secret: nothing applied yet.
                            self.close_prompt(CloseReason::Cancelled);
                            self.shutdown = Some(done);
                        }
                        None => {
                            let _ = done.send(());
                            return;
                        }
                    }
                }
            }
        }
    }

    /// A prompt was answered or decided: a sign-in waiting for the person
    /// goes on (a working tunnel stays connected).
    fn prompt_over(&mut self) {
        if self.active.as_ref().map(|a| a.state) == Some(ConnectionState::WaitingForUser) {
            self.set_state(ConnectionState::Connecting, None);
        }
    }

    fn expire_prompt(&mut self) {
        if self
            .prompt
            .as_ref()
            .is_some_and(|p| Instant::now() >= p.expires)
        {
            self.close_prompt(CloseReason::Expired);
        }
    }

    fn close_prompt(&mut self, reason: CloseReason) {
        if let Some(p) = self.prompt.take() {
            let _ = p.answer.send(None);
            self.broadcast(Event::PromptClosed {
                prompt_id: p.prompt.prompt_id,
                reason,
            });
        }
    }

    fn ask(&mut self, q: Question, answer: oneshot::Sender<Option<SecretString>>) {
        let Question {
            kind,
            text,
            number,
            choices,
            fido,
            timeout,
        } = q;
        self.close_prompt(CloseReason::Cancelled);
        let id = self.next_prompt;
        self.next_prompt += 1;
        let deadline = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            + timeout.as_secs();
        let prompt = Prompt {
            prompt_id: id,
            kind,
            text: Some(text),
            number_to_match: number,
            deadline: Some(deadline),
            choices,
            fido,
        };
        self.broadcast(Event::Prompt(prompt.clone()));
        self.prompt = Some(PendingPrompt {
            prompt,
            answer,
            expires: Instant::now() + timeout,
        });
        // A working tunnel that signs in again (reauthentication) stays
        // connected while it asks: the prompt event is the call to act.
        if self.active.as_ref().map(|a| a.state) != Some(ConnectionState::Connected) {
            self.set_state(ConnectionState::WaitingForUser, None);
        }
    }

    fn snapshot(&mut self, s: Snapshot) {
        let state = match &s.phase {
            // Signing in with a prompt open: it is up to the person.
            Phase::Connecting if self.prompt.is_some() => ConnectionState::WaitingForUser,
            Phase::Connecting => ConnectionState::Connecting,
            Phase::Connected => ConnectionState::Connected,
            Phase::Disconnecting => ConnectionState::Disconnecting,
            Phase::Closed(_) => return,
        };
        let connected = state == ConnectionState::Connected;
        // A new note (reconnecting: why and when) goes out with the state.
        let note = match &self.active {
            Some(a) if a.snapshot.note != s.note => s.note.clone(),
            _ => None,
        };
        if let Some(a) = &mut self.active {
            a.snapshot = s;
            a.snapshot_at = (Instant::now(), SystemTime::now());
        }
        self.set_state(state, note);
        if connected && self.last_stats.elapsed() >= Duration::from_secs(1) {
            self.last_stats = Instant::now();
            if let Some(st) = self.status() {
                self.broadcast(Event::Stats {
                    uptime_s: st.uptime_s,
                    counters: st.counters,
                });
            }
        }
    }

    fn status(&self) -> Option<Status> {
        let a = self.active.as_ref()?;
        let s = &a.snapshot;
        let t = s.traffic;
        Some(Status {
            state: a.honest_state(),
            profile: Some(a.profile.clone()),
            gateway: s.gateway,
            virtual_ips: s.addresses.iter().map(|(ip, _)| *ip).collect(),
            dns: s.dns.clone(),
            ike_suite: s.ike_suite.clone(),
            esp_suite: s.esp_suite.clone(),
            nat_detected: s.nat,
            mobike: s.mobike,
            uptime_s: s.since.map_or(0, |t| t.elapsed().as_secs()),
            counters: Counters {
                bytes_in: t.bytes_in,
                bytes_out: t.bytes_out,
                packets_in: t.packets_in,
                packets_out: t.packets_out,
                drops: t.drops,
            },
            failure: None,
        })
    }

    fn request(&mut self, _conn: u64, request: Request) -> Response {
        let error = |code, message: &str| Response::Error {
            code,
            message: message.to_string(),
        };
        match request {
            Request::Hello { .. } => Response::Welcome {
                server: "ibexd".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            Request::Subscribe => Response::Ok,
            // The server answers these from the log hub.
            Request::Logs { .. } => error(ErrorCode::Internal, "logs are not the manager's"),
            Request::Status => match self.status() {
                Some(s) => Response::Status(Box::new(s)),
                None => {
                    // Idle: the last attempt's failure, with its profile.
                    let mut s = Status::disconnected();
                    if let Some((profile, failure)) = &self.last_failure {
                        s.profile = Some(profile.clone());
                        s.failure = Some(failure.clone());
                    }
                    Response::Status(Box::new(s))
                }
            },
            Request::Disconnect => match self.active.as_mut().map(|a| {
                a.disconnecting = true;
                a.commands.clone()
            }) {
                Some(Some(c)) => {
                    let _ = c.try_send(Command::Disconnect);
                    // A sign-in waiting for a person (the pre-shared key is
                    // asked before the connection runs) ends now.
                    self.close_prompt(CloseReason::Cancelled);
                    Response::Ok
                }
                Some(None) => {
                    self.close_prompt(CloseReason::Cancelled);
                    Response::Ok
                }
                None => error(ErrorCode::NotConnected, "no connection is active"),
            },
            Request::Answer { prompt_id, value } => match self.prompt.take() {
                Some(p) if p.prompt.prompt_id == prompt_id => {
                    let _ = p.answer.send(Some(value));
                    self.broadcast(Event::PromptClosed {
                        prompt_id,
                        reason: CloseReason::Answered,
                    });
                    self.prompt_over();
                    Response::Ok
                }
                other => {
                    self.prompt = other;
                    error(
                        ErrorCode::UnknownPrompt,
                        "no such prompt is open (it may have been answered by another agent)",
                    )
                }
            },
            Request::CancelPrompt { prompt_id } => match &self.prompt {
                Some(p) if p.prompt.prompt_id == prompt_id => {
                    self.close_prompt(CloseReason::Cancelled);
                    Response::Ok
                }
                _ => error(ErrorCode::UnknownPrompt, "no such prompt is open"),
            },
            Request::Connect {
                profile,
                credential,
            } => {
                if self.active.is_some() {
                    return error(
                        ErrorCode::AlreadyConnected,
                        "a connection is already active; disconnect first",
                    );
                }
                let sign_in = match sign_in(&profile, credential) {
                    Ok(s) => s,
                    Err(e) => {
                        warn!(profile = %profile.name, error = %e, "connect refused");
                        return error(e.code(), &e.to_string());
                    }
                };
                let (cmd_tx, cmd_rx) = mpsc::channel(8);
                self.last_failure = None;
                self.active = Some(Active {
                    profile: ProfileRef {
                        uuid: profile.uuid.clone(),
                        name: profile.name.clone(),
                    },
                    commands: Some(cmd_tx),
                    snapshot: Snapshot::default(),
                    snapshot_at: (Instant::now(), SystemTime::now()),
                    state: ConnectionState::Connecting,
                    disconnecting: false,
                });
                self.broadcast(Event::State {
                    state: ConnectionState::Connecting,
                    reason: None,
                    failure: None,
                });
                tokio::spawn(flow(
                    *profile,
                    sign_in,
                    cmd_rx,
                    self.tx.clone(),
                    self.journal_path.clone(),
                ));
                Response::Ok
            }
        }
    }
}

/// Signs in with one profile and runs the connection to its end.
async fn flow(
    profile: Profile,
    sign_in: SignIn,
    commands: mpsc::Receiver<Command>,
    manager: mpsc::Sender<Msg>,
    journal_path: PathBuf,
) {
    let (reason, error, failure) =
        match flow_inner(profile, sign_in, commands, &manager, journal_path).await {
            Ok(r) => (r, false, None),
            Err((e, failure)) => (e, true, failure),
        };
    let _ = manager
        .send(Msg::Ended {
            reason,
            error,
            failure,
        })
        .await;
}

async fn flow_inner(
    profile: Profile,
    sign_in: SignIn,
    commands: mpsc::Receiver<Command>,
    manager: &mpsc::Sender<Msg>,
    journal_path: PathBuf,
) -> Result<String, (String, Option<Box<Failure>>)> {
    let rounds = crate::failure::Rounds::of(&profile);
    let ike = match sign_in {
        SignIn::Ready(config) => *config,
        SignIn::AskPsk => ask_psk(&profile, manager).await.map_err(|e| {
            let f = crate::failure::cancelled(&rounds, &e);
            (e, Some(Box::new(f)))
        })?,
    };
    let gateway = resolve(&profile.gateway.host, profile.gateway.port)
        .await
        .map_err(|e| {
            let f = Failure::new(FailureKind::Dns).with_detail(&e);
            (e, Some(Box::new(f)))
        })?;
    let (full_tunnel, split) = match &profile.routes {
        Routes::Full {} => (true, vec![]),
        Routes::Split { prefixes } => (
            false,
            prefixes
                .iter()
                .filter_map(|p| p.parse::<IpPrefix>().ok())
                .collect(),
        ),
    };
    let params = Params {
        ike: std::sync::Arc::new(ike),
        gateway,
        full_tunnel,
        split,
        use_gateway_dns: profile.dns.use_gateway,
        dns: DnsConfig {
            servers: profile.dns.servers.clone(),
            search_domains: profile.dns.search.clone(),
        },
        tun_name: "ibex0".into(),
        mtu: 1400,
        reconnect: connection::reconnect::Policy {
            enabled: profile.reconnect.enabled,
            max_attempts: profile.reconnect.max_attempts,
            initial: Duration::from_secs(profile.reconnect.initial_delay_s.into()),
            max: Duration::from_secs(profile.reconnect.max_delay_s.into()),
        },
        rounds,
    };
    let mut commands = commands;
    let mut params = params;
    let mut retried = false;
    loop {
        let (result, prompted, failure) =
            attempt(params.clone(), &mut commands, manager, &journal_path)
                .await
                .map_err(|e| {
                    let f = Failure::new(FailureKind::Setup).with_detail(&e);
                    (e, Some(Box::new(f)))
                })?;
        match result {
            Ok(reason) if reason == ibex_ike::CloseReason::LocalClose.to_string() => {
                return Ok("disconnected".into())
            }
            // The person chose a one-time code over the push approval:
            // sign in again, asking every push round for a code.
            Ok(reason) if reason == connection::USE_CODE => {
                params.ike = std::sync::Arc::new(connection::preferring_codes(&params.ike));
                let _ = manager
                    .send(Msg::Retrying {
                        reason:
                            "signing in again with a one-time code instead of the push approval"
                                .into(),
                    })
                    .await;
            }
            // The gateway gave up on a half-built SA while a person was
            // answering: start again once, saying why, instead of failing
            // with a bare timeout.
            Ok(reason)
                if (reason == ibex_ike::CloseReason::Timeout.to_string()
                    || reason == ibex_ike::CloseReason::SignInExpired.to_string())
                    && prompted
                    && !retried =>
            {
                retried = true;
                info!("the gateway stopped waiting during sign-in; starting again");
                let _ = manager
                    .send(Msg::Retrying {
                        reason: "the gateway stopped waiting while you answered; signing in again"
                            .into(),
                    })
                    .await;
            }
            Ok(reason) => return Err((reason, failure)),
            Err(e) => {
                warn!(error = %e, "connection failed");
                return Err((e.to_string(), failure));
            }
        }
    }
}

/// The outcome of one attempt: how the connection ended, whether a person
/// was prompted, and what failed.
type Attempt = (
    Result<String, connection::ConnError>,
    bool,
    Option<Box<Failure>>,
);

/// One sign-in attempt and, if it succeeds, the connection until it ends.
/// Also says whether a person was prompted during it, and what failed.
async fn attempt(
    params: Params,
    commands: &mut mpsc::Receiver<Command>,
    manager: &mpsc::Sender<Msg>,
    journal_path: &std::path::Path,
) -> Result<Attempt, String> {
    let mut journal = Journal::load(journal_path).map_err(|e| e.to_string())?;
    let params_gateway = params.gateway;
    let (status_tx, mut status_rx) = watch::channel(Snapshot::default());
    // The last snapshot carries the failure.
    let last = status_tx.subscribe();
    let forward = {
        let manager = manager.clone();
        tokio::spawn(async move {
            while status_rx.changed().await.is_ok() {
                let s = status_rx.borrow_and_update().clone();
                if manager.send(Msg::Snapshot(s)).await.is_err() {
                    return;
                }
            }
        })
    };
    let prompted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (ask_tx, mut ask_rx) = mpsc::channel::<connection::Ask>(4);
    let asks = {
        let manager = manager.clone();
        let prompted = prompted.clone();
        tokio::spawn(async move {
            while let Some(a) = ask_rx.recv().await {
                let msg = match a {
                    connection::Ask::Open { question, answer } => {
                        // A push nobody approved is no reason to push again.
                        if question.kind != PromptKind::Push {
                            prompted.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                        Msg::Ask { question, answer }
                    }
                    connection::Ask::Close => Msg::ClosePrompt,
                };
                if manager.send(msg).await.is_err() {
                    return;
                }
            }
        })
    };
    let result = connection::run(params, commands, status_tx, ask_tx, &mut journal).await;
    forward.abort();
    asks.abort();
    let failure = last.borrow().failure.clone().or_else(|| {
        // Ended before it could report (no route to the gateway, sockets).
        let gateway = std::net::SocketAddr::new(params_gateway, 500);
        result
            .as_ref()
            .err()
            .map(|e| Box::new(crate::failure::conn_error(e, Some(gateway))))
    });
    Ok((
        result,
        prompted.load(std::sync::atomic::Ordering::Relaxed),
        failure,
    ))
}

/// Asks for the pre-shared key and builds the engine configuration with it.
async fn ask_psk(
    profile: &Profile,
    manager: &mpsc::Sender<Msg>,
) -> Result<ibex_ike::Config, String> {
    let (tx, rx) = oneshot::channel();
    let text = format!(
        "Pre-shared key for {} ({})",
        profile.name, profile.gateway.host
    );
    manager
        .send(Msg::Ask {
            question: Box::new(Question {
                kind: PromptKind::Psk,
                text,
                number: None,
                choices: vec![],
                fido: None,
                timeout: PROMPT_TIMEOUT,
            }),
            answer: tx,
        })
        .await
        .map_err(|_| "daemon stopping".to_string())?;
    let Some(psk) = rx.await.ok().flatten() else {
        return Err("sign-in cancelled: no pre-shared key was given".into());
    };
    let credential = Credential::Psk(Secret::from_slice(psk.expose().as_bytes()));
    drop(psk);
    profile.to_ike_config(credential).map_err(|e| e.to_string())
}

async fn resolve(host: &str, port: u16) -> Result<IpAddr, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(ip);
    }
    let mut addrs = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("cannot resolve the gateway '{host}': {e}"))?;
    addrs
        .next()
        .map(|a| a.ip())
        .ok_or_else(|| format!("the gateway '{host}' has no address"))
}
