//! Rekeying by lifetime (RFC 7296 2.8): every IKE and Child SA is replaced
//! after its configured lifetime, less a random part of up to a tenth so
//! that a fleet of clients started together does not rekey at once. A rekey
//! the peer refuses is tried again later: after a few seconds when it said
//! TEMPORARY_FAILURE (it is busy with that SA, RFC 7296 2.25), after a
//! minute otherwise; the old SA carries on meanwhile.

use std::time::{Duration, Instant};

use super::init::find_notify;
use super::{Session, State, Task};
use crate::crypto::RandomSource;
use crate::message::{NotifyType, Payload};

/// Retry after TEMPORARY_FAILURE: 2 s plus up to 8 s at random.
const RETRY_TEMPORARY: (Duration, Duration) = (Duration::from_secs(2), Duration::from_secs(8));
/// Retry after any other refusal or an unusable answer: 60 s less up to 6 s.
const RETRY_REFUSED: Duration = Duration::from_secs(60);

/// `lifetime` less a random share of up to 10 %.
pub(crate) fn jittered(rng: &mut dyn RandomSource, lifetime: Duration) -> Duration {
    let mut b = [0u8; 4];
    rng.fill(&mut b);
    let share = f64::from(u32::from_be_bytes(b)) / f64::from(u32::MAX) * 0.1;
    lifetime.mul_f64(1.0 - share)
}

impl Session {
    /// When the current IKE SA is to be rekeyed (after it came up or was
    /// rekeyed).
    pub(crate) fn schedule_ike_rekey(&mut self, now: Instant) {
        self.ike_rekey_at = match self.config.ike_lifetime {
            Some(l) => Some(now + jittered(self.rng.as_mut(), l)),
            None => None,
        };
    }

    /// When a new Child SA is to be rekeyed.
    pub(crate) fn child_rekey_at(&mut self, now: Instant) -> Option<Instant> {
        let l = self.config.child_lifetime?;
        Some(now + jittered(self.rng.as_mut(), l))
    }

    /// Our rekey of Child SA `old` (`None`: of the IKE SA) did not happen:
    /// schedule another try, unless the peer says the Child SA is gone.
    pub(crate) fn rekey_failed(&mut self, now: Instant, old: Option<u32>, payloads: &[Payload]) {
        if find_notify(payloads, NotifyType::CHILD_SA_NOT_FOUND).is_some() {
            tracing::warn!(spi = ?old, "the peer has no such Child SA; not retrying its rekey");
            return;
        }
        let delay = if find_notify(payloads, NotifyType::TEMPORARY_FAILURE).is_some() {
            let mut b = [0u8; 2];
            self.rng.fill(&mut b);
            let share = f64::from(u16::from_be_bytes(b)) / f64::from(u16::MAX);
            RETRY_TEMPORARY.0 + RETRY_TEMPORARY.1.mul_f64(share)
        } else {
            jittered(self.rng.as_mut(), RETRY_REFUSED)
        };
        let at = now + delay;
        match old {
            None => self.ike_rekey_at = Some(at),
            Some(spi) => match self.children.iter_mut().find(|c| c.spi_in == spi) {
                Some(c) => c.rekey_at = Some(at),
                None => return,
            },
        }
        tracing::info!(spi = ?old, retry_in = ?delay, "rekey did not happen; trying again later");
    }

    /// The earliest rekey due, for `poll_timeout`.
    pub(crate) fn rekey_timer(&self) -> Option<Instant> {
        if self.state != State::Established {
            return None;
        }
        self.children
            .iter()
            .filter_map(|c| c.rekey_at)
            .chain(self.ike_rekey_at)
            .min()
    }

    /// Queues the rekeys that are due.
    pub(crate) fn rekey_timeout(&mut self, now: Instant) {
        if self.state != State::Established {
            return;
        }
        if self.ike_rekey_at.is_some_and(|t| now >= t) {
            self.ike_rekey_at = None;
            self.queue(now, Task::RekeyIke);
        }
        let due: Vec<u32> = self
            .children
            .iter_mut()
            .filter(|c| c.rekey_at.is_some_and(|t| now >= t))
            .map(|c| {
                c.rekey_at = None;
                c.spi_in
            })
            .collect();
        for spi in due {
            self.queue(now, Task::RekeyChild(spi));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SeededRandom;

    #[test]
    fn jitter_takes_off_at_most_a_tenth() {
        let mut rng = SeededRandom::new(5);
        let l = Duration::from_secs(3600);
        let all: Vec<Duration> = (0..200).map(|_| jittered(&mut rng, l)).collect();
        assert!(all.iter().all(|d| *d <= l && *d >= l.mul_f64(0.9)));
        let spread = all
            .iter()
            .max()
            .unwrap()
            .saturating_sub(*all.iter().min().unwrap());
        assert!(spread > Duration::from_secs(200), "spread {spread:?}");
    }
}
