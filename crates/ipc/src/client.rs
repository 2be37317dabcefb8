//! [`Client`]: an agent's connection to the daemon, with request/response
//! correlation and an event stream.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::io::{AsyncRead, AsyncWrite, BufReader};
use tokio::net::UnixStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::error::IpcError;
use crate::event::Event;
use crate::framing::{read_message, write_message};
use crate::message::{ClientMessage, ServerMessage};
use crate::request::{Request, RequestId};
use crate::response::Response;

/// The events the daemon pushes, in order. Unbounded so that a caller
/// awaiting a response never deadlocks against a full event queue: drain
/// it, or drop it to discard events. It ends when the connection closes.
pub type Events = mpsc::UnboundedReceiver<Event>;

type Reply = oneshot::Sender<Result<Response, IpcError>>;

/// Requests in flight, and whether the connection is gone.
#[derive(Default)]
struct Pending {
    waiting: HashMap<RequestId, Reply>,
    closed: bool,
}

type Shared = Arc<Mutex<Pending>>;

fn lock(p: &Shared) -> MutexGuard<'_, Pending> {
    // The map stays consistent even if a holder panicked.
    p.lock().unwrap_or_else(|e| e.into_inner())
}

/// A connection to the daemon. Requests may be issued concurrently from
/// several tasks; a background task reads the socket, hands each response
/// to the request with its id and forwards events to [`Events`]. Dropping
/// the client stops that task and closes the connection.
pub struct Client {
    writer: tokio::sync::Mutex<Box<dyn AsyncWrite + Send + Unpin>>,
    pending: Shared,
    next_id: AtomicU64,
    reader: JoinHandle<()>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("next_id", &self.next_id)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Connects to the daemon's socket at `path`. Must be called within a
    /// tokio runtime.
    pub async fn connect(path: impl AsRef<Path>) -> Result<(Client, Events), IpcError> {
        let path = path.as_ref();
        let stream = UnixStream::connect(path)
            .await
            .map_err(|source| IpcError::Connect {
                path: path.to_path_buf(),
                source,
            })?;
        let (r, w) = stream.into_split();
        Ok(Client::start(r, w))
    }

    /// A client over any byte stream (a socket pair, an in-memory duplex).
    /// Must be called within a tokio runtime.
    pub fn from_stream<S>(stream: S) -> (Client, Events)
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (r, w) = tokio::io::split(stream);
        Client::start(r, w)
    }

    fn start<R, W>(reader: R, writer: W) -> (Client, Events)
    where
        R: AsyncRead + Send + Unpin + 'static,
        W: AsyncWrite + Send + Unpin + 'static,
    {
        let pending = Shared::default();
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(demultiplex(
            BufReader::new(reader),
            pending.clone(),
            events_tx,
        ));
        let client = Client {
            writer: tokio::sync::Mutex::new(Box::new(writer)),
            pending,
            next_id: AtomicU64::new(1),
            reader: task,
        };
        (client, events_rx)
    }

    /// Sends `request` and waits for its response. An `error` response is
    /// returned as `Ok(Response::Error { .. })`; `Err` means the exchange
    /// itself failed (connection lost, undecodable response).
    pub async fn request(&self, request: Request) -> Result<Response, IpcError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        {
            let mut p = lock(&self.pending);
            if p.closed {
                return Err(IpcError::Closed);
            }
            p.waiting.insert(id, tx);
        }
        // Forget the request if this future is dropped before its response.
        let _forget = Forget {
            pending: &self.pending,
            id,
        };
        let message = ClientMessage { id, request };
        let sent = {
            let mut w = self.writer.lock().await;
            write_message(&mut *w, &message).await
        };
        sent?;
        rx.await.unwrap_or(Err(IpcError::Closed))
    }
}

/// Removes a request from the pending map when dropped.
struct Forget<'a> {
    pending: &'a Shared,
    id: RequestId,
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        lock(self.pending).waiting.remove(&self.id);
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// The background reader: responses to their requests, events to the
/// channel, until the connection ends.
async fn demultiplex<R>(
    mut reader: BufReader<R>,
    pending: Shared,
    events: mpsc::UnboundedSender<Event>,
) where
    R: AsyncRead + Unpin,
{
    loop {
        match read_message::<_, ServerMessage>(&mut reader).await {
            Ok(Some(ServerMessage::Response { id, response })) => {
                match lock(&pending).waiting.remove(&id) {
                    Some(reply) => {
                        let _ = reply.send(Ok(response));
                    }
                    None => tracing::warn!(id, "response to no outstanding request; ignored"),
                }
            }
            Ok(Some(ServerMessage::Event(event))) => {
                // A dropped receiver means the caller does not want events.
                let _ = events.send(event);
            }
            Ok(None) => break,
            Err(IpcError::Decode(e)) => {
                let reply = e.id.and_then(|id| lock(&pending).waiting.remove(&id));
                match reply {
                    Some(reply) => {
                        let _ = reply.send(Err(IpcError::Decode(e)));
                    }
                    None => tracing::warn!("skipping undecodable line from the daemon: {e}"),
                }
            }
            Err(e) => {
                tracing::warn!("IPC connection to the daemon failed: {e}");
                break;
            }
        }
    }
    let mut p = lock(&pending);
    p.closed = true;
    // Dropping the senders fails the waiting requests with `Closed`.
    p.waiting.clear();
}
