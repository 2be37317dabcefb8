//! Deterministic in-memory simulations: an initiator and a responder joined by
//! a lossy, duplicating, reordering link with a fake clock.

mod eap;
mod nat_rebinding;
mod reauth;
mod redirect;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ibex_ike::crypto::{Secret, SeededRandom};
use ibex_ike::proposal::{EspProposal, IkeProposal};
use ibex_ike::{
    CloseReason, Config, Event, Identity, Initiator, LocalAuth, PeerAuth, PeerEntry, Responder,
    ResponderConfig, Retransmit, State,
};

const PSK: &[u8] = b"simulation-psk-0123456789";

/// Link impairments.
#[derive(Clone, Copy)]
struct Link {
    loss: f64,
    dup: f64,
    /// Random extra delay up to this many ms (reorders packets).
    jitter_ms: u64,
}

const CLEAN: Link = Link {
    loss: 0.0,
    dup: 0.0,
    jitter_ms: 0,
};
const BAD: Link = Link {
    loss: 0.3,
    dup: 0.1,
    jitter_ms: 40,
};

struct Prng(u64);
impl Prng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 10_000) as f64 / 10_000.0 < p
    }
}

struct Packet {
    at: Instant,
    to_responder: bool,
    from: SocketAddr,
    to: SocketAddr,
    data: Vec<u8>,
}

struct Sim {
    now: Instant,
    ini: Initiator,
    resp: Responder,
    link: Link,
    prng: Prng,
    air: Vec<Packet>,
    ini_events: Vec<Event>,
    resp_events: Vec<Event>,
    /// Addresses the responder sees for the initiator (a NAT may rewrite).
    nat: Option<SocketAddr>,
    /// A path that no longer exists: datagrams from or to this IP are lost.
    dead_ip: Option<std::net::IpAddr>,
    /// Answers given, in order, to the initiator's EAP prompts (push prompts excepted).
    answers: VecDeque<ibex_ike::eap::Answer>,
    /// Every datagram the initiator sent.
    ini_sent: Vec<Vec<u8>>,
    /// When the simulation started.
    start: Instant,
    /// A second gateway at [`GW2`], when a test adds one.
    resp2: Option<Responder>,
    resp2_events: Vec<Event>,
}

/// The second gateway's address.
const GW2: &str = "192.0.2.9";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn configs(ike: &str, esp: &str) -> (Config, ResponderConfig) {
    let mut c = Config::new(
        Identity::parse("client.ibex.test"),
        LocalAuth::Psk(Secret::from_slice(PSK)),
    );
    c.ike_proposals = vec![IkeProposal::parse(ike).unwrap()];
    c.esp_proposals = vec![EspProposal::parse(esp).unwrap()];
    c.remote_id = Some(Identity::parse("gw.ibex.test"));
    c.request_vip = true;
    c.remote_ts = vec![ibex_ike::message::TrafficSelector::from_prefix(
        "10.99.0.0".parse().unwrap(),
        24,
    )];
    c.keylog = true;
    c.retransmit = Retransmit {
        initial: Duration::from_millis(500),
        factor: 1.5,
        max_interval: Duration::from_secs(4),
        tries: 12,
    };
    let mut g = Config::new(
        Identity::parse("gw.ibex.test"),
        LocalAuth::Psk(Secret::from_slice(PSK)),
    );
    g.ike_proposals = vec![IkeProposal::parse(ike).unwrap()];
    g.esp_proposals = vec![EspProposal::parse(esp).unwrap()];
    g.local_ts = vec![ibex_ike::message::TrafficSelector::from_prefix(
        "10.99.0.0".parse().unwrap(),
        24,
    )];
    g.remote_ts = vec![ibex_ike::message::TrafficSelector::any_v4()];
    g.retransmit = c.retransmit;
    let r = ResponderConfig {
        base: g,
        peers: vec![PeerEntry {
            id: Identity::parse("client.ibex.test"),
            auth: PeerAuth::Psk(Secret::from_slice(PSK)),
            extra: vec![],
        }],
        pool: Some((
            "10.99.10.1".parse().unwrap(),
            "10.99.10.20".parse().unwrap(),
        )),
        dns: vec!["10.99.0.53".parse().unwrap()],
        cookie_threshold: usize::MAX,
        eap_directory: None,
        eap_step_timeout: std::time::Duration::from_secs(120),
        eap_tls: None,
        eap_only: false,
        auth_lifetime: None,
        redirect: None,
    };
    (c, r)
}

impl Sim {
    fn new(c: Config, r: ResponderConfig, link: Link, seed: u64) -> Sim {
        if std::env::var_os("IBEX_SIM_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::from_env("IBEX_SIM_LOG"))
                .with_test_writer()
                .try_init();
        }
        let now = Instant::now();
        let mut k = seed;
        let ini = Initiator::new(
            Arc::new(c),
            now,
            addr("198.51.100.2:500"),
            addr("192.0.2.1:500"),
            Box::new(move || {
                let r = Box::new(SeededRandom::new(k));
                k += 7919;
                r
            }),
        );
        let mut n = seed;
        let resp = Responder::new(
            r,
            Box::new(move || {
                n += 1000;
                Box::new(SeededRandom::new(n))
            }),
        );
        Sim {
            now,
            ini,
            resp,
            link,
            prng: Prng(seed | 1),
            air: Vec::new(),
            ini_events: vec![],
            resp_events: vec![],
            nat: None,
            dead_ip: None,
            answers: VecDeque::new(),
            ini_sent: Vec::new(),
            start: now,
            resp2: None,
            resp2_events: vec![],
        }
    }

    fn send(&mut self, to_responder: bool, from: SocketAddr, to: SocketAddr, data: Vec<u8>) {
        if self.dead_ip.is_some_and(|d| d == from.ip() || d == to.ip())
            || self.prng.chance(self.link.loss)
        {
            return;
        }
        let copies = if self.prng.chance(self.link.dup) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let delay = 5 + if self.link.jitter_ms > 0 {
                self.prng.next() % self.link.jitter_ms
            } else {
                0
            };
            self.air.push(Packet {
                at: self.now + Duration::from_millis(delay),
                to_responder,
                from,
                to,
                data: data.clone(),
            });
        }
    }

    fn pump(&mut self) {
        while self.pump_once() {}
    }

    /// Moves queued output once; returns whether there was any.
    fn pump_once(&mut self) -> bool {
        let mut any = false;
        while let Some(t) = self.ini.poll_transmit() {
            any = true;
            self.ini_sent.push(t.data.clone());
            let from = match self.nat {
                Some(n) => SocketAddr::new(
                    n.ip(),
                    if t.local.port() == 500 {
                        n.port()
                    } else {
                        n.port() + 1
                    },
                ),
                None => t.local,
            };
            self.send(true, from, t.remote, t.data);
        }
        while let Some(t) = self.resp.poll_transmit() {
            any = true;
            self.send(false, t.local, t.remote, t.data);
        }
        while let Some(e) = self.ini.poll_event() {
            any = true;
            if let Event::Prompt(p) = &e {
                if p.kind != ibex_ike::eap::PromptKind::Push {
                    if let Some(a) = self.answers.pop_front() {
                        self.ini.answer(self.now, a);
                    }
                }
            }
            self.ini_events.push(e);
        }
        while let Some((_, e)) = self.resp.poll_event() {
            any = true;
            self.resp_events.push(e);
        }
        if let Some(r2) = self.resp2.as_mut() {
            let mut out = vec![];
            while let Some(t) = r2.poll_transmit() {
                out.push(t);
            }
            while let Some((_, e)) = r2.poll_event() {
                any = true;
                self.resp2_events.push(e);
            }
            for t in out {
                any = true;
                self.send(false, t.local, t.remote, t.data);
            }
        }
        any
    }

    /// Runs until `done` holds or `limit` of simulated time passes.
    fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Sim) -> bool) -> bool {
        let end = self.now + limit;
        loop {
            self.resp.resume_deferred(self.now);
            self.pump();
            if done(self) {
                return true;
            }
            let next_packet = self.air.iter().map(|p| p.at).min();
            let next = [
                next_packet,
                self.ini.poll_timeout(),
                self.resp.poll_timeout(),
                self.resp2.as_ref().and_then(|r| r.poll_timeout()),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next else { return done(self) };
            if next > end {
                return false;
            }
            self.now = self.now.max(next);
            let (due, rest): (Vec<Packet>, Vec<Packet>) = std::mem::take(&mut self.air)
                .into_iter()
                .partition(|p| p.at <= self.now);
            self.air = rest;
            for p in due {
                if p.to_responder && p.to.ip() == addr(&format!("{GW2}:500")).ip() {
                    if let Some(r2) = self.resp2.as_mut() {
                        r2.handle_datagram(self.now, p.to, p.from, &p.data);
                    }
                } else if p.to_responder {
                    self.resp.handle_datagram(self.now, p.to, p.from, &p.data);
                } else {
                    let to = match self.nat {
                        Some(_) => SocketAddr::new(
                            addr("198.51.100.2:500").ip(),
                            if p.to.port() == self.nat.unwrap().port() {
                                500
                            } else {
                                4500
                            },
                        ),
                        None => p.to,
                    };
                    self.ini.handle_datagram(self.now, to, p.from, &p.data);
                }
            }
            if self.ini.poll_timeout().is_some_and(|t| t <= self.now) {
                self.ini.handle_timeout(self.now);
            }
            if self.resp.poll_timeout().is_some_and(|t| t <= self.now) {
                self.resp.handle_timeout(self.now);
            }
            if let Some(r2) = self.resp2.as_mut() {
                if r2.poll_timeout().is_some_and(|t| t <= self.now) {
                    r2.handle_timeout(self.now);
                }
            }
        }
    }

    fn child_ups(events: &[Event]) -> Vec<&ibex_ike::ChildSaInfo> {
        events
            .iter()
            .filter_map(|e| {
                if let Event::ChildUp(c) = e {
                    Some(c)
                } else {
                    None
                }
            })
            .collect()
    }

    /// No request of the initiator is in flight.
    fn ini_is_idle(&self) -> bool {
        self.ini.current().is_idle()
    }

    fn established(&self) -> bool {
        Sim::child_ups(&self.ini_events).len() == 1 && Sim::child_ups(&self.resp_events).len() == 1
    }
}

/// Event names only, for assertion messages.
fn names(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            Event::Closed(r) => format!("Closed({r:?})"),
            Event::ChildFailed(r) => format!("ChildFailed({r})"),
            other => format!("{other:?}")
                .split('(')
                .next()
                .unwrap_or("")
                .to_string(),
        })
        .collect()
}

/// The data planes of both sides agree: SPIs cross over and keys match.
fn assert_children_match(ini: &ibex_ike::ChildSaInfo, resp: &ibex_ike::ChildSaInfo) {
    assert_eq!(ini.spi_out, resp.spi_in);
    assert_eq!(ini.spi_in, resp.spi_out);
    assert_eq!(ini.suite, resp.suite);
    assert_eq!(ini.encr_out, resp.encr_in);
    assert_eq!(ini.integ_out, resp.integ_in);
    assert_eq!(ini.encr_in, resp.encr_out);
    assert_eq!(ini.integ_in, resp.integ_out);
    assert_ne!(ini.encr_out, ini.encr_in, "directions use different keys");
    assert!(!ini.encr_out.is_empty());
}

const SUITES: &[(&str, &str)] = &[
    ("aes256gcm16-prfsha384-ecp384", "aes256gcm16"),
    ("chacha20poly1305-prfsha256-x25519", "chacha20poly1305"),
    ("aes256-sha256-modp3072", "aes256-sha256"),
    ("aes128gcm16-prfsha256-ecp256", "aes128gcm16"),
    ("aes128-sha384-prfsha384-ecp521", "aes128-sha512"),
    ("aes256-sha512-modp2048", "aes256-sha384"),
];

fn establish(ike: &str, esp: &str, link: Link, seed: u64) -> Sim {
    let (c, r) = configs(ike, esp);
    let mut sim = Sim::new(c, r, link, seed);
    assert!(
        sim.run_until(Duration::from_secs(120), |s| s.established()),
        "{ike}: not established; initiator events {:?}",
        sim.ini_events
    );
    sim
}

#[test]
fn handshake_every_suite() {
    for (i, (ike, esp)) in SUITES.iter().enumerate() {
        let sim = establish(ike, esp, CLEAN, 7 + i as u64);
        let up = sim
            .ini_events
            .iter()
            .find_map(|e| {
                if let Event::IkeUp(i) = e {
                    Some(i)
                } else {
                    None
                }
            })
            .unwrap();
        let want = IkeProposal::parse(ike).unwrap();
        assert!(
            want.encr == [up.suite.encr] && want.prf == [up.suite.prf] && want.dh == [up.suite.dh],
            "{ike}: {:?}",
            up.suite
        );
        assert_eq!(up.peer_id, Identity::parse("gw.ibex.test"));
        let (ci, cr) = (
            Sim::child_ups(&sim.ini_events)[0],
            Sim::child_ups(&sim.resp_events)[0],
        );
        assert_children_match(ci, cr);
        assert_eq!(ci.suite.name(), *esp);
        // Narrowed to the virtual IP and the gateway's LAN.
        assert_eq!(
            ci.ts_local,
            vec![ibex_ike::message::TrafficSelector::from_prefix(
                "10.99.10.1".parse().unwrap(),
                32
            )]
        );
        assert_eq!(
            ci.ts_remote,
            vec![ibex_ike::message::TrafficSelector::from_prefix(
                "10.99.0.0".parse().unwrap(),
                24
            )]
        );
        let cfg = sim
            .ini_events
            .iter()
            .find_map(|e| {
                if let Event::Config(c) = e {
                    Some(c)
                } else {
                    None
                }
            })
            .unwrap();
        assert_eq!(cfg.addresses, vec![("10.99.10.1".parse().unwrap(), 32)]);
        assert_eq!(
            cfg.dns,
            vec!["10.99.0.53".parse::<std::net::IpAddr>().unwrap()]
        );
        assert_eq!(
            cfg.subnets,
            vec![("10.99.0.0".parse().unwrap(), 24)],
            "INTERNAL_IP4_SUBNET"
        );
        assert_eq!(sim.ini.current().state(), State::Established);
    }
}

#[test]
fn handshake_survives_loss_duplication_reordering() {
    for seed in 1..=12u64 {
        let (ike, esp) = SUITES[(seed as usize) % SUITES.len()];
        let mut sim = establish(ike, esp, BAD, seed * 7919);
        assert_children_match(
            Sim::child_ups(&sim.ini_events)[0],
            Sim::child_ups(&sim.resp_events)[0],
        );
        // Rekey the Child SA, then the IKE SA, over the same bad link.
        let old = sim.ini.current().child_spis()[0];
        let now = sim.now;
        sim.ini.current_mut().rekey_child(now, old);
        let ok = sim.run_until(Duration::from_secs(120), |s| {
            Sim::child_ups(&s.ini_events).len() == 2
                && s.ini.current().child_spis().len() == 1
                && s.resp.session(1).is_some_and(|r| r.child_spis().len() == 1)
        });
        assert!(
            ok,
            "seed {seed}: child rekey did not complete: {:?}",
            sim.ini_events
        );
        let ups_i = Sim::child_ups(&sim.ini_events);
        let ups_r = Sim::child_ups(&sim.resp_events);
        assert_eq!(ups_i[1].replaces, Some(old));
        assert_children_match(ups_i[1], ups_r[1]);
        let now = sim.now;
        sim.ini.current_mut().rekey_ike(now);
        let ok = sim.run_until(Duration::from_secs(120), |s| {
            s.ini_events
                .iter()
                .any(|e| matches!(e, Event::IkeRekeyed(_)))
                && s.ini.current().local_spis().len() == 1
                && s.resp.session(1).is_some_and(|r| r.local_spis().len() == 1)
        });
        assert!(ok, "seed {seed}: IKE rekey did not complete");
        assert_eq!(
            sim.ini.current().spis(),
            sim.resp.session(1).unwrap().spis(),
            "seed {seed}: {:?}\n{:?}",
            names(&sim.ini_events),
            names(&sim.resp_events)
        );
        // The rekeyed SA still works: a liveness check and then a clean delete.
        let now = sim.now;
        sim.ini.close(now);
        let ok = sim.run_until(Duration::from_secs(200), |s| {
            s.ini.current().state() == State::Closed && s.resp.session_ids().is_empty()
        });
        assert!(ok, "seed {seed}: close did not complete");
        assert!(sim
            .ini_events
            .contains(&Event::Closed(CloseReason::LocalClose)));
        assert_eq!(sim.resp.pool_in_use(), 0, "lease released");
    }
}

#[test]
fn rekeys_driven_by_responder() {
    let mut sim = establish(SUITES[0].0, SUITES[0].1, CLEAN, 99);
    let spi = sim.resp.session(1).unwrap().child_spis()[0];
    let now = sim.now;
    sim.resp.with_session(1, |s| s.rekey_child(now, spi));
    assert!(
        sim.run_until(Duration::from_secs(30), |s| Sim::child_ups(&s.ini_events)
            .len()
            == 2
            && s.ini.current().child_spis().len() == 1)
    );
    assert_children_match(
        Sim::child_ups(&sim.ini_events)[1],
        Sim::child_ups(&sim.resp_events)[1],
    );
    let before = sim.ini.current().spis();
    let now = sim.now;
    sim.resp.with_session(1, |s| s.rekey_ike(now));
    assert!(
        sim.run_until(Duration::from_secs(30), |s| s.ini.current().spis()
            != before
            && s.ini.current().local_spis().len() == 1
            && s.resp.session(1).unwrap().local_spis().len() == 1)
    );
    assert_ne!(sim.ini.current().spis(), before);
    assert_eq!(
        sim.ini.current().spis(),
        sim.resp.session(1).unwrap().spis(),
        "{:?}\n{:?}",
        names(&sim.ini_events),
        names(&sim.resp_events)
    );
    // After the responder's rekey, the responder is the new SA's initiator; a
    // Child rekey by the original initiator still works on it.
    let old = sim.ini.current().child_spis()[0];
    let now = sim.now;
    sim.ini.current_mut().rekey_child(now, old);
    assert!(
        sim.run_until(Duration::from_secs(30), |s| Sim::child_ups(&s.ini_events)
            .len()
            == 3
            && s.ini.current().child_spis().len() == 1)
    );
    let now = sim.now;
    sim.resp.with_session(1, |s| s.close(now));
    assert!(
        sim.run_until(Duration::from_secs(30), |s| s.ini.current().state()
            == State::Closed)
    );
    assert!(sim
        .ini_events
        .contains(&Event::Closed(CloseReason::PeerDeleted)));
}

#[test]
fn wrong_psk_is_an_authentication_failure() {
    let (mut c, r) = configs(SUITES[1].0, SUITES[1].1);
    c.local_auth = LocalAuth::Psk(Secret::from_slice(b"not-the-right-key"));
    c.peer_auth = Some(PeerAuth::Psk(Secret::from_slice(PSK)));
    let mut sim = Sim::new(c, r, CLEAN, 5);
    assert!(
        sim.run_until(Duration::from_secs(30), |s| s.ini.current().state()
            == State::Closed)
    );
    assert!(
        matches!(
            sim.ini_events.last(),
            Some(Event::Closed(CloseReason::AuthenticationFailed(_)))
        ),
        "{:?}",
        sim.ini_events
    );
    assert!(Sim::child_ups(&sim.ini_events).is_empty());
    assert!(
        sim.resp.session_ids().is_empty(),
        "responder dropped the half-open SA"
    );
    assert_eq!(sim.resp.pool_in_use(), 0);
}

#[test]
fn no_proposal_chosen() {
    let (c, mut r) = configs("aes256gcm16-prfsha384-ecp384", "aes256gcm16");
    r.base.ike_proposals = vec![IkeProposal::parse("aes128-sha256-modp2048").unwrap()];
    let mut sim = Sim::new(c, r, CLEAN, 6);
    assert!(
        sim.run_until(Duration::from_secs(30), |s| s.ini.current().state()
            == State::Closed)
    );
    assert_eq!(
        sim.ini_events.last(),
        Some(&Event::Closed(CloseReason::NoProposalChosen))
    );
}

#[test]
fn invalid_ke_retry_with_requested_group() {
    let (mut c, mut r) = configs("aes256gcm16-prfsha256-x25519", "aes256gcm16");
    c.ike_proposals = vec![IkeProposal::parse("aes256gcm16-prfsha256-x25519-ecp384").unwrap()];
    r.base.ike_proposals = vec![IkeProposal::parse("aes256gcm16-prfsha256-ecp384").unwrap()];
    let mut sim = Sim::new(c, r, CLEAN, 8);
    assert!(sim.run_until(Duration::from_secs(30), |s| s.established()));
    let up = sim
        .ini_events
        .iter()
        .find_map(|e| {
            if let Event::IkeUp(i) = e {
                Some(i)
            } else {
                None
            }
        })
        .unwrap();
    assert_eq!(up.suite.dh, ibex_ike::crypto::DhGroup::Ecp384);
}

#[test]
fn cookie_challenge() {
    let (c, mut r) = configs(SUITES[1].0, SUITES[1].1);
    r.cookie_threshold = 0;
    let mut sim = Sim::new(c, r, CLEAN, 9);
    assert!(sim.run_until(Duration::from_secs(30), |s| s.established()));
}

#[test]
fn nat_detected_moves_to_4500() {
    let (c, r) = configs(SUITES[1].0, SUITES[1].1);
    let mut sim = Sim::new(c, r, CLEAN, 10);
    sim.nat = Some(addr("192.0.2.3:20000"));
    assert!(sim.run_until(Duration::from_secs(30), |s| s.established()));
    let up = sim
        .ini_events
        .iter()
        .find_map(|e| {
            if let Event::IkeUp(i) = e {
                Some(i)
            } else {
                None
            }
        })
        .unwrap();
    assert!(up.nat_local && !up.nat_remote);
    assert_eq!(sim.ini.endpoints().1.port(), 4500);
    assert!(Sim::child_ups(&sim.ini_events)[0].encap);
}

#[test]
fn forced_encapsulation_without_nat() {
    let (mut c, r) = configs(SUITES[0].0, SUITES[0].1);
    c.force_encap = true;
    let mut sim = Sim::new(c, r, CLEAN, 11);
    assert!(sim.run_until(Duration::from_secs(30), |s| s.established()));
    assert_eq!(sim.ini.endpoints().0.port(), 4500);
    assert!(
        Sim::child_ups(&sim.resp_events)[0].encap,
        "the responder saw a NAT too"
    );
}

#[test]
fn dead_peer_is_detected() {
    let (mut c, r) = configs(SUITES[1].0, SUITES[1].1);
    c.dpd_interval = Some(Duration::from_secs(10));
    let mut sim = Sim::new(c, r, CLEAN, 12);
    assert!(sim.run_until(Duration::from_secs(30), |s| s.established()));
    sim.link.loss = 1.0;
    let lost = sim.now;
    assert!(
        sim.run_until(Duration::from_secs(600), |s| s.ini.current().state()
            == State::Closed)
    );
    assert_eq!(
        sim.ini_events.last(),
        Some(&Event::Closed(CloseReason::PeerDead))
    );
    // Bounded: the check starts after the interval of silence, and gives up
    // after the liveness timeout (30 s by default), not after the whole
    // retransmission schedule.
    let took = sim.now.duration_since(lost);
    assert!(
        took <= Duration::from_secs(10 + 30 + 1),
        "dead after {took:?}"
    );
}

#[test]
fn restarted_gateway_is_noticed_at_once() {
    let (mut c, r) = configs(SUITES[1].0, SUITES[1].1);
    c.dpd_interval = Some(Duration::from_secs(10));
    let mut sim = Sim::new(c, r.clone(), CLEAN, 13);
    assert!(sim.run_until(Duration::from_secs(30), |s| s.established()));
    // The gateway restarts: it has forgotten every SA.
    sim.resp = Responder::new(r, Box::new(|| Box::new(SeededRandom::new(99))));
    let restarted = sim.now;
    assert!(
        sim.run_until(Duration::from_secs(120), |s| s.ini.current().state()
            == State::Closed)
    );
    assert_eq!(
        sim.ini_events.last(),
        Some(&Event::Closed(CloseReason::PeerForgot))
    );
    // One liveness check after the interval, answered INVALID_IKE_SPI.
    let took = sim.now.duration_since(restarted);
    assert!(took <= Duration::from_secs(11), "noticed after {took:?}");
}

#[test]
fn unreachable_gateway_times_out() {
    let (c, r) = configs(SUITES[1].0, SUITES[1].1);
    let mut sim = Sim::new(
        c,
        r,
        Link {
            loss: 1.0,
            dup: 0.0,
            jitter_ms: 0,
        },
        13,
    );
    assert!(
        sim.run_until(Duration::from_secs(600), |s| s.ini.current().state()
            == State::Closed)
    );
    assert_eq!(
        sim.ini_events.last(),
        Some(&Event::Closed(CloseReason::Timeout))
    );
}

#[test]
fn keylog_lines_are_emitted_when_asked() {
    let sim = establish(SUITES[2].0, SUITES[2].1, CLEAN, 14);
    let lines: Vec<_> = sim
        .ini_events
        .iter()
        .filter_map(|e| {
            if let Event::KeyLog(l) = e {
                Some(l.expose().to_string())
            } else {
                None
            }
        })
        .collect();
    assert_eq!(lines.len(), 3, "one IKE line and two ESP lines: {lines:?}");
    let (spi_i, spi_r) = sim.ini.current().spis().unwrap();
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    assert!(
        lines[0].starts_with(&format!("{},{},", hex(&spi_i), hex(&spi_r))),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("\"AES-CBC-256 [RFC3602]\""));
    assert!(lines[0].ends_with("\"HMAC_SHA2_256_128 [RFC4868]\""));
    assert!(lines[1].starts_with("\"IPv4\",\"*\",\"*\",\"0x"));
    assert!(
        sim.resp_events
            .iter()
            .all(|e| !matches!(e, Event::KeyLog(_))),
        "off unless asked"
    );
}

/// Garbage and tampered messages never change an established session.
#[test]
fn hostile_input_changes_nothing() {
    let mut sim = establish(SUITES[0].0, SUITES[0].1, CLEAN, 15);
    let (spis, children, state) = (
        sim.ini.current().spis(),
        sim.ini.current().child_spis(),
        sim.ini.current().state(),
    );
    let events_before = sim.ini_events.len();
    // Capture a real protected message: a liveness request from the responder.
    let now = sim.now;
    sim.resp.with_session(1, |s| s.check_liveness(now));
    let real = sim.resp.poll_transmit().unwrap();
    let mut prng = Prng(77);
    let from = real.local;
    let to = real.remote;
    for i in 0..3000 {
        let mut data = real.data.clone();
        match i % 3 {
            0 => {
                let pos = (prng.next() as usize) % data.len();
                data[pos] ^= 1 << (prng.next() % 8);
            }
            1 => data.truncate((prng.next() as usize) % data.len()),
            _ => {
                let n = (prng.next() % 300) as usize;
                data = (0..n).map(|_| prng.next() as u8).collect();
            }
        }
        if data == real.data {
            continue;
        }
        sim.ini.handle_datagram(now, to, from, &data);
    }
    assert!(
        sim.ini.poll_transmit().is_none(),
        "no answer to forged messages"
    );
    assert!(sim.ini.poll_event().is_none());
    assert_eq!(
        (
            sim.ini.current().spis(),
            sim.ini.current().child_spis(),
            sim.ini.current().state()
        ),
        (spis, children, state)
    );
    assert_eq!(sim.ini_events.len(), events_before);
    // And the real one is still accepted afterwards.
    sim.ini.handle_datagram(now, to, from, &real.data);
    assert!(sim.ini.poll_transmit().is_some());
}

#[test]
fn secrets_do_not_appear_in_debug_output() {
    let sim = establish(SUITES[0].0, SUITES[0].1, CLEAN, 16);
    let dump = format!("{:?}{:?}", sim.ini_events, sim.resp_events);
    let c = Sim::child_ups(&sim.ini_events)[0];
    let hex: String = c
        .encr_out
        .expose()
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect();
    assert!(!dump.contains(&hex));
    assert!(!dump.contains(&format!("{:?}", c.encr_out.expose())));
    assert!(!dump.contains(std::str::from_utf8(PSK).unwrap()));
}

#[test]
fn fragmentation_under_loss() {
    for seed in 20..26u64 {
        let (mut c, mut r) = configs(SUITES[2].0, SUITES[2].1);
        c.fragment_mtu = Some(330);
        r.base.fragment_mtu = Some(330);
        // Many selectors make IKE_AUTH larger than one fragment.
        c.remote_ts = (0..20)
            .map(|i| {
                ibex_ike::message::TrafficSelector::from_prefix(
                    std::net::IpAddr::from([10, 99, i, 0]),
                    24,
                )
            })
            .collect();
        r.base.local_ts = c.remote_ts.clone();
        let mut sim = Sim::new(c, r, BAD, seed);
        assert!(
            sim.run_until(Duration::from_secs(300), |s| s.established()),
            "seed {seed}: {:?}",
            names(&sim.ini_events)
        );
        let ci = Sim::child_ups(&sim.ini_events)[0];
        assert_eq!(ci.ts_remote.len(), 20);
        assert_children_match(ci, Sim::child_ups(&sim.resp_events)[0]);
        let up = sim
            .ini_events
            .iter()
            .find_map(|e| {
                if let Event::IkeUp(i) = e {
                    Some(i)
                } else {
                    None
                }
            })
            .unwrap();
        assert!(up.fragmentation);
    }
}

#[test]
fn fragments_are_actually_sent() {
    let (mut c, mut r) = configs(SUITES[0].0, SUITES[0].1);
    c.fragment_mtu = Some(300);
    r.base.fragment_mtu = Some(300);
    c.remote_ts = (0..20)
        .map(|i| {
            ibex_ike::message::TrafficSelector::from_prefix(
                std::net::IpAddr::from([10, 99, i, 0]),
                24,
            )
        })
        .collect();
    let mut sim = Sim::new(c, r, CLEAN, 3);
    let mut sizes = Vec::new();
    let mut seen_skf = false;
    assert!(sim.run_until(Duration::from_secs(30), |s| {
        for p in &s.air {
            // SKF is payload type 53 in the header's next-payload byte.
            if p.data.len() > 16 && p.data[16] == 53 {
                seen_skf = true;
            }
            // IKE_SA_INIT (exchange 34) cannot be fragmented.
            if p.data[18] != 34 {
                sizes.push(p.data.len());
            }
        }
        s.established()
    }));
    assert!(seen_skf, "IKE_AUTH was fragmented");
    assert!(
        !sizes.is_empty() && sizes.iter().all(|n| *n <= 300 - 20 - 8),
        "every protected datagram fits the MTU: {sizes:?}"
    );
}

#[test]
fn mobike_moves_the_sa_without_a_new_sign_in() {
    for (seed, link) in [(30u64, CLEAN), (31, BAD), (32, BAD)] {
        let mut sim = establish(SUITES[1].0, SUITES[1].1, link, seed);
        let up = sim
            .ini_events
            .iter()
            .find_map(|e| {
                if let Event::IkeUp(i) = e {
                    Some(i.clone())
                } else {
                    None
                }
            })
            .unwrap();
        assert!(up.mobike, "MOBIKE negotiated");
        assert_eq!(
            sim.ini.endpoints().0.port(),
            4500,
            "MOBIKE moves IKE to 4500 at IKE_AUTH"
        );
        let (children, spis) = (sim.ini.current().child_spis(), sim.ini.current().spis());
        let old_ip = sim.ini.endpoints().0.ip();
        sim.dead_ip = Some(old_ip);
        let now = sim.now;
        assert!(sim.ini.current_mut().migrate(now, addr("203.0.113.2:4500")));
        let new = addr("203.0.113.2:4500");
        let ok = sim.run_until(Duration::from_secs(120), |s| {
            s.resp.session(1).is_some_and(|r| r.endpoints().1 == new) && s.ini_is_idle()
        });
        assert!(
            ok,
            "seed {seed}: responder followed the move: {:?}",
            names(&sim.resp_events)
        );
        assert_eq!(sim.ini.current().child_spis(), children, "same Child SAs");
        assert_eq!(sim.ini.current().spis(), spis, "same IKE SA");
        assert_eq!(
            Sim::child_ups(&sim.ini_events).len(),
            1,
            "no new sign-in, no new Child SA"
        );
        assert!(sim
            .resp_events
            .iter()
            .any(|e| matches!(e, Event::EndpointsChanged { remote, .. } if *remote == new)));
        // The SA keeps working on the new path: a Child SA rekey completes there.
        let now = sim.now;
        sim.ini.current_mut().rekey_child(now, children[0]);
        assert!(
            sim.run_until(Duration::from_secs(120), |s| Sim::child_ups(&s.ini_events)
                .len()
                == 2
                && s.ini.current().child_spis().len() == 1),
            "seed {seed}"
        );
    }
}

#[test]
fn mobike_move_out_from_behind_a_nat_is_reported() {
    let (c, r) = configs(SUITES[1].0, SUITES[1].1);
    let mut sim = Sim::new(c, r, CLEAN, 33);
    sim.nat = Some(addr("192.0.2.3:20000"));
    assert!(sim.run_until(Duration::from_secs(30), |s| s.established()));
    assert_eq!(sim.ini.current().nat(), (true, false), "behind the NAT");
    // The new uplink has a public address: no NAT on the new path.
    sim.nat = None;
    let before = sim.ini_events.len();
    let now = sim.now;
    assert!(sim.ini.current_mut().migrate(now, addr("203.0.113.2:4500")));
    assert!(sim.run_until(Duration::from_secs(60), |s| s.ini_is_idle()
        && s.resp
            .session(1)
            .is_some_and(|r| r.endpoints().1 == addr("203.0.113.2:4500"))));
    assert_eq!(sim.ini.current().nat(), (false, false), "no NAT any more");
    // One EndpointsChanged for the move, one once the gateway confirmed it
    // (with the new NAT detection): the caller's cue to look again.
    let changed = sim.ini_events[before..]
        .iter()
        .filter(|e| matches!(e, Event::EndpointsChanged { .. }))
        .count();
    assert_eq!(changed, 2, "{:?}", names(&sim.ini_events[before..]));
}

#[test]
fn migrate_without_mobike_is_refused() {
    let (mut c, r) = configs(SUITES[1].0, SUITES[1].1);
    c.mobike = false;
    let mut sim = Sim::new(c, r, CLEAN, 33);
    assert!(sim.run_until(Duration::from_secs(30), |s| s.established()));
    let now = sim.now;
    assert!(
        !sim.ini.current_mut().migrate(now, addr("203.0.113.2:500")),
        "caller must reconnect instead"
    );
    assert_eq!(
        sim.ini.endpoints().0,
        addr("198.51.100.2:500"),
        "no NAT, no MOBIKE: IKE stays on 500"
    );
}

fn state(s: &Sim) -> String {
    let r = s.resp.session(1).unwrap();
    format!(
        "ini: spis {:?} local {:?} idle {} children {:?}\nresp: spis {:?} local {:?} idle {} children {:?}",
        s.ini.current().spis(), s.ini.current().local_spis(), s.ini.current().is_idle(), s.ini.current().child_spis(), r.spis(), r.local_spis(), r.is_idle(), r.child_spis()
    )
}

/// Both sides idle with exactly one IKE SA and one Child SA, and they agree.
fn settled(s: &Sim) -> bool {
    let Some(r) = s.resp.session(1) else {
        return false;
    };
    s.ini.current().is_idle()
        && r.is_idle()
        && s.ini.current().local_spis().len() == 1
        && r.local_spis().len() == 1
        && s.ini.current().spis() == r.spis()
        && s.ini.current().child_spis().len() == 1
        && r.child_spis().len() == 1
}

#[test]
fn simultaneous_child_rekeys_leave_one_child() {
    for seed in 40..52u64 {
        let link = if seed % 2 == 0 { CLEAN } else { BAD };
        let mut sim = establish(SUITES[0].0, SUITES[0].1, link, seed);
        let (ci, cr) = (
            sim.ini.current().child_spis()[0],
            sim.resp.session(1).unwrap().child_spis()[0],
        );
        let now = sim.now;
        sim.ini.current_mut().rekey_child(now, ci);
        sim.resp.with_session(1, |s| s.rekey_child(now, cr));
        assert!(
            sim.run_until(Duration::from_secs(300), |s| settled(s)
                && Sim::child_ups(&s.ini_events).len() >= 2),
            "seed {seed}: ini {:?} resp {:?}",
            names(&sim.ini_events),
            names(&sim.resp_events)
        );
        // The survivor is the same SA on both sides, and it is new.
        let (i, r) = (
            sim.ini.current().child_spis()[0],
            sim.resp.session(1).unwrap().child_spis()[0],
        );
        assert_ne!(i, ci);
        let ui = Sim::child_ups(&sim.ini_events)
            .into_iter()
            .find(|c| c.spi_in == i)
            .unwrap();
        let ur = Sim::child_ups(&sim.resp_events)
            .into_iter()
            .find(|c| c.spi_in == r)
            .unwrap();
        assert_children_match(ui, ur);
    }
}

#[test]
fn simultaneous_ike_rekeys_leave_one_ike_sa() {
    let seeds: Vec<u64> = match std::env::var("IBEX_SIM_SEED") {
        Ok(v) => vec![v.parse().unwrap()],
        Err(_) => (60..72).collect(),
    };
    for seed in seeds {
        let link = if seed % 2 == 0 { CLEAN } else { BAD };
        let mut sim = establish(SUITES[1].0, SUITES[1].1, link, seed);
        let before = sim.ini.current().spis();
        let now = sim.now;
        sim.ini.current_mut().rekey_ike(now);
        sim.resp.with_session(1, |s| s.rekey_ike(now));
        assert!(
            sim.run_until(Duration::from_secs(300), |s| settled(s)
                && s.ini.current().spis() != before),
            "seed {seed}: ini {:?} resp {:?}\n{}",
            names(&sim.ini_events),
            names(&sim.resp_events),
            state(&sim)
        );
        // The surviving SA works: a Child SA rekey and a clean close over it.
        let c = sim.ini.current().child_spis()[0];
        let now = sim.now;
        sim.ini.current_mut().rekey_child(now, c);
        assert!(
            sim.run_until(Duration::from_secs(300), |s| settled(s)
                && s.ini.current().child_spis()[0] != c),
            "seed {seed}"
        );
        let now = sim.now;
        sim.ini.close(now);
        assert!(
            sim.run_until(Duration::from_secs(300), |s| s.ini.current().state()
                == State::Closed
                && s.resp.session_ids().is_empty()),
            "seed {seed}"
        );
        assert!(sim
            .ini_events
            .contains(&Event::Closed(CloseReason::LocalClose)));
    }
}

/// A CA and certificates for both sides, made with rcgen.
fn cert_configs(
    ike: &str,
    esp: &str,
    gw_alg: &'static rcgen::SignatureAlgorithm,
    cli_alg: &'static rcgen::SignatureAlgorithm,
) -> (Config, ResponderConfig) {
    use ibex_ike::auth::{CertCredential, TrustAnchors};
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, SanType,
    };
    let mut ca_params = CertificateParams::default();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Ibex Simulation CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(
        ca_params,
        KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap(),
    )
    .unwrap();
    let leaf = |name: &str, alg: &'static rcgen::SignatureAlgorithm| {
        let key = KeyPair::generate_for(alg).unwrap();
        let mut p = CertificateParams::default();
        p.distinguished_name.push(DnType::CommonName, name);
        p.subject_alt_names = vec![SanType::DnsName(name.try_into().unwrap())];
        let cert = p.signed_by(&key, &ca).unwrap();
        CertCredential::from_der(vec![cert.der().to_vec()], &key.serialize_der()).unwrap()
    };
    let anchors = TrustAnchors::from_der(vec![ca.der().to_vec()]).unwrap();
    let (mut c, mut r) = configs(ike, esp);
    c.local_auth = LocalAuth::Certificate(leaf("client.ibex.test", cli_alg));
    c.peer_auth = Some(PeerAuth::Certificate(anchors.clone()));
    r.base.local_auth = LocalAuth::Certificate(leaf("gw.ibex.test", gw_alg));
    r.peers = vec![PeerEntry {
        id: Identity::parse("client.ibex.test"),
        auth: PeerAuth::Certificate(anchors),
        extra: vec![],
    }];
    (c, r)
}

#[test]
fn certificate_authentication() {
    let algs: [(
        &'static rcgen::SignatureAlgorithm,
        &'static rcgen::SignatureAlgorithm,
    ); 3] = [
        (
            &rcgen::PKCS_ECDSA_P256_SHA256,
            &rcgen::PKCS_ECDSA_P384_SHA384,
        ),
        (&rcgen::PKCS_ECDSA_P384_SHA384, &rcgen::PKCS_ED25519),
        (&rcgen::PKCS_ED25519, &rcgen::PKCS_ECDSA_P256_SHA256),
    ];
    for (i, (gw, cli)) in algs.into_iter().enumerate() {
        let (ike, esp) = SUITES[i];
        let (c, r) = cert_configs(ike, esp, gw, cli);
        let link = if i == 1 { BAD } else { CLEAN };
        let mut sim = Sim::new(c, r, link, 80 + i as u64);
        assert!(
            sim.run_until(Duration::from_secs(120), |s| s.established()),
            "{i}: {:?}",
            names(&sim.ini_events)
        );
        assert_children_match(
            Sim::child_ups(&sim.ini_events)[0],
            Sim::child_ups(&sim.resp_events)[0],
        );
    }
}

#[test]
fn certificate_for_another_identity_is_refused() {
    let (mut c, r) = cert_configs(
        SUITES[0].0,
        SUITES[0].1,
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &rcgen::PKCS_ECDSA_P256_SHA256,
    );
    c.remote_id = None;
    let mut r = r;
    // The gateway claims an identity its certificate does not carry.
    r.base.local_id = Identity::parse("other.ibex.test");
    let mut sim = Sim::new(c, r, CLEAN, 90);
    assert!(
        sim.run_until(Duration::from_secs(30), |s| s.ini.current().state()
            == State::Closed)
    );
    match sim.ini_events.last() {
        Some(Event::Closed(CloseReason::AuthenticationFailed(why))) => {
            assert!(why.contains("other.ibex.test"), "{why}")
        }
        other => panic!("{other:?}"),
    }
    assert!(Sim::child_ups(&sim.ini_events).is_empty());
}

#[test]
fn certificate_from_an_unknown_ca_is_refused() {
    let (c, _) = cert_configs(
        SUITES[0].0,
        SUITES[0].1,
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &rcgen::PKCS_ECDSA_P256_SHA256,
    );
    // The responder trusts a different CA than the one that issued the client's certificate.
    let (_, r) = cert_configs(
        SUITES[0].0,
        SUITES[0].1,
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &rcgen::PKCS_ECDSA_P256_SHA256,
    );
    let mut sim = Sim::new(c, r, CLEAN, 91);
    assert!(
        sim.run_until(Duration::from_secs(30), |s| s.ini.current().state()
            == State::Closed)
    );
    assert!(
        matches!(
            sim.ini_events.last(),
            Some(Event::Closed(CloseReason::AuthenticationFailed(_)))
        ),
        "{:?}",
        sim.ini_events
    );
    assert!(sim
        .resp_events
        .iter()
        .any(|e| matches!(e, Event::Closed(CloseReason::AuthenticationFailed(_)))));
    assert!(sim.resp.session_ids().is_empty());
}

#[test]
fn higher_major_version_gets_invalid_major_version() {
    use ibex_ike::message::{Message, NotifyType, Payload};
    let (c, r) = configs(SUITES[1].0, SUITES[1].1);
    let mut sim = Sim::new(c, r, CLEAN, 95);
    let mut init = sim.ini.poll_transmit().unwrap();
    init.data[17] = 0x30; // IKE version 3.0
    let now = sim.now;
    sim.resp
        .handle_datagram(now, init.remote, init.local, &init.data);
    let reply = sim.resp.poll_transmit().expect("an answer");
    let msg = Message::decode(&reply.data).unwrap();
    assert_eq!(msg.header.version, 0x20, "the version we speak");
    assert!(
        matches!(&msg.payloads[..], [Payload::Notify(n)] if n.kind == NotifyType::INVALID_MAJOR_VERSION)
    );
    assert!(sim.resp.session_ids().is_empty(), "no state kept");
}

#[test]
fn lifetimes_rekey_by_themselves() {
    let (mut c, r) = configs(SUITES[0].0, SUITES[0].1);
    c.ike_lifetime = Some(Duration::from_secs(60));
    c.child_lifetime = Some(Duration::from_secs(30));
    let mut sim = Sim::new(c, r, CLEAN, 31);
    assert!(sim.run_until(Duration::from_secs(30), |s| s.established()));
    let up = sim.now;
    sim.run_until(Duration::from_secs(200), |_| false);
    let ike_rekeys = sim
        .ini_events
        .iter()
        .filter(|e| matches!(e, Event::IkeRekeyed(_)))
        .count();
    let child_rekeys = Sim::child_ups(&sim.ini_events)
        .iter()
        .filter(|c| c.replaces.is_some())
        .count();
    // 200 s: every 54-60 s for IKE, every 27-30 s for the Child SA.
    assert!((3..=4).contains(&ike_rekeys), "{ike_rekeys} IKE rekeys");
    assert!(
        (6..=8).contains(&child_rekeys),
        "{child_rekeys} Child rekeys"
    );
    assert_eq!(
        sim.ini.current().child_spis().len(),
        1,
        "old Child SAs deleted"
    );
    assert_eq!(sim.ini.current().state(), State::Established);
    assert!(sim.now > up + Duration::from_secs(170));
}

/// CREATE_CHILD_SA requests the initiator sent (IKE header: exchange type
/// at 18, flags at 19; a non-ESP marker first on port 4500).
fn create_child_requests(sent: &[Vec<u8>]) -> usize {
    sent.iter()
        .map(|d| {
            if d.starts_with(&[0; 4]) {
                &d[4..]
            } else {
                &d[..]
            }
        })
        .filter(|m| m.len() > 19 && m[18] == 36 && m[19] & 0x20 == 0)
        .count()
}

#[test]
fn a_refused_child_rekey_is_tried_again() {
    // The client wants PFS on rekeys; the gateway offers no group, so it
    // refuses the rekey (NO_PROPOSAL_CHOSEN). The Child SA of IKE_AUTH
    // has no key exchange, so the tunnel comes up all the same.
    let (mut c, mut r) = configs(SUITES[3].0, "aes128gcm16-ecp256");
    r.base.esp_proposals = vec![EspProposal::parse("aes128gcm16").unwrap()];
    c.child_lifetime = Some(Duration::from_secs(30));
    let mut sim = Sim::new(c, r, CLEAN, 41);
    assert!(sim.run_until(Duration::from_secs(30), |s| s.established()));
    let first = sim.ini.current().child_spis();
    sim.run_until(Duration::from_secs(200), |_| false);
    // Due after 27-30 s, refused, tried again every 54-60 s.
    let tries = create_child_requests(&sim.ini_sent);
    assert!((3..=5).contains(&tries), "{tries} rekey requests in 200 s");
    // Refusals change nothing: the first Child SA carries on.
    assert_eq!(sim.ini.current().child_spis(), first);
    assert_eq!(sim.ini.current().state(), State::Established);
    assert!(!Sim::child_ups(&sim.ini_events)
        .iter()
        .any(|c| c.replaces.is_some()));
}

#[test]
fn mobike_moves_to_the_gateways_other_family() {
    let (c, mut r) = configs(SUITES[1].0, SUITES[1].1);
    let gw6: std::net::IpAddr = "2001:db8:2::1".parse().unwrap();
    r.base.additional_addresses = vec!["192.0.2.1".parse().unwrap(), gw6];
    let mut sim = Sim::new(c, r, BAD, 41);
    assert!(sim.run_until(Duration::from_secs(60), |s| s.established()));
    // The gateway announced the address it was not reached at.
    assert_eq!(sim.ini.current().peer_addresses(), &[gw6]);
    let children = sim.ini.current().child_spis();
    // IPv4 goes away; the client moves to IPv6 on both ends.
    sim.dead_ip = Some(sim.ini.endpoints().0.ip());
    let now = sim.now;
    let local = addr("[2001:db8:2::2]:4500");
    assert!(sim.ini.current_mut().migrate_to(now, local, gw6));
    assert!(
        sim.run_until(Duration::from_secs(120), |s| {
            s.resp
                .session(1)
                .is_some_and(|r| r.endpoints() == (addr("[2001:db8:2::1]:4500"), local))
                && s.ini_is_idle()
        }),
        "{:?}",
        names(&sim.resp_events)
    );
    assert_eq!(sim.ini.endpoints().1, addr("[2001:db8:2::1]:4500"));
    assert_eq!(sim.ini.current().child_spis(), children, "same Child SAs");
    // And it keeps working there.
    let now = sim.now;
    sim.ini.current_mut().check_liveness(now);
    assert!(sim.run_until(Duration::from_secs(60), |s| s.ini_is_idle()));
    assert_eq!(sim.ini.current().state(), State::Established);
}

#[test]
fn an_unauthenticated_gateway_is_told_authentication_failed() {
    // The gateway proves itself with another key than the client expects:
    // its AUTH does not verify (RFC 7296 2.21.2); the client says so and
    // the gateway drops the SA at once instead of keeping it until it
    // times out.
    let (c, mut r) = configs(SUITES[1].0, SUITES[1].1);
    r.base.local_auth = LocalAuth::Psk(Secret::from_slice(b"an-impostor-gateway-key-0123"));
    let mut sim = Sim::new(c, r, CLEAN, 51);
    assert!(sim.run_until(Duration::from_secs(30), |s| {
        s.resp_events.iter().any(|e| matches!(e, Event::Closed(_)))
    }));
    assert!(matches!(
        sim.ini_events.last(),
        Some(Event::Closed(CloseReason::AuthenticationFailed(_)))
    ));
    assert!(
        sim.resp_events
            .iter()
            .any(|e| matches!(e, Event::Closed(CloseReason::AuthenticationFailed(_)))),
        "{:?}",
        names(&sim.resp_events)
    );
    assert!(sim.resp.session_ids().is_empty());
    assert_eq!(sim.resp.pool_in_use(), 0);
}
