//! Shared harness of the `ibex-ike` fuzz targets: the fixed responder of
//! `session_responder`, its input format, and the matching initiator used by
//! `examples/gen_seeds.rs` to record real handshakes as seeds.
//!
//! # `session_responder` input format
//!
//! ```text
//! input  = mode:u8 record*
//! record = ctl:u8 len:u16be data[len]      (a short tail is ignored)
//! ```
//!
//! `mode` bit 0: cookies are demanded for every IKE_SA_INIT (threshold 0);
//! bit 1: the responder offers IKE fragmentation with a small MTU (300).
//!
//! `ctl` bit 0: the datagram arrives on port 4500 (from the peer's 4500);
//! bit 1: first advance the clock by 10 s and run due timers;
//! bit 2: the datagram comes from a different address (the peer moved / NAT).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use ibex_ike::crypto::{Secret, SeededRandom};
use ibex_ike::message::TrafficSelector;
use ibex_ike::proposal::{EspProposal, IkeProposal};
use ibex_ike::{
    Config, Event, Identity, LocalAuth, PeerAuth, PeerEntry, Responder, ResponderConfig, Retransmit,
};

pub const PSK: &[u8] = b"fuzz-psk-0123456789";
pub const CLIENT_ID: &str = "client.ibex.test";
pub const GATEWAY_ID: &str = "gw.ibex.test";

pub const MODE_COOKIES: u8 = 1;
pub const MODE_FRAGMENTS: u8 = 2;

pub const CTL_PORT_4500: u8 = 1;
pub const CTL_ADVANCE: u8 = 2;
pub const CTL_MOVED: u8 = 4;

/// Small MTU of the fragmentation mode.
pub const FRAGMENT_MTU: usize = 300;

/// The responder's suites: cheap key exchanges keep the fuzzer fast, and both
/// AEAD and CBC+HMAC SK payloads are covered.
pub const IKE_SUITES: &[&str] = &[
    "chacha20poly1305-prfsha256-x25519",
    "aes128gcm16-prfsha256-ecp256",
    "aes256-sha256-x25519",
];
pub const ESP_SUITES: &[&str] = &["chacha20poly1305", "aes128gcm16", "aes256-sha256"];

pub fn gateway_ip() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))
}
pub fn peer_ip() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(198, 51, 100, 2))
}
pub fn moved_peer_ip() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9))
}

fn lan() -> TrafficSelector {
    TrafficSelector::from_prefix(IpAddr::V4(Ipv4Addr::new(10, 99, 0, 0)), 24)
}

fn retransmit() -> Retransmit {
    Retransmit {
        initial: Duration::from_secs(1),
        factor: 2.0,
        max_interval: Duration::from_secs(8),
        tries: 3,
    }
}

/// The fixed responder configuration for `mode`.
pub fn responder_config(mode: u8) -> ResponderConfig {
    let mut g = Config::new(
        Identity::parse(GATEWAY_ID),
        LocalAuth::Psk(Secret::from_slice(PSK)),
    );
    g.ike_proposals = IKE_SUITES
        .iter()
        .map(|s| IkeProposal::parse(s).expect("IKE suite"))
        .collect();
    g.esp_proposals = ESP_SUITES
        .iter()
        .map(|s| EspProposal::parse(s).expect("ESP suite"))
        .collect();
    g.local_ts = vec![lan()];
    g.remote_ts = vec![TrafficSelector::any_v4()];
    g.retransmit = retransmit();
    g.dpd_interval = Some(Duration::from_secs(15));
    g.fragment_mtu = (mode & MODE_FRAGMENTS != 0).then_some(FRAGMENT_MTU);
    ResponderConfig {
        base: g,
        peers: vec![PeerEntry {
            id: Identity::parse(CLIENT_ID),
            auth: PeerAuth::Psk(Secret::from_slice(PSK)), extra: vec![],
        }],
        pool: Some((Ipv4Addr::new(10, 99, 10, 1), Ipv4Addr::new(10, 99, 10, 4))),
        dns: vec![IpAddr::V4(Ipv4Addr::new(10, 99, 0, 53))],
        cookie_threshold: if mode & MODE_COOKIES != 0 {
            0
        } else {
            usize::MAX
        },
        eap_directory: None,
        eap_step_timeout: Duration::from_secs(120),
        eap_tls: None,
        eap_only: false,
        auth_lifetime: None,
        redirect: None,
    }
}

/// A fresh responder whose randomness is fixed, so that recorded handshakes
/// replay exactly.
pub fn responder(mode: u8) -> Responder {
    let mut n = RESPONDER_SEED;
    Responder::new(
        responder_config(mode),
        Box::new(move || {
            n = n.wrapping_add(1);
            Box::new(SeededRandom::new(n))
        }),
    )
}

/// First seed of the responder's random sources.
const RESPONDER_SEED: u64 = 0x1bec;

/// An initiator configuration that the fixed responder accepts.
pub fn initiator_config(ike: &str, esp: &str, mode: u8) -> Config {
    let mut c = Config::new(
        Identity::parse(CLIENT_ID),
        LocalAuth::Psk(Secret::from_slice(PSK)),
    );
    c.ike_proposals = vec![IkeProposal::parse(ike).expect("IKE suite")];
    c.esp_proposals = vec![EspProposal::parse(esp).expect("ESP suite")];
    c.remote_id = Some(Identity::parse(GATEWAY_ID));
    c.request_vip = true;
    c.retransmit = retransmit();
    if mode & MODE_FRAGMENTS != 0 {
        c.fragment_mtu = Some(FRAGMENT_MTU);
        // Enough selectors that IKE_AUTH needs several fragments.
        c.remote_ts = (0..12u8)
            .map(|i| TrafficSelector::from_prefix(IpAddr::V4(Ipv4Addr::new(10, 99, i, 0)), 24))
            .collect();
    } else {
        c.remote_ts = vec![lan()];
    }
    c
}

/// One datagram of a `session_responder` input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub ctl: u8,
    pub data: &'a [u8],
}

/// Splits an input into its mode and records.
pub fn parse_input(input: &[u8]) -> (u8, Vec<Record<'_>>) {
    let Some((&mode, mut rest)) = input.split_first() else {
        return (0, Vec::new());
    };
    let mut records = Vec::new();
    while let [ctl, hi, lo, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(tail.len());
        let (data, next) = tail.split_at(len);
        records.push(Record { ctl: *ctl, data });
        rest = next;
    }
    (mode, records)
}

/// The inverse of [`parse_input`].
pub fn encode_input(mode: u8, records: &[Record<'_>]) -> Vec<u8> {
    let mut out = vec![mode];
    for r in records {
        let len = u16::try_from(r.data.len()).expect("datagram fits a u16 length");
        out.push(r.ctl);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(r.data);
    }
    out
}

/// What the responder did with an input (for seed sanity checks).
#[derive(Debug, Default)]
pub struct Outcome {
    pub transmits: usize,
    pub child_ups: usize,
    pub events: Vec<Event>,
}

/// Feeds an input to a fresh fixed responder; the fuzz target only asks that
/// this never panics.
pub fn run_responder(input: &[u8]) -> Outcome {
    let (mode, records) = parse_input(input);
    let mut resp = responder(mode);
    let mut now = Instant::now();
    let mut out = Outcome::default();
    for r in records {
        if r.ctl & CTL_ADVANCE != 0 {
            now += Duration::from_secs(10);
            if resp.poll_timeout().is_some_and(|t| t <= now) {
                resp.handle_timeout(now);
            }
        }
        let port = if r.ctl & CTL_PORT_4500 != 0 {
            4500
        } else {
            500
        };
        let ip = if r.ctl & CTL_MOVED != 0 {
            moved_peer_ip()
        } else {
            peer_ip()
        };
        resp.handle_datagram(
            now,
            SocketAddr::new(gateway_ip(), port),
            SocketAddr::new(ip, port),
            r.data,
        );
        while let Some(t) = resp.poll_transmit() {
            out.transmits += 1;
            std::hint::black_box(t);
        }
        while let Some((_, e)) = resp.poll_event() {
            if matches!(e, Event::ChildUp(_)) {
                out.child_ups += 1;
            }
            out.events.push(e);
        }
    }
    // Let every timer run out too.
    for _ in 0..8 {
        now += Duration::from_secs(30);
        resp.handle_timeout(now);
        while resp.poll_transmit().is_some() {}
        while let Some((_, e)) = resp.poll_event() {
            out.events.push(e);
        }
    }
    out
}
