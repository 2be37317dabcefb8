//! `ibexd`: the privileged Ibex daemon.
//!
//! ```text
//! ibexd [--socket /run/ibex/ibexd.sock] [--state-dir /run/ibex]
//! ```
//! At start it undoes whatever a previous instance that was killed hard left
//! behind (TUN device, routes, DNS), then serves agents until SIGTERM, when it
//! disconnects and restores the system.

use std::path::PathBuf;
use std::process::ExitCode;

use ibex_platform::Journal;
use ibexd::manager::{Manager, Msg};
use tracing::{error, info};

fn usage() -> ExitCode {
    eprintln!("usage: ibexd [--socket PATH] [--state-dir DIR]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    // stderr (the journal) at IBEX_LOG's level; agents' log views through
    // the hub at the levels they ask for.
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(
            tracing_subscriber::EnvFilter::try_from_env("IBEX_LOG")
                .unwrap_or_else(|_| "info".into()),
        );
    tracing_subscriber::registry()
        .with(stderr)
        .with(ibexd::logs::layer(ibexd::logs::hub()))
        .init();
    let mut socket = std::env::var_os("IBEX_SOCKET")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/run/ibex/ibexd.sock"));
    let mut state = PathBuf::from("/run/ibex");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--socket", Some(p)) => socket = p.into(),
            ("--state-dir", Some(d)) => state = d.into(),
            _ => return usage(),
        }
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ibexd: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        if let Err(e) = std::fs::create_dir_all(&state) {
            error!(dir = %state.display(), error = %e, "cannot create the state directory");
            return ExitCode::FAILURE;
        }
        let journal_path = state.join("journal.json");
        match Journal::load(&journal_path) {
            Ok(mut j) if !j.is_empty() => {
                info!("a previous ibexd did not stop cleanly: restoring the system");
                if let Err(e) = j.undo().await {
                    error!(error = %e, "cleanup of the previous run failed");
                }
            }
            Ok(_) => {}
            Err(e) => {
                error!(error = %e, "cannot read the journal");
                return ExitCode::FAILURE;
            }
        }
        let listener = match ibexd::server::bind(&socket) {
            Ok(l) => l,
            Err(e) => {
                error!(socket = %socket.display(), error = %e, "cannot listen");
                return ExitCode::FAILURE;
            }
        };
        let manager = Manager::new(journal_path);
        let handle = manager.handle();
        let server = tokio::spawn(ibexd::server::serve(listener, handle.clone()));
        let managed = tokio::spawn(manager.run());
        let sleep = tokio::spawn(ibexd::sleep::watch(handle.clone()));
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    error!(error = %e, "cannot watch SIGTERM");
                    return ExitCode::FAILURE;
                }
            };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        info!("stopping: disconnecting and restoring the system");
        server.abort();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        if handle.send(Msg::Shutdown { done: done_tx }).await.is_ok() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), done_rx).await;
        }
        managed.abort();
        sleep.abort();
        let _ = std::fs::remove_file(&socket);
        ExitCode::SUCCESS
    })
}
