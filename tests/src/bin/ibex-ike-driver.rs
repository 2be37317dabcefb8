//! Test driver: runs one Ibex IKEv2 initiator or responder over real UDP
//! sockets (500 and 4500), configured from a JSON file, and prints one
//! `EVENT ...` line per engine event. The contract is documented in
//! `tests/src/driver.rs`. With IBEX_KEYLOG_DIR set it appends Wireshark key
//! tables to DIR/ikev2_decryption_table and DIR/esp_sa.
//!
//! EAP: an initiator with `"eap"` signs in with EAP and answers the session's
//! prompts from its list of answers (with `"eap": {"tls": ..}` it also has an
//! EAP-TLS client certificate); a responder with `"eap_server"` checks
//! its peer's EAP rounds against an in-memory user table
//! (`ibex_e2e::eap_directory`) and, for `"tls"` rounds, its EAP-TLS
//! credential and client CAs. Answers, passwords and keys are never printed.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ibex_e2e::eap_directory::UserTable;
use ibex_ike::auth::{CertCredential, TrustAnchors};
use ibex_ike::crypto::{Secret, SystemRandom};
use ibex_ike::eap::{
    Answer, MethodType, PeerFailure, Prompt, PromptKind, ServerMethod, TlsClientConfig,
    TlsServerConfig, TlsVersions,
};
use ibex_ike::message::TrafficSelector;
use ibex_ike::proposal::{EspProposal, IkeProposal};
use ibex_ike::{
    Config, Event, Identity, Initiator, LocalAuth, PeerAuth, PeerEntry, Responder, ResponderConfig,
    Session, Transmit,
};
use ibex_tunnel::KeyLog;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;

#[derive(Deserialize)]
struct DriverConfig {
    role: String,
    local: IpAddr,
    #[serde(default)]
    remote: Option<IpAddr>,
    ike_proposals: Vec<String>,
    esp_proposals: Vec<String>,
    local_id: String,
    remote_id: String,
    auth: AuthConfig,
    #[serde(default)]
    pool: Option<String>,
    #[serde(default)]
    local_ts: Vec<String>,
    #[serde(default)]
    remote_ts: Vec<String>,
    #[serde(default)]
    request_vip: bool,
    #[serde(default)]
    actions: Vec<Action>,
    #[serde(default = "default_exit")]
    exit_after_ms: u64,
    #[serde(default)]
    eap: Option<EapClientConfig>,
    #[serde(default)]
    eap_server: Option<EapServerConfig>,
}

/// Initiator: sign in with EAP (only round with `auth: {ca}`, else the second round).
#[derive(Deserialize)]
struct EapClientConfig {
    identity: String,
    #[serde(default)]
    answers: Vec<String>,
    #[serde(default)]
    eap_only: bool,
    #[serde(default)]
    allow_md5: bool,
    /// EAP-TLS: our client certificate, and the CAs the gateway's must chain to.
    #[serde(default)]
    tls: Option<EapTlsClient>,
}

/// `"eap": {"tls": ..}`: PEM files (chain leaf first, PKCS#8 key, CA certificates).
#[derive(Deserialize)]
struct EapTlsClient {
    cert: String,
    key: String,
    ca: String,
    /// The name the gateway's TLS certificate must carry (default: `remote_id`).
    #[serde(default)]
    server_name: Option<String>,
    /// `all` (default), `1.2` or `1.3`.
    #[serde(default)]
    versions: Option<String>,
    #[serde(default)]
    max_fragment: Option<usize>,
}

/// `"eap_server": {"tls": ..}`: the gateway's EAP-TLS certificate (PEM chain, PKCS#8
/// key) and the CAs client certificates must chain to.
#[derive(Deserialize)]
struct EapTlsServer {
    cert: String,
    key: String,
    client_ca: String,
    #[serde(default)]
    versions: Option<String>,
    #[serde(default)]
    max_fragment: Option<usize>,
}

/// Responder: the peer signs in with these EAP methods, checked against `users`.
#[derive(Deserialize)]
struct EapServerConfig {
    methods: Vec<String>,
    users: Vec<EapUser>,
    #[serde(default)]
    after_auth: bool,
    /// Allow EAP-only (RFC 5998) for safe methods.
    #[serde(default)]
    eap_only: bool,
    /// Needed when `methods` has `tls`.
    #[serde(default)]
    tls: Option<EapTlsServer>,
}

#[derive(Deserialize)]
struct EapUser {
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    otp: Vec<String>,
}

fn default_exit() -> u64 {
    10_000
}

#[derive(Deserialize)]
#[serde(untagged)]
enum AuthConfig {
    Psk {
        psk: String,
    },
    Cert {
        cert: String,
        key: String,
        ca: String,
    },
    /// No credential of our own (EAP only); the peer's certificate must chain to `ca`.
    Ca {
        ca: String,
    },
}

#[derive(Deserialize, Clone)]
struct Action {
    after_ms: u64,
    #[serde(rename = "do")]
    what: String,
}

fn fail(msg: impl std::fmt::Display) -> ! {
    println!("EVENT error {msg}");
    eprintln!("ibex-ike-driver: {msg}");
    std::process::exit(1)
}

fn prefix(s: &str) -> TrafficSelector {
    let (a, len) = s.split_once('/').unwrap_or((s, "32"));
    let addr: IpAddr = a
        .parse()
        .unwrap_or_else(|e| fail(format!("bad selector {s}: {e}")));
    let len: u8 = len
        .parse()
        .unwrap_or_else(|e| fail(format!("bad selector {s}: {e}")));
    TrafficSelector::from_prefix(addr, len)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn ts_text(ts: &[TrafficSelector]) -> String {
    ts.iter()
        .map(|t| format!("{}-{}", t.start_addr, t.end_addr))
        .collect::<Vec<_>>()
        .join(",")
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| fail(format!("{path}: {e}")))
}

/// Our credential (none with `{ca}` alone) and what the peer must present.
fn credentials(auth: &AuthConfig) -> (Option<LocalAuth>, PeerAuth) {
    match auth {
        AuthConfig::Psk { psk } => (
            Some(LocalAuth::Psk(Secret::from_slice(psk.as_bytes()))),
            PeerAuth::Psk(Secret::from_slice(psk.as_bytes())),
        ),
        AuthConfig::Cert { cert, key, ca } => {
            let cred =
                CertCredential::from_pem(&read(cert), &read(key)).unwrap_or_else(|e| fail(e));
            let anchors = TrustAnchors::from_pem(&read(ca)).unwrap_or_else(|e| fail(e));
            (
                Some(LocalAuth::Certificate(cred)),
                PeerAuth::Certificate(anchors),
            )
        }
        AuthConfig::Ca { ca } => {
            let anchors = TrustAnchors::from_pem(&read(ca)).unwrap_or_else(|e| fail(e));
            (None, PeerAuth::Certificate(anchors))
        }
    }
}

/// All certificates of a PEM file, DER, in file order.
fn pem_certs(path: &str) -> Vec<Vec<u8>> {
    let certs: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(&read(path))
        .map(|c| {
            c.map(|c| c.to_vec())
                .unwrap_or_else(|e| fail(format!("{path}: {e}")))
        })
        .collect();
    if certs.is_empty() {
        fail(format!("{path}: no certificate"));
    }
    certs
}

/// A PKCS#8 private key from PEM (only the DER is kept, as a wiped [`Secret`]).
fn pem_pkcs8(path: &str) -> ibex_ike::eap::Secret {
    match PrivateKeyDer::from_pem_slice(&read(path)) {
        Ok(PrivateKeyDer::Pkcs8(k)) => ibex_ike::eap::Secret::from_slice(k.secret_pkcs8_der()),
        Ok(_) => fail(format!("{path}: not a PKCS#8 private key")),
        Err(e) => fail(format!("{path}: {e}")),
    }
}

fn tls_versions(v: Option<&str>) -> TlsVersions {
    match v.unwrap_or("all") {
        "all" => TlsVersions::All,
        "1.2" => TlsVersions::Tls12Only,
        "1.3" => TlsVersions::Tls13Only,
        other => fail(format!("unknown TLS versions {other:?} (all, 1.2, 1.3)")),
    }
}

fn tls_client(t: &EapTlsClient, remote_id: &str) -> TlsClientConfig {
    let c = TlsClientConfig {
        cert_chain: pem_certs(&t.cert),
        key: pem_pkcs8(&t.key),
        ca_certs: pem_certs(&t.ca),
        server_name: Some(t.server_name.clone().unwrap_or_else(|| remote_id.into())),
        versions: tls_versions(t.versions.as_deref()),
        max_fragment: t
            .max_fragment
            .unwrap_or(TlsClientConfig::default().max_fragment),
    };
    c.check()
        .unwrap_or_else(|e| fail(format!("EAP-TLS client: {e}")));
    c
}

fn tls_server(t: &EapTlsServer) -> TlsServerConfig {
    let c = TlsServerConfig {
        cert_chain: pem_certs(&t.cert),
        key: pem_pkcs8(&t.key),
        client_cas: pem_certs(&t.client_ca),
        versions: tls_versions(t.versions.as_deref()),
        max_fragment: t
            .max_fragment
            .unwrap_or(TlsServerConfig::default().max_fragment),
    };
    c.check()
        .unwrap_or_else(|e| fail(format!("EAP-TLS server: {e}")));
    c
}

/// The initiator's EAP round(s) from `"eap"`.
fn eap_peer(e: &EapClientConfig, remote_id: &str) -> LocalAuth {
    LocalAuth::Eap(ibex_ike::eap::PeerConfig {
        identity: e.identity.clone(),
        // every secret comes through a prompt, so tests see each one asked for
        password: None,
        allow_md5: e.allow_md5,
        prefer_code: false,
        tls: e.tls.as_ref().map(|t| tls_client(t, remote_id)),
    })
}

fn build_config(d: &DriverConfig) -> Config {
    let (own, peer_auth) = credentials(&d.auth);
    let (auth, extra) = match (own, &d.eap) {
        (Some(a), None) => (a, vec![]),
        (Some(a), Some(e)) => (a, vec![eap_peer(e, &d.remote_id)]),
        (None, Some(e)) if d.role == "initiator" => (eap_peer(e, &d.remote_id), vec![]),
        (None, _) => fail("\"auth\": {\"ca\"} needs \"eap\" (initiator only)"),
    };
    let mut c = Config::new(Identity::parse(&d.local_id), auth);
    c.extra_auth = extra;
    c.eap_only = d.eap.as_ref().is_some_and(|e| e.eap_only);
    c.remote_id = Some(Identity::parse(&d.remote_id));
    c.peer_auth = Some(peer_auth);
    c.ike_proposals = d
        .ike_proposals
        .iter()
        .map(|p| IkeProposal::parse(p).unwrap_or_else(|e| fail(e)))
        .collect();
    c.esp_proposals = d
        .esp_proposals
        .iter()
        .map(|p| EspProposal::parse(p).unwrap_or_else(|e| fail(e)))
        .collect();
    if !d.local_ts.is_empty() {
        c.local_ts = d.local_ts.iter().map(|s| prefix(s)).collect();
    }
    if !d.remote_ts.is_empty() {
        c.remote_ts = d.remote_ts.iter().map(|s| prefix(s)).collect();
    }
    c.request_vip = d.request_vip;
    c.keylog = KeyLog::from_env().enabled();
    c
}

struct Io {
    s500: UdpSocket,
    s4500: UdpSocket,
}

impl Io {
    fn send(&self, t: &Transmit) {
        let r = if t.local.port() == 4500 {
            let mut v = vec![0u8; 4];
            v.extend_from_slice(&t.data);
            self.s4500.send_to(&v, t.remote)
        } else {
            self.s500.send_to(&t.data, t.remote)
        };
        if let Err(e) = r {
            eprintln!("send to {}: {e}", t.remote);
        }
    }
}

/// What a responder needs for its peer's EAP rounds.
struct EapServerSetup {
    auth: PeerAuth,
    extra: Vec<PeerAuth>,
    directory: Arc<dyn ibex_ike::eap::Directory>,
    tls: Option<Arc<TlsServerConfig>>,
}

/// The user table, the EAP-TLS credential and the peer's EAP rounds of a responder.
fn eap_server(e: &EapServerConfig, first: PeerAuth) -> EapServerSetup {
    let methods: Vec<ServerMethod> = e
        .methods
        .iter()
        .map(|m| match m.as_str() {
            "mschapv2" => ServerMethod::MsChapV2,
            "gtc-password" => ServerMethod::GtcPassword,
            "gtc-otp" => ServerMethod::GtcOtp,
            "push" => ServerMethod::Push,
            "fido2" => ServerMethod::Fido2,
            "tls" => ServerMethod::Tls,
            other => fail(format!("unknown EAP method {other}")),
        })
        .collect();
    let table = UserTable::new().with_failure_hook(|user, n| {
        println!("EVENT eap_directory_failure user={user} count={n}");
        let _ = std::io::stdout().flush();
    });
    for u in &e.users {
        table.add(&u.name, &u.password, &u.otp);
    }
    let tls = match &e.tls {
        Some(t) => Some(Arc::new(tls_server(t))),
        None if methods.contains(&ServerMethod::Tls) => {
            fail("EAP method tls needs \"eap_server\": {\"tls\": ..}")
        }
        None => None,
    };
    let (auth, extra) = if e.after_auth {
        (first, vec![PeerAuth::Eap(methods)])
    } else {
        (PeerAuth::Eap(methods), vec![])
    };
    EapServerSetup {
        auth,
        extra,
        directory: Arc::new(table),
        tls,
    }
}

fn method_name(m: MethodType) -> String {
    match m {
        MethodType::MSCHAPV2 => "mschapv2".into(),
        MethodType::GTC => "gtc".into(),
        MethodType::MD5 => "md5".into(),
        MethodType::TLS => "tls".into(),
        MethodType::EXPERIMENTAL => "ibex".into(),
        MethodType(n) => format!("type{n}"),
    }
}

/// Printable one-line text (control characters and runs of whitespace become one space).
fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The enum variant's name (from `Debug`: robust to variants added later).
fn variant<T: std::fmt::Debug>(v: &T) -> String {
    let d = format!("{v:?}");
    d.split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
        .unwrap_or("")
        .to_string()
}

/// `answered`: `yes`, `no` (cancelled: no answers left) or `wait` (push: nothing to answer).
fn print_prompt(n: usize, p: &Prompt, answered: &str) {
    let text = p.text.as_deref().map(one_line).unwrap_or_default();
    println!(
        "EVENT prompt n={n} kind={} method={} answered={answered} text={}",
        variant(&p.kind).to_ascii_lowercase(),
        method_name(p.method),
        if text.is_empty() { "-" } else { &text }
    );
}

fn print_eap_failure(f: &PeerFailure) {
    let (method, reason) = match f {
        PeerFailure::Rejected { method, reason, .. } => {
            (method.clone(), reason.clone().unwrap_or_else(|| "-".into()))
        }
        _ => ("-".into(), "-".into()),
    };
    println!(
        "EVENT eap_failed kind={} reason={} method={} text={}",
        variant(f),
        one_line(&reason),
        one_line(&method),
        one_line(&f.to_string())
    );
}

fn reader(sock: UdpSocket, local: SocketAddr, tx: mpsc::Sender<(SocketAddr, SocketAddr, Vec<u8>)>) {
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65535];
        loop {
            let Ok((n, from)) = sock.recv_from(&mut buf) else {
                return;
            };
            let data = &buf[..n];
            let ike = if local.port() == 4500 {
                // RFC 3948: IKE carries a zero non-ESP marker; anything else is ESP or a keepalive.
                match data {
                    [0, 0, 0, 0, rest @ ..] => rest.to_vec(),
                    _ => continue,
                }
            } else {
                data.to_vec()
            };
            if tx.send((local, from, ike)).is_err() {
                return;
            }
        }
    });
}

enum Engine {
    Ini(Box<Initiator>),
    Resp(Box<Responder>),
}

impl Engine {
    fn handle(&mut self, now: Instant, l: SocketAddr, r: SocketAddr, d: &[u8]) {
        match self {
            Engine::Ini(s) => s.handle_datagram(now, l, r, d),
            Engine::Resp(s) => s.handle_datagram(now, l, r, d),
        }
    }
    fn timeout(&mut self, now: Instant) {
        match self {
            Engine::Ini(s) => s.handle_timeout(now),
            Engine::Resp(s) => s.handle_timeout(now),
        }
    }
    fn poll_timeout(&self) -> Option<Instant> {
        match self {
            Engine::Ini(s) => s.poll_timeout(),
            Engine::Resp(s) => s.poll_timeout(),
        }
    }
    fn poll_transmit(&mut self) -> Option<Transmit> {
        match self {
            Engine::Ini(s) => s.poll_transmit(),
            Engine::Resp(s) => s.poll_transmit(),
        }
    }
    fn poll_event(&mut self) -> Option<(u64, Event)> {
        match self {
            Engine::Ini(s) => s.poll_event().map(|e| (0, e)),
            Engine::Resp(s) => s.poll_event(),
        }
    }
    /// Answers the open prompt (of the sign-in in progress, for an initiator).
    fn answer(&mut self, id: u64, now: Instant, a: Answer) {
        match self {
            Engine::Ini(s) => s.answer(now, a),
            Engine::Resp(s) => s.with_session(id, |s| s.answer(now, a)),
        }
    }
    fn command(&mut self, id: u64, f: impl FnOnce(&mut Session)) {
        match self {
            Engine::Ini(s) => f(s.current_mut()),
            Engine::Resp(s) => s.with_session(id, f),
        }
    }
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("IBEX_LOG")
                .unwrap_or_else(|_| "debug".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| fail("usage: ibex-ike-driver CONFIG.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| fail(format!("{path}: {e}")));
    let d: DriverConfig =
        serde_json::from_str(&text).unwrap_or_else(|e| fail(format!("{path}: {e}")));
    let config = build_config(&d);
    let keylog = KeyLog::from_env();
    let l500 = SocketAddr::new(d.local, 500);
    let l4500 = SocketAddr::new(d.local, 4500);
    let io = Io {
        s500: UdpSocket::bind(l500).unwrap_or_else(|e| fail(format!("bind {l500}: {e}"))),
        s4500: UdpSocket::bind(l4500).unwrap_or_else(|e| fail(format!("bind {l4500}: {e}"))),
    };
    let (tx, rx) = mpsc::channel();
    reader(
        io.s500.try_clone().unwrap_or_else(|e| fail(e)),
        l500,
        tx.clone(),
    );
    reader(io.s4500.try_clone().unwrap_or_else(|e| fail(e)), l4500, tx);
    let start = Instant::now();
    let mut engine = match d.role.as_str() {
        "initiator" => {
            let remote = d
                .remote
                .unwrap_or_else(|| fail("initiator needs \"remote\""));
            Engine::Ini(Box::new(Initiator::new(
                Arc::new(config),
                start,
                l500,
                SocketAddr::new(remote, 500),
                Box::new(|| Box::new(SystemRandom::new())),
            )))
        }
        "responder" => {
            let pool = d.pool.as_deref().map(|p| {
                let ts = prefix(p);
                let (IpAddr::V4(a), IpAddr::V4(b)) = (ts.start_addr, ts.end_addr) else {
                    fail("pool must be IPv4")
                };
                (
                    Ipv4Addr::from(u32::from(a) + 1),
                    Ipv4Addr::from(u32::from(b) - 1),
                )
            });
            let (_, peer_auth) = credentials(&d.auth);
            let (auth, extra, directory, eap_tls) = match &d.eap_server {
                Some(e) => {
                    let s = eap_server(e, peer_auth);
                    (s.auth, s.extra, Some(s.directory), s.tls)
                }
                None => (peer_auth, vec![], None, None),
            };
            let rc = ResponderConfig {
                base: config,
                peers: vec![PeerEntry {
                    id: Identity::parse(&d.remote_id),
                    auth,
                    extra,
                }],
                pool,
                dns: vec![],
                cookie_threshold: 64,
                eap_directory: directory,
                eap_step_timeout: std::time::Duration::from_secs(120),
                eap_tls,
                eap_only: d.eap_server.as_ref().is_some_and(|s| s.eap_only),
                auth_lifetime: None,
                redirect: None,
            };
            Engine::Resp(Box::new(Responder::new(
                rc,
                Box::new(|| Box::new(SystemRandom::new())),
            )))
        }
        other => fail(format!("unknown role {other}")),
    };
    let exit_at = start + Duration::from_millis(d.exit_after_ms);
    let mut established: Option<(Instant, u64)> = None;
    let mut actions: Vec<Action> = d.actions.clone();
    let mut child_spi: Option<u32> = None;
    let mut deleting = false;
    let mut answers: std::collections::VecDeque<String> = d
        .eap
        .as_ref()
        .map(|e| e.answers.iter().cloned().collect())
        .unwrap_or_default();
    let mut prompts = 0usize;
    loop {
        let now = Instant::now();
        while let Some(t) = engine.poll_transmit() {
            io.send(&t);
        }
        while let Some((id, e)) = engine.poll_event() {
            match e {
                Event::IkeUp(i) => {
                    println!("EVENT ike_up spi_i={} spi_r={} suite={} nat_local={} nat_remote={} peer={}", hex(&i.spi_i), hex(&i.spi_r), i.suite.name(), i.nat_local, i.nat_remote, i.peer_id);
                    established.get_or_insert((now, id));
                }
                Event::IkeRekeyed(i) => println!(
                    "EVENT ike_rekeyed spi_i={} spi_r={} suite={}",
                    hex(&i.spi_i),
                    hex(&i.spi_r),
                    i.suite.name()
                ),
                Event::ChildUp(c) => {
                    let vip = c
                        .ts_local
                        .first()
                        .filter(|t| t.start_addr == t.end_addr && d.request_vip)
                        .map_or("-".to_string(), |t| t.start_addr.to_string());
                    let kind = if c.replaces.is_some() {
                        "child_rekeyed"
                    } else {
                        "child_up"
                    };
                    println!("EVENT {kind} spi_in={:08x} spi_out={:08x} suite={} ts_local={} ts_remote={} vip={vip} encap={}", c.spi_in, c.spi_out, c.suite.name(), ts_text(&c.ts_local), ts_text(&c.ts_remote), c.encap);
                    child_spi = Some(c.spi_in);
                }
                Event::ChildDown { spi_in, spi_out } => {
                    println!("EVENT child_down spi_in={spi_in:08x} spi_out={spi_out:08x}")
                }
                Event::ChildFailed(why) => println!("EVENT error child: {why}"),
                Event::Config(c) => {
                    println!("EVENT config addresses={:?} dns={:?}", c.addresses, c.dns)
                }
                Event::EndpointsChanged { local, remote } => {
                    println!("EVENT endpoints local={local} remote={remote}")
                }
                Event::KeyLog(line) => keylog.write(&line),
                Event::Redirect(to) => println!("EVENT redirect to={to}"),
                Event::Prompt(p) if p.kind == PromptKind::Push => {
                    // informs only: the request is already sent
                    prompts += 1;
                    print_prompt(prompts, &p, "wait");
                }
                Event::Prompt(p) => {
                    prompts += 1;
                    let answer = answers.pop_front();
                    print_prompt(prompts, &p, if answer.is_some() { "yes" } else { "no" });
                    let _ = std::io::stdout().flush();
                    let answer = match answer {
                        Some(a) => Answer::Secret(ibex_ike::eap::Secret::from_slice(a.as_bytes())),
                        None => Answer::Cancel,
                    };
                    engine.answer(id, now, answer);
                }
                Event::PromptClosed => println!("EVENT prompt_closed"),
                Event::ReauthRequired { .. } => println!("EVENT reauth_required"),
                Event::Reauthenticated(i) => println!(
                    "EVENT reauthenticated spi_i={} spi_r={}",
                    hex(&i.spi_i),
                    hex(&i.spi_r)
                ),
                Event::ReauthFailed(reason) => println!("EVENT reauth_failed reason={reason}"),
                Event::Closed(reason) => {
                    if let ibex_ike::CloseReason::Eap(f) = &reason {
                        print_eap_failure(f);
                    }
                    println!("EVENT closed reason={reason}");
                    let _ = std::io::stdout().flush();
                    if deleting || matches!(reason, ibex_ike::CloseReason::PeerDeleted) {
                        std::process::exit(0);
                    }
                    if matches!(engine, Engine::Ini(_)) {
                        std::process::exit(1);
                    }
                }
            }
        }
        let _ = std::io::stdout().flush();
        if let Some((at, id)) = established {
            let due: Vec<Action> = actions
                .iter()
                .filter(|a| now >= at + Duration::from_millis(a.after_ms))
                .cloned()
                .collect();
            actions.retain(|a| now < at + Duration::from_millis(a.after_ms));
            for a in due {
                println!("EVENT action {}", a.what);
                match a.what.as_str() {
                    "rekey-ike" => engine.command(id, |s| s.rekey_ike(now)),
                    "rekey-child" => {
                        let spi = child_spi;
                        engine.command(id, |s| {
                            if let Some(spi) = spi
                                .filter(|x| s.child_spis().contains(x))
                                .or_else(|| s.child_spis().first().copied())
                            {
                                s.rekey_child(now, spi)
                            }
                        })
                    }
                    "dpd" => engine.command(id, |s| s.check_liveness(now)),
                    "delete" => {
                        deleting = true;
                        engine.command(id, |s| s.close(now))
                    }
                    other => fail(format!("unknown action {other}")),
                }
            }
        }
        // what answering a prompt or an action produced
        while let Some(t) = engine.poll_transmit() {
            io.send(&t);
        }
        if now >= exit_at {
            println!("EVENT exit");
            std::process::exit(0);
        }
        let mut wake = exit_at;
        if let Some(t) = engine.poll_timeout() {
            wake = wake.min(t);
        }
        if let Some((at, _)) = established {
            if let Some(a) = actions
                .iter()
                .map(|a| at + Duration::from_millis(a.after_ms))
                .min()
            {
                wake = wake.min(a);
            }
        }
        let wait = wake
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        match rx.recv_timeout(wait) {
            Ok((l, r, data)) => engine.handle(Instant::now(), l, r, &data),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => fail("sockets closed"),
        }
        let now = Instant::now();
        if engine.poll_timeout().is_some_and(|t| t <= now) {
            engine.timeout(now);
        }
    }
}
