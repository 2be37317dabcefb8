//! The gateway's event loop: IKE through the sans-IO [`Responder`], ESP
//! between the UDP sockets and the TUN device, one task, no locks.

use std::net::Ipv4Addr;
use std::time::Instant;

use ibex_ike::crypto::SystemRandom;
use ibex_ike::{Event, Responder};
use ibex_platform::{Journal, TunConfig, TunDevice};
use ibex_tunnel::{esp_endpoint, Incoming, KeyLog, OpenError, Sad, TunReader, TunWriter};
use tracing::{debug, info, warn};

use crate::config::Loaded;
use crate::listeners::Listeners;

/// Why the gateway stopped.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// Setting up the TUN device failed.
    #[error("TUN device: {0}")]
    Platform(#[from] ibex_platform::PlatformError),
    /// A socket failed.
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
}

/// A running gateway.
pub struct Gateway {
    engine: Responder,
    sockets: Listeners,
    tun: TunDevice,
    sad: Sad,
    keylog: KeyLog,
    mtu: u16,
    /// Bumped by the push approval store on every decision.
    push_changes: Option<tokio::sync::watch::Receiver<u64>>,
}

impl Gateway {
    /// Creates the TUN device (recorded in `journal`) and binds UDP 500/4500.
    pub async fn start(config: Loaded, journal: &mut Journal) -> Result<Gateway, GatewayError> {
        let (net, len) = config.pool;
        let tun_addr = Ipv4Addr::from(u32::from(net) + 1);
        let tun = TunDevice::create(
            &TunConfig {
                name: Some(config.tun.name.clone()),
                addresses: vec![(tun_addr.into(), len)],
                mtu: config.tun.mtu,
                offload: TunConfig::offload_wanted(),
            },
            journal,
        )
        .await?;
        let mut addrs = vec![config.listen];
        addrs.extend(config.also_listen.iter().copied());
        let sockets = Listeners::bind(&addrs).await?;
        let mut push_changes = None;
        if let Some(store) = config.directory.as_ref().and_then(|d| d.push_store()) {
            push_changes = Some(store.subscribe());
            if let Some(api) = &config.push_api {
                let (addr, _task) = crate::mfa::http::spawn(api, store.clone()).await?;
                info!(%addr, "push approval page at http://{addr}/");
            }
        }
        let keylog = KeyLog::from_env();
        let mut ike = config.ike;
        ike.base.keylog = keylog.enabled();
        info!(listen = ?addrs, tun = tun.name(), pool = %format!("{net}/{len}"), "gateway up");
        Ok(Gateway {
            engine: Responder::new(ike, Box::new(|| Box::new(SystemRandom::new()))),
            sockets,
            tun,
            sad: Sad::new(),
            keylog,
            mtu: config.tun.mtu,
            push_changes,
        })
    }

    /// Runs until `stop` resolves.
    pub async fn run(
        &mut self,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<(), GatewayError> {
        tokio::pin!(stop);
        let mut net = vec![0u8; 65536];
        // Reused for every burst (no allocation on the hot path).
        let mut reader = TunReader::new(self.mtu);
        let mut writer = TunWriter::new();
        // Held IKE_AUTH responses (push approvals) are re-checked on every
        // decision and once a second (for expiries).
        let mut recheck = tokio::time::interval(std::time::Duration::from_secs(1));
        recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut push_changes = self.push_changes.take();
        // SIGUSR1: send connected clients to the redirect policy's gateways
        // (RFC 5685), e.g. before maintenance.
        let mut drain =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined1()).ok();
        loop {
            // A burst from the network is over: write what it brought.
            if !writer.is_empty() && !self.sockets.has_pending() {
                writer.flush(&self.tun).await;
            }
            let wake = self
                .engine
                .poll_timeout()
                .map(tokio::time::Instant::from_std);
            let timer = async {
                match wake {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = &mut stop => break,
                r = self.sockets.recv(&mut net) => {
                    let incoming = r?;
                    self.on_network(incoming, &mut net, &mut writer).await;
                }
                r = self.tun.recv(reader.buf()) => {
                    let len = r?;
                    reader.seal_burst(len, &self.tun, &mut self.sad, &self.sockets).await;
                }
                _ = timer => self.engine.handle_timeout(Instant::now()),
                _ = recheck.tick() => self.engine.resume_deferred(Instant::now()),
                Some(()) = async {
                    match drain.as_mut() {
                        Some(s) => s.recv().await,
                        None => std::future::pending().await,
                    }
                } => {
                    let moved = self.engine.redirect_all(Instant::now());
                    info!(clients = moved, "SIGUSR1: redirecting connected clients to other gateways");
                }
                r = async {
                    match push_changes.as_mut() {
                        Some(rx) => rx.changed().await,
                        None => std::future::pending().await,
                    }
                } => {
                    if r.is_err() {
                        push_changes = None;
                    }
                    self.engine.resume_deferred(Instant::now());
                }
            }
            self.flush().await;
        }
        for id in self.engine.session_ids() {
            self.engine.with_session(id, |s| s.close(Instant::now()));
        }
        self.flush().await;
        Ok(())
    }

    async fn on_network(&mut self, incoming: Incoming, buf: &mut [u8], writer: &mut TunWriter) {
        match incoming {
            Incoming::Ike {
                local,
                remote,
                offset,
                len,
            } => self.engine.handle_datagram(
                Instant::now(),
                local,
                remote,
                &buf[offset..offset + len],
            ),
            Incoming::Esp { len, remote } => match self.sad.open_from(&mut buf[..len], remote) {
                Ok(d) => {
                    writer.push(&self.tun, d.inner).await;
                    if let Some(to) = d.moved_to {
                        // New traffic from a new NAT mapping: the session
                        // decides whether to follow (EndpointsChanged).
                        let now = Instant::now();
                        self.engine.with_session(d.owner, |s| {
                            s.peer_moved(now, to);
                        });
                    }
                }
                Err(OpenError::Esp(e)) => debug!(%remote, error = %e, "ESP packet dropped"),
                Err(e) => debug!(%remote, error = %e, "ESP packet dropped"),
            },
            Incoming::Ignored => {}
        }
    }

    async fn flush(&mut self) {
        while let Some(t) = self.engine.poll_transmit() {
            if let Err(e) = self.sockets.send_ike(&t).await {
                debug!(remote = %t.remote, error = %e, "sending IKE failed");
            }
        }
        while let Some((id, e)) = self.engine.poll_event() {
            self.on_event(id, e);
        }
    }

    fn on_event(&mut self, id: u64, e: Event) {
        let remote = |engine: &Responder| engine.session(id).map(|s| s.endpoints().1);
        match e {
            Event::IkeUp(i) => {
                info!(session = id, peer = %i.peer_id, suite = %i.suite.name(), nat = i.nat_remote, "client signed in")
            }
            Event::ChildUp(c) => {
                let Some(to) = remote(&self.engine).map(esp_endpoint) else {
                    return;
                };
                if let Err(e) = self.sad.install(id, &c, to, ibex_tunnel::takeover(&c)) {
                    warn!(session = id, error = %e, "cannot install the Child SA");
                }
            }
            Event::ChildDown { spi_in, .. } => self.sad.remove(spi_in),
            Event::EndpointsChanged { remote, .. } => {
                info!(session = id, %remote, "client endpoint changed");
                self.sad.set_remote(id, esp_endpoint(remote));
            }
            Event::KeyLog(line) => self.keylog.write(&line),
            Event::Closed(reason) => {
                info!(session = id, %reason, "connection closed");
                self.sad.remove_owner(id);
            }
            Event::IkeRekeyed(_)
            | Event::Config(_)
            | Event::ChildFailed(_)
            | Event::Prompt(_)
            | Event::PromptClosed
            | Event::ReauthRequired { .. }
            | Event::Reauthenticated(_)
            | Event::ReauthFailed(_)
            | Event::Redirect(_) => {}
        }
    }
}
