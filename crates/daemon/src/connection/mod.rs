//! One VPN connection: IKE over UDP, then the TUN device, routes and DNS once
//! the first Child SA is up, and the ESP pump until the connection ends.
//! Everything the system sees is recorded in the journal and undone on exit.
//!
//! A gateway that limits how long a sign-in holds (AUTH_LIFETIME) gets a
//! new sign-in in time: a second IKE session signs in beside the first
//! (prompting the person once), its Child SA takes over the traffic, and
//! only then is the old IKE SA deleted (make-before-break).

mod keepalive;
mod path;
mod prompt;
pub mod reconnect;
mod redirect;
mod system;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ibex_ike::crypto::SystemRandom;
use ibex_ike::{CloseReason, Event, IkeSaInfo, Initiator};
use ibex_platform::{route_get, route_get_avoiding, DnsConfig, IpPrefix, Journal, NetEvents};
use ibex_tunnel::{
    esp_endpoint, takeover, IkeSockets, Incoming, KeyLog, Sad, Traffic, TunReader, TunWriter,
};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{debug, info, warn};

use prompt::Expect;
pub use prompt::{preferring_codes, Ask, Question, USE_CODE};
use system::Live;

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
    /// Re-establishing a lost tunnel.
    pub reconnect: reconnect::Policy,
    /// The profile's authentication rounds (for failure reports).
    pub rounds: crate::failure::Rounds,
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
    /// Why the phase is what it is, when that needs saying (reconnecting:
    /// what was lost, and when the next attempt is).
    pub note: Option<String>,
    /// With [`Phase::Closed`] after a failure: what failed, structured.
    pub failure: Option<Box<ibex_ipc::Failure>>,
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
            note: None,
            failure: None,
        }
    }
}

/// Commands to a running connection.
#[derive(Debug)]
pub enum Command {
    /// Delete the IKE SA and tear down.
    Disconnect,
    /// The machine resumed from sleep: check the gateway now.
    Resumed,
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
    /// The system has no route to the gateway.
    #[error("no route to the gateway: {0}")]
    NoRoute(ibex_platform::PlatformError),
}

/// How often traffic counters are published while nothing else changes.
const PUBLISH_EVERY: Duration = Duration::from_secs(1);

/// How long network changes may settle before the path is looked at (a
/// change still under way only brings another look).
const PATH_SETTLE: Duration = Duration::from_millis(1);

/// A pause of the connection loop this long means a freeze or a sleep.
const RESUME_GAP: Duration = Duration::from_secs(5);

/// How long a disconnect waits for the gateway to confirm the delete.
const DELETE_GRACE: Duration = Duration::from_secs(3);

/// An open prompt's answer channel and what kind of answer it expects.
type OpenPrompt = (oneshot::Receiver<Option<ibex_ipc::SecretString>>, Expect);

/// The state of a running connection.
struct Conn<'a> {
    params: &'a Params,
    ike: Initiator,
    sad: Sad,
    live: Live,
    snap: Snapshot,
    keylog: KeyLog,
    journal: &'a mut Journal,
    asks: mpsc::Sender<Ask>,
    answer: Option<OpenPrompt>,
    /// Set when the connection must end, with the reason.
    closed: Option<String>,
    /// What failed, when the end is a failure (set with `closed`).
    failure: Option<ibex_ipc::Failure>,
    /// Which authentication round the sign-in is in.
    rounds: crate::failure::Rounds,
    /// A new sign-in brought another virtual address: the next Child SA
    /// reconfigures the system.
    readdress: bool,
    /// Why the last reauthentication failed (the working SA ends at the
    /// gateway's deadline).
    reauth_failed: Option<String>,
    /// The tunnel was lost: attempts so far, and when to sign in again.
    backoff: reconnect::Backoff,
    retry_at: Option<tokio::time::Instant>,
    /// After a pause: a liveness check is out, the tunnel is not claimed
    /// to work until it is answered.
    checking: bool,
    /// The underlying path the gateway route is pinned to (interface, next hop).
    pinned: Option<(u32, Option<IpAddr>)>,
    /// The gateway address the connection uses now (a redirect, or MOBIKE
    /// to another of the gateway's addresses, moves it).
    gateway: IpAddr,
    /// The gateway address to prefer when it can be reached: the profile's,
    /// or the one a redirect sent us to.
    home: IpAddr,
    /// Gateways this connection was redirected through (loop protection).
    redirects: ibex_ike::RedirectGuard,
    /// Sign in again at this gateway, sent there by the named one, before
    /// the connection was up.
    restart_at: Option<(IpAddr, ibex_ike::GatewayId)>,
    /// An established tunnel moving to a redirected gateway: (from, to).
    moving: Option<(IpAddr, IpAddr)>,
    /// The gateway left by a redirect, its route kept until its IKE SA is deleted.
    leaving: Option<IpAddr>,
    /// NAT keepalives while a NAT is in front of us.
    keepalive: keepalive::Keepalive,
}

/// Runs one connection until it ends; the system is restored before it returns.
pub async fn run(
    params: Params,
    commands: &mut mpsc::Receiver<Command>,
    status: watch::Sender<Snapshot>,
    asks: mpsc::Sender<Ask>,
    journal: &mut Journal,
) -> Result<String, ConnError> {
    let lookup = route_get(params.gateway)
        .await
        .map_err(ConnError::NoRoute)?;
    let local_ip = lookup.source.unwrap_or(if params.gateway.is_ipv4() {
        IpAddr::from([0, 0, 0, 0])
    } else {
        IpAddr::from([0u16; 8])
    });
    let mut sockets = IkeSockets::bind(local_ip).await?;
    let keylog = KeyLog::from_env();
    let mut config = (*params.ike).clone();
    config.keylog = keylog.enabled();
    let ike = Initiator::new(
        Arc::new(config.clone()),
        Instant::now(),
        SocketAddr::new(local_ip, 500),
        SocketAddr::new(params.gateway, 500),
        Box::new(|| Box::new(SystemRandom::new())),
    );
    let snap = Snapshot {
        gateway: Some(SocketAddr::new(params.gateway, 500)),
        ..Snapshot::default()
    };
    status.send_replace(snap.clone());
    let mut c = Conn {
        params: &params,
        ike,
        sad: Sad::new(),
        live: Live::default(),
        snap,
        keylog,
        journal,
        asks,
        answer: None,
        closed: None,
        failure: None,
        rounds: params.rounds.clone(),
        readdress: false,
        reauth_failed: None,
        backoff: reconnect::Backoff::new(params.reconnect),
        retry_at: None,
        checking: false,
        pinned: None,
        gateway: params.gateway,
        home: params.gateway,
        redirects: ibex_ike::RedirectGuard::new(
            Instant::now(),
            ibex_ike::GatewayId::from_ip(params.gateway),
        ),
        restart_at: None,
        moving: None,
        leaving: None,
        keepalive: keepalive::Keepalive::default(),
    };
    let mut retry_now = false;
    // Network changes: the path to the gateway may move (roaming).
    let mut net_events = match NetEvents::subscribe().await {
        Ok(e) => Some(e),
        Err(e) => {
            warn!(error = %e, "no network change events; roaming will rely on liveness checks");
            None
        }
    };
    let mut path_check_at: Option<tokio::time::Instant> = None;
    let mut last_turn = (Instant::now(), std::time::SystemTime::now());
    let mut net = vec![0u8; 65536];
    // Reused for every burst (no allocation on the hot path).
    let mut reader = TunReader::new(params.mtu);
    let mut writer = TunWriter::new();
    let mut deadline: Option<tokio::time::Instant> = None;
    let mut published = Instant::now();
    let result: Result<String, ConnError> = loop {
        // A burst from the network is over: write what it brought.
        if !writer.is_empty() && !sockets.has_pending() {
            match &c.live.tun {
                Some(t) => writer.flush(t).await,
                None => writer.clear(),
            }
        }
        if path_check_at.is_some_and(|t| tokio::time::Instant::now() >= t) {
            path_check_at = None;
            if let Some((new, gateway)) = c.follow_path(&sockets).await {
                if new != sockets.local_ip() {
                    sockets = IkeSockets::bind(new).await?;
                }
                let now = Instant::now();
                if c.ike
                    .current_mut()
                    .migrate_to(now, SocketAddr::new(new, 4500), gateway)
                {
                    info!(local = %new, %gateway, "the network changed: moving the tunnel (MOBIKE)");
                } else {
                    // Without MOBIKE the SA cannot move: sign in again on
                    // the new path at once, keeping the system closed.
                    info!(local = %new, "the network changed and the gateway has no MOBIKE: signing in again");
                    for spi in c.ike.current().child_spis() {
                        c.sad.remove(spi);
                    }
                    c.snap.phase = Phase::Connecting;
                    c.snap.note = Some(
                        "the network changed and the gateway cannot move the tunnel (no MOBIKE); signing in again".into(),
                    );
                    retry_now = true;
                }
            }
        }
        let redirected = c.restart_at.take();
        if std::mem::take(&mut retry_now) || redirected.is_some() {
            // Sign in again from the path the gateway is reached by now.
            if let Some((to, _)) = &redirected {
                c.gateway = *to;
            }
            let tun = c.live.tun.as_ref().map(|t| t.name().to_string());
            let local_ip = match path_to_gateway(c.gateway, tun).await {
                Ok(r) => r.source.unwrap_or(sockets.local_ip()),
                Err(e) => {
                    debug!(error = %e, "no route to the gateway yet");
                    sockets.local_ip()
                }
            };
            if local_ip != sockets.local_ip() {
                info!(old = %sockets.local_ip(), new = %local_ip, "the path to the gateway changed");
                sockets = IkeSockets::bind(local_ip).await?;
            }
            let (local, remote) = (
                SocketAddr::new(local_ip, 500),
                SocketAddr::new(c.gateway, 500),
            );
            let rngs: ibex_ike::RngSource = Box::new(|| Box::new(SystemRandom::new()));
            c.ike = match redirected {
                Some((_, from)) => Initiator::new_redirected(
                    Arc::new(config.clone()),
                    Instant::now(),
                    local,
                    remote,
                    rngs,
                    from,
                ),
                None => Initiator::new(
                    Arc::new(config.clone()),
                    Instant::now(),
                    local,
                    remote,
                    rngs,
                ),
            };
            c.snap.gateway = Some(remote);
            c.rounds.restart();
        }
        // Output of the engine first.
        while let Some(t) = c.ike.poll_transmit() {
            if let Err(e) = sockets.send_ike(&t).await {
                debug!(remote = %t.remote, error = %e, "sending IKE failed");
            }
        }
        while let Some(e) = c.ike.poll_event() {
            if let Err(err) = c.on_event(e).await {
                warn!(error = %err, "setting up the tunnel failed");
                let why = format!("could not set up the tunnel: {err}");
                let failure = crate::failure::conn_error(&err, c.snap.gateway).with_detail(&why);
                c.close_with(why, Some(failure));
                c.ike.close(Instant::now());
            }
        }
        c.release_old_gateway().await;
        // Publish state changes at once, traffic counters at most once a
        // second: never per packet.
        let changed =
            status.borrow().phase != c.snap.phase || status.borrow().addresses != c.snap.addresses;
        if changed || published.elapsed() >= PUBLISH_EVERY || c.closed.is_some() {
            c.snap.traffic = c.sad.traffic(0);
            status.send_replace(c.snap.clone());
            published = Instant::now();
        }
        if let Some(reason) = c.closed.take() {
            break Ok(reason);
        }
        let wake = c.ike.poll_timeout().map(tokio::time::Instant::from_std);
        let keepalive_at = c.keepalive.due().map(tokio::time::Instant::from_std);
        let wake = [wake, c.retry_at, path_check_at, keepalive_at]
            .into_iter()
            .flatten()
            .min();
        let wake = match (wake, deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        // Wake at least once a second so counters stay fresh while idle.
        let refresh = tokio::time::Instant::from_std(published + PUBLISH_EVERY);
        let wake = wake.map_or(refresh, |w| w.min(refresh));
        let tun_recv = async {
            match &c.live.tun {
                Some(t) => t.recv(reader.buf()).await,
                None => std::future::pending().await,
            }
        };
        let answered = async {
            match c.answer.as_mut() {
                Some((rx, _)) => rx.await.ok().flatten(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            a = answered => {
                let expect = c.answer.take().map_or(Expect::Text, |(_, e)| e);
                let reauth = c.ike.reauthenticating();
                match prompt::deliver(&mut c.ike, Instant::now(), a, expect) {
                    // Signing in again was given up: the working SA
                    // carries on until the gateway's deadline.
                    Some(why) if reauth => c.reauth_failed = Some(why),
                    // The person chose a code instead: no failure.
                    Some(why) if why == USE_CODE => c.closed = Some(why),
                    Some(why) => {
                        let failure = crate::failure::cancelled(&c.rounds, &why);
                        c.close_with(why, Some(failure));
                    }
                    None => {}
                }
            },
            r = sockets.recv(&mut net) => match r {
                Ok(Incoming::Ike { local, remote, offset, len }) => {
                    c.ike.handle_datagram(Instant::now(), local, remote, &net[offset..offset + len])
                }
                Ok(Incoming::Esp { len, remote }) => match c.sad.open(&mut net[..len]) {
                    Ok((_, inner)) => {
                        if let Some(t) = &c.live.tun {
                            writer.push(t, inner).await;
                        }
                    }
                    Err(e) => debug!(%remote, error = %e, "ESP packet dropped"),
                },
                Ok(Incoming::Ignored) => {}
                Err(e) => break Err(e.into()),
            },
            r = tun_recv => match r {
                Ok(len) => {
                    if let Some(t) = &c.live.tun {
                        reader.seal_burst(len, t, &mut c.sad, &sockets).await;
                    }
                    c.keepalive.sent(Instant::now());
                }
                Err(e) => break Err(e.into()),
            },
            ev = async {
                match net_events.as_mut() {
                    Some(e) => e.recv().await,
                    None => std::future::pending().await,
                }
            } => match ev {
                // Changes come in bursts: look at the path once they settle.
                Some(ev) => {
                    debug!(?ev, "network change");
                    path_check_at.get_or_insert(tokio::time::Instant::now() + PATH_SETTLE);
                }
                None => net_events = None,
            },
            cmd = commands.recv() => match cmd {
                Some(Command::Resumed) => {
                    if c.snap.phase == Phase::Connected {
                        info!("resumed from sleep: checking the gateway");
                        c.ike.current_mut().check_liveness(Instant::now());
                        c.checking = true;
                        c.snap.phase = Phase::Connecting;
                        c.snap.note = Some("checking the connection after sleep".into());
                    }
                }
                Some(Command::Disconnect) | None => {
                    info!("disconnecting");
                    c.snap.phase = Phase::Disconnecting;
                    c.ike.close(Instant::now());
                    if c.retry_at.take().is_some() {
                        // Waiting to reconnect: nothing to delete.
                        c.closed = Some(CloseReason::LocalClose.to_string());
                    }
                    deadline = Some(tokio::time::Instant::now() + DELETE_GRACE);
                }
            },
            _ = tokio::time::sleep_until(wake) => {
                if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
                    c.closed = Some(CloseReason::LocalClose.to_string());
                }
                if c.retry_at.is_some_and(|t| tokio::time::Instant::now() >= t) {
                    c.retry_at = None;
                    retry_now = true;
                }
                c.ike.handle_timeout(Instant::now());
                if c.keepalive.poll(Instant::now()) && c.snap.phase == Phase::Connected {
                    let to = esp_endpoint(c.ike.current().endpoints().1);
                    debug!(%to, "NAT keepalive");
                    if let Err(e) = sockets.send_keepalive(to).await {
                        debug!(%to, error = %e, "sending a NAT keepalive failed");
                    }
                }
            }
        }
        // The loop turns at least once a second; a longer gap, or a wall
        // clock that jumped ahead of the monotonic one, means the daemon was
        // frozen or the machine slept: the gateway may have dropped us.
        let turn = (Instant::now(), std::time::SystemTime::now());
        let gap = turn.0.duration_since(last_turn.0);
        let wall = turn.1.duration_since(last_turn.1).unwrap_or_default();
        last_turn = turn;
        if (gap > RESUME_GAP || wall > gap + RESUME_GAP) && c.snap.phase == Phase::Connected {
            info!(
                gap_s = wall.max(gap).as_secs(),
                "resumed after a pause: checking the gateway"
            );
            c.ike.current_mut().check_liveness(turn.0);
            // Not claimed to work until the gateway answers.
            c.checking = true;
            c.snap.phase = Phase::Connecting;
            c.snap.note = Some("checking the connection after a pause".into());
        } else if c.checking && c.ike.current().is_idle() && c.snap.phase == Phase::Connecting {
            if c.ike.current().state() == ibex_ike::State::Established {
                info!("the gateway answered after the pause");
                c.snap.phase = Phase::Connected;
                c.snap.note = None;
            }
            c.checking = false;
        }
    };
    system::teardown(&mut c.live, c.journal).await;
    let reason = match &result {
        Ok(r) => r.clone(),
        Err(e) => e.to_string(),
    };
    c.snap.failure = match &result {
        Ok(_) => c.failure.take().map(Box::new),
        Err(e) => Some(Box::new(crate::failure::conn_error(e, c.snap.gateway))),
    };
    c.snap.phase = Phase::Closed(reason);
    c.snap.since = None;
    status.send_replace(c.snap);
    result
}

impl Conn<'_> {
    async fn on_event(&mut self, e: Event) -> Result<(), ConnError> {
        match e {
            Event::Prompt(p) => {
                self.rounds.prompted(p.method, p.kind);
                let expect = prompt::expects(p.kind);
                let why = if self.ike.reauthenticating() {
                    prompt::Why::Reauth
                } else if self.live.tun.is_some() {
                    prompt::Why::Reconnect
                } else {
                    prompt::Why::SignIn
                };
                let (tx, rx) = oneshot::channel();
                if self.asks.send(prompt::ask(p, tx, why)).await.is_ok() {
                    self.answer = Some((rx, expect));
                }
            }
            Event::PromptClosed => {
                if self.answer.take().is_some() {
                    let _ = self.asks.send(Ask::Close).await;
                }
            }
            Event::KeyLog(line) => self.keylog.write(&line),
            Event::IkeUp(i) => {
                info!(gateway = %i.peer_id, suite = %i.suite.name(), nat = i.nat_local || i.nat_remote, "signed in");
                self.note_ike(&i);
            }
            Event::IkeRekeyed(i) => self.note_ike(&i),
            Event::Config(c) => {
                // A new sign-in (reauthentication) may bring another address.
                self.readdress =
                    self.live.tun.is_some() && c.addresses != self.live.config.addresses;
                self.live.config = c;
            }
            Event::ChildUp(c) => {
                // The newest Child SA takes outbound traffic (at once when
                // we created it); a replaced one still receives until it is
                // deleted.
                let remote = self.ike.endpoints().1;
                // A redirect may have moved the connection to another gateway.
                self.gateway = remote.ip();
                self.sad
                    .install(0, &c, esp_endpoint(remote), takeover(&c))
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                if std::mem::take(&mut self.readdress) {
                    self.readdress_tun().await;
                }
                if self.live.tun.is_none() {
                    system::bring_up(
                        self.params,
                        self.gateway,
                        &c,
                        &mut self.live,
                        &mut self.snap,
                        self.journal,
                    )
                    .await?;
                    let tun = self.live.tun.as_ref().map(|t| t.name().to_string());
                    if let Ok(p) = path_to_gateway(self.gateway, tun).await {
                        self.pinned = Some((p.ifindex, p.gateway));
                    }
                } else if self.snap.phase == Phase::Connecting {
                    info!("reconnected");
                    self.snap.phase = Phase::Connected;
                    self.snap.since = Some(Instant::now());
                    self.snap.note = None;
                }
                self.backoff.reset();
                self.snap.esp_suite = Some(c.suite.name());
            }
            Event::ChildDown { spi_in, .. } => self.sad.remove(spi_in),
            Event::ChildFailed(why) => {
                if self.live.tun.is_none() {
                    let why = format!("the gateway refused the tunnel: {why}");
                    let failure = ibex_ipc::Failure::new(ibex_ipc::FailureKind::GatewayError)
                        .with_detail(&why);
                    self.close_with(why, Some(failure));
                }
            }
            Event::EndpointsChanged { remote, .. } => {
                self.sad.set_remote(0, esp_endpoint(remote));
                self.snap.gateway = Some(remote);
                // After a MOBIKE move the NAT in front of us may be new or gone.
                let (nat_local, nat_remote) = self.ike.current().nat();
                self.snap.nat = nat_local || nat_remote;
                self.keepalive.set_behind_nat(nat_local, Instant::now());
            }
            Event::ReauthRequired { deadline } => {
                let left = deadline.saturating_duration_since(Instant::now());
                info!(
                    deadline_in_s = left.as_secs(),
                    "signing in again before the gateway's deadline (make-before-break)"
                );
                self.reauth_failed = None;
            }
            Event::Reauthenticated(i) => {
                info!(gateway = %i.peer_id, "signed in again; the new IKE SA carries the tunnel");
                self.note_ike(&i);
                self.snap.gateway = Some(self.ike.endpoints().1);
                self.moved_gateway().await;
            }
            Event::Redirect(to) | Event::ReauthFailed(CloseReason::Redirected(to)) => {
                self.follow_redirect(to).await;
            }
            Event::Closed(CloseReason::Redirected(to))
                if self.snap.phase != Phase::Disconnecting =>
            {
                self.restart_redirected(to).await;
            }
            Event::ReauthFailed(reason) => {
                self.move_failed().await;
                let why = match reason {
                    CloseReason::Eap(f) => crate::explain::eap_failure(&f),
                    r => r.to_string(),
                };
                warn!(reason = %why, "signing in again failed; the tunnel lasts until the gateway's deadline");
                self.reauth_failed.get_or_insert(why);
            }
            // A reason set earlier in this turn (e.g. an unusable answer that
            // made us close) is the real one: keep it.
            Event::Closed(CloseReason::Eap(f)) => {
                let why = crate::explain::eap_failure(&f);
                let failure = crate::failure::eap(&f, &self.rounds, &why);
                self.close_with(why, Some(failure));
            }
            Event::Closed(reason)
                if self.live.tun.is_some()
                    && self.snap.phase != Phase::Disconnecting
                    && reconnect::worth_retrying(&reason) =>
            {
                // The tunnel is lost but the system stays as it is (no
                // leak around the tunnel) while we sign in again.
                match self.backoff.next() {
                    Some((wait, attempt)) => {
                        let note = format!(
                            "{reason}; reconnecting in {:.1} s (attempt {attempt})",
                            wait.as_secs_f64()
                        );
                        warn!("{note}");
                        self.snap.phase = Phase::Connecting;
                        self.snap.since = None;
                        self.snap.note = Some(note);
                        self.retry_at = Some(tokio::time::Instant::now() + wait);
                    }
                    None => {
                        let why = format!("{reason} (gave up reconnecting)");
                        let failure = self.close_failure(&reason, &why);
                        self.close_with(why, failure);
                    }
                }
            }
            Event::Closed(reason) => {
                let why = match (&self.reauth_failed, &reason) {
                    (Some(r), CloseReason::PeerDeleted) => format!(
                        "the gateway ended the connection because signing in again failed: {r}"
                    ),
                    _ if self.ike.reauthenticating() => {
                        format!("{reason} (the new sign-in was not finished in time)")
                    }
                    _ => reason.to_string(),
                };
                let failure = self.close_failure(&reason, &why);
                self.close_with(why, failure);
            }
        }
        Ok(())
    }

    /// Ends the connection for `why` unless an earlier reason (e.g. an
    /// unusable answer that made us close) is the real one.
    fn close_with(&mut self, why: String, failure: Option<ibex_ipc::Failure>) {
        if self.closed.is_none() {
            self.closed = Some(why);
            self.failure = failure;
        }
    }

    /// The failure the engine's `reason` means, told as `why`.
    fn close_failure(&self, reason: &CloseReason, why: &str) -> Option<ibex_ipc::Failure> {
        crate::failure::close(
            reason,
            &self.rounds,
            &self.params.ike.ike_proposals,
            self.snap.gateway,
            why,
        )
    }

    fn note_ike(&mut self, i: &IkeSaInfo) {
        self.snap.ike_suite = Some(i.suite.name());
        self.snap.nat = i.nat_local || i.nat_remote;
        self.keepalive.set_behind_nat(i.nat_local, Instant::now());
        self.snap.mobike = i.mobike;
    }
}

/// The path to the gateway under the tunnel `tun` (its own routes cover
/// everything in a full tunnel).
async fn path_to_gateway(
    gateway: IpAddr,
    tun: Option<String>,
) -> Result<ibex_platform::RouteLookup, ibex_platform::PlatformError> {
    match tun {
        Some(t) => route_get_avoiding(gateway, &t).await,
        None => route_get(gateway).await,
    }
}
