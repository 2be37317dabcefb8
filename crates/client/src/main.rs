//! `ibex`: the command-line agent. It keeps profiles per user and drives
//! `ibexd` over its socket; prompts (pre-shared key, passwords, codes) are
//! asked on the terminal, or read from stdin one line per prompt when stdin
//! is not a terminal. FIDO2 prompts are answered by a security key over USB
//! (or the software token of `IBEX_FIDO_SOFT_TOKEN`). For certificate
//! profiles and EAP-TLS rounds it reads the certificate and key files with
//! the user's own rights and hands them to the daemon, which never reads
//! user files.
#![forbid(unsafe_code)]

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ibex_agent::daemon::{check, state_name};
use ibex_agent::profiles::{self, load_profile, store, Format};
use ibex_agent::{credential, daemon, fido, keyring, prompt};
use ibex_ipc::{
    Client, ConnectCredential, ConnectionState, Event, Events, PromptKind, Request, Response,
    SecretString, Status,
};
use ibex_profile::{Profile, ProfileStore};

/// Ibex IKEv2 VPN client.
#[derive(Parser)]
#[command(name = "ibex", version)]
struct Cli {
    /// The daemon's socket (default: $IBEX_SOCKET or /run/ibex/ibexd.sock).
    #[arg(long, global = true)]
    socket: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Connect with a profile (a name from `ibex profiles list`, or a file); returns when the tunnel is up.
    ///
    /// Prompts are asked on the terminal, or read from stdin one line per
    /// prompt when stdin is not a terminal. A FIDO2 prompt is answered by a
    /// security key over USB (its PIN, when needed, is asked on the terminal
    /// or read as the next stdin line; it never reaches the daemon).
    #[command(
        after_long_help = "Environment:\n  IBEX_FIDO_SOFT_TOKEN=FILE  answer FIDO2 prompts with the webauthn-authenticator-rs\n                             software token in FILE (as `ibex-responder enroll --token FILE`\n                             makes it) instead of a USB security key. For tests and\n                             demonstrations only: the file holds the private key unprotected.\n  IBEX_SOCKET=PATH           the daemon's socket (default /run/ibex/ibexd.sock)"
    )]
    Connect {
        /// Profile name, uuid or JSON file.
        profile: String,
        /// Save the account password in your keyring once the connection is
        /// up, and use it for this profile's password prompts from then on.
        #[arg(long)]
        remember_password: bool,
        /// Stay in the foreground once connected: answer the prompts of a
        /// new sign-in when the gateway's sign-in lifetime runs out (with the
        /// keyring's password when one is saved), and return when the
        /// connection ends.
        #[arg(long)]
        stay: bool,
    },
    /// Delete the password `connect --remember-password` saved for a profile.
    ForgetPassword {
        /// Profile name, uuid or JSON file.
        profile: String,
    },
    /// Disconnect and restore routes and DNS.
    Disconnect,
    /// Show the connection.
    Status {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Print the daemon's events (state, prompts, statistics) as JSON lines until interrupted.
    Events,
    /// Manage profiles.
    Profiles {
        #[command(subcommand)]
        command: ProfileCmd,
    },
}

#[derive(Subcommand)]
enum ProfileCmd {
    /// Validate a profile file and store it (replacing one with the same uuid).
    ///
    /// Besides Ibex profiles (.json) it imports strongSwan app profiles
    /// (.sswan) and the IKEv2 payload of Apple configuration profiles
    /// (.mobileconfig, unsigned); the format is recognized by content. What
    /// Ibex does not support is reported as a warning, or refused when the
    /// connection would not work or be weaker. Secrets in the file are never
    /// written into the profile.
    Import {
        /// The file.
        file: PathBuf,
        /// Only show what would be imported, with the warnings; store nothing.
        #[arg(long)]
        preview: bool,
        /// Save the EAP password the file carries (.mobileconfig AuthPassword)
        /// in your keyring, as `connect --remember-password` does.
        #[arg(long)]
        remember_password: bool,
    },
    /// List stored profiles.
    List,
    /// Print a stored profile.
    Show {
        /// Name or uuid.
        name: String,
    },
    /// Delete a stored profile.
    Remove {
        /// Name or uuid.
        name: String,
    },
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("ibex: {msg}");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let socket = daemon::socket_path(cli.socket.clone());
    match cli.command {
        Cmd::Profiles { command } => profiles(command),
        Cmd::ForgetPassword { profile } => forget_password(&profile),
        cmd => {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => return fail(e),
            };
            rt.block_on(daemon_command(cmd, socket))
        }
    }
}

fn profiles(cmd: ProfileCmd) -> ExitCode {
    let store = match store() {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    match cmd {
        ProfileCmd::Import {
            file,
            preview,
            remember_password,
        } => import(&store, &file, preview, remember_password),
        ProfileCmd::List => match store.list() {
            Ok(list) => {
                for p in list {
                    println!("{}\t{}\t{}", p.name, p.gateway.host, p.uuid);
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        ProfileCmd::Show { name } => match store.get(&name) {
            Ok(p) => {
                println!("{}", p.to_json_pretty());
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        ProfileCmd::Remove { name } => match store.remove(&name) {
            Ok(p) => {
                println!("removed '{}'", p.name);
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
    }
}

/// `ibex profiles import FILE [--preview] [--remember-password]`.
fn import(store: &ProfileStore, file: &Path, preview: bool, remember_password: bool) -> ExitCode {
    if preview {
        return match profiles::preview_import(file) {
            Ok(p) => {
                print!("{p}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        };
    }
    let imported = match profiles::import(store, file) {
        Ok(i) => i,
        Err(e) => return fail(e),
    };
    let p = &imported.profile;
    match imported.format {
        Format::Ibex => println!("imported '{}' ({})", p.name, p.uuid),
        f => println!("imported '{}' ({}) from a {f}", p.name, p.uuid),
    }
    for w in &imported.warnings {
        eprintln!("warning: {w}");
    }
    if imported.secrets.psk.is_some() {
        eprintln!("the file's pre-shared key was not saved; `ibex connect` asks for it");
    }
    if let Some(pw) = &imported.secrets.password {
        if remember_password {
            match keyring::remember(&p.uuid, pw) {
                Ok(()) => eprintln!("the file's password is saved in your keyring"),
                Err(e) => return fail(e),
            }
        } else {
            eprintln!("the file's password was not saved; `ibex connect` asks for it (or import with --remember-password)");
        }
    }
    ExitCode::SUCCESS
}

/// `ibex forget-password PROFILE`.
fn forget_password(arg: &str) -> ExitCode {
    let profile = match load_profile(arg) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    match keyring::forget(&profile.uuid.to_string()) {
        Ok(true) => {
            eprintln!("password of '{}' deleted from your keyring", profile.name);
            ExitCode::SUCCESS
        }
        Ok(false) => {
            eprintln!("no password of '{}' was saved", profile.name);
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

async fn daemon_command(cmd: Cmd, socket: PathBuf) -> ExitCode {
    // Profile and files first: their errors do not depend on the daemon.
    let connect_with = match &cmd {
        Cmd::Connect { profile, .. } => match load_profile(profile).and_then(|p| {
            let c = credential::load(&p).map_err(|e| e.to_string())?;
            Ok((p, c))
        }) {
            Ok(pc) => Some(pc),
            Err(e) => return fail(e),
        },
        _ => None,
    };
    let (client, events) = match Client::connect(&socket).await {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let hello = daemon::hello("ibex-cli", env!("CARGO_PKG_VERSION"));
    if let Err(e) = client.request(hello).await {
        return fail(e);
    }
    match cmd {
        Cmd::Connect {
            remember_password,
            stay,
            ..
        } => match connect_with {
            Some((profile, credential)) => {
                let how = How {
                    remember_password,
                    stay,
                };
                connect(&client, events, profile, credential, how).await
            }
            None => ExitCode::FAILURE,
        },
        Cmd::Disconnect => disconnect(&client, events).await,
        Cmd::Status { json } => match client.request(Request::Status).await {
            Ok(Response::Status(s)) => {
                print_status(&s, json);
                ExitCode::SUCCESS
            }
            Ok(other) => fail(format!("unexpected answer: {other:?}")),
            Err(e) => fail(e),
        },
        Cmd::Events => watch_events(&client, events).await,
        Cmd::Profiles { .. } | Cmd::ForgetPassword { .. } => ExitCode::SUCCESS,
    }
}

/// How `ibex connect` behaves.
struct How {
    /// Save a typed password in the keyring once connected.
    remember_password: bool,
    /// Keep answering prompts until the connection ends.
    stay: bool,
}

async fn connect(
    client: &Client,
    mut events: Events,
    profile: Profile,
    credential: Option<ConnectCredential>,
    how: How,
) -> ExitCode {
    let How {
        remember_password,
        stay,
    } = how;
    let mut connected = false;
    let uuid = profile.uuid.to_string();
    // The saved password answers the first password prompt; a typed one is
    // saved once connected, if asked to.
    let mut saved_used = false;
    let mut typed: Option<zeroize::Zeroizing<String>> = None;
    if let Err(e) = check(client.request(Request::Subscribe).await) {
        return fail(e);
    }
    if let Err(e) = check(
        client
            .request(Request::Connect {
                profile: Box::new(profile),
                credential,
            })
            .await,
    ) {
        return fail(e);
    }
    let interactive = std::io::stdin().is_terminal();
    let mut lines = prompt::StdinLines::new();
    // A push approval that accepts a one-time code instead: scripts may
    // answer it with a line `code` (other lines are ignored).
    let mut push_prompt = None;
    let mut stdin_open = !interactive;
    loop {
        let event = match push_prompt {
            Some(prompt_id) if stdin_open => tokio::select! {
                e = events.recv() => e,
                line = lines.next() => {
                    match line {
                        Some(l) if l.trim() == ibex_ipc::USE_CODE => {
                            push_prompt = None;
                            let r = client
                                .request(Request::Answer {
                                    prompt_id,
                                    value: SecretString::new(ibex_ipc::USE_CODE.into()),
                                })
                                .await;
                            if let Err(e) = check(r) {
                                eprintln!("ibex: {e}");
                            }
                        }
                        Some(_) => {}
                        None => stdin_open = false,
                    }
                    continue;
                }
            },
            _ => events.recv().await,
        };
        let Some(event) = event else { break };
        match event {
            Event::Prompt(p) if p.kind == PromptKind::Push => {
                // Answered on the phone: show the number, read nothing.
                eprintln!("{}", prompt::push_notice(&p));
                if p.choices.iter().any(|c| c == ibex_ipc::USE_CODE) {
                    push_prompt = Some(p.prompt_id);
                }
            }
            Event::PromptClosed { prompt_id, .. } if push_prompt == Some(prompt_id) => {
                push_prompt = None;
            }
            Event::Prompt(p) if p.kind == PromptKind::Fido2 => {
                if let Err(e) = security_key(client, &p, interactive, &mut lines).await {
                    let _ = client
                        .request(Request::CancelPrompt {
                            prompt_id: p.prompt_id,
                        })
                        .await;
                    // Let the daemon end the attempt, so that it is over
                    // (and nothing is left configured) when we return.
                    attempt_over(&mut events).await;
                    return fail(e);
                }
            }
            Event::Prompt(p) if p.kind == PromptKind::Password && !saved_used => {
                saved_used = true;
                let id = uuid.clone();
                let saved = keyring::blocking(move || keyring::recall(&id))
                    .await
                    .unwrap_or_else(|e| {
                        eprintln!("ibex: {e}");
                        None
                    });
                let value = match saved {
                    Some(pw) => {
                        eprintln!("using the password saved in your keyring");
                        SecretString::new(pw.to_string())
                    }
                    None => {
                        saved_used = false;
                        match ask_line(&p, interactive, &mut lines).await {
                            Some(v) => {
                                if remember_password {
                                    typed = Some(zeroize::Zeroizing::new(v.clone()));
                                }
                                SecretString::new(v)
                            }
                            None => return cancel_prompt(client, p.prompt_id).await,
                        }
                    }
                };
                let r = client
                    .request(Request::Answer {
                        prompt_id: p.prompt_id,
                        value,
                    })
                    .await;
                if let Err(e) = check(r) {
                    eprintln!("ibex: {e}");
                }
            }
            Event::Prompt(p) => {
                let answer = if interactive {
                    prompt::ask_terminal(&p)
                } else {
                    lines.next().await
                };
                let Some(value) = answer else {
                    let _ = client
                        .request(Request::CancelPrompt {
                            prompt_id: p.prompt_id,
                        })
                        .await;
                    return fail("no answer to the prompt (stdin closed)");
                };
                let r = client
                    .request(Request::Answer {
                        prompt_id: p.prompt_id,
                        value: SecretString::new(value),
                    })
                    .await;
                if let Err(e) = check(r) {
                    eprintln!("ibex: {e}");
                }
            }
            Event::State {
                state: ConnectionState::Connected,
                ..
            } => {
                if let Some(pw) = typed.take() {
                    let id = uuid.clone();
                    match keyring::blocking(move || keyring::remember(&id, &pw)).await {
                        Ok(()) => eprintln!("password saved in your keyring"),
                        Err(e) => eprintln!("ibex: {e}"),
                    }
                }
                if connected {
                    continue;
                }
                if let Ok(Response::Status(s)) = client.request(Request::Status).await {
                    print_status(&s, false);
                }
                if !stay {
                    return ExitCode::SUCCESS;
                }
                // A new sign-in may use the saved password again.
                connected = true;
                saved_used = false;
                eprintln!("connected; staying to answer prompts until the connection ends");
            }
            // Staying: a disconnect asked for ends us without an error.
            Event::State {
                state: ConnectionState::Disconnected,
                reason,
                ..
            } if connected && reason.as_deref() == Some("disconnected") => {
                eprintln!("disconnected");
                return ExitCode::SUCCESS;
            }
            Event::State {
                state: ConnectionState::Error | ConnectionState::Disconnected,
                reason,
                ..
            } => {
                let wrong = reason
                    .as_deref()
                    .is_some_and(|r| r.contains("user name or password"));
                if saved_used && wrong {
                    let id = uuid.clone();
                    if let Ok(true) = keyring::blocking(move || keyring::forget(&id)).await {
                        eprintln!(
                            "the password saved in your keyring was refused; it has been deleted"
                        );
                    }
                }
                return fail(format!(
                    "connection failed: {}",
                    reason.unwrap_or_else(|| "unknown reason".into())
                ));
            }
            Event::State { state, .. } if interactive => eprintln!("{}", state_name(state)),
            _ => {}
        }
    }
    fail("the daemon closed the connection")
}

/// Answers a `fido2` prompt with a security key's assertion.
async fn security_key(
    client: &Client,
    p: &ibex_ipc::Prompt,
    interactive: bool,
    lines: &mut prompt::StdinLines,
) -> Result<(), String> {
    let Some(request) = &p.fido else {
        return Err(
            "the daemon asked for a security key without saying what to sign; update ibexd".into(),
        );
    };
    eprintln!("{}", prompt::fido_notice(p, request));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let timeout = std::time::Duration::from_secs(
        p.deadline
            .map_or(120, |d| d.saturating_sub(now))
            .clamp(5, 300),
    );
    let mut pins = prompt::TerminalPin { interactive, lines };
    let assertion = fido::sign(request, timeout, &mut pins)
        .await
        .map_err(|e| e.to_string())?;
    check(
        client
            .request(Request::Answer {
                prompt_id: p.prompt_id,
                value: assertion.to_answer(),
            })
            .await,
    )
}

/// Waits (at most 10 s) until the daemon reports the attempt over.
async fn attempt_over(events: &mut Events) {
    let over = async {
        while let Some(e) = events.recv().await {
            if let Event::State {
                state: ConnectionState::Error | ConnectionState::Disconnected,
                ..
            } = e
            {
                return;
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), over).await;
}

/// The answer to a text prompt: hidden on a terminal, else the next stdin line.
async fn ask_line(
    p: &ibex_ipc::Prompt,
    interactive: bool,
    lines: &mut prompt::StdinLines,
) -> Option<String> {
    if interactive {
        prompt::ask_terminal(p)
    } else {
        lines.next().await
    }
}

/// Gives up on a prompt nobody can answer.
async fn cancel_prompt(client: &Client, prompt_id: ibex_ipc::PromptId) -> ExitCode {
    let _ = client.request(Request::CancelPrompt { prompt_id }).await;
    fail("no answer to the prompt (stdin closed)")
}

/// `ibex events`: one JSON line per event, as the daemon sent it.
async fn watch_events(client: &Client, mut events: Events) -> ExitCode {
    if let Err(e) = check(client.request(Request::Subscribe).await) {
        return fail(e);
    }
    // On stderr, so stdout stays one JSON event per line; scripts can wait
    // for it to know that nothing from now on is missed.
    eprintln!("ibex: watching ibexd's events (Ctrl-C to stop)");
    while let Some(event) = events.recv().await {
        match serde_json::to_string(&event) {
            Ok(line) => println!("{line}"),
            Err(e) => return fail(e),
        }
    }
    ExitCode::SUCCESS
}

async fn disconnect(client: &Client, mut events: Events) -> ExitCode {
    if let Err(e) = check(client.request(Request::Subscribe).await) {
        return fail(e);
    }
    if let Err(e) = check(client.request(Request::Disconnect).await) {
        return fail(e);
    }
    while let Some(event) = events.recv().await {
        if let Event::State {
            state: ConnectionState::Disconnected | ConnectionState::Error,
            ..
        } = event
        {
            return ExitCode::SUCCESS;
        }
    }
    ExitCode::SUCCESS
}

fn print_status(s: &Status, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(s).unwrap_or_default());
        return;
    }
    println!("state:      {}", state_name(s.state));
    if let Some(p) = &s.profile {
        println!("profile:    {}", p.name);
    }
    if let Some(f) = &s.failure {
        let round = match (f.round, &f.method) {
            (Some(r), Some(m)) => format!(" (round {r}, {m})"),
            _ => String::new(),
        };
        println!("failed:     {}{round}", f.kind.name());
        if let Some(d) = &f.detail {
            println!("            {d}");
        }
    }
    if let Some(g) = s.gateway {
        println!("gateway:    {g}");
    }
    if !s.virtual_ips.is_empty() {
        println!(
            "address:    {}",
            s.virtual_ips
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !s.dns.is_empty() {
        println!(
            "dns:        {}",
            s.dns
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(i) = &s.ike_suite {
        println!("ike:        {i}");
    }
    if let Some(e) = &s.esp_suite {
        println!("esp:        {e}");
    }
    if s.state == ConnectionState::Connected {
        println!(
            "nat:        {}",
            if s.nat_detected {
                "detected (UDP 4500)"
            } else {
                "none"
            }
        );
        println!("mobike:     {}", if s.mobike { "yes" } else { "no" });
        println!("uptime:     {} s", s.uptime_s);
        let c = &s.counters;
        println!(
            "traffic:    in {} B / {} packets, out {} B / {} packets, {} dropped",
            c.bytes_in, c.packets_in, c.bytes_out, c.packets_out, c.drops
        );
    }
}
