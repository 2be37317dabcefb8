//! The random source the server uses for challenges.

/// Fills buffers with cryptographically secure random bytes.
pub trait Random {
    /// Fills `buf` entirely.
    fn fill(&mut self, buf: &mut [u8]);
}
