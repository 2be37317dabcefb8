//! Simultaneous rekeying (RFC 7296 2.8.1, 2.8.2, 2.25): when both peers rekey
//! the same SA, both exchanges complete and the SA created with the lowest of
//! the four nonces is redundant; the endpoint that created it deletes it.

use std::cmp::Ordering;

/// One completed rekey of an SA, by us or by the peer.
#[derive(Clone, Debug)]
pub(crate) struct RekeyRecord<Id> {
    /// The SA that was rekeyed.
    pub old: Id,
    /// The SA that the rekey created.
    pub new: Id,
    /// Nonces of the exchange (initiator's, responder's).
    pub ni: Vec<u8>,
    pub nr: Vec<u8>,
    /// We initiated this rekey exchange.
    pub ours: bool,
}

/// Nonces compare like strongSwan's `chunk_compare`: bytes of the common
/// length first, then the shorter one is lower.
pub(crate) fn cmp_nonce(a: &[u8], b: &[u8]) -> Ordering {
    let n = a.len().min(b.len());
    a[..n].cmp(&b[..n]).then(a.len().cmp(&b.len()))
}

impl<Id: Copy + PartialEq> RekeyRecord<Id> {
    fn lowest(&self) -> &[u8] {
        if cmp_nonce(&self.ni, &self.nr) == Ordering::Greater {
            &self.nr
        } else {
            &self.ni
        }
    }

    /// Of two rekeys of the same SA, whether `self` created the redundant SA.
    pub fn is_redundant_against(&self, other: &RekeyRecord<Id>) -> bool {
        cmp_nonce(self.lowest(), other.lowest()) == Ordering::Less
    }
}

/// Recent rekeys, kept until a late colliding exchange can no longer arrive.
pub(crate) struct RekeyLog<Id> {
    records: Vec<RekeyRecord<Id>>,
}

impl<Id: Copy + PartialEq> Default for RekeyLog<Id> {
    fn default() -> Self {
        RekeyLog {
            records: Vec::new(),
        }
    }
}

impl<Id: Copy + PartialEq> RekeyLog<Id> {
    /// Records a completed rekey and returns the colliding rekey of the same
    /// SA by the other side, if there was one.
    pub fn record(&mut self, r: RekeyRecord<Id>) -> Option<RekeyRecord<Id>> {
        let other = self
            .records
            .iter()
            .position(|x| x.old == r.old && x.ours != r.ours)
            .map(|i| self.records.remove(i));
        if other.is_none() {
            self.records.push(r);
            if self.records.len() > 8 {
                self.records.remove(0);
            }
        }
        other
    }

    /// Our SPI of the SA that the peer's rekey of `old` created, if recorded.
    pub fn theirs_of(&self, old: Id) -> Option<Id> {
        self.records
            .iter()
            .find(|x| x.old == old && !x.ours)
            .map(|x| x.new)
    }

    /// Forgets rekeys of `old`.
    pub fn forget(&mut self, old: Id) {
        self.records.retain(|x| x.old != old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_of_four_nonces_loses() {
        let a = RekeyRecord {
            old: 1u32,
            new: 2,
            ni: vec![5, 0],
            nr: vec![9],
            ours: true,
        };
        let b = RekeyRecord {
            old: 1u32,
            new: 3,
            ni: vec![7],
            nr: vec![4, 1],
            ours: false,
        };
        assert!(b.is_redundant_against(&a), "4,1 is the lowest nonce");
        assert!(!a.is_redundant_against(&b));
        assert_eq!(cmp_nonce(&[1, 2], &[1, 2, 0]), Ordering::Less);
    }

    #[test]
    fn log_pairs_opposite_sides_of_the_same_sa() {
        let mut log = RekeyLog::default();
        let r = |old, ours| RekeyRecord {
            old,
            new: 9u32,
            ni: vec![1],
            nr: vec![2],
            ours,
        };
        assert!(log.record(r(1, true)).is_none());
        assert!(log.record(r(2, false)).is_none(), "another SA");
        assert!(log.record(r(1, false)).is_some(), "collision on SA 1");
        assert!(log.record(r(1, false)).is_none(), "consumed");
    }
}
