//! `ibex-responder`: run the reference IKEv2 gateway from a configuration file.
//!
//! ```text
//! ibex-responder --config /etc/ibex/responder.json [--state-dir /run/ibex-responder]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use ibex_platform::Journal;
use ibex_responder::config::FileConfig;
use ibex_responder::gateway::Gateway;
use tracing::{error, info};

fn usage() -> ExitCode {
    eprintln!("usage: ibex-responder --config FILE [--state-dir DIR]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("IBEX_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut config = None;
    let mut state = PathBuf::from("/run/ibex-responder");
    let mut args = std::env::args().skip(1);
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
