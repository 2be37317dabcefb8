//! Records real exchanges with the fixed fuzz responder and writes them as
//! seed corpora under `seeds/<target>/`:
//!
//! * `session_responder`: every datagram the initiator sent, in the input
//!   format of `ibex_ike_fuzz::run_responder` (replays reach ChildUp, rekeys,
//!   liveness and delete because the responder's randomness is fixed);
//! * `message_decode` / `header_decode`: every datagram of both directions;
//! * `chain_decode`: the same, as next-payload byte + payload chain;
//! * `proposal_parse`: proposal strings.
//!
//! Run from crates/ike/fuzz: `cargo run --example gen_seeds`.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ibex_ike::crypto::SeededRandom;
use ibex_ike::message::HEADER_LEN;
use ibex_ike::{Event, Responder, Session, State};
use ibex_ike_fuzz::*;

/// Everything one scenario put on the wire.
struct Recording {
    mode: u8,
    /// Initiator -> responder records (ctl, datagram).
    to_responder: Vec<(u8, Vec<u8>)>,
    /// Every datagram in both directions.
    all: Vec<Vec<u8>>,
}

struct Run {
    now: Instant,
    ini: Session,
    resp: Responder,
    rec: Recording,
    ini_events: Vec<Event>,
    resp_child_ups: usize,
}

impl Run {
    fn new(ike: &str, esp: &str, mode: u8, seed: u64) -> Run {
        let now = Instant::now();
        let ini = Session::initiate(
            Arc::new(initiator_config(ike, esp, mode)),
            now,
            SocketAddr::new(peer_ip(), 500),
            SocketAddr::new(gateway_ip(), 500),
            Box::new(SeededRandom::new(seed)),
        );
        Run {
            now,
            ini,
            resp: responder(mode),
            rec: Recording {
                mode,
                to_responder: Vec::new(),
                all: Vec::new(),
            },
            ini_events: Vec::new(),
            resp_child_ups: 0,
        }
    }

    /// Exchanges datagrams until both sides are quiet.
    fn settle(&mut self) {
        for _ in 0..64 {
            let mut moved = false;
            while let Some(t) = self.ini.poll_transmit() {
                moved = true;
                let ctl = if t.remote.port() == 4500 {
                    CTL_PORT_4500
                } else {
                    0
                };
                self.rec.to_responder.push((ctl, t.data.clone()));
                self.rec.all.push(t.data.clone());
                self.resp
                    .handle_datagram(self.now, t.remote, t.local, &t.data);
            }
            while let Some(t) = self.resp.poll_transmit() {
                moved = true;
                self.rec.all.push(t.data.clone());
                self.ini
                    .handle_datagram(self.now, t.remote, t.local, &t.data);
            }
            while let Some(e) = self.ini.poll_event() {
                self.ini_events.push(e);
            }
            while let Some((_, e)) = self.resp.poll_event() {
                if matches!(e, Event::ChildUp(_)) {
                    self.resp_child_ups += 1;
                }
            }
            if !moved {
                return;
            }
        }
        panic!("exchange did not settle");
    }

    /// The `CTL_ADVANCE` tick of `run_responder`, recorded as an empty datagram.
    fn tick(&mut self) {
        self.now += Duration::from_secs(10);
        if self.resp.poll_timeout().is_some_and(|t| t <= self.now) {
            self.resp.handle_timeout(self.now);
        }
        self.rec.to_responder.push((CTL_ADVANCE, Vec::new()));
        self.settle();
    }

    fn child_ups(&self) -> usize {
        self.ini_events
            .iter()
            .filter(|e| matches!(e, Event::ChildUp(_)))
            .count()
    }
}

fn write(dir: &Path, name: &str, data: &[u8]) {
    fs::create_dir_all(dir).expect("mkdir");
    fs::write(dir.join(name), data).expect("write seed");
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let mut recordings: Vec<(String, Recording, usize)> = Vec::new();

    for (i, (ike, esp)) in IKE_SUITES.iter().zip(ESP_SUITES).enumerate() {
        let seed = 100 + i as u64;
        // Plain handshake.
        let mut r = Run::new(ike, esp, 0, seed);
        r.settle();
        assert_eq!(r.child_ups(), 1, "{ike}: {:?}", r.ini_events);
        recordings.push((format!("handshake-{ike}"), r.rec, 1));

        // Handshake, Child rekey, IKE rekey, liveness both ways, close.
        let mut r = Run::new(ike, esp, 0, seed + 10);
        r.settle();
        let spi = r.ini.child_spis()[0];
        let now = r.now;
        r.ini.rekey_child(now, spi);
        r.settle();
        r.ini.rekey_ike(now);
        r.settle();
        r.ini.check_liveness(now);
        r.settle();
        r.tick();
        r.tick(); // the responder's DPD (15 s) fires, the initiator answers
        r.ini.close(r.now);
        r.settle();
        assert_eq!(r.ini.state(), State::Closed, "{ike}: {:?}", r.ini_events);
        assert_eq!(r.child_ups(), 2, "{ike}: {:?}", r.ini_events);
        recordings.push((format!("lifecycle-{ike}"), r.rec, 2));
    }

    // Stateless cookie round trip.
    let mut r = Run::new(IKE_SUITES[0], ESP_SUITES[0], MODE_COOKIES, 200);
    r.settle();
    assert_eq!(r.child_ups(), 1, "cookie: {:?}", r.ini_events);
    recordings.push(("cookie".into(), r.rec, 1));

    // Fragmented IKE_AUTH.
    let mut r = Run::new(IKE_SUITES[2], ESP_SUITES[2], MODE_FRAGMENTS, 300);
    r.settle();
    assert_eq!(r.child_ups(), 1, "fragments: {:?}", r.ini_events);
    recordings.push(("fragments".into(), r.rec, 1));

    let mut n_msgs = 0;
    for (name, rec, want_ups) in &recordings {
        let records: Vec<Record<'_>> = rec
            .to_responder
            .iter()
            .map(|(ctl, data)| Record { ctl: *ctl, data })
            .collect();
        let input = encode_input(rec.mode, &records);
        // The replay must reach the same state, else the seed is useless.
        let outcome = run_responder(&input);
        assert!(
            outcome.child_ups >= *want_ups,
            "{name}: replay reached {} ChildUp, want {want_ups}: {:?}",
            outcome.child_ups,
            outcome.events
        );
        write(&root.join("session_responder"), name, &input);
        for (k, msg) in rec.all.iter().enumerate() {
            let file = format!("{name}-{k:02}");
            write(&root.join("message_decode"), &file, msg);
            write(&root.join("header_decode"), &file, msg);
            if msg.len() >= HEADER_LEN {
                let mut chain = vec![msg[16]];
                chain.extend_from_slice(&msg[HEADER_LEN..]);
                write(&root.join("chain_decode"), &file, &chain);
            }
            n_msgs += 1;
        }
        println!(
            "{name}: {} records, replay: {} ChildUp, {} transmits",
            records.len(),
            outcome.child_ups,
            outcome.transmits
        );
    }

    let proposals = [
        "aes256gcm16-prfsha384-ecp384",
        "chacha20poly1305-prfsha256-x25519",
        "aes256-sha256-modp3072",
        "aes128gcm16-prfsha256-ecp256",
        "aes128-sha384-prfsha384-ecp521",
        "aes256-sha512-modp2048",
        "aes256gcm16-aes128gcm16-prfsha256-prfsha512-x25519-ecp256-ecp384",
        "aes256gcm16",
        "aes256-sha256-ecp384-esn",
        "aes128-sha1-noesn",
    ];
    for (i, p) in proposals.iter().enumerate() {
        write(
            &root.join("proposal_parse"),
            &format!("p{i:02}"),
            p.as_bytes(),
        );
    }
    println!(
        "wrote {} responder seeds, {n_msgs} messages, {} proposals to {}",
        recordings.len(),
        proposals.len(),
        root.display()
    );
}
