//! A responder's pool of virtual IPv4 addresses (configuration payload).

use std::collections::{BTreeSet, HashMap};
use std::net::Ipv4Addr;

use crate::identity::Identity;

/// Hands out addresses from a range; a peer identity keeps its address while it holds a lease.
#[derive(Debug, Default)]
pub struct AddressPool {
    range: Option<(u32, u32)>,
    leases: HashMap<Identity, (Ipv4Addr, usize)>,
    used: BTreeSet<u32>,
}

impl AddressPool {
    /// A pool of `first..=last`; an empty pool when `None`.
    pub fn new(range: Option<(Ipv4Addr, Ipv4Addr)>) -> AddressPool {
        AddressPool {
            range: range.map(|(a, b)| (u32::from(a), u32::from(b))),
            ..Default::default()
        }
    }

    /// The address for `peer`, reusing its current lease.
    pub fn allocate(&mut self, peer: &Identity) -> Option<Ipv4Addr> {
        if let Some((a, n)) = self.leases.get_mut(peer) {
            *n += 1;
            return Some(*a);
        }
        let (first, last) = self.range?;
        let free = (first..=last).find(|a| !self.used.contains(a))?;
        self.used.insert(free);
        let addr = Ipv4Addr::from(free);
        self.leases.insert(peer.clone(), (addr, 1));
        Some(addr)
    }

    /// Drops one lease of `peer`; the address is free once none is left.
    pub fn release(&mut self, peer: &Identity) {
        if let Some((a, n)) = self.leases.get_mut(peer) {
            *n -= 1;
            if *n == 0 {
                self.used.remove(&u32::from(*a));
                self.leases.remove(peer);
            }
        }
    }

    /// Addresses in use.
    pub fn in_use(&self) -> usize {
        self.used.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_reuses_and_exhausts() {
        let mut p = AddressPool::new(Some((
            Ipv4Addr::new(10, 99, 10, 1),
            Ipv4Addr::new(10, 99, 10, 2),
        )));
        let (a, b, c) = (
            Identity::parse("a@x"),
            Identity::parse("b@x"),
            Identity::parse("c@x"),
        );
        assert_eq!(p.allocate(&a), Some(Ipv4Addr::new(10, 99, 10, 1)));
        assert_eq!(p.allocate(&a), Some(Ipv4Addr::new(10, 99, 10, 1)));
        assert_eq!(p.allocate(&b), Some(Ipv4Addr::new(10, 99, 10, 2)));
        assert_eq!(p.allocate(&c), None);
        p.release(&b);
        assert_eq!(p.allocate(&c), Some(Ipv4Addr::new(10, 99, 10, 2)));
        p.release(&a);
        assert_eq!(p.in_use(), 2, "a still holds one lease");
        p.release(&a);
        assert_eq!(p.in_use(), 1);
    }
}
