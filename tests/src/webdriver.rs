//! A minimal W3C WebDriver client for driving a real browser or the desktop
//! app in a test's network namespace: the driver (`chromedriver` from
//! Debian's chromium-driver, or `tauri-driver` with WebKitWebDriver, see
//! [`crate::gui`]) runs inside the namespace, and the client reaches it
//! through a socket opened from a thread that joined that namespace (setns),
//! so nothing listens outside it.

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

/// Runs `request` again (twice at most) when it gets no HTTP answer at all.
/// tauri-driver's proxy sometimes sends a request on a kept-alive
/// connection to WebKitWebDriver that the latter has just closed, and then
/// drops ours (`Error serving connection: ... client error (SendRequest)`,
/// `Connection reset by peer`): the command never reached the driver.
fn retry_transport(
    mut request: impl FnMut() -> Result<(u16, Value), String>,
) -> Result<(u16, Value), String> {
    let mut attempt = 0;
    loop {
        match request() {
            Err(_) if attempt < 2 => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(200));
            }
            answer => return answer,
        }
    }
}

/// One WebDriver session on a driver listening on `127.0.0.1:port` inside
/// a namespace; deleted on drop. Works with chromedriver and with
/// tauri-driver (WebKitWebDriver).
pub struct Session {
    ns: String,
    port: u16,
    id: String,
}

impl Session {
    /// Waits (bounded by `wait`) for the driver's `/status` to answer, then
    /// opens a session with `capabilities` (the `alwaysMatch` object).
    pub fn open(
        ns: &str,
        port: u16,
        capabilities: Value,
        wait: Duration,
    ) -> Result<Session, String> {
        let up = wait_until(wait, Duration::from_millis(100), || {
            http(ns, port, "GET", "/status", None).is_ok_and(|(s, _)| s == 200)
        });
        if !up {
            return Err(format!("no WebDriver answered on 127.0.0.1:{port} in {ns}"));
        }
        let caps = json!({"capabilities": {"alwaysMatch": capabilities}});
        let (status, v) = retry_transport(|| http(ns, port, "POST", "/session", Some(&caps)))?;
        if status != 200 {
            return Err(format!("new session: {status} {v}"));
        }
        let id = v["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session id: {v}"))?
            .to_string();
        Ok(Session {
            ns: ns.to_string(),
            port,
            id,
        })
    }

    /// One command (transport failures retried: [`retry_transport`]).
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let path = format!("/session/{}{path}", self.id);
        let (status, v) =
            retry_transport(|| http(&self.ns, self.port, method, &path, body.as_ref()))
                .map_err(|e| format!("{method} {path}: {e}"))?;
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

    /// The document's title.
    pub fn title(&self) -> Result<String, String> {
        self.call("GET", "/title", None)
            .map(|v| v.as_str().unwrap_or_default().to_string())
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

    /// A DOM property of an element (`hidden`, `disabled`, `value`, ...).
    pub fn property(&self, element: &str, name: &str) -> Result<Value, String> {
        self.call("GET", &format!("/element/{element}/property/{name}"), None)
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

    /// Types `text` into an element, as keystrokes.
    pub fn send_keys(&self, element: &str, text: &str) -> Result<(), String> {
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        )
        .map(|_| ())
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page
    /// and returns what it returns.
    pub fn execute(&self, script: &str, args: Value) -> Result<Value, String> {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
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

impl Drop for Session {
    fn drop(&mut self) {
        let _ = http(
            &self.ns,
            self.port,
            "DELETE",
            &format!("/session/{}", self.id),
            None,
        );
    }
}

/// chromedriver in a namespace with one headless Chromium session; both
/// end on drop.
pub struct Browser {
    session: Option<Session>,
    driver: Child,
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
            session: None,
            driver,
            _profile: profile,
        };
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=900,700",
                         format!("--user-data-dir={}", b._profile.path().display())],
            },
        });
        b.session = Some(Session::open(
            ns.name(),
            port,
            caps,
            Duration::from_secs(15),
        )?);
        Ok(b)
    }
}

impl std::ops::Deref for Browser {
    type Target = Session;

    fn deref(&self) -> &Session {
        self.session
            .as_ref()
            .expect("a started browser has a session")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        drop(self.session.take());
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
