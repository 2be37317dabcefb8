//! Re-establishing a lost tunnel: which losses are worth another sign-in,
//! and when to try (exponential backoff with jitter, the profile's policy).
//! While it waits the TUN device, routes and DNS stay as they are, so no
//! traffic leaks around the tunnel: packets without an SA are dropped.

use std::time::Duration;

use ibex_ike::crypto::{RandomSource, SystemRandom};
use ibex_ike::CloseReason;

/// The profile's reconnection settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Reconnect at all.
    pub enabled: bool,
    /// Give up after this many failed attempts in a row; 0 = never.
    pub max_attempts: u32,
    /// Wait before the first attempt; doubled after each failure.
    pub initial: Duration,
    /// Longest wait.
    pub max: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            enabled: false,
            max_attempts: 0,
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }
}

/// Whether a tunnel that ended this way may be re-established without the
/// person: the gateway vanished, restarted or dropped us, not a refusal.
pub fn worth_retrying(reason: &CloseReason) -> bool {
    matches!(
        reason,
        CloseReason::PeerDead
            | CloseReason::PeerForgot
            | CloseReason::PeerDeleted
            | CloseReason::Timeout
            | CloseReason::SignInExpired
    )
}

/// Attempts in a row and the wait before the next.
#[derive(Debug)]
pub(super) struct Backoff {
    policy: Policy,
    failures: u32,
}

impl Backoff {
    pub fn new(policy: Policy) -> Backoff {
        Backoff {
            policy,
            failures: 0,
        }
    }

    /// The wait before the next attempt and its number (from 1), or `None`
    /// when the policy says to stop.
    pub fn next(&mut self) -> Option<(Duration, u32)> {
        if !self.policy.enabled
            || (self.policy.max_attempts > 0 && self.failures >= self.policy.max_attempts)
        {
            return None;
        }
        let exp = self.failures.min(16);
        self.failures += 1;
        let base = self
            .policy
            .initial
            .saturating_mul(1 << exp)
            .min(self.policy.max);
        Some((jitter(base), self.failures))
    }

    /// The tunnel is up again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

/// `d` give or take 20 %, so that clients of a restarted gateway do not all
/// come back at the same instant.
fn jitter(d: Duration) -> Duration {
    let mut b = [0u8; 4];
    SystemRandom::new().fill(&mut b);
    let f = 0.8 + 0.4 * (f64::from(u32::from_be_bytes(b)) / f64::from(u32::MAX));
    d.mul_f64(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_attempts: u32) -> Policy {
        Policy {
            enabled: true,
            max_attempts,
            initial: Duration::from_secs(1),
            max: Duration::from_secs(10),
        }
    }

    #[test]
    fn waits_double_up_to_the_maximum_with_jitter() {
        let mut b = Backoff::new(policy(0));
        let waits: Vec<(Duration, u32)> = (0..6).map(|_| b.next().unwrap()).collect();
        for (i, (w, n)) in waits.iter().enumerate() {
            let base = Duration::from_secs((1u64 << i).min(10));
            assert_eq!(*n, i as u32 + 1);
            assert!(
                *w >= base.mul_f64(0.8) && *w <= base.mul_f64(1.2),
                "attempt {n}: {w:?} for {base:?}"
            );
        }
        b.reset();
        assert!(b.next().unwrap().0 <= Duration::from_millis(1200));
    }

    #[test]
    fn gives_up_after_max_attempts_and_when_disabled() {
        let mut b = Backoff::new(policy(2));
        assert!(b.next().is_some());
        assert!(b.next().is_some());
        assert!(b.next().is_none());
        let mut off = Backoff::new(Policy::default());
        assert!(off.next().is_none());
    }

    #[test]
    fn refusals_are_not_retried() {
        assert!(worth_retrying(&CloseReason::PeerDead));
        assert!(worth_retrying(&CloseReason::PeerForgot));
        assert!(!worth_retrying(&CloseReason::LocalClose));
        assert!(!worth_retrying(&CloseReason::NoProposalChosen));
        assert!(!worth_retrying(&CloseReason::AuthenticationFailed(
            "bad".into()
        )));
    }
}
