//! A minimal W3C WebDriver client for driving a real browser in a test's
//! network namespace: `chromedriver` (Debian's chromium-driver) runs inside
//! the namespace, and the client reaches it through a socket opened from a
//! thread that joined that namespace (setns), so pages on the namespace's
//! loopback are reachable without exposing anything outside it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::netns::Netns;
use crate::wait_until;

/// The key of an element reference in WebDriver responses.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Opens a TCP connection from inside the named network namespace.
pub fn connect_in(ns: &str, addr: SocketAddr) -> std::io::Result<TcpStream> {
    let path = format!("/var/run/netns/{ns}");
    std::thread::scope(|s| {
        s.spawn(|| {
            let f = std::fs::File::open(&path)?;
            // SAFETY: setns on this (scoped, short-lived) thread only; the fd is valid.
            if unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
            TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        })
        .join()
        .unwrap_or_else(|_| Err(std::io::Error::other("setns thread panicked")))
    })
}

/// One HTTP/1.1 request with a JSON body; returns the status and the JSON answer.
fn http(
    ns: &str,
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<(u16, Value), String> {
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut s = connect_in(ns, addr).map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(60))).ok();
    let body = body.map(Value::to_string).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    // Read the head, then exactly the body (servers may keep the connection open).
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed before the HTTP head ended".into());
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_ascii_lowercase();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or("no HTTP status")?;
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    let chunked = head.contains("transfer-encoding: chunked");
    loop {
        let have = raw.len() - head_end;
        let done = match length {
            Some(len) => have >= len,
            None if chunked => raw.ends_with(b"0\r\n\r\n"),
            None => false,
        };
        if done {
            break;
        }
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let body = String::from_utf8_lossy(&raw[head_end..]).to_string();
    let body = if chunked { dechunk(&body) } else { body };
    let json = serde_json::from_str(body.trim()).unwrap_or(Value::Null);
    Ok((status, json))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((len, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(len.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// chromedriver in a namespace with one headless Chromium session; both
/// end on drop.
pub struct Browser {
    driver: Child,
    ns: String,
    port: u16,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver on `port` in `ns` and opens a headless session.
    pub fn start(ns: &Netns, port: u16) -> Result<Browser, String> {
        let driver = ns
            .command(&["chromedriver", &format!("--port={port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("chromedriver: {e}"))?;
        let profile = crate::tempdir("chromium-").map_err(|e| e.to_string())?;
        let mut b = Browser {
            driver,
            ns: ns.name().to_string(),
            port,
            session: String::new(),
            _profile: profile,
        };
        let up = wait_until(Duration::from_secs(15), Duration::from_millis(100), || {
            http(&b.ns, port, "GET", "/status", None)
                .is_ok_and(|(_, v)| v["value"]["ready"] == true)
        });
        if !up {
            return Err("chromedriver did not become ready".into());
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=900,700",
                         format!("--user-data-dir={}", b._profile.path().display())],
            },
        }}});
        let (status, v) = http(&b.ns, port, "POST", "/session", Some(&caps))?;
        if status != 200 {
            return Err(format!("new session: {status} {v}"));
        }
        b.session = v["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session id: {v}"))?
            .to_string();
        Ok(b)
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let path = format!("/session/{}{path}", self.session);
        let (status, v) = http(&self.ns, self.port, method, &path, body.as_ref())?;
        if status != 200 {
            return Err(format!("{method} {path}: {status} {v}"));
        }
        Ok(v["value"].clone())
    }

    /// Loads `url`.
    pub fn goto(&self, url: &str) -> Result<(), String> {
        self.call("POST", "/url", Some(json!({ "url": url })))
            .map(|_| ())
    }

    /// The first element matching the CSS selector, if any.
    pub fn find(&self, css: &str) -> Option<String> {
        self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        )
        .ok()
        .and_then(|v| v[ELEMENT].as_str().map(String::from))
    }

    /// The rendered text of an element.
    pub fn text(&self, element: &str) -> Result<String, String> {
        self.call("GET", &format!("/element/{element}/text"), None)
            .map(|v| v.as_str().unwrap_or_default().to_string())
    }

    /// An attribute of an element.
    pub fn attribute(&self, element: &str, name: &str) -> Result<Option<String>, String> {
        self.call("GET", &format!("/element/{element}/attribute/{name}"), None)
            .map(|v| v.as_str().map(String::from))
    }

    /// Clicks an element.
    pub fn click(&self, element: &str) -> Result<(), String> {
        self.call(
            "POST",
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .map(|_| ())
    }

    /// A PNG screenshot of the viewport.
    pub fn screenshot(&self) -> Result<Vec<u8>, String> {
        use base64::Engine as _;
        let v = self.call("GET", "/screenshot", None)?;
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .map_err(|e| e.to_string())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = http(
                &self.ns,
                self.port,
                "DELETE",
                &format!("/session/{}", self.session),
                None,
            );
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Where tests put screenshots: `$IBEX_E2E_ARTIFACTS` or
/// `/tmp/ibex-e2e-artifacts`.
pub fn artifacts_dir() -> std::path::PathBuf {
    let d = std::env::var_os("IBEX_E2E_ARTIFACTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("/tmp/ibex-e2e-artifacts"));
    let _ = std::fs::create_dir_all(&d);
    d
}
