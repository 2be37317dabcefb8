//! The stand-in for a phone app: a small web page and JSON API to approve or
//! deny pending push approvals.
//!
//! | request | answer |
//! | --- | --- |
//! | `GET /` | the approval page (token, if any, in the URL fragment: `/#<token>`) |
//! | `GET /api/approvals` | `[{"id","user","number","expires_in_secs"}]`, oldest first |
//! | `POST /api/approvals/{id}/approve` | 200 `{"id","state":"approved"}`, 404 unknown, 409 not pending |
//! | `POST /api/approvals/{id}/deny` | the same with `"denied"` |
//!
//! With a token configured every `/api` request needs `Authorization: Bearer
//! <token>` (401 otherwise; compared in constant time). Without one (loopback
//! only, see [`super::config`]) `/api` requests must name an IP address or
//! `localhost` as their `Host`, which defeats DNS rebinding; with or without,
//! a cross-origin `Origin` is refused (403), which defeats CSRF.
//!
//! Built on axum (tokio's own HTTP framework over hyper, so no new runtime)
//! with only its `http1`, `tokio` and `json` features: routing with path
//! parameters and JSON in a few lines, and a well-kept, widely used stack.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};

use axum::extract::{FromRequestParts, Path, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use ibex_eap::{PushState, Secret};
use serde_json::json;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tracing::{info, warn};

use super::config::PushApiConfig;
use super::push::{DecideError, PushStore};

const PAGE: &str = include_str!("approve.html");

#[derive(Clone)]
struct AppState {
    store: PushStore,
    /// SHA-256 of the bearer token (comparing digests hides the token's length).
    token_digest: Option<Arc<[u8; 32]>>,
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// The routes, for embedding in another server or for tests.
pub fn router(store: PushStore, token: Option<Secret>) -> Router {
    let state = AppState {
        store,
        token_digest: token.map(|t| Arc::new(sha256(t.expose()))),
    };
    Router::new()
        .route("/", get(page))
        .route("/api/approvals", get(list))
        .route("/api/approvals/{id}/approve", post(approve))
        .route("/api/approvals/{id}/deny", post(deny))
        .with_state(state)
}

/// Serves the approval page and API on `listener` until the process ends.
pub async fn serve(
    listener: TcpListener,
    store: PushStore,
    token: Option<Secret>,
) -> std::io::Result<()> {
    serve_with_shutdown(listener, store, token, std::future::pending()).await
}

/// Serves until `shutdown` completes, then finishes the requests in progress.
pub async fn serve_with_shutdown(
    listener: TcpListener,
    store: PushStore,
    token: Option<Secret>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        info!(%addr, token = token.is_some(), "push approval page listening");
    }
    axum::serve(listener, router(store, token))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Binds `config.listen` and serves in a new task; returns the bound address.
pub async fn spawn(
    config: &PushApiConfig,
    store: PushStore,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let token = config
        .token
        .as_ref()
        .map(|t| Secret::from_slice(t.expose().as_bytes()));
    Ok((addr, tokio::spawn(serve(listener, store, token))))
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn state_name(s: PushState) -> &'static str {
    match s {
        PushState::Pending => "pending",
        PushState::Approved => "approved",
        PushState::Denied => "denied",
        PushState::Expired => "expired",
    }
}

/// Proof that an `/api` request passed the token, host and origin checks.
struct Authorized;

/// The host part of a `Host` header value (`[v6]:port`, `v4:port`, `name:port`).
fn host_only(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

/// Why an `/api` request was refused.
enum Refused {
    /// 403 with this message.
    Forbidden(&'static str),
    /// 401: no or wrong bearer token.
    Unauthorized,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Forbidden(message) => error(StatusCode::FORBIDDEN, message),
            Refused::Unauthorized => {
                let mut r = error(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                r
            }
        }
    }
}

fn check_request(state: &AppState, headers: &HeaderMap) -> Result<(), Refused> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if let Some(origin) = headers.get(header::ORIGIN) {
        let same = origin.to_str().ok().is_some_and(|o| {
            o.strip_prefix("http://")
                .or_else(|| o.strip_prefix("https://"))
                .is_some_and(|o| o.eq_ignore_ascii_case(host))
        });
        if !same {
            warn!("push API request from another origin refused");
            return Err(Refused::Forbidden("cross-origin request refused"));
        }
    }
    match &state.token_digest {
        Some(want) => {
            let given = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
                .map(sha256);
            if !given.is_some_and(|g| bool::from(g.ct_eq(&want[..]))) {
                warn!("push API request without the right bearer token refused");
                return Err(Refused::Unauthorized);
            }
        }
        None => {
            let h = host_only(host);
            if !(h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().is_ok()) {
                warn!("push API request naming a host name refused (no token configured)");
                return Err(Refused::Forbidden(
                    "use the gateway's IP address (or configure a token)",
                ));
            }
        }
    }
    Ok(())
}

impl FromRequestParts<AppState> for Authorized {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        check_request(state, &parts.headers)
            .map(|()| Authorized)
            .map_err(|r| no_store(r.into_response()))
    }
}

/// Headers every answer carries: never cached, never sniffed.
fn no_store(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// `script-src` for the page: the hash of its one inline script.
fn content_security_policy() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let script = PAGE
            .split_once("<script>")
            .and_then(|(_, rest)| rest.split_once("</script>"))
            .map_or("", |(s, _)| s);
        let hash = base64::engine::general_purpose::STANDARD.encode(sha256(script.as_bytes()));
        format!(
            "default-src 'none'; script-src 'sha256-{hash}'; style-src 'unsafe-inline'; \
             connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        )
    })
}

async fn page() -> Response {
    let mut r = no_store(Html(PAGE).into_response());
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_security_policy()) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

async fn list(_: Authorized, State(state): State<AppState>) -> Response {
    no_store(Json(state.store.pending()).into_response())
}

async fn approve(_: Authorized, State(state): State<AppState>, Path(id): Path<String>) -> Response {
    decide(&state, &id, true)
}

async fn deny(_: Authorized, State(state): State<AppState>, Path(id): Path<String>) -> Response {
    decide(&state, &id, false)
}

fn decide(state: &AppState, id: &str, approve: bool) -> Response {
    let result = if approve {
        state.store.approve(id)
    } else {
        state.store.deny(id)
    };
    let r = match result {
        Ok(()) => {
            let to = if approve {
                PushState::Approved
            } else {
                PushState::Denied
            };
            Json(json!({ "id": id, "state": state_name(to) })).into_response()
        }
        Err(DecideError::Unknown) => error(StatusCode::NOT_FOUND, "no such approval"),
        Err(DecideError::NotPending(s)) => (
            StatusCode::CONFLICT,
            Json(json!({ "error": "approval is no longer pending", "state": state_name(s) })),
        )
            .into_response(),
    };
    no_store(r)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use serde_json::Value;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::mfa::manual_clock;

    struct Reply {
        status: u16,
        headers: String,
        body: String,
    }

    impl Reply {
        fn json(&self) -> Value {
            serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
        }
    }

    /// One HTTP/1.1 request over a fresh connection.
    async fn request(addr: SocketAddr, method: &str, path: &str, extra: &[(&str, &str)]) -> Reply {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        for (k, v) in extra {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if method == "POST" {
            req.push_str("Content-Length: 0\r\n");
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut raw))
            .await
            .expect("server did not answer")
            .unwrap();
        let raw = String::from_utf8(raw).unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        assert!(
            !head
                .to_ascii_lowercase()
                .contains("transfer-encoding: chunked"),
            "{head}"
        );
        let status = head[9..12].parse().unwrap();
        Reply {
            status,
            headers: head.to_ascii_lowercase(),
            body: body.to_owned(),
        }
    }

    async fn start(token: Option<&str>) -> (SocketAddr, PushStore) {
        let (clock, _) = manual_clock(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        let store = PushStore::new(Duration::from_secs(60), clock);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let token = token.map(|t| Secret::from_slice(t.as_bytes()));
        tokio::spawn(serve(listener, store.clone(), token));
        (addr, store)
    }

    #[tokio::test]
    async fn list_approve_deny_404_409() {
        let (addr, store) = start(None).await;
        let a = store.create("alice").unwrap();
        let b = store.create("bob").unwrap();

        let r = request(addr, "GET", "/api/approvals", &[]).await;
        assert_eq!(r.status, 200);
        assert!(r.headers.contains("cache-control: no-store"));
        let list = r.json();
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 2);
        let ids: Vec<&str> = list.iter().map(|x| x["id"].as_str().unwrap()).collect();
        assert!(ids.contains(&a.id.as_str()) && ids.contains(&b.id.as_str()));
        let mine = list.iter().find(|x| x["id"] == a.id.as_str()).unwrap();
        assert_eq!(mine["user"], "alice");
        assert_eq!(mine["number"], a.number);
        assert_eq!(mine["expires_in_secs"], 60);

        let r = request(
            addr,
            "POST",
            &format!("/api/approvals/{}/approve", a.id),
            &[],
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["state"], "approved");
        assert_eq!(store.state(&a.id), Some(PushState::Approved));

        let r = request(addr, "POST", &format!("/api/approvals/{}/deny", b.id), &[]).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["state"], "denied");
        assert_eq!(store.state(&b.id), Some(PushState::Denied));

        // Already decided: 409 with the final state.
        let r = request(addr, "POST", &format!("/api/approvals/{}/deny", a.id), &[]).await;
        assert_eq!(r.status, 409);
        assert_eq!(r.json()["state"], "approved");
        assert_eq!(store.state(&a.id), Some(PushState::Approved));

        // Unknown id.
        let r = request(addr, "POST", "/api/approvals/00112233/approve", &[]).await;
        assert_eq!(r.status, 404);
        assert_eq!(r.json()["error"], "no such approval");

        // Nothing pending any more.
        let r = request(addr, "GET", "/api/approvals", &[]).await;
        assert_eq!(r.json(), serde_json::json!([]));

        // Wrong method.
        let r = request(
            addr,
            "GET",
            &format!("/api/approvals/{}/approve", a.id),
            &[],
        )
        .await;
        assert_eq!(r.status, 405);
    }

    #[tokio::test]
    async fn token_is_required_when_configured() {
        let token = "0123456789abcdef-token";
        let (addr, store) = start(Some(token)).await;
        let a = store.create("alice").unwrap();
        let approve = format!("/api/approvals/{}/approve", a.id);
        let bearer = format!("Bearer {token}");

        for headers in [
            vec![],
            vec![("Authorization", "Bearer wrong")],
            vec![("Authorization", token)],
            vec![("Authorization", "Bearer 0123456789abcdef-toke")],
            vec![("Authorization", "Basic MDEyMzQ1Njc4OWFiY2RlZi10b2tlbg==")],
        ] {
            let r = request(addr, "GET", "/api/approvals", &headers).await;
            assert_eq!(r.status, 401, "{headers:?}");
            assert!(r.headers.contains("www-authenticate: bearer"));
            let r = request(addr, "POST", &approve, &headers).await;
            assert_eq!(r.status, 401);
        }
        assert_eq!(store.state(&a.id), Some(PushState::Pending));

        let r = request(addr, "GET", "/api/approvals", &[("Authorization", &bearer)]).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()[0]["id"], a.id.as_str());
        let r = request(addr, "POST", &approve, &[("Authorization", &bearer)]).await;
        assert_eq!(r.status, 200);
        assert_eq!(store.state(&a.id), Some(PushState::Approved));

        // The page itself is public (the token travels in its URL fragment).
        let r = request(addr, "GET", "/", &[]).await;
        assert_eq!(r.status, 200);
    }

    #[tokio::test]
    async fn cross_origin_and_rebinding_are_refused() {
        let (addr, store) = start(None).await;
        let a = store.create("alice").unwrap();
        let approve = format!("/api/approvals/{}/approve", a.id);
        let r = request(
            addr,
            "POST",
            &approve,
            &[("Origin", "https://evil.example")],
        )
        .await;
        assert_eq!(r.status, 403);
        // A DNS-rebound name in Host (no token configured).
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(
            b"GET /api/approvals HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
        let mut raw = String::new();
        s.read_to_string(&mut raw).await.unwrap();
        assert!(raw.starts_with("HTTP/1.1 403"), "{raw}");
        assert_eq!(store.state(&a.id), Some(PushState::Pending));
        // Same origin is fine.
        let origin = format!("http://{addr}");
        let r = request(addr, "POST", &approve, &[("Origin", &origin)]).await;
        assert_eq!(r.status, 200);
    }

    #[tokio::test]
    async fn page_is_html_with_a_strict_policy() {
        let (addr, _) = start(None).await;
        let r = request(addr, "GET", "/", &[]).await;
        assert_eq!(r.status, 200);
        assert!(r.headers.contains("content-type: text/html"));
        assert!(r.headers.contains("x-frame-options: deny"));
        assert!(r.headers.contains("frame-ancestors 'none'"));
        assert!(r.headers.contains("script-src 'sha256-"));
        assert!(r.body.contains("Approve") && r.body.contains("/api/approvals"));
        assert!(r.body.contains("aria-live"));
        // The hash in the policy is the hash of the inline script.
        let script = r
            .body
            .split_once("<script>")
            .unwrap()
            .1
            .split_once("</script>")
            .unwrap()
            .0;
        let hash = base64::engine::general_purpose::STANDARD.encode(sha256(script.as_bytes()));
        assert!(r
            .headers
            .contains(&format!("'sha256-{}'", hash.to_ascii_lowercase())));
    }

    #[test]
    fn host_parsing() {
        assert_eq!(host_only("127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(host_only("[::1]:8080"), "::1");
        assert_eq!(host_only("localhost"), "localhost");
        assert_eq!(host_only("evil.example:80"), "evil.example");
    }
}
