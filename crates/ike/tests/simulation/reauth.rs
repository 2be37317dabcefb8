//! Reauthentication (RFC 7296 2.8.3, RFC 4478): the gateway announces an
//! authentication lifetime; the client signs in again before it runs out,
//! make-before-break, prompting once; a gateway deletes an SA whose
//! authentication expired.

use std::sync::Arc;
use std::time::Duration;

use ibex_ike::eap::{PromptKind, PushState, ServerMethod};
use ibex_ike::session::reauth_margin;
use ibex_ike::{CloseReason, Event, LocalAuth};

use super::eap::{eap_sim_with, prompts, secret, CODE, PASSWORD};
use super::{configs, names, Sim, BAD, CLEAN};

const LIFETIME: Duration = Duration::from_secs(60);

fn lifetime(r: &mut ibex_ike::ResponderConfig) {
    r.auth_lifetime = Some(LIFETIME);
}

fn position(events: &[Event], f: impl Fn(&Event) -> bool) -> Option<usize> {
    events.iter().position(f)
}

fn count(events: &[Event], f: impl Fn(&Event) -> bool) -> usize {
    events.iter().filter(|e| f(e)).count()
}

fn reauthenticated(s: &Sim) -> bool {
    s.ini_events
        .iter()
        .any(|e| matches!(e, Event::Reauthenticated(_)))
}

fn closed(s: &Sim) -> Option<&CloseReason> {
    s.ini_events.iter().find_map(|e| match e {
        Event::Closed(r) => Some(r),
        _ => None,
    })
}

#[test]
fn margin_leaves_time_to_answer_a_prompt() {
    assert_eq!(
        reauth_margin(Duration::from_secs(60)),
        Duration::from_secs(12)
    );
    assert_eq!(
        reauth_margin(Duration::from_secs(20)),
        Duration::from_secs(10)
    );
    assert_eq!(
        reauth_margin(Duration::from_secs(8 * 3600)),
        Duration::from_secs(300)
    );
    // Never more than half the lifetime.
    assert_eq!(
        reauth_margin(Duration::from_secs(4)),
        Duration::from_secs(2)
    );
}

#[test]
fn reauthentication_is_make_before_break() {
    for (link, seed) in [(CLEAN, 1), (BAD, 7), (BAD, 8)] {
        let (c, mut r) = configs("aes256gcm16-prfsha384-ecp384", "aes256gcm16");
        r.auth_lifetime = Some(LIFETIME);
        let mut sim = Sim::new(c, r, link, seed);
        assert!(sim.run_until(Duration::from_secs(120), |s| s.established()));
        let up = sim.now;
        let first = sim.ini.current().spis().unwrap();
        let old_child = sim.ini.current().child_spis()[0];
        let expires = sim
            .ini
            .current()
            .auth_expires()
            .expect("AUTH_LIFETIME seen");
        // Lost IKE_AUTH responses shift the responder's clock a little.
        assert!(
            expires >= up + LIFETIME - Duration::from_secs(10) && expires <= up + LIFETIME,
            "expiry {:?} after establishment",
            expires.duration_since(up)
        );
        let first_vip = sim.ini.current().virtual_ip().expect("virtual IP");

        assert!(
            sim.run_until(Duration::from_secs(120), reauthenticated),
            "seed {seed}: never reauthenticated: {:?}",
            names(&sim.ini_events)
        );
        let started = position(&sim.ini_events, |e| {
            matches!(e, Event::ReauthRequired { .. })
        })
        .expect("ReauthRequired");
        // It started before the deadline, with the margin for a person.
        assert!(sim.now < expires, "seed {seed}: reauthenticated too late");
        let new_child = Sim::child_ups(&sim.ini_events)
            .last()
            .map(|c| c.spi_in)
            .unwrap();
        assert_ne!(new_child, old_child);
        let new_up = position(
            &sim.ini_events,
            |e| matches!(e, Event::ChildUp(c) if c.spi_in == new_child),
        )
        .unwrap();
        assert!(new_up > started);
        // Let the old SA's deletion finish (a lost Delete response means
        // retransmitting until the peer counts as gone), then check: the
        // new Child SA came up before the old one went down.
        sim.run_until(Duration::from_secs(90), |s| {
            s.resp.session_ids().len() == 1
                && s.ini_events
                    .iter()
                    .any(|e| matches!(e, Event::ChildDown { spi_in, .. } if *spi_in == old_child))
        });
        let old_down = position(
            &sim.ini_events,
            |e| matches!(e, Event::ChildDown { spi_in, .. } if *spi_in == old_child),
        )
        .unwrap_or_else(|| {
            panic!(
                "seed {seed}: the old Child SA is never deleted: {:?}",
                names(&sim.ini_events)
            )
        });
        assert!(new_up < old_down, "seed {seed}: break before make");
        // A new IKE SA, the same address, one SA left on the gateway.
        assert_ne!(sim.ini.current().spis().unwrap(), first);
        assert_eq!(sim.ini.current().virtual_ip(), Some(first_vip));
        assert_eq!(sim.resp.session_ids().len(), 1, "seed {seed}");
        assert_eq!(sim.resp.pool_in_use(), 1);
        assert!(closed(&sim).is_none(), "{:?}", names(&sim.ini_events));
        assert_eq!(
            count(&sim.ini_events, |e| matches!(e, Event::IkeUp(_))),
            1,
            "a reauthentication is no new connection"
        );
        // The new SA has its own lifetime and the connection keeps going
        // past the old deadline.
        let again = sim.ini.current().auth_expires().unwrap();
        assert!(again > expires);
        sim.run_until(Duration::from_secs(20), |_| false);
        assert!(closed(&sim).is_none(), "{:?}", names(&sim.ini_events));
        assert_eq!(sim.ini.current().state(), ibex_ike::State::Established);
    }
}

#[test]
fn reauthentication_prompts_once_and_carries_on() {
    let (mut sim, _dir) = eap_sim_with(vec![ServerMethod::MsChapV2], CLEAN, 3, lifetime);
    sim.answers.push_back(secret(PASSWORD));
    assert!(sim.run_until(Duration::from_secs(60), |s| s.established()));
    assert_eq!(prompts(&sim), vec![PromptKind::Password]);
    sim.answers.push_back(secret(PASSWORD));
    assert!(
        sim.run_until(Duration::from_secs(120), reauthenticated),
        "{:?}",
        names(&sim.ini_events)
    );
    assert_eq!(
        prompts(&sim),
        vec![PromptKind::Password, PromptKind::Password],
        "one prompt per sign-in"
    );
    sim.run_until(Duration::from_secs(30), |_| false);
    assert!(closed(&sim).is_none(), "{:?}", names(&sim.ini_events));
    assert_eq!(sim.resp.session_ids().len(), 1);
}

#[test]
fn a_reauthentication_switches_from_push_to_a_code() {
    let (mut sim, dir) = eap_sim_with(vec![ServerMethod::Push], CLEAN, 6, lifetime);
    *dir.push.lock().unwrap() = Some(PushState::Approved);
    assert!(sim.run_until(Duration::from_secs(60), |s| s.established()));
    // Signing in again waits for a push approval this time...
    *dir.push.lock().unwrap() = None;
    let pushes = |s: &super::Sim| {
        prompts(s)
            .iter()
            .filter(|k| **k == PromptKind::Push)
            .count()
    };
    assert!(sim.run_until(Duration::from_secs(120), |s| pushes(s) == 2));
    // ...and the person chooses a one-time code instead.
    let mut config = (**sim.ini.current().config()).clone();
    if let LocalAuth::Eap(p) = &mut config.local_auth {
        p.prefer_code = true;
    }
    sim.answers.push_back(secret(CODE));
    let now = sim.now;
    assert!(sim.ini.restart_reauthentication(now, Arc::new(config)));
    assert!(
        sim.run_until(Duration::from_secs(120), reauthenticated),
        "{:?}",
        names(&sim.ini_events)
    );
    assert_eq!(prompts(&sim).last(), Some(&PromptKind::Otp));
    assert_eq!(pushes(&sim), 2, "no third push");
    assert_eq!(
        count(&sim.ini_events, |e| matches!(e, Event::ReauthFailed(_))),
        0,
        "a switch, not a failure"
    );
    assert!(closed(&sim).is_none());
    // Nothing to restart once it is done.
    let now = sim.now;
    let config = sim.ini.current().config().clone();
    assert!(!sim.ini.restart_reauthentication(now, config));
}

#[test]
fn failed_reauthentication_keeps_the_tunnel_until_the_deadline() {
    let (mut sim, _dir) = eap_sim_with(vec![ServerMethod::MsChapV2], CLEAN, 4, lifetime);
    sim.answers.push_back(secret(PASSWORD));
    assert!(sim.run_until(Duration::from_secs(60), |s| s.established()));
    let up = sim.now;
    // The person types a wrong password when asked again.
    sim.answers.push_back(secret("wrong"));
    assert!(sim.run_until(Duration::from_secs(120), |s| s
        .ini_events
        .iter()
        .any(|e| matches!(e, Event::ReauthFailed(_)))));
    assert!(closed(&sim).is_none(), "the working SA stays");
    assert_eq!(sim.ini.current().state(), ibex_ike::State::Established);
    // The gateway deletes the old SA when its lifetime is over.
    assert!(sim.run_until(Duration::from_secs(120), |s| closed(s).is_some()));
    assert_eq!(closed(&sim), Some(&CloseReason::PeerDeleted));
    let at = sim.now.duration_since(up);
    assert!(
        at >= LIFETIME - Duration::from_secs(5) && at <= LIFETIME + Duration::from_secs(5),
        "deleted after {at:?}"
    );
    sim.run_until(Duration::from_secs(10), |s| s.resp.session_ids().is_empty());
    assert!(sim.resp.session_ids().is_empty());
    assert_eq!(sim.resp.pool_in_use(), 0);
}

#[test]
fn unanswered_reauthentication_prompt_ends_at_the_deadline() {
    let (mut sim, _dir) = eap_sim_with(vec![ServerMethod::MsChapV2], CLEAN, 5, lifetime);
    sim.answers.push_back(secret(PASSWORD));
    assert!(sim.run_until(Duration::from_secs(60), |s| s.established()));
    // Nobody answers the second prompt.
    assert!(sim.run_until(Duration::from_secs(120), |s| closed(s).is_some()));
    assert_eq!(closed(&sim), Some(&CloseReason::PeerDeleted));
    assert_eq!(prompts(&sim).len(), 2);
}
