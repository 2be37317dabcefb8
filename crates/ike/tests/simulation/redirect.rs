//! Gateway redirection (RFC 5685): in IKE_SA_INIT, in IKE_AUTH and of an
//! established SA, a forged redirect ignored, and the policy's limits.

use std::sync::Arc;
use std::time::Duration;

use ibex_ike::crypto::SeededRandom;
use ibex_ike::message::{
    ExchangeType, Flags, GatewayId, Header, Message, Notify, NotifyType, Payload, PayloadType,
    ProtocolId, Redirect,
};
use ibex_ike::{CloseReason, Event, Initiator, RedirectPhase, RedirectPolicy, Responder, State};

use super::{addr, configs, names, Sim, BAD, CLEAN, GW2};

const SUITE: (&str, &str) = ("aes256gcm16-prfsha384-ecp384", "aes256gcm16");

fn gw2() -> GatewayId {
    GatewayId::parse(GW2).unwrap()
}

fn policy(during: RedirectPhase) -> Option<RedirectPolicy> {
    Some(RedirectPolicy {
        gateways: vec![gw2()],
        during,
        redirected_clients: false,
    })
}

/// A simulation with gateway 1 redirecting by `during` and gateway 2
/// (at [`GW2`], the same users) redirecting no one.
fn two_gateways(during: RedirectPhase, link: super::Link, seed: u64) -> Sim {
    let (c, mut r) = configs(SUITE.0, SUITE.1);
    let r2 = r.clone();
    r.redirect = policy(during);
    let mut sim = Sim::new(c, r, link, seed);
    sim.resp2 = Some(Responder::new(
        r2,
        Box::new(move || Box::new(SeededRandom::new(seed + 5000))),
    ));
    sim
}

fn closed(events: &[Event]) -> Option<&CloseReason> {
    events.iter().find_map(|e| match e {
        Event::Closed(r) => Some(r),
        _ => None,
    })
}

/// Starts over at gateway 2, as a client must after a redirect.
fn follow(sim: &mut Sim, seed: u64) {
    let (c, _) = configs(SUITE.0, SUITE.1);
    let config = Arc::new(c);
    let mut k = seed;
    sim.ini = Initiator::new_redirected(
        config,
        sim.now,
        addr("198.51.100.2:500"),
        addr(&format!("{GW2}:500")),
        Box::new(move || {
            k += 31;
            Box::new(SeededRandom::new(k))
        }),
        GatewayId::parse("192.0.2.1").unwrap(),
    );
    sim.ini_events.clear();
}

fn up_at_gw2(s: &Sim) -> bool {
    Sim::child_ups(&s.ini_events).len() == 1 && Sim::child_ups(&s.resp2_events).len() == 1
}

#[test]
fn redirect_in_ike_sa_init_leaves_no_state_and_lands_at_the_new_gateway() {
    for (link, seed) in [(CLEAN, 1), (BAD, 3)] {
        let mut sim = two_gateways(RedirectPhase::Init, link, seed);
        assert!(sim.run_until(Duration::from_secs(60), |s| closed(&s.ini_events).is_some()));
        assert_eq!(
            closed(&sim.ini_events),
            Some(&CloseReason::Redirected(gw2())),
            "{:?}",
            names(&sim.ini_events)
        );
        // Stateless: gateway 1 kept nothing.
        assert!(sim.resp.session_ids().is_empty());
        assert!(sim.resp_events.is_empty(), "{:?}", names(&sim.resp_events));
        follow(&mut sim, seed);
        assert!(
            sim.run_until(Duration::from_secs(120), up_at_gw2),
            "{:?} / {:?}",
            names(&sim.ini_events),
            names(&sim.resp2_events)
        );
        assert_eq!(sim.ini.endpoints().1.ip(), addr(&format!("{GW2}:500")).ip());
    }
}

#[test]
fn the_new_gateway_does_not_bounce_a_redirected_client() {
    // Both gateways redirect by policy; gateway 2 leaves clients that
    // arrive redirected (REDIRECTED_FROM) alone.
    let mut sim = two_gateways(RedirectPhase::Init, CLEAN, 4);
    let (_, mut r2) = configs(SUITE.0, SUITE.1);
    r2.redirect = Some(RedirectPolicy {
        gateways: vec![GatewayId::parse("192.0.2.1").unwrap()],
        during: RedirectPhase::Init,
        redirected_clients: false,
    });
    sim.resp2 = Some(Responder::new(
        r2,
        Box::new(|| Box::new(SeededRandom::new(77))),
    ));
    assert!(sim.run_until(Duration::from_secs(30), |s| closed(&s.ini_events).is_some()));
    follow(&mut sim, 4);
    assert!(sim.run_until(Duration::from_secs(60), up_at_gw2));
}

#[test]
fn a_forged_redirect_without_our_nonce_is_ignored() {
    let mut sim = two_gateways(RedirectPhase::Established, CLEAN, 5);
    // An off-path attacker answers the IKE_SA_INIT request first, with a
    // REDIRECT that cannot carry the nonce it never saw.
    sim.pump();
    let request = Message::decode(&sim.ini_sent[0]).unwrap();
    let forged = Message {
        header: Header {
            spi_i: request.header.spi_i,
            spi_r: [0; 8],
            next_payload: PayloadType::NONE,
            version: 0x20,
            exchange: ExchangeType::IKE_SA_INIT,
            flags: Flags::RESPONSE,
            message_id: 0,
            length: 0,
        },
        payloads: vec![Payload::Notify(Notify {
            protocol: ProtocolId(0),
            spi: vec![],
            kind: NotifyType::REDIRECT,
            data: Redirect {
                gateway: GatewayId::parse("203.0.113.66").unwrap(),
                nonce: vec![0x42; 32],
            }
            .encode()
            .unwrap(),
        })],
    };
    let now = sim.now;
    sim.ini.handle_datagram(
        now,
        addr("198.51.100.2:500"),
        addr("192.0.2.1:500"),
        &forged.encode(),
    );
    assert!(sim.run_until(Duration::from_secs(30), |s| s.established()));
    assert!(closed(&sim.ini_events).is_none());
}

#[test]
fn redirect_in_ike_auth_comes_after_the_gateway_proved_itself() {
    let mut sim = two_gateways(RedirectPhase::Auth, CLEAN, 6);
    assert!(sim.run_until(Duration::from_secs(60), |s| closed(&s.ini_events).is_some()));
    assert_eq!(
        closed(&sim.ini_events),
        Some(&CloseReason::Redirected(gw2()))
    );
    // No Child SA on either side, and the address went back to the pool.
    assert!(Sim::child_ups(&sim.ini_events).is_empty());
    assert!(Sim::child_ups(&sim.resp_events).is_empty());
    assert_eq!(
        closed(&sim.resp_events),
        Some(&CloseReason::Redirected(gw2()))
    );
    assert_eq!(sim.resp.pool_in_use(), 0);
    follow(&mut sim, 6);
    assert!(sim.run_until(Duration::from_secs(60), up_at_gw2));
}

#[test]
fn an_established_connection_moves_make_before_break() {
    for (link, seed) in [(CLEAN, 7), (BAD, 8)] {
        let mut sim = two_gateways(RedirectPhase::Established, link, seed);
        assert!(sim.run_until(Duration::from_secs(60), |s| s.established()));
        let vip = sim.ini.current().virtual_ip();
        let now = sim.now;
        assert_eq!(sim.resp.redirect_all(now), 1);
        assert!(sim.run_until(Duration::from_secs(60), |s| s
            .ini_events
            .contains(&Event::Redirect(gw2()))));
        // The old SA still carries traffic while we move.
        assert_eq!(sim.ini.current().state(), State::Established);
        let now = sim.now;
        assert!(sim.ini.follow_redirect(
            now,
            addr("198.51.100.2:500"),
            addr(&format!("{GW2}:500"))
        ));
        assert!(
            sim.run_until(Duration::from_secs(120), |s| s
                .ini_events
                .iter()
                .any(|e| matches!(e, Event::Reauthenticated(_)))
                && s.resp.session_ids().is_empty()
                && s.ini_events
                    .iter()
                    .any(|e| matches!(e, Event::ChildDown { .. }))),
            "{:?}",
            names(&sim.ini_events)
        );
        // The new Child SA (from gateway 2) came up before the old one left.
        let up = sim
            .ini_events
            .iter()
            .rposition(|e| matches!(e, Event::ChildUp(_)))
            .unwrap();
        let down = sim
            .ini_events
            .iter()
            .rposition(|e| matches!(e, Event::ChildDown { .. }))
            .unwrap();
        assert!(up < down, "{:?}", names(&sim.ini_events));
        assert_eq!(Sim::child_ups(&sim.resp2_events).len(), 1);
        assert_eq!(sim.ini.endpoints().1.ip(), addr(&format!("{GW2}:500")).ip());
        // Gateway 2 gave the same address back (it was asked for).
        assert_eq!(sim.ini.current().virtual_ip(), vip);
        assert!(closed(&sim.ini_events).is_none());
    }
}

#[test]
fn a_redirected_client_that_stays_is_dropped_after_the_grace() {
    let mut sim = two_gateways(RedirectPhase::Established, CLEAN, 12);
    assert!(sim.run_until(Duration::from_secs(60), |s| s.established()));
    let now = sim.now;
    assert_eq!(sim.resp.redirect_all(now), 1);
    assert!(sim.run_until(Duration::from_secs(60), |s| s
        .ini_events
        .contains(&Event::Redirect(gw2()))));
    // The client ignores it: the old SA carries on through the grace,
    // then the gateway deletes it.
    let asked = sim.now;
    assert!(
        sim.run_until(Duration::from_secs(400), |s| s
            .resp
            .session_ids()
            .is_empty()
            && closed(&s.ini_events).is_some()),
        "{:?}",
        names(&sim.ini_events)
    );
    assert!(
        sim.now >= asked + ibex_ike::REDIRECT_LEAVE_GRACE,
        "deleted {:?} after the redirect",
        sim.now - asked
    );
    assert_eq!(closed(&sim.ini_events), Some(&CloseReason::PeerDeleted));
}

#[test]
fn clients_that_do_not_follow_redirects_are_served() {
    let (mut c, mut r) = configs(SUITE.0, SUITE.1);
    c.follow_redirects = false;
    r.redirect = policy(RedirectPhase::Init);
    let mut sim = Sim::new(c, r, CLEAN, 9);
    assert!(sim.run_until(Duration::from_secs(30), |s| s.established()));
    // And the gateway cannot push them away later.
    let now = sim.now;
    assert_eq!(sim.resp.redirect_all(now), 0);
    let sent = sim.ini_sent.len();
    sim.run_until(Duration::from_secs(5), |_| false);
    assert_eq!(sim.ini_sent.len(), sent);
}
