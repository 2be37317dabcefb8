//! `ibex-responder`: run the reference IKEv2 gateway from a configuration file.
//!
//! ```text
//! ibex-responder --config /etc/ibex/responder.json [--state-dir /run/ibex-responder]
//! ibex-responder hash-password [--iterations N] < password
//! ibex-responder enroll --rp-id ID --user NAME --token FILE --out FILE
//! ```
//!
//! `hash-password` reads one password line from standard input and prints the
//! `"password"` object of a user's `"eap"` entry (NT hash and PBKDF2 hash).
//! `enroll` registers a FIDO2 software token (kept in `--token`, created if
//! missing; for tests and demonstrations only) and appends the credential to
//! the user's credentials file `--out`.

use std::io::{BufRead as _, IsTerminal as _};
use std::path::PathBuf;
use std::process::ExitCode;

use ibex_platform::Journal;
use ibex_responder::config::FileConfig;
use ibex_responder::gateway::Gateway;
use tracing::{error, info};

fn usage() -> ExitCode {
    eprintln!(
        "usage: ibex-responder --config FILE [--state-dir DIR]\n       \
         ibex-responder hash-password [--iterations N] < password\n       \
         ibex-responder enroll --rp-id ID --user NAME --token FILE --out FILE"
    );
    ExitCode::from(2)
}

/// `hash-password`: one line of standard input to the config's password hashes.
fn hash_password(mut args: impl Iterator<Item = String>) -> ExitCode {
    use ibex_responder::mfa::password;
    let mut iterations = password::DEFAULT_PBKDF2_ITERATIONS;
    while let Some(a) = args.next() {
        match (a.as_str(), args.next().map(|n| n.parse::<u32>())) {
            ("--iterations", Some(Ok(n))) => iterations = n,
            _ => return usage(),
        }
    }
    if std::io::stdin().is_terminal() {
        eprintln!("password (it will be shown as you type):");
    }
    let mut line = zeroize::Zeroizing::new(String::new());
    if let Err(e) = std::io::stdin().lock().read_line(&mut line) {
        eprintln!("ibex-responder: cannot read the password: {e}");
        return ExitCode::FAILURE;
    }
    let pw = line.strip_suffix('\n').unwrap_or(&line);
    let pw = pw.strip_suffix('\r').unwrap_or(pw);
    if pw.is_empty() {
        eprintln!("ibex-responder: empty password");
        return ExitCode::from(2);
    }
    match password::config_entry(pw, iterations) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ibex-responder: {e}");
            ExitCode::from(2)
        }
    }
}

/// `enroll`: registers a software FIDO2 token for a user.
fn enroll(mut args: impl Iterator<Item = String>) -> ExitCode {
    let (mut rp_id, mut user, mut token, mut out) = (None, None, None, None);
    while let Some(a) = args.next() {
        let slot = match a.as_str() {
            "--rp-id" => &mut rp_id,
            "--user" => &mut user,
            "--token" => &mut token,
            "--out" => &mut out,
            _ => return usage(),
        };
        match args.next() {
            Some(v) => *slot = Some(v),
            None => return usage(),
        }
    }
    let (Some(rp_id), Some(user), Some(token), Some(out)) = (rp_id, user, token, out) else {
        return usage();
    };
    let (token, out) = (PathBuf::from(token), PathBuf::from(out));
    match ibex_responder::mfa::fido::enroll(&rp_id, &user, &token, &out) {
        Ok(id) => {
            eprintln!(
                "enrolled credential {} for {user} in {}",
                hex::encode(id),
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ibex-responder: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("IBEX_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1).peekable();
    match args.peek().map(String::as_str) {
        Some("hash-password") => return hash_password(args.skip(1)),
        Some("enroll") => return enroll(args.skip(1)),
        _ => {}
    }
    let mut config = None;
    let mut state = PathBuf::from("/run/ibex-responder");
    while let Some(a) = args.next() {
        match a.as_str() {
            "--config" => config = args.next().map(PathBuf::from),
            "--state-dir" => match args.next() {
                Some(d) => state = d.into(),
                None => return usage(),
            },
            "-h" | "--help" => return usage(),
            _ => return usage(),
        }
    }
    let Some(config) = config else { return usage() };
    let loaded = match FileConfig::load(&config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ibex-responder: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ibex-responder: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        if let Err(e) = std::fs::create_dir_all(&state) {
            error!(dir = %state.display(), error = %e, "cannot create the state directory");
            return ExitCode::FAILURE;
        }
        let mut journal = match Journal::load(state.join("journal.json")) {
            Ok(j) => j,
            Err(e) => {
                error!(error = %e, "cannot read the journal");
                return ExitCode::FAILURE;
            }
        };
        if !journal.is_empty() {
            info!("cleaning up after a previous run that did not stop cleanly");
            if let Err(e) = journal.undo().await {
                error!(error = %e, "cleanup failed");
            }
        }
        let mut gw = match Gateway::start(loaded, &mut journal).await {
            Ok(g) => g,
            Err(e) => {
                error!(error = %e, "cannot start the gateway");
                let _ = journal.undo().await;
                return ExitCode::FAILURE;
            }
        };
        let stop = async {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => return std::future::pending().await,
                };
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        };
        let result = gw.run(stop).await;
        drop(gw);
        if let Err(e) = journal.undo().await {
            error!(error = %e, "cleanup failed");
        }
        match result {
            Ok(()) => {
                info!("stopped");
                ExitCode::SUCCESS
            }
            Err(e) => {
                error!(error = %e, "gateway failed");
                ExitCode::FAILURE
            }
        }
    })
}
