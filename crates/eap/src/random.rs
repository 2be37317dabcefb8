//! The random source for challenges and nonces.

/// Fills buffers with cryptographically secure random bytes.
pub trait Random {
    /// Fills `buf` entirely.
    fn fill(&mut self, buf: &mut [u8]);
}

/// The operating system's generator (via `ring`).
#[derive(Debug)]
pub struct SystemRandom(ring::rand::SystemRandom);

impl Default for SystemRandom {
    fn default() -> SystemRandom {
        SystemRandom::new()
    }
}

impl SystemRandom {
    /// A handle to the OS generator.
    pub fn new() -> SystemRandom {
        SystemRandom(ring::rand::SystemRandom::new())
    }
}

impl Random for SystemRandom {
    /// # Panics
    /// If the OS generator fails, which leaves no safe way to continue.
    fn fill(&mut self, buf: &mut [u8]) {
        use ring::rand::SecureRandom;
        #[allow(clippy::expect_used)]
        self.0
            .fill(buf)
            .expect("the operating system's random generator failed");
    }
}
