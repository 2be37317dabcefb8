//! Bounds-checked big-endian reading and writing primitives.

use super::{DecodeError, EncodeError};

/// A cursor over untrusted input; every read is bounds-checked.
pub(super) struct Reader<'a> {
    /// The unread input.
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Starts reading at the beginning of `buf`.
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    /// Whether all input has been consumed.
    pub(super) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Number of unread bytes.
    pub(super) fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// Takes the next `n` bytes, or fails with `Truncated { what }`.
    pub(super) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let (head, tail) = self
            .buf
            .split_at_checked(n)
            .ok_or(DecodeError::Truncated { what })?;
        self.buf = tail;
        Ok(head)
    }

    /// Takes `n` bytes whose count came from a length field; an overrun is a
    /// `BadLength { what, len: n }` rather than a truncation.
    pub(super) fn take_declared(
        &mut self,
        n: usize,
        what: &'static str,
    ) -> Result<&'a [u8], DecodeError> {
        self.take(n, what)
            .map_err(|_| DecodeError::BadLength { what, len: n })
    }

    /// Takes all remaining bytes.
    pub(super) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    /// Reads a fixed-size array.
    pub(super) fn array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], DecodeError> {
        let (head, tail) = self
            .buf
            .split_first_chunk::<N>()
            .ok_or(DecodeError::Truncated { what })?;
        self.buf = tail;
        Ok(*head)
    }

    /// Reads one byte.
    pub(super) fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        self.array::<1>(what).map(|[b]| b)
    }

    /// Reads a big-endian `u16`.
    pub(super) fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        self.array(what).map(u16::from_be_bytes)
    }

    /// Reads a big-endian `u32`.
    pub(super) fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        self.array(what).map(u32::from_be_bytes)
    }

    /// Reads the common 4-byte prefix `[a, b, length(2)]` (generic payload
    /// header, proposal and transform substructures), where the length covers
    /// the prefix itself, and returns `(a, b, body)`.
    pub(super) fn prefixed(
        &mut self,
        what: &'static str,
    ) -> Result<(u8, u8, &'a [u8]), DecodeError> {
        let [a, b, hi, lo] = self.array::<4>(what)?;
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        let body_len = len
            .checked_sub(4)
            .ok_or(DecodeError::BadLength { what, len })?;
        let body = self
            .take(body_len, what)
            .map_err(|_| DecodeError::BadLength { what, len })?;
        Ok((a, b, body))
    }
}

/// Converts a length or count to a `u8` wire field.
pub(super) fn to_u8(value: usize, what: &'static str) -> Result<u8, EncodeError> {
    u8::try_from(value).map_err(|_| EncodeError::FieldOverflow { what, value })
}

/// Converts a length or count to a `u16` wire field.
pub(super) fn to_u16(value: usize, what: &'static str) -> Result<u16, EncodeError> {
    u16::try_from(value).map_err(|_| EncodeError::FieldOverflow { what, value })
}

/// Appends a 4-byte prefix `[a, b, 0, 0]` whose length is filled in later by
/// [`finish_prefixed`]; returns its offset.
pub(super) fn start_prefixed(out: &mut Vec<u8>, a: u8, b: u8) -> usize {
    let start = out.len();
    out.extend_from_slice(&[a, b, 0, 0]);
    start
}

/// Writes the length of everything appended since `start` into the prefix
/// written by [`start_prefixed`].
pub(super) fn finish_prefixed(
    out: &mut [u8],
    start: usize,
    what: &'static str,
) -> Result<(), EncodeError> {
    let len = to_u16(out.len().saturating_sub(start), what)?;
    if let Some(field) = out.get_mut(start + 2..start + 4) {
        field.copy_from_slice(&len.to_be_bytes());
    }
    Ok(())
}
