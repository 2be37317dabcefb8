//! Per-user failure counting in a sliding window, and the lockout it triggers.
//!
//! `max_failures` failures within `window` lock the user out for `lockout`.
//! Nothing clears a lockout early: not a success (an attacker who knows the
//! password must not reset the count that protects the second factor) and
//! not further failures, which are ignored while it lasts.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use super::config::LockoutConfig;

/// Entries tracked before idle ones are swept.
const SWEEP_ABOVE: usize = 1024;

#[derive(Debug, Default)]
struct Failures {
    /// Times of recent failures, oldest first (at most `max_failures`).
    recent: VecDeque<SystemTime>,
    /// End of the lockout in force, if any.
    locked_until: Option<SystemTime>,
}

/// Failure counts and lockouts of all users.
#[derive(Debug)]
pub struct Lockout {
    capacity: usize,
    max_failures: usize,
    window: Duration,
    lockout: Duration,
    users: Mutex<HashMap<String, Failures>>,
}

/// `now - then`, or zero when the clock went backwards.
fn since(now: SystemTime, then: SystemTime) -> Duration {
    now.duration_since(then).unwrap_or(Duration::ZERO)
}

impl Lockout {
    /// A lockout policy from the configuration, tracking any number of users.
    pub fn new(c: &LockoutConfig) -> Self {
        Self::with_capacity(c, usize::MAX)
    }

    /// A lockout policy that tracks at most `capacity` users at once (for
    /// names from the network that match no account): when full, a new user's
    /// failure is not recorded.
    pub fn with_capacity(c: &LockoutConfig, capacity: usize) -> Self {
        Lockout {
            capacity,
            max_failures: usize::try_from(c.max_failures.max(1)).unwrap_or(usize::MAX),
            window: Duration::from_secs(c.window_secs),
            lockout: Duration::from_secs(c.lockout_secs),
            users: Mutex::new(HashMap::new()),
        }
    }

    /// The lockout remaining for `user` at `now`, if any.
    pub fn locked_out(&self, user: &str, now: SystemTime) -> Option<Duration> {
        let users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        let until = users.get(user)?.locked_until?;
        until.duration_since(now).ok().filter(|d| !d.is_zero())
    }

    /// Records a failure of `user` at `now`; returns the lockout it starts, if it does.
    pub fn record_failure(&self, user: &str, now: SystemTime) -> Option<Duration> {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if users.len() >= SWEEP_ABOVE.min(self.capacity) && !users.contains_key(user) {
            users.retain(|_, f| !self.idle(f, now));
            if users.len() >= self.capacity {
                return None;
            }
        }
        let f = users.entry(user.to_owned()).or_default();
        if let Some(until) = f.locked_until {
            if until > now {
                return None;
            }
            f.locked_until = None;
        }
        f.recent.retain(|t| since(now, *t) < self.window);
        f.recent.push_back(now);
        while f.recent.len() > self.max_failures {
            f.recent.pop_front();
        }
        if f.recent.len() >= self.max_failures {
            f.recent.clear();
            f.locked_until = Some(now + self.lockout);
            return Some(self.lockout);
        }
        None
    }

    /// Whether an entry no longer matters (no lockout, no failure in the window).
    fn idle(&self, f: &Failures, now: SystemTime) -> bool {
        f.locked_until.is_none_or(|u| u <= now)
            && f.recent.iter().all(|t| since(now, *t) >= self.window)
    }

    /// Number of users tracked (for tests and metrics).
    pub fn tracked(&self) -> usize {
        self.users.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max: u32, window: u64, lockout: u64) -> Lockout {
        Lockout::new(&LockoutConfig {
            max_failures: max,
            window_secs: window,
            lockout_secs: lockout,
        })
    }

    fn at(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
    }

    #[test]
    fn locks_after_n_failures_in_window() {
        let l = policy(3, 60, 300);
        assert_eq!(l.record_failure("alice", at(0)), None);
        assert_eq!(l.record_failure("alice", at(10)), None);
        assert_eq!(l.locked_out("alice", at(10)), None);
        assert_eq!(
            l.record_failure("alice", at(20)),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            l.locked_out("alice", at(20)),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            l.locked_out("alice", at(120)),
            Some(Duration::from_secs(200))
        );
        // Others are not affected.
        assert_eq!(l.locked_out("bob", at(20)), None);
        // It ends on time.
        assert_eq!(l.locked_out("alice", at(320)), None);
        // And the count starts again from zero.
        assert_eq!(l.record_failure("alice", at(321)), None);
        assert_eq!(l.locked_out("alice", at(321)), None);
    }

    #[test]
    fn window_slides() {
        let l = policy(3, 60, 300);
        l.record_failure("alice", at(0));
        l.record_failure("alice", at(30));
        // The first failure has left the window: two recent ones, no lockout.
        assert_eq!(l.record_failure("alice", at(61)), None);
        assert_eq!(l.locked_out("alice", at(61)), None);
        // The one at 30 is still in: this is the third.
        assert!(l.record_failure("alice", at(62)).is_some());
    }

    #[test]
    fn failures_during_lockout_do_not_extend_it() {
        let l = policy(1, 60, 100);
        assert!(l.record_failure("alice", at(0)).is_some());
        assert_eq!(l.record_failure("alice", at(50)), None);
        assert_eq!(l.locked_out("alice", at(50)), Some(Duration::from_secs(50)));
        assert_eq!(l.locked_out("alice", at(100)), None);
    }

    #[test]
    fn clock_going_backwards_is_harmless() {
        let l = policy(2, 60, 100);
        l.record_failure("alice", at(100));
        // Earlier than the last failure: counted, not a panic.
        assert!(l.record_failure("alice", at(50)).is_some());
        assert!(l.locked_out("alice", at(0)).is_some());
    }

    #[test]
    fn capacity_is_respected() {
        let l = Lockout::with_capacity(
            &LockoutConfig {
                max_failures: 2,
                window_secs: 60,
                lockout_secs: 100,
            },
            3,
        );
        for u in ["a", "b", "c", "d", "e"] {
            l.record_failure(u, at(0));
        }
        assert_eq!(l.tracked(), 3);
        // Known entries keep counting.
        assert!(l.record_failure("a", at(1)).is_some());
        // Once the window has passed, room is made again.
        l.record_failure("z", at(100));
        assert!(l.record_failure("z", at(101)).is_some());
    }

    #[test]
    fn idle_entries_are_swept() {
        let l = policy(5, 60, 100);
        for i in 0..2000 {
            l.record_failure(&format!("user{i}"), at(0));
        }
        assert!(l.tracked() > SWEEP_ABOVE);
        l.record_failure("late", at(1000));
        assert_eq!(l.tracked(), 1);
    }
}
