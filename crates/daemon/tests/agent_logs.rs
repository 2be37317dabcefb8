//! ibexd's log lines over the IPC: an agent asks for the recent lines and
//! follows new ones, through the real server and manager on a socket pair.

use std::sync::Arc;
use std::time::Duration;

use ibex_ipc::{Client, Event, LogLevel, LogLine, Request, Response};
use ibexd::logs::{layer, LogHub};
use ibexd::manager::Manager;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tracing_subscriber::layer::SubscriberExt;

/// A manager and a server for one agent on a socket pair; returns our end.
fn daemon(hub: Arc<LogHub>, dir: &std::path::Path) -> tokio::net::UnixStream {
    let manager = Manager::new(dir.join("journal.json"));
    let handle = manager.handle();
    tokio::spawn(manager.run());
    let (ours, theirs) = tokio::net::UnixStream::pair().unwrap();
    tokio::spawn(ibexd::server::agent(theirs, handle, hub));
    ours
}

async fn next_log(events: &mut ibex_ipc::Events) -> LogLine {
    loop {
        let e = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .expect("a log event in time")
            .expect("the connection is open");
        if let Event::Log(l) = e {
            return l;
        }
    }
}

async fn follow(client: &Client, level: Option<LogLevel>, on: bool) -> Vec<LogLine> {
    match client
        .request(Request::Logs {
            level,
            follow: Some(on),
        })
        .await
        .unwrap()
    {
        Response::Logs { lines } => lines,
        other => panic!("not a logs answer: {other:?}"),
    }
}

#[tokio::test]
async fn a_following_agent_gets_the_recent_lines_then_new_ones() {
    let hub = Arc::new(LogHub::default());
    let subscriber = tracing_subscriber::registry().with(layer(hub.clone()));
    // The test's tasks all run on this thread (a current-thread runtime).
    let _guard = tracing::subscriber::set_default(subscriber);
    let dir = tempfile::tempdir().unwrap();
    let (client, mut events) = Client::from_stream(daemon(hub.clone(), dir.path()));

    tracing::info!(target: "ibexd::test", "before the agent asked");
    tracing::debug!(target: "ibexd::test", "a detail nobody wanted");
    let lines = follow(&client, None, true).await;
    let texts: Vec<_> = lines.iter().map(|l| l.message.as_str()).collect();
    assert!(texts.contains(&"before the agent asked"), "{texts:?}");
    assert!(!texts.contains(&"a detail nobody wanted"), "{texts:?}");

    // New lines come as events, at info and above by default.
    tracing::debug!(target: "ibexd::test", "still too detailed");
    tracing::warn!(target: "ibexd::test", peer = "192.0.2.1", "after the agent asked");
    let l = next_log(&mut events).await;
    assert_eq!(l.level, LogLevel::Warn);
    assert_eq!(l.message, "after the agent asked peer=192.0.2.1");
    assert_eq!(l.target.as_deref(), Some("ibexd::test"));

    // The manager's own lines come too: a failed disconnect is not
    // logged, a subscribe is not either; a debug level brings details.
    follow(&client, Some(LogLevel::Debug), true).await;
    tracing::debug!(target: "ibexd::test", "wanted now");
    assert_eq!(next_log(&mut events).await.message, "wanted now");

    // Stopping: no more events.
    follow(&client, None, false).await;
    tracing::error!(target: "ibexd::test", "not followed");
    let later = tokio::time::timeout(Duration::from_millis(200), events.recv()).await;
    assert!(
        !matches!(later, Ok(Some(Event::Log(_)))),
        "a log event after follow=false: {later:?}"
    );
}

#[tokio::test]
async fn an_agent_that_does_not_read_loses_lines_and_is_told_how_many() {
    let hub = Arc::new(LogHub::default());
    let dir = tempfile::tempdir().unwrap();
    let (read, mut write) = daemon(hub.clone(), dir.path()).into_split();
    let mut reader = tokio::io::BufReader::new(read);
    write
        .write_all(b"{\"v\":1,\"id\":1,\"type\":\"logs\",\"follow\":true}\n")
        .await
        .unwrap();
    let mut line = String::new();
    reader.read_line(&mut line).await.unwrap();
    assert!(line.contains("\"type\":\"logs\""), "{line}");
    // Far more than the queue and the socket hold, while the agent reads
    // nothing: the pushes never wait.
    let filler = "x".repeat(1000);
    let n = 5_000u64;
    let started = std::time::Instant::now();
    for i in 0..n {
        hub.push(LogLine {
            level: LogLevel::Info,
            message: format!("{i} {filler}"),
            time_ms: None,
            target: None,
        });
        if i % 100 == 0 {
            // Let the writer fill the socket.
            tokio::task::yield_now().await;
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the pushes waited"
    );
    assert_eq!(hub.recent(LogLevel::Trace).len(), ibexd::logs::RING_LINES);
    // Now the agent reads what was kept.
    let mut got = 0u64;
    loop {
        line.clear();
        match tokio::time::timeout(Duration::from_millis(300), reader.read_line(&mut line)).await {
            Ok(Ok(n)) if n > 0 => got += 1,
            _ => break,
        }
    }
    assert!(got > 0 && got < n / 2, "{got} of {n} lines were kept");
    // The next line comes after a notice of the loss.
    hub.push(LogLine {
        level: LogLevel::Info,
        message: "the next one".into(),
        time_ms: None,
        target: None,
    });
    line.clear();
    reader.read_line(&mut line).await.unwrap();
    assert!(
        line.contains("log lines were not sent to this agent"),
        "{line}"
    );
    let lost: u64 = serde_json::from_str::<serde_json::Value>(&line).unwrap()["message"]
        .as_str()
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(got + lost, n, "every line is either delivered or counted");
    line.clear();
    reader.read_line(&mut line).await.unwrap();
    assert!(line.contains("the next one"), "{line}");
}
