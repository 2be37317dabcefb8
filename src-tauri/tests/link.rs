//! The event task against a fake ibexd on a real Unix socket: it waits for
//! the daemon, subscribes, forwards status and prompts, carries an answer
//! to the daemon, and reconnects after the daemon restarts.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ibex_app::daemon::Daemon;
use ibex_app::link::{self, Sink};
use ibex_app::snapshot::Snapshot;
use ibex_ipc::{
    read_message, write_message, ClientMessage, CloseReason, ConnectionState, Event, Prompt,
    PromptId, PromptKind, Request, Response, ServerMessage, Status,
};
use tokio::io::BufReader;
use tokio::net::{UnixListener, UnixStream};

#[derive(Clone, Debug, PartialEq)]
enum Seen {
    Status {
        running: bool,
        state: ConnectionState,
        vip: Vec<IpAddr>,
    },
    Prompt(PromptId, PromptKind),
    Closed(PromptId, CloseReason),
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Seen>>);

impl Sink for Recorder {
    fn status(&self, s: &Snapshot) {
        self.0.lock().unwrap().push(Seen::Status {
            running: s.daemon_running,
            state: s.status.state,
            vip: s.status.virtual_ips.clone(),
        });
    }
    fn prompt(&self, p: &Prompt) {
        self.0
            .lock()
            .unwrap()
            .push(Seen::Prompt(p.prompt_id, p.kind));
    }
    fn prompt_closed(&self, id: PromptId, reason: CloseReason, _any_open: bool) {
        self.0.lock().unwrap().push(Seen::Closed(id, reason));
    }
}

impl Recorder {
    /// Waits (at most 10 s) until something matching `want` was seen.
    async fn wait(&self, want: impl Fn(&Seen) -> bool) {
        for _ in 0..1000 {
            if self.0.lock().unwrap().iter().any(&want) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("not seen; saw {:?}", self.0.lock().unwrap());
    }
}

/// One connection of the fake ibexd: answers like ibexd, opens an OTP
/// prompt after `subscribe`, and connects once the prompt is answered.
/// Returns the answer it received.
async fn serve(stream: UnixStream) -> Option<String> {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut status = Status::disconnected();
    let mut answered = None;
    loop {
        // Once answered, serve what follows for a moment, then "restart".
        let wait = if answered.is_some() { 500 } else { 10_000 };
        let next = tokio::time::timeout(
            Duration::from_millis(wait),
            read_message::<_, ClientMessage>(&mut r),
        )
        .await;
        let Ok(Ok(Some(msg))) = next else { break };
        let mut events = Vec::new();
        let response = match msg.request {
            Request::Hello { .. } => Response::Welcome {
                server: "ibexd".into(),
                version: "test".into(),
            },
            Request::Subscribe => {
                events.push(Event::Prompt(Prompt {
                    prompt_id: 7,
                    kind: PromptKind::Otp,
                    text: None,
                    number_to_match: None,
                    deadline: None,
                    choices: vec![],
                    fido: None,
                }));
                Response::Ok
            }
            Request::Status => Response::Status(Box::new(status.clone())),
            Request::Answer { prompt_id, value } => {
                answered = Some(value.expose().to_string());
                status.state = ConnectionState::Connected;
                status.virtual_ips = vec!["10.99.0.2".parse().unwrap()];
                events.push(Event::PromptClosed {
                    prompt_id,
                    reason: CloseReason::Answered,
                });
                events.push(Event::State {
                    state: ConnectionState::Connected,
                    reason: None,
                    failure: None,
                });
                Response::Ok
            }
            _ => Response::Ok,
        };
        let reply = ServerMessage::Response {
            id: msg.id,
            response,
        };
        write_message(&mut w, &reply).await.unwrap();
        for e in events {
            write_message(&mut w, &ServerMessage::Event(e))
                .await
                .unwrap();
        }
    }
    answered
}

#[tokio::test]
async fn subscribes_forwards_answers_and_reconnects() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("info")
        .try_init();
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("ibexd.sock");
    let daemon = Arc::new(Daemon::new(socket.clone()));
    let seen = Arc::new(Recorder::default());
    let task = tokio::spawn(link::run(daemon.clone(), seen.clone()));

    // No daemon yet: the window is told so, and requests say why.
    seen.wait(|s| matches!(s, Seen::Status { running: false, .. }))
        .await;
    let e = ibex_app::actions::disconnect(&daemon).await.unwrap_err();
    assert!(e.to_string().contains("ibexd.sock"), "{e}");

    // The daemon starts: status, then the prompt it opens.
    let listener = UnixListener::bind(&socket).unwrap();
    let (stream, _) = listener.accept().await.unwrap();
    let server = tokio::spawn(serve(stream));
    seen.wait(|s| *s == Seen::Prompt(7, PromptKind::Otp)).await;
    assert!(seen.0.lock().unwrap().contains(&Seen::Status {
        running: true,
        state: ConnectionState::Disconnected,
        vip: vec![]
    }));
    assert_eq!(daemon.prompts().len(), 1);

    // The person's answer reaches the daemon; the tunnel comes up.
    ibex_app::actions::answer(&daemon, 7, "123456".into())
        .await
        .unwrap();
    seen.wait(|s| *s == Seen::Closed(7, CloseReason::Answered))
        .await;
    let vip: IpAddr = "10.99.0.2".parse().unwrap();
    seen.wait(|s| {
        *s == Seen::Status {
            running: true,
            state: ConnectionState::Connected,
            vip: vec![vip],
        }
    })
    .await;
    assert_eq!(server.await.unwrap().as_deref(), Some("123456"));
    assert!(daemon.prompts().is_empty());

    // The daemon goes away and comes back: the app reconnects by itself.
    seen.0.lock().unwrap().clear();
    seen.wait(|s| matches!(s, Seen::Status { running: false, .. }))
        .await;
    let (stream, _) = listener.accept().await.unwrap();
    tokio::spawn(serve(stream));
    seen.wait(|s| matches!(s, Seen::Status { running: true, .. }))
        .await;
    task.abort();
}
