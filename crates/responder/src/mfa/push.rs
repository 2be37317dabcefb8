//! Push approvals with number matching: the gateway opens one per login, the
//! person approves or denies it on another device (see [`super::http`]).
//!
//! [`PushStore`] is cheap to clone and shared between the EAP server (through
//! the directory) and the web app. Each decision bumps a [`watch`] counter so
//! a task waiting on an approval wakes at once; expiry is not announced, so
//! waiters also wake at [`PushTicket::expires`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use ibex_eap::{PushState, PushTicket};
use serde::Serialize;
use tokio::sync::watch;
use tracing::{debug, info};

use super::{random, Clock};

/// Approvals open at once for one user; more are refused (push fatigue, memory).
pub const MAX_PENDING_PER_USER: usize = 3;
/// Approvals kept at once, all users together.
pub const MAX_ENTRIES: usize = 4096;
/// How long a finished approval stays readable after its expiry.
pub const KEEP_AFTER_EXPIRY: Duration = Duration::from_secs(300);

/// Why no approval could be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The user already has [`MAX_PENDING_PER_USER`] open approvals.
    #[error("too many pending approvals for this user")]
    TooManyPending,
    /// The store holds [`MAX_ENTRIES`] approvals.
    #[error("too many approvals in progress")]
    Full,
    /// No random identifier could be made.
    #[error(transparent)]
    Random(#[from] random::RandomError),
}

/// Why a decision was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecideError {
    /// No approval has this id (or it was forgotten long after expiring).
    #[error("no such approval")]
    Unknown,
    /// The approval is no longer pending: already decided, or expired.
    #[error("approval is no longer pending ({0:?})")]
    NotPending(PushState),
}

/// A pending approval as listed to the approving person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingApproval {
    /// The approval's id.
    pub id: String,
    /// Who is signing in.
    pub user: String,
    /// The number the client shows.
    pub number: u32,
    /// Seconds left to decide.
    pub expires_in_secs: u64,
}

#[derive(Debug)]
struct Entry {
    user: String,
    number: u32,
    created: SystemTime,
    expires: SystemTime,
    state: PushState,
}

impl Entry {
    /// The state at `now`, turning an unanswered approval into `Expired`.
    fn refresh(&mut self, now: SystemTime) -> PushState {
        if self.state == PushState::Pending && now >= self.expires {
            self.state = PushState::Expired;
        }
        self.state
    }
}

struct Inner {
    entries: Mutex<HashMap<String, Entry>>,
    changes: watch::Sender<u64>,
    timeout: Duration,
    clock: Clock,
}

/// The push approvals in progress (shared; clones see the same store).
#[derive(Clone)]
pub struct PushStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PushStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushStore")
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

/// A user name fit for the message shown to the person: printable, bounded.
fn display_name(user: &str) -> String {
    let mut s: String = user.chars().filter(|c| !c.is_control()).take(64).collect();
    if user.chars().count() > 64 {
        s.push('…');
    }
    s
}

impl PushStore {
    /// A store whose approvals expire `timeout` after they are opened.
    pub fn new(timeout: Duration, clock: Clock) -> Self {
        let (changes, _) = watch::channel(0);
        PushStore {
            inner: Arc::new(Inner {
                entries: Mutex::new(HashMap::new()),
                changes,
                timeout,
                clock,
            }),
        }
    }

    /// How long approvals stay open.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    fn now(&self) -> SystemTime {
        (self.inner.clock)()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.inner.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets approvals that expired more than [`KEEP_AFTER_EXPIRY`] ago.
    fn collect_garbage(entries: &mut HashMap<String, Entry>, now: SystemTime) {
        entries.retain(|_, e| {
            e.refresh(now);
            now.duration_since(e.expires)
                .map_or(true, |late| late <= KEEP_AFTER_EXPIRY)
        });
    }

    /// Opens an approval for `user` with a random number in 10..=99.
    pub fn create(&self, user: &str) -> Result<PushTicket, PushError> {
        let now = self.now();
        let mut entries = self.entries();
        Self::collect_garbage(&mut entries, now);
        let open = entries
            .values()
            .filter(|e| e.user == user && e.state == PushState::Pending)
            .count();
        if open >= MAX_PENDING_PER_USER {
            return Err(PushError::TooManyPending);
        }
        if entries.len() >= MAX_ENTRIES {
            return Err(PushError::Full);
        }
        let id = random::hex_id(16)?;
        let number = random::number_in(10, 99)?;
        let expires = now + self.inner.timeout;
        entries.insert(
            id.clone(),
            Entry {
                user: user.to_owned(),
                number,
                created: now,
                expires,
                state: PushState::Pending,
            },
        );
        drop(entries);
        info!(user, "push approval opened");
        Ok(PushTicket {
            id,
            number,
            expires,
            timeout: self.inner.timeout,
            text: format!(
                "Approve the VPN sign-in of {} on your device: check that it shows {number}.",
                display_name(user)
            ),
        })
    }

    /// Approves a pending approval.
    pub fn approve(&self, id: &str) -> Result<(), DecideError> {
        self.decide(id, PushState::Approved)
    }

    /// Denies a pending approval.
    pub fn deny(&self, id: &str) -> Result<(), DecideError> {
        self.decide(id, PushState::Denied)
    }

    fn decide(&self, id: &str, to: PushState) -> Result<(), DecideError> {
        let now = self.now();
        let mut entries = self.entries();
        let entry = entries.get_mut(id).ok_or(DecideError::Unknown)?;
        match entry.refresh(now) {
            PushState::Pending => {
                entry.state = to;
                let user = entry.user.clone();
                drop(entries);
                info!(user, decision = ?to, "push approval answered");
                self.inner.changes.send_modify(|n| *n = n.wrapping_add(1));
                Ok(())
            }
            other => {
                debug!(state = ?other, "decision on a finished push approval refused");
                Err(DecideError::NotPending(other))
            }
        }
    }

    /// The state of approval `id`, or `None` if unknown (or long forgotten).
    pub fn state(&self, id: &str) -> Option<PushState> {
        let now = self.now();
        let mut entries = self.entries();
        entries.get_mut(id).map(|e| e.refresh(now))
    }

    /// The approvals awaiting an answer, oldest first.
    pub fn pending(&self) -> Vec<PendingApproval> {
        let now = self.now();
        let mut entries = self.entries();
        Self::collect_garbage(&mut entries, now);
        let mut list: Vec<(SystemTime, PendingApproval)> = entries
            .iter()
            .filter(|(_, e)| e.state == PushState::Pending)
            .map(|(id, e)| {
                let left = e.expires.duration_since(now).unwrap_or(Duration::ZERO);
                (
                    e.created,
                    PendingApproval {
                        id: id.clone(),
                        user: e.user.clone(),
                        number: e.number,
                        // Round up: "1 s left" until it is gone.
                        expires_in_secs: left.as_secs() + u64::from(left.subsec_nanos() > 0),
                    },
                )
            })
            .collect();
        list.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
        list.into_iter().map(|(_, p)| p).collect()
    }

    /// A receiver whose value changes on every decision.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.changes.subscribe()
    }

    /// Waits until approval `id` is no longer pending (decided, expired or unknown).
    pub async fn wait(&self, id: &str) -> PushState {
        let mut rx = self.subscribe();
        loop {
            let (state, expires) = {
                let now = self.now();
                let mut entries = self.entries();
                match entries.get_mut(id) {
                    Some(e) => (e.refresh(now), e.expires),
                    None => return PushState::Expired,
                }
            };
            if state != PushState::Pending {
                return state;
            }
            let left = expires.duration_since(self.now()).unwrap_or(Duration::ZERO);
            tokio::select! {
                changed = rx.changed() => {
                    if changed.is_err() {
                        // The store is gone; nothing will change any more.
                        tokio::time::sleep(left).await;
                    }
                }
                _ = tokio::time::sleep(left) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mfa::manual_clock;

    fn start() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    fn store() -> (PushStore, Arc<Mutex<SystemTime>>) {
        let (clock, now) = manual_clock(start());
        (PushStore::new(Duration::from_secs(60), clock), now)
    }

    fn advance(now: &Mutex<SystemTime>, secs: u64) {
        *now.lock().unwrap() += Duration::from_secs(secs);
    }

    #[test]
    fn create_makes_a_pending_ticket() {
        let (s, _) = store();
        let t = s.create("alice").unwrap();
        assert!((10..=99).contains(&t.number));
        assert_eq!(t.id.len(), 32);
        assert!(t.id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(t.expires, start() + Duration::from_secs(60));
        assert_eq!(t.timeout, Duration::from_secs(60));
        assert!(t.text.contains("alice") && t.text.contains(&t.number.to_string()));
        assert!(t.text.len() <= 256);
        assert_eq!(s.state(&t.id), Some(PushState::Pending));
        let p = s.pending();
        assert_eq!(
            p,
            vec![PendingApproval {
                id: t.id.clone(),
                user: "alice".into(),
                number: t.number,
                expires_in_secs: 60
            }]
        );
        // Ids are unguessable, so two differ.
        assert_ne!(s.create("alice").unwrap().id, t.id);
    }

    #[test]
    fn approve_and_deny_only_pending() {
        let (s, _) = store();
        let a = s.create("alice").unwrap();
        let b = s.create("bob").unwrap();
        s.approve(&a.id).unwrap();
        s.deny(&b.id).unwrap();
        assert_eq!(s.state(&a.id), Some(PushState::Approved));
        assert_eq!(s.state(&b.id), Some(PushState::Denied));
        assert_eq!(
            s.deny(&a.id),
            Err(DecideError::NotPending(PushState::Approved))
        );
        assert_eq!(
            s.approve(&b.id),
            Err(DecideError::NotPending(PushState::Denied))
        );
        assert_eq!(s.approve("nope"), Err(DecideError::Unknown));
        assert!(s.pending().is_empty());
    }

    #[test]
    fn expiry_is_final_and_garbage_collected() {
        let (s, now) = store();
        let t = s.create("alice").unwrap();
        advance(&now, 30);
        assert_eq!(s.pending()[0].expires_in_secs, 30);
        advance(&now, 30);
        assert_eq!(s.state(&t.id), Some(PushState::Expired));
        assert_eq!(
            s.approve(&t.id),
            Err(DecideError::NotPending(PushState::Expired))
        );
        assert!(s.pending().is_empty());
        // Still readable for a while, then forgotten.
        advance(&now, KEEP_AFTER_EXPIRY.as_secs());
        s.pending();
        assert_eq!(s.state(&t.id), Some(PushState::Expired));
        advance(&now, 1);
        s.pending();
        assert_eq!(s.state(&t.id), None);
    }

    #[test]
    fn per_user_limit() {
        let (s, now) = store();
        for _ in 0..MAX_PENDING_PER_USER {
            s.create("alice").unwrap();
        }
        assert_eq!(s.create("alice"), Err(PushError::TooManyPending));
        s.create("bob").unwrap();
        // Once they expire, new ones can be opened.
        advance(&now, 61);
        s.create("alice").unwrap();
    }

    #[test]
    fn long_or_odd_names_are_cleaned_in_text() {
        let (s, _) = store();
        let t = s
            .create(&format!("evil\u{1b}[2J{}", "x".repeat(500)))
            .unwrap();
        assert!(!t.text.chars().any(char::is_control));
        assert!(t.text.chars().count() <= 256);
    }

    #[tokio::test]
    async fn decisions_wake_waiters() {
        let (s, _) = store();
        let t = s.create("alice").unwrap();
        let mut rx = s.subscribe();
        let waiter = {
            let s = s.clone();
            let id = t.id.clone();
            tokio::spawn(async move { s.wait(&id).await })
        };
        tokio::task::yield_now().await;
        s.approve(&t.id).unwrap();
        assert!(rx.has_changed().unwrap());
        rx.borrow_and_update();
        let got = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("waiter not woken")
            .unwrap();
        assert_eq!(got, PushState::Approved);
        let t2 = s.create("alice").unwrap();
        s.deny(&t2.id).unwrap();
        assert!(rx.has_changed().unwrap());
        assert_eq!(s.wait(&t2.id).await, PushState::Denied);
        assert_eq!(s.wait("unknown").await, PushState::Expired);
    }
}
