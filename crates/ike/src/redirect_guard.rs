//! Loop protection for gateway redirects (RFC 5685 7: a client must not be
//! bounced forever). Within a window, a redirect back to a gateway already
//! visited, or more than a handful of redirects, is refused.

use std::fmt;
use std::time::{Duration, Instant};

use crate::message::GatewayId;

/// How long redirects are remembered.
pub const REDIRECT_WINDOW: Duration = Duration::from_secs(300);

/// Most redirects followed within [`REDIRECT_WINDOW`].
pub const MAX_REDIRECTS: usize = 5;

/// The gateways a connection was sent through recently.
#[derive(Clone, Debug)]
pub struct RedirectGuard {
    /// Gateways visited and since when, oldest first; the last is current.
    visits: Vec<(Instant, GatewayId)>,
}

/// A redirect that is not followed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RedirectRefused {
    /// The gateways send the connection round in a circle.
    #[error("redirect loop: {}", Chain(.0))]
    Loop(Vec<GatewayId>),
    /// Too many redirects in a short time.
    #[error("too many redirects ({} in {} s): {}", .0.len() - 1, REDIRECT_WINDOW.as_secs(), Chain(.0))]
    TooMany(Vec<GatewayId>),
}

/// Shows a chain of gateways as `a → b → c`.
struct Chain<'a>(&'a [GatewayId]);

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, g) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" → ")?;
            }
            write!(f, "{g}")?;
        }
        Ok(())
    }
}

impl RedirectGuard {
    /// A connection that starts at `origin` at `now`.
    pub fn new(now: Instant, origin: GatewayId) -> RedirectGuard {
        RedirectGuard {
            visits: vec![(now, origin)],
        }
    }

    /// Records a redirect from the current gateway to `to` at `now`, or
    /// refuses it.
    pub fn follow(&mut self, now: Instant, to: GatewayId) -> Result<(), RedirectRefused> {
        // Forget visits older than the window, but never the current one.
        let keep_from = self
            .visits
            .iter()
            .position(|(t, _)| now.saturating_duration_since(*t) < REDIRECT_WINDOW)
            .unwrap_or(self.visits.len())
            .min(self.visits.len() - 1);
        self.visits.drain(..keep_from);
        let mut chain: Vec<GatewayId> = self.visits.iter().map(|(_, g)| g.clone()).collect();
        let seen = chain.contains(&to);
        chain.push(to.clone());
        if seen {
            return Err(RedirectRefused::Loop(chain));
        }
        if self.visits.len() > MAX_REDIRECTS {
            return Err(RedirectRefused::TooMany(chain));
        }
        self.visits.push((now, to));
        Ok(())
    }

    /// The gateway the connection is at now.
    pub fn current(&self) -> &GatewayId {
        // `visits` is never empty: `new` puts the origin in, `follow` keeps the last.
        &self.visits[self.visits.len() - 1].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gw(last: u8) -> GatewayId {
        GatewayId::Ipv4([192, 0, 2, last].into())
    }

    #[test]
    fn a_redirect_back_is_a_loop() {
        let t = Instant::now();
        let mut g = RedirectGuard::new(t, gw(1));
        g.follow(t, gw(9)).unwrap();
        assert_eq!(g.current(), &gw(9));
        let e = g.follow(t, gw(1)).unwrap_err();
        assert_eq!(e, RedirectRefused::Loop(vec![gw(1), gw(9), gw(1)]));
        assert_eq!(
            e.to_string(),
            "redirect loop: 192.0.2.1 → 192.0.2.9 → 192.0.2.1"
        );
        // Refused hops are not followed.
        assert_eq!(g.current(), &gw(9));
    }

    #[test]
    fn a_chain_is_bounded_and_old_hops_are_forgotten() {
        let t = Instant::now();
        let mut g = RedirectGuard::new(t, gw(1));
        for i in 2..2 + MAX_REDIRECTS as u8 {
            g.follow(t, gw(i)).unwrap();
        }
        assert!(matches!(
            g.follow(t, gw(100)),
            Err(RedirectRefused::TooMany(c)) if c.len() == MAX_REDIRECTS + 2
        ));
        // Long after, going back is a new journey.
        let later = t + REDIRECT_WINDOW + Duration::from_secs(1);
        g.follow(later, gw(2)).unwrap();
        g.follow(later, gw(1)).unwrap();
        g.follow(later, gw(2)).unwrap_err();
    }
}
