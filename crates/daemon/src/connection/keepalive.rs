//! NAT keepalives (RFC 3948 2.3, RFC 7296 2.23): behind a NAT, the client
//! sends the one-byte 0xFF datagram to the gateway's UDP 4500 endpoint
//! whenever it sent nothing else there for [`INTERVAL`], so the NAT keeps
//! its mapping while the tunnel is idle.

use std::time::{Duration, Instant};

/// Idle time before a keepalive; 20 s like strongSwan, well under the
/// common 30 s UDP timeouts of NAT routers.
pub const INTERVAL: Duration = Duration::from_secs(20);

/// When the next keepalive is due.
#[derive(Debug, Default)]
pub struct Keepalive {
    /// `None` while no NAT is in front of us.
    due: Option<Instant>,
}

impl Keepalive {
    /// Keepalives start (a NAT is in front of us) or stop.
    pub fn set_behind_nat(&mut self, behind: bool, now: Instant) {
        self.due = behind.then(|| self.due.unwrap_or(now + INTERVAL));
    }

    /// Something was sent to the gateway: the mapping is fresh.
    pub fn sent(&mut self, now: Instant) {
        if let Some(d) = self.due.as_mut() {
            *d = now + INTERVAL;
        }
    }

    /// When to wake up for the next keepalive.
    pub fn due(&self) -> Option<Instant> {
        self.due
    }

    /// Whether a keepalive is to be sent now; if so the next one is
    /// scheduled.
    pub fn poll(&mut self, now: Instant) -> bool {
        match self.due {
            Some(d) if d <= now => {
                self.due = Some(now + INTERVAL);
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sent_only_behind_a_nat_and_only_when_idle() {
        let t0 = Instant::now();
        let mut k = Keepalive::default();
        assert!(!k.poll(t0 + INTERVAL * 3), "no NAT, no keepalives");
        k.set_behind_nat(true, t0);
        assert!(!k.poll(t0 + INTERVAL / 2));
        // Traffic at 15 s postpones the keepalive to 35 s.
        k.sent(t0 + Duration::from_secs(15));
        assert!(!k.poll(t0 + INTERVAL));
        assert!(k.poll(t0 + Duration::from_secs(35)));
        assert!(!k.poll(t0 + Duration::from_secs(36)), "one at a time");
        assert!(k.poll(t0 + Duration::from_secs(55)));
        k.set_behind_nat(false, t0 + Duration::from_secs(56));
        assert_eq!(k.due(), None);
    }
}
