//! Byte buffers for lines that may hold secrets: they grow by copying into
//! a fresh zeroizing allocation, so no unwiped copy is left behind.

use zeroize::Zeroizing;

/// A growable byte buffer wiped on drop and on every reallocation.
#[derive(Default)]
pub(crate) struct SecureBuf(Zeroizing<Vec<u8>>);

impl SecureBuf {
    /// Appends `data`, moving to a larger (zeroizing) allocation if needed.
    pub fn extend(&mut self, data: &[u8]) {
        let needed = self.0.len() + data.len();
        if needed > self.0.capacity() {
            let mut bigger = Zeroizing::new(Vec::with_capacity(
                needed.max(2 * self.0.capacity()).max(256),
            ));
            bigger.extend_from_slice(&self.0);
            // The old allocation is wiped as it drops here.
            self.0 = bigger;
        }
        self.0.extend_from_slice(data);
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The bytes, still wiped on drop.
    pub fn into_inner(self) -> Zeroizing<Vec<u8>> {
        self.0
    }

    /// Wipes and empties the buffer, keeping its allocation.
    pub fn clear(&mut self) {
        zeroize::Zeroize::zeroize(&mut *self.0);
    }
}

impl std::io::Write for SecureBuf {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.extend(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_clears() {
        let mut b = SecureBuf::default();
        for _ in 0..100 {
            b.extend(b"0123456789");
        }
        assert_eq!(b.len(), 1000);
        assert_eq!(&b.as_slice()[..3], b"012");
        b.clear();
        assert!(b.is_empty());
    }
}
