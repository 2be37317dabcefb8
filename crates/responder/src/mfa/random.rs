//! Random values from the operating system's CSPRNG (through ring).

use ring::rand::{SecureRandom, SystemRandom};

/// The system random source failed (it practically never does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the system random number generator failed")]
pub struct RandomError;

/// Fills `buf` with random bytes.
pub fn fill(buf: &mut [u8]) -> Result<(), RandomError> {
    SystemRandom::new().fill(buf).map_err(|_| RandomError)
}

/// `n` random bytes as lowercase hex.
pub fn hex_id(n: usize) -> Result<String, RandomError> {
    let mut buf = vec![0u8; n];
    fill(&mut buf)?;
    Ok(hex::encode(buf))
}

/// A uniformly random number in `low..=high` (rejection sampling, no modulo bias).
pub fn number_in(low: u32, high: u32) -> Result<u32, RandomError> {
    let span = high.saturating_sub(low).saturating_add(1);
    // The largest multiple of `span` that fits in a u32 draw.
    let limit = u32::MAX - (u32::MAX % span);
    loop {
        let mut b = [0u8; 4];
        fill(&mut b)?;
        let v = u32::from_be_bytes(b);
        if v < limit {
            return Ok(low + v % span);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_stay_in_range_and_vary() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2000 {
            let n = number_in(10, 99).unwrap();
            assert!((10..=99).contains(&n));
            seen.insert(n);
        }
        // 2000 draws over 90 values: all but a handful must appear.
        assert!(seen.len() > 80, "only {} distinct values", seen.len());
    }

    #[test]
    fn hex_ids_are_unique_and_sized() {
        let a = hex_id(16).unwrap();
        let b = hex_id(16).unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
