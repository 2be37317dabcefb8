//! Injected randomness (sans-IO): the engine never reaches for a global RNG.

use std::fmt;

use ring::hmac;
use ring::rand::SecureRandom as _;
use zeroize::Zeroize;

/// A source of random bytes, passed explicitly to everything that needs one
/// (DH key generation, CBC IVs, AEAD IV starting points, nonces, SPIs).
///
/// Production code uses [`SystemRandom`]; simulations and tests use
/// [`SeededRandom`] to make every run reproducible.
pub trait RandomSource {
    /// Fills `buf` entirely with random bytes.
    fn fill(&mut self, buf: &mut [u8]);
}

/// The operating system's CSPRNG, through `ring::rand::SystemRandom`.
pub struct SystemRandom(ring::rand::SystemRandom);

impl SystemRandom {
    /// A handle on the OS random number generator.
    pub fn new() -> Self {
        Self(ring::rand::SystemRandom::new())
    }
}

impl Default for SystemRandom {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for SystemRandom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SystemRandom")
    }
}

impl RandomSource for SystemRandom {
    /// # Panics
    ///
    /// Only if the operating system cannot provide random bytes at all
    /// (`ring` fails only when the OS RNG is unavailable, e.g. `getrandom`
    /// is not supported). Continuing without randomness would be worse than
    /// stopping, so this is treated as a fatal environment error.
    fn fill(&mut self, buf: &mut [u8]) {
        self.0
            .fill(buf)
            .expect("the operating system random number generator is unavailable");
    }
}

/// A deterministic generator for simulations and tests: the output stream is
/// `HMAC-SHA256(seed, 0) || HMAC-SHA256(seed, 1) || ...` (the seed and the
/// block counter as 8-byte big-endian integers).
///
/// Not for production: 64 bits of seed are not a secret.
pub struct SeededRandom {
    key: hmac::Key,
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl SeededRandom {
    /// A generator whose whole output is determined by `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &seed.to_be_bytes()),
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }

    fn refill(&mut self) {
        let tag = hmac::sign(&self.key, &self.counter.to_be_bytes());
        self.block.copy_from_slice(tag.as_ref());
        self.counter = self.counter.wrapping_add(1);
        self.used = 0;
    }
}

impl fmt::Debug for SeededRandom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeededRandom")
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

impl Drop for SeededRandom {
    fn drop(&mut self) {
        self.block.zeroize();
    }
}

impl RandomSource for SeededRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        let mut filled = 0;
        while filled < buf.len() {
            if self.used == self.block.len() {
                self.refill();
            }
            let n = (buf.len() - filled).min(self.block.len() - self.used);
            buf[filled..filled + n].copy_from_slice(&self.block[self.used..self.used + n]);
            filled += n;
            self.used += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_is_deterministic_and_seed_dependent() {
        let mut a = SeededRandom::new(7);
        let mut b = SeededRandom::new(7);
        let mut c = SeededRandom::new(8);
        let (mut x, mut y, mut z) = ([0u8; 100], [0u8; 100], [0u8; 100]);
        a.fill(&mut x);
        b.fill(&mut y);
        c.fill(&mut z);
        assert_eq!(x, y);
        assert_ne!(x, z);
    }

    #[test]
    fn seeded_stream_is_independent_of_chunking() {
        let mut a = SeededRandom::new(42);
        let mut whole = [0u8; 77];
        a.fill(&mut whole);
        let mut b = SeededRandom::new(42);
        let mut parts = Vec::new();
        for n in [1usize, 31, 0, 2, 40, 3] {
            let mut p = vec![0u8; n];
            b.fill(&mut p);
            parts.extend_from_slice(&p);
        }
        assert_eq!(&whole[..], &parts[..]);
        // First block is HMAC-SHA256(seed, counter 0).
        let key = hmac::Key::new(hmac::HMAC_SHA256, &42u64.to_be_bytes());
        assert_eq!(&whole[..32], hmac::sign(&key, &0u64.to_be_bytes()).as_ref());
    }

    #[test]
    fn system_random_fills() {
        let mut r = SystemRandom::new();
        let mut buf = [0u8; 64];
        r.fill(&mut buf);
        assert_ne!(buf, [0u8; 64]);
    }
}
