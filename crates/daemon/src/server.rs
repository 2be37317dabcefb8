//! The IPC server: a Unix socket speaking `ibex-ipc` JSON lines. Only root and
//! members of group `ibex` may connect.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ibex_ipc::{
    read_message, write_message, ClientMessage, ErrorCode, Event, IpcError, LogLevel, Request,
    Response, ServerMessage,
};
use tokio::io::BufReader;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

use crate::logs::{LogHub, QUEUE_LINES};
use crate::manager::Msg;
use crate::peer::authorized;

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// Binds the socket at `path` (replacing a stale one), mode 0660.
pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    if path.exists() {
        // A live daemon would still answer; a stale socket is removed.
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                format!("another ibexd is listening on {}", path.display()),
            ));
        }
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
    if let Some(gid) = ibex_group_gid() {
        let _ = std::os::unix::fs::chown(path, None, Some(gid));
    }
    info!(socket = %path.display(), "listening");
    Ok(listener)
}

fn ibex_group_gid() -> Option<u32> {
    crate::peer::group_gid(Path::new("/etc/group"), crate::peer::GROUP)
}

/// Accepts agents until the listener fails.
pub async fn serve(listener: UnixListener, manager: mpsc::Sender<Msg>) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                warn!(error = %e, "accept failed");
                continue;
            }
        };
        let ok = stream
            .peer_cred()
            .map(|c| authorized(c.uid(), c.gid(), c.pid()));
        match ok {
            Ok(true) => {
                tokio::spawn(agent(stream, manager.clone(), crate::logs::hub()));
            }
            Ok(false) => {
                let c = stream.peer_cred().ok();
                warn!(
                    uid = c.map(|c| c.uid()),
                    "refused an agent: not root and not in group ibex"
                );
                tokio::spawn(refuse(stream));
            }
            Err(e) => warn!(error = %e, "cannot read the agent's credentials"),
        }
    }
}

async fn refuse(mut stream: UnixStream) {
    let msg = ServerMessage::Response {
        id: 0,
        response: Response::Error {
            code: ErrorCode::PermissionDenied,
            message: "only root and members of group 'ibex' may control ibexd".into(),
        },
    };
    let _ = write_message(&mut stream, &msg).await;
}

/// Serves one authorized agent until it goes away; `logs` requests are
/// answered from `hub`.
pub async fn agent(stream: UnixStream, manager: mpsc::Sender<Msg>, hub: Arc<LogHub>) {
    let conn = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    let (read, mut write) = stream.into_split();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<ServerMessage>();
    // Followed log lines wait here, a bounded queue: when the agent reads
    // too slowly the hub drops lines (and counts them) instead of waiting.
    let (log_tx, mut log_rx) = mpsc::channel::<Event>(QUEUE_LINES);
    let writer = tokio::spawn(async move {
        loop {
            let m = tokio::select! {
                biased;
                m = out_rx.recv() => match m {
                    Some(m) => m,
                    None => return,
                },
                Some(e) = log_rx.recv() => ServerMessage::Event(e),
            };
            if write_message(&mut write, &m).await.is_err() {
                return;
            }
        }
    });
    let mut reader = BufReader::new(read);
    loop {
        let msg: Result<Option<ClientMessage>, IpcError> = read_message(&mut reader).await;
        match msg {
            Ok(Some(ClientMessage {
                id,
                request: Request::Logs { level, follow },
            })) => {
                let level = level.unwrap_or(LogLevel::Info);
                let lines = match follow {
                    Some(true) => hub.follow(conn, level, log_tx.clone()),
                    Some(false) => {
                        hub.unfollow(conn);
                        hub.recent(level)
                    }
                    None => hub.recent(level),
                };
                let _ = out_tx.send(ServerMessage::Response {
                    id,
                    response: Response::Logs { lines },
                });
            }
            Ok(Some(ClientMessage { id, request })) => {
                if matches!(request, Request::Subscribe) {
                    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
                    let out = out_tx.clone();
                    tokio::spawn(async move {
                        while let Some(e) = ev_rx.recv().await {
                            if out.send(ServerMessage::Event(e)).is_err() {
                                return;
                            }
                        }
                    });
                    if manager
                        .send(Msg::Subscribe {
                            conn,
                            events: ev_tx,
                        })
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
                let (tx, rx) = oneshot::channel();
                if manager
                    .send(Msg::Request {
                        conn,
                        request,
                        reply: tx,
                    })
                    .await
                    .is_err()
                {
                    break;
                }
                let response = rx.await.unwrap_or(Response::Error {
                    code: ErrorCode::Internal,
                    message: "the daemon is stopping".into(),
                });
                let _ = out_tx.send(ServerMessage::Response { id, response });
            }
            Ok(None) => break,
            Err(IpcError::Decode(e)) => {
                debug!(error = %e, "bad request");
                if let Some(id) = e.id {
                    let code =
                        if matches!(e.kind, ibex_ipc::DecodeErrorKind::UnsupportedVersion { .. }) {
                            ErrorCode::UnsupportedVersion
                        } else {
                            ErrorCode::BadRequest
                        };
                    let _ = out_tx.send(ServerMessage::Response {
                        id,
                        response: Response::Error {
                            code,
                            message: e.to_string(),
                        },
                    });
                }
            }
            Err(e) => {
                debug!(error = %e, "agent connection closed");
                break;
            }
        }
    }
    hub.unfollow(conn);
    let _ = manager.send(Msg::Gone { conn }).await;
    drop(out_tx);
    drop(log_tx);
    let _ = writer.await;
}
