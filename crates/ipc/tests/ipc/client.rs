//! `Client` against a tiny test server on a Unix socket in a temp dir.

use std::time::Duration;

use ibex_ipc::{
    read_message, write_message, Client, ClientMessage, ConnectionState, Event, IpcError, Request,
    Response, ServerMessage,
};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

const LIMIT: Duration = Duration::from_secs(10);

/// Binds a listener in a fresh temporary directory.
fn listener() -> (tempfile::TempDir, std::path::PathBuf, UnixListener) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ibexd.sock");
    let l = UnixListener::bind(&path).unwrap();
    (dir, path, l)
}

async fn send(w: &mut (impl tokio::io::AsyncWrite + Unpin), m: ServerMessage) {
    write_message(w, &m).await.unwrap();
}

#[tokio::test]
async fn request_response_with_interleaved_event() {
    let (_dir, path, listener) = listener();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (r, mut w) = stream.into_split();
        let mut r = BufReader::new(r);
        // hello: an event first, then the response.
        let m: ClientMessage = read_message(&mut r).await.unwrap().unwrap();
        assert!(matches!(m.request, Request::Hello { .. }));
        let state = Event::State {
            state: ConnectionState::Connecting,
            reason: None,
            failure: None,
        };
        send(&mut w, ServerMessage::Event(state)).await;
        let welcome = Response::Welcome {
            server: "test-ibexd".into(),
            version: "0".into(),
        };
        send(
            &mut w,
            ServerMessage::Response {
                id: m.id,
                response: welcome,
            },
        )
        .await;
        // Two requests at once, answered in reverse order.
        let a: ClientMessage = read_message(&mut r).await.unwrap().unwrap();
        let b: ClientMessage = read_message(&mut r).await.unwrap().unwrap();
        for m in [b, a] {
            let response = match m.request {
                Request::Status => Response::Status(Box::new(ibex_ipc::Status::disconnected())),
                Request::Answer { value, .. } => {
                    assert_eq!(value.expose(), "hunter2");
                    Response::Ok
                }
                other => panic!("unexpected {other:?}"),
            };
            send(&mut w, ServerMessage::Response { id: m.id, response }).await;
        }
    });

    let (client, mut events) = tokio::time::timeout(LIMIT, Client::connect(&path))
        .await
        .unwrap()
        .unwrap();
    let hello = Request::Hello {
        client: "test".into(),
        version: "0".into(),
    };
    let r = tokio::time::timeout(LIMIT, client.request(hello))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        r,
        Response::Welcome {
            server: "test-ibexd".into(),
            version: "0".into()
        }
    );
    let e = tokio::time::timeout(LIMIT, events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        e,
        Event::State {
            state: ConnectionState::Connecting,
            reason: None,
            failure: None,
        }
    );

    let status = client.request(Request::Status);
    let answer = client.request(Request::Answer {
        prompt_id: 1,
        value: "hunter2".into(),
    });
    let (s, a) = tokio::time::timeout(LIMIT, async { tokio::join!(status, answer) })
        .await
        .unwrap();
    assert!(
        matches!(s.unwrap(), Response::Status(st) if st.state == ConnectionState::Disconnected)
    );
    assert_eq!(a.unwrap(), Response::Ok);
    server.await.unwrap();

    // The server is gone: events end and requests fail cleanly.
    assert!(tokio::time::timeout(LIMIT, events.recv())
        .await
        .unwrap()
        .is_none());
    let e = tokio::time::timeout(LIMIT, client.request(Request::Status))
        .await
        .unwrap();
    assert!(
        matches!(e, Err(IpcError::Closed) | Err(IpcError::Io(_))),
        "{e:?}"
    );
}

#[tokio::test]
async fn pending_request_fails_when_the_server_closes() {
    let (a, b) = UnixStream::pair().unwrap();
    let (client, _events) = Client::from_stream(a);
    let server = tokio::spawn(async move {
        let (r, mut w) = b.into_split();
        let mut r = BufReader::new(r);
        let _: ClientMessage = read_message(&mut r).await.unwrap().unwrap();
        w.shutdown().await.unwrap();
    });
    let e = tokio::time::timeout(LIMIT, client.request(Request::Disconnect))
        .await
        .unwrap();
    assert!(matches!(e, Err(IpcError::Closed)), "{e:?}");
    server.await.unwrap();
}

#[tokio::test]
async fn undecodable_response_fails_only_its_request() {
    let (a, b) = UnixStream::pair().unwrap();
    let (client, mut events) = Client::from_stream(a);
    let server = tokio::spawn(async move {
        let (r, mut w) = b.into_split();
        let mut r = BufReader::new(r);
        let m: ClientMessage = read_message(&mut r).await.unwrap().unwrap();
        let bad = format!(
            "{{\"v\":1,\"id\":{},\"type\":\"teapot\"}}\nnot json\n",
            m.id
        );
        w.write_all(bad.as_bytes()).await.unwrap();
        let m: ClientMessage = read_message(&mut r).await.unwrap().unwrap();
        send(
            &mut w,
            ServerMessage::Event(Event::Log(ibex_ipc::LogLine {
                level: ibex_ipc::LogLevel::Info,
                message: "hi".into(),
                time_ms: None,
                target: None,
            })),
        )
        .await;
        send(
            &mut w,
            ServerMessage::Response {
                id: m.id,
                response: Response::Ok,
            },
        )
        .await;
    });
    let e = tokio::time::timeout(LIMIT, client.request(Request::Status))
        .await
        .unwrap();
    assert!(matches!(e, Err(IpcError::Decode(_))), "{e:?}");
    let ok = tokio::time::timeout(LIMIT, client.request(Request::Subscribe))
        .await
        .unwrap();
    assert_eq!(ok.unwrap(), Response::Ok);
    let ev = tokio::time::timeout(LIMIT, events.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(ev, Event::Log(_)));
    server.await.unwrap();
}

#[tokio::test]
async fn connect_to_missing_socket_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let e = Client::connect(dir.path().join("nothing.sock"))
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("cannot connect to the Ibex daemon") && msg.contains("is ibexd running"),
        "{msg}"
    );
}
