//! One VPN connection: IKE over UDP, then the TUN device, routes and DNS once
//! the first Child SA is up, and the ESP pump until the connection ends.
//! Everything the system sees is recorded in the journal and undone on exit.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ibex_esp::NextHeader;
use ibex_ike::crypto::SystemRandom;
use ibex_ike::{ChildSaInfo, CloseReason, Event, ReceivedConfig, Session};
use ibex_platform::{
    route_get, DnsConfig, DnsManager, IpPrefix, Journal, RouteManager, RoutePlan, TunConfig,
    TunDevice, Tunnel,
};
use ibex_tunnel::{destination, esp_endpoint, IkeSockets, Incoming, KeyLog, Packet, Sad, Traffic};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

/// What to connect to and how to set the system up.
#[derive(Clone, Debug)]
pub struct Params {
    /// The IKE configuration (proposals, identities, credential).
    pub ike: Arc<ibex_ike::Config>,
    /// The gateway's address (IKE starts on port 500).
    pub gateway: IpAddr,
    /// Route everything (true) or only `split` (false).
    pub full_tunnel: bool,
    /// Split-tunnel networks; empty = the gateway's traffic selectors.
    pub split: Vec<IpPrefix>,
    /// Apply the DNS servers the gateway sends.
    pub use_gateway_dns: bool,
    /// Extra DNS servers and search domains from the profile.
    pub dns: DnsConfig,
    /// TUN interface name.
    pub tun_name: String,
    /// Inner MTU.
    pub mtu: u16,
}

/// Where the connection is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Signing in.
    Connecting,
    /// The tunnel carries traffic.
    Connected,
    /// Tearing down.
    Disconnecting,
    /// Over; the text says why.
    Closed(String),
}

/// What the connection reports to the daemon (and its agents).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Phase.
    pub phase: Phase,
    /// The gateway's IKE endpoint.
    pub gateway: Option<SocketAddr>,
    /// Virtual addresses.
    pub addresses: Vec<(IpAddr, u8)>,
    /// DNS servers applied.
    pub dns: Vec<IpAddr>,
    /// IKE suite name.
    pub ike_suite: Option<String>,
    /// ESP suite name.
    pub esp_suite: Option<String>,
    /// NAT between us and the gateway (or forced encapsulation).
    pub nat: bool,
    /// MOBIKE negotiated.
    pub mobike: bool,
    /// When the tunnel came up.
    pub since: Option<Instant>,
    /// Traffic counters.
    pub traffic: Traffic,
}

impl Default for Snapshot {
    fn default() -> Self {
        Snapshot {
            phase: Phase::Connecting,
            gateway: None,
            addresses: vec![],
            dns: vec![],
            ike_suite: None,
            esp_suite: None,
            nat: false,
            mobike: false,
            since: None,
            traffic: Traffic::default(),
        }
    }
}

/// What a prompt asks a person, on behalf of the engine (EAP prompts).
#[derive(Debug)]
pub struct Question {
    /// What is asked.
    pub kind: ibex_ipc::PromptKind,
    /// Text to show.
    pub text: String,
    /// Push: the number to match.
    pub number: Option<String>,
    /// Answers other than free text (push: [`ibex_ipc::USE_CODE`] when the
    /// gateway accepts a code instead).
    pub choices: Vec<String>,
    /// FIDO2: what the security key must sign (the prompt's `fido`).
    pub fido: Option<ibex_ipc::FidoRequest>,
    /// How long the prompt stays open.
    pub timeout: Duration,
}

/// A request to the daemon's prompt broker.
#[derive(Debug)]
pub enum Ask {
    /// Show a prompt; the answer (or `None` when cancelled or expired)
    /// arrives on `answer`.
    Open {
        /// The prompt.
        question: Box<Question>,
        /// Where the answer goes.
        answer: tokio::sync::oneshot::Sender<Option<ibex_ipc::SecretString>>,
    },
    /// The prompt shown last is over (a push was decided).
    Close,
}

/// What [`run`] returns when the person chose a one-time code over a push
/// approval.
pub const USE_CODE: &str = ibex_ipc::USE_CODE;

/// Commands to a running connection.
#[derive(Debug)]
pub enum Command {
    /// Delete the IKE SA and tear down.
    Disconnect,
}

/// Why a connection could not run.
#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    /// Sockets.
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
    /// TUN, routes or DNS.
    #[error("{0}")]
    Platform(#[from] ibex_platform::PlatformError),
}

/// How often traffic counters are published while nothing else changes.
const PUBLISH_EVERY: Duration = Duration::from_secs(1);

/// How long a disconnect waits for the gateway to confirm the delete.
const DELETE_GRACE: Duration = Duration::from_secs(3);

struct Live {
    tun: Option<TunDevice>,
    routes: Option<RouteManager>,
    dns: Option<DnsManager>,
    config: ReceivedConfig,
}

/// Runs one connection until it ends; the system is restored before it returns.
pub async fn run(
    params: Params,
    commands: &mut mpsc::Receiver<Command>,
    status: watch::Sender<Snapshot>,
    asks: mpsc::Sender<Ask>,
    journal: &mut Journal,
) -> Result<String, ConnError> {
    let lookup = route_get(params.gateway).await?;
    let local_ip = lookup.source.unwrap_or(if params.gateway.is_ipv4() {
        IpAddr::from([0, 0, 0, 0])
    } else {
        IpAddr::from([0u16; 8])
    });
    let mut sockets = IkeSockets::bind(local_ip).await?;
    let keylog = KeyLog::from_env();
    let mut ike = (*params.ike).clone();
    ike.keylog = keylog.enabled();
    let now = Instant::now();
    let mut session = Session::initiate(
        Arc::new(ike),
        now,
        SocketAddr::new(local_ip, 500),
        SocketAddr::new(params.gateway, 500),
        Box::new(SystemRandom::new()),
    );
    let mut snap = Snapshot {
        gateway: Some(SocketAddr::new(params.gateway, 500)),
        ..Snapshot::default()
    };
    status.send_replace(snap.clone());
    let mut live = Live {
        tun: None,
        routes: None,
        dns: None,
        config: ReceivedConfig::default(),
    };
    let mut sad = Sad::new();
    let mut net = vec![0u8; 65536];
    let mut out = Packet::new(usize::from(params.mtu));
    let mut deadline: Option<tokio::time::Instant> = None;
    let mut closed: Option<String> = None;
    let mut published = Instant::now();
    // The open prompt's answer, and what kind of answer it expects.
    let mut answer: Option<(
        tokio::sync::oneshot::Receiver<Option<ibex_ipc::SecretString>>,
        Expect,
    )> = None;
    let result: Result<String, ConnError> = loop {
        // Output of the engine first.
        while let Some(t) = session.poll_transmit() {
            if let Err(e) = sockets.send_ike(&t).await {
                debug!(remote = %t.remote, error = %e, "sending IKE failed");
            }
        }
        while let Some(e) = session.poll_event() {
            let e = match e {
                Event::Prompt(p) => {
                    let expect = match p.kind {
                        ibex_ike::eap::PromptKind::Push => Expect::Ack,
                        ibex_ike::eap::PromptKind::Fido2 => Expect::Assertion,
                        _ => Expect::Text,
                    };
                    let (tx, rx) = tokio::sync::oneshot::channel();
                    if asks.send(ask(p, tx)).await.is_ok() {
                        answer = Some((rx, expect));
                    }
                    continue;
                }
                Event::PromptClosed => {
                    if answer.take().is_some() {
                        let _ = asks.send(Ask::Close).await;
                    }
                    continue;
                }
                e => e,
            };
            let ike_remote = session.endpoints().1;
            if let Err(err) = on_event(
                e,
                &params,
                ike_remote,
                &mut sad,
                &mut live,
                &mut snap,
                &keylog,
                journal,
                &mut closed,
            )
            .await
            {
                warn!(error = %err, "setting up the tunnel failed");
                closed = Some(format!("could not set up the tunnel: {err}"));
                session.close(Instant::now());
            }
        }
        // Publish state changes at once, traffic counters at most once a
        // second: never per packet.
        let changed =
            status.borrow().phase != snap.phase || status.borrow().addresses != snap.addresses;
        if changed || published.elapsed() >= PUBLISH_EVERY || closed.is_some() {
            snap.traffic = sad.traffic(0);
            status.send_replace(snap.clone());
            published = Instant::now();
        }
        if let Some(reason) = closed.take() {
            break Ok(reason);
        }
        let wake = session.poll_timeout().map(tokio::time::Instant::from_std);
        let wake = match (wake, deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        // Wake at least once a second so counters stay fresh while idle.
        let refresh = tokio::time::Instant::from_std(published + PUBLISH_EVERY);
        let wake = Some(wake.map_or(refresh, |w| w.min(refresh)));
        let timer = async {
            match wake {
                Some(t) => tokio::time::sleep_until(t).await,
                None => std::future::pending().await,
            }
        };
        let tun_recv = async {
            match &live.tun {
                Some(t) => t.recv(out.payload_mut()).await,
                None => std::future::pending().await,
            }
        };
        let answered = async {
            match answer.as_mut() {
                Some((rx, _)) => rx.await.ok().flatten(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            a = answered => {
                let expect = answer.take().map_or(Expect::Text, |(_, e)| e);
                let now = Instant::now();
                match (a, expect) {
                    (Some(v), Expect::Text) => session.answer(
                        now,
                        ibex_ike::eap::Answer::Secret(ibex_ike::eap::Secret::from_slice(
                            v.expose().as_bytes(),
                        )),
                    ),
                    (Some(v), Expect::Assertion) => match assertion(&v) {
                        Ok(a) => session.answer(now, ibex_ike::eap::Answer::Fido(a)),
                        Err(e) => {
                            // The prompt is closed already (the manager took
                            // the answer): end the attempt with the reason.
                            warn!(error = %e, "unusable answer to the security key prompt");
                            closed = Some(format!("sign-in cancelled: {e}"));
                            session.answer(now, ibex_ike::eap::Answer::Cancel);
                            session.close(now);
                        }
                    },
                    (None, Expect::Text | Expect::Assertion) => {
                        session.answer(now, ibex_ike::eap::Answer::Cancel)
                    }
                    // "Use a code instead": this attempt ends, and the flow
                    // signs in again preferring a one-time code.
                    (Some(v), Expect::Ack) if v.expose() == USE_CODE => {
                        info!("switching from push approval to a one-time code");
                        closed = Some(USE_CODE.into());
                        session.close(now);
                    }
                    // A push is approved on the phone: an acknowledgement changes nothing.
                    (Some(_), Expect::Ack) => {}
                    (None, Expect::Ack) => {
                        info!("push approval cancelled");
                        closed = Some("sign-in cancelled while waiting for the push approval".into());
                        session.close(now);
                    }
                }
            },
            r = sockets.recv(&mut net) => match r {
                Ok(Incoming::Ike { local, remote, offset, len }) => session.handle_datagram(Instant::now(), local, remote, &net[offset..offset + len]),
                Ok(Incoming::Esp { len, remote }) => match sad.open(&mut net[..len]) {
                    Ok((_, inner)) => {
                        if let Some(t) = &live.tun {
                            if let Err(e) = t.send(inner).await {
                                debug!(error = %e, "TUN write failed");
                            }
                        }
                    }
                    Err(e) => debug!(%remote, error = %e, "ESP packet dropped"),
                },
                Ok(Incoming::Ignored) => {}
                Err(e) => break Err(e.into()),
            },
            r = tun_recv => match r {
                Ok(len) => send_esp(&mut sad, &sockets, &mut out, len).await,
                Err(e) => break Err(e.into()),
            },
            cmd = commands.recv() => match cmd {
                Some(Command::Disconnect) | None => {
                    info!("disconnecting");
                    snap.phase = Phase::Disconnecting;
                    session.close(Instant::now());
                    deadline = Some(tokio::time::Instant::now() + DELETE_GRACE);
                }
            },
            _ = timer => {
                let now = Instant::now();
                if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
                    closed = Some(CloseReason::LocalClose.to_string());
                }
                session.handle_timeout(now);
            }
        }
    };
    teardown(&mut live, journal).await;
    let reason = match &result {
        Ok(r) => r.clone(),
        Err(e) => e.to_string(),
    };
    snap.phase = Phase::Closed(reason);
    snap.since = None;
    status.send_replace(snap);
    result
}

/// What the open prompt's answer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Typed text: a password, code or PIN.
    Text,
    /// An acknowledgement only: a push is decided on another device.
    Ack,
    /// A FIDO2 assertion as JSON text (`ibex_ipc::FidoAssertion`).
    Assertion,
}

/// The engine's assertion from an agent's answer to a `fido2` prompt.
fn assertion(
    value: &ibex_ipc::SecretString,
) -> Result<ibex_ike::eap::FidoAssertion, ibex_ipc::FidoAnswerError> {
    let a = ibex_ipc::FidoAssertion::from_answer(value)?;
    Ok(ibex_ike::eap::FidoAssertion {
        credential_id: a.credential_id,
        authenticator_data: a.authenticator_data,
        client_data_json: a.client_data_json,
        signature: a.signature,
        user_handle: a.user_handle,
    })
}

/// The IPC form of the engine's FIDO2 request.
fn fido_request(r: ibex_ike::eap::FidoRequest) -> ibex_ipc::FidoRequest {
    ibex_ipc::FidoRequest {
        user_verification: ibex_ipc::UserVerification::from_name(&r.user_verification),
        rp_id: r.rp_id,
        origin: r.origin,
        challenge: r.challenge,
        allow_credentials: r.allow_credentials,
    }
}

/// The IPC prompt for an EAP prompt.
fn ask(
    p: ibex_ike::eap::Prompt,
    answer: tokio::sync::oneshot::Sender<Option<ibex_ipc::SecretString>>,
) -> Ask {
    use ibex_ike::eap::PromptKind as K;
    use ibex_ipc::PromptKind as P;
    let (kind, default) = match p.kind {
        K::Password => (P::Password, "Password"),
        K::Otp => (P::Otp, "One-time code"),
        K::Push => (P::Push, "Approve the sign-in on your device"),
        K::Fido2 => (P::Fido2, "Touch your security key"),
        K::Pin => (P::Pin, "Security key PIN"),
    };
    let text = match (&p.text, p.kind) {
        (Some(t), K::Push) => format!("{default}: {t}"),
        (Some(t), _) if !t.is_empty() => t.clone(),
        _ => default.to_string(),
    };
    Ask::Open {
        question: Box::new(Question {
            kind,
            text,
            number: p.number.map(|n| format!("{n:02}")),
            choices: if p.kind == K::Push && p.code_alternative {
                vec![USE_CODE.to_string()]
            } else {
                vec![]
            },
            fido: p.fido.map(fido_request),
            timeout: p.timeout.unwrap_or(Duration::from_secs(120)),
        }),
        answer,
    }
}

async fn send_esp(sad: &mut Sad, sockets: &IkeSockets, out: &mut Packet, len: usize) {
    let range = out.payload_range(len);
    let Some(dst) = destination(out.slice(range.clone())) else {
        return;
    };
    let nh = if dst.is_ipv4() {
        NextHeader::Ipv4
    } else {
        NextHeader::Ipv6
    };
    // Traffic with no SA (e.g. IPv6 when only IPv4 is tunnelled) is dropped,
    // never sent around the tunnel.
    let Some(o) = sad.route(dst) else { return };
    let remote = o.remote;
    match o.sa.seal(out.raw_mut(), range, nh) {
        Ok(packet) => {
            if let Err(e) = sockets.send_esp(out.slice(packet), remote).await {
                debug!(%remote, error = %e, "sending ESP failed");
            }
        }
        Err(e) => warn!(error = %e, "cannot seal; the SA needs a rekey"),
    }
}

#[allow(clippy::too_many_arguments)]
async fn on_event(
    e: Event,
    params: &Params,
    ike_remote: SocketAddr,
    sad: &mut Sad,
    live: &mut Live,
    snap: &mut Snapshot,
    keylog: &KeyLog,
    journal: &mut Journal,
    closed: &mut Option<String>,
) -> Result<(), ConnError> {
    match e {
        Event::IkeUp(i) => {
            info!(gateway = %i.peer_id, suite = %i.suite.name(), nat = i.nat_local || i.nat_remote, "signed in");
            snap.ike_suite = Some(i.suite.name());
            snap.nat = i.nat_local || i.nat_remote;
            snap.mobike = i.mobike;
        }
        Event::IkeRekeyed(i) => snap.ike_suite = Some(i.suite.name()),
        Event::Config(c) => live.config = c,
        Event::ChildUp(c) => {
            sad.install(0, &c, esp_endpoint(ike_remote))
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            if live.tun.is_none() {
                bring_up(params, &c, live, snap, journal).await?;
            }
            snap.esp_suite = Some(c.suite.name());
        }
        Event::ChildDown { spi_in, .. } => sad.remove(spi_in),
        Event::ChildFailed(why) => {
            if live.tun.is_none() {
                *closed = Some(format!("the gateway refused the tunnel: {why}"));
            }
        }
        Event::EndpointsChanged { remote, .. } => {
            sad.set_remote(0, esp_endpoint(remote));
            snap.gateway = Some(remote);
        }
        Event::KeyLog(line) => keylog.write(&line),
        // A reason set earlier in this turn (e.g. an unusable answer that
        // made us close) is the real one: keep it.
        Event::Closed(CloseReason::Eap(f)) => {
            closed.get_or_insert_with(|| crate::explain::eap_failure(&f));
        }
        Event::Closed(reason) => {
            closed.get_or_insert_with(|| reason.to_string());
        }
        // Handled by the run loop.
        Event::Prompt(_) | Event::PromptClosed => {}
    }
    Ok(())
}

/// TUN with the virtual address, routes, DNS: everything journaled first.
async fn bring_up(
    params: &Params,
    child: &ChildSaInfo,
    live: &mut Live,
    snap: &mut Snapshot,
    journal: &mut Journal,
) -> Result<(), ConnError> {
    let mut addresses = live.config.addresses.clone();
    if addresses.is_empty() {
        // No virtual IP: the tunnel carries our own selectors' addresses.
        addresses = child
            .ts_local
            .iter()
            .filter(|t| t.start_addr == t.end_addr)
            .map(|t| (t.start_addr, if t.start_addr.is_ipv4() { 32 } else { 128 }))
            .collect();
    }
    let tun = TunDevice::create(
        &TunConfig {
            name: Some(params.tun_name.clone()),
            addresses: addresses.clone(),
            mtu: params.mtu,
        },
        journal,
    )
    .await?;
    let tunnel = if params.full_tunnel {
        Tunnel::Full {
            ipv4: true,
            ipv6: ipv6_enabled(),
        }
    } else if params.split.is_empty() {
        let mut prefixes: Vec<IpPrefix> = live
            .config
            .subnets
            .iter()
            .filter_map(|(a, l)| IpPrefix::new(*a, *l).ok())
            .collect();
        if prefixes.is_empty() {
            prefixes = child.ts_remote.iter().filter_map(ts_to_prefix).collect();
        }
        Tunnel::Split(prefixes)
    } else {
        Tunnel::Split(params.split.clone())
    };
    let routes = RouteManager::new()?;
    routes
        .apply(
            &RoutePlan {
                tun: tun.name().to_string(),
                pin_gateway: Some(params.gateway),
                tunnel,
            },
            journal,
        )
        .await?;
    let mut dns = params.dns.clone();
    if params.use_gateway_dns {
        for d in &live.config.dns {
            if !dns.servers.contains(d) {
                dns.servers.push(*d);
            }
        }
    }
    if !dns.servers.is_empty() {
        let manager = DnsManager::detect().await;
        manager.apply(tun.name(), &dns, journal).await?;
        live.dns = Some(manager);
    }
    info!(tun = tun.name(), addresses = ?addresses, dns = ?dns.servers, "tunnel up");
    snap.addresses = addresses;
    snap.dns = dns.servers;
    snap.phase = Phase::Connected;
    snap.since = Some(Instant::now());
    live.routes = Some(routes);
    live.tun = Some(tun);
    Ok(())
}

/// Whether the kernel has IPv6 enabled in this network namespace.
fn ipv6_enabled() -> bool {
    std::fs::read_to_string("/proc/sys/net/ipv6/conf/all/disable_ipv6")
        .map(|v| v.trim() == "0")
        .unwrap_or(false)
}

fn ts_to_prefix(ts: &ibex_ike::message::TrafficSelector) -> Option<IpPrefix> {
    ibex_ike::session::ts_prefix(ts).and_then(|(a, l)| IpPrefix::new(a, l).ok())
}

async fn teardown(live: &mut Live, journal: &mut Journal) {
    if let Some(d) = live.dns.take() {
        if let Err(e) = d.revert(journal).await {
            warn!(error = %e, "restoring DNS failed");
        }
    }
    if let Some(r) = live.routes.take() {
        if let Err(e) = r.remove(journal).await {
            warn!(error = %e, "removing routes failed");
        }
    }
    live.tun = None;
    if let Err(e) = journal.undo().await {
        warn!(error = %e, "undoing the journal failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fido_prompts_carry_the_request_and_answers_become_assertions() {
        let mut p = ibex_ike::eap::Prompt::new(
            ibex_ike::eap::PromptKind::Fido2,
            ibex_ike::eap::MethodType::EXPERIMENTAL,
        );
        p.fido = Some(ibex_ike::eap::FidoRequest {
            rp_id: "vpn.example.test".into(),
            origin: "https://vpn.example.test".into(),
            challenge: vec![7; 32],
            allow_credentials: vec![vec![1, 2]],
            user_verification: "required".into(),
        });
        let (tx, _rx) = tokio::sync::oneshot::channel();
        let Ask::Open { question, .. } = ask(p, tx) else {
            panic!("not a prompt");
        };
        let Question {
            kind, text, fido, ..
        } = *question;
        assert_eq!(kind, ibex_ipc::PromptKind::Fido2);
        assert_eq!(text, "Touch your security key");
        let fido = fido.expect("the request goes to the agents");
        assert_eq!(fido.rp_id, "vpn.example.test");
        assert_eq!(fido.challenge, vec![7; 32]);
        assert_eq!(fido.allow_credentials, vec![vec![1, 2]]);
        assert_eq!(fido.user_verification, ibex_ipc::UserVerification::Required);

        let answer = ibex_ipc::FidoAssertion {
            credential_id: vec![1, 2],
            authenticator_data: vec![3; 37],
            client_data_json: b"{}".to_vec(),
            signature: vec![4; 70],
            user_handle: None,
        }
        .to_answer();
        let a = assertion(&answer).unwrap();
        assert_eq!(a.credential_id, vec![1, 2]);
        assert_eq!(a.signature, vec![4; 70]);
        let e = assertion(&"123456".into()).unwrap_err();
        assert!(!e.to_string().contains("123456"), "{e}");
    }
}
