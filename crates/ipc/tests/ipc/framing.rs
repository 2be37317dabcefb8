//! Framing: line limits, versions, garbage, blank lines, truncation.

use ibex_ipc::{
    read_message, write_message, ClientMessage, DecodeErrorKind, IpcError, Request, ServerMessage,
    MAX_LINE_LEN,
};
use tokio::io::{AsyncWriteExt, BufReader};

/// Reads every message from `input`, one result per call until EOF or a
/// fatal error.
async fn read_all(input: &[u8]) -> Vec<Result<ClientMessage, IpcError>> {
    let mut r = BufReader::with_capacity(64, input);
    let mut out = Vec::new();
    loop {
        match read_message::<_, ClientMessage>(&mut r).await {
            Ok(Some(m)) => out.push(Ok(m)),
            Ok(None) => return out,
            Err(e @ IpcError::Decode(_)) => out.push(Err(e)),
            Err(e) => {
                out.push(Err(e));
                return out;
            }
        }
    }
}

fn decode_kind(r: &Result<ClientMessage, IpcError>) -> &DecodeErrorKind {
    match r {
        Err(IpcError::Decode(e)) => &e.kind,
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn reads_lines_skipping_blank_and_crlf() {
    let input = b"{\"v\":1,\"id\":1,\"type\":\"status\"}\r\n\n   \n{\"v\":1,\"id\":2,\"type\":\"subscribe\"}\n";
    let got = read_all(input).await;
    assert_eq!(got.len(), 2);
    assert!(matches!(
        &got[0],
        Ok(ClientMessage {
            id: 1,
            request: Request::Status
        })
    ));
    assert!(matches!(
        &got[1],
        Ok(ClientMessage {
            id: 2,
            request: Request::Subscribe
        })
    ));
}

#[tokio::test]
async fn oversize_line_is_rejected_without_buffering_it_all() {
    let mut input = br#"{"v":1,"id":1,"type":"hello","client":""#.to_vec();
    input.resize(MAX_LINE_LEN + 10, b'a');
    input.extend_from_slice(b"\",\"version\":\"1\"}\n");
    let got = read_all(&input).await;
    assert!(
        matches!(got.last(), Some(Err(IpcError::LineTooLong { limit })) if *limit == MAX_LINE_LEN)
    );
    // Exactly at the limit is fine.
    let mut ok = br#"{"v":1,"id":1,"type":"hello","version":"1","client":""#.to_vec();
    let pad = MAX_LINE_LEN - ok.len() - 2;
    ok.extend(std::iter::repeat_n(b'a', pad));
    ok.extend_from_slice(b"\"}\n");
    assert_eq!(ok.len(), MAX_LINE_LEN + 1);
    assert!(matches!(read_all(&ok).await.as_slice(), [Ok(_)]));
}

#[tokio::test]
async fn oversize_message_is_not_sent() {
    let m = ClientMessage {
        id: 1,
        request: Request::Hello {
            client: "x".repeat(MAX_LINE_LEN),
            version: "1".into(),
        },
    };
    let mut out = Vec::new();
    let e = write_message(&mut out, &m).await.unwrap_err();
    assert!(matches!(e, IpcError::MessageTooLarge { .. }), "{e}");
    assert!(out.is_empty());
}

#[tokio::test]
async fn wrong_or_missing_version_is_rejected() {
    let got = read_all(
        b"{\"v\":2,\"id\":5,\"type\":\"status\"}\n{\"id\":6,\"type\":\"status\"}\n{\"v\":\"1\",\"id\":7,\"type\":\"status\"}\n",
    )
    .await;
    assert_eq!(got.len(), 3);
    assert_eq!(
        decode_kind(&got[0]),
        &DecodeErrorKind::UnsupportedVersion { found: "2".into() }
    );
    let Err(IpcError::Decode(e)) = &got[0] else {
        unreachable!()
    };
    assert_eq!(e.id, Some(5));
    assert!(
        e.to_string().contains("unsupported protocol version 2"),
        "{e}"
    );
    assert_eq!(decode_kind(&got[1]), &DecodeErrorKind::MissingVersion);
    assert!(matches!(
        decode_kind(&got[2]),
        DecodeErrorKind::UnsupportedVersion { .. }
    ));
}

#[tokio::test]
async fn garbage_lines_are_errors_and_reading_goes_on() {
    let input = b"hello daemon\n[1,2]\n{\"v\":1,\"type\":\"status\"}\n{\"v\":1,\"id\":3,\"type\":\"reboot\"}\n{\"v\":1,\"id\":4,\"type\":\"answer\"}\n{\"v\":1,\"id\":9,\"type\":\"disconnect\"}\n";
    let got = read_all(input).await;
    assert_eq!(got.len(), 6);
    assert!(matches!(decode_kind(&got[0]), DecodeErrorKind::Syntax(_)));
    assert_eq!(decode_kind(&got[1]), &DecodeErrorKind::NotAnObject);
    assert_eq!(decode_kind(&got[2]), &DecodeErrorKind::MissingId);
    let DecodeErrorKind::Invalid { message, .. } = decode_kind(&got[3]) else {
        panic!()
    };
    assert!(message.contains("unknown variant `reboot`"), "{message}");
    let DecodeErrorKind::Invalid { message, .. } = decode_kind(&got[4]) else {
        panic!()
    };
    assert!(message.contains("missing field `prompt_id`"), "{message}");
    assert!(matches!(
        &got[5],
        Ok(ClientMessage {
            id: 9,
            request: Request::Disconnect
        })
    ));
}

#[tokio::test]
async fn truncated_line_at_eof_is_an_error() {
    let got = read_all(b"{\"v\":1,\"id\":1,\"type\":\"sta").await;
    assert!(
        matches!(got.as_slice(), [Err(IpcError::Io(e))] if e.kind() == std::io::ErrorKind::UnexpectedEof)
    );
}

#[tokio::test]
async fn write_then_read() {
    let (a, b) = tokio::io::duplex(1024);
    let (mut ra, mut wa) = tokio::io::split(a);
    let (rb, mut wb) = tokio::io::split(b);
    let m = ServerMessage::Event(ibex_ipc::Event::Log(ibex_ipc::LogLine {
        level: ibex_ipc::LogLevel::Info,
        message: "line one\nline two".into(),
        time_ms: None,
        target: None,
    }));
    write_message(&mut wb, &m).await.unwrap();
    wb.shutdown().await.unwrap();
    drop(wb);
    drop(rb);
    let mut r = BufReader::new(&mut ra);
    let got: ServerMessage = read_message(&mut r).await.unwrap().unwrap();
    assert_eq!(got, m);
    wa.shutdown().await.unwrap();
    assert!(read_message::<_, ServerMessage>(&mut r)
        .await
        .unwrap()
        .is_none());
}
