//! Complete IKEv2 handshakes per second (IKE_SA_INIT + IKE_AUTH with PSK, up
//! to the first Child SA), both roles in memory, one group per measurement:
//!
//! * `handshake/<suite>`: initiator and responder CPU together, one iteration
//!   = `Session::initiate` + `Responder::new` + every datagram exchanged until
//!   both sides emitted `Event::ChildUp`.
//! * `responder/<suite>`: the same handshake, timing only the responder's
//!   calls (`Responder::new`, `handle_datagram`, `poll_transmit`,
//!   `poll_event`): the gateway's CPU cost per accepted client.
//!
//! Run with `cargo bench -p ibex-ike --bench handshake`.

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ibex_ike::crypto::{Secret, SeededRandom};
use ibex_ike::message::TrafficSelector;
use ibex_ike::proposal::{EspProposal, IkeProposal};
use ibex_ike::{
    Config, Event, Identity, LocalAuth, PeerAuth, PeerEntry, Responder, ResponderConfig, Session,
};

const PSK: &[u8] = b"benchmark-psk-0123456789abcdef";

/// (IKE proposal, ESP proposal).
const SUITES: &[(&str, &str)] = &[
    ("aes256gcm16-prfsha384-ecp384", "aes256gcm16"),
    ("chacha20poly1305-prfsha256-x25519", "chacha20poly1305"),
    ("aes256-sha256-modp3072", "aes256-sha256"),
    ("aes128gcm16-prfsha256-ecp256", "aes128gcm16"),
];

const INITIATOR: &str = "198.51.100.2:500";
const GATEWAY: &str = "192.0.2.1:500";

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

fn configs(ike: &str, esp: &str) -> (Arc<Config>, ResponderConfig) {
    let ike = IkeProposal::parse(ike).expect("IKE proposal");
    let esp = EspProposal::parse(esp).expect("ESP proposal");
    let lan = TrafficSelector::from_prefix("10.99.0.0".parse().expect("ip"), 24);

    let mut c = Config::new(
        Identity::parse("client.ibex.test"),
        LocalAuth::Psk(Secret::from_slice(PSK)),
    );
    c.ike_proposals = vec![ike.clone()];
    c.esp_proposals = vec![esp.clone()];
    c.remote_id = Some(Identity::parse("gw.ibex.test"));
    c.request_vip = true;
    c.remote_ts = vec![lan.clone()];

    let mut g = Config::new(
        Identity::parse("gw.ibex.test"),
        LocalAuth::Psk(Secret::from_slice(PSK)),
    );
    g.ike_proposals = vec![ike];
    g.esp_proposals = vec![esp];
    g.local_ts = vec![lan];
    g.remote_ts = vec![TrafficSelector::any_v4()];

    let r = ResponderConfig {
        base: g,
        peers: vec![PeerEntry {
            id: Identity::parse("client.ibex.test"),
            auth: PeerAuth::Psk(Secret::from_slice(PSK)),
            extra: vec![],
        }],
        pool: Some((
            "10.99.10.1".parse().expect("ip"),
            "10.99.10.20".parse().expect("ip"),
        )),
        dns: vec!["10.99.0.53".parse().expect("ip")],
        cookie_threshold: usize::MAX,
        eap_directory: None,
        eap_step_timeout: std::time::Duration::from_secs(120),
        eap_tls: None,
        eap_only: false,
        auth_lifetime: None,
        redirect: None,
    };
    (Arc::new(c), r)
}

/// Runs one complete handshake over a lossless in-memory link. Returns the
/// time spent inside the responder's calls.
fn handshake(c: &Arc<Config>, r: &ResponderConfig, seed: u64) -> Duration {
    let now = Instant::now();
    let (ini_addr, gw_addr) = (addr(INITIATOR), addr(GATEWAY));
    let mut ini = Session::initiate(
        c.clone(),
        now,
        ini_addr,
        gw_addr,
        Box::new(SeededRandom::new(seed)),
    );

    let mut resp_time = Duration::ZERO;
    let t = Instant::now();
    let mut n = seed;
    let mut resp = Responder::new(
        r.clone(),
        Box::new(move || {
            n = n.wrapping_add(0x9e37_79b9);
            Box::new(SeededRandom::new(n))
        }),
    );
    resp_time += t.elapsed();

    let (mut ini_up, mut resp_up) = (false, false);
    let mut rounds = 0;
    while !(ini_up && resp_up) {
        rounds += 1;
        assert!(rounds < 32, "handshake did not complete");
        let mut progressed = false;
        while let Some(tx) = ini.poll_transmit() {
            progressed = true;
            let t = Instant::now();
            resp.handle_datagram(now, tx.remote, tx.local, &tx.data);
            resp_time += t.elapsed();
        }
        let t = Instant::now();
        let mut replies = Vec::new();
        while let Some(tx) = resp.poll_transmit() {
            replies.push(tx);
        }
        while let Some((_, e)) = resp.poll_event() {
            resp_up |= matches!(e, Event::ChildUp(_));
            black_box(e);
        }
        resp_time += t.elapsed();
        for tx in replies {
            progressed = true;
            ini.handle_datagram(now, tx.remote, tx.local, &tx.data);
        }
        while let Some(e) = ini.poll_event() {
            if let Event::Closed(reason) = &e {
                panic!("initiator closed: {reason:?}");
            }
            ini_up |= matches!(e, Event::ChildUp(_));
            black_box(e);
        }
        assert!(progressed || (ini_up && resp_up), "handshake stalled");
    }
    black_box((ini, resp));
    resp_time
}

fn bench_handshake(crit: &mut Criterion) {
    let mut group = crit.benchmark_group("handshake");
    group
        .throughput(Throughput::Elements(1))
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    for (ike, esp) in SUITES {
        let (c, r) = configs(ike, esp);
        let mut seed = 1u64;
        group.bench_function(BenchmarkId::from_parameter(ike), |b| {
            b.iter(|| {
                seed += 1;
                handshake(&c, &r, seed)
            })
        });
    }
    group.finish();
}

fn bench_responder(crit: &mut Criterion) {
    let mut group = crit.benchmark_group("responder");
    group
        .throughput(Throughput::Elements(1))
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (ike, esp) in SUITES {
        let (c, r) = configs(ike, esp);
        let mut seed = 1u64;
        group.bench_function(BenchmarkId::from_parameter(ike), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        seed += 1;
                        handshake(&c, &r, seed)
                    })
                    .sum()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_handshake, bench_responder);
criterion_main!(benches);
